/*
 * The SDK's log level, when the firmware links the SDK's log infrastructure.
 *
 * iotkit-embedded's infra log (src/infra/infra_log.c, built with INFRA_LOG and not
 * INFRA_LOG_ALL_MUTED) defines `int LITE_get_loglevel(void)`: the level that IOT_SetLogLevel
 * sets, numbered as the library's levels are (0 none, 1 crit, 2 error, 3 warning, 4 info,
 * 5 debug). The reference below is weak: it resolves to the SDK's function when the SDK's log
 * object is in the link (every SDK module that logs pulls it in), and to NULL otherwise, so the
 * library links with or without it. A weak reference pulls no archive member in by itself.
 *
 * C, not Rust: a weak undefined reference (`extern_weak` linkage) is unstable in Rust.
 */

extern int LITE_get_loglevel(void) __attribute__((weak));

/* The SDK's log level, or -1 when the firmware links no SDK log. Hidden: internal to the
 * library (the dist archive localizes it). */
__attribute__((visibility("hidden"))) int dev_bind_sdk_log_level(void);

int dev_bind_sdk_log_level(void)
{
    return LITE_get_loglevel ? LITE_get_loglevel() : -1;
}
