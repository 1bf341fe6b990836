/*
 * split.re - finds the elements of a JSON array read in pieces, so that
 * `veil mask` can mask a recording of any size in constant memory.
 *
 * Input contract: buf[len] is NUL, the sentinel; at <= len. End of input is
 * re2c's `$` rule (re2c:eof = 0, yyfill off): a NUL at buf + len ends the
 * input, a NUL anywhere else is a byte like any other. No rule reads past
 * the sentinel: the one rule that reads two bytes (an escape) checks the
 * limit before the second.
 *
 * Only the array's structure is read: strings (so that brackets and commas
 * inside them do not count), brackets and commas. What lies inside an
 * element is the masker's to validate when it masks it.
 */
#include "masker.h"

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;

    ws     = [ \t\r\n];
    scalar = [^ \t\r\n,\]{}["\x00];
*/

/*!conditions:re2c*/

#define AT(p) ((size_t)((p) - base))

/*
 * The inside of an element, 64 bytes at a time, while 64 remain before the
 * limit (so the sentinel is never read). Each block becomes bit masks of its
 * quotes, backslashes and brackets; from those, which bytes a backslash
 * escapes (a run of backslashes escapes the byte after it when the run is
 * odd), which bytes lie inside strings (a running XOR of the unescaped
 * quotes), and so which brackets count. A block whose closing brackets
 * cannot bring the depth to zero is done in a few operations; only the
 * block where the element may end is read bracket by bracket.
 */
typedef struct {
    size_t depth;         /* brackets open */
    uint64_t in_string;   /* all ones: the block before ended inside a string */
    uint64_t escape_next; /* 1: it ended in an odd run of backslashes */
} block_state;

#if defined(__SSE2__)
static inline uint64_t block_mask(const __m128i v[4], __m128i ch)
{
    uint64_t m = 0;
    for (int k = 0; k < 4; k++)
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v[k], ch)) << (16 * k);
    return m;
}

/* Bit i: an odd number of bits 0..i of x are set. */
static inline uint64_t prefix_xor(uint64_t x)
{
    for (int shift = 1; shift < 64; shift *= 2)
        x ^= x << shift;
    return x;
}

/*
 * The bytes backslashes escape. Runs of backslashes that start on an odd
 * bit are told from those that start on an even bit by an addition (the
 * carry runs through each run), so that every other byte after a run's
 * start is escaped, counting from the right end.
 */
static inline uint64_t escaped_bytes(uint64_t backslash, uint64_t *escape_next)
{
    const uint64_t even = 0x5555555555555555u;
    backslash &= ~*escape_next; /* escaped itself: not an escape */
    uint64_t follows = backslash << 1 | *escape_next;
    uint64_t odd_starts = backslash & ~even & ~follows;
    uint64_t sums;
    *escape_next = __builtin_add_overflow(odd_starts, backslash, &sums);
    return (even ^ (sums << 1)) & follows;
}

/* The bits set in x (SSE2 has no popcnt instruction). */
static inline size_t bits(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (size_t)((x * 0x0101010101010101u) >> 56);
}

/* Returns past the element's closing bracket, or NULL with *p at the
 * first byte it did not read and *st as things stand there. */
static const unsigned char *scan_blocks(const unsigned char **p, const unsigned char *limit,
                                        block_state *st)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i lower = _mm_set1_epi8(0x20); /* '[' | 0x20 is '{', ']' | 0x20 is '}' */
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    const unsigned char *q = *p;
    for (; limit - q >= 64; q += 64) {
        __m128i v[4], folded[4];
        for (int k = 0; k < 4; k++) {
            v[k] = _mm_loadu_si128((const __m128i *)(q + 16 * k));
            folded[k] = _mm_or_si128(v[k], lower);
        }
        uint64_t quotes = block_mask(v, quote) & ~escaped_bytes(block_mask(v, bslash), &st->escape_next);
        uint64_t strings = prefix_xor(quotes) ^ st->in_string;
        st->in_string = (uint64_t)((int64_t)strings >> 63);
        uint64_t opens = block_mask(folded, open) & ~strings;
        uint64_t closes = block_mask(folded, close) & ~strings;
        if (!closes || bits(closes) < st->depth) {
            st->depth += bits(opens) - bits(closes);
            continue;
        }
        for (uint64_t brackets = opens | closes; brackets; brackets &= brackets - 1) {
            int at = __builtin_ctzll(brackets);
            if (opens >> at & 1)
                st->depth++;
            else if (--st->depth == 0)
                return q + at + 1;
        }
    }
    *p = q;
    return NULL;
}
#else
static const unsigned char *scan_blocks(const unsigned char **p, const unsigned char *limit,
                                        block_state *st)
{
    (void)p, (void)limit, (void)st;
    return NULL;
}
#endif

void masker_splitter_init(masker_splitter *sp, size_t at)
{
    *sp = (masker_splitter){.at = at, .state = yycelement, .first = true};
}

void masker_splitter_moved(masker_splitter *sp, size_t dropped)
{
    sp->at -= dropped;
    sp->start -= sp->start >= dropped ? dropped : sp->start;
}

/* Stops where the buffer ends: the next call resumes at `at` in condition `cond`. */
#define MORE_AT(p)                                                                                 \
    do {                                                                                           \
        sp->at = AT(p);                                                                            \
        sp->state = (unsigned)cond;                                                                \
        sp->depth = depth;                                                                         \
        return MASKER_SPLIT_MORE;                                                                  \
    } while (0)

/* An element found: the next one comes after a comma. */
#define FOUND(past)                                                                                \
    do {                                                                                           \
        *start = sp->start;                                                                        \
        *end = AT(past);                                                                           \
        *sp = (masker_splitter){.at = *end, .state = yyccomma};                                    \
        return MASKER_SPLIT_ELEMENT;                                                               \
    } while (0)

enum masker_split masker_split_next(masker_splitter *sp, const char *buf, size_t len,
                                    size_t *start, size_t *end)
{
    const unsigned char *base = (const unsigned char *)buf;
    const unsigned char *YYCURSOR = base + sp->at, *YYLIMIT = base + len, *YYMARKER, *tok;
    int cond = (int)sp->state;
    size_t depth = sp->depth; /* brackets open inside the element */
    (void)YYMARKER;
    for (;;) {
        if (depth && (cond == yycnested || cond == yycstring) && YYLIMIT - YYCURSOR >= 64) {
            block_state st = {depth, cond == yycstring ? ~(uint64_t)0 : 0, 0};
            const unsigned char *past = scan_blocks(&YYCURSOR, YYLIMIT, &st);
            if (past)
                FOUND(past);
            depth = st.depth;
            cond = st.in_string ? yycstring : yycnested;
            if (st.escape_next && st.in_string) { /* the byte after the block's last backslash */
                if (YYCURSOR == YYLIMIT)
                    MORE_AT(YYCURSOR - 1);
                YYCURSOR++;
            }
        }
        tok = YYCURSOR;
        /*!re2c
            re2c:define:YYGETCONDITION = "cond";
            re2c:define:YYGETCONDITION:naked = 1;
            re2c:define:YYSETCONDITION:naked = 1;
            re2c:define:YYSETCONDITION = "cond = @@;";

            <comma, element> ws+ { continue; }
            <comma> "," {
                cond = yycelement;
                continue;
            }
            <comma> "]" {
                *start = AT(tok);
                *end = AT(YYCURSOR);
                return MASKER_SPLIT_END;
            }
            <element> "]" {
                *start = AT(tok);
                *end = AT(YYCURSOR);
                return sp->first ? MASKER_SPLIT_END : MASKER_SPLIT_BAD; /* "[1,]" */
            }
            <element> [{[] {
                sp->start = AT(tok);
                depth = 1;
                cond = yycnested;
                continue;
            }
            <element> ["] {
                sp->start = AT(tok);
                cond = yycstring;
                continue;
            }
            <element> scalar+ {
                if (YYCURSOR == YYLIMIT) /* it may go on */
                    MORE_AT(tok);
                sp->start = AT(tok);
                FOUND(YYCURSOR);
            }

            <nested> [^"{}[\]\x00]+ { continue; }
            <nested> [{[] {
                depth++;
                continue;
            }
            <nested> [}\]] {
                if (--depth == 0)
                    FOUND(YYCURSOR);
                continue;
            }
            <nested> ["] {
                cond = yycstring;
                continue;
            }

            <string> [^"\\\x00]+ { continue; }
            <string> "\\" {
                if (YYCURSOR == YYLIMIT)
                    MORE_AT(tok);
                YYCURSOR++; /* the escaped byte, whatever it is */
                continue;
            }
            <string> ["] {
                if (depth == 0)
                    FOUND(YYCURSOR);
                cond = yycnested;
                continue;
            }

            <comma, element, nested, string> $ { MORE_AT(tok); }
            <nested, string> [^] { continue; } /* a NUL before the end: the masker's to refuse */
            <comma, element> [^] {
                *start = AT(tok);
                return MASKER_SPLIT_BAD;
            }
        */
    }
}
