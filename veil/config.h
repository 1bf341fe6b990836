/*
 * config.h - the one configuration file of `veil` (INI syntax, parsed by
 * inih). Every option, its default and its meaning are in
 * docs/configuration.md; keep the two in step.
 */
#ifndef VEIL_CONFIG_H
#define VEIL_CONFIG_H

#include <stddef.h>

#include "../ingest/ingest.h"
#include "../masker/masker.h"
#include "../replay/replay.h"

#define VEIL_CONFIG_DEFAULT_PATH "veil.conf"
#define VEIL_CONFIG_PATH_MAX     1024
#define VEIL_CONFIG_MAX_PROXIES  16

typedef struct {
    char name[64];
    char key[128];
    char origins[INGEST_MAX_ORIGINS][256]; /* Origin values allowed to record ("*": any) */
    int n_origins;
    int retention_days;  /* 0: sessions are kept until deleted */
    bool replay_assets;  /* analysts' browsers may fetch the site's assets during replay */
    masker_site *policy; /* owned */
    char *policy_text;   /* the masking options that apply, as written (owned) */
} veil_site_config;

typedef struct {
    char listen[64];
    int ingest_port;
    int console_port;
    char state_dir[VEIL_CONFIG_PATH_MAX];
    char tls_cert[VEIL_CONFIG_PATH_MAX]; /* empty: self-signed under state_dir */
    char tls_key[VEIL_CONFIG_PATH_MAX];
    char trusted_proxies[VEIL_CONFIG_MAX_PROXIES][64];
    int n_trusted_proxies;
    char metrics_token_file[VEIL_CONFIG_PATH_MAX]; /* bearer token for /metrics on the console */
    int metrics_port;                              /* 0: no plain /metrics listener */
    ingest_limits limits;                          /* [ingest] */
    int ingest_workers;                            /* 0: four per core */
    char resume_secret_file[VEIL_CONFIG_PATH_MAX]; /* [ingest]; default state_dir/ingest.secret */
    char snippet[VEIL_CONFIG_PATH_MAX];            /* the built snippet served at /veil.js */
    replay_policy console;                         /* [console]: the profile, then overrides */
    char console_dir[VEIL_CONFIG_PATH_MAX];        /* accounts and the audit log */
    char console_assets[VEIL_CONFIG_PATH_MAX];     /* the built web UI */
    char blocklist_file[VEIL_CONFIG_PATH_MAX];     /* extra refused passwords; empty: none */
    char data_dir[VEIL_CONFIG_PATH_MAX];
    char keys_dir[VEIL_CONFIG_PATH_MAX];
    bool rados;                                 /* [store] backend = rados: data and keys on Ceph */
    char rados_conf[VEIL_CONFIG_PATH_MAX];      /* ceph.conf naming the cluster and keyrings */
    char rados_keys_conf[VEIL_CONFIG_PATH_MAX]; /* the keys' cluster; default rados_conf */
    char rados_data_client[64], rados_data_pool[64];
    char rados_keys_client[64], rados_keys_pool[64];
    char rados_namespace[64]; /* several stores can share the pools */
    char keyring[VEIL_CONFIG_PATH_MAX];
    char root_key_file[VEIL_CONFIG_PATH_MAX];        /* empty when a passphrase is used */
    char root_passphrase_file[VEIL_CONFIG_PATH_MAX]; /* empty when a key file is used */
    int rotate_after_days;                           /* 0: never by age */
    long long rotate_after_wraps;                    /* 0: never by count */
    veil_site_config *sites;                         /* owned array */
    int n_sites;
} veil_config;

/* Where a configuration error is: file, line and column (1-based). */
typedef struct {
    char file[VEIL_CONFIG_PATH_MAX];
    int line;
    int column;
    char message[256]; /* says what is wrong and what to do */
} veil_config_error;

/*
 * Loads `path`, or only the embedded defaults when path is NULL. Options the
 * file does not set keep their defaults; with no [site] section the demo
 * site ("demo", key "demo-site-key") is configured. On failure returns
 * VEIL_ECONFIG (or VEIL_EIO when the file cannot be read) and fills *err.
 */
int veil_config_load(veil_config *cfg, const char *path, veil_config_error *err) VEIL_MUST_CHECK;

/* Same, from text held in memory; `name` is used in error messages. */
int veil_config_load_string(veil_config *cfg, const char *text, const char *name,
                            veil_config_error *err) VEIL_MUST_CHECK;

void veil_config_free(veil_config *cfg);

/* The site with this name, or NULL. */
const veil_site_config *veil_config_site(const veil_config *cfg, const char *name);

#endif
