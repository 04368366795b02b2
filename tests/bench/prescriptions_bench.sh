#!/usr/bin/env bash
# The prescriptions plugin's figures, for the issue notes:
#  1. prescriptions issued per second through HTTP with 16 connections
#     (wrk -t2 -c16, 15 s), each POST /api/v1/prescriptions checked by
#     before_prescribe with the three example scripts of lua/examples loaded,
#     written with its items, audit rows, event and notice job; SQLite;
#  2. the cost of one before_prescribe call with those scripts (median, p99),
#     measured in-process by prescribe_rules_cost.
# Prints figures only; nothing here passes or fails on time.
#
#   tests/bench/prescriptions_bench.sh [BUILD_DIR] [SECONDS]   (default ./build, 15)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
seconds=${2:-15}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
clinicd="$build/bin/clinicd"
clinicctl="$build/bin/clinicctl"
plugin_dir="$build/lib/plugins"
for b in "$clinicd" "$clinicctl" "$plugin_dir/clinic_prescriptions.so"; do
    [[ -e $b ]] || { echo "no $b: build first" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 2; }

source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"

work=$(mktemp -d /tmp/clinicd-rx-bench-XXXXXX)
pid=
cleanup() {
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/rules"
cp "$source_dir/lua/examples/penicillin_allergy.lua" "$work/rules/rx-1-allergy.lua"
cp "$source_dir/lua/examples/duplicate_therapy.lua" "$work/rules/rx-2-duplicates.lua"
cp "$source_dir/lua/examples/child_dose.lua" "$work/rules/rx-3-child-dose.lua"
cat >"$work/clinicd.properties" <<CONF
http.address = 127.0.0.1
http.port = $port
data.dir = $work/data
plugins.dir = $plugin_dir
plugins.load = records,scheduling,prescriptions
rules.dir = $work/rules
auth.rate_limit_per_minute = 0
log.level = warning
log.format = plain
CONF

"$clinicd" --config="$work/clinicd.properties" 2>"$work/clinicd.log" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 3000); do
    kill -0 "$pid" 2>/dev/null || { echo "clinicd exited; its log:" >&2; cat "$work/clinicd.log" >&2; exit 1; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready" || true) == 200 ]] && break
    sleep 0.01
done

password='bench-Password-2027!'
echo "$password" | "$clinicctl" --config="$work/clinicd.properties" user add --username bench.admin --role admin \
    --password-stdin >/dev/null
"$clinicctl" --config="$work/clinicd.properties" import-drugs "$source_dir/data/demo/drugs.csv" >/dev/null

# The clinic: one doctor with an account, 400 adult patients with an allergy
# on record, so every script's loop runs.
eval "$(BASE=$base PASSWORD=$password python3 - <<'PY'
import json, os, urllib.request
base, password = os.environ["BASE"], os.environ["PASSWORD"]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")
admin = call("POST", "/api/v1/auth/login", {"username": "bench.admin", "password": password})["access_token"]
loc = call("POST", "/api/v1/locations", {"name": "Bench", "address": "Strada 1", "city": "Cluj", "county": "Cluj",
    "timezone": "Europe/Bucharest"}, admin)["id"]
svc = call("POST", "/api/v1/services", {"name": "Consult", "department": "gp", "duration_min": 20,
    "price_minor": 10000, "currency": "RON"}, admin)["id"]
doc = call("POST", "/api/v1/doctors", {"name": "Dr. Bench", "specialty": "gp", "location_id": loc,
    "service_ids": [svc]}, admin)["id"]
call("POST", "/api/v1/users", {"username": "bench.doctor", "role": "doctor", "password": password,
    "doctor_id": doc}, admin)
token = call("POST", "/api/v1/auth/login", {"username": "bench.doctor", "password": password})["access_token"]
first = None
for i in range(400):
    p = call("POST", "/api/v1/patients", {"first_name": "Bench", "last_name": "Patient%d" % i,
        "birth_date": "1970-01-01", "sex": "female", "phone": "+40 700 %06d" % i,
        "allergies": ["penicillin"], "force": True}, admin)["id"]
    first = first or p
drugs = call("GET", "/api/v1/drugs?q=ibuprofen", token=token)["items"]
print("TOKEN=%s FIRST=%d COUNT=400 DRUG=%d" % (token, first, drugs[0]["id"]))
PY
)"

cat >"$work/prescribe.lua" <<'LUA'
-- One prescription per request, round robin over the patients. The same
-- drug again is a duplicate-therapy warning: override_reason lets it through,
-- so every request runs the whole rule chain and is written.
local token, first, count, drug = os.getenv("TOKEN"), tonumber(os.getenv("FIRST")),
  tonumber(os.getenv("COUNT")), tonumber(os.getenv("DRUG"))
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"patient_id":%d,"items":[{"drug_id":%d,"dose":"400 mg","frequency":"3 times a day",'
    .. '"duration_days":5,"quantity":15}],"override_reason":"bench"}', first + (n % count), drug)
  return wrk.format("POST", "/api/v1/prescriptions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
LUA

wrk_out=$(TOKEN=$TOKEN FIRST=$FIRST COUNT=$COUNT DRUG=$DRUG \
    wrk -t2 -c16 -d"${seconds}s" --latency -s "$work/prescribe.lua" "$base")
rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wrk_out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$wrk_out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$wrk_out")
errors=$(grep -E 'Non-2xx|Socket errors' <<<"$wrk_out" || true)
stored=$(curl -s -H "Authorization: Bearer $TOKEN" "$base/api/v1/prescriptions?patient_id=$FIRST&limit=500" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')

echo "prescriptions/s:    ${rps} (wrk -t2 -c16 -d${seconds}s, SQLite, before_prescribe with 3 example scripts)"
echo "latency:            p50 ${p50}, p99 ${p99}"
echo "stored for patient ${FIRST}: ${stored} (check that requests were written)"
[[ -n $errors ]] && echo "wrk reported:       $errors"

cost="$build/bin/prescribe_rules_cost"
[[ -x $cost ]] || cmake --build "$build" --target prescribe_rules_cost >/dev/null 2>&1 || true
if [[ -x $cost ]]; then
    "$cost" 100000 10
else
    echo "no $cost: cmake --build $build --target prescribe_rules_cost for the per-call cost"
fi
