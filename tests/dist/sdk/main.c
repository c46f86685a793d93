/*
 * A firmware that calls only the SDK (connect, then close): whichever bind module the SDK's
 * archive holds is what runs. Prints and checks which one it was: with EXPECT_LIBRARY, the
 * library (awss_report_cloud returns 0 and publishes a token report), else the C stand-in
 * (returns 42, publishes nothing).
 */
#include <stdio.h>
#include <string.h>

int sdk_connect(void);
int sdk_close(void);
extern int sdk_publishes;
extern char sdk_last_payload[256];

int main(void)
{
    int connect = sdk_connect();
    int close = sdk_close();
    printf("sdk_connect %d, sdk_close %d, %d token reports: %s\n", connect, close, sdk_publishes,
           sdk_last_payload);
#ifdef EXPECT_LIBRARY
    return connect == 0 && close == 0 && sdk_publishes == 1 &&
                   strstr(sdk_last_payload, "\"method\":\"thing.awss.enrollee.match\"") != NULL
               ? 0
               : 1;
#else
    return connect == 42 && close == 42 && sdk_publishes == 0 ? 0 : 1;
#endif
}
