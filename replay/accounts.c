/*
 * accounts.c - what proves a user: the password policy (both profiles of
 * docs/console.md), argon2id hashes (libsodium), TOTP (RFC 6238, HMAC-SHA1
 * through OpenSSL) with single-use codes, recovery codes, and QR codes for
 * enrolment (libqrencode).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>

#include "internal.h"

static const char *const ROLE_NAMES[] = {
    [ROLE_NONE] = "none",           [ROLE_ALERTS] = "alerts", [ROLE_STANDARD] = "standard",
    [ROLE_ANALYTICS] = "analytics", [ROLE_ADMIN] = "admin",
};

replay_role replay_role_parse(const char *name)
{
    for (int r = ROLE_ALERTS; r <= ROLE_ADMIN; r++)
        if (name && !strcmp(name, ROLE_NAMES[r]))
            return (replay_role)r;
    return ROLE_NONE;
}

const char *replay_role_name(replay_role role)
{
    return role >= ROLE_NONE && role <= ROLE_ADMIN ? ROLE_NAMES[role] : "none";
}

int replay_policy_profile(replay_policy *p, const char *profile)
{
    /* both: lockout 5 -> 30 min, dormant 90 days, sessions 30 min idle / 12 h,
     * audit kept 6 months at least */
    *p = (replay_policy){.max_length = 128,
                         .lockout_threshold = 5,
                         .lockout_minutes = 30,
                         .dormant_days = 90,
                         .idle_seconds = 30 * 60,
                         .absolute_seconds = 12 * 3600,
                         .audit_retention_days = 183};
    if (!strcmp(profile, "asvs")) {
        p->min_length = 12; /* ASVS 2.1.1; no composition, history or expiry (2.1.9, 2.1.10) */
        return VEIL_OK;
    }
    if (!strcmp(profile, "classic")) {
        p->min_length = 10;
        p->require_digit = true;
        p->history = 5;
        p->max_age_days = 90;
        return VEIL_OK;
    }
    return VEIL_EINVAL;
}

/* ---- passwords ---------------------------------------------------------------------------- */

/* Common passwords refused whatever the profile (ASVS 2.1.7); a site adds
 * its own list with blocklist_file. */
static const char *const COMMON[] = {
    "123456789012", "1234567890",   "12345678910",  "qwertyuiop",   "password123",
    "password1234", "passw0rd123",  "iloveyou123",  "adminadmin",   "administrator",
    "letmein12345", "welcome12345", "welcome123",   "qwerty123456", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "zaq12wsxcde3", "changeme123",  "changeme1234", "football123",
    "baseball123",  "superman123",  "sunshine123",  "princess123",  "trustno1trustno1",
    "abc123abc123", "monkey123456", "dragon123456", "master123456", "passwordpassword",
    "p@ssw0rd1234", "p@ssword1234", "qwertyqwerty", "asdfghjkl123", "zxcvbnm12345",
    "11111111111",  "000000000000", "111111111111", "123123123123", "987654321098",
    "aaaaaaaaaaaa", "veilveilveil", "password2024", "password2025", "password2026",
    "summer2024!!", "winter2025!!", "company12345", "secret123456",
};

/* Code points, the length users mean (ASVS 2.1.4: Unicode counts as one). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The site's own list (blocklist_file), lower case, sorted; loaded once. */
static char **site_list;
static size_t site_list_n;

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int password_blocklist_load(const char *path)
{
    veil_buf text = {0};
    int rc = veil_read_file(path, &text, 64u << 20, NULL);
    size_t lines = 0;
    for (size_t i = 0; !rc && i < text.len; i++)
        lines += text.data[i] == '\n';
    char **list = rc ? NULL : calloc(lines + 1, sizeof *list);
    if (!rc && !list)
        rc = VEIL_ENOMEM;
    size_t n = 0;
    for (char *save = NULL, *line = rc ? NULL : strtok_r(text.data, "\r\n", &save); line;
         line = strtok_r(NULL, "\r\n", &save)) {
        for (char *c = line; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (*line && n <= lines && !(list[n++] = strdup(line)))
            rc = VEIL_ENOMEM;
    }
    veil_buf_free(&text);
    if (rc) {
        for (size_t i = 0; list && i < n; i++)
            free(list[i]);
        free(list);
        return rc;
    }
    qsort(list, n, sizeof *list, by_string);
    site_list = list;
    site_list_n = n;
    return VEIL_OK;
}

static bool blocked(const char *password)
{
    char lower[520];
    size_t n = strlen(password);
    if (n >= sizeof lower)
        return false;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)password[i]);
    for (size_t i = 0; i < sizeof COMMON / sizeof COMMON[0]; i++)
        if (!strcmp(lower, COMMON[i]))
            return true;
    const char *key = lower;
    return site_list && bsearch(&key, site_list, site_list_n, sizeof *site_list, by_string);
}

const char *password_problem(const replay_policy *p, const char *name, const char *password,
                             const user_record *r)
{
    static char why[160];
    size_t chars = utf8_chars(password);
    if (chars < (size_t)p->min_length) {
        snprintf(why, sizeof why, "the password needs at least %d characters", p->min_length);
        return why;
    }
    if (chars > (size_t)p->max_length) {
        snprintf(why, sizeof why, "the password may have at most %d characters", p->max_length);
        return why;
    }
    if (p->require_digit && !strpbrk(password, "0123456789"))
        return "the password needs a digit";
    if (!strcmp(password, name) || blocked(password))
        return "the password is too common (on the list of passwords attackers try first)";
    for (int i = 0; r && i < p->history && i < r->n_history; i++)
        if (password_verify(r->history[i], password))
            return "the password was used before";
    if (r && r->hash[0] && password_verify(r->hash, password))
        return "the new password is the current one";
    return NULL;
}

int password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
    /* argon2id, 64 MiB, 3 passes: above OWASP's floor (19 MiB, 2); about
     * 0.3 s a login here (docs/console.md), on a worker thread */
    return crypto_pwhash_str_alg(out, password, strlen(password), 3, 64u << 20,
                                 crypto_pwhash_ALG_ARGON2ID13)
               ? VEIL_ENOMEM
               : VEIL_OK;
}

bool password_verify(const char *hash, const char *password)
{
    return hash[0] && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int password_set(user_record *r, const replay_policy *p, const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc = password_hash(password, hash);
    if (rc)
        return rc;
    int keep = p->history < USER_HISTORY_MAX ? p->history : USER_HISTORY_MAX;
    if (keep > 0 && r->hash[0]) {
        int n = r->n_history < keep ? r->n_history + 1 : keep;
        memmove(r->history[1], r->history[0], (size_t)(n - 1) * sizeof r->history[0]);
        strcpy(r->history[0], r->hash);
        r->n_history = n;
    }
    strcpy(r->hash, hash);
    r->password_changed_ms = veil_now_ms();
    r->u.must_change = false;
    return VEIL_OK;
}

void password_random(char out[33])
{
    static const char ALPHABET[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (int i = 0; i < 32; i++)
        out[i] = ALPHABET[randombytes_uniform(sizeof ALPHABET - 1)];
    out[32] = '\0';
}

/* ---- TOTP (RFC 6238: HOTP of 30-second steps, SHA-1, 6 digits) ------------------------------ */

uint32_t totp_code(const uint8_t secret[20], uint64_t step)
{
    uint8_t msg[8], mac[20];
    unsigned len = 0;
    veil_be64_put(msg, step);
    HMAC(EVP_sha1(), secret, 20, msg, sizeof msg, mac, &len);
    int off = mac[19] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    return bin % 1000000;
}

bool totp_check(user_record *r, const char *code, uint64_t now_ms)
{
    if (!r->u.totp_enrolled || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return false;
    uint32_t want = (uint32_t)strtoul(code, NULL, 10);
    uint64_t now = now_ms / 30000;
    for (uint64_t step = now - 1; step <= now + 1; step++) {
        if (step <= r->totp_last_step || totp_code(r->totp_secret, step) != want)
            continue;
        r->totp_last_step = step; /* this code, and every earlier one, is spent */
        return true;
    }
    return false;
}

void totp_secret_base32(const uint8_t secret[20], char out[33])
{
    static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (int i = 0; i < 32; i++) { /* 160 bits: 32 characters of 5 bits */
        int bit = i * 5, byte = bit / 8, shift = bit % 8;
        unsigned v = (unsigned)secret[byte] << 8 | (byte + 1 < 20 ? secret[byte + 1] : 0);
        out[i] = B32[(v >> (11 - shift)) & 31];
    }
    out[32] = '\0';
}

char *totp_qr_svg(const char *uri)
{
    QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    int w = qr->width, size = w + 8;
    veil_buf svg = {0};
    int rc = veil_buf_printf(&svg,
                             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                             "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                             "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                             size, size, size, size);
    for (int y = 0; y < w && !rc; y++)
        for (int x = 0; x < w && !rc; x++)
            if (qr->data[y * w + x] & 1)
                rc = veil_buf_printf(&svg, "M%d %dh1v1h-1z", x + 4, y + 4);
    if (!rc)
        rc = veil_buf_append_str(&svg, "\"/></svg>");
    QRcode_free(qr);
    if (rc) {
        veil_buf_free(&svg);
        return NULL;
    }
    return svg.data; /* the caller frees it */
}

/* ---- recovery codes ------------------------------------------------------------------------- */

static void code_hash(const char *code, char out[65])
{
    uint8_t digest[32];
    unsigned len = 0;
    EVP_Digest(code, strlen(code), digest, &len, EVP_sha256(), NULL);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

void recovery_codes_new(user_record *r, char out[RECOVERY_CODES][20])
{
    for (int i = 0; i < RECOVERY_CODES; i++) {
        uint8_t raw[8]; /* 64 random bits: a fast hash is enough to keep them */
        randombytes_buf(raw, sizeof raw);
        snprintf(out[i], 20, "%02x%02x-%02x%02x-%02x%02x-%02x%02x", raw[0], raw[1], raw[2], raw[3],
                 raw[4], raw[5], raw[6], raw[7]);
        code_hash(out[i], r->recovery[i]);
        sodium_memzero(raw, sizeof raw);
    }
}

bool recovery_code_use(user_record *r, const char *code)
{
    char h[65];
    if (strlen(code) != 19)
        return false;
    code_hash(code, h);
    for (int i = 0; i < RECOVERY_CODES; i++) {
        if (r->recovery[i][0] && sodium_memcmp(h, r->recovery[i], 64) == 0) {
            r->recovery[i][0] = '\0'; /* single use */
            return true;
        }
    }
    return false;
}
