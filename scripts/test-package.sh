#!/usr/bin/env bash
# The package test: builds the .deb (with the cheaper `package-test` profile unless
# CIRRUS_PACKAGE_PROFILE says otherwise), installs NOTHING on this machine, and checks what a
# user would get: it unpacks the .deb with `dpkg-deb -x` into a temp dir, checks its control
# fields and files (binary, desktop entry, icons, no build paths, no debug symbols), runs lintian
# (errors fail, warnings are listed), then drives the PACKAGED binary under Xvfb through the
# end-to-end harness: sign in to a sandbox, list the drive, quit.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${CIRRUS_PACKAGE_PROFILE:-package-test}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
ok() { echo "ok: $*"; }

started=$(date +%s)
if [ "${CIRRUS_PACKAGE_SKIP_BUILD:-0}" != 1 ]; then
  scripts/package.sh --profile "$profile"
fi
built=$(date +%s)
deb=$(ls -t "$target/$profile/bundle/deb/"*.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || { echo "FAIL: no .deb under $target/$profile/bundle/deb" >&2; exit 1; }
echo "== checking $deb ($(du -h "$deb" | cut -f1))"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
dpkg-deb -x "$deb" "$root"

# Control fields: name, version from the workspace, maintainer, runtime dependencies.
field() { dpkg-deb -f "$deb" "$1"; }
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[ "$(field Package)" = cirrus ] && ok "package name cirrus" || fail "Package is '$(field Package)', not cirrus"
[ "$(field Version)" = "$version" ] && ok "version $version (workspace)" || fail "Version '$(field Version)' is not the workspace's $version"
[ -n "$(field Maintainer)" ] && ok "maintainer $(field Maintainer)" || fail "no Maintainer"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  field Depends | grep -q "$dep" && ok "depends on $dep" || fail "Depends lacks $dep: $(field Depends)"
done

# The binary.
bin="$root/usr/bin/cirrus-desktop"
[ -x "$bin" ] && ok "usr/bin/cirrus-desktop ($(du -h "$bin" | cut -f1))" || fail "no executable usr/bin/cirrus-desktop"
if [ -x "$bin" ]; then
  if readelf -S --wide "$bin" | grep -Eq '\.(debug_[a-z]+|symtab)\b'; then
    fail "the binary has debug sections or a symbol table: $(readelf -S --wide "$bin" | grep -Eo '\.(debug_[a-z]+|symtab)' | sort -u | tr '\n' ' ')"
  else
    ok "no debug sections, no symbol table"
  fi
  # Paths of the machine that built it (home, checkout, target dir) must not be in the binary.
  for p in "$HOME/" "$PWD/" "$target/"; do
    n=$(grep -a -o -F "$p" "$bin" | wc -l || true)
    [ "$n" = 0 ] && ok "no '$p' in the binary" || fail "the binary contains '$p' $n times, e.g. $(strings -n 8 "$bin" | grep -F "$p" | head -3 | tr '\n' ' ')"
  done
fi

# The desktop entry.
entry=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -1 || true)
if [ -z "$entry" ]; then
  fail "no desktop entry under usr/share/applications"
else
  if out=$(desktop-file-validate "$entry" 2>&1) && [ -z "$out" ]; then ok "$(basename "$entry") validates"; else fail "desktop-file-validate: $out"; fi
  for line in '^Exec=cirrus-desktop %F$' '^Name\[zh_CN\]=' '^Comment\[zh_CN\]=' '^Icon=cirrus-desktop$' '^MimeType='; do
    grep -Eq "$line" "$entry" && ok "desktop entry has $line" || fail "desktop entry lacks $line"
  done
fi

# Icons in every size a desktop asks for.
for s in 16 24 32 48 64 128 256 512; do
  icon=$(ls "$root"/usr/share/icons/hicolor/${s}x${s}*/apps/cirrus-desktop.png "$root"/usr/share/icons/hicolor/$((s / 2))x$((s / 2))@2*/apps/cirrus-desktop.png 2>/dev/null | head -1 || true)
  [ -n "$icon" ] && ok "icon ${s}px" || fail "no ${s}x${s} icon"
done

for f in usr/share/doc/cirrus/copyright usr/share/doc/cirrus/changelog.gz usr/share/man/man1/cirrus-desktop.1.gz; do
  [ -s "$root/$f" ] && ok "$f" || fail "no $f"
done

# lintian: errors fail the test; warnings are printed (the README lists them).
echo "== lintian"
lint=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges" || true)
echo "${lint:-  (nothing to report)}" | sed 's/^/  /'
if grep -q '^E:' <<<"$lint"; then fail "lintian reports errors"; else ok "lintian: no errors"; fi

# The packaged binary under Xvfb, through the end-to-end harness.
echo "== smoke journey with the packaged binary"
if CIRRUS_APP="$bin" CIRRUS_E2E_SPECS="specs/package.test.js" CIRRUS_ARTIFACTS="$PWD/artifacts/package" scripts/e2e.sh; then
  ok "smoke journey"
else
  fail "smoke journey with the packaged binary"
fi

echo "== package test: build $(( built - started )) s, checks $(( $(date +%s) - built )) s"
[ $status = 0 ] && echo "package test passed" || echo "package test FAILED" >&2
exit $status
