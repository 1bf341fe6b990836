/*
 * import.h - what `veil import` shares between its two paths: into the
 * store directly (store_cmd.c), or through a running server's ingest
 * listener when that server holds the store (import_remote.c).
 */
#ifndef VEIL_IMPORT_H
#define VEIL_IMPORT_H

#include <stddef.h>

#include "../common/common.h"
#include "../ingest/ingest.h"
#include "cli.h"

/* Where each event of a file lies. */
typedef struct {
    size_t *offset, *len;
    size_t n, cap;
} import_spans;

/*
 * Reads the file ("-": stdin) and splits it into its events, so a file is
 * checked whole before anything of it is stored; prints why and returns
 * non-zero when it cannot. The caller frees in and es's arrays.
 */
int import_read_events(const char *path, veil_buf *in, import_spans *es) VEIL_MUST_CHECK;

/* Imports one file through the running server as a new session of `site`;
 * prints the session id, or why not. */
int import_via_server(const veil_config *cfg, const veil_site_config *site,
                      const char *path) VEIL_MUST_CHECK;

#endif
