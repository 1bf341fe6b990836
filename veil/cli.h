/* cli.h - the veil program's subcommands and their shared helpers. */
#ifndef VEIL_CLI_H
#define VEIL_CLI_H

#include <stdbool.h>

#include "config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text */
    int (*run)(int argc, char **argv);
} veil_command;

int cmd_serve(int argc, char **argv);
int cmd_mask(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_store(int argc, char **argv);

/* Prints "veil: <what>" to stderr; one line that says what to do. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Loads --config FILE, else ./veil.conf when present, else the defaults. */
int cli_load_config(veil_config *cfg, const char *path);

/* True when argv holds -h or --help (before any "--"). */
int cli_wants_help(int argc, char **argv);

/* Flags of the store commands; each command allows some of them. */
typedef struct {
    const char *config_path; /* --config, every command */
    const char *site;        /* --site, 's' */
    const char *session;     /* --session, 'i' */
    const char *format;      /* --format, 'f' */
    bool json;               /* --json, 'j' */
    bool deep;               /* --deep, 'd' */
} cli_store_flags;

/* Parses --config plus the flags `allowed` names; leaves optind at the operands. */
int cli_parse_store_flags(int argc, char **argv, const char *allowed, cli_store_flags *f);

struct store;
typedef enum {
    OPEN_WRITER, /* read-write, or fail when a server holds the store */
    OPEN_READER, /* read-only, beside a running server */
    OPEN_EITHER, /* read-write when free, else read-only */
} cli_store_access;

/* Opens the store the configuration names; prints why on failure. */
int cli_open_store(const veil_config *cfg, cli_store_access access, struct store **st,
                   bool *writer);

#endif
