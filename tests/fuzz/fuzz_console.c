/*
 * fuzz_console.c - libFuzzer target over what the console reads from a
 * request before any check: the API route and its path parameters, a
 * cookie of the Cookie header, and a JSON body's string members. The first
 * input byte picks the reader. It asserts:
 *   - a route match's parameters are 1-95 characters of [A-Za-z0-9._-],
 *     and appear in the path as whole parts;
 *   - a cookie found fits its buffer and is what follows "name=" in the
 *     header;
 *   - a string member read from a body has no NUL inside and fits.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/internal.h"

static void route(const char *path)
{
    route_match m = request_route(path);
    int params = m.route == ROUTE_ALERT_ACK ? 2
                 : m.route == ROUTE_SESSION || m.route == ROUTE_SESSION_EVENTS ||
                         m.route == ROUTE_SESSION_EXPORT || m.route == ROUTE_USER
                     ? 1
                     : 0;
    for (int i = 0; i < params; i++) {
        size_t n = strlen(m.params[i]);
        if (n == 0 || n >= ROUTE_PARAM_MAX ||
            strspn(m.params[i],
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
            abort();
        bool whole_part = false; /* one of the path's '/'-separated parts */
        for (const char *p = path; *p && !whole_part; p++)
            whole_part = p[0] == '/' && !strncmp(p + 1, m.params[i], n) &&
                         (p[1 + n] == '/' || p[1 + n] == '\0');
        if (!whole_part)
            abort();
    }
}

static void cookie(const char *header)
{
    char out[64];
    if (!request_cookie(header, "__Host-veil", out, sizeof out))
        return;
    if (strlen(out) >= sizeof out)
        abort();
    char want[80];
    snprintf(want, sizeof want, "__Host-veil=%s", out);
    if (!strstr(header, want))
        abort();
}

static void body(const char *text, size_t len)
{
    json_t *o = request_json(text, len);
    if (!o)
        return;
    char out[32];
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (request_string(o, key, out, sizeof out) && strlen(out) != json_string_length(v))
            abort();
    }
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* lws hands over NUL-terminated paths and headers */
    switch (data[0] % 3) {
    case 0:
        route(text);
        break;
    case 1:
        cookie(text);
        break;
    default:
        body(text, size - 1);
        break;
    }
    free(text);
    return 0;
}
