/* events.c - splits a session into its events without rewriting their bytes (events.h). */
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

/* After the array's ']' at i: only space, or (for a batch) its closing '}'. */
static int array_closed(const char *text, size_t len, size_t i, bool in_batch, veil_error *err)
{
    size_t end = skip_space(text, i + 1, len);
    if (in_batch && end < len && text[end] == '}')
        end = skip_space(text, end + 1, len);
    return end == len ? VEIL_OK
                      : veil_fail(err, VEIL_EJSON,
                                  in_batch ? "\"events\" must be the batch's last member"
                                           : "nothing may follow the final ']'",
                                  end);
}

static int each_in_array(const char *text, size_t len, size_t i, bool in_batch, events_fn fn,
                         void *user, veil_error *err)
{
    i = skip_space(text, i + 1, len);
    if (i < len && text[i] == ']')
        return array_closed(text, len, i, in_batch, err);
    for (;;) {
        size_t n = value_length(text, i, len);
        if (!n)
            return veil_fail(err, VEIL_EJSON, "malformed event", i);
        int rc = fn(user, text + i, n, i);
        if (rc)
            return rc;
        i = skip_space(text, i + n, len);
        if (i < len && text[i] == ',') {
            i = skip_space(text, i + 1, len);
            continue;
        }
        if (i < len && text[i] == ']')
            return array_closed(text, len, i, in_batch, err);
        return veil_fail(err, VEIL_EJSON, "expected ',' or a final ']' after an event", i);
    }
}

/* JSON Lines, or JSON values one after another with blanks between them
 * (an event pretty-printed over many lines, as jq writes one). */
static int each_value(const char *text, size_t len, events_fn fn, void *user, veil_error *err)
{
    for (size_t i = skip_space(text, 0, len); i < len;) {
        size_t n = value_length(text, i, len);
        if (!n)
            return veil_fail(err, VEIL_EJSON, "malformed event", i);
        size_t next = skip_space(text, i + n, len);
        if (next < len && next == i + n)
            return veil_fail(err, VEIL_EJSON, "no line break between two events", next);
        int rc = fn(user, text + i, n, i);
        if (rc)
            return rc;
        i = next;
    }
    return VEIL_OK;
}

/* Where the events array of a batch as ingest stores it begins
 * ({"t":"batch","seq":N,"events":[...]}), or 0 when text is not one. */
static size_t batch_events_at(const char *text, size_t len)
{
    static const char OPENING[] = "{\"t\":\"batch\",\"seq\":", EVENTS[] = ",\"events\":[";
    size_t i = sizeof OPENING - 1;
    if (len < i || memcmp(text, OPENING, i))
        return 0;
    while (i < len && text[i] >= '0' && text[i] <= '9')
        i++;
    if (len - i < sizeof EVENTS - 1 || memcmp(text + i, EVENTS, sizeof EVENTS - 1))
        return 0;
    return i + sizeof EVENTS - 2;
}

int events_each(const char *text, size_t len, bool *is_array, events_fn fn, void *user,
                veil_error *err)
{
    size_t i = skip_space(text, 0, len), batch = batch_events_at(text, len);
    *is_array = batch || (i < len && text[i] == '[');
    if (batch)
        return each_in_array(text, len, batch, true, fn, user, err);
    return *is_array ? each_in_array(text, len, i, false, fn, user, err)
                     : each_value(text, len, fn, user, err);
}
