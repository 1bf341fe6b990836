/* json_parse.cpp - the simdjson baseline of bench/masker.c (json_parse.h). */
#include "json_parse.h"

#include <simdjson.h>

static_assert(simdjson::SIMDJSON_PADDING <= JSON_PARSE_PADDING,
              "the corpus must be padded as simdjson reads");

struct json_parser {
    simdjson::dom::parser dom;
};

json_parser *json_parser_new(void)
{
    return new (std::nothrow) json_parser;
}

void json_parser_free(json_parser *p)
{
    delete p;
}

/* Every value under e, e included. */
static size_t visit_all(simdjson::dom::element e)
{
    size_t n = 1;
    if (e.is_object()) {
        for (simdjson::dom::key_value_pair member : simdjson::dom::object(e))
            n += visit_all(member.value);
    } else if (e.is_array()) {
        for (simdjson::dom::element v : simdjson::dom::array(e))
            n += visit_all(v);
    }
    return n;
}

size_t json_parser_run(json_parser *p, const char *json, size_t len, bool visit)
{
    simdjson::dom::element doc;
    if (p->dom.parse(json, len, false).get(doc) != simdjson::SUCCESS)
        return 0;
    return visit ? visit_all(doc) : 1;
}

const char *json_parser_kernel(void)
{
    return simdjson::get_active_implementation()->name().c_str();
}
