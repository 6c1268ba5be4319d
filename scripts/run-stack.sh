#!/usr/bin/env bash
# make run: the whole stack on this machine, on a private Redis.
#
# Starts redis-server (its own port and data dir under run/), the gateway and
# two matchers on free loopback ports, scores the sample candidates in
# proto/examples/ through the gateway and prints them ranked, then keeps
# serving with logs in run/logs/ until Ctrl-C, which stops everything it
# started.  Override ports with JOBMATCH_CLIENT_PORT / JOBMATCH_WORKER_PORT /
# JOBMATCH_REDIS_PORT; RUN_ONCE=1 exits after the sample run (used by tests).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/bin
RUN=$PWD/run
mkdir -p "$RUN/redis" "$RUN/logs"

free_port () {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
CLIENT_PORT=${JOBMATCH_CLIENT_PORT:-$(free_port)}
WORKER_PORT=${JOBMATCH_WORKER_PORT:-$(free_port)}
REDIS_PORT=${JOBMATCH_REDIS_PORT:-$(free_port)}
export JOBMATCH_DATA_DIR=$PWD/data

pids=()
stop_all () {
    trap - INT TERM EXIT
    echo
    echo "stopping: ${pids[*]:-nothing}"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped; logs are in $RUN/logs"
}
trap stop_all INT TERM EXIT

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN/redis" --save '' --appendonly no \
    --daemonize no >"$RUN/logs/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping >/dev/null || { echo "redis-server did not start: see $RUN/logs/redis.log"; exit 1; }

"$BIN/jobmatch-gateway" --clients "tcp://127.0.0.1:$CLIENT_PORT" --workers "tcp://127.0.0.1:$WORKER_PORT" \
    >"$RUN/logs/gateway.log" 2>&1 &
pids+=($!)
for n in 1 2; do
    "$BIN/jobmatch-matcher" --gateway "tcp://127.0.0.1:$WORKER_PORT" --redis "redis://127.0.0.1:$REDIS_PORT/0" \
        >"$RUN/logs/matcher-$n.log" 2>&1 &
    pids+=($!)
done
GATEWAY="tcp://127.0.0.1:$CLIENT_PORT"
cat <<INFO
jobmatch is up:
  gateway  $GATEWAY (clients), tcp://127.0.0.1:$WORKER_PORT (workers)
  matchers 2, Redis redis://127.0.0.1:$REDIS_PORT/0 (data in $RUN/redis)
  logs     $RUN/logs/

Scoring proto/examples/candidates.jsonl for backend-developer through the gateway:
INFO
"$BIN/jobmatch" submit --gateway "$GATEWAY" --job backend-developer --ranked proto/examples/candidates.jsonl
echo
echo "Try:  $BIN/jobmatch submit --gateway $GATEWAY --explain proto/examples/candidates.jsonl"
[ "${RUN_ONCE:-0}" = 1 ] && exit 0
echo "Serving until Ctrl-C (tail -f $RUN/logs/*.log to watch)."
while true; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "process $pid exited; see $RUN/logs"; exit 1; }
    done
    sleep 1
done
