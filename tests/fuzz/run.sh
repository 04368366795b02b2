#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60), one after the
# other at nice 15, and prints per target the executions, the coverage
# reached and the findings (crash, leak, timeout or out-of-memory inputs,
# kept in the work directory). Builds the fuzz build first if needed:
#   CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCLINICD_FUZZ=ON
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#   FUZZ_RUNS=10000000 tests/fuzz/run.sh 0 fuzz_tzif   # runs, no time limit (0)
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_NO_BUILD=1 (run what is
# built), FUZZ_WORK (default
# FUZZ_BUILD/fuzz-work: the grown corpora and findings; the committed seed
# corpus in tests/fuzz/corpus is only read).
set -uo pipefail

seconds=${1:-60}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}
if [[ ! -f $build/CMakeCache.txt ]]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCLINICD_FUZZ=ON >/dev/null || exit 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(sed -n 's/^ *clinic_fuzz_target(\(fuzz_[a-z_]*[a-z]\) .*/\1/p;s/^ *clinic_fuzz_target(\(fuzz_[a-z_]*\))/\1/p' \
        "$root/tests/fuzz/CMakeLists.txt")
    for plugin in $(grep -o '"[a-z]*:[a-z,]*"' "$root/tests/fuzz/CMakeLists.txt" | sed 's/"\([a-z]*\):.*/\1/'); do
        targets+=("fuzz_routes_$plugin")
    done
fi
[[ -n ${FUZZ_NO_BUILD:-} ]] || nice -n 10 cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null || exit 2

printf '%-26s %12s %8s %6s %s\n' target executions exec/s cov findings
status=0
for target in "${targets[@]}"; do
    seeds=$root/tests/fuzz/corpus/${target#fuzz_}
    mkdir -p "$work/$target/corpus" "$work/$target/findings"
    log=$work/$target/last.log
    limit=(-max_total_time="$seconds")
    [[ -n ${FUZZ_RUNS:-} ]] && limit+=(-runs="$FUZZ_RUNS")
    (cd "$work/$target" && nice -n 15 "$build/bin/$target" "$work/$target/corpus" "$seeds" "${limit[@]}" \
        -artifact_prefix="$work/$target/findings/" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        >"$log" 2>&1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    found=$(find "$work/$target/findings" -type f | wc -l)
    what=none
    if [[ $found -gt 0 ]]; then
        what="$found: $(find "$work/$target/findings" -type f -printf '%f ')"
        status=1
    fi
    printf '%-26s %12s %8s %6s %s\n' "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$what"
done
exit $status
