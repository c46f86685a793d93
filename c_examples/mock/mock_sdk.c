/* Test double of the HAL, MQTT, CoAP server and event APIs (see mock_sdk.h). */
#define _GNU_SOURCE
#include "mock_sdk.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIMERS 32
#define MAX_SUBS 16
#define MAX_RES 16
#define MAX_KV 16
#define MAX_KV_VAL 256
#define MAX_CLOUD 256
#define LOG_LINE 1024

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&g_lock)
#define UNLOCK() pthread_mutex_unlock(&g_lock)

/* ---- growable record arrays ------------------------------------------------------------- */
typedef struct {
    void *items;
    int count, cap;
    size_t size;
} vec_t;

static void *vec_push(vec_t *v)
{
    if (v->count == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 64;
        void *n = realloc(v->items, (size_t)ncap * v->size);
        if (n == NULL) {
            abort();
        }
        v->items = n;
        v->cap = ncap;
    }
    void *slot = (char *)v->items + (size_t)v->count * v->size;
    memset(slot, 0, v->size);
    v->count++;
    return slot;
}

static void *vec_at(vec_t *v, int index)
{
    if (index < 0) {
        index += v->count;
    }
    if (index < 0 || index >= v->count) {
        return NULL;
    }
    return (char *)v->items + (size_t)index * v->size;
}

static unsigned char *dup_bytes(const void *p, int len)
{
    unsigned char *c = malloc(len > 0 ? (size_t)len + 1 : 1);
    if (c == NULL) {
        abort();
    }
    if (len > 0 && p != NULL) {
        memcpy(c, p, (size_t)len);
    }
    c[len > 0 ? len : 0] = 0; /* a convenience NUL after the recorded bytes */
    return c;
}

/* ---- state -------------------------------------------------------------------------------- */
typedef struct {
    int used;
    int armed;
    uint64_t deadline;
    uint64_t seq; /* arming order, breaks deadline ties */
    void (*func)(void *);
    void *user;
    char name[32];
} mtimer_t;

typedef struct {
    int used;
    char topic[160];
    void (*cb)(void *, void *, iotx_mqtt_event_msg_t *);
    void *pcontext;
} msub_t;

typedef struct {
    int used;
    char uri[128];
    CoAPRecvMsgHandler cb;
} mres_t;

typedef struct {
    int used;
    char key[64];
    unsigned char val[MAX_KV_VAL];
    int len;
} mkv_t;

typedef struct {
    int used;
    uint64_t due;
    uint64_t seq;
    char topic[160];
    char payload[128];
} mcloud_t;

typedef struct {
    mock_mcast_t rec;
    CoAPSendCb cb;
} mcast_rec_t;

typedef struct {
    int calls, failed;
    int first, count; /* the fault: calls first .. first + count - 1, count < 0 for all on */
} mfault_t;

static struct {
    uint64_t now;
    uint64_t seq;
    int quiet;
    int quiet_env_read;
    char pk[21], dn[33], mac[18], ip[16];
    uint32_t rand_state;
    mtimer_t timers[MAX_TIMERS];
    msub_t subs[MAX_SUBS];
    mres_t res[MAX_RES];
    mkv_t kv[MAX_KV];
    mcloud_t cloud[MAX_CLOUD];
    int cloud_enable, cloud_delay, cloud_sent;
    int kv_fail_get, kv_fail_set, kv_sets;
    int pub_result;
    int sub_result; /* 0: subscriptions succeed; else what IOT_MQTT_Subscribe returns */
    /* One-shot: a payload delivered inside the IOT_MQTT_Subscribe of a topic ending so. */
    char on_sub_suffix[128], on_sub_payload[256];
    /* The cloud answers each token report inside its IOT_MQTT_Publish_Simple call. */
    int ack_inside_publish;
    int sub_calls, unsub_calls;
    int mallocs, frees;
    mock_mutex_stats_t mx;
    int coap_inits, coap_live;
    uint16_t next_msgid;
    int obs_notifies;
    int (*status_cb)(int);
    mfault_t faults[MOCK_IMP_COUNT];
    vec_t pubs, mcasts, resps, events, cancels;
    char log[MOCK_LOG_KEEP][LOG_LINE];
    int log_head, log_count, log_total;
    char cur[LOG_LINE];
    size_t cur_len;
} M = {
    .pk = "a1GQc8iJOWI",
    .dn = "gateway_test01",
    .mac = "b0:f8:93:15:bf:21",
    .ip = "10.0.0.59",
    .rand_state = 12345,
    .next_msgid = 1000,
    .pubs = {NULL, 0, 0, sizeof(mock_pub_t)},
    .mcasts = {NULL, 0, 0, sizeof(mcast_rec_t)},
    .resps = {NULL, 0, 0, sizeof(mock_resp_t)},
    .events = {NULL, 0, 0, sizeof(int)},
    .cancels = {NULL, 0, 0, sizeof(uint16_t)},
};

static void clear_records_locked(void)
{
    for (int i = 0; i < M.pubs.count; i++) {
        free((void *)((mock_pub_t *)vec_at(&M.pubs, i))->payload);
    }
    for (int i = 0; i < M.mcasts.count; i++) {
        free((void *)((mcast_rec_t *)vec_at(&M.mcasts, i))->rec.payload);
    }
    for (int i = 0; i < M.resps.count; i++) {
        free((void *)((mock_resp_t *)vec_at(&M.resps, i))->payload);
    }
    M.pubs.count = M.mcasts.count = M.resps.count = M.events.count = M.cancels.count = 0;
    M.log_head = M.log_count = M.log_total = 0;
    M.cloud_sent = 0;
    M.obs_notifies = 0;
    M.sub_calls = M.unsub_calls = 0;
}

void mock_clear_records(void)
{
    LOCK();
    clear_records_locked();
    UNLOCK();
}

void mock_reset(void)
{
    LOCK();
    clear_records_locked();
    memset(M.kv, 0, sizeof(M.kv));
    memset(M.cloud, 0, sizeof(M.cloud));
    strcpy(M.pk, "a1GQc8iJOWI");
    strcpy(M.dn, "gateway_test01");
    strcpy(M.mac, "b0:f8:93:15:bf:21");
    strcpy(M.ip, "10.0.0.59");
    M.cloud_enable = 0;
    M.cloud_delay = 0;
    M.kv_fail_get = M.kv_fail_set = 0;
    M.kv_sets = 0;
    M.pub_result = 0;
    M.sub_result = 0;
    M.on_sub_suffix[0] = M.on_sub_payload[0] = 0;
    M.ack_inside_publish = 0;
    M.mallocs = M.frees = 0;
    M.status_cb = NULL;
    memset(M.faults, 0, sizeof(M.faults));
    UNLOCK();
}

/* ---- fault injection -------------------------------------------------------------------- */
const char *mock_import_name(mock_import_t imp)
{
    switch (imp) {
    case MOCK_IMP_TIMER_CREATE: return "HAL_Timer_Create";
    case MOCK_IMP_TIMER_START: return "HAL_Timer_Start";
    case MOCK_IMP_MUTEX_CREATE: return "HAL_MutexCreate";
    case MOCK_IMP_MALLOC: return "HAL_Malloc";
    case MOCK_IMP_KV_GET: return "HAL_Kv_Get";
    case MOCK_IMP_KV_SET: return "HAL_Kv_Set";
    case MOCK_IMP_MQTT_SUBSCRIBE: return "IOT_MQTT_Subscribe";
    case MOCK_IMP_MQTT_UNSUBSCRIBE: return "IOT_MQTT_Unsubscribe";
    case MOCK_IMP_MQTT_PUBLISH: return "IOT_MQTT_Publish_Simple";
    case MOCK_IMP_COAP_INIT: return "CoAPServer_init";
    case MOCK_IMP_COAP_REGISTER: return "CoAPServer_register";
    case MOCK_IMP_COAP_MCAST_SEND: return "CoAPServerMultiCast_send";
    case MOCK_IMP_COAP_RESP_SEND: return "CoAPServerResp_send";
    case MOCK_IMP_COUNT: break;
    }
    return "?";
}

void mock_fail(mock_import_t imp, int first, int count)
{
    if (imp >= MOCK_IMP_COUNT) {
        return;
    }
    LOCK();
    M.faults[imp].first = first;
    M.faults[imp].count = count;
    UNLOCK();
}

void mock_fail_none(void)
{
    LOCK();
    for (int i = 0; i < MOCK_IMP_COUNT; i++) {
        M.faults[i].first = 0;
    }
    UNLOCK();
}

int mock_import_calls(mock_import_t imp)
{
    LOCK();
    int n = imp < MOCK_IMP_COUNT ? M.faults[imp].calls : 0;
    UNLOCK();
    return n;
}

int mock_import_failed(mock_import_t imp)
{
    LOCK();
    int n = imp < MOCK_IMP_COUNT ? M.faults[imp].failed : 0;
    UNLOCK();
    return n;
}

/* Counts a call of imp; 1 when the fault set on imp fails this call. */
static int faulted_locked(mock_import_t imp)
{
    mfault_t *f = &M.faults[imp];
    int n = ++f->calls;
    int hit = f->first > 0 && n >= f->first && (f->count < 0 || n - f->first < f->count);
    f->failed += hit;
    return hit;
}

static int faulted(mock_import_t imp)
{
    LOCK();
    int hit = faulted_locked(imp);
    UNLOCK();
    return hit;
}

/* ---- clock and timers ------------------------------------------------------------------- */
uint64_t HAL_UptimeMs(void)
{
    LOCK();
    uint64_t t = M.now;
    UNLOCK();
    return t;
}

uint64_t mock_now(void)
{
    return HAL_UptimeMs();
}

void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data)
{
    LOCK();
    if (faulted_locked(MOCK_IMP_TIMER_CREATE)) {
        UNLOCK();
        return NULL;
    }
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (!M.timers[i].used) {
            mtimer_t *t = &M.timers[i];
            memset(t, 0, sizeof(*t));
            t->used = 1;
            t->func = func;
            t->user = user_data;
            snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
            UNLOCK();
            return t;
        }
    }
    UNLOCK();
    return NULL;
}

static mtimer_t *timer_of(void *p)
{
    mtimer_t *t = p;
    if (t < &M.timers[0] || t >= &M.timers[MAX_TIMERS] || !t->used) {
        return NULL;
    }
    return t;
}

int HAL_Timer_Start(void *timer, int ms)
{
    LOCK();
    if (faulted_locked(MOCK_IMP_TIMER_START)) {
        UNLOCK();
        return -1;
    }
    mtimer_t *t = timer_of(timer);
    if (t == NULL || ms < 0) {
        UNLOCK();
        return -1;
    }
    t->armed = 1;
    t->deadline = M.now + (uint64_t)ms;
    t->seq = ++M.seq;
    UNLOCK();
    return 0;
}

int HAL_Timer_Stop(void *timer)
{
    LOCK();
    mtimer_t *t = timer_of(timer);
    if (t == NULL) {
        UNLOCK();
        return -1;
    }
    t->armed = 0;
    UNLOCK();
    return 0;
}

int HAL_Timer_Delete(void *timer)
{
    LOCK();
    mtimer_t *t = timer_of(timer);
    if (t == NULL) {
        UNLOCK();
        return -1;
    }
    memset(t, 0, sizeof(*t));
    UNLOCK();
    return 0;
}

int mock_timer_live(void)
{
    int n = 0;
    LOCK();
    for (int i = 0; i < MAX_TIMERS; i++) {
        n += M.timers[i].used;
    }
    UNLOCK();
    return n;
}

int mock_timer_armed(void)
{
    int n = 0;
    LOCK();
    for (int i = 0; i < MAX_TIMERS; i++) {
        n += M.timers[i].used && M.timers[i].armed;
    }
    UNLOCK();
    return n;
}

/* earliest due item at or before limit: a timer (kind 1) or a cloud reply (kind 2) */
static int next_due_locked(uint64_t limit, int *index)
{
    int kind = 0;
    uint64_t best = 0, best_seq = 0;
    for (int i = 0; i < MAX_TIMERS; i++) {
        mtimer_t *t = &M.timers[i];
        if (t->used && t->armed && t->deadline <= limit &&
            (kind == 0 || t->deadline < best || (t->deadline == best && t->seq < best_seq))) {
            kind = 1;
            *index = i;
            best = t->deadline;
            best_seq = t->seq;
        }
    }
    for (int i = 0; i < MAX_CLOUD; i++) {
        mcloud_t *c = &M.cloud[i];
        if (c->used && c->due <= limit &&
            (kind == 0 || c->due < best || (c->due == best && c->seq < best_seq))) {
            kind = 2;
            *index = i;
            best = c->due;
            best_seq = c->seq;
        }
    }
    return kind;
}

uint64_t mock_next_deadline(void)
{
    int idx = 0;
    uint64_t d = UINT64_MAX;
    LOCK();
    int kind = next_due_locked(UINT64_MAX, &idx);
    if (kind == 1) {
        d = M.timers[idx].deadline;
    } else if (kind == 2) {
        d = M.cloud[idx].due;
    }
    UNLOCK();
    return d;
}

int mock_advance(uint64_t ms)
{
    int fired = 0;
    LOCK();
    uint64_t target = M.now + ms;
    for (;;) {
        int idx = 0;
        int kind = next_due_locked(target, &idx);
        if (kind == 0) {
            break;
        }
        if (kind == 1) {
            mtimer_t *t = &M.timers[idx];
            if (t->deadline > M.now) {
                M.now = t->deadline;
            }
            t->armed = 0;
            void (*func)(void *) = t->func;
            void *user = t->user;
            UNLOCK();
            if (func != NULL) {
                func(user);
            }
            fired++;
            LOCK();
        } else {
            mcloud_t *c = &M.cloud[idx];
            if (c->due > M.now) {
                M.now = c->due;
            }
            char topic[160], payload[128];
            memcpy(topic, c->topic, sizeof(topic));
            memcpy(payload, c->payload, sizeof(payload));
            c->used = 0;
            M.cloud_sent++;
            UNLOCK();
            mock_mqtt_deliver(topic, payload, (int)strlen(payload));
            fired++;
            LOCK();
        }
    }
    if (target > M.now) {
        M.now = target;
    }
    UNLOCK();
    return fired;
}

/* ---- identity, random, misc HAL -------------------------------------------------------- */
void mock_set_identity(const char *pk, const char *dn, const char *mac, const char *ip)
{
    LOCK();
    if (pk) {
        snprintf(M.pk, sizeof(M.pk), "%s", pk);
    }
    if (dn) {
        snprintf(M.dn, sizeof(M.dn), "%s", dn);
    }
    if (mac) {
        snprintf(M.mac, sizeof(M.mac), "%s", mac);
    }
    if (ip) {
        snprintf(M.ip, sizeof(M.ip), "%s", ip);
    }
    UNLOCK();
}

int HAL_GetProductKey(char product_key[20])
{
    LOCK();
    snprintf(product_key, 21, "%s", M.pk);
    int n = (int)strlen(product_key);
    UNLOCK();
    return n;
}

int HAL_GetDeviceName(char device_name[32])
{
    LOCK();
    snprintf(device_name, 33, "%s", M.dn);
    int n = (int)strlen(device_name);
    UNLOCK();
    return n;
}

int HAL_GetProductSecret(char *product_secret)
{
    strcpy(product_secret, "mock-product-secret");
    return (int)strlen(product_secret);
}

int HAL_GetDeviceSecret(char device_secret[64])
{
    strcpy(device_secret, "mock-device-secret");
    return (int)strlen(device_secret);
}

char *HAL_Wifi_Get_Mac(char mac_str[18])
{
    LOCK();
    snprintf(mac_str, 18, "%s", M.mac);
    UNLOCK();
    return mac_str;
}

uint32_t HAL_Wifi_Get_IP(char ip_str[16], const char *ifname)
{
    (void)ifname;
    unsigned a = 0, b = 0, c = 0, d = 0;
    LOCK();
    snprintf(ip_str, 16, "%s", M.ip);
    UNLOCK();
    if (sscanf(ip_str, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
        return 0;
    }
    /* network byte order, as the SDK's HALs return it */
    uint32_t v = (uint32_t)((a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | ((d & 0xffu) << 24));
    return v;
}

void mock_set_random_seed(uint32_t seed)
{
    LOCK();
    M.rand_state = seed;
    UNLOCK();
}

void HAL_Srandom(uint32_t seed)
{
    mock_set_random_seed(seed);
}

uint32_t HAL_Random(uint32_t region)
{
    LOCK();
    unsigned int s = M.rand_state;
    uint32_t hi = (uint32_t)rand_r(&s);
    uint32_t lo = (uint32_t)rand_r(&s);
    M.rand_state = s;
    UNLOCK();
    uint32_t v = (hi << 16) ^ lo;
    return region == 0 ? v : v % region;
}

void HAL_SleepMs(uint32_t ms)
{
    (void)ms;
}

void HAL_Reboot(void)
{
    HAL_Printf("HAL_Reboot called\n");
    fflush(stdout);
    abort();
}

void *HAL_Malloc(uint32_t size)
{
    LOCK();
    M.mallocs++;
    if (faulted_locked(MOCK_IMP_MALLOC)) {
        UNLOCK();
        return NULL;
    }
    UNLOCK();
    return malloc(size);
}

void HAL_Free(void *ptr)
{
    if (ptr != NULL) {
        LOCK();
        M.frees++;
        UNLOCK();
    }
    free(ptr);
}

int mock_malloc_count(void)
{
    LOCK();
    int n = M.mallocs;
    UNLOCK();
    return n;
}

int mock_malloc_live(void)
{
    LOCK();
    int n = M.mallocs - M.frees;
    UNLOCK();
    return n;
}

/* ---- mutexes ---------------------------------------------------------------------------- */
typedef struct {
    pthread_mutex_t m;
    int depth;
} mmutex_t;

void *HAL_MutexCreate(void)
{
    if (faulted(MOCK_IMP_MUTEX_CREATE)) {
        return NULL;
    }
    mmutex_t *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    pthread_mutex_init(&m->m, NULL);
    LOCK();
    M.mx.created++;
    UNLOCK();
    return m;
}

void HAL_MutexDestroy(void *mutex)
{
    mmutex_t *m = mutex;
    if (m == NULL) {
        return;
    }
    pthread_mutex_destroy(&m->m);
    free(m);
    LOCK();
    M.mx.destroyed++;
    UNLOCK();
}

void HAL_MutexLock(void *mutex)
{
    mmutex_t *m = mutex;
    if (m == NULL) {
        return;
    }
    pthread_mutex_lock(&m->m);
    m->depth++;
    int bad = m->depth != 1;
    LOCK();
    M.mx.locks++;
    M.mx.max_depth_violations += bad;
    UNLOCK();
}

void HAL_MutexUnlock(void *mutex)
{
    mmutex_t *m = mutex;
    if (m == NULL) {
        return;
    }
    m->depth--;
    LOCK();
    M.mx.unlocks++;
    UNLOCK();
    pthread_mutex_unlock(&m->m);
}

mock_mutex_stats_t mock_mutex_stats(void)
{
    LOCK();
    mock_mutex_stats_t s = M.mx;
    UNLOCK();
    return s;
}

/* ---- KV ------------------------------------------------------------------------------------ */
static mkv_t *kv_find_locked(const char *key, int create)
{
    for (int i = 0; i < MAX_KV; i++) {
        if (M.kv[i].used && strcmp(M.kv[i].key, key) == 0) {
            return &M.kv[i];
        }
    }
    if (!create) {
        return NULL;
    }
    for (int i = 0; i < MAX_KV; i++) {
        if (!M.kv[i].used) {
            M.kv[i].used = 1;
            snprintf(M.kv[i].key, sizeof(M.kv[i].key), "%s", key);
            return &M.kv[i];
        }
    }
    return NULL;
}

int mock_kv_put(const char *key, const void *val, int len)
{
    if (key == NULL || len < 0 || len > MAX_KV_VAL || (val == NULL && len > 0)) {
        return -1;
    }
    LOCK();
    mkv_t *e = kv_find_locked(key, 1);
    if (e == NULL) {
        UNLOCK();
        return -1;
    }
    if (len > 0) {
        memcpy(e->val, val, (size_t)len);
    }
    e->len = len;
    UNLOCK();
    return 0;
}

int mock_kv_read(const char *key, void *val, int maxlen)
{
    LOCK();
    mkv_t *e = kv_find_locked(key, 0);
    if (e == NULL) {
        UNLOCK();
        return -1;
    }
    int n = e->len < maxlen ? e->len : maxlen;
    if (n > 0) {
        memcpy(val, e->val, (size_t)n);
    }
    n = e->len;
    UNLOCK();
    return n;
}

int mock_kv_set_count(void)
{
    LOCK();
    int n = M.kv_sets;
    UNLOCK();
    return n;
}

void mock_kv_fail(int fail_get, int fail_set)
{
    LOCK();
    M.kv_fail_get = fail_get;
    M.kv_fail_set = fail_set;
    UNLOCK();
}

int HAL_Kv_Set(const char *key, const void *val, int len, int sync)
{
    (void)sync;
    LOCK();
    M.kv_sets++;
    int fail = M.kv_fail_set || faulted_locked(MOCK_IMP_KV_SET);
    UNLOCK();
    if (fail) {
        return -1;
    }
    return mock_kv_put(key, val, len);
}

int HAL_Kv_Get(const char *key, void *val, int *buffer_len)
{
    if (faulted(MOCK_IMP_KV_GET)) {
        return -1;
    }
    if (key == NULL || val == NULL || buffer_len == NULL) {
        return -1;
    }
    LOCK();
    mkv_t *e = M.kv_fail_get ? NULL : kv_find_locked(key, 0);
    if (e == NULL || e->len > *buffer_len) {
        UNLOCK();
        return -1;
    }
    memcpy(val, e->val, (size_t)e->len);
    *buffer_len = e->len;
    UNLOCK();
    return 0;
}

/* ---- logging -------------------------------------------------------------------------------- */
static void log_flush_line_locked(void)
{
    M.cur[M.cur_len] = 0;
    if (!M.quiet_env_read) {
        const char *q = getenv("MOCK_QUIET");
        M.quiet_env_read = 1;
        if (q != NULL && strcmp(q, "1") == 0) {
            M.quiet = 1;
        }
    }
    if (!M.quiet) {
        printf("[%06llu] %s\n", (unsigned long long)M.now, M.cur);
    }
    int slot = (M.log_head + M.log_count) % MOCK_LOG_KEEP;
    if (M.log_count == MOCK_LOG_KEEP) {
        M.log_head = (M.log_head + 1) % MOCK_LOG_KEEP;
    } else {
        M.log_count++;
    }
    memcpy(M.log[slot], M.cur, M.cur_len + 1);
    M.log_total++;
    M.cur_len = 0;
}

void HAL_Printf(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(buf)) {
        n = (int)sizeof(buf) - 1;
    }
    LOCK();
    for (int i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\n') {
            log_flush_line_locked();
        } else if (c == '\r') {
            continue;
        } else if (M.cur_len < LOG_LINE - 1) {
            M.cur[M.cur_len++] = c;
        }
    }
    UNLOCK();
}

int HAL_Snprintf(char *str, const int len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(str, len > 0 ? (size_t)len : 0, fmt, ap);
    va_end(ap);
    return n;
}

void mock_set_quiet(int quiet)
{
    LOCK();
    M.quiet = quiet;
    M.quiet_env_read = 1;
    UNLOCK();
}

static const char *log_line_locked(int i)
{
    return M.log[(M.log_head + i) % MOCK_LOG_KEEP];
}

int mock_log_count(const char *needle)
{
    int n = 0;
    LOCK();
    for (int i = 0; i < M.log_count; i++) {
        n += strstr(log_line_locked(i), needle) != NULL;
    }
    M.cur[M.cur_len] = 0;
    n += M.cur_len > 0 && strstr(M.cur, needle) != NULL;
    UNLOCK();
    return n;
}

int mock_log_contains(const char *needle)
{
    return mock_log_count(needle) > 0;
}

const char *mock_log_last(const char *needle, char *out, size_t outlen)
{
    const char *res = NULL;
    LOCK();
    for (int i = M.log_count - 1; i >= 0; i--) {
        if (strstr(log_line_locked(i), needle) != NULL) {
            snprintf(out, outlen, "%s", log_line_locked(i));
            res = out;
            break;
        }
    }
    UNLOCK();
    return res;
}

int mock_log_total(void)
{
    LOCK();
    int n = M.log_total;
    UNLOCK();
    return n;
}

/* ---- JSON helper ---------------------------------------------------------------------------- */
int mock_json_str(const unsigned char *json, int len, const char *key, char *out, size_t outlen)
{
    char pat[80];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    size_t pl = strlen(pat);
    if (outlen == 0) {
        return -1;
    }
    out[0] = 0;
    for (int i = 0; i + (int)pl <= len; i++) {
        if (memcmp(json + i, pat, pl) == 0) {
            size_t o = 0;
            for (int j = i + (int)pl; j < len && json[j] != '"'; j++) {
                if (o + 1 < outlen) {
                    out[o++] = (char)json[j];
                }
            }
            out[o] = 0;
            return (int)o;
        }
    }
    return -1;
}

/* ---- MQTT ----------------------------------------------------------------------------------- */
static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int IOT_MQTT_Subscribe(void *handle, const char *topic_filter, int qos,
                       void (*cb)(void *pcontext, void *pclient, iotx_mqtt_event_msg_t *msg),
                       void *pcontext)
{
    (void)handle;
    (void)qos;
    if (faulted(MOCK_IMP_MQTT_SUBSCRIBE) || topic_filter == NULL) {
        return -1;
    }
    LOCK();
    M.sub_calls++;
    if (M.sub_result != 0) {
        int r = M.sub_result;
        UNLOCK();
        return r;
    }
    msub_t *slot = NULL;
    for (int i = 0; i < MAX_SUBS; i++) {
        if (M.subs[i].used && strcmp(M.subs[i].topic, topic_filter) == 0) {
            slot = &M.subs[i];
            break;
        }
    }
    for (int i = 0; slot == NULL && i < MAX_SUBS; i++) {
        if (!M.subs[i].used) {
            slot = &M.subs[i];
        }
    }
    if (slot == NULL) {
        UNLOCK();
        return -1;
    }
    slot->used = 1;
    snprintf(slot->topic, sizeof(slot->topic), "%s", topic_filter);
    slot->cb = cb;
    slot->pcontext = pcontext;
    char deliver[256] = "";
    if (M.on_sub_suffix[0] != 0 && ends_with(topic_filter, M.on_sub_suffix)) {
        snprintf(deliver, sizeof(deliver), "%s", M.on_sub_payload);
        M.on_sub_suffix[0] = 0;
    }
    UNLOCK();
    if (deliver[0] != 0) {
        mock_mqtt_deliver(topic_filter, deliver, (int)strlen(deliver));
    }
    return 0;
}

void mock_sub_deliver_on_subscribe(const char *topic_suffix, const char *payload)
{
    LOCK();
    snprintf(M.on_sub_suffix, sizeof(M.on_sub_suffix), "%s", topic_suffix);
    snprintf(M.on_sub_payload, sizeof(M.on_sub_payload), "%s", payload);
    UNLOCK();
}

void mock_cloud_ack_inside_publish(int enable)
{
    LOCK();
    M.ack_inside_publish = enable;
    UNLOCK();
}

int IOT_MQTT_Unsubscribe(void *handle, const char *topic_filter)
{
    (void)handle;
    if (faulted(MOCK_IMP_MQTT_UNSUBSCRIBE) || topic_filter == NULL) {
        return -1;
    }
    LOCK();
    M.unsub_calls++;
    for (int i = 0; i < MAX_SUBS; i++) {
        if (M.subs[i].used && strcmp(M.subs[i].topic, topic_filter) == 0) {
            memset(&M.subs[i], 0, sizeof(M.subs[i]));
        }
    }
    UNLOCK();
    return 0;
}

static void cloud_schedule_locked(const char *topic, const char *payload)
{
    for (int i = 0; i < MAX_CLOUD; i++) {
        if (!M.cloud[i].used) {
            mcloud_t *c = &M.cloud[i];
            c->used = 1;
            c->due = M.now + (uint64_t)M.cloud_delay;
            c->seq = ++M.seq;
            snprintf(c->topic, sizeof(c->topic), "%s", topic);
            snprintf(c->payload, sizeof(c->payload), "%s", payload);
            return;
        }
    }
}

int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len)
{
    (void)handle;
    if (faulted(MOCK_IMP_MQTT_PUBLISH) || topic == NULL || (data == NULL && len > 0) || len < 0) {
        return -1;
    }
    LOCK();
    mock_pub_t *p = vec_push(&M.pubs);
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->qos = qos;
    p->len = len;
    p->payload = dup_bytes(data, len);
    p->time = M.now;
    if (M.cloud_enable) {
        char id[40], reply_topic[200], reply[128];
        mock_json_str(p->payload, len, "id", id, sizeof(id));
        if (ends_with(topic, "/thing/awss/enrollee/match")) {
            snprintf(reply_topic, sizeof(reply_topic), "%s_reply", topic);
            snprintf(reply, sizeof(reply), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
            cloud_schedule_locked(reply_topic, reply);
        } else if (ends_with(topic, "/thing/reset")) {
            snprintf(reply_topic, sizeof(reply_topic), "%s_reply", topic);
            snprintf(reply, sizeof(reply), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
            cloud_schedule_locked(reply_topic, reply);
        }
    }
    int r = M.pub_result;
    char inside_topic[200] = "", inside[128] = "";
    if (M.ack_inside_publish && ends_with(topic, "/thing/awss/enrollee/match")) {
        char id[40];
        mock_json_str(p->payload, len, "id", id, sizeof(id));
        snprintf(inside_topic, sizeof(inside_topic), "%s_reply", topic);
        snprintf(inside, sizeof(inside), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
    }
    UNLOCK();
    if (inside[0] != 0) {
        mock_mqtt_deliver(inside_topic, inside, (int)strlen(inside));
    }
    return r;
}

void mock_cloud_auto_ack(int enable, int delay_ms)
{
    LOCK();
    M.cloud_enable = enable;
    M.cloud_delay = delay_ms < 0 ? 0 : delay_ms;
    if (!enable) {
        memset(M.cloud, 0, sizeof(M.cloud));
    }
    UNLOCK();
}

int mock_cloud_acks_sent(void)
{
    LOCK();
    int n = M.cloud_sent;
    UNLOCK();
    return n;
}

int mock_pub_count(void)
{
    LOCK();
    int n = M.pubs.count;
    UNLOCK();
    return n;
}

mock_pub_t mock_pub_get(int index)
{
    mock_pub_t out;
    memset(&out, 0, sizeof(out));
    out.len = -1;
    LOCK();
    mock_pub_t *p = vec_at(&M.pubs, index);
    if (p != NULL) {
        out = *p;
    }
    UNLOCK();
    return out;
}

int mock_pub_count_topic(const char *suffix)
{
    int n = 0;
    LOCK();
    for (int i = 0; i < M.pubs.count; i++) {
        n += ends_with(((mock_pub_t *)vec_at(&M.pubs, i))->topic, suffix);
    }
    UNLOCK();
    return n;
}

int mock_pub_find(const char *suffix, int nth, mock_pub_t *out)
{
    int seen = 0;
    LOCK();
    int total = 0;
    for (int i = 0; i < M.pubs.count; i++) {
        total += ends_with(((mock_pub_t *)vec_at(&M.pubs, i))->topic, suffix);
    }
    if (nth < 0) {
        nth += total;
    }
    for (int i = 0; i < M.pubs.count; i++) {
        mock_pub_t *p = vec_at(&M.pubs, i);
        if (ends_with(p->topic, suffix)) {
            if (seen == nth) {
                if (out) {
                    *out = *p;
                }
                UNLOCK();
                return i;
            }
            seen++;
        }
    }
    UNLOCK();
    return -1;
}

void mock_sub_set_result(int result)
{
    LOCK();
    M.sub_result = result;
    UNLOCK();
}

void mock_pub_set_result(int result)
{
    LOCK();
    M.pub_result = result;
    UNLOCK();
}

int mock_sub_active(const char *topic)
{
    int found = 0;
    LOCK();
    for (int i = 0; i < MAX_SUBS; i++) {
        found |= M.subs[i].used && strcmp(M.subs[i].topic, topic) == 0;
    }
    UNLOCK();
    return found;
}

int mock_sub_count(void)
{
    LOCK();
    int n = M.sub_calls;
    UNLOCK();
    return n;
}

int mock_unsub_count(void)
{
    LOCK();
    int n = M.unsub_calls;
    UNLOCK();
    return n;
}

static int sub_lookup(const char *topic, void (**cb)(void *, void *, iotx_mqtt_event_msg_t *),
                      void **pcontext)
{
    LOCK();
    for (int i = 0; i < MAX_SUBS; i++) {
        if (M.subs[i].used && strcmp(M.subs[i].topic, topic) == 0) {
            *cb = M.subs[i].cb;
            *pcontext = M.subs[i].pcontext;
            UNLOCK();
            return 0;
        }
    }
    UNLOCK();
    return -1;
}

static char g_fake_client;

int mock_mqtt_deliver_raw(const char *topic, iotx_mqtt_event_msg_t *msg)
{
    void (*cb)(void *, void *, iotx_mqtt_event_msg_t *) = NULL;
    void *pcontext = NULL;
    if (sub_lookup(topic, &cb, &pcontext) != 0 || cb == NULL) {
        return -1;
    }
    cb(pcontext, &g_fake_client, msg);
    return 0;
}

int mock_mqtt_deliver(const char *topic, const void *payload, int len)
{
    void (*cb)(void *, void *, iotx_mqtt_event_msg_t *) = NULL;
    void *pcontext = NULL;
    if (len < 0 || sub_lookup(topic, &cb, &pcontext) != 0 || cb == NULL) {
        return -1;
    }
    size_t tlen = strlen(topic);
    char *t = malloc(tlen ? tlen : 1);
    char *p = malloc((size_t)len);
    if (t == NULL || (p == NULL && len > 0)) {
        abort();
    }
    memcpy(t, topic, tlen);
    if (len > 0) {
        memcpy(p, payload, (size_t)len);
    }
    iotx_mqtt_topic_info_t info;
    memset(&info, 0, sizeof(info));
    info.packet_id = 7;
    info.qos = 0;
    info.topic_len = (uint16_t)tlen;
    info.payload_len = (uint32_t)len;
    info.ptopic = t;
    info.payload = p;
    iotx_mqtt_event_msg_t ev = {MOCK_MQTT_EVENT_PUBLISH_RECEIVED, &info};
    cb(pcontext, &g_fake_client, &ev);
    /* the client reuses its buffers for the next packet */
    memset(t, 'T', tlen ? tlen : 1);
    if (len > 0) {
        memset(p, 'P', (size_t)len);
    }
    free(t);
    free(p);
    return 0;
}

/* ---- CoAP server ----------------------------------------------------------------------------- */
static char g_coap_ctx;

void *CoAPServer_init(void)
{
    LOCK();
    if (faulted_locked(MOCK_IMP_COAP_INIT)) {
        UNLOCK();
        return NULL;
    }
    M.coap_inits++;
    M.coap_live = 1; /* a singleton, like the SDK's server */
    UNLOCK();
    return &g_coap_ctx;
}

void CoAPServer_deinit(void *ctx)
{
    (void)ctx;
    LOCK();
    M.coap_live = 0;
    memset(M.res, 0, sizeof(M.res));
    UNLOCK();
}

int mock_coap_server_live(void)
{
    LOCK();
    int n = M.coap_live;
    UNLOCK();
    return n;
}

int mock_coap_init_count(void)
{
    LOCK();
    int n = M.coap_inits;
    UNLOCK();
    return n;
}

int CoAPServer_register(void *ctx, const char *uri, CoAPRecvMsgHandler cb)
{
    if (faulted(MOCK_IMP_COAP_REGISTER) || ctx == NULL || uri == NULL) {
        return -1;
    }
    LOCK();
    mres_t *slot = NULL;
    for (int i = 0; i < MAX_RES; i++) {
        if (M.res[i].used && strcmp(M.res[i].uri, uri) == 0) {
            slot = &M.res[i];
            break;
        }
    }
    for (int i = 0; slot == NULL && i < MAX_RES; i++) {
        if (!M.res[i].used) {
            slot = &M.res[i];
        }
    }
    if (slot == NULL) {
        UNLOCK();
        return -1;
    }
    slot->used = 1;
    snprintf(slot->uri, sizeof(slot->uri), "%s", uri);
    slot->cb = cb;
    UNLOCK();
    return 0;
}

static int resources_locked(void)
{
    int n = 0;
    for (int i = 0; i < MAX_RES; i++) {
        n += M.res[i].used;
    }
    return n;
}

int mock_coap_resource_count(void)
{
    LOCK();
    int n = resources_locked();
    UNLOCK();
    return n;
}

int mock_coap_has_resource(const char *uri)
{
    int found = 0;
    LOCK();
    for (int i = 0; i < MAX_RES; i++) {
        found |= M.res[i].used && strcmp(M.res[i].uri, uri) == 0;
    }
    UNLOCK();
    return found;
}

static void addr_text(char out[17], const NetworkAddr *a)
{
    memcpy(out, a->addr, 16);
    out[16] = 0;
}

int CoAPServerMultiCast_send(void *ctx, NetworkAddr *remote, const char *uri, uint8_t *buf,
                             uint16_t len, CoAPSendCb cb, uint16_t *msgid)
{
    if (faulted(MOCK_IMP_COAP_MCAST_SEND) || ctx == NULL || remote == NULL || uri == NULL || (buf == NULL && len > 0)) {
        return -1;
    }
    LOCK();
    mcast_rec_t *r = vec_push(&M.mcasts);
    addr_text(r->rec.addr, remote);
    r->rec.port = remote->port;
    snprintf(r->rec.uri, sizeof(r->rec.uri), "%s", uri);
    r->rec.len = len;
    r->rec.payload = dup_bytes(buf, len);
    r->rec.msgid = M.next_msgid++;
    r->rec.time = M.now;
    r->rec.resources = resources_locked();
    r->cb = cb;
    if (msgid != NULL) {
        *msgid = r->rec.msgid;
    }
    UNLOCK();
    return 0;
}

int CoAPServerResp_send(void *ctx, NetworkAddr *remote, uint8_t *buf, uint16_t len, void *req,
                        const char *paths, CoAPSendCb cb, uint16_t *msgid, char qos)
{
    (void)cb;
    if (faulted(MOCK_IMP_COAP_RESP_SEND) || ctx == NULL || remote == NULL ||
        (buf == NULL && len > 0)) {
        return -1;
    }
    mock_resp_t r;
    memset(&r, 0, sizeof(r));
    addr_text(r.addr, remote);
    r.port = remote->port;
    snprintf(r.paths, sizeof(r.paths), "%s", paths ? paths : "(null)");
    r.len = len;
    r.qos = qos;
    r.req_observe = -1;
    /* read through req now, as the SDK's CoAP server does */
    const CoAPMessage *m = req;
    if (m == NULL) {
        r.req_null = 1;
    } else {
        r.req_msgid = m->header.msgid;
        r.req_tokenlen = m->header.tokenlen;
        if (r.req_tokenlen > COAP_MSG_MAX_TOKEN_LEN) {
            r.req_tokenlen = COAP_MSG_MAX_TOKEN_LEN;
        }
        memcpy(r.req_token, m->token, (size_t)r.req_tokenlen);
        int optcount = m->optcount < COAP_MSG_MAX_OPTION_NUM ? m->optcount : COAP_MSG_MAX_OPTION_NUM;
        for (int i = 0; i < optcount; i++) {
            if (m->options[i].num == MOCK_COAP_OPTION_OBSERVE) {
                long v = 0;
                for (int k = 0; k < m->options[i].len && k < 4; k++) {
                    v = (v << 8) | m->options[i].val[k];
                }
                r.req_observe = v;
            }
        }
    }
    LOCK();
    mock_resp_t *slot = vec_push(&M.resps);
    *slot = r;
    slot->payload = dup_bytes(buf, len);
    slot->time = M.now;
    slot->resources = resources_locked();
    uint16_t id = M.next_msgid++;
    UNLOCK();
    if (msgid != NULL) {
        *msgid = id;
    }
    return 0;
}

int CoAPMessageId_cancel(void *ctx, uint16_t msgid)
{
    (void)ctx;
    LOCK();
    *(uint16_t *)vec_push(&M.cancels) = msgid;
    UNLOCK();
    return 0;
}

int CoAPObsServer_notify(void *ctx, const char *path, unsigned char *payload,
                         unsigned short payloadlen, void *handler)
{
    (void)ctx;
    (void)path;
    (void)payload;
    (void)payloadlen;
    (void)handler;
    LOCK();
    M.obs_notifies++;
    UNLOCK();
    return 0;
}

int mock_obs_notify_count(void)
{
    LOCK();
    int n = M.obs_notifies;
    UNLOCK();
    return n;
}

int mock_mcast_count(void)
{
    LOCK();
    int n = M.mcasts.count;
    UNLOCK();
    return n;
}

mock_mcast_t mock_mcast_get(int index)
{
    mock_mcast_t out;
    memset(&out, 0, sizeof(out));
    out.len = -1;
    LOCK();
    mcast_rec_t *r = vec_at(&M.mcasts, index);
    if (r != NULL) {
        out = r->rec;
    }
    UNLOCK();
    return out;
}

int mock_resp_count(void)
{
    LOCK();
    int n = M.resps.count;
    UNLOCK();
    return n;
}

mock_resp_t mock_resp_get(int index)
{
    mock_resp_t out;
    memset(&out, 0, sizeof(out));
    out.len = -1;
    LOCK();
    mock_resp_t *r = vec_at(&M.resps, index);
    if (r != NULL) {
        out = *r;
    }
    UNLOCK();
    return out;
}

int mock_cancel_count(void)
{
    LOCK();
    int n = M.cancels.count;
    UNLOCK();
    return n;
}

uint16_t mock_cancel_get(int index)
{
    uint16_t v = 0;
    LOCK();
    uint16_t *p = vec_at(&M.cancels, index);
    if (p != NULL) {
        v = *p;
    }
    UNLOCK();
    return v;
}

static CoAPRecvMsgHandler res_lookup(const char *uri)
{
    CoAPRecvMsgHandler cb = NULL;
    LOCK();
    for (int i = 0; i < MAX_RES; i++) {
        if (M.res[i].used && strcmp(M.res[i].uri, uri) == 0) {
            cb = M.res[i].cb;
        }
    }
    UNLOCK();
    return cb;
}

int mock_coap_request_raw(const char *uri, const char *paths, NetworkAddr *remote, CoAPMessage *msg)
{
    CoAPRecvMsgHandler cb = res_lookup(uri);
    if (cb == NULL) {
        return -1;
    }
    cb(&g_coap_ctx, paths, remote, msg);
    return 0;
}

int mock_coap_request(const char *uri, const char *remote_host, unsigned short port,
                      uint16_t msgid, const uint8_t *token, int tokenlen, long observe,
                      const void *payload, int len)
{
    CoAPRecvMsgHandler cb = res_lookup(uri);
    if (cb == NULL) {
        return -1;
    }
    if (tokenlen < 0 || tokenlen > COAP_MSG_MAX_TOKEN_LEN || tokenlen > 15) {
        return -2;
    }
    size_t ulen = strlen(uri);
    /* the "receive buffer": Uri-Path segments then the Observe value */
    size_t rxlen = ulen + 8;
    unsigned char *rx = malloc(rxlen);
    CoAPMessage *msg = malloc(sizeof(*msg));
    NetworkAddr *remote = malloc(sizeof(*remote));
    char *paths = malloc(ulen + 1);
    unsigned char *pl = payload != NULL ? malloc(len > 0 ? (size_t)len : 0) : NULL;
    if (rx == NULL || msg == NULL || remote == NULL || paths == NULL || (payload != NULL && len > 0 && pl == NULL)) {
        abort();
    }
    memset(msg, 0, sizeof(*msg));
    memset(remote, 0, sizeof(*remote));
    snprintf((char *)remote->addr, sizeof(remote->addr), "%s", remote_host ? remote_host : "");
    remote->port = port;
    memcpy(paths, uri, ulen + 1);
    memcpy(rx, uri, ulen);
    msg->header.version = 1;
    msg->header.type = 1; /* NON */
    msg->header.tokenlen = (unsigned char)tokenlen;
    msg->header.code = 0x02; /* POST */
    msg->header.msgid = msgid;
    if (tokenlen > 0) {
        memcpy(msg->token, token, (size_t)tokenlen);
    }
    /* Uri-Path options: one per segment, values inside rx */
    int oc = 0;
    if (observe >= 0 && oc < COAP_MSG_MAX_OPTION_NUM) {
        unsigned char *ov = rx + ulen;
        int olen = 0;
        if (observe > 0xffff) {
            ov[olen++] = (unsigned char)(observe >> 16);
        }
        if (observe > 0xff) {
            ov[olen++] = (unsigned char)(observe >> 8);
        }
        if (observe > 0) {
            ov[olen++] = (unsigned char)observe;
        }
        msg->options[oc].num = MOCK_COAP_OPTION_OBSERVE;
        msg->options[oc].len = (unsigned short)olen;
        msg->options[oc].val = ov;
        oc++;
    }
    size_t i = 0;
    while (i < ulen && oc < COAP_MSG_MAX_OPTION_NUM) {
        while (i < ulen && rx[i] == '/') {
            i++;
        }
        size_t start = i;
        while (i < ulen && rx[i] != '/') {
            i++;
        }
        if (i > start) {
            msg->options[oc].num = MOCK_COAP_OPTION_URI_PATH;
            msg->options[oc].len = (unsigned short)(i - start);
            msg->options[oc].val = rx + start;
            oc++;
        }
    }
    msg->optcount = (unsigned char)oc;
    if (pl != NULL && len > 0) {
        memcpy(pl, payload, (size_t)len);
    }
    msg->payload = pl;
    msg->payloadlen = (unsigned short)(payload != NULL ? len : 0);

    cb(&g_coap_ctx, paths, remote, msg);

    /* the server reuses its receive buffer and message for the next packet */
    memset(rx, 0xA5, rxlen);
    memset(msg, 0x5A, sizeof(*msg));
    memset(remote, 0x3C, sizeof(*remote));
    memset(paths, 'X', ulen);
    if (pl != NULL && len > 0) {
        memset(pl, 0xEE, (size_t)len);
    }
    free(rx);
    free(msg);
    free(remote);
    free(paths);
    free(pl);
    return 0;
}

int mock_coap_ack_notify(int index, int result, uint8_t code, const void *payload, int len)
{
    LOCK();
    mcast_rec_t *r = vec_at(&M.mcasts, index);
    CoAPSendCb cb = r != NULL ? r->cb : NULL;
    uint16_t msgid = r != NULL ? r->rec.msgid : 0;
    UNLOCK();
    if (cb == NULL) {
        return -1;
    }
    NetworkAddr remote;
    memset(&remote, 0, sizeof(remote));
    snprintf((char *)remote.addr, sizeof(remote.addr), "%s", "10.0.0.100");
    remote.port = 5683;
    if (result != 0) {
        cb(&g_coap_ctx, result, NULL, &remote, NULL);
        return 0;
    }
    CoAPMessage *msg = calloc(1, sizeof(*msg));
    unsigned char *pl = payload != NULL ? malloc(len > 0 ? (size_t)len : 0) : NULL;
    if (msg == NULL) {
        abort();
    }
    msg->header.version = 1;
    msg->header.type = 2; /* ACK */
    msg->header.code = code;
    msg->header.msgid = msgid;
    if (pl != NULL && len > 0) {
        memcpy(pl, payload, (size_t)len);
    }
    msg->payload = pl;
    msg->payloadlen = (unsigned short)(payload != NULL ? len : 0);
    cb(&g_coap_ctx, 0, NULL, &remote, msg);
    memset(msg, 0x5A, sizeof(*msg));
    if (pl != NULL && len > 0) {
        memset(pl, 0xEE, (size_t)len);
    }
    free(pl);
    free(msg);
    return 0;
}

/* ---- events ---------------------------------------------------------------------------------- */
int iotx_event_post(int event)
{
    LOCK();
    *(int *)vec_push(&M.events) = event;
    UNLOCK();
    return 0;
}

static int g_status_calls;

void *iotx_event_callback(int evt)
{
    void *cb = NULL;
    LOCK();
    if (evt == MOCK_ITE_AWSS_STATUS && M.status_cb != NULL) {
        memcpy(&cb, &M.status_cb, sizeof(cb)); /* POSIX: function and object pointers agree */
    }
    g_status_calls++;
    UNLOCK();
    return cb;
}

void mock_set_status_callback(int (*cb)(int))
{
    LOCK();
    M.status_cb = cb;
    UNLOCK();
}

int mock_event_count(void)
{
    LOCK();
    int n = M.events.count;
    UNLOCK();
    return n;
}

int mock_event_get(int index)
{
    int v = -1;
    LOCK();
    int *p = vec_at(&M.events, index);
    if (p != NULL) {
        v = *p;
    }
    UNLOCK();
    return v;
}

int mock_event_count_of(int event)
{
    int n = 0;
    LOCK();
    for (int i = 0; i < M.events.count; i++) {
        n += *(int *)vec_at(&M.events, i) == event;
    }
    UNLOCK();
    return n;
}
