/* kv_rocksdb.c - the persistence interface (kv.h) on a RocksDB directory:
 * the embedded default. */
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "kv_backend.h"

/* RocksDB's functions, loaded when the first database opens (kv_backend.h). */
#define ROCKSDB_CALLS(X)                                                                           \
    X(rocksdb_backup_engine_close)                                                                 \
    X(rocksdb_backup_engine_create_new_backup_flush)                                               \
    X(rocksdb_backup_engine_get_backup_info)                                                       \
    X(rocksdb_backup_engine_info_backup_id)                                                        \
    X(rocksdb_backup_engine_info_count)                                                            \
    X(rocksdb_backup_engine_info_destroy)                                                          \
    X(rocksdb_backup_engine_info_timestamp)                                                        \
    X(rocksdb_backup_engine_open)                                                                  \
    X(rocksdb_backup_engine_purge_old_backups)                                                     \
    X(rocksdb_backup_engine_restore_db_from_latest_backup)                                         \
    X(rocksdb_backup_engine_verify_backup)                                                         \
    X(rocksdb_close)                                                                               \
    X(rocksdb_compact_range_opt)                                                                   \
    X(rocksdb_compactoptions_create)                                                               \
    X(rocksdb_compactoptions_destroy)                                                              \
    X(rocksdb_compactoptions_set_bottommost_level_compaction)                                      \
    X(rocksdb_create_iterator)                                                                     \
    X(rocksdb_flush)                                                                               \
    X(rocksdb_flush_wal)                                                                           \
    X(rocksdb_flushoptions_create)                                                                 \
    X(rocksdb_flushoptions_destroy)                                                                \
    X(rocksdb_flushoptions_set_wait)                                                               \
    X(rocksdb_free)                                                                                \
    X(rocksdb_get)                                                                                 \
    X(rocksdb_iter_destroy)                                                                        \
    X(rocksdb_iter_get_error)                                                                      \
    X(rocksdb_iter_key)                                                                            \
    X(rocksdb_iter_next)                                                                           \
    X(rocksdb_iter_seek)                                                                           \
    X(rocksdb_iter_valid)                                                                          \
    X(rocksdb_iter_value)                                                                          \
    X(rocksdb_open)                                                                                \
    X(rocksdb_open_for_read_only)                                                                  \
    X(rocksdb_options_create)                                                                      \
    X(rocksdb_options_destroy)                                                                     \
    X(rocksdb_options_set_compression)                                                             \
    X(rocksdb_options_set_create_if_missing)                                                       \
    X(rocksdb_options_set_info_log_level)                                                          \
    X(rocksdb_options_set_keep_log_file_num)                                                       \
    X(rocksdb_options_set_paranoid_checks)                                                         \
    X(rocksdb_readoptions_create)                                                                  \
    X(rocksdb_readoptions_destroy)                                                                 \
    X(rocksdb_readoptions_set_verify_checksums)                                                    \
    X(rocksdb_restore_options_create)                                                              \
    X(rocksdb_restore_options_destroy)                                                             \
    X(rocksdb_write)                                                                               \
    X(rocksdb_writebatch_create)                                                                   \
    X(rocksdb_writebatch_delete)                                                                   \
    X(rocksdb_writebatch_delete_range)                                                             \
    X(rocksdb_writebatch_destroy)                                                                  \
    X(rocksdb_writebatch_put)                                                                      \
    X(rocksdb_writeoptions_create)                                                                 \
    X(rocksdb_writeoptions_destroy)                                                                \
    X(rocksdb_writeoptions_set_sync)

KV_LIBRARY(VEIL_ROCKSDB_SONAME, ROCKSDB_CALLS)

bool kv_have_rocksdb(void)
{
    return library_loaded();
}

/* RocksDB's InfoLogLevel: DEBUG 0, INFO 1, WARN 2, ERROR 3, FATAL 4, HEADER 5. */
enum { INFO_LOG_HEADER_LEVEL = 5 };

typedef struct {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_readoptions_t *read;
    bool read_only;
} rdb;

static void rdb_close(void *impl);

/* RocksDB reports errors as text; callers get a code, and the text is
 * dropped (it names files, never stored values). */
static int map_error(char *err)
{
    int rc = VEIL_EIO;
    if (strstr(err, "Corruption"))
        rc = VEIL_ECORRUPT;
    else if (strstr(err, "No space left") || strstr(err, "NoSpace"))
        rc = VEIL_ENOSPC;
    else if (strstr(err, "lock file") || strstr(err, "Resource temporarily unavailable"))
        rc = VEIL_EBUSY;
    else if (strstr(err, "does not exist") || strstr(err, "No such file"))
        rc = VEIL_ENOTFOUND;
    lib.rocksdb_free(err);
    return rc;
}

int kv_rocksdb_open(void **out, const char *path, bool read_only)
{
    if (!library_loaded())
        return VEIL_EIO;
    rdb *db = calloc(1, sizeof *db);
    if (!db)
        return VEIL_ENOMEM;
    db->options = lib.rocksdb_options_create();
    db->read = lib.rocksdb_readoptions_create();
    lib.rocksdb_options_set_create_if_missing(db->options, !read_only);
    /* Values are sealed (incompressible); compressing them again wastes CPU. */
    lib.rocksdb_options_set_compression(db->options, rocksdb_no_compression);
    lib.rocksdb_options_set_paranoid_checks(db->options, 1);
    /*
     * RocksDB's own LOG file: the header level, at which it logs at most
     * at open (here, nothing), and only the newest file. Nothing reads it,
     * and on a full disk it is a hazard: once a line of it fails to be
     * written, Debian's RocksDB 7.8 (built with assertions) aborts the
     * process at its next line, which the handling of that same write
     * error logs.
     */
    lib.rocksdb_options_set_info_log_level(db->options, INFO_LOG_HEADER_LEVEL);
    lib.rocksdb_options_set_keep_log_file_num(db->options, 1);
    lib.rocksdb_readoptions_set_verify_checksums(db->read, 1);
    char *err = NULL;
    db->db = read_only ? lib.rocksdb_open_for_read_only(db->options, path, 0, &err)
                       : lib.rocksdb_open(db->options, path, &err);
    db->read_only = read_only;
    if (err) {
        int rc = map_error(err);
        db->db = NULL;
        rdb_close(db);
        return rc;
    }
    *out = db;
    return VEIL_OK;
}

static void rdb_close(void *impl)
{
    rdb *db = impl;
    if (db->db)
        lib.rocksdb_close(db->db);
    lib.rocksdb_readoptions_destroy(db->read);
    lib.rocksdb_options_destroy(db->options);
    free(db);
}

static int rdb_get(void *impl, const void *key, size_t klen, veil_buf *val)
{
    rdb *db = impl;
    char *err = NULL;
    size_t vlen = 0;
    char *v = lib.rocksdb_get(db->db, db->read, key, klen, &vlen, &err);
    if (err)
        return map_error(err);
    if (!v)
        return VEIL_ENOTFOUND;
    veil_buf_reset(val);
    int rc = veil_buf_append(val, v, vlen);
    lib.rocksdb_free(v);
    return rc;
}

static int rdb_write(void *impl, const kv_batch *b, bool sync)
{
    rdb *db = impl;
    rocksdb_writebatch_t *wb = lib.rocksdb_writebatch_create();
    for (size_t i = 0; i < b->n; i++) {
        const kv_op *op = &b->ops[i];
        const char *k = kv_op_key(b, op), *v = kv_op_val(b, op);
        if (op->kind == KV_OP_PUT)
            lib.rocksdb_writebatch_put(wb, k, op->klen, v, op->vlen);
        else if (op->kind == KV_OP_DELETE)
            lib.rocksdb_writebatch_delete(wb, k, op->klen);
        else
            lib.rocksdb_writebatch_delete_range(wb, k, op->klen, v, op->vlen);
    }
    rocksdb_writeoptions_t *wo = lib.rocksdb_writeoptions_create();
    lib.rocksdb_writeoptions_set_sync(wo, sync);
    char *err = NULL;
    lib.rocksdb_write(db->db, wo, wb, &err);
    lib.rocksdb_writeoptions_destroy(wo);
    lib.rocksdb_writebatch_destroy(wb);
    return err ? map_error(err) : VEIL_OK;
}

static int rdb_scan(void *impl, const char *prefix, size_t plen, const char *after, size_t alen,
                    kv_scan_fn fn, void *user)
{
    rdb *db = impl;
    rocksdb_iterator_t *it = lib.rocksdb_create_iterator(db->db, db->read);
    if (after)
        lib.rocksdb_iter_seek(it, after, alen);
    else
        lib.rocksdb_iter_seek(it, prefix, plen);
    int rc = 0;
    for (; lib.rocksdb_iter_valid(it); lib.rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = lib.rocksdb_iter_key(it, &kl);
        if (kl < plen || memcmp(k, prefix, plen))
            break;
        if (after && kl == alen && !memcmp(k, after, alen))
            continue;
        const char *v = lib.rocksdb_iter_value(it, &vl);
        rc = fn(user, k, kl, v, vl);
        if (rc)
            break;
    }
    char *err = NULL;
    lib.rocksdb_iter_get_error(it, &err);
    lib.rocksdb_iter_destroy(it);
    if (err)
        return map_error(err);
    return rc < 0 ? rc : 0;
}

static int rdb_compact(void *impl)
{
    rdb *db = impl;
    char *err = NULL;
    lib.rocksdb_flush_wal(db->db, 1, &err);
    if (err)
        return map_error(err);
    rocksdb_flushoptions_t *fo = lib.rocksdb_flushoptions_create();
    lib.rocksdb_flushoptions_set_wait(fo, 1);
    lib.rocksdb_flush(db->db, fo, &err);
    lib.rocksdb_flushoptions_destroy(fo);
    if (err)
        return map_error(err);
    rocksdb_compactoptions_t *co = lib.rocksdb_compactoptions_create();
    lib.rocksdb_compactoptions_set_bottommost_level_compaction(co, 2 /* kForce */);
    lib.rocksdb_compact_range_opt(db->db, co, NULL, 0, NULL, 0);
    lib.rocksdb_compactoptions_destroy(co);
    return VEIL_OK;
}

static int rdb_backup(void *impl, const char *dir, uint32_t *backup_id)
{
    rdb *db = impl;
    char *err = NULL;
    rocksdb_backup_engine_t *be = lib.rocksdb_backup_engine_open(db->options, dir, &err);
    if (err)
        return map_error(err);
    /* A read-only handle cannot flush; its WAL files go into the backup. */
    lib.rocksdb_backup_engine_create_new_backup_flush(be, db->db, !db->read_only, &err);
    if (!err) {
        const rocksdb_backup_engine_info_t *info = lib.rocksdb_backup_engine_get_backup_info(be);
        int n = lib.rocksdb_backup_engine_info_count(info);
        *backup_id = n > 0 ? lib.rocksdb_backup_engine_info_backup_id(info, n - 1) : 0;
        lib.rocksdb_backup_engine_info_destroy(info);
        lib.rocksdb_backup_engine_verify_backup(be, *backup_id, &err);
    }
    lib.rocksdb_backup_engine_close(be);
    return err ? map_error(err) : VEIL_OK;
}

const kv_backend kv_rocksdb_backend = {
    .close = rdb_close,
    .get = rdb_get,
    .write = rdb_write,
    .scan = rdb_scan,
    .compact = rdb_compact,
    .backup = rdb_backup,
};

/* The BackupEngine of backup directory `dir`, without a database open. */
static int open_engine(const char *dir, rocksdb_backup_engine_t **be)
{
    if (!library_loaded())
        return VEIL_EIO;
    char *err = NULL;
    rocksdb_options_t *o = lib.rocksdb_options_create();
    *be = lib.rocksdb_backup_engine_open(o, dir, &err);
    lib.rocksdb_options_destroy(o);
    return err ? map_error(err) : VEIL_OK;
}

int kv_restore(const char *dir, const char *db_dir)
{
    char *err = NULL;
    rocksdb_backup_engine_t *be;
    int rc = open_engine(dir, &be);
    if (rc)
        return rc;
    rocksdb_restore_options_t *ro = lib.rocksdb_restore_options_create();
    lib.rocksdb_backup_engine_restore_db_from_latest_backup(be, db_dir, db_dir, ro, &err);
    lib.rocksdb_restore_options_destroy(ro);
    lib.rocksdb_backup_engine_close(be);
    return err ? map_error(err) : VEIL_OK;
}

int kv_backup_purge(const char *dir, uint32_t keep, uint64_t before_s, uint32_t *removed)
{
    char *err = NULL;
    rocksdb_backup_engine_t *be;
    int rc = open_engine(dir, &be);
    if (rc)
        return rc;
    const rocksdb_backup_engine_info_t *info = lib.rocksdb_backup_engine_get_backup_info(be);
    int n = lib.rocksdb_backup_engine_info_count(info);
    /* The engine deletes only the oldest ones, keeping a count: keep those
     * newer than before_s too (backups are in time order, oldest first). */
    uint32_t recent = 0;
    for (int i = 0; before_s && i < n; i++)
        recent += (uint64_t)lib.rocksdb_backup_engine_info_timestamp(info, i) >= before_s;
    lib.rocksdb_backup_engine_info_destroy(info);
    uint32_t kept = before_s ? (recent > keep ? recent : keep) : keep;
    if (kept < (uint32_t)n)
        lib.rocksdb_backup_engine_purge_old_backups(be, kept, &err);
    *removed = !err && kept < (uint32_t)n ? (uint32_t)n - kept : 0;
    lib.rocksdb_backup_engine_close(be);
    return err ? map_error(err) : VEIL_OK;
}
