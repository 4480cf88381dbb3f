//! Engine tests against an in-memory provider.
