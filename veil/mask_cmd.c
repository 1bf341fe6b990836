/* mask_cmd.c - `veil mask`: a recorded session through the masker, stdin to stdout. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../masker/masker.h"
#include "cli.h"

typedef struct {
    const char *config_path;
    const char *site;
    const char *ip_octets;
    int record_inputs;
    int record_pii;
    const char *report;
} mask_options;

static int parse_options(int argc, char **argv, mask_options *o)
{
    enum { O_CONFIG = 1, O_SITE, O_IP, O_INPUTS, O_PII, O_REPORT };
    static const struct option opts[] = {
        {"config", required_argument, NULL, O_CONFIG},
        {"site", required_argument, NULL, O_SITE},
        {"ip-octets", required_argument, NULL, O_IP},
        {"record-inputs", no_argument, NULL, O_INPUTS},
        {"record-pii", no_argument, NULL, O_PII},
        {"report", required_argument, NULL, O_REPORT},
        {0},
    };
    memset(o, 0, sizeof *o);
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG:
            o->config_path = optarg;
            break;
        case O_SITE:
            o->site = optarg;
            break;
        case O_IP:
            o->ip_octets = optarg;
            break;
        case O_INPUTS:
            o->record_inputs = 1;
            break;
        case O_PII:
            o->record_pii = 1;
            break;
        case O_REPORT:
            o->report = optarg;
            break;
        default:
            cli_error("unknown option '%s'; see 'veil mask --help'", argv[optind - 1]);
            return VEIL_EINVAL;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'; events are read from stdin", argv[optind]);
        return VEIL_EINVAL;
    }
    return VEIL_OK;
}

static int apply_flags(masker_site *policy, const mask_options *o)
{
    const char *why;
    if (o->ip_octets && masker_site_set(policy, NULL, "ip_octets", o->ip_octets, &why)) {
        cli_error("--ip-octets: expected a number from 0 to 4");
        return VEIL_EINVAL;
    }
    if ((o->record_inputs && masker_site_set(policy, NULL, "record_inputs", "true", &why)) ||
        (o->record_pii && masker_site_set(policy, NULL, "record_pii", "true", &why))) {
        cli_error("%s", why);
        return VEIL_EINVAL;
    }
    return VEIL_OK;
}

static int write_report(const char *path, const char *site, const masker_findings *f,
                        size_t batches)
{
    json_t *counts = json_object();
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        json_object_set_new(counts, masker_finding_name(k), json_integer((json_int_t)f->count[k]));
    json_t *root = json_pack("{s:s, s:I, s:o, s:b}", "site", site, "batches", (json_int_t)batches,
                             "findings", counts, "alert", f->count[MASKER_CARD_ELSEWHERE] > 0);
    int rc = root ? json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;
    json_decref(root);
    return rc;
}

static int mask_one(masker_session *s, char *json, size_t len, size_t base, masker_findings *f)
{
    masker_result out;
    veil_error err;
    int rc = masker_session_mask(s, json, len, &out, f, &err);
    if (rc) {
        cli_error("%s at byte %zu: %s; fix the input and run again", veil_strerror(rc),
                  base + err.offset, err.what ? err.what : "error");
        return VEIL_EINVAL;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len) {
        cli_error("cannot write to stdout");
        return VEIL_EIO;
    }
    return VEIL_OK;
}

/* JSON Lines: each non-blank line is one event, masked and written on its own. */
static int mask_lines(masker_session *s, veil_buf *in, masker_findings *f, size_t *batches)
{
    char *p = in->data, *end = in->data + in->len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        size_t n = (size_t)(line_end - p);
        char saved = *line_end;
        *line_end = '\0'; /* the masker wants a NUL after the bytes */
        size_t blank = strspn(p, " \t\r");
        if (blank < n) {
            if (mask_one(s, p, n, (size_t)(p - in->data), f) || fputc('\n', stdout) == EOF)
                return VEIL_EINVAL;
            (*batches)++;
        }
        *line_end = saved;
        p = line_end + 1;
    }
    return VEIL_OK;
}

int cmd_mask(int argc, char **argv)
{
    mask_options o;
    if (parse_options(argc, argv, &o))
        return EXIT_USAGE;
    veil_config cfg;
    if (cli_load_config(&cfg, o.config_path))
        return EXIT_FAIL;
    int rc = EXIT_FAIL;
    masker_session *session = NULL;
    veil_buf in = {0};
    masker_findings findings = {0};
    size_t batches = 0;
    const veil_site_config *site = o.site ? veil_config_site(&cfg, o.site) : &cfg.sites[0];
    if (!site) {
        cli_error("no site named '%s' in the configuration; add a [site %s] section", o.site,
                  o.site);
        goto out;
    }
    if (apply_flags(site->policy, &o))
        goto out;
    if (veil_read_stream(stdin, &in, 0)) {
        cli_error("cannot read stdin");
        goto out;
    }
    session = masker_session_new(site->policy, NULL);
    if (!session) {
        cli_error("out of memory");
        goto out;
    }
    size_t lead = strspn(in.data, " \t\r\n");
    if (lead == in.len) {
        cli_error("no events on stdin; pipe a JSON array or JSON Lines file");
        goto out;
    }
    /* Decided before masking: the masker consumes (wipes) its input. */
    bool is_array = in.data[lead] == '[';
    bool newline_at_end = in.data[in.len - 1] == '\n';
    int failed = is_array ? mask_one(session, in.data, in.len, 0, &findings)
                          : mask_lines(session, &in, &findings, &batches);
    if (is_array && !failed) {
        batches = 1;
        if (newline_at_end)
            fputc('\n', stdout);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write to stdout");
        goto out;
    }
    if (o.report && write_report(o.report, site->name, &findings, batches)) {
        cli_error("cannot write the report to %s", o.report);
        goto out;
    }
    rc = failed ? EXIT_FAIL : EXIT_OK;
out:
    masker_session_free(session);
    veil_buf_free(&in);
    veil_config_free(&cfg);
    return rc;
}
