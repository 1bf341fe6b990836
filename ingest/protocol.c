/*
 * protocol.c - the veil.v1 messages (DESIGN.md, "Wire protocol").
 *
 * In: `hello` is a small control message read with jansson. A batch can be
 * megabytes: the masker reads it whole anyway (it validates every byte and
 * walks its "events"), so only its fixed opening is read here, for the
 * sequence number the server needs before masking. Out: ready, ack, error,
 * written with jansson (ready carries the site's masking hints).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static bool copy_string(json_t *obj, const char *key, char *out, size_t cap, bool required)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return !required;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= cap || strlen(s) != json_string_length(v))
        return false;
    strcpy(out, s);
    return true;
}

static bool hex_id(const char *s)
{
    return strlen(s) == INGEST_ID_CHARS && strspn(s, "0123456789abcdef") == INGEST_ID_CHARS;
}

int protocol_hello(const char *msg, size_t len, hello_msg *h, const char **why)
{
    memset(h, 0, sizeof *h);
    *why = NULL;
    if (len > INGEST_HELLO_MAX) {
        *why = "hello is too long";
        return VEIL_EJSON;
    }
    json_t *root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *t = json_object_get(root, "t");
    if (!json_is_object(root) || !json_is_string(t) || strcmp(json_string_value(t), "hello"))
        *why = "expected {\"t\":\"hello\",...} as the first message";
    else if (!copy_string(root, "site", h->site, sizeof h->site, true))
        *why = "hello: \"site\" must be the site key";
    else if (!copy_string(root, "page", h->page, sizeof h->page, false) ||
             !copy_string(root, "snippet", h->snippet, sizeof h->snippet, false))
        *why = "hello: \"page\" and \"snippet\" must be strings (page up to 2047 bytes)";
    json_t *session = json_object_get(root, "session");
    if (!*why && session) {
        json_t *resume = json_object_get(root, "resume");
        h->resume = true;
        if (!copy_string(root, "session", h->session, sizeof h->session, true) ||
            !hex_id(h->session) || !copy_string(root, "token", h->token, sizeof h->token, true) ||
            !h->token[0] ||
            (resume && (!json_is_integer(resume) || json_integer_value(resume) < 0 ||
                        json_integer_value(resume) > UINT32_MAX)))
            *why = "hello: a resume needs \"session\" (32 hex digits), \"token\" and "
                   "\"resume\" (the last acked sequence number)";
        else if (resume)
            h->last_acked = (uint32_t)json_integer_value(resume);
    }
    json_decref(root);
    return *why ? VEIL_EJSON : VEIL_OK;
}

static const char BATCH_OPENING[] = "{\"t\":\"batch\",\"seq\":";
static const char EVENTS_KEY[] = ",\"events\":";

int protocol_batch_seq(const char *msg, size_t len, uint32_t *seq)
{
    size_t open = sizeof BATCH_OPENING - 1, i = open;
    if (len < open || memcmp(msg, BATCH_OPENING, open))
        return VEIL_EJSON;
    uint64_t n = 0;
    while (i < len && i - open < 10 && msg[i] >= '0' && msg[i] <= '9')
        n = n * 10 + (uint64_t)(msg[i++] - '0');
    size_t digits = i - open, rest = sizeof EVENTS_KEY - 1;
    if (digits == 0 || (digits > 1 && msg[open] == '0') || n == 0 || n > UINT32_MAX ||
        len - i < rest || memcmp(msg + i, EVENTS_KEY, rest))
        return VEIL_EJSON;
    *seq = (uint32_t)n;
    return VEIL_OK;
}

bool protocol_is_hello(const char *msg, size_t len)
{
    static const char HELLO[] = "{\"t\":\"hello\"";
    return len >= sizeof HELLO - 1 && !memcmp(msg, HELLO, sizeof HELLO - 1);
}

/* Writes obj compactly into out; its length (0 when it does not fit). */
static size_t dump(json_t *obj, char *out, size_t cap)
{
    size_t n = obj ? json_dumpb(obj, out, cap - 1, JSON_COMPACT) : 0;
    json_decref(obj);
    if (n >= cap)
        n = 0;
    out[n] = '\0';
    return n;
}

size_t protocol_ready(char *out, size_t cap, const ready_msg *r)
{
    const masker_hints *h = r->hints;
    json_t *policy = json_pack("{s:b, s:b, s:s}", "record_inputs", h->record_inputs, "record_pii",
                               h->record_pii, "mask_selector", h->mask_selector);
    json_t *limits = json_pack("{s:I, s:I, s:i}", "message", (json_int_t)r->max_message, "inflated",
                               (json_int_t)r->max_inflated, "rate", r->batches_per_second);
    return dump(json_pack("{s:s, s:s, s:s, s:I, s:b, s:o, s:o}", "t", "ready", "session",
                          r->session, "token", r->token, "last", (json_int_t)r->last, "state",
                          r->state, "policy", policy, "limits", limits),
                out, cap);
}

size_t protocol_ack(char *out, size_t cap, uint32_t seq)
{
    int n = snprintf(out, cap, "{\"t\":\"ack\",\"seq\":%u}", seq);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t protocol_error(char *out, size_t cap, const char *code, const char *message)
{
    return dump(json_pack("{s:s, s:s, s:s}", "t", "error", "code", code, "message", message), out,
                cap);
}
