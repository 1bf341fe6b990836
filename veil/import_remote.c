/*
 * import_remote.c - `veil import` while `veil serve` holds the store: each
 * file goes through the server's own ingest listener as a browser's session
 * would (veil.v1 over TLS to 127.0.0.1), gzipped in binary frames as the
 * snippet sends them, in batches no larger (inflated) and no faster than the
 * server's `ready` allows, at most IN_FLIGHT unacked. A batch
 * counts once the server acked it, which it does once the batch is masked,
 * sealed and durable. The session id is the server's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>
#include <zlib.h>

#include "import.h"

#define IN_FLIGHT  8
#define BATCH_MAX  ((size_t)1 << 20)
#define TIMEOUT_MS 120000

typedef struct {
    const char *text; /* the file's bytes */
    const size_t *offset, *len;
    size_t n_events, next_event;
    const veil_site_config *site;
    char origin[256];
    /* the connection */
    struct lws *wsi;
    bool hello_sent, ready, failed, done;
    char session[65];
    size_t limit;    /* bytes per batch, from ready */
    int rate;        /* batches per second, from ready (0: any) */
    uint64_t due_ms; /* when the next batch may go */
    uint32_t sent, acked;
    veil_buf rx, out; /* out: LWS_PRE headroom, then the message (lws masks it in place) */
    veil_buf gz;      /* the same, gzipped */
    char error[300];
} remote_import;

static void failed(remote_import *ri, const char *fmt, const char *detail)
{
    if (!ri->failed)
        snprintf(ri->error, sizeof ri->error, fmt, detail);
    ri->failed = true;
}

static int write_text(remote_import *ri, const char *text, size_t len)
{
    veil_buf_reuse(&ri->out);
    if (veil_buf_append_fill(&ri->out, ' ', LWS_PRE) || veil_buf_append(&ri->out, text, len))
        return -1;
    return lws_write(ri->wsi, (unsigned char *)ri->out.data + LWS_PRE, len, LWS_WRITE_TEXT) < 0 ? -1
                                                                                                : 0;
}

/* text, gzipped into out after LWS_PRE bytes of headroom. */
static int gzip_message(const char *text, size_t len, veil_buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return VEIL_ENOMEM;
    size_t bound = deflateBound(&z, (uLong)len);
    veil_buf_reuse(out);
    int rc = veil_buf_reserve(out, LWS_PRE + bound);
    if (!rc) {
        z.next_in = (Bytef *)text;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data + LWS_PRE;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? VEIL_OK : VEIL_ENOMEM;
        out->len = LWS_PRE + bound - z.avail_out;
    }
    deflateEnd(&z);
    return rc;
}

/* The next batch of events, at most ri->limit bytes (one larger event goes
 * alone: the server says whether it takes it). */
static int send_batch(remote_import *ri)
{
    char head[64];
    int h = snprintf(head, sizeof head, "{\"t\":\"batch\",\"seq\":%u,\"events\":[", ri->sent + 1);
    veil_buf_reuse(&ri->out);
    int rc = veil_buf_append_fill(&ri->out, ' ', LWS_PRE);
    rc = rc ? rc : veil_buf_append(&ri->out, head, (size_t)h);
    size_t first = ri->next_event;
    while (!rc && ri->next_event < ri->n_events) {
        size_t i = ri->next_event, len = ri->len[i];
        if (i > first && ri->out.len - LWS_PRE + len + 3 > ri->limit)
            break;
        if (i > first)
            rc = veil_buf_append(&ri->out, ",", 1);
        rc = rc ? rc : veil_buf_append(&ri->out, ri->text + ri->offset[i], len);
        ri->next_event++;
    }
    rc = rc ? rc : veil_buf_append(&ri->out, "]}", 2);
    rc = rc ? rc : gzip_message(ri->out.data + LWS_PRE, ri->out.len - LWS_PRE, &ri->gz);
    if (rc)
        return -1;
    ri->sent++;
    ri->due_ms = veil_now_ms() + (ri->rate > 0 ? 1000u / (unsigned)ri->rate + 1 : 0);
    size_t len = ri->gz.len - LWS_PRE;
    return lws_write(ri->wsi, (unsigned char *)ri->gz.data + LWS_PRE, len, LWS_WRITE_BINARY) < 0
               ? -1
               : 0;
}

static const char *string_of(json_t *obj, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : fallback;
}

static void on_message(remote_import *ri)
{
    json_t *m = json_loadb(ri->rx.data, ri->rx.len, 0, NULL);
    const char *t = json_string_value(json_object_get(m, "t"));
    if (t && !strcmp(t, "ready")) {
        json_t *limits = json_object_get(m, "limits");
        json_int_t inflated = json_integer_value(json_object_get(limits, "inflated"));
        snprintf(ri->session, sizeof ri->session, "%s", string_of(m, "session", ""));
        ri->limit = inflated > 4096 && (size_t)inflated - 256 < BATCH_MAX ? (size_t)inflated - 256
                                                                          : BATCH_MAX;
        ri->rate = (int)json_integer_value(json_object_get(limits, "rate"));
        ri->ready = true;
    } else if (t && !strcmp(t, "ack")) {
        ri->acked++;
        ri->done = ri->next_event == ri->n_events && ri->acked == ri->sent;
    } else {
        failed(ri, "the server refused the import: %s",
               string_of(m, "message", "(no reason given)"));
    }
    json_decref(m);
}

static int on_client(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    remote_import *ri = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!ri->hello_sent) {
            char hello[256];
            int n = snprintf(hello, sizeof hello,
                             "{\"t\":\"hello\",\"site\":\"%s\",\"page\":\"veil-import:\","
                             "\"snippet\":\"veil-import\"}",
                             ri->site->key);
            ri->hello_sent = true;
            return write_text(ri, hello, (size_t)n);
        }
        if (ri->ready && ri->next_event < ri->n_events && ri->sent - ri->acked < IN_FLIGHT &&
            veil_now_ms() >= ri->due_ms)
            return send_batch(ri);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (veil_buf_append(&ri->rx, in, len))
            return -1;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            on_message(ri);
            veil_buf_reuse(&ri->rx);
            lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        failed(ri, "cannot reach the running server's ingest listener: %s",
               in ? (const char *)in : "connection failed");
        ri->wsi = NULL;
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!ri->done)
            failed(ri, "%s", "the server closed the connection before every batch was acked");
        ri->wsi = NULL;
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {INGEST_SUBPROTOCOL, on_client, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* An Origin the site allows, as a browser of it would send. */
static void site_origin(const veil_site_config *site, char *out, size_t cap)
{
    const char *o = site->n_origins ? site->origins[0] : "*";
    snprintf(out, cap, "%s", strcmp(o, "*") ? o : "https://veil-import.invalid");
}

static int stream(remote_import *ri, const veil_config *cfg)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = PROTOCOLS;
    /* RAW_ORIGIN: else lws sends "Origin: http://" + the origin given */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx)
        return VEIL_ENOMEM;
    char path[200];
    snprintf(path, sizeof path, "/?site=%s", ri->site->key);
    const char *address =
        strcmp(cfg->listen, "0.0.0.0") && strcmp(cfg->listen, "::") ? cfg->listen : "127.0.0.1";
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = address;
    ci.port = cfg->ingest_port;
    ci.path = path;
    ci.host = address;
    ci.origin = ri->origin;
    ci.protocol = INGEST_SUBPROTOCOL;
    /* our own listener, by address: its certificate may be the self-signed one */
    ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                        LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE;
    ci.userdata = ri;
    ci.pwsi = &ri->wsi;
    uint64_t deadline = veil_now_ms() + TIMEOUT_MS;
    if (!lws_client_connect_via_info(&ci))
        failed(ri, "%s", "cannot connect to the running server's ingest listener");
    while (!ri->failed && !ri->done && ri->wsi && veil_now_ms() < deadline) {
        lws_service(ctx, 100);
        if (ri->ready && ri->wsi)
            lws_callback_on_writable(ri->wsi); /* paced batches come due with time */
    }
    if (!ri->done && !ri->failed)
        failed(ri, "%s", "no ack from the server in time");
    lws_context_destroy(ctx);
    return ri->done ? VEIL_OK : VEIL_EIO;
}

int import_via_server(const veil_config *cfg, const veil_site_config *site, const char *path)
{
    veil_buf in = {0};
    import_spans es = {0};
    int rc = import_read_events(path, &in, &es);
    if (rc)
        goto out;
    remote_import ri = {.text = in.data,
                        .offset = es.offset,
                        .len = es.len,
                        .n_events = es.n,
                        .site = site,
                        .limit = BATCH_MAX};
    site_origin(site, ri.origin, sizeof ri.origin);
    lws_set_log_level(LLL_ERR, NULL);
    rc = stream(&ri, cfg);
    if (rc)
        cli_error("%s: %s; %u of %u batches were acked%s%s", path, ri.error, ri.acked, ri.sent,
                  ri.session[0] ? " into session " : "", ri.session);
    else
        printf("%s\t%s\t%zu events\tstored through the running server (%u batches)\n", ri.session,
               path, es.n, ri.acked);
    veil_buf_free(&ri.rx);
    veil_buf_free(&ri.out);
    veil_buf_free(&ri.gz);
out:
    veil_buf_free(&in);
    free(es.offset);
    free(es.len);
    return rc;
}
