/*
 * Anomaly tests: the platform fails under the library, one import at a time, and nothing may
 * break or be lost. For each flow, a clean run counts the calls of every import; then for each
 * import and each N up to that count, the flow runs again (in a fork of its own, so every run
 * starts from a fresh library) with the Nth call failing:
 *   once        only call N fails (a transient fault);
 *   from        every call from N on fails until the flow's steps are done (a persistent
 *               fault, healed afterwards, as a broker or a Wi-Fi link comes back);
 *   heal3       calls N .. N+2 fail, then the import works again.
 * After the fault, virtual time runs on (RECOVER_MS) and these must hold:
 *   - no HAL_Malloc, balanced and never nested HAL mutex locks, nothing used after a failed
 *     create (AddressSanitizer and the mock's handle checks catch it);
 *   - no hot loop: at most HOT_CALLBACKS timer callbacks in any second of virtual time;
 *   - nothing lost: the flow still reaches its goal (the token reaches the cloud and the notify
 *     round starts, a waiting phone is answered or released with a log line, the reset flag
 *     reaches the cloud, ...) by itself, within RECOVER_MS. A failed create (HAL_MutexCreate,
 *     HAL_Timer_Create) is reported to the caller instead: the export returns -1 or logs an
 *     error line, and the goal must be reached once the caller runs the flow again after the
 *     heal.
 *
 *   test_faults --list                      the flows
 *   test_faults <flow> [once|from|heal3] [max-N]
 *   test_faults all [max-N]                 every flow, every mode
 *
 * It prints one line per failed run and a summary: runs, failures by import.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define RECOVER_MS (10u * 60u * 1000u)
#define HOT_CALLBACKS 100
#define IOTX_AWSS_BIND_NOTIFY 0x100F
#define IOTX_RESET 0x3000

enum mode { ONCE, FROM, HEAL3 };
static const char *const k_modes[] = {"once", "from", "heal3"};

/* ---- the flows ---------------------------------------------------------------------------- */
/* Each flow's steps run with the fault armed; its goal is checked after every second of the
 * recovery. */
typedef struct {
    const char *name;
    void (*steps)(void);
    int (*goal)(void);
    void (*each_second)(void); /* what the LAN does on its own while time runs (or NULL) */
} flow_t;

static int g_api_failed; /* an export returned -1 during the steps */

static void api(int rc)
{
    g_api_failed |= rc != 0;
}

/* the token was acknowledged and its notify round ran whole: every broadcast of the round was
 * sent or failed in the send itself (a failed arm of the timer must not end the round) */
#define NOTIFY_COUNT 30
static int notify_round_ran(void)
{
    if (mock_event_count_of(IOTX_AWSS_BIND_NOTIFY) == 0) {
        return 0;
    }
    /* whole, or cut short only by the token's lifetime (a round that started late) */
    return mock_mcast_count() + mock_import_failed(MOCK_IMP_COAP_MCAST_SEND) >= NOTIFY_COUNT ||
           (mock_mcast_count() > 0 && mock_log_contains("notify ended: no valid token"));
}

/* connect, the cloud acknowledges each report 50 ms later */
static void connect_reply(void)
{
    mock_cloud_auto_ack(1, 50);
    api(awss_report_cloud());
    mock_advance(1000);
}

/* connect, the cloud never answers: the report still reaches it */
static void connect_silent(void)
{
    api(awss_report_cloud());
    mock_advance(1000);
}
static int reported(void) { return fx_reports() > 0; }

/* connect, acked, then a phone asks */
static int g_answers_before;
/* A phone asks again every second while its query reached no resource (no CoAP server ran),
 * as phone apps do; one that reached the library is left to it. */
static const char *g_query;
static int g_query_delivered;
static uint16_t g_query_msgid;

static void ask(const char *payload, uint16_t msgid)
{
    g_query = payload;
    g_query_msgid = msgid;
    g_query_delivered = fx_query(URI_MCAST, "10.0.0.100", msgid, payload) >= 0;
}

static void phone_asks_again(void)
{
    if (g_query != NULL && !g_query_delivered) {
        ask(g_query, (uint16_t)(g_query_msgid + 1));
    }
}

static void query_valid(void)
{
    mock_cloud_auto_ack(1, 50);
    api(awss_report_cloud());
    mock_advance(1000);
    g_answers_before = mock_resp_count();
    ask("{\"id\":\"123\",\"version\":\"1.0\",\"params\":{}}", 77);
    mock_advance(1000);
}
/* answered, or released with a warning or error line that names the query or its answer */
static int answered_or_released(void)
{
    if (mock_resp_count() > g_answers_before) {
        return 1;
    }
    const char *levels[] = {"[wrn]", "[err]"};
    char line[256];
    for (int i = 0; i < 2; i++) {
        if (mock_log_last(levels[i], line, sizeof(line)) != NULL &&
            (strstr(line, "query") != NULL || strstr(line, "answer") != NULL)) {
            return 1;
        }
    }
    return 0;
}

/* connect, acked, the token expires, then a phone asks: re-report, answer on the ack */
static void query_expired(void)
{
    mock_cloud_auto_ack(1, 50);
    api(awss_report_cloud());
    mock_advance(LIFETIME_MS + 5000);
    g_answers_before = mock_resp_count();
    ask("{\"id\":\"125\",\"version\":\"1.0\",\"params\":{}}", 79);
    mock_advance(1000);
}

/* a factory reset, then connect: the reset reaches the cloud, then binding starts */
static void reset_then_connect(void)
{
    mock_cloud_auto_ack(1, 50);
    api(awss_report_reset());
    api(awss_report_cloud());
    mock_advance(1000);
}
static int reset_acked(void) { return mock_event_count_of(IOTX_RESET) > 0; }

/* the flag a reset persisted before this boot: the connect reports it first */
static void reset_pending_boot(void)
{
    mock_cloud_auto_ack(1, 50);
    mock_kv_put("awss.rst", "\x01", 1);
    api(awss_report_cloud());
    mock_advance(1000);
}

/* a session, deinit, a new session: the new one binds too */
static int g_notifies_before;
static void deinit_reconnect(void)
{
    mock_cloud_auto_ack(1, 50);
    api(awss_report_cloud());
    mock_advance(1000);
    api(awss_bind_deinit());
    mock_advance(1000);
    g_notifies_before = mock_event_count_of(IOTX_AWSS_BIND_NOTIFY);
    api(awss_report_cloud());
    mock_advance(1000);
}
static int new_session_notifies(void)
{
    return mock_event_count_of(IOTX_AWSS_BIND_NOTIFY) > g_notifies_before;
}

static const flow_t k_flows[] = {
    {"connect_reply", connect_reply, notify_round_ran, NULL},
    {"connect_silent", connect_silent, reported, NULL},
    {"query_valid", query_valid, answered_or_released, phone_asks_again},
    {"query_expired", query_expired, answered_or_released, phone_asks_again},
    {"reset_then_connect", reset_then_connect, reset_acked, NULL},
    {"reset_pending_boot", reset_pending_boot, reset_acked, NULL},
    {"deinit_reconnect", deinit_reconnect, new_session_notifies, NULL},
};
#define N_FLOWS (sizeof(k_flows) / sizeof(k_flows[0]))

/* ---- one run ------------------------------------------------------------------------------ */
static void start(void)
{
    mock_reset();
    mock_set_quiet(getenv("MOCK_VERBOSE") == NULL);
    mock_advance(5000);
}

/* Runs the flow with imp's calls failing per mode from call n (n 0: no fault); 0 when every
 * invariant held, else prints why and returns 1. */
#define BROKEN(...)                                                                         \
    do {                                                                                    \
        printf("FAIL %s %s call %d %s: ", f->name, n > 0 ? mock_import_name(imp) : "(none)", \
               n, k_modes[mode]);                                                           \
        printf(__VA_ARGS__);                                                                \
        printf("\n");                                                                       \
        return 1;                                                                           \
    } while (0)

static int run(const flow_t *f, mock_import_t imp, int n, enum mode mode)
{
    start();
    dev_bind_set_log_level(5);
    if (n > 0) {
        mock_fail(imp, n, mode == ONCE ? 1 : mode == HEAL3 ? 3 : -1);
    }
    g_api_failed = 0;
    f->steps();
    mock_fail_none();
    int create = n > 0 && (imp == MOCK_IMP_MUTEX_CREATE || imp == MOCK_IMP_TIMER_CREATE) &&
                 mock_import_failed(imp) > 0;
    if (create) {
        if (!g_api_failed && !mock_log_contains("[err]")) {
            BROKEN("the failed create was neither returned nor logged");
        }
        f->steps();
    }
    /* A timer that could not be armed while a lasting fault lasted (its immediate retries
     * failed too) is armed again at the next entry into the library: there is no other clock
     * to wake it. After its error line, one entry must be enough. */
    if (n > 0 && imp == MOCK_IMP_TIMER_START && mode == FROM && mock_import_failed(imp) > 0) {
        if (!mock_log_contains("HAL_Timer_Start failed")) {
            BROKEN("the failed HAL_Timer_Start was not logged");
        }
        (void)awss_token_remain_time();
    }
    int met = f->goal();
    for (unsigned t = 0; t < RECOVER_MS && !met; t += 1000) {
        int callbacks = mock_advance(1000);
        if (callbacks > HOT_CALLBACKS) {
            BROKEN("%d timer callbacks in one second: a hot loop", callbacks);
        }
        if (f->each_second != NULL) {
            f->each_second();
        }
        met = f->goal();
    }
    mock_mutex_stats_t mx = mock_mutex_stats();
    if (mock_malloc_count() != 0) {
        BROKEN("HAL_Malloc called %d times", mock_malloc_count());
    }
    if (mx.locks != mx.unlocks || mx.max_depth_violations != 0) {
        BROKEN("mutex locks %d, unlocks %d, nested %d", mx.locks, mx.unlocks,
               mx.max_depth_violations);
    }
    if (!met) {
        BROKEN("lost: the goal was not reached %u s after the fault", RECOVER_MS / 1000);
    }
    return 0;
}

/* ---- the sweep ---------------------------------------------------------------------------- */
static int g_runs, g_failures, g_by_import[MOCK_IMP_COUNT];

/* one run in a child process: a fresh library every time */
static void sweep_one(const flow_t *f, mock_import_t imp, int n, enum mode mode)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        int rc = run(f, imp, n, mode);
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    g_runs++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_failures++;
        g_by_import[imp]++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
            printf("FAIL %s %s call %d %s: %s %d\n", f->name, mock_import_name(imp), n,
                   k_modes[mode], WIFEXITED(status) ? "exit status" : "killed by signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
    }
}

/* the calls of each import in a clean run of f, in a child */
static void clean_counts(const flow_t *f, int counts[MOCK_IMP_COUNT])
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(2);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        int rc = run(f, MOCK_IMP_COUNT, 0, ONCE);
        for (int i = 0; i < MOCK_IMP_COUNT; i++) {
            counts[i] = mock_import_calls((mock_import_t)i);
        }
        ssize_t w = write(fds[1], counts, sizeof(int) * MOCK_IMP_COUNT);
        _exit(rc != 0 || w != (ssize_t)(sizeof(int) * MOCK_IMP_COUNT));
    }
    close(fds[1]);
    ssize_t r = read(fds[0], counts, sizeof(int) * MOCK_IMP_COUNT);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (r != (ssize_t)(sizeof(int) * MOCK_IMP_COUNT) || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        printf("FAIL %s: the clean run failed\n", f->name);
        exit(1);
    }
}

static void sweep(const flow_t *f, int modes_mask, int max_n)
{
    int counts[MOCK_IMP_COUNT];
    clean_counts(f, counts);
    for (int i = 0; i < MOCK_IMP_COUNT; i++) {
        int last = counts[i] < max_n ? counts[i] : max_n;
        for (int n = 1; n <= last; n++) {
            for (int m = ONCE; m <= HEAL3; m++) {
                if (modes_mask & (1 << m)) {
                    sweep_one(f, (mock_import_t)i, n, (enum mode)m);
                }
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < N_FLOWS; i++) {
            printf("%s\n", k_flows[i].name);
        }
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s --list | all [max-N] | <flow> [once|from|heal3] [max-N]\n",
                argv[0]);
        return 2;
    }
    int modes = 7, max_n = 1000, arg = 2;
    if (argc > arg && strcmp(argv[1], "all") != 0) {
        for (int m = ONCE; m <= HEAL3; m++) {
            if (strcmp(argv[arg], k_modes[m]) == 0) {
                modes = 1 << m;
                arg++;
                break;
            }
        }
    }
    if (argc > arg) {
        max_n = atoi(argv[arg]);
    }
    int found = 0;
    for (size_t i = 0; i < N_FLOWS; i++) {
        if (strcmp(argv[1], "all") == 0 || strcmp(argv[1], k_flows[i].name) == 0) {
            sweep(&k_flows[i], modes, max_n);
            found = 1;
        }
    }
    if (!found) {
        fprintf(stderr, "unknown flow '%s'\n", argv[1]);
        return 2;
    }
    printf("%d faulted runs, %d failed", g_runs, g_failures);
    for (int i = 0; i < MOCK_IMP_COUNT; i++) {
        if (g_by_import[i] > 0) {
            printf("; %s %d", mock_import_name((mock_import_t)i), g_by_import[i]);
        }
    }
    printf("\n");
    return g_failures != 0;
}
