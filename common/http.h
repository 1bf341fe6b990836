/*
 * http.h - one complete HTTP response on an lws connection, for the
 * listeners' small pages (console, metrics, the ingest demo page).
 */
#ifndef VEIL_HTTP_H
#define VEIL_HTTP_H

#include <stddef.h>

struct lws;

/*
 * Writes status, content type, `extra` headers (each "name: value\r\n", may
 * be NULL) with nosniff and no-store, then the body. Returns what an lws
 * callback returns: 0 to keep the connection, -1 to close it.
 */
int veil_http_respond(struct lws *wsi, unsigned status, const char *type, const char *extra,
                      const char *body, size_t len);

#endif
