#!/usr/bin/env bash
# The kernel's health figures, for the issue notes: start-to-ready time, idle
# RSS with every product plugin loaded, and GET /health/live under wrk.
# Prints figures only; nothing here passes or fails on time.
#
#   tests/bench/kernel_health.sh [BUILD_DIR]      (default ./build)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
clinicd="$build/bin/clinicd"
plugin_dir="$build/lib/plugins"
[[ -x $clinicd ]] || { echo "no $clinicd: build first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }

# Every product plugin: a module whose source lives in plugins/NAME. Test-only
# modules (clinic_testkit, the broken-plugin suites) have no such folder.
plugins=()
for so in "$plugin_dir"/clinic_*.so; do
    [[ -e $so ]] || continue
    name=$(basename "$so" .so)
    name=${name#clinic_}
    [[ -f $source_dir/plugins/$name/CMakeLists.txt ]] && plugins+=("$name")
done
load=$(IFS=,; echo "${plugins[*]:-}")

# A loopback port nobody answers on.
source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"

work=$(mktemp -d /tmp/clinicd-bench-XXXXXX)
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/clinicd.properties" <<CONF
http.address = 127.0.0.1
http.port = $port
data.dir = $work/data
plugins.dir = $plugin_dir
plugins.load = $load
rules.dir = $source_dir/lua/rules
log.level = warning
log.format = plain
CONF

start_ns=$(date +%s%N)
"$clinicd" --config="$work/clinicd.properties" 2>"$work/clinicd.log" &
pid=$!
ready=
for _ in $(seq 1 6000); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "clinicd exited while starting; its log:" >&2
        cat "$work/clinicd.log" >&2
        exit 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)
    if [[ $code == 200 ]]; then
        ready=$(date +%s%N)
        break
    fi
    sleep 0.005
done
if [[ -z $ready ]]; then
    echo "clinicd was not ready in 30 s; /health/ready says:" >&2
    curl -s "http://127.0.0.1:$port/health/ready" >&2 || true
    exit 1
fi
start_ms=$(((ready - start_ns) / 1000000))

sleep 1 # let start-up allocations settle before reading the idle footprint
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")

wrk_out=$(wrk -t2 -c16 -d10s --latency "http://127.0.0.1:$port/health/live")
rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wrk_out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$wrk_out")
errors=$(grep -E 'Non-2xx|Socket errors' <<<"$wrk_out" || true)

kill -TERM "$pid"
wait "$pid" && exit_code=0 || exit_code=$?
pid=

echo "clinicd:            $("$clinicd" --version)"
echo "plugins loaded:     ${load:-(none)}"
echo "start to ready:     ${start_ms} ms"
printf 'idle RSS:           %.1f MiB\n' "$(awk -v kb="$rss_kb" 'BEGIN {print kb / 1024}')"
echo "GET /health/live:   ${rps} requests/s, p99 ${p99} (wrk -t2 -c16 -d10s)"
[[ -n $errors ]] && echo "wrk reported:       $errors"
echo "exit after SIGTERM: $exit_code"
