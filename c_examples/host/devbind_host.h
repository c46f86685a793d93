/*
 * C API of libdevbind_host.so, the Linux stand-in of the SDK parts the device-bind module
 * imports (HAL, MQTT client, CoAP server, events). A device program fills a
 * devbind_host_config_t, calls devbind_host_init(), then devbind_host_connect(); the library's
 * HAL_ / IOT_MQTT_ / CoAP imports are served by the .so (HAL_Printf / HAL_Snprintf by
 * hal_printf.c).
 */
#ifndef DEVBIND_HOST_H
#define DEVBIND_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every string may be NULL (its default). Strings are copied by devbind_host_init(). */
typedef struct {
    const char *broker;      /* "HOST:PORT" of the MQTT 3.1.1 broker (plain TCP) */
    const char *product_key; /* default "a1demoPK01" (at most 20 bytes) */
    const char *device_name; /* default "demo_device_01" (at most 32 bytes) */
    const char *mac;         /* default "02:00:00:00:00:01" */
    const char *ip;          /* default "127.0.0.1" */
    const char *coap_bind;   /* UDP address of the CoAP server, default "0.0.0.0:5683" */
    const char *notify_to;   /* "HOST:PORT": every CoAP notify goes there; NULL: as asked */
    const char *kv_path;     /* KV store file, default "./devbind-kv.txt" */
    uint16_t keep_alive_s;   /* MQTT keep-alive, 0: 60 s */
    int traffic_log;         /* non-zero: log each MQTT / CoAP packet as "host: ..." lines */
} devbind_host_config_t;

/* Checks and stores the configuration, starts the uptime clock, opens the KV file.
 * Returns 0, or -1 with a log line. */
int devbind_host_init(const devbind_host_config_t *cfg);

/* Starts the MQTT thread: connect (clean session, client id "<pk>.<dn>"), retry with a growing
 * delay while the broker is unreachable; after each CONNACK, re-subscribe and call
 * on_connected() on the MQTT thread. Returns 0, or -1 (no broker configured). */
int devbind_host_connect(void (*on_connected)(void));

/* Disconnects MQTT, closes the CoAP server, stops the timer thread, prints the HAL_Malloc /
 * HAL_Free counts. */
void devbind_host_shutdown(void);

/* What IOT_RegisterCallback(evt, cb) does in the SDK: iotx_event_callback(evt) returns cb.
 * ITE_AWSS_STATUS (0) takes an int (*)(int). NULL unregisters. Returns 0, or -1. */
int devbind_host_register_event_callback(int evt, void *cb);
#define DEVBIND_HOST_ITE_AWSS_STATUS 0

/* For a library built with the wifi-provision feature: the AP the simulated Wi-Fi station is on
 * (HAL_Wifi_Get_Ap_Info reports it; default "demo-ap-1", password "demo-pass-1", BSSID
 * 02:00:00:00:0a:01). HAL_Awss_Connect_Ap logs the SSID, never the password, and moves the
 * station to the AP it names. passwd NULL: none; bssid ("AA:BB:CC:DD:EE:FF") NULL: all zero.
 * Returns 0, or -1 with a log line (an SSID not of 1..32 bytes, a password over 64, a bad BSSID). */
int devbind_host_set_ap(const char *ssid, const char *passwd, const char *bssid);

/* HAL_Reboot logs, then exits the process with this status (the stand-in's reboot). */
#define DEVBIND_HOST_REBOOT_EXIT 3

/* Writes len bytes to the process's log stream (stdout), "[<uptime ms>] " at each line start,
 * whole calls atomic with respect to each other. Used by HAL_Printf. */
void devbind_host_write(const char *buf, size_t len);

/* HAL functions the device program itself uses. */
uint64_t HAL_UptimeMs(void);
void HAL_SleepMs(uint32_t ms);
void HAL_Printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int HAL_Snprintf(char *str, const int len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* DEVBIND_HOST_H */
