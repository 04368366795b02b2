#!/usr/bin/env bash
# Capacity of clinicd's HTTP front end with a clinic's worth of open
# connections: 500 idle keep-alive connections and 200 long-lived idle ones
# open while 16 connections send authenticated GET /api/v1/auth/me for 15 s
# (tests/bench/http_capacity.cpp says what each line measures). Prints
# figures; fails only on a request not answered 200, never on time.
#
#   tests/bench/http_capacity.sh [BUILD_DIR] [SECONDS]
#       (default ./build, 15 s of load)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export HTTP_CAPACITY_SECONDS=${2:-15}
cmake --build "$build" -j1 --target http_capacity clinicd clinicctl >/dev/null
echo "http_capacity load_average=\"$(cut -d' ' -f1-3 /proc/loadavg)\" cores=$(nproc)"
CLINICD_TEST_BACKEND=sqlite "$build/bin/http_capacity"
