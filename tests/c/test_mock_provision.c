/*
 * Checks the test double of the wifi-provision imports (c_examples/mock/mock_provision.c) on
 * its own, before any library test relies on it: what each function records, what it returns,
 * what it writes, and the shared call order. Linked with -Wl,--wrap=HAL_Reboot and without
 * mock_sdk.c, as a provisioning test links it (there with mock_sdk.c and the library).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mock_provision.h"

static int g_hook_calls;
static void count_hook(void *user)
{
    CHECK(user == &g_hook_calls);
    g_hook_calls++;
    /* no mock lock is held: the mock can be called from here */
    CHECK(mock_connect_count() >= 1);
}

static mock_pv_fn_t g_pv_hook_fn = MOCK_PV_COUNT;
static void pv_hook(mock_pv_fn_t fn, void *user)
{
    CHECK(user == &g_pv_hook_fn);
    g_pv_hook_fn = fn;
    CHECK(mock_pv_total() >= 1);
}

static void check_connect(void)
{
    char ssid[MOCK_MAX_SSID_LEN] = "HomeAP";
    char passwd[MOCK_MAX_PASSWD_LEN] = "pass word";
    uint8_t bssid[MOCK_ETH_ALEN] = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

    CHECK_EQ(mock_connect_count(), 0);
    CHECK_EQ(HAL_Awss_Connect_Ap(30000, ssid, passwd, AWSS_AUTH_TYPE_INVALID,
                                 AWSS_ENC_TYPE_INVALID, bssid, 0),
             0);
    CHECK_EQ(mock_connect_count(), 1);
    mock_connect_t c = mock_connect_get(0);
    CHECK_EQ(c.seq, 1);
    CHECK_EQ(c.timeout_ms, 30000);
    CHECK_STR(c.ssid, "HomeAP");
    CHECK_EQ(c.ssid_terminated, 1);
    CHECK_STR(c.passwd, "pass word");
    CHECK_EQ(c.passwd_terminated, 1);
    CHECK_EQ(c.auth, 0xff);
    CHECK_EQ(c.encry, 0xff);
    CHECK_EQ(c.bssid_null, 0);
    CHECK(memcmp(c.bssid, bssid, 6) == 0);
    CHECK_EQ(c.channel, 0);

    /* a configured result, a hook, an unterminated 33-byte ssid, NULL bssid */
    mock_connect_set_result(-7);
    mock_connect_set_hook(count_hook, &g_hook_calls);
    memset(ssid, 'S', sizeof(ssid));
    CHECK_EQ(HAL_Awss_Connect_Ap(1, ssid, passwd, AWSS_AUTH_TYPE_WPA2PSK, AWSS_ENC_TYPE_AES,
                                 NULL, 6),
             -7);
    CHECK_EQ(g_hook_calls, 1);
    c = mock_connect_get(-1);
    CHECK_EQ(c.seq, 2);
    CHECK_EQ(strlen(c.ssid), MOCK_MAX_SSID_LEN);
    CHECK_EQ(c.ssid_terminated, 0);
    CHECK_EQ(c.auth, AWSS_AUTH_TYPE_WPA2PSK);
    CHECK_EQ(c.encry, AWSS_ENC_TYPE_AES);
    CHECK_EQ(c.bssid_null, 1);
    CHECK_EQ(c.channel, 6);
    /* out of range */
    CHECK_EQ(mock_connect_get(5).seq, 0);
    CHECK_EQ(mock_connect_get(-3).seq, 0);
}

static void check_ap_info(void)
{
    char ssid[MOCK_MAX_SSID_LEN];
    char passwd[MOCK_MAX_PASSWD_LEN];
    uint8_t bssid[MOCK_ETH_ALEN];

    /* no AP set: -1, buffers untouched */
    memset(ssid, 'x', sizeof(ssid));
    CHECK_EQ(HAL_Wifi_Get_Ap_Info(ssid, passwd, bssid), -1);
    CHECK_EQ(ssid[0], 'x');

    const uint8_t mac[MOCK_ETH_ALEN] = {1, 2, 3, 4, 5, 6};
    mock_wifi_set_ap("Office", "secret", mac, 0);
    CHECK_EQ(HAL_Wifi_Get_Ap_Info(ssid, passwd, bssid), 0);
    CHECK_STR(ssid, "Office");
    CHECK_STR(passwd, "secret");
    CHECK(memcmp(bssid, mac, 6) == 0);
    /* the rest of each buffer is zeroed */
    CHECK_EQ(ssid[MOCK_MAX_SSID_LEN - 1], 0);
    CHECK_EQ(passwd[MOCK_MAX_PASSWD_LEN - 1], 0);

    /* whole raw buffers: an unterminated ssid reaches the caller as it is */
    uint8_t raw_ssid[MOCK_MAX_SSID_LEN];
    memset(raw_ssid, 'A', sizeof(raw_ssid));
    mock_wifi_set_ap_bytes(raw_ssid, NULL, NULL, 3);
    CHECK_EQ(HAL_Wifi_Get_Ap_Info(ssid, passwd, bssid), 3);
    CHECK(memcmp(ssid, raw_ssid, sizeof(ssid)) == 0);
    CHECK_EQ(passwd[0], 0);
    CHECK_EQ(bssid[5], 0);

    /* NULL arguments are recorded, nothing is written */
    CHECK_EQ(HAL_Wifi_Get_Ap_Info(NULL, passwd, NULL), 3);
    CHECK_EQ(mock_ap_info_count(), 4);
    CHECK_EQ(mock_ap_info_get(-1).null_args, 5);
    CHECK_EQ(mock_ap_info_get(0).null_args, 0);
    CHECK(mock_ap_info_get(1).seq > mock_ap_info_get(0).seq);
}

static void check_handlers(void)
{
    CHECK_EQ(mock_pv_total(), 0);
    mock_pv_set_hook(pv_hook, &g_pv_hook_fn);

    /* an MQTT publish as the SDK's client delivers it: no NUL after topic or payload */
    static const char topic[] = "/sys/pk/dn/thing/awss/enrollee/checkin";
    static const char payload[] = "{\"id\":\"1\",\"params\":{}}";
    iotx_mqtt_topic_info_t info = {
        .packet_id = 1, .qos = 0, .topic_len = (uint16_t)(sizeof(topic) - 1),
        .payload_len = (uint32_t)(sizeof(payload) - 1), .ptopic = topic, .payload = payload,
    };
    iotx_mqtt_event_msg_t ev = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, &info};
    int ctx_token = 0;
    awss_enrollee_checkin(&ctx_token, NULL, &ev);
    CHECK_EQ(g_pv_hook_fn, MOCK_PV_ENROLLEE_CHECKIN);
    mock_pv_call_t r = mock_pv_get(0);
    CHECK_EQ(r.fn, MOCK_PV_ENROLLEE_CHECKIN);
    CHECK(r.args[0] == &ctx_token && r.args[1] == NULL && r.args[2] == &ev);
    CHECK_EQ(r.event_type, MOCK_MQTT_EVENT_PUBLISH_RECEIVED);
    CHECK_STR(r.topic, topic);
    CHECK_EQ(r.payload_len, (long)strlen(payload));
    CHECK_BYTES(r.payload, r.payload_len, payload);

    /* odd MQTT events: NULL message, another event type */
    awss_report_enrollee_reply(NULL, NULL, NULL);
    iotx_mqtt_event_msg_t other = {3, NULL};
    awss_get_cipher_reply(NULL, NULL, &other);
    CHECK_EQ(mock_pv_get(1).event_type, -1);
    CHECK_EQ(mock_pv_get(1).payload_len, -1);
    CHECK_EQ(mock_pv_get(2).event_type, 3);
    CHECK_EQ(mock_pv_get(2).payload_len, -1);

    /* a CoAP request */
    static const char body[] = "{\"id\":\"7\",\"version\":\"1.0\",\"params\":{}}";
    CoAPMessage req;
    memset(&req, 0, sizeof(req));
    req.header.code = 0x02;
    req.header.msgid = 0x1234;
    req.payload = (unsigned char *)body;
    req.payloadlen = (unsigned short)(sizeof(body) - 1);
    NetworkAddr remote = {.addr = "192.168.1.20", .port = 5683};
    mock_pv_set_result(MOCK_PV_WIFIMGR_MCAST_DEVINFO, -1);
    CHECK_EQ(wifimgr_process_mcast_get_device_info(NULL, "/sys/awss/device/info/get", &remote,
                                                   &req),
             -1);
    CHECK_EQ(wifimgr_process_ucast_get_device_info(NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(online_dev_bind_monitor(NULL, "/sys/device/info/notify", &remote, &req), 0);
    CHECK_EQ(wifimgr_process_switch_ap_request(NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(wifimgr_process_get_wifilist_request(NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(wifimgr_process_dev_ap_switchap_request(NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(mock_pv_find(MOCK_PV_WIFIMGR_MCAST_DEVINFO, 0, &r), 0);
    CHECK_STR(r.paths, "/sys/awss/device/info/get");
    CHECK_STR(r.remote_addr, "192.168.1.20");
    CHECK_EQ(r.remote_port, 5683);
    CHECK_EQ(r.request_null, 0);
    CHECK_EQ(r.request_msgid, 0x1234);
    CHECK_EQ(r.request_code, 0x02);
    CHECK_BYTES(r.payload, r.payload_len, body);
    CHECK_EQ(mock_pv_find(MOCK_PV_WIFIMGR_UCAST_DEVINFO, 0, &r), 0);
    CHECK_EQ(r.request_null, 1);
    CHECK_STR(r.paths, "");
    CHECK_EQ(mock_pv_find(MOCK_PV_WIFIMGR_UCAST_DEVINFO, 1, &r), -1);

    /* the plain calls, in order */
    awss_registrar_init();
    awss_disp_statis();
    awss_disp_statis();
    awss_registrar_deinit();
    awss_clear_statis();
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_INIT), 1);
    CHECK_EQ(mock_pv_count(MOCK_PV_DISP_STATIS), 2);
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_DEINIT), 1);
    CHECK_EQ(mock_pv_count(MOCK_PV_CLEAR_STATIS), 1);
    CHECK_EQ(mock_pv_total(), 14);
    CHECK_EQ(mock_pv_get(-1).fn, MOCK_PV_CLEAR_STATIS);
    CHECK_EQ(mock_pv_get(-5).fn, MOCK_PV_REGISTRAR_INIT);
    for (int i = 1; i < mock_pv_total(); i++) {
        CHECK(mock_pv_get(i).seq == mock_pv_get(i - 1).seq + 1);
    }
    CHECK_STR(mock_pv_name(MOCK_PV_WIFIMGR_DEV_AP_SWITCHAP),
              "wifimgr_process_dev_ap_switchap_request");
    CHECK_STR(mock_pv_name(MOCK_PV_COUNT), "?");
    CHECK_EQ(mock_pv_get(99).fn, MOCK_PV_COUNT);
}

static void check_reboot_and_order(void)
{
    char ssid[MOCK_MAX_SSID_LEN] = "a";
    char passwd[MOCK_MAX_PASSWD_LEN] = "";
    uint8_t bssid[MOCK_ETH_ALEN] = {0};
    CHECK_EQ(mock_reboot_count(), 0);
    (void)HAL_Awss_Connect_Ap(30000, ssid, passwd, AWSS_AUTH_TYPE_INVALID,
                              AWSS_ENC_TYPE_INVALID, bssid, 0);
    HAL_Reboot(); /* reaches __wrap_HAL_Reboot through --wrap */
    CHECK_EQ(mock_reboot_count(), 1);
    CHECK(mock_reboot_seq(0) == mock_connect_get(-1).seq + 1);
    CHECK_EQ(mock_reboot_seq(0), mock_provision_seq());
    CHECK_EQ(mock_reboot_seq(1), 0);
}

int main(void)
{
    mock_provision_reset();
    check_connect();
    mock_provision_reset();
    CHECK_EQ(mock_connect_count(), 0);
    CHECK_EQ(mock_provision_seq(), 0);
    check_ap_info();
    mock_provision_reset();
    check_handlers();
    mock_provision_reset();
    CHECK_EQ(mock_pv_total(), 0);
    check_reboot_and_order();
    printf("PASS mock_provision\n");
    check_flush();
    return 0;
}
