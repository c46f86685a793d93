/*
 * Instructions per hot path of libiot_dev_bind.a, counted by callgrind (a benchmark that prints
 * figures, not a test). Lean doubles of the SDK: a HAL_Printf that really formats (vsnprintf
 * into a buffer, as an embedded printf formats into its UART buffer), a pthread mutex, one
 * virtual-time timer, and MQTT/CoAP sends that keep nothing. The log level is the default.
 *
 * Usage: hot_paths query|notify|report|ack N
 *   query   a phone's multicast query answered at once (handler entry to return: the answer is
 *           sent and the next token reported inside the call); the cloud acknowledges each new
 *           token outside the measured part
 *   notify  one notify broadcast (the timer callback to its return)
 *   report  awss_report_token(): a token report rendered and published
 *   ack     the match_reply handler taking the cloud's acknowledgement of a report (the
 *           handler's call only, not the building of the reply)
 * Only the measured calls are collected (CALLGRIND_TOGGLE_COLLECT around them; run valgrind with
 * --collect-atstart=no). Prints the number of measured calls.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

static uint64_t now_ms = 1000;
static void (*timer_cb)(void *);
static void *timer_user;
static uint64_t timer_due; /* 0: not armed */

static char log_buf[1024];
static int log_lines;

static void (*match_reply_cb)(void *, void *, iotx_mqtt_event_msg_t *);
static CoAPRecvMsgHandler query_cb;
static char last_report_id[16];
static int publishes, sends, answers;

int HAL_Snprintf(char *str, const int len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(str, (size_t)len, fmt, ap);
    va_end(ap);
    return n;
}

void HAL_Printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log_buf, sizeof log_buf, fmt, ap);
    va_end(ap);
    log_lines++;
}

static int copy_id(char *out, size_t size, const char *s)
{
    snprintf(out, size, "%s", s);
    return (int)strlen(s);
}

int HAL_GetProductKey(char product_key[20]) { return copy_id(product_key, 21, "a1GQc8iJOWI"); }
int HAL_GetProductSecret(char *product_secret) { return copy_id(product_secret, 65, "secret"); }
int HAL_GetDeviceName(char device_name[32]) { return copy_id(device_name, 33, "gateway_test01"); }
int HAL_GetDeviceSecret(char device_secret[64]) { return copy_id(device_secret, 65, "secret"); }

void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data)
{
    (void)name;
    timer_cb = func;
    timer_user = user_data;
    return &timer_cb;
}
int HAL_Timer_Start(void *timer, int ms) { (void)timer; timer_due = now_ms + (uint64_t)ms; return 0; }
int HAL_Timer_Stop(void *timer) { (void)timer; timer_due = 0; return 0; }
int HAL_Timer_Delete(void *timer) { (void)timer; timer_due = 0; timer_cb = NULL; return 0; }

char *HAL_Wifi_Get_Mac(char mac_str[18])
{
    snprintf(mac_str, 18, "b0:f8:93:15:bf:21");
    return mac_str;
}
uint32_t HAL_Wifi_Get_IP(char ip_str[16], const char *ifname)
{
    (void)ifname;
    snprintf(ip_str, 16, "10.0.0.59");
    return 0x3b00000a;
}

static uint32_t rnd = 12345;
void HAL_Srandom(uint32_t seed) { rnd = seed | 1; }
uint32_t HAL_Random(uint32_t region)
{
    rnd ^= rnd << 13;
    rnd ^= rnd >> 17;
    rnd ^= rnd << 5;
    return region ? rnd % region : rnd;
}

void *HAL_MutexCreate(void)
{
    pthread_mutex_t *m = malloc(sizeof *m);
    if (m) pthread_mutex_init(m, NULL);
    return m;
}
void HAL_MutexDestroy(void *mutex) { pthread_mutex_destroy(mutex); free(mutex); }
void HAL_MutexLock(void *mutex) { pthread_mutex_lock(mutex); }
void HAL_MutexUnlock(void *mutex) { pthread_mutex_unlock(mutex); }
void *HAL_Malloc(uint32_t size) { return malloc(size); }
void HAL_Free(void *ptr) { free(ptr); }
void HAL_SleepMs(uint32_t ms) { (void)ms; }
uint64_t HAL_UptimeMs(void) { return now_ms; }
void HAL_Reboot(void) { abort(); }
int HAL_Kv_Set(const char *key, const void *val, int len, int sync)
{
    (void)key, (void)val, (void)len, (void)sync;
    return 0;
}
int HAL_Kv_Get(const char *key, void *val, int *buffer_len)
{
    (void)key, (void)val, (void)buffer_len;
    return -1; /* no reset flag */
}

int IOT_MQTT_Subscribe(void *handle, const char *topic_filter, int qos,
                       void (*cb)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg),
                       void *pcontext)
{
    (void)handle, (void)qos, (void)pcontext;
    size_t n = strlen(topic_filter);
    if (n > 12 && strcmp(topic_filter + n - 12, "/match_reply") == 0) match_reply_cb = cb;
    return 1;
}
int IOT_MQTT_Unsubscribe(void *handle, const char *topic_filter)
{
    (void)handle, (void)topic_filter;
    return 0;
}
int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len)
{
    (void)handle, (void)qos;
    publishes++;
    size_t n = strlen(topic);
    if (n > 6 && strcmp(topic + n - 6, "/match") == 0) {
        /* {"id":"<id>",... */
        const char *p = (const char *)data + 7;
        int i = 0;
        while (i < len - 7 && i < 15 && p[i] != '"') {
            last_report_id[i] = p[i];
            i++;
        }
        last_report_id[i] = 0;
    }
    return 0;
}

static int server;
void *CoAPServer_init(void) { return &server; }
void CoAPServer_deinit(void *ctx) { (void)ctx; }
int CoAPServer_register(void *ctx, const char *uri, CoAPRecvMsgHandler cb)
{
    (void)ctx;
    if (strcmp(uri, "/sys/device/info/get") == 0) query_cb = cb;
    return 0;
}
int CoAPServerMultiCast_send(void *ctx, NetworkAddr *remote, const char *uri, uint8_t *buf,
                             uint16_t len, CoAPSendCb cb, uint16_t *msgid)
{
    (void)ctx, (void)remote, (void)uri, (void)buf, (void)len, (void)cb;
    if (msgid) *msgid = (uint16_t)++sends;
    return 0;
}
int CoAPServerResp_send(void *ctx, NetworkAddr *remote, uint8_t *buf, uint16_t len, void *req,
                        const char *paths, CoAPSendCb cb, uint16_t *msgid, char qos)
{
    (void)ctx, (void)remote, (void)buf, (void)len, (void)req, (void)paths, (void)cb, (void)qos;
    answers++;
    if (msgid) *msgid = (uint16_t)answers;
    return 0;
}
int CoAPMessageId_cancel(void *ctx, uint16_t msgid)
{
    (void)ctx, (void)msgid;
    return 0;
}
int CoAPObsServer_notify(void *ctx, const char *path, unsigned char *payload,
                         unsigned short payloadlen, void *handler)
{
    (void)ctx, (void)path, (void)payload, (void)payloadlen, (void)handler;
    return 0;
}
int iotx_event_post(int event) { (void)event; return 0; }
void *iotx_event_callback(int evt) { (void)evt; return NULL; }

/* The cloud acknowledges the last report; with `measure`, the handler's call is collected (the
 * building of the reply is not). */
static void ack_last(int measure)
{
    char payload[64];
    int n = snprintf(payload, sizeof payload, "{\"id\":\"%s\",\"code\":200,\"data\":{}}",
                     last_report_id);
    iotx_mqtt_topic_info_t info;
    memset(&info, 0, sizeof info);
    info.payload = payload;
    info.payload_len = (uint32_t)n;
    info.ptopic = "/sys/a1GQc8iJOWI/gateway_test01/thing/awss/enrollee/match_reply";
    info.topic_len = (uint16_t)strlen(info.ptopic);
    iotx_mqtt_event_msg_t ev = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, &info};
    if (measure) CALLGRIND_TOGGLE_COLLECT;
    match_reply_cb(NULL, NULL, &ev);
    if (measure) CALLGRIND_TOGGLE_COLLECT;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "query";
    int n = argc > 2 ? atoi(argv[2]) : 100;
    awss_report_cloud();
    if (!match_reply_cb) {
        fprintf(stderr, "match_reply was not subscribed\n");
        return 1;
    }
    ack_last(0); /* the first token is acknowledged: the notify round starts */
    if (!query_cb) {
        fprintf(stderr, "the query resource was not registered\n");
        return 1;
    }
    int measured = 0;
    if (strcmp(what, "query") == 0) {
        awss_dev_bind_notify_stop();
        static unsigned char payload[] = "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}";
        for (int i = 0; i < n; i++) {
            NetworkAddr remote = {{192, 168, 1, 2}, 5683};
            CoAPMessage req;
            memset(&req, 0, sizeof req);
            req.header.version = 1;
            req.header.type = 1;
            req.header.tokenlen = 4;
            req.header.code = 1;
            req.header.msgid = (unsigned short)(100 + i);
            memcpy(req.token, "\x01\x02\x03\x04", 4);
            req.payload = payload;
            req.payloadlen = (unsigned short)(sizeof payload - 1);
            int before = answers;
            CALLGRIND_TOGGLE_COLLECT;
            query_cb(&server, "/sys/device/info/get", &remote, &req);
            CALLGRIND_TOGGLE_COLLECT;
            if (answers != before + 1) {
                fprintf(stderr, "query %d was not answered at once\n", i);
                return 1;
            }
            measured++;
            now_ms += 50;
            ack_last(0);
            now_ms += 1000;
        }
    } else if (strcmp(what, "notify") == 0) {
        while (measured < n) {
            if (!timer_due) {
                /* A new round with a fresh, acknowledged token (a round outlives a token's
                 * 45 s lifetime: its gaps add up to 46.5 s). */
                awss_report_token();
                ack_last(0);
                awss_dev_bind_notify();
                if (!timer_due) {
                    fprintf(stderr, "no notify round runs\n");
                    return 1;
                }
                continue;
            }
            int before = sends;
            if (timer_due > now_ms) now_ms = timer_due;
            timer_due = 0;
            CALLGRIND_TOGGLE_COLLECT;
            timer_cb(timer_user);
            CALLGRIND_TOGGLE_COLLECT;
            if (sends == before + 1) {
                measured++;
            } else if (sends != before) {
                fprintf(stderr, "one timer callback sent %d notifies\n", sends - before);
                return 1;
            }
        }
    } else if (strcmp(what, "report") == 0 || strcmp(what, "ack") == 0) {
        int ack = strcmp(what, "ack") == 0;
        awss_dev_bind_notify_stop();
        for (int i = 0; i < n; i++) {
            int before = publishes;
            if (!ack) CALLGRIND_TOGGLE_COLLECT;
            awss_report_token();
            if (!ack) CALLGRIND_TOGGLE_COLLECT;
            if (publishes != before + 1) {
                fprintf(stderr, "awss_report_token published %d times\n", publishes - before);
                return 1;
            }
            now_ms += 50;
            ack_last(ack);
            measured++;
            now_ms += 1000;
        }
    } else {
        fprintf(stderr, "usage: %s query|notify|report|ack [N]\n", argv[0]);
        return 2;
    }
    awss_bind_deinit();
    printf("%d\n", measured);
    return 0;
}
