/*
 * json.re - tokenises one batch of JSON onto a tape (see internal.h).
 *
 * Input contract: `json` holds `len` bytes and json[len] is NUL, the
 * sentinel. End of input is re2c's `$` rule (re2c:eof = 0, yyfill off): a
 * rule reading the NUL checks the cursor against the limit, json + len, so
 * the NUL at the limit is the end of input and a NUL anywhere else is a
 * byte like any other, which no rule accepts. No rule reads past the NUL.
 * The SSE2 string skip and fast_key() load 16 bytes, and the small-integer
 * path 8, only where that many remain before the sentinel: they never read
 * it either.
 *
 * tokenize() is the grammar: one re2c condition per state, each ending in
 * the `<*> [^]` catch-all; lex_string() reads strings, skip_plain() 16
 * plain bytes at a time.
 *
 * Returns 0 with the whole input on the tape, or VEIL_EJSON / VEIL_ETOODEEP /
 * VEIL_ETOOBIG / VEIL_ENOMEM with err->offset at the offending byte.
 *
 * The scanner validates everything a strict parser would: structure,
 * numbers, escapes (including UTF-16 surrogate pairs) and UTF-8, so the
 * masker's output is valid JSON whenever its input was.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* What lies at a place the grammar rejects (fail_unexpected()). */
enum lex { LEX_TOKEN, LEX_END, LEX_ERROR };

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
    re2c:eof = 0;
    re2c:indent:string = "    ";

    hex    = [0-9a-fA-F];
    digit  = [0-9];
    ws     = [ \t\r\n];
    number = "-"? ("0" | [1-9] digit*) ("." digit+)? ([eE] [+-]? digit+)?;
    hi_sur = "\\u" [dD] [89abAB] hex hex;
    lo_sur = "\\u" [dD] [c-fC-F] hex hex;
    bmp_u  = "\\u" ([0-9a-cA-CefEF] hex hex hex | [dD] [0-7] hex hex);
    utf8_2 = [\xc2-\xdf] [\x80-\xbf];
    utf8_3 = "\xe0" [\xa0-\xbf] [\x80-\xbf]
           | [\xe1-\xec\xee\xef] [\x80-\xbf] [\x80-\xbf]
           | "\xed" [\x80-\x9f] [\x80-\xbf];
    utf8_4 = "\xf0" [\x90-\xbf] [\x80-\xbf] [\x80-\xbf]
           | [\xf1-\xf3] [\x80-\xbf] [\x80-\xbf] [\x80-\xbf]
           | "\xf4" [\x80-\x8f] [\x80-\xbf] [\x80-\xbf];
*/

/* After optional whitespace: a token, the end of input (at `end`), or neither. */
static enum lex lex_token(const unsigned char **cursor, const unsigned char **tok_start,
                          const unsigned char *end)
{
    const unsigned char *YYCURSOR = *cursor, *YYMARKER, *YYLIMIT = end;
    for (;;) {
        *tok_start = YYCURSOR;
        /*!re2c
            ws+ { continue; }
            [{}[\]:,"] | number | "true" | "false" | "null" {
                *cursor = YYCURSOR;
                return LEX_TOKEN;
            }
            $   { *cursor = YYCURSOR; return LEX_END; }
            [^] { *cursor = YYCURSOR - 1; return LEX_ERROR; }
        */
    }
}

/* Bytes that can start something the detector looks for: a digit, ':'
 * (adjacent in ASCII) and '@'. */
static inline bool pattern_byte(unsigned char ch)
{
    return (unsigned char)(ch - '0') <= ':' - '0' || ch == '@';
}

/*
 * Fast path (the hottest loop of pass one): skip string bytes that need no
 * attention - printable ASCII other than '"' and '\\'. One signed compare
 * catches both control bytes (< 0x20) and bytes >= 0x80 (negative as int8).
 * With `patterns` (value strings, not keys) it also notes in *seen whether a
 * skipped byte is a pattern_byte(), while the bytes are in a register: the
 * detector then never reads the ~90 % of strings that have none.
 */
static inline __attribute__((always_inline)) const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end, bool patterns, bool *seen)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20), zero = _mm_set1_epi8('0');
    const __m128i colon_offset = _mm_set1_epi8(':' - '0'), at = _mm_set1_epi8('@');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                         _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (patterns) {
            __m128i d = _mm_sub_epi8(v, zero);
            __m128i pat = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, colon_offset), d),
                                       _mm_cmpeq_epi8(v, at));
            unsigned before_stop = mask ? (mask - 1) & ~mask : 0xffff;
            *seen |= ((unsigned)_mm_movemask_epi8(pat) & before_stop) != 0;
        }
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    for (; p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\'; p++)
        if (patterns)
            *seen |= pattern_byte(*p);
    return p;
}

/*
 * Inside a string, just past the opening quote. On success *cursor is past
 * the closing quote and *flags says what the string holds; with `patterns`,
 * TOK_F_CANDIDATE among them (see skip_plain()).
 */
static inline __attribute__((always_inline)) int
lex_string(const unsigned char **cursor, const unsigned char *end, bool patterns, uint8_t *flags)
{
    const unsigned char *YYCURSOR = *cursor, *YYMARKER, *YYLIMIT = end;
    uint8_t f = TOK_F_ASCII;
    bool seen = false;
    for (;;) {
        YYCURSOR = skip_plain(YYCURSOR, end, patterns, &seen);
        /*!re2c
            ["]             {
                *cursor = YYCURSOR;
                *flags = f | (seen ? TOK_F_CANDIDATE : 0);
                return VEIL_OK;
            }
            "\\" ["\\/bfnrt] { f |= TOK_F_ESCAPED; continue; }
            bmp_u | hi_sur lo_sur { f |= TOK_F_ESCAPED; seen = true; continue; }
            utf8_2 | utf8_3 | utf8_4 { f &= (uint8_t)~TOK_F_ASCII; continue; }
            [\x20-\x21\x23-\x5b\x5d-\x7f] {
                seen |= patterns && pattern_byte(YYCURSOR[-1]);
                continue;
            }
            $               { *cursor = YYCURSOR; return VEIL_EJSON; }
            [^]             { *cursor = YYCURSOR - 1; return VEIL_EJSON; }
        */
    }
}

/* Which form field a tagName value names, compared without ASCII case. A tag
 * written with escapes is taken for an input: its value is masked. */
static uint8_t form_tag_of(const char *s, size_t n, uint8_t flags)
{
    if (flags & TOK_F_ESCAPED)
        return FORM_INPUT;
    switch (n) { /* most tags have none of these lengths */
    case 5:
        return ascii_word_is(s, n, "input") ? FORM_INPUT : FORM_NONE;
    case 6:
        return ascii_word_is(s, n, "select") ? FORM_SELECT : FORM_NONE;
    case 8:
        return ascii_word_is(s, n, "textarea") ? FORM_TEXTAREA : FORM_NONE;
    default:
        return FORM_NONE;
    }
}

static const char *const RR_KEY_NAMES[RR_KEY_COUNT] = {
    [RR_KEY_OTHER] = "",
    [RR_KEY_ID] = "id",
    [RR_KEY_TYPE] = "type",
    [RR_KEY_DATA] = "data",
    [RR_KEY_NODE] = "node",
    [RR_KEY_TEXT] = "text",
    [RR_KEY_ADDS] = "adds",
    [RR_KEY_HREF] = "href",
    [RR_KEY_NAME] = "name",
    [RR_KEY_TEXTS] = "texts",
    [RR_KEY_VALUE] = "value",
    [RR_KEY_SOURCE] = "source",
    [RR_KEY_EVENTS] = "events",
    [RR_KEY_TAG_NAME] = "tagName",
    [RR_KEY_PARENT_ID] = "parentId",
    [RR_KEY_ATTRIBUTES] = "attributes",
    [RR_KEY_CHILD_NODES] = "childNodes",
    [RR_KEY_TEXT_CONTENT] = "textContent",
    [RR_KEY_AUTOCOMPLETE] = "autocomplete",
    [RR_KEY_CONTENTEDITABLE] = "contenteditable",
    [RR_KEY_RR_IS_PASSWORD] = "data-rr-is-password",
    [RR_KEY_VEIL_SENSITIVE] = "data-veil-sensitive",
};

const char *rr_key_name(enum rr_key key)
{
    return (unsigned)key < RR_KEY_COUNT ? RR_KEY_NAMES[key] : "";
}

/* Which rrweb key these bytes spell: by length first, then one compare. */
static uint8_t rr_key_of(const char *s, size_t n)
{
#define IS(key)                                                                                    \
    if (!memcmp(s, RR_KEY_NAMES[key], n))                                                          \
    return key
    switch (n) {
    case 2:
        IS(RR_KEY_ID);
        break;
    case 4:
        IS(RR_KEY_TYPE);
        IS(RR_KEY_DATA);
        IS(RR_KEY_NODE);
        IS(RR_KEY_TEXT);
        IS(RR_KEY_ADDS);
        IS(RR_KEY_HREF);
        IS(RR_KEY_NAME);
        break;
    case 5:
        IS(RR_KEY_TEXTS);
        IS(RR_KEY_VALUE);
        break;
    case 6:
        IS(RR_KEY_SOURCE);
        IS(RR_KEY_EVENTS);
        break;
    case 7:
        IS(RR_KEY_TAG_NAME);
        break;
    case 8:
        IS(RR_KEY_PARENT_ID);
        break;
    case 10:
        IS(RR_KEY_ATTRIBUTES);
        IS(RR_KEY_CHILD_NODES);
        break;
    case 11:
        IS(RR_KEY_TEXT_CONTENT);
        break;
    case 12:
        IS(RR_KEY_AUTOCOMPLETE);
        break;
    case 15:
        IS(RR_KEY_CONTENTEDITABLE);
        break;
    case 19:
        IS(RR_KEY_RR_IS_PASSWORD);
        IS(RR_KEY_VEIL_SENSITIVE);
        break;
    }
#undef IS
    return RR_KEY_OTHER;
}

/*
 * The keys rrweb writes most, each with its closing quote and colon: 98 % of
 * the keys in a page snapshot. A key that matches one of these whole is
 * plain ASCII with nothing to validate, so it is taken with one 16-byte
 * compare instead of the string lexer and rr_key_of(). Any other key, or one
 * with whitespace before its colon, takes the general path.
 */
typedef struct {
    char bytes[16];
    uint16_t want; /* movemask bits that must match: one per byte of `bytes` */
    uint8_t len;   /* name + quote + colon */
    uint8_t id;    /* enum rr_key */
    bool small_uint; /* its value is nearly always an integer of a few digits */
} key_pattern;

#define KEY_PATTERN_OF(name, key, small_uint)                                                      \
    {name "\":", (uint16_t)((1u << (sizeof name + 1)) - 1), sizeof name + 1, key, small_uint}
#define KEY_PATTERN(name, key)      KEY_PATTERN_OF(name, key, false)
#define KEY_PATTERN_UINT(name, key) KEY_PATTERN_OF(name, key, true)

static const key_pattern K_ADDS = KEY_PATTERN("adds", RR_KEY_ADDS);
static const key_pattern K_ATTRIBUTES = KEY_PATTERN("attributes", RR_KEY_ATTRIBUTES);
static const key_pattern K_CHILD_NODES = KEY_PATTERN("childNodes", RR_KEY_CHILD_NODES);
static const key_pattern K_CLASS = KEY_PATTERN("class", RR_KEY_OTHER);
static const key_pattern K_DATA = KEY_PATTERN("data", RR_KEY_DATA);
static const key_pattern K_ID = KEY_PATTERN_UINT("id", RR_KEY_ID);
static const key_pattern K_NEXT_ID = KEY_PATTERN_UINT("nextId", RR_KEY_OTHER);
static const key_pattern K_NODE = KEY_PATTERN("node", RR_KEY_NODE);
static const key_pattern K_PARENT_ID = KEY_PATTERN_UINT("parentId", RR_KEY_PARENT_ID);
static const key_pattern K_POSITIONS = KEY_PATTERN("positions", RR_KEY_OTHER);
static const key_pattern K_PREVIOUS_ID = KEY_PATTERN_UINT("previousId", RR_KEY_OTHER);
static const key_pattern K_REMOVES = KEY_PATTERN("removes", RR_KEY_OTHER);
static const key_pattern K_SOURCE = KEY_PATTERN_UINT("source", RR_KEY_SOURCE);
static const key_pattern K_TAG_NAME = KEY_PATTERN("tagName", RR_KEY_TAG_NAME);
static const key_pattern K_TEXT = KEY_PATTERN("text", RR_KEY_TEXT);
static const key_pattern K_TEXT_CONTENT = KEY_PATTERN("textContent", RR_KEY_TEXT_CONTENT);
static const key_pattern K_TEXTS = KEY_PATTERN("texts", RR_KEY_TEXTS);
static const key_pattern K_TIMESTAMP = KEY_PATTERN("timestamp", RR_KEY_OTHER);
static const key_pattern K_TYPE = KEY_PATTERN_UINT("type", RR_KEY_TYPE);
static const key_pattern K_VALUE = KEY_PATTERN("value", RR_KEY_VALUE);
static const key_pattern K_X = KEY_PATTERN_UINT("x", RR_KEY_OTHER);
static const key_pattern K_Y = KEY_PATTERN_UINT("y", RR_KEY_OTHER);

#if defined(__SSE2__)
static inline bool key_matches(__m128i v, const key_pattern *k)
{
    __m128i want = _mm_loadu_si128((const __m128i *)k->bytes);
    return ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)) & k->want) == k->want;
}

/*
 * The pattern p (just past a key's opening quote, 16 readable bytes) starts
 * with, or NULL. A switch of constant patterns, most frequent first: a table
 * of lists measured 15 % slower on the tape.
 */
static inline const key_pattern *fast_key(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
#define TRY(k)                                                                                     \
    if (key_matches(v, &k))                                                                        \
    return &k
    switch (p[0]) {
    case 'a':
        TRY(K_ATTRIBUTES);
        TRY(K_ADDS);
        break;
    case 'c':
        TRY(K_CHILD_NODES);
        TRY(K_CLASS);
        break;
    case 'd':
        TRY(K_DATA);
        break;
    case 'i':
        TRY(K_ID);
        break;
    case 'n':
        TRY(K_NODE);
        TRY(K_NEXT_ID);
        break;
    case 'p':
        TRY(K_PARENT_ID);
        TRY(K_POSITIONS);
        TRY(K_PREVIOUS_ID);
        break;
    case 'r':
        TRY(K_REMOVES);
        break;
    case 's':
        TRY(K_SOURCE);
        break;
    case 't':
        TRY(K_TYPE);
        TRY(K_TEXT_CONTENT);
        TRY(K_TAG_NAME);
        TRY(K_TIMESTAMP);
        TRY(K_TEXTS);
        TRY(K_TEXT);
        break;
    case 'v':
        TRY(K_VALUE);
        break;
    case 'x':
        TRY(K_X);
        break;
    case 'y':
        TRY(K_Y);
        break;
    }
#undef TRY
    return NULL;
}
#else
static inline const key_pattern *fast_key(const unsigned char *p)
{
    (void)p;
    return NULL;
}
#endif

/* rrweb JSON averages 14 to 16 bytes per token: the first growth reserves a bit more. */
static __attribute__((noinline)) int tape_grow(json_tape *t, size_t json_len)
{
    size_t cap = t->cap ? (size_t)t->cap * 2 : json_len / 12 + 1024;
    if (cap > UINT32_MAX / 2)
        return VEIL_ETOOBIG;
    json_tok *grown = realloc(t->tok, cap * sizeof *grown);
    if (!grown)
        return VEIL_ENOMEM;
    t->tok = grown;
    t->cap = (uint32_t)cap;
    return VEIL_OK;
}

/*
 * Candidate strings the dry run found clean in this batch, by a hash of their
 * length and end bytes. A page snapshot repeats the same SVG icons, links and
 * figures hundreds of times: a string equal byte for byte to a clean one is
 * clean. Strings shorter than CLEAN_MIN_LEN are scanned faster than compared.
 */
typedef struct {
    uint32_t start;
    uint32_t len;
} clean_string;

enum { CLEAN_SLOTS = 256, CLEAN_MIN_LEN = 32 };

static inline uint32_t clean_slot(const char *s, size_t n)
{
    uint64_t head, tail;
    memcpy(&head, s, sizeof head);
    memcpy(&tail, s + n - sizeof tail, sizeof tail);
    uint64_t h = (head ^ (tail * 0x9e3779b97f4a7c15u) ^ n) * 0xff51afd7ed558ccdu;
    return (uint32_t)(h >> 56);
}

/*
 * Whether the sweep must come back to candidate string k. Most candidates
 * hold only page numbers, CSS or SVG figures: a dry run of the scan now,
 * while their bytes are in cache, spares the sweep a cache miss on each.
 */
static bool sweep_needed(clean_string *clean, decode_scratch *scratch, const char *json,
                         const json_tok *k)
{
    if (k->len < CLEAN_MIN_LEN)
        return detect_may_find(scratch, json, k);
    const char *s = json + k->start;
    clean_string *seen = &clean[clean_slot(s, k->len)];
    if (seen->len == k->len && !memcmp(json + seen->start, s, k->len))
        return false;
    if (detect_may_find(scratch, json, k))
        return true;
    *seen = (clean_string){k->start, k->len};
    return false;
}

/* Adds string token i to the sweep's list. */
static int note_candidate(json_tape *t, uint32_t i)
{
    if (t->n_candidates == t->cap_candidates) {
        uint32_t cap = t->cap_candidates ? t->cap_candidates * 2 : 1024;
        uint32_t *grown = realloc(t->candidates, (size_t)cap * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        t->candidates = grown;
        t->cap_candidates = cap;
    }
    t->candidates[t->n_candidates++] = i;
    return VEIL_OK;
}

/* The key of the object member whose value is pushed next (zero: none). */
typedef struct {
    uint8_t id;    /* enum rr_key */
    uint8_t flags; /* TOK_F_KEY_ESCAPED */
} member_key;

enum { TAPE_PREFETCH_BYTES = 96 * sizeof(json_tok) };

/* Pushes one value, which takes (and clears) the pending member key. */
static inline int tape_push(json_tape *t, uint8_t kind, uint32_t start, uint32_t len, uint8_t flags,
                            member_key *key, size_t json_len)
{
    if (VEIL_UNLIKELY(t->n == t->cap)) {
        int rc = tape_grow(t, json_len);
        if (rc)
            return rc;
    }
    json_tok *k = &t->tok[t->n];
    /* A large batch's tape is out of cache by the next batch: ask ahead for
     * the lines about to be written (integer arithmetic: the address may
     * lie past the tape, which a prefetch allows). */
    __builtin_prefetch((const void *)((uintptr_t)k + TAPE_PREFETCH_BYTES), 1);
    k->start = start;
    k->len = len;
    k->kind = kind;
    k->flags = flags | key->flags;
    k->key = key->id;
    k->form = FORM_NONE;
    *key = (member_key){0};
    t->n++;
    return VEIL_OK;
}

/* The 8-byte digit tricks below read the first digit from the lowest byte. */
#define DIGITS_AT_ONCE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/*
 * Up to 8 digits, loaded little-endian (first digit in the lowest byte),
 * as a number, without a loop whose exit depends on the length: shift out
 * the bytes after the digits (leaving leading zeros), then join digit
 * pairs, pairs of pairs and the two halves. A borrow from a byte after the
 * digits moves only up, into the bytes shifted out.
 */
static inline uint32_t digits_value(uint64_t bytes, size_t n)
{
    uint64_t v = (bytes - 0x3030303030303030u) << (8 * (8 - n));
    v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ffu;
    v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffffu;
    return (uint32_t)(v * 10000 + (v >> 32));
}

/*
 * The length of the unsigned integer of 1-7 digits that the 8 bytes start
 * with, or 0 when they start with anything else: no digit, a leading zero,
 * 8 digits or more, or a fraction or exponent after the digits (those take
 * the general number rule). A byte is a digit when its high nibble is 3
 * and adding 6 to its low nibble does not carry.
 */
static inline size_t uint_lexeme_len(uint64_t bytes)
{
    uint64_t high = (bytes & 0xf0f0f0f0f0f0f0f0u) ^ 0x3030303030303030u;
    uint64_t low = ((bytes & 0x0f0f0f0f0f0f0f0fu) + 0x0606060606060606u) & 0xf0f0f0f0f0f0f0f0u;
    uint64_t not_digit = high | low;
    if (!DIGITS_AT_ONCE || !not_digit)
        return 0;
    size_t n = (size_t)__builtin_ctzll(not_digit) / 8;
    unsigned char first = (unsigned char)bytes, after = (unsigned char)(bytes >> (8 * n));
    if (n == 0 || (first == '0' && n > 1) || after == '.' || after == 'e' || after == 'E')
        return 0;
    return n;
}

/*
 * rrweb's node ids, types and sources are unsigned integers the walk reads
 * again and again: parse them once, here, while their bytes are in cache.
 * set_uint: a lexeme of 1-9 digits at s, before `end`; the input ends at
 * input_end. note_uint: any other number.
 */
static void set_uint(json_tok *k, const unsigned char *s, const unsigned char *end,
                     const unsigned char *input_end)
{
    size_t n = (size_t)(end - s);
    uint32_t x = 0;
    if (DIGITS_AT_ONCE && n >= 2 && n <= 8 && input_end - s >= 8) {
        uint64_t bytes;
        memcpy(&bytes, s, sizeof bytes);
        x = digits_value(bytes, n);
    } else {
        for (; s < end; s++)
            x = x * 10 + (uint32_t)(*s - '0');
    }
    k->flags |= TOK_F_UINT;
    k->uint_value = x;
}

static void note_uint(json_tok *k, const unsigned char *s, const unsigned char *end)
{
    if (end - s > 10)
        return;
    uint64_t x = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (x <= UINT32_MAX) {
        k->flags |= TOK_F_UINT;
        k->uint_value = (uint32_t)x;
    }
}

/* The containers open around the cursor. */
typedef struct {
    uint32_t stack[MASKER_MAX_DEPTH]; /* tape index of each open container */
    bool in_object[MASKER_MAX_DEPTH]; /* whether it is an object */
    int depth;
} nesting;

/* What one json_tape_build() call needs beside the tape: 12 KB, on the heap. */
typedef struct {
    nesting nest;
    clean_string clean[CLEAN_SLOTS];
} tokenizer_scratch;

/*
 * Everything one json_tape_build() call works with. A local of
 * json_tape_build(), passed only to inlined helpers, so its fields stay in
 * registers: the tape's byte stores would otherwise force reloading them.
 */
typedef struct {
    json_tape *t;
    const char *json;
    const unsigned char *base, *end; /* json as bytes; end points at the sentinel */
    decode_scratch *scratch;
    nesting *nest;
    clean_string *clean;
} tokenizer;

static int fail_at(veil_error *err, const char *json, const unsigned char *at, const char *what,
                   int code)
{
    return veil_fail(err, code, what, (size_t)((const char *)at - json));
}

/*
 * At `at` the grammar allows none of what is there: says whether that is the
 * end of input, a byte no token starts with, or a token out of place.
 */
static int fail_unexpected(veil_error *err, const char *json, const unsigned char *at,
                           const unsigned char *end)
{
    const unsigned char *p = at, *s;
    enum lex lx = lex_token(&p, &s, end);
    if (lx == LEX_END)
        return fail_at(err, json, p, "unexpected end of input", VEIL_EJSON);
    if (lx == LEX_ERROR)
        return fail_at(err, json, p, "unexpected character", VEIL_EJSON);
    return fail_at(err, json, s, "unexpected token", VEIL_EJSON);
}

static inline int open_container(const tokenizer *z, uint8_t kind, const unsigned char *at,
                                 member_key *key)
{
    nesting *nest = z->nest;
    if (nest->depth == MASKER_MAX_DEPTH)
        return VEIL_ETOODEEP;
    nest->in_object[nest->depth] = kind == TOK_OBJ;
    nest->stack[nest->depth++] = z->t->n;
    return tape_push(z->t, kind, (uint32_t)(at - z->base), 0, 0, key, (size_t)(z->end - z->base));
}

/* Closes the innermost container if it is an object (obj) or an array. */
static inline bool close_container(const tokenizer *z, bool obj)
{
    nesting *nest = z->nest;
    if (nest->depth == 0 || nest->in_object[nest->depth - 1] != obj)
        return false;
    z->t->tok[nest->stack[--nest->depth]].end = z->t->n;
    return true;
}

static inline bool in_object(const tokenizer *z)
{
    return z->nest->in_object[z->nest->depth - 1];
}

/*
 * A value string from the opening quote at s to the closing one at `end`
 * (exclusive): pushed with what the later passes would otherwise come back
 * for while its bytes are in cache.
 */
static inline __attribute__((always_inline)) int
push_string(const tokenizer *z, const unsigned char *s, const unsigned char *close, uint8_t flags,
            member_key *key)
{
    json_tape *t = z->t;
    uint8_t labelled = key->id;
    const char *text = (const char *)s + 1;
    size_t n = (size_t)(close - s) - 1;
    int rc = tape_push(t, TOK_STR, (uint32_t)(s + 1 - z->base), (uint32_t)n, flags, key,
                       (size_t)(z->end - z->base));
    if (rc)
        return rc;
    json_tok *pushed = &t->tok[t->n - 1];
    if ((flags & TOK_F_CANDIDATE) && sweep_needed(z->clean, z->scratch, z->json, pushed) &&
        (rc = note_candidate(t, t->n - 1)))
        return rc;
    if (labelled == RR_KEY_TAG_NAME)
        pushed->form = form_tag_of(text, n, flags);
    else if ((labelled == RR_KEY_ID || labelled == RR_KEY_NAME) && card_like(text, n))
        pushed->flags |= TOK_F_CARD_NAME;
    return VEIL_OK;
}

/* A number lexeme [s, e); `small` when it is 1-9 digits with no sign. */
static inline __attribute__((always_inline)) int
push_number(const tokenizer *z, const unsigned char *s, const unsigned char *e, bool small,
            member_key *key)
{
    json_tape *t = z->t;
    int rc = tape_push(t, TOK_NUM, (uint32_t)(s - z->base), (uint32_t)(e - s), 0, key,
                       (size_t)(z->end - z->base));
    if (rc)
        return rc;
    if (small)
        set_uint(&t->tok[t->n - 1], s, e, z->end);
    else
        note_uint(&t->tok[t->n - 1], s, e);
    return VEIL_OK;
}

/*
 * After a key whose value is nearly always a small unsigned integer: takes
 * an integer of 1-7 digits without the value state's dispatch and number
 * rule. Returns the bytes taken, 0 when what is there is anything else (or
 * too close to the end for an 8-byte read), or a negative error.
 */
static inline int take_small_uint(const tokenizer *z, const unsigned char *s, member_key *key)
{
    if (VEIL_UNLIKELY(z->end - s < 8))
        return 0;
    uint64_t bytes;
    memcpy(&bytes, s, sizeof bytes);
    size_t n = uint_lexeme_len(bytes);
    if (!n)
        return 0;
    int rc = tape_push(z->t, TOK_NUM, (uint32_t)(s - z->base), (uint32_t)n, TOK_F_UINT, key,
                       (size_t)(z->end - z->base));
    if (rc)
        return rc;
    z->t->tok[z->t->n - 1].uint_value = digits_value(bytes, n);
    return (int)n;
}

/* What comes after a member's key. */
enum after_key { AFTER_KEY_VALUE, AFTER_KEY_SMALL_UINT, AFTER_KEY_COLON };

/*
 * A key from just past its opening quote: not on the tape, it labels the
 * value pushed next. The keys rrweb writes most are taken whole, colon
 * included, with one 16-byte compare (fast_key()); any other goes through
 * the string lexer. Returns VEIL_EJSON with *cursor at the bad byte.
 */
static inline int lex_key(const tokenizer *z, const unsigned char **cursor, member_key *key,
                          enum after_key *next)
{
    const unsigned char *p = *cursor;
    if (VEIL_LIKELY(z->end - p >= 16)) {
        const key_pattern *fast = fast_key(p);
        if (fast) {
            key->id = fast->id;
            *cursor = p + fast->len;
            *next = fast->small_uint ? AFTER_KEY_SMALL_UINT : AFTER_KEY_VALUE;
            return VEIL_OK;
        }
    }
    uint8_t flags;
    if (lex_string(cursor, z->end, false, &flags))
        return VEIL_EJSON;
    if (flags & TOK_F_ESCAPED)
        key->flags = TOK_F_KEY_ESCAPED; /* the walk compares it decoded */
    else
        key->id = rr_key_of((const char *)p, (size_t)(*cursor - p) - 1);
    *next = AFTER_KEY_COLON;
    if (**cursor == ':') { /* JSON.stringify writes no space before it */
        ++*cursor;
        *next = AFTER_KEY_VALUE;
    }
    return VEIL_OK;
}

/* Reports a failure of the tape's own (not the input's) making. */
static int fail_push(veil_error *err, const char *json, const unsigned char *at, int rc)
{
    if (rc == VEIL_ETOODEEP)
        return fail_at(err, json, at, "nesting too deep", rc);
    return fail_at(err, json, (const unsigned char *)json,
                   rc == VEIL_ETOOBIG ? "input too large" : "out of memory", rc);
}

static int fail_string(veil_error *err, const char *json, const unsigned char *at,
                       const unsigned char *end)
{
    return fail_at(err, json, at,
                   at == end ? "unterminated string"
                             : "invalid character, escape or UTF-8 in string",
                   VEIL_EJSON);
}

/* The grammar's states: one enum constant yyc<state> per condition below. */
/*!conditions:re2c*/

/* Starts condition c: `s` marks where its token begins, for errors. */
#define NEXT(c)                                                                                    \
    do {                                                                                           \
        cond = yyc##c;                                                                             \
        s = YYCURSOR;                                                                              \
        goto yyc_##c;                                                                              \
    } while (0)

/* Leaves the grammar with rc (non-zero) when a push failed. */
#define CHECK_PUSH(expr)                                                                           \
    do {                                                                                           \
        if (VEIL_UNLIKELY((rc = (expr)) != VEIL_OK)) {                                             \
            rc = fail_push(err, z->json, s, rc);                                                   \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/*
 * The grammar: each re2c condition is one state (what may come next), with
 * a catch-all for anything else; the end of input is re2c's `$` rule at the
 * sentinel. Three states begin with a fast path in plain C, reached by
 * label: a key (fast_key()), a small integer after an id-like key, and the
 * ',' after a value, which JSON.stringify writes with no space. The rules
 * are a table, one short line each, and a state's actions jump straight to
 * the next: that is why this function is long.
 */
static inline int tokenize(const tokenizer *z, veil_error *err)
{
    const unsigned char *YYCURSOR = z->base, *YYMARKER, *YYLIMIT = z->end, *s = z->base;
    int cond = yycvalue, rc = VEIL_OK, took;
    uint8_t flags, kind;
    enum after_key after_key;
    member_key key = {0}; /* a local: the compiler keeps it in registers */

loop: /* whitespace returns here: to the state in `cond` */
    /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYGETCONDITION = "cond";
        re2c:define:YYGETCONDITION:naked = 1;
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        <*> ws+ { s = YYCURSOR; goto loop; }
        <*> $   { goto unexpected; }
        <*> [^] { goto unexpected; }

        <value, first_value> "{" {
            CHECK_PUSH(open_container(z, TOK_OBJ, s, &key));
            NEXT(first_key);
        }
        <value, first_value> "[" {
            CHECK_PUSH(open_container(z, TOK_ARR, s, &key));
            NEXT(first_value);
        }
        <value, first_value> ["] {
            if (lex_string(&YYCURSOR, z->end, true, &flags))
                goto bad_string;
            CHECK_PUSH(push_string(z, s, YYCURSOR - 1, flags, &key));
            goto after;
        }
        <value, first_value> "0" | [1-9] digit{0,8} {
            CHECK_PUSH(push_number(z, s, YYCURSOR, true, &key));
            goto after;
        }
        <value, first_value> number {
            CHECK_PUSH(push_number(z, s, YYCURSOR, false, &key));
            goto after;
        }
        <value, first_value> "true"  { kind = TOK_TRUE; goto literal; }
        <value, first_value> "false" { kind = TOK_FALSE; goto literal; }
        <value, first_value> "null"  { kind = TOK_NULL; goto literal; }

        <first_value> "]" { close_container(z, false); goto after; }

        <first_key> "}" { close_container(z, true); goto after; }
        <first_key, next_key> ["] { goto key; }

        <colon> ":" { NEXT(value); }

        <after_value> "," {
            if (in_object(z))
                NEXT(next_key);
            NEXT(value);
        }
        <after_value> "}" {
            if (!close_container(z, true))
                goto unexpected;
            goto after;
        }
        <after_value> "]" {
            if (!close_container(z, false))
                goto unexpected;
            goto after;
        }

        <document_end> ws+ { NEXT(document_end); } /* (re2c wants a rule beside $) */
        <document_end> $   { goto done; }
    */

literal:
    CHECK_PUSH(tape_push(z->t, kind, (uint32_t)(s - z->base), (uint32_t)(YYCURSOR - s), 0, &key,
                         (size_t)(z->end - z->base)));
after: /* a value is complete */
    if (z->nest->depth == 0)
        NEXT(document_end);
    if (*YYCURSOR == ',') {
        YYCURSOR++;
        if (in_object(z))
            NEXT(next_key);
        NEXT(value);
    }
    NEXT(after_value);
key: /* just past a key's opening quote */
    if (lex_key(z, &YYCURSOR, &key, &after_key))
        goto bad_string;
    if (after_key == AFTER_KEY_COLON)
        NEXT(colon);
    s = YYCURSOR;
    if (after_key == AFTER_KEY_SMALL_UINT && (took = take_small_uint(z, s, &key)) != 0) {
        CHECK_PUSH(took < 0 ? took : VEIL_OK);
        YYCURSOR += took;
        goto after;
    }
    NEXT(value);
unexpected:
    rc = fail_unexpected(err, z->json, s, z->end);
    goto done;
bad_string:
    rc = fail_string(err, z->json, YYCURSOR, z->end);
done:
    return rc;
}

int json_tape_build(json_tape *t, const char *json, size_t len, decode_scratch *scratch,
                    veil_error *err)
{
    const unsigned char *base = (const unsigned char *)json;
    if (len > MASKER_MAX_INPUT)
        return fail_at(err, json, base, "input too large", VEIL_ETOOBIG);
    t->n = t->n_candidates = 0;
    member_key none = {0};
    if (tape_push(t, TOK_NULL, 0, 0, 0, &none, len)) /* placeholder: index 0 names no value */
        return fail_at(err, json, base, "out of memory", VEIL_ENOMEM);
    tokenizer_scratch *ts = malloc(sizeof *ts);
    if (!ts)
        return fail_at(err, json, base, "out of memory", VEIL_ENOMEM);
    ts->nest.depth = 0; /* only the depth and the clean-string slots need zeroing */
    memset(ts->clean, 0, sizeof ts->clean);
    tokenizer z = {.t = t,
                   .json = json,
                   .base = base,
                   .end = base + len,
                   .scratch = scratch,
                   .nest = &ts->nest,
                   .clean = ts->clean};
    int rc = tokenize(&z, err);
    free(ts);
    return rc;
}

/*
 * Between a member's key and its value there is only whitespace and one
 * colon; inside the key, a quote is escaped when an odd number of
 * backslashes comes before it. Outside strings there are no backslashes, so
 * the count stops at the byte before the key.
 */
const char *json_key_of(const char *json, const json_tok *k)
{
    const char *p = json + k->start - (k->kind == TOK_STR) - 1; /* before the value */
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ':')
        p--;
    for (;;) { /* p is on a quote: the key's closing one, or one escaped in it */
        do
            p--;
        while (*p != '"');
        size_t slashes = 0;
        while (p[-1 - (ptrdiff_t)slashes] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return p + 1;
    }
}

void json_tape_free(json_tape *t)
{
    free(t->tok);
    free(t->candidates);
    *t = (json_tape){0};
}
