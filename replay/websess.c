/*
 * websess.c - web sessions: a random 256-bit token in a __Host- cookie,
 * kept only as its SHA-256 (a stolen memory dump or log holds no usable
 * token), a CSRF token per session, idle and absolute expiry. In memory:
 * a restart logs everyone out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"

static void token_hash(const char *token, uint8_t out[32])
{
    unsigned len = 0;
    EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL);
}

static void random_token(char out[WEB_TOKEN_CHARS + 1])
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, WEB_TOKEN_CHARS + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

web_session *websess_new(web_sessions *t, const char *user, replay_role role,
                         char token[WEB_TOKEN_CHARS + 1])
{
    web_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    random_token(token);
    token_hash(token, s->token_hash);
    random_token(s->csrf);
    snprintf(s->user, sizeof s->user, "%s", user);
    s->role = role;
    s->created_ms = s->used_ms = veil_now_ms();
    s->next = t->head;
    t->head = s;
    return s;
}

static bool expired(const web_sessions *t, const web_session *s, uint64_t now)
{
    return now - s->used_ms > (uint64_t)t->idle_seconds * 1000 ||
           now - s->created_ms > (uint64_t)t->absolute_seconds * 1000;
}

web_session *websess_find(web_sessions *t, const char *token, uint64_t now_ms)
{
    if (strlen(token) != WEB_TOKEN_CHARS)
        return NULL;
    uint8_t h[32];
    token_hash(token, h);
    for (web_session **p = &t->head; *p;) {
        web_session *s = *p;
        if (expired(t, s, now_ms)) { /* swept as met */
            *p = s->next;
            sodium_memzero(s, sizeof *s);
            free(s);
            continue;
        }
        if (sodium_memcmp(s->token_hash, h, sizeof h) == 0) {
            s->used_ms = now_ms;
            return s;
        }
        p = &s->next;
    }
    return NULL;
}

void websess_end(web_sessions *t, web_session *s)
{
    for (web_session **p = &t->head; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            sodium_memzero(s, sizeof *s);
            free(s);
            return;
        }
}

void websess_end_user(web_sessions *t, const char *user, const web_session *keep)
{
    for (web_session **p = &t->head; *p;) {
        web_session *s = *p;
        if (s != keep && !strcmp(s->user, user)) {
            *p = s->next;
            sodium_memzero(s, sizeof *s);
            free(s);
        } else {
            p = &s->next;
        }
    }
}

void websess_free_all(web_sessions *t)
{
    while (t->head)
        websess_end(t, t->head);
}
