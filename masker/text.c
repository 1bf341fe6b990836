/*
 * text.c - a JSON string as the detectors read it: one normalized reading
 * in which every way of writing the same digit, separator or '@' is the
 * same ASCII byte, with a map back to the raw bytes a mask must replace.
 *
 * Four layers are undone, in this order, so that none can hide another:
 *   1. JSON escapes ("\u0034" is "4");
 *   2. percent-encoding ("%34", "%EF%BC%94", "%40", "%20"), also twice
 *      over ("%2540");
 *   3. UTF-8, HTML character references in markup held in a string
 *      ("&#52;", "&#x34;", "&nbsp;", "&commat;") and the escapes of JSON
 *      held in a string ("jos\\u00e9@..." of a logged response body): each
 *      code point is read whole;
 *   4. what the code point means here: a decimal digit of any script
 *      (Unicode Nd) becomes its ASCII digit, full-width ASCII becomes ASCII,
 *      typographic spaces become ' ', hyphens and dashes '-', ideographic
 *      full stops '.' (as in host names), and what shows nothing (zero-width
 *      spaces and joiners, soft hyphen, bidi marks and isolates, variation
 *      selectors, combining marks over a digit) disappears, so
 *      "4242<ZWSP>4242" reads as "42424242".
 * Everything else keeps its UTF-8 bytes. A normalized string is never
 * longer than the raw one.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- code points --------------------------------------------------------- */

/* The zero of every run of ten decimal digits in Unicode (General_Category
 * Nd): Unicode 14.0 as generated from Python's unicodedata, and the scripts
 * Unicode 15.0 (Kawi, Nag Mundari) and 16.0 (Garay, Myanmar Pao and Eastern
 * Pwo Karen, Sunuwar, Gurung Khema, Kirat Rai, outlined digits, Ol Onal)
 * added. */
static const uint32_t DIGIT_ZEROS[] = {
    0x0030,  0x0660,  0x06F0,  0x07C0,  0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6,
    0x0C66,  0x0CE6,  0x0D66,  0x0DE6,  0x0E50,  0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,
    0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
    0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};
static const uint32_t DIGIT_ZEROS_SINCE_15[] = {
    0x10D40, 0x116D0, 0x116DA, 0x11BF0, 0x11F50, 0x16130, 0x16D70, 0x1CCF0, 0x1E4F0, 0x1E5F1,
};

/*
 * Digits drawn raised, lowered, circled, in parentheses or with a stop
 * (General_Category No): a reader reads "④①①①" as 4111, and NFKC turns most
 * of them into ASCII digits. Each run holds consecutive digits from `first`.
 */
static const struct {
    uint32_t from, to;
    uint8_t first;
} DRAWN_DIGITS[] = {
    {0x00B2, 0x00B3, 2},   {0x00B9, 0x00B9, 1},   {0x2070, 0x2070, 0},   {0x2074, 0x2079, 4},
    {0x2080, 0x2089, 0},   {0x2460, 0x2468, 1},   {0x2474, 0x247C, 1},   {0x2488, 0x2490, 1},
    {0x24EA, 0x24EA, 0},   {0x24F5, 0x24FD, 1},   {0x24FF, 0x24FF, 0},   {0x2776, 0x277E, 1},
    {0x2780, 0x2788, 1},   {0x278A, 0x2792, 1},   {0x1F100, 0x1F100, 0}, {0x1F101, 0x1F10A, 0},
    {0x1F10B, 0x1F10B, 0}, {0x1F10C, 0x1F10C, 0},
};

/* The digit 0-9 that cp is in a sorted list of zeros, or -1. */
static int digit_in(const uint32_t *zeros, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the last zero <= cp */
        size_t mid = (lo + hi) / 2;
        if (zeros[mid] <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || cp - zeros[lo - 1] > 9)
        return -1;
    return (int)(cp - zeros[lo - 1]);
}

/* The digit 0-9 that cp is (a decimal digit, or one drawn otherwise), or -1. */
static int digit_value(uint32_t cp)
{
    int d = digit_in(DIGIT_ZEROS, sizeof DIGIT_ZEROS / sizeof DIGIT_ZEROS[0], cp);
    if (d >= 0 || cp < 0x10D40)
        return d;
    return digit_in(DIGIT_ZEROS_SINCE_15,
                    sizeof DIGIT_ZEROS_SINCE_15 / sizeof DIGIT_ZEROS_SINCE_15[0], cp);
}

static int drawn_digit_value(uint32_t cp)
{
    if ((cp > 0xB9 && cp < 0x2070) || (cp > 0x2792 && cp < 0x1F100))
        return -1; /* most text: nothing drawn lies between */
    for (size_t k = 0; k < sizeof DRAWN_DIGITS / sizeof DRAWN_DIGITS[0]; k++)
        if (cp >= DRAWN_DIGITS[k].from && cp <= DRAWN_DIGITS[k].to)
            return DRAWN_DIGITS[k].first + (int)(cp - DRAWN_DIGITS[k].from);
    return -1;
}

/* What reading_of() answers besides an ASCII byte. The katakana prolonged
 * sound mark is a Japanese IME's "-" after a digit ("090ー1234ー5678") and a
 * vowel sign in words ("パスワード"), so it reads as '-' after a digit only. */
enum { READ_AS_IS = -1, READ_NOTHING = -2, READ_DASH_AFTER_DIGIT = -3 };

static bool is_ascii_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

/*
 * Code points a reader does not see between two digits: Unicode's
 * Default_Ignorable_Code_Point set (DerivedCoreProperties.txt, Unicode 15:
 * zero-width spaces and joiners, soft hyphen, the bidi marks, embeddings
 * and isolates that right-to-left pages and ICU put around numbers,
 * variation selectors, tags), the rest of the format characters
 * (General_Category Cf: the number signs that Arabic, Syriac and Kaithi put
 * over a number, the interlinear annotation marks, Egyptian hieroglyph
 * controls), the C1 control characters but NEL (read as a line end), and
 * the combining marks that draw over the character before them (a
 * strikethrough, an underline, a keycap: "4" with U+20E3 is still a 4).
 */
static const struct {
    uint32_t first, last;
} SHOWS_NOTHING[] = {
    {0x0080, 0x0084},   {0x0086, 0x009F},   {0x00AD, 0x00AD},   {0x0300, 0x036F},
    {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
    {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x115F, 0x1160},   {0x17B4, 0x17B5},
    {0x180B, 0x180F},   {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},   {0x200B, 0x200F},
    {0x202A, 0x202E},   {0x2060, 0x206F},   {0x20D0, 0x20FF},   {0x3164, 0x3164},
    {0xFE00, 0xFE0F},   {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},
    {0xFFF0, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
    {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

/* What an ASCII code point reads as: a control character but the blanks
 * (tab, line ends, vertical tab, form feed) shows nothing, as DEL does. */
static int ascii_reading(uint32_t cp)
{
    bool blank = cp >= '\t' && cp <= '\r';
    return (cp < 0x20 && !blank) || cp == 0x7F ? READ_NOTHING : (int)cp;
}

static bool shows_nothing(uint32_t cp)
{
    for (size_t k = 0; k < sizeof SHOWS_NOTHING / sizeof SHOWS_NOTHING[0]; k++) {
        if (cp < SHOWS_NOTHING[k].first)
            return false;
        if (cp <= SHOWS_NOTHING[k].last)
            return true;
    }
    return false;
}

/*
 * The ASCII byte a non-ASCII code point reads as, READ_NOTHING for an
 * invisible one, or READ_AS_IS to keep its UTF-8 bytes.
 */
static int reading_of(uint32_t cp)
{
    if (cp < 0x660) { /* Latin, Greek, Cyrillic, Hebrew...: only a few read otherwise */
        if (cp == 0xA0 || cp == 0x85)
            return ' ';
        if (cp == 0xB7) /* middle dot, between digit groups as a dot is */
            return '.';
        if (cp == 0x58A || cp == 0x5BE || cp == 0x2D7) /* Armenian hyphen, Hebrew
                                                          maqaf, modifier minus */
            return '-';
        if (cp == 0xB2 || cp == 0xB3 || cp == 0xB9) /* superscript 2, 3 and 1 */
            return '0' + drawn_digit_value(cp);
        return shows_nothing(cp) ? READ_NOTHING : READ_AS_IS;
    }
    int d = digit_value(cp);
    if (d < 0)
        d = drawn_digit_value(cp);
    if (d >= 0)
        return '0' + d;
    if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
        return (int)(cp - 0xFF01 + '!');
    if (cp >= 0xFE50 && cp <= 0xFE6B) { /* small forms as NFKC reads them (but the backslash) */
        static const char SMALL_FORMS[28] = ",\0.\0;:?!-(){}\0\0#&*+-<>=\0\0$%@";
        if (SMALL_FORMS[cp - 0xFE50])
            return SMALL_FORMS[cp - 0xFE50];
    }
    switch (cp) {
    case 0x00A0: /* no-break space */
    case 0x1680: /* ogham space mark */
    case 0x202F: /* narrow no-break space */
    case 0x205F: /* medium mathematical space */
    case 0x3000: /* ideographic space */
    case 0x2028: /* line separator */
    case 0x2029: /* paragraph separator */
        return ' ';
    case 0x2010:  /* hyphen */
    case 0x2011:  /* non-breaking hyphen */
    case 0x2012:  /* figure dash */
    case 0x2013:  /* en dash */
    case 0x2014:  /* em dash */
    case 0x2015:  /* horizontal bar */
    case 0x2212:  /* minus sign */
    case 0x1400:  /* the rest of Unicode's Dash property: Canadian syllabics hyphen, */
    case 0x1806:  /* Mongolian todo soft hyphen, */
    case 0x2053:  /* swung dash, */
    case 0x207B:  /* superscript and */
    case 0x208B:  /* subscript minus, */
    case 0x2E17:  /* double oblique hyphen, */
    case 0x2E1A:  /* hyphen with diaeresis, */
    case 0x2E3A:  /* two- and */
    case 0x2E3B:  /* three-em dashes, */
    case 0x2E40:  /* double hyphen, */
    case 0x2E5D:  /* oblique hyphen, */
    case 0x301C:  /* wave dash, */
    case 0x3030:  /* wavy dash, */
    case 0x30A0:  /* katakana-hiragana double hyphen, */
    case 0xFE31:  /* vertical em and */
    case 0xFE32:  /* en dashes, */
    case 0x10EAD: /* Yezidi hyphenation mark */
    case 0x2043:  /* hyphen bullet */
    case 0x2796:  /* heavy minus sign */
    case 0x23AF:  /* horizontal line extension */
    case 0x2500:  /* box drawings light and */
    case 0x2501:  /* heavy horizontal: a dash in plain-text receipts */
        return '-';
    case 0x30FC: /* katakana prolonged sound mark, and its halfwidth form */
    case 0xFF70:
        return READ_DASH_AFTER_DIGIT;
    case 0x2044: /* fraction slash */
    case 0x2215: /* division slash */
    case 0x29F8: /* big solidus */
        return '/';
    case 0x3001: /* ideographic comma, and its halfwidth form: a Chinese or */
    case 0xFF64: /* Japanese input method's comma */
        return ',';
    case 0x2026: /* horizontal ellipsis (NFKC: "...") */
    case 0x2024: /* one dot leader (NFKC: '.') */
    case 0x2027: /* hyphenation point */
    case 0x2E31: /* word separator middle dot */
        return '.';
    case 0x2800: /* braille pattern blank: shows as a space */
        return ' ';
    case 0x3002: /* ideographic full stop, a dot in host names (IDNA) */
    case 0xFF61: /* halfwidth ideographic full stop */
    case 0x2022: /* bullet, and the other middle dots: between digit groups */
    case 0x2219: /* bullet operator */
    case 0x22C5: /* dot operator */
    case 0x30FB: /* katakana middle dot */
    case 0xFF65: /* halfwidth katakana middle dot */
        return '.';
    }
    if (cp >= 0x2000 && cp <= 0x200A) /* en quad ... hair space */
        return ' ';
    return shows_nothing(cp) ? READ_NOTHING : READ_AS_IS;
}

/* ---- the layered reader ------------------------------------------------- */

/* One byte of a layer's output and the raw bytes it came from. */
typedef struct text_raw_byte {
    uint8_t byte;
    uint32_t from, to; /* raw range, relative to the string's start */
} raw_byte;

/* The last layer's output: normalized bytes and the spans that map them. */
typedef struct {
    const uint8_t *raw; /* the string's raw bytes */
    uint8_t *out;
    text_span *spans;
    size_t n, n_spans;
} text_builder;

static int hex4(const uint8_t *p)
{
    return hex_value(p[0]) << 12 | hex_value(p[1]) << 8 | hex_value(p[2]) << 4 | hex_value(p[3]);
}

/*
 * Layer 1: the JSON string's bytes with escapes undone, into out (which has
 * room for len entries). The string was validated by the tokenizer.
 */
static size_t unescape(const uint8_t *raw, size_t len, raw_byte *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] != '\\') {
            out[n++] = (raw_byte){raw[i], (uint32_t)i, (uint32_t)i + 1};
            i++;
            continue;
        }
        size_t start = i;
        uint32_t cp;
        uint8_t e = raw[i + 1];
        if (e == 'u') {
            cp = (uint32_t)hex4(raw + i + 2);
            i += 6;
            if (cp >= 0xd800 && cp < 0xdc00) { /* validated: a low surrogate follows */
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)hex4(raw + i + 2) - 0xdc00);
                i += 6;
            }
        } else {
            cp = e == 'b'   ? '\b'
                 : e == 'f' ? '\f'
                 : e == 'n' ? '\n'
                 : e == 'r' ? '\r'
                 : e == 't' ? '\t'
                            : e;
            i += 2;
        }
        uint8_t bytes[4];
        size_t k = utf8_put(bytes, cp);
        for (size_t b = 0; b < k; b++)
            out[n++] = (raw_byte){bytes[b], (uint32_t)start, (uint32_t)i};
    }
    return n;
}

/* The four hex digits at b[0..3] as a number, or -1. */
static int32_t hex4_of(const raw_byte *b)
{
    int32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hex_value(b[k].byte);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* The code point of JavaScript's escape() at b[0] == '%' ("%uFF14", a
 * full-width 4), or -1 when none (a surrogate half is left as written). */
static int32_t js_escape_at(const raw_byte *b, size_t n)
{
    int32_t cp = n >= 6 && b[1].byte == 'u' ? hex4_of(b + 2) : -1;
    return cp >= 0xd800 && cp <= 0xdfff ? -1 : cp;
}

/*
 * Layer 2: percent-encoding undone, in place: a "%XX" reads as one byte,
 * and so does a "%25XX", "%2525XX"... (a URL encoded again as a parameter of
 * another: "?next=%2Fpay%3Femail%3Djane%2540example.com"); a "%uXXXX" that
 * JavaScript's escape() writes for what is not Latin-1 reads as the UTF-8
 * of its code point, which is never longer.
 */
static size_t percent_decode(raw_byte *b, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        int32_t cp;
        uint32_t from = b[i].from;
        uint8_t byte = b[i].byte;
        while (byte == '%' && i + 2 < n && (hi = hex_value(b[i + 1].byte)) >= 0 &&
               (lo = hex_value(b[i + 2].byte)) >= 0) {
            byte = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        if (byte == '%' && (cp = js_escape_at(b + i, n - i)) >= 0) {
            uint8_t bytes[4];
            uint32_t to = b[i + 5].to;
            size_t k = utf8_put(bytes, (uint32_t)cp);
            for (size_t e = 0; e < k; e++)
                b[out++] = (raw_byte){bytes[e], from, to};
            i += 5;
            continue;
        }
        b[out++] = (raw_byte){byte, from, b[i].to};
    }
    return out;
}

/* The length of the UTF-8 sequence b[0..] starts, 0 when it is not valid. */
static size_t utf8_sequence(const raw_byte *b, size_t n, uint32_t *cp)
{
    uint8_t c = b[0].byte;
    size_t len = c < 0x80                 ? 1
                 : c >= 0xc2 && c <= 0xdf ? 2
                 : (c & 0xf0) == 0xe0     ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (!len || len > n)
        return 0;
    uint32_t v = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((b[k].byte & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (b[k].byte & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Appends one output unit standing for raw [from, to); a span records it
 * unless the output is exactly the raw bytes. */
static void emit(text_builder *tb, const uint8_t *bytes, size_t k, uint32_t from, uint32_t to)
{
    for (size_t b = 0; b < k; b++)
        tb->out[tb->n + b] = bytes[b];
    if (to - from != k || memcmp(tb->raw + from, bytes, k))
        tb->spans[tb->n_spans++] = (text_span){(uint32_t)tb->n, from, (uint8_t)k,
                                               (uint8_t)(to - from > 255 ? 255 : to - from)};
    tb->n += k;
}

static void emit_code_point(text_builder *tb, uint32_t cp, uint32_t from, uint32_t to);

/* The named character references that read as something the detectors
 * see (a space, a dash, nothing, '@', a delimiter of names and values). */
static const struct {
    char name[8];
    uint32_t cp;
} CHAR_REFERENCES[] = {
    {"nbsp", 0xA0},     {"ensp", 0x2002},  {"emsp", 0x2003},   {"thinsp", 0x2009},
    {"hairsp", 0x200A}, {"numsp", 0x2007}, {"puncsp", 0x2008}, {"shy", 0xAD},
    {"zwj", 0x200D},    {"zwnj", 0x200C},  {"lrm", 0x200E},    {"rlm", 0x200F},
    {"hyphen", 0x2010}, {"dash", 0x2010},  {"ndash", 0x2013},  {"mdash", 0x2014},
    {"minus", 0x2212},  {"commat", '@'},   {"period", '.'},    {"colon", ':'},
    {"equals", '='},    {"amp", '&'},      {"quot", '"'},      {"apos", '\''},
    {"lt", '<'},        {"gt", '>'},       {"Tab", '\t'},      {"NewLine", '\n'},
};

/* The named reference whose name starts at p (n bytes on) and ends in ';':
 * its length from p, 0 if none. */
static size_t reference_name(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t len = 0; /* "&self", "&mut" of code: no ';' soon after */
    while (len < n && len < 8 && p[len] != ';')
        len++;
    if (len < 2 || len == n || p[len] != ';')
        return 0;
    for (size_t r = 0; r < sizeof CHAR_REFERENCES / sizeof CHAR_REFERENCES[0]; r++) {
        if (!memcmp(p, CHAR_REFERENCES[r].name, len) && !CHAR_REFERENCES[r].name[len]) {
            *cp = CHAR_REFERENCES[r].cp;
            return len + 1;
        }
    }
    return 0;
}

/* A character reference at b[0] == '&': numeric ("&#52;", "&#x34;", the
 * ';' may be missing, as browsers allow) or named ("&nbsp;"). Its length,
 * 0 if none. */
static size_t char_reference(const raw_byte *b, size_t n, uint32_t *cp)
{
    uint8_t name[12];
    size_t k = 1;
    if (k < n && b[k].byte == '#') {
        bool hex = ++k < n && (b[k].byte | 0x20) == 'x';
        k += hex;
        uint32_t v = 0;
        size_t first = k;
        for (; k < n; k++) { /* any number of digits; past U+10FFFF it stays invalid */
            int d = hex_value(b[k].byte);
            if (d < 0 || (!hex && d > 9))
                break;
            v = v > 0x10ffff ? v : v * (hex ? 16 : 10) + (uint32_t)d;
        }
        if (k == first || v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
            return 0;
        *cp = v;
        return k + (k < n && b[k].byte == ';');
    }
    size_t m = 0;
    for (; m < sizeof name && 1 + m < n; m++)
        name[m] = b[1 + m].byte;
    size_t len = reference_name(name, m, cp);
    return len ? 1 + len : 0;
}

/* The "\\uXXXX", "\\n", "\\r", "\\t" or "\\/" at b[0] == '\\', after any number of
 * backslashes (JSON held in a string held in a string, as a console log of
 * a response body writes it): its length and in *v what it stands for, 0
 * if none. */
static size_t escape_run(const raw_byte *b, size_t n, int32_t *v)
{
    size_t k = 0;
    while (k < n && b[k].byte == '\\')
        k++;
    uint8_t ch = k < n ? b[k].byte : 0;
    if (ch == 'n' || ch == 't' || ch == 'r' || ch == '/') {
        *v = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == 'r' ? '\r' : '/';
        return k + 1;
    }
    *v = k + 5 <= n && b[k].byte == 'u' ? hex4_of(b + k + 1) : -1;
    return *v < 0 ? 0 : k + 5;
}

/* An escape of JSON held in the string at b[0] == '\\' ("\\u00e9" of a PHP
 * or Python response body): its length, 0 if none (a lone surrogate too). */
static size_t nested_escape(const raw_byte *b, size_t n, uint32_t *cp)
{
    int32_t v, low;
    size_t len = escape_run(b, n, &v);
    if (!len || v == 0 || (v >= 0xdc00 && v <= 0xdfff))
        return 0;
    if (v < 0xd800 || v > 0xdbff) {
        *cp = (uint32_t)v;
        return len;
    }
    size_t len_low = len < n && b[len].byte == '\\' ? escape_run(b + len, n - len, &low) : 0;
    if (!len_low || low < 0xdc00 || low > 0xdfff)
        return 0;
    *cp = 0x10000 + ((uint32_t)(v - 0xd800) << 10) + (uint32_t)(low - 0xdc00);
    return len + len_low;
}

/* Whether the unescaped string holds an escape of JSON held in it (\\uXXXX,
 * a line break or tab, or the "\\/" PHP's json_encode() writes for every
 * slash: "https:\\/\\/..." is a URL to every detector). */
static bool has_nested_escape(const uint8_t *s, size_t n)
{
    for (const uint8_t *p = s; (p = memchr(p, '\\', n - (size_t)(p - s))) != NULL; p++)
        if ((s + n - p >= 3 && p[1] == 'u' && hex_value(p[2]) >= 0) ||
            (s + n - p >= 2 && (p[1] == 'n' || p[1] == 't' || p[1] == 'r' || p[1] == '/')))
            return true;
    return false;
}

/* The code point a byte >= 0x80 is in Windows-1252, which browsers read
 * for Latin-1 too: a legacy page's form and JavaScript's escape() write a
 * no-break space as "%A0", and such a page's en dash as "%96". */
static uint32_t windows_1252(uint8_t byte)
{
    static const uint16_t C1[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    return byte >= 0x80 && byte < 0xA0 && C1[byte - 0x80] ? C1[byte - 0x80] : byte;
}

/* Layers 3 and 4: code points, and what each reads as. */
static void read_code_points(text_builder *tb, const raw_byte *b, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = b[i].byte == '&'    ? char_reference(b + i, n - i, &cp)
                     : b[i].byte == '\\' ? nested_escape(b + i, n - i, &cp)
                                         : 0;
        if (!len)
            len = utf8_sequence(b + i, n - i, &cp);
        uint32_t from = b[i].from, to = b[len ? i + len - 1 : i].to;
        if (!len) { /* invalid bytes (only percent-encoding can make them) */
            /* "%B4111..." (a card reader's track 1) is no UTF-8 once decoded:
             * it reads as it is written, as decodeURIComponent() refuses it,
             * unless Windows-1252 reads it as a blank, dash, dot or nothing */
            bool written = to - from == 3 && tb->raw[from] == '%';
            uint32_t legacy = windows_1252(b[i].byte);
            int r = reading_of(legacy);
            if (written && (r == ' ' || r == '-' || r == '.' || r == READ_NOTHING))
                emit_code_point(tb, legacy, from, to);
            else
                emit(tb, written ? tb->raw + from : (const uint8_t *)"?", written ? 3 : 1, from,
                     to);
            i++;
            continue;
        }
        emit_code_point(tb, cp, from, to);
        i += len;
    }
}

/* ---- views ---------------------------------------------------------------- */

/* Wipes and frees the normalizing buffers, and only those: the joined text
 * may be in use by a split detector whose part is being read. */
static void decode_buffers_free(decode_scratch *d)
{
    if (d->buf)
        sodium_memzero(d->buf, d->cap);
    if (d->bytes)
        sodium_memzero(d->bytes, d->cap * sizeof *d->bytes);
    free(d->buf);
    free(d->bytes);
    free(d->spans);
    d->buf = NULL;
    d->bytes = NULL;
    d->spans = NULL;
    d->cap = 0;
}

void decode_scratch_free(decode_scratch *d)
{
    decode_buffers_free(d);
    free(d->joined);
    d->joined = NULL;
}

/* Room for a normalized string of n raw bytes; the old buffers are wiped.
 * A split detector grows them while it holds the joined text (a part
 * longer than any string read before it, or the session's first string
 * that needs normalizing): the joined text stays where it is. */
static int scratch_reserve(decode_scratch *d, size_t n)
{
    if (n + 1 <= d->cap)
        return VEIL_OK;
    decode_buffers_free(d);
    size_t cap = n + 1 < 4096 ? 4096 : n + 1;
    d->buf = malloc(cap);
    d->bytes = malloc(cap * sizeof *d->bytes);
    d->spans = malloc((cap / 2 + 1) * sizeof *d->spans); /* each span takes >= 2 raw bytes */
    if (!d->buf || !d->bytes || !d->spans) {
        decode_buffers_free(d);
        return VEIL_ENOMEM;
    }
    d->cap = cap;
    return VEIL_OK;
}

/* Whether raw holds a layer the one-pass reading does not undo: a "%XX"
 * or "%uXXXX" (CSS percentages, "100%;", do not count), or a character reference: "&#",
 * or '&' and a name of CHAR_REFERENCES ("?a=1&b=2" does not count). */
static bool has_layers(const uint8_t *raw, size_t len)
{
    const uint8_t *p, *end = raw + len;
    for (p = raw; (p = memchr(p, '%', (size_t)(end - p))) != NULL; p++)
        if ((end - p > 2 && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) ||
            (end - p > 5 && p[1] == 'u' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0 &&
             hex_value(p[4]) >= 0 && hex_value(p[5]) >= 0))
            return true;
    uint32_t cp;
    for (p = raw; (p = memchr(p, '&', (size_t)(end - p))) != NULL; p++)
        if (end - p > 1 && (p[1] == '#' || reference_name(p + 1, (size_t)(end - p - 1), &cp)))
            return true;
    return false;
}

static size_t plain_ascii_end(const uint8_t *raw, size_t i, size_t len);

/*
 * Whether a non-ASCII character or a DEL of the unescaped string raw
 * reads as something else. Prose (curly quotes, accented letters) reads as itself:
 * only the rare digit, space, dash or invisible character of another
 * script needs reading.
 */
static bool reads_otherwise(const uint8_t *raw, size_t n)
{
    for (size_t i = plain_ascii_end(raw, 0, n); i < n; i = plain_ascii_end(raw, i, n)) {
        if (raw[i] == 0x7F)
            return true;
        size_t len = raw[i] < 0xe0 ? 2 : raw[i] < 0xf0 ? 3 : 4; /* validated by the tokenizer */
        uint32_t cp = raw[i] & (0x7f >> len);
        for (size_t k = 1; k < len; k++)
            cp = cp << 6 | (raw[i + k] & 0x3f);
        int r = reading_of(cp);
        if (r == READ_DASH_AFTER_DIGIT ? i > 0 && is_ascii_digit(raw[i - 1]) : r != READ_AS_IS)
            return true;
        i += len;
    }
    return false;
}

/* Emits code point cp, from raw [from, to), as what it reads as. */
static void emit_code_point(text_builder *tb, uint32_t cp, uint32_t from, uint32_t to)
{
    uint8_t bytes[4] = {0};
    int r = cp < 0x80 ? ascii_reading(cp) : reading_of(cp);
    if (r == READ_DASH_AFTER_DIGIT)
        r = tb->n && is_ascii_digit(tb->out[tb->n - 1]) ? '-' : READ_AS_IS;
    if (r >= 0) {
        bytes[0] = (uint8_t)r;
        emit(tb, bytes, 1, from, to);
    } else if (r == READ_NOTHING) {
        emit(tb, bytes, 0, from, to);
    } else {
        emit(tb, bytes, utf8_put(bytes, cp), from, to);
    }
}

/* The end of the run of ASCII bytes other than '\\' and DEL that starts at raw[i]. */
static size_t plain_ascii_end(const uint8_t *raw, size_t i, size_t len)
{
#if defined(__SSE2__)
    const __m128i bslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7F);
    while (i + 16 <= len) {
        __m128i b = _mm_loadu_si128((const __m128i *)(raw + i));
        __m128i marks = _mm_or_si128(_mm_cmpeq_epi8(b, bslash), _mm_cmpeq_epi8(b, del));
        int stop = _mm_movemask_epi8(_mm_or_si128(b, marks));
        if (stop)
            return i + (size_t)__builtin_ctz((unsigned)stop);
        i += 16;
    }
#endif
    while (i < len && raw[i] < 0x7F && raw[i] != '\\')
        i++;
    return i;
}

/*
 * The one-pass reading of a string without percent-encoding (nearly all of
 * them): escapes and code points undone as they come, ASCII runs copied
 * whole. (When what it produces holds a "%XX", the caller reads the string
 * again in layers: escapes may have made the percent-encoding.)
 */
static void read_one_pass(text_builder *tb, const uint8_t *raw, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t run = plain_ascii_end(raw, i, len);
        memcpy(tb->out + tb->n, raw + i, run - i);
        tb->n += run - i;
        i = run;
        if (i == len)
            break;
        uint32_t cp;
        size_t width;
        if (raw[i] == '\\' && raw[i + 1] != 'u' && raw[i + 1] != 'b') { /* \n, \", \\ ... */
            uint8_t e = raw[i + 1];
            tb->out[tb->n] = e == 'f'   ? '\f'
                             : e == 'n' ? '\n'
                             : e == 'r' ? '\r'
                             : e == 't' ? '\t'
                                        : e;
            tb->spans[tb->n_spans++] = (text_span){(uint32_t)tb->n, (uint32_t)i, 1, 2};
            tb->n++;
            i += 2;
            continue;
        }
        if (raw[i] == '\\' && raw[i + 1] == 'b') { /* a backspace shows nothing */
            cp = '\b';
            width = 2;
        } else if (raw[i] == 0x7F) { /* DEL, written as itself */
            cp = 0x7F;
            width = 1;
        } else if (raw[i] == '\\') {
            cp = (uint32_t)hex4(raw + i + 2);
            width = 6;
            if (cp >> 10 == 0xd800 >> 10) { /* validated: a low surrogate follows */
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)hex4(raw + i + 8) - 0xdc00);
                width = 12;
            }
        } else {
            width = raw[i] < 0xe0 ? 2 : raw[i] < 0xf0 ? 3 : 4; /* validated by the tokenizer */
            cp = raw[i] & (0x7f >> width);
            for (size_t k = 1; k < width; k++)
                cp = cp << 6 | (raw[i + k] & 0x3f);
        }
        emit_code_point(tb, cp, (uint32_t)i, (uint32_t)(i + width));
        i += width;
    }
}

int text_view_of(decode_scratch *d, const char *json, const json_tok *t, text_view *v)
{
    const uint8_t *raw = (const uint8_t *)json + t->start;
    *v = (text_view){.s = raw, .n = t->len, .raw_start = t->start, .raw_len = t->len};
    bool layered = has_layers(raw, t->len);
    bool escaped = t->flags & TOK_F_ESCAPED;
    if (!layered && !escaped && ((t->flags & TOK_F_ASCII) || !reads_otherwise(raw, t->len)))
        return VEIL_OK; /* the string reads as its own bytes */
    int err = scratch_reserve(d, t->len);
    if (err)
        return err;
    text_builder tb = {.raw = raw, .out = d->buf, .spans = d->spans};
    if (!layered) { /* escapes may have made a layer: "%\u0034\u0032", "\u0026#52;" */
        read_one_pass(&tb, raw, t->len);
        layered = escaped && (has_layers(tb.out, tb.n) || has_nested_escape(tb.out, tb.n));
    }
    if (layered) {
        tb.n = tb.n_spans = 0;
        size_t n = unescape(raw, t->len, d->bytes);
        n = percent_decode(d->bytes, n);
        read_code_points(&tb, d->bytes, n);
        sodium_memzero(d->bytes, n * sizeof *d->bytes);
    }
    v->s = d->buf;
    v->n = tb.n;
    v->spans = d->spans;
    v->n_spans = tb.n_spans;
    v->normalized = true;
    return VEIL_OK;
}

void text_view_done(decode_scratch *d, const text_view *v)
{
    if (v->normalized) /* the normalized bytes were unmasked input */
        sodium_memzero(d->buf, v->n);
}

/* The last span that starts at or before normalized byte i, or NULL. */
static const text_span *span_before(const text_view *v, size_t i)
{
    size_t lo = 0, hi = v->n_spans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->spans[mid].norm <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &v->spans[lo - 1] : NULL;
}

/*
 * Raw offset of normalized byte i (0 <= i <= n), relative to the input.
 * Bytes of one span map to the span's first raw byte; other bytes follow
 * the last span before them. Called only where something is masked, so a
 * binary search is cheap.
 */
uint32_t text_raw_of(const text_view *v, size_t i)
{
    const text_span *sp = span_before(v, i);
    if (!sp)
        return v->raw_start + (uint32_t)i;
    if (i < (size_t)sp->norm + sp->norm_len)
        return v->raw_start + sp->raw;
    return v->raw_start + sp->raw + sp->raw_len + (uint32_t)(i - sp->norm - sp->norm_len);
}

bool text_byte_is_raw(const text_view *v, size_t i)
{
    const text_span *sp = span_before(v, i);
    return !sp || i >= (size_t)sp->norm + sp->norm_len;
}

bool privacy_class_token(decode_scratch *scratch, const char *json, const json_tok *k)
{
    if (!(k->flags & TOK_F_ESCAPED))
        return privacy_class(json + k->start, k->len);
    text_view v;
    if (text_view_of(scratch, json, k, &v))
        return true; /* fail closed */
    bool named = privacy_class((const char *)v.s, v.n);
    text_view_done(scratch, &v);
    return named;
}
