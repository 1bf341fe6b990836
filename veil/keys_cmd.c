/* keys_cmd.c - `veil keys`, `veil backup` and `veil store`: operating the key hierarchy. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/store.h"
#include "cli.h"
#include "fsutil.h"

#define REWRAP_STEP  20000
#define REWRAP_BATCH 1000

/* Moves every data key to the current master key, with progress on stderr. */
static int rewrap_all(store *st)
{
    size_t total = 0, done, remaining;
    for (;;) {
        int rc = store_rewrap(st, REWRAP_STEP, REWRAP_BATCH, &done, &remaining);
        if (rc) {
            cli_error("rewrap stopped: %s; run 'veil keys rewrap' to resume", veil_strerror(rc));
            return -1;
        }
        total += done;
        fprintf(stderr, "veil keys: rewrapped %zu data keys, %zu to go\n", total, remaining);
        if (remaining == 0)
            return 0;
        if (done == 0) {
            cli_error("%zu data keys cannot be rewrapped (damaged, or under a retired master "
                      "key); see 'veil store verify'",
                      remaining);
            return -1;
        }
    }
}

static int keys_status(store *st)
{
    store_key_info info[64];
    size_t n;
    int rc = store_key_status(st, info, 64, &n);
    if (rc) {
        cli_error("cannot read key status: %s", veil_strerror(rc));
        return -1;
    }
    printf("%-8s %-8s %-20s %12s %12s\n", "VERSION", "STATE", "CREATED", "WRAPS", "DATA KEYS");
    size_t shown = n < 64 ? n : 64;
    for (size_t i = 0; i < shown; i++) {
        char when[32];
        time_t t = (time_t)info[i].created_s;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("%-8u %-8s %-20s %12" PRIu64 " %12" PRIu64 "\n", info[i].version,
               info[i].current   ? "current"
               : info[i].retired ? "retired"
                                 : "active",
               when, info[i].wraps, info[i].data_keys);
    }
    if (n > 64)
        printf("(%zu more versions not shown)\n", n - 64);
    return 0;
}

static int keys_retire(store *st, const char *arg)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (*arg == '\0' || *end || v == 0 || v > UINT32_MAX) {
        cli_error("retire: expected a version number; 'veil keys status' lists them");
        return -1;
    }
    int rc = store_retire(st, (uint32_t)v);
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
    return rc ? -1 : 0;
}

int cmd_keys(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "", &fl))
        return EXIT_USAGE;
    const char *config_path = fl.config_path;
    const char *verb = optind < argc ? argv[optind] : "";
    bool takes_version = !strcmp(verb, "retire");
    if ((strcmp(verb, "rotate") && strcmp(verb, "rewrap") && strcmp(verb, "status") &&
         !takes_version) ||
        argc - optind != (takes_version ? 2 : 1)) {
        cli_error("expected rotate, rewrap, status or retire V; see 'veil keys --help'");
        return EXIT_USAGE;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    store *st = NULL;
    bool writer;
    int failed = cli_open_store(&cfg, OPEN_EITHER, &st, &writer) != 0;
    if (!failed && !strcmp(verb, "rotate")) {
        uint32_t v;
        int rc = store_rotate(st, &v);
        if (rc) {
            cli_error("cannot rotate: %s", veil_strerror(rc));
            failed = 1;
        } else {
            printf("master key version %u is now current\n", v);
            if (writer)
                failed = rewrap_all(st) != 0;
            else
                printf("the running server moves data keys to it in the background; "
                       "'veil keys status' shows progress\n");
        }
    } else if (!failed && !strcmp(verb, "rewrap")) {
        if (!writer) {
            cli_error("the running server rewraps by itself; 'veil keys status' shows progress");
            failed = 1;
        } else {
            failed = rewrap_all(st) != 0;
        }
    } else if (!failed && !strcmp(verb, "status")) {
        failed = keys_status(st) != 0;
    } else if (!failed) {
        failed = keys_retire(st, argv[optind + 1]) != 0;
    }
    store_close(st);
    veil_config_free(&cfg);
    return failed ? EXIT_FAIL : EXIT_OK;
}

/* ---- backup ------------------------------------------------------------------ */

static int parse_db(const char *name, store_db *which)
{
    if (!strcmp(name, "data"))
        *which = STORE_DB_DATA;
    else if (!strcmp(name, "keys"))
        *which = STORE_DB_KEYS;
    else
        return -1;
    return 0;
}

static void print_verify(const store_verify_report *r)
{
    printf("sessions %zu, data keys %zu, sessions without a data key %zu, shredded sessions "
           "with chunks left %zu, data keys without a session %zu, unreadable %zu\n",
           r->sessions, r->keys, r->missing_keys, r->shredded_chunks, r->orphan_keys,
           r->unreadable);
}

/* After a restore: the two databases must belong together. */
static int check_pair(const veil_config *cfg)
{
    char data_current[VEIL_CONFIG_PATH_MAX + 16], keys_current[VEIL_CONFIG_PATH_MAX + 16];
    snprintf(data_current, sizeof data_current, "%s/CURRENT", cfg->data_dir);
    snprintf(keys_current, sizeof keys_current, "%s/CURRENT", cfg->keys_dir);
    if (access(data_current, F_OK) || access(keys_current, F_OK))
        return 0; /* the other database is not there (yet): nothing to compare */
    store *st;
    if (cli_open_store(cfg, OPEN_READER, &st, NULL))
        return -1;
    store_verify_report r;
    int rc = store_verify(st, false, &r);
    store_close(st);
    if (rc)
        return 0;
    print_verify(&r);
    if (r.missing_keys) {
        cli_error("%zu sessions have no data key: the keys backup is older than the data "
                  "backup; those sessions cannot be read (restore a newer keys backup)",
                  r.missing_keys);
        return -1;
    }
    return 0;
}

static int backup_restore(const veil_config *cfg, store_db which, const char *dir)
{
    const char *why = "";
    const char *db_dir = which == STORE_DB_DATA ? cfg->data_dir : cfg->keys_dir;
    int rc = store_restore(which, dir, db_dir, &why);
    if (rc) {
        cli_error("cannot restore %s from %s: %s", which == STORE_DB_DATA ? "data" : "keys", dir,
                  why);
        return -1;
    }
    printf("restored the %s database into %s\n", which == STORE_DB_DATA ? "data" : "keys", db_dir);
    return check_pair(cfg);
}

int cmd_backup(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "", &fl))
        return EXIT_USAGE;
    const char *config_path = fl.config_path;
    int n = argc - optind;
    bool restore = n == 3 && !strcmp(argv[optind], "restore");
    store_db which;
    if (!(n == 2 || restore) || parse_db(argv[optind + restore], &which)) {
        cli_error("expected data|keys DIR or restore data|keys DIR; see 'veil backup --help'");
        return EXIT_USAGE;
    }
    const char *dir = argv[optind + 1 + restore];
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    int failed = 0;
    if (restore) {
        failed = backup_restore(&cfg, which, dir) != 0;
    } else {
        store *st;
        bool writer;
        uint32_t id = 0;
        failed = cli_open_store(&cfg, OPEN_EITHER, &st, &writer) != 0;
        int rc = failed ? 0 : veil_mkdirs(dir, 0700) ? VEIL_EIO : store_backup(st, which, dir, &id);
        if (rc) {
            cli_error("backup into %s failed: %s", dir,
                      rc == VEIL_EINVAL ? "it holds backups of the other database"
                                        : veil_strerror(rc));
            failed = 1;
        } else if (!failed) {
            printf("backup %u of the %s database written to %s (verified)\n", id,
                   which == STORE_DB_DATA ? "data" : "keys", dir);
        }
        if (!failed)
            store_close(st);
    }
    veil_config_free(&cfg);
    return failed ? EXIT_FAIL : EXIT_OK;
}

/* ---- store verify ---------------------------------------------------------------- */

int cmd_store(int argc, char **argv)
{
    cli_store_flags fl;
    if (cli_parse_store_flags(argc, argv, "d", &fl))
        return EXIT_USAGE;
    const char *config_path = fl.config_path;
    bool deep = fl.deep;
    if (argc - optind != 1 || strcmp(argv[optind], "verify")) {
        cli_error("expected 'verify'; see 'veil store --help'");
        return EXIT_USAGE;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    store *st;
    bool writer;
    int failed = cli_open_store(&cfg, OPEN_EITHER, &st, &writer) != 0;
    store_verify_report r;
    if (!failed) {
        int rc = store_verify(st, deep, &r);
        store_close(st);
        if (rc) {
            cli_error("verify stopped: %s", veil_strerror(rc));
            failed = 1;
        } else {
            print_verify(&r);
            failed = r.missing_keys || r.shredded_chunks || r.orphan_keys || r.unreadable;
        }
    }
    veil_config_free(&cfg);
    return failed ? EXIT_FAIL : EXIT_OK;
}
