/*
 * Flow tests of libiot_dev_bind.a against the mock SDK, on virtual time. Each test case runs in
 * its own process: `test_bind <case>`. Payloads are checked byte for byte (SPEC section 5); the
 * handlers are called exactly as the SDK's MQTT client and CoAP server call them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static int g_status_events[16];
static int g_status_count;

static int status_cb(int ev)
{
    if (g_status_count < 16) {
        g_status_events[g_status_count] = ev;
    }
    g_status_count++;
    return 0;
}

/* Reports a token and has the cloud acknowledge it after ack_delay ms; returns the token. */
static void start_acked(uint64_t ack_delay, char hex[33])
{
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(-1, "0", hex);
    mock_advance(ack_delay);
    CHECK_EQ(fx_match_reply("0"), 0);
}

/* ---- flow A ------------------------------------------------------------------------------ */

static void flow_a_report(void)
{
    char hex[33], exp[512];
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_token_timeout(), 1);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
    CHECK_EQ(fx_reports(), 1);
    fx_check_report(0, "0", hex);
    mock_pub_t p;
    CHECK(mock_pub_find(TOPIC_MATCH, 0, &p) >= 0);
    CHECK_EQ(p.time, t0);
    CHECK_EQ(p.len, 117); /* exactly the JSON text: no padding, no NUL */
    /* CoAP query resources registered */
    CHECK(mock_coap_has_resource(URI_MCAST));
    CHECK(mock_coap_has_resource(URI_UCAST));
    /* bind statistics: one report so far, no success */
    CHECK_EQ(mock_pub_count_topic(TOPIC_STATS), 1);
    CHECK(mock_pub_find(TOPIC_STATS, 0, &p) >= 0);
    CHECK_EQ(p.qos, 0);
    snprintf(exp, sizeof(exp),
             "{\"id\":1,\"version\":\"1.0\",\"method\":\"things.log.post\",\"params\":{\"template\":"
             "\"timestamp logLevel module traceContext logContent\",\"contents\":[\"%llu BIND_TRACE "
             "dev_bind 1 [SyncToken max:0 min:0 mean:0 cnt:1 suc:0]\"]}}",
             (unsigned long long)t0);
    CHECK_BYTES(p.payload, p.len, exp);
    CHECK(mock_log_contains("report token:{\"id\":\"0\""));
    CHECK(mock_log_contains("report token res:"));
    CHECK_EQ(awss_report_token_cnt, 1);
    CHECK_EQ(awss_report_token_suc, 0);
    CHECK_EQ(awss_token_remain_time(), 0);
    /* a second call while a session runs starts nothing new */
    int pubs = mock_pub_count(), subs = mock_sub_count();
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(mock_pub_count(), pubs);
    CHECK_EQ(mock_sub_count(), subs);
    /* nothing broadcast before the cloud acknowledges */
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), 0);
    CHECK_EQ(mock_event_count(), 0);
}

static void flow_a_notify(void)
{
    char hex[33], exp[600];
    mock_set_status_callback(status_cb);
    uint64_t t0 = mock_now();
    start_acked(200, hex);
    uint64_t t1 = mock_now();
    CHECK(mock_log_contains("awss_report_token_reply"));
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK_EQ(awss_token_remain_time(), LIFETIME_MS - 200);
    CHECK_EQ(awss_token_timeout(), 0);
    /* first broadcast at once */
    CHECK_EQ(mock_mcast_count(), 1);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_AWSS_BIND_NOTIFY), 1);
    CHECK_EQ(g_status_count, 1);
    CHECK_EQ(g_status_events[0], MOCK_IOTX_AWSS_BIND_NOTIFY);
    uint64_t t = t1;
    for (unsigned k = 0; k < 30; k++) {
        if (k > 0) {
            /* the gap after the k-th broadcast is k * 100 ms */
            mock_advance((uint64_t)k * 100 - 1);
            CHECK_EQ(mock_mcast_count(), (int)k);
            mock_advance(1);
            t += (uint64_t)k * 100;
        }
        CHECK_EQ(mock_mcast_count(), (int)k + 1);
        mock_mcast_t m = mock_mcast_get((int)k);
        CHECK_EQ(m.time, t);
        CHECK_STR(m.addr, fx_notify_dest(k));
        CHECK_EQ(m.port, 5683);
        CHECK_STR(m.uri, URI_NOTIFY);
        fx_expected_notify(exp, sizeof(exp), k + 1, hex, (long)(LIFETIME_MS - (t - t0)));
        CHECK_BYTES(m.payload, m.len, exp);
    }
    CHECK_EQ(t - t1, 43500);
    CHECK(mock_log_contains("topic:/sys/device/info/notify"));
    CHECK(mock_log_contains("payload:{\"id\":\"30\",\"version\":\"1.0\",\"method\":\"device.info.notify\""));
    /* the round ends after 30: nothing more, ever (the C module's timer polled forever) */
    int pubs = mock_pub_count();
    mock_advance(600000);
    CHECK_EQ(mock_mcast_count(), 30);
    CHECK_EQ(mock_pub_count(), pubs);
    CHECK_EQ(mock_timer_armed(), 0);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_AWSS_BIND_NOTIFY), 1);
    CHECK_EQ(g_status_count, 1);
    /* the round's end cancelled its last CoAP message */
    CHECK(mock_cancel_count() >= 1);
    CHECK_EQ(mock_cancel_get(-1), mock_mcast_get(29).msgid);
    CHECK_EQ(awss_token_timeout(), 1);
    CHECK_EQ(awss_token_remain_time(), 0);
}

static void flow_a_phone_ack(void)
{
    char hex[33], hex2[33];
    start_acked(100, hex);
    mock_advance(100);
    mock_advance(200);
    CHECK_EQ(mock_mcast_count(), 3);
    int reports = fx_reports();
    const char *ack = "{\"id\":2,\"code\":200}";
    /* ignored: transport failure, error code byte, code 500, unknown id, not JSON */
    CHECK_EQ(mock_coap_ack_notify(1, -1, 0x45, NULL, 0), 0);
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x84, ack, (int)strlen(ack)), 0);
    const char *c500 = "{\"id\":2,\"code\":500}";
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, c500, (int)strlen(c500)), 0);
    const char *unknown = "{\"id\":77,\"code\":200}";
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, unknown, (int)strlen(unknown)), 0);
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, "{\"id\":2,", 8), 0);
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, NULL, 0), 0);
    CHECK_EQ(fx_reports(), reports);
    mock_advance(300);
    CHECK_EQ(mock_mcast_count(), 4);
    /* a phone took the token: the round stops and a new token is reported at once */
    int cancels = mock_cancel_count();
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, ack, (int)strlen(ack)), 0);
    CHECK_EQ(fx_reports(), reports + 1);
    char id[16];
    fx_report_id(-1, id);
    CHECK_STR(id, "1");
    fx_check_report(-1, "1", hex2);
    CHECK(strcmp(hex, hex2) != 0);
    CHECK(mock_log_contains("update token"));
    CHECK(mock_cancel_count() > cancels);
    CHECK_EQ(mock_cancel_get(-1), mock_mcast_get(3).msgid);
    mock_advance(100000);
    CHECK_EQ(mock_mcast_count(), 4);
    /* a second ack of the old round changes nothing */
    CHECK_EQ(mock_coap_ack_notify(1, 0, 0x45, ack, (int)strlen(ack)), 0);
    CHECK_EQ(fx_reports(), reports + 2); /* the unacked second token was re-reported once */
}

static void flow_a_legacy_ack_id(void)
{
    char hex[33];
    start_acked(50, hex);
    int reports = fx_reports();
    const char *ack = "{\"id\":123,\"code\":200}";
    CHECK_EQ(mock_coap_ack_notify(0, 0, 0x45, ack, (int)strlen(ack)), 0);
    CHECK_EQ(fx_reports(), reports + 1);
}

static void flow_a_retry(void)
{
    char hex[33], hex2[33];
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    mock_advance(29999);
    CHECK_EQ(fx_reports(), 1);
    mock_advance(1);
    CHECK_EQ(fx_reports(), 2);
    fx_check_report(1, "1", hex2);
    CHECK_STR(hex2, hex);
    mock_pub_t p;
    mock_pub_find(TOPIC_MATCH, 1, &p);
    CHECK_EQ(p.time, t0 + 30000);
    CHECK_EQ(awss_report_token_cnt, 2);
    mock_advance(29999);
    CHECK(!mock_log_contains("times fail"));
    mock_advance(1);
    CHECK(mock_log_contains("try 2 times fail"));
    mock_advance(600000);
    CHECK_EQ(fx_reports(), 2);
    CHECK_EQ(mock_mcast_count(), 0);
    /* awss_report_token() restarts the attempts with the same token */
    CHECK_EQ(awss_report_token(), 0);
    CHECK_EQ(fx_reports(), 3);
    fx_check_report(2, "2", hex2);
    CHECK_STR(hex2, hex);
}

static void flow_a_reply_matching(void)
{
    char hex[33];
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    mock_advance(30000);
    CHECK_EQ(fx_reports(), 2);
    const char *bad[] = {
        "{\"id\":\"0\",\"code\":500,\"data\":{}}", /* code not 200 */
        "{\"id\":\"0\",\"data\":{}}",              /* no code */
        "{\"id\":\"7\",\"code\":200,\"data\":{}}", /* an id never sent */
        "{\"id\":\"-1\",\"code\":200}",
        "{\"code\":200}",                          /* no id */
        "[\"id\",\"0\",\"code\",200]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int lines = mock_log_total();
        CHECK_EQ(mock_mqtt_deliver(TOPIC_MATCH_REPLY, bad[i], (int)strlen(bad[i])), 0);
        CHECK_MSG(mock_log_total() > lines, "no log line for %s", bad[i]);
        CHECK_EQ(awss_report_token_suc, 0);
    }
    /* the whole line of a refused reply: the level's prefix, then its bytes with the
     * unprintable ones and the backslash escaped */
    const char raw[] = "\x01{\\\x7f";
    CHECK_EQ(mock_mqtt_deliver(TOPIC_MATCH_REPLY, raw, 4), 0);
    CHECK(mock_log_contains("[wrn] dev_bind: match_reply ignored: bad JSON: \\x01{\\x5C\\x7F"));
    CHECK_EQ(mock_mcast_count(), 0);
    CHECK(!mock_log_contains("awss_report_token_reply"));
    /* a late reply to the token's first report counts, code as a numeric string too */
    const char *ok = "{\"id\":\"0\",\"code\":\"200\",\"data\":{}}";
    CHECK_EQ(mock_mqtt_deliver(TOPIC_MATCH_REPLY, ok, (int)strlen(ok)), 0);
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK_EQ(mock_mcast_count(), 1);
    /* a duplicate changes nothing */
    CHECK_EQ(fx_match_reply("1"), 0);
    CHECK_EQ(mock_mcast_count(), 1);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_AWSS_BIND_NOTIFY), 1);
}

/* ---- flow B ------------------------------------------------------------------------------ */

static void check_answer(int index, const char *uri, const char *host, uint16_t msgid,
                         const char *id_json, const char *hex, long remain)
{
    char exp[700];
    CHECK_MSG(mock_resp_count() > index, "no answer #%d", index);
    mock_resp_t r = mock_resp_get(index);
    CHECK_STR(r.addr, host);
    CHECK_EQ(r.port, 5683);
    CHECK_STR(r.paths, uri);
    CHECK_EQ(r.req_null, 0);
    CHECK_EQ(r.req_msgid, msgid);
    CHECK_EQ(r.req_tokenlen, 4);
    uint8_t tok[4] = {(uint8_t)(msgid >> 8), (uint8_t)msgid, 0xC0, 0xDE};
    CHECK(memcmp(r.req_token, tok, 4) == 0);
    CHECK_EQ(r.req_observe, -1);
    CHECK_EQ(r.qos, 0);
    fx_expected_answer(exp, sizeof(exp), id_json, hex, remain);
    CHECK_BYTES(r.payload, r.len, exp);
}

static void flow_b_query_valid(void)
{
    char hex[33], hex2[33], hex3[33];
    start_acked(100, hex);
    mock_advance(1000);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.100", 0x1234, "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    check_answer(0, URI_MCAST, "10.0.0.100", 0x1234, "123", hex, LIFETIME_MS - 1100);
    CHECK(mock_log_contains("sending message to app: {\"id\":123,\"code\":200,\"data\":{"));
    /* then a fresh token is made and reported */
    CHECK(mock_log_contains("update token"));
    CHECK_EQ(fx_reports(), 2);
    fx_check_report(1, "1", hex2);
    CHECK(strcmp(hex, hex2) != 0);
    mock_advance(100);
    CHECK_EQ(fx_match_reply("1"), 0);
    mock_advance(400);
    /* unicast path */
    CHECK_EQ(fx_query(URI_UCAST, "10.0.0.101", 0x0042, "{\"id\":\"9\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(mock_resp_count(), 2);
    check_answer(1, URI_UCAST, "10.0.0.101", 0x0042, "9", hex2, LIFETIME_MS - 500);
    fx_check_report(2, "2", hex3);
    CHECK(strcmp(hex3, hex2) != 0 && strcmp(hex3, hex) != 0);
}

static void flow_b_query_pending(void)
{
    char hex[33], hex2[33];
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    mock_advance(50);
    /* token not acknowledged yet: the query waits; the report in flight is not repeated */
    const char *q = "{\"id\":\"321\",\"version\":\"1.0\",\"params\":{}}";
    uint8_t token[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    CHECK_EQ(mock_coap_request(URI_MCAST, "10.0.0.77", 5683, 0x2222, token, 8, 0x1234, q, (int)strlen(q)), 0);
    CHECK_EQ(mock_resp_count(), 0);
    CHECK_EQ(fx_reports(), 1);
    mock_advance(1000);
    CHECK_EQ(mock_resp_count(), 0);
    /* the ack answers it at once, from a faithful copy of the (since scribbled) request */
    CHECK_EQ(fx_match_reply("0"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    mock_resp_t r = mock_resp_get(0);
    CHECK_STR(r.addr, "10.0.0.77");
    CHECK_EQ(r.port, 5683);
    CHECK_STR(r.paths, URI_MCAST);
    CHECK_EQ(r.req_null, 0);
    CHECK_EQ(r.req_msgid, 0x2222);
    CHECK_EQ(r.req_tokenlen, 8);
    CHECK(memcmp(r.req_token, token, 8) == 0);
    CHECK_EQ(r.req_observe, 0x1234);
    char exp[700];
    fx_expected_answer(exp, sizeof(exp), "321", hex, LIFETIME_MS - 1050);
    CHECK_BYTES(r.payload, r.len, exp);
    /* then the token rotates */
    CHECK_EQ(fx_reports(), 2);
    fx_check_report(1, "1", hex2);
    CHECK(strcmp(hex, hex2) != 0);
}

static void flow_b_query_expired(void)
{
    char hex[33], hex2[33];
    start_acked(100, hex);
    mock_advance(LIFETIME_MS + 1000); /* token expired; the notify round is over */
    int mc = mock_mcast_count();
    CHECK_EQ(fx_query(URI_UCAST, "10.0.0.88", 7, "{\"id\":\"5\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(mock_resp_count(), 0);
    /* expired: a fresh token is reported at once, the answer waits for its ack */
    CHECK_EQ(fx_reports(), 2);
    fx_check_report(1, "1", hex2);
    CHECK(strcmp(hex, hex2) != 0);
    /* a retransmission of the same request makes no second entry and no second report */
    CHECK_EQ(fx_query(URI_UCAST, "10.0.0.88", 7, "{\"id\":\"5\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(fx_reports(), 2);
    mock_advance(250);
    CHECK_EQ(fx_match_reply("1"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    check_answer(0, URI_UCAST, "10.0.0.88", 7, "5", hex2, LIFETIME_MS - 250);
    CHECK_EQ(fx_reports(), 3);
    mock_advance(100);
    CHECK_EQ(fx_match_reply("2"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    (void)mc;
}

static void flow_b_silent_cloud(void)
{
    /* the cloud never answers: the query is dropped when reports give up, and a later query
     * still works (the C module blocked every later query forever) */
    char hex[33], hexn[33];
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.66", 1, "{\"id\":\"1\",\"version\":\"1.0\",\"params\":{}}"), 0);
    mock_advance(60000);
    CHECK(mock_log_contains("try 2 times fail"));
    CHECK_EQ(fx_reports(), 2);
    mock_advance(600000);
    CHECK_EQ(fx_reports(), 2);
    CHECK_EQ(mock_resp_count(), 0);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.67", 2, "{\"id\":\"2\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(fx_reports(), 3);
    fx_check_report(2, "2", hexn);
    mock_advance(10);
    CHECK_EQ(fx_match_reply("2"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    check_answer(0, URI_MCAST, "10.0.0.67", 2, "2", hexn, LIFETIME_MS - 10);
}

static void flow_b_slow_cloud(void)
{
    /* the cloud acknowledges later than a token lives (1 s): every ack finds the token
     * expired, so the waiting phone cannot be answered and the token rotates; the phone waits
     * no longer than CoAP's exchange lifetime (247 s), then the acks rotate nothing */
    dev_bind_config_t cfg = {30000, 2, 1000, 30, 100, 3000};
    CHECK_EQ(dev_bind_set_config(&cfg), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(fx_match_reply("0"), 0);
    awss_dev_bind_notify_stop();
    mock_advance(1000);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.66", 1, "{\"id\":\"1\",\"version\":\"1.0\",\"params\":{}}"), 0);
    int reports = fx_reports();
    CHECK(reports >= 2);
    for (int waited = 0; waited < 250000; waited += 2000) {
        char id[16];
        mock_advance(2000);
        CHECK_EQ(fx_report_id(fx_reports() - 1, id), 0);
        CHECK_EQ(fx_match_reply(id), 0);
    }
    CHECK_EQ(mock_resp_count(), 0);
    CHECK(mock_log_contains("query dropped: no acked token in time"));
    CHECK(fx_reports() - reports >= 100);
    CHECK(fx_reports() - reports <= 126);
    int after = fx_reports();
    char id[16];
    mock_advance(2000);
    CHECK_EQ(fx_report_id(fx_reports() - 1, id), 0);
    CHECK_EQ(fx_match_reply(id), 0);
    CHECK_EQ(fx_reports(), after);
}

static void flow_b_id_echo(void)
{
    static const struct {
        const char *payload;
        const char *id_json; /* NULL: no answer */
    } cases[] = {
        {"{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}", "123"},
        {"{\"id\":\"abc\",\"version\":\"1.0\",\"params\":{}}", "\"abc\""},
        {"{\"id\":\"a\\\"b\\\\c\",\"params\":{}}", "\"a\\\"b\\\\c\""},
        {"{\"id\":\"\",\"params\":{}}", "\"\""},
        {"{\"id\":42,\"params\":{}}", "42"},
        {"{\"id\":-1.5e3,\"params\":{}}", "-1.5e3"},
        {"{\"id\":{\"a\":[1,2]},\"params\":{}}", "{\"a\":[1,2]}"},
        {"{\"id\":[1,\"x\"],\"params\":{}}", "[1,\"x\"]"},
        {"{\"id\":true}", "true"},
        {"{\"id\":null}", "null"},
        {"{\"version\":\"1.0\",\"params\":{}}", "null"},
        {"{}", "null"},
        {" { \"id\" : \"77\" , \"params\" : { } } ", "77"},
        {"{\"id\":\"12345678901234567890123456789012\"}", "12345678901234567890123456789012"},
        {"{\"id\":\"123456789012345678901234567890123\"}", NULL}, /* 33 bytes */
        {"{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", NULL},
        {"[1,2,3]", NULL},
        {"\"id\"", NULL},
        {"not json at all", NULL},
        {"{\"id\":\"1\"", NULL},
        {"{\"id\":\"1\",}", NULL},
    };
    char hex[33];
    mock_cloud_auto_ack(1, 20);
    CHECK_EQ(awss_report_cloud(), 0);
    mock_advance(20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int answers = mock_resp_count(), reports = fx_reports(), lines = mock_log_total();
        uint16_t msgid = (uint16_t)(100 + i);
        fx_report_token(-1, hex); /* the current, acknowledged token */
        uint64_t asked = mock_now();
        CHECK_EQ(fx_query(i % 2 ? URI_UCAST : URI_MCAST, "10.0.0.50", msgid, cases[i].payload), 0);
        mock_advance(20); /* the rotated token is acknowledged */
        if (cases[i].id_json == NULL) {
            CHECK_MSG(mock_resp_count() == answers, "case %zu (%s) was answered", i, cases[i].payload);
            CHECK_MSG(fx_reports() == reports, "case %zu (%s) made a report", i, cases[i].payload);
            CHECK_MSG(mock_log_total() > lines, "case %zu (%s) logged nothing", i, cases[i].payload);
            continue;
        }
        CHECK_MSG(mock_resp_count() == answers + 1, "case %zu (%s) not answered", i, cases[i].payload);
        check_answer(answers, i % 2 ? URI_UCAST : URI_MCAST, "10.0.0.50", msgid, cases[i].id_json,
                     hex, fx_remain(hex, asked));
    }
    mock_cloud_auto_ack(0, 0);
}

static void flow_b_four_phones(void)
{
    char tokens[5][33];
    const char *hosts[4] = {"10.0.0.101", "10.0.0.102", "10.0.0.103", "10.0.0.104"};
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", tokens[0]);
    for (int i = 0; i < 4; i++) {
        char q[64];
        snprintf(q, sizeof(q), "{\"id\":\"%d\",\"version\":\"1.0\",\"params\":{}}", 500 + i);
        CHECK_EQ(fx_query(i % 2 ? URI_UCAST : URI_MCAST, hosts[i], (uint16_t)(500 + i), q), 0);
        if (i == 1) { /* a retransmission makes no second entry */
            CHECK_EQ(fx_query(URI_UCAST, hosts[i], (uint16_t)(500 + i), q), 0);
        }
    }
    CHECK_EQ(mock_resp_count(), 0);
    CHECK_EQ(fx_reports(), 1); /* one report in flight, whatever the number of phones */
    for (int i = 0; i < 4; i++) {
        char id[16];
        mock_advance(100);
        fx_report_id(-1, id);
        CHECK_EQ(fx_match_reply(id), 0);
        CHECK_EQ(mock_resp_count(), i + 1);
        char idj[8];
        snprintf(idj, sizeof(idj), "%d", 500 + i);
        check_answer(i, i % 2 ? URI_UCAST : URI_MCAST, hosts[i], (uint16_t)(500 + i), idj,
                     tokens[i], LIFETIME_MS - 100);
        CHECK_EQ(fx_reports(), i + 2);
        snprintf(idj, sizeof(idj), "%d", i + 1);
        fx_check_report(i + 1, idj, tokens[i + 1]);
    }
    for (int a = 0; a < 5; a++) {
        for (int b = a + 1; b < 5; b++) {
            CHECK_MSG(strcmp(tokens[a], tokens[b]) != 0, "tokens %d and %d are equal", a, b);
        }
    }
    mock_advance(100);
    CHECK_EQ(fx_match_reply("4"), 0);
    CHECK_EQ(mock_resp_count(), 4);
}

static void flow_b_queue_full(void)
{
    CHECK_EQ(awss_report_cloud(), 0);
    for (int i = 0; i < 6; i++) {
        char host[20];
        snprintf(host, sizeof(host), "10.0.0.%d", 110 + i);
        CHECK_EQ(fx_query(URI_MCAST, host, (uint16_t)(600 + i), "{\"id\":\"1\"}"), 0);
    }
    CHECK_EQ(fx_reports(), 1);
    for (int i = 0; i < 8; i++) {
        char id[16];
        mock_advance(10);
        fx_report_id(-1, id);
        fx_match_reply(id);
    }
    /* at least 4 phones waiting are served (DEV_BIND_MAX_PENDING_QUERIES, default 4) */
    CHECK(mock_resp_count() >= 4);
    CHECK(mock_resp_count() <= 6);
    for (int i = 0; i < mock_resp_count(); i++) {
        for (int j = i + 1; j < mock_resp_count(); j++) {
            mock_resp_t a = mock_resp_get(i), b = mock_resp_get(j);
            CHECK(strcmp(a.addr, b.addr) != 0);
            CHECK(a.len != b.len || memcmp(a.payload, b.payload, (size_t)a.len) != 0);
        }
    }
}

/* ---- flow C ------------------------------------------------------------------------------ */

static const uint8_t PHONE_TOKEN[16] = {0x47, 0x86, 0xF0, 0xF6, 0xE1, 0xCC, 0x7B, 0xF8,
                                        0x60, 0x17, 0xFD, 0x4D, 0x14, 0x29, 0xEE, 0x4F};
#define PHONE_HEX "4786F0F6E1CC7BF86017FD4D1429EE4F"

static void flow_c_aes_random(void)
{
    char hex[33];
    memcpy(aes_random, PHONE_TOKEN, 16);
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    CHECK_STR(hex, PHONE_HEX);
    mock_advance(300);
    CHECK_EQ(fx_match_reply("0"), 0);
    char exp[600];
    fx_expected_notify(exp, sizeof(exp), 1, PHONE_HEX, LIFETIME_MS - 300);
    mock_mcast_t m = mock_mcast_get(0);
    CHECK_BYTES(m.payload, m.len, exp);
}

static void flow_c_set_token(void)
{
    char hex[33];
    static const uint8_t zero[16];
    CHECK_EQ(dev_bind_set_token(NULL), -1);
    CHECK_EQ(dev_bind_set_token(zero), -1);
    CHECK_EQ(dev_bind_set_token(PHONE_TOKEN), 0);
    CHECK_EQ(fx_reports(), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    CHECK_STR(hex, PHONE_HEX);
    /* while binding runs: reported now */
    uint8_t other[16];
    for (int i = 0; i < 16; i++) {
        other[i] = (uint8_t)(0xA0 + i);
    }
    CHECK_EQ(dev_bind_set_token(other), 0);
    CHECK_EQ(fx_reports(), 2);
    fx_check_report(1, "1", hex);
    CHECK_STR(hex, "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
}

/* ---- reset --------------------------------------------------------------------------------- */

static void check_reset_publish(int nth, const char *id, uint64_t when)
{
    mock_pub_t p;
    char exp[128];
    CHECK_MSG(mock_pub_find(TOPIC_RESET, nth, &p) >= 0, "no reset report #%d", nth);
    CHECK_EQ(p.qos, 0);
    CHECK_EQ(p.time, when);
    snprintf(exp, sizeof(exp), "{\"id\":\"%s\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}", id);
    CHECK_BYTES(p.payload, p.len, exp);
}

static void reset_flow(void)
{
    uint8_t one = 0x01, v = 0xFF;
    mock_set_status_callback(status_cb);
    CHECK_EQ(awss_check_reset(), 0);
    mock_kv_put("awss.rst", &one, 1);
    CHECK_EQ(awss_check_reset(), 1);
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 1);
    check_reset_publish(0, "0", t0);
    CHECK_EQ(fx_reports(), 0); /* binding waits for the reset's ack */
    /* retries at 3 s, then doubling: 6, 12, 24, 48, 60, 60 */
    static const uint64_t gaps[] = {3000, 6000, 12000, 24000, 48000, 60000, 60000};
    uint64_t t = t0;
    for (int i = 0; i < 7; i++) {
        mock_advance(gaps[i] - 1);
        CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), i + 1);
        mock_advance(1);
        t += gaps[i];
        char id[8];
        snprintf(id, sizeof(id), "%d", i + 1);
        CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), i + 2);
        check_reset_publish(i + 1, id, t);
    }
    /* a reply with an error code, or an id never sent, does not count */
    const char *bad = "{\"id\":\"3\",\"code\":500,\"data\":{}}";
    CHECK_EQ(mock_mqtt_deliver(TOPIC_RESET_REPLY, bad, (int)strlen(bad)), 0);
    CHECK_EQ(fx_reset_reply("99"), 0);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x01);
    CHECK_EQ(fx_reset_reply("3"), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x00);
    CHECK_EQ(awss_check_reset(), 0);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
    CHECK(g_status_count >= 1);
    CHECK_EQ(g_status_events[0], MOCK_IOTX_RESET);
    /* then binding starts */
    char hex[33];
    CHECK_EQ(fx_reports(), 1);
    fx_check_report(0, "0", hex);
    int resets = mock_pub_count_topic(TOPIC_RESET);
    mock_advance(600000);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), resets);
    CHECK_EQ(fx_reset_reply("3"), 0); /* nothing outstanding: ignored */
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
}

static void reset_report_api(void)
{
    uint8_t v = 0;
    CHECK_EQ(awss_check_reset(), 0);
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_reset(), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x01);
    CHECK_EQ(awss_check_reset(), 1);
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
    check_reset_publish(0, "0", t0);
    mock_advance(3000);
    check_reset_publish(1, "1", t0 + 3000);
    CHECK_EQ(fx_reset_reply("1"), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x00);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
    mock_advance(100000);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 2);
    /* stop: no more retries, the flag stays */
    CHECK_EQ(awss_report_reset(), 0);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 3);
    CHECK_EQ(awss_stop_report_reset(), 0);
    mock_advance(600000);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 3);
    CHECK_EQ(awss_check_reset(), 1);
}

/* A factory reset at boot: awss_report_reset() runs before the MQTT client can subscribe.
 * The refused reset_reply subscription is made again when MQTT connects, so the reset's
 * acknowledgement is received and binding starts. */
static void reset_before_connect(void)
{
    uint8_t v = 0;
    mock_sub_set_result(-1);
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_reset(), 0);
    CHECK(!mock_sub_active(TOPIC_RESET_REPLY));
    check_reset_publish(0, "0", t0);
    mock_sub_set_result(0);
    mock_advance(1000);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(fx_reset_reply("0"), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x00);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
    CHECK_EQ(fx_reports(), 1);
}

/* A subscription refused while connected is tried again a few seconds later. */
static void subscribe_retry(void)
{
    mock_sub_set_result(-1);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(!mock_sub_active(TOPIC_MATCH_REPLY));
    mock_sub_set_result(0);
    mock_advance(2999);
    CHECK(!mock_sub_active(TOPIC_MATCH_REPLY));
    mock_advance(1);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
}

/* ---- platform faults --------------------------------------------------------------------- */

/* A HAL_Timer_Start that fails (an RTOS timer queue full for a moment) is an error line and is
 * retried at once: the notify round carries on whole. A timer that stays broken is armed again
 * by the next entry of any kind, also a read-only one. */
static void timer_start_fails(void)
{
    char hex[33];
    dev_bind_config_t cfg;
    dev_bind_get_config(&cfg);
    cfg.token_lifetime_ms = 600000; /* the second round runs on the first token */
    CHECK_EQ(dev_bind_set_config(&cfg), 0);
    start_acked(100, hex);
    CHECK(mock_mcast_count() >= 1);
    /* the arm after the next broadcast fails three times, the fourth try starts it */
    mock_fail(MOCK_IMP_TIMER_START, mock_import_calls(MOCK_IMP_TIMER_START) + 1, 3);
    mock_advance(200);
    CHECK_EQ(mock_import_failed(MOCK_IMP_TIMER_START), 3);
    CHECK(!mock_log_contains("HAL_Timer_Start failed"));
    mock_advance(60000);
    CHECK_EQ(mock_mcast_count(), 30);
    /* broken for good: the arming tries 4 times, says so, and nothing runs hot */
    mock_fail(MOCK_IMP_TIMER_START, mock_import_calls(MOCK_IMP_TIMER_START) + 1, -1);
    CHECK_EQ(awss_dev_bind_notify(), 0);
    CHECK_EQ(mock_mcast_count(), 31);
    CHECK_EQ(mock_import_failed(MOCK_IMP_TIMER_START), 3 + 4);
    CHECK(mock_log_contains("[err] dev_bind: HAL_Timer_Start failed res:-1"));
    CHECK_EQ(mock_timer_armed(), 0);
    CHECK_EQ(mock_advance(10000), 0);
    CHECK_EQ(mock_mcast_count(), 31);
    /* healed: the next entry, a read-only one, arms it again and the round goes on */
    mock_fail_none();
    CHECK(awss_token_remain_time() > 0);
    CHECK_EQ(mock_timer_armed(), 1);
    mock_advance(60000);
    CHECK_EQ(mock_mcast_count(), 60);
}

/* An entry that leaves the machine's next deadline where it was calls no timer function: the
 * timer keeps carrying it (an RTOS timer's Stop and Start are commands to its timer task). The
 * timer that fired carries nothing, so the poll it runs arms it again. */
static void timer_kept_when_deadline_unchanged(void)
{
    char hex[33];
    const unsigned char clear = 0;
    CHECK_EQ(mock_kv_put("awss.rst", &clear, 1), 0); /* read at once: no retry of the read */
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    CHECK_EQ(mock_timer_armed(), 1);
    CHECK_EQ(mock_next_deadline(), t0 + 30000);
    int starts = mock_import_calls(MOCK_IMP_TIMER_START);
    /* a reply to an id never sent, and the awss_report_cloud() of a session that runs, change
     * no deadline */
    mock_advance(1000);
    const char *stray = "{\"id\":\"7\",\"code\":200,\"data\":{}}";
    CHECK_EQ(mock_mqtt_deliver(TOPIC_MATCH_REPLY, stray, (int)strlen(stray)), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(fx_reports(), 1);
    CHECK_EQ(mock_import_calls(MOCK_IMP_TIMER_START), starts);
    CHECK_EQ(mock_timer_armed(), 1);
    CHECK_EQ(mock_next_deadline(), t0 + 30000);
    /* the retry is due: the timer fires, the report goes out again, the next retry is armed */
    mock_advance(29000);
    CHECK_EQ(fx_reports(), 2);
    CHECK_EQ(mock_import_calls(MOCK_IMP_TIMER_START), starts + 1);
    CHECK_EQ(mock_timer_armed(), 1);
    CHECK_EQ(mock_next_deadline(), t0 + 60000);
    /* a deadline that changes is armed again at once: the acknowledgement starts the round */
    CHECK_EQ(fx_match_reply("1"), 0);
    CHECK_EQ(mock_import_calls(MOCK_IMP_TIMER_START), starts + 2);
    CHECK(mock_next_deadline() < t0 + 60000);
}

/* The CoAP server cannot start (CoAPServer_init NULL) or take its resources at bind start: an
 * error line, and it is started again with the reset report's backoff (3 s, 6 s, ...) until
 * it is up, without waiting for another awss_report_cloud(); then phones are answered. */
static void server_start_fails(void)
{
    mock_fail(MOCK_IMP_COAP_INIT, 1, 2); /* the start and its first retry fail */
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(!mock_coap_has_resource(URI_MCAST));
    CHECK(mock_log_contains(
        "[err] dev_bind: CoAP server down, phone queries unanswered: retry in 3000 ms"));
    mock_advance(2999);
    CHECK_EQ(mock_import_calls(MOCK_IMP_COAP_INIT), 1);
    mock_advance(1);
    CHECK_EQ(mock_import_calls(MOCK_IMP_COAP_INIT), 2);
    CHECK(mock_log_contains("retry in 6000 ms"));
    CHECK(!mock_coap_has_resource(URI_MCAST));
    mock_advance(6000);
    CHECK_EQ(mock_import_calls(MOCK_IMP_COAP_INIT), 3);
    CHECK(mock_coap_has_resource(URI_MCAST));
    CHECK(mock_coap_has_resource(URI_UCAST));
    CHECK_EQ(fx_match_reply("0"), 0);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.9", 9, "{\"id\":\"9\"}"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    /* nothing more once it is up */
    mock_advance(120000);
    CHECK_EQ(mock_import_calls(MOCK_IMP_COAP_INIT), 3);

    /* a new session whose server starts but cannot register one resource: registered again
     * on the running server */
    CHECK_EQ(awss_bind_deinit(), 0);
    mock_fail(MOCK_IMP_COAP_REGISTER, mock_import_calls(MOCK_IMP_COAP_REGISTER) + 2, 1);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_coap_has_resource(URI_MCAST));
    CHECK(!mock_coap_has_resource(URI_UCAST));
    CHECK_EQ(mock_log_count("retry in 3000 ms"), 2);
    mock_advance(3000);
    CHECK(mock_coap_has_resource(URI_UCAST));
    CHECK_EQ(mock_import_calls(MOCK_IMP_COAP_INIT), 4);

    /* the cloud acks at once while the server is down: the round's first broadcast cannot go
     * out and is not counted; the round waits for the server's retry, then runs whole */
    dev_bind_config_t cfg;
    dev_bind_get_config(&cfg);
    cfg.token_lifetime_ms = 600000;
    CHECK_EQ(dev_bind_set_config(&cfg), 0);
    CHECK_EQ(awss_bind_deinit(), 0);
    mock_fail(MOCK_IMP_COAP_INIT, mock_import_calls(MOCK_IMP_COAP_INIT) + 1, 2);
    mock_cloud_auto_ack(1, 50);
    int sent = mock_mcast_count();
    CHECK_EQ(awss_report_cloud(), 0);
    mock_advance(100);
    CHECK(mock_log_contains("[wrn] dev_bind: notify waits for the CoAP server"));
    CHECK_EQ(mock_mcast_count(), sent);
    mock_advance(2900);
    CHECK_EQ(mock_mcast_count(), sent + 1);
    CHECK(mock_coap_has_resource(URI_MCAST));
    mock_advance(60000);
    CHECK_EQ(mock_mcast_count(), sent + 30);
}

/* A failed HAL_Kv_Get of the reset flag is not "no reset": an error line, binding starts, the
 * flag is read again (3 s, 6 s, ...) and a flag found set reaches the cloud. A failed
 * HAL_Kv_Set of the flag is an error line and is written again until it sticks. */
static void reset_flag_kv_faults(void)
{
    uint8_t one = 0x01, v = 0xFF;
    mock_kv_put("awss.rst", &one, 1);
    mock_fail(MOCK_IMP_KV_GET, 1, 2); /* the read at connect and its first retry fail */
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_log_contains("[inf] dev_bind: reset flag unread, kv res:-1: binding, read again"));
    CHECK_EQ(fx_reports(), 1);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 0);
    mock_advance(3000);
    CHECK_EQ(mock_import_calls(MOCK_IMP_KV_GET), 2);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 0);
    mock_advance(5999);
    CHECK_EQ(mock_import_calls(MOCK_IMP_KV_GET), 2);
    mock_advance(1);
    CHECK_EQ(mock_import_calls(MOCK_IMP_KV_GET), 3);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 1);
    CHECK(mock_sub_active(TOPIC_RESET_REPLY));
    /* the ack clears the flag; that write fails once and is made again 3 s later */
    mock_fail(MOCK_IMP_KV_SET, mock_import_calls(MOCK_IMP_KV_SET) + 1, 1);
    CHECK_EQ(fx_reset_reply("0"), 0);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
    CHECK(mock_log_contains("[err] dev_bind: kv set res:-1"));
    CHECK(mock_log_contains("[err] dev_bind: reset flag not saved: retry in 3000 ms"));
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x01);
    mock_advance(3000);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x00);
    /* a flag never written (a device never reset) reads as an error too: the reads stop after
     * 5 in all and the flag is taken as clear */
    CHECK_EQ(awss_bind_deinit(), 0);
    mock_kv_fail(1, 0);
    int reads = mock_import_calls(MOCK_IMP_KV_GET);
    CHECK_EQ(awss_report_cloud(), 0);
    mock_advance(3000 + 6000 + 12000 + 24000 - 1);
    CHECK(!mock_log_contains("taken as clear"));
    mock_advance(1);
    CHECK_EQ(mock_import_calls(MOCK_IMP_KV_GET), reads + 5);
    CHECK(mock_log_contains("[inf] dev_bind: reset flag unread, kv res:-1: taken as clear"));
    mock_advance(600000);
    CHECK_EQ(mock_import_calls(MOCK_IMP_KV_GET), reads + 5);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 1);
    mock_kv_fail(0, 0);
    /* a write of the flag that has not stuck at deinit: no timer runs after the deinit, and
     * the next awss_report_cloud() writes it and reports the reset first */
    CHECK_EQ(awss_report_reset(), 0);
    mock_kv_fail(0, 1);
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK_EQ(awss_report_reset(), 0);
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK_EQ(mock_timer_armed(), 0);
    mock_kv_fail(0, 0);
    int resets = mock_pub_count_topic(TOPIC_RESET);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(mock_kv_read("awss.rst", &v, 1), 1);
    CHECK_EQ(v, 0x01);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), resets + 1);
}

/* The broker is away: every publish fails locally. A report the cloud never saw is no
 * attempt: an error line, published again 3 s, 6 s, ... up to 30 s later until it goes out, by
 * itself (SDK 3.0.1 calls awss_report_cloud() once per boot). A token whose reports all went
 * unanswered is reported again at once by the next awss_report_cloud(). */
static void publish_outage(void)
{
    char hex[33];
    mock_fail(MOCK_IMP_MQTT_PUBLISH, 1, -1);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(fx_reports(), 0);
    CHECK(mock_log_contains("[err] dev_bind: report token res:-1"));
    CHECK(mock_log_contains("[err] dev_bind: report token not sent: retry in 3000 ms"));
    /* a phone asks meanwhile: it waits for the token's ack */
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.9", 9, "{\"id\":\"9\"}"), 0);
    CHECK_EQ(mock_resp_count(), 0);
    static const unsigned gaps[] = {3000, 6000, 12000, 24000, 30000, 30000};
    for (int i = 0; i < 6; i++) {
        int tries = mock_import_calls(MOCK_IMP_MQTT_PUBLISH);
        mock_advance(gaps[i] - 1);
        CHECK_EQ(mock_import_calls(MOCK_IMP_MQTT_PUBLISH), tries);
        mock_advance(1);
        CHECK_EQ(mock_import_calls(MOCK_IMP_MQTT_PUBLISH), tries + 1);
    }
    CHECK_EQ(awss_report_token_cnt, 0); /* none of them was an attempt */
    /* the broker is back: the next retry goes out, and the ack answers the phone */
    mock_fail_none();
    mock_advance(30000);
    CHECK_EQ(fx_reports(), 1);
    fx_check_report(0, "7", hex);
    CHECK_EQ(awss_report_token_cnt, 1);
    CHECK_EQ(fx_match_reply("7"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    /* the next token goes unanswered: 2 attempts, then the next connect reports it at once */
    mock_advance(60000);
    CHECK(mock_log_contains("try 2 times fail"));
    int reports = fx_reports();
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(fx_reports(), reports + 1);
    CHECK(mock_log_contains("token unconfirmed: report again"));
    CHECK_EQ(awss_report_token_cnt, 1);
}

/* ---- deinit ------------------------------------------------------------------------------- */

static void deinit_restart(void)
{
    char hex[33], hex2[33];
    start_acked(100, hex);
    mock_advance(1000);
    CHECK(mock_mcast_count() > 1);
    /* a phone waits on the next token */
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.9", 9, "{\"id\":\"9\"}"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.10", 10, "{\"id\":\"10\"}"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    int inits = mock_coap_init_count();
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK(!mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK(!mock_sub_active(TOPIC_RESET_REPLY));
    CHECK(!mock_coap_has_resource(URI_MCAST));
    CHECK(!mock_coap_has_resource(URI_UCAST));
    CHECK_EQ(mock_coap_server_live(), 0);
    CHECK(mock_cancel_count() >= 1);
    CHECK_EQ(awss_token_remain_time(), 0);
    /* nothing happens after deinit */
    int pubs = mock_pub_count(), mc = mock_mcast_count(), rs = mock_resp_count();
    mock_advance(600000);
    CHECK_EQ(mock_pub_count(), pubs);
    CHECK_EQ(mock_mcast_count(), mc);
    CHECK_EQ(mock_resp_count(), rs);
    CHECK_EQ(mock_coap_init_count(), inits);
    CHECK_EQ(mock_timer_armed(), 0);
    /* the handler called directly with a valid reply: no session, ignored */
    char reply[] = "{\"id\":\"1\",\"code\":200,\"data\":{}}";
    iotx_mqtt_topic_info_t ti = {0, 0, 0, 0, (uint16_t)strlen(TOPIC_MATCH_REPLY), (uint32_t)strlen(reply), TOPIC_MATCH_REPLY, reply};
    iotx_mqtt_event_msg_t ev = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, &ti};
    awss_report_token_reply(NULL, NULL, &ev);
    CHECK_EQ(mock_resp_count(), rs);
    CHECK_EQ(mock_pub_count(), pubs);
    CHECK_EQ(mock_coap_init_count(), inits);
    /* a second deinit is harmless */
    CHECK_EQ(awss_bind_deinit(), 0);
    /* and report_cloud starts afresh */
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK(mock_coap_has_resource(URI_MCAST));
    CHECK_EQ(fx_reports(), 3);
    char id[16];
    fx_report_id(-1, id);
    CHECK_STR(id, "2"); /* report ids never repeat within a boot */
    fx_check_report(-1, "2", hex2);
    CHECK(strcmp(hex, hex2) != 0);
    mock_advance(100);
    CHECK_EQ(fx_match_reply("2"), 0);
    CHECK_EQ(mock_mcast_count(), mc + 1);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_AWSS_BIND_NOTIFY), 2);
    CHECK_EQ(mock_resp_count(), rs); /* the pending query died with the first session */
}

/* ---- hostile input ------------------------------------------------------------------------ */

static void deliver_info(const char *topic, const char *payload, uint32_t len)
{
    iotx_mqtt_topic_info_t ti;
    memset(&ti, 0, sizeof(ti));
    ti.topic_len = (uint16_t)strlen(topic);
    ti.ptopic = topic;
    ti.payload = payload;
    ti.payload_len = len;
    iotx_mqtt_event_msg_t ev = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, &ti};
    CHECK_EQ(mock_mqtt_deliver_raw(topic, &ev), 0);
}

static void hostile_mqtt_one(const char *topic, void (*handler)(void *, void *, void *))
{
    int lines;
#define LOGGED(expr)                                                                       \
    do {                                                                                   \
        lines = mock_log_total();                                                          \
        expr;                                                                              \
        CHECK_MSG(mock_log_total() > lines, "no log line for %s", #expr);                 \
    } while (0)
    LOGGED(handler(NULL, NULL, NULL));
    LOGGED(CHECK_EQ(mock_mqtt_deliver_raw(topic, NULL), 0));
    iotx_mqtt_event_msg_t ev = {3, NULL};
    LOGGED(CHECK_EQ(mock_mqtt_deliver_raw(topic, &ev), 0));
    uint32_t packet_id = 5;
    iotx_mqtt_event_msg_t ev2 = {9, &packet_id};
    LOGGED(CHECK_EQ(mock_mqtt_deliver_raw(topic, &ev2), 0));
    iotx_mqtt_event_msg_t ev3 = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, NULL};
    LOGGED(CHECK_EQ(mock_mqtt_deliver_raw(topic, &ev3), 0));
    LOGGED(deliver_info(topic, NULL, 10));
    LOGGED(deliver_info(topic, NULL, 0));
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, "", 0), 0));
    static const char *garbage[] = {
        "{", "}", "{\"id\":\"0\",\"code\":20", "{\"id\":\"0\",\"code\":200", "{\"id\":\"0\",\"code\":200,\"data\":{}",
        "{\"id\":\"0\" \"code\":200}", "{\"id\":0x0,\"code\":200}", "null", "\"\\", "{\"id\":\"\\u00",
        "{\"id\":\"0\",\"code\":200}}}}}", "{\"id\":\"99999999999999999999999\",\"code\":200}",
        "{\"id\":\"4294967296\",\"code\":200}", "{\"id\":\"0\",\"code\":200.5}", "{\"id\":\"0\",\"code\":1e400}",
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, garbage[i], (int)strlen(garbage[i])), 0));
    }
    unsigned char bin[300];
    for (int i = 0; i < 300; i++) {
        bin[i] = (unsigned char)(i * 37 + 11);
    }
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, bin, 300), 0));
    /* NUL inside, non-UTF-8 bytes */
    static const char nul_inside[] = "{\"id\":\"0\0\",\"code\":200}";
    static const char not_utf8[] = "{\"id\":\"\xff\xfe\",\"code\":200}";
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, nul_inside, (int)sizeof(nul_inside) - 1), 0));
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, not_utf8, (int)sizeof(not_utf8) - 1), 0));
    /* huge and deeply nested */
    size_t n = 200000;
    char *huge = malloc(n);
    CHECK(huge != NULL);
    memset(huge, '[', n);
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, huge, (int)n), 0));
    memset(huge, ' ', n);
    huge[0] = '{';
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, huge, (int)n), 0));
    memcpy(huge, "{\"id\":\"0\",\"code\":200,\"data\":\"", 29);
    memset(huge + 29, 'x', n - 29);
    LOGGED(CHECK_EQ(mock_mqtt_deliver(topic, huge, (int)n), 0));
    free(huge);
#undef LOGGED
}

static void hostile_mqtt(void)
{
    char hex[33];
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    hostile_mqtt_one(TOPIC_MATCH_REPLY, awss_report_token_reply);
    CHECK_EQ(awss_report_token_suc, 0);
    CHECK_EQ(mock_mcast_count(), 0);
    CHECK_EQ(awss_report_reset(), 0);
    hostile_mqtt_one(TOPIC_RESET_REPLY, awss_report_reset_reply);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 0);
    /* the state is intact: proper replies still work */
    CHECK_EQ(fx_reset_reply("0"), 0);
    CHECK_EQ(mock_event_count_of(MOCK_IOTX_RESET), 1);
    CHECK_EQ(fx_match_reply("0"), 0);
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK_EQ(mock_mcast_count(), 1);
}

static void hostile_coap(void)
{
    char hex[33];
    int lines;
#define LOGGED(expr)                                                                       \
    do {                                                                                   \
        lines = mock_log_total();                                                          \
        expr;                                                                              \
        CHECK_MSG(mock_log_total() > lines, "no log line for %s", #expr);                 \
    } while (0)
    start_acked(10, hex);
    char ctx_dummy;
    NetworkAddr remote;
    memset(&remote, 0, sizeof(remote));
    strcpy((char *)remote.addr, "10.0.0.5");
    remote.port = 5683;
    CoAPMessage msg;
    memset(&msg, 0, sizeof(msg));
    unsigned char pl[] = "{\"id\":\"1\"}";
    msg.payload = pl;
    msg.payloadlen = (unsigned short)strlen((char *)pl);
    msg.header.tokenlen = 2;
    msg.header.msgid = 3;

    LOGGED(online_mcast_get_device_info(NULL, NULL, NULL, NULL));
    LOGGED(online_ucast_get_device_info(NULL, NULL, NULL, NULL));
    LOGGED(online_mcast_get_device_info(&ctx_dummy, URI_MCAST, &remote, NULL));
    LOGGED(online_mcast_get_device_info(&ctx_dummy, URI_MCAST, NULL, &msg));
    LOGGED(CHECK_EQ(mock_coap_request_raw(URI_MCAST, URI_MCAST, NULL, NULL), 0));
    LOGGED(CHECK_EQ(mock_coap_request_raw(URI_UCAST, NULL, &remote, NULL), 0));
    /* payload absent / empty / NULL with a length */
    CoAPMessage m2 = msg;
    m2.payload = NULL;
    m2.payloadlen = 0;
    LOGGED(CHECK_EQ(mock_coap_request_raw(URI_MCAST, URI_MCAST, &remote, &m2), 0));
    m2.payloadlen = 20;
    LOGGED(CHECK_EQ(mock_coap_request_raw(URI_MCAST, URI_MCAST, &remote, &m2), 0));
    m2 = msg;
    m2.payloadlen = 0;
    LOGGED(CHECK_EQ(mock_coap_request_raw(URI_MCAST, URI_MCAST, &remote, &m2), 0));
    LOGGED(CHECK_EQ(mock_coap_request(URI_MCAST, "10.0.0.5", 5683, 1, NULL, 0, -1, NULL, 0), 0));
    LOGGED(CHECK_EQ(mock_coap_request(URI_MCAST, "10.0.0.5", 5683, 2, NULL, 0, -1, "", 0), 0));
    CHECK_EQ(mock_resp_count(), 0);
    /* garbage payloads */
    static const char *garbage[] = {"{", "{\"id\":", "{\"id\":\"1", "\xff\xfe\xfd", "[]", "{\"id\":}",
                                    "{\"id\":\"1\"}}", "{\"id\":tru}"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        LOGGED(CHECK_EQ(fx_query(URI_UCAST, "10.0.0.6", (uint16_t)(20 + i), garbage[i]), 0));
    }
    size_t n = 65535;
    char *huge = malloc(n);
    CHECK(huge != NULL);
    memset(huge, '{', n);
    LOGGED(CHECK_EQ(mock_coap_request(URI_MCAST, "10.0.0.7", 5683, 40, NULL, 0, -1, huge, (int)n), 0));
    memset(huge, ' ', n);
    memcpy(huge, "{\"id\":\"", 7);
    memset(huge + 7, '7', n - 7);
    LOGGED(CHECK_EQ(mock_coap_request(URI_MCAST, "10.0.0.7", 5683, 41, NULL, 0, -1, huge, (int)n), 0));
    free(huge);
    CHECK_EQ(mock_resp_count(), 0);
    /* odd header values: the server never gives a tokenlen above its maximum, but if it did,
     * nothing may be read past the token array */
    m2 = msg;
    m2.header.tokenlen = 15;
    m2.optcount = 255;
    online_mcast_get_device_info(&ctx_dummy, URI_MCAST, &remote, &m2);
#undef LOGGED
    /* the state is intact: a proper query is answered */
    int answers = mock_resp_count();
    mock_advance(50);
    fx_report_token(-1, hex);
    char id[16];
    fx_report_id(-1, id);
    fx_match_reply(id); /* acknowledge whatever token is current */
    fx_report_token(-1, hex);
    answers = mock_resp_count();
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.8", 0x0808, "{\"id\":\"8\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(mock_resp_count(), answers + 1);
    mock_resp_t r = mock_resp_get(-1);
    CHECK_STR(r.addr, "10.0.0.8");
    CHECK_EQ(r.req_msgid, 0x0808);
    CHECK_PREFIX(r.payload, r.len, "{\"id\":8,\"code\":200,\"data\":{");
}

/* ---- config and other API ------------------------------------------------------------------ */

static void config_api(void)
{
    dev_bind_config_t c, d;
    memset(&c, 0xEE, sizeof(c));
    dev_bind_get_config(&c);
    CHECK_EQ(c.report_retry_ms, 30000);
    CHECK_EQ(c.report_attempts, 2);
    CHECK_EQ(c.token_lifetime_ms, 45000);
    CHECK_EQ(c.notify_count, 30);
    CHECK_EQ(c.notify_step_ms, 100);
    CHECK_EQ(c.reset_retry_ms, 3000);
    dev_bind_get_config(NULL); /* harmless */
    CHECK_EQ(dev_bind_set_config(NULL), -1);
    for (int field = 0; field < 6; field++) {
        d = c;
        switch (field) {
        case 0: d.report_retry_ms = 0; break;
        case 1: d.report_attempts = 0; break;
        case 2: d.token_lifetime_ms = 0; break;
        case 3: d.notify_count = 0; break;
        case 4: d.notify_step_ms = 0; break;
        default: d.reset_retry_ms = 0; break;
        }
        CHECK_EQ(dev_bind_set_config(&d), -1);
        dev_bind_get_config(&d);
        CHECK(memcmp(&d, &c, sizeof(c)) == 0);
    }
    d.report_retry_ms = 1000;
    d.report_attempts = 3;
    d.token_lifetime_ms = 5000;
    d.notify_count = 3;
    d.notify_step_ms = 50;
    d.reset_retry_ms = 500;
    CHECK_EQ(dev_bind_set_config(&d), 0);
    dev_bind_get_config(&c);
    CHECK(memcmp(&d, &c, sizeof(c)) == 0);
    /* timings follow the config */
    char hex[33];
    uint64_t t0 = mock_now();
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(0, "0", hex);
    mock_advance(1000);
    mock_advance(1000);
    CHECK_EQ(fx_reports(), 3);
    mock_pub_t p;
    mock_pub_find(TOPIC_MATCH, 2, &p);
    CHECK_EQ(p.time, t0 + 2000);
    mock_advance(999);
    CHECK(!mock_log_contains("times fail"));
    mock_advance(1);
    CHECK(mock_log_contains("try 3 times fail"));
    CHECK_EQ(fx_reports(), 3);
    /* a fresh report, acked: 3 broadcasts at +0, +50, +150, lifetime 5000 */
    CHECK_EQ(awss_report_token(), 0);
    fx_check_report(3, "3", hex);
    uint64_t tr = mock_now();
    mock_advance(10);
    CHECK_EQ(fx_match_reply("3"), 0);
    CHECK_EQ(awss_token_remain_time(), 4990);
    mock_advance(49);
    CHECK_EQ(mock_mcast_count(), 1);
    mock_advance(1);
    CHECK_EQ(mock_mcast_count(), 2);
    mock_advance(100);
    CHECK_EQ(mock_mcast_count(), 3);
    char exp[600];
    fx_expected_notify(exp, sizeof(exp), 3, hex, (long)(5000 - (mock_now() - tr)));
    mock_mcast_t m = mock_mcast_get(2);
    CHECK_BYTES(m.payload, m.len, exp);
    mock_advance(100000);
    CHECK_EQ(mock_mcast_count(), 3);
    CHECK_EQ(awss_token_timeout(), 1);
    /* reset retries from 500 ms */
    uint64_t tz = mock_now();
    CHECK_EQ(awss_report_reset(), 0);
    mock_advance(500);
    mock_advance(1000);
    CHECK_EQ(mock_pub_count_topic(TOPIC_RESET), 3);
    CHECK(mock_pub_find(TOPIC_RESET, 2, &p) >= 0);
    CHECK_EQ(p.time, tz + 1500);
    /* log level */
    dev_bind_set_log_level(3);
    CHECK_EQ(dev_bind_get_log_level(), 3);
    dev_bind_set_log_level(99);
    CHECK_EQ(dev_bind_get_log_level(), 5);
    dev_bind_set_log_level(-4);
    CHECK_EQ(dev_bind_get_log_level(), 2);
    dev_bind_set_log_level(4);
    int lines = mock_log_total();
    CHECK_EQ(awss_report_token(), 0); /* "report token:" is a debug line */
    CHECK_EQ(mock_log_count("report token:{"), mock_log_count("report token:{"));
    CHECK(mock_log_total() >= lines);
    dev_bind_set_log_level(2);
    lines = mock_log_total();
    CHECK_EQ(fx_match_reply("77"), 0); /* rejected with a warning: not printed at level 2 */
    CHECK_EQ(mock_log_total(), lines);
}

static void legacy_api(void)
{
    char hex[33], hex2[33];
    CHECK_EQ(awss_token_timeout(), 1);
    CHECK_EQ(awss_token_remain_time(), 0);
    CHECK_EQ(awss_report_token_cnt, 0);
    CHECK_EQ(awss_start_bind(), 0); /* before report_cloud: no MQTT session yet */
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(-1, "0", hex);
    int reports = fx_reports();
    CHECK_EQ(awss_update_token(), 0);
    CHECK(mock_log_contains("update token"));
    CHECK_EQ(fx_reports(), reports + 1);
    fx_report_token(-1, hex2);
    CHECK(strcmp(hex, hex2) != 0);
    char id[16];
    fx_report_id(-1, id);
    mock_advance(700);
    CHECK_EQ(fx_match_reply(id), 0);
    CHECK_EQ(awss_token_remain_time(), LIFETIME_MS - 700);
    CHECK_EQ(awss_report_token_suc, 1);
    /* stop: no retry, token forgotten */
    CHECK_EQ(awss_update_token(), 0);
    CHECK_EQ(awss_stop_report_token(), 0);
    reports = fx_reports();
    mock_advance(600000);
    CHECK_EQ(fx_reports(), reports);
    /* notify start/stop by hand */
    CHECK_EQ(awss_report_token(), 0);
    fx_report_id(-1, id);
    CHECK_EQ(fx_match_reply(id), 0);
    mock_advance(1000);
    int mc = mock_mcast_count();
    CHECK_EQ(awss_dev_bind_notify(), 0);
    CHECK_EQ(mock_mcast_count(), mc + 1);
    CHECK_EQ(awss_dev_bind_notify_stop(), 0);
    mock_advance(10000);
    CHECK_EQ(mock_mcast_count(), mc + 1);
    CHECK_EQ(awss_bind_deinit(), 0);
}

/* The connect-AP info handlers (exported for the provisioning module) answer at once, on the
 * connect-AP paths, with the device info and "type":0 but no token, and only inside the 60 s
 * window that awss_start_connectap_monitor() opens. */
#define URI_CONNECTAP_MCAST "/sys/awss/device/connectap/info/get"
#define URI_CONNECTAP_UCAST "/sys/" PK "/" DN "/awss/device/connectap/info/get"

static void connectap_info(void)
{
    static const char body[] = "{\"id\":\"77\",\"version\":\"1.0\",\"params\":{}}";
    const char *expected =
        "{\"id\":77,\"code\":200,\"data\":{\"awssVer\":{\"smartconfig\":\"2.0\",\"zconfig\":"
        "\"2.0\",\"router\":\"2.0\",\"ap\":\"2.0\",\"softap\":\"2.0\"},\"productKey\":\"" PK
        "\",\"deviceName\":\"" DN "\",\"mac\":\"" MAC_UPPER "\",\"ip\":\"" DEV_IP
        "\",\"cipherType\":3,\"type\":0}}";
    NetworkAddr remote;
    memset(&remote, 0, sizeof(remote));
    memcpy(remote.addr, "10.0.0.7", 9);
    remote.port = 5683;
    CoAPMessage req;
    memset(&req, 0, sizeof(req));
    req.header.msgid = 0x1234;
    req.header.tokenlen = 2;
    req.token[0] = 0xAB;
    req.token[1] = 0xCD;
    unsigned char *payload = malloc(sizeof(body) - 1); /* exact size: no NUL after it */
    CHECK(payload != NULL);
    memcpy(payload, body, sizeof(body) - 1);
    req.payload = payload;
    req.payloadlen = (unsigned short)(sizeof(body) - 1);

    /* Outside the window: no answer. */
    CHECK_EQ(awss_process_mcast_get_connectap_info(NULL, NULL, &remote, &req), -1);
    CHECK_EQ(mock_resp_count(), 0);

    CHECK_EQ(awss_start_connectap_monitor(), 0);
    CHECK_EQ(awss_process_mcast_get_connectap_info(NULL, NULL, &remote, &req), 0);
    CHECK_EQ(mock_resp_count(), 1);
    mock_resp_t r = mock_resp_get(0);
    CHECK_STR(r.paths, URI_CONNECTAP_MCAST);
    CHECK_BYTES(r.payload, r.len, expected);
    CHECK_STR(r.addr, "10.0.0.7");
    CHECK_EQ(r.port, 5683);
    CHECK_EQ(r.req_msgid, 0x1234);
    CHECK_EQ(r.req_tokenlen, 2);
    CHECK_EQ(r.req_token[1], 0xCD);
    CHECK_EQ(r.qos, 0);
    CHECK(mock_log_contains("sending message to app: "));

    CHECK_EQ(awss_process_ucast_get_connectap_info(NULL, NULL, &remote, &req), 0);
    CHECK_EQ(mock_resp_count(), 2);
    r = mock_resp_get(1);
    CHECK_STR(r.paths, URI_CONNECTAP_UCAST);
    CHECK_BYTES(r.payload, r.len, expected);

    /* Hostile or unsupported calls: no answer, no crash. */
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, NULL, 1, 3), -1);
    CHECK_EQ(process_get_device_info(NULL, NULL, NULL, &req, 1, 3), -1);
#ifdef DEV_BIND_WIFI_PROVISION
    /* the signed answer of the wifi-provision build (tests/c/test_provision.c checks it) */
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, &req, 1, 2), 0);
    CHECK_EQ(mock_resp_count(), 3);
    const int answered = 3;
#else
    CHECK_EQ(process_get_device_info(NULL, NULL, &remote, &req, 1, 2), -1); /* needs wifi-provision */
    CHECK_EQ(mock_resp_count(), 2);
    const int answered = 2;
#endif

    /* The window closes after 60 s, or when stopped. */
    mock_advance(60001);
    CHECK_EQ(awss_process_ucast_get_connectap_info(NULL, NULL, &remote, &req), -1);
    CHECK_EQ(awss_start_connectap_monitor(), 0);
    CHECK_EQ(awss_stop_connectap_monitor(), 0);
    CHECK_EQ(awss_process_mcast_get_connectap_info(NULL, NULL, &remote, &req), -1);
    CHECK_EQ(mock_resp_count(), answered);
    free(payload);
}

/* ---- defects found by an independent harness ------------------------------------------------ */

/* A match_reply with code 200 and the right id that arrives before its report is published (a
 * stale reply from before a reboot: ids restart at 0), here inside the subscription, must not
 * confirm the token; the report is retried and its answer confirms. */
static void stale_match_reply(void)
{
    char id[16];
    mock_sub_deliver_on_subscribe("/thing/awss/enrollee/match_reply",
                                  "{\"id\":\"0\",\"code\":200,\"data\":{}}");
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_log_contains("match_reply ignored: unknown id 0"));
    CHECK_EQ(awss_report_token_suc, 0);
    CHECK_EQ(awss_token_remain_time(), 0);
    CHECK_EQ(mock_mcast_count(), 0); /* no notify with a token the cloud never got */
    mock_advance(30000);
    CHECK_EQ(fx_reports(), 2);
    CHECK_EQ(fx_report_id(-1, id), 0);
    CHECK(strcmp(id, "1") == 0);
    CHECK_EQ(fx_match_reply("1"), 0);
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK(mock_mcast_count() >= 1);
}

/* The cloud's answer inside IOT_MQTT_Publish_Simple answers the real publish: it confirms. The
 * notify round it starts goes out from a server with both query resources registered. */
static void ack_inside_publish(void)
{
    mock_cloud_ack_inside_publish(1);
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK(awss_token_remain_time() > 0);
    CHECK(mock_mcast_count() >= 1);
    CHECK_EQ(mock_mcast_get(0).resources, 2);
    CHECK(mock_coap_has_resource(URI_MCAST));
    CHECK(mock_coap_has_resource(URI_UCAST));
    /* After a deinit, the next start registers again before serving. */
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK_EQ(mock_coap_server_live(), 0);
    int sent = mock_mcast_count();
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_mcast_count() > sent);
    CHECK_EQ(mock_mcast_get(sent).resources, 2);
}

/* awss_report_cloud(); awss_cmp_online_init(); awss_cmp_online_deinit(); must leave match_reply
 * subscribed for the session, and a second awss_report_cloud() keeps it so. Outside a session
 * the online calls subscribe and unsubscribe it. */
static void online_calls_keep_match_reply(void)
{
    char hex[33];
    CHECK_EQ(awss_report_cloud(), 0);
    fx_check_report(-1, "0", hex);
    CHECK_EQ(awss_cmp_online_init(), 0);
    CHECK_EQ(awss_cmp_online_deinit(), 0);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(fx_match_reply("0"), 0); /* heard: the token is confirmed */
    CHECK_EQ(awss_report_token_suc, 1);
    CHECK(awss_token_remain_time() > 0);
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK(!mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(awss_cmp_online_init(), 0);
    CHECK(mock_sub_active(TOPIC_MATCH_REPLY));
    CHECK_EQ(awss_cmp_online_deinit(), 0);
    CHECK(!mock_sub_active(TOPIC_MATCH_REPLY));
}

/* ---- runner --------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(void);
} CASES[] = {
    {"flow_a_report", flow_a_report},
    {"flow_a_notify", flow_a_notify},
    {"flow_a_phone_ack", flow_a_phone_ack},
    {"flow_a_legacy_ack_id", flow_a_legacy_ack_id},
    {"flow_a_retry", flow_a_retry},
    {"flow_a_reply_matching", flow_a_reply_matching},
    {"flow_b_query_valid", flow_b_query_valid},
    {"flow_b_query_pending", flow_b_query_pending},
    {"flow_b_query_expired", flow_b_query_expired},
    {"flow_b_silent_cloud", flow_b_silent_cloud},
    {"flow_b_slow_cloud", flow_b_slow_cloud},
    {"flow_b_id_echo", flow_b_id_echo},
    {"flow_b_four_phones", flow_b_four_phones},
    {"flow_b_queue_full", flow_b_queue_full},
    {"flow_c_aes_random", flow_c_aes_random},
    {"flow_c_set_token", flow_c_set_token},
    {"reset_flow", reset_flow},
    {"reset_report_api", reset_report_api},
    {"reset_before_connect", reset_before_connect},
    {"subscribe_retry", subscribe_retry},
    {"timer_start_fails", timer_start_fails},
    {"timer_kept_when_deadline_unchanged", timer_kept_when_deadline_unchanged},
    {"server_start_fails", server_start_fails},
    {"reset_flag_kv_faults", reset_flag_kv_faults},
    {"publish_outage", publish_outage},
    {"deinit_restart", deinit_restart},
    {"hostile_mqtt", hostile_mqtt},
    {"hostile_coap", hostile_coap},
    {"config_api", config_api},
    {"legacy_api", legacy_api},
    {"connectap_info", connectap_info},
    {"stale_match_reply", stale_match_reply},
    {"ack_inside_publish", ack_inside_publish},
    {"online_calls_keep_match_reply", online_calls_keep_match_reply},
};

int main(int argc, char **argv)
{
    size_t n = sizeof(CASES) / sizeof(CASES[0]);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++) {
            printf("%s\n", CASES[i].name);
        }
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s <case> | --list\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], CASES[i].name) == 0) {
            fx_setup();
            CASES[i].fn();
            fx_teardown();
            printf("PASS %s\n", CASES[i].name);
            return 0;
        }
    }
    fprintf(stderr, "unknown test case '%s'\n", argv[1]);
    return 2;
}
