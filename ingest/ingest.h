/*
 * ingest.h - the WebSocket endpoint browsers stream rrweb sessions to: the
 * veil.v1 wire protocol (DESIGN.md, "Wire protocol"), its limits, and the
 * hand-off of each batch to worker threads that mask it, seal it and make it
 * durable before it is acknowledged. Also serves the browser snippet.
 *
 * Contents
 *   1. Configuration: sites, limits.
 *   2. The server: create, listen on an lws context, shut down, destroy.
 *   3. Metrics (Prometheus text) and the snippet's integrity hash.
 *
 * Threads: every call here is made from the thread that runs the lws
 * context (its service thread), except ingest_metrics(), which any thread
 * may call. Workers mask and store; the service thread only moves bytes.
 */
#ifndef VEIL_INGEST_H
#define VEIL_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"
#include "../masker/masker.h"
#include "../store/store.h"

#define INGEST_SUBPROTOCOL "veil.v1"

/* ---- 1. Configuration ----------------------------------------------- */

#define INGEST_MAX_ORIGINS 16
#define INGEST_MAX_PROXIES 16

typedef struct {
    const char *name;                        /* the store's site id */
    const char *key;                         /* the public site key in the snippet tag */
    const char *origins[INGEST_MAX_ORIGINS]; /* allowed Origin values ("*": any) */
    int n_origins;
    const masker_site *policy;
} ingest_site;

/* Every limit, each answered with an error message and a close code
 * (docs/configuration.md, [ingest]); 0 for none where that is allowed. */
typedef struct {
    size_t max_message_bytes;    /* one message as sent (reassembled across frames): 1009 */
    size_t max_inflated_bytes;   /* one gzip message once inflated: 1009 */
    int batches_per_second;      /* per connection, sustained (bursts of twice that): 4002 */
    int site_batches_per_second; /* per site, all connections: 1013 */
    int connections_per_ip;      /* 1013 (refused before the upgrade: 429) */
    int max_sessions;            /* sessions held at once: new ones get 1013 */
    size_t max_session_bytes;    /* masked bytes one session may store: 4003 */
    int max_session_minutes;     /* a session's length in time: 4003 */
    int hello_timeout_s;         /* from the upgrade to a valid hello */
    int idle_timeout_s;          /* without a message */
    size_t masker_memory_bytes;  /* masker state of all sessions: idle ones evicted past it */
    size_t queue_bytes;          /* batches received, not yet stored, per connection: reading
                                    pauses past it */
} ingest_limits;

typedef struct {
    const ingest_site *sites; /* the caller keeps them alive */
    int n_sites;
    ingest_limits limits;
    store *st; /* where batches go; the caller keeps it open */
    /* The resume-token secret (32 bytes), made when missing; the nodes
     * behind one balancer share one file, so a session resumes on any. */
    const char *secret_file;
    const char *snippet_path;           /* the built snippet served at /veil.js (may be missing) */
    const char *const *trusted_proxies; /* peers whose X-Forwarded-For is believed (copied) */
    int n_trusted_proxies;              /* at most INGEST_MAX_PROXIES */
    int workers;                        /* threads that mask and store: 0, one per core */
    const char *demo_site_key;          /* a demo page at /demo records into this site (its key is
                                           letters, digits and ._~- only); NULL: no demo page */
} ingest_config;

/* The defaults of docs/configuration.md. */
void ingest_limits_default(ingest_limits *l);

/* ---- 2. The server --------------------------------------------------- */

typedef struct ingest ingest;
struct lws_context;

/* Starts the workers and loads (or creates) the resume-token secret. */
int ingest_create(ingest **out, const ingest_config *cfg, veil_error *err) VEIL_MUST_CHECK;

/*
 * Adds the ingest listener to `context` (created by the caller with
 * LWS_SERVER_OPTION_EXPLICIT_VHOSTS, and LWS_SERVER_OPTION_VALIDATE_UTF8 so
 * that text frames that are not UTF-8 close with 1007: lws reads that
 * option from the context only): TLS with cert and key, WebSocket
 * subprotocol veil.v1 at /?site=KEY, GET /veil.js for the snippet.
 */
int ingest_listen(ingest *in, struct lws_context *context, const char *iface, int port,
                  const char *cert, const char *key) VEIL_MUST_CHECK;

/*
 * Graceful shutdown, in steps on the service thread: new connections are
 * refused, batches received are stored and acked, then every connection is
 * closed with 1001. ingest_drained() says when all of it is done.
 */
void ingest_shutdown(ingest *in);
bool ingest_drained(ingest *in);

/* Stops the workers and frees everything; the lws context is gone first. */
void ingest_destroy(ingest *in);

/* ---- 3. Metrics and the snippet --------------------------------------- */

/* Appends Prometheus text (counters, gauges, the ack-latency histogram). */
int ingest_metrics(ingest *in, veil_buf *out) VEIL_MUST_CHECK;

/* The snippet's Subresource Integrity value ("sha384-..."), for the tag;
 * VEIL_ENOTFOUND when it was not built. */
int ingest_snippet_sri(const char *snippet_path, char *out, size_t cap) VEIL_MUST_CHECK;

#endif
