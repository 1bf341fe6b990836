/*
 * detect.c - finds card numbers, IP literals, emails, phone numbers and
 * secrets named by their field (password=, "token":) inside one JSON string
 * or number, and applies field masks.
 *
 * The scan reads the normalized text of text.c, so an escaped, percent-
 * encoded, full-width or Arabic-Indic digit is a digit like "4", and maps
 * each mask back to the raw bytes it replaces. Every mask replaces whole
 * characters; an edit that keeps the byte length is written in place, any
 * other is queued.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int edit_push(edit_list *e, uint32_t off, uint32_t len, const char *rep, size_t rep_len,
              uint32_t quote)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        masker_edit *grown = realloc(e->v, cap * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        e->v = grown;
        e->cap = cap;
    }
    masker_edit *ed = &e->v[e->n];
    ed->off = off;
    ed->len = len;
    ed->rep = (uint32_t)e->arena.len;
    ed->rep_len = (uint32_t)rep_len;
    ed->quote = quote;
    int err = veil_buf_append(&e->arena, rep, rep_len);
    if (err)
        return err;
    e->n++;
    return VEIL_OK;
}

/* What a scan with scan_ctx.noted set would have replaced on and after
 * normalized offset `from` of the view it reads, in the order it would
 * have: ranges, their replacement (up to NOTED_REP_MOST bytes), or with
 * rep_len 0 a '*' for each character (masks of characters one after another
 * are noted so, and a longer replacement), and the finding each is of (the
 * findings counted so far). The findings that replace something before
 * `from` are listed in `before`. */
enum { NOTED_MOST = 64, NOTED_REP_MOST = 16, NOTED_BEFORE_MOST = 16 };
typedef struct noted_edits {
    uint32_t from;
    size_t n, n_before;
    bool overflow; /* more than NOTED_MOST edits or NOTED_BEFORE_MOST findings */
    struct {
        uint32_t from, to, finding;
        uint8_t rep_len;
        char rep[NOTED_REP_MOST];
    } v[NOTED_MOST];
    uint32_t before[NOTED_BEFORE_MOST];
} noted_edits;

static uint32_t findings_so_far(const masker_findings *found)
{
    uint32_t n = 0;
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        n += (uint32_t)found->count[k];
    return n;
}

static void note_edit(noted_edits *noted, size_t i, size_t j, const char *rep, size_t rep_len,
                      uint32_t finding)
{
    if (j <= noted->from) {
        if (noted->n_before && noted->before[noted->n_before - 1] == finding)
            return;
        if (noted->n_before == NOTED_BEFORE_MOST)
            noted->overflow = true;
        else
            noted->before[noted->n_before++] = finding;
        return;
    }
    bool star = rep_len == 1 && rep[0] == '*';
    if (star && noted->n && noted->v[noted->n - 1].to == i && noted->v[noted->n - 1].rep_len == 0 &&
        noted->v[noted->n - 1].finding == finding) { /* the next character of the same mask */
        noted->v[noted->n - 1].to = (uint32_t)j;
        return;
    }
    if (noted->n == NOTED_MOST) {
        noted->overflow = true;
        return;
    }
    size_t k = noted->n++;
    noted->v[k].from = (uint32_t)i;
    noted->v[k].to = (uint32_t)j;
    noted->v[k].finding = finding;
    noted->v[k].rep_len = star || rep_len > NOTED_REP_MOST ? 0 : (uint8_t)rep_len;
    memcpy(noted->v[k].rep, rep, noted->v[k].rep_len);
}

/* Whether finding `finding` replaced something before noted->from too. */
static bool noted_before(const noted_edits *noted, uint32_t finding)
{
    for (size_t k = 0; k < noted->n_before; k++)
        if (noted->before[k] == finding)
            return true;
    return false;
}

/* Replaces normalized bytes [i, j) by rep, in place when the raw length matches. */
static int replace_range(scan_ctx *c, const text_view *v, size_t i, size_t j, const char *rep,
                         size_t rep_len)
{
    if (c->dry_run)
        return VEIL_OK;
    if (c->noted) {
        note_edit(c->noted, i, j, rep, rep_len, findings_so_far(c->findings));
        return VEIL_OK;
    }
    uint32_t a = text_raw_of(v, i), b = text_raw_of(v, j);
    if (b - a == rep_len) {
        memcpy(c->json + a, rep, rep_len);
        return VEIL_OK;
    }
    return edit_push(c->edits, a, b - a, rep, rep_len, v->raw_start + v->raw_len);
}

/* Character classes of the normalized text, one table lookup each. */
enum {
    C_DIGIT = 1,
    C_ALPHA = 2,
    C_PHONE_SEP = 4,  /* between a phone number's digits: space - . / ( ) */
    C_NUMBER_SEP = 8, /* between digits of a card or phone: those, + and blanks */
    C_LOCAL = 16,     /* an email local part's punctuation */
    C_NAME = 32,      /* inside a parameter name: _ - . [ ] and letters of other scripts */
    C_VALUE_END = 64, /* ends a parameter value: & ; # " , } ] and spaces */
    C_BASE64 = 128,   /* in a base64 word, either alphabet: letters, digits, + / - _ */
};

static const uint8_t CLASS[256] = {
    ['0' ... '9'] = C_DIGIT | C_BASE64,
    ['a' ... 'z'] = C_ALPHA | C_BASE64,
    ['A' ... 'Z'] = C_ALPHA | C_BASE64,
    [' '] = C_PHONE_SEP | C_NUMBER_SEP | C_VALUE_END,
    ['-'] = C_PHONE_SEP | C_NUMBER_SEP | C_LOCAL | C_NAME | C_BASE64,
    ['.'] = C_PHONE_SEP | C_NUMBER_SEP | C_LOCAL | C_NAME,
    ['/'] = C_PHONE_SEP | C_NUMBER_SEP | C_BASE64,
    ['('] = C_PHONE_SEP | C_NUMBER_SEP,
    [')'] = C_PHONE_SEP | C_NUMBER_SEP,
    ['+'] = C_NUMBER_SEP | C_LOCAL | C_BASE64,
    ['_'] = C_LOCAL | C_NAME | C_BASE64,
    ['['] = C_NAME,
    ['\\'] = C_NAME, /* an escape of JSON held in a string: "contrase\u00f1a" */
    [']'] = C_NAME | C_VALUE_END,
    ['!'] = C_LOCAL,
    ['#'] = C_LOCAL | C_VALUE_END,
    ['$'] = C_LOCAL,
    ['%'] = C_LOCAL,
    ['\''] = C_LOCAL,
    ['*'] = C_LOCAL,
    ['^'] = C_LOCAL,
    ['`'] = C_LOCAL,
    ['{'] = C_LOCAL,
    ['|'] = C_LOCAL,
    ['}'] = C_LOCAL | C_VALUE_END,
    ['~'] = C_LOCAL,
    ['&'] = C_VALUE_END,
    [';'] = C_VALUE_END,
    ['"'] = C_VALUE_END,
    [','] = C_VALUE_END,
    /* a card or phone pasted over lines: blanks join its groups like ' ' */
    ['\t'] = C_NUMBER_SEP | C_VALUE_END,
    ['\r'] = C_NUMBER_SEP | C_VALUE_END,
    ['\n'] = C_NUMBER_SEP | C_VALUE_END,
    ['\v'] = C_NUMBER_SEP,
    ['\f'] = C_NUMBER_SEP,
    [0x80 ... 0xff] = C_NAME, /* UTF-8: "contraseña", "пароль" */
};

static inline bool is_digit(uint8_t ch)
{
    return CLASS[ch] & C_DIGIT;
}

static inline bool is_alpha(uint8_t ch)
{
    return CLASS[ch] & C_ALPHA;
}

static inline bool is_alnum(uint8_t ch)
{
    return CLASS[ch] & (C_DIGIT | C_ALPHA);
}

static inline bool is_class(uint8_t ch, uint8_t cls)
{
    return CLASS[ch] & cls;
}

/* A blank between the words of a label and its value: a space, a tab (cells
 * copied), a line break (an indented template's: a page shows it as a
 * space), or the '+' form encoding writes for a space (a site search,
 * "?q=wifi+password+..."). */
static inline bool label_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '+';
}

/* A blank as HTML reads one: a run of them is drawn as one space. */
static inline bool html_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Where the run of blanks that ends at k starts, at most 64 bytes back: an
 * indented template's line break and indent between a label and its value
 * ("Security code:\n      737") are one gap, as the page shows them. */
static size_t blank_run_start(const text_view *v, size_t k)
{
    size_t from = k;
    while (from > 0 && k - from < 64 && html_blank(v->s[from - 1]))
        from--;
    return from;
}

/* Whether ch ends a URL written in text or markup. */
static bool url_end(uint8_t ch)
{
    return ch <= ' ' || ch == '"' || ch == '\'' || ch == '<' || ch == '>';
}

/* Bytes of the UTF-8 character at s[i] (1 for ASCII and stray bytes). */
static size_t char_len(const text_view *v, size_t i)
{
    uint8_t c = v->s[i];
    size_t k = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    return i + k <= v->n ? k : 1;
}

/* Replaces each decoded digit in [i, j) by '*'. */
static int mask_digits(scan_ctx *c, const text_view *v, size_t i, size_t j)
{
    for (size_t k = i; k < j; k++)
        if (is_digit(v->s[k])) {
            int err = replace_range(c, v, k, k + 1, "*", 1);
            if (err)
                return err;
        }
    return VEIL_OK;
}

/* Replaces every character in [i, j) but those in `keep` by one '*'. */
static int mask_chars(scan_ctx *c, const text_view *v, size_t i, size_t j, const char *keep)
{
    int err = VEIL_OK;
    for (size_t k = i; k < j && !err;) {
        size_t len = char_len(v, k);
        if (len > 1 || !v->s[k] || !strchr(keep, v->s[k]))
            err = replace_range(c, v, k, k + len, "*", 1);
        k += len;
    }
    return err;
}

static void count(scan_ctx *c, enum masker_finding kind)
{
    c->findings->count[kind]++;
}

/* ---- cards ----------------------------------------------------------------- */

typedef struct {
    scan_ctx *c;
    const text_view *v;
    bool found;
    size_t track_end; /* past the magnetic-stripe data or security code after a card, or 0 */
} card_hits;

/*
 * Where the rest of a magnetic-stripe track ends after the card that ends
 * at `to`, or 0: a card reader typing into a web point of sale writes
 * "%B<card>^NAME/GIVEN^YYMM<service code, CVV1...>?" (track 1) and
 * ";<card>=YYMM<...>?" (track 2). The name, expiry and discretionary data
 * are cardholder and authentication data too.
 */
static size_t track_rest(const text_view *v, size_t from, size_t to)
{
    size_t e = to + 1, most;
    if (to >= v->n)
        return 0;
    if (v->s[to] == '^' && from >= 2 && (v->s[from - 1] | 0x20) == 'b' && v->s[from - 2] == '%')
        most = 80; /* track 1 is at most 79 characters; typed, it may stop anywhere */
    else if (v->s[to] == '=' && e < v->n && is_digit(v->s[e]))
        most = 40; /* track 2, 40 */
    else
        return 0;
    while (e < v->n && e - from < most && v->s[e] != '?' &&
           (most == 80 ? v->s[e] >= ' ' : is_digit(v->s[e]) || v->s[e] == '='))
        e++;
    return e;
}

static size_t digits_run(const text_view *v, size_t k)
{
    size_t n = 0;
    while (k + n < v->n && is_digit(v->s[k + n]))
        n++;
    return n;
}

/* The length of the mark a locale sets between the thousands of a number
 * at k (Intl.NumberFormat's: "," in English, "." in German, a narrow
 * no-break space in French, read ' ' here, "'" or "’" in Swiss German,
 * "٬" in Arabic), or 0. */
static size_t thousands_mark_at(const text_view *v, size_t k)
{
    if (k >= v->n)
        return 0;
    switch (v->s[k]) {
    case ',':
    case '.':
    case ' ':
    case '\'':
        return 1;
    case 0xd9: /* U+066C */
        return k + 1 < v->n && v->s[k + 1] == 0xac ? 2 : 0;
    case 0xe2: /* U+2019 */
        return k + 2 < v->n && v->s[k + 1] == 0x80 && v->s[k + 2] == 0x99 ? 3 : 0;
    }
    return 0;
}

/* Whether the mark of len bytes at `mark` stands at k again, a digit after it. */
static bool mark_again(const text_view *v, size_t k, const uint8_t *mark, size_t len)
{
    if (k + len >= v->n || !is_digit(v->s[k + len]))
        return false;
    for (size_t j = 0; j < len; j++)
        if (v->s[k + j] != mark[j])
            return false;
    return true;
}

/* Whether a number's decimals follow at k (",00", ".50", "٫5"). */
static bool decimals_at(const text_view *v, size_t k)
{
    size_t mark = k < v->n && (v->s[k] == '.' || v->s[k] == ',')           ? 1
                  : k + 1 < v->n && v->s[k] == 0xd9 && v->s[k + 1] == 0xab ? 2
                                                                           : 0;
    return mark && k + mark < v->n && is_digit(v->s[k + mark]);
}

/*
 * A card number shown as a number in a locale's format, its thousands set
 * apart, as a page that keeps it in a number column prints it
 * (toLocaleString(): "4,111,111,111,111,111", "4.111.111.111.111.111",
 * "378 282 246 310 005", India's lakhs "41,11,11,11,11,11,111"): from the
 * digit i, a first group of 1-3 digits, then groups of 3 (or of 2 before a
 * last one of 3), the same mark between each, and no decimals after (an
 * amount). Returns its end, or 0.
 */
static inline size_t locale_grouped_card(const text_view *v, size_t i)
{
    size_t first = 0, mark, second;
    while (first < 4 && i + first < v->n && is_digit(v->s[i + first]))
        first++;
    const uint8_t *at = v->s + i + first; /* the mark, the same between every group */
    if (first > 3 || !(mark = thousands_mark_at(v, i + first)) ||
        (i > mark && is_digit(v->s[i - mark - 1]) && mark_again(v, i - mark, at, mark)) ||
        ((second = digits_run(v, i + first + mark)) != 2 && second != 3) ||
        !mark_again(v, i + first + mark + second, at, mark)) /* "$123.99 on": an amount */
        return 0;
    uint8_t d[19], sizes[19];
    size_t n = 0, groups = 0, k = i;
    for (;;) {
        size_t run = digits_run(v, k);
        if (n + run > 19)
            return 0;
        for (size_t j = 0; j < run; j++)
            d[n++] = (uint8_t)(v->s[k + j] - '0');
        sizes[groups++] = (uint8_t)run;
        k += run;
        if (!mark_again(v, k, at, mark))
            break;
        k += mark;
    }
    if (n < 12 || sizes[groups - 1] != 3 || decimals_at(v, k))
        return 0;
    bool thousands = true, lakhs = first <= 2;
    for (size_t g = 1; g + 1 < groups; g++) {
        thousands &= sizes[g] == 3;
        lakhs &= sizes[g] == 2;
    }
    return (thousands || lakhs) && card_number_ok(d, n) ? k : 0;
}

/* Past the blanks and delimiters between the fields of pasted card details
 * ("...|12/28|737", "... / 12/28 / 737", "... - 12/28 - 737", a search's
 * "...+12%2F28+737"). */
static size_t past_field_separators(const text_view *v, size_t k)
{
    while (k < v->n && (label_blank(v->s[k]) || v->s[k] == '|' || v->s[k] == ',' ||
                        v->s[k] == ';' || v->s[k] == ':' || v->s[k] == '/' || v->s[k] == '-'))
        k++;
    return k;
}

/*
 * A security code written after a card and its expiry, as a visitor pastes
 * the three ("4111 1111 1111 1111 12/29 737", "...|0329|737"): the 3-4
 * digits after an expiry MM/YY, MM/YYYY, MM-YY or MMYY that follows the
 * card at k, maybe after a word ("exp 12/29"). Its end, with its start in
 * *start; 0 if none.
 */
static size_t code_after_card(const text_view *v, size_t k, size_t *start)
{
    k = past_field_separators(v, k);
    size_t word = 0; /* "exp 12/29", "Ablauf: 12/29" */
    while (k + word < v->n && word < 10 && is_alpha(v->s[k + word]))
        word++;
    if (word && k + word < v->n && !is_digit(v->s[k + word]))
        k = past_field_separators(v, k + word + (v->s[k + word] == '.'));
    size_t month = digits_run(v, k), year = 0;
    if (month == 2 && k + 2 < v->n && (v->s[k + 2] == '/' || v->s[k + 2] == '-'))
        year = digits_run(v, k + 3);
    unsigned mm = month >= 2 ? (unsigned)(v->s[k] - '0') * 10 + (unsigned)(v->s[k + 1] - '0') : 0;
    if (mm < 1 || mm > 12 || !((month == 2 && (year == 2 || year == 4)) || month == 4))
        return 0;
    k = past_field_separators(v, k + (month == 4 ? 4 : 3 + year));
    size_t code = digits_run(v, k);
    if (code < 3 || code > 4)
        return 0;
    *start = k;
    return k + code;
}

static int on_card(void *user, uint32_t from, uint32_t to)
{
    card_hits *h = user;
    h->found = true;
    count(h->c, h->c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE);
    int err = mask_digits(h->c, h->v, from, to);
    size_t rest = track_rest(h->v, from, to), code, code_end;
    if (!err && rest) {
        err = mask_chars(h->c, h->v, to + 1, rest, "");
        h->track_end = rest;
    } else if (!err && (code_end = code_after_card(h->v, to, &code))) {
        count(h->c, MASKER_SECRET);
        err = mask_digits(h->c, h->v, code, code_end);
        h->track_end = code_end > h->track_end ? code_end : h->track_end;
    }
    return err;
}

/* The digits of [i, end) into d (at most CARD_ECHO_DIGITS); 0 when more. */
static size_t run_digits(const text_view *v, size_t i, size_t end, uint8_t *d)
{
    size_t n = 0;
    for (size_t k = i; k < end; k++)
        if (is_digit(v->s[k])) {
            if (n == CARD_ECHO_DIGITS)
                return 0;
            d[n++] = v->s[k];
        }
    return n;
}

/* Notes the digits of a value typed into a card field, or of a card typed
 * elsewhere, at [i, end): 3 or more (a code, an expiry, a number). */
static void note_typed_card(scan_ctx *c, const text_view *v, size_t i, size_t end)
{
    card_echoes *e = c->echoes;
    uint8_t d[CARD_ECHO_DIGITS];
    size_t n = e && !c->in_base64 ? run_digits(v, i, end, d) : 0;
    if (n < 3)
        return;
    for (size_t k = 0; k < CARD_ECHOES; k++) /* typed on: the longer value replaces its start */
        if (e->n[k] && !memcmp(e->digits[k], d, e->n[k] < n ? e->n[k] : n)) {
            if (n > e->n[k]) {
                memcpy(e->digits[k], d, n);
                e->n[k] = (uint8_t)n;
                e->noted++;
            }
            return;
        }
    memcpy(e->digits[e->next], d, n);
    e->n[e->next] = (uint8_t)n;
    e->next = (uint8_t)((e->next + 1) % CARD_ECHOES);
    e->noted++;
}

/* Whether [i, end) is all v shows: no letter or digit (of any script)
 * outside it, only blanks and placeholders ("737", "12/\u2022\u2022"). */
static bool stands_alone(const text_view *v, size_t i, size_t end)
{
    for (size_t k = 0; k < v->n; k++)
        if ((k < i || k >= end) && (is_alnum(v->s[k]) || v->s[k] >= 0x80))
            return false;
    return true;
}

/*
 * Whether the digits of [i, end) show what was typed into a card field of
 * this session, as a page's live picture of the card does: CARD_ECHO_MIN or
 * more digits of a typed number in a row ("4111 1111 1111 111\u2022"), or
 * a 3-4 digit code or expiry as typed (or its start) that is all its
 * string shows (the back of the picture: "737", "12/29").
 */
static bool echoes_typed_card(const scan_ctx *c, const text_view *v, size_t i, size_t end)
{
    const card_echoes *e = c->echoes;
    uint8_t d[CARD_ECHO_DIGITS];
    size_t n = run_digits(v, i, end, d);
    if (n < 3 || (n < CARD_ECHO_MIN && (n > 4 || !stands_alone(v, i, end))))
        return false;
    for (size_t k = 0; k < CARD_ECHOES; k++) {
        if (n >= CARD_ECHO_MIN ? e->n[k] >= n && memmem(e->digits[k], e->n[k], d, n)
                               : e->n[k] >= n && e->n[k] <= 4 && !memcmp(e->digits[k], d, n))
            return true;
    }
    return false;
}

/*
 * A value the visitor is typing: a card is masked from its seventh digit
 * on, so no keystroke shows more than a 6-digit BIN. The chain's digits,
 * whatever the size of its groups, are taken as one number.
 */
static int typed_card(scan_ctx *c, const text_view *v, size_t i, size_t end, bool *masked)
{
    uint8_t first[6];
    size_t digits = 0;
    for (size_t k = i; k < end; k++)
        if (is_digit(v->s[k]) && digits++ < 6)
            first[digits - 1] = (uint8_t)(v->s[k] - '0');
    if (digits < 7 || !card_iin_prefix_ok(first, 6))
        return VEIL_OK;
    note_typed_card(c, v, i, end);
    count(c, c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE);
    *masked = true;
    return mask_digits(c, v, i, end);
}

enum { CARD_PICTURE_MOST = 19 }; /* a card's digits, at most */

/* Whether ch may start a placeholder a card's picture shows for a digit
 * not yet typed (digit_placeholders_at()). */
static inline bool might_be_placeholder(uint8_t ch)
{
    return ch == '.' || ch == '*' || ch == 'X' || ch == 'x' || ch == '#' || ch == '_' || ch == 0xE2;
}

/* How many placeholders for digits not yet typed a card's picture shows
 * from v[k] ("*", "X", "#", "_", "\u25cf"; bullets and middle dots, which
 * the view reads as '.', unless one stands between digits as a separator),
 * and into *len their bytes; 0 for none. */
static size_t digit_placeholders_at(const text_view *v, size_t k, size_t *len)
{
    uint8_t ch = v->s[k];
    if (ch == '.') {
        size_t dots = 0;
        while (k + dots < v->n && v->s[k + dots] == '.')
            dots++;
        bool separates = dots == 1 && k + 1 < v->n && is_digit(v->s[k + 1]);
        return separates ? 0 : (*len = dots);
    }
    if (ch == 0xE2) { /* of the 3-byte characters, only U+25CF BLACK CIRCLE */
        bool black_circle = k + 2 < v->n && v->s[k + 1] == 0x97 && v->s[k + 2] == 0x8F;
        return black_circle ? (*len = 3, 1) : 0;
    }
    return might_be_placeholder(ch) ? (*len = 1) : 0;
}

/*
 * Whether the digits at i are a card's picture filled in as it is typed
 * ("4000 0566 5566 \u2022\u2022\u2022\u2022", "5555 55XX XXXX XXXX":
 * react-credit-cards, card.js) that shows more than a card's first six and
 * last four digits: its digits and placeholders make a card's length, and
 * a digit stands among the middle ones. Its end goes into *end.
 */
static bool card_picture_at(const text_view *v, size_t i, size_t *end)
{
    uint8_t first[6];
    size_t positions = 0, digits = 0, placeholders = 0, stop = i;
    uint32_t digit_at = 0; /* bit p: position p shows a digit */
    for (size_t k = i, step, shown; k < v->n && positions <= CARD_PICTURE_MOST; k += step) {
        if (is_digit(v->s[k])) {
            if (digits < sizeof first)
                first[digits] = (uint8_t)(v->s[k] - '0');
            digits++;
            digit_at |= 1u << positions++;
            step = 1;
        } else if ((shown = digit_placeholders_at(v, k, &step)) != 0) {
            placeholders += shown;
            positions += shown;
        } else if (v->s[k] == ' ' || v->s[k] == '-') {
            step = 1;
            continue;
        } else {
            break;
        }
        stop = k + step;
    }
    if (!placeholders || positions < 13 || positions > CARD_PICTURE_MOST || digits < 7 ||
        (stop < v->n && is_alnum(v->s[stop])) || !card_iin_prefix_ok(first, 6))
        return false;
    uint32_t middle = ((1u << (positions - 4)) - 1) & ~0x3Fu; /* the 7th to the 5th from last */
    *end = stop;
    return (digit_at & middle) != 0;
}

/* ---- bank accounts ----------------------------------------------------------- */

/* The length of each country's IBAN, by its ISO 3166 code: SWIFT's IBAN
 * registry, as Wikipedia's "International Bank Account Number" lists it
 * (2024), and the countries the registry added from 2021 on (Burundi,
 * Djibouti, Falklands, Honduras, Libya, Mongolia, Nicaragua, Oman, Russia,
 * Somalia, Sudan, Yemen), each length checked against the registry's
 * example passing mod 97. 0: no IBAN. */
#define IBAN(a, b, len) [a - 'A'][b - 'A'] = len
static const uint8_t IBAN_LENGTH[26][26] = {
    IBAN('A', 'D', 24), IBAN('A', 'E', 23), IBAN('A', 'L', 28), IBAN('A', 'T', 20),
    IBAN('A', 'Z', 28), IBAN('B', 'A', 20), IBAN('B', 'E', 16), IBAN('B', 'G', 22),
    IBAN('B', 'H', 22), IBAN('B', 'I', 27), IBAN('B', 'R', 29), IBAN('B', 'Y', 28),
    IBAN('C', 'H', 21), IBAN('C', 'R', 22), IBAN('C', 'Y', 28), IBAN('C', 'Z', 24),
    IBAN('D', 'E', 22), IBAN('D', 'J', 27), IBAN('D', 'K', 18), IBAN('D', 'O', 28),
    IBAN('E', 'E', 20), IBAN('E', 'G', 29), IBAN('E', 'S', 24), IBAN('F', 'I', 18),
    IBAN('F', 'K', 18), IBAN('F', 'O', 18), IBAN('F', 'R', 27), IBAN('G', 'B', 22),
    IBAN('G', 'E', 22), IBAN('G', 'I', 23), IBAN('G', 'L', 18), IBAN('G', 'R', 27),
    IBAN('G', 'T', 28), IBAN('H', 'N', 28), IBAN('H', 'R', 21), IBAN('H', 'U', 28),
    IBAN('I', 'E', 22), IBAN('I', 'L', 23), IBAN('I', 'Q', 23), IBAN('I', 'S', 26),
    IBAN('I', 'T', 27), IBAN('J', 'O', 30), IBAN('K', 'W', 30), IBAN('K', 'Z', 20),
    IBAN('L', 'B', 28), IBAN('L', 'C', 32), IBAN('L', 'I', 21), IBAN('L', 'T', 20),
    IBAN('L', 'U', 20), IBAN('L', 'V', 21), IBAN('L', 'Y', 25), IBAN('M', 'C', 27),
    IBAN('M', 'D', 24), IBAN('M', 'E', 22), IBAN('M', 'K', 19), IBAN('M', 'N', 20),
    IBAN('M', 'R', 27), IBAN('M', 'T', 31), IBAN('M', 'U', 30), IBAN('N', 'I', 28),
    IBAN('N', 'L', 18), IBAN('N', 'O', 15), IBAN('O', 'M', 23), IBAN('P', 'K', 24),
    IBAN('P', 'L', 28), IBAN('P', 'S', 29), IBAN('P', 'T', 25), IBAN('Q', 'A', 29),
    IBAN('R', 'O', 24), IBAN('R', 'S', 22), IBAN('R', 'U', 33), IBAN('S', 'A', 24),
    IBAN('S', 'C', 31), IBAN('S', 'D', 18), IBAN('S', 'E', 24), IBAN('S', 'I', 19),
    IBAN('S', 'K', 24), IBAN('S', 'M', 27), IBAN('S', 'O', 23), IBAN('S', 'T', 25),
    IBAN('S', 'V', 28), IBAN('T', 'L', 23), IBAN('T', 'N', 24), IBAN('T', 'R', 26),
    IBAN('U', 'A', 29), IBAN('V', 'A', 22), IBAN('V', 'G', 24), IBAN('X', 'K', 20),
    IBAN('Y', 'E', 30)};
#undef IBAN

static bool is_capital(uint8_t ch)
{
    return ch >= 'A' && ch <= 'Z';
}

/* A character of an IBAN or an identity number: a digit or a capital. */
static inline bool id_char(uint8_t ch)
{
    return is_digit(ch) || is_capital(ch);
}

/* Whether the IBAN's characters pass ISO 7064 mod 97-10: its first four
 * moved to its end, letters read as 10-35, the number leaves 1. */
static bool iban_checks(const uint8_t *ch, size_t n)
{
    unsigned rest = 0;
    for (size_t k = 0; k < n; k++) {
        uint8_t c = ch[(k + 4) % n];
        rest = is_digit(c) ? (rest * 10 + (unsigned)(c - '0')) % 97
                           : (rest * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rest == 1;
}

/* ASCII letter ch as a capital; any other byte as it is. */
static inline uint8_t capital_of(uint8_t ch)
{
    return ch >= 'a' && ch <= 'z' ? (uint8_t)(ch - ('a' - 'A')) : ch;
}

/*
 * An IBAN anywhere, labelled or not: a country's code, two check digits and
 * the account, of that country's length, compact or printed in groups of
 * four one blank apart ("DE89 3704 0044 0532 0130 00") or a run of up to
 * 64 (a template's line breaks and indentation), that passes its check;
 * its letters in either case, as a visitor types one into a support chat
 * ("my iban is es91 2100 ..."). A shop's payout page, an invoice, a
 * visitor paying by transfer shows or types one. iban_end(): where the one
 * whose first check digit is at i ends, or 0; iban_at() masks all of it
 * but the country's code and the blanks and dashes between its groups
 * (IBAN_KEPT).
 */
#define IBAN_KEPT " +-\t\n\r"

/* What iban_read() read of the IBAN whose first check digit is at i. */
typedef struct {
    uint8_t chars[34]; /* its letters as capitals */
    size_t n;          /* of them */
    size_t want;       /* its country's length; 0: no IBAN there */
    size_t stop;       /* where the reading stopped */
} iban_reading;

static inline __attribute__((always_inline)) void iban_read(const text_view *v, size_t i,
                                                            iban_reading *r)
{
    r->n = r->want = 0;
    r->stop = i;
    if (i < 2 || !is_capital(capital_of(v->s[i - 2])) || !is_capital(capital_of(v->s[i - 1])) ||
        (i > 2 && is_alnum(v->s[i - 3])))
        return;
    r->chars[0] = capital_of(v->s[i - 2]);
    r->chars[1] = capital_of(v->s[i - 1]);
    r->want = IBAN_LENGTH[r->chars[0] - 'A'][r->chars[1] - 'A'];
    size_t k = i;
    for (r->n = 2; r->want && r->n < r->want && k < v->n;) {
        uint8_t ch = capital_of(v->s[k]);
        if (id_char(ch)) {
            r->chars[r->n++] = ch;
            k++;
            continue;
        }
        /* blanks (a search's '+' too) only between groups of four; a run of
         * them, as a template's line breaks and indentation between the
         * groups' elements, draws as one space; or one '-', maybe between
         * blanks, as a visitor may type one ("DE89-3704-..." "DE89 - 3704") */
        size_t blanks = 0;
        while (k + blanks < v->n && blanks < 64 && label_blank(v->s[k + blanks]))
            blanks++;
        if (k + blanks < v->n && v->s[k + blanks] == '-' && blanks <= 1)
            for (blanks++; k + blanks < v->n && blanks < 3 && v->s[k + blanks] == ' ';)
                blanks++;
        if (!blanks || r->n % 4 || k + blanks >= v->n || !is_alnum(v->s[k + blanks]))
            break;
        k += blanks;
    }
    r->stop = k;
}

/* Whether reading r is a whole IBAN that passes its check. */
static inline __attribute__((always_inline)) bool iban_whole(const text_view *v,
                                                             const iban_reading *r)
{
    return r->want && r->n == r->want && !(r->stop < v->n && is_alnum(v->s[r->stop])) &&
           is_digit(r->chars[2]) && is_digit(r->chars[3]) && iban_checks(r->chars, r->n);
}

static inline __attribute__((always_inline)) size_t iban_end(const text_view *v, size_t i)
{
    iban_reading r;
    iban_read(v, i, &r);
    return iban_whole(v, &r) ? r.stop : 0;
}

size_t detect_iban_end(const text_view *v, size_t i)
{
    return iban_end(v, i);
}

/* Whether reading r is an IBAN being typed: its head and two characters or
 * more of the rest, up to the text's end but the blank or '-' typed after
 * a group (SCAN_TYPED: the keystrokes before the last would show its
 * groups). */
static bool iban_being_typed(const text_view *v, const iban_reading *r)
{
    size_t rest = r->stop;
    while (rest < v->n && (label_blank(v->s[rest]) || v->s[rest] == '-'))
        rest++;
    return r->want && r->n >= 6 && r->n < r->want && rest == v->n && is_digit(r->chars[2]) &&
           is_digit(r->chars[3]);
}

static __attribute__((noinline)) size_t iban_at(scan_ctx *c, const text_view *v, size_t i,
                                                enum scan_mode mode, int *err)
{
    iban_reading r;
    iban_read(v, i, &r);
    if (!iban_whole(v, &r) && !(mode == SCAN_TYPED && iban_being_typed(v, &r)))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, i, r.stop, IBAN_KEPT);
    return r.stop;
}

/* ---- IP addresses ---------------------------------------------------------- */

static bool is_hex(uint8_t ch)
{
    return hex_value(ch) >= 0;
}

static bool ident_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '_' || ch == '-' || ch >= 0x80;
}

typedef struct {
    size_t pos[4], end[4];
    size_t stop;
    uint8_t sep;       /* '.' or '-' */
    bool labelled;     /* after a host-name label and `sep` ("ip-10-...", "app.10...") */
    bool letter_label; /* after a one-letter label ("c-203-0-113-7") */
} quad;

/* The length of the host-name label that starts with a letter and ends
 * with the '-' or '.' before i ("ec2-", "ip-", Comcast's "c-", "pr-42."), or 0: a number
 * ("1-800-...") is none. One letter may also be an SVG path's command
 * ("s-43"): the caller tells them apart. */
static size_t label_before(const text_view *v, size_t i)
{
    size_t k = i - 1;
    bool dashes = v->s[k] == '.'; /* "pr-42." */
    while (k > 0 && (is_alnum(v->s[k - 1]) || (dashes && v->s[k - 1] == '-')))
        k--;
    return i - 1 > k && is_alpha(v->s[k]) ? i - 1 - k : 0;
}

/* Four decimal octets <= 255 joined by `sep`, not inside a longer number;
 * a host-name label may stand before ("ip-10-0-1-23", and
 * "app.10.0.1.23.nip.io" of the wildcard DNS services). */
static bool parse_quad(const text_view *v, size_t i, uint8_t sep, quad *q)
{
    size_t label = i > 1 && v->s[i - 1] == sep ? label_before(v, i) : 0;
    if (i > 0 && (is_digit(v->s[i - 1]) || (v->s[i - 1] == sep && !label)))
        return false;
    q->labelled = label > 0;
    q->letter_label = label == 1;
    for (int k = 0; k < 4; k++) {
        if (k) {
            if (i >= v->n || v->s[i] != sep)
                return false;
            i++;
        }
        size_t s = i;
        unsigned val = 0;
        while (i < v->n && is_digit(v->s[i]) && i - s < 3)
            val = val * 10 + (unsigned)(v->s[i++] - '0');
        if (i == s || val > 255 || (i < v->n && is_digit(v->s[i])))
            return false;
        q->pos[k] = s;
        q->end[k] = i;
    }
    if (i + 1 < v->n && v->s[i] == sep && is_digit(v->s[i + 1]))
        return false;
    q->stop = i;
    q->sep = sep;
    return true;
}

/* Whether the text at i continues a host name: ".label". */
static bool host_name_follows(const text_view *v, size_t i)
{
    return i + 1 < v->n && v->s[i] == '.' && is_alpha(v->s[i + 1]);
}

/* Whether the text at i reads `what` (lowercase ASCII), its letters in any
 * case: only letters are folded ("session_state" holds a '_', "://" a
 * byte that a control character would fold to). With `any_blank`, each
 * ' ' of `what` reads any label_blank(): a tab, or a search's '+'. */
static inline bool reads_at(const text_view *v, size_t i, const char *what, bool any_blank)
{
    size_t n = strlen(what);
    if (i + n > v->n)
        return false;
    for (size_t k = 0; k < n; k++) {
        uint8_t ch = v->s[i + k];
        if (any_blank && what[k] == ' '
                ? !label_blank(ch)
                : (ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch) != (uint8_t)what[k])
            return false;
    }
    return true;
}

static bool follows_text(const text_view *v, size_t i, const char *what)
{
    return reads_at(v, i, what, false);
}

/* follows_text() for a phrase whose blanks may be '+' ("482913+is+your+..."). */
static bool follows_phrase(const text_view *v, size_t i, const char *what)
{
    return reads_at(v, i, what, true);
}

/* Whether the labels before i ("app." of "app.10.0.0.1.nip.io") start a
 * host name: at the start of the text, after a blank, '@' or "//", not in
 * a URL's path ("/static/bundle.1.0.0.1.js"). */
static bool host_starts_name(const text_view *v, size_t i)
{
    size_t k = i;
    while (k > 0 && (is_alnum(v->s[k - 1]) || v->s[k - 1] == '-' || v->s[k - 1] == '.'))
        k--;
    return k == 0 || v->s[k - 1] != '/' || (k >= 2 && v->s[k - 2] == '/');
}

/* Whether an IPv4 written with dashes starts at i, and a host name follows. */
static bool dashed_ipv4_in_host(const text_view *v, size_t i)
{
    quad q;
    return parse_quad(v, i, '-', &q) && host_name_follows(v, q.stop);
}

static int zero_octets(scan_ctx *c, const text_view *v, const quad *q, int from, int to)
{
    for (int k = from; k < to; k++) {
        if (q->end[k] - q->pos[k] == 1 && v->s[q->pos[k]] == '0')
            continue;
        int err = replace_range(c, v, q->pos[k], q->end[k], "0", 1);
        if (err)
            return err;
    }
    return VEIL_OK;
}

/*
 * An IPv4 address at i: dotted, or with dashes inside a host name
 * ("ec2-203-0-113-195.compute...", "ip-10-0-1-23.ec2.internal"). The
 * octets written last are the ones the policy removes, unless the address
 * is written backwards: in a reverse-DNS name (".in-addr.arpa") the first
 * ones are; and where a host name embeds it in an unknown order both ends
 * go. Returns true (and *end) when it found one.
 */
static bool ipv4_at(scan_ctx *c, const text_view *v, size_t i, size_t *end, int *err)
{
    size_t run = i;
    while (run < v->n && is_digit(v->s[run]))
        run++;
    quad q;
    if (run - i > 3 || run >= v->n || !parse_quad(v, i, v->s[run], &q))
        return false;
    bool dotted = q.sep == '.';
    bool in_host = host_name_follows(v, q.stop);
    if (!dotted &&
        ((q.stop < v->n && is_alnum(v->s[q.stop])) ||
         (!in_host && (q.letter_label || !(i >= 2 && v->s[i - 1] == '-' && label_before(v, i))))))
        return false; /* "10-20-30-40" outside a host name: a code, not an address */
    if (dotted && q.labelled && !(in_host && host_starts_name(v, i)))
        return false; /* "bundle.1.0.0.1.js" of a URL path, "v1.2.3.4" */
    int n = c->policy->ip_octets;
    count(c, MASKER_IP);
    if (dotted && follows_text(v, q.stop, ".in-addr.arpa"))
        *err = zero_octets(c, v, &q, 0, n);
    else if (in_host && !(*err = zero_octets(c, v, &q, 0, n)))
        *err = zero_octets(c, v, &q, n > 4 - n ? n : 4 - n, 4); /* each octet once */
    else if (!in_host)
        *err = zero_octets(c, v, &q, 4 - n, 4);
    *end = q.stop;
    return true;
}

/* What the policy keeps of IPv4 address `address`: its first octets. */
static uint32_t kept_address(const scan_ctx *c, uint32_t address)
{
    return (uint32_t)(address & 0xffffffffull << (8 * c->policy->ip_octets));
}

/* One part of a URL's numeric host at [i, e): decimal, octal after a
 * leading 0, or hex after 0x, as browsers read it; false past 32 bits. */
static bool host_number(const text_view *v, size_t i, size_t e, uint64_t *value)
{
    unsigned radix = 10;
    if (e - i >= 2 && v->s[i] == '0' && (v->s[i + 1] | 0x20) == 'x')
        radix = 16, i += 2;
    else if (e - i >= 2 && v->s[i] == '0')
        radix = 8, i++;
    uint64_t x = 0;
    for (; i < e; i++) {
        uint8_t ch = v->s[i];
        unsigned d = is_digit(ch) ? (unsigned)(ch - '0') : (unsigned)((ch | 0x20) - 'a' + 10);
        if (!is_hex(ch) || d >= radix || (x = x * radix + d) > UINT32_MAX)
            return false;
    }
    *value = x;
    return true;
}

/* Whether a URL's host starts at i: after a scheme's "://", or a
 * protocol-relative "//" that starts a word ("//cdn.example/..."), not
 * "file:///" nor a path's "//". */
static inline __attribute__((always_inline)) bool url_host_starts(const text_view *v, size_t i)
{
    if (i < 2 || v->s[i - 1] != '/' || v->s[i - 2] != '/')
        return false;
    if (i == 2)
        return true;
    uint8_t before = v->s[i - 3];
    return before == ':' || before == ' ' || before == '"' || before == '\'' || before == '(' ||
           before == '=' || before == ',';
}

/* Whether a host of four decimal parts without leading zeros starts at i
 * ("127.0.0.1:8080", the most common numeric host): ipv4_at()'s. A glance,
 * before numeric_url_host() reads the parts. */
static bool dotted_decimal_host(const text_view *v, size_t i)
{
    size_t dots = 0;
    for (size_t k = i; k < v->n; k++) {
        uint8_t ch = v->s[k];
        if (ch == '.')
            dots++;
        else if (!is_digit(ch))
            return dots == 3 && !is_alpha(ch);
        else if (ch == '0' && (k == i || v->s[k - 1] == '.') && k + 1 < v->n &&
                 is_alnum(v->s[k + 1]))
            return false; /* octal or hex */
    }
    return dots == 3;
}

/*
 * A URL's host written as a number the browser reads as an IPv4 address,
 * right after "//": one to four parts, each decimal, octal or hex, the last
 * filling the bytes left ("http://3405803971/", "http://0xcb.0.0x71.0303/",
 * "http://203.0.29123/"). The four decimal octets are ipv4_at()'s. Written
 * again as the dotted address with the octets the policy zeroes set to 0.
 * Returns the host's end, or 0.
 */
static __attribute__((noinline)) size_t numeric_url_host(scan_ctx *c, const text_view *v, size_t i,
                                                         int *err)
{
    if (dotted_decimal_host(v, i))
        return 0;
    size_t e = i, parts = 0, plain = 0;
    uint64_t part[4], address = 0;
    for (size_t from = i; parts < 4; from = ++e) {
        while (e < v->n && is_alnum(v->s[e]))
            e++;
        if (e == from || !host_number(v, from, e, &part[parts]))
            return 0;
        plain += v->s[from] != '0' || e - from == 1;
        parts++;
        if (e >= v->n || v->s[e] != '.' || e + 1 >= v->n || !is_alnum(v->s[e + 1]))
            break;
    }
    if ((e < v->n && (is_alnum(v->s[e]) || v->s[e] == '.' || v->s[e] == '-' || v->s[e] == '@')) ||
        (parts == 4 && plain == 4))
        return 0;
    for (size_t k = 0; k < parts; k++) {
        uint64_t most = k + 1 < parts ? 255 : (uint64_t)UINT32_MAX >> (8 * (parts - 1));
        if (part[k] > most)
            return 0;
        address |= part[k] << (k + 1 < parts ? 8 * (3 - k) : 0);
    }
    count(c, MASKER_IP);
    if (!c->policy->ip_octets)
        return e;
    uint32_t kept = kept_address(c, (uint32_t)address);
    char dotted[16];
    int n = snprintf(dotted, sizeof dotted, "%u.%u.%u.%u", kept >> 24, kept >> 16 & 255,
                     kept >> 8 & 255, kept & 255);
    *err = replace_range(c, v, i, e, dotted, (size_t)n);
    return e;
}

static void zero_ip_bits(uint8_t *addr, size_t bytes, unsigned bits)
{
    for (size_t k = bytes; k-- > 0 && bits;) {
        unsigned take = bits < 8 ? bits : 8;
        addr[k] &= (uint8_t)(0xff << take);
        bits -= take;
    }
}

/* The low bits of an IPv6 address each ip_octets value zeroes. */
static const unsigned V6_BITS[5] = {0, 64, 80, 104, 128};

int masker_ip_truncate(const char *ip, int octets, char *out, size_t outlen)
{
    if (octets < 0 || octets > 4 || outlen < INET6_ADDRSTRLEN)
        return VEIL_EINVAL;
    uint8_t addr[16];
    if (inet_pton(AF_INET, ip, addr) == 1) {
        zero_ip_bits(addr, 4, (unsigned)octets * 8);
        return inet_ntop(AF_INET, addr, out, (socklen_t)outlen) ? VEIL_OK : VEIL_EINVAL;
    }
    if (inet_pton(AF_INET6, ip, addr) != 1)
        return VEIL_EINVAL;
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(addr, v4_mapped, 12))
        zero_ip_bits(addr, 16, (unsigned)octets * 8);
    else
        zero_ip_bits(addr, 16, V6_BITS[octets]);
    if (addr[0] == 0x20 && addr[1] == 0x02) /* 6to4: an IPv4 address in bytes 2-5 */
        zero_ip_bits(addr + 2, 4, (unsigned)octets * 8);
    return inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) ? VEIL_OK : VEIL_EINVAL;
}

/*
 * A reverse-DNS name of an IPv6 address: its 32 nibbles written backwards,
 * one a label, before ".ip6.arpa" ("4.3.3.7.0.7.3.0...8.b.d.0.1.0.0.2.ip6.arpa"),
 * around the digit at i. The nibbles written first are the address's last
 * bits: those the policy removes become 0. Returns the name's end, or 0.
 */
static size_t ipv6_reverse_name(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    enum { NIBBLES = 32, NAME = 2 * NIBBLES };
    size_t s = i;
    while (s >= 2 && v->s[s - 1] == '.' && is_hex(v->s[s - 2]) && i - s < NAME)
        s -= 2;
    if ((s > 0 && ident_char(v->s[s - 1])) || s + NAME + 8 > v->n ||
        !follows_text(v, s + NAME, "ip6.arpa"))
        return 0;
    for (size_t k = 0; k < NIBBLES; k++)
        if (!is_hex(v->s[s + 2 * k]) || v->s[s + 2 * k + 1] != '.')
            return 0;
    count(c, MASKER_IP);
    for (size_t k = 0; k < V6_BITS[c->policy->ip_octets] / 4 && !*err; k++)
        if (v->s[s + 2 * k] != '0')
            *err = replace_range(c, v, s + 2 * k, s + 2 * k + 1, "0", 1);
    return s + NAME + 8;
}

/*
 * An IPv6 address written with dashes for its colons in a host name, as
 * reverse and wildcard DNS write it ("2001-db8-85a3-0-0-8a2e-370-7334.ipv6
 * .example.net", sslip.io's "2001-db8--1.sslip.io" with "--" for "::"),
 * around the digit at i: truncated as the policy says, in the same form.
 * Returns its end, or 0.
 */
static size_t dashed_ipv6_in_host(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t s = i, e = i;
    while (s > 0 && i - s < 40 && (is_hex(v->s[s - 1]) || v->s[s - 1] == '-'))
        s--;
    while (e < v->n && e - s < 40 && (is_hex(v->s[e]) || v->s[e] == '-'))
        e++;
    if ((s > 0 && ident_char(v->s[s - 1]) && v->s[s - 1] != '-') || !host_name_follows(v, e) ||
        v->s[s] == '-' || e - s > 39)
        return 0;
    char text[40], masked[INET6_ADDRSTRLEN];
    size_t dashes = 0;
    bool letter = false; /* a hex letter or "--": not a date-time ("2024-01-02-10-30-...") */
    for (size_t k = s; k < e; k++) {
        dashes += v->s[k] == '-';
        letter |= is_alpha(v->s[k]) || (v->s[k] == '-' && k > s && v->s[k - 1] == '-');
        text[k - s] = v->s[k] == '-' ? ':' : (char)v->s[k];
    }
    text[e - s] = '\0';
    uint8_t addr[16];
    if (dashes < 2 || !letter || inet_pton(AF_INET6, text, addr) != 1 ||
        masker_ip_truncate(text, c->policy->ip_octets, masked, sizeof masked))
        return 0;
    count(c, MASKER_IP);
    for (char *p = masked; *p; p++)
        *p = *p == ':' ? '-' : *p;
    if (strlen(masked) != e - s || memcmp(masked, v->s + s, e - s))
        *err = replace_range(c, v, s, e, masked, strlen(masked));
    return e;
}

/*
 * IPv6 around the colon at i: the maximal run of hex digits, ':' and '.'
 * that is not part of a longer identifier (so CSS "a::before" is left
 * alone), without a leading label colon ("ip:2001:db8::1"). Returns the
 * normalized end offset, or 0 when there is none. Every colon of a run
 * reads the same run: one that held no address sets *none_to to its end,
 * and the run's later colons are not read again (a string of 4 MB of ':'
 * would be read 4 million times).
 */
static size_t try_ipv6(scan_ctx *c, const text_view *v, size_t i, size_t *none_to, int *err)
{
    if (i < *none_to)
        return 0;
    size_t s = i, e = i;
    while (s > 0 && (is_hex(v->s[s - 1]) || v->s[s - 1] == ':' || v->s[s - 1] == '.'))
        s--;
    while (e < v->n && (is_hex(v->s[e]) || v->s[e] == ':' || v->s[e] == '.'))
        e++;
    *none_to = e; /* unless it holds one: then the scan goes on past it */
    while (e > i + 1 && v->s[e - 1] == '.')
        e--;
    if (s > 0 && ident_char(v->s[s - 1]) && v->s[s - 1] != ':') /* "ipv6:2001:...": */
        while (s < i && v->s[s] != ':')                         /* a label ending in hex digits */
            s++;
    if (s < e && v->s[s] == ':' && (s + 1 >= e || v->s[s + 1] != ':'))
        s++; /* "ip:2001:..." - the colon is the label's */
    if ((s > 0 && ident_char(v->s[s - 1]) && v->s[s - 1] != ':') ||
        (e < v->n && ident_char(v->s[e])) || e <= s + 2 || e - s > 45)
        return 0;
    char text[48], masked[INET6_ADDRSTRLEN];
    memcpy(text, v->s + s, e - s);
    text[e - s] = '\0';
    const char *first = strchr(text, ':');
    if (!first || !strchr(first + 1, ':'))
        return 0; /* "12:30" and "a:b" are not addresses */
    if (masker_ip_truncate(text, c->policy->ip_octets, masked, sizeof masked))
        return 0;
    count(c, MASKER_IP);
    if (strcmp(masked, text))
        *err = replace_range(c, v, s, e, masked, strlen(masked));
    return e;
}

/* ---- emails and URL credentials ----------------------------------------------- */

/* What a URL's userinfo may hold as people write it: anything printable
 * but what ends the authority ('/', '?'), quotes, angle brackets and '@'
 * (a password's '#' or '^' is rarely encoded in a connection string). */
static bool userinfo_char(uint8_t ch)
{
    return ch > 0x20 && ch != 0x7f && !strchr("/?\"'<>\\@", ch);
}

/*
 * A password in a URL's userinfo (https://jane:hunter2@host/, a database
 * or proxy URL in a log): what lies between the first ':' after "://" and
 * the last '@' (the one at i; an '@' the view decoded from "%40" may come
 * before it) is masked whatever the policy. Returns i, or 0.
 */
static size_t try_userinfo_password(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    for (size_t k = i + 1; k < v->n && k - i < 256 && (userinfo_char(v->s[k]) || v->s[k] == '@');
         k++)
        if (v->s[k] == '@')
            return 0;
    size_t s = i, colon = 0;
    while (s > 0 && i - s < 256 && (userinfo_char(v->s[s - 1]) || v->s[s - 1] == '@'))
        if (v->s[--s] == ':')
            colon = s;
    if (!colon || colon + 1 == i || s < 3 || memcmp(v->s + s - 3, "://", 3))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, colon + 1, i, "");
    return i;
}

/* Local-part characters: RFC 5322 atext without the ones that delimit URL
 * parts (/ = ? &), plus every non-ASCII byte (internationalised addresses). */
static bool local_char(uint8_t ch)
{
    return ch >= 0x80 || is_class(ch, C_DIGIT | C_ALPHA | C_LOCAL);
}

static bool domain_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '-' || ch == '.' || ch >= 0x80;
}

/* File extensions (of images after "@2x", of files named after an address),
 * never a mail domain's TLD. */
static bool file_extension(const uint8_t *s, size_t n)
{
    static const char *const ext[] = {
        "png",  "jpg",   "jpeg", "gif", "webp", "avif", "svg", "ico",  "bmp", "tif", "tiff", "css",
        "js",   "mjs",   "json", "map", "html", "htm",  "xml", "txt",  "pdf", "mp4", "webm", "mp3",
        "woff", "woff2", "ttf",  "otf", "eot",  "csv",  "doc", "docx", "xls", "xlsx"};
    for (size_t k = 0; k < sizeof ext / sizeof ext[0]; k++)
        if (strlen(ext[k]) == n && ascii_word_is((const char *)s, n, ext[k]))
            return true;
    return false;
}

/* "2x.", "1.5x.": a retina image name's density, not a mail domain. */
static bool density_suffix(const text_view *v, size_t d)
{
    size_t k = d;
    while (k < v->n && is_digit(v->s[k]))
        k++;
    if (k > d && k + 1 < v->n && v->s[k] == '.' && is_digit(v->s[k + 1]))
        for (k++; k < v->n && is_digit(v->s[k]);)
            k++;
    return k > d && k + 1 < v->n && (v->s[k] | 0x20) == 'x' && v->s[k + 1] == '.';
}

/* The top-level label [t, e): letters (any script), or punycode "xn--...". */
static bool valid_tld(const text_view *v, size_t t, size_t e)
{
    if (e - t >= 4 && follows_text(v, t, "xn--"))
        return true;
    if (e - t < 2)
        return false;
    for (size_t k = t; k < e; k++)
        if (!is_alpha(v->s[k]) && v->s[k] < 0x80)
            return false;
    return true;
}

/* Past what cannot start the local part from s to the '@' at i: a '.', a
 * quote or a brace that opens what holds the address ('jane@...' in SQL or
 * code, `...`, {...}; an apostrophe inside it stays: o'brien@). */
static size_t local_part_trimmed(const text_view *v, size_t s, size_t i)
{
    while (s < i && (v->s[s] == '.' || v->s[s] == '\'' || v->s[s] == '`' || v->s[s] == '{'))
        s++;
    return s;
}

/* Whether an address's word may start right after byte ch: a blank, the
 * start of what holds it, or a label's ':' - not a URL's '/', '=', '&',
 * '?' or '%', whose marks would be a query's. */
static bool address_word_boundary(uint8_t ch)
{
    return html_blank(ch) || ch < 0x20 || (ch && strchr("(<>\"',;:[", ch));
}

/* The atext that also delimits a URL's query. */
static bool query_mark(uint8_t ch)
{
    return ch == '&' || ch == '?' || ch == '=';
}

/*
 * Where the local part that starts at s before the '@' at i starts when
 * it holds the atext that delimits a URL's query: '&' and '?' glued
 * between its characters ("john&jane@", "who?me@"), and a '=' of VERP's
 * bounce addresses ("bounces+jane=example.org@"), whose word holds no
 * query (no '=' beside a '&' or '?', no '=' without a '+' before it) and
 * starts at a blank. Otherwise s: "?to=jane@", "a=1&b=jane@" are queries.
 */
static size_t local_part_past_marks(const text_view *v, size_t s, size_t i)
{
    size_t w = s;
    bool query = false, equals = false, plus = false;
    while (w > 1 && i - w < 128 && query_mark(v->s[w - 1]) && local_char(v->s[w - 2])) {
        query |= v->s[w - 1] != '=';
        equals |= v->s[w - 1] == '=';
        for (w--; w > 0 && i - w < 128 && local_char(v->s[w - 1]);)
            plus |= v->s[--w] == '+';
    }
    if (w == s || (w > 0 && !address_word_boundary(v->s[w - 1])) || (equals && (query || !plus)))
        return s;
    return local_part_trimmed(v, w, i);
}

/* The start of the local part before the '@' at i (i: none). */
static size_t local_part_start(const text_view *v, size_t i)
{
    size_t s = i;
    while (s > 0 && i - s < 128 && local_char(v->s[s - 1]))
        s--;
    s = local_part_trimmed(v, s, i);
    return s > 1 && s < i && query_mark(v->s[s - 1]) ? local_part_past_marks(v, s, i) : s;
}

/* The start of a quoted local part ("jane doe"@example.com) before the '@'
 * at i: its opening quote, at a word's start (or after a site search's
 * '+': "?q=From+\"Jane+Doe\"@..."), at most 64 bytes back on the same
 * line, with a letter or digit between the quotes (not the '", "' of a
 * list); i: none. */
static size_t quoted_local_start(const text_view *v, size_t i)
{
    if (i < 3 || v->s[i - 1] != '"')
        return i;
    bool word = false;
    for (size_t s = i - 2; s > 0 && i - s <= 66; s--) {
        uint8_t ch = v->s[s - 1];
        if (ch == '"') {
            bool glued = s - 1 > 0 && local_char(v->s[s - 2]) && v->s[s - 2] != '+';
            return word && !glued ? s - 1 : i;
        }
        if (ch < 0x20)
            return i;
        word |= is_alnum(ch);
    }
    return i;
}

/* The end of an address literal domain ("jane@[203.0.113.5]",
 * "jane@[IPv6:2001:db8::1]") starting at d, past its ']'; d: none. */
static size_t literal_domain_end(const text_view *v, size_t d)
{
    if (d >= v->n || v->s[d] != '[')
        return d;
    size_t e = d + 1;
    while (e < v->n && e - d < 64 && (is_alnum(v->s[e]) || v->s[e] == '.' || v->s[e] == ':'))
        e++;
    return e < v->n && v->s[e] == ']' && e > d + 2 ? e + 1 : d;
}

/* The start of the last label of the domain (i, e) after the '@' at i. */
static size_t last_label(const text_view *v, size_t i, size_t e)
{
    while (e > i + 1 && v->s[e - 1] != '.')
        e--;
    return e;
}

/* Email around the '@' at i: masked whole but for '@' and '.'; an address
 * made a file name ("avatars/jane@example.com.png") keeps its extension.
 * Returns its end, or 0. */
/*
 * The email address around the '@' at i: its end, with its start in *start
 * and the characters its mask keeps in *keep ("@." or, for an address
 * literal, "@.[]"); 0 when there is none.
 */
static size_t email_span(const text_view *v, size_t i, size_t *start, const char **keep)
{
    size_t s = local_part_start(v, i);
    if (s == i)
        s = quoted_local_start(v, i);
    size_t e = literal_domain_end(v, i + 1);
    *start = s;
    *keep = "@.[]";
    if (s < i && e > i + 1)
        return e;
    while (e < v->n && domain_char(v->s[e]))
        e++;
    while (e > i + 1 && (v->s[e - 1] == '.' || v->s[e - 1] == '-'))
        e--;
    size_t tld = last_label(v, i, e);
    if (s == i || density_suffix(v, i + 1))
        return 0; /* no local part, or logo@2x.png */
    for (int k = 0; k < 3 && tld > i + 2 && file_extension(v->s + tld, e - tld); k++) {
        e = tld - 1; /* jane@example.com.png, jane@example.com.csv.json */
        tld = last_label(v, i, e);
    }
    if (tld <= i + 2 || !valid_tld(v, tld, e) || file_extension(v->s + tld, e - tld))
        return 0; /* no dot in the domain, or no top-level label */
    *keep = "@.";
    return e;
}

static size_t try_email(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t s;
    const char *keep;
    size_t e = email_span(v, i, &s, &keep);
    if (!e)
        return 0;
    count(c, MASKER_EMAIL);
    *err = mask_chars(c, v, s, e, keep);
    return e;
}

/* ---- text split by tags, in markup held in a string -------------------------- */

enum { MARKUP_SIDE_MOST = 64, MARKUP_TAG_MOST = 64 };

/* Whether v[from, to) is a tag of a phrasing element ("<b>", "</span>",
 * "<wbr/>", "<a href=...>") or a comment ("<!-- -->", as React writes
 * between texts): what a page may draw inside an address or a number.
 * <br> only with `breaks`: a line ends an address, not a card's groups. */
static bool phrasing_tag(const text_view *v, size_t from, size_t to, bool breaks)
{
    if (to - from >= 7 && !memcmp(v->s + from, "<!--", 4) && !memcmp(v->s + to - 3, "-->", 3))
        return true;
    size_t k = from + 1 + (v->s[from + 1] == '/'), name = k;
    while (k < to && is_alnum(v->s[k]))
        k++;
    uint8_t form = form_tag_named((const char *)v->s + name, k - name);
    bool br = k - name == 2 && (v->s[name] | 0x20) == 'b' && (v->s[name + 1] | 0x20) == 'r';
    return k > name && (breaks || !br) && form_inline(form);
}

/* The start of the phrasing tag that ends just before k ('>' at k - 1); 0: none. */
static size_t tag_before(const text_view *v, size_t k, bool breaks)
{
    for (size_t j = k - 1; j > 0 && k - j < MARKUP_TAG_MOST; j--)
        if (v->s[j - 1] == '<')
            return phrasing_tag(v, j - 1, k, breaks) ? j - 1 : 0;
        else if (v->s[j - 1] == '>')
            return 0;
    return 0;
}

/* The end of the phrasing tag that starts at k ('<'); 0: none. */
static size_t tag_after(const text_view *v, size_t k, bool breaks)
{
    for (size_t j = k + 1; j < v->n && j - k < MARKUP_TAG_MOST; j++)
        if (v->s[j] == '>')
            return phrasing_tag(v, k, j + 1, breaks) ? j + 1 : 0;
        else if (v->s[j] == '<')
            return 0;
    return 0;
}

/* Text read through tags: its characters, where each stands in v, and how
 * many tags came before it (its part). */
typedef struct {
    uint8_t s[3 * MARKUP_SIDE_MOST]; /* room for markup_spaced()'s blanks */
    uint32_t at[3 * MARKUP_SIDE_MOST];
    uint8_t part[3 * MARKUP_SIDE_MOST];
    size_t n;
    uint8_t parts;
} markup_text;

/* The characters `want` takes that end at k, read back through tags, onto
 * m in page order (m empty). */
static void markup_before(const text_view *v, size_t k, bool (*want)(uint8_t), bool breaks,
                          markup_text *m)
{
    uint32_t back[MARKUP_SIDE_MOST];
    uint8_t tags[MARKUP_SIDE_MOST], crossed = 0;
    size_t n = 0, tag;
    while (k > 0 && n < MARKUP_SIDE_MOST && crossed < 32) {
        if (v->s[k - 1] == '>' && (tag = tag_before(v, k, breaks)) != 0) {
            k = tag;
            crossed++;
        } else if (want(v->s[k - 1])) {
            tags[n] = crossed;
            back[n++] = (uint32_t)--k;
        } else {
            break;
        }
    }
    for (; n > 0; n--, m->n++) {
        m->at[m->n] = back[n - 1];
        m->s[m->n] = v->s[back[n - 1]];
        m->part[m->n] = (uint8_t)(crossed - tags[n - 1]);
    }
    m->parts = crossed;
}

/* The characters `want` takes from k on, read through tags, onto m. */
static void markup_from(const text_view *v, size_t k, bool (*want)(uint8_t), bool breaks,
                        markup_text *m)
{
    size_t most = m->n + MARKUP_SIDE_MOST, tag;
    while (k < v->n && m->n < most && m->parts < 64) {
        if (v->s[k] == '<' && (tag = tag_after(v, k, breaks)) != 0) {
            k = tag;
            m->parts++;
        } else if (want(v->s[k])) {
            m->at[m->n] = (uint32_t)k;
            m->part[m->n] = m->parts;
            m->s[m->n++] = v->s[k++];
        } else {
            break;
        }
    }
}

/* Where a blank stands that no character of v is (markup_spaced()). */
#define MARKUP_ADDED UINT32_MAX

/* Masks the characters of m in [from, to) where they stand in v, but those
 * in `keep` (NULL: digits only). */
static int mask_markup_span(scan_ctx *c, const text_view *v, const markup_text *m, size_t from,
                            size_t to, const char *keep)
{
    int err = VEIL_OK;
    for (size_t k = from, run = from; k < to && !err; k++) {
        if (m->at[k] == MARKUP_ADDED) {
            run = k + 1;
            continue;
        }
        if (k + 1 == to || m->at[k + 1] != m->at[k] + 1) { /* a run between two tags */
            err = keep ? mask_chars(c, v, m->at[run], m->at[k] + 1, keep)
                       : mask_digits(c, v, m->at[run], m->at[k] + 1);
            run = k + 1;
        }
    }
    return err;
}

/* m with a blank where a tag stands between two digits, into spaced; false
 * when there is no such place. Groups a page sets apart with CSS margins
 * ("<span>4111</span><span>1111</span>...") show apart, though their digits
 * meet in the markup. */
static bool markup_spaced(const markup_text *m, markup_text *spaced)
{
    bool met = false;
    spaced->n = 0;
    spaced->parts = m->parts;
    for (size_t k = 0; k < m->n && spaced->n < sizeof spaced->s; k++) {
        if (k > 0 && m->part[k] != m->part[k - 1] && is_digit(m->s[k]) && is_digit(m->s[k - 1])) {
            spaced->s[spaced->n] = ' ';
            spaced->at[spaced->n] = MARKUP_ADDED;
            spaced->part[spaced->n++] = m->part[k];
            met = true;
        }
        if (spaced->n < sizeof spaced->s) {
            spaced->s[spaced->n] = m->s[k];
            spaced->at[spaced->n] = m->at[k];
            spaced->part[spaced->n++] = m->part[k];
        }
    }
    return met;
}

/*
 * An address that markup held in a string splits with tags, as pages draw
 * one (an iframe's srcdoc, a template, a logged innerHTML):
 * "<b>jane.roe</b>@<i>example.com</i>", "jane.roe<wbr>@example.com". The
 * '@' at i has a tag beside it; the address is read without its tags and
 * its characters are masked where they are. Returns the end, or 0.
 */
static size_t try_email_in_markup(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    if (!((i > 0 && v->s[i - 1] == '>') || (i + 1 < v->n && v->s[i + 1] == '<')))
        return 0;
    markup_text m = {.n = 0};
    markup_before(v, i, local_char, false, &m);
    size_t at = m.n;
    m.at[m.n] = (uint32_t)i;
    m.part[m.n] = m.parts;
    m.s[m.n++] = '@';
    markup_from(v, i + 1, domain_char, false, &m);
    text_view joined = {.s = m.s, .n = m.n};
    size_t s, e;
    const char *keep;
    if (!m.parts || !(e = email_span(&joined, at, &s, &keep)))
        return 0;
    count(c, MASKER_EMAIL);
    *err = mask_markup_span(c, v, &m, s, e, keep);
    return m.at[e - 1] + 1;
}

/*
 * An email address the visitor is typing: once there is a local part and
 * an '@', the address so far is masked ("jane.roe@exam"), since the
 * keystrokes before its top-level label would show it all. Returns its end,
 * or 0.
 */
static size_t typed_email(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t s = local_part_start(v, i);
    if (s == i)
        return 0;
    size_t e = i + 1;
    while (e < v->n && domain_char(v->s[e]))
        e++;
    count(c, MASKER_EMAIL);
    *err = mask_chars(c, v, s, e, "@.");
    return e;
}

/* ---- phone numbers ------------------------------------------------------------- */

enum { PHONE_GROUPS = 8 };

typedef struct {
    size_t start, end; /* normalized offsets: the first and past the last digit */
    size_t digits;
    size_t groups;
    size_t group_pos[PHONE_GROUPS], group_len[PHONE_GROUPS];
    uint8_t seps[PHONE_GROUPS]; /* before each group after the first: its first non-space, or ' ' */
    bool open_paren;            /* a '(' right before the first digit */
    uint8_t singles;            /* groups of one digit */
} phone_shape;

/* Whether the '+' at k stands for a space between two groups of a number,
 * as a form-encoded URL or body writes one ("?q=555+123+4567",
 * "phone=%2B44+20+7946+0958"): a digit or ')' before it, a digit or '('
 * after it; or one side of a mark typed with a space on each side
 * ("20+-+7946", for "20 - 7946"). (The '+' that starts an international
 * number has neither.) */
static bool plus_between_groups(const text_view *v, size_t k)
{
    if (v->s[k] != '+' || k == 0 || k + 1 >= v->n)
        return false;
    uint8_t before = v->s[k - 1], after = v->s[k + 1];
    bool mark_after = after == '-' || after == '.' || after == '/';
    bool mark_before =
        (before == '-' || before == '.' || before == '/') && k >= 2 && v->s[k - 2] == '+';
    return ((is_digit(before) || before == ')') &&
            (is_digit(after) || after == '(' || mark_after)) ||
           (mark_before && is_digit(after));
}

/* Whether the group [g, k) is one of a number's single digits, which
 * is_phone() counts: not the trunk zero an international number keeps in
 * brackets before its area code ("+33 (0)6 12 34 56 78"), though the area
 * code after it may be one. */
static bool single_digit_group(const text_view *v, size_t g, size_t k)
{
    return k == g + 1 &&
           !(v->s[g] == '0' && g > 0 && v->s[g - 1] == '(' && k < v->n && v->s[k] == ')');
}

/* Whether the '(' at k opens the hours a contact page writes after a
 * phone number ("555-0123 (24/7)", "22 33 44 55 (9-17)"): 1-2 digits, '-'
 * or '/', 1-2 digits and ')'. No number reads on into them. */
static __attribute__((noinline)) bool hours_at(const text_view *v, size_t k)
{
    size_t e = k + 1;
    for (int part = 0; part < 2; part++) {
        size_t from = e;
        while (e < v->n && e - from < 3 && is_digit(v->s[e]))
            e++;
        if (e == from || e - from > 2 || e >= v->n)
            return false;
        uint8_t after = v->s[e++];
        if (part == 0 ? after != '-' && after != '/' : after != ')')
            return false;
    }
    return true;
}

/* Reads digits and the separators a phone number has: space - . / ( ),
 * and the '+' of form encoding, which reads as a space. */
static void read_phone(const text_view *v, size_t i, phone_shape *ph)
{
    memset(ph, 0, sizeof *ph);
    ph->start = i;
    ph->open_paren = i > 0 && v->s[i - 1] == '(';
    size_t k = i;
    for (;;) {
        size_t g = k;
        while (k < v->n && is_digit(v->s[k]))
            k++;
        ph->digits += k - g;
        ph->singles += single_digit_group(v, g, k);
        if (ph->groups < PHONE_GROUPS) {
            ph->group_pos[ph->groups] = g;
            ph->group_len[ph->groups] = k - g;
        }
        ph->groups++;
        ph->end = k;
        size_t s = k;
        uint8_t sep = ' ';
        while (k < v->n && k - s < 3 &&
               (is_class(v->s[k], C_PHONE_SEP) || plus_between_groups(v, k))) {
            if (sep == ' ' && v->s[k] != '+')
                sep = v->s[k];
            k++;
        }
        if (k == s || k >= v->n || !is_digit(v->s[k]) || ph->digits > 15 ||
            (v->s[k - 1] == '(' && hours_at(v, k - 1)))
            return;
        if (ph->groups < PHONE_GROUPS)
            ph->seps[ph->groups] = sep;
    }
}

/* North American: [1] NXX NXX XXXX with one kind of separator (or NXX NXX-XXXX),
 * or (NXX) NXX-XXXX. */
static bool nanp_shape(const text_view *v, const phone_shape *ph)
{
    size_t g = ph->groups == 4 && ph->group_len[0] == 1 && v->s[ph->start] == '1' ? 1 : 0;
    if (ph->groups - g != 3 || ph->group_len[g] != 3 || ph->group_len[g + 1] != 3 ||
        ph->group_len[g + 2] != 4)
        return false;
    if (v->s[ph->group_pos[g]] < '2') /* area codes start with 2-9 */
        return false;
    if (g == 0 && ph->open_paren && ph->seps[1] == ')')
        return true;                                                            /* (555) 123-4567 */
    bool spaced_then_dashed = ph->seps[g + 1] == ' ' && ph->seps[g + 2] == '-'; /* 415 555-0134 */
    return (ph->seps[g + 1] == ph->seps[g + 2] || spaced_then_dashed) &&
           (g == 0 || ph->seps[1] == ph->seps[2]);
}

/* Whether the number is n groups of these lengths with one separator
 * between them all. */
static bool groups_are(const phone_shape *ph, const uint8_t *lens, size_t n)
{
    if (ph->groups != n)
        return false;
    for (size_t g = 0; g < n; g++)
        if (ph->group_len[g] != lens[g] || (g > 1 && ph->seps[g] != ph->seps[1]))
            return false;
    return true;
}

/* How many groups of digits stand right before i, blanks alone between
 * them (up to 2): the number at i goes on a list ("ZIP 94105 94107
 * 94110" holds no mobile of India's 5-5). */
static size_t groups_before(const text_view *v, size_t i)
{
    size_t n = 0, k = i;
    while (n < 2) {
        size_t blank = k;
        while (k > 0 && (v->s[k - 1] == ' ' || v->s[k - 1] == '+'))
            k--;
        if (k == blank || k == 0 || !is_digit(v->s[k - 1]))
            break;
        while (k > 0 && is_digit(v->s[k - 1]))
            k--;
        n++;
    }
    return n;
}

/* National numbers written without a trunk prefix, in shapes of their own:
 * Brazil's (11) 91234-5678 and (11) 3456-7890, and its mobile without the
 * brackets, 11 91234-5678; China's mobile 138 0013 8000; Spain's mobile
 * 612 34 56 78; India's mobile 98765 43210. */
static bool national_shape(const text_view *v, const phone_shape *ph)
{
    const uint8_t *d = v->s + ph->start;
    if (ph->open_paren && ph->groups == 3 && ph->group_len[0] == 2 && d[0] != '0' &&
        ph->seps[1] == ')' && (ph->group_len[1] == 4 || ph->group_len[1] == 5) &&
        ph->group_len[2] == 4 && ph->seps[2] == '-')
        return true;
    if (!ph->open_paren && d[0] != '0' && ph->groups == 3 && ph->group_len[0] == 2 &&
        ph->group_len[1] == 5 && ph->group_len[2] == 4 && ph->seps[1] == ' ' &&
        ph->seps[2] == '-' && v->s[ph->group_pos[1]] == '9')
        return true;
    if (!ph->open_paren && d[0] >= '6' && groups_are(ph, (const uint8_t[]){5, 5}, 2) &&
        (ph->seps[1] == ' ' || ph->seps[1] == '-') && groups_before(v, ph->start) == 0)
        return true;
    if (!ph->open_paren && d[0] == '1' && d[1] >= '3' &&
        groups_are(ph, (const uint8_t[]){3, 4, 4}, 3))
        return true;
    return !ph->open_paren && (d[0] == '6' || d[0] == '7') &&
           groups_are(ph, (const uint8_t[]){3, 2, 2, 2}, 4);
}

/*
 * A phone number starting at digit i: "+" and 8-15 digits; "00" and a
 * country code; a national number with its leading-zero trunk prefix
 * (020 7946 0958, 06 12 34 56 78, 0612345678) or the trunk 8 of Russia
 * and its neighbours (8 (495) 123-45-67); a national shape without one
 * (national_shape()); or a North American 3-3-4 number. Dates, prices,
 * times and order numbers have none of these shapes.
 */
static bool is_phone(const text_view *v, size_t i, const phone_shape *ph)
{
    if (ph->singles > 1) /* "+33 6 12 34 56 78" has one; a matrix "1 0 0 0 0 1 0" many */
        return false;
    size_t lead = ph->open_paren ? i - 1 : i;
    bool plus = lead > 0 && v->s[lead - 1] == '+';
    size_t before = plus ? lead - 1 : lead;
    if (plus && before > 0 && is_alnum(v->s[before - 1]))
        plus = false; /* glued to a word, form encoding's blank: "?q=cell+(415)+555-0132" */
    else if (before > 0 && (is_alnum(v->s[before - 1]) || v->s[before - 1] == '.'))
        return false;
    if (ph->end < v->n && (is_alnum(v->s[ph->end]) || v->s[ph->end] == '@'))
        return false;
    const uint8_t *d = v->s + i;
    if (plus)
        return ph->digits >= 8 && ph->digits <= 15;
    if (d[0] == '0' && ph->digits >= 10 && ph->digits <= 15 && i + 2 < v->n && d[1] == '0' &&
        d[2] != '0')
        return true; /* 0044 20 7946 0958 */
    if (d[0] == '0' && i + 1 < v->n && d[1] != '0' && ph->digits >= 9 &&
        (ph->digits <= 11 || (ph->digits <= 13 && ph->groups >= 3) ||
         (ph->digits == 12 && ph->groups == 2 && ph->group_len[0] >= 3 && ph->group_len[0] <= 5)))
        return true; /* Indonesia's 0812-3456-7890, Germany's mobile 0151 12345678 */
    if (ph->group_len[0] == 3 && d[0] == '0' && d[1] == '1' && d[2] == '1' && ph->groups >= 3 &&
        ph->digits >= 12)
        return true; /* dialled from North America: 011 44 20 7946 0958 */
    if (national_shape(v, ph))
        return true;
    if (d[0] == '8' && ph->group_len[0] == 1 && ph->groups >= 3 && ph->digits == 11)
        return true; /* the trunk 8 of Russia and its neighbours: 8 (495) 123-45-67 */
    return nanp_shape(v, ph);
}

/* Whether digit i can begin any of is_phone()'s shapes: after '+' or '(',
 * a trunk or international 0, or a group of 3 digits (or the 1 of 1-800,
 * the 8 of 8 (495), Brazil's area code of 2, India's mobile's 5). */
static bool phone_may_start(const text_view *v, size_t i)
{
    if (v->s[i] == '0' || (i > 0 && (v->s[i - 1] == '+' || v->s[i - 1] == '(')))
        return true;
    size_t n = 0;
    while (i + n < v->n && is_digit(v->s[i + n]) && n < 4)
        n++;
    if (n == 4) /* five digits exactly, not a longer run */
        return i + 4 < v->n && is_digit(v->s[i + 4]) && (i + 5 == v->n || !is_digit(v->s[i + 5]));
    return n == 3 || (n == 2 && i + 3 < v->n && v->s[i + 3] == '9') ||
           (n == 1 && (v->s[i] == '1' || v->s[i] == '8'));
}

/* ph cut to its first `groups` groups. */
static void phone_head(const text_view *v, const phone_shape *ph, size_t groups, phone_shape *head)
{
    *head = *ph;
    head->groups = groups;
    head->end = ph->group_pos[groups - 1] + ph->group_len[groups - 1];
    head->digits = head->singles = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t pos = ph->group_pos[g], len = ph->group_len[g];
        head->digits += len;
        head->singles += single_digit_group(v, pos, pos + len);
    }
}

static bool phone_then_more(const text_view *v, size_t i, const phone_shape *ph, int depth,
                            size_t *end);

/* Whether a phone number starts at digit i; its end into *end. With
 * `depth` > 0, also one that more groups follow (phone_then_more()). */
static bool phone_read(const text_view *v, size_t i, int depth, size_t *end)
{
    phone_shape ph;
    read_phone(v, i, &ph);
    if (ph.digits >= 7 && is_phone(v, i, &ph)) {
        *end = ph.end;
        return true;
    }
    return depth > 0 && ph.groups >= 2 && ph.digits >= 14 && /* room for two numbers */
           phone_then_more(v, i, &ph, depth, end);
}

/*
 * A phone number at digit i that more digit groups follow, which read_phone()
 * read with it as one number too long for any shape: numbers in a row
 * ("415-555-0123 415-555-0199", "020 7946 0958 / 020 7946 0959"). Its first
 * groups are a phone where another phone starts right after them (read the
 * same way, to `depth` numbers in a row). Not where the separators merely
 * change: the figures of an SVG path ("8-23 15-21 51-66.5") would read as a
 * Russian number before a decimal.
 */
static bool phone_then_more(const text_view *v, size_t i, const phone_shape *ph, int depth,
                            size_t *end)
{
    size_t groups = ph->groups < PHONE_GROUPS ? ph->groups : PHONE_GROUPS, rest_end;
    for (size_t k = groups - 1; k >= 1; k--) {
        phone_shape head;
        phone_head(v, ph, k, &head);
        if (head.digits < 7 || !is_phone(v, i, &head))
            continue;
        if (phone_read(v, ph->group_pos[k], depth - 1, &rest_end)) {
            *end = head.end;
            return true;
        }
    }
    return false;
}

/* Whether a phone number starts at digit i, alone or with up to two
 * others after it; its end into *end. */
static bool phone_span(const text_view *v, size_t i, size_t *end)
{
    return phone_read(v, i, 2, end);
}

/* Whether the digit groups of [i, stop) are a date: day, month and year in
 * some order (01.02.2024, 2024-01-02, 01/15/2024), or written with '/'. */
static bool date_like(const text_view *v, size_t i, size_t stop)
{
    size_t len[4], n = 0;
    for (size_t k = i; k < stop && n < 4;) {
        size_t g = k;
        while (k < stop && is_digit(v->s[k]))
            k++;
        len[n++] = k - g;
        while (k < stop && !is_digit(v->s[k]))
            if (v->s[k++] == '/')
                return true;
    }
    return n == 3 && ((len[0] <= 2 && len[1] <= 2 && len[2] == 4) ||
                      (len[0] == 4 && len[1] <= 2 && len[2] <= 2));
}

/*
 * A phone number the visitor is typing, in a field that is not known to be
 * one: a cluster that starts like a phone (a trunk 0, a '+' or a '(' before
 * it, a group of three) is masked from its sixth digit on, since the
 * keystrokes before the number is whole would show all but its last digits.
 * A date is not taken for one.
 */
static int typed_phone(scan_ctx *c, const text_view *v, size_t i, size_t stop)
{
    if (!phone_may_start(v, i) || date_like(v, i, stop))
        return VEIL_OK;
    count(c, MASKER_PHONE);
    return mask_digits(c, v, i, stop);
}

/* ---- secrets named by their field --------------------------------------------- */

/* The name that ends right before i ("password" of "?password=" or of
 * "\"password\":"), as [*from, i). */
static bool name_before(const text_view *v, size_t i, size_t *from)
{
    size_t k = i;
    while (k > 0 && i - k < 64 && is_class(v->s[k - 1], C_DIGIT | C_ALPHA | C_NAME))
        k--;
    *from = k;
    return k < i;
}

/* Where the value after a name ends: at a delimiter of URLs, forms,
 * cookies and JSON. */
static size_t value_end(const text_view *v, size_t k, bool quoted)
{
    if (quoted) {
        while (k < v->n && v->s[k] != '"')
            k += v->s[k] == '\\' && k + 1 < v->n ? 2 : 1;
        return k;
    }
    while (k < v->n && v->s[k] && !is_class(v->s[k], C_VALUE_END))
        k++;
    return k;
}

/* The symbols a password holds beside credential_char()'s. */
static bool password_symbol(uint8_t ch)
{
    switch (ch) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '*':
    case '^':
    case '@':
    case '?':
    case '|':
        return true;
    }
    return false;
}

static bool credential_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '+' ||
           ch == '/' || ch == '=';
}

/* The length of the auth scheme and blank ("Bearer ", "Basic ", "Token ",
 * "Digest ", "Bearer+" in a site search's query) at k, or 0. */
static size_t auth_scheme_at(const text_view *v, size_t k)
{
    if (k >= v->n)
        return 0;
    switch (v->s[k] | 0x20) {
    case 'b':
        return follows_phrase(v, k, "bearer ") ? 7 : follows_phrase(v, k, "basic ") ? 6 : 0;
    case 't':
        return follows_phrase(v, k, "token ") ? 6 : 0;
    case 'd':
        return follows_phrase(v, k, "digest ") ? 7 : 0;
    }
    return 0;
}

/* Whether a blank (a search's '+' too) or '-' at k stands between two
 * groups of digits. */
static inline bool group_gap(const text_view *v, size_t k)
{
    return k > 0 && k + 1 < v->n && (label_blank(v->s[k]) || v->s[k] == '-') &&
           is_digit(v->s[k - 1]) && is_digit(v->s[k + 1]);
}

/* A code of 4 to 10 digits at s, or of two halves of 3 or 4 digits one
 * blank or '-' apart (an authenticator's "482 913", WhatsApp's "482-913"):
 * its end, or 0. Not the first group of a date, a price or a phone number
 * ("2026-11-05", "1299.00", "415 555 0187"). */
static inline size_t code_digits_at(const text_view *v, size_t s)
{
    size_t e = s;
    while (e < v->n && e - s <= 10 && is_digit(v->s[e]))
        e++;
    size_t half = e - s;
    if ((half == 3 || half == 4) && group_gap(v, e) && digits_run(v, e + 1) == half &&
        !group_gap(v, e + 1 + half))
        e += 1 + half;
    else if (half < 4 || half > 10)
        return 0;
    if (e < v->n && is_alnum(v->s[e]))
        return 0;
    bool joined = e + 1 < v->n &&
                  (v->s[e] == '-' || v->s[e] == '/' || v->s[e] == '.' || v->s[e] == ',') &&
                  is_digit(v->s[e + 1]);
    return joined ? 0 : e;
}

/* Where the word [k, e) told after a site search's '+' ends: at its first
 * '+' as written, a blank (form encoding writes the visitor's own '+' as
 * "%2B"); *digit says whether what is left holds a digit. */
static inline size_t query_word_end(const text_view *v, size_t k, size_t e, bool *digit)
{
    size_t end = k;
    *digit = false;
    while (end < e && !(v->s[end] == '+' && text_byte_is_raw(v, end)))
        *digit |= is_digit(v->s[end++]);
    return end;
}

/* The end of the word at k that may be a credential: letters, digits and
 * the symbols passwords hold ("Tr0ub4dor&3", "s3cr3t!x"), less the full
 * stop of a sentence it ends ("my PIN is 4471x9. Thanks"); into *digit
 * whether it holds a digit. After a '+' (a site search's query:
 * "?q=my+password+is+..."), a '+' as written ends it too
 * (query_word_end()). */
static inline __attribute__((always_inline)) size_t credential_word_end(const text_view *v,
                                                                        size_t k, bool *digit)
{
    size_t e = k;
    *digit = false;
    while (e < v->n && (credential_char(v->s[e]) || password_symbol(v->s[e])))
        *digit |= is_digit(v->s[e++]);
    if (k > 0 && v->s[k - 1] == '+')
        e = query_word_end(v, k, e, digit);
    if (e > k && v->s[e - 1] == '.' && (e == v->n || v->s[e] == ' ' || v->s[e] == '\n'))
        e--;
    return e;
}

static size_t digit_run_end(const text_view *v, size_t end);

/*
 * After "Name:" in a header line or a log ("Authorization: Bearer x1y2",
 * "token: ab12cd"), the value when it reads as a credential: one word of 6
 * or more characters with a digit in it, or a number in groups, maybe after
 * an auth scheme. Prose ("Password: at least 8 characters") is left alone.
 * [*start, end) or 0.
 */
static size_t header_value(const text_view *v, size_t k, size_t *start)
{
    while (k < v->n && label_blank(v->s[k]))
        k++;
    k += auth_scheme_at(v, k);
    bool digit;
    size_t e = credential_word_end(v, k, &digit);
    if (e > k && is_digit(v->s[k])) /* a number in groups: "Sort code: 20 00 00" */
        e = digit_run_end(v, e);
    size_t code = (e - k == 3 || e - k == 4) && group_gap(v, e) ? code_digits_at(v, k) : 0;
    *start = k; /* a code in two halves: "is 482 913" */
    return code > e ? code : e - k >= 6 && digit ? e : 0;
}

/*
 * The end of a value quoted with ', " or ` (Markdown's and JavaScript's
 * template quote) that starts at k, past blanks (label_blank()); *start is
 * its first byte.
 * 0 if none. JSON held in a string quotes with
 * \", and JSON held in a string in JSON held in a string with \\\" (a
 * request body logged as a string): the value ends at the same run of
 * backslashes and quote; any other run before a quote is its content.
 */
static size_t quoted_value(const text_view *v, size_t k, size_t *start)
{
    while (k < v->n && label_blank(v->s[k]))
        k++;
    size_t depth = backslashes_at(v, k); /* 0, 1, 3, 7...: the escapes of each level */
    uint8_t quote = k + depth < v->n ? v->s[k + depth] : 0;
    if (quote != '"' && !((quote == '\'' || quote == '`') && !depth))
        return 0;
    *start = k + depth + 1;
    for (size_t e = *start; e < v->n;) {
        size_t run = backslashes_at(v, e);
        if (run == depth && e + run < v->n && v->s[e + run] == quote)
            return e > *start ? e : 0;
        /* past a byte, or a run and, at the top level, the byte it escapes */
        e += run ? run + (depth == 0 && run % 2) : 1;
    }
    return 0;
}

/* Whether v[at, at + len) is `word`, in any case. */
static bool word_is(const text_view *v, size_t at, size_t len, const char *word)
{
    return ascii_word_is((const char *)v->s + at, len, word);
}

/* Where the closing quote (with the escapes of its level: \", \\\") that
 * starts at k ends, before `to`; 0 if none starts there. */
static size_t closing_quote_end(const text_view *v, size_t k, size_t to)
{
    size_t run = backslashes_at(v, k);
    return k + run < to && v->s[k + run] == '"' ? k + run + 1 : 0;
}

/* Whether the member whose key starts at the quote at q, in v[q, from), is
 * a pair's name (pair_name_key(): "name", "Key", "fieldName"...) whose
 * value names a secret: `"name": "password"`, or `\"name\": ...` a level
 * down. */
static bool member_names_secret(const text_view *v, size_t q, size_t from)
{
    size_t key = q + 1, key_end = key, s, start;
    while (key_end < from && v->s[key_end] != '\\' && /* the key's closing \" */
           is_class(v->s[key_end], C_ALPHA | C_DIGIT | C_NAME))
        key_end++;
    if (key_end == key || !(s = closing_quote_end(v, key_end, from)) ||
        !pair_name_key((const char *)v->s + key, key_end - key))
        return false;
    while (s < from && v->s[s] == ' ')
        s++;
    if (s >= from || v->s[s] != ':')
        return false;
    while (++s < from && v->s[s] == ' ')
        ;
    size_t e = quoted_value(v, s, &start);
    return e && e < from && value_name_like((const char *)v->s + start, e - start);
}

/*
 * Whether the JSON member whose name starts at `from` (a pair_value_key():
 * "value") follows a pair's name that names a secret in the same object:
 * the pairs of serializeArray(), HAR, AWS's APIs and API clients held in
 * a string ([{"name":"password","value":..}], {"Name": ..., "Value": ...}).
 */
static bool pair_named_secret(const text_view *v, size_t from)
{
    size_t k = from, stop = from > 256 ? from - 256 : 0;
    while (k > stop && v->s[k - 1] != '{')
        k--;
    for (const uint8_t *q = v->s + k; (q = memchr(q, '"', from - (size_t)(q - v->s))); q++)
        if (member_names_secret(v, (size_t)(q - v->s), from))
            return true;
    return false;
}

/* Whether the parameter v[start, end) of a form-encoded string is a pair's
 * name (pair_name_key()) whose value names a secret, with the `prefix`
 * bytes that v[from] starts with before its last '[' ("fields[0]" of
 * "fields[0][name]=password"), or none. */
static bool form_pair_name(const text_view *v, size_t start, size_t end, size_t from, size_t prefix)
{
    const uint8_t *eq = memchr(v->s + start, '=', end - start);
    if (!eq)
        return false;
    size_t name = start, name_end = (size_t)(eq - v->s), value = name_end + 1;
    if (prefix) { /* "fields[0]" "[" name "]" */
        if (name_end - start < prefix + 3 || memcmp(v->s + start, v->s + from, prefix) ||
            v->s[start + prefix] != '[' || v->s[name_end - 1] != ']')
            return false;
        name = start + prefix + 1;
        name_end--;
    }
    return pair_name_key((const char *)v->s + name, name_end - name) &&
           value_name_like((const char *)v->s + value, end - value);
}

/*
 * Whether the form-encoded parameter named v[from, name_end) is a pair's
 * value ("value", "fields[0][value]") whose name, a parameter before it
 * with the same prefix ("fields[0][name]=password"), names a secret: the
 * pairs of serializeArray() posted with jQuery.param() inside an object,
 * as WordPress's admin-ajax.php handlers receive them.
 */
static bool form_pair_named_secret(const text_view *v, size_t from, size_t name_end)
{
    size_t seg = from, seg_end = name_end, prefix = 0;
    if (v->s[name_end - 1] == ']') { /* its last segment */
        seg = seg_end = name_end - 1;
        while (seg > from && v->s[seg - 1] != '[')
            seg--;
        if (seg == from)
            return false;
        prefix = seg - 1 - from;
    }
    if (from == 0 || v->s[from - 1] != '&' ||
        !pair_value_key((const char *)v->s + seg, seg_end - seg))
        return false;
    size_t stop = from > 512 ? from - 512 : 0;
    for (size_t k = from - 1, n = 0; n < 16 && k > stop; n++) { /* v->s[k]: the '&' after one */
        size_t start = k;
        while (start > stop && v->s[start - 1] != '&' && v->s[start - 1] != '?')
            start--;
        if (form_pair_name(v, start, k, from, prefix))
            return true;
        if (start == 0 || v->s[start - 1] != '&')
            return false;
        k = start - 1;
    }
    return false;
}

/*
 * Where the name before the '=' or ':' at i ends: right before it, or
 * before the blanks, the ':' of ":=" and the quote between them, as
 * programs and configuration files write an assignment ("password =
 * ...", "api_token := ...", "'password' => ...", "password : ...", a tab
 * in an aligned file). A '+' is a blank when one follows the sign too: a
 * site search's query ("?q=password+%3D+..."), not a sum ("a+=b").
 */
static size_t assigned_name_end(const text_view *v, size_t i)
{
    size_t e = i - (v->s[i] == '=' && i > 0 && v->s[i - 1] == ':');
    bool plus = i + 1 < v->n && v->s[i + 1] == '+';
    while (e > 0 && i - e < 8 &&
           (v->s[e - 1] == ' ' || v->s[e - 1] == '\t' || v->s[e - 1] == '*' || /* "Password*:" */
            (plus && v->s[e - 1] == '+')))
        e--;
    if (e > 0 && (v->s[e - 1] == '\'' || v->s[e - 1] == '"'))
        e--;
    return e;
}

/*
 * The value assigned after the '=' whose next byte is at k: a quoted value
 * whole ("password = \"hunter 2\"", after blanks or "=>"); right after the
 * '=', anything up to a delimiter (URLs, forms, cookies:
 * "password=hunter2&..."); after blanks, only what reads as a credential
 * (see header_value()) and is not called or indexed: page text shows code,
 * and "secret_number = rand::thread_rng()" holds no secret. A '+' right
 * after the '=' is a blank when the name ended in one too (`plus_around`:
 * "password+=+..." of a search's query); "password=+x" is a value that
 * starts with a space. Its end, with its start in *start; 0 for none, and
 * for "==" (a comparison).
 */
static size_t assigned_value(const text_view *v, size_t k, bool plus_around, size_t *start)
{
    if (k < v->n && v->s[k] == '=')
        return 0;
    size_t at = k + (k < v->n && v->s[k] == '>');
    size_t end = quoted_value(v, at, start);
    if (end)
        return end;
    if (at == k && k < v->n && v->s[k] != ' ' && v->s[k] != '\t' &&
        !(plus_around && v->s[k] == '+')) {
        *start = k;
        end = value_end(v, k, false);
        return end > k ? end : 0;
    }
    end = header_value(v, at, start);
    return end && !(end < v->n && (v->s[end] == '(' || v->s[end] == '[')) ? end : 0;
}

/* Whether the word before [from, name_end) and it, one blank apart (a
 * space, a tab, a search's '+': label_blank()), name a secret as a label
 * in prose or a log does ("API key: ...", "Secret key: ...", "Access
 * token: ..."), where neither word alone does. */
static bool two_word_label_names_secret(const text_view *v, size_t from, size_t name_end)
{
    size_t first;
    return from >= 2 && label_blank(v->s[from - 1]) && name_before(v, from - 1, &first) &&
           secret_name_like((const char *)v->s + first, name_end - first);
}

/*
 * A value named like a secret: "password=..." and "token=..." in URLs,
 * form bodies and cookies, "\"password\":..." in JSON held in a string (a
 * network plugin's request body), and "Authorization: Bearer ..." in a raw
 * header block or a log line; a quoted value after an unquoted name
 * (GraphQL arguments, an object written out); the "value" of a pair whose
 * "name" names a secret. At the '=' or ':' at i.
 */
/*
 * Masks the object or array of JSON held in a string that opens at k, the
 * value of a secret's name ("password": {"new": ..., "confirm": ...}):
 * every string in it and every number or literal, keys too; its brackets,
 * colons, commas and quotes stay, so it is still JSON. A string's quote at
 * this level has `level` backslashes before it (0 in JSON held in a string,
 * 1 a level down); a bracket inside a string is masked with the string.
 * Returns its end, past the closing bracket (unclosed: the string's end).
 */
static __attribute__((noinline)) size_t mask_container(scan_ctx *c, const text_view *v, size_t k,
                                                       size_t level, int *err)
{
    size_t depth = 0;
    bool in_string = false;
    while (k < v->n && !*err) {
        uint8_t ch = v->s[k];
        size_t len = char_len(v, k), b = 0;
        while (ch == '"' && b < k && v->s[k - 1 - b] == '\\')
            b++;
        if (ch == '"' && b == level) {
            in_string = !in_string;
        } else if (in_string) {
            if (ch != '\\' || k + 1 >= v->n || v->s[k + 1] != '"') /* the next quote's */
                *err = replace_range(c, v, k, k + len, "*", 1);
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return k + 1;
        } else if (ch != ':' && ch != ',' && !label_blank(ch) && ch != '\r' && ch != '\n' &&
                   ch != '\\') {                            /* a search's '+' is a blank too */
            *err = replace_range(c, v, k, k + len, "*", 1); /* a number, true, null */
        }
        k += len;
    }
    return v->n;
}

/* The end of a value that ends in a digit group, past the groups that
 * follow it (a blank, a dash: "pan=4111 1111 1111 1111", a URL's %20 read
 * as a blank): to a person they are one value, and the groups after the
 * first must not survive its name. */
static size_t digit_run_end(const text_view *v, size_t end)
{
    while (end > 0 && end < v->n && is_digit(v->s[end - 1])) {
        size_t k = end;
        while (k < v->n && k - end < 3 && is_class(v->s[k], C_NUMBER_SEP))
            k++;
        if (k == end || k >= v->n || !is_digit(v->s[k]))
            break;
        while (k < v->n && is_digit(v->s[k]))
            k++;
        end = k;
    }
    return end;
}

/* The end of a value [start, end) after "Name:" past the values of its
 * shape listed after it, ", " apart ("Backup codes: 7731-2290, 4418-0092"),
 * or past the digit groups it goes on in (digit_run_end()). */
static size_t list_run_end(const text_view *v, size_t start, size_t end)
{
    size_t len = end - start;
    for (;;) {
        size_t next = end + (end + 1 < v->n && v->s[end] == ',' && v->s[end + 1] == ' ' ? 2 : 0);
        size_t e = next, digit = 0;
        while (e < v->n && e - next < len && (credential_char(v->s[e]) || password_symbol(v->s[e])))
            digit |= is_digit(v->s[e++]);
        if (next == end || e - next != len || !digit ||
            (e < v->n && (credential_char(v->s[e]) || password_symbol(v->s[e]))))
            return digit_run_end(v, end);
        end = e;
    }
}

/* Whether [from, to) is `word` (lowercase ASCII), in any case. */
static bool name_is(const text_view *v, size_t from, size_t to, const char *word)
{
    return to - from == strlen(word) && follows_text(v, from, word);
}

/*
 * Whether [s, e) reads as a random token: 16-512 characters of base64
 * (either alphabet, percent-encoded or not, and '.', '~', and the '|' a
 * WordPress sign-in cookie joins its parts with) with a digit and
 * two letters, whose kind (capital, small, digit) changes at one character
 * in three or more (base62, base64url, base36: "VJqkTb5mrBVhOWPDrWbG"), or
 * that are hex digits nearly throughout, one in eight a letter (a hex
 * token, a UUID). Words and slugs ("Release-Notes-v2", "ReleaseNotesVersion",
 * "article-12345678") change kind seldom and hold letters past 'f';
 * numbers with a word ("GA1.2.1234567890.1700000000") hold too few letters.
 */
static bool token_shaped(const text_view *v, size_t s, size_t e)
{
    size_t digits = 0, letters = 0, hex_letters = 0, changes = 0;
    int kind = -1; /* of the last alphanumeric: 0 capital, 1 small, 2 digit */
    if (e - s < 16 || e - s > 512)
        return false;
    for (size_t k = s; k < e; k++) {
        uint8_t ch = v->s[k];
        int now = ch >= 'A' && ch <= 'Z' ? 0 : ch >= 'a' && ch <= 'z' ? 1 : is_digit(ch) ? 2 : -1;
        if (now < 0 && (!ch || !strchr("-_.~%+/=|", ch)))
            return false;
        if (now < 0) {
            kind = -1; /* a separator: the next part starts afresh */
            continue;
        }
        changes += kind >= 0 && now != kind;
        kind = now;
        digits += now == 2;
        letters += now != 2;
        hex_letters += now != 2 && is_hex(ch);
    }
    size_t alnum = digits + letters, hex = digits + hex_letters;
    return digits && letters >= 2 &&
           (changes * 3 >= alnum ||
            (hex >= 16 && hex * 10 >= alnum * 9 && hex_letters * 8 >= alnum));
}

/* What the scan learned of the URL it last read a parameter of: [start,
 * end), and whether it is a sign-in's response (oauth_response()). */
typedef struct {
    size_t start, end;
    bool oauth;
} url_seen;

static bool starts_param(const text_view *v, size_t a, size_t k)
{
    return k == a || v->s[k - 1] == '?' || v->s[k - 1] == '&' || v->s[k - 1] == '#';
}

/* Whether the URL or form body [a, e) has a parameter named `name`. */
static bool url_has_param(const text_view *v, size_t a, size_t e, const char *name)
{
    size_t n = strlen(name);
    for (size_t k = a; k + n < e; k++)
        if (v->s[k + n] == '=' && starts_param(v, a, k) && name_is(v, k, k + n, name))
            return true;
    return false;
}

/* Whether the URL or form body [a, e) is an OAuth or OpenID response, or
 * the request a client then posts the code in for its tokens
 * ("grant_type=authorization_code&code=...&redirect_uri=..."). */
static bool oauth_response(const text_view *v, size_t a, size_t e)
{
    return url_has_param(v, a, e, "state") || url_has_param(v, a, e, "session_state") ||
           url_has_param(v, a, e, "scope") || url_has_param(v, a, e, "grant_type") ||
           url_has_param(v, a, e, "redirect_uri");
}

/* The URL around offset k (back and on to a blank, quote or angle bracket,
 * 2 KB at most each way), read once for all its parameters. */
static const url_seen *url_around(const text_view *v, size_t k, url_seen *seen)
{
    if (k >= seen->start && k < seen->end)
        return seen;
    size_t a = k, e = k;
    while (a > 0 && k - a < 2048 && !url_end(v->s[a - 1]))
        a--;
    while (e < v->n && e - k < 2048 && !url_end(v->s[e]))
        e++;
    *seen = (url_seen){a, e, oauth_response(v, a, e)};
    return seen;
}

/* The end of the value at k when it reads as a random token, or 0. */
static size_t token_value_end(const text_view *v, size_t k)
{
    size_t e = k; /* a token's length at most: a longer value is none */
    while (e < v->n && e - k <= 512 && !is_class(v->s[e], C_VALUE_END))
        e++;
    return token_shaped(v, k, e) ? e : 0;
}

/* Whether the name [from, to) holds "session" ("laravel_session",
 * "ci_session", Rails' "_shop_session", "MoodleSession"). */
static bool names_session(const text_view *v, size_t from, size_t to)
{
    for (size_t k = from; k + 7 <= to; k++)
        if (name_is(v, k, k + 7, "session"))
            return true;
    return false;
}

/*
 * Whether the pair [from, to)=value whose value starts at k holds a secret
 * only its place tells. An OAuth or OpenID sign-in returns to its callback
 * with an authorization `code` in the query or the fragment, beside the
 * `state` it was sent with (or a `session_state`, a `scope`): a recorder
 * keeps that URL in its Meta event. An Azure function's URL holds its key
 * as a `code` of 32 characters or more. A CAS service `ticket` ("ST-...")
 * and an Auth0 reset `ticket` hold a token too. Elsewhere "code" and
 * "ticket" name a promo code or a support case. A random token under a name
 * that holds "session" (a Shopify embedded app's, "laravel_session") or in
 * a cookie line ("; " before its name or after its value), which a page
 * that logs document.cookie writes whatever its framework names the
 * cookie, is one whatever its name.
 */
static bool capability_value(const text_view *v, size_t from, size_t to, size_t k, url_seen *seen)
{
    bool code = name_is(v, from, to, "code"), ticket = !code && name_is(v, from, to, "ticket");
    if (code || ticket) {
        const url_seen *url = url_around(v, from, seen);
        if (!starts_param(v, url->start, from))
            return false;
        size_t e = token_value_end(v, k);
        if (code) /* or an Azure function's key: a promo code is never that long */
            return url->oauth || (e && e - k >= 32);
        return e || follows_text(v, k, "st-") || follows_text(v, k, "pt-") ||
               follows_text(v, k, "pgt-");
    }
    bool cookie_before = from >= 2 && v->s[from - 2] == ';' && v->s[from - 1] == ' ';
    size_t e = token_value_end(v, k);
    return e && (cookie_before || names_session(v, from, to) ||
                 (e + 1 < v->n && v->s[e] == ';' && v->s[e + 1] == ' '));
}

/* Whether the member whose key's closing quote ends at q, before e, has a
 * quoted string value that passes `says`. */
static bool member_value_says(const text_view *v, size_t q, size_t e,
                              bool (*says)(const char *, size_t))
{
    size_t start, end;
    while (q < e && v->s[q] == ' ')
        q++;
    if (q >= e || v->s[q] != ':')
        return false;
    end = quoted_value(v, q + 1, &start);
    return end && end < e && says((const char *)v->s + start, end - start);
}

/* Whether v[a, e) holds a quoted key (`"name"`, or `\"name\"` a level
 * down) that is one of the siblings `sibling` names (in any case), with a
 * value that passes its test if it has one. */
static bool quoted_sibling_among(const text_view *v, size_t a, size_t e,
                                 const sibling_secret *sibling)
{
    for (size_t k = a; k < e; k++) {
        size_t s = k + 1, end = s, q;
        if (v->s[k] != '"')
            continue;
        while (end < e && (is_alnum(v->s[end]) || v->s[end] == '_' || v->s[end] == '-'))
            end++;
        if (end == s || !(q = closing_quote_end(v, end, e)))
            continue;
        for (size_t n = 0; sibling->siblings[n]; n++)
            if (ascii_word_is((const char *)v->s + s, end - s, sibling->siblings[n]) &&
                (!sibling->says || member_value_says(v, q, e, sibling->says)))
                return true;
    }
    return false;
}

static int scan_from(scan_ctx *c, const text_view *v, size_t i, enum scan_mode mode);

/* Whether the name [from, name_end) asks for a user's name and password
 * together: the word for password after a user's ("Username/password",
 * "User / Pass", "Benutzer & Passwort"), or "credentials", "creds",
 * "login". */
static bool names_credential_pair(const text_view *v, size_t from, size_t name_end)
{
    static const char *const USERS[] = {"user",         "username",   "login",   "email",
                                        "e-mail",       "benutzer",   "usuario", "utilisateur",
                                        "benutzername", "identifiant"};
    const char *name = (const char *)v->s + from;
    size_t n = name_end - from, k = from, w;
    if (ascii_word_is(name, n, "credentials") || ascii_word_is(name, n, "creds") ||
        ascii_word_is(name, n, "login"))
        return true;
    while (k > 0 && from - k < 3 &&
           (label_blank(v->s[k - 1]) || v->s[k - 1] == '/' || v->s[k - 1] == '&'))
        k--;
    for (w = k; w > 0 && k - w < 16 && (is_alpha(v->s[w - 1]) || v->s[w - 1] == '-');)
        w--;
    bool user = false; /* the user's word first: nearly no label has one */
    for (size_t u = 0; k < from && !user && u < sizeof USERS / sizeof USERS[0]; u++)
        user = ascii_word_is((const char *)v->s + w, k - w, USERS[u]);
    return user && (password_word(name, n) || ascii_word_is(name, n, "pass"));
}

/* Whether ch joins the two words of a user's name and password told as a
 * pair. */
static bool pair_joiner(uint8_t ch)
{
    return ch == '/' || ch == ':' || ch == ',' || ch == '|';
}

/* The second of two words told as a pair after k ("admin / Kestrel9vQ2",
 * "admin:Kestrel9vQ2", "admin, Kestrel9vQ2"): its end, its start in
 * *start; 0 for none. */
static size_t pair_second(const text_view *v, size_t k, size_t *start)
{
    while (k < v->n && label_blank(v->s[k]))
        k++;
    size_t j = k;
    while (j < v->n && v->s[j] > ' ' && !pair_joiner(v->s[j]))
        j++;
    if (j == k)
        return 0;
    while (j < v->n && label_blank(v->s[j]))
        j++;
    if (j >= v->n || !pair_joiner(v->s[j]))
        return 0;
    for (j++; j < v->n && label_blank(v->s[j]);)
        j++;
    bool digit; /* whatever it reads as: the label asked for a password */
    size_t e = credential_word_end(v, j, &digit);
    *start = j;
    return e > j ? e : 0;
}

/* Whether the JSON object held in a string around the member [from,
 * name_end) has a sibling beside which that member holds a secret
 * (sibling_secret_of(): {"code": "...", "state": "..."}). */
static bool json_sibling_secret(const text_view *v, size_t from, size_t name_end)
{
    const sibling_secret *sibling = sibling_secret_of((const char *)v->s + from, name_end - from);
    size_t a = from, e = from;
    if (!sibling)
        return false;
    while (a > 0 && from - a < 256 && v->s[a - 1] != '{')
        a--;
    while (e < v->n && e - from < 256 && v->s[e] != '}')
        e++;
    return quoted_sibling_among(v, a, e, sibling);
}

static inline __attribute__((always_inline)) size_t try_named_secret(scan_ctx *c,
                                                                     const text_view *v, size_t i,
                                                                     url_seen *url,
                                                                     enum scan_mode mode, int *err)
{
    bool json = v->s[i] == ':' && i > 1 && v->s[i - 1] == '"';
    bool header = v->s[i] == ':' && !json, pair = false;
    size_t k = i + 1, start = 0, end = 0;
    /* the value before the name: a stylesheet has a colon in every
     * declaration, and nearly none holds a credential. A log line's value
     * may follow its colon at once ("pw:" + pw), after a name's letter and
     * as a word: not a URL's "://" or port, nor code's "::". A quoted value
     * is a value whatever it looks like: GraphQL arguments, a JavaScript or
     * Python object written out ('password': 'hunter'). */
    if (header && !(end = quoted_value(v, k, &start))) {
        /* the value on the next line: "Password:\nKestrel9vQ2" (a <pre>, a note) */
        size_t line = k;
        while (line < v->n && line - k < 2 && (v->s[line] == '\n' || v->s[line] == '\r'))
            line++;
        k = line;
        bool glued = k < v->n && !label_blank(v->s[k]);
        if (glued &&
            !(i > 0 && (is_alpha(v->s[i - 1]) || v->s[i - 1] == ' ' || v->s[i - 1] == '*') &&
              is_alnum(v->s[k])))
            return 0;
        if (!(end = header_value(v, k, &start)) && !(pair = (end = pair_second(v, k, &start)) != 0))
            return 0;
    }
    size_t name_end = json ? i - 1 : assigned_name_end(v, i), from;
    while (json && name_end > 0 && v->s[name_end - 1] == '\\') /* \"value\": a level down */
        name_end--;
    if (!name_before(v, name_end, &from) || (json && (from == 0 || v->s[from - 1] != '"')))
        return 0;
    if (pair) { /* "Username/password: admin / ...": the second word */
        if (!names_credential_pair(v, from, name_end))
            return 0;
    } else if (!value_name_like((const char *)v->s + from, name_end - from) &&
               !(json && pair_value_key((const char *)v->s + from, name_end - from) &&
                 pair_named_secret(v, from - 1)) &&
               !(header && two_word_label_names_secret(v, from, name_end)) &&
               !(!json && !header && name_end == i &&
                 (capability_value(v, from, name_end, k, url) ||
                  form_pair_named_secret(v, from, name_end))) &&
               !(json && json_sibling_secret(v, from, name_end)))
        return 0;
    if (!header && !json && !(end = assigned_value(v, k, v->s[name_end] == '+', &start)))
        return 0;
    if (json && !(end = quoted_value(v, k, &start))) { /* "...", \"...\" a level down... */
        while (k < v->n && label_blank(v->s[k]))       /* "password"%3A+{...} */
            k++;
        start = k;
        if (k < v->n && (v->s[k] == '{' || v->s[k] == '[')) { /* {"new": ..., "confirm": ...} */
            count(c, MASKER_SECRET);
            end = mask_container(c, v, start, (size_t)(i - 1 - name_end), err);
            return end;
        }
        if ((k < v->n && v->s[k] == '\\') || (end = value_end(v, start, false)) == start)
            return 0; /* an empty \"\" one level down, or nothing */
    }
    if (pair) { /* the user's name (an email, a phone) is read as the scan would */
        text_view head = *v;
        head.n = start;
        if ((*err = scan_from(c, &head, k, mode)))
            return 0;
    }
    end = header ? list_run_end(v, start, end) : digit_run_end(v, end);
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/* Where the first blank line after k ends (a header block's end), looking
 * at most `most` bytes on, or 0. */
static size_t past_blank_line(const text_view *v, size_t k, size_t most)
{
    for (size_t e = k; e + 1 < v->n && e - k < most; e++) {
        if (v->s[e] != '\n')
            continue;
        size_t next = e + 1 + (v->s[e + 1] == '\r');
        if (next < v->n && v->s[next] == '\n')
            return next + 1;
    }
    return 0;
}

/*
 * A part of a multipart form body named like a secret: after
 * `name="password"` in its Content-Disposition header, the body of the part,
 * from the blank line that ends its headers to the line that starts the
 * next boundary ("\r\n--") or the end of the string. At the '=' at i.
 */
static size_t try_multipart_secret(scan_ctx *c, const text_view *v, size_t i, enum scan_mode mode,
                                   int *err)
{
    if (i < 4 || i + 2 >= v->n || v->s[i + 1] != '"' || !follows_text(v, i - 4, "name"))
        return 0;
    size_t from = i + 2, to = from;
    while (to < v->n && to - from < 64 && v->s[to] != '"')
        to++;
    if (to >= v->n || v->s[to] != '"' || !value_name_like((const char *)v->s + from, to - from))
        return 0;
    size_t start = past_blank_line(v, to, 512), end = start;
    if (!start)
        return 0;
    while (end < v->n &&
           !(v->s[end] == '\n' && end + 2 < v->n && v->s[end + 1] == '-' && v->s[end + 2] == '-'))
        end++;
    end -= end > start && v->s[end - 1] == '\r' && end < v->n;
    if (end == start)
        return 0;
    text_view headers = *v; /* the name and the rest of the part's headers: filename="..." */
    headers.n = start;
    if ((*err = scan_from(c, &headers, from, mode)))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/* Whether the value of attribute v[name, name + name_len) =
 * v[val, val + val_len) makes a field of markup a secret one. */
static bool secret_attribute(const text_view *v, size_t name, size_t name_len, size_t val,
                             size_t val_len)
{
    const char *value = (const char *)v->s + val;
    if (word_is(v, name, name_len, "type"))
        return word_is(v, val, val_len, "password");
    if (word_is(v, name, name_len, "name") || word_is(v, name, name_len, "id") ||
        word_is(v, name, name_len, "autocomplete"))
        return value_name_like(value, val_len) || card_like(value, val_len) ||
               (val_len >= 13 && memmem(value, val_len, "one-time-code", 13));
    if (word_is(v, name, name_len, "key")) /* .NET's <add key="DbPassword" value="..."/> */
        return value_name_like(value, val_len);
    return name_len >= 19 && follows_text(v, name, "data-veil-sensitive");
}

/*
 * Whether the tag v[open, close) of markup held in a string (an HTML
 * fragment in a response body, outerHTML in a console log, an iframe's
 * srcdoc) is a field whose value is a secret: a password input, a field
 * named or autocompleted like a secret or a card field, one marked
 * sensitive.
 */
static bool markup_field_secret(const text_view *v, size_t open, size_t close)
{
    bool secret = false;
    for (size_t k = open; k < close && !secret;) {
        while (k < close && !is_class(v->s[k], C_ALPHA))
            k++;
        size_t name = k;
        while (k < close && (is_class(v->s[k], C_ALPHA | C_DIGIT) || v->s[k] == '-'))
            k++;
        size_t name_len = k - name, val = k, val_end = k;
        if (k < close && v->s[k] == '=') {
            uint8_t quote = ++k < close && (v->s[k] == '"' || v->s[k] == '\'') ? v->s[k++] : 0;
            for (val = k; k < close && (quote ? v->s[k] != quote : v->s[k] != ' '); k++)
                ;
            val_end = k;
            k += quote && k < close;
        }
        secret = name_len && secret_attribute(v, name, name_len, val, val_end - val);
    }
    return secret;
}

/* The length of the attribute name before the '=' at i that holds what a
 * tag of markup says: "value" (a field) or "content" (a <meta>); else 0. */
static size_t markup_value_name(const text_view *v, size_t i)
{
    size_t n = i >= 6 && follows_text(v, i - 5, "value")     ? 5
               : i >= 8 && follows_text(v, i - 7, "content") ? 7
                                                             : 0;
    return n && !is_class(v->s[i - n - 1], C_ALPHA | C_NAME) ? n : 0;
}

/*
 * A value attribute in markup held in a string, of a field whose other
 * attributes make it a secret (`<input type=password value="...">`,
 * `<input name="cvc" value="737">`), or the content of a <meta> named like
 * one (`<meta name="csrf-token" content="...">`). At the '=' at i after
 * the attribute's name.
 */
static size_t try_markup_value(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t name = markup_value_name(v, i);
    if (!name)
        return 0;
    size_t open = i - name, close = i;
    while (open > 0 && i - open < 512 && v->s[open - 1] != '<' && v->s[open - 1] != '>')
        open--;
    if (open == 0 || v->s[open - 1] != '<')
        return 0;
    for (uint8_t quote = 0; close < v->n && close - i < 1024 && (quote || v->s[close] != '>');
         close++)
        if (v->s[close] == '"' || v->s[close] == '\'')
            quote = quote == v->s[close] ? 0 : quote ? quote : v->s[close];
    if (close >= v->n || v->s[close] != '>' || !markup_field_secret(v, open, close))
        return 0;
    size_t start = i + 1;
    start += start + 1 < close && v->s[start] == '\\'; /* \" of JSON held in the string */
    uint8_t quote =
        start < close && (v->s[start] == '"' || v->s[start] == '\'') ? v->s[start++] : 0;
    size_t end = start;
    while (end < close && (quote ? v->s[end] != quote : v->s[end] != ' ' && v->s[end] != '/'))
        end++;
    end -= quote && end > start && v->s[end - 1] == '\\';
    if (end == start)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/*
 * An XML element named like a secret ("<password>hunter2</password>",
 * "<ns:pin>", "<Password type=\"string\">"): its text, when the same name
 * closes it right after. At the '>' at i that ends the opening tag.
 */
static size_t try_xml_secret(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    /* a tag ends with its name or an attribute's quote: not "->", not " > " */
    if (i == 0 || !(is_alnum(v->s[i - 1]) || v->s[i - 1] == '"' || v->s[i - 1] == '\''))
        return 0;
    size_t open = i; /* the '<' of the tag, at most 128 bytes back */
    while (open > 0 && i - open < 128 && v->s[open - 1] != '<' && v->s[open - 1] != '>')
        open--;
    if (open == 0 || v->s[open - 1] != '<')
        return 0;
    size_t tag_end = open, name = open; /* prefix:name, then the local name alone */
    while (tag_end < i &&
           (is_class(v->s[tag_end], C_DIGIT | C_ALPHA | C_NAME) || v->s[tag_end] == ':')) {
        if (v->s[tag_end] == ':')
            name = tag_end + 1;
        tag_end++;
    }
    if (tag_end == name || (tag_end < i && v->s[tag_end] != ' ') ||
        !value_name_like((const char *)v->s + name, tag_end - name))
        return 0;
    size_t start = i + 1, end, tag = tag_end - open;
    bool cdata = v->n - start >= 12 && !memcmp(v->s + start, "<![CDATA[", 9);
    if (cdata) { /* "<password><![CDATA[...]]></password>": its text, the marks kept */
        const uint8_t *close = memmem(v->s + start + 9, v->n - start - 9, "]]>", 3);
        start += 9;
        end = close ? (size_t)(close - v->s) : start;
    } else {
        for (end = start; end < v->n && v->s[end] != '<';)
            end++;
    }
    size_t after = end + 3 * cdata; /* the closing tag's '<' */
    if (end == start || after + 2 + tag >= v->n || v->s[after] != '<' || v->s[after + 1] != '/' ||
        memcmp(v->s + after + 2, v->s + open, tag) || v->s[after + 2 + tag] != '>')
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/* ---- the scan ---------------------------------------------------------------- */

/* Digits a typed cluster needs before it may be a phone being typed. */
enum { TYPED_PHONE_DIGITS = 6 };

/* Next normalized offset >= i that may start something: a digit, '@', ':',
 * '=' or '>' (an XML element's text). */
static size_t next_candidate(const text_view *v, size_t i)
{
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), colon_offset = _mm_set1_epi8(':' - '0');
    const __m128i at = _mm_set1_epi8('@'), eq = _mm_set1_epi8('='), gt = _mm_set1_epi8('>');
    while (i + 16 <= v->n) {
        __m128i b = _mm_loadu_si128((const __m128i *)(v->s + i));
        __m128i d = _mm_sub_epi8(b, zero);
        __m128i digit_or_colon = _mm_cmpeq_epi8(_mm_min_epu8(d, colon_offset), d);
        __m128i signs = _mm_or_si128(_mm_cmpeq_epi8(b, at),
                                     _mm_or_si128(_mm_cmpeq_epi8(b, eq), _mm_cmpeq_epi8(b, gt)));
        int m = _mm_movemask_epi8(_mm_or_si128(digit_or_colon, signs));
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
#endif
    static const bool starts[256] = {
        ['0' ... ':'] = true, ['@'] = true, ['='] = true, ['>'] = true};
    while (i < v->n && !starts[v->s[i]])
        i++;
    return i;
}

/* A cluster: digit groups joined by what separates the groups of cards and
 * phone numbers (up to 7 of space - . / ( ) +), read once. */
typedef struct {
    size_t stop;       /* past its last digit */
    size_t last_group; /* where its last group of digits starts */
    size_t digits;     /* in all its groups */
    bool ip_shaped;    /* three groups of 1-3 digits in a row, each joined to
                        * the next by one '.' or '-': maybe an IPv4 address */
    bool dashed;       /* a '-' joins two of its groups, or stands at an end */
} cluster;

static size_t cluster_join_at(const text_view *v, size_t k)
{
    size_t j = k, most = 7;
    for (; j < v->n && j - k < most && is_class(v->s[j], C_NUMBER_SEP); j++)
        if (v->s[j] == '\n' || v->s[j] == '\r')
            most = CARD_LINE_BLANKS; /* a line break and the next line's indentation */
    return j > k && j < v->n && is_digit(v->s[j]) ? j - k : 0;
}

static void read_cluster(const text_view *v, size_t i, cluster *cl)
{
    *cl = (cluster){0};
    unsigned short_joins = 0;
    for (size_t k = i;;) {
        size_t g = k;
        while (k < v->n && is_digit(v->s[k]))
            k++;
        cl->digits += k - g;
        cl->stop = k;
        cl->last_group = g;
        bool short_join = k - g <= 3 && k + 1 < v->n && (v->s[k] == '.' || v->s[k] == '-') &&
                          is_digit(v->s[k + 1]);
        short_joins = short_join ? short_joins + 1 : 0;
        cl->ip_shaped |= short_joins >= 3;
        cl->dashed |= k < v->n && v->s[k] == '-';
        size_t join = cluster_join_at(v, k);
        if (!join || (VEIL_UNLIKELY(v->s[k + join - 1] == '(') && hours_at(v, k + join - 1)))
            return;
        k += join;
    }
}

/* The digit after the group at k and the separators after it, or stop. */
static size_t next_group(const text_view *v, size_t k, size_t stop)
{
    while (k < stop && is_digit(v->s[k]))
        k++;
    while (k < stop && !is_digit(v->s[k]))
        k++;
    return k;
}

/* Whether card_other_mark() stands at k, or after a blank there, and a
 * digit after it, or after a blank there. */
static inline bool card_other_mark_at(const text_view *v, size_t k)
{
    if (quoted_list_mark(v->s, k, v->n))
        return true;
    k += k + 1 < v->n && v->s[k] == ' ';
    if (k + 1 >= v->n || !card_other_mark(v->s[k]))
        return false;
    k += k + 2 < v->n && v->s[k + 1] == ' ';
    return is_digit(v->s[k + 1]);
}

/* Masks the card a chain of digit groups from i is when a comma, an
 * underscore or another of card_other_mark() joins some of them (the
 * cluster at i ends there): the whole chain, standing alone and printed as
 * a card (card_printed_whole()), since such marks join lists of numbers
 * far more often ("600,120,650,180", "100,200 300,400"); or, as it is
 * typed, what of a card it shows (typed_card()). Returns the chain's end
 * when it masked one, or 0. */
static __attribute__((noinline)) size_t cards_joined_by_other_marks(scan_ctx *c, const text_view *v,
                                                                    size_t i, enum scan_mode mode,
                                                                    int *err)
{
    size_t digits, chain_end = card_chain_end(v, i, &digits);
    if (!chain_end)
        return 0;
    card_hits hits = {c, v, false, 0};
    if (digits >= 12 && card_printed_whole(v, i, chain_end))
        *err = on_card(&hits, (uint32_t)i, (uint32_t)chain_end);
    else if (mode == SCAN_TYPED && digits_run(v, i) <= 6) /* a card typed in its groups */
        *err = typed_card(c, v, i, chain_end, &hits.found);
    if (!*err && !hits.found)
        return 0;
    return hits.track_end > chain_end ? hits.track_end : chain_end;
}

/*
 * Masks each card printed as a locale's number (locale_grouped_card()) that
 * starts at a group of the cluster at i, what stands before each read
 * alone (a date, a phone: "2026-11-05 4,111,...", "12 4.111.111..."), in
 * one pass over the cluster. Returns the end of the last, or 0.
 */
static __attribute__((noinline)) size_t locale_cards_in_cluster(scan_ctx *c, const text_view *v,
                                                                size_t i, const cluster *cl,
                                                                enum scan_mode mode, int *err)
{
    size_t read_to = i;
    for (size_t g = i; g < cl->stop && !*err; g = next_group(v, g, cl->stop)) {
        size_t card_end = locale_grouped_card(v, g);
        if (!card_end)
            continue;
        text_view head = *v;
        head.n = g;
        if (g > read_to && (*err = scan_from(c, &head, read_to, mode)))
            break;
        card_hits hits = {c, v, false, 0};
        *err = on_card(&hits, (uint32_t)g, (uint32_t)card_end);
        g = read_to = hits.track_end > card_end ? hits.track_end : card_end;
    }
    return read_to > i ? read_to : 0;
}

/* An IPv4 address at one of the cluster's groups is masked, and ends the
 * cluster there (*end past the address). */
static int ip_in_cluster(scan_ctx *c, const text_view *v, size_t i, cluster *cl, size_t *end)
{
    int err = VEIL_OK;
    for (size_t g = i; g < cl->stop; g = next_group(v, g, cl->stop)) {
        if (ipv4_at(c, v, g, end, &err)) {
            cl->stop = g;
            return err;
        }
    }
    return err;
}

/* Whether [i, end) is North America's 3-3-4 with blanks alone between its
 * groups ("898 986 1344"). */
static bool spaced_nanp(const text_view *v, size_t i, size_t end)
{
    static const size_t lens[] = {3, 3, 4};
    size_t k = i;
    for (size_t g = 0; g < 3; g++) {
        size_t from = k;
        while (k < end && is_digit(v->s[k]))
            k++;
        if (k - from != lens[g])
            return false;
        while (k < end && (v->s[k] == ' ' || v->s[k] == '+'))
            k++;
    }
    return k == end;
}

/*
 * Phone numbers that start at any group of [i, stop). One of North
 * America's spaced 3-3-4 that ends a list of numbers joined by blanks (two
 * groups or more before it, and no phone: "Totals 1430 1811 898 986 1344")
 * is the list's last three numbers, as often as not.
 */
static int phones_in_cluster(scan_ctx *c, const text_view *v, size_t i, size_t stop, size_t *end,
                             bool *found)
{
    size_t after_phone = SIZE_MAX; /* where the text after the last phone found goes on */
    for (size_t g = i; g < stop; g = next_group(v, g, stop)) {
        size_t phone_end = 0;
        if (!phone_may_start(v, g) || !phone_span(v, g, &phone_end))
            continue;
        bool listed = g != after_phone && groups_before(v, g) >= 2 && spaced_nanp(v, g, phone_end);
        if (listed)
            continue;
        count(c, MASKER_PHONE);
        int err = mask_digits(c, v, g, phone_end);
        if (err)
            return err;
        *found = true;
        *end = phone_end > *end ? phone_end : *end;
        g = after_phone = phone_end;
        while (after_phone < stop && (v->s[after_phone] == ' ' || v->s[after_phone] == '+'))
            after_phone++;
    }
    return VEIL_OK;
}

/* What may stand between a code's name and the code: "CVV: 737", "CSC#
 * 8314", "cvv no. 368", "CVC (0123)", "Card code + 737" (a form's '+'). */
static bool code_label_gap(uint8_t ch)
{
    return html_blank(ch) || ch == ':' || ch == '#' || ch == '.' || ch == '(' || ch == '+';
}

/*
 * Whether the name of a card's security code or a PIN stands right before
 * the 3-4 digits at i, in prose (card_code_label(): "CVV: 737", "CVC2
 * 0123", "cvv no. 368", "Security code: 737", "Kartenprüfnummer 592",
 * "Your PIN is 4921"): a receipt or a support chat that echoes them. (After
 * '=' or in JSON they are found by name.)
 */
static bool verification_label(const text_view *v, size_t i)
{
    size_t end = i;
    for (int gaps = 0; end > 0 && gaps < 4 && code_label_gap(v->s[end - 1]); gaps++)
        end = html_blank(v->s[end - 1]) ? blank_run_start(v, end) : end - 1;
    if (end >= 3 && (v->s[end - 3] == ' ' || v->s[end - 3] == '+') &&
        name_is(v, end - 2, end, "is")) /* "PIN is 4921", a site search's "PIN+is+4921" */
        for (end -= 3; end > 0 && (v->s[end - 1] == ' ' || v->s[end - 1] == '+');)
            end--;
    if (end == 0 || !(is_alnum(v->s[end - 1]) || v->s[end - 1] >= 0x80))
        return false; /* the name is a word, right before the digits or a gap before them */
    size_t start = end > 48 ? end - 48 : 0; /* the name is read from the end */
    while (start > 0 && start < end && (is_alnum(v->s[start - 1]) || v->s[start - 1] >= 0x80))
        start++; /* not from inside a word */
    return card_code_label((const char *)v->s + start, end - start);
}

/* Whether the words that end at k ask to be called or texted: "call me
 * at", "text us on", "ring", "dial", "reach me at", "contact me on". */
static __attribute__((noinline)) bool call_words_before(const text_view *v, size_t k)
{
    static const char *const verbs[] = {"call", "text", "ring", "dial", "reach", "contact"};
    size_t first, end = k;
    for (int word = 0; word < 3 && end > 0 && (html_blank(v->s[end - 1]) || v->s[end - 1] == '+');
         word++) {
        size_t gap = v->s[end - 1] == '+' ? end - 1 : blank_run_start(v, end);
        if (!name_before(v, gap, &first))
            return false;
        size_t len = gap - first;
        for (size_t n = 0; n < sizeof verbs / sizeof verbs[0]; n++)
            if (word_is(v, first, len, verbs[n]))
                return true;
        bool filler =
            (word == 0 && (word_is(v, first, len, "at") || word_is(v, first, len, "on"))) ||
            word_is(v, first, len, "me") || word_is(v, first, len, "us");
        if (!filler)
            return false;
        end = first;
    }
    return false;
}

/* Whether the word [from, to) may stand between a phone's name and its
 * number ("my phone is ...", "phone number ...", "mobile no. ...", and the
 * languages that put "number" after "phone": Turkish "Telefon numarası",
 * Czech and Slovak "číslo", Latvian "numurs", Lithuanian "numeris"); *joined
 * when it tells the number as a ':' does ("is"), *numbered when it says
 * "number". */
static bool phone_filler(const text_view *v, size_t from, size_t to, bool *joined, bool *numbered)
{
    size_t len = to - from;
    if (word_is(v, from, len, "is") || word_is(v, from, len, "was")) {
        *joined = true;
        return true;
    }
    static const char *const NUMBER[] = {"number", "no",      "nr",       "num",
                                         "numurs", "numeris", "numarasi", "numaras\xc4\xb1"};
    bool number =
        ((v->s[from] | 0x20) == 'n' && /* most words are none: one test */
         ascii_word_in((const char *)v->s + from, len, NUMBER, sizeof NUMBER / sizeof NUMBER[0])) ||
        word_is(v, from, len, "\xc4\x8d\xc3\xadslo");
    *numbered |= number;
    return number;
}

/* The start of a remark in brackets that ends right before k, of 2 to 24
 * characters with no digit ("Tel (mobile): ..."), or k when there is none. */
static size_t remark_before(const text_view *v, size_t k)
{
    if (k < 4 || v->s[k - 1] != ')')
        return k;
    for (size_t open = k - 2; open > 0 && k - open <= 26; open--) {
        if (is_digit(v->s[open]) || v->s[open] == ')')
            return k;
        if (v->s[open] == '(')
            return open + 2 < k ? open : k;
    }
    return k;
}

/*
 * Whether the name of a phone stands right before the digits at i, as a
 * label, a parameter or a member of JSON held in the string ("phone:
 * 5552345678", "?mobile=07700900123", "\"tel\":\"5552345678\""), or
 * WhatsApp's click-to-chat link ("wa.me/15552345678"): a number written
 * without separators is a phone only by its name. A name and a blank alone
 * ("my phone 4155550132", "?q=my+phone+4155550132") do when the number has
 * 10 digits or more, as a whole number with its area code does ("on
 * 2026-11-05" is no label), or when the name is a phone's word itself or
 * its abbreviation ("Telefon 22 33 44 55", "Tlf ..."); phone_filler()'s
 * words may stand between.
 */
static bool phone_label(const text_view *v, size_t i, size_t stop, size_t digits)
{
    size_t at = i > 0 && v->s[i - 1] == '+' ? i - 1 : i;
    if (at >= 6 && !memcmp(v->s + at - 6, "wa.me/", 6))
        return true;
    size_t k = i;
    bool joined = digits >= 10; /* else by ':', '=', "is" or an abbreviation's '.' ("Tel.") */
    bool numbered = false, remarked = false;
    for (int fillers = 0;; fillers++) {
        /* blanks a site search writes '+' and the '#' of "phone # ..." included;
         * in markup, a phrasing tag around the number ("Tel.: <b>...") */
        for (int gaps = 0; k > 0 && gaps < 6; gaps++) {
            size_t tag = v->s[k - 1] == '>' ? tag_before(v, k, true) : 0;
            if (tag) {
                k = tag;
                continue;
            }
            if (!v->s[k - 1] || !strchr(" \t\n\r:=.\"'\\+#", v->s[k - 1]))
                break;
            k = html_blank(v->s[k - 1]) ? blank_run_start(v, k) : k - 1;
            joined |= v->s[k] == ':' || v->s[k] == '=' || v->s[k] == '.';
            if (!remarked && remark_before(v, k) < k) { /* "Telefon (privat): ..." */
                k = remark_before(v, k);
                remarked = true;
            }
        }
        size_t end = k;
        while (k > 0 && end - k < 32 && is_class(v->s[k - 1], C_DIGIT | C_ALPHA | C_NAME))
            k--;
        if (k == end)
            return false;
        if (fillers < 2 && phone_filler(v, k, end, &joined, &numbered))
            continue;
        const char *word = (const char *)v->s + k;
        size_t len = end - k;
        joined = joined ||
                 (fillers == 0 && len >= 3 && len <= 6 &&
                  phone_abbreviation(word, len)) ||                 /* "Tlf 22 33 44 55" */
                 (len >= 5 && len <= 16 && phone_word(word, len) && /* "Telefon 22 33 44 55" */
                  !date_like(v, i, stop));
        return joined && ((numbered && ascii_word_is(word, end - k, "contact")) ||
                          phone_label_word(word, end - k));
    }
}

/* Whether the number [i, stop) of `digits` digits is a phone by what
 * stands before it: its label (phone_label()), or, with 10 digits or
 * more, words that ask to be called (call_words_before()). */
static bool named_phone(const text_view *v, size_t i, size_t stop, size_t digits)
{
    return phone_label(v, i, stop, digits) ||
           (digits >= 10 && i > 0 && (html_blank(v->s[i - 1]) || v->s[i - 1] == '+') &&
            call_words_before(v, i));
}

/* Whether the cluster [i, stop) is numbers of 7-15 digits each set apart
 * by '/' ("22334455 / 98765432"), as a contact block lists a landline and
 * a mobile: read whole, it is too long for one phone. */
static bool numbers_apart_by_slash(const text_view *v, size_t i, size_t stop)
{
    size_t parts = 0, digits = 0;
    for (size_t k = i; k <= stop; k++) {
        if (k < stop && v->s[k] != '/') {
            digits += is_digit(v->s[k]);
            continue;
        }
        if (digits < 7 || digits > 15)
            return false;
        parts++;
        digits = 0;
    }
    return parts >= 2;
}

/* A digit or what may stand between a card's or a phone's digits. */
static bool number_char(uint8_t ch)
{
    return is_class(ch, C_DIGIT | C_NUMBER_SEP) || ch == '(' || ch == ')';
}

/* Words that join the numbers of a list ("555-0134 or 555-0199"): "or"
 * and "and" in English and in the languages whose phones the shapes above
 * read (Nordic, German, Dutch, French, Spanish, Italian, Portuguese,
 * Polish, Finnish). */
#define LIST_WORD_(a, b, c, d, e, ...)                                                             \
    ((uint64_t)(a) | (uint64_t)(b) << 8 | (uint64_t)(c) << 16 | (uint64_t)(d) << 24 |              \
     (uint64_t)(e) << 32)
#define LIST_WORD(...) LIST_WORD_(__VA_ARGS__, 0, 0, 0, 0)

/* [from, to): 1-5 ASCII letters (listed_after_phone() read them so). */
static bool list_word(const text_view *v, size_t from, size_t to)
{
    uint64_t word = 0;
    for (size_t k = from; k < to; k++)
        word |= (uint64_t)(v->s[k] | 0x20) << (8 * (k - from));
    switch (word) {
    case LIST_WORD('o', 'r'):
    case LIST_WORD('a', 'n', 'd'):
    case LIST_WORD('e', 'l', 'l', 'e', 'r'):
    case LIST_WORD('o', 'g'):
    case LIST_WORD('o', 'c', 'h'):
    case LIST_WORD('o', 'd', 'e', 'r'):
    case LIST_WORD('u', 'n', 'd'):
    case LIST_WORD('o', 'f'):
    case LIST_WORD('e', 'n'):
    case LIST_WORD('o', 'u'):
    case LIST_WORD('e', 't'):
    case LIST_WORD('o'):
    case LIST_WORD('y'):
    case LIST_WORD('e'):
    case LIST_WORD('l', 'u', 'b'):
    case LIST_WORD('i'):
    case LIST_WORD('t', 'a', 'i'):
    case LIST_WORD('j', 'a'):
        return true;
    }
    return false;
}

/*
 * Whether the number at i follows a phone named in a list ("Telefon: 22
 * 33 44 55, 98 76 54 32", "Tel. 600 700 800 lub 601 234 567", "call me at
 * 415-555-0132 or 415-555-0199"): a ',', ';' or list_word() after a number
 * of 7-15 digits that named_phone() names or that is written with its
 * country code ("+47 22 33 44 55, 98 76 54 32": 8 digits or more after a
 * '+'), or that follows one so, up to `depth` numbers back. Digits masked
 * already read as the digits they were.
 */
static __attribute__((noinline)) bool listed_after_phone(const text_view *v, size_t i, int depth)
{
    size_t k = i;
    while (k > 0 && html_blank(v->s[k - 1]))
        k--;
    if (k == i || k == 0) /* "555-0134, 555-0199": a blank at least */
        return false;
    if (v->s[k - 1] == ',' || v->s[k - 1] == ';') {
        k--;
    } else {
        size_t word_end = k;
        while (k > 0 && word_end - k < 6 && is_alpha(v->s[k - 1]))
            k--;
        if (k == word_end || word_end - k > 5 || k == 0 || !html_blank(v->s[k - 1]) ||
            !list_word(v, k, word_end))
            return false;
    }
    while (k > 0 && html_blank(v->s[k - 1]))
        k--;
    size_t stop = k, digits = 0;
    for (; k > 0 && stop - k < 32 && (number_char(v->s[k - 1]) || v->s[k - 1] == '*'); k--)
        digits += is_digit(v->s[k - 1]) || v->s[k - 1] == '*';
    while (k < stop && !is_digit(v->s[k]) && v->s[k] != '*' && v->s[k] != '+' && v->s[k] != '(')
        k++;
    if (digits < 7 || digits > 15)
        return false;
    bool international = v->s[k] == '+' && digits >= 8; /* "+47 22 33 44 55, 98 76 54 32" */
    return international || named_phone(v, k, stop, digits) ||
           (depth > 1 && listed_after_phone(v, k, depth - 1));
}

enum { MARKUP_CARDS = 8 }; /* more than 128 characters of digits hold */

typedef struct {
    uint32_t from[MARKUP_CARDS], to[MARKUP_CARDS];
    size_t n;
} markup_cards;

static int on_markup_card(void *user, uint32_t from, uint32_t to)
{
    markup_cards *cards = user;
    if (cards->n < MARKUP_CARDS) {
        cards->from[cards->n] = from;
        cards->to[cards->n++] = to;
    }
    return VEIL_OK;
}

/* Whether a tag ends or starts right beside the cluster [i, stop), or past
 * one separator ("<span>(415)</span>", "</b> 1111"). */
static bool touches_tag(const text_view *v, size_t i, size_t stop)
{
    const uint8_t *s = v->s;
    return (i > 0 && (s[i - 1] == '>' || (i > 1 && s[i - 2] == '>' && number_char(s[i - 1])))) ||
           (stop < v->n &&
            (s[stop] == '<' || (stop + 1 < v->n && s[stop + 1] == '<' && number_char(s[stop]))));
}

/* Range *from, *to of m, read across its parts, widened over the rest of
 * the parts it starts and ends in: m holds a number's characters alone, so
 * that is the rest of the numbers there ("415.555" of "415.555.0123"),
 * which the scan no longer reads once part of them is masked. */
static void widen_in_markup(const markup_text *m, size_t *from, size_t *to)
{
    while (*from > 0 && m->part[*from - 1] == m->part[*from])
        (*from)--;
    while (*to < m->n && m->part[*to] == m->part[*to - 1])
        (*to)++;
}

/* The cards across two parts or more of m that start at i or after in v,
 * masked; *found when there was one. */
static int cards_in_markup(scan_ctx *c, const text_view *v, size_t i, const markup_text *m,
                           bool *found)
{
    text_view joined = {.s = m->s, .n = m->n};
    markup_cards cards = {.n = 0};
    int err = cards_in_run(&joined, 0, joined.n, on_markup_card, &cards);
    for (size_t k = 0; k < cards.n && !err; k++) {
        size_t from = cards.from[k], to = cards.to[k];
        if (m->part[from] == m->part[to - 1] || m->at[from] < i)
            continue; /* in one part, or started in a cluster before */
        count(c, c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE);
        widen_in_markup(m, &from, &to);
        err = mask_markup_span(c, v, m, from, to, NULL);
        *found = true;
    }
    return err;
}

/*
 * Digits that markup held in a string splits with tags, as a page draws a
 * card or a phone in spans ("<span>4111</span> <span>1111</span>...",
 * "<b>4111 1111</b> 1111 1111"): the digits and separators around the
 * cluster at i, which a tag ends or starts, are read without the tags. A
 * card or a phone that spans two parts or more is masked digit by digit,
 * from the cluster it starts in (each such cluster touches a tag); one
 * within a part is the scan's.
 */
static int numbers_in_markup(scan_ctx *c, const text_view *v, size_t i)
{
    markup_text m = {.n = 0}, spaced;
    markup_before(v, i, number_char, true, &m);
    markup_from(v, i, number_char, true, &m);
    if (!m.parts)
        return VEIL_OK;
    bool found = false;
    int err = cards_in_markup(c, v, i, &m, &found);
    if (!err && !found && markup_spaced(&m, &spaced))
        err = cards_in_markup(c, v, i, &spaced, &found);
    text_view joined = {.s = m.s, .n = m.n};
    for (size_t k = 0; k < m.n && !err && !found && !c->policy->record_pii; k++) {
        size_t end;
        if (!is_digit(m.s[k]) || (k > 0 && is_digit(m.s[k - 1])) || !phone_may_start(&joined, k) ||
            !phone_span(&joined, k, &end) || m.part[k] == m.part[end - 1] || m.at[k] < i)
            continue;
        size_t from = k;
        count(c, MASKER_PHONE);
        widen_in_markup(&m, &from, &end);
        err = mask_markup_span(c, v, &m, from, end, NULL);
        k = end;
    }
    return err;
}

/*
 * A code told before what it is, as text messages put it ("482913 is your
 * verification code", "G-482913 is your Google verification code"): the
 * digits [s, e) (the caller's cluster, of 4 or more), when " is your "
 * follows and a secret's name is among the three words after. Returns e,
 * or 0.
 */
static size_t code_told_before_name(scan_ctx *c, const text_view *v, size_t s, size_t e, int *err)
{
    if (!follows_phrase(v, e, " is your "))
        return 0;
    for (size_t k = e + 9, words = 0; words < 3 && k < v->n; words++, k++) {
        size_t word = k;
        while (k < v->n && is_class(v->s[k], C_DIGIT | C_ALPHA | C_NAME))
            k++;
        if (k == word)
            return 0;
        if (secret_name_like((const char *)v->s + word, k - word) ||
            (words && two_word_label_names_secret(v, word, k))) {
            count(c, MASKER_SECRET);
            *err = mask_chars(c, v, s, e, "-");
            return e;
        }
        if (k >= v->n || !label_blank(v->s[k]))
            return 0;
    }
    return 0;
}

enum { PARAMETER_GROUPS = 6 };

static bool parameter_name_char(uint8_t ch)
{
    return is_class(ch, C_DIGIT | C_ALPHA | C_NAME);
}

/* The name of the parameter or member whose value starts at i, after its
 * '=' or ':', maybe behind quotes and blanks ("cc1=", "\"cc1\": \""):
 * its start, and its end in *name_end; i when there is none. */
static size_t parameter_name_before(const text_view *v, size_t i, size_t *name_end)
{
    size_t k = i - (i > 0 && v->s[i - 1] == '"');
    while (k > 0 && v->s[k - 1] == ' ')
        k--;
    if (k < 2 || (v->s[k - 1] != '=' && v->s[k - 1] != ':'))
        return i;
    k -= 1 + (v->s[k - 2] == '"');
    *name_end = k;
    while (k > 0 && *name_end - k < 32 && parameter_name_char(v->s[k - 1]))
        k--;
    return k < *name_end ? k : i;
}

/* Whether ch ends a parameter or member before the next: '&', ',', a
 * cookie's ';' or a line end ("pan1=6011\npan2=..."). */
static bool parameter_end(uint8_t ch)
{
    return ch == '&' || ch == ',' || ch == ';' || ch == '\n' || ch == '\r';
}

/* From the end k of a value, past its closing quote, the parameter_end()
 * after it and any blanks, the next name (into *name, *name_end) and its
 * '=' or ':', to where the next value starts; 0 when no parameter or
 * member follows. */
static size_t next_parameter_value(const text_view *v, size_t k, size_t *name, size_t *name_end)
{
    k += k < v->n && v->s[k] == '"';
    if (k >= v->n || !parameter_end(v->s[k]))
        return 0;
    for (k++; k < v->n && html_blank(v->s[k]);)
        k++;
    bool quoted = k < v->n && v->s[k] == '"';
    *name = k += quoted;
    while (k < v->n && k - *name < 32 && parameter_name_char(v->s[k]))
        k++;
    *name_end = k;
    if (k == *name || (quoted && (k >= v->n || v->s[k++] != '"')))
        return 0;
    if (k >= v->n || (v->s[k] != '=' && v->s[k] != ':'))
        return 0;
    for (k++; k < v->n && v->s[k] == ' ';)
        k++;
    return k + (k < v->n && v->s[k] == '"');
}

/* Whether the groups [from[g], to[g]) of v, g < n, are a card: with
 * `repeated` names, only printed as cards are (card_in_groups()), since
 * a name repeated also lists ids and sizes ("?id=4012&id=8888..."). */
static bool card_in_parameters(const text_view *v, const size_t *from, const size_t *to, size_t n,
                               bool repeated)
{
    uint8_t digits[PARAMETER_GROUPS * 7];
    size_t len = 0, count = 0;
    for (size_t g = 0; g < n; g++) {
        for (size_t k = from[g]; k < to[g]; k++, count++)
            digits[len++] = repeated ? v->s[k] : (uint8_t)(v->s[k] - '0');
        if (repeated && g + 1 < n)
            digits[len++] = ' ';
    }
    bool card = count >= 12 && count <= 19 &&
                (repeated ? card_in_groups(digits, len) : card_number_ok(digits, len));
    sodium_memzero(digits, sizeof digits);
    return card;
}

/*
 * A card typed into boxes that a form sends as parameters or members of
 * their own, a group each, named by one stem and an index
 * ("cc1=4111&cc2=1111&...", JSON held in a string:
 * "\"card_no_1\":\"4111\",..."), or by one name repeated, as a form whose
 * boxes share a name sends them ("cc[]=4111&cc[]=1111&...",
 * "box=4111&box=1111&..."), from the group of 3-6 digits at [i, stop), a
 * value: the 2-6 groups in a row, read together, each masked when the
 * longest run of them that is one reads as a card. A rectangle's
 * "x=120&y=340&w=1280&h=720" is no card's. Returns the end of its last
 * group, or 0.
 */
static __attribute__((noinline)) size_t cards_across_parameters(scan_ctx *c, const text_view *v,
                                                                size_t i, size_t stop, int *err)
{
    size_t first_end = 0, first = parameter_name_before(v, i, &first_end);
    if (digits_run(v, i) != stop - i || first == i)
        return 0;
    const char *stem = (const char *)v->s + first;
    size_t from[PARAMETER_GROUPS] = {i}, to[PARAMETER_GROUPS] = {stop}, n = 1, name, name_end;
    bool repeated = false;
    for (size_t k;
         n < PARAMETER_GROUPS && (k = next_parameter_value(v, to[n - 1], &name, &name_end)); n++) {
        size_t e = k + digits_run(v, k), len = name_end - name;
        bool same = len == first_end - first && !memcmp(stem, v->s + name, len);
        if (e - k < 3 || e - k > 6 || (e < v->n && is_alnum(v->s[e])) ||
            !(same || indexed_names(stem, first_end - first, (const char *)v->s + name, len)))
            break;
        repeated |= same;
        from[n] = k;
        to[n] = e;
    }
    for (; n >= 2; n--) {
        if (!card_in_parameters(v, from, to, n, repeated))
            continue;
        count(c, MASKER_CARD_ELSEWHERE);
        for (size_t g = 0; g < n && !*err; g++)
            *err = mask_digits(c, v, from[g], to[g]);
        return to[n - 1];
    }
    return 0;
}

/* Whether a label that names an IP address ends right before the number
 * at i ("ip: ", "client_ip=", "\"ip\": \"", "IP address "): a name of one
 * or two words (ip_name_like()), then up to four blanks, quotes, ':' or '='. */
static bool ip_label_before(const text_view *v, size_t i)
{
    size_t k = i;
    for (int gaps = 0; k > 0 && gaps < 4 && v->s[k - 1] && strchr(" \t:=\"'", v->s[k - 1]); gaps++)
        k--;
    size_t end = k;
    while (k > 0 && end - k < 32 &&
           (is_alnum(v->s[k - 1]) || v->s[k - 1] == '_' || v->s[k - 1] == '-'))
        k--;
    if (k == end || end == i)
        return false;
    if (k >= 2 && v->s[k - 1] == ' ' && is_alnum(v->s[k - 2])) /* "client IP", "IP address" */
        for (k--; k > 0 && end - k < 48 && is_alnum(v->s[k - 1]);)
            k--;
    return ip_name_like((const char *)v->s + k, end - k);
}

/* Writes over [i, e) of v, an IPv4 address written as one integer (in hex
 * after "0x", else in decimal), what the policy keeps of it, in the same
 * base. */
static int mask_ip_integer(scan_ctx *c, const text_view *v, size_t i, size_t e, uint32_t address)
{
    bool hex = e - i > 2 && v->s[i] == '0' && (v->s[i + 1] | 0x20) == 'x';
    char kept[16];
    int n = snprintf(kept, sizeof kept, hex ? "0x%x" : "%u", kept_address(c, address));
    count(c, MASKER_IP);
    return c->policy->ip_octets ? replace_range(c, v, i, e, kept, (size_t)n) : VEIL_OK;
}

/* An IPv4 address written as one decimal integer of 8-10 digits after a
 * label that names an address ("ip: 3405803971", as logs and databases
 * that store addresses as integers show them): its end, or 0. */
static __attribute__((noinline)) size_t ip_integer_after_label(scan_ctx *c, const text_view *v,
                                                               size_t i, size_t stop, int *err)
{
    uint64_t address = 0;
    if ((stop < v->n && (is_alnum(v->s[stop]) || v->s[stop] == '.')) || v->s[i] == '0' ||
        !host_number(v, i, stop, &address) || !ip_label_before(v, i))
        return 0;
    *err = mask_ip_integer(c, v, i, stop, (uint32_t)address);
    return stop;
}

/*
 * The cluster of digit groups at i: IP addresses, cards, a card being
 * typed, phone numbers. Numbers in CSS, SVG paths and prose make clusters
 * of a few digits, too few for any of them but an address: those are
 * passed over whole.
 */
static inline __attribute__((always_inline)) int
digits_at(scan_ctx *c, const text_view *v, size_t i, enum scan_mode mode, size_t *end)
{
    int err = VEIL_OK;
    cluster cl;
    read_cluster(v, i, &cl);
    *end = cl.stop;
    size_t named = 0, cards_end, mark;
    /* a number whose thousands are set apart by blanks or dots joins its
     * cluster; by a comma or another mark, its first 1-3 digits end one
     * (checked before an address: "4.111.111.111" reads as one) */
    if (VEIL_UNLIKELY(cl.digits >= 12 ||
                      (cl.stop - cl.last_group <= 3 && cl.stop + 4 < v->n &&
                       !is_class(v->s[cl.stop], C_NUMBER_SEP) &&
                       (mark = thousands_mark_at(v, cl.stop)) && is_digit(v->s[cl.stop + mark]) &&
                       is_digit(v->s[cl.stop + mark + 1]))) &&
        (cards_end = locale_cards_in_cluster(c, v, i, &cl, mode, &err))) {
        *end = cards_end;
        return err;
    }
    if (VEIL_UNLIKELY(cl.stop - cl.last_group >= 3 && card_other_mark_at(v, cl.stop)) &&
        (cards_end = cards_joined_by_other_marks(c, v, i, mode, &err)) != 0) {
        *end = cards_end;
        return err;
    }
    if (cl.ip_shaped || (cl.stop == i + 1 && i > 0 && v->s[i - 1] == '.' && cl.stop < v->n &&
                         v->s[cl.stop] == '.')) /* "4.3.3.7.0.7.3.0...", "...e.f.1.a..." */
        named = ipv6_reverse_name(c, v, i, &err);
    bool goes_on = cl.stop < v->n && (v->s[cl.stop] == '-' || v->s[cl.stop] == '.' ||
                                      is_hex(v->s[cl.stop])); /* into a host name */
    if (!named && goes_on && (cl.dashed || (i > 0 && v->s[i - 1] == '-')))
        named = dashed_ipv6_in_host(c, v, i, &err); /* "2001-db8-..." */
    if (VEIL_UNLIKELY(i >= 2 && v->s[i - 1] == '/') && !named && url_host_starts(v, i))
        named = numeric_url_host(c, v, i, &err); /* "http://3405803971/" */
    if (named) {
        *end = named;
        return err;
    }
    if (cl.ip_shaped) {
        /* digits glued to a word ("ec2-", "h264") start no address, but may
         * start a card ("Visa4111 1111 ..."), or a host name's dashed one
         * (Telus's "d203-0-113-195.bchsia.telus.net") */
        size_t ip_from = i > 0 && is_alpha(v->s[i - 1]) && !dashed_ipv4_in_host(v, i)
                             ? next_group(v, i, cl.stop)
                             : i;
        if ((err = ip_in_cluster(c, v, ip_from, &cl, end)) || cl.stop <= i)
            return err;
    }
    size_t told;
    if (cl.digits >= 4 && cl.stop + 1 < v->n && label_blank(v->s[cl.stop]) &&
        (v->s[cl.stop + 1] | 0x20) == 'i' && /* "482913 is your ..." */
        (told = code_told_before_name(c, v, i, cl.stop, &err)) != 0) {
        *end = told;
        return err;
    }
    if (cl.digits >= 3 && cl.digits <= 5) {
        /* a code's digits: the cluster's last group when its first is glued
         * to the code's name ("CVC2 0123"), else all of it ("CVV737") */
        size_t code = i > 0 && is_alpha(v->s[i - 1]) ? next_group(v, i, cl.stop) : i;
        code = code < cl.stop ? code : i;
        if (cl.stop - code >= 3 && cl.stop - code <= 4 && digits_run(v, code) == cl.stop - code &&
            !(cl.stop < v->n && is_alpha(v->s[cl.stop])) && /* a length's "700px" */
            verification_label(v, code)) {
            count(c, MASKER_SECRET);
            return mask_digits(c, v, code, cl.stop);
        }
    }
    if (mode == SCAN_TYPED && c->in_card_field) {
        note_typed_card(c, v, i, cl.stop);
    } else if (c->echoes && c->echoes->noted && /* typed elsewhere too: a notes box */
               echoes_typed_card(c, v, i, cl.stop)) {
        count(c, MASKER_CARD_ELSEWHERE);
        return mask_digits(c, v, i, cl.stop);
    }
    if (VEIL_UNLIKELY(touches_tag(v, i, cl.stop)) && (err = numbers_in_markup(c, v, i)))
        return err;
    if (VEIL_UNLIKELY(cl.digits >= 3 && cl.digits <= 6 && cl.stop < v->n &&
                      (parameter_end(v->s[cl.stop]) || v->s[cl.stop] == '"')) &&
        (cards_end = cards_across_parameters(c, v, i, cl.stop, &err)) != 0) {
        *end = cards_end;
        return err;
    }
    if (VEIL_UNLIKELY(cl.digits >= 8 && cl.digits <= 10 && cl.stop - i == cl.digits) &&
        (named = ip_integer_after_label(c, v, i, cl.stop, &err)) != 0) {
        *end = named;
        return err;
    }
    if (cl.digits < (mode == SCAN_TYPED ? TYPED_PHONE_DIGITS : 7))
        return VEIL_OK;
    card_hits hits = {c, v, false, 0};
    if (cl.digits >= 12 && (err = cards_in_run(v, i, cl.stop, on_card, &hits)))
        return err;
    *end = hits.track_end > *end ? hits.track_end : *end;
    if (hits.found)
        return VEIL_OK;
    size_t picture_end, after = cl.stop + (cl.stop + 1 < v->n && v->s[cl.stop] == ' ');
    if (mode != SCAN_TYPED && after < v->n && might_be_placeholder(v->s[after]) &&
        card_picture_at(v, i, &picture_end)) {
        count(c, MASKER_CARD_ELSEWHERE);
        *end = picture_end > *end ? picture_end : *end;
        return mask_digits(c, v, i, picture_end);
    }
    bool masked = false; /* each digit is masked once: two masks of one byte are refused */
    if (mode == SCAN_TYPED && (err = typed_card(c, v, i, cl.stop, &masked)))
        return err;
    if (c->policy->record_pii || masked)
        return VEIL_OK;
    if ((err = phones_in_cluster(c, v, i, cl.stop, end, &masked)))
        return err;
    bool slashed = !masked && cl.digits > 15 && numbers_apart_by_slash(v, i, cl.stop);
    bool international = i > 0 && v->s[i - 1] == '+'; /* "+47 22 33 44 55 / 98 76 54 32" */
    if (!masked && (cl.digits <= 15 || slashed) &&
        ((slashed && international) || named_phone(v, i, cl.stop, cl.digits) ||
         listed_after_phone(v, i, 3))) {
        count(c, MASKER_PHONE);
        return mask_digits(c, v, i, cl.stop);
    }
    if (mode == SCAN_TYPED && !masked)
        return typed_phone(c, v, i, cl.stop);
    return VEIL_OK;
}

static bool base64url_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '-' || ch == '_';
}

/*
 * A JSON Web Token starting at s ("eyJhbGciOiJIUzI1NiJ9.eyJ..."): a bearer
 * credential wherever it is written, masked whole. Returns its end, or 0.
 */
static size_t jwt_at(scan_ctx *c, const text_view *v, size_t s, int *err)
{
    size_t e = s, dots = 0;
    for (; e < v->n && (base64url_char(v->s[e]) || v->s[e] == '.'); e++)
        dots += v->s[e] == '.';
    if (dots != 2 || v->s[e - 1] == '.' || e - s < 24)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, e, ".");
    return e;
}

/*
 * Keys and tokens that say what they are: the prefixes vendors put on their
 * secret keys and tokens so that secret scanners find them, as each
 * vendor's documentation of its key format gives them, and the least
 * length of the random part after it. A site's dashboard that shows a key,
 * a console line that logs one, a visitor who pastes one into a support
 * chat: nothing else names them there. Keys made to be published are not
 * on it (Stripe's pk_; Google's AIza browser keys, which a static map's
 * image URL carries: masked, the map would vanish from the replay).
 */
enum token_body {
    TOKEN_ANY,   /* letters, digits, '-', '_' and '.' */
    TOKEN_HEX,   /* lowercase hex digits */
    TOKEN_AWS_ID /* exactly `least` digits and capitals, then the word ends */
};
#define TOKEN(prefix, least, body)                                                                 \
    {                                                                                              \
        prefix, sizeof prefix - 1, least, body                                                     \
    }
static const struct {
    const char *prefix;
    uint8_t n;     /* its length */
    uint8_t least; /* of the random part after it */
    uint8_t body;  /* enum token_body */
} VENDOR_TOKENS[] = {
    TOKEN("sk_live_", 16, TOKEN_ANY),    /* Stripe */
    TOKEN("sk_test_", 16, TOKEN_ANY),    /* Stripe */
    TOKEN("rk_live_", 16, TOKEN_ANY),    /* Stripe, restricted */
    TOKEN("rk_test_", 16, TOKEN_ANY),    /* Stripe, restricted */
    TOKEN("whsec_", 24, TOKEN_ANY),      /* Stripe webhook signing */
    TOKEN("ghp_", 30, TOKEN_ANY),        /* GitHub */
    TOKEN("gho_", 30, TOKEN_ANY),        /* GitHub OAuth */
    TOKEN("ghu_", 30, TOKEN_ANY),        /* GitHub app user */
    TOKEN("ghs_", 30, TOKEN_ANY),        /* GitHub app server */
    TOKEN("ghr_", 30, TOKEN_ANY),        /* GitHub refresh */
    TOKEN("github_pat_", 40, TOKEN_ANY), /* GitHub fine-grained */
    TOKEN("glpat-", 20, TOKEN_ANY),      /* GitLab */
    TOKEN("gldt-", 20, TOKEN_ANY),       /* GitLab deploy */
    TOKEN("glrt-", 20, TOKEN_ANY),       /* GitLab runner */
    TOKEN("xoxb-", 20, TOKEN_ANY),       /* Slack bot */
    TOKEN("xoxp-", 20, TOKEN_ANY),       /* Slack user */
    TOKEN("xoxa-", 20, TOKEN_ANY),       /* Slack app */
    TOKEN("xoxr-", 20, TOKEN_ANY),       /* Slack refresh */
    TOKEN("xoxs-", 20, TOKEN_ANY),       /* Slack session */
    TOKEN("xoxe-", 20, TOKEN_ANY),       /* Slack rotating */
    TOKEN("xapp-", 20, TOKEN_ANY),       /* Slack app-level */
    TOKEN("AKIA", 16, TOKEN_AWS_ID),     /* AWS access key id */
    TOKEN("ASIA", 16, TOKEN_AWS_ID),     /* AWS temporary key id */
    TOKEN("ya29.", 20, TOKEN_ANY),       /* Google OAuth access */
    TOKEN("npm_", 30, TOKEN_ANY),        /* npm */
    TOKEN("pypi-", 50, TOKEN_ANY),       /* PyPI */
    TOKEN("SG.", 40, TOKEN_ANY),         /* SendGrid */
    TOKEN("sq0atp-", 20, TOKEN_ANY),     /* Square */
    TOKEN("sq0csp-", 20, TOKEN_ANY),     /* Square */
    TOKEN("EAAA", 40, TOKEN_ANY),        /* Square production */
    TOKEN("shpat_", 32, TOKEN_HEX),      /* Shopify admin */
    TOKEN("shpca_", 32, TOKEN_HEX),      /* Shopify custom app */
    TOKEN("shppa_", 32, TOKEN_HEX),      /* Shopify private app */
    TOKEN("shpss_", 32, TOKEN_HEX),      /* Shopify shared secret */
    TOKEN("sk-proj-", 20, TOKEN_ANY),    /* OpenAI project */
    TOKEN("sk-svcacct-", 20, TOKEN_ANY), /* OpenAI service account */
    TOKEN("sk-admin-", 20, TOKEN_ANY),   /* OpenAI admin */
    TOKEN("sk-ant-", 20, TOKEN_ANY),     /* Anthropic */
    TOKEN("sk-", 32, TOKEN_ANY),         /* OpenAI, older */
    TOKEN("hf_", 30, TOKEN_ANY),         /* Hugging Face */
    TOKEN("dop_v1_", 64, TOKEN_HEX),     /* DigitalOcean */
    TOKEN("doo_v1_", 64, TOKEN_HEX),     /* DigitalOcean OAuth */
    TOKEN("dor_v1_", 64, TOKEN_HEX),     /* DigitalOcean refresh */
    TOKEN("key-", 32, TOKEN_HEX),        /* Mailgun */
    TOKEN("PMAK-", 40, TOKEN_ANY),       /* Postman */
    TOKEN("ATATT", 40, TOKEN_ANY),       /* Atlassian */
    TOKEN("dp.pt.", 40, TOKEN_ANY),      /* Doppler personal */
    TOKEN("dp.st.", 40, TOKEN_ANY),      /* Doppler service */
};
#undef TOKEN

/* The end of the random part of a vendor's token whose prefix of n bytes
 * starts at s, or 0 when it is too short (or not what that vendor writes). */
static size_t vendor_token_end(const text_view *v, size_t s, size_t n, uint8_t least, uint8_t body)
{
    size_t e = s + n;
    if (body == TOKEN_AWS_ID) {
        while (e < v->n && e - s - n < least &&
               (is_digit(v->s[e]) || (v->s[e] >= 'A' && v->s[e] <= 'Z')))
            e++;
        return e - s - n == least && (e == v->n || !base64url_char(v->s[e])) ? e : 0;
    }
    while (e < v->n && (body == TOKEN_HEX ? is_digit(v->s[e]) || (v->s[e] >= 'a' && v->s[e] <= 'f')
                                          : base64url_char(v->s[e]) || v->s[e] == '.'))
        e++;
    while (e > s + n && v->s[e - 1] == '.') /* a sentence's full stop */
        e--;
    return e - s - n >= least ? e : 0;
}

/*
 * A Telegram bot's token: its bot's id (8-10 digits), ':', then "AA" and 33
 * characters of base64url ("123456789:AAHk4m..."), as a shop's settings page
 * or a bot's API URL (".../bot123456789:AAHk4m.../sendMessage") shows it. At
 * the id's first digit i; the part after ':' is masked. Returns its end, or 0.
 */
static __attribute__((noinline)) size_t telegram_bot_token(scan_ctx *c, const text_view *v,
                                                           size_t i, int *err)
{
    size_t k = i + 8, e; /* nearly every digit has no ':' 8-10 bytes on: its run is not read */
    if (i + 8 + 36 > v->n)
        return 0;
    while (k <= i + 10 && v->s[k] != ':')
        k++;
    if (k > i + 10)
        return 0;
    for (e = i; e < k; e++)
        if (!is_digit(v->s[e]))
            return 0;
    if (v->s[k + 1] != 'A' || v->s[k + 2] != 'A')
        return 0;
    for (e = k + 3; e < v->n && e - k <= 36 && base64url_char(v->s[e]); e++)
        ;
    if (e - k != 36)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, k + 1, e, "");
    return e;
}

/* Whether a prefix of VENDOR_TOKENS starts with ch. */
static inline bool vendor_first_byte(uint8_t ch)
{
    switch (ch) {
    case 'A':
    case 'E':
    case 'P':
    case 'S':
    case 'd':
    case 'g':
    case 'h':
    case 'k':
    case 'n':
    case 'p':
    case 'r':
    case 's':
    case 'w':
    case 'x':
    case 'y':
        return true;
    }
    return false;
}

/* A character of a token, or of a dotted one. */
static bool token_char(uint8_t ch)
{
    return base64url_char(ch) || ch == '.';
}

enum { VENDOR_TOKEN_LEAST = 20 }; /* no vendor's token, prefix and all, is shorter */

/*
 * A vendor's key or token (VENDOR_TOKENS) at the word at s, or at the
 * dotted word it ends ("SG.ngeV...", "ya29.a0Af..."), the digit at i in it:
 * its random part is masked, its prefix kept (it says what leaked, not the
 * key). Returns its end, or 0. Most words with a digit are short ("h1",
 * "2018"): those are let go first.
 */
static __attribute__((noinline)) size_t vendor_token_at(scan_ctx *c, const text_view *v, size_t s,
                                                        size_t i, int *err)
{
    size_t w = s, end = i;
    bool dotted = s >= 2 && v->s[s - 1] == '.';
    if (!dotted && !vendor_first_byte(v->s[s])) /* "2018", "10px", "h1" */
        return 0;
    while (end < v->n && token_char(v->s[end]))
        end++;
    while (dotted && w > 0 && s - w < 128 && v->s[w - 1] == '.' && w >= 2 &&
           token_char(v->s[w - 2]))
        for (w--; w > 0 && s - w < 128 && base64url_char(v->s[w - 1]);)
            w--;
    if (end - w < VENDOR_TOKEN_LEAST || (w > 0 && token_char(v->s[w - 1])))
        return 0;
    for (size_t at = w;; at = s) {
        for (size_t k = 0;
             vendor_first_byte(v->s[at]) && k < sizeof VENDOR_TOKENS / sizeof VENDOR_TOKENS[0];
             k++) {
            const char *prefix = VENDOR_TOKENS[k].prefix;
            size_t n = VENDOR_TOKENS[k].n, e;
            if (v->s[at] != (uint8_t)prefix[0] || at + n > v->n || memcmp(v->s + at, prefix, n) ||
                !(e = vendor_token_end(v, at, n, VENDOR_TOKENS[k].least, VENDOR_TOKENS[k].body)))
                continue;
            count(c, MASKER_SECRET);
            *err = mask_chars(c, v, at + n, e, "");
            return e;
        }
        if (at == s)
            return 0;
    }
}

/*
 * A credential after an auth scheme, whatever names it ("Token tk_51Hq2",
 * "Bearer at9f8e7d"): the word at s, when "Bearer ", "Basic ", "Token " or
 * "Digest " comes right before it. Returns its end, or 0.
 */
static inline __attribute__((always_inline)) size_t
scheme_credential_at(scan_ctx *c, const text_view *v, size_t s, int *err)
{
    size_t from = s >= 7 ? s - 7 : 0; /* "Bearer " or "Digest " 7 bytes before, others 6 */
    while (from < s - 6 && !auth_scheme_at(v, from))
        from++;
    size_t start, end = 0;
    if (from + auth_scheme_at(v, from) == s && (from == 0 || !is_alnum(v->s[from - 1])))
        end = header_value(v, s, &start);
    if (!end || start != s)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

static bool is_quote(uint8_t ch)
{
    return ch == '"' || ch == '\'' || ch == '`';
}

/* The credential told at s (see header_value()), maybe in quotes, as chats
 * and markdown put it ("is \"Kestrel#2291\"", "is `Osprey#5521`"): its end,
 * and its first byte in *start; 0 if none. */
static size_t told_value(const text_view *v, size_t s, size_t *start)
{
    size_t from = s + (s < v->n && is_quote(v->s[s]));
    size_t end = header_value(v, from, start);
    return *start == from ? end : 0;
}

/* Where the verb that tells a credential ends, its last byte the gap at g
 * before the value: " is " or " was " ("+is+": the words of a form-encoded
 * query, "?q=my+password+is+..."), maybe with a colon or "now" after it
 * ("is: ", "is now "); its blanks may be any ("is\n        ..." starts a
 * gap of a line break and an indent at g). The verb's first byte, or 0. */
static size_t told_verb_before(const text_view *v, size_t g)
{
    static const struct {
        char last; /* the byte before the gap, for a cheap first test */
        uint8_t n;
        const char *verb;
    } verbs[] = {{'s', 4, " is "},  {'s', 4, "+is+"},   {'s', 5, " was "},    {'s', 5, "+was+"},
                 {':', 5, " is: "}, {':', 6, " was: "}, {'w', 8, " is now "}, {'w', 8, "+is+now+"}};
    uint8_t last = g >= 1 ? v->s[g - 1] | 0x20 : 0;
    for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
        if (verbs[k].last == last && g >= verbs[k].n &&
            reads_at(v, g + 1 - verbs[k].n, verbs[k].verb, true))
            return g + 1 - verbs[k].n;
    return 0;
}

/*
 * A credential told in prose, as a visitor tells a support chat or a
 * developer a log line: the word at s after a secret's name and "is" or
 * "was" ("my password is Tr0ub4dor&3", "the API key was sk_9f...", "your
 * security code is: 482913"), when it reads as a credential (see
 * told_value()). Returns its end, or 0.
 */
static size_t credential_told_at(scan_ctx *c, const text_view *v, size_t g, size_t s, int *err)
{
    size_t verb = told_verb_before(v, g);
    size_t name, start, end;
    if (!verb || !(end = told_value(v, s, &start)) || /* the cheaper test first */
        !name_before(v, verb, &name) ||
        !(secret_name_like((const char *)v->s + name, verb - name) ||
          two_word_label_names_secret(v, name, verb)))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/*
 * A credential told as set, after "to" with a secret's name among the four
 * words before it, as log lines and support chats put it ("Password set to
 * Kestrel#2291", "PIN changed to 4471x9", "Setting the API key to sk_...",
 * "password has been reset to ..."). The word at s, read as
 * credential_told_at() reads it. Returns its end, or 0.
 */
static size_t credential_set_at(scan_ctx *c, const text_view *v, size_t g, size_t s, int *err)
{
    if (g < 5)
        return 0;
    uint8_t gap = v->s[g] == '+' ? '+' : ' '; /* between the words before */
    size_t start, end, k = g - 3;             /* the gap before "to" */
    if ((v->s[g - 2] | 0x20) != 't' || v->s[k] != gap || !(end = told_value(v, s, &start)))
        return 0;
    for (int words = 0; words < 4 && k > 0 && v->s[k] == gap; words++) {
        size_t name;
        if (!name_before(v, k, &name))
            return 0;
        if (secret_name_like((const char *)v->s + name, k - name) ||
            two_word_label_names_secret(v, name, k)) {
            count(c, MASKER_SECRET);
            *err = mask_chars(c, v, start, end, "");
            return end;
        }
        k = name - (name > 0);
    }
    return 0;
}

/* Whether what ends before the gap before the word at w (w >= 6) may
 * tell a credential: "is", "was", "is:", "is now" or "to". */
static bool ends_telling(const text_view *v, size_t w)
{
    uint8_t last = v->s[w - 2] | 0x20;
    if (last == ':')
        return (v->s[w - 3] | 0x20) == 's';
    if (last == 'w')
        return (v->s[w - 3] | 0x20) == 'o' && (v->s[w - 4] | 0x20) == 'n';
    return last == 's' || last == 'o';
}

/* A credential told after a word that ends_telling() and the gap at g (a
 * blank, a run of them, or the '+' of a form-encoded query), at the word
 * at s: "to" sets it. */
static __attribute__((noinline)) size_t credential_told_or_set_at(scan_ctx *c, const text_view *v,
                                                                  size_t g, size_t s, int *err)
{
    return (v->s[g - 1] | 0x20) == 'o' ? credential_set_at(c, v, g, s, err)
                                       : credential_told_at(c, v, g, s, err);
}

/* The start of the word around s, after a blank or a '+' (a form-encoded
 * query's, the nearest that follows a word that ends_telling(): in
 * "?q=my+password+is+Abc%2BDef12" the one after "Abc" is the visitor's,
 * and a URL in a parameter writes its blanks "%2B") and a word that
 * ends_telling(), and into *g where the gap between them starts (a run of
 * blanks is one gap); 0 if there is none. A '+' right before s is not
 * tried: try_token() tried it. */
static inline __attribute__((always_inline)) size_t told_word_start(const text_view *v, size_t s,
                                                                    size_t *g)
{
    size_t w = s;
    for (; w > 0 && s - w < 64 && v->s[w - 1] > ' ' && v->s[w - 1] < 0x80; w--)
        if (v->s[w - 1] == '+' && w < s && w >= 6 && ends_telling(v, w)) {
            *g = w - 1;
            return w;
        }
    *g = w > 0 && html_blank(v->s[w - 1]) ? blank_run_start(v, w) : 0;
    return *g >= 5 && ends_telling(v, *g + 1) ? w : 0;
}

/* ---- credentials told in other languages ---------------------------------- */

/* Whether the 3 bytes at k (k + 3 <= v->n) are one of the 3-byte UTF-8
 * characters in `chars` (a string of them). */
static bool char3_at(const text_view *v, size_t k, const char *chars)
{
    if (v->s[k + 2] < 0x80) /* ASCII: nearly every byte */
        return false;
    for (const char *c = chars; *c; c += 3)
        if (v->s[k] == (uint8_t)c[0] && v->s[k + 1] == (uint8_t)c[1] &&
            v->s[k + 2] == (uint8_t)c[2])
            return true;
    return false;
}

/* The particles and marks of Chinese, Japanese and Korean that tell what
 * follows them (是, 为, 為, は, 는, 은: "is"), and the punctuation that ends a
 * label there (、。，！？；：and the full-width colon, which also tells). */
#define CJK_TELLING "\xe6\x98\xaf\xe4\xb8\xba\xe7\x82\xba\xe3\x81\xaf\xeb\x8a\x94\xec\x9d\x80"
#define CJK_PUNCTUATION                                                                            \
    "\xe3\x80\x81\xe3\x80\x82\xef\xbc\x8c\xef\xbc\x81\xef\xbc\x9f\xef\xbc\x9b\xef\xbc\x9a"
#define FULL_WIDTH_COLON "\xef\xbc\x9a"
/* What may open a value after its label: 「, （, 【 and the dashes — and – */
#define CJK_OPENING "\xe3\x80\x8c\xef\xbc\x88\xe3\x80\x90"
#define DASHES      "\xe2\x80\x94\xe2\x80\x93"

/* The start of the word that ends at k after a blank when it tells what
 * follows it (telling_word()), or 0. */
static size_t telling_word_before(const text_view *v, size_t k)
{
    size_t w = k;
    while (w > 0 && k - w < 12 && !label_blank(v->s[w - 1])) /* "είναι": 10 bytes */
        w--;
    return w > 0 && w < k && label_blank(v->s[w - 1]) && telling_word((const char *)v->s + w, k - w)
               ? w
               : 0;
}

/* How a value is told after its label: by an ASCII colon, by another word
 * or mark ("is" in another language, a full-width colon), or only by a
 * blank or by nothing at all. */
enum telling { TOLD_BY_COLON, TOLD_BY_WORD, TOLD_BY_PLACE };

/*
 * Where the label of the value at s ends, and how what stands between them
 * tells the value (*how): a colon (after a blank too, as French writes it:
 * "code de vérification : ..."; full-width: "验证码："), an '=' between
 * blanks ("API key = ...", "mot de passe := ..."), a dash between blanks,
 * "is" in another language (telling_word(): "Ihr Passwort lautet
 * ...", "Il tuo codice di verifica è ..."; English's is told_verb_before()'s),
 * a particle of CJK_TELLING; or a blank or nothing (TOLD_BY_PLACE: "Код
 * подтверждения 271946", "验证码882731").
 * The value may stand in brackets or quotes. 0 for none.
 */
static size_t told_label_end(const text_view *v, size_t s, enum telling *how)
{
    size_t k = s, w;
    if (k > 0 && (v->s[k - 1] == '[' || v->s[k - 1] == '(' || is_quote(v->s[k - 1])))
        k--;
    else if (k >= 3 && char3_at(v, k - 3, CJK_OPENING))
        k -= 3;
    size_t word_end = k;
    while (k > 0 && label_blank(v->s[k - 1]))
        k--;
    bool blank = k < word_end;
    uint8_t before = k > 0 ? v->s[k - 1] : 0;
    *how = TOLD_BY_WORD;
    if (before == ':') {
        *how = TOLD_BY_COLON;
        k--;
    } else if (before == '=' && blank) { /* a one-word name is try_named_secret()'s, as a colon's */
        *how = TOLD_BY_COLON;
        k -= 1 + (k >= 2 && v->s[k - 2] == ':');
        if (k == 0 || !label_blank(v->s[k - 1]))
            return 0;
    } else if (before == '-' && blank && k >= 2 && label_blank(v->s[k - 2])) {
        k--;
    } else if (before >= 0x80) {
        if (k >= 3 && (char3_at(v, k - 3, FULL_WIDTH_COLON) ||
                       (blank && char3_at(v, k - 3, DASHES)) || char3_at(v, k - 3, CJK_TELLING)))
            k -= 3;
        else if (!(blank && (w = telling_word_before(v, k)) != 0)) /* "è", "là" */
            *how = TOLD_BY_PLACE;
        else
            k = w;
    } else if (is_alpha(before) && blank) {
        if ((w = telling_word_before(v, k)) != 0)
            k = w;
        else
            *how = TOLD_BY_PLACE;
    } else {
        return 0;
    }
    while (k > 0 && label_blank(v->s[k - 1]))
        k--;
    /* a label ends in a letter: not a host's "127.0.0.1:40947" */
    return k > 0 && (is_alpha(v->s[k - 1]) || v->s[k - 1] >= 0x80) ? k : 0;
}

/* Whether the n bytes at s are one word of ASCII letters, digits, '-' and '_'. */
static bool ascii_word(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!is_alnum((uint8_t)s[k]) && s[k] != '-' && s[k] != '_')
            return false;
    return true;
}

/* Where the label that ends at e starts: up to `words` words and 64 bytes
 * back, not past the punctuation that ends a sentence or a clause. */
static size_t told_label_start(const text_view *v, size_t e, int words)
{
    size_t k = e;
    for (int blanks = 0; k > 0 && e - k < 64; k--) {
        uint8_t ch = v->s[k - 1];
        if (label_blank(ch) ? ++blanks == words
            : ch < 0x80     ? !is_alnum(ch) && ch != '-' && ch != '_' && ch != '\''
                            : k >= 3 && char3_at(v, k - 3, CJK_PUNCTUATION))
            break;
    }
    while (k < e && (v->s[k] & 0xc0) == 0x80) /* not inside a character */
        k++;
    return k;
}

/* Whether the label ending at e that tells a code by its place may name
 * one: its last word ends in a code's noun (code_noun_word()), or it ends
 * in another script (label_names_code() reads it). A page has thousands of
 * numbers after a word ("Copyright 2024", "on 2026-11-05"). */
static bool ends_in_code_noun(const text_view *v, size_t e)
{
    size_t w = e;
    while (w > 0 && e - w < 24 && is_alpha(v->s[w - 1]))
        w--;
    return v->s[e - 1] >= 0x80 || code_noun_word((const char *)v->s + w, e - w);
}

/* Whether the label ending at e that tells a credential by its place ends
 * in the word for password (password_word()): "wifi password Kestrel9vQ2",
 * "PW 4ZtQ81", "Kennwort ...", "密码 ...". */
static bool ends_in_password_word(const text_view *v, size_t e)
{
    size_t w = e;
    while (w > 0 && e - w < 32 && (is_alpha(v->s[w - 1]) || v->s[w - 1] >= 0x80))
        w--;
    return password_word((const char *)v->s + w, e - w);
}

/* A password told right after the word for password, when it reads as a
 * credential (see header_value(): "password 123456" is one, "password
 * 2024" is not). At its start s; returns its end, or 0. */
static size_t password_told_by_place(scan_ctx *c, const text_view *v, size_t s, int *err)
{
    size_t start, end = header_value(v, s, &start);
    if (!end || start != s)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, end, "");
    return end;
}

/* A key or token told right after its name ("API key 4f9a...", "secret
 * key Zx8Q...", "client secret 8Jd9..."): the word at s when it reads as a
 * random token (token_shaped(): a word of prose, a slug or an id does not)
 * and the one or two words that end at label_end name a secret. Returns
 * its end, or 0. */
static size_t key_told_by_place(scan_ctx *c, const text_view *v, size_t s, size_t label_end,
                                int *err)
{
    size_t e = s, w = label_end;
    while (e < v->n && e - s < 512 && (is_alnum(v->s[e]) || v->s[e] == '-' || v->s[e] == '_'))
        e++;
    /* it ends a word of prose, a cell or an element ("...</p>", "(... )") */
    if (e - s < 16 ||
        (e < v->n && !label_blank(v->s[e]) && !is_class(v->s[e], C_VALUE_END) &&
         !(v->s[e] && strchr(".<)!?", v->s[e]))) ||
        !token_shaped(v, s, e))
        return 0;
    /* an option's name too: "--api-key ..." */
    while (w > 0 && label_end - w < 32 &&
           (is_alpha(v->s[w - 1]) || v->s[w - 1] == '_' || v->s[w - 1] == '-'))
        w--;
    while (w < label_end && v->s[w] == '-')
        w++;
    if (w == label_end || (!secret_name_like((const char *)v->s + w, label_end - w) &&
                           !two_word_label_names_secret(v, w, label_end)))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, e, "");
    return e;
}

/* Whether a date starts at s: "2026-11-05", "05/11/2026", "5.11.2026". */
static bool date_at(const text_view *v, size_t s)
{
    size_t k = s, groups = 0;
    for (; groups < 3; groups++) {
        size_t g = k;
        while (k < v->n && k - g < 4 && is_digit(v->s[k]))
            k++;
        if (k == g ||
            (groups < 2 && (k >= v->n || (v->s[k] != '-' && v->s[k] != '/' && v->s[k] != '.'))))
            break;
        k += groups < 2;
    }
    return groups == 3;
}

/* Whether the 6 bytes at s may start a credential (see header_value()). */
static bool credential_start(const text_view *v, size_t s)
{
    for (size_t k = s; k < s + 6; k++)
        if (k >= v->n || !(credential_char(v->s[k]) || password_symbol(v->s[k])))
            return false;
    return true;
}

/*
 * The credential or code at s told after the label that ends at label_end
 * (see credential_told_otherwise()): masked when the label names a secret.
 * Returns its end, or 0.
 */
static __attribute__((noinline)) size_t told_after_label(scan_ctx *c, const text_view *v, size_t s,
                                                         size_t code, size_t label_end,
                                                         enum telling how, int *err)
{
    size_t label = told_label_start(v, label_end, how == TOLD_BY_PLACE ? 2 : 4), start;
    const char *name = (const char *)v->s + label;
    size_t n = label_end - label, credential = 0, end;
    /* a one-word label and a colon: "Name: value" (try_named_secret()) read
     * the credential, and a stylesheet writes thousands of them */
    if (how != TOLD_BY_PLACE && (how != TOLD_BY_COLON || !ascii_word(name, n)) &&
        (credential = header_value(v, s, &start)) && start != s)
        credential = 0;
    end = credential;
    if (code && label_names_code(name, n))
        end = code > credential ? code : credential;
    if (!n || !end || !secret_name_like(name, n))
        return 0;
    end = digit_run_end(v, end); /* "Kontonummer: 1234 56 78901" */
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, end, "");
    return end;
}

/*
 * A credential or a code told in another language, or after a label of
 * three words or more: the word at s, when the label before it (up to four
 * words) names a secret and what stands between them tells it
 * (told_label_end()). A credential (see header_value()) is told by a word
 * or a mark; a code of digits alone, when the label names a code
 * (label_names_code()), also by its place right after a label of one or
 * two words ("Verification code 482913": "Auth code expires in 2025" tells
 * no code). Returns its end, or 0. The cheap tests here, the label in
 * told_after_label(): most numbers after a word are no code.
 */
static __attribute__((noinline)) size_t credential_told_otherwise(scan_ctx *c, const text_view *v,
                                                                  size_t s, int *err)
{
    enum telling how;
    size_t code = code_digits_at(v, s), label_end;
    if ((!code && (!credential_start(v, s) || date_at(v, s))) ||
        !(label_end = told_label_end(v, s, &how)))
        return 0;
    size_t told; /* "passcode 4829" is a code's, read below */
    if (how == TOLD_BY_PLACE && ends_in_password_word(v, label_end) &&
        (told = password_told_by_place(c, v, s, err)) != 0)
        return told;
    if (how == TOLD_BY_PLACE && !code && (told = key_told_by_place(c, v, s, label_end, err)) != 0)
        return told;
    if (how == TOLD_BY_PLACE && (!code || !ends_in_code_noun(v, label_end)))
        return 0;
    return told_after_label(c, v, s, code, label_end, how, err);
}

/* Whether the number at s starts as an identity number does: two digits or
 * capitals, a third right after them or after a separator, and a sixth
 * byte that is one too ("123-45", "12 345") or a '-' after a group of five
 * ("35202-1234567-1", Pakistan's CNIC), not as a date does ("2026-11-05";
 * "05.11.2026" has no sixth): nearly no number in prose does ("2024",
 * "19-17"), and id_number_told() is left unread. */
static inline __attribute__((always_inline)) bool may_be_id_number(const text_view *v, size_t s)
{
    const uint8_t *p = v->s + s;
    bool sixth =
        s + 6 <= v->n &&
        (id_char(p[5]) || (p[5] == '-' && id_char(p[4]) && s + 7 <= v->n && id_char(p[6])));
    return sixth && id_char(p[0]) && id_char(p[1]) && (id_char(p[2]) || id_char(p[3])) &&
           p[4] != '-' && p[4] != '/' && p[4] != '.';
}

/* The word of up to 31 letters that ends at e, as [*from, e); false for
 * none or a longer one. */
static bool letters_before(const text_view *v, size_t e, size_t *from)
{
    size_t k = e; /* UTF-8's bytes too: "Cédula", "EMŠO" */
    while (k > 0 && e - k < 32 && (is_alpha(v->s[k - 1]) || v->s[k - 1] >= 0x80))
        k--;
    *from = k;
    return k < e && e - k < 32 && (k == 0 || !(is_alpha(v->s[k - 1]) || v->s[k - 1] >= 0x80));
}

/* Whether the words before the number at s name an identity number: one
 * word, or two one blank or '-' apart read as one ("Social Security",
 * "Steuer-ID"), after which a colon, '#', "no." or "number" may stand. A
 * blank may be a tab or a search's '+' (label_blank()): "?q=ssn+123-45-6789". */
static bool id_named_before(const text_view *v, size_t s)
{
    size_t k = s, from, first;
    for (int gaps = 0; k > 0 && gaps < 3 &&
                       (label_blank(v->s[k - 1]) || v->s[k - 1] == ':' || v->s[k - 1] == '#');
         gaps++)
        k = html_blank(v->s[k - 1]) ? blank_run_start(v, k) : k - 1;
    k -= k > 0 && v->s[k - 1] == '.';
    if (!letters_before(v, k, &from))
        return false;
    if (name_is(v, from, k, "no") || name_is(v, from, k, "nr") || name_is(v, from, k, "number") ||
        name_is(v, from, k, "nummer")) {
        for (k = from; k > 0 && from - k < 2 && label_blank(v->s[k - 1]);)
            k--;
        if (!letters_before(v, k, &from))
            return false;
    }
    if (id_noun_word((const char *)v->s + from, k - from))
        return true;
    char two[64];
    if (from < 2 || (!label_blank(v->s[from - 1]) && v->s[from - 1] != '-') ||
        !letters_before(v, from - 1, &first))
        return false;
    size_t n1 = from - 1 - first, n2 = k - from;
    memcpy(two, v->s + first, n1);
    memcpy(two + n1, v->s + from, n2);
    return id_noun_word(two, n1 + n2);
}

/*
 * A national identity, tax or passport number right after its name, with
 * or without a colon or "no." ("SSN 123-45-6789", "BSN 123456782", "CPF
 * 123.456.789-09", "Aadhaar 2345 6789 0123", "Personnummer 19850514-1234",
 * "passport no. 533380006"): a support chat, a form's review page. The
 * number is 6 to 20 digits and capitals, 5 of them digits, in groups one
 * '-', '.', '/' or blank apart. At its first character s; returns its end,
 * or 0.
 */
static __attribute__((noinline)) size_t id_number_told(scan_ctx *c, const text_view *v, size_t s,
                                                       int *err)
{
    size_t e = s, alnum = 0, digits = 0; /* the number first: nearly every one is too short */
    for (; e < v->n && alnum <= 20; e++) {
        uint8_t ch = v->s[e];
        if (id_char(ch)) {
            alnum++;
            digits += is_digit(ch);
        } else if (!((ch == '-' || ch == '.' || ch == '/' || label_blank(ch)) && e > s &&
                     is_alnum(v->s[e - 1]) && e + 1 < v->n && id_char(v->s[e + 1]))) {
            break;
        }
    }
    if (alnum < 6 || alnum > 20 || digits < 5 || (e < v->n && is_alpha(v->s[e])) ||
        !id_named_before(v, s))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, e, "-./ +\t");
    return e;
}

/* ---- secrets a page shows as text of their own ------------------------------ */

/* The length of the blank (a space, or a line break or tab, maybe written
 * as a JSON escape) at s, n bytes on: 0 for none. */
static size_t raw_blank_at(const char *s, size_t n)
{
    if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r'))
        return 1;
    return n >= 2 && s[0] == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == 'r') ? 2 : 0;
}

/* Whether [s, e) is 3 to 8 groups of the same 3 to 8 letters and digits
 * (the last maybe shorter), one space apart, with a digit: a key or an
 * IBAN printed for a person to type. */
static bool key_in_groups(const char *s, const char *e)
{
    size_t groups = 0, size = 0, run = 0;
    bool digit = false;
    for (const char *p = s;; p++) {
        if (p < e && is_alnum((uint8_t)*p)) {
            digit |= is_digit((uint8_t)*p);
            run++;
            continue;
        }
        if ((run < 3 && !(p == e && run && size)) || run > 8 || (size && run > size) ||
            (size && run < size && p != e))
            return false;
        size = run;
        run = 0;
        groups++;
        if (p == e)
            return groups >= 3 && groups <= 8 && digit;
        if (*p != ' ')
            return false;
    }
}

/* What [s, e) reads as whole: see detect_shown_secret(). */
static enum shown_secret shown_shape(const char *s, const char *e)
{
    size_t digits = 0, letters = 0, gaps = 0, len = (size_t)(e - s), group = 0;
    const char *group_start = s;
    bool word = true; /* no blank in it */
    if (len > 71)     /* longer than 8 groups of 8 */
        return SHOWN_NONE;
    for (const char *p = s; p < e; p++) {
        uint8_t ch = (uint8_t)*p;
        if (is_digit(ch)) {
            digits++;
        } else if (is_alpha(ch)) {
            letters++;
        } else if (ch == ' ') { /* groups of one size, as a key or a number is printed */
            size_t run = (size_t)(p - group_start);
            if (run < 2 || run > 8 || (group && run != group) || ++gaps > 7)
                return SHOWN_NONE; /* prose: "Listing 19-17", "to request a number" */
            group = run;
            group_start = p + 1;
            word = false;
        } else if (ch == '-') {
            gaps++;
        } else if (!credential_char(ch) && !password_symbol(ch)) {
            return SHOWN_NONE; /* code, a sentence's punctuation */
        }
    }
    if (digits == len - gaps && digits >= 4 && digits <= 20 && gaps <= 2 &&
        is_digit((uint8_t)s[0]) && is_digit((uint8_t)e[-1]))
        return SHOWN_CODE; /* "4821", "4829-1337", a sort code's "20-00-00", an account's */
    if (word && len >= 8 && len <= 64 && digits >= 2 && letters) /* not "OAuth2", "1Password" */
        return SHOWN_CREDENTIAL;
    return len >= 11 && !word && key_in_groups(s, e) ? SHOWN_CREDENTIAL : SHOWN_NONE;
}

/* Where the blanks at s end (JSON escapes of line breaks and tabs too). */
static const char *past_raw_blanks(const char *s, const char *e)
{
    size_t k;
    while (s < e && (k = raw_blank_at(s, (size_t)(e - s))) != 0)
        s += k;
    return s;
}

enum shown_secret detect_shown_secret(const char *s, size_t n)
{
    const char *e = s + n;
    s = past_raw_blanks(s, e);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ||
            (e - s >= 2 && e[-2] == '\\' && (e[-1] == 'n' || e[-1] == 't' || e[-1] == 'r'))))
        e -= e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' ? 1 : 2;
    return s < e ? shown_shape(s, e) : SHOWN_NONE;
}

enum shown_secret detect_leading_secret(const char *s, size_t n, size_t *from, size_t *to)
{
    const char *start = s, *e = s + n;
    s = past_raw_blanks(s, e);
    if (s < e && (*s == ':' || *s == '-')) /* what the label left: ": Qz6yN4kVx2" */
        s = past_raw_blanks(s + 1, e);
    const char *w = s;
    while (w < e && (credential_char((uint8_t)*w) || password_symbol((uint8_t)*w)))
        w++;
    if (w > s && (w[-1] == '.' || w[-1] == ',')) /* a sentence goes on: "Qz6yN4kVx2." */
        w--;
    enum shown_secret shown = w > s ? shown_shape(s, w) : SHOWN_NONE;
    *from = (size_t)(s - start);
    *to = (size_t)(w - start);
    return shown;
}

/* The password of a command line in a site search's query around the word
 * at s (command_line_password_in_query()), masked: its end, or 0. */
static __attribute__((noinline)) size_t query_command_line_secret(scan_ctx *c, const text_view *v,
                                                                  size_t s, int *err)
{
    size_t start, end = command_line_password_in_query(v, s, &start);
    if (!end)
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/* The password a command line passes around the word at s
 * (command_line_password()), masked: its end, or 0. A word after a '+' is
 * read again with '+' as a blank (a site search's query); one after a
 * user's name ("+admin:...", "+scott/...") is not: every host's port and
 * URL's path would pay for it. */
static __attribute__((noinline)) size_t command_line_secret(scan_ctx *c, const text_view *v,
                                                            size_t s, int *err)
{
    size_t start, end = command_line_password(v, s, &start);
    if (!end) /* "+-p...", "+Kestrel...", "+'Kestrel..." */
        return s > 1 && (v->s[s - 1] == '+' || v->s[s - 2] == '+') /* in_query_command() */
                   ? query_command_line_secret(c, v, s, err)
                   : 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, start, end, "");
    return end;
}

/* The address Cloudflare's email obfuscation writes in a link's fragment
 * ("/cdn-cgi/l/email-protection#4f252e..."): hex whose first byte is the key
 * each other byte is XORed with. Masked when it holds an '@' and the
 * policy masks emails; the same hex in data-cfemail is read by its name. */
static __attribute__((noinline)) size_t cf_email_at(scan_ctx *c, const text_view *v, size_t s,
                                                    int *err)
{
    static const char MARK[] = "email-protection#";
    size_t mark = sizeof MARK - 1, e = s;
    if (c->policy->record_pii || s < mark || memcmp(v->s + s - mark, MARK, mark))
        return 0;
    uint8_t bytes[256];
    size_t n = 0;
    while (e < v->n && e - s < 2 * sizeof bytes && is_hex(v->s[e]))
        e++;
    if (e - s < 8 || (e - s) % 2 ||
        sodium_hex2bin(bytes, sizeof bytes, (const char *)v->s + s, e - s, NULL, &n, NULL))
        return 0;
    bool at = false;
    for (size_t k = 1; k < n && !at; k++)
        at = (bytes[k] ^ bytes[0]) == '@';
    sodium_memzero(bytes, n);
    if (!at)
        return 0;
    count(c, MASKER_EMAIL);
    *err = mask_chars(c, v, s, e, "");
    return e;
}

/*
 * A token around the digit at i that names itself: a JSON Web Token (its
 * header segment starts with "eyJ", base64 of '{"', and has a digit within
 * its first few characters), a credential after an auth scheme, or one told
 * in prose (credential_told_or_set_at()). All are found from the start of
 * the word the digit is in, at most 64 back, or of a credential told with
 * a symbol or '+' before it ("Kestrel#2291", "Abc+Def12"; one with '/'
 * before its first digit is missed). Returns its end, or 0.
 */
static inline __attribute__((always_inline)) size_t try_token(scan_ctx *c, const text_view *v,
                                                              size_t i, int *err)
{
    size_t s = i;
    while (s > 0 && i - s < 64 && base64url_char(v->s[s - 1]))
        s--;
    if (s > 0 && base64url_char(v->s[s - 1]))
        return 0; /* a longer word: neither */
    if (i - s >= 3 && v->s[s] == 'e' && v->s[s + 1] == 'y' && v->s[s + 2] == 'J')
        return jwt_at(c, v, s, err);
    size_t e; /* "sk_live_51Hq...", "ghp_16C7...", "SG.ngeV...": most words fail the first test */
    if ((vendor_first_byte(v->s[s]) || (s >= 2 && v->s[s - 1] == '.')) &&
        (e = vendor_token_at(c, v, s, i, err)))
        return e;
    /* nearly every other digit has no scheme's last letter and a space before
     * its word ("Bearer", "Basic", "Token", "Digest") */
    size_t w = s > 0 && is_quote(v->s[s - 1]) ? s - 1 : s; /* a value told in quotes */
    uint8_t gap = w >= 6 ? v->s[w - 1] : 0,
            last = gap == ' ' || gap == '+' ? v->s[w - 2] | 0x20 : 0;
    if (w == s && (last == 'r' || last == 'c' || last == 'n' || last == 't') &&
        (e = scheme_credential_at(c, v, s, err)))
        return e;
    size_t g = last && ends_telling(v, w) ? w - 1 : 0; /* where the gap before it starts */
    if (!g && html_blank(gap) && (gap != ' ' || html_blank(v->s[w - 2]))) {
        g = blank_run_start(v, w); /* a template's line break and indent: one gap */
        g = g >= 5 && ends_telling(v, g + 1) ? g : 0;
    }
    if (g && (e = credential_told_or_set_at(c, v, g, w, err)))
        return e;
    if (s > 0 && (password_symbol(v->s[s - 1]) || v->s[s - 1] == '+') && /* "Kestrel#2291" */
        (w = told_word_start(v, s, &g)) &&
        ((e = credential_told_or_set_at(c, v, g, w, err)) || *err))
        return e;
    uint8_t before = s > 0 ? v->s[s - 1] : 0;
    if (before == '/' || before == '%' || before == ',') /* "scott/Kestrel9vQ2@orcl" */
        return command_line_secret(c, v, s, err);
    if (before == '#')
        return cf_email_at(c, v, s, err);
    if (label_blank(before) || before == ':' || before == '[' || before == '(' || before >= 0x80 ||
        is_quote(before)) {
        if ((label_blank(before) || before == ':' || is_quote(before)) &&
            ((e = command_line_secret(c, v, s, err)) || *err))
            return e;
        if ((e = credential_told_otherwise(c, v, s, err)) || *err)
            return e;
        return s >= 4 && (label_blank(before) || before == ':') && may_be_id_number(v, s)
                   ? id_number_told(c, v, s, err)
                   : 0;
    }
    return 0;
}

/* ---- base64 ------------------------------------------------------------------ */

static int scan_view(scan_ctx *c, const text_view *v, enum scan_mode mode);

/* A base64 word long enough to hold a card (12 digits are 16 characters);
 * longer than the most decoded here (images, fonts), it is left to the
 * other detectors. */
enum { BASE64_LEAST = 16, BASE64_MOST = 4096 };

static inline bool base64_char(uint8_t ch)
{
    return CLASS[ch] & C_BASE64;
}

/* Whether s[0, n) has a capital letter and a small one or a digit, as
 * base64 of text has ("NTU1" is "555"); URL paths and most ids have no
 * capital. */
static bool base64_like(const uint8_t *s, size_t n)
{
    bool upper = false, other = false;
    for (size_t k = 0; k < n && !(upper && other); k++) {
        upper |= s[k] >= 'A' && s[k] <= 'Z';
        other |= (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9');
    }
    return upper && other;
}

/* Whether decoded bytes read as text (JSON, a query string, digits): those
 * of an image, a hash or a key do not. */
static bool reads_as_text(const uint8_t *b, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((b[k] < 0x20 && b[k] != '\n' && b[k] != '\r' && b[k] != '\t') || b[k] == 0x7f)
            return false;
    return n > 0;
}

/* Whether findings counted under policy p include one it masks: an address
 * is counted even where the policy keeps it whole (ip_octets 0). */
static bool policy_masks_any(const masker_policy *p, const masker_findings *found)
{
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        if (found->count[k] > 0 && !(k == MASKER_IP && p->ip_octets == 0))
            return true;
    return false;
}

/* What the detectors find in decoded base64 text[0, n), counted into
 * *found: whether any of it is masked under c's policy. */
static bool base64_text_finds(const scan_ctx *c, const uint8_t *text, size_t n,
                              masker_findings *found)
{
    text_view decoded = {.s = text, .n = n};
    scan_ctx inner = {.json = c->json,
                      .scratch = c->scratch,
                      .findings = found,
                      .policy = c->policy,
                      .dry_run = true,
                      .in_base64 = true};
    return scan_view(&inner, &decoded, SCAN_TEXT) == VEIL_OK && policy_masks_any(c->policy, found);
}

/* Whether the first bytes v[s, s + 64) decode (`variant`) to text: a long
 * word that does not is an image or a font. */
static bool base64_starts_as_text(const text_view *v, size_t s, int variant)
{
    uint8_t head[48];
    size_t n = 0;
    return !sodium_base642bin(head, sizeof head, (const char *)v->s + s, 64, NULL, &n, NULL,
                              variant) &&
           reads_as_text(head, n);
}

/* What the detectors find in what v[s, e) decodes to, under c's policy,
 * counted into *found; false when it is not base64 of text or holds
 * nothing. A word longer than BASE64_MOST is decoded on the heap when its
 * start reads as text (a JSON export in a data: URL, a saved state). */
static bool base64_finds(const scan_ctx *c, const text_view *v, size_t s, size_t e,
                         masker_findings *found)
{
    uint8_t stack[BASE64_MOST / 4 * 3 + 3], *text = stack;
    size_t len = e - s, n = 0, cap = sizeof stack;
    if (len < BASE64_LEAST || !base64_like(v->s + s, len))
        return false;
    bool url_safe = false, original = false;
    for (size_t k = s; k < e; k++) {
        url_safe |= v->s[k] == '-' || v->s[k] == '_';
        original |= v->s[k] == '+' || v->s[k] == '/';
    }
    int variant = url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING
                           : sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
    if (url_safe && original)
        return false;
    if (len > BASE64_MOST) {
        if (!base64_starts_as_text(v, s, variant))
            return false;
        cap = len / 4 * 3 + 3;
        if (!(text = malloc(cap)))
            return true; /* cannot read it: masked whole (fail closed) */
    }
    len -= len % 4 == 1; /* a stray last character: decode the rest */
    bool read =
        !sodium_base642bin(text, cap, (const char *)v->s + s, len, NULL, &n, NULL, variant) &&
        reads_as_text(text, n);
    bool any = read && base64_text_finds(c, text, n, found);
    sodium_memzero(text, n);
    if (text != stack)
        free(text);
    return any;
}

/* Whether a capital letter is within 4 bytes of i (in a string of at least
 * BASE64_LEAST bytes). */
static inline bool upper_near(const text_view *v, size_t i)
{
    if (v->n < BASE64_LEAST)
        return false;
    size_t from = i > 4 ? i - 4 : 0, to = i + 5 < v->n ? i + 5 : v->n;
    for (size_t k = from; k < to; k++)
        if (v->s[k] >= 'A' && v->s[k] <= 'Z')
            return true;
    return false;
}

/* Masks the base64 word v[s, e) and its padding, counting what it holds. */
static size_t base64_mask(scan_ctx *c, const text_view *v, size_t s, size_t e,
                          const masker_findings *found, int *err)
{
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        c->findings->count[k] += found->count[k];
    for (size_t pad = 0; e < v->n && v->s[e] == '=' && pad < 2; pad++)
        e++;
    *err = mask_chars(c, v, s, e, "");
    return e;
}

/*
 * A base64 word around offset i (a digit in it, or its first or last
 * character) whose text holds something masked
 * (`?data=eyJjYXJkIjoi...`: analytics payloads, cookies, tokens of JSON):
 * the whole word is masked, its padding too. When the word is not that
 * whole (a URL path: `/v1/e/eyJ.../pixel.gif`), the segment between slashes
 * around i is tried. Each is tried once (*tried: where the last one tried
 * ends); nothing before `floor` is read (the scan has been there). Returns
 * the end of what it masked, or 0.
 */
static __attribute__((noinline)) size_t try_base64(scan_ctx *c, const text_view *v, size_t i,
                                                   size_t floor, size_t *tried, int *err)
{
    size_t s = i, e = i;
    while (e < v->n && e - i <= BASE64_MOST && base64_char(v->s[e]))
        e++;
    while (s > floor && i - s <= BASE64_MOST && base64_char(v->s[s - 1]))
        s--;
    bool cut = s > 0 && base64_char(v->s[s - 1]); /* by floor, or too long */
    masker_findings found = {0};
    if (!cut && e < v->n && base64_char(v->s[e]) && v->s[s] != '/') {
        /* longer than BASE64_MOST, from its start: read whole once, then
         * passed over (its '/' are not a path's) */
        while (e < v->n && base64_char(v->s[e]))
            e++;
        *tried = e;
        return base64_finds(c, v, s, e, &found) ? base64_mask(c, v, s, e, &found, err) : 0;
    }
    if (!cut && base64_finds(c, v, s, e, &found)) {
        *tried = e;
        return base64_mask(c, v, s, e, &found, err);
    }
    size_t a = i, b = i;
    while (a > s && v->s[a - 1] != '/')
        a--;
    while (b < e && v->s[b] != '/')
        b++;
    *tried = b;
    memset(&found, 0, sizeof found);
    bool whole = a == s && b == e && !cut; /* tried above */
    bool segment_cut = a == s && cut && v->s[s - 1] != '/';
    if (whole || segment_cut || !base64_finds(c, v, a, b, &found))
        return 0;
    return base64_mask(c, v, a, b, &found, err);
}

/*
 * The body of a private key in PEM or OpenPGP armour ("-----BEGIN RSA
 * PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PGP
 * PRIVATE KEY BLOCK-----"): a hosting dashboard shows a key it generated, a
 * visitor pastes one into a support chat. Its base64 is binary inside, which
 * no pattern reads. At a digit i of the body, the header within 256 bytes
 * before it: everything from the header's dashes to "-----END" (or the
 * text's end) is masked but its line breaks, the armour kept. Returns the
 * end of what it masked, or 0.
 */
static size_t pem_private_key(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t stop = i > 256 ? i - 256 : 0, k = i;
    while (k > stop && !(v->s[k - 1] == 'P' && follows_text(v, k - 1, "private key")))
        k--;
    const uint8_t *dashes = k > stop ? memmem(v->s + k, i - k, "-----", 5) : NULL;
    if (!dashes)
        return 0;
    size_t body = (size_t)(dashes - v->s) + 5;
    if (memmem(v->s + body, i - body, "-----", 5)) /* an end before i: another key's */
        return 0;
    const uint8_t *end = memmem(v->s + i, v->n - i, "-----END", 8);
    size_t e = end ? (size_t)(end - v->s) : v->n;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, body, e, "\n\r");
    return e;
}

/* Whether a capital letter comes before the end of the URL at h; when
 * none does, *end is where it ends. */
static bool url_has_capital(const text_view *v, size_t h, size_t *end)
{
    size_t k = h;
#if defined(__SSE2__)
    const __m128i a = _mm_set1_epi8('A' - 1), z = _mm_set1_epi8('Z' + 1),
                  space = _mm_set1_epi8(' ');
    const __m128i quote = _mm_set1_epi8('"'), apos = _mm_set1_epi8('\''), lt = _mm_set1_epi8('<');
    const __m128i gt = _mm_set1_epi8('>');
    for (; k + 16 <= v->n; k += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(v->s + k));
        unsigned upper =
            (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(b, a), _mm_cmplt_epi8(b, z)));
        __m128i ends = _mm_or_si128(
            _mm_cmpeq_epi8(_mm_min_epu8(b, space), b),
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, apos)),
                         _mm_or_si128(_mm_cmpeq_epi8(b, lt), _mm_cmpeq_epi8(b, gt))));
        unsigned stop = (unsigned)_mm_movemask_epi8(ends);
        if (stop && (upper & ((stop & -stop) - 1)))
            return true;
        if (stop) {
            *end = k + (size_t)__builtin_ctz(stop);
            return false;
        }
        if (upper)
            return true;
    }
#endif
    for (; k < v->n && !url_end(v->s[k]); k++)
        if (v->s[k] >= 'A' && v->s[k] <= 'Z')
            return true;
    *end = k;
    return false;
}

/*
 * The first segment of the URL whose host starts at h (it ends at a blank,
 * quote or angle bracket) that is a base64 word holding something: what
 * stands between h and it is scanned first, then it is masked. Only URLs
 * with a capital letter are read (nearly no path has one). Returns the end
 * of what it masked, or 0.
 */
static __attribute__((noinline)) size_t base64_in_url(scan_ctx *c, const text_view *v, size_t h,
                                                      size_t *tried, size_t *read_to,
                                                      enum scan_mode mode, int *err)
{
    if (h < *read_to) /* in a URL read already from an earlier "://" ("http://http://...") */
        return 0;
    size_t end = h;
    if (!url_has_capital(v, h, &end)) {
        *read_to = end;
        return 0;
    }
    while (end < v->n && !url_end(v->s[end]))
        end++;
    *read_to = end; /* unless a segment is found: then the scan goes on past it */
    for (size_t k = h; k < end; k++) { /* from each segment's start */
        masker_findings found = {0};
        size_t e = k;
        bool starts = k == h || v->s[k - 1] == '/' || !base64_char(v->s[k - 1]);
        if (!starts || k < *tried || !base64_char(v->s[k]) || v->s[k] == '/')
            continue;
        while (e < end && base64_char(v->s[e]) && v->s[e] != '/')
            e++;
        *tried = e;
        if (!base64_finds(c, v, k, e, &found))
            continue;
        text_view head = *v; /* the host and path before it */
        head.n = k;
        *read_to = k; /* what follows this segment was not read */
        if ((*err = scan_from(c, &head, h, mode)))
            return 0;
        return base64_mask(c, v, k, e, &found, err);
    }
    return 0;
}

/* Whether a word of path segment [s, e) names what a link does with the
 * token after it (link_action_word()): words are split at other characters
 * and where a capital follows a small letter ("reset-password",
 * "verify_email", "resetPassword"). */
static bool segment_names_link_action(const text_view *v, size_t s, size_t e)
{
    for (size_t k = s; k < e;) {
        size_t w = k + 1;
        if (!is_alpha(v->s[k])) {
            k++;
            continue;
        }
        while (w < e && is_alpha(v->s[w]) && !(is_capital(v->s[w]) && !is_capital(v->s[w - 1])))
            w++;
        if (link_action_word((const char *)v->s + k, w - k))
            return true;
        k = w;
    }
    return false;
}

/* Where a URL's host or a segment of its path ends. */
static const bool PATH_STOP[256] = {[0 ... ' '] = true, ['"'] = true, ['\''] = true, ['<'] = true,
                                    ['>'] = true,       ['/'] = true, ['?'] = true,  ['#'] = true};

static bool path_stop(uint8_t ch)
{
    return PATH_STOP[ch];
}

/* Masks a link's token [s, e), what stands between the host's start h and
 * it scanned first. */
static size_t mask_link_token(scan_ctx *c, const text_view *v, size_t h, size_t s, size_t e,
                              enum scan_mode mode, int *err)
{
    text_view head = *v; /* the host and path before it */
    head.n = s;
    if ((*err = scan_from(c, &head, h, mode)))
        return 0;
    count(c, MASKER_SECRET);
    *err = mask_chars(c, v, s, e, "");
    return e;
}

/*
 * The token in a link mailed to sign in, reset a password, confirm an
 * address, accept an invitation or unsubscribe, or in a webhook's URL: a
 * segment that reads as a random token (token_shaped()) one or two segments
 * after one whose words name such an action ("/password/reset/<token>",
 * Django's "/reset/<uid>/<token>/", "/invite/accept/<uuid>",
 * "/login/magic/<token>", "/api/webhooks/<id>/<token>"), or one of the first
 * four segments on a host whose name starts "hooks." (Slack's incoming
 * webhooks), or a query value that does after such a path, whatever its
 * name ("/reset-password?t=<token>"). A path elsewhere keeps its ids. The host
 * and path before the token are scanned first, then it is masked. At the
 * host's start h; returns the end of what it masked, or 0.
 */
static size_t link_token_in_url(scan_ctx *c, const text_view *v, size_t h, size_t *read_to,
                                enum scan_mode mode, int *err)
{
    if (h < *read_to) /* in a URL read already from an earlier "://" */
        return 0;
    size_t k = h, armed = 0;
    bool named = false;
    while (k < v->n && !path_stop(v->s[k])) /* the host */
        k++;
    if (follows_text(v, h, "hooks.")) /* Slack's: /services/T.../B.../<token> */
        armed = 4;
    while (k < v->n && v->s[k] == '/') {
        size_t s = k + 1, e = s;
        while (e < v->n && !path_stop(v->s[e]))
            e++;
        k = *read_to = e;
        if (segment_names_link_action(v, s, e)) {
            named = true;
            armed = 2;
        } else if (armed && (armed--, token_shaped(v, s, e))) {
            return mask_link_token(c, v, h, s, e, mode, err);
        }
    }
    if (!named)
        return 0;
    size_t end = k; /* the query's, or where a URL in it starts: that one is read from its "://" */
    while (end < v->n && end - k < 2048 && !url_end(v->s[end]) && !follows_text(v, end, "://"))
        end++;
    /* an authorization request's query holds random ids and no secret */
    if (url_has_param(v, k + 1, end, "client_id") || url_has_param(v, k + 1, end, "response_type"))
        return 0;
    while (k < end && (v->s[k] == '?' || v->s[k] == '&' || v->s[k] == '#')) {
        size_t s = k + 1, e;
        while (s < end && v->s[s] != '=' && v->s[s] != '&')
            s++;
        s += s < end && v->s[s] == '=';
        for (e = s; e < end && v->s[e] != '&' && v->s[e] != '#'; e++)
            ;
        k = *read_to = e;
        if (token_shaped(v, s, e))
            return mask_link_token(c, v, h, s, e, mode, err);
    }
    return 0;
}

/*
 * A base64 word with no digit in it (base64 of "1111" is "MTEx") is found
 * by what stands before it: the '=' of a query or form value
 * ("?d=bnVtYmVy..."), the ':' of a JSON member held in a string, the
 * padding '=' after it, or the "://" of a URL whose path it is a segment
 * of. At the '=' or ':' at i; returns the end of what it masked, or 0.
 */
static inline __attribute__((always_inline)) size_t
base64_after_sign(scan_ctx *c, const text_view *v, size_t i, size_t floor, size_t *tried,
                  size_t *url_read_to, enum scan_mode mode, int *err)
{
    size_t k = i + 1, e;
    if (v->s[i] == ':') {
        if (k + 1 < v->n && v->s[k] == '/' && v->s[k + 1] == '/')
            return base64_in_url(c, v, k + 2, tried, url_read_to, mode, err);
        if (i == 0 || v->s[i - 1] != '"') /* only "name":"value" */
            return 0;
        k += k < v->n && v->s[k] == ' ';
        k += k < v->n && v->s[k] == '"';
    }
    if (v->s[i] == '=' && i > *tried && base64_char(v->s[i - 1]) && /* padding */
        (e = try_base64(c, v, i - 1, floor, tried, err)))
        return e;
    if (k < v->n && k >= *tried && base64_char(v->s[k]))
        return try_base64(c, v, k, k, tried, err);
    return 0;
}

/* The scan of v from offset i on. */
static int scan_from(scan_ctx *c, const text_view *v, size_t i, enum scan_mode mode)
{
    /* where runs already read end, so that each is read once: a long one
     * read again from each of its bytes would take the scan quadratic time */
    size_t floor = i, base64_tried = 0, no_ipv6_to = 0, url_read_to = 0, link_read_to = 0;
    url_seen url = {0};
    int err = VEIL_OK;
    while (!err && (i = next_candidate(v, i)) < v->n) {
        uint8_t ch = v->s[i];
        size_t next = i + 1, e = 0;
        if (ch == '@') {
            if ((e = try_userinfo_password(c, v, i, &err)))
                next = e + 1;
            else if (!c->policy->record_pii &&
                     ((e = try_email(c, v, i, &err)) || (e = try_email_in_markup(c, v, i, &err)) ||
                      (mode == SCAN_TYPED && (e = typed_email(c, v, i, &err)))))
                next = e;
        } else if (ch == '=' || ch == ':') {
            if ((e = try_named_secret(c, v, i, &url, mode, &err)))
                next = e;
            else if (ch == '=' && ((e = try_multipart_secret(c, v, i, mode, &err)) ||
                                   (e = try_markup_value(c, v, i, &err))))
                next = e;
            else if (ch == ':' && (e = try_ipv6(c, v, i, &no_ipv6_to, &err)))
                next = e;
            else if (ch == ':' && i + 2 < v->n && v->s[i + 1] == '/' && v->s[i + 2] == '/' &&
                     (e = link_token_in_url(c, v, i + 3, &link_read_to, mode, &err)))
                next = e;
            else if (!c->in_base64 && (e = base64_after_sign(c, v, i, floor, &base64_tried,
                                                             &url_read_to, mode, &err)))
                next = e;
        } else if (ch == '>') {
            if ((e = try_xml_secret(c, v, i, &err)))
                next = e;
        } else if (/* what iban_at() and telegram_bot_token() read first, here: nearly
                    * every digit fails it, and a call in this loop costs */
                   (i >= 2 && is_alpha(v->s[i - 1]) && is_alpha(v->s[i - 2]) &&
                    (i == 2 || !is_alnum(v->s[i - 3])) && (e = iban_at(c, v, i, mode, &err))) ||
                   (i + 44 <= v->n &&
                    (v->s[i + 8] == ':' || v->s[i + 9] == ':' || v->s[i + 10] == ':') &&
                    (e = telegram_bot_token(c, v, i, &err))) ||
                   (i > 0 && (e = try_token(c, v, i, &err)))) {
            next = e;
        } else if (i > base64_tried && base64_char(v->s[i - 1]) && upper_near(v, i) &&
                   !c->in_base64 &&
                   ((e = pem_private_key(c, v, i, &err)) ||
                    (e = try_base64(c, v, i, floor, &base64_tried, &err)))) {
            /* a number standing alone ("12px", " 2018"), nearly every digit
             * here, is not in a word, and URL paths and ids have no capital
             * letters; base64 has a letter before most of its digits and a
             * capital near most of them */
            next = e;
        } else {
            err = digits_at(c, v, i, mode, &next);
        }
        /* a finding may end before i (a credential told before the quote
         * and '!' a digit stands after: "to Winte0\"!2"): what it found is
         * done, and a dry run, which masks nothing, would find it again */
        i = floor = next > i ? next : i + 1;
    }
    return err;
}

static int scan_view(scan_ctx *c, const text_view *v, enum scan_mode mode)
{
    return scan_from(c, v, 0, mode);
}

/* The scan proper, for a string (or key) the tokenizer marked TOK_F_CANDIDATE. */
static int scan_token(scan_ctx *c, const json_tok *t, enum scan_mode mode)
{
    text_view v;
    int err = text_view_of(c->scratch, c->json, t, &v);
    if (err)
        return err;
    err = scan_view(c, &v, mode);
    text_view_done(c->scratch, &v);
    return err;
}

/* The length of number token t's lexeme (a number read as a 32-bit integer
 * keeps its value where the length was). */
static uint32_t number_len(const scan_ctx *c, const json_tok *t)
{
    if (!(t->flags & TOK_F_UINT))
        return t->len;
    const char *p = c->json + t->start;
    uint32_t n = 0;
    while ((p[n] >= '0' && p[n] <= '9') || p[n] == '-' || p[n] == '+' || p[n] == '.' ||
           p[n] == 'e' || p[n] == 'E')
        n++;
    return n;
}

/*
 * Replaces number token t by rep (a string). No longer than the number, it
 * is written in place and followed by spaces, which JSON allows after a
 * value; longer, it is queued (it lengthens the batch: the copy path).
 */
static int replace_number(scan_ctx *c, const json_tok *t, const char *rep, size_t rep_len)
{
    uint32_t len = number_len(c, t);
    if (rep_len > len)
        return edit_push(c->edits, t->start, len, rep, rep_len, EDIT_NOT_IN_STRING);
    memcpy(c->json + t->start, rep, rep_len);
    memset(c->json + t->start + rep_len, ' ', len - rep_len);
    return VEIL_OK;
}

/*
 * The digits of the integer a JSON number lexeme stands for (4.2e3: 4200),
 * without leading zeros, into d; 0 when it is not an integer or needs more
 * than cap digits. The lexeme was validated by the tokenizer, but the
 * tokenizer's dry run reads a small integer's bytes before the byte after
 * them is ("0e1+" of input it rejects next): anything else reads as 0.
 */
static size_t number_digits(const char *s, size_t len, uint8_t *d, size_t cap)
{
    uint8_t all[64];
    size_t i = s[0] == '-', n = 0, frac = 0;
    bool in_frac = false;
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = true;
            continue;
        }
        if (n == sizeof all || s[i] < '0' || s[i] > '9')
            return 0;
        all[n++] = (uint8_t)(s[i] - '0');
        frac += in_frac;
    }
    long exp = 0;
    if (i < len) {
        bool neg = s[++i] == '-';
        i += s[i] == '-' || s[i] == '+';
        for (; i < len && s[i] >= '0' && s[i] <= '9' && exp < 100000; i++)
            exp = exp * 10 + (s[i] - '0');
        if (i < len && (s[i] < '0' || s[i] > '9'))
            return 0; /* not a number's lexeme: bytes after one the input then fails on */
        exp = neg ? -exp : exp;
    }
    long shift = exp - (long)frac; /* the value is all[0..n) times 10^shift */
    for (; shift < 0; shift++) {   /* an integer only when what the point cuts off is 0 */
        if (n == 0 || all[n - 1] != 0)
            return 0;
        n--;
    }
    size_t lead = 0;
    while (lead < n && all[lead] == 0)
        lead++;
    if (lead == n || (size_t)shift > cap || n - lead + (size_t)shift > cap)
        return 0;
    memcpy(d, all + lead, n - lead);
    memset(d + n - lead, 0, (size_t)shift);
    return n - lead + (size_t)shift;
}

/*
 * A JSON number is read like the digits it stands for: a card number
 * written as a number (or in exponent form, 4.242424242424242e15) becomes
 * a masked string; the JSON stays valid, only that value's type changes.
 */
static int scan_number(scan_ctx *c, const json_tok *t)
{
    uint8_t d[20];
    size_t n = number_digits(c->json + t->start, number_len(c, t), d, sizeof d);
    if (n < 12 || n > 19 || !card_number_ok(d, n))
        return VEIL_OK;
    count(c, c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE);
    if (c->dry_run)
        return VEIL_OK;
    char rep[24] = "\"";
    memset(rep + 1, '*', n);
    rep[n + 1] = '"';
    return replace_number(c, t, rep, n + 2);
}

int detect_scan_string(scan_ctx *c, const json_tok *t, enum scan_mode mode)
{
    if (!(t->flags & TOK_F_CANDIDATE))
        return VEIL_OK;
    return t->kind == TOK_NUM ? scan_number(c, t) : scan_token(c, t, mode);
}

/*
 * The sweep's scan, counting only, under the strictest policy (PII masked,
 * every IP a finding). The tokenizer calls it while the string's bytes are
 * in cache; the sweep comes back later only for strings where it found
 * something. The scan counts a finding before each edit it makes, so none
 * found here means the sweep would edit nothing under any policy.
 */
bool detect_may_find(decode_scratch *scratch, const card_echoes *echoes, const char *json,
                     const json_tok *t)
{
    static const masker_policy strictest = {.ip_octets = 4};
    masker_findings found = {0};
    scan_ctx c = {.json = (char *)json, /* a dry run writes nothing */
                  .scratch = scratch,
                  .findings = &found,
                  .policy = &strictest,
                  .dry_run = true,
                  .echoes = (card_echoes *)echoes}; /* read only: a dry run notes nothing */
    if (detect_scan_string(&c, t, SCAN_TEXT))
        return true; /* no memory to decode it now: the sweep tries again */
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        if (found.count[k])
            return true;
    return false;
}

/*
 * The strings reach here long after the tokenizer read them, and in a large
 * batch they are out of cache: the sweep gathers the next few candidates and
 * asks for all their bytes at once, then scans them. Keys it lists on their
 * own (they are not on the tape).
 */
int detect_sweep(scan_ctx *c, const json_tape *tape)
{
    enum { AHEAD = 32 };
    const json_tok *t = tape->tok;
    const uint32_t *cand = tape->candidates.v;
    uint32_t i = 0;
    while (i < tape->candidates.n) {
        uint32_t todo[AHEAD], n = 0;
        for (; i < tape->candidates.n && n < AHEAD; i++) {
            const json_tok *k = &t[cand[i]];
            if (k->flags & TOK_F_VISITED)
                continue;
            for (uint32_t b = 0; b < k->len && b < 256; b += 64)
                __builtin_prefetch(c->json + k->start + b);
            todo[n++] = cand[i];
        }
        for (uint32_t k = 0; k < n; k++) {
            int err = detect_scan_string(c, &t[todo[k]], SCAN_TEXT);
            if (err)
                return err;
        }
    }
    for (uint32_t k = 0; k < tape->n_keys; k++) {
        int err = scan_token(c, &tape->keys[k], SCAN_TEXT);
        if (err)
            return err;
    }
    return VEIL_OK;
}

int detect_sweep_unlisted(scan_ctx *c, const json_tape *tape)
{
    const uint32_t *cand = tape->candidates.v;
    uint32_t listed = 0;
    for (uint32_t i = 1; i < tape->n; i++) {
        const json_tok *k = &tape->tok[i];
        while (listed < tape->candidates.n && cand[listed] < i)
            listed++;
        if (k->kind != TOK_STR || !(k->flags & TOK_F_CANDIDATE) || (k->flags & TOK_F_VISITED) ||
            (listed < tape->candidates.n && cand[listed] == i))
            continue;
        int err = detect_scan_string(c, k, SCAN_TEXT);
        if (err)
            return err;
    }
    return VEIL_OK;
}

/* ---- field masks ------------------------------------------------------------- */

static bool keep_in_text(uint8_t ch)
{
    return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
}

/* A number where a string belongs: replaced by a string of as many '*'. */
static int mask_number(scan_ctx *c, const json_tok *t, enum field_mask how)
{
    size_t stars = how == MASK_FIXED ? MASKER_FIXED_LEN : number_len(c, t);
    veil_buf rep = {0};
    int err = veil_buf_append(&rep, "\"", 1);
    if (!err)
        err = veil_buf_append_fill(&rep, '*', stars);
    if (!err)
        err = veil_buf_append(&rep, "\"", 1);
    if (!err)
        err = replace_number(c, t, rep.data, rep.len);
    veil_buf_free(&rep);
    return err;
}

int detect_mask_ip_integer(scan_ctx *c, const json_tok *t, bool *masked)
{
    *masked = false;
    if (t->kind == TOK_NUM) {
        if (!(t->flags & TOK_F_UINT))
            return VEIL_OK;
        char kept[16];
        int n = snprintf(kept, sizeof kept, "%u", kept_address(c, t->uint_value));
        *masked = true;
        count(c, MASKER_IP);
        return c->policy->ip_octets ? replace_number(c, t, kept, (size_t)n) : VEIL_OK;
    }
    text_view v;
    uint64_t address;
    if (t->kind != TOK_STR || t->len == 0 || t->len > 10 ||
        text_view_of(c->scratch, c->json, t, &v))
        return VEIL_OK;
    int err = VEIL_OK;
    if (is_digit(v.s[0]) && host_number(&v, 0, v.n, &address)) {
        *masked = true;
        err = mask_ip_integer(c, &v, 0, v.n, (uint32_t)address);
    }
    text_view_done(c->scratch, &v);
    return err;
}

int detect_mask_to_null(scan_ctx *c, const json_tok *t)
{
    uint32_t start = t->start, len = t->len;
    if (t->kind == TOK_STR)
        start--, len += 2; /* with its quotes */
    else if (t->kind == TOK_NUM)
        len = number_len(c, t);
    else if (t->kind != TOK_TRUE && t->kind != TOK_FALSE)
        return VEIL_OK;
    count(c, MASKER_FIELD);
    if (len < 4) /* "": queued, as it lengthens the batch */
        return edit_push(c->edits, start, len, "null", 4, EDIT_NOT_IN_STRING);
    memcpy(c->json + start, "null", 4);
    memset(c->json + start + 4, ' ', len - 4); /* JSON allows blanks after a value */
    return VEIL_OK;
}

int detect_mask_field(scan_ctx *c, const json_tok *t, enum field_mask how)
{
    if (t->kind == TOK_NUM) {
        count(c, MASKER_FIELD);
        return mask_number(c, t, how);
    }
    if (t->kind != TOK_STR || t->len == 0)
        return VEIL_OK;
    count(c, MASKER_FIELD);
    char *raw = c->json + t->start;
    if (how == MASK_FIXED) {
        if (t->len == MASKER_FIXED_LEN) {
            memset(raw, '*', MASKER_FIXED_LEN);
            return VEIL_OK;
        }
        static const char stars[MASKER_FIXED_LEN] = "********";
        return edit_push(c->edits, t->start, t->len, stars, MASKER_FIXED_LEN, t->start + t->len);
    }
    if ((t->flags & (TOK_F_ESCAPED | TOK_F_ASCII)) == TOK_F_ASCII) {
        for (uint32_t i = 0; i < t->len; i++)
            if (how == MASK_VALUE || !keep_in_text((uint8_t)raw[i]))
                raw[i] = '*';
        return VEIL_OK;
    }
    /* One '*' per character: decode, then rebuild the whole string. */
    text_view v;
    int err = text_view_of(c->scratch, c->json, t, &v);
    if (err)
        return err;
    veil_buf rep = {0};
    for (size_t i = 0; i < v.n && !err;) {
        uint8_t ch = v.s[i];
        size_t len = char_len(&v, i);
        if (how == MASK_TEXT && keep_in_text(ch))
            err = veil_buf_append_str(&rep, ch == ' '    ? " "
                                            : ch == '\n' ? "\\n"
                                            : ch == '\t' ? "\\t"
                                                         : "\\r");
        else
            err = veil_buf_append(&rep, "*", 1);
        i += len;
    }
    if (!err) {
        if (rep.len == t->len)
            memcpy(raw, rep.data, rep.len);
        else
            err = edit_push(c->edits, t->start, t->len, rep.data ? rep.data : "", rep.len,
                            t->start + t->len);
    }
    veil_buf_free(&rep);
    text_view_done(c->scratch, &v);
    return err;
}

/* ---- cards split over text nodes ------------------------------------------- */

enum { JOINED_MAX = TEXT_PARTS_MOST * TEXT_PART_MOST };

typedef struct {
    uint8_t s[JOINED_MAX];
    uint8_t part[JOINED_MAX];   /* which part each byte came from */
    uint32_t local[JOINED_MAX]; /* its normalized offset in that part */
    size_t n;
    uint32_t cards[8][2]; /* joined ranges of the cards that span parts */
    size_t n_cards;
    bool digits_meet; /* a part ends with a digit and the next begins with one */
    uint64_t masked;  /* the parts mask_span_in_parts() masked in, bit p for part p */
} joined_text;

/* The session's joined text, allocated on first use (the scratch owns it). */
static joined_text *joined_buffer(scan_ctx *c)
{
    if (!c->scratch->joined)
        c->scratch->joined = malloc(sizeof(joined_text));
    return c->scratch->joined;
}

/* Appends normalized bytes [from, to) of v to j, as part `index`'s. */
static void join_bytes(joined_text *j, const text_view *v, size_t from, size_t to, uint8_t index)
{
    for (size_t k = from; k < to && j->n < JOINED_MAX; k++, j->n++) {
        j->s[j->n] = v->s[k];
        j->part[j->n] = index;
        j->local[j->n] = (uint32_t)k;
    }
}

/* Appends part p's window of normalized bytes to the joined text; `spaced`:
 * with a space between it and the part before when digits meet there. */
static int join_part(scan_ctx *c, joined_text *j, const text_part *p, uint8_t index, bool spaced)
{
    if (p->tok->len && tok_blank_text(p->tok)) {
        /* a template's line break and indentation between two spans: the
         * browser draws one space, however deep the indentation */
        if (j->n < JOINED_MAX) {
            j->s[j->n] = ' ';
            j->part[j->n] = index;
            j->local[j->n++] = 0;
        }
        return VEIL_OK;
    }
    text_view v;
    int err = text_view_of(c->scratch, c->json, p->tok, &v);
    if (err)
        return err;
    size_t from = 0, to = v.n;
    if (p->kind == TEXT_PART_HEAD && to > TEXT_PART_EDGE)
        to = TEXT_PART_EDGE;
    if (p->kind == TEXT_PART_TAIL && to > TEXT_PART_EDGE)
        from = to - TEXT_PART_EDGE;
    bool digits_meet = j->n > 0 && from < to && is_digit(j->s[j->n - 1]) && is_digit(v.s[from]);
    j->digits_meet |= digits_meet;
    if (spaced && digits_meet && j->n < JOINED_MAX) { /* a space of no part's: never masked */
        j->s[j->n] = ' ';
        j->part[j->n] = j->part[j->n - 1];
        j->local[j->n++] = 0;
    }
    join_bytes(j, &v, from, to, index);
    text_view_done(c->scratch, &v);
    return VEIL_OK;
}

/* Masks the bytes of joined range [from, to) that lie in part `index`:
 * all but `keep`, or with keep NULL its digits (a card's). */
static int mask_span_in_part(scan_ctx *c, const joined_text *j, const text_part *p, uint8_t index,
                             uint32_t from, uint32_t to, const char *keep)
{
    text_view v;
    int err = text_view_of(c->scratch, c->json, p->tok, &v);
    if (err)
        return err;
    for (uint32_t i = from; i < to && !err; i++)
        if (j->part[i] == index && (keep ? !strchr(keep, j->s[i]) : is_digit(j->s[i])))
            err = replace_range(c, &v, j->local[i], j->local[i] + 1u, "*", 1);
    text_view_done(c->scratch, &v);
    return err;
}

/* Whether part p, read alone under c's policy, holds a finding: counted
 * into *found. */
static bool part_finds_alone(scan_ctx *c, const text_part *p, masker_findings *found, int *err)
{
    scan_ctx alone = {.json = c->json,
                      .scratch = c->scratch,
                      .findings = found,
                      .policy = c->policy,
                      .dry_run = true,
                      .echoes = c->echoes};
    return !(*err = detect_scan_string(&alone, p->tok, SCAN_TEXT)) &&
           policy_masks_any(c->policy, found);
}

/* Masks every digit of part p. */
static int mask_part_digits(scan_ctx *c, const text_part *p)
{
    text_view v;
    int err = text_view_of(c->scratch, c->json, p->tok, &v);
    if (!err)
        err = mask_digits(c, &v, 0, v.n);
    text_view_done(c->scratch, &v);
    return err;
}

/*
 * Masks joined range [from, to) of something read across parts, in each
 * part it touches but `skip` (-1: none; see mask_span_in_part()). A part
 * that holds a finding of its own loses all its digits with it: masking a
 * piece of it first would hide that finding from the part's own sweep
 * ("FR14 ... 3M02 606" then "ops@example.com": "606" read as the address's
 * start leaves "FR14 ... 3M02 ***", which no longer reads as an IBAN).
 */
static int mask_span_in_parts(scan_ctx *c, joined_text *j, const text_part *parts, uint32_t from,
                              uint32_t to, const char *keep, int skip)
{
    int err = VEIL_OK;
    for (uint8_t p = j->part[from]; p <= j->part[to - 1] && !err; p++) {
        masker_findings found = {0};
        if (p == skip)
            continue;
        j->masked |= p < 64 ? 1ull << p : 0;
        bool alone = part_finds_alone(c, &parts[p], &found, &err);
        if (!err)
            err = mask_span_in_part(c, j, &parts[p], p, from, to, keep);
        for (int k = 0; alone && k < MASKER_FINDING_COUNT; k++)
            c->findings->count[k] += found.count[k];
        if (!err && alone)
            err = mask_part_digits(c, &parts[p]);
    }
    return err;
}

/* Whether joined byte k is a digit of the same part as byte `like`. */
static bool digit_of_part(const joined_text *j, size_t k, size_t like)
{
    return k < j->n && j->part[k] == j->part[like] && is_digit(j->s[k]);
}

/* Where the digit group after joined byte k - 1 of part `like`'s number
 * ends, past up to two separators before it (C_NUMBER_SEP: "(415) 555");
 * k when none follows. */
static uint32_t next_group_end(const joined_text *j, uint32_t k, uint32_t like)
{
    uint32_t e = k;
    while (e < j->n && e - k < 2 && j->part[e] == j->part[like] && is_class(j->s[e], C_NUMBER_SEP))
        e++;
    if (!digit_of_part(j, e, like))
        return k;
    while (digit_of_part(j, e, like))
        e++;
    return e;
}

/* Where the digit group before joined byte k of part `like`'s number
 * starts, past up to two separators after it; k when none stands. */
static uint32_t previous_group_start(const joined_text *j, uint32_t k, uint32_t like)
{
    uint32_t s = k;
    while (s > 0 && k - s < 2 && j->part[s - 1] == j->part[like] &&
           is_class(j->s[s - 1], C_NUMBER_SEP))
        s--;
    if (s == 0 || !digit_of_part(j, s - 1, like))
        return k;
    while (s > 0 && digit_of_part(j, s - 1, like))
        s--;
    return s;
}

/* Where the number whose digit at joined offset `from` is its part's
 * starts, past its earlier groups in that part; `from` when it is no
 * digit. */
static uint32_t number_start_in_part(const joined_text *j, uint32_t from)
{
    uint32_t first = from, k;
    if (!digit_of_part(j, from, first))
        return from;
    while (from > 0 && digit_of_part(j, from - 1, first))
        from--;
    while ((k = previous_group_start(j, from, first)) != from)
        from = k;
    return from;
}

/* Joined range *from, *to of a number read across parts, widened over the
 * rest of the numbers it starts and ends in, in the first and last part
 * ("415.555" of "415.555.0123", "(415) " before "555-0123"): a part's own
 * sweep, which runs after, no longer reads what masking part of a number
 * leaves ("***.***.0123") as one. */
static void widen_to_numbers(const joined_text *j, uint32_t *from, uint32_t *to)
{
    uint32_t last = *to - 1, k;
    *from = number_start_in_part(j, *from);
    while (digit_of_part(j, *to, last))
        (*to)++;
    while ((k = next_group_end(j, *to, last)) != *to)
        *to = k;
}

/* The parts into j, from empty, glued or `spaced` (see join_part()). */
static int join_parts(scan_ctx *c, joined_text *j, const text_part *parts, size_t n, bool spaced)
{
    j->n = j->n_cards = 0;
    j->digits_meet = false;
    j->masked = 0;
    int err = VEIL_OK;
    for (size_t p = 0; p < n && p < 255 && !err; p++)
        err = join_part(c, j, &parts[p], (uint8_t)p, spaced);
    return err;
}

/* Keeps a card cards_in_run() found in the joined text when it spans parts,
 * widened over the numbers it starts and ends in (widen_to_numbers()). */
static int on_joined_card(void *user, uint32_t from, uint32_t to)
{
    joined_text *j = user;
    if (j->part[from] == j->part[to - 1] || j->n_cards == 8) /* one part alone: the sweep's */
        return VEIL_OK;
    widen_to_numbers(j, &from, &to);
    j->cards[j->n_cards][0] = from, j->cards[j->n_cards++][1] = to;
    return VEIL_OK;
}

/* Masks the cards found across the parts joined in j. */
static int split_cards_joined(scan_ctx *c, joined_text *j, const text_part *parts)
{
    text_view jv = {.s = j->s, .n = j->n};
    int err = cards_in_run(&jv, 0, jv.n, on_joined_card, j);
    for (size_t k = 0; k < j->n_cards; k++)
        count(c, c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE);
    for (size_t k = 0; k < j->n_cards && !err; k++)
        err = mask_span_in_parts(c, j, parts, j->cards[k][0], j->cards[k][1], NULL, -1);
    return err;
}

/* ---- emails split over text nodes ------------------------------------------- */

/* Whether the '@' at normalized offset `at` of part p makes an email in
 * that part alone: the sweep masks that one there. */
static bool email_in_part(scan_ctx *c, const text_part *p, uint32_t at, int *err)
{
    text_view v;
    if ((*err = text_view_of(c->scratch, c->json, p->tok, &v)))
        return false;
    size_t s;
    const char *keep;
    bool whole = at < v.n && v.s[at] == '@' && email_span(&v, at, &s, &keep);
    text_view_done(c->scratch, &v);
    return whole;
}

/* Where a local part read back from joined offset `at` to s starts when it
 * crosses into a part that holds an '@' before it: after that part, whose
 * text there is an address's domain ("jane@example.com" "bob@...": not
 * "example.combob"). */
static size_t local_part_past_domains(const joined_text *j, size_t s, size_t at)
{
    for (size_t k = at; k > s; k--) {
        if (j->part[k - 1] == j->part[k])
            continue;
        for (size_t b = k; b > 0 && j->part[b - 1] == j->part[k - 1]; b--)
            if (j->s[b - 1] == '@')
                return k;
    }
    return s;
}

int detect_split_emails(scan_ctx *c, const text_part *parts, size_t n, uint64_t *masked)
{
    if (masked)
        *masked = 0;
    if (c->policy->record_pii)
        return VEIL_OK;
    joined_text *j = joined_buffer(c);
    if (!j)
        return VEIL_ENOMEM;
    int err = join_parts(c, j, parts, n, false);
    text_view jv = {.s = j->s, .n = j->n};
    size_t after = 0; /* the end of the last address: the next one's local part starts there */
    for (size_t at = 0; at < j->n && !err; at++) {
        size_t s, e;
        const char *keep;
        if (j->s[at] != '@' || !(e = email_span(&jv, at, &s, &keep)))
            continue;
        if (s < after) /* "jane@example.com" "`bob@...": not "example.com`bob" */
            s = local_part_trimmed(&jv, after, at);
        s = local_part_past_domains(j, s, at);
        if (j->part[s] != j->part[at]) /* "(948) 237-3114" "jane@...": the number goes too */
            s = number_start_in_part(j, (uint32_t)s);
        after = e;
        if (s >= at || j->part[s] == j->part[e - 1])
            continue; /* in a single part: the sweep's */
        uint8_t own = j->part[at];
        bool found_alone = email_in_part(c, &parts[own], j->local[at], &err);
        count(c, MASKER_EMAIL);
        if (!err)
            err = mask_span_in_parts(c, j, parts, (uint32_t)s, (uint32_t)e, keep,
                                     found_alone ? own : -1);
        at = e;
    }
    sodium_memzero(j->s, j->n); /* the joined text was unmasked input */
    if (masked)
        *masked = j->masked;
    return err;
}

/* Masks the phone numbers found across the parts joined in j, digit by
 * digit in each part. */
static int split_phones_joined(scan_ctx *c, joined_text *j, const text_part *parts)
{
    int err = VEIL_OK;
    text_view jv = {.s = j->s, .n = j->n};
    for (size_t i = 0; i < j->n && !err; i++) {
        size_t end;
        if (!is_digit(j->s[i]) || (i > 0 && is_digit(j->s[i - 1])) || !phone_may_start(&jv, i) ||
            !phone_span(&jv, i, &end) || j->part[i] == j->part[end - 1])
            continue; /* (in one part alone: the sweep's) */
        uint32_t from = (uint32_t)i, to = (uint32_t)end;
        widen_to_numbers(j, &from, &to);
        count(c, MASKER_PHONE);
        err = mask_span_in_parts(c, j, parts, from, to, NULL, -1);
        i = to;
    }
    return err;
}

/* The first digit at or after i (i >= 1) with a capital letter before it
 * in j, where an IBAN's check digits may start; j->n for none. Joined
 * texts are mostly digits, blanks and code: 16 bytes a look. */
static __attribute__((cold)) size_t capital_before_digit(const joined_text *j, size_t i)
{
#if defined(__SSE2__)
    const __m128i capital_a = _mm_set1_epi8('A'), letters = _mm_set1_epi8(25);
    const __m128i zero = _mm_set1_epi8('0'), digits = _mm_set1_epi8(9);
    for (; i + 16 <= j->n; i += 16) {
        __m128i before = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(j->s + i - 1)), capital_a);
        __m128i here = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(j->s + i)), zero);
        __m128i capital = _mm_cmpeq_epi8(_mm_min_epu8(before, letters), before);
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(here, digits), here);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(capital, digit));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < j->n && !(is_digit(j->s[i]) && is_capital(j->s[i - 1])))
        i++;
    return i;
}

/* Masks the IBANs read across the parts joined in j ("DE89" "3704" ...:
 * a banking page that draws a group per <span>), all but their country's
 * code; one in a part alone is the sweep's. */
static __attribute__((cold, noinline)) int split_ibans_joined(scan_ctx *c, joined_text *j,
                                                              const text_part *parts)
{
    text_view jv = {.s = j->s, .n = j->n};
    int err = VEIL_OK;
    for (size_t i = capital_before_digit(j, 2); i < j->n && !err;
         i = capital_before_digit(j, i + 1)) {
        size_t end = iban_end(&jv, i);
        if (!end || j->part[i - 2] == j->part[end - 1])
            continue;
        count(c, MASKER_SECRET);
        err = mask_span_in_parts(c, j, parts, (uint32_t)i, (uint32_t)end, IBAN_KEPT, -1);
        i = end;
    }
    return err;
}

/*
 * Parts are read glued first, as the browser draws them ("4111" "1111...":
 * one run); when that finds no card and digits meet at a part's edge, again
 * with a space there, as a page that sets groups apart with CSS margins
 * shows them ("4111 1111" "1111 1111" reads "4111 11111111 1111" glued).
 */
int detect_split_numbers(scan_ctx *c, const text_part *parts, size_t n, bool cards, bool phones,
                         uint64_t *masked)
{
    joined_text *j = joined_buffer(c);
    if (!j)
        return VEIL_ENOMEM;
    int err = join_parts(c, j, parts, n, false); /* as they read */
    if (!err && cards)
        err = split_cards_joined(c, j, parts);
    if (!err && !j->n_cards && phones)
        err = split_phones_joined(c, j, parts);
    if (!err && !j->n_cards && cards)
        err = split_ibans_joined(c, j, parts);
    bool again = !err && cards && !j->n_cards && j->digits_meet;
    sodium_memzero(j->s, j->n); /* the joined digits were unmasked input */
    uint64_t first_reading = j->masked;
    if (again && !(err = join_parts(c, j, parts, n, true))) { /* spaced where digits meet */
        err = split_cards_joined(c, j, parts);
        sodium_memzero(j->s, j->n);
    }
    if (masked)
        *masked = first_reading | j->masked;
    return err;
}

/* ---- a value told after the label in the text node before it ------------------- */

enum { LABEL_TAIL_MOST = 96, TOLD_VALUE_MOST = 160 };

/* j from empty: the last LABEL_TAIL_MOST bytes of label view `label` (part
 * 0), past the blanks at its end (*blank: there were some). */
static void join_label(joined_text *j, const text_view *label, bool *blank)
{
    j->n = 0;
    size_t end = label->n;
    while (end && html_blank(label->s[end - 1]))
        end--;
    *blank = end < label->n;
    join_bytes(j, label, end > LABEL_TAIL_MOST ? end - LABEL_TAIL_MOST : 0, end, 0);
}

/* Then one space and the first TOLD_VALUE_MOST normalized bytes of
 * `value` (part 1). The blanks and line breaks of an indented template at
 * either side read as one space, as the browser draws them (`blank`: the
 * label ended in some, or it stands in a cell of its own, drawn apart);
 * with none, a space all the same unless a mark stands at the seam. */
static int join_value(scan_ctx *c, joined_text *j, const json_tok *value, bool blank)
{
    text_view v;
    int err = text_view_of(c->scratch, c->json, value, &v);
    if (err)
        return err;
    size_t start = 0;
    while (start < v.n && html_blank(v.s[start]))
        start++;
    blank |= start > 0;
    if (j->n && start < v.n &&
        (blank || (!is_class(j->s[j->n - 1], C_VALUE_END) && !is_class(v.s[start], C_VALUE_END)))) {
        j->s[j->n] = ' ';
        j->part[j->n] = 0;
        j->local[j->n++] = 0;
    }
    join_bytes(j, &v, start, v.n - start < TOLD_VALUE_MOST ? v.n : start + TOLD_VALUE_MOST, 1);
    text_view_done(c->scratch, &v);
    return VEIL_OK;
}

/* Whether value bytes [from, to) meet an edit the value's own scan makes. */
static bool value_masks_alone(const noted_edits *alone, uint32_t from, uint32_t to)
{
    for (size_t k = 0; k < alone->n; k++)
        if (alone->v[k].from < to && from < alone->v[k].to)
            return true;
    return alone->overflow;
}

/* Makes the noted edits within the value (part 1) that its own scan
 * (`alone`, which its sweep makes) does not make, and says so (*made).
 * Counts what the joined scan found (*found) when it made one. */
static int apply_noted_in_value(scan_ctx *c, const noted_edits *noted, const noted_edits *alone,
                                const joined_text *j, const json_tok *value,
                                const masker_findings *found, bool *made)
{
    text_view v;
    int err = text_view_of(c->scratch, c->json, value, &v);
    for (size_t k = 0; k < noted->n && !err; k++) {
        uint32_t from = noted->v[k].from, to = noted->v[k].to;
        if (j->part[from] != 1 || noted_before(noted, noted->v[k].finding) ||
            value_masks_alone(alone, j->local[from], j->local[to - 1] + 1u))
            continue; /* read across both (a card split over them: the chain's), or the
                       * value's own finding (its sweep's) */
        *made = true;
        if (noted->v[k].rep_len)
            err = replace_range(c, &v, j->local[from], j->local[to - 1] + 1u, noted->v[k].rep,
                                noted->v[k].rep_len);
        else
            err = mask_chars(c, &v, j->local[from], j->local[to - 1] + 1u, " ");
    }
    if (!err && noted->overflow && !alone->overflow) { /* more than was noted: all of it */
        *made = true;
        err = mask_chars(c, &v, 0, v.n, " ");
    }
    text_view_done(c->scratch, &v);
    for (int k = 0; *made && k < MASKER_FINDING_COUNT; k++)
        c->findings->count[k] += found->count[k];
    return err;
}

bool detect_leads_with_value(const char *s, size_t n)
{
    const char *e = s + n;
    s = past_raw_blanks(s, e);
    for (;; s++) /* ': ', a quote (maybe escaped), a bracket, a site search's '+' */
        if (s + 1 < e && s[0] == '\\' && s[1] == '"')
            s++;
        else if (s >= e || !strchr(":\"'([+", *s))
            break;
    size_t digits = 0, letters = 0, len = 0;
    bool number = true; /* digit groups so far: "12 345 67 89" reads on past its blanks */
    for (; s < e && len < 64; s++, len++) {
        uint8_t ch = (uint8_t)*s;
        if (ch == '\\' && s + 1 < e && s[1] == 'u') { /* a character of another script */
            letters++, number = false, s += 5;
            continue;
        }
        if (ch == '\\' || ch == ',' || ch == ';' || ch == ')' || ch == ']' ||
            (ch == ' ' && !(number && s + 1 < e && is_digit((uint8_t)s[1]))))
            break;
        digits += is_digit(ch);
        letters += is_alpha(ch) || ch >= 0x80;
        number &= is_digit(ch) || ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == '/';
    }
    return digits >= 3 || (digits && letters && len >= 6);
}

/* Scans label and value joined in j, and makes in the value what that
 * finds there and the value read alone does not (*made: any). */
static int scan_label_and_value(scan_ctx *c, joined_text *j, const json_tok *value, bool *made)
{
    masker_findings found = {0}, found_alone = {0};
    noted_edits noted, alone; /* their entries are written before they are read */
    noted.from = alone.from = 0;
    noted.n = noted.n_before = alone.n = alone.n_before = 0;
    noted.overflow = alone.overflow = false;
    scan_ctx joined = {.json = c->json,
                       .scratch = c->scratch,
                       .findings = &found,
                       .policy = c->policy,
                       .noted = &noted,
                       .echoes = c->echoes};
    text_view jv = {.s = j->s, .n = j->n};
    while (noted.from < j->n && j->part[noted.from] == 0) /* the label's: its own sweep's */
        noted.from++;
    int err = scan_view(&joined, &jv, SCAN_TEXT);
    bool in_value = false;
    for (size_t k = 0; k < noted.n && !in_value; k++)
        in_value = j->part[noted.v[k].to - 1] == 1;
    if (!err && (in_value || noted.overflow)) {
        scan_ctx own = joined; /* the value read alone, as its sweep reads it */
        own.findings = &found_alone;
        own.noted = &alone;
        err = detect_scan_string(&own, value, SCAN_TEXT);
        if (!err)
            err = apply_noted_in_value(c, &noted, &alone, j, value, &found, made);
    }
    return err;
}

int detect_after_label(scan_ctx *c, const json_tok *label, const json_tok *value, bool apart,
                       bool *made)
{
    *made = false;
    joined_text *j = joined_buffer(c);
    if (!j)
        return VEIL_ENOMEM;
    text_view v;
    bool blank;
    int err = text_view_of(c->scratch, c->json, label, &v);
    if (err)
        return err;
    join_label(j, &v, &blank);
    text_view_done(c->scratch, &v);
    if (!(err = join_value(c, j, value, blank || apart)))
        err = scan_label_and_value(c, j, value, made);
    sodium_memzero(j->s, j->n); /* the joined text was unmasked input */
    return err;
}

int detect_after_label_text(scan_ctx *c, const char *label, size_t n, const json_tok *value,
                            bool apart, bool *made)
{
    *made = false;
    joined_text *j = joined_buffer(c);
    if (!j)
        return VEIL_ENOMEM;
    text_view v = {.s = (const uint8_t *)label, .n = n};
    bool blank;
    join_label(j, &v, &blank);
    int err = join_value(c, j, value, blank || apart);
    if (!err)
        err = scan_label_and_value(c, j, value, made);
    sodium_memzero(j->s, j->n); /* the joined text was unmasked input */
    return err;
}
