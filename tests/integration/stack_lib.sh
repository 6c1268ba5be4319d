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

# check_ranking_holds N: the dashboard's ranking of JOB (read with the
# caller's get PATH) holds N entries, all of them
check_ranking_holds () {
    local ranked
    get "/api/v1/jobs/$JOB/ranking?limit=100" > "$TMP/ranking.json" 2>&1
    ranked=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(len(doc["entries"]) if doc["total"] == len(doc["entries"]) else -1)' "$TMP/ranking.json" 2>/dev/null)
    [ "${ranked:-0}" -eq "$1" ] && ok dashboard_ranking_holds_every_sample \
        || fail dashboard_ranking_holds_every_sample "$ranked of $1: $(head -c 200 "$TMP/ranking.json")"
}

# deb_package: sets deb to the .deb of this tree, for test_deb*.sh: JM_DEB if
# set; else build-install/deb's package when it was built from the very files
# make deb copies (their hash, kept in build-install/deb.sources; tests/ left
# out: debian/rules runs no test), so that the second test reuses the first
# one's; else `make deb` (with lintian if
# installed).  Says "skipped: why" and finishes when a build tool is missing.
built_deb () {   # the package make deb left in build-install/deb, if any
    local file
    for file in "$ROOT"/build-install/deb/jobmatch_*_*.deb; do
        case $file in *-dbgsym_*) ;; *) [ -e "$file" ] && { echo "$file"; return; } ;; esac
    done
}
deb_package () {
    deb=${JM_DEB:-}
    [ -n "$deb" ] && return 0
    local tool target=(deb) sources
    for tool in dpkg-buildpackage dh help2man; do
        command -v $tool >/dev/null || { echo "skipped: no $tool (tests/deps.sh installs it)"; finish; }
    done
    sources=$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard -- . ':!tests' 2>/dev/null | sort -z \
              | xargs -0 sha1sum 2>/dev/null | sha1sum | cut -d' ' -f1)
    deb=$(built_deb)
    if [ -n "$deb" ] && [ "$sources" = "$(cat "$ROOT/build-install/deb.sources" 2>/dev/null)" ]; then
        ok "make_deb (reused $deb, built from these sources)"; return 0
    fi
    command -v lintian >/dev/null || { echo "SKIP lintian: not installed"; target=(deb LINTIAN=true); }
    rm -f "$ROOT/build-install/deb.sources"
    if (cd "$ROOT" && make -s BUILD=build-install "${target[@]}") > "$TMP/deb.log" 2>&1; then
        ok make_deb
    else
        fail make_deb "$(grep -E '^[EW]:|error' "$TMP/deb.log" | head -5)"; finish
    fi
    deb=$(built_deb)
    echo "$sources" > "$ROOT/build-install/deb.sources"
}
