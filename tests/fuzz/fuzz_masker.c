/*
 * fuzz_masker.c - libFuzzer target over the masker, with session state
 * carried across batches. Input bytes are split at 0x01 (never valid in
 * JSON text) into consecutive batches of one session. For every batch the
 * masker accepts, it asserts:
 *   - the output is valid JSON (jansson) of the same shape as the input:
 *     same types, same array lengths, the same number of object members,
 *     the same numbers; the masker may only turn a number into a masked
 *     string, and rewrite a key it found something in;
 *   - no string or key in the output holds a card number, read the way a
 *     person would read it: percent-decoded (JavaScript's "%uXXXX" too, and
 *     a byte that is no UTF-8 as Windows-1252's no-break space, soft hyphen
 *     or dash when it is one: "%A0", "%96"), HTML character references
 *     ("&#52;", "&nbsp;") read, with the decimal digits of the
 *     scripts below (and raised, lowered, circled, parenthesized ones and
 *     those with a stop, as the masker reads them) as digits,
 *     invisible characters (zero-width, bidi
 *     marks, variation selectors, combining marks, control characters
 *     other than blanks) dropped, and groups of
 *     3-6 digits joined by one space or dash (typographic ones too). This
 *     reading is the oracle's own, simpler than the masker's (text.c), so a
 *     bug in one is not copied into the other;
 * and for every batch, that the masker never fails of its own making
 * (VEIL_EINVAL: masks that overlap). Each input runs under one of ten site
 * policies, by its length (IP octets 0-4, PII kept or not), so every
 * detector runs under every policy (a seed's length picks its policy).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../masker/internal.h"

enum { POLICIES = 10 }; /* ip_octets 0-4, each with and without record_pii */
static masker_site *sites[POLICIES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int k = 0; k < POLICIES; k++) {
        masker_site *site = sites[k] = masker_site_new();
        const char *why;
        char octets[2] = {(char)('0' + k % 5), '\0'};
        if (!site ||
            masker_site_set(site, NULL, "mask_selector", ".secret, input[name=ssn]", &why) ||
            masker_site_set(site, NULL, "ip_octets", octets, &why) ||
            masker_site_set(site, NULL, "record_pii", k >= 5 ? "true" : "false", &why) ||
            masker_site_set(site, "/open/*", "record_inputs", "true", &why) ||
            masker_site_set(site, "/open/*", "allow_selector", ".keep", &why) ||
            masker_site_set(site, "/pay/*", "mask_selector", ".summary", &why))
            abort();
    }
    return 0;
}

/* A value the masker rewrote: the mask characters are in it. */
static bool masked_text(const char *s)
{
    return strchr(s, '*') != NULL;
}

/* Whether the masker may have rewritten key a as b: masked, or a key with
 * something a detector reads (a digit, or an IPv6 address written with hex
 * letters alone, "d::a": an address it truncates). */
static bool key_rewritten(const char *a, const char *b)
{
    return masked_text(b) || strpbrk(a, "0123456789") != NULL ||
           (strstr(a, "::") && !a[strspn(a, "abcdefABCDEF:")]);
}

/* Whether member `key` may have been set to null: the checked or selected
 * state of a sensitive field (an isChecked, a checked or selected
 * attribute). */
static bool state_masked(const char *key, json_t *a, json_t *b)
{
    return json_is_null(b) &&
           (json_is_boolean(a) || !strcmp(key, "checked") || !strcmp(key, "selected"));
}

/* Whether object b has fewer members than a because keys that differed
 * were masked alike ("jane@example.ie" and "jane@example.he" are both
 * "****@*******.**"), and jansson kept the last of each duplicate. */
static bool masked_keys_met(json_t *a, json_t *b)
{
    if (json_object_size(b) >= json_object_size(a))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach(b, key, v)
    {
        if (masked_text(key))
            return true;
    }
    return false;
}

/* Whether integer b is integer a, an IPv4 address written as one 32-bit
 * integer, with its last octets set to 0, as the masker keeps a value named
 * like an address ("ip": 3405803971). */
static bool address_kept(json_t *a, json_t *b)
{
    if (!json_is_integer(a) || !json_is_integer(b))
        return false;
    json_int_t x = json_integer_value(a), y = json_integer_value(b);
    if (x < 0 || x > 0xffffffffLL)
        return false;
    for (int octets = 0; octets <= 4; octets++)
        if (y == (json_int_t)((unsigned long long)x & (0xffffffffULL << (8 * octets))))
            return true;
    return false;
}

static bool same_shape(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_string(b))
        return masked_text(json_string_value(b)) || !json_string_length(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: { /* members in order: jansson keeps the input's */
        if (json_object_size(a) != json_object_size(b))
            return masked_keys_met(a, b);
        void *ia = json_object_iter(a), *ib = json_object_iter(b);
        for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
            const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
            if (strcmp(ka, kb) && !key_rewritten(ka, kb))
                return false;
            json_t *va = json_object_iter_value(ia), *vb = json_object_iter_value(ib);
            if (!state_masked(ka, va, vb) && !same_shape(va, vb))
                return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_shape(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return true;
    default:
        return json_equal(a, b) || address_kept(a, b);
    }
}

/* What one character of a string reads as: a digit 0-9, a separator
 * (space, tab, line break, dash of any kind, or the '+' form encoding
 * writes for a space), something invisible, a
 * mark that sets a number's thousands or decimals apart (",", ".", "'",
 * "’", "٬"; "٫"), or anything else. */
enum {
    READ_SEPARATOR = -1,
    READ_OTHER = -2,
    READ_NOTHING = -3,
    READ_DECIMAL_MARK = -4, /* "٫", only ever a decimal mark */
    READ_MARK = -5          /* READ_MARK - k: the k-th of THOUSANDS_MARKS */
};
static const uint32_t THOUSANDS_MARKS[] = {',', '.', '\'', 0x2019, 0x66c};

static int read_code_point(uint32_t cp)
{
    static const uint32_t zeros[] = {0x30,   0x660,  0x6f0,   0x966,   0x9e6, 0xe50,
                                     0xff10, 0x1040, 0x1d7ce, 0x11f50, 0x2080 /* subscript */};
    for (size_t k = 0; k < sizeof zeros / sizeof zeros[0]; k++)
        if (cp >= zeros[k] && cp <= zeros[k] + 9)
            return (int)(cp - zeros[k]);
    if (cp == 0x2070 || (cp >= 0x2074 && cp <= 0x2079)) /* superscript 0, 4-9 */
        return (int)(cp - 0x2070);
    if (cp == 0xb9 || cp == 0xb2 || cp == 0xb3) /* superscript 1, 2, 3 */
        return cp == 0xb9 ? 1 : (int)(cp - 0xb0);
    static const struct {
        uint32_t one; /* the code point drawing 1; the next eight draw 2-9 */
    } drawn[] = {
        {0x2460},  /* circled */
        {0x2474},  /* parenthesized */
        {0x2488},  /* with a full stop */
        {0x24f5},  /* double circled */
        {0x2776},  /* dingbat negative circled */
        {0x2780},  /* dingbat circled sans-serif */
        {0x278a},  /* dingbat negative circled sans-serif */
        {0x1f102}, /* with a comma (U+1F101 is 0) */
    };
    for (size_t k = 0; k < sizeof drawn / sizeof drawn[0]; k++)
        if (cp >= drawn[k].one && cp <= drawn[k].one + 8)
            return (int)(cp - drawn[k].one) + 1;
    if (cp == 0x24ff || (cp >= 0x1f100 && cp <= 0x1f101) || cp == 0x1f10b || cp == 0x1f10c)
        return 0;     /* negative circled, with a full stop or a comma, sans-serif circled */
    if (cp == 0x24ea) /* circled 0: "⓪6011..." is 0 6011..., as NFKC reads it */
        return 0;
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '+' || cp == 0x85 ||
        cp == 0x2028 || cp == 0x2029 || cp == '-' || cp == 0xa0 || cp == 0x3000 || cp == 0x2212 ||
        (cp >= 0x2000 && cp <= 0x200a) || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x202f)
        return READ_SEPARATOR;
    /* some of Unicode's Dash list, and the mark a Japanese IME types for '-' */
    if (cp == 0x58a || cp == 0x5be || cp == 0x301c || cp == 0x2e3a || cp == 0x2e3b ||
        cp == 0x30fc || cp == 0xff70)
        return READ_SEPARATOR;
    bool blank_control = cp >= '\t' && cp <= '\r';
    if ((cp < 0x20 && !blank_control) || (cp >= 0x7f && cp <= 0x9f && cp != 0x85)) /* controls */
        return READ_NOTHING;
    if ((cp >= 0x600 && cp <= 0x605) || cp == 0x6dd || (cp >= 0xfff9 && cp <= 0xfffb))
        return READ_NOTHING; /* number signs, interlinear annotation marks */
    if (cp == 0xad || cp == 0x61c || cp == 0xfeff || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
        (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x300 && cp <= 0x36f) ||
        (cp >= 0x20d0 && cp <= 0x20ff))
        return READ_NOTHING;
    for (size_t k = 0; k < sizeof THOUSANDS_MARKS / sizeof THOUSANDS_MARKS[0]; k++)
        if (cp == THOUSANDS_MARKS[k])
            return READ_MARK - (int)k;
    return cp == 0x66b ? READ_DECIMAL_MARK : READ_OTHER;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* The code point a well-formed UTF-8 sequence at b encodes and its length,
 * or 0 for bytes a browser would not decode (a stray or missing
 * continuation byte, an overlong form, a surrogate): E2 80 68 is not
 * U+2028 but a replacement character and 'h'. */
static size_t utf8_decode(const unsigned char *b, size_t n, uint32_t *cp)
{
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = b[0] < 0x80    ? 1
                 : b[0] >= 0xf8 ? 0
                 : b[0] >= 0xf0 ? 4
                 : b[0] >= 0xe0 ? 3
                 : b[0] >= 0xc0 ? 2
                                : 0;
    if (!len || len > n)
        return 0;
    uint32_t v = len == 1 ? b[0] : b[0] & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((b[k] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (b[k] & 0x3f);
    }
    if (v < least[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* An HTML character reference at b (markup held in a string): "&#52;",
 * "&#x34;", or one of a few named spaces and dashes, always with its ';'.
 * Its length and code point, or 0. */
static size_t char_reference(const unsigned char *b, size_t n, uint32_t *cp)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"&nbsp;", 0xa0}, {"&thinsp;", 0x2009}, {"&ndash;", 0x2013}, {"&shy;", 0xad}};
    if (b[0] != '&')
        return 0;
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        size_t len = strlen(named[k].name);
        if (len <= n && !memcmp(b, named[k].name, len)) {
            *cp = named[k].cp;
            return len;
        }
    }
    if (n < 4 || b[1] != '#')
        return 0;
    bool hex = b[2] == 'x' || b[2] == 'X';
    uint32_t v = 0;
    size_t k = 2 + hex;
    for (; k < n; k++) {
        int d = hex_digit((char)b[k]);
        if (d < 0 || (!hex && d > 9))
            break;
        if (v <= 0x10ffff)
            v = v * (hex ? 16 : 10) + (uint32_t)d;
    }
    if (k == 2 + hex || k >= n || b[k] != ';' || !v || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return k + 1;
}

static bool percent_escape_at(const char *s, size_t i, size_t n)
{
    return s[i] == '%' && i + 2 < n && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0;
}

/*
 * Percent-decoding of the run of "%XX" escapes at s[i], into bytes at m:
 * each UTF-8 sequence they spell, or an escape as it is written when its
 * byte starts none ("%B4111..." of a card reader's track: decodeURIComponent
 * refuses it, and the digits read as written). Returns the run's end.
 */
static size_t percent_run(const char *s, size_t i, size_t n, unsigned char *bytes, size_t *m)
{
    unsigned char run[64];
    size_t from = i, k = 0;
    for (; k < sizeof run && percent_escape_at(s, i, n); i += 3)
        run[k++] = (unsigned char)(hex_digit(s[i + 1]) << 4 | hex_digit(s[i + 2]));
    for (size_t r = 0; r < k;) {
        uint32_t cp;
        size_t len = utf8_decode(run + r, k - r, &cp);
        if (len) {
            memcpy(bytes + *m, run + r, len);
            *m += len;
            r += len;
        } else if (run[r] == 0xa0 || run[r] == 0xad || run[r] == 0x96 || run[r] == 0x97) {
            /* Windows-1252's no-break space, soft hyphen, en and em dash */
            uint32_t legacy = run[r] == 0x96 ? 0x2013 : run[r] == 0x97 ? 0x2014 : run[r];
            *m += utf8_put(bytes + *m, legacy);
            r++;
        } else {
            memcpy(bytes + *m, s + from + 3 * r, 3);
            *m += 3;
            r++;
        }
    }
    return i;
}

/* The code point JavaScript's escape() writes as "%uXXXX" at s[i], or -1. */
static int32_t js_escape_at(const char *s, size_t i, size_t n)
{
    if (s[i] != '%' || i + 5 >= n || s[i + 1] != 'u')
        return -1;
    int32_t cp = 0;
    for (size_t k = i + 2; k < i + 6; k++) {
        int d = hex_digit(s[k]);
        if (d < 0)
            return -1;
        cp = cp << 4 | d;
    }
    return cp >= 0xd800 && cp <= 0xdfff ? -1 : cp;
}

/* "%2540" as "%40" (and "%252540" too), in place: a URL encoded again as
 * a parameter of another reads as the masker reads it, not as digits after
 * a '%' ("%254011..." is no "4011..."). Returns the new length. */
static size_t undo_double_escapes(char *s, size_t n)
{
    for (bool again = true; again;) {
        size_t m = 0;
        again = false;
        for (size_t i = 0; i < n;) {
            if (s[i] == '%' && i + 4 < n && s[i + 1] == '2' && s[i + 2] == '5' &&
                hex_digit(s[i + 3]) >= 0 && hex_digit(s[i + 4]) >= 0) {
                s[m++] = '%';
                i += 3;
                again = true;
            } else {
                s[m++] = s[i++];
            }
        }
        n = m;
    }
    return n;
}

static bool is_space_or_plus(unsigned char ch)
{
    return ch == ' ' || ch == '+';
}

/* Whether bytes[k] starts a '-' typed with a space on each side, as the
 * masker's cards and phones read it. */
static bool spaced_dash_at(const unsigned char *bytes, size_t k, size_t m)
{
    return k + 2 < m && is_space_or_plus(bytes[k]) && bytes[k + 1] == '-' &&
           is_space_or_plus(bytes[k + 2]);
}

/* The string read into out[] (one entry per visible character); returns how many. */
static size_t read_string(const char *raw, size_t n, int *out)
{
    char *s = malloc(n + 1);
    memcpy(s, raw, n);
    n = undo_double_escapes(s, n);
    unsigned char *bytes = malloc(n + 1);
    size_t m = 0, count = 0;
    int32_t escaped;
    for (size_t i = 0; i < n;) { /* percent-decoding first */
        if (percent_escape_at(s, i, n)) {
            i = percent_run(s, i, n, bytes, &m);
        } else if ((escaped = js_escape_at(s, i, n)) >= 0) {
            m += utf8_put(bytes + m, (uint32_t)escaped);
            i += 6;
        } else {
            bytes[m++] = (unsigned char)s[i++];
        }
    }
    for (size_t i = 0; i < m;) {
        uint32_t cp;
        size_t len = char_reference(bytes + i, m - i, &cp);
        if (!len)
            len = utf8_decode(bytes + i, m - i, &cp);
        int r = len ? read_code_point(cp) : READ_OTHER; /* a browser shows U+FFFD */
        if (r != READ_NOTHING)
            out[count++] = r;
        i += len ? len : 1;
        if (spaced_dash_at(bytes, i - 1, m))
            i += 2; /* " - " and form encoding's "+-+": one separator */
    }
    free(bytes);
    free(s);
    return count;
}

/* A run of digit groups standing alone (one separator between groups, and
 * no other digits beside it, even across separators) that is a card
 * the masker promises to find: one group of 12-19 digits, or groups of 3-6
 * digits. */
static bool card_at(const int *r, size_t from, size_t to)
{
    uint8_t d[20];
    size_t n = 0, group = 0;
    bool small_group = false;
    for (size_t k = from; k <= to; k++) {
        if (k < to && r[k] >= 0) {
            if (n < 20)
                d[n] = (uint8_t)r[k];
            n++;
            group++;
            continue;
        }
        small_group |= group < 3 || group > 6;
        group = 0;
    }
    bool grouped = to - from > n; /* separators inside */
    return n >= 12 && n <= 19 && (!grouped || !small_group) && card_iin_ok(d, n) &&
           card_luhn_ok(d, n);
}

/* Whether a digit stands beside r[k], across one separator or mark. */
static bool digit_across(const int *r, size_t k, size_t m, int step)
{
    return k < m && r[k] != READ_OTHER && (r[k] >= 0 || (k + step < m && r[k + step] >= 0));
}

/*
 * A card number shown as a number in a locale's format, from its first
 * digit at i: a group of 1-3 digits, then groups of 3, or of 2 before a
 * last one of 3 (India's lakhs), one thousands mark between each, and no
 * digit beside it, even across a mark or a separator (no list, no
 * decimals). (The masker also reads spaces as the mark; the rule above
 * holds most of those.)
 */
static bool locale_number_card(const int *r, size_t i, size_t m)
{
    uint8_t d[20], sizes[20];
    size_t k = i, n = 0, groups = 0;
    int mark = 0;
    if (i > 0 && digit_across(r, i - 1, m, -1))
        return false;
    for (;;) {
        size_t g = k;
        for (; k < m && r[k] >= 0; k++)
            if (n < 20)
                d[n++] = (uint8_t)r[k];
        sizes[groups++] = (uint8_t)(k - g < 20 ? k - g : 20);
        if (groups == 20 || k + 1 >= m || r[k] > READ_MARK || (mark && r[k] != mark) ||
            r[k + 1] < 0)
            break;
        mark = r[k++];
    }
    if (groups < 2 || n < 12 || n > 19 || sizes[0] > 3 || sizes[groups - 1] != 3 ||
        digit_across(r, k, m, 1))
        return false;
    bool thousands = true, lakhs = sizes[0] <= 2;
    for (size_t g = 1; g + 1 < groups; g++) {
        thousands &= sizes[g] == 3;
        lakhs &= sizes[g] == 2;
    }
    return (thousands || lakhs) && card_iin_ok(d, n) && card_luhn_ok(d, n);
}

static void no_card_in(const char *s, size_t n)
{
    int *r = malloc((n + 1) * sizeof *r);
    size_t m = read_string(s, n, r);
    for (size_t i = 0; i < m;) {
        if (r[i] < 0) {
            i++;
            continue;
        }
        size_t j = i; /* digits, single separators between them */
        while (j < m && (r[j] >= 0 || (r[j] == READ_SEPARATOR && j + 1 < m && r[j + 1] >= 0)))
            j++;
        size_t before = i, after = j; /* alone: no digit behind the separators around it */
        while (before > 0 && r[before - 1] == READ_SEPARATOR)
            before--;
        while (after < m && r[after] == READ_SEPARATOR)
            after++;
        bool alone = (before == 0 || r[before - 1] < 0) && (after == m || r[after] < 0);
        if ((alone && card_at(r, i, j)) || locale_number_card(r, i, m)) {
            fprintf(stderr, "card number survived masking: %.*s\n", (int)n, s);
            abort();
        }
        i = j + 1;
    }
    free(r);
}

static void no_card_survives(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
        {
            no_card_in(key, strlen(key));
            no_card_survives(child);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            no_card_survives(json_array_get(v, i));
    } else if (json_is_string(v)) {
        no_card_in(json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char text[32];
        int n = snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        no_card_in(text, (size_t)n);
    }
}

static void check_batch(int policy, const char *in, size_t len)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return;
    memcpy(buf, in, len);
    buf[len] = '\0';
    static masker_session *sessions[POLICIES];
    masker_session *session = sessions[policy];
    if (!session)
        session = sessions[policy] =
            masker_session_new(sites[policy], "https://shop.example/open/form");
    masker_findings f = {0};
    masker_result out;
    veil_error err;
    json_error_t jerr;
    json_t *before = json_loadb(in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    int rc = masker_session_mask(session, buf, len, &out, &f, &err);
    if (rc == VEIL_OK) {
        json_t *after = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!after && before) {
            fprintf(stderr, "output is not JSON: %s\n", jerr.text);
            abort();
        }
        if (before && !same_shape(before, after)) {
            fprintf(stderr, "output changed the JSON shape:\n%.*s\n%.*s\n", (int)len, in,
                    (int)out.len, out.data);
            abort();
        }
        if (after)
            no_card_survives(after);
        json_decref(after);
    } else if (err.offset > len) {
        abort();
    } else if (rc == VEIL_EINVAL) {
        fprintf(stderr, "the masker failed of its own making:\n%.*s\n", (int)len, in);
        abort();
    }
    json_decref(before);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    int policy = (int)(size % POLICIES);
    while (p <= end) {
        const char *cut = memchr(p, 0x01, (size_t)(end - p));
        const char *stop = cut ? cut : end;
        check_batch(policy, p, (size_t)(stop - p));
        if (!cut)
            break;
        p = cut + 1;
    }
    return 0;
}
