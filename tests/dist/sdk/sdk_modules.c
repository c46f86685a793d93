/*
 * A stand-in of the SDK's other modules in libiot_sdk.a. PART=1: the module that drives the
 * bind module (the SDK's linkkit calls awss_report_cloud when MQTT connects and
 * awss_bind_deinit when it closes). PART=2: the MQTT client, recording what was published.
 * PART=4: the CoAP server and the event functions, which only the bind module calls (so a
 * separate bind archive after libiot_sdk.a leaves them undefined, as in the SDK). PART=3:
 * another object named like a bind object (os_misc.o) in another directory, defining no bind
 * export.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if PART == 1
int awss_report_cloud(void);
int awss_bind_deinit(void);
int sdk_connect(void);
int sdk_close(void);
int sdk_connect(void) { return awss_report_cloud(); }
int sdk_close(void) { return awss_bind_deinit(); }

#elif PART == 2
int sdk_publishes;
char sdk_last_payload[256];

int IOT_MQTT_Subscribe(void *handle, const char *topic, int qos, void *cb, void *ctx);
int IOT_MQTT_Unsubscribe(void *handle, const char *topic);
int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len);

int IOT_MQTT_Subscribe(void *handle, const char *topic, int qos, void *cb, void *ctx)
{
    (void)handle, (void)topic, (void)qos, (void)cb, (void)ctx;
    return 0;
}
int IOT_MQTT_Unsubscribe(void *handle, const char *topic)
{
    (void)handle, (void)topic;
    return 0;
}
int IOT_MQTT_Publish_Simple(void *handle, const char *topic, int qos, void *data, int len)
{
    (void)handle, (void)qos;
    size_t n = len < 0 ? 0 : (size_t)len;
    if (strstr(topic, "/thing/awss/enrollee/match") != NULL && n < sizeof(sdk_last_payload)) {
        memcpy(sdk_last_payload, data, n);
        sdk_last_payload[n] = '\0';
        sdk_publishes++;
    }
    return 0;
}

#elif PART == 4
void *CoAPServer_init(void);
void CoAPServer_deinit(void *ctx);
int CoAPServer_register(void *ctx, const char *uri, void *cb);
int CoAPServerMultiCast_send(void *ctx, void *remote, const char *uri, uint8_t *buf, uint16_t len,
                             void *cb, uint16_t *msgid);
int CoAPServerResp_send(void *ctx, void *remote, uint8_t *buf, uint16_t len, void *req,
                        const char *paths, void *cb, uint16_t *msgid, char qos);
int CoAPMessageId_cancel(void *ctx, uint16_t msgid);
int CoAPObsServer_notify(void *ctx, const char *uri, uint8_t *buf, uint16_t len, void *cb);
int iotx_event_post(int event);
void *iotx_event_callback(int evt);

static int g_coap;
void *CoAPServer_init(void) { return &g_coap; }
void CoAPServer_deinit(void *ctx) { (void)ctx; }
int CoAPServer_register(void *ctx, const char *uri, void *cb)
{
    (void)ctx, (void)uri, (void)cb;
    return 0;
}
int CoAPServerMultiCast_send(void *ctx, void *remote, const char *uri, uint8_t *buf, uint16_t len,
                             void *cb, uint16_t *msgid)
{
    (void)ctx, (void)remote, (void)uri, (void)buf, (void)len, (void)cb, (void)msgid;
    return 0;
}
int CoAPServerResp_send(void *ctx, void *remote, uint8_t *buf, uint16_t len, void *req,
                        const char *paths, void *cb, uint16_t *msgid, char qos)
{
    (void)ctx, (void)remote, (void)buf, (void)len, (void)req, (void)paths, (void)cb, (void)msgid,
        (void)qos;
    return 0;
}
int CoAPMessageId_cancel(void *ctx, uint16_t msgid)
{
    (void)ctx, (void)msgid;
    return 0;
}
int CoAPObsServer_notify(void *ctx, const char *uri, uint8_t *buf, uint16_t len, void *cb)
{
    (void)ctx, (void)uri, (void)buf, (void)len, (void)cb;
    return 0;
}
int iotx_event_post(int event)
{
    (void)event;
    return 0;
}
void *iotx_event_callback(int evt)
{
    (void)evt;
    return NULL;
}

#else
int os_misc_other_module(void);
int os_misc_other_module(void) { return 7; }
#endif
