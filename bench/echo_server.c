/*
 * bench/echo_server.c - the transport ceiling for bench/ingest: a bare lws
 * TLS WebSocket server with Veil's TLS policy and the veil.v1 subprotocol
 * that does nothing with a message but answer it as soon as it is whole
 * (`ready` to a hello, `ack` with the batch's seq), on the service thread.
 * The same client load against it and against `veil serve` gives the share
 * of the ceiling the full pipeline keeps.
 *
 * usage: echo_server PORT CERT KEY   (prints "listening" when ready; SIGTERM stops it)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "../common/tls.h"

typedef struct {
    veil_buf rx;
    bool hello_done;
    char reply[LWS_PRE + 128];
    size_t reply_len;
} echo_conn;

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void answer(echo_conn *c)
{
    const char *body;
    char text[128];
    if (!c->hello_done) {
        body = "{\"t\":\"ready\",\"session\":\"00000000000000000000000000000000\",\"token\":\"x\","
               "\"last\":0,\"state\":true}";
        c->hello_done = true;
    } else {
        const char *seq = strstr(c->rx.data, "\"seq\":");
        snprintf(text, sizeof text, "{\"t\":\"ack\",\"seq\":%lu}",
                 seq ? strtoul(seq + 6, NULL, 10) : 0ul);
        body = text;
    }
    c->reply_len = strlen(body);
    memcpy(c->reply + LWS_PRE, body, c->reply_len);
}

static int on_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
    echo_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (veil_buf_append(&c->rx, in, len))
            return -1;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            answer(c);
            veil_buf_reuse(&c->rx);
            lws_callback_on_writable(wsi);
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (c->reply_len &&
            lws_write(wsi, (unsigned char *)c->reply + LWS_PRE, c->reply_len, LWS_WRITE_TEXT) < 0)
            return -1;
        c->reply_len = 0;
        return 0;
    case LWS_CALLBACK_CLOSED:
        veil_buf_free(&c->rx);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
    {"veil.v1", on_ws, sizeof(echo_conn), 16384, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: echo_server PORT CERT KEY\n");
        return 2;
    }
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_VALIDATE_UTF8;
    struct lws_context *ctx = lws_create_context(&info);
    veil_listener l = {.name = "echo",
                       .iface = "127.0.0.1",
                       .port = atoi(argv[1]),
                       .protocols = PROTOCOLS,
                       .cert = argv[2],
                       .key = argv[3]};
    if (!ctx || !veil_listen(ctx, &l)) {
        fprintf(stderr, "echo_server: cannot listen on %s\n", argv[1]);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("listening\n");
    fflush(stdout);
    while (!stopping && lws_service(ctx, 0) >= 0)
        ;
    lws_context_destroy(ctx);
    return 0;
}
