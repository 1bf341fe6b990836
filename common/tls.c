/*
 * tls.c - what both listeners (ingest and console) present: the configured
 * certificate, or a self-signed one made once; and one TLS policy, AEAD
 * suites only, set on each vhost.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <limits.h>

static int add_ext(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return VEIL_ECRYPTO;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? VEIL_OK : VEIL_ECRYPTO;
}

static int write_pem(const char *path, EVP_PKEY *pkey, X509 *cert)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, pkey ? 0600 : 0644);
    if (fd < 0)
        return veil_errno_code(errno);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return VEIL_ENOMEM;
    }
    int ok =
        pkey ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? VEIL_OK : VEIL_EIO;
}

/* A random positive 128-bit serial number. */
static int set_serial(X509 *cert)
{
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        return VEIL_ECRYPTO;
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    return ok ? VEIL_OK : VEIL_ECRYPTO;
}

static int describe(X509 *cert, EVP_PKEY *pkey)
{
    X509_set_version(cert, 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 60L * 60 * 24 * 825);
    X509_set_pubkey(cert, pkey);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Veil", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    int rc = add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (!rc)
        rc = add_ext(cert, NID_basic_constraints, "critical,CA:FALSE");
    if (!rc)
        rc = add_ext(cert, NID_ext_key_usage, "serverAuth");
    return rc;
}

static int make_self_signed(const char *cert_path, const char *key_path)
{
    X509 *cert = NULL;
    EVP_PKEY *pkey = NULL;
    int rc = VEIL_ECRYPTO;
    if (!(pkey = EVP_EC_gen("P-256")) || !(cert = X509_new()))
        goto out;
    if ((rc = set_serial(cert)) || (rc = describe(cert, pkey)))
        goto out;
    if (!X509_sign(cert, pkey, EVP_sha256())) {
        rc = VEIL_ECRYPTO;
        goto out;
    }
    if ((rc = write_pem(key_path, pkey, NULL)))
        goto out;
    rc = write_pem(cert_path, NULL, cert);
out:
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return rc;
}

static int check_configured(const char *cert, const char *key, veil_error *err)
{
    if (!cert[0] || !key[0])
        return veil_fail(err, VEIL_ECONFIG, "set both tls_cert and tls_key in [server], or neither",
                         0);
    if (access(cert, R_OK) || access(key, R_OK))
        return veil_fail(err, veil_errno_code(errno), "cannot read tls_cert or tls_key", 0);
    return VEIL_OK;
}

int veil_tls_ensure(const char *state_dir, char *cert, char *key, size_t cap, veil_error *err)
{
    if (cert[0] || key[0])
        return check_configured(cert, key, err);
    char dir[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s/tls", state_dir) >= sizeof dir ||
        (size_t)snprintf(cert, cap, "%s/cert.pem", dir) >= cap ||
        (size_t)snprintf(key, cap, "%s/key.pem", dir) >= cap)
        return veil_fail(err, VEIL_EINVAL, "state_dir path too long", 0);
    int rc = veil_mkdirs(dir, 0700);
    if (rc)
        return veil_fail(err, rc, "cannot create the certificate directory under state_dir", 0);
    if (!access(cert, R_OK) && !access(key, R_OK))
        return VEIL_OK;
    rc = make_self_signed(cert, key);
    if (rc)
        return veil_fail(err, rc, "cannot create a self-signed certificate under state_dir", 0);
    return VEIL_OK;
}

/* TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305, nothing with CBC or SHA-1. */
static const char TLS12_CIPHERS[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char TLS13_CIPHERS[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

struct lws_vhost *veil_listen(struct lws_context *context, const veil_listener *l)
{
    struct lws_context_creation_info v;
    memset(&v, 0, sizeof v);
    v.vhost_name = l->name;
    v.iface = l->iface;
    v.port = l->port;
    v.protocols = l->protocols;
    v.user = l->user;
    v.alpn = l->alpn;
    v.timeout_secs = l->timeout_s;
    if (strchr(l->iface, '.')) /* lws binds an IPv4 literal only with IPv6 off */
        v.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (l->cert)
        veil_tls_vhost(&v, l->cert, l->key);
    return lws_create_vhost(context, &v);
}

void veil_tls_vhost(struct lws_context_creation_info *v, const char *cert, const char *key)
{
    v->ssl_cert_filepath = cert;
    v->ssl_private_key_filepath = key;
    v->ssl_cipher_list = TLS12_CIPHERS;
    v->tls1_3_plus_cipher_list = TLS13_CIPHERS;
    v->ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_RENEGOTIATION |
                         SSL_OP_CIPHER_SERVER_PREFERENCE;
    v->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
}
