#!/usr/bin/env bash
# Full breakdowns recomputed from stored profiles and job versions
# (common/store/jm_recompute.h), on one core: bench_recompute makes 2,000
# candidates (every third with a résumé of tests/eval) against the built-in
# jobs and prints the median of 3 runs, and the rate from candidates
# already built (the profile's reading is the difference).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
taskset -c 0 "$BUILD/bin/bench_recompute" --generate 2000 --runs 3 > /dev/null
