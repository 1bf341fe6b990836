/* http.c - one complete HTTP response on an lws connection (http.h). */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

static int header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                  unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

/* "name: value\r\n" lines, each added as a header. */
static int extra_headers(struct lws *wsi, const char *extra, unsigned char **p, unsigned char *end)
{
    while (extra && *extra) {
        const char *colon = strchr(extra, ':'), *eol = strstr(extra, "\r\n");
        if (!colon || !eol || colon > eol)
            return -1;
        char name[64], value[512];
        size_t n = (size_t)(colon - extra) + 1, v;
        const char *val = colon + 1;
        while (*val == ' ')
            val++;
        v = (size_t)(eol - val);
        if (n >= sizeof name || v >= sizeof value)
            return -1;
        memcpy(name, extra, n);
        name[n] = '\0';
        memcpy(value, val, v);
        value[v] = '\0';
        if (header(wsi, name, value, p, end))
            return -1;
        extra = eol + 2;
    }
    return 0;
}

int veil_http_respond(struct lws *wsi, unsigned status, const char *type, const char *extra,
                      const char *body, size_t len)
{
    unsigned char head[LWS_PRE + 2048];
    unsigned char *start = head + LWS_PRE, *p = start, *end = head + sizeof head;
    if (lws_add_http_common_headers(wsi, status, type, (lws_filepos_t)len, &p, end) ||
        header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
        header(wsi, "cache-control:", "no-store", &p, end) || extra_headers(wsi, extra, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, body, len);
    int wrote = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(buf);
    if (wrote != (int)len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
