/* serve.c - `veil serve`: one libwebsockets context, two TLS vhosts. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <libwebsockets.h>

#include "../ingest/ingest.h"
#include "../replay/replay.h"
#include "cli.h"
#include "maintain.h"
#include "tls.h"

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

static struct lws_vhost *vhost(struct lws_context *ctx, const veil_config *cfg, const char *name,
                               int port, const struct lws_protocols *protocols, const char *alpn)
{
    struct lws_context_creation_info v;
    memset(&v, 0, sizeof v);
    v.vhost_name = name;
    v.iface = cfg->listen;
    v.port = port;
    v.protocols = protocols;
    v.ssl_cert_filepath = cfg->tls_cert;
    v.ssl_private_key_filepath = cfg->tls_key;
    v.ssl_options_set = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    v.alpn = alpn;
    v.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_VALIDATE_UTF8;
    /* lws binds an IPv4 literal only with IPv6 off; otherwise it listens on all addresses */
    if (strchr(cfg->listen, '.'))
        v.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    return lws_create_vhost(ctx, &v);
}

/* One context, two TLS vhosts; NULL (with the reason printed) on failure. */
static struct lws_context *start_servers(const veil_config *cfg)
{
    lws_set_log_level(LLL_ERR | LLL_WARN, log_line);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) {
        cli_error("cannot start the server library");
        return NULL;
    }
    if (!vhost(ctx, cfg, "ingest", cfg->ingest_port, ingest_protocols(), "http/1.1")) {
        cli_error("cannot listen on %s:%d (ingest); is the port in use?", cfg->listen,
                  cfg->ingest_port);
    } else if (!vhost(ctx, cfg, "console", cfg->console_port, replay_protocols(), "http/1.1")) {
        cli_error("cannot listen on %s:%d (console); is the port in use?", cfg->listen,
                  cfg->console_port);
    } else {
        return ctx;
    }
    lws_context_destroy(ctx);
    return NULL;
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
    if (cfg->root_key_file[0] && cli_path_inside(cfg->root_key_file, cfg->state_dir))
        fprintf(stderr,
                "veil serve: warning: the root key %s sits in the state directory %s, "
                "beside the data it protects: whoever copies that directory can read "
                "everything; keep the root key on another volume (docs/operations.md)\n",
                cfg->root_key_file, cfg->state_dir);
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
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    int rc = EXIT_FAIL;
    struct lws_context *ctx = NULL;
    store *st = NULL;
    maintainer *maint = NULL;
    veil_error err = {0};
    int code = veil_mkdirs(cfg.state_dir, 0700); /* the store makes its own directories */
    if (code) {
        cli_error("cannot create %s: %s; check permissions", cfg.state_dir, veil_strerror(code));
        goto out;
    }
    if ((code = veil_tls_ensure(cfg.state_dir, cfg.tls_cert, cfg.tls_key, sizeof cfg.tls_cert,
                                &err))) {
        cli_error("%s (%s): %s", err.what, cfg.tls_cert[0] ? cfg.tls_cert : cfg.state_dir,
                  veil_strerror(code));
        goto out;
    }
    if (cli_open_store(&cfg, OPEN_WRITER, &st, NULL))
        goto out;
    warn_about_secrets(&cfg);
    if (maintain_start(&maint, &cfg, st)) {
        cli_error("cannot start the background key maintenance");
        goto out;
    }
    replay_set_metrics(maintain_metrics);
    if (!(ctx = start_servers(&cfg)))
        goto out;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("veil serve: ingest wss://%s:%d/ (subprotocol %s)\n", cfg.listen, cfg.ingest_port,
           INGEST_SUBPROTOCOL);
    printf("veil serve: console https://%s:%d/\n", cfg.listen, cfg.console_port);
    fflush(stdout);
    while (!stopping && lws_service(ctx, 0) >= 0)
        ;
    rc = EXIT_OK;
out:
    if (ctx)
        lws_context_destroy(ctx);
    maintain_stop(maint);
    store_close(st);
    veil_config_free(&cfg);
    return rc;
}
