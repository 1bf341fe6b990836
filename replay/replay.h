/*
 * replay.h - the HTTPS console analysts use to replay masked sessions.
 *
 * State of this module: it serves the console's landing page, a health
 * check (GET /healthz -> {"status":"ok","version":...}) and GET /metrics
 * (Prometheus text from the caller) behind a bearer token, or on a listener
 * of its own; login, roles, the audit log and the player arrive with the
 * console issue.
 */
#ifndef VEIL_REPLAY_H
#define VEIL_REPLAY_H

#include <libwebsockets.h>

#include "../common/common.h"

/* Appends Prometheus text to out. Called on the service thread: must not block. */
typedef int (*replay_metrics_fn)(void *user, veil_buf *out);

typedef struct {
    replay_metrics_fn metrics;
    void *metrics_user;
    /* `Authorization: Bearer <token>` opens /metrics on the console; NULL:
     * the console does not serve /metrics (the metrics listener still does). */
    const char *metrics_token;
} replay_config;

/* Before the listeners start; cfg and what it points to outlive them. */
void replay_configure(const replay_config *cfg);

/* The protocol list for the console vhost (TLS); lives as long as the program. */
const struct lws_protocols *replay_protocols(void);

/* The protocol list for a listener that serves only GET /metrics, without a
 * token: bind it where only the monitoring system reaches. */
const struct lws_protocols *replay_metrics_protocols(void);

#endif
