/*
 * detect.c - finds card numbers, IP literals, emails and phone numbers inside
 * one JSON string, and applies field masks.
 *
 * Strings without escapes are scanned in place. A string with escapes is
 * first decoded into a scratch copy, with the list of its escapes to map
 * each decoded byte back to its raw offset, so "\u0034" is a digit like "4"
 * and masking cannot be dodged by escaping. Every mask replaces whole
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

/* Decoded view of one string. esc == NULL means decoded bytes are the raw bytes. */
typedef struct {
    const uint8_t *s;
    size_t n;
    const escape_span *esc; /* the escapes decoded, in order */
    size_t n_esc;
    uint32_t raw_start; /* offset of the string's first raw byte in the input */
    uint32_t raw_len;
} text_view;

/*
 * Raw offset of decoded byte i (0 <= i <= n). Bytes an escape produced map to
 * the escape's backslash; plain bytes follow the last escape before them.
 * Called only where something is masked, so a binary search is cheap.
 */
static uint32_t raw_of(const text_view *v, size_t i)
{
    size_t lo = 0, hi = v->n_esc; /* find the last escape starting at or before i */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->esc[mid].decoded <= i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return v->raw_start + (uint32_t)i;
    const escape_span *e = &v->esc[lo - 1];
    if (i < (size_t)e->decoded + e->decoded_len)
        return v->raw_start + e->raw;
    return v->raw_start + e->raw + e->raw_len + (uint32_t)(i - e->decoded - e->decoded_len);
}

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

/* Replaces decoded bytes [i, j) by rep, in place when the raw length matches. */
static int replace_range(scan_ctx *c, const text_view *v, size_t i, size_t j, const char *rep,
                         size_t rep_len)
{
    if (c->dry_run)
        return VEIL_OK;
    uint32_t a = raw_of(v, i), b = raw_of(v, j);
    if (b - a == rep_len) {
        memcpy(c->json + a, rep, rep_len);
        return VEIL_OK;
    }
    return edit_push(c->edits, a, b - a, rep, rep_len, v->raw_start + v->raw_len);
}

static bool is_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alnum(uint8_t ch)
{
    return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
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

/* ---- card numbers ------------------------------------------------------ */

bool card_luhn_ok(const uint8_t *d, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned x = d[n - 1 - i];
        if (i & 1) {
            x *= 2;
            if (x > 9)
                x -= 9;
        }
        sum += x;
    }
    return sum % 10 == 0;
}

static unsigned prefix_value(const uint8_t *d, size_t k)
{
    unsigned v = 0;
    for (size_t i = 0; i < k; i++)
        v = v * 10 + d[i];
    return v;
}

/* Brand IIN ranges: [lo, hi] over the first `digits` digits, with lengths. */
typedef struct {
    uint8_t digits;
    unsigned lo, hi;
    uint8_t min_len, max_len;
    uint8_t len_step_13_16_19; /* Visa issues 13, 16 and 19 only */
} iin_range;

static const iin_range IIN[] = {
    {1, 4, 4, 13, 19, 1},           /* Visa */
    {2, 51, 55, 16, 16, 0},         /* Mastercard */
    {4, 2221, 2720, 16, 16, 0},     /* Mastercard 2-series */
    {2, 34, 34, 15, 15, 0},         /* Amex */
    {2, 37, 37, 15, 15, 0},         /* Amex */
    {4, 6011, 6011, 16, 19, 0},     /* Discover */
    {3, 644, 649, 16, 19, 0},       /* Discover */
    {2, 65, 65, 16, 19, 0},         /* Discover */
    {6, 622126, 622925, 16, 19, 0}, /* Discover / UnionPay co-brand */
    {2, 62, 62, 16, 19, 0},         /* UnionPay */
    {4, 3528, 3589, 16, 19, 0},     /* JCB */
    {3, 300, 305, 14, 19, 0},       /* Diners */
    {4, 3095, 3095, 14, 19, 0},     /* Diners */
    {2, 36, 36, 14, 19, 0},         /* Diners */
    {2, 38, 39, 14, 19, 0},         /* Diners */
    {2, 50, 50, 12, 19, 0},         /* Maestro */
    {2, 56, 69, 12, 19, 0},         /* Maestro */
};

bool card_iin_ok(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < sizeof IIN / sizeof IIN[0]; i++) {
        const iin_range *r = &IIN[i];
        if (n < r->min_len || n > r->max_len || n < r->digits)
            continue;
        if (r->len_step_13_16_19 && n != 13 && n != 16 && n != 19)
            continue;
        unsigned p = prefix_value(d, r->digits);
        if (p >= r->lo && p <= r->hi)
            return true;
    }
    return false;
}

/* True when the n (>= 1) digits typed so far can still begin a card number. */
bool card_iin_prefix_ok(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < sizeof IIN / sizeof IIN[0]; i++) {
        const iin_range *r = &IIN[i];
        size_t k = n < r->digits ? n : r->digits;
        unsigned scale = 1;
        for (size_t j = k; j < r->digits; j++)
            scale *= 10;
        unsigned p = prefix_value(d, k);
        /* the typed prefix p covers [p*scale, p*scale + scale - 1] */
        if (p * scale <= r->hi && p * scale + scale - 1 >= r->lo)
            return true;
    }
    return false;
}

#define MAX_GROUPS     24
#define MAX_RUN_DIGITS 40

/* A run of digit groups joined by single separators (space, dash, NBSP). */
typedef struct {
    uint8_t digits[MAX_RUN_DIGITS];
    size_t n_digits;
    size_t group_first[MAX_GROUPS]; /* index into digits */
    size_t group_pos[MAX_GROUPS];   /* decoded offset of the group's first digit */
    size_t group_end[MAX_GROUPS];   /* decoded offset past the group's last digit */
    size_t n_groups;
    size_t end; /* decoded offset past the run */
} digit_run;

static size_t separator_len(const text_view *v, size_t i)
{
    if (i < v->n && (v->s[i] == ' ' || v->s[i] == '-'))
        return 1;
    if (i + 1 < v->n && v->s[i] == 0xc2 && v->s[i + 1] == 0xa0)
        return 2;
    return 0;
}

/*
 * Reads digit groups from i. The run ends before a group that would not fit
 * (MAX_RUN_DIGITS, MAX_GROUPS), so that group starts a run of its own; only
 * a first group can be longer, and then it is too long to be a card.
 */
static void read_run(const text_view *v, size_t i, digit_run *r)
{
    r->n_digits = r->n_groups = 0;
    r->end = i;
    for (;;) {
        size_t len = 0;
        while (i + len < v->n && is_digit(v->s[i + len]))
            len++;
        if (r->n_groups && (r->n_groups == MAX_GROUPS || r->n_digits + len > MAX_RUN_DIGITS))
            break;
        r->group_first[r->n_groups] = r->n_digits;
        r->group_pos[r->n_groups] = i;
        while (i < v->n && is_digit(v->s[i])) {
            if (r->n_digits < MAX_RUN_DIGITS)
                r->digits[r->n_digits] = (uint8_t)(v->s[i] - '0');
            r->n_digits++;
            i++;
        }
        r->group_end[r->n_groups++] = i;
        r->end = i;
        size_t sep = separator_len(v, i);
        if (!sep || i + sep >= v->n || !is_digit(v->s[i + sep]))
            break;
        i += sep;
    }
}

static size_t group_len(const digit_run *r, size_t g)
{
    return (g + 1 < r->n_groups ? r->group_first[g + 1] : r->n_digits) - r->group_first[g];
}

/* Printed and typed cards group digits by 3 to 6 (4-4-4-4, 4-6-5, ...);
 * numbers in SVG paths or tables ("50 107 138 10 12") do not. */
static bool card_grouping(const digit_run *r, size_t g0, size_t g1)
{
    for (size_t g = g0; g < g1; g++)
        if (group_len(r, g) < 3 || group_len(r, g) > 6)
            return false;
    return g0 == g1 || group_len(r, g1) <= 6;
}

/*
 * Finds a card number made of whole groups g0..g1 of the run. A run without
 * separators must be a card in full: a longer run is an id, not a card.
 */
static bool find_card(const digit_run *r, size_t *g0_out, size_t *g1_out)
{
    if (r->n_digits > MAX_RUN_DIGITS)
        return false;
    for (size_t g0 = 0; g0 < r->n_groups; g0++)
        for (size_t g1 = r->n_groups; g1-- > g0;) {
            if (!card_grouping(r, g0, g1))
                continue;
            size_t first = r->group_first[g0];
            size_t last = g1 + 1 < r->n_groups ? r->group_first[g1 + 1] : r->n_digits;
            size_t n = last - first;
            if (n < 12 || n > 19)
                continue;
            if (card_iin_ok(r->digits + first, n) && card_luhn_ok(r->digits + first, n)) {
                *g0_out = g0;
                *g1_out = g1;
                return true;
            }
        }
    return false;
}

/* ---- IP addresses ------------------------------------------------------ */

static bool is_hex(uint8_t ch)
{
    return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static bool ident_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '_' || ch == '-' || ch >= 0x80;
}

/* IPv4 at i: four decimal octets <= 255, not inside a longer dotted number. */
static bool parse_ipv4(const text_view *v, size_t i, size_t oct_pos[4], size_t oct_end[4],
                       size_t *end)
{
    if (i > 0 && (v->s[i - 1] == '.' || is_digit(v->s[i - 1])))
        return false;
    for (int k = 0; k < 4; k++) {
        if (k) {
            if (i >= v->n || v->s[i] != '.')
                return false;
            i++;
        }
        size_t s = i;
        unsigned val = 0;
        while (i < v->n && is_digit(v->s[i]) && i - s < 3)
            val = val * 10 + (unsigned)(v->s[i++] - '0');
        if (i == s || val > 255 || (i < v->n && is_digit(v->s[i])))
            return false;
        oct_pos[k] = s;
        oct_end[k] = i;
    }
    if (i + 1 < v->n && v->s[i] == '.' && is_digit(v->s[i + 1]))
        return false;
    *end = i;
    return true;
}

static int mask_ipv4(scan_ctx *c, const text_view *v, const size_t pos[4], const size_t end[4])
{
    for (int k = 4 - c->policy->ip_octets; k < 4; k++) {
        if (end[k] - pos[k] == 1 && v->s[pos[k]] == '0')
            continue;
        int err = replace_range(c, v, pos[k], end[k], "0", 1);
        if (err)
            return err;
    }
    return VEIL_OK;
}

static void zero_ip_bits(uint8_t *addr, size_t bytes, unsigned bits)
{
    for (size_t k = bytes; k-- > 0 && bits;) {
        unsigned take = bits < 8 ? bits : 8;
        addr[k] &= (uint8_t)(0xff << take);
        bits -= take;
    }
}

int masker_ip_truncate(const char *ip, int octets, char *out, size_t outlen)
{
    static const unsigned v6_bits[5] = {0, 64, 80, 104, 128};
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
        zero_ip_bits(addr, 16, v6_bits[octets]);
    return inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) ? VEIL_OK : VEIL_EINVAL;
}

/*
 * IPv6 around the colon at i: the maximal run of hex digits, ':' and '.'
 * that is not part of a longer identifier (so CSS "a::before" is left
 * alone). Returns the decoded end offset, or 0 when there is none.
 */
static size_t try_ipv6(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t s = i, e = i;
    while (s > 0 && (is_hex(v->s[s - 1]) || v->s[s - 1] == ':' || v->s[s - 1] == '.'))
        s--;
    while (e < v->n && (is_hex(v->s[e]) || v->s[e] == ':' || v->s[e] == '.'))
        e++;
    while (e > i + 1 && v->s[e - 1] == '.')
        e--;
    if ((s > 0 && ident_char(v->s[s - 1])) || (e < v->n && ident_char(v->s[e])) || e - s < 3 ||
        e - s > 45)
        return 0;
    char text[48], masked[INET6_ADDRSTRLEN];
    memcpy(text, v->s + s, e - s);
    text[e - s] = '\0';
    const char *first = strchr(text, ':');
    if (!first || !strchr(first + 1, ':'))
        return 0; /* "12:30" and "a:b" are not addresses */
    if (masker_ip_truncate(text, c->policy->ip_octets, masked, sizeof masked))
        return 0;
    c->findings->count[MASKER_IP]++;
    if (strcmp(masked, text))
        *err = replace_range(c, v, s, e, masked, strlen(masked));
    return e;
}

/* ---- emails and phone numbers ------------------------------------------ */

static bool email_local_char(uint8_t ch)
{
    return is_alnum(ch) || ch == '.' || ch == '_' || ch == '%' || ch == '+' || ch == '-';
}

/* Email around the '@' at i: returns the decoded end offset, or 0. */
static size_t try_email(scan_ctx *c, const text_view *v, size_t i, int *err)
{
    size_t s = i;
    while (s > 0 && i - s < 64 && email_local_char(v->s[s - 1]))
        s--;
    size_t e = i + 1;
    while (e < v->n && (is_alnum(v->s[e]) || v->s[e] == '-' || v->s[e] == '.'))
        e++;
    while (e > i + 1 && (v->s[e - 1] == '.' || v->s[e - 1] == '-'))
        e--;
    size_t tld = e;
    while (tld > i + 1 && v->s[tld - 1] != '.')
        tld--;
    if (s == i || tld <= i + 2 || e - tld < 2)
        return 0; /* no local part, no dot in the domain, or a one-letter TLD */
    for (size_t k = tld; k < e; k++)
        if (is_digit(v->s[k]) || v->s[k] == '-')
            return 0;
    c->findings->count[MASKER_EMAIL]++;
    for (size_t k = s; k < e && !*err; k++)
        if (k != i && v->s[k] != '.')
            *err = replace_range(c, v, k, k + 1, "*", 1);
    return e;
}

/*
 * A phone number: "+" and 8-15 digits in groups, "(ddd) ddd-dddd", or
 * "ddd-ddd-dddd". Stricter than a digit count so that order numbers, dates
 * and prices stay as they are.
 */
static bool is_phone(const text_view *v, size_t i, const digit_run *r)
{
    uint8_t before = i > 0 ? v->s[i - 1] : 0;
    if (before == '+' && r->n_digits >= 8 && r->n_digits <= 15)
        return !(i > 1 && is_alnum(v->s[i - 2]));
    if (r->n_groups == 3 && r->group_end[0] - r->group_pos[0] == 3 &&
        r->group_end[1] - r->group_pos[1] == 3 && r->group_end[2] - r->group_pos[2] == 4)
        return v->s[r->group_end[0]] == '-' && v->s[r->group_end[1]] == '-';
    if (before == '(' && r->n_groups == 1 && r->n_digits == 3 && r->end + 1 < v->n &&
        v->s[r->end] == ')') {
        const uint8_t *p = v->s + r->end + 1;
        size_t k = *p == ' ' ? 1 : 0;
        if (r->end + 1 + k + 8 > v->n)
            return false;
        for (size_t j = 0; j < 8; j++) {
            uint8_t ch = p[k + j];
            if (j == 3 ? (ch != '-' && ch != '.') : !is_digit(ch))
                return false;
        }
        return true;
    }
    return false;
}

/* Offset past a "(ddd) ddd-dddd" number starting at the run, for masking. */
static size_t phone_end(const text_view *v, const digit_run *r)
{
    if (r->end < v->n && v->s[r->end] == ')')
        return r->end + 1 + (v->s[r->end + 1] == ' ') + 8;
    return r->end;
}

/* ---- the scan ---------------------------------------------------------- */

/* Next decoded offset >= i that may start something: a digit, '@' or ':'. */
static size_t next_candidate(const text_view *v, size_t i)
{
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    const __m128i at = _mm_set1_epi8('@'), colon = _mm_set1_epi8(':');
    while (i + 16 <= v->n) {
        __m128i b = _mm_loadu_si128((const __m128i *)(v->s + i));
        __m128i d = _mm_sub_epi8(b, zero);
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
        __m128i hit =
            _mm_or_si128(digit, _mm_or_si128(_mm_cmpeq_epi8(b, at), _mm_cmpeq_epi8(b, colon)));
        int m = _mm_movemask_epi8(hit);
        if (m)
            return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
#endif
    while (i < v->n && !is_digit(v->s[i]) && v->s[i] != '@' && v->s[i] != ':')
        i++;
    return i;
}

/* A run of digits at i, where no IP matched: card, phone or typed card. */
static int digits_at(scan_ctx *c, const text_view *v, size_t i, enum scan_mode mode, size_t *end)
{
    digit_run r;
    read_run(v, i, &r);
    *end = r.end;
    size_t g0, g1;
    if (r.n_digits >= 12 && find_card(&r, &g0, &g1)) {
        c->findings->count[c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE]++;
        return mask_digits(c, v, r.group_pos[g0], r.group_end[g1]);
    }
    if (mode == SCAN_TYPED && r.n_digits >= 7 &&
        card_iin_prefix_ok(r.digits, r.n_digits < 6 ? r.n_digits : 6)) {
        c->findings->count[c->in_card_field ? MASKER_CARD_IN_FIELD : MASKER_CARD_ELSEWHERE]++;
        return mask_digits(c, v, i, r.end);
    }
    if (!c->policy->record_pii && is_phone(v, i, &r)) {
        c->findings->count[MASKER_PHONE]++;
        *end = phone_end(v, &r);
        return mask_digits(c, v, i, *end);
    }
    return VEIL_OK;
}

/*
 * Counts the digits of the grouped run (as read_run() reads it) whose first
 * group ends at `at` with `digits` digits, stopping once there are 7, the
 * fewest any finding needs. Sets *end past the groups counted.
 */
static size_t short_run_end(const text_view *v, size_t at, size_t digits, size_t *end)
{
    size_t sep;
    while (digits < 7 && (sep = separator_len(v, at)) && at + sep < v->n &&
           is_digit(v->s[at + sep])) {
        at += sep;
        for (; at < v->n && is_digit(v->s[at]); at++)
            digits++;
    }
    *end = at;
    return digits;
}

static int scan_view(scan_ctx *c, const text_view *v, enum scan_mode mode)
{
    size_t i = 0;
    int err = VEIL_OK;
    while (!err && (i = next_candidate(v, i)) < v->n) {
        uint8_t ch = v->s[i];
        size_t next = i + 1;
        if (ch == '@') {
            if (!c->policy->record_pii) {
                size_t e = try_email(c, v, i, &err);
                if (e)
                    next = e;
            }
        } else if (ch == ':') {
            size_t e = try_ipv6(c, v, i, &err);
            if (e)
                next = e;
        } else {
            size_t run = i, pos[4], oend[4], e;
            while (run < v->n && is_digit(v->s[run]))
                run++;
            uint8_t after = run < v->n ? v->s[run] : 0;
            if (after == '.' && parse_ipv4(v, i, pos, oend, &e)) {
                c->findings->count[MASKER_IP]++;
                err = mask_ipv4(c, v, pos, oend);
                next = e;
            } else if (after == ')' || short_run_end(v, run, run - i, &next) >= 7) {
                err = digits_at(c, v, i, mode, &next);
            }
            /* else: numbers in CSS, SVG paths and prose, fewer than 7 digits
             * in all their groups: too short for a card, a typed card or a
             * phone; next is past them. */
        }
        i = next;
    }
    return err;
}

/* ---- decoding strings that hold escapes -------------------------------- */

static int hex4(const uint8_t *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t ch = p[k];
        v = v * 16 + (is_digit(ch) ? ch - '0' : (ch | 0x20) - 'a' + 10);
    }
    return v;
}

static size_t utf8_put(uint8_t *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Decodes an already-validated JSON string: out has room for len bytes, esc
 * for len / 2 escapes. Runs between backslashes are copied whole.
 */
static size_t decode_string(const uint8_t *raw, size_t len, uint8_t *out, escape_span *esc,
                            size_t *n_esc)
{
    size_t n = 0, m = 0, i = 0;
    while (i < len) {
        const uint8_t *bs = memchr(raw + i, '\\', len - i);
        size_t plain = bs ? (size_t)(bs - raw) - i : len - i;
        memcpy(out + n, raw + i, plain);
        n += plain;
        i += plain;
        if (!bs)
            break;
        size_t start = i;
        uint8_t e = raw[i + 1];
        unsigned cp;
        if (e == 'u') {
            cp = (unsigned)hex4(raw + i + 2);
            i += 6;
            if (cp >= 0xd800 && cp < 0xdc00) { /* validated: a low surrogate follows */
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)hex4(raw + i + 2) - 0xdc00);
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
        size_t k = utf8_put(out + n, cp);
        esc[m++] = (escape_span){.decoded = (uint32_t)n,
                                 .raw = (uint32_t)start,
                                 .decoded_len = (uint8_t)k,
                                 .raw_len = (uint8_t)(i - start)};
        n += k;
    }
    *n_esc = m;
    return n;
}

void decode_scratch_free(decode_scratch *d)
{
    if (d->buf)
        sodium_memzero(d->buf, d->cap);
    free(d->buf);
    free(d->escapes);
    memset(d, 0, sizeof *d);
}

/* Room for a decoded string of n raw bytes; the old buffer is wiped, not reused. */
static int scratch_reserve(decode_scratch *d, size_t n)
{
    if (n + 1 <= d->cap)
        return VEIL_OK;
    decode_scratch_free(d);
    size_t cap = n + 1 < 4096 ? 4096 : n + 1;
    d->buf = malloc(cap);
    d->escapes = malloc((cap / 2 + 1) * sizeof *d->escapes);
    if (!d->buf || !d->escapes) {
        decode_scratch_free(d);
        return VEIL_ENOMEM;
    }
    d->cap = cap;
    return VEIL_OK;
}

/* The string as the scanner reads it: raw bytes, or decoded into the scratch. */
static int view_of(const scan_ctx *c, const json_tok *t, text_view *v)
{
    v->raw_start = t->start;
    v->raw_len = t->len;
    v->esc = NULL;
    v->n_esc = 0;
    v->s = (const uint8_t *)c->json + t->start;
    v->n = t->len;
    if (!(t->flags & TOK_F_ESCAPED))
        return VEIL_OK;
    int err = scratch_reserve(c->scratch, t->len);
    if (err)
        return err;
    v->n = decode_string(v->s, t->len, c->scratch->buf, c->scratch->escapes, &v->n_esc);
    v->s = c->scratch->buf;
    v->esc = c->scratch->escapes;
    return VEIL_OK;
}

/* The scan proper, for a string the tokenizer marked TOK_F_CANDIDATE. */
static int scan_token(scan_ctx *c, const json_tok *t, enum scan_mode mode)
{
    text_view v;
    int err = view_of(c, t, &v);
    if (err)
        return err;
    err = scan_view(c, &v, mode);
    if (v.esc) /* decoded bytes were unmasked input */
        sodium_memzero(c->scratch->buf, v.n);
    return err;
}

int detect_scan_string(scan_ctx *c, const json_tok *t, enum scan_mode mode)
{
    return (t->flags & TOK_F_CANDIDATE) ? scan_token(c, t, mode) : VEIL_OK;
}

/*
 * The sweep's scan, counting only, under the strictest policy (PII masked,
 * every IP a finding). The tokenizer calls it while the string's bytes are
 * in cache; the sweep comes back later only for strings where it found
 * something. The scan counts a finding before each edit it makes, so none
 * found here means the sweep would edit nothing under any policy.
 */
bool detect_may_find(decode_scratch *scratch, const char *json, const json_tok *t)
{
    static const masker_policy strictest = {.ip_octets = 4};
    masker_findings found = {0};
    scan_ctx c = {.json = (char *)json, /* a dry run writes nothing */
                  .scratch = scratch,
                  .findings = &found,
                  .policy = &strictest,
                  .dry_run = true};
    if (scan_token(&c, t, SCAN_TEXT))
        return true; /* no memory to decode it now: the sweep tries again */
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        if (found.count[k])
            return true;
    return false;
}

/*
 * The strings reach here long after the tokenizer read them, and in a large
 * batch they are out of cache: the sweep gathers the next few candidates and
 * asks for all their bytes at once, then scans them.
 */
int detect_sweep(scan_ctx *c, const json_tape *tape)
{
    enum { AHEAD = 32 };
    const json_tok *t = tape->tok;
    const uint32_t *cand = tape->candidates;
    uint32_t i = 0;
    while (i < tape->n_candidates) {
        uint32_t todo[AHEAD], n = 0;
        for (; i < tape->n_candidates && n < AHEAD; i++) {
            const json_tok *k = &t[cand[i]];
            if (k->flags & TOK_F_VISITED)
                continue;
            for (uint32_t b = 0; b < k->len && b < 256; b += 64)
                __builtin_prefetch(c->json + k->start + b);
            todo[n++] = cand[i];
        }
        for (uint32_t k = 0; k < n; k++) {
            int err = scan_token(c, &t[todo[k]], SCAN_TEXT);
            if (err)
                return err;
        }
    }
    return VEIL_OK;
}

/* ---- field masks ------------------------------------------------------- */

static bool keep_in_text(uint8_t ch)
{
    return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
}

int detect_mask_field(scan_ctx *c, const json_tok *t, enum field_mask how)
{
    if (t->len == 0)
        return VEIL_OK;
    c->findings->count[MASKER_FIELD]++;
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
    int err = view_of(c, t, &v);
    if (err)
        return err;
    veil_buf rep = {0};
    for (size_t i = 0; i < v.n && !err; i++) {
        uint8_t ch = v.s[i];
        if ((ch & 0xc0) == 0x80)
            continue; /* continuation byte: its character is already masked */
        if (how == MASK_TEXT && keep_in_text(ch))
            err = veil_buf_append_str(&rep, ch == ' '    ? " "
                                            : ch == '\n' ? "\\n"
                                            : ch == '\t' ? "\\t"
                                                         : "\\r");
        else
            err = veil_buf_append(&rep, "*", 1);
    }
    if (!err) {
        if (rep.len == t->len)
            memcpy(raw, rep.data, rep.len);
        else
            err = edit_push(c->edits, t->start, t->len, rep.data ? rep.data : "", rep.len,
                            t->start + t->len);
    }
    veil_buf_free(&rep);
    if (v.esc)
        sodium_memzero(c->scratch->buf, v.n);
    return err;
}
