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
#include <strings.h>
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
    integer = "-"? ("0" | [1-9] digit*);
    number = integer ("." digit+)? ([eE] [+-]? digit+)?;
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
 * (adjacent in ASCII), '@', and '=' (a named secret: "token=..."). */
static inline bool pattern_byte(unsigned char ch)
{
    return (unsigned char)(ch - '0') <= ':' - '0' || ch == '@' || ch == '=' || ch == '>';
}

/* Whether the UTF-8 sequence at s can be a digit: a decimal digit of
 * another script (Arabic-Indic D9/DB, NKo DF, Devanagari to Tibetan E0,
 * Myanmar to Ol Chiki E1, Vai to Meetei EA, full-width EF, the supplementary
 * planes F0), or one drawn raised, lowered or circled (C2 B2/B3/B9, E2 81/82
 * super- and subscripts, E2 91-93 enclosed, E2 9D/9E dingbats). */
static inline bool digit_lead(const unsigned char *s)
{
    switch (s[0]) {
    case 0xd9:
    case 0xdb:
    case 0xdf:
    case 0xe0:
    case 0xe1:
    case 0xea:
    case 0xef:
    case 0xf0:
        return true;
    case 0xc2:
        return s[1] == 0xb2 || s[1] == 0xb3 || s[1] == 0xb9;
    case 0xe2:
        return s[1] == 0x81 || s[1] == 0x82 || (s[1] >= 0x91 && s[1] <= 0x93) || s[1] == 0x9d ||
               s[1] == 0x9e;
    }
    return false;
}

/*
 * Fast path (the hottest loop of pass one): skip string bytes that need no
 * attention - printable ASCII other than '"' and '\\'. One add and one
 * signed compare catch control bytes (< 0x20), DEL and bytes >= 0x80: one
 * more than each is below 0x21 as an int8.
 * With `patterns` (value strings, not keys) it also notes in *seen whether a
 * skipped byte is a pattern_byte(), while the bytes are in a register: the
 * detector then never reads the ~90 % of strings that have none.
 */
static inline __attribute__((always_inline)) const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end, bool patterns, bool *seen)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i one = _mm_set1_epi8(1), past_space = _mm_set1_epi8(0x21);
    const __m128i zero = _mm_set1_epi8('0');
    const __m128i colon_offset = _mm_set1_epi8(':' - '0'), at = _mm_set1_epi8('@');
    const __m128i eq = _mm_set1_epi8('='), gt = _mm_set1_epi8('>');
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                         _mm_cmplt_epi8(_mm_add_epi8(v, one), past_space));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (patterns) {
            __m128i d = _mm_sub_epi8(v, zero);
            __m128i pat = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, colon_offset), d),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, at),
                                                    _mm_or_si128(_mm_cmpeq_epi8(v, eq),
                                                                 _mm_cmpeq_epi8(v, gt))));
            unsigned before_stop = mask ? (mask - 1) & ~mask : 0xffff;
            *seen |= ((unsigned)_mm_movemask_epi8(pat) & before_stop) != 0;
        }
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    for (; p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\'; p++)
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
    const unsigned char *YYCURSOR = *cursor, *YYMARKER, *YYLIMIT = end, *s;
    uint8_t f = TOK_F_ASCII;
    bool seen = false;
    for (;;) {
        YYCURSOR = skip_plain(YYCURSOR, end, patterns, &seen);
        s = YYCURSOR;
        /*!re2c
            ["]             {
                *cursor = YYCURSOR;
                *flags = f | (seen ? TOK_F_CANDIDATE : 0);
                return VEIL_OK;
            }
            "\\" ["\\/bfnrt] { f |= TOK_F_ESCAPED; continue; }
            bmp_u | hi_sur lo_sur { f |= TOK_F_ESCAPED; seen = true; continue; }
            utf8_2 | utf8_3 | utf8_4 {
                f &= (uint8_t)~TOK_F_ASCII;
                seen |= patterns && digit_lead(s);
                continue;
            }
            [\x20-\x21\x23-\x5b\x5d-\x7e] {
                seen |= patterns && pattern_byte(YYCURSOR[-1]);
                continue;
            }
            "\x7f"          { f &= (uint8_t)~TOK_F_ASCII; continue; } /* read as nothing */
            $               { *cursor = YYCURSOR; return VEIL_EJSON; }
            [^]             { *cursor = YYCURSOR - 1; return VEIL_EJSON; }
        */
    }
}

/* A tag name of up to 8 ASCII letters, lowercased, as one integer (its
 * first letter in the low byte), and the slot it hashes to in TAG_FORMS. */
#define TAG_(a, b, c, d, e, f, g, h, ...)                                                          \
    ((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | (uint64_t)(d) << 24 |              \
     (uint64_t)(e) << 32 | (uint64_t)(f) << 40 | (uint64_t)(g) << 48 | (uint64_t)(h) << 56)
#define TAG(...)       TAG_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define TAG_SLOT(word) ((uint64_t)(word) * 0x350f5625d686577fu >> 57)
#define TAG_FORM(form, ...) [TAG_SLOT(TAG(__VA_ARGS__))] = {TAG(__VA_ARGS__), form}

/* The tags that are not FORM_NONE, by slot. The multiplier was searched for
 * one that puts these names in distinct slots; a collision would be two
 * initializers of one slot, which -Woverride-init (-Wextra) makes an error. */
static const struct {
    uint64_t word;
    uint8_t form;
} TAG_FORMS[128] = {
    TAG_FORM(FORM_INPUT, 'i', 'n', 'p', 'u', 't'),
    TAG_FORM(FORM_TEXTAREA, 't', 'e', 'x', 't', 'a', 'r', 'e', 'a'),
    TAG_FORM(FORM_SELECT, 's', 'e', 'l', 'e', 'c', 't'),
    TAG_FORM(FORM_LABEL, 'l', 'a', 'b', 'e', 'l'),
    TAG_FORM(FORM_INLINE, 's', 'p', 'a', 'n'),
    TAG_FORM(FORM_INLINE, 'a'),
    TAG_FORM(FORM_INLINE, 'b'),
    TAG_FORM(FORM_INLINE, 'i'),
    TAG_FORM(FORM_INLINE, 'q'),
    TAG_FORM(FORM_INLINE, 's'),
    TAG_FORM(FORM_INLINE, 'u'),
    TAG_FORM(FORM_INLINE, 'e', 'm'),
    TAG_FORM(FORM_INLINE, 'b', 'd', 'i'),
    TAG_FORM(FORM_INLINE, 'b', 'd', 'o'),
    TAG_FORM(FORM_INLINE, 'd', 'f', 'n'),
    TAG_FORM(FORM_INLINE, 'k', 'b', 'd'),
    TAG_FORM(FORM_INLINE, 's', 'u', 'b'),
    TAG_FORM(FORM_INLINE, 's', 'u', 'p'),
    TAG_FORM(FORM_INLINE, 'v', 'a', 'r'),
    TAG_FORM(FORM_INLINE, 'w', 'b', 'r'),
    TAG_FORM(FORM_INLINE, 'b', 'r'), /* a line break, as between a card's groups in text */
    TAG_FORM(FORM_INLINE, 'c', 'o', 'd', 'e'),
    TAG_FORM(FORM_INLINE, 'a', 'b', 'b', 'r'),
    TAG_FORM(FORM_INLINE, 'c', 'i', 't', 'e'),
    TAG_FORM(FORM_INLINE, 'd', 'a', 't', 'a'),
    TAG_FORM(FORM_INLINE, 'f', 'o', 'n', 't'),
    TAG_FORM(FORM_INLINE, 'm', 'a', 'r', 'k'),
    TAG_FORM(FORM_INLINE, 's', 'a', 'm', 'p'),
    TAG_FORM(FORM_INLINE, 't', 'i', 'm', 'e'),
    TAG_FORM(FORM_INLINE, 's', 'm', 'a', 'l', 'l'),
    TAG_FORM(FORM_INLINE, 's', 't', 'r', 'o', 'n', 'g'),
    TAG_FORM(FORM_INLINE, 'o', 'u', 't', 'p', 'u', 't'),
    TAG_FORM(FORM_INLINE, 't', 's', 'p', 'a', 'n'),
    TAG_FORM(FORM_INLINE, 't', 'e', 'x', 't', 'p', 'a', 't', 'h'),
    TAG_FORM(FORM_INLINE, 'd', 'e', 'l'),
    TAG_FORM(FORM_INLINE, 'i', 'n', 's'),
    TAG_FORM(FORM_INLINE, 'b', 'i', 'g'),
    TAG_FORM(FORM_INLINE, 't', 't'),
    TAG_FORM(FORM_INLINE, 'n', 'o', 'b', 'r'),
    TAG_FORM(FORM_INLINE, 's', 't', 'r', 'i', 'k', 'e'),
    TAG_FORM(FORM_INLINE, 'a', 'c', 'r', 'o', 'n', 'y', 'm'),
    TAG_FORM(FORM_TABLE, 't', 'a', 'b', 'l', 'e'),
    TAG_FORM(FORM_ROW, 't', 'r'),
    TAG_FORM(FORM_CELL, 't', 'd'),
    TAG_FORM(FORM_HEADER_CELL, 't', 'h'),
    TAG_FORM(FORM_TERM, 'd', 't'),
    TAG_FORM(FORM_DEFINITION, 'd', 'd'),
    TAG_FORM(FORM_BOX, 'd', 'i', 'v'),
    TAG_FORM(FORM_BOX, 'p'),
    TAG_FORM(FORM_HEADING, 'h', '1'),
    TAG_FORM(FORM_HEADING, 'h', '2'),
    TAG_FORM(FORM_HEADING, 'h', '3'),
    TAG_FORM(FORM_HEADING, 'h', '4'),
    TAG_FORM(FORM_HEADING, 'h', '5'),
    TAG_FORM(FORM_HEADING, 'h', '6'),
};

/* What a tagName value of n bytes at s names (enum form_tag), without
 * ASCII case; `room`: 8 bytes can be read at s. A tag written with escapes
 * is taken for an input: its value is masked. */
static inline __attribute__((always_inline)) uint8_t form_tag_of(const char *s, size_t n, uint8_t flags, bool room)
{
    if (flags & TOK_F_ESCAPED)
        return FORM_INPUT;
    if (n > 8) /* a custom element ("card-digits") is inline until styled */
        return memchr(s, '-', n) ? FORM_CUSTOM : FORM_NONE;
    if (n == 0)
        return FORM_NONE;
    uint64_t word = 0, used = n == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1;
    if (room)
        memcpy(&word, s, sizeof word);
    else
        memcpy(&word, s, n);
    word = (word | 0x2020202020202020u) & used; /* lowercases letters, keeps digits and '-' */
    if (TAG_FORMS[TAG_SLOT(word)].word == word)
        return TAG_FORMS[TAG_SLOT(word)].form;
    uint64_t dashes = word ^ 0x2d2d2d2d2d2d2d2du; /* a zero byte where word has a '-' */
    bool custom = (dashes - 0x0101010101010101u) & ~dashes & 0x8080808080808080u;
    return custom ? FORM_CUSTOM : FORM_NONE;
}

uint8_t form_tag_named(const char *s, size_t n)
{
    return form_tag_of(s, n, 0, false);
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
    [RR_KEY_FOR] = "for",
    [RR_KEY_TAG] = "tag",
    [RR_KEY_STYLE] = "style",
    [RR_KEY_PAYLOAD] = "payload",
    [RR_KEY_ARIA_LABEL] = "aria-label",
    [RR_KEY_PLACEHOLDER] = "placeholder",
    [RR_KEY_ARIA_LABELLEDBY] = "aria-labelledby",
    [RR_KEY_ARIA_DESCRIBEDBY] = "aria-describedby",
    [RR_KEY_CSS_TEXT] = "_cssText",
    [RR_KEY_RULE] = "rule",
    [RR_KEY_PROPERTY] = "property",
    [RR_KEY_IS_STYLE] = "isStyle",
    [RR_KEY_REMOVES] = "removes",
    [RR_KEY_CLASS] = "class",
    [RR_KEY_TIMESTAMP] = "timestamp",
    [RR_KEY_NEXT_ID] = "nextId",
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
    case 3:
        IS(RR_KEY_FOR);
        IS(RR_KEY_TAG);
        break;
    case 4:
        IS(RR_KEY_TYPE);
        IS(RR_KEY_DATA);
        IS(RR_KEY_NODE);
        IS(RR_KEY_TEXT);
        IS(RR_KEY_ADDS);
        IS(RR_KEY_HREF);
        IS(RR_KEY_NAME);
        IS(RR_KEY_RULE);
        break;
    case 5:
        IS(RR_KEY_TEXTS);
        IS(RR_KEY_VALUE);
        IS(RR_KEY_STYLE);
        IS(RR_KEY_CLASS);
        break;
    case 6:
        IS(RR_KEY_SOURCE);
        IS(RR_KEY_EVENTS);
        IS(RR_KEY_NEXT_ID);
        break;
    case 7:
        IS(RR_KEY_TAG_NAME);
        IS(RR_KEY_PAYLOAD);
        IS(RR_KEY_IS_STYLE);
        IS(RR_KEY_REMOVES);
        break;
    case 8:
        IS(RR_KEY_PARENT_ID);
        IS(RR_KEY_CSS_TEXT);
        IS(RR_KEY_PROPERTY);
        break;
    case 9:
        IS(RR_KEY_TIMESTAMP);
        break;
    case 10:
        IS(RR_KEY_ATTRIBUTES);
        IS(RR_KEY_CHILD_NODES);
        IS(RR_KEY_ARIA_LABEL);
        break;
    case 11:
        IS(RR_KEY_TEXT_CONTENT);
        IS(RR_KEY_PLACEHOLDER);
        break;
    case 12:
        IS(RR_KEY_AUTOCOMPLETE);
        break;
    case 15:
        IS(RR_KEY_CONTENTEDITABLE);
        IS(RR_KEY_ARIA_LABELLEDBY);
        break;
    case 16:
        IS(RR_KEY_ARIA_DESCRIBEDBY);
        break;
    case 19: /* the markers that mask; in another case: rr_key_spelled_otherwise() */
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
static const key_pattern K_CLASS = KEY_PATTERN("class", RR_KEY_CLASS);
static const key_pattern K_DATA = KEY_PATTERN("data", RR_KEY_DATA);
static const key_pattern K_ID = KEY_PATTERN_UINT("id", RR_KEY_ID);
static const key_pattern K_NEXT_ID = KEY_PATTERN_UINT("nextId", RR_KEY_NEXT_ID);
static const key_pattern K_NODE = KEY_PATTERN("node", RR_KEY_NODE);
static const key_pattern K_PARENT_ID = KEY_PATTERN_UINT("parentId", RR_KEY_PARENT_ID);
static const key_pattern K_POSITIONS = KEY_PATTERN("positions", RR_KEY_OTHER);
static const key_pattern K_PREVIOUS_ID = KEY_PATTERN_UINT("previousId", RR_KEY_OTHER);
static const key_pattern K_REMOVES = KEY_PATTERN("removes", RR_KEY_REMOVES);
static const key_pattern K_SOURCE = KEY_PATTERN_UINT("source", RR_KEY_SOURCE);
static const key_pattern K_TAG_NAME = KEY_PATTERN("tagName", RR_KEY_TAG_NAME);
static const key_pattern K_TEXT = KEY_PATTERN("text", RR_KEY_TEXT);
static const key_pattern K_TEXT_CONTENT = KEY_PATTERN("textContent", RR_KEY_TEXT_CONTENT);
static const key_pattern K_TEXTS = KEY_PATTERN("texts", RR_KEY_TEXTS);
static const key_pattern K_TIMESTAMP = KEY_PATTERN("timestamp", RR_KEY_TIMESTAMP);
static const key_pattern K_TIME_OFFSET = KEY_PATTERN("timeOffset", RR_KEY_OTHER);
static const key_pattern K_IS_CHECKED = KEY_PATTERN("isChecked", RR_KEY_OTHER);
static const key_pattern K_USER_TRIGGERED = KEY_PATTERN("userTriggered", RR_KEY_OTHER);
static const key_pattern K_POINTER_TYPE = KEY_PATTERN_UINT("pointerType", RR_KEY_OTHER);
static const key_pattern K_WIDTH = KEY_PATTERN_UINT("width", RR_KEY_OTHER);
static const key_pattern K_HEIGHT = KEY_PATTERN_UINT("height", RR_KEY_OTHER);
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
    case 'h':
        TRY(K_HEIGHT);
        break;
    case 'i':
        TRY(K_ID);
        TRY(K_IS_CHECKED);
        break;
    case 'n':
        TRY(K_NODE);
        TRY(K_NEXT_ID);
        break;
    case 'p':
        TRY(K_PARENT_ID);
        TRY(K_POSITIONS);
        TRY(K_PREVIOUS_ID);
        TRY(K_POINTER_TYPE);
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
        TRY(K_TIME_OFFSET);
        break;
    case 'u':
        TRY(K_USER_TRIGGERED);
        break;
    case 'v':
        TRY(K_VALUE);
        break;
    case 'w':
        TRY(K_WIDTH);
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

/*
 * A tape of megabytes (a page snapshot's) is mapped in huge pages
 * (veil_pages_resize): on a virtual machine the first touch of a 4 KiB page
 * costs about as much as tokenizing the bytes that fill it. Smaller tapes
 * come from malloc, and so does every tape under AddressSanitizer, which
 * checks only the heap. A tape holds offsets and kinds, nothing to wipe.
 */
#if defined(__SANITIZE_ADDRESS__)
#define TAPE_MAPS 0
#elif defined(__has_feature)
#define TAPE_MAPS (!__has_feature(address_sanitizer))
#else
#define TAPE_MAPS 1
#endif

/* The length of a mapped tape of cap tokens; 0: it comes from malloc. */
static size_t tape_mapped_len(size_t cap)
{
    size_t bytes = cap * sizeof(json_tok);
    return TAPE_MAPS && bytes >= VEIL_HUGE_PAGE
               ? (bytes + VEIL_HUGE_PAGE - 1) / VEIL_HUGE_PAGE * VEIL_HUGE_PAGE
               : 0;
}

/* t->tok resized to `cap` tokens, its first t->n kept; NULL when out of memory. */
static json_tok *tape_resize(json_tape *t, size_t cap)
{
    size_t was = tape_mapped_len(t->cap), len = tape_mapped_len(cap);
    if (!len)
        return realloc(t->tok, cap * sizeof *t->tok);
    void *p = veil_pages_resize(was ? t->tok : NULL, was, len);
    if (p && !was && t->tok) {
        memcpy(p, t->tok, t->n * sizeof *t->tok);
        free(t->tok);
    }
    return p;
}

/* rrweb JSON averages 14 to 16 bytes per token: the first growth reserves a bit more. */
static __attribute__((noinline)) int tape_grow(json_tape *t, size_t json_len)
{
    size_t cap = t->cap ? (size_t)t->cap * 2 : json_len / 12 + 1024;
    if (tape_mapped_len(cap))
        cap = tape_mapped_len(cap) / sizeof *t->tok; /* the whole of the last huge page */
    if (cap > UINT32_MAX / 2)
        return VEIL_ETOOBIG;
    json_tok *grown = tape_resize(t, cap);
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
 * clean. A large batch (a snapshot of a long page) also repeats short ones
 * ("0 0 576 512", "i32" in a book's code), whose dry run costs 150-500
 * cycles against a few dozen for the compare, and holds thousands of
 * distinct candidates: it gets more slots and a lower length limit. In a
 * small batch short strings repeat too rarely to pay for the lookup.
 */
typedef struct {
    uint32_t start;
    uint32_t len;
} clean_string;

typedef struct {
    clean_string *slot; /* 1 << bits of them */
    unsigned bits;
    uint32_t min_len; /* shorter strings are scanned, not looked up; >= 8 */
} clean_memo;

enum { CLEAN_BITS = 8, CLEAN_MIN_LEN = 32, CLEAN_BITS_LARGE = 10, CLEAN_MIN_LEN_LARGE = 8 };
#define CLEAN_LARGE_BATCH (256u * 1024)

/* The memo's slot for the string of n >= 8 bytes at s. */
static inline clean_string *clean_slot(const clean_memo *memo, const char *s, size_t n)
{
    uint64_t head, tail;
    memcpy(&head, s, sizeof head);
    memcpy(&tail, s + n - sizeof tail, sizeof tail);
    uint64_t h = (head ^ (tail * 0x9e3779b97f4a7c15u) ^ n) * 0xff51afd7ed558ccdu;
    return &memo->slot[h >> (64 - memo->bits)];
}

/*
 * Whether the sweep must come back to candidate string k. Most candidates
 * hold only page numbers, CSS or SVG figures: a dry run of the scan now,
 * while their bytes are in cache, spares the sweep a cache miss on each.
 */
static bool sweep_needed(const clean_memo *memo, decode_scratch *scratch,
                         const card_echoes *echoes, const char *json, const json_tok *k)
{
    if (k->len < memo->min_len)
        return detect_may_find(scratch, echoes, json, k);
    const char *s = json + k->start;
    clean_string *seen = clean_slot(memo, s, k->len);
    if (seen->len == k->len && !memcmp(json + seen->start, s, k->len))
        return false;
    if (detect_may_find(scratch, echoes, json, k))
        return true;
    *seen = (clean_string){k->start, k->len};
    return false;
}

static bool digit_or_separator(unsigned char ch, bool *digit)
{
    *digit = ch >= '0' && ch <= '9';
    return *digit || ch == ' ' || ch == '-' || ch == '.' || ch == '/' || ch == '+' || ch == '(' ||
           ch == ')'; /* a phone's "(415) " */
}

/* Whether digits run on across the text's end (step -1) or start (+1): a
 * digit there, or only separators between it and a digit. */
static bool open_edge(const unsigned char *s, size_t n, bool at_end)
{
    bool digit = false;
    for (size_t k = 0; k < n && k < 8; k++)
        if (!digit_or_separator(s[at_end ? n - 1 - k : k], &digit) || digit)
            return digit;
    return true; /* separators only */
}

/*
 * What a text node's value holds for the walk (json_tok.text): its digits,
 * an '@', and open edges. One with escapes or other scripts may hide digits
 * anywhere: all of it. The walk reaches text nodes when their bytes are long
 * out of cache; they are read here.
 */
/* Whether a string holds an '@', written as itself or escaped ("\u0040"). */
static bool holds_at(const unsigned char *s, size_t n, uint8_t flags)
{
    const unsigned char *end = s + n, *p;
    if (memchr(s, '@', n))
        return true;
    for (p = s; (flags & TOK_F_ESCAPED) && (p = memchr(p, '\\', (size_t)(end - p))) && end - p > 5;
         p++)
        if (p[1] == 'u' && !memcmp(p + 2, "0040", 4))
            return true;
    return false;
}

uint8_t text_digits(const unsigned char *s, size_t n, uint8_t flags)
{
    if ((flags & (TOK_F_ESCAPED | TOK_F_ASCII)) != TOK_F_ASCII)
        return TEXT_DIGITS | TEXT_OPEN_START | TEXT_OPEN_END | (holds_at(s, n, flags) ? TEXT_AT : 0);
    size_t digits = 0, i = 0;
    bool at = false;
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine_offset = _mm_set1_epi8(9);
    const __m128i one = _mm_set1_epi8(1), at_sign = _mm_set1_epi8('@');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i)), d = _mm_sub_epi8(v, zero);
        __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine_offset), d);
        /* the 16 bytes of 0 or 1 summed in two halves (no popcnt in SSE2) */
        __m128i sums = _mm_sad_epu8(_mm_and_si128(is_digit, one), _mm_setzero_si128());
        digits += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_extract_epi16(sums, 4);
        at |= _mm_movemask_epi8(_mm_cmpeq_epi8(v, at_sign)) != 0;
    }
#endif
    for (; i < n; i++) {
        digits += s[i] >= '0' && s[i] <= '9';
        at |= s[i] == '@';
    }
    return (uint8_t)((digits < TEXT_DIGITS ? digits : TEXT_DIGITS) | (at ? TEXT_AT : 0) |
                     (open_edge(s, n, false) ? TEXT_OPEN_START : 0) |
                     (open_edge(s, n, true) ? TEXT_OPEN_END : 0));
}

/* Adds token i to list l, which starts with room for `first` (the
 * sweep's candidates are many, the other lists' entries few). */
static __attribute__((noinline)) int note(tok_list *l, uint32_t i, uint32_t first)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : first;
        uint32_t *grown = realloc(l->v, (size_t)cap * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = i;
    return VEIL_OK;
}

/* Adds a key that holds something to mask to the tape's list of keys. */
static __attribute__((noinline)) int note_key(json_tape *t, const json_tok *k)
{
    if (t->n_keys == t->cap_keys) {
        uint32_t cap = t->cap_keys ? t->cap_keys * 2 : 16;
        json_tok *grown = realloc(t->keys, (size_t)cap * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        t->keys = grown;
        t->cap_keys = cap;
    }
    t->keys[t->n_keys++] = *k;
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
 * input_end. note_number: any other number.
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

/* Whether a number lexeme of len characters may be a card number: 12 or
 * more. Millisecond timestamps, 13 digits from '1', are the most common long
 * numbers in rrweb and never cards (the one IIN starting with 1 issues 15). */
static inline bool long_enough_for_card(const unsigned char *s, size_t len)
{
    return len >= 12 && !(len == 13 && s[0] == '1');
}

/* The three rules for a number lexeme: 1-9 digits, any other integer, and
 * one with a fraction or an exponent. */
enum number_form { NUMBER_SMALL, NUMBER_INTEGER, NUMBER_REAL };

/*
 * Notes the value of a number that is not small, when it is a 32-bit
 * unsigned integer, and returns whether it may stand for a card number
 * (long enough, or written with an exponent). JSON.parse reads 3.0, 5e0 and
 * 50e-1 as integers, and the replayer compares types and sources with ===,
 * so the walk reads them the same way (strtod rounds to the nearest double,
 * as JavaScript does). An integer of more than 10 characters (a timestamp)
 * cannot be 32-bit; -0 is 0 to ===.
 */
static bool note_number(json_tok *k, const unsigned char *s, const unsigned char *end,
                        enum number_form form)
{
    size_t len = (size_t)(end - s);
    if (form == NUMBER_INTEGER) {
        uint64_t x = 0;
        bool negative = s[0] == '-';
        for (const unsigned char *p = s + negative; len <= 10 && p < end; p++)
            x = x * 10 + (uint64_t)(*p - '0');
        if (len <= 10 && x <= UINT32_MAX && (!negative || x == 0)) {
            k->flags |= TOK_F_UINT;
            k->uint_value = (uint32_t)x;
        }
        return long_enough_for_card(s, len);
    }
    char *stop;
    double v = strtod((const char *)s, &stop);
    if ((const unsigned char *)stop == end && v >= 0 && v <= UINT32_MAX &&
        v == (double)(uint32_t)v) {
        k->flags |= TOK_F_UINT;
        k->uint_value = (uint32_t)v;
    }
    return memchr(s, 'e', len) || memchr(s, 'E', len) || long_enough_for_card(s, len);
}

/* The containers open around the cursor. */
typedef struct {
    uint32_t stack[MASKER_MAX_DEPTH]; /* tape index of each open container */
    bool in_object[MASKER_MAX_DEPTH]; /* whether it is an object */
    int depth;
} nesting;

/* What a key name means for its value (len 0: slot empty). The tape keeps
 * these across batches: a session's attribute and payload keys are the same
 * few names again and again. */
enum { KEY_MEMO_SLOTS = 64, KEY_MEMO_NAME = 22 };
enum {
    KEY_SECRET = 1,
    KEY_PHONE = 2,
    KEY_PAIR_NAME = 3,
    KEY_FIELD_HINT = 4,
    KEY_PRIVACY = 5,
    KEY_SIBLING_SECRET = 6,
    KEY_CELL_NAME = 7,
    KEY_ROLE = 8,
    KEY_IP = 9,
    KEY_INDEXED = 10
};
typedef struct key_memo {
    uint8_t len;     /* the name's length + 1 */
    uint8_t meaning; /* KEY_SECRET... KEY_ROLE, or 0 */
    uint8_t id;      /* rr_key_spelled_otherwise() */
    char name[KEY_MEMO_NAME];
} key_memo;

/* What one json_tape_build() call needs beside the tape, on the heap: 12 KB,
 * 18 KB for a large batch (a scratch of 18 KB for every batch measured 3 %
 * slower on a 160 KB one). */
typedef struct {
    nesting nest;
    clean_string clean[]; /* the memo's slots */
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
    clean_memo clean;
    key_memo *memo;
    const card_echoes *echoes;
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

/*
 * After an array closes: a list of 2 to SHORT_LIST_MOST strings or numbers
 * is noted, for the walk to read as the groups of a card ("card": ["4111",
 * "1111", ...]) and as names and their values.
 */
static inline int note_short_list(const tokenizer *z)
{
    json_tape *t = z->t;
    uint32_t open = z->nest->stack[z->nest->depth], kids = t->n - open - 1;
    if (kids < 2 || kids > SHORT_LIST_MOST)
        return VEIL_OK;
    for (uint32_t k = open + 1; k < t->n; k++)
        if (t->tok[k].kind != TOK_STR && t->tok[k].kind != TOK_NUM)
            return VEIL_OK;
    return note(&t->short_lists, open, 16);
}

static inline bool in_object(const tokenizer *z)
{
    return z->nest->in_object[z->nest->depth - 1];
}

/*
 * Whether the class list of n bytes at s may name a privacy class
 * (privacy_class()): each has a '-' third or seventh. A class attribute
 * comes with nearly every element; most lists are one or two short names
 * ("hljs", "hljs-keyword"), taken in one 16-byte look. n >= 7, the list
 * holds no escape (its only blank is ' '), and `room`: 16 bytes can be
 * read at s.
 */
static inline __attribute__((always_inline)) bool may_name_privacy_class(const char *s, size_t n,
                                                                         bool room)
{
#if defined(__SSE2__)
    if (n <= 16 && room) {
        __m128i v = _mm_loadu_si128((const __m128i *)s);
        unsigned dash = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
        unsigned blank = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
        unsigned starts = 1u | blank << 1; /* bit i: a class may start at s[i] */
        return (dash & (starts << 2 | starts << 6) & ((1u << n) - 1)) != 0;
    }
#endif
    (void)room;
    return true;
}

/*
 * Whether a text node's value of n bytes at s (4 to 96) may show a secret
 * beside its label, for the walk (shown_secret()), which reads its label
 * long after these bytes left the cache: a credential or a code, whole or
 * as its first word (two digits at least: `text`, its TEXT_* note), or a
 * secret drawn hidden ("••••••••", also written "\u2022").
 */
static __attribute__((noinline)) bool text_may_show_secret(const char *s, size_t n, uint8_t text,
                                                          uint8_t flags)
{
    size_t from, to;
    bool plain = (flags & (TOK_F_ASCII | TOK_F_ESCAPED)) == TOK_F_ASCII; /* no bullet in it */
    if ((!plain || memchr(s, '*', n)) && hidden_slots(s, n))
        return true;
    return (flags & TOK_F_CANDIDATE) && (text & TEXT_DIGITS) >= 2 &&
           (detect_shown_secret(s, n) != SHOWN_NONE ||
            detect_leading_secret(s, n, &from, &to) != SHOWN_NONE);
}

static inline bool iban_head_at(const char *s)
{
    return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= '0' && s[2] <= '9' &&
           s[3] >= '0' && s[3] <= '9';
}

/* Whether a short text's first or last word is the head of an IBAN, a
 * country's code and two check digits ("GB29", "\n  NL91 ABNA",
 * "IBAN: IE29 "), as its TEXT_* note `text` allows: a first word only where
 * digits do not run across the start, a last one only where they run
 * across the end (a text with escapes may do both). The walk then reads
 * the groups of letters after it with it: a bank's "NWBK" alone in a
 * <span> holds no digit to join by. */
static bool holds_iban_head(const char *s, size_t n, uint8_t text)
{
    const char *end = s + n;
    if (!(text & TEXT_OPEN_START) || (text & TEXT_DIGITS) == TEXT_DIGITS) {
        const char *first = s;
        for (size_t blank; first < end && (blank = template_blank_at(first, end));)
            first += blank;
        if (end - first >= 4 && iban_head_at(first))
            return true;
    }
    if (!(text & TEXT_OPEN_END))
        return false;
    while (end - s > 4 && (end[-1] == ' ' || template_blank_at(end - 2, end) == 2))
        end -= end[-1] == ' ' ? 1 : 2;
    const char *last = end - 4;
    if (last <= s || !iban_head_at(last))
        return false;
    bool alnum = (last[-1] >= '0' && last[-1] <= '9') ||
                 ((last[-1] | 0x20) >= 'a' && (last[-1] | 0x20) <= 'z');
    return !alnum || (last - s >= 2 && template_blank_at(last - 2, end)); /* "IBAN:\nGB29" */
}

/* Notes on text node value `pushed` (n bytes at s, with these flags),
 * which holds no digit, what the walk reads of it: TOK_F_SHOWN, TOK_F_BLANK. */
static __attribute__((noinline)) void note_plain_text(json_tok *pushed, const char *s, size_t n,
                                                      uint8_t flags)
{
    if (n >= 3 && n <= 96 && (!(flags & TOK_F_ASCII) || memchr(s, '*', n)) &&
        text_may_show_secret(s, n, 0, flags)) /* "••••••••", "***": hidden, maybe */
        pushed->flags |= TOK_F_SHOWN;
    if (blank_string(s, n))
        pushed->flags |= TOK_F_BLANK;
}

/* The same for a candidate, the last token of tape t: its TEXT_* note,
 * TOK_F_SHOWN, TOK_F_LEADS, and the lists of texts with an '@' and of
 * texts that may begin an IBAN. */
static __attribute__((noinline)) int note_candidate_text(json_tape *t, json_tok *pushed,
                                                         const char *s, size_t n, uint8_t flags)
{
    pushed->text = text_digits((const unsigned char *)s, n, flags);
    if (n >= 4 && n <= 96 && text_may_show_secret(s, n, pushed->text, flags))
        pushed->flags |= TOK_F_SHOWN;
    if ((pushed->text & TEXT_DIGITS) && text_may_lead_with_value(s, n, flags))
        pushed->flags |= TOK_F_LEADS;
    int rc = VEIL_OK;
    if ((pushed->text & TEXT_AT) && (rc = note(&t->at_texts, t->n - 1, 16)))
        return rc;
    if ((pushed->text & TEXT_DIGITS) >= 2 && n >= 4 && n <= 48 &&
        holds_iban_head(s, n, pushed->text))
        rc = note(&t->iban_texts, t->n - 1, 16);
    return rc;
}

/* The same for a "value" of 4-48 bytes with digits, the last token of tape
 * t: a texts mutation's (a payee picked in a list redraws the IBAN's
 * <span>s in place) may begin an IBAN too. Others on the list cost the
 * walk a look, no more: only a chain of text parts reads it. */
static __attribute__((noinline)) int note_value_text(json_tape *t, const char *s, size_t n,
                                                     uint8_t flags)
{
    const uint8_t either_word = TEXT_DIGITS | TEXT_OPEN_START | TEXT_OPEN_END;
    if (!holds_iban_head(s, n, either_word)) /* most values: no digit count needed */
        return VEIL_OK;
    uint8_t text = text_digits((const unsigned char *)s, n, flags);
    if ((text & TEXT_DIGITS) >= 2 && holds_iban_head(s, n, text))
        return note(&t->iban_texts, t->n - 1, 16);
    return VEIL_OK;
}

/*
 * Notes on a text node's value, the last token of tape t, what the walk
 * reads of it, while its bytes are in cache. Two functions out of line:
 * tokenize() stops being inlined, and costs more, as its inlined helpers
 * grow; and the texts without a digit, most of a page's, do not pay for
 * saving the registers the others' notes need.
 */
static inline int note_text_node(json_tape *t, json_tok *pushed, const char *s, size_t n,
                                 uint8_t flags)
{
    if (!(flags & TOK_F_CANDIDATE)) {
        note_plain_text(pushed, s, n, flags);
        return VEIL_OK;
    }
    return note_candidate_text(t, pushed, s, n, flags);
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
    if (flags & TOK_F_CANDIDATE) {
        if (sweep_needed(&z->clean, z->scratch, z->echoes, z->json, pushed) &&
            (rc = note(&t->candidates, t->n - 1, 1024)))
            return rc;
        if (labelled == RR_KEY_VALUE && n >= 4 && n <= 48)
            return note_value_text(t, text, n, flags);
    }
    if (labelled == RR_KEY_TEXT_CONTENT) {
        return note_text_node(t, pushed, text, n, flags);
    } else if (labelled == RR_KEY_TAG_NAME) {
        pushed->form = form_tag_of(text, n, flags, z->end - (s + 1) >= 8);
        if (pushed->form == FORM_LABEL)
            return note(&t->labels, t->n - 1, 16);
    } else if (labelled == RR_KEY_ID || labelled == RR_KEY_NAME) {
        if (card_like(text, n))
            pushed->flags |= TOK_F_CARD_NAME;
        if (labelled == RR_KEY_NAME && value_name_like(text, n)) /* {"name":"password","value":..} */
            return note(&t->secret_names, t->n - 1, 16);
        if (labelled == RR_KEY_ID) /* read in the walk when a value stands beside it */
            return note(&t->pair_names, t->n - 1, 64);
    } else if (labelled == RR_KEY_TYPE) { /* {"type": "password", "value": ...} */
        return note(&t->pair_names, t->n - 1, 64);
    } else if ((labelled == RR_KEY_ARIA_LABEL || labelled == RR_KEY_PLACEHOLDER) &&
               card_label_like(text, n)) {
        pushed->flags |= TOK_F_CARD_NAME;
    } else if (labelled == RR_KEY_CLASS && n >= 7 &&
               ((flags & TOK_F_ESCAPED) || may_name_privacy_class(text, n, z->end - (s + 1) >= 16)) &&
               privacy_class_token(z->scratch, z->json, pushed)) { /* "rr-mask" */
        return note(&t->privacy_marks, t->n - 1, 16);
    } else if ((unsigned)(labelled - RR_KEY_ARIA_LABELLEDBY) <=
               RR_KEY_PROPERTY - RR_KEY_ARIA_LABELLEDBY) { /* read before the walk */
        return note(labelled <= RR_KEY_ARIA_DESCRIBEDBY ? &t->labelledby : &t->styles, t->n - 1,
                    16);
    }
    return VEIL_OK;
}

/* A number lexeme [s, e) of the given form. */
static inline __attribute__((always_inline)) int
push_number(const tokenizer *z, const unsigned char *s, const unsigned char *e, enum number_form form,
            member_key *key)
{
    json_tape *t = z->t;
    int rc = tape_push(t, TOK_NUM, (uint32_t)(s - z->base), (uint32_t)(e - s), 0, key,
                       (size_t)(z->end - z->base));
    if (rc)
        return rc;
    json_tok *pushed = &t->tok[t->n - 1];
    if (form == NUMBER_SMALL) {
        set_uint(pushed, s, e, z->end);
        return VEIL_OK;
    }
    if (note_number(pushed, s, e, form)) { /* the sweep reads it like a string */
        pushed->flags |= TOK_F_CANDIDATE;
        if (detect_may_find(z->scratch, z->echoes, z->json, pushed)) /* (its len may hold its value) */
            return note(&t->candidates, t->n - 1, 1024);
    }
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

/* What comes after a member's key. lex_key() sets *flags to
 * KEY_TAKEN_WHOLE for the keys it takes whole (rrweb's own), else to the
 * key string's flags, which are 0 for a key of another script with no
 * escape and no pattern byte ("пароль", "contraseña"): none of rrweb's,
 * examined as every other is. */
enum after_key { AFTER_KEY_VALUE, AFTER_KEY_SMALL_UINT, AFTER_KEY_COLON };
#define KEY_TAKEN_WHOLE 128 /* a bit no string's flags use */

/*
 * A key from just past its opening quote: not on the tape, it labels the
 * value pushed next. The keys rrweb writes most are taken whole, colon
 * included, with one 16-byte compare (fast_key()); any other goes through
 * the string lexer. Returns VEIL_EJSON with *cursor at the bad byte.
 * Inlined by force: when tokenize() grew, the compiler stopped inlining it
 * (+36 M instructions on a generated session of 11 MB).
 */
static inline __attribute__((always_inline)) int
lex_key(const tokenizer *z, const unsigned char **cursor, member_key *key, uint8_t *flags,
        enum after_key *next)
{
    const unsigned char *p = *cursor;
    if (VEIL_LIKELY(z->end - p >= 16)) {
        const key_pattern *fast = fast_key(p);
        if (fast) {
            key->id = fast->id;
            *cursor = p + fast->len;
            *next = fast->small_uint ? AFTER_KEY_SMALL_UINT : AFTER_KEY_VALUE;
            *flags = KEY_TAKEN_WHOLE; /* one of rrweb's own keys: nothing to examine */
            return VEIL_OK;
        }
    }
    if (lex_string(cursor, z->end, true, flags))
        return VEIL_EJSON;
    if (*flags & TOK_F_ESCAPED)
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

/* The rrweb key an unrecognised key spells in another case ("TYPE",
 * "Name", "AutoComplete"), as a careless recorder or an XHTML or SVG page
 * writes an attribute's name: read as that key, so that no field goes
 * unread (a structural key so written is read too; a duplicate of it is
 * then masked whole); an attribute that mirrors a field's value is read as
 * "value". RR_KEY_OTHER for any other. */
static __attribute__((noinline)) uint8_t rr_key_spelled_otherwise(const char *s, size_t n)
{
    /* Angular's development builds mirror a field's model into attributes
     * as it is typed (<input ng-reflect-model="what was typed">): read as
     * the field's value, which the policy masks. */
    if (ascii_word_is(s, n, "ng-reflect-model") || ascii_word_is(s, n, "ng-reflect-value"))
        return RR_KEY_VALUE;
    bool capital = false;
    for (size_t i = 0; i < n && !capital; i++)
        capital = s[i] >= 'A' && s[i] <= 'Z';
    for (int key = 1; capital && key < RR_KEY_COUNT; key++)
        if (strlen(RR_KEY_NAMES[key]) == n && !strncasecmp(s, RR_KEY_NAMES[key], n))
            return (uint8_t)key;
    return RR_KEY_OTHER;
}

/* What the key name [p, p + len) means: KEY_SECRET (a secret's name, or a
 * copy button's clipboard text: clipboard_attribute()), KEY_PHONE (an email
 * or phone name: "phone", "mobile", "tel"), KEY_SIBLING_SECRET (a secret
 * beside some siblings: sibling_secret_of()), KEY_PAIR_NAME (its value
 * may name the "value" beside it, as "name" does: {"key": "password",
 * "value": ..}), KEY_FIELD_HINT (an attribute whose value may say a field
 * takes a card or a secret: field_hint_of()), KEY_PRIVACY (another
 * recorder's privacy marker: privacy_attribute()), KEY_CELL_NAME (the
 * column of a cell: cell_name_attribute()), KEY_ROLE (an ARIA role: a
 * grid's row or cell, grid_role_form()), KEY_IP (an IP address's name:
 * ip_name_like()), KEY_INDEXED (none of those, ending in an index: "cc1",
 * "pan[2]", note_indexed_member()) or 0. */
static __attribute__((noinline)) uint8_t key_meaning_of(const char *p, size_t len)
{
    if (privacy_attribute(p, len))
        return KEY_PRIVACY;
    if (value_name_like(p, len) || clipboard_attribute(p, len))
        return KEY_SECRET;
    if (pii_name_like(p, len))
        return KEY_PHONE;
    if (ip_name_like(p, len))
        return KEY_IP;
    if (sibling_secret_of(p, len))
        return KEY_SIBLING_SECRET;
    if (pair_name_key(p, len))
        return KEY_PAIR_NAME;
    if (cell_name_attribute(p, len))
        return KEY_CELL_NAME;
    if (ascii_word_is(p, len, "role"))
        return KEY_ROLE;
    if (field_hint_of(p, len) != HINT_NONE)
        return KEY_FIELD_HINT;
    return indexed_name(p, len) ? KEY_INDEXED : 0;
}

/*
 * What the key [p, p + len) means for its value, and into *id the rrweb key
 * it spells in another case. Attribute names and payload keys repeat
 * through a batch, so answers are remembered by name.
 */
static uint8_t key_meaning(const tokenizer *z, const unsigned char *p, size_t len, uint8_t flags,
                           uint8_t *id)
{
    if (flags & TOK_F_ESCAPED) { /* "p\u0061ssword" must not hide: read it decoded */
        json_tok k = {.start = (uint32_t)(p - z->base), .len = (uint32_t)len, .kind = TOK_STR,
                      .flags = flags};
        text_view v;
        if (text_view_of(z->scratch, z->json, &k, &v))
            return KEY_SECRET; /* fail closed */
        uint8_t meaning = ascii_word_is((const char *)v.s, v.n, "class")
                              ? KEY_PRIVACY /* "cl\u0061ss": its list is read in the walk */
                              : key_meaning_of((const char *)v.s, v.n);
        text_view_done(z->scratch, &v);
        return meaning;
    }
    if (len > KEY_MEMO_NAME) /* longer than every rrweb key */
        return key_meaning_of((const char *)p, len);
    key_memo *m = &z->memo[(len * 31 + p[0] + p[len ? len - 1 : 0] * 7) % KEY_MEMO_SLOTS];
    size_t same = 0; /* names are a few bytes: a loop, not a memcmp call */
    while (m->len == len + 1 && same < len && m->name[same] == (char)p[same])
        same++;
    if (m->len != len + 1 || same != len) {
        m->len = (uint8_t)(len + 1);
        memcpy(m->name, p, len);
        m->meaning = key_meaning_of((const char *)p, len);
        m->id = rr_key_spelled_otherwise((const char *)p, len);
    }
    *id = m->id;
    return m->meaning;
}

/*
 * The object open around a key that ends in an index ("cc1", "box_2",
 * "pan[3]", "0"), as the boxes a card is typed across are named when a form
 * is serialized ({"name": ..., "cc1": "4111", "cc2": 1111, ...}): noted
 * with the short lists, once, for the walk to read runs of such members
 * (indexed_names()) as a card. Not an element's attributes (an SVG line's
 * "x1", "y2").
 */
static __attribute__((noinline)) int note_indexed_member(const tokenizer *z)
{
    json_tape *t = z->t;
    const nesting *nest = z->nest;
    uint32_t open = nest->stack[nest->depth - 1];
    if (t->tok[open].key == RR_KEY_ATTRIBUTES ||
        (t->short_lists.n && t->short_lists.v[t->short_lists.n - 1] == open))
        return VEIL_OK;
    return note(&t->short_lists, open, 16);
}

/*
 * What a key that took the string lexer carries: a secret's or a phone's
 * name (its value is then masked whole, the phone's by policy), the key of
 * a pair's name or of an attribute that may say what a field takes (the
 * walk reads their values), or an email or card used as the key itself,
 * which the sweep then scans like a value.
 */
static int examine_key(const tokenizer *z, const unsigned char *p, size_t len, uint8_t flags,
                       member_key *key)
{
    uint8_t id = RR_KEY_OTHER, meaning = key_meaning(z, p, len, flags, &id);
    if (key->id == RR_KEY_OTHER)
        key->id = id;
    int rc;
    if (meaning == KEY_INDEXED) {
        if ((rc = note_indexed_member(z)))
            return rc;
    } else if (meaning) { /* its value is the next token pushed */
        json_tape *t = z->t;
        tok_list *list = meaning == KEY_SECRET           ? &t->secrets
                         : meaning == KEY_PHONE          ? &t->phones
                         : meaning == KEY_PAIR_NAME      ? &t->pair_names
                         : meaning == KEY_SIBLING_SECRET ? &t->sibling_named
                         : meaning == KEY_PRIVACY        ? &t->privacy_marks
                         : meaning == KEY_CELL_NAME      ? &t->cell_names
                         : meaning == KEY_ROLE           ? &t->roles
                         : meaning == KEY_IP             ? &t->ip_named
                                                         : &t->field_hints;
        rc = note(list, t->n, 64);
        if (rc)
            return rc;
    }
    if (!(flags & TOK_F_CANDIDATE))
        return VEIL_OK;
    json_tok k = {.start = (uint32_t)(p - z->base), .len = (uint32_t)len, .kind = TOK_STR,
                  .flags = flags};
    return detect_may_find(z->scratch, z->echoes, z->json, &k) ? note_key(z->t, &k) : VEIL_OK;
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
 * the next: that is why this function is long. Inlined by force into its
 * one caller, whose `tokenizer` then stays in registers: a check added to
 * push_number() once moved it out of line (rust-book +5 M instructions).
 */
static inline __attribute__((always_inline)) int tokenize(const tokenizer *z, veil_error *err)
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
            CHECK_PUSH(push_number(z, s, YYCURSOR, NUMBER_SMALL, &key));
            goto after;
        }
        <value, first_value> integer {
            CHECK_PUSH(push_number(z, s, YYCURSOR, NUMBER_INTEGER, &key));
            goto after;
        }
        <value, first_value> number {
            CHECK_PUSH(push_number(z, s, YYCURSOR, NUMBER_REAL, &key));
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
            CHECK_PUSH(note_short_list(z));
            goto after;
        }

        <document_end> ws+ { NEXT(document_end); } /* (re2c wants a rule beside $) */
        <document_end> $   { goto done; }
    */

literal:
    if (VEIL_UNLIKELY(key.id == RR_KEY_IS_STYLE) && kind == TOK_TRUE) /* a style text node */
        CHECK_PUSH(note(&z->t->styles, z->t->n, 16));
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
    if (lex_key(z, &YYCURSOR, &key, &flags, &after_key))
        goto bad_string;
    if (flags != KEY_TAKEN_WHOLE && (flags != TOK_F_ASCII || !key.id)) /* not rrweb's own */
        CHECK_PUSH(examine_key(z, s + 1, (size_t)(YYCURSOR - s) - 2 - (after_key == AFTER_KEY_VALUE),
                               flags, &key));
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
                    const card_echoes *echoes, veil_error *err)
{
    const unsigned char *base = (const unsigned char *)json;
    if (len > MASKER_MAX_INPUT)
        return fail_at(err, json, base, "input too large", VEIL_ETOOBIG);
    t->n = t->candidates.n = t->n_keys = t->secrets.n = t->labels.n = t->styles.n = 0;
    t->labelledby.n = t->phones.n = t->secret_names.n = t->pair_names.n = t->short_lists.n = 0;
    t->at_texts.n = t->iban_texts.n = t->sibling_named.n = t->ip_named.n = 0;
    t->field_hints.n = t->privacy_marks.n = t->cell_names.n = t->roles.n = 0;
    member_key none = {0};
    if (tape_push(t, TOK_NULL, 0, 0, 0, &none, len)) /* placeholder: index 0 names no value */
        return fail_at(err, json, base, "out of memory", VEIL_ENOMEM);
    if (!t->key_memo && !(t->key_memo = calloc(KEY_MEMO_SLOTS, sizeof *t->key_memo)))
        return fail_at(err, json, base, "out of memory", VEIL_ENOMEM);
    bool large = len >= CLEAN_LARGE_BATCH;
    unsigned clean_bits = large ? CLEAN_BITS_LARGE : CLEAN_BITS;
    tokenizer_scratch *ts = malloc(sizeof *ts + (sizeof *ts->clean << clean_bits));
    if (!ts)
        return fail_at(err, json, base, "out of memory", VEIL_ENOMEM);
    clean_memo clean = {ts->clean, clean_bits, large ? CLEAN_MIN_LEN_LARGE : CLEAN_MIN_LEN};
    ts->nest.depth = 0; /* only the depth and the memo's slots need zeroing */
    memset(clean.slot, 0, sizeof *clean.slot << clean.bits);
    tokenizer z = {.t = t,
                   .json = json,
                   .base = base,
                   .end = base + len,
                   .scratch = scratch,
                   .nest = &ts->nest,
                   .clean = clean,
                   .memo = t->key_memo,
                   .echoes = echoes};
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
    if (tape_mapped_len(t->cap))
        veil_pages_free(t->tok, tape_mapped_len(t->cap));
    else
        free(t->tok);
    free(t->candidates.v);
    free(t->keys);
    free(t->secrets.v);
    free(t->phones.v);
    free(t->secret_names.v);
    free(t->pair_names.v);
    free(t->sibling_named.v);
    free(t->field_hints.v);
    free(t->privacy_marks.v);
    free(t->cell_names.v);
    free(t->roles.v);
    free(t->ip_named.v);
    free(t->short_lists.v);
    free(t->at_texts.v);
    free(t->iban_texts.v);
    free(t->labels.v);
    free(t->labelledby.v);
    free(t->styles.v);
    free(t->key_memo);
    *t = (json_tape){0};
}
