/*
 * internal.h - the console's parts and what they share:
 *   db.c        the console database: user records and the audit chain;
 *   accounts.c  passwords (policy, argon2id, history, blocklist), lockout,
 *               TOTP and recovery codes, dormant accounts;
 *   request.c   what a request says: method, route, query, cookie, body
 *               fields (pure functions; fuzzed);
 *   web.c       the lws callbacks: reading requests, security headers,
 *               static assets, streaming responses;
 *   api.c       the JSON API: one handler per route, roles checked first;
 *   websess.c   web sessions: tokens, CSRF, idle and absolute expiry;
 *   jobs.c      worker threads for password hashing and store reads.
 */
#ifndef VEIL_REPLAY_INTERNAL_H
#define VEIL_REPLAY_INTERNAL_H

#include <pthread.h>

#include <jansson.h>
#include <libwebsockets.h>
#include <sodium.h>

#include "../common/kv.h"
#include "replay.h"

/* ---- db.c: user records ------------------------------------------------------------ */

#define USER_HISTORY_MAX 24
#define RECOVERY_CODES   10

/* Everything kept about a user (replay_user is the part shown). */
typedef struct {
    replay_user u;
    char hash[crypto_pwhash_STRBYTES];
    char history[USER_HISTORY_MAX][crypto_pwhash_STRBYTES]; /* newest first */
    int n_history;
    uint64_t password_changed_ms;
    int failed_in_row; /* since the last success: the lockout counter */
    char last_login_ip[64];
    uint8_t totp_secret[20];  /* enrolled (u.totp_enrolled) */
    uint8_t totp_pending[20]; /* offered, not yet confirmed */
    bool totp_pending_set;
    uint64_t totp_last_step;           /* a code of this step or earlier is refused */
    char recovery[RECOVERY_CODES][65]; /* SHA-256 hex of each unused code; "" when used */
} user_record;

struct console_db {
    kv *kv;
    pthread_mutex_t lock;       /* read-modify-write of users; the audit chain */
    uint64_t (*clock_ms)(void); /* audit times: the system's (tests age the log) */
};

bool user_name_ok(const char *name);
int user_load(console_db *db, const char *name, user_record *r) VEIL_MUST_CHECK;
int user_store(console_db *db, const user_record *r) VEIL_MUST_CHECK;
void user_wipe(user_record *r);

/* ---- accounts.c ------------------------------------------------------------------------ */

/* NULL when `password` is acceptable for `name` under the policy, else a
 * sentence saying which rule it breaks. Checks history (slow: a hash per
 * entry) when r is given. */
const char *password_problem(const replay_policy *p, const char *name, const char *password,
                             const user_record *r);
/* Adds a site's list of refused passwords (one a line, any case). */
int password_blocklist_load(const char *path) VEIL_MUST_CHECK;
/* argon2id (libsodium, moderate cost: docs/console.md); VEIL_ENOMEM. */
int password_hash(const char *password, char out[crypto_pwhash_STRBYTES]) VEIL_MUST_CHECK;
bool password_verify(const char *hash, const char *password);
/* Sets a new password: hash, history, changed time, must_change cleared. */
int password_set(user_record *r, const replay_policy *p, const char *password) VEIL_MUST_CHECK;
/* A random one-time password (32 characters, base32-ish). */
void password_random(char out[33]);

/* The 6-digit RFC 6238 code of secret at unix time t (30 s steps). */
uint32_t totp_code(const uint8_t secret[20], uint64_t step);
/* Checks a code against the secret within one step either way, refusing a
 * step already used; on success records the step. */
bool totp_check(user_record *r, const char *code, uint64_t now_ms);
void totp_secret_base32(const uint8_t secret[20], char out[33]);
/* An SVG of the QR code for the otpauth:// URI (libqrencode); NULL on failure. */
char *totp_qr_svg(const char *uri);
/* New recovery codes: the plain ones into out (shown once), hashes kept. */
void recovery_codes_new(user_record *r, char out[RECOVERY_CODES][20]);
bool recovery_code_use(user_record *r, const char *code);

/* ---- request.c ---------------------------------------------------------------------------- */

enum http_method { METHOD_OTHER, METHOD_GET, METHOD_POST, METHOD_PATCH, METHOD_DELETE };

/* The API routes; params[] get the path's variable parts. */
enum route {
    ROUTE_NONE,
    ROUTE_LOGIN,
    ROUTE_LOGOUT,
    ROUTE_ME,
    ROUTE_PASSWORD,
    ROUTE_TOTP_ENROLL,
    ROUTE_TOTP_CONFIRM,
    ROUTE_ALERTS,
    ROUTE_ALERT_ACK, /* /api/alerts/SITE/ID/ack */
    ROUTE_SESSIONS,
    ROUTE_SESSION,        /* /api/sessions/ID */
    ROUTE_SESSION_EVENTS, /* /api/sessions/ID/events */
    ROUTE_SESSION_EXPORT, /* /api/sessions/ID/export */
    ROUTE_SEARCH,
    ROUTE_USERS,
    ROUTE_USER, /* /api/users/NAME */
    ROUTE_SITES,
    ROUTE_KEYS,
    ROUTE_KEYS_ROTATE,
    ROUTE_AUDIT,
    ROUTE_AUDIT_VERIFY,
};

#define ROUTE_PARAM_MAX 96

typedef struct {
    enum route route;
    char params[2][ROUTE_PARAM_MAX];
} route_match;

/* Matches an API path (no query); ROUTE_NONE when it is none of them. Path
 * parts must be 1-95 characters of [A-Za-z0-9._-]. */
route_match request_route(const char *path);

/* The value of cookie `name` in a Cookie header into out; false when absent
 * or too long. */
bool request_cookie(const char *header, const char *name, char *out, size_t cap);

/* A request body as a JSON object; NULL when it is not one. */
json_t *request_json(const char *body, size_t len);
/* A string member of at most cap-1 bytes without NUL; false otherwise. */
bool request_string(json_t *obj, const char *key, char *out, size_t cap);

/* ---- websess.c ------------------------------------------------------------------------------- */

#define WEB_TOKEN_CHARS 43 /* 32 random bytes, base64url */

typedef struct web_session {
    struct web_session *next;
    uint8_t token_hash[32]; /* SHA-256 of the cookie value: the token itself is never kept */
    char csrf[WEB_TOKEN_CHARS + 1];
    char user[65];
    replay_role role;
    uint64_t created_ms, used_ms;
    bool must_change, must_enroll; /* until done, only /api/me, password, totp, logout */
} web_session;

typedef struct {
    web_session *head;
    int idle_seconds, absolute_seconds;
} web_sessions;

/* A new session for user; the cookie value into token. */
web_session *websess_new(web_sessions *t, const char *user, replay_role role,
                         char token[WEB_TOKEN_CHARS + 1]);
/* The live session the cookie names (its use time refreshed), or NULL. */
web_session *websess_find(web_sessions *t, const char *token, uint64_t now_ms);
void websess_end(web_sessions *t, web_session *s);
/* Ends every session of user (a password change, a disable). */
void websess_end_user(web_sessions *t, const char *user, const web_session *keep);
void websess_free_all(web_sessions *t);

/* ---- jobs.c ---------------------------------------------------------------------------------- */

typedef struct jobs jobs;
typedef struct job job;
/* run: on a worker; done: on the service thread, after run. */
typedef void (*job_fn)(job *j);
struct job {
    job *next;
    job_fn run, done;
    void *arg;
};
int jobs_start(jobs **out, int n, void (*wake)(void *), void *wake_arg) VEIL_MUST_CHECK;
void jobs_submit(jobs *q, job *j);
/* Runs `done` of every finished job (service thread). */
void jobs_collect(jobs *q);
void jobs_stop(jobs *q);

/* ---- web.c and api.c ---------------------------------------------------------------------------
 */

typedef struct request request;

struct replay {
    replay_config cfg;
    web_sessions sessions;
    jobs *jobs;
    struct lws_context *context;
    request *live;                 /* requests with a connection (web.c, service thread) */
    lws_sorted_usec_list_t expiry; /* the audit log's retention, hourly */
    bool expiring;                 /* an expiry job is running */
};

/* Answers an API request (web.c calls it with the body read). */
void api_handle(replay *r, request *req);
/* replay.c: the listener is up; starts the hourly audit retention. */
void replay_started(replay *r);
/* Once, before requests: the hash unknown users' logins are checked against. */
int api_init(void) VEIL_MUST_CHECK;

/* What api.c needs from a request and its connection (web.c). */
enum http_method request_method(const request *req);
const char *request_path(const request *req);
const char *request_body(const request *req, size_t *len);
bool request_query(request *req, const char *name, char *out, size_t cap);
const char *request_ip(const request *req);
const char *request_header_csrf(request *req, char *out, size_t cap);
const char *request_session_cookie(request *req, char *out, size_t cap);
/* Responses: JSON (the object is taken), or an error {"error":message}. */
void respond_json(request *req, unsigned status, json_t *body, const char *set_cookie);
void respond_error(request *req, unsigned status, const char *message);
/* A streamed body: start it, feed it from any thread, end it. */
void respond_stream_start(request *req, const char *type, const char *disposition);
bool respond_stream_write(request *req, const void *bytes, size_t len); /* false: gone */
void respond_stream_end(request *req, bool ok);
/* Keeps the request alive across a job; api.c releases it in the job's done. */
void request_hold(request *req);
void request_release(request *req);
bool request_gone(const request *req);

#endif
