/*
 * common.c - error sentences, the wiping byte buffer, file reads, and time:
 * the few helpers every module needs, kept in one place (common.h).
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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
    case VEIL_EPERM:
        return "permission denied";
    }
    return "unknown error";
}

int veil_errno_code(int errno_value)
{
    switch (errno_value) {
    case 0:
        return VEIL_OK;
    case ENOENT:
    case ENOTDIR:
        return VEIL_ENOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return VEIL_EPERM;
    case ENOSPC:
    case EDQUOT:
        return VEIL_ENOSPC;
    case ENOMEM:
        return VEIL_ENOMEM;
    case EEXIST:
        return VEIL_EEXIST;
    case ENAMETOOLONG:
        return VEIL_EINVAL;
    default:
        return VEIL_EIO;
    }
}

/* ---- buffers ---------------------------------------------------------------- */

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

int veil_buf_printf(veil_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return VEIL_EINVAL;
    int err = veil_buf_reserve(b, (size_t)n);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
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

void *veil_pages_resize(void *p, size_t was, size_t len)
{
    void *q = p ? mremap(p, was, len, MREMAP_MAYMOVE)
                : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED)
        return NULL;
    madvise(q, len, MADV_HUGEPAGE); /* (a hint: without it, 4 KiB pages) */
    return q;
}

void veil_pages_free(void *p, size_t len)
{
    if (p)
        munmap(p, len);
}

/* ---- files ------------------------------------------------------------------ */

int veil_mkdirs(const char *path, mode_t mode)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return VEIL_EINVAL;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) && errno != EEXIST)
            return veil_errno_code(errno);
        *p = '/';
    }
    if (mkdir(tmp, mode) && errno != EEXIST)
        return veil_errno_code(errno);
    return VEIL_OK;
}

int veil_read_stream(FILE *f, veil_buf *b, size_t max)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max && n > max - b->len)
            return VEIL_ETOOBIG;
        int err = veil_buf_append(b, chunk, n);
        if (err)
            return err;
    }
    if (ferror(f))
        return VEIL_EIO;
    return veil_buf_reserve(b, 0); /* NUL-terminated even when empty */
}

int veil_read_file(const char *path, veil_buf *b, size_t max, struct stat *id)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return veil_errno_code(errno);
    int rc = id && fstat(fileno(f), id) ? VEIL_EIO : VEIL_OK;
    if (!rc)
        rc = veil_read_stream(f, b, max);
    fclose(f);
    return rc;
}

int veil_fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return VEIL_ENOMEM;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return veil_errno_code(errno);
    int rc = fsync(fd) ? veil_errno_code(errno) : VEIL_OK;
    close(fd);
    return rc;
}

/* ---- time ------------------------------------------------------------------- */

uint64_t veil_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void veil_time_text(uint64_t unix_ms, char out[VEIL_TIME_TEXT])
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, VEIL_TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm))
        strcpy(out, "(out of range)");
}
