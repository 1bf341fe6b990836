/*
 * mask_reader.c - `veil mask`'s input thread: stdin through a window, cut
 * into batches of whole events by the masker's array splitter or at line
 * ends, handed over through a queue of QUEUE_BATCHES.
 */
#include "mask_reader.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../masker/masker.h"

/* Batches: QUEUE_BATCHES waiting, one being masked, one being filled. */
enum { READ_SIZE = 1 << 20, QUEUE_BATCHES = 2, MAX_BATCHES = QUEUE_BATCHES + 2 };
/* A mapped input's pages are let go in steps of this many bytes. */
#define RELEASE_BYTES ((size_t)16 << 20)

struct mask_reader {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    mask_batch *queue[QUEUE_BATCHES];
    size_t head, count;
    mask_batch *spare[MAX_BATCHES]; /* handed back, to be filled again */
    size_t n_spare, n_batches;
    char *map; /* the mapped input (set before the last batch is sent) */
    size_t map_span, map_released;
    bool stopping; /* the caller is done: the thread stops, and frees all if detached */
    bool done;     /* the thread returned */
};

/* ---- batches ----------------------------------------------------------------- */

static void batch_wipe(mask_batch *b)
{
    if (b->data)
        sodium_memzero(b->data, b->data_cap); /* it held unmasked input */
    free(b->data);
    free(b->pieces);
}

static void batch_free(mask_batch *b)
{
    if (!b)
        return;
    batch_wipe(b);
    free(b);
}

/*
 * A batch to fill: one handed back (its bytes are overwritten, not wiped:
 * they are wiped when the reader stops), or a new one while fewer than
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
        b->n_pieces = b->events = b->data_len = 0;
        b->last = false;
        b->error[0] = '\0';
    }
    return b;
}

/* The pages of a mapped input below what batch b covered are masked and
 * written: they are let go, so memory stays bounded. */
static void release_mapped(mask_reader *r, const mask_batch *b)
{
    char *end = NULL;
    for (size_t i = 0; i < b->n_pieces; i++)
        if (b->pieces[i].mapped && b->pieces[i].mapped + b->pieces[i].len > end)
            end = b->pieces[i].mapped + b->pieces[i].len;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t upto = end ? (size_t)(end - r->map) / page * page : 0;
    if (upto >= r->map_released + RELEASE_BYTES) { /* seldom: each costs a TLB flush */
        madvise(r->map + r->map_released, upto - r->map_released, MADV_DONTNEED);
        r->map_released = upto;
    }
}

void mask_reader_done(mask_reader *r, mask_batch *b)
{
    if (!b)
        return;
    if (r->map)
        release_mapped(r, b);
    pthread_mutex_lock(&r->lock);
    r->spare[r->n_spare++] = b;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

/* Room for n more bytes in b->data. */
static int batch_room(mask_batch *b, size_t n)
{
    if (b->data_len + n <= b->data_cap)
        return VEIL_OK;
    size_t cap = b->data_cap ? b->data_cap : MASK_BATCH_BYTES + 4096;
    while (cap < b->data_len + n)
        cap *= 2;
    char *grown = malloc(cap);
    if (!grown)
        return VEIL_ENOMEM;
    if (b->data) {
        memcpy(grown, b->data, b->data_len);
        sodium_memzero(b->data, b->data_cap);
        free(b->data);
    }
    b->data = grown;
    b->data_cap = cap;
    return VEIL_OK;
}

/*
 * Appends a piece of the n bytes at p, input offset `offset`: referenced
 * when `mapped`, else copied, with room for what the caller overwrites
 * around events (the byte before a run of elements, and after an event the
 * two bytes that follow).
 */
static int batch_add(mask_batch *b, char *p, size_t n, size_t offset, bool mapped, bool events,
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
    mask_piece *piece = &b->pieces[b->n_pieces];
    *piece = (mask_piece){.mapped = mapped ? p : NULL,
                          .len = n,
                          .offset = offset,
                          .events = events,
                          .elements = elements};
    if (!mapped) {
        size_t before = elements, after = events ? 2 : 0;
        int rc = batch_room(b, before + n + after);
        if (rc)
            return rc;
        piece->from = b->data_len + before;
        memcpy(b->data + piece->from, p, n);
        b->data_len += before + n + after;
    }
    b->n_pieces++;
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
 * data[0, len) are the bytes not yet put in a batch, starting at input
 * offset `offset`; data[len] is NUL, the sentinel the splitter reads up to.
 * Dropping bytes moves `data` along the buffer; reading more moves the rest
 * back to the buffer's start, or grows the buffer when the window fills it.
 */
typedef struct {
    char *buffer, *data;
    size_t cap, len;
    size_t offset;
    bool eof;
    size_t mapped; /* bytes mapped at `buffer` (the file, then zeros), or 0 */
} window;

/*
 * A regular file on stdin is mapped whole, read-only for this program (the
 * masker works on copies of its batches), followed by zeros: the sentinel
 * after its last byte. The window is then all of it.
 * Returns false (and reads instead) for anything else, or if mapping fails.
 */
static bool window_map(window *w)
{
    struct stat st;
    if (fstat(STDIN_FILENO, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        lseek(STDIN_FILENO, 0, SEEK_CUR) != 0)
        return false;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (size_t)st.st_size;
    size_t span = (size + 2 + page - 1) / page * page + page;
    char *zeros = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (zeros == MAP_FAILED)
        return false;
    if (mmap(zeros, size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, STDIN_FILENO, 0) ==
        MAP_FAILED) {
        munmap(zeros, span);
        return false;
    }
    madvise(zeros, size, MADV_SEQUENTIAL);
    *w = (window){.buffer = zeros, .data = zeros, .len = size, .eof = true, .mapped = span};
    return true;
}

static int window_fill(window *w)
{
    if (w->mapped)
        return VEIL_OK; /* all of it is there */
    size_t used = w->buffer ? (size_t)(w->data - w->buffer) + w->len : 0;
    if (w->cap - used < READ_SIZE + 1) {
        if (w->data != w->buffer && w->cap - w->len >= READ_SIZE + 1) {
            memmove(w->buffer, w->data, w->len + 1);
        } else {
            size_t cap = w->cap ? w->cap * 2 : 4 * (size_t)READ_SIZE;
            if (cap > MASKER_MAX_INPUT + 4 * (size_t)READ_SIZE)
                return VEIL_ETOOBIG;
            char *grown = malloc(cap);
            if (!grown)
                return VEIL_ENOMEM;
            if (w->buffer) {
                memcpy(grown, w->data, w->len + 1);
                sodium_memzero(w->buffer, w->cap);
                free(w->buffer);
            }
            w->buffer = grown;
            w->cap = cap;
        }
        w->data = w->buffer;
    }
    size_t got = fread(w->data + w->len, 1, READ_SIZE, stdin);
    if (got < READ_SIZE && ferror(stdin))
        return VEIL_EIO;
    w->eof = got < READ_SIZE;
    w->len += got;
    w->data[w->len] = '\0';
    return VEIL_OK;
}

static void window_drop(window *w, size_t n)
{
    w->data += n;
    w->len -= n;
    w->offset += n;
}

/* ---- cutting the input ---------------------------------------------------- */

typedef struct {
    mask_reader *r;
    window w;
    mask_batch *batch; /* being filled */
} cutter;

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

/* Hands the batch over and starts the next; false when the caller stopped. */
static bool next_batch(cutter *c)
{
    mask_batch *full = c->batch;
    c->batch = batch_new(c->r);
    if (!send_batch(c->r, full))
        return false;
    return c->batch != NULL;
}

static bool add(cutter *c, size_t from, size_t n, bool events, bool elements)
{
    int rc = batch_add(c->batch, c->w.data + from, n, c->w.offset + from, c->w.mapped != 0, events,
                       elements);
    return rc ? failed_to(c, rc) : true;
}

/* The array's ']' ends at data[bracket] (data[at, bracket) not added
 * yet); after it, nothing but whitespace. */
static bool array_end(cutter *c, size_t at, size_t bracket)
{
    for (;;) {
        size_t blank = bracket + strspn(c->w.data + bracket, " \t\r\n");
        if (blank < c->w.len)
            return fail(c, "unexpected data after the array at byte %zu", c->w.offset + blank);
        if (!add(c, at, c->w.len - at, false, false))
            return false;
        if (c->w.eof)
            return true;
        window_drop(&c->w, c->w.len);
        int rc = window_fill(&c->w);
        if (rc)
            return failed_to(c, rc);
        at = bracket = 0;
    }
}

/*
 * A JSON array of events, from its '[' at data[open]: runs of elements
 * become one masked piece each, the bytes between runs verbatim pieces.
 * A full batch is handed over only once the next element is found: the
 * masker overwrites the two bytes after a run, which the splitter must be
 * past by then (in a mapped file they are the same bytes).
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
        window_drop(&c->w, at); /* a copy of everything before is in the batch */
        masker_splitter_moved(&sp, at);
        at = 0;
        if (c->batch->n_pieces && !next_batch(c))
            return false;
        int rc = window_fill(&c->w);
        if (rc)
            return failed_to(c, rc);
    }
}

/* JSON Lines: each non-blank line is one event, masked on its own. */
static bool cut_lines(cutter *c)
{
    size_t searched = 0; /* of a line longer than what was read so far */
    for (;;) {
        char *nl = memchr(c->w.data + searched, '\n', c->w.len - searched);
        if (!nl && !c->w.eof) {
            searched = c->w.len;
            int rc = window_fill(&c->w);
            if (rc)
                return failed_to(c, rc);
            continue;
        }
        searched = 0;
        size_t n = nl ? (size_t)(nl - c->w.data) : c->w.len;
        bool blank = strspn(c->w.data, " \t\r") >= n;
        if (!add(c, 0, n, !blank, false) || (nl && !add(c, n, 1, false, false)))
            return false;
        c->batch->events += !blank;
        if (!nl)
            return true;
        window_drop(&c->w, n + 1);
        if ((c->batch->events >= MASK_BATCH_EVENTS || c->batch->data_len >= MASK_BATCH_BYTES) &&
            !next_batch(c))
            return false;
    }
}

static bool cut(cutter *c)
{
    int rc;
    size_t lead;
    if (window_map(&c->w)) { /* before any batch points into it */
        pthread_mutex_lock(&c->r->lock);
        c->r->map = c->w.buffer;
        c->r->map_span = c->w.mapped;
        pthread_mutex_unlock(&c->r->lock);
    }
    for (;;) { /* to the first non-blank byte */
        if ((rc = window_fill(&c->w)))
            return failed_to(c, rc);
        lead = strspn(c->w.data, " \t\r\n");
        if (lead < c->w.len || c->w.eof)
            break;
    }
    if (lead == c->w.len)
        return fail(c, "no events on stdin; pipe a JSON array or JSON Lines file");
    return c->w.data[lead] == '[' ? cut_array(c, lead) : cut_lines(c);
}

static void free_reader(mask_reader *r)
{
    if (r->map)
        munmap(r->map, r->map_span);
    for (size_t i = 0; i < r->count; i++)
        batch_free(r->queue[(r->head + i) % QUEUE_BATCHES]);
    for (size_t i = 0; i < r->n_spare; i++)
        batch_free(r->spare[i]);
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
    if (!c.w.mapped) { /* (a mapped input is unmapped when the reader is freed) */
        if (c.w.buffer)
            sodium_memzero(c.w.buffer, c.w.cap); /* it held unmasked input */
        free(c.w.buffer);
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
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
    if (finished) {
        pthread_join(r->thread, NULL);
        free_reader(r);
    } else { /* it may wait on stdin: it frees the reader when it returns */
        pthread_detach(r->thread);
    }
}
