/* nodes.h - per-session node id table (module-private; see nodes.c). */
#ifndef VEIL_MASKER_NODES_H
#define VEIL_MASKER_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

#define NODES_MAX_PAGES 1024

/* What a node is, as far as masking cares. */
enum {
    NF_KNOWN = 1,
    NF_SENSITIVE = 2, /* data-veil-sensitive or a site mask rule */
    NF_CARD = 4,      /* card number, CVC or expiry field */
    NF_PASSWORD = 8,  /* is or was a password (or another secret) field */
    NF_INPUT = 16,    /* input/textarea/select: value masked unless allowed */
    NF_ALLOW = 32,    /* matched an allow_selector */
    NF_HOLDER = 64,   /* textarea/select/contenteditable: text beneath is its value */
    NF_PII = 128,     /* an email or phone field: value masked unless PII is recorded */
};

/* Flags a node keeps for as long as its id is known, even when it is
 * removed and added again as something else ("was once a password"). */
#define NF_STICKY (NF_SENSITIVE | NF_CARD | NF_PASSWORD)

typedef struct node_page node_page;

typedef struct {
    uint32_t *page_no;
    node_page **pages;
    size_t n, cap;
    node_page *last; /* lookup cache */
    uint32_t last_no;
} node_table;

/*
 * Records id's parent and *flags; the sticky flags it had stay, and *flags
 * becomes what the id has now (with NF_KNOWN). *changed (may be NULL) says
 * whether a known id got another parent or other flags. VEIL_ETOOBIG past
 * NODES_MAX_PAGES, VEIL_ENOMEM when out of memory: the id is then not
 * remembered, and later events naming it are masked as unknown.
 */
int nodes_set(node_table *t, uint32_t id, uint32_t parent, uint8_t *flags,
              bool *changed) VEIL_MUST_CHECK;
bool nodes_get(const node_table *t, uint32_t id, uint32_t *parent, uint8_t *flags);

/* The selector atoms node id meets (policy.c), for sites with selectors;
 * 0 for an id never given any. nodes_set_atoms() needs the id set first. */
int nodes_set_atoms(node_table *t, uint32_t id, uint64_t atoms) VEIL_MUST_CHECK;
uint64_t nodes_get_atoms(const node_table *t, uint32_t id);

/* Gives every known id the flags `reflag` makes of its atoms and flags (its sticky flags stay): the
 * selectors of a new page applied to the nodes already on it. */
typedef uint8_t (*nodes_reflag_fn)(const void *user, uint64_t atoms, uint8_t flags);
void nodes_reflag(node_table *t, nodes_reflag_fn reflag, const void *user);

/* A new full snapshot: every id is unknown again, but keeps its sticky
 * flags, since a recorder that keeps its ids across snapshots (rrweb 1.x,
 * takeFullSnapshot() and checkouts) sends the same field under the same id.
 * A page that numbers from 1 again may find a few of its nodes masked. */
void nodes_renumbered(node_table *t);

void nodes_clear(node_table *t);
size_t nodes_bytes(const node_table *t);

#endif
