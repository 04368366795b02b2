#!/usr/bin/env bash
# Bookings beside slow clients: 16 connections book on the demo clinic for
# 15 s quiet, then 15 s while 64 connections drip a request head and 64 drip
# a body one byte a second (tests/bench/http_slow_clients.cpp says what each
# line measures). Prints both runs' p99 and their ratio; fails only on a slow
# connection not refused with 408 by its deadline or a booking lost or
# doubled, never on time.
#
#   tests/bench/http_slow_clients.sh [BUILD_DIR] [SECONDS]
#       (default ./build, 15 s per run)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export HTTP_SLOW_SECONDS=${2:-15}
cmake --build "$build" -j1 --target http_slow_clients clinicd clinicctl clinic_scheduling clinic_records >/dev/null
echo "http_slow_clients load_average=\"$(cut -d' ' -f1-3 /proc/loadavg)\" cores=$(nproc)"
CLINICD_TEST_BACKEND=sqlite "$build/bin/http_slow_clients"
