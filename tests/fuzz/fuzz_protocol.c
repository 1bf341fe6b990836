/*
 * fuzz_protocol.c - libFuzzer target over the veil.v1 messages the ingest
 * server reads from the network before anything else does: the hello
 * (jansson), the batch envelope's opening (hand-read), and gzip inflating
 * under a cap. The first input byte picks the reader. It asserts:
 *   - a hello accepted has a site key, and a resume has a 32-hex-digit id
 *     and a token, and every string it copied is NUL-terminated in place;
 *   - a batch opening accepted has a seq in 1..2^32-1 whose decimal
 *     digits are exactly those after "seq": in the input;
 *   - inflating never returns more than the cap; a stream that fits
 *     inflates the same under a larger cap, and one refused as too big
 *     is longer than its cap when the cap is raised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ingest/internal.h"

static void hello(const char *msg, size_t len)
{
    hello_msg h;
    const char *why = NULL;
    if (protocol_hello(msg, len, &h, &why)) {
        if (!why)
            abort(); /* a refusal always says why */
        return;
    }
    if (!h.site[0] && !memchr(msg, '"', len))
        abort();
    if (strnlen(h.site, sizeof h.site) == sizeof h.site ||
        strnlen(h.page, sizeof h.page) == sizeof h.page)
        abort();
    if (h.resume && (strlen(h.session) != INGEST_ID_CHARS ||
                     strspn(h.session, "0123456789abcdef") != INGEST_ID_CHARS || !h.token[0]))
        abort();
}

static void batch(const char *msg, size_t len)
{
    uint32_t seq;
    if (protocol_batch_seq(msg, len, &seq))
        return;
    static const char OPENING[] = "{\"t\":\"batch\",\"seq\":";
    char digits[16];
    int n = snprintf(digits, sizeof digits, "%u", seq);
    if (seq == 0 || len < sizeof OPENING - 1 + (size_t)n ||
        memcmp(msg + sizeof OPENING - 1, digits, (size_t)n))
        abort();
}

static void inflate_capped(const char *data, size_t len)
{
    size_t cap = 1 + (len ? (uint8_t)data[0] : 0) * 64u; /* caps from 1 byte to 16 KB */
    veil_buf out = {0}, wide = {0};
    int rc = inflate_gzip(data, len, cap, &out);
    if (!rc && (out.len > cap || out.data[out.len] != '\0'))
        abort();
    if (rc && out.len != 0)
        abort();
    int wide_rc = inflate_gzip(data, len, 1u << 20, &wide);
    if (!rc && (wide_rc || wide.len != out.len || memcmp(wide.data, out.data, out.len)))
        abort();
    if (rc == VEIL_ETOOBIG && !wide_rc && wide.len <= cap)
        abort();
    veil_buf_free(&out);
    veil_buf_free(&wide);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* the reader's input is a NUL-terminated copy, as the connection's buffer is */
    char *msg = malloc(size);
    memcpy(msg, data + 1, size - 1);
    msg[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0:
        hello(msg, size - 1);
        break;
    case 1:
        batch(msg, size - 1);
        break;
    default:
        inflate_capped(msg, size - 1);
        break;
    }
    free(msg);
    return 0;
}
