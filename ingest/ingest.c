/*
 * ingest.c - the ingest server as a whole: its configuration and limits,
 * the listener on the caller's lws context, the once-a-second sweep,
 * graceful shutdown, metrics and the snippet's integrity hash. What happens
 * to one connection and its batches is in conn.c.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "../common/tls.h"

void ingest_limits_default(ingest_limits *l)
{
    *l = (ingest_limits){
        .max_message_bytes = 4u << 20,
        .max_inflated_bytes = 16u << 20,
        .batches_per_second = 10,
        .site_batches_per_second = 5000,
        .connections_per_ip = 64,
        .max_sessions = 20000,
        .max_session_bytes = 256u << 20,
        .max_session_minutes = 240,
        .hello_timeout_s = 10,
        .idle_timeout_s = 120,
        .masker_memory_bytes = 512u << 20,
        .queue_bytes = 32u << 20,
    };
}

/* Runs on a worker: makes lws_service() return and deliver
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED, where conn_collect() takes results. */
static void wake_service(void *arg)
{
    ingest *in = arg;
    struct lws_context *context = __atomic_load_n(&in->context, __ATOMIC_ACQUIRE);
    if (context)
        lws_cancel_service(context);
}

int ingest_create(ingest **out, const ingest_config *cfg, veil_error *err)
{
    ingest *in = calloc(1, sizeof *in);
    if (!in)
        return veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    in->cfg = *cfg;
    if (cfg->n_trusted_proxies > INGEST_MAX_PROXIES) {
        free(in);
        return veil_fail(err, VEIL_EINVAL, "too many trusted proxies", 0);
    }
    for (int i = 0; i < cfg->n_trusted_proxies; i++)
        snprintf(in->trusted_proxies[i], sizeof in->trusted_proxies[i], "%s",
                 cfg->trusted_proxies[i]);
    in->cfg.trusted_proxies = NULL;
    in->sites = calloc((size_t)(cfg->n_sites > 0 ? cfg->n_sites : 1), sizeof *in->sites);
    int rc = in->sites ? sessions_init(&in->sessions, cfg->secret_file, err)
                       : veil_fail(err, VEIL_ENOMEM, "out of memory", 0);
    if (!rc) {
        /* four per core: a worker waits on the shared fsync for much of a
         * batch (bench/ingest: 1, 2, 4, 8 workers on 2 cores give 75, 82,
         * 90, 104 MB/s) */
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int n = cfg->workers > 0 ? cfg->workers : 4 * (cores > 0 ? (int)cores : 1);
        if ((rc = workers_start(&in->workers, n, wake_service, in)))
            veil_fail(err, rc, "cannot start the ingest workers", 0);
    }
    if (rc) {
        ingest_destroy(in);
        return rc;
    }
    *out = in;
    return VEIL_OK;
}

static void on_sweep(lws_sorted_usec_list_t *sul)
{
    ingest *in = lws_container_of(sul, ingest, sweep);
    conn_collect(in);
    conn_sweep(in);
    lws_sul_schedule(in->context, 0, &in->sweep, on_sweep, LWS_US_PER_SEC);
}

int ingest_listen(ingest *in, struct lws_context *context, const char *iface, int port,
                  const char *cert, const char *key)
{
    veil_listener l = {.name = "ingest",
                       .iface = iface,
                       .port = port,
                       .protocols = INGEST_PROTOCOLS,
                       .user = in,
                       .cert = cert,
                       .key = key,
                       .alpn = "http/1.1", /* WebSocket upgrades are HTTP/1.1 */
                       .timeout_s = in->cfg.limits.hello_timeout_s > 0
                                        ? (unsigned)in->cfg.limits.hello_timeout_s
                                        : 10}; /* TLS and HTTP handshakes */
    if (!(in->vhost = veil_listen(context, &l)))
        return VEIL_EIO;
    __atomic_store_n(&in->context, context, __ATOMIC_RELEASE);
    lws_sul_schedule(context, 0, &in->sweep, on_sweep, LWS_US_PER_SEC);
    return VEIL_OK;
}

void ingest_shutdown(ingest *in)
{
    if (in->stopping)
        return;
    in->stopping = true;
    conn_sweep(in); /* connections with nothing pending close now, the rest once acked */
}

bool ingest_drained(ingest *in)
{
    return in->stopping && !in->conns && workers_queue_depth(in->workers) == 0;
}

void ingest_destroy(ingest *in)
{
    if (!in)
        return;
    workers_stop(in->workers); /* finishes what is queued: stored, if not acked */
    sessions_free(&in->sessions);
    for (size_t b = 0; b < sizeof in->ips / sizeof in->ips[0]; b++)
        for (ip_count *c = in->ips[b], *next; c; c = next) {
            next = c->next;
            free(c);
        }
    free(in->sites);
    free(in);
}

/* ---- metrics ---------------------------------------------------------------------- */

static const char *const REJECT_NAMES[REJECT_COUNT] = {
    [REJECT_SITE] = "site",         [REJECT_ORIGIN] = "origin",   [REJECT_IP_LIMIT] = "ip_limit",
    [REJECT_OVERLOAD] = "overload", [REJECT_TOO_BIG] = "too_big", [REJECT_MALFORMED] = "malformed",
    [REJECT_SEQUENCE] = "sequence", [REJECT_RATE] = "rate",       [REJECT_SESSION] = "session",
    [REJECT_TOKEN] = "token",       [REJECT_TIMEOUT] = "timeout", [REJECT_STORAGE] = "storage",
};

static int metric(veil_buf *out, const char *name, const char *type, const char *help,
                  uint64_t value)
{
    return veil_buf_printf(out,
                           "# HELP veil_ingest_%s %s\n# TYPE veil_ingest_%s %s\n"
                           "veil_ingest_%s %llu\n",
                           name, help, name, type, name, (unsigned long long)value);
}

static int labelled(veil_buf *out, const char *name, const char *help, const char *label,
                    const char *const *values, const _Atomic uint64_t *counts, int n)
{
    int rc = veil_buf_printf(out, "# HELP veil_ingest_%s %s\n# TYPE veil_ingest_%s counter\n", name,
                             help, name);
    for (int i = 0; i < n && !rc; i++)
        rc = veil_buf_printf(out, "veil_ingest_%s{%s=\"%s\"} %llu\n", name, label, values[i],
                             (unsigned long long)counts[i]);
    return rc;
}

static int latency_histogram(veil_buf *out, const ingest_counters *c)
{
    static const char *const le[LATENCY_BUCKETS] = {
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5"};
    int rc = veil_buf_printf(out, "# HELP veil_ingest_ack_latency_seconds From a batch's last "
                                  "byte to its ack (masked, sealed, durable).\n"
                                  "# TYPE veil_ingest_ack_latency_seconds histogram\n");
    for (int i = 0; i < LATENCY_BUCKETS && !rc; i++)
        rc = veil_buf_printf(out, "veil_ingest_ack_latency_seconds_bucket{le=\"%s\"} %llu\n", le[i],
                             (unsigned long long)c->latency_le[i]);
    if (!rc)
        rc = veil_buf_printf(out,
                             "veil_ingest_ack_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
                             "veil_ingest_ack_latency_seconds_sum %.6f\n"
                             "veil_ingest_ack_latency_seconds_count %llu\n",
                             (unsigned long long)c->latency_count, (double)c->latency_sum_us / 1e6,
                             (unsigned long long)c->latency_count);
    return rc;
}

int ingest_metrics(ingest *in, veil_buf *out)
{
    const ingest_counters *c = &in->counters;
    const char *finding_names[MASKER_FINDING_COUNT];
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        finding_names[k] = masker_finding_name((enum masker_finding)k);
    struct {
        const char *name, *type, *help;
        uint64_t value;
    } plain[] = {
        {"connections", "gauge", "WebSocket connections open.", c->connections},
        {"connections_total", "counter", "WebSocket connections accepted.", c->connections_total},
        {"sessions", "gauge", "Sessions held (connected or resumable).", c->sessions_held},
        {"sessions_created_total", "counter", "Sessions started.", c->sessions_created},
        {"sessions_resumed_total", "counter", "Sessions continued with a resume token.",
         c->sessions_resumed},
        {"batches_total", "counter", "Batches accepted for storing.", c->batches},
        {"batches_resent_total", "counter", "Batches received again (acked, stored once).",
         c->resent},
        {"acks_total", "counter", "Batches acknowledged as durable.", c->acks},
        {"bytes_in_total", "counter", "Batch bytes received (after inflating).", c->bytes_in},
        {"bytes_stored_total", "counter", "Masked batch bytes stored.", c->bytes_stored},
        {"alerts_total", "counter", "Alert records raised for sites.", c->alerts},
        {"worker_queue_depth", "gauge", "Batches waiting for or in a worker.", c->queue_depth},
        {"masker_state_bytes", "gauge", "Memory held by sessions' masker state.", c->masker_bytes},
    };
    int rc = VEIL_OK;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0] && !rc; i++)
        rc = metric(out, plain[i].name, plain[i].type, plain[i].help, plain[i].value);
    if (!rc)
        rc = labelled(out, "rejects_total", "Connections and messages refused, by reason.",
                      "reason", REJECT_NAMES, c->rejects, REJECT_COUNT);
    if (!rc)
        rc = labelled(out, "masks_total", "Values masked by the server, by kind.", "kind",
                      finding_names, c->masks, MASKER_FINDING_COUNT);
    return rc ? rc : latency_histogram(out, c);
}

/* ---- the snippet ------------------------------------------------------------------- */

int ingest_snippet_sri(const char *snippet_path, char *out, size_t cap)
{
    veil_buf js = {0};
    int rc = veil_read_file(snippet_path, &js, 16u << 20, NULL);
    if (rc) {
        veil_buf_free(&js);
        return rc;
    }
    unsigned char digest[48];
    unsigned len = 0;
    if (!EVP_Digest(js.data, js.len, digest, &len, EVP_sha384(), NULL) || len != sizeof digest)
        rc = VEIL_ECRYPTO;
    veil_buf_free(&js);
    if (rc)
        return rc;
    size_t need = 7 + sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    if (cap < need)
        return VEIL_EINVAL;
    memcpy(out, "sha384-", 7);
    sodium_bin2base64(out + 7, cap - 7, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    return VEIL_OK;
}
