/*
 * The library follows the SDK's log level when the firmware links the SDK's log
 * infrastructure, and keeps its own default (info) when it does not, with no
 * dev_bind_set_log_level call. Built twice: with SDK_LOG, this program defines a stand-in of
 * the SDK's `int LITE_get_loglevel(void)` (what IOT_SetLogLevel sets; the library holds a weak
 * reference to it), set to IOT_LOG_DEBUG; without it, nothing defines that name.
 */
#include "helpers.h"

#ifdef SDK_LOG
/* IOT_LOG_NONE 0, CRIT 1, ERROR 2, WARNING 3, INFO 4, DEBUG 5 */
static int g_sdk_level = 5;

int LITE_get_loglevel(void);
int LITE_get_loglevel(void)
{
    return g_sdk_level;
}
#endif

/* Connect and acknowledge the first token: a report, then a notify round. */
static void bind_once(void)
{
    CHECK_EQ(awss_report_cloud(), 0);
    CHECK_EQ(fx_reports(), 1);
    CHECK_EQ(fx_match_reply("0"), 0);
    mock_advance(1000);
    CHECK(mock_log_contains("report token res:"));     /* info */
    CHECK(mock_log_contains("awss_report_token_reply")); /* info */
    CHECK(mock_log_contains("topic:/sys/device/info/notify"));
}

int main(void)
{
    mock_reset();
    if (getenv("MOCK_VERBOSE") == NULL) {
        mock_set_quiet(1);
    }
    mock_advance(5000);

#ifdef SDK_LOG
    /* The SDK's level, with no call of ours: the guide's debug lines come out. */
    CHECK_EQ(dev_bind_get_log_level(), 5);
    bind_once();
    CHECK(mock_log_contains("report token:{\"id\":\"0\""));
    CHECK(mock_log_contains("payload:{\"id\":"));

    /* It follows the SDK's level as it changes: IOT_LOG_NONE prints nothing of ours, not even
     * an error; flow (6) is debug. */
    g_sdk_level = 0;
    CHECK_EQ(dev_bind_get_log_level(), 0);
    mock_clear_records();
    CHECK_EQ(awss_bind_deinit(), 0);
    CHECK_EQ(awss_report_cloud(), 0);
    mock_advance(100000);
    CHECK_EQ(mock_log_total(), 0);
    g_sdk_level = 6;
    CHECK_EQ(dev_bind_get_log_level(), 5);

    /* An explicit call wins over the SDK's level from then on. */
    dev_bind_set_log_level(3);
    CHECK_EQ(dev_bind_get_log_level(), 3);
    g_sdk_level = 5;
    CHECK_EQ(dev_bind_get_log_level(), 3);
    mock_clear_records();
    CHECK_EQ(awss_report_token(), 0);
    CHECK(!mock_log_contains("report token:"));
    CHECK(!mock_log_contains("report token res:"));
#else
    /* No SDK log linked: the library's own default, info; the debug lines stay out. */
    CHECK_EQ(dev_bind_get_log_level(), 4);
    bind_once();
    CHECK(!mock_log_contains("report token:{"));
    CHECK(!mock_log_contains("payload:"));

    /* and an explicit call still sets it */
    dev_bind_set_log_level(5);
    CHECK_EQ(dev_bind_get_log_level(), 5);
    mock_clear_records();
    CHECK_EQ(awss_report_token(), 0);
    CHECK(mock_log_contains("report token:{"));
#endif
    CHECK_EQ(awss_bind_deinit(), 0);
    fx_teardown();
#ifdef SDK_LOG
    printf("PASS sdk_log_level\n");
#else
    printf("PASS no_sdk_log_level\n");
#endif
    return 0;
}
