# Sourced by the packaging scripts. Rust writes the source paths of every crate into the binary
# (panic locations), which would leak the build machine's home, cargo registry and checkout paths
# into the .deb; these prefixes are rewritten to neutral ones. The order matters: rustc applies
# the last matching prefix, so the more specific ones come after $HOME.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
remap=(
  "--remap-path-prefix=$HOME=/home/builder"
  "--remap-path-prefix=$cargo_home=/cargo"
  "--remap-path-prefix=$repo_root=/build/cirrus"
  "--remap-path-prefix=$target_dir=/build/target"
)
# RUSTFLAGS splits on spaces; the encoded form keeps paths with spaces intact (0x1f separates).
CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${remap[*]}")"
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
