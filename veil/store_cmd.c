/*
 * store_cmd.c - the commands over recorded sessions: import, export,
 * sessions and delete. (Keys, backups and verification: keys_cmd.c.)
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../masker/masker.h"
#include "../store/store.h"
#include "cli.h"
#include "events.h"
#include "import.h"

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
        return VEIL_OK;
    int rc = veil_buf_append(&ic->batch, "]", 1);
    if (rc)
        return rc;
    masker_result out;
    veil_error err = {0};
    rc = masker_session_mask(ic->masker, ic->batch.data, ic->batch.len, &out, &ic->findings, &err);
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
    return VEIL_OK;
}

static int add_event(import_ctx *ic, const char *event, size_t len)
{
    int rc = VEIL_OK;
    if (ic->batch.len + len + 2 > IMPORT_BATCH_BYTES && (rc = flush_batch(ic)))
        return rc;
    if ((rc = veil_buf_append(&ic->batch, ic->batch.len ? "," : "[", 1)) ||
        (rc = veil_buf_append(&ic->batch, event, len))) {
        cli_error("%s: out of memory", ic->file);
        return rc;
    }
    ic->events++;
    return VEIL_OK;
}

static int note_event(void *user, const char *event, size_t len, size_t offset)
{
    import_spans *es = user;
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
    (void)event;
    es->offset[es->n] = offset;
    es->len[es->n++] = len;
    return VEIL_OK;
}

static void random_session_id(char *out)
{
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    strcpy(out, "s-");
    sodium_bin2hex(out + 2, 17, raw, sizeof raw);
}

/* The session's time is when it is stored: the store takes it from the
 * server's clock, not from the recording. */
int import_read_events(const char *path, veil_buf *in, import_spans *es)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    int rc = f ? veil_read_stream(f, in, 0) : VEIL_ENOTFOUND;
    if (f && f != stdin)
        fclose(f);
    if (rc) {
        cli_error("cannot read %s: %s", path, veil_strerror(rc));
        return rc;
    }
    bool is_array;
    veil_error err = {0};
    rc = events_each(in->data, in->len, &is_array, note_event, es, &err);
    if (rc == VEIL_EJSON)
        cli_error("%s: %s at byte %zu; nothing was imported", path, err.what, err.offset);
    else if (rc)
        cli_error("%s: %s", path, veil_strerror(rc));
    return rc;
}

static void print_imported(const import_ctx *ic, const char *session_id)
{
    const uint64_t *count = ic->findings.count;
    printf("%s\t%s\t%zu events\t%" PRIu64 " bytes masked\tcards %" PRIu64
           " (outside card fields %" PRIu64 ")\tfields %" PRIu64 "\n",
           session_id, ic->file, ic->events, ic->masked_bytes,
           count[MASKER_CARD_IN_FIELD] + count[MASKER_CARD_ELSEWHERE], count[MASKER_CARD_ELSEWHERE],
           count[MASKER_FIELD]);
}

static int import_file(store *st, const veil_site_config *site, const char *path,
                       const char *session_id)
{
    veil_buf in = {0};
    import_spans es = {0};
    import_ctx ic = {.file = path};
    char id[32];
    if (!session_id) {
        random_session_id(id);
        session_id = id;
    }
    int rc = import_read_events(path, &in, &es);
    if (rc)
        goto out;
    if ((rc = store_session_open(st, site->name, session_id, &ic.session))) {
        cli_error("%s: cannot create session %s: %s", path, session_id,
                  rc == VEIL_EINVAL ? "the id belongs to another site" : veil_strerror(rc));
        goto out;
    }
    ic.seq = store_session_last_seq(ic.session);
    if (!(ic.masker = masker_session_new(site->policy, NULL))) {
        rc = VEIL_ENOMEM;
        cli_error("%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; !rc && i < es.n; i++)
        rc = add_event(&ic, in.data + es.offset[i], es.len[i]);
    if (!rc && !(rc = flush_batch(&ic))) {
        store_session_stats counts = {.events = ic.findings.events, .pages = ic.findings.pages};
        for (int k = 0; k < MASKER_FINDING_COUNT; k++)
            counts.masks[k] = ic.findings.count[k];
        if (store_session_count(ic.session, &counts))
            cli_error("%s: stored, but its counts for the console could not be written", path);
        print_imported(&ic, session_id);
    }
out:
    masker_session_free(ic.masker);
    store_session_close(ic.session);
    veil_buf_free(&ic.batch);
    veil_buf_free(&in);
    free(es.offset);
    free(es.len);
    return rc;
}

typedef struct {
    const char *site;
    const char *session;
    char **files;
    int n_files;
} import_args;

static int run_import(const cli_store_job *job, void *arg)
{
    const import_args *a = arg;
    const veil_site_config *site = cli_site(job->cfg, a->site);
    if (!site)
        return EXIT_FAIL;
    if (!store_valid_id(site->name)) {
        cli_error("site name '%s' must be 1-64 characters [A-Za-z0-9._-]", site->name);
        return EXIT_FAIL;
    }
    if (!job->writer && a->session) {
        cli_error("a running 'veil serve' holds the store: it names new sessions itself, so "
                  "--session needs the server stopped");
        return EXIT_FAIL;
    }
    int status = EXIT_OK;
    for (int i = 0; i < a->n_files; i++)
        if (job->writer ? import_file(job->st, site, a->files[i], a->session)
                        : import_via_server(job->cfg, site, a->files[i]))
            status = EXIT_FAIL;
    return status;
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
    import_args a = {fl.site, fl.session, argv + optind, argc - optind};
    /* read-only when a server holds the store: then through that server */
    return cli_run_with_store(fl.config_path, OPEN_EITHER, run_import, &a);
}

/* ---- export ----------------------------------------------------------------- */

typedef struct {
    const char *session;
    bool jsonl;
    bool wrote_event;
    uint32_t chunks;
} export_ctx;

static int print_event(void *user, const char *event, size_t len, size_t offset)
{
    (void)offset;
    export_ctx *ec = user;
    if (!ec->jsonl && putchar(ec->wrote_event ? ',' : '[') == EOF)
        return VEIL_EIO;
    ec->wrote_event = true;
    if (fwrite(event, 1, len, stdout) != len || (ec->jsonl && putchar('\n') == EOF))
        return VEIL_EIO;
    return VEIL_OK;
}

/* Each chunk is a masked array of events, or a batch as ingest stored it;
 * the export joins their events. */
static int export_chunk(void *user, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    export_ctx *ec = user;
    ec->chunks++;
    bool is_array;
    int rc = events_each(json, len, &is_array, print_event, ec, NULL);
    return rc == VEIL_EJSON ? VEIL_ECORRUPT : rc;
}

/* "Key not available" has three causes; says which, naming the version. */
static void explain_missing_key(store *st, const char *id)
{
    store_session_info info;
    store_key_info keys[64];
    size_t n = 0;
    if (store_session_lookup(st, id, &info) || info.key_missing || !info.key_version) {
        cli_error("session %s: its data key is not in the keys database (restored from a keys "
                  "backup older than the data?); nothing can be read",
                  id);
        return;
    }
    bool known = false, retired = false;
    if (!store_key_status(st, keys, sizeof keys / sizeof keys[0], &n))
        for (size_t i = 0; i < n && i < sizeof keys / sizeof keys[0]; i++)
            if (keys[i].version == info.key_version)
                known = true, retired = keys[i].retired;
    if (retired)
        cli_error("session %s: its data key is wrapped by master key version %u, which this "
                  "keyring has retired; only a keyring copy from before the retire opens it",
                  id, info.key_version);
    else
        cli_error("session %s: its data key is wrapped by master key version %u, which this "
                  "keyring does not hold%s: put back the keyring that goes with the keys "
                  "database ('veil backup restore keys DIR --with-keyring')",
                  id, info.key_version, known ? "" : " (it is older than the keys database)");
}

static void explain_read_failure(store *st, int err, const char *id, uint32_t good_chunks)
{
    if (err == VEIL_ENOTFOUND)
        cli_error("no session '%s'; 'veil sessions' lists them", id);
    else if (err == VEIL_ESHREDDED)
        cli_error("session %s was deleted: its data key is shredded", id);
    else if (err == VEIL_ENOKEY)
        explain_missing_key(st, id);
    else
        cli_error("session %s: %s after %u good chunks; the export is incomplete", id,
                  veil_strerror(err), good_chunks);
}

static int run_export(const cli_store_job *job, void *arg)
{
    export_ctx *ec = arg;
    int err = store_session_read(job->st, ec->session, export_chunk, ec);
    if (!err && !ec->jsonl && fputs(ec->wrote_event ? "]\n" : "[]\n", stdout) == EOF)
        err = VEIL_EIO;
    if (fflush(stdout) && !err)
        err = VEIL_EIO;
    if (err)
        explain_read_failure(job->st, err, ec->session, ec->chunks);
    return err ? EXIT_FAIL : EXIT_OK;
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
    export_ctx ec = {.session = argv[optind], .jsonl = fl.format && !strcmp(fl.format, "jsonl")};
    return cli_run_with_store(fl.config_path, OPEN_READER, run_export, &ec);
}

/* ---- sessions --------------------------------------------------------------- */

/* What is wrong with a session's key, or NULL when nothing is. */
static const char *key_problem(const store_session_info *s)
{
    return s->damaged ? "damaged" : s->key_missing ? "missing" : s->key_version ? NULL : "shredded";
}

static int list_json(void *user, const store_session_info *s)
{
    char created[VEIL_TIME_TEXT];
    veil_time_text(s->created_ms, created);
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "session", s->session_id, "site",
                          s->site, "created", created, "chunks", (json_int_t)s->chunks, "last_seq",
                          (json_int_t)s->last_seq, "masked_bytes", (json_int_t)s->plain_bytes,
                          "stored_bytes", (json_int_t)s->stored_bytes, "key_version",
                          (json_int_t)s->key_version);
    const char *problem = key_problem(s);
    if (o && problem)
        json_object_set_new(o, "key_problem", json_string(problem));
    return o && !json_array_append_new(user, o) ? VEIL_OK : VEIL_ENOMEM;
}

static int list_text(void *user, const store_session_info *s)
{
    (void)user;
    char created[VEIL_TIME_TEXT], version[16];
    veil_time_text(s->created_ms, created);
    snprintf(version, sizeof version, "v%u", s->key_version);
    const char *problem = key_problem(s);
    printf("%-32s %-16s %-20s %7u %12" PRIu64 " %12" PRIu64 "  %s\n", s->session_id, s->site,
           created, s->chunks, s->plain_bytes, s->stored_bytes, problem ? problem : version);
    return VEIL_OK;
}

static int run_sessions(const cli_store_job *job, void *arg)
{
    const cli_store_flags *fl = arg;
    json_t *list = fl->json ? json_array() : NULL;
    if (!list)
        printf("%-32s %-16s %-20s %7s %12s %12s  %s\n", "SESSION", "SITE", "CREATED", "CHUNKS",
               "MASKED", "STORED", "KEY");
    int err = store_session_list(job->st, fl->site, list ? list_json : list_text, list);
    if (list && !err && json_dumpf(list, stdout, JSON_INDENT(2)) == 0)
        putchar('\n');
    json_decref(list);
    if (err)
        cli_error("cannot list sessions: %s", veil_strerror(err));
    return err ? EXIT_FAIL : EXIT_OK;
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
    return cli_run_with_store(fl.config_path, OPEN_READER, run_sessions, &fl);
}

/* ---- delete ----------------------------------------------------------------- */

typedef struct {
    char **ids;
    int n;
} delete_args;

static int no_chunk(void *user, uint32_t seq, const char *json, size_t len)
{
    (void)user, (void)seq, (void)json, (void)len;
    return VEIL_ECORRUPT; /* a deleted session must not yield one */
}

/* Deletes, compacts `keys` so the data keys leave its files, then reads each
 * session again: only "shredded" counts as gone. */
static int run_delete(const cli_store_job *job, void *arg)
{
    const delete_args *a = arg;
    int status = EXIT_OK;
    for (int i = 0; i < a->n; i++) {
        int err = store_session_delete(job->st, a->ids[i]);
        if (err) {
            cli_error("%s: %s", a->ids[i],
                      err == VEIL_ENOTFOUND ? "no such session" : veil_strerror(err));
            status = EXIT_FAIL;
        }
    }
    if (store_keys_compact(job->st)) {
        cli_error("the data keys are deleted, but compacting the keys database failed, so "
                  "their bytes may remain in its files; run 'veil delete' again");
        status = EXIT_FAIL;
    }
    for (int i = 0; i < a->n; i++) {
        int err = store_session_read(job->st, a->ids[i], no_chunk, NULL);
        if (err == VEIL_ESHREDDED)
            printf("deleted %s: its data key is gone\n", a->ids[i]);
        else if (err != VEIL_ENOTFOUND) {
            cli_error("%s: still readable after the delete (%s)", a->ids[i], veil_strerror(err));
            status = EXIT_FAIL;
        }
    }
    return status;
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
    delete_args a = {argv + optind, argc - optind};
    return cli_run_with_store(fl.config_path, OPEN_WRITER, run_delete, &a);
}
