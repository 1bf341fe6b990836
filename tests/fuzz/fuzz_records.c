/*
 * fuzz_records.c - libFuzzer target over every parser of bytes the store
 * reads back from disk (wrapped data keys, index entries, chunks, the
 * keyring file) and over the import splitter. The first byte picks the
 * parser. Oracles: nothing crashes, and a record sealed from the input opens
 * to the same bytes while the same record with one byte changed never opens.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../store/internal.h"
#include "../../veil/events.h"

static uint8_t key[SEAL_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t keyring_id[KEYRING_ID_BYTES] = {9, 8, 7};

static void parse_dek(const uint8_t *d, size_t n)
{
    dek_header h;
    uint8_t dek[SEAL_KEY_BYTES];
    if (record_dek_header(d, n, &h) == VEIL_OK && h.site[0] == '\0')
        abort(); /* a parsed header always names its site */
    (void)record_dek_unwrap(d, n, "session", keyring_id, key, dek);
}

static void parse_index(const uint8_t *d, size_t n)
{
    index_entry e;
    (void)record_index_decode(d, n, "session", NULL, &e);
    (void)record_index_decode(d, n, "session", key, &e);
}

/* Seals the input as a chunk, checks it opens, then changes one byte. */
static void chunk_round_trip(const uint8_t *d, size_t n)
{
    veil_buf sealed = {0}, json = {0};
    if (record_chunk_seal(&sealed, "site", "session", 7, key, d, n) != VEIL_OK)
        abort();
    if (record_chunk_open(&json, "site", "session", 7, key, (uint8_t *)sealed.data, sealed.len) ||
        json.len != n || (n && memcmp(json.data, d, n)))
        abort();
    size_t at = n ? d[0] % sealed.len : 0;
    sealed.data[at] ^= 0x5a;
    if (record_chunk_open(&json, "site", "session", 7, key, (uint8_t *)sealed.data, sealed.len) ==
        VEIL_OK)
        abort();
    sealed.data[at] ^= 0x5a;
    if (record_chunk_open(&json, "site", "session", 8, key, (uint8_t *)sealed.data, sealed.len) ==
        VEIL_OK)
        abort();                                                     /* another sequence number */
    (void)record_chunk_open(&json, "site", "session", 7, key, d, n); /* the raw input as a record */
    veil_buf_free(&sealed);
    veil_buf_free(&json);
}

/* Odd first byte: the input is the whole file. Even: the input is the
 * keyring's body, sealed under a valid header, so the body parser is reached. */
static void parse_keyring(const uint8_t *d, size_t n)
{
    enum { HEADER = 8 + 1 + 16 + 8 + 8 };
    uint8_t *file = malloc(HEADER + n + SEAL_OVERHEAD);
    size_t len = n;
    if (n && d[0] % 2 == 0) {
        memset(file, 0, HEADER);
        memcpy(file, "VEILKR1\n\x01", 9);
        if (seal_encrypt(key, file, HEADER, d + 1, n - 1, file + HEADER))
            abort();
        len = HEADER + n - 1 + SEAL_OVERHEAD;
    } else if (n) {
        memcpy(file, d, n);
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/veil-fuzz-keyring-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, file, len) != (ssize_t)len)
        abort();
    close(fd);
    free(file);
    root_secret rs = {.key = sodium_malloc(SEAL_KEY_BYTES), .len = SEAL_KEY_BYTES};
    memcpy(rs.key, key, SEAL_KEY_BYTES);
    keyring kr;
    if (keyring_load(&kr, path, &rs, false, NULL) == VEIL_OK)
        keyring_free(&kr);
    root_secret_free(&rs);
    unlink(path);
}

static int count_event(void *user, const char *event, size_t len, size_t offset)
{
    (void)event;
    (void)offset;
    if (len == 0)
        abort();
    ++*(size_t *)user;
    return 0;
}

static void split_events(const uint8_t *d, size_t n)
{
    bool is_array;
    size_t events = 0;
    veil_error err = {0};
    if (events_each((const char *)d, n, &is_array, count_event, &events, &err) != VEIL_OK &&
        (err.offset > n || !err.what))
        abort(); /* an error points inside the input and says what */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || sodium_init() < 0)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 5) {
    case 0:
        parse_dek(d, n);
        break;
    case 1:
        parse_index(d, n);
        break;
    case 2:
        chunk_round_trip(d, n);
        break;
    case 3:
        parse_keyring(d, n);
        break;
    default:
        split_events(d, n);
    }
    return 0;
}
