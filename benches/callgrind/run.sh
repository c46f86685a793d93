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
echo "   total = HAL_Printf/HAL_Snprintf (the test double's vsnprintf) + the other doubles"
echo "   (HAL, mutex, MQTT, CoAP: inclusive cost of every function hot_paths.c defines for the"
echo "   library) + the library's own instructions"
for what in query notify report ack; do
    out=$work/callgrind.$what.out
    calls=$(valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out" \
        "$work/hot_paths" "$what" "$n" 2>/dev/null)
    total=$(awk '/^summary:/ { print $2 }' "$out")
    # Inclusive cost of each double: the lines `N (P%)  benches/callgrind/hot_paths.c:name [obj]`
    # (the doubles never call back into the library, so nothing is counted twice).
    costs=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null | awk '
        / benches\/callgrind\/hot_paths\.c:[A-Za-z_]+ \[/ {
            name = $0; sub(/.*hot_paths\.c:/, "", name); sub(/ .*/, "", name)
            n = $1; gsub(",", "", n)
            if (name == "HAL_Printf" || name == "HAL_Snprintf") printf_ += n
            else if (name ~ /^(HAL_|IOT_|CoAP|iotx_)/) other += n
        }
        END { printf "%d %d\n", printf_, other }')
    set -- $costs
    echo "$what: $((total / calls)) instructions per call = $(($1 / calls)) printf" \
        "+ $(($2 / calls)) other doubles + $(((total - $1 - $2) / calls)) library's own" \
        "($total over $calls)"
done
echo "(targets, totals: query <= 5000, notify <= 4000; the C module's query: 14144)"
