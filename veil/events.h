/*
 * events.h - splitting a recorded session (a JSON array of events, or JSON
 * Lines) into its events, without rewriting their bytes. Control plane:
 * each event is checked by jansson.
 */
#ifndef VEIL_EVENTS_H
#define VEIL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/common.h"

/* Called with the exact bytes of one event (a JSON value) and its offset;
 * returns VEIL_OK to go on, or a VEIL_E* code to stop the split with. */
typedef int (*events_fn)(void *user, const char *event, size_t len, size_t offset);

/*
 * Calls fn for each event of `text`: a JSON array of events, a batch as
 * ingest stores it ({"t":"batch","seq":N,"events":[...]}, counted as an
 * array), or JSON Lines (one event per line, or each pretty-printed over
 * several: events one after another with blanks between them). *is_array
 * says which it was. Returns 0, fn's code, or VEIL_EJSON with *err (may be
 * NULL) saying what is wrong and at which byte.
 */
int events_each(const char *text, size_t len, bool *is_array, events_fn fn, void *user,
                veil_error *err) VEIL_MUST_CHECK;

#endif
