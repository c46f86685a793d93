/*
 * The library's C API as the tests use it: the generated include/iot_dev_bind.h when built with
 * DEV_BIND_USE_GENERATED_HEADER, else the same prototypes (SPEC section 3) declared here.
 */
#ifndef DEV_BIND_DECLS_H
#define DEV_BIND_DECLS_H

#include <stdint.h>

#ifdef DEV_BIND_USE_GENERATED_HEADER
#include "iot_dev_bind.h"
#else
typedef struct {
    uint32_t report_retry_ms;
    uint8_t report_attempts;
    uint32_t token_lifetime_ms;
    uint8_t notify_count;
    uint32_t notify_step_ms;
    uint32_t reset_retry_ms;
} dev_bind_config_t;

int awss_report_cloud(void);
int awss_bind_deinit(void);
int awss_check_reset(void);
int awss_report_reset(void);
int awss_stop_report_reset(void);
int awss_start_bind(void);
int awss_report_token(void);
int awss_stop_report_token(void);
int awss_update_token(void);
int awss_token_remain_time(void);
int awss_token_timeout(void);
void awss_report_token_reply(void *pcontext, void *pclient, void *msg);
void awss_report_reset_reply(void *pcontext, void *pclient, void *msg);
int awss_report_reset_to_cloud(void);
int awss_dev_bind_notify(void);
int awss_dev_bind_notify_stop(void);
int awss_notify_dev_info(int type, int count);
int online_mcast_get_device_info(void *ctx, void *resource, void *remote, void *request);
int online_ucast_get_device_info(void *ctx, void *resource, void *remote, void *request);
extern uint8_t aes_random[16];
extern char awss_report_token_suc;
extern char awss_report_token_cnt;

int dev_bind_set_config(const dev_bind_config_t *cfg);
void dev_bind_get_config(dev_bind_config_t *out);
int dev_bind_set_token(const uint8_t token[16]);
void dev_bind_set_log_level(int level);
int dev_bind_get_log_level(void);
#endif

#endif /* DEV_BIND_DECLS_H */
