/*
 * test_kv.c - the RADOS backend of the persistence interface against the
 * RocksDB one: the same random batches (puts of every size around the
 * inline limit, overwrites that grow and shrink a value, deletes, ranges
 * inside one session and across many, binary keys with 0x00, 0x01, '/' and
 * 0xff) go to both, and every get, ordered scan, prefix scan and resumed
 * scan must give the same answer. Needs VEIL_TEST_CEPH (a directory made by
 * scripts/ceph-test-cluster.sh); skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../common/kv.h"

enum { BATCHES = 400, MAX_OPS = 8, KEY_CAP = 64 };

typedef struct {
    kv *rocks, *rados;
    char dir[64];
} pair;

static unsigned rnd(unsigned n)
{
    return (unsigned)rand() % n;
}

/* A key of one of the shapes the store and the console write. */
static size_t random_key(char *k)
{
    static const char *ids[] = {"aa", "ab", "b", "session-1", "x.y"};
    static const uint8_t tails[] = {0x00, 0x01, 0x02, '/', '0', 0x7f, 0x80, 0xff};
    const char *id = ids[rnd(5)];
    size_t n;
    switch (rnd(6)) {
    case 0:
    case 1: /* a chunk: binary sequence number */
        n = (size_t)sprintf(k, "c/%s/", id);
        for (int i = 0; i < 4; i++)
            k[n++] = (char)tails[rnd(8)];
        return n;
    case 2:
        return (size_t)sprintf(k, "s/%s", id);
    case 3:
        return (size_t)sprintf(k, "k/%s", id);
    case 4: /* an alert, or the console's audit record (binary after "a/") */
        n = (size_t)sprintf(k, "a/%s", rnd(2) ? "site/" : "");
        for (int i = 0; i < 3; i++)
            k[n++] = (char)tails[rnd(8)];
        return n;
    default:
        k[0] = (char)tails[rnd(8)];
        return 1;
    }
}

static size_t random_value(char *v)
{
    static const size_t sizes[] = {0, 1, 100, 8191, 8192, 8193, 20000, 70000};
    size_t n = sizes[rnd(8)];
    for (size_t i = 0; i < n; i++)
        v[i] = (char)rnd(256);
    return n;
}

static void random_batch(kv_batch *b)
{
    static char v[70000];
    char k[KEY_CAP], to[KEY_CAP];
    for (unsigned i = 0, n = 1 + rnd(MAX_OPS); i < n; i++) {
        size_t kl = random_key(k);
        unsigned what = rnd(20);
        if (what < 14) {
            kv_batch_put(b, k, kl, v, random_value(v));
        } else if (what < 17) {
            kv_batch_delete(b, k, kl);
        } else if (what < 19) { /* one session's chunks, as the store deletes them */
            size_t n2 = (size_t)sprintf(k, "c/%s/", rnd(2) ? "aa" : "session-1");
            memcpy(to, k, n2);
            to[n2 - 1] = '/' + 1;
            kv_batch_delete_range(b, k, n2, to, n2);
        } else { /* between two random keys */
            size_t tl = random_key(to);
            if (memcmp(k, to, kl < tl ? kl : tl) > 0 ||
                (memcmp(k, to, kl < tl ? kl : tl) == 0 && kl > tl))
                kv_batch_delete_range(b, to, tl, k, kl);
            else
                kv_batch_delete_range(b, k, kl, to, tl);
        }
    }
}

typedef struct {
    veil_buf all; /* key length | key | value length | value, each entry */
    size_t n, stop_after;
} dump;

static int add_entry(void *user, const char *k, size_t kl, const char *v, size_t vl)
{
    dump *d = user;
    assert_int_equal(veil_buf_append(&d->all, &kl, sizeof kl), VEIL_OK);
    assert_int_equal(veil_buf_append(&d->all, k, kl), VEIL_OK);
    assert_int_equal(veil_buf_append(&d->all, &vl, sizeof vl), VEIL_OK);
    assert_int_equal(veil_buf_append(&d->all, v, vl), VEIL_OK);
    d->n++;
    return d->stop_after && d->n == d->stop_after;
}

static void same_scan(pair *p, const char *prefix, size_t plen, const char *after, size_t alen,
                      size_t stop_after)
{
    dump a = {.stop_after = stop_after}, b = {.stop_after = stop_after};
    assert_int_equal(kv_scan(p->rocks, prefix, plen, after, alen, add_entry, &a), VEIL_OK);
    assert_int_equal(kv_scan(p->rados, prefix, plen, after, alen, add_entry, &b), VEIL_OK);
    if (a.n != b.n || a.all.len != b.all.len ||
        (a.all.len && memcmp(a.all.data, b.all.data, a.all.len)))
        fail_msg("scan of %zu-byte prefix: RocksDB %zu entries, RADOS %zu", plen, a.n, b.n);
    veil_buf_free(&a.all);
    veil_buf_free(&b.all);
}

static void same_get(pair *p, const char *k, size_t kl)
{
    veil_buf a = {0}, b = {0};
    int ra = kv_get(p->rocks, k, kl, &a), rb = kv_get(p->rados, k, kl, &b);
    assert_int_equal(ra, rb);
    if (!ra) {
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
    }
    veil_buf_free(&a);
    veil_buf_free(&b);
}

static void compare(pair *p)
{
    static const char *prefixes[] = {"",   "c/", "c/aa/",   "c/session-1/",
                                     "s/", "a/", "a/site/", "k/a"};
    char k[KEY_CAP];
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        same_scan(p, prefixes[i], strlen(prefixes[i]), NULL, 0, 0);
    size_t kl = random_key(k);
    same_scan(p, "", 0, k, kl, 0);        /* resumed after a key */
    same_scan(p, "c/aa/", 5, NULL, 0, 3); /* stopped by the callback */
    for (int i = 0; i < 20; i++) {
        kl = random_key(k);
        same_get(p, k, kl);
    }
}

static void test_rados_matches_rocksdb(void **state)
{
    (void)state;
    const char *cluster = getenv("VEIL_TEST_CEPH");
    if (!cluster || !*cluster)
        skip();
    pair p;
    snprintf(p.dir, sizeof p.dir, "/tmp/veil-test-kv-XXXXXX");
    assert_non_null(mkdtemp(p.dir));
    char conf[300];
    snprintf(conf, sizeof conf, "%s/ceph.conf", cluster);
    kv_rados_target t = {conf, "client.veil-data", "veil-data", strrchr(p.dir, '/') + 1};
    assert_int_equal(kv_open(&p.rocks, p.dir, false), VEIL_OK);
    assert_int_equal(kv_open_rados(&p.rados, &t, false), VEIL_OK);
    unsigned seed = (unsigned)time(NULL);
    print_message("seed %u\n", seed);
    srand(seed);
    for (int i = 0; i < BATCHES; i++) {
        kv_batch *b = kv_batch_new();
        random_batch(b);
        assert_int_equal(kv_write(p.rocks, b, false), VEIL_OK);
        assert_int_equal(kv_write(p.rados, b, true), VEIL_OK);
        kv_batch_free(b);
        if (i % 20 == 19)
            compare(&p);
    }
    compare(&p);
    kv_close(p.rocks);
    kv_close(p.rados);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p.dir);
    assert_int_equal(system(cmd), 0);
}

/* A lease is one holder's at a time, renewable, and free again once released. */
static void test_leases(void **state)
{
    (void)state;
    const char *cluster = getenv("VEIL_TEST_CEPH");
    if (!cluster || !*cluster)
        skip();
    char conf[300];
    snprintf(conf, sizeof conf, "%s/ceph.conf", cluster);
    char space[64]; /* a run of its own: an earlier run's leases may still hold */
    snprintf(space, sizeof space, "test-kv-leases-%d-%ld", (int)getpid(), (long)time(NULL));
    kv_rados_target t = {conf, "client.veil-keys", "veil-keys", space};
    kv *a, *b;
    assert_int_equal(kv_open_rados(&a, &t, false), VEIL_OK);
    assert_int_equal(kv_open_rados(&b, &t, false), VEIL_OK);
    assert_int_equal(kv_lease(a, "work", 30), VEIL_OK);
    assert_int_equal(kv_lease(a, "work", 30), VEIL_OK);
    assert_int_equal(kv_lease(b, "work", 30), VEIL_EBUSY);
    assert_int_equal(kv_lease(b, "other", 30), VEIL_OK);
    kv_lease_release(a, "work");
    assert_int_equal(kv_lease(b, "work", 1), VEIL_OK);
    sleep(2); /* b stops renewing: its lease runs out */
    assert_int_equal(kv_lease(a, "work", 30), VEIL_OK);
    kv_close(a);
    kv_close(b);
}

static void count_notice(void *user)
{
    __atomic_add_fetch((int *)user, 1, __ATOMIC_SEQ_CST);
}

static int notices_after(int *count, int want)
{
    for (int i = 0; i < 50 && __atomic_load_n(count, __ATOMIC_SEQ_CST) < want; i++)
        usleep(20000);
    return __atomic_load_n(count, __ATOMIC_SEQ_CST);
}

/* A notice reaches every handle watching that name, and none after unwatch. */
static void test_notices(void **state)
{
    (void)state;
    const char *cluster = getenv("VEIL_TEST_CEPH");
    if (!cluster || !*cluster)
        skip();
    char conf[300], space[64];
    snprintf(conf, sizeof conf, "%s/ceph.conf", cluster);
    snprintf(space, sizeof space, "test-kv-notices-%d", (int)getpid());
    kv_rados_target t = {conf, "client.veil-keys", "veil-keys", space};
    kv *a, *b, *c;
    assert_int_equal(kv_open_rados(&a, &t, false), VEIL_OK);
    assert_int_equal(kv_open_rados(&b, &t, false), VEIL_OK);
    assert_int_equal(kv_open_rados(&c, &t, false), VEIL_OK);
    int seen_a = 0, seen_b = 0;
    assert_int_equal(kv_watch(a, "keyring", count_notice, &seen_a), VEIL_OK);
    assert_int_equal(kv_watch(b, "other", count_notice, &seen_b), VEIL_OK);
    assert_int_equal(kv_notify(c, "keyring"), VEIL_OK);
    assert_int_equal(notices_after(&seen_a, 1), 1);
    assert_int_equal(seen_b, 0); /* another name */
    kv_unwatch(a);
    assert_int_equal(kv_notify(c, "keyring"), VEIL_OK);
    assert_int_equal(notices_after(&seen_a, 2), 1);
    kv_close(a);
    kv_close(b);
    kv_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rados_matches_rocksdb),
        cmocka_unit_test(test_leases),
        cmocka_unit_test(test_notices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
