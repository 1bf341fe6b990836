/*
 * alerts.c - alerts ingest raises, kept in `data` under a/<site>/<id be64>.
 * Record: format | at u64 | count u64 | acked_ms u64 | kind | session | acked_by,
 * the last three length-prefixed. Ids count down from UINT64_MAX, so a scan
 * in key order lists the newest first.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ALERT_FORMAT 0x01
enum { ALERT_KEY_MAX = 2 + MAX_ID + 1 + 8, ALERT_RECORD_MAX = 1 + 24 + 3 * (1 + 64) };

static size_t alert_prefix(char *out, const char *site)
{
    return (size_t)snprintf(out, ALERT_KEY_MAX, "a/%s/", site);
}

static size_t alert_key(char *out, const char *site, uint64_t id)
{
    size_t n = alert_prefix(out, site);
    veil_be64_put((uint8_t *)out + n, UINT64_MAX - id);
    return n + 8;
}

static uint8_t *put_text(uint8_t *p, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap - 1);
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

static bool get_text(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
    if (*p >= end || **p >= cap || (size_t)(end - *p) < 1u + **p)
        return false;
    size_t n = **p;
    memcpy(out, *p + 1, n);
    out[n] = '\0';
    *p += 1 + n;
    return strlen(out) == n;
}

static size_t encode(uint8_t *out, const store_alert *a)
{
    uint8_t *p = out;
    *p++ = ALERT_FORMAT;
    p = veil_be64_put(p, a->at_ms);
    p = veil_be64_put(p, a->count);
    p = veil_be64_put(p, a->acked_ms);
    p = put_text(p, a->kind, sizeof a->kind);
    p = put_text(p, a->session_id, sizeof a->session_id);
    p = put_text(p, a->acked_by, sizeof a->acked_by);
    return (size_t)(p - out);
}

static bool decode(const uint8_t *rec, size_t len, store_alert *a)
{
    const uint8_t *p = rec, *end = rec + len;
    if (len < 25 || *p != ALERT_FORMAT)
        return false;
    a->at_ms = veil_be64_get(p + 1);
    a->count = veil_be64_get(p + 9);
    a->acked_ms = veil_be64_get(p + 17);
    p += 25;
    return get_text(&p, end, a->kind, sizeof a->kind) &&
           get_text(&p, end, a->session_id, sizeof a->session_id) &&
           get_text(&p, end, a->acked_by, sizeof a->acked_by) && p == end;
}

static int put_alert(store *st, const store_alert *a, bool sync)
{
    char key[ALERT_KEY_MAX];
    uint8_t rec[ALERT_RECORD_MAX];
    kv_batch *b = kv_batch_new();
    if (!b)
        return VEIL_ENOMEM;
    kv_batch_put(b, key, alert_key(key, a->site, a->id), rec, encode(rec, a));
    int rc = kv_write(st->data, b, sync);
    kv_batch_free(b);
    return rc;
}

int store_alert_add(store *st, store_alert *a)
{
    if (!store_valid_id(a->site) || st->read_only)
        return st->read_only ? VEIL_EBUSY : VEIL_EINVAL;
    /* at_ms in the high bits, a counter below: two alerts in one ms differ */
    static _Atomic uint32_t counter;
    a->id = a->at_ms << 16 | (counter++ & 0xffff);
    return put_alert(st, a, false);
}

typedef struct {
    const char *site; /* NULL: from the key */
    store_alert_fn fn;
    void *user;
} list_ctx;

static int list_one(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    list_ctx *lc = user;
    store_alert a = {0};
    const char *slash = kl > 10 ? memchr(k + 2, '/', kl - 2) : NULL;
    if (!slash || (size_t)(k + kl - slash) != 9 || (size_t)(slash - k - 2) > MAX_ID ||
        !decode((const uint8_t *)v, vl, &a))
        return 0; /* not an alert we wrote: skipped */
    memcpy(a.site, k + 2, (size_t)(slash - k - 2));
    a.id = UINT64_MAX - veil_be64_get((const uint8_t *)slash + 1);
    int rc = lc->fn(lc->user, &a);
    return rc ? (rc < 0 ? rc : 1) : 0;
}

int store_alert_list(store *st, const char *site, store_alert_fn fn, void *user)
{
    char prefix[ALERT_KEY_MAX];
    size_t n = site ? alert_prefix(prefix, site) : 2;
    if (!site)
        memcpy(prefix, "a/", 2);
    list_ctx lc = {site, fn, user};
    return kv_scan(st->data, prefix, n, NULL, 0, list_one, &lc);
}

int store_alert_ack(store *st, const char *site, uint64_t id, const char *user)
{
    if (!store_valid_id(site))
        return VEIL_EINVAL;
    char key[ALERT_KEY_MAX];
    veil_buf rec = {0};
    store_alert a = {0};
    int rc = kv_get(st->data, key, alert_key(key, site, id), &rec);
    if (!rc && !decode((const uint8_t *)rec.data, rec.len, &a))
        rc = VEIL_ECORRUPT;
    veil_buf_free(&rec);
    if (rc)
        return rc;
    snprintf(a.site, sizeof a.site, "%s", site);
    snprintf(a.acked_by, sizeof a.acked_by, "%s", user);
    a.id = id;
    a.acked_ms = st->clock_ms();
    return put_alert(st, &a, true);
}
