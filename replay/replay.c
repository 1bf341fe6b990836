/* replay.c - the console listener: landing page, health check and metrics (replay.h). */
#include "replay.h"

#include <stdio.h>
#include <string.h>

static const char LANDING[] =
    "<!doctype html><html lang=en><meta charset=utf-8><title>Veil console</title>"
    "<h1>Veil</h1><p>The server is running. Session replay, login and the audit log are not "
    "part of this build yet.</p></html>";

/* Returns what an lws callback returns: 0 to keep the connection, -1 to close it. */
static int respond(struct lws *wsi, unsigned status, const char *type, const char *body)
{
    size_t n = strlen(body);
    unsigned char buf[LWS_PRE + 2048];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)n, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                    (const unsigned char *)"nosniff", 7, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"content-security-policy:",
                                    (const unsigned char *)"default-src 'none'", 18, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (n > sizeof buf - LWS_PRE)
        return -1;
    memcpy(start, body, n);
    if (lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) != (int)n)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static replay_metrics_fn metrics;

void replay_set_metrics(replay_metrics_fn fn)
{
    metrics = fn;
}

static int on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    (void)user;
    (void)len;
    if (reason != LWS_CALLBACK_HTTP)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    const char *path = in;
    if (!strcmp(path, "/healthz"))
        return respond(wsi, HTTP_STATUS_OK, "application/json",
                       "{\"status\":\"ok\",\"version\":\"" VEIL_VERSION "\"}");
    if (!strcmp(path, "/metrics") && metrics) {
        char text[1536];
        metrics(text, sizeof text);
        return respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", text);
    }
    if (!strcmp(path, "/"))
        return respond(wsi, HTTP_STATUS_OK, "text/html; charset=utf-8", LANDING);
    return respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "not found\n");
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", on_http, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *replay_protocols(void)
{
    return PROTOCOLS;
}
