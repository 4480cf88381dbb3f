#!/usr/bin/env bash
# `make bench`: release builds, the PyPI `cloudreve` SDK in a venv, the criterion AES-CTR
# micro-benchmark, then cirrus-bench (starts the sandbox, measures Cirrus vs curl vs the SDK)
# printing one table. Knobs: BENCH_ARGS="--size-mib 256 --runs 3" etc.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

command -v curl >/dev/null || scripts/ensure-packages.sh curl
scripts/ensure-packages.sh python3-venv

echo "== release builds" >&2
cargo build --release --quiet -p cirrus-bench -p cirrus-cli -p cirrus-sandbox

venv="$target/sdk-venv"
scripts/ensure-sdk-venv.sh "$venv"

echo "== criterion: AES-256-CTR of the core" >&2
cargo bench --quiet -p cirrus-core --bench aes_ctr -- --noplot >&2

echo "== cirrus-bench" >&2
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
"$target/release/cirrus-bench" \
  --python "$venv/bin/python" \
  --criterion-dir "$target/criterion" \
  --work "$target/bench-work" \
  --out "$target/bench-results.md" \
  ${BENCH_ARGS:-}

echo "== desktop app: package, start-up and memory of the packaged binary" >&2
scripts/ensure-packages.sh dpkg-dev xvfb xauth webkit2gtk-driver dbus-daemon
scripts/bench-app.sh
