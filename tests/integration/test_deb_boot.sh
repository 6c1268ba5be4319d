#!/usr/bin/env bash
# The Debian package installs and starts on a fresh Debian 12 under systemd
# (issue 19, item 1).  A minimal bookworm root (debootstrap --variant=minbase,
# with systemd, dbus, redis-server and the package's dependencies) is made
# once and kept in $JM_BOOT_CACHE/bookworm (default /var/cache/jobmatch-test);
# making it is the only step that needs the network (the Debian mirror of
# /etc/apt/sources*, or JM_DEBIAN_MIRROR).  Each run boots that root with
# systemd-nspawn -b, read-only under a throw-away overlay (--volatile=overlay), with no network
# but its own loopback (--private-network), and the .deb (deb_package in
# stack_lib.sh, or JM_DEB) bound in.  Inside, run through nsenter:
#   apt-get installs the .deb offline; its postinst creates the user and
#   starts the units; redis-server and the three jobmatch units are active,
#   enabled, and the system "running" (no failed unit); each jobmatch process
#   runs as jobmatch with no capabilities, no new privileges, a seccomp
#   filter and a read-only /usr; the CLI scores the samples offline and
#   through the gateway; the dashboard answers /livez, /readyz and a ranking;
#   a matcher killed with SIGKILL comes back (Restart=), a restarted gateway
#   takes work again; systemctl stop ends the three cleanly; apt-get purge
#   removes the package; the container powers off.
# Needs root, systemd-nspawn (systemd-container), util-linux's nsenter, and,
# for the first run, debootstrap and the mirror; without them it says
# "skipped: why".  Every wait is bounded; the container is powered off (else
# killed) on exit.  Prints the time of each stage.  Each check prints "ok NAME"
# or "FAIL NAME: why"; the last line is "N passed, N failed".
# Usage: tests/integration/test_deb_boot.sh
#        (JM_ROOT, JM_DEB, JM_BOOT_CACHE, JM_DEBIAN_MIRROR optional)
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${JM_ROOT:-$(cd "$here/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jm-test-deb-boot.XXXXXX")
CACHE=${JM_BOOT_CACHE:-/var/cache/jobmatch-test}
BASE="$CACHE/bookworm"
JOB=backend-developer
deb=""                               # set by deb_package
. "$here/stack_lib.sh"
skip () { echo "skipped: $1"; finish; }
started=$SECONDS
stage_start=$SECONDS
stage () { echo "time $1: $((SECONDS - stage_start)) s"; stage_start=$SECONDS; }

[ "$(id -u)" -eq 0 ] || skip "not root (systemd-nspawn boots a container as root)"
for tool in systemd-nspawn nsenter flock; do
    command -v $tool >/dev/null || skip "no $tool (tests/deps.sh installs systemd-container)"
done
unshare --pid --mount --net --uts --ipc --fork true 2>/dev/null \
    || skip "no namespaces (unshare --pid --mount --net failed)"

# ---- the bookworm root, made once --------------------------------------------
# debian_mirror: the Debian archive apt uses here (sources.list or deb822)
debian_mirror () {
    local url
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
    [ -n "$url" ] || url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }')
    echo "${url:-http://deb.debian.org/debian}"
}
# deb_needs: the packages the .deb depends on or recommends that BASE lacks
# (of "a | b" the first, unless one is installed)
deb_needs () {
    local group alternative name have
    { { dpkg-deb -f "$deb" Depends; echo ","; dpkg-deb -f "$deb" Recommends; } | tr -d '\n' | tr ',' '\n'; echo; } \
    | while read -r group; do
        [ -n "$group" ] || continue
        have=""
        for alternative in ${group//|/ }; do
            case $alternative in \(*|*\)) continue ;; esac
            name=${alternative%%:*}
            dpkg-query --admindir="$BASE/var/lib/dpkg" -W -f='${Status}' "$name" 2>/dev/null \
                | grep -q 'install ok installed' && { have=$name; break; }
        done
        [ -n "$have" ] || { alternative=${group%%|*}; alternative=${alternative%%(*}; echo ${alternative%%:*}; }
    done
}
box_run () {   # box_run ROOT CMD...: CMD in ROOT, not booted, with the host's network
    timeout 600 systemd-nspawn -q --register=no --keep-unit --pipe -D "$1" "${@:2}"
}
mkdir -p "$CACHE"
exec 9> "$CACHE/bookworm.lock"
flock -w 900 9 || skip "$CACHE/bookworm.lock held for 15 minutes"
mirror=${JM_DEBIAN_MIRROR:-$(debian_mirror)}
mirror_answers () { curl -sf --max-time 15 -o /dev/null "$mirror/dists/bookworm/Release"; }
if [ ! -d "$BASE" ]; then            # debootstrap downloads while the package builds
    command -v debootstrap >/dev/null || skip "no debootstrap (tests/deps.sh installs it) to make $BASE"
    mirror_answers || skip "no Debian mirror ($mirror/dists/bookworm/Release does not answer) to make $BASE"
    rm -rf "$BASE.partial"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$BASE.partial" "$mirror" \
        > "$TMP/debootstrap.log" 2>&1 &
    pids+=($!)
fi
deb_package
stage package
if [ ${#pids[@]} -gt 0 ]; then
    wait "${pids[0]}"; rc=$?; pids=()
    [ $rc -eq 0 ] || { fail debootstrap "$(tail -3 "$TMP/debootstrap.log")"; rm -rf "$BASE.partial"; finish; }
    mv "$BASE.partial" "$BASE"
    stage "debootstrap bookworm into $BASE (alongside the package)"
fi
needs=$(deb_needs | xargs)
if [ -n "$needs" ]; then
    mirror_answers || skip "no Debian mirror ($mirror/dists/bookworm/Release does not answer) to install $needs"
    if ! box_run "$BASE" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends $needs && apt-get clean" > "$TMP/base-apt.log" 2>&1; then
        fail base_has_the_dependencies "apt-get install $needs: $(grep -E '^E:' "$TMP/base-apt.log" | head -3)"; finish
    fi
    stage "install $needs into $BASE"
fi
flock -s 9                           # others may boot it too; none changes it
[ -z "$(deb_needs)" ] && ok base_root_is_ready || { fail base_root_is_ready "$BASE lacks: $(deb_needs | xargs)"; finish; }

# ---- boot ---------------------------------------------------------------------
mkdir -p "$TMP/share" && cp "$deb" "$TMP/share/jobmatch.deb" && cp "$ROOT/proto/examples/candidates.jsonl" "$TMP/share/"
candidates=$(grep -c . "$TMP/share/candidates.jsonl")
machine="jm-boot-$$"
systemd-nspawn --register=no --keep-unit -D "$BASE" --volatile=overlay --private-network \
    --console=read-only -M "$machine" --bind-ro="$TMP/share:/mnt/jobmatch" -b > "$TMP/boot.log" 2>&1 &
nspawn_pid=$!
leader=""
find_leader () {   # the container's systemd, the child of systemd-nspawn
    local child
    for child in $(pgrep -P "$nspawn_pid"); do
        [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && { leader=$child; return 0; }
    done
    return 1
}
in_box () {   # in_box CMD...: CMD inside the booted container, at most 60 s
    timeout 60 nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
power_off () {   # bounded: poweroff, else SIGTERM, else SIGKILL to systemd-nspawn
    kill -0 "$nspawn_pid" 2>/dev/null || return 0
    [ -n "$leader" ] && in_box systemctl poweroff >/dev/null 2>&1
    wait_until 60 eval '! kill -0 $nspawn_pid' && return 0
    kill "$nspawn_pid"; wait_until 20 eval '! kill -0 $nspawn_pid' && return 0
    kill -9 "$nspawn_pid"; return 1
}
journal () { [ -n "$leader" ] && kill -0 "$nspawn_pid" 2>/dev/null && in_box journalctl --no-pager -n 400 > "$TMP/journal.log" 2>&1; }
trap 'journal; power_off; cleanup' EXIT
wait_until 30 find_leader || { fail container_starts "$(tail -5 "$TMP/boot.log")"; finish; }
wait_until 60 in_box test -S /run/systemd/private   # systemctl's socket
boot_state=$(in_box timeout 120 systemctl is-system-running --wait 2>&1)
case $boot_state in
    running|degraded) ok "container_boots ($boot_state)" ;;
    *) fail container_boots "is-system-running: $boot_state; $(tail -5 "$TMP/boot.log")"; finish ;;
esac
stage "boot under systemd-nspawn"

# ---- install ------------------------------------------------------------------
if in_box env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /mnt/jobmatch/jobmatch.deb > "$TMP/install.log" 2>&1; then
    ok deb_installs_offline
else
    fail deb_installs_offline "$(grep -E '^E:|rror' "$TMP/install.log" | head -3)"; finish
fi
stage "apt-get install the .deb (postinst starts the units)"
user=$(in_box getent passwd jobmatch)
uid=$(echo "$user" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "${user##*:}" = /usr/sbin/nologin ] \
    && ok user_jobmatch_is_a_system_user || fail user_jobmatch_is_a_system_user "getent: $user"
UNITS="jobmatch-gateway jobmatch-matcher jobmatch-dashboard"
all_active () { in_box systemctl is-active --quiet redis-server $UNITS; }
if wait_until 30 all_active; then
    ok redis_and_units_active
else
    fail redis_and_units_active "$(in_box systemctl is-active redis-server $UNITS | xargs); $(in_box journalctl --no-pager -n 5 -u 'jobmatch-*')"
fi
enabled=$(in_box systemctl is-enabled $UNITS | xargs)
[ "$enabled" = "enabled enabled enabled" ] && ok units_enabled || fail units_enabled "is-enabled: $enabled"
state=$(in_box systemctl is-system-running)
[ "$state" = running ] && ok system_running_no_failed_unit \
    || fail system_running_no_failed_unit "$state: $(in_box systemctl --failed --no-legend | xargs)"

# each process: the user, no capabilities, no new privileges, seccomp, read-only /usr
main_pid () { in_box systemctl show -P MainPID "$1"; }
sandbox=""
for unit in $UNITS; do
    pid=$(main_pid "$unit")
    [ -n "$pid" ] && [ "$pid" != 0 ] || { sandbox+=" $unit: no MainPID"; continue; }
    owner=$(in_box stat -c %U "/proc/$pid")
    status=$(in_box grep -E '^(CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tr -s ' \t' ' ' | xargs)
    in_box nsenter -t "$pid" -m touch /usr/jm-probe 2>/dev/null && sandbox+=" $unit: /usr writable"
    [ "$owner" = jobmatch ] || sandbox+=" $unit: runs as $owner"
    [ "$status" = "CapEff: 0000000000000000 NoNewPrivs: 1 Seccomp: 2" ] || sandbox+=" $unit: $status"
done
[ -z "$sandbox" ] && ok units_run_as_jobmatch_sandboxed || fail units_run_as_jobmatch_sandboxed "$sandbox"

# ---- the stack answers ----------------------------------------------------------
scored () {   # scored MODE: the number of results of the samples (submit: through the gateway)
    if [ "$1" = submit ]; then
        in_box jobmatch submit --timeout-ms 3000 --job "$JOB" /mnt/jobmatch/candidates.jsonl 2> "$TMP/submit.err"
    else
        in_box jobmatch score --job "$JOB" /mnt/jobmatch/candidates.jsonl 2> "$TMP/score.err"
    fi | grep -c '"score"'
}
submit_scores_all () { [ "$(scored submit)" -eq "$candidates" ]; }
[ "$(scored score)" -eq "$candidates" ] && ok cli_scores_offline_with_the_installed_data \
    || fail cli_scores_offline_with_the_installed_data "$(tail -2 "$TMP/score.err")"
wait_until 30 submit_scores_all && ok cli_scores_the_samples_through_the_units \
    || fail cli_scores_the_samples_through_the_units "$(scored submit) of $candidates; $(tail -2 "$TMP/submit.err")"
get () {   # the host's curl in the container's network (the root has no curl)
    timeout 10 nsenter -t "$leader" -n curl -sf --max-time 3 "http://127.0.0.1:8080$1"; }
wait_until 15 get /livez && ok dashboard_livez || fail dashboard_livez "no answer on 127.0.0.1:8080"
readyz=$(get /readyz)
echo "$readyz" | grep -q '"ready"' && ok dashboard_readyz || fail dashboard_readyz "got: $readyz"
check_ranking_holds "$candidates"
stage "checks of the running stack"

# ---- restarts -------------------------------------------------------------------
came_back () { local pid; pid=$(main_pid "$1"); [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$2" ] \
               && in_box systemctl is-active --quiet "$1"; }
old=$(main_pid jobmatch-matcher)
in_box systemctl kill -s KILL jobmatch-matcher
if wait_until 20 came_back jobmatch-matcher "$old" && wait_until 30 submit_scores_all; then
    ok matcher_killed_comes_back_and_scores
else
    fail matcher_killed_comes_back_and_scores "$(in_box systemctl is-active jobmatch-matcher); $(tail -2 "$TMP/submit.err")"
fi
old=$(main_pid jobmatch-gateway)
in_box systemctl restart jobmatch-gateway
if wait_until 20 came_back jobmatch-gateway "$old" && wait_until 30 submit_scores_all; then
    ok gateway_restarted_takes_work_again
else
    fail gateway_restarted_takes_work_again "$(in_box systemctl is-active jobmatch-gateway); $(tail -2 "$TMP/submit.err")"
fi
stage restarts

# ---- stop, purge, power off ----------------------------------------------------------
in_box systemctl stop $UNITS
states=$(in_box systemctl is-active $UNITS | xargs)
results=$(for unit in $UNITS; do in_box systemctl show -P Result "$unit"; done | xargs)
[ "$states" = "inactive inactive inactive" ] && [ "$results" = "success success success" ] \
    && ok units_stop_cleanly || fail units_stop_cleanly "is-active: $states; Result: $results"
if in_box env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q jobmatch > "$TMP/purge.log" 2>&1 \
   && ! in_box test -e /lib/systemd/system/jobmatch-gateway.service; then
    ok deb_purges
else
    fail deb_purges "$(grep -E '^E:|rror' "$TMP/purge.log" | head -3)"
fi
journal
in_box systemctl poweroff
if wait_until 60 eval '! kill -0 $nspawn_pid'; then
    wait "$nspawn_pid"; rc=$?
    [ $rc -eq 0 ] && ok container_powers_off || fail container_powers_off "systemd-nspawn exited $rc"
else
    fail container_powers_off "still running after 60 s"
fi
stage "stop, purge, power off"
echo "time total: $((SECONDS - started)) s"
finish
