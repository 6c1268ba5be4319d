#!/usr/bin/env bash
# make run: the whole stack on this machine, on a private Redis.
#
# Starts redis-server (its own port and data dir under run/), the gateway,
# two matchers and, when build/bin/jobmatch-dashboard is built and starts,
# the dashboard, all on loopback; scores the sample candidates in
# proto/examples/ through the gateway and prints them ranked; then keeps
# serving, with logs in run/logs/, until Ctrl-C, which stops everything it
# started (and nothing else).
#
# Settings (environment): JOBMATCH_CLIENT_PORT, JOBMATCH_WORKER_PORT,
# JOBMATCH_REDIS_PORT, JOBMATCH_DASHBOARD_PORT (default: free ports);
# JOBMATCH_RUN_DIR (default run/); BUILD (default build) or JM_BIN (the
# binaries' folder); RUN_ONCE=1 stops everything after the ranked table
# (used by tests/integration/test_submit.py); NO_DASHBOARD=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${JM_BIN:-${BUILD:-build}/bin}
RUN=${JOBMATCH_RUN_DIR:-$PWD/run}
mkdir -p "$RUN/redis" "$RUN/logs"
for program in jobmatch-gateway jobmatch-matcher jobmatch; do
    [ -x "$BIN/$program" ] || { echo "run-stack.sh: $BIN/$program is not built (run make)" >&2; exit 2; }
done
command -v redis-server >/dev/null || { echo "run-stack.sh: redis-server is not installed (make deps)" >&2; exit 2; }

free_port () {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
CLIENT_PORT=${JOBMATCH_CLIENT_PORT:-$(free_port)}
WORKER_PORT=${JOBMATCH_WORKER_PORT:-$(free_port)}
REDIS_PORT=${JOBMATCH_REDIS_PORT:-$(free_port)}
DASHBOARD_PORT=${JOBMATCH_DASHBOARD_PORT:-$(free_port)}
export JOBMATCH_DATA_DIR=$PWD/data
GATEWAY="tcp://127.0.0.1:$CLIENT_PORT"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

# Every process started is remembered by pid; only those are stopped.
pids=()
stop_all () {
    trap - INT TERM EXIT
    echo
    echo "stopping: ${pids[*]:-nothing}"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped; logs are in $RUN/logs"
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for () {
    local tries=$(($1 * 10)); shift
    for _ in $(seq "$tries"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# The job registry is the one thing in Redis nothing can recompute: an
# append-only file, fsynced every second, keeps it (and the rest) across a
# restart of Redis (README, *Persistence*).
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$RUN/redis" --save '' \
    --appendonly yes --appendfsync everysec --daemonize no >"$RUN/logs/redis.log" 2>&1 &
pids+=($!)
wait_for 10 redis-cli -p "$REDIS_PORT" ping \
    || { echo "redis-server did not start: see $RUN/logs/redis.log" >&2; exit 1; }

"$BIN/jobmatch-gateway" --clients "$GATEWAY" --workers "tcp://127.0.0.1:$WORKER_PORT" \
    >"$RUN/logs/gateway.log" 2>&1 &
pids+=($!)
for n in 1 2; do
    "$BIN/jobmatch-matcher" --gateway "tcp://127.0.0.1:$WORKER_PORT" --redis "$REDIS_URL" \
        >"$RUN/logs/matcher-$n.log" 2>&1 &
    pids+=($!)
done

DASHBOARD="not built"
if [ "${NO_DASHBOARD:-0}" != 1 ] && [ -x "$BIN/jobmatch-dashboard" ]; then
    if "$BIN/jobmatch-dashboard" --version >/dev/null 2>&1; then
        "$BIN/jobmatch-dashboard" --listen "127.0.0.1:$DASHBOARD_PORT" --gateway "$GATEWAY" \
            --redis "$REDIS_URL" >"$RUN/logs/dashboard.log" 2>&1 &
        dashboard_pid=$!
        pids+=($dashboard_pid)
        dashboard_up () {
            # any HTTP answer will do: /healthz says 503 until the matchers register
            kill -0 "$dashboard_pid" && /usr/bin/python3 -c 'import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass' "$DASHBOARD_PORT"
        }
        if wait_for 10 dashboard_up; then
            DASHBOARD="http://127.0.0.1:$DASHBOARD_PORT/"
        else
            DASHBOARD="did not start (see $RUN/logs/dashboard.log); going on without it"
            kill -TERM "$dashboard_pid" 2>/dev/null || true
        fi
    else
        DASHBOARD="$BIN/jobmatch-dashboard does not run; going on without it"
    fi
fi

cat <<INFO
jobmatch is up:
  gateway    $GATEWAY (clients), tcp://127.0.0.1:$WORKER_PORT (workers)
  matchers   2, Redis $REDIS_URL (data in $RUN/redis)
  dashboard  $DASHBOARD
  logs       $RUN/logs/

Scoring proto/examples/candidates.jsonl for backend-developer through the gateway:

INFO
# the matchers may still be registering: submit resends what gets no_workers
"$BIN/jobmatch" submit --gateway "$GATEWAY" --job backend-developer --ranked --retries 5 \
    proto/examples/candidates.jsonl
echo
echo "Try:  $BIN/jobmatch submit --gateway $GATEWAY --explain proto/examples/candidates.jsonl"
echo "      $BIN/jobmatch batch --gateway $GATEWAY --in FILE --out results.jsonl"
[ "${RUN_ONCE:-0}" = 1 ] && exit 0
echo "Serving until Ctrl-C (tail -f $RUN/logs/*.log to watch)."
while true; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || [ "$pid" = "${dashboard_pid:-}" ] \
            || { echo "process $pid exited; see $RUN/logs" >&2; exit 1; }
    done
    sleep 1
done
