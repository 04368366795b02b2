#!/usr/bin/env bash
# The clinicd package as a clinic's IT person meets it, on this machine:
# build it from a tree configured for /usr, check its contents, maintainer
# scripts and hardening, run lintian, install it with apt, start the daemon
# as the clinicd user on a loopback port, upgrade over itself, remove (data
# and configuration stay) and purge (the shipped configuration goes, an
# admin's files and the data stay unless CLINICD_PURGE_DATA=yes).
#
#   tests/package/package_test.sh [PACKAGE_BUILD_DIR]   (default build-deb)
#
# Root only, and it installs system-wide: CI runs it from .ci/run on a fresh
# machine. It refuses to run where clinicd is already installed and leaves
# the machine as it found it (package purged, data, user and config gone).
# Exit 77: cannot run here (not root, no apt).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-deb}
case "$build" in /*) ;; *) build=$root/$build ;; esac
started=$(date +%s)
port=${CLINICD_PACKAGE_TEST_PORT:-$((20000 + RANDOM % 20000))}

say() { echo "package_test: $*"; }
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
check() { # check DESCRIPTION COMMAND...: runs the command, fails with the description
  local what=$1; shift
  if "$@"; then say "ok: $what"; else fail "$what"; fi
}

[ "$(id -u)" -eq 0 ] || { say "skipped: needs root (it installs the package)"; exit 77; }
command -v apt-get >/dev/null || { say "skipped: no apt-get"; exit 77; }
command -v lintian >/dev/null || fail "lintian is not installed (packaging/deps.sh installs it)"
if dpkg-query -W -f='${Status}' clinicd 2>/dev/null | grep -q "installed\|config-files"; then
  say "skipped: a clinicd package is already installed here; not touching it"
  exit 77
fi
user_existed=no
getent passwd clinicd >/dev/null && user_existed=yes
[ -e /etc/clinicd ] && fail "/etc/clinicd exists without the package: not touching it"
[ -e /var/lib/clinicd ] && fail "/var/lib/clinicd exists without the package: not touching it"

work=$(mktemp -d /tmp/clinicd-package-test.XXXXXX)
daemon_pid=""
cleanup() {
  set +e
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  if dpkg-query -W -f='${Status}' clinicd 2>/dev/null | grep -q "installed\|config-files"; then
    CLINICD_PURGE_DATA=yes dpkg --purge clinicd >/dev/null 2>&1
  fi
  rm -rf /etc/clinicd /var/lib/clinicd /run/systemd/system/clinicd.service.d/package-test.conf
  [ "$user_existed" = no ] && getent passwd clinicd >/dev/null && userdel clinicd 2>/dev/null
  [ "$user_existed" = no ] && getent group clinicd >/dev/null && groupdel clinicd 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# --- A default build may not make a package --------------------------------
say "a tree configured for /usr/local must refuse to make a package"
cmake -S "$root" -B "$work/default-prefix" -DCLINICD_TESTS=OFF >/dev/null
if (cd "$work/default-prefix" && cpack -G DEB >"$work/refused.log" 2>&1); then
  fail "cpack made a package from a /usr/local tree"
fi
check "cpack names the packaging prefix" grep -q "CMAKE_INSTALL_PREFIX=/usr" "$work/refused.log"

# --- Build the packages -----------------------------------------------------
say "building in $build (prefix /usr)"
cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DCLINICD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
nice -n 10 cmake --build "$build" -j2 >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "build"; }
rm -f "$build"/clinicd*.deb
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$build"/clinicd_*.deb)
devdeb=$(ls "$build"/clinicd-dev_*.deb)
say "built $(basename "$deb") and $(basename "$devdeb") in $(( $(date +%s) - started )) s"

# --- Contents ----------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files"
mkdir "$work/x" "$work/control"
dpkg-deb -x "$deb" "$work/x"
dpkg-deb -e "$deb" "$work/control"
for f in /usr/sbin/clinicd /usr/sbin/clinicctl /lib/systemd/system/clinicd.service \
    /usr/lib/sysusers.d/clinicd.conf /usr/lib/tmpfiles.d/clinicd.conf \
    /usr/share/doc/clinicd/copyright /usr/share/doc/clinicd/changelog.Debian.gz \
    /usr/share/man/man8/clinicd.8.gz /usr/share/man/man8/clinicctl.8.gz \
    /etc/clinicd/clinicd.properties; do
  check "ships $f" grep -qx "$f" "$work/files"
done
plugindir=$(grep -o '/usr/lib/[^ ]*/clinicd/plugins/' "$work/files" | head -1)
for p in scheduling records prescriptions notifications metrics console; do
  check "ships the $p plugin" grep -qx "${plugindir}clinic_$p.so" "$work/files"
done
check "does not ship the example plugin" bash -c "! grep -q clinic_example $work/files"
check "does not ship the kernel's development symlink" bash -c "! grep -qE 'libclinic-kernel\.so$' $work/files"
check "does not ship headers" bash -c "! grep -q '^/usr/include' $work/files"
check "the installed configuration loads the product's plugins" \
  grep -qx "plugins.load = scheduling,records,prescriptions,notifications,metrics,console,fhir,reviews,staffaccess" \
  "$work/x/etc/clinicd/clinicd.properties"
check "conffiles lists the configuration" grep -qx /etc/clinicd/clinicd.properties "$work/control/conffiles"
for r in "$root"/lua/rules/*.lua; do
  check "conffiles lists rules/$(basename "$r")" grep -qx "/etc/clinicd/rules/$(basename "$r")" "$work/control/conffiles"
done

# Stripped and hardened: no symbol table; RELRO with BIND_NOW; fortified and
# stack-protected calls in the code.
for elf in "$work/x/usr/sbin/clinicd" "$work/x/usr/sbin/clinicctl" "$work/x"/usr/lib/*/clinicd/libclinic-kernel.so.* \
    "$work/x$plugindir"clinic_records.so; do
  name=${elf#"$work/x"}
  check "$name is stripped" bash -c "! readelf -S '$elf' | grep -q '\.symtab'"
  check "$name has RELRO" bash -c "readelf -lW '$elf' | grep -q GNU_RELRO"
  check "$name binds now" bash -c "readelf -dW '$elf' | grep -q 'BIND_NOW\|FLAGS.*NOW'"
done
kernel_so=$(ls "$work/x"/usr/lib/*/clinicd/libclinic-kernel.so.*.*)
check "the kernel uses fortified libc calls" bash -c "readelf --dyn-syms -W '$kernel_so' | grep -q '__[a-z_]*_chk'"
check "the kernel has stack protection" bash -c "readelf --dyn-syms -W '$kernel_so' | grep -q __stack_chk_fail"

# Maintainer scripts: debhelper's systemd shape, nothing that ignores
# policy-rc.d, and no rm -rf of the admin's /etc/clinicd.
for s in postinst prerm postrm; do
  check "$s is valid sh" sh -n "$work/control/$s"
  check "$s calls systemctl for daemon-reload only" \
    bash -c "! grep -E '^[^#]*systemctl' '$work/control/$s' | grep -v 'systemctl --system daemon-reload' | grep -q ."
done
check "postinst enables through deb-systemd-helper" grep -q "deb-systemd-helper enable" "$work/control/postinst"
check "postinst starts through deb-systemd-invoke" grep -q "deb-systemd-invoke" "$work/control/postinst"
check "prerm stops through deb-systemd-invoke" grep -q "deb-systemd-invoke stop" "$work/control/prerm"
check "postrm never deletes /etc/clinicd wholesale" bash -c "! grep -q 'rm -rf /etc/clinicd' '$work/control/postrm'"
check "postrm deletes data only when confirmed" grep -q 'CLINICD_PURGE_DATA' "$work/control/postrm"

# --- lintian -----------------------------------------------------------------
say "lintian:"
if ! lintian --fail-on error,warning --info "$deb" "$devdeb" | tee "$work/lintian.log"; then
  fail "lintian reports errors or warnings (above); fix them or override with a reason"
fi
say "lintian: $(grep -c . "$work/lintian.log" || true) line(s) of output (info/pedantic only)"

# --- Install -----------------------------------------------------------------
say "apt install $deb"
apt-get install -y "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt install"; }
check "the clinicd user exists" bash -c "getent passwd clinicd >/dev/null"
check "/var/lib/clinicd is clinicd's, 0750" test "$(stat -c '%U %a' /var/lib/clinicd)" = "clinicd 750"
check "/etc/clinicd is root:clinicd, 0750" test "$(stat -c '%U:%G %a' /etc/clinicd)" = "root:clinicd 750"
check "the configuration is root:clinicd, 0640" \
  test "$(stat -c '%U:%G %a' /etc/clinicd/clinicd.properties)" = "root:clinicd 640"
say "installed size: $(dpkg-query -W -f='${Installed-Size}' clinicd) KiB"

# clinicctl as root, the natural first step: it works as clinicd, so the
# database it creates is the daemon's.
password="package-test-password-1"
echo "$password" | clinicctl user add --username opsadmin --role admin --password-stdin >/dev/null
check "clinicctl as root made the database as clinicd" test "$(stat -c %U /var/lib/clinicd/clinicd.db)" = clinicd

# --- Start as the service user on a loopback port ----------------------------
start_daemon() {
  if [ "$(ps -p 1 -o comm=)" = systemd ] && [ -d /run/systemd/system ]; then
    mkdir -p /run/systemd/system/clinicd.service.d
    printf '[Service]\nEnvironment=CLINICD_HTTP_PORT=%s CLINICD_HTTP_ADDRESS=127.0.0.1\n' "$port" \
      >/run/systemd/system/clinicd.service.d/package-test.conf
    systemctl daemon-reload
    systemctl restart clinicd
  else
    runuser -u clinicd -- env CLINICD_HTTP_PORT="$port" CLINICD_HTTP_ADDRESS=127.0.0.1 \
      /usr/sbin/clinicd --config=/etc/clinicd/clinicd.properties >>"$work/daemon.log" 2>&1 &
    daemon_pid=$!
  fi
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$work/daemon.log" 2>/dev/null; journalctl -u clinicd --no-pager -n 50 2>/dev/null
  fail "clinicd did not become ready on port $port"
}
stop_daemon() {
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
  elif [ "$(ps -p 1 -o comm=)" = systemd ]; then
    systemctl stop clinicd
  fi
}
login() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"username\":\"opsadmin\",\"password\":\"$password\"}" "http://127.0.0.1:$port/api/v1/auth/login" |
    sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
}
start_daemon
daemon_main_pid() {
  if [ -n "$daemon_pid" ]; then
    pgrep -P "$daemon_pid" -x clinicd
  else
    systemctl show -p MainPID --value clinicd
  fi
}
check "the daemon runs as clinicd" test "$(ps -o user= -p "$(daemon_main_pid)")" = clinicd
token=$(login)
check "the admin made by clinicctl signs in" test -n "$token"
check "a fresh install serves patients (records loaded)" \
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/patients"
check "a fresh install serves doctors (scheduling loaded)" \
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/doctors"
check "metrics are served" bash -c "curl -fsS http://127.0.0.1:$port/metrics | grep -q clinicd_build_info"

# A database the daemon cannot write is not ready, and says which check fails.
chown root:root /var/lib/clinicd/clinicd.db
ready=$(curl -sS -o "$work/ready.json" -w '%{http_code}' "http://127.0.0.1:$port/health/ready")
check "readiness fails on a database clinicd cannot write (got $ready)" test "$ready" = 503
check "readiness names database_writable" grep -q database_writable "$work/ready.json"
chown clinicd:clinicd /var/lib/clinicd/clinicd.db
check "readiness passes again once it is clinicd's" \
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready"

clinicctl backup /var/lib/clinicd/backups/package-test >/dev/null
check "a backup made as root belongs to clinicd" \
  test "$(stat -c %U /var/lib/clinicd/backups/package-test/clinicd.db)" = clinicd

# --- Upgrade over itself -------------------------------------------------------
echo "# a local edit the upgrade must keep" >>/etc/clinicd/clinicd.properties
stop_daemon
say "upgrade: dpkg -i $(basename "$deb") again"
dpkg -i "$deb" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrade"; }
check "the upgrade kept the local edit" grep -q "a local edit the upgrade must keep" /etc/clinicd/clinicd.properties
start_daemon
check "the upgrade kept the data (the admin still signs in)" test -n "$(login)"
stop_daemon

# --- Remove: data and configuration stay ---------------------------------------
dpkg -r clinicd >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "remove"; }
check "remove took the daemon" test ! -e /usr/sbin/clinicd
check "remove kept the data" test -s /var/lib/clinicd/clinicd.db
check "remove kept the configuration" test -f /etc/clinicd/clinicd.properties

# --- Purge: the shipped configuration goes; the admin's files and the data stay
echo "an admin's own key" >/etc/clinicd/admin-tls.key
dpkg --purge clinicd >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
cat "$work/purge.log"
check "purge deleted the shipped configuration" test ! -e /etc/clinicd/clinicd.properties
check "purge deleted the shipped rules" bash -c "! ls /etc/clinicd/rules/*.lua 2>/dev/null | grep -q ."
check "purge kept the admin's own file" test -f /etc/clinicd/admin-tls.key
check "purge kept the data" test -s /var/lib/clinicd/clinicd.db
check "purge said how to delete the data" grep -q CLINICD_PURGE_DATA=yes "$work/purge.log"

# --- Purge with the admin's confirmation deletes the data -------------------------
rm -f /etc/clinicd/admin-tls.key
apt-get install -y "$deb" >>"$work/install.log" 2>&1 || fail "second install"
CLINICD_PURGE_DATA=yes dpkg --purge clinicd >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; fail "purge"; }
check "a confirmed purge deleted /var/lib/clinicd" test ! -e /var/lib/clinicd
check "a confirmed purge left no /etc/clinicd" test ! -e /etc/clinicd

say "passed in $(( $(date +%s) - started )) s"
