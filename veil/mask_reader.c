/*
 * mask_reader.c - `veil mask`'s input thread: stdin read into a few buffers
 * that go round, cut into batches of whole events by the masker's array
 * splitter or at line ends, handed over through a queue of QUEUE_BATCHES.
 *
 * Why read(2) into buffers used again rather than mapping a file: on a
 * virtual machine a page's first touch from user space costs several
 * microseconds, more than copying the page's bytes into memory touched
 * before. Batches point into the buffer they were read into, so a byte is
 * copied once (by the kernel), and again only when an event runs past the
 * end of a buffer.
 */
#include "mask_reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../masker/masker.h"

/* Batches: QUEUE_BATCHES waiting, one being masked, one being filled. Each
 * is in one buffer, so one buffer more than batches is always free. A deep
 * queue lets the reader get ahead before an event of megabytes, which the
 * masker cannot start before it is read whole. */
enum {
    READ_SIZE = 1 << 20,
    QUEUE_BATCHES = 64,
    MAX_BATCHES = QUEUE_BATCHES + 2,
    MAX_BUFFERS = MAX_BATCHES + 1
};
/*
 * Room around the bytes in a buffer: one byte before (the masker's '[' goes
 * over the byte before a run of elements) and two after (the NUL the
 * splitter stops at; the masker's ']' and NUL go over the two bytes after a
 * run).
 */
enum { ROOM_BEFORE = 1, ROOM_AFTER = 2 };
/* Buffers grow in whole huge pages. All of them stay within
 * BUFFERS_BUDGET, but for one event larger than that. */
#define BUFFER_BYTES   VEIL_HUGE_PAGE
#define BUFFERS_BUDGET ((size_t)64 << 20)

typedef struct {
    char *data;
    size_t cap;
    size_t touched; /* data[0, touched) may have held input */
    size_t batches; /* batches in it: their pieces point into it */
} buffer;

struct mask_reader {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    mask_batch *queue[QUEUE_BATCHES];
    size_t head, count;
    mask_batch *spare[MAX_BATCHES]; /* handed back, to be filled again */
    size_t n_spare, n_batches;
    buffer buffers[MAX_BUFFERS]; /* the thread's; `batches` under the lock */
    bool stopping; /* the caller is done: the thread stops, and frees all if detached */
    bool done;     /* the thread returned */
};

/* ---- buffers and batches ------------------------------------------------------ */

static void buffer_free(buffer *b)
{
    if (b->data) {
        sodium_memzero(b->data, b->touched); /* it held unmasked input */
        veil_pages_free(b->data, b->cap);
    }
    *b = (buffer){0};
}

/*
 * Lets go of free buffers until `to` can grow to `cap` bytes within
 * BUFFERS_BUDGET, waiting for batches to come back if it must. Past the
 * budget only when no buffer is left but `to` and the window's.
 */
static void keep_to_budget(mask_reader *r, const buffer *to, const buffer *window_in, size_t cap)
{
    pthread_mutex_lock(&r->lock);
    for (;;) {
        size_t total = cap, others = 0;
        buffer *unused = NULL;
        for (buffer *b = r->buffers; b < r->buffers + MAX_BUFFERS; b++) {
            if (b == to || !b->cap)
                continue;
            total += b->cap;
            if (b != window_in) {
                others++;
                unused = b->batches ? unused : b;
            }
        }
        if (total <= BUFFERS_BUDGET || !others || r->stopping)
            break;
        if (unused) { /* (no batch goes in it meanwhile: this thread puts them) */
            pthread_mutex_unlock(&r->lock);
            buffer_free(unused);
            pthread_mutex_lock(&r->lock);
            continue;
        }
        pthread_cond_wait(&r->changed, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
}

/* Grows b to `need` bytes or more (veil_pages_resize: the bytes stay, and
 * no copy of them is left behind to wipe). */
static int buffer_grow(mask_reader *r, buffer *b, const buffer *window_in, size_t need)
{
    size_t cap = b->cap ? b->cap : BUFFER_BYTES;
    while (cap < need)
        cap *= 2;
    if (cap > MASKER_MAX_INPUT + BUFFER_BYTES)
        return VEIL_ETOOBIG;
    keep_to_budget(r, b, window_in, cap);
    void *p = veil_pages_resize(b->data, b->cap, cap);
    if (!p)
        return VEIL_ENOMEM;
    b->data = p;
    b->cap = cap;
    return VEIL_OK;
}

static void batch_free(mask_batch *b)
{
    if (b)
        free(b->pieces);
    free(b);
}

/* Puts batch b in buffer `to` (NULL: in none), under the reader's lock. */
static void batch_in(mask_reader *r, mask_batch *b, buffer *to)
{
    pthread_mutex_lock(&r->lock);
    if (b->buffer)
        ((buffer *)b->buffer)->batches--;
    if (to)
        to->batches++;
    b->buffer = to;
    b->data = to ? to->data : NULL;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/*
 * The largest buffer no batch is in, but `in_use`: an event too large for
 * the others goes on being read into memory touched before. A buffer not
 * mapped yet only while all stay within BUFFERS_BUDGET (or no other is
 * mapped); else it waits for a batch to come back with one.
 */
static buffer *free_buffer(mask_reader *r, const buffer *in_use)
{
    buffer *best = NULL;
    pthread_mutex_lock(&r->lock);
    while (!best && !r->stopping) {
        buffer *unmapped = NULL;
        size_t total = 0, others = 0;
        for (buffer *b = r->buffers; b < r->buffers + MAX_BUFFERS; b++) {
            total += b->cap;
            others += b->cap && b != in_use;
            if (b == in_use || b->batches)
                continue;
            if (!b->cap)
                unmapped = unmapped ? unmapped : b;
            else if (!best || b->cap > best->cap)
                best = b;
        }
        if (!best && unmapped && (total + BUFFER_BYTES <= BUFFERS_BUDGET || !others))
            best = unmapped;
        if (!best)
            pthread_cond_wait(&r->changed, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return best;
}

/*
 * A batch to fill: one handed back, or a new one while fewer than
 * MAX_BATCHES exist. NULL when out of memory or when the caller stopped.
 */
static mask_batch *batch_new(mask_reader *r)
{
    mask_batch *b = NULL;
    pthread_mutex_lock(&r->lock);
    while (!r->n_spare && r->n_batches == MAX_BATCHES && !r->stopping)
        pthread_cond_wait(&r->changed, &r->lock);
    if (r->n_spare)
        b = r->spare[--r->n_spare];
    else if (!r->stopping && (b = calloc(1, sizeof *b)))
        r->n_batches++;
    pthread_mutex_unlock(&r->lock);
    if (b) {
        b->n_pieces = b->events = b->bytes = 0;
        b->last = false;
        b->error[0] = '\0';
    }
    return b;
}

void mask_reader_done(mask_reader *r, mask_batch *b)
{
    if (!b)
        return;
    batch_in(r, b, NULL);
    pthread_mutex_lock(&r->lock);
    r->spare[r->n_spare++] = b;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* Appends a piece: the n bytes at p, in b's buffer, input offset `offset`. */
static int batch_add(mask_batch *b, const char *p, size_t n, size_t offset, bool events,
                     bool elements)
{
    if (b->n_pieces == b->pieces_cap) {
        size_t cap = b->pieces_cap ? b->pieces_cap * 2 : 2 * MASK_BATCH_EVENTS + 8;
        mask_piece *grown = realloc(b->pieces, cap * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        b->pieces = grown;
        b->pieces_cap = cap;
    }
    b->pieces[b->n_pieces++] = (mask_piece){.from = (size_t)(p - b->data),
                                            .len = n,
                                            .offset = offset,
                                            .events = events,
                                            .elements = elements};
    b->bytes += n;
    return VEIL_OK;
}

/* ---- the queue ---------------------------------------------------------------- */

/* Hands b over; false when the caller stopped listening (b is freed). */
static bool send_batch(mask_reader *r, mask_batch *b)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == QUEUE_BATCHES && !r->stopping)
        pthread_cond_wait(&r->changed, &r->lock);
    bool listening = !r->stopping;
    if (listening) {
        r->queue[(r->head + r->count++) % QUEUE_BATCHES] = b;
        pthread_cond_broadcast(&r->changed);
    }
    pthread_mutex_unlock(&r->lock);
    if (!listening)
        batch_free(b);
    return listening;
}

mask_batch *mask_reader_next(mask_reader *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == 0 && !r->done)
        pthread_cond_wait(&r->changed, &r->lock);
    mask_batch *b = NULL;
    if (r->count) {
        b = r->queue[r->head];
        r->head = (r->head + 1) % QUEUE_BATCHES;
        r->count--;
        pthread_cond_broadcast(&r->changed);
    }
    pthread_mutex_unlock(&r->lock);
    return b;
}

/* ---- stdin through a window ------------------------------------------------- */

/*
 * data[0, len) are the bytes read but not yet put in a batch, starting at
 * input offset `offset`, in buffer `in` (the batch being filled is in it
 * too); data[len] is NUL, the sentinel the splitter reads up to.
 */
typedef struct {
    buffer *in;
    char *data;
    size_t len;
    size_t offset;
    bool eof;
} window;

typedef struct {
    mask_reader *r;
    window w;
    mask_batch *batch; /* being filled */
} cutter;

/*
 * Moves the window's bytes to the start of buffer `to`, with room to read
 * READ_SIZE more after them; `to` grows if it must. `to` is free, or the
 * window's own buffer with no batch in it but the one being filled, which
 * has no pieces yet. The caller puts the batch being filled in `to`.
 */
static int window_move(mask_reader *r, window *w, buffer *to)
{
    size_t need = ROOM_BEFORE + w->len + READ_SIZE + ROOM_AFTER;
    if (to->cap < need) {
        size_t at = w->in == to ? (size_t)(w->data - to->data) : 0;
        int rc = buffer_grow(r, to, w->in, need);
        if (rc)
            return rc;
        if (w->in == to)
            w->data = to->data + at; /* (it may have moved) */
    }
    if (w->len)
        memmove(to->data + ROOM_BEFORE, w->data, w->len);
    w->in = to;
    w->data = to->data + ROOM_BEFORE;
    w->data[w->len] = '\0';
    return VEIL_OK;
}

/* read(2) until n bytes or the end of the input. */
static int read_fully(char *to, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = read(STDIN_FILENO, to + *got, n - *got);
        if (r == 0)
            break;
        if (r < 0 && errno != EINTR)
            return VEIL_EIO;
        *got += r > 0 ? (size_t)r : 0;
    }
    return VEIL_OK;
}

static void window_drop(window *w, size_t n)
{
    w->data += n;
    w->len -= n;
    w->offset += n;
}

/* ---- cutting the input ---------------------------------------------------- */

static bool failed_to(cutter *c, int rc);

static bool fail(cutter *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends the input with an error the caller reports after what came before. */
static bool fail(cutter *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->batch->error, sizeof c->batch->error, fmt, ap);
    va_end(ap);
    return false;
}

static bool failed_to(cutter *c, int rc)
{
    return fail(c, "%s",
                rc == VEIL_ETOOBIG  ? "an event larger than the masker takes (1 GB)"
                : rc == VEIL_ENOMEM ? "out of memory"
                                    : "cannot read stdin");
}

/*
 * Hands the batch over and starts the next, in the same buffer. The masker
 * writes over the byte before a run and the two after it: the splitter is
 * past them by then, and the next batch's pieces that hold them are masked
 * after this one. False when the caller stopped or out of memory.
 */
static bool next_batch(cutter *c)
{
    mask_batch *full = c->batch;
    c->batch = batch_new(c->r);
    if (c->batch)
        batch_in(c->r, c->batch, c->w.in);
    return send_batch(c->r, full) && c->batch;
}

/*
 * Makes room after the window's bytes for READ_SIZE more. The window moves
 * to the start of its buffer if no other batch is in it, else to a free
 * buffer, before the batch being filled is handed over if it has pieces:
 * the masker writes over the two bytes after its last run, which the
 * window may hold.
 */
static bool window_room(cutter *c)
{
    window *w = &c->w;
    buffer *in = w->in;
    size_t end = in ? (size_t)(w->data - in->data) + w->len : 0;
    if (in && in->cap - end >= READ_SIZE + ROOM_AFTER)
        return true;
    bool pieces = c->batch->n_pieces != 0;
    pthread_mutex_lock(&c->r->lock);
    bool alone = in && in->batches == 1 && !pieces; /* only the batch being filled */
    pthread_mutex_unlock(&c->r->lock);
    buffer *to = alone ? in : free_buffer(c->r, in);
    int rc = to ? window_move(c->r, w, to) : VEIL_ENOMEM;
    if (rc)
        return failed_to(c, rc);
    if (pieces)
        return next_batch(c); /* the next batch goes in the window's buffer */
    batch_in(c->r, c->batch, to);
    return true;
}

/* Reads up to READ_SIZE more bytes after the window's. */
static bool window_fill(cutter *c)
{
    if (!window_room(c))
        return false;
    window *w = &c->w;
    buffer *in = w->in;
    size_t got, touched = (size_t)(w->data - in->data) + w->len + READ_SIZE + ROOM_AFTER;
    if (in->touched < touched)
        in->touched = touched;
    int rc = read_fully(w->data + w->len, READ_SIZE, &got);
    if (rc)
        return failed_to(c, rc);
    w->eof = got < READ_SIZE;
    w->len += got;
    w->data[w->len] = w->data[w->len + 1] = '\0';
    return true;
}

static bool add(cutter *c, size_t from, size_t n, bool events, bool elements)
{
    int rc = batch_add(c->batch, c->w.data + from, n, c->w.offset + from, events, elements);
    return rc ? failed_to(c, rc) : true;
}

static bool cut_values(cutter *c);

/* The array's ']' ends at data[bracket] (data[at, bracket) not added
 * yet); after it, nothing but whitespace, or a line break and more values:
 * JSON Lines whose first line is a batch (an array of events). */
static bool array_end(cutter *c, size_t at, size_t bracket)
{
    for (;;) {
        size_t blank = bracket + strspn(c->w.data + bracket, " \t\r\n");
        if (blank < c->w.len && !memchr(c->w.data + bracket, '\n', blank - bracket))
            return fail(c, "unexpected data after the array at byte %zu", c->w.offset + blank);
        if (blank < c->w.len) {
            if (!add(c, at, blank - at, false, false))
                return false;
            window_drop(&c->w, blank);
            return cut_values(c);
        }
        if (!add(c, at, c->w.len - at, false, false))
            return false;
        if (c->w.eof)
            return true;
        window_drop(&c->w, c->w.len);
        if (!window_fill(c))
            return false;
        at = bracket = 0;
    }
}

/*
 * A JSON array of events, from its '[' at data[open]: runs of elements
 * become one masked piece each, the bytes between runs verbatim pieces.
 * A full batch is handed over only once the next element is found (see
 * next_batch), and before the window moves.
 */
static bool cut_array(cutter *c, size_t open)
{
    if (!add(c, 0, open + 1, false, false))
        return false;
    window_drop(&c->w, open + 1);
    masker_splitter sp;
    masker_splitter_init(&sp, 0);
    size_t at = 0, first = 0, run = 0; /* run: elements in data[first, at) */
    for (;;) {
        size_t start, end;
        enum masker_split got = masker_split_next(&sp, c->w.data, c->w.len, &start, &end);
        bool full = run == MASK_BATCH_EVENTS || at - first >= MASK_BATCH_BYTES;
        if (run && (got != MASKER_SPLIT_ELEMENT || full)) {
            if (!add(c, first, at - first, true, true))
                return false;
            c->batch->events += run;
            run = 0;
        }
        if (got == MASKER_SPLIT_ELEMENT) {
            if (full && !next_batch(c))
                return false;
            if (!run && !add(c, at, start - at, false, false)) /* the separators before it */
                return false;
            first = run++ ? first : start;
            at = end;
            continue;
        }
        if (got == MASKER_SPLIT_BAD)
            return fail(c, "not a JSON array of events at byte %zu", c->w.offset + start);
        if (got == MASKER_SPLIT_END)
            return array_end(c, at, end);
        if (c->w.eof)
            return fail(c, "the input ends before the array's closing ']' (byte %zu)",
                        c->w.offset + c->w.len);
        window_drop(&c->w, at); /* everything before is in the batch */
        masker_splitter_moved(&sp, at);
        at = 0;
        if (!window_fill(c))
            return false;
    }
}

/*
 * JSON Lines, or any sequence of JSON values with blanks between them (an
 * event or a wire batch pretty-printed over many lines, as `jq` writes
 * one): each value is masked on its own, the blanks go through as they are.
 * A full batch is handed over only once the blanks after its last value are
 * in it: the masker writes its NUL over the byte after a value.
 */
static bool cut_values(cutter *c)
{
    bool after_value = false; /* data[0] is the byte after a value */
    for (;;) {
        size_t lead = strspn(c->w.data, " \t\r\n"); /* the window ends in a NUL */
        if (lead == c->w.len) {
            if (lead && !add(c, 0, lead, false, false))
                return false;
            after_value &= !lead;
            if (c->w.eof)
                return true;
            window_drop(&c->w, lead);
            if (!window_fill(c))
                return false;
            continue;
        }
        if (after_value && !lead)
            return fail(c, "no line break between two events at byte %zu", c->w.offset);
        if (lead && !add(c, 0, lead, false, false))
            return false;
        window_drop(&c->w, lead);
        if ((c->batch->events >= MASK_BATCH_EVENTS || c->batch->bytes >= MASK_BATCH_BYTES) &&
            !next_batch(c))
            return false;
        masker_splitter sp;
        masker_splitter_init(&sp, 0);
        size_t start, end;
        enum masker_split got;
        while ((got = masker_split_next(&sp, c->w.data, c->w.len, &start, &end)) ==
               MASKER_SPLIT_MORE) {
            if (c->w.eof)
                return fail(c, "the input ends inside the event that starts at byte %zu",
                            c->w.offset);
            if (!window_fill(c)) /* keeps the window's bytes where the splitter reads them */
                return false;
        }
        if (got != MASKER_SPLIT_ELEMENT)
            return fail(c, "not a JSON event at byte %zu", c->w.offset + start);
        if (!add(c, start, end - start, true, false))
            return false;
        c->batch->events++;
        window_drop(&c->w, end);
        after_value = true;
    }
}

static bool cut(cutter *c)
{
    size_t lead;
    if (!window_fill(c))
        return false;
    /* the byte order mark a Windows tool writes first */
    if (c->w.len >= 3 && !memcmp(c->w.data, "\xef\xbb\xbf", 3))
        window_drop(&c->w, 3);
    for (;;) { /* to the first non-blank byte */
        if (!window_fill(c))
            return false;
        lead = strspn(c->w.data, " \t\r\n");
        if (lead < c->w.len || c->w.eof)
            break;
    }
    if (lead == c->w.len)
        return fail(c, "no events on stdin; pipe a JSON array or JSON Lines file");
    return c->w.data[lead] == '[' ? cut_array(c, lead) : cut_values(c);
}

static void free_reader(mask_reader *r)
{
    for (size_t i = 0; i < r->count; i++)
        batch_free(r->queue[(r->head + i) % QUEUE_BATCHES]);
    for (size_t i = 0; i < r->n_spare; i++)
        batch_free(r->spare[i]);
    for (size_t i = 0; i < MAX_BUFFERS; i++)
        buffer_free(&r->buffers[i]);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    free(r);
}

static void *read_input(void *arg)
{
    cutter c = {.r = arg, .batch = batch_new(arg)};
    if (c.batch)
        cut(&c);
    if (c.batch) { /* (NULL: out of memory; the caller gets no last batch) */
        c.batch->last = true;
        send_batch(c.r, c.batch);
    }
    pthread_mutex_lock(&c.r->lock);
    c.r->done = true;
    bool orphan = c.r->stopping; /* the caller left: the reader is this thread's to free */
    pthread_cond_broadcast(&c.r->changed);
    pthread_mutex_unlock(&c.r->lock);
    if (orphan)
        free_reader(c.r);
    return NULL;
}

mask_reader *mask_reader_start(void)
{
    mask_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    if (pthread_create(&r->thread, NULL, read_input, r)) {
        free_reader(r);
        return NULL;
    }
    return r;
}

void mask_reader_stop(mask_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    bool finished = r->done;
    pthread_t thread = r->thread; /* once unlocked, an unfinished reader may free r */
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    if (finished) {
        pthread_join(thread, NULL);
        free_reader(r);
    } else { /* it may wait on stdin: it frees the reader when it returns */
        pthread_detach(thread);
    }
}
