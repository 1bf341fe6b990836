/*
 * sessions.c - the sessions ingest holds: a hash table by id, the resume
 * tokens that prove a client owns one, and the memory bound on masker state.
 *
 * A resume token is HMAC-SHA256(secret, site "/" id), base64url: it needs
 * no table entry, so a session outlives an eviction or a restart (the
 * secret is a file in the state directory, created once). Masker state is
 * what a session needs to mask its next batch; past the memory bound the
 * least recently active sessions lose theirs, and their next `ready` says
 * state:false, so the snippet starts over with a full snapshot.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/hmac.h>
#include <sodium.h>

/* The secret, read from its file, or made there once. */
static int load_secret(uint8_t *secret, const char *path, veil_error *err)
{
    if (strlen(path) > 4000)
        return veil_fail(err, VEIL_EINVAL, "the resume secret's path is too long", 0);
    veil_buf have = {0};
    int rc = veil_read_file(path, &have, 64, NULL);
    if (!rc && have.len == 32)
        memcpy(secret, have.data, 32);
    veil_buf_free(&have);
    if (!rc)
        return have.len == 32 || !have.data
                   ? VEIL_OK
                   : veil_fail(err, VEIL_ECORRUPT,
                               "the resume secret file (ingest.secret) is not 32 bytes", 0);
    if (rc != VEIL_ENOTFOUND)
        return veil_fail(err, rc, "cannot read the resume secret file (ingest.secret)", 0);
    randombytes_buf(secret, 32);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, secret, 32) == 32 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok || rename(tmp, path) || veil_fsync_dir_of(path)) {
        unlink(tmp);
        return veil_fail(err, VEIL_EIO, "cannot write the resume secret file (ingest.secret)", 0);
    }
    return VEIL_OK;
}

int sessions_init(session_table *t, const char *secret_file, veil_error *err)
{
    memset(t, 0, sizeof *t);
    t->n_buckets = 4096;
    t->buckets = calloc(t->n_buckets, sizeof *t->buckets);
    if (!t->buckets)
        return VEIL_ENOMEM;
    int rc = load_secret(t->secret, secret_file, err);
    if (rc)
        sessions_free(t);
    return rc;
}

static size_t bucket_of(const session_table *t, const char *id)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a; ids are random anyway */
    for (const char *p = id; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    return (size_t)(h % t->n_buckets);
}

ingest_session *sessions_find(session_table *t, const char *id)
{
    for (ingest_session *s = t->buckets[bucket_of(t, id)]; s; s = s->next_in_table)
        if (!strcmp(s->id, id))
            return s;
    return NULL;
}

static void session_free(ingest_session *s)
{
    for (batch_job *j = s->head, *next; j; j = next) {
        next = j->next;
        sodium_memzero(j->json, j->len); /* unmasked */
        free(j->json);
        free(j);
    }
    masker_session_free(s->masker);
    store_session_close(s->stored);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void sessions_free(session_table *t)
{
    for (size_t b = 0; t->buckets && b < t->n_buckets; b++)
        for (ingest_session *s = t->buckets[b], *next; s; s = next) {
            next = s->next_in_table;
            session_free(s);
        }
    free(t->buckets);
    sodium_memzero(t->secret, sizeof t->secret);
    memset(t, 0, sizeof *t);
}

/* A session object for `id`, opened in the store (created there when new). */
static int session_open(session_table *t, store *st, const ingest_site *site, const char *id,
                        const char *page, ingest_session **out)
{
    ingest_session *s = calloc(1, sizeof *s);
    if (!s)
        return VEIL_ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    strcpy(s->id, id);
    s->site = site;
    snprintf(s->page, sizeof s->page, "%s", page ? page : "");
    s->created_ms = s->last_active_ms = veil_now_ms();
    int rc = store_session_open(st, site->name, id, &s->stored);
    if (!rc && !(s->masker = masker_session_new(site->policy, s->page)))
        rc = VEIL_ENOMEM;
    if (rc) {
        session_free(s);
        return rc;
    }
    s->received = s->acked = s->stored_seq = store_session_last_seq(s->stored);
    size_t b = bucket_of(t, id);
    s->next_in_table = t->buckets[b];
    t->buckets[b] = s;
    t->count++;
    *out = s;
    return VEIL_OK;
}

int sessions_create(session_table *t, store *st, const ingest_site *site, const char *page,
                    ingest_session **out)
{
    uint8_t raw[INGEST_ID_CHARS / 2];
    char id[INGEST_ID_CHARS + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(id, sizeof id, raw, sizeof raw);
    return session_open(t, st, site, id, page, out);
}

int sessions_reopen(session_table *t, store *st, const ingest_site *site, const char *id,
                    const char *page, ingest_session **out)
{
    int rc = session_open(t, st, site, id, page, out);
    if (!rc)
        (*out)->state_lost = true; /* a restart or an eviction: no masker state for it */
    return rc;
}

static void token_of(const uint8_t *secret, const char *site, const char *id,
                     char out[INGEST_TOKEN_CHARS + 1])
{
    char msg[200];
    int n = snprintf(msg, sizeof msg, "%s/%s", site, id);
    uint8_t mac[32];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), secret, 32, (const uint8_t *)msg, (size_t)n, mac, &mac_len);
    sodium_bin2base64(out, INGEST_TOKEN_CHARS + 1, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void sessions_token(const session_table *t, const ingest_session *s,
                    char out[INGEST_TOKEN_CHARS + 1])
{
    token_of(t->secret, s->site->name, s->id, out);
}

bool sessions_token_ok(const session_table *t, const char *site, const char *id, const char *token)
{
    char want[INGEST_TOKEN_CHARS + 1];
    token_of(t->secret, site, id, want);
    return strlen(token) == INGEST_TOKEN_CHARS &&
           sodium_memcmp(want, token, INGEST_TOKEN_CHARS) == 0;
}

void sessions_remove(session_table *t, ingest_session *s)
{
    for (ingest_session **p = &t->buckets[bucket_of(t, s->id)]; *p; p = &(*p)->next_in_table) {
        if (*p == s) {
            *p = s->next_in_table;
            t->count--;
            break;
        }
    }
    session_free(s);
}

int sessions_refresh(ingest_session *s)
{
    int rc = VEIL_OK;
    pthread_mutex_lock(&s->lock);
    bool moved = false;
    if (!s->busy && !s->head && s->pending == 0 &&
        !(rc = store_session_refresh(s->stored, &moved)) && moved) {
        s->received = s->acked = s->stored_seq = store_session_last_seq(s->stored);
        masker_session_free(s->masker); /* masked another node's way since */
        s->masker = NULL;
        s->masker_bytes = 0;
        s->state_lost = true;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Drops the masker state of s when no worker holds it. */
static size_t evict_state(ingest_session *s)
{
    size_t freed = 0;
    pthread_mutex_lock(&s->lock);
    if (!s->busy && !s->head && s->masker) {
        masker_session_free(s->masker);
        s->masker = NULL;
        s->state_lost = true;
        freed = s->masker_bytes;
        s->masker_bytes = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return freed;
}

/* The least recently active session holding masker state, unconnected ones
 * first when `connected` is false. */
static ingest_session *oldest_with_state(session_table *t, bool connected)
{
    ingest_session *oldest = NULL;
    for (size_t b = 0; b < t->n_buckets; b++)
        for (ingest_session *s = t->buckets[b]; s; s = s->next_in_table)
            if (s->masker && s->masker_bytes && !s->pending && (s->conn != NULL) == connected &&
                (!oldest || s->last_active_ms < oldest->last_active_ms))
                oldest = s;
    return oldest;
}

size_t sessions_sweep(session_table *t, uint64_t now_ms, uint64_t idle_ms, size_t max_bytes)
{
    size_t held = 0;
    for (size_t b = 0; b < t->n_buckets; b++) {
        for (ingest_session **p = &t->buckets[b]; *p;) {
            ingest_session *s = *p;
            pthread_mutex_lock(&s->lock);
            if (s->masker && !s->busy)
                s->masker_bytes = masker_session_state_bytes(s->masker);
            pthread_mutex_unlock(&s->lock);
            if (!s->conn && !s->pending && now_ms - s->last_active_ms > idle_ms) {
                *p = s->next_in_table;
                t->count--;
                session_free(s);
                continue;
            }
            held += s->masker_bytes;
            p = &s->next_in_table;
        }
    }
    for (int pass = 0; pass < 2 && held > max_bytes; pass++) {
        ingest_session *s;
        while (held > max_bytes && (s = oldest_with_state(t, pass == 1))) {
            size_t freed = evict_state(s);
            if (!freed)
                break; /* a worker took it meanwhile: the next sweep */
            held -= freed;
        }
    }
    return held;
}
