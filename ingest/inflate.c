/* inflate.c - a gzip message inflated with zlib, never past its cap (a
 * gzip bomb stops at the cap, not at the end of memory). */
#include "internal.h"

#include <zlib.h>

int inflate_gzip(const void *in, size_t len, size_t cap, veil_buf *out)
{
    veil_buf_reuse(out);
    z_stream z = {0};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) /* 16: gzip framing only */
        return VEIL_ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)(len < UINT32_MAX ? len : UINT32_MAX);
    int rc = VEIL_OK, zrc = Z_OK;
    while (zrc == Z_OK) {
        size_t room = out->len < cap ? cap - out->len : 0;
        size_t step = room < 65536 ? room + 1 : 65536; /* one byte past the cap tells */
        if ((rc = veil_buf_reserve(out, step)))
            break;
        z.next_out = (Bytef *)out->data + out->len;
        z.avail_out = (uInt)step;
        zrc = inflate(&z, Z_NO_FLUSH);
        out->len += step - z.avail_out;
        if (out->len > cap) {
            rc = VEIL_ETOOBIG;
            break;
        }
        if (zrc == Z_BUF_ERROR && z.avail_in == 0)
            zrc = Z_DATA_ERROR; /* cut short */
    }
    if (!rc && (zrc != Z_STREAM_END || z.avail_in != 0))
        rc = VEIL_EJSON; /* not gzip, damaged, or bytes after its end */
    inflateEnd(&z);
    if (out->data)
        out->data[rc ? 0 : out->len] = '\0';
    if (rc)
        out->len = 0;
    return rc;
}
