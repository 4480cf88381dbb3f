#!/usr/bin/env bash
# Runs every suite: Rust (all crates, under a private session bus with an unlocked keyring),
# the UI unit tests, and the end-to-end suite against the real app binary under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

echo "== building the workspace (desktop app included)"
cargo build --workspace --all-targets --quiet

echo "== Rust suites"
# The PyPI `cloudreve` SDK (an independent client) for the sandbox's fidelity tests.
sdk_python="${CARGO_TARGET_DIR:-$PWD/target}/sdk-venv/bin/python"
if [ -x "$sdk_python" ]; then export CIRRUS_SDK_PYTHON="$sdk_python"; fi
rust_cmd=(cargo test --workspace --no-fail-fast)
if command -v cargo-nextest >/dev/null; then
  rust_cmd=(cargo nextest run --workspace --no-fail-fast --failure-output final)
fi
# A real Secret Service for the keyring tests: gnome-keyring in a private D-Bus session.
scripts/with-keyring.sh "${rust_cmd[@]}" || status=1
# nextest does not run doctests.
if [ "${rust_cmd[0]}" = cargo ] && [ "${rust_cmd[1]}" = nextest ]; then
  cargo test --workspace --doc --quiet || status=1
fi

echo "== TypeScript bindings generated from Rust are current"
# The Rust tests above regenerate ui/src/backend/generated (ts-rs); a diff means stale bindings.
if [ -n "$(git status --porcelain -- ui/src/backend/generated 2>/dev/null)" ]; then
  echo "error: ui/src/backend/generated differs from the Rust types; commit the regenerated files:" >&2
  git status --porcelain -- ui/src/backend/generated >&2
  status=1
fi

echo "== UI unit tests"
(cd ui && npx vitest run) || status=1

echo "== end-to-end suite"
scripts/e2e.sh || status=1

echo "== package test (the .deb, unpacked and checked; a smoke journey with its binary)"
scripts/test-package.sh || status=1

exit $status
