//! Opaque, typed object ids in the style of Cloudreve's hashids.
//!
//! Each id encodes the pair `[numeric id, type tag]`, so an id of the wrong kind is detected
//! on decode and rejected with 40001 "Failed to parse object ID".

use sqids::Sqids;

use crate::envelope::ApiError;

/// Type tags, numbered as in Cloudreve's `pkg/hashid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Kind {
    Share = 0,
    User = 1,
    File = 2,
    Folder = 3,
    Policy = 5,
    /// Cloudreve 3's source links (`/f/:id/:name`).
    SourceLink = 6,
    Group = 7,
    Entity = 8,
    Task = 11,
}

/// Encoder/decoder for typed ids.
pub struct IdCodec {
    sqids: Sqids,
}

impl IdCodec {
    /// A codec with a fixed shuffled alphabet (the sandbox's "salt").
    pub fn new() -> Self {
        let alphabet: Vec<char> = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt"
            .chars()
            .collect();
        let sqids = Sqids::builder()
            .alphabet(alphabet)
            .build()
            .expect("valid sqids alphabet");
        Self { sqids }
    }

    /// Encode `id` with the tag of `kind`.
    pub fn encode(&self, kind: Kind, id: u64) -> String {
        self.sqids.encode(&[id, kind as u64]).unwrap_or_default()
    }

    /// Decode an id of the given kind; anything else is `None`.
    pub fn decode(&self, kind: Kind, s: &str) -> Option<u64> {
        let nums = self.sqids.decode(s);
        if nums.len() != 2 || nums[1] != kind as u64 {
            return None;
        }
        // Sqids decodes many strings to numbers; only the canonical spelling is ours.
        (self.encode(kind, nums[0]) == s).then_some(nums[0])
    }

    /// Decode or fail with the binding error Cloudreve's HashID middleware returns.
    pub fn require(&self, kind: Kind, s: &str) -> Result<u64, ApiError> {
        self.decode(kind, s).ok_or_else(ApiError::bad_object_id)
    }
}

impl Default for IdCodec {
    fn default() -> Self {
        Self::new()
    }
}
