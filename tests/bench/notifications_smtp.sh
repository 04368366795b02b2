#!/usr/bin/env bash
# The notifications plugin's SMTP path, for the issue notes: 1,000 reminders
# (or N) due at one instant, sent by one clinicd to a local aiosmtpd server,
# on SQLite and on a private MariaDB server. Prints messages/s and the time
# from due to handed to the SMTP server (p50, p99); never fails on time.
#
#   tests/bench/notifications_smtp.sh [BUILD_DIR] [N]   (default ./build, 1000)
set -euo pipefail

build=$(cd "${1:-./build}" && pwd)
export NOTIFICATIONS_BENCH_N=${2:-1000}
nice -n 10 cmake --build "$build" --target notifications_smtp_bench >/dev/null
for backend in sqlite mariadb; do
    CLINICD_TEST_BACKEND=$backend "$build/bin/notifications_smtp_bench" | grep '^notifications_smtp' \
        || echo "notifications_smtp backend=$backend: no figure (skipped or failed)"
done
