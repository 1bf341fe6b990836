/*
 * internal.h - the ingest module's parts and what they share:
 *   protocol.c  the veil.v1 messages: hello and the batch envelope in,
 *               ready, ack and error out (no lws; fuzzed);
 *   inflate.c   gzip messages inflated under a cap;
 *   sessions.c  the session table: ids, resume tokens, masker state and
 *               its memory bound, the per-session queue of batches;
 *   workers.c   the threads that mask and store, and the hand-back of
 *               results to the service thread;
 *   conn.c      the lws callbacks: the upgrade check, one connection's
 *               state, limits, acks;
 *   pages.c     plain HTTP on the same listener: /veil.js and /demo;
 *   ingest.c    creating, listening, shutting down, metrics.
 */
#ifndef VEIL_INGEST_INTERNAL_H
#define VEIL_INGEST_INTERNAL_H

#include <pthread.h>

#include <libwebsockets.h>

#include "ingest.h"

/* ---- protocol.c ------------------------------------------------------------- */

#define INGEST_ID_CHARS    32 /* a session id: 128 random bits, hex */
#define INGEST_TOKEN_CHARS 43 /* a resume token: HMAC-SHA256, base64url without padding */
#define INGEST_HELLO_MAX   8192

/* Close codes: RFC 6455 ones, and the 4000 range for Veil's reasons. */
enum {
    CLOSE_GOING_AWAY = 1001,
    CLOSE_POLICY = 1008,
    CLOSE_TOO_BIG = 1009,
    CLOSE_TRY_LATER = 1013,
    CLOSE_MALFORMED = 4000,
    CLOSE_SEQUENCE = 4001,
    CLOSE_RATE = 4002,
    CLOSE_SESSION_LIMIT = 4003,
    CLOSE_TIMEOUT = 4004,
};

typedef struct {
    char site[129];
    char page[2048];
    char snippet[33];
    bool resume;
    char session[INGEST_ID_CHARS + 1];
    char token[INGEST_TOKEN_CHARS + 1];
    uint32_t last_acked; /* the client's last acked seq (informational) */
} hello_msg;

/* Parses a hello; VEIL_EJSON with *why saying what is wrong. */
int protocol_hello(const char *msg, size_t len, hello_msg *h, const char **why) VEIL_MUST_CHECK;

/*
 * A batch message starts exactly `{"t":"batch","seq":N,"events":` (the
 * snippet writes that), N in 1..2^32-1 without leading zeros: *seq gets N.
 * The rest is the masker's to validate. VEIL_EJSON when it does not start so.
 */
int protocol_batch_seq(const char *msg, size_t len, uint32_t *seq) VEIL_MUST_CHECK;

/* Whether a message is a hello (its first member is "t":"hello"). */
bool protocol_is_hello(const char *msg, size_t len);

/* What `ready` tells the client. */
typedef struct {
    const char *session, *token;
    uint32_t last; /* highest seq stored */
    bool state;    /* the server holds masker state for the session */
    const masker_hints *hints;
    size_t max_message, max_inflated; /* so the snippet never sends what is refused */
    int batches_per_second;           /* and never faster than allowed (0: no limit) */
} ready_msg;

/* Outgoing messages, NUL-terminated into out (cap bytes); their length (0
 * when it does not fit). */
size_t protocol_ready(char *out, size_t cap, const ready_msg *r);
size_t protocol_ack(char *out, size_t cap, uint32_t seq);
size_t protocol_error(char *out, size_t cap, const char *code, const char *message);

/* ---- inflate.c ----------------------------------------------------------------- */

/* Inflates gzip `in` into *out (NUL-terminated); VEIL_ETOOBIG past `cap`
 * bytes, VEIL_EJSON when it is not gzip. */
int inflate_gzip(const void *in, size_t len, size_t cap, veil_buf *out) VEIL_MUST_CHECK;

/* ---- sessions.c --------------------------------------------------------------- */

typedef struct ingest_conn ingest_conn;

/* A batch received, waiting for (or in) a worker. */
typedef struct batch_job {
    struct batch_job *next;
    uint32_t seq;
    char *json; /* the message, NUL-terminated; owned */
    size_t len;
    uint64_t received_us;
} batch_job;

typedef struct ingest_session {
    char id[INGEST_ID_CHARS + 1];
    const ingest_site *site;
    char page[2048];
    uint64_t created_ms;
    /* workers' side: one worker at a time (busy), under `lock` for the queue */
    pthread_mutex_t lock;
    batch_job *head, *tail; /* in sequence order */
    bool busy;              /* a worker holds it */
    bool on_run_queue;
    masker_session *masker; /* NULL when evicted (the next ready says state:false) */
    store_session *stored;
    uint32_t stored_seq; /* highest seq in the store: only the next one may follow */
    uint64_t stored_bytes;
    /* the service thread's side */
    ingest_conn *conn; /* connected now, or NULL */
    uint32_t received; /* highest seq queued or stored */
    uint32_t acked;    /* highest seq stored (acked) */
    int pending;       /* jobs queued or in a worker */
    bool state_lost;   /* masker state evicted since the last ready */
    uint64_t last_active_ms;
    size_t masker_bytes; /* its masker state, as last measured */
    struct ingest_session *next_in_table;
    struct ingest_session *next_on_run_queue;
} ingest_session;

typedef struct {
    ingest_session **buckets;
    size_t n_buckets, count;
    uint8_t secret[32]; /* resume tokens: HMAC-SHA256(secret, site | id) */
} session_table;

int sessions_init(session_table *t, const char *secret_file, veil_error *err) VEIL_MUST_CHECK;
void sessions_free(session_table *t);
ingest_session *sessions_find(session_table *t, const char *id);
/* A session held here, resumed: on a cluster it may have gone on on another
 * node since; when nothing of it is in flight here, follow the store
 * (its state then counts as lost: the client sends a full snapshot). */
int sessions_refresh(ingest_session *s) VEIL_MUST_CHECK;
/* A new session of `site`, with a fresh random id; opened in the store. */
int sessions_create(session_table *t, store *st, const ingest_site *site, const char *page,
                    ingest_session **out) VEIL_MUST_CHECK;
/* A session the table no longer holds (evicted, or a restart), taken back
 * from the store once its token checks out. */
int sessions_reopen(session_table *t, store *st, const ingest_site *site, const char *id,
                    const char *page, ingest_session **out) VEIL_MUST_CHECK;
void sessions_token(const session_table *t, const ingest_session *s,
                    char out[INGEST_TOKEN_CHARS + 1]);
bool sessions_token_ok(const session_table *t, const char *site, const char *id, const char *token);
/* Frees the session (not connected, nothing pending). */
void sessions_remove(session_table *t, ingest_session *s);
/* Sessions idle past `idle_ms` and unconnected go; then, while the masker
 * state of all exceeds `max_bytes`, the least recently active unconnected
 * (then connected) ones lose theirs. Returns the bytes held after. */
size_t sessions_sweep(session_table *t, uint64_t now_ms, uint64_t idle_ms, size_t max_bytes);

/* ---- workers.c ------------------------------------------------------------------ */

/* What a worker did with a batch, handed back to the service thread. */
typedef struct batch_done {
    struct batch_done *next;
    ingest_session *session;
    uint32_t seq;
    size_t len;      /* the batch as received, for the connection's queue bound */
    int rc;          /* VEIL_OK (stored, or stored before), VEIL_EJSON (malformed), other: failed */
    const char *why; /* for VEIL_EJSON: what the masker said */
    size_t stored_bytes;
    masker_findings findings;
    uint64_t received_us;
} batch_done;

typedef struct workers workers;

/* `wake` runs on a worker after results are queued (lws_cancel_service). */
int workers_start(workers **out, int n, void (*wake)(void *), void *wake_arg) VEIL_MUST_CHECK;
/* Queues a batch of s (the caller appended it to s's queue). */
void workers_submit(workers *w, ingest_session *s);
/* Takes every result ready so far (the service thread frees them). */
batch_done *workers_collect(workers *w);
size_t workers_queue_depth(workers *w);
void workers_stop(workers *w);

/* ---- the server (ingest.c, conn.c) ------------------------------------------------- */

/* Why a connection or message was refused, for metrics. */
enum ingest_reject {
    REJECT_SITE,      /* unknown site key, or one the hello does not repeat */
    REJECT_ORIGIN,    /* an Origin the site does not allow */
    REJECT_IP_LIMIT,  /* too many connections from one address */
    REJECT_OVERLOAD,  /* sessions, site rate, or shutting down */
    REJECT_TOO_BIG,   /* message or inflated size */
    REJECT_MALFORMED, /* not a message of the protocol, or not a valid batch */
    REJECT_SEQUENCE,  /* a gap in sequence numbers */
    REJECT_RATE,      /* batches per second */
    REJECT_SESSION,   /* session bytes or length */
    REJECT_TOKEN,     /* a resume that does not prove the session */
    REJECT_TIMEOUT,   /* no hello in time, or idle */
    REJECT_STORAGE,   /* the store failed */
    REJECT_COUNT
};

#define LATENCY_BUCKETS 12

/* Read by ingest_metrics() from any thread: atomics. */
typedef struct {
    _Atomic uint64_t connections, connections_total, sessions_created, sessions_resumed;
    _Atomic uint64_t batches, bytes_in, bytes_stored, acks, resent;
    _Atomic uint64_t rejects[REJECT_COUNT];
    _Atomic uint64_t masks[MASKER_FINDING_COUNT];
    _Atomic uint64_t alerts;
    _Atomic uint64_t latency_le[LATENCY_BUCKETS]; /* acks within each bound */
    _Atomic uint64_t latency_sum_us, latency_count;
    _Atomic uint64_t sessions_held, masker_bytes, queue_depth;
} ingest_counters;

/* One site's shared rate and its pending alert. */
typedef struct {
    double tokens;
    uint64_t at_ms;
    uint64_t alert_cards, alert_secrets, alert_malformed; /* since the last alert record */
    uint64_t alert_at_ms;
} site_state;

typedef struct ip_count {
    struct ip_count *next;
    char ip[64];
    int n;
} ip_count;

struct ingest {
    ingest_config cfg;
    char trusted_proxies[INGEST_MAX_PROXIES][64];
    session_table sessions;
    workers *workers;
    struct lws_context *context;
    struct lws_vhost *vhost;
    lws_sorted_usec_list_t sweep;
    ingest_conn *conns; /* every connection, for sweeps and shutdown */
    ip_count *ips[256];
    site_state *sites;
    bool stopping;
    ingest_counters counters;
};

/* conn.c */
extern const struct lws_protocols INGEST_PROTOCOLS[];
/* The server a connection belongs to (its vhost's user), or NULL. */
ingest *conn_server(struct lws *wsi);
/* The HTTP side of the upgrade: refused with a status (403, 429, 503)
 * before the WebSocket opens; 0 lets it go on. */
int conn_confirm_upgrade(struct lws *wsi, ingest *in);
/* Once a second: timeouts, idle sessions, masker memory, alerts, shutdown. */
void conn_sweep(ingest *in);
/* Results from the workers, on the service thread. */
void conn_collect(ingest *in);

/* pages.c: the plain HTTP requests of the ingest listener (the snippet, the
 * demo page), and the upgrade check. */
int pages_on_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);

#endif
