/*
 * libFuzzer target: the bytes of a reset_reply MQTT payload (awss_report_reset_reply).
 *
 * Byte 0: bits 0-2 the event kind (as fuzz_match_reply), bits 3-4 the state:
 *   0 a reset report outstanding (awss_report_reset() after connect), 1 none outstanding,
 *   2 reset report retried twice, 3 reset reported then stopped (awss_stop_report_reset());
 *   bits 5-7: virtual time advanced after the reply.
 * Byte 1: the other event type for kind 5. The rest is the payload; "$ID" becomes the id of
 * the last reset report.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static const uint64_t k_after[8] = {0, 100, 3000, 6000, 12000, 60000, 200, 130000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    uint8_t sel = data[0];
    int state = (sel >> 3) & 3;
    fz_begin(0);
    if (state != 1) {
        awss_report_reset();
    }
    fz_note_bind_started();
    awss_report_cloud();
    if (state == 2) {
        mock_advance(3000 + 6000 + 10);
    } else if (state == 3) {
        awss_stop_report_reset();
    }
    fz_check();

    char id[16];
    fz_last_reset_id(id);
    fz_reply(FZ_TOPIC_RESET_REPLY, awss_report_reset_reply, data, size, id);

    mock_advance(k_after[(sel >> 5) & 7]);
    fz_check();
    int flag = awss_check_reset();
    FZ_ASSERT(flag == 0 || flag == 1, "awss_check_reset %d", flag);
    if (state == 1) {
        FZ_ASSERT(flag == 0, "reset flag set without a reset report");
        FZ_ASSERT(mock_pub_count_topic("/thing/reset") == 0, "reset reported without a reset");
    }
    return 0;
}
