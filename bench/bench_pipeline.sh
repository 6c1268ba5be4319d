#!/usr/bin/env bash
# bench_pipeline.sh: the whole pipeline's speed and memory, end to end.
#
# Starts a private stack on free loopback ports (redis-server with its own
# dir, jobmatch-gateway, two jobmatch-matcher), runs build/bin/bench_pipeline
# against it once (latency at idle first, then batch and single throughput,
# then the gateway's memory before, under and after a burst that fills its
# queue, then the matchers' peak memory; each figure the median of 3 runs,
# and a summary table beside the targets), and stops everything it started,
# also on Ctrl-C or failure.  Then the same stack again with CURVE on (keys
# from `jobmatch keys new`): batch and single once more, and each CURVE
# rate as a share of its plaintext rate from this run (target >= 80%).
#
# Usage: bench/bench_pipeline.sh [bench_pipeline options...]
#   (e.g. --runs 1 --count 20000 for a quick look; see bench_pipeline --help)
# Set BENCH_KEEP=1 to keep the logs (printed at the end).  Exit status: 0
# when the stack served every request (figures below target included), 1
# when it failed.
set -u -o pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin
for program in jobmatch-gateway jobmatch-matcher bench_pipeline; do
    [ -x "$BIN/$program" ] || { echo "bench_pipeline.sh: $BIN/$program is not built (run make)"; exit 1; }
done
command -v redis-server >/dev/null || { echo "bench_pipeline.sh: redis-server is not installed"; exit 1; }

. bench/lib.sh
bench_init bench_pipeline.sh jm-bench

# kB of a /proc/PID/status field (VmHWM: peak resident, VmRSS: resident now)
status_kb () {
    awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status" 2>/dev/null
}
mb () {
    awk -v kb="${1:-0}" 'BEGIN { printf "%.1f MB", kb / 1024 }'
}

# Both matchers registered?  (bench_pipeline checks mmi.service; wait for two here)
start_stack jobmatch.match 100

alive () {
    for pid in "$gateway_pid" "${matcher_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || fail "process $pid exited during the benchmark"
    done
}

echo "pipeline: gateway $GATEWAY, 2 matchers, redis-server on port $REDIS_PORT; $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $REDIS_NOTE"
# One run: latency at idle, batch, single, the gateway's memory through a
# burst, the matchers' peak memory, then the summary table.
"$BIN/bench_pipeline" --gateway "$GATEWAY" --data data --gateway-pid "$gateway_pid" \
    --matcher-pid "${matcher_pids[0]}" --matcher-pid "${matcher_pids[1]}" \
    --redis-pid "${pids[0]}" "$@" | tee "$TMP/plaintext.out" \
    || fail "bench_pipeline failed"
alive
echo "  redis-server peak RSS: $(mb "$(status_kb "${pids[0]}" VmHWM)") (every result stored; no target)"

# The same with CURVE: a fresh stack (its own Redis, so nothing is cached)
# whose gateway, matchers and client all use keys
stop_stack
curve_keys "$TMP/keys"
start_stack jobmatch.match 100
echo
echo "pipeline with CURVE: gateway $GATEWAY, 2 matchers, every connection CURVE-encrypted; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in batch single; do
    "$BIN/bench_pipeline" --gateway "$GATEWAY" --data data --redis-pid "${pids[0]}" \
        --gateway-pid "$gateway_pid" --matcher-pid "${matcher_pids[0]}" \
        --matcher-pid "${matcher_pids[1]}" --no-cached "$@" --mode "$mode" "${CLIENT_ARGS[@]}" \
        | tee -a "$TMP/curve.out" || fail "bench_pipeline with CURVE failed"
done
alive

# rate FILE KIND: the median rate of "pipeline KIND:" in FILE, without commas
rate () {
    sed -n "s/^pipeline $2: *\([0-9,]*\) .*/\1/p" "$1" | head -n 1 | tr -d ,
}
echo
echo "CURVE against plaintext (one run of this script; target: CURVE >= 80% of plaintext)"
for kind in batch single; do
    plain=$(rate "$TMP/plaintext.out" "$kind")
    curve=$(rate "$TMP/curve.out" "$kind")
    [ -n "$plain" ] && [ -n "$curve" ] || continue
    awk -v kind="$kind" -v plain="$plain" -v curve="$curve" 'BEGIN {
        ratio = plain > 0? 100 * curve / plain: 0
        printf "  %-7s plaintext %d /s, CURVE %d /s: %.1f%%  %s\n", kind ":", plain, curve, ratio,
               (ratio >= 80)? "meets >= 80%": "BELOW 80%" }'
done
exit 0
