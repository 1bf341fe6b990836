/*
 * db.c - the console database (state_dir/console, a RocksDB of its own):
 *
 *   u/NAME          a user record, JSON (jansson): role, sites, password
 *                   hash and history, lockout, TOTP, recovery code hashes
 *   a/SEQ (be64)    an audit record, canonical JSON (sorted keys, compact)
 *   m/audit-head    "SEQ:HASH" of the newest record
 *   m/audit-base    "SEQ:HASH" of the newest record expired (0: none yet)
 *
 * An audit record's hash is SHA-256 over its canonical form without the
 * "hash" member, which includes "prev", the hash of the record before: so
 * an edited, deleted or reordered record breaks every hash after it, and a
 * cut tail no longer matches the head (or a head kept outside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "internal.h"

static const char ZERO_HASH[] = "0000000000000000000000000000000000000000000000000000000000000000";

int console_db_open(console_db **out, const char *dir, veil_error *err)
{
    console_db *db = calloc(1, sizeof *db);
    if (!db)
        return veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    int rc = veil_mkdirs(dir, 0700);
    if (!rc)
        rc = kv_open(&db->kv, dir, false);
    if (rc) {
        free(db);
        return veil_fail(err, rc,
                         rc == VEIL_EBUSY ? "the console database is in use by a running 'veil "
                                            "serve'"
                                          : "cannot open the console database",
                         0);
    }
    pthread_mutex_init(&db->lock, NULL);
    db->clock_ms = veil_now_ms;
    *out = db;
    return VEIL_OK;
}

void console_db_close(console_db *db)
{
    if (!db)
        return;
    kv_close(db->kv);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

/* ---- user records ------------------------------------------------------------------------- */

bool user_name_ok(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

void user_wipe(user_record *r)
{
    sodium_memzero(r, sizeof *r);
}

static void hex(const uint8_t *bytes, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, bytes, n);
}

static bool unhex(const char *text, uint8_t *out, size_t n)
{
    size_t got = 0;
    return text && strlen(text) == 2 * n &&
           sodium_hex2bin(out, n, text, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

static json_t *user_to_json(const user_record *r)
{
    const replay_user *u = &r->u;
    json_t *sites = json_array(), *history = json_array(), *recovery = json_array();
    for (int i = 0; i < u->n_sites; i++)
        json_array_append_new(sites, json_string(u->sites[i]));
    for (int i = 0; i < r->n_history; i++)
        json_array_append_new(history, json_string(r->history[i]));
    for (int i = 0; i < RECOVERY_CODES; i++)
        json_array_append_new(recovery, json_string(r->recovery[i]));
    char secret[41] = "", pending[41] = "";
    if (u->totp_enrolled)
        hex(r->totp_secret, sizeof r->totp_secret, secret);
    if (r->totp_pending_set)
        hex(r->totp_pending, sizeof r->totp_pending, pending);
    json_t *o = json_pack(
        "{s:s, s:s, s:o, s:s, s:o, s:I, s:b, s:b, s:I, s:I, s:I, s:i, s:i, s:s, s:s, s:s, s:I, "
        "s:o}",
        "name", u->name, "role", replay_role_name(u->role), "sites", sites, "hash", r->hash,
        "history", history, "password_changed", (json_int_t)r->password_changed_ms, "must_change",
        u->must_change, "disabled", u->disabled, "created", (json_int_t)u->created_ms, "last_login",
        (json_int_t)u->last_login_ms, "locked_until", (json_int_t)u->locked_until_ms,
        "failed_in_row", r->failed_in_row, "failed_since_login", u->failed_since_login,
        "last_login_ip", r->last_login_ip, "totp", secret, "totp_pending", pending,
        "totp_last_step", (json_int_t)r->totp_last_step, "recovery", recovery);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(pending, sizeof pending);
    return o;
}

static bool copy_field(json_t *o, const char *key, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= cap)
        return false;
    strcpy(out, s);
    return true;
}

static uint64_t int_field(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static bool user_from_json(json_t *o, user_record *r)
{
    replay_user *u = &r->u;
    char role[16], secret[41] = "", pending[41] = "";
    if (!copy_field(o, "name", u->name, sizeof u->name) ||
        !copy_field(o, "role", role, sizeof role) ||
        !copy_field(o, "hash", r->hash, sizeof r->hash) ||
        !copy_field(o, "last_login_ip", r->last_login_ip, sizeof r->last_login_ip) ||
        !copy_field(o, "totp", secret, sizeof secret) ||
        !copy_field(o, "totp_pending", pending, sizeof pending))
        return false;
    u->role = replay_role_parse(role);
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(o, "sites"), i, v)
    {
        if (u->n_sites == 32 || !json_is_string(v) || json_string_length(v) > 64)
            return false;
        strcpy(u->sites[u->n_sites++], json_string_value(v));
    }
    json_array_foreach(json_object_get(o, "history"), i, v)
    {
        if (r->n_history == USER_HISTORY_MAX || json_string_length(v) >= sizeof r->history[0])
            return false;
        strcpy(r->history[r->n_history++], json_string_value(v) ? json_string_value(v) : "");
    }
    json_array_foreach(json_object_get(o, "recovery"), i, v)
    {
        if (i >= RECOVERY_CODES || json_string_length(v) >= sizeof r->recovery[0])
            return false;
        strcpy(r->recovery[i], json_string_value(v) ? json_string_value(v) : "");
    }
    r->password_changed_ms = int_field(o, "password_changed");
    u->must_change = json_is_true(json_object_get(o, "must_change"));
    u->disabled = json_is_true(json_object_get(o, "disabled"));
    u->created_ms = int_field(o, "created");
    u->last_login_ms = int_field(o, "last_login");
    u->locked_until_ms = int_field(o, "locked_until");
    r->failed_in_row = (int)int_field(o, "failed_in_row");
    u->failed_since_login = (int)int_field(o, "failed_since_login");
    r->totp_last_step = int_field(o, "totp_last_step");
    u->totp_enrolled = unhex(secret, r->totp_secret, sizeof r->totp_secret);
    r->totp_pending_set = unhex(pending, r->totp_pending, sizeof r->totp_pending);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(pending, sizeof pending);
    return u->role != ROLE_NONE;
}

static size_t user_key(char *key, const char *name)
{
    return (size_t)snprintf(key, 80, "u/%s", name);
}

int user_load(console_db *db, const char *name, user_record *r)
{
    memset(r, 0, sizeof *r);
    if (!user_name_ok(name))
        return VEIL_ENOTFOUND;
    char key[80];
    veil_buf v = {0};
    int rc = kv_get(db->kv, key, user_key(key, name), &v);
    if (!rc) {
        json_t *o = json_loadb(v.data, v.len, 0, NULL);
        if (!o || !user_from_json(o, r))
            rc = VEIL_ECORRUPT;
        json_decref(o);
    }
    veil_buf_free(&v);
    return rc;
}

int user_store(console_db *db, const user_record *r)
{
    json_t *o = user_to_json(r);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return VEIL_ENOMEM;
    char key[80];
    kv_batch *b = kv_batch_new();
    int rc = VEIL_ENOMEM;
    if (b) {
        kv_batch_put(b, key, user_key(key, r->u.name), text, strlen(text));
        rc = kv_write(db->kv, b, true);
        kv_batch_free(b);
    }
    sodium_memzero(text, strlen(text));
    free(text);
    return rc;
}

int console_user_get(console_db *db, const char *name, replay_user *out)
{
    user_record *r = malloc(sizeof *r);
    if (!r)
        return VEIL_ENOMEM;
    pthread_mutex_lock(&db->lock);
    int rc = user_load(db, name, r);
    pthread_mutex_unlock(&db->lock);
    if (!rc)
        *out = r->u;
    user_wipe(r);
    free(r);
    return rc;
}

typedef struct {
    console_user_fn fn;
    void *arg;
} list_ctx;

static int list_one(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)k;
    (void)kl;
    list_ctx *lc = arg;
    user_record *r = calloc(1, sizeof *r);
    json_t *o = json_loadb(v, vl, 0, NULL);
    int rc = !r ? VEIL_ENOMEM : o && user_from_json(o, r) ? lc->fn(lc->arg, &r->u) : 0;
    json_decref(o);
    if (r)
        user_wipe(r);
    free(r);
    return rc;
}

int console_user_list(console_db *db, console_user_fn fn, void *arg)
{
    list_ctx lc = {fn, arg};
    pthread_mutex_lock(&db->lock);
    int rc = kv_scan(db->kv, "u/", 2, NULL, 0, list_one, &lc);
    pthread_mutex_unlock(&db->lock);
    return rc < 0 ? rc : VEIL_OK;
}

static int stop_at_first(void *arg, const replay_user *u)
{
    (void)u;
    *(bool *)arg = true;
    return 1;
}

bool console_has_users(console_db *db)
{
    bool any = false;
    return console_user_list(db, stop_at_first, &any) == VEIL_OK && any;
}

/* Loads the user, lets `change` edit it, stores it and audits `action`;
 * all under the lock. */
typedef int (*user_change_fn)(user_record *r, const void *arg, veil_error *err);

static int change_user(console_db *db, const char *name, user_change_fn change, const void *arg,
                       const char *actor, const char *action, veil_error *err)
{
    user_record *r = malloc(sizeof *r);
    if (!r)
        return veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    pthread_mutex_lock(&db->lock);
    int rc = user_load(db, name, r);
    if (rc)
        veil_fail(err, rc, rc == VEIL_ENOTFOUND ? "no such user" : "the user record is damaged", 0);
    else if (!(rc = change(r, arg, err)) && (rc = user_store(db, r)))
        veil_fail(err, rc, "cannot write the console database", 0);
    pthread_mutex_unlock(&db->lock);
    if (!rc && console_audit(db, actor, ROLE_ADMIN, action, name, "ok", "cli") != VEIL_OK)
        rc = veil_fail(err, VEIL_EIO, "the change is made but the audit log cannot be written", 0);
    user_wipe(r);
    free(r);
    return rc;
}

int console_user_add(console_db *db, const replay_policy *pol, const char *name, replay_role role,
                     const char *actor, char one_time_password[33], veil_error *err)
{
    (void)pol; /* a one-time password is random: the policy applies to the user's own */
    if (!user_name_ok(name))
        return veil_fail(err, VEIL_EINVAL,
                         "a user name is 1-64 characters of a-z, 0-9, '.', '_' and '-'", 0);
    if (role == ROLE_NONE)
        return veil_fail(err, VEIL_EINVAL, "roles: alerts, standard, analytics, admin", 0);
    user_record *r = calloc(1, sizeof *r);
    if (!r)
        return veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    password_random(one_time_password);
    int rc = password_hash(one_time_password, r->hash);
    pthread_mutex_lock(&db->lock);
    user_record *have = calloc(1, sizeof *have);
    if (!rc && (!have || user_load(db, name, have) != VEIL_ENOTFOUND))
        rc = veil_fail(err, have ? VEIL_EEXIST : VEIL_ENOMEM, "that user exists already", 0);
    if (!rc) {
        snprintf(r->u.name, sizeof r->u.name, "%s", name);
        r->u.role = role;
        r->u.must_change = true;
        r->u.created_ms = r->password_changed_ms = veil_now_ms();
        if ((rc = user_store(db, r)))
            veil_fail(err, rc, "cannot write the console database", 0);
    }
    pthread_mutex_unlock(&db->lock);
    if (!rc && console_audit(db, actor, ROLE_ADMIN, "user.add", name, replay_role_name(role),
                             "cli") != VEIL_OK)
        rc = veil_fail(err, VEIL_EIO, "the user is added but the audit log cannot be written", 0);
    if (have)
        user_wipe(have);
    free(have);
    user_wipe(r);
    free(r);
    if (rc)
        sodium_memzero(one_time_password, 33);
    return rc;
}

static int reset_password(user_record *r, const void *arg, veil_error *err)
{
    const char *password = arg;
    int rc = password_hash(password, r->hash);
    if (rc)
        return veil_fail(err, rc, "cannot hash the password", 0);
    r->u.must_change = true;
    r->password_changed_ms = veil_now_ms();
    r->u.locked_until_ms = 0;
    r->failed_in_row = 0;
    return VEIL_OK;
}

int console_user_reset(console_db *db, const char *name, const char *actor,
                       char one_time_password[33], veil_error *err)
{
    password_random(one_time_password);
    int rc = change_user(db, name, reset_password, one_time_password, actor, "user.reset", err);
    if (rc)
        sodium_memzero(one_time_password, 33);
    return rc;
}

static int set_role(user_record *r, const void *arg, veil_error *err)
{
    replay_role role = *(const replay_role *)arg;
    if (role == ROLE_NONE)
        return veil_fail(err, VEIL_EINVAL, "roles: alerts, standard, analytics, admin", 0);
    r->u.role = role;
    return VEIL_OK;
}

int console_user_set_role(console_db *db, const char *name, replay_role role, const char *actor,
                          veil_error *err)
{
    char action[40];
    snprintf(action, sizeof action, "user.role:%s", replay_role_name(role));
    return change_user(db, name, set_role, &role, actor, action, err);
}

typedef struct {
    const char *site;
    bool grant;
} grant_arg;

static int grant_site(user_record *r, const void *arg, veil_error *err)
{
    const grant_arg *g = arg;
    replay_user *u = &r->u;
    int at = -1;
    for (int i = 0; i < u->n_sites; i++)
        if (!strcmp(u->sites[i], g->site))
            at = i;
    if (g->grant && at < 0) {
        if (u->n_sites == 32 || strlen(g->site) > 64 || !store_valid_id(g->site))
            return veil_fail(err, VEIL_EINVAL, "at most 32 sites, each a valid site name", 0);
        strcpy(u->sites[u->n_sites++], g->site);
    } else if (!g->grant && at >= 0) {
        memmove(u->sites[at], u->sites[at + 1], (size_t)(u->n_sites - at - 1) * sizeof u->sites[0]);
        u->n_sites--;
    }
    return VEIL_OK;
}

int console_user_grant(console_db *db, const char *name, const char *site, bool grant,
                       const char *actor, veil_error *err)
{
    grant_arg g = {site, grant};
    char action[120];
    snprintf(action, sizeof action, "user.%s:%.64s", grant ? "grant" : "revoke", site);
    return change_user(db, name, grant_site, &g, actor, action, err);
}

static int set_disabled(user_record *r, const void *arg, veil_error *err)
{
    (void)err;
    r->u.disabled = *(const bool *)arg;
    if (!r->u.disabled)
        r->u.last_login_ms = veil_now_ms(); /* re-enabled: not dormant again at once */
    return VEIL_OK;
}

int console_user_set_disabled(console_db *db, const char *name, bool disabled, const char *actor,
                              veil_error *err)
{
    return change_user(db, name, set_disabled, &disabled, actor,
                       disabled ? "user.disable" : "user.enable", err);
}

static int unlock(user_record *r, const void *arg, veil_error *err)
{
    (void)arg;
    (void)err;
    r->u.locked_until_ms = 0;
    r->failed_in_row = 0;
    return VEIL_OK;
}

int console_user_unlock(console_db *db, const char *name, const char *actor, veil_error *err)
{
    return change_user(db, name, unlock, NULL, actor, "user.unlock", err);
}

/* ---- the audit chain ----------------------------------------------------------------------- */

static json_t *audit_to_json(const audit_record *a)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)a->seq,
                     "at", (json_int_t)a->at_ms, "actor", a->actor, "role", a->role, "action",
                     a->action, "object", a->object, "outcome", a->outcome, "ip", a->ip, "prev",
                     a->prev);
}

/* SHA-256 hex of the record's canonical form (without its hash). */
static int audit_hash(const audit_record *a, char out[65])
{
    json_t *o = audit_to_json(a);
    char *canon = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!canon)
        return VEIL_ENOMEM;
    uint8_t digest[32];
    unsigned len = 0;
    int ok = EVP_Digest(canon, strlen(canon), digest, &len, EVP_sha256(), NULL);
    free(canon);
    if (!ok)
        return VEIL_ECRYPTO;
    hex(digest, sizeof digest, out);
    return VEIL_OK;
}

static bool audit_from_json(json_t *o, audit_record *a)
{
    memset(a, 0, sizeof *a);
    a->seq = int_field(o, "seq");
    a->at_ms = int_field(o, "at");
    return a->seq && copy_field(o, "actor", a->actor, sizeof a->actor) &&
           copy_field(o, "role", a->role, sizeof a->role) &&
           copy_field(o, "action", a->action, sizeof a->action) &&
           copy_field(o, "object", a->object, sizeof a->object) &&
           copy_field(o, "outcome", a->outcome, sizeof a->outcome) &&
           copy_field(o, "ip", a->ip, sizeof a->ip) &&
           copy_field(o, "prev", a->prev, sizeof a->prev) &&
           copy_field(o, "hash", a->hash, sizeof a->hash);
}

/* "SEQ:HASH" from m/audit-head or m/audit-base; 0 and zeros when absent. */
static int read_mark(console_db *db, const char *key, uint64_t *seq, char hash[65])
{
    veil_buf v = {0};
    *seq = 0;
    strcpy(hash, ZERO_HASH);
    int rc = kv_get(db->kv, key, strlen(key), &v);
    if (rc == VEIL_ENOTFOUND) {
        veil_buf_free(&v);
        return VEIL_OK;
    }
    char *colon = rc ? NULL : strchr(v.data, ':');
    if (!rc && (!colon || strlen(colon + 1) != 64))
        rc = VEIL_ECORRUPT;
    if (!rc) {
        *seq = strtoull(v.data, NULL, 10);
        memcpy(hash, colon + 1, 65);
    }
    veil_buf_free(&v);
    return rc;
}

static void put_mark(kv_batch *b, const char *key, uint64_t seq, const char *hash)
{
    char v[100];
    int n = snprintf(v, sizeof v, "%llu:%s", (unsigned long long)seq, hash);
    kv_batch_put(b, key, strlen(key), v, (size_t)n);
}

static void audit_key(char key[10], uint64_t seq)
{
    key[0] = 'a';
    key[1] = '/';
    veil_be64_put((uint8_t *)key + 2, seq);
}

/* Text from outside goes into the log without control characters. */
static void clean_copy(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n + 1 < cap; p++)
        out[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
    out[n] = '\0';
}

int console_audit(console_db *db, const char *actor, replay_role role, const char *action,
                  const char *object, const char *outcome, const char *ip)
{
    audit_record a = {.at_ms = db->clock_ms()};
    clean_copy(a.actor, sizeof a.actor, actor);
    clean_copy(a.role, sizeof a.role, role ? replay_role_name(role) : "-");
    clean_copy(a.action, sizeof a.action, action);
    clean_copy(a.object, sizeof a.object, object);
    clean_copy(a.outcome, sizeof a.outcome, outcome);
    clean_copy(a.ip, sizeof a.ip, ip);
    pthread_mutex_lock(&db->lock);
    uint64_t head_seq;
    int rc = read_mark(db, "m/audit-head", &head_seq, a.prev);
    if (!rc && head_seq == 0) /* the first record, or the first after every one expired */
        rc = read_mark(db, "m/audit-base", &head_seq, a.prev);
    a.seq = head_seq + 1;
    if (!rc)
        rc = audit_hash(&a, a.hash);
    json_t *o = rc ? NULL : audit_to_json(&a);
    if (o)
        json_object_set_new(o, "hash", json_string(a.hash));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    kv_batch *b = text ? kv_batch_new() : NULL;
    if (!rc && !b)
        rc = VEIL_ENOMEM;
    if (!rc) {
        char key[10];
        audit_key(key, a.seq);
        kv_batch_put(b, key, sizeof key, text, strlen(text));
        put_mark(b, "m/audit-head", a.seq, a.hash);
        rc = kv_write(db->kv, b, true);
    }
    kv_batch_free(b);
    free(text);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

typedef struct {
    console_audit_fn fn;
    void *arg;
    uint64_t from;
} audit_list_ctx;

static int audit_one(void *arg, const char *k, size_t kl, const char *v, size_t vl)
{
    audit_list_ctx *c = arg;
    audit_record a;
    json_t *o = json_loadb(v, vl, 0, NULL);
    bool ok = o && audit_from_json(o, &a);
    json_decref(o);
    uint64_t key_seq = kl == 10 ? veil_be64_get((const uint8_t *)k + 2) : 0;
    if (!ok || key_seq != a.seq) { /* listed as unreadable: verify names it */
        memset(&a, 0, sizeof a);
        a.seq = key_seq;
    }
    return a.seq < c->from ? 0 : c->fn(c->arg, &a);
}

int console_audit_list(console_db *db, uint64_t from_seq, console_audit_fn fn, void *arg)
{
    audit_list_ctx c = {fn, arg, from_seq};
    char after[10];
    audit_key(after, from_seq > 1 ? from_seq - 1 : 0);
    int rc = kv_scan(db->kv, "a/", 2, from_seq > 1 ? after : NULL, from_seq > 1 ? sizeof after : 0,
                     audit_one, &c);
    return rc < 0 ? rc : VEIL_OK;
}

typedef struct {
    audit_verdict *v;
    uint64_t expect_seq;
    char expect_hash[65];
    bool expect_seen;
    char prev[65];
    uint64_t next_seq;
} verify_ctx;

static int verify_fail(verify_ctx *c, uint64_t seq, const char *problem)
{
    c->v->bad_seq = seq ? seq : c->next_seq;
    snprintf(c->v->problem, sizeof c->v->problem, "%s", problem);
    return 1;
}

static int verify_one(void *arg, const audit_record *a)
{
    verify_ctx *c = arg;
    char want[65];
    if (!a->actor[0] && !a->hash[0])
        return verify_fail(c, a->seq, "the record is not a readable audit record (edited?)");
    if (a->seq != c->next_seq)
        return verify_fail(c, c->next_seq,
                           a->seq > c->next_seq ? "records are missing before this one (deleted?)"
                                                : "the record is out of order (reordered?)");
    if (strcmp(a->prev, c->prev))
        return verify_fail(c, a->seq,
                           "its prev does not match the record before (edited, "
                           "deleted or reordered?)");
    if (audit_hash(a, want) || strcmp(want, a->hash))
        return verify_fail(c, a->seq, "its hash does not match its content (edited?)");
    if (c->expect_seq == a->seq)
        c->expect_seen = !strcmp(c->expect_hash, a->hash);
    if (!c->v->first_seq)
        c->v->first_seq = a->seq;
    c->v->last_seq = a->seq;
    c->v->records++;
    strcpy(c->prev, a->hash);
    c->next_seq = a->seq + 1;
    return 0;
}

int console_audit_verify(console_db *db, const char *expect, audit_verdict *v)
{
    memset(v, 0, sizeof *v);
    verify_ctx c = {.v = v};
    if (expect) {
        const char *colon = strchr(expect, ':');
        if (!colon || strlen(colon + 1) != 64)
            return VEIL_EINVAL;
        c.expect_seq = strtoull(expect, NULL, 10);
        memcpy(c.expect_hash, colon + 1, 65);
    }
    uint64_t base_seq, head_seq;
    char head_hash[65];
    pthread_mutex_lock(&db->lock);
    int rc = read_mark(db, "m/audit-base", &base_seq, c.prev);
    if (!rc)
        rc = read_mark(db, "m/audit-head", &head_seq, head_hash);
    c.next_seq = base_seq + 1;
    pthread_mutex_unlock(&db->lock);
    if (!rc)
        rc = console_audit_list(db, 0, verify_one, &c);
    if (rc)
        return rc;
    strcpy(v->head, c.prev);
    if (!v->bad_seq && (head_seq != c.next_seq - 1 || strcmp(head_hash, c.prev)) &&
        !(head_seq == 0 && c.next_seq == base_seq + 1))
        verify_fail(&c, c.next_seq,
                    "the log ends before its head record says it does (truncated?)");
    if (!v->bad_seq && expect && c.expect_seq > base_seq && !c.expect_seen)
        verify_fail(&c, c.expect_seq, "the record kept as a checkpoint is gone or changed");
    return v->bad_seq ? VEIL_ECORRUPT : VEIL_OK;
}

typedef struct {
    uint64_t before_ms, last_seq;
    char last_hash[65];
    kv_batch *b;
    uint64_t removed;
} expire_ctx;

static int expire_one(void *arg, const audit_record *a)
{
    expire_ctx *c = arg;
    if (a->at_ms >= c->before_ms || !a->hash[0])
        return 1; /* records are in time order: the rest are younger */
    char key[10];
    audit_key(key, a->seq);
    kv_batch_delete(c->b, key, sizeof key);
    c->last_seq = a->seq;
    strcpy(c->last_hash, a->hash);
    c->removed++;
    return 0;
}

int console_audit_expire(console_db *db, int retention_days, uint64_t *removed)
{
    *removed = 0;
    if (retention_days <= 0)
        return VEIL_OK;
    expire_ctx c = {.before_ms = db->clock_ms() - (uint64_t)retention_days * 86400000u,
                    .b = kv_batch_new()};
    if (!c.b)
        return VEIL_ENOMEM;
    int rc = console_audit_list(db, 0, expire_one, &c);
    if (!rc && c.removed) {
        pthread_mutex_lock(&db->lock);
        uint64_t head_seq;
        char head_hash[65];
        rc = read_mark(db, "m/audit-head", &head_seq, head_hash);
        put_mark(c.b, "m/audit-base", c.last_seq, c.last_hash);
        if (!rc && head_seq == c.last_seq) /* all of them expired: the next starts from base */
            kv_batch_delete(c.b, "m/audit-head", 12);
        if (!rc)
            rc = kv_write(db->kv, c.b, true);
        pthread_mutex_unlock(&db->lock);
        *removed = c.removed;
    }
    kv_batch_free(c.b);
    return rc;
}
