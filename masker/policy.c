/*
 * policy.c - site policies, page overrides by URL path glob, and element
 * selectors.
 *
 * A selector is compiled into "atoms", the single tests it makes of an
 * element (its tag is "div", its class list holds "private", it has a
 * data-private attribute, its name is "ssn"). A site has at most
 * MASKER_MAX_ATOMS of them, across its own and its pages' selectors, so
 * which ones an element meets fits in a 64-bit set the masker keeps per
 * node. An attribute mutation then updates only the atoms of the attributes
 * it changes, and a compound selector matches when all its atoms hold: an
 * element that gains a class in a later mutation matches a tag.class
 * selector then, though the mutation does not repeat its tag.
 */
#include "internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { ATOM_TAG, ATOM_CLASS, ATOM_ATTR, ATOM_ATTR_EQ } atom_kind;

/* One test: ATOM_TAG name; ATOM_CLASS name in the class list; ATOM_ATTR
 * attribute `name` present; ATOM_ATTR_EQ attribute `name` whose value
 * meets `value` by CSS's operator `op` (#id is ATOM_ATTR_EQ on "id"). */
typedef struct {
    atom_kind kind;
    char op;   /* '=' the value, '^' starts, '$' ends, '*' holds, '~' a word, '|' a prefix- */
    bool fold; /* the " i" flag: in any ASCII case */
    char *name;
    char *value;
} selector_atom;

struct selector_list {
    uint64_t *compounds; /* the atoms each compound needs, all of them */
    int n;
};

typedef struct {
    int ip_octets;     /* -1: not set here */
    int record_inputs; /* -1: not set here */
    int record_pii;    /* -1: not set here */
    selector_list mask;
    selector_list allow;
    char *mask_text; /* the mask selectors as written, ", "-joined (snippet hints) */
} policy_values;

typedef struct {
    char *glob;
    policy_values v;
} page_override;

struct masker_site {
    policy_values base;
    page_override *pages;
    int n_pages;
    selector_atom atoms[MASKER_MAX_ATOMS];
    int n_atoms;
};

static void selector_list_clear(selector_list *l)
{
    free(l->compounds);
    l->compounds = NULL;
    l->n = 0;
}

static void values_init(policy_values *v)
{
    memset(v, 0, sizeof *v);
    v->ip_octets = v->record_inputs = v->record_pii = -1;
}

masker_site *masker_site_new(void)
{
    masker_site *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    values_init(&s->base);
    return s;
}

void masker_site_free(masker_site *site)
{
    if (!site)
        return;
    selector_list_clear(&site->base.mask);
    selector_list_clear(&site->base.allow);
    free(site->base.mask_text);
    for (int i = 0; i < site->n_pages; i++) {
        free(site->pages[i].glob);
        free(site->pages[i].v.mask_text);
        selector_list_clear(&site->pages[i].v.mask);
        selector_list_clear(&site->pages[i].v.allow);
    }
    for (int i = 0; i < site->n_atoms; i++) {
        free(site->atoms[i].name);
        free(site->atoms[i].value);
    }
    free(site->pages);
    free(site);
}

/* ---- selector parsing -------------------------------------------------- */

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static size_t ident_len(const char *p)
{
    size_t n = 0;
    while (ident_char(p[n]))
        n++;
    return n;
}

static bool same(const char *a, const char *b, size_t b_len)
{
    return a && strlen(a) == b_len && !memcmp(a, b, b_len);
}

/* Attribute names are read in any ASCII case, as HTML reads them
 * ("[NAME=ssn]", an XHTML page's "DATA-PRIVATE"); values, classes and ids
 * are not. */
static bool same_name(const char *a, const char *b, size_t b_len)
{
    return a && strlen(a) == b_len && !strncasecmp(a, b, b_len);
}

/* What an atom tests, as the parser reads it. */
typedef struct {
    atom_kind kind;
    const char *name, *value;
    size_t name_len, value_len;
    char op;
    bool fold;
} atom_spec;

/* The atom's index in the site, added when new; -1 past MASKER_MAX_ATOMS or
 * out of memory. */
static int atom_of(masker_site *site, const atom_spec *want)
{
    atom_kind kind = want->kind;
    for (int i = 0; i < site->n_atoms; i++) {
        const selector_atom *a = &site->atoms[i];
        if (a->kind == kind && same(a->name, want->name, want->name_len) &&
            (kind != ATOM_ATTR_EQ || (same(a->value, want->value, want->value_len) &&
                                      a->op == want->op && a->fold == want->fold)))
            return i;
    }
    if (site->n_atoms == MASKER_MAX_ATOMS)
        return -1;
    selector_atom *a = &site->atoms[site->n_atoms];
    a->kind = kind;
    a->op = want->op;
    a->fold = want->fold;
    a->name = strndup(want->name, want->name_len);
    a->value = kind == ATOM_ATTR_EQ ? strndup(want->value, want->value_len) : NULL;
    if (!a->name || (kind == ATOM_ATTR_EQ && !a->value)) {
        free(a->name);
        free(a->value);
        return -1;
    }
    return site->n_atoms++;
}

static int need_atom(masker_site *site, uint64_t *need, const atom_spec *want)
{
    int i = atom_of(site, want);
    if (i < 0)
        return VEIL_ETOOBIG;
    *need |= (uint64_t)1 << i;
    return VEIL_OK;
}

static int need_simple_atom(masker_site *site, uint64_t *need, atom_kind kind, const char *name,
                            size_t name_len, const char *value, size_t value_len)
{
    atom_spec want = {kind, name, value, name_len, value_len, '=', false};
    return need_atom(site, need, &want);
}

static void skip_blanks(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

/*
 * [name], [name=value], [name="value"], the other operators of CSS
 * ([name^=v] starts, $= ends, *= holds, ~= a word of, |= v or v-...) and
 * the case flag ([type=email i]); *p is just past '['.
 */
static int parse_attr_test(masker_site *site, uint64_t *need, const char **p)
{
    atom_spec want = {.kind = ATOM_ATTR, .op = '='};
    skip_blanks(p);
    want.name = *p;
    want.name_len = ident_len(*p);
    if (!want.name_len)
        return VEIL_EINVAL;
    *p += want.name_len;
    skip_blanks(p);
    if (**p == ']') {
        (*p)++;
        return need_atom(site, need, &want);
    }
    if (**p && strchr("^$*~|", **p))
        want.op = *(*p)++;
    if (*(*p)++ != '=')
        return VEIL_EINVAL;
    skip_blanks(p);
    char quote = (**p == '"' || **p == '\'') ? *(*p)++ : 0;
    want.value = *p;
    while (**p && **p != ']' && **p != quote && (quote || ident_char(**p) || **p == '.'))
        (*p)++;
    want.value_len = (size_t)(*p - want.value);
    if (quote && *(*p)++ != quote)
        return VEIL_EINVAL;
    skip_blanks(p);
    if ((**p | 0x20) == 'i' || (**p | 0x20) == 's') {
        want.fold = (**p | 0x20) == 'i';
        (*p)++;
        skip_blanks(p);
    }
    if (*(*p)++ != ']')
        return VEIL_EINVAL;
    want.kind = ATOM_ATTR_EQ;
    return need_atom(site, need, &want);
}

/* tag#id.class[attr][attr=value]: the atoms it needs, into *need. */
static int parse_compound(masker_site *site, const char **p, uint64_t *need)
{
    *need = 0;
    int err = VEIL_OK;
    if (**p == '*') {
        (*p)++;
    } else if (ident_char(**p)) {
        size_t n = ident_len(*p);
        err = need_simple_atom(site, need, ATOM_TAG, *p, n, NULL, 0);
        *p += n;
    }
    while (!err && **p && **p != ',' && **p != ' ') {
        char kind = *(*p)++;
        if (kind == '[') {
            err = parse_attr_test(site, need, p);
            continue;
        }
        size_t n = ident_len(*p);
        if (!n || (kind != '#' && kind != '.'))
            return VEIL_EINVAL;
        err = kind == '#' ? need_simple_atom(site, need, ATOM_ATTR_EQ, "id", 2, *p, n)
                          : need_simple_atom(site, need, ATOM_CLASS, *p, n, NULL, 0);
        *p += n;
    }
    if (!err && !*need)
        err = VEIL_EINVAL; /* "*" alone, or nothing at all */
    return err;
}

static int selector_list_add(masker_site *site, selector_list *l, const char *text)
{
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        uint64_t need;
        int err = parse_compound(site, &p, &need);
        if (err)
            return err;
        uint64_t *grown = realloc(l->compounds, (size_t)(l->n + 1) * sizeof *grown);
        if (!grown)
            return VEIL_ENOMEM;
        l->compounds = grown;
        l->compounds[l->n++] = need;
        while (*p == ' ')
            p++;
        if (!*p)
            return VEIL_OK;
        if (*p++ != ',')
            return VEIL_EINVAL;
    }
}

/* ---- options ----------------------------------------------------------- */

static int parse_bool(const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = 0;
    else
        return VEIL_EINVAL;
    return VEIL_OK;
}

static policy_values *values_for(masker_site *site, const char *glob)
{
    if (!glob)
        return &site->base;
    for (int i = 0; i < site->n_pages; i++)
        if (!strcmp(site->pages[i].glob, glob))
            return &site->pages[i].v;
    page_override *grown = realloc(site->pages, (size_t)(site->n_pages + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    site->pages = grown;
    page_override *po = &grown[site->n_pages];
    if (!(po->glob = strdup(glob)))
        return NULL;
    values_init(&po->v);
    site->n_pages++;
    return &po->v;
}

static int set_selectors(masker_site *site, selector_list *l, const char *value, const char **why)
{
    int err = selector_list_add(site, l, value);
    if (err == VEIL_ETOOBIG)
        *why = "selectors: at most 64 distinct tags, classes and attribute tests per site "
               "(its pages included)";
    else if (err)
        *why = "selector: expected a comma-separated list of tag, #id, .class, [attr] and "
               "[attr=value] parts (also ^= $= *= ~= |=, and an i flag)";
    return err ? VEIL_EINVAL : VEIL_OK;
}

/* Adds `value` to a ", "-joined text. */
static int append_text(char **text, const char *value, const char **why)
{
    size_t had = *text ? strlen(*text) : 0, n = strlen(value);
    char *grown = realloc(*text, had + (had ? 2 : 0) + n + 1);
    if (!grown) {
        *why = "out of memory";
        return VEIL_ENOMEM;
    }
    if (had)
        memcpy(grown + had, ", ", 2), had += 2;
    memcpy(grown + had, value, n + 1);
    *text = grown;
    return VEIL_OK;
}

/* Whether a page glob can match a page at all: paths start with '/', so a
 * glob must too (one written "checkout/..." or "shop.example/checkout/..."
 * never matches), unless it starts with a wildcard or names the scheme (a
 * whole URL). */
static bool page_glob_ok(const char *glob)
{
    return glob[0] == '/' || glob[0] == '*' || glob[0] == '[' || strstr(glob, "://") != NULL;
}

int masker_site_set(masker_site *site, const char *page_glob, const char *name, const char *value,
                    const char **why)
{
    *why = NULL;
    if (page_glob && !page_glob_ok(page_glob)) {
        *why = "page: expected a path glob that starts with / (/checkout/*) or a whole URL "
               "with its scheme (https://shop.example/checkout/*)";
        return VEIL_EINVAL;
    }
    policy_values *v = values_for(site, page_glob);
    if (!v) {
        *why = "out of memory";
        return VEIL_ENOMEM;
    }
    if (!strcmp(name, "ip_octets")) {
        if (strlen(value) != 1 || value[0] < '0' || value[0] > '4') {
            *why = "ip_octets: expected a number from 0 to 4";
            return VEIL_EINVAL;
        }
        v->ip_octets = value[0] - '0';
        return VEIL_OK;
    }
    if (!strcmp(name, "record_inputs") || !strcmp(name, "record_pii")) {
        int b;
        if (parse_bool(value, &b)) {
            *why = name[7] == 'i' ? "record_inputs: expected true or false"
                                  : "record_pii: expected true or false";
            return VEIL_EINVAL;
        }
        *(name[7] == 'i' ? &v->record_inputs : &v->record_pii) = b;
        return VEIL_OK;
    }
    if (!strcmp(name, "allow_selector"))
        return set_selectors(site, &v->allow, value, why);
    if (!strcmp(name, "mask_selector")) {
        int err = set_selectors(site, &v->mask, value, why);
        return err ? err : append_text(&v->mask_text, value, why);
    }
    *why = "unknown masking option: expected ip_octets, record_inputs, record_pii, "
           "mask_selector or allow_selector";
    return VEIL_EINVAL;
}

/* ---- resolution ------------------------------------------------------------ */

/*
 * The path of a URL as the site's server reads it: "/checkout" of
 * "https://shop/checkout?step=2#card" or of "/checkout?x", without query or
 * fragment; "/" when it has none. Repeated slashes count as one and a
 * segment's parameters are dropped ("//checkout;jsessionid=A1/pay" is
 * "/checkout/pay"), a backslash is a slash and dot segments are resolved
 * ("/a/../checkout/./pay" is "/checkout/pay"), tabs and line breaks are
 * dropped, as servers and browsers do, so a page override is not escaped
 * by them.
 */
static void drop_dot_segments(char *path)
{
    size_t out = 0;
    for (char *seg = path; *seg;) { /* each segment starts with its '/' */
        char *next = strchr(seg + 1, '/');
        size_t len = next ? (size_t)(next - seg) : strlen(seg);
        if (len == 3 && seg[1] == '.' && seg[2] == '.') {
            while (out > 0 && path[--out] != '/')
                ;
        } else if (!(len == 2 && seg[1] == '.')) {
            memmove(path + out, seg, len);
            out += len;
        }
        seg += len;
    }
    path[out] = '\0';
}

static bool is_slash(char ch)
{
    return ch == '/' || ch == '\\';
}

static void url_path(const char *url, size_t len, char *out, size_t cap)
{
    const char *end = url + len;
    const char *p = url;
    const char *scheme = memchr(url, ':', len);
    if (scheme && scheme + 2 < end && is_slash(scheme[1]) && is_slash(scheme[2])) {
        p = scheme + 3;
        while (p < end && !is_slash(*p) && *p != '?' && *p != '#')
            p++;
    }
    size_t n = 0;
    bool in_params = false;
    for (; p < end && *p != '?' && *p != '#' && n + 1 < cap; p++) {
        if (*p == '\t' || *p == '\n' || *p == '\r') /* URL parsers drop them */
            continue;
        char ch = *p == '\\' ? '/' : *p;
        if (ch == '/')
            in_params = false;
        else if (ch == ';')
            in_params = true;
        if (in_params || (ch == '/' && n > 0 && out[n - 1] == '/'))
            continue;
        out[n++] = ch;
    }
    out[n] = '\0';
    if (out[0] == '/')
        drop_dot_segments(out);
    if (!out[0] && cap > 1)
        strcpy(out, "/");
}

/*
 * Whether a page override's glob matches the page: its whole URL when the
 * glob has a scheme; its path and fragment when the glob has a '#' (a
 * single-page app that routes in the fragment: the glob "/#/checkout/..."
 * matches "https://shop/#/checkout/pay"); else its path, or the path with a
 * trailing slash added or taken away (servers serve "/account/" as
 * "/account", and "/checkout" is the first page of the pages under
 * "/checkout/"). In any case: IIS and case-insensitive routers serve
 * "/Checkout" as "/checkout", and an override nearly always masks more, so
 * matching a page a server would tell apart costs little.
 */
static bool page_matches(const char *glob, const char *url, const char *path)
{
    enum { HOW = FNM_CASEFOLD };
    if (strstr(glob, "://"))
        return fnmatch(glob, url, HOW) == 0;
    if (strchr(glob, '#')) {
        const char *fragment = strchr(url, '#');
        char routed[4096];
        int n = snprintf(routed, sizeof routed, "%s%s", path, fragment ? fragment : "#");
        return n > 0 && (size_t)n < sizeof routed && fnmatch(glob, routed, HOW) == 0;
    }
    if (fnmatch(glob, path, HOW) == 0)
        return true;
    char other[2048];
    size_t n = strlen(path);
    if (n + 2 > sizeof other)
        return false;
    memcpy(other, path, n + 1);
    if (n > 1 && other[n - 1] == '/') {
        other[n - 1] = '\0';
    } else {
        other[n] = '/';
        other[n + 1] = '\0';
    }
    return fnmatch(glob, other, HOW) == 0;
}

/*
 * The first page section whose glob matches the page at url (NULL if none).
 * A URL that starts with two slashes and no scheme is read both ways: as
 * protocol-relative ("//shop.example/checkout") and as a path with a
 * doubled slash ("//checkout;jsessionid=A1", a location.pathname); an
 * override nearly always masks more, so either reading that matches counts.
 */
static const page_override *page_of(const masker_site *site, const char *url, size_t len)
{
    char whole[2048], path[2048], relative[2048] = "";
    size_t n = len < sizeof whole - 1 ? len : sizeof whole - 1;
    memcpy(whole, url, n);
    whole[n] = '\0';
    url_path(whole, n, path, sizeof path);
    if (n >= 2 && is_slash(whole[0]) && is_slash(whole[1])) {
        char absolute[2048];
        int k = snprintf(absolute, sizeof absolute, "https:%s", whole);
        if (k > 0 && (size_t)k < sizeof absolute)
            url_path(absolute, (size_t)k, relative, sizeof relative);
    }
    for (int i = 0; i < site->n_pages; i++)
        if (page_matches(site->pages[i].glob, whole, path) ||
            (relative[0] && page_matches(site->pages[i].glob, whole, relative)))
            return &site->pages[i];
    return NULL;
}

/* NULL for an empty list: the walk skips selector matching when all are. */
static const selector_list *unless_empty(const selector_list *list)
{
    return list->n ? list : NULL;
}

void masker_site_resolve(const masker_site *site, const char *url, size_t url_len,
                         masker_policy *out)
{
    memset(out, 0, sizeof *out);
    out->site = site;
    out->ip_octets = site->base.ip_octets >= 0 ? site->base.ip_octets : 2;
    out->record_inputs = site->base.record_inputs == 1;
    out->record_pii = site->base.record_pii == 1;
    out->mask[0] = unless_empty(&site->base.mask);
    out->allow[0] = unless_empty(&site->base.allow);
    const page_override *po = url && site->n_pages ? page_of(site, url, url_len) : NULL;
    if (po) {
        if (po->v.ip_octets >= 0)
            out->ip_octets = po->v.ip_octets;
        if (po->v.record_inputs >= 0)
            out->record_inputs = po->v.record_inputs;
        if (po->v.record_pii >= 0)
            out->record_pii = po->v.record_pii;
        out->mask[1] = unless_empty(&po->v.mask);
        out->allow[1] = unless_empty(&po->v.allow);
    }
}

/* ---- matching --------------------------------------------------------------- */

uint8_t policy_selector_flags(const masker_policy *policy, uint64_t atoms)
{
    uint8_t f = 0;
    for (int i = 0; i < 2; i++) {
        if (selector_list_match(policy->mask[i], atoms))
            f |= NF_SENSITIVE;
        if (selector_list_match(policy->allow[i], atoms))
            f |= NF_ALLOW;
    }
    return f;
}

bool selector_site_has_atoms(const masker_site *site)
{
    return site->n_atoms > 0;
}

uint64_t selector_atoms_of_tag(const masker_site *site, const char *tag, size_t len)
{
    uint64_t bits = 0;
    for (int i = 0; i < site->n_atoms; i++)
        if (site->atoms[i].kind == ATOM_TAG && strlen(site->atoms[i].name) == len &&
            !strncasecmp(site->atoms[i].name, tag, len))
            bits |= (uint64_t)1 << i;
    return bits;
}

static bool has_class(const char *classes, size_t len, const char *want)
{
    size_t w = strlen(want);
    const char *p = classes, *end = classes + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
            p++;
        const char *s = p;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if ((size_t)(p - s) == w && !memcmp(s, want, w))
            return true;
    }
    return false;
}

bool selector_atoms_read(const masker_site *site, const char *name, size_t len)
{
    for (int i = 0; i < site->n_atoms; i++) {
        const selector_atom *a = &site->atoms[i];
        if (a->kind == ATOM_CLASS ? same_name("class", name, len)
                                  : a->kind != ATOM_TAG && same_name(a->name, name, len))
            return true;
    }
    return false;
}

/* Whether n bytes at s are the word w (w_len bytes), maybe in any case. */
static bool same_text(const char *s, size_t n, const char *w, size_t w_len, bool fold)
{
    return n == w_len && (fold ? !strncasecmp(s, w, n) : !memcmp(s, w, n));
}

/* Whether an attribute's value meets the atom's operator and value. */
static bool value_meets(const selector_atom *a, const char *value, size_t len)
{
    size_t w = strlen(a->value);
    switch (a->op) {
    case '^':
        return w && len >= w && same_text(value, w, a->value, w, a->fold);
    case '$':
        return w && len >= w && same_text(value + len - w, w, a->value, w, a->fold);
    case '*':
        for (size_t k = 0; w && k + w <= len; k++)
            if (same_text(value + k, w, a->value, w, a->fold))
                return true;
        return false;
    case '~':
        for (size_t k = 0; k < len;) { /* each blank-separated word */
            size_t e = k;
            while (e < len && value[e] != ' ' && value[e] != '\t' && value[e] != '\n')
                e++;
            if (w && same_text(value + k, e - k, a->value, w, a->fold))
                return true;
            k = e + 1;
        }
        return false;
    case '|':
        return same_text(value, len, a->value, w, a->fold) ||
               (len > w && value[w] == '-' && same_text(value, w, a->value, w, a->fold));
    }
    return same_text(value, len, a->value, w, a->fold);
}

uint64_t selector_atoms_attr(const masker_site *site, uint64_t bits, const char *name,
                             size_t name_len, const char *value, size_t value_len)
{
    bool is_class = same_name("class", name, name_len);
    for (int i = 0; i < site->n_atoms; i++) {
        const selector_atom *a = &site->atoms[i];
        bool holds;
        if (a->kind == ATOM_CLASS && is_class)
            holds = value && has_class(value, value_len, a->name);
        else if ((a->kind == ATOM_ATTR || a->kind == ATOM_ATTR_EQ) &&
                 same_name(a->name, name, name_len))
            holds = value && (a->kind == ATOM_ATTR || value_meets(a, value, value_len));
        else
            continue;
        uint64_t bit = (uint64_t)1 << i;
        bits = holds ? bits | bit : bits & ~bit;
    }
    return bits;
}

bool selector_list_match(const selector_list *list, uint64_t atoms)
{
    if (!list)
        return false;
    for (int i = 0; i < list->n; i++)
        if ((atoms & list->compounds[i]) == list->compounds[i])
            return true;
    return false;
}

/* ---- hints for the snippet --------------------------------------------------- */

void masker_site_hints(const masker_site *site, const char *url, masker_hints *out)
{
    masker_policy p;
    masker_site_resolve(site, url, url ? strlen(url) : 0, &p);
    memset(out, 0, sizeof *out);
    out->record_inputs = p.record_inputs;
    out->record_pii = p.record_pii;
    const page_override *po = url ? page_of(site, url, strlen(url)) : NULL;
    const policy_values *page = po ? &po->v : NULL;
    const char *parts[2] = {site->base.mask_text, page ? page->mask_text : NULL};
    size_t at = 0;
    for (int i = 0; i < 2; i++) {
        if (!parts[i])
            continue;
        int n = snprintf(out->mask_selector + at, sizeof out->mask_selector - at, "%s%s",
                         at ? ", " : "", parts[i]);
        if (n < 0 || (size_t)n >= sizeof out->mask_selector - at) {
            out->mask_selector[at] = '\0'; /* a hint: too long to send is left out */
            break;
        }
        at += (size_t)n;
    }
}
