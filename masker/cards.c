/*
 * cards.c - which digit runs are payment card numbers.
 *
 * A card is 12-19 digits that pass Luhn and start with an issuer
 * identification number (IIN) that issues that length. In text it is either
 * one contiguous run, or digit groups of 3-6 digits joined by separators
 * ("4242 4242 4242 4242", "3782-822463-10005", "4111.1111.1111.1111").
 *
 * A card is found by its own boundaries, not by where a run of unrelated
 * digits starts: every window of consecutive groups is tried, however long
 * the run around it, so no run-length limit can cut a card in two. A
 * window of groups that all have the same size (4-4-4-4) inside a longer
 * run of groups of that size is not taken: that is a list of SKUs or a
 * column of totals, in which some four groups pass Luhn by chance one time
 * in ten, and a card glued to such a list is indistinguishable from it
 * (a documented limit, docs/masking.md), unless the list is a card and its
 * expiry or two cards (cards_in_list()).
 */
#include "internal.h"

#include <string.h>

#include <sodium.h>

/* ---- the IIN table ------------------------------------------------------- */

/*
 * Card IIN ranges and the lengths each issues. Source: the "Issuer
 * identification number (IIN)" table of Wikipedia's "Payment card number"
 * article (revision of August 2024), reviewed against the networks' own
 * published ranges where they publish them. Networks listed there as no
 * longer issuing are left out (Bankcard, Laser, Solo, Switch, Diners Club
 * enRoute, which had no check digit); ranges wholly inside a broader row
 * (Visa Electron, Dankort 4571 and Elo in Visa's 4; Verve, Hipercard, Elo
 * and RuPay 60/65 in Maestro's 50 and 56-69) are covered by that row.
 * Review this table when a network announces new ranges.
 */
typedef struct {
    uint8_t digits; /* how many leading digits lo and hi cover */
    uint32_t lo, hi;
    uint32_t lengths; /* bit n set: issues n-digit numbers */
    const char *network;
} iin_range;

#define LEN(n)        (1u << (n))
#define LENS(lo, hi)  (((1u << ((hi) + 1)) - 1) & ~((1u << (lo)) - 1))
#define VISA_LENGTHS  (LEN(13) | LEN(16) | LEN(19))
#define GPN_LENGTHS   (LEN(16) | LEN(18) | LEN(19))
#define NAPAS_LENGTHS (LEN(16) | LEN(19))

static const iin_range IIN[] = {
    {1, 1, 1, LEN(15), "UATP"},
    {4, 1946, 1946, GPN_LENGTHS, "GPN"},
    {4, 2200, 2204, LENS(16, 19), "Mir"},
    {4, 2205, 2205, LEN(16), "BORICA"},
    {4, 2221, 2720, LEN(16), "Mastercard"},
    {2, 31, 31, LEN(19), "China T-Union"},
    {3, 300, 305, LENS(14, 19), "Diners Club International"},
    {4, 3095, 3095, LENS(14, 19), "Diners Club International"},
    {2, 34, 34, LEN(15), "American Express"},
    {4, 3528, 3589, LENS(16, 19), "JCB (and RuPay 353, 356, LankaPay 357111)"},
    {2, 36, 36, LENS(14, 19), "Diners Club International"},
    {2, 37, 37, LEN(15), "American Express"},
    {2, 38, 39, LENS(14, 19), "Diners Club International"},
    {1, 4, 4, VISA_LENGTHS, "Visa (and Visa Electron, Dankort 4571, Elo 4xxx)"},
    {2, 50, 50, LENS(12, 19), "Maestro (and Verve 5060-5079, Elo, RuPay 508, GPN)"},
    {2, 51, 55, LEN(16), "Mastercard"},
    {2, 56, 69, LENS(12, 19), "Maestro (and Dankort 5019, UzCard 5614, Hipercard, Elo)"},
    {4, 6011, 6011, LENS(16, 19), "Discover"},
    {6, 622126, 622925, LENS(16, 19), "Discover / UnionPay"},
    {3, 644, 649, LENS(16, 19), "Discover"},
    {2, 62, 62, LENS(16, 19), "UnionPay"},
    {2, 65, 65, LENS(16, 19), "Discover (and RuPay, Troy 65)"},
    {3, 636, 636, LENS(16, 19), "InterPayment"},
    {3, 637, 639, LEN(16), "InstaPayment"},
    {2, 81, 82, LENS(16, 19), "UnionPay 81, RuPay 81-82"},
    {4, 8600, 8600, LEN(16), "UzCard"},
    {4, 9704, 9704, NAPAS_LENGTHS, "Napas"},
    {4, 9792, 9792, LEN(16), "Troy"},
    {4, 9860, 9860, LEN(16), "Humo"},
};
/* Not in the table, for want of a source that confirms their ranges: BC
 * Card (Korea, reported at 94) and PayPak (Pakistan). Add them when one
 * does. */

static uint32_t prefix_value(const uint8_t *d, size_t k)
{
    uint32_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v * 10 + d[i];
    return v;
}

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

bool card_iin_ok(const uint8_t *d, size_t n)
{
    if (n > 19)
        return false;
    for (size_t i = 0; i < sizeof IIN / sizeof IIN[0]; i++) {
        const iin_range *r = &IIN[i];
        if (!(r->lengths & LEN(n)) || n < r->digits)
            continue;
        uint32_t p = prefix_value(d, r->digits);
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
        uint32_t scale = 1;
        for (size_t j = k; j < r->digits; j++)
            scale *= 10;
        uint32_t p = prefix_value(d, k);
        /* the typed prefix p covers [p*scale, p*scale + scale - 1] */
        if (p * scale <= r->hi && p * scale + scale - 1 >= r->lo)
            return true;
    }
    return false;
}

bool card_number_ok(const uint8_t *d, size_t n)
{
    return n >= 12 && n <= 19 && card_iin_ok(d, n) && card_luhn_ok(d, n);
}

/* ---- chains of digit groups ---------------------------------------------- */

static bool is_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

/* A space, or the tab or line break of a number pasted over lines
 * ("4111\r\n1111"). */
static bool is_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* A space, or the '+' that form encoding writes for one: a card typed
 * "4539 - 1488" into a GET form reaches the query as "4539+-+1488". */
static bool is_space_or_plus(uint8_t ch)
{
    return is_blank(ch) || ch == '+';
}

/* A mark between the groups of any card: - . / */
static bool card_mark(uint8_t ch)
{
    return ch == '-' || ch == '.' || ch == '/';
}

/*
 * The separator that ends the digit group [group, i) and leads to the next,
 * as people type or paste it: up to eight blanks around at most one mark
 * (card_mark(), maybe typed twice; with `other_marks`, card_other_mark()
 * too), as in " ", "    ", "-", " - ", "--", " / ", "\r\n"; or a line break
 * with the indentation of the next line (a template's "4111\n        1111"),
 * up to CARD_LINE_BLANKS blanks. A '+' counts as a blank (form encoding),
 * so "4111+1111" and "4111+-+1111" are read too. Returns its length when a
 * digit follows it, else 0. (Every typographic space, line separator and
 * dash was read as ' ' or '-' by text.c, and invisible characters were
 * dropped.)
 *
 * Only a group of three or more digits continues a chain: a card's groups
 * are 3-6 digits, and its short tail comes last. Decimals, coordinates and
 * dates ("78.3 14.3-32", "1/2") stop at their first small group, so the
 * numbers of an SVG path or a stylesheet never make one long chain.
 */
static size_t separator_after(const uint8_t *s, size_t group, size_t i, size_t n, bool other_marks)
{
    if (i - group < 3)
        return 0;
    size_t k = i, blanks = 0, most = 8;
    if (other_marks && (k = quoted_list_mark(s, i, n)) != 0)
        return k;
    k = i;
    for (; k < n && is_space_or_plus(s[k]) && blanks < most; k++, blanks++)
        if (s[k] == '\n' || s[k] == '\r')
            most = CARD_LINE_BLANKS;
    if (k < n && (card_mark(s[k]) || (other_marks && card_other_mark(s[k])))) {
        k += k + 1 < n && s[k + 1] == s[k] ? 2 : 1; /* "--", "..": one typed twice */
        for (; k < n && is_space_or_plus(s[k]) && blanks < most; k++, blanks++)
            if (s[k] == '\n' || s[k] == '\r')
                most = CARD_LINE_BLANKS;
    }
    return k > i && k < n && is_digit(s[k]) ? k - i : 0;
}

size_t card_separator_after(const uint8_t *s, size_t group, size_t i, size_t n)
{
    return separator_after(s, group, i, n, false);
}

/* How the separator [k, end) joins two groups: its mark (- . /), else '+'
 * when it holds one, else '\n' for blanks with a line break (a column of
 * totals, one per line, then a card on a line of its own), else ' '. */
static uint8_t separator_mark(const uint8_t *s, size_t k, size_t end)
{
    uint8_t mark = ' ';
    for (; k < end; k++)
        if (card_mark(s[k]))
            return s[k];
        else if (s[k] == '+')
            mark = '+';
        else if ((s[k] == '\n' || s[k] == '\r') && mark == ' ')
            mark = '\n';
    return mark;
}

/* Whether groups of these sizes are a card as cards are printed: fours
 * with a last group of 1-4 (4-4-4-4, 4-4-4-4-3), or 4-6-5, 4-6-4, 4-5-6. */
static bool printed_as_card(const uint8_t *size, size_t groups)
{
    bool fours = groups >= 4 && size[groups - 1] <= 4;
    for (size_t g = 0; g + 1 < groups; g++)
        fours &= size[g] == 4;
    bool amex_like =
        groups == 3 && size[0] == 4 &&
        ((size[1] == 6 && (size[2] == 5 || size[2] == 4)) || (size[1] == 5 && size[2] == 6));
    return fours || amex_like;
}

/* The last few groups of the chain being read: enough for any card window
 * (6 groups) and the group on each side of it, or for a list of two cards
 * (8 groups) and the group after it. */
enum { RING = 16, MAX_WINDOW_GROUPS = 6 };

/* One group as the window search sees it. */
typedef struct {
    digit_group g;
    uint8_t run;     /* groups of 3-6 digits ending here, this one included (0: not one) */
    uint8_t joined;  /* how it is joined to the group before: '-' '.' '/' '+', or ' '
                      * for blanks alone; 0 for a chain's first group */
    uint32_t digits; /* digits of the chain up to and including this group */
} ring_group;

typedef struct {
    const text_view *v;
    size_t limit; /* where the run being read ends in v */
    card_window_fn on_card;
    void *user;
    ring_group ring[RING];
    size_t count;     /* groups read so far */
    size_t masked_to; /* groups below this index are inside a card already */
    int err;
} chain_reader;

static const ring_group *ring_at(const chain_reader *cr, size_t g)
{
    return &cr->ring[g % RING];
}

static uint8_t size_of(const chain_reader *cr, size_t g)
{
    return ring_at(cr, g)->g.n;
}

/* The window's digits into d (at most 19); returns how many. */
static size_t window_digits(const chain_reader *cr, size_t first, size_t last, uint8_t *d)
{
    size_t n = 0;
    for (size_t g = first; g <= last; g++) {
        const digit_group *dg = &ring_at(cr, g)->g;
        for (uint32_t k = dg->pos; k < dg->end && n < 19; k++)
            d[n++] = (uint8_t)(cr->v->s[k] - '0');
    }
    return n;
}

/* Whether one of the groups (first, last] is joined to the one before it
 * by `mark`. */
static bool joined_inside(const chain_reader *cr, size_t first, size_t last, uint8_t mark)
{
    for (size_t g = first + 1; g <= last; g++)
        if (ring_at(cr, g)->joined == mark)
            return true;
    return false;
}

/* Groups of one size inside a run of that size are a list, not a card,
 * unless the neighbour of that size is joined to the window in a way none
 * of its own groups is ("5555-5555-5555-4444/0327"), or is the last group
 * of a card found already ("4000 056 65566 5556 5105 1051 0510 5100"). */
static bool own_boundaries(const chain_reader *cr, size_t first, size_t last, bool closed)
{
    uint8_t size = size_of(cr, first);
    for (size_t g = first + 1; g <= last; g++)
        if (size_of(cr, g) != size)
            return true; /* 4-6-5, 4-6-4: a card's own shape */
    /* the ring always holds the group before the window and the one after */
    if (first > cr->masked_to && size_of(cr, first - 1) == size &&
        joined_inside(cr, first, last, ring_at(cr, first)->joined))
        return false;
    return closed || size_of(cr, last + 1) != size ||
           !joined_inside(cr, first, last, ring_at(cr, last + 1)->joined);
}

/* 18-digit cards print as 4-4-4-4-2: a short last group after at least
 * three groups of four. */
static bool short_tail(const chain_reader *cr, size_t first, size_t last)
{
    if (last - first < 3)
        return false;
    for (size_t g = first; g < last; g++)
        if (size_of(cr, g) != 4)
            return false;
    return true;
}

static bool window_is_card(const chain_reader *cr, size_t first, size_t last);
static bool joined_inside(const chain_reader *cr, size_t first, size_t last, uint8_t mark);

/*
 * The groups right before a card about to be taken at `first`, all of one
 * size, were passed over as a list because the next group was of their
 * size too ("5105 1051 0510 5100 4000 056 65566 5556"); now that group is
 * a card's, they are a card if they read as one and their left boundary is
 * their own. Returns where that card starts, or `first`.
 */
static size_t card_before(chain_reader *cr, size_t first)
{
    if (first < cr->masked_to + 2)
        return first;
    size_t last = first - 1, run = last; /* the run of that size, up to a window's length */
    uint8_t size = size_of(cr, last);
    while (run > cr->masked_to && last + 1 - run < MAX_WINDOW_GROUPS &&
           size_of(cr, run - 1) == size)
        run--;
    for (size_t start = run; start < last; start++) {
        bool list = start > cr->masked_to && size_of(cr, start - 1) == size &&
                    joined_inside(cr, start, last, ring_at(cr, start)->joined);
        if (!list && window_is_card(cr, start, last))
            return start;
    }
    return first;
}

static void take_window(chain_reader *cr, size_t first, size_t last)
{
    size_t before = card_before(cr, first);
    if (before < first && !cr->err)
        cr->err = cr->on_card(cr->user, ring_at(cr, before)->g.pos, ring_at(cr, first - 1)->g.end);
    if (!cr->err)
        cr->err = cr->on_card(cr->user, ring_at(cr, first)->g.pos, ring_at(cr, last)->g.end);
    cr->masked_to = last + 1;
}

/*
 * Whether the card [first, last] goes on into the next group, joined the
 * same way, as a longer card: a 19-digit number printed 4-4-4-4-3 whose
 * first 16 digits pass as a card too.
 */
static bool longer_card(const chain_reader *cr, size_t first, size_t last)
{
    const ring_group *next = ring_at(cr, last + 1);
    uint32_t total = next->digits - (first ? ring_at(cr, first - 1)->digits : 0);
    uint8_t d[19];
    return total <= 19 && next->joined == ring_at(cr, last)->joined &&
           card_number_ok(d, window_digits(cr, first, last + 1, d));
}

/*
 * Whether a card starts at group g and reads on through groups joined by
 * `mark`, 3-6 digits each, and ends there: the group after it, if any, is
 * joined another way. Read ahead in the text, since the ring holds only the
 * groups before.
 */
static bool card_joined_from(const chain_reader *cr, size_t g, uint8_t mark)
{
    const uint8_t *s = cr->v->s;
    uint8_t d[19];
    size_t n = 0, pos = ring_at(cr, g)->g.pos;
    bool card = false;
    for (size_t groups = 1; groups <= MAX_WINDOW_GROUPS; groups++) {
        size_t e = pos;
        while (e < cr->limit && is_digit(s[e]))
            e++;
        if (e - pos < 3 || e - pos > 6 || n + (e - pos) > 19)
            return false;
        for (size_t k = pos; k < e; k++)
            d[n++] = (uint8_t)(s[k] - '0');
        card = groups >= 2 && n >= 12 && card_number_ok(d, n);
        size_t sep = card_separator_after(s, pos, e, cr->limit);
        if (!sep || separator_mark(s, e, e + sep) != mark)
            return card;
        if (card)
            return false; /* it goes on the same way: part of a longer run */
        pos = e + sep;
    }
    return false;
}

/*
 * Whether window [first, last] goes on from a list on its left (the group
 * before it joined the way its own are) and would take the first group of
 * a card joined another way: totals or SKUs joined by blanks or slashes,
 * then "6011-2832-1653-2693", whose "6011" ends a window of the list that
 * passes the check digit by chance. Where the way groups are joined first
 * changes, inside the window or right after it, a card read on from there
 * the new way, to a boundary of its own, is the card, and the window is not.
 */
static bool takes_from_card(const chain_reader *cr, size_t first, size_t last, bool closed)
{
    uint8_t mark = ring_at(cr, first + 1)->joined;
    if (first <= cr->masked_to || ring_at(cr, first)->joined != mark)
        return false; /* a boundary of its own on the left: a card starts here */
    size_t end = closed ? last : last + 1;
    for (size_t g = first + 2; g <= end; g++) {
        uint8_t joined = ring_at(cr, g)->joined;
        if (joined != mark)
            return card_joined_from(cr, g - 1, joined);
    }
    return false;
}

/* Whether window [first, last] is printed as cards are
 * (printed_as_card()), or as a 13-digit Visa is, 4-3-3-3. A card of 13-15
 * digits rewritten in fours (4-4-4-3) is an Amex, a Diners or a Visa; the
 * UATP numbers that start with 1 are printed 4-5-6, and a list of totals
 * from 1000 to 1999 gives 4-4-4-3 as often as 4-3-4-4. */
static bool printed_window(const chain_reader *cr, size_t first, size_t last)
{
    uint8_t size[MAX_WINDOW_GROUPS];
    size_t groups = 0;
    for (size_t g = first; g <= last && groups < MAX_WINDOW_GROUPS; g++)
        size[groups++] = size_of(cr, g);
    bool visa13 = groups == 4 && size[0] == 4 && size[1] == 3 && size[2] == 3 && size[3] == 3;
    bool uatp_in_fours = groups == 4 && size[3] < 4 && cr->v->s[ring_at(cr, first)->g.pos] == '1';
    return !uatp_in_fours && (printed_as_card(size, groups) || visa13);
}

/*
 * Whether the groups joined the way window [first, last]'s own are go on
 * before it or after it: a list of totals or SKUs ("1430 1208 118 1904
 * 977 1312"), where a window of mixed sizes passes the check digit by
 * chance one time in ten. A card inside such a list is printed as cards
 * are (printed_window()); one typed in other groups stands alone, or
 * beside another card ("4000 056 65566 5556 5105 1051 0510 5100").
 */
static bool list_goes_on(const chain_reader *cr, size_t first, size_t last, bool closed)
{
    if (first > cr->masked_to && joined_inside(cr, first, last, ring_at(cr, first)->joined))
        return true;
    uint8_t after = closed ? 0 : ring_at(cr, last + 1)->joined;
    return after && joined_inside(cr, first, last, after) && !card_joined_from(cr, last + 1, after);
}

/*
 * Tries every multi-group window that ends at group `last`, longest first:
 * groups of 3-6 digits (the last may be a short tail), 12-19 digits in all.
 * `closed`: last is the chain's final group (no group after it).
 */
static void windows_ending_at(chain_reader *cr, size_t last, bool closed)
{
    const ring_group *end = ring_at(cr, last);
    bool tail = end->run == 0;
    if (tail && (end->g.n > 2 || last == 0))
        return;
    size_t run = tail ? ring_at(cr, last - 1)->run + 1u : end->run; /* groups the window may take */
    if (run < 2)
        return;
    size_t lowest = last + 1 - (run < MAX_WINDOW_GROUPS ? run : MAX_WINDOW_GROUPS);
    if (lowest < cr->masked_to)
        lowest = cr->masked_to;
    for (size_t first = lowest; first < last; first++) {
        uint32_t total = end->digits - (first ? ring_at(cr, first - 1)->digits : 0);
        if (total < 12 || total > 19 || (tail && !short_tail(cr, first, last)))
            continue;
        uint8_t d[19];
        window_digits(cr, first, last, d);
        if (card_number_ok(d, total) && own_boundaries(cr, first, last, closed) &&
            !takes_from_card(cr, first, last, closed) &&
            (printed_window(cr, first, last) || !list_goes_on(cr, first, last, closed))) {
            take_window(cr, first, !closed && longer_card(cr, first, last) ? last + 1 : last);
            return;
        }
    }
}

/* Whether groups [first, last] are a card number. */
static bool window_is_card(const chain_reader *cr, size_t first, size_t last)
{
    uint8_t d[19];
    uint32_t total = ring_at(cr, last)->digits - (first ? ring_at(cr, first - 1)->digits : 0);
    return total >= 12 && total <= 19 && card_number_ok(d, window_digits(cr, first, last, d));
}

/* Whether group g reads as an expiry date, MMYY. */
static bool expiry_group(const chain_reader *cr, size_t g)
{
    const digit_group *dg = &ring_at(cr, g)->g;
    const uint8_t *s = cr->v->s + dg->pos;
    unsigned month = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    return dg->n == 4 && month >= 1 && month <= 12;
}

/* Whether a word that names a card or its codes stands within a few bytes
 * before [from, to) or after it ("Card: 9999 4111 ...", "ref 9999 4111 ...
 * 1111 exp 12/29"): a list of SKUs or totals has none. */
static bool card_word_near(const text_view *v, size_t from, size_t to)
{
    enum { NEAR = 24 };
    static const char *const WORDS[] = {"card", "cvv",  "cvc",     "exp",   "visa",
                                        "amex", "kart", "tarjeta", "carte", "cart\xc3\xa3o"};
    char near[2 * NEAR + 2];
    size_t n = 0;
    for (size_t k = from > NEAR ? from - NEAR : 0; k < from; k++)
        near[n++] = (char)(v->s[k] | (v->s[k] >= 'A' && v->s[k] <= 'Z' ? 0x20 : 0));
    near[n++] = ' ';
    for (size_t k = to; k < v->n && k < to + NEAR; k++)
        near[n++] = (char)(v->s[k] | (v->s[k] >= 'A' && v->s[k] <= 'Z' ? 0x20 : 0));
    near[n] = '\0';
    for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++)
        if (strstr(near, WORDS[w]))
            return true;
    return false;
}

/*
 * A run of groups of four that ended at `last`, which own_boundaries()
 * takes for a list, may still be cards written together: a card and its
 * expiry ("4111 1111 1111 1111 0327", either way round) or two cards in a
 * row. Only those two shapes are read, both cards checked: in a list of
 * SKUs or totals they come by chance about once in a few hundred lists.
 * A run of 5-7 groups is also read when a card's word stands beside it
 * ("ref 9999 4111 1111 1111 1111 exp 1229"): its first card is taken.
 */
static void cards_in_list(chain_reader *cr, size_t last)
{
    size_t len = 1;
    while (len <= last && len < 9 && size_of(cr, last - len) == 4)
        len++;
    size_t first = last + 1 - len;
    if (size_of(cr, last) != 4 || first < cr->masked_to)
        return;
    if (len == 5 && window_is_card(cr, first, first + 3) && expiry_group(cr, last)) {
        take_window(cr, first, first + 3);
    } else if (len == 5 && expiry_group(cr, first) && window_is_card(cr, first + 1, last)) {
        take_window(cr, first + 1, last);
    } else if (len == 8 && window_is_card(cr, first, first + 3) &&
               window_is_card(cr, first + 4, last)) {
        take_window(cr, first, first + 3);
        take_window(cr, first + 4, last);
    } else if (len >= 5 && len <= 7 &&
               card_word_near(cr->v, ring_at(cr, first)->g.pos, ring_at(cr, last)->g.end)) {
        for (size_t f = first; f + 3 <= last; f++)
            if (window_is_card(cr, f, f + 3)) {
                take_window(cr, f, f + 3);
                return;
            }
    }
}

static void add_group(chain_reader *cr, uint32_t pos, uint32_t end, uint8_t joined)
{
    size_t g = cr->count++;
    uint8_t n = (uint8_t)(end - pos > 255 ? 255 : end - pos);
    ring_group *rg = &cr->ring[g % RING];
    uint32_t before = g ? ring_at(cr, g - 1)->digits : 0;
    uint8_t run_before = g ? ring_at(cr, g - 1)->run : 0;
    *rg = (ring_group){{pos, end, n}, 0, joined, before + n};
    if (n >= 3 && n <= 6)
        rg->run = (uint8_t)(run_before < 255 ? run_before + 1 : 255);
    if (g > 0 && size_of(cr, g - 1) == 4 && n != 4) /* a run of fours ended */
        cards_in_list(cr, g - 1);
    if (g > 0) /* group g is the right neighbour of windows ending at g - 1 */
        windows_ending_at(cr, g - 1, false);
    /* one contiguous run that is a card in full; a longer run is an id */
    if (n >= 12 && n <= 19 && g >= cr->masked_to) {
        uint8_t d[19];
        window_digits(cr, g, g, d);
        if (card_number_ok(d, n))
            take_window(cr, g, g);
    }
}

/* Ends the chain read so far: its last windows, then a fresh ring. */
static void close_chain(chain_reader *cr)
{
    if (cr->count)
        cards_in_list(cr, cr->count - 1);
    if (cr->count)
        windows_ending_at(cr, cr->count - 1, true);
    cr->count = cr->masked_to = 0;
}

/*
 * A card spelled out in groups of one or two digits, each joined to the
 * next by the same one separator ("4 1 1 1 1 1 1 1 ...", "41 11 11 ...", as
 * people write a number so that filters miss it; "4+1+1+1 ..." as a site
 * search's query writes it), starting at digit i: the whole run, 12-19
 * digits, is the card. Returns its end, or 0.
 */
static size_t spelled_out_card(const text_view *v, size_t i, size_t limit)
{
    const uint8_t *s = v->s;
    uint8_t d[19], sep = 0;
    size_t n = 0, k = i;
    for (;;) {
        size_t start = k;
        while (k < limit && is_digit(s[k]) && n < 19 && k - start < 2)
            d[n++] = (uint8_t)(s[k++] - '0');
        if (k == start || (k < limit && is_digit(s[k])))
            return 0; /* a group of three or more: not this shape */
        if (k + 1 >= limit || !is_digit(s[k + 1]) || (sep && s[k] != sep) ||
            !(s[k] == ' ' || s[k] == '-' || s[k] == '.' || s[k] == '+'))
            break;
        sep = s[k++];
    }
    return n >= 12 && card_number_ok(d, n) ? k : 0;
}

/* Whether a digit stands before i, across blanks and at most one mark:
 * the group at i goes on a chain or a list that starts before it. */
static bool digits_before(const uint8_t *s, size_t i)
{
    size_t k = i;
    for (size_t len = 3; len <= 5 && len < i; len++) /* "1234", "4111": a list */
        if (quoted_list_mark(s, i - len, i + 1) == len && is_digit(s[i - len - 1]))
            return true;
    while (k > 0 && i - k < CARD_LINE_BLANKS && is_space_or_plus(s[k - 1]))
        k--;
    if (k > 0 && (card_mark(s[k - 1]) || card_other_mark(s[k - 1]))) {
        k -= k > 1 && s[k - 2] == s[k - 1] ? 2 : 1; /* a mark typed twice */
        while (k > 0 && i - k < 2 * CARD_LINE_BLANKS && is_space_or_plus(s[k - 1]))
            k--;
    }
    return k > 0 && is_digit(s[k - 1]);
}

size_t card_chain_end(const text_view *v, size_t i, size_t *digits)
{
    const uint8_t *s = v->s;
    if (digits_before(s, i))
        return 0;
    size_t g = i, e, sep;
    for (*digits = 0;; g = e + sep) {
        for (e = g; e < v->n && is_digit(s[e]); e++)
            ;
        *digits += e - g;
        if (*digits > 19 || !(sep = separator_after(s, g, e, v->n, true)))
            return e; /* past a card's length: a list, read no further */
    }
}

bool card_printed_whole(const text_view *v, size_t i, size_t end)
{
    uint8_t d[19], size[6];
    size_t n = 0, groups = 0;
    for (size_t k = i; k < end;) {
        if (!is_digit(v->s[k])) {
            k++;
            continue;
        }
        size_t g = k;
        while (k < end && is_digit(v->s[k]))
            k++;
        if (groups == sizeof size || k - g > 6 || n + (k - g) > sizeof d)
            return false;
        for (size_t j = g; j < k; j++)
            d[n++] = (uint8_t)(v->s[j] - '0');
        size[groups++] = (uint8_t)(k - g);
    }
    return printed_as_card(size, groups) && card_number_ok(d, n);
}

bool card_in_groups(const uint8_t *text, size_t n)
{
    uint8_t digits[19];
    size_t count = 0, run = 0, sizes = 0; /* bit s-1: a group before the last had s digits */
    for (size_t i = 0; i < n; i++) {
        if (text[i] == ' ') {
            sizes |= run ? (size_t)1 << (run < 8 ? run - 1 : 7) : 0;
            run = 0;
        } else if (count < sizeof digits) {
            digits[count++] = (uint8_t)(text[i] - '0');
            run++;
        }
    }
    bool spelled = (sizes == 1 && run == 1) || (sizes == 2 && run <= 2);
    text_view v = {.s = text, .n = n};
    bool card =
        count >= 12 && (card_printed_whole(&v, 0, n) || (spelled && card_number_ok(digits, count)));
    sodium_memzero(digits, sizeof digits);
    return card;
}

int cards_in_run(const text_view *v, size_t i, size_t limit, card_window_fn on_card, void *user)
{
    chain_reader cr = {.v = v, .limit = limit, .on_card = on_card, .user = user};
    const uint8_t *s = v->s;
    uint8_t joined = 0;
    while (i < limit && !cr.err) {
        size_t start = i;
        while (i < limit && is_digit(s[i]))
            i++;
        if (i == start) { /* not in a chain: on to the next digit */
            i++;
            continue;
        }
        size_t spelled;
        if (i - start <= 2 && !cr.count && (spelled = spelled_out_card(v, start, limit))) {
            cr.err = on_card(user, (uint32_t)start, (uint32_t)spelled);
            i = spelled;
            continue;
        }
        add_group(&cr, (uint32_t)start, (uint32_t)i, joined);
        size_t sep = card_separator_after(s, start, i, limit);
        joined = sep ? separator_mark(s, i, i + sep) : 0;
        if (sep)
            i += sep;
        else
            close_chain(&cr);
    }
    close_chain(&cr);
    return cr.err;
}
