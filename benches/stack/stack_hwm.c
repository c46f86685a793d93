/*
 * Stack high-water marks of the module's entry points, for sizing the firmware's MQTT, CoAP
 * and timer thread stacks. Built for the host (x86_64) and for the Cortex-M4 (run under qemu
 * mps2-an386 with semihosting), from this one file.
 *
 * Each entry point runs on a stack painted with a pattern first; after it returns, the lowest
 * overwritten byte gives the bytes used below the entry call. On the host the call runs on a
 * pthread whose stack (1 MiB, supplied by us) is painted whole; on the Cortex-M4 it runs on the
 * main stack, painted below the caller's frame (all but the PAINT_GAP bytes nearest to it,
 * which the painting's own frame uses). The state each call needs (a session, a waiting
 * query, ...) is made beforehand, against the mock SDK (c_examples/mock) on virtual time.
 *
 * Every import the library calls is wrapped (ld --wrap) to record how deep the library's own
 * frames are when it calls out. HAL_Printf is a no-op (the mock silenced), so the figures are:
 *   total    bytes used by the library plus the mock's MQTT/CoAP/timer/HAL functions it calls
 *            (the mock's are small: records and copies), logging excluded;
 *   lib      depth of the library's frames at its deepest call into an import: the firmware's
 *            own HAL_Printf / IOT_MQTT_Publish_Simple / CoAPServer*_send / HAL_Timer_* stack use
 *            comes on top of this figure;
 * total is an upper bound of the library's own need (most of the difference is the C library's
 * snprintf inside the mock's HAL and MQTT functions), lib a lower bound (the library may go
 * deeper between two calls out);
 * each at the default log level (info) and at debug level (more log lines built).
 */
#if defined(__linux__)
#define _GNU_SOURCE
#define HOST_THREADS 1
#include <pthread.h>
#include <sys/mman.h>
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

#define PAINT 0xA5
#if HOST_THREADS
#define STACK_SIZE (1u << 20)
#define TARGET "x86-64"
#else
/* below the caller's frame: PAINT_BYTES painted, the PAINT_GAP nearest to it left as is */
#define PAINT_BYTES (64u << 10)
#define PAINT_GAP 256u
#define TARGET "Cortex-M4"
#endif

#define PK "a1GQc8iJOWI"
#define DN "gateway_test01"
#define TOPIC_MATCH "/sys/" PK "/" DN "/thing/awss/enrollee/match"
#define TOPIC_MATCH_REPLY TOPIC_MATCH "_reply"
#define TOPIC_RESET "/sys/" PK "/" DN "/thing/reset"
#define TOPIC_RESET_REPLY TOPIC_RESET "_reply"
#define URI_MCAST "/sys/device/info/get"

/* The release archive's precompiled `core` names this symbol in unwinding tables kept alive by
 * some links; with panic = "abort" it is never called. */
#if HOST_THREADS
void rust_eh_personality(void);
void rust_eh_personality(void)
{
    abort();
}
#endif

/* ---- depth of the library at its calls into imports --------------------------------------- */
static volatile int g_measuring;
#if HOST_THREADS
static pthread_t g_thread;
#define ON_MEASURED_THREAD() pthread_equal(pthread_self(), g_thread)
#else
#define ON_MEASURED_THREAD() 1
#endif
static uintptr_t g_base;        /* stack address just above the measured call */
static uintptr_t g_import_depth; /* deepest import call seen */

__attribute__((noinline)) static void note_depth(void)
{
    if (g_measuring && ON_MEASURED_THREAD()) {
        uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
        if (g_base > sp && g_base - sp > g_import_depth) {
            g_import_depth = g_base - sp;
        }
    }
}

#define WRAP(ret, name, params, args)                                                           \
    ret __real_##name params;                                                                   \
    ret __wrap_##name params;                                                                   \
    ret __wrap_##name params                                                                    \
    {                                                                                           \
        note_depth();                                                                           \
        return __real_##name args;                                                              \
    }
#define WRAP_VOID(name, params, args)                                                           \
    void __real_##name params;                                                                  \
    void __wrap_##name params;                                                                  \
    void __wrap_##name params                                                                   \
    {                                                                                           \
        note_depth();                                                                           \
        __real_##name args;                                                                     \
    }

WRAP(int, HAL_GetProductKey, (char *b), (b))
WRAP(int, HAL_GetDeviceName, (char *b), (b))
WRAP(void *, HAL_Timer_Create, (const char *n, void (*f)(void *), void *u), (n, f, u))
WRAP(int, HAL_Timer_Start, (void *t, int ms), (t, ms))
WRAP(int, HAL_Timer_Stop, (void *t), (t))
WRAP(int, HAL_Timer_Delete, (void *t), (t))
WRAP(char *, HAL_Wifi_Get_Mac, (char *b), (b))
WRAP(uint32_t, HAL_Wifi_Get_IP, (char *b, const char *i), (b, i))
WRAP(uint32_t, HAL_Random, (uint32_t r), (r))
WRAP(void *, HAL_MutexCreate, (void), ())
WRAP_VOID(HAL_MutexLock, (void *m), (m))
WRAP_VOID(HAL_MutexUnlock, (void *m), (m))
WRAP(uint64_t, HAL_UptimeMs, (void), ())
WRAP(int, HAL_Kv_Set, (const char *k, const void *v, int l, int s), (k, v, l, s))
WRAP(int, HAL_Kv_Get, (const char *k, void *v, int *l), (k, v, l))
WRAP(int, IOT_MQTT_Subscribe,
     (void *h, const char *t, int q, void (*cb)(void *, void *, iotx_mqtt_event_msg_t *), void *c),
     (h, t, q, cb, c))
WRAP(int, IOT_MQTT_Unsubscribe, (void *h, const char *t), (h, t))
WRAP(int, IOT_MQTT_Publish_Simple, (void *h, const char *t, int q, void *d, int l), (h, t, q, d, l))
WRAP(void *, CoAPServer_init, (void), ())
WRAP_VOID(CoAPServer_deinit, (void *c), (c))
WRAP(int, CoAPServer_register, (void *c, const char *u, CoAPRecvMsgHandler cb), (c, u, cb))
WRAP(int, CoAPServerMultiCast_send,
     (void *c, NetworkAddr *r, const char *u, uint8_t *b, uint16_t l, CoAPSendCb cb, uint16_t *m),
     (c, r, u, b, l, cb, m))
WRAP(int, CoAPServerResp_send,
     (void *c, NetworkAddr *r, uint8_t *b, uint16_t l, void *q, const char *p, CoAPSendCb cb,
      uint16_t *m, char qos),
     (c, r, b, l, q, p, cb, m, qos))
WRAP(int, CoAPMessageId_cancel, (void *c, uint16_t m), (c, m))
WRAP(int, iotx_event_post, (int e), (e))
WRAP(void *, iotx_event_callback, (int e), (e))

/* the mock silenced: log lines are dropped without formatting */
void __wrap_HAL_Printf(const char *fmt, ...);
void __wrap_HAL_Printf(const char *fmt, ...)
{
    (void)fmt;
    note_depth();
}

int __wrap_HAL_Snprintf(char *str, const int len, const char *fmt, ...);
int __wrap_HAL_Snprintf(char *str, const int len, const char *fmt, ...)
{
    note_depth();
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(str, len > 0 ? (size_t)len : 0, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- fixtures ----------------------------------------------------------------------------- */
static int g_level = 4;

static void fresh(void)
{
    awss_bind_deinit();
    awss_stop_report_reset();
    mock_reset();
    mock_set_quiet(1);
    dev_bind_set_log_level(g_level);
    mock_advance(1000);
}

static void last_id(const char *topic, char out[16])
{
    mock_pub_t p;
    out[0] = 0;
    if (mock_pub_find(topic, -1, &p) >= 0) {
        mock_json_str(p.payload, p.len, "id", out, 16);
    }
}

/* an MQTT event prepared beforehand, so the measured call is the handler alone */
static char g_payload[128];
static iotx_mqtt_topic_info_t g_info;
static iotx_mqtt_event_msg_t g_event;

static void prepare_reply(const char *topic)
{
    char id[16];
    last_id(topic, id);
    int n = snprintf(g_payload, sizeof(g_payload), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
    memset(&g_info, 0, sizeof(g_info));
    g_info.payload = g_payload;
    g_info.payload_len = (uint32_t)n;
    g_info.ptopic = topic;
    g_info.topic_len = (uint16_t)strlen(topic);
    g_event.event_type = 12;
    g_event.msg = &g_info;
}

static void ack_token(void)
{
    prepare_reply(TOPIC_MATCH);
    mock_mqtt_deliver(TOPIC_MATCH_REPLY, g_payload, (int)g_info.payload_len);
}

static const char k_query[] = "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}";
static CoAPMessage g_req;
static NetworkAddr g_remote;
static unsigned char g_obs[1] = {0};
static unsigned char g_query_buf[sizeof(k_query)];

static void prepare_query(uint16_t msgid)
{
    memset(&g_req, 0, sizeof(g_req));
    memset(&g_remote, 0, sizeof(g_remote));
    memcpy(g_remote.addr, "10.0.0.100", 10);
    g_remote.port = 5683;
    g_req.header.version = 1;
    g_req.header.type = 1;
    g_req.header.tokenlen = 8;
    g_req.header.code = 2;
    g_req.header.msgid = msgid;
    memcpy(g_req.token, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    g_req.options[0].num = MOCK_COAP_OPTION_OBSERVE;
    g_req.options[0].len = 1;
    g_req.options[0].val = g_obs;
    g_req.optcount = 1;
    memcpy(g_query_buf, k_query, sizeof(k_query) - 1);
    g_req.payload = g_query_buf;
    g_req.payloadlen = (unsigned short)(sizeof(k_query) - 1);
}

static void query(uint16_t msgid)
{
    prepare_query(msgid);
    online_mcast_get_device_info(NULL, NULL, &g_remote, &g_req);
}

/* ---- scenarios ------------------------------------------------------------------------------- */
static void setup_nothing(void) { fresh(); }
static void run_nothing(void) {}

static void setup_connect(void) { fresh(); }
static void run_connect(void) { awss_report_cloud(); }

static void setup_ack(void)
{
    fresh();
    awss_report_cloud();
    prepare_reply(TOPIC_MATCH);
}
static void run_ack(void) { awss_report_token_reply(NULL, NULL, &g_event); }

static void setup_ack_answers(void)
{
    fresh();
    awss_report_cloud();
    query(1);
    query(2);
    prepare_reply(TOPIC_MATCH);
}

static void setup_query_now(void)
{
    fresh();
    awss_report_cloud();
    ack_token();
    prepare_query(3);
}
static void run_query(void) { online_mcast_get_device_info(NULL, NULL, &g_remote, &g_req); }
static void run_query_ucast(void) { online_ucast_get_device_info(NULL, NULL, &g_remote, &g_req); }

static void setup_query_expired(void)
{
    fresh();
    awss_report_cloud();
    ack_token();
    mock_advance(46000);
    prepare_query(4);
}

static void setup_notify_timer(void)
{
    fresh();
    awss_report_cloud();
    ack_token();
}
static void run_advance_100(void) { mock_advance(100); }

static void setup_retry_timer(void)
{
    fresh();
    awss_report_cloud();
    mock_advance(29999);
}
static void run_advance_1(void) { mock_advance(1); }

static char g_ack[64];
static int g_ack_len;
static void setup_notify_ack(void)
{
    char id[16] = "";
    fresh();
    awss_report_cloud();
    ack_token();
    mock_mcast_t m = mock_mcast_get(0);
    if (m.len > 0) {
        mock_json_str(m.payload, m.len, "id", id, sizeof(id));
    }
    g_ack_len = snprintf(g_ack, sizeof(g_ack), "{\"id\":%s,\"code\":200}", id);
}
static void run_notify_ack(void) { mock_coap_ack_notify(0, 0, 0x45, g_ack, g_ack_len); }

static void setup_deinit(void)
{
    fresh();
    awss_report_cloud();
    query(5);
    query(6);
    awss_report_reset();
}
static void run_deinit(void) { awss_bind_deinit(); }

static void setup_reset(void) { fresh(); }
static void run_reset(void) { awss_report_reset(); }
static void run_check_reset(void) { (void)awss_check_reset(); }

static void setup_reset_reply(void)
{
    fresh();
    awss_report_reset();
    awss_report_cloud();
    prepare_reply(TOPIC_RESET);
}
static void run_reset_reply(void) { awss_report_reset_reply(NULL, NULL, &g_event); }

static void setup_reset_outstanding(void)
{
    fresh();
    awss_report_reset();
}
static void run_stop_report_reset(void) { awss_stop_report_reset(); }

static void setup_session(void)
{
    fresh();
    awss_report_cloud();
}
static void run_report_token(void) { awss_report_token(); }
static void run_start_bind(void) { awss_start_bind(); }
static void run_online_init(void) { awss_cmp_online_init(); }
static void run_online_deinit(void) { awss_cmp_online_deinit(); }
static void run_local_init(void) { awss_cmp_local_init(0); }
static void run_local_deinit(void) { awss_cmp_local_deinit(1); }
static void run_report_statis(void) { awss_bind_report_statis("dev_bind"); }

static void run_dev_bind_notify(void) { awss_dev_bind_notify(); }
static void run_update_token(void) { awss_update_token(); }

static void setup_connectap(void)
{
    fresh();
    awss_report_cloud();
    ack_token();
    awss_start_connectap_monitor();
    prepare_query(7);
}
static void run_connectap(void)
{
    awss_process_mcast_get_connectap_info(NULL, NULL, &g_remote, &g_req);
}

/* ---- scenarios whose actions report an outcome back to the machine ------------------------ */
/* Each fails an import from the measured call on; took() then confirms that the call reached
 * the failure (a scenario that missed its path would measure another one). */
static int g_failed_before;
static mock_import_t g_failing;

static void fail_from_now(mock_import_t imp)
{
    g_failing = imp;
    g_failed_before = mock_import_failed(imp);
    mock_fail(imp, mock_import_calls(imp) + 1, -1);
}
static int took_failure(void) { return mock_import_failed(g_failing) > g_failed_before; }

/* advance to 1 ms before the next deadline: run_advance_1 then fires it */
static void to_next_deadline(void)
{
    uint64_t at = mock_next_deadline();
    if (at != UINT64_MAX && at > mock_now() + 1) {
        mock_advance(at - mock_now() - 1);
    }
}

static void setup_connect_pub_fails(void)
{
    fresh();
    fail_from_now(MOCK_IMP_MQTT_PUBLISH);
}

static void setup_retry_pub_fails(void)
{
    setup_retry_timer();
    fail_from_now(MOCK_IMP_MQTT_PUBLISH);
}

static void setup_query_expired_pub_fails(void)
{
    setup_query_expired();
    fail_from_now(MOCK_IMP_MQTT_PUBLISH);
}

static void setup_report_token_pub_fails(void)
{
    setup_session();
    fail_from_now(MOCK_IMP_MQTT_PUBLISH);
}

static void setup_connect_sub_refused(void)
{
    fresh();
    fail_from_now(MOCK_IMP_MQTT_SUBSCRIBE);
}

static void setup_resubscribe_refused(void)
{
    fresh();
    fail_from_now(MOCK_IMP_MQTT_SUBSCRIBE);
    awss_report_cloud();
    to_next_deadline();
    g_failed_before = mock_import_failed(g_failing);
}

static void setup_connect_no_server(void)
{
    fresh();
    fail_from_now(MOCK_IMP_COAP_INIT);
}

/* the server failed at connect: the ack's first broadcast finds none */
static void setup_ack_no_server(void)
{
    fresh();
    fail_from_now(MOCK_IMP_COAP_INIT);
    awss_report_cloud();
    prepare_reply(TOPIC_MATCH);
    g_failed_before = mock_import_failed(g_failing);
}

/* the server failed at connect and at the ack: its retry timer fails again */
static void setup_server_retry_fails(void)
{
    setup_ack_no_server();
    awss_report_token_reply(NULL, NULL, &g_event);
    to_next_deadline();
    g_failed_before = mock_import_failed(g_failing);
}

static void setup_reset_write_fails(void)
{
    fresh();
    fail_from_now(MOCK_IMP_KV_SET);
}

/* the reset flag, set, failed to read at connect: the retry finds it set and reports it */
static int g_resets_before;
static void setup_flag_read_retry(void)
{
    uint8_t one = 0x01;
    fresh();
    mock_kv_put("awss.rst", &one, 1);
    mock_fail(MOCK_IMP_KV_GET, 1, 1);
    awss_report_cloud();
    to_next_deadline();
    g_resets_before = mock_pub_count_topic(TOPIC_RESET);
}
static int took_reset_report(void) { return mock_pub_count_topic(TOPIC_RESET) > g_resets_before; }

typedef struct {
    const char *name;
    const char *thread;
    void (*setup)(void);
    void (*run)(void);
    int (*took)(void); /* NULL, or 1 if the call took the path the scenario names */
} scenario_t;

static const scenario_t k_scenarios[] = {
    {"(measurement floor: empty call)", "-", setup_nothing, run_nothing, NULL},
    {"awss_report_cloud (connect, first report)", "app/MQTT", setup_connect, run_connect, NULL},
    {"match_reply: token ack, notify starts", "MQTT", setup_ack, run_ack, NULL},
    {"match_reply: ack answers a waiting query", "MQTT", setup_ack_answers, run_ack, NULL},
    {"query arrives, answered at once", "CoAP", setup_query_now, run_query, NULL},
    {"unicast query, answered at once", "CoAP", setup_query_now, run_query_ucast, NULL},
    {"query arrives, token expired: re-report", "CoAP", setup_query_expired, run_query, NULL},
    {"connect-AP info query (window open)", "CoAP", setup_connectap, run_connectap, NULL},
    {"notify timer fires (one broadcast) *", "timer", setup_notify_timer, run_advance_100, NULL},
    {"report retry timer fires (re-report) *", "timer", setup_retry_timer, run_advance_1, NULL},
    {"notify ack from a phone: rotate, report *", "CoAP", setup_notify_ack, run_notify_ack, NULL},
    {"awss_report_reset (KV write, report)", "app", setup_reset, run_reset, NULL},
    {"awss_check_reset (KV read)", "app", setup_reset, run_check_reset, NULL},
    {"awss_stop_report_reset", "app", setup_reset_outstanding, run_stop_report_reset, NULL},
    {"reset_reply: reset acked, bind starts", "MQTT", setup_reset_reply, run_reset_reply, NULL},
    {"awss_report_token (re-report now)", "app", setup_session, run_report_token, NULL},
    {"awss_start_bind", "app", setup_nothing, run_start_bind, NULL},
    {"awss_update_token", "app", setup_session, run_update_token, NULL},
    {"awss_dev_bind_notify", "app", setup_notify_timer, run_dev_bind_notify, NULL},
    {"awss_cmp_online_init", "app", setup_session, run_online_init, NULL},
    {"awss_cmp_online_deinit", "app", setup_session, run_online_deinit, NULL},
    {"awss_cmp_local_init", "app", setup_nothing, run_local_init, NULL},
    {"awss_cmp_local_deinit", "app", setup_session, run_local_deinit, NULL},
    {"awss_bind_report_statis", "app", setup_notify_timer, run_report_statis, NULL},
    {"awss_bind_deinit (session, queries waiting)", "app", setup_deinit, run_deinit, NULL},
    /* an outcome of the call's actions told back to the machine */
    {"connect, report publish fails locally", "app/MQTT", setup_connect_pub_fails, run_connect,
     took_failure},
    {"report retry timer, publish fails locally *", "timer", setup_retry_pub_fails,
     run_advance_1, took_failure},
    {"query, token expired: re-report fails", "CoAP", setup_query_expired_pub_fails, run_query,
     took_failure},
    {"awss_report_token, publish fails locally", "app", setup_report_token_pub_fails,
     run_report_token, took_failure},
    {"connect, subscribe refused", "app/MQTT", setup_connect_sub_refused, run_connect,
     took_failure},
    {"subscribe retry timer, refused again *", "timer", setup_resubscribe_refused, run_advance_1,
     took_failure},
    {"connect, CoAP server fails to start", "app/MQTT", setup_connect_no_server, run_connect,
     took_failure},
    {"match_reply: notify finds no CoAP server", "MQTT", setup_ack_no_server, run_ack,
     took_failure},
    {"server retry timer, fails again *", "timer", setup_server_retry_fails, run_advance_1,
     took_failure},
    {"awss_report_reset, flag write fails", "app", setup_reset_write_fails, run_reset,
     took_failure},
    {"flag read retry timer: set, reset report *", "timer", setup_flag_read_retry,
     run_advance_1, took_reset_report},
};

/* ---- the painted stack -------------------------------------------------------------------- */
static void (*g_run)(void);

/* g_run, with g_base at the caller's frame and the import depths recorded */
__attribute__((noinline)) static void run_measured(void)
{
    g_base = (uintptr_t)__builtin_frame_address(0);
    g_import_depth = 0;
    g_measuring = 1;
    g_run();
    g_measuring = 0;
    __asm__ volatile("" ::: "memory");
}

#if HOST_THREADS
static void *thread_main(void *arg)
{
    (void)arg;
    run_measured();
    return NULL;
}

/* runs g_run on a thread whose whole stack was painted; the bytes it used below g_base */
static int run_painted(size_t *total)
{
    static unsigned char *stack;
    if (stack == NULL) {
        void *p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("mmap");
            return -1;
        }
        stack = p;
    }
    memset(stack, PAINT, STACK_SIZE);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (pthread_attr_setstack(&attr, stack, STACK_SIZE) != 0) {
        fprintf(stderr, "pthread_attr_setstack failed\n");
        return -1;
    }
    if (pthread_create(&g_thread, &attr, thread_main, NULL) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return -1;
    }
    pthread_join(g_thread, NULL);
    pthread_attr_destroy(&attr);
    size_t i = 0;
    while (i < STACK_SIZE && stack[i] == PAINT) {
        i++;
    }
    uintptr_t lowest = (uintptr_t)(stack + i);
    *total = g_base > lowest ? (size_t)(g_base - lowest) : 0;
    return 0;
}
#else
/* runs g_run on the main stack, painted below this frame first; the bytes it used below
 * g_base. The painting's own frame (memset's) stays within PAINT_GAP. */
__attribute__((noinline)) static int run_painted(size_t *total)
{
    volatile unsigned char here = 0;
    uintptr_t base = (uintptr_t)&here;
    unsigned char *bottom = (unsigned char *)(base - PAINT_GAP - PAINT_BYTES);
    memset(bottom, PAINT, PAINT_BYTES);
    run_measured();
    size_t i = 0;
    while (i < PAINT_BYTES && bottom[i] == PAINT) {
        i++;
    }
    if (i == 0) {
        fprintf(stderr, "the call used all %u painted bytes\n", PAINT_BYTES);
        return -1;
    }
    uintptr_t lowest = (uintptr_t)(bottom + i);
    *total = g_base > lowest ? (size_t)(g_base - lowest) : 0;
    return 0;
}
#endif

static int measure(const scenario_t *s, int level, size_t *total, size_t *lib)
{
    g_level = level;
    s->setup();
    g_run = s->run;
    if (run_painted(total) != 0) {
        return -1;
    }
    *lib = (size_t)g_import_depth;
    if (s->took != NULL && !s->took()) {
        fprintf(stderr, "%s: the call did not take its path\n", s->name);
        return -1;
    }
    if (mock_malloc_count() != 0) {
        fprintf(stderr, "%s: HAL_Malloc called\n", s->name);
        return -1;
    }
    return 0;
}

int main(void)
{
    int rc = 0;
    size_t n = sizeof(k_scenarios) / sizeof(k_scenarios[0]);
    unsigned long worst[2][2] = {{0, 0}, {0, 0}};
    size_t deepest[2][2] = {{0, 0}, {0, 0}}; /* the scenario of each worst figure */
    /* warm-up: the first call of each libc and mock path (lazy binding, first-use
     * initialisation) must not count */
    for (size_t k = 0; k < n; k++) {
        size_t t = 0, l = 0;
        (void)measure(&k_scenarios[k], 5, &t, &l);
    }
    printf("Stack high-water marks of libiot_dev_bind.a entry points (bytes, " TARGET ")\n");
    printf("total: library + the mock SDK functions it calls, log lines dropped by HAL_Printf;\n");
    printf("lib:   library frames at its deepest call into an import (your HAL/MQTT/CoAP/timer\n");
    printf("       functions' own stack comes on top).  * = run through the mock's timer or\n");
    printf("       CoAP dispatch (a few dozen bytes of mock frames included in total).\n\n");
    printf("%-46s %-9s %8s %8s %8s %8s\n", "entry point", "thread", "total", "lib", "total", "lib");
    printf("%-46s %-9s %17s %17s\n", "", "", "log: info", "log: debug");
    for (size_t k = 0; k < n; k++) {
        size_t t[2] = {0, 0}, l[2] = {0, 0};
        for (int v = 0; v < 2; v++) {
            if (measure(&k_scenarios[k], v == 0 ? 4 : 5, &t[v], &l[v]) != 0) {
                rc = 1;
            }
            if (k > 0 && t[v] > worst[v][0]) {
                worst[v][0] = t[v];
                deepest[v][0] = k;
            }
            if (k > 0 && l[v] > worst[v][1]) {
                worst[v][1] = l[v];
                deepest[v][1] = k;
            }
        }
        /* %lu: newlib's printf has no %zu */
        printf("%-46s %-9s %8lu %8lu %8lu %8lu\n", k_scenarios[k].name, k_scenarios[k].thread,
               (unsigned long)t[0], (unsigned long)l[0], (unsigned long)t[1], (unsigned long)l[1]);
    }
    printf("%-46s %-9s %8lu %8lu %8lu %8lu\n", "worst", "", worst[0][0], worst[0][1], worst[1][0],
           worst[1][1]);
    for (int v = 0; v < 2; v++) {
        printf("deepest at log %-5s total: %s; lib: %s\n", v == 0 ? "info" : "debug",
               k_scenarios[deepest[v][0]].name, k_scenarios[deepest[v][1]].name);
    }
    fresh();
    return rc;
}
