/* A tiny assertion set for the C tests: print file:line and what differed, then exit 1. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both streams by name: picolibc, a firmware C library the tests run on, has no fflush(NULL). */
static inline void check_flush(void)
{
    fflush(stdout);
    fflush(stderr);
}

static inline void check_dump(const char *label, const void *p, long len)
{
    const unsigned char *b = p;
    fprintf(stderr, "  %s (%ld bytes): \"", label, len);
    for (long i = 0; b != NULL && i < len; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
            fputc(b[i], stderr);
        } else {
            fprintf(stderr, "\\x%02X", b[i]);
        }
    }
    fprintf(stderr, "\"\n");
}

static inline void check_fail_bytes(const char *file, int line, const char *what,
                                    const void *actual, long alen, const void *expected, long elen)
{
    const unsigned char *a = actual, *e = expected;
    long i = 0;
    while (a != NULL && e != NULL && i < alen && i < elen && a[i] == e[i]) {
        i++;
    }
    fprintf(stderr, "%s:%d: CHECK_BYTES(%s) failed: first difference at byte %ld\n", file, line,
            what, i);
    check_dump("expected", expected, elen);
    check_dump("actual  ", actual, alen);
    check_flush();
    exit(1);
}

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);      \
            check_flush();                                                                 \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CHECK_MSG(cond, ...)                                                               \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            check_flush();                                                                 \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CHECK_EQ(actual, expected)                                                         \
    do {                                                                                   \
        long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);        \
        if (check_a_ != check_e_) {                                                        \
            fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: actual %lld, expected %lld\n", \
                    __FILE__, __LINE__, #actual, #expected, check_a_, check_e_);           \
            check_flush();                                                                 \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

/* actual bytes (pointer, length) against a C string, byte for byte */
#define CHECK_BYTES(ptr, len, expected_str)                                                \
    do {                                                                                   \
        const void *check_p_ = (ptr);                                                      \
        long check_l_ = (long)(len);                                                       \
        const char *check_s_ = (expected_str);                                             \
        long check_el_ = (long)strlen(check_s_);                                           \
        if (check_p_ == NULL || check_l_ != check_el_ ||                                   \
            memcmp(check_p_, check_s_, (size_t)check_el_) != 0) {                          \
            check_fail_bytes(__FILE__, __LINE__, #ptr, check_p_, check_l_, check_s_,       \
                             check_el_);                                                   \
        }                                                                                  \
    } while (0)

#define CHECK_STR(actual, expected) CHECK_BYTES((actual), strlen(actual), (expected))

/* actual bytes start with a prefix */
#define CHECK_PREFIX(ptr, len, prefix)                                                     \
    do {                                                                                   \
        const char *check_x_ = (prefix);                                                   \
        long check_pl_ = (long)strlen(check_x_);                                           \
        if ((long)(len) < check_pl_ || memcmp((ptr), check_x_, (size_t)check_pl_) != 0) {  \
            check_fail_bytes(__FILE__, __LINE__, #ptr " prefix", (ptr), (long)(len),       \
                             check_x_, check_pl_);                                         \
        }                                                                                  \
    } while (0)

#endif /* CHECK_H */
