#include "fsutil.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int veil_mkdirs(const char *path, mode_t mode)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) && errno != EEXIST)
        return -1;
    return 0;
}

int veil_read_all(FILE *f, veil_buf *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        int err = veil_buf_append(b, chunk, n);
        if (err)
            return err;
    }
    if (ferror(f))
        return VEIL_EIO;
    return veil_buf_reserve(b, 0); /* NUL-terminated even when empty */
}
