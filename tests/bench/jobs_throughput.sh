#!/usr/bin/env bash
# Durable job throughput (jobs/s) on SQLite and on a private MariaDB server,
# with the default workers, for the issue notes. Prints figures only.
#
#   tests/bench/jobs_throughput.sh [BUILD_DIR] [JOBS]   (default ./build, 5000)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export JOBS_BENCH_N=${2:-5000}
make -s -C "$build" jobs_throughput clinicd clinic_jobstest >/dev/null
for backend in sqlite mariadb; do
    CLINICD_TEST_BACKEND=$backend "$build/bin/jobs_throughput" | grep '^jobs_throughput' \
        || echo "jobs_throughput backend=$backend: no figure (skipped or failed)"
done
