/*
 * fuzz_masker.c - libFuzzer target over the masker, with session state
 * carried across batches. Input bytes are split at 0x01 (never valid in
 * JSON text) into consecutive batches of one session. For every batch the
 * masker accepts, it asserts:
 *   - the output is valid JSON (jansson) of the same shape as the input:
 *     same types, same object keys, same array lengths, same numbers;
 *   - no string in the output holds a run of 12-19 digits that is
 *     Luhn-valid and starts with a card IIN for its length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../masker/internal.h"

static masker_site *site;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    site = masker_site_new();
    const char *why;
    if (!site || masker_site_set(site, NULL, "mask_selector", ".secret, input[name=ssn]", &why) ||
        masker_site_set(site, "/open/*", "record_inputs", "true", &why))
        abort();
    return 0;
}

static bool same_shape(json_t *a, json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *key;
        json_t *va;
        json_object_foreach(a, key, va)
        {
            json_t *vb = json_object_get(b, key);
            if (!vb || !same_shape(va, vb))
                return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_shape(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return true;
    default:
        return json_equal(a, b);
    }
}

static void no_card_survives(json_t *v)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child) no_card_survives(child);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            no_card_survives(json_array_get(v, i));
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        for (size_t i = 0; i < n;) {
            if (s[i] < '0' || s[i] > '9') {
                i++;
                continue;
            }
            size_t j = i;
            uint8_t d[20];
            while (j < n && s[j] >= '0' && s[j] <= '9') {
                if (j - i < 20)
                    d[j - i] = (uint8_t)(s[j] - '0');
                j++;
            }
            size_t len = j - i;
            if (len >= 12 && len <= 19 && card_iin_ok(d, len) && card_luhn_ok(d, len)) {
                fprintf(stderr, "card number survived masking\n");
                abort();
            }
            i = j;
        }
    }
}

static void check_batch(const char *in, size_t len)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return;
    memcpy(buf, in, len);
    buf[len] = '\0';
    static masker_session *session;
    if (!session)
        session = masker_session_new(site, "https://shop.example/open/form");
    masker_findings f = {0};
    masker_result out;
    veil_error err;
    json_error_t jerr;
    json_t *before = json_loadb(in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    int rc = masker_session_mask(session, buf, len, &out, &f, &err);
    if (rc == VEIL_OK) {
        json_t *after = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!after && before) {
            fprintf(stderr, "output is not JSON: %s\n", jerr.text);
            abort();
        }
        if (before && !same_shape(before, after)) {
            fprintf(stderr, "output changed the JSON shape\n");
            abort();
        }
        if (after)
            no_card_survives(after);
        json_decref(after);
    } else if (err.offset > len) {
        abort();
    }
    json_decref(before);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p <= end) {
        const char *cut = memchr(p, 0x01, (size_t)(end - p));
        const char *stop = cut ? cut : end;
        check_batch(p, (size_t)(stop - p));
        if (!cut)
            break;
        p = cut + 1;
    }
    return 0;
}
