/*
 * walk.c - reads the tape with rrweb's meaning: which strings are input
 * values, which text and attributes lie under a sensitive element, which
 * node ids are card or password fields. Nothing here depends on the order
 * of keys inside an object: each object's members are looked up by name on
 * the tape, and an earlier duplicate of a member the walk reads is masked
 * whole (JSON.parse keeps the last; other parsers keep the first).
 *
 * Strings the walk masks or scans are marked visited; every string it leaves
 * alone is pattern-scanned afterwards (masker.c), so an event shape the walk
 * does not know still gets card, IP and email masking. A shape it knows the
 * meaning of but cannot read (an rrweb event whose fields have the wrong
 * types) is masked whole: nothing fails open.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

#include <sodium.h>

/* What children of node `id` inherit (see state_above()); id 0: empty. */
typedef struct {
    uint32_t id;
    uint8_t state;
} state_memo;

enum {
    MEMO_SLOTS = 64,
    CHAIN_PARTS = TEXT_PARTS_MOST,
    SHORT_PART = TEXT_PART_MOST,
    LABEL_REFS = 32,
    PENDING_CHANGES = 32,
    FLAGGED_IDS = 32
};

/* Node flags for a few node ids: the fields of a batch aria-labelledby ties
 * to a label. */
typedef struct {
    uint32_t id[FLAGGED_IDS];
    uint8_t flags[FLAGGED_IDS];
    size_t n;
} flagged_ids;

static void flagged_add(flagged_ids *l, uint32_t id, uint8_t flags)
{
    if (l->n < FLAGGED_IDS) {
        l->id[l->n] = id;
        l->flags[l->n++] = flags;
    }
}

/* The flags l holds for id, together. */
static uint8_t flagged_of(const flagged_ids *l, uint32_t id)
{
    uint8_t f = 0;
    for (size_t k = 0; k < l->n; k++)
        if (l->id[k] == id)
            f |= l->flags[k];
    return f;
}

/* The places where a mutation may put something in the place of password
 * and card fields it removes: the parents of what it removes, and what the
 * field was there; below each, how many levels of wrapper the field sat in
 * (note_replaced()). */
typedef struct {
    uint32_t id[FLAGGED_IDS];
    uint8_t flags[FLAGGED_IDS];
    uint8_t wrappers[FLAGGED_IDS];
    bool by_wrapper[FLAGGED_IDS]; /* a wrapper, not the field, was removed */
    size_t n;
} replaced_places;

static void place_add(replaced_places *p, uint32_t id, uint8_t flags, uint8_t wrappers,
                      bool by_wrapper)
{
    if (p->n < FLAGGED_IDS) {
        p->id[p->n] = id;
        p->flags[p->n] = flags;
        p->wrappers[p->n] = wrappers;
        p->by_wrapper[p->n++] = by_wrapper;
    }
}

typedef struct {
    uint32_t id, attrs; /* an attribute mutation's node and its attributes object */
} pending_change;

/* How many of the elements that held a secret shown in a batch the walk
 * keeps, for the nodes walked after it (held_beside()). */
enum { HELD_KEPT = 4 };

/* An entry of a mutation's adds: its node object, the node's id, parent
 * and next sibling (0: none). */
enum { ADDS_IN_ORDER = 256, ADDS_DEPTH = 32, TYPED_LATER = ADDS_IN_ORDER, REDRAWN_MOST = 16 };
typedef struct {
    uint32_t node, id, parent, next;
    bool has_id, done;
} added_node;

/* The cells of a table or a definition list being walked: a value in a
 * cell of its own is read with the cell before it in its row
 * (<th>Phone</th><td>...</td>, <dt>CVV</dt><dd>...</dd>) and with its
 * column's header (table_cell_entered()). */
enum { TABLE_COLUMNS = TABLE_COLUMNS_KEPT }; /* as many as the session keeps headers of */
typedef struct {
    uint32_t table;         /* the node id of the table being walked (0: none known) */
    uint32_t entered, left; /* walk.flow right after the last cell was entered, left */
    uint8_t left_form;      /* and what that cell was (enum form_tag) */
    /* the labels of the value cell being walked (its depth: value_depth) */
    uint32_t row_label, column_label;
    int value_depth;
    uint32_t value_cell; /* its node id, when it is a cell of a table or a grid */
    /* the row being walked: its depth, its next column, whether its cells
     * so far are all headers, and their texts */
    int row_depth;
    uint32_t column, cell_column, cell_span; /* and the cell's first column, its span */
    bool headers_only;
    uint32_t row_text[TABLE_COLUMNS];
    uint32_t header[TABLE_COLUMNS], n_header; /* the table's last row of headers alone */
} table_cells;

typedef struct {
    masker_session *s;
    json_tape *tape; /* the walk sets TOK_F_VISITED */
    scan_ctx scan;
    /* Incremental events name nodes deep in the page, one after another
     * under the same few ancestors: their states are remembered for the
     * batch, and forgotten whenever a known node or the policy changes. */
    state_memo memo[MEMO_SLOTS];
    /* Text nodes read one after another with only inline elements between
     * them: a card rendered as <span>4242</span><span>4242</span>... is
     * looked for across them (detect_split_numbers()), and so is a phone number. */
    text_part chain[CHAIN_PARTS];
    size_t n_chain;
    bool chain_later; /* a mutation's adds: chained after their walk (chain_adds()) */
    /* text nodes of a box whose typing is recorded, scanned as typed once
     * the chain they join is read (hold_typed_text()), in walk_batch()'s
     * frame; while typed_held, not before the adds' chains all are */
    uint32_t *typed_later;
    size_t n_typed_later;
    bool typed_held;
    /* a texts mutation's values for nodes that showed a piece of a number,
     * masked whole once their chain is read, unless it masked them (0) */
    uint32_t redrawn[REDRAWN_MOST];
    size_t n_redrawn;
    bool chain_emails;        /* the chain looks for an email split over it (chain_adds()) */
    bool selectors;           /* the site has selectors: each element's atoms are kept */
    uint32_t held[HELD_KEPT]; /* the last elements holders_of_shown() marked */
    uint32_t n_held;          /* in this batch, ever */
    /* node ids of this batch's fields that aria-labelledby ties to a label
     * naming a card, a secret, an email or a phone, and what it names
     * (NF_CARD, NF_PASSWORD, NF_PII) */
    flagged_ids labelled;
    /* the childNodes arrays the node being walked and its parent stand in
     * (see box_flags()) */
    uint32_t siblings, parent_siblings;
    /* boxes_among()'s last answer for each: a field's siblings (0) and its
     * parent's (1), asked in turn for each field (one answer for both made a
     * page of inputs, each in a wrapper, quadratic) */
    uint32_t boxes_list[2];
    uint8_t boxes_flags[2];
    /* the adds array of the mutation being walked (0: none), and the last
     * two parents whose added entries were read as boxes (boxes_added()) */
    uint32_t adds;
    struct {
        uint32_t adds, parent;
        uint8_t flags;
    } boxes_memo[2];
    uint32_t entry_node; /* the node object of the adds entry being walked */
    /* the first ADDS_IN_ORDER entries of adds array `added_of`, read once
     * (added_read()), in walk_batch()'s frame */
    added_node *added;
    size_t n_added;
    uint32_t added_of;
    uint32_t repeats; /* members written twice so far (mask_duplicate()) */
    /* what a <label> with no field inside says, for the next form field (a
     * label a careless form puts beside its field without `for`) */
    uint8_t label_before;
    /* the text node value the walk last masked as a secret shown beside its
     * label (shown_secret()): a list of them goes on after it */
    uint32_t shown_secret;
    /* a mutation's attribute changes to nodes not known yet, which its adds
     * may add (pending_changes()) */
    pending_change pending[PENDING_CHANGES];
    size_t n_pending;
    bool pending_overflow;
    /* where a mutation removes password and card fields, or their wrappers:
     * an input added there in their place takes over what they were
     * (note_replaced()) */
    replaced_places replaced;
    /* the last two text nodes walked (0: none, or one the page hides), and
     * the blocks they stood in: `flow` counts the block elements entered and
     * left, and a label and a value are read together inside one
     * (value_after_label()) */
    uint32_t flow, label_text[2], label_flow[2];
    table_cells cells;
    bool grid_roles; /* the batch gives <div>s a grid's roles (grid_form()) */
} walk;

/* What the ancestors of a node say about the text and values beneath. */
enum {
    IN_SENSITIVE = 1,     /* under a sensitive, card or password element */
    IN_HOLDER_MASKED = 2, /* under a textarea/select/contenteditable that is masked */
    IN_HOLDER_TYPED = 4,  /* under one whose value is recorded: scan as typed */
    IN_CARD = 8,          /* under a card field (e.g. an expiry <select>) */
    IN_UNKNOWN = 16,      /* an ancestor is not known: fail closed */
    IN_CARD_LABEL = 32,   /* inside a <label> whose text names a card field */
    IN_SECRET_LABEL = 64, /* inside a <label> whose text names a secret */
    IN_PII_LABEL = 128,   /* inside a <label> whose text names an email or a phone */
};

/* ---- tape access -------------------------------------------------------- */

/* Whether member token k's key is `name` (n bytes, no quote in it). */
static bool key_is(const walk *w, const json_tok *k, const char *name, size_t n)
{
    const char *raw = json_key_of(w->scan.json, k); /* ends at an unescaped '"' */
    size_t i = 0, j = 0;
    if (!(k->flags & TOK_F_KEY_ESCAPED)) {
        while (j < n && raw[i] == name[j]) /* stops at the closing quote */
            i++, j++;
        return j == n && raw[i] == '"';
    }
    /* An escaped key ("t\u0065xt") must not hide a field: compare decoded. */
    while (raw[i] != '"' && j < n) {
        char ch = raw[i];
        if (ch == '\\' && raw[i + 1] == 'u' && !memcmp(raw + i + 2, "00", 2)) {
            unsigned v = 0;
            for (int d = 4; d < 6; d++) {
                char h = raw[i + d];
                v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
            }
            ch = (char)v;
            i += 6;
        } else if (ch == '\\') {
            ch = raw[i + 1] == '/' ? '/' : raw[i + 1];
            i += 2;
        } else {
            i++;
        }
        if (ch != name[j++])
            return false;
    }
    return raw[i] == '"' && j == n;
}

/* The name of member k's key, decoded into buf when it has escapes. */
static const char *key_name(const walk *w, const json_tok *k, char *buf, size_t cap, size_t *len)
{
    const char *raw = json_key_of(w->scan.json, k);
    if (!(k->flags & TOK_F_KEY_ESCAPED)) {
        *len = (size_t)(strchr(raw, '"') - raw); /* the buffer is NUL-terminated */
        return raw;
    }
    size_t n = 0;
    for (const char *p = raw; *p != '"' && n + 1 < cap;) {
        if (*p == '\\' && p[1] == 'u' && p[2] == '0' && p[3] == '0') {
            unsigned v = 0;
            for (int d = 4; d < 6; d++)
                v = v * 16 + (unsigned)(p[d] <= '9' ? p[d] - '0' : (p[d] | 0x20) - 'a' + 10);
            buf[n++] = (char)v;
            p += 6;
        } else if (*p == '\\') {
            buf[n++] = p[1] == 'u' ? '?' : p[1];
            p += p[1] == 'u' ? 6 : 2;
        } else {
            buf[n++] = *p++;
        }
    }
    *len = n;
    return buf;
}

static int mask_whole(walk *w, uint32_t v, enum field_mask how);

/* An earlier duplicate of a member the walk reads: no parser may find it. */
static __attribute__((noinline)) void mask_duplicate(walk *w, uint32_t earlier)
{
    w->repeats++;
    w->scan.findings->count[MASKER_SHAPE]++;
    (void)!mask_whole(w, earlier, MASK_VALUE); /* out of memory: the sweep still scans it */
}

/* The value of member `name` (the last one, as JSON.parse keeps), or 0.
 * Token 0 is the tape's placeholder, so 0 never names a real value. */
static uint32_t member(walk *w, uint32_t obj, const char *name)
{
    const json_tok *t = w->tape->tok;
    if (!obj || t[obj].kind != TOK_OBJ)
        return 0;
    uint32_t found = 0;
    size_t n = strlen(name);
    for (uint32_t i = obj + 1; i < t[obj].end; i = tok_after(t, i)) {
        if (!key_is(w, &t[i], name, n))
            continue;
        if (VEIL_UNLIKELY(found))
            mask_duplicate(w, found);
        found = i;
    }
    return found;
}

/*
 * The fields the walk reads from one kind of object, by the key the
 * tokenizer recognised: slot[k] is 1 + the index of rr_key k in the output
 * of members(), 0 for a key not read. AT() spells one entry.
 */
typedef struct {
    uint8_t slot[RR_KEY_COUNT];
} field_set;

#define AT(key, index) [key] = (index) + 1

static inline void take_member(walk *w, uint32_t *out, uint8_t slot, uint32_t i)
{
    uint32_t earlier = out[slot - 1];
    out[slot - 1] = i;
    if (VEIL_UNLIKELY(earlier))
        mask_duplicate(w, earlier);
}

/* The slot in `fields` of the member whose key k is written with escapes
 * ("t\u0065xt"), read decoded; 0 for none. */
static uint8_t escaped_key_slot(walk *w, const json_tok *k, const field_set *fields)
{
    for (int key = 1; key < RR_KEY_COUNT; key++)
        if (fields->slot[key] && key_is(w, k, rr_key_name(key), strlen(rr_key_name(key))))
            return fields->slot[key];
    return 0;
}

/*
 * Several members in one pass over the object: out[i] gets the value of the
 * field at index i (the last one, as member() does) or 0. The walk reads 2-12
 * fields per object; one pass with a table lookup per key is most of its
 * speed. Returns the set of fields found, bit i for out[i]. With `nests`,
 * whether a member is an object or an array; with `unread`, whether a member
 * is none of the fields.
 */
static inline __attribute__((always_inline)) uint32_t members_counted(walk *w, uint32_t obj,
                                                                      const field_set *fields,
                                                                      size_t n, uint32_t *out,
                                                                      bool *nests, bool *unread)
{
    const json_tok *t = w->tape->tok;
    uint32_t found = 0;
    for (size_t f = 0; f < n; f++) /* a loop: memset's call costs more for 2-8 slots */
        out[f] = 0;
    if (!obj || t[obj].kind != TOK_OBJ)
        return 0;
    const uint32_t end = t[obj].end; /* a local: stores to out[] could alias it */
    uint32_t seen = 0;
    bool other = false; /* a member that is none of the fields */
    for (uint32_t i = obj + 1; i < end; i = tok_after(t, i)) {
        uint8_t key = t[i].key;
        seen++;
        if (key != RR_KEY_OTHER) { /* recognised by the tokenizer */
            if (fields->slot[key]) {
                take_member(w, out, fields->slot[key], i);
                found |= 1u << (fields->slot[key] - 1);
            } else {
                other = true;
            }
        } else if (t[i].flags & TOK_F_KEY_ESCAPED) { /* "t\u0065xt" must not hide a field */
            uint8_t slot = escaped_key_slot(w, &t[i], fields);
            if (slot) {
                take_member(w, out, slot, i);
                found |= 1u << (slot - 1);
            } else {
                other = true;
            }
        } else {
            other = true;
        }
    }
    if (nests) /* each scalar value is one token: more tokens than members, a container */
        *nests = end - obj - 1 != seen;
    if (unread)
        *unread = other;
    return found;
}

static inline __attribute__((always_inline)) uint32_t
members(walk *w, uint32_t obj, const field_set *fields, size_t n, uint32_t *out)
{
    return members_counted(w, obj, fields, n, out, NULL, NULL);
}

/* members(), and whether a member it reads was written twice: JSON.parse
 * keeps the last, but which one the page meant cannot be known, so the
 * caller masks what the object says whole. */
static inline bool members_repeat(walk *w, uint32_t obj, const field_set *fields, size_t n,
                                  uint32_t *out)
{
    uint32_t repeats = w->repeats;
    members(w, obj, fields, n, out);
    return w->repeats != repeats;
}

static bool as_uint(const walk *w, uint32_t v, uint32_t *out)
{
    const json_tok *t = &w->tape->tok[v];
    if (!v || t->kind != TOK_NUM || !(t->flags & TOK_F_UINT))
        return false;
    *out = t->uint_value;
    return true;
}

static bool is_kind(const walk *w, uint32_t v, enum tok_kind kind)
{
    return v && w->tape->tok[v].kind == kind;
}

/* ---- masking values ------------------------------------------------------ */

/* Marks token v as handled; false when it already was. */
/*
 * What the tagName value `tag` names (enum form_tag), as the tokenizer noted
 * it. It notes it only under the key it recognises: under an escaped key
 * ("t\u0061gName") the element is taken for an input, so its value is masked.
 */
static uint8_t tag_form(const walk *w, uint32_t tag)
{
    if (!is_kind(w, tag, TOK_STR))
        return FORM_NONE;
    const json_tok *t = &w->tape->tok[tag];
    return t->flags & TOK_F_KEY_ESCAPED ? FORM_INPUT : t->form;
}

static bool mark(walk *w, uint32_t v)
{
    json_tok *t = &w->tape->tok[v];
    if (t->flags & TOK_F_VISITED)
        return false;
    t->flags |= TOK_F_VISITED;
    return true;
}

/* Masks value v (a string or number; inside an array or object, all of
 * them): what a field holds is masked whatever shape it was sent in. */
static int mask_whole(walk *w, uint32_t v, enum field_mask how)
{
    const json_tok *t = w->tape->tok;
    if (!v || !mark(w, v))
        return VEIL_OK;
    if (t[v].kind == TOK_STR || t[v].kind == TOK_NUM) {
        w->tape->tok[v].flags |= TOK_F_MASKED;
        return detect_mask_field(&w->scan, &t[v], how);
    }
    int err = VEIL_OK;
    if (t[v].kind <= TOK_ARR)
        for (uint32_t k = v + 1; k < t[v].end && !err; k = tok_after(t, k))
            err = mask_whole(w, k, how == MASK_FIXED ? MASK_VALUE : how);
    return err;
}

/* What a masked value was, for the session's memory of typed cards. */
enum typed_value {
    NOT_TYPED,     /* page text under a masked element */
    TYPED,         /* a field's value: a card typed into it is noted */
    TYPED_AS_CARD, /* a card field's: the card is counted, every number noted */
};

/* Whether string t may hold as many digits as a card's echo shows: one
 * with escapes or other scripts may. */
static bool may_echo_a_card(const walk *w, const json_tok *t)
{
    if (t->kind != TOK_STR || !(t->flags & TOK_F_CANDIDATE))
        return false;
    if ((t->flags & (TOK_F_ESCAPED | TOK_F_ASCII)) != TOK_F_ASCII)
        return true;
    const char *s = w->scan.json + t->start;
    for (size_t k = 0, digits = 0; k < t->len; k++)
        if ((digits += (unsigned)(s[k] - '0') < 10) == CARD_ECHO_MIN)
            return true;
    return false;
}

/*
 * Masks value v, first reading what was typed for the session's memory of
 * card digits (note_typed_card()): the page may show the card elsewhere
 * while it is typed, in a live picture or a preview, before it is whole.
 * Any field counts, not only a card field: a card typed into a field with
 * no name is still a card, and its echo holds its digits.
 */
static int mask_value(walk *w, uint32_t v, enum field_mask how, enum typed_value typed)
{
    const json_tok *t = &w->tape->tok[v];
    if (typed == TYPED && v && !may_echo_a_card(w, t))
        typed = NOT_TYPED;
    if (v && typed != NOT_TYPED && t->kind == TOK_STR && !(t->flags & TOK_F_VISITED)) {
        masker_findings *findings = w->scan.findings, uncounted = {0};
        if (typed == TYPED) /* the value is counted as a field: not twice */
            w->scan.findings = &uncounted;
        w->scan.in_card_field = typed == TYPED_AS_CARD;
        w->scan.dry_run = true;
        int err = detect_scan_string(&w->scan, t, SCAN_TYPED);
        w->scan.in_card_field = w->scan.dry_run = false;
        w->scan.findings = findings;
        if (err)
            return err;
    }
    return mask_whole(w, v, how);
}

/* The most items a list where rrweb writes a string may hold to be read as
 * one text: a long item takes two parts (read_list_as_text()). */
enum { LIST_TEXT_ITEMS = TEXT_PARTS_MOST / 2 };

/* Whether v, where rrweb writes a string, is a shape the patterns cannot
 * read as one text: an object, or an array of anything but up to
 * LIST_TEXT_ITEMS strings ([[4111, 1111], [1111, 1111]], [4111, 1111, ...]).
 * rrweb writes neither: masked whole. */
static inline bool nested_where_string_belongs(const walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    if (VEIL_LIKELY(!v || t[v].kind > TOK_ARR))
        return false;
    if (t[v].kind == TOK_OBJ || t[v].end - v - 1 > LIST_TEXT_ITEMS)
        return true;
    for (uint32_t k = v + 1; k < t[v].end; k++)
        if (t[k].kind != TOK_STR)
            return true;
    return false;
}

static int mask_nested(walk *w, uint32_t v, enum field_mask how)
{
    w->scan.findings->count[MASKER_SHAPE]++;
    return mask_whole(w, v, how);
}

/*
 * The strings of `list`, where rrweb writes one string (a site's own glue
 * may send a widget's boxes, ["4111", "1111", ...], or a digit an item),
 * read as one text for a card or a phone spread over them, as text split
 * over nodes is: a long item joins its neighbours by its ends. Each item
 * is still read alone afterwards, by the sweep or as typed. A list that
 * nested_where_string_belongs() is the caller's to mask whole.
 */
static int read_list_as_text(walk *w, uint32_t list)
{
    const json_tok *t = w->tape->tok;
    text_part parts[TEXT_PARTS_MOST];
    size_t n = 0;
    bool phones = !w->s->policy.record_pii;
    int err = VEIL_OK;
    if (!is_kind(w, list, TOK_ARR) || nested_where_string_belongs(w, list))
        return VEIL_OK;
    for (uint32_t k = list + 1; k < t[list].end && !err; k++) {
        if (t[k].len <= TEXT_PART_MOST) {
            parts[n++] = (text_part){&t[k], TEXT_PART_WHOLE};
            continue;
        }
        parts[n++] = (text_part){&t[k], TEXT_PART_HEAD}; /* a long item ends one reading */
        err = n >= 2 ? detect_split_numbers(&w->scan, parts, n, true, phones, NULL) : VEIL_OK;
        parts[0] = (text_part){&t[k], TEXT_PART_TAIL}; /* and starts the next */
        n = 1;
    }
    return !err && n >= 2 ? detect_split_numbers(&w->scan, parts, n, true, phones, NULL) : err;
}

/* A value the visitor typed and the policy keeps: scanned as typed (a
 * list's items read as one text first). */
static int scan_typed(walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    if (!v || (t[v].flags & TOK_F_VISITED))
        return VEIL_OK;
    int err = read_list_as_text(w, v);
    if (err || !mark(w, v))
        return err;
    if (t[v].kind == TOK_STR || t[v].kind == TOK_NUM)
        return detect_scan_string(&w->scan, &t[v], SCAN_TYPED);
    if (t[v].kind <= TOK_ARR)
        for (uint32_t k = v + 1; k < t[v].end && !err; k = tok_after(t, k))
            err = scan_typed(w, k);
    return err;
}

/* Masks whole each attribute value of attrs that nested_where_string_belongs();
 * reads any other list as one text (read_list_as_text()). */
static int mask_nested_attributes(walk *w, uint32_t attrs)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    if (!attrs || t[attrs].kind != TOK_OBJ)
        return VEIL_OK;
    for (uint32_t i = attrs + 1; i < t[attrs].end && !err; i = tok_after(t, i))
        if (VEIL_UNLIKELY(t[i].kind <= TOK_ARR))
            err = nested_where_string_belongs(w, i) ? mask_nested(w, i, MASK_VALUE)
                                                    : read_list_as_text(w, i);
    return err;
}

/* ---- attributes ---------------------------------------------------------- */

/* The attributes the walk itself reads, found in one pass per element. */
enum {
    A_TYPE,
    A_RR_PASSWORD,
    A_SENSITIVE,
    A_AUTOCOMPLETE,
    A_NAME,
    A_ID,
    A_EDITABLE,
    A_STYLE,
    A_FOR,
    A_ARIA_LABEL,
    A_PLACEHOLDER,
    A_VALUE,
    A_CLASS,
    A_COUNT
};
static const field_set ATTR_FIELDS = {{
    AT(RR_KEY_TYPE, A_TYPE),
    AT(RR_KEY_RR_IS_PASSWORD, A_RR_PASSWORD),
    AT(RR_KEY_VEIL_SENSITIVE, A_SENSITIVE),
    AT(RR_KEY_AUTOCOMPLETE, A_AUTOCOMPLETE),
    AT(RR_KEY_NAME, A_NAME),
    AT(RR_KEY_ID, A_ID),
    AT(RR_KEY_CONTENTEDITABLE, A_EDITABLE),
    AT(RR_KEY_STYLE, A_STYLE),
    AT(RR_KEY_FOR, A_FOR),
    AT(RR_KEY_ARIA_LABEL, A_ARIA_LABEL),
    AT(RR_KEY_PLACEHOLDER, A_PLACEHOLDER),
    AT(RR_KEY_VALUE, A_VALUE),
    AT(RR_KEY_CLASS, A_CLASS),
}};

typedef struct {
    uint32_t attrs;
    uint32_t known[A_COUNT];
    uint32_t present; /* bit i: known[i] is set */
    bool repeated;    /* one of them is written twice */
    bool nests;       /* a value is an object or an array (mask_nested_attributes()) */
} attr_reader;

static void attr_reader_init(attr_reader *r, walk *w, uint32_t attrs)
{
    r->attrs = attrs;
    uint32_t repeats = w->repeats;
    r->nests = false;
    r->present = members_counted(w, attrs, &ATTR_FIELDS, A_COUNT, r->known, &r->nests, NULL);
    r->repeated = w->repeats != repeats;
}

/* An attribute's raw value, "" for a non-string value, NULL when absent
 * (or null or false: removed). */
static const char *attr_value(const walk *w, uint32_t v, size_t *len)
{
    const json_tok *t = &w->tape->tok[v];
    if (!v || t->kind == TOK_NULL || t->kind == TOK_FALSE)
        return NULL;
    if (t->kind != TOK_STR) {
        *len = 0;
        return "";
    }
    *len = t->len;
    return w->scan.json + t->start;
}

static const char *known_attr(const walk *w, const attr_reader *r, int which, size_t *len)
{
    return attr_value(w, r->known[which], len);
}

/* HTML's ASCII whitespace: what separates an attribute's tokens. A raw
 * JSON string holds none but the space: the others come from a value read
 * decoded ("username\ncurrent-password" from markup across two lines). */
static inline bool html_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

/* Whether the space-separated list v holds a token that starts with `prefix`
 * (exact: the whole token). */
static bool has_token(const char *v, size_t len, const char *want, bool prefix)
{
    size_t n = strlen(want);
    for (size_t i = 0; i < len;) {
        while (i < len && html_blank(v[i]))
            i++;
        size_t s = i;
        while (i < len && !html_blank(v[i]))
            i++;
        size_t tok = i - s;
        if (tok >= n && (prefix || tok == n) && ascii_word_is(v + s, n, want))
            return true;
    }
    return false;
}

/* autocomplete tokens: cc-* is a card field; a password or one-time code a secret. */
static bool autocomplete_card(const char *v, size_t len)
{
    return has_token(v, len, "cc-", true);
}

static bool autocomplete_secret(const char *v, size_t len)
{
    return has_token(v, len, "current-password", false) ||
           has_token(v, len, "new-password", false) || has_token(v, len, "one-time-code", false);
}

/* Whether the property name that ends at its last letter, v[y], is
 * text-security set to anything but none. */
static bool text_security_at(const char *v, size_t len, size_t y)
{
    static const char prop[] = "text-security";
    const size_t n = sizeof prop - 1;
    if (y + 1 < n || !ascii_word_is(v + y + 1 - n, n, prop))
        return false;
    size_t k = y + 1;
    while (k < len && (html_blank(v[k]) || v[k] == ':'))
        k++;
    return !(k + 4 <= len && ascii_word_is(v + k, 4, "none"));
}

/* A style or stylesheet that draws a value as discs ("-webkit-text-security:
 * disc"), or names that property (a declaration set through the CSSOM).
 * Sheets are long: the search goes from one 'y' (rare in CSS) to the next. */
static bool text_security(const char *v, size_t len)
{
    for (const char *y = "yY"; *y; y++)
        for (const char *p = v; (p = memchr(p, *y, len - (size_t)(p - v))) != NULL; p++)
            if (text_security_at(v, len, (size_t)(p - v)))
                return true;
    return false;
}

/* Whether v is `want`, in any case, with blanks around it. */
static bool trimmed_word_is(const char *v, size_t len, const char *want)
{
    while (len && html_blank(*v))
        v++, len--;
    while (len && html_blank(v[len - 1]))
        len--;
    return ascii_word_is(v, len, want);
}

/* A browser draws type="password " as text: its author meant a password. */
static bool password_type(const char *v, size_t len)
{
    return trimmed_word_is(v, len, "password");
}

/*
 * A style changed through the CSSOM: rrweb writes it as an object of the
 * properties that changed, each a value, a [value, priority] pair or false
 * (removed). Whether one of them is text-security set to anything but none.
 */
static bool text_security_changed(const walk *w, uint32_t style)
{
    const json_tok *t = w->tape->tok;
    for (uint32_t k = style + 1; k < t[style].end; k = tok_after(t, k)) {
        char buf[64];
        size_t n;
        const char *name = key_name(w, &t[k], buf, sizeof buf, &n);
        if (t[k].kind == TOK_FALSE || t[k].kind == TOK_NULL || !n ||
            !text_security_at(name, n, n - 1))
            continue;
        uint32_t v = t[k].kind == TOK_ARR && t[k].end > k + 1 ? k + 1 : k;
        if (t[v].kind != TOK_STR || !trimmed_word_is(w->scan.json + t[v].start, t[v].len, "none"))
            return true; /* (a value it cannot read hides typing: fail closed) */
    }
    return false;
}

/*
 * Whether attribute `which` passes `test`, read as a browser reads it:
 * decoded when the JSON writes it with escapes ("pass\u0077ord",
 * "username\ncurrent-password"). The tests ask whether to mask more, so a
 * value that cannot be decoded passes.
 */
static bool attr_reads(const walk *w, const attr_reader *r, int which,
                       bool (*test)(const char *v, size_t len))
{
    size_t len;
    const char *v = known_attr(w, r, which, &len);
    const json_tok *t = &w->tape->tok[r->known[which]];
    if (!v || t->kind != TOK_STR || !(t->flags & TOK_F_ESCAPED))
        return v && test(v, len);
    text_view tv;
    if (text_view_of(w->scan.scratch, w->scan.json, t, &tv))
        return true;
    bool passes = test((const char *)tv.s, tv.n);
    text_view_done(w->scan.scratch, &tv);
    return passes;
}

/* Flags from the attributes the walk knows by name. */
static uint8_t attr_flags(const walk *w, const attr_reader *r)
{
    uint8_t f = 0;
    size_t len;
    const char *v;
    if (attr_reads(w, r, A_TYPE, password_type) || known_attr(w, r, A_RR_PASSWORD, &len) ||
        attr_reads(w, r, A_AUTOCOMPLETE, autocomplete_secret) ||
        attr_reads(w, r, A_STYLE, text_security))
        f |= NF_PASSWORD;
    if (known_attr(w, r, A_SENSITIVE, &len))
        f |= NF_SENSITIVE;
    if (attr_reads(w, r, A_AUTOCOMPLETE, autocomplete_card))
        f |= NF_CARD;
    if (VEIL_UNLIKELY(r->nests) && is_kind(w, r->known[A_STYLE], TOK_OBJ) &&
        text_security_changed(w, r->known[A_STYLE]))
        f |= NF_PASSWORD;
    const json_tok *t = w->tape->tok;
    if ((t[r->known[A_NAME]].flags | t[r->known[A_ID]].flags | t[r->known[A_ARIA_LABEL]].flags |
         t[r->known[A_PLACEHOLDER]].flags) &
        TOK_F_CARD_NAME)
        f |= NF_CARD;
    if ((v = known_attr(w, r, A_EDITABLE, &len)) && !ascii_word_is(v, len, "false"))
        f |= NF_INPUT | NF_HOLDER;
    if ((v = known_attr(w, r, A_ID, &len)))
        f |= label_target_flags(w->s, v, len); /* what a <label for> named it */
    return f;
}

/* Flags from the tag: form fields hold values a visitor types. */
static uint8_t tag_flags(const walk *w, uint8_t form, const attr_reader *r)
{
    if (form == FORM_TEXTAREA || form == FORM_SELECT)
        return NF_INPUT | NF_HOLDER;
    if (form != FORM_INPUT)
        return 0;
    static const char *const not_typed[] = {"submit", "button",   "reset",
                                            "image",  "checkbox", "radio"};
    size_t len;
    const char *v = known_attr(w, r, A_TYPE, &len);
    for (size_t i = 0; v && i < sizeof not_typed / sizeof not_typed[0]; i++)
        if (ascii_word_is(v, len, not_typed[i]))
            return 0;
    return NF_INPUT;
}

/* A word and its length, for the short lists of names below. */
typedef struct {
    const char *s;
    uint8_t n;
} word;
#define WORD(text)                                                                                 \
    {                                                                                              \
        text, sizeof text - 1                                                                      \
    }

static bool in_words(const word *list, size_t count, const char *name, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (list[i].n == n && ascii_word_is(name, n, list[i].s))
            return true;
    return false;
}

/* Attributes that say how a node looks or where it is, not what it says:
 * kept under a sensitive element. Anything else is masked there. */
static bool structural_attribute(const char *name, size_t n)
{
    static const word keep[] = {WORD("class"),
                                WORD("id"),
                                WORD("style"),
                                WORD("type"),
                                WORD("role"),
                                WORD("tabindex"),
                                WORD("dir"),
                                WORD("lang"),
                                WORD("hidden"),
                                WORD("disabled"),
                                WORD("readonly"),
                                WORD("required"),
                                WORD("multiple"),
                                WORD("width"),
                                WORD("height"),
                                WORD("colspan"),
                                WORD("rowspan"),
                                WORD("for"),
                                WORD("name"),
                                WORD("autocomplete"),
                                WORD("contenteditable"),
                                WORD("inputmode"),
                                WORD("maxlength"),
                                WORD("minlength"),
                                WORD("size"),
                                WORD("rows"),
                                WORD("cols"),
                                WORD("src"),
                                WORD("srcset"),
                                WORD("rel"),
                                WORD("target"),
                                WORD("media"),
                                WORD("sizes"),
                                WORD("xmlns"),
                                WORD("viewbox"),
                                WORD("d"),
                                WORD("fill"),
                                WORD("stroke"),
                                WORD("stroke-width"),
                                WORD("transform"),
                                WORD("points"),
                                WORD("cx"),
                                WORD("cy"),
                                WORD("r"),
                                WORD("rx"),
                                WORD("ry"),
                                WORD("x"),
                                WORD("y"),
                                WORD("x1"),
                                WORD("y1"),
                                WORD("x2"),
                                WORD("y2"),
                                WORD("opacity"),
                                WORD("data-veil-sensitive"),
                                WORD("data-rr-is-password"),
                                WORD("value") /* masked as the field's value */};
    if (n > 3 && !memcmp(name, "rr_", 3)) /* rrweb's own: sizes, scroll, media state */
        return !(n == 10 && !memcmp(name, "rr_dataURL", 10)); /* but a canvas's picture */
    return in_words(keep, sizeof keep / sizeof keep[0], name, n);
}

/* What a label's text says a field takes: NF_CARD ("Card number",
 * "Security code"), NF_PASSWORD ("Password", "PIN", "One-time code"),
 * NF_PII ("Email", "Phone": its keystrokes come before there is an
 * address or a number for the patterns to find) or 0. */
static uint8_t label_text_flags(const char *text, size_t n)
{
    return card_label_like(text, n)                              ? NF_CARD
           : secret_name_like(text, n) || id_label_like(text, n) ? NF_PASSWORD
           : pii_label_like(text, n)                             ? NF_PII
                                                                 : 0;
}

/* What text that merely stands before a field says it takes: a card or a
 * secret, not an email or a phone, which a page names too often near a
 * field that takes neither ("Call us by phone or email." before a search
 * box, "iPhone 15 Phone Case" before a quantity). */
static uint8_t text_before_flags(const char *text, size_t n)
{
    return label_text_flags(text, n) & (uint8_t)~NF_PII;
}

/* The index of the first token on list l (in tape order) after token k. */
static size_t first_listed_after(const tok_list *l, uint32_t k)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid] <= k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * NF_SENSITIVE when attrs holds another recorder's privacy marker that the
 * tokenizer listed: a class list with rr-mask or fs-exclude
 * (privacy_class()), data-private, data-hj-suppress... (privacy_attribute()).
 * Any value marks but a removed attribute's, and data-dd-privacy's "allow".
 * A class list under an escaped key ("cl\u0061ss") is listed unread: read here.
 */
static __attribute__((noinline)) uint8_t privacy_flags(const walk *w, uint32_t attrs)
{
    const tok_list *marks = &w->tape->privacy_marks;
    const json_tok *t = w->tape->tok;
    if (!is_kind(w, attrs, TOK_OBJ))
        return 0;
    for (size_t k = first_listed_after(marks, attrs); k < marks->n && marks->v[k] < t[attrs].end;
         k++) {
        const json_tok *v = &t[marks->v[k]];
        if (v->kind == TOK_NULL || v->kind == TOK_FALSE)
            continue;
        if (v->key != RR_KEY_CLASS && v->kind == TOK_STR) {
            char buf[64];
            size_t n;
            const char *name = key_name(w, v, buf, sizeof buf, &n);
            if (ascii_word_is(name, n, "class")
                    ? !privacy_class_token(w->scan.scratch, w->scan.json, v)
                    : ascii_word_is(name, n, "data-dd-privacy") &&
                          trimmed_word_is(w->scan.json + v->start, v->len, "allow"))
                continue;
        }
        return NF_SENSITIVE;
    }
    return 0;
}

/*
 * What the attributes in attrs that the tokenizer listed as possible hints
 * say a form field takes: a title read as a label ("Security code",
 * "Password"), a payment library's field name (data-stripe="cvc",
 * data-encrypted-name="number"), the name a framework or a test knows it by
 * (formcontrolname="cvc", data-testid="password-input").
 */
static __attribute__((noinline)) uint8_t hinted_flags(const walk *w, uint32_t attrs)
{
    const tok_list *hints = &w->tape->field_hints;
    const json_tok *t = w->tape->tok;
    if (!is_kind(w, attrs, TOK_OBJ))
        return 0;
    uint8_t f = 0;
    for (size_t lo = first_listed_after(hints, attrs); lo < hints->n && hints->v[lo] < t[attrs].end;
         lo++) {
        const json_tok *v = &t[hints->v[lo]];
        char buf[64];
        size_t n;
        if (v->kind != TOK_STR)
            continue;
        const char *name = key_name(w, v, buf, sizeof buf, &n);
        const char *value = w->scan.json + v->start;
        switch (field_hint_of(name, n)) {
        case HINT_TITLE:
            f |= label_text_flags(value, v->len);
            break;
        case HINT_PAYMENT:
            f |= card_attribute_like(value, v->len) ? NF_CARD : 0;
            break;
        case HINT_BINDING:
            f |= card_like(value, v->len)          ? NF_CARD
                 : secret_name_like(value, v->len) ? NF_PASSWORD
                                                   : 0;
            break;
        case HINT_NONE:
            break;
        }
    }
    return f;
}

/* What a form field's own labels say it takes beyond what attr_flags() read
 * (a card named by aria-label or placeholder): a secret they name, and its
 * hints (hinted_flags()). */
static uint8_t own_label_flags(const walk *w, const attr_reader *r)
{
    static const int labels[] = {A_ARIA_LABEL, A_PLACEHOLDER};
    uint8_t f = w->tape->field_hints.n ? hinted_flags(w, r->attrs) : 0;
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        size_t len;
        const char *v = known_attr(w, r, labels[k], &len);
        if (v && (secret_name_like(v, len) || id_label_like(v, len)))
            f |= NF_PASSWORD;
        else if (v && pii_label_like(v, len))
            f |= NF_PII;
    }
    return f;
}

/* A link's target that stays under a sensitive element: a fragment ("#icon",
 * as an SVG <use> draws an icon from); "/users/jane-doe" does not. */
static bool fragment_link(const walk *w, const json_tok *v, const char *name, size_t n)
{
    return (ascii_word_is(name, n, "href") || ascii_word_is(name, n, "xlink:href")) &&
           v->kind == TOK_STR && v->len > 0 && w->scan.json[v->start] == '#';
}

/* An image drawn from the attribute itself ("src": "data:image/png;base64,...",
 * a 2FA setup page's QR code, a signature pad's picture): what it shows is
 * content, not where to fetch it. */
static bool inline_picture(const walk *w, const json_tok *v, const char *name, size_t n)
{
    if (!(ascii_word_is(name, n, "src") || ascii_word_is(name, n, "srcset")) || v->kind != TOK_STR)
        return false;
    const char *url = w->scan.json + v->start, *end = url + v->len;
    for (;;) /* the blanks a URL parser strips, raw or escaped ("\n data:") */
        if (url < end && *url == ' ')
            url++;
        else if (end - url >= 2 && *url == '\\' && strchr("tnrf", url[1]))
            url += 2;
        else
            break;
    return end - url >= 5 && !strncasecmp(url, "data:", 5);
}

/* The checked or selected state of a field (a boolean, or "" when a page
 * sets the attribute): under a sensitive element, the answer it gives. */
static int mask_state(walk *w, uint32_t v)
{
    return mark(w, v) ? detect_mask_to_null(&w->scan, &w->tape->tok[v]) : VEIL_OK;
}

/* Whether string v, read decoded ("blob:https:\/\/..." is the URL
 * "blob:https://..."), is a picture URL a sensitive element showed; with
 * `note`, it is one from now on. A URL that cannot be decoded is none. */
static bool sensitive_url(walk *w, uint32_t v, bool note)
{
    text_view url;
    if (text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[v], &url))
        return false;
    bool known = sensitive_url_known(w->s, url.s, url.n);
    if (note && !known)
        sensitive_url_add(w->s, url.s, url.n);
    text_view_done(w->scan.scratch, &url);
    return known;
}

/* Everything a sensitive element carries beside its value: title, alt,
 * aria-*, placeholder, data-*, a link's target, a picture held in its src,
 * a box's checked state and the rest of what is not structural. */
static int mask_descriptive_attributes(walk *w, uint32_t attrs)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    if (!is_kind(w, attrs, TOK_OBJ))
        return mask_whole(w, attrs, MASK_VALUE);
    for (uint32_t i = attrs + 1; i < t[attrs].end && !err; i = tok_after(t, i)) {
        char buf[64];
        size_t n;
        const char *name = key_name(w, &t[i], buf, sizeof buf, &n);
        if (ascii_word_is(name, n, "checked") || ascii_word_is(name, n, "selected"))
            err = mask_state(w, i);
        else if ((!structural_attribute(name, n) && !fragment_link(w, &t[i], name, n)) ||
                 inline_picture(w, &t[i], name, n))
            err = mask_whole(w, i, MASK_VALUE);
        else if (ascii_word_is(name, n, "src") && t[i].kind == TOK_STR)
            sensitive_url(w, i, true); /* it stays: what it shows may come as an asset */
    }
    return err;
}

/* ---- selectors --------------------------------------------------------------- */

/* The selector atoms an element meets, from `bits` (what it met before) and
 * the attributes in `attrs` (all of them, or what a mutation changed).
 * *unreadable: an attribute a selector reads holds neither a string nor
 * null (rrweb writes no other; "class": ["private"] may match). */
static uint64_t element_atoms(walk *w, uint32_t tag, uint32_t attrs, uint64_t bits,
                              bool *unreadable)
{
    const masker_site *site = w->s->site;
    const json_tok *t = w->tape->tok;
    if (is_kind(w, tag, TOK_STR))
        bits |= selector_atoms_of_tag(site, w->scan.json + t[tag].start, t[tag].len);
    if (!is_kind(w, attrs, TOK_OBJ))
        return bits;
    for (uint32_t i = attrs + 1; i < t[attrs].end; i = tok_after(t, i)) {
        char buf[64];
        size_t n, vlen = 0;
        const char *name = key_name(w, &t[i], buf, sizeof buf, &n);
        if (!selector_atoms_read(site, name, n))
            continue;
        *unreadable |= t[i].kind != TOK_STR && t[i].kind != TOK_NULL;
        const char *value = attr_value(w, i, &vlen);
        text_view v = {0};
        if (value && t[i].kind == TOK_STR && (t[i].flags & TOK_F_ESCAPED) &&
            !text_view_of(w->scan.scratch, w->scan.json, &t[i], &v)) {
            value = (const char *)v.s; /* "s\u0073n" must match [name=ssn] */
            vlen = v.n;
        }
        bits = selector_atoms_attr(site, bits, name, n, value, vlen);
        text_view_done(w->scan.scratch, &v);
    }
    return bits;
}

static uint8_t selector_flags(const walk *w, uint64_t atoms)
{
    return policy_selector_flags(&w->s->policy, atoms);
}

static bool pii_type(const char *v, size_t len)
{
    return trimmed_word_is(v, len, "email") || trimmed_word_is(v, len, "tel");
}

static bool autocomplete_pii(const char *v, size_t len)
{
    return has_token(v, len, "email", false) || has_token(v, len, "tel", true);
}

/*
 * An input for an email address or a phone number: by its type, its
 * autocomplete tokens, or its name or id. Its value is PII however it is
 * typed: the keystrokes of "jane@example" come before there is an address
 * for the pattern to find.
 */
static bool pii_field(const walk *w, const attr_reader *r)
{
    size_t len;
    const char *v;
    if (attr_reads(w, r, A_TYPE, pii_type) || attr_reads(w, r, A_AUTOCOMPLETE, autocomplete_pii))
        return true;
    return ((v = known_attr(w, r, A_NAME, &len)) && pii_name_like(v, len)) ||
           ((v = known_attr(w, r, A_ID, &len)) && pii_name_like(v, len));
}

/* A field named like a secret ("pin", "otp", "passwort", "security_answer")
 * or an identity number ("cpf", "codice_fiscale": value_name_like()): typed
 * in clear text, as one-time codes and PINs often are, its value is a
 * secret all the same. */
static bool secret_named_field(const walk *w, const attr_reader *r)
{
    size_t len;
    const char *v;
    return ((v = known_attr(w, r, A_NAME, &len)) && value_name_like(v, len)) ||
           ((v = known_attr(w, r, A_ID, &len)) && value_name_like(v, len)) ||
           attr_reads(w, r, A_CLASS, password_class) || /* "js-p\u0061sswd", a list of any length */
           ((v = known_attr(w, r, A_PLACEHOLDER, &len)) && password_placeholder(v, len));
}

/* Whether a custom element's name ends in a form field's noun, so that
 * the rest of it says which field: <app-password-input>, <app-cvv-field>,
 * <p-password> (two parts); not <app-auth-page>, which holds a form. */
static bool component_names_field(const char *tag, size_t n)
{
    static const char *const nouns[] = {"-input", "-field", "-textfield",
                                        "-box",   "-entry", "-control"};
    const char *dash = memchr(tag, '-', n);
    if (dash && !memchr(dash + 1, '-', n - (size_t)(dash + 1 - tag)))
        return true;
    for (size_t k = 0; k < sizeof nouns / sizeof nouns[0]; k++) {
        size_t len = strlen(nouns[k]);
        if (n > len && !strncasecmp(tag + n - len, nouns[k], len))
            return true;
    }
    return false;
}

/*
 * What names a component names the form field it wraps. Pages built of
 * components (Angular's <app-password-input formcontrolname="password">,
 * web components: <sl-input label="PIN">, <vaadin-password-field>) name
 * the component, not the <input> inside it, which often has no name at
 * all: the component's names and labels are read as a field's, with the
 * `label` web components take and, when it ends in a field's noun, its tag.
 */
static uint8_t component_flags(walk *w, uint32_t tag, const attr_reader *r)
{
    const json_tok *t = w->tape->tok;
    uint8_t f = own_label_flags(w, r) | (secret_named_field(w, r) ? NF_PASSWORD : 0);
    uint32_t label = member(w, r->attrs, "label");
    if (is_kind(w, label, TOK_STR))
        f |= label_text_flags(w->scan.json + t[label].start, t[label].len);
    const char *name = w->scan.json + t[tag].start;
    if (component_names_field(name, t[tag].len))
        f |= label_text_flags(name, t[tag].len);
    return f;
}

/* A <meta> named like a secret (`name="csrf-token"`, `"api-key"`): its
 * content is one, in the snapshot and when a script changes it. */
static bool secret_meta(const walk *w, uint32_t tag, const attr_reader *r)
{
    const json_tok *t = &w->tape->tok[tag];
    size_t len = 0;
    const char *name = known_attr(w, r, A_NAME, &len);
    return tag && t->kind == TOK_STR && t->len == 4 &&
           ascii_word_is(w->scan.json + t->start, 4, "meta") && name && secret_name_like(name, len);
}

/* The flags of a node after the attribute changes `attrs` (an attribute
 * mutation's object), from its `flags` and the selector atoms it met
 * (*atoms, updated). */
static uint8_t changed_flags(walk *w, uint32_t attrs, uint8_t flags, uint64_t *atoms)
{
    attr_reader r;
    attr_reader_init(&r, w, attrs);
    flags |= attr_flags(w, &r);
    if (VEIL_UNLIKELY(w->tape->privacy_marks.n))
        flags |= privacy_flags(w, attrs);
    /* a field renamed or labelled in place (one box reused by each step of a
     * sign-in: name="email", then name="otp") is what its new name says */
    if (flags & NF_INPUT) {
        flags |= own_label_flags(w, &r);
        if (pii_field(w, &r))
            flags |= NF_PII;
        if (secret_named_field(w, &r))
            flags |= NF_PASSWORD;
    }
    if (attrs && w->tape->tok[attrs].kind != TOK_OBJ) /* unreadable: it may set the marker */
        flags |= NF_SENSITIVE;
    if (w->selectors) {
        bool unreadable = false;
        *atoms = element_atoms(w, 0, attrs, *atoms, &unreadable);
        /* an allow selector allows only while it matches ("keep" removed
         * from the class list); what a mask selector gave stays */
        flags = (uint8_t)(flags & ~NF_ALLOW);
        flags |= selector_flags(w, *atoms) | (unreadable ? NF_SENSITIVE : 0);
    }
    return flags;
}

/* The flags of an element a mutation adds, after the changes the same
 * event's attribute list makes to it (a recorder may send both: flags are
 * final before what is added under it is masked). */
static uint8_t pending_changes(walk *w, uint32_t id, uint8_t flags, uint64_t *atoms)
{
    if (w->pending_overflow) /* more than it keeps: fail closed */
        return flags | NF_SENSITIVE;
    for (size_t i = 0; i < w->n_pending; i++)
        if (w->pending[i].id == id)
            flags = changed_flags(w, w->pending[i].attrs, flags, atoms);
    return flags;
}

/*
 * Flags from an element's tag (token `tag`, 0 when unknown) and attributes.
 * The tag's bytes are read only for selectors: the tokenizer already said
 * which form field it names, while those bytes were in cache.
 */
static uint8_t element_flags(walk *w, uint32_t tag, attr_reader *r, uint64_t *atoms)
{
    uint8_t f = tag_flags(w, tag_form(w, tag), r);
    /* most elements carry none of the attributes but these two */
    if (r->present & ~(1u << A_VALUE | 1u << A_CLASS)) {
        f |= attr_flags(w, r);
        if (!(f & NF_INPUT) && (r->present & 1u << A_NAME) && secret_meta(w, tag, r))
            f |= NF_SENSITIVE;
    }
    if (r->repeated) /* {"type":"password","type":"text"}: which one holds is unknowable */
        f |= NF_SENSITIVE;
    if (VEIL_UNLIKELY(w->tape->privacy_marks.n))
        f |= privacy_flags(w, r->attrs);
    if ((f & NF_INPUT) && pii_field(w, r))
        f |= NF_PII;
    if ((f & NF_INPUT) && secret_named_field(w, r))
        f |= NF_PASSWORD;
    *atoms = 0;
    if (!w->selectors)
        return f;
    bool unreadable = false;
    *atoms = element_atoms(w, tag, r->attrs, 0, &unreadable);
    return f | selector_flags(w, *atoms) | (unreadable ? NF_SENSITIVE : 0);
}

static bool allowed(const walk *w, uint8_t flags)
{
    return !w->s->styles_hide_typing && ((flags & NF_ALLOW) || w->s->policy.record_inputs);
}

/* The state children inherit from an element with these flags. */
static uint8_t inherit(const walk *w, uint8_t state, uint8_t flags)
{
    if (flags & (NF_SENSITIVE | NF_CARD | NF_PASSWORD))
        state |= IN_SENSITIVE;
    if (flags & NF_CARD)
        state |= IN_CARD;
    if (flags & NF_HOLDER)
        state |= allowed(w, flags) && !(flags & NF_SENSITIVE) ? IN_HOLDER_TYPED : IN_HOLDER_MASKED;
    return state;
}

static void forget_states(walk *w)
{
    memset(w->memo, 0, sizeof w->memo);
}

/*
 * What a child of `parent` inherits: the flags of parent and its ancestors,
 * folded from the root down, stopping early at a remembered ancestor. An
 * unknown ancestor fails closed, and such a result is never remembered (the
 * ancestor may be added later in the batch).
 */
static uint8_t state_above(walk *w, uint32_t parent)
{
    uint32_t chain_id[256];
    uint8_t chain_flags[256];
    int n = 0;
    uint32_t id = parent, up;
    uint8_t flags, state = 0;
    while (id) {
        const state_memo *m = &w->memo[id % MEMO_SLOTS];
        if (m->id == id) {
            state = m->state;
            break;
        }
        if (n == (int)sizeof chain_flags || !nodes_get(&w->s->nodes, id, &up, &flags))
            return IN_UNKNOWN | IN_SENSITIVE;
        chain_id[n] = id;
        chain_flags[n++] = flags;
        id = up;
    }
    while (n--) {
        state = inherit(w, state, chain_flags[n]);
        w->memo[chain_id[n] % MEMO_SLOTS] = (state_memo){chain_id[n], state};
    }
    return state;
}

/* nodes_set(), forgetting remembered states when a known node changed.
 * Returns the flags the node has now: `flags` and the sticky ones it kept.
 * An id the table cannot hold is forgotten: later events naming it are
 * masked as unknown, so a failure here fails closed. */
static uint8_t set_node(walk *w, uint32_t id, uint32_t parent, uint8_t flags, uint64_t atoms)
{
    bool changed;
    if (nodes_set(&w->s->nodes, id, parent, &flags, &changed))
        return flags;
    if (changed)
        forget_states(w);
    if (atoms || w->selectors)
        (void)!nodes_set_atoms(&w->s->nodes, id, atoms);
    return flags;
}

/* Masks or scans an element's value (attribute or input event text). */
static int element_value(walk *w, uint32_t v, uint8_t flags, uint8_t state)
{
    bool card = (flags & NF_CARD) || (state & IN_CARD);
    enum typed_value typed = card ? TYPED_AS_CARD : TYPED;
    if (flags & (NF_CARD | NF_PASSWORD))
        return mask_value(w, v, MASK_FIXED, typed);
    if ((flags & NF_SENSITIVE) || (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN)))
        return mask_value(w, v, MASK_VALUE, typed);
    if ((flags & NF_INPUT) && !allowed(w, flags))
        return mask_value(w, v, MASK_VALUE, TYPED);
    if ((flags & NF_PII) && !w->s->policy.record_pii)
        return mask_value(w, v, MASK_VALUE, TYPED);
    if ((flags & NF_INPUT) || (state & IN_HOLDER_TYPED))
        return scan_typed(w, v);
    return VEIL_OK; /* left to the pattern sweep */
}

/* Whether the text under `state` is a box's whose typing is recorded. */
static inline bool typed_text(uint8_t state)
{
    return (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN | IN_HOLDER_TYPED)) ==
           IN_HOLDER_TYPED;
}

/* Whether the text under `state` reads as the page's own, a label and the
 * value it tells: outside any field, in a box whose typing is recorded (a
 * note editor's "CVC: " then <b>737</b>), or inside a <label>. */
static inline bool page_text(uint8_t state)
{
    return !(state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN | IN_CARD));
}

/*
 * Text node value v of a box whose typing is recorded waits to be scanned
 * as typed until the chain it may join is read (scan_held_texts()):
 * scan_typed() masks in place the digits of a card being typed, and a card
 * pasted into a rich text editor that wraps part of it in a <span> would
 * no longer read as one across the box's text nodes. Called once v is on
 * the chain. When the list is full, v is scanned now.
 */
static __attribute__((cold)) int hold_typed_text(walk *w, uint32_t v)
{
    if (w->n_typed_later == TYPED_LATER)
        return scan_typed(w, v);
    w->typed_later[w->n_typed_later++] = v;
    return VEIL_OK;
}

static __attribute__((cold, noinline)) int scan_held_texts(walk *w)
{
    int err = VEIL_OK;
    for (size_t i = 0; i < w->n_typed_later && !err; i++)
        err = scan_typed(w, w->typed_later[i]);
    w->n_typed_later = 0;
    return err;
}

static int text_value(walk *w, uint32_t v, uint8_t state)
{
    if (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN))
        return mask_value(w, v, MASK_TEXT,
                          state & IN_CARD            ? TYPED_AS_CARD
                          : state & IN_HOLDER_MASKED ? TYPED /* a contenteditable box's */
                                                     : NOT_TYPED);
    if (state & IN_HOLDER_TYPED)
        return scan_typed(w, v);
    return VEIL_OK;
}

/* ---- cards split over text nodes ------------------------------------------ */

/* What the tokenizer noted of a part (TEXT_*). A short part it saw nothing
 * in ("", " ") joins its neighbours; under an escaped key it noted nothing
 * (see tag_form()), so anything is possible. A texts mutation's value is
 * read here: only a chain of two parts or more comes to it. */
static uint8_t part_text(const walk *w, const json_tok *t)
{
    if (t->flags & TOK_F_KEY_ESCAPED)
        return TEXT_ANYTHING;
    if (!(t->flags & TOK_F_CANDIDATE))
        return TEXT_OPEN_START | TEXT_OPEN_END;
    if (t->key != RR_KEY_TEXT_CONTENT)
        return text_digits((const unsigned char *)w->scan.json + t->start, t->len, t->flags);
    return t->text;
}

enum { SPLIT_CARD_DIGITS = 12, SPLIT_PHONE_DIGITS = 10 };

/* The most digits that parts of the chain that digits run across hold, in
 * two parts or more (0: none such): a card may be split over them from 12,
 * a phone number from 10. */
static size_t chain_digits(const walk *w)
{
    size_t most = 0;
    if (w->n_chain < 2)
        return 0;
    size_t digits = 0, with_digits = 0;
    bool open = false; /* the previous part's end */
    for (size_t i = 0; i < w->n_chain; i++) {
        uint8_t text = part_text(w, w->chain[i].tok);
        if (!open || !(text & TEXT_OPEN_START))
            digits = with_digits = 0;
        digits += text & TEXT_DIGITS;
        with_digits += (text & TEXT_DIGITS) != 0;
        if (with_digits >= 2 && digits > most)
            most = digits;
        open = text & TEXT_OPEN_END;
    }
    return most;
}

/* Whether a part of the chain holds an '@'. */
static bool chain_has_at(const walk *w)
{
    for (size_t i = 0; i < w->n_chain; i++)
        if (part_text(w, w->chain[i].tok) & TEXT_AT)
            return true;
    return false;
}

/* Whether a part of the chain may begin an IBAN (json_tape.iban_texts). */
static __attribute__((noinline)) bool chain_iban_head(const walk *w)
{
    const tok_list *heads = &w->tape->iban_texts;
    for (size_t i = 0; i < w->n_chain; i++) {
        uint32_t v = (uint32_t)(w->chain[i].tok - w->tape->tok);
        size_t k = first_listed_after(heads, v);
        if (k > 0 && heads->v[k - 1] == v)
            return true;
    }
    return false;
}

/* Whether text t shows a piece of a number alone: digits, capitals (an
 * IBAN's bank code), separators and blanks between its groups, and the
 * stars that masked it; not a label's word ("Card: 6011"). */
static bool shows_number_alone(const walk *w, const json_tok *t)
{
    const char *s = w->scan.json + t->start, *end = s + t->len;
    for (size_t blank; s < end; s += blank ? blank : 1)
        if (!(blank = template_blank_at(s, end)) && !(*s >= '0' && *s <= '9') &&
            !(*s >= 'A' && *s <= 'Z') && !(*s && strchr("*-./()+", *s)))
            return false;
    return true;
}

/* Whether text node `node` showed a piece of a number masked across nodes
 * and nothing else (masker_session.number_texts). */
static __attribute__((noinline)) bool showed_a_number(const masker_session *s, uint32_t node)
{
    for (size_t k = 0; k < NUMBER_TEXTS_KEPT; k++)
        if (s->number_texts[k] == node)
            return true;
    return false;
}

/* The id of the node whose text is value v: the last "id" member of the
 * object v is in, a text node's or a texts mutation's entry ({"id": 4,
 * "value": ...}); 0 when it has none the tokenizer read as such. */
static uint32_t node_of_text(const walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    uint32_t obj = v, id_tok = 0, id;
    while (obj > 1 && v - obj < 16 && !(t[obj - 1].kind == TOK_OBJ && t[obj - 1].end > v))
        obj--;
    if (--obj == 0 || t[obj].kind != TOK_OBJ || t[obj].end <= v)
        return 0;
    for (uint32_t i = obj + 1; i < t[obj].end; i = tok_after(t, i))
        if (t[i].key == RR_KEY_ID)
            id_tok = i;
    return as_uint(w, id_tok, &id) ? id : 0;
}

/*
 * The text nodes of the chain that a number read across them was masked
 * in (bit p for part p), and that show nothing else, are kept: a page
 * redraws such spans in place with a texts mutation that names only the
 * nodes whose text changed (the next payee's IBAN at the same bank leaves
 * "NWBK 6016" as they were, which the masker no longer holds), and what it
 * writes there is masked whole (mutation_texts()). A text that also shows
 * words, or a long one joined by its ends, is left to its scans. A value
 * waiting for this chain that it masked is done (w->redrawn).
 */
static __attribute__((noinline)) void chain_masked_sticks(walk *w, uint64_t masked)
{
    masker_session *s = w->s;
    for (size_t p = 0; p < w->n_chain && p < 64; p++) {
        const text_part *part = &w->chain[p];
        uint32_t v = (uint32_t)(part->tok - w->tape->tok), node;
        if (!(masked >> p & 1))
            continue;
        for (size_t k = 0; k < w->n_redrawn; k++) /* read whole: no need to mask it so */
            if (w->redrawn[k] == v)
                w->redrawn[k] = 0;
        if (part->kind == TEXT_PART_WHOLE && shows_number_alone(w, part->tok) &&
            (node = node_of_text(w, v)) && !showed_a_number(s, node))
            s->number_texts[s->next_number_text++ % NUMBER_TEXTS_KEPT] = node;
    }
}

static int chain_read(walk *w)
{
    uint64_t masked = 0;
    int err = VEIL_OK;
    if (w->chain_emails) {
        if (w->n_chain >= 2 && chain_has_at(w))
            err = detect_split_emails(&w->scan, w->chain, w->n_chain, &masked);
    } else {
        size_t digits = chain_digits(w);
        bool cards = digits >= SPLIT_CARD_DIGITS || (VEIL_UNLIKELY(w->tape->iban_texts.n) &&
                                                     w->n_chain >= 2 && chain_iban_head(w));
        bool phones = digits >= SPLIT_PHONE_DIGITS && !w->s->policy.record_pii;
        if (cards || phones)
            err = detect_split_numbers(&w->scan, w->chain, w->n_chain, cards, phones, &masked);
    }
    if (VEIL_UNLIKELY(masked) && !err)
        chain_masked_sticks(w, masked);
    w->n_chain = 0;
    return err;
}

/* Reads the chain, then scans the texts that waited for it. */
static int chain_flush(walk *w)
{
    int err = chain_read(w);
    if (VEIL_UNLIKELY(w->n_typed_later) && !w->typed_held && !err)
        err = scan_held_texts(w);
    return err;
}

/* Whether a text node can join a card split over nodes: it holds a digit
 * (or something the tokenizer could not rule out), it is short enough to
 * be a separator (" ", " - "), or it shows blanks alone (a template's line
 * break and indentation between two spans, which the browser draws as one
 * space). Its bytes are not read here: out of cache by now, they cost more
 * than joining a part that turns out to be a word. */
static bool joinable_text(const json_tok *t)
{
    return (t->flags & TOK_F_CANDIDATE) || t->len <= 3 || tok_blank_text(t);
}

/*
 * Whether text node t, which joinable_text() turns away, is a group of
 * 1-4 capitals alone (maybe between a template's blanks) after the head of an IBAN in
 * the chain: a bank's code, "NWBK" of "GB29" "NWBK" "6016"..., holds no
 * digit to join by. Called only in a batch that holds such a head (its
 * bytes, out of cache by now, are read only there).
 */
static __attribute__((noinline)) bool iban_letters_join(const walk *w, const json_tok *t)
{
    if (!w->n_chain || t->len > 32)
        return false;
    const char *s = w->scan.json + t->start, *end = s + t->len;
    size_t capitals = 0, blank;
    bool after_blank = false; /* one group: a capital after a blank starts another */
    while (s < end) {
        if ((blank = template_blank_at(s, end))) { /* its line breaks escaped */
            after_blank = capitals > 0;
            s += blank;
            continue;
        }
        if (*s < 'A' || *s > 'Z' || after_blank)
            return false;
        capitals++;
        s++;
    }
    return capitals >= 1 && capitals <= 4 && chain_iban_head(w);
}

/* A text node read in document order, outside any masked field. Inlined
 * into walk_node(), which calls it for every text node of a snapshot. */
static inline __attribute__((always_inline)) int chain_text(walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    if (!is_kind(w, v, TOK_STR) || (t->flags & TOK_F_VISITED) ||
        !(joinable_text(t) || w->chain_emails || /* "jane.doe" <wbr> "@example.com" */
          (VEIL_UNLIKELY(w->tape->iban_texts.n) && iban_letters_join(w, t))))
        return chain_flush(w);
    int err = VEIL_OK;
    if (t->len > SHORT_PART && !tok_blank_text(t)) { /* a long text joins only by its ends */
        if (w->n_chain == CHAIN_PARTS)
            err = chain_flush(w);
        w->chain[w->n_chain++] = (text_part){t, TEXT_PART_HEAD};
        if (!err)
            err = chain_flush(w);
        w->chain[w->n_chain++] = (text_part){t, TEXT_PART_TAIL};
        return err;
    }
    if (w->n_chain == CHAIN_PARTS)
        err = chain_flush(w);
    w->chain[w->n_chain++] = (text_part){t, TEXT_PART_WHOLE};
    return err;
}

/* Entering or leaving an element (tag_form() `form`): anything but a
 * phrasing one (an inline element or a <label>) ends the chain. */
static int chain_element(walk *w, uint8_t form)
{
    if (form_inline(form))
        return VEIL_OK;
    w->flow++;
    return w->n_chain ? chain_flush(w) : VEIL_OK;
}

/* ---- entries of a mutation's adds ---------------------------------------------- */

/* Reads the entries of adds array `adds` into w->added, once per array. */
static void added_read(walk *w, uint32_t adds)
{
    const json_tok *t = w->tape->tok;
    static const field_set fields = {
        {AT(RR_KEY_PARENT_ID, 0), AT(RR_KEY_NODE, 1), AT(RR_KEY_NEXT_ID, 2)}};
    static const field_set node_id = {{AT(RR_KEY_ID, 0)}};
    if (w->added_of == adds)
        return;
    w->n_added = 0;
    w->added_of = adds;
    for (uint32_t k = adds + 1; k < t[adds].end; k = tok_after(t, k)) {
        uint32_t m[3], id_tok = 0;
        if (t[k].kind != TOK_OBJ || w->n_added == ADDS_IN_ORDER) /* (masked whole; not reached) */
            continue;
        members(w, k, &fields, 3, m);
        added_node *n = &w->added[w->n_added++];
        *n = (added_node){.node = m[1]};
        if (!as_uint(w, m[0], &n->parent))
            n->parent = UINT32_MAX;
        (void)as_uint(w, m[2], &n->next);
        if (t[m[1]].kind == TOK_OBJ)
            members(w, m[1], &node_id, 1, &id_tok);
        n->has_id = as_uint(w, id_tok, &n->id);
    }
}

static uint32_t enclosing_object(const walk *w, uint32_t i);

/* The adds array of the entry whose "node" member is node object `node`; 0
 * when it is not such a node, or stands past the entries added_read()
 * keeps (the tape is searched back at most that far). */
static uint32_t adds_of_entry(const walk *w, uint32_t node)
{
    enum { LOOK_BACK = ADDS_IN_ORDER * 64 };
    const json_tok *t = w->tape->tok;
    if (!node || t[node].key != RR_KEY_NODE)
        return 0;
    uint32_t entry = enclosing_object(w, node);
    if (w->added_of && entry > w->added_of && entry < t[w->added_of].end)
        return w->added_of; /* the array read last: labels come in groups */
    for (uint32_t k = entry; entry && k-- > 1 && entry - k < LOOK_BACK;)
        if ((t[k].kind == TOK_ARR || t[k].kind == TOK_OBJ) && t[k].end > entry)
            return t[k].kind == TOK_ARR && t[k].key == RR_KEY_ADDS ? k : 0;
    return 0;
}

/* The entry read last (added_read()) whose node is node object `node`, or
 * whose node has id `id` (node 0); NULL: none. */
static const added_node *added_entry(const walk *w, uint32_t node, uint32_t id)
{
    for (size_t k = 0; k < w->n_added; k++)
        if (node ? w->added[k].node == node : w->added[k].has_id && w->added[k].id == id)
            return &w->added[k];
    return NULL;
}

/* The entry added as the previous sibling of the node with id `next` under
 * `parent`, whatever their order in the list (rrweb lists new siblings
 * last first); NULL: none. */
static const added_node *added_before(const walk *w, uint32_t parent, uint32_t next)
{
    for (size_t k = 0; k < w->n_added; k++)
        if (w->added[k].parent == parent && w->added[k].next == next && w->added[k].has_id)
            return &w->added[k];
    return NULL;
}

/* ---- labels ------------------------------------------------------------------- */

/* Text of the subtree of node `node`, up to cap bytes (raw JSON bytes).
 * Text the walk masked says nothing (its stars are no "***" hint): it is
 * left out, and *masked (may be NULL) says some was there. */
static size_t subtree_text(walk *w, uint32_t node, char *out, size_t cap, size_t at, int depth,
                           bool *masked)
{
    enum { N_TEXT, N_KIDS, N_COUNT };
    static const field_set fields = {
        {AT(RR_KEY_TEXT_CONTENT, N_TEXT), AT(RR_KEY_CHILD_NODES, N_KIDS)}};
    uint32_t m[N_COUNT];
    members(w, node, &fields, N_COUNT, m);
    const json_tok *t = w->tape->tok;
    if (is_kind(w, m[N_TEXT], TOK_STR) && (t[m[N_TEXT]].flags & TOK_F_MASKED)) {
        if (masked)
            *masked = true;
    } else if (is_kind(w, m[N_TEXT], TOK_STR)) {
        size_t n = t[m[N_TEXT]].len < cap - at ? t[m[N_TEXT]].len : cap - at;
        memcpy(out + at, w->scan.json + t[m[N_TEXT]].start, n);
        at += n;
        if (at < cap)
            out[at++] = ' ';
    }
    if (is_kind(w, m[N_KIDS], TOK_ARR) && depth < 8)
        for (uint32_t k = m[N_KIDS] + 1; k < t[m[N_KIDS]].end && at < cap; k = tok_after(t, k))
            at = subtree_text(w, k, out, cap, at, depth + 1, masked);
    /* rrweb adds a subtree as one entry per node: its text is in the entries
     * under it, siblings last first */
    const added_node *e = w->n_added && depth < 8 ? added_entry(w, node, 0) : NULL;
    for (size_t k = w->n_added; e && e->has_id && k-- > 0 && at < cap;)
        if (w->added[k].parent == e->id)
            at = subtree_text(w, w->added[k].node, out, cap, at, depth + 1, masked);
    return at;
}

/* subtree_text() of node object `node` into out[0, cap), its entries
 * read first when it is an entry of a mutation's adds. */
static size_t node_text(walk *w, uint32_t node, char *out, size_t cap)
{
    uint32_t adds = adds_of_entry(w, node);
    if (adds)
        added_read(w, adds);
    return subtree_text(w, node, out, cap, 0, 0, NULL);
}

/* What the text of a <label> (or of an element aria-labelledby names) says
 * a field takes: see label_text_flags(). */
static __attribute__((noinline)) uint8_t label_flags(walk *w, uint32_t label)
{
    char text[256];
    return label_text_flags(text, node_text(w, label, text, sizeof text));
}

/* Whether string token t shows only blanks: a text node's value as the
 * tokenizer noted it (TOK_F_BLANK), unless stars replaced its bytes. */
static bool blank_value(const walk *w, const json_tok *t)
{
    if (t->key == RR_KEY_TEXT_CONTENT && t->kind == TOK_STR && !(t->flags & TOK_F_MASKED))
        return tok_blank_text(t);
    return blank_string(w->scan.json + t->start, t->len);
}

enum { LABEL_TEXT_MAX = 48 };

/* Whether text[0, n) is a hint that can stand between a label and what it
 * names: a sentence of advice ("Keep these codes somewhere safe.": at most
 * HINT_TEXT_MAX bytes of several words that end as a sentence does), a
 * remark in brackets ("(3 digits)", "(required)") or a required field's
 * "*". A label ends otherwise ("Member ID", "Password:"). */
enum { HINT_TEXT_MAX = 256 };
static bool hint_text(const char *text, size_t n)
{
    size_t from = 0;
    while (n &&
           (text[n - 1] == ' ' || (n >= 2 && text[n - 2] == '\\' && strchr("nrt", text[n - 1]))))
        n -= text[n - 1] == ' ' ? 1 : 2;
    while (from < n && text[from] == ' ')
        from++;
    if (from == n || n > HINT_TEXT_MAX)
        return false;
    return (n - from == 1 && text[from] == '*') || (text[from] == '(' && text[n - 1] == ')') ||
           ((text[n - 1] == '.' || text[n - 1] == '!' || text[n - 1] == ')') &&
            memchr(text + from, ' ', n - from));
}

/* Whether node object `node` is a form field (input, textarea, select). */
static bool field_node(walk *w, uint32_t node)
{
    uint32_t tag = member(w, node, "tagName");
    return is_kind(w, tag, TOK_STR) && form_field(tag_form(w, tag));
}

/* Whether the subtree of node object `node` holds a form field, in its
 * childNodes or in the entries added under it (read as subtree_text()),
 * among its first *budget nodes: past them it says no, and the text is read
 * as a label (masking more, never less). */
static bool subtree_has_field(walk *w, uint32_t node, int depth, int *budget)
{
    static const field_set fields = {{AT(RR_KEY_CHILD_NODES, 0)}};
    uint32_t kids;
    if (--*budget < 0 || depth > 8)
        return false;
    if (field_node(w, node))
        return true;
    members(w, node, &fields, 1, &kids);
    const json_tok *t = w->tape->tok;
    if (is_kind(w, kids, TOK_ARR))
        for (uint32_t k = kids + 1; k < t[kids].end; k = tok_after(t, k))
            if (subtree_has_field(w, k, depth + 1, budget))
                return true;
    const added_node *e = w->n_added ? added_entry(w, node, 0) : NULL;
    for (size_t k = 0; e && e->has_id && k < w->n_added; k++)
        if (w->added[k].parent == e->id &&
            subtree_has_field(w, w->added[k].node, depth + 1, budget))
            return true;
    return false;
}

/*
 * The text right before added entry e in the page, into text (cap bytes):
 * the sibling added before it (the entry naming it in nextId, past blank
 * text), or when it is the first child of a wrapper (a table cell, a div),
 * the wrapper's, up to three levels; nothing past a field, nor past a
 * wrapper that holds one. Returns its length; *read: whether some text or a
 * field stood there, *masked: whether the walk had masked text there (left
 * out of text: its stars are no hint).
 */
static size_t added_text_before(walk *w, const added_node *e, char *text, size_t cap, bool *read,
                                bool *masked, const added_node **where)
{
    const added_node *at = e; /* the node whose previous sibling is looked at */
    uint32_t next = e->id;
    for (int steps = 0, levels = 0; steps < 8 && levels < 3; steps++) {
        const added_node *before = added_before(w, at->parent, next);
        if (!before) { /* the first child: the text before is its parent's sibling's */
            if (!(at = added_entry(w, 0, at->parent)) || !at->has_id)
                break;
            next = at->id;
            levels++;
            continue;
        }
        int budget = 64;
        if ((*read = subtree_has_field(w, before->node, 0, &budget)))
            return 0; /* its text is that field's: <div>Code <input></div><div><input></div> */
        size_t n = subtree_text(w, before->node, text, cap, 0, 0, masked);
        if ((*read = *masked || !blank_string(text, n))) {
            *where = before;
            return n;
        }
        next = before->id;
    }
    return 0;
}

/*
 * flags_from_before() for a field rrweb added as an entry of its own, where
 * the tape's order is not the page's: what the <label> it was added into
 * says (for a contenteditable box too, whatever entries the walk read
 * between them), and what the text right before it in the page says
 * (added_text_before()), as a label's when a <label> holds it (an email's
 * or a phone's too, as w->label_before gives it in a snapshot). *read:
 * whether some text or a field stood there (else the tape's order is all
 * there is).
 */
static uint8_t added_form(walk *w, const added_node *e);
static uint8_t added_label_flags(walk *w, uint32_t node, uint8_t form, bool *read)
{
    added_read(w, w->adds);
    const added_node *e = added_entry(w, node, 0);
    if (!e || !e->has_id)
        return 0;
    uint8_t says = 0;
    const added_node *up = added_entry(w, 0, e->parent);
    uint32_t up_tag = up ? member(w, up->node, "tagName") : 0;
    if (is_kind(w, up_tag, TOK_STR) && tag_form(w, up_tag) == FORM_LABEL)
        says |= label_flags(w, up->node);
    if (!form_field(form)) /* a contenteditable box: the text before it is often the page's */
        return says;
    char text[HINT_TEXT_MAX + 2];
    bool masked = false;
    for (int hints = 0; e && e->has_id; hints++) { /* past one hint: "(3 digits)" */
        bool here = false;
        size_t n = added_text_before(w, e, text, sizeof text, &here, &masked, &e);
        *read |= here;
        uint8_t label = !n || n > LABEL_TEXT_MAX + 1 || masked ? 0
                        : added_form(w, e) == FORM_LABEL /* a <label> with no field inside */
                            ? label_text_flags(text, n)
                            : text_before_flags(text, n);
        if (label || masked || hints || !hint_text(text, n))
            return says | label;
    }
    return says;
}

/*
 * What the text right before a form field says it takes, as a sighted
 * visitor reads a label a form does not tie to its field (<div>Security
 * code</div><input>): the last text node before `node` on the tape that is
 * not blank, when it is short and no other field stands between them, read
 * as a label (for an input, textarea or select); or what a <label> with no
 * field inside said, once. A field added as an entry of its own is read in
 * page order (added_label_flags()), and on the tape only when nothing
 * stands before it there.
 */
static __attribute__((noinline)) uint8_t flags_from_before(walk *w, uint32_t node, uint8_t form)
{
    enum { LOOK_BACK = 64 };
    const json_tok *t = w->tape->tok;
    uint8_t says = w->label_before;
    w->label_before = 0;
    if (node == w->entry_node && w->adds) { /* in page order; the tape's only when that is silent */
        bool read = false;
        uint8_t added = added_label_flags(w, node, form, &read);
        if (read)
            return added;
        says |= added;
    }
    if (says || !form_field(form)) /* a contenteditable box: its text is often the page's */
        return says;
    for (uint32_t k = node, hints = 0; k-- > 1 && node - k < LOOK_BACK;) {
        if (t[k].key == RR_KEY_TAG_NAME && form_field(tag_form(w, k)))
            break; /* the text is that field's */
        if (t[k].key != RR_KEY_TEXT_CONTENT || t[k].kind != TOK_STR)
            continue;
        if (blank_value(w, &t[k]))
            continue;
        const char *text = w->scan.json + t[k].start;
        if (t[k].flags & TOK_F_MASKED) /* what it said is gone: its stars are no hint */
            return says;
        uint8_t label = t[k].len <= LABEL_TEXT_MAX ? text_before_flags(text, t[k].len) : 0;
        if (label || hints++ || !hint_text(text, t[k].len)) /* past one hint: "(3 digits)" */
            return label;
    }
    return says;
}

/* ---- secrets a page shows beside their label --------------------------------- */

/* The last text before text node value v on the tape that is not blank,
 * within 64 tokens and the adds entry being walked, not past a form field
 * (its text is the field's): 0 for none; *stop: something ended the look. */
static uint32_t text_before_on_tape(const walk *w, uint32_t v, bool *stop)
{
    enum { LOOK_BACK = 64 };
    const json_tok *t = w->tape->tok;
    uint32_t floor = w->adds ? w->entry_node : 0;
    for (uint32_t k = v; k-- > floor + 1 && v - k < LOOK_BACK;) {
        if (t[k].key == RR_KEY_TAG_NAME && form_field(tag_form(w, k))) {
            *stop = true;
            return 0;
        }
        if (t[k].key == RR_KEY_TEXT_CONTENT && t[k].kind == TOK_STR && !blank_value(w, &t[k]))
            return k;
    }
    return 0;
}

/* What the label text[0, n) says of the value a page shows after it, as
 * the flags that text node takes (0: nothing). NF_SENSITIVE when it names
 * a secret (secret_name_like(): "Password", "CVC", "PIN"), and for a code
 * of digits alone, a code (label_names_code(): "Verification code"). A
 * value drawn hidden in 5 `slots` or more, which a "Show" button may
 * reveal, is also what the label would make of a field
 * (label_text_flags()): a card's, an identity number's, or NF_PII for an
 * email's or a phone's ("Mobile ••••••••••"). */
static uint8_t label_names_shown(const char *text, size_t n, enum shown_secret shown, int slots)
{
    if (n > LABEL_TEXT_MAX)
        return 0;
    if (slots >= 5) {
        uint8_t says = label_text_flags(text, n);
        return says & NF_PII ? NF_PII : says ? NF_SENSITIVE : 0;
    }
    return secret_name_like(text, n) && (shown != SHOWN_CODE || label_names_code(text, n))
               ? NF_SENSITIVE
               : 0;
}

/* The node id of the node object that holds member token i, or 0. */
static uint32_t node_id_of(walk *w, uint32_t i)
{
    uint32_t id;
    return as_uint(w, member(w, enclosing_object(w, i), "id"), &id) ? id : 0;
}

/* Text[0, n) without the blanks subtree_text() ends it with. */
static size_t trimmed_length(const char *text, size_t n)
{
    while (n && text[n - 1] == ' ')
        n--;
    return n;
}

/*
 * shown_named() of adds entry `node`, a text rrweb added as an entry of its
 * own, read in page order (added_text_before()), past `hints` hints read
 * already: the label, a hint before it, and for a secret shown whole, the
 * secrets of its list before it, which rrweb lists after it (siblings last
 * first) and the walk has not read yet. *label: the node id of the added
 * element whose text said so.
 */
static uint8_t shown_named_added(walk *w, uint32_t node, enum shown_secret shown, int slots,
                                 bool whole, int hints, uint32_t *label)
{
    enum { LIST_MOST = 32 };
    added_read(w, w->adds);
    const added_node *e = added_entry(w, node, 0);
    char text[HINT_TEXT_MAX + 2];
    uint8_t says;
    for (int items = 0; e && e->has_id;) {
        bool read = false, masked = false;
        size_t n = added_text_before(w, e, text, sizeof text, &read, &masked, &e);
        if (!n && !masked)
            return 0;
        if (!masked && (says = label_names_shown(text, n, shown, slots))) {
            *label = e->id;
            return says;
        }
        if (whole && !slots && !masked && items < LIST_MOST &&
            detect_shown_secret(text, trimmed_length(text, n)) != SHOWN_NONE) {
            items++; /* a secret before it in the same list */
            continue;
        }
        if (hints++ || !(masked || hint_text(text, n)))
            return 0;
    }
    return 0;
}

/* What the text right before text node value v in the page says of what
 * v shows (label_names_shown()), or does after a sentence of advice
 * between them (hint_text(): a heading "Recovery codes", "Keep them
 * somewhere safe.", the codes) or a text the masker hid, or NF_SENSITIVE
 * when v goes on a list of secrets shown so; 0 when nothing names it.
 * *label: the node id of the text (or the added element) that said so. */
static uint8_t shown_named(walk *w, uint32_t node, uint32_t v, enum shown_secret shown, int slots,
                           bool whole, uint32_t *label)
{
    const json_tok *t = w->tape->tok;
    bool stop = false;
    uint32_t before = text_before_on_tape(w, v, &stop);
    *label = 0;
    if (before && before == w->shown_secret) { /* the next of a list */
        *label = node_id_of(w, before);
        return whole && !slots ? NF_SENSITIVE : 0;
    }
    int hints = 0; /* one at most */
    uint8_t says;
    for (; before; before = text_before_on_tape(w, before, &stop)) {
        const char *text = w->scan.json + t[before].start;
        bool masked = t[before].flags & TOK_F_MASKED; /* the site hid it: a hint at most */
        if (!masked && (says = label_names_shown(text, t[before].len, shown, slots))) {
            *label = node_id_of(w, before);
            return says;
        }
        if (hints++ || !(masked || hint_text(text, t[before].len)))
            return 0;
    }
    if (stop)
        return 0;
    /* an entry of a mutation's adds: read in page order for a credential,
     * bullets or a code of 6 digits or more; for one of 4 or 5 (a year, a
     * count) that costs more than it finds */
    if (node != w->entry_node || !w->adds ||
        !(shown == SHOWN_CREDENTIAL || slots || (part_text(w, &t[v]) & TEXT_DIGITS) >= 6))
        return 0;
    return shown_named_added(w, node, shown, slots, whole, hints, label);
}

static uint32_t attributes_before(const walk *w, uint32_t kids);

/* Element `id`, already walked, is sensitive from now on; false when it
 * is not known. Its parent into *up. */
static bool made_sensitive(walk *w, uint32_t id, uint32_t *up)
{
    uint8_t flags;
    if (!nodes_get(&w->s->nodes, id, up, &flags))
        return false;
    set_node(w, id, *up, flags | NF_SENSITIVE, nodes_get_atoms(&w->s->nodes, id));
    return true;
}

/* The parent of node `id`, as the session knows it or as the mutation
 * being walked adds it (an entry not walked yet); false: not known. */
static bool parent_known(walk *w, uint32_t id, uint32_t *up)
{
    uint8_t flags;
    if (nodes_get(&w->s->nodes, id, up, &flags))
        return true;
    const added_node *e = w->adds ? added_entry(w, 0, id) : NULL;
    *up = e ? e->parent : 0;
    return e != NULL;
}

/* The attributes object of element `id` when the mutation being walked
 * adds it as an entry of its own; 0: none. */
static uint32_t attributes_added(walk *w, uint32_t id)
{
    const added_node *e;
    if (!w->adds)
        return 0;
    added_read(w, w->adds);
    return (e = added_entry(w, 0, id)) ? member(w, e->node, "attributes") : 0;
}

/*
 * Where a page showed a secret, what it puts there later is one too: a
 * "Show" button that swaps the bullets' <span> for one that holds the
 * value, a list drawn again. The element that holds the secret's text
 * node (`parent`) and the one above it become sensitive (for `says`
 * NF_PII, unless the site records PII), but not one that also holds the
 * label (a row, a <dl>, a sentence's <p>), node `label` (0: not known, and
 * nothing is marked). What they carry is masked as a sensitive element's
 * is: the value kept for the reveal in a `data-value`, a `title`, on the
 * tape before the text or in an entry of the same adds.
 */
static int holders_of_shown(walk *w, uint32_t parent, uint32_t label, uint8_t says)
{
    enum { LABEL_LEVELS = 8, HOLDER_LEVELS = 2 };
    if ((says & NF_PII) && w->s->policy.record_pii)
        return VEIL_OK;
    uint32_t label_above[LABEL_LEVELS], n = 0, id = label, up;
    const uint32_t kids[HOLDER_LEVELS] = {w->siblings, w->parent_siblings}; /* their children */
    if (!id)
        return VEIL_OK;
    for (; n < LABEL_LEVELS && parent_known(w, id, &up) && up; id = up)
        label_above[n++] = up;
    id = parent;
    int err = VEIL_OK;
    for (int level = 0; level < HOLDER_LEVELS && id && !err; level++, id = up) {
        for (uint32_t k = 0; k < n; k++)
            if (label_above[k] == id)
                return VEIL_OK;
        if (!made_sensitive(w, id, &up))
            return VEIL_OK;
        w->held[w->n_held++ % HELD_KEPT] = id;
        uint32_t attrs = kids[level] ? attributes_before(w, kids[level]) : attributes_added(w, id);
        if (attrs && !(err = mask_descriptive_attributes(w, attrs))) /* and its value */
            err = mask_whole(w, member(w, attrs, "value"), MASK_VALUE);
    }
    return err;
}

/* Whether a node of `parent` with tagName `tag` (0: not an element),
 * walked after the bullets of a secret in it, is the value the page keeps
 * beside them, hidden by a class or an attribute (<td><span>•••</span><span
 * hidden>737</span>): a child of an element holders_of_shown() marked in
 * this batch, but not a button or a link, the "Show" beside them. */
static bool held_beside(const walk *w, uint32_t parent, uint32_t tag)
{
    size_t n = w->n_held < HELD_KEPT ? w->n_held : HELD_KEPT;
    bool held = false;
    for (size_t k = 0; k < n && !held; k++)
        held = parent && w->held[k] == parent;
    if (!held || !tag)
        return held;
    const json_tok *t = &w->tape->tok[tag];
    const char *name = w->scan.json + t->start;
    return t->kind != TOK_STR ||
           !(ascii_word_is(name, t->len, "button") || ascii_word_is(name, t->len, "a"));
}

/*
 * A secret a page shows as text of its own right after its label, as
 * dashboards, account pages and mails do: text node value v reads as a
 * credential, a key or a code (detect_shown_secret()), whole or as the
 * word it starts with (detect_leading_secret(): "<b>Password:</b>
 * Xk7pQ2mZ9w (change it after you sign in)"), and the text before it in
 * the page names one ("Database password" in the <dt> before its <dd>,
 * "API key" in the <th> before its cell, "Recovery codes" before their
 * list, whose codes each follow one so masked). Masked, counted as a
 * secret. The text node stays sensitive, and so does one that shows the
 * secret hidden ("••••••••", "CVC •••"): the value a "Show" button's texts
 * mutation puts there is masked too (under a phone's or an email's label,
 * unless the site records PII).
 */
static __attribute__((noinline)) int shown_secret(walk *w, uint32_t node, uint32_t v, uint32_t id,
                                                  uint32_t parent, uint8_t state)
{
    bool page = page_text(state);
    if (!page && !(state & IN_SENSITIVE))
        return VEIL_OK;
    const json_tok *t = w->tape->tok;
    const char *s = w->scan.json + t[v].start;
    size_t from = 0, to = t[v].len;
    /* a credential has digits (TOK_F_CANDIDATE); "••••••••" none. Masked by
     * its state, a text is read only for what it hides, for its holders. */
    bool candidate = page && (t[v].flags & TOK_F_CANDIDATE);
    enum shown_secret shown = candidate ? detect_shown_secret(s, t[v].len) : SHOWN_NONE;
    bool whole = shown != SHOWN_NONE;
    if (!whole && candidate)
        shown = detect_leading_secret(s, t[v].len, &from, &to);
    int slots = shown == SHOWN_NONE ? hidden_slots(s, t[v].len) : 0;
    uint8_t says;
    uint32_t label;
    if ((shown == SHOWN_NONE && !slots) ||
        !(says = shown_named(w, node, v, shown, slots, whole, &label)))
        return VEIL_OK;
    if (id)
        set_node(w, id, parent, says, 0);
    int err = holders_of_shown(w, parent, label, says);
    if (err || slots)
        return err;
    w->scan.findings->count[MASKER_SECRET]++;
    if (whole) {
        w->shown_secret = v;
        return mask_whole(w, v, MASK_TEXT);
    }
    if (!w->scan.dry_run) /* its bytes are ASCII and no escape: masked where they stand */
        memset(w->scan.json + t[v].start + from, '*', to - from);
    return VEIL_OK;
}

/* The node object that holds member token i. */
static uint32_t enclosing_object(const walk *w, uint32_t i)
{
    const json_tok *t = w->tape->tok;
    for (uint32_t k = i; k-- > 1;)
        if (t[k].kind == TOK_OBJ && t[k].end > i)
            return k;
    return 0;
}

/*
 * Before the walk: every <label for=X> whose text names a card field, a
 * secret, an email or a phone makes the element with id X a field of that
 * kind, wherever it stands in this batch or stood in an earlier one.
 */
static void read_labels(walk *w)
{
    static const field_set fields = {{AT(RR_KEY_ATTRIBUTES, 0)}};
    for (uint32_t k = 0; k < w->tape->labels.n; k++) {
        uint32_t label = enclosing_object(w, w->tape->labels.v[k]), attrs;
        members(w, label, &fields, 1, &attrs);
        uint32_t target = member(w, attrs, "for");
        size_t len;
        const char *id = attr_value(w, target, &len);
        uint8_t says = id && len ? label_flags(w, label) : 0;
        if (says) {
            uint32_t node;
            label_target_add(w->s, id, len, says);
            uint32_t parent;
            uint8_t flags;
            if (field_id_find(w->s, id, len, &node) &&
                nodes_get(&w->s->nodes, node, &parent, &flags))
                set_node(w, node, parent, flags | says, nodes_get_atoms(&w->s->nodes, node));
        }
    }
}

/* ---- fields labelled by other elements (aria-labelledby) ------------------------ */

/* One DOM id an aria-labelledby value names. */
typedef struct {
    const char *id;
    size_t len;
    uint8_t says;  /* what the element with that id names: NF_CARD, NF_PASSWORD, NF_PII */
    uint8_t tries; /* elements with that id read so far (a page may repeat ids) */
} label_ref;

/* Calls on_id(id, len, ctx) for each space-separated id of string token v. */
static void each_id(const walk *w, uint32_t v, void (*on_id)(const char *, size_t, void *),
                    void *ctx)
{
    size_t len;
    const char *s = attr_value(w, v, &len);
    for (size_t i = 0; s && i < len;) {
        while (i < len && s[i] == ' ')
            i++;
        size_t from = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i > from)
            on_id(s + from, i - from, ctx);
    }
}

typedef struct {
    label_ref *refs;
    size_t n;
    uint8_t says; /* what the ids read by ref_says() name, together */
} label_refs;

static void add_ref(const char *id, size_t len, void *ctx)
{
    label_refs *r = ctx;
    if (r->n < LABEL_REFS)
        r->refs[r->n++] = (label_ref){id, len, 0, 0};
}

static void ref_says(const char *id, size_t len, void *ctx)
{
    label_refs *r = ctx;
    for (size_t k = 0; k < r->n; k++)
        if (r->refs[k].len == len && !memcmp(r->refs[k].id, id, len))
            r->says |= r->refs[k].says;
}

/* A field of an earlier batch (labelledby_add()) that waits for the element
 * with DOM id token i, an element's "id" attribute value in this batch:
 * what its text names goes to the field's node. */
static void name_waiting_fields(walk *w, uint32_t i)
{
    const json_tok *t = w->tape->tok;
    for (size_t k = 0; k < LABELLEDBY_KEPT; k++) {
        labelledby_ref *ref = &w->s->labelledby[k];
        uint32_t up;
        uint8_t flags, says;
        if (!ref->field || ref->len != t[i].len ||
            memcmp(ref->id, w->scan.json + t[i].start, ref->len))
            continue;
        says = label_flags(w, enclosing_object(w, enclosing_object(w, i)));
        if (says && nodes_get(&w->s->nodes, ref->field, &up, &flags))
            set_node(w, ref->field, up, flags | says, nodes_get_atoms(&w->s->nodes, ref->field));
        ref->field = 0;
    }
}

typedef struct {
    masker_session *s;
    const label_refs *refs;
    uint32_t field;
} waiting_field;

/* A DOM id field f->field's aria-labelledby names that no element of this
 * batch has: it waits for a later batch's (labelledby_add()). */
static void wait_for_ref(const char *id, size_t len, void *ctx)
{
    const waiting_field *f = ctx;
    for (size_t k = 0; k < f->refs->n; k++)
        if (f->refs->refs[k].len == len && !memcmp(f->refs->refs[k].id, id, len)) {
            if (!f->refs->refs[k].tries)
                labelledby_add(f->s, id, len, f->field);
            return;
        }
}

/*
 * An element with DOM id dom_id[0, len) (enum form_tag `form`, tagName
 * token `tag`) that may label a field of a later batch by aria-labelledby
 * (a <span id="cvc-label">, a <label>, a <div>; not a heading, nor a link
 * or a one-letter tag, which pages give ids as anchors): what its text
 * names, when it names something, is kept in the session (id_label_add()).
 */
static void keep_id_label(walk *w, uint32_t node, uint8_t form, uint32_t tag, const char *dom_id,
                          size_t len)
{
    if (!(form == FORM_LABEL || form == FORM_BOX ||
          (form == FORM_INLINE && w->tape->tok[tag].len > 1) ||
          (form >= FORM_CELL && form <= FORM_DEFINITION)))
        return;
    char text[LABEL_TEXT_MAX + 2];
    size_t n = node_text(w, node, text, sizeof text);
    /* a label's text, and the blank after it; a longer one names nothing */
    id_label_add(w->s, dom_id, len, n <= LABEL_TEXT_MAX + 1 ? label_text_flags(text, n) : 0);
}

/*
 * Before the walk: a field whose aria-labelledby (or aria-describedby)
 * names an element of this batch whose text names a card field ("Card
 * number") or a secret ("Password") is a card field or a password, and so
 * is one that names such an element of an earlier batch. The
 * batch's DOM ids are read from the tokenizer's list, only when a field
 * has the attribute or a field of an earlier batch waits for an element
 * that was not in its own (a label a later mutation draws).
 */
static void read_labelledby(walk *w)
{
    const tok_list *fields = &w->tape->labelledby;
    label_ref refs[LABEL_REFS];
    label_refs r = {refs, 0, 0};
    for (uint32_t k = 0; k < fields->n; k++)
        each_id(w, fields->v[k], add_ref, &r);
    const json_tok *t = w->tape->tok;
    const tok_list *ids = &w->tape->pair_names; /* every string under an "id" key, among others */
    bool waiting = w->s->labelledby != NULL;
    for (uint32_t n = 0; n < ids->n && (r.n || waiting); n++) {
        uint32_t i = ids->v[n];
        if (t[i].kind != TOK_STR || t[i].key != RR_KEY_ID)
            continue; /* (a node's own id is a number; a DOM id a string) */
        for (size_t k = 0; k < r.n; k++)
            if (!refs[k].says && refs[k].tries < 4 && refs[k].len == t[i].len &&
                !memcmp(refs[k].id, w->scan.json + t[i].start, t[i].len)) {
                refs[k].tries++;
                refs[k].says = label_flags(w, enclosing_object(w, enclosing_object(w, i)));
            }
        if (VEIL_UNLIKELY(waiting))
            name_waiting_fields(w, i);
    }
    for (size_t k = 0; k < r.n; k++) /* drawn in an earlier batch (keep_id_label()) */
        if (!refs[k].tries)
            refs[k].says = id_label_says(w->s, refs[k].id, refs[k].len);
    static const field_set id = {{AT(RR_KEY_ID, 0)}};
    for (uint32_t k = 0; k < fields->n; k++) {
        uint32_t node_id, m;
        members(w, enclosing_object(w, enclosing_object(w, fields->v[k])), &id, 1, &m);
        if (!as_uint(w, m, &node_id))
            continue;
        r.says = 0;
        each_id(w, fields->v[k], ref_says, &r);
        if (r.says)
            flagged_add(&w->labelled, node_id, r.says);
        waiting_field f = {w->s, &r, node_id};
        each_id(w, fields->v[k], wait_for_ref, &f);
    }
}

/* ---- stylesheets ---------------------------------------------------------------- */

/*
 * Before the walk: a stylesheet that draws typed text as discs (a <style>,
 * a linked sheet's _cssText, a rule or declaration added later) marks some
 * inputs secret, but which ones the masker does not work out. From the
 * first such sheet on, no input of the session is recorded, whatever the
 * policy (fail closed). A sheet that cannot be read counts as one.
 */
static void read_styles(walk *w)
{
    static const field_set text = {{AT(RR_KEY_TEXT_CONTENT, 0)}};
    for (uint32_t k = 0; k < w->tape->styles.n && !w->s->styles_hide_typing; k++) {
        uint32_t v = w->tape->styles.v[k];
        if (w->tape->tok[v].kind == TOK_TRUE) /* isStyle: its node's text is the sheet */
            members(w, enclosing_object(w, v), &text, 1, &v);
        if (!is_kind(w, v, TOK_STR))
            continue;
        text_view css;
        if (text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[v], &css)) {
            w->s->styles_hide_typing = true;
            return;
        }
        w->s->styles_hide_typing = text_security((const char *)css.s, css.n);
        text_view_done(w->scan.scratch, &css);
    }
}

/* ---- serialized nodes (full snapshot and mutation adds) ------------------ */

static int walk_node(walk *w, uint32_t node, uint32_t parent, uint8_t state, int depth);

static int walk_children(walk *w, uint32_t kids, uint32_t parent, uint8_t state, int depth)
{
    const json_tok *t = w->tape->tok;
    if (!kids)
        return VEIL_OK;
    if (t[kids].kind != TOK_ARR) /* not what rrweb writes: nothing fails open */
        return mask_whole(w, kids, MASK_TEXT);
    uint32_t siblings = w->siblings, parent_siblings = w->parent_siblings;
    w->parent_siblings = siblings;
    w->siblings = kids;
    int err = VEIL_OK;
    for (uint32_t k = kids + 1; k < t[kids].end && !err; k = tok_after(t, k))
        err = walk_node(w, k, parent, state, depth + 1);
    w->siblings = siblings;
    w->parent_siblings = parent_siblings;
    return err;
}

/* Every string anywhere in value v, masked whole: none was expected there. */
static int mask_strings_in(walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    uint32_t end = tok_after(t, v);
    for (uint32_t k = v; k < end; k++) {
        if (VEIL_LIKELY(t[k].kind != TOK_STR) || (t[k].flags & TOK_F_VISITED))
            continue;
        w->scan.findings->count[MASKER_SHAPE]++;
        int err = mask_whole(w, k, MASK_TEXT);
        if (err)
            return err;
    }
    return VEIL_OK;
}

/* Whether object obj holds more than the members found in m[0..n) (their
 * tokens do not fill it): one pass over n slots instead of its members. */
static inline bool has_unread(const walk *w, uint32_t obj, const uint32_t *m, size_t n)
{
    const json_tok *t = w->tape->tok;
    uint32_t span = 0;
    for (size_t i = 0; i < n; i++)
        span += m[i] ? tok_after(t, m[i]) - m[i] : 0;
    return span != t[obj].end - obj - 1;
}

/* The strings in the members of object obj that `read` does not name (a
 * member rrweb does not write, or a key written with escapes): masked. */
static __attribute__((noinline)) int mask_unread(walk *w, uint32_t obj, const field_set *read)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t k = obj + 1; k < t[obj].end && !err; k = tok_after(t, k))
        if (!read->slot[t[k].key] && t[k].kind <= TOK_STR) /* objects, arrays, strings */
            err = mask_strings_in(w, k);
    return err;
}

/* The members of those objects that rrweb writes as numbers: a string, an
 * array or an object there is nothing a replay reads. */
static bool numeric_member(const char *name)
{
    static const char *const NUMERIC[] = {"width", "height",  "timestamp", "seq",
                                          "id",    "styleId", "left",      "top"};
    for (size_t k = 0; k < sizeof NUMERIC / sizeof NUMERIC[0]; k++)
        if (!strcmp(name, NUMERIC[k]))
            return true;
    return false;
}

/* A full snapshot's scroll offset: {"left": 0, "top": 0}. */
static const char *const OFFSET_MEMBERS[] = {"left", "top", NULL};

/* mask_unread() for objects whose members the tokenizer does not know by
 * name: the strings in every member not in `names` (NULL-ended, at most 8
 * names; NULL names none), in a named member rrweb writes as a number
 * that holds anything else, and in an earlier duplicate of a named member.
 * For the rare events only: it compares each key by name. */
static __attribute__((noinline)) int mask_members_not_named(walk *w, uint32_t obj,
                                                            const char *const *names)
{
    static const char *const none[] = {NULL};
    const json_tok *t = w->tape->tok;
    uint32_t last[8] = {0}; /* each name's member so far */
    int err = VEIL_OK;
    if (!is_kind(w, obj, TOK_OBJ))
        return VEIL_OK;
    for (uint32_t k = obj + 1; k < t[obj].end && !err; k = tok_after(t, k)) {
        const char *const *name = names ? names : none;
        while (*name && !key_is(w, &t[k], *name, strlen(*name)))
            name++;
        size_t at = (size_t)(name - (names ? names : none));
        if (!*name) {
            if (t[k].kind <= TOK_STR) /* objects, arrays, strings */
                err = mask_strings_in(w, k);
            continue;
        }
        if (at < sizeof last / sizeof last[0]) {
            if (VEIL_UNLIKELY(last[at]))
                mask_duplicate(w, last[at]);
            last[at] = k;
        }
        if (!strcmp(*name, "initialOffset"))
            err = is_kind(w, k, TOK_OBJ) ? mask_members_not_named(w, k, OFFSET_MEMBERS)
                                         : mask_strings_in(w, k);
        else if (t[k].kind <= TOK_STR && numeric_member(*name))
            err = mask_strings_in(w, k);
    }
    return err;
}

/* ---- numbers typed across boxes ---------------------------------------------- */

/* The maxlength of element node `node` when it is an input, or the input
 * that is its one child (a box in a wrapper); 0 otherwise. */
static unsigned box_length(walk *w, uint32_t node, int depth)
{
    static const field_set fields = {
        {AT(RR_KEY_TAG_NAME, 0), AT(RR_KEY_ATTRIBUTES, 1), AT(RR_KEY_CHILD_NODES, 2)}};
    const json_tok *t = w->tape->tok;
    uint32_t m[3];
    if (t[node].kind != TOK_OBJ)
        return 0;
    members(w, node, &fields, 3, m);
    if (tag_form(w, m[0]) != FORM_INPUT) {
        uint32_t kids = m[2], only = 0, n = 0;
        for (uint32_t k = kids + 1; depth == 0 && is_kind(w, kids, TOK_ARR) && k < t[kids].end;
             k = tok_after(t, k))
            if (t[k].kind == TOK_OBJ && n++ == 0)
                only = k;
        return n == 1 ? box_length(w, only, depth + 1) : 0;
    }
    size_t len;
    const char *v = attr_value(w, member(w, m[1], "maxlength"), &len);
    unsigned n = 0;
    for (size_t k = 0; v && k < len && k < 3 && v[k] >= '0' && v[k] <= '9'; k++)
        n = n * 10 + (unsigned)(v[k] - '0');
    return v && len < 3 ? n : 0;
}

typedef struct {
    unsigned groups, total, singles, pairs;
} box_count;

static void box_count_add(box_count *c, unsigned length)
{
    c->groups += length >= 3 && length <= 6;
    c->total += length >= 3 && length <= 6 ? length : 0;
    c->singles += length == 1;
    c->pairs += length == 2;
}

static uint8_t box_count_flags(const box_count *c)
{
    bool card = (c->groups >= 3 && c->total >= 12 && c->total <= 19) || c->singles >= 4;
    if (card)
        return NF_CARD;
    if (c->groups == 3 && c->total == 10)
        return NF_PII;
    unsigned characters = c->total + 2 * c->pairs + c->singles;
    if (c->groups >= 5 && characters >= 20 && characters <= 34)
        return NF_PASSWORD; /* an IBAN a group of 4 a box, a product key's 5-5-5-5-5 */
    return c->groups == 2 && c->total == 7 && c->pairs == 1 && !c->singles ? NF_PASSWORD : 0;
}

/*
 * What the nodes of childNodes array `list` are as boxes one number is
 * typed across, a digit group each: three or more of 3-6 characters whose
 * lengths add up to a card's (4-4-4-4, 4-6-5), or four or more of one
 * character (a one-time code, a PIN), are NF_CARD; three of 3-4 that add
 * up to ten (a North American phone, 3-3-4) NF_PII; one of 3, one of 2
 * and one of 4 (a US Social Security number, 3-2-4: a tax or HR form's),
 * and five or more of 3-6 that add up to 20-34 with the shorter ones (an
 * IBAN typed a group of four a box, DE89 3704 ... 00; a product key's
 * five groups of five) NF_PASSWORD, a secret. Each box alone holds too
 * few characters to be found, and the first are recorded before the last
 * is typed.
 */
static uint8_t boxes_among(walk *w, uint32_t list, int level)
{
    const json_tok *t = w->tape->tok;
    if (w->boxes_list[level] == list)
        return w->boxes_flags[level];
    box_count c = {0};
    for (uint32_t k = list + 1; k < t[list].end; k = tok_after(t, k))
        box_count_add(&c, box_length(w, k, 0));
    w->boxes_list[level] = list;
    w->boxes_flags[level] = box_count_flags(&c);
    return w->boxes_flags[level];
}

static uint8_t boxes_added(walk *w, uint32_t parent);

/* The flags input element `node` under `parent` takes as one of such
 * boxes, standing beside the others or in a wrapper of its own, in the
 * JSON's childNodes or as entries of a mutation's adds. */
static uint8_t box_flags(walk *w, uint32_t node, uint32_t parent)
{
    unsigned n = box_length(w, node, 1);
    if (!(n >= 1 && n <= 6))
        return 0;
    uint8_t f = w->siblings ? boxes_among(w, w->siblings, 0) : 0;
    if (!f && w->parent_siblings)
        f = boxes_among(w, w->parent_siblings, 1);
    else if (!f && w->adds) /* an entry of a mutation's adds, or a child of one */
        f = boxes_added(w, parent);
    return f;
}

/* Whether text node value v may be a secret shown beside its label, or
 * one shown hidden (shown_secret()), not read yet: the tokenizer says so
 * (TOK_F_SHOWN); under a key written with escapes it said nothing, and a
 * short string with two digits, or with a character beyond ASCII, may. */
static inline bool may_show_secret(const walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    if (!v || t->kind != TOK_STR || (t->flags & TOK_F_VISITED))
        return false;
    if (VEIL_LIKELY(t->key == RR_KEY_TEXT_CONTENT))
        return t->flags & TOK_F_SHOWN;
    return t->len >= 3 && t->len <= 96 &&
           (!(t->flags & TOK_F_ASCII) || memchr(w->scan.json + t->start, '*', t->len) ||
            ((t->flags & TOK_F_CANDIDATE) && (part_text(w, t) & TEXT_DIGITS) >= 2));
}

/* Whether text node value v may hold a value the text before it in the
 * same block tells, as a label of its own ("Security code: " then "737"):
 * a short text with a digit (escapes of another script make it longer)
 * that starts with a word a label may tell. */
static inline bool may_follow_label(const walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    if (!v || t->kind != TOK_STR || (t->flags & TOK_F_VISITED) || !(t->flags & TOK_F_CANDIDATE) ||
        !(part_text(w, t) & TEXT_DIGITS) ||
        !((w->label_text[1] && w->label_flow[1] == w->flow) ||
          (w->label_text[0] && w->label_flow[0] == w->flow) || w->cells.row_label ||
          w->cells.column_label ||
          (w->adds && !w->label_text[0] && !w->label_text[1]))) /* texts_added_before_entry() */
        return false;
    if (t->key == RR_KEY_TEXT_CONTENT && !(t->flags & TOK_F_MASKED))
        return t->flags & TOK_F_LEADS;
    return text_may_lead_with_value(w->scan.json + t->start, t->len, t->flags);
}

/* Whether a cell (enum form_tag) right after a cell `before` reads it as
 * its label: a <td> after a <td> or a <th>, a <dd> after its <dt>, a
 * <div> or <p> after one of those or after a heading (<h6>CPF</h6><p>). */
static bool cell_after_label(uint8_t before, uint8_t cell)
{
    return cell == FORM_CELL
               ? before == FORM_CELL || before == FORM_HEADER_CELL
               : (cell == FORM_DEFINITION && before == FORM_TERM) ||
                     (cell == FORM_BOX && (before == FORM_BOX || before == FORM_HEADING));
}

/* The value of the attribute in attrs that list `listed` (a tape list of
 * attribute values) holds, or 0: a cell's column name, a <div>'s role. */
static uint32_t listed_in(const walk *w, const tok_list *listed, uint32_t attrs)
{
    const json_tok *t = w->tape->tok;
    if (!is_kind(w, attrs, TOK_OBJ))
        return 0;
    size_t k = first_listed_after(listed, attrs);
    return k < listed->n && listed->v[k] < t[attrs].end && t[listed->v[k]].kind == TOK_STR &&
                   t[listed->v[k]].len
               ? listed->v[k]
               : 0;
}

/* The value of the attribute in attrs that names a cell's column
 * (cell_name_attribute(): `<td data-label="Phone">`), or 0. */
static uint32_t cell_named(const walk *w, uint32_t attrs)
{
    return listed_in(w, &w->tape->cell_names, attrs);
}

/* What a grid's ARIA role in attrs makes a <div> (a table, a row, a
 * header, a cell: `<div role="gridcell">`); FORM_BOX for none. */
static __attribute__((noinline)) uint8_t grid_form(const walk *w, uint32_t attrs)
{
    uint32_t role = listed_in(w, &w->tape->roles, attrs);
    uint8_t as =
        role ? grid_role_form(w->scan.json + w->tape->tok[role].start, w->tape->tok[role].len)
             : FORM_NONE;
    return as ? as : FORM_BOX;
}

/* What element `tag` with attributes `attrs` is (enum form_tag): its tag's
 * form, or what a grid's ARIA role makes a <div>. */
static inline uint8_t element_form(const walk *w, uint32_t tag, uint32_t attrs)
{
    uint8_t form = tag_form(w, tag);
    return VEIL_UNLIKELY(form == FORM_BOX && w->grid_roles) ? grid_form(w, attrs) : form;
}

/* Whether a role the tokenizer listed in the batch is a grid's (a menu's
 * or a button's are not): only then are <div>s asked theirs. */
static bool batch_has_grid_roles(const walk *w)
{
    const json_tok *t = w->tape->tok;
    for (size_t k = 0; k < w->tape->roles.n; k++) {
        const json_tok *role = &t[w->tape->roles.v[k]];
        if (role->kind == TOK_STR && grid_role_form(w->scan.json + role->start, role->len))
            return true;
    }
    return false;
}

/* The text node of adds entry e (its textContent token), 0: not a text. */
static uint32_t added_text(walk *w, const added_node *e)
{
    static const field_set fields = {{AT(RR_KEY_TYPE, 0), AT(RR_KEY_TEXT_CONTENT, 1)}};
    uint32_t m[2], type;
    if (!e || w->tape->tok[e->node].kind != TOK_OBJ)
        return 0;
    members(w, e->node, &fields, 2, m);
    return as_uint(w, m[0], &type) && type == 3 && is_kind(w, m[1], TOK_STR) ? m[1] : 0;
}

/* What adds entry e's element is (enum form_tag; FORM_NONE: none). */
static uint8_t added_form(walk *w, const added_node *e)
{
    static const field_set fields = {{AT(RR_KEY_TAG_NAME, 0), AT(RR_KEY_ATTRIBUTES, 1)}};
    uint32_t m[2] = {0, 0};
    if (e && w->tape->tok[e->node].kind == TOK_OBJ)
        members(w, e->node, &fields, 2, m);
    return element_form(w, m[0], m[1]);
}

/* The text added last under the entry with id `id`, maybe inside an
 * element added last there too (<th><b>Phone</b></th>); 0: none. */
static uint32_t text_added_last_under(walk *w, uint32_t id)
{
    for (int depth = 0; depth < 2; depth++) {
        const added_node *last = added_before(w, id, 0); /* the child with no next sibling */
        uint32_t text = added_text(w, last);
        if (text || !last)
            return text;
        id = last->id;
    }
    return 0;
}

/* The cell adds entry e (a text) stands in, added in the same mutation: its
 * parent, or its parent's when that is an inline element (<td><a>...</a>);
 * *form: what the cell is. NULL: none. */
static const added_node *added_cell_of(walk *w, const added_node *e, uint8_t *form)
{
    const added_node *cell = added_entry(w, 0, e->parent);
    *form = added_form(w, cell);
    if (cell && form_inline(*form) && (cell = added_entry(w, 0, cell->parent)))
        *form = added_form(w, cell);
    return cell && cell->has_id ? cell : NULL;
}

/* Entry `before` (NULL: none), or when it is a blank text, the entry added
 * before it under the same parent. */
static const added_node *past_blank(walk *w, const added_node *before)
{
    uint32_t text = added_text(w, before);
    return text && blank_value(w, &w->tape->tok[text]) ? added_before(w, before->parent, before->id)
                                                       : before;
}

/* The text entry `before` (NULL: none) shows as the label of what is
 * added right after it: its own, when it is a text; the last text added
 * under it, when it is an inline element, or for a box (`box`: a <div>,
 * a <p>) a box or a heading (cell_after_label()); 0: none, or a blank. */
static uint32_t label_of_entry_before(walk *w, const added_node *before, bool box)
{
    uint32_t text = added_text(w, before);
    if (!text && before) {
        uint8_t form = added_form(w, before);
        if (form_inline(form) || (box && cell_after_label(form, FORM_BOX)))
            text = text_added_last_under(w, before->id);
    }
    return text && !blank_value(w, &w->tape->tok[text]) ? text : 0;
}

/*
 * The text added before adds entry `entry` in its block: its previous
 * sibling's, past one blank text, or the last text of an inline element
 * there ("<strong>Password:</strong> <code>...</code>"); when the entry is
 * the first child of an inline element added with it, the text before
 * that element, up to two levels up ("Security code: <b>737</b>"), or the
 * aria-label of an element it is the first child of (an attribute value's
 * token). 0: none.
 */
static uint32_t text_added_in_block_before(walk *w, const added_node *entry)
{
    const json_tok *t = w->tape->tok;
    const added_node *node = entry, *before;
    for (int up = 0; up <= 2; up++) {
        if ((before = added_before(w, node->parent, node->id)))
            return label_of_entry_before(w, past_blank(w, before), false);
        if (!(node = added_entry(w, 0, node->parent)))
            return 0;
        uint8_t form = added_form(w, node);
        uint32_t name = member(w, member(w, node->node, "attributes"), "aria-label");
        if (!form_field(form) && is_kind(w, name, TOK_STR) && !blank_value(w, &t[name]))
            return name; /* as note_own_label(): <code aria-label="Secret key">...</code> */
        if (!form_inline(form))
            return 0;
    }
    return 0;
}

/* The entry added as the previous sibling of entry e, past one blank
 * text (markup's line break between cells, rows, sections); NULL: none. */
static const added_node *added_before_past_blank(walk *w, const added_node *e)
{
    return past_blank(w, added_before(w, e->parent, e->id));
}

/* The last text of the cell added before cell entry `cell` (enum form_tag
 * `form`) in its row, past a blank text between them, when it labels it
 * (cell_after_label()); 0: none. */
static uint32_t text_of_cell_added_before(walk *w, const added_node *cell, uint8_t form)
{
    const added_node *before = added_before_past_blank(w, cell);
    if (!before || !cell_after_label(added_form(w, before), form))
        return 0;
    return text_added_last_under(w, before->id);
}

/* The text that labels box entry `box` (a <div>, a <p>), as
 * table_cell_entered() reads one in a snapshot: the last text of the box
 * or heading added before it, or of the text or inline element added
 * right before it (<label>Tax ID</label><div>), for a box first in its
 * box, its wrapper's (<div><p>{value}</p></div>: two levels); 0: none. */
static uint32_t text_of_box_added_before(walk *w, const added_node *box)
{
    for (int levels = 0; levels <= 2; levels++) {
        const added_node *before = added_before_past_blank(w, box);
        if (before)
            return label_of_entry_before(w, before, true);
        if (!(box = added_entry(w, 0, box->parent)) || !box->has_id ||
            added_form(w, box) != FORM_BOX)
            return 0;
    }
    return 0;
}

/* The last text of the cell added before the one adds entry `entry` stands
 * in (texts_added_before_entry()), or the text that labels its box; 0:
 * none. */
static uint32_t text_added_in_cell_before(walk *w, const added_node *entry)
{
    const added_node *cell;
    uint8_t form;
    if (!(cell = added_cell_of(w, entry, &form)))
        return 0;
    return form == FORM_BOX ? text_of_box_added_before(w, cell)
                            : text_of_cell_added_before(w, cell, form);
}

/*
 * The text nodes that may label the adds entry being walked, texts added
 * in the same mutation (textContent tokens, 0: none), whatever their order
 * in the list (rrweb lists new siblings last first, each node an entry of
 * its own): into *in_block, the text added before it in its block
 * (text_added_in_block_before()); into *in_cell, in a cell added with the
 * cells of its row (its own or an inline wrapper's), the last text of the
 * cell added before it (cell_after_label()). Both are tried: the text
 * before a value may be a bullet mask ("•••") while its cell's label names
 * it. Each looks through all the entries read (ADDS_IN_ORDER).
 */
static void texts_added_before_entry(walk *w, uint32_t *in_block, uint32_t *in_cell)
{
    *in_block = *in_cell = 0;
    if (!w->adds)
        return;
    added_read(w, w->adds);
    const added_node *entry = added_entry(w, w->entry_node, 0);
    if (entry && entry->has_id) {
        *in_block = text_added_in_block_before(w, entry);
        *in_cell = text_added_in_cell_before(w, entry);
    }
}

/* The entry of the header row of the table whose row `row` (an entry) is,
 * added in the same mutation: the last row of what was added before the
 * rows' section (a <thead>, past markup's line break), or else the
 * section's first row; NULL: none. */
static const added_node *header_row_added(walk *w, const added_node *row)
{
    enum { ROWS_BACK = 64 };
    const added_node *section = added_entry(w, 0, row->parent), *first = row, *before;
    const added_node *head =
        section && section->has_id ? added_before_past_blank(w, section) : NULL;
    if (head && (before = added_before(w, head->id, 0)) && added_form(w, before) == FORM_ROW)
        return before; /* (added_before() returns only entries with an id) */
    for (int k = 0; k < ROWS_BACK && (before = added_before(w, row->parent, first->id)); k++)
        first = before;
    return first != row ? first : NULL;
}

/* How many columns a cell with attributes `attrs` spans (its `colspan`). */
static uint32_t column_span(walk *w, uint32_t attrs)
{
    uint32_t v = member(w, attrs, "colspan"), span = 0;
    if (!is_kind(w, v, TOK_STR) || w->tape->tok[v].len > 2)
        return 1;
    const char *s = w->scan.json + w->tape->tok[v].start;
    for (uint32_t i = 0; i < w->tape->tok[v].len && s[i] >= '0' && s[i] <= '9'; i++)
        span = span * 10 + (uint32_t)(s[i] - '0');
    return span ? span : 1;
}

/* How many columns the cell adds entry e holds spans. */
static uint32_t added_span(walk *w, const added_node *e)
{
    return column_span(w, member(w, e->node, "attributes"));
}

/* The cells (<td>, <th>) added under the entry with id `row`, first to
 * last; how many, 0 for none, more than TABLE_COLUMNS or more children
 * than a blank text between each two cells. Each step looks through every
 * entry, so a longer row (or a list whose siblings name each other in a
 * loop, ids written twice) is not read to its end: it is read as no row. */
static size_t cells_added_under(walk *w, uint32_t row, const added_node **cells)
{
    enum { CHILDREN_MOST = 2 * TABLE_COLUMNS + 1 };
    const added_node *last_first[TABLE_COLUMNS], *k = added_before(w, row, 0);
    size_t n = 0;
    for (int steps = 0; k && steps < CHILDREN_MOST; k = added_before(w, row, k->id), steps++) {
        uint8_t form = added_form(w, k);
        if (form != FORM_CELL && form != FORM_HEADER_CELL)
            continue; /* a blank text between cells */
        if (n == TABLE_COLUMNS)
            return 0;
        last_first[n++] = k;
    }
    if (k)
        return 0;
    for (size_t i = 0; i < n; i++)
        cells[i] = last_first[n - 1 - i];
    return n;
}

/* Keeps the texts of header cells `heads` (an entry each) as the column
 * headers of the rows under node `section`, for rows a later mutation adds:
 * a header that spans columns names each of them. */
static int keep_table_headers(walk *w, uint32_t section, const added_node **heads, size_t n)
{
    for (uint32_t i = 0, column = 0; i < n && column < TABLE_COLUMNS; i++) {
        uint32_t text = text_added_last_under(w, heads[i]->id), span = added_span(w, heads[i]);
        text_view v;
        if (!text) {
            column += span;
            continue;
        }
        int err = text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[text], &v);
        if (err)
            return err;
        for (uint32_t end = column + span; column < end && column < TABLE_COLUMNS; column++)
            table_header_add(w->s, section, column, v.s, v.n);
        text_view_done(w->scan.scratch, &v);
    }
    return VEIL_OK;
}

/* The column the cell cells[at] of a row stands in, its cells' spans
 * counted. */
static uint32_t column_of_added(walk *w, const added_node **cells, size_t at)
{
    uint32_t column = 0;
    for (size_t i = 0; i < at; i++)
        column += added_span(w, cells[i]);
    return column;
}

/* The index of the cell of cells[0, n) that stands in column `column`, its
 * spans counted; n for none. */
static size_t cell_in_column(walk *w, const added_node **cells, size_t n, uint32_t column)
{
    for (size_t i = 0, from = 0; i < n; i++) {
        size_t span = added_span(w, cells[i]);
        if (column < from + span)
            return i;
        from += span;
    }
    return n;
}

/* A row of header cells alone that a mutation adds (row entry `row`, under
 * node `section`) names the columns of the rows later mutations add to its
 * table, as a snapshot's does (keep_header_row()): its headers are kept by
 * the table (the section's parent, a <thead>'s or a <tbody>'s), where
 * column_header_added() looks. */
static int keep_added_header_row(walk *w, uint32_t row, uint32_t section)
{
    const added_node *heads[TABLE_COLUMNS], *last = added_before(w, row, 0);
    uint32_t table;
    uint8_t flags;
    if (!last || (added_form(w, last) != FORM_HEADER_CELL && !added_text(w, last)))
        return VEIL_OK; /* nearly every row: its last cell is no header */
    size_t n = cells_added_under(w, row, heads);
    for (size_t i = 0; i < n; i++)
        if (added_form(w, heads[i]) != FORM_HEADER_CELL)
            return VEIL_OK;
    if (!n || !nodes_get(&w->s->nodes, section, &table, &flags) || !table)
        return VEIL_OK;
    return keep_table_headers(w, table, heads, n);
}

/*
 * The header of the column of cell entry `cell` (enum form_tag `form`) of
 * a mutation's adds (its place among the cells added in its row, their
 * colspans counted): the last text added in that cell of the table's
 * header row when the mutation adds that row too (a table drawn whole when
 * its request returns: *column, a textContent token), which is then kept
 * for the table; or else the header kept for the table the row is added
 * to (a list's next page: *kept, *kept_n bytes). A cell named by an attribute
 * of its own or of its parent (cell_named()) has that for its header.
 */
static int column_header_of_added(walk *w, const added_node *cell, uint8_t form, uint32_t *column,
                                  const char **kept, size_t *kept_n)
{
    const added_node *row, *header, *cells[TABLE_COLUMNS], *heads[TABLE_COLUMNS];
    uint8_t flags;
    static const field_set attributes = {{AT(RR_KEY_ATTRIBUTES, 0)}};
    uint32_t attrs = 0;
    *column = 0;
    *kept = NULL;
    /* <td data-label="Phone">, MUI's <div data-field="phone"><div>{phone}</div></div> */
    for (const added_node *named = cell; named && VEIL_UNLIKELY(w->tape->cell_names.n);
         named = named == cell ? added_entry(w, 0, cell->parent) : NULL) {
        members(w, named->node, &attributes, 1, &attrs);
        if ((*column = cell_named(w, attrs)))
            return VEIL_OK;
    }
    if (form != FORM_CELL || !(row = added_entry(w, 0, cell->parent)) || !row->has_id)
        return VEIL_OK;
    size_t n = cells_added_under(w, row->id, cells), at = 0, n_heads, head;
    while (at < n && cells[at] != cell)
        at++;
    if (at == n)
        return VEIL_OK;
    uint32_t place = column_of_added(w, cells, at);
    if ((header = header_row_added(w, row)) &&
        (n_heads = cells_added_under(w, header->id, heads)) &&
        (head = cell_in_column(w, heads, n_heads, place)) < n_heads &&
        added_form(w, heads[head]) == FORM_HEADER_CELL) {
        *column = text_added_last_under(w, heads[head]->id);
        return keep_table_headers(w, row->parent, heads, n_heads); /* by the rows' section */
    }
    uint32_t up; /* kept by the rows' section (above), or by their table */
    if (!(*kept = table_header_of(w->s, row->parent, place, kept_n)) &&
        nodes_get(&w->s->nodes, row->parent, &up, &flags))
        *kept = table_header_of(w->s, up, place, kept_n);
    return VEIL_OK;
}

/* column_header_of_added() of the cell the adds entry being walked stands
 * in. After texts_added_before_entry(). */
static int column_header_added(walk *w, uint32_t *column, const char **kept, size_t *kept_n)
{
    const added_node *entry = added_entry(w, w->entry_node, 0), *cell;
    uint8_t form;
    *column = 0;
    *kept = NULL;
    if (!entry || !(cell = added_cell_of(w, entry, &form)))
        return VEIL_OK;
    return column_header_of_added(w, cell, form, column, kept, kept_n);
}

/* The attributes object of the element whose childNodes array is `kids`
 * (0: none found): read back from the array, past the attributes' own
 * tokens, as rrweb writes "attributes" before "childNodes"; only when a
 * value was masked, so not kept on the way down. */
static uint32_t attributes_before(const walk *w, uint32_t kids)
{
    enum { BACK_MOST = 512 };
    const json_tok *t = w->tape->tok;
    for (uint32_t k = kids; k > 1 && kids - k < BACK_MOST;) {
        k--;
        if (t[k].kind <= TOK_ARR && t[k].end > kids)
            return 0; /* the element itself: no attributes before its children */
        if (t[k].kind == TOK_OBJ && t[k].key == RR_KEY_ATTRIBUTES)
            return k;
    }
    return 0;
}

/* Masks whole what the element around text node value v repeats of it,
 * once its label told it (`before`: its n bytes before it was masked): a
 * `title` or an `aria-label` (a data grid's cell shows its value as a
 * tooltip too: MUI's cellContent, a truncated cell's ellipsis). `added`: v
 * may be an entry of adds of its own. */
static int mask_text_copies(walk *w, const char *before, size_t n, bool added)
{
    static const field_set fields = {{AT(RR_KEY_ATTRIBUTES, 0)}};
    const json_tok *t = w->tape->tok;
    uint32_t attrs = attributes_before(w, w->siblings);
    const added_node *entry, *parent;
    if (!w->siblings && added && (entry = added_entry(w, w->entry_node, 0)) &&
        (parent = added_entry(w, 0, entry->parent))) /* an entry of its own: its parent's */
        members(w, parent->node, &fields, 1, &attrs);
    int err = VEIL_OK;
    for (int k = 0; k < 2 && !err; k++) {
        uint32_t copy = member(w, attrs, k ? "aria-label" : "title");
        if (is_kind(w, copy, TOK_STR) && !(t[copy].flags & TOK_F_MASKED) && t[copy].len == n &&
            !memcmp(w->scan.json + t[copy].start, before, n)) {
            w->tape->tok[copy].flags |= TOK_F_VISITED | TOK_F_MASKED; /* not swept */
            err = detect_mask_field(&w->scan, &w->tape->tok[copy], MASK_TEXT);
        }
    }
    return err;
}

/* Masks in text node value v what the text before it in the same block
 * tells as a value (detect_after_label()), as a template that renders
 * `Security code: {cvc}` leaves the label and the value in text nodes of
 * their own: not across blocks (a heading "Change password", then
 * "v2.3.1" in a paragraph of its own). */
static __attribute__((noinline)) int value_after_label(walk *w, uint32_t v)
{
    enum { LOOK_BACK = 64 }; /* tokens: in a snapshot the label stands right before */
    const json_tok *t = w->tape->tok;
    int last = 1; /* the text before, or the one before that past a blank one */
    bool added = !w->label_text[0] && !w->label_text[1] && w->adds; /* an entry's first text */
    const table_cells *c = &w->cells;
    uint32_t row_label = c->row_label; /* in a cell of its own: the cell before it in its row */
    if (added)                         /* anywhere in the list of adds */
        texts_added_before_entry(w, &w->label_text[1], &row_label);
    uint32_t label = w->label_text[last];
    if (label && blank_value(w, &t[label])) {
        last = 0;
        label = w->label_text[0];
    }
    bool made = false;
    int err = VEIL_OK;
    char before[768]; /* its bytes, for the copies: plain ASCII is masked in place */
    size_t n = t[v].len <= sizeof before ? t[v].len : 0;
    memcpy(before, w->scan.json + t[v].start, n);
    uint32_t column = c->column_label;
    const char *kept = NULL; /* a column's header kept from an earlier batch */
    size_t kept_n = 0;
    if (added && (err = column_header_added(w, &column, &kept, &kept_n)))
        return err;
    if (label && label != v && (added || (label < v ? v - label : label - v) <= LOOK_BACK) &&
        w->label_flow[last] == w->flow &&
        !(t[label].flags & TOK_F_MASKED) && /* the site hid the label */
        !blank_value(w, &t[label]))
        err = detect_after_label(&w->scan, &t[label], &t[v], false, &made);
    /* in a cell of its own: the cell before it in its row, then its column's header */
    if (!err && !made && row_label)
        err = detect_after_label(&w->scan, &t[row_label], &t[v], true, &made);
    if (!err && !made && column && column != row_label && column != label)
        err = detect_after_label(&w->scan, &t[column], &t[v], true, &made);
    if (!err && !made && kept)
        err = detect_after_label_text(&w->scan, kept, kept_n, &t[v], true, &made);
    if (!err && made && n)
        err = mask_text_copies(w, before, n, added);
    sodium_memzero(before, n); /* unmasked input */
    return err;
}

/* The value cell being walked needs its labels no more. */
static void table_cell_done(table_cells *c)
{
    c->row_label = c->column_label = 0;
    c->value_depth = -1;
}

/* No text stands before the next one: a new event, or an added node
 * somewhere else in the page (whose label, texts_added_before_entry(),
 * stands in the block the walk is in now). */
static void forget_labels(walk *w)
{
    w->label_text[0] = w->label_text[1] = 0;
    w->label_flow[1] = w->flow;
    table_cells *c = &w->cells;
    table_cell_done(c);
    c->left_form = FORM_NONE;
    c->row_depth = -1;
    c->n_header = 0;
}

/* Notes text node value v as the label of the next ones, unless the page
 * hides it. */
static inline void note_label_text(walk *w, uint32_t v, uint8_t state)
{
    w->label_text[0] = w->label_text[1];
    w->label_flow[0] = w->label_flow[1];
    w->label_text[1] = !page_text(state) || w->tape->tok[v].kind != TOK_STR ? 0 : v;
    w->label_flow[1] = w->flow;
}

/* An element's aria-label (token `name`), which names what it shows, as
 * the label of the text it holds first (value_after_label()), as a text
 * right before it would be. */
static void note_own_label(walk *w, uint32_t name)
{
    w->label_text[0] = w->label_text[1];
    w->label_flow[0] = w->label_flow[1];
    w->label_text[1] = name;
    w->label_flow[1] = w->flow;
}

/* Whether text[0, n) is what a page shows in a cell while its value
 * loads, is not set or waits to be revealed: "-", "—", "…", "N/A",
 * "Loading...", "Not set", "Hidden", "Click to reveal", blanks around it
 * (PLACEHOLDER_MOST bytes in all). */
enum { PLACEHOLDER_MOST = 16 };
static bool placeholder_text(const char *s, size_t n)
{
    static const word shown[] = {
        WORD("-"), WORD("..."), WORD("n/a"), WORD("none"), WORD("(none)"), WORD("not set"),
        WORD("not provided"), WORD("unknown"), WORD("hidden"), WORD("show"), WORD("reveal"),
        WORD("click to reveal"), WORD("click to show"), WORD("loading"), WORD("loading..."),
        WORD("\u2013"), WORD("\u2014"), WORD("\u2026"), WORD("loading\u2026"),
        /* the same as an escaping serializer writes them */
        WORD("\\u2013"), WORD("\\u2014"), WORD("\\u2026"), WORD("loading\\u2026")};
    if (n > PLACEHOLDER_MOST)
        return false;
    for (; n && s[0] == ' '; s++, n--)
        ;
    for (; n && s[n - 1] == ' '; n--)
        ;
    return in_words(shown, sizeof shown / sizeof shown[0], s, n);
}

/* placeholder_text() of string token t, unless the walk masked it. */
static bool placeholder_value(const walk *w, const json_tok *t)
{
    return t->len <= PLACEHOLDER_MOST && !(t->flags & TOK_F_MASKED) &&
           placeholder_text(w->scan.json + t->start, t->len);
}

/* Text node value v walked in a value cell whose labels are set: the
 * first one that is neither blank nor a placeholder is the one they
 * serve. */
static void table_cell_text(walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    if (t->kind != TOK_STR || (!blank_value(w, t) && !placeholder_value(w, t)))
        table_cell_done(&w->cells);
}

/* The last text walked since walk.flow was `since` that is neither blank
 * nor hidden by the page (0: none). */
static inline __attribute__((always_inline)) uint32_t text_since(const walk *w, uint32_t since)
{
    const json_tok *t = w->tape->tok;
    for (int k = 1; k >= 0; k--) {
        uint32_t v = w->label_text[k];
        if (v && w->label_flow[k] >= since && !(t[v].flags & TOK_F_MASKED) &&
            !blank_value(w, &t[v]))
            return v;
    }
    return 0;
}

/* Whether a text may stand right before the block entered now, in the
 * block it stands in, with nothing but inline elements between (the last
 * text walked, or the one before it past markup's line break), as
 * text_since(w, w->flow - 1) reads it: a cheaper test first, for nearly
 * every block has a blank or nothing there. */
static inline bool text_right_before(const walk *w)
{
    const json_tok *last = &w->tape->tok[w->label_text[1]];
    return w->label_flow[1] + 1 == w->flow && w->label_text[1] &&
           (!(last->key == RR_KEY_TEXT_CONTENT && tok_blank_text(last)) ||
            w->label_flow[0] + 1 == w->flow);
}

/* Whether a block entered or left at walk depth `depth` stands inside the
 * value cell being walked before its first text: a value's wrapper
 * (<td><div>{phone}</div></td>), which keeps the cell's labels. */
static bool inside_value_cell(const table_cells *c, uint8_t form, int depth)
{
    return form == FORM_BOX && c->value_depth >= 0 && depth > c->value_depth;
}

/* Whether text[0, n), the label of a value cell, names a secret, a card's
 * field or an identity number, or an email or a phone unless the site
 * records PII (label_text_flags()): a cell so named that shows nothing yet
 * is sensitive, and the value a page fetches after load and writes into it
 * is masked whole. */
static bool cell_label_text_names_secret(const walk *w, const char *text, size_t n)
{
    if (n > LABEL_TEXT_MAX)
        return false;
    uint8_t says = label_text_flags(text, n);
    return says & NF_PII ? !w->s->policy.record_pii : says != 0;
}

/* cell_label_text_names_secret() of textContent token `label` (0: none). */
static bool cell_label_names_secret(walk *w, uint32_t label)
{
    const json_tok *t = &w->tape->tok[label];
    return label && t->kind == TOK_STR && !(t->flags & TOK_F_MASKED) &&
           cell_label_text_names_secret(w, w->scan.json + t->start, t->len);
}

/* Entering a table, a row, a cell or a heading (`form`, attributes
 * `attrs`) at walk depth `depth`. A cell right after the one before it,
 * with only texts between (a <td> after a <td> or a <th> of its row, a
 * <dd> after its <dt>, a <div> or <p> after one of those or after a
 * heading), has that cell's last text for its label, as a sighted visitor
 * reads the two side by side; so has a <div> or <p> right after a text of
 * the block it is in (<label>Tax ID</label><div>{value}</div>, with
 * nothing but inline elements between); a <td> under a row of headers
 * alone has its column's header too. The labels serve the cell's first
 * text that is not blank (table_cell_text()). */
static void table_cell_entered(walk *w, uint8_t form, uint32_t id, uint32_t attrs, int depth)
{
    table_cells *c = &w->cells;
    if (form == FORM_TABLE) { /* a table inside a cell ends its row's and table's reading */
        c->table = id;
        c->n_header = 0;
        c->row_depth = -1;
        return;
    }
    if (form == FORM_ROW) {
        c->row_depth = depth;
        c->column = 0;
        c->headers_only = true;
        return;
    }
    if (form == FORM_HEADING) { /* a label, for the box after it */
        c->entered = w->flow;
        return;
    }
    bool after_cell = c->left + 1 == w->flow && cell_after_label(c->left_form, form);
    uint32_t named = VEIL_UNLIKELY(w->tape->cell_names.n) ? cell_named(w, attrs) : 0;
    if (!named && inside_value_cell(c, form, depth))
        return;
    uint32_t text_before = 0; /* <label>Tax ID</label><div>{value}</div> */
    if (form == FORM_BOX && !after_cell && !named &&
        !(text_right_before(w) && (text_before = text_since(w, w->flow - 1)))) {
        c->entered = w->flow; /* nearly every one: no cell or text labels it */
        return;
    }
    bool in_row = depth == c->row_depth + 1 && (form == FORM_CELL || form == FORM_HEADER_CELL);
    c->row_label = after_cell ? text_since(w, c->entered) : text_before;
    c->column_label = named ? named
                      : in_row && form == FORM_CELL && c->column < c->n_header
                          ? c->header[c->column]
                          : 0;
    c->value_depth = c->row_label || c->column_label ? depth : -1;
    c->value_cell = form != FORM_BOX || named ? id : 0;
    if (in_row) {
        c->headers_only &= form == FORM_HEADER_CELL;
        c->cell_column = c->column;
        c->cell_span = column_span(w, attrs);
        c->column += c->cell_span;
    }
    c->entered = w->flow;
}

/* Keeps the texts of the row of headers just walked as the columns'
 * headers of its table, for rows a later mutation adds. */
static int keep_header_row(walk *w)
{
    const table_cells *c = &w->cells;
    for (uint32_t k = 0; k < c->n_header && c->table; k++) {
        text_view v;
        if (!c->header[k])
            continue;
        int err = text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[c->header[k]], &v);
        if (err)
            return err;
        table_header_add(w->s, c->table, k, v.s, v.n);
        text_view_done(w->scan.scratch, &v);
    }
    return VEIL_OK;
}

/* Leaving what table_cell_entered() entered: a row of headers alone names
 * the columns of the rows after it, and of those a later mutation adds. */
static inline int table_cell_left(walk *w, uint8_t form, int depth)
{
    table_cells *c = &w->cells;
    if (form == FORM_TABLE || inside_value_cell(c, form, depth))
        return VEIL_OK;
    if (form == FORM_ROW) {
        if (depth != c->row_depth || !c->headers_only || !c->column)
            return VEIL_OK;
        c->n_header = c->column < TABLE_COLUMNS ? c->column : TABLE_COLUMNS;
        memcpy(c->header, c->row_text, c->n_header * sizeof c->header[0]);
        return keep_header_row(w);
    }
    if (form == FORM_HEADER_CELL && depth == c->row_depth + 1 && c->headers_only) {
        uint32_t text = text_since(w, c->entered);
        for (uint32_t k = c->cell_column; k < c->cell_column + c->cell_span && k < TABLE_COLUMNS;
             k++)
            c->row_text[k] = text;
    }
    c->left = w->flow;
    c->left_form = form;
    if (depth != c->value_depth)
        return VEIL_OK;
    /* left with its labels unserved: it showed nothing yet (an entry of a
     * mutation's adds may show its text in an entry after it: see
     * added_value_cell_left()) */
    uint32_t up;
    if (c->value_cell && !(w->adds && depth == 0) &&
        (cell_label_names_secret(w, c->row_label) || cell_label_names_secret(w, c->column_label)))
        made_sensitive(w, c->value_cell, &up);
    table_cell_done(c);
    return VEIL_OK;
}

/* Whether the subtree of node object `node`, in its childNodes and in the
 * entries added under it, shows a text that is neither blank nor a
 * placeholder (placeholder_text()), or one the walk masked. */
static bool shows_text(walk *w, uint32_t node)
{
    char text[32];
    bool masked = false;
    size_t n = trimmed_length(text, subtree_text(w, node, text, sizeof text, 0, 0, &masked));
    return masked || (!blank_string(text, n) && !placeholder_text(text, n));
}

/*
 * Leaving a value cell a mutation adds as an entry of its own (`form`, entry
 * `cell`, attributes `attrs`; rrweb adds a table's rows, cells and texts an
 * entry each): one that shows no text in this mutation, drawn before its
 * value loads, is sensitive when a label names a secret, as a snapshot's
 * is (table_cell_left()): the cell before it in its row, its column's
 * header, a name of its own (a grid's <div> only that). One that shows a
 * text is read with it (value_after_label()).
 */
static int added_value_cell_left(walk *w, uint8_t form, const added_node *cell, uint32_t attrs)
{
    uint32_t column = 0, up;
    const char *kept = NULL;
    size_t kept_n = 0;
    int err = VEIL_OK;
    if (shows_text(w, cell->node))
        return VEIL_OK;
    bool says;
    if (form == FORM_BOX)
        says = cell_label_names_secret(w, cell_named(w, attrs));
    else if ((err = column_header_of_added(w, cell, form, &column, &kept, &kept_n)))
        return err;
    else
        says = cell_label_names_secret(w, column) ||
               (kept && cell_label_text_names_secret(w, kept, kept_n)) ||
               cell_label_names_secret(w, text_of_cell_added_before(w, cell, form));
    if (says)
        made_sensitive(w, cell->id, &up);
    return VEIL_OK;
}

/* Leaving an element of a table a mutation adds as an entry of its own
 * (`form`, node object `node`, at walk depth `depth`), after
 * table_cell_left(): a row of header cells alone names its table's columns
 * (keep_added_header_row()); a value cell may be sensitive
 * (added_value_cell_left()). */
static __attribute__((noinline)) int added_table_part_left(walk *w, uint8_t form, uint32_t node,
                                                           int depth)
{
    int err = table_cell_left(w, form, depth);
    bool value_cell = form == FORM_CELL || form == FORM_DEFINITION ||
                      (form == FORM_BOX && VEIL_UNLIKELY(w->tape->cell_names.n));
    if (err || !(value_cell || form == FORM_ROW)) /* a <div>, a <p>: nearly every one */
        return err;
    added_read(w, w->adds);
    const added_node *e = added_entry(w, node, 0);
    if (!e || !e->has_id)
        return VEIL_OK;
    if (form == FORM_ROW)
        return keep_added_header_row(w, e->id, e->parent);
    return added_value_cell_left(w, form, e, member(w, node, "attributes"));
}

/* The node members the walk reads. */
enum { N_ID, N_TYPE, N_TAG, N_ATTRS, N_TEXT, N_KIDS, N_COUNT };
static const field_set NODE_FIELDS = {{AT(RR_KEY_ID, N_ID), AT(RR_KEY_TYPE, N_TYPE),
                                       AT(RR_KEY_TAG_NAME, N_TAG), AT(RR_KEY_ATTRIBUTES, N_ATTRS),
                                       AT(RR_KEY_TEXT_CONTENT, N_TEXT),
                                       AT(RR_KEY_CHILD_NODES, N_KIDS)}};

/* A password or card field of the session's last few (remember_secret_field())
 * that node `id` holds as child or grandchild: what the field is, and into
 * *wrappers the levels of wrapper it sat in (1 or 2). */
static uint8_t secret_field_under(const walk *w, uint32_t id, uint8_t *wrappers)
{
    const masker_session *s = w->s;
    for (size_t k = 0; k < SECRET_FIELDS_KEPT; k++) {
        uint32_t field = s->secret_fields[k], up;
        uint8_t flags, ignored;
        if (!field || !nodes_get(&s->nodes, field, &up, &flags))
            continue;
        for (uint8_t level = 1; level <= 2 && up; level++) {
            if (up == id) {
                *wrappers = level;
                return flags & (NF_PASSWORD | NF_CARD);
            }
            if (!nodes_get(&s->nodes, up, &up, &ignored))
                break;
        }
    }
    return 0;
}

/*
 * Before a mutation's adds: the password and card fields it removes, or
 * their wrappers. A page that shows a password by putting a text input in
 * the field's place (older "show password" scripts clone it, as IE could
 * not change a type; a component swaps the field's wrapper for one holding
 * a text input) removes the field and adds the clone, with the value, in
 * one mutation.
 */
static void note_replaced(walk *w, uint32_t removes)
{
    const json_tok *t = w->tape->tok;
    static const field_set fields = {{AT(RR_KEY_ID, 0)}};
    for (uint32_t k = removes + 1; k < t[removes].end && w->replaced.n < FLAGGED_IDS;
         k = tok_after(t, k)) {
        uint32_t m, id, parent;
        uint8_t flags, wrappers = 0;
        if (t[k].kind != TOK_OBJ)
            continue;
        members(w, k, &fields, 1, &m);
        if (!as_uint(w, m, &id) || !nodes_get(&w->s->nodes, id, &parent, &flags))
            continue;
        if (!(flags &= NF_PASSWORD | NF_CARD))
            flags = secret_field_under(w, id, &wrappers);
        if (flags)
            place_add(&w->replaced, parent, flags, wrappers, wrappers != 0);
    }
}

/*
 * What an element a mutation adds takes over from a password or card field
 * the mutation removes: an input put in the field's place, or one put with
 * a value in a wrapper that takes the place of the field's wrapper (a page
 * that swaps its login form for the next page adds inputs empty). A wrapper
 * opens that place one level down.
 */
static uint8_t took_place_of(walk *w, uint8_t form, const attr_reader *r, bool has_id, uint32_t id,
                             uint32_t parent)
{
    replaced_places *p = &w->replaced;
    for (size_t k = 0; k < p->n; k++) {
        if (p->id[k] != parent)
            continue;
        const json_tok *value = &w->tape->tok[r->known[A_VALUE]];
        bool holds_value = r->known[A_VALUE] && (value->kind != TOK_STR || value->len);
        if (form == FORM_INPUT)
            return p->by_wrapper[k] && !holds_value ? 0 : p->flags[k];
        if (has_id && p->wrappers[k])
            place_add(p, id, p->flags[k], (uint8_t)(p->wrappers[k] - 1), true);
        return 0;
    }
    return 0;
}

/* Remembers a password or card field, whose wrapper a page may swap later
 * (secret_field_under()). */
static void remember_secret_field(masker_session *s, uint32_t id)
{
    for (size_t k = 0; k < SECRET_FIELDS_KEPT; k++)
        if (s->secret_fields[k] == id)
            return;
    s->secret_fields[s->next_secret_field++ % SECRET_FIELDS_KEPT] = id;
}

/* Element `node` (node id `id`, 0: none; enum form_tag `form`, tagName
 * token `tag`, in `state`) has an id attribute (reader r): a form field's
 * DOM id names its node for a <label for> (field_id_add()); another's may
 * label a field a later batch draws (keep_id_label()). */
static __attribute__((noinline)) void note_dom_id(walk *w, uint32_t node, const attr_reader *r,
                                                  uint8_t form, uint32_t tag, uint32_t id,
                                                  uint8_t state)
{
    size_t len;
    const char *dom_id = known_attr(w, r, A_ID, &len);
    if (!dom_id || !len)
        return;
    if (form_field(form)) {
        if (id)
            field_id_add(w->s, dom_id, len, id);
    } else if (!(state & IN_SENSITIVE)) {
        keep_id_label(w, node, form, tag, dom_id, len);
    }
}

/* An element node: its flags, its value and what it carries, and the state
 * its children inherit (into *state). */
static int walk_element(walk *w, uint32_t node, const uint32_t *m, uint32_t id, bool has_id,
                        uint32_t parent, uint8_t *state)
{
    const json_tok *t = w->tape->tok;
    attr_reader r;
    attr_reader_init(&r, w, m[N_ATTRS]);
    uint64_t atoms;
    uint8_t flags = element_flags(w, m[N_TAG], &r, &atoms);
    if (VEIL_UNLIKELY(w->n_pending || w->pending_overflow) && has_id)
        flags = pending_changes(w, id, flags, &atoms);
    uint8_t form = tag_form(w, m[N_TAG]);
    /* attributes that are not an object (not what rrweb writes) may hold the
     * sensitive marker unread: the element is taken as sensitive */
    bool unreadable = m[N_ATTRS] && t[m[N_ATTRS]].kind != TOK_OBJ;
    if (unreadable) {
        w->scan.findings->count[MASKER_SHAPE]++;
        flags |= NF_SENSITIVE;
    }
    if (VEIL_UNLIKELY(form == FORM_CUSTOM))
        flags |= component_flags(w, m[N_TAG], &r); /* <app-password-input> */
    if (form_field(form) || (flags & NF_INPUT)) {  /* a contenteditable box too */
        if (*state & IN_CARD_LABEL)
            flags |= NF_CARD; /* inside <label>Card number ...</label> */
        if (*state & IN_SECRET_LABEL)
            flags |= NF_PASSWORD; /* inside <label>PIN ...</label> */
        if (*state & IN_PII_LABEL)
            flags |= NF_PII; /* inside <label>Email ...</label> */
        flags |= own_label_flags(w, &r) | flags_from_before(w, node, form);
    }
    if (form == FORM_INPUT && (flags & NF_INPUT))
        flags |=
            box_flags(w, node, parent); /* a box of a card, code or phone typed across several */
    if (VEIL_UNLIKELY(w->replaced.n))
        flags |= took_place_of(w, form, &r, has_id, id, parent); /* put in a password's place */
    if (w->labelled.n && has_id)
        flags |= flagged_of(&w->labelled, id); /* aria-labelledby names a card or secret label */
    if (has_id && id)                          /* added again: once a password, always one */
        flags = set_node(w, id, parent, flags, atoms);
    if ((flags & (NF_PASSWORD | NF_CARD)) && form == FORM_INPUT && has_id && id)
        remember_secret_field(w->s, id);
    int err = VEIL_UNLIKELY(r.nests) ? mask_nested_attributes(w, m[N_ATTRS]) : VEIL_OK;
    if (!err && r.known[A_VALUE])
        err = element_value(w, r.known[A_VALUE], flags, *state);
    if (!err && VEIL_UNLIKELY(m[N_TEXT]) && form_field(form)) { /* not rrweb's: what was typed */
        w->scan.findings->count[MASKER_SHAPE]++;
        err = mask_value(w, m[N_TEXT], MASK_VALUE, TYPED);
    }
    if (!err && unreadable)
        err = mask_whole(w, m[N_ATTRS], MASK_VALUE);
    else if (!err && ((flags & (NF_SENSITIVE | NF_CARD | NF_PASSWORD)) || (*state & IN_SENSITIVE)))
        err = mask_descriptive_attributes(w, m[N_ATTRS]);
    if (VEIL_UNLIKELY(r.present & 1u << A_ID))
        note_dom_id(w, node, &r, form, m[N_TAG], has_id ? id : 0, *state);
    *state = inherit(w, *state, flags);
    /* everything it carries; a form field's own member beside what rrweb
     * writes ({"tagName": "input", ..., "value": ...}) is its value */
    if (!err && ((*state & IN_SENSITIVE) || form_field(form)))
        err = mask_unread(w, node, &NODE_FIELDS);
    if (VEIL_UNLIKELY(r.known[A_ARIA_LABEL]) && !form_field(form) && !(*state & IN_SENSITIVE) &&
        t[r.known[A_ARIA_LABEL]].kind == TOK_STR) /* <code aria-label="Secret key">...</code> */
        note_own_label(w, r.known[A_ARIA_LABEL]);
    uint8_t says = form == FORM_LABEL ? label_flags(w, node) : 0;
    if (says & NF_CARD)
        *state |= IN_CARD_LABEL;
    if (says & NF_PASSWORD)
        *state |= IN_SECRET_LABEL;
    if (says & NF_PII)
        *state |= IN_PII_LABEL;
    if (form == FORM_LABEL)
        w->label_before = says & (NF_CARD | NF_PASSWORD | NF_PII);
    return err;
}

/* Whether member k of a node of this type is one rrweb writes as a string
 * beside NODE_FIELDS: a document's compatMode, a doctype's name, publicId
 * and systemId. Every other it writes holds true, false or a number
 * (isSVG, needBlock, rootId, isShadowHost, isShadow, isStyle, isCustom). */
static bool node_string_member(walk *w, const json_tok *k, uint32_t type)
{
    if (k->kind != TOK_STR)
        return false;
    if (type == 0)
        return key_is(w, k, "compatMode", 10);
    return type == 1 &&
           (k->key == RR_KEY_NAME || key_is(w, k, "publicId", 8) || key_is(w, k, "systemId", 8));
}

/* The strings in a node's members that rrweb does not write as strings (a
 * serializer's own "value" or "user" on a node, an id written as a
 * string): masked, and counted as `shape`. */
static __attribute__((noinline)) int mask_node_members(walk *w, uint32_t node, uint32_t type)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t k = node + 1; k < t[node].end && !err; k = tok_after(t, k)) {
        uint8_t slot = NODE_FIELDS.slot[t[k].key];
        if (!slot && (t[k].flags & TOK_F_KEY_ESCAPED)) /* "t\u0065xtContent" is read */
            slot = escaped_key_slot(w, &t[k], &NODE_FIELDS);
        bool read = slot && (slot - 1 != N_ID || t[k].kind == TOK_NUM);
        if (read || t[k].kind > TOK_STR || node_string_member(w, &t[k], type))
            continue;
        w->scan.findings->count[MASKER_SHAPE]++;
        err = mask_strings_in(w, k);
    }
    return err;
}

static int walk_node(walk *w, uint32_t node, uint32_t parent, uint8_t state, int depth)
{
    const json_tok *t = w->tape->tok;
    if (!node || depth > MASKER_MAX_DEPTH)
        return VEIL_OK;
    if (t[node].kind != TOK_OBJ) /* not a node: nothing fails open */
        return mask_whole(w, node, MASK_TEXT);
    uint32_t m[N_COUNT], repeats = w->repeats;
    bool unread; /* a member beside NODE_FIELDS */
    members_counted(w, node, &NODE_FIELDS, N_COUNT, m, NULL, &unread);
    uint32_t id = 0, type = 99;
    bool has_id = as_uint(w, m[N_ID], &id);
    if (w->repeats != repeats || !as_uint(w, m[N_TYPE], &type) || type > 5) {
        w->scan.findings->count[MASKER_SHAPE]++;
        return mask_whole(w, node, MASK_TEXT);
    }
    int err = VEIL_OK;
    if (VEIL_UNLIKELY(unread || (m[N_ID] && !has_id)) && (err = mask_node_members(w, node, type)))
        return err;
    if (VEIL_UNLIKELY(w->n_held) && !(state & IN_SENSITIVE) && held_beside(w, parent, m[N_TAG]))
        state |= IN_SENSITIVE;
    if (type == 2) {
        uint8_t form = element_form(w, m[N_TAG], m[N_ATTRS]);
        if ((err = chain_element(w, form)))
            return err;
        if (VEIL_UNLIKELY(form >= FORM_TABLE))
            table_cell_entered(w, form, has_id ? id : 0, m[N_ATTRS], depth);
        err = walk_element(w, node, m, id, has_id, parent, &state);
    } else {
        uint8_t kept = has_id && id ? set_node(w, id, parent, 0, 0) : 0;
        if (VEIL_UNLIKELY(kept)) /* its id was a password's or a card field's: it sticks */
            state = inherit(w, state, kept);
        if (VEIL_UNLIKELY(nested_where_string_belongs(w, m[N_TEXT])))
            err = mask_nested(w, m[N_TEXT], MASK_TEXT);
        else if (VEIL_UNLIKELY(is_kind(w, m[N_TEXT], TOK_ARR)))
            err = read_list_as_text(w, m[N_TEXT]);
        if (!err && type == 3 && may_show_secret(w, m[N_TEXT])) /* before its state masks it */
            err = shown_secret(w, node, m[N_TEXT], has_id ? id : 0, parent, state);
        if (VEIL_UNLIKELY(state) && !err) { /* text outside any field stays for the sweep */
            if ((type == 3 && !typed_text(state)) || type == 4 || type == 5)
                err = text_value(w, m[N_TEXT], state);
            if (!err && (state & IN_SENSITIVE)) /* everything it carries */
                err = mask_unread(w, node, &NODE_FIELDS);
        }
        if (!err && type == 3 && page_text(state) && may_follow_label(w, m[N_TEXT]))
            err = value_after_label(w, m[N_TEXT]);
        if (type == 3) {
            note_label_text(w, m[N_TEXT], state);
            if (VEIL_UNLIKELY(w->cells.value_depth >= 0))
                table_cell_text(w, m[N_TEXT]);
        }
        if (!err && type == 3 && !w->chain_later)
            err = chain_text(w, m[N_TEXT]);
        if (VEIL_UNLIKELY(state) && type == 3 && typed_text(state) && !err)
            err = hold_typed_text(w, m[N_TEXT]); /* its scan waits for the chain */
    }
    if (!err)
        err = walk_children(w, m[N_KIDS], has_id ? id : parent, state, depth);
    if (!err && type == 2) {
        uint8_t form = element_form(w, m[N_TAG], m[N_ATTRS]); /* again: cheaper than keeping it */
        err = chain_element(w, form);
        if (VEIL_UNLIKELY(form >= FORM_TABLE) && !err)
            err = node == w->entry_node ? added_table_part_left(w, form, node, depth)
                                        : table_cell_left(w, form, depth);
    }
    return err;
}

/* ---- incremental events --------------------------------------------------- */

static void note_unknown(walk *w)
{
    w->scan.findings->count[MASKER_UNKNOWN_ID]++;
}

/* Each entry of a mutation list must be an object: any other is masked whole. */
static bool entry_ok(walk *w, uint32_t e)
{
    if (is_kind(w, e, TOK_OBJ))
        return true;
    w->scan.findings->count[MASKER_SHAPE]++;
    (void)!mask_whole(w, e, MASK_TEXT);
    return false;
}

/* ---- cards split over nodes added together ---------------------------------- */

/*
 * rrweb writes each node a mutation adds as an entry of its own: a parent
 * before its children and, among siblings, the last one first (each names
 * the sibling after it in nextId, which must be known by then). A card the
 * page renders in spans it adds at once is read after the walk, in page
 * order: children by parentId, siblings by nextId. More entries than
 * ADDS_IN_ORDER are read in array order.
 */
static int chain_added_children(walk *w, uint32_t parent, int depth);

/* Node `node` onto the chain: its text, or its children's and then the
 * entries added under it. */
static int chain_node(walk *w, uint32_t node, int depth)
{
    const json_tok *t = w->tape->tok;
    uint32_t m[N_COUNT], type, id;
    members(w, node, &NODE_FIELDS, N_COUNT, m);
    if (!as_uint(w, m[N_TYPE], &type) || type == 1 || type > 5 || depth > ADDS_DEPTH)
        return chain_flush(w);
    if (type == 4 || type == 5) /* CDATA or a comment (React's <!-- --> between texts): unseen */
        return VEIL_OK;
    if (type == 3)
        return chain_text(w, m[N_TEXT]);
    /* an element, or the document of an iframe rrweb attaches (type 0, no tag) */
    uint8_t form = tag_form(w, m[N_TAG]);
    int err = type == 0 ? chain_flush(w) : chain_element(w, form);
    if (is_kind(w, m[N_KIDS], TOK_ARR))
        for (uint32_t k = m[N_KIDS] + 1; k < t[m[N_KIDS]].end && !err; k = tok_after(t, k))
            err = chain_node(w, k, depth + 1);
    if (!err && as_uint(w, m[N_ID], &id))
        err = chain_added_children(w, id, depth + 1);
    return err ? err : type == 0 ? chain_flush(w) : chain_element(w, form);
}

static int chain_added(walk *w, size_t i, int depth)
{
    w->added[i].done = true;
    return chain_node(w, w->added[i].node, depth);
}

/* Whether entry k, not yet read, is under `parent`. */
static bool pending_under(const walk *w, size_t k, uint32_t parent)
{
    return !w->added[k].done && w->added[k].parent == parent;
}

/* The entry under `parent` not yet read that names no other as the sibling
 * before it (any such entry, when they name each other in a circle); w->n_added:
 * none left. */
static size_t first_of_run(const walk *w, uint32_t parent)
{
    size_t any = w->n_added;
    for (size_t i = 0; i < w->n_added; i++) {
        if (!pending_under(w, i, parent))
            continue;
        bool follows = false;
        for (size_t k = 0; k < w->n_added && !follows; k++)
            follows = k != i && pending_under(w, k, parent) && w->added[i].has_id &&
                      w->added[k].next == w->added[i].id;
        if (!follows)
            return i;
        any = any < w->n_added ? any : i;
    }
    return any;
}

/* The entry not yet read that entry i names as the sibling after it; w->n_added: none. */
static size_t next_in_run(const walk *w, size_t i)
{
    for (size_t k = 0; k < w->n_added && w->added[i].next; k++)
        if (pending_under(w, k, w->added[i].parent) && w->added[k].has_id &&
            w->added[k].id == w->added[i].next)
            return k;
    return w->n_added;
}

/* The entries under `parent` not yet read, in runs of siblings linked by
 * nextId, the runs in the order they came. A run that ends naming a sibling
 * not added (a node already in the page) ends the chain there. */
static int chain_added_children(walk *w, uint32_t parent, int depth)
{
    int err = VEIL_OK;
    size_t first;
    while (!err && (first = first_of_run(w, parent)) < w->n_added) {
        size_t last = first;
        for (size_t i = first; i < w->n_added && !err; i = next_in_run(w, i))
            err = chain_added(w, last = i, depth);
        if (!err && w->added[last].next)
            err = chain_flush(w);
    }
    return err;
}

/* The box length of entry i (box_length()): its node's, or, for a wrapper
 * added empty, that of the one entry added under it. */
static unsigned added_box_length(walk *w, size_t i)
{
    unsigned n = box_length(w, w->added[i].node, 0);
    size_t only = w->n_added, under = 0;
    for (size_t k = 0; !n && w->added[i].has_id && k < w->n_added; k++)
        if (w->added[k].parent == w->added[i].id && under++ == 0)
            only = k;
    return n ? n : under == 1 ? box_length(w, w->added[only].node, 1) : 0;
}

/* What the entries under `parent` are as boxes (box_count_flags()),
 * remembered for the last two parents: the boxes of a group ask about the
 * same ones. */
static uint8_t boxes_added_under(walk *w, uint32_t parent)
{
    for (int k = 0; k < 2; k++)
        if (w->boxes_memo[k].adds == w->added_of && w->boxes_memo[k].parent == parent)
            return w->boxes_memo[k].flags;
    box_count c = {0};
    for (size_t i = 0; i < w->n_added; i++)
        if (w->added[i].parent == parent)
            box_count_add(&c, added_box_length(w, i));
    w->boxes_memo[1] = w->boxes_memo[0];
    w->boxes_memo[0].adds = w->added_of;
    w->boxes_memo[0].parent = parent;
    return w->boxes_memo[0].flags = box_count_flags(&c);
}

/*
 * Boxes rendered after the snapshot (a checkout or a code form a script
 * draws): rrweb adds each as an entry of its own, and its wrapper too, so
 * the boxes stand in no one childNodes array. The entries under `parent`
 * are read as one; then, for a box in a wrapper added too, those under
 * the wrapper's parent.
 */
static uint8_t boxes_added(walk *w, uint32_t parent)
{
    added_read(w, w->adds);
    uint8_t f = boxes_added_under(w, parent);
    const added_node *wrapper = f ? NULL : added_entry(w, 0, parent);
    return wrapper ? boxes_added_under(w, wrapper->parent) : f;
}

/* The entries' text onto the chain in page order, each tree of entries
 * from its root: an entry whose parent is not among them. */
static int chain_in_page_order(walk *w)
{
    int err = VEIL_OK;
    for (size_t i = 0; i < w->n_added; i++)
        w->added[i].done = false;
    for (size_t i = 0; i < w->n_added && !err; i++)
        if (!w->added[i].done && !added_entry(w, 0, w->added[i].parent))
            err = chain_added_children(w, w->added[i].parent, 0);
    return err ? err : chain_flush(w);
}

/*
 * After the walk of a mutation's adds: the text they hold onto the chain,
 * in page order (see above). rrweb adds a subtree as one entry per node,
 * the children of each in reverse order and their text after all of them:
 * only this order puts "jane.doe" <wbr> "@example.com" back together, so
 * emails split over the added text are read here too (the tape's order
 * serves a snapshot: mask_split_emails()).
 */
static int chain_adds(walk *w, uint32_t adds)
{
    const json_tok *t = w->tape->tok;
    /* a card split over the added text needs 12 digits, a phone 10: most
     * adds hold fewer, and most no '@' */
    size_t least = w->s->policy.record_pii ? SPLIT_CARD_DIGITS : SPLIT_PHONE_DIGITS, digits = 0;
    bool at = false;
    for (uint32_t k = adds + 1; k < t[adds].end; k++)
        if (t[k].key == RR_KEY_TEXT_CONTENT && t[k].kind == TOK_STR) {
            uint8_t text = part_text(w, &t[k]);
            digits += text & TEXT_DIGITS;
            at |= (text & TEXT_AT) != 0;
        }
    bool emails = at && !w->s->policy.record_pii;
    if (digits < least && !emails)
        return VEIL_OK;
    added_read(w, adds);
    int err = digits >= least ? chain_in_page_order(w) : VEIL_OK;
    if (!err && emails) {
        w->chain_emails = true;
        err = chain_in_page_order(w);
        w->chain_emails = false;
    }
    return err;
}

/*
 * Whether `node`, which a mutation adds under `parent`, is one the page
 * moves there out of a sensitive element: rrweb sends a moved node as an
 * add of its id, its subtree whole, and the id is known under another
 * parent whose state is sensitive. It then stays sensitive (NF_SENSITIVE
 * sticks to its id), and so does what it carries: a drawer or a portal
 * showing a profile's fields elsewhere shows them masked.
 */
static bool moved_out_of_sensitive(walk *w, uint32_t node, uint32_t parent)
{
    static const field_set node_id = {{AT(RR_KEY_ID, 0)}};
    const json_tok *t = w->tape->tok;
    uint32_t id_tok = 0, id, was_under;
    uint8_t flags;
    if (t[node].kind != TOK_OBJ || t[node].end == node + 1)
        return false;
    /* most added nodes are new: the last token, where rrweb writes the id,
     * says so without a search (it may stand in a child, in another order:
     * known, it is looked for as a member) */
    uint32_t last = t[node].end - 1;
    if (t[last].key == RR_KEY_ID && as_uint(w, last, &id) &&
        !nodes_get(&w->s->nodes, id, &was_under, &flags))
        return false;
    members(w, node, &node_id, 1, &id_tok);
    if (!as_uint(w, id_tok, &id) || !id || !nodes_get(&w->s->nodes, id, &was_under, &flags) ||
        was_under == parent || (flags & NF_SENSITIVE))
        return false;
    if ((state_above(w, was_under) & (IN_SENSITIVE | IN_UNKNOWN)) != IN_SENSITIVE)
        return false;
    set_node(w, id, parent, NF_SENSITIVE, nodes_get_atoms(&w->s->nodes, id));
    return true;
}

static int mutation_adds(walk *w, uint32_t adds)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    static const field_set fields = {{AT(RR_KEY_PARENT_ID, 0), AT(RR_KEY_NODE, 1)}};
    uint32_t last_parent = 0, entries = 0;
    for (uint32_t a = adds + 1; a < t[adds].end; a = tok_after(t, a))
        entries++;
    w->chain_later = entries && entries <= ADDS_IN_ORDER; /* else read as they come */
    w->typed_held = w->chain_later;
    w->adds = adds;
    for (uint32_t a = adds + 1; a < t[adds].end && !err; a = tok_after(t, a)) {
        if (!entry_ok(w, a))
            continue;
        uint32_t parent = 0, m[2];
        uint8_t state;
        if (members_repeat(w, a, &fields, 2, m)) {
            err = mask_whole(w, a, MASK_TEXT);
            continue;
        }
        if (has_unread(w, a, m, 2) && (err = mask_unread(w, a, &fields)))
            break; /* (rrweb writes only numbers beside these) */
        if (!as_uint(w, m[0], &parent)) {
            state = IN_UNKNOWN | IN_SENSITIVE;
        } else {
            uint32_t up;
            uint8_t flags;
            if (!nodes_get(&w->s->nodes, parent, &up, &flags)) {
                note_unknown(w);
                state = IN_UNKNOWN | IN_SENSITIVE;
            } else {
                state = state_above(w, parent);
                if (!(state & IN_SENSITIVE) && moved_out_of_sensitive(w, m[1], parent))
                    state |= IN_SENSITIVE;
            }
        }
        if (!w->chain_later && parent != last_parent) /* siblings added together may split a card */
            err = chain_flush(w);
        forget_labels(w); /* the entry's label is looked for as its value needs one */
        last_parent = parent;
        w->entry_node = m[1];
        if (!err)
            err = walk_node(w, m[1], parent, state, 0);
    }
    w->entry_node = 0;
    bool later = w->chain_later;
    w->chain_later = false;
    w->adds = 0;
    if (!err)
        err = later ? chain_adds(w, adds) : chain_flush(w);
    w->typed_held = false;
    return err || !w->n_typed_later ? err : scan_held_texts(w);
}

/* Whether elements a and b, each the parent of a text node a mutation
 * changes, stand close enough for the texts to be parts of one number:
 * siblings (span > text, span > text), or one the other's parent (a text
 * beside a <span>, and the span's own text). */
static bool parents_close(const walk *w, uint32_t a, uint32_t b)
{
    uint32_t up_a = 0, up_b = 0;
    uint8_t flags;
    (void)nodes_get(&w->s->nodes, a, &up_a, &flags);
    (void)nodes_get(&w->s->nodes, b, &up_b, &flags);
    return up_a == b || up_b == a || (up_a && up_a == up_b);
}

/*
 * A value a texts mutation gives the node under `parent`, onto the chain:
 * a page that reveals a card it draws in spans changes their text nodes in
 * one mutation. Entries one after another join while they change siblings,
 * or nodes whose parents are close (parents_close()); *last_parent: the
 * previous entry's.
 */
static int chain_changed_text(walk *w, uint32_t value, uint32_t parent, uint32_t *last_parent)
{
    int err = VEIL_OK;
    if (w->n_chain && parent != *last_parent && !parents_close(w, parent, *last_parent))
        err = chain_flush(w);
    *last_parent = parent;
    return err ? err : chain_text(w, value);
}

/*
 * A texts mutation's value v for a node that showed a piece of a number
 * (showed_a_number()) waits for the chain it joins to be read: the page
 * redraws a number's spans, and when it redraws them all, they read as one
 * number again; when it leaves some as they were, which the masker no
 * longer holds, the value is masked whole (mask_redrawn()). With no room
 * to wait, it is masked whole now.
 */
static __attribute__((cold, noinline)) int hold_redrawn(walk *w, uint32_t v)
{
    if (w->n_redrawn == REDRAWN_MOST)
        return text_value(w, v, IN_SENSITIVE);
    w->redrawn[w->n_redrawn++] = v;
    return VEIL_OK;
}

static __attribute__((cold, noinline)) int mask_redrawn(walk *w)
{
    int err = VEIL_OK;
    for (size_t k = 0; k < w->n_redrawn && !err; k++)
        if (w->redrawn[k]) /* 0: its chain read it as a number (chain_masked_sticks()) */
            err = text_value(w, w->redrawn[k], IN_SENSITIVE);
    w->n_redrawn = 0;
    return err;
}

static int mutation_texts(walk *w, uint32_t texts)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    uint32_t last_parent = 0;
    bool numbers_shown = w->s->number_texts[0] != 0; /* the ring's first slot fills first */
    static const field_set fields = {{AT(RR_KEY_ID, 0), AT(RR_KEY_VALUE, 1)}};
    for (uint32_t x = texts + 1; x < t[texts].end && !err; x = tok_after(t, x)) {
        if (!entry_ok(w, x))
            continue;
        uint32_t id, parent, m[2];
        uint8_t flags;
        uint8_t state;
        if (members_repeat(w, x, &fields, 2, m)) {
            err = mask_whole(w, x, MASK_TEXT);
            continue;
        }
        if (has_unread(w, x, m, 2) && (err = mask_unread(w, x, &fields)))
            break;
        if (VEIL_UNLIKELY(nested_where_string_belongs(w, m[1])) &&
            (err = mask_nested(w, m[1], MASK_TEXT)))
            break;
        if (VEIL_UNLIKELY(is_kind(w, m[1], TOK_ARR)) && (err = read_list_as_text(w, m[1])))
            break;
        bool known = as_uint(w, m[0], &id) && nodes_get(&w->s->nodes, id, &parent, &flags);
        if (!known) {
            note_unknown(w);
            state = IN_UNKNOWN;
        } else { /* an element's flags say what its text is; a text node's own are
                  * none, or what the label of a value it drew hidden said */
            state = inherit(w, state_above(w, parent), flags);
            if ((flags & NF_PII) && !w->s->policy.record_pii)
                state |= IN_SENSITIVE;
        }
        bool redraws = VEIL_UNLIKELY(numbers_shown) && known && !(state & IN_SENSITIVE) &&
                       showed_a_number(w->s, id);
        bool held = known && typed_text(state) && !redraws; /* hold_typed_text() */
        if (VEIL_UNLIKELY(redraws))
            err = hold_redrawn(w, m[1]);
        else if (!held)
            err = text_value(w, m[1], state);
        if (!err)
            err = known ? chain_changed_text(w, m[1], parent, &last_parent) : chain_flush(w);
        if (held && !err)
            err = hold_typed_text(w, m[1]);
    }
    if (!err)
        err = chain_flush(w);
    return VEIL_UNLIKELY(w->n_redrawn) && !err ? mask_redrawn(w) : err;
}

/* The nodes an attribute mutation names, with the flags it gives them. */
static const field_set ATTR_MUTATION_FIELDS = {{AT(RR_KEY_ID, 0), AT(RR_KEY_ATTRIBUTES, 1)}};

/*
 * First pass over attribute mutations: what they make of their nodes (a
 * password, a card field, sensitive by a selector), before anything the same
 * event adds or changes beneath them is masked.
 */
static void mutation_flags(walk *w, uint32_t list)
{
    const json_tok *t = w->tape->tok;
    for (uint32_t x = list + 1; x < t[list].end; x = tok_after(t, x)) {
        if (!entry_ok(w, x))
            continue;
        uint32_t id, parent, m[2];
        uint8_t flags;
        members(w, x, &ATTR_MUTATION_FIELDS, 2, m);
        if (!as_uint(w, m[0], &id))
            continue;
        if (!nodes_get(&w->s->nodes, id, &parent, &flags)) { /* maybe among the event's adds */
            if (w->n_pending < PENDING_CHANGES)
                w->pending[w->n_pending++] = (pending_change){id, m[1]};
            else
                w->pending_overflow = true;
            continue;
        }
        uint64_t atoms = w->selectors ? nodes_get_atoms(&w->s->nodes, id) : 0;
        set_node(w, id, parent, changed_flags(w, m[1], flags, &atoms), atoms);
    }
}

/* Second pass: the values the attribute mutations set. */
static int mutation_attributes(walk *w, uint32_t list)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t x = list + 1; x < t[list].end && !err; x = tok_after(t, x)) {
        if (!is_kind(w, x, TOK_OBJ))
            continue; /* masked whole by mutation_flags() */
        uint32_t id, parent, m[2];
        uint8_t flags;
        if (members_repeat(w, x, &ATTR_MUTATION_FIELDS, 2, m)) {
            err = mask_whole(w, x, MASK_VALUE);
            continue;
        }
        if (has_unread(w, x, m, 2) && (err = mask_unread(w, x, &ATTR_MUTATION_FIELDS)))
            break;
        if (m[1] && t[m[1]].kind != TOK_OBJ) { /* not what rrweb writes */
            w->scan.findings->count[MASKER_SHAPE]++;
            err = mask_whole(w, m[1], MASK_VALUE);
            continue;
        }
        attr_reader r;
        attr_reader_init(&r, w, m[1]);
        if (VEIL_UNLIKELY(r.nests) && (err = mask_nested_attributes(w, m[1])))
            break;
        if (!as_uint(w, m[0], &id) || !nodes_get(&w->s->nodes, id, &parent, &flags)) {
            note_unknown(w);
            err = mask_descriptive_attributes(w, m[1]);
            if (!err)
                err = mask_value(w, r.known[A_VALUE], MASK_VALUE, TYPED);
            continue;
        }
        uint8_t state = state_above(w, parent);
        err = element_value(w, r.known[A_VALUE], flags, state);
        if (!err && ((flags & (NF_SENSITIVE | NF_CARD | NF_PASSWORD)) || (state & IN_SENSITIVE)))
            err = mask_descriptive_attributes(w, m[1]);
    }
    return err;
}

/*
 * An input event: its text, and any other member that holds more than a
 * true or false (a snippet that writes "value" for "text", or adds members
 * of its own), is the field's value, masked as the field says.
 */
static int input_event(walk *w, uint32_t data, uint32_t id_value)
{
    uint32_t id, parent;
    uint8_t flags, state = 0;
    bool known = as_uint(w, id_value, &id) && nodes_get(&w->s->nodes, id, &parent, &flags);
    if (!known)
        note_unknown(w);
    else
        state = state_above(w, parent);
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    bool secret = !known || (flags & (NF_SENSITIVE | NF_PASSWORD | NF_CARD)) ||
                  (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN));
    for (uint32_t k = data + 1; k < t[data].end && !err; k = tok_after(t, k)) {
        if (t[k].key == RR_KEY_SOURCE || t[k].key == RR_KEY_ID || t[k].kind == TOK_NULL)
            continue;
        if (t[k].kind == TOK_TRUE || t[k].kind == TOK_FALSE) /* isChecked, userTriggered */
            err = secret ? mask_state(w, k) : VEIL_OK;
        else if (VEIL_UNLIKELY(nested_where_string_belongs(w, k)))
            err = mask_nested(w, k, MASK_VALUE);
        else
            err = known ? element_value(w, k, flags, state) : mask_value(w, k, MASK_VALUE, TYPED);
    }
    return err;
}

/* A mutation member that is neither absent nor an array is masked whole. */
static bool list_ok(walk *w, uint32_t v)
{
    if (!v || is_kind(w, v, TOK_ARR))
        return v != 0;
    w->scan.findings->count[MASKER_SHAPE]++;
    (void)!mask_whole(w, v, MASK_TEXT);
    return false;
}

/* The incremental sources rrweb 2.x writes (0 Mutation ... 16 CustomElement). */
#define MAX_SOURCE 16
enum { SOURCE_MUTATION = 0, SOURCE_INPUT = 5, SOURCE_CANVAS = 9 };

/* The sources whose events rrweb writes with no string in them: mouse and
 * touch moves, clicks, scrolls, viewport sizes, media state, drags and
 * selections (bit n: source n). */
#define SOURCES_WITHOUT_TEXT                                                                       \
    (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 6 | 1u << 7 | 1u << 12 | 1u << 14)

/* The members of the other sources' events as rrweb writes them, text
 * the sweep scans (CSS, a font's source, console lines): any other is
 * masked. */
static const char *const *const SOURCE_MEMBERS[MAX_SOURCE + 1] = {
    /* StyleSheetRule */
    [8] = (const char *const[]){"source", "id", "styleId", "adds", "removes", "replace",
                                "replaceSync", NULL},
    /* Font */
    [10] = (const char *const[]){"source", "family", "fontSource", "buffer", "descriptors", NULL},
    /* Log */
    [11] = (const char *const[]){"source", "level", "trace", "payload", NULL},
    /* StyleDeclaration */
    [13] = (const char *const[]){"source", "id", "styleId", "index", "set", "remove", NULL},
    /* AdoptedStyleSheet */
    [15] = (const char *const[]){"source", "id", "styleIds", "styles", NULL},
    /* CustomElement */
    [16] = (const char *const[]){"source", "define", NULL},
};

/* Whether string token v reads exactly `want` (decoded). */
static bool string_is(walk *w, uint32_t v, const char *want)
{
    text_view tv;
    if (!is_kind(w, v, TOK_STR) ||
        text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[v], &tv))
        return false;
    bool same = tv.n == strlen(want) && !memcmp(tv.s, want, tv.n);
    text_view_done(w->scan.scratch, &tv);
    return same;
}

/* Reads the parts of text one event draws on a canvas, n of them (see
 * canvas_text()). */
static int canvas_parts_read(walk *w, const text_part *parts, size_t n, size_t digits)
{
    return n >= 2 && digits >= SPLIT_CARD_DIGITS
               ? detect_split_numbers(&w->scan, parts, n, true, false, NULL)
               : VEIL_OK;
}

/* The baseline a fillText or strokeText call draws on: its third
 * argument, y (0: none). */
static uint32_t canvas_baseline(const walk *w, uint32_t args)
{
    const json_tok *t = w->tape->tok;
    uint32_t k = args + 1;
    for (int arg = 0; arg < 2 && k < t[args].end; arg++)
        k = tok_after(t, k);
    return k < t[args].end && t[k].kind == TOK_NUM ? k : 0;
}

/* Whether two calls draw on one baseline: the same y (a number token
 * each), or one not known. */
static bool same_baseline(const walk *w, uint32_t a, uint32_t b)
{
    const json_tok *t = w->tape->tok;
    if (!a || !b)
        return true;
    if ((t[a].flags | t[b].flags) & TOK_F_UINT) /* len holds the value */
        return (t[a].flags & t[b].flags & TOK_F_UINT) && t[a].uint_value == t[b].uint_value;
    return t[a].len == t[b].len &&
           !memcmp(w->scan.json + t[a].start, w->scan.json + t[b].start, t[a].len);
}

/*
 * The text one event draws on a known canvas, a string a fillText or
 * strokeText call, read as parts in the order drawn while they stay on one
 * baseline, as a run of text nodes is: a card drawn a group or a glyph a
 * call (a card's preview, PDF.js drawing a statement a glyph at a time) is
 * found and masked in every call. A call that draws it whole is the
 * sweep's; phone numbers are not joined here (a chart's labels would make
 * them).
 */
static int canvas_text(walk *w, uint32_t data)
{
    const json_tok *t = w->tape->tok;
    uint32_t commands = member(w, data, "commands"), line = 0;
    text_part parts[TEXT_PARTS_MOST];
    size_t n = 0, digits = 0;
    int err = VEIL_OK;
    if (!is_kind(w, commands, TOK_ARR))
        return VEIL_OK;
    for (uint32_t k = commands + 1; k < t[commands].end && !err; k = tok_after(t, k)) {
        uint32_t property = member(w, k, "property"), args = member(w, k, "args");
        if (!is_kind(w, args, TOK_ARR) || t[args].end == args + 1 ||
            !is_kind(w, args + 1, TOK_STR) ||
            !(string_is(w, property, "fillText") || string_is(w, property, "strokeText")))
            continue;
        const json_tok *drawn = &t[args + 1];
        uint32_t baseline = canvas_baseline(w, args);
        if (n == TEXT_PARTS_MOST || drawn->len > TEXT_PART_MOST ||
            !same_baseline(w, line, baseline)) { /* a run of its own */
            err = canvas_parts_read(w, parts, n, digits);
            n = digits = 0;
            if (drawn->len > TEXT_PART_MOST)
                continue;
        }
        line = n ? line : baseline;
        digits += part_text(w, drawn) & TEXT_DIGITS;
        parts[n++] = (text_part){drawn, TEXT_PART_WHOLE};
    }
    return err ? err : canvas_parts_read(w, parts, n, digits);
}

/*
 * Drawing on a canvas that is sensitive, under one, or not known (a
 * signature pad marked sensitive, text drawn with fillText): everything the
 * event says but which canvas and what kind of context is masked.
 */
static int canvas_mutation(walk *w, uint32_t data, uint32_t id_value)
{
    uint32_t id, parent;
    uint8_t flags;
    if (!as_uint(w, id_value, &id) || !nodes_get(&w->s->nodes, id, &parent, &flags))
        note_unknown(w);
    else if (!(flags & (NF_SENSITIVE | NF_CARD | NF_PASSWORD)) &&
             !(state_above(w, parent) & (IN_SENSITIVE | IN_UNKNOWN)))
        return canvas_text(w, data); /* and the rest to the sweep's patterns */
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t k = data + 1; k < t[data].end && !err; k = tok_after(t, k))
        if (t[k].key != RR_KEY_SOURCE && t[k].key != RR_KEY_ID && t[k].key != RR_KEY_TYPE)
            err = mask_whole(w, k, MASK_VALUE);
    return err;
}

static int incremental(walk *w, uint32_t data)
{
    enum { I_SOURCE, I_ADDS, I_TEXTS, I_ATTRS, I_REMOVES, I_ID, I_COUNT };
    static const field_set fields = {
        {AT(RR_KEY_SOURCE, I_SOURCE), AT(RR_KEY_ID, I_ID), AT(RR_KEY_ADDS, I_ADDS),
         AT(RR_KEY_TEXTS, I_TEXTS), AT(RR_KEY_ATTRIBUTES, I_ATTRS), AT(RR_KEY_REMOVES, I_REMOVES)}};
    uint32_t m[I_COUNT];
    bool repeated = members_repeat(w, data, &fields, I_COUNT, m);
    uint32_t source;
    if (repeated || !as_uint(w, m[I_SOURCE], &source) || source > MAX_SOURCE) {
        w->scan.findings->count[MASKER_SHAPE]++;
        return mask_whole(w, data, MASK_TEXT);
    }
    if (source == SOURCE_INPUT)
        return input_event(w, data, m[I_ID]);
    if (source == SOURCE_CANVAS)
        return canvas_mutation(w, data, m[I_ID]);
    if (SOURCES_WITHOUT_TEXT >> source & 1)
        return mask_strings_in(w, data);
    if (source != SOURCE_MUTATION) /* style sheets, fonts, console lines, custom elements */
        return mask_members_not_named(w, data, SOURCE_MEMBERS[source]);
    /* flags first, whatever the order in the event: content added under a
     * node that becomes sensitive in the same event is masked */
    int err = VEIL_OK;
    bool attrs = list_ok(w, m[I_ATTRS]);
    if (attrs)
        mutation_flags(w, m[I_ATTRS]);
    const json_tok *t = w->tape->tok;
    if (is_kind(w, m[I_REMOVES], TOK_ARR) && t[m[I_REMOVES]].end > m[I_REMOVES] + 1 &&
        is_kind(w, m[I_ADDS], TOK_ARR) && t[m[I_ADDS]].end > m[I_ADDS] + 1)
        note_replaced(w, m[I_REMOVES]); /* both lists hold something */
    if (list_ok(w, m[I_ADDS]))
        err = mutation_adds(w, m[I_ADDS]);
    w->replaced.n = 0;
    w->n_pending = 0; /* the changes to nodes this event adds are theirs now */
    w->pending_overflow = false;
    if (!err && list_ok(w, m[I_TEXTS]))
        err = mutation_texts(w, m[I_TEXTS]);
    if (!err && attrs)
        err = mutation_attributes(w, m[I_ATTRS]);
    /* beside the four lists rrweb writes only isAttachIframe: true or false */
    static const field_set lists = {{AT(RR_KEY_SOURCE, I_SOURCE), AT(RR_KEY_ADDS, I_ADDS),
                                     AT(RR_KEY_TEXTS, I_TEXTS), AT(RR_KEY_ATTRIBUTES, I_ATTRS)}};
    if (!err && has_unread(w, data, m, I_REMOVES + 1))
        err = mask_unread(w, data, &lists); /* removes among them */
    else if (!err && m[I_REMOVES])
        err = mask_strings_in(w, m[I_REMOVES]); /* rrweb writes numbers in it */
    return err;
}

/* ---- events --------------------------------------------------------------------- */

/* A page address (Meta href, the snippet's veil-url event): the page policy
 * follows it. Read decoded, so an escaped "\/checkout" is "/checkout". */
static void navigate(walk *w, uint32_t url)
{
    text_view v;
    if (!is_kind(w, url, TOK_STR) ||
        text_view_of(w->scan.scratch, w->scan.json, &w->tape->tok[url], &v))
        return;
    session_set_url(w->s, (const char *)v.s, v.n);
    text_view_done(w->scan.scratch, &v);
    forget_states(w); /* inherit() reads the page's policy */
    w->scan.findings->pages++;
}

/* The URL in a navigation payload written as an object, as a site's own
 * code may send it: its last "href", else "url", "location", "pathname" or
 * "path" (relative to the page, read as such), else 0. */
static uint32_t url_member(walk *w, uint32_t payload)
{
    static const char *const names[] = {"href", "url", "location", "pathname", "path"};
    uint32_t v = 0;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && !v; k++)
        v = member(w, payload, names[k]);
    return v;
}

/* The custom event the snippet sends when a single-page app changes URL. */
#define VEIL_URL_TAG "veil-url"

static int walk_events(walk *w, uint32_t events);

/* The event types rrweb writes: 0 DomContentLoaded ... 6 Plugin, 7 Asset. */
#define MAX_EVENT_TYPE 7

/* The members of each event type's data (but an incremental event's), as
 * rrweb writes them: any other is masked. */
static const char *const *const EVENT_DATA_MEMBERS[MAX_EVENT_TYPE + 1] = {
    (const char *const[]){NULL}, /* DomContentLoaded and Load: {} */
    (const char *const[]){NULL},
    (const char *const[]){"node", "initialOffset", NULL},
    NULL, /* incremental: by source, in incremental() */
    (const char *const[]){"href", "width", "height", NULL},
    (const char *const[]){"tag", "payload", NULL},
    (const char *const[]){"plugin", "payload", NULL},
    (const char *const[]){"url", "payload", "timestamp", "failed", NULL},
};

/* A wire batch's members as ingest receives and stores it; any other (a
 * snippet's own "user" beside its events) is masked. */
static const char *const BATCH_MEMBERS[] = {"t", "seq", "events", NULL};

/*
 * An object without a type where an event belongs: every member masked but
 * a numeric timestamp, which a replay sorts all events by (a string there
 * would put the others out of order). The sweep still scans it.
 */
static int mask_unread_event(walk *w, uint32_t ev)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    if (!is_kind(w, ev, TOK_OBJ)) /* true, false or null: nothing to mask */
        return VEIL_OK;
    for (uint32_t k = ev + 1; k < t[ev].end && !err; k = tok_after(t, k))
        if (t[k].kind != TOK_NUM || t[k].key != RR_KEY_TIMESTAMP)
            err = mask_whole(w, k, MASK_TEXT);
    return err;
}

/* Masks what an asset's payload holds but the names of its shape (rrweb's
 * "rr_type" and the MIME "type"): the replay still reads a picture, and it
 * draws nothing. */
static int mask_asset(walk *w, uint32_t v, int depth)
{
    const json_tok *t = w->tape->tok;
    if (!v || t[v].kind > TOK_ARR || depth > 8) /* not an object or an array, or too deep */
        return mask_whole(w, v, MASK_VALUE);
    int err = VEIL_OK;
    for (uint32_t k = v + 1; k < t[v].end && !err; k = tok_after(t, k)) {
        bool shape = t[v].kind == TOK_OBJ && t[k].kind == TOK_STR &&
                     (key_is(w, &t[k], "rr_type", 7) || key_is(w, &t[k], "type", 4));
        if (!shape)
            err = mask_asset(w, k, depth + 1);
    }
    return err;
}

/*
 * An asset event (rrweb 2.x's captureAssets): what a URL a page shows
 * holds, sent once beside the nodes that show it ({"url": "blob:...",
 * "payload": {"rr_type": "Blob", "data": [{"base64": ...}]}}). A
 * sensitive element's picture (an uploaded ID, a cheque's scan) is masked
 * there as its text is in the page; other assets are read by pattern.
 */
static int asset(walk *w, uint32_t data)
{
    uint32_t url = member(w, data, "url");
    if (!is_kind(w, url, TOK_STR) || !sensitive_url(w, url, false))
        return VEIL_OK;
    return mask_asset(w, member(w, data, "payload"), 0);
}

static int walk_event(walk *w, uint32_t ev)
{
    enum { E_TYPE, E_DATA, E_EVENTS, E_TIMESTAMP, E_COUNT };
    if (is_kind(w, ev, TOK_STR) || is_kind(w, ev, TOK_NUM)) {
        /* not an event: an event packed by @rrweb/packer (zlib in a string)
         * or encoded some other way holds everything the walk would mask */
        w->scan.findings->count[MASKER_SHAPE]++;
        return mask_whole(w, ev, MASK_VALUE);
    }
    static const field_set fields = {{AT(RR_KEY_TYPE, E_TYPE), AT(RR_KEY_DATA, E_DATA),
                                      AT(RR_KEY_EVENTS, E_EVENTS),
                                      AT(RR_KEY_TIMESTAMP, E_TIMESTAMP)}};
    uint32_t m[E_COUNT], type, repeats = w->repeats;
    forget_labels(w);
    bool other_members;
    members_counted(w, ev, &fields, E_COUNT, m, NULL, &other_members);
    bool repeated = w->repeats != repeats;
    int err = VEIL_OK;
    if (m[E_EVENTS] && !is_kind(w, m[E_EVENTS], TOK_ARR)) {
        /* a batch's events as a string or an object: not walked, so masked */
        w->scan.findings->count[MASKER_SHAPE]++;
        err = mask_whole(w, m[E_EVENTS], MASK_TEXT);
    } else if (m[E_EVENTS]) {
        err = walk_events(w, m[E_EVENTS]); /* a batch's events, or events inside an event */
    }
    if (err)
        return err;
    if (!m[E_TYPE]) {
        /* A wire batch ({"t":"batch","seq":N,"events":[...]}) has no type:
         * its events are walked, and a "data" or any member of its own
         * beside them masked. Anything else without a type is nothing a
         * replay reads and nothing the walk can: an input event that lost
         * its type keeps its text otherwise. */
        if (!m[E_EVENTS]) {
            w->scan.findings->count[MASKER_SHAPE]++;
            return mask_unread_event(w, ev);
        }
        if (m[E_DATA])
            w->scan.findings->count[MASKER_SHAPE]++;
        err = mask_whole(w, m[E_DATA], MASK_TEXT);
        return err ? err : mask_members_not_named(w, ev, BATCH_MEMBERS);
    }
    w->scan.findings->events++;
    uint32_t data = m[E_DATA];
    if (repeated || !as_uint(w, m[E_TYPE], &type) || type > MAX_EVENT_TYPE ||
        (data && !is_kind(w, data, TOK_OBJ))) {
        w->scan.findings->count[MASKER_SHAPE]++;
        return mask_whole(w, data, MASK_TEXT); /* rrweb never writes it: masked whole */
    }
    /* beside type, data and timestamp (a number) rrweb writes nothing */
    if (other_members && (err = mask_unread(w, ev, &fields)))
        return err;
    if (m[E_TIMESTAMP] && !is_kind(w, m[E_TIMESTAMP], TOK_NUM) &&
        (err = mask_strings_in(w, m[E_TIMESTAMP])))
        return err;
    if (type == 3) /* nearly every event */
        return incremental(w, data);
    if ((err = mask_members_not_named(w, data, EVENT_DATA_MEMBERS[type])))
        return err;
    static const field_set meta = {
        {AT(RR_KEY_HREF, 0), AT(RR_KEY_NODE, 1), AT(RR_KEY_TAG, 2), AT(RR_KEY_PAYLOAD, 3)}};
    uint32_t d[4];
    members(w, data, &meta, 4, d);
    switch (type) {
    case 7: /* Asset: the bytes behind a URL; a sensitive element's are masked */
        return asset(w, data);
    case 4: /* Meta: a new page, maybe another page policy */
        navigate(w, d[0]);
        return VEIL_OK;
    case 5: /* Custom: the snippet's single-page-app navigation */
        if (string_is(w, d[2], VEIL_URL_TAG))
            navigate(w, is_kind(w, d[3], TOK_OBJ) ? url_member(w, d[3]) : d[3]);
        return VEIL_OK;
    case 2: /* FullSnapshot: the page is serialized again from here */
        nodes_renumbered(&w->s->nodes);
        forget_states(w);
        memset(w->s->number_texts, 0, sizeof w->s->number_texts);
        w->s->next_number_text = 0;
        err = walk_node(w, d[1], 0, 0, 0);
        return err ? err : chain_flush(w);
    }
    return VEIL_OK;
}

/* An array of events; an array inside it is read as one too (a tool that
 * sends batches of batches), so no event escapes the walk by nesting. */
static int walk_events(walk *w, uint32_t events)
{
    const json_tok *t = w->tape->tok;
    if (!is_kind(w, events, TOK_ARR))
        return VEIL_OK;
    int err = VEIL_OK;
    for (uint32_t e = events + 1; e < t[events].end && !err; e = tok_after(t, e))
        err = t[e].kind == TOK_ARR ? walk_events(w, e) : walk_event(w, e);
    return err;
}

/* Values whose key names a secret, anywhere in the batch: masked whole. */
static int mask_named_secrets(walk *w)
{
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->secrets.n && !err; k++) {
        uint32_t v = w->tape->secrets.v[k];
        if (!(w->tape->tok[v].flags & TOK_F_VISITED))
            w->scan.findings->count[MASKER_SECRET]++;
        err = mask_whole(w, v, MASK_VALUE);
    }
    return err;
}

/* Whether token i is a string that names a secret (read with its escapes
 * undone). */
static bool names_secret(const walk *w, uint32_t i)
{
    const json_tok *t = &w->tape->tok[i];
    return t->kind == TOK_STR && value_name_like(w->scan.json + t->start, t->len);
}

/* Whether token i is the value member of a pair (pair_value_key()). */
static bool pair_value(const walk *w, uint32_t i)
{
    const json_tok *t = &w->tape->tok[i];
    if (t->key == RR_KEY_VALUE || t->key == RR_KEY_TEXT)
        return true;
    char buf[8];
    size_t n;
    const char *name = t->key == RR_KEY_OTHER ? key_name(w, t, buf, sizeof buf, &n) : NULL;
    return name && pair_value_key(name, n);
}

/* Whether object obj (0: none) has a value member not yet masked. */
static bool holds_pair_value(const walk *w, uint32_t obj)
{
    const json_tok *t = w->tape->tok;
    for (uint32_t i = obj + 1; obj && i < t[obj].end; i = tok_after(t, i))
        if (!(t[i].flags & TOK_F_VISITED) && pair_value(w, i))
            return true;
    return false;
}

/* Masks the value members of object obj, whatever they hold: the name
 * beside them means a secret. */
static int mask_pair_values(walk *w, uint32_t obj)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t i = obj + 1; obj && i < t[obj].end && !err; i = tok_after(t, i)) {
        if ((t[i].flags & TOK_F_VISITED) || !pair_value(w, i))
            continue;
        w->scan.findings->count[MASKER_SECRET]++;
        err = mask_whole(w, i, MASK_VALUE);
    }
    return err;
}

/*
 * Name and value pairs whose name means a secret: jQuery's serializeArray()
 * and HAR write form fields and headers as {"name": "password", "value":
 * "..."}, API clients and form builders as {"key": "password", "value":
 * ...} ("field", "header", "param", "label" too), a form's fields dumped
 * as {"id": "f2", "type": "password", "value": ...}, a JSON Patch as
 * {"op": "replace", "path": "/password", "value": ...}. The value beside such
 * a name is masked whole, wherever it is. "name" values were read by the
 * tokenizer; the others are read here, and only beside a value: nearly
 * every "id" and "type" is an element's attribute.
 */
static int mask_named_pairs(walk *w)
{
    const json_tape *tape = w->tape;
    int err = VEIL_OK;
    for (uint32_t k = 0; k < tape->secret_names.n && !err; k++)
        err = mask_pair_values(w, enclosing_object(w, tape->secret_names.v[k]));
    for (uint32_t k = 0; k < tape->pair_names.n && !err; k++) {
        uint32_t obj = enclosing_object(w, tape->pair_names.v[k]);
        if (holds_pair_value(w, obj) && names_secret(w, tape->pair_names.v[k]))
            err = mask_pair_values(w, obj);
    }
    return err;
}

/* Whether object obj (0: none) has a member named one of the siblings
 * `sibling` names, in any case, whose value passes its test if it has
 * one (a string, read with its escapes undone). */
static bool has_sibling(walk *w, uint32_t obj, const sibling_secret *sibling)
{
    const json_tok *t = w->tape->tok;
    for (uint32_t i = obj + 1; obj && i < t[obj].end; i = tok_after(t, i)) {
        char buf[32];
        size_t n;
        const char *name = key_name(w, &t[i], buf, sizeof buf, &n);
        for (size_t k = 0; sibling->siblings[k]; k++) {
            if (!ascii_word_is(name, n, sibling->siblings[k]))
                continue;
            if (!sibling->says)
                return true;
            text_view value = {0};
            bool says = t[i].kind == TOK_STR &&
                        !text_view_of(w->scan.scratch, w->scan.json, &t[i], &value) &&
                        sibling->says((const char *)value.s, value.n);
            text_view_done(w->scan.scratch, &value);
            if (says)
                return true;
        }
    }
    return false;
}

/* Members that hold a secret beside a sibling of certain names
 * (sibling_secret_of(): an OAuth "code" beside its "state", a security
 * question's "answer" beside its "question", a remote call's "params"
 * beside a "method" that signs in), as a payload or a request body parsed
 * by a network plugin carries them: masked whole. */
static int mask_sibling_secrets(walk *w)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->sibling_named.n && !err; k++) {
        uint32_t v = w->tape->sibling_named.v[k];
        char buf[32];
        size_t n;
        const char *name = key_name(w, &t[v], buf, sizeof buf, &n);
        const sibling_secret *sibling = sibling_secret_of(name, n);
        if ((t[v].flags & TOK_F_VISITED) || !sibling ||
            !has_sibling(w, enclosing_object(w, v), sibling))
            continue;
        w->scan.findings->count[MASKER_SECRET]++;
        err = mask_whole(w, v, MASK_VALUE);
    }
    return err;
}

/*
 * Items of a short list (2-6 strings or numbers) after one that names a
 * secret: fetch() takes headers, and URLSearchParams gives its parameters,
 * as two-item lists ([["X-Api-Key", "..."], ...]); rrweb's console plugin
 * writes console.log("login", "password", pw) as a list of its arguments.
 * The item after the name is masked whole.
 */
static int mask_named_entries(walk *w)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->short_lists.n && !err; k++) {
        uint32_t list = w->tape->short_lists.v[k];
        if (t[list].kind != TOK_ARR) /* an object's groups of digits name nothing */
            continue;
        for (uint32_t name = list + 1; name + 1 < t[list].end && !err; name++) {
            uint32_t value = name + 1;
            if ((t[value].flags & TOK_F_VISITED) || !names_secret(w, name))
                continue;
            w->scan.findings->count[MASKER_SECRET]++;
            err = mask_whole(w, value, MASK_VALUE);
        }
    }
    return err;
}

/*
 * Appends the digits of value v (a string or number of digits, blanks and
 * dashes, up to 19 in all) to digits[*n], as values 0-9; false when v
 * holds anything else.
 */
static bool group_digits(walk *w, uint32_t v, uint8_t *digits, size_t *n)
{
    const json_tok *t = &w->tape->tok[v];
    const uint8_t *s = (const uint8_t *)w->scan.json + t->start;
    size_t len = 0;
    text_view tv = {0};
    if (t->kind == TOK_NUM) { /* its len may hold its value */
        while (s[len] >= '0' && s[len] <= '9')
            len++;
    } else if (text_view_of(w->scan.scratch, w->scan.json, t, &tv) == VEIL_OK) {
        s = tv.s;
        len = tv.n;
    }
    bool ok = len > 0;
    for (size_t i = 0; i < len && ok; i++) {
        if (s[i] >= '0' && s[i] <= '9' && *n < 19)
            digits[(*n)++] = (uint8_t)(s[i] - '0');
        else
            ok = s[i] == ' ' || s[i] == '-';
    }
    text_view_done(w->scan.scratch, &tv);
    return ok;
}

enum { MEMBER_GROUPS = 6 };

/* Whether v may be one group of a card's digits as the boxes of a form
 * send them, a member each, not masked yet: an integer of 3-19 digits, as
 * boxes of type number give it, or a string of 3-36 bytes that starts
 * with a digit, of ASCII, of another script ("４１１１") or escaped
 * ("\u0034111"). A glance: group_digits() reads the digits. */
static bool group_value(const walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    const char *s = w->scan.json + t->start;
    if (t->flags & TOK_F_VISITED)
        return false;
    if (t->kind == TOK_NUM) { /* its len may hold its value */
        size_t n = 0;
        while (s[n] >= '0' && s[n] <= '9')
            n++;
        return n >= 3 && n <= 19 && s[n] != '.' && s[n] != 'e' && s[n] != 'E';
    }
    unsigned char first = (unsigned char)s[0];
    return t->kind == TOK_STR && t->len >= 3 && t->len <= 36 &&
           ((unsigned char)(first - '0') <= 9 || first == '\\' || first >= 0xc2);
}

/* Masks the card that the groups of digits of values run[0, n) spell, read
 * one after another; false when they spell none. */
static bool mask_card_in_groups(walk *w, const uint32_t *run, size_t n, int *err)
{
    uint8_t digits[19] = {0};
    size_t len = 0;
    bool groups = true;
    for (size_t g = 0; g < n && groups; g++)
        groups = group_digits(w, run[g], digits, &len);
    if (!groups || !card_number_ok(digits, len))
        return false;
    w->scan.findings->count[MASKER_CARD_ELSEWHERE]++;
    for (size_t g = 0; g < n && !*err; g++)
        *err = mask_whole(w, run[g], MASK_TEXT);
    return true;
}

/* The members of object obj from member i on, up to MEMBER_GROUPS, that
 * are groups of digits named by one stem and an index ("cc1", "cc2", ...),
 * into run: how many. */
static size_t indexed_groups_from(const walk *w, uint32_t obj, uint32_t i, uint32_t *run)
{
    const json_tok *t = w->tape->tok;
    char first_buf[32], buf[32];
    size_t first_len, len, n = 0;
    const char *first = key_name(w, &t[i], first_buf, sizeof first_buf, &first_len);
    for (uint32_t k = i; k < t[obj].end && n < MEMBER_GROUPS && group_value(w, k);
         k = tok_after(t, k)) {
        const char *name = key_name(w, &t[k], buf, sizeof buf, &len);
        if (k != i && !indexed_names(first, first_len, name, len))
            break;
        run[n++] = k;
    }
    return n;
}

/* A card typed across boxes and serialized with the rest of its form as
 * members of their own, one group each ({"name": ..., "cc1": "4111",
 * "cc2": "1111", ...}): the longest run of 2-6 such members from each
 * member that reads as a card is masked. */
static int mask_cards_in_members(walk *w, uint32_t obj)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    for (uint32_t i = obj + 1; i < t[obj].end && !err; i = tok_after(t, i)) {
        uint32_t run[MEMBER_GROUPS];
        size_t n = group_value(w, i) ? indexed_groups_from(w, obj, i, run) : 0;
        while (n >= 2 && !mask_card_in_groups(w, run, n, &err))
            n--;
        if (n >= 2)
            i = run[n - 1];
    }
    return err;
}

enum { RUN_TEXT_MOST = 40 }; /* a card's 19 digits and a blank between each */

/* A list item's text without the one pair of quotes around it that the
 * console plugin writes, each argument being JSON ("\"4111\""), or a
 * script's print of a list ('4111'). */
static void drop_quotes(const uint8_t **s, size_t *len)
{
    if (*len >= 3 && ((*s)[0] == '"' || (*s)[0] == '\'') && (*s)[*len - 1] == (*s)[0])
        ++*s, *len -= 2;
}

/* Item k of a list as a card's groups print: its digit groups, one blank
 * between them, into out (RUN_TEXT_MOST bytes); how many bytes, or 0 when
 * it is no group. A group is a string not read yet of digits, blanks and
 * dashes, maybe quoted (drop_quotes()), or with `numbers`, an integer of
 * 3-19 digits (group_value()). */
static size_t item_groups(walk *w, uint32_t k, bool numbers, uint8_t *out)
{
    const json_tok *t = &w->tape->tok[k];
    text_view tv = {0};
    if (t->kind == TOK_NUM ? !numbers || !group_value(w, k)
                           : t->kind != TOK_STR || (t->flags & TOK_F_VISITED) || t->len > 48 ||
                                 text_view_of(w->scan.scratch, w->scan.json, t, &tv))
        return 0;
    const uint8_t *s = t->kind == TOK_NUM ? (const uint8_t *)w->scan.json + t->start : tv.s;
    size_t len = t->kind == TOK_NUM ? strspn((const char *)s, "0123456789") : tv.n, n = 0;
    drop_quotes(&s, &len);
    bool ok = len > 0, gap = false;
    for (size_t i = 0; i < len && ok; i++) {
        if (s[i] == ' ' || s[i] == '-') {
            gap = n > 0;
        } else if ((ok = s[i] >= '0' && s[i] <= '9' && n + 2 < RUN_TEXT_MOST)) {
            if (gap)
                out[n++] = ' ';
            out[n++] = s[i];
            gap = false;
        }
    }
    text_view_done(w->scan.scratch, &tv);
    return ok ? n : 0;
}

/* Masks the items of list [from, to) when, read one after another, they
 * are a card's groups (card_in_groups()). */
static int mask_card_in_items(walk *w, const uint32_t *item, const uint8_t (*text)[RUN_TEXT_MOST],
                              const size_t *len, size_t from, size_t to)
{
    uint8_t run[2 * RUN_TEXT_MOST];
    size_t n = 0;
    for (size_t i = from; i < to && n <= RUN_TEXT_MOST; i++) {
        if (n)
            run[n++] = ' ';
        memcpy(run + n, text[i], len[i]);
        n += len[i];
    }
    bool card = to - from >= 2 && n <= RUN_TEXT_MOST && card_in_groups(run, n);
    sodium_memzero(run, sizeof run); /* unmasked input */
    if (!card)
        return VEIL_OK;
    w->scan.findings->count[MASKER_CARD_ELSEWHERE]++;
    int err = VEIL_OK;
    for (size_t i = from; i < to && !err; i++)
        err = mask_whole(w, item[i], MASK_TEXT);
    return err;
}

enum { IBAN_ITEM_MOST = 34 }; /* an IBAN's characters */

static bool ascii_letter(uint8_t ch)
{
    return (unsigned)((ch | 0x20) - 'a') < 26;
}

static bool ascii_digit(uint8_t ch)
{
    return (unsigned)(ch - '0') < 10;
}

/* Appends to j the text of list item k when it may be part of an IBAN (a
 * string of letters, digits, blanks and dashes, maybe quoted), else a mark
 * that no IBAN reads across; each byte's item is noted in owner. */
static void join_iban_item(walk *w, uint32_t k, uint8_t index, uint8_t *j, uint8_t *owner,
                           size_t *n)
{
    const json_tok *t = &w->tape->tok[k];
    text_view tv = {0};
    size_t len = 0, at = *n;
    bool ok = t->kind == TOK_STR && !(t->flags & TOK_F_VISITED) && t->len <= 2 * IBAN_ITEM_MOST &&
              !text_view_of(w->scan.scratch, w->scan.json, t, &tv);
    const uint8_t *s = tv.s;
    if (ok)
        len = tv.n, drop_quotes(&s, &len);
    ok &= len > 0 && len <= IBAN_ITEM_MOST;
    for (size_t i = 0; i < len && ok; i++)
        ok = ascii_letter(s[i]) || ascii_digit(s[i]) || s[i] == ' ' || s[i] == '-';
    if (at) /* the blank between two items: the one before's */
        j[at] = ' ', owner[at++] = (uint8_t)(index - 1);
    if (ok)
        memcpy(j + at, s, len);
    else
        j[at] = '|', len = 1;
    memset(owner + at, index, len);
    *n = at + len;
    text_view_done(w->scan.scratch, &tv);
}

/* Whether a string item's raw bytes start as an IBAN does, past a quote
 * (escaped or not): two letters and a digit ("DE89", "\"DE89"). */
static bool starts_like_iban(const walk *w, const json_tok *t)
{
    const uint8_t *s = (const uint8_t *)w->scan.json + t->start;
    size_t skip = t->len > 2 && s[0] == '\\' && s[1] == '"' ? 2 : t->len > 0 && s[0] == '\'';
    return t->kind == TOK_STR && t->len >= skip + 3 && ascii_letter(s[skip]) &&
           ascii_letter(s[skip + 1]) && ascii_digit(s[skip + 2]);
}

/* An IBAN spread over the items of list `list` (console.log("iban", "DE89",
 * "3704", ...)): each item it takes masked, as a card's are. */
static int mask_iban_in_items(walk *w, uint32_t list)
{
    const json_tok *t = w->tape->tok;
    uint8_t j[SHORT_LIST_MOST * (IBAN_ITEM_MOST + 1)], owner[sizeof j];
    size_t n = 0;
    uint8_t items = 0;
    bool head = false;
    for (uint32_t k = list + 1; k < t[list].end && !head; k++)
        head = starts_like_iban(w, &t[k]);
    if (!head)
        return VEIL_OK;
    for (uint32_t k = list + 1; k < t[list].end && items < SHORT_LIST_MOST; k++, items++)
        join_iban_item(w, k, items, j, owner, &n);
    text_view jv = {.s = j, .n = n};
    int err = VEIL_OK;
    for (size_t i = 0, end; i + 2 < n && !err; i++) {
        if ((i && owner[i - 1] == owner[i]) || !(end = detect_iban_end(&jv, i + 2)) ||
            owner[end - 1] == owner[i])
            continue; /* not an item's start, no IBAN, or one in an item alone: the sweep's */
        w->scan.findings->count[MASKER_SECRET]++;
        for (uint8_t m = owner[i]; m <= owner[end - 1] && !err; m++)
            err = mask_whole(w, list + 1 + m, MASK_TEXT);
        i = end;
    }
    sodium_memzero(j, sizeof j); /* unmasked input */
    return err;
}

/*
 * Short lists (2 to SHORT_LIST_MOST strings or numbers) holding a run of
 * groups of digits, between two other items or the list's ends, that is a
 * card: the groups a form's boxes give ("cardParts": ["4111", "1111",
 * "1111", "1111"]), a digit an item, or the console plugin's arguments
 * (console.log("card", "4111", ...) records ["\"card\"", "\"4111\"",
 * ...]): each item of the run masked. Integers count only in a list of up
 * to MEMBER_GROUPS: a longer list of numbers is a canvas call's or a
 * chart's. In the objects listed with them, members that are a card's
 * groups (above).
 */
static int mask_cards_in_lists(walk *w)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    uint32_t item[SHORT_LIST_MOST];
    uint8_t text[SHORT_LIST_MOST][RUN_TEXT_MOST];
    size_t len[SHORT_LIST_MOST];
    for (uint32_t k = 0; k < w->tape->short_lists.n && !err; k++) {
        uint32_t list = w->tape->short_lists.v[k];
        if (t[list].kind == TOK_OBJ) {
            err = mask_cards_in_members(w, list);
            continue;
        }
        bool numbers = t[list].end - list - 1 <= MEMBER_GROUPS;
        size_t n = 0;
        for (uint32_t i = list + 1; i < t[list].end && n < SHORT_LIST_MOST; i++, n++)
            len[n] = item_groups(w, item[n] = i, numbers, text[n]);
        for (size_t from = 0, to; from < n && !err; from = to + 1) {
            for (to = from; to < n && len[to]; to++)
                ;
            err = mask_card_in_items(w, item, (const uint8_t(*)[RUN_TEXT_MOST])text, len, from, to);
        }
        sodium_memzero(text, sizeof text); /* unmasked input */
        if (!err)
            err = mask_iban_in_items(w, list);
    }
    return err;
}

/* The digits value v holds, a string or number of any script (0 for any
 * other value, or when there is no memory to read it: the sweep still does). */
static size_t digits_in(walk *w, uint32_t v)
{
    const json_tok *t = &w->tape->tok[v];
    size_t digits = 0;
    text_view tv;
    if (t->kind == TOK_NUM) { /* ASCII; its len may hold its value */
        for (const char *p = w->scan.json + t->start; *p && strchr("0123456789.eE+-", *p); p++)
            digits += *p >= '0' && *p <= '9';
    } else if (t->kind == TOK_STR && !text_view_of(w->scan.scratch, w->scan.json, t, &tv)) {
        for (size_t i = 0; i < tv.n; i++)
            digits += tv.s[i] >= '0' && tv.s[i] <= '9';
        text_view_done(w->scan.scratch, &tv);
    }
    return digits;
}

/* A value named like a phone: masked whole when it holds 7 digits or more;
 * in a list or an object ("phones": [...]), each member so. */
static int mask_phone_value(walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    if (t[v].kind <= TOK_ARR) {
        for (uint32_t k = v + 1; k < t[v].end && !err; k = tok_after(t, k))
            err = mask_phone_value(w, k);
    } else if (!(t[v].flags & TOK_F_VISITED) && digits_in(w, v) >= 7) {
        w->scan.findings->count[MASKER_PHONE]++;
        err = mask_whole(w, v, MASK_TEXT);
    }
    return err;
}

/* Values whose key names an email or a phone ("phone": "5552345678", an
 * analytics identify() call's traits), unless the page records PII: no
 * pattern tells a phone written without separators from an order number. */
static int mask_named_phones(walk *w)
{
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->phones.n && !err && !w->scan.policy->record_pii; k++)
        err = mask_phone_value(w, w->tape->phones.v[k]);
    return err;
}

/* A value named like an IP address ("ip": 3405803971, "client_ip":
 * "0xcb0071c3", as stores that keep addresses as integers send them): kept
 * as the policy keeps an address; in a list or an object, each member so.
 * A dotted one is the sweep's. */
static int mask_ip_value(walk *w, uint32_t v)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    bool masked;
    if (t[v].kind <= TOK_ARR) {
        for (uint32_t k = v + 1; k < t[v].end && !err; k = tok_after(t, k))
            err = mask_ip_value(w, k);
    } else if (!(t[v].flags & TOK_F_VISITED) &&
               !(err = detect_mask_ip_integer(&w->scan, &t[v], &masked)) && masked) {
        mark(w, v);
    }
    return err;
}

static int mask_named_ips(walk *w)
{
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->ip_named.n && !err; k++)
        err = mask_ip_value(w, w->tape->ip_named.v[k]);
    return err;
}

/* Whether textContent token k is a comment's or CDATA's: its node's type,
 * a member beside it, is 4 or 5. */
static bool comment_text(const walk *w, uint32_t k)
{
    uint32_t type;
    for (uint32_t m = k - 1; m <= k + 1; m += 2)
        if (m < w->tape->n && w->tape->tok[m].key == RR_KEY_TYPE && as_uint(w, m, &type))
            return type == 4 || type == 5;
    return false;
}

/*
 * The text node values next to text node `at` in the page, through inline
 * elements only (<span>, <b>, <wbr>...), read on the tape: the JSON of a
 * snapshot or of a subtree added whole lists them in page order, within
 * one entry of a mutation's adds. Up to
 * `most` of them before it (step -1) or after it (+1), into parts from the
 * end or the start.
 */
static size_t texts_beside(const walk *w, uint32_t at, int step, text_part *parts, size_t most)
{
    enum { LOOK = 96 };
    const json_tok *t = w->tape->tok;
    size_t n = 0;
    for (uint32_t k = at + (uint32_t)step, seen = 0;
         k > 0 && k < w->tape->n && seen < LOOK && n < most; k += (uint32_t)step, seen++) {
        if (t[k].key == RR_KEY_NODE || t[k].key == RR_KEY_PARENT_ID)
            break; /* another entry of a mutation's adds: read in page order (chain_adds()) */
        if (t[k].kind != TOK_STR)
            continue;
        uint8_t form = t[k].key == RR_KEY_TAG_NAME ? tag_form(w, k) : FORM_INLINE;
        if (!form_inline(form))
            break;
        if (t[k].key != RR_KEY_TEXT_CONTENT || comment_text(w, k))
            continue; /* a comment (React's <!-- --> between texts) shows nothing */
        if (t[k].flags & TOK_F_MASKED)
            break; /* masked as a field's: not page text (a recorded box's, scanned, is) */
        uint8_t kind = t[k].len <= SHORT_PART ? TEXT_PART_WHOLE
                       : step < 0             ? TEXT_PART_TAIL /* a long text: its end */
                                              : TEXT_PART_HEAD;
        parts[step < 0 ? most - 1 - n : n] = (text_part){&t[k], kind};
        n++;
    }
    return n;
}

/*
 * Emails split over text nodes ("jane.doe<wbr>@example.com",
 * <span>jane</span>@example.com): around each text node with an '@' that
 * the tokenizer listed, its neighbours in the page are joined and read.
 */
static int mask_split_emails(walk *w)
{
    enum { SIDE = 3 };
    const json_tok *t = w->tape->tok;
    uint32_t done_to = 0; /* the parts read so far end here: each is read once */
    int err = VEIL_OK;
    for (uint32_t k = 0; k < w->tape->at_texts.n && !err; k++) {
        uint32_t at = w->tape->at_texts.v[k];
        if (at <= done_to || (t[at].flags & TOK_F_MASKED))
            continue;
        text_part before[SIDE], parts[2 * SIDE + 1];
        size_t nb = texts_beside(w, at, -1, before, SIDE), n = 0;
        for (size_t i = SIDE - nb; i < SIDE; i++)
            if (before[i].tok > &t[done_to])
                parts[n++] = before[i];
        parts[n++] = (text_part){&t[at], TEXT_PART_WHOLE};
        n += texts_beside(w, at, 1, parts + n, SIDE);
        done_to = (uint32_t)(parts[n - 1].tok - t);
        if (n >= 2)
            err = detect_split_emails(&w->scan, parts, n, NULL);
    }
    return err;
}

int walk_batch(masker_session *s, char *json, masker_findings *findings)
{
    added_node added[ADDS_IN_ORDER];   /* not cleared: n_added says how many are read */
    uint32_t typed_later[TYPED_LATER]; /* nor these: n_typed_later */
    walk w = {.s = s,
              .tape = &s->tape,
              .selectors = selector_site_has_atoms(s->site),
              .added = added,
              .typed_later = typed_later};
    session_scan_ctx(s, json, findings, &w.scan);
    const json_tok *t = s->tape.tok;
    const uint32_t root = 1;
    read_labels(&w);
    read_labelledby(&w);
    read_styles(&w);
    w.grid_roles = batch_has_grid_roles(&w);
    /* an array of events; or an object: an event, a wire batch, or both */
    int err = t[root].kind == TOK_ARR ? walk_events(&w, root) : walk_event(&w, root);
    if (!err && w.n_typed_later) /* (each event's last chain has scanned them) */
        err = scan_held_texts(&w);
    /* then what the tokenizer listed anywhere in the batch, events or not */
    static int (*const listed[])(walk *) = {
        mask_named_secrets,  mask_named_pairs,  mask_sibling_secrets,
        mask_cards_in_lists, /* before an item named "pan" masks the first group alone */
        mask_named_entries,  mask_named_phones, mask_named_ips,
        mask_split_emails};
    for (size_t i = 0; i < sizeof listed / sizeof listed[0] && !err; i++)
        err = listed[i](&w);
    return err;
}
