/*
 * kv.h - the narrow persistence interface Veil's stores sit above: put,
 * get, delete, ordered scan, atomic batch, per database (DESIGN.md, "Beyond
 * one machine"). Two backends: a RocksDB directory (the embedded default,
 * kv_rocksdb.c) and a pool on a Ceph cluster through librados (kv_rados.c,
 * docs/scale-out.md). Used by the store (data and keys) and the console
 * (accounts and the audit log); nothing above this header knows which
 * backend holds its bytes.
 */
#ifndef VEIL_KV_H
#define VEIL_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

typedef struct kv kv;
typedef struct kv_batch kv_batch;

/* A RocksDB database in directory `path`, created when missing (read-write). */
int kv_open(kv **out, const char *path, bool read_only) VEIL_MUST_CHECK;

/*
 * A database in a RADOS pool: the cluster named by `conf_file` (ceph.conf,
 * with the client's keyring), reached as cephx client `client`
 * ("client.veil-data"), in `pool` under RADOS namespace `space` (one pool
 * holds several databases). VEIL_ENETWORK when the cluster cannot be
 * reached or the pool opened; VEIL_EINVAL when this build has no librados.
 */
typedef struct {
    const char *conf_file;
    const char *client;
    const char *pool;
    const char *space;
} kv_rados_target;
int kv_open_rados(kv **out, const kv_rados_target *target, bool read_only) VEIL_MUST_CHECK;
/* This build has the RADOS backend and librados could be loaded (it is,
 * on the first call). */
bool kv_have_rados(void);
/* RocksDB's library could be loaded (it is, on the first call). */
bool kv_have_rocksdb(void);

void kv_close(kv *db);
/* VEIL_ENOTFOUND when absent; *val is replaced. */
int kv_get(kv *db, const void *key, size_t klen, veil_buf *val) VEIL_MUST_CHECK;

kv_batch *kv_batch_new(void);
void kv_batch_put(kv_batch *b, const void *k, size_t kl, const void *v, size_t vl);
void kv_batch_delete(kv_batch *b, const void *k, size_t kl);
/* Deletes [from, to). */
void kv_batch_delete_range(kv_batch *b, const void *from, size_t fl, const void *to, size_t tl);
void kv_batch_free(kv_batch *b);
/*
 * With `sync` durable on return (RocksDB: WAL fsynced; RADOS: always, the
 * acting set has it). Atomic on RocksDB; on RADOS atomic per key, and the
 * entries under two-level prefixes ("c/<id>/…") are written before the
 * one-level entries ("s/<id>"), so an index never names data that is not
 * there (docs/scale-out.md).
 */
int kv_write(kv *db, kv_batch *b, bool sync) VEIL_MUST_CHECK;

/*
 * Calls fn for each key starting with `prefix`, in key order, beginning
 * after `after` when given. fn returns 0 to go on, 1 to stop, <0 to fail.
 */
typedef int (*kv_scan_fn)(void *user, const char *k, size_t kl, const char *v, size_t vl);
int kv_scan(kv *db, const char *prefix, size_t plen, const char *after, size_t alen, kv_scan_fn fn,
            void *user) VEIL_MUST_CHECK;

/*
 * A named lease for work one node at a time may do (rotation, rewrap,
 * retention): held by this handle for `seconds`, renewed by calling again
 * before it runs out, given up by kv_lease_release or by running out (a
 * dead holder's lease expires). VEIL_EBUSY while another handle holds it.
 * RocksDB: always granted (one process holds the database).
 */
int kv_lease(kv *db, const char *name, uint32_t seconds) VEIL_MUST_CHECK;
void kv_lease_release(kv *db, const char *name);

/*
 * Notices between the handles on one database (RADOS watch/notify): after
 * kv_watch, fn runs on a librados thread whenever a handle, on any node,
 * calls kv_notify with the same name. One watch per handle. A notice may
 * be lost (a watch dropped while an OSD moved): use it to act sooner, not
 * instead of looking. RocksDB: one process, nothing to watch (VEIL_OK; fn
 * never runs, kv_notify does nothing).
 */
typedef void (*kv_notice_fn)(void *user);
int kv_watch(kv *db, const char *name, kv_notice_fn fn, void *user) VEIL_MUST_CHECK;
int kv_notify(kv *db, const char *name) VEIL_MUST_CHECK;
/* Ends the watch; when it returns, fn runs no more. */
void kv_unwatch(kv *db);

/* Compacts everything, bottommost level included, so deleted values leave
 * the files (RocksDB; RADOS frees deleted objects itself). */
int kv_compact(kv *db) VEIL_MUST_CHECK;
/* RocksDB only (VEIL_EINVAL on RADOS: back up a cluster with Ceph's own tools). */
int kv_backup(kv *db, const char *dir, uint32_t *backup_id) VEIL_MUST_CHECK;
int kv_restore(const char *dir, const char *db_dir) VEIL_MUST_CHECK;
/* Keeps the newest `keep` backups in dir and those taken at or after before_s. */
int kv_backup_purge(const char *dir, uint32_t keep, uint64_t before_s,
                    uint32_t *removed) VEIL_MUST_CHECK;

#endif
