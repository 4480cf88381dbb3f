#!/usr/bin/env bash
# End-to-end: the real cirrus-desktop binary, driven by WebdriverIO through tauri-driver and
# WebKitWebDriver, under Xvfb and a private D-Bus session. Screenshots go to artifacts/e2e/.
# Arguments name a subset of spec files (e.g. `scripts/e2e.sh journey-v3`); none runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
specs=""
for name in "$@"; do
  name="${name#specs/}"; name="${name%.test.js}"
  [ -f "tests/e2e/specs/$name.test.js" ] || { echo "no spec tests/e2e/specs/$name.test.js" >&2; exit 2; }
  specs="$specs specs/$name.test.js"
done
# Named specs win; else a caller's CIRRUS_E2E_SPECS (the package test); else every spec.
if [ -n "$specs" ]; then export CIRRUS_E2E_SPECS="$specs"; fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
export CIRRUS_APP="${CIRRUS_APP:-$target/debug/cirrus-desktop}"
export CIRRUS_E2E_SPECS="${CIRRUS_E2E_SPECS:-specs/}"
export CIRRUS_SANDBOX_BIN="$target/debug/cirrus-sandbox"
export CIRRUS_ARTIFACTS="${CIRRUS_ARTIFACTS:-$PWD/artifacts/e2e}"
# The app's own log (tracing), per run, beside the WebDriver's.
export CIRRUS_LOG_FILE="${CIRRUS_LOG_FILE:-$CIRRUS_ARTIFACTS/app.log}"
rm -rf "$CIRRUS_ARTIFACTS"; mkdir -p "$CIRRUS_ARTIFACTS"
# A private data dir and file secret store per run; the keyring has its own tests in the Rust suite.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CIRRUS_DATA_DIR="$work/data" CIRRUS_SECRET_STORE=file CIRRUS_E2E_DROP_DIR="$work/drop"
# The saved window size and position (XDG config dir) belong to the run too, not to the user.
export XDG_CONFIG_HOME="$work/config"
[ -x "$CIRRUS_SANDBOX_BIN" ] || cargo build -p cirrus-sandbox --quiet
[ -x "$CIRRUS_APP" ] || cargo build -p cirrus-desktop --quiet
(cd tests/e2e && { [ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund --silent; })
export PATH="$HOME/.cargo/bin:$PATH"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  port=$((4444 + RANDOM % 1000))
  tauri-driver --port "$port" --native-port $((port + 1000)) >"$CIRRUS_ARTIFACTS/tauri-driver.log" 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  export TAURI_DRIVER_PORT=$port
  cd tests/e2e && node --test --test-concurrency=1 --test-timeout=${CIRRUS_E2E_TIMEOUT_MS:-180000} $CIRRUS_E2E_SPECS
'
