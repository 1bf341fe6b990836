/*
 * jobs.c - the console's worker threads: password hashing (argon2id takes
 * a third of a second on purpose) and reading sessions from the store run
 * here, so the service thread keeps answering. A finished job's `done`
 * runs on the service thread, woken by lws_cancel_service.
 */
#include <stdlib.h>

#include "internal.h"

struct jobs {
    pthread_t *threads;
    int n;
    pthread_mutex_t lock;
    pthread_cond_t work;
    job *todo_head, *todo_tail, *done; /* done: newest first */
    bool stopping;
    void (*wake)(void *);
    void *wake_arg;
};

static void *work(void *arg)
{
    jobs *q = arg;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->todo_head && !q->stopping)
            pthread_cond_wait(&q->work, &q->lock);
        job *j = q->todo_head;
        if (!j)
            break;
        q->todo_head = j->next;
        if (!q->todo_head)
            q->todo_tail = NULL;
        pthread_mutex_unlock(&q->lock);
        j->run(j);
        pthread_mutex_lock(&q->lock);
        j->next = q->done;
        q->done = j;
        pthread_mutex_unlock(&q->lock);
        q->wake(q->wake_arg);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int jobs_start(jobs **out, int n, void (*wake)(void *), void *wake_arg)
{
    jobs *q = calloc(1, sizeof *q);
    if (!q || !(q->threads = calloc((size_t)n, sizeof *q->threads))) {
        free(q);
        return VEIL_ENOMEM;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->work, NULL);
    q->wake = wake;
    q->wake_arg = wake_arg;
    for (; q->n < n; q->n++)
        if (pthread_create(&q->threads[q->n], NULL, work, q))
            break;
    if (q->n < n) {
        jobs_stop(q);
        return VEIL_ENOMEM;
    }
    *out = q;
    return VEIL_OK;
}

void jobs_submit(jobs *q, job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->todo_tail)
        q->todo_tail->next = j;
    else
        q->todo_head = j;
    q->todo_tail = j;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void jobs_collect(jobs *q)
{
    pthread_mutex_lock(&q->lock);
    job *newest_first = q->done;
    q->done = NULL;
    pthread_mutex_unlock(&q->lock);
    job *in_order = NULL;
    while (newest_first) {
        job *j = newest_first;
        newest_first = j->next;
        j->next = in_order;
        in_order = j;
    }
    while (in_order) {
        job *j = in_order;
        in_order = j->next;
        j->done(j);
    }
}

/* Finishes what is queued, then stops. */
void jobs_stop(jobs *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->n; i++)
        pthread_join(q->threads[i], NULL);
    jobs_collect(q);
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->lock);
    free(q->threads);
    free(q);
}
