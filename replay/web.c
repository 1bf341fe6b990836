/*
 * web.c - the console listener on lws: one `request` per HTTP transaction,
 * its body read (at most BODY_MAX), handed to api.c or answered here
 * (static assets, /healthz, /metrics), and its response written from the
 * WRITEABLE callback: whole JSON bodies, or a stream a worker thread feeds
 * (replay, export) with back-pressure. Every response carries the security
 * headers (HSTS, CSP, frame-ancestors, nosniff, no-referrer).
 *
 * A request outlives its connection while a job holds it (refs): a worker
 * never touches a closed connection, it only finds the request gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/http.h"
#include "../common/tls.h"
#include "internal.h"

#define BODY_MAX    (64u << 10)
#define STREAM_ROOM (4u << 20) /* what a stream may hold unsent before its writer waits */
#define WRITE_PIECE (64u << 10)

/* Headers on every response. The CSP lets rrweb-player run (its styles are
 * inline) and keeps the analyst's browser from fetching anything but the
 * console itself: recorded pages' images, fonts and styles stay blocked. */
static const char SECURITY_HEADERS[] =
    "strict-transport-security: max-age=31536000; includeSubDomains\r\n"
    "x-frame-options: DENY\r\n"
    "x-content-type-options: nosniff\r\n"
    "referrer-policy: no-referrer\r\n"
    "cross-origin-opener-policy: same-origin\r\n"
    "cross-origin-resource-policy: same-origin\r\n"
    "permissions-policy: camera=(), microphone=(), geolocation=()\r\n";

static const char CSP_UI[] =
    "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self' blob: about:; child-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'\r\n";

static const char CSP_API[] = "content-security-policy: default-src 'none'; frame-ancestors "
                              "'none'\r\n"
                              "cache-control: no-store\r\n";

typedef struct conn_state conn_state;

struct request {
    struct lws *wsi; /* NULL once the connection closed */
    conn_state *cs;  /* the connection's state that points here (service thread) */
    replay *r;
    request *next_live;
    int refs;
    enum http_method method;
    char path[256];
    char ip[64];
    veil_buf body;
    bool body_too_big;
    bool handled; /* api_handle ran: lws may still report an empty body's completion */
    /* the response */
    bool responding, headers_sent, done;
    unsigned status;
    char type[80];
    char extra[2600]; /* the response's own headers (a replay page's CSP is the longest) */
    veil_buf resp;
    size_t resp_off;
    /* a stream, fed by a worker */
    bool streaming;
    pthread_mutex_t lock;
    pthread_cond_t room;
    veil_buf stream;
    bool stream_end, stream_ok;
};

/* What lws keeps per connection: the transaction in progress. */
struct conn_state {
    request *req;
};

static request *request_new(replay *r, struct lws *wsi)
{
    request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->wsi = wsi;
    req->r = r;
    req->refs = 1; /* the connection's */
    pthread_mutex_init(&req->lock, NULL);
    pthread_cond_init(&req->room, NULL);
    lws_get_peer_simple(wsi, req->ip, sizeof req->ip);
    req->next_live = r->live;
    r->live = req;
    return req;
}

void request_hold(request *req)
{
    pthread_mutex_lock(&req->lock);
    req->refs++;
    pthread_mutex_unlock(&req->lock);
}

void request_release(request *req)
{
    pthread_mutex_lock(&req->lock);
    bool last = --req->refs == 0;
    pthread_mutex_unlock(&req->lock);
    if (!last)
        return;
    veil_buf_free(&req->body);
    veil_buf_free(&req->resp);
    veil_buf_free(&req->stream);
    pthread_cond_destroy(&req->room);
    pthread_mutex_destroy(&req->lock);
    free(req);
}

bool request_gone(const request *req)
{
    return req->wsi == NULL;
}

/* The connection closed, or the transaction is answered: workers find the
 * request gone; its last ref frees it. */
static void request_detach(request *req)
{
    if (req->cs)
        req->cs->req = NULL;
    req->cs = NULL;
    for (request **p = &req->r->live; *p; p = &(*p)->next_live)
        if (*p == req) {
            *p = req->next_live;
            break;
        }
    pthread_mutex_lock(&req->lock);
    req->wsi = NULL;
    pthread_cond_broadcast(&req->room); /* a waiting writer gives up */
    pthread_mutex_unlock(&req->lock);
    request_release(req);
}

/* ---- what api.c reads ---------------------------------------------------------------------- */

enum http_method request_method(const request *req)
{
    return req->method;
}

const char *request_path(const request *req)
{
    return req->path;
}

const char *request_body(const request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data;
}

const char *request_ip(const request *req)
{
    return req->ip;
}

bool request_query(request *req, const char *name, char *out, size_t cap)
{
    char key[40], buf[300];
    snprintf(key, sizeof key, "%s=", name);
    const char *v = req->wsi ? lws_get_urlarg_by_name(req->wsi, key, buf, sizeof buf) : NULL;
    if (!v || strlen(v) >= cap)
        return false;
    strcpy(out, v);
    return true;
}

const char *request_header_csrf(request *req, char *out, size_t cap)
{
    out[0] = '\0';
    if (req->wsi)
        lws_hdr_custom_copy(req->wsi, out, (int)cap, "x-csrf-token:", 13);
    return out;
}

const char *request_session_cookie(request *req, char *out, size_t cap)
{
    char header[2048] = "";
    out[0] = '\0';
    if (req->wsi && lws_hdr_copy(req->wsi, header, sizeof header, WSI_TOKEN_HTTP_COOKIE) > 0)
        request_cookie(header, "__Host-veil", out, cap);
    return out;
}

/* ---- responses ------------------------------------------------------------------------------- */

/* A whole response; `headers` are exactly the extra ones it carries. */
static void respond_with(request *req, unsigned status, const char *type, const char *headers,
                         const char *body, size_t len)
{
    if (req->responding)
        return;
    req->responding = true;
    req->status = status;
    snprintf(req->type, sizeof req->type, "%s", type);
    if ((size_t)snprintf(req->extra, sizeof req->extra, "%s", headers) >= sizeof req->extra) {
        /* never a cut header (a CSP cut short allows more): no body at all */
        req->status = HTTP_STATUS_INTERNAL_SERVER_ERROR;
        snprintf(req->extra, sizeof req->extra, "%s", CSP_API);
        len = 0;
    }
    veil_buf_reuse(&req->resp);
    if (len && veil_buf_append(&req->resp, body, len))
        req->status = HTTP_STATUS_INTERNAL_SERVER_ERROR;
    if (req->wsi)
        lws_callback_on_writable(req->wsi);
}

/* An API response: never cached, nothing in it runs. */
static void respond(request *req, unsigned status, const char *type, const char *extra,
                    const char *body, size_t len)
{
    char headers[sizeof CSP_API + 300];
    snprintf(headers, sizeof headers, "%s%s", CSP_API, extra ? extra : "");
    respond_with(req, status, type, headers, body, len);
}

void respond_json(request *req, unsigned status, json_t *body, const char *set_cookie)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    char extra[300] = "";
    if (set_cookie)
        snprintf(extra, sizeof extra, "set-cookie: %s\r\n", set_cookie);
    respond(req, text ? status : HTTP_STATUS_INTERNAL_SERVER_ERROR, "application/json", extra,
            text ? text : "{}", text ? strlen(text) : 2);
    free(text);
}

void respond_error(request *req, unsigned status, const char *message)
{
    respond_json(req, status, json_pack("{s:s}", "error", message), NULL);
}

void respond_stream_start(request *req, const char *type, const char *disposition)
{
    char extra[200] = "";
    if (disposition)
        snprintf(extra, sizeof extra, "content-disposition: %s\r\n", disposition);
    req->streaming = true;
    respond(req, HTTP_STATUS_OK, type, extra, NULL, 0);
}

bool respond_stream_write(request *req, const void *bytes, size_t len)
{
    pthread_mutex_lock(&req->lock);
    while (req->wsi && req->stream.len >= STREAM_ROOM)
        pthread_cond_wait(&req->room, &req->lock); /* the browser reads slower than we decrypt */
    bool alive = req->wsi != NULL;
    if (alive && veil_buf_append(&req->stream, bytes, len))
        alive = false;
    pthread_mutex_unlock(&req->lock);
    if (alive)
        lws_cancel_service(req->r->context); /* web_wake() asks for WRITEABLE */
    return alive;
}

void respond_stream_end(request *req, bool ok)
{
    pthread_mutex_lock(&req->lock);
    req->stream_end = true;
    req->stream_ok = ok;
    pthread_mutex_unlock(&req->lock);
    lws_cancel_service(req->r->context);
}

/* The status line and headers, once. */
static int write_headers(request *req, lws_filepos_t length)
{
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_common_headers(req->wsi, req->status, req->type, length, &p, end))
        return -1;
    const char *lines[2] = {SECURITY_HEADERS, req->extra};
    for (int i = 0; i < 2; i++)
        for (const char *l = lines[i]; *l;) {
            const char *colon = strchr(l, ':'), *eol = strstr(l, "\r\n");
            if (!colon || !eol)
                return -1;
            char name[64];
            size_t n = (size_t)(colon - l) + 1;
            if (n >= sizeof name)
                return -1;
            memcpy(name, l, n);
            name[n] = '\0';
            const char *v = colon + 1 + (colon[1] == ' ');
            if (lws_add_http_header_by_name(req->wsi, (unsigned char *)name,
                                            (const unsigned char *)v, (int)(eol - v), &p, end))
                return -1;
            l = eol + 2;
        }
    if (lws_finalize_write_http_header(req->wsi, start, &p, end))
        return -1;
    req->headers_sent = true;
    return 0;
}

/* A piece of body; the last one ends the transaction. Returns what an lws
 * callback returns. */
static int write_piece(request *req, const char *bytes, size_t len, bool last)
{
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, bytes, len);
    int wrote =
        lws_write(req->wsi, buf + LWS_PRE, len, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    free(buf);
    if (wrote < (int)len)
        return -1;
    if (last) {
        /* let go before lws ends the transaction (it may free the connection's state) */
        struct lws *wsi = req->wsi;
        req->done = true;
        request_detach(req);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(req->wsi);
    return 0;
}

static int on_writeable(request *req)
{
    if (!req->responding || req->done)
        return 0;
    if (!req->headers_sent &&
        write_headers(req, req->streaming ? LWS_ILLEGAL_HTTP_CONTENT_LEN : req->resp.len))
        return -1;
    if (!req->streaming) {
        size_t left = req->resp.len - req->resp_off, n = left < WRITE_PIECE ? left : WRITE_PIECE;
        req->resp_off += n;
        return write_piece(req, req->resp.data + req->resp_off - n, n, n == left);
    }
    pthread_mutex_lock(&req->lock);
    veil_buf piece = req->stream;
    req->stream = (veil_buf){0};
    bool end = req->stream_end, ok = req->stream_ok;
    pthread_cond_broadcast(&req->room);
    pthread_mutex_unlock(&req->lock);
    int rc = 0;
    if (piece.len || end)
        rc = write_piece(req, piece.data ? piece.data : "", piece.len, end);
    veil_buf_free(&piece);
    if (end && !ok)
        return -1; /* cut short: the client sees the connection close early */
    return rc;
}

/* After a cancel: finished jobs, and streams with something to send. */
static void web_wake(replay *r)
{
    jobs_collect(r->jobs);
    for (request *req = r->live; req; req = req->next_live)
        if (req->streaming && req->wsi && !req->done)
            lws_callback_on_writable(req->wsi);
}

/* ---- static assets, health, metrics ---------------------------------------------------------- */

static const struct {
    const char *path, *file, *type;
} ASSETS[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "application/javascript; charset=utf-8"},
    {"/app.css", "app.css", "text/css; charset=utf-8"},
    {"/rrweb-player.js", "rrweb-player.js", "application/javascript; charset=utf-8"},
    {"/rrweb-player.css", "rrweb-player.css", "text/css; charset=utf-8"},
};

/* The replay page of a site whose assets the analyst's browser may load
 * (replay_assets): the UI's policy plus the site's own origins for images,
 * styles, fonts and media. Every other site's replay loads nothing from it. */
static void serve_replay_page(request *req)
{
    char name[80] = "", csp[2048];
    const replay_site *site = NULL;
    if (request_query(req, "site", name, sizeof name))
        for (int i = 0; i < req->r->cfg.n_sites; i++)
            if (!strcmp(req->r->cfg.sites[i].name, name) && req->r->cfg.sites[i].replay_assets)
                site = &req->r->cfg.sites[i];
    char origins[1500] = "";
    for (int i = 0; site && i < site->n_origins; i++)
        if (strcmp(site->origins[i], "*") &&
            strlen(origins) + strlen(site->origins[i]) + 2 < sizeof origins)
            snprintf(origins + strlen(origins), sizeof origins - strlen(origins), " %s",
                     site->origins[i]);
    snprintf(csp, sizeof csp,
             "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self' "
             "'unsafe-inline'%s; img-src 'self' data: blob:%s; font-src 'self' data:%s; "
             "media-src 'self' blob:%s; connect-src 'self'; frame-src 'self' blob: about:; "
             "child-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action "
             "'self'; object-src 'none'\r\n",
             origins, origins, origins, origins);
    char file[1200];
    snprintf(file, sizeof file, "%s/index.html", req->r->cfg.assets_dir);
    veil_buf text = {0};
    if (veil_read_file(file, &text, 1u << 20, NULL))
        respond_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
                      "the console's web assets are not built: run scripts/build-web.sh");
    else
        respond_with(req, HTTP_STATUS_OK, "text/html; charset=utf-8", csp, text.data, text.len);
    veil_buf_free(&text);
}

static void serve_asset(request *req, const char *path)
{
    if (!strcmp(path, "/replay"))
        return serve_replay_page(req);
    for (size_t i = 0; i < sizeof ASSETS / sizeof ASSETS[0]; i++) {
        if (strcmp(path, ASSETS[i].path))
            continue;
        char file[1200];
        snprintf(file, sizeof file, "%s/%s", req->r->cfg.assets_dir, ASSETS[i].file);
        veil_buf text = {0};
        if (veil_read_file(file, &text, 32u << 20, NULL))
            respond_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE,
                          "the console's web assets are not built: run scripts/build-web.sh");
        else
            respond_with(req, HTTP_STATUS_OK, ASSETS[i].type, CSP_UI, text.data, text.len);
        veil_buf_free(&text);
        return;
    }
    respond_error(req, HTTP_STATUS_NOT_FOUND, "not found");
}

static bool bearer_ok(request *req)
{
    const char *token = req->r->cfg.metrics_token;
    char header[512];
    if (!token || !token[0] ||
        lws_hdr_copy(req->wsi, header, sizeof header, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
        strncmp(header, "Bearer ", 7))
        return false;
    size_t n = strlen(token);
    return strlen(header + 7) == n && sodium_memcmp(header + 7, token, n) == 0;
}

static void serve_metrics(request *req)
{
    veil_buf text = {0};
    replay_config *cfg = &req->r->cfg;
    int rc = cfg->metrics ? cfg->metrics(cfg->metrics_user, &text) : VEIL_ENOTFOUND;
    if (rc)
        respond_error(req, HTTP_STATUS_INTERNAL_SERVER_ERROR, "metrics are not available");
    else
        respond(req, HTTP_STATUS_OK, "text/plain; version=0.0.4", NULL, text.data, text.len);
    veil_buf_free(&text);
}

/* ---- the lws callbacks -------------------------------------------------------------------------
 */

static enum http_method method_of(struct lws *wsi)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        return METHOD_GET;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
        return METHOD_POST;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI))
        return METHOD_PATCH;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
        return METHOD_DELETE;
    return METHOD_OTHER;
}

/* Hands the request to the API once. */
static void handle_once(replay *r, request *req)
{
    if (req->handled)
        return;
    req->handled = true;
    if (req->body_too_big)
        respond_error(req, 413, "the request body is too large");
    else
        api_handle(r, req);
}

/* A new request at its headers; 0 to go on (reading a body when it has one). */
static int on_http(replay *r, struct lws *wsi, conn_state *cs, const char *path)
{
    request *req = cs->req = request_new(r, wsi);
    if (!req)
        return -1;
    req->cs = cs;
    req->method = method_of(wsi);
    snprintf(req->path, sizeof req->path, "%s", path);
    if (!strcmp(path, "/healthz")) {
        static const char OK[] = "{\"status\":\"ok\",\"version\":\"" VEIL_VERSION "\"}";
        respond(req, HTTP_STATUS_OK, "application/json", NULL, OK, sizeof OK - 1);
        return 0;
    }
    if (!strcmp(path, "/metrics")) {
        if (bearer_ok(req))
            serve_metrics(req);
        else
            respond_error(req, HTTP_STATUS_UNAUTHORIZED,
                          "metrics need 'Authorization: Bearer <token>' (metrics_token_file), or "
                          "the metrics listener (metrics_port)");
        return 0;
    }
    if (strncmp(path, "/api/", 5)) {
        if (req->method == METHOD_GET)
            serve_asset(req, path);
        else
            respond_error(req, 405, "method not allowed");
        return 0;
    }
    char length[24] = "";
    lws_hdr_copy(wsi, length, sizeof length, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (strtoull(length, NULL, 10) > BODY_MAX)
        req->body_too_big = true;
    if (req->method == METHOD_GET || req->method == METHOD_OTHER || !strtoull(length, NULL, 10))
        handle_once(r, req); /* no body coming */
    return 0;
}

static int on_console(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    conn_state *cs = user;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    replay *r = vh ? lws_get_vhost_user(vh) : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (cs->req) /* the next transaction of a kept-alive connection */
            request_detach(cs->req);
        return r ? on_http(r, wsi, cs, in) : -1;
    case LWS_CALLBACK_HTTP_BODY:
        if (cs->req && !cs->req->body_too_big &&
            (cs->req->body.len + len > BODY_MAX || veil_buf_append(&cs->req->body, in, len)))
            cs->req->body_too_big = true;
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!cs->req)
            return -1;
        handle_once(r, cs->req);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return cs->req ? on_writeable(cs->req) : 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (cs && cs->req)
            request_detach(cs->req);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (r)
            web_wake(r);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static int on_metrics(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    replay *r = vh ? lws_get_vhost_user(vh) : NULL;
    if (reason != LWS_CALLBACK_HTTP || !r)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    veil_buf text = {0};
    static const char NOT_HERE[] = "only /metrics is here\n";
    int rc = strcmp(in, "/metrics") || !r->cfg.metrics ? VEIL_ENOTFOUND
                                                       : r->cfg.metrics(r->cfg.metrics_user, &text);
    int ret = rc ? veil_http_respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", NULL, NOT_HERE,
                                     sizeof NOT_HERE - 1)
                 : veil_http_respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", NULL,
                                     text.data, text.len);
    veil_buf_free(&text);
    return ret;
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", on_console, sizeof(conn_state), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocols METRICS_PROTOCOLS[] = {
    {"http", on_metrics, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int replay_listen(replay *r, struct lws_context *context, const char *iface, int port,
                  const char *cert, const char *key)
{
    veil_listener l = {.name = "console",
                       .iface = iface,
                       .port = port,
                       .protocols = PROTOCOLS,
                       .user = r,
                       .cert = cert,
                       .key = key,
                       .alpn = "http/1.1"};
    if (!veil_listen(context, &l))
        return VEIL_EIO;
    __atomic_store_n(&r->context, context, __ATOMIC_RELEASE);
    replay_started(r);
    return VEIL_OK;
}

int replay_listen_metrics(replay *r, struct lws_context *context, const char *iface, int port)
{
    veil_listener l = {
        .name = "metrics", .iface = iface, .port = port, .protocols = METRICS_PROTOCOLS, .user = r};
    return veil_listen(context, &l) ? VEIL_OK : VEIL_EIO;
}
