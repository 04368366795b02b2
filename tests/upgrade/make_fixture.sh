#!/usr/bin/env bash
# Makes fixtures/first-schema.sqlite: a database written by the clinicd of
# the commit where the first clinic schema landed (e1f5d62, the first with
# both records and scheduling: every stream at its first landed schema
# except the kernel's, which is as of that commit), with the demo clinic and
# a few API writes. Run once by hand; the result is committed, with
# fixtures/first-schema.manifest (rows per table) beside it.
#
#   git worktree add --detach /tmp/old e1f5d62
#   cmake -S /tmp/old -B /tmp/old/build -DCLINICD_TESTS=OFF && cmake --build /tmp/old/build
#   tests/upgrade/make_fixture.sh /tmp/old
set -euo pipefail

old=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
source "$here/../bench/free_port.sh"

cat > "$work/clinicd.properties" <<CONF
http.address = 127.0.0.1
http.port = $port
data.dir = $work/data
plugins.dir = $old/build/lib/plugins
plugins.load = records,scheduling,example
rules.dir = $old/lua/rules
db.url = sqlite:$work/data/clinicd.db
log.level = warning
clock.start = 2027-03-01T08:00:00Z
CONF
ctl() { "$old/build/bin/clinicctl" --config="$work/clinicd.properties" "$@"; }
ctl migrate
ctl seed-demo --dir="$old/data/demo"
echo "fixture-admin-password-1" | ctl user add --username fixture.admin --role admin --password-stdin
"$old/build/bin/clinicd" --config="$work/clinicd.properties" &
pid=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null && break
    sleep 0.1
done
api() { # METHOD PATH [BODY]
    curl -fsS -X "$1" "http://127.0.0.1:$port$2" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"}
    echo
}
token=$(curl -fsS "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"fixture.admin","password":"fixture-admin-password-1"}' \
    | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

api POST /api/v1/patients '{"first_name":"Ștefan","last_name":"Țăranu","birth_date":"1961-02-28","sex":"male","phone":"+40 721 000 001","email":"stefan@example.ro","language":"ro","allergies":["penicilină"]}'
api POST /api/v1/patients '{"first_name":"Ana","last_name":"O'"'"'Brien","birth_date":"1990-12-31","sex":"female","phone":"+40 721 000 002","language":"en","allergies":[]}'
api POST /api/v1/patients '{"first_name":"Ioana","last_name":"Pop","birth_date":"2019-07-01","sex":"female","phone":"+40 721 000 003","language":"ro","allergies":["latex","ibuprofen"]}'
api PATCH /api/v1/patients/2 '{"phone":"+40 721 000 022"}'
api POST /api/v1/patients/1/encounters '{"doctor_id":1,"summary":"Control; tensiune crescută, revine peste 2 săptămâni","diagnoses":[{"code":"I10","system":"ICD-10","text":"Hipertensiune esențială"}]}'
api POST /api/v1/patients/1/vitals '{"taken_at":"2027-03-01T07:30:00Z","systolic":150,"diastolic":95,"pulse":80,"temperature_c":36.7,"weight_kg":82.5,"height_cm":176,"spo2":97}'
api POST /api/v1/patients/3/lab-results '{"test":"Hemoglobină","value":"12.1","unit":"g/dL","reference_range":"11.5-15.5","flag":"normal","taken_at":"2027-02-27T07:00:00Z"}'
api POST /api/v1/doctors/1/time-off '{"start":"2027-04-10T06:00:00Z","end":"2027-04-12T18:00:00Z","reason":"Concediu"}'
api POST /api/v1/example/notes '{"text":"first schema, kept through every upgrade"}' || true

kill -TERM $pid
wait $pid || true
pid=
db=$work/data/clinicd.db
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE); VACUUM;' >/dev/null
cp "$db" "$here/fixtures/first-schema.sqlite"
{
    echo "# rows per table of first-schema.sqlite, made by $(git -C "$old" rev-parse --short HEAD) ($(git -C "$old" log -1 --format=%s))"
    for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name;"); do
        echo "$t $(sqlite3 "$db" "SELECT COUNT(*) FROM \"$t\";")"
    done
} > "$here/fixtures/first-schema.manifest"
cat "$here/fixtures/first-schema.manifest"
