/*
 * tls.h - the server certificate both listeners present: the configured one,
 * or a self-signed one created on first start.
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

#endif
