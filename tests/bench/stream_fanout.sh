#!/usr/bin/env bash
# Live-update fan-out on SQLite and on a private MariaDB server: bookings/s
# with STREAMS open streams and the booking-to-stream delay. Figures only.
#
#   tests/bench/stream_fanout.sh [BUILD_DIR] [STREAMS] [SECONDS]   (default ./build, 100, 15)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export STREAM_BENCH_STREAMS=${2:-100}
export STREAM_BENCH_SECONDS=${3:-15}
make -s -C "$build" stream_fanout clinicd clinic_scheduling clinic_records >/dev/null
for backend in sqlite mariadb; do
    CLINICD_TEST_BACKEND=$backend "$build/bin/stream_fanout" | grep '^stream_fanout' \
        || echo "stream_fanout backend=$backend: no figure (skipped or failed)"
done
