/* maintain.c - one thread that keeps the key hierarchy and retention up to date. */
#include "maintain.h"

#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_SECONDS     1
#define REWRAP_PER_TICK  50000
#define REWRAP_BATCH     1000
#define STATUS_EVERY     60   /* seconds between key-status scans when idle */
#define ROTATION_EVERY   60   /* seconds between auto-rotation checks */
#define RETENTION_EVERY  3600 /* seconds between retention sweeps */
#define MAX_KEY_VERSIONS 64
/* On a cluster one node at a time rotates, rewraps and applies retention:
 * the one holding this lease, renewed every tick (store_lease). */
#define LEASE_SECONDS 15

struct maintainer {
    const veil_config *cfg;
    store *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool rewrap_pending; /* data keys may be under an older master key */
    bool leading;        /* holds the maintenance lease */
    bool keyring_notice; /* another node announced a keyring change */
};

/* What /metrics shows; written by the thread, read by the service thread. */
static struct {
    pthread_mutex_t mu;
    uint32_t current;
    size_t n;
    store_key_info keys[MAX_KEY_VERSIONS];
    uint64_t rewrapped, rewrap_remaining, rotations, retention_deleted;
} progress = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("veil serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void refresh_status(store *st)
{
    store_key_info keys[MAX_KEY_VERSIONS];
    size_t n;
    if (store_key_status(st, keys, MAX_KEY_VERSIONS, &n))
        return;
    pthread_mutex_lock(&progress.mu);
    progress.n = n < MAX_KEY_VERSIONS ? n : MAX_KEY_VERSIONS;
    memcpy(progress.keys, keys, progress.n * sizeof keys[0]);
    for (size_t i = 0; i < progress.n; i++)
        if (keys[i].current)
            progress.current = keys[i].version;
    pthread_mutex_unlock(&progress.mu);
}

/*
 * Returns true when it moved data keys (so status is worth refreshing). Runs
 * only while keys may be left to move, so an idle server does not scan the
 * keys database every tick.
 */
static bool rewrap_step(maintainer *m)
{
    if (!m->rewrap_pending)
        return false;
    size_t done, remaining;
    int rc = store_key_rewrap(m->st, REWRAP_PER_TICK, REWRAP_BATCH, &done, &remaining);
    if (rc) {
        log_line("rewrap: %s; retrying", veil_strerror(rc));
        return false;
    }
    /* what cannot move (damaged, or under a retired version) waits for a change */
    m->rewrap_pending = remaining > 0 && done > 0;
    pthread_mutex_lock(&progress.mu);
    progress.rewrapped += done;
    progress.rewrap_remaining = remaining;
    pthread_mutex_unlock(&progress.mu);
    if (done)
        log_line("rewrap: %zu data keys moved to the current master key, %zu to go", done,
                 remaining);
    return done > 0;
}

static void rotate_if_due(maintainer *m)
{
    uint64_t age = (uint64_t)m->cfg->rotate_after_days * 86400;
    if (!store_key_rotation_due(m->st, age, (uint64_t)m->cfg->rotate_after_wraps))
        return;
    uint32_t v;
    int rc = store_key_rotate(m->st, &v);
    if (rc) {
        log_line("automatic rotation failed: %s", veil_strerror(rc));
        return;
    }
    m->rewrap_pending = true;
    pthread_mutex_lock(&progress.mu);
    progress.rotations++;
    pthread_mutex_unlock(&progress.mu);
    log_line("master key rotated by policy: version %u is current", v);
}

static void apply_retention(maintainer *m)
{
    for (int i = 0; i < m->cfg->n_sites; i++) {
        const veil_site_config *site = &m->cfg->sites[i];
        if (site->retention_days <= 0)
            continue;
        uint64_t before = (uint64_t)time(NULL) * 1000 - (uint64_t)site->retention_days * 86400000;
        store_retention_report r;
        int rc = store_retention_apply(m->st, site->name, before, &r);
        size_t deleted = r.deleted;
        if (rc)
            log_line("retention for site %s: %s", site->name, veil_strerror(rc));
        if (r.unverified)
            log_line("retention for site %s: %zu data keys could not be verified and were kept; "
                     "run 'veil store verify'",
                     site->name, r.unverified);
        if (deleted) {
            log_line("retention: %zu sessions of site %s older than %d days deleted", deleted,
                     site->name, site->retention_days);
            pthread_mutex_lock(&progress.mu);
            progress.retention_deleted += deleted;
            pthread_mutex_unlock(&progress.mu);
        }
    }
}

/* On a librados thread: wakes the tick, which reloads the keyring now. */
static void keyring_changed_elsewhere(void *user)
{
    maintainer *m = user;
    pthread_mutex_lock(&m->mu);
    m->keyring_notice = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

static bool sleep_tick(maintainer *m)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TICK_SECONDS;
    pthread_mutex_lock(&m->mu);
    if (!m->stopping && !m->keyring_notice)
        pthread_cond_timedwait(&m->cv, &m->mu, &until);
    m->keyring_notice = false;
    bool stop = m->stopping;
    pthread_mutex_unlock(&m->mu);
    return !stop;
}

/* Takes or renews the lease; says so when this node starts or stops leading. */
static bool lead(maintainer *m)
{
    bool was = m->leading;
    m->leading = store_lease(m->st, STORE_LEASE_MAINTENANCE, LEASE_SECONDS) == VEIL_OK;
    if (store_is_shared(m->st) && m->leading != was)
        log_line(m->leading ? "this node now does rotation, rewrap and retention"
                            : "another node does rotation, rewrap and retention now");
    return m->leading;
}

static void *run(void *arg)
{
    maintainer *m = arg;
    refresh_status(m->st);
    if (lead(m))
        apply_retention(m);
    for (unsigned long tick = 1; sleep_tick(m); tick++) {
        bool changed = false;
        if (store_keyring_reload(m->st, &changed))
            log_line("the keyring changed but cannot be read; still using the loaded one");
        else if (changed)
            log_line("keyring changed: reloaded");
        m->rewrap_pending |= changed;
        bool leading = lead(m), moved = false;
        if (leading && tick % ROTATION_EVERY == 0)
            rotate_if_due(m);
        if (leading)
            moved = rewrap_step(m);
        if (changed || moved || tick % STATUS_EVERY == 0)
            refresh_status(m->st);
        if (leading && tick % RETENTION_EVERY == 0)
            apply_retention(m);
    }
    if (m->leading)
        store_lease_release(m->st, STORE_LEASE_MAINTENANCE);
    return NULL;
}

int maintain_start(maintainer **out, const veil_config *cfg, store *st)
{
    maintainer *m = calloc(1, sizeof *m);
    if (!m)
        return VEIL_ENOMEM;
    m->cfg = cfg;
    m->st = st;
    m->rewrap_pending = true; /* a rotation may have been cut short by a crash */
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    if (store_watch_keyring(st, keyring_changed_elsewhere, m))
        log_line("cannot watch for keyring changes; looking every second instead");
    if (pthread_create(&m->thread, NULL, run, m)) {
        store_unwatch_keyring(st);
        free(m);
        return VEIL_ENOMEM;
    }
    *out = m;
    return VEIL_OK;
}

void maintain_stop(maintainer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    store_unwatch_keyring(m->st);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

int maintain_metrics(veil_buf *out)
{
    pthread_mutex_lock(&progress.mu);
    int rc = veil_buf_printf(out,
                             "# TYPE veil_master_key_current gauge\nveil_master_key_current %u\n"
                             "# TYPE veil_rewrap_remaining gauge\nveil_rewrap_remaining %" PRIu64
                             "\n# TYPE veil_rewrapped_total counter\nveil_rewrapped_total %" PRIu64
                             "\n# TYPE veil_rotations_total counter\nveil_rotations_total %" PRIu64
                             "\n# TYPE veil_retention_deleted_total counter\n"
                             "veil_retention_deleted_total %" PRIu64 "\n"
                             "# TYPE veil_data_keys gauge\n",
                             progress.current, progress.rewrap_remaining, progress.rewrapped,
                             progress.rotations, progress.retention_deleted);
    for (size_t i = 0; i < progress.n && !rc; i++)
        rc = veil_buf_printf(out, "veil_data_keys{version=\"%u\"} %" PRIu64 "\n",
                             progress.keys[i].version, progress.keys[i].data_keys);
    pthread_mutex_unlock(&progress.mu);
    return rc;
}
