/*
 * request.c - what a console request says, read by pure functions that see
 * bytes from outside (tests/fuzz/fuzz_console.c): the API route and its
 * path parameters, one cookie of a Cookie header, and JSON bodies (jansson).
 * lws has already parsed HTTP itself and URL-decoded the path.
 */
#include <string.h>

#include "internal.h"

static const struct {
    const char *pattern; /* '*' is one path part */
    enum route route;
} ROUTES[] = {
    {"/api/login", ROUTE_LOGIN},
    {"/api/logout", ROUTE_LOGOUT},
    {"/api/me", ROUTE_ME},
    {"/api/password", ROUTE_PASSWORD},
    {"/api/totp/enroll", ROUTE_TOTP_ENROLL},
    {"/api/totp/confirm", ROUTE_TOTP_CONFIRM},
    {"/api/alerts", ROUTE_ALERTS},
    {"/api/alerts/*/*/ack", ROUTE_ALERT_ACK},
    {"/api/sessions", ROUTE_SESSIONS},
    {"/api/sessions/*", ROUTE_SESSION},
    {"/api/sessions/*/events", ROUTE_SESSION_EVENTS},
    {"/api/sessions/*/export", ROUTE_SESSION_EXPORT},
    {"/api/search", ROUTE_SEARCH},
    {"/api/users", ROUTE_USERS},
    {"/api/users/*", ROUTE_USER},
    {"/api/sites", ROUTE_SITES},
    {"/api/keys", ROUTE_KEYS},
    {"/api/keys/rotate", ROUTE_KEYS_ROTATE},
    {"/api/audit", ROUTE_AUDIT},
    {"/api/audit/verify", ROUTE_AUDIT_VERIFY},
};

#define PART_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* Whether path matches pattern, filling params from its '*' parts. */
static bool matches(const char *pattern, const char *path, route_match *m)
{
    int param = 0;
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t n = strspn(path, PART_CHARS);
            if (n == 0 || n >= ROUTE_PARAM_MAX || param == 2 || (path[n] && path[n] != '/'))
                return false;
            memcpy(m->params[param], path, n);
            m->params[param++][n] = '\0';
            path += n;
            pattern++;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return !*pattern && !*path;
}

route_match request_route(const char *path)
{
    route_match m;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        memset(&m, 0, sizeof m);
        if (matches(ROUTES[i].pattern, path, &m)) {
            m.route = ROUTES[i].route;
            return m;
        }
    }
    memset(&m, 0, sizeof m);
    return m;
}

bool request_cookie(const char *header, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t");
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > name_len && !strncmp(p, name, name_len) && p[name_len] == '=') {
            size_t v = len - name_len - 1;
            if (v + 1 > cap)
                return false;
            memcpy(out, p + name_len + 1, v);
            out[v] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

json_t *request_json(const char *body, size_t len)
{
    json_t *o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(o))
        return o;
    json_decref(o);
    return NULL;
}

bool request_string(json_t *obj, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) >= cap || strlen(s) != json_string_length(v))
        return false;
    memcpy(out, s, json_string_length(v) + 1);
    return true;
}
