#!/usr/bin/env bash
# The fuzz targets as regression tests, for `make test`: builds them
# (make fuzz-build: clang, ASan, UBSan) and runs each for a few seconds
# (FUZZ_SHORT_SECONDS, default 4) over its corpus, so every seed and every
# regression input in tests/fuzz/corpus/ is replayed, then a few thousand
# new inputs are tried.  One line per target, then "N passed, N failed".
# The long runs are `make fuzz` (tests/fuzz/README.md).
set -u
cd "$(dirname "$0")/../.."
mkdir -p build-fuzz
if ! make -s fuzz-build > build-fuzz/build.log 2>&1; then
    tail -n 20 build-fuzz/build.log
    echo "FAIL fuzz-build (log: build-fuzz/build.log)"
    echo "0 passed, 1 failed"
    exit 1
fi
FUZZ_SECONDS=${FUZZ_SHORT_SECONDS:-4} FUZZ_WORK=build-fuzz/short exec tests/fuzz/run
