/*
 * walk.c - reads the tape with rrweb's meaning: which strings are input
 * values, which text lies under a sensitive element, which node ids are card
 * or password fields. Nothing here depends on the order of keys inside an
 * object: each object's members are looked up by name on the tape.
 *
 * Strings the walk masks or scans are marked visited; every string it leaves
 * alone is pattern-scanned afterwards (masker.c), so an event shape the walk
 * does not know still gets card, IP and email masking.
 */
#include "internal.h"

#include <string.h>

/* What children of node `id` inherit (see state_above()); id 0: empty. */
typedef struct {
    uint32_t id;
    uint8_t state;
} state_memo;

enum { MEMO_SLOTS = 64 };

typedef struct {
    masker_session *s;
    json_tape *tape; /* the walk sets TOK_F_VISITED */
    scan_ctx scan;
    /* Incremental events name nodes deep in the page, one after another
     * under the same few ancestors: their states are remembered for the
     * batch, and forgotten whenever a known node or the policy changes. */
    state_memo memo[MEMO_SLOTS];
} walk;

/* What the ancestors of a node say about the text and values beneath. */
enum {
    IN_SENSITIVE = 1,     /* under a sensitive, card or password element */
    IN_HOLDER_MASKED = 2, /* under a textarea/select/contenteditable that is masked */
    IN_HOLDER_TYPED = 4,  /* under one whose value is recorded: scan as typed */
    IN_CARD = 8,          /* under a card field (e.g. an expiry <select>) */
    IN_UNKNOWN = 16,      /* an ancestor is not known: fail closed */
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

/* The value of member `name` (the last one, as JSON.parse keeps), or 0.
 * Token 0 is the tape's placeholder, so 0 never names a real value. */
static uint32_t member(const walk *w, uint32_t obj, const char *name)
{
    const json_tok *t = w->tape->tok;
    if (!obj || t[obj].kind != TOK_OBJ)
        return 0;
    uint32_t found = 0;
    size_t n = strlen(name);
    for (uint32_t i = obj + 1; i < t[obj].end; i = tok_after(t, i))
        if (key_is(w, &t[i], name, n))
            found = i;
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

/*
 * Several members in one pass over the object: out[i] gets the value of the
 * field at index i (the last one, as member() does) or 0. The walk reads 2-8
 * fields per object; one pass with a table lookup per key is most of its speed.
 */
static inline __attribute__((always_inline)) void
members(const walk *w, uint32_t obj, const field_set *fields, size_t n, uint32_t *out)
{
    const json_tok *t = w->tape->tok;
    for (size_t f = 0; f < n; f++) /* a loop: memset's call costs more for 2-8 slots */
        out[f] = 0;
    if (!obj || t[obj].kind != TOK_OBJ)
        return;
    const uint32_t end = t[obj].end; /* a local: stores to out[] could alias it */
    for (uint32_t i = obj + 1; i < end; i = tok_after(t, i)) {
        uint8_t key = t[i].key;
        if (key != RR_KEY_OTHER) { /* recognised by the tokenizer */
            if (fields->slot[key])
                out[fields->slot[key] - 1] = i;
        } else if (t[i].flags & TOK_F_KEY_ESCAPED) { /* "t\u0065xt" must not hide a field */
            for (int k = 1; k < RR_KEY_COUNT; k++) {
                const char *name = rr_key_name(k);
                if (fields->slot[k] && key_is(w, &t[i], name, strlen(name))) {
                    out[fields->slot[k] - 1] = i;
                    break;
                }
            }
        }
    }
}

static bool as_uint(const walk *w, uint32_t v, uint32_t *out)
{
    const json_tok *t = &w->tape->tok[v];
    if (!v || t->kind != TOK_NUM || !(t->flags & TOK_F_UINT))
        return false;
    *out = t->uint_value;
    return true;
}

static bool is_string(const walk *w, uint32_t v)
{
    return v && w->tape->tok[v].kind == TOK_STR;
}

/* ---- masking one string -------------------------------------------------- */

/* Marks string v as handled; false when it already was. */
static bool mark(walk *w, uint32_t v)
{
    json_tok *t = &w->tape->tok[v];
    if (t->flags & TOK_F_VISITED)
        return false;
    t->flags |= TOK_F_VISITED;
    return true;
}

static int mask_string(walk *w, uint32_t v, enum field_mask how, bool card_field)
{
    if (!is_string(w, v) || !mark(w, v))
        return VEIL_OK;
    if (card_field) { /* count the card before it disappears */
        w->scan.in_card_field = w->scan.dry_run = true;
        int err = detect_scan_string(&w->scan, &w->tape->tok[v], SCAN_TYPED);
        w->scan.in_card_field = w->scan.dry_run = false;
        if (err)
            return err;
    }
    return detect_mask_field(&w->scan, &w->tape->tok[v], how);
}

static int scan_typed(walk *w, uint32_t v)
{
    if (!is_string(w, v) || !mark(w, v))
        return VEIL_OK;
    return detect_scan_string(&w->scan, &w->tape->tok[v], SCAN_TYPED);
}

/* ---- classifying elements ------------------------------------------------ */

/* The attributes the walk itself reads, found in one pass per element. */
enum {
    A_TYPE,
    A_RR_PASSWORD,
    A_SENSITIVE,
    A_AUTOCOMPLETE,
    A_NAME,
    A_ID,
    A_EDITABLE,
    A_VALUE,
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
    AT(RR_KEY_VALUE, A_VALUE),
}};

typedef struct {
    const walk *w;
    uint32_t attrs;
    uint32_t known[A_COUNT];
} attr_reader;

static void attr_reader_init(attr_reader *r, const walk *w, uint32_t attrs)
{
    r->w = w;
    r->attrs = attrs;
    members(w, attrs, &ATTR_FIELDS, A_COUNT, r->known);
}

/* An attribute's raw value, "" for a non-string value, NULL when absent. */
static const char *attr_value(const attr_reader *r, uint32_t v, size_t *len)
{
    const json_tok *t = &r->w->tape->tok[v];
    if (!v || t->kind == TOK_NULL || t->kind == TOK_FALSE)
        return NULL;
    if (t->kind != TOK_STR) {
        *len = 0;
        return "";
    }
    *len = t->len;
    return r->w->scan.json + t->start;
}

static const char *known_attr(const attr_reader *r, int which, size_t *len)
{
    return attr_value(r, r->known[which], len);
}

/* For selectors, which may name any attribute. */
static const char *read_attr(void *ctx, const char *name, size_t *len)
{
    attr_reader *r = ctx;
    return attr_value(r, member(r->w, r->attrs, name), len);
}

static bool autocomplete_cc(const char *v, size_t len)
{
    for (size_t i = 0; i + 3 <= len; i++)
        if ((i == 0 || v[i - 1] == ' ') && ascii_word_is(v + i, 3, "cc-"))
            return true;
    return false;
}

/* Flags from the attributes the walk knows by name. */
static uint8_t attr_flags(const attr_reader *r)
{
    uint8_t f = 0;
    size_t len;
    const char *v;
    if ((v = known_attr(r, A_TYPE, &len)) && ascii_word_is(v, len, "password"))
        f |= NF_PASSWORD;
    if (known_attr(r, A_RR_PASSWORD, &len))
        f |= NF_PASSWORD;
    if (known_attr(r, A_SENSITIVE, &len))
        f |= NF_SENSITIVE;
    if ((v = known_attr(r, A_AUTOCOMPLETE, &len)) && autocomplete_cc(v, len))
        f |= NF_CARD;
    const json_tok *t = r->w->tape->tok;
    if ((t[r->known[A_NAME]].flags | t[r->known[A_ID]].flags) & TOK_F_CARD_NAME)
        f |= NF_CARD;
    if ((v = known_attr(r, A_EDITABLE, &len)) && !ascii_word_is(v, len, "false"))
        f |= NF_INPUT | NF_HOLDER;
    return f;
}

/* Flags from the tag: form fields hold values a visitor types. */
static uint8_t tag_flags(uint8_t form, const attr_reader *r)
{
    if (form == FORM_TEXTAREA || form == FORM_SELECT)
        return NF_INPUT | NF_HOLDER;
    if (form != FORM_INPUT)
        return 0;
    static const char *const not_typed[] = {"submit", "button",   "reset",
                                            "image",  "checkbox", "radio"};
    size_t len;
    const char *v = known_attr(r, A_TYPE, &len);
    for (size_t i = 0; v && i < sizeof not_typed / sizeof not_typed[0]; i++)
        if (ascii_word_is(v, len, not_typed[i]))
            return 0;
    return NF_INPUT;
}

/*
 * Flags from an element's tag (token `tag`, 0 when unknown) and attributes.
 * The tag's bytes are read only for selectors: the tokenizer already said
 * which form field it names, while those bytes were in cache.
 */
static uint8_t element_flags(walk *w, uint32_t tag, attr_reader *r)
{
    const json_tok *t = &w->tape->tok[tag];
    bool has_tag = tag && t->kind == TOK_STR;
    uint8_t f = tag_flags(has_tag ? t->form : FORM_NONE, r);
    bool named = false; /* most elements carry none of the attributes read here */
    for (int i = 0; i < A_COUNT; i++)
        named |= i != A_VALUE && r->known[i] != 0;
    if (named)
        f |= attr_flags(r);
    const masker_policy *pol = &w->s->policy;
    if (!pol->mask[0] && !pol->mask[1] && !pol->allow[0] && !pol->allow[1])
        return f;
    element_view el = {has_tag ? w->scan.json + t->start : "", has_tag ? t->len : 0, read_attr, r};
    for (int i = 0; i < 2; i++) {
        if (pol->mask[i] && selector_list_match(pol->mask[i], &el))
            f |= NF_SENSITIVE;
        if (pol->allow[i] && selector_list_match(pol->allow[i], &el))
            f |= NF_ALLOW;
    }
    return f;
}

static bool allowed(const walk *w, uint8_t flags)
{
    return (flags & NF_ALLOW) || w->s->policy.record_inputs;
}

/* The state children inherit from an element with these flags. */
static uint8_t inherit(const walk *w, uint8_t state, uint8_t flags)
{
    if (flags & (NF_SENSITIVE | NF_CARD | NF_PASSWORD))
        state |= IN_SENSITIVE;
    if (flags & NF_CARD)
        state |= IN_CARD;
    if (flags & NF_HOLDER)
        state |= allowed(w, flags) ? IN_HOLDER_TYPED : IN_HOLDER_MASKED;
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

/* nodes_set(), forgetting remembered states when a known node changed. */
static int set_node(walk *w, uint32_t id, uint32_t parent, uint8_t flags)
{
    bool changed;
    int rc = nodes_set(&w->s->nodes, id, parent, flags, &changed);
    if (!rc && changed)
        forget_states(w);
    return rc;
}

/* Masks or scans an element's value (attribute or input event text). */
static int element_value(walk *w, uint32_t v, uint8_t flags, uint8_t state)
{
    bool card = (flags & NF_CARD) || (state & IN_CARD);
    if (flags & (NF_CARD | NF_PASSWORD))
        return mask_string(w, v, MASK_FIXED, card);
    if (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN))
        return mask_string(w, v, MASK_VALUE, card);
    if ((flags & NF_INPUT) && !allowed(w, flags))
        return mask_string(w, v, MASK_VALUE, false);
    if ((flags & NF_INPUT) || (state & IN_HOLDER_TYPED))
        return scan_typed(w, v);
    return VEIL_OK; /* left to the pattern sweep */
}

static int text_value(walk *w, uint32_t v, uint8_t state)
{
    if (state & (IN_SENSITIVE | IN_HOLDER_MASKED | IN_UNKNOWN))
        return mask_string(w, v, MASK_TEXT, (state & IN_CARD) != 0);
    if (state & IN_HOLDER_TYPED)
        return scan_typed(w, v);
    return VEIL_OK;
}

/* ---- serialized nodes (full snapshot and mutation adds) ------------------ */

static int walk_node(walk *w, uint32_t node, uint32_t parent, uint8_t state, int depth)
{
    const json_tok *t = w->tape->tok;
    if (!node || t[node].kind != TOK_OBJ || depth > MASKER_MAX_DEPTH)
        return VEIL_OK;
    enum { N_ID, N_TYPE, N_TAG, N_ATTRS, N_TEXT, N_KIDS, N_COUNT };
    static const field_set fields = {{AT(RR_KEY_ID, N_ID), AT(RR_KEY_TYPE, N_TYPE),
                                      AT(RR_KEY_TAG_NAME, N_TAG), AT(RR_KEY_ATTRIBUTES, N_ATTRS),
                                      AT(RR_KEY_TEXT_CONTENT, N_TEXT),
                                      AT(RR_KEY_CHILD_NODES, N_KIDS)}};
    uint32_t m[N_COUNT];
    members(w, node, &fields, N_COUNT, m);
    uint32_t id = 0, type = 0;
    bool has_id = as_uint(w, m[N_ID], &id);
    as_uint(w, m[N_TYPE], &type);
    uint8_t flags = 0;
    int err = VEIL_OK;
    if (type == 2) {
        attr_reader r;
        attr_reader_init(&r, w, m[N_ATTRS]);
        flags = element_flags(w, m[N_TAG], &r);
        if (r.known[A_VALUE])
            err = element_value(w, r.known[A_VALUE], flags, state);
        state = inherit(w, state, flags);
    } else if (state && (type == 3 || type == 4 || type == 5)) {
        err = text_value(w, m[N_TEXT], state); /* text outside any field stays for the sweep */
    }
    /* An id the table cannot hold is forgotten: later events naming it are
     * masked as unknown, so ignoring the failure here fails closed. */
    if (has_id && id)
        (void)set_node(w, id, parent, flags);
    uint32_t kids = m[N_KIDS];
    if (err || !kids || t[kids].kind != TOK_ARR)
        return err;
    for (uint32_t k = kids + 1; k < t[kids].end && !err; k = tok_after(t, k))
        err = walk_node(w, k, has_id ? id : parent, state, depth + 1);
    return err;
}

/* ---- incremental events --------------------------------------------------- */

static void note_unknown(walk *w)
{
    w->scan.findings->count[MASKER_UNKNOWN_ID]++;
}

static int mutation_adds(walk *w, uint32_t adds)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    static const field_set fields = {{AT(RR_KEY_PARENT_ID, 0), AT(RR_KEY_NODE, 1)}};
    for (uint32_t a = adds + 1; a < t[adds].end && !err; a = tok_after(t, a)) {
        uint32_t parent = 0, m[2];
        uint8_t state;
        members(w, a, &fields, 2, m);
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
            }
        }
        err = walk_node(w, m[1], parent, state, 0);
    }
    return err;
}

static int mutation_texts(walk *w, uint32_t texts)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    static const field_set fields = {{AT(RR_KEY_ID, 0), AT(RR_KEY_VALUE, 1)}};
    for (uint32_t x = texts + 1; x < t[texts].end && !err; x = tok_after(t, x)) {
        uint32_t id, parent, m[2];
        uint8_t flags;
        uint8_t state;
        members(w, x, &fields, 2, m);
        if (!as_uint(w, m[0], &id) || !nodes_get(&w->s->nodes, id, &parent, &flags)) {
            note_unknown(w);
            state = IN_UNKNOWN;
        } else {
            state = state_above(w, parent);
        }
        err = text_value(w, m[1], state);
    }
    return err;
}

static int mutation_attributes(walk *w, uint32_t list)
{
    const json_tok *t = w->tape->tok;
    int err = VEIL_OK;
    static const field_set fields = {{AT(RR_KEY_ID, 0), AT(RR_KEY_ATTRIBUTES, 1)}};
    for (uint32_t x = list + 1; x < t[list].end && !err; x = tok_after(t, x)) {
        uint32_t id, parent, m[2];
        uint8_t flags;
        members(w, x, &fields, 2, m);
        attr_reader r;
        attr_reader_init(&r, w, m[1]);
        if (!as_uint(w, m[0], &id) || !nodes_get(&w->s->nodes, id, &parent, &flags)) {
            note_unknown(w);
            err = mask_string(w, r.known[A_VALUE], MASK_VALUE, false);
            continue;
        }
        /* Flags first, whatever the key order: a type change to password
         * in the same object as a value must mask that value. */
        flags |= element_flags(w, 0, &r);
        if (set_node(w, id, parent, flags) != 0)
            note_unknown(w);
        err = element_value(w, r.known[A_VALUE], flags, state_above(w, parent));
    }
    return err;
}

static int input_event(walk *w, uint32_t id_value, uint32_t text)
{
    uint32_t id, parent;
    uint8_t flags;
    if (!as_uint(w, id_value, &id) || !nodes_get(&w->s->nodes, id, &parent, &flags)) {
        note_unknown(w);
        return mask_string(w, text, MASK_VALUE, false);
    }
    return element_value(w, text, flags, state_above(w, parent));
}

static int incremental(walk *w, uint32_t data)
{
    enum { I_SOURCE, I_ID, I_TEXT, I_ADDS, I_TEXTS, I_ATTRS, I_COUNT };
    static const field_set fields = {{AT(RR_KEY_SOURCE, I_SOURCE), AT(RR_KEY_ID, I_ID),
                                      AT(RR_KEY_TEXT, I_TEXT), AT(RR_KEY_ADDS, I_ADDS),
                                      AT(RR_KEY_TEXTS, I_TEXTS), AT(RR_KEY_ATTRIBUTES, I_ATTRS)}};
    uint32_t m[I_COUNT];
    members(w, data, &fields, I_COUNT, m);
    uint32_t source;
    if (!as_uint(w, m[I_SOURCE], &source))
        return VEIL_OK;
    if (source == 5)
        return input_event(w, m[I_ID], m[I_TEXT]);
    if (source != 0)
        return VEIL_OK;
    const json_tok *t = w->tape->tok;
    /* rrweb's replayer applies adds before texts and attributes */
    uint32_t adds = m[I_ADDS], texts = m[I_TEXTS], attrs = m[I_ATTRS];
    int err = VEIL_OK;
    if (adds && t[adds].kind == TOK_ARR)
        err = mutation_adds(w, adds);
    if (!err && texts && t[texts].kind == TOK_ARR)
        err = mutation_texts(w, texts);
    if (!err && attrs && t[attrs].kind == TOK_ARR)
        err = mutation_attributes(w, attrs);
    return err;
}

static int walk_event(walk *w, uint32_t ev)
{
    static const field_set fields = {{AT(RR_KEY_TYPE, 0), AT(RR_KEY_DATA, 1)}};
    uint32_t m[2], type;
    members(w, ev, &fields, 2, m);
    if (!as_uint(w, m[0], &type))
        return VEIL_OK;
    uint32_t data = m[1];
    if (!data || w->tape->tok[data].kind != TOK_OBJ)
        return VEIL_OK;
    if (type == 4) { /* Meta: a new page, maybe another page policy */
        uint32_t href = member(w, data, "href");
        if (is_string(w, href)) {
            session_set_url(w->s, w->scan.json + w->tape->tok[href].start, w->tape->tok[href].len);
            forget_states(w); /* inherit() reads the page's policy */
        }
        return VEIL_OK;
    }
    if (type == 2) { /* FullSnapshot: rrweb renumbers the page from here */
        nodes_clear(&w->s->nodes);
        forget_states(w);
        return walk_node(w, member(w, data, "node"), 0, 0, 0);
    }
    if (type == 3)
        return incremental(w, data);
    return VEIL_OK;
}

int walk_batch(masker_session *s, char *json, masker_findings *findings)
{
    walk w = {.s = s, .tape = &s->tape};
    session_scan_ctx(s, json, findings, &w.scan);
    const json_tok *t = s->tape.tok;
    const uint32_t root = 1;
    uint32_t events = root;
    if (t[root].kind == TOK_OBJ) {
        if (member(&w, root, "type"))
            return walk_event(&w, root);
        events = member(&w, root, "events");
    }
    if (!events || t[events].kind != TOK_ARR)
        return VEIL_OK; /* no events: the sweep still scans every string */
    int err = VEIL_OK;
    for (uint32_t e = events + 1; e < t[events].end && !err; e = tok_after(t, e))
        err = walk_event(&w, e);
    return err;
}
