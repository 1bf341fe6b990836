/*
 * replay.h - the HTTPS console analysts use to replay masked sessions.
 *
 * State of this module: it serves the console's landing page and a health
 * check (GET /healthz -> {"status":"ok","version":...}), and GET /metrics
 * (key rotation progress, from the caller); login, roles, the
 * audit log and the player arrive with the console issue.
 */
#ifndef VEIL_REPLAY_H
#define VEIL_REPLAY_H

#include <libwebsockets.h>

/*
 * Fills `out` (NUL-terminated, at most `cap` bytes) with Prometheus text for
 * GET /metrics. Called on the service thread, so it must not block.
 */
typedef void (*replay_metrics_fn)(char *out, size_t cap);
void replay_set_metrics(replay_metrics_fn fn);

/* The protocol list for the console vhost; lives as long as the program. */
const struct lws_protocols *replay_protocols(void);

#endif
