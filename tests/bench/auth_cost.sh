#!/bin/sh
# What identity costs: scrypt per hash, login latency (median and p99 over
# LOGINS logins) and the per-request token check (wrk on GET /api/v1/auth/me
# with a bearer token against GET /health/live, which checks nothing).
#
#   tests/bench/auth_cost.sh [BUILD_DIR]       (default: build)
#
# Runs a private clinicd on SQLite in a temporary directory on a free port,
# with the per-session rate limit off so wrk measures the check, not 429s.
set -eu

BUILD=${1:-build}
BIN=$(cd "$BUILD/bin" && pwd)
LOGINS=${LOGINS:-50}
DURATION=${DURATION:-10s}
PASSWORD='Bench-Password-2026-x'

for tool in curl wrk openssl python3; do
    command -v $tool >/dev/null || { echo "auth_cost: $tool is needed" >&2; exit 2; }
done

DIR=$(mktemp -d /tmp/clinicd-authcost.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$DIR/clinicd.properties" <<CONF
http.address = 127.0.0.1
http.port = $PORT
data.dir = $DIR/data
db.url = sqlite:$DIR/data/clinicd.db
plugins.dir = $BIN/../lib/plugins
log.level = warning
auth.rate_limit_per_minute = 0
CONF
mkdir -p "$DIR/data"
"$BIN/clinicd" --config="$DIR/clinicd.properties" >"$DIR/clinicd.log" 2>&1 &
PID=$!
i=0
until curl -fs "http://127.0.0.1:$PORT/health/live" >/dev/null; do
    i=$((i + 1)); [ $i -gt 200 ] && { cat "$DIR/clinicd.log"; exit 1; }
    sleep 0.05
done
echo "$PASSWORD" | "$BIN/clinicctl" --config="$DIR/clinicd.properties" user add \
    --username bench --role admin --password-stdin >/dev/null

echo "== scrypt N=2^15 r=8 p=1, 32-byte key (openssl kdf, 10 runs)"
python3 - <<'PY'
import subprocess, time
runs = []
for _ in range(10):
    t = time.perf_counter()
    subprocess.run(["openssl", "kdf", "-keylen", "32", "-kdfopt", "pass:password", "-kdfopt", "salt:0123456789abcdef",
                    "-kdfopt", "n:32768", "-kdfopt", "r:8", "-kdfopt", "p:1", "-kdfopt", "maxmem_bytes:67108864",
                    "SCRYPT"], check=True, capture_output=True)
    runs.append((time.perf_counter() - t) * 1000)
runs.sort()
print(f"per hash: median {runs[len(runs)//2]:.1f} ms, min {runs[0]:.1f} ms (includes starting openssl)")
PY

echo "== login latency over $LOGINS logins (POST /api/v1/auth/login, one scrypt verify each)"
: > "$DIR/logins"
n=0
while [ $n -lt "$LOGINS" ]; do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" \
        "http://127.0.0.1:$PORT/api/v1/auth/login" >>"$DIR/logins"
    n=$((n + 1))
done
python3 - "$DIR/logins" <<'PY'
import sys
v = sorted(float(x) * 1000 for x in open(sys.argv[1]) if x.strip())
p = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
print(f"n={len(v)} median {p(0.5):.1f} ms  p99 {p(0.99):.1f} ms  min {v[0]:.1f} ms  max {v[-1]:.1f} ms")
PY

TOKEN=$(curl -s -H 'Content-Type: application/json' -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/auth/me")" = 200 ]

echo "== wrk -t2 -c16 -d$DURATION GET /health/live (no token check)"
wrk -t2 -c16 -d"$DURATION" --latency "http://127.0.0.1:$PORT/health/live" | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== wrk -t2 -c16 -d$DURATION GET /api/v1/auth/me (HS256 verify + one sessions/users query)"
wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/auth/me" \
    | grep -E "Requests/sec|50%|99%|Non-2xx"
