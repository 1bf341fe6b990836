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
#define TOK_F_ASCII       2  /* string has no byte >= 0x80 */
#define TOK_F_UINT        4  /* number is an unsigned 32-bit integer, in uint_value */
#define TOK_F_VISITED     8  /* set by the walk: string already masked or scanned */
#define TOK_F_KEY_ESCAPED 16 /* the member's key contains a backslash escape */
/* A value string holding a digit, ':', '@' or a \u escape: only these can
 * hold a card number, IP, email or phone, so detection skips all others. */
#define TOK_F_CANDIDATE 32
/* A name or id value that means a card field (card_like()), noted while the
 * bytes are in cache: the walk reads them long after, when they are not. */
#define TOK_F_CARD_NAME 64

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
    RR_KEY_COUNT
};

/* Form fields by tag name: their values are typed by the visitor. */
enum form_tag { FORM_NONE, FORM_INPUT, FORM_TEXTAREA, FORM_SELECT };

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

/* The key's name as written in rrweb JSON ("" for RR_KEY_OTHER). */
const char *rr_key_name(enum rr_key key);

/*
 * One JSON value in document order, 16 bytes. Strings: `start` is the first
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
    uint8_t key;  /* enum rr_key, for object members */
    uint8_t form; /* enum form_tag, for tagName values */
} json_tok;

_Static_assert(sizeof(json_tok) == 12,
               "the tape is written and read once per batch: keep it small");
_Static_assert(TOK_OBJ == 0 && TOK_ARR == 1, "tok_after() counts on containers coming first");

/* The index of the token after value v and everything inside it. */
static inline uint32_t tok_after(const json_tok *t, uint32_t v)
{
    return t[v].kind <= TOK_ARR ? t[v].end : v + 1;
}

/*
 * tok[0] is a placeholder; the document's root value is tok[1]. `candidates`
 * lists, in order, the strings the sweep must read instead of the whole tape:
 * those marked TOK_F_CANDIDATE where the tokenizer's dry run of the scan
 * (detect_may_find()) found something.
 */
typedef struct {
    json_tok *tok;
    uint32_t n;
    uint32_t cap;
    uint32_t *candidates;
    uint32_t n_candidates;
    uint32_t cap_candidates;
} json_tape;

typedef struct decode_scratch decode_scratch; /* detect.c */

/* Tokenises json[0..len) (json[len] must be NUL) onto the tape; scratch
 * decodes strings for detect_may_find(). */
int json_tape_build(json_tape *tape, const char *json, size_t len, decode_scratch *scratch,
                    veil_error *err) VEIL_MUST_CHECK;
void json_tape_free(json_tape *tape);

/* Where object member k's key name starts in the JSON its tape was built
 * from: the byte after the key's opening quote (it ends at the next unescaped
 * quote). Reads back from k's value over the colon and the key, bytes that
 * masking never changes. k must be an object member. */
const char *json_key_of(const char *json, const json_tok *k);

/* ---- Policy (policy.c) ------------------------------------------------- */

typedef struct selector_list selector_list;

/* How the walker reads an element: its tag and attributes, any key order. */
typedef struct {
    const char *tag;
    size_t tag_len;
    /* Returns the raw value of attribute `name`, "" for a non-string value,
     * NULL when absent. */
    const char *(*attr)(void *ctx, const char *name, size_t *len);
    void *ctx;
} element_view;

bool selector_list_match(const selector_list *list, const element_view *el);

/* A site policy resolved for one page URL. */
typedef struct {
    int ip_octets;
    bool record_inputs;
    bool record_pii;
    const selector_list *mask[2]; /* site's, page's (either may be NULL) */
    const selector_list *allow[2];
} masker_policy;

void masker_site_resolve(const masker_site *site, const char *url, size_t url_len,
                         masker_policy *out);

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
    uint32_t quote;
} masker_edit;

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

/* One escape in a decoded string: raw bytes [raw, raw + raw_len) of the
 * string became decoded bytes [decoded, decoded + decoded_len). */
typedef struct {
    uint32_t decoded;
    uint32_t raw;
    uint8_t decoded_len; /* 1-4 */
    uint8_t raw_len;     /* 2, 6 or 12 */
} escape_span;

/* Where strings with escapes are decoded for scanning; owned by the session. */
struct decode_scratch {
    uint8_t *buf;         /* decoded bytes (wiped after each use) */
    escape_span *escapes; /* cap / 2 + 1 entries */
    size_t cap;
};

void decode_scratch_free(decode_scratch *d);

typedef struct {
    char *json; /* the whole input, rewritten in place */
    decode_scratch *scratch;
    edit_list *edits;
    masker_findings *findings;
    const masker_policy *policy;
    bool in_card_field; /* count cards as MASKER_CARD_IN_FIELD */
    bool dry_run;       /* count only, write nothing */
} scan_ctx;

/* Finds and masks card numbers, IPs, emails and phones in one string token. */
int detect_scan_string(scan_ctx *ctx, const json_tok *t, enum scan_mode mode) VEIL_MUST_CHECK;
/* Whether detect_scan_string(SCAN_TEXT) could find anything in string t of
 * json under any policy. Writes nothing to json. */
bool detect_may_find(decode_scratch *scratch, const char *json, const json_tok *t);
/* detect_scan_string(SCAN_TEXT) on every string on the tape's candidate list
 * that the walk left unvisited. */
int detect_sweep(scan_ctx *ctx, const json_tape *tape) VEIL_MUST_CHECK;

enum field_mask {
    MASK_VALUE, /* every character becomes '*' */
    MASK_TEXT,  /* every non-space character becomes '*' */
    MASK_FIXED, /* a fixed number of '*', whatever the length */
};
#define MASKER_FIXED_LEN 8

int detect_mask_field(scan_ctx *ctx, const json_tok *t, enum field_mask how) VEIL_MUST_CHECK;

/* Whether an element name or id means a card number, CVC or expiry field (words.re). */
bool card_like(const char *name, size_t len);

/* Card-number rules, exposed for tests. */
bool card_luhn_ok(const uint8_t *digits, size_t n);
bool card_iin_ok(const uint8_t *digits, size_t n);
bool card_iin_prefix_ok(const uint8_t *digits, size_t n);

int edit_push(edit_list *e, uint32_t off, uint32_t len, const char *rep, size_t rep_len,
              uint32_t quote) VEIL_MUST_CHECK;

/* ---- Sessions (masker.c) and the rrweb walk (walk.c) ------------------ */

#define MASKER_URL_MAX 2048

struct masker_session {
    const masker_site *site;
    masker_policy policy; /* resolved for `url` */
    char url[MASKER_URL_MAX];
    node_table nodes;
    /* per-batch scratch, kept to avoid reallocating */
    json_tape tape;
    edit_list edits;
    decode_scratch scratch;
    veil_buf out;
};

void session_set_url(masker_session *s, const char *url, size_t len);

/* Applies field masks and typed-value scans that depend on rrweb meaning. */
int walk_batch(masker_session *s, char *json, masker_findings *findings) VEIL_MUST_CHECK;

/* The scan context for one batch of session s. */
void session_scan_ctx(masker_session *s, char *json, masker_findings *findings, scan_ctx *out);

#endif
