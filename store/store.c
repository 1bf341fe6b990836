/* store.c - opening the store, writing, reading, listing and deleting sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

struct open_session {
    char id[MAX_ID + 1];
    open_session *next;
};

struct store_session {
    store *st;
    char id[MAX_ID + 1];
    uint8_t *dek; /* secret memory */
    index_entry idx;
    store_session_stats stats; /* totals so far */
    veil_buf sealed;           /* reused between appends */
};

/* The stats record: events, pages, then each kind, big-endian u64s. */
enum { STATS_BYTES = 8 * (2 + STORE_STATS_KINDS) };

static void stats_read(store *st, const char *session_id, store_session_stats *s)
{
    char key[KEY_MAX];
    veil_buf v = {0};
    memset(s, 0, sizeof *s);
    if (kv_get(st->data, key, record_key_stats(key, session_id), &v) == VEIL_OK &&
        v.len == STATS_BYTES) {
        const uint8_t *p = (const uint8_t *)v.data;
        s->events = veil_be64_get(p);
        s->pages = veil_be64_get(p + 8);
        for (int k = 0; k < STORE_STATS_KINDS; k++)
            s->masks[k] = veil_be64_get(p + 16 + 8 * k);
    }
    veil_buf_free(&v);
}

int store_session_count(store_session *ss, const store_session_stats *delta)
{
    store_session_stats *s = &ss->stats;
    s->events += delta->events;
    s->pages += delta->pages;
    for (int k = 0; k < STORE_STATS_KINDS; k++)
        s->masks[k] += delta->masks[k];
    uint8_t rec[STATS_BYTES], *p = veil_be64_put(rec, s->events);
    p = veil_be64_put(p, s->pages);
    for (int k = 0; k < STORE_STATS_KINDS; k++)
        p = veil_be64_put(p, s->masks[k]);
    char key[KEY_MAX];
    kv_batch *b = kv_batch_new();
    if (!b)
        return VEIL_ENOMEM;
    kv_batch_put(b, key, record_key_stats(key, ss->id), rec, sizeof rec);
    int rc = kv_write(ss->st->data, b, false);
    kv_batch_free(b);
    return rc;
}

bool store_valid_id(const char *id)
{
    size_t n = strlen(id);
    return n >= 1 && n <= MAX_ID &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

kv *store_kv(store *st, store_db which)
{
    return which == STORE_DB_DATA ? st->data : st->keys;
}

/* ---- open and close ----------------------------------------------------- */

static const char META_CURRENT[] = "m/current";

int store_adopt_current(store *st)
{
    pthread_mutex_lock(&st->keys_mu);
    pthread_rwlock_rdlock(&st->ring_lock);
    uint32_t current = st->ring.current;
    pthread_rwlock_unlock(&st->ring_lock);
    int rc = VEIL_OK;
    if (current > store_adopted_version(st)) {
        kv_batch *b = kv_batch_new();
        if (b)
            kv_batch_put(b, META_CURRENT, sizeof META_CURRENT - 1, &current, 4);
        rc = b ? kv_write(st->keys, b, true) : VEIL_ENOMEM;
        kv_batch_free(b);
    }
    pthread_mutex_unlock(&st->keys_mu);
    return rc;
}

/* Meta records of `keys`: the id of the keyring its data keys are bound to,
 * and a copy of the sealed keyring file, so a backup of `keys` carries the
 * keyring that opens it (the root key still needed). */
static const char META_KEYRING_ID[] = "m/keyring-id";

static int stop_at_first(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)k, (void)kl, (void)v, (void)vl;
    *(bool *)user = false;
    return 1;
}

/* A keyring (and a root key) may be created only for a `keys` holding nothing. */
static int keys_empty(kv *keys, bool *empty)
{
    *empty = true;
    return kv_scan(keys, "", 0, NULL, 0, stop_at_first, empty);
}

int store_keyring_copy(store *st)
{
    veil_buf file = {0};
    int rc = veil_read_file(st->keyring_path, &file, (size_t)1 << 24, NULL);
    kv_batch *b = rc ? NULL : kv_batch_new();
    if (!rc && !b)
        rc = VEIL_ENOMEM;
    if (b) {
        kv_batch_put(b, META_KEYRING_COPY, sizeof META_KEYRING_COPY - 1, file.data, file.len);
        pthread_mutex_lock(&st->keys_mu);
        rc = kv_write(st->keys, b, true);
        pthread_mutex_unlock(&st->keys_mu);
    }
    kv_batch_free(b);
    veil_buf_free(&file);
    return rc;
}

/* The keyring must be the one `keys` was written with; a store that never
 * recorded one (first open) records it. */
static int check_keyring_id(store *st, veil_error *err)
{
    veil_buf id = {0};
    int rc = kv_get(st->keys, META_KEYRING_ID, sizeof META_KEYRING_ID - 1, &id);
    if (!rc && (id.len != KEYRING_ID_BYTES || memcmp(id.data, st->ring.id, KEYRING_ID_BYTES)))
        rc = veil_fail(err, VEIL_ENOKEY,
                       "the keyring is not the one this keys database was written with (their "
                       "ids differ): no data key would open; restore the matching keyring, or "
                       "correct `keyring` in the configuration",
                       0);
    else if (rc == VEIL_ENOTFOUND && !st->read_only) {
        kv_batch *b = kv_batch_new();
        if (b)
            kv_batch_put(b, META_KEYRING_ID, sizeof META_KEYRING_ID - 1, st->ring.id,
                         KEYRING_ID_BYTES);
        rc = b ? kv_write(st->keys, b, true) : VEIL_ENOMEM;
        kv_batch_free(b);
    } else if (rc == VEIL_ENOTFOUND) {
        rc = VEIL_OK;
    }
    veil_buf_free(&id);
    return rc;
}

/*
 * The root secret and the keyring. They are created only for a new store:
 * over a `keys` that holds data keys, a missing keyring or root key is an
 * operator's mistake (a path typo, a volume not mounted), and a new key
 * hierarchy there would leave every earlier session unreadable.
 */
static int open_keyring(store *st, const store_options *opt, veil_error *err)
{
    bool rw = opt->mode == STORE_READ_WRITE, empty;
    int rc = keys_empty(st->keys, &empty);
    if (rc)
        return veil_fail(err, rc, "cannot read the keys database", 0);
    bool have_ring = access(opt->keyring_path, F_OK) == 0;
    if (!have_ring && !empty)
        return veil_fail(err, VEIL_ENOKEY,
                         "the keyring file is missing, but the keys database holds data keys: a "
                         "new keyring could not open them; restore the keyring (its escrowed copy, "
                         "or `veil restore --keys DIR --with-keyring`), or correct `keyring` in "
                         "the configuration",
                         0);
    rc = root_secret_load(&st->root, opt->root_key_file, opt->root_passphrase_file,
                          rw && !have_ring && empty, err);
    if (rc == VEIL_ENOTFOUND && have_ring)
        err->what = "the root key or passphrase file is missing, but the keyring it opens "
                    "exists: restore the root key from its escrow, or correct the path";
    if (!rc)
        rc = keyring_load(&st->ring, opt->keyring_path, &st->root, rw && empty, err);
    if (!rc)
        rc = check_keyring_id(st, err);
    if (!rc && rw && !st->shared && (rc = store_keyring_copy(st)))
        err->what = "cannot copy the keyring into the keys database";
    bool changed; /* on a cluster: the newest keyring, or this one pushed if newer */
    if (!rc && st->shared && (rc = store_keyring_reload(st, &changed)))
        err->what = "this node's keyring and the one in the keys pool have diverged, or the "
                    "pool's does not open with this root key; see docs/scale-out.md";
    return rc;
}

/* What to tell an operator when a database does not open. */
static const char *open_failure(int rc, bool rados, bool keys)
{
    if (!rados && !kv_have_rocksdb())
        return "RocksDB's library cannot be loaded: install the librocksdb package veil was "
               "built with";
    if (rc == VEIL_EBUSY)
        return keys ? "the keys database is in use by another veil process"
                    : "the data database is in use by another veil process";
    if (!rados)
        return keys ? "cannot open the keys database" : "cannot open the data database";
    if (rc == VEIL_ECONFIG)
        return "cannot read the ceph.conf that rados_conf (or rados_keys_conf) names";
    if (rc == VEIL_EPERM)
        return keys ? "the keys client may not use the keys pool: check its caps "
                      "(osd 'allow rwx pool=...') and rados_keys_client"
                    : "the data client may not use the data pool: check its caps "
                      "(osd 'allow rwx pool=...') and rados_data_client";
    return keys ? "cannot open the keys pool (is the cluster up, the pool there, and the "
                  "client's keyring readable?)"
                : "cannot open the data pool (is the cluster up, the pool there, and the "
                  "client's keyring readable?)";
}

static int open_db(kv **db, const char *dir, const kv_rados_target *rados, bool read_only)
{
    return rados ? kv_open_rados(db, rados, read_only) : kv_open(db, dir, read_only);
}

int store_open(store **out, const store_options *opt, veil_error *err)
{
    veil_error ignored;
    if (!err)
        err = &ignored;
    *err = (veil_error){0};
    *out = NULL;
    store *st = calloc(1, sizeof *st);
    if (!st)
        return VEIL_ENOMEM;
    pthread_rwlock_init(&st->ring_lock, NULL);
    pthread_mutex_init(&st->keys_mu, NULL);
    pthread_mutex_init(&st->commit_mu, NULL);
    pthread_cond_init(&st->commit_cv, NULL);
    st->read_only = opt->mode == STORE_READ_ONLY;
    st->clock_ms = opt->clock_ms ? opt->clock_ms : veil_now_ms;
    st->keyring_path = strdup(opt->keyring_path);
    int rc = st->keyring_path ? VEIL_OK : VEIL_ENOMEM;
    if (!rc && !opt->keys_rados != !opt->data_rados) {
        rc = VEIL_EINVAL;
        err->what = "the data and the keys must both be on RADOS or both on RocksDB";
    }
    if (!rc && (rc = open_db(&st->keys, opt->keys_dir, opt->keys_rados, st->read_only)))
        err->what = open_failure(rc, opt->keys_rados != NULL, true);
    if (!rc && (rc = open_db(&st->data, opt->data_dir, opt->data_rados, st->read_only)))
        err->what = open_failure(rc, opt->data_rados != NULL, false);
    st->shared = opt->keys_rados != NULL;
    if (!rc && (rc = store_keyring_fetch_missing(st, opt->keyring_path)))
        err->what = "cannot write the keyring taken from the keys pool to this node's keyring file";
    if (!rc)
        rc = open_keyring(st, opt, err);
    if (!rc && !st->read_only && (rc = store_adopt_current(st)))
        err->what = "cannot record the current master-key version in the keys database";
    if (rc) {
        store_close(st);
        return rc;
    }
    *out = st;
    return VEIL_OK;
}

void store_close(store *st)
{
    if (!st)
        return;
    kv_close(st->data);
    kv_close(st->keys);
    keyring_free(&st->ring);
    root_secret_free(&st->root);
    free(st->keyring_path);
    while (st->open) {
        open_session *next = st->open->next;
        free(st->open);
        st->open = next;
    }
    pthread_cond_destroy(&st->commit_cv);
    pthread_mutex_destroy(&st->commit_mu);
    pthread_mutex_destroy(&st->keys_mu);
    pthread_rwlock_destroy(&st->ring_lock);
    free(st);
}

/* ---- data keys ---------------------------------------------------------- */

int store_data_key_load(store *st, const char *session_id, uint8_t *dek, dek_header *h)
{
    char key[KEY_MAX];
    veil_buf rec = {0};
    int rc = kv_get(st->keys, key, record_key_dek(key, session_id), &rec);
    if (rc == VEIL_ENOTFOUND) {
        veil_buf shred = {0};
        if (kv_get(st->keys, key, record_key_shred(key, session_id), &shred) == VEIL_OK)
            rc = VEIL_ESHREDDED;
        veil_buf_free(&shred);
    }
    if (!rc)
        rc = record_dek_header((const uint8_t *)rec.data, rec.len, h);
    if (!rc) {
        pthread_rwlock_rdlock(&st->ring_lock);
        const master_key *mk = keyring_find(&st->ring, h->master_version);
        rc = !mk || !mk->key ? VEIL_ENOKEY
                             : record_dek_unwrap((const uint8_t *)rec.data, rec.len, session_id,
                                                 st->ring.id, mk->key, dek);
        pthread_rwlock_unlock(&st->ring_lock);
    }
    veil_buf_free(&rec);
    return rc;
}

static int wraps_key(char *out, uint32_t version)
{
    return snprintf(out, 32, "m/wraps/%010u", version);
}

uint64_t store_wraps_get(store *st, uint32_t version)
{
    char wk[32];
    veil_buf v = {0};
    uint64_t wraps = 0;
    if (kv_get(st->keys, wk, (size_t)wraps_key(wk, version), &v) == VEIL_OK && v.len == 8)
        memcpy(&wraps, v.data, 8);
    veil_buf_free(&v);
    return wraps;
}

void store_wraps_add(store *st, kv_batch *b, uint32_t version, uint64_t n)
{
    char wk[32];
    uint64_t wraps = store_wraps_get(st, version) + n;
    kv_batch_put(b, wk, (size_t)wraps_key(wk, version), &wraps, 8);
}

uint32_t store_adopted_version(store *st)
{
    veil_buf v = {0};
    uint32_t adopted = 0;
    if (kv_get(st->keys, META_CURRENT, sizeof META_CURRENT - 1, &v) == VEIL_OK && v.len == 4)
        memcpy(&adopted, v.data, 4);
    veil_buf_free(&v);
    return adopted;
}

/* Creates the data key and makes it durable in `keys`; keys_mu held. */
static int create_data_key(store *st, const char *site, const char *session_id, uint64_t created_ms,
                           uint8_t *dek)
{
    if (st->read_only)
        return VEIL_EBUSY;
    int rc = seal_random(dek, SEAL_KEY_BYTES);
    if (rc)
        return rc;
    dek_header h = {.created_ms = created_ms};
    strcpy(h.site, site);
    uint8_t rec[DEK_RECORD_MAX];
    size_t n;
    pthread_rwlock_rdlock(&st->ring_lock);
    h.master_version = st->ring.current;
    const master_key *mk = keyring_find(&st->ring, h.master_version);
    rc = record_dek_wrap(rec, &n, &h, session_id, st->ring.id, mk->key, dek);
    pthread_rwlock_unlock(&st->ring_lock);
    if (rc)
        return rc;

    char key[KEY_MAX];
    kv_batch *b = kv_batch_new();
    if (!b)
        return VEIL_ENOMEM;
    kv_batch_put(b, key, record_key_dek(key, session_id), rec, n);
    store_wraps_add(st, b, h.master_version, 1);
    rc = kv_write(st->keys, b, true);
    kv_batch_free(b);
    return rc;
}

/* ---- group commit --------------------------------------------------------- */

typedef struct {
    const void *k, *v;
    size_t kl, vl;
} kv_put;

struct commit_req {
    const kv_put *puts;
    size_t n;
    int rc;
    bool done;
    commit_req *next;
};

/*
 * Writers queue their puts; whoever finds no write in flight becomes the
 * leader and writes everything queued in one synced batch. Returns once the
 * caller's own puts are durable (or failed, with the whole group).
 */
static int commit_data(store *st, const kv_put *puts, size_t n)
{
    commit_req me = {.puts = puts, .n = n};
    pthread_mutex_lock(&st->commit_mu);
    me.next = st->commit_queue;
    st->commit_queue = &me;
    while (!me.done) {
        if (st->commit_leader) {
            pthread_cond_wait(&st->commit_cv, &st->commit_mu);
            continue;
        }
        st->commit_leader = true;
        commit_req *group = st->commit_queue;
        st->commit_queue = NULL;
        pthread_mutex_unlock(&st->commit_mu);
        kv_batch *b = kv_batch_new();
        size_t records = 0;
        for (commit_req *r = group; b && r; r = r->next)
            for (size_t i = 0; i < r->n; i++, records++)
                kv_batch_put(b, r->puts[i].k, r->puts[i].kl, r->puts[i].v, r->puts[i].vl);
        int rc = b ? kv_write(st->data, b, true) : VEIL_ENOMEM;
        kv_batch_free(b);
        pthread_mutex_lock(&st->commit_mu);
        for (commit_req *r = group, *next; r; r = next) {
            next = r->next; /* r may return (and vanish) once done is set */
            r->rc = rc;
            r->done = true;
        }
        st->commits++;
        st->commit_records += records;
        st->commit_leader = false;
        pthread_cond_broadcast(&st->commit_cv);
    }
    pthread_mutex_unlock(&st->commit_mu);
    return me.rc;
}

/* ---- writing a session ---------------------------------------------------- */

static int put_index(store *st, const char *session_id, const index_entry *e, const uint8_t *dek)
{
    char key[KEY_MAX];
    uint8_t rec[INDEX_RECORD_MAX];
    size_t n;
    int rc = record_index_encode(rec, &n, e, session_id, dek);
    if (rc)
        return rc;
    kv_put put = {key, rec, record_key_index(key, session_id), n};
    return commit_data(st, &put, 1);
}

static int get_index(store *st, const char *session_id, const uint8_t *dek, index_entry *e)
{
    char key[KEY_MAX];
    veil_buf rec = {0};
    int rc = kv_get(st->data, key, record_key_index(key, session_id), &rec);
    if (!rc)
        rc = record_index_decode((const uint8_t *)rec.data, rec.len, session_id, dek, e);
    veil_buf_free(&rec);
    return rc;
}

static bool is_open(store *st, const char *session_id)
{
    for (open_session *o = st->open; o; o = o->next)
        if (!strcmp(o->id, session_id))
            return true;
    return false;
}

/* Loads or creates the key and index of a session; keys_mu held. */
static int prepare_session(store_session *ss, const char *site)
{
    store *st = ss->st;
    dek_header h;
    int rc = store_data_key_load(st, ss->id, ss->dek, &h);
    if (rc == VEIL_ENOTFOUND) {
        index_entry stale;
        if (get_index(st, ss->id, NULL, &stale) == VEIL_OK)
            return VEIL_ENOKEY; /* data without its key: keys restored from an older backup */
        uint64_t t = st->clock_ms();
        if ((rc = create_data_key(st, site, ss->id, t, ss->dek)))
            return rc;
        strcpy(ss->idx.site, site);
        ss->idx.created_ms = ss->idx.updated_ms = t;
        return put_index(st, ss->id, &ss->idx, ss->dek);
    }
    if (rc)
        return rc;
    if (strcmp(h.site, site))
        return VEIL_EINVAL; /* the id belongs to another site */
    rc = get_index(st, ss->id, ss->dek, &ss->idx);
    if (rc == VEIL_ENOTFOUND) { /* crashed between the key and the index */
        strcpy(ss->idx.site, site);
        ss->idx.created_ms = ss->idx.updated_ms = h.created_ms;
        rc = put_index(st, ss->id, &ss->idx, ss->dek);
    }
    return rc;
}

int store_session_open(store *st, const char *site, const char *session_id, store_session **out)
{
    if (!store_valid_id(site) || !store_valid_id(session_id))
        return VEIL_EINVAL;
    if (st->read_only)
        return VEIL_EBUSY;
    store_session *ss = calloc(1, sizeof *ss);
    open_session *mark = calloc(1, sizeof *mark);
    if (!ss || !mark || !(ss->dek = seal_key_new())) {
        free(mark);
        store_session_close(ss);
        return VEIL_ENOMEM;
    }
    ss->st = st;
    strcpy(ss->id, session_id);
    stats_read(st, session_id, &ss->stats);
    pthread_mutex_lock(&st->keys_mu);
    int rc = is_open(st, session_id) ? VEIL_EBUSY : prepare_session(ss, site);
    if (!rc) {
        strcpy(mark->id, session_id);
        mark->next = st->open;
        st->open = mark;
    }
    pthread_mutex_unlock(&st->keys_mu);
    if (rc) {
        free(mark);
        ss->st = NULL; /* not registered as open */
        store_session_close(ss);
        return rc;
    }
    *out = ss;
    return VEIL_OK;
}

int store_session_refresh(store_session *ss, bool *moved)
{
    index_entry fresh;
    *moved = false;
    int rc = get_index(ss->st, ss->id, ss->dek, &fresh);
    if (rc || fresh.last_seq == ss->idx.last_seq)
        return rc;
    ss->idx = fresh;
    stats_read(ss->st, ss->id, &ss->stats);
    *moved = true;
    return VEIL_OK;
}

uint32_t store_session_last_seq(const store_session *ss)
{
    return ss->idx.last_seq;
}

void store_session_close(store_session *ss)
{
    if (!ss)
        return;
    store *st = ss->st;
    if (st) {
        pthread_mutex_lock(&st->keys_mu);
        for (open_session **p = &st->open; *p; p = &(*p)->next) {
            if (!strcmp((*p)->id, ss->id)) {
                open_session *gone = *p;
                *p = gone->next;
                free(gone);
                break;
            }
        }
        pthread_mutex_unlock(&st->keys_mu);
    }
    if (ss->dek)
        seal_key_free(ss->dek);
    veil_buf_free(&ss->sealed);
    free(ss);
}

int store_session_append(store_session *ss, uint32_t seq, const void *json, size_t len)
{
    store *st = ss->st;
    char ck[KEY_MAX], ik[KEY_MAX];
    size_t ckl = record_key_chunk(ck, ss->id, seq);
    if (seq == 0)
        return VEIL_EINVAL;
    if (seq <= ss->idx.last_seq) {
        veil_buf old = {0};
        int rc = kv_get(st->data, ck, ckl, &old);
        veil_buf_free(&old);
        if (rc != VEIL_ENOTFOUND)
            return rc ? rc : VEIL_EEXIST;
    }
    int rc = record_chunk_seal(&ss->sealed, ss->idx.site, ss->id, seq, ss->dek, json, len);
    if (rc)
        return rc;
    index_entry next = ss->idx;
    next.chunks++;
    next.last_seq = seq > next.last_seq ? seq : next.last_seq;
    next.plain_bytes += len;
    next.stored_bytes += ss->sealed.len;
    next.updated_ms = st->clock_ms();
    uint8_t irec[INDEX_RECORD_MAX];
    size_t irl;
    if ((rc = record_index_encode(irec, &irl, &next, ss->id, ss->dek)))
        return rc;
    kv_put puts[2] = {{ck, ss->sealed.data, ckl, ss->sealed.len},
                      {ik, irec, record_key_index(ik, ss->id), irl}};
    rc = commit_data(st, puts, 2);
    if (!rc)
        ss->idx = next; /* only what is durable counts */
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
    const char *site, *id;
    const uint8_t *dek;
    size_t prefix_len;
    uint32_t seen, last_seq;
    veil_buf json;
    store_chunk_fn fn;
    void *user;
    int stopped_by_user;
} read_ctx;

static int read_chunk(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    read_ctx *ctx = user;
    if (kl != ctx->prefix_len + 4)
        return VEIL_ECORRUPT;
    uint32_t seq = veil_be32_get((const uint8_t *)k + ctx->prefix_len);
    if (seq == 0 || seq <= ctx->last_seq)
        return VEIL_ECORRUPT;
    int err =
        record_chunk_open(&ctx->json, ctx->site, ctx->id, seq, ctx->dek, (const uint8_t *)v, vl);
    if (err)
        return err;
    ctx->seen++;
    ctx->last_seq = seq;
    err = ctx->fn(ctx->user, seq, ctx->json.data, ctx->json.len);
    if (err) {
        ctx->stopped_by_user = err;
        return 1; /* stops the scan; store_session_read() returns err */
    }
    return VEIL_OK;
}

int store_session_read(store *st, const char *session_id, store_chunk_fn on_chunk, void *user)
{
    if (!store_valid_id(session_id))
        return VEIL_EINVAL;
    uint8_t *dek = seal_key_new();
    if (!dek)
        return VEIL_ENOMEM;
    dek_header h;
    index_entry idx;
    int rc = store_data_key_load(st, session_id, dek, &h);
    if (rc == VEIL_ENOTFOUND && get_index(st, session_id, NULL, &idx) == VEIL_OK)
        rc = VEIL_ENOKEY;
    if (!rc)
        rc = get_index(st, session_id, dek, &idx);
    if (!rc && strcmp(idx.site, h.site))
        rc = VEIL_ECORRUPT;
    if (!rc) {
        read_ctx ctx = {.site = h.site, .id = session_id, .dek = dek, .fn = on_chunk, .user = user};
        char prefix[KEY_MAX];
        ctx.prefix_len = record_key_chunk_prefix(prefix, session_id);
        rc = kv_scan(st->data, prefix, ctx.prefix_len, NULL, 0, read_chunk, &ctx);
        if (ctx.stopped_by_user)
            rc = ctx.stopped_by_user;
        else if (!rc && (ctx.seen != idx.chunks || ctx.last_seq != idx.last_seq))
            rc = VEIL_ECORRUPT; /* a chunk was removed or the index was cut */
        veil_buf_free(&ctx.json);
    }
    seal_key_free(dek);
    return rc;
}

static void fill_info(store *st, const char *session_id, const index_entry *e,
                      store_session_info *info)
{
    memset(info, 0, sizeof *info);
    strcpy(info->site, e->site);
    strcpy(info->session_id, session_id);
    info->created_ms = e->created_ms;
    info->updated_ms = e->updated_ms;
    info->chunks = e->chunks;
    info->last_seq = e->last_seq;
    info->plain_bytes = e->plain_bytes;
    info->stored_bytes = e->stored_bytes;
    stats_read(st, session_id, &info->stats);
    char key[KEY_MAX];
    veil_buf rec = {0};
    dek_header h;
    if (kv_get(st->keys, key, record_key_dek(key, session_id), &rec) == VEIL_OK &&
        record_dek_header((const uint8_t *)rec.data, rec.len, &h) == VEIL_OK)
        info->key_version = h.master_version;
    else if (kv_get(st->keys, key, record_key_shred(key, session_id), &rec) != VEIL_OK)
        info->key_missing = true;
    veil_buf_free(&rec);
}

typedef struct {
    store *st;
    const char *site;
    store_session_fn fn;
    void *user;
} list_ctx;

static int list_one(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    list_ctx *lc = user;
    char id[MAX_ID + 1];
    index_entry e;
    if (kl - 2 > MAX_ID)
        return VEIL_ECORRUPT;
    memcpy(id, k + 2, kl - 2);
    id[kl - 2] = '\0';
    store_session_info info;
    if (record_index_decode((const uint8_t *)v, vl, id, NULL, &e)) {
        memset(&info, 0, sizeof info);
        snprintf(info.session_id, sizeof info.session_id, "%s", id);
        info.damaged = true;
    } else if (lc->site && strcmp(lc->site, e.site)) {
        return 0;
    } else {
        fill_info(lc->st, id, &e, &info);
    }
    int rc = lc->fn(lc->user, &info);
    return rc ? (rc < 0 ? rc : 1) : 0;
}

int store_session_list(store *st, const char *site, store_session_fn fn, void *user)
{
    list_ctx lc = {st, site, fn, user};
    return kv_scan(st->data, "s/", 2, NULL, 0, list_one, &lc);
}

int store_session_lookup(store *st, const char *session_id, store_session_info *info)
{
    if (!store_valid_id(session_id))
        return VEIL_EINVAL;
    index_entry e;
    int rc = get_index(st, session_id, NULL, &e);
    if (!rc)
        fill_info(st, session_id, &e, info);
    return rc;
}

/* ---- deleting -------------------------------------------------------------- */

int store_session_delete(store *st, const char *session_id)
{
    if (!store_valid_id(session_id))
        return VEIL_EINVAL;
    if (st->read_only)
        return VEIL_EBUSY;
    char key[KEY_MAX], from[KEY_MAX], to[KEY_MAX];
    veil_buf v = {0};
    pthread_mutex_lock(&st->keys_mu);
    int rc = is_open(st, session_id) ? VEIL_EBUSY : VEIL_OK;
    bool had_key = !rc && kv_get(st->keys, key, record_key_dek(key, session_id), &v) == VEIL_OK;
    bool had_index = !rc && kv_get(st->data, key, record_key_index(key, session_id), &v) == VEIL_OK;
    if (!rc && !had_key && !had_index)
        rc = VEIL_ENOTFOUND;
    kv_batch *b = rc ? NULL : kv_batch_new();
    if (b) { /* 1: the key goes first, durably: from here the data is unreadable */
        uint64_t t = veil_now_ms();
        kv_batch_delete(b, key, record_key_dek(key, session_id));
        kv_batch_put(b, key, record_key_shred(key, session_id), &t, sizeof t);
        rc = kv_write(st->keys, b, true);
        kv_batch_free(b);
        b = rc ? NULL : kv_batch_new();
    }
    if (b) { /* 2: then the sealed chunks and the index, for the space */
        size_t fl = record_key_chunk_prefix(from, session_id);
        memcpy(to, from, fl);
        to[fl - 1] = '/' + 1;
        kv_batch_delete_range(b, from, fl, to, fl);
        kv_batch_delete(b, key, record_key_index(key, session_id));
        kv_batch_delete(b, key, record_key_stats(key, session_id));
        rc = kv_write(st->data, b, true);
        kv_batch_free(b);
    } else if (!rc) {
        rc = VEIL_ENOMEM;
    }
    pthread_mutex_unlock(&st->keys_mu);
    veil_buf_free(&v);
    return rc;
}

typedef struct {
    store *st;
    const char *site;
    uint64_t before_ms;
    char (*ids)[MAX_ID + 1];
    size_t n, cap;
    size_t unverified;
    uint8_t *dek; /* scratch for the unwrap that verifies a record */
} expired_list;

/* Lists a session whose data key the server created before the limit, once
 * the record's tag says its time and site are what they read. */
static int collect_expired(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    expired_list *el = user;
    dek_header h;
    char id[MAX_ID + 1];
    if (kl - 2 > MAX_ID || record_dek_header((const uint8_t *)v, vl, &h)) {
        el->unverified++;
        return 0;
    }
    if (strcmp(h.site, el->site) || h.created_ms >= el->before_ms)
        return 0;
    memcpy(id, k + 2, kl - 2);
    id[kl - 2] = '\0';
    pthread_rwlock_rdlock(&el->st->ring_lock);
    const master_key *mk = keyring_find(&el->st->ring, h.master_version);
    int rc = !mk || !mk->key
                 ? VEIL_ENOKEY
                 : record_dek_unwrap((const uint8_t *)v, vl, id, el->st->ring.id, mk->key, el->dek);
    pthread_rwlock_unlock(&el->st->ring_lock);
    if (rc) {
        el->unverified++;
        return 0;
    }
    if (el->n == el->cap) {
        size_t cap = el->cap ? el->cap * 2 : 64;
        void *ids = realloc(el->ids, cap * sizeof *el->ids);
        if (!ids)
            return VEIL_ENOMEM;
        el->ids = ids;
        el->cap = cap;
    }
    strcpy(el->ids[el->n++], id);
    return 0;
}

int store_retention_apply(store *st, const char *site, uint64_t before_ms,
                          store_retention_report *r)
{
    expired_list el = {.st = st, .site = site, .before_ms = before_ms, .dek = seal_key_new()};
    *r = (store_retention_report){0};
    int rc = el.dek ? kv_scan(st->keys, "k/", 2, NULL, 0, collect_expired, &el) : VEIL_ENOMEM;
    r->unverified = el.unverified;
    for (size_t i = 0; !rc && i < el.n; i++) {
        int err = store_session_delete(st, el.ids[i]);
        if (!err)
            r->deleted++;
        else if (err != VEIL_EBUSY && err != VEIL_ENOTFOUND)
            rc = err; /* an open session is still being written: next run */
    }
    free(el.ids);
    if (el.dek)
        seal_key_free(el.dek);
    if (!rc && r->deleted)
        rc = store_keys_compact(st);
    return rc;
}

int store_keys_compact(store *st)
{
    return kv_compact(st->keys);
}

void store_stats_get(store *st, store_stats *out)
{
    pthread_mutex_lock(&st->commit_mu);
    out->commits = st->commits;
    out->records = st->commit_records;
    pthread_mutex_unlock(&st->commit_mu);
}
