#!/usr/bin/env bash
# ab.sh: two builds of the services side by side, A against B.
#
# Starts two private stacks (each its own redis-server, gateway and two
# matchers, from BIN_A and BIN_B) and runs bench_pipeline against them in
# turn, A B then B A, RUNS times per mode, so both see the same load from
# the rest of the machine.  Prints each run's figure and CPU cost per
# candidate or request, then each side's matchers' peak RSS and its
# Redis's command count (equal counts: both batch alike).  Not run by
# make bench (bench/run runs bench_*): for a change's before and after,
# e.g. a build of the parent commit in another folder:
#
#   git archive HEAD~1 | tar -x -C /tmp/base && make -C /tmp/base -j2
#   bench/ab.sh build/bin /tmp/base/build/bin 4
#
# Usage: bench/ab.sh BIN_A BIN_B [RUNS]   (env MODES: default
# "latency batch single"; the client is build/bin/bench_pipeline)
set -u
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/ab.sh BIN_A BIN_B [RUNS]"; exit 2; }
A=$1; B=$2; RUNS=${3:-3}
. bench/lib.sh
bench_init ab.sh jm-ab
BIN=$A STACK=a start_stack jobmatch.match 200
RA=$REDIS_PORT GA=$GATEWAY
PA=(--matcher-pid "${matcher_pids[0]}" --matcher-pid "${matcher_pids[1]}"
    --gateway-pid "$gateway_pid" --redis-pid "${pids[0]}")
BIN=$B STACK=b start_stack jobmatch.match 200
RB=$REDIS_PORT GB=$GATEWAY
PB=(--matcher-pid "${matcher_pids[0]}" --matcher-pid "${matcher_pids[1]}"
    --gateway-pid "$gateway_pid" --redis-pid "${pids[4]}")
for run in $(seq "$RUNS"); do
    for mode in ${MODES:-latency batch single}; do
        order="a b"; [ $((run % 2)) = 0 ] && order="b a"
        for side in $order; do
            gateway=$GA processes=("${PA[@]}")
            [ "$side" = b ] && gateway=$GB processes=("${PB[@]}")
            case $mode in latency) count=1000;; batch) count=20000;; *) count=10000;; esac
            build/bin/bench_pipeline --gateway "$gateway" --data data --runs 1 --mode "$mode" \
                --no-cached --count "$count" "${processes[@]}" 2>&1 \
                | grep -E "^pipeline (latency|batch|single)|CPU per" | sed "s/^/$side run $run: /"
        done
    done
done
for side in a b; do
    processes=("${PA[@]}") port=$RA
    [ "$side" = b ] && processes=("${PB[@]}") port=$RB
    echo "$side: matchers' peak RSS $(awk '/VmHWM/ {printf "%s ", $2}' "/proc/${processes[1]}/status" \
        "/proc/${processes[3]}/status")kB; redis $(redis-cli -p "$port" info stats \
        | grep total_commands_processed | tr -d '\r')"
done
