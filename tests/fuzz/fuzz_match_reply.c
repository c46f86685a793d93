/*
 * libFuzzer target: the bytes of a match_reply MQTT payload (awss_report_token_reply).
 *
 * Byte 0 selects the event and the state it arrives in:
 *   bits 0-2: 0-3 a normal publish, 4 NULL event, 5 another event type (byte 1),
 *             6 event 12 with NULL topic info, 7 event 12 with a NULL payload;
 *   bits 3-4: state: 0 token just reported, 1 token acknowledged (notify running),
 *             2 a phone query waiting, 3 after the first re-report (31 s later);
 *   bits 5-7: virtual time advanced after the reply (0, 100 ms, 3 s, 31 s, 46 s, ...).
 * The rest is the payload; each "$ID" in it becomes the id of the last token report.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static const uint64_t k_after[8] = {0, 100, 3000, 31000, 46000, 61000, 200, 100000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    uint8_t sel = data[0];
    int state = (sel >> 3) & 3;
    fz_begin(1);
    switch (state) {
    case 1:
        fz_ack_current();
        mock_advance(250);
        break;
    case 2:
        mock_coap_request(FZ_URI_MCAST, "10.0.0.100", 5683, 77, (const uint8_t *)"\x01\x02", 2, -1,
                          "{\"id\":\"9\",\"version\":\"1.0\",\"params\":{}}", 36);
        break;
    case 3:
        mock_advance(31000);
        break;
    default:
        break;
    }
    fz_check();

    char id[16];
    fz_last_report_id(id);
    fz_reply(FZ_TOPIC_MATCH_REPLY, awss_report_token_reply, data, size, id);

    mock_advance(k_after[(sel >> 5) & 7]);
    fz_check();
    int remain = awss_token_remain_time();
    FZ_ASSERT(remain >= 0 && remain <= 45000, "remain %d", remain);
    return 0;
}
