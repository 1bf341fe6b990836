/*
 * masker.h - strips card numbers, secrets, visitor IPs and PII from batches
 * of rrweb events before anything is stored.
 *
 * Contents
 *   1. Policy: what a site masks (site defaults, page overrides, rules).
 *   2. Sessions: per-recording state and the masking call itself.
 *   3. Findings: what was masked, counted by kind.
 *   4. Helpers used outside the event path (visitor IP from a socket,
 *      events of a file read in pieces).
 *
 * Input contract of masker_session_mask(): `json` points at `len` bytes of
 * UTF-8 JSON followed by one NUL byte (`json[len] == '\0'`); the scanner never
 * reads past that NUL. The JSON is an array of rrweb events, a single event
 * object, or an object with an "events" array (the ingest wire batch). The
 * bytes are rewritten in place; the masked result is returned through
 * `masker_result`, which points either into `json` or into memory owned by
 * the session (valid until the next call on that session). A string a mask
 * made shorter is followed by spaces, so the batch keeps its length; only a
 * mask that makes a string longer (a short value under the fixed 8-character
 * mask) makes the session copy the batch.
 *
 * Fail closed: on any error nothing of the input is returned, and the input
 * buffer may already be partly rewritten, so the caller must discard it.
 */
#ifndef VEIL_MASKER_H
#define VEIL_MASKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

/* ---- 1. Policy ------------------------------------------------------- */

/*
 * A site policy: defaults for every page, plus page overrides chosen by URL
 * glob (fnmatch, matched against the page URL's path, or the whole URL when
 * the glob contains "://"). Options, by name, as in the config file:
 *
 *   ip_octets       0..4   IPv4 octets zeroed (IPv6: 0, 64, 80, 104, 128 bits)
 *   record_inputs   bool   keep ordinary input values (card, password and
 *                          sensitive fields stay masked whatever this says)
 *   record_pii      bool   keep emails and phone numbers
 *   mask_selector   list   elements whose value and text beneath are masked
 *   allow_selector  list   inputs whose values are kept (like record_inputs,
 *                          for matching elements only)
 *
 * Selectors: a comma-separated list of compound selectors made of a tag,
 * `#id`, `.class`, `[attr]` and `[attr=value]` (value optionally quoted;
 * also `^=`, `$=`, `*=`, `~=`, `|=` and an ` i` flag, as CSS reads them).
 */
typedef struct masker_site masker_site;

masker_site *masker_site_new(void);
void masker_site_free(masker_site *site);

/*
 * Sets one option for the whole site (page_glob == NULL) or for pages
 * matching page_glob. Selector options add to the list. On failure returns
 * VEIL_EINVAL and points *why at a sentence saying what is accepted.
 */
int masker_site_set(masker_site *site, const char *page_glob, const char *name, const char *value,
                    const char **why) VEIL_MUST_CHECK;

/*
 * What the browser snippet can mask itself on a page (rrweb's own options),
 * sent to it in `ready`. Hints only: the server masks everything again.
 */
typedef struct {
    bool record_inputs;
    bool record_pii;
    char mask_selector[1024]; /* the site's and the page's, ", "-joined; "" for none */
} masker_hints;

void masker_site_hints(const masker_site *site, const char *url, masker_hints *out);

/* ---- 2. Sessions ----------------------------------------------------- */

typedef struct masker_session masker_session;

typedef struct {
    const char *data; /* masked JSON; not NUL-terminated */
    size_t len;
} masker_result;

/* ---- 3. Findings ----------------------------------------------------- */

enum masker_finding {
    MASKER_CARD_IN_FIELD,  /* card number typed into a known card field */
    MASKER_CARD_ELSEWHERE, /* card number outside a card field: alert */
    MASKER_IP,             /* IP literal truncated */
    MASKER_EMAIL,          /* email address masked */
    MASKER_PHONE,          /* phone number masked */
    MASKER_FIELD,          /* input/password/card/sensitive value masked */
    MASKER_UNKNOWN_ID,     /* node id never seen: masked, fail closed */
    MASKER_SECRET,         /* a value named like a secret (password=, "token":) */
    MASKER_SHAPE,          /* a shape the walk does not understand: masked whole */
    MASKER_FINDING_COUNT
};

typedef struct {
    uint64_t count[MASKER_FINDING_COUNT];
    uint64_t events; /* rrweb events walked (not findings: for session summaries) */
    uint64_t pages;  /* page views: Meta events and single-page-app URL changes */
} masker_findings;

/* Stable snake_case name of a finding kind, for reports and metrics. */
const char *masker_finding_name(enum masker_finding kind);

/*
 * A session keeps, across batches, which node ids exist and which are
 * sensitive. `site` must outlive the session. `page_url` may be NULL.
 */
masker_session *masker_session_new(const masker_site *site, const char *page_url);
void masker_session_free(masker_session *s);

/*
 * Masks one batch. Adds what it masked to *findings (not reset). Returns 0,
 * or VEIL_EJSON / VEIL_ETOODEEP / VEIL_ETOOBIG / VEIL_ENOMEM with *err (may
 * be NULL) saying what and at which byte of the input.
 */
int masker_session_mask(masker_session *s, char *json, size_t len, masker_result *out,
                        masker_findings *findings, veil_error *err) VEIL_MUST_CHECK;

/* Bytes of state the session holds between batches (for limits and docs). */
size_t masker_session_state_bytes(const masker_session *s);

/*
 * Releases the per-batch working memory (the token tape, decode buffers,
 * the copy of a lengthened batch), wiped, keeping the state: for a server
 * holding many sessions that are idle between batches. The next batch
 * allocates it again. Invalidates the last masker_result.
 */
void masker_session_trim(masker_session *s);

/* ---- 4. Helpers ------------------------------------------------------ */

/*
 * Writes `ip` (IPv4 or IPv6 text) with its last `octets` octets zeroed
 * (IPv6: the last 0/64/80/104/128 bits for 0..4) into out, NUL-terminated.
 * Returns VEIL_EINVAL when `ip` is not an address.
 */
int masker_ip_truncate(const char *ip, int octets, char *out, size_t outlen) VEIL_MUST_CHECK;

/*
 * Reading a JSON array of events in pieces, to mask a file of any size in
 * constant memory (split.re). A splitter reads buf[0, len), where buf[len]
 * is NUL, from sp->at on; masker_splitter_init() starts it just after the
 * array's '['. masker_split_next() returns
 *   MASKER_SPLIT_ELEMENT  the next element is buf[*start, *end)
 *   MASKER_SPLIT_END      the array's ']' is buf[*start] (*end is past it)
 *   MASKER_SPLIT_MORE     buf ends first: call again once more bytes follow
 *                         buf[len - 1]; reading resumes where it stopped
 *   MASKER_SPLIT_BAD      buf[*start] cannot come next in an array
 * When the caller drops buf[0, n) (written out) and moves the rest to the
 * buffer's start, masker_splitter_moved(sp, n) follows it; the bytes of an
 * element not yet returned must stay. Only strings, brackets and commas
 * are read: the masker validates each element when it masks it.
 */
typedef struct {
    size_t at;      /* where reading resumes */
    size_t start;   /* where the element being read began */
    size_t depth;   /* brackets open in it */
    unsigned state; /* what may come next */
    bool first;     /* no element was returned yet */
} masker_splitter;

enum masker_split { MASKER_SPLIT_ELEMENT, MASKER_SPLIT_END, MASKER_SPLIT_MORE, MASKER_SPLIT_BAD };

void masker_splitter_init(masker_splitter *sp, size_t at);
enum masker_split masker_split_next(masker_splitter *sp, const char *buf, size_t len, size_t *start,
                                    size_t *end);
void masker_splitter_moved(masker_splitter *sp, size_t dropped);

/* Upper bound on the JSON accepted in one call. */
#define MASKER_MAX_INPUT ((size_t)1 << 30)
/* Deepest JSON nesting accepted (rrweb DOM depth is about half of this). */
#define MASKER_MAX_DEPTH 2048

#endif
