/*
 * keys_cmd.c - operating the key hierarchy and the databases: `veil keys`
 * (rotate, rewrap, status, retire, change-root), `veil backup` (backup,
 * restore, purge) and `veil store verify`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "cli.h"

#define REWRAP_STEP  20000
#define REWRAP_BATCH 1000
#define MAX_SHOWN    64

/* ---- keys ----------------------------------------------------------------------- */

/* Moves every data key to the current master key, with progress on stderr.
 * On a cluster only the holder of the maintenance lease rewraps. */
static int rewrap_all(store *st)
{
    size_t total = 0, done, remaining;
    if (store_lease(st, STORE_LEASE_MAINTENANCE, 60) == VEIL_EBUSY) {
        printf("a running server (the node holding the maintenance lease) moves data keys to "
               "it in the background; 'veil keys status' shows progress\n");
        return VEIL_OK;
    }
    for (;;) {
        int rc = store_key_rewrap(st, REWRAP_STEP, REWRAP_BATCH, &done, &remaining);
        if (rc) {
            cli_error("rewrap stopped: %s; run 'veil keys rewrap' to resume", veil_strerror(rc));
            return rc;
        }
        total += done;
        fprintf(stderr, "veil keys: rewrapped %zu data keys, %zu to go\n", total, remaining);
        if (remaining == 0) {
            store_lease_release(st, STORE_LEASE_MAINTENANCE);
            return VEIL_OK;
        }
        if (store_lease(st, STORE_LEASE_MAINTENANCE, 60)) /* renewed */
            return VEIL_EBUSY;
        if (done == 0) {
            cli_error("%zu data keys cannot be rewrapped (damaged, or under a retired master "
                      "key); see 'veil store verify'",
                      remaining);
            return VEIL_ECORRUPT;
        }
    }
}

static int keys_rotate(const cli_store_job *job, bool no_rewrap)
{
    uint32_t v;
    int rc = store_key_rotate(job->st, &v);
    if (rc) {
        cli_error("cannot rotate: %s", veil_strerror(rc));
        return rc;
    }
    printf("master key version %u is now current\n", v);
    printf("re-escrow the keyring file (%s) now: copies made before this cannot open data "
           "keys wrapped from now on (each keys backup from now on carries a copy)\n",
           job->cfg->keyring);
    if (job->writer && !no_rewrap)
        return rewrap_all(job->st);
    printf(no_rewrap ? "data keys stay where they are until 'veil keys rewrap' or a running "
                       "server moves them\n"
                     : "the running server moves data keys to it in the background; "
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
        printf("retired master key version %lu: its key material is wiped from the keyring.\n"
               "Escrowed keyring copies and keys backups made before now still hold it: for an "
               "erasure to be complete, replace the escrowed keyring with %s and purge the "
               "older keys backups ('veil backup purge keys DIR --keep 1')\n",
               v, job->cfg->keyring);
    return rc;
}

static int keys_change_root(const cli_store_job *job, const cli_store_flags *fl)
{
    veil_error err;
    int rc = store_root_change(job->st, fl->key_file, fl->passphrase_file, &err);
    if (rc) {
        cli_error("cannot change the root secret: %s (%s)", err.what, veil_strerror(rc));
        return rc;
    }
    printf("the keyring is now sealed by %s. Set %s = %s in the configuration, escrow it and "
           "the keyring file, then destroy the old root secret and its escrowed copies (and "
           "the escrowed keyring sealed by it)\n",
           fl->key_file ? fl->key_file : fl->passphrase_file,
           fl->key_file ? "root_key_file" : "root_passphrase_file",
           fl->key_file ? fl->key_file : fl->passphrase_file);
    return VEIL_OK;
}

typedef struct {
    const char *verb;
    const char *version; /* retire's operand */
    cli_store_flags fl;
} keys_args;

static int run_keys(const cli_store_job *job, void *arg)
{
    const keys_args *a = arg;
    int rc = !strcmp(a->verb, "rotate")        ? keys_rotate(job, a->fl.no_rewrap)
             : !strcmp(a->verb, "rewrap")      ? keys_rewrap(job)
             : !strcmp(a->verb, "status")      ? keys_status(job)
             : !strcmp(a->verb, "change-root") ? keys_change_root(job, &a->fl)
                                               : keys_retire(job, a->version);
    return rc ? EXIT_FAIL : EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    keys_args a = {0};
    if (cli_parse_store_flags(argc, argv, "KPn", &a.fl))
        return EXIT_USAGE;
    a.verb = optind < argc ? argv[optind] : "";
    bool takes_version = !strcmp(a.verb, "retire");
    bool change_root = !strcmp(a.verb, "change-root");
    if ((strcmp(a.verb, "rotate") && strcmp(a.verb, "rewrap") && strcmp(a.verb, "status") &&
         !takes_version && !change_root) ||
        argc - optind != (takes_version ? 2 : 1)) {
        cli_error("expected rotate, rewrap, status, retire V or change-root; see 'veil keys "
                  "--help'");
        return EXIT_USAGE;
    }
    if (a.fl.no_rewrap && strcmp(a.verb, "rotate")) {
        cli_error("--no-rewrap goes with rotate only");
        return EXIT_USAGE;
    }
    if (change_root != (a.fl.key_file || a.fl.passphrase_file) ||
        (a.fl.key_file && a.fl.passphrase_file)) {
        cli_error("change-root takes exactly one of --key-file FILE and --passphrase-file FILE, "
                  "and only it does");
        return EXIT_USAGE;
    }
    if (takes_version)
        a.version = argv[optind + 1];
    return cli_run_with_store(a.fl.config_path, change_root ? OPEN_WRITER : OPEN_EITHER, run_keys,
                              &a);
}

/* ---- backup and restore ------------------------------------------------------------ */

static const char *db_name(store_db which)
{
    return which == STORE_DB_DATA ? "data" : "keys";
}

static void print_verify(const store_verify_report *r)
{
    printf("sessions %zu, data keys %zu, sessions without a data key %zu, shredded sessions "
           "with chunks left %zu, data keys without a session %zu, unreadable %zu, damaged data "
           "keys %zu, data keys this keyring cannot open %zu\n",
           r->sessions, r->keys, r->missing_keys, r->shredded_chunks, r->orphan_keys, r->unreadable,
           r->damaged_keys, r->keys_unopened);
    if (r->keys_unopened) {
        char versions[STORE_VERIFY_VERSIONS * 12] = "";
        for (size_t i = 0, at = 0; i < r->n_versions_unopened; i++)
            at += (size_t)snprintf(versions + at, sizeof versions - at, "%s%u", i ? ", " : "",
                                   r->versions_unopened[i]);
        cli_error("%zu data keys are wrapped by master key versions this keyring does not hold "
                  "or has retired (%s): the keyring is older than the keys database (it was not "
                  "re-escrowed after a rotation), or not its own. Put back the keyring that "
                  "goes with it: 'veil backup restore keys DIR --with-keyring' uses the copy a "
                  "keys backup carries",
                  r->keys_unopened, versions);
    }
}

/* After a restore: the two databases must belong together, and the keyring
 * must open every data key. */
static int check_pair(const cli_store_job *job, void *arg)
{
    (void)arg;
    store_verify_report r;
    if (store_verify(job->st, false, &r)) {
        cli_error("the restored store cannot be read through; run 'veil store verify'");
        return EXIT_FAIL;
    }
    print_verify(&r);
    if (r.missing_keys)
        cli_error("%zu sessions have no data key: the keys backup is older than the data "
                  "backup; those sessions cannot be read (restore a newer keys backup)",
                  r.missing_keys);
    return r.missing_keys || r.keys_unopened ? EXIT_FAIL : EXIT_OK;
}

static bool database_exists(const char *dir)
{
    char current[VEIL_CONFIG_PATH_MAX + 16];
    snprintf(current, sizeof current, "%s/CURRENT", dir);
    return access(current, F_OK) == 0;
}

static int backup_restore(const cli_store_flags *fl, store_db which, const char *dir)
{
    veil_config cfg;
    if (cli_load_config(&cfg, fl->config_path))
        return EXIT_FAIL;
    const char *db_dir = which == STORE_DB_DATA ? cfg.data_dir : cfg.keys_dir;
    veil_error err = {0};
    int rc = store_restore(which, dir, db_dir, fl->with_keyring ? cfg.keyring : NULL, &err);
    bool pair = database_exists(cfg.data_dir) && database_exists(cfg.keys_dir);
    if (rc)
        cli_error("cannot restore %s from %s: %s", db_name(which), dir, err.what);
    else
        printf("restored the %s database into %s%s\n", db_name(which), db_dir,
               fl->with_keyring ? ", and the keyring it carries" : "");
    veil_config_free(&cfg);
    if (rc)
        return EXIT_FAIL;
    /* the other database may not be there (yet): then nothing to compare */
    return pair ? cli_run_with_store(fl->config_path, OPEN_READER, check_pair, NULL) : EXIT_OK;
}

typedef struct {
    store_db which;
    const char *dir;
} backup_args;

static int run_backup(const cli_store_job *job, void *arg)
{
    const backup_args *a = arg;
    uint32_t id = 0;
    if (job->cfg->rados) {
        cli_error("the store is on RADOS: back it up with Ceph's own tools (pool snapshots, "
                  "rbd/rgw-style mirroring to another cluster), keeping the keys pool's copy "
                  "apart from the data's; see docs/scale-out.md");
        return EXIT_FAIL;
    }
    int rc = veil_mkdirs(a->dir, 0700);
    if (!rc)
        rc = store_backup(job->st, a->which, a->dir, &id);
    if (rc) {
        cli_error("backup into %s failed: %s", a->dir,
                  rc == VEIL_EINVAL ? "it holds backups of the other database" : veil_strerror(rc));
        return EXIT_FAIL;
    }
    printf("backup %u of the %s database written to %s (verified)%s\n", id, db_name(a->which),
           a->dir, a->which == STORE_DB_KEYS ? ", with a copy of the keyring" : "");
    return EXIT_OK;
}

/* --before YYYY-MM-DD as seconds since the epoch (UTC midnight). */
static bool parse_day(const char *text, uint64_t *out)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%Y-%m-%d", &tm);
    if (!end || *end)
        return false;
    time_t t = timegm(&tm);
    *out = t > 0 ? (uint64_t)t : 0;
    return t > 0;
}

static int backup_purge(const cli_store_flags *fl, store_db which, const char *dir)
{
    uint64_t before = 0;
    char *end = NULL;
    unsigned long keep = fl->keep ? strtoul(fl->keep, &end, 10) : 0;
    if ((!fl->keep && !fl->before) || (fl->keep && (*fl->keep == '\0' || *end)) ||
        (fl->before && !parse_day(fl->before, &before))) {
        cli_error("purge takes --keep N (the newest N stay) and/or --before YYYY-MM-DD");
        return EXIT_USAGE;
    }
    uint32_t removed;
    veil_error err = {0};
    if (store_backup_purge(which, dir, (uint32_t)keep, before, &removed, &err)) {
        cli_error("cannot purge %s: %s", dir, err.what);
        return EXIT_FAIL;
    }
    printf("removed %u %s backups from %s\n", removed, db_name(which), dir);
    return EXIT_OK;
}

int cmd_backup(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "wkb", &fl))
        return EXIT_USAGE;
    int n = argc - optind;
    const char *verb = n == 3 ? argv[optind] : "";
    bool restore = !strcmp(verb, "restore"), purge = !strcmp(verb, "purge");
    const char *db = n >= 1 ? argv[optind + (restore || purge)] : "";
    backup_args a = {!strcmp(db, "keys") ? STORE_DB_KEYS : STORE_DB_DATA,
                     n >= 2 ? argv[optind + 1 + (restore || purge)] : NULL};
    if (!(n == 2 || restore || purge) || (strcmp(db, "data") && strcmp(db, "keys"))) {
        cli_error("expected data|keys DIR, restore data|keys DIR or purge data|keys DIR; see "
                  "'veil backup --help'");
        return EXIT_USAGE;
    }
    if (fl.with_keyring && !(restore && a.which == STORE_DB_KEYS)) {
        cli_error("--with-keyring goes with 'restore keys'");
        return EXIT_USAGE;
    }
    if ((fl.keep || fl.before) && !purge) {
        cli_error("--keep and --before go with 'purge'");
        return EXIT_USAGE;
    }
    if (restore)
        return backup_restore(&fl, a.which, a.dir);
    if (purge)
        return backup_purge(&fl, a.which, a.dir);
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
    return store_verify_clean(&r) ? EXIT_OK : EXIT_FAIL;
}

int cmd_store(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "dt", &fl))
        return EXIT_USAGE;
    if (argc - optind == 1 && !strcmp(argv[optind], "migrate") && fl.to) {
        veil_config cfg;
        if (cli_load_config(&cfg, fl.config_path))
            return EXIT_FAIL;
        int status = cli_store_migrate(&cfg, fl.to);
        veil_config_free(&cfg);
        return status;
    }
    if (argc - optind != 1 || strcmp(argv[optind], "verify") || fl.to) {
        cli_error("expected 'verify [--deep]' or 'migrate --to rados|rocksdb'; see 'veil store "
                  "--help'");
        return EXIT_USAGE;
    }
    return cli_run_with_store(fl.config_path, OPEN_EITHER, run_verify, &fl);
}
