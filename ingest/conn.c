/*
 * conn.c - the lws callbacks of the ingest listener, on the service thread.
 *
 * The upgrade is checked before the WebSocket opens (site key in the URL,
 * Origin, connections per address, shutdown): a refusal is an HTTP status.
 * Then one connection goes: hello -> ready, then batches, each checked
 * (size, rate, sequence, session limits) and handed to the workers; their
 * results come back through conn_collect() and become acks. Every refusal
 * is an error message, then a close code; what was acked stays stored.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum conn_state { AWAIT_HELLO, OPEN, CLOSING };

/* A message waiting to go out, with lws's headroom before it. */
typedef struct out_msg {
    struct out_msg *next;
    size_t len;
    unsigned char bytes[]; /* LWS_PRE + len */
} out_msg;

struct ingest_conn {
    struct lws *wsi;
    ingest *in;
    enum conn_state state;
    const ingest_site *site;
    int site_index;
    char ip[64];
    ingest_session *session;
    veil_buf rx; /* the message being reassembled */
    bool rx_binary, rx_counted;
    out_msg *out_head, *out_tail;
    int close_code;
    char close_reason[64];
    size_t queued_bytes; /* batches handed over, not yet stored */
    bool paused;         /* reading stopped: too much queued */
    double tokens;       /* batches this connection may send now */
    uint64_t tokens_ms, opened_ms, last_message_ms;
    ingest_conn *prev, *next;
};

ingest *conn_server(struct lws *wsi)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    return vh ? lws_get_vhost_user(vh) : NULL;
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
    *c += n;
}

/* ---- the upgrade ------------------------------------------------------------- */

static int site_by_key(const ingest *in, const char *key)
{
    for (int i = 0; i < in->cfg.n_sites; i++)
        if (!strcmp(in->cfg.sites[i].key, key))
            return i;
    return -1;
}

/* The site of the upgrade's ?site=KEY, or -1. */
static int site_of_request(struct lws *wsi, const ingest *in)
{
    char buf[160];
    const char *key = lws_get_urlarg_by_name(wsi, "site=", buf, sizeof buf);
    return key ? site_by_key(in, key) : -1;
}

static bool origin_allowed(const ingest_site *site, const char *origin)
{
    for (int i = 0; i < site->n_origins; i++)
        if (!strcmp(site->origins[i], "*") || !strcmp(site->origins[i], origin))
            return true;
    return false;
}

static bool trusted_proxy(const ingest *in, const char *ip)
{
    for (int i = 0; i < in->cfg.n_trusted_proxies; i++)
        if (!strcmp(in->trusted_proxies[i], ip))
            return true;
    return false;
}

/* The visitor's address: the peer, or the last X-Forwarded-For hop that a
 * trusted proxy added. */
static void visitor_ip(struct lws *wsi, const ingest *in, char *out, size_t cap)
{
    out[0] = '\0';
    lws_get_peer_simple(wsi, out, cap);
    char xff[256];
    if (!trusted_proxy(in, out) ||
        lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR) <= 0)
        return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    unsigned char addr[16];
    if (strlen(last) < cap &&
        (inet_pton(AF_INET, last, addr) == 1 || inet_pton(AF_INET6, last, addr) == 1))
        strcpy(out, last); /* else the proxy's own address: never text from outside */
}

static ip_count **ip_slot(ingest *in, const char *ip)
{
    uint8_t h = 0;
    for (const char *p = ip; *p; p++)
        h = (uint8_t)(h * 31 + (uint8_t)*p);
    ip_count **c = &in->ips[h];
    while (*c && strcmp((*c)->ip, ip))
        c = &(*c)->next;
    return c;
}

static int ip_connections(ingest *in, const char *ip)
{
    ip_count *c = *ip_slot(in, ip);
    return c ? c->n : 0;
}

static void ip_add(ingest *in, const char *ip, int delta)
{
    ip_count **slot = ip_slot(in, ip), *c = *slot;
    if (!c && delta > 0 && (c = calloc(1, sizeof *c))) {
        snprintf(c->ip, sizeof c->ip, "%s", ip);
        *slot = c;
    }
    if (!c)
        return;
    c->n += delta;
    if (c->n <= 0) {
        *slot = c->next;
        free(c);
    }
}

static int refuse(struct lws *wsi, ingest *in, enum ingest_reject why, unsigned status,
                  const char *text)
{
    count(&in->counters.rejects[why], 1);
    lws_return_http_status(wsi, status, text);
    return 1; /* the response is written: lws hangs up */
}

int conn_confirm_upgrade(struct lws *wsi, ingest *in)
{
    char origin[256] = "", ip[64];
    if (in->stopping)
        return refuse(wsi, in, REJECT_OVERLOAD, HTTP_STATUS_SERVICE_UNAVAILABLE,
                      "the server is shutting down");
    int site = site_of_request(wsi, in);
    if (site < 0)
        return refuse(wsi, in, REJECT_SITE, HTTP_STATUS_FORBIDDEN,
                      "unknown or missing site key (?site=KEY)");
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0 ||
        !origin_allowed(&in->cfg.sites[site], origin))
        return refuse(wsi, in, REJECT_ORIGIN, HTTP_STATUS_FORBIDDEN,
                      "this origin may not record for the site");
    visitor_ip(wsi, in, ip, sizeof ip);
    int limit = in->cfg.limits.connections_per_ip;
    if (limit && ip_connections(in, ip) >= limit)
        return refuse(wsi, in, REJECT_IP_LIMIT, 429, "too many connections from this address");
    return 0;
}

/* ---- sending -------------------------------------------------------------------- */

static void send_text(ingest_conn *c, const char *text, size_t len)
{
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return; /* out of memory: the client resends what was not acked */
    m->next = NULL;
    m->len = len;
    memcpy(m->bytes + LWS_PRE, text, len);
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    lws_callback_on_writable(c->wsi);
}

static void send_ack(ingest_conn *c, uint32_t seq)
{
    char msg[64];
    send_text(c, msg, protocol_ack(msg, sizeof msg, seq));
    count(&c->in->counters.acks, 1);
}

/* An error message, then the close: nothing more is read. */
static void fail(ingest_conn *c, enum ingest_reject why, int close_code, const char *code,
                 const char *message)
{
    if (c->state == CLOSING)
        return;
    char msg[512];
    send_text(c, msg, protocol_error(msg, sizeof msg, code, message));
    c->state = CLOSING;
    c->close_code = close_code;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", code);
    count(&c->in->counters.rejects[why], 1);
}

static int on_writeable(ingest_conn *c)
{
    out_msg *m = c->out_head;
    if (m) {
        c->out_head = m->next;
        if (!c->out_head)
            c->out_tail = NULL;
        int wrote = lws_write(c->wsi, m->bytes + LWS_PRE, m->len, LWS_WRITE_TEXT);
        free(m);
        if (wrote < 0)
            return -1;
        if (c->out_head) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
    }
    /* batches handed to the workers before the refusal get their acks first */
    bool acks_due = c->session && c->session->conn == c && c->session->pending > 0;
    if (c->state == CLOSING && !acks_due) {
        lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    return 0;
}

/* ---- hello ------------------------------------------------------------------------ */

static void attach(ingest_conn *c, ingest_session *s)
{
    if (s->conn && s->conn != c) { /* continued from another tab or connection */
        s->conn->session = NULL;
        fail(s->conn, REJECT_SESSION, CLOSE_POLICY, "session_moved",
             "the session is continued on another connection");
    }
    s->conn = c;
    c->session = s;
    s->last_active_ms = veil_now_ms();
}

static void on_hello(ingest_conn *c, const char *msg, size_t len)
{
    ingest *in = c->in;
    hello_msg h;
    const char *why;
    if (protocol_hello(msg, len, &h, &why))
        return fail(c, REJECT_MALFORMED, CLOSE_MALFORMED, "malformed", why);
    if (strcmp(h.site, c->site->key))
        return fail(c, REJECT_SITE, CLOSE_POLICY, "site", "hello names another site key");
    ingest_session *s = NULL;
    int rc = VEIL_OK;
    if (h.resume) {
        if (!sessions_token_ok(&in->sessions, c->site->name, h.session, h.token))
            return fail(c, REJECT_TOKEN, CLOSE_POLICY, "token",
                        "the resume token does not prove this session");
        s = sessions_find(&in->sessions, h.session);
        if (s && store_is_shared(in->cfg.st))
            rc = sessions_refresh(s);
        if (!s) {
            if (in->cfg.limits.max_sessions &&
                (int)in->sessions.count >= in->cfg.limits.max_sessions)
                return fail(c, REJECT_OVERLOAD, CLOSE_TRY_LATER, "overloaded",
                            "too many sessions; try again later");
            rc = sessions_reopen(&in->sessions, in->cfg.st, c->site, h.session, h.page, &s);
        }
        if (!rc)
            count(&in->counters.sessions_resumed, 1);
    } else {
        if (in->cfg.limits.max_sessions && (int)in->sessions.count >= in->cfg.limits.max_sessions)
            return fail(c, REJECT_OVERLOAD, CLOSE_TRY_LATER, "overloaded",
                        "too many sessions; try again later");
        rc = sessions_create(&in->sessions, in->cfg.st, c->site, h.page, &s);
        if (!rc)
            count(&in->counters.sessions_created, 1);
    }
    if (rc == VEIL_ESHREDDED)
        return fail(c, REJECT_SESSION, CLOSE_SESSION_LIMIT, "session_gone",
                    "the session was deleted; start a new one");
    if (rc)
        return fail(c, REJECT_STORAGE, CLOSE_TRY_LATER, "unavailable",
                    "storage is not available; keep the batches and retry later");
    attach(c, s);
    masker_hints hints;
    masker_site_hints(c->site->policy, h.page, &hints);
    char token[INGEST_TOKEN_CHARS + 1], msg_out[8192];
    sessions_token(&in->sessions, s, token);
    ready_msg r = {.session = s->id,
                   .token = token,
                   .last = s->acked,
                   .state = !s->state_lost,
                   .hints = &hints,
                   .max_message = in->cfg.limits.max_message_bytes,
                   .max_inflated = in->cfg.limits.max_inflated_bytes,
                   .batches_per_second = in->cfg.limits.batches_per_second};
    size_t n = protocol_ready(msg_out, sizeof msg_out, &r);
    if (!n)
        return fail(c, REJECT_STORAGE, CLOSE_TRY_LATER, "unavailable", "cannot write ready");
    s->state_lost = false; /* the client starts over with a full snapshot */
    c->state = OPEN;
    send_text(c, msg_out, n);
}

/* ---- batches ------------------------------------------------------------------------ */

static bool take_token(double *tokens, uint64_t *at_ms, int rate, uint64_t now)
{
    if (rate <= 0)
        return true;
    *tokens += (double)(now - *at_ms) * rate / 1000.0;
    if (*tokens > 2.0 * rate) /* bursts of up to two seconds' worth */
        *tokens = 2.0 * rate;
    *at_ms = now;
    if (*tokens < 1.0)
        return false;
    *tokens -= 1.0;
    return true;
}

/* The batch's last "timestamp" (rrweb writes it last in each event), so the
 * visitor event sorts with the recording; else the server's clock. */
static unsigned long long last_timestamp(const char *msg, size_t len)
{
    static const char KEY[] = "\"timestamp\":";
    for (size_t i = len; i >= sizeof KEY - 1; i--) {
        const char *at = msg + i - (sizeof KEY - 1);
        if (*at != '"' || memcmp(at, KEY, sizeof KEY - 1))
            continue;
        unsigned long long t = 0;
        const char *d = at + sizeof KEY - 1;
        for (int n = 0; n < 15 && d < msg + len && *d >= '0' && *d <= '9'; n++, d++)
            t = t * 10 + (unsigned long long)(*d - '0');
        return t ? t : (unsigned long long)veil_now_ms();
    }
    return (unsigned long long)veil_now_ms();
}

/* The visitor's address as an event of the session, at the end of its
 * first batch: it goes through the masker (IP octets, per the site policy)
 * like any other value. Returns the message with the event spliced in
 * before the events array's closing bracket, or NULL (then as it was). */
static char *with_visitor(const char *msg, size_t len, const char *ip, size_t *out_len)
{
    size_t close = len;
    while (close > 0 && strchr(" \t\r\n", msg[close - 1]))
        close--;
    if (close < 2 || msg[close - 1] != '}')
        return NULL;
    close--;
    while (close > 0 && strchr(" \t\r\n", msg[close - 1]))
        close--;
    if (close == 0 || msg[close - 1] != ']' || !ip[0])
        return NULL;
    close--; /* at the events array's ']' (the masker checks the rest) */
    size_t before = close;
    while (before > 0 && strchr(" \t\r\n", msg[before - 1]))
        before--;
    bool empty = before > 0 && msg[before - 1] == '[';
    char event[160];
    int n = snprintf(event, sizeof event,
                     "%s{\"type\":5,\"data\":{\"tag\":\"veil-visitor\",\"payload\":{\"ip\":"
                     "\"%s\"}},\"timestamp\":%llu}",
                     empty ? "" : ",", ip, last_timestamp(msg, close));
    if (n <= 0 || (size_t)n >= sizeof event)
        return NULL;
    char *out = malloc(len + (size_t)n + 1);
    if (!out)
        return NULL;
    memcpy(out, msg, close);
    memcpy(out + close, event, (size_t)n);
    memcpy(out + close + (size_t)n, msg + close, len - close);
    *out_len = len + (size_t)n;
    out[*out_len] = '\0';
    return out;
}

/* Hands the message (json, owned from here) to the workers as batch seq. */
static void queue_batch(ingest_conn *c, ingest_session *s, uint32_t seq, char *json, size_t len)
{
    batch_job *j = calloc(1, sizeof *j);
    if (!j) {
        sodium_memzero(json, len);
        free(json);
        return fail(c, REJECT_STORAGE, CLOSE_TRY_LATER, "unavailable", "out of memory");
    }
    if (seq == 1 && s->acked == 0) {
        size_t with_len;
        char *with = with_visitor(json, len, c->ip, &with_len);
        if (with) {
            sodium_memzero(json, len);
            free(json);
            json = with, len = with_len;
        }
    }
    j->seq = seq;
    j->json = json;
    j->len = len;
    j->received_us = (uint64_t)lws_now_usecs();
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    pthread_mutex_unlock(&s->lock);
    s->received = seq;
    s->pending++;
    c->queued_bytes += len;
    workers_submit(c->in->workers, s);
    if (c->in->cfg.limits.queue_bytes && c->queued_bytes > c->in->cfg.limits.queue_bytes &&
        !c->paused) {
        c->paused = true; /* TCP pushes back on the browser until the workers catch up */
        lws_rx_flow_control(c->wsi, 0);
    }
}

/* A whole batch message; json is the connection's buffer (taken when queued). */
static void on_batch(ingest_conn *c, veil_buf *msg)
{
    ingest *in = c->in;
    ingest_session *s = c->session;
    const ingest_limits *l = &in->cfg.limits;
    uint32_t seq;
    uint64_t now = veil_now_ms();
    if (!s)
        return fail(c, REJECT_SESSION, CLOSE_POLICY, "session_moved",
                    "the session is continued on another connection");
    if (protocol_is_hello(msg->data, msg->len))
        return fail(c, REJECT_MALFORMED, CLOSE_MALFORMED, "malformed", "hello was sent already");
    if (protocol_batch_seq(msg->data, msg->len, &seq))
        return fail(c, REJECT_MALFORMED, CLOSE_MALFORMED, "malformed",
                    "expected {\"t\":\"batch\",\"seq\":N,\"events\":[...]}");
    if (!take_token(&c->tokens, &c->tokens_ms, l->batches_per_second, now))
        return fail(c, REJECT_RATE, CLOSE_RATE, "rate", "too many batches per second");
    site_state *ss = &in->sites[c->site_index];
    if (!take_token(&ss->tokens, &ss->at_ms, l->site_batches_per_second, now))
        return fail(c, REJECT_OVERLOAD, CLOSE_TRY_LATER, "overloaded",
                    "the site sends too many batches; try again later");
    if ((l->max_session_bytes && s->stored_bytes >= l->max_session_bytes) ||
        (l->max_session_minutes && now - s->created_ms > (uint64_t)l->max_session_minutes * 60000))
        return fail(c, REJECT_SESSION, CLOSE_SESSION_LIMIT, "session_limit",
                    "the session is as long as it may be; start a new one");
    if (seq <= s->acked) { /* stored before: acked again, not stored twice */
        count(&in->counters.resent, 1);
        return send_ack(c, seq);
    }
    if (seq <= s->received) /* queued already: its ack is on the way */
        return (void)count(&in->counters.resent, 1);
    if (seq != s->received + 1) {
        char text[128];
        snprintf(text, sizeof text, "expected batch %u; resend from there", s->received + 1);
        return fail(c, REJECT_SEQUENCE, CLOSE_SEQUENCE, "sequence", text);
    }
    count(&in->counters.batches, 1);
    count(&in->counters.bytes_in, msg->len);
    s->last_active_ms = now;
    char *json = msg->data;
    size_t len = msg->len;
    *msg = (veil_buf){0}; /* the workers own the bytes now */
    queue_batch(c, s, seq, json, len);
}

/* A whole message: inflated when binary, then by state. */
static void on_message(ingest_conn *c)
{
    c->last_message_ms = veil_now_ms();
    veil_buf inflated = {0}, *msg = &c->rx;
    if (c->rx_binary) {
        int rc =
            inflate_gzip(c->rx.data, c->rx.len, c->in->cfg.limits.max_inflated_bytes, &inflated);
        veil_buf_reset(&c->rx); /* unmasked: wiped */
        if (rc == VEIL_ETOOBIG)
            fail(c, REJECT_TOO_BIG, CLOSE_TOO_BIG, "too_big",
                 "the batch inflates past the size allowed");
        else if (rc)
            fail(c, REJECT_MALFORMED, CLOSE_MALFORMED, "malformed",
                 "a binary message must be gzip");
        if (rc) {
            veil_buf_free(&inflated);
            return;
        }
        msg = &inflated;
    }
    if (c->state == AWAIT_HELLO)
        on_hello(c, msg->data, msg->len);
    else if (c->state == OPEN)
        on_batch(c, msg);
    veil_buf_free(&inflated); /* (empty when the workers took it) */
    veil_buf_reset(&c->rx);   /* unmasked: wiped */
}

static void on_receive(ingest_conn *c, const void *in_bytes, size_t len)
{
    if (c->state == CLOSING)
        return;
    if (lws_is_first_fragment(c->wsi) && !c->rx_counted) {
        c->rx_binary = lws_frame_is_binary(c->wsi);
        c->rx_counted = true;
    }
    size_t frame_rest = lws_remaining_packet_payload(c->wsi);
    if (c->rx.len + len + frame_rest > c->in->cfg.limits.max_message_bytes) {
        veil_buf_free(&c->rx);
        return fail(c, REJECT_TOO_BIG, CLOSE_TOO_BIG, "too_big", "the message is too big");
    }
    /* the frame's whole length is known from its header: one allocation
     * per message (browsers send one frame each), not a doubling series */
    if (veil_buf_reserve(&c->rx, len + frame_rest) || veil_buf_append(&c->rx, in_bytes, len))
        return fail(c, REJECT_STORAGE, CLOSE_TRY_LATER, "unavailable", "out of memory");
    if (lws_is_final_fragment(c->wsi) && !lws_remaining_packet_payload(c->wsi)) {
        c->rx_counted = false;
        on_message(c);
    }
}

/* ---- results from the workers ------------------------------------------------------- */

static void observe_latency(ingest *in, uint64_t us)
{
    static const uint64_t bound_us[LATENCY_BUCKETS] = {
        1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
    for (int i = 0; i < LATENCY_BUCKETS; i++)
        if (us <= bound_us[i])
            count(&in->counters.latency_le[i], 1);
    count(&in->counters.latency_sum_us, us);
    count(&in->counters.latency_count, 1);
}

/* What the masker found that the client should have masked. */
static void note_findings(ingest *in, ingest_session *s, const masker_findings *f)
{
    for (int k = 0; k < MASKER_FINDING_COUNT; k++)
        count(&in->counters.masks[k], f->count[k]);
    site_state *ss = &in->sites[s->site - in->cfg.sites];
    ss->alert_cards += f->count[MASKER_CARD_ELSEWHERE];
    ss->alert_secrets += f->count[MASKER_SECRET];
}

void conn_collect(ingest *in)
{
    for (batch_done *d = workers_collect(in->workers), *next; d; d = next) {
        next = d->next;
        ingest_session *s = d->session;
        ingest_conn *c = s->conn;
        s->pending--;
        if (!d->rc) {
            s->acked = d->seq > s->acked ? d->seq : s->acked;
            s->stored_bytes += d->stored_bytes;
            count(&in->counters.bytes_stored, d->stored_bytes);
            note_findings(in, s, &d->findings);
            observe_latency(in, (uint64_t)lws_now_usecs() - d->received_us);
        } else if (d->rc == VEIL_EJSON) {
            in->sites[s->site - in->cfg.sites].alert_malformed++;
        }
        if (c && c->session == s) {
            c->queued_bytes -= d->len < c->queued_bytes ? d->len : c->queued_bytes;
            if (!d->rc)
                send_ack(c, d->seq);
            else if (c->state == CLOSING)
                lws_callback_on_writable(c->wsi); /* the close may be due now */
            else if (d->rc == VEIL_EJSON)
                fail(c, REJECT_MALFORMED, CLOSE_MALFORMED, "malformed", d->why);
            else
                fail(c, REJECT_STORAGE, CLOSE_TRY_LATER, "unavailable",
                     "the batch could not be stored; resend it later");
            if (d->rc) /* the sequence goes back to what is stored */
                s->received = s->acked + (uint32_t)s->pending;
            if (c->paused && c->queued_bytes <= in->cfg.limits.queue_bytes / 2) {
                c->paused = false;
                lws_rx_flow_control(c->wsi, 1);
            }
            if (in->stopping && s->pending == 0) /* drained: its acks are out */
                fail(c, REJECT_OVERLOAD, CLOSE_GOING_AWAY, "going_away",
                     "the server is restarting; resume in a moment");
        }
        free(d);
    }
}

/* ---- sweeps: timeouts, shutdown, memory, alerts ---------------------------------------------- */

static void raise_alerts(ingest *in, uint64_t now)
{
    for (int i = 0; i < in->cfg.n_sites; i++) {
        site_state *ss = &in->sites[i];
        if (now - ss->alert_at_ms < 60000) /* at most one record a minute per site */
            continue;
        struct {
            const char *kind;
            uint64_t *n;
        } kinds[] = {{"card_elsewhere", &ss->alert_cards},
                     {"secret", &ss->alert_secrets},
                     {"malformed", &ss->alert_malformed}};
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            if (!*kinds[k].n || (k == 2 && *kinds[k].n < 3)) /* a few malformed: no alert */
                continue;
            store_alert a = {.count = *kinds[k].n, .at_ms = now};
            snprintf(a.site, sizeof a.site, "%s", in->cfg.sites[i].name);
            snprintf(a.kind, sizeof a.kind, "%s", kinds[k].kind);
            if (!store_alert_add(in->cfg.st, &a)) {
                count(&in->counters.alerts, 1);
                *kinds[k].n = 0;
                ss->alert_at_ms = now;
            }
        }
    }
}

void conn_sweep(ingest *in)
{
    uint64_t now = veil_now_ms();
    const ingest_limits *l = &in->cfg.limits;
    for (ingest_conn *c = in->conns; c; c = c->next) {
        if (c->state == AWAIT_HELLO && l->hello_timeout_s &&
            now - c->opened_ms > (uint64_t)l->hello_timeout_s * 1000)
            fail(c, REJECT_TIMEOUT, CLOSE_TIMEOUT, "timeout", "no hello in time");
        else if (c->state == OPEN && l->idle_timeout_s &&
                 now - c->last_message_ms > (uint64_t)l->idle_timeout_s * 1000 &&
                 !(c->session && c->session->pending))
            fail(c, REJECT_TIMEOUT, CLOSE_TIMEOUT, "idle", "no message for too long");
        else if (in->stopping && !(c->session && c->session->pending))
            fail(c, REJECT_OVERLOAD, CLOSE_GOING_AWAY, "going_away",
                 "the server is restarting; resume in a moment");
    }
    size_t held = sessions_sweep(&in->sessions, now, 30 * 60000, l->masker_memory_bytes);
    in->counters.masker_bytes = held;
    in->counters.sessions_held = in->sessions.count;
    in->counters.queue_depth = workers_queue_depth(in->workers);
    raise_alerts(in, now);
}

/* ---- the callbacks ------------------------------------------------------------------ */

static void conn_open(ingest_conn *c, struct lws *wsi)
{
    ingest *in = conn_server(wsi);
    memset(c, 0, sizeof *c);
    c->wsi = wsi;
    c->in = in;
    c->state = AWAIT_HELLO;
    c->site_index = site_of_request(wsi, in);
    c->site = c->site_index >= 0 ? &in->cfg.sites[c->site_index] : NULL;
    visitor_ip(wsi, in, c->ip, sizeof c->ip);
    c->opened_ms = c->last_message_ms = c->tokens_ms = veil_now_ms();
    c->tokens = 2.0 * in->cfg.limits.batches_per_second;
}

static void conn_closed(ingest_conn *c)
{
    ingest *in = c->in;
    if (!in)
        return;
    if (c->session && c->session->conn == c)
        c->session->conn = NULL;
    for (out_msg *m = c->out_head, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    veil_buf_free(&c->rx); /* wiped: unmasked */
    if (c->prev)
        c->prev->next = c->next;
    else if (in->conns == c)
        in->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ip_add(in, c->ip, -1);
    count(&in->counters.connections, (uint64_t)-1);
    c->in = NULL;
}

static int on_ingest(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in_bytes,
                     size_t len)
{
    ingest_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: { /* after confirm_upgrade: the site is known */
        ingest *in = conn_server(wsi);
        conn_open(c, wsi);
        if (!c->site || in->stopping)
            return 1;
        c->next = in->conns;
        if (in->conns)
            in->conns->prev = c;
        in->conns = c;
        ip_add(in, c->ip, 1);
        count(&in->counters.connections, 1);
        count(&in->counters.connections_total, 1);
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        on_receive(c, in_bytes, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        conn_closed(c);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        ingest *in = conn_server(wsi);
        if (in)
            conn_collect(in);
        return 0;
    }
    default:
        return 0;
    }
}

/* lws reads a connection in chunks of this size, into a buffer each
 * connection holds for its life: 16 KB keeps 10,000 idle sessions small
 * while a 64 KB batch still takes only four callbacks. */
#define INGEST_RX_CHUNK 16384

const struct lws_protocols INGEST_PROTOCOLS[] = {
    {"http", pages_on_http, 0, 0, 0, NULL, 0},
    {INGEST_SUBPROTOCOL, on_ingest, sizeof(ingest_conn), INGEST_RX_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
