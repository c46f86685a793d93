/*
 * libFuzzer target: a phone's CoAP query (online_mcast/ucast_get_device_info and the
 * handlers registered with the CoAP server), every field of the request from the input.
 *
 *   byte 0: bit 0 multicast/unicast path; bit 1 through the registered handler (else the
 *           exported function); bits 2-4: 0 remote NULL, 1 request NULL, else both given;
 *           bits 5-6 payload mode: 0 exact, 1 payload given but payloadlen 0, 2 payload NULL
 *           with payloadlen > 0, 3 payloadlen shorter than the buffer; bit 7: the token was
 *           acknowledged before the query (answered at once) or not (the query waits)
 *   byte 1: header tokenlen (low 4 bits, up to 15: more than the 8-byte token array);
 *           high 4 bits: optcount (0 = as built, 15 = more than COAP_MSG_MAX_OPTION_NUM)
 *   bytes 2-3: message id; byte 4: Observe length (0-7; 255 = no Observe option)
 *   bytes 5-8: Observe value bytes; bytes 9-16: token bytes; bytes 17-32: remote address
 *   (16 bytes, NUL or not); byte 33: after the query: bit 0 acknowledge the new token,
 *   bits 1-3 virtual time advanced; the rest: payload.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define HDR 34

static const uint64_t k_after[8] = {0, 50, 1000, 3000, 31000, 46000, 61000, 200};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR) {
        return 0;
    }
    uint8_t f = data[0];
    int mcast = f & 1;
    int via_server = (f >> 1) & 1;
    int nulls = (f >> 2) & 7;
    int pmode = (f >> 5) & 3;
    int acked = (f >> 7) & 1;
    int tokenlen = data[1] & 15;
    int optcount = data[1] >> 4;
    uint16_t msgid = (uint16_t)(data[2] << 8 | data[3]);
    int olen = data[4] == 255 ? -1 : data[4] & 7;
    size_t plen = size - HDR;

    fz_begin(1);
    if (acked) {
        fz_ack_current();
    }
    fz_check();
    int answers_before = mock_resp_count();

    /* the request, as the CoAP server hands it over: every buffer exact-size on the heap */
    CoAPMessage *msg = calloc(1, sizeof(*msg));
    NetworkAddr *remote = calloc(1, sizeof(*remote));
    unsigned char *obs = malloc(olen > 0 ? (size_t)olen : 1);
    unsigned char *uri = malloc(32);
    unsigned char *pl = malloc(plen ? plen : 1);
    if (msg == NULL || remote == NULL || obs == NULL || uri == NULL || pl == NULL) {
        abort();
    }
    msg->header.version = 1;
    msg->header.type = 1;
    msg->header.tokenlen = (unsigned char)tokenlen;
    msg->header.code = 2;
    msg->header.msgid = msgid;
    memcpy(msg->token, data + 9, COAP_MSG_MAX_TOKEN_LEN);
    int oc = 0;
    if (olen >= 0) {
        memcpy(obs, data + 5, (size_t)(olen < 4 ? olen : 4));
        if (olen > 4) {
            memset(obs + 4, 0x77, (size_t)olen - 4);
        }
        msg->options[oc].num = MOCK_COAP_OPTION_OBSERVE;
        msg->options[oc].len = (unsigned short)olen;
        msg->options[oc].val = olen > 0 ? obs : NULL;
        oc++;
    }
    memcpy(uri, "sys", 3);
    msg->options[oc].num = MOCK_COAP_OPTION_URI_PATH;
    msg->options[oc].len = 3;
    msg->options[oc].val = uri;
    oc++;
    msg->optcount = (unsigned char)(optcount == 0 ? oc : optcount);
    memcpy(pl, data + HDR, plen);
    msg->payload = pl;
    msg->payloadlen = (unsigned short)(plen > 0xffff ? 0xffff : plen);
    if (pmode == 1) {
        msg->payloadlen = 0;
    } else if (pmode == 2) {
        msg->payload = NULL;
        msg->payloadlen = (unsigned short)(plen + 1);
    } else if (pmode == 3 && plen > 0) {
        msg->payloadlen = (unsigned short)(plen / 2);
    }
    memcpy(remote->addr, data + 17, 16);
    remote->port = 5683;

    NetworkAddr *r = nulls == 0 ? NULL : remote;
    CoAPMessage *m = nulls == 1 ? NULL : msg;
    const char *path = mcast ? FZ_URI_MCAST : FZ_URI_UCAST;
    if (via_server) {
        mock_coap_request_raw(path, path, r, m);
    } else if (mcast) {
        online_mcast_get_device_info(NULL, NULL, r, m);
    } else {
        online_ucast_get_device_info(NULL, NULL, r, m);
    }
    /* the server reuses its buffers for the next packet at once */
    memset(msg, 0x5A, sizeof(*msg));
    memset(remote, 0x3C, sizeof(*remote));
    memset(obs, 0xA5, olen > 0 ? (size_t)olen : 1);
    memset(pl, 0xEE, plen ? plen : 1);
    free(msg);
    free(remote);
    free(obs);
    free(uri);
    free(pl);
    fz_check();

    uint8_t after = data[33];
    if (after & 1) {
        fz_ack_current();
        fz_check();
    }
    mock_advance(k_after[(after >> 1) & 7]);
    fz_check();

    /* an answer is a faithful copy of the request's message id and token */
    int n = mock_resp_count();
    FZ_ASSERT(n - answers_before <= 1, "%d answers to one query", n - answers_before);
    if (n > answers_before) {
        mock_resp_t a = mock_resp_get(answers_before);
        int tl = tokenlen < COAP_MSG_MAX_TOKEN_LEN ? tokenlen : COAP_MSG_MAX_TOKEN_LEN;
        FZ_ASSERT(nulls >= 2, "answer to a NULL request or remote");
        FZ_ASSERT(a.req_msgid == msgid, "answer msgid %u, request %u", a.req_msgid, msgid);
        FZ_ASSERT(a.req_tokenlen == tl && memcmp(a.req_token, data + 9, (size_t)tl) == 0,
                  "answer token length %d, request %d", a.req_tokenlen, tokenlen);
        FZ_ASSERT(memcmp(a.addr, data + 17, 16) == 0 && a.port == 5683, "answer remote differs");
        if (olen >= 0 && olen <= 3 && optcount == 0) {
            long v = 0;
            for (int k = 0; k < olen; k++) {
                v = (v << 8) | data[5 + k];
            }
            FZ_ASSERT(a.req_observe == v, "answer Observe %ld, request %ld", a.req_observe, v);
        }
        FZ_ASSERT(strcmp(a.paths, path) == 0, "answer path %s", a.paths);
    }
    return 0;
}
