#!/usr/bin/env bash
# Builds the Debian package of hookd from a built tree: a staged file tree packed by dpkg-deb
# (no debhelper, no network). Prints the path of the .deb on its last line.
# Usage: scripts/make-deb.sh <build-dir> [out-dir]     (out-dir defaults to <build-dir>/deb)
set -euo pipefail
build="$(cd "${1:?build dir}" && pwd)"
top="$(cd "$(dirname "$0")/.." && pwd)"
out="${2:-$build/deb}"
pkg="$top/deploy/debian"
bin="$build/hookd"
[ -x "$bin" ] || { echo "make-deb: no hookd binary in $build (build it first)" >&2; exit 1; }

upstream="$("$bin" version | awk '{print $2}')"
[ -n "$upstream" ] || { echo "make-deb: $bin version printed no version" >&2; exit 1; }
version="${upstream}-1"
arch="$(dpkg --print-architecture)"

stage="$(mktemp -d "${TMPDIR:-/tmp}/hookd-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
root="$stage/hookd_${version}_${arch}"
umask 022
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/default" \
  "$root/usr/share/doc/hookd"
# The binary without its debug information (a tenth of the size).
objcopy --strip-debug --strip-unneeded "$bin" "$root/usr/bin/hookd"
chmod 0755 "$root/usr/bin/hookd"
install -m 0644 "$pkg/hookd.service" "$root/lib/systemd/system/hookd.service"
# May hold the admin token: root's alone. systemd reads it before dropping to the hookd user.
install -m 0600 "$pkg/hookd.default" "$root/etc/default/hookd"
install -m 0644 "$pkg/copyright" "$root/usr/share/doc/hookd/copyright"
install -m 0644 "$top/docs/OPERATIONS.md" "$root/usr/share/doc/hookd/OPERATIONS.md"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")/" \
  "$pkg/changelog" | gzip -9n >"$root/usr/share/doc/hookd/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/hookd/changelog.Debian.gz"
for script in postinst prerm postrm; do install -m 0755 "$pkg/$script" "$root/DEBIAN/$script"; done
install -m 0644 "$pkg/conffiles" "$root/DEBIAN/conffiles"

# Depends: the package of every shared library the binary loads, as dpkg knows them here.
depends="$(ldd "$bin" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
  real="$(readlink -f "$lib")"
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null ||
    { echo "make-deb: no package owns $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')"
[ -n "$depends" ] || { echo "make-deb: found no library packages for Depends" >&2; exit 1; }
# useradd and groupadd for the postinst.
depends="$depends, passwd"

size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" \
  -e "s/@DEPENDS@/$depends/" "$pkg/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/hookd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
