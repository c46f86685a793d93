/*
 * A stand-in of the SDK's C bind module, as the SDK's make build folds it into libiot_sdk.a:
 * objects that define some of the module's exports (tests/abi/exports.txt). Built three
 * times into three members (-DPART=1, 2, 3), as the module is several objects. Each function
 * returns 42, so a program can tell it from the library (which returns 0).
 */
#include <stdint.h>

#define STAND_IN 42

#if PART == 1
uint8_t aes_random[16];
int awss_report_cloud(void);
int awss_bind_deinit(void);
int awss_report_token(void);
int awss_report_cloud(void) { return STAND_IN; }
int awss_bind_deinit(void) { return STAND_IN; }
int awss_report_token(void) { return STAND_IN; }
#elif PART == 2
int awss_check_reset(void);
int awss_report_reset(void);
int awss_check_reset(void) { return STAND_IN; }
int awss_report_reset(void) { return STAND_IN; }
#else
uint32_t os_get_time_ms(void);
uint32_t os_get_time_ms(void) { return STAND_IN; }
#endif
