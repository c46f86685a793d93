#!/bin/sh
# Footprint of libiot_dev_bind.a in a firmware-like link (prints figures; not a test).
#
# For each target, links a C program that keeps every export alive (a table of their addresses
# and the data symbols) with gcc -Os, function/data sections and --gc-sections, once against
# the library plus empty stubs of the imports, once against the stubs alone (a same-sized table
# of NULLs), and prints the text/data/bss the library adds (`size` difference), its static RAM
# (its own .data/.bss variables), the ratio to the C module, and where the text goes: the
# linker map attributes every input section to the library's own code or to the
# compiler_builtins members of the archive; then the same for the package's archive (make dist),
# which takes memcpy and the arithmetic helpers from the firmware's C library instead.
#
#   benches/footprint/footprint.sh                 every target: cortex-m4 riscv32imc x86_64
#   benches/footprint/footprint.sh cortex-m4       one or more of them
#
# The C module's figures, measured the same way on Cortex-M4: 9,820 bytes of text and 152 bytes
# of static RAM with its logs muted (the SDK's default build), 12,580 bytes of text with its
# log levels compiled in. On x86_64: 11,708 bytes of text, 313 bytes of static RAM. (Not
# measured on RV32.)
#
# Firmware targets are built with Debian's Rust as tests/firmware/run.sh builds them. The x86_64
# archive is built with `-C force-unwind-tables=no` (firmware targets emit none anyway) into its
# own target directory; the host's prebuilt `core` still carries tables for whatever of it is
# linked, so the x86_64 text is given without `.eh_frame*`.
#
# Environment: CARGO_TARGET_DIR; FIRMWARE_CARGO and FIRMWARE_RUSTC as for tests/firmware/run.sh;
# FOOTPRINT_FEATURES, cargo features of the firmware builds (e.g. max-level-off), built into a
# target directory of their own. With `wifi-provision` among them, the program keeps the
# exports of exports-wifi-provision.txt alive and stubs imports-wifi-provision.txt; with any,
# each firmware target also prints the text the features add to the default build.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
abi=$repo/tests/abi
work=$target/footprint
mkdir -p "$work"

data="aes_random awss_report_token_suc awss_report_token_cnt"

# keep_alive EXPORTS IMPORTS SUFFIX: writes $work/keep$SUFFIX.c and $work/stubs$SUFFIX.c.
keep_alive() {
funcs=$(grep -v -x -e aes_random -e awss_report_token_suc -e awss_report_token_cnt "$abi/$1" | grep .)
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
} > "$work/keep$3.c"
for i in $({ cat "$abi/$2"; echo HAL_Reboot; } | sort -u); do
    echo "void $i(void) {}"
done > "$work/stubs$3.c"
}

keep_alive exports.txt imports.txt ""
suffix=""
case " ${FOOTPRINT_FEATURES:-} " in
    *wifi-provision*)
        keep_alive exports-wifi-provision.txt imports-wifi-provision.txt -wifi
        suffix=-wifi ;;
esac

# firmware_lib TRIPLE [default]: builds the library for TRIPLE with Debian's Rust (with
# FOOTPRINT_FEATURES, unless `default`), prints its path.
firmware_lib() {
    dir=$target features=${FOOTPRINT_FEATURES:-}
    [ "${2:-}" != default ] || features=""
    [ -z "$features" ] || dir=$work/features
    (cd "$repo" && CARGO_TARGET_DIR=$dir RUSTC=${FIRMWARE_RUSTC:-/usr/bin/rustc} \
        RUSTC_BOOTSTRAP=1 "${FIRMWARE_CARGO:-/usr/bin/cargo}" build --quiet --release --lib \
        --target "$1" -Zbuild-std=core ${features:+--features "$features"}) >&2
    echo "$dir/$1/release/libiot_dev_bind.a"
}

# Sum of the named sections of an ELF file (`size -A`).
sections() {
    "$SIZE" -A "$1" | awk -v re="$2" '$1 ~ re { s += $2 } END { print s + 0 }'
}

# ratio A B: A / B with two decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

# figures NAME LIB: links the keep-alive program with and without LIB using $CC, $CFLAGS,
# $LDFLAGS, $SIZE and $NM into $work/NAME, and sets text, ram, builtins, eh, ro, t1..b0 and out.
# $UNWIND is the regex of the unwind-table sections to leave out of the text figure.
figures() {
    name=$1 lib=$2 out=$work/$1 keep=$work/keep${3-$suffix}.c stubs=$work/stubs${3-$suffix}.c
    mkdir -p "$out"
    # shellcheck disable=SC2086
    {
        $CC $CFLAGS -c "$stubs" -o "$out/stubs.o"
        rm -f "$out/libstubs.a"
        $AR rcs "$out/libstubs.a" "$out/stubs.o"
        $CC $CFLAGS $LDFLAGS -Wl,--gc-sections -Wl,-Map,"$out/with_lib.map" -o "$out/with_lib" \
            "$keep" "$lib" "$out/libstubs.a"
        $CC $CFLAGS $LDFLAGS -DBASELINE -Wl,--gc-sections -o "$out/baseline" "$keep" \
            "$out/libstubs.a"
    }
    set -- $("$SIZE" "$out/with_lib" | tail -1)
    t1=$1 d1=$2 b1=$3
    set -- $("$SIZE" "$out/baseline" | tail -1)
    t0=$1 d0=$2 b0=$3
    eh1=$(sections "$out/with_lib" "$UNWIND")
    eh0=$(sections "$out/baseline" "$UNWIND")
    ro1=$(sections "$out/with_lib" '^\.rodata')
    ro0=$(sections "$out/baseline" '^\.rodata')
    text=$((t1 - eh1 - t0 + eh0))
    # The library's own variables: sized .data/.bss symbols of the linked program that the
    # baseline does not have (what a firmware's RAM really pays).
    vars=$("$NM" -S "$out/with_lib" | awk '$3 ~ /^[bBdD]$/ && NF == 4 {print $4, $2}' | sort)
    base_vars=$("$NM" -S "$out/baseline" | awk '$3 ~ /^[bBdD]$/ && NF == 4 {print $4}' | sort)
    ram=$(printf '%s\n' "$vars" | while read -r var size; do
        [ -n "$var" ] || continue
        printf '%s\n' "$base_vars" | grep -qx "$var" || printf '%d\n' "0x$size"
    done | awk '{ s += $1 } END { print s + 0 }')
    # Input sections of the library's archive that the link kept, by member: the LTO object
    # (the library's code) or compiler_builtins (memcpy, division and shift helpers).
    builtins=$(awk -v lib="$(basename "$lib")" '
        function hex(x,  i, v) {
            x = tolower(x); sub(/^0x/, "", x); v = 0
            for (i = 1; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
            return v
        }
        /^Linker script and memory map/ { kept = 1; next }
        !kept { next }
        # a kept input section: " .text.x  0xADDR  0xSIZE  path(member)", where a long name
        # stands alone on the line before
        /^ \.[^ ]+ *$/ { sec = $1; pending = 1; next }
        {
            if (pending && $1 ~ /^0x/ && $2 ~ /^0x/) { size = $2; file = $3 }
            else if ($1 ~ /^\./ && $2 ~ /^0x/ && $3 ~ /^0x/) { sec = $1; size = $3; file = $4 }
            else { pending = 0; next }
            pending = 0
            if (index(file, lib "(") && file ~ /compiler_builtins/ && sec !~ /^\.(data|bss)/)
                s += hex(size)
        }
        END { print s + 0 }' "$out/with_lib.map")
}

# measure NAME LIB: figures, then prints them with the ratios to the C module ($C_TEXT,
# $C_TEXT_LOGS, $C_RAM), the largest functions, and the same link with the package's archive
# (scripts/dist.sh with $DIST_TOOLS binutils), which defines no compiler_builtins name.
measure() {
    figures "$1" "$2"
    echo "== $name: added by libiot_dev_bind.a (gcc -Os, --gc-sections, every export kept)"
    if [ "$((eh1 - eh0))" -eq 0 ]; then
        echo "text:       $text bytes"
    else
        echo "text:       $text bytes without unwind tables ($((t1 - t0)) with them)"
    fi
    echo "  of which compiler_builtins: $builtins bytes$( [ "$((ro1 - ro0))" -eq 0 ] \
        || echo ", .rodata: $((ro1 - ro0)) bytes")"
    echo "data:       $((d1 - d0)) bytes, bss: $((b1 - b0)) bytes (size's columns)"
    echo "static RAM: $ram bytes (the library's variables)"
    if [ -z "$C_TEXT" ]; then
        echo "vs the C module: not measured on this target"
    elif [ -n "$C_TEXT_LOGS" ]; then
        echo "vs the C module: text $(ratio "$text" "$C_TEXT_LOGS")x its $C_TEXT_LOGS B with logs," \
            "$(ratio "$text" "$C_TEXT")x its $C_TEXT B muted; static RAM $(ratio "$ram" "$C_RAM")x its $C_RAM B"
    else
        echo "vs the C module: text $(ratio "$text" "$C_TEXT")x its $C_TEXT B; static RAM $(ratio "$ram" "$C_RAM")x its $C_RAM B"
    fi
    echo "-- largest library functions"
    "$NM" -C --size-sort -S "$out/with_lib" | grep -i -e ' t ' -e ' T ' | tail -8
    fmt=$("$NM" -C "$out/with_lib" | grep -c 'core::fmt' || true)
    pan=$("$NM" -C "$out/with_lib" | grep -c 'core::panicking' || true)
    echo "-- $fmt core::fmt symbols, $pan core::panicking symbols in the linked program"
    cargo_text=$text
    # shellcheck disable=SC2086 # DIST_LD may carry options
    AR=${DIST_TOOLS}ar NM=${DIST_TOOLS}nm OBJCOPY=${DIST_TOOLS}objcopy LD="${DIST_TOOLS}ld $DIST_LD" \
        sh "$repo/scripts/dist.sh" "$lib" "$work/$name-dist" 0.0.0 > /dev/null
    figures "$name-package" "$work/$name-dist/lib/libiot_dev_bind.a"
    echo "-- the package's archive (make dist): text $text bytes ($((text - cargo_text)) vs cargo's;" \
        "memcpy and the helpers from the C library), static RAM $ram bytes"
    if [ -n "${FOOTPRINT_FEATURES:-}" ] && [ -n "${3:-}" ]; then
        feat_text=$cargo_text feat_ram=$ram
        figures "$name-default" "$(firmware_lib "$3" default)" ""
        echo "-- features '$FOOTPRINT_FEATURES' add: text $((feat_text - text)) bytes," \
            "static RAM $((feat_ram - ram)) bytes ($feat_text B vs the default build's $text B)"
    fi
}

cortex_m4() {
    CC=arm-none-eabi-gcc AR=arm-none-eabi-ar SIZE=arm-none-eabi-size NM=arm-none-eabi-nm
    CFLAGS="-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections"
    LDFLAGS="--specs=nosys.specs -Wl,--no-warn-rwx-segments -Wl,--no-warn-execstack"
    UNWIND='^\.ARM\.ex' C_TEXT=9820 C_TEXT_LOGS=12580 C_RAM=152
    DIST_TOOLS=arm-none-eabi- DIST_LD=""
    measure cortex-m4 "$(firmware_lib thumbv7em-none-eabi)" thumbv7em-none-eabi
}

riscv32imc() {
    CC=riscv64-unknown-elf-gcc AR=riscv64-unknown-elf-ar SIZE=riscv64-unknown-elf-size
    NM=riscv64-unknown-elf-nm
    CFLAGS="-march=rv32imc -mabi=ilp32 --specs=picolibc.specs -Os -ffunction-sections -fdata-sections"
    # picolibc has no rv32imc multilib: the link takes rv32im's (as tests/firmware/run.sh does)
    LDFLAGS="-march=rv32im -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x200000
        -Wl,--defsym=__ram=0x80200000 -Wl,--defsym=__ram_size=0x600000"
    UNWIND='^\.eh_frame' C_TEXT="" C_TEXT_LOGS="" C_RAM=""
    DIST_TOOLS=riscv64-unknown-elf- DIST_LD="-m elf32lriscv"
    measure riscv32imc "$(firmware_lib riscv32imc-unknown-none-elf)" riscv32imc-unknown-none-elf
}

x86_64() {
    (cd "$repo" && CARGO_TARGET_DIR=$work/cargo RUSTFLAGS="-C force-unwind-tables=no" \
        cargo build --release --lib --quiet)
    CC=gcc AR=ar SIZE=size NM=nm
    CFLAGS="-Os -no-pie -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
    LDFLAGS="" UNWIND='^\.eh_frame' C_TEXT=11708 C_TEXT_LOGS="" C_RAM=313
    DIST_TOOLS="" DIST_LD=""
    measure x86_64 "$work/cargo/release/libiot_dev_bind.a"
}

[ $# -gt 0 ] || set -- cortex-m4 riscv32imc x86_64
for t in "$@"; do
    case $t in
        cortex-m4) cortex_m4 ;;
        riscv32imc) riscv32imc ;;
        x86_64) x86_64 ;;
        *) echo "unknown target '$t' (cortex-m4, riscv32imc, x86_64)" >&2; exit 2 ;;
    esac
done
