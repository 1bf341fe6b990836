/*
 * bench/ingest.c - `veil serve`'s ingest under load, against the transport
 * ceiling in the same run: bench/echo_server, a bare lws TLS server that
 * answers each message as soon as it is whole. The client is C on lws (one
 * service thread, like the servers), so it is not the bottleneck a Node
 * client would be.
 *
 * usage: ingest VEIL ECHO_SERVER HUGE.json TYPICAL.json
 *
 * Loads, each against both servers:
 *   throughput  BENCH_SESSIONS (8) sessions send TYPICAL.json 20 times over
 *               as 64 KB batches, 16 unacked at most each (the snippet has no window: it sends as
 * it records): MB/s and events/s acked, ack latency p50/p99, server peak RSS; median of 3 rounds,
 * alternating the servers; prints veil's share of the ceiling. Then the same with HUGE.json once (a
 * page whose full snapshot is one 9 MB event). paced       BENCH_PACED (1000) sessions, each a 4 KB
 * batch of TYPICAL.json every second for 15 s, once all are connected: ack latency p50/p99 from the
 * fourth second (the first rounds are every session's full snapshot at once). idle BENCH_IDLE
 * (10000) sessions that said hello and wait: the server's RSS. BENCH_LOADS (e.g. "typical,idle")
 * picks some: typical, huge, paced, idle.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "../common/tls.h"
#include "bench.h"

#define WINDOW 16
#define ORIGIN "https://bench.test"

/* ---- the recording, as batch messages ------------------------------------------ */

typedef struct {
    char **msg; /* each with LWS_PRE bytes before it */
    size_t *len;
    int *events;
    int n;
    size_t max_len, bytes;
} batches;

static void add_batch(batches *b, veil_buf *events, int n_events)
{
    char head[64];
    int h = snprintf(head, sizeof head, "{\"t\":\"batch\",\"seq\":%d,\"events\":[", b->n + 1);
    size_t len = (size_t)h + events->len + 2;
    b->msg = realloc(b->msg, (size_t)(b->n + 1) * sizeof *b->msg);
    b->len = realloc(b->len, (size_t)(b->n + 1) * sizeof *b->len);
    b->events = realloc(b->events, (size_t)(b->n + 1) * sizeof *b->events);
    char *m = malloc(LWS_PRE + len);
    memcpy(m + LWS_PRE, head, (size_t)h);
    memcpy(m + LWS_PRE + h, events->data, events->len);
    memcpy(m + LWS_PRE + h + events->len, "]}", 2);
    b->msg[b->n] = m;
    b->len[b->n] = len;
    b->events[b->n] = n_events;
    b->n++;
    b->bytes += len;
    b->max_len = len > b->max_len ? len : b->max_len;
    veil_buf_reuse(events);
}

/* The recording at `path` cut into batches of about `target` bytes. */
static batches load_batches(const char *path, size_t target)
{
    json_error_t e;
    json_t *all = json_load_file(path, 0, &e);
    if (!json_is_array(all)) {
        fprintf(stderr, "ingest bench: %s: %s\n", path, e.text);
        exit(1);
    }
    batches b = {0};
    veil_buf events = {0};
    int n = 0;
    for (size_t i = 0; i < json_array_size(all); i++) {
        char *text = json_dumps(json_array_get(all, i), JSON_COMPACT);
        if (events.len && veil_buf_append(&events, ",", 1))
            exit(1);
        if (veil_buf_append_str(&events, text))
            exit(1);
        free(text);
        if (++n && events.len >= target) {
            add_batch(&b, &events, n);
            n = 0;
        }
    }
    if (events.len)
        add_batch(&b, &events, n);
    veil_buf_free(&events);
    json_decref(all);
    return b;
}

/* ---- the client ------------------------------------------------------------------- */

enum { CONNECTING, HELLO_SENT, READY, DONE, FAILED };

typedef struct {
    struct lws *wsi;
    int state;
    bool hello_sent;
    int next;  /* batches sent */
    int acked; /* batches acked */
    double sent_at[4096];
    double due; /* paced: when the next batch may go */
    char *out;  /* LWS_PRE + the longest message: lws masks client frames in place */
    veil_buf rx;
} session;

typedef struct {
    const batches *b;
    int port;
    int n_sessions;
    int per_session; /* batches each session sends (cycling through b) */
    double interval; /* paced: seconds between a session's batches; 0: as fast as acked */
    session *s;
    int started, connected, finished, failed_early;
    bool pacing;
    double measure_from; /* paced: latencies of batches sent after this only */
    double *latency;
    size_t n_latency, cap_latency;
    size_t bytes_acked, events_acked;
    lws_sorted_usec_list_t tick;
    struct lws_context *ctx;
} load;

static void note_latency(load *l, double seconds)
{
    if (l->n_latency == l->cap_latency) {
        l->cap_latency = l->cap_latency ? 2 * l->cap_latency : 4096;
        l->latency = realloc(l->latency, l->cap_latency * sizeof *l->latency);
    }
    l->latency[l->n_latency++] = seconds;
}

static void finish(load *l, session *s, int state)
{
    if (s->state == DONE || s->state == FAILED)
        return;
    if (s->state < READY)
        l->failed_early++;
    s->state = state;
    l->finished++;
}

static void on_reply(load *l, session *s)
{
    const char *t = s->rx.data;
    if (strstr(t, "\"t\":\"ready\"")) {
        s->state = READY;
        l->connected++;
        s->due = 1e300; /* paced: set once every session is up (on_tick) */
        if (l->per_session)
            lws_callback_on_writable(s->wsi);
        else
            finish(l, s, DONE); /* idle: a session that waits */
    } else if (strstr(t, "\"t\":\"ack\"")) {
        int seq = atoi(strstr(t, "\"seq\":") + 6);
        int i = (seq - 1) % l->b->n;
        double sent = s->sent_at[(seq - 1) % 4096];
        if (sent >= l->measure_from)
            note_latency(l, bench_now() - sent);
        l->bytes_acked += l->b->len[i];
        l->events_acked += (size_t)l->b->events[i];
        if (++s->acked == l->per_session)
            finish(l, s, DONE);
        else
            lws_callback_on_writable(s->wsi);
    } else {
        fprintf(stderr, "ingest bench: server said %.200s\n", t);
        finish(l, s, FAILED);
    }
}

static int send_next(load *l, session *s)
{
    if (s->state != READY || s->next == l->per_session || s->next - s->acked >= WINDOW)
        return 0;
    if (l->interval > 0 && bench_now() < s->due)
        return 0;
    int i = s->next % l->b->n;
    size_t len = l->b->len[i];
    char head[64];
    int h = snprintf(head, sizeof head, "{\"t\":\"batch\",\"seq\":%d,", s->next + 1);
    /* the prepared message with this session's seq in its opening */
    const char *body = strstr(l->b->msg[i] + LWS_PRE, ",\"events\":") + 1;
    size_t body_len = len - (size_t)(body - (l->b->msg[i] + LWS_PRE));
    memcpy(s->out + LWS_PRE, head, (size_t)h);
    memcpy(s->out + LWS_PRE + h, body, body_len);
    s->sent_at[s->next % 4096] = bench_now();
    s->next++;
    s->due += l->interval;
    if (lws_write(s->wsi, (unsigned char *)s->out + LWS_PRE, (size_t)h + body_len, LWS_WRITE_TEXT) <
        0)
        return -1;
    if (l->interval == 0)
        lws_callback_on_writable(s->wsi);
    return 0;
}

static int on_client(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    session *s = user;
    load *l = s ? lws_context_user(lws_get_context(wsi)) : NULL;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        s->state = HELLO_SENT;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!s->hello_sent) {
            static const char HELLO[] = "{\"t\":\"hello\",\"site\":\"bench-key\",\"page\":"
                                        "\"https://bench.test/\",\"snippet\":\"bench\"}";
            memcpy(s->out + LWS_PRE, HELLO, sizeof HELLO - 1);
            s->hello_sent = true;
            return lws_write(wsi, (unsigned char *)s->out + LWS_PRE, sizeof HELLO - 1,
                             LWS_WRITE_TEXT) < 0
                       ? -1
                       : 0;
        }
        return send_next(l, s);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (veil_buf_append(&s->rx, in, len))
            return -1;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            on_reply(l, s);
            veil_buf_reuse(&s->rx);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "ingest bench: connection failed: %s\n", in ? (char *)in : "?");
        /* fall through */
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (s) {
            s->wsi = NULL;
            finish(l, s,
                   s->state == DONE || (l->per_session && s->acked == l->per_session) ? DONE
                                                                                      : FAILED);
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols CLIENT_PROTOCOLS[] = {
    {"veil.v1", on_client, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void connect_one(load *l, session *s)
{
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = l->ctx;
    i.address = "127.0.0.1";
    i.port = l->port;
    i.path = "/?site=bench-key";
    i.host = "127.0.0.1";
    i.origin = ORIGIN;
    i.protocol = "veil.v1";
    i.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
                       LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE;
    i.userdata = s;
    i.pwsi = &s->wsi;
    if (!lws_client_connect_via_info(&i))
        finish(l, s, FAILED);
}

/* Every 10 ms: start connections (at most 200 in the handshake at once),
 * and wake paced sessions whose batch is due. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
    load *l = lws_container_of(sul, load, tick);
    int handshaking = l->started - l->connected - l->failed_early;
    for (int k = 0; k < 100 && l->started < l->n_sessions && handshaking < 200; k++, handshaking++)
        connect_one(l, &l->s[l->started++]);
    double now = bench_now();
    if (l->interval > 0 && !l->pacing && l->connected + l->failed_early == l->n_sessions) {
        l->pacing = true; /* every session up; spread over the interval */
        for (int i = 0; i < l->n_sessions; i++)
            l->s[i].due = now + l->interval * (double)i / l->n_sessions;
        /* the first round is every session's full snapshot at once: a start
         * no real site has (its visitors arrive over time); measured after */
        l->measure_from = now + 3 * l->interval;
    }
    if (l->interval > 0)
        for (int i = 0; i < l->started; i++)
            if (l->s[i].state == READY && l->s[i].due <= now && l->s[i].wsi)
                lws_callback_on_writable(l->s[i].wsi);
    lws_sul_schedule(l->ctx, 0, &l->tick, on_tick, 10 * LWS_US_PER_MS);
}

typedef struct {
    double seconds, mb_per_s, events_per_s, p50_ms, p99_ms;
    int failed;
} load_result;

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, by_double);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

/* Runs one load to its end (or `limit_s`); idle loads keep their sessions
 * open for `hold` so the caller can measure, calling it once they are up. */
static load_result run_load(const batches *b, int port, int n_sessions, int per_session,
                            double interval, double limit_s, void (*hold)(void *), void *arg)
{
    load l = {.b = b,
              .port = port,
              .n_sessions = n_sessions,
              .per_session = per_session,
              .interval = interval};
    l.s = calloc((size_t)n_sessions, sizeof *l.s);
    for (int i = 0; i < n_sessions; i++)
        l.s[i].out = malloc(LWS_PRE + b->max_len + 64);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = CLIENT_PROTOCOLS;
    /* RAW_ORIGIN: else lws sends "Origin: http://" + the origin given */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
    info.user = &l;
    info.timeout_secs = 60;
    l.ctx = lws_create_context(&info);
    lws_sul_schedule(l.ctx, 0, &l.tick, on_tick, 1);
    double start = bench_now();
    while (l.finished < n_sessions && bench_now() - start < limit_s)
        if (lws_service(l.ctx, 0) < 0)
            break;
    double seconds = bench_now() - start;
    if (hold)
        hold(arg);
    load_result r = {.seconds = seconds,
                     .mb_per_s = (double)l.bytes_acked / seconds / 1e6,
                     .events_per_s = (double)l.events_acked / seconds,
                     .p50_ms = 1000 * percentile(l.latency, l.n_latency, 0.50),
                     .p99_ms = 1000 * percentile(l.latency, l.n_latency, 0.99)};
    for (int i = 0; i < n_sessions; i++) {
        r.failed += l.s[i].state == FAILED || (per_session && l.s[i].acked < per_session);
        free(l.s[i].out);
        veil_buf_free(&l.s[i].rx);
    }
    lws_context_destroy(l.ctx);
    free(l.s);
    free(l.latency);
    return r;
}

/* ---- the servers --------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int port;
    const char *name;
} server;

static int free_port(void)
{
    static int next = 0;
    if (!next)
        next = 30000 + (int)(getpid() % 20000);
    return next++;
}

/* Starts argv, waiting for `ready_line` on its stdout. */
static server start_server(const char *name, char *const argv[], const char *ready_line, int port)
{
    int fds[2];
    if (pipe(fds))
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    char line[512];
    while (fgets(line, sizeof line, out))
        if (strstr(line, ready_line))
            break;
    if (feof(out)) {
        fprintf(stderr, "ingest bench: %s did not start\n", name);
        exit(1);
    }
    /* stdout stays open (unread) so the server never gets SIGPIPE on a print */
    return (server){.pid = pid, .port = port, .name = name};
}

static void stop_server(server *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

/* VmRSS or VmHWM of a process, in MB. */
static double rss_mb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field)))
            kb = atof(line + strlen(field) + 1);
    if (f)
        fclose(f);
    return kb / 1024;
}

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? atoi(v) : fallback;
}

typedef struct {
    char dir[256], cert[1024], key[1024], conf[512];
} workspace;

static void make_workspace(workspace *w)
{
    snprintf(w->dir, sizeof w->dir, "/tmp/veil-bench-ingest-XXXXXX");
    if (!mkdtemp(w->dir))
        exit(1);
    veil_error err = {0};
    w->cert[0] = w->key[0] = '\0';
    if (veil_tls_ensure(w->dir, w->cert, w->key, sizeof w->cert, &err)) {
        fprintf(stderr, "ingest bench: %s\n", err.what);
        exit(1);
    }
}

static server start_veil(const char *veil, workspace *w, const char *state)
{
    int port = free_port(), console = free_port();
    snprintf(w->conf, sizeof w->conf, "%s/%s.conf", w->dir, state);
    FILE *f = fopen(w->conf, "w");
    fprintf(f,
            "[server]\ningest_port = %d\nconsole_port = %d\nstate_dir = %s/%s\n"
            "tls_cert = %s\ntls_key = %s\n"
            "[ingest]\nbatches_per_second = 0\nsite_batches_per_second = 0\n"
            "connections_per_ip = 0\nmax_sessions = 100000\nidle_timeout = 600\n"
            "hello_timeout = 60\nmax_session_bytes = 0\nmax_message_bytes = 33554432\n"
            "max_inflated_bytes = 33554432\n"
            "workers = %d\n"
            "[site bench]\nkey = bench-key\norigin = " ORIGIN "\n",
            port, console, w->dir, state, w->cert, w->key, env_int("BENCH_WORKERS", 0));
    fclose(f);
    char *argv[] = {(char *)veil, "serve", "--config", w->conf, NULL};
    return start_server("veil", argv, "console https", port);
}

static server start_echo(const char *echo, workspace *w)
{
    int port = free_port();
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    char *argv[] = {(char *)echo, port_text, w->cert, w->key, NULL};
    return start_server("echo", argv, "listening", port);
}

/* ---- the three loads ------------------------------------------------------------------- */

static void print_result(const char *what, const char *name, load_result r, double peak_mb)
{
    printf("  %-10s %-5s %7.1f MB/s %9.0f events/s  ack p50 %7.2f ms  p99 %7.2f ms  "
           "server peak RSS %6.0f MB%s\n",
           what, name, r.mb_per_s, r.events_per_s, r.p50_ms, r.p99_ms, peak_mb,
           r.failed ? "  (SESSIONS FAILED)" : "");
}

/* n sessions each send per_session batches of b (cycling), WINDOW unacked at
 * most; rounds alternate the servers; medians of 3. */
static void throughput(const char *label, const char *veil, const char *echo, workspace *w,
                       const batches *b, int per_session)
{
    int n = env_int("BENCH_SESSIONS", 8);
    double per_session_mb = 0;
    for (int i = 0; i < per_session; i++)
        per_session_mb += (double)b->len[i % b->n] / 1e6;
    printf("throughput (%s): %d sessions, each %.1f MB in %d batches, %d unacked at most\n", label,
           n, per_session_mb, per_session, WINDOW);
    double mb[2][3], ev[2][3], p50[2][3], p99[2][3];
    load_result last[2];
    double peak[2] = {0};
    server servers[2] = {start_echo(echo, w), start_veil(veil, w, label)};
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 2; k++) {
            int which = round % 2 ? 1 - k : k; /* alternate which goes first */
            load_result r = run_load(b, servers[which].port, n, per_session, 0, 600, NULL, NULL);
            mb[which][round] = r.mb_per_s;
            ev[which][round] = r.events_per_s;
            p50[which][round] = r.p50_ms;
            p99[which][round] = r.p99_ms;
            last[which] = r;
            double hwm = rss_mb(servers[which].pid, "VmHWM:");
            peak[which] = hwm > peak[which] ? hwm : peak[which];
        }
    for (int k = 0; k < 2; k++) {
        last[k].mb_per_s = bench_median(mb[k], 3);
        last[k].events_per_s = bench_median(ev[k], 3);
        last[k].p50_ms = bench_median(p50[k], 3);
        last[k].p99_ms = bench_median(p99[k], 3);
        print_result("throughput", servers[k].name, last[k], peak[k]);
        stop_server(&servers[k]);
    }
    printf("  full pipeline / bare lws ceiling: %.2f (MB/s, medians of 3 rounds)\n",
           last[1].mb_per_s / last[0].mb_per_s);
}

static void paced(const char *veil, const char *echo, workspace *w, const batches *b)
{
    int n = env_int("BENCH_PACED", 1000), seconds = 15;
    printf("paced: %d sessions, a %.1f KB batch each every second, %d s (latency from the 4th)\n",
           n, (double)b->bytes / b->n / 1e3, seconds);
    server servers[2] = {start_echo(echo, w), start_veil(veil, w, "paced")};
    for (int k = 0; k < 2; k++) {
        load_result r = run_load(b, servers[k].port, n, seconds, 1.0, seconds + 60, NULL, NULL);
        print_result("paced", servers[k].name, r, rss_mb(servers[k].pid, "VmHWM:"));
        stop_server(&servers[k]);
    }
}

static void measure_rss(void *arg)
{
    server *s = arg;
    sleep(3); /* let the server settle (sweeps, allocator) */
    printf("  idle       %-5s server RSS %6.0f MB\n", s->name, rss_mb(s->pid, "VmRSS:"));
}

static void idle(const char *veil, const char *echo, workspace *w, const batches *b)
{
    int n = env_int("BENCH_IDLE", 10000);
    printf("idle: %d sessions that said hello and wait\n", n);
    server servers[2] = {start_echo(echo, w), start_veil(veil, w, "idle")};
    for (int k = 0; k < 2; k++) {
        load_result r = run_load(b, servers[k].port, n, 0, 0, 300, measure_rss, &servers[k]);
        if (r.failed)
            printf("  idle       %-5s %d of %d sessions failed to start\n", servers[k].name,
                   r.failed, n);
        stop_server(&servers[k]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: ingest VEIL ECHO_SERVER HUGE.json TYPICAL.json\n");
        return 2;
    }
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max; /* the servers inherit it */
    if (setrlimit(RLIMIT_NOFILE, &files) || files.rlim_cur < 10100)
        fprintf(stderr,
                "ingest bench: %lu open files at most: the idle load needs one per "
                "session and a few more\n",
                (unsigned long)files.rlim_cur);
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    workspace w;
    make_workspace(&w);
    batches big = load_batches(argv[3], 64 << 10), typical = load_batches(argv[4], 64 << 10),
            small = load_batches(argv[4], 4 << 10);
    const char *loads = getenv("BENCH_LOADS"); /* a subset, e.g. "typical,idle" */
#define WANTED(name) (!loads || strstr(loads, name))
    if (WANTED("typical"))
        throughput("typical", argv[1], argv[2], &w, &typical, 20 * typical.n);
    if (WANTED("huge"))
        throughput("huge-snapshot", argv[1], argv[2], &w, &big, big.n);
    if (WANTED("paced"))
        paced(argv[1], argv[2], &w, &small);
    if (WANTED("idle"))
        idle(argv[1], argv[2], &w, &small);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", w.dir);
    return system(cmd) == 0 ? 0 : 1;
}
