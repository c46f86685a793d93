/* Shared fixtures for the C tests: topics, expected payloads (SPEC section 5), setup. */
#ifndef HELPERS_H
#define HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "dev_bind_decls.h"
#include "mock_sdk.h"

#define PK "a1GQc8iJOWI"
#define DN "gateway_test01"
#define MAC_UPPER "B0:F8:93:15:BF:21"
#define DEV_IP "10.0.0.59"
#define TOPIC_MATCH "/sys/" PK "/" DN "/thing/awss/enrollee/match"
#define TOPIC_MATCH_REPLY "/sys/" PK "/" DN "/thing/awss/enrollee/match_reply"
#define TOPIC_RESET "/sys/" PK "/" DN "/thing/reset"
#define TOPIC_RESET_REPLY "/sys/" PK "/" DN "/thing/reset_reply"
#define TOPIC_STATS "/sys/" PK "/" DN "/thing/log/post"
#define URI_MCAST "/sys/device/info/get"
#define URI_UCAST "/sys/" PK "/" DN "/device/info/get"
#define URI_NOTIFY "/sys/device/info/notify"
#define LIFETIME_MS 45000

/* Every test starts here: fresh mock records, debug log level, virtual time moved past boot. */
void fx_setup(void);
/* Checks that ran after every test case: no HAL_Malloc, balanced HAL mutexes. */
void fx_teardown(void);

/* The token of the nth report publish (negative: from the end) as 32 hex chars; 0 if found. */
int fx_report_token(int nth, char hex[33]);
/* The id text of the nth report publish. */
int fx_report_id(int nth, char id[16]);
int fx_reports(void);
/* Time of the last report publish carrying token hex. */
uint64_t fx_last_report_time(const char *hex);
/* Expected remainTime for token hex at time now. */
long fx_remain(const char *hex, uint64_t now);

/* Expected payloads, byte for byte. */
void fx_devinfo(char *out, size_t n, const char *hex, long remain);
void fx_expected_report(char *out, size_t n, const char *id, const char *hex);
void fx_expected_notify(char *out, size_t n, unsigned id, const char *hex, long remain);
void fx_expected_answer(char *out, size_t n, const char *id_json, const char *hex, long remain);

/* Checks that the nth report publish is a well-formed report of some token; returns it. */
void fx_check_report(int nth, const char *expect_id, char hex[33]);

/* Cloud and phone inputs. */
int fx_match_reply(const char *id);                 /* {"id":"<id>","code":200,"data":{}} */
int fx_reset_reply(const char *id);
int fx_query(const char *uri, const char *host, uint16_t msgid, const char *payload);
int fx_query_json_id(const char *uri, const char *host, uint16_t msgid, const char *id_json);

/* Broadcast destination of the k-th notify (0-based) for device IP 10.0.0.59. */
const char *fx_notify_dest(unsigned k);

int fx_is_hex32(const char *s);

#endif /* HELPERS_H */
