/* mask_cmd.c - `veil mask`: a recorded session through the masker, stdin to stdout. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../masker/masker.h"
#include "cli.h"
#include "mask_reader.h"

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

static int write_report(const char *path, const char *site, const masker_findings *f, size_t events)
{
    json_t *counts = json_object();
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        json_object_set_new(counts, masker_finding_name(k), json_integer((json_int_t)f->count[k]));
    json_t *root = json_pack("{s:s, s:I, s:o, s:b}", "site", site, "events", (json_int_t)events,
                             "findings", counts, "alert", f->count[MASKER_CARD_ELSEWHERE] > 0);
    int rc = root ? json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;
    json_decref(root);
    return rc;
}

/* ---- masking ---------------------------------------------------------------- */

static int write_out(const char *p, size_t n)
{
    if (n && fwrite(p, 1, n, stdout) != n) {
        cli_error("cannot write to stdout");
        return VEIL_EIO;
    }
    return VEIL_OK;
}

/* What the masking side keeps between pieces. */
typedef struct {
    masker_session *session;
    masker_findings findings;
} masking;

/*
 * Masks one piece in its batch's buffer and writes it: one event, or a run
 * of array elements as one batch "[e1,...]" (brackets over the byte before
 * the run and the one after it), with the NUL the masker wants after it.
 * The bytes around the piece are put back after: pieces that follow may be
 * made of them.
 */
static int mask_piece_out(masking *m, mask_batch *b, const mask_piece *p)
{
    size_t edge = p->elements, len = p->len + 2 * edge;
    char *bytes = mask_piece_bytes(b, p), *json = bytes - edge;
    char saved[3] = {json[0], json[len - 1], json[len]};
    if (edge) {
        json[0] = '[';
        json[len - 1] = ']';
    }
    json[len] = '\0';
    masker_result out;
    veil_error err;
    int rc = masker_session_mask(m->session, json, len, &out, &m->findings, &err);
    if (rc)
        cli_error("%s at byte %zu: %s; fix the input and run again", veil_strerror(rc),
                  p->offset - edge + err.offset, err.what ? err.what : "error");
    else
        rc = write_out(out.data + edge, out.len - 2 * edge);
    if (edge)
        json[0] = saved[0], json[len - 1] = saved[1];
    json[len] = saved[2];
    return rc ? VEIL_EINVAL : VEIL_OK;
}

/* One batch from the reader: its events masked, the rest written as it came. */
static int mask_batch_out(masking *m, mask_batch *b)
{
    for (size_t i = 0; i < b->n_pieces; i++) {
        const mask_piece *p = &b->pieces[i];
        int rc = p->events ? mask_piece_out(m, b, p) : write_out(mask_piece_bytes(b, p), p->len);
        if (rc)
            return rc;
    }
    return VEIL_OK;
}

/* Masks stdin to stdout, a batch at a time while the reader reads the next. */
static int mask_input(masking *m, size_t *events)
{
    mask_reader *r = mask_reader_start();
    if (!r) {
        cli_error("out of memory");
        return VEIL_ENOMEM;
    }
    int rc = VEIL_OK;
    for (bool last = false; !rc && !last;) {
        mask_batch *b = mask_reader_next(r);
        if (!b) {
            cli_error("out of memory");
            rc = VEIL_ENOMEM;
            break;
        }
        rc = mask_batch_out(m, b);
        *events += b->events;
        last = b->last;
        if (!rc && b->error[0]) {
            cli_error("%s; fix the input and run again", b->error);
            rc = VEIL_EINVAL;
        }
        mask_reader_done(r, b);
    }
    mask_reader_stop(r);
    return rc;
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
    masking m = {0};
    size_t events = 0;
    const veil_site_config *site = cli_site(&cfg, o.site);
    if (!site)
        goto out;
    if (apply_flags(site->policy, &o))
        goto out;
    m.session = masker_session_new(site->policy, NULL);
    if (!m.session) {
        cli_error("out of memory");
        goto out;
    }
    static char out_buffer[1 << 16];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    int failed = mask_input(&m, &events);
    if (fflush(stdout) != 0) {
        cli_error("cannot write to stdout");
        goto out;
    }
    if (failed)
        goto out;
    if (o.report && write_report(o.report, site->name, &m.findings, events)) {
        cli_error("cannot write the report to %s", o.report);
        goto out;
    }
    rc = EXIT_OK;
out:
    masker_session_free(m.session);
    veil_config_free(&cfg);
    return rc;
}
