/*
 * records.c - byte layouts of what the store writes, and the AAD that binds
 * each record to its place. Integers are big-endian; every record starts
 * with RECORD_FORMAT_V1.
 *
 *   keys  k/<id>        format | master u32 | created u64 | site_len u8 | site
 *                       | nonce | wrapped data key | tag
 *         AAD "veil/dek/v2" | header (format..site) | id_len u8 | id
 *                       | keyring id[16]
 *         (format 2; a format-1 record, written before keyrings had an id,
 *         has the AAD "veil/dek/v1" | header | id_len | id, and opens too;
 *         rewrap writes it anew as format 2). `created` is when the server
 *         created the session: retention counts from it, authenticated.
 *   data  s/<id>        format | site_len u8 | site | created u64 | updated u64
 *                       | chunks u32 | last_seq u32 | plain u64 | stored u64
 *                       | nonce | tag            (GMAC: authenticated, not secret)
 *         AAD "veil/index/v1" | id_len u8 | id | fields (format..stored)
 *   data  c/<id>/<seq>  format | nonce | zstd(json) encrypted | tag
 *         AAD "veil/chunk/v1" | format | site_len | site | id_len | id | seq u32
 */
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "internal.h"

#define CHUNK_ZSTD_LEVEL 3

/* A length-prefixed name (site or session id, at most MAX_ID bytes). */
static uint8_t *put_name(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    *p++ = (uint8_t)n;
    memcpy(p, s, n);
    return p + n;
}

static int get_name(const uint8_t **p, const uint8_t *end, char *out)
{
    if (*p >= end || **p == 0 || **p > MAX_ID || (size_t)(end - *p) < 1u + **p)
        return VEIL_ECORRUPT;
    size_t n = **p;
    memcpy(out, *p + 1, n);
    out[n] = '\0';
    if (!store_valid_id(out)) /* also refuses embedded NULs */
        return VEIL_ECORRUPT;
    *p += 1 + n;
    return VEIL_OK;
}

static size_t make_key(char *out, char kind, const char *id, bool slash)
{
    size_t n = strlen(id);
    out[0] = kind;
    out[1] = '/';
    memcpy(out + 2, id, n);
    if (slash)
        out[2 + n++] = '/';
    return 2 + n;
}

size_t record_key_dek(char *out, const char *session_id)
{
    return make_key(out, 'k', session_id, false);
}

size_t record_key_shred(char *out, const char *session_id)
{
    return make_key(out, 'x', session_id, false);
}

size_t record_key_index(char *out, const char *session_id)
{
    return make_key(out, 's', session_id, false);
}

size_t record_key_stats(char *out, const char *session_id)
{
    return make_key(out, 't', session_id, false);
}

size_t record_key_chunk_prefix(char *out, const char *session_id)
{
    return make_key(out, 'c', session_id, true);
}

size_t record_key_chunk(char *out, const char *session_id, uint32_t seq)
{
    size_t n = record_key_chunk_prefix(out, session_id);
    veil_be32_put((uint8_t *)out + n, seq);
    return n + 4;
}

/* ---- data keys -------------------------------------------------------- */

#define DEK_FORMAT_V2 0x02
static const char DEK_LABEL_V1[] = "veil/dek/v1", DEK_LABEL[] = "veil/dek/v2";
enum { DEK_AAD_MAX = sizeof DEK_LABEL + DEK_RECORD_MAX + MAX_ID + 1 + KEYRING_ID_BYTES };

/* The AAD of a data-key record whose header (format first) is given. */
static size_t dek_aad(uint8_t *aad, const uint8_t *header, size_t hlen, const char *session_id,
                      const uint8_t *keyring_id)
{
    bool v2 = header[0] == DEK_FORMAT_V2;
    const char *label = v2 ? DEK_LABEL : DEK_LABEL_V1;
    uint8_t *p = aad;
    memcpy(p, label, sizeof DEK_LABEL - 1);
    p += sizeof DEK_LABEL - 1;
    memcpy(p, header, hlen);
    p = put_name(p + hlen, session_id);
    if (v2) {
        memcpy(p, keyring_id, KEYRING_ID_BYTES);
        p += KEYRING_ID_BYTES;
    }
    return (size_t)(p - aad);
}

int record_dek_wrap(uint8_t *out, size_t *len, const dek_header *h, const char *session_id,
                    const uint8_t *keyring_id, const uint8_t *master, const uint8_t *dek)
{
    *len = 0;
    uint8_t *p = out;
    *p++ = DEK_FORMAT_V2;
    p = veil_be32_put(p, h->master_version);
    p = veil_be64_put(p, h->created_ms);
    p = put_name(p, h->site);
    size_t hlen = (size_t)(p - out);
    uint8_t aad[DEK_AAD_MAX];
    size_t alen = dek_aad(aad, out, hlen, session_id, keyring_id);
    int rc = seal_encrypt(master, aad, alen, dek, SEAL_KEY_BYTES, p);
    if (!rc)
        *len = hlen + SEAL_OVERHEAD + SEAL_KEY_BYTES;
    return rc;
}

/* Returns the header length, or 0 when the record is malformed. */
static size_t dek_parse(const uint8_t *rec, size_t len, dek_header *h)
{
    const uint8_t *p = rec, *end = rec + len;
    if (len < 1 + 4 + 8 || (*p != RECORD_FORMAT_V1 && *p != DEK_FORMAT_V2))
        return 0;
    h->master_version = veil_be32_get(p + 1);
    h->created_ms = veil_be64_get(p + 5);
    p += 13;
    if (get_name(&p, end, h->site))
        return 0;
    size_t hlen = (size_t)(p - rec);
    return len - hlen == SEAL_OVERHEAD + SEAL_KEY_BYTES ? hlen : 0;
}

int record_dek_header(const uint8_t *rec, size_t len, dek_header *h)
{
    return dek_parse(rec, len, h) ? VEIL_OK : VEIL_ECORRUPT;
}

int record_dek_unwrap(const uint8_t *rec, size_t len, const char *session_id,
                      const uint8_t *keyring_id, const uint8_t *master, uint8_t *dek)
{
    dek_header h;
    size_t hlen = dek_parse(rec, len, &h);
    if (!hlen)
        return VEIL_ECORRUPT;
    uint8_t aad[DEK_AAD_MAX];
    size_t alen = dek_aad(aad, rec, hlen, session_id, keyring_id);
    return seal_decrypt(master, aad, alen, rec + hlen, len - hlen, dek) ? VEIL_ECORRUPT : VEIL_OK;
}

/* ---- session index ---------------------------------------------------- */

static const char INDEX_LABEL[] = "veil/index/v1";

static size_t index_aad(uint8_t *aad, const uint8_t *fields, size_t flen, const char *session_id)
{
    uint8_t *p = aad;
    memcpy(p, INDEX_LABEL, sizeof INDEX_LABEL - 1);
    p = put_name(p + sizeof INDEX_LABEL - 1, session_id);
    memcpy(p, fields, flen);
    return (size_t)(p + flen - aad);
}

int record_index_encode(uint8_t *out, size_t *len, const index_entry *e, const char *session_id,
                        const uint8_t *dek)
{
    *len = 0;
    uint8_t *p = out;
    *p++ = RECORD_FORMAT_V1;
    p = put_name(p, e->site);
    p = veil_be64_put(p, e->created_ms);
    p = veil_be64_put(p, e->updated_ms);
    p = veil_be32_put(p, e->chunks);
    p = veil_be32_put(p, e->last_seq);
    p = veil_be64_put(p, e->plain_bytes);
    p = veil_be64_put(p, e->stored_bytes);
    size_t flen = (size_t)(p - out);
    uint8_t aad[sizeof INDEX_LABEL + MAX_ID + 1 + INDEX_RECORD_MAX];
    size_t alen = index_aad(aad, out, flen, session_id);
    int rc = seal_encrypt(dek, aad, alen, NULL, 0, p);
    if (!rc)
        *len = flen + SEAL_OVERHEAD;
    return rc;
}

int record_index_decode(const uint8_t *rec, size_t len, const char *session_id, const uint8_t *dek,
                        index_entry *e)
{
    const uint8_t *p = rec, *end = rec + len;
    if (len < 2 || *p++ != RECORD_FORMAT_V1 || get_name(&p, end, e->site))
        return VEIL_ECORRUPT;
    if ((size_t)(end - p) != 8 * 4 + 4 * 2 + SEAL_OVERHEAD)
        return VEIL_ECORRUPT;
    e->created_ms = veil_be64_get(p);
    e->updated_ms = veil_be64_get(p + 8);
    e->chunks = veil_be32_get(p + 16);
    e->last_seq = veil_be32_get(p + 20);
    e->plain_bytes = veil_be64_get(p + 24);
    e->stored_bytes = veil_be64_get(p + 32);
    if (!dek)
        return VEIL_OK;
    size_t flen = (size_t)(p + 40 - rec);
    uint8_t aad[sizeof INDEX_LABEL + MAX_ID + 1 + INDEX_RECORD_MAX];
    size_t alen = index_aad(aad, rec, flen, session_id);
    return seal_decrypt(dek, aad, alen, rec + flen, len - flen, NULL) ? VEIL_ECORRUPT : VEIL_OK;
}

/* ---- chunks ----------------------------------------------------------- */

static const char CHUNK_LABEL[] = "veil/chunk/v1";

static size_t chunk_aad(uint8_t *aad, const char *site, const char *session_id, uint32_t seq)
{
    uint8_t *p = aad;
    memcpy(p, CHUNK_LABEL, sizeof CHUNK_LABEL - 1);
    p += sizeof CHUNK_LABEL - 1;
    *p++ = RECORD_FORMAT_V1;
    p = put_name(p, site);
    p = put_name(p, session_id);
    return (size_t)(veil_be32_put(p, seq) - aad);
}

int record_chunk_seal(veil_buf *out, const char *site, const char *session_id, uint32_t seq,
                      const uint8_t *dek, const void *json, size_t len)
{
    if (len > MAX_CHUNK_PLAIN)
        return VEIL_ETOOBIG;
    size_t bound = ZSTD_compressBound(len);
    uint8_t *z = malloc(bound);
    if (!z)
        return VEIL_ENOMEM;
    size_t zlen = ZSTD_compress(z, bound, json, len, CHUNK_ZSTD_LEVEL);
    veil_buf_reset(out);
    int rc = ZSTD_isError(zlen) ? VEIL_EIO : veil_buf_reserve(out, 1 + zlen + SEAL_OVERHEAD);
    if (!rc) {
        uint8_t aad[sizeof CHUNK_LABEL + 2 * (MAX_ID + 1) + 5];
        size_t alen = chunk_aad(aad, site, session_id, seq);
        uint8_t *dst = (uint8_t *)out->data;
        dst[0] = RECORD_FORMAT_V1;
        rc = seal_encrypt(dek, aad, alen, z, zlen, dst + 1);
        out->len = rc ? 0 : 1 + zlen + SEAL_OVERHEAD;
    }
    free(z);
    return rc;
}

int record_chunk_open(veil_buf *json, const char *site, const char *session_id, uint32_t seq,
                      const uint8_t *dek, const uint8_t *rec, size_t len)
{
    if (len < 1 + SEAL_OVERHEAD || rec[0] != RECORD_FORMAT_V1)
        return VEIL_ECORRUPT;
    size_t zlen = len - 1 - SEAL_OVERHEAD;
    uint8_t *z = malloc(zlen ? zlen : 1);
    if (!z)
        return VEIL_ENOMEM;
    uint8_t aad[sizeof CHUNK_LABEL + 2 * (MAX_ID + 1) + 5];
    size_t alen = chunk_aad(aad, site, session_id, seq);
    int rc = seal_decrypt(dek, aad, alen, rec + 1, len - 1, z) ? VEIL_ECORRUPT : VEIL_OK;
    if (!rc) {
        unsigned long long n = ZSTD_getFrameContentSize(z, zlen);
        if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN || n > MAX_CHUNK_PLAIN)
            rc = VEIL_ECORRUPT;
        else {
            veil_buf_reset(json);
            rc = veil_buf_reserve(json, (size_t)n);
        }
        if (!rc) {
            size_t got = ZSTD_decompress(json->data, (size_t)n + 1, z, zlen);
            rc = ZSTD_isError(got) || got != n ? VEIL_ECORRUPT : VEIL_OK;
            json->len = rc ? 0 : got;
            json->data[json->len] = '\0';
        }
    }
    free(z);
    return rc;
}
