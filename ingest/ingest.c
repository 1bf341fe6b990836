/* ingest.c - the veil.v1 WebSocket endpoint: refuses sessions until the
 * store can make their batches durable (ingest.h). */
#include "ingest.h"

#include <string.h>

/* RFC 6455 "Try Again Later"; lws 4.1 has no name for it. */
#define CLOSE_TRY_AGAIN_LATER 1013

typedef struct {
    int refused; /* the error frame is sent; close next */
} ingest_conn;

static const char REFUSAL[] = "{\"t\":\"error\",\"code\":\"unavailable\","
                              "\"message\":\"storage is not available yet; keep the batches "
                              "and retry later\"}";

/* lws's callback contract: 0 keeps the connection, -1 closes it. */
static int on_ingest(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    ingest_conn *conn = user;
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        conn->refused = 0;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (conn->refused) {
            lws_close_reason(wsi, (enum lws_close_status)CLOSE_TRY_AGAIN_LATER, NULL, 0);
            return -1;
        }
        unsigned char frame[LWS_PRE + sizeof REFUSAL];
        memcpy(frame + LWS_PRE, REFUSAL, sizeof REFUSAL - 1);
        if (lws_write(wsi, frame + LWS_PRE, sizeof REFUSAL - 1, LWS_WRITE_TEXT) < 0)
            return -1;
        conn->refused = 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    default:
        return 0;
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {INGEST_SUBPROTOCOL, on_ingest, sizeof(ingest_conn), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *ingest_protocols(void)
{
    return PROTOCOLS;
}
