/*
 * pages.c - plain HTTP on the ingest listener: the snippet at /veil.js
 * (cacheable, loadable from any site: it is the same public file for all),
 * and, for the demo site, a demo shop page at /demo that records into it;
 * /healthz for load balancers.
 * A WebSocket upgrade is checked here, before it happens.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include "../common/http.h"

static int serve_snippet(struct lws *wsi, const ingest *in)
{
    static const char HEADERS[] = "access-control-allow-origin: *\r\n"
                                  "cache-control: public, max-age=300\r\n"
                                  "x-content-type-options: nosniff\r\n";
    int rc = lws_serve_http_file(wsi, in->cfg.snippet_path, "application/javascript; charset=utf-8",
                                 HEADERS, (int)sizeof HEADERS - 1);
    if (rc < 0)
        return -1;
    return rc > 0 && lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A checkout form with the fields Veil must never keep, for a first try. */
static const char DEMO_PAGE[] =
    "<!doctype html><html lang=en><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width'><title>Veil demo shop</title>"
    "<script src=/veil.js data-veil-site='%s' async></script>"
    "<style>body{font:16px system-ui;max-width:34em;margin:2em auto}label{display:block;"
    "margin:.6em 0}input,textarea{font:inherit;width:100%%}</style>"
    "<h1>Demo shop: checkout</h1>"
    "<p>This page records into the demo site. Type anything: card numbers, the password "
    "and (by default) the email never reach the disk unmasked. Then replay the session "
    "in the console, or <code>veil sessions</code> and <code>veil export ID</code>.</p>"
    "<form onsubmit='return false'>"
    "<label>Name <input name=name autocomplete=name></label>"
    "<label>Email <input name=email type=email autocomplete=email></label>"
    "<label>Card number <input name=cardnumber autocomplete=cc-number inputmode=numeric>"
    "</label><label>Expiry <input name=exp autocomplete=cc-exp></label>"
    "<label>CVC <input name=cvc autocomplete=cc-csc></label>"
    "<label>Password <input name=password type=password></label>"
    "<label>Order notes <textarea name=notes></textarea></label>"
    "<button>Pay</button></form></html>";

static int serve_demo(struct lws *wsi, const ingest *in)
{
    static const char HEADERS[] = "content-security-policy: default-src 'self'; "
                                  "style-src 'unsafe-inline'; script-src 'self'\r\n";
    char page[sizeof DEMO_PAGE + 256];
    int n = snprintf(page, sizeof page, DEMO_PAGE, in->cfg.demo_site_key);
    if (n < 0 || (size_t)n >= sizeof page)
        return -1;
    return veil_http_respond(wsi, HTTP_STATUS_OK, "text/html; charset=utf-8", HEADERS, page,
                             (size_t)n);
}

/* For a load balancer's checks: 503 once draining, so it sends no new
 * visitors to a node that is shutting down. */
static int serve_health(struct lws *wsi, const ingest *in)
{
    static const char OK[] = "ok\n", DRAINING[] = "draining\n";
    bool draining = in->stopping;
    return veil_http_respond(wsi, draining ? HTTP_STATUS_SERVICE_UNAVAILABLE : HTTP_STATUS_OK,
                             "text/plain", NULL, draining ? DRAINING : OK,
                             draining ? sizeof DRAINING - 1 : sizeof OK - 1);
}

int pages_on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in_bytes,
                  size_t len)
{
    ingest *in = reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE || reason == LWS_CALLBACK_HTTP
                     ? conn_server(wsi)
                     : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        if (!in || strcmp(in_bytes, "websocket"))
            return 1;
        return conn_confirm_upgrade(wsi, in);
    case LWS_CALLBACK_HTTP: {
        const char *path = in_bytes;
        if (in && !strcmp(path, "/veil.js") && in->cfg.snippet_path)
            return serve_snippet(wsi, in);
        if (in && !strcmp(path, "/demo") && in->cfg.demo_site_key)
            return serve_demo(wsi, in);
        if (in && !strcmp(path, "/healthz"))
            return serve_health(wsi, in);
        static const char NOT_FOUND[] = "not found\n";
        return veil_http_respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", NULL, NOT_FOUND,
                                 sizeof NOT_FOUND - 1);
    }
    default:
        return lws_callback_http_dummy(wsi, reason, user, in_bytes, len);
    }
}
