#!/bin/sh
# test.sh - the whole test suite, as CI runs it:
#   1. a warnings-are-errors build and its tests,
#   2. the same tests built with AddressSanitizer and UBSan,
#   3. every libFuzzer target for a bounded time under ASan and UBSan (clang),
#   4. `veil mask` under ThreadSanitizer: its two threads share the buffers
#      stdin is read into, the one place where threads share input bytes.
# Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests || exit 1
scripts/build-web.sh || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
passed=0
failed=0

# run_suite DIR [meson test args]: adds meson's Ok/Fail counts to the totals.
run_suite() {
    dir=$1
    shift
    log=$dir/suite.log
    meson test -C "$dir" --print-errorlogs "$@" >"$log" 2>&1
    cat "$log"
    ok=$(awk '/^Ok:/ {print $2}' "$log")
    bad=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
    if [ -z "$ok" ]; then
        echo "test.sh: meson test did not run in $dir" >&2
        bad=$((bad + 1))
        ok=0
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
}

# build DIR [meson setup args]: configures once, then builds.
build() {
    dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir"
}

if build build-werror -Dwerror=true; then
    run_suite build-werror
else
    echo "test.sh: the -Werror build failed" >&2
    failed=$((failed + 1))
fi

if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suite build-asan
else
    echo "test.sh: the sanitizer build failed" >&2
    failed=$((failed + 1))
fi

if CC=clang build build-fuzz -Dfuzz=true -Dfuzz_seconds="$FUZZ_SECONDS" \
    -Db_sanitize=address,undefined -Db_lundef=false; then
    meson configure build-fuzz -Dfuzz_seconds="$FUZZ_SECONDS" >/dev/null
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suite build-fuzz --suite fuzz
else
    echo "test.sh: the fuzz build failed" >&2
    failed=$((failed + 1))
fi

if { [ -f build-tsan/build.ninja ] || meson setup build-tsan -Db_sanitize=thread >/dev/null; } &&
    ninja -C build-tsan veil/veil; then
    TSAN_OPTIONS=halt_on_error=1 run_suite build-tsan --no-rebuild mask-stream
else
    echo "test.sh: the ThreadSanitizer build failed" >&2
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
