#!/bin/sh
# Coverage-guided fuzzing of the C ABI with libFuzzer (clang -fsanitize=fuzzer,address,undefined).
#
#   tests/fuzz/run.sh [seconds-per-target]      (default 20)
#
# 1. Builds libiot_dev_bind.a (release profile) with SanitizerCoverage instrumentation on the
#    stable toolchain (-Cpasses=sancov-module, the flags cargo-fuzz uses), plus debug
#    assertions and overflow checks, so libFuzzer is guided by the Rust code's edges and an
#    arithmetic overflow is a crash. Set DEV_BIND_LIB=<archive> to link an existing archive
#    instead (then only the harness and the mock are coverage-instrumented).
# 2. Builds one libFuzzer binary per target (tests/fuzz/fuzz_*.c + the mock SDK).
# 3. Runs each target for the given seconds with -max_len=2048 and the JSON dictionary, seeded
#    from tests/fuzz/corpus/<target>/ (read-only; new inputs go to the work directory).
# Exits non-zero when any target crashes, leaks, trips a sanitizer or breaks an invariant; the
# reproducer is then in $FUZZ_OUT/artifacts/ (replay: <binary> <file>).
#
# Needs clang with libFuzzer (Debian 12: apt-get install clang; the runtime is
# libclang-rt-14-dev, a dependency of clang-14). Environment:
#   FUZZ_OUT      work directory (default: <cargo target dir>/fuzz)
#   FUZZ_TARGETS  space-separated subset of targets (default: all)
#   FUZZ_RUNS     run each target for this many executions instead of seconds-per-target
#   FUZZ_MERGE    1: afterwards, merge the inputs that add coverage into tests/fuzz/corpus/
#   CC            clang to use (default: clang)
set -eu

secs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cc=${CC:-clang}
targets=${FUZZ_TARGETS:-"fuzz_match_reply fuzz_reset_reply fuzz_query fuzz_notify_ack fuzz_sequence"}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
out=${FUZZ_OUT:-$target_dir/fuzz}
mkdir -p "$out/bin" "$out/artifacts"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run.sh: $cc not found (Debian: apt-get install clang)" >&2
    exit 2
fi

if [ -n "${DEV_BIND_LIB:-}" ]; then
    lib=$DEV_BIND_LIB
else
    host=$(rustc -vV | sed -n 's/^host: //p')
    echo "== building the coverage-instrumented archive ($host)"
    # --target keeps RUSTFLAGS off the build script; a separate target dir keeps the normal
    # build's cache.
    (cd "$repo" && CARGO_TARGET_DIR="$out/cargo" RUSTFLAGS="-Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 \
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table \
        -Cllvm-args=-sanitizer-coverage-trace-compares \
        -Cdebug-assertions -Coverflow-checks -Cforce-frame-pointers=yes" \
        cargo build --release --quiet --target "$host")
    lib=$out/cargo/$host/release/libiot_dev_bind.a
fi
[ -f "$lib" ] || { echo "run.sh: $lib missing" >&2; exit 2; }

cflags="-g -O1 -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I$repo/include -I$repo/c_examples/mock -I$here"
for t in $targets; do
    echo "== compiling $t"
    # shellcheck disable=SC2086
    "$cc" $cflags -o "$out/bin/$t" "$here/$t.c" "$here/fuzz_common.c" \
        "$repo/c_examples/mock/mock_sdk.c" "$lib" -Wl,--gc-sections -lpthread -ldl -lm
done

fail=0
start=$(date +%s)
for t in $targets; do
    mkdir -p "$out/corpus/$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        echo "== fuzzing $t for $FUZZ_RUNS executions"
        budget="-runs=$FUZZ_RUNS"
    else
        echo "== fuzzing $t for ${secs}s"
        budget="-max_total_time=$secs"
    fi
    log=$out/$t.log
    if MOCK_QUIET=1 ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$out/bin/$t" -max_len=2048 "$budget" -timeout=10 -rss_limit_mb=2048 \
        -dict="$here/json.dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
        "$out/corpus/$t" "$here/corpus/$t" >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            if ! MOCK_QUIET=1 "$out/bin/$t" -merge=1 -max_len=2048 "$here/corpus/$t" \
                "$out/corpus/$t" >"$out/$t.merge.log" 2>&1; then
                echo "!! merging the new inputs of $t failed: $out/$t.merge.log" >&2
                fail=1
            fi
            grep -E 'MERGE-OUTER: [0-9]+ new files' "$out/$t.merge.log" || true
        fi
    else
        echo "!! $t FAILED; last lines of $log:" >&2
        tail -n 60 "$log" >&2
        fail=1
    fi
done
echo "== fuzzing took $(( $(date +%s) - start ))s; artifacts (if any) in $out/artifacts"
exit $fail
