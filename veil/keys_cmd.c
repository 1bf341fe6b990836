/*
 * keys_cmd.c - operating the key hierarchy and the databases: `veil keys`
 * (rotate, rewrap, status, retire), `veil backup` (and restore) and
 * `veil store verify`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store/store.h"
#include "cli.h"

#define REWRAP_STEP  20000
#define REWRAP_BATCH 1000
#define MAX_SHOWN    64

/* ---- keys ----------------------------------------------------------------------- */

/* Moves every data key to the current master key, with progress on stderr. */
static int rewrap_all(store *st)
{
    size_t total = 0, done, remaining;
    for (;;) {
        int rc = store_key_rewrap(st, REWRAP_STEP, REWRAP_BATCH, &done, &remaining);
        if (rc) {
            cli_error("rewrap stopped: %s; run 'veil keys rewrap' to resume", veil_strerror(rc));
            return rc;
        }
        total += done;
        fprintf(stderr, "veil keys: rewrapped %zu data keys, %zu to go\n", total, remaining);
        if (remaining == 0)
            return VEIL_OK;
        if (done == 0) {
            cli_error("%zu data keys cannot be rewrapped (damaged, or under a retired master "
                      "key); see 'veil store verify'",
                      remaining);
            return VEIL_ECORRUPT;
        }
    }
}

static int keys_rotate(const cli_store_job *job)
{
    uint32_t v;
    int rc = store_key_rotate(job->st, &v);
    if (rc) {
        cli_error("cannot rotate: %s", veil_strerror(rc));
        return rc;
    }
    printf("master key version %u is now current\n", v);
    if (job->writer)
        return rewrap_all(job->st);
    printf("the running server moves data keys to it in the background; "
           "'veil keys status' shows progress\n");
    return VEIL_OK;
}

static int keys_rewrap(const cli_store_job *job)
{
    if (!job->writer) {
        cli_error("the running server rewraps by itself; 'veil keys status' shows progress");
        return VEIL_EBUSY;
    }
    return rewrap_all(job->st);
}

static int keys_status(const cli_store_job *job)
{
    store_key_info info[MAX_SHOWN];
    size_t n;
    int rc = store_key_status(job->st, info, MAX_SHOWN, &n);
    if (rc) {
        cli_error("cannot read key status: %s", veil_strerror(rc));
        return rc;
    }
    printf("%-8s %-8s %-20s %12s %12s\n", "VERSION", "STATE", "CREATED", "WRAPS", "DATA KEYS");
    for (size_t i = 0; i < n && i < MAX_SHOWN; i++) {
        char when[VEIL_TIME_TEXT];
        veil_time_text(info[i].created_s * 1000, when);
        const char *state = info[i].current ? "current" : info[i].retired ? "retired" : "active";
        printf("%-8u %-8s %-20s %12" PRIu64 " %12" PRIu64 "\n", info[i].version, state, when,
               info[i].wraps, info[i].data_keys);
    }
    if (n > MAX_SHOWN)
        printf("(%zu more versions not shown)\n", n - MAX_SHOWN);
    return VEIL_OK;
}

static int keys_retire(const cli_store_job *job, const char *arg)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end || v == 0 || v > UINT32_MAX) {
        cli_error("retire: expected a version number; 'veil keys status' lists them");
        return VEIL_EINVAL;
    }
    int rc = store_key_retire(job->st, (uint32_t)v);
    if (rc == VEIL_EBUSY)
        cli_error("version %lu is current or still wraps data keys; rotate and let the rewrap "
                  "finish ('veil keys status' shows the counts)",
                  v);
    else if (rc == VEIL_ENOTFOUND)
        cli_error("no master key version %lu", v);
    else if (rc)
        cli_error("cannot retire version %lu: %s", v, veil_strerror(rc));
    else
        printf("retired master key version %lu: its key material is wiped from the keyring\n", v);
    return rc;
}

typedef struct {
    const char *verb;
    const char *version; /* retire's operand */
} keys_args;

static int run_keys(const cli_store_job *job, void *arg)
{
    const keys_args *a = arg;
    int rc = !strcmp(a->verb, "rotate")   ? keys_rotate(job)
             : !strcmp(a->verb, "rewrap") ? keys_rewrap(job)
             : !strcmp(a->verb, "status") ? keys_status(job)
                                          : keys_retire(job, a->version);
    return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "", &fl))
        return EXIT_USAGE;
    keys_args a = {optind < argc ? argv[optind] : "", NULL};
    bool takes_version = !strcmp(a.verb, "retire");
    if ((strcmp(a.verb, "rotate") && strcmp(a.verb, "rewrap") && strcmp(a.verb, "status") &&
         !takes_version) ||
        argc - optind != (takes_version ? 2 : 1)) {
        cli_error("expected rotate, rewrap, status or retire V; see 'veil keys --help'");
        return EXIT_USAGE;
    }
    if (takes_version)
        a.version = argv[optind + 1];
    return cli_run_with_store(fl.config_path, OPEN_EITHER, run_keys, &a);
}

/* ---- backup and restore ------------------------------------------------------------ */

static const char *db_name(store_db which)
{
    return which == STORE_DB_DATA ? "data" : "keys";
}

static void print_verify(const store_verify_report *r)
{
    printf("sessions %zu, data keys %zu, sessions without a data key %zu, shredded sessions "
           "with chunks left %zu, data keys without a session %zu, unreadable %zu\n",
           r->sessions, r->keys, r->missing_keys, r->shredded_chunks, r->orphan_keys,
           r->unreadable);
}

/* After a restore: the two databases must belong together. */
static int check_pair(const cli_store_job *job, void *arg)
{
    (void)arg;
    store_verify_report r;
    if (store_verify(job->st, false, &r))
        return EXIT_OK; /* nothing to compare against */
    print_verify(&r);
    if (r.missing_keys) {
        cli_error("%zu sessions have no data key: the keys backup is older than the data "
                  "backup; those sessions cannot be read (restore a newer keys backup)",
                  r.missing_keys);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static bool database_exists(const char *dir)
{
    char current[VEIL_CONFIG_PATH_MAX + 16];
    snprintf(current, sizeof current, "%s/CURRENT", dir);
    return access(current, F_OK) == 0;
}

static int backup_restore(const char *config_path, store_db which, const char *dir)
{
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    const char *db_dir = which == STORE_DB_DATA ? cfg.data_dir : cfg.keys_dir;
    veil_error err = {0};
    int rc = store_restore(which, dir, db_dir, &err);
    bool pair = database_exists(cfg.data_dir) && database_exists(cfg.keys_dir);
    if (rc)
        cli_error("cannot restore %s from %s: %s", db_name(which), dir, err.what);
    else
        printf("restored the %s database into %s\n", db_name(which), db_dir);
    veil_config_free(&cfg);
    if (rc)
        return EXIT_FAIL;
    /* the other database may not be there (yet): then nothing to compare */
    return pair ? cli_run_with_store(config_path, OPEN_READER, check_pair, NULL) : EXIT_OK;
}

typedef struct {
    store_db which;
    const char *dir;
} backup_args;

static int run_backup(const cli_store_job *job, void *arg)
{
    const backup_args *a = arg;
    uint32_t id = 0;
    int rc = veil_mkdirs(a->dir, 0700);
    if (!rc)
        rc = store_backup(job->st, a->which, a->dir, &id);
    if (rc) {
        cli_error("backup into %s failed: %s", a->dir,
                  rc == VEIL_EINVAL ? "it holds backups of the other database" : veil_strerror(rc));
        return EXIT_FAIL;
    }
    printf("backup %u of the %s database written to %s (verified)\n", id, db_name(a->which),
           a->dir);
    return EXIT_OK;
}

int cmd_backup(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "", &fl))
        return EXIT_USAGE;
    int n = argc - optind;
    bool restore = n == 3 && !strcmp(argv[optind], "restore");
    const char *db = n >= 1 ? argv[optind + restore] : "";
    backup_args a = {!strcmp(db, "keys") ? STORE_DB_KEYS : STORE_DB_DATA,
                     n >= 2 ? argv[optind + 1 + restore] : NULL};
    if (!(n == 2 || restore) || (strcmp(db, "data") && strcmp(db, "keys"))) {
        cli_error("expected data|keys DIR or restore data|keys DIR; see 'veil backup --help'");
        return EXIT_USAGE;
    }
    if (restore)
        return backup_restore(fl.config_path, a.which, a.dir);
    return cli_run_with_store(fl.config_path, OPEN_EITHER, run_backup, &a);
}

/* ---- store verify -------------------------------------------------------------------- */

static int run_verify(const cli_store_job *job, void *arg)
{
    const cli_store_flags *fl = arg;
    store_verify_report r;
    int rc = store_verify(job->st, fl->deep, &r);
    if (rc) {
        cli_error("verify stopped: %s", veil_strerror(rc));
        return EXIT_FAIL;
    }
    print_verify(&r);
    bool clean = !r.missing_keys && !r.shredded_chunks && !r.orphan_keys && !r.unreadable;
    return clean ? EXIT_OK : EXIT_FAIL;
}

int cmd_store(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "d", &fl))
        return EXIT_USAGE;
    if (argc - optind != 1 || strcmp(argv[optind], "verify")) {
        cli_error("expected 'verify'; see 'veil store --help'");
        return EXIT_USAGE;
    }
    return cli_run_with_store(fl.config_path, OPEN_EITHER, run_verify, &fl);
}
