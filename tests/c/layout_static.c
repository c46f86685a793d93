/*
 * The SDK structures as the C tests declare them (mock_sdk.h) and dev_bind_config_t as the
 * generated header declares it, checked at compile time against the figures the Rust mirrors
 * assert (src/ffi/types.rs), for 64-bit hosts (LP64) and 32-bit firmware CPUs (ILP32).
 * Compiled by every compiler the project builds with: the host gcc, arm-none-eabi-gcc for
 * Cortex-M4 and riscv64-unknown-elf-gcc for RV32 (tests/firmware/run.sh). Assumes the SDK's
 * default CoAP capacities (token 8, options 12).
 */
#include <stddef.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

#if __SIZEOF_POINTER__ == 8
#define W(lp64, ilp32) (lp64)
#elif __SIZEOF_POINTER__ == 4
#define W(lp64, ilp32) (ilp32)
#else
#error "layouts are checked for 32- and 64-bit pointers only"
#endif

#define SIZE(t, lp64, ilp32) _Static_assert(sizeof(t) == W(lp64, ilp32), "size of " #t)
#define ALIGN(t, lp64, ilp32) _Static_assert(_Alignof(t) == W(lp64, ilp32), "align of " #t)
#define AT(t, m, lp64, ilp32) \
    _Static_assert(offsetof(t, m) == W(lp64, ilp32), "offset of " #t "." #m)

SIZE(NetworkAddr, 18, 18);
ALIGN(NetworkAddr, 2, 2);
AT(NetworkAddr, port, 16, 16);

SIZE(CoAPMsgHeader, 4, 4);
ALIGN(CoAPMsgHeader, 2, 2);
AT(CoAPMsgHeader, code, 1, 1);
AT(CoAPMsgHeader, msgid, 2, 2);

SIZE(CoAPMsgOption, 16, 8);
ALIGN(CoAPMsgOption, 8, 4);
AT(CoAPMsgOption, len, 2, 2);
AT(CoAPMsgOption, val, 8, 4);

SIZE(CoAPMessage, 256, 132);
ALIGN(CoAPMessage, 8, 4);
AT(CoAPMessage, token, 4, 4);
AT(CoAPMessage, options, 16, 12);
AT(CoAPMessage, optcount, 208, 108);
AT(CoAPMessage, optdelta, 209, 109);
AT(CoAPMessage, payloadlen, 210, 110);
AT(CoAPMessage, payload, 216, 112);
AT(CoAPMessage, handler, 224, 116);
AT(CoAPMessage, resp, 232, 120);
AT(CoAPMessage, user, 240, 124);
AT(CoAPMessage, keep, 248, 128);

SIZE(iotx_mqtt_topic_info_t, 32, 20);
ALIGN(iotx_mqtt_topic_info_t, 8, 4);
AT(iotx_mqtt_topic_info_t, qos, 2, 2);
AT(iotx_mqtt_topic_info_t, dup, 3, 3);
AT(iotx_mqtt_topic_info_t, retain, 4, 4);
AT(iotx_mqtt_topic_info_t, topic_len, 6, 6);
AT(iotx_mqtt_topic_info_t, payload_len, 8, 8);
AT(iotx_mqtt_topic_info_t, ptopic, 16, 12);
AT(iotx_mqtt_topic_info_t, payload, 24, 16);

SIZE(iotx_mqtt_event_msg_t, 16, 8);
ALIGN(iotx_mqtt_event_msg_t, 8, 4);
AT(iotx_mqtt_event_msg_t, msg, 8, 4);

SIZE(dev_bind_config_t, 24, 24);
ALIGN(dev_bind_config_t, 4, 4);
AT(dev_bind_config_t, report_attempts, 4, 4);
AT(dev_bind_config_t, token_lifetime_ms, 8, 8);
AT(dev_bind_config_t, notify_count, 12, 12);
AT(dev_bind_config_t, notify_step_ms, 16, 16);
AT(dev_bind_config_t, reset_retry_ms, 20, 20);
