/*
 * migrate.c - `veil store migrate --to rados|rocksdb`: copies the keys and
 * the data database, record by record as they are sealed, from the backend
 * the configuration does not name to the one --to names; resumable (a
 * cursor file per database under state_dir), with progress, and verified at
 * the end by opening the copy as a store and reading every session back.
 * Records move unchanged: sealing, AAD and key versions do not depend on
 * where the bytes live.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../common/kv.h"
#include "cli.h"

enum {
    BATCH_RECORDS = 512,
    BATCH_BYTES = 8 << 20,
    PROGRESS_EVERY = 10000, /* records between progress lines */
    CURSOR_MAX = 1024,      /* bytes of a key */
};

typedef struct {
    const char *name; /* "keys" or "data" */
    kv *from, *to;
    char cursor_path[VEIL_CONFIG_PATH_MAX + 64];
    kv_batch *batch;
    size_t in_batch, batch_bytes;
    char last[CURSOR_MAX];
    size_t last_len;
    uint64_t records, bytes;
    int rc;
} copy_job;

static int kv_open_for(const veil_config *cfg, bool rados, bool keys, bool read_only, kv **out)
{
    kv_rados_target t = {keys ? cfg->rados_keys_conf : cfg->rados_conf,
                         keys ? cfg->rados_keys_client : cfg->rados_data_client,
                         keys ? cfg->rados_keys_pool : cfg->rados_data_pool, cfg->rados_namespace};
    if (rados)
        return kv_open_rados(out, &t, read_only);
    if (!read_only && veil_mkdirs(keys ? cfg->keys_dir : cfg->data_dir, 0700))
        return VEIL_EIO;
    return kv_open(out, keys ? cfg->keys_dir : cfg->data_dir, read_only);
}

/* The cursor: hex of the last key copied, or "done". */
static int read_cursor(copy_job *j, bool *done)
{
    veil_buf text = {0};
    *done = false;
    j->last_len = 0;
    int rc = veil_read_file(j->cursor_path, &text, 2 * CURSOR_MAX + 8, NULL);
    if (rc == VEIL_ENOTFOUND)
        return VEIL_OK;
    if (!rc && text.len >= 4 && !memcmp(text.data, "done", 4))
        *done = true;
    else if (!rc && sodium_hex2bin((unsigned char *)j->last, sizeof j->last, text.data, text.len,
                                   "\n", &j->last_len, NULL))
        rc = VEIL_ECORRUPT;
    veil_buf_free(&text);
    return rc;
}

static int write_cursor(const copy_job *j, bool done)
{
    char hex[2 * CURSOR_MAX + 2];
    if (done)
        strcpy(hex, "done");
    else
        sodium_bin2hex(hex, sizeof hex, (const unsigned char *)j->last, j->last_len);
    FILE *f = fopen(j->cursor_path, "w");
    if (!f)
        return VEIL_EIO;
    bool ok = fprintf(f, "%s\n", hex) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    return fclose(f) == 0 && ok ? VEIL_OK : VEIL_EIO;
}

/* Writes the batch durably, then moves the cursor past it. */
static int flush(copy_job *j)
{
    if (!j->in_batch)
        return VEIL_OK;
    int rc = kv_write(j->to, j->batch, true);
    kv_batch_free(j->batch);
    j->batch = NULL;
    j->in_batch = j->batch_bytes = 0;
    return rc ? rc : write_cursor(j, false);
}

static int copy_one(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    copy_job *j = user;
    if (kl > CURSOR_MAX) {
        j->rc = VEIL_ETOOBIG;
        return -1;
    }
    if (!j->batch && !(j->batch = kv_batch_new())) {
        j->rc = VEIL_ENOMEM;
        return -1;
    }
    kv_batch_put(j->batch, k, kl, v, vl);
    memcpy(j->last, k, kl);
    j->last_len = kl;
    j->in_batch++;
    j->batch_bytes += kl + vl;
    j->records++;
    j->bytes += kl + vl;
    if (j->records % PROGRESS_EVERY == 0)
        fprintf(stderr, "veil store migrate: %s: %" PRIu64 " records (%.1f MB) copied\n", j->name,
                j->records, (double)j->bytes / 1e6);
    if ((j->in_batch >= BATCH_RECORDS || j->batch_bytes >= BATCH_BYTES) && (j->rc = flush(j)))
        return -1;
    return 0;
}

static int copy_db(copy_job *j)
{
    bool done;
    int rc = read_cursor(j, &done);
    if (rc || done) {
        if (done)
            fprintf(stderr, "veil store migrate: %s: copied by an earlier run\n", j->name);
        return rc;
    }
    if (j->last_len)
        fprintf(stderr, "veil store migrate: %s: resuming after an interrupted run\n", j->name);
    bool resumed = j->last_len > 0;
    rc = kv_scan(j->from, "", 0, j->last_len ? j->last : NULL, j->last_len, copy_one, j);
    if (j->rc)
        rc = j->rc;
    if (!rc && !resumed && j->records == 0)
        return VEIL_ENOTFOUND; /* a path or namespace that names nothing: no "success" */
    if (!rc)
        rc = flush(j);
    kv_batch_free(j->batch);
    j->batch = NULL;
    if (!rc)
        rc = write_cursor(j, true);
    if (!rc)
        fprintf(stderr, "veil store migrate: %s: %" PRIu64 " records (%.1f MB) copied\n", j->name,
                j->records, (double)j->bytes / 1e6);
    return rc;
}

static int migrate_one(const veil_config *cfg, bool to_rados, bool keys)
{
    copy_job j = {.name = keys ? "keys" : "data"};
    snprintf(j.cursor_path, sizeof j.cursor_path, "%s/migrate-to-%s-%s.cursor", cfg->state_dir,
             to_rados ? "rados" : "rocksdb", j.name);
    /* The source opened read-write: on RocksDB that takes its lock, so no
     * server writes beside the copy. */
    int rc = kv_open_for(cfg, !to_rados, keys, false, &j.from);
    if (rc) {
        cli_error("cannot open the %s database to copy from: %s%s", j.name, veil_strerror(rc),
                  rc == VEIL_EBUSY ? " (stop 'veil serve' first)" : "");
        return rc;
    }
    if ((rc = kv_open_for(cfg, to_rados, keys, false, &j.to)))
        cli_error("cannot open the %s database to copy to: %s", j.name, veil_strerror(rc));
    if (!rc && (rc = copy_db(&j)) == VEIL_ENOTFOUND)
        cli_error("the %s database to copy from holds nothing; check %s in the configuration",
                  j.name, to_rados ? (keys ? "keys_dir" : "data_dir") : "rados_namespace");
    else if (rc)
        cli_error("copying %s stopped: %s; run the command again to resume", j.name,
                  veil_strerror(rc));
    kv_close(j.to);
    kv_close(j.from);
    return rc;
}

/* The copy opened as a store: every session read back. */
static int verify_copy(const veil_config *cfg, bool to_rados)
{
    veil_config copy = *cfg;
    copy.rados = to_rados;
    store *st;
    if (cli_open_store(&copy, OPEN_READER, &st, NULL))
        return VEIL_EIO;
    store_verify_report r;
    int rc = store_verify(st, true, &r);
    store_close(st);
    if (rc) {
        cli_error("verifying the copy stopped: %s", veil_strerror(rc));
        return rc;
    }
    printf("copy verified: %zu sessions read back, %zu data keys; unreadable %zu, without a data "
           "key %zu, keys this keyring cannot open %zu\n",
           r.sessions, r.keys, r.unreadable, r.missing_keys, r.keys_unopened);
    return store_verify_clean(&r) ? VEIL_OK : VEIL_ECORRUPT;
}

static void remove_cursors(const veil_config *cfg, bool to_rados)
{
    const char *dbs[] = {"keys", "data"};
    for (int i = 0; i < 2; i++) {
        char path[VEIL_CONFIG_PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/migrate-to-%s-%s.cursor", cfg->state_dir,
                 to_rados ? "rados" : "rocksdb", dbs[i]);
        unlink(path);
    }
}

int cli_store_migrate(const veil_config *cfg, const char *to)
{
    bool to_rados = !strcmp(to, "rados");
    if (!to_rados && strcmp(to, "rocksdb")) {
        cli_error("--to: expected rados or rocksdb");
        return EXIT_USAGE;
    }
    if (cfg->rados == to_rados) {
        cli_error("the configuration already uses %s ([store] backend); migrate copies from "
                  "the backend it does not name, so run this before changing backend",
                  to);
        return EXIT_USAGE;
    }
    if (to_rados && !kv_have_rados()) {
        cli_error("librados cannot be loaded (install librados2; a veil built without "
                  "librados-dev cannot use RADOS)");
        return EXIT_FAIL;
    }
    /* A RocksDB directory that is not there is a typo, not an empty store
     * to create: checked for both before anything is copied. */
    const char *dirs[] = {cfg->keys_dir, cfg->data_dir}, *names[] = {"keys_dir", "data_dir"};
    for (int i = 0; to_rados && i < 2; i++)
        if (access(dirs[i], F_OK) != 0) {
            cli_error("there is no database at %s to copy from; check %s in the configuration",
                      dirs[i], names[i]);
            return EXIT_FAIL;
        }
    if (veil_mkdirs(cfg->state_dir, 0700))
        return EXIT_FAIL;
    /* Keys first: a session copied is then never without its data key. */
    if (migrate_one(cfg, to_rados, true) || migrate_one(cfg, to_rados, false))
        return EXIT_FAIL;
    if (verify_copy(cfg, to_rados)) {
        cli_error("the copy does not read back whole; the source is unchanged. Run 'veil "
                  "store verify' on the source, and see docs/scale-out.md");
        return EXIT_FAIL;
    }
    remove_cursors(cfg, to_rados);
    printf("migration complete: set [store] backend = %s and start the servers\n", to);
    return EXIT_OK;
}
