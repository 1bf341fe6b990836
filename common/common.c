#include "common.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

const char *veil_strerror(int err)
{
    switch (err) {
    case VEIL_OK:
        return "success";
    case VEIL_ENOMEM:
        return "out of memory";
    case VEIL_EINVAL:
        return "invalid argument";
    case VEIL_EJSON:
        return "malformed JSON";
    case VEIL_ETOOBIG:
        return "input too large";
    case VEIL_ETOODEEP:
        return "JSON nested too deeply";
    case VEIL_EIO:
        return "input/output error";
    case VEIL_ECONFIG:
        return "invalid configuration";
    case VEIL_ECRYPTO:
        return "cryptographic operation failed";
    case VEIL_ENOTFOUND:
        return "not found";
    case VEIL_ESHAPE:
        return "JSON is not of the expected shape";
    case VEIL_ENETWORK:
        return "network setup failed";
    case VEIL_EBUSY:
        return "in use";
    case VEIL_EEXIST:
        return "already exists";
    case VEIL_ECORRUPT:
        return "stored record failed its integrity check";
    case VEIL_ESHREDDED:
        return "session was deleted (its data key is shredded)";
    case VEIL_ENOKEY:
        return "key missing";
    case VEIL_ENOSPC:
        return "disk full";
    }
    return "unknown error";
}

int veil_buf_reserve(veil_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return VEIL_ETOOBIG;
    size_t need = b->len + extra + 1; /* room for the trailing NUL */
    if (need <= b->cap)
        return VEIL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Not realloc: the old block may hold unmasked bytes and must be wiped. */
    char *p = malloc(cap);
    if (!p)
        return VEIL_ENOMEM;
    if (b->data) {
        memcpy(p, b->data, b->len + 1);
        sodium_memzero(b->data, b->cap);
        free(b->data);
    } else {
        p[0] = '\0';
    }
    b->data = p;
    b->cap = cap;
    return VEIL_OK;
}

int veil_buf_append(veil_buf *b, const void *bytes, size_t n)
{
    int err = veil_buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return VEIL_OK;
}

int veil_buf_append_str(veil_buf *b, const char *s)
{
    return veil_buf_append(b, s, strlen(s));
}

int veil_buf_append_fill(veil_buf *b, char c, size_t n)
{
    int err = veil_buf_reserve(b, n);
    if (err)
        return err;
    memset(b->data + b->len, c, n);
    b->len += n;
    b->data[b->len] = '\0';
    return VEIL_OK;
}

void veil_buf_reset(veil_buf *b)
{
    if (b->data) {
        sodium_memzero(b->data, b->len);
        b->data[0] = '\0';
    }
    b->len = 0;
}

void veil_buf_reuse(veil_buf *b)
{
    if (b->data)
        b->data[0] = '\0';
    b->len = 0;
}

void veil_buf_free(veil_buf *b)
{
    if (b->data) {
        sodium_memzero(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}
