/*
 * devbind-device: an example firmware program. It links the device-bind library
 * (libiot_dev_bind.a) with the Linux stand-in of the rest of the SDK (libdevbind_host.so +
 * hal_printf.c), connects to an MQTT broker and runs the bind flows for real: token report over
 * MQTT, device.info.notify broadcasts and device-info queries over CoAP/UDP.
 *
 * Usage: devbind-device --broker HOST:PORT [options]   (--help lists them)
 *
 * Built with DEV_BIND_WIFI_PROVISION defined and linked with a library built with the
 * wifi-provision feature, it is devbind-device-wifi: a Wi-Fi product's build. The cloud can then
 * ask it to switch AP (thing.awss.device.switchap); the stand-in's station is on the AP given by
 * --ap-ssid/--ap-passwd/--ap-bssid, and HAL_Reboot ends the process with status
 * DEVBIND_HOST_REBOOT_EXIT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devbind_host.h"
#include "iot_dev_bind.h"

#define LOG(...) HAL_Printf("device: " __VA_ARGS__)

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int on_awss_status(int event)
{
    LOG("awss status event 0x%04x\n", event);
    return 0;
}

static void on_connected(void)
{
    int rc;

    LOG("mqtt connect success!\n");
    rc = awss_report_cloud();
    LOG("awss_report_cloud() = %d\n", rc);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: devbind-device --broker HOST:PORT [options]\n"
            "  --pk PK --dn DN          product key / device name (a1demoPK01 / demo_device_01)\n"
            "  --mac AA:BB:CC:DD:EE:FF  --ip A.B.C.D   identity for DEVINFO\n"
            "  --coap-bind HOST:PORT    CoAP server address (0.0.0.0:5683)\n"
            "  --notify-to HOST:PORT    send every notify there instead of the broadcast address\n"
            "  --kv FILE                KV store file (./devbind-kv.txt)\n"
            "  --token HEX32            phone-made token (flow C), written to aes_random\n"
            "  --token-via-api          pass --token with dev_bind_set_token() instead\n"
            "  --factory-reset          awss_report_reset() before connecting\n"
            "  --report-retry-ms N --report-attempts N --token-lifetime-ms N\n"
            "  --notify-count N --notify-step-ms N --reset-retry-ms N   dev_bind_set_config()\n"
            "  --log-level N            dev_bind_set_log_level (5 = debug)\n"
            "  --keep-alive S           MQTT keep-alive seconds (60)\n"
            "  --quiet-host             no per-packet MQTT/CoAP lines from the stand-in\n"
            "  --run-ms N               exit after N ms (default: until SIGINT/SIGTERM)\n"
#ifdef DEV_BIND_WIFI_PROVISION
            "  --ap-ssid SSID --ap-passwd PASS --ap-bssid AA:BB:CC:DD:EE:FF\n"
            "                           the AP the Wi-Fi station is on (demo-ap-1)\n"
#endif
            );
}

static int parse_u32(const char *name, const char *text, uint32_t max, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max) {
        fprintf(stderr, "devbind-device: %s: `%s` is not a number in 0..%u\n", name, text, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_token(const char *text, uint8_t out[16])
{
    int i;

    if (strlen(text) != 32) {
        return -1;
    }
    for (i = 0; i < 16; i++) {
        unsigned int b;
        char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
        char *end = NULL;
        if (pair[0] == '\0' || pair[1] == '\0') {
            return -1;
        }
        b = (unsigned int)strtoul(pair, &end, 16);
        if (end != pair + 2) {
            return -1;
        }
        out[i] = (uint8_t)b;
    }
    return 0;
}

enum {
    OPT_BROKER = 256, OPT_PK, OPT_DN, OPT_MAC, OPT_IP, OPT_COAP_BIND, OPT_NOTIFY_TO, OPT_KV,
    OPT_TOKEN, OPT_TOKEN_API, OPT_FACTORY_RESET, OPT_REPORT_RETRY, OPT_REPORT_ATTEMPTS,
    OPT_TOKEN_LIFETIME, OPT_NOTIFY_COUNT, OPT_NOTIFY_STEP, OPT_RESET_RETRY, OPT_LOG_LEVEL,
    OPT_RUN_MS, OPT_KEEP_ALIVE, OPT_QUIET_HOST, OPT_AP_SSID, OPT_AP_PASSWD, OPT_AP_BSSID,
    OPT_HELP
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"broker", required_argument, NULL, OPT_BROKER},
        {"pk", required_argument, NULL, OPT_PK},
        {"dn", required_argument, NULL, OPT_DN},
        {"mac", required_argument, NULL, OPT_MAC},
        {"ip", required_argument, NULL, OPT_IP},
        {"coap-bind", required_argument, NULL, OPT_COAP_BIND},
        {"notify-to", required_argument, NULL, OPT_NOTIFY_TO},
        {"kv", required_argument, NULL, OPT_KV},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"token-via-api", no_argument, NULL, OPT_TOKEN_API},
        {"factory-reset", no_argument, NULL, OPT_FACTORY_RESET},
        {"report-retry-ms", required_argument, NULL, OPT_REPORT_RETRY},
        {"report-attempts", required_argument, NULL, OPT_REPORT_ATTEMPTS},
        {"token-lifetime-ms", required_argument, NULL, OPT_TOKEN_LIFETIME},
        {"notify-count", required_argument, NULL, OPT_NOTIFY_COUNT},
        {"notify-step-ms", required_argument, NULL, OPT_NOTIFY_STEP},
        {"reset-retry-ms", required_argument, NULL, OPT_RESET_RETRY},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"run-ms", required_argument, NULL, OPT_RUN_MS},
        {"keep-alive", required_argument, NULL, OPT_KEEP_ALIVE},
        {"quiet-host", no_argument, NULL, OPT_QUIET_HOST},
#ifdef DEV_BIND_WIFI_PROVISION
        {"ap-ssid", required_argument, NULL, OPT_AP_SSID},
        {"ap-passwd", required_argument, NULL, OPT_AP_PASSWD},
        {"ap-bssid", required_argument, NULL, OPT_AP_BSSID},
#endif
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    devbind_host_config_t host;
    /* SPEC section 6 defaults; only sent to the library if a flag changes one. */
    dev_bind_config_t bind_cfg = {30000, 2, 45000, 30, 100, 3000};
    int bind_cfg_set = 0;
    uint8_t token[16];
    int have_token = 0, token_via_api = 0, factory_reset = 0;
    uint32_t log_level = 5, run_ms = 0, v = 0;
    const char *ap_ssid = NULL, *ap_passwd = NULL, *ap_bssid = NULL;
    int c;
    struct sigaction sa;
    uint64_t start;

    memset(&host, 0, sizeof host);
    host.kv_path = "./devbind-kv.txt";
    host.traffic_log = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_BROKER: host.broker = optarg; break;
        case OPT_PK: host.product_key = optarg; break;
        case OPT_DN: host.device_name = optarg; break;
        case OPT_MAC: host.mac = optarg; break;
        case OPT_IP: host.ip = optarg; break;
        case OPT_COAP_BIND: host.coap_bind = optarg; break;
        case OPT_NOTIFY_TO: host.notify_to = optarg; break;
        case OPT_KV: host.kv_path = optarg; break;
        case OPT_TOKEN:
            if (parse_token(optarg, token) != 0) {
                fprintf(stderr, "devbind-device: --token wants 32 hex digits\n");
                return 2;
            }
            have_token = 1;
            break;
        case OPT_TOKEN_API: token_via_api = 1; break;
        case OPT_FACTORY_RESET: factory_reset = 1; break;
        case OPT_REPORT_RETRY:
            if (parse_u32("--report-retry-ms", optarg, UINT32_MAX, &bind_cfg.report_retry_ms)) return 2;
            bind_cfg_set = 1;
            break;
        case OPT_REPORT_ATTEMPTS:
            if (parse_u32("--report-attempts", optarg, 255, &v)) return 2;
            bind_cfg.report_attempts = (uint8_t)v;
            bind_cfg_set = 1;
            break;
        case OPT_TOKEN_LIFETIME:
            if (parse_u32("--token-lifetime-ms", optarg, UINT32_MAX, &bind_cfg.token_lifetime_ms)) return 2;
            bind_cfg_set = 1;
            break;
        case OPT_NOTIFY_COUNT:
            if (parse_u32("--notify-count", optarg, 255, &v)) return 2;
            bind_cfg.notify_count = (uint8_t)v;
            bind_cfg_set = 1;
            break;
        case OPT_NOTIFY_STEP:
            if (parse_u32("--notify-step-ms", optarg, UINT32_MAX, &bind_cfg.notify_step_ms)) return 2;
            bind_cfg_set = 1;
            break;
        case OPT_RESET_RETRY:
            if (parse_u32("--reset-retry-ms", optarg, UINT32_MAX, &bind_cfg.reset_retry_ms)) return 2;
            bind_cfg_set = 1;
            break;
        case OPT_LOG_LEVEL:
            if (parse_u32("--log-level", optarg, 10, &log_level)) return 2;
            break;
        case OPT_RUN_MS:
            if (parse_u32("--run-ms", optarg, UINT32_MAX, &run_ms)) return 2;
            break;
        case OPT_KEEP_ALIVE:
            if (parse_u32("--keep-alive", optarg, 65535, &v)) return 2;
            host.keep_alive_s = (uint16_t)v;
            break;
        case OPT_QUIET_HOST: host.traffic_log = 0; break;
        case OPT_AP_SSID: ap_ssid = optarg; break;
        case OPT_AP_PASSWD: ap_passwd = optarg; break;
        case OPT_AP_BSSID: ap_bssid = optarg; break;
        case OPT_HELP:
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "devbind-device: unexpected argument `%s`\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (host.broker == NULL) {
        fprintf(stderr, "devbind-device: --broker HOST:PORT is required\n");
        usage(stderr);
        return 2;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (devbind_host_init(&host) != 0) {
        fprintf(stderr, "devbind-device: bad configuration (see the log)\n");
        return 2;
    }
    if ((ap_ssid != NULL || ap_passwd != NULL || ap_bssid != NULL) &&
        devbind_host_set_ap(ap_ssid ? ap_ssid : "demo-ap-1", ap_passwd, ap_bssid) != 0) {
        fprintf(stderr, "devbind-device: bad --ap-ssid/--ap-passwd/--ap-bssid (see the log)\n");
        return 2;
    }
    start = HAL_UptimeMs();
    LOG("starting: broker %s, pk %s, dn %s%s\n", host.broker,
        host.product_key ? host.product_key : "a1demoPK01",
        host.device_name ? host.device_name : "demo_device_01",
#ifdef DEV_BIND_WIFI_PROVISION
        ", wifi-provision build"
#else
        ""
#endif
        );

    dev_bind_set_log_level((int)log_level);
    if (bind_cfg_set) {
        int rc = dev_bind_set_config(&bind_cfg);
        LOG("dev_bind_set_config(report_retry_ms=%u report_attempts=%u token_lifetime_ms=%u "
            "notify_count=%u notify_step_ms=%u reset_retry_ms=%u) = %d\n",
            (unsigned)bind_cfg.report_retry_ms, (unsigned)bind_cfg.report_attempts,
            (unsigned)bind_cfg.token_lifetime_ms, (unsigned)bind_cfg.notify_count,
            (unsigned)bind_cfg.notify_step_ms, (unsigned)bind_cfg.reset_retry_ms, rc);
        if (rc != 0) {
            devbind_host_shutdown();
            return 2;
        }
    }
    devbind_host_register_event_callback(DEVBIND_HOST_ITE_AWSS_STATUS, (void *)on_awss_status);
    if (have_token) {
        if (token_via_api) {
            LOG("dev_bind_set_token() = %d\n", dev_bind_set_token(token));
        } else {
            memcpy(aes_random, token, sizeof token);
            LOG("phone token written to aes_random\n");
        }
    }
    if (factory_reset) {
        LOG("factory reset: awss_report_reset() = %d\n", awss_report_reset());
    }
    if (devbind_host_connect(on_connected) != 0) {
        devbind_host_shutdown();
        return 1;
    }
    while (!g_stop && (run_ms == 0 || HAL_UptimeMs() - start < run_ms)) {
        HAL_SleepMs(50);
    }
    LOG("exiting (%s)\n", g_stop ? "signal" : "--run-ms elapsed");
    LOG("awss_bind_deinit() = %d\n", awss_bind_deinit());
    devbind_host_shutdown();
    return 0;
}
