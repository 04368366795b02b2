# Sourced by the benchmark scripts: sets `port` to a loopback port nobody
# answers on, or exits 2.
port=
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n $port ]] || { echo "no free port found" >&2; exit 2; }
