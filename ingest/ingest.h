/*
 * ingest.h - the WebSocket endpoint browsers stream rrweb batches to
 * (subprotocol "veil.v1", see docs/architecture.md).
 *
 * State of this module: the endpoint accepts the upgrade and, until the
 * store can make batches durable, refuses every session with
 * {"t":"error","code":"unavailable"} and close code 1013 (try again later),
 * so the browser keeps its batches and nothing is acknowledged unstored.
 */
#ifndef VEIL_INGEST_H
#define VEIL_INGEST_H

#include <libwebsockets.h>

#define INGEST_SUBPROTOCOL "veil.v1"

/* The protocol list for the ingest vhost; lives as long as the program. */
const struct lws_protocols *ingest_protocols(void);

#endif
