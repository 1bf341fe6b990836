/*
 * keyring.c - the root secret and the keyring file of versioned master keys.
 *
 * File: header (magic "VEILKR2\n" | kdf u8 | salt[16] | ops u64 | mem u64 |
 * id[16]) then nonce | AES-256-GCM(body) | tag with the header as AAD.
 * Body: current u32 | count u32 | count x (version u32 | state u8 |
 * created u64 | key[32]). kdf 1: the sealing key is the root key file's 32
 * bytes; kdf 2: argon2id(passphrase, salt, ops, mem). The id is random, set
 * when the keyring is created and kept by every rewrite: the keys database
 * records it, so a keyring that is not its own is refused. A "VEILKR1\n"
 * file (no id) still opens; it reads as id zero, and keeps it.
 *
 * Rewrites go to a temporary file, fsync, rename, fsync of the directory,
 * under flock(<path>.lock). The root key file is created the same way, so
 * a crash never leaves an empty one.
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

static const char MAGIC_V1[8] = {'V', 'E', 'I', 'L', 'K', 'R', '1', '\n'};
static const char MAGIC[8] = {'V', 'E', 'I', 'L', 'K', 'R', '2', '\n'};
enum { KDF_KEY_FILE = 1, KDF_ARGON2ID = 2 };
/* Where each field of the file's header starts (a VEILKR1 header ends at HDR_ID). */
enum {
    HDR_MAGIC = 0,
    HDR_KDF = 8,
    HDR_SALT = 9,
    HDR_OPS = 25,
    HDR_MEM = 33,
    HDR_ID = 41,
    HEADER_V1_BYTES = 41,
    HEADER_BYTES = 57,
};
/* One master key in the body: version u32 | state u8 | created u64 | key. */
enum { ENTRY_VERSION = 0, ENTRY_STATE = 4, ENTRY_CREATED = 5, ENTRY_KEY = 13 };
enum { BODY_HEADER_BYTES = 8, ENTRY_BYTES = ENTRY_KEY + SEAL_KEY_BYTES };
#define MAX_VERSIONS  4096
#define KEYRING_LIMIT ((size_t)1 << 24)

/* ---- root secret ------------------------------------------------------ */

static int read_secret_file(const char *path, uint8_t *buf, size_t cap, size_t *n, veil_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err->what = "cannot open the root key or passphrase file";
        return errno == ENOENT ? VEIL_ENOTFOUND : VEIL_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) || (sb.st_mode & 077)) {
        close(fd);
        err->what = "the root key or passphrase file is readable by others; chmod 400 it";
        return VEIL_EINVAL;
    }
    ssize_t got = read(fd, buf, cap);
    close(fd);
    if (got < 0) {
        err->what = "cannot read the root key or passphrase file";
        return VEIL_EIO;
    }
    *n = (size_t)got;
    return VEIL_OK;
}

/* A new random root key in `path`: written whole to a temporary file,
 * synced, then linked into place (never over an existing file) and the
 * directory synced: a crash leaves either no key file or a whole one. */
int root_key_create(const char *path, veil_error *err)
{
    char tmp[VEIL_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp)
        return veil_fail(err, VEIL_EINVAL, "the root key file's path is too long", 0);
    uint8_t key[SEAL_KEY_BYTES];
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0400);
    if (fd < 0)
        return veil_fail(err, VEIL_EIO, "cannot create the root key file", 0);
    int rc = seal_random(key, sizeof key);
    if (!rc && (write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd)))
        rc = errno == ENOSPC ? VEIL_ENOSPC : VEIL_EIO;
    sodium_memzero(key, sizeof key);
    close(fd);
    if (!rc && link(tmp, path))
        rc = errno == EEXIST ? VEIL_EEXIST : VEIL_EIO;
    unlink(tmp);
    if (!rc)
        rc = veil_fsync_dir_of(path);
    if (rc)
        err->what = rc == VEIL_EEXIST ? "the root key file exists already"
                                      : "cannot write the root key file";
    return rc;
}

int root_secret_load(root_secret *rs, const char *key_file, const char *passphrase_file,
                     bool may_create, veil_error *err)
{
    memset(rs, 0, sizeof *rs);
    if (!!key_file == !!passphrase_file) {
        err->what = "configure exactly one of root_key_file and root_passphrase_file";
        return VEIL_EINVAL;
    }
    enum { CAP = 1024 };
    rs->key = sodium_malloc(CAP);
    if (!rs->key)
        return VEIL_ENOMEM;
    rs->is_passphrase = passphrase_file != NULL;
    int rc = read_secret_file(rs->is_passphrase ? passphrase_file : key_file, rs->key, CAP,
                              &rs->len, err);
    if (rc == VEIL_ENOTFOUND && !rs->is_passphrase && may_create) {
        rc = root_key_create(key_file, err);
        if (!rc)
            rc = read_secret_file(key_file, rs->key, CAP, &rs->len, err);
    }
    if (!rc && rs->is_passphrase) { /* the first line, as the docs say */
        uint8_t *nl = memchr(rs->key, '\n', rs->len);
        bool whole_line = nl || rs->len < CAP;
        if (nl)
            rs->len = (size_t)(nl - rs->key);
        if (rs->len && rs->key[rs->len - 1] == '\r')
            rs->len--;
        if (rs->len < 12 || !whole_line) {
            err->what = "the passphrase must be 12 to 1000 characters on the file's first line";
            rc = VEIL_EINVAL;
        }
    } else if (!rc && rs->len != SEAL_KEY_BYTES) {
        err->what = "the root key file must hold exactly 32 bytes";
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

/* The key that seals the file: the root key, or argon2id of the passphrase. */
static int sealing_key(const root_secret *rs, const uint8_t *header, uint8_t *key, veil_error *err)
{
    uint8_t kdf = header[HDR_KDF];
    if ((kdf == KDF_ARGON2ID) != rs->is_passphrase) {
        err->what = kdf == KDF_ARGON2ID ? "the keyring is sealed by a passphrase; set "
                                          "root_passphrase_file, not root_key_file"
                                        : "the keyring is sealed by a key file; set root_key_file, "
                                          "not root_passphrase_file";
        return VEIL_ENOKEY;
    }
    if (kdf == KDF_KEY_FILE) {
        memcpy(key, rs->key, SEAL_KEY_BYTES);
        return VEIL_OK;
    }
    uint64_t ops = veil_be64_get(header + HDR_OPS), mem = veil_be64_get(header + HDR_MEM);
    if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 || mem < crypto_pwhash_MEMLIMIT_MIN ||
        mem > ((uint64_t)4 << 30)) {
        err->what = "the keyring header names argon2id limits out of range";
        return VEIL_ECORRUPT;
    }
    if (crypto_pwhash(key, SEAL_KEY_BYTES, (const char *)rs->key, rs->len, header + HDR_SALT, ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13)) {
        err->what = "not enough memory for argon2id";
        return VEIL_ENOMEM;
    }
    return VEIL_OK;
}

static int parse_body(keyring *kr, const uint8_t *body, size_t n)
{
    if (n < 8)
        return VEIL_ECORRUPT;
    uint32_t current = veil_be32_get(body), count = veil_be32_get(body + 4);
    if (count == 0 || count > MAX_VERSIONS || n != BODY_HEADER_BYTES + (size_t)count * ENTRY_BYTES)
        return VEIL_ECORRUPT;
    kr->keys = calloc(count, sizeof *kr->keys);
    if (!kr->keys)
        return VEIL_ENOMEM;
    kr->current = current;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = body + BODY_HEADER_BYTES + (size_t)i * ENTRY_BYTES;
        master_key *mk = &kr->keys[kr->n++];
        mk->version = veil_be32_get(e + ENTRY_VERSION);
        mk->state = e[ENTRY_STATE];
        mk->created_s = veil_be64_get(e + ENTRY_CREATED);
        if (mk->state == MASTER_ACTIVE) {
            if (!(mk->key = seal_key_new()))
                return VEIL_ENOMEM;
            memcpy(mk->key, e + ENTRY_KEY, SEAL_KEY_BYTES);
        }
    }
    const master_key *cur = keyring_find(kr, current);
    return cur && cur->state == MASTER_ACTIVE ? VEIL_OK : VEIL_ECORRUPT;
}

static int load_file(keyring *kr, const char *path, const root_secret *rs, veil_error *err)
{
    veil_buf file = {0};
    uint8_t *key = NULL, *body = NULL;
    int rc = veil_read_file(path, &file, KEYRING_LIMIT, &kr->file_id);
    if (rc == VEIL_ENOTFOUND) {
        err->what = "the keyring file does not exist";
        goto out;
    }
    size_t header = !rc && file.len >= sizeof MAGIC && !memcmp(file.data, MAGIC_V1, sizeof MAGIC)
                        ? HEADER_V1_BYTES
                        : HEADER_BYTES;
    if (rc == VEIL_ETOOBIG ||
        (!rc && (file.len < header + SEAL_OVERHEAD ||
                 (header == HEADER_BYTES && memcmp(file.data, MAGIC, sizeof MAGIC))))) {
        err->what = "the keyring file is not a Veil keyring";
        rc = VEIL_ECORRUPT;
    }
    if (rc)
        goto out;
    size_t n = file.len - header - SEAL_OVERHEAD; /* body bytes */
    memset(kr->id, 0, sizeof kr->id);
    if (header == HEADER_BYTES)
        memcpy(kr->id, file.data + HDR_ID, sizeof kr->id);
    if (!(key = seal_key_new()) || !(body = sodium_malloc(n ? n : 1))) {
        rc = VEIL_ENOMEM;
        goto out;
    }
    if ((rc = sealing_key(rs, (const uint8_t *)file.data, key, err)))
        goto out;
    if (seal_decrypt(key, (const uint8_t *)file.data, header, (const uint8_t *)file.data + header,
                     file.len - header, body)) {
        err->what = "the root key does not open the keyring (wrong key or passphrase, or the "
                    "file is damaged)";
        rc = VEIL_ECRYPTO;
        goto out;
    }
    if ((rc = parse_body(kr, body, n)) == VEIL_ECORRUPT)
        err->what = "the keyring's contents are inconsistent";
out:
    if (body)
        sodium_free(body);
    seal_key_free(key);
    veil_buf_free(&file);
    return rc;
}

int keyring_file_write(const char *path, const void *bytes, size_t n)
{
    char tmp[VEIL_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return VEIL_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return VEIL_EIO;
    int rc = VEIL_OK;
    if (write(fd, bytes, n) != (ssize_t)n || fsync(fd))
        rc = errno == ENOSPC ? VEIL_ENOSPC : VEIL_EIO;
    close(fd);
    if (!rc && rename(tmp, path))
        rc = VEIL_EIO;
    if (!rc)
        rc = veil_fsync_dir_of(path);
    if (rc)
        unlink(tmp);
    return rc;
}

static int write_file(const keyring *kr, const char *path, const uint8_t *header,
                      const uint8_t *key)
{
    size_t n = BODY_HEADER_BYTES + kr->n * ENTRY_BYTES, total = HEADER_BYTES + n + SEAL_OVERHEAD;
    uint8_t *body = sodium_malloc(n), *out = malloc(total);
    int rc = VEIL_OK;
    if (!body || !out) {
        rc = VEIL_ENOMEM;
        goto out;
    }
    uint8_t *p = veil_be32_put(veil_be32_put(body, kr->current), (uint32_t)kr->n);
    for (size_t i = 0; i < kr->n; i++) {
        const master_key *mk = &kr->keys[i];
        p = veil_be32_put(p, mk->version);
        *p++ = mk->state;
        p = veil_be64_put(p, mk->created_s);
        if (mk->key)
            memcpy(p, mk->key, SEAL_KEY_BYTES);
        else
            memset(p, 0, SEAL_KEY_BYTES);
        p += SEAL_KEY_BYTES;
    }
    memcpy(out, header, HEADER_BYTES);
    if (!(rc = seal_encrypt(key, header, HEADER_BYTES, body, n, out + HEADER_BYTES)))
        rc = keyring_file_write(path, out, total);
out:
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
            seal_key_free(kr->keys[i].key);
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

/* A header for a keyring sealed by rs (a fresh argon2id salt), with `id`. */
static void new_header(uint8_t *h, const root_secret *rs, const uint8_t *id)
{
    memset(h, 0, HEADER_BYTES);
    memcpy(h + HDR_MAGIC, MAGIC, sizeof MAGIC);
    h[HDR_KDF] = rs->is_passphrase ? KDF_ARGON2ID : KDF_KEY_FILE;
    if (rs->is_passphrase) {
        randombytes_buf(h + HDR_SALT, HDR_OPS - HDR_SALT);
        veil_be64_put(h + HDR_OPS, crypto_pwhash_OPSLIMIT_MODERATE);
        veil_be64_put(h + HDR_MEM, crypto_pwhash_MEMLIMIT_MODERATE);
    }
    memcpy(h + HDR_ID, id, KEYRING_ID_BYTES);
}

static int append_version(keyring *kr, uint32_t version)
{
    master_key *keys = realloc(kr->keys, (kr->n + 1) * sizeof *keys);
    if (!keys)
        return VEIL_ENOMEM;
    kr->keys = keys;
    master_key *mk = &keys[kr->n];
    memset(mk, 0, sizeof *mk);
    if (!(mk->key = seal_key_new()) || seal_random(mk->key, SEAL_KEY_BYTES)) {
        if (mk->key)
            seal_key_free(mk->key);
        return VEIL_ECRYPTO;
    }
    mk->version = version;
    mk->state = MASTER_ACTIVE;
    mk->created_s = (uint64_t)time(NULL);
    kr->n++;
    kr->current = version;
    return VEIL_OK;
}

static int create_file(keyring *kr, const char *path, const root_secret *rs, veil_error *err)
{
    uint8_t header[HEADER_BYTES], id[KEYRING_ID_BYTES];
    randombytes_buf(id, sizeof id);
    new_header(header, rs, id);
    uint8_t *key = seal_key_new();
    int rc = key ? sealing_key(rs, header, key, err) : VEIL_ENOMEM;
    if (!rc)
        rc = append_version(kr, 1);
    if (!rc)
        rc = write_file(kr, path, header, key);
    if (rc && !err->what)
        err->what = "cannot write the keyring file";
    seal_key_free(key);
    keyring_free(kr);
    return rc;
}

int keyring_load(keyring *kr, const char *path, const root_secret *rs, bool may_create,
                 veil_error *err)
{
    memset(kr, 0, sizeof *kr);
    veil_error ignored;
    if (!err)
        err = &ignored;
    err->what = NULL;
    int rc = load_file(kr, path, rs, err);
    if (rc == VEIL_ENOTFOUND && may_create) {
        keyring_free(kr);
        err->what = NULL;
        rc = create_file(kr, path, rs, err);
        if (!rc)
            rc = load_file(kr, path, rs, err);
    }
    if (rc)
        keyring_free(kr);
    return rc;
}

/* What a rewrite changes: the keyring (fresh from the file), and the header. */
typedef int (*keyring_change)(keyring *fresh, uint8_t *header, const void *arg, uint32_t *result);

/*
 * Locks, rereads the file, applies `change`, writes it back sealed by
 * `sealer` (the root secret the header then names), and reloads kr. When
 * anything fails, kr is the keyring it was.
 */
static int locked_update(keyring *kr, const char *path, const root_secret *rs,
                         const root_secret *sealer, keyring_change change, const void *arg,
                         uint32_t *result)
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
    veil_error err = {0};
    keyring fresh = {0}, reloaded = {0};
    uint8_t header[HEADER_BYTES];
    veil_buf file = {0};
    uint8_t *key = seal_key_new();
    int rc = key ? VEIL_OK : VEIL_ENOMEM;
    if (rc || (rc = keyring_load(&fresh, path, rs, false, &err)) ||
        (rc = veil_read_file(path, &file, KEYRING_LIMIT, NULL)))
        goto out;
    /* the same sealing (kdf, salt, limits) and id, in a current header */
    memcpy(header + HDR_MAGIC, MAGIC, sizeof MAGIC);
    memcpy(header + HDR_KDF, file.data + HDR_KDF, HDR_ID - HDR_KDF);
    memcpy(header + HDR_ID, fresh.id, KEYRING_ID_BYTES);
    if ((rc = change(&fresh, header, arg, result)) ||
        (rc = sealing_key(sealer, header, key, &err)) ||
        (rc = write_file(&fresh, path, header, key)) ||
        (rc = keyring_load(&reloaded, path, sealer, false, &err)))
        goto out;
    keyring_free(kr); /* only now: when anything failed, kr is the keyring it was */
    *kr = reloaded;
out:
    seal_key_free(key);
    veil_buf_free(&file);
    keyring_free(&fresh);
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}

static int change_add(keyring *kr, uint8_t *header, const void *unused, uint32_t *new_version)
{
    (void)header, (void)unused;
    uint32_t top = 0;
    for (size_t i = 0; i < kr->n; i++)
        top = kr->keys[i].version > top ? kr->keys[i].version : top;
    if (kr->n >= MAX_VERSIONS)
        return VEIL_ETOOBIG;
    *new_version = top + 1;
    return append_version(kr, top + 1);
}

static int change_retire(keyring *kr, uint8_t *header, const void *arg, uint32_t *unused)
{
    (void)header, (void)unused;
    uint32_t version = *(const uint32_t *)arg;
    master_key *mk = (master_key *)keyring_find(kr, version);
    if (!mk)
        return VEIL_ENOTFOUND;
    if (version == kr->current)
        return VEIL_EBUSY;
    if (mk->key)
        seal_key_free(mk->key);
    mk->key = NULL;
    mk->state = MASTER_RETIRED;
    return VEIL_OK;
}

/* A new header for the new root secret: sealed by it from now on. */
static int change_root(keyring *kr, uint8_t *header, const void *arg, uint32_t *unused)
{
    (void)unused;
    new_header(header, arg, kr->id);
    return VEIL_OK;
}

int keyring_add_version(keyring *kr, const char *path, const root_secret *rs, uint32_t *new_version)
{
    return locked_update(kr, path, rs, rs, change_add, NULL, new_version);
}

int keyring_retire_version(keyring *kr, const char *path, const root_secret *rs, uint32_t version)
{
    return locked_update(kr, path, rs, rs, change_retire, &version, NULL);
}

int keyring_reseal(keyring *kr, const char *path, const root_secret *rs,
                   const root_secret *new_root)
{
    return locked_update(kr, path, rs, new_root, change_root, new_root, NULL);
}
