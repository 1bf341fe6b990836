/*
 * common.h - what every Veil module shares.
 *
 * Contents
 *   1. The error convention: VEIL_E* codes and the one shape of detail.
 *   2. veil_buf: a byte buffer that wipes what it held; mapped memory in
 *      huge pages.
 *   3. Files: directories, whole-file and whole-stream reads.
 *   4. Big-endian integers in byte records.
 *   5. Time: milliseconds since the epoch, and ISO 8601 text.
 *
 * Error convention (the whole project): a function that can fail returns
 * `int`, 0 (VEIL_OK) on success or a negative VEIL_E* code, and is marked
 * VEIL_MUST_CHECK. Sizes and results go through out-parameters, never the
 * return value. When the caller needs more than the code, the function takes
 * a `veil_error *` (NULL allowed) and fills it on failure: one static
 * sentence saying what failed, and for parsers the byte offset where. No
 * detail ever quotes input bytes, so it can be logged. Library code never
 * prints: the caller decides what the operator sees.
 */
#ifndef VEIL_COMMON_H
#define VEIL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#define VEIL_MUST_CHECK  __attribute__((warn_unused_result))
#define VEIL_LIKELY(x)   __builtin_expect(!!(x), 1)
#define VEIL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- 1. Errors ----------------------------------------------------------- */

enum veil_err {
    VEIL_OK = 0,
    VEIL_ENOMEM = -1,     /* an allocation failed */
    VEIL_EINVAL = -2,     /* an argument or option value is not acceptable */
    VEIL_EJSON = -3,      /* input is not well-formed JSON */
    VEIL_ETOOBIG = -4,    /* input exceeds a configured or built-in limit */
    VEIL_ETOODEEP = -5,   /* input nests deeper than the masker allows */
    VEIL_EIO = -6,        /* a read or write of a file failed */
    VEIL_ECONFIG = -7,    /* the configuration file is not valid */
    VEIL_ECRYPTO = -8,    /* a cryptographic operation failed */
    VEIL_ENOTFOUND = -9,  /* the named thing does not exist */
    VEIL_ESHAPE = -10,    /* JSON is well-formed but not of the expected shape */
    VEIL_ENETWORK = -11,  /* a socket or server could not be set up */
    VEIL_EBUSY = -12,     /* in use by another process, session or key */
    VEIL_EEXIST = -13,    /* already exists (a resent sequence number) */
    VEIL_ECORRUPT = -14,  /* a stored record failed its integrity check */
    VEIL_ESHREDDED = -15, /* the session was deleted: its data key is gone */
    VEIL_ENOKEY = -16,    /* a needed key is missing (keyring or keys database) */
    VEIL_ENOSPC = -17,    /* the disk is full */
    VEIL_EPERM = -18,     /* the operating system refused access */
};

/* One sentence for an error code; never NULL. */
const char *veil_strerror(int err);

/* The VEIL_E* code for an errno value (ENOENT, EACCES, ENOSPC, ...). */
int veil_errno_code(int errno_value);

/* Detail of a failure (see the convention above). Zero it, or pass NULL. */
typedef struct {
    const char *what; /* static sentence, never input bytes; NULL: none */
    size_t offset;    /* byte offset in the input, for parsers; else 0 */
} veil_error;

/* Fills *err (when not NULL) and returns code, so a failure is one line. */
static inline int veil_fail(veil_error *err, int code, const char *what, size_t offset)
{
    if (err) {
        err->what = what;
        err->offset = offset;
    }
    return code;
}

/* ---- 2. Buffers ---------------------------------------------------------- */

/*
 * veil_buf: a byte buffer that owns its memory. Zero-initialise it
 * (`veil_buf b = {0};`), append, then `veil_buf_free()`. `data` is always
 * NUL-terminated after a successful append, so it can be handed to the
 * masker (which wants a NUL after the bytes) without a copy.
 */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} veil_buf;

int veil_buf_reserve(veil_buf *b, size_t extra) VEIL_MUST_CHECK;
int veil_buf_append(veil_buf *b, const void *bytes, size_t n) VEIL_MUST_CHECK;
int veil_buf_append_str(veil_buf *b, const char *s) VEIL_MUST_CHECK;
int veil_buf_append_fill(veil_buf *b, char c, size_t n) VEIL_MUST_CHECK;
int veil_buf_printf(veil_buf *b, const char *fmt, ...) VEIL_MUST_CHECK
    __attribute__((format(printf, 2, 3)));
/* Empties the buffer for reuse, wiping what it held. */
void veil_buf_reset(veil_buf *b);
/* Empties it without wiping: only for bytes that never held a secret (masked output). */
void veil_buf_reuse(veil_buf *b);
/* Wipes the bytes (they may have held unmasked input) and frees them. */
void veil_buf_free(veil_buf *b);

/*
 * Mapped memory for buffers of megabytes (veil mask's, a page snapshot's
 * tape), in huge pages where the kernel has them: on a virtual machine the
 * first touch of each 4 KiB page costs microseconds. veil_pages_resize
 * maps `len` bytes when p is NULL, else grows p's mapping of `was` bytes,
 * keeping its bytes where they are in it (mremap: no copy left behind to
 * wipe); NULL when out of memory. Lengths are multiples of VEIL_HUGE_PAGE.
 */
#define VEIL_HUGE_PAGE ((size_t)2 << 20)
void *veil_pages_resize(void *p, size_t was, size_t len);
void veil_pages_free(void *p, size_t len);

/* ---- 3. Files ------------------------------------------------------------ */

/* mkdir -p with `mode` for the directories it creates. */
int veil_mkdirs(const char *path, mode_t mode) VEIL_MUST_CHECK;

/*
 * Appends everything `f` holds to b (NUL-terminated, even when empty).
 * VEIL_ETOOBIG once b would pass `max` bytes (0: no limit).
 */
int veil_read_stream(FILE *f, veil_buf *b, size_t max) VEIL_MUST_CHECK;

/* The same for the file at `path`; `id` (may be NULL) gets its fstat(). */
int veil_read_file(const char *path, veil_buf *b, size_t max, struct stat *id) VEIL_MUST_CHECK;

/* fsync of the directory that holds `path`, after a file in it was created
 * or renamed, so the name survives a crash. */
int veil_fsync_dir_of(const char *path) VEIL_MUST_CHECK;

/* ---- 4. Big-endian integers ---------------------------------------------- */

/* Each put returns the byte after what it wrote, so layouts read in order. */
static inline uint8_t *veil_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static inline uint8_t *veil_be64_put(uint8_t *p, uint64_t v)
{
    return veil_be32_put(veil_be32_put(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

static inline uint32_t veil_be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t veil_be64_get(const uint8_t *p)
{
    return (uint64_t)veil_be32_get(p) << 32 | veil_be32_get(p + 4);
}

/* ---- 5. Time ------------------------------------------------------------- */

/* Wall-clock milliseconds since 1970 (UTC). */
uint64_t veil_now_ms(void);

/* "2026-12-01T15:18:49Z" for a time in ms since 1970; out holds VEIL_TIME_TEXT. */
#define VEIL_TIME_TEXT 32
void veil_time_text(uint64_t unix_ms, char out[VEIL_TIME_TEXT]);

#endif
