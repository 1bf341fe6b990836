/*
 * cli.h - the veil program's subcommands and what they share: one-line
 * errors, --help, configuration loading, the store commands' flags, and
 * running a command with the store open.
 */
#ifndef VEIL_CLI_H
#define VEIL_CLI_H

#include <stdbool.h>

#include "../store/store.h"
#include "config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text */
    int (*run)(int argc, char **argv);
} veil_command;

int cmd_serve(int argc, char **argv);
int cmd_snippet(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_mask(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_store(int argc, char **argv);

/* Prints "veil CMD: <what>" to stderr; one line that says what to do. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when file `path` lies inside directory `dir` (both must exist). */
bool cli_path_inside(const char *path, const char *dir);

/* True when argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);

/* Loads --config FILE, else ./veil.conf when present, else the defaults;
 * prints file:line:column and what to do when the file is not valid. */
int cli_load_config(veil_config *cfg, const char *path) VEIL_MUST_CHECK;

/* The site --site NAME names, or with NAME NULL the configuration's first;
 * prints which sites there are and returns NULL when none has that name. */
const veil_site_config *cli_site(const veil_config *cfg, const char *name);

/* Flags of the store commands; each command allows some of them. */
typedef struct {
    const char *config_path;     /* --config, every command */
    const char *site;            /* --site, 's' */
    const char *session;         /* --session, 'i' */
    const char *format;          /* --format, 'f' */
    bool json;                   /* --json, 'j' */
    bool deep;                   /* --deep, 'd' */
    bool with_keyring;           /* --with-keyring, 'w' */
    const char *keep;            /* --keep N, 'k' */
    const char *before;          /* --before YYYY-MM-DD, 'b' */
    const char *key_file;        /* --key-file, 'K' */
    const char *passphrase_file; /* --passphrase-file, 'P' */
    const char *to;              /* --to rados|rocksdb, 't' */
    bool no_rewrap;              /* --no-rewrap, 'n' */
} cli_store_flags;

/* Parses --config plus the flags `allowed` names; leaves optind at the
 * operands. Prints the reason and returns VEIL_EINVAL on a bad flag. */
int cli_parse_store_flags(int argc, char **argv, const char *allowed,
                          cli_store_flags *f) VEIL_MUST_CHECK;

typedef enum {
    OPEN_WRITER, /* read-write, or fail when a server holds the store */
    OPEN_READER, /* read-only, beside a running server */
    OPEN_EITHER, /* read-write when free, else read-only */
} cli_store_access;

/* Opens the store the configuration names; prints why on failure. *writer
 * (may be NULL) says whether it is open read-write. */
int cli_open_store(const veil_config *cfg, cli_store_access access, store **st,
                   bool *writer) VEIL_MUST_CHECK;

/* What a store command works with once the store is open. */
typedef struct {
    const veil_config *cfg;
    store *st;
    bool writer;
} cli_store_job;

/* A command's work with the store open; returns an EXIT_* status. */
typedef int (*cli_store_fn)(const cli_store_job *job, void *arg);

/*
 * Loads the configuration (--config), opens the store, runs fn, closes the
 * store and frees the configuration, whatever fn returns. Returns fn's
 * EXIT_* status, or EXIT_FAIL (reason printed) when the configuration or
 * the store cannot be opened.
 */
int cli_run_with_store(const char *config_path, cli_store_access access, cli_store_fn fn,
                       void *arg);

/* `veil store migrate --to rados|rocksdb` (migrate.c); an EXIT_* status. */
int cli_store_migrate(const veil_config *cfg, const char *to);

#endif
