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

/* Sets the certificate, the AEAD-only suites and the protocol versions on
 * a vhost's creation info. */
void veil_tls_vhost(struct lws_context_creation_info *v, const char *cert, const char *key);

#endif
