/*
 * masker.c - sessions and the masking call: tokenise (json.re), walk with
 * rrweb's meaning (walk.c), sweep every remaining string for patterns
 * (detect.c), then assemble the output.
 */
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char *const FINDING_NAMES[MASKER_FINDING_COUNT] = {
    [MASKER_CARD_IN_FIELD] = "card_in_field",
    [MASKER_CARD_ELSEWHERE] = "card_elsewhere",
    [MASKER_IP] = "ip",
    [MASKER_EMAIL] = "email",
    [MASKER_PHONE] = "phone",
    [MASKER_FIELD] = "field",
    [MASKER_UNKNOWN_ID] = "unknown_id",
    [MASKER_SECRET] = "secret",
    [MASKER_SHAPE] = "shape",
};

const char *masker_finding_name(enum masker_finding kind)
{
    return (unsigned)kind < MASKER_FINDING_COUNT ? FINDING_NAMES[kind] : "unknown";
}

/* Whether url starts with a scheme ("https:", "about:"). */
static bool has_scheme(const char *url, size_t len)
{
    size_t k = 0;
    while (k < len &&
           (isalnum((unsigned char)url[k]) || url[k] == '+' || url[k] == '-' || url[k] == '.'))
        k++;
    return k > 0 && k < len && url[k] == ':' && isalpha((unsigned char)url[0]);
}

/* How much of the page's URL a reference relative to it keeps: all but
 * the fragment ("#/pay"), all but the query and fragment ("?step=2"), or
 * up to the last '/' of its path ("payment" from "/checkout/cart"). */
static size_t kept_of_base(const char *base, char first)
{
    size_t end = strcspn(base, first == '#' ? "#" : "?#");
    if (first == '?' || first == '#')
        return end;
    const char *path = strstr(base, "://");
    path = path ? path + 3 + strcspn(path + 3, "/\\") : base;
    size_t k = end;
    while (k > (size_t)(path - base) && base[k - 1] != '/' && base[k - 1] != '\\')
        k--;
    return k;
}

/* A node's flags under the page's selectors: what a mask selector gave it
 * stays (sticky), what an allow selector gave it holds only while one of
 * the page's allows it. */
static uint8_t page_selector_flags(const void *policy, uint64_t atoms, uint8_t flags)
{
    return (uint8_t)((flags & ~NF_ALLOW) | policy_selector_flags(policy, atoms));
}

static bool same_selectors(const masker_policy *a, const masker_policy *b)
{
    return a->mask[0] == b->mask[0] && a->mask[1] == b->mask[1] && a->allow[0] == b->allow[0] &&
           a->allow[1] == b->allow[1];
}

void session_set_url(masker_session *s, const char *url, size_t len)
{
    char joined[sizeof s->url];
    size_t keep = 0;
    /* blanks and control bytes around a URL are dropped, as URL parsers do */
    while (len && (unsigned char)url[0] <= ' ')
        url++, len--;
    while (len && (unsigned char)url[len - 1] <= ' ')
        len--;
    /* relative to the page, as a custom snippet may send it: resolved */
    if (len && s->url[0] && !has_scheme(url, len) && url[0] != '/' && url[0] != '\\') {
        keep = kept_of_base(s->url, url[0]); /* < sizeof joined: s->url's length at most */
        memcpy(joined, s->url, keep);
        if (keep && keep + 1 < sizeof joined && joined[keep - 1] != '/' && url[0] != '?' &&
            url[0] != '#')
            joined[keep++] = '/'; /* "https://shop.example" and "pay" */
    }
    if (len > sizeof joined - 1 - keep) /* a URL too long is cut, as before */
        len = sizeof joined - 1 - keep;
    memcpy(joined + keep, url, len);
    len += keep;
    memcpy(s->url, joined, len);
    s->url[len] = '\0';
    masker_policy before = s->policy;
    masker_site_resolve(s->site, s->url, len, &s->policy);
    /* a single-page app navigates without a new snapshot: the new page's
     * selectors apply to the nodes already on it */
    if (!same_selectors(&before, &s->policy))
        nodes_reflag(&s->nodes, page_selector_flags, &s->policy);
}

masker_session *masker_session_new(const masker_site *site, const char *page_url)
{
    if (!site)
        return NULL;
    masker_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->site = site;
    session_set_url(s, page_url ? page_url : "", page_url ? strlen(page_url) : 0);
    return s;
}

/* ---- card and secret fields named by <label for> ------------------------------ */

/* The target's slot, or n_label_targets when it has none. */
static size_t label_target_slot(const masker_session *s, const char *dom_id, size_t len)
{
    size_t i = 0;
    while (i < s->n_label_targets &&
           !(strlen(s->label_targets[i]) == len && !memcmp(s->label_targets[i], dom_id, len)))
        i++;
    return i;
}

void label_target_add(masker_session *s, const char *dom_id, size_t len, uint8_t flags)
{
    if (len >= MASKER_DOM_ID_MAX)
        return;
    size_t i = label_target_slot(s, dom_id, len);
    if (i < s->n_label_targets) {
        s->label_target_flags[i] |= flags;
        return;
    }
    if (!s->label_targets && !(s->label_targets = calloc(MASKER_LABEL_TARGETS, MASKER_DOM_ID_MAX)))
        return;
    if (i == MASKER_LABEL_TARGETS)
        return; /* a page with 64 such labels: the ones past that still mask by their own name */
    memcpy(s->label_targets[i], dom_id, len);
    s->label_targets[i][len] = '\0';
    s->label_target_flags[i] = flags;
    s->n_label_targets++;
}

uint8_t label_target_flags(const masker_session *s, const char *dom_id, size_t len)
{
    size_t i = label_target_slot(s, dom_id, len);
    return i < s->n_label_targets ? s->label_target_flags[i] : 0;
}

void labelledby_add(masker_session *s, const char *dom_id, size_t len, uint32_t node)
{
    if (!node || !len || len >= MASKER_DOM_ID_MAX)
        return;
    if (!s->labelledby && !(s->labelledby = calloc(LABELLEDBY_KEPT, sizeof *s->labelledby)))
        return; /* out of memory: the field is named by the labels of its own batch */
    labelledby_ref *r = &s->labelledby[s->next_labelledby];
    s->next_labelledby = (uint8_t)((s->next_labelledby + 1) % LABELLEDBY_KEPT);
    r->field = node;
    r->len = (uint8_t)len;
    memcpy(r->id, dom_id, len);
}

static id_label *id_label_slot(const masker_session *s, const char *dom_id, size_t len)
{
    for (size_t i = 0; s->id_labels && i < ID_LABELS_KEPT; i++)
        if (s->id_labels[i].says && s->id_labels[i].len == len &&
            !memcmp(s->id_labels[i].id, dom_id, len))
            return &s->id_labels[i];
    return NULL;
}

void id_label_add(masker_session *s, const char *dom_id, size_t len, uint8_t says)
{
    if (!len || len >= MASKER_DOM_ID_MAX)
        return;
    id_label *l = id_label_slot(s, dom_id, len);
    if (l) {
        l->says = says; /* 0: redrawn naming nothing, its slot is free */
        return;
    }
    if (!says)
        return;
    if (!s->id_labels && !(s->id_labels = calloc(ID_LABELS_KEPT, sizeof *s->id_labels)))
        return; /* out of memory: a field is named by the labels of its own batch */
    l = &s->id_labels[s->next_id_label];
    s->next_id_label = (uint8_t)((s->next_id_label + 1) % ID_LABELS_KEPT);
    *l = (id_label){.says = says, .len = (uint8_t)len};
    memcpy(l->id, dom_id, len);
}

uint8_t id_label_says(const masker_session *s, const char *dom_id, size_t len)
{
    const id_label *l = id_label_slot(s, dom_id, len);
    return l ? l->says : 0;
}

static table_headers *table_slot(const masker_session *s, uint32_t table)
{
    for (size_t i = 0; s->tables && table && i < TABLES_KEPT; i++)
        if (s->tables[i].table == table)
            return &s->tables[i];
    return NULL;
}

void table_header_add(masker_session *s, uint32_t table, uint32_t column, const void *text,
                      size_t n)
{
    if (!table || column >= TABLE_COLUMNS_KEPT)
        return;
    table_headers *t = table_slot(s, table);
    if (!t) {
        if (!s->tables && !(s->tables = calloc(TABLES_KEPT, sizeof *s->tables)))
            return; /* out of memory: later rows are read without their headers */
        t = &s->tables[s->next_table];
        s->next_table = (uint8_t)((s->next_table + 1) % TABLES_KEPT);
        memset(t, 0, sizeof *t);
        t->table = table;
    }
    size_t from = n > TABLE_HEADER_MOST ? n - TABLE_HEADER_MOST : 0;
    memcpy(t->text[column], (const char *)text + from, n - from);
    t->len[column] = (uint8_t)(n - from);
}

const char *table_header_of(const masker_session *s, uint32_t table, uint32_t column, size_t *n)
{
    const table_headers *t = table_slot(s, table);
    if (!t || column >= TABLE_COLUMNS_KEPT || !t->len[column])
        return NULL;
    *n = t->len[column];
    return t->text[column];
}

static uint64_t bytes_hash(const void *bytes, size_t len)
{
    const uint8_t *b = bytes;
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

void field_id_add(masker_session *s, const char *dom_id, size_t len, uint32_t node)
{
    if (!s->field_ids && !(s->field_ids = calloc(MASKER_FIELD_IDS, sizeof *s->field_ids)))
        return;
    uint64_t h = bytes_hash(dom_id, len);
    for (size_t k = 0; k < MASKER_FIELD_IDS; k++) {
        field_id *f = &s->field_ids[(h + k) % MASKER_FIELD_IDS];
        if (!f->node || f->dom_id_hash == h) {
            *f = (field_id){h, node};
            return;
        }
    }
}

bool sensitive_url_known(const masker_session *s, const void *url, size_t len)
{
    uint64_t h = bytes_hash(url, len) | 1; /* 0: an empty slot */
    for (size_t k = 0; k < SENSITIVE_URLS_KEPT; k++)
        if (s->sensitive_urls[k] == h)
            return true;
    return false;
}

void sensitive_url_add(masker_session *s, const void *url, size_t len)
{
    if (!sensitive_url_known(s, url, len))
        s->sensitive_urls[s->next_sensitive_url++ % SENSITIVE_URLS_KEPT] = bytes_hash(url, len) | 1;
}

bool field_id_find(const masker_session *s, const char *dom_id, size_t len, uint32_t *node)
{
    if (!s->field_ids)
        return false;
    uint64_t h = bytes_hash(dom_id, len);
    for (size_t k = 0; k < MASKER_FIELD_IDS; k++) {
        const field_id *f = &s->field_ids[(h + k) % MASKER_FIELD_IDS];
        if (!f->node)
            return false;
        if (f->dom_id_hash == h) {
            *node = f->node;
            return true;
        }
    }
    return false;
}

void masker_session_free(masker_session *s)
{
    if (!s)
        return;
    free(s->label_targets);
    free(s->labelledby);
    free(s->id_labels);
    free(s->tables);
    free(s->field_ids);
    nodes_clear(&s->nodes);
    json_tape_free(&s->tape);
    free(s->edits.v);
    veil_buf_free(&s->edits.arena);
    decode_scratch_free(&s->scratch);
    veil_buf_free(&s->out);
    sodium_memzero(s->url, sizeof s->url);
    sodium_memzero(&s->echoes, sizeof s->echoes);
    free(s);
}

void masker_session_trim(masker_session *s)
{
    struct key_memo *memo = s->tape.key_memo; /* small, and what makes keys fast */
    s->tape.key_memo = NULL;
    json_tape_free(&s->tape);
    s->tape.key_memo = memo;
    free(s->edits.v);
    veil_buf_free(&s->edits.arena);
    s->edits = (edit_list){0};
    decode_scratch_free(&s->scratch);
    veil_buf_free(&s->out);
}

size_t masker_session_state_bytes(const masker_session *s)
{
    return sizeof *s + nodes_bytes(&s->nodes) +
           (s->label_targets ? MASKER_LABEL_TARGETS * MASKER_DOM_ID_MAX : 0) +
           (s->tables ? TABLES_KEPT * sizeof *s->tables : 0) +
           (s->labelledby ? LABELLEDBY_KEPT * sizeof *s->labelledby : 0) +
           (s->id_labels ? ID_LABELS_KEPT * sizeof *s->id_labels : 0) +
           (s->field_ids ? MASKER_FIELD_IDS * sizeof *s->field_ids : 0);
}

void session_scan_ctx(masker_session *s, char *json, masker_findings *findings, scan_ctx *out)
{
    *out = (scan_ctx){.json = json,
                      .scratch = &s->scratch,
                      .edits = &s->edits,
                      .findings = findings,
                      .policy = &s->policy,
                      .echoes = &s->echoes};
}

/* Every string the walk did not handle gets the pattern scan; when the
 * walk noted a card typed in this batch, also those the tokenizer, before
 * it, found nothing in: the page may show the card as it is typed. */
static int sweep(masker_session *s, char *json, masker_findings *findings, uint32_t noted_before)
{
    scan_ctx c;
    session_scan_ctx(s, json, findings, &c);
    int rc = detect_sweep(&c, &s->tape);
    if (!rc && s->echoes.noted != noted_before)
        rc = detect_sweep_unlisted(&c, &s->tape);
    return rc;
}

static int by_offset(const void *a, const void *b)
{
    const masker_edit *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Copies json with the queued (sorted) edits applied into s->out. */
static int assemble(masker_session *s, const char *json, size_t len)
{
    const edit_list *e = &s->edits;
    veil_buf_reuse(&s->out); /* it held the last batch's masked output */
    size_t at = 0;
    for (size_t i = 0; i < e->n; i++) {
        const masker_edit *ed = &e->v[i];
        int err = veil_buf_append(&s->out, json + at, ed->off - at);
        if (!err)
            err = veil_buf_append(&s->out, e->arena.data + ed->rep, ed->rep_len);
        if (err)
            return err;
        at = ed->off + ed->len;
    }
    return veil_buf_append(&s->out, json + at, len - at);
}

/*
 * Applies the queued (sorted) edits in json itself when none makes its bytes
 * longer: each string's rest moves left over what its edits saved, and the
 * bytes freed before the next token become spaces, which JSON allows there.
 * Every byte from an edit to its string's closing quote is written, so none
 * of the input under an edit survives. Saves copying a whole batch (MBs for
 * a full snapshot) for a few IP literals that got shorter.
 */
static bool apply_in_place(const edit_list *e, char *json)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].rep_len > e->v[i].len || e->v[i].quote == EDIT_NOT_IN_STRING)
            return false;
    for (size_t i = 0; i < e->n;) {
        uint32_t quote = e->v[i].quote, at = e->v[i].off, to = at;
        for (; i < e->n && e->v[i].quote == quote; i++) {
            const masker_edit *ed = &e->v[i];
            memmove(json + to, json + at, ed->off - at);
            to += ed->off - at;
            memcpy(json + to, e->arena.data + ed->rep, ed->rep_len);
            to += ed->rep_len;
            at = ed->off + ed->len;
        }
        memmove(json + to, json + at, quote - at);
        to += quote - at;
        json[to++] = '"';
        memset(json + to, ' ', quote + 1 - to);
    }
    return true;
}

static bool same_edit(const edit_list *e, const masker_edit *a, const masker_edit *b)
{
    return a->off == b->off && a->len == b->len && a->rep_len == b->rep_len &&
           a->quote == b->quote &&
           !memcmp((const char *)e->arena.data + a->rep, (const char *)e->arena.data + b->rep,
                   a->rep_len);
}

/*
 * Drops an edit queued twice (two detectors that mask the same character
 * the same way: a card in the local part of an email split over text
 * nodes), then checks that no two edits overlap: that would be a masker
 * bug. The edits are sorted by offset.
 */
static bool edits_disjoint(edit_list *e)
{
    size_t kept = e->n ? 1 : 0;
    for (size_t i = 1; i < e->n; i++) {
        if (same_edit(e, &e->v[i], &e->v[kept - 1]))
            continue;
        if (e->v[i].off < e->v[kept - 1].off + e->v[kept - 1].len)
            return false;
        e->v[kept++] = e->v[i];
    }
    e->n = kept;
    return true;
}

int masker_session_mask(masker_session *s, char *json, size_t len, masker_result *out,
                        masker_findings *findings, veil_error *err)
{
    veil_error ignored;
    if (!err)
        err = &ignored;
    *err = (veil_error){0};
    out->data = NULL;
    out->len = 0;
    int rc = json_tape_build(&s->tape, json, len, &s->scratch, &s->echoes, err);
    if (rc)
        return rc;
    s->edits.n = 0;
    veil_buf_reset(&s->edits.arena);
    masker_findings found = {0};
    uint32_t noted = s->echoes.noted;
    rc = walk_batch(s, json, &found);
    if (!rc)
        rc = sweep(s, json, &found, noted);
    bool copied = false;
    if (!rc && s->edits.n) {
        qsort(s->edits.v, s->edits.n, sizeof *s->edits.v, by_offset);
        if (!edits_disjoint(&s->edits))
            rc = VEIL_EINVAL; /* fail closed */
        else if (!apply_in_place(&s->edits, json) && !(rc = assemble(s, json, len)))
            copied = true;
    }
    if (rc) {
        sodium_memzero(json, len); /* fail closed: nothing half-masked survives */
        veil_buf_reset(&s->out);
        err->what = "masking failed";
        return rc;
    }
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        findings->count[k] += found.count[k];
    findings->events += found.events;
    findings->pages += found.pages;
    out->data = json;
    out->len = len;
    if (copied) {
        /* Everything else in json is masked already: only the bytes under
         * queued edits are still the visitor's. */
        for (size_t i = 0; i < s->edits.n; i++)
            sodium_memzero(json + s->edits.v[i].off, s->edits.v[i].len);
        out->data = s->out.data;
        out->len = s->out.len;
    }
    return VEIL_OK;
}
