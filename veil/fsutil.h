/* fsutil.h - small file-system helpers for the veil program. */
#ifndef VEIL_FSUTIL_H
#define VEIL_FSUTIL_H

#include <stdio.h>
#include <sys/types.h>

#include "../common/common.h"

/* mkdir -p; returns 0 or -1 with errno set. */
int veil_mkdirs(const char *path, mode_t mode);

/* Reads a whole stream into b (NUL-terminated). */
int veil_read_all(FILE *f, veil_buf *b) VEIL_MUST_CHECK;

#endif
