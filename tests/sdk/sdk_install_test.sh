#!/bin/sh
# Usage: sdk_install_test.sh BUILD_DIR SOURCE_DIR
# Installs the build into a scratch root (DESTDIR, so the files the package
# puts under /etc and /lib/systemd land there too, never on this machine),
# builds plugins/example out of tree against it, and has the installed
# clinicd load the plugin it built.
set -eu
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/clinicd-sdk.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/clinicd

DESTDIR="$tmp/root" cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
root="$tmp/root$prefix"
for f in include/clinic/Plugin.h include/clinic/Host.h; do
  [ -f "$root/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
config=$(find "$root" -path '*/cmake/clinicd/clinicdConfig.cmake')
[ -n "$config" ] || { echo "FAIL: no clinicdConfig.cmake under $root"; exit 1; }
for f in clinicdConfigVersion.cmake clinicdTargets.cmake ClinicPlugin.cmake; do
  [ -f "$(dirname "$config")/$f" ] || { echo "FAIL: $f not beside clinicdConfig.cmake"; exit 1; }
done
echo "installed: $(dirname "$config")"

# Out of tree: a build directory outside the source tree, the SDK found only
# through CMAKE_PREFIX_PATH.
if ! cmake -S "$source/plugins/example" -B "$tmp/ex" -DCMAKE_PREFIX_PATH="$root" >"$tmp/configure.log" 2>&1; then
  cat "$tmp/configure.log"; echo "FAIL: the example did not configure against the installed SDK"; exit 1
fi
if ! cmake --build "$tmp/ex" -j2 >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log"; echo "FAIL: the example did not build against the installed SDK"; exit 1
fi
[ -f "$tmp/ex/clinic_example.so" ] || { ls -R "$tmp/ex"; echo "FAIL: no clinic_example.so"; exit 1; }
if grep -q "$source/kernel" "$tmp/ex/CMakeCache.txt" "$tmp/ex/CMakeFiles/clinic_example.dir/flags.make" 2>/dev/null; then
  echo "FAIL: the out-of-tree build used the source tree's kernel"; exit 1
fi

# The installed daemon loads it: --check-config loads every plugin of
# plugins.load from plugins.dir and exits 0 only if each one passes.
mkdir -p "$tmp/data"
cat >"$tmp/clinicd.properties" <<CONF
data.dir = $tmp/data
db.url = sqlite:$tmp/data/clinicd.db
plugins.dir = $tmp/ex
plugins.load = example
rules.dir = $source/lua/rules
CONF
if ! "$root/sbin/clinicd" --config="$tmp/clinicd.properties" --check-config >"$tmp/check.log" 2>&1; then
  cat "$tmp/check.log"; echo "FAIL: the installed clinicd refused the plugin built against the SDK"; exit 1
fi
grep -q "example" "$tmp/check.log" || { cat "$tmp/check.log"; echo "FAIL: check-config did not name the plugin"; exit 1; }
cat "$tmp/check.log"
echo "ok: clinic_example.so built against $root loads in the installed clinicd"
