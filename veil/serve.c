/*
 * serve.c - `veil serve`: opens the store, starts its maintenance, and runs
 * one libwebsockets context with the ingest listener, the console and, when
 * configured, a plain metrics listener. SIGTERM or SIGINT drains ingest
 * (what was received is stored and acked, then connections close with 1001)
 * before the process exits.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <sodium.h>

#include "../common/tls.h"
#include "../ingest/ingest.h"
#include "../replay/replay.h"
#include "cli.h"
#include "maintain.h"

/* How long a drain may take before the rest is left to the clients' resend. */
#define DRAIN_SECONDS 30

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* lws logs only warnings and errors, and never request data. */
static void log_line(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "veil serve: lws: %s", line);
}

typedef struct {
    veil_config cfg;
    store *st;
    maintainer *maint;
    ingest_site *sites;
    ingest *in;
    console_db *console;
    replay_site *console_sites;
    replay *console_server;
    char metrics_token[256];
    struct lws_context *ctx;
} server;

static int all_metrics(void *user, veil_buf *out)
{
    server *s = user;
    int rc = maintain_metrics(out);
    return rc ? rc : ingest_metrics(s->in, out);
}

/* The configured sites, as ingest sees them; every one needs an origin. */
static int ingest_sites(server *s)
{
    const veil_config *cfg = &s->cfg;
    if (!(s->sites = calloc((size_t)cfg->n_sites, sizeof *s->sites))) {
        cli_error("out of memory");
        return VEIL_ENOMEM;
    }
    for (int i = 0; i < cfg->n_sites; i++) {
        const veil_site_config *sc = &cfg->sites[i];
        if (!sc->n_origins) {
            cli_error("[site %s] has no origin: add 'origin = https://...' naming the pages "
                      "that record (docs/configuration.md)",
                      sc->name);
            return VEIL_ECONFIG;
        }
        ingest_site *is = &s->sites[i];
        is->name = sc->name;
        is->key = sc->key;
        is->policy = sc->policy;
        is->n_origins = sc->n_origins;
        for (int o = 0; o < sc->n_origins; o++)
            is->origins[o] = sc->origins[o];
    }
    return VEIL_OK;
}

static int start_ingest(server *s)
{
    const veil_config *cfg = &s->cfg;
    const char *proxies[VEIL_CONFIG_MAX_PROXIES];
    for (int i = 0; i < cfg->n_trusted_proxies; i++)
        proxies[i] = cfg->trusted_proxies[i];
    const veil_site_config *demo = veil_config_site(cfg, "demo");
    ingest_config ic = {
        .sites = s->sites,
        .n_sites = cfg->n_sites,
        .limits = cfg->limits,
        .st = s->st,
        .secret_file = cfg->resume_secret_file,
        .snippet_path = cfg->snippet,
        .trusted_proxies = proxies, /* copied by ingest_create */
        .n_trusted_proxies = cfg->n_trusted_proxies,
        .workers = cfg->ingest_workers,
        .demo_site_key = demo ? demo->key : NULL,
    };
    veil_error err = {0};
    int rc = ingest_create(&s->in, &ic, &err);
    if (rc)
        cli_error("%s: %s", err.what ? err.what : "cannot start ingest", veil_strerror(rc));
    return rc;
}

/* The first line of metrics_token_file, at least 16 characters. */
static int load_metrics_token(server *s)
{
    if (!s->cfg.metrics_token_file[0])
        return VEIL_OK;
    veil_buf text = {0};
    int rc = veil_read_file(s->cfg.metrics_token_file, &text, 4096, NULL);
    size_t n = rc ? 0 : strcspn(text.data, "\r\n");
    if (!rc && (n < 16 || n >= sizeof s->metrics_token))
        rc = VEIL_EINVAL;
    if (!rc)
        memcpy(s->metrics_token, text.data, n);
    veil_buf_free(&text);
    if (rc)
        cli_error("metrics_token_file %s: %s; its first line must be the token, 16 to 255 "
                  "characters",
                  s->cfg.metrics_token_file, veil_strerror(rc));
    return rc;
}

static int rotate_keys(void *user, uint32_t *new_version)
{
    server *s = user;
    return store_key_rotate(s->st, new_version); /* the maintenance thread rewraps */
}

/* The console: its database (the first admin made when there is none),
 * its view of the sites, its policy. */
static int start_console(server *s)
{
    const veil_config *cfg = &s->cfg;
    veil_error err = {0};
    int rc = console_db_open(&s->console, cfg->console_dir, &err);
    if (rc) {
        cli_error("%s (%s): %s", err.what, cfg->console_dir, veil_strerror(rc));
        return rc;
    }
    /* A node without the console (console_port = 0, an ingest node of a
     * cluster) makes no admin: the console node's database has them. */
    if (cfg->console_port && !console_has_users(s->console)) {
        char password[33];
        if ((rc = console_user_add(s->console, &cfg->console, "admin", ROLE_ADMIN, "veil-serve",
                                   password, &err))) {
            cli_error("cannot create the first admin: %s", err.what);
            return rc;
        }
        printf("veil serve: console: first admin 'admin', one-time password %s (change it at "
               "the first login, then enrol an authenticator app)\n",
               password);
        sodium_memzero(password, sizeof password);
    }
    if (!(s->console_sites = calloc((size_t)cfg->n_sites, sizeof *s->console_sites)))
        return VEIL_ENOMEM;
    for (int i = 0; i < cfg->n_sites; i++)
        s->console_sites[i] = (replay_site){.name = cfg->sites[i].name,
                                            .origins = s->sites[i].origins,
                                            .n_origins = s->sites[i].n_origins,
                                            .replay_assets = cfg->sites[i].replay_assets,
                                            .policy_text = cfg->sites[i].policy_text};
    replay_config rc_cfg = {.db = s->console,
                            .st = s->st,
                            .sites = s->console_sites,
                            .n_sites = cfg->n_sites,
                            .policy = cfg->console,
                            .assets_dir = cfg->console_assets,
                            .metrics = all_metrics,
                            .metrics_user = s,
                            .metrics_token = s->metrics_token[0] ? s->metrics_token : NULL,
                            .rotate_keys = rotate_keys,
                            .rotate_user = s};
    if ((rc = replay_create(&s->console_server, &rc_cfg, &err)))
        cli_error("%s: %s", err.what, veil_strerror(rc));
    return rc;
}

/* One context, every listener; VEIL_EIO (with the reason printed) on failure. */
static int start_listeners(server *s)
{
    const veil_config *cfg = &s->cfg;
    lws_set_log_level(LLL_ERR | LLL_WARN, log_line);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_VALIDATE_UTF8; /* lws reads it from the context only */
    info.fd_limit_per_thread = 0;                   /* lws sizes its tables from RLIMIT_NOFILE */
    if (!(s->ctx = lws_create_context(&info))) {
        cli_error("cannot start the server library");
        return VEIL_EIO;
    }
    const char *what = NULL;
    int port = 0;
    if (ingest_listen(s->in, s->ctx, cfg->listen, cfg->ingest_port, cfg->tls_cert, cfg->tls_key))
        what = "ingest", port = cfg->ingest_port;
    else if (cfg->console_port && replay_listen(s->console_server, s->ctx, cfg->listen,
                                                cfg->console_port, cfg->tls_cert, cfg->tls_key))
        what = "console", port = cfg->console_port;
    else if (cfg->metrics_port &&
             replay_listen_metrics(s->console_server, s->ctx, cfg->listen, cfg->metrics_port))
        what = "metrics", port = cfg->metrics_port;
    if (!what)
        return VEIL_OK;
    cli_error("cannot listen on %s:%d (%s); is the port in use?", cfg->listen, port, what);
    return VEIL_EIO;
}

/* Keys of open sessions the server expects to hold in locked memory, with
 * the keyring's. */
#define SECRETS_EXPECTED (1024 + 64)

/* Warnings about where secrets live, once at start. */
static void warn_about_secrets(const veil_config *cfg)
{
    size_t lockable = store_secret_keys_lockable();
    if (lockable == 0)
        fprintf(stderr, "veil serve: warning: memory cannot be locked here (mlock fails): keys "
                        "may be swapped to disk; grant CAP_IPC_LOCK or raise RLIMIT_MEMLOCK "
                        "(ulimit -l, LimitMEMLOCK= in systemd)\n");
    else if (lockable < SECRETS_EXPECTED)
        fprintf(stderr,
                "veil serve: warning: RLIMIT_MEMLOCK locks %zu keys, one page each; the "
                "server keeps one per open session and one per master key (%d "
                "expected): past %zu they are not locked and may be swapped to disk; "
                "raise it (ulimit -l, LimitMEMLOCK= in systemd)\n",
                lockable, SECRETS_EXPECTED, lockable);
    /* On a cluster a node that makes its own resume secret cannot resume
     * the sessions of the others: an operator's slip worth saying. */
    if (cfg->rados && access(cfg->resume_secret_file, F_OK) != 0)
        fprintf(stderr,
                "veil serve: warning: no resume secret at %s: a new one is made. Every node "
                "behind one balancer needs the same file (copy it from the first node), or "
                "tabs moving between nodes start new sessions (docs/scale-out.md)\n",
                cfg->resume_secret_file);
    if (cfg->root_key_file[0] && cli_path_inside(cfg->root_key_file, cfg->state_dir))
        fprintf(stderr,
                "veil serve: warning: the root key %s sits in the state directory %s, "
                "beside the data it protects: whoever copies that directory can read "
                "everything; keep the root key on another volume (docs/operations.md)\n",
                cfg->root_key_file, cfg->state_dir);
}

static void print_addresses(const server *s)
{
    const veil_config *cfg = &s->cfg;
    char sri[128];
    printf("veil serve: ingest wss://%s:%d/ (subprotocol %s)\n", cfg->listen, cfg->ingest_port,
           INGEST_SUBPROTOCOL);
    if (ingest_snippet_sri(cfg->snippet, sri, sizeof sri))
        printf("veil serve: snippet not built (%s): run scripts/build-web.sh\n", cfg->snippet);
    else
        printf("veil serve: snippet https://%s:%d/veil.js (%s)\n", cfg->listen, cfg->ingest_port,
               sri);
    if (veil_config_site(cfg, "demo"))
        printf("veil serve: demo page https://%s:%d/demo\n", cfg->listen, cfg->ingest_port);
    if (cfg->metrics_port)
        printf("veil serve: metrics http://%s:%d/metrics\n", cfg->listen, cfg->metrics_port);
    if (cfg->console_port)
        printf("veil serve: console https://%s:%d/\n", cfg->listen, cfg->console_port);
    else
        printf("veil serve: console off on this node (console_port = 0)\n");
    fflush(stdout);
}

/* Serves until a signal, then drains ingest for up to DRAIN_SECONDS. */
static void run(server *s)
{
    uint64_t deadline = 0;
    while (lws_service(s->ctx, 0) >= 0) {
        if (stopping && !deadline) {
            fprintf(stderr, "veil serve: stopping: storing and acknowledging what was received\n");
            ingest_shutdown(s->in);
            deadline = veil_now_ms() + DRAIN_SECONDS * 1000;
        }
        if (deadline && ingest_drained(s->in))
            break;
        if (deadline && veil_now_ms() > deadline) {
            fprintf(stderr,
                    "veil serve: drain took longer than %d s; closing the rest (their "
                    "clients resend what was not acked)\n",
                    DRAIN_SECONDS);
            break;
        }
    }
}

static int serve(server *s)
{
    veil_config *cfg = &s->cfg;
    veil_error err = {0};
    int code = veil_mkdirs(cfg->state_dir, 0700); /* the store makes its own directories */
    if (code) {
        cli_error("cannot create %s: %s; check permissions", cfg->state_dir, veil_strerror(code));
        return code;
    }
    if ((code = veil_tls_ensure(cfg->state_dir, cfg->tls_cert, cfg->tls_key, sizeof cfg->tls_cert,
                                &err))) {
        cli_error("%s (%s): %s", err.what, cfg->tls_cert[0] ? cfg->tls_cert : cfg->state_dir,
                  veil_strerror(code));
        return code;
    }
    if ((code = ingest_sites(s)) || (code = load_metrics_token(s)))
        return code;
    if ((code = cli_open_store(cfg, OPEN_WRITER, &s->st, NULL)))
        return code;
    warn_about_secrets(cfg);
    if ((code = maintain_start(&s->maint, cfg, s->st))) {
        cli_error("cannot start the background key maintenance");
        return code;
    }
    if ((code = start_ingest(s)) || (code = start_console(s)))
        return code;
    if ((code = start_listeners(s)))
        return code;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    print_addresses(s);
    run(s);
    return VEIL_OK;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'}, {0}};
    const char *config_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        if (c != 'c') {
            cli_error("see 'veil serve --help' for the options");
            return EXIT_USAGE;
        }
        config_path = optarg;
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'; see 'veil serve --help'", argv[optind]);
        return EXIT_USAGE;
    }
    server s = {0};
    if (cli_load_config(&s.cfg, config_path))
        return EXIT_FAIL;
    int rc = serve(&s);
    if (s.ctx)
        lws_context_destroy(s.ctx); /* closes the connections left */
    ingest_destroy(s.in);           /* stores what the workers hold */
    replay_destroy(s.console_server);
    console_db_close(s.console);
    free(s.console_sites);
    maintain_stop(s.maint);
    store_close(s.st);
    free(s.sites);
    sodium_memzero(s.metrics_token, sizeof s.metrics_token);
    veil_config_free(&s.cfg);
    return rc ? EXIT_FAIL : EXIT_OK;
}

/* ---- veil snippet ------------------------------------------------------------------ */

static const veil_site_config *snippet_site(const veil_config *cfg, const char *name)
{
    if (name)
        return veil_config_site(cfg, name);
    if (cfg->n_sites == 1)
        return &cfg->sites[0];
    return veil_config_site(cfg, "demo");
}

int cmd_snippet(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"site", required_argument, NULL, 's'},
                                         {"host", required_argument, NULL, 'h'},
                                         {0}};
    const char *config_path = NULL, *site_name = NULL, *host = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:s:h:", opts, NULL)) != -1) {
        if (c == '?') {
            cli_error("see 'veil snippet --help' for the options");
            return EXIT_USAGE;
        }
        *(c == 'c' ? &config_path : c == 's' ? &site_name : &host) = optarg;
    }
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    int rc = EXIT_FAIL;
    char sri[128], where[300];
    const veil_site_config *site = snippet_site(&cfg, site_name);
    if (!site) {
        if (site_name)
            cli_error("no [site %s] in the configuration", site_name);
        else
            cli_error("the configuration has several sites: name one with --site");
    } else if (ingest_snippet_sri(cfg.snippet, sri, sizeof sri)) {
        cli_error("the snippet is not built (%s): run scripts/build-web.sh", cfg.snippet);
    } else {
        if (host && strchr(host, ':'))
            snprintf(where, sizeof where, "%s", host);
        else
            snprintf(where, sizeof where, "%s:%d", host ? host : cfg.listen, cfg.ingest_port);
        printf("<script src=\"https://%s/veil.js\" integrity=\"%s\" crossorigin=\"anonymous\" "
               "data-veil-site=\"%s\" async></script>\n",
               where, sri, site->key);
        rc = EXIT_OK;
    }
    veil_config_free(&cfg);
    return rc;
}
