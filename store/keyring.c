/*
 * keyring.c - the root secret and the keyring file of versioned master keys.
 *
 * File: header (magic "VEILKR1\n" | kdf u8 | salt[16] | ops u64 | mem u64)
 * then nonce | AES-256-GCM(body) | tag with the header as AAD. Body:
 * current u32 | count u32 | count x (version u32 | state u8 | created u64 |
 * key[32]). kdf 1: the sealing key is the root key file's 32 bytes;
 * kdf 2: argon2id(passphrase, salt, ops, mem). Rewrites go to a temporary
 * file, fsync, rename, fsync of the directory, under flock(<path>.lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

static const char MAGIC[8] = {'V', 'E', 'I', 'L', 'K', 'R', '1', '\n'};
enum { KDF_KEY_FILE = 1, KDF_ARGON2ID = 2 };
enum { HEADER_BYTES = 8 + 1 + 16 + 8 + 8, ENTRY_BYTES = 4 + 1 + 8 + SEAL_KEY_BYTES };
#define MAX_VERSIONS 4096

/* ---- root secret ------------------------------------------------------ */

static int read_secret_file(const char *path, uint8_t *buf, size_t cap, size_t *n, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = "cannot open the root key or passphrase file";
        return errno == ENOENT ? VEIL_ENOTFOUND : VEIL_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) || (sb.st_mode & 077)) {
        close(fd);
        *why = "the root key or passphrase file is readable by others; chmod 400 it";
        return VEIL_EINVAL;
    }
    ssize_t got = read(fd, buf, cap);
    close(fd);
    if (got < 0) {
        *why = "cannot read the root key or passphrase file";
        return VEIL_EIO;
    }
    *n = (size_t)got;
    return VEIL_OK;
}

static int create_key_file(const char *path, const char **why)
{
    uint8_t key[SEAL_KEY_BYTES];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
    if (fd < 0) {
        *why = "cannot create the root key file";
        return VEIL_EIO;
    }
    int rc = random_bytes(key, sizeof key);
    if (!rc && (write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd)))
        rc = VEIL_EIO;
    sodium_memzero(key, sizeof key);
    close(fd);
    if (rc) {
        unlink(path);
        *why = "cannot write the root key file";
    }
    return rc;
}

int root_secret_load(root_secret *rs, const char *key_file, const char *passphrase_file,
                     bool may_create, const char **why)
{
    memset(rs, 0, sizeof *rs);
    if (!!key_file == !!passphrase_file) {
        *why = "configure exactly one of root_key_file and root_passphrase_file";
        return VEIL_EINVAL;
    }
    enum { CAP = 1024 };
    rs->key = sodium_malloc(CAP);
    if (!rs->key)
        return VEIL_ENOMEM;
    rs->is_passphrase = passphrase_file != NULL;
    int rc = read_secret_file(rs->is_passphrase ? passphrase_file : key_file, rs->key, CAP,
                              &rs->len, why);
    if (rc == VEIL_ENOTFOUND && !rs->is_passphrase && may_create) {
        rc = create_key_file(key_file, why);
        if (!rc)
            rc = read_secret_file(key_file, rs->key, CAP, &rs->len, why);
    }
    if (!rc && rs->is_passphrase) {
        while (rs->len && (rs->key[rs->len - 1] == '\n' || rs->key[rs->len - 1] == '\r'))
            rs->len--;
        if (rs->len < 12 || rs->len == CAP) {
            *why = "the passphrase must be 12 to 1000 characters on the file's first line";
            rc = VEIL_EINVAL;
        }
    } else if (!rc && rs->len != SEAL_KEY_BYTES) {
        *why = "the root key file must hold exactly 32 bytes";
        rc = VEIL_EINVAL;
    }
    if (rc)
        root_secret_free(rs);
    return rc;
}

void root_secret_free(root_secret *rs)
{
    sodium_free(rs->key);
    memset(rs, 0, sizeof *rs);
}

/* ---- file I/O ---------------------------------------------------------- */

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* The key that seals the file: the root key, or argon2id of the passphrase. */
static int sealing_key(const root_secret *rs, const uint8_t *header, uint8_t *key, const char **why)
{
    uint8_t kdf = header[8];
    if ((kdf == KDF_ARGON2ID) != rs->is_passphrase) {
        *why = kdf == KDF_ARGON2ID ? "the keyring is sealed by a passphrase; set "
                                     "root_passphrase_file, not root_key_file"
                                   : "the keyring is sealed by a key file; set root_key_file, "
                                     "not root_passphrase_file";
        return VEIL_ENOKEY;
    }
    if (kdf == KDF_KEY_FILE) {
        memcpy(key, rs->key, SEAL_KEY_BYTES);
        return VEIL_OK;
    }
    uint64_t ops = get_be(header + 25, 8), mem = get_be(header + 33, 8);
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 || mem < crypto_pwhash_MEMLIMIT_MIN ||
        mem > ((uint64_t)4 << 30)) {
        *why = "the keyring header names argon2id limits out of range";
        return VEIL_ECORRUPT;
    }
    if (crypto_pwhash(key, SEAL_KEY_BYTES, (const char *)rs->key, rs->len, header + 9, ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13)) {
        *why = "not enough memory for argon2id";
        return VEIL_ENOMEM;
    }
    return VEIL_OK;
}

static int parse_body(keyring *kr, const uint8_t *body, size_t n)
{
    if (n < 8)
        return VEIL_ECORRUPT;
    uint32_t current = (uint32_t)get_be(body, 4), count = (uint32_t)get_be(body + 4, 4);
    if (count == 0 || count > MAX_VERSIONS || n != 8 + (size_t)count * ENTRY_BYTES)
        return VEIL_ECORRUPT;
    kr->keys = calloc(count, sizeof *kr->keys);
    if (!kr->keys)
        return VEIL_ENOMEM;
    kr->current = current;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = body + 8 + (size_t)i * ENTRY_BYTES;
        master_key *mk = &kr->keys[kr->n++];
        mk->version = (uint32_t)get_be(e, 4);
        mk->state = e[4];
        mk->created_s = get_be(e + 5, 8);
        if (mk->state == MASTER_ACTIVE) {
            if (!(mk->key = secret_key_new()))
                return VEIL_ENOMEM;
            memcpy(mk->key, e + 13, SEAL_KEY_BYTES);
        }
    }
    const master_key *cur = keyring_find(kr, current);
    return cur && cur->state == MASTER_ACTIVE ? VEIL_OK : VEIL_ECORRUPT;
}

static int read_file(const char *path, veil_buf *out, struct stat *id)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? VEIL_ENOTFOUND : VEIL_EIO;
    int rc = fstat(fileno(f), id) ? VEIL_EIO : VEIL_OK;
    char tmp[4096];
    size_t got;
    while (!rc && (got = fread(tmp, 1, sizeof tmp, f)) > 0)
        rc = out->len + got > (size_t)1 << 24 ? VEIL_ECORRUPT : veil_buf_append(out, tmp, got);
    if (!rc && ferror(f))
        rc = VEIL_EIO;
    fclose(f);
    return rc;
}

static int load_file(keyring *kr, const char *path, const root_secret *rs, const char **why)
{
    veil_buf file = {0};
    uint8_t *key = secret_key_new(), *body = NULL;
    int rc = key ? read_file(path, &file, &kr->file_id) : VEIL_ENOMEM;
    if (rc == VEIL_ENOTFOUND)
        *why = "the keyring file does not exist";
    else if (!rc && (file.len < HEADER_BYTES + SEAL_OVERHEAD || memcmp(file.data, MAGIC, 8))) {
        *why = "the keyring file is not a Veil keyring";
        rc = VEIL_ECORRUPT;
    }
    if (!rc)
        rc = sealing_key(rs, (const uint8_t *)file.data, key, why);
    size_t n = file.len - HEADER_BYTES - SEAL_OVERHEAD;
    if (!rc && !(body = sodium_malloc(n ? n : 1)))
        rc = VEIL_ENOMEM;
    if (!rc && unseal(key, (const uint8_t *)file.data, HEADER_BYTES,
                      (const uint8_t *)file.data + HEADER_BYTES, file.len - HEADER_BYTES, body)) {
        *why = "the root key does not open the keyring (wrong key or passphrase, or the "
               "file is damaged)";
        rc = VEIL_ECRYPTO;
    }
    if (!rc && (rc = parse_body(kr, body, n)) == VEIL_ECORRUPT)
        *why = "the keyring's contents are inconsistent";
    if (body)
        sodium_free(body);
    secret_key_free(key);
    veil_buf_free(&file);
    return rc;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return VEIL_ENOMEM;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return VEIL_EIO;
    int rc = fsync(fd) ? VEIL_EIO : VEIL_OK;
    close(fd);
    return rc;
}

static int write_file(const keyring *kr, const char *path, const uint8_t *header,
                      const uint8_t *key)
{
    size_t n = 8 + kr->n * ENTRY_BYTES, total = HEADER_BYTES + n + SEAL_OVERHEAD;
    uint8_t *body = sodium_malloc(n), *out = malloc(total);
    int rc = body && out ? VEIL_OK : VEIL_ENOMEM;
    if (!rc) {
        uint8_t *p = put_be(put_be(body, kr->current, 4), kr->n, 4);
        for (size_t i = 0; i < kr->n; i++) {
            const master_key *mk = &kr->keys[i];
            p = put_be(p, mk->version, 4);
            *p++ = mk->state;
            p = put_be(p, mk->created_s, 8);
            if (mk->key)
                memcpy(p, mk->key, SEAL_KEY_BYTES);
            else
                memset(p, 0, SEAL_KEY_BYTES);
            p += SEAL_KEY_BYTES;
        }
        memcpy(out, header, HEADER_BYTES);
        rc = seal(key, header, HEADER_BYTES, body, n, out + HEADER_BYTES);
    }
    char tmp[VEIL_PATH_MAX];
    if (!rc && snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        rc = VEIL_EINVAL;
    int fd = rc ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (!rc && fd < 0)
        rc = VEIL_EIO;
    if (!rc && (write(fd, out, total) != (ssize_t)total || fsync(fd)))
        rc = errno == ENOSPC ? VEIL_ENOSPC : VEIL_EIO;
    if (fd >= 0)
        close(fd);
    if (!rc && rename(tmp, path))
        rc = VEIL_EIO;
    if (!rc)
        rc = fsync_dir_of(path);
    if (rc && fd >= 0)
        unlink(tmp);
    if (body)
        sodium_free(body);
    free(out);
    return rc;
}

/* ---- public ------------------------------------------------------------- */

const master_key *keyring_find(const keyring *kr, uint32_t version)
{
    for (size_t i = 0; i < kr->n; i++)
        if (kr->keys[i].version == version)
            return &kr->keys[i];
    return NULL;
}

void keyring_free(keyring *kr)
{
    for (size_t i = 0; i < kr->n; i++)
        if (kr->keys[i].key)
            secret_key_free(kr->keys[i].key);
    free(kr->keys);
    memset(kr, 0, sizeof *kr);
}

bool keyring_changed(const keyring *kr, const char *path)
{
    struct stat sb;
    if (stat(path, &sb))
        return false;
    return sb.st_ino != kr->file_id.st_ino || sb.st_size != kr->file_id.st_size ||
           sb.st_mtim.tv_sec != kr->file_id.st_mtim.tv_sec ||
           sb.st_mtim.tv_nsec != kr->file_id.st_mtim.tv_nsec;
}

static void new_header(uint8_t *h, const root_secret *rs)
{
    memset(h, 0, HEADER_BYTES);
    memcpy(h, MAGIC, 8);
    h[8] = rs->is_passphrase ? KDF_ARGON2ID : KDF_KEY_FILE;
    if (rs->is_passphrase) {
        randombytes_buf(h + 9, 16);
        put_be(h + 25, crypto_pwhash_OPSLIMIT_MODERATE, 8);
        put_be(h + 33, crypto_pwhash_MEMLIMIT_MODERATE, 8);
    }
}

static int append_version(keyring *kr, uint32_t version)
{
    master_key *keys = realloc(kr->keys, (kr->n + 1) * sizeof *keys);
    if (!keys)
        return VEIL_ENOMEM;
    kr->keys = keys;
    master_key *mk = &keys[kr->n];
    memset(mk, 0, sizeof *mk);
    if (!(mk->key = secret_key_new()) || random_bytes(mk->key, SEAL_KEY_BYTES)) {
        if (mk->key)
            secret_key_free(mk->key);
        return VEIL_ECRYPTO;
    }
    mk->version = version;
    mk->state = MASTER_ACTIVE;
    mk->created_s = (uint64_t)time(NULL);
    kr->n++;
    kr->current = version;
    return VEIL_OK;
}

static int create_file(keyring *kr, const char *path, const root_secret *rs, const char **why)
{
    uint8_t header[HEADER_BYTES];
    new_header(header, rs);
    uint8_t *key = secret_key_new();
    int rc = key ? sealing_key(rs, header, key, why) : VEIL_ENOMEM;
    if (!rc)
        rc = append_version(kr, 1);
    if (!rc)
        rc = write_file(kr, path, header, key);
    if (rc && !*why)
        *why = "cannot write the keyring file";
    secret_key_free(key);
    keyring_free(kr);
    return rc;
}

int keyring_load(keyring *kr, const char *path, const root_secret *rs, bool may_create,
                 const char **why)
{
    memset(kr, 0, sizeof *kr);
    const char *ignored;
    if (!why)
        why = &ignored;
    *why = NULL;
    int rc = load_file(kr, path, rs, why);
    if (rc == VEIL_ENOTFOUND && may_create) {
        keyring_free(kr);
        *why = NULL;
        rc = create_file(kr, path, rs, why);
        if (!rc)
            rc = load_file(kr, path, rs, why);
    }
    if (rc)
        keyring_free(kr);
    return rc;
}

/* Locks, rereads the file, applies `change`, writes it back, reloads kr. */
static int locked_update(keyring *kr, const char *path, const root_secret *rs,
                         int (*change)(keyring *fresh, uint32_t arg, uint32_t *result),
                         uint32_t arg, uint32_t *result)
{
    char lock_path[VEIL_PATH_MAX];
    if (snprintf(lock_path, sizeof lock_path, "%s.lock", path) >= (int)sizeof lock_path)
        return VEIL_EINVAL;
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX)) {
        if (lock >= 0)
            close(lock);
        return VEIL_EIO;
    }
    const char *why;
    keyring fresh;
    int rc = keyring_load(&fresh, path, rs, false, &why);
    veil_buf file = {0};
    struct stat ignored;
    if (!rc)
        rc = read_file(path, &file, &ignored);
    uint8_t *key = rc ? NULL : secret_key_new();
    if (!rc && !key)
        rc = VEIL_ENOMEM;
    if (!rc)
        rc = sealing_key(rs, (const uint8_t *)file.data, key, &why);
    if (!rc)
        rc = change(&fresh, arg, result);
    if (!rc)
        rc = write_file(&fresh, path, (const uint8_t *)file.data, key);
    if (key)
        secret_key_free(key);
    veil_buf_free(&file);
    keyring_free(&fresh);
    if (!rc) {
        keyring_free(kr);
        rc = keyring_load(kr, path, rs, false, &why);
    }
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}

static int change_add(keyring *kr, uint32_t unused, uint32_t *new_version)
{
    (void)unused;
    uint32_t top = 0;
    for (size_t i = 0; i < kr->n; i++)
        top = kr->keys[i].version > top ? kr->keys[i].version : top;
    if (kr->n >= MAX_VERSIONS)
        return VEIL_ETOOBIG;
    *new_version = top + 1;
    return append_version(kr, top + 1);
}

static int change_retire(keyring *kr, uint32_t version, uint32_t *unused)
{
    (void)unused;
    master_key *mk = (master_key *)keyring_find(kr, version);
    if (!mk)
        return VEIL_ENOTFOUND;
    if (version == kr->current)
        return VEIL_EBUSY;
    if (mk->key)
        secret_key_free(mk->key);
    mk->key = NULL;
    mk->state = MASTER_RETIRED;
    return VEIL_OK;
}

int keyring_add_version(keyring *kr, const char *path, const root_secret *rs, uint32_t *new_version)
{
    return locked_update(kr, path, rs, change_add, 0, new_version);
}

int keyring_retire_version(keyring *kr, const char *path, const root_secret *rs, uint32_t version)
{
    return locked_update(kr, path, rs, change_retire, version, NULL);
}
