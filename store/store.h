/*
 * store.h - masked sessions sealed under per-session keys, in two RocksDB
 * databases kept apart: `data` (sealed chunks and the session index) and
 * `keys` (wrapped data keys and key metadata).
 *
 * Contents
 *   1. Opening: paths, the root key, the keyring of master keys.
 *   2. Sessions: open, append (durable on return), read back in sequence
 *      order, list, delete (crypto-shredding), retention.
 *   3. Master keys: rotate, rewrap, status, retire.
 *   4. Backup, restore, verification and statistics.
 *   5. Alerts raised by ingest.
 *
 * Key hierarchy (docs/architecture.md, "Keys"): a root key (a key file, or a
 * passphrase through argon2id) seals the keyring file of versioned master
 * keys; the current master key wraps one random AES-256 data key per session
 * (AES-256-GCM) in `keys`; the data key seals every chunk (zstd, then
 * AES-256-GCM) in `data`. Every record starts with a format byte; its AAD
 * binds it to its site, session and sequence number (and, for wrapped keys,
 * the master-key version), so a moved, swapped or cut record fails to open.
 * No function here returns plaintext before its GCM tag has verified.
 *
 * Threads: one `store` may be used from many threads. A `store_session`
 * belongs to one thread at a time. Appends from many sessions share fsyncs
 * (group commit).
 */
#ifndef VEIL_STORE_H
#define VEIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../common/kv.h"

/* ---- 1. Opening ------------------------------------------------------ */

typedef struct store store;

typedef enum {
    STORE_READ_WRITE, /* exclusive: one process at a time */
    STORE_READ_ONLY,  /* alongside a running writer; sees the state at open */
} store_mode;

typedef struct {
    const char *data_dir; /* RocksDB for sealed chunks and the index */
    const char *keys_dir; /* RocksDB for wrapped data keys */
    /* Instead of the two directories: pools on a Ceph cluster, each reached
     * with its own cephx client (docs/scale-out.md). Both or neither. */
    const kv_rados_target *data_rados, *keys_rados;
    const char *keyring_path; /* sealed master keys, outside both databases */
    /* Exactly one root-key source. A missing key file is created (0400)
     * only when the keyring does not exist yet either. */
    const char *root_key_file;
    const char *root_passphrase_file; /* first line is the passphrase */
    store_mode mode;
    uint64_t (*clock_ms)(void); /* the server's clock; NULL: the system's (tests age sessions) */
} store_options;

/*
 * Opens both databases and the keyring. A new keyring (and root key file)
 * is created only for an empty keys database, in read-write mode: over data
 * keys, a missing keyring or root key fails with VEIL_ENOKEY or
 * VEIL_ENOTFOUND, and a keyring other than the one the keys database was
 * written with (its id) with VEIL_ENOKEY. Fails with VEIL_EBUSY when
 * another process holds the databases for writing, VEIL_ECRYPTO when the
 * root key does not open the keyring; *err (may be NULL) says which part
 * failed and what to do.
 */
int store_open(store **out, const store_options *opt, veil_error *err) VEIL_MUST_CHECK;
void store_close(store *st);

/* Identifiers (sites, sessions) are 1-64 characters of [A-Za-z0-9._-]. */
bool store_valid_id(const char *id);

/* ---- 2. Sessions: write, read, list, delete ---------------------------- */

/* What a session holds, counted as it was stored (counts only, never
 * content): for the console's session list. */
#define STORE_STATS_KINDS 16
typedef struct {
    uint64_t events, pages;
    uint64_t masks[STORE_STATS_KINDS]; /* by the masker's finding kind */
} store_session_stats;

typedef struct store_session store_session;

/*
 * Opens a session for appending, creating it (and its data key, durable in
 * `keys` before this returns) when it does not exist. A new session's time
 * is the server's clock, never the recording's: retention counts from it,
 * and it is authenticated with the data key. A session is written by one
 * handle at a time: a second open returns VEIL_EBUSY. A session whose data
 * key was shredded returns VEIL_ESHREDDED.
 */
int store_session_open(store *st, const char *site, const char *session_id,
                       store_session **out) VEIL_MUST_CHECK;

/*
 * Compresses and seals one batch of masked JSON as chunk `seq` (>= 1) and
 * returns once it is durable (WAL synced, shared with concurrent appends).
 * A seq the session already holds returns VEIL_EEXIST and changes nothing.
 */
int store_session_append(store_session *ss, uint32_t seq, const void *json,
                         size_t len) VEIL_MUST_CHECK;

/* Adds what the batches just appended held to the session's counts (not
 * synced: counts may lag a crash, never a batch). */
int store_session_count(store_session *ss, const store_session_stats *delta) VEIL_MUST_CHECK;

/* Highest sequence number stored (0: none yet), for the resume handshake. */
/* Rereads the session's index: on a cluster another node may have appended
 * since this handle was opened (*moved then true, and the handle follows). */
int store_session_refresh(store_session *ss, bool *moved) VEIL_MUST_CHECK;
uint32_t store_session_last_seq(const store_session *ss);

/* Wipes the session's data key from memory. */
void store_session_close(store_session *ss);

/*
 * Calls `on_chunk` with each batch of the session in sequence order, each
 * only after its tag verified. A missing, cut, moved or altered chunk stops
 * the walk with VEIL_ECORRUPT; a callback's non-zero return stops it with
 * that value.
 */
typedef int (*store_chunk_fn)(void *user, uint32_t seq, const char *json, size_t len);
int store_session_read(store *st, const char *session_id, store_chunk_fn on_chunk,
                       void *user) VEIL_MUST_CHECK;

typedef struct {
    char site[65];
    char session_id[65];
    uint64_t created_ms;
    uint64_t updated_ms;
    uint32_t chunks;
    uint32_t last_seq;
    uint64_t plain_bytes;  /* masked JSON stored */
    uint64_t stored_bytes; /* sealed bytes on disk (before RocksDB overhead) */
    uint32_t key_version;  /* master-key version wrapping its data key; 0: none */
    bool key_missing;      /* no data key and no shred record (restore mismatch) */
    bool damaged;          /* the index entry itself failed to parse: only the id is known */
    store_session_stats stats;
} store_session_info;

/* What the index says of one session. */
int store_session_lookup(store *st, const char *session_id,
                         store_session_info *info) VEIL_MUST_CHECK;

/*
 * Calls fn with every session in the index, ordered by id; `site` NULL for
 * all sites. A damaged index entry is listed (damaged = true) rather than
 * stopping the list, whatever `site` says. fn returns 0 to go on, non-zero
 * to stop (a negative value is returned).
 */
typedef int (*store_session_fn)(void *user, const store_session_info *info);
int store_session_list(store *st, const char *site, store_session_fn fn,
                       void *user) VEIL_MUST_CHECK;

/*
 * Deletes the data key (one synced write: from then on nothing of the
 * session can be read, even from a copy of `data`), records the shred, then
 * removes the chunks and the index entry. Also finishes a delete that was
 * interrupted after the key was gone. VEIL_ENOTFOUND when neither exists.
 */
int store_session_delete(store *st, const char *session_id) VEIL_MUST_CHECK;

typedef struct {
    size_t deleted;    /* sessions shredded */
    size_t unverified; /* data keys whose time could not be verified: kept, to report */
} store_retention_report;

/*
 * Deletes the site's sessions the server created before `before_ms`, by the
 * time in each data-key record, verified by its tag before anything is
 * shredded (a damaged index entry does not keep a session). Sessions being
 * written are left for the next run.
 */
int store_retention_apply(store *st, const char *site, uint64_t before_ms,
                          store_retention_report *r) VEIL_MUST_CHECK;

/* Compacts `keys` so deleted data keys leave its files (not only its index). */
int store_keys_compact(store *st) VEIL_MUST_CHECK;

/* ---- 3. Master keys: rotate, rewrap, status, retire -------------------- */

typedef struct {
    uint32_t version;
    bool current;
    bool retired;
    uint64_t created_s;
    uint64_t wraps;     /* data keys ever wrapped under it (auto-rotation) */
    uint64_t data_keys; /* data keys it wraps now */
} store_key_info;

/*
 * Adds a master-key version to the keyring and makes it current (under a
 * file lock, so a running server and the CLI can both call it). Data keys
 * move to it through store_key_rewrap().
 */
int store_key_rotate(store *st, uint32_t *new_version) VEIL_MUST_CHECK;

/*
 * Rewraps up to `max_keys` data keys that are not under the current master
 * key, `batch` per synced write; *remaining gets how many still need it.
 * Idempotent and safe to interrupt at any point: a crash leaves every data
 * key wrapped under some version still in the keyring.
 */
int store_key_rewrap(store *st, size_t max_keys, size_t batch, size_t *done,
                     size_t *remaining) VEIL_MUST_CHECK;

/* Fills up to `cap` versions, oldest first; *n gets how many exist. */
int store_key_status(store *st, store_key_info *out, size_t cap, size_t *n) VEIL_MUST_CHECK;

/*
 * Retires version v: its key material is wiped from the keyring. Refused
 * with VEIL_EBUSY while v is current, while any data key still uses it, or
 * while the writer has not yet adopted a newer current version.
 */
int store_key_retire(store *st, uint32_t version) VEIL_MUST_CHECK;

/* True when the current version is older than max_age_s or has wrapped more
 * than max_wraps keys (0 disables either rule). */
bool store_key_rotation_due(store *st, uint64_t max_age_s, uint64_t max_wraps);

/* Rereads the keyring when another process changed it (rotation, retire).
 * When the file cannot be read, the keyring loaded before stays in use. */
int store_keyring_reload(store *st, bool *changed) VEIL_MUST_CHECK;

/*
 * Nodes on one cluster (data and keys on RADOS) share the keyring through
 * the keys pool: store_keyring_reload also takes a newer copy from there,
 * store_key_rotate runs under a cluster-wide lease. Work one node at a time
 * does (rewrap, retention, automatic rotation) takes a named lease of
 * `seconds`, renewed by calling again: VEIL_EBUSY while another node holds
 * it. On one machine every lease is granted.
 */
#define STORE_LEASE_MAINTENANCE "maintenance" /* rewrap, retention, automatic rotation */
bool store_is_shared(const store *st);
/* On a cluster, fn runs (on a librados thread) soon after any node changed
 * the keyring; call store_keyring_reload from your own thread then. */
int store_watch_keyring(store *st, void (*fn)(void *user), void *user) VEIL_MUST_CHECK;
/* When it returns, fn runs no more. */
void store_unwatch_keyring(store *st);
int store_lease(store *st, const char *name, uint32_t seconds) VEIL_MUST_CHECK;
void store_lease_release(store *st, const char *name);

/*
 * Seals the keyring by a new root secret: a new key file (created when it
 * does not exist) or a passphrase file, exactly one. Same master keys, same
 * keyring id; the old root secret no longer opens it. Needs the store open
 * read-write (no server running). The configuration must then name the new
 * file, and every escrowed copy of the old key and keyring be replaced.
 */
int store_root_change(store *st, const char *new_key_file, const char *new_passphrase_file,
                      veil_error *err) VEIL_MUST_CHECK;

/* ---- 4. Backup, restore, verification, statistics ----------------------- */

typedef enum { STORE_DB_DATA, STORE_DB_KEYS } store_db;

/*
 * Backs up one database into `dir` with RocksDB's BackupEngine (a new backup
 * beside earlier ones). Works on a store opened read-only next to a running
 * server. *backup_id gets the new backup's number.
 */
int store_backup(store *st, store_db which, const char *dir, uint32_t *backup_id) VEIL_MUST_CHECK;

/*
 * Restores the latest backup in `dir` into `db_dir`, which must not be open.
 * For `keys`, with keyring_path, also puts the keyring copy that the backup
 * carries there (the file that was there is kept as <path>.before-restore):
 * a keys backup and its keyring come back together.
 */
int store_restore(store_db which, const char *dir, const char *db_dir, const char *keyring_path,
                  veil_error *err) VEIL_MUST_CHECK;

/* Deletes the backups in `dir` but the newest `keep` (0: none kept by
 * count) and, when before_s is not 0, those taken before it (seconds since
 * the epoch). Backups share table files: this is the only safe way to
 * remove one. *removed gets how many went. */
int store_backup_purge(store_db which, const char *dir, uint32_t keep, uint64_t before_s,
                       uint32_t *removed, veil_error *err) VEIL_MUST_CHECK;

#define STORE_VERIFY_VERSIONS 16

typedef struct {
    size_t sessions;        /* in the index */
    size_t keys;            /* data keys */
    size_t missing_keys;    /* sessions with no key and no shred record */
    size_t shredded_chunks; /* sessions shredded whose chunks remain */
    size_t orphan_keys;     /* data keys with no session in the index */
    size_t unreadable;      /* sessions that failed to read back (or whose index is damaged) */
    size_t damaged_keys;    /* data-key records that do not parse */
    size_t keys_unopened;   /* data keys under a master version the keyring cannot open */
    uint32_t versions_unopened[STORE_VERIFY_VERSIONS]; /* which versions (the first found) */
    size_t n_versions_unopened;
} store_verify_report;

/* True when the report finds nothing wrong. */
bool store_verify_clean(const store_verify_report *r);

/* Checks every session against the keys and every data key against the
 * keyring (and, with `deep`, reads every session back). */
int store_verify(store *st, bool deep, store_verify_report *r) VEIL_MUST_CHECK;

/*
 * How many secrets (data keys of open sessions, master keys, the root key)
 * this process can keep in locked memory, one page each, by RLIMIT_MEMLOCK:
 * 0 when memory cannot be locked at all, SIZE_MAX without a limit. Past it,
 * libsodium still hands out guarded memory, silently unlocked (it may be
 * swapped to disk): callers warn at start.
 */
size_t store_secret_keys_lockable(void);

/* Durable writes since open: synced group commits and the records they carried. */
typedef struct {
    uint64_t commits;
    uint64_t records;
} store_stats;

void store_stats_get(store *st, store_stats *out);

/* ---- 5. Alerts ------------------------------------------------------------ */

/*
 * What ingest found that the site's client should have masked (a card
 * number outside a card field, a secret by name) or a site that keeps
 * sending malformed batches: counted per site and kind, for the console's
 * Alert Receivers. Metadata only (no event data), kept in `data`.
 */
typedef struct {
    uint64_t id; /* time-ordered, unique within the site */
    char site[65];
    char kind[24];       /* "card_elsewhere", "secret", "malformed" */
    uint64_t count;      /* findings the alert stands for */
    uint64_t at_ms;      /* when it was raised */
    char session_id[65]; /* the last session it was seen in ("" when none) */
    char acked_by[65];   /* "" until acknowledged */
    uint64_t acked_ms;
} store_alert;

/* Adds an alert (its id is set from at_ms; not synced: an alert may be lost
 * in a crash, never a batch). */
int store_alert_add(store *st, store_alert *a) VEIL_MUST_CHECK;

/* Calls fn with the site's alerts (all sites when NULL), newest first; fn
 * returns non-zero to stop. */
typedef int (*store_alert_fn)(void *user, const store_alert *a);
int store_alert_list(store *st, const char *site, store_alert_fn fn, void *user) VEIL_MUST_CHECK;

/* Marks alert `id` of `site` acknowledged by `user`; VEIL_ENOTFOUND. */
int store_alert_ack(store *st, const char *site, uint64_t id, const char *user) VEIL_MUST_CHECK;

#endif
