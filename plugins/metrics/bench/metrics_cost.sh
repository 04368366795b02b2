#!/usr/bin/env bash
# What serving Prometheus metrics costs clinicd.
#
#   plugins/metrics/bench/metrics_cost.sh [BUILD_DIR]     (default: build)
#
# The kernel counts every request (counter + histogram per route) whether or
# not the metrics plugin is loaded, so the comparison is:
#   A  plugins.load=example           - request metrics recorded, never served
#   B  plugins.load=metrics,example   - the same, plus GET /metrics
#   C  as B, with a scrape every 100 ms during the load (10x a 1 s scrape interval)
# For each: wrk -t2 -c16 -d10s --latency on GET /health/live (requests/s, p99).
# Then the time of one GET /metrics scrape (median and p90 over 200, curl's
# time_total) on daemon B after it has served that traffic plus a mix of
# routes and statuses. Figures are reported, never judged: on a shared 2-core
# machine wrk and the daemon compete for the same cores.
# ROUNDS=n repeats A/B/C n times, interleaved, to expose the noise (default 2).
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
rounds=${ROUNDS:-2}
duration=${DURATION:-10s}
for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "metrics_cost: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d /tmp/clinicd-metrics-cost.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_daemon NAME PLUGINS -> sets $port and $pid
start_daemon() {
  local name=$1 plugins=$2
  port=$(free_port)
  mkdir -p "$work/$name"
  cat > "$work/$name/clinicd.properties" <<CONF
http.address = 127.0.0.1
http.port = $port
data.dir = $work/$name/data
plugins.dir = $build/lib/plugins
plugins.load = $plugins
log.level = warning
log.format = plain
CONF
  "$build/bin/clinicd" --config="$work/$name/clinicd.properties" 2>"$work/$name/clinicd.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 250); do
    curl -fs "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  echo "metrics_cost: clinicd ($name) did not start:" >&2
  cat "$work/$name/clinicd.log" >&2
  exit 1
}

stop_daemon() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# run_wrk LABEL PORT: prints "LABEL  req/s  p50  p99"
run_wrk() {
  local label=$1 port=$2 out
  out=$(wrk -t2 -c16 -d"$duration" --latency "http://127.0.0.1:$port/health/live")
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-44s %10s req/s   p50 %8s   p99 %8s\n' "$label" "$rps" "$p50" "$p99"
}

echo "clinicd metrics cost: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), build $build"
echo "wrk -t2 -c16 -d$duration --latency http://127.0.0.1:PORT/health/live"
for round in $(seq 1 "$rounds"); do
  start_daemon "a$round" example
  run_wrk "round $round  A example only" "$port"
  stop_daemon "$pid"

  start_daemon "b$round" metrics,example
  run_wrk "round $round  B metrics,example" "$port"
  stop_daemon "$pid"

  start_daemon "c$round" metrics,example
  (while :; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 0.1; done) &
  scraper=$!
  run_wrk "round $round  C metrics,example + scrape/100ms" "$port"
  kill "$scraper"; wait "$scraper" 2>/dev/null || true
  stop_daemon "$pid"
done

# One scrape's cost, on a daemon that has served /health/live and a mix of
# routes and statuses, so the histogram has several series.
start_daemon scrape metrics,example
wrk -t2 -c16 -d3s "http://127.0.0.1:$port/health/live" >/dev/null
for i in $(seq 1 20); do
  curl -s -o /dev/null -X POST -d "{\"text\":\"note $i\"}" "http://127.0.0.1:$port/api/v1/example/notes"
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/example/notes/$i"
  curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/example/notes/99999$i"
  curl -s -o /dev/null -X POST -d '{}' "http://127.0.0.1:$port/api/v1/example/notes"
  curl -s -o /dev/null "http://127.0.0.1:$port/nothing/$i"
done
bytes=$(curl -s "http://127.0.0.1:$port/metrics" | wc -c)
series=$(curl -s "http://127.0.0.1:$port/metrics" | grep -vc '^#')
for _ in $(seq 1 200); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
done | sort -n | awk -v bytes="$bytes" -v series="$series" '
  { t[NR] = $1 }
  END {
    printf "GET /metrics (%d bytes, %d samples): median %.3f ms, p90 %.3f ms, max %.3f ms over %d scrapes\n",
      bytes, series, t[int(NR/2)] * 1000, t[int(NR*0.9)] * 1000, t[NR] * 1000, NR
  }'
stop_daemon "$pid"
