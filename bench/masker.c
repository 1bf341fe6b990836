/*
 * bench/masker.c - masker throughput against two baselines in the same run:
 * memcpy over the same bytes (the ceiling) and Hyperscan block-mode scanning
 * the same bytes for the card, IP and email patterns (the regex engine a
 * user would pick instead; it only finds candidates: no JSON, no Luhn, no
 * rewriting, so it is a generous baseline). Where libsimdjson-dev is
 * installed, also simdjson parsing the same bytes, alone and with a visit of
 * every value (json_parse.h): the floor of any masker that reads the whole
 * document, which policy by element needs.
 *
 * usage: bench_masker [FIXTURE.json ...]   (also runs a generated session of
 * 100,000 small incremental events, masked in batches of 50)
 *
 * Figures are medians over rounds of 400 MB per corpus; ratios are
 * median(baseline) / median(masker).
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../masker/masker.h"
#include "bench.h"
#if defined(VEIL_BENCH_SIMDJSON)
#include "json_parse.h"
#else
#define JSON_PARSE_PADDING 1
#endif

typedef struct {
    char **batch;
    size_t *len;
    size_t n;
    size_t bytes;
} corpus;

static void corpus_add(corpus *c, const char *data, size_t len)
{
    c->batch = realloc(c->batch, (c->n + 1) * sizeof *c->batch);
    c->len = realloc(c->len, (c->n + 1) * sizeof *c->len);
    c->batch[c->n] = calloc(1, len + JSON_PARSE_PADDING); /* NUL-terminated, padded */
    memcpy(c->batch[c->n], data, len);
    c->len[c->n++] = len;
    c->bytes += len;
}

static int load_file(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return VEIL_EIO;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    corpus_add(c, buf, got);
    free(buf);
    return VEIL_OK;
}

/* 100,000 events: mouse moves, scrolls, keystrokes and text changes, 50 a batch. */
static void generate_session(corpus *c)
{
    static const char snapshot[] =
        "[{\"type\":2,\"data\":{\"node\":{\"type\":0,\"id\":1,\"childNodes\":[{\"type\":2,"
        "\"tagName\":\"input\",\"attributes\":{\"name\":\"q\"},\"id\":2,\"childNodes\":[]},"
        "{\"type\":2,\"tagName\":\"p\",\"attributes\":{},\"id\":3,\"childNodes\":[{\"type\":3,"
        "\"id\":4,\"textContent\":\"hello\"}]}]}},\"timestamp\":1795338053550}]";
    corpus_add(c, snapshot, sizeof snapshot - 1);
    char *buf = malloc(1 << 16);
    long ts = 1795338053551;
    for (int b = 0; b < 2000; b++) {
        size_t n = 0;
        buf[n++] = '[';
        for (int e = 0; e < 50; e++, ts += 16) {
            int k = (b * 50 + e) % 4;
            if (e)
                buf[n++] = ',';
            if (k == 0)
                n += (size_t)sprintf(buf + n,
                                     "{\"type\":3,\"data\":{\"source\":1,\"positions\":[{\"x\":%d,"
                                     "\"y\":%d,\"id\":3,\"timeOffset\":-12}]},\"timestamp\":%ld}",
                                     e * 7, b % 700, ts);
            else if (k == 1)
                n +=
                    (size_t)sprintf(buf + n,
                                    "{\"type\":3,\"data\":{\"source\":3,\"id\":1,\"x\":0,\"y\":%d},"
                                    "\"timestamp\":%ld}",
                                    b * 3, ts);
            else if (k == 2)
                n += (size_t)sprintf(buf + n,
                                     "{\"type\":3,\"data\":{\"source\":5,\"text\":\"order %d\","
                                     "\"isChecked\":false,\"id\":2},\"timestamp\":%ld}",
                                     b, ts);
            else
                n += (size_t)sprintf(buf + n,
                                     "{\"type\":3,\"data\":{\"source\":0,\"texts\":[{\"id\":4,"
                                     "\"value\":\"Total $%d.99 on 2026-11-%02d\"}],"
                                     "\"attributes\":[],\"removes\":[],\"adds\":[]},"
                                     "\"timestamp\":%ld}",
                                     b % 500, e % 28 + 1, ts);
        }
        buf[n++] = ']';
        corpus_add(c, buf, n);
    }
    free(buf);
}

static const char *const PATTERNS[] = {
    "\\d(?:[ \\-]?\\d){11,18}",                                   /* card number candidates */
    "(?:\\d{1,3}\\.){3}\\d{1,3}",                                 /* IPv4 */
    "[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}",                 /* IPv6 */
    "[A-Za-z0-9._%+\\-]+@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)+", /* email */
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    ++*(size_t *)ctx;
    return 0;
}

/* One session for the whole run, as ingest keeps one per connection. */
static double run_masker(const corpus *c, masker_session *s, char **work)
{
    double spent = 0;
    for (size_t i = 0; i < c->n; i++) {
        memcpy(work[i], c->batch[i], c->len[i] + 1);
        masker_result out;
        veil_error err;
        masker_findings f = {0};
        double t0 = bench_now();
        int rc = masker_session_mask(s, work[i], c->len[i], &out, &f, &err);
        spent += bench_now() - t0;
        if (rc) {
            fprintf(stderr, "bench: masking failed: %s\n", veil_strerror(rc));
            exit(1);
        }
    }
    return spent;
}

#if defined(VEIL_BENCH_SIMDJSON)
/* One round of simdjson over the corpus, each batch parsed (and visited). */
static double run_parser(const corpus *c, json_parser *p, bool visit)
{
    double t0 = bench_now();
    for (size_t i = 0; i < c->n; i++)
        if (!json_parser_run(p, c->batch[i], c->len[i], visit)) {
            fprintf(stderr, "bench: simdjson cannot parse batch %zu\n", i);
            exit(1);
        }
    return bench_now() - t0;
}

/* The medians of simdjson's rounds, parse alone and with its visit (sorts
 * both), printed after the masker's line. */
static void report_parser(const corpus *c, double mask, double *t_parse, double *t_visit,
                          int rounds)
{
    double parse = bench_median(t_parse, rounds), visit = bench_median(t_visit, rounds);
    double mb = (double)c->bytes / 1e6;
    printf("%-24s %8s simdjson (%s) parse %7.0f MB/s | parse+visit %7.0f MB/s | "
           "masker/parse %5.2fx | masker/parse+visit %5.2fx\n",
           "", "", json_parser_kernel(), mb / parse, mb / visit, parse / mask, visit / mask);
}
#endif

/*
 * Rounds alternate the contenders over the whole corpus, so drift on the
 * machine hits all of them alike; each is timed per round and the medians
 * are compared.
 */
static void bench(const char *name, const corpus *c, masker_site *site, hs_database_t *db,
                  hs_scratch_t *scratch)
{
    char **work = malloc(c->n * sizeof *work);
    for (size_t i = 0; i < c->n; i++)
        work[i] = malloc(c->len[i] + 1);
    int rounds = (int)(400e6 / (double)c->bytes) + 1;
    double *t_mask = malloc(5 * (size_t)rounds * sizeof *t_mask);
    double *t_copy = t_mask + rounds, *t_hs = t_copy + rounds;
    size_t hits = 0;
    masker_session *s = masker_session_new(site, NULL);
#if defined(VEIL_BENCH_SIMDJSON)
    double *t_parse = t_hs + rounds, *t_visit = t_parse + rounds;
    json_parser *parser = json_parser_new();
    if (!parser) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
#endif
    for (int r = 0; r < rounds; r++) {
        t_mask[r] = run_masker(c, s, work);
        double t0 = bench_now();
        for (size_t i = 0; i < c->n; i++)
            memcpy(work[i], c->batch[i], c->len[i]);
        t_copy[r] = bench_now() - t0;
        t0 = bench_now();
        for (size_t i = 0; i < c->n; i++)
            hs_scan(db, c->batch[i], (unsigned)c->len[i], 0, scratch, on_match, &hits);
        t_hs[r] = bench_now() - t0;
#if defined(VEIL_BENCH_SIMDJSON)
        t_parse[r] = run_parser(c, parser, false);
        t_visit[r] = run_parser(c, parser, true);
#endif
    }
    double mask = bench_median(t_mask, rounds), copy = bench_median(t_copy, rounds);
    double hs = bench_median(t_hs, rounds), mb = (double)c->bytes / 1e6;
    printf("%-24s %8.2f MB %6zu batches | masker %7.0f MB/s | memcpy %7.0f MB/s | hyperscan "
           "%7.0f MB/s | masker/hyperscan %5.2fx | masker/memcpy %5.3f\n",
           name, mb, c->n, mb / mask, mb / copy, mb / hs, hs / mask, copy / mask);
#if defined(VEIL_BENCH_SIMDJSON)
    report_parser(c, mask, t_parse, t_visit, rounds);
    json_parser_free(parser);
#endif
    masker_session_free(s);
    free(t_mask);
    for (size_t i = 0; i < c->n; i++)
        free(work[i]);
    free(work);
}

int main(int argc, char **argv)
{
    unsigned ids[] = {0, 1, 2, 3};
    unsigned flags[] = {0, 0, 0, 0};
    hs_database_t *db;
    hs_compile_error_t *cerr;
    if (hs_compile_multi(PATTERNS, flags, ids, 4, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS) {
        fprintf(stderr, "bench: hyperscan: %s\n", cerr->message);
        return 1;
    }
    hs_scratch_t *scratch = NULL;
    hs_alloc_scratch(db, &scratch);
    masker_site *site = masker_site_new();
    for (int i = 1; i < argc; i++) {
        corpus c = {0};
        if (load_file(&c, argv[i])) {
            fprintf(stderr, "bench: cannot read %s\n", argv[i]);
            return 1;
        }
        const char *base = strrchr(argv[i], '/');
        bench(base ? base + 1 : argv[i], &c, site, db, scratch);
    }
    corpus gen = {0};
    generate_session(&gen);
    bench("generated-100k-events", &gen, site, db, scratch);
    masker_site_free(site);
    hs_free_scratch(scratch);
    hs_free_database(db);
    return 0;
}
