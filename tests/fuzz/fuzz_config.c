/* fuzz_config.c - libFuzzer target over the configuration parser and selectors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../veil/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    veil_config cfg;
    veil_config_error err;
    if (veil_config_load_string(&cfg, text, "fuzz.conf", &err) == VEIL_OK) {
        if (cfg.n_sites < 1 || !cfg.sites[0].policy)
            abort();
        veil_config_free(&cfg);
    } else if (err.line < 1 || err.column < 1 || !err.message[0]) {
        abort(); /* every error must say where and what */
    }
    free(text);
    return 0;
}
