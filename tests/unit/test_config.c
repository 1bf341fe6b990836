/* test_config.c - the configuration file: defaults, sites, and errors that say where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../veil/config.h"

static void defaults_run_out_of_the_box(void **state)
{
    (void)state;
    veil_config cfg;
    veil_config_error err;
    assert_int_equal(veil_config_load(&cfg, NULL, &err), VEIL_OK);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_int_equal(cfg.ingest_port, 8443);
    assert_int_equal(cfg.console_port, 8444);
    assert_string_equal(cfg.data_dir, "var/data");
    assert_string_equal(cfg.keys_dir, "var/keys");
    assert_string_not_equal(cfg.data_dir, cfg.keys_dir);
    assert_string_equal(cfg.keyring, "var/keyring");
    assert_string_equal(cfg.root_key_file, "var/root.key");
    assert_string_equal(cfg.root_passphrase_file, "");
    assert_int_equal(cfg.rotate_after_days, 90);
    assert_int_equal(cfg.sites[0].retention_days, 0);
    assert_int_equal(cfg.n_sites, 1);
    assert_string_equal(cfg.sites[0].name, "demo");
    /* the demo page is served by the ingest listener: its origin may record */
    assert_int_equal(cfg.sites[0].n_origins, 2);
    assert_string_equal(cfg.sites[0].origins[0], "https://127.0.0.1:8443");
    assert_non_null(cfg.sites[0].policy);
    veil_config_free(&cfg);
}

static void file_overrides_and_sites(void **state)
{
    (void)state;
    const char *text = "; comment\n"
                       "[server]\n"
                       "listen = 0.0.0.0\n"
                       "ingest_port = 9000\n"
                       "trusted_proxy = 10.0.0.1\n"
                       "state_dir = /srv/veil\n"
                       "[store]\n"
                       "keys_dir = /mnt/keys\n"
                       "root_passphrase_file = /run/secrets/veil\n"
                       "rotate_after_wraps = 1000\n"
                       "[ingest]\n"
                       "max_message_bytes = 65536\n"
                       "batches_per_second = 0\n"
                       "idle_timeout = 30\n"
                       "[site shop]\n"
                       "key = abc123\n"
                       "origin = https://shop.example, http://localhost:3000\n"
                       "origin = https://www.shop.example\n"
                       "retention_days = 30\n"
                       "record_inputs = true\n"
                       "mask_selector = .secret, #ssn\n"
                       "[page shop /checkout/*]\n"
                       "record_inputs = false\n"
                       "[masking]\n"
                       "ip_octets = 3\n";
    veil_config cfg;
    veil_config_error err;
    assert_int_equal(veil_config_load_string(&cfg, text, "t.conf", &err), VEIL_OK);
    assert_string_equal(cfg.listen, "0.0.0.0");
    assert_int_equal(cfg.ingest_port, 9000);
    assert_int_equal(cfg.console_port, 8444);
    assert_int_equal(cfg.n_trusted_proxies, 1);
    assert_string_equal(cfg.keys_dir, "/mnt/keys");
    assert_string_equal(cfg.data_dir, "/srv/veil/data"); /* unset paths follow state_dir */
    assert_string_equal(cfg.keyring, "/srv/veil/keyring");
    assert_string_equal(cfg.root_key_file, ""); /* the passphrase replaces the key file */
    assert_string_equal(cfg.root_passphrase_file, "/run/secrets/veil");
    assert_int_equal(cfg.rotate_after_wraps, 1000);
    assert_int_equal(cfg.n_sites, 1);
    const veil_site_config *shop = veil_config_site(&cfg, "shop");
    assert_non_null(shop);
    assert_string_equal(shop->key, "abc123");
    assert_int_equal(shop->n_origins, 3);
    assert_string_equal(shop->origins[1], "http://localhost:3000");
    assert_string_equal(shop->origins[2], "https://www.shop.example");
    assert_int_equal(cfg.limits.max_message_bytes, 65536);
    assert_int_equal(cfg.limits.batches_per_second, 0); /* no limit */
    assert_int_equal(cfg.limits.idle_timeout_s, 30);
    assert_int_equal(cfg.limits.hello_timeout_s, 10); /* a default kept */
    assert_int_equal(shop->retention_days, 30);
    assert_null(veil_config_site(&cfg, "demo"));
    veil_config_free(&cfg);
}

/* [site "shop"], as git's configuration writes a section's name: the same
 * site as [site shop], so a [page shop ...] finds it. */
static void site_names_may_be_quoted(void **state)
{
    (void)state;
    veil_config cfg;
    veil_config_error err;
    assert_int_equal(veil_config_load_string(&cfg,
                                             "[site \"shop\"]\nkey = k1\n"
                                             "[page shop /checkout/*]\nrecord_inputs = false\n"
                                             "[page \"shop\" /account]\nrecord_pii = false\n",
                                             "q.conf", &err),
                     VEIL_OK);
    assert_non_null(veil_config_site(&cfg, "shop"));
    assert_int_equal(cfg.n_sites, 1);
    veil_config_free(&cfg);
}

typedef struct {
    const char *text;
    int line, column;
    const char *says;
} bad_case;

/* The RADOS options: defaults a cluster set up as docs/scale-out.md says
 * needs no line for, and the keys on a cluster of their own. */
static void rados_backend_options(void **state)
{
    (void)state;
    veil_config cfg;
    veil_config_error err;
    assert_int_equal(veil_config_load_string(&cfg,
                                             "[server]\nconsole_port = 0\n"
                                             "[store]\nbackend = rados\n"
                                             "rados_keys_conf = /etc/ceph/keys.conf\n",
                                             "rados.conf", &err),
                     VEIL_OK);
    assert_true(cfg.rados);
    assert_int_equal(cfg.console_port, 0);
    assert_string_equal(cfg.rados_conf, "/etc/ceph/ceph.conf");
    assert_string_equal(cfg.rados_keys_conf, "/etc/ceph/keys.conf");
    assert_string_equal(cfg.rados_data_pool, "veil-data");
    assert_string_equal(cfg.rados_keys_client, "client.veil-keys");
    assert_string_equal(cfg.resume_secret_file, "var/ingest.secret");
    veil_config_free(&cfg);
    /* on another cluster the same pool name is another pool */
    assert_int_equal(veil_config_load_string(&cfg,
                                             "[store]\nbackend = rados\n"
                                             "rados_keys_conf = /etc/ceph/keys.conf\n"
                                             "rados_keys_pool = veil-data\n",
                                             "rados.conf", &err),
                     VEIL_OK);
    assert_string_equal(cfg.rados_keys_conf, "/etc/ceph/keys.conf");
    veil_config_free(&cfg);
}

static void errors_name_line_column_and_option(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"[server]\nlisten = 127.0.0.1\nbogus = 1\n", 3, 1, "unknown option 'bogus'"},
        {"[server]\ningest_port = 70000\n", 2, 15, "ingest_port"},
        {"[store]\nroot_key_file = a\nroot_passphrase_file = b\n", 3, 1, "not both"},
        {"[store]\nrotate_after_days = -1\n", 2, 21, "rotate_after_days"},
        {"[site s]\nkey = k\nretention_days = forever\n", 3, 18, "retention_days"},
        {"[server]\n  \n[masking]\nip_octets = 9\n", 4, 13, "ip_octets"},
        {"[nonsense]\na = b\n", 2, 1, "unknown section"},
        {"[server]\nthis line has no equals sign\n", 2, 1, "syntax error"},
        {"[site s]\nkey = k\nmask_selector = ..bad\n", 3, 17, "selector"},
        {"[site s]\nrecord_pii = perhaps\n", 2, 14, "record_pii"},
        {"[site s]\nrecord_pii = true\n", 1, 1, "has no key"},
        {"[page nosuch /x]\nip_octets = 1\n", 2, 1, "no [site nosuch]"},
        {"[site s]\nkey = k\n[page s checkout/*]\nrecord_inputs = false\n", 4, 17,
         "path glob that starts with /"},
        {"[ingest]\nmax_message_bytes = 10\n", 2, 21, "max_message_bytes: expected 1024"},
        {"[ingest]\nidle_timeout = 0\n", 2, 16, "idle_timeout"},
        {"[ingest]\nmax_sesions = 5\n", 2, 1, "unknown option 'max_sesions' in [ingest]"},
        {"[site s]\nkey = k\norigin = shop.example\n", 3, 10, "scheme://host"},
        {"[site s]\nkey = k\norigin = https://shop.example/\n", 3, 10, "scheme://host"},
        {"[site s]\nkey = k y\n", 2, 7, "key: expected"},
        /* a section copied for a new site and left with the old key */
        {"[site shop]\nkey = k1\n[site blog]\nkey = k1\n", 4, 7, "[site shop] has this key"},
        {"[site shop]\nkey = k1\n[site shop]\nkey = k2\n", 4, 1, "has a key already"},
        {"[site \"shop]\nkey = k1\n", 2, 1, "unknown section"},
        {"[site sh!p]\nkey = k1\n", 2, 1, "a site's name is letters"},
        {"[server]\nconsole_port = -1\n", 2, 16, "no console on this node"},
        {"[store]\nbackend = ceph\n", 2, 11, "rocksdb or rados"},
        {"[store]\nbackend = rados\nrados_keys_pool = veil-data\n", 1, 1,
         "pool and a client of their own"},
        {"[store]\nbackend = rados\nrados_keys_client = client.veil-data\n", 1, 1,
         "pool and a client of their own"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        veil_config cfg;
        veil_config_error err;
        assert_int_equal(veil_config_load_string(&cfg, cases[i].text, "bad.conf", &err),
                         VEIL_ECONFIG);
        assert_string_equal(err.file, "bad.conf");
        if (err.line != cases[i].line || err.column != cases[i].column ||
            !strstr(err.message, cases[i].says))
            fail_msg("case %zu: got %d:%d '%s'", i, err.line, err.column, err.message);
    }
}

static void missing_file_is_an_io_error(void **state)
{
    (void)state;
    veil_config cfg;
    veil_config_error err;
    assert_int_equal(veil_config_load(&cfg, "/nonexistent/veil.conf", &err), VEIL_EIO);
    assert_non_null(strstr(err.message, "cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_run_out_of_the_box),
        cmocka_unit_test(file_overrides_and_sites),
        cmocka_unit_test(site_names_may_be_quoted),
        cmocka_unit_test(rados_backend_options),
        cmocka_unit_test(errors_name_line_column_and_option),
        cmocka_unit_test(missing_file_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
