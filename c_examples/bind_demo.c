/*
 * bind_demo: the device-bind flows of the user's guide, run against libiot_dev_bind.a and the
 * mock SDK (c_examples/mock) with a scripted cloud and phones, on virtual time.
 *
 * Lines starting with "[000123]" are HAL_Printf output (the library's own log, prefixed with the
 * virtual uptime in ms); "==" lines tell the story; "  >" lines show what went on the wire.
 * Exits 0 when every expectation held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

#define PK "a1GQc8iJOWI"
#define DN "gateway_test01"
#define TOPIC_MATCH "/sys/" PK "/" DN "/thing/awss/enrollee/match"
#define TOPIC_MATCH_REPLY TOPIC_MATCH "_reply"
#define TOPIC_RESET "/sys/" PK "/" DN "/thing/reset"
#define URI_MCAST "/sys/device/info/get"
#define URI_UCAST "/sys/" PK "/" DN "/device/info/get"

static int g_checks, g_failed;
static int g_seen_pubs, g_seen_mcasts, g_seen_resps;

#define EXPECT(cond, what)                                                                 \
    do {                                                                                   \
        g_checks++;                                                                        \
        if (!(cond)) {                                                                     \
            g_failed++;                                                                    \
            printf("  !! FAILED: %s (%s, line %d)\n", what, #cond, __LINE__);             \
        } else {                                                                           \
            printf("  ok %s\n", what);                                                     \
        }                                                                                  \
    } while (0)

static void story(const char *line)
{
    printf("\n%s\n", line);
}

/* Shows what the device sent since the last call. */
static void wire(void)
{
    for (; g_seen_pubs < mock_pub_count(); g_seen_pubs++) {
        mock_pub_t p = mock_pub_get(g_seen_pubs);
        printf("  > MQTT publish qos %d %s: %.*s\n", p.qos, p.topic, p.len, (const char *)p.payload);
    }
    for (; g_seen_mcasts < mock_mcast_count(); g_seen_mcasts++) {
        mock_mcast_t m = mock_mcast_get(g_seen_mcasts);
        printf("  > CoAP notify #%d to %s:%u (%d bytes)\n", g_seen_mcasts + 1, m.addr, m.port, m.len);
    }
    for (; g_seen_resps < mock_resp_count(); g_seen_resps++) {
        mock_resp_t r = mock_resp_get(g_seen_resps);
        printf("  > CoAP 2.05 to %s:%u (msgid %u) %s: %.*s\n", r.addr, r.port, r.req_msgid, r.paths,
               r.len, (const char *)r.payload);
    }
}

static void advance(uint64_t ms)
{
    mock_advance(ms);
    wire();
}

static int last_token(char hex[33])
{
    mock_pub_t p;
    if (mock_pub_find(TOPIC_MATCH, -1, &p) < 0) {
        hex[0] = 0;
        return -1;
    }
    return mock_json_str(p.payload, p.len, "token", hex, 33) == 32 ? 0 : -1;
}

static int answer_token(int index, char hex[33])
{
    mock_resp_t r = mock_resp_get(index);
    hex[0] = 0;
    return r.len > 0 && mock_json_str(r.payload, r.len, "token", hex, 33) == 32 ? 0 : -1;
}

static void phone_query(const char *uri, const char *host, uint16_t msgid)
{
    const char *q = "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}";
    uint8_t token[4] = {0x12, 0x34, (uint8_t)(msgid >> 8), (uint8_t)msgid};
    printf("  < phone %s asks %s: %s\n", host, uri, q);
    if (mock_coap_request(uri, host, 5683, msgid, token, 4, -1, q, (int)strlen(q)) != 0) {
        printf("  !! no CoAP resource %s\n", uri);
    }
    wire();
}

int main(void)
{
    const char *v = getenv("MOCK_QUIET");
    mock_reset();
    mock_set_quiet(v != NULL && strcmp(v, "1") == 0);
    dev_bind_set_log_level(5); /* debug: the payload lines the guide greps */
    mock_advance(18000);       /* MQTT connects 18 s after boot */
    char tok_a[33], tok_b[33], hex[33];

    /* ---- flow A ---- */
    story("== flow A: device token, active notify ==");
    printf("   MQTT is up: the SDK calls awss_report_cloud(); the cloud acknowledges after 150 ms\n");
    mock_cloud_auto_ack(1, 150);
    EXPECT(awss_report_cloud() == 0, "awss_report_cloud() returns 0");
    wire();
    EXPECT(last_token(tok_a) == 0, "a 32-hex-digit token is reported on .../enrollee/match");
    advance(150);
    EXPECT(mock_mcast_count() == 1, "match_reply starts the notify round: first broadcast at once");
    EXPECT(mock_event_count_of(MOCK_IOTX_AWSS_BIND_NOTIFY) == 1, "IOTX_AWSS_BIND_NOTIFY posted");
    advance(100);
    advance(200);
    EXPECT(mock_mcast_count() == 3, "broadcasts 2 and 3 after gaps of 100 and 200 ms");
    printf("  < phone 10.0.0.100 answers broadcast #3: {\"id\":3,\"code\":200}\n");
    mock_coap_ack_notify(2, 0, 0x45, "{\"id\":3,\"code\":200}", 19);
    wire();
    EXPECT(last_token(tok_b) == 0 && strcmp(tok_a, tok_b) != 0,
           "the phone took the token: the round stops, a new token is reported");
    advance(5000);
    EXPECT(mock_mcast_count() == 3, "no broadcast after the phone's ack");

    /* ---- flow B ---- */
    story("== flow B: device token, passive query ==");
    printf("   a phone that missed the broadcast asks; the token is valid, so it is answered at once\n");
    phone_query(URI_MCAST, "10.0.0.101", 0x0101);
    EXPECT(mock_resp_count() == 1, "answered on /sys/device/info/get");
    EXPECT(answer_token(0, hex) == 0 && strcmp(hex, tok_b) == 0, "with the current token");
    printf("   a second phone asks on the unicast path before the fresh token is acknowledged\n");
    phone_query(URI_UCAST, "10.0.0.102", 0x0102);
    EXPECT(mock_resp_count() == 1, "it waits for the cloud's acknowledgement");
    advance(150);
    EXPECT(mock_resp_count() == 2, "answered the moment match_reply arrives");
    char h2[33];
    EXPECT(answer_token(1, h2) == 0 && strcmp(h2, hex) != 0, "each phone gets a different token");
    advance(1000);

    /* ---- flow C ---- */
    story("== flow C: phone token ==");
    printf("   provisioning wrote the phone's token into aes_random before MQTT connected\n");
    awss_bind_deinit();
    static const uint8_t phone[16] = {0x47, 0x86, 0xF0, 0xF6, 0xE1, 0xCC, 0x7B, 0xF8,
                                      0x60, 0x17, 0xFD, 0x4D, 0x14, 0x29, 0xEE, 0x4F};
    memcpy(aes_random, phone, 16);
    EXPECT(awss_report_cloud() == 0, "awss_report_cloud() returns 0");
    wire();
    EXPECT(last_token(hex) == 0 && strcmp(hex, "4786F0F6E1CC7BF86017FD4D1429EE4F") == 0,
           "the phone's token is the one reported");
    advance(150);
    EXPECT(awss_token_remain_time() > 0, "and the cloud acknowledged it");
    advance(60000);

    /* ---- reset ---- */
    story("== reset: a factory reset unbinds the device in the cloud ==");
    awss_bind_deinit();
    mock_cloud_auto_ack(0, 0);
    printf("   the user reset the device: awss_report_reset() persists the flag; the cloud is silent\n");
    EXPECT(awss_report_reset() == 0, "awss_report_reset() returns 0");
    wire();
    EXPECT(awss_check_reset() == 1, "KV awss.rst = 0x01");
    advance(3000);
    EXPECT(mock_pub_count_topic(TOPIC_RESET) == 2, "retried after 3 s");
    printf("   reboot: MQTT connects again, the flag is still set; now the cloud answers\n");
    mock_cloud_auto_ack(1, 200);
    EXPECT(awss_report_cloud() == 0, "awss_report_cloud() returns 0");
    wire();
    advance(200);
    EXPECT(awss_check_reset() == 0, "reset_reply clears the flag");
    EXPECT(mock_event_count_of(MOCK_IOTX_RESET) == 1, "IOTX_RESET posted");
    advance(200);
    EXPECT(awss_token_remain_time() > 0, "then binding starts and its token is acknowledged");

    /* ---- deinit / re-init ---- */
    story("== deinit and re-init ==");
    awss_bind_deinit();
    int pubs = mock_pub_count(), mcasts = mock_mcast_count();
    advance(600000);
    EXPECT(mock_pub_count() == pubs && mock_mcast_count() == mcasts,
           "ten minutes after awss_bind_deinit(): nothing sent");
    EXPECT(awss_report_cloud() == 0, "awss_report_cloud() starts afresh");
    wire();
    advance(200);
    EXPECT(mock_mcast_count() == mcasts + 1, "a new notify round");
    awss_bind_deinit();
    wire();

    EXPECT(mock_malloc_count() == 0, "no HAL_Malloc in any flow");
    printf("\nbind_demo: %d expectations, %d failed\n", g_checks, g_failed);
    return g_failed == 0 ? 0 : 1;
}
