/*
 * The two variadic HAL imports, which Rust cannot define: HAL_Printf formats with vsnprintf and
 * hands the text to devbind_host_write() (one ordered, line-prefixed stream for the library,
 * the device program and the stand-in); HAL_Snprintf is vsnprintf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "devbind_host.h"

void HAL_Printf(const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    if (fmt == NULL) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        devbind_host_write(small, (size_t)n);
        return;
    }
    {
        size_t size = (size_t)n + 1;
        char *big = malloc(size);
        if (big == NULL) {
            devbind_host_write(small, sizeof small - 1);
            return;
        }
        va_start(ap, fmt);
        n = vsnprintf(big, size, fmt, ap);
        va_end(ap);
        if (n > 0) {
            devbind_host_write(big, (size_t)n < size ? (size_t)n : size - 1);
        }
        free(big);
    }
}

int HAL_Snprintf(char *str, const int len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (fmt == NULL || len < 0 || (str == NULL && len > 0)) {
        return -1;
    }
    va_start(ap, fmt);
    n = vsnprintf(str, (size_t)len, fmt, ap);
    va_end(ap);
    return n;
}
