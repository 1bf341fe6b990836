/*
 * common.h - what every Veil module shares: the error convention and a
 * growable byte buffer.
 *
 * Error convention (the whole project): functions that can fail return
 * `int`, 0 on success or a negative `VEIL_E*` code. `veil_strerror()` turns a
 * code into one short sentence that never contains user data.
 */
#ifndef VEIL_COMMON_H
#define VEIL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define VEIL_MUST_CHECK  __attribute__((warn_unused_result))
#define VEIL_LIKELY(x)   __builtin_expect(!!(x), 1)
#define VEIL_UNLIKELY(x) __builtin_expect(!!(x), 0)

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
};

/* One sentence for an error code; never NULL. */
const char *veil_strerror(int err);

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
/* Empties the buffer for reuse, wiping what it held. */
void veil_buf_reset(veil_buf *b);
/* Empties it without wiping: only for bytes that never held a secret (masked output). */
void veil_buf_reuse(veil_buf *b);
/* Wipes the bytes (they may have held unmasked input) and frees them. */
void veil_buf_free(veil_buf *b);

#endif
