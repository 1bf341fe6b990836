/*
 * backup.c - BackupEngine backups of one database at a time, restore, and
 * the consistency check between `data` and `keys` that tells a restore of
 * mismatched backups apart from sessions deleted on purpose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* A marker in the backup directory, so a keys backup is never restored as data. */
static const char MARKER[] = "VEIL-BACKUP";

static const char *db_name(store_db which)
{
    return which == STORE_DB_DATA ? "data" : "keys";
}

static int marker_path(char *out, const char *dir)
{
    return snprintf(out, VEIL_PATH_MAX, "%s/%s", dir, MARKER) >= VEIL_PATH_MAX ? VEIL_EINVAL
                                                                               : VEIL_OK;
}

/* VEIL_ENOTFOUND when there is no marker; VEIL_EINVAL when it names the other database. */
static int check_marker(const char *dir, store_db which)
{
    char path[VEIL_PATH_MAX], line[32] = {0};
    if (marker_path(path, dir))
        return VEIL_EINVAL;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? VEIL_ENOTFOUND : VEIL_EIO;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    (void)n;
    return strcmp(line, db_name(which)) ? VEIL_EINVAL : VEIL_OK;
}

/* An existing backup directory of database `which`, or why not in *err. */
static int backup_dir_of(const char *dir, store_db which, veil_error *err)
{
    int rc = check_marker(dir, which);
    if (rc == VEIL_ENOTFOUND)
        return veil_fail(err, rc, "that directory holds no Veil backup", 0);
    if (rc == VEIL_EINVAL)
        return veil_fail(err, rc, "that directory holds a backup of the other database", 0);
    if (rc)
        return veil_fail(err, rc, "cannot read the backup directory's marker file", 0);
    return VEIL_OK;
}

int store_backup(store *st, store_db which, const char *dir, uint32_t *backup_id)
{
    int rc = check_marker(dir, which);
    if (rc != VEIL_OK && rc != VEIL_ENOTFOUND)
        return rc;
    if (rc == VEIL_ENOTFOUND) {
        char path[VEIL_PATH_MAX];
        if (mkdir(dir, 0700) && errno != EEXIST)
            return VEIL_EIO;
        if (marker_path(path, dir))
            return VEIL_EINVAL;
        FILE *f = fopen(path, "w");
        if (!f)
            return VEIL_EIO;
        bool ok = fprintf(f, "%s\n", db_name(which)) > 0;
        ok = fclose(f) == 0 && ok;
        if (!ok)
            return VEIL_EIO;
    }
    return kv_backup(store_kv(st, which), dir, backup_id);
}

/* The keyring copy a restored `keys` carries, written to keyring_path (an
 * existing file is kept beside it, renamed <path>.before-restore). */
static int restore_keyring(const char *db_dir, const char *keyring_path, veil_error *err)
{
    kv *keys;
    int rc = kv_open(&keys, db_dir, true);
    if (rc)
        return veil_fail(err, rc, "cannot open the restored keys database", 0);
    veil_buf copy = {0};
    rc = kv_get(keys, META_KEYRING_COPY, sizeof META_KEYRING_COPY - 1, &copy);
    kv_close(keys);
    char tmp[VEIL_PATH_MAX], old[VEIL_PATH_MAX];
    if (rc == VEIL_ENOTFOUND)
        rc = veil_fail(err, rc,
                       "this keys backup carries no keyring copy (it predates them); "
                       "put back the escrowed keyring instead",
                       0);
    else if (rc)
        rc = veil_fail(err, rc, "cannot read the keyring copy in the restored keys database", 0);
    else if (snprintf(tmp, sizeof tmp, "%s.restored", keyring_path) >= (int)sizeof tmp ||
             snprintf(old, sizeof old, "%s.before-restore", keyring_path) >= (int)sizeof old)
        rc = veil_fail(err, VEIL_EINVAL, "the keyring path is too long", 0);
    FILE *f = rc ? NULL : fopen(tmp, "wbx");
    if (!rc && !f)
        rc = veil_fail(err, VEIL_EIO, "cannot write the restored keyring", 0);
    if (f) {
        bool ok = fwrite(copy.data, 1, copy.len, f) == copy.len && fflush(f) == 0 &&
                  fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
        if (ok && access(keyring_path, F_OK) == 0 && rename(keyring_path, old))
            ok = false;
        if (!ok || rename(tmp, keyring_path) || veil_fsync_dir_of(keyring_path)) {
            unlink(tmp);
            rc = veil_fail(err, VEIL_EIO, "cannot put the restored keyring in place", 0);
        }
    }
    veil_buf_free(&copy);
    return rc;
}

int store_restore(store_db which, const char *dir, const char *db_dir, const char *keyring_path,
                  veil_error *err)
{
    int rc = backup_dir_of(dir, which, err);
    if (rc)
        return rc;
    kv *probe;
    rc = kv_open(&probe, db_dir, false); /* takes the lock: nothing may be running on it */
    if (rc == VEIL_EBUSY)
        return veil_fail(err, rc,
                         "the database is open in a running veil; stop it before restoring", 0);
    if (!rc)
        kv_close(probe);
    rc = kv_restore(dir, db_dir);
    if (rc)
        return veil_fail(err, rc,
                         "the restore failed; the backup may be damaged (the database was not "
                         "changed unless the backup was read)",
                         0);
    if (which == STORE_DB_KEYS && keyring_path)
        return restore_keyring(db_dir, keyring_path, err);
    return VEIL_OK;
}

/* ---- purge ------------------------------------------------------------------- */

int store_backup_purge(store_db which, const char *dir, uint32_t keep, uint64_t before_s,
                       uint32_t *removed, veil_error *err)
{
    int rc = backup_dir_of(dir, which, err);
    if (rc)
        return rc;
    rc = kv_backup_purge(dir, keep, before_s, removed);
    return rc ? veil_fail(err, rc, "cannot purge the backups", 0) : VEIL_OK;
}

/* ---- verify --------------------------------------------------------------- */

typedef struct {
    store *st;
    store_verify_report *r;
    bool deep;
} verify_ctx;

static int ignore_chunk(void *user, uint32_t seq, const char *json, size_t len)
{
    (void)user;
    (void)seq;
    (void)json;
    (void)len;
    return 0;
}

static int check_session(void *user, const store_session_info *info)
{
    verify_ctx *vc = user;
    vc->r->sessions++;
    if (info->damaged)
        vc->r->unreadable++;
    else if (info->key_missing)
        vc->r->missing_keys++;
    else if (info->key_version == 0)
        vc->r->shredded_chunks++;
    else if (vc->deep && store_session_read(vc->st, info->session_id, ignore_chunk, NULL))
        vc->r->unreadable++;
    return 0;
}

/* Notes a master version some data key needs and the keyring cannot open. */
static void note_version(store_verify_report *r, uint32_t version)
{
    for (size_t i = 0; i < r->n_versions_unopened; i++)
        if (r->versions_unopened[i] == version)
            return;
    if (r->n_versions_unopened < STORE_VERIFY_VERSIONS)
        r->versions_unopened[r->n_versions_unopened++] = version;
}

static int check_key(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    verify_ctx *vc = user;
    vc->r->keys++;
    dek_header h;
    if (record_dek_header((const uint8_t *)v, vl, &h)) {
        vc->r->damaged_keys++;
    } else {
        pthread_rwlock_rdlock(&vc->st->ring_lock);
        const master_key *mk = keyring_find(&vc->st->ring, h.master_version);
        pthread_rwlock_unlock(&vc->st->ring_lock);
        if (!mk || !mk->key) { /* unknown to this keyring, or retired in it */
            vc->r->keys_unopened++;
            note_version(vc->r, h.master_version);
        }
    }
    char ik[KEY_MAX], id[MAX_ID + 1];
    if (kl - 2 > MAX_ID)
        return VEIL_ECORRUPT;
    memcpy(id, k + 2, kl - 2);
    id[kl - 2] = '\0';
    veil_buf rec = {0};
    if (kv_get(vc->st->data, ik, record_key_index(ik, id), &rec) == VEIL_ENOTFOUND)
        vc->r->orphan_keys++;
    veil_buf_free(&rec);
    return 0;
}

bool store_verify_clean(const store_verify_report *r)
{
    return !r->missing_keys && !r->shredded_chunks && !r->orphan_keys && !r->unreadable &&
           !r->damaged_keys && !r->keys_unopened;
}

int store_verify(store *st, bool deep, store_verify_report *r)
{
    memset(r, 0, sizeof *r);
    verify_ctx vc = {st, r, deep};
    int rc = store_session_list(st, NULL, check_session, &vc);
    if (!rc)
        rc = kv_scan(st->keys, "k/", 2, NULL, 0, check_key, &vc);
    return rc;
}
