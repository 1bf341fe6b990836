/*
 * workers.c - the threads that mask and store. A session with batches
 * waiting sits once on the run queue; a worker takes it, masks and stores
 * its oldest batch (durable on return: the store's group commit shares the
 * fsync with other workers' appends), hands the result back, and puts the
 * session back on the queue if more wait. So a session's batches are done
 * in order, one at a time, while different sessions go in parallel, and a
 * slow fsync holds only the workers waiting on it, never the event loop.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct workers {
    pthread_t *threads;
    int n;
    pthread_mutex_t lock;
    pthread_cond_t work;
    ingest_session *run_head, *run_tail; /* sessions with a batch to do */
    size_t depth;                        /* batches queued in all of them */
    batch_done *done;                    /* results, newest first */
    bool stopping;
    void (*wake)(void *);
    void *wake_arg;
};

/* Puts s at the end of the run queue (w->lock held; s marked on it). */
static void run_queue_push(workers *w, ingest_session *s)
{
    s->next_on_run_queue = NULL;
    if (w->run_tail)
        w->run_tail->next_on_run_queue = s;
    else
        w->run_head = s;
    w->run_tail = s;
}

void workers_submit(workers *w, ingest_session *s)
{
    pthread_mutex_lock(&w->lock);
    w->depth++;
    pthread_mutex_lock(&s->lock);
    /* a worker that finished the batch before may have taken this one too
     * (it looks for more under s->lock): queued with nothing to do, the
     * session would give the next worker no batch */
    bool enqueue = !s->busy && !s->on_run_queue && s->head;
    if (enqueue)
        s->on_run_queue = true;
    pthread_mutex_unlock(&s->lock);
    if (enqueue) {
        run_queue_push(w, s);
        pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->lock);
}

/* What the batch held, added to the session's counts for the console. */
static void count_stored(store_session *stored, const masker_findings *f)
{
    store_session_stats delta = {.events = f->events, .pages = f->pages};
    _Static_assert(MASKER_FINDING_COUNT <= STORE_STATS_KINDS,
                   "a finding kind the store cannot count");
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        delta.masks[k] = f->count[k];
    int rc = store_session_count(stored, &delta);
    (void)rc; /* counts are informational: the batch is stored and acked regardless */
}

/* Masks and stores one batch of s; fills *d. Only the batch after the last
 * one stored may be stored: after a failure the rest of the queue fails
 * too, so the store never holds a session with a gap. */
static void do_batch(ingest_session *s, batch_job *j, batch_done *d)
{
    d->session = s;
    d->seq = j->seq;
    d->len = j->len;
    d->received_us = j->received_us;
    if (j->seq <= s->stored_seq) /* stored before (a resend): acked again, stored once */
        return;
    if (j->seq != s->stored_seq + 1) {
        d->rc = VEIL_EINVAL;
        return;
    }
    if (!s->masker && !(s->masker = masker_session_new(s->site->policy, s->page))) {
        d->rc = VEIL_ENOMEM;
        return;
    }
    masker_result out;
    veil_error err = {0};
    d->rc = masker_session_mask(s->masker, j->json, j->len, &out, &d->findings, &err);
    if (d->rc == VEIL_EJSON || d->rc == VEIL_ETOODEEP) {
        d->rc = VEIL_EJSON;
        d->why = err.what ? err.what : "not a valid batch";
        return;
    }
    if (d->rc)
        return;
    d->rc = store_session_append(s->stored, j->seq, out.data, out.len);
    if (d->rc == VEIL_EEXIST)
        d->rc = VEIL_OK;
    else if (!d->rc)
        d->stored_bytes = out.len;
    if (!d->rc) {
        s->stored_seq = j->seq;
        count_stored(s->stored, &d->findings);
    }
}

static void *work(void *arg)
{
    workers *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->run_head && !w->stopping)
            pthread_cond_wait(&w->work, &w->lock);
        if (!w->run_head)
            break; /* stopping, nothing left */
        ingest_session *s = w->run_head;
        w->run_head = s->next_on_run_queue;
        if (!w->run_head)
            w->run_tail = NULL;
        pthread_mutex_lock(&s->lock);
        s->on_run_queue = false;
        s->busy = true;
        batch_job *j = s->head;
        s->head = j->next;
        if (!s->head)
            s->tail = NULL;
        pthread_mutex_unlock(&s->lock);
        pthread_mutex_unlock(&w->lock);

        batch_done *d = calloc(1, sizeof *d);
        if (d)
            do_batch(s, j, d);
        sodium_memzero(j->json, j->len); /* unmasked, or masked in place */
        free(j->json);
        free(j);

        pthread_mutex_lock(&w->lock);
        w->depth--;
        if (d) {
            d->next = w->done;
            w->done = d;
        }
        pthread_mutex_lock(&s->lock);
        s->busy = false;
        bool more = s->head != NULL;
        if (!more && s->masker) /* idle until its next batch: keep only its state */
            masker_session_trim(s->masker);
        if (more)
            s->on_run_queue = true;
        pthread_mutex_unlock(&s->lock);
        if (more)
            run_queue_push(w, s);
        pthread_mutex_unlock(&w->lock);
        w->wake(w->wake_arg);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int workers_start(workers **out, int n, void (*wake)(void *), void *wake_arg)
{
    workers *w = calloc(1, sizeof *w);
    if (!w)
        return VEIL_ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    w->wake = wake;
    w->wake_arg = wake_arg;
    w->threads = calloc((size_t)n, sizeof *w->threads);
    for (int i = 0; w->threads && i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, work, w))
            break;
        w->n++;
    }
    if (w->n < n) {
        workers_stop(w);
        return VEIL_ENOMEM;
    }
    *out = w;
    return VEIL_OK;
}

batch_done *workers_collect(workers *w)
{
    pthread_mutex_lock(&w->lock);
    batch_done *newest_first = w->done;
    w->done = NULL;
    pthread_mutex_unlock(&w->lock);
    batch_done *in_order = NULL; /* oldest first */
    while (newest_first) {
        batch_done *d = newest_first;
        newest_first = d->next;
        d->next = in_order;
        in_order = d;
    }
    return in_order;
}

size_t workers_queue_depth(workers *w)
{
    pthread_mutex_lock(&w->lock);
    size_t depth = w->depth;
    pthread_mutex_unlock(&w->lock);
    return depth;
}

/* Finishes the batches queued, then stops the threads. */
void workers_stop(workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    for (batch_done *d = workers_collect(w), *next; d; d = next) {
        next = d->next;
        free(d);
    }
    free(w->threads);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
