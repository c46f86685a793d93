/*
 * The few pthread names the C mock of the SDK uses (one mutex type, no threads), for bare-metal
 * test images that run one thread: locking only marks the mutex. The C library's
 * <sys/types.h> already declares the types (an integer mutex in newlib and picolibc).
 * The thread tests stay host-only.
 */
#ifndef FIRMWARE_PTHREAD_SHIM_H
#define FIRMWARE_PTHREAD_SHIM_H

#include <sys/types.h>

#if !defined(_SYS__PTHREADTYPES_H_)
typedef unsigned pthread_mutex_t;
typedef int pthread_mutexattr_t;
#endif

#define PTHREAD_MUTEX_INITIALIZER 0

static inline int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    (void)attr;
    *m = 0;
    return 0;
}

static inline int pthread_mutex_destroy(pthread_mutex_t *m)
{
    (void)m;
    return 0;
}

/* One thread: a lock taken twice would deadlock on a real RTOS; here it reports EDEADLK. */
static inline int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (*m != 0) {
        return 35;
    }
    *m = 1;
    return 0;
}

static inline int pthread_mutex_unlock(pthread_mutex_t *m)
{
    *m = 0;
    return 0;
}

#endif
