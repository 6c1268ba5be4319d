# Shared by the shell tests that start processes (test_install.sh, test_deb.sh):
# sourced after TMP is set.  ok / fail count the checks and finish prints
# "N passed, N failed"; every pid added to pids is stopped on exit, and TMP is
# removed unless a check failed.  free_port gives a free TCP port on
# 127.0.0.1; wait_until SECONDS COMMAND... is true once COMMAND succeeds.
pids=()
passed=0; failed=0
ok ()   { echo "ok $1"; passed=$((passed + 1)); }
fail () { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish () { echo "$passed passed, $failed failed"; exit $((failed > 0)); }

stop_all () {   # kills and reaps every pid in pids
    { for pid in "${pids[@]}"; do kill "$pid"; done
      for pid in "${pids[@]}"; do wait "$pid"; done; } 2>/dev/null
    pids=()
}
cleanup () {
    stop_all
    if [ "$failed" -eq 0 ]; then rm -rf "$TMP"; else echo "logs kept in $TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port () { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_until () {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}
