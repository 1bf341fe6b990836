/*
 * replay.h - the HTTPS console analysts use to replay masked sessions.
 *
 * State of this module: it serves the console's landing page and a health
 * check (GET /healthz -> {"status":"ok","version":...}); login, roles, the
 * audit log and the player arrive with the console issue.
 */
#ifndef VEIL_REPLAY_H
#define VEIL_REPLAY_H

#include <libwebsockets.h>

/* The protocol list for the console vhost; lives as long as the program. */
const struct lws_protocols *replay_protocols(void);

#endif
