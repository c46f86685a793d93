/*
 * Test double of the SDK pieces that libiot_dev_bind.a imports: the HAL, the MQTT client API,
 * the CoAP server API and the event API, written from the C signatures of SPEC section 4.
 *
 * It runs on virtual time: HAL_UptimeMs() returns a clock that only mock_advance() moves, and
 * HAL timers fire from mock_advance() on the calling thread, in deadline order. Everything the
 * library sends is recorded for the tests to check byte for byte; everything a cloud or a phone
 * sends is injected with mock_mqtt_deliver() / mock_coap_request() / mock_coap_ack_notify(),
 * exactly as the SDK's MQTT client and CoAP server call their handlers.
 *
 * Thread-safe: one pthread mutex guards the mock's state; it is never held while the mock calls
 * back into the library.
 */
#ifndef MOCK_SDK_H
#define MOCK_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- mirrors of the SDK's types (SPEC section 4) ------------------------------------------ */

#ifndef COAP_MSG_MAX_TOKEN_LEN
#define COAP_MSG_MAX_TOKEN_LEN 8
#endif
#ifndef COAP_MSG_MAX_OPTION_NUM
#define COAP_MSG_MAX_OPTION_NUM 12
#endif

#define MOCK_COAP_OPTION_OBSERVE 6
#define MOCK_COAP_OPTION_URI_PATH 11
#define MOCK_COAP_OPTION_CONTENT_FORMAT 12

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

typedef void (*CoAPRespMsgHandler)(void *data, void *message);
typedef int (*CoAPSendMsgHandler)(void *context, NetworkAddr *remote, void *message);

typedef struct {
    CoAPMsgHeader header;
    unsigned char token[COAP_MSG_MAX_TOKEN_LEN];
    CoAPMsgOption options[COAP_MSG_MAX_OPTION_NUM];
    unsigned char optcount;
    unsigned char optdelta;
    unsigned short payloadlen;
    unsigned char *payload;
    CoAPSendMsgHandler handler;
    CoAPRespMsgHandler resp;
    void *user;
    int keep;
} CoAPMessage;

/* CoAP server callbacks */
typedef void (*CoAPRecvMsgHandler)(void *context, const char *paths, NetworkAddr *remote,
                                   CoAPMessage *message);
typedef void (*CoAPSendCb)(void *context, int result, void *userdata, NetworkAddr *remote,
                           CoAPMessage *message);

#define MOCK_MQTT_EVENT_PUBLISH_RECEIVED 12

typedef struct {
    int event_type;
    void *msg;
} iotx_mqtt_event_msg_t;

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

typedef void (*iotx_mqtt_event_handle_fn)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg);

#define MOCK_ITE_AWSS_STATUS 0
#define MOCK_IOTX_AWSS_BIND_NOTIFY 0x100F
#define MOCK_IOTX_RESET 0x3000

/* ---- the imports (SPEC section 4), defined by mock_sdk.c ---------------------------------- */

int HAL_Snprintf(char *str, const int len, const char *fmt, ...);
void HAL_Printf(const char *fmt, ...);
int HAL_GetProductKey(char product_key[20]);
int HAL_GetProductSecret(char *product_secret);
int HAL_GetDeviceName(char device_name[32]);
int HAL_GetDeviceSecret(char device_secret[64]);
void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data);
int HAL_Timer_Start(void *timer, int ms);
int HAL_Timer_Stop(void *timer);
int HAL_Timer_Delete(void *timer);
char *HAL_Wifi_Get_Mac(char mac_str[18]);
uint32_t HAL_Wifi_Get_IP(char ip_str[16], const char *ifname);
void HAL_Srandom(uint32_t seed);
uint32_t HAL_Random(uint32_t region);
void *HAL_MutexCreate(void);
void HAL_MutexDestroy(void *mutex);
void HAL_MutexLock(void *mutex);
void HAL_MutexUnlock(void *mutex);
void *HAL_Malloc(uint32_t size);
void HAL_Free(void *ptr);
void HAL_SleepMs(uint32_t ms);
uint64_t HAL_UptimeMs(void);
void HAL_Reboot(void);
int HAL_Kv_Set(const char *key, const void *val, int len, int sync);
int HAL_Kv_Get(const char *key, void *val, int *buffer_len);

int IOT_MQTT_Subscribe(void *handle, const char *topic_filter, int qos,
                       void (*cb)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg),
                       void *pcontext);
int IOT_MQTT_Unsubscribe(void *handle, const char *topic_filter);
int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len);

void *CoAPServer_init(void);
void CoAPServer_deinit(void *ctx);
int CoAPServer_register(void *ctx, const char *uri, CoAPRecvMsgHandler cb);
int CoAPServerMultiCast_send(void *ctx, NetworkAddr *remote, const char *uri, uint8_t *buf,
                             uint16_t len, CoAPSendCb cb, uint16_t *msgid);
int CoAPServerResp_send(void *ctx, NetworkAddr *remote, uint8_t *buf, uint16_t len, void *req,
                        const char *paths, CoAPSendCb cb, uint16_t *msgid, char qos);
int CoAPMessageId_cancel(void *ctx, uint16_t msgid);
int CoAPObsServer_notify(void *ctx, const char *path, unsigned char *payload,
                         unsigned short payloadlen, void *handler);

int iotx_event_post(int event);
void *iotx_event_callback(int evt);

/* ---- test driver API ---------------------------------------------------------------------- */

/* Clears every recording, the KV store and the settings (identity, auto-ack, event callback,
 * failure injection). Keeps what the library owns: the clock (never rewinds), live timers,
 * mutexes, MQTT subscriptions and CoAP resources. */
void mock_reset(void);
/* Clears only the recordings (publishes, sends, responses, events, cancels, log lines). */
void mock_clear_records(void);

uint64_t mock_now(void);
/* Moves virtual time forward by ms, firing due timers and scheduled cloud replies in deadline
 * order on the calling thread (a timer due exactly at the new time fires too). Returns the
 * number of callbacks run. */
int mock_advance(uint64_t ms);

/* Identity returned by the HAL (defaults: a1GQc8iJOWI / gateway_test01 /
 * b0:f8:93:15:bf:21 / 10.0.0.59). */
void mock_set_identity(const char *pk, const char *dn, const char *mac, const char *ip);
void mock_set_random_seed(uint32_t seed);

/* Logging: HAL_Printf prints "[%06llu] " + text to stdout unless quiet (also quiet when the
 * environment has MOCK_QUIET=1), and keeps the last MOCK_LOG_KEEP lines. */
#define MOCK_LOG_KEEP 512
void mock_set_quiet(int quiet);
int mock_log_count(const char *needle);      /* kept lines containing needle */
int mock_log_contains(const char *needle);   /* 1 if any kept line contains needle */
const char *mock_log_last(const char *needle, char *out, size_t outlen); /* copy of last match */
int mock_log_total(void);                    /* lines printed since the last clear */

/* HAL_Malloc / mutex accounting */
int mock_malloc_count(void);   /* HAL_Malloc calls since mock_reset */
int mock_malloc_live(void);    /* HAL_Malloc minus HAL_Free */
typedef struct {
    int created, destroyed, locks, unlocks, max_depth_violations;
} mock_mutex_stats_t;
mock_mutex_stats_t mock_mutex_stats(void);
int mock_timer_live(void);     /* timers created and not deleted */
int mock_timer_armed(void);    /* timers currently armed */
uint64_t mock_next_deadline(void); /* earliest armed timer or cloud reply, UINT64_MAX if none */

/* Fault injection: makes chosen calls of an import fail, as a platform fails (an RTOS out of
 * handles, a flash store failing while it erases, a broker gone, a Wi-Fi link down). Calls are
 * counted from 1 since mock_reset, bad arguments included; a failed call does nothing but
 * return the import's failure value: NULL from the creates, CoAPServer_init and HAL_Malloc,
 * -1 from the others. */
typedef enum {
    MOCK_IMP_TIMER_CREATE,   /* HAL_Timer_Create */
    MOCK_IMP_TIMER_START,    /* HAL_Timer_Start */
    MOCK_IMP_MUTEX_CREATE,   /* HAL_MutexCreate */
    MOCK_IMP_MALLOC,         /* HAL_Malloc */
    MOCK_IMP_KV_GET,         /* HAL_Kv_Get */
    MOCK_IMP_KV_SET,         /* HAL_Kv_Set */
    MOCK_IMP_MQTT_SUBSCRIBE, /* IOT_MQTT_Subscribe */
    MOCK_IMP_MQTT_UNSUBSCRIBE, /* IOT_MQTT_Unsubscribe */
    MOCK_IMP_MQTT_PUBLISH,   /* IOT_MQTT_Publish_Simple (nothing reaches the cloud) */
    MOCK_IMP_COAP_INIT,      /* CoAPServer_init */
    MOCK_IMP_COAP_REGISTER,  /* CoAPServer_register */
    MOCK_IMP_COAP_MCAST_SEND, /* CoAPServerMultiCast_send (nothing reaches a phone) */
    MOCK_IMP_COAP_RESP_SEND, /* CoAPServerResp_send (nothing reaches the asker) */
    MOCK_IMP_COUNT
} mock_import_t;
const char *mock_import_name(mock_import_t imp);
/* Calls first .. first + count - 1 of imp fail; count < 0: every call from first on. first 0
 * removes the fault. One fault per import; a new one replaces the old. */
void mock_fail(mock_import_t imp, int first, int count);
void mock_fail_none(void);                  /* heals every import; the counts stay */
int mock_import_calls(mock_import_t imp);   /* calls since mock_reset */
int mock_import_failed(mock_import_t imp);  /* of them, failed by a fault */

/* KV store */
int mock_kv_put(const char *key, const void *val, int len);
int mock_kv_read(const char *key, void *val, int maxlen); /* length, or -1 if absent */
int mock_kv_set_count(void);
void mock_kv_fail(int fail_get, int fail_set);

/* MQTT */
typedef struct {
    char topic[160];
    int qos;
    int len;
    const unsigned char *payload; /* owned by the mock, valid until mock_reset/clear_records */
    uint64_t time;
} mock_pub_t;
int mock_pub_count(void);
mock_pub_t mock_pub_get(int index);                 /* index < 0 counts from the end */
int mock_pub_count_topic(const char *topic_suffix); /* publishes whose topic ends with suffix */
int mock_pub_find(const char *topic_suffix, int nth, mock_pub_t *out); /* nth match, 0-based */
void mock_pub_set_result(int result);               /* what IOT_MQTT_Publish_Simple returns */
void mock_sub_set_result(int result);               /* non-zero: IOT_MQTT_Subscribe fails */
int mock_sub_active(const char *topic);             /* 1 if topic is subscribed */
int mock_sub_count(void);                           /* IOT_MQTT_Subscribe calls */
int mock_unsub_count(void);
/* Delivers a PUBLISH exactly as the SDK's MQTT client does: event 12, topic info with topic and
 * payload in malloc'd buffers of exactly their length (no NUL). -1 if nothing subscribes topic. */
int mock_mqtt_deliver(const char *topic, const void *payload, int len);
/* Calls the handler subscribed to topic with any event pointer (NULL allowed). */
int mock_mqtt_deliver_raw(const char *topic, iotx_mqtt_event_msg_t *msg);
/* Cloud: answer each .../thing/awss/enrollee/match publish with a match_reply echoing its id,
 * and each .../thing/reset with a reset_reply, delay_ms later on virtual time. */
void mock_cloud_auto_ack(int enable, int delay_ms);
/* Cloud: answer each token report with its match_reply inside the IOT_MQTT_Publish_Simple call,
 * before it returns (the fastest cloud there is). */
void mock_cloud_ack_inside_publish(int enable);
/* One-shot: deliver payload on a topic ending with topic_suffix inside the IOT_MQTT_Subscribe
 * call that subscribes it, right after the subscription (a reply that was waiting). */
void mock_sub_deliver_on_subscribe(const char *topic_suffix, const char *payload);
int mock_cloud_acks_sent(void);

/* CoAP */
typedef struct {
    char addr[17];
    unsigned short port;
    char uri[128];
    int len;
    const unsigned char *payload;
    uint16_t msgid;
    uint64_t time;
    int resources; /* CoAP resources registered when it was sent */
} mock_mcast_t;
typedef struct {
    char addr[17];
    unsigned short port;
    char paths[128];
    int len;
    const unsigned char *payload;
    int req_null;     /* the library passed req == NULL */
    uint16_t req_msgid;
    int req_tokenlen;
    unsigned char req_token[COAP_MSG_MAX_TOKEN_LEN];
    long req_observe; /* -1 when the request has no Observe option */
    int qos;
    uint64_t time;
    int resources; /* CoAP resources registered when it was sent */
} mock_resp_t;
int mock_coap_server_live(void);   /* 1 between CoAPServer_init and CoAPServer_deinit */
int mock_coap_init_count(void);
int mock_coap_resource_count(void);
int mock_coap_has_resource(const char *uri);
int mock_mcast_count(void);
mock_mcast_t mock_mcast_get(int index);
int mock_resp_count(void);
mock_resp_t mock_resp_get(int index);
int mock_cancel_count(void);
uint16_t mock_cancel_get(int index);
int mock_obs_notify_count(void);
/* A phone's request: builds a CoAPMessage (payload in an exact-size malloc'd buffer, Uri-Path
 * and Observe options pointing into a malloc'd receive buffer), calls the handler registered for
 * uri, then scribbles over the message, the remote address and the buffers and frees them.
 * tokenlen may be 0; observe < 0 means no Observe option; payload NULL means no payload.
 * Returns -1 if no handler is registered for uri. */
int mock_coap_request(const char *uri, const char *remote_host, unsigned short port,
                      uint16_t msgid, const uint8_t *token, int tokenlen, long observe,
                      const void *payload, int len);
/* Calls the handler registered for uri with the given pointers as they are (NULLs allowed). */
int mock_coap_request_raw(const char *uri, const char *paths, NetworkAddr *remote,
                          CoAPMessage *msg);
/* A phone's response to the index-th multicast send: calls its send callback with result, and
 * (result == 0) a response message with code and payload (exact-size buffer; NULL = none). */
int mock_coap_ack_notify(int index, int result, uint8_t code, const void *payload, int len);

/* Events */
int mock_event_count(void);
int mock_event_get(int index);
int mock_event_count_of(int event);
/* What iotx_event_callback(ITE_AWSS_STATUS) returns (NULL by default). */
void mock_set_status_callback(int (*cb)(int));

/* Helpers */
/* Copies the value of a "key":"value" string member of a JSON text into out ("" if absent). */
int mock_json_str(const unsigned char *json, int len, const char *key, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif /* MOCK_SDK_H */
