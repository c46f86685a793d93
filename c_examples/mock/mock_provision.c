/*
 * Test double of the wifi-provision imports: see mock_provision.h.
 */
/* The pthread types of the firmware C libraries (newlib, picolibc) need the POSIX names. */
#define _GNU_SOURCE
#include "mock_provision.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t g_pv_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&g_pv_lock)
#define UNLOCK() pthread_mutex_unlock(&g_pv_lock)

#define CONNECT_KEEP 16
#define AP_INFO_KEEP 32
#define REBOOT_KEEP 8

static struct {
    unsigned seq;

    int ap_set;
    uint8_t ap_ssid[MOCK_MAX_SSID_LEN];
    uint8_t ap_passwd[MOCK_MAX_PASSWD_LEN];
    uint8_t ap_bssid[MOCK_ETH_ALEN];
    int ap_result;
    int ap_calls;
    mock_ap_info_call_t ap_log[AP_INFO_KEEP];

    int connect_result;
    int connects;
    mock_connect_t connect_log[CONNECT_KEEP];
    void (*connect_hook)(void *user);
    void *connect_user;

    int reboots;
    unsigned reboot_log[REBOOT_KEEP];
    int reboot_abort;

    int pv_counts[MOCK_PV_COUNT];
    int pv_results[MOCK_PV_COUNT];
    int pv_total;
    mock_pv_call_t pv_log[MOCK_PV_KEEP];
    void (*pv_hook)(mock_pv_fn_t fn, void *user);
    void *pv_user;
} P = {.ap_result = -1};

static const char *const PV_NAMES[MOCK_PV_COUNT] = {
    [MOCK_PV_ENROLLEE_CHECKIN] = "awss_enrollee_checkin",
    [MOCK_PV_REPORT_ENROLLEE_REPLY] = "awss_report_enrollee_reply",
    [MOCK_PV_GET_CIPHER_REPLY] = "awss_get_cipher_reply",
    [MOCK_PV_DEV_BIND_MONITOR] = "online_dev_bind_monitor",
    [MOCK_PV_WIFIMGR_SWITCH_AP] = "wifimgr_process_switch_ap_request",
    [MOCK_PV_WIFIMGR_WIFILIST] = "wifimgr_process_get_wifilist_request",
    [MOCK_PV_WIFIMGR_MCAST_DEVINFO] = "wifimgr_process_mcast_get_device_info",
    [MOCK_PV_WIFIMGR_UCAST_DEVINFO] = "wifimgr_process_ucast_get_device_info",
    [MOCK_PV_WIFIMGR_DEV_AP_SWITCHAP] = "wifimgr_process_dev_ap_switchap_request",
    [MOCK_PV_REGISTRAR_INIT] = "awss_registrar_init",
    [MOCK_PV_REGISTRAR_DEINIT] = "awss_registrar_deinit",
    [MOCK_PV_CLEAR_STATIS] = "awss_clear_statis",
    [MOCK_PV_DISP_STATIS] = "awss_disp_statis",
};

/* index < 0 counts from the end; -1 when out of the kept range */
static int pick(int index, int count, int keep)
{
    if (index < 0) {
        index += count;
    }
    if (index < 0 || index >= count || index >= keep) {
        return -1;
    }
    return index;
}

/* Copies the bytes of src up to its first NUL within cap bytes into dst (cap + 1 bytes);
 * returns 1 if src held a NUL within cap. */
static int copy_bounded(char *dst, const char *src, size_t cap)
{
    size_t n = 0;
    while (n < cap && src[n] != '\0') {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return n < cap;
}

void mock_provision_reset(void)
{
    LOCK();
    memset(&P, 0, sizeof(P));
    P.ap_result = -1;
    UNLOCK();
}

unsigned mock_provision_seq(void)
{
    LOCK();
    unsigned s = P.seq;
    UNLOCK();
    return s;
}

/* ---- HAL_Wifi_Get_Ap_Info ------------------------------------------------------------------ */

void mock_wifi_set_ap_bytes(const uint8_t ssid[MOCK_MAX_SSID_LEN],
                            const uint8_t passwd[MOCK_MAX_PASSWD_LEN],
                            const uint8_t bssid[MOCK_ETH_ALEN], int result)
{
    LOCK();
    memset(P.ap_ssid, 0, sizeof(P.ap_ssid));
    memset(P.ap_passwd, 0, sizeof(P.ap_passwd));
    memset(P.ap_bssid, 0, sizeof(P.ap_bssid));
    if (ssid != NULL) {
        memcpy(P.ap_ssid, ssid, sizeof(P.ap_ssid));
    }
    if (passwd != NULL) {
        memcpy(P.ap_passwd, passwd, sizeof(P.ap_passwd));
    }
    if (bssid != NULL) {
        memcpy(P.ap_bssid, bssid, sizeof(P.ap_bssid));
    }
    P.ap_result = result;
    P.ap_set = 1;
    UNLOCK();
}

void mock_wifi_set_ap(const char *ssid, const char *passwd, const uint8_t bssid[MOCK_ETH_ALEN],
                      int result)
{
    uint8_t s[MOCK_MAX_SSID_LEN] = {0};
    uint8_t p[MOCK_MAX_PASSWD_LEN] = {0};
    if (ssid != NULL) {
        strncpy((char *)s, ssid, sizeof(s) - 1);
    }
    if (passwd != NULL) {
        strncpy((char *)p, passwd, sizeof(p) - 1);
    }
    mock_wifi_set_ap_bytes(s, p, bssid, result);
}

int HAL_Wifi_Get_Ap_Info(char ssid[MOCK_MAX_SSID_LEN], char passwd[MOCK_MAX_PASSWD_LEN],
                         uint8_t bssid[MOCK_ETH_ALEN])
{
    LOCK();
    mock_ap_info_call_t rec = {
        .seq = ++P.seq,
        .null_args = (ssid == NULL ? 1 : 0) | (passwd == NULL ? 2 : 0) | (bssid == NULL ? 4 : 0),
    };
    if (P.ap_calls < AP_INFO_KEEP) {
        P.ap_log[P.ap_calls] = rec;
    }
    P.ap_calls++;
    int result = P.ap_result;
    if (P.ap_set && rec.null_args == 0) {
        memcpy(ssid, P.ap_ssid, sizeof(P.ap_ssid));
        memcpy(passwd, P.ap_passwd, sizeof(P.ap_passwd));
        memcpy(bssid, P.ap_bssid, sizeof(P.ap_bssid));
    }
    UNLOCK();
    return result;
}

int mock_ap_info_count(void)
{
    LOCK();
    int n = P.ap_calls;
    UNLOCK();
    return n;
}

mock_ap_info_call_t mock_ap_info_get(int index)
{
    mock_ap_info_call_t rec = {0};
    LOCK();
    int i = pick(index, P.ap_calls, AP_INFO_KEEP);
    if (i >= 0) {
        rec = P.ap_log[i];
    }
    UNLOCK();
    return rec;
}

/* ---- HAL_Awss_Connect_Ap ------------------------------------------------------------------- */

int HAL_Awss_Connect_Ap(uint32_t connection_timeout_ms, char ssid[MOCK_MAX_SSID_LEN],
                        char passwd[MOCK_MAX_PASSWD_LEN], enum AWSS_AUTH_TYPE auth,
                        enum AWSS_ENC_TYPE encry, uint8_t bssid[MOCK_ETH_ALEN], uint8_t channel)
{
    mock_connect_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.timeout_ms = connection_timeout_ms;
    if (ssid != NULL) {
        rec.ssid_terminated = copy_bounded(rec.ssid, ssid, MOCK_MAX_SSID_LEN);
    }
    if (passwd != NULL) {
        rec.passwd_terminated = copy_bounded(rec.passwd, passwd, MOCK_MAX_PASSWD_LEN);
    }
    rec.auth = (int)auth;
    rec.encry = (int)encry;
    rec.bssid_null = bssid == NULL;
    if (bssid != NULL) {
        memcpy(rec.bssid, bssid, MOCK_ETH_ALEN);
    }
    rec.channel = channel;

    LOCK();
    rec.seq = ++P.seq;
    if (P.connects < CONNECT_KEEP) {
        P.connect_log[P.connects] = rec;
    }
    P.connects++;
    int result = P.connect_result;
    void (*hook)(void *) = P.connect_hook;
    void *user = P.connect_user;
    UNLOCK();

    if (hook != NULL) {
        hook(user);
    }
    return result;
}

void mock_connect_set_result(int result)
{
    LOCK();
    P.connect_result = result;
    UNLOCK();
}

int mock_connect_count(void)
{
    LOCK();
    int n = P.connects;
    UNLOCK();
    return n;
}

mock_connect_t mock_connect_get(int index)
{
    mock_connect_t rec;
    memset(&rec, 0, sizeof(rec));
    LOCK();
    int i = pick(index, P.connects, CONNECT_KEEP);
    if (i >= 0) {
        rec = P.connect_log[i];
    }
    UNLOCK();
    return rec;
}

void mock_connect_set_hook(void (*hook)(void *user), void *user)
{
    LOCK();
    P.connect_hook = hook;
    P.connect_user = user;
    UNLOCK();
}

/* ---- HAL_Reboot (wrapped) ------------------------------------------------------------------ */

void __wrap_HAL_Reboot(void)
{
    LOCK();
    unsigned seq = ++P.seq;
    if (P.reboots < REBOOT_KEEP) {
        P.reboot_log[P.reboots] = seq;
    }
    P.reboots++;
    int do_abort = P.reboot_abort;
    UNLOCK();
    if (do_abort) {
        printf("HAL_Reboot called\n");
        fflush(stdout);
        abort();
    }
}

int mock_reboot_count(void)
{
    LOCK();
    int n = P.reboots;
    UNLOCK();
    return n;
}

unsigned mock_reboot_seq(int index)
{
    LOCK();
    int i = pick(index, P.reboots, REBOOT_KEEP);
    unsigned s = i >= 0 ? P.reboot_log[i] : 0;
    UNLOCK();
    return s;
}

void mock_reboot_set_abort(int abort_on_reboot)
{
    LOCK();
    P.reboot_abort = abort_on_reboot;
    UNLOCK();
}

/* ---- the wifi_provision handlers ----------------------------------------------------------- */

static void keep_payload(mock_pv_call_t *rec, const void *payload, long len)
{
    rec->payload_len = -1;
    if (payload == NULL) {
        return;
    }
    rec->payload_len = len;
    size_t n = len < MOCK_PV_PAYLOAD_KEEP ? (size_t)len : MOCK_PV_PAYLOAD_KEEP;
    memcpy(rec->payload, payload, n);
}

/* Records one call (rec filled by the caller) and runs the hook; returns the set result. */
static int record(mock_pv_call_t *rec)
{
    LOCK();
    rec->seq = ++P.seq;
    if (P.pv_total < MOCK_PV_KEEP) {
        P.pv_log[P.pv_total] = *rec;
    }
    P.pv_total++;
    P.pv_counts[rec->fn]++;
    int result = P.pv_results[rec->fn];
    void (*hook)(mock_pv_fn_t, void *) = P.pv_hook;
    void *user = P.pv_user;
    UNLOCK();
    if (hook != NULL) {
        hook(rec->fn, user);
    }
    return result;
}

static void mqtt_handler(mock_pv_fn_t fn, void *pcontext, void *pclient, void *msg)
{
    mock_pv_call_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.fn = fn;
    rec.args[0] = pcontext;
    rec.args[1] = pclient;
    rec.args[2] = msg;
    rec.event_type = -1;
    rec.payload_len = -1;
    if (msg != NULL) {
        const iotx_mqtt_event_msg_t *ev = msg;
        rec.event_type = ev->event_type;
        const iotx_mqtt_topic_info_t *info = ev->msg;
        if (ev->event_type == MOCK_MQTT_EVENT_PUBLISH_RECEIVED && info != NULL) {
            if (info->ptopic != NULL) {
                size_t n = info->topic_len < sizeof(rec.topic) - 1 ? info->topic_len
                                                                   : sizeof(rec.topic) - 1;
                memcpy(rec.topic, info->ptopic, n);
            }
            keep_payload(&rec, info->payload, (long)info->payload_len);
        }
    }
    (void)record(&rec);
}

static int coap_handler(mock_pv_fn_t fn, void *ctx, void *resource, void *remote, void *request)
{
    mock_pv_call_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.fn = fn;
    rec.args[0] = ctx;
    rec.args[1] = resource;
    rec.args[2] = remote;
    rec.args[3] = request;
    rec.event_type = -1;
    rec.payload_len = -1;
    if (resource != NULL) {
        (void)copy_bounded(rec.paths, resource, sizeof(rec.paths) - 1);
    }
    if (remote != NULL) {
        const NetworkAddr *addr = remote;
        (void)copy_bounded(rec.remote_addr, (const char *)addr->addr, sizeof(addr->addr));
        rec.remote_port = addr->port;
    }
    rec.request_null = request == NULL;
    if (request != NULL) {
        const CoAPMessage *m = request;
        rec.request_msgid = m->header.msgid;
        rec.request_code = m->header.code;
        keep_payload(&rec, m->payload, (long)m->payloadlen);
    }
    return record(&rec);
}

static void plain_call(mock_pv_fn_t fn)
{
    mock_pv_call_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.fn = fn;
    rec.event_type = -1;
    rec.payload_len = -1;
    (void)record(&rec);
}

void awss_enrollee_checkin(void *pcontext, void *pclient, void *msg)
{
    mqtt_handler(MOCK_PV_ENROLLEE_CHECKIN, pcontext, pclient, msg);
}

void awss_report_enrollee_reply(void *pcontext, void *pclient, void *msg)
{
    mqtt_handler(MOCK_PV_REPORT_ENROLLEE_REPLY, pcontext, pclient, msg);
}

void awss_get_cipher_reply(void *pcontext, void *pclient, void *msg)
{
    mqtt_handler(MOCK_PV_GET_CIPHER_REPLY, pcontext, pclient, msg);
}

int online_dev_bind_monitor(void *ctx, void *resource, void *remote, void *request)
{
    return coap_handler(MOCK_PV_DEV_BIND_MONITOR, ctx, resource, remote, request);
}

int wifimgr_process_switch_ap_request(void *ctx, void *resource, void *remote, void *request)
{
    return coap_handler(MOCK_PV_WIFIMGR_SWITCH_AP, ctx, resource, remote, request);
}

int wifimgr_process_get_wifilist_request(void *ctx, void *resource, void *remote, void *request)
{
    return coap_handler(MOCK_PV_WIFIMGR_WIFILIST, ctx, resource, remote, request);
}

int wifimgr_process_mcast_get_device_info(void *ctx, void *resource, void *remote, void *request)
{
    return coap_handler(MOCK_PV_WIFIMGR_MCAST_DEVINFO, ctx, resource, remote, request);
}

int wifimgr_process_ucast_get_device_info(void *ctx, void *resource, void *remote, void *request)
{
    return coap_handler(MOCK_PV_WIFIMGR_UCAST_DEVINFO, ctx, resource, remote, request);
}

int wifimgr_process_dev_ap_switchap_request(void *ctx, void *resource, void *remote,
                                            void *request)
{
    return coap_handler(MOCK_PV_WIFIMGR_DEV_AP_SWITCHAP, ctx, resource, remote, request);
}

void awss_registrar_init(void)
{
    plain_call(MOCK_PV_REGISTRAR_INIT);
}

void awss_registrar_deinit(void)
{
    plain_call(MOCK_PV_REGISTRAR_DEINIT);
}

void awss_clear_statis(void)
{
    plain_call(MOCK_PV_CLEAR_STATIS);
}

void awss_disp_statis(void)
{
    plain_call(MOCK_PV_DISP_STATIS);
}

const char *mock_pv_name(mock_pv_fn_t fn)
{
    if ((unsigned)fn >= (unsigned)MOCK_PV_COUNT) {
        return "?";
    }
    return PV_NAMES[fn];
}

int mock_pv_count(mock_pv_fn_t fn)
{
    if ((unsigned)fn >= (unsigned)MOCK_PV_COUNT) {
        return 0;
    }
    LOCK();
    int n = P.pv_counts[fn];
    UNLOCK();
    return n;
}

int mock_pv_total(void)
{
    LOCK();
    int n = P.pv_total;
    UNLOCK();
    return n;
}

mock_pv_call_t mock_pv_get(int index)
{
    mock_pv_call_t rec;
    memset(&rec, 0, sizeof(rec));
    rec.fn = MOCK_PV_COUNT;
    LOCK();
    int i = pick(index, P.pv_total, MOCK_PV_KEEP);
    if (i >= 0) {
        rec = P.pv_log[i];
    }
    UNLOCK();
    return rec;
}

int mock_pv_find(mock_pv_fn_t fn, int nth, mock_pv_call_t *out)
{
    int found = -1;
    LOCK();
    int kept = P.pv_total < MOCK_PV_KEEP ? P.pv_total : MOCK_PV_KEEP;
    for (int i = 0; i < kept; i++) {
        if (P.pv_log[i].fn == fn && nth-- == 0) {
            if (out != NULL) {
                *out = P.pv_log[i];
            }
            found = 0;
            break;
        }
    }
    UNLOCK();
    return found;
}

void mock_pv_set_result(mock_pv_fn_t fn, int result)
{
    if ((unsigned)fn >= (unsigned)MOCK_PV_COUNT) {
        return;
    }
    LOCK();
    P.pv_results[fn] = result;
    UNLOCK();
}

void mock_pv_set_hook(void (*hook)(mock_pv_fn_t fn, void *user), void *user)
{
    LOCK();
    P.pv_hook = hook;
    P.pv_user = user;
    UNLOCK();
}
