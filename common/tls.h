/*
 * tls.h - what both listeners present: the server certificate (the
 * configured one, or a self-signed one created on first start) and one TLS
 * policy: TLS 1.2 and 1.3, AEAD cipher suites only.
 */
#ifndef VEIL_TLS_H
#define VEIL_TLS_H

#include <stddef.h>

#include "../common/common.h"

/*
 * Makes sure `cert` and `key` exist. When both are empty strings, uses
 * <state_dir>/tls/{cert,key}.pem, creating a self-signed P-256 certificate
 * for localhost and 127.0.0.1 when they are missing, and writes the paths
 * back (each buffer holds `cap` bytes). Returns VEIL_ECONFIG when only one
 * is set, else the code of what failed, with *err saying what.
 */
int veil_tls_ensure(const char *state_dir, char *cert, char *key, size_t cap,
                    veil_error *err) VEIL_MUST_CHECK;

struct lws_context_creation_info;
struct lws_context;
struct lws_protocols;
struct lws_vhost;

/* Sets the certificate, the AEAD-only suites and the protocol versions on
 * a vhost's creation info. */
void veil_tls_vhost(struct lws_context_creation_info *v, const char *cert, const char *key);

/* A listener of the process (one lws vhost). */
typedef struct {
    const char *name;
    const char *iface; /* an address: an IPv4 literal binds only that address */
    int port;
    const struct lws_protocols *protocols;
    void *user;       /* lws_get_vhost_user() in its callbacks */
    const char *cert; /* with key: TLS with the policy above; NULL: plain HTTP */
    const char *key;
    const char *alpn;   /* NULL: lws's default */
    unsigned timeout_s; /* TLS and HTTP handshakes; 0: lws's default */
} veil_listener;

/* Adds the listener to the context; NULL when it cannot listen. */
struct lws_vhost *veil_listen(struct lws_context *context, const veil_listener *l);

#endif
