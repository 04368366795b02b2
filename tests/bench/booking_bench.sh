#!/usr/bin/env bash
# Booking and availability figures for the scheduling plugin, on SQLite with
# the daemon's default durability (WAL, synchronous=FULL), through the real
# clinicd over HTTP on the demo clinic (tests/bench/booking_bench.cpp says
# what each line measures). Prints figures; fails only on a wrong answer or
# a lost or double booking, never on time.
#
#   tests/bench/booking_bench.sh [BUILD_DIR] [BOOKINGS] [QUERIES] [BIG]
#       (default ./build, 2000 bookings, 5000 availability requests per size,
#        1000000 appointments for the large size)
#
# Figures from one run (2026-11-21, RelWithDebInfo, 2 cores shared with other
# builds, load average 10.39 6.82 5.25 at the start; ext4 on virtio disk):
#   tests/bench/booking_bench.sh build-records
#   bookings (16 connections, 2000 distinct slots):  499 bookings/s
#       (p50 5.8 ms, p99 434 ms), every answer 201, every one stored once
#   raw loop (same rows, BEGIN IMMEDIATE, WAL, FULL): 3806 transactions/s
#   bookings/s / raw rate:                           0.13
#   availability, 1 doctor, 7 days, one connection:
#       10,000 stored:     1013 req/s, p50 0.75 ms, p99 5.04 ms
#       1,000,000 stored:   890 req/s, p50 0.66 ms, p99 5.47 ms
#       1M/10k: p50 0.88, p99 1.09 (history is off the index range read)
# The same bookings from 1 connection: ~620/s (p99 3 ms): 16 writers wait in
# SQLite's sleeping busy handler (p99 0.4-0.75 s); a per-process writer
# mutex before BEGIN IMMEDIATE gave ~400/s with p99 0.1-0.2 s in a trial.
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export BOOKING_BENCH_N=${2:-2000}
export BOOKING_BENCH_QUERIES=${3:-5000}
export BOOKING_BENCH_BIG=${4:-1000000}
cmake --build "$build" -j1 --target booking_bench clinicd clinicctl clinic_scheduling clinic_records >/dev/null
echo "booking_bench load_average=\"$(cut -d' ' -f1-3 /proc/loadavg)\" cores=$(nproc)"
CLINICD_TEST_BACKEND=sqlite "$build/bin/booking_bench"
