/*
 * Concurrency test: several threads call the library at once, as the SDK's MQTT yield thread,
 * CoAP server thread, HAL timer thread and application threads would, for a few seconds of wall
 * time (DEV_BIND_THREAD_SECONDS, default 3). Then invariants are checked: no crash or sanitizer
 * report, each token handed to at most one phone, token reports bounded by what can cause them,
 * and a clean session works afterwards.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static atomic_int g_stop;
static atomic_long g_acks;        /* well-formed match_replies delivered to a subscriber */
static atomic_long g_notify_acks; /* phone acks delivered */
static atomic_long g_app_calls;   /* API calls that may report a token */
static atomic_long g_queries;
static atomic_long g_garbage;
static atomic_long g_advances;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *timer_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&g_stop)) {
        mock_advance((uint64_t)(rand_r(&seed) % 20) + 1);
        atomic_fetch_add(&g_advances, 1);
        usleep(100);
    }
    return NULL;
}

static void *mqtt_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&g_stop)) {
        int r = rand_r(&seed) % 10;
        if (r < 4) {
            char id[16];
            if (fx_report_id(-1 - rand_r(&seed) % 2, id) == 0 && fx_match_reply(id) == 0) {
                atomic_fetch_add(&g_acks, 1);
            }
            usleep(2000); /* the cloud answers at a bounded rate */
        } else if (r < 8) {
            char junk[64];
            int n = rand_r(&seed) % (int)sizeof(junk);
            for (int i = 0; i < n; i++) {
                junk[i] = "{}[]\":,0123456789idcoe \\"[rand_r(&seed) % 25];
            }
            mock_mqtt_deliver(TOPIC_MATCH_REPLY, junk, n);
            mock_mqtt_deliver(TOPIC_RESET_REPLY, junk, n);
            atomic_fetch_add(&g_garbage, 1);
        } else {
            iotx_mqtt_event_msg_t ev = {rand_r(&seed) % 14, NULL};
            mock_mqtt_deliver_raw(TOPIC_MATCH_REPLY, &ev);
            fx_reset_reply("0");
        }
    }
    return NULL;
}

static void *coap_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    uint16_t msgid = (uint16_t)(seed & 0xffff);
    while (!atomic_load(&g_stop)) {
        char host[20], q[64];
        snprintf(host, sizeof(host), "10.0.%u.%u", rand_r(&seed) % 4, rand_r(&seed) % 250 + 1);
        snprintf(q, sizeof(q), "{\"id\":\"%u\",\"version\":\"1.0\",\"params\":{}}", rand_r(&seed) % 1000);
        int r = rand_r(&seed) % 8;
        if (r == 0) {
            mock_coap_request(URI_UCAST, host, 5683, msgid++, NULL, 0, -1, "{\"id\":", 6);
        } else {
            fx_query(r % 2 ? URI_UCAST : URI_MCAST, host, msgid++, q);
        }
        atomic_fetch_add(&g_queries, 1);
        if (rand_r(&seed) % 4 == 0) {
            int n = mock_mcast_count();
            if (n > 0) {
                char ack[48];
                int idx = n - 1 - rand_r(&seed) % (n < 3 ? n : 3);
                snprintf(ack, sizeof(ack), "{\"id\":%d,\"code\":200}", idx + 1);
                if (mock_coap_ack_notify(idx, 0, 0x45, ack, (int)strlen(ack)) == 0) {
                    atomic_fetch_add(&g_notify_acks, 1);
                }
            }
        }
        usleep(50);
    }
    return NULL;
}

static void *app_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    uint32_t serial = 0;
    while (!atomic_load(&g_stop)) {
        int r = rand_r(&seed) % 12;
        dev_bind_config_t c;
        switch (r) {
        case 0:
            awss_bind_deinit();
            break;
        case 1:
        case 2:
            awss_report_cloud();
            atomic_fetch_add(&g_app_calls, 1);
            break;
        case 3:
            awss_report_token();
            atomic_fetch_add(&g_app_calls, 1);
            break;
        case 4:
            awss_update_token();
            atomic_fetch_add(&g_app_calls, 1);
            break;
        case 5: {
            uint8_t tok[16] = {0x5A};
            serial++;
            memcpy(tok + 12, &serial, 4);
            tok[1] = (uint8_t)(uintptr_t)arg; /* unique per thread and call */
            dev_bind_set_token(tok);
            atomic_fetch_add(&g_app_calls, 1);
            break;
        }
        case 6:
            dev_bind_get_config(&c);
            c.report_retry_ms = rand_r(&seed) % 2 ? 1000 : 30000;
            c.report_attempts = (uint8_t)(rand_r(&seed) % 3 + 1);
            c.token_lifetime_ms = rand_r(&seed) % 2 ? 5000 : 45000;
            c.notify_count = (uint8_t)(rand_r(&seed) % 30 + 1);
            c.notify_step_ms = rand_r(&seed) % 100 + 1;
            dev_bind_set_config(&c);
            c.notify_step_ms = 0;
            dev_bind_set_config(&c);
            break;
        case 7:
            awss_token_remain_time();
            awss_token_timeout();
            awss_check_reset();
            break;
        case 8:
            awss_dev_bind_notify();
            break;
        case 9:
            awss_dev_bind_notify_stop();
            break;
        default:
            online_mcast_get_device_info(NULL, NULL, NULL, NULL);
            break;
        }
        usleep(300);
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int main(void)
{
    fx_setup();
    dev_bind_set_log_level(2); /* keep the log small: thousands of rejections follow */
    double seconds = 3.0;
    const char *env = getenv("DEV_BIND_THREAD_SECONDS");
    if (env != NULL && atof(env) > 0) {
        seconds = atof(env);
    }
    CHECK_EQ(awss_report_cloud(), 0);
    pthread_t th[6];
    void *(*fns[6])(void *) = {timer_thread, mqtt_thread, coap_thread, coap_thread, app_thread,
                               app_thread};
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(pthread_create(&th[i], NULL, fns[i], (void *)(uintptr_t)(i + 1)), 0);
    }
    double t0 = wall_now();
    while (wall_now() - t0 < seconds) {
        usleep(20000);
    }
    atomic_store(&g_stop, 1);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
    }
    uint64_t vtime = mock_now();

    /* each token answered to at most one phone */
    int answers = mock_resp_count();
    char(*tokens)[33] = calloc((size_t)answers + 1, 33);
    CHECK(tokens != NULL);
    int with_token = 0;
    for (int i = 0; i < answers; i++) {
        mock_resp_t r = mock_resp_get(i);
        CHECK(r.req_null == 0);
        if (mock_json_str(r.payload, r.len, "token", tokens[with_token], 33) == 32) {
            with_token++;
        } else {
            CHECK_MSG(0, "answer %d has no token: %.*s", i, r.len, (const char *)r.payload);
        }
    }
    qsort(tokens, (size_t)with_token, 33, cmp_str);
    for (int i = 1; i < with_token; i++) {
        CHECK_MSG(strcmp(tokens[i - 1], tokens[i]) != 0, "token %s answered to two phones", tokens[i]);
    }
    free(tokens);

    /* token reports are bounded by what can cause them (attempts <= 3 per cause) */
    long reports = fx_reports();
    long causes = atomic_load(&g_acks) + atomic_load(&g_notify_acks) + atomic_load(&g_app_calls) +
                  (long)(vtime / 1000) + 1;
    printf("threads: %.1f s wall, %llu ms virtual, %ld advances, %ld queries, %d answers, %ld acks, "
           "%ld phone acks, %ld app calls, %ld garbage, %ld reports, %d publishes\n",
           seconds, (unsigned long long)vtime, atomic_load(&g_advances), atomic_load(&g_queries),
           answers, atomic_load(&g_acks), atomic_load(&g_notify_acks), atomic_load(&g_app_calls),
           atomic_load(&g_garbage), reports, mock_pub_count());
    CHECK_MSG(reports <= 3 * causes, "%ld reports for %ld causes", reports, causes);
    CHECK(atomic_load(&g_queries) > 100);

    /* a clean session works afterwards */
    CHECK_EQ(awss_bind_deinit(), 0);
    dev_bind_config_t def = {30000, 2, 45000, 30, 100, 3000};
    CHECK_EQ(dev_bind_set_config(&def), 0);
    mock_advance(1000);
    mock_clear_records();
    CHECK_EQ(mock_timer_armed(), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    char hex[33], id[16];
    CHECK_EQ(fx_reports(), 1);
    fx_report_id(0, id);
    fx_report_token(0, hex);
    CHECK(fx_is_hex32(hex));
    char exp[700];
    fx_expected_report(exp, sizeof(exp), id, hex);
    mock_pub_t p = mock_pub_get(0);
    CHECK_BYTES(p.payload, p.len, exp);
    mock_advance(100);
    CHECK_EQ(fx_match_reply(id), 0);
    CHECK_EQ(mock_mcast_count(), 1);
    CHECK_EQ(fx_query(URI_MCAST, "10.0.0.200", 77, "{\"id\":\"77\",\"version\":\"1.0\",\"params\":{}}"), 0);
    CHECK_EQ(mock_resp_count(), 1);
    mock_resp_t r = mock_resp_get(0);
    fx_expected_answer(exp, sizeof(exp), "77", hex, LIFETIME_MS - 100);
    CHECK_BYTES(r.payload, r.len, exp);
    CHECK_EQ(awss_bind_deinit(), 0);
    fx_teardown();
    printf("PASS threads\n");
    return 0;
}
