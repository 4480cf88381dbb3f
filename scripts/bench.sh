#!/usr/bin/env bash
# `make bench`: release builds, the PyPI `cloudreve` SDK in a venv, the criterion AES-CTR
# micro-benchmark, then cirrus-bench (starts the sandbox, measures Cirrus vs curl vs the SDK)
# printing one table. Knobs: BENCH_ARGS="--size-mib 256 --runs 3" etc.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"

command -v curl >/dev/null || scripts/ensure-packages.sh curl

echo "== release builds" >&2
cargo build --release --quiet -p cirrus-bench -p cirrus-cli -p cirrus-sandbox

venv="$target/bench-venv"
if ! "$venv/bin/python" -c 'import cloudreve.v4' 2>/dev/null; then
  echo "== Python SDK venv ($venv)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check cloudreve==2.0.2
fi

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
