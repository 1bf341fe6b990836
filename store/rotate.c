/*
 * rotate.c - master-key rotation: a new version in the keyring, then data
 * keys rewrapped to it in batches, each batch one synced write. A crash
 * between batches leaves every data key under a version the keyring still
 * holds, so rewrap simply starts over and skips what is done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* On a cluster the new version is added to the newest keyring, under a
 * lease, and reaches the pool before any data key is wrapped under it. */
#define KEYRING_LEASE         "keyring"
#define KEYRING_LEASE_SECONDS 60

static int rotate_locally(store *st, uint32_t *new_version)
{
    pthread_rwlock_wrlock(&st->ring_lock);
    int rc = keyring_add_version(&st->ring, st->keyring_path, &st->root, new_version);
    pthread_rwlock_unlock(&st->ring_lock);
    if (!rc && !st->read_only && st->shared)
        rc = store_keyring_copy(st);
    if (!rc && !st->read_only)
        rc = store_adopt_current(st);
    if (!rc && !st->read_only && !st->shared)
        rc = store_keyring_copy(st);
    if (!rc)
        store_keyring_announce(st);
    return rc;
}

int store_key_rotate(store *st, uint32_t *new_version)
{
    if (!st->shared)
        return rotate_locally(st, new_version);
    int rc = kv_lease(st->keys, KEYRING_LEASE, KEYRING_LEASE_SECONDS);
    bool changed;
    if (!rc && !(rc = store_keyring_reload(st, &changed)))
        rc = rotate_locally(st, new_version);
    if (rc != VEIL_EBUSY)
        kv_lease_release(st->keys, KEYRING_LEASE);
    return rc;
}

int store_keyring_reload(store *st, bool *changed)
{
    *changed = false;
    int rc = store_keyring_pull(st);
    if (rc)
        return rc;
    if (!keyring_changed(&st->ring, st->keyring_path))
        return VEIL_OK;
    keyring fresh;
    rc = keyring_load(&fresh, st->keyring_path, &st->root, false, NULL);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&st->ring_lock);
    keyring old = st->ring;
    st->ring = fresh;
    pthread_rwlock_unlock(&st->ring_lock);
    keyring_free(&old);
    *changed = true;
    if (!st->read_only && !(rc = store_adopt_current(st)))
        rc = store_keyring_copy(st);
    return rc;
}

int store_root_change(store *st, const char *new_key_file, const char *new_passphrase_file,
                      veil_error *err)
{
    veil_error ignored;
    if (!err)
        err = &ignored;
    *err = (veil_error){0};
    if (st->read_only)
        return veil_fail(err, VEIL_EBUSY, "the store is open read-only; stop the server first", 0);
    root_secret fresh;
    int rc = root_secret_load(&fresh, new_key_file, new_passphrase_file, true, err);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&st->ring_lock);
    rc = keyring_reseal(&st->ring, st->keyring_path, &st->root, &fresh);
    pthread_rwlock_unlock(&st->ring_lock);
    if (rc) {
        root_secret_free(&fresh);
        return veil_fail(err, rc, "cannot rewrite the keyring; it is unchanged", 0);
    }
    root_secret_free(&st->root);
    st->root = fresh;
    if ((rc = store_keyring_copy(st)))
        err->what = "the keyring is sealed by the new root secret, but its copy in the keys "
                    "database is not updated yet; run the command again";
    else
        store_keyring_announce(st);
    return rc;
}

/* ---- rewrap --------------------------------------------------------------- */

typedef struct {
    store *st;
    kv_batch *batch;
    size_t limit, queued, skipped;
    char cursor[KEY_MAX];
    size_t cursor_len;
    uint8_t *dek;
} rewrap_ctx;

/* ring_lock is held for reading by the caller. */
static int rewrap_one(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    rewrap_ctx *ctx = user;
    const keyring *ring = &ctx->st->ring;
    memcpy(ctx->cursor, k, kl);
    ctx->cursor_len = kl;
    dek_header h;
    char id[MAX_ID + 1];
    if (kl - 2 > MAX_ID || record_dek_header((const uint8_t *)v, vl, &h)) {
        ctx->skipped++;
        return 0;
    }
    if (h.master_version == ring->current)
        return 0;
    memcpy(id, k + 2, kl - 2);
    id[kl - 2] = '\0';
    const master_key *old = keyring_find(ring, h.master_version);
    const master_key *cur = keyring_find(ring, ring->current);
    uint8_t rec[DEK_RECORD_MAX];
    size_t n = 0;
    if (old && old->key &&
        !record_dek_unwrap((const uint8_t *)v, vl, id, ring->id, old->key, ctx->dek)) {
        h.master_version = ring->current;
        if (record_dek_wrap(rec, &n, &h, id, ring->id, cur->key, ctx->dek))
            n = 0;
    }
    if (!n) { /* damaged, or under a retired version: left for verify to report */
        ctx->skipped++;
        return 0;
    }
    kv_batch_put(ctx->batch, k, kl, rec, n);
    return ++ctx->queued == ctx->limit ? 1 : 0;
}

/* One batch: scan on from the cursor, rewrap up to `limit`, write synced. */
static int rewrap_batch(rewrap_ctx *ctx, bool *at_end)
{
    store *st = ctx->st;
    ctx->batch = kv_batch_new();
    if (!ctx->batch)
        return VEIL_ENOMEM;
    ctx->queued = 0;
    pthread_mutex_lock(&st->keys_mu); /* a delete cannot slip in between */
    pthread_rwlock_rdlock(&st->ring_lock);
    uint32_t current = st->ring.current;
    int rc = kv_scan(st->keys, "k/", 2, ctx->cursor_len ? ctx->cursor : NULL, ctx->cursor_len,
                     rewrap_one, ctx);
    pthread_rwlock_unlock(&st->ring_lock);
    *at_end = ctx->queued < ctx->limit;
    if (!rc && ctx->queued) {
        store_wraps_add(st, ctx->batch, current, ctx->queued);
        rc = kv_write(st->keys, ctx->batch, true);
    }
    pthread_mutex_unlock(&st->keys_mu);
    kv_batch_free(ctx->batch);
    return rc;
}

static int count_not_current(store *st, size_t *remaining);

int store_key_rewrap(store *st, size_t max_keys, size_t batch, size_t *done, size_t *remaining)
{
    *done = *remaining = 0;
    if (st->read_only)
        return VEIL_EBUSY;
    if (batch == 0)
        batch = 1;
    rewrap_ctx ctx = {.st = st, .dek = seal_key_new()};
    if (!ctx.dek)
        return VEIL_ENOMEM;
    int rc = VEIL_OK;
    bool at_end = false;
    while (!rc && !at_end && *done < max_keys) {
        ctx.limit = max_keys - *done < batch ? max_keys - *done : batch;
        rc = rewrap_batch(&ctx, &at_end);
        if (!rc)
            *done += ctx.queued;
    }
    seal_key_free(ctx.dek);
    return rc ? rc : count_not_current(st, remaining);
}

/* ---- status and retirement ------------------------------------------------ */

typedef struct {
    store_key_info *info;
    size_t n;
    size_t unknown;
} status_ctx;

static int count_by_version(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)k;
    (void)kl;
    status_ctx *sc = user;
    dek_header h;
    if (record_dek_header((const uint8_t *)v, vl, &h)) {
        sc->unknown++;
        return 0;
    }
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->info[i].version == h.master_version) {
            sc->info[i].data_keys++;
            return 0;
        }
    }
    sc->unknown++;
    return 0;
}

/* Every keyring version with its counts; *unknown: data keys under none of them. */
static int status_all(store *st, store_key_info **out, size_t *n, size_t *unknown)
{
    pthread_rwlock_rdlock(&st->ring_lock);
    *n = st->ring.n;
    store_key_info *info = calloc(*n ? *n : 1, sizeof *info);
    for (size_t i = 0; info && i < *n; i++) {
        const master_key *mk = &st->ring.keys[i];
        info[i].version = mk->version;
        info[i].current = mk->version == st->ring.current;
        info[i].retired = mk->state == MASTER_RETIRED;
        info[i].created_s = mk->created_s;
    }
    pthread_rwlock_unlock(&st->ring_lock);
    if (!info)
        return VEIL_ENOMEM;
    for (size_t i = 0; i < *n; i++)
        info[i].wraps = store_wraps_get(st, info[i].version);
    status_ctx sc = {info, *n, 0};
    int rc = kv_scan(st->keys, "k/", 2, NULL, 0, count_by_version, &sc);
    if (rc) {
        free(info);
        return rc;
    }
    *out = info;
    if (unknown)
        *unknown = sc.unknown;
    return VEIL_OK;
}

/* Data keys still to move: under an older version, or unreadable. */
static int count_not_current(store *st, size_t *remaining)
{
    store_key_info *all;
    size_t n, unknown;
    int rc = status_all(st, &all, &n, &unknown);
    if (rc)
        return rc;
    *remaining = unknown;
    for (size_t i = 0; i < n; i++)
        if (!all[i].current)
            *remaining += all[i].data_keys;
    free(all);
    return VEIL_OK;
}

int store_key_status(store *st, store_key_info *out, size_t cap, size_t *n)
{
    store_key_info *all;
    int rc = status_all(st, &all, n, NULL);
    if (rc)
        return rc;
    memcpy(out, all, (*n < cap ? *n : cap) * sizeof *out);
    free(all);
    return VEIL_OK;
}

int store_key_retire(store *st, uint32_t version)
{
    store_key_info *all;
    size_t n;
    int rc = status_all(st, &all, &n, NULL);
    if (rc)
        return rc;
    const store_key_info *ki = NULL;
    for (size_t i = 0; i < n; i++)
        if (all[i].version == version)
            ki = &all[i];
    uint32_t adopted = store_adopted_version(st);
    if (!ki)
        rc = VEIL_ENOTFOUND;
    else if (ki->current || ki->data_keys > 0 || adopted <= version)
        rc = VEIL_EBUSY;
    free(all);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&st->ring_lock);
    rc = keyring_retire_version(&st->ring, st->keyring_path, &st->root, version);
    pthread_rwlock_unlock(&st->ring_lock);
    if (!rc && !st->read_only)
        rc = store_keyring_copy(st);
    if (!rc)
        store_keyring_announce(st);
    return rc;
}

bool store_key_rotation_due(store *st, uint64_t max_age_s, uint64_t max_wraps)
{
    pthread_rwlock_rdlock(&st->ring_lock);
    uint32_t current = st->ring.current;
    const master_key *mk = keyring_find(&st->ring, current);
    uint64_t created = mk ? mk->created_s : 0;
    pthread_rwlock_unlock(&st->ring_lock);
    if (max_age_s && (uint64_t)time(NULL) >= created + max_age_s)
        return true;
    return max_wraps && store_wraps_get(st, current) >= max_wraps;
}
