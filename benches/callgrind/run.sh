#!/bin/sh
# Instructions per hot path (callgrind, x86_64): builds benches/callgrind/hot_paths.c against
# the release archive and prints the instructions each measured call costs, on average over N
# calls (a benchmark that prints figures, not a test).
#
# Usage: benches/callgrind/run.sh [N]   (honours CARGO_TARGET_DIR; needs gcc and valgrind)
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
n=${1:-200}
work=$target/callgrind
mkdir -p "$work"

(cd "$repo" && cargo build --release --lib --quiet ${FEATURES:+--features "$FEATURES"})
gcc -std=c99 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
    -I"$repo/include" -I"$repo/c_examples/mock" \
    -o "$work/hot_paths" "$repo/benches/callgrind/hot_paths.c" \
    "$target/release/libiot_dev_bind.a" -lpthread -ldl -lm

echo "== instructions per call (callgrind, x86_64, default log level, HAL_Printf formats)"
for what in query notify report ack; do
    out=$work/callgrind.$what.out
    calls=$(valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out" \
        "$work/hot_paths" "$what" "$n" 2>/dev/null)
    total=$(awk '/^summary:/ { print $2 }' "$out")
    echo "$what: $((total / calls)) instructions per call ($total over $calls)"
done
echo "(targets: query <= 5000, notify <= 4000; the C module's query: 14144)"
