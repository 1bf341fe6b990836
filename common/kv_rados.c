/*
 * kv_rados.c - the persistence interface (kv.h) on a RADOS pool, through
 * librados (Ceph 16), loaded when the first RADOS database opens. Layout
 * of one database, all in the pool's namespace `space` (docs/scale-out.md
 * has the picture):
 *
 *   kv.layout        omap "shards": the shard count, fixed when created
 *   g.<n>            omap: entries under a two-level prefix ("c/<id>/<seq>",
 *                    "a/<site>/<id>"), sharded by the hash of that prefix,
 *                    so a session's chunks sit in one object, in order
 *   i.<n>            omap: every other entry ("s/<id>", "k/<id>", "m/…"),
 *                    sharded by the hash of the whole key
 *   v.<hex of key>   the value, when it is larger than INLINE_MAX
 *
 * Omap keys are the database's keys with 0x00 and 0x01 escaped (librados
 * takes keys and listing bounds as C strings); the escape keeps the order,
 * so omap's ordered listing is the database's. Omap values start with a
 * tag: '=' the value follows, '>' the value is the v. object, whose length
 * follows (8 bytes, big-endian).
 *
 * A batch is written in phases: large values (v. objects), then one write
 * op per g. object, then one per i. object, then the removal of v. objects
 * whose keys went. Each object's write op is atomic; a failure between
 * phases leaves a v. object nobody names or data without its index entry,
 * never an index entry naming missing data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rados/librados.h>
#include <sodium.h>

#include "kv_backend.h"

enum {
    INLINE_MAX = 8 << 10, /* larger values get an object of their own */
    DEFAULT_SHARDS = 16,  /* per family; fixed at creation, read from kv.layout after */
    MAX_SHARDS = 256,
    PAGE = 512,        /* omap entries fetched per listing request */
    KV_KEY_MAX = 1024, /* longer keys than any store or console record has */
};

#define LAYOUT_OID "kv.layout"

typedef struct {
    rados_t cluster;
    rados_ioctx_t io;
    uint32_t shards;
    char cookie[40]; /* this handle's name as a lease holder */
    /* kv_watch: one watch per handle */
    char watch_oid[96];
    uint64_t watch_handle;
    bool watching;
    kv_notice_fn on_notice;
    void *notice_user;
} rdos;

/* librados's functions, loaded when the first RADOS database opens (kv_backend.h). */
#define RADOS_CALLS(X)                                                                             \
    X(rados_aio_create_completion2)                                                                \
    X(rados_aio_get_return_value)                                                                  \
    X(rados_aio_read_op_operate)                                                                   \
    X(rados_aio_release)                                                                           \
    X(rados_aio_remove)                                                                            \
    X(rados_aio_wait_for_complete)                                                                 \
    X(rados_aio_write_full)                                                                        \
    X(rados_aio_write_op_operate)                                                                  \
    X(rados_buffer_free)                                                                           \
    X(rados_conf_read_file)                                                                        \
    X(rados_conf_set)                                                                              \
    X(rados_connect)                                                                               \
    X(rados_create2)                                                                               \
    X(rados_create_read_op)                                                                        \
    X(rados_create_write_op)                                                                       \
    X(rados_ioctx_create)                                                                          \
    X(rados_ioctx_destroy)                                                                         \
    X(rados_ioctx_set_namespace)                                                                   \
    X(rados_lock_exclusive)                                                                        \
    X(rados_notify2)                                                                               \
    X(rados_notify_ack)                                                                            \
    X(rados_omap_get_end)                                                                          \
    X(rados_omap_get_next)                                                                         \
    X(rados_omap_get_next2)                                                                        \
    X(rados_read_op_omap_get_vals2)                                                                \
    X(rados_read_op_omap_get_vals_by_keys)                                                         \
    X(rados_read_op_operate)                                                                       \
    X(rados_read_op_read)                                                                          \
    X(rados_read_op_stat)                                                                          \
    X(rados_release_read_op)                                                                       \
    X(rados_release_write_op)                                                                      \
    X(rados_shutdown)                                                                              \
    X(rados_unlock)                                                                                \
    X(rados_unwatch2)                                                                              \
    X(rados_watch3)                                                                                \
    X(rados_watch_flush)                                                                           \
    X(rados_write_op_create)                                                                       \
    X(rados_write_op_omap_rm_keys)                                                                 \
    X(rados_write_op_omap_rm_range2)                                                               \
    X(rados_write_op_omap_set)                                                                     \
    X(rados_write_op_operate)

KV_LIBRARY("librados.so.2", RADOS_CALLS)

bool kv_rados_available(void)
{
    return library_loaded();
}

static int map_errno(int rc)
{
    switch (-rc) {
    case 0:
        return VEIL_OK;
    case ENOENT:
        return VEIL_ENOTFOUND;
    case ENOSPC:
    case EDQUOT:
        return VEIL_ENOSPC;
    case EPERM:
    case EACCES:
        return VEIL_EPERM;
    case EBUSY:
        return VEIL_EBUSY;
    case ENOMEM:
        return VEIL_ENOMEM;
    case ETIMEDOUT:
    case ENOTCONN:
    case ECONNREFUSED:
        return VEIL_ENETWORK;
    default:
        return VEIL_EIO;
    }
}

/* ---- Names: keys to objects and omap keys ------------------------------ */

/* Length of the key's two-level prefix (through its second '/'), or 0. */
static size_t group_len(const char *k, size_t kl)
{
    const char *first = memchr(k, '/', kl);
    if (!first)
        return 0;
    const char *second = memchr(first + 1, '/', kl - (size_t)(first + 1 - k));
    return second ? (size_t)(second + 1 - k) : 0;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
    return h;
}

typedef enum { FAMILY_GROUP = 0, FAMILY_INDEX = 1 } family;

typedef struct {
    family fam;
    uint32_t shard;
} placement;

static placement place(const rdos *r, const char *k, size_t kl)
{
    size_t gl = group_len(k, kl);
    if (gl)
        return (placement){FAMILY_GROUP, (uint32_t)(fnv1a(k, gl) % r->shards)};
    return (placement){FAMILY_INDEX, (uint32_t)(fnv1a(k, kl) % r->shards)};
}

/* "g.<n>" or "i.<n>"; out has room for 16 bytes. */
static void shard_oid(char *out, family fam, uint32_t shard)
{
    snprintf(out, 16, "%c.%u", fam == FAMILY_GROUP ? 'g' : 'i', shard);
}

/* Escapes 0x00 and 0x01 (0x01 0x01 and 0x01 0x02), order-preserving; out
 * needs 2 * kl + 1 bytes and gets a C string. */
static size_t key_encode(char *out, const char *k, size_t kl)
{
    size_t n = 0;
    for (size_t i = 0; i < kl; i++) {
        uint8_t c = (uint8_t)k[i];
        if (c <= 1) {
            out[n++] = 1;
            out[n++] = (char)(c + 1);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

/* In place; returns the decoded length. */
static size_t key_decode(char *k, size_t kl)
{
    size_t n = 0;
    for (size_t i = 0; i < kl; i++)
        k[n++] = k[i] == 1 && i + 1 < kl ? (char)(k[++i] - 1) : k[i];
    return n;
}

/* "v.<hex>"; out needs 2 * kl + 3 bytes. */
static void value_oid(char *out, const char *k, size_t kl)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = 'v';
    out[n++] = '.';
    for (size_t i = 0; i < kl; i++) {
        out[n++] = hex[(uint8_t)k[i] >> 4];
        out[n++] = hex[(uint8_t)k[i] & 15];
    }
    out[n] = '\0';
}

/* ---- Waiting for many operations at once ------------------------------- */

typedef struct {
    rados_completion_t *c;
    size_t n, cap;
} inflight;

static int inflight_add(inflight *f, rados_completion_t *out)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        rados_completion_t *c = realloc(f->c, cap * sizeof *c);
        if (!c)
            return VEIL_ENOMEM;
        f->c = c;
        f->cap = cap;
    }
    if (lib.rados_aio_create_completion2(NULL, NULL, &f->c[f->n]) < 0)
        return VEIL_ENOMEM;
    *out = f->c[f->n++];
    return VEIL_OK;
}

/* Submission result of the completion inflight_add gave last: when the
 * operation was not submitted, the completion would never complete, so it
 * is released here instead of waited for. */
static int inflight_submitted(inflight *f, int submit_rc)
{
    if (submit_rc < 0)
        lib.rados_aio_release(f->c[--f->n]);
    return map_errno(submit_rc);
}

/* Waits for all and frees the list; the first failure's code, -ENOENT
 * ignored when told. */
static int inflight_wait(inflight *f, bool ignore_missing)
{
    int first = 0;
    for (size_t i = 0; i < f->n; i++) {
        lib.rados_aio_wait_for_complete(f->c[i]);
        int rc = lib.rados_aio_get_return_value(f->c[i]);
        lib.rados_aio_release(f->c[i]);
        if (rc < 0 && !(ignore_missing && rc == -ENOENT) && !first)
            first = rc;
    }
    free(f->c);
    *f = (inflight){0};
    return first;
}

/* ---- Opening ----------------------------------------------------------- */

static void rdos_unwatch(void *impl)
{
    rdos *r = impl;
    if (!r->watching)
        return;
    lib.rados_unwatch2(r->io, r->watch_handle);
    lib.rados_watch_flush(r->cluster); /* callbacks already queued run before this returns */
    r->watching = false;
}

static void rdos_close(void *impl)
{
    rdos *r = impl;
    rdos_unwatch(r); /* no callback may run once the handle is gone */
    if (r->io)
        lib.rados_ioctx_destroy(r->io);
    if (r->cluster)
        lib.rados_shutdown(r->cluster);
    free(r);
}

static int read_layout(rdos *r, bool *found)
{
    rados_read_op_t op = lib.rados_create_read_op();
    rados_omap_iter_t it = NULL;
    const char *keys[] = {"shards"};
    int prval = 0;
    lib.rados_read_op_omap_get_vals_by_keys(op, keys, 1, &it, &prval);
    int rc = lib.rados_read_op_operate(op, r->io, LAYOUT_OID, 0);
    lib.rados_release_read_op(op);
    *found = false;
    if (rc < 0 || prval < 0) { /* the iterator exists whatever the outcome */
        if (it)
            lib.rados_omap_get_end(it);
        return rc == -ENOENT ? VEIL_OK : map_errno(rc < 0 ? rc : prval);
    }
    char *k, *v;
    size_t vl;
    if (lib.rados_omap_get_next(it, &k, &v, &vl) == 0 && k && vl > 0 && vl < 8) {
        char text[8] = {0};
        memcpy(text, v, vl);
        r->shards = (uint32_t)strtoul(text, NULL, 10);
        *found = r->shards > 0 && r->shards <= MAX_SHARDS;
        rc = *found ? VEIL_OK : VEIL_ECORRUPT;
    } else {
        rc = VEIL_ECORRUPT;
    }
    lib.rados_omap_get_end(it);
    return rc;
}

/* Creates kv.layout unless another node just did; either way reads it. */
static int ensure_layout(rdos *r, bool read_only)
{
    bool found;
    int rc = read_layout(r, &found);
    if (rc || found)
        return rc;
    r->shards = DEFAULT_SHARDS;
    if (read_only)
        return VEIL_OK; /* nothing written yet: every listing is empty */
    char text[8];
    snprintf(text, sizeof text, "%u", (unsigned)DEFAULT_SHARDS);
    const char *keys[] = {"shards"}, *vals[] = {text};
    size_t lens[] = {strlen(text)};
    rados_write_op_t op = lib.rados_create_write_op();
    lib.rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, NULL);
    lib.rados_write_op_omap_set(op, keys, vals, lens, 1);
    int wrc = lib.rados_write_op_operate(op, r->io, LAYOUT_OID, NULL, 0);
    lib.rados_release_write_op(op);
    if (wrc < 0 && wrc != -EEXIST)
        return map_errno(wrc);
    rc = read_layout(r, &found);
    return rc ? rc : found ? VEIL_OK : VEIL_ECORRUPT;
}

int kv_rados_open(void **out, const kv_rados_target *t, bool read_only)
{
    if (!t->conf_file || !t->client || !t->pool)
        return VEIL_EINVAL;
    if (!library_loaded())
        return VEIL_EINVAL; /* (the configuration check says why: kv_have_rados) */
    rdos *r = calloc(1, sizeof *r);
    if (!r)
        return VEIL_ENOMEM;
    int rc = lib.rados_create2(&r->cluster, "ceph", t->client, 0) < 0 ? VEIL_ENOMEM : VEIL_OK;
    if (rc)
        r->cluster = NULL;
    if (!rc && lib.rados_conf_read_file(r->cluster, t->conf_file) < 0)
        rc = VEIL_ECONFIG;
    /* A cluster that is gone fails a call instead of hanging it: the
     * caller (an ingest worker) answers the batch unacked and the snippet
     * resends it. */
    if (!rc) {
        lib.rados_conf_set(r->cluster, "client_mount_timeout", "15");
        lib.rados_conf_set(r->cluster, "rados_mon_op_timeout", "30");
        lib.rados_conf_set(r->cluster, "rados_osd_op_timeout", "30");
        lib.rados_conf_set(r->cluster, "log_to_stderr", "false");
        lib.rados_conf_set(r->cluster, "err_to_stderr", "false");
    }
    if (!rc && lib.rados_connect(r->cluster) < 0)
        rc = VEIL_ENETWORK;
    if (!rc && lib.rados_ioctx_create(r->cluster, t->pool, &r->io) < 0) {
        r->io = NULL;
        rc = VEIL_ENETWORK;
    }
    if (!rc) {
        lib.rados_ioctx_set_namespace(r->io, t->space ? t->space : "");
        rc = ensure_layout(r, read_only);
    }
    if (!rc) {
        uint8_t id[16];
        randombytes_buf(id, sizeof id);
        sodium_bin2hex(r->cookie, sizeof r->cookie, id, sizeof id);
    }
    if (rc) {
        rdos_close(r);
        return rc;
    }
    *out = r;
    return VEIL_OK;
}

/* ---- Reading ----------------------------------------------------------- */

/* The value an omap entry stands for, into val. */
static int resolve_value(rdos *r, const char *k, size_t kl, const char *v, size_t vl, veil_buf *val)
{
    veil_buf_reset(val);
    if (vl >= 1 && v[0] == '=')
        return veil_buf_append(val, v + 1, vl - 1);
    if (vl != 9 || v[0] != '>')
        return VEIL_ECORRUPT;
    uint64_t len = veil_be64_get((const uint8_t *)v + 1);
    char *oid = malloc(2 * kl + 3);
    if (!oid)
        return VEIL_ENOMEM;
    value_oid(oid, k, kl);
    /* One op reads the object and its size: a rewrite in progress may have
     * made it longer than the entry says, then it is read again whole. */
    int rc = VEIL_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t size = 0;
        size_t got = 0;
        time_t mtime;
        int stat_rc = 0, read_rc = 0;
        if ((rc = veil_buf_reserve(val, len)))
            break;
        rados_read_op_t op = lib.rados_create_read_op();
        lib.rados_read_op_stat(op, &size, &mtime, &stat_rc);
        lib.rados_read_op_read(op, 0, len, val->data, &got, &read_rc);
        int orc = lib.rados_read_op_operate(op, r->io, oid, 0);
        lib.rados_release_read_op(op);
        if (orc < 0 || stat_rc < 0 || read_rc < 0) {
            orc = orc < 0 ? orc : stat_rc < 0 ? stat_rc : read_rc;
            rc = orc == -ENOENT ? VEIL_ECORRUPT : map_errno(orc);
            break;
        }
        if (size > len && attempt == 0) {
            len = size;
            continue;
        }
        val->len = got;
        val->data[got] = '\0';
        break;
    }
    free(oid);
    return rc;
}

static int rdos_get(void *impl, const void *key, size_t klen, veil_buf *val)
{
    rdos *r = impl;
    char oid[16];
    placement p = place(r, key, klen);
    shard_oid(oid, p.fam, p.shard);
    char *ek = malloc(2 * klen + 1);
    if (!ek)
        return VEIL_ENOMEM;
    key_encode(ek, key, klen);
    const char *keys[] = {ek};
    rados_omap_iter_t it = NULL;
    int prval = 0;
    rados_read_op_t op = lib.rados_create_read_op();
    lib.rados_read_op_omap_get_vals_by_keys(op, keys, 1, &it, &prval);
    int rc = lib.rados_read_op_operate(op, r->io, oid, 0);
    lib.rados_release_read_op(op);
    free(ek);
    if (rc < 0 || prval < 0) { /* the iterator exists whatever the outcome */
        if (it)
            lib.rados_omap_get_end(it);
        return map_errno(rc < 0 ? rc : prval);
    }
    char *k, *v;
    size_t vl;
    rc = VEIL_ENOTFOUND;
    if (lib.rados_omap_get_next(it, &k, &v, &vl) == 0 && k)
        rc = resolve_value(r, key, klen, v, vl, val);
    lib.rados_omap_get_end(it);
    return rc;
}

/* ---- Ordered scans: one cursor per object, merged ------------------------ */

typedef struct {
    char oid[16];
    rados_omap_iter_t iter; /* the current page; NULL when none */
    unsigned char more;     /* the object has entries after this page */
    bool done;
    char *key, *val; /* the head entry, valid until the page ends */
    size_t klen, vlen;
    char *after; /* encoded key the next page starts after (malloc) */
} cursor;

typedef struct {
    rdos *r;
    cursor *c;
    size_t n;
    char *prefix;   /* encoded */
    bool keys_only; /* the caller reads no value: large ones are not fetched */
} merge;

static int cursor_request(merge *m, cursor *c, rados_completion_t done, rados_read_op_t *op,
                          int *prval)
{
    if (c->iter) {
        lib.rados_omap_get_end(c->iter);
        c->iter = NULL;
    }
    *op = lib.rados_create_read_op();
    lib.rados_read_op_omap_get_vals2(*op, c->after ? c->after : "", m->prefix, PAGE, &c->iter,
                                     &c->more, prval);
    return map_errno(lib.rados_aio_read_op_operate(*op, m->r->io, done, c->oid, 0));
}

/* Moves the cursor to its next entry (c->key NULL and done at the end). */
static int cursor_step(cursor *c)
{
    c->key = NULL;
    if (!c->iter)
        return VEIL_OK;
    int rc = lib.rados_omap_get_next2(c->iter, &c->key, &c->val, &c->klen, &c->vlen);
    if (rc < 0)
        return map_errno(rc);
    if (!c->key && !c->more)
        c->done = true;
    return VEIL_OK;
}

/* Fetches a page for every cursor that has none and is not done, at once. */
static int merge_fill(merge *m)
{
    rados_completion_t *done = calloc(m->n, sizeof *done);
    rados_read_op_t *ops = calloc(m->n, sizeof *ops);
    int *prval = calloc(m->n, sizeof *prval);
    int rc = done && ops && prval ? VEIL_OK : VEIL_ENOMEM;
    for (size_t i = 0; !rc && i < m->n; i++) {
        cursor *c = &m->c[i];
        if (c->key || c->done)
            continue;
        if (lib.rados_aio_create_completion2(NULL, NULL, &done[i]) < 0) {
            done[i] = NULL;
            rc = VEIL_ENOMEM;
        } else if ((rc = cursor_request(m, c, done[i], &ops[i], &prval[i]))) {
            lib.rados_aio_release(done[i]);
            lib.rados_release_read_op(ops[i]);
            done[i] = NULL;
        }
    }
    for (size_t i = 0; done && i < m->n; i++) {
        if (!done[i])
            continue;
        lib.rados_aio_wait_for_complete(done[i]);
        int orc = lib.rados_aio_get_return_value(done[i]);
        lib.rados_aio_release(done[i]);
        lib.rados_release_read_op(ops[i]);
        cursor *c = &m->c[i];
        if (orc == -ENOENT) {
            c->done = true; /* the object does not exist (yet) */
            continue;
        }
        if (!rc && (orc < 0 || prval[i] < 0))
            rc = map_errno(orc < 0 ? orc : prval[i]);
        if (!rc)
            rc = cursor_step(c);
    }
    free(done);
    free(ops);
    free(prval);
    return rc;
}

/* The cursor holding the smallest key, or NULL when all are done. */
static cursor *merge_head(merge *m, int *rc)
{
    for (;;) {
        bool refill = false;
        cursor *best = NULL;
        for (size_t i = 0; i < m->n; i++) {
            cursor *c = &m->c[i];
            if (c->done)
                continue;
            if (!c->key) {
                refill = true;
                continue;
            }
            if (!best) {
                best = c;
                continue;
            }
            size_t n = c->klen < best->klen ? c->klen : best->klen;
            int d = memcmp(c->key, best->key, n);
            if (d < 0 || (d == 0 && c->klen < best->klen))
                best = c;
        }
        if (!refill)
            return best;
        if ((*rc = merge_fill(m)))
            return NULL;
    }
}

static int merge_run(merge *m, kv_scan_fn fn, void *user)
{
    veil_buf key = {0}, val = {0};
    int rc = VEIL_OK, stop = 0;
    cursor *c;
    while (!stop && (c = merge_head(m, &rc))) {
        char *after = malloc(c->klen + 1);
        if (!after) {
            rc = VEIL_ENOMEM;
            break;
        }
        memcpy(after, c->key, c->klen);
        after[c->klen] = '\0';
        free(c->after);
        c->after = after;
        veil_buf_reuse(&key);
        if ((rc = veil_buf_append(&key, c->key, c->klen)))
            break;
        key.len = key_decode(key.data, key.len);
        if (!m->keys_only && (rc = resolve_value(m->r, key.data, key.len, c->val, c->vlen, &val)))
            break;
        stop = fn(user, key.data, key.len, val.data, val.len);
        if (stop < 0)
            rc = stop;
        if (!rc && !stop)
            rc = cursor_step(c);
        if (rc)
            break;
    }
    veil_buf_free(&key);
    veil_buf_free(&val);
    return rc;
}

/* An ordered scan; with keys_only, fn gets each key with an empty value. */
static int scan_objects(rdos *r, const char *prefix, size_t plen, const char *after, size_t alen,
                        bool keys_only, kv_scan_fn fn, void *user)
{
    merge m = {r, NULL, 0, malloc(2 * plen + 1), keys_only};
    size_t gl = group_len(prefix, plen);
    m.c = calloc(gl ? 1 : 2 * (size_t)r->shards, sizeof *m.c);
    char *start = after ? malloc(2 * alen + 1) : NULL;
    int rc = m.prefix && m.c && (!after || start) ? VEIL_OK : VEIL_ENOMEM;
    if (!rc) {
        key_encode(m.prefix, prefix, plen);
        if (after)
            key_encode(start, after, alen);
        /* A two-level prefix names one object; anything shorter, all of them. */
        if (gl)
            shard_oid(m.c[m.n++].oid, FAMILY_GROUP, (uint32_t)(fnv1a(prefix, gl) % r->shards));
        for (uint32_t s = 0; !gl && s < r->shards; s++) {
            shard_oid(m.c[m.n++].oid, FAMILY_GROUP, s);
            shard_oid(m.c[m.n++].oid, FAMILY_INDEX, s);
        }
        for (size_t i = 0; start && !rc && i < m.n; i++)
            rc = (m.c[i].after = strdup(start)) ? VEIL_OK : VEIL_ENOMEM;
    }
    if (!rc)
        rc = merge_run(&m, fn, user);
    for (size_t i = 0; m.c && i < m.n; i++) {
        if (m.c[i].iter)
            lib.rados_omap_get_end(m.c[i].iter);
        free(m.c[i].after);
    }
    free(m.c);
    free(m.prefix);
    free(start);
    return rc;
}

static int rdos_scan(void *impl, const char *prefix, size_t plen, const char *after, size_t alen,
                     kv_scan_fn fn, void *user)
{
    return scan_objects(impl, prefix, plen, after, alen, false, fn, user);
}

/* ---- Writing ----------------------------------------------------------- */

/* One write op per shard object, built in batch order. */
typedef struct {
    rdos *r;
    const kv_batch *b;
    rados_write_op_t *ops; /* [family * shards + shard] */
    veil_buf names;        /* encoded keys and tagged values the ops point at, NUL-separated */
    size_t *offsets;       /* per batch op: its encoded key in names */
    size_t *voffsets;      /* per put: its tagged value in names */
    char **removals;       /* v. objects to remove once no entry names them */
    size_t n_removals, cap_removals;
} writer;

static rados_write_op_t *op_for(writer *w, family fam, uint32_t shard)
{
    rados_write_op_t *op = &w->ops[(size_t)fam * w->r->shards + shard];
    if (!*op) {
        *op = lib.rados_create_write_op();
        /* A removal from an object nobody wrote yet is no error (and must
         * not fail the puts after it in the same op). */
        lib.rados_write_op_create(*op, LIBRADOS_CREATE_IDEMPOTENT, NULL);
    }
    return op;
}

/* True when a put later in the batch gives key its own object again. */
static bool big_put_after(const kv_batch *b, size_t i, const char *k, size_t kl)
{
    for (size_t j = i + 1; j < b->n; j++) {
        const kv_op *op = &b->ops[j];
        if (op->kind == KV_OP_PUT && op->vlen > INLINE_MAX && op->klen == kl &&
            !memcmp(kv_op_key(b, op), k, kl))
            return true;
    }
    return false;
}

static int add_removal(writer *w, size_t i, const char *k, size_t kl)
{
    if (big_put_after(w->b, i, k, kl))
        return VEIL_OK;
    if (w->n_removals == w->cap_removals) {
        size_t cap = w->cap_removals ? w->cap_removals * 2 : 8;
        char **r = realloc(w->removals, cap * sizeof *r);
        if (!r)
            return VEIL_ENOMEM;
        w->removals = r;
        w->cap_removals = cap;
    }
    char *oid = malloc(2 * kl + 3);
    if (!oid)
        return VEIL_ENOMEM;
    value_oid(oid, k, kl);
    w->removals[w->n_removals++] = oid;
    return VEIL_OK;
}

/* Phase 0: the encoded keys and tagged values, in one buffer that stays put. */
static int encode_names(writer *w)
{
    const kv_batch *b = w->b;
    int rc = VEIL_OK;
    for (size_t i = 0; !rc && i < b->n; i++) {
        const kv_op *op = &b->ops[i];
        size_t need = 2 * op->klen + 1 +
                      (op->kind == KV_OP_DELETE_RANGE ? 2 * op->vlen + 1
                       : op->vlen > INLINE_MAX        ? 9
                                                      : op->vlen + 1);
        if ((rc = veil_buf_reserve(&w->names, need)))
            break;
        w->offsets[i] = w->names.len;
        w->names.len += key_encode(w->names.data + w->names.len, kv_op_key(b, op), op->klen) + 1;
        if (op->kind == KV_OP_DELETE_RANGE) {
            w->voffsets[i] = w->names.len;
            w->names.len +=
                key_encode(w->names.data + w->names.len, kv_op_val(b, op), op->vlen) + 1;
        } else if (op->kind == KV_OP_PUT) {
            char *v = w->names.data + (w->voffsets[i] = w->names.len);
            if (op->vlen > INLINE_MAX) {
                v[0] = '>';
                veil_be64_put((uint8_t *)v + 1, op->vlen);
                w->names.len += 9;
            } else {
                v[0] = '=';
                memcpy(v + 1, kv_op_val(b, op), op->vlen);
                w->names.len += 1 + op->vlen;
            }
        }
    }
    return rc;
}

/* Phase 1: the large values, each in its object, all at once. */
static int write_values(writer *w)
{
    const kv_batch *b = w->b;
    inflight f = {0};
    int rc = VEIL_OK;
    for (size_t i = 0; !rc && i < b->n; i++) {
        const kv_op *op = &b->ops[i];
        if (op->kind != KV_OP_PUT || op->vlen <= INLINE_MAX)
            continue;
        char *oid = malloc(2 * op->klen + 3);
        rados_completion_t c;
        rc = oid ? inflight_add(&f, &c) : VEIL_ENOMEM;
        if (!rc) {
            value_oid(oid, kv_op_key(b, op), op->klen);
            rc = inflight_submitted(
                &f, lib.rados_aio_write_full(w->r->io, oid, c, kv_op_val(b, op), op->vlen));
        }
        free(oid);
    }
    int wrc = inflight_wait(&f, false);
    return rc ? rc : map_errno(wrc);
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int d = memcmp(a, b, al < bl ? al : bl);
    return d ? d : (al > bl) - (al < bl);
}

/* The prefix every key of the range [from, to) shares: from's two-level
 * prefix G when to is at most G with its last '/' raised by one (one
 * session's chunks: one object), else what from and to have in common. */
static size_t range_scope(const kv_batch *b, const kv_op *op)
{
    const char *from = kv_op_key(b, op), *to = kv_op_val(b, op);
    size_t gl = group_len(from, op->klen);
    char succ[KV_KEY_MAX];
    if (gl && gl <= sizeof succ) {
        memcpy(succ, from, gl);
        succ[gl - 1] = '/' + 1;
        if (bytes_cmp(to, op->vlen, succ, gl) <= 0)
            return gl;
    }
    size_t common = 0;
    while (common < op->klen && common < op->vlen && from[common] == to[common])
        common++;
    return common;
}

/* Removes the range's entries from the objects it can touch: the one g.
 * object of its two-level prefix when it stays inside one, else all. */
static void range_ops(writer *w, size_t i, bool inside)
{
    const kv_op *op = &w->b->ops[i];
    const char *efrom = w->names.data + w->offsets[i], *eto = w->names.data + w->voffsets[i];
    const char *from = kv_op_key(w->b, op);
    uint32_t only = inside ? (uint32_t)(fnv1a(from, group_len(from, op->klen)) % w->r->shards) : 0;
    for (uint32_t s = 0; s < w->r->shards; s++)
        for (int fam = FAMILY_GROUP; fam <= FAMILY_INDEX; fam++)
            if (!inside || (fam == FAMILY_GROUP && s == only))
                lib.rados_write_op_omap_rm_range2(*op_for(w, (family)fam, s), efrom, strlen(efrom),
                                                  eto, strlen(eto));
}

typedef struct {
    writer *w;
    size_t i;
} range_ctx;

/* Scan callback over the range's common prefix: notes the v. object of
 * every key in [from, to). */
static int note_removal_in_range(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)v, (void)vl;
    range_ctx *rc = user;
    const kv_op *op = &rc->w->b->ops[rc->i];
    if (bytes_cmp(k, kl, kv_op_key(rc->w->b, op), op->klen) < 0)
        return 0;
    if (bytes_cmp(k, kl, kv_op_val(rc->w->b, op), op->vlen) >= 0)
        return 1;
    return add_removal(rc->w, rc->i, k, kl);
}

/* Phase 2 (building): every entry change, in batch order, on its object. */
static int build_ops(writer *w)
{
    const kv_batch *b = w->b;
    int rc = VEIL_OK;
    for (size_t i = 0; !rc && i < b->n; i++) {
        const kv_op *op = &b->ops[i];
        const char *k = kv_op_key(b, op);
        const char *ek = w->names.data + w->offsets[i];
        placement p = place(w->r, k, op->klen);
        if (op->kind == KV_OP_PUT) {
            const char *keys[] = {ek}, *vals[] = {w->names.data + w->voffsets[i]};
            size_t lens[] = {op->vlen > INLINE_MAX ? 9 : op->vlen + 1};
            lib.rados_write_op_omap_set(*op_for(w, p.fam, p.shard), keys, vals, lens, 1);
        } else if (op->kind == KV_OP_DELETE) {
            const char *keys[] = {ek};
            lib.rados_write_op_omap_rm_keys(*op_for(w, p.fam, p.shard), keys, 1);
            rc = add_removal(w, i, k, op->klen);
        } else {
            /* The keys in the range now, for their v. objects. */
            range_ctx ctx = {w, i};
            size_t scope = range_scope(b, op);
            /* keys only: deleting a session must not read its chunks */
            rc = scan_objects(w->r, k, scope, NULL, 0, true, note_removal_in_range, &ctx);
            if (!rc)
                range_ops(w, i, scope && scope == group_len(k, op->klen));
        }
    }
    return rc;
}

/* Phase 2 and 3 (running): the g. objects' ops, then the i. objects'. */
static int run_ops(writer *w, family fam)
{
    inflight f = {0};
    int rc = VEIL_OK;
    for (uint32_t s = 0; !rc && s < w->r->shards; s++) {
        rados_write_op_t op = w->ops[(size_t)fam * w->r->shards + s];
        rados_completion_t c;
        char oid[16];
        if (!op || (rc = inflight_add(&f, &c)))
            continue;
        shard_oid(oid, fam, s);
        rc = inflight_submitted(&f, lib.rados_aio_write_op_operate(op, w->r->io, c, oid, NULL, 0));
    }
    int wrc = inflight_wait(&f, false);
    return rc ? rc : map_errno(wrc);
}

/* Phase 4: v. objects no entry names any more; a missing one is no error. */
static int remove_values(writer *w)
{
    inflight f = {0};
    int rc = VEIL_OK;
    for (size_t i = 0; !rc && i < w->n_removals; i++) {
        rados_completion_t c;
        if (!(rc = inflight_add(&f, &c)))
            rc = inflight_submitted(&f, lib.rados_aio_remove(w->r->io, w->removals[i], c));
    }
    int wrc = inflight_wait(&f, true);
    return rc ? rc : map_errno(wrc);
}

static int rdos_write(void *impl, const kv_batch *b, bool sync)
{
    (void)sync; /* a completed RADOS write is on the acting set already */
    rdos *r = impl;
    writer w = {r,
                b,
                calloc(2 * (size_t)r->shards, sizeof(rados_write_op_t)),
                {0},
                calloc(b->n, sizeof(size_t)),
                calloc(b->n, sizeof(size_t)),
                NULL,
                0,
                0};
    int rc = w.ops && w.offsets && w.voffsets ? VEIL_OK : VEIL_ENOMEM;
    if (!rc)
        rc = encode_names(&w);
    if (!rc)
        rc = write_values(&w);
    if (!rc)
        rc = build_ops(&w);
    if (!rc)
        rc = run_ops(&w, FAMILY_GROUP);
    if (!rc)
        rc = run_ops(&w, FAMILY_INDEX);
    if (!rc)
        rc = remove_values(&w);
    for (size_t i = 0; w.ops && i < 2 * (size_t)r->shards; i++)
        if (w.ops[i])
            lib.rados_release_write_op(w.ops[i]);
    for (size_t i = 0; i < w.n_removals; i++)
        free(w.removals[i]);
    free(w.removals);
    free(w.ops);
    free(w.offsets);
    free(w.voffsets);
    veil_buf_free(&w.names);
    return rc;
}

static int rdos_compact(void *impl)
{
    (void)impl; /* the OSDs free a removed object's space themselves */
    return VEIL_OK;
}

/* A lease is cls_lock's exclusive lock on object "lease.<name>", with a
 * duration: the OSD drops it when the holder stops renewing. */
static int rdos_lease(void *impl, const char *name, uint32_t seconds)
{
    rdos *r = impl;
    char oid[96];
    if (snprintf(oid, sizeof oid, "lease.%s", name) >= (int)sizeof oid)
        return VEIL_EINVAL;
    if (!seconds)
        return map_errno(lib.rados_unlock(r->io, oid, "veil", r->cookie));
    struct timeval duration = {.tv_sec = seconds};
    int rc = lib.rados_lock_exclusive(r->io, oid, "veil", r->cookie, "veil maintenance", &duration,
                                      LIBRADOS_LOCK_FLAG_MAY_RENEW);
    return rc == -EEXIST ? VEIL_EBUSY : map_errno(rc);
}

/* Notices: watch/notify on object "notice.<name>". */
static int notice_oid(char *out, size_t cap, const char *name)
{
    return snprintf(out, cap, "notice.%s", name) >= (int)cap ? VEIL_EINVAL : VEIL_OK;
}

static void on_notice(void *arg, uint64_t notify_id, uint64_t handle, uint64_t notifier, void *data,
                      size_t len)
{
    (void)notifier, (void)data, (void)len;
    rdos *r = arg;
    lib.rados_notify_ack(r->io, r->watch_oid, notify_id, handle, NULL, 0);
    r->on_notice(r->notice_user);
}

static void on_watch_error(void *arg, uint64_t handle, int err)
{
    (void)arg, (void)handle, (void)err; /* notices may be missed: the caller also looks */
}

static int rdos_watch(void *impl, const char *name, kv_notice_fn fn, void *user)
{
    rdos *r = impl;
    if (r->watching)
        return VEIL_EBUSY;
    int rc = notice_oid(r->watch_oid, sizeof r->watch_oid, name);
    if (rc)
        return rc;
    rados_write_op_t op = lib.rados_create_write_op(); /* a watch needs the object */
    lib.rados_write_op_create(op, LIBRADOS_CREATE_IDEMPOTENT, NULL);
    rc = map_errno(lib.rados_write_op_operate(op, r->io, r->watch_oid, NULL, 0));
    lib.rados_release_write_op(op);
    r->on_notice = fn;
    r->notice_user = user;
    if (!rc)
        rc = map_errno(lib.rados_watch3(r->io, r->watch_oid, &r->watch_handle, on_notice,
                                        on_watch_error, 30, r));
    r->watching = rc == VEIL_OK;
    return rc;
}

static int rdos_notify(void *impl, const char *name)
{
    rdos *r = impl;
    char oid[96];
    if (notice_oid(oid, sizeof oid, name))
        return VEIL_EINVAL; /* (not through the errno test below: VEIL_EINVAL is -ENOENT) */
    char *reply = NULL;
    size_t reply_len = 0;
    /* waits for the watchers' acks, at most 5 s: a dead node's watch lingers */
    int rc = lib.rados_notify2(r->io, oid, NULL, 0, 5000, &reply, &reply_len);
    if (reply)
        lib.rados_buffer_free(reply);
    return rc == -ETIMEDOUT || rc == -ENOENT ? VEIL_OK : map_errno(rc);
}

const kv_backend kv_rados_backend = {
    .close = rdos_close,
    .get = rdos_get,
    .write = rdos_write,
    .scan = rdos_scan,
    .compact = rdos_compact,
    .backup = NULL,
    .lease = rdos_lease,
    .watch = rdos_watch,
    .notify = rdos_notify,
    .unwatch = rdos_unwatch,
};
