#!/usr/bin/env bash
# The C bind tests on firmware CPUs, under qemu: builds libiot_dev_bind.a for each target with
# Debian's Rust (it has the std source that `-Zbuild-std=core` needs), links tests/c/test_bind.c,
# its helpers and the C mock of the SDK (unchanged, -Wall -Wextra -Werror) into a bare-metal
# image with the target's C library (newlib or picolibc, I/O and the command line through
# semihosting), then runs every case of the image's own list in its own qemu run, bounded by
# `timeout`. Also compiles tests/c/layout_static.c with the cross compiler (the SDK structures'
# ILP32 layout) and links the library without --gc-sections. Then the same for the
# `wifi-provision` build: tests/c/test_provision.c with the mock of the provisioning imports
# (c_examples/mock/mock_provision.c, HAL_Reboot recorded through --wrap), every case in qemu.
#
#   tests/firmware/run.sh                  both targets
#   tests/firmware/run.sh cortex-m4        one of: cortex-m4 riscv32imc
#
# For each target it prints two lines, e.g. `cortex-m4 (qemu mps2-an386): 25 passed, 0 failed`
# and `cortex-m4 wifi-provision (qemu mps2-an386): 25 passed, 0 failed`,
# and it exits non-zero when any case or check failed. Single-threaded images: the thread test,
# the sanitizers and valgrind stay on the host (tests/c).
#
# Environment: CARGO_TARGET_DIR (the cross archives go to <dir>/<triple>/release), BUILD (the
# images go to $BUILD/firmware, default build), FIRMWARE_CARGO (default: Debian's Rust, see
# below), CASE_TIMEOUT (seconds per qemu run, default 60).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/firmware
target_dir=${CARGO_TARGET_DIR:-$repo/target}
case $target_dir in /*) ;; *) target_dir=$repo/$target_dir ;; esac
build=${BUILD:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
case_timeout=${CASE_TIMEOUT:-60}
# rustup's stable toolchain comes first in PATH and has no rust-src: use Debian's rustc and
# cargo by full path; RUSTC_BOOTSTRAP lets that stable compiler take -Zbuild-std.
firmware_cargo=${FIRMWARE_CARGO:-/usr/bin/cargo}
export RUSTC=${FIRMWARE_RUSTC:-/usr/bin/rustc}
export RUSTC_BOOTSTRAP=1

warnings=(-std=c11 -Wall -Wextra -Werror)
includes=(-I"$here/include" -I"$repo/tests/c" -I"$repo/c_examples/mock" -I"$repo/include")
sources=("$repo/tests/c/test_bind.c" "$repo/tests/c/helpers.c" "$repo/c_examples/mock/mock_sdk.c")

failed_any=0

provision_sources=("$repo/tests/c/test_provision.c" "$repo/tests/c/helpers.c"
    "$repo/c_examples/mock/mock_sdk.c" "$repo/c_examples/mock/mock_provision.c")

# build_lib TRIPLE [FEATURES]: the library for TRIPLE (with FEATURES, into a target directory
# of its own: <dir>/wifi-provision); prints the archive's path.
build_lib() {
    local dir=$target_dir
    [ -z "${2:-}" ] || dir=$target_dir/$2
    (cd "$repo" && CARGO_TARGET_DIR=$dir "$firmware_cargo" build --quiet --release --lib \
        --target "$1" -Zbuild-std=core ${2:+--features "$2"}) >&2
    echo "$dir/$1/release/libiot_dev_bind.a"
}

# run_cases NAME LABEL OUT ARGV0 QEMU...: runs every case that the image lists, each in its own
# run of the QEMU command line, with the semihosting command line `[ARGV0] <case>` (ARGV0 is
# empty where the C library's crt0 supplies its own argv[0]).
run_cases() {
    local name=$1 label=$2 out=$3 argv0=$4
    shift 4
    local semi=enable=on,target=native,chardev=semi
    [ -z "$argv0" ] || semi+=",arg=$argv0"
    local cases passed=0 failed=0 c rc
    if ! cases=$(timeout "$case_timeout" "$@" -semihosting-config "$semi,arg=--list" \
        2> "$out/list.err"); then
        echo "$name: the image did not list its cases:" >&2
        cat "$out/list.err" >&2
        echo "$label: 0 passed, 1 failed"
        failed_any=1
        return
    fi
    for c in $cases; do
        rc=0
        timeout "$case_timeout" "$@" -semihosting-config "$semi,arg=$c" > "$out/$c.log" 2>&1 \
            || rc=$?
        if [ "$rc" -eq 0 ] && grep -qx "PASS $c" "$out/$c.log"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            if [ "$rc" -eq 124 ]; then
                echo "FAIL $name $c: timed out after ${case_timeout} s" >&2
            else
                echo "FAIL $name $c (exit status $rc):" >&2
            fi
            tail -n 20 "$out/$c.log" >&2
        fi
    done
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || failed_any=1
    echo "$label: $passed passed, $failed failed"
}

# cortex_m4, riscv32imc: build, link and run one target.
cortex_m4() {
    local out=$build/firmware/cortex-m4 lib cc=arm-none-eabi-gcc
    local cpu=(-mcpu=cortex-m4 -mthumb)
    mkdir -p "$out"
    lib=$(build_lib thumbv7em-none-eabi)
    "$cc" "${cpu[@]}" "${warnings[@]}" -pedantic "${includes[@]}" -fsyntax-only \
        "$repo/tests/c/layout_static.c"
    "$cc" "${cpu[@]}" "${warnings[@]}" -Os -g -ffunction-sections -fdata-sections \
        "${includes[@]}" --specs=rdimon.specs -T "$here/cortex-m4/link.ld" -Wl,--gc-sections \
        -Wl,--no-warn-execstack "$here/cortex-m4/startup.c" "${sources[@]}" "$lib" \
        -o "$out/test_bind.elf"
    # a firmware link that keeps every section must resolve every symbol too
    "$cc" "${cpu[@]}" "${warnings[@]}" -Os "${includes[@]}" --specs=rdimon.specs \
        -T "$here/cortex-m4/link.ld" -Wl,--no-warn-execstack "$here/cortex-m4/startup.c" \
        "$repo/tests/c/link_main.c" "$repo/c_examples/mock/mock_sdk.c" "$lib" \
        -o "$out/link_main.elf"
    # newlib's semihosting crt0 takes argv[0] from the command line too
    run_cases cortex-m4 "cortex-m4 (qemu mps2-an386)" "$out" test_bind \
        qemu-system-arm -M mps2-an386 -display none -monitor none -serial none -chardev stdio,id=semi \
        -kernel "$out/test_bind.elf"
    # the wifi-provision build
    local pout=$build/firmware/cortex-m4-wifi-provision
    mkdir -p "$pout"
    lib=$(build_lib thumbv7em-none-eabi wifi-provision)
    "$cc" "${cpu[@]}" "${warnings[@]}" -Os -g -ffunction-sections -fdata-sections \
        "${includes[@]}" --specs=rdimon.specs -T "$here/cortex-m4/link.ld" -Wl,--gc-sections \
        -Wl,--wrap=HAL_Reboot -Wl,--no-warn-execstack "$here/cortex-m4/startup.c" \
        "${provision_sources[@]}" "$lib" -o "$pout/test_provision.elf"
    run_cases cortex-m4-wifi-provision "cortex-m4 wifi-provision (qemu mps2-an386)" "$pout" \
        test_provision qemu-system-arm -M mps2-an386 -display none -monitor none -serial none \
        -chardev stdio,id=semi -kernel "$pout/test_provision.elf"
}

riscv32imc() {
    local out=$build/firmware/riscv32imc lib cc=riscv64-unknown-elf-gcc
    local cpu=(-march=rv32imc -mabi=ilp32)
    # Debian's picolibc has no rv32imc multilib: the link takes rv32im's C library, which an
    # IMC core runs as well.
    local link=(-march=rv32im -mabi=ilp32 --specs=picolibc.specs --oslib=semihost
        --crt0=semihost -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x200000
        -Wl,--defsym=__ram=0x80200000 -Wl,--defsym=__ram_size=0x600000)
    mkdir -p "$out"
    lib=$(build_lib riscv32imc-unknown-none-elf)
    "$cc" "${cpu[@]}" --specs=picolibc.specs "${warnings[@]}" -pedantic "${includes[@]}" \
        -fsyntax-only "$repo/tests/c/layout_static.c"
    local objs=() s o
    for s in "${sources[@]}" "$repo/tests/c/link_main.c"; do
        o=$out/$(basename "$s" .c).o
        "$cc" "${cpu[@]}" --specs=picolibc.specs "${warnings[@]}" -Os -g -ffunction-sections \
            -fdata-sections "${includes[@]}" -c "$s" -o "$o"
        objs+=("$o")
    done
    "$cc" "${link[@]}" -Wl,--gc-sections "${objs[@]:0:3}" "$lib" -o "$out/test_bind.elf"
    # picolibc.specs always adds --gc-sections; the link_main image checks the other symbols
    "$cc" "${link[@]}" "$out/link_main.o" "$out/mock_sdk.o" "$lib" -o "$out/link_main.elf"
    # a CPU without the A extension, as on ESP32-C3-class parts: an atomic instruction traps;
    # picolibc's crt0 puts its own argv[0] before the command line
    run_cases riscv32imc "riscv32imc (qemu virt)" "$out" "" \
        qemu-system-riscv32 -M virt -cpu rv32,a=off,f=off,d=off -bios none -display none \
        -monitor none -serial none -chardev stdio,id=semi -kernel "$out/test_bind.elf"
    # the wifi-provision build
    local pout=$build/firmware/riscv32imc-wifi-provision pobjs=()
    mkdir -p "$pout"
    lib=$(build_lib riscv32imc-unknown-none-elf wifi-provision)
    for s in "${provision_sources[@]}"; do
        o=$pout/$(basename "$s" .c).o
        "$cc" "${cpu[@]}" --specs=picolibc.specs "${warnings[@]}" -Os -g -ffunction-sections \
            -fdata-sections "${includes[@]}" -c "$s" -o "$o"
        pobjs+=("$o")
    done
    "$cc" "${link[@]}" -Wl,--gc-sections -Wl,--wrap=HAL_Reboot "${pobjs[@]}" "$lib" \
        -o "$pout/test_provision.elf"
    run_cases riscv32imc-wifi-provision "riscv32imc wifi-provision (qemu virt)" "$pout" "" \
        qemu-system-riscv32 -M virt -cpu rv32,a=off,f=off,d=off -bios none -display none \
        -monitor none -serial none -chardev stdio,id=semi -kernel "$pout/test_provision.elf"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cortex-m4 riscv32imc)
for t in "${targets[@]}"; do
    case $t in
        cortex-m4) cortex_m4 ;;
        riscv32imc) riscv32imc ;;
        *) echo "unknown firmware target '$t' (cortex-m4, riscv32imc)" >&2; exit 2 ;;
    esac
done
exit "$failed_any"
