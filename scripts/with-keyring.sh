#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (Secret Service),
# so keyring tests talk to a real credential store. Without those tools, runs the command as is.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "note: no dbus-run-session/gnome-keyring: keyring tests will use their file fallback" >&2
  exec "$@"
fi
export CIRRUS_KEYRING_HOME
CIRRUS_KEYRING_HOME="$(mktemp -d)"
exec dbus-run-session -- bash -c '
  # Only the keyring files move to the throwaway dir; HOME stays so rustup and cargo still work.
  export XDG_DATA_HOME="$CIRRUS_KEYRING_HOME/.local/share"
  mkdir -p "$XDG_DATA_HOME/keyrings"
  # A password on stdin creates and unlocks the login keyring (a throwaway one, per run).
  eval "$(printf "cirrus-test-keyring" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL CIRRUS_TEST_SECRET_SERVICE=1
  "$@"
' bash "$@"
