#!/usr/bin/env bash
# Builds Persona twice (optimised, and with AddressSanitizer +
# UndefinedBehaviorSanitizer) and runs every test in both builds, and the
# CLI golden tests of the optimised build under valgrind memcheck; then
# builds the thread test alone with ThreadSanitizer and runs it: eight
# threads on one model, where any report fails (docs/embedding.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium and a CJK font: the report/browser test opens persona report's page.
bash scripts/deps.sh chromium fonts-noto-cjk
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERSONA_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

# The CLI golden tests again under valgrind memcheck: any invalid access,
# uninitialised read or leaked block fails (tests/valgrind/run.sh; about
# half a minute on two cores).
bash tests/valgrind/run.sh build

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPERSONA_SANITIZE=ON -DPERSONA_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

# Only what the thread test needs: the TSan build adds about a minute, not
# a third full build.
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERSONA_TSAN=ON -DPERSONA_WERROR=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target test_threads
ctest --test-dir build-tsan -R '^unit/threads$' --output-on-failure
