#!/usr/bin/env bash
# Starts clinicd from a build tree on the demo clinic: SQLite under
# BUILD/demo, listening on 127.0.0.1:8780 (CLINICD_HTTP_PORT overrides), not
# the production 8080, so it never meets an installed clinicd. It loads every
# product plugin, seeds the demo data and makes an admin account on first
# run. Runs in the foreground; Ctrl-C stops it.
set -euo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$src/build}" && pwd)"
demo="$build/demo"
mkdir -p "$demo/data"

# Product plugins: every folder under plugins/ except the example.
plugins=""
for dir in "$src"/plugins/*/; do
  name="$(basename "$dir")"
  [ "$name" = "example" ] && continue
  [ -f "$build/lib/plugins/clinic_$name.so" ] || continue
  plugins="${plugins:+$plugins,}$name"
done

config="$demo/clinicd.properties"
cat > "$config" <<CONF
# Written by packaging/run-demo.sh: the demo clinic from a build tree.
http.address = 127.0.0.1
http.port = 8780
data.dir = $demo/data
db.url = sqlite:$demo/data/clinicd.db
plugins.dir = $build/lib/plugins
plugins.load = $plugins
rules.dir = $src/lua/rules
demo.dir = $src/data/demo
console.root = $src/plugins/console/web
log.level = information
CONF

ctl="$build/bin/clinicctl"
if [ -x "$ctl" ]; then
  "$ctl" --config="$config" migrate
  "$ctl" --config="$config" seed-demo
  if [ ! -f "$demo/admin-password" ]; then
    password="$(openssl rand -base64 18)"
    if printf '%s\n' "$password" | "$ctl" --config="$config" user add --username admin --role admin --password-stdin; then
      umask 077
      printf '%s\n' "$password" > "$demo/admin-password"
    fi
  fi
fi

port="${CLINICD_HTTP_PORT:-8780}"
echo
echo "clinicd demo clinic on http://127.0.0.1:$port  (plugins: ${plugins:-none})"
echo "  console: http://127.0.0.1:$port/console/"
echo "  health:  curl http://127.0.0.1:$port/health/ready"
if [ -f "$demo/admin-password" ]; then
  echo "  log in:  user admin, password $(cat "$demo/admin-password")  (kept in $demo/admin-password)"
  echo "           curl -X POST http://127.0.0.1:$port/api/v1/auth/login -H 'Content-Type: application/json' \\"
  echo "                -d '{\"username\":\"admin\",\"password\":\"'\"\$(cat $demo/admin-password)\"'\"}'"
fi
echo "  config:  $config"
echo
exec "$build/bin/clinicd" --config="$config"
