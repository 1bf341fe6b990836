/*
 * config.c - the configuration file (INI, through inih) into a veil_config:
 * server and store options, site keys, and masking policy handed to the
 * masker's own vocabulary. Errors name file, line and column.
 */
#include "config.h"
#include "../common/kv.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

/* Site keys travel in URLs and HTML attributes: nothing to escape. */
#define KEY_CHARS       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-"
#define SITE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* A configuration file is a few KB; anything this large is a mistake. */
#define CONFIG_FILE_LIMIT ((size_t)1 << 20)

/* A masking option seen in the file, applied once every site is known. */
typedef struct {
    enum { SCOPE_ALL_SITES, SCOPE_SITE, SCOPE_PAGE } scope;
    char site[64];
    char glob[256];
    char name[32];
    char value[512];
    int line;
} policy_line;

typedef struct {
    veil_config *cfg;
    veil_config_error *err;
    const char *text; /* the whole file, for columns */
    const char *cursor;
    int line; /* line the handler is looking at */
    policy_line *policy;
    int n_policy;
    char profile[16]; /* [console] profile: applied first, then the overrides */
    struct {
        size_t offset;
        int value;
        bool is_bool;
    } overrides[16];
    int n_overrides;
    int failed;
} parse_ctx;

enum column_of { COLUMN_KEY, COLUMN_VALUE };

static int column_in_line(const char *text, int line, enum column_of which)
{
    const char *p = text;
    for (int l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return 1;
    const char *start = p;
    while (*p == ' ' || *p == '\t')
        p++;
    if (which == COLUMN_VALUE) {
        const char *eq = p + strcspn(p, "=:\n");
        if (*eq == '=' || *eq == ':') {
            p = eq + 1;
            while (*p == ' ' || *p == '\t')
                p++;
        }
    }
    return (int)(p - start) + 1;
}

static int fail(parse_ctx *ctx, int line, enum column_of which, const char *fmt, ...)
{
    if (ctx->failed)
        return 0;
    ctx->failed = 1;
    ctx->err->line = line;
    ctx->err->column = column_in_line(ctx->text, line, which);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err->message, sizeof ctx->err->message, fmt, ap);
    va_end(ap);
    return 0;
}

static int copy_string(char *dst, size_t cap, const char *value)
{
    size_t n = strlen(value);
    if (n >= cap)
        return VEIL_EINVAL;
    memcpy(dst, value, n + 1);
    return VEIL_OK;
}

static int parse_long(const char *value, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max)
        return VEIL_EINVAL;
    *out = v;
    return VEIL_OK;
}

static int server_option(parse_ctx *ctx, const char *name, const char *value)
{
    veil_config *cfg = ctx->cfg;
    long v;
    if (!strcmp(name, "listen")) {
        if (copy_string(cfg->listen, sizeof cfg->listen, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "listen: address too long");
    } else if (!strcmp(name, "ingest_port")) {
        if (parse_long(value, 1, 65535, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: expected a port number 1-65535", name);
        cfg->ingest_port = (int)v;
    } else if (!strcmp(name, "console_port")) {
        if (parse_long(value, 0, 65535, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "console_port: expected 0 (no console on this node) or a port number "
                        "1-65535");
        cfg->console_port = (int)v;
    } else if (!strcmp(name, "metrics_port")) {
        if (parse_long(value, 0, 65535, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "metrics_port: expected 0 (none) or a port number 1-65535");
        cfg->metrics_port = (int)v;
    } else if (!strcmp(name, "trusted_proxy")) {
        if (cfg->n_trusted_proxies == VEIL_CONFIG_MAX_PROXIES)
            return fail(ctx, ctx->line, COLUMN_KEY, "trusted_proxy: at most %d entries",
                        VEIL_CONFIG_MAX_PROXIES);
        if (copy_string(cfg->trusted_proxies[cfg->n_trusted_proxies], 64, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "trusted_proxy: address too long");
        cfg->n_trusted_proxies++;
    } else {
        char *dst = !strcmp(name, "state_dir")            ? cfg->state_dir
                    : !strcmp(name, "tls_cert")           ? cfg->tls_cert
                    : !strcmp(name, "tls_key")            ? cfg->tls_key
                    : !strcmp(name, "metrics_token_file") ? cfg->metrics_token_file
                                                          : NULL;
        if (!dst)
            return fail(ctx, ctx->line, COLUMN_KEY,
                        "unknown option '%s' in [server]; see docs/configuration.md", name);
        if (copy_string(dst, VEIL_CONFIG_PATH_MAX, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: path too long", name);
    }
    return 1;
}

static int store_option(parse_ctx *ctx, const char *name, const char *value)
{
    veil_config *cfg = ctx->cfg;
    long v;
    if (!strcmp(name, "rotate_after_days")) {
        if (parse_long(value, 0, 3650, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "rotate_after_days: expected 0 (never) to 3650 days");
        cfg->rotate_after_days = (int)v;
        return 1;
    }
    if (!strcmp(name, "rotate_after_wraps")) {
        if (parse_long(value, 0, 1L << 32, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "rotate_after_wraps: expected 0 (never) to 4294967296 data keys");
        cfg->rotate_after_wraps = v;
        return 1;
    }
    if (!strcmp(name, "backend")) {
        if (strcmp(value, "rocksdb") && strcmp(value, "rados"))
            return fail(ctx, ctx->line, COLUMN_VALUE, "backend: expected rocksdb or rados");
        cfg->rados = !strcmp(value, "rados");
        return 1;
    }
    struct {
        const char *name;
        char *dst;
        size_t cap;
    } rados[] = {{"rados_conf", cfg->rados_conf, sizeof cfg->rados_conf},
                 {"rados_keys_conf", cfg->rados_keys_conf, sizeof cfg->rados_keys_conf},
                 {"rados_data_client", cfg->rados_data_client, sizeof cfg->rados_data_client},
                 {"rados_data_pool", cfg->rados_data_pool, sizeof cfg->rados_data_pool},
                 {"rados_keys_client", cfg->rados_keys_client, sizeof cfg->rados_keys_client},
                 {"rados_keys_pool", cfg->rados_keys_pool, sizeof cfg->rados_keys_pool},
                 {"rados_namespace", cfg->rados_namespace, sizeof cfg->rados_namespace}};
    for (size_t i = 0; i < sizeof rados / sizeof rados[0]; i++) {
        if (strcmp(name, rados[i].name))
            continue;
        if (copy_string(rados[i].dst, rados[i].cap, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: too long", name);
        return 1;
    }
    if ((!strcmp(name, "root_key_file") && cfg->root_passphrase_file[0]) ||
        (!strcmp(name, "root_passphrase_file") && cfg->root_key_file[0]))
        return fail(ctx, ctx->line, COLUMN_KEY,
                    "set root_key_file or root_passphrase_file, not both");
    char *dst = !strcmp(name, "data_dir")               ? cfg->data_dir
                : !strcmp(name, "keys_dir")             ? cfg->keys_dir
                : !strcmp(name, "keyring")              ? cfg->keyring
                : !strcmp(name, "root_key_file")        ? cfg->root_key_file
                : !strcmp(name, "root_passphrase_file") ? cfg->root_passphrase_file
                                                        : NULL;
    if (!dst)
        return fail(ctx, ctx->line, COLUMN_KEY,
                    "unknown option '%s' in [store]; see docs/configuration.md", name);
    if (copy_string(dst, VEIL_CONFIG_PATH_MAX, value))
        return fail(ctx, ctx->line, COLUMN_VALUE, "%s: path too long", name);
    return 1;
}

/* The [ingest] limits: name, range, and where the value goes. */
typedef struct {
    const char *name;
    long min, max;
    const char *unit;
    size_t offset;
    bool is_size; /* a size_t field, else an int */
} limit_option;

#define LIMIT(name, min, max, unit, field, is_size)                                                \
    {                                                                                              \
        name, min, max, unit, offsetof(ingest_limits, field), is_size                              \
    }

static const limit_option LIMIT_OPTIONS[] = {
    LIMIT("max_message_bytes", 1024, 256L << 20, "bytes", max_message_bytes, true),
    LIMIT("max_inflated_bytes", 1024, 1L << 30, "bytes", max_inflated_bytes, true),
    LIMIT("batches_per_second", 0, 100000, "batches (0: no limit)", batches_per_second, false),
    LIMIT("site_batches_per_second", 0, 10000000, "batches (0: no limit)", site_batches_per_second,
          false),
    LIMIT("connections_per_ip", 0, 1000000, "connections (0: no limit)", connections_per_ip, false),
    LIMIT("max_sessions", 1, 10000000, "sessions", max_sessions, false),
    LIMIT("max_session_bytes", 0, 1L << 40, "bytes (0: no limit)", max_session_bytes, true),
    LIMIT("max_session_minutes", 0, 100000, "minutes (0: no limit)", max_session_minutes, false),
    LIMIT("hello_timeout", 1, 3600, "seconds", hello_timeout_s, false),
    LIMIT("idle_timeout", 1, 86400, "seconds", idle_timeout_s, false),
    LIMIT("masker_memory_bytes", 1L << 20, 1L << 40, "bytes", masker_memory_bytes, true),
    LIMIT("queue_bytes", 1L << 16, 1L << 34, "bytes", queue_bytes, true),
};

static int ingest_option(parse_ctx *ctx, const char *name, const char *value)
{
    veil_config *cfg = ctx->cfg;
    long v;
    if (!strcmp(name, "workers")) {
        if (parse_long(value, 0, 1024, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "workers: expected 0 (one per core) to 1024 threads");
        cfg->ingest_workers = (int)v;
        return 1;
    }
    if (!strcmp(name, "snippet") || !strcmp(name, "resume_secret_file")) {
        char *dst = name[0] == 's' ? cfg->snippet : cfg->resume_secret_file;
        if (copy_string(dst, VEIL_CONFIG_PATH_MAX, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: path too long", name);
        return 1;
    }
    for (size_t i = 0; i < sizeof LIMIT_OPTIONS / sizeof LIMIT_OPTIONS[0]; i++) {
        const limit_option *o = &LIMIT_OPTIONS[i];
        if (strcmp(name, o->name))
            continue;
        if (parse_long(value, o->min, o->max, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: expected %ld to %ld %s", name, o->min,
                        o->max, o->unit);
        char *field = (char *)&cfg->limits + o->offset;
        if (o->is_size)
            *(size_t *)field = (size_t)v;
        else
            *(int *)field = (int)v;
        return 1;
    }
    return fail(ctx, ctx->line, COLUMN_KEY,
                "unknown option '%s' in [ingest]; see docs/configuration.md", name);
}

/* "90s", "30m", "12h", "7d" (a bare number: seconds) into seconds. */
static int parse_duration(const char *value, long *seconds)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    long unit = !*end               ? 1
                : !strcmp(end, "s") ? 1
                : !strcmp(end, "m") ? 60
                : !strcmp(end, "h") ? 3600
                : !strcmp(end, "d") ? 86400
                                    : 0;
    if (errno || end == value || n < 0 || !unit || n > 100L * 365 * 86400 / unit)
        return VEIL_EINVAL;
    *seconds = n * unit;
    return VEIL_OK;
}

/* The [console] numbers: name, range, field. */
typedef struct {
    const char *name;
    int min, max;
    const char *unit;
    size_t offset;
} console_number;

#define CONSOLE(name, min, max, unit, field)                                                       \
    {                                                                                              \
        name, min, max, unit, offsetof(replay_policy, field)                                       \
    }

static const console_number CONSOLE_NUMBERS[] = {
    CONSOLE("min_length", 8, 128, "characters", min_length),
    CONSOLE("max_length", 64, 1024, "characters", max_length),
    CONSOLE("history", 0, 24, "earlier passwords (0: none)", history),
    CONSOLE("max_age_days", 0, 3650, "days (0: no expiry)", max_age_days),
    CONSOLE("lockout_threshold", 0, 100, "failed logins (0: no lockout)", lockout_threshold),
    CONSOLE("lockout_minutes", 0, 1440, "minutes (0: until an admin unlocks)", lockout_minutes),
    CONSOLE("dormant_days", 0, 3650, "days (0: never)", dormant_days),
    CONSOLE("audit_retention_days", 0, 36500, "days (0: keep)", audit_retention_days),
};

static int console_option(parse_ctx *ctx, const char *name, const char *value)
{
    veil_config *cfg = ctx->cfg;
    replay_policy probe;
    if (!strcmp(name, "profile")) {
        if (replay_policy_profile(&probe, value) ||
            copy_string(ctx->profile, sizeof ctx->profile, value))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "profile: expected asvs (the default) or classic; see docs/console.md");
        return 1;
    }
    char *path = !strcmp(name, "blocklist_file") ? cfg->blocklist_file
                 : !strcmp(name, "dir")          ? cfg->console_dir
                 : !strcmp(name, "assets")       ? cfg->console_assets
                                                 : NULL;
    if (path) {
        if (copy_string(path, VEIL_CONFIG_PATH_MAX, value))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: path too long", name);
        return 1;
    }
    if (ctx->n_overrides == (int)(sizeof ctx->overrides / sizeof ctx->overrides[0]))
        return fail(ctx, ctx->line, COLUMN_KEY, "[console]: too many options");
    if (!strcmp(name, "idle_timeout") || !strcmp(name, "absolute_timeout")) {
        long seconds;
        if (parse_duration(value, &seconds) || seconds < 10 || seconds > 30L * 86400)
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "%s: expected a duration from 10s to 30d, like 30m or 12h", name);
        ctx->overrides[ctx->n_overrides].offset = name[0] == 'i'
                                                      ? offsetof(replay_policy, idle_seconds)
                                                      : offsetof(replay_policy, absolute_seconds);
        ctx->overrides[ctx->n_overrides].is_bool = false;
        ctx->overrides[ctx->n_overrides++].value = (int)seconds;
        return 1;
    }
    if (!strcmp(name, "require_digit")) {
        bool on = !strcmp(value, "true"), off = !strcmp(value, "false");
        if (!on && !off)
            return fail(ctx, ctx->line, COLUMN_VALUE, "require_digit: expected true or false");
        ctx->overrides[ctx->n_overrides].offset = offsetof(replay_policy, require_digit);
        ctx->overrides[ctx->n_overrides].is_bool = true;
        ctx->overrides[ctx->n_overrides++].value = on;
        return 1;
    }
    for (size_t i = 0; i < sizeof CONSOLE_NUMBERS / sizeof CONSOLE_NUMBERS[0]; i++) {
        const console_number *o = &CONSOLE_NUMBERS[i];
        long v;
        if (strcmp(name, o->name))
            continue;
        if (parse_long(value, o->min, o->max, &v))
            return fail(ctx, ctx->line, COLUMN_VALUE, "%s: expected %d to %d %s", name, o->min,
                        o->max, o->unit);
        ctx->overrides[ctx->n_overrides].offset = o->offset;
        ctx->overrides[ctx->n_overrides].is_bool = false;
        ctx->overrides[ctx->n_overrides++].value = (int)v;
        return 1;
    }
    return fail(ctx, ctx->line, COLUMN_KEY,
                "unknown option '%s' in [console]; see docs/configuration.md", name);
}

/* The profile's policy, then the overrides, whatever their order in the file. */
static int build_console_policy(parse_ctx *ctx)
{
    veil_config *cfg = ctx->cfg;
    if (replay_policy_profile(&cfg->console, ctx->profile[0] ? ctx->profile : "asvs"))
        return fail(ctx, 1, COLUMN_KEY, "[console] profile is not known");
    for (int i = 0; i < ctx->n_overrides; i++) {
        char *field = (char *)&cfg->console + ctx->overrides[i].offset;
        if (ctx->overrides[i].is_bool)
            *(bool *)field = ctx->overrides[i].value;
        else
            *(int *)field = ctx->overrides[i].value;
    }
    if (cfg->console.min_length > cfg->console.max_length)
        return fail(ctx, 1, COLUMN_KEY, "[console] min_length is above max_length");
    cfg->console.blocklist_file = cfg->blocklist_file[0] ? cfg->blocklist_file : NULL;
    return 1;
}

/* "https://shop.example" or "http://localhost:8080", as browsers send it; or "*". */
static bool origin_syntax_ok(const char *o)
{
    if (!strcmp(o, "*"))
        return true;
    const char *host = !strncmp(o, "https://", 8)  ? o + 8
                       : !strncmp(o, "http://", 7) ? o + 7
                                                   : NULL;
    return host && *host && !strpbrk(host, "/?# ");
}

/* `origin = A B ...`: each allowed to record for the site; repeatable. */
static int site_origins(parse_ctx *ctx, veil_site_config *sc, const char *value)
{
    char list[512];
    if (copy_string(list, sizeof list, value))
        return fail(ctx, ctx->line, COLUMN_VALUE, "origin: value too long");
    char *save = NULL;
    for (char *o = strtok_r(list, " ,", &save); o; o = strtok_r(NULL, " ,", &save)) {
        if (!origin_syntax_ok(o))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "origin: expected scheme://host[:port] as browsers send it (e.g. "
                        "https://shop.example), or *");
        if (sc->n_origins == INGEST_MAX_ORIGINS ||
            copy_string(sc->origins[sc->n_origins], sizeof sc->origins[0], o))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "origin: at most %d, each up to 255 characters", INGEST_MAX_ORIGINS);
        sc->n_origins++;
    }
    return 1;
}

static veil_site_config *find_site(veil_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_sites; i++)
        if (!strcmp(cfg->sites[i].name, name))
            return &cfg->sites[i];
    return NULL;
}

static veil_site_config *add_site(parse_ctx *ctx, const char *name)
{
    veil_config *cfg = ctx->cfg;
    veil_site_config *site = find_site(cfg, name);
    if (site)
        return site;
    veil_site_config *sites = realloc(cfg->sites, (size_t)(cfg->n_sites + 1) * sizeof *sites);
    if (!sites)
        return NULL;
    cfg->sites = sites;
    site = &sites[cfg->n_sites];
    memset(site, 0, sizeof *site);
    if (copy_string(site->name, sizeof site->name, name))
        return NULL;
    cfg->n_sites++;
    return site;
}

/* `key = K` of a site: one per site, and no two sites share one, since the
 * key is all that tells ingest which site a recording is from (and so
 * which policy masks it): a section copied for a new site and left with the
 * old key would mask one site's visitors by the other's policy. */
static int site_key(parse_ctx *ctx, veil_site_config *sc, const char *value)
{
    if (!*value || strspn(value, KEY_CHARS) != strlen(value) || strlen(value) >= sizeof sc->key)
        return fail(ctx, ctx->line, COLUMN_VALUE,
                    "key: expected 1 to 127 letters, digits, '.', '_', '~' or '-' (the site key "
                    "the snippet sends)");
    if (sc->key[0])
        return fail(ctx, ctx->line, COLUMN_KEY,
                    "key: [site %s] has a key already; a site has one (two [site %s] sections?)",
                    sc->name, sc->name);
    for (int i = 0; i < ctx->cfg->n_sites; i++)
        if (&ctx->cfg->sites[i] != sc && !strcmp(ctx->cfg->sites[i].key, value))
            return fail(ctx, ctx->line, COLUMN_VALUE,
                        "key: [site %s] has this key already; give each site its own",
                        ctx->cfg->sites[i].name);
    memcpy(sc->key, value, strlen(value) + 1);
    return 1;
}

/* Checks a masking option now, so its error names this line. */
static int policy_option(parse_ctx *ctx, int scope, const char *site, const char *glob,
                         const char *name, const char *value)
{
    masker_site *scratch = masker_site_new();
    if (!scratch)
        return fail(ctx, ctx->line, COLUMN_KEY, "out of memory");
    const char *why = NULL;
    int err = masker_site_set(scratch, glob, name, value, &why);
    masker_site_free(scratch);
    if (err)
        return fail(ctx, ctx->line, why && strstr(why, "unknown") ? COLUMN_KEY : COLUMN_VALUE,
                    "%s; see docs/configuration.md", why ? why : "invalid value");

    policy_line *lines = realloc(ctx->policy, (size_t)(ctx->n_policy + 1) * sizeof *lines);
    if (!lines)
        return fail(ctx, ctx->line, COLUMN_KEY, "out of memory");
    ctx->policy = lines;
    policy_line *pl = &lines[ctx->n_policy++];
    memset(pl, 0, sizeof *pl);
    pl->scope = scope;
    pl->line = ctx->line;
    if (copy_string(pl->site, sizeof pl->site, site ? site : "") ||
        copy_string(pl->glob, sizeof pl->glob, glob ? glob : "") ||
        copy_string(pl->name, sizeof pl->name, name) ||
        copy_string(pl->value, sizeof pl->value, value))
        return fail(ctx, ctx->line, COLUMN_VALUE, "%s: value too long", name);
    return 1;
}

/* "[site NAME]" and "[page NAME GLOB]": splits the section title. The name
 * may be quoted, as git's configuration writes it: [site "shop"]. */
static int split_section(const char *section, const char *kind, char *name, size_t name_cap,
                         const char **rest)
{
    size_t k = strlen(kind);
    if (strncmp(section, kind, k) || section[k] != ' ')
        return VEIL_EINVAL;
    const char *p = section + k + 1;
    while (*p == ' ')
        p++;
    bool quoted = *p == '"';
    size_t n = quoted ? strcspn(++p, "\"") : strcspn(p, " ");
    if (n == 0 || n >= name_cap || (quoted && p[n] != '"'))
        return VEIL_EINVAL;
    memcpy(name, p, n);
    name[n] = '\0';
    p += n + quoted;
    while (*p == ' ')
        p++;
    *rest = p;
    return VEIL_OK;
}

static int on_option(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *ctx = user;
    if (ctx->failed)
        return 0;
    char site[64];
    const char *rest;
    if (!strcmp(section, "server"))
        return server_option(ctx, name, value);
    if (!strcmp(section, "store"))
        return store_option(ctx, name, value);
    if (!strcmp(section, "ingest"))
        return ingest_option(ctx, name, value);
    if (!strcmp(section, "console"))
        return console_option(ctx, name, value);
    if (!strcmp(section, "masking"))
        return policy_option(ctx, SCOPE_ALL_SITES, NULL, NULL, name, value);
    if (!split_section(section, "site", site, sizeof site, &rest) && !*rest) {
        if (strspn(site, SITE_NAME_CHARS) != strlen(site)) /* the store files sessions by it */
            return fail(ctx, ctx->line, COLUMN_KEY,
                        "[site %s]: a site's name is letters, digits, '.', '_' or '-'", site);
        veil_site_config *sc = add_site(ctx, site);
        if (!sc)
            return fail(ctx, ctx->line, COLUMN_KEY, "site name too long or out of memory");
        if (!strcmp(name, "retention_days")) {
            long days;
            if (parse_long(value, 0, 36500, &days))
                return fail(ctx, ctx->line, COLUMN_VALUE,
                            "retention_days: expected 0 (keep) to 36500 days");
            sc->retention_days = (int)days;
            return 1;
        }
        if (!strcmp(name, "origin"))
            return site_origins(ctx, sc, value);
        if (!strcmp(name, "replay_assets")) {
            if (strcmp(value, "true") && strcmp(value, "false"))
                return fail(ctx, ctx->line, COLUMN_VALUE, "replay_assets: expected true or false");
            sc->replay_assets = !strcmp(value, "true");
            return 1;
        }
        if (!strcmp(name, "key"))
            return site_key(ctx, sc, value);
        return policy_option(ctx, SCOPE_SITE, site, NULL, name, value);
    }
    if (!split_section(section, "page", site, sizeof site, &rest) && *rest)
        return policy_option(ctx, SCOPE_PAGE, site, rest, name, value);
    return fail(ctx, ctx->line, COLUMN_KEY,
                "unknown section [%s]: expected [server], [ingest], [store], [console], [masking], "
                "[site NAME] or "
                "[page SITE GLOB]",
                section);
}

/* inih reads through this, so the handler knows which line it is on. */
static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *ctx = stream;
    if (!*ctx->cursor)
        return NULL;
    size_t n = strcspn(ctx->cursor, "\n");
    size_t take = n < (size_t)num - 1 ? n : (size_t)num - 1;
    if (take < n)
        fail(ctx, ctx->line + 1, COLUMN_KEY, "line longer than %d characters", num - 1);
    memcpy(str, ctx->cursor, take);
    str[take] = '\0';
    ctx->cursor += n + (ctx->cursor[n] == '\n');
    ctx->line++;
    return str;
}

static void set_defaults(veil_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->listen, "127.0.0.1");
    cfg->ingest_port = 8443;
    cfg->console_port = 8444;
    strcpy(cfg->state_dir, "var");
    cfg->rotate_after_days = 90;
    cfg->rotate_after_wraps = 1LL << 30;
    strcpy(cfg->rados_conf, "/etc/ceph/ceph.conf");
    strcpy(cfg->rados_data_client, "client.veil-data");
    strcpy(cfg->rados_data_pool, "veil-data");
    strcpy(cfg->rados_keys_client, "client.veil-keys");
    strcpy(cfg->rados_keys_pool, "veil-keys");
    ingest_limits_default(&cfg->limits);
    snprintf(cfg->snippet, sizeof cfg->snippet, "%s", VEIL_SNIPPET_DEFAULT);
    snprintf(cfg->console_assets, sizeof cfg->console_assets, "%s", VEIL_CONSOLE_ASSETS_DEFAULT);
}

/* Store paths not set in the file live under state_dir. */
static int default_store_paths(parse_ctx *ctx)
{
    veil_config *cfg = ctx->cfg;
    if (!cfg->rados_keys_conf[0]) /* the keys on the data's cluster, in their own pool */
        memcpy(cfg->rados_keys_conf, cfg->rados_conf, sizeof cfg->rados_keys_conf);
    bool one_cluster = !strcmp(cfg->rados_conf, cfg->rados_keys_conf);
    if (cfg->rados && one_cluster &&
        (!strcmp(cfg->rados_data_pool, cfg->rados_keys_pool) ||
         !strcmp(cfg->rados_data_client, cfg->rados_keys_client)))
        return fail(ctx, 1, COLUMN_KEY,
                    "[store] backend = rados: the keys need a pool and a client of their own "
                    "(rados_keys_pool, rados_keys_client), or a stolen data credential reads them");
    if (cfg->rados && !kv_have_rados())
        return fail(ctx, 1, COLUMN_KEY,
                    "[store] backend = rados: librados cannot be loaded (install librados2; "
                    "a veil built without librados-dev cannot use RADOS)");
    struct {
        char *dst;
        const char *leaf;
    } paths[] = {{cfg->data_dir, "data"},
                 {cfg->keys_dir, "keys"},
                 {cfg->keyring, "keyring"},
                 {cfg->console_dir, "console"},
                 {cfg->resume_secret_file, "ingest.secret"},
                 {cfg->root_passphrase_file[0] ? NULL : cfg->root_key_file, "root.key"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (!paths[i].dst || paths[i].dst[0])
            continue;
        if (snprintf(paths[i].dst, VEIL_CONFIG_PATH_MAX, "%s/%s", cfg->state_dir, paths[i].leaf) >=
            VEIL_CONFIG_PATH_MAX)
            return fail(ctx, 1, COLUMN_KEY, "state_dir: path too long");
    }
    return 1;
}

/* The masking options of a site as written, for the console's admin page. */
static int note_policy(veil_site_config *sc, const policy_line *pl)
{
    size_t have = sc->policy_text ? strlen(sc->policy_text) : 0;
    size_t room = strlen(pl->glob) + strlen(pl->name) + strlen(pl->value) + 32;
    char *text = realloc(sc->policy_text, have + room);
    if (!text)
        return VEIL_ENOMEM;
    sc->policy_text = text;
    const char *scope = pl->scope == SCOPE_ALL_SITES ? "[masking] " : "";
    if (pl->scope == SCOPE_PAGE)
        snprintf(text + have, room, "[page %s] %s = %s\n", pl->glob, pl->name, pl->value);
    else
        snprintf(text + have, room, "%s%s = %s\n", scope, pl->name, pl->value);
    return VEIL_OK;
}

static int build_sites(parse_ctx *ctx)
{
    veil_config *cfg = ctx->cfg;
    if (cfg->n_sites == 0) {
        veil_site_config *demo = add_site(ctx, "demo");
        if (!demo)
            return fail(ctx, 1, COLUMN_KEY, "out of memory");
        strcpy(demo->key, "demo-site-key");
        /* the demo page is served by the ingest listener itself */
        snprintf(demo->origins[0], sizeof demo->origins[0], "https://127.0.0.1:%d",
                 cfg->ingest_port);
        snprintf(demo->origins[1], sizeof demo->origins[1], "https://localhost:%d",
                 cfg->ingest_port);
        demo->n_origins = 2;
    }
    for (int i = 0; i < cfg->n_sites; i++) {
        veil_site_config *sc = &cfg->sites[i];
        if (!sc->key[0])
            return fail(ctx, 1, COLUMN_KEY,
                        "[site %s] has no key: add 'key = ...' (the key its snippet sends)",
                        sc->name);
        sc->policy = masker_site_new();
        if (!sc->policy)
            return fail(ctx, 1, COLUMN_KEY, "out of memory");
    }
    /* Three rounds so that [masking] < [site] < [page] whatever the file order. */
    for (int scope = SCOPE_ALL_SITES; scope <= SCOPE_PAGE; scope++) {
        for (int j = 0; j < ctx->n_policy; j++) {
            policy_line *pl = &ctx->policy[j];
            if ((int)pl->scope != scope)
                continue;
            veil_site_config *only = scope == SCOPE_ALL_SITES ? NULL : find_site(cfg, pl->site);
            if (scope != SCOPE_ALL_SITES && !only)
                return fail(ctx, pl->line, COLUMN_KEY,
                            "[page %s ...] names a site that has no [site %s] section", pl->site,
                            pl->site);
            for (int i = 0; i < cfg->n_sites; i++) {
                if (only && only != &cfg->sites[i])
                    continue;
                const char *why;
                if (masker_site_set(cfg->sites[i].policy, pl->glob[0] ? pl->glob : NULL, pl->name,
                                    pl->value, &why))
                    return fail(ctx, pl->line, COLUMN_VALUE, "%s", why);
                if (note_policy(&cfg->sites[i], pl))
                    return fail(ctx, pl->line, COLUMN_KEY, "out of memory");
            }
        }
    }
    return 1;
}

int veil_config_load_string(veil_config *cfg, const char *text, const char *name,
                            veil_config_error *err)
{
    set_defaults(cfg);
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", name);
    parse_ctx ctx = {.cfg = cfg, .err = err, .text = text, .cursor = text};
    int line = ini_parse_stream(read_line, &ctx, on_option, &ctx);
    if (line > 0 && !ctx.failed)
        fail(&ctx, line, COLUMN_KEY,
             "syntax error: expected '[section]', 'name = value' or a comment");
    else if (line < 0 && !ctx.failed)
        fail(&ctx, 1, COLUMN_KEY, "out of memory");
    if (!ctx.failed && default_store_paths(&ctx) && build_console_policy(&ctx))
        build_sites(&ctx);
    free(ctx.policy);
    if (ctx.failed) {
        veil_config_free(cfg);
        return VEIL_ECONFIG;
    }
    return VEIL_OK;
}

int veil_config_load(veil_config *cfg, const char *path, veil_config_error *err)
{
    if (!path)
        return veil_config_load_string(cfg, "", "(defaults)", err);
    veil_buf text = {0};
    int rc = veil_read_file(path, &text, CONFIG_FILE_LIMIT, NULL);
    if (rc) {
        set_defaults(cfg);
        memset(err, 0, sizeof *err);
        snprintf(err->file, sizeof err->file, "%s", path);
        snprintf(err->message, sizeof err->message,
                 "cannot read the configuration file: %s; pass an existing file with --config",
                 veil_strerror(rc));
        veil_buf_free(&text);
        return rc == VEIL_ETOOBIG ? VEIL_ECONFIG : VEIL_EIO;
    }
    rc = veil_config_load_string(cfg, text.data, path, err);
    veil_buf_free(&text);
    return rc;
}

void veil_config_free(veil_config *cfg)
{
    for (int i = 0; i < cfg->n_sites; i++) {
        masker_site_free(cfg->sites[i].policy);
        free(cfg->sites[i].policy_text);
    }
    free(cfg->sites);
    cfg->sites = NULL;
    cfg->n_sites = 0;
}

const veil_site_config *veil_config_site(const veil_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_sites; i++)
        if (!strcmp(cfg->sites[i].name, name))
            return &cfg->sites[i];
    return NULL;
}
