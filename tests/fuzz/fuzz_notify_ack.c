/*
 * libFuzzer target: a phone's response to a notify broadcast (the send callback the module
 * gives CoAPServerMultiCast_send), with result, CoAP code and payload from the input.
 *
 *   byte 0: result (0 = a response arrived; else (int8_t) value, e.g. -1 timeout)
 *   byte 1: CoAP response code (0x45 = 2.05)
 *   byte 2: which broadcast is answered (index mod the broadcasts sent; the first round is
 *           advanced by byte 3 bits 0-2 steps first)
 *   byte 3: bits 0-2 broadcasts let out first; bit 3 payload NULL; bit 4 a second token
 *           reported first (the broadcasts then carry an older token); bits 5-7 virtual time
 *           advanced after the ack
 *   the rest: payload; "$ID" becomes the id of the answered broadcast.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static const uint64_t k_after[8] = {0, 100, 1000, 3000, 31000, 46000, 61000, 200};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) {
        return 0;
    }
    int result = data[0] == 0 ? 0 : (int)(int8_t)data[0];
    uint8_t code = data[1];
    uint8_t f = data[3];
    fz_begin(1);
    fz_ack_current(); /* the first broadcast goes out now */
    for (int k = 0; k < (f & 7); k++) {
        mock_advance((uint64_t)(k + 1) * 100);
    }
    if (f & 0x10) {
        awss_update_token();
    }
    fz_check();
    int n = mock_mcast_count();
    FZ_ASSERT(n >= 1, "no notify broadcast after the token ack");
    int index = data[2] % n;

    char id[16];
    fz_notify_id(index, id);
    size_t len = 0;
    unsigned char *payload = fz_subst(data + 4, size - 4, id, &len);
    int reports = mock_pub_count_topic(FZ_TOPIC_MATCH);
    mock_coap_ack_notify(index, result, code, (f & 8) ? NULL : payload, (int)len);
    free(payload);
    fz_check();
    if (result != 0 || (f & 8)) {
        FZ_ASSERT(mock_pub_count_topic(FZ_TOPIC_MATCH) == reports,
                  "a notify ack without a response rotated the token");
    }

    mock_advance(k_after[(f >> 5) & 7]);
    fz_check();
    return 0;
}
