#!/bin/sh
# Stack high-water marks of every entry point of libiot_dev_bind.a (see stack_hwm.c).
#
#   benches/stack/run.sh
#
# Builds the release archive (cargo build --release; CARGO_TARGET_DIR is honoured, or set
# DEV_BIND_LIB=<archive> to measure a given one), links benches/stack/stack_hwm.c with the mock
# SDK, every import wrapped (ld --wrap) to record the library's depth at its calls out, and
# prints the table. Exits non-zero if a measurement fails. CC defaults to cc.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cc=${CC:-cc}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
out=$target_dir/bench-stack
mkdir -p "$out"

if [ -n "${DEV_BIND_LIB:-}" ]; then
    lib=$DEV_BIND_LIB
else
    (cd "$repo" && CARGO_TARGET_DIR="$target_dir" cargo build --release --quiet)
    lib=$target_dir/release/libiot_dev_bind.a
fi

wraps=""
for s in HAL_Printf HAL_Snprintf HAL_GetProductKey HAL_GetDeviceName HAL_Timer_Create \
    HAL_Timer_Start HAL_Timer_Stop HAL_Timer_Delete HAL_Wifi_Get_Mac HAL_Wifi_Get_IP HAL_Random \
    HAL_MutexCreate HAL_MutexLock HAL_MutexUnlock HAL_UptimeMs HAL_Kv_Set HAL_Kv_Get \
    IOT_MQTT_Subscribe IOT_MQTT_Unsubscribe IOT_MQTT_Publish_Simple CoAPServer_init \
    CoAPServer_deinit CoAPServer_register CoAPServerMultiCast_send CoAPServerResp_send \
    CoAPMessageId_cancel iotx_event_post iotx_event_callback; do
    wraps="$wraps -Wl,--wrap=$s"
done

# shellcheck disable=SC2086
"$cc" -O2 -g -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer \
    -I"$repo/include" -I"$repo/c_examples/mock" \
    -o "$out/stack_hwm" "$here/stack_hwm.c" "$repo/c_examples/mock/mock_sdk.c" "$lib" \
    -Wl,--gc-sections -Wl,-z,now $wraps -lpthread -ldl -lm
MOCK_QUIET=1 "$out/stack_hwm"
