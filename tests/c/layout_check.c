/* Layout probe for the Rust mirrors in src/ffi/types.rs: prints the size, alignment and member
 * offsets of the SDK structures as the C tests declare them (mock_sdk.h) and of
 * dev_bind_config_t as the generated header declares it, plus the byte a bit-field header packs
 * to. Run by tests/layout.rs with COAP_MSG_MAX_TOKEN_LEN/_OPTION_NUM set as the build sets them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

#define SIZE(t) printf(#t ".size %zu\n" #t ".align %zu\n", sizeof(t), _Alignof(t))
#define OFF(t, m) printf(#t "." #m " %zu\n", offsetof(t, m))

int main(void)
{
    CoAPMsgHeader h = {0};
    h.version = 1;
    h.type = 2;
    h.tokenlen = 15;
    printf("hdr_byte %u\n", (unsigned)*(unsigned char *)&h);
    h.version = 3;
    h.type = 0;
    h.tokenlen = 5;
    printf("hdr_v3t0l5 %u\n", (unsigned)*(unsigned char *)&h);

    SIZE(NetworkAddr);
    OFF(NetworkAddr, port);
    SIZE(CoAPMsgHeader);
    OFF(CoAPMsgHeader, code);
    OFF(CoAPMsgHeader, msgid);
    SIZE(CoAPMsgOption);
    OFF(CoAPMsgOption, len);
    OFF(CoAPMsgOption, val);
    SIZE(CoAPMessage);
    OFF(CoAPMessage, token);
    OFF(CoAPMessage, options);
    OFF(CoAPMessage, optcount);
    OFF(CoAPMessage, optdelta);
    OFF(CoAPMessage, payloadlen);
    OFF(CoAPMessage, payload);
    OFF(CoAPMessage, handler);
    OFF(CoAPMessage, resp);
    OFF(CoAPMessage, user);
    OFF(CoAPMessage, keep);
    SIZE(iotx_mqtt_topic_info_t);
    OFF(iotx_mqtt_topic_info_t, topic_len);
    OFF(iotx_mqtt_topic_info_t, payload_len);
    OFF(iotx_mqtt_topic_info_t, ptopic);
    OFF(iotx_mqtt_topic_info_t, payload);
    SIZE(iotx_mqtt_event_msg_t);
    OFF(iotx_mqtt_event_msg_t, msg);
    SIZE(dev_bind_config_t);
    OFF(dev_bind_config_t, token_lifetime_ms);
    OFF(dev_bind_config_t, notify_count);
    OFF(dev_bind_config_t, notify_step_ms);
    OFF(dev_bind_config_t, reset_retry_ms);
    return 0;
}
