#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fsutil.h"

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int write_pem(const char *path, EVP_PKEY *pkey, X509 *cert)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, pkey ? 0600 : 0644);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    int ok =
        pkey ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static int make_self_signed(const char *cert_path, const char *key_path)
{
    int rc = -1;
    X509 *cert = NULL;
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    if (!pkey)
        goto out;
    cert = X509_new();
    if (!cert)
        goto out;
    X509_set_version(cert, 2);
    unsigned char serial[16];
    FILE *rnd = fopen("/dev/urandom", "rb");
    if (!rnd || fread(serial, 1, sizeof serial, rnd) != sizeof serial) {
        if (rnd)
            fclose(rnd);
        goto out;
    }
    fclose(rnd);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert))) {
        BN_free(bn);
        goto out;
    }
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 825);
    X509_set_pubkey(cert, pkey);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Veil", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    if (add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
        add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(cert, NID_ext_key_usage, "serverAuth") || !X509_sign(cert, pkey, EVP_sha256()))
        goto out;
    if (write_pem(key_path, pkey, NULL) || write_pem(cert_path, NULL, cert))
        goto out;
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return rc;
}

int veil_tls_ensure(const char *state_dir, char *cert, char *key, size_t cap, char *why,
                    size_t why_cap)
{
    if (cert[0] || key[0]) {
        if (!cert[0] || !key[0]) {
            snprintf(why, why_cap, "set both tls_cert and tls_key in [server], or neither");
            return -1;
        }
        if (access(cert, R_OK) || access(key, R_OK)) {
            snprintf(why, why_cap, "cannot read tls_cert or tls_key: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tls", state_dir);
    if (veil_mkdirs(dir, 0700)) {
        snprintf(why, why_cap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(cert, cap, "%s/cert.pem", dir) >= cap ||
        (size_t)snprintf(key, cap, "%s/key.pem", dir) >= cap) {
        snprintf(why, why_cap, "state_dir path too long");
        return -1;
    }
    if (!access(cert, R_OK) && !access(key, R_OK))
        return 0;
    if (make_self_signed(cert, key)) {
        snprintf(why, why_cap, "cannot create a self-signed certificate in %s", dir);
        return -1;
    }
    return 0;
}
