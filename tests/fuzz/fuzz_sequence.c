/*
 * libFuzzer target: the input is a program of API calls, cloud and phone events and virtual
 * time advances, run against one module from a fresh start; every invariant of fz_check() is
 * checked after every step, plus the token and reset getters.
 *
 * Each step is an opcode byte (mod OP_COUNT) and one argument byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

enum {
    OP_REPORT_CLOUD,
    OP_DEINIT,
    OP_REPORT_TOKEN,
    OP_UPDATE_TOKEN,
    OP_SET_CONFIG,
    OP_SET_TOKEN,
    OP_QUERY_MCAST,
    OP_QUERY_UCAST,
    OP_MATCH_REPLY,
    OP_MATCH_REPLY_ODD,
    OP_NOTIFY_ACK,
    OP_NOTIFY_TIMEOUT,
    OP_ADVANCE,
    OP_REPORT_RESET,
    OP_RESET_REPLY,
    OP_STOP_RESET,
    OP_NOTIFY,
    OP_NOTIFY_STOP,
    OP_NOTIFY_DEV_INFO,
    OP_STOP_REPORT_TOKEN,
    OP_START_BIND,
    OP_PUBLISH_RESULT,
    OP_CLOUD_AUTO_ACK,
    OP_KV_FAIL,
    OP_GETTERS,
    OP_RESET_TO_CLOUD,
    OP_COUNT
};

static const uint64_t k_advance[16] = {0,     1,     10,    50,    99,     100,    300,    1000,
                                       3000,  9999,  10000, 30000, 44999,  45000,  60000,  300000};

static const uint64_t k_virtual_time_max = 2 * 3600 * 1000;

/* query payloads: the SPEC text with several id forms, and some hostile ones */
static const char *const k_query[8] = {
    "{\"id\":\"%u\",\"version\":\"1.0\",\"params\":{}}",
    "{\"id\":%u,\"version\":\"1.0\",\"params\":{}}",
    "{\"id\":\"a\\\"b%u\",\"params\":{}}",
    "{\"version\":\"1.0\",\"params\":{}}",
    "{\"id\":[%u,{\"x\":null}],\"params\":{}}",
    "{\"id\":\"%u0000000000000000000000000000000000\"}",
    "[%u]",
    "{\"id\":\"%u\",\"params\":{",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint32_t token_serial;
    uint32_t max_lifetime = 45000;
    int bound = 1;
    int reset_pending = 0;

    fz_begin(1);
    for (size_t i = 0; i + 1 < size; i += 2) {
        uint8_t op = data[i] % OP_COUNT;
        uint8_t a = data[i + 1];
        char id[16], buf[160];
        int n;
        switch (op) {
        case OP_REPORT_CLOUD:
            fz_note_bind_started();
            bound = 1;
            awss_report_cloud();
            break;
        case OP_DEINIT:
            awss_bind_deinit();
            fz_note_deinit();
            bound = 0;
            reset_pending = 0;
            FZ_ASSERT(mock_timer_armed() == 0, "%d timers armed after deinit", mock_timer_armed());
            break;
        case OP_REPORT_TOKEN:
            awss_report_token();
            break;
        case OP_UPDATE_TOKEN:
            awss_update_token();
            break;
        case OP_SET_CONFIG: {
            static const uint32_t ms[8] = {0, 1, 50, 100, 3000, 30000, 45000, 120000};
            dev_bind_config_t c = {ms[a & 7], (uint8_t)((a >> 3) & 3), ms[(a >> 5) & 7],
                                   (uint8_t)(((a >> 2) & 7) * 5), ms[(a >> 1) & 3] ,
                                   ms[((a >> 4) & 3) + 1]};
            int rc = dev_bind_set_config(&c);
            int zero = c.report_retry_ms == 0 || c.report_attempts == 0 ||
                       c.token_lifetime_ms == 0 || c.notify_count == 0 ||
                       c.notify_step_ms == 0 || c.reset_retry_ms == 0;
            FZ_ASSERT(rc == (zero ? -1 : 0), "dev_bind_set_config rc %d", rc);
            if (rc == 0 && c.token_lifetime_ms > max_lifetime) {
                max_lifetime = c.token_lifetime_ms;
            }
            break;
        }
        case OP_SET_TOKEN: {
            uint8_t t[16];
            memset(t, a, sizeof(t));
            token_serial++;
            memcpy(t, &token_serial, sizeof(token_serial)); /* never the same token twice */
            t[15] |= 1;
            dev_bind_set_token(t);
            break;
        }
        case OP_QUERY_MCAST:
        case OP_QUERY_UCAST: {
            /* four phones; a repeated message id from the same phone is a retransmission */
            static const char *const phones[4] = {"10.0.0.100", "10.0.0.101", "10.0.0.102",
                                                  "fe80::1"};
            uint8_t tok[2] = {a, (uint8_t)i};
            n = snprintf(buf, sizeof(buf), k_query[(a >> 2) & 7], (unsigned)a);
            const char *uri = op == OP_QUERY_MCAST ? FZ_URI_MCAST : FZ_URI_UCAST;
            if (mock_coap_request(uri, phones[a & 3], 5683, (uint16_t)(a >> 5), tok, 2,
                                  (a & 0x20) ? 0 : -1, buf, n) < 0) {
                /* not registered (bind not running): the exported handler directly */
                CoAPMessage m;
                NetworkAddr r;
                memset(&m, 0, sizeof(m));
                memset(&r, 0, sizeof(r));
                m.header.msgid = a;
                m.payload = (unsigned char *)buf;
                m.payloadlen = (unsigned short)n;
                if (op == OP_QUERY_MCAST) {
                    online_mcast_get_device_info(NULL, NULL, &r, &m);
                } else {
                    online_ucast_get_device_info(NULL, NULL, &r, &m);
                }
            }
            break;
        }
        case OP_MATCH_REPLY:
            fz_last_report_id(id);
            if (a & 1) {
                /* an older report's id */
                mock_pub_t p;
                if (mock_pub_find(FZ_TOPIC_MATCH, -(1 + (a >> 1) % 4), &p) >= 0) {
                    mock_json_str(p.payload, p.len, "id", id, sizeof(id));
                }
            }
            n = snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"code\":%s,\"data\":{}}", id,
                         (a & 2) ? "\"200\"" : "200");
            mock_mqtt_deliver(FZ_TOPIC_MATCH_REPLY, buf, n);
            break;
        case OP_MATCH_REPLY_ODD: {
            static const char *const odd[6] = {
                "{\"id\":\"%s\",\"code\":500}", "{\"id\":%s}", "{\"code\":200}",
                "{\"id\":\"%s\",\"code\":200", "{\"id\":\"-%s\",\"code\":200}",
                "{\"id\":\"%s99999999999\",\"code\":200}"};
            fz_last_report_id(id);
            n = snprintf(buf, sizeof(buf), odd[a % 6], id);
            fz_mqtt_event(FZ_TOPIC_MATCH_REPLY, awss_report_token_reply, (a >> 4) % 5, a,
                          (const unsigned char *)buf, (size_t)n);
            break;
        }
        case OP_NOTIFY_ACK: {
            int nm = mock_mcast_count();
            if (nm == 0) {
                break;
            }
            int index = nm - 1 - (a % 8) % nm;
            fz_notify_id(index, id);
            if (a & 0x80) {
                strcpy(id, "123");
            }
            n = snprintf(buf, sizeof(buf), "{\"id\":%s,\"code\":%s}", id,
                         (a & 0x40) ? "404" : "200");
            mock_coap_ack_notify(index, 0, (a & 0x20) ? 0x84 : 0x45, buf, n);
            break;
        }
        case OP_NOTIFY_TIMEOUT: {
            int nm = mock_mcast_count();
            if (nm > 0) {
                mock_coap_ack_notify(nm - 1 - a % nm, -1, 0, NULL, 0);
            }
            break;
        }
        case OP_ADVANCE:
            /* Two virtual hours outlast every timer of the protocol many times over; beyond
             * them an input only repeats itself (a publish failing every 100 ms for half a
             * day is 400,000 retries and a libFuzzer timeout). */
            if (mock_now() < k_virtual_time_max) {
                mock_advance(k_advance[a & 15] * (uint64_t)(1 + (a >> 4)));
            }
            break;
        case OP_REPORT_RESET:
            awss_report_reset();
            reset_pending = 1;
            break;
        case OP_RESET_REPLY:
            fz_last_reset_id(id);
            n = snprintf(buf, sizeof(buf), (a & 1) ? "{\"code\":200}" : "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
            fz_mqtt_event(FZ_TOPIC_RESET_REPLY, awss_report_reset_reply, 0, 0,
                          (const unsigned char *)buf, (size_t)n);
            break;
        case OP_STOP_RESET:
            awss_stop_report_reset();
            break;
        case OP_NOTIFY:
            awss_dev_bind_notify();
            break;
        case OP_NOTIFY_STOP:
            awss_dev_bind_notify_stop();
            break;
        case OP_NOTIFY_DEV_INFO:
            awss_notify_dev_info((a & 0x80) ? 2 : 1, (int)(int8_t)a);
            break;
        case OP_STOP_REPORT_TOKEN:
            awss_stop_report_token();
            break;
        case OP_START_BIND:
            fz_note_bind_started();
            bound = 1;
            awss_start_bind();
            break;
        case OP_PUBLISH_RESULT:
            mock_pub_set_result((a & 1) ? -1 : 0);
            break;
        case OP_CLOUD_AUTO_ACK:
            mock_cloud_auto_ack(a & 1, (int)(a >> 1) * 100);
            break;
        case OP_KV_FAIL:
            mock_kv_fail(a & 1, (a >> 1) & 1);
            break;
        case OP_GETTERS: {
            int remain = awss_token_remain_time();
            int to = awss_token_timeout();
            FZ_ASSERT(remain >= 0 && (uint32_t)remain <= max_lifetime, "remain %d > %u", remain,
                      max_lifetime);
            FZ_ASSERT(to == 0 || to == 1, "awss_token_timeout %d", to);
            FZ_ASSERT(!(to == 1 && remain > 0), "timed out with %d ms left", remain);
            unsigned char v = 0;
            int kv = mock_kv_read("awss.rst", &v, 1);
            int flag = awss_check_reset();
            FZ_ASSERT(flag == 0 || flag == 1, "awss_check_reset %d", flag);
            (void)kv;
            break;
        }
        case OP_RESET_TO_CLOUD:
            awss_report_reset_to_cloud();
            break;
        default:
            break;
        }
        fz_check();
    }
    (void)bound;
    (void)reset_pending;
    return 0;
}
