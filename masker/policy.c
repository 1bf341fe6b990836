/* policy.c - site policies, page overrides by URL glob, element selectors. */
#include "internal.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One compound selector: tag#id.class[attr][attr=value], all must hold. */
typedef struct {
    char *tag;      /* NULL: any tag */
    char *id;       /* NULL: any id */
    char **classes; /* each must appear in the class attribute */
    int n_classes;
    char **attr_names;
    char **attr_values; /* NULL entry: attribute present with any value */
    int n_attrs;
} compound;

struct selector_list {
    compound *items;
    int n;
};

typedef struct {
    int ip_octets;     /* -1: not set here */
    int record_inputs; /* -1: not set here */
    int record_pii;    /* -1: not set here */
    selector_list mask;
    selector_list allow;
} policy_values;

typedef struct {
    char *glob;
    policy_values v;
} page_override;

struct masker_site {
    policy_values base;
    page_override *pages;
    int n_pages;
};

static void compound_free(compound *c)
{
    free(c->tag);
    free(c->id);
    for (int i = 0; i < c->n_classes; i++)
        free(c->classes[i]);
    free(c->classes);
    for (int i = 0; i < c->n_attrs; i++) {
        free(c->attr_names[i]);
        free(c->attr_values[i]);
    }
    free(c->attr_names);
    free(c->attr_values);
}

static void selector_list_clear(selector_list *l)
{
    for (int i = 0; i < l->n; i++)
        compound_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
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
    for (int i = 0; i < site->n_pages; i++) {
        free(site->pages[i].glob);
        selector_list_clear(&site->pages[i].v.mask);
        selector_list_clear(&site->pages[i].v.allow);
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

static char *take_ident(const char **p)
{
    const char *s = *p;
    while (ident_char(**p))
        (*p)++;
    size_t n = (size_t)(*p - s);
    return n ? strndup(s, n) : NULL;
}

static int push_str(char ***arr, int *n, char *s)
{
    char **grown = realloc(*arr, (size_t)(*n + 1) * sizeof *grown);
    if (!grown)
        return VEIL_ENOMEM;
    *arr = grown;
    grown[(*n)++] = s;
    return VEIL_OK;
}

/* [name] or [name=value] or [name="value"]; *p is just past '['. */
static int parse_attr_test(compound *c, const char **p)
{
    char *name = take_ident(p);
    char *value = NULL;
    if (!name)
        return VEIL_EINVAL;
    if (**p == '=') {
        (*p)++;
        char quote = (**p == '"' || **p == '\'') ? *(*p)++ : 0;
        const char *s = *p;
        while (**p && **p != ']' && **p != quote && (quote || ident_char(**p) || **p == '.'))
            (*p)++;
        value = strndup(s, (size_t)(*p - s));
        if (quote && *(*p)++ != quote)
            goto bad;
    }
    if (*(*p)++ != ']')
        goto bad;
    char **names = realloc(c->attr_names, (size_t)(c->n_attrs + 1) * sizeof *names);
    if (!names)
        goto bad;
    c->attr_names = names;
    char **values = realloc(c->attr_values, (size_t)(c->n_attrs + 1) * sizeof *values);
    if (!values)
        goto bad;
    c->attr_values = values;
    names[c->n_attrs] = name;
    values[c->n_attrs] = value;
    c->n_attrs++;
    return VEIL_OK;
bad:
    free(name);
    free(value);
    return VEIL_EINVAL;
}

static int parse_compound(compound *c, const char **p)
{
    memset(c, 0, sizeof *c);
    if (ident_char(**p) || **p == '*') {
        if (**p == '*')
            (*p)++;
        else if (!(c->tag = take_ident(p)))
            return VEIL_EINVAL;
    }
    while (**p && **p != ',' && **p != ' ') {
        char kind = *(*p)++;
        if (kind == '[') {
            if (parse_attr_test(c, p))
                return VEIL_EINVAL;
            continue;
        }
        char *name = take_ident(p);
        if (!name)
            return VEIL_EINVAL;
        if (kind == '#' && !c->id) {
            c->id = name;
            continue;
        }
        if (kind != '.' || push_str(&c->classes, &c->n_classes, name)) {
            free(name);
            return VEIL_EINVAL;
        }
    }
    return (c->tag || c->id || c->n_classes || c->n_attrs) ? 0 : -1;
}

static int selector_list_add(selector_list *l, const char *text)
{
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        compound c;
        if (parse_compound(&c, &p)) {
            compound_free(&c);
            return VEIL_EINVAL;
        }
        compound *grown = realloc(l->items, (size_t)(l->n + 1) * sizeof *grown);
        if (!grown) {
            compound_free(&c);
            return VEIL_EINVAL;
        }
        l->items = grown;
        l->items[l->n++] = c;
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

int masker_site_set(masker_site *site, const char *page_glob, const char *name, const char *value,
                    const char **why)
{
    *why = NULL;
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
    if (!strcmp(name, "mask_selector") || !strcmp(name, "allow_selector")) {
        selector_list *l = name[0] == 'm' ? &v->mask : &v->allow;
        if (selector_list_add(l, value)) {
            *why = "selector: expected a comma-separated list of tag, #id, .class, [attr] "
                   "and [attr=value] parts";
            return VEIL_EINVAL;
        }
        return VEIL_OK;
    }
    *why = "unknown masking option: expected ip_octets, record_inputs, record_pii, "
           "mask_selector or allow_selector";
    return VEIL_EINVAL;
}

/* ---- resolution and matching ------------------------------------------- */

/* The path of a URL ("/checkout?x" of "https://shop/checkout?x"), or all of it. */
static void url_path(const char *url, size_t len, char *out, size_t cap)
{
    const char *end = url + len;
    const char *p = url;
    const char *scheme = memchr(url, ':', len);
    if (scheme && scheme + 2 < end && scheme[1] == '/' && scheme[2] == '/') {
        p = scheme + 3;
        while (p < end && *p != '/' && *p != '?' && *p != '#')
            p++;
    }
    size_t n = (size_t)(end - p);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    if (!out[0] && cap > 1)
        strcpy(out, "/");
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
    out->ip_octets = site->base.ip_octets >= 0 ? site->base.ip_octets : 2;
    out->record_inputs = site->base.record_inputs == 1;
    out->record_pii = site->base.record_pii == 1;
    out->mask[0] = unless_empty(&site->base.mask);
    out->allow[0] = unless_empty(&site->base.allow);
    if (!url || !site->n_pages)
        return;
    char path[2048], whole[2048];
    url_path(url, url_len, path, sizeof path);
    size_t n = url_len < sizeof whole - 1 ? url_len : sizeof whole - 1;
    memcpy(whole, url, n);
    whole[n] = '\0';
    for (int i = 0; i < site->n_pages; i++) {
        const page_override *po = &site->pages[i];
        const char *subject = strstr(po->glob, "://") ? whole : path;
        if (fnmatch(po->glob, subject, 0) != 0)
            continue;
        if (po->v.ip_octets >= 0)
            out->ip_octets = po->v.ip_octets;
        if (po->v.record_inputs >= 0)
            out->record_inputs = po->v.record_inputs;
        if (po->v.record_pii >= 0)
            out->record_pii = po->v.record_pii;
        out->mask[1] = unless_empty(&po->v.mask);
        out->allow[1] = unless_empty(&po->v.allow);
        return; /* first matching page wins */
    }
}

static bool has_class(const char *classes, size_t len, const char *want)
{
    size_t w = strlen(want);
    const char *p = classes, *end = classes + len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *s = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        if ((size_t)(p - s) == w && !memcmp(s, want, w))
            return true;
    }
    return false;
}

static bool compound_match(const compound *c, const element_view *el)
{
    size_t len;
    if (c->tag && (strlen(c->tag) != el->tag_len || strncasecmp(c->tag, el->tag, el->tag_len)))
        return false;
    if (c->id) {
        const char *id = el->attr(el->ctx, "id", &len);
        if (!id || strlen(c->id) != len || memcmp(c->id, id, len))
            return false;
    }
    if (c->n_classes) {
        const char *cls = el->attr(el->ctx, "class", &len);
        if (!cls)
            return false;
        for (int i = 0; i < c->n_classes; i++)
            if (!has_class(cls, len, c->classes[i]))
                return false;
    }
    for (int i = 0; i < c->n_attrs; i++) {
        const char *v = el->attr(el->ctx, c->attr_names[i], &len);
        if (!v)
            return false;
        const char *want = c->attr_values[i];
        if (want && (strlen(want) != len || memcmp(want, v, len)))
            return false;
    }
    return true;
}

bool selector_list_match(const selector_list *list, const element_view *el)
{
    if (!list)
        return false;
    for (int i = 0; i < list->n; i++)
        if (compound_match(&list->items[i], el))
            return true;
    return false;
}
