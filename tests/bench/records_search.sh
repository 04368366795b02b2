#!/usr/bin/env bash
# Patient search latency (p50/p99, ms) with 100,000 patients stored, on SQLite
# and on a private MariaDB server, through the real clinicd. Prints figures.
#
#   tests/bench/records_search.sh [BUILD_DIR] [PATIENTS] [QUERIES]   (default ./build, 100000, 2000)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export RECORDS_BENCH_PATIENTS=${2:-100000}
export RECORDS_BENCH_QUERIES=${3:-2000}
make -s -C "$build" records_search clinicd clinicctl clinic_records >/dev/null
for backend in sqlite mariadb; do
    CLINICD_TEST_BACKEND=$backend "$build/bin/records_search" | grep -E '^records_search|^[0-9`|]|QUERY PLAN|SEARCH|SCAN' \
        || echo "records_search backend=$backend: no figure (skipped or failed)"
done
