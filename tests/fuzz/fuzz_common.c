/* Shared harness of the libFuzzer targets (see fuzz_common.h). */
#define _GNU_SOURCE
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The release archive carries `core`'s unwinding tables that name this symbol; with
 * panic = "abort" nothing ever unwinds, so it is never called. Coverage instrumentation keeps
 * those tables alive through --gc-sections, hence this stand-in. */
void rust_eh_personality(void);
void rust_eh_personality(void)
{
    abort();
}

#define MAX_ANSWERS 512

/* The distinct tokens of the report publishes so far, an open-addressing set: a long sequence
 * publishes tens of thousands of reports, and every notify and answer asks whether its token
 * was reported, so scanning every publish for each question made such inputs take minutes.
 * Only the used slots are cleared between inputs. */
#define REPORTED_SLOTS 32768
static struct {
    char token[REPORTED_SLOTS][33]; /* "" is a free slot */
    int used[REPORTED_SLOTS];
    int n_used;
} R;

static struct {
    int pubs_seen;
    int mcasts_seen;
    int resps_seen;
    int deinited; /* between awss_bind_deinit() and the next start of binding */
    int n_answer_tokens;
    char answer_tokens[MAX_ANSWERS][33];
} S;

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==INVARIANT== %s:%d: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

void fz_note_deinit(void)
{
    S.deinited = 1;
}

void fz_note_bind_started(void)
{
    S.deinited = 0;
}

void fz_begin(int bind)
{
    static int once;
    if (!once) {
        once = 1;
        mock_set_quiet(getenv("FUZZ_VERBOSE") == NULL);
    }
    awss_bind_deinit();
    awss_stop_report_reset();
    mock_reset();
    mock_set_quiet(getenv("FUZZ_VERBOSE") == NULL);
    dev_bind_set_log_level(5);
    dev_bind_config_t cfg = {30000, 2, 45000, 30, 100, 3000};
    FZ_ASSERT(dev_bind_set_config(&cfg) == 0, "default config refused");
    memset(&S, 0, sizeof(S));
    for (int i = 0; i < R.n_used; i++) {
        R.token[R.used[i]][0] = 0;
    }
    R.n_used = 0;
    S.deinited = 1;
    mock_advance(1000);
    if (bind) {
        S.deinited = 0;
        awss_report_cloud();
    }
    fz_check();
}

static int is_digits(const unsigned char *s, size_t n)
{
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

static int is_hex32_upper(const unsigned char *s)
{
    for (int i = 0; i < 32; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* The slot of the 32 hex digits `hex` in R: where it is, or the free slot where it goes; -1
 * when the set is full and `hex` is not in it. */
static int reported_slot(const char *hex)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < 32; i++) {
        h = (h ^ (uint8_t)hex[i]) * 16777619u;
    }
    for (uint32_t probe = 0; probe < REPORTED_SLOTS; probe++) {
        int slot = (int)((h + probe) % REPORTED_SLOTS);
        if (R.token[slot][0] == 0 || memcmp(R.token[slot], hex, 32) == 0) {
            return slot;
        }
    }
    return -1;
}

static void note_reported(const char *hex)
{
    int slot = reported_slot(hex);
    if (slot >= 0 && R.token[slot][0] == 0) {
        memcpy(R.token[slot], hex, 32);
        R.token[slot][32] = 0;
        R.used[R.n_used++] = slot;
    }
}

/* prefix DIGITS mid (then for reports 32 hex and suffix) */
static void check_report(const mock_pub_t *p)
{
    static const char pre[] = "{\"id\":\"";
    static const char mid[] = "\",\"version\":\"1.0\",\"method\":\"thing.awss.enrollee.match\","
                              "\"params\":{\"token\":\"";
    static const char suf[] = "\"}}";
    size_t lp = sizeof(pre) - 1, lm = sizeof(mid) - 1, ls = sizeof(suf) - 1;
    const unsigned char *s = p->payload;
    size_t n = (size_t)p->len;
    FZ_ASSERT(p->qos == 1, "report qos %d", p->qos);
    FZ_ASSERT(n > lp + lm + 32 + ls, "report too short: %.*s", (int)n, s);
    FZ_ASSERT(memcmp(s, pre, lp) == 0, "report prefix: %.*s", (int)n, s);
    size_t idlen = n - lp - lm - 32 - ls;
    FZ_ASSERT(idlen <= 10 && is_digits(s + lp, idlen), "report id: %.*s", (int)n, s);
    FZ_ASSERT(memcmp(s + lp + idlen, mid, lm) == 0, "report body: %.*s", (int)n, s);
    FZ_ASSERT(is_hex32_upper(s + lp + idlen + lm), "report token: %.*s", (int)n, s);
    FZ_ASSERT(memcmp(s + n - ls, suf, ls) == 0, "report suffix: %.*s", (int)n, s);
    note_reported((const char *)s + lp + idlen + lm);
}

static void check_reset(const mock_pub_t *p)
{
    static const char pre[] = "{\"id\":\"";
    static const char suf[] = "\", \"version\":\"1.0\", \"method\":\"thing.reset\", \"params\":{}}";
    size_t lp = sizeof(pre) - 1, ls = sizeof(suf) - 1;
    const unsigned char *s = p->payload;
    size_t n = (size_t)p->len;
    FZ_ASSERT(p->qos == 0, "reset qos %d", p->qos);
    FZ_ASSERT(n > lp + ls && memcmp(s, pre, lp) == 0 && memcmp(s + n - ls, suf, ls) == 0 &&
                  n - lp - ls <= 10 && is_digits(s + lp, n - lp - ls),
              "reset report: %.*s", (int)n, s);
}

static int has(const unsigned char *s, size_t n, const char *lit)
{
    return memmem(s, n, lit, strlen(lit)) != NULL;
}

/* Whether a report publish so far carried the token `hex` (32 upper-case hex digits): from
 * the set, or when the set is full and does not hold it, by scanning every publish. */
static int token_reported(const char *hex)
{
    int slot = reported_slot(hex);
    if (slot >= 0) {
        return R.token[slot][0] != 0;
    }
    int n = mock_pub_count();
    for (int i = 0; i < n; i++) {
        mock_pub_t p = mock_pub_get(i);
        char h[40];
        if (strcmp(p.topic, FZ_TOPIC_MATCH) == 0 &&
            mock_json_str(p.payload, p.len, "token", h, sizeof(h)) == 32 && strcmp(h, hex) == 0) {
            return 1;
        }
    }
    return 0;
}

/* the DEVINFO members after the token (remainTime, type) and the closing braces */
static void check_devinfo_tail(const unsigned char *s, size_t n, const char *what)
{
    static const char tail[] = ",\"type\":0}}";
    size_t lt = sizeof(tail) - 1;
    FZ_ASSERT(n > lt && memcmp(s + n - lt, tail, lt) == 0, "%s tail: %.*s", what, (int)n, s);
    FZ_ASSERT(has(s, n, "\"awssVer\":{\"smartconfig\":\"2.0\"") &&
                  has(s, n, ",\"cipherType\":3,\"token\":\"") &&
                  has(s, n, "\",\"remainTime\":"),
              "%s devinfo: %.*s", what, (int)n, s);
}

void fz_check(void)
{
    FZ_ASSERT(mock_malloc_count() == 0, "HAL_Malloc called %d times", mock_malloc_count());
    mock_mutex_stats_t mx = mock_mutex_stats();
    FZ_ASSERT(mx.locks == mx.unlocks, "mutex locks %d unlocks %d", mx.locks, mx.unlocks);
    FZ_ASSERT(mx.max_depth_violations == 0, "mutex taken twice");

    int np = mock_pub_count();
    for (; S.pubs_seen < np; S.pubs_seen++) {
        mock_pub_t p = mock_pub_get(S.pubs_seen);
        size_t tl = strlen(p.topic);
        if (strcmp(p.topic, FZ_TOPIC_MATCH) == 0) {
            check_report(&p);
        } else if (strcmp(p.topic, FZ_TOPIC_RESET) == 0) {
            check_reset(&p);
        } else {
            FZ_ASSERT(tl > 9 && strcmp(p.topic + tl - 9, "/log/post") == 0, "publish on %s",
                      p.topic);
            FZ_ASSERT(fz_json_valid(p.payload, (size_t)p.len), "statistics not JSON: %.*s",
                      p.len, p.payload);
        }
    }

    int nm = mock_mcast_count();
    for (; S.mcasts_seen < nm; S.mcasts_seen++) {
        mock_mcast_t m = mock_mcast_get(S.mcasts_seen);
        static const char pre[] = "{\"id\":\"";
        static const char mid[] = "\",\"version\":\"1.0\",\"method\":\"device.info.notify\","
                                  "\"params\":{\"awssVer\":";
        char hex[40];
        FZ_ASSERT(strcmp(m.uri, "/sys/device/info/notify") == 0, "notify uri %s", m.uri);
        FZ_ASSERT(fz_json_valid(m.payload, (size_t)m.len), "notify not JSON: %.*s", m.len,
                  m.payload);
        FZ_ASSERT(memcmp(m.payload, pre, sizeof(pre) - 1) == 0 &&
                      has(m.payload, (size_t)m.len, mid),
                  "notify shape: %.*s", m.len, m.payload);
        check_devinfo_tail(m.payload, (size_t)m.len, "notify");
        FZ_ASSERT(mock_json_str(m.payload, m.len, "token", hex, sizeof(hex)) == 32 &&
                      is_hex32_upper((const unsigned char *)hex) && token_reported(hex),
                  "notify token %s never reported", hex);
    }

    int nr = mock_resp_count();
    for (; S.resps_seen < nr; S.resps_seen++) {
        mock_resp_t r = mock_resp_get(S.resps_seen);
        static const char pre[] = "{\"id\":";
        char hex[40];
        FZ_ASSERT(!S.deinited, "answer after awss_bind_deinit(): %.*s", r.len, r.payload);
        FZ_ASSERT(!r.req_null, "answer without a request");
        FZ_ASSERT(fz_json_valid(r.payload, (size_t)r.len), "answer not JSON: %.*s", r.len,
                  r.payload);
        FZ_ASSERT(memcmp(r.payload, pre, sizeof(pre) - 1) == 0 &&
                      has(r.payload, (size_t)r.len, ",\"code\":200,\"data\":{\"awssVer\":"),
                  "answer shape: %.*s", r.len, r.payload);
        check_devinfo_tail(r.payload, (size_t)r.len, "answer");
        FZ_ASSERT(mock_json_str(r.payload, r.len, "token", hex, sizeof(hex)) == 32 &&
                      is_hex32_upper((const unsigned char *)hex),
                  "answer token: %.*s", r.len, r.payload);
        FZ_ASSERT(token_reported(hex), "answer token %s was never reported", hex);
        for (int i = 0; i < S.n_answer_tokens; i++) {
            FZ_ASSERT(strcmp(S.answer_tokens[i], hex) != 0, "two answers carry token %s", hex);
        }
        if (S.n_answer_tokens < MAX_ANSWERS) {
            memcpy(S.answer_tokens[S.n_answer_tokens++], hex, 33);
        }
    }
}

static void pub_id(const char *topic, int nth, char out[16])
{
    mock_pub_t p;
    out[0] = 0;
    if (mock_pub_find(topic, nth, &p) >= 0) {
        mock_json_str(p.payload, p.len, "id", out, 16);
    }
}

void fz_last_report_id(char out[16])
{
    pub_id(FZ_TOPIC_MATCH, -1, out);
}

void fz_last_reset_id(char out[16])
{
    pub_id(FZ_TOPIC_RESET, -1, out);
}

void fz_notify_id(int index, char out[16])
{
    mock_mcast_t m = mock_mcast_get(index);
    out[0] = 0;
    if (m.len > 0) {
        mock_json_str(m.payload, m.len, "id", out, 16);
    }
}

void fz_ack_current(void)
{
    char id[16], buf[96];
    fz_last_report_id(id);
    int n = snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"code\":200,\"data\":{}}", id);
    mock_mqtt_deliver(FZ_TOPIC_MATCH_REPLY, buf, n);
}

unsigned char *fz_subst(const uint8_t *src, size_t len, const char *id, size_t *out_len)
{
    size_t idl = strlen(id);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (i + 3 <= len && memcmp(src + i, "$ID", 3) == 0) {
            n += idl;
            i += 3;
        } else {
            n++;
            i++;
        }
    }
    unsigned char *out = malloc(n ? n : 1);
    if (out == NULL) {
        abort();
    }
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (i + 3 <= len && memcmp(src + i, "$ID", 3) == 0) {
            memcpy(out + o, id, idl);
            o += idl;
            i += 3;
        } else {
            out[o++] = src[i++];
        }
    }
    *out_len = n;
    return out;
}

void fz_mqtt_event(const char *topic, void (*handler)(void *, void *, void *), int kind,
                   int other_type, const unsigned char *payload, size_t len)
{
    iotx_mqtt_topic_info_t info;
    iotx_mqtt_event_msg_t ev;
    memset(&info, 0, sizeof(info));
    switch (kind) {
    case 0:
        /* exactly as the SDK's client: through the subscription, exact-size buffers; when the
         * module is not subscribed (it may have unsubscribed), call the handler directly */
        if (mock_mqtt_deliver(topic, payload, (int)len) != 0) {
            info.payload = (const char *)payload;
            info.payload_len = (uint32_t)len;
            ev.event_type = 12;
            ev.msg = &info;
            handler(NULL, NULL, &ev);
        }
        break;
    case 1:
        handler(NULL, NULL, NULL);
        break;
    case 2:
        ev.event_type = other_type == 12 ? 13 : other_type;
        ev.msg = (void *)payload; /* whatever the client hands over for other events */
        handler(NULL, NULL, &ev);
        break;
    case 3:
        ev.event_type = 12;
        ev.msg = NULL;
        handler(NULL, NULL, &ev);
        break;
    default:
        info.payload = NULL;
        info.payload_len = (uint32_t)len + 1;
        ev.event_type = 12;
        ev.msg = &info;
        handler(NULL, NULL, &ev);
        break;
    }
}

/* ---- a small JSON validator ---------------------------------------------------------------- */
typedef struct {
    const unsigned char *s;
    size_t n, i;
} jp_t;

static void jws(jp_t *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r')) {
        p->i++;
    }
}

static int jlit(jp_t *p, const char *lit)
{
    size_t l = strlen(lit);
    if (p->n - p->i < l || memcmp(p->s + p->i, lit, l) != 0) {
        return 0;
    }
    p->i += l;
    return 1;
}

static int jstring(jp_t *p)
{
    if (p->i >= p->n || p->s[p->i] != '"') {
        return 0;
    }
    p->i++;
    while (p->i < p->n) {
        unsigned char c = p->s[p->i++];
        if (c == '"') {
            return 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            if (p->i >= p->n) {
                return 0;
            }
            c = p->s[p->i++];
            if (c == 'u') {
                for (int k = 0; k < 4; k++) {
                    if (p->i >= p->n) {
                        return 0;
                    }
                    unsigned char h = p->s[p->i++];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                        return 0;
                    }
                }
            } else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
                return 0;
            }
        }
    }
    return 0;
}

static int jdigits(jp_t *p)
{
    size_t st = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        p->i++;
    }
    return p->i > st;
}

static int jnumber(jp_t *p)
{
    if (p->i < p->n && p->s[p->i] == '-') {
        p->i++;
    }
    if (p->i < p->n && p->s[p->i] == '0') {
        p->i++;
    } else if (!jdigits(p)) {
        return 0;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (!jdigits(p)) {
            return 0;
        }
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) {
            p->i++;
        }
        if (!jdigits(p)) {
            return 0;
        }
    }
    return 1;
}

static int jvalue(jp_t *p, int depth)
{
    if (depth > 64) {
        return 0;
    }
    jws(p);
    if (p->i >= p->n) {
        return 0;
    }
    unsigned char c = p->s[p->i];
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        p->i++;
        jws(p);
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return 1;
        }
        for (;;) {
            if (c == '{') {
                jws(p);
                if (!jstring(p)) {
                    return 0;
                }
                jws(p);
                if (p->i >= p->n || p->s[p->i] != ':') {
                    return 0;
                }
                p->i++;
            }
            if (!jvalue(p, depth + 1)) {
                return 0;
            }
            jws(p);
            if (p->i >= p->n) {
                return 0;
            }
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->s[p->i] == close) {
                p->i++;
                return 1;
            }
            return 0;
        }
    }
    if (c == '"') {
        return jstring(p);
    }
    if (c == 't') {
        return jlit(p, "true");
    }
    if (c == 'f') {
        return jlit(p, "false");
    }
    if (c == 'n') {
        return jlit(p, "null");
    }
    return jnumber(p);
}

int fz_json_valid(const unsigned char *s, size_t n)
{
    jp_t p = {s, n, 0};
    if (!jvalue(&p, 0)) {
        return 0;
    }
    jws(&p);
    return p.i == n;
}

void fz_reply(const char *topic, void (*handler)(void *, void *, void *), const uint8_t *data,
              size_t size, const char *id)
{
    size_t len = 0;
    unsigned char *payload = fz_subst(data + 2, size - 2, id, &len);
    int kind = data[0] & 7;
    int mqtt_kind = kind < 4 ? 0 : kind - 3;
    fz_mqtt_event(topic, handler, mqtt_kind, data[1], payload, len);
    free(payload);
    fz_check();
}
