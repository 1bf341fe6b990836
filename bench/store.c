/*
 * bench/store.c - what sealing costs, next to its baselines in the same run:
 *   write: sealed appends (zstd + AES-256-GCM + group commit, synced) from
 *          several writer threads vs raw synced RocksDB puts of the same
 *          bytes from as many threads, without compression or encryption;
 *   seal:  raw AES-256-GCM over the same bytes (the `openssl speed` figure);
 *   read:  streaming decrypt + decompress of one session per core;
 *   rewrap: data keys moved to a new master key per second;
 *   size:  stored bytes / masked bytes.
 * With --cluster SCRIPT (scripts/ceph-test-cluster.sh) it starts a
 * throwaway Ceph cluster and runs the same load on the RADOS backend:
 *   write: sealed appends vs raw librados aio write_full of the same bytes,
 *          as many in flight as there are writers;
 *   read, rewrap: as above, on RADOS.
 * usage: bench_store [--cluster SCRIPT] FIXTURE.json... (masked first, then
 * cut into chunks)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rocksdb/c.h>
#include <sodium.h>
#ifdef VEIL_WITH_RADOS
#include <rados/librados.h>
#endif

#include "../masker/masker.h"
#include "../store/internal.h"

#define CHUNK_BYTES (64u << 10)
#define WRITERS     8
#define WRITE_TOTAL ((size_t)192 << 20) /* bytes each write benchmark moves */
#define REWRAP_KEYS 20000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static veil_buf corpus; /* masked JSON of every fixture, concatenated */

static void load_corpus(int argc, char **argv, int first)
{
    masker_site *site = masker_site_new();
    for (int i = first; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        veil_buf in = {0};
        char tmp[65536];
        size_t n;
        while (f && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
            if (veil_buf_append(&in, tmp, n))
                exit(1);
        if (!f) {
            fprintf(stderr, "bench_store: cannot read %s\n", argv[i]);
            exit(1);
        }
        fclose(f);
        masker_session *s = masker_session_new(site, NULL);
        masker_result out;
        veil_error err;
        masker_findings fnd = {0};
        if (masker_session_mask(s, in.data, in.len, &out, &fnd, &err) ||
            veil_buf_append(&corpus, out.data, out.len))
            exit(1);
        masker_session_free(s);
        veil_buf_free(&in);
    }
    masker_site_free(site);
}

static const char *chunk_at(size_t i, size_t *len)
{
    size_t chunks = corpus.len / CHUNK_BYTES;
    size_t at = (i % (chunks ? chunks : 1)) * CHUNK_BYTES;
    *len = corpus.len - at < CHUNK_BYTES ? corpus.len - at : CHUNK_BYTES;
    return corpus.data + at;
}

typedef struct {
    char dir[128];
    store_options opt;
    char data[160], keys[160], ring[160], root[160];
    char conf[200];
    kv_rados_target data_pool, keys_pool;
} bench_store_dirs;

static void make_dirs(bench_store_dirs *d)
{
    snprintf(d->dir, sizeof d->dir, "%s/veil-bench-XXXXXX",
             getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp");
    if (!mkdtemp(d->dir))
        exit(1);
    snprintf(d->data, sizeof d->data, "%s/data", d->dir);
    snprintf(d->keys, sizeof d->keys, "%s/keys", d->dir);
    snprintf(d->ring, sizeof d->ring, "%s/keyring", d->dir);
    snprintf(d->root, sizeof d->root, "%s/root.key", d->dir);
    d->opt = (store_options){.data_dir = d->data,
                             .keys_dir = d->keys,
                             .keyring_path = d->ring,
                             .root_key_file = d->root,
                             .mode = STORE_READ_WRITE};
}

/* The same, with data and keys in the pools of the cluster in `cluster`. */
static void use_cluster(bench_store_dirs *d, const char *cluster)
{
    snprintf(d->conf, sizeof d->conf, "%s/ceph.conf", cluster);
    const char *space = strrchr(d->dir, '/') + 1;
    d->data_pool = (kv_rados_target){d->conf, "client.veil-data", "veil-data", space};
    d->keys_pool = (kv_rados_target){d->conf, "client.veil-keys", "veil-keys", space};
    d->opt.data_rados = &d->data_pool;
    d->opt.keys_rados = &d->keys_pool;
}

static void remove_dirs(const bench_store_dirs *d)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
    if (system(cmd))
        fprintf(stderr, "bench_store: cannot remove %s\n", d->dir);
}

/* ---- sealed writes --------------------------------------------------------- */

typedef struct {
    store *st;
    rocksdb_t *raw;
    int index;
    size_t bytes;
} writer_arg;

static void *sealed_writer(void *p)
{
    writer_arg *w = p;
    char id[32];
    snprintf(id, sizeof id, "bench-%d", w->index);
    store_session *ss;
    if (store_session_open(w->st, "bench", id, &ss))
        exit(1);
    for (uint32_t seq = 1; w->bytes < WRITE_TOTAL / WRITERS; seq++) {
        size_t len;
        const char *c = chunk_at(seq * WRITERS + (size_t)w->index, &len);
        if (store_session_append(ss, seq, c, len))
            exit(1);
        w->bytes += len;
    }
    store_session_close(ss);
    return NULL;
}

static void *raw_writer(void *p)
{
    writer_arg *w = p;
    rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(wo, 1);
    for (uint32_t seq = 1; w->bytes < WRITE_TOTAL / WRITERS; seq++) {
        size_t len;
        const char *c = chunk_at(seq * WRITERS + (size_t)w->index, &len);
        char key[32];
        int kl = snprintf(key, sizeof key, "c/bench-%d/%08u", w->index, seq);
        char *err = NULL;
        rocksdb_put(w->raw, wo, key, (size_t)kl, c, len, &err);
        if (err)
            exit(1);
        w->bytes += len;
    }
    rocksdb_writeoptions_destroy(wo);
    return NULL;
}

static double run_writers(void *(*fn)(void *), store *st, rocksdb_t *raw)
{
    pthread_t t[WRITERS];
    writer_arg args[WRITERS];
    double t0 = now_s();
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){st, raw, i, 0};
        pthread_create(&t[i], NULL, fn, &args[i]);
    }
    size_t bytes = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        bytes += args[i].bytes;
    }
    return (double)bytes / (now_s() - t0) / 1e6;
}

static double raw_rocksdb_mbs(void)
{
    bench_store_dirs d;
    make_dirs(&d);
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_set_compression(o, rocksdb_no_compression);
    char *err = NULL;
    rocksdb_t *db = rocksdb_open(o, d.data, &err);
    if (err)
        exit(1);
    double mbs = run_writers(raw_writer, NULL, db);
    rocksdb_close(db);
    rocksdb_options_destroy(o);
    remove_dirs(&d);
    return mbs;
}

/* ---- raw AES-GCM and reads ---------------------------------------------------- */

static double raw_gcm_mbs(void)
{
    uint8_t key[SEAL_KEY_BYTES] = {7};
    uint8_t *out = malloc(CHUNK_BYTES + SEAL_OVERHEAD);
    size_t bytes = 0;
    double t0 = now_s();
    for (size_t i = 0; bytes < ((size_t)512 << 20); i++) {
        size_t len;
        const char *c = chunk_at(i, &len);
        if (seal_encrypt(key, (const uint8_t *)"aad", 3, (const uint8_t *)c, len, out))
            exit(1);
        bytes += len;
    }
    double mbs = (double)bytes / (now_s() - t0) / 1e6;
    free(out);
    return mbs;
}

static int count_bytes(void *user, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    (void)json;
    *(size_t *)user += len;
    return 0;
}

static double read_mbs(store *st)
{
    size_t bytes = 0;
    double t0 = now_s();
    for (int i = 0; i < WRITERS; i++) {
        char id[32];
        snprintf(id, sizeof id, "bench-%d", i);
        if (store_session_read(st, id, count_bytes, &bytes))
            exit(1);
    }
    return (double)bytes / (now_s() - t0) / 1e6;
}

/* ---- rewrap ----------------------------------------------------------------- */

static double rewrap_keys_per_s(store *st, int keys)
{
    for (int i = 0; i < keys; i++) {
        char id[32];
        snprintf(id, sizeof id, "k%06d", i);
        store_session *ss;
        if (store_session_open(st, "bench", id, &ss))
            exit(1);
        store_session_close(ss);
    }
    uint32_t v;
    size_t done, remaining;
    if (store_key_rotate(st, &v))
        exit(1);
    double t0 = now_s();
    if (store_key_rewrap(st, SIZE_MAX, 1000, &done, &remaining) || remaining)
        exit(1);
    return (double)done / (now_s() - t0);
}

#ifdef VEIL_WITH_RADOS
/* ---- RADOS: raw aio writes, then the sealed store on the same cluster ------------- */

static double raw_rados_mbs(const char *cluster)
{
    char conf[200];
    snprintf(conf, sizeof conf, "%s/ceph.conf", cluster);
    rados_t c;
    rados_ioctx_t io;
    if (rados_create2(&c, "ceph", "client.veil-data", 0) < 0 || rados_conf_read_file(c, conf) < 0 ||
        rados_connect(c) < 0 || rados_ioctx_create(c, "veil-data", &io) < 0)
        exit(1);
    rados_ioctx_set_namespace(io, "bench-raw");
    rados_completion_t window[WRITERS] = {0};
    size_t bytes = 0;
    double t0 = now_s();
    for (size_t i = 0; bytes < WRITE_TOTAL; i++) {
        rados_completion_t *slot = &window[i % WRITERS];
        if (*slot) { /* keep WRITERS in flight: wait for the oldest */
            rados_aio_wait_for_complete(*slot);
            if (rados_aio_get_return_value(*slot) < 0)
                exit(1);
            rados_aio_release(*slot);
        }
        size_t len;
        const char *chunk = chunk_at(i, &len);
        char oid[48];
        snprintf(oid, sizeof oid, "raw.%zu", i);
        if (rados_aio_create_completion2(NULL, NULL, slot) < 0 ||
            rados_aio_write_full(io, oid, *slot, chunk, len) < 0)
            exit(1);
        bytes += len;
    }
    for (int i = 0; i < WRITERS; i++)
        if (window[i]) {
            rados_aio_wait_for_complete(window[i]);
            rados_aio_release(window[i]);
        }
    double mbs = (double)bytes / (now_s() - t0) / 1e6;
    rados_ioctx_destroy(io);
    rados_shutdown(c);
    return mbs;
}

static void bench_rados(const char *cluster)
{
    double raw = raw_rados_mbs(cluster);
    bench_store_dirs d;
    make_dirs(&d);
    use_cluster(&d, cluster);
    store *st;
    if (store_open(&st, &d.opt, NULL))
        exit(1);
    double sealed = run_writers(sealed_writer, st, NULL);
    printf("rados write sealed %8.1f MB/s   raw librados aio %8.1f MB/s   ratio %.2f  (%d in "
           "flight, memstore OSD)\n",
           sealed, raw, sealed / raw, WRITERS);
    printf("rados read  sealed %8.1f MB/s\n", read_mbs(st));
    printf("rados rewrap %.0f data keys/s (%d keys, batches of 1000)\n",
           rewrap_keys_per_s(st, REWRAP_KEYS / 10), REWRAP_KEYS / 10);
    store_close(st);
    remove_dirs(&d);
}

static void cluster_script(const char *script, const char *verb, const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s '%s'", script, verb, dir);
    if (system(cmd) && !strcmp(verb, "start")) {
        fprintf(stderr, "bench_store: the test cluster did not start\n");
        exit(1);
    }
}
#endif

int main(int argc, char **argv)
{
    const char *script = NULL;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--cluster")) {
        script = argv[2];
        first = 3;
    }
    if (argc <= first || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_store [--cluster SCRIPT] FIXTURE.json...\n");
        return 2;
    }
    load_corpus(argc, argv, first);
    printf("corpus: %.1f MB of masked JSON, %u KiB chunks, %d writer threads, synced writes\n",
           (double)corpus.len / 1e6, CHUNK_BYTES >> 10, WRITERS);

    double raw_put = raw_rocksdb_mbs();
    bench_store_dirs d;
    make_dirs(&d);
    store *st;
    if (store_open(&st, &d.opt, NULL))
        return 1;
    double sealed = run_writers(sealed_writer, st, NULL);
    store_stats stats;
    store_stats_get(st, &stats);
    printf("write   sealed %8.1f MB/s   raw RocksDB %8.1f MB/s   ratio %.2f  (%.1f appends per "
           "fsync)\n",
           sealed, raw_put, sealed / raw_put,
           (double)stats.records / 2 / (double)(stats.commits ? stats.commits : 1));
    double gcm = raw_gcm_mbs();
    double rd = read_mbs(st);
    printf("read    sealed %8.1f MB/s   raw AES-256-GCM seal %8.1f MB/s (one core)\n", rd, gcm);

    uint64_t plain = 0, stored = 0;
    for (int i = 0; i < WRITERS; i++) {
        char id[32];
        store_session_info info;
        snprintf(id, sizeof id, "bench-%d", i);
        if (store_session_lookup(st, id, &info) == VEIL_OK) {
            plain += info.plain_bytes;
            stored += info.stored_bytes;
        }
    }
    printf("size    stored / masked = %.3f\n", (double)stored / (double)plain);
    printf("rewrap  %.0f data keys/s (%d keys, batches of 1000, synced)\n",
           rewrap_keys_per_s(st, REWRAP_KEYS), REWRAP_KEYS);
    store_close(st);
    remove_dirs(&d);
    if (script) {
#ifdef VEIL_WITH_RADOS
        char cluster[64];
        snprintf(cluster, sizeof cluster, "/tmp/veil-bench-ceph-%d", (int)getpid());
        cluster_script(script, "start", cluster);
        bench_rados(cluster);
        cluster_script(script, "stop", cluster);
#else
        fprintf(stderr, "bench_store: built without librados: no RADOS figures\n");
#endif
    }
    veil_buf_free(&corpus);
    return 0;
}
