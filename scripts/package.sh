#!/usr/bin/env bash
# Builds the Debian package with the Tauri bundler (the npm @tauri-apps/cli, a prebuilt binary)
# and prints where it is and how big. `--profile NAME` builds with another Cargo profile (the
# package test uses `package-test`, see the workspace Cargo.toml); the default is `release`.
#
# No AppImage: the bundler downloads linuxdeploy and the AppImage runtime from GitHub while
# bundling, and the machines this project builds on reach package registries only.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
if [ "${1:-}" = "--profile" ]; then profile="$2"; fi
source scripts/package-env.sh

tauri=ui/node_modules/.bin/tauri
[ -x "$tauri" ] || (cd ui && npm ci --no-audit --no-fund)
[ -f ui/dist/index.html ] || (cd ui && npm run build)

args=(build --bundles deb --ci)
if [ "$profile" != release ]; then args+=(-- --profile "$profile"); fi
started=$(date +%s)
"$tauri" "${args[@]}"
bundle_dir="$target_dir/$profile/bundle"
echo
echo "Bundles ($profile profile, $(( $(date +%s) - started )) s):"
found=0
while IFS= read -r f; do
  found=1
  printf '  %s  %s\n' "$(du -h "$f" | cut -f1)" "$f"
done < <(find "$bundle_dir" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.AppImage' \) -newermt "@$started" | sort)
if [ "$found" = 0 ]; then
  echo "error: no bundle was written under $bundle_dir" >&2
  exit 1
fi
bin="$target_dir/$profile/cirrus-desktop"
printf '  %s  %s (the binary inside)\n' "$(du -h "$bin" | cut -f1)" "$bin"
