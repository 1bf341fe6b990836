/*
 * json_parse.h - a JSON parse and nothing else, as a baseline for
 * bench/masker.c: simdjson's DOM parser (a SIMD structural index, a tape of
 * every value, UTF-8 validated, strings unescaped), the fastest general JSON
 * parser there is, over the same bytes the masker reads. It masks nothing:
 * a masker that must read every node of a snapshot cannot beat it by much.
 * Built only where libsimdjson-dev is installed (bench/meson.build).
 */
#ifndef VEIL_BENCH_JSON_PARSE_H
#define VEIL_BENCH_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Readable bytes the parser may load past the end of its input. */
#define JSON_PARSE_PADDING 64

typedef struct json_parser json_parser;

json_parser *json_parser_new(void);
void json_parser_free(json_parser *p);

/*
 * Parses the len bytes at json, followed by JSON_PARSE_PADDING readable
 * bytes; with `visit`, then visits every value of the document, as a walk
 * over it would. Returns the number of values visited (1 without `visit`),
 * or 0 when the bytes are not JSON.
 */
size_t json_parser_run(json_parser *p, const char *json, size_t len, bool visit);

/* The SIMD kernel the parser picked for this CPU ("icelake", "haswell"...). */
const char *json_parser_kernel(void);

#ifdef __cplusplus
}
#endif

#endif
