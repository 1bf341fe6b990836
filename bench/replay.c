/*
 * bench/replay.c - time to first frame of a large stored session, over the
 * console's HTTPS API as a browser asks for it, against a baseline in the
 * same run: the same client asking the same server for /healthz (TLS, HTTP
 * and the client's own start, nothing read from the store).
 *
 * usage: replay VEIL FIXTURE.json   (rust-book: its events repeated to 50+ MB)
 *
 * The session is imported with `veil import`, a standard user made with
 * `veil user`, then `veil serve` runs and curl (the client: it is in
 * install-deps) logs in and streams /api/sessions/ID/events. "First frame"
 * is the moment the first chunk holding a full snapshot (rrweb type 2) has
 * arrived whole: from there the player can draw. Median of 5 rounds each.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/common.h"
#include "bench.h"

#define TARGET_BYTES ((size_t)50 << 20)
#define ROUNDS       5

static char dir[64], conf[128], jar[128];
static int port;

static void run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    out[n] = '\0';
    if (!p || pclose(p) != 0) {
        fprintf(stderr, "replay bench: '%s' failed: %s\n", cmd, out);
        exit(1);
    }
}

/* The fixture's events, repeated into one array of TARGET_BYTES or more. */
static void make_recording(const char *fixture, const char *path)
{
    json_t *events = json_load_file(fixture, 0, NULL);
    char *text = json_dumps(events, JSON_COMPACT);
    size_t len = strlen(text);
    FILE *f = fopen(path, "w");
    fputc('[', f);
    size_t written = 0;
    for (int copy = 0; written < TARGET_BYTES; copy++) {
        if (copy)
            fputc(',', f);
        fwrite(text + 1, 1, len - 2, f); /* the elements, without the brackets */
        written += len;
    }
    fputs("]\n", f);
    fclose(f);
    free(text);
    json_decref(events);
}

/* One curl call's wall time; the body is read as the stream arrives, and
 * *first gets the time its first whole chunk with a full snapshot came. */
static double stream(const char *path, double *first, size_t *bytes)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "curl -sk -N -b %s https://127.0.0.1:%d%s", jar, port, path);
    double start = bench_now();
    FILE *p = popen(cmd, "r");
    *first = 0;
    *bytes = 0;
    char head[32];
    while (fgets(head, sizeof head, p)) {
        size_t n = strtoull(head, NULL, 10), got = 0;
        char *chunk = malloc(n + 1);
        while (got < n) {
            size_t r = fread(chunk + got, 1, n - got, p);
            if (!r)
                break;
            got += r;
        }
        chunk[got] = '\0';
        if (!*first && strstr(chunk, "\"type\":2"))
            *first = bench_now() - start;
        *bytes += got;
        free(chunk);
        fgetc(p); /* the newline after the chunk */
    }
    pclose(p);
    return bench_now() - start;
}

static double healthz(void)
{
    char cmd[256], out[256];
    snprintf(cmd, sizeof cmd, "curl -sk https://127.0.0.1:%d/healthz", port);
    double start = bench_now();
    run(cmd, out, sizeof out);
    return bench_now() - start;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: replay VEIL FIXTURE.json\n");
        return 2;
    }
    const char *veil = argv[1];
    snprintf(dir, sizeof dir, "/tmp/veil-bench-replay-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    port = 30000 + (int)(getpid() % 20000);
    snprintf(conf, sizeof conf, "%s/veil.conf", dir);
    snprintf(jar, sizeof jar, "%s/cookies", dir);
    FILE *f = fopen(conf, "w");
    fprintf(f,
            "[server]\ningest_port = %d\nconsole_port = %d\nstate_dir = %s/state\n"
            "[site bench]\nkey = bench-key\norigin = https://bench.test\n",
            port + 1, port, dir);
    fclose(f);
    char recording[128], cmd[1024], out[4096];
    snprintf(recording, sizeof recording, "%s/recording.json", dir);
    make_recording(argv[2], recording);

    double t = bench_now();
    snprintf(cmd, sizeof cmd, "%s import --config %s --site bench %s", veil, conf, recording);
    run(cmd, out, sizeof out);
    double import_s = bench_now() - t;
    char session[65] = "";
    sscanf(out, "%64s", session);
    snprintf(cmd, sizeof cmd, "%s user --config %s add reader standard bench", veil, conf);
    run(cmd, out, sizeof out);
    char *pw = strstr(out, "one-time password ");
    char password[64] = "";
    if (pw)
        sscanf(pw + 18, "%63s", password);

    pid_t server = fork();
    if (server == 0) {
        freopen("/dev/null", "w", stdout);
        execl(veil, veil, "serve", "--config", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) { /* until the console answers */
        snprintf(cmd, sizeof cmd, "curl -sk -o /dev/null https://127.0.0.1:%d/healthz", port);
        if (system(cmd) == 0)
            break;
        usleep(100000);
    }
    snprintf(cmd, sizeof cmd,
             "curl -sk -c %s -H 'content-type: application/json' -d "
             "'{\"user\":\"reader\",\"password\":\"%s\"}' https://127.0.0.1:%d/api/login",
             jar, password, port);
    run(cmd, out, sizeof out);
    json_t *login = json_loads(out, 0, NULL);
    const char *csrf = json_string_value(json_object_get(login, "csrf"));
    snprintf(cmd, sizeof cmd,
             "curl -sk -b %s -H 'content-type: application/json' -H 'x-csrf-token: %s' -d "
             "'{\"old\":\"%s\",\"new\":\"a reader passphrase\"}' "
             "https://127.0.0.1:%d/api/password",
             jar, csrf ? csrf : "", password, port);
    run(cmd, out, sizeof out);
    json_decref(login);

    char path[128];
    snprintf(path, sizeof path, "/api/sessions/%s/events", session);
    double first[ROUNDS], total[ROUNDS], base[ROUNDS];
    size_t bytes = 0;
    for (int r = 0; r < ROUNDS; r++) {
        base[r] = healthz();
        total[r] = stream(path, &first[r], &bytes);
    }
    double first_ms = 1000 * bench_median(first, ROUNDS),
           base_ms = 1000 * bench_median(base, ROUNDS), total_s = bench_median(total, ROUNDS);
    printf("replay: a session of %.1f MB (imported in %.1f s), streamed to a standard user over "
           "HTTPS by curl, medians of %d rounds\n",
           (double)bytes / 1e6, import_s, ROUNDS);
    printf(
        "  first frame (first chunk with a full snapshot, whole): %7.1f ms   (target < 300 ms)\n",
        first_ms);
    printf("  baseline: GET /healthz, same client and server:        %7.1f ms\n", base_ms);
    printf("  first frame / baseline: %.2f; whole session %.2f s (%.0f MB/s)\n", first_ms / base_ms,
           total_s, (double)bytes / 1e6 / total_s);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
