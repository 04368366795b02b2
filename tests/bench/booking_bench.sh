#!/usr/bin/env bash
# Booking and availability figures for the scheduling plugin, on SQLite with
# the daemon's default durability (WAL, synchronous=FULL), through the real
# clinicd over HTTP on the demo clinic (tests/bench/booking_bench.cpp says
# what each line measures). Prints figures; fails only on a wrong answer or
# a lost or double booking, never on time.
#
#   tests/bench/booking_bench.sh [BUILD_DIR] [SECONDS] [BIG]
#       (default ./build; 15 s for each 16-connection booking run, 1000000
#        appointments for the large availability size). About 2.5 minutes:
#        SQLite (16 connections for SECONDS, 1 connection for 5 s, the raw
#        loop, availability at 10,000 and BIG stored and across a specialty of
#        20 doctors, 5 s each), then MariaDB with one daemon and with two
#        daemons on one database (SECONDS each; skipped without
#        mariadb-server, or with BOOKING_BENCH_MARIADB=0).
#
# Figures, with the commands and the machine's state, are in the scheduling
# plugin's README ("Booking throughput"). Earlier figures of the 2,000-booking
# burst this benchmark used to run: 658-872 bookings/s against a raw
# 3,343-4,657 transactions/s (ratio 0.18-0.22), the daemon CPU-bound (about
# 20 statements prepared per booking, the token check, allocation).
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export BOOKING_BENCH_SECONDS=${2:-15}
export BOOKING_BENCH_BIG=${3:-1000000}
cmake --build "$build" -j1 --target booking_bench clinicd clinicctl clinic_scheduling clinic_records >/dev/null
echo "booking_bench load_average=\"$(cut -d' ' -f1-3 /proc/loadavg)\" cores=$(nproc)"
CLINICD_TEST_BACKEND=sqlite "$build/bin/booking_bench"
