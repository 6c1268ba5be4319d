#!/usr/bin/env bash
# bench_pipeline.sh: the whole pipeline's speed and memory, end to end.
#
# Starts a private stack on free loopback ports (redis-server with its own
# dir, jobmatch-gateway, two jobmatch-matcher), runs build/bin/bench_pipeline
# against it once (latency at idle first, then batch and single throughput,
# then the gateway's memory before, under and after a burst that fills its
# queue, then the matchers' peak memory; each figure the median of 3 runs,
# and a summary table beside the targets), and stops everything it started,
# also on Ctrl-C or failure.  Then a second stack with CURVE on (keys from
# `jobmatch keys new`) beside the first: batch and single runs alternate
# between the two, and each CURVE rate is given as a share of plaintext
# (target >= 80%).
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

# The burst fills the gateway to queue-max from one client: let one client
# hold that many (the default per-client cap is a quarter of it)
export JOBMATCH_CLIENT_QUEUE_MAX=${JOBMATCH_CLIENT_QUEUE_MAX:-20000}
# Both matchers registered?  (bench_pipeline checks mmi.service; wait for two here)
start_stack jobmatch.match 100

alive () {
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || fail "process $pid exited during the benchmark"
    done
}

echo "pipeline: gateway $GATEWAY, 2 matchers, redis-server on port $REDIS_PORT; $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $REDIS_NOTE"
# One run: latency at idle, batch, single, the gateway's memory through a
# burst, the matchers' peak memory, then the summary table.
"$BIN/bench_pipeline" --gateway "$GATEWAY" --data data --gateway-pid "$gateway_pid" \
    --matcher-pid "${matcher_pids[0]}" --matcher-pid "${matcher_pids[1]}" \
    --redis-pid "${pids[0]}" "$@" \
    || fail "bench_pipeline failed"
alive
echo "  redis-server peak RSS: $(mb "$(status_kb "${pids[0]}" VmHWM)") (every result stored; no target)"

# The same with CURVE: a second stack (its own Redis, so nothing is
# cached) whose gateway, matchers and client all use keys.  Both stacks stay
# up (the idle one only heartbeats) and batch and single runs alternate
# between them, so both see the same load from the rest of the machine;
# each rate is the median of its runs.
plain_gateway=$GATEWAY
plain_pids=(--gateway-pid "$gateway_pid" --matcher-pid "${matcher_pids[0]}"
            --matcher-pid "${matcher_pids[1]}" --redis-pid "${pids[0]}")
curve_keys "$TMP/keys"
first=${#pids[@]}
STACK=curve start_stack jobmatch.match 100
curve_gateway=$GATEWAY
curve_pids=(--gateway-pid "$gateway_pid" --matcher-pid "${matcher_pids[0]}"
            --matcher-pid "${matcher_pids[1]}" --redis-pid "${pids[$first]}")
echo
echo "pipeline, plaintext against CURVE: a second stack, gateway $curve_gateway, every connection CURVE-encrypted; runs alternate; load: $(cut -d' ' -f1-3 /proc/loadavg)"
runs=3
for arg in "$@"; do
    [ "${previous:-}" = --runs ] && runs=$arg
    previous=$arg
done
# rate FILE KIND: the rate of "pipeline KIND:" in FILE, without commas
rate () {
    sed -n "s/^pipeline $2: *\([0-9,]*\) .*/\1/p" "$1" | head -n 1 | tr -d ,
}
for run in $(seq "$runs"); do
    for mode in batch single; do
        for side in plaintext curve; do
            gateway=$plain_gateway keys=() processes=("${plain_pids[@]}")
            [ "$side" = curve ] && gateway=$curve_gateway keys=("${CLIENT_ARGS[@]}") \
                processes=("${curve_pids[@]}")
            "$BIN/bench_pipeline" --gateway "$gateway" --data data --no-cached --no-full "${processes[@]}" \
                "$@" --runs 1 --mode "$mode" ${keys[@]+"${keys[@]}"} >"$TMP/ab.out" 2>&1 && cat "$TMP/ab.out" >>"$TMP/ab-all.out" \
                || { cat "$TMP/ab.out"; fail "bench_pipeline ($side, $mode) failed"; }
            echo "$(rate "$TMP/ab.out" "$mode")" >>"$TMP/ab-$side-$mode"
            sed -n 's/^ *CPU per [a-z]*: .* total \([0-9]*\) us.*/\1/p' "$TMP/ab.out" \
                >>"$TMP/ab-$side-$mode-cpu"
        done
    done
done
alive

# median FILE: the median of the numbers in FILE, one a line
median () {
    sort -n "$1" | awk '{ value [NR] = $1 } END { print NR % 2? value [(NR + 1) / 2]: (value [NR / 2] + value [NR / 2 + 1]) / 2 }'
}
echo "CURVE against plaintext (medians of $runs alternating runs each; target: CURVE >= 80% of plaintext)"
for mode in batch single; do
    unit=candidates; [ "$mode" = single ] && unit=requests
    plain=$(median "$TMP/ab-plaintext-$mode") curve=$(median "$TMP/ab-curve-$mode")
    plain_cpu=$(median "$TMP/ab-plaintext-$mode-cpu") curve_cpu=$(median "$TMP/ab-curve-$mode-cpu")
    awk -v mode="$mode" -v unit="$unit" -v plain="$plain" -v curve="$curve" \
        -v plain_runs="$(tr '\n' ' ' <"$TMP/ab-plaintext-$mode")" \
        -v curve_runs="$(tr '\n' ' ' <"$TMP/ab-curve-$mode")" \
        -v plain_cpu="$plain_cpu" -v curve_cpu="$curve_cpu" 'BEGIN {
        ratio = plain > 0? 100 * curve / plain: 0
        printf "pipeline %s with CURVE: %.1f%% of plaintext  (plaintext %d %s/s, CURVE %d %s/s)  %s\n",
               mode, ratio, plain, unit, curve, unit, (ratio >= 80)? "target >= 80%: ok": "target >= 80%: MISSED"
        printf "    runs: plaintext %s/ CURVE %s\n", plain_runs, curve_runs
        if (plain_cpu > 0 && curve_cpu > 0)
            printf "    CPU per %s, all processes: plaintext %d us, CURVE %d us (where CPU is the limit, CURVE reaches %.1f%%)\n",
                   substr (unit, 1, length (unit) - 1), plain_cpu, curve_cpu, 100 * plain_cpu / curve_cpu }'
done
exit 0
