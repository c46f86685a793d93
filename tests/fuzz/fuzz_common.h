/*
 * Shared harness of the libFuzzer targets: a fresh bind session per input on the mock SDK's
 * virtual time, hostile bytes in, and invariant checks after every step.
 *
 * Invariants (fz_check):
 *  - no HAL_Malloc in any flow (the mock counts them);
 *  - HAL mutex locks and unlocks balance, never taken twice by one thread;
 *  - every token report publish is byte for byte the SPEC section 5 text with a decimal id and
 *    32 upper-case hex digits, qos 1; every reset report is the SPEC text, qos 0;
 *  - every notify broadcast and every query answer is valid JSON of the SPEC shape, carries a
 *    token that was reported, and no two answers carry the same token;
 *  - every answer echoes its request's message id and token (faithful copy);
 *  - nothing is answered between awss_bind_deinit() and the next start of binding.
 * A broken invariant prints a line to stderr and aborts, which libFuzzer reports as a crash.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "iot_dev_bind.h"
#include "mock_sdk.h"

#define FZ_PK "a1GQc8iJOWI"
#define FZ_DN "gateway_test01"
#define FZ_TOPIC_MATCH "/sys/" FZ_PK "/" FZ_DN "/thing/awss/enrollee/match"
#define FZ_TOPIC_MATCH_REPLY "/sys/" FZ_PK "/" FZ_DN "/thing/awss/enrollee/match_reply"
#define FZ_TOPIC_RESET "/sys/" FZ_PK "/" FZ_DN "/thing/reset"
#define FZ_TOPIC_RESET_REPLY "/sys/" FZ_PK "/" FZ_DN "/thing/reset_reply"
#define FZ_URI_MCAST "/sys/device/info/get"
#define FZ_URI_UCAST "/sys/" FZ_PK "/" FZ_DN "/device/info/get"

#define FZ_ASSERT(cond, ...)                                                                   \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                   \
        }                                                                                      \
    } while (0)

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* Start of every input: deinit, clear the mock, default config, 1 s of virtual time; then
 * awss_report_cloud() when bind is non-zero. */
void fz_begin(int bind);
/* Check every invariant on what happened since the last check. */
void fz_check(void);

/* The harness's view of the session, for the no-answer-after-deinit check. */
void fz_note_deinit(void);
void fz_note_bind_started(void);

/* The id text of the last token report ("" if none). */
void fz_last_report_id(char out[16]);
/* The id text of the last reset report ("" if none). */
void fz_last_reset_id(char out[16]);
/* The id text of the index-th notify broadcast ("" if none). */
void fz_notify_id(int index, char out[16]);

/* Deliver a match_reply acknowledging the current token. */
void fz_ack_current(void);

/* Copy src into a fresh exact-size heap buffer (so ASan sees any over-read), replacing each
 * "$ID" with id. *out_len receives the length. Free with free(). */
unsigned char *fz_subst(const uint8_t *src, size_t len, const char *id, size_t *out_len);

/* Deliver an MQTT event to the handler of topic: kind 0 = normal publish (exact-size buffers),
 * 1 = NULL event, 2 = another event type, 3 = event 12 with NULL topic info, 4 = event 12 with
 * a NULL payload and a non-zero payload_len. */
void fz_mqtt_event(const char *topic, void (*handler)(void *, void *, void *), int kind,
                   int other_type, const unsigned char *payload, size_t len);

/* The reply targets' common step: data[0] picks the event kind (see fz_mqtt_event; kinds
 * 0..3 are a normal publish), data[1] the other event type, data[2..] is the payload with
 * "$ID" replaced by id; the event goes to handler as the reply on topic, then fz_check(). */
void fz_reply(const char *topic, void (*handler)(void *, void *, void *), const uint8_t *data,
              size_t size, const char *id);

/* Validates one JSON text (RFC 8259, depth <= 64). 1 if valid. */
int fz_json_valid(const unsigned char *s, size_t n);

#endif /* FUZZ_COMMON_H */
