/*
 * Test double of what a `wifi-provision` build of libiot_dev_bind.a imports beyond the default
 * build (docs/WIFI_PROVISION.md section 1): the two Wi-Fi HAL calls and the handlers of the
 * SDK's wifi_provision module that the bind module subscribes, registers or calls. Each is
 * defined with the SDK's C signature and records every call, with copies of what its pointer
 * arguments pointed to (the callers' buffers do not outlive the call), in one call order shared
 * by all of them, so a test can assert who was called, with what, and in which order.
 *
 * HAL_GetProductSecret and HAL_Reboot are mock_sdk.c's. mock_sdk.c's HAL_Reboot aborts the
 * process; a test that must see reboots links with -Wl,--wrap=HAL_Reboot: every call to
 * HAL_Reboot then reaches __wrap_HAL_Reboot below, which records it and returns (or aborts, as
 * mock_sdk.c's does, after mock_reboot_set_abort(1)).
 *
 * Independent of mock_sdk.c at link time (it only shares mock_sdk.h's type mirrors). Thread-safe:
 * one pthread mutex guards the records; it is never held while a hook runs.
 */
#ifndef MOCK_PROVISION_H
#define MOCK_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "mock_sdk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- mirrors of the SDK's types (iot_import_awss.h, infra_defs.h) ------------------------- */

#define MOCK_MAX_SSID_LEN 33   /* HAL_MAX_SSID_LEN: 32 bytes and a NUL */
#define MOCK_MAX_PASSWD_LEN 65 /* HAL_MAX_PASSWD_LEN: 64 bytes and a NUL */
#define MOCK_ETH_ALEN 6

enum AWSS_AUTH_TYPE {
    AWSS_AUTH_TYPE_OPEN,
    AWSS_AUTH_TYPE_SHARED,
    AWSS_AUTH_TYPE_WPAPSK,
    AWSS_AUTH_TYPE_WPA8021X,
    AWSS_AUTH_TYPE_WPA2PSK,
    AWSS_AUTH_TYPE_WPA28021X,
    AWSS_AUTH_TYPE_WPAPSKWPA2PSK,
    AWSS_AUTH_TYPE_MAX = AWSS_AUTH_TYPE_WPAPSKWPA2PSK,
    AWSS_AUTH_TYPE_INVALID = 0xff
};

enum AWSS_ENC_TYPE {
    AWSS_ENC_TYPE_NONE,
    AWSS_ENC_TYPE_WEP,
    AWSS_ENC_TYPE_TKIP,
    AWSS_ENC_TYPE_AES,
    AWSS_ENC_TYPE_TKIPAES,
    AWSS_ENC_TYPE_MAX = AWSS_ENC_TYPE_TKIPAES,
    AWSS_ENC_TYPE_INVALID = 0xff
};

/* ---- the imports, defined by mock_provision.c ---------------------------------------------- */

/* Wi-Fi HAL (dev_bind_wrapper.h, WIFI_PROVISION_ENABLED) */
int HAL_Wifi_Get_Ap_Info(char ssid[MOCK_MAX_SSID_LEN], char passwd[MOCK_MAX_PASSWD_LEN],
                         uint8_t bssid[MOCK_ETH_ALEN]);
int HAL_Awss_Connect_Ap(uint32_t connection_timeout_ms, char ssid[MOCK_MAX_SSID_LEN],
                        char passwd[MOCK_MAX_PASSWD_LEN], enum AWSS_AUTH_TYPE auth,
                        enum AWSS_ENC_TYPE encry, uint8_t bssid[MOCK_ETH_ALEN], uint8_t channel);

/* MQTT handlers of the registrar (awss_registrar.c), subscribed by awss_cmp_online_init */
void awss_enrollee_checkin(void *pcontext, void *pclient, void *msg);
void awss_report_enrollee_reply(void *pcontext, void *pclient, void *msg);
void awss_get_cipher_reply(void *pcontext, void *pclient, void *msg);

/* CoAP handlers, registered by awss_cmp_local_init by stage */
int online_dev_bind_monitor(void *ctx, void *resource, void *remote, void *request);
int wifimgr_process_switch_ap_request(void *ctx, void *resource, void *remote, void *request);
int wifimgr_process_get_wifilist_request(void *ctx, void *resource, void *remote, void *request);
int wifimgr_process_mcast_get_device_info(void *ctx, void *resource, void *remote, void *request);
int wifimgr_process_ucast_get_device_info(void *ctx, void *resource, void *remote, void *request);
int wifimgr_process_dev_ap_switchap_request(void *ctx, void *resource, void *remote,
                                            void *request);

/* Called by awss_start_bind / awss_bind_deinit. The SDK declares the two statistics functions
 * without a prototype (`void awss_disp_statis();`) and passes the display one an argument that
 * it ignores; defined here with (void), the same call ABI. */
void awss_registrar_init(void);
void awss_registrar_deinit(void);
void awss_clear_statis(void);
void awss_disp_statis(void);

/* HAL_Reboot through -Wl,--wrap=HAL_Reboot (see the top of this file). */
void __wrap_HAL_Reboot(void);

/* ---- test driver API ---------------------------------------------------------------------- */

/* Clears every record and setting: no current AP (HAL_Wifi_Get_Ap_Info returns -1 and leaves
 * the buffers alone), connect result 0, handler results 0, no hooks, reboots recorded and
 * returning. */
void mock_provision_reset(void);

/* Every recorded call gets the next number of one sequence shared by all the functions here
 * (connects, AP-info reads, reboots, handlers), starting at 1 after mock_provision_reset. */
unsigned mock_provision_seq(void); /* the number of the last call, 0 if none */

/* HAL_Wifi_Get_Ap_Info: copies these into the caller's buffers and returns result. ssid and
 * passwd NUL-terminated strings (NULL = ""), cut to 32 / 64 bytes; bssid NULL = all zero. */
void mock_wifi_set_ap(const char *ssid, const char *passwd, const uint8_t bssid[MOCK_ETH_ALEN],
                      int result);
/* The same with whole raw buffers, so a test can hand over an unterminated ssid or passwd. */
void mock_wifi_set_ap_bytes(const uint8_t ssid[MOCK_MAX_SSID_LEN],
                            const uint8_t passwd[MOCK_MAX_PASSWD_LEN],
                            const uint8_t bssid[MOCK_ETH_ALEN], int result);
typedef struct {
    unsigned seq;
    int null_args; /* a bit per NULL argument: 1 ssid, 2 passwd, 4 bssid (then nothing written) */
} mock_ap_info_call_t;
int mock_ap_info_count(void);
mock_ap_info_call_t mock_ap_info_get(int index); /* index < 0 counts from the end */

/* HAL_Awss_Connect_Ap */
typedef struct {
    unsigned seq;
    uint32_t timeout_ms;
    char ssid[MOCK_MAX_SSID_LEN + 1];     /* up to the first NUL of the 33-byte buffer */
    int ssid_terminated;                  /* 1 if the buffer held a NUL */
    char passwd[MOCK_MAX_PASSWD_LEN + 1]; /* up to the first NUL of the 65-byte buffer */
    int passwd_terminated;
    int auth;
    int encry;
    int bssid_null;
    uint8_t bssid[MOCK_ETH_ALEN];
    uint8_t channel;
} mock_connect_t;
void mock_connect_set_result(int result); /* what HAL_Awss_Connect_Ap returns (default 0) */
int mock_connect_count(void);
mock_connect_t mock_connect_get(int index); /* index < 0 counts from the end */
/* Runs inside every HAL_Awss_Connect_Ap call, after the recording and before it returns, with
 * no mock lock held (to call back into the library, as a busy Wi-Fi stack's events would). */
void mock_connect_set_hook(void (*hook)(void *user), void *user);

/* HAL_Reboot (wrapped) */
int mock_reboot_count(void);
unsigned mock_reboot_seq(int index); /* sequence number of the index-th reboot, 0 if none */
void mock_reboot_set_abort(int abort_on_reboot);

/* The wifi_provision handlers */
typedef enum {
    MOCK_PV_ENROLLEE_CHECKIN,
    MOCK_PV_REPORT_ENROLLEE_REPLY,
    MOCK_PV_GET_CIPHER_REPLY,
    MOCK_PV_DEV_BIND_MONITOR,
    MOCK_PV_WIFIMGR_SWITCH_AP,
    MOCK_PV_WIFIMGR_WIFILIST,
    MOCK_PV_WIFIMGR_MCAST_DEVINFO,
    MOCK_PV_WIFIMGR_UCAST_DEVINFO,
    MOCK_PV_WIFIMGR_DEV_AP_SWITCHAP,
    MOCK_PV_REGISTRAR_INIT,
    MOCK_PV_REGISTRAR_DEINIT,
    MOCK_PV_CLEAR_STATIS,
    MOCK_PV_DISP_STATIS,
    MOCK_PV_COUNT
} mock_pv_fn_t;

#define MOCK_PV_PAYLOAD_KEEP 256
typedef struct {
    mock_pv_fn_t fn;
    unsigned seq;
    void *args[4]; /* as passed: (pcontext, pclient, msg) or (ctx, resource, remote, request) */
    /* MQTT handlers: from msg (iotx_mqtt_event_msg_t *) */
    int event_type;                 /* -1 when msg is NULL */
    char topic[160];                /* publish received: the topic, cut to 159 bytes */
    /* CoAP handlers: the resource path (cut to 127 bytes), the remote, the request */
    char paths[128];
    char remote_addr[17];           /* remote->addr up to its NUL, "" when remote is NULL */
    unsigned short remote_port;
    int request_null;
    uint16_t request_msgid;
    uint8_t request_code;
    /* both kinds: the payload (MQTT publish or CoAP request), cut to MOCK_PV_PAYLOAD_KEEP */
    long payload_len;               /* the full length; -1 when there is none */
    unsigned char payload[MOCK_PV_PAYLOAD_KEEP];
} mock_pv_call_t;

const char *mock_pv_name(mock_pv_fn_t fn);     /* the C function's name */
int mock_pv_count(mock_pv_fn_t fn);            /* calls of fn since the reset */
int mock_pv_total(void);                       /* calls of every handler */
/* The index-th handler call in call order (index < 0 counts from the end); the first
 * MOCK_PV_KEEP calls are kept, later ones only counted. */
#define MOCK_PV_KEEP 64
mock_pv_call_t mock_pv_get(int index);
/* The nth (0-based) recorded call of fn; 0 if found. */
int mock_pv_find(mock_pv_fn_t fn, int nth, mock_pv_call_t *out);
void mock_pv_set_result(mock_pv_fn_t fn, int result); /* what an int handler returns (0) */
/* Runs inside every handler call, after the recording, with no mock lock held. */
void mock_pv_set_hook(void (*hook)(mock_pv_fn_t fn, void *user), void *user);

#ifdef __cplusplus
}
#endif

#endif /* MOCK_PROVISION_H */
