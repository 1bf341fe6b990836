/*
 * replay.h - the console analysts and admins use: an HTTPS JSON API and web
 * UI on its own listener, accounts with a password policy and TOTP, four
 * roles limited to granted sites, replay streamed from the store, and a
 * hash-chained audit log of every access (DESIGN.md, "Console roles" and
 * "Console API"; docs/console.md).
 *
 * Contents
 *   1. Roles and the password policy.
 *   2. The console database: accounts and the audit log, in a RocksDB of
 *      their own (state_dir/console), used by the server and by
 *      `veil user` / `veil audit` (one process at a time).
 *   3. The server: create, listen on the caller's lws context, destroy.
 *
 * Threads: the server's calls are made on the lws service thread; password
 * hashing and store reads run on the console's own worker threads.
 */
#ifndef VEIL_REPLAY_H
#define VEIL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../store/store.h"

/* ---- 1. Roles and the password policy ------------------------------------- */

typedef enum {
    ROLE_NONE = 0,
    ROLE_ALERTS,    /* Alert Receiver: alerts of granted sites */
    ROLE_STANDARD,  /* Standard User: list and replay sessions of granted sites */
    ROLE_ANALYTICS, /* Analytics User: Standard, plus search and export */
    ROLE_ADMIN,     /* Admin User: everything; TOTP mandatory */
} replay_role;

/* "alerts", "standard", "analytics", "admin"; ROLE_NONE for anything else. */
replay_role replay_role_parse(const char *name);
const char *replay_role_name(replay_role role);

typedef struct {
    int min_length, max_length;
    bool require_digit;
    int history;                        /* earlier passwords refused again (0: none) */
    int max_age_days;                   /* must change after (0: never) */
    int lockout_threshold;              /* failed logins in a row that lock (0: never) */
    int lockout_minutes;                /* 0: until an admin unlocks */
    const char *blocklist_file;         /* NULL: the built-in list of common passwords */
    int dormant_days;                   /* no login for this long disables the account (0: never) */
    int idle_seconds, absolute_seconds; /* web session timeouts */
    int audit_retention_days;
} replay_policy;

/* "asvs" (the default: OWASP ASVS 4.0.3 L2, NIST 800-63B) or "classic"
 * (10+ characters with a digit, history 5, expiry 90 days); VEIL_EINVAL
 * for another name. Both lock after 5 failures for 30 minutes. */
int replay_policy_profile(replay_policy *p, const char *profile) VEIL_MUST_CHECK;

/* ---- 2. The console database ---------------------------------------------- */

typedef struct console_db console_db;

/* Opens (creating) the console database in dir; VEIL_EBUSY while a
 * running server holds it. */
int console_db_open(console_db **out, const char *dir, veil_error *err) VEIL_MUST_CHECK;
void console_db_close(console_db *db);

typedef struct {
    char name[65];
    replay_role role;
    char sites[32][65]; /* granted sites (an admin sees every site) */
    int n_sites;
    bool disabled, must_change, totp_enrolled;
    uint64_t created_ms, last_login_ms, locked_until_ms; /* locked: UINT64_MAX until unlocked */
    int failed_since_login;
} replay_user;

/* The user operations `veil user` runs (and the admin API): each audited
 * with `actor` as who did it. A new or reset password is random, printed
 * once, and must be changed at the next login. */
int console_user_add(console_db *db, const replay_policy *pol, const char *name, replay_role role,
                     const char *actor, char one_time_password[33],
                     veil_error *err) VEIL_MUST_CHECK;
int console_user_reset(console_db *db, const char *name, const char *actor,
                       char one_time_password[33], veil_error *err) VEIL_MUST_CHECK;
int console_user_set_role(console_db *db, const char *name, replay_role role, const char *actor,
                          veil_error *err) VEIL_MUST_CHECK;
int console_user_grant(console_db *db, const char *name, const char *site, bool grant,
                       const char *actor, veil_error *err) VEIL_MUST_CHECK;
int console_user_set_disabled(console_db *db, const char *name, bool disabled, const char *actor,
                              veil_error *err) VEIL_MUST_CHECK;
int console_user_unlock(console_db *db, const char *name, const char *actor,
                        veil_error *err) VEIL_MUST_CHECK;
int console_user_get(console_db *db, const char *name, replay_user *out) VEIL_MUST_CHECK;
typedef int (*console_user_fn)(void *arg, const replay_user *u);
int console_user_list(console_db *db, console_user_fn fn, void *arg) VEIL_MUST_CHECK;
/* Whether any user exists (the server creates the first admin otherwise). */
bool console_has_users(console_db *db);

/* One audit record, as stored and listed. */
typedef struct {
    uint64_t seq, at_ms;
    char actor[65], role[16], action[40], object[200], outcome[16], ip[64];
    char hash[65], prev[65]; /* SHA-256 hex of this record (with prev), and of the one before */
} audit_record;

/* Appends a record (durable on return: the log fails closed). */
int console_audit(console_db *db, const char *actor, replay_role role, const char *action,
                  const char *object, const char *outcome, const char *ip) VEIL_MUST_CHECK;

typedef int (*console_audit_fn)(void *arg, const audit_record *r);
/* Records from `from_seq` (0: the oldest kept) in order. */
int console_audit_list(console_db *db, uint64_t from_seq, console_audit_fn fn,
                       void *arg) VEIL_MUST_CHECK;

typedef struct {
    uint64_t records, first_seq, last_seq;
    uint64_t bad_seq;  /* the first record that breaks the chain (0: none) */
    char problem[160]; /* what is wrong there */
    char head[65];     /* the hash of the last record: keep it to catch a truncation later */
} audit_verdict;

/* Recomputes the chain; VEIL_ECORRUPT with the first break in *v. With
 * `expect` ("SEQ:HASH", a head kept earlier), also checks that record is
 * still there, unchanged. */
int console_audit_verify(console_db *db, const char *expect, audit_verdict *v) VEIL_MUST_CHECK;

/* Deletes records older than the policy's retention; the chain stays
 * verifiable from the first one kept. */
int console_audit_expire(console_db *db, int retention_days, uint64_t *removed) VEIL_MUST_CHECK;

/* ---- 3. The server ---------------------------------------------------------- */

/* Appends Prometheus text to out. Called on the service thread: must not block. */
typedef int (*replay_metrics_fn)(void *user, veil_buf *out);

typedef struct {
    const char *name;
    const char *const *origins; /* what its pages load from: blocked in replay unless allowed */
    int n_origins;
    bool replay_assets;      /* the analyst's browser may fetch the site's assets during replay */
    const char *policy_text; /* the site's masking options, for the admin page */
} replay_site;

typedef struct {
    console_db *db; /* the caller keeps it open */
    store *st;
    const replay_site *sites;
    int n_sites;
    replay_policy policy;
    const char *assets_dir; /* the built UI (replay/ui/dist) */
    replay_metrics_fn metrics;
    void *metrics_user;
    /* `Authorization: Bearer <token>` opens /metrics; NULL: not served here */
    const char *metrics_token;
    /* key status and rotation for the admin page (the caller's maintenance) */
    int (*rotate_keys)(void *user, uint32_t *new_version);
    void *rotate_user;
} replay_config;

typedef struct replay replay;
struct lws_context;

int replay_create(replay **out, const replay_config *cfg, veil_error *err) VEIL_MUST_CHECK;
/* Adds the console listener (TLS) to the context. */
int replay_listen(replay *r, struct lws_context *context, const char *iface, int port,
                  const char *cert, const char *key) VEIL_MUST_CHECK;
void replay_destroy(replay *r);

/* A listener that serves only GET /metrics, without a token: bind it where
 * only the monitoring system reaches. */
int replay_listen_metrics(replay *r, struct lws_context *context, const char *iface,
                          int port) VEIL_MUST_CHECK;

#endif
