/* events.c - splits a session into its events without rewriting their bytes. */
#include "events.h"

#include <string.h>

#include <jansson.h>

static size_t skip_space(const char *p, size_t i, size_t len)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i;
}

/* Parses one JSON value at text+i; returns its length, or 0 when malformed. */
static size_t value_length(const char *text, size_t i, size_t len)
{
    json_error_t e;
    json_t *v = json_loadb(text + i, len - i, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &e);
    if (!v)
        return 0;
    json_decref(v);
    return (size_t)e.position;
}

static int each_in_array(const char *text, size_t len, size_t i, events_fn fn, void *user,
                         size_t *err_offset, const char **err_what)
{
    i = skip_space(text, i + 1, len);
    if (i < len && text[i] == ']')
        return skip_space(text, i + 1, len) == len ? 0 : (*err_offset = i + 1, -1);
    for (;;) {
        size_t n = value_length(text, i, len);
        if (!n) {
            *err_offset = i;
            *err_what = "malformed event";
            return -1;
        }
        int rc = fn(user, text + i, n, i);
        if (rc)
            return rc;
        i = skip_space(text, i + n, len);
        if (i < len && text[i] == ',') {
            i = skip_space(text, i + 1, len);
            continue;
        }
        if (i < len && text[i] == ']' && skip_space(text, i + 1, len) == len)
            return 0;
        *err_offset = i;
        *err_what = "expected ',' or a final ']' after an event";
        return -1;
    }
}

static int each_line(const char *text, size_t len, events_fn fn, void *user, size_t *err_offset,
                     const char **err_what)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t start = skip_space(text, i, end);
        if (start < end) {
            size_t n = value_length(text, start, end);
            if (!n || skip_space(text, start + n, end) != end) {
                *err_offset = start + n;
                *err_what = "each line must hold exactly one JSON event";
                return -1;
            }
            int rc = fn(user, text + start, n, start);
            if (rc)
                return rc;
        }
        i = end + 1;
    }
    return 0;
}

int events_each(const char *text, size_t len, bool *is_array, events_fn fn, void *user,
                size_t *err_offset, const char **err_what)
{
    *err_what = "malformed JSON";
    size_t i = skip_space(text, 0, len);
    *is_array = i < len && text[i] == '[';
    return *is_array ? each_in_array(text, len, i, fn, user, err_offset, err_what)
                     : each_line(text, len, fn, user, err_offset, err_what);
}
