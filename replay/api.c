/*
 * api.c - the console's JSON API (DESIGN.md, "Console API"). Every request
 * goes through api_handle(): the route, then the web session (401), the
 * CSRF token on anything that changes state (403), the user as the
 * database has them now (a disable or a role change counts at once), the
 * role's permission for the route (403, deny by default), and for objects
 * the user's sites (404: no hint that another site's object exists). Only
 * then a handler runs. Password hashing and store reads run as jobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../masker/masker.h"
#include "internal.h"

/* ---- who may call what ----------------------------------------------------------------------- */

typedef struct {
    enum route route;
    unsigned methods;  /* 1 << enum http_method */
    int roles;         /* 1 << replay_role */
    bool before_setup; /* allowed while a password change or TOTP enrolment is due */
} permission;

#define M(m)    (1u << METHOD_##m)
#define R(r)    (1 << ROLE_##r)
#define ANYONE  (R(ALERTS) | R(STANDARD) | R(ANALYTICS) | R(ADMIN))
#define READERS (R(STANDARD) | R(ANALYTICS) | R(ADMIN))

static const permission PERMISSIONS[] = {
    {ROUTE_LOGOUT, M(POST), ANYONE, true},
    {ROUTE_ME, M(GET), ANYONE, true},
    {ROUTE_PASSWORD, M(POST), ANYONE, true},
    {ROUTE_TOTP_ENROLL, M(POST), ANYONE, true},
    {ROUTE_TOTP_CONFIRM, M(POST), ANYONE, true},
    {ROUTE_ALERTS, M(GET), ANYONE, false},
    {ROUTE_ALERT_ACK, M(POST), ANYONE, false},
    {ROUTE_SESSIONS, M(GET), READERS, false},
    {ROUTE_SESSION, M(GET), READERS, false},
    {ROUTE_SESSION_EVENTS, M(GET), READERS, false},
    {ROUTE_SESSION_EXPORT, M(GET), R(ANALYTICS) | R(ADMIN), false},
    {ROUTE_SEARCH, M(GET), R(ANALYTICS) | R(ADMIN), false},
    {ROUTE_USERS, M(GET) | M(POST), R(ADMIN), false},
    {ROUTE_USER, M(GET) | M(PATCH), R(ADMIN), false},
    {ROUTE_SITES, M(GET) | M(PATCH), R(ADMIN), false},
    {ROUTE_KEYS, M(GET), R(ADMIN), false},
    {ROUTE_KEYS_ROTATE, M(POST), R(ADMIN), false},
    {ROUTE_AUDIT, M(GET), R(ADMIN), false},
    {ROUTE_AUDIT_VERIFY, M(GET), R(ADMIN), false},
};

static const permission *permission_of(enum route route)
{
    for (size_t i = 0; i < sizeof PERMISSIONS / sizeof PERMISSIONS[0]; i++)
        if (PERMISSIONS[i].route == route)
            return &PERMISSIONS[i];
    return NULL;
}

/* What one call knows once it is allowed. */
typedef struct {
    replay *r;
    request *req;
    route_match m;
    web_session *ws;
    replay_user u;
} call;

static bool site_allowed(const call *c, const char *site)
{
    bool configured = false;
    for (int i = 0; i < c->r->cfg.n_sites; i++)
        configured |= !strcmp(c->r->cfg.sites[i].name, site);
    if (!configured)
        return false;
    if (c->u.role == ROLE_ADMIN)
        return true;
    for (int i = 0; i < c->u.n_sites; i++)
        if (!strcmp(c->u.sites[i], site))
            return true;
    return false;
}

static void audit(const call *c, const char *action, const char *object, const char *outcome)
{
    if (console_audit(c->r->cfg.db, c->u.name, c->u.role, action, object, outcome,
                      request_ip(c->req)))
        fprintf(stderr, "veil serve: console: cannot write the audit log\n");
}

static json_t *sites_json(const call *c)
{
    json_t *a = json_array();
    for (int i = 0; i < c->r->cfg.n_sites; i++)
        if (site_allowed(c, c->r->cfg.sites[i].name))
            json_array_append_new(a, json_string(c->r->cfg.sites[i].name));
    return a;
}

/* ---- login ---------------------------------------------------------------------------------- */

typedef struct {
    job j;
    replay *r;
    request *req;
    char user[65], password[257], totp[20], recovery[24], ip[64];
    /* the outcome */
    unsigned status;
    const char *error;
    bool totp_required;
    replay_user u;
    uint64_t previous_login;
    char previous_ip[64];
    int failed_since;
} login_job;

/* A hash to verify against when the user does not exist, so that an
 * unknown name takes as long as a wrong password. */
static char dummy_hash[crypto_pwhash_STRBYTES];

static bool dormant(const replay_policy *p, const user_record *rec, uint64_t now)
{
    uint64_t since = rec->u.last_login_ms ? rec->u.last_login_ms : rec->u.created_ms;
    return p->dormant_days > 0 && now - since > (uint64_t)p->dormant_days * 86400000u;
}

static void login_failed(login_job *l, user_record *rec, const replay_policy *p, uint64_t now)
{
    rec->failed_in_row++;
    rec->u.failed_since_login++;
    l->status = HTTP_STATUS_UNAUTHORIZED;
    l->error = "wrong user name, password or code";
    if (p->lockout_threshold && rec->failed_in_row >= p->lockout_threshold) {
        rec->u.locked_until_ms =
            p->lockout_minutes ? now + (uint64_t)p->lockout_minutes * 60000 : UINT64_MAX;
        l->status = 423;
        l->error = "too many failed logins: the account is locked";
    }
}

/* Runs on a worker: the hashing, and the user's record read and written
 * under the database lock. */
static void login_run(job *j)
{
    login_job *l = (login_job *)j;
    console_db *db = l->r->cfg.db;
    const replay_policy *p = &l->r->cfg.policy;
    uint64_t now = veil_now_ms();
    user_record *rec = malloc(sizeof *rec);
    if (!rec) {
        l->status = HTTP_STATUS_SERVICE_UNAVAILABLE;
        l->error = "out of memory";
        return;
    }
    pthread_mutex_lock(&db->lock);
    bool known = user_load(db, l->user, rec) == VEIL_OK;
    bool password_ok = password_verify(known ? rec->hash : dummy_hash, l->password);
    l->status = HTTP_STATUS_OK;
    if (!known) {
        l->status = HTTP_STATUS_UNAUTHORIZED;
        l->error = "wrong user name, password or code";
    } else if (rec->u.locked_until_ms > now) {
        l->status = 423;
        l->error = "the account is locked after too many failed logins";
    } else if (rec->u.disabled || dormant(p, rec, now)) {
        rec->u.disabled = true;
        l->status = HTTP_STATUS_FORBIDDEN;
        l->error = "the account is disabled (an admin can enable it)";
    } else if (!password_ok) {
        login_failed(l, rec, p, now);
    } else if (rec->u.totp_enrolled && !l->totp[0] && !l->recovery[0]) {
        l->status = HTTP_STATUS_UNAUTHORIZED;
        l->error = "enter the code from your authenticator app";
        l->totp_required = true;
    } else if (rec->u.totp_enrolled && !(l->totp[0] ? totp_check(rec, l->totp, now)
                                                    : recovery_code_use(rec, l->recovery))) {
        login_failed(l, rec, p, now);
        l->totp_required = true;
    }
    if (known && l->status == HTTP_STATUS_OK) {
        l->previous_login = rec->u.last_login_ms;
        snprintf(l->previous_ip, sizeof l->previous_ip, "%s", rec->last_login_ip);
        l->failed_since = rec->u.failed_since_login;
        rec->u.last_login_ms = now;
        snprintf(rec->last_login_ip, sizeof rec->last_login_ip, "%s", l->ip);
        rec->failed_in_row = rec->u.failed_since_login = 0;
        rec->u.locked_until_ms = 0;
        if (p->max_age_days &&
            now - rec->password_changed_ms > (uint64_t)p->max_age_days * 86400000u)
            rec->u.must_change = true; /* expired: changed at this login */
    }
    if (known && user_store(db, rec) && l->status == HTTP_STATUS_OK) {
        l->status = HTTP_STATUS_SERVICE_UNAVAILABLE;
        l->error = "cannot write the console database";
    }
    l->u = rec->u;
    pthread_mutex_unlock(&db->lock);
    user_wipe(rec);
    free(rec);
    sodium_memzero(l->password, sizeof l->password);
}

static void login_done(job *j)
{
    login_job *l = (login_job *)j;
    request *req = l->req;
    call c = {.r = l->r, .req = req, .u = l->u};
    if (!l->u.name[0])
        snprintf(c.u.name, sizeof c.u.name, "%s", l->user);
    audit(&c, "login", "-",
          l->status == HTTP_STATUS_OK ? "ok"
          : l->status == 423          ? "locked"
                                      : "failed");
    if (request_gone(req)) {
        /* the browser left: nothing to answer */
    } else if (l->status != HTTP_STATUS_OK) {
        respond_json(req, l->status,
                     json_pack("{s:s, s:b}", "error", l->error, "totp_required", l->totp_required),
                     NULL);
    } else {
        char token[WEB_TOKEN_CHARS + 1], cookie[200];
        web_session *ws = websess_new(&l->r->sessions, l->u.name, l->u.role, token);
        if (!ws) {
            respond_error(req, HTTP_STATUS_SERVICE_UNAVAILABLE, "out of memory");
        } else {
            ws->must_change = l->u.must_change;
            ws->must_enroll = l->u.role == ROLE_ADMIN && !l->u.totp_enrolled;
            c.ws = ws;
            snprintf(cookie, sizeof cookie,
                     "__Host-veil=%s; Path=/; Secure; HttpOnly; SameSite=Strict", token);
            respond_json(req, HTTP_STATUS_OK,
                         json_pack("{s:s, s:s, s:o, s:s, s:b, s:b, s:I, s:s, s:i}", "user",
                                   l->u.name, "role", replay_role_name(l->u.role), "sites",
                                   sites_json(&c), "csrf", ws->csrf, "must_change_password",
                                   ws->must_change, "must_enroll_totp", ws->must_enroll,
                                   "last_login", (json_int_t)l->previous_login, "last_login_ip",
                                   l->previous_ip, "failed_since", l->failed_since),
                         cookie);
            sodium_memzero(token, sizeof token);
            sodium_memzero(cookie, sizeof cookie);
        }
    }
    request_release(req);
    sodium_memzero(l, sizeof *l);
    free(l);
}

static void handle_login(replay *r, request *req)
{
    size_t len;
    const char *body = request_body(req, &len);
    json_t *o = request_json(body, len);
    login_job *l = calloc(1, sizeof *l);
    if (!l || !o || !request_string(o, "user", l->user, sizeof l->user) ||
        !request_string(o, "password", l->password, sizeof l->password)) {
        json_decref(o);
        free(l);
        return respond_error(req, HTTP_STATUS_BAD_REQUEST,
                             "expected {\"user\":...,\"password\":...} (password up to 256 bytes)");
    }
    if (json_object_get(o, "totp") && !request_string(o, "totp", l->totp, sizeof l->totp))
        l->totp[0] = '\0';
    if (json_object_get(o, "recovery") &&
        !request_string(o, "recovery", l->recovery, sizeof l->recovery))
        l->recovery[0] = '\0';
    json_decref(o);
    snprintf(l->ip, sizeof l->ip, "%s", request_ip(req));
    l->r = r;
    l->req = req;
    l->j = (job){.run = login_run, .done = login_done, .arg = l};
    request_hold(req);
    jobs_submit(r->jobs, &l->j);
}

/* ---- me, logout, password, TOTP -----------------------------------------------------------------
 */

static void handle_me(call *c)
{
    respond_json(c->req, HTTP_STATUS_OK,
                 json_pack("{s:s, s:s, s:o, s:s, s:b, s:b, s:b}", "user", c->u.name, "role",
                           replay_role_name(c->u.role), "sites", sites_json(c), "csrf", c->ws->csrf,
                           "must_change_password", c->ws->must_change, "must_enroll_totp",
                           c->ws->must_enroll, "totp", c->u.totp_enrolled),
                 NULL);
}

static void handle_logout(call *c)
{
    audit(c, "logout", "-", "ok");
    websess_end(&c->r->sessions, c->ws);
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:b}", "ok", true),
                 "__Host-veil=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

typedef struct {
    job j;
    replay *r;
    request *req;
    char user[65], old_password[257], new_password[257];
    const char *error;
    unsigned status;
} password_job;

static void password_run(job *j)
{
    password_job *p = (password_job *)j;
    console_db *db = p->r->cfg.db;
    user_record *rec = malloc(sizeof *rec);
    p->status = HTTP_STATUS_OK;
    pthread_mutex_lock(&db->lock);
    if (!rec || user_load(db, p->user, rec)) {
        p->status = HTTP_STATUS_SERVICE_UNAVAILABLE;
        p->error = "cannot read the user";
    } else if (!password_verify(rec->hash, p->old_password)) {
        p->status = HTTP_STATUS_FORBIDDEN;
        p->error = "the current password is wrong";
    } else if ((p->error = password_problem(&p->r->cfg.policy, p->user, p->new_password, rec))) {
        p->status = HTTP_STATUS_BAD_REQUEST;
    } else if (password_set(rec, &p->r->cfg.policy, p->new_password) || user_store(db, rec)) {
        p->status = HTTP_STATUS_SERVICE_UNAVAILABLE;
        p->error = "cannot store the new password";
    }
    pthread_mutex_unlock(&db->lock);
    if (rec)
        user_wipe(rec);
    free(rec);
    sodium_memzero(p->old_password, sizeof p->old_password);
    sodium_memzero(p->new_password, sizeof p->new_password);
}

/* The web session a job started from, if it still exists. */
static web_session *session_of(replay *r, const char *user, request *req)
{
    char token[WEB_TOKEN_CHARS + 8];
    request_session_cookie(req, token, sizeof token);
    web_session *ws = websess_find(&r->sessions, token, veil_now_ms());
    sodium_memzero(token, sizeof token);
    return ws && !strcmp(ws->user, user) ? ws : NULL;
}

static void password_done(job *j)
{
    password_job *p = (password_job *)j;
    call c = {.r = p->r, .req = p->req};
    snprintf(c.u.name, sizeof c.u.name, "%s", p->user);
    audit(&c, "password.change", p->user, p->status == HTTP_STATUS_OK ? "ok" : "refused");
    if (!request_gone(p->req)) {
        web_session *ws = session_of(p->r, p->user, p->req);
        if (p->status == HTTP_STATUS_OK && ws) {
            ws->must_change = false;
            websess_end_user(&p->r->sessions, p->user, ws); /* other sessions end (ASVS 3.3.3) */
        }
        if (p->status == HTTP_STATUS_OK)
            respond_json(p->req, HTTP_STATUS_OK, json_pack("{s:b}", "ok", true), NULL);
        else
            respond_error(p->req, p->status, p->error);
    }
    request_release(p->req);
    sodium_memzero(p, sizeof *p);
    free(p);
}

static void handle_password(call *c, json_t *body)
{
    password_job *p = calloc(1, sizeof *p);
    if (!p || !body || !request_string(body, "old", p->old_password, sizeof p->old_password) ||
        !request_string(body, "new", p->new_password, sizeof p->new_password)) {
        free(p);
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST, "expected {\"old\":...,\"new\":...}");
    }
    p->r = c->r;
    p->req = c->req;
    snprintf(p->user, sizeof p->user, "%s", c->u.name);
    p->j = (job){.run = password_run, .done = password_done, .arg = p};
    request_hold(c->req);
    jobs_submit(c->r->jobs, &p->j);
}

/* Loads the caller's record, lets fn change it, stores it (service thread:
 * no hashing here). */
static int edit_self(call *c, int (*fn)(call *c, user_record *rec, void *arg), void *arg)
{
    console_db *db = c->r->cfg.db;
    user_record *rec = malloc(sizeof *rec);
    if (!rec)
        return VEIL_ENOMEM;
    pthread_mutex_lock(&db->lock);
    int rc = user_load(db, c->u.name, rec);
    if (!rc && !(rc = fn(c, rec, arg)))
        rc = user_store(db, rec);
    pthread_mutex_unlock(&db->lock);
    user_wipe(rec);
    free(rec);
    return rc;
}

static int offer_totp(call *c, user_record *rec, void *arg)
{
    (void)c;
    if (rec->u.totp_enrolled)
        return VEIL_EEXIST;
    randombytes_buf(rec->totp_pending, sizeof rec->totp_pending);
    rec->totp_pending_set = true;
    totp_secret_base32(rec->totp_pending, arg);
    return VEIL_OK;
}

static void handle_totp_enroll(call *c)
{
    char secret[33], uri[300];
    int rc = edit_self(c, offer_totp, secret);
    if (rc == VEIL_EEXIST)
        return respond_error(c->req, 409, "TOTP is enrolled already");
    if (rc)
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot store the secret");
    snprintf(uri, sizeof uri, "otpauth://totp/Veil:%s?secret=%s&issuer=Veil&digits=6&period=30",
             c->u.name, secret);
    char *svg = totp_qr_svg(uri);
    respond_json(
        c->req, HTTP_STATUS_OK,
        json_pack("{s:s, s:s, s:s}", "secret", secret, "uri", uri, "qr_svg", svg ? svg : ""), NULL);
    free(svg);
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(uri, sizeof uri);
}

typedef struct {
    const char *code;
    char codes[RECOVERY_CODES][20];
} confirm_arg;

static int confirm_totp(call *c, user_record *rec, void *arg)
{
    (void)c;
    confirm_arg *a = arg;
    if (!rec->totp_pending_set || rec->u.totp_enrolled)
        return VEIL_ENOTFOUND;
    memcpy(rec->totp_secret, rec->totp_pending, sizeof rec->totp_secret);
    rec->u.totp_enrolled = true;
    if (!totp_check(rec, a->code, veil_now_ms())) {
        rec->u.totp_enrolled = false;
        return VEIL_EINVAL;
    }
    rec->totp_pending_set = false;
    sodium_memzero(rec->totp_pending, sizeof rec->totp_pending);
    recovery_codes_new(rec, a->codes);
    return VEIL_OK;
}

static void handle_totp_confirm(call *c, json_t *body)
{
    char code[16];
    if (!body || !request_string(body, "code", code, sizeof code))
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST, "expected {\"code\":\"123456\"}");
    confirm_arg a = {.code = code};
    int rc = edit_self(c, confirm_totp, &a);
    audit(c, "totp.enroll", c->u.name, rc ? "refused" : "ok");
    if (rc == VEIL_ENOTFOUND)
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST, "start with /api/totp/enroll");
    if (rc)
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST,
                             "the code does not match: check the phone's clock");
    c->ws->must_enroll = false;
    json_t *codes = json_array();
    for (int i = 0; i < RECOVERY_CODES; i++)
        json_array_append_new(codes, json_string(a.codes[i]));
    sodium_memzero(&a, sizeof a);
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "recovery_codes", codes), NULL);
}

/* ---- alerts ---------------------------------------------------------------------------------- */

typedef struct {
    json_t *list;
    size_t max;
} alert_list;

static int add_alert(void *arg, const store_alert *a)
{
    alert_list *l = arg;
    if (json_array_size(l->list) >= l->max)
        return 1;
    json_array_append_new(l->list,
                          json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:I}", "site", a->site, "id",
                                    (json_int_t)a->id, "kind", a->kind, "count",
                                    (json_int_t)a->count, "at", (json_int_t)a->at_ms, "acked_by",
                                    a->acked_by, "acked_at", (json_int_t)a->acked_ms));
    return 0;
}

static void handle_alerts(call *c)
{
    char site[80] = "";
    bool one = request_query(c->req, "site", site, sizeof site);
    if (one && !site_allowed(c, site))
        return respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such site");
    alert_list l = {json_array(), 500};
    for (int i = 0; i < c->r->cfg.n_sites; i++) {
        const char *name = c->r->cfg.sites[i].name;
        if ((one && strcmp(name, site)) || !site_allowed(c, name))
            continue;
        if (store_alert_list(c->r->cfg.st, name, add_alert, &l) < 0)
            break;
    }
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "alerts", l.list), NULL);
}

static void handle_alert_ack(call *c)
{
    const char *site = c->m.params[0];
    char *end;
    uint64_t id = strtoull(c->m.params[1], &end, 10);
    if (*end || !site_allowed(c, site))
        return respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such alert");
    int rc = store_alert_ack(c->r->cfg.st, site, id, c->u.name);
    char object[200];
    snprintf(object, sizeof object, "%s/%s", site, c->m.params[1]);
    audit(c, "alert.ack", object, rc ? "failed" : "ok");
    if (rc == VEIL_ENOTFOUND)
        return respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such alert");
    if (rc)
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot store the ack");
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:b}", "ok", true), NULL);
}

/* ---- sessions -----------------------------------------------------------------------------------
 */

static const replay_site *site_named(const replay *r, const char *name)
{
    for (int i = 0; i < r->cfg.n_sites; i++)
        if (!strcmp(r->cfg.sites[i].name, name))
            return &r->cfg.sites[i];
    return NULL;
}

static json_t *session_json(const replay *r, const store_session_info *s)
{
    json_t *masks = json_object();
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        if (s->stats.masks[k])
            json_object_set_new(masks, masker_finding_name((enum masker_finding)k),
                                json_integer((json_int_t)s->stats.masks[k]));
    const replay_site *site = site_named(r, s->site);
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:I, s:I, s:I, s:I, s:o, s:b, s:b}", "session",
                     s->session_id, "site", s->site, "created", (json_int_t)s->created_ms,
                     "updated", (json_int_t)s->updated_ms, "duration_ms",
                     (json_int_t)(s->updated_ms - s->created_ms), "chunks", (int)s->chunks,
                     "masked_bytes", (json_int_t)s->plain_bytes, "stored_bytes",
                     (json_int_t)s->stored_bytes, "events", (json_int_t)s->stats.events, "pages",
                     (json_int_t)s->stats.pages, "masks", masks, "readable",
                     !s->damaged && !s->key_missing && s->key_version, "replay_assets",
                     site && site->replay_assets);
}

typedef struct {
    const call *c;
    json_t *list;
    uint64_t from, to;
    char cursor[65];
    size_t limit;
    char next[65];
    bool more;
} session_page;

static int add_session(void *arg, const store_session_info *s)
{
    session_page *p = arg;
    if (s->damaged || !site_allowed(p->c, s->site) ||
        (p->cursor[0] && strcmp(s->session_id, p->cursor) <= 0) ||
        (p->from && s->created_ms < p->from) || (p->to && s->created_ms > p->to))
        return 0;
    if (json_array_size(p->list) == p->limit) {
        p->more = true; /* p->next names where the next page starts after */
        return 1;
    }
    json_array_append_new(p->list, session_json(p->c->r, s));
    snprintf(p->next, sizeof p->next, "%s", s->session_id);
    return 0;
}

static void handle_sessions(call *c)
{
    char site[80] = "", number[24];
    bool one = request_query(c->req, "site", site, sizeof site);
    if (one && !site_allowed(c, site))
        return respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such site");
    session_page p = {.c = c, .list = json_array(), .limit = 50};
    if (request_query(c->req, "from", number, sizeof number))
        p.from = strtoull(number, NULL, 10);
    if (request_query(c->req, "to", number, sizeof number))
        p.to = strtoull(number, NULL, 10);
    if (request_query(c->req, "limit", number, sizeof number) && atoi(number) > 0 &&
        atoi(number) <= 500)
        p.limit = (size_t)atoi(number);
    request_query(c->req, "cursor", p.cursor, sizeof p.cursor);
    int rc = store_session_list(c->r->cfg.st, one ? site : NULL, add_session, &p);
    if (rc < 0) {
        json_decref(p.list);
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot read the store");
    }
    respond_json(c->req, HTTP_STATUS_OK,
                 json_pack("{s:o, s:s?}", "sessions", p.list, "next", p.more ? p.next : NULL),
                 NULL);
}

/* The session named in the path, if the caller may see it; else answered. */
static bool visible_session(call *c, store_session_info *info)
{
    if (store_session_lookup(c->r->cfg.st, c->m.params[0], info) || info->damaged ||
        !site_allowed(c, info->site)) {
        respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such session");
        return false;
    }
    return true;
}

static void handle_session(call *c)
{
    store_session_info info;
    if (visible_session(c, &info))
        respond_json(c->req, HTTP_STATUS_OK, session_json(c->r, &info), NULL);
}

/* Reading a session from the store to a stream, on a worker. */
typedef struct {
    job j;
    replay *r;
    request *req;
    char session[65];
    enum { STREAM_CHUNKS, STREAM_EXPORT } kind;
    bool first_event;
    int rc;
} read_job;

/* Replay: each chunk as "<length>\n<masked JSON>\n", as it decrypts, so the
 * player starts at the first full snapshot. */
static int stream_chunk(void *arg, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    read_job *rj = arg;
    char head[24];
    int n = snprintf(head, sizeof head, "%zu\n", len);
    if (!respond_stream_write(rj->req, head, (size_t)n) ||
        !respond_stream_write(rj->req, json, len) || !respond_stream_write(rj->req, "\n", 1))
        return VEIL_EIO /* the client went away */;
    return VEIL_OK;
}

/* Export: the events of each chunk, as one JSON array. */
static int export_chunk(void *arg, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    read_job *rj = arg;
    json_t *chunk = json_loadb(json, len, 0, NULL);
    json_t *events = json_is_array(chunk) ? chunk : json_object_get(chunk, "events");
    int rc = json_is_array(events) ? VEIL_OK : VEIL_ECORRUPT;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        char *text = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
        bool ok = text && respond_stream_write(rj->req, rj->first_event ? "[" : ",", 1) &&
                  respond_stream_write(rj->req, text, strlen(text));
        free(text);
        rj->first_event = false;
        if (!ok) {
            rc = VEIL_EIO;
            break;
        }
    }
    json_decref(chunk);
    return rc;
}

static void read_run(job *j)
{
    read_job *rj = (read_job *)j;
    store *st = rj->r->cfg.st;
    rj->first_event = true;
    rj->rc = store_session_read(st, rj->session,
                                rj->kind == STREAM_CHUNKS ? stream_chunk : export_chunk, rj);
    if (rj->kind == STREAM_EXPORT && !rj->rc)
        rj->rc =
            respond_stream_write(rj->req, rj->first_event ? "[]\n" : "]\n", rj->first_event ? 3 : 2)
                ? VEIL_OK
                : VEIL_EIO;
    respond_stream_end(rj->req, rj->rc == VEIL_OK);
}

static void read_done(job *j)
{
    read_job *rj = (read_job *)j;
    request_release(rj->req);
    free(rj);
}

static void stream_session(call *c, int kind)
{
    store_session_info info;
    if (!visible_session(c, &info))
        return;
    audit(c, kind == STREAM_CHUNKS ? "session.replay" : "session.export", info.session_id, "ok");
    read_job *rj = calloc(1, sizeof *rj);
    if (!rj)
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "out of memory");
    rj->r = c->r;
    rj->req = c->req;
    rj->kind = kind;
    snprintf(rj->session, sizeof rj->session, "%s", info.session_id);
    char disposition[120];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"veil-%s.json\"",
             info.session_id);
    respond_stream_start(c->req,
                         kind == STREAM_CHUNKS ? "application/x-veil-chunks" : "application/json",
                         kind == STREAM_EXPORT ? disposition : NULL);
    rj->j = (job){.run = read_run, .done = read_done, .arg = rj};
    request_hold(c->req);
    jobs_submit(c->r->jobs, &rj->j);
}

/* ---- search (Analytics): sessions whose masked events hold a text ------------------------------
 */

#define SEARCH_SESSIONS 200

typedef struct {
    job j;
    replay *r;
    request *req;
    char site[65], q[128];
    char ids[SEARCH_SESSIONS][65];
    int n_ids;
    json_t *found;
} search_job;

static int collect_id(void *arg, const store_session_info *s)
{
    search_job *sj = arg;
    if (s->damaged || strcmp(s->site, sj->site))
        return 0;
    if (sj->n_ids == SEARCH_SESSIONS)
        return 1;
    snprintf(sj->ids[sj->n_ids++], 65, "%s", s->session_id);
    return 0;
}

static int search_chunk(void *arg, uint32_t seq, const char *json, size_t len)
{
    (void)seq;
    search_job *sj = arg;
    return memmem(json, len, sj->q, strlen(sj->q)) ? 1 : 0; /* 1: found, stop reading */
}

static void search_run(job *j)
{
    search_job *sj = (search_job *)j;
    sj->found = json_array();
    if (store_session_list(sj->r->cfg.st, sj->site, collect_id, sj) < 0)
        return;
    for (int i = 0; i < sj->n_ids && !request_gone(sj->req); i++)
        if (store_session_read(sj->r->cfg.st, sj->ids[i], search_chunk, sj) == 1)
            json_array_append_new(sj->found, json_string(sj->ids[i]));
}

static void search_done(job *j)
{
    search_job *sj = (search_job *)j;
    if (!request_gone(sj->req))
        respond_json(sj->req, HTTP_STATUS_OK,
                     json_pack("{s:o, s:i}", "sessions", sj->found, "searched", sj->n_ids), NULL);
    else
        json_decref(sj->found);
    request_release(sj->req);
    free(sj);
}

static void handle_search(call *c)
{
    search_job *sj = calloc(1, sizeof *sj);
    if (!sj)
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "out of memory");
    if (!request_query(c->req, "site", sj->site, sizeof sj->site) || !site_allowed(c, sj->site) ||
        !request_query(c->req, "q", sj->q, sizeof sj->q) || strlen(sj->q) < 2) {
        free(sj);
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST,
                             "expected ?site=SITE&q=TEXT (2 to 127 characters, a granted site)");
    }
    audit(c, "session.search", sj->site, "ok");
    sj->r = c->r;
    sj->req = c->req;
    sj->j = (job){.run = search_run, .done = search_done, .arg = sj};
    request_hold(c->req);
    jobs_submit(c->r->jobs, &sj->j);
}

/* ---- admin: users, sites, keys, audit
 * ------------------------------------------------------------- */

static json_t *user_json(const replay_user *u)
{
    json_t *sites = json_array();
    for (int i = 0; i < u->n_sites; i++)
        json_array_append_new(sites, json_string(u->sites[i]));
    return json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:I, s:I, s:b}", "name", u->name, "role",
                     replay_role_name(u->role), "sites", sites, "disabled", u->disabled,
                     "must_change_password", u->must_change, "totp", u->totp_enrolled, "created",
                     (json_int_t)u->created_ms, "last_login", (json_int_t)u->last_login_ms,
                     "locked", u->locked_until_ms > veil_now_ms());
}

static int add_user(void *arg, const replay_user *u)
{
    json_array_append_new(arg, user_json(u));
    return 0;
}

static void handle_users(call *c, json_t *body)
{
    if (request_method(c->req) == METHOD_GET) {
        json_t *list = json_array();
        if (console_user_list(c->r->cfg.db, add_user, list)) {
            json_decref(list);
            return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot read users");
        }
        return respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "users", list), NULL);
    }
    char name[80], role[20], password[33];
    if (!body || !request_string(body, "name", name, sizeof name) ||
        !request_string(body, "role", role, sizeof role))
        return respond_error(
            c->req, HTTP_STATUS_BAD_REQUEST,
            "expected {\"name\":...,\"role\":\"alerts|standard|analytics|admin\"}");
    veil_error err = {0};
    int rc = console_user_add(c->r->cfg.db, &c->r->cfg.policy, name, replay_role_parse(role),
                              c->u.name, password, &err);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(body, "sites"), i, s)
    {
        if (!rc && json_is_string(s))
            rc =
                console_user_grant(c->r->cfg.db, name, json_string_value(s), true, c->u.name, &err);
    }
    if (rc)
        return respond_error(c->req, rc == VEIL_EEXIST ? 409 : HTTP_STATUS_BAD_REQUEST,
                             err.what ? err.what : "cannot add the user");
    respond_json(c->req, HTTP_STATUS_OK,
                 json_pack("{s:s, s:s}", "name", name, "one_time_password", password), NULL);
    sodium_memzero(password, sizeof password);
}

/* PATCH /api/users/NAME {role?, sites?, disabled?, unlock?, reset_password?}. */
static void handle_user(call *c, json_t *body)
{
    const char *name = c->m.params[0];
    replay_user target;
    if (console_user_get(c->r->cfg.db, name, &target))
        return respond_error(c->req, HTTP_STATUS_NOT_FOUND, "no such user");
    if (request_method(c->req) == METHOD_GET)
        return respond_json(c->req, HTTP_STATUS_OK, user_json(&target), NULL);
    if (!body)
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST, "expected a JSON object");
    console_db *db = c->r->cfg.db;
    veil_error err = {0};
    int rc = VEIL_OK;
    char role[20], password[33] = "";
    json_t *v;
    bool self = !strcmp(name, c->u.name);
    if ((json_is_true(json_object_get(body, "disabled")) ||
         (request_string(body, "role", role, sizeof role) &&
          replay_role_parse(role) != ROLE_ADMIN)) &&
        self)
        return respond_error(c->req, HTTP_STATUS_FORBIDDEN,
                             "an admin cannot disable or demote themselves (another admin can)");
    if (request_string(body, "role", role, sizeof role))
        rc = console_user_set_role(db, name, replay_role_parse(role), c->u.name, &err);
    if (!rc && (v = json_object_get(body, "sites")) && json_is_array(v)) {
        for (int i = 0; !rc && i < target.n_sites; i++)
            rc = console_user_grant(db, name, target.sites[i], false, c->u.name, &err);
        size_t i;
        json_t *s;
        json_array_foreach(v, i, s)
        {
            if (!rc)
                rc = json_is_string(s)
                         ? console_user_grant(db, name, json_string_value(s), true, c->u.name, &err)
                         : VEIL_EINVAL;
        }
    }
    if (!rc && json_is_boolean(v = json_object_get(body, "disabled")))
        rc = console_user_set_disabled(db, name, json_is_true(v), c->u.name, &err);
    if (!rc && json_is_true(json_object_get(body, "unlock")))
        rc = console_user_unlock(db, name, c->u.name, &err);
    if (!rc && json_is_true(json_object_get(body, "reset_password")))
        rc = console_user_reset(db, name, c->u.name, password, &err);
    if (rc)
        return respond_error(c->req, HTTP_STATUS_BAD_REQUEST,
                             err.what ? err.what : "cannot change the user");
    if (json_is_true(json_object_get(body, "disabled")) || password[0] ||
        json_object_get(body, "role"))
        websess_end_user(&c->r->sessions, name, NULL); /* they log in again under the change */
    replay_user now;
    if (console_user_get(db, name, &now))
        now = target;
    json_t *out = user_json(&now);
    if (password[0])
        json_object_set_new(out, "one_time_password", json_string(password));
    sodium_memzero(password, sizeof password);
    respond_json(c->req, HTTP_STATUS_OK, out, NULL);
}

static void handle_sites(call *c)
{
    if (request_method(c->req) != METHOD_GET)
        return respond_error(c->req, 405,
                             "sites and their masking policy come from the configuration file: "
                             "edit its [site] and [page] sections and restart veil serve");
    json_t *list = json_array();
    for (int i = 0; i < c->r->cfg.n_sites; i++) {
        const replay_site *s = &c->r->cfg.sites[i];
        json_t *origins = json_array();
        for (int o = 0; o < s->n_origins; o++)
            json_array_append_new(origins, json_string(s->origins[o]));
        json_array_append_new(list, json_pack("{s:s, s:o, s:b, s:s}", "name", s->name, "origins",
                                              origins, "replay_assets", s->replay_assets, "policy",
                                              s->policy_text ? s->policy_text : ""));
    }
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "sites", list), NULL);
}

static void handle_keys(call *c)
{
    store_key_info keys[64];
    size_t n = 0;
    if (store_key_status(c->r->cfg.st, keys, 64, &n))
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot read key status");
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:i, s:b, s:b, s:I, s:I, s:I}", "version", (int)keys[i].version,
                            "current", keys[i].current, "retired", keys[i].retired, "created",
                            (json_int_t)keys[i].created_s * 1000, "wraps",
                            (json_int_t)keys[i].wraps, "data_keys", (json_int_t)keys[i].data_keys));
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "keys", list), NULL);
}

static void handle_rotate(call *c)
{
    uint32_t version = 0;
    int rc = c->r->cfg.rotate_keys ? c->r->cfg.rotate_keys(c->r->cfg.rotate_user, &version)
                                   : VEIL_ENOTFOUND;
    char object[24];
    snprintf(object, sizeof object, "v%u", version);
    audit(c, "keys.rotate", object, rc ? "failed" : "ok");
    if (rc)
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot rotate the key");
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:i}", "version", (int)version), NULL);
}

typedef struct {
    json_t *list;
    size_t limit;
} audit_page;

static int add_audit(void *arg, const audit_record *a)
{
    audit_page *p = arg;
    if (json_array_size(p->list) >= p->limit)
        return 1;
    json_array_append_new(p->list, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                                             "seq", (json_int_t)a->seq, "at", (json_int_t)a->at_ms,
                                             "actor", a->actor, "role", a->role, "action",
                                             a->action, "object", a->object, "outcome", a->outcome,
                                             "ip", a->ip, "hash", a->hash, "prev", a->prev));
    return 0;
}

static void handle_audit(call *c)
{
    char number[24];
    uint64_t from =
        request_query(c->req, "from", number, sizeof number) ? strtoull(number, NULL, 10) : 0;
    audit_page p = {json_array(), 1000};
    if (request_query(c->req, "limit", number, sizeof number) && atoi(number) > 0 &&
        atoi(number) <= 10000)
        p.limit = (size_t)atoi(number);
    audit(c, "audit.read", "-", "ok"); /* reading the log is itself logged (ASVS 7.3.3) */
    if (console_audit_list(c->r->cfg.db, from, add_audit, &p)) {
        json_decref(p.list);
        return respond_error(c->req, HTTP_STATUS_SERVICE_UNAVAILABLE, "cannot read the log");
    }
    respond_json(c->req, HTTP_STATUS_OK, json_pack("{s:o}", "records", p.list), NULL);
}

static void handle_audit_verify(call *c)
{
    audit_verdict v;
    int rc = console_audit_verify(c->r->cfg.db, NULL, &v);
    audit(c, "audit.verify", "-", rc ? "broken" : "ok");
    respond_json(c->req, HTTP_STATUS_OK,
                 json_pack("{s:b, s:I, s:I, s:I, s:I, s:s, s:s}", "ok", rc == VEIL_OK, "records",
                           (json_int_t)v.records, "first", (json_int_t)v.first_seq, "last",
                           (json_int_t)v.last_seq, "bad_seq", (json_int_t)v.bad_seq, "problem",
                           v.problem, "head", v.head),
                 NULL);
}

/* ---- the gate
 * --------------------------------------------------------------------------------------- */

static bool csrf_ok(call *c)
{
    char header[WEB_TOKEN_CHARS + 8];
    request_header_csrf(c->req, header, sizeof header);
    return strlen(header) == WEB_TOKEN_CHARS &&
           sodium_memcmp(header, c->ws->csrf, WEB_TOKEN_CHARS) == 0;
}

/* 401, 403 or nothing: whether the call may go on to its handler. */
static bool admitted(call *c, const permission *p)
{
    char token[WEB_TOKEN_CHARS + 8];
    request_session_cookie(c->req, token, sizeof token);
    c->ws = websess_find(&c->r->sessions, token, veil_now_ms());
    sodium_memzero(token, sizeof token);
    if (!c->ws || console_user_get(c->r->cfg.db, c->ws->user, &c->u) || c->u.disabled) {
        if (c->ws)
            websess_end(&c->r->sessions, c->ws);
        respond_error(c->req, HTTP_STATUS_UNAUTHORIZED, "log in first");
        return false;
    }
    enum http_method method = request_method(c->req);
    if (method != METHOD_GET && !csrf_ok(c)) {
        audit(c, "csrf", request_path(c->req), "refused");
        respond_error(c->req, HTTP_STATUS_FORBIDDEN, "the CSRF token is missing or wrong");
        return false;
    }
    if (!(p->methods & (1u << method))) {
        respond_error(c->req, 405, "method not allowed");
        return false;
    }
    if (!(p->roles & (1 << c->u.role))) {
        audit(c, "access", request_path(c->req), "denied");
        respond_error(c->req, HTTP_STATUS_FORBIDDEN, "your role may not do this");
        return false;
    }
    if (!p->before_setup && (c->ws->must_change || c->ws->must_enroll)) {
        respond_error(c->req, HTTP_STATUS_FORBIDDEN,
                      c->ws->must_change ? "change your password first"
                                         : "enrol an authenticator app (TOTP) first");
        return false;
    }
    return true;
}

void api_handle(replay *r, request *req)
{
    call c = {.r = r, .req = req, .m = request_route(request_path(req))};
    if (c.m.route == ROUTE_LOGIN)
        return request_method(req) == METHOD_POST ? handle_login(r, req)
                                                  : respond_error(req, 405, "POST /api/login");
    const permission *p = permission_of(c.m.route);
    if (!p)
        return respond_error(req, HTTP_STATUS_NOT_FOUND, "no such API call");
    if (!admitted(&c, p))
        return;
    size_t len;
    const char *text = request_body(req, &len);
    json_t *body = len ? request_json(text, len) : NULL;
    if (len && !body)
        return respond_error(req, HTTP_STATUS_BAD_REQUEST, "the body must be a JSON object");
    switch (c.m.route) {
    case ROUTE_ME:
        handle_me(&c);
        break;
    case ROUTE_LOGOUT:
        handle_logout(&c);
        break;
    case ROUTE_PASSWORD:
        handle_password(&c, body);
        break;
    case ROUTE_TOTP_ENROLL:
        handle_totp_enroll(&c);
        break;
    case ROUTE_TOTP_CONFIRM:
        handle_totp_confirm(&c, body);
        break;
    case ROUTE_ALERTS:
        handle_alerts(&c);
        break;
    case ROUTE_ALERT_ACK:
        handle_alert_ack(&c);
        break;
    case ROUTE_SESSIONS:
        handle_sessions(&c);
        break;
    case ROUTE_SESSION:
        handle_session(&c);
        break;
    case ROUTE_SESSION_EVENTS:
        stream_session(&c, STREAM_CHUNKS);
        break;
    case ROUTE_SESSION_EXPORT:
        stream_session(&c, STREAM_EXPORT);
        break;
    case ROUTE_SEARCH:
        handle_search(&c);
        break;
    case ROUTE_USERS:
        handle_users(&c, body);
        break;
    case ROUTE_USER:
        handle_user(&c, body);
        break;
    case ROUTE_SITES:
        handle_sites(&c);
        break;
    case ROUTE_KEYS:
        handle_keys(&c);
        break;
    case ROUTE_KEYS_ROTATE:
        handle_rotate(&c);
        break;
    case ROUTE_AUDIT:
        handle_audit(&c);
        break;
    case ROUTE_AUDIT_VERIFY:
        handle_audit_verify(&c);
        break;
    default:
        respond_error(req, HTTP_STATUS_NOT_FOUND, "no such API call");
        break;
    }
    json_decref(body);
}

/* Prepared once: the hash an unknown user's login is checked against. */
int api_init(void)
{
    char random[33];
    password_random(random);
    int rc = password_hash(random, dummy_hash);
    sodium_memzero(random, sizeof random);
    return rc;
}
