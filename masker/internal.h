/*
 * internal.h - what the masker's own files share. Not part of the public API:
 * other modules include masker.h only.
 */
#ifndef VEIL_MASKER_INTERNAL_H
#define VEIL_MASKER_INTERNAL_H

#include "masker.h"
#include "nodes.h"

/* ---- JSON tape (json.re) ---------------------------------------------- */

enum tok_kind { TOK_OBJ, TOK_ARR, TOK_STR, TOK_NUM, TOK_TRUE, TOK_FALSE, TOK_NULL };

#define TOK_F_ESCAPED     1  /* string contains a backslash escape */
#define TOK_F_ASCII       2  /* string has no byte >= 0x7f (DEL reads as nothing) */
#define TOK_F_UINT        4  /* number is an unsigned 32-bit integer, in uint_value */
#define TOK_F_VISITED     8  /* set by the walk: string already masked or scanned */
#define TOK_F_KEY_ESCAPED 16 /* the member's key contains a backslash escape */
/* A string holding a digit, ':', '@', '=', a \u escape or a character that
 * may be another script's digit (or a number long enough to be a card): only
 * these can hold something detection finds, so it skips all others. */
#define TOK_F_CANDIDATE 32
/* A name or id value that means a card field (card_like()), or an
 * aria-label or placeholder that labels one (card_label_like()), noted while
 * the bytes are in cache: the walk reads them long after, when they are not. */
#define TOK_F_CARD_NAME 64
/* The same bit on a text node's value (a textContent member, never a name):
 * it may show a secret beside its label (shown_secret() in walk.c), read by
 * the tokenizer while the bytes are in cache (text_may_show_secret()). */
#define TOK_F_SHOWN TOK_F_CARD_NAME
/* Set by the walk: a string or number it masked (its bytes may already be
 * stars, which must not be read as a label). */
#define TOK_F_MASKED 128
/* The number bit on a text node's value (a textContent string), noted by the
 * tokenizer while the bytes are in cache; the walk reads text nodes long
 * after, when reading their first bytes costs it a cache miss each. On a
 * candidate: it has a digit and may lead with a value a label before it
 * tells (text_may_lead_with_value()). On any other: it shows only blanks
 * (blank_string()), which a candidate never does. */
#define TOK_F_LEADS TOK_F_UINT
#define TOK_F_BLANK TOK_F_UINT

/*
 * The object keys the rrweb walk reads, recognised once while tokenising so
 * the walk compares small integers. RR_KEY_OTHER: any other key, or a key
 * written with escapes (the walk compares those decoded).
 */
enum rr_key {
    RR_KEY_OTHER,
    RR_KEY_ID,
    RR_KEY_TYPE,
    RR_KEY_DATA,
    RR_KEY_NODE,
    RR_KEY_TEXT,
    RR_KEY_ADDS,
    RR_KEY_HREF,
    RR_KEY_NAME,
    RR_KEY_TEXTS,
    RR_KEY_VALUE,
    RR_KEY_SOURCE,
    RR_KEY_EVENTS,
    RR_KEY_TAG_NAME,
    RR_KEY_PARENT_ID,
    RR_KEY_ATTRIBUTES,
    RR_KEY_CHILD_NODES,
    RR_KEY_TEXT_CONTENT,
    RR_KEY_AUTOCOMPLETE,
    RR_KEY_CONTENTEDITABLE,
    RR_KEY_RR_IS_PASSWORD,
    RR_KEY_VEIL_SENSITIVE,
    RR_KEY_FOR,
    RR_KEY_TAG,
    RR_KEY_STYLE,
    RR_KEY_PAYLOAD,
    RR_KEY_ARIA_LABEL,
    RR_KEY_PLACEHOLDER,
    RR_KEY_ARIA_LABELLEDBY,
    RR_KEY_ARIA_DESCRIBEDBY,
    RR_KEY_CSS_TEXT, /* the three keys whose string values may be CSS, in a row */
    RR_KEY_RULE,
    RR_KEY_PROPERTY,
    RR_KEY_IS_STYLE,
    RR_KEY_REMOVES,
    RR_KEY_CLASS,
    RR_KEY_TIMESTAMP,
    RR_KEY_NEXT_ID,
    RR_KEY_COUNT
};

/* What a tag name is to the masker: a form field (its value is typed by the
 * visitor), a <label>, a phrasing element a card's digits may be split
 * across (<span>4242</span><span>4242</span>...), or a custom element
 * (<card-digits>, <app-password-input>: phrasing too, until styled). Read
 * by the tokenizer, while the name's bytes are in cache. */
enum form_tag {
    FORM_NONE,
    FORM_INPUT,
    FORM_TEXTAREA,
    FORM_SELECT,
    FORM_LABEL,
    FORM_INLINE,
    FORM_CUSTOM,
    /* blocks whose cells pair a label with its value (table_cell_entered()) */
    FORM_TABLE,
    FORM_ROW,
    FORM_CELL,        /* <td> */
    FORM_HEADER_CELL, /* <th> */
    FORM_TERM,        /* <dt> */
    FORM_DEFINITION,  /* <dd> */
    FORM_BOX,         /* <div>, <p> */
    FORM_HEADING      /* <h1> to <h6>: a label of the box after it */
};

/* What a tag name of n bytes at s names, without ASCII case (json.re). */
uint8_t form_tag_named(const char *s, size_t n);

static inline bool form_field(uint8_t form)
{
    return form == FORM_INPUT || form == FORM_TEXTAREA || form == FORM_SELECT;
}

/* Whether text runs on through the element: a <label>, a phrasing or a
 * custom element (a card's digits split across them are joined). */
static inline bool form_inline(uint8_t form)
{
    return form == FORM_LABEL || form == FORM_INLINE || form == FORM_CUSTOM;
}

/* v[0..len) is the lowercase word `want`, ignoring ASCII case. */
static inline bool ascii_word_is(const char *v, size_t len, const char *want)
{
    for (size_t i = 0; i < len; i++) {
        char ch = v[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch | 0x20);
        if (want[i] != ch) /* also stops at want's NUL */
            return false;
    }
    return want[len] == '\0';
}

/* Whether v[0, len) is one of the n lowercase words of `list`, in any case. */
static inline bool ascii_word_in(const char *v, size_t len, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (ascii_word_is(v, len, list[k]))
            return true;
    return false;
}

/* Whether raw string bytes show only blanks (JSON escapes read as what
 * they stand for: "\n  " is a line break and spaces). */
static inline bool blank_string(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' && k + 1 < n && (s[k + 1] == 'n' || s[k + 1] == 'r' || s[k + 1] == 't'))
            k++;
        else if (s[k] != ' ')
            return false;
    }
    return true;
}

/* The value of the hex digit ch, or -1. */
static inline int hex_value(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Code point cp as UTF-8 at out: its length, 1 to 4 (a surrogate is
 * written as 3 bytes of its own). */
static inline size_t utf8_put(uint8_t *out, uint32_t cp)
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

/* The key's name as written in rrweb JSON ("" for RR_KEY_OTHER). */
const char *rr_key_name(enum rr_key key);

/* The most items of a list of strings or numbers the tokenizer notes for
 * the walk (json_tape's short_lists): a card a digit an item, with room. */
enum { SHORT_LIST_MOST = 24 };

/*
 * One JSON value in document order, 12 bytes. Strings: `start` is the first
 * byte after the opening quote, `len` the raw byte count up to the closing
 * quote; literals: their bytes; numbers: their bytes, or with TOK_F_UINT
 * their value (the only use the walk has for them). Containers: `end` is the
 * index of the token after the container's last descendant, so a reader
 * skips a subtree in O(1) (tok_after()).
 *
 * Keys are not tokens of their own: an object member is its value's token,
 * labelled with the key the tokenizer recognised (`key`). Half of rrweb's
 * tokens are keys, so this halves the tape. The few readers that need an
 * unrecognised key's name find it in the input with json_key_of(): keeping
 * its offset here made every token a third larger, and the tape is written
 * and read back once per batch.
 */
typedef struct {
    uint32_t start;
    union {
        uint32_t len;        /* strings, literals, numbers */
        uint32_t uint_value; /* numbers with TOK_F_UINT */
        uint32_t end;        /* TOK_OBJ, TOK_ARR */
    };
    uint8_t kind;
    uint8_t flags;
    uint8_t key; /* enum rr_key, for object members */
    union {
        uint8_t form; /* tagName values: enum form_tag */
        uint8_t text; /* textContent values: TEXT_DIGITS and TEXT_OPEN_* */
    };
} json_tok;

/* What the tokenizer notes of a text node's value that may hold digits, for
 * the walk's search for a card or an email split over text nodes: its
 * digits (up to TEXT_DIGITS), whether it holds an '@', and whether digits
 * could run on across its start or end (a digit there, maybe behind a few
 * separators). */
enum { TEXT_DIGITS = 31, TEXT_AT = 32, TEXT_OPEN_START = 64, TEXT_OPEN_END = 128 };
#define TEXT_ANYTHING (TEXT_DIGITS | TEXT_AT | TEXT_OPEN_START | TEXT_OPEN_END)
/* That note for the n bytes of a string at s with these TOK_F_* flags
 * (json.re): the tokenizer's for text nodes, the walk's for the values a
 * texts mutation gives them. */
uint8_t text_digits(const unsigned char *s, size_t n, uint8_t flags);

/* The length of the template blank at s, in a string's raw JSON bytes
 * before `end`: a space (1), or a line break or tab written as an escape
 * (2: "\\n", "\\r", "\\t"); 0 for anything else. */
static inline size_t template_blank_at(const char *s, const char *end)
{
    if (*s == ' ')
        return 1;
    return *s == '\\' && end - s >= 2 && (s[1] == 'n' || s[1] == 'r' || s[1] == 't') ? 2 : 0;
}

/* Whether t is a text node's value that shows blanks alone (a template's
 * line break and indentation between two elements), as the tokenizer noted
 * it (TOK_F_BLANK), and stars have not replaced it. */
static inline bool tok_blank_text(const json_tok *t)
{
    return t->key == RR_KEY_TEXT_CONTENT && t->kind == TOK_STR &&
           (t->flags & (TOK_F_CANDIDATE | TOK_F_BLANK | TOK_F_MASKED)) == TOK_F_BLANK;
}

_Static_assert(sizeof(json_tok) == 12,
               "the tape is written and read once per batch: keep it small");
_Static_assert(TOK_OBJ == 0 && TOK_ARR == 1, "tok_after() counts on containers coming first");

/* The index of the token after value v and everything inside it. */
static inline uint32_t tok_after(const json_tok *t, uint32_t v)
{
    return t[v].kind <= TOK_ARR ? t[v].end : v + 1;
}

/* Tape indexes the tokenizer lists for a later pass, in document order. */
typedef struct {
    uint32_t *v;
    uint32_t n;
    uint32_t cap;
} tok_list;

/*
 * tok[0] is a placeholder; the document's root value is tok[1]. `candidates`
 * lists, in order, the strings and numbers the sweep must read instead of
 * the whole tape: those marked TOK_F_CANDIDATE where the tokenizer's dry run
 * of the scan (detect_may_find()) found something. Object keys are not on
 * the tape: `keys` holds the few that need the scan too (an email or a card
 * used as a key), as string tokens of their own. `secrets` lists the values
 * of members whose key names a secret (secret_name_like()), `phones` those
 * whose key names an email or phone (pii_name_like()), `labels` the
 * <label> elements (by their tagName token), `labelledby` the fields
 * labelled by other elements, `styles` what may carry a stylesheet
 * (`_cssText`, a rule, a declared property, a style text node's `isStyle`);
 * all three are read before the walk.
 */
typedef struct {
    json_tok *tok;
    uint32_t n;
    uint32_t cap;
    tok_list candidates;
    json_tok *keys;
    uint32_t n_keys;
    uint32_t cap_keys;
    tok_list secrets;
    tok_list phones;
    tok_list ip_named;      /* values of "ip", "client_ip", "ipAddress": an address? */
    tok_list secret_names;  /* "name" members that name a secret: see walk.c */
    tok_list pair_names;    /* values of "key", "field"...: a pair's name? see walk.c */
    tok_list sibling_named; /* values of "code", "answer": secrets beside "state"...? */
    tok_list field_hints;   /* values of "title", "data-stripe"...: a card or secret? */
    tok_list privacy_marks; /* other recorders' privacy markers: a class list with rr-mask... */
    tok_list cell_names;    /* values of "data-label", "col-id"...: a cell's column */
    tok_list roles;         /* values of "role": a grid of <div>s' rows and cells */
    tok_list short_lists;   /* arrays of 2 to SHORT_LIST_MOST strings or numbers,
                               objects with a key that ends in an index: a card's groups? */
    tok_list at_texts;      /* text node values with an '@': half an email? */
    tok_list iban_texts;    /* text node and "value" values that may begin an IBAN: GB29... */
    tok_list labels;
    tok_list labelledby; /* aria-labelledby values */
    tok_list styles;
    struct key_memo *key_memo; /* kept across batches: what key names mean (json.re) */
} json_tape;

typedef struct decode_scratch decode_scratch; /* text.c */

/*
 * The digits of the last values typed into card fields (a number, a code,
 * an expiry) or of a card typed elsewhere, kept for the session in memory
 * only (wiped when it ends): a page's live picture of the card ("4111 1111
 * 1111 111\u2022", "737" on its back) is then masked while the number is
 * still incomplete and no pattern can tell it is a card.
 */
enum { CARD_ECHO_DIGITS = 19, CARD_ECHOES = 4, CARD_ECHO_MIN = 7 };
typedef struct {
    uint8_t digits[CARD_ECHOES][CARD_ECHO_DIGITS]; /* ASCII digits */
    uint8_t n[CARD_ECHOES];
    uint8_t next;   /* the slot the next value goes to */
    uint32_t noted; /* how many times a value was noted: 0 for none yet */
} card_echoes;

/* Tokenises json[0..len) (json[len] must be NUL) onto the tape; scratch
 * decodes strings for detect_may_find(), which also looks for `echoes`
 * (may be NULL). */
int json_tape_build(json_tape *tape, const char *json, size_t len, decode_scratch *scratch,
                    const card_echoes *echoes, veil_error *err) VEIL_MUST_CHECK;
void json_tape_free(json_tape *tape);

/* Where object member k's key name starts in the JSON its tape was built
 * from: the byte after the key's opening quote (it ends at the next unescaped
 * quote). Reads back from k's value over the colon and the key, bytes that
 * masking never changes. k must be an object member. */
const char *json_key_of(const char *json, const json_tok *k);

/* ---- Policy (policy.c) ------------------------------------------------- */

typedef struct selector_list selector_list;

/* The single tests selectors make (a tag, a class, an attribute), at most
 * this many per site: which an element meets fits in 64 bits. */
#define MASKER_MAX_ATOMS 64

/* A site policy resolved for one page URL. */
typedef struct {
    const masker_site *site;
    int ip_octets;
    bool record_inputs;
    bool record_pii;
    const selector_list *mask[2]; /* site's, page's (either may be NULL) */
    const selector_list *allow[2];
} masker_policy;

void masker_site_resolve(const masker_site *site, const char *url, size_t url_len,
                         masker_policy *out);

/* Whether any selector of the site (or its pages) tests anything. */
bool selector_site_has_atoms(const masker_site *site);
/* The atoms an element of tag [tag, tag + len) meets by its tag. */
uint64_t selector_atoms_of_tag(const masker_site *site, const char *tag, size_t len);
/* Whether some atom reads attribute `name`. */
bool selector_atoms_read(const masker_site *site, const char *name, size_t len);
/* `bits` updated for attribute name = value (value NULL: the attribute is
 * absent or removed). */
uint64_t selector_atoms_attr(const masker_site *site, uint64_t bits, const char *name,
                             size_t name_len, const char *value, size_t value_len);
/* Whether some compound selector of the list has all its atoms in `atoms`. */
bool selector_list_match(const selector_list *list, uint64_t atoms);
/* What the policy's selectors make of an element that meets `atoms`:
 * NF_SENSITIVE (a mask selector), NF_ALLOW (an allow selector). */
uint8_t policy_selector_flags(const masker_policy *policy, uint64_t atoms);

/* ---- Reading strings (text.c) ------------------------------------------ */

/* One place where the normalized reading differs from the raw bytes:
 * normalized bytes [norm, norm + norm_len) stand for raw bytes
 * [raw, raw + raw_len) of the string (an escape, a percent-encoding, a
 * Unicode digit, separator or invisible character). */
typedef struct {
    uint32_t norm;
    uint32_t raw;
    uint8_t norm_len; /* 0-4 */
    uint8_t raw_len;  /* 2-255 */
} text_span;

/* Where strings are normalized for scanning; owned by the session. */
struct decode_scratch {
    uint8_t *buf;                /* normalized bytes (wiped after each use) */
    struct text_raw_byte *bytes; /* the layers' working copy (wiped) */
    text_span *spans;            /* cap / 2 + 1 entries */
    size_t cap;
    void *joined; /* the split detectors' joined text (detect.c; wiped after each use) */
};

void decode_scratch_free(decode_scratch *d);

/* A string as the detectors read it. */
typedef struct {
    const uint8_t *s; /* normalized bytes: raw ones when nothing needed undoing */
    size_t n;
    const text_span *spans; /* in order; none when s is the raw bytes */
    size_t n_spans;
    uint32_t raw_start; /* offset of the string's first raw byte in the input */
    uint32_t raw_len;
    bool normalized; /* s lives in the scratch */
} text_view;

/* The length of the run of backslashes at k: the escapes of JSON held in
 * a string before a quote (\" one level down, \\\" two). */
static inline size_t backslashes_at(const text_view *v, size_t k)
{
    size_t n = 0;
    while (k + n < v->n && v->s[k + n] == '\\')
        n++;
    return n;
}

/* The normalized reading of string (or key) token t of json. */
int text_view_of(decode_scratch *d, const char *json, const json_tok *t,
                 text_view *v) VEIL_MUST_CHECK;
/* Wipes what text_view_of() decoded: it was unmasked input. */
void text_view_done(decode_scratch *d, const text_view *v);
/* Whether class list k names a privacy class (privacy_class()), read
 * decoded when it holds escapes ("a\trr-mask" in the JSON). Here, not in
 * json.re: the same function there, out of line, cost the tokenizer's loop
 * 2-3 % more instructions on every corpus. */
bool privacy_class_token(decode_scratch *d, const char *json, const json_tok *k);
/* The input offset of normalized byte i (0 <= i <= n). */
uint32_t text_raw_of(const text_view *v, size_t i);
/* Whether normalized byte i (< n) stands in the input as it is: not
 * decoded from an escape, a percent-encoding or an entity ("+" is, "%2B"
 * is not). */
bool text_byte_is_raw(const text_view *v, size_t i);

/* ---- Cards (cards.c) -------------------------------------------------- */

/* Card-number rules, exposed for tests and the fuzz oracle. */
bool card_luhn_ok(const uint8_t *digits, size_t n);
bool card_iin_ok(const uint8_t *digits, size_t n);
bool card_iin_prefix_ok(const uint8_t *digits, size_t n);
/* 12-19 digits, an IIN that issues that length, and Luhn. */
bool card_number_ok(const uint8_t *digits, size_t n);

/* The separator (" ", " - ", ".", "/"...) after the digit group [group, i)
 * of s: its length when a digit follows and the group has 3+ digits, else 0. */
size_t card_separator_after(const uint8_t *s, size_t group, size_t i, size_t n);
/* The most blanks between two digit groups when they hold a line break. */
enum { CARD_LINE_BLANKS = 24 };

/* The marks besides blanks and - . / that people type between a card's
 * groups when another key comes to hand, or that a spreadsheet, a log or an
 * input method's full-width forms put there: "4111,1111,...",
 * "5555_5555_...", "3782:822463:10005", | ; * ~. */
static inline bool card_other_mark(uint8_t ch)
{
    return ch == ',' || ch == '_' || ch == ':' || ch == ';' || ch == '|' || ch == '*' || ch == '~';
}

/* The length of a list's separator between two quoted items at k, as JSON
 * and a script's print of a list write it ("4111","1111" or '4111',
 * '1111'): a quote, a card_other_mark() between up to one blank at each
 * side, and the same quote, with a digit after it; else 0. */
static inline size_t quoted_list_mark(const uint8_t *s, size_t k, size_t n)
{
    size_t j = k + 1;
    if (j >= n || (s[k] != '"' && s[k] != '\''))
        return 0;
    j += s[j] == ' ';
    if (j >= n || !card_other_mark(s[j]))
        return 0;
    j += 1 + (j + 1 < n && s[j + 1] == ' ');
    return j + 1 < n && s[j] == s[k] && (unsigned)(s[j + 1] - '0') <= 9 ? j + 1 - k : 0;
}

/* The end of the chain of digit groups from its first group at i, joined
 * by card separators, the other marks among them, read up to the group
 * that takes it past 19 digits; into *digits, how many it holds. 0 when a
 * digit stands before i across blanks and one mark: a list, or a chain
 * read from its start. */
size_t card_chain_end(const text_view *v, size_t i, size_t *digits);
/* Whether the digit groups of [i, end) are one card printed as cards are:
 * groups of four but the last (4-4-4-4, 4-4-4-4-3), or 4-6-5, 4-6-4,
 * 4-5-6. */
bool card_printed_whole(const text_view *v, size_t i, size_t end);
/* Whether groups of digits, written one blank apart ("4111 1111 1111
 * 1111"), are a card as cards print (card_printed_whole()) or spelled out a
 * digit at a time, or two (the last group maybe one): the boxes of a form
 * read one after another, where a list of small numbers mixes both. */
bool card_in_groups(const uint8_t *text, size_t n);
/* Where the IBAN whose first check digit is at i of v ends ("DE89 3704
 * 0044 0532 0130 00": its country's code at i-2, its groups one blank
 * apart, passing its check), or 0 (detect.c). */
size_t detect_iban_end(const text_view *v, size_t i);

/* One run of digits of a chain: normalized [pos, end), n digits. */
typedef struct {
    uint32_t pos, end;
    uint8_t n;
} digit_group;

/* Called with the normalized range of each card found; non-zero stops. */
typedef int (*card_window_fn)(void *user, uint32_t from, uint32_t to);

/* Reads the chains of digit groups in v->s[i, limit) (groups joined by
 * card separators) and calls on_card for each card in them. */
int cards_in_run(const text_view *v, size_t i, size_t limit, card_window_fn on_card,
                 void *user) VEIL_MUST_CHECK;

/* Whether an element name or id means a card number, CVC or expiry field,
 * and whether an accessible label (aria-label, placeholder, <label> text)
 * names one (words.re). */
bool card_like(const char *name, size_t len);
bool card_label_like(const char *text, size_t len);
/* Whether two names are one stem with different indices, as a form names
 * the boxes a number is typed across: "cc1" and "cc2", "ccnum[0]" and
 * "ccnum[1]", "card_no_1" and "card_no_2", or indices of 1-2 digits alone,
 * "0" and "1" (words.re). */
bool indexed_names(const char *a, size_t an, const char *b, size_t bn);
/* Whether a name ends in such an index ("cc1", "pan[2]", "0"). */
bool indexed_name(const char *name, size_t len);
/* What an attribute of a form field other than its name, id and labels
 * says about the field (words.re): HINT_TITLE, a title read as a label;
 * HINT_PAYMENT, a payment library's field name (card_attribute_like());
 * HINT_BINDING, the name a framework or a test knows the field by
 * (formcontrolname, data-bind, wire:model, data-testid...), read as a name. */
enum field_hint { HINT_NONE, HINT_TITLE, HINT_PAYMENT, HINT_BINDING };
enum field_hint field_hint_of(const char *name, size_t len);
/* Whether an attribute names the column a table or grid cell stands in,
 * as responsive tables and data grids write it on every cell (data-label,
 * MUI's data-field, AG Grid's col-id...): its value is the cell's label
 * (words.re). */
bool cell_name_attribute(const char *name, size_t len);
/* What an ARIA role makes a <div> of a grid (enum form_tag: FORM_TABLE,
 * FORM_ROW, FORM_HEADER_CELL, FORM_CELL), FORM_NONE for any other role
 * (words.re). */
uint8_t grid_role_form(const char *role, size_t len);
/* Other session recorders' privacy markers, which a site may already carry
 * in its markup (words.re): whether an attribute name is one
 * (data-private, data-hj-suppress...), and whether a class list names one
 * (rr-mask, rr-block, fs-exclude, sentry-mask...). */
bool privacy_attribute(const char *name, size_t len);
/* Whether an attribute holds what a copy button puts on the clipboard
 * (data-clipboard-text, data-copy...): masked whole, as a secret's value
 * (words.re). */
bool clipboard_attribute(const char *name, size_t len);
bool privacy_class(const char *list, size_t len);
/* Whether a payment library's field attribute (data-stripe="number",
 * data-braintree-name="cvv") names a card number, CVC or expiry (words.re). */
bool card_attribute_like(const char *value, size_t len);
/* Whether a key, in any case, may name the value member beside it
 * ({"name": "password", "value": ...}: serializeArray(), HAR; {"key":
 * "password", "value": ...}: API clients, form builders; {"type":
 * "password", "value": ...}: a form's fields dumped; {"op": "replace",
 * "path": "/password", "value": ...}: JSON Patch; {"Name": ..., "Value":
 * ...}: AWS's APIs; {"fieldName": ..., "fieldValue": ...}), read by the
 * tokenizer and in JSON held in a string; and whether a key names that
 * value member: "value", "val", "text", "fieldValue"... (words.re). */
bool pair_name_key(const char *name, size_t len);
bool pair_value_key(const char *name, size_t len);
/* A member that holds a secret beside a sibling of one of `siblings`
 * (NULL-terminated) whose string value passes `says` (NULL: any value). */
typedef struct sibling_secret {
    const char *name;
    const char *siblings[6];
    bool (*says)(const char *value, size_t len);
} sibling_secret;
/* What a member of this name needs beside it to hold a secret, or NULL:
 * "code" beside "state" or "redirect_uri" (OAuth), "answer" beside
 * "question", "params" beside a "method" that signs in (words.re). */
const sibling_secret *sibling_secret_of(const char *name, size_t len);
/* Whether a field or parameter name names a secret: password, token,
 * api_key, Authorization, cookie, CVC, PIN... (words.re). */
bool secret_name_like(const char *name, size_t len);
/* Whether the name a value is given under (a request's parameter, a JSON
 * member, a pair's "name" or "key", a multipart part) means a secret
 * (secret_name_like()), a card field by a word of its own, as checkout
 * forms name their fields and post them ("payment[cc_cid]", "x_card_num",
 * "numero_tarjeta"; not the short names card_like() takes whole, "pan" and
 * "cid", which as a request's parameter mean other things: a map's pan, an
 * analytics client's id), or an identity number ("cpf", "dniNumber",
 * "codice_fiscale": id_noun_word()) (words.re). */
bool value_name_like(const char *name, size_t len);
/* Whether a word is the word for password: "password", "pwd", "passcode",
 * "Passwort", "contraseña", "hasło", "пароль", "密码" (words.re). */
bool password_word(const char *word, size_t len);
/* Whether a label names a code by its noun ("Verification code",
 * "Bestätigungscode", "PIN", "验证码"): what is told after it may be digits
 * alone (words.re). */
bool label_names_code(const char *text, size_t len);
/* Whether a label in prose ends in the name of a card's security code or
 * a PIN: "CVV", "CVC2", "CVV code", "cvv no", "Security code",
 * "Kartenprüfnummer", "cryptogramme visuel", "código de seguridad"
 * (words.re). The text's escapes are not undone. */
bool card_code_label(const char *text, size_t len);
/* Whether a word tells what follows it, as "is" or "was" do, in the
 * languages the secret names are read in beside English: "lautet", "est",
 * "es", "è", "é", "jest", "är" (words.re). */
bool telling_word(const char *word, size_t len);
/* Whether a word ends in a code's noun: "code", "Bestätigungscode", "PIN",
 * "smsTAN", "kod", "Transaktionsnummer" (words.re). */
bool code_noun_word(const char *word, size_t len);
/* Whether a word (or two read as one, "socialsecurity") names a national
 * identity, tax or passport number: "SSN", "CPF", "Personnummer", "passport"
 * (words.re). */
bool id_noun_word(const char *word, size_t len);
/* Whether a word of a URL's path names what a link mailed to a person does
 * with the token after it ("reset", "verify", "invite", "login", "magic",
 * "unsubscribe"), or a webhook whose URL is its secret (words.re). */
bool link_action_word(const char *word, size_t len);
/* A placeholder drawn as a hidden password: 5 to 32 bullets or asterisks
 * and nothing else ("••••••••"). */
bool password_placeholder(const char *v, size_t len);
/* How long a value a text node's string (raw bytes) draws hidden, as a
 * page shows one before its "Show" button: in bullets or '*' alone
 * ("••••••••", also written "\u2022"; "***" for a card's code), or in a
 * run of four of them beside a few characters of its own ("••••6789"): 3
 * to 32, or 0 when it draws none. */
int hidden_slots(const char *v, size_t len);
/* A class list that calls its input a password field ("form-control
 * password-input", "js-passwd"): the field revealed, or drawn as text. */
bool password_class(const char *v, size_t len);
/* Whether a field's name or id means an email address or a phone number
 * (words.re). */
bool pii_name_like(const char *name, size_t len);
/* Whether a field's label, aria-label or placeholder says it takes an
 * email address or a phone number, in any of the languages words.re reads. */
bool pii_label_like(const char *text, size_t len);
/* Whether the word right before a number names it a phone: a field's name
 * or label, or an abbreviation too short to name a field by ("Ph.", "Тел."). */
bool phone_label_word(const char *word, size_t len);
/* Whether that word is an abbreviation that names a phone with a blank
 * alone after it ("Tel 22 33 44 55", "Tlf ..."). */
bool phone_abbreviation(const char *word, size_t len);
/* Whether that word names a phone in full ("Telefon", "Phone", "Mobile"),
 * which a blank alone joins to its number too. */
bool phone_word(const char *word, size_t len);
/* Whether a name or label names an IP address by its last words: "ip",
 * "client_ip", "ipAddress", "IP address", "ipv4", "ip_int", "remote_addr"
 * (words.re). */
bool ip_name_like(const char *name, size_t len);
/* Whether a field's label names an identity number among its words or its
 * pairs of words ("CPF", "Your CPF (numbers only)", "Codice fiscale", "Tax
 * ID", "DNI / NIE"), not by a word its language also uses otherwise
 * ("Sin cargo", "Niño") (words.re). */
bool id_label_like(const char *text, size_t len);

/* ---- Command lines (command_line.c) ---------------------------------- */
/* The password a command line passes around the word that starts at s
 * ("mysql -pKestrel9vQ2", "curl -u admin:...", "sqlplus scott/...@orcl"):
 * its end, and its start in *start; 0 when s is in no option or argument
 * by which a listed command takes one. */
size_t command_line_password(const text_view *v, size_t s, size_t *start);
/* command_line_password() of a command line in a site search's query,
 * its blanks written '+' ("?q=mysql+-u+root+-p..."), for the word at s
 * after a '+'; 0 for none. */
size_t command_line_password_in_query(const text_view *v, size_t s, size_t *start);
/* Whether the table of commands is in the order bsearch() needs (a test). */
bool command_line_table_sorted(void);

/* ---- Detection (detect.c) ---------------------------------------------- */

/*
 * Replacement of raw bytes [off, off+len) of the input by `rep_len` bytes at
 * `rep` in the session's replacement arena, inside the string whose closing
 * quote is at `quote`. Only edits that change length are queued;
 * equal-length ones are written in place at once.
 */
typedef struct {
    uint32_t off;
    uint32_t len;
    uint32_t rep;
    uint32_t rep_len;
    uint32_t quote; /* EDIT_NOT_IN_STRING: a number replaced by a string */
} masker_edit;

#define EDIT_NOT_IN_STRING UINT32_MAX

typedef struct {
    masker_edit *v;
    size_t n, cap;
    veil_buf arena;
} edit_list;

/* What a string is, as far as pattern scanning cares. */
enum scan_mode {
    SCAN_TEXT,  /* page text, attributes, URLs, payloads */
    SCAN_TYPED, /* a value the visitor types: also catch card numbers being typed */
};

struct noted_edits;

typedef struct {
    char *json; /* the whole input, rewritten in place */
    decode_scratch *scratch;
    edit_list *edits;
    masker_findings *findings;
    const masker_policy *policy;
    struct noted_edits *noted; /* when set: what would be replaced is noted there */
    bool in_card_field;        /* count cards as MASKER_CARD_IN_FIELD */
    bool dry_run;              /* count only, write nothing */
    bool in_base64;            /* reading what a base64 word decodes to: no deeper */
    card_echoes *echoes;       /* the session's: noted from typed cards, met in text */
} scan_ctx;

/* Finds and masks card numbers, IPs, emails, phones and named secrets in
 * one string token, or a card number written as a JSON number. */
int detect_scan_string(scan_ctx *ctx, const json_tok *t, enum scan_mode mode) VEIL_MUST_CHECK;
/* Whether detect_scan_string(SCAN_TEXT) could find anything in string t of
 * json under any policy, echoes of typed cards (may be NULL) included.
 * Writes nothing to json. */
bool detect_may_find(decode_scratch *scratch, const card_echoes *echoes, const char *json,
                     const json_tok *t);
/* detect_scan_string(SCAN_TEXT) on every candidate on the tape's list that
 * the walk left unvisited, and on the listed keys. */
int detect_sweep(scan_ctx *ctx, const json_tape *tape) VEIL_MUST_CHECK;
/* detect_scan_string(SCAN_TEXT) on the strings the tokenizer took off the
 * list (nothing found then) that the walk left unvisited: for a card typed
 * after the tokenizer ran, whose echo they may show. */
int detect_sweep_unlisted(scan_ctx *ctx, const json_tape *tape) VEIL_MUST_CHECK;

enum field_mask {
    MASK_VALUE, /* every character becomes '*' */
    MASK_TEXT,  /* every non-space character becomes '*' */
    MASK_FIXED, /* a fixed number of '*', whatever the length */
};
#define MASKER_FIXED_LEN 8

/* A text node's part in a card split over nodes: all of it, or only its
 * first or last TEXT_PART_EDGE normalized bytes (a long text joins its
 * neighbours only by its ends). */
enum text_part_kind { TEXT_PART_WHOLE, TEXT_PART_HEAD, TEXT_PART_TAIL };
#define TEXT_PART_EDGE 40
/* The most parts read together, and the most bytes a whole part has: a
 * card drawn a digit per element, with its gaps, is 37 parts. */
enum { TEXT_PARTS_MOST = 48, TEXT_PART_MOST = 64 };
typedef struct {
    const json_tok *tok;
    uint8_t kind; /* enum text_part_kind */
} text_part;

/* Masks, in every part, with `cards` the digits of each card that spans
 * two or more of the parts read one after another (a card rendered as four
 * <span>s), and with `phones` (the caller's: false when the policy keeps
 * them) those of each phone number that does (<span>+44</span> <span>20
 * 7946 0958</span>). *masked (unless NULL): the parts it masked something
 * in, bit p for parts[p]. */
int detect_split_numbers(scan_ctx *ctx, const text_part *parts, size_t n, bool cards, bool phones,
                         uint64_t *masked) VEIL_MUST_CHECK;
/* Masks, in every part, each email that spans two or more of the parts
 * ("jane.doe<wbr>@example.com", <span>jane</span>@example.com), unless the
 * policy keeps emails; *masked as above. */
int detect_split_emails(scan_ctx *ctx, const text_part *parts, size_t n,
                        uint64_t *masked) VEIL_MUST_CHECK;

/* Masks in text node `value` what reads as a value told after the label in
 * text node `label`, the text the page shows right before it ("Security
 * code: " then "737", as a template that puts a value in a node of its own
 * renders them), when `value` read alone holds nothing; `apart`: the two
 * stand in cells of their own, which the page draws apart. *made: whether
 * it masked anything. */
int detect_after_label(scan_ctx *ctx, const json_tok *label, const json_tok *value, bool apart,
                       bool *made) VEIL_MUST_CHECK;
/* The same with a label kept from an earlier batch: n bytes at `label`,
 * read as they are (a table's column header, table_header_of()). */
int detect_after_label_text(scan_ctx *ctx, const char *label, size_t n, const json_tok *value,
                            bool apart, bool *made) VEIL_MUST_CHECK;
/* Whether the n raw bytes of a text node start (past blanks, a ':', a quote
 * or a bracket) with a word a label may tell: three digits or more, or six
 * characters or more with a letter and a digit. Its escapes end the word. */
bool detect_leads_with_value(const char *s, size_t n);
/* The same for a text node's value of n raw bytes with these TOK_F_* flags,
 * short enough to be a value alone (escapes of another script make it
 * longer). */
static inline bool text_may_lead_with_value(const char *s, size_t n, uint8_t flags)
{
    bool ascii = (flags & (TOK_F_ASCII | TOK_F_ESCAPED)) == TOK_F_ASCII;
    return n <= (ascii ? 128u : 768u) && detect_leads_with_value(s, n);
}

/* Masks string t (a number becomes a string of '*'). */
int detect_mask_field(scan_ctx *ctx, const json_tok *t, enum field_mask how) VEIL_MUST_CHECK;

/* What the n raw bytes of a text node's string read as, whole (blanks
 * around them aside): a credential (one word of 8 to 64 characters with a
 * letter and two digits, the symbols passwords hold included: "Xk7pQ2mZ9w",
 * "8f3a9-c2e71"), a key printed in groups ("JBSW Y3DP EHPK 3PXP"), a code
 * or a number (4 to 20 digits, maybe in two or three groups: "4821",
 * "4829-1337", a sort code's "20-00-00"), or none. */
enum shown_secret { SHOWN_NONE, SHOWN_CODE, SHOWN_CREDENTIAL };
enum shown_secret detect_shown_secret(const char *s, size_t n);
/* The same for the word a text node's string starts with, past blanks and
 * a ':' or '-' its label left there (": Qz6yN4kVx2 - valid for 24 hours"):
 * its bytes are [*from, *to) of s. */
enum shown_secret detect_leading_secret(const char *s, size_t n, size_t *from, size_t *to);

/* Keeps of value t, named like an IP address, what the policy keeps of an
 * IPv4 address, when t is one written as a 32-bit integer (a number, or a
 * string of one in decimal or 0x hex: 3405803971, "0xcb0071c3"); whether it
 * was into *masked. Any other value is left to the sweep. */
int detect_mask_ip_integer(scan_ctx *ctx, const json_tok *t, bool *masked) VEIL_MUST_CHECK;

/* Replaces value t (a string, number, true or false) by null: the checked
 * or selected state of a sensitive field, which a replay then draws off. */
int detect_mask_to_null(scan_ctx *ctx, const json_tok *t) VEIL_MUST_CHECK;

int edit_push(edit_list *e, uint32_t off, uint32_t len, const char *rep, size_t rep_len,
              uint32_t quote) VEIL_MUST_CHECK;

/* ---- Sessions (masker.c) and the rrweb walk (walk.c) ------------------ */

#define MASKER_URL_MAX 2048

/* The DOM id of a form field and its rrweb node id (a <label for> may come later). */
typedef struct {
    uint64_t dom_id_hash;
    uint32_t node;
} field_id;

enum { MASKER_LABEL_TARGETS = 64, MASKER_FIELD_IDS = 256, MASKER_DOM_ID_MAX = 64 };

enum { SECRET_FIELDS_KEPT = 8, SENSITIVE_URLS_KEPT = 64, NUMBER_TEXTS_KEPT = 64 };

/* A field whose aria-labelledby names a DOM id no element of its batch
 * had: the label a later batch draws with that id names it (walk.c's
 * read_labelledby()). */
enum { LABELLEDBY_KEPT = 8 };
typedef struct {
    uint32_t field; /* its node id; 0: a free slot */
    uint8_t len;
    char id[MASKER_DOM_ID_MAX];
} labelledby_ref;

/* An element with a DOM id whose text names a card field, a secret or PII
 * (NF_CARD, NF_PASSWORD, NF_PII): a field a later batch draws with an
 * aria-labelledby that names the id takes what it says (walk.c's
 * keep_id_label() and read_labelledby()). */
enum { ID_LABELS_KEPT = 16 };
typedef struct {
    uint8_t says; /* 0: a free slot */
    uint8_t len;
    char id[MASKER_DOM_ID_MAX];
} id_label;

/* The column headers of a table, by the node id of the table (read in a
 * snapshot) or of its rows' section (read among a mutation's adds), for
 * the rows a later mutation adds under them (walk.c's column_header_added()): each
 * header's last TABLE_HEADER_MOST bytes as the detectors read them. They
 * are page text the masker keeps as it is. */
enum { TABLES_KEPT = 4, TABLE_COLUMNS_KEPT = 16, TABLE_HEADER_MOST = 48 };
typedef struct {
    uint32_t table; /* the table's or its section's node id; 0: a free slot */
    uint8_t len[TABLE_COLUMNS_KEPT];
    char text[TABLE_COLUMNS_KEPT][TABLE_HEADER_MOST];
} table_headers;

struct masker_session {
    const masker_site *site;
    masker_policy policy; /* resolved for `url` */
    char url[MASKER_URL_MAX];
    node_table nodes;
    /* DOM ids that a <label for> whose text names a card field, a secret,
     * an email or a phone points at, and what it names (NF_CARD,
     * NF_PASSWORD, NF_PII) */
    char (*label_targets)[MASKER_DOM_ID_MAX];
    uint8_t label_target_flags[MASKER_LABEL_TARGETS];
    size_t n_label_targets;
    field_id *field_ids; /* open addressing, MASKER_FIELD_IDS slots; node 0: empty */
    /* a stylesheet of the session draws typed text as discs: no input is recorded */
    bool styles_hide_typing;
    /* the last password and card inputs walked, ring order (walk.c's
     * note_replaced()) */
    uint32_t secret_fields[SECRET_FIELDS_KEPT];
    uint8_t next_secret_field;
    /* hashes of the last picture URLs (src, srcset) sensitive elements kept,
     * ring order: rrweb 2.x ships what such a URL shows (an uploaded ID's
     * blob: preview) as an asset event of its own (sensitive_url_add()) */
    uint64_t sensitive_urls[SENSITIVE_URLS_KEPT];
    uint8_t next_sensitive_url;
    /* the last text nodes (ids) that showed a piece of a number masked
     * across nodes and nothing else, ring order, since the last full
     * snapshot (walk.c's chain_masked_sticks()) */
    uint32_t number_texts[NUMBER_TEXTS_KEPT];
    uint8_t next_number_text;
    /* the last LABELLEDBY_KEPT of those fields, ring order (NULL until one) */
    labelledby_ref *labelledby;
    uint8_t next_labelledby;
    /* the last ID_LABELS_KEPT such elements, ring order (NULL until one) */
    id_label *id_labels;
    uint8_t next_id_label;
    /* the last TABLES_KEPT tables with headers, ring order (NULL until one) */
    table_headers *tables;
    uint8_t next_table;
    card_echoes echoes;
    /* per-batch scratch, kept to avoid reallocating */
    json_tape tape;
    edit_list edits;
    decode_scratch scratch;
    veil_buf out;
};

void session_set_url(masker_session *s, const char *url, size_t len);

/* Card, secret and PII fields named by labels (the DOM ids, with NF_CARD,
 * NF_PASSWORD or NF_PII), and form fields by DOM id. */
void label_target_add(masker_session *s, const char *dom_id, size_t len, uint8_t flags);
uint8_t label_target_flags(const masker_session *s, const char *dom_id, size_t len);
void field_id_add(masker_session *s, const char *dom_id, size_t len, uint32_t node);
/* Field `node` waits for the element with DOM id dom_id[0, len) to name it. */
void labelledby_add(masker_session *s, const char *dom_id, size_t len, uint32_t node);
bool field_id_find(const masker_session *s, const char *dom_id, size_t len, uint32_t *node);
/* The element with DOM id dom_id[0, len) names what `says` says (0:
 * nothing); what the last one with that id said (0: nothing, or none
 * kept). */
void id_label_add(masker_session *s, const char *dom_id, size_t len, uint8_t says);
uint8_t id_label_says(const masker_session *s, const char *dom_id, size_t len);
/* The last SENSITIVE_URLS_KEPT picture URLs sensitive elements showed
 * (decoded bytes; kept as hashes). */
void sensitive_url_add(masker_session *s, const void *url, size_t len);
bool sensitive_url_known(const masker_session *s, const void *url, size_t len);

/* Keeps the n bytes at `text` (its last TABLE_HEADER_MOST) as the header
 * of column `column` of the table (or rows' section) with node id `table`. */
void table_header_add(masker_session *s, uint32_t table, uint32_t column, const void *text,
                      size_t n);
/* The header kept for column `column` of table `table` (*n bytes), or NULL. */
const char *table_header_of(const masker_session *s, uint32_t table, uint32_t column, size_t *n);

/* Applies field masks and typed-value scans that depend on rrweb meaning. */
int walk_batch(masker_session *s, char *json, masker_findings *findings) VEIL_MUST_CHECK;

/* The scan context for one batch of session s. */
void session_scan_ctx(masker_session *s, char *json, masker_findings *findings, scan_ctx *out);

#endif
