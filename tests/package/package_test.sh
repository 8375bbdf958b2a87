#!/usr/bin/env bash
# The Debian package (scripts/make-deb.sh) built, inspected, installed into this machine with
# dpkg, run as installed, its unit checked with systemd-analyze, and purged again. Needs root:
# it installs a package and creates the hookd user (removed afterwards when the test made it).
# Usage: tests/package/package_test.sh <build-dir>
set -uo pipefail
build="$(cd "${1:?build dir}" && pwd)"
top="$(cd "$(dirname "$0")/../.." && pwd)"
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { # check "description" command...
  local what="$1"
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
quiet() { "$@" >/dev/null 2>&1; }
finish() {
  echo "package: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

[ "$(id -u)" -eq 0 ] || { not_ok "the package test needs root (dpkg -i)"; finish; }
if dpkg-query -W -f='${Status}' hookd 2>/dev/null | grep -q installed; then
  not_ok "hookd is installed on this machine already; the test installs and purges it: remove it first"
  finish
fi
user_existed=no
getent passwd hookd >/dev/null && user_existed=yes
work="$(mktemp -d "${TMPDIR:-/tmp}/hookd-package-test.XXXXXX")"
chmod 0755 "$work"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  dpkg-query -W -f='${Status}' hookd 2>/dev/null | grep -q 'ok installed\|config-files' &&
    dpkg --purge hookd >/dev/null 2>&1
  if [ "$user_existed" = no ] && getent passwd hookd >/dev/null; then
    userdel hookd 2>/dev/null
    getent group hookd >/dev/null && groupdel hookd 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---- build and inspect
deb="$("$top/scripts/make-deb.sh" "$build" "$work/out" | tail -n 1)"
check "make-deb.sh builds a .deb" test -f "$deb"
[ -f "$deb" ] || finish
info="$(dpkg-deb --info "$deb")"
contents="$(dpkg-deb --contents "$deb")"
version="$("$build/hookd" version | awk '{print $2}')"
field() { dpkg-deb --field "$deb" "$1"; }
check "Package is hookd" test "$(field Package)" = hookd
check "Version is the binary's ($version-1)" test "$(field Version)" = "$version-1"
check "Architecture is this machine's" test "$(field Architecture)" = "$(dpkg --print-architecture)"
for dep in libc6 libsqlite3-0 libssl3 libpistache0 libjemalloc2 passwd; do
  check "Depends names $dep" grep -qE "(^|, )$dep(,|$)" <<<"$(field Depends)"
done
check "conffiles lists /etc/default/hookd" grep -q '^ */etc/default/hookd$' <<<"$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)"
check "the maintainer scripts are in the package" grep -q 'postinst' <<<"$info"
has() { # has MODE PATH: a line of the contents with that mode, root/root, and that path
  grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" <<<"$contents"
}
check "/usr/bin/hookd, 0755 root" has '-rwxr-xr-x' 'usr/bin/hookd'
check "the unit in /lib/systemd/system" has '-rw-r--r--' 'lib/systemd/system/hookd\.service'
check "/etc/default/hookd, 0600 root" has '-rw-------' 'etc/default/hookd'
check "copyright" has '-rw-r--r--' 'usr/share/doc/hookd/copyright'
check "changelog.Debian.gz" has '-rw-r--r--' 'usr/share/doc/hookd/changelog\.Debian\.gz'
check "OPERATIONS.md" has '-rw-r--r--' 'usr/share/doc/hookd/OPERATIONS\.md'
check "nothing outside usr/, lib/, etc/" test -z "$(awk '{print $6}' <<<"$contents" | grep -vE '^\./($|usr/|lib/|etc/)')"

# ---- install
if dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1; then ok "dpkg -i installs it"; else
  not_ok "dpkg -i installs it"; cat "$work/dpkg-i.log"; finish
fi
check "dpkg says installed" grep -q 'install ok installed' <<<"$(dpkg-query -W -f='${Status}' hookd)"
check "/usr/bin/hookd version prints $version" test "$(/usr/bin/hookd version)" = "hookd $version"
check "the hookd system user exists, with no login shell" \
  test "$(getent passwd hookd | cut -d: -f7)" = /usr/sbin/nologin
check "hookd's uid is a system uid" test "$(id -u hookd)" -lt 1000
check "/etc/default/hookd is 0600 root" test "$(stat -c '%a %U' /etc/default/hookd)" = "600 root"
check "the unit is enabled (multi-user.target.wants)" \
  test -L /etc/systemd/system/multi-user.target.wants/hookd.service
# Installing again runs the postinst as an upgrade does: the user exists, the conffile was edited.
echo "# edited here" >>/etc/default/hookd
check "installing it again (as an upgrade) works" quiet dpkg -i "$deb"
check "and keeps the edited /etc/default/hookd" grep -qx "# edited here" /etc/default/hookd
check "and the one hookd user" test "$(getent passwd hookd | wc -l)" -eq 1
if [ -d /run/systemd/system ]; then
  echo "# systemd runs here: the postinst started the unit"
else
  check "no systemd running: the postinst started nothing" test -z "$(pgrep -u hookd -x hookd)"
fi

# ---- the unit
unit=/lib/systemd/system/hookd.service
if command -v systemd-analyze >/dev/null; then
  # verify exits 0 on a bad value or an unknown key and only says so: nothing said is the pass.
  out="$(systemd-analyze verify "$unit" 2>&1)"
  rc=$?
  check "systemd-analyze verify passes on the unit, with nothing to say${out:+: $out}" \
    test "$rc" -eq 0 -a -z "$out"
  sed 's/^ProtectSystem=strict$/ProtectSystem=strictly/' "$unit" >"$work/hookd.service"
  check "the verify check fails a unit with a bad value" \
    test -n "$(systemd-analyze verify "$work/hookd.service" 2>&1)"
  check "systemd-analyze security rates the unit at most 2.0 exposure" \
    quiet systemd-analyze security --offline=true --threshold=20 "$unit"
  for key in ProtectSystem=strict NoNewPrivileges=yes StateDirectory=hookd User=hookd \
    PrivateTmp=yes PrivateDevices=yes ProtectHome=yes CapabilityBoundingSet= \
    SystemCallFilter=@system-service EnvironmentFile=-/etc/default/hookd; do
    check "the unit has $key" grep -qx "$key" "$unit"
  done
else
  not_ok "systemd-analyze is missing (scripts/install-deps.sh test installs systemd)"
fi

# ---- run the installed binary as the unit would: the hookd user, /etc/default/hookd's settings,
# a temp data dir in place of /var/lib/hookd, free ports in place of 8080/8081.
data="$work/data"
install -d -m 0700 -o hookd -g hookd "$data"
mapfile -t settings < <(grep -E '^HOOKD_[A-Z_]+=' /etc/default/hookd)
check "/etc/default/hookd sets HOOKD_DATA_DIR=/var/lib/hookd" \
  grep -qx 'HOOKD_DATA_DIR=/var/lib/hookd' /etc/default/hookd
env -i PATH=/usr/bin:/bin "${settings[@]}" HOOKD_DATA_DIR="$data" \
  HOOKD_LISTEN=127.0.0.1:0 HOOKD_STREAM_LISTEN=127.0.0.1:0 \
  setpriv --reuid=hookd --regid=hookd --init-groups --no-new-privs /usr/bin/hookd serve \
  >"$work/serve.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 1 100); do
  base="$(sed -n 's/^.* INFO listening url=\(http:[^ ]*\).*$/\1/p' "$work/serve.log")"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
check "the installed hookd starts as the hookd user" test -n "$base"
if [ -n "$base" ]; then
  check "/healthz answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200
  check "/readyz answers 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200
  check "hookd.db is hookd's, 0600" test "$(stat -c '%a %U' "$data/hookd.db")" = "600 hookd"
  check "the generated admin_token is hookd's, 0600" test "$(stat -c '%a %U' "$data/admin_token")" = "600 hookd"
  check "the hookd user can back up the running database" \
    quiet setpriv --reuid=hookd --regid=hookd --init-groups /usr/bin/hookd backup \
    --data-dir "$data" --to "$data/backup.db"
fi
[ -n "$base" ] || cat "$work/serve.log"
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""

# ---- remove and purge
check "dpkg -r removes it" quiet dpkg -r hookd
check "the binary is gone" test ! -e /usr/bin/hookd
check "the conffile stays until purge" test -f /etc/default/hookd
check "dpkg --purge purges it" quiet dpkg --purge hookd
check "dpkg knows it no more" test -z "$(dpkg-query -W -f='${Status}' hookd 2>/dev/null)"
check "the conffile is gone" test ! -e /etc/default/hookd
check "the unit is gone" test ! -e "$unit"
if [ "$user_existed" = no ]; then
  # A purge keeps the user (docs/OPERATIONS.md); the test leaves the machine as it found it.
  check "the test deletes the hookd user the postinst made" quiet userdel hookd
  check "and its group" test -z "$(getent group hookd)"
fi
check "no enable link or mask is left" test ! -e /etc/systemd/system/multi-user.target.wants/hookd.service -a ! -L /etc/systemd/system/multi-user.target.wants/hookd.service -a ! -L /etc/systemd/system/hookd.service
finish
