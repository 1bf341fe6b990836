/*
 * internal.h - the store's private parts: AEAD and secret memory (seal.c), the keyring file
 * (keyring.c), record layouts (records.c) and the store object shared by
 * store.c, rotate.c and backup.c. Nothing outside store/ includes this,
 * except tests that tamper with records on purpose.
 */
#ifndef VEIL_STORE_INTERNAL_H
#define VEIL_STORE_INTERNAL_H

#include <pthread.h>
#include <sys/stat.h>

#include "../common/kv.h"
#include "store.h"

/* ---- AEAD (AES-256-GCM, OpenSSL) and secret memory -------------------- */

#define SEAL_KEY_BYTES   32
#define SEAL_NONCE_BYTES 12
#define SEAL_TAG_BYTES   16
#define SEAL_OVERHEAD    (SEAL_NONCE_BYTES + SEAL_TAG_BYTES)

/* out: nonce | ciphertext | tag, n + SEAL_OVERHEAD bytes; fresh random nonce. */
int seal_encrypt(const uint8_t *key, const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t n,
                 uint8_t *out) VEIL_MUST_CHECK;
/* in: nonce | ciphertext | tag. pt gets inlen - SEAL_OVERHEAD bytes, which
 * are wiped again unless the tag verifies (VEIL_ECRYPTO). */
int seal_decrypt(const uint8_t *key, const uint8_t *aad, size_t aadlen, const uint8_t *in,
                 size_t inlen, uint8_t *pt) VEIL_MUST_CHECK;

/* A 32-byte key in guarded, locked memory (libsodium); NULL when out of it. */
uint8_t *seal_key_new(void);
void seal_key_free(uint8_t *key);
int seal_random(void *out, size_t n) VEIL_MUST_CHECK;

/* ---- Keyring: versioned master keys sealed by the root key ----------- */

enum { MASTER_ACTIVE = 1, MASTER_RETIRED = 2 };

typedef struct {
    uint32_t version;
    uint8_t state;
    uint64_t created_s;
    uint8_t *key; /* secret memory; NULL once retired */
} master_key;

#define KEYRING_ID_BYTES 16

typedef struct {
    master_key *keys; /* ordered by version */
    size_t n;
    uint32_t current;
    uint8_t id[KEYRING_ID_BYTES]; /* random, from the keyring's creation (zero: a v1 file) */
    struct stat file_id;          /* to notice another process rewriting the file */
} keyring;

typedef struct {
    uint8_t *key; /* secret memory: the root key itself, or the passphrase */
    size_t len;
    bool is_passphrase;
} root_secret;

/* Loads the root key (creating a new random one when the file is missing
 * and may_create) or the passphrase (the file's first line). */
int root_secret_load(root_secret *rs, const char *key_file, const char *passphrase_file,
                     bool may_create, veil_error *err) VEIL_MUST_CHECK;
void root_secret_free(root_secret *rs);
/* Writes a new random root key to `path`, which must not exist. */
int root_key_create(const char *path, veil_error *err) VEIL_MUST_CHECK;

/* Loads the keyring, or creates it with version 1 when absent and allowed. */
int keyring_load(keyring *kr, const char *path, const root_secret *rs, bool may_create,
                 veil_error *err) VEIL_MUST_CHECK;
void keyring_free(keyring *kr);
const master_key *keyring_find(const keyring *kr, uint32_t version);
/* True when the file differs from the one loaded. */
bool keyring_changed(const keyring *kr, const char *path);

/* Under an exclusive file lock: reread, change, write atomically, reload. */
int keyring_add_version(keyring *kr, const char *path, const root_secret *rs,
                        uint32_t *new_version) VEIL_MUST_CHECK;
int keyring_retire_version(keyring *kr, const char *path, const root_secret *rs,
                           uint32_t version) VEIL_MUST_CHECK;
/* Replaces the file at path with bytes: temporary file, fsync, rename. */
int keyring_file_write(const char *path, const void *bytes, size_t n) VEIL_MUST_CHECK;

/* Seals the keyring by new_root from now on (same keys, same id). */
int keyring_reseal(keyring *kr, const char *path, const root_secret *rs,
                   const root_secret *new_root) VEIL_MUST_CHECK;

/* ---- Records ---------------------------------------------------------- */

#define VEIL_PATH_MAX    4096
#define RECORD_FORMAT_V1 0x01
#define MAX_ID           64
#define MAX_CHUNK_PLAIN  ((size_t)64 << 20)

/* Keys of both databases. */
enum { KEY_MAX = 2 + MAX_ID + 1 + 4 };
size_t record_key_dek(char *out, const char *session_id);                 /* keys: "k/<id>"  */
size_t record_key_shred(char *out, const char *session_id);               /* keys: "x/<id>"  */
size_t record_key_index(char *out, const char *session_id);               /* data: "s/<id>"  */
size_t record_key_chunk(char *out, const char *session_id, uint32_t seq); /* "c/<id>/<be32>" */
size_t record_key_chunk_prefix(char *out, const char *session_id);        /* "c/<id>/" */
size_t record_key_stats(char *out, const char *session_id);               /* data: "t/<id>"  */

/* Data-key record in `keys`: format, master version, created, site, wrapped key. */
typedef struct {
    uint32_t master_version;
    uint64_t created_ms;
    char site[MAX_ID + 1];
} dek_header;

#define DEK_RECORD_MAX (1 + 4 + 8 + 1 + MAX_ID + SEAL_OVERHEAD + SEAL_KEY_BYTES)

/* Writes the sealed record into out (DEK_RECORD_MAX bytes); *len its size.
 * The record is bound to the keyring (its id) as well as to its session. */
int record_dek_wrap(uint8_t *out, size_t *len, const dek_header *h, const char *session_id,
                    const uint8_t *keyring_id, const uint8_t *master,
                    const uint8_t *dek) VEIL_MUST_CHECK;
/* Parses the header only (for status scans); VEIL_ECORRUPT when malformed. */
int record_dek_header(const uint8_t *rec, size_t len, dek_header *h) VEIL_MUST_CHECK;
int record_dek_unwrap(const uint8_t *rec, size_t len, const char *session_id,
                      const uint8_t *keyring_id, const uint8_t *master,
                      uint8_t *dek) VEIL_MUST_CHECK;

/* Session index entry in `data`, authenticated (not hidden) by the data key. */
typedef struct {
    char site[MAX_ID + 1];
    uint64_t created_ms, updated_ms;
    uint32_t chunks, last_seq;
    uint64_t plain_bytes, stored_bytes;
} index_entry;

#define INDEX_RECORD_MAX (1 + 1 + MAX_ID + 8 * 4 + 4 * 2 + SEAL_OVERHEAD)

/* Writes the record into out (INDEX_RECORD_MAX bytes); *len its size. */
int record_index_encode(uint8_t *out, size_t *len, const index_entry *e, const char *session_id,
                        const uint8_t *dek) VEIL_MUST_CHECK;
/* Without dek: parse only (listing); with dek: also verify the tag. */
int record_index_decode(const uint8_t *rec, size_t len, const char *session_id, const uint8_t *dek,
                        index_entry *e) VEIL_MUST_CHECK;

/* Chunk: format | nonce | zstd(json) sealed | tag; AAD binds site, id, seq. */
int record_chunk_seal(veil_buf *out, const char *site, const char *session_id, uint32_t seq,
                      const uint8_t *dek, const void *json, size_t len) VEIL_MUST_CHECK;
int record_chunk_open(veil_buf *json, const char *site, const char *session_id, uint32_t seq,
                      const uint8_t *dek, const uint8_t *rec, size_t len) VEIL_MUST_CHECK;

/* ---- The store object ------------------------------------------------- */

typedef struct commit_req commit_req;
typedef struct open_session open_session;

struct store {
    kv *data;
    kv *keys;
    bool read_only;
    bool shared; /* keys on a cluster: the keyring is shared with other nodes (shared.c) */
    char *keyring_path;
    root_secret root;
    keyring ring;
    pthread_rwlock_t ring_lock; /* readers wrap/unwrap; reload writes */
    pthread_mutex_t keys_mu;    /* read-modify-write of `keys` (wraps, rewrap, delete) */
    pthread_mutex_t commit_mu;  /* group commit of chunk writes */
    pthread_cond_t commit_cv;
    commit_req *commit_queue;
    bool commit_leader;
    open_session *open;               /* sessions with a writer handle, under keys_mu */
    uint64_t commits, commit_records; /* fsyncs and the records they carried */
    uint64_t (*clock_ms)(void);       /* the server's clock */
};

/* Unwraps the session's data key into dek (secret memory) and returns its header. */
int store_data_key_load(store *st, const char *session_id, uint8_t *dek,
                        dek_header *h) VEIL_MUST_CHECK;
/* Data keys ever wrapped under a master version (auto-rotation counter). */
uint64_t store_wraps_get(store *st, uint32_t version);
void store_wraps_add(store *st, kv_batch *b, uint32_t version, uint64_t n);
/* The newest master version a writer has started wrapping under. */
uint32_t store_adopted_version(store *st);
/* Writes `keys` meta "m/current" when the loaded keyring's current is newer. */
int store_adopt_current(store *st) VEIL_MUST_CHECK;

/* Meta record of `keys`: a copy of the sealed keyring file. */
#define META_KEYRING_COPY "m/keyring"

/* Puts the keyring file's sealed bytes into `keys` (after every change to
 * it), so each keys backup carries the keyring that opens it. */
int store_keyring_copy(store *st) VEIL_MUST_CHECK;

/* Shared keyring (shared.c): at open, the pool's copy when this node has
 * no file; on reload, a changed copy that keeps every version. */
int store_keyring_fetch_missing(store *st, const char *keyring_path) VEIL_MUST_CHECK;
int store_keyring_pull(store *st) VEIL_MUST_CHECK;
/* After this node changed the keyring and its copy is in the pool: tells
 * the other nodes (best effort; they also look every second). */
void store_keyring_announce(store *st);

/* For tests that tamper with records. */
kv *store_kv(store *st, store_db which);

#endif
