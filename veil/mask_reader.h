/*
 * mask_reader.h - the input side of `veil mask`: a thread that reads stdin
 * and cuts it into batches of whole events (the elements of one JSON array,
 * or JSON Lines), so that the caller masks one batch while the next is
 * read. Each batch owns the buffer stdin was read into, and its pieces
 * point into it; the buffers go round between the two threads. Memory
 * stays bounded whatever the input's size: a few buffers of about twice
 * MASK_BATCH_BYTES, or of one event larger than that.
 */
#ifndef VEIL_MASK_READER_H
#define VEIL_MASK_READER_H

#include <stdbool.h>
#include <stddef.h>

#define MASK_BATCH_BYTES  ((size_t)1 << 20)
#define MASK_BATCH_EVENTS 512

/* A run of a batch's bytes: events to mask, or bytes to write as they came
 * (commas, newlines, the array's brackets). */
typedef struct {
    size_t from, len; /* the bytes: data[from, from + len) of the batch */
    size_t offset;    /* where they were in the input, for errors */
    bool events;      /* a line (one event), or a run of array elements */
    bool elements;    /* a run of array elements: the byte before and the two
                         after may be overwritten (with "[", "]" and a NUL) */
} mask_piece;

typedef struct {
    char *data;
    mask_piece *pieces;
    size_t n_pieces;
    size_t events;   /* events in the batch */
    bool last;       /* no batch follows */
    char error[160]; /* not empty: the input goes wrong after this batch (last) */
    size_t bytes;    /* of the input, in its pieces */
    void *buffer;    /* the reader's, that data is in */
    size_t pieces_cap;
} mask_batch;

/* Where the piece's bytes are. */
static inline char *mask_piece_bytes(const mask_batch *b, const mask_piece *p)
{
    return b->data + p->from;
}

typedef struct mask_reader mask_reader;

/* Starts the thread reading stdin. NULL when out of memory or threads. */
mask_reader *mask_reader_start(void);

/* The next batch, in input order, waiting for it; NULL when out of memory.
 * The caller hands it back with mask_reader_done(), which may fill it
 * again: the reader wipes its batches (they held unmasked input) when it
 * stops. */
mask_batch *mask_reader_next(mask_reader *r);
void mask_reader_done(mask_reader *r, mask_batch *b);

/* Stops the thread, wherever it is, and frees the reader. */
void mask_reader_stop(mask_reader *r);

#endif
