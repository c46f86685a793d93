/* A stand-in of the firmware's HAL (libiot_hal.a): enough for a bind to start. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int HAL_Snprintf(char *str, const int len, const char *fmt, ...);
void HAL_Printf(const char *fmt, ...);
int HAL_GetProductKey(char *pk);
int HAL_GetDeviceName(char *dn);
void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data);
int HAL_Timer_Start(void *timer, int ms);
int HAL_Timer_Stop(void *timer);
int HAL_Timer_Delete(void *timer);
char *HAL_Wifi_Get_Mac(char *mac);
uint32_t HAL_Wifi_Get_IP(char *ip, const char *ifname);
void HAL_Srandom(uint32_t seed);
uint32_t HAL_Random(uint32_t region);
void *HAL_MutexCreate(void);
void HAL_MutexDestroy(void *m);
void HAL_MutexLock(void *m);
void HAL_MutexUnlock(void *m);
void *HAL_Malloc(uint32_t size);
void HAL_Free(void *p);
void HAL_SleepMs(uint32_t ms);
uint64_t HAL_UptimeMs(void);
void HAL_Reboot(void);
int HAL_Kv_Set(const char *key, const void *val, int len, int sync);
int HAL_Kv_Get(const char *key, void *val, int *len);

static int g_mutex, g_timer;
static uint64_t g_now = 5000;
static uint32_t g_rand = 12345;

int HAL_Snprintf(char *str, const int len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(str, (size_t)len, fmt, ap);
    va_end(ap);
    return n;
}
void HAL_Printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}
int HAL_GetProductKey(char *pk)
{
    strcpy(pk, "a1GQc8iJOWI");
    return (int)strlen(pk);
}
int HAL_GetDeviceName(char *dn)
{
    strcpy(dn, "swap_test");
    return (int)strlen(dn);
}
void *HAL_Timer_Create(const char *name, void (*func)(void *), void *user_data)
{
    (void)name, (void)func, (void)user_data;
    return &g_timer;
}
int HAL_Timer_Start(void *timer, int ms)
{
    (void)timer, (void)ms;
    return 0;
}
int HAL_Timer_Stop(void *timer)
{
    (void)timer;
    return 0;
}
int HAL_Timer_Delete(void *timer)
{
    (void)timer;
    return 0;
}
char *HAL_Wifi_Get_Mac(char *mac)
{
    strcpy(mac, "b0:f8:93:15:bf:21");
    return mac;
}
uint32_t HAL_Wifi_Get_IP(char *ip, const char *ifname)
{
    (void)ifname;
    strcpy(ip, "10.0.0.59");
    return 0x3b00000a;
}
void HAL_Srandom(uint32_t seed) { g_rand ^= seed; }
uint32_t HAL_Random(uint32_t region)
{
    g_rand = g_rand * 1103515245u + 12345u;
    return region ? (g_rand >> 8) % region : 0;
}
void *HAL_MutexCreate(void) { return &g_mutex; }
void HAL_MutexDestroy(void *m) { (void)m; }
void HAL_MutexLock(void *m) { (void)m; }
void HAL_MutexUnlock(void *m) { (void)m; }
void *HAL_Malloc(uint32_t size)
{
    (void)size;
    return NULL; /* no bind flow allocates */
}
void HAL_Free(void *p) { (void)p; }
void HAL_SleepMs(uint32_t ms) { g_now += ms; }
uint64_t HAL_UptimeMs(void) { return g_now++; }
void HAL_Reboot(void) {}
int HAL_Kv_Set(const char *key, const void *val, int len, int sync)
{
    (void)key, (void)val, (void)len, (void)sync;
    return 0;
}
int HAL_Kv_Get(const char *key, void *val, int *len)
{
    (void)key, (void)val, (void)len;
    return -1;
}
