/*
 * fuzz_split.c - libFuzzer target over masker_split_next(), the splitter
 * `veil mask` reads arrays with. The input (after a '[' the target adds when
 * it has none) is split twice: whole, and fed in pieces whose sizes come
 * from the input itself, dropping each element once found, as veil mask
 * reads a file. It asserts:
 *   - every element lies inside the buffer;
 *   - when jansson reads the input (with no raw NUL) as an array: both
 *     splits find the same elements and end the same way (MORE only ever
 *     means "not yet", never a different answer), namely jansson's
 *     elements, each equal to its own, and then the ']'.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../masker/masker.h"

enum { MAX_FOUND = 4096 };

typedef struct {
    size_t start[MAX_FOUND], end[MAX_FOUND];
    size_t n;
    enum masker_split last;
    size_t last_at;
} split_result;

/*
 * Splits text[0, len) (the array's '[' at text[0]) as veil mask reads a
 * file: `step` bytes at a time, each element dropped from the buffer once
 * found (the splitter told with masker_splitter_moved()).
 */
static void split(const char *text, size_t len, size_t step, split_result *r)
{
    char *buf = malloc(len + 1);
    size_t dropped = 0, have = step < len ? step : len; /* buf holds text[dropped, have) */
    memcpy(buf, text, have);
    buf[have] = '\0';
    masker_splitter sp;
    masker_splitter_init(&sp, 1);
    r->n = 0;
    for (;;) {
        size_t start = 0, end = 0;
        enum masker_split got = masker_split_next(&sp, buf, have - dropped, &start, &end);
        if (got == MASKER_SPLIT_MORE && have < len) {
            size_t more = step < len - have ? step : len - have;
            memcpy(buf + (have - dropped), text + have, more);
            have += more;
            buf[have - dropped] = '\0';
            continue;
        }
        if (got == MASKER_SPLIT_ELEMENT) {
            if (end <= start || end > have - dropped || r->n == MAX_FOUND)
                abort();
            r->start[r->n] = dropped + start;
            r->end[r->n++] = dropped + end;
            memmove(buf, buf + end, have - dropped - end + 1);
            masker_splitter_moved(&sp, end);
            dropped += end;
            continue;
        }
        r->last = got;
        r->last_at = got == MASKER_SPLIT_MORE ? have : dropped + start;
        break;
    }
    free(buf);
}

static split_result whole, pieces;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = malloc(size + 2);
    size_t len = 0;
    if (!size || data[0] != '[')
        text[len++] = '[';
    memcpy(text + len, data, size);
    len += size;
    text[len] = '\0';

    split(text, len, len, &whole);
    split(text, len, size ? (size_t)data[size - 1] % 64 + 1 : 1, &pieces);
    json_error_t jerr;
    json_t *array = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    bool raw_nul = memchr(text, '\0', len) != NULL; /* jansson reads one as the end */
    if (!raw_nul && json_is_array(array) && json_array_size(array) < MAX_FOUND) {
        /* (of text that is not JSON, the two may stop at different bytes) */
        if (whole.n != pieces.n || whole.last != pieces.last || whole.last_at != pieces.last_at) {
            fprintf(stderr,
                    "split in pieces: %zu elements, then %d at %zu; whole: %zu, %d at %zu\n",
                    pieces.n, pieces.last, pieces.last_at, whole.n, whole.last, whole.last_at);
            abort();
        }
        for (size_t i = 0; i < whole.n; i++)
            if (whole.start[i] != pieces.start[i] || whole.end[i] != pieces.end[i])
                abort();
        if (whole.n != json_array_size(array) || whole.last != MASKER_SPLIT_END)
            abort();
        for (size_t i = 0; i < whole.n; i++) {
            json_t *element = json_loadb(text + whole.start[i], whole.end[i] - whole.start[i],
                                         JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
            if (!element || !json_equal(element, json_array_get(array, i))) {
                fprintf(stderr, "element %zu differs from jansson's\n", i);
                abort();
            }
            json_decref(element);
        }
    }
    json_decref(array);
    free(text);
    return 0;
}
