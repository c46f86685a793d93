#!/bin/sh
# Footprint of libiot_dev_bind.a in a firmware-like link (prints figures; not a test).
#
# Links a C program that keeps every export alive (a table of their addresses and the data
# symbols) with gcc -Os, function/data sections and --gc-sections, once against the release
# archive plus empty stubs of the imports, once against the stubs alone (same-sized table of
# NULLs), and prints the text/data/bss the library adds (`size` difference), with and without
# the unwind tables (`.eh_frame`, `.eh_frame_hdr`). Also reports any `core::fmt` and
# `core::panicking` code that survived into the linked program.
#
# The archive is built for this measurement with `-C force-unwind-tables=no` (firmware targets
# such as thumbv7em emit none anyway) into its own target directory, so the ordinary release
# build is not disturbed. The host's prebuilt `core` still carries tables for whatever of it is
# linked: the figure "without unwind tables" is the one to compare with the C module.
#
# The C module's figures, for comparison: 11,708 bytes of text and 313 bytes of static RAM.
#
# Usage: benches/footprint/footprint.sh   (honours CARGO_TARGET_DIR; needs gcc, size, nm)
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
abi=$repo/../shared/abi
[ -f "$abi/exports.txt" ] || abi=$repo/tests/abi
work=$target/footprint
mkdir -p "$work"

(cd "$repo" && CARGO_TARGET_DIR=$work/cargo RUSTFLAGS="-C force-unwind-tables=no" \
    cargo build --release --lib --quiet)
lib=$work/cargo/release/libiot_dev_bind.a

data="aes_random awss_report_token_suc awss_report_token_cnt"
funcs=$(grep -v -x -e aes_random -e awss_report_token_suc -e awss_report_token_cnt "$abi/exports.txt" | grep .)
n=$(printf '%s\n' $funcs $data | wc -l)

{
    echo '#include <stddef.h>'
    echo '#ifndef BASELINE'
    for f in $funcs; do echo "extern void $f(void);"; done
    for d in $data; do echo "extern char $d[];"; done
    echo 'void *volatile keep[] = {'
    for f in $funcs; do echo "    (void *)$f,"; done
    for d in $data; do echo "    (void *)$d,"; done
    echo '};'
    echo '#else'
    echo "void *volatile keep[$n] = { (void *)1 };"
    echo '#endif'
    echo 'int main(void) { return keep[0] == NULL; }'
} > "$work/keep.c"

{
    for i in $(cat "$abi/imports.txt") HAL_Reboot; do echo "void $i(void) {}"; done
} > "$work/stubs.c"

cflags="-Os -no-pie -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
gcc $cflags -c "$work/stubs.c" -o "$work/stubs.o"
rm -f "$work/libstubs.a"
ar rcs "$work/libstubs.a" "$work/stubs.o"

gcc $cflags -Wl,--gc-sections -o "$work/with_lib" "$work/keep.c" "$lib" "$work/libstubs.a"
gcc $cflags -DBASELINE -Wl,--gc-sections -o "$work/baseline" "$work/keep.c" "$work/libstubs.a"

# Sum of the named sections of an ELF file (`size -A`).
sections() {
    size -A "$1" | awk -v re="$2" '$1 ~ re { s += $2 } END { print s + 0 }'
}

echo "== size (with the library, then the baseline)"
size "$work/with_lib" "$work/baseline"
set -- $(size "$work/with_lib" | tail -1)
t1=$1 d1=$2 b1=$3
set -- $(size "$work/baseline" | tail -1)
t0=$1 d0=$2 b0=$3
eh1=$(sections "$work/with_lib" '^\.eh_frame')
eh0=$(sections "$work/baseline" '^\.eh_frame')
ro1=$(sections "$work/with_lib" '^\.rodata')
ro0=$(sections "$work/baseline" '^\.rodata')
echo "== added by libiot_dev_bind.a (x86_64, gcc -Os, --gc-sections)"
echo "text without unwind tables: $((t1 - eh1 - t0 + eh0)) bytes   (C module: 11708)"
echo "text with .eh_frame*:       $((t1 - t0)) bytes"
echo "  of which .rodata:         $((ro1 - ro0)) bytes"
echo "data: $((d1 - d0)) bytes"
echo "bss:  $((b1 - b0)) bytes"
echo "data + bss (size): $((d1 - d0 + b1 - b0)) bytes (on x86_64 this includes the GOT that PIC objects need)"
# The library's own variables: sized .data/.bss symbols of the linked program that the
# baseline does not have (what a firmware's RAM really pays).
vars=$(nm -S "$work/with_lib" | awk '$3 ~ /^[bBdD]$/ && NF == 4 {print $4, $2}' | sort)
base_vars=$(nm -S "$work/baseline" | awk '$3 ~ /^[bBdD]$/ && NF == 4 {print $4}' | sort)
ram=$(printf '%s\n' "$vars" | while read -r name size; do
    printf '%s\n' "$base_vars" | grep -qx "$name" || printf '%d\n' "0x$size"
done | awk '{ s += $1 } END { print s + 0 }')
echo "static RAM (the library's variables): $ram bytes   (C module: 313)"
echo "== sections of the linked program (the library's share is most of it)"
size -A "$work/with_lib" | grep -E '^\.(text|rodata|eh_frame|data|bss)' || true
echo "== text by part of the library (functions and read-only data, bytes)"
# Module path of each sized symbol; exported C functions (plain names) are one group.
nm -C -t d --size-sort -S "$work/with_lib" | awk '
    $3 ~ /^[tTrR]$/ {
        name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
        if (name ~ /^[A-Za-z_][A-Za-z_0-9]*$/) part = ($3 ~ /[rR]/) ? "(other read-only data)" : "exported C functions"
        else if (match(name, /iot_dev_bind::(core|ffi)::[a-z_]+/)) part = substr(name, RSTART + 14, RLENGTH - 14)
        else part = "other (core, heapless, rand_core)"
        sum[part] += $2 + 0
    }
    END { for (p in sum) { printf "%7d  %s\n", sum[p], p; all += sum[p] }
          printf "%7d  unnamed (string literals, jump tables, padding)\n", total - all }' \
    total=$((t1 - eh1 - t0 + eh0)) | sort -rn
echo "== largest library functions"
nm -C --size-sort -S "$work/with_lib" | grep -i -e ' t ' -e ' T ' | tail -12
echo "== core::fmt and core::panicking code in the linked program"
fmt=$(nm -C "$work/with_lib" | grep -c 'core::fmt' || true)
pan=$(nm -C "$work/with_lib" | grep -c 'core::panicking' || true)
echo "$fmt core::fmt symbols, $pan core::panicking symbols"
nm -C "$work/with_lib" | grep -e 'core::fmt' -e 'core::panicking' | head -10 || true
