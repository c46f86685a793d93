#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mock_mutex_stats_t g_mx_start;

void fx_setup(void)
{
    mock_reset();
    if (getenv("MOCK_VERBOSE") == NULL) {
        mock_set_quiet(1);
    }
    dev_bind_set_log_level(5);
    mock_advance(5000); /* the device has been up for 5 s when MQTT connects */
    g_mx_start = mock_mutex_stats();
}

void fx_teardown(void)
{
    mock_mutex_stats_t mx = mock_mutex_stats();
    CHECK_EQ(mock_malloc_count(), 0);
    CHECK_EQ(mx.locks, mx.unlocks);
    CHECK_EQ(mx.max_depth_violations, 0);
    CHECK(mx.locks >= g_mx_start.locks);
}

int fx_is_hex32(const char *s)
{
    if (strlen(s) != 32) {
        return 0;
    }
    for (int i = 0; i < 32; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

int fx_reports(void)
{
    return mock_pub_count_topic(TOPIC_MATCH);
}

int fx_report_token(int nth, char hex[33])
{
    mock_pub_t p;
    hex[0] = 0;
    if (mock_pub_find(TOPIC_MATCH, nth, &p) < 0) {
        return -1;
    }
    return mock_json_str(p.payload, p.len, "token", hex, 33) == 32 ? 0 : -1;
}

int fx_report_id(int nth, char id[16])
{
    mock_pub_t p;
    id[0] = 0;
    if (mock_pub_find(TOPIC_MATCH, nth, &p) < 0) {
        return -1;
    }
    return mock_json_str(p.payload, p.len, "id", id, 16) >= 0 ? 0 : -1;
}

uint64_t fx_last_report_time(const char *hex)
{
    uint64_t t = UINT64_MAX;
    int n = fx_reports();
    for (int i = 0; i < n; i++) {
        char h[33];
        mock_pub_t p;
        mock_pub_find(TOPIC_MATCH, i, &p);
        if (mock_json_str(p.payload, p.len, "token", h, sizeof(h)) == 32 && strcmp(h, hex) == 0) {
            t = p.time;
        }
    }
    return t;
}

long fx_remain(const char *hex, uint64_t now)
{
    uint64_t t = fx_last_report_time(hex);
    CHECK_MSG(t != UINT64_MAX, "token %s was never reported", hex);
    dev_bind_config_t c;
    dev_bind_get_config(&c);
    long r = (long)c.token_lifetime_ms - (long)(now - t);
    return r > 0 ? r : 0;
}

void fx_devinfo(char *out, size_t n, const char *hex, long remain)
{
    snprintf(out, n,
             "\"awssVer\":{\"smartconfig\":\"2.0\",\"zconfig\":\"2.0\",\"router\":\"2.0\",\"ap\":"
             "\"2.0\",\"softap\":\"2.0\"},\"productKey\":\"" PK "\",\"deviceName\":\"" DN
             "\",\"mac\":\"" MAC_UPPER "\",\"ip\":\"" DEV_IP "\",\"cipherType\":3,\"token\":\"%s\","
             "\"remainTime\":%ld,\"type\":0",
             hex, remain);
}

void fx_expected_report(char *out, size_t n, const char *id, const char *hex)
{
    snprintf(out, n,
             "{\"id\":\"%s\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\","
             "\"params\":{\"token\":\"%s\"}}",
             id, hex);
}

void fx_expected_notify(char *out, size_t n, unsigned id, const char *hex, long remain)
{
    char dev[512];
    fx_devinfo(dev, sizeof(dev), hex, remain);
    snprintf(out, n, "{\"id\":\"%u\",\"version\":\"1.0\",\"method\":\"device.info.notify\",\"params\":{%s}}",
             id, dev);
}

void fx_expected_answer(char *out, size_t n, const char *id_json, const char *hex, long remain)
{
    char dev[512];
    fx_devinfo(dev, sizeof(dev), hex, remain);
    snprintf(out, n, "{\"id\":%s,\"code\":200,\"data\":{%s}}", id_json, dev);
}

void fx_check_report(int nth, const char *expect_id, char hex[33])
{
    mock_pub_t p;
    char exp[256];
    CHECK_MSG(mock_pub_find(TOPIC_MATCH, nth, &p) >= 0, "no report publish #%d", nth);
    CHECK_STR(p.topic, TOPIC_MATCH);
    CHECK_EQ(p.qos, 1);
    CHECK_EQ(mock_json_str(p.payload, p.len, "token", hex, 33), 32);
    CHECK_MSG(fx_is_hex32(hex), "token '%s' is not 32 upper-case hex digits", hex);
    fx_expected_report(exp, sizeof(exp), expect_id, hex);
    CHECK_BYTES(p.payload, p.len, exp);
}

int fx_match_reply(const char *id)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
    return mock_mqtt_deliver(TOPIC_MATCH_REPLY, buf, (int)strlen(buf));
}

int fx_reset_reply(const char *id)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
    return mock_mqtt_deliver(TOPIC_RESET_REPLY, buf, (int)strlen(buf));
}

int fx_query(const char *uri, const char *host, uint16_t msgid, const char *payload)
{
    uint8_t token[4] = {(uint8_t)(msgid >> 8), (uint8_t)msgid, 0xC0, 0xDE};
    return mock_coap_request(uri, host, 5683, msgid, token, 4, -1, payload, (int)strlen(payload));
}

int fx_query_json_id(const char *uri, const char *host, uint16_t msgid, const char *id_json)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "{\"id\":%s,\"version\":\"1.0\",\"params\":{}}", id_json);
    return fx_query(uri, host, msgid, buf);
}

const char *fx_notify_dest(unsigned k)
{
    static const char *const d[4] = {"255.255.255.255", "10.255.255.255", "10.0.255.255",
                                     "10.0.0.255"};
    return d[k % 4];
}
