/*
 * maintain.h - the server's background work on the store: picking up a
 * keyring another process rotated, rewrapping data keys, rotating by age
 * and wraps, and applying retention. Progress goes to stderr and metrics.
 */
#ifndef VEIL_MAINTAIN_H
#define VEIL_MAINTAIN_H

#include <stddef.h>

#include "../store/store.h"
#include "config.h"

typedef struct maintainer maintainer;

/* Starts the thread; cfg and st must outlive maintain_stop(). */
int maintain_start(maintainer **out, const veil_config *cfg, store *st) VEIL_MUST_CHECK;
void maintain_stop(maintainer *m);

/* Appends Prometheus text of the latest progress (any thread). */
int maintain_metrics(veil_buf *out) VEIL_MUST_CHECK;

#endif
