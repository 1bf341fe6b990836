/*
 * store_cmd.c - the commands over the store: import, export, sessions,
 * delete, keys, backup and store verify.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "../masker/masker.h"
#include "../store/store.h"
#include "cli.h"
#include "events.h"
#include "fsutil.h"

/* ---- shared ----------------------------------------------------------------- */

int cli_parse_store_flags(int argc, char **argv, const char *allowed, cli_store_flags *f)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"site", required_argument, NULL, 's'},
        {"session", required_argument, NULL, 'i'},
        {"format", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"deep", no_argument, NULL, 'd'},
        {0},
    };
    memset(f, 0, sizeof *f);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == '?' || (c != 'c' && !strchr(allowed, c))) {
            cli_error("unknown option '%s'; see 'veil %s --help'", argv[optind - 1], argv[0]);
            return -1;
        }
        switch (c) {
        case 'c':
            f->config_path = optarg;
            break;
        case 's':
            f->site = optarg;
            break;
        case 'i':
            f->session = optarg;
            break;
        case 'f':
            f->format = optarg;
            break;
        case 'j':
            f->json = true;
            break;
        case 'd':
            f->deep = true;
            break;
        }
    }
    return 0;
}

int cli_open_store(const veil_config *cfg, cli_store_access access, store **st, bool *writer)
{
    store_options o = {
        .data_dir = cfg->data_dir,
        .keys_dir = cfg->keys_dir,
        .keyring_path = cfg->keyring,
        .root_key_file = cfg->root_key_file[0] ? cfg->root_key_file : NULL,
        .root_passphrase_file = cfg->root_passphrase_file[0] ? cfg->root_passphrase_file : NULL,
        .mode = access == OPEN_READER ? STORE_READ_ONLY : STORE_READ_WRITE,
    };
    if (o.mode == STORE_READ_WRITE &&
        (veil_mkdirs(cfg->state_dir, 0700) || veil_mkdirs(cfg->data_dir, 0700) ||
         veil_mkdirs(cfg->keys_dir, 0700))) {
        cli_error("cannot create %s and %s; check permissions", cfg->data_dir, cfg->keys_dir);
        return -1;
    }
    const char *why = NULL;
    int rc = store_open(st, &o, &why);
    if (rc == VEIL_EBUSY && access == OPEN_EITHER) {
        o.mode = STORE_READ_ONLY;
        rc = store_open(st, &o, &why);
    }
    if (writer)
        *writer = o.mode == STORE_READ_WRITE;
    if (rc == VEIL_EBUSY)
        cli_error("the store is in use by a running 'veil serve'; stop it first, or use a "
                  "command that only reads (export, sessions, keys, backup)");
    else if (rc && why)
        cli_error("cannot open the store: %s (%s)", why, veil_strerror(rc));
    else if (rc)
        cli_error("cannot open the store: %s", veil_strerror(rc));
    return rc ? -1 : 0;
}

static void format_time(uint64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- import ----------------------------------------------------------------- */

#define IMPORT_BATCH_BYTES (256u << 10)

typedef struct {
    masker_session *masker;
    store_session *session;
    veil_buf batch; /* "[e1,e2,...": unmasked until masked in place */
    size_t events;
    uint32_t seq;
    masker_findings findings;
    uint64_t masked_bytes;
    const char *file;
} import_ctx;

static int flush_batch(import_ctx *ic)
{
    if (ic->batch.len == 0)
        return 0;
    if (veil_buf_append(&ic->batch, "]", 1))
        return VEIL_ENOMEM;
    masker_result out;
    masker_error err;
    int rc =
        masker_session_mask(ic->masker, ic->batch.data, ic->batch.len, &out, &ic->findings, &err);
    if (rc) {
        cli_error("%s: %s in batch %u: %s", ic->file, veil_strerror(rc), ic->seq + 1,
                  err.what ? err.what : "error");
        return rc;
    }
    rc = store_session_append(ic->session, ++ic->seq, out.data, out.len);
    if (rc) {
        cli_error("%s: cannot store batch %u: %s; the batches before it are stored (veil delete "
                  "the session to drop them)",
                  ic->file, ic->seq, veil_strerror(rc));
        return rc;
    }
    ic->masked_bytes += out.len;
    veil_buf_reset(&ic->batch);
    return 0;
}

static int add_event(import_ctx *ic, const char *event, size_t len)
{
    if (ic->batch.len + len + 2 > IMPORT_BATCH_BYTES && flush_batch(ic))
        return -1;
    if (veil_buf_append(&ic->batch, ic->batch.len ? "," : "[", 1) ||
        veil_buf_append(&ic->batch, event, len)) {
        cli_error("%s: out of memory", ic->file);
        return -1;
    }
    ic->events++;
    return 0;
}

/*
 * The whole file is split into events, and so checked, before anything is
 * stored. The recording's start is the first event's "timestamp" (ms) that
 * there is, else now.
 */
typedef struct {
    size_t *offset, *len;
    size_t n, cap;
    uint64_t created_ms;
} event_spans;

static int note_event(void *user, const char *event, size_t len, size_t offset)
{
    event_spans *es = user;
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 1024;
        size_t *o = realloc(es->offset, cap * sizeof *o);
        if (o)
            es->offset = o;
        size_t *l = o ? realloc(es->len, cap * sizeof *l) : NULL;
        if (!l)
            return VEIL_ENOMEM;
        es->len = l;
        es->cap = cap;
    }
    es->offset[es->n] = offset;
    es->len[es->n++] = len;
    if (!es->created_ms) {
        json_t *v = json_loadb(event, len, 0, NULL);
        json_t *ts = json_object_get(v, "timestamp");
        if (json_is_integer(ts) && json_integer_value(ts) > 0)
            es->created_ms = (uint64_t)json_integer_value(ts);
        json_decref(v);
    }
    return 0;
}

static void random_session_id(char *out)
{
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    strcpy(out, "s-");
    sodium_bin2hex(out + 2, 17, raw, sizeof raw);
}

static int import_file(store *st, const veil_site_config *site, const char *path,
                       const char *session_id)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    veil_buf in = {0};
    if (!f || veil_read_all(f, &in)) {
        cli_error("cannot read %s", path);
        if (f && f != stdin)
            fclose(f);
        return -1;
    }
    if (f != stdin)
        fclose(f);
    char id[32];
    if (!session_id) {
        random_session_id(id);
        session_id = id;
    }
    bool is_array;
    size_t off = 0;
    const char *what;
    event_spans es = {0};
    import_ctx ic = {.file = path};
    int rc = events_each(in.data, in.len, &is_array, note_event, &es, &off, &what);
    if (rc < 0)
        cli_error("%s: %s at byte %zu; nothing was imported", path, what, off);
    else if (rc)
        cli_error("%s: out of memory", path);
    if (!rc && (rc = store_session_open(st, site->name, session_id, es.created_ms, &ic.session)))
        cli_error("%s: cannot create session %s: %s", path, session_id,
                  rc == VEIL_EINVAL ? "the id belongs to another site" : veil_strerror(rc));
    if (!rc) {
        ic.seq = store_session_last_seq(ic.session);
        ic.masker = masker_session_new(site->policy, NULL);
        rc = ic.masker ? VEIL_OK : VEIL_ENOMEM;
    }
    for (size_t i = 0; !rc && i < es.n; i++)
        rc = add_event(&ic, in.data + es.offset[i], es.len[i]);
    if (!rc)
        rc = flush_batch(&ic);
    if (!rc) {
        printf("%s\t%s\t%zu events\t%" PRIu64 " bytes masked\tcards %" PRIu64
               " (outside card fields %" PRIu64 ")\tfields %" PRIu64 "\n",
               session_id, path, ic.events, ic.masked_bytes,
               ic.findings.count[MASKER_CARD_IN_FIELD] + ic.findings.count[MASKER_CARD_ELSEWHERE],
               ic.findings.count[MASKER_CARD_ELSEWHERE], ic.findings.count[MASKER_FIELD]);
    }
    masker_session_free(ic.masker);
    store_session_close(ic.session);
    veil_buf_free(&ic.batch);
    veil_buf_free(&in);
    free(es.offset);
    free(es.len);
    return rc ? -1 : 0;
}

int cmd_import(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "si", &fl))
        return EXIT_USAGE;
    if (optind >= argc) {
        cli_error("name at least one FILE to import (or - for stdin)");
        return EXIT_USAGE;
    }
    if (fl.session && (argc - optind != 1 || !store_valid_id(fl.session))) {
        cli_error("--session takes one id of 1-64 characters [A-Za-z0-9._-], with one FILE");
        return EXIT_USAGE;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, fl.config_path))
        return EXIT_FAIL;
    const veil_site_config *site = fl.site ? veil_config_site(&cfg, fl.site) : &cfg.sites[0];
    store *st = NULL;
    int rc = EXIT_FAIL;
    if (!site)
        cli_error("no site named '%s' in the configuration; add a [site %s] section", fl.site,
                  fl.site);
    else if (!store_valid_id(site->name))
        cli_error("site name '%s' must be 1-64 characters [A-Za-z0-9._-]", site->name);
    else if (!cli_open_store(&cfg, OPEN_WRITER, &st, NULL)) {
        rc = EXIT_OK;
        for (int i = optind; i < argc; i++)
            if (import_file(st, site, argv[i], fl.session))
                rc = EXIT_FAIL;
    }
    store_close(st);
    veil_config_free(&cfg);
    return rc;
}

/* ---- export ----------------------------------------------------------------- */

typedef struct {
    bool jsonl;
    bool wrote_event;
    uint32_t chunks;
} export_ctx;

static int print_line(void *user, const char *event, size_t len, size_t offset)
{
    (void)user;
    (void)offset;
    return fwrite(event, 1, len, stdout) == len && putchar('\n') != EOF ? 0 : VEIL_EIO;
}

/* Each chunk is one masked JSON array; the export joins their events. */
static int export_chunk(void *user, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    export_ctx *ec = user;
    ec->chunks++;
    if (ec->jsonl) {
        bool is_array;
        size_t off;
        const char *what;
        return events_each(json, len, &is_array, print_line, NULL, &off, &what) ? VEIL_ECORRUPT : 0;
    }
    const char *open = memchr(json, '[', len), *close = json + len;
    while (close > json && close[-1] != ']')
        close--;
    if (!open || close <= open + 1)
        return VEIL_ECORRUPT;
    const char *body = open + 1, *end = close - 1;
    while (body < end && strchr(" \t\r\n", *body))
        body++;
    if (body == end)
        return 0;
    if (putchar(ec->wrote_event ? ',' : '[') == EOF)
        return VEIL_EIO;
    ec->wrote_event = true;
    return fwrite(body, 1, (size_t)(end - body), stdout) == (size_t)(end - body) ? 0 : VEIL_EIO;
}

int cmd_export(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "f", &fl))
        return EXIT_USAGE;
    if (argc - optind != 1) {
        cli_error("name one SESSION to export; 'veil sessions' lists them");
        return EXIT_USAGE;
    }
    if (fl.format && strcmp(fl.format, "array") && strcmp(fl.format, "jsonl")) {
        cli_error("--format: expected array or jsonl");
        return EXIT_USAGE;
    }
    const char *id = argv[optind];
    veil_config cfg;
    if (cli_load_config(&cfg, fl.config_path))
        return EXIT_FAIL;
    store *st = NULL;
    int rc = EXIT_FAIL;
    if (!cli_open_store(&cfg, OPEN_READER, &st, NULL)) {
        export_ctx ec = {.jsonl = fl.format && !strcmp(fl.format, "jsonl")};
        int err = store_read_session(st, id, export_chunk, &ec);
        if (!err && !ec.jsonl)
            fputs(ec.wrote_event ? "]\n" : "[]\n", stdout);
        if (fflush(stdout))
            err = VEIL_EIO;
        if (err == VEIL_ENOTFOUND)
            cli_error("no session '%s'; 'veil sessions' lists them", id);
        else if (err == VEIL_ESHREDDED)
            cli_error("session %s was deleted: its data key is shredded", id);
        else if (err == VEIL_ENOKEY)
            cli_error("session %s: its data key is not in the keys database (restored from an "
                      "older keys backup?) or its master key is retired; nothing can be read",
                      id);
        else if (err)
            cli_error("session %s: %s after %u good chunks; the export is incomplete", id,
                      veil_strerror(err), ec.chunks);
        rc = err ? EXIT_FAIL : EXIT_OK;
    }
    store_close(st);
    veil_config_free(&cfg);
    return rc;
}

/* ---- sessions and delete ----------------------------------------------------- */

static int print_session(void *user, const store_session_info *s)
{
    json_t *list = user;
    char created[32];
    format_time(s->created_ms, created, sizeof created);
    const char *key = s->damaged       ? "damaged"
                      : s->key_missing ? "missing"
                      : s->key_version ? NULL
                                       : "shredded";
    if (list) {
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "session", s->session_id, "site", s->site,
            "created", created, "chunks", (json_int_t)s->chunks, "last_seq",
            (json_int_t)s->last_seq, "masked_bytes", (json_int_t)s->plain_bytes, "stored_bytes",
            (json_int_t)s->stored_bytes, "key_version", (json_int_t)s->key_version);
        if (key)
            json_object_set_new(o, "key_problem", json_string(key));
        return json_array_append_new(list, o) ? VEIL_ENOMEM : 0;
    }
    char kv[16];
    snprintf(kv, sizeof kv, "v%u", s->key_version);
    printf("%-24s %-16s %-20s %7u %12" PRIu64 " %12" PRIu64 "  %s\n", s->session_id, s->site,
           created, s->chunks, s->plain_bytes, s->stored_bytes, key ? key : kv);
    return 0;
}

int cmd_sessions(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "sj", &fl))
        return EXIT_USAGE;
    if (optind < argc) {
        cli_error("unexpected argument '%s'; see 'veil sessions --help'", argv[optind]);
        return EXIT_USAGE;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, fl.config_path))
        return EXIT_FAIL;
    store *st = NULL;
    int rc = EXIT_FAIL;
    if (!cli_open_store(&cfg, OPEN_READER, &st, NULL)) {
        json_t *list = fl.json ? json_array() : NULL;
        if (!list)
            printf("%-24s %-16s %-20s %7s %12s %12s  %s\n", "SESSION", "SITE", "CREATED", "CHUNKS",
                   "MASKED", "STORED", "KEY");
        int err = store_list_sessions(st, fl.site, print_session, list);
        if (list && !err && json_dumpf(list, stdout, JSON_INDENT(2)) == 0)
            putchar('\n');
        json_decref(list);
        if (err)
            cli_error("cannot list sessions: %s", veil_strerror(err));
        rc = err ? EXIT_FAIL : EXIT_OK;
    }
    store_close(st);
    veil_config_free(&cfg);
    return rc;
}

int cmd_delete(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "", &fl))
        return EXIT_USAGE;
    if (optind >= argc) {
        cli_error("name at least one SESSION to delete");
        return EXIT_USAGE;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, fl.config_path))
        return EXIT_FAIL;
    store *st = NULL;
    int rc = EXIT_FAIL;
    if (!cli_open_store(&cfg, OPEN_WRITER, &st, NULL)) {
        rc = EXIT_OK;
        for (int i = optind; i < argc; i++) {
            int err = store_delete_session(st, argv[i]);
            if (err) {
                cli_error("%s: %s", argv[i],
                          err == VEIL_ENOTFOUND ? "no such session" : veil_strerror(err));
                rc = EXIT_FAIL;
            } else {
                printf("deleted %s (data key shredded)\n", argv[i]);
            }
        }
        if (store_compact_keys(st))
            cli_error("deleted, but compacting the keys database failed; run again later");
    }
    store_close(st);
    veil_config_free(&cfg);
    return rc;
}
