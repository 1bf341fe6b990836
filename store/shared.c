/*
 * shared.c - what a store whose keys are on a cluster (RADOS) shares with
 * the other nodes: the keyring, and leases for the work one node at a time
 * does.
 *
 * The keyring's home is then the keys pool (its copy, META_KEYRING_COPY,
 * is written after every change, as on one machine); the file at
 * keyring_path is this node's copy. A node without the file takes it from
 * the pool at open; a running node pulls a changed copy on its reload tick
 * and the existing reload takes it from there. A pulled keyring replaces
 * the file only when it opens with this node's root secret, has the same
 * id and holds every version the file holds, so a node never drops a
 * master key its data keys may be wrapped under.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define KEYRING_COPY_MAX ((size_t)1 << 24)

bool store_is_shared(const store *st)
{
    return st->shared;
}

int store_lease(store *st, const char *name, uint32_t seconds)
{
    return kv_lease(st->keys, name, seconds);
}

void store_lease_release(store *st, const char *name)
{
    kv_lease_release(st->keys, name);
}

#define KEYRING_NOTICE "keyring"

int store_watch_keyring(store *st, void (*fn)(void *user), void *user)
{
    return st->shared ? kv_watch(st->keys, KEYRING_NOTICE, fn, user) : VEIL_OK;
}

void store_unwatch_keyring(store *st)
{
    kv_unwatch(st->keys);
}

void store_keyring_announce(store *st)
{
    int ignored = st->shared ? kv_notify(st->keys, KEYRING_NOTICE) : VEIL_OK;
    (void)ignored; /* a node that misses it finds the change within a second */
}

int store_keyring_fetch_missing(store *st, const char *keyring_path)
{
    if (!st->shared || access(keyring_path, F_OK) == 0)
        return VEIL_OK;
    veil_buf copy = {0};
    int rc = kv_get(st->keys, META_KEYRING_COPY, sizeof META_KEYRING_COPY - 1, &copy);
    if (rc == VEIL_ENOTFOUND) /* a new store: the first node creates the keyring */
        rc = VEIL_OK;
    else if (!rc)
        rc = keyring_file_write(keyring_path, copy.data, copy.len);
    veil_buf_free(&copy);
    return rc;
}

/* True when `fresh` may replace the loaded keyring: same id, no version lost. */
static bool keeps_every_version(const keyring *loaded, const keyring *fresh)
{
    if (memcmp(loaded->id, fresh->id, KEYRING_ID_BYTES))
        return false;
    for (size_t i = 0; i < loaded->n; i++)
        if (!keyring_find(fresh, loaded->keys[i].version))
            return false;
    return true;
}

/* Writes the pool's copy beside the file, opens it, and moves it over the
 * file when it keeps every version (or pushes the file when the file keeps
 * every version of the copy). VEIL_EBUSY when each holds a version the
 * other lacks: an operator decides (docs/scale-out.md). */
static int adopt_copy(store *st, const veil_buf *copy)
{
    char pulled[VEIL_PATH_MAX];
    if (snprintf(pulled, sizeof pulled, "%s.pulled", st->keyring_path) >= (int)sizeof pulled)
        return VEIL_EINVAL;
    int rc = keyring_file_write(pulled, copy->data, copy->len);
    keyring fresh = {0};
    if (!rc)
        rc = keyring_load(&fresh, pulled, &st->root, false, NULL);
    if (!rc) {
        pthread_rwlock_rdlock(&st->ring_lock);
        bool newer = keeps_every_version(&st->ring, &fresh);
        bool older = keeps_every_version(&fresh, &st->ring);
        pthread_rwlock_unlock(&st->ring_lock);
        if (newer)
            rc = rename(pulled, st->keyring_path) ? VEIL_EIO : veil_fsync_dir_of(st->keyring_path);
        else if (older) /* this node changed it and its copy did not land: push it */
            rc = st->read_only ? VEIL_OK : store_keyring_copy(st);
        else
            rc = VEIL_EBUSY;
    }
    keyring_free(&fresh);
    unlink(pulled);
    return rc;
}

int store_keyring_pull(store *st)
{
    if (!st->shared)
        return VEIL_OK;
    veil_buf copy = {0}, file = {0};
    int rc = kv_get(st->keys, META_KEYRING_COPY, sizeof META_KEYRING_COPY - 1, &copy);
    if (rc == VEIL_ENOTFOUND) /* the first node of a new store: its keyring goes up */
        return st->read_only ? VEIL_OK : store_keyring_copy(st);
    if (!rc &&
        (rc = veil_read_file(st->keyring_path, &file, KEYRING_COPY_MAX, NULL)) == VEIL_ENOTFOUND)
        rc = VEIL_OK; /* deleted under a running node: the pool's copy puts it back */
    if (!rc && (copy.len != file.len || (copy.len && memcmp(copy.data, file.data, copy.len))))
        rc = adopt_copy(st, &copy);
    veil_buf_free(&copy);
    veil_buf_free(&file);
    return rc;
}
