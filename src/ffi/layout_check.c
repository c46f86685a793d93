/* Layout probe for the Rust mirrors in types.rs: declares the SDK structures the way the SDK's
 * public headers describe them and prints each size, alignment and member offset, plus the byte
 * a bit-field header packs to. Run by the `layout_matches_gcc` unit test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef TOKLEN
#define TOKLEN 8
#endif
#ifndef OPTNUM
#define OPTNUM 12
#endif

typedef struct {
    unsigned char addr[16];
    unsigned short port;
} NetworkAddr;

typedef struct {
    unsigned char version : 2;
    unsigned char type : 2;
    unsigned char tokenlen : 4;
    unsigned char code;
    unsigned short msgid;
} CoAPMsgHeader;

typedef struct {
    unsigned short num;
    unsigned short len;
    unsigned char *val;
} CoAPMsgOption;

typedef struct CoAPMessage CoAPMessage;
typedef void (*send_handler)(void *, int, void *, NetworkAddr *, CoAPMessage *);
typedef void (*resp_handler)(void *, void *);

struct CoAPMessage {
    CoAPMsgHeader header;
    unsigned char token[TOKLEN];
    CoAPMsgOption options[OPTNUM];
    unsigned char optcount;
    unsigned char optdelta;
    unsigned short payloadlen;
    unsigned char *payload;
    send_handler handler;
    resp_handler resp;
    void *user;
    int keep;
};

typedef struct {
    uint16_t packet_id;
    uint8_t qos;
    uint8_t dup;
    uint8_t retain;
    uint16_t topic_len;
    uint32_t payload_len;
    const char *ptopic;
    const char *payload;
} iotx_mqtt_topic_info_t;

typedef struct {
    int event_type;
    void *msg;
} iotx_mqtt_event_msg_t;

typedef struct {
    uint32_t report_retry_ms;
    uint8_t report_attempts;
    uint32_t token_lifetime_ms;
    uint8_t notify_count;
    uint32_t notify_step_ms;
    uint32_t reset_retry_ms;
} dev_bind_config_t;

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
