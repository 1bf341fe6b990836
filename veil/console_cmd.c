/*
 * console_cmd.c - `veil user` and `veil audit`: the console database from
 * the command line, for the first admin, scripts, and an auditor's check.
 * Each change is written to the audit log as done by "cli:<login name>".
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../replay/replay.h"
#include "cli.h"

/* --config, then the subcommand's operands from optind. */
static int parse(int argc, char **argv, const char *extra, const char **config, const char **value)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"expect", required_argument, NULL, 'e'},
                                         {"from", required_argument, NULL, 'f'},
                                         {0}};
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'c')
            *config = optarg;
        else if ((c == 'e' || c == 'f') && extra && strchr(extra, c))
            *value = optarg;
        else
            return VEIL_EINVAL;
    }
    return VEIL_OK;
}

static void actor_name(char out[80])
{
    struct passwd *pw = getpwuid(getuid());
    snprintf(out, 80, "cli:%s", pw ? pw->pw_name : "unknown");
}

typedef int (*console_fn)(console_db *db, const veil_config *cfg, int argc, char **argv);

/* Loads the configuration, opens the console database, runs fn. */
static int with_console(const char *config, int argc, char **argv, console_fn fn)
{
    veil_config cfg;
    if (cli_load_config(&cfg, config))
        return EXIT_FAIL;
    console_db *db = NULL;
    veil_error err = {0};
    int rc = console_db_open(&db, cfg.console_dir, &err);
    int status = EXIT_FAIL;
    if (rc == VEIL_EBUSY)
        cli_error("a running 'veil serve' holds the console database (%s): stop it, or use the "
                  "console's admin pages",
                  cfg.console_dir);
    else if (rc)
        cli_error("%s (%s): %s", err.what, cfg.console_dir, veil_strerror(rc));
    else
        status = fn(db, &cfg, argc, argv);
    console_db_close(db);
    veil_config_free(&cfg);
    return status;
}

static int print_user(void *arg, const replay_user *u)
{
    (void)arg;
    char sites[400] = "";
    for (int i = 0; i < u->n_sites; i++)
        snprintf(sites + strlen(sites), sizeof sites - strlen(sites), "%s%s", i ? "," : "",
                 u->sites[i]);
    char last[VEIL_TIME_TEXT] = "never";
    if (u->last_login_ms)
        veil_time_text(u->last_login_ms, last);
    printf("%-20s %-10s %-24s %-20s %s%s%s%s\n", u->name, replay_role_name(u->role),
           u->role == ROLE_ADMIN ? "(all)"
           : sites[0]            ? sites
                                 : "-",
           last, u->disabled ? "disabled " : "",
           u->locked_until_ms > veil_now_ms() ? "locked " : "",
           u->must_change ? "must-change-password " : "", u->totp_enrolled ? "totp" : "");
    return 0;
}

static int user_command(console_db *db, const veil_config *cfg, int argc, char **argv)
{
    const char *cmd = argv[0], *name = argc > 1 ? argv[1] : NULL;
    char actor[80], password[33] = "";
    actor_name(actor);
    veil_error err = {0};
    int rc = VEIL_EINVAL;
    if (!strcmp(cmd, "list") && argc == 1) {
        printf("%-20s %-10s %-24s %-20s %s\n", "USER", "ROLE", "SITES", "LAST LOGIN", "STATE");
        return console_user_list(db, print_user, NULL) ? EXIT_FAIL : EXIT_OK;
    }
    if (!name) {
        cli_error("name the user; see 'veil user --help'");
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "add") && argc >= 3) {
        rc = console_user_add(db, &cfg->console, name, replay_role_parse(argv[2]), actor, password,
                              &err);
        for (int i = 3; !rc && i < argc; i++)
            rc = console_user_grant(db, name, argv[i], true, actor, &err);
    } else if (!strcmp(cmd, "passwd") && argc == 2) {
        rc = console_user_reset(db, name, actor, password, &err);
    } else if (!strcmp(cmd, "role") && argc == 3) {
        rc = console_user_set_role(db, name, replay_role_parse(argv[2]), actor, &err);
    } else if ((!strcmp(cmd, "grant") || !strcmp(cmd, "revoke")) && argc >= 3) {
        for (int i = 2; i < argc && (i == 2 || !rc); i++)
            rc = console_user_grant(db, name, argv[i], cmd[0] == 'g', actor, &err);
    } else if ((!strcmp(cmd, "disable") || !strcmp(cmd, "enable")) && argc == 2) {
        rc = console_user_set_disabled(db, name, cmd[0] == 'd', actor, &err);
    } else if (!strcmp(cmd, "unlock") && argc == 2) {
        rc = console_user_unlock(db, name, actor, &err);
    } else {
        cli_error("unknown or incomplete command '%s'; see 'veil user --help'", cmd);
        return EXIT_USAGE;
    }
    if (rc) {
        cli_error("%s: %s", name, err.what ? err.what : veil_strerror(rc));
        return EXIT_FAIL;
    }
    if (password[0])
        printf("%s: one-time password %s (shown once; it must be changed at the next login)\n",
               name, password);
    sodium_memzero(password, sizeof password);
    return EXIT_OK;
}

int cmd_user(int argc, char **argv)
{
    const char *config = NULL, *unused = NULL;
    if (parse(argc, argv, NULL, &config, &unused) || optind >= argc) {
        cli_error("see 'veil user --help' for the commands");
        return EXIT_USAGE;
    }
    return with_console(config, argc - optind, argv + optind, user_command);
}

/* ---- veil audit --------------------------------------------------------------------------- */

static const char *audit_expect;
static uint64_t audit_from;

static int print_record(void *arg, const audit_record *a)
{
    (void)arg;
    char at[VEIL_TIME_TEXT];
    veil_time_text(a->at_ms, at);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)a->seq,
                  "at", at, "actor", a->actor, "role", a->role, "action", a->action, "object",
                  a->object, "outcome", a->outcome, "ip", a->ip, "prev", a->prev, "hash", a->hash);
    int rc =
        o && json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 && putchar('\n') != EOF
            ? 0
            : VEIL_EIO;
    json_decref(o);
    return rc;
}

static int audit_command(console_db *db, const veil_config *cfg, int argc, char **argv)
{
    (void)cfg;
    if (!strcmp(argv[0], "list") && argc == 1)
        return console_audit_list(db, audit_from, print_record, NULL) ? EXIT_FAIL : EXIT_OK;
    if (strcmp(argv[0], "verify") || argc != 1) {
        cli_error("see 'veil audit --help' for the commands");
        return EXIT_USAGE;
    }
    audit_verdict v;
    int rc = console_audit_verify(db, audit_expect, &v);
    if (rc == VEIL_EINVAL) {
        cli_error("--expect: expected SEQ:HASH as 'veil audit verify' printed it");
        return EXIT_USAGE;
    }
    if (rc == VEIL_ECORRUPT) {
        cli_error("the audit log is broken at record %llu: %s (%llu records verified before it)",
                  (unsigned long long)v.bad_seq, v.problem, (unsigned long long)v.records);
        return EXIT_FAIL;
    }
    if (rc) {
        cli_error("cannot read the audit log: %s", veil_strerror(rc));
        return EXIT_FAIL;
    }
    printf("audit log verified: %llu records (%llu-%llu), head %llu:%s\n",
           (unsigned long long)v.records, (unsigned long long)v.first_seq,
           (unsigned long long)v.last_seq, (unsigned long long)v.last_seq, v.head);
    return EXIT_OK;
}

int cmd_audit(int argc, char **argv)
{
    const char *config = NULL, *value = NULL;
    if (parse(argc, argv, "ef", &config, &value) || optind >= argc) {
        cli_error("see 'veil audit --help' for the commands");
        return EXIT_USAGE;
    }
    /* after the subcommand: its own options */
    int sub = optind;
    optind = sub + 1;
    if (parse(argc, argv, "ef", &config, &value)) {
        cli_error("see 'veil audit --help' for the options");
        return EXIT_USAGE;
    }
    if (value && !strcmp(argv[sub], "verify"))
        audit_expect = value;
    else if (value)
        audit_from = strtoull(value, NULL, 10);
    return with_console(config, 1, argv + sub, audit_command);
}
