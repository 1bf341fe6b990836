/*
 * test_console.c - the console database and accounts below the API: the
 * audit chain against an edited, deleted, reordered or truncated record
 * (the tampering goes straight to RocksDB, as an attacker with the files
 * would), RFC 6238 test vectors, single-use codes, both password profiles,
 * a site blocklist, and user operations with their audit records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "../../replay/internal.h"

typedef struct {
    char dir[64];
    console_db *db;
} fixture;

static void open_fresh(fixture *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/veil-test-console-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    veil_error err = {0};
    assert_int_equal(console_db_open(&f->db, f->dir, &err), VEIL_OK);
}

static void close_and_remove(fixture *f)
{
    console_db_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}

static void write_records(fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        char object[32];
        snprintf(object, sizeof object, "session-%d", i);
        assert_int_equal(console_audit(f->db, "alice", ROLE_STANDARD, "session.replay", object,
                                       "ok", "10.0.0.1"),
                         VEIL_OK);
    }
}

static void key_of(char key[10], uint64_t seq)
{
    key[0] = 'a';
    key[1] = '/';
    veil_be64_put((uint8_t *)key + 2, seq);
}

static void get_record(fixture *f, uint64_t seq, veil_buf *out)
{
    char key[10];
    key_of(key, seq);
    assert_int_equal(kv_get(f->db->kv, key, sizeof key, out), VEIL_OK);
}

static void put_raw(fixture *f, const char *key, size_t kl, const char *value, size_t vl)
{
    kv_batch *b = kv_batch_new();
    if (value)
        kv_batch_put(b, key, kl, value, vl);
    else
        kv_batch_delete(b, key, kl);
    assert_int_equal(kv_write(f->db->kv, b, true), VEIL_OK);
    kv_batch_free(b);
}

static void put_record(fixture *f, uint64_t seq, const char *value, size_t len)
{
    char key[10];
    key_of(key, seq);
    put_raw(f, key, sizeof key, value, len);
}

static uint64_t verify_breaks_at(fixture *f, const char *expect)
{
    audit_verdict v;
    int rc = console_audit_verify(f->db, expect, &v);
    if (rc == VEIL_OK)
        return 0;
    assert_int_equal(rc, VEIL_ECORRUPT);
    assert_true(v.problem[0] != '\0');
    return v.bad_seq;
}

static void intact_chain_verifies(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 10);
    audit_verdict v;
    assert_int_equal(console_audit_verify(f.db, NULL, &v), VEIL_OK);
    assert_int_equal(v.records, 10);
    assert_int_equal(v.last_seq, 10);
    assert_int_equal(strlen(v.head), 64);
    close_and_remove(&f);
}

static void edited_record_is_found(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 10);
    veil_buf rec = {0};
    get_record(&f, 4, &rec);
    char *at = strstr(rec.data, "session-3");
    assert_non_null(at);
    at[8] = '9'; /* who replayed what: rewritten */
    put_record(&f, 4, rec.data, rec.len);
    assert_int_equal(verify_breaks_at(&f, NULL), 4);
    veil_buf_free(&rec);
    close_and_remove(&f);
}

static void edited_record_with_recomputed_hash_is_found(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 6);
    /* an attacker who rewrites a record and its own hash still breaks the next link */
    veil_buf rec = {0};
    get_record(&f, 3, &rec);
    json_t *o = json_loadb(rec.data, rec.len, 0, NULL);
    json_object_set_new(o, "actor", json_string("mallory"));
    json_object_del(o, "hash");
    char *canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    uint8_t digest[32];
    char hex[65];
    unsigned len;
    EVP_Digest(canon, strlen(canon), digest, &len, EVP_sha256(), NULL);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    json_object_set_new(o, "hash", json_string(hex));
    free(canon);
    canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    put_record(&f, 3, canon, strlen(canon));
    assert_int_equal(verify_breaks_at(&f, NULL), 4);
    free(canon);
    json_decref(o);
    veil_buf_free(&rec);
    close_and_remove(&f);
}

static void deleted_record_is_found(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 10);
    put_record(&f, 6, NULL, 0);
    assert_int_equal(verify_breaks_at(&f, NULL), 6);
    close_and_remove(&f);
}

static void reordered_records_are_found(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 10);
    veil_buf a = {0}, b = {0};
    get_record(&f, 3, &a);
    get_record(&f, 7, &b);
    put_record(&f, 3, b.data, b.len);
    put_record(&f, 7, a.data, a.len);
    assert_int_equal(verify_breaks_at(&f, NULL), 3);
    veil_buf_free(&a);
    veil_buf_free(&b);
    close_and_remove(&f);
}

static void truncated_log_is_found(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    write_records(&f, 10);
    audit_verdict v;
    assert_int_equal(console_audit_verify(f.db, NULL, &v), VEIL_OK);
    char checkpoint[100];
    snprintf(checkpoint, sizeof checkpoint, "%llu:%s", (unsigned long long)v.last_seq, v.head);
    /* the last three records go: the head record still says 10 */
    put_record(&f, 10, NULL, 0);
    put_record(&f, 9, NULL, 0);
    put_record(&f, 8, NULL, 0);
    assert_int_equal(verify_breaks_at(&f, NULL), 8);
    /* a careful attacker also rewrites the head: only a checkpoint kept outside catches it */
    veil_buf rec = {0};
    get_record(&f, 7, &rec);
    json_t *o = json_loadb(rec.data, rec.len, 0, NULL);
    char head[100];
    snprintf(head, sizeof head, "7:%s", json_string_value(json_object_get(o, "hash")));
    put_raw(&f, "m/audit-head", 12, head, strlen(head));
    assert_int_equal(verify_breaks_at(&f, NULL), 0);
    assert_int_equal(verify_breaks_at(&f, checkpoint), 10);
    json_decref(o);
    veil_buf_free(&rec);
    close_and_remove(&f);
}

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

static void expiry_keeps_the_chain_verifiable(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    f.db->clock_ms = fake_clock;
    fake_now = 1000ull * 86400000; /* day 1000 */
    write_records(&f, 3);
    fake_now += 200ull * 86400000; /* 200 days later */
    write_records(&f, 2);
    uint64_t removed;
    assert_int_equal(console_audit_expire(f.db, 183, &removed), VEIL_OK);
    assert_int_equal(removed, 3);
    audit_verdict v;
    assert_int_equal(console_audit_verify(f.db, NULL, &v), VEIL_OK);
    assert_int_equal(v.first_seq, 4); /* verifiable from the first record kept */
    assert_int_equal(v.records, 2);
    write_records(&f, 1);
    assert_int_equal(console_audit_verify(f.db, NULL, &v), VEIL_OK);
    assert_int_equal(v.last_seq, 6);
    /* deleting the first record kept is still found */
    put_record(&f, 4, NULL, 0);
    assert_int_equal(verify_breaks_at(&f, NULL), 4);
    /* and every record expiring leaves the chain's base for the next one */
    fixture g;
    open_fresh(&g);
    g.db->clock_ms = fake_clock;
    fake_now = 1000ull * 86400000;
    write_records(&g, 2);
    fake_now += 400ull * 86400000;
    assert_int_equal(console_audit_expire(g.db, 183, &removed), VEIL_OK);
    assert_int_equal(removed, 2);
    write_records(&g, 1);
    assert_int_equal(console_audit_verify(g.db, NULL, &v), VEIL_OK);
    assert_int_equal(v.first_seq, 3);
    close_and_remove(&g);
    close_and_remove(&f);
}

/* ---- accounts -------------------------------------------------------------------------- */

static void totp_follows_rfc_6238(void **state)
{
    (void)state;
    uint8_t secret[20];
    memcpy(secret, "12345678901234567890", 20);
    /* RFC 6238 appendix B, SHA-1, the last 6 of the 8 digits */
    assert_int_equal(totp_code(secret, 59 / 30), 287082);
    assert_int_equal(totp_code(secret, 1111111109 / 30), 81804);
    assert_int_equal(totp_code(secret, 1234567890 / 30), 5924);
    assert_int_equal(totp_code(secret, 2000000000 / 30), 279037);
    char b32[33];
    totp_secret_base32(secret, b32);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void a_totp_code_works_once(void **state)
{
    (void)state;
    user_record r = {0};
    memcpy(r.totp_secret, "12345678901234567890", 20);
    r.u.totp_enrolled = true;
    uint64_t now = 1111111109000;
    char code[8];
    snprintf(code, sizeof code, "%06u", totp_code(r.totp_secret, now / 30000));
    assert_true(totp_check(&r, code, now));
    assert_false(totp_check(&r, code, now + 1000)); /* the same code, moments later */
    snprintf(code, sizeof code, "%06u", totp_code(r.totp_secret, now / 30000 - 1));
    assert_false(totp_check(&r, code, now)); /* an earlier one is spent too */
    snprintf(code, sizeof code, "%06u", totp_code(r.totp_secret, now / 30000 + 1));
    assert_true(totp_check(&r, code, now)); /* the next step, a clock a little ahead */
    assert_false(totp_check(&r, "12345", now));
    assert_false(totp_check(&r, "abcdef", now));
}

static void recovery_codes_work_once(void **state)
{
    (void)state;
    user_record r = {0};
    char codes[RECOVERY_CODES][20];
    recovery_codes_new(&r, codes);
    for (int i = 0; i < RECOVERY_CODES; i++)
        assert_null(strstr(r.recovery[i], codes[i])); /* kept hashed */
    assert_true(recovery_code_use(&r, codes[3]));
    assert_false(recovery_code_use(&r, codes[3]));
    assert_true(recovery_code_use(&r, codes[9]));
    assert_false(recovery_code_use(&r, "0000-0000-0000-0000"));
}

static void password_profiles(void **state)
{
    (void)state;
    replay_policy asvs, classic;
    assert_int_equal(replay_policy_profile(&asvs, "asvs"), VEIL_OK);
    assert_int_equal(replay_policy_profile(&classic, "classic"), VEIL_OK);
    assert_int_equal(replay_policy_profile(&classic, "lenient"), VEIL_EINVAL);
    assert_int_equal(replay_policy_profile(&classic, "classic"), VEIL_OK);
    /* asvs: length and the blocklist only, no composition rules */
    assert_non_null(password_problem(&asvs, "u", "elevenchars", NULL));
    assert_null(password_problem(&asvs, "u", "twelve chars", NULL));
    assert_null(password_problem(&asvs, "u", "üüüüüüüüüüüü", NULL)); /* characters, not bytes */
    assert_non_null(password_problem(&asvs, "u", "Password1234", NULL));
    assert_non_null(password_problem(&asvs, "longusername", "longusername", NULL));
    char long_one[200];
    memset(long_one, 'x', 129);
    long_one[129] = '\0';
    assert_non_null(password_problem(&asvs, "u", long_one, NULL));
    long_one[128] = '\0';
    assert_null(password_problem(&asvs, "u", long_one, NULL)); /* 128 allowed, not cut */
    /* classic: 10 with a digit, history, expiry, lockout 5 -> 30 minutes */
    assert_non_null(password_problem(&classic, "u", "abcdefghij", NULL));
    assert_null(password_problem(&classic, "u", "abcdefghi1", NULL));
    assert_int_equal(classic.history, 5);
    assert_int_equal(classic.max_age_days, 90);
    assert_int_equal(classic.lockout_threshold, 5);
    assert_int_equal(classic.lockout_minutes, 30);
    assert_int_equal(asvs.max_age_days, 0);
    assert_int_equal(asvs.history, 0);
    user_record r = {0};
    assert_int_equal(password_set(&r, &classic, "first one 1"), VEIL_OK);
    assert_int_equal(password_set(&r, &classic, "second one 2"), VEIL_OK);
    assert_non_null(password_problem(&classic, "u", "first one 1", &r));  /* history */
    assert_non_null(password_problem(&classic, "u", "second one 2", &r)); /* current */
    assert_null(password_problem(&classic, "u", "third one 3", &r));
}

static void site_blocklist(void **state)
{
    (void)state;
    char path[] = "/tmp/veil-test-blocklist-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char list[] = "Shop Name 2026\r\ncorrect horse battery staple\n";
    assert_int_equal(write(fd, list, sizeof list - 1), (ssize_t)(sizeof list - 1));
    close(fd);
    assert_int_equal(password_blocklist_load(path), VEIL_OK);
    replay_policy p;
    assert_int_equal(replay_policy_profile(&p, "asvs"), VEIL_OK);
    assert_non_null(password_problem(&p, "u", "SHOP NAME 2026", NULL)); /* any case */
    assert_non_null(password_problem(&p, "u", "correct horse battery staple", NULL));
    assert_null(password_problem(&p, "u", "correct horse battery stapler", NULL));
    unlink(path);
    assert_int_equal(password_blocklist_load("/nonexistent/list"), VEIL_ENOTFOUND);
}

static int count_user(void *arg, const replay_user *u)
{
    (void)u;
    (*(int *)arg)++;
    return 0;
}

static int collect_actions(void *arg, const audit_record *a)
{
    veil_buf *b = arg;
    return veil_buf_printf(b, "%s %s %s|", a->actor, a->action, a->object) ? -1 : 0;
}

static void user_operations_are_audited(void **state)
{
    (void)state;
    fixture f;
    open_fresh(&f);
    replay_policy p;
    assert_int_equal(replay_policy_profile(&p, "asvs"), VEIL_OK);
    char password[33];
    veil_error err = {0};
    assert_false(console_has_users(f.db));
    assert_int_equal(console_user_add(f.db, &p, "ada", ROLE_ANALYTICS, "cli:root", password, &err),
                     VEIL_OK);
    assert_int_equal(strlen(password), 32);
    char first[33];
    memcpy(first, password, sizeof first);
    assert_true(console_has_users(f.db));
    assert_int_equal(console_user_add(f.db, &p, "ada", ROLE_ADMIN, "cli:root", password, &err),
                     VEIL_EEXIST);
    assert_int_equal(console_user_add(f.db, &p, "Bad Name", ROLE_ADMIN, "x", password, &err),
                     VEIL_EINVAL);
    assert_int_equal(console_user_add(f.db, &p, "bob", ROLE_NONE, "x", password, &err),
                     VEIL_EINVAL);
    assert_int_equal(console_user_grant(f.db, "ada", "shop", true, "cli:root", &err), VEIL_OK);
    assert_int_equal(console_user_grant(f.db, "ada", "blog", true, "cli:root", &err), VEIL_OK);
    assert_int_equal(console_user_grant(f.db, "ada", "shop", false, "cli:root", &err), VEIL_OK);
    assert_int_equal(console_user_grant(f.db, "ada", "../x", true, "cli:root", &err), VEIL_EINVAL);
    assert_int_equal(console_user_set_role(f.db, "ada", ROLE_STANDARD, "cli:root", &err), VEIL_OK);
    assert_int_equal(console_user_set_disabled(f.db, "ada", true, "cli:root", &err), VEIL_OK);
    assert_int_equal(console_user_reset(f.db, "nobody", "cli:root", password, &err),
                     VEIL_ENOTFOUND);
    replay_user u;
    assert_int_equal(console_user_get(f.db, "ada", &u), VEIL_OK);
    assert_int_equal(u.role, ROLE_STANDARD);
    assert_int_equal(u.n_sites, 1);
    assert_string_equal(u.sites[0], "blog");
    assert_true(u.disabled);
    assert_true(u.must_change);
    int n = 0;
    assert_int_equal(console_user_list(f.db, count_user, &n), VEIL_OK);
    assert_int_equal(n, 1);
    veil_buf actions = {0};
    assert_int_equal(console_audit_list(f.db, 0, collect_actions, &actions), VEIL_OK);
    assert_non_null(strstr(actions.data, "cli:root user.add ada|"));
    assert_non_null(strstr(actions.data, "cli:root user.grant:blog ada|"));
    assert_non_null(strstr(actions.data, "cli:root user.role:standard ada|"));
    assert_non_null(strstr(actions.data, "cli:root user.disable ada|"));
    assert_null(strstr(actions.data, first)); /* no password in the log */
    veil_buf_free(&actions);
    /* control characters from outside never enter the log */
    assert_int_equal(
        console_audit(f.db, "eve\nforged line", ROLE_NONE, "login", "-", "failed", "1.2.3.4"),
        VEIL_OK);
    audit_verdict v;
    assert_int_equal(console_audit_verify(f.db, NULL, &v), VEIL_OK);
    close_and_remove(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(intact_chain_verifies),
        cmocka_unit_test(edited_record_is_found),
        cmocka_unit_test(edited_record_with_recomputed_hash_is_found),
        cmocka_unit_test(deleted_record_is_found),
        cmocka_unit_test(reordered_records_are_found),
        cmocka_unit_test(truncated_log_is_found),
        cmocka_unit_test(expiry_keeps_the_chain_verifiable),
        cmocka_unit_test(totp_follows_rfc_6238),
        cmocka_unit_test(a_totp_code_works_once),
        cmocka_unit_test(recovery_codes_work_once),
        cmocka_unit_test(password_profiles),
        cmocka_unit_test(site_blocklist),
        cmocka_unit_test(user_operations_are_audited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
