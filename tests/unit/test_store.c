/*
 * test_store.c - the store against real databases: round trips, tampering
 * (every bit of a chunk, a wrapped key and an index record), records moved
 * between places, wrong and retired keys, crypto-shredding, plaintext at
 * rest, group commit, backups, and kill -9 during rotation.
 *
 * On RocksDB directories by default; on the pools of a Ceph cluster when
 * VEIL_TEST_CEPH names a directory made by scripts/ceph-test-cluster.sh
 * (tests/unit/test_on_rados.sh), each test in a RADOS namespace of its
 * own. The few tests of RocksDB backups are skipped there.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../store/internal.h"

static const char MARKER[] = "VEIL-PLAINTEXT-MARKER-7c1e";

typedef struct {
    char dir[256];
    char data[300], keys[300], ring[300], root[300];
    char conf[300], space[64];
    kv_rados_target data_pool, keys_pool;
    store_options opt;
} fixture;

/* The test cluster's directory, or NULL: RocksDB. */
static const char *ceph_dir(void)
{
    const char *dir = getenv("VEIL_TEST_CEPH");
    return dir && *dir ? dir : NULL;
}

/* Backups are RocksDB's own: a RADOS run skips the tests of them. */
#define SKIP_ON_RADOS()                                                                            \
    do {                                                                                           \
        if (ceph_dir()) {                                                                          \
            print_message("skipped on RADOS (RocksDB backups)\n");                                 \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void fixture_init(fixture *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/veil-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->data, sizeof f->data, "%s/data", f->dir);
    snprintf(f->keys, sizeof f->keys, "%s/keys", f->dir);
    snprintf(f->ring, sizeof f->ring, "%s/keyring", f->dir);
    snprintf(f->root, sizeof f->root, "%s/root.key", f->dir);
    f->opt = (store_options){.data_dir = f->data,
                             .keys_dir = f->keys,
                             .keyring_path = f->ring,
                             .root_key_file = f->root,
                             .mode = STORE_READ_WRITE};
    const char *cluster = ceph_dir();
    if (cluster) {
        snprintf(f->conf, sizeof f->conf, "%s/ceph.conf", cluster);
        /* the directory's unique name: "veil-test-store-XXXXXX" */
        const char *leaf = strrchr(f->dir, '/');
        snprintf(f->space, sizeof f->space, "%.40s", leaf ? leaf + 1 : f->dir);
        f->data_pool = (kv_rados_target){f->conf, "client.veil-data", "veil-data", f->space};
        f->keys_pool = (kv_rados_target){f->conf, "client.veil-keys", "veil-keys", f->space};
        f->opt.data_rados = &f->data_pool;
        f->opt.keys_rados = &f->keys_pool;
    }
}

static void fixture_remove(fixture *f)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}

static store *open_ok(const store_options *opt)
{
    store *st = NULL;
    veil_error err = {0};
    int rc = store_open(&st, opt, &err);
    if (rc)
        fail_msg("store_open: %s (%s)", veil_strerror(rc), err.what ? err.what : "");
    return st;
}

/* A batch of masked JSON that names its session and sequence number. */
static size_t make_batch(char *out, size_t cap, const char *id, uint32_t seq)
{
    return (size_t)snprintf(out, cap,
                            "[{\"type\":3,\"data\":{\"text\":\"%s %s #%u\"},"
                            "\"timestamp\":%u}]",
                            MARKER, id, seq, 1000 + seq);
}

static void write_session(store *st, const char *id, uint32_t chunks)
{
    store_session *ss;
    assert_int_equal(store_session_open(st, "shop", id, &ss), VEIL_OK);
    for (uint32_t seq = 1; seq <= chunks; seq++) {
        char batch[256];
        size_t n = make_batch(batch, sizeof batch, id, seq);
        assert_int_equal(store_session_append(ss, seq, batch, n), VEIL_OK);
    }
    store_session_close(ss);
}

typedef struct {
    const char *id;
    uint32_t next;
    bool wrong; /* a chunk came back different from what was written */
} expect_ctx;

static int expect_chunk(void *user, uint32_t seq, const char *json, size_t len)
{
    expect_ctx *ec = user;
    char want[256];
    size_t n = make_batch(want, sizeof want, ec->id, seq);
    if (seq != ec->next || len != n || memcmp(json, want, n))
        ec->wrong = true;
    ec->next++;
    return 0;
}

/* Reads a session back; every chunk delivered must be exactly what was written. */
static int read_back(store *st, const char *id, uint32_t *chunks)
{
    expect_ctx ec = {.id = id, .next = 1};
    int rc = store_session_read(st, id, expect_chunk, &ec);
    if (ec.wrong)
        fail_msg("session %s: a chunk came back altered", id);
    if (chunks)
        *chunks = ec.next - 1;
    return rc;
}

static void test_round_trip_and_resent_seq(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "sess-a", 5);
    uint32_t n;
    assert_int_equal(read_back(st, "sess-a", &n), VEIL_OK);
    assert_int_equal(n, 5);

    store_session *ss;
    assert_int_equal(store_session_open(st, "shop", "sess-a", &ss), VEIL_OK);
    assert_int_equal(store_session_last_seq(ss), 5);
    store_session *second;
    assert_int_equal(store_session_open(st, "shop", "sess-a", &second), VEIL_EBUSY);
    assert_int_equal(store_session_append(ss, 3, "[]", 2), VEIL_EEXIST);
    store_session_close(ss);
    assert_int_equal(store_session_open(st, "other-site", "sess-a", &ss), VEIL_EINVAL);
    assert_int_equal(read_back(st, "sess-a", &n), VEIL_OK);
    assert_int_equal(n, 5);

    store_session_info info;
    assert_int_equal(store_session_lookup(st, "sess-a", &info), VEIL_OK);
    assert_int_equal(info.chunks, 5);
    assert_int_equal(info.key_version, 1);
    assert_string_equal(info.site, "shop");
    store_close(st);

    st = open_ok(&f.opt); /* everything durable across a reopen */
    assert_int_equal(read_back(st, "sess-a", &n), VEIL_OK);
    assert_int_equal(n, 5);
    store_close(st);
    fixture_remove(&f);
}

/* Flips every bit of one record in turn; each read must fail, never return altered data. */
static void flip_every_bit(store *st, store_db which, const char *key, size_t klen,
                           const char *session)
{
    kv *db = store_kv(st, which);
    veil_buf orig = {0};
    assert_int_equal(kv_get(db, key, klen, &orig), VEIL_OK);
    size_t bits = orig.len * 8, failures = 0;
    for (size_t bit = 0; bit < bits; bit++) {
        char *mut = malloc(orig.len);
        memcpy(mut, orig.data, orig.len);
        mut[bit / 8] ^= (char)(1u << (bit % 8));
        kv_batch *b = kv_batch_new();
        kv_batch_put(b, key, klen, mut, orig.len);
        assert_int_equal(kv_write(db, b, false), VEIL_OK);
        kv_batch_free(b);
        free(mut);
        if (read_back(st, session, NULL) != VEIL_OK)
            failures++;
    }
    kv_batch *b = kv_batch_new();
    kv_batch_put(b, key, klen, orig.data, orig.len);
    assert_int_equal(kv_write(db, b, false), VEIL_OK);
    kv_batch_free(b);
    assert_int_equal(failures, bits);
    assert_int_equal(read_back(st, session, NULL), VEIL_OK);
    veil_buf_free(&orig);
}

static void test_every_bit_flip_fails(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "flip", 3);
    char key[KEY_MAX];
    flip_every_bit(st, STORE_DB_DATA, key, record_key_chunk(key, "flip", 2), "flip");
    flip_every_bit(st, STORE_DB_KEYS, key, record_key_dek(key, "flip"), "flip");
    flip_every_bit(st, STORE_DB_DATA, key, record_key_index(key, "flip"), "flip");
    store_close(st);
    fixture_remove(&f);
}

static void copy_record(kv *db, const char *from, size_t fl, const char *to, size_t tl)
{
    veil_buf v = {0};
    assert_int_equal(kv_get(db, from, fl, &v), VEIL_OK);
    kv_batch *b = kv_batch_new();
    kv_batch_put(b, to, tl, v.data, v.len);
    assert_int_equal(kv_write(db, b, false), VEIL_OK);
    kv_batch_free(b);
    veil_buf_free(&v);
}

static void test_moved_records_fail(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    kv *data = store_kv(st, STORE_DB_DATA), *keys = store_kv(st, STORE_DB_KEYS);
    char a[KEY_MAX], b[KEY_MAX];
    size_t al, bl;

    /* a chunk copied into another session at the same sequence number */
    write_session(st, "one", 3);
    write_session(st, "two", 3);
    al = record_key_chunk(a, "one", 1);
    bl = record_key_chunk(b, "two", 1);
    copy_record(data, a, al, b, bl);
    assert_int_equal(read_back(st, "two", NULL), VEIL_ECORRUPT);

    /* two chunks of one session swapped */
    write_session(st, "three", 3);
    veil_buf c1 = {0}, c2 = {0};
    al = record_key_chunk(a, "three", 1);
    bl = record_key_chunk(b, "three", 2);
    assert_int_equal(kv_get(data, a, al, &c1), VEIL_OK);
    assert_int_equal(kv_get(data, b, bl, &c2), VEIL_OK);
    kv_batch *wb = kv_batch_new();
    kv_batch_put(wb, a, al, c2.data, c2.len);
    kv_batch_put(wb, b, bl, c1.data, c1.len);
    assert_int_equal(kv_write(data, wb, false), VEIL_OK);
    kv_batch_free(wb);
    veil_buf_free(&c1);
    veil_buf_free(&c2);
    assert_int_equal(read_back(st, "three", NULL), VEIL_ECORRUPT);

    /* the last chunk cut off */
    write_session(st, "four", 3);
    wb = kv_batch_new();
    kv_batch_delete(wb, a, record_key_chunk(a, "four", 3));
    assert_int_equal(kv_write(data, wb, false), VEIL_OK);
    kv_batch_free(wb);
    assert_int_equal(read_back(st, "four", NULL), VEIL_ECORRUPT);

    /* a wrapped data key moved to another session */
    write_session(st, "five", 2);
    write_session(st, "six", 2);
    copy_record(keys, a, record_key_dek(a, "five"), b, record_key_dek(b, "six"));
    assert_int_equal(read_back(st, "six", NULL), VEIL_ECORRUPT);
    assert_int_equal(read_back(st, "five", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&f);
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0400);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
}

static void test_wrong_and_retired_keys(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "old", 2);
    char key[KEY_MAX];
    size_t kl = record_key_dek(key, "old");
    veil_buf under_v1 = {0};
    assert_int_equal(kv_get(store_kv(st, STORE_DB_KEYS), key, kl, &under_v1), VEIL_OK);

    uint32_t v;
    size_t done, remaining;
    assert_int_equal(store_key_retire(st, 1), VEIL_EBUSY); /* current */
    assert_int_equal(store_key_rotate(st, &v), VEIL_OK);
    assert_int_equal(v, 2);
    assert_int_equal(store_key_retire(st, 1), VEIL_EBUSY); /* still wraps "old" */
    assert_int_equal(store_key_rewrap(st, 100, 10, &done, &remaining), VEIL_OK);
    assert_int_equal(done, 1);
    assert_int_equal(remaining, 0);
    assert_int_equal(store_key_retire(st, 1), VEIL_OK);
    assert_int_equal(read_back(st, "old", NULL), VEIL_OK);

    /* a record still wrapped under the retired version fails cleanly */
    kv_batch *b = kv_batch_new();
    kv_batch_put(b, key, kl, under_v1.data, under_v1.len);
    assert_int_equal(kv_write(store_kv(st, STORE_DB_KEYS), b, false), VEIL_OK);
    kv_batch_free(b);
    assert_int_equal(read_back(st, "old", NULL), VEIL_ENOKEY);
    veil_buf_free(&under_v1);
    store_close(st);

    /* another root key does not open the keyring */
    char real[SEAL_KEY_BYTES], other[SEAL_KEY_BYTES];
    int fd = open(f.root, O_RDONLY);
    assert_int_equal(read(fd, real, sizeof real), (ssize_t)sizeof real);
    close(fd);
    randombytes_buf(other, sizeof other);
    write_file(f.root, other, sizeof other);
    veil_error err = {0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ECRYPTO);
    assert_non_null(strstr(err.what, "does not open the keyring"));
    write_file(f.root, real, sizeof real);
    st = open_ok(&f.opt);
    store_close(st);
    fixture_remove(&f);
}

static void test_rotation_due_by_wraps_and_age(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    assert_false(store_key_rotation_due(st, 3600, 3));
    write_session(st, "w1", 1);
    write_session(st, "w2", 1);
    assert_false(store_key_rotation_due(st, 3600, 3));
    write_session(st, "w3", 1);
    assert_true(store_key_rotation_due(st, 3600, 3));
    assert_false(store_key_rotation_due(st, 0, 0)); /* both rules off */
    store_close(st);
    st = open_ok(&f.opt); /* the count survives a restart without a key change */
    assert_true(store_key_rotation_due(st, 0, 3));
    uint32_t v;
    assert_int_equal(store_key_rotate(st, &v), VEIL_OK);
    assert_false(store_key_rotation_due(st, 3600, 3)); /* a fresh version has no wraps */
    sleep(1);
    assert_true(store_key_rotation_due(st, 1, 0)); /* older than the age limit */
    store_close(st);
    fixture_remove(&f);
}

static void test_passphrase_root(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char pass[300];
    snprintf(pass, sizeof pass, "%s/passphrase", f.dir);
    write_file(pass, "correct horse battery staple\n", 29);
    f.opt.root_key_file = NULL;
    f.opt.root_passphrase_file = pass;
    store *st = open_ok(&f.opt);
    write_session(st, "pp", 1);
    store_close(st);
    write_file(pass, "incorrect horse battery staple\n", 31);
    veil_error err = {0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ECRYPTO);
    f.opt.root_passphrase_file = NULL;
    f.opt.root_key_file = f.root; /* a key file cannot open a passphrase keyring */
    write_file(f.root, "0123456789abcdef0123456789abcdef", SEAL_KEY_BYTES);
    err = (veil_error){0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ENOKEY);
    assert_non_null(strstr(err.what, "sealed by a passphrase"));
    fixture_remove(&f);
}

typedef struct {
    const char *needle;
    bool found;
} needle_ctx;

static int find_needle(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    needle_ctx *nc = user;
    size_t n = strlen(nc->needle);
    nc->found = memmem(k, kl, nc->needle, n) || memmem(v, vl, nc->needle, n);
    return nc->found;
}

/* True when any file under the fixture's directory contains needle, or on
 * RADOS, any key or value of its two databases. */
static bool stored_anywhere(const fixture *f, const char *needle)
{
    if (!ceph_dir()) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "grep -rqa -- '%s' '%s'", needle, f->dir);
        return system(cmd) == 0;
    }
    needle_ctx nc = {needle, false};
    const kv_rados_target *pools[] = {&f->data_pool, &f->keys_pool};
    for (int i = 0; i < 2 && !nc.found; i++) {
        kv *db;
        assert_int_equal(kv_open_rados(&db, pools[i], true), VEIL_OK);
        assert_int_equal(kv_scan(db, "", 0, NULL, 0, find_needle, &nc), VEIL_OK);
        kv_close(db);
    }
    return nc.found;
}

static void test_delete_shreds_even_old_copies(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "gone", 4);
    write_session(st, "kept", 2);
    store_close(st);
    assert_false(stored_anywhere(&f, MARKER)); /* compressed and sealed: no plaintext */
    assert_false(stored_anywhere(&f, "gone #1"));
    assert_true(stored_anywhere(&f, "shop")); /* the check itself sees what is stored */

    /* An old copy of the data directory (on RADOS: the namespace stays, the
     * keys pool decides). */
    char copy[400], cmd[900];
    snprintf(copy, sizeof copy, "%s/data-copy", f.dir);
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", f.data, copy);
    assert_int_equal(ceph_dir() ? 0 : system(cmd), 0);

    st = open_ok(&f.opt);
    assert_int_equal(store_session_delete(st, "gone"), VEIL_OK);
    assert_int_equal(store_session_delete(st, "gone"), VEIL_ENOTFOUND);
    assert_int_equal(read_back(st, "gone", NULL), VEIL_ESHREDDED);
    assert_int_equal(read_back(st, "kept", NULL), VEIL_OK);
    store_session *ss;
    assert_int_equal(store_session_open(st, "shop", "gone", &ss), VEIL_ESHREDDED);
    store_close(st);

    store_options from_copy = f.opt;
    from_copy.data_dir = copy; /* unused on RADOS */
    st = open_ok(&from_copy);
    assert_int_equal(read_back(st, "gone", NULL), VEIL_ESHREDDED);
    assert_int_equal(read_back(st, "kept", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&f);
}

typedef struct {
    int listed, damaged;
} list_count;

static int count_listed(void *user, const store_session_info *info)
{
    list_count *lc = user;
    lc->listed++;
    lc->damaged += info->damaged;
    return 0;
}

static void test_damaged_index_entry_is_listed_not_fatal(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "fine", 1);
    write_session(st, "hurt", 1);
    char key[KEY_MAX];
    kv_batch *b = kv_batch_new();
    kv_batch_put(b, key, record_key_index(key, "hurt"), "garbage", 7);
    assert_int_equal(kv_write(store_kv(st, STORE_DB_DATA), b, false), VEIL_OK);
    kv_batch_free(b);
    list_count lc = {0};
    assert_int_equal(store_session_list(st, "shop", count_listed, &lc), VEIL_OK);
    assert_int_equal(lc.listed, 2);
    assert_int_equal(lc.damaged, 1);
    store_verify_report r;
    assert_int_equal(store_verify(st, false, &r), VEIL_OK);
    assert_int_equal(r.unreadable, 1);
    store_retention_report rr;
    assert_int_equal(store_retention_apply(st, "shop", veil_now_ms() + 60000, &rr), VEIL_OK);
    assert_int_equal(rr.deleted, 2); /* a damaged index entry does not keep its session */
    assert_int_equal(read_back(st, "hurt", NULL), VEIL_ESHREDDED);
    store_close(st);
    fixture_remove(&f);
}

/* The server's clock, for tests that age sessions. */
static uint64_t fake_now_ms;
static uint64_t fake_clock(void)
{
    return fake_now_ms;
}

static void test_retention(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.opt.clock_ms = fake_clock;
    uint64_t day = 86400000, t0 = veil_now_ms();
    fake_now_ms = t0 - 30 * day;
    store *st = open_ok(&f.opt);
    write_session(st, "ancient", 1);
    write_session(st, "forged", 1);
    fake_now_ms = t0;
    write_session(st, "recent", 1);
    store_retention_report r;
    assert_int_equal(store_retention_apply(st, "other", t0 - day, &r), VEIL_OK);
    assert_int_equal(r.deleted, 0);

    /* "forged": its data-key record says it is recent; the tag disagrees */
    char key[KEY_MAX];
    size_t kl = record_key_dek(key, "forged");
    veil_buf rec = {0};
    assert_int_equal(kv_get(store_kv(st, STORE_DB_KEYS), key, kl, &rec), VEIL_OK);
    veil_be64_put((uint8_t *)rec.data + 5, t0);
    kv_batch *b = kv_batch_new();
    kv_batch_put(b, key, kl, rec.data, rec.len);
    assert_int_equal(kv_write(store_kv(st, STORE_DB_KEYS), b, true), VEIL_OK);
    kv_batch_free(b);
    veil_be64_put((uint8_t *)rec.data + 5, t0 + 1000 * day); /* and a year-3000 one */
    b = kv_batch_new();
    kv_batch_put(b, key, kl, rec.data, rec.len);
    assert_int_equal(kv_write(store_kv(st, STORE_DB_KEYS), b, true), VEIL_OK);
    kv_batch_free(b);
    veil_buf_free(&rec);

    assert_int_equal(store_retention_apply(st, "shop", t0 - day, &r), VEIL_OK);
    assert_int_equal(r.deleted, 1);
    assert_int_equal(r.unverified, 0); /* the forged one reads as new: not even a candidate */
    assert_int_equal(read_back(st, "ancient", NULL), VEIL_ESHREDDED);
    assert_int_equal(read_back(st, "recent", NULL), VEIL_OK);
    assert_int_equal(store_retention_apply(st, "shop", t0 + 2000 * day, &r), VEIL_OK);
    assert_int_equal(r.deleted, 1);    /* "recent", by the clock */
    assert_int_equal(r.unverified, 1); /* "forged" is reported, never shredded unverified */
    assert_int_equal(read_back(st, "forged", NULL), VEIL_ECORRUPT);
    store_close(st);
    fixture_remove(&f);
}

typedef struct {
    store *st;
    int index;
} writer_arg;

enum { WRITERS = 8, APPENDS = 40 };

static void *writer(void *p)
{
    writer_arg *w = p;
    char id[32];
    snprintf(id, sizeof id, "w%d", w->index);
    store_session *ss;
    if (store_session_open(w->st, "shop", id, &ss))
        return (void *)1;
    for (uint32_t seq = 1; seq <= APPENDS; seq++) {
        char batch[256];
        size_t n = make_batch(batch, sizeof batch, id, seq);
        if (store_session_append(ss, seq, batch, n))
            return (void *)1;
    }
    store_session_close(ss);
    return NULL;
}

/* Eight writers append at once: each append is durable on return, but the
 * fsyncs are shared, so there are far fewer synced writes than appends. */
static void test_group_commit_shares_fsyncs(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    pthread_t t[WRITERS];
    writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) { /* sessions exist before the writers race */
        char id[32];
        snprintf(id, sizeof id, "w%d", i);
        write_session(st, id, 0);
    }
    store_stats before, after;
    store_stats_get(st, &before);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){st, i};
        assert_int_equal(pthread_create(&t[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    store_stats_get(st, &after);
    uint64_t appends = WRITERS * APPENDS, commits = after.commits - before.commits;
    print_message("group commit: %llu appends in %llu synced writes\n", (unsigned long long)appends,
                  (unsigned long long)commits);
    assert_int_equal(after.records - before.records, 2 * appends); /* a chunk and its index */
    assert_true(commits * 2 <= appends);
    for (int i = 0; i < WRITERS; i++) {
        char id[32];
        uint32_t n;
        snprintf(id, sizeof id, "w%d", i);
        assert_int_equal(read_back(st, id, &n), VEIL_OK);
        assert_int_equal(n, APPENDS);
    }
    store_close(st);
    fixture_remove(&f);
}

static void test_backup_restore_and_stale_keys(void **state)
{
    (void)state;
    SKIP_ON_RADOS();
    fixture f;
    fixture_init(&f);
    char bdata[400], bkeys[400];
    snprintf(bdata, sizeof bdata, "%s/backup-data", f.dir);
    snprintf(bkeys, sizeof bkeys, "%s/backup-keys", f.dir);
    store *st = open_ok(&f.opt);
    write_session(st, "before", 2);
    uint32_t id;
    assert_int_equal(store_backup(st, STORE_DB_KEYS, bkeys, &id), VEIL_OK); /* keys first: older */
    write_session(st, "after", 2);
    assert_int_equal(store_backup(st, STORE_DB_DATA, bdata, &id), VEIL_OK);
    assert_int_equal(store_backup(st, STORE_DB_DATA, bkeys, &id), VEIL_EINVAL); /* wrong dir */
    store_close(st);

    fixture g; /* a fresh machine with the same keyring and root key */
    fixture_init(&g);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s' '%s'", f.ring, f.root, g.dir);
    assert_int_equal(system(cmd), 0);
    veil_error err = {0};
    assert_int_equal(store_restore(STORE_DB_DATA, bdata, g.data, NULL, &err), VEIL_OK);
    assert_int_equal(store_restore(STORE_DB_KEYS, bdata, g.keys, NULL, &err), VEIL_EINVAL);
    assert_non_null(strstr(err.what, "other database"));
    assert_int_equal(store_restore(STORE_DB_KEYS, bkeys, g.keys, NULL, &err), VEIL_OK);
    st = open_ok(&g.opt);
    assert_int_equal(read_back(st, "before", NULL), VEIL_OK);
    assert_int_equal(read_back(st, "after", NULL), VEIL_ENOKEY);
    store_verify_report r;
    assert_int_equal(store_verify(st, true, &r), VEIL_OK);
    assert_int_equal(r.sessions, 2);
    assert_int_equal(r.missing_keys, 1);
    assert_int_equal(r.unreadable, 0);
    store_close(st);
    fixture_remove(&g);
    fixture_remove(&f);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void copy_file(const char *from, const char *to)
{
    char cmd[900];
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

/* A keyring or root key that went missing (a path typo, a volume that did
 * not mount) must never be replaced by new ones over existing data keys. */
static void test_missing_keyring_never_starts_a_new_hierarchy(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "kept", 2);
    store_close(st);
    char aside[400], root_aside[400];
    snprintf(aside, sizeof aside, "%s.aside", f.ring);
    snprintf(root_aside, sizeof root_aside, "%s.aside", f.root);
    assert_int_equal(rename(f.ring, aside), 0);
    veil_error err = {0};
    if (ceph_dir()) {
        /* On a cluster the keyring's home is the keys pool: the node takes
         * the same keyring back from there, never a new one. */
        st = open_ok(&f.opt);
        assert_int_equal(read_back(st, "kept", NULL), VEIL_OK);
        store_close(st);
        assert_true(file_exists(f.ring));
        unlink(aside);
    } else {
        assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ENOKEY);
        assert_non_null(strstr(err.what, "keyring file is missing"));
        assert_false(file_exists(f.ring)); /* no new keyring */
        assert_int_equal(rename(aside, f.ring), 0);
    }

    assert_int_equal(rename(f.root, root_aside), 0);
    err = (veil_error){0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ENOTFOUND);
    assert_non_null(strstr(err.what, "restore the root key"));
    assert_false(file_exists(f.root)); /* no new root key */
    assert_int_equal(rename(root_aside, f.root), 0);

    st = open_ok(&f.opt);
    assert_int_equal(read_back(st, "kept", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&f);
}

/* Another store's keyring (and root key) is refused by its id. */
static void test_foreign_keyring_refused(void **state)
{
    (void)state;
    fixture f, g;
    fixture_init(&f);
    fixture_init(&g);
    store *st = open_ok(&f.opt);
    write_session(st, "mine", 1);
    store_close(st);
    st = open_ok(&g.opt);
    store_close(st);
    copy_file(g.ring, f.ring);
    unlink(f.root);
    copy_file(g.root, f.root);
    veil_error err = {0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ENOKEY);
    assert_non_null(strstr(err.what, "not the one this keys database was written with"));
    fixture_remove(&g);
    fixture_remove(&f);
}

/* A keys backup carries its keyring: the stale-escrow restore fails
 * verification loudly, and restoring with the carried keyring fixes it. */
static void test_restore_with_stale_keyring(void **state)
{
    (void)state;
    SKIP_ON_RADOS();
    fixture f, g;
    fixture_init(&f);
    fixture_init(&g);
    char escrow[400], bdata[400], bkeys[400];
    snprintf(escrow, sizeof escrow, "%s/escrowed-keyring", f.dir);
    snprintf(bdata, sizeof bdata, "%s/backup-data", f.dir);
    snprintf(bkeys, sizeof bkeys, "%s/backup-keys", f.dir);
    store *st = open_ok(&f.opt);
    write_session(st, "early", 1);
    copy_file(f.ring, escrow); /* escrowed once, never again */
    uint32_t v, id;
    size_t done, remaining;
    assert_int_equal(store_key_rotate(st, &v), VEIL_OK);
    assert_int_equal(store_key_rewrap(st, 100, 10, &done, &remaining), VEIL_OK);
    write_session(st, "late", 1);
    assert_int_equal(store_backup(st, STORE_DB_DATA, bdata, &id), VEIL_OK);
    assert_int_equal(store_backup(st, STORE_DB_KEYS, bkeys, &id), VEIL_OK);
    store_close(st);

    copy_file(escrow, g.ring);
    copy_file(f.root, g.root);
    veil_error err = {0};
    assert_int_equal(store_restore(STORE_DB_DATA, bdata, g.data, NULL, &err), VEIL_OK);
    assert_int_equal(store_restore(STORE_DB_KEYS, bkeys, g.keys, NULL, &err), VEIL_OK);
    st = open_ok(&g.opt);
    store_verify_report r;
    assert_int_equal(store_verify(st, false, &r), VEIL_OK);
    assert_false(store_verify_clean(&r));
    assert_int_equal(r.keys_unopened, 2);
    assert_int_equal(r.n_versions_unopened, 1);
    assert_int_equal(r.versions_unopened[0], 2);
    assert_int_equal(read_back(st, "late", NULL), VEIL_ENOKEY);
    store_close(st);

    assert_int_equal(store_restore(STORE_DB_KEYS, bkeys, g.keys, g.ring, &err), VEIL_OK);
    char before[400];
    snprintf(before, sizeof before, "%s.before-restore", g.ring);
    assert_true(file_exists(before));
    st = open_ok(&g.opt);
    assert_int_equal(store_verify(st, true, &r), VEIL_OK);
    assert_true(store_verify_clean(&r));
    assert_int_equal(read_back(st, "early", NULL), VEIL_OK);
    assert_int_equal(read_back(st, "late", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&g);
    fixture_remove(&f);
}

static void test_backup_purge(void **state)
{
    (void)state;
    SKIP_ON_RADOS();
    fixture f;
    fixture_init(&f);
    char bkeys[400];
    snprintf(bkeys, sizeof bkeys, "%s/backup-keys", f.dir);
    store *st = open_ok(&f.opt);
    uint32_t id, removed;
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        write_session(st, name, 1);
        assert_int_equal(store_backup(st, STORE_DB_KEYS, bkeys, &id), VEIL_OK);
    }
    assert_int_equal(id, 3);
    veil_error err = {0};
    assert_int_equal(store_backup_purge(STORE_DB_DATA, bkeys, 1, 0, &removed, &err), VEIL_EINVAL);
    assert_int_equal(
        store_backup_purge(STORE_DB_KEYS, bkeys, 0, (uint64_t)time(NULL) - 3600, &removed, &err),
        VEIL_OK);
    assert_int_equal(removed, 0); /* all taken within the hour */
    assert_int_equal(store_backup_purge(STORE_DB_KEYS, bkeys, 1, 0, &removed, &err), VEIL_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(store_backup(st, STORE_DB_KEYS, bkeys, &id), VEIL_OK);
    assert_int_equal(id, 4); /* the engine goes on numbering after the purge */
    store_close(st);
    fixture_remove(&f);
}

typedef struct {
    store_alert got[8];
    int n;
} alert_list;

static int collect_alert(void *user, const store_alert *a)
{
    alert_list *l = user;
    if (l->n < 8)
        l->got[l->n++] = *a;
    return 0;
}

/* Alerts ingest raises: listed per site, newest first, acknowledged by a
 * user; a session's events never enter them; a read-only store refuses. */
static void test_alerts(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    store_alert a = {.count = 3, .at_ms = 1000};
    snprintf(a.site, sizeof a.site, "shop");
    snprintf(a.kind, sizeof a.kind, "card_elsewhere");
    assert_int_equal(store_alert_add(st, &a), VEIL_OK);
    uint64_t first = a.id;
    a.at_ms = 2000;
    snprintf(a.kind, sizeof a.kind, "malformed");
    assert_int_equal(store_alert_add(st, &a), VEIL_OK);
    snprintf(a.site, sizeof a.site, "shop2"); /* a site whose name extends the first */
    assert_int_equal(store_alert_add(st, &a), VEIL_OK);
    snprintf(a.site, sizeof a.site, "../x");
    assert_int_equal(store_alert_add(st, &a), VEIL_EINVAL);

    alert_list l = {0};
    assert_int_equal(store_alert_list(st, "shop", collect_alert, &l), VEIL_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.got[0].kind, "malformed"); /* newest first */
    assert_string_equal(l.got[1].kind, "card_elsewhere");
    assert_int_equal(l.got[1].count, 3);
    assert_string_equal(l.got[1].site, "shop");
    assert_string_equal(l.got[1].acked_by, "");
    assert_int_equal(store_alert_ack(st, "shop", first, "alice"), VEIL_OK);
    assert_int_equal(store_alert_ack(st, "shop", first + 12345, "alice"), VEIL_ENOTFOUND);
    memset(&l, 0, sizeof l);
    assert_int_equal(store_alert_list(st, NULL, collect_alert, &l), VEIL_OK);
    assert_int_equal(l.n, 3); /* every site */
    bool acked = false;
    for (int i = 0; i < l.n; i++)
        if (l.got[i].id == first)
            acked = !strcmp(l.got[i].acked_by, "alice") && l.got[i].acked_ms > 0;
    assert_true(acked);
    store_close(st);

    store_options ro = f.opt;
    ro.mode = STORE_READ_ONLY;
    st = open_ok(&ro);
    assert_int_equal(store_alert_add(st, &a), VEIL_EBUSY);
    store_close(st);
    fixture_remove(&f);
}

/* The root secret changes: the old one no longer opens the keyring, the
 * new one does, and every session still reads. A passphrase is the first
 * line of its file. */
static void test_root_change(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "stays", 2);
    char newkey[400], pass[400];
    snprintf(newkey, sizeof newkey, "%s/new-root.key", f.dir);
    snprintf(pass, sizeof pass, "%s/passphrase", f.dir);
    veil_error err = {0};
    assert_int_equal(store_root_change(st, newkey, NULL, &err), VEIL_OK);
    store_close(st);
    err = (veil_error){0};
    assert_int_equal(store_open(&st, &f.opt, &err), VEIL_ECRYPTO);
    f.opt.root_key_file = newkey;
    st = open_ok(&f.opt);
    assert_int_equal(read_back(st, "stays", NULL), VEIL_OK);
    write_file(pass, "a passphrase of some length\nnot this line\n", 42);
    assert_int_equal(store_root_change(st, NULL, pass, &err), VEIL_OK);
    store_close(st);
    f.opt.root_key_file = NULL;
    f.opt.root_passphrase_file = pass;
    write_file(pass, "a passphrase of some length", 27); /* the same first line */
    st = open_ok(&f.opt);
    assert_int_equal(read_back(st, "stays", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&f);
}

/* A keyring that another process left unreadable: reload fails, and the
 * keyring loaded before stays in use (writes go on); on a cluster, the
 * pool's copy takes its place. */
static void test_failed_reload_keeps_the_keyring(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "one", 1);
    write_file(f.ring, "not a keyring", 13);
    bool changed;
    uint32_t v;
    if (ceph_dir()) {
        /* On a cluster the keys pool's copy repairs the file. */
        assert_int_equal(store_keyring_reload(st, &changed), VEIL_OK);
        assert_int_equal(store_key_rotate(st, &v), VEIL_OK);
    } else {
        assert_int_not_equal(store_keyring_reload(st, &changed), VEIL_OK);
        assert_int_not_equal(store_key_rotate(st, &v), VEIL_OK);
    }
    write_session(st, "two", 1);
    assert_int_equal(read_back(st, "one", NULL), VEIL_OK);
    assert_int_equal(read_back(st, "two", NULL), VEIL_OK);
    store_close(st);
    fixture_remove(&f);
}

/* On RADOS every write is a network round trip: fewer sessions and runs
 * keep the same shape (a kill inside a rewrap) in a test-suite's time. */
#define CRASH_SESSIONS (ceph_dir() ? 300 : 1500)
#define CRASH_RUNS     (ceph_dir() ? 8 : 20)

/* The child: rotate, then rewrap in small synced batches until killed. */
static void rotate_until_killed(const store_options *opt)
{
    store *st;
    if (store_open(&st, opt, NULL))
        _exit(2);
    uint32_t v;
    size_t done, remaining;
    if (store_key_rotate(st, &v) || store_key_rewrap(st, SIZE_MAX, 8, &done, &remaining))
        _exit(3);
    store_close(st);
    _exit(0);
}

static void test_kill_during_rotation(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    for (int i = 0; i < CRASH_SESSIONS; i++) {
        char id[32];
        snprintf(id, sizeof id, "k%04d", i);
        write_session(st, id, 1);
    }
    store_close(st);
    /* Two rotations run to the end; the faster sets the window kills are spread over. */
    long window_us = LONG_MAX;
    for (int i = 0; i < 2; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t whole = fork();
        assert_true(whole >= 0);
        if (whole == 0)
            rotate_until_killed(&f.opt);
        int status;
        waitpid(whole, &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
        window_us = us < window_us ? us : window_us;
    }
    window_us = window_us * 3 / 4;
    srand((unsigned)time(NULL));
    /* Until CRASH_RUNS / 2 kills land inside a rotation. On a loaded
     * machine the two timed rotations may have run faster than the ones
     * killed later: each kill that comes after the end shrinks the window. */
    int killed_midway = 0, runs = 0;
    for (; killed_midway < CRASH_RUNS / 2 && runs < 3 * CRASH_RUNS; runs++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            rotate_until_killed(&f.opt);
        usleep((useconds_t)(rand() % (window_us + 1)));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        killed_midway += WIFSIGNALED(status);
        if (!WIFSIGNALED(status))
            window_us = window_us * 3 / 4;

        st = open_ok(&f.opt); /* every session readable after every crash */
        for (int i = 0; i < CRASH_SESSIONS; i += 7) {
            char id[32];
            snprintf(id, sizeof id, "k%04d", i);
            assert_int_equal(read_back(st, id, NULL), VEIL_OK);
        }
        store_verify_report r;
        assert_int_equal(store_verify(st, true, &r), VEIL_OK);
        assert_int_equal(r.unreadable + r.missing_keys + r.orphan_keys, 0);
        size_t done, remaining;
        assert_int_equal(store_key_rewrap(st, SIZE_MAX, 64, &done, &remaining), VEIL_OK);
        assert_int_equal(remaining, 0); /* the interrupted rotation completes */
        store_close(st);
    }
    print_message("kill -9 during rotation: %d of %d runs killed before finishing (window "
                  "%ld us at the end)\n",
                  killed_midway, runs, window_us);
    assert_true(killed_midway >= CRASH_RUNS / 2);
    fixture_remove(&f);
}

/* A stolen data credential reads no key: the data client cannot open, read
 * or write the keys pool, and the keys client cannot reach the data. */
static void test_data_client_cannot_reach_keys(void **state)
{
    (void)state;
    if (!ceph_dir())
        skip(); /* RADOS only: RocksDB has no clients */
    fixture f;
    fixture_init(&f);
    store *st = open_ok(&f.opt);
    write_session(st, "secret", 1);
    store_close(st);
    kv_rados_target stolen = f.keys_pool;
    stolen.client = "client.veil-data";
    kv *db;
    assert_int_equal(kv_open_rados(&db, &stolen, true), VEIL_EPERM);
    assert_int_equal(kv_open_rados(&db, &stolen, false), VEIL_EPERM);
    kv_rados_target other = f.data_pool;
    other.client = "client.veil-keys";
    assert_int_equal(kv_open_rados(&db, &other, true), VEIL_EPERM);
    /* Each client with its own pool: what the store just wrote is there. */
    veil_buf v = {0};
    char key[KEY_MAX];
    assert_int_equal(kv_open_rados(&db, &f.keys_pool, true), VEIL_OK);
    assert_int_equal(kv_get(db, key, record_key_dek(key, "secret"), &v), VEIL_OK);
    kv_close(db);
    veil_buf_free(&v);
    /* And listing the pool's objects is refused too, not only reading them. */
    char cmd[700];
    snprintf(cmd, sizeof cmd,
             "rados -c %s -n client.veil-data -p veil-keys -N %s ls >/dev/null 2>&1", f.conf,
             f.space);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "rados -c %s -n client.veil-keys -p veil-keys -N %s ls >/dev/null 2>&1", f.conf,
             f.space);
    assert_int_equal(system(cmd), 0);
    fixture_remove(&f);
}

static void count_notice(void *user)
{
    __atomic_add_fetch((int *)user, 1, __ATOMIC_SEQ_CST);
}

/* A second node on the same pools: it takes the keyring from the keys
 * pool, is told of a rotation made by the first and reloads it without a
 * restart, and the two take turns at a lease. */
static void test_nodes_share_the_keyring(void **state)
{
    (void)state;
    if (!ceph_dir())
        skip(); /* RADOS only: one machine has one keyring file */
    fixture a, b;
    fixture_init(&a);
    fixture_init(&b);
    b.opt.data_rados = &a.data_pool; /* b: its own directory, a's pools */
    b.opt.keys_rados = &a.keys_pool;
    store *na = open_ok(&a.opt);
    write_session(na, "from-a", 2);
    copy_file(a.root, b.root); /* every node has the root key; nothing else is copied */
    assert_false(file_exists(b.ring));
    store *nb = open_ok(&b.opt);
    assert_true(file_exists(b.ring));
    assert_int_equal(read_back(nb, "from-a", NULL), VEIL_OK);

    int notices = 0;
    assert_int_equal(store_watch_keyring(nb, count_notice, &notices), VEIL_OK);
    uint32_t v;
    assert_int_equal(store_key_rotate(na, &v), VEIL_OK);
    assert_int_equal(v, 2);
    for (int i = 0; i < 100 && !__atomic_load_n(&notices, __ATOMIC_SEQ_CST); i++)
        usleep(20000);
    assert_true(__atomic_load_n(&notices, __ATOMIC_SEQ_CST) > 0); /* told, not only polling */
    store_unwatch_keyring(nb);
    bool changed = false;
    assert_int_equal(store_keyring_reload(nb, &changed), VEIL_OK);
    assert_true(changed);
    write_session(nb, "from-b", 1); /* wrapped under version 2 by b */
    store_session_info info;
    assert_int_equal(store_session_lookup(na, "from-b", &info), VEIL_OK);
    assert_int_equal(info.key_version, 2);
    assert_int_equal(read_back(na, "from-b", NULL), VEIL_OK);
    assert_int_equal(store_keyring_reload(nb, &changed), VEIL_OK);
    assert_false(changed); /* nothing new: nothing reloaded */
    unlink(b.ring);        /* deleted under a running node: put back from the pool */
    assert_int_equal(store_keyring_reload(nb, &changed), VEIL_OK);
    assert_true(file_exists(b.ring));

    /* A node that was down during a rotation opens with a stale file: it
     * takes the newer keyring from the pool, and never pushes its own. */
    store_close(nb);
    assert_int_equal(store_key_rotate(na, &v), VEIL_OK);
    nb = open_ok(&b.opt); /* its file holds versions 1-2; the pool 1-3 */
    assert_int_equal(store_keyring_reload(na, &changed), VEIL_OK);
    assert_false(changed); /* a's keyring was not rolled back by b's open */
    store_key_info keys[8];
    size_t n;
    assert_int_equal(store_key_status(nb, keys, 8, &n), VEIL_OK);
    assert_int_equal(n, 3);

    assert_int_equal(store_lease(na, "maintenance", 30), VEIL_OK);
    assert_int_equal(store_lease(na, "maintenance", 30), VEIL_OK); /* renewed */
    assert_int_equal(store_lease(nb, "maintenance", 30), VEIL_EBUSY);
    assert_int_equal(store_key_rotate(nb, &v), VEIL_OK); /* another lease */
    store_lease_release(na, "maintenance");
    assert_int_equal(store_lease(nb, "maintenance", 30), VEIL_OK);
    assert_int_equal(store_lease(na, "maintenance", 30), VEIL_EBUSY);
    store_close(na);
    store_close(nb);
    fixture_remove(&b);
    fixture_remove(&a);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_resent_seq),
        cmocka_unit_test(test_every_bit_flip_fails),
        cmocka_unit_test(test_moved_records_fail),
        cmocka_unit_test(test_wrong_and_retired_keys),
        cmocka_unit_test(test_rotation_due_by_wraps_and_age),
        cmocka_unit_test(test_passphrase_root),
        cmocka_unit_test(test_delete_shreds_even_old_copies),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_damaged_index_entry_is_listed_not_fatal),
        cmocka_unit_test(test_group_commit_shares_fsyncs),
        cmocka_unit_test(test_backup_restore_and_stale_keys),
        cmocka_unit_test(test_missing_keyring_never_starts_a_new_hierarchy),
        cmocka_unit_test(test_foreign_keyring_refused),
        cmocka_unit_test(test_restore_with_stale_keyring),
        cmocka_unit_test(test_backup_purge),
        cmocka_unit_test(test_root_change),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_failed_reload_keeps_the_keyring),
        cmocka_unit_test(test_kill_during_rotation),
        cmocka_unit_test(test_data_client_cannot_reach_keys),
        cmocka_unit_test(test_nodes_share_the_keyring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
