/* events.h - walking the top-level events of a recorded session (control plane, jansson). */
#ifndef VEIL_EVENTS_H
#define VEIL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

/* Called with the exact bytes of one event (a JSON value) and its offset. */
typedef int (*events_fn)(void *user, const char *event, size_t len, size_t offset);

/*
 * Calls fn for each event of `text`: a JSON array of events, or JSON Lines
 * (one event per non-blank line). *is_array says which it was. Returns 0,
 * fn's non-zero value, or -1 with *err_offset and *err_what (a static
 * sentence) set when the text is not well-formed.
 */
int events_each(const char *text, size_t len, bool *is_array, events_fn fn, void *user,
                size_t *err_offset, const char **err_what);

#endif
