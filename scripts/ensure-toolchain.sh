#!/usr/bin/env bash
# Checks the toolchains that cannot come from apt: Rust (rustup) and a recent Node.js.
set -euo pipefail
if ! command -v cargo >/dev/null; then
  echo "error: Rust is not installed. Install it with rustup (https://rustup.rs), then run make again." >&2
  exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node/npm missing: installing Debian's nodejs and npm"
  scripts/ensure-packages.sh nodejs npm
fi
node -e '
const [maj, min] = process.versions.node.split(".").map(Number);
if (maj < 20 || (maj === 20 && min < 19)) {
  console.error(`error: Node.js ${process.versions.node} is too old; Cirrus needs 20.19 or newer.`);
  process.exit(1);
}'
