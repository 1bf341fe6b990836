/* seal.c - AES-256-GCM through OpenSSL EVP, and keys in libsodium secure memory. */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "internal.h"

int seal_random(void *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? VEIL_OK : VEIL_ECRYPTO;
}

uint8_t *seal_key_new(void)
{
    return sodium_malloc(SEAL_KEY_BYTES);
}

void seal_key_free(uint8_t *key)
{
    sodium_free(key); /* wipes, then unmaps with its guard pages */
}

int seal_encrypt(const uint8_t *key, const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t n,
                 uint8_t *out)
{
    if (n > INT32_MAX || aadlen > INT32_MAX)
        return VEIL_ETOOBIG;
    uint8_t *nonce = out, *ct = out + SEAL_NONCE_BYTES, *tag = ct + n;
    if (seal_random(nonce, SEAL_NONCE_BYTES))
        return VEIL_ECRYPTO;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
                  EVP_EncryptUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
                  EVP_EncryptUpdate(c, ct, &len, pt, (int)n) == 1 &&
                  EVP_EncryptFinal_ex(c, ct + len, &len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? VEIL_OK : VEIL_ECRYPTO;
}

int seal_decrypt(const uint8_t *key, const uint8_t *aad, size_t aadlen, const uint8_t *in,
                 size_t inlen, uint8_t *pt)
{
    if (inlen < SEAL_OVERHEAD || inlen > INT32_MAX || aadlen > INT32_MAX)
        return VEIL_ECRYPTO;
    size_t n = inlen - SEAL_OVERHEAD;
    uint8_t none;
    if (!pt) /* a tag over AAD alone (n == 0) */
        pt = &none;
    const uint8_t *nonce = in, *ct = in + SEAL_NONCE_BYTES, *tag = ct + n;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
                  EVP_DecryptUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
                  EVP_DecryptUpdate(c, pt, &len, ct, (int)n) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_BYTES, (void *)tag) == 1 &&
                  EVP_DecryptFinal_ex(c, pt + len, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        sodium_memzero(pt, n); /* nothing unverified leaves */
        return VEIL_ECRYPTO;
    }
    return VEIL_OK;
}

/* Each secret (a data key, a master key) sits in its own locked page. */
size_t store_secret_keys_lockable(void)
{
    long page = sysconf(_SC_PAGESIZE);
    void *probe =
        mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool can_lock = probe != MAP_FAILED && mlock(probe, (size_t)page) == 0;
    if (probe != MAP_FAILED) {
        munlock(probe, (size_t)page);
        munmap(probe, (size_t)page);
    }
    if (!can_lock)
        return 0;
    if (geteuid() == 0) /* CAP_IPC_LOCK: the limit does not apply */
        return SIZE_MAX;
    struct rlimit lim;
    if (getrlimit(RLIMIT_MEMLOCK, &lim) || lim.rlim_cur == RLIM_INFINITY)
        return SIZE_MAX;
    return (size_t)(lim.rlim_cur / (rlim_t)page);
}
