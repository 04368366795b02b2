#!/usr/bin/env bash
# The soak: MINUTES (default 30) of mixed load on the real clinicd on SQLite
# (booking, cancelling, availability, patient search, logins, metrics
# scrapes; tests/bench/soak.cpp says how). Prints per minute the requests and
# their p99, the daemon's RSS, open descriptors and threads, and at the end
# the RSS growth after minute 5 in %. Fails only on a wrong answer, never on
# a figure.
#
#   tests/bench/soak.sh [MINUTES] [BUILD_DIR]    (SOAK_THREADS, default 6)
set -euo pipefail

minutes=${1:-30}
build=$(cd "${2:-./build}" && pwd)
cmake --build "$build" -j1 --target soak >/dev/null
echo "soak load_average=\"$(cut -d' ' -f1-3 /proc/loadavg)\" cores=$(nproc)"
SOAK_MINUTES=$minutes CLINICD_TEST_BACKEND=sqlite exec "$build/bin/soak"
