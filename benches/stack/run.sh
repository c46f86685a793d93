#!/bin/sh
# Stack high-water marks of every entry point of libiot_dev_bind.a (see stack_hwm.c).
#
#   benches/stack/run.sh                 the Cortex-M4 (under qemu mps2-an386), then the host
#   benches/stack/run.sh cortex-m4       one of: cortex-m4 host
#
# Builds the release archive (CARGO_TARGET_DIR is honoured; the Cortex-M4 one with Debian's Rust,
# as tests/firmware/run.sh does; DEV_BIND_LIB=<archive> measures a given host archive), links
# benches/stack/stack_hwm.c with the mock SDK, every import wrapped (ld --wrap) to record the
# library's depth at its calls out, runs it and prints the table. Exits non-zero if a
# measurement fails. CC defaults to cc for the host.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
case $target_dir in /*) ;; *) target_dir=$repo/$target_dir ;; esac
out=$target_dir/bench-stack
mkdir -p "$out"

wraps=""
for s in HAL_Printf HAL_Snprintf HAL_GetProductKey HAL_GetDeviceName HAL_Timer_Create \
    HAL_Timer_Start HAL_Timer_Stop HAL_Timer_Delete HAL_Wifi_Get_Mac HAL_Wifi_Get_IP HAL_Random \
    HAL_MutexCreate HAL_MutexLock HAL_MutexUnlock HAL_UptimeMs HAL_Kv_Set HAL_Kv_Get \
    IOT_MQTT_Subscribe IOT_MQTT_Unsubscribe IOT_MQTT_Publish_Simple CoAPServer_init \
    CoAPServer_deinit CoAPServer_register CoAPServerMultiCast_send CoAPServerResp_send \
    CoAPMessageId_cancel iotx_event_post iotx_event_callback; do
    wraps="$wraps -Wl,--wrap=$s"
done
cflags="-O2 -g -Wall -Wextra -Werror -fno-omit-frame-pointer -I$repo/include -I$repo/c_examples/mock"

host() {
    if [ -n "${DEV_BIND_LIB:-}" ]; then
        lib=$DEV_BIND_LIB
    else
        (cd "$repo" && CARGO_TARGET_DIR="$target_dir" cargo build --release --quiet)
        lib=$target_dir/release/libiot_dev_bind.a
    fi
    # shellcheck disable=SC2086
    "${CC:-cc}" $cflags -std=gnu11 -o "$out/stack_hwm" "$here/stack_hwm.c" \
        "$repo/c_examples/mock/mock_sdk.c" "$lib" -Wl,--gc-sections -Wl,-z,now $wraps \
        -lpthread -ldl -lm
    MOCK_QUIET=1 "$out/stack_hwm"
}

cortex_m4() {
    (cd "$repo" && CARGO_TARGET_DIR=$target_dir RUSTC=${FIRMWARE_RUSTC:-/usr/bin/rustc} \
        RUSTC_BOOTSTRAP=1 "${FIRMWARE_CARGO:-/usr/bin/cargo}" build --quiet --release --lib \
        --target thumbv7em-none-eabi -Zbuild-std=core)
    fw=$repo/tests/firmware
    # shellcheck disable=SC2086
    arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb $cflags -std=c11 -I"$fw/include" \
        --specs=rdimon.specs -T "$fw/cortex-m4/link.ld" -Wl,--gc-sections \
        -Wl,--no-warn-execstack -o "$out/stack_hwm_cortex_m4.elf" "$fw/cortex-m4/startup.c" \
        "$here/stack_hwm.c" "$repo/c_examples/mock/mock_sdk.c" \
        "$target_dir/thumbv7em-none-eabi/release/libiot_dev_bind.a" $wraps
    timeout 120 qemu-system-arm -M mps2-an386 -display none -monitor none -serial none \
        -chardev stdio,id=semi -semihosting-config enable=on,target=native,chardev=semi,arg=stack_hwm \
        -kernel "$out/stack_hwm_cortex_m4.elf"
}

[ $# -gt 0 ] || set -- cortex-m4 host
for t in "$@"; do
    case $t in
        cortex-m4) cortex_m4 ;;
        host) host ;;
        *) echo "unknown target '$t' (cortex-m4, host)" >&2; exit 2 ;;
    esac
    echo
done
