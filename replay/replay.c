/*
 * replay.c - the console as a whole: created from its configuration, its
 * worker threads, and torn down (replay.h). What a request goes through is
 * in web.c, then api.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Runs on a worker: makes lws_service() return and deliver
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED, where web.c collects the jobs. */
static void wake(void *arg)
{
    replay *r = arg;
    struct lws_context *context = __atomic_load_n(&r->context, __ATOMIC_ACQUIRE);
    if (context)
        lws_cancel_service(context);
}

int replay_create(replay **out, const replay_config *cfg, veil_error *err)
{
    replay *r = calloc(1, sizeof *r);
    if (!r)
        return veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    r->cfg = *cfg;
    r->sessions.idle_seconds = cfg->policy.idle_seconds > 0 ? cfg->policy.idle_seconds : 1800;
    r->sessions.absolute_seconds =
        cfg->policy.absolute_seconds > 0 ? cfg->policy.absolute_seconds : 12 * 3600;
    int rc = VEIL_OK;
    if (cfg->policy.blocklist_file && (rc = password_blocklist_load(cfg->policy.blocklist_file)))
        veil_fail(err, rc, "cannot read the password blocklist file", 0);
    if (!rc && (rc = api_init()))
        veil_fail(err, rc, "cannot prepare password hashing", 0);
    /* two: a login hashes for a third of a second while a replay streams */
    if (!rc && (rc = jobs_start(&r->jobs, 2, wake, r)))
        veil_fail(err, rc, "cannot start the console's workers", 0);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    return VEIL_OK;
}

typedef struct {
    job j;
    replay *r;
    uint64_t removed;
    int rc;
} expiry_job;

static void expiry_run(job *j)
{
    expiry_job *e = (expiry_job *)j;
    e->rc = console_audit_expire(e->r->cfg.db, e->r->cfg.policy.audit_retention_days, &e->removed);
}

static void expiry_done(job *j)
{
    expiry_job *e = (expiry_job *)j;
    if (e->rc)
        fprintf(stderr, "veil serve: console: audit retention failed: %s\n", veil_strerror(e->rc));
    else if (e->removed)
        fprintf(stderr, "veil serve: console: %llu audit records past retention removed\n",
                (unsigned long long)e->removed);
    e->r->expiring = false;
    free(e);
}

static void on_expiry_timer(lws_sorted_usec_list_t *sul)
{
    replay *r = lws_container_of(sul, replay, expiry);
    expiry_job *e = r->expiring ? NULL : calloc(1, sizeof *e);
    if (e) {
        r->expiring = true;
        *e = (expiry_job){.j = {.run = expiry_run, .done = expiry_done}, .r = r};
        jobs_submit(r->jobs, &e->j);
    }
    lws_sul_schedule(r->context, 0, &r->expiry, on_expiry_timer, 3600 * LWS_US_PER_SEC);
}

void replay_started(replay *r)
{
    lws_sul_schedule(r->context, 0, &r->expiry, on_expiry_timer, LWS_US_PER_SEC);
}

void replay_destroy(replay *r)
{
    if (!r)
        return;
    jobs_stop(r->jobs); /* the lws context is gone: their requests are all detached */
    websess_free_all(&r->sessions);
    free(r);
}
