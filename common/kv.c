/* kv.c - the persistence interface (kv.h): the batch, and dispatch to the
 * database's backend (kv_rocksdb.c, kv_rados.c). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "kv_backend.h"

static int kv_wrap(kv **out, const kv_backend *be, void *impl, bool read_only)
{
    kv *db = malloc(sizeof *db);
    if (!db) {
        be->close(impl);
        return VEIL_ENOMEM;
    }
    *db = (kv){be, impl, read_only};
    *out = db;
    return VEIL_OK;
}

bool kv_load_library(const char *soname, const char *const *names, void **slots, size_t n)
{
    /* Never closed: the library's threads (Ceph's) may outlive any caller. */
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(slots[i] = dlsym(handle, names[i])))
            return false;
    return true;
}

int kv_open(kv **out, const char *path, bool read_only)
{
    void *impl;
    int rc = kv_rocksdb_open(&impl, path, read_only);
    return rc ? rc : kv_wrap(out, &kv_rocksdb_backend, impl, read_only);
}

#ifdef VEIL_WITH_RADOS
int kv_open_rados(kv **out, const kv_rados_target *target, bool read_only)
{
    void *impl;
    int rc = kv_rados_open(&impl, target, read_only);
    return rc ? rc : kv_wrap(out, &kv_rados_backend, impl, read_only);
}

bool kv_have_rados(void)
{
    return kv_rados_available();
}
#else
int kv_open_rados(kv **out, const kv_rados_target *target, bool read_only)
{
    (void)out, (void)target, (void)read_only;
    return VEIL_EINVAL;
}

bool kv_have_rados(void)
{
    return false;
}
#endif

void kv_close(kv *db)
{
    if (!db)
        return;
    db->be->close(db->impl);
    free(db);
}

int kv_get(kv *db, const void *key, size_t klen, veil_buf *val)
{
    return db->be->get(db->impl, key, klen, val);
}

int kv_write(kv *db, kv_batch *b, bool sync)
{
    if (db->read_only)
        return VEIL_EBUSY;
    if (b->failed)
        return VEIL_ENOMEM;
    return b->n ? db->be->write(db->impl, b, sync) : VEIL_OK;
}

int kv_scan(kv *db, const char *prefix, size_t plen, const char *after, size_t alen, kv_scan_fn fn,
            void *user)
{
    return db->be->scan(db->impl, prefix, plen, after, alen, fn, user);
}

int kv_compact(kv *db)
{
    return db->read_only ? VEIL_EBUSY : db->be->compact(db->impl);
}

int kv_backup(kv *db, const char *dir, uint32_t *backup_id)
{
    return db->be->backup ? db->be->backup(db->impl, dir, backup_id) : VEIL_EINVAL;
}

int kv_lease(kv *db, const char *name, uint32_t seconds)
{
    if (!seconds)
        return VEIL_EINVAL;
    return db->be->lease ? db->be->lease(db->impl, name, seconds) : VEIL_OK;
}

void kv_lease_release(kv *db, const char *name)
{
    if (db->be->lease)
        (void)db->be->lease(db->impl, name, 0);
}

int kv_watch(kv *db, const char *name, kv_notice_fn fn, void *user)
{
    return db->be->watch ? db->be->watch(db->impl, name, fn, user) : VEIL_OK;
}

int kv_notify(kv *db, const char *name)
{
    return db->be->notify ? db->be->notify(db->impl, name) : VEIL_OK;
}

void kv_unwatch(kv *db)
{
    if (db->be->unwatch)
        db->be->unwatch(db->impl);
}

/* ---- The batch: operations in order, their bytes in one buffer ---------- */

kv_batch *kv_batch_new(void)
{
    return calloc(1, sizeof(kv_batch));
}

static void batch_add(kv_batch *b, kv_op_kind kind, const void *k, size_t kl, const void *v,
                      size_t vl)
{
    if (b->failed)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        kv_op *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops) {
            b->failed = true;
            return;
        }
        b->ops = ops;
        b->cap = cap;
    }
    kv_op op = {kind, b->bytes.len, kl, b->bytes.len + kl, vl};
    if (veil_buf_reserve(&b->bytes, kl + vl)) {
        b->failed = true;
        return;
    }
    memcpy(b->bytes.data + b->bytes.len, k, kl);
    if (vl)
        memcpy(b->bytes.data + b->bytes.len + kl, v, vl);
    b->bytes.len += kl + vl;
    b->ops[b->n++] = op;
}

void kv_batch_put(kv_batch *b, const void *k, size_t kl, const void *v, size_t vl)
{
    batch_add(b, KV_OP_PUT, k, kl, v, vl);
}

void kv_batch_delete(kv_batch *b, const void *k, size_t kl)
{
    batch_add(b, KV_OP_DELETE, k, kl, NULL, 0);
}

void kv_batch_delete_range(kv_batch *b, const void *from, size_t fl, const void *to, size_t tl)
{
    batch_add(b, KV_OP_DELETE_RANGE, from, fl, to, tl);
}

void kv_batch_free(kv_batch *b)
{
    if (!b)
        return;
    free(b->ops);
    veil_buf_free(&b->bytes);
    free(b);
}
