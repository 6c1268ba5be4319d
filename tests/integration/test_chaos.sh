#!/usr/bin/env bash
# The chaos suite's short version, for `make test`: every fault of
# tests/chaos/run (matcher SIGKILL storm, matcher SIGSTOP, Redis paused,
# shut down and restarted, SIGKILLed and restarted empty, gateway SIGKILL
# and SIGTERM, CLI SIGKILL and --resume) on CHAOS_SHORT_N (default 20,000)
# candidates with short faults (about 2 minutes in all on 2 cores).  One line
# per fault, the table, then "N passed, N failed".  The long runs are
# `make chaos` (tests/chaos/README.md).
set -u
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/chaos/run --short --n "${CHAOS_SHORT_N:-20000}" "$@"
