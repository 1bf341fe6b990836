/*
 * cli.c - what the store commands share: configuration loading, their
 * flags, opening the store with a reason the operator can act on, and the
 * load → open → run → close sequence every one of them follows.
 */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_load_config(veil_config *cfg, const char *path)
{
    if (!path && access(VEIL_CONFIG_DEFAULT_PATH, F_OK) == 0)
        path = VEIL_CONFIG_DEFAULT_PATH;
    veil_config_error err;
    int rc = veil_config_load(cfg, path, &err);
    if (rc == VEIL_OK)
        return VEIL_OK;
    if (err.line)
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
    else
        fprintf(stderr, "%s: %s\n", err.file, err.message);
    return rc;
}

const veil_site_config *cli_site(const veil_config *cfg, const char *name)
{
    const veil_site_config *site = name ? veil_config_site(cfg, name) : &cfg->sites[0];
    if (site)
        return site;
    char known[256] = "";
    for (int i = 0, n = 0; i < cfg->n_sites && n >= 0 && (size_t)n < sizeof known; i++)
        n += snprintf(known + n, sizeof known - (size_t)n, "%s%s", i ? ", " : "",
                      cfg->sites[i].name);
    cli_error("no site named '%s' in the configuration (its sites: %s); add a [site %s] section "
              "or name one of those",
              name, known, name);
    return NULL;
}

int cli_parse_store_flags(int argc, char **argv, const char *allowed, cli_store_flags *f)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"site", required_argument, NULL, 's'},
        {"session", required_argument, NULL, 'i'},
        {"format", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"deep", no_argument, NULL, 'd'},
        {"with-keyring", no_argument, NULL, 'w'},
        {"keep", required_argument, NULL, 'k'},
        {"before", required_argument, NULL, 'b'},
        {"key-file", required_argument, NULL, 'K'},
        {"passphrase-file", required_argument, NULL, 'P'},
        {"to", required_argument, NULL, 't'},
        {"no-rewrap", no_argument, NULL, 'n'},
        {0},
    };
    memset(f, 0, sizeof *f);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == '?' || (c != 'c' && !strchr(allowed, c))) {
            cli_error("unknown option '%s'; see 'veil %s --help'", argv[optind - 1], argv[0]);
            return VEIL_EINVAL;
        }
        switch (c) {
        case 'c':
            f->config_path = optarg;
            break;
        case 's':
            f->site = optarg;
            break;
        case 'i':
            f->session = optarg;
            break;
        case 'f':
            f->format = optarg;
            break;
        case 'j':
            f->json = true;
            break;
        case 'd':
            f->deep = true;
            break;
        case 'w':
            f->with_keyring = true;
            break;
        case 'k':
            f->keep = optarg;
            break;
        case 'b':
            f->before = optarg;
            break;
        case 'K':
            f->key_file = optarg;
            break;
        case 'P':
            f->passphrase_file = optarg;
            break;
        case 't':
            f->to = optarg;
            break;
        case 'n':
            f->no_rewrap = true;
            break;
        }
    }
    return VEIL_OK;
}

static int make_store_dirs(const veil_config *cfg)
{
    int rc = veil_mkdirs(cfg->state_dir, 0700);
    if (!rc && !cfg->rados)
        rc = veil_mkdirs(cfg->data_dir, 0700);
    if (!rc && !cfg->rados)
        rc = veil_mkdirs(cfg->keys_dir, 0700);
    if (rc)
        cli_error("cannot create %s and %s: %s; check the paths and permissions", cfg->data_dir,
                  cfg->keys_dir, veil_strerror(rc));
    return rc;
}

static void explain_open_failure(int rc, const veil_error *err)
{
    if (rc == VEIL_EBUSY)
        cli_error("the store is in use by a running 'veil serve'; stop it first, or use a "
                  "command that only reads (export, sessions, keys, backup)");
    else if (err->what)
        cli_error("cannot open the store: %s (%s)", err->what, veil_strerror(rc));
    else
        cli_error("cannot open the store: %s", veil_strerror(rc));
}

int cli_open_store(const veil_config *cfg, cli_store_access access, store **st, bool *writer)
{
    kv_rados_target data = {cfg->rados_conf, cfg->rados_data_client, cfg->rados_data_pool,
                            cfg->rados_namespace};
    kv_rados_target keys = {cfg->rados_keys_conf, cfg->rados_keys_client, cfg->rados_keys_pool,
                            cfg->rados_namespace};
    store_options o = {
        .data_dir = cfg->data_dir,
        .keys_dir = cfg->keys_dir,
        .keyring_path = cfg->keyring,
        .root_key_file = cfg->root_key_file[0] ? cfg->root_key_file : NULL,
        .root_passphrase_file = cfg->root_passphrase_file[0] ? cfg->root_passphrase_file : NULL,
        .mode = access == OPEN_READER ? STORE_READ_ONLY : STORE_READ_WRITE,
    };
    if (cfg->rados) {
        o.data_rados = &data;
        o.keys_rados = &keys;
    }
    if (o.mode == STORE_READ_WRITE && make_store_dirs(cfg))
        return VEIL_EIO;
    veil_error err = {0};
    int rc = store_open(st, &o, &err);
    if (rc == VEIL_EBUSY && access == OPEN_EITHER) {
        o.mode = STORE_READ_ONLY;
        err = (veil_error){0};
        rc = store_open(st, &o, &err);
    }
    if (writer)
        *writer = o.mode == STORE_READ_WRITE;
    if (rc)
        explain_open_failure(rc, &err);
    return rc;
}

int cli_run_with_store(const char *config_path, cli_store_access access, cli_store_fn fn, void *arg)
{
    veil_config cfg;
    if (cli_load_config(&cfg, config_path))
        return EXIT_FAIL;
    cli_store_job job = {.cfg = &cfg};
    int status = EXIT_FAIL;
    if (cli_open_store(&cfg, access, &job.st, &job.writer) == VEIL_OK)
        status = fn(&job, arg);
    store_close(job.st);
    veil_config_free(&cfg);
    return status;
}

bool cli_path_inside(const char *path, const char *dir)
{
    char real_dir[PATH_MAX], real_path[PATH_MAX];
    if (!realpath(dir, real_dir) || !realpath(path, real_path))
        return false;
    size_t n = strlen(real_dir);
    return !strncmp(real_path, real_dir, n) && (real_path[n] == '/' || real_path[n] == '\0');
}
