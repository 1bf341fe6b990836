/*
 * nodes.c - the per-session table of rrweb node ids: each id's parent, what
 * kind of field it is, and (for sites with selectors) which selector atoms
 * it meets.
 *
 * Ids are small dense integers in practice (rrweb counts from 1), so the
 * table is paged: 256 ids per page (1,288 bytes), pages found by binary
 * search. Hostile sparse ids cost at most one page each and the table stops
 * at NODES_MAX_PAGES (about 1.3 MiB); an id that does not fit is simply not
 * remembered, so later events naming it are masked as unknown (fail closed).
 */
#include "nodes.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 8
#define PAGE_IDS   (1u << PAGE_SHIFT)

struct node_page {
    uint32_t parent[PAGE_IDS];
    uint8_t flags[PAGE_IDS]; /* without NF_KNOWN: id not known (its sticky flags may stay) */
    uint64_t *atoms;         /* PAGE_IDS entries, only once a site's selectors need them */
};

static long find_page(const node_table *t, uint32_t page_no)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->page_no[mid] < page_no)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < t->n && t->page_no[lo] == page_no) ? (long)lo : -(long)lo - 1;
}

static node_page *page_for(const node_table *t, uint32_t id)
{
    uint32_t page_no = id >> PAGE_SHIFT;
    if (t->last && t->last_no == page_no)
        return t->last;
    long at = find_page(t, page_no);
    if (at < 0)
        return NULL;
    node_table *mut = (node_table *)t; /* the cache is not part of the value */
    mut->last = t->pages[at];
    mut->last_no = page_no;
    return mut->last;
}

/* Inserts a zeroed page for page_no, keeping the page list sorted. */
static int add_page(node_table *t, uint32_t page_no, node_page **out)
{
    size_t pos = (size_t)(-find_page(t, page_no) - 1);
    if (t->n == NODES_MAX_PAGES)
        return VEIL_ETOOBIG;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        uint32_t *nos = realloc(t->page_no, cap * sizeof *nos);
        if (!nos)
            return VEIL_ENOMEM;
        t->page_no = nos;
        node_page **pages = realloc(t->pages, cap * sizeof *pages);
        if (!pages)
            return VEIL_ENOMEM;
        t->pages = pages;
        t->cap = cap;
    }
    node_page *pg = calloc(1, sizeof *pg);
    if (!pg)
        return VEIL_ENOMEM;
    memmove(t->page_no + pos + 1, t->page_no + pos, (t->n - pos) * sizeof *t->page_no);
    memmove(t->pages + pos + 1, t->pages + pos, (t->n - pos) * sizeof *t->pages);
    t->page_no[pos] = page_no;
    t->pages[pos] = pg;
    t->n++;
    t->last = pg;
    t->last_no = page_no;
    *out = pg;
    return VEIL_OK;
}

int nodes_set(node_table *t, uint32_t id, uint32_t parent, uint8_t *flags, bool *changed)
{
    node_page *pg = page_for(t, id);
    if (!pg) {
        int rc = add_page(t, id >> PAGE_SHIFT, &pg);
        if (rc)
            return rc;
    }
    uint32_t at = id & (PAGE_IDS - 1);
    uint8_t now = *flags | NF_KNOWN | (pg->flags[at] & NF_STICKY);
    if (changed)
        *changed = (pg->flags[at] & NF_KNOWN) && (pg->parent[at] != parent || pg->flags[at] != now);
    pg->parent[at] = parent;
    pg->flags[at] = now;
    *flags = now;
    return VEIL_OK;
}

int nodes_set_atoms(node_table *t, uint32_t id, uint64_t atoms)
{
    node_page *pg = page_for(t, id);
    if (!pg)
        return VEIL_ENOTFOUND;
    if (!pg->atoms && !(pg->atoms = calloc(PAGE_IDS, sizeof *pg->atoms)))
        return VEIL_ENOMEM;
    pg->atoms[id & (PAGE_IDS - 1)] = atoms;
    return VEIL_OK;
}

uint64_t nodes_get_atoms(const node_table *t, uint32_t id)
{
    node_page *pg = page_for(t, id);
    return pg && pg->atoms ? pg->atoms[id & (PAGE_IDS - 1)] : 0;
}

bool nodes_get(const node_table *t, uint32_t id, uint32_t *parent, uint8_t *flags)
{
    node_page *pg = page_for(t, id);
    if (!pg || !(pg->flags[id & (PAGE_IDS - 1)] & NF_KNOWN))
        return false;
    *parent = pg->parent[id & (PAGE_IDS - 1)];
    *flags = pg->flags[id & (PAGE_IDS - 1)];
    return true;
}

void nodes_reflag(node_table *t, nodes_reflag_fn reflag, const void *user)
{
    for (size_t i = 0; i < t->n; i++) {
        node_page *pg = t->pages[i];
        for (uint32_t at = 0; at < PAGE_IDS; at++)
            if (pg->flags[at] & NF_KNOWN) /* atoms not kept (out of memory): it meets none */
                pg->flags[at] =
                    (uint8_t)(reflag(user, pg->atoms ? pg->atoms[at] : 0, pg->flags[at]) |
                              NF_KNOWN | (pg->flags[at] & NF_STICKY));
    }
}

void nodes_renumbered(node_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        node_page *pg = t->pages[i];
        for (uint32_t at = 0; at < PAGE_IDS; at++)
            pg->flags[at] &= NF_STICKY;
        memset(pg->parent, 0, sizeof pg->parent);
        if (pg->atoms)
            memset(pg->atoms, 0, PAGE_IDS * sizeof *pg->atoms);
    }
}

void nodes_clear(node_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->pages[i]->atoms);
        free(t->pages[i]);
    }
    free(t->pages);
    free(t->page_no);
    memset(t, 0, sizeof *t);
}

size_t nodes_bytes(const node_table *t)
{
    size_t bytes = t->n * sizeof(node_page) + t->cap * (sizeof *t->page_no + sizeof *t->pages);
    for (size_t i = 0; i < t->n; i++)
        bytes += t->pages[i]->atoms ? PAGE_IDS * sizeof *t->pages[i]->atoms : 0;
    return bytes;
}
