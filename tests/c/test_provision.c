/*
 * C tests of a wifi-provision build of libiot_dev_bind.a (docs/WIFI_PROVISION.md) against the
 * mock SDK and the mock of the provisioning imports (c_examples/mock/mock_provision.c), linked
 * with -Wl,--wrap=HAL_Reboot so that reboots are recorded. One process per case.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEV_BIND_WIFI_PROVISION 1
#include "helpers.h"
#include "iot_dev_bind.h"
#include "mock_provision.h"

#define TOPIC_SWITCHAP "/sys/" PK "/" DN "/thing/awss/device/switchap"
#define TOPIC_SWITCHAP_REPLY "/sys/" PK "/" DN "/thing/awss/device/switchap_reply"
#define URI_SUC_NOTIFY "/sys/awss/event/connectap/notify"
#define URI_DEVINFO_NOTIFY "/sys/awss/device/info/notify"
#define URI_CONNECTAP_MCAST "/sys/awss/device/connectap/info/get"
#define URI_CONNECTAP_UCAST "/sys/" PK "/" DN "/awss/device/connectap/info/get"
#define SECRET "mock-product-secret"

static const uint8_t PHONE_TOKEN[16] = {0x47, 0x86, 0xF0, 0xF6, 0xE1, 0xCC, 0x7B, 0xF8,
                                        0x60, 0x17, 0xFD, 0x4D, 0x14, 0x29, 0xEE, 0x4F};
#define PHONE_HEX "4786F0F6E1CC7BF86017FD4D1429EE4F"

#define REQ                                                                                  \
    "{\"id\":\"123\",\"version\":\"1.0\",\"method\":\"thing.awss.device.switchap\","         \
    "\"params\":{\"ssid\":\"HomeAP\",\"passwd\":\"s3cret-pw\",\"bssid\":\"AA:bb:CC:dd:EE:ff\"," \
    "\"switchMode\":0,\"timeout\":3000}}"

static void hex_upper(const uint8_t *b, size_t n, char *out)
{
    static const char H[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = H[b[i] >> 4];
        out[2 * i + 1] = H[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void setup_provision(void)
{
    mock_provision_reset();
}

/* ---- the sign: produce_signature, awss_build_sign_src ------------------------------------- */

static void hmac_rfc2202(void)
{
    uint8_t k4[26];
    for (int i = 0; i < 25; i++) {
        k4[i] = (uint8_t)(i + 1);
    }
    k4[25] = 0;
    char k1[21], k3[21], k5[21], k6[81];
    memset(k1, 0x0b, 20), k1[20] = 0;
    memset(k3, 0xaa, 20), k3[20] = 0;
    memset(k5, 0x0c, 20), k5[20] = 0;
    memset(k6, 0xaa, 80), k6[80] = 0;
    uint8_t d3[50], d4[50];
    memset(d3, 0xdd, 50);
    memset(d4, 0xcd, 50);
    struct {
        const char *key;
        const void *data;
        uint32_t len;
        const char *digest;
    } cases[] = {
        {k1, "Hi There", 8, "B617318655057264E28BC0B6FB378C8EF146BE00"},
        {"Jefe", "what do ya want for nothing?", 28, "EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79"},
        {k3, d3, 50, "125D7342B9AC11CD91A39AF48AA17B4F63F175D3"},
        {(const char *)k4, d4, 50, "4C9007F4026250C6BC8414F9BF50C86C2D7235DA"},
        {k5, "Test With Truncation", 20, "4C1A03424B55E07FE7F27BE1D58BB9324A9A5A04"},
        /* keys over 64 bytes: hashed first (RFC 2104), where the C module writes nothing */
        {k6, "Test Using Larger Than Block-Size Key - Hash Key First", 54,
         "AA4AE5E15272D00E95705637CE8A3B55ED402112"},
        {k6, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 73,
         "E8E99D0F45237D786D6BBAA7965C7808BBFF1A91"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t sign[24];
        memset(sign, 0xEE, sizeof(sign));
        uint8_t txt[80];
        memcpy(txt, cases[i].data, cases[i].len);
        CHECK_EQ(produce_signature(sign, txt, cases[i].len, cases[i].key), 0);
        char hex[41];
        hex_upper(sign, 20, hex);
        CHECK_MSG(strcmp(hex, cases[i].digest) == 0, "RFC 2202 case %zu: %s", i + 1, hex);
        /* 20 raw bytes, nothing after them */
        CHECK_EQ(sign[20], 0xEE);
    }
    /* refusals: nothing written */
    uint8_t sign[20];
    memset(sign, 0x55, sizeof(sign));
    uint8_t txt[4] = {1, 2, 3, 4};
    CHECK_EQ(produce_signature(NULL, txt, 4, "k"), -1);
    CHECK_EQ(produce_signature(sign, NULL, 4, "k"), -1);
    CHECK_EQ(produce_signature(sign, txt, 4, NULL), -1);
    CHECK_EQ(produce_signature(sign, txt, 0, "k"), -1);
    for (int i = 0; i < 20; i++) {
        CHECK_EQ(sign[i], 0x55);
    }
    /* an empty key is a key */
    CHECK_EQ(produce_signature(sign, txt, 4, ""), 0);
}

static void sign_src(void)
{
    memcpy(aes_random, PHONE_TOKEN, 16);
    char buf[100];
    int len = sizeof(buf);
    CHECK(awss_build_sign_src(buf, &len) == buf);
    CHECK_EQ(len, 16 + strlen(DN) + strlen(PK));
    CHECK(memcmp(buf, PHONE_TOKEN, 16) == 0);
    CHECK(memcmp(buf + 16, DN PK, strlen(DN PK)) == 0);
    /* too short: NULL, length unchanged */
    int shorter = len - 1;
    CHECK(awss_build_sign_src(buf, &shorter) == NULL);
    CHECK_EQ(shorter, len - 1);
    CHECK(awss_build_sign_src(NULL, &len) == NULL);
    CHECK(awss_build_sign_src(buf, NULL) == NULL);
}

/* The upper-case hex sign of this device for aes_random, through the C exports. */
static void expected_sign(char hex[41])
{
    char src[100];
    int len = sizeof(src);
    CHECK(awss_build_sign_src(src, &len) != NULL);
    uint8_t sign[20];
    CHECK_EQ(produce_signature(sign, (uint8_t *)src, (uint32_t)len, SECRET), 0);
    hex_upper(sign, 20, hex);
}

static void dict_crypt(void)
{
    uint8_t data[4] = {'a', 'b', 0x00, 0xFF};
    uint8_t orig[4];
    memcpy(orig, data, 4);
    CHECK_EQ(awss_dict_crypt(0, data, 4), -1);
    CHECK_EQ(awss_dict_crypt(1, data, 4), -1);
    CHECK_EQ(awss_dict_crypt(2, data, 4), -1);
    CHECK_EQ(awss_dict_crypt(0, NULL, 4), -1);
    CHECK(memcmp(data, orig, 4) == 0);
    CHECK(mock_log_contains("awss_dict_crypt: no dictionary table in this build, tab 0 refused"));
    CHECK(mock_log_contains("tab 1 refused"));
}

/* ---- notify rounds ------------------------------------------------------------------------ */

static void devinfo_prefix(char *out, size_t n)
{
    snprintf(out, n,
             "\"awssVer\":{\"smartconfig\":\"2.0\",\"zconfig\":\"2.0\",\"router\":\"2.0\","
             "\"ap\":\"2.0\",\"softap\":\"2.0\"},\"productKey\":\"%s\",\"deviceName\":\"%s\","
             "\"mac\":\"%s\",\"ip\":\"%s\",\"cipherType\":3",
             PK, DN, MAC_UPPER, DEV_IP);
}

static void suc_notify_round(void)
{
    char base[400], exp[600];
    devinfo_prefix(base, sizeof(base));
    CHECK_EQ(awss_suc_notify(), 0);
    CHECK_EQ(mock_event_count_of(0x100E), 1);
    CHECK_EQ(mock_mcast_count(), 1);
    mock_mcast_t m = mock_mcast_get(0);
    CHECK_STR(m.uri, URI_SUC_NOTIFY);
    CHECK_STR(m.addr, "255.255.255.255");
    CHECK_EQ(m.port, 5683);
    snprintf(exp, sizeof(exp),
             "{\"id\":\"1\",\"version\":\"1.0\",\"method\":\"awss.event.connectap.notify\","
             "\"params\":{%s,\"type\":0}}",
             base);
    CHECK_BYTES(m.payload, m.len, exp);
    CHECK(mock_log_contains("topic:/sys/awss/event/connectap/notify"));
    /* unanswered: 30 broadcasts, gaps k x 100 ms, the destination cycle */
    for (int k = 1; k < 30; k++) {
        mock_advance((uint64_t)k * 100 - 1);
        CHECK_EQ(mock_mcast_count(), k);
        mock_advance(1);
        CHECK_EQ(mock_mcast_count(), k + 1);
        CHECK_STR(mock_mcast_get(k).addr, fx_notify_dest((unsigned)k));
    }
    mock_advance(100000);
    CHECK_EQ(mock_mcast_count(), 30);
    CHECK_EQ(mock_event_count_of(0x100E), 1);
    CHECK_EQ(mock_timer_armed(), 0);
    /* a new round posts again */
    CHECK_EQ(awss_suc_notify(), 0);
    CHECK_EQ(mock_event_count_of(0x100E), 2);
    CHECK_EQ(awss_suc_notify_stop(), 0);
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), 31);
    CHECK_EQ(awss_suc_notify_stop(), 0); /* no round: fine */
}

static void suc_notify_ack(void)
{
    CHECK_EQ(awss_suc_notify(), 0);
    mock_advance(100); /* ids 1, 2 */
    CHECK_EQ(mock_mcast_count(), 2);
    const char *bad[] = {"{\"id\":\"abc\",\"code\":200}", "{\"id\":-5,\"code\":200}",
                         "{\"id\":2,\"code\":400}", "{\"id\":9,\"code\":200}", "nope"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, bad[i], (int)strlen(bad[i])), 0);
    }
    mock_advance(200);
    CHECK_EQ(mock_mcast_count(), 3); /* still running */
    const char *ok = "{\"id\":\"3\",\"code\":200}";
    CHECK_EQ(mock_coap_ack_notify(2, 0, 0x45, ok, (int)strlen(ok)), 0);
    CHECK(mock_log_contains("connectap notify acked id 3"));
    mock_advance(100000);
    CHECK_EQ(mock_mcast_count(), 3);
}

static void devinfo_notify_round(void)
{
    memcpy(aes_random, PHONE_TOKEN, 16);
    char base[400], exp[700], sign[41];
    devinfo_prefix(base, sizeof(base));
    expected_sign(sign);
    CHECK_EQ(awss_devinfo_notify(), 0);
    CHECK_EQ(mock_event_count(), 0);
    mock_mcast_t m = mock_mcast_get(0);
    CHECK_STR(m.uri, URI_DEVINFO_NOTIFY);
    snprintf(exp, sizeof(exp),
             "{\"id\":\"1\",\"version\":\"1.0\",\"method\":\"awss.device.info.notify\","
             "\"params\":{%s,\"random\":\"%s\",\"signMethod\":0,\"sign\":\"%s\"}}",
             base, PHONE_HEX, sign);
    CHECK_BYTES(m.payload, m.len, exp);
    /* a new aes_random shows in the next broadcast */
    memset(aes_random, 0x11, 16);
    mock_advance(100);
    m = mock_mcast_get(1);
    CHECK(memmem(m.payload, (size_t)m.len, "\"random\":\"1111111111111111", 26) != NULL);
    CHECK_EQ(awss_devinfo_notify_stop(), 0);
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), 2);
    /* the success round and the device-info round run side by side */
    CHECK_EQ(awss_devinfo_notify(), 0);
    CHECK_EQ(awss_suc_notify(), 0);
    mock_advance(100);
    CHECK_EQ(mock_mcast_count(), 6);
    CHECK_EQ(awss_bind_deinit(), 0); /* ends both */
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), 6);
}

/* ---- queries: the signed answer, the connect-AP window ------------------------------------ */

static void signed_query(void)
{
    memcpy(aes_random, PHONE_TOKEN, 16);
    char base[400], exp[700], sign[41];
    devinfo_prefix(base, sizeof(base));
    expected_sign(sign);
    NetworkAddr remote;
    memset(&remote, 0, sizeof(remote));
    strcpy((char *)remote.addr, "10.0.0.2");
    remote.port = 5683;
    CoAPMessage req;
    memset(&req, 0, sizeof(req));
    req.header.msgid = 77;
    char payload[] = "{\"id\":\"42\",\"version\":\"1.0\",\"params\":{}}";
    req.payload = (unsigned char *)payload;
    req.payloadlen = (unsigned short)strlen(payload);
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, &req, 1, 2), 0);
    CHECK_EQ(mock_resp_count(), 1);
    mock_resp_t r = mock_resp_get(0);
    CHECK_STR(r.paths, "/sys/awss/device/info/get");
    snprintf(exp, sizeof(exp),
             "{\"id\":42,\"code\":200,\"data\":{%s,\"random\":\"%s\",\"signMethod\":0,"
             "\"sign\":\"%s\"}}",
             base, PHONE_HEX, sign);
    CHECK_BYTES(r.payload, r.len, exp);
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, &req, 0, 2), 0);
    CHECK_STR(mock_resp_get(1).paths, "/sys/" PK "/" DN "/awss/device/info/get");
    CHECK_EQ(process_get_device_info(NULL, NULL, NULL, &req, 0, 2), -1);
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, NULL, 0, 2), -1);
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, &req, 0, 4), -1);
    CHECK_EQ(mock_resp_count(), 2);

    /* awss_build_dev_info: types 2 and 3 */
    char info[600];
    CHECK(awss_build_dev_info(2, info, sizeof(info)) == info);
    snprintf(exp, sizeof(exp), "%s,\"random\":\"%s\",\"signMethod\":0,\"sign\":\"%s\"", base,
             PHONE_HEX, sign);
    CHECK_STR(info, exp);
    CHECK(awss_build_dev_info(3, info, sizeof(info)) == info);
    snprintf(exp, sizeof(exp), "%s,\"type\":0", base);
    CHECK_STR(info, exp);
}

static void connectap_window(void)
{
    CHECK_EQ(awss_cmp_local_init(0x08), 0);
    CHECK(mock_coap_has_resource(URI_CONNECTAP_MCAST));
    CHECK(mock_coap_has_resource(URI_CONNECTAP_UCAST));
    const char *q = "{\"id\":\"5\",\"params\":{}}";
    int qlen = (int)strlen(q);
    /* closed: no answer */
    CHECK_EQ(mock_coap_request(URI_CONNECTAP_MCAST, "10.0.0.2", 5683, 1, NULL, 0, -1, q, qlen),
             0);
    CHECK_EQ(mock_resp_count(), 0);
    CHECK_EQ(awss_start_connectap_monitor(), 0);
    mock_coap_request(URI_CONNECTAP_MCAST, "10.0.0.2", 5683, 2, NULL, 0, -1, q, qlen);
    mock_coap_request(URI_CONNECTAP_UCAST, "10.0.0.2", 5683, 3, NULL, 0, -1, q, qlen);
    CHECK_EQ(mock_resp_count(), 2);
    CHECK_PREFIX(mock_resp_get(0).payload, mock_resp_get(0).len, "{\"id\":5,\"code\":200,\"data\":{");
    /* a second start does not extend the window */
    mock_advance(30000);
    CHECK_EQ(awss_start_connectap_monitor(), 0);
    mock_advance(29999);
    mock_coap_request(URI_CONNECTAP_MCAST, "10.0.0.2", 5683, 4, NULL, 0, -1, q, qlen);
    CHECK_EQ(mock_resp_count(), 3);
    mock_advance(1);
    mock_coap_request(URI_CONNECTAP_MCAST, "10.0.0.2", 5683, 5, NULL, 0, -1, q, qlen);
    CHECK_EQ(mock_resp_count(), 3);
    /* open again, then closed by stop */
    CHECK_EQ(awss_start_connectap_monitor(), 0);
    CHECK_EQ(awss_stop_connectap_monitor(), 0);
    mock_coap_request(URI_CONNECTAP_MCAST, "10.0.0.2", 5683, 6, NULL, 0, -1, q, qlen);
    CHECK_EQ(mock_resp_count(), 3);
}

/* ---- subscriptions and registrations by stage --------------------------------------------- */

static void online_and_local_stages(void)
{
    CHECK_EQ(awss_cmp_online_init(), 0);
    const char *topics[] = {"/sys/" PK "/" DN "/thing/awss/enrollee/match_reply",
                            "/sys/" PK "/" DN "/thing/awss/enrollee/checkin",
                            "/sys/" PK "/" DN "/thing/awss/enrollee/found_reply",
                            "/sys/" PK "/" DN "/thing/cipher/get_reply", TOPIC_SWITCHAP};
    for (size_t i = 0; i < 5; i++) {
        CHECK_MSG(mock_sub_active(topics[i]), "%s", topics[i]);
    }
    int subs = mock_sub_count();
    CHECK_EQ(awss_cmp_online_init(), 0);
    CHECK_EQ(mock_sub_count(), subs);
    /* the registrar's handlers get their publishes */
    CHECK_EQ(mock_mqtt_deliver(topics[1], "{}", 2), 0);
    CHECK_EQ(mock_pv_count(MOCK_PV_ENROLLEE_CHECKIN), 1);
    CHECK_EQ(mock_mqtt_deliver(topics[2], "{}", 2), 0);
    CHECK_EQ(mock_pv_count(MOCK_PV_REPORT_ENROLLEE_REPLY), 1);
    CHECK_EQ(mock_mqtt_deliver(topics[3], "{}", 2), 0);
    CHECK_EQ(mock_pv_count(MOCK_PV_GET_CIPHER_REPLY), 1);
    CHECK_EQ(awss_cmp_online_deinit(), 0);
    for (size_t i = 1; i < 5; i++) {
        CHECK(!mock_sub_active(topics[i]));
    }

    CHECK_EQ(awss_cmp_local_init(0x02), 0); /* PAP */
    CHECK(mock_coap_has_resource("/sys/" PK "/" DN "/awss/device/switchap"));
    CHECK(mock_coap_has_resource("/sys/" PK "/" DN "/awss/event/wifilist/get"));
    CHECK(mock_coap_has_resource("/sys/awss/device/info/get"));
    CHECK(mock_coap_has_resource("/sys/" PK "/" DN "/awss/device/info/get"));
    CHECK(!mock_coap_has_resource("/sys/awss/device/softap/switchap"));
    CHECK(!mock_coap_has_resource(URI_CONNECTAP_MCAST));
    const char *q = "{\"id\":1}";
    mock_coap_request("/sys/awss/device/info/get", "10.0.0.2", 5683, 1, NULL, 0, -1, q, 8);
    CHECK_EQ(mock_pv_count(MOCK_PV_WIFIMGR_MCAST_DEVINFO), 1);
    mock_pv_call_t c;
    CHECK_EQ(mock_pv_find(MOCK_PV_WIFIMGR_MCAST_DEVINFO, 0, &c), 0);
    CHECK_STR(c.remote_addr, "10.0.0.2");
    CHECK_EQ(c.payload_len, 8);
    mock_coap_request("/sys/" PK "/" DN "/awss/device/switchap", "10.0.0.2", 5683, 2, NULL, 0,
                      -1, q, 8);
    CHECK_EQ(mock_pv_count(MOCK_PV_WIFIMGR_SWITCH_AP), 1);
    CHECK_EQ(awss_cmp_local_init(0x04), 0); /* DEV_AP */
    CHECK(mock_coap_has_resource("/sys/awss/device/softap/switchap"));
    mock_coap_request("/sys/awss/device/softap/switchap", "10.0.0.2", 5683, 3, NULL, 0, -1, q, 8);
    CHECK_EQ(mock_pv_count(MOCK_PV_WIFIMGR_DEV_AP_SWITCHAP), 1);
    CHECK_EQ(awss_cmp_local_init(0x100), 0); /* BIND */
    CHECK(mock_coap_has_resource("/sys/device/info/notify"));
    CHECK(mock_coap_has_resource(URI_SUC_NOTIFY));
    CHECK(mock_coap_has_resource(URI_MCAST));
    mock_coap_request(URI_SUC_NOTIFY, "10.0.0.3", 5683, 4, NULL, 0, -1, q, 8);
    CHECK_EQ(mock_pv_count(MOCK_PV_DEV_BIND_MONITOR), 1);
    /* local deinit with a server ends the provisioning rounds */
    CHECK_EQ(awss_suc_notify(), 0);
    int sent = mock_mcast_count();
    CHECK_EQ(awss_cmp_local_deinit(0), 0);
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), sent);
}

/* ---- switch AP ---------------------------------------------------------------------------- */

static int deliver(const char *payload)
{
    return mock_mqtt_deliver(TOPIC_SWITCHAP, payload, (int)strlen(payload));
}

static void switchap_flow(void)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    mock_wifi_set_ap("OtherAP", "other", NULL, 0);
    CHECK_EQ(deliver(REQ), 0);
    CHECK_EQ(mock_pub_count_topic("/thing/awss/device/switchap_reply"), 1);
    mock_pub_t p;
    CHECK_EQ(mock_pub_find("/thing/awss/device/switchap_reply", 0, &p), 0);
    CHECK_STR(p.topic, TOPIC_SWITCHAP_REPLY);
    CHECK_EQ(p.qos, 1);
    CHECK_BYTES(p.payload, p.len, "{\"id\":123,\"code\":200,\"data\":{}}"); /* no NUL padding */
    CHECK_EQ(mock_ap_info_count(), 1);
    CHECK_EQ(mock_ap_info_get(0).null_args, 0);
    /* decimal timeout: 3000 ms */
    mock_advance(2999);
    CHECK_EQ(mock_connect_count(), 0);
    mock_advance(1);
    CHECK_EQ(mock_connect_count(), 1);
    mock_connect_t c = mock_connect_get(0);
    CHECK_EQ(c.timeout_ms, 30000);
    CHECK_STR(c.ssid, "HomeAP");
    CHECK_EQ(c.ssid_terminated, 1);
    CHECK_STR(c.passwd, "s3cret-pw");
    CHECK_EQ(c.passwd_terminated, 1);
    CHECK_EQ(c.auth, AWSS_AUTH_TYPE_INVALID);
    CHECK_EQ(c.encry, AWSS_ENC_TYPE_INVALID);
    CHECK_EQ(c.bssid_null, 0);
    const uint8_t want[6] = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
    CHECK(memcmp(c.bssid, want, 6) == 0);
    CHECK_EQ(c.channel, 0);
    CHECK_EQ(mock_reboot_count(), 0);
    mock_advance(999);
    CHECK_EQ(mock_reboot_count(), 0);
    mock_advance(1);
    CHECK_EQ(mock_reboot_count(), 1);
    CHECK(mock_reboot_seq(0) > c.seq);
    mock_advance(10000);
    CHECK_EQ(mock_reboot_count(), 1);
    CHECK_EQ(mock_connect_count(), 1);
    /* the password is in no log line */
    CHECK(mock_log_contains("switchap to HomeAP in 3000 ms"));
    CHECK(!mock_log_contains("s3cret"));
    CHECK(mock_log_total() > 0);
}

static void switchap_connect_fails(void)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    mock_connect_set_result(-1);
    CHECK_EQ(deliver("{\"id\":7,\"params\":{\"ssid\":\"Cafe\"}}"), 0); /* open network */
    mock_advance(1000);
    CHECK_EQ(mock_connect_count(), 1);
    mock_connect_t c = mock_connect_get(0);
    CHECK_STR(c.ssid, "Cafe");
    CHECK_STR(c.passwd, "");
    const uint8_t zero[6] = {0};
    CHECK(memcmp(c.bssid, zero, 6) == 0);
    CHECK(mock_log_contains("switchap: connect res:-1, reboot in 1000 ms"));
    mock_advance(1000);
    CHECK_EQ(mock_reboot_count(), 1);
}

static void switchap_already_on(void)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    const uint8_t bssid[6] = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
    mock_wifi_set_ap("HomeAP", "s3cret-pw", bssid, 0);
    CHECK_EQ(deliver(REQ), 0);
    CHECK_EQ(mock_pub_count_topic("/thing/awss/device/switchap_reply"), 1); /* still replied */
    mock_advance(60000);
    CHECK_EQ(mock_connect_count(), 0);
    CHECK_EQ(mock_reboot_count(), 0);
    CHECK(mock_log_contains("switchap: already on that AP"));
}

static void switchap_deinit_cancels(void)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    CHECK_EQ(deliver(REQ), 0);
    mock_advance(1000);
    CHECK_EQ(awss_bind_deinit(), 0);
    mock_advance(60000);
    CHECK_EQ(mock_connect_count(), 0);
    CHECK_EQ(mock_reboot_count(), 0);
    CHECK(mock_log_contains("switchap cancelled"));
}

/* Every refusal, each its own case: a valid request is pending first; the refusal logs its
 * line, replies 460 when it has an id (else nothing), and the pending switch goes on to its
 * own target; no extra connect, one reboot. */
static const struct {
    const char *name;
    const char *payload; /* NULL: a NULL MQTT message */
    const char *line;
    int replied;
} REFUSALS[] = {
    {"null_msg", NULL, "switchap refused: no payload", 0},
    {"empty", "", "switchap refused: no payload", 0},
    {"not_json", "ssid=HomeAP", "switchap refused: not JSON", 0},
    {"no_id", "{\"params\":{\"ssid\":\"X\"}}", "switchap refused: no id", 0},
    {"no_params", "{\"id\":\"9\"}", "switchap refused: no params", 1},
    {"no_ssid", "{\"id\":\"9\",\"params\":{\"passwd\":\"p\"}}", "switchap refused: no ssid", 1},
    {"ssid_long", "{\"id\":\"9\",\"params\":{\"ssid\":\"123456789012345678901234567890123\"}}",
     "switchap refused: ssid over 32 bytes", 1},
    {"passwd_long",
     "{\"id\":\"9\",\"params\":{\"ssid\":\"X\",\"passwd\":\"12345678901234567890123456789012"
     "345678901234567890123456789012345\"}}",
     "switchap refused: passwd over 64 bytes", 1},
    {"bad_bssid", "{\"id\":\"9\",\"params\":{\"ssid\":\"X\",\"bssid\":\"A:B:C:D:E:Fxxxxxx\"}}",
     "switchap refused: bad bssid", 1},
    {"bad_timeout",
     "{\"id\":\"9\",\"params\":{\"ssid\":\"X\",\"switchMode\":0,\"timeout\":\"0x3000\"}}",
     "switchap refused: bad timeout", 1},
};
#define N_REFUSALS (sizeof(REFUSALS) / sizeof(REFUSALS[0]))

static void switchap_refusal(size_t i)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    CHECK_EQ(deliver(REQ), 0);
    int replies = mock_pub_count_topic("/thing/awss/device/switchap_reply");
    mock_advance(1000);
    if (REFUSALS[i].payload == NULL) {
        CHECK_EQ(mock_mqtt_deliver_raw(TOPIC_SWITCHAP, NULL), 0);
    } else {
        CHECK_EQ(deliver(REFUSALS[i].payload), 0);
    }
    CHECK_MSG(mock_log_contains(REFUSALS[i].line), "%s", REFUSALS[i].line);
    CHECK_EQ(mock_pub_count_topic("/thing/awss/device/switchap_reply"),
             replies + REFUSALS[i].replied);
    if (REFUSALS[i].replied) {
        mock_pub_t p = mock_pub_get(-1);
        CHECK_BYTES(p.payload, p.len, "{\"id\":9,\"code\":460,\"data\":{}}");
    }
    CHECK_EQ(mock_ap_info_count(), 1);
    mock_advance(2000); /* the pending switch, 3 s after its request */
    CHECK_EQ(mock_connect_count(), 1);
    CHECK_STR(mock_connect_get(0).ssid, "HomeAP");
    mock_advance(60000);
    CHECK_EQ(mock_connect_count(), 1);
    CHECK_EQ(mock_reboot_count(), 1);
}

static void switchap_other_events(void)
{
    setup_provision();
    CHECK_EQ(awss_cmp_online_init(), 0);
    iotx_mqtt_event_msg_t ev = {.event_type = 3, .msg = NULL};
    CHECK_EQ(mock_mqtt_deliver_raw(TOPIC_SWITCHAP, &ev), 0);
    ev.event_type = MOCK_MQTT_EVENT_PUBLISH_RECEIVED;
    CHECK_EQ(mock_mqtt_deliver_raw(TOPIC_SWITCHAP, &ev), 0); /* NULL topic info */
    iotx_mqtt_topic_info_t info;
    memset(&info, 0, sizeof(info));
    info.payload_len = 10; /* NULL payload */
    ev.msg = &info;
    CHECK_EQ(mock_mqtt_deliver_raw(TOPIC_SWITCHAP, &ev), 0);
    awss_online_switchap(NULL, NULL, NULL);
    CHECK_EQ(mock_log_count("switchap refused: no payload"), 4);
    mock_advance(60000);
    CHECK_EQ(mock_pub_count_topic("/thing/awss/device/switchap_reply"), 0);
    CHECK_EQ(mock_connect_count(), 0);
    CHECK_EQ(mock_reboot_count(), 0);
}

/* ---- flow C: the token provisioning wrote is the one reported ------------------------------ */

static void flow_c_provisioned_token(void)
{
    char hex[33];
    memcpy(aes_random, PHONE_TOKEN, 16);
    CHECK_EQ(awss_devinfo_notify(), 0); /* provisioning announces the device meanwhile */
    CHECK_EQ(awss_report_cloud(), 0);
    /* as the C module's awss_cmp_online_init and awss_start_bind: the switch-AP request and
     * the registrar's topics subscribed, the registrar initialised once */
    CHECK(mock_sub_active(TOPIC_SWITCHAP));
    CHECK(mock_sub_active("/sys/" PK "/" DN "/thing/awss/enrollee/checkin"));
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_INIT), 1);
    CHECK_EQ(mock_pv_count(MOCK_PV_DISP_STATIS), 2);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(awss_start_bind(), 0);
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_INIT), 1);
    fx_check_report(0, "0", hex);
    CHECK_STR(hex, PHONE_HEX);
    CHECK(memcmp(aes_random, PHONE_TOKEN, 16) == 0);
    mock_advance(300);
    CHECK_EQ(fx_match_reply("0"), 0);
    /* the bind notify broadcasts the same token */
    int found = 0;
    for (int i = 0; i < mock_mcast_count(); i++) {
        mock_mcast_t m = mock_mcast_get(i);
        if (strcmp(m.uri, URI_NOTIFY) == 0) {
            CHECK(memmem(m.payload, (size_t)m.len, PHONE_HEX, 32) != NULL);
            found = 1;
        }
    }
    CHECK(found);
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK(!mock_sub_active(TOPIC_SWITCHAP));
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_DEINIT), 1);
    CHECK_EQ(mock_pv_count(MOCK_PV_CLEAR_STATIS), 1);

    /* dev_bind_set_token */
    uint8_t other[16];
    for (int i = 0; i < 16; i++) {
        other[i] = (uint8_t)(0xA0 + i);
    }
    CHECK_EQ(dev_bind_set_token(other), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(mock_pv_count(MOCK_PV_REGISTRAR_INIT), 2); /* again after the deinit */
    int last = fx_reports() - 1;
    char id[16];
    CHECK_EQ(fx_report_id(last, id), 0);
    fx_check_report(last, id, hex);
    CHECK_STR(hex, "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
}

/* ---- the runner --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(void);
} CASES[] = {
    {"pv_hmac_rfc2202", hmac_rfc2202},
    {"pv_sign_src", sign_src},
    {"pv_dict_crypt", dict_crypt},
    {"pv_suc_notify_round", suc_notify_round},
    {"pv_suc_notify_ack", suc_notify_ack},
    {"pv_devinfo_notify_round", devinfo_notify_round},
    {"pv_signed_query", signed_query},
    {"pv_connectap_window", connectap_window},
    {"pv_online_and_local_stages", online_and_local_stages},
    {"pv_switchap_flow", switchap_flow},
    {"pv_switchap_connect_fails", switchap_connect_fails},
    {"pv_switchap_already_on", switchap_already_on},
    {"pv_switchap_deinit_cancels", switchap_deinit_cancels},
    {"pv_switchap_other_events", switchap_other_events},
    {"pv_flow_c_provisioned_token", flow_c_provisioned_token},
};
#define N_CASES (sizeof(CASES) / sizeof(CASES[0]))

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < N_CASES; i++) {
            printf("%s\n", CASES[i].name);
        }
        for (size_t i = 0; i < N_REFUSALS; i++) {
            printf("pv_refuse_%s\n", REFUSALS[i].name);
        }
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s <case> | --list\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < N_CASES; i++) {
        if (strcmp(argv[1], CASES[i].name) == 0) {
            fx_setup();
            setup_provision();
            CASES[i].fn();
            fx_teardown();
            printf("PASS %s\n", CASES[i].name);
            return 0;
        }
    }
    for (size_t i = 0; i < N_REFUSALS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "pv_refuse_%s", REFUSALS[i].name);
        if (strcmp(argv[1], name) == 0) {
            fx_setup();
            switchap_refusal(i);
            fx_teardown();
            printf("PASS %s\n", name);
            return 0;
        }
    }
    fprintf(stderr, "unknown test case '%s'\n", argv[1]);
    return 2;
}
