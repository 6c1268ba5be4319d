# bench/lib.sh: what the bench/bench_*.sh scripts share, sourced by each
# after it has changed to the repository's root (not run on its own, so
# bench/run does not pick it up).
#
# A benchmark starts a private stack on free loopback ports and stops
# everything it started again, also on Ctrl-C or failure:
#
#   . bench/lib.sh
#   bench_init bench_x.sh jm-bench-x        # $TMP, the traps, pids=()
#   start_stack jobmatch.match 100          # all of the below, in one
#
# or piece by piece:
#
#   REDIS_PORT=$(free_port) ...
#   start_redis                             # extra redis-server options allowed
#   start_gateway                           # $GATEWAY, $WORKER_PORT -> $gateway_pid
#   start_matchers --data data              # two matchers -> ${matcher_pids[@]}
#   wait_for_matchers jobmatch.match 100    # both joined the service, or fail
#
# Every process started goes into pids, which stop_all (the EXIT trap)
# ends.  Set STACK=NAME before starting a second stack beside the first:
# its logs are then NAME-gateway.log and so on.  The temp dir is removed at the end unless BENCH_KEEP=1 or the run
# failed; then it is kept, less the files matching BENCH_DROP_KEPT (globs,
# e.g. large generated inputs), and its place is printed.

# bench_init NAME PREFIX: NAME prefixes the messages of fail; the temp dir
# is ${TMPDIR:-/tmp}/PREFIX.XXXXXX, with redis/ for redis-server's files.
bench_init () {
    BENCH_NAME=$1
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
    mkdir -p "$TMP/redis"
    pids=()
    trap stop_all EXIT
    trap 'failed=1; exit 1' INT TERM
}

stop_all () {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ "${failed:-0}" = 1 ]; then
        echo "logs kept in $TMP"
        for pattern in ${BENCH_DROP_KEPT[@]+"${BENCH_DROP_KEPT[@]}"}; do
            rm -f "$TMP"/$pattern
        done
    else
        rm -rf "$TMP"
    fi
}

# Prints a TCP port free on 127.0.0.1.
free_port () {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# fail MESSAGE: prints it and the end of every log, keeps the logs, exits 1.
fail () {
    failed=1
    echo "$BENCH_NAME: $*"
    for log in "$TMP"/*.log; do echo "--- $log"; tail -n 5 "$log"; done
    exit 1
}

# start_redis [OPTION...]: redis-server on $REDIS_PORT, nothing saved,
# Redis's defaults otherwise; BENCH_REDIS_NICE=N runs it under `nice -n N` (e.g. -10: the
# README's advice for a host Redis shares with matchers; not by default);
# sets REDIS_NOTE (the settings, for the report); returns once it answers
# PING, else fails.
start_redis () {
    local nice=()
    [ -n "${BENCH_REDIS_NICE:-}" ] && nice=(nice -n "$BENCH_REDIS_NICE")
    "${nice[@]}" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$TMP/redis" --save '' --appendonly no \
        "$@" >"$TMP/${STACK:+$STACK-}redis.log" 2>&1 &
    REDIS_NOTE="${nice[*]:+${nice[*]} }redis-server ${*:-(defaults)}"
    pids+=($!)
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || fail "redis-server did not start"
}

# start_gateway: jobmatch-gateway, clients on $GATEWAY, workers on
# $WORKER_PORT, with the options in the array GATEWAY_ARGS if set (CURVE
# keys); sets gateway_pid.
start_gateway () {
    "$BIN/jobmatch-gateway" --clients "$GATEWAY" --workers "tcp://127.0.0.1:$WORKER_PORT" \
        ${GATEWAY_ARGS[@]+"${GATEWAY_ARGS[@]}"} >"$TMP/${STACK:+$STACK-}gateway.log" 2>&1 &
    gateway_pid=$!
    pids+=($gateway_pid)
}

# start_matchers [OPTION...]: two jobmatch-matcher on the gateway's worker
# port and the redis-server; sets matcher_pids.
start_matchers () {
    matcher_pids=()
    for n in 1 2; do
        "$BIN/jobmatch-matcher" --gateway "tcp://127.0.0.1:$WORKER_PORT" \
            --redis "redis://127.0.0.1:$REDIS_PORT/0" "$@" >"$TMP/${STACK:+$STACK-}matcher-$n.log" 2>&1 &
        matcher_pids+=($!)
        pids+=($!)
    done
}

# wait_for_matchers SERVICE TRIES: waits up to TRIES x 50 ms until the
# gateway logged both matchers joining SERVICE, else fails.
wait_for_matchers () {
    for _ in $(seq "$2"); do
        [ "$(grep -c "joined service '$1'" "$TMP/${STACK:+$STACK-}gateway.log")" -ge 2 ] && break
        sleep 0.05
    done
    [ "$(grep -c "joined service '$1'" "$TMP/${STACK:+$STACK-}gateway.log")" -ge 2 ] || fail "the matchers did not register"
}

# start_stack SERVICE TRIES: redis-server, the gateway and two matchers
# (on data/) on free ports ($REDIS_PORT, $CLIENT_PORT = $GATEWAY,
# $WORKER_PORT); returns once both matchers joined SERVICE, else fails.
# The matchers also get the options in the array MATCHER_ARGS if set.
start_stack () {
    CLIENT_PORT=$(free_port)
    WORKER_PORT=$(free_port)
    REDIS_PORT=$(free_port)
    GATEWAY=tcp://127.0.0.1:$CLIENT_PORT
    start_redis
    start_gateway
    start_matchers --data data ${MATCHER_ARGS[@]+"${MATCHER_ARGS[@]}"}
    wait_for_matchers "$1" "$2"
}

# curve_keys DIR: CURVE certificates in DIR (jobmatch keys new): the
# gateway's pair, workers/matcher and clients/bench; sets GATEWAY_ARGS,
# MATCHER_ARGS and CLIENT_ARGS to use them.
curve_keys () {
    mkdir -p "$1/workers" "$1/clients"
    "$BIN/jobmatch" keys new gateway --dir "$1" >/dev/null || fail "jobmatch keys new failed"
    "$BIN/jobmatch" keys new matcher --dir "$1/workers" >/dev/null || fail "jobmatch keys new failed"
    "$BIN/jobmatch" keys new bench --dir "$1/clients" >/dev/null || fail "jobmatch keys new failed"
    GATEWAY_ARGS=(--curve-cert "$1/gateway_secret" --curve-clients "$1/clients" --curve-workers "$1/workers")
    MATCHER_ARGS=(--curve-server "$1/gateway" --curve-cert "$1/workers/matcher_secret")
    CLIENT_ARGS=(--curve-server "$1/gateway" --curve-cert "$1/clients/bench_secret")
}
