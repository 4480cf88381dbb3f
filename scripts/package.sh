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

# Generated per build: a Debian changelog naming the workspace version, and the man page
# compressed as Debian wants it (gzip -9n: no name or time stamp inside).
gen="$target_dir/packaging"
mkdir -p "$gen"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
when=$(git log -1 --format=%aD 2>/dev/null || date -R)
cat >"$gen/changelog" <<CHANGES
cirrus ($version) unstable; urgency=medium

  * Cirrus $version, bundled with the Tauri bundler.

 -- The Cirrus developers <cirrus@example.invalid>  $when
CHANGES
gzip -9n <"$gen/changelog" >"$gen/changelog.gz"
gzip -9n <src-tauri/packaging/cirrus-desktop.1 >"$gen/cirrus-desktop.1.gz"
# Added as plain files: the bundler's own `changelog` option files it under the product name
# (usr/share/doc/Cirrus/), not the package name that Debian tools look under.
cat >"$gen/tauri.package.json" <<JSON
{"bundle": {"linux": {"deb": {"files": {
  "/usr/share/doc/cirrus/changelog.gz": "$gen/changelog.gz",
  "/usr/share/man/man1/cirrus-desktop.1.gz": "$gen/cirrus-desktop.1.gz"
}}}}}
JSON

args=(build --bundles deb --ci --config "$gen/tauri.package.json")
if [ "$profile" != release ]; then args+=(-- --profile "$profile"); fi
started=$(date +%s)
"$tauri" "${args[@]}"
bundle_dir="$target_dir/$profile/bundle"
# Debian names a package file <package>_<version>_<arch>.deb; the bundler uses the product
# name ("Cirrus_…"), so the file is renamed after the control fields.
for f in "$bundle_dir"/deb/*.deb; do
  [ -e "$f" ] || continue
  want="$bundle_dir/deb/$(dpkg-deb -f "$f" Package)_$(dpkg-deb -f "$f" Version)_$(dpkg-deb -f "$f" Architecture).deb"
  [ "$f" = "$want" ] || mv -f "$f" "$want"
done
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
