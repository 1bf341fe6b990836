/* tls.h - the server certificate: configured, or self-signed on first start. */
#ifndef VEIL_TLS_H
#define VEIL_TLS_H

#include <stddef.h>

/*
 * Makes sure `cert` and `key` exist. When both are empty strings, uses
 * <state_dir>/tls/{cert,key}.pem, creating a self-signed P-256 certificate
 * for localhost and 127.0.0.1 when they are missing, and writes the paths
 * back. Returns 0, or -1 with a one-line reason in why.
 */
int veil_tls_ensure(const char *state_dir, char *cert, char *key, size_t cap, char *why,
                    size_t why_cap);

#endif
