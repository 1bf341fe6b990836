/* replay.c - the console listener: landing page, health check and metrics (replay.h). */
#include "replay.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../common/http.h"

static const char LANDING[] =
    "<!doctype html><html lang=en><meta charset=utf-8><title>Veil console</title>"
    "<h1>Veil</h1><p>The server is running. Session replay, login and the audit log are not "
    "part of this build yet.</p></html>";

static const char CSP[] = "content-security-policy: default-src 'none'\r\n";

static int respond_text(struct lws *wsi, unsigned status, const char *type, const char *body)
{
    return veil_http_respond(wsi, status, type, CSP, body, strlen(body));
}

static replay_config config;

void replay_configure(const replay_config *cfg)
{
    config = *cfg;
}

static int serve_metrics(struct lws *wsi)
{
    veil_buf text = {0};
    int rc = config.metrics ? config.metrics(config.metrics_user, &text) : VEIL_ENOTFOUND;
    int ret = rc ? respond_text(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, "text/plain",
                                "metrics are not available\n")
                 : veil_http_respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", CSP,
                                     text.data, text.len);
    veil_buf_free(&text);
    return ret;
}

/* Whether the request carries `Authorization: Bearer <the token>`. */
static bool bearer_ok(struct lws *wsi)
{
    char header[512];
    if (!config.metrics_token || !config.metrics_token[0] ||
        lws_hdr_copy(wsi, header, sizeof header, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
        strncmp(header, "Bearer ", 7))
        return false;
    size_t n = strlen(config.metrics_token);
    return strlen(header + 7) == n && sodium_memcmp(header + 7, config.metrics_token, n) == 0;
}

static int on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    if (reason != LWS_CALLBACK_HTTP)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    const char *path = in;
    if (!strcmp(path, "/healthz"))
        return respond_text(wsi, HTTP_STATUS_OK, "application/json",
                            "{\"status\":\"ok\",\"version\":\"" VEIL_VERSION "\"}");
    if (!strcmp(path, "/metrics")) {
        if (bearer_ok(wsi))
            return serve_metrics(wsi);
        return respond_text(wsi, HTTP_STATUS_UNAUTHORIZED, "text/plain",
                            "metrics need 'Authorization: Bearer <token>' (metrics_token_file in "
                            "docs/configuration.md), or the metrics listener (metrics_port)\n");
    }
    if (!strcmp(path, "/"))
        return respond_text(wsi, HTTP_STATUS_OK, "text/html; charset=utf-8", LANDING);
    return respond_text(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "not found\n");
}

static int on_metrics_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    if (reason != LWS_CALLBACK_HTTP)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    if (!strcmp(in, "/metrics"))
        return serve_metrics(wsi);
    return respond_text(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "only /metrics is here\n");
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", on_http, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static const struct lws_protocols METRICS_PROTOCOLS[] = {
    {"http", on_metrics_http, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *replay_protocols(void)
{
    return PROTOCOLS;
}

const struct lws_protocols *replay_metrics_protocols(void)
{
    return METRICS_PROTOCOLS;
}
