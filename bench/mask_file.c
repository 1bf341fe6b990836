/*
 * bench/mask_file.c - `veil mask` on a large recording, as a whole process
 * (reading stdin, splitting, masking, writing stdout), against its baseline
 * in the same run: the masker alone, in this process, on the same events in
 * the same batches, already in memory.
 *
 * usage: mask_file VEIL FIXTURE.json... The fixtures' events and 20,000
 * small incremental events are repeated into one JSON array of at least
 * 96 MB, written to a temporary file. Rounds alternate the two; medians are
 * compared. Also prints the process's peak memory next to the input's size:
 * `veil mask` reads in constant memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "../masker/masker.h"
#include "bench.h"

#define TARGET_BYTES ((size_t)96 << 20)
#define ROUNDS       5
/* What veil/mask_cmd.c puts in one batch. */
#define BATCH_EVENTS 512
#define BATCH_BYTES  ((size_t)1 << 20)

/* The elements of the JSON array in file `path`, appended to out with a
 * ",\n" after each. */
static void add_events(veil_buf *out, const char *path)
{
    veil_buf in = {0};
    if (veil_read_file(path, &in, 0, NULL)) {
        fprintf(stderr, "mask_file: cannot read %s\n", path);
        exit(1);
    }
    masker_splitter sp;
    masker_splitter_init(&sp, strspn(in.data, " \t\r\n") + 1);
    size_t start, end;
    while (masker_split_next(&sp, in.data, in.len, &start, &end) == MASKER_SPLIT_ELEMENT)
        if (veil_buf_append(out, in.data + start, end - start) || veil_buf_append(out, ",\n", 2))
            exit(1);
    veil_buf_free(&in);
}

static void add_small_events(veil_buf *out)
{
    char event[256];
    for (int e = 0; e < 20000; e++) {
        int n = e % 2 ? snprintf(event, sizeof event,
                                 "{\"type\":3,\"data\":{\"source\":1,\"positions\":[{\"x\":%d,"
                                 "\"y\":%d,\"id\":3,\"timeOffset\":-12}]},\"timestamp\":%d},\n",
                                 e % 1280, e % 720, 1000 + e)
                      : snprintf(event, sizeof event,
                                 "{\"type\":3,\"data\":{\"source\":5,\"text\":\"order %d\","
                                 "\"isChecked\":false,\"id\":2},\"timestamp\":%d},\n",
                                 e, 1000 + e);
        if (veil_buf_append(out, event, (size_t)n))
            exit(1);
    }
}

/* The in-process baseline: the same batches veil mask cuts, masked in memory. */
static double mask_batches(const veil_buf *doc)
{
    char *work = malloc(doc->len + 2);
    memcpy(work, doc->data, doc->len + 1);
    masker_session *s = masker_session_new(masker_site_new(), NULL);
    double spent = 0;
    masker_splitter sp;
    masker_splitter_init(&sp, 1);
    size_t at = 1, first = 0, batch = 0, start, end;
    for (;;) {
        enum masker_split got = masker_split_next(&sp, work, doc->len, &start, &end);
        if (got == MASKER_SPLIT_ELEMENT) {
            first = batch++ ? first : start;
            at = end;
            if (batch < BATCH_EVENTS && at - first < BATCH_BYTES)
                continue;
        }
        if (batch) { /* "[" over the byte before, "]" and NUL after: as veil mask does */
            char after[2] = {work[at], work[at + 1]};
            work[first - 1] = '[';
            work[at] = ']';
            work[at + 1] = '\0';
            masker_result out;
            masker_findings f = {0};
            double t0 = bench_now();
            if (masker_session_mask(s, work + first - 1, at - first + 2, &out, &f, NULL)) {
                fprintf(stderr, "mask_file: the masker refused the input\n");
                exit(1);
            }
            spent += bench_now() - t0;
            work[at] = after[0];
            work[at + 1] = after[1];
            batch = 0;
        }
        if (got != MASKER_SPLIT_ELEMENT)
            break;
    }
    masker_session_free(s);
    free(work);
    return spent;
}

/* The baseline in a child process, so that this one stays small: the
 * peak memory of the veil mask it starts next would count its pages. */
static double mask_in_process(const char *path)
{
    int fds[2];
    if (pipe(fds))
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        veil_buf doc = {0};
        if (veil_read_file(path, &doc, 0, NULL))
            _exit(1);
        double spent = mask_batches(&doc);
        _exit(write(fds[1], &spent, sizeof spent) == sizeof spent ? 0 : 1);
    }
    double spent = 0;
    int status;
    if (pid < 0 || read(fds[0], &spent, sizeof spent) != sizeof spent ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "mask_file: the in-process baseline failed\n");
        exit(1);
    }
    close(fds[0]);
    close(fds[1]);
    return spent;
}

/* veil mask < path > /dev/null: wall time, and peak memory in *rss_kb. A
 * fork, not posix_spawn: a child that shares this process's memory until
 * it execs would report this process's peak. */
static double mask_process(const char *veil, const char *path, long *rss_kb)
{
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(path, O_RDONLY), out = open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
            _exit(127);
        execl(veil, veil, "mask", (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "mask_file: veil mask failed\n");
        exit(1);
    }
    *rss_kb = ru.ru_maxrss;
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mask_file VEIL FIXTURE.json...\n");
        return 2;
    }
    veil_buf doc = {0};
    if (veil_buf_append(&doc, "[", 1))
        return 1;
    while (doc.len < TARGET_BYTES) {
        for (int i = 2; i < argc; i++)
            add_events(&doc, argv[i]);
        add_small_events(&doc);
    }
    doc.data[doc.len - 2] = ']'; /* the last ",\n" becomes "]\n" */
    char path[] = "/tmp/veil-mask-file-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, doc.data, doc.len) != (ssize_t)doc.len || close(fd)) {
        fprintf(stderr, "mask_file: cannot write %s\n", path);
        return 1;
    }
    double mb = (double)doc.len / 1e6;
    veil_buf_free(&doc);
    double t_in[ROUNDS], t_proc[ROUNDS];
    long rss_kb = 0;
    for (int r = 0; r < ROUNDS; r++) {
        t_in[r] = mask_in_process(path);
        t_proc[r] = mask_process(argv[1], path, &rss_kb);
    }
    unlink(path);
    double in = bench_median(t_in, ROUNDS), proc = bench_median(t_proc, ROUNDS);
    printf("veil mask on %.1f MB | masker in process %6.0f MB/s | whole process %6.0f MB/s | "
           "process/in-process %.2f | peak memory %.1f MB (%.1f%% of the input)\n",
           mb, mb / in, mb / proc, in / proc, rss_kb / 1024.0, 100.0 * rss_kb * 1024 / (mb * 1e6));
    return 0;
}
