#!/usr/bin/env bash
# Installs what building, running and testing clinicd needs on Debian 12.
# Safe to run again: when everything is already installed it does nothing.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config ccache
  libpoco-dev liblua5.4-dev prometheus-cpp-dev libcppunit-dev libssl-dev
  libmariadb-dev libsqlite3-dev libhowardhinnant-date-dev
  # run and demo
  openssl curl ca-certificates tzdata
  # tests: a real MariaDB server, SMTP and iCalendar peers, load generator
  mariadb-server mariadb-client python3 python3-aiosmtpd python3-icalendar wrk
  # the console's browser tests: headless chromium driven through chromedriver
  chromium chromium-driver python3-selenium
)
# promtool and the Prometheus server for the metrics tests, without the web
# console and node exporter its recommends would pull in.
lean=(prometheus lintian)
# Node.js and npm run the pinned OpenAPI linter (tests/tools/redocly). A
# machine that already has them (e.g. from NodeSource) keeps its own.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}" "${lean[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}"
$sudo apt-get update
$sudo apt-get install -y "${packages[@]}"
$sudo apt-get install -y --no-install-recommends "${lean[@]}"
