/*
 * Runs two commands alternately, each in a fresh process, and times them
 * the same way: from just before fork() to the child being reaped.
 *
 *   cold RUNS -- COMMAND_A [ARGS...] -- COMMAND_B [ARGS...]
 *
 * Used for "one token fetch in a fresh process": COMMAND_A is
 * bench/first_token, COMMAND_B is curl making the same POST. Alternating
 * them means a slow moment of the machine hits both alike. Each child gets
 * BENCH_T0_NS (CLOCK_MONOTONIC before fork) in its environment, and may
 * print "fetch_s=SECONDS" and "ttft_s=SECONDS" lines on stdout, which are
 * collected too. A child that fails stops the benchmark: a failed fetch is
 * not a timing.
 *
 * Prints key=value lines: for a and b, the median, 90th percentile and
 * minimum of the wall time and of the reported values, in ms; and the
 * ratios a/b of the wall-time medians and 90th percentiles.
 */
#define _POSIX_C_SOURCE 200809L

#include <sys/types.h>
#include <sys/wait.h>

#include "bench_common.h"

#define MAX_RUNS 1000
#define WARMUP_RUNS 3
#define OUTPUT_MAX 65536

struct series {
    const char *name;
    char **argv;
    double wall[MAX_RUNS];
    double fetch[MAX_RUNS];
    double ttft[MAX_RUNS];
    int fetches, ttfts;
};

/* The value of "key=" at the start of a line of `text`, or -1. */
static double find_value(const char *text, const char *key)
{
    size_t len = strlen(key);
    const char *line = text;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, key, len) == 0)
            return atof(line + len);
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return -1.0;
}

/* Runs argv once; returns its wall time in seconds, its stdout in out. */
static double run_once(char **argv, char *out, size_t out_size)
{
    int fds[2], status;
    size_t used = 0;
    ssize_t got;
    int64_t begin, end;
    char t0[32];
    pid_t pid;

    if (pipe(fds) != 0) {
        perror("cold: pipe");
        exit(1);
    }
    fflush(stdout);
    begin = bench_now_ns();
    pid = fork();
    if (pid < 0) {
        perror("cold: fork");
        exit(1);
    }
    if (pid == 0) {
        /* The child is single-threaded, so setenv is safe here. */
        snprintf(t0, sizeof t0, "%lld", (long long)begin);
        setenv("BENCH_T0_NS", t0, 1);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        perror("cold: exec");
        _exit(127);
    }
    close(fds[1]);
    while ((got = read(fds[0], out + used, out_size - 1 - used)) > 0)
        used += (size_t)got;
    out[used] = '\0';
    close(fds[0]);
    if (waitpid(pid, &status, 0) != pid) {
        perror("cold: waitpid");
        exit(1);
    }
    end = bench_now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "cold: %s failed (status %d); output:\n%s\n",
                argv[0], status, out);
        exit(1);
    }
    return (double)(end - begin) / 1e9;
}

static void measure(struct series *s, int run)
{
    static char out[OUTPUT_MAX];
    double value;
    s->wall[run] = run_once(s->argv, out, sizeof out);
    if ((value = find_value(out, "fetch_s=")) >= 0.0)
        s->fetch[s->fetches++] = value;
    if ((value = find_value(out, "ttft_s=")) >= 0.0)
        s->ttft[s->ttfts++] = value;
}

static void print_stats(const char *series, const char *what,
                        double *seconds, int n)
{
    if (n == 0)
        return;
    printf("%s_%s_ms_median=%.3f\n", series, what,
           bench_percentile(seconds, n, 50) * 1e3);
    printf("%s_%s_ms_p90=%.3f\n", series, what,
           bench_percentile(seconds, n, 90) * 1e3);
    printf("%s_%s_ms_min=%.3f\n", series, what, seconds[0] * 1e3);
}

int main(int argc, char **argv)
{
    static struct series a = {"a", NULL, {0}, {0}, {0}, 0, 0};
    static struct series b = {"b", NULL, {0}, {0}, {0}, 0, 0};
    static char scratch[OUTPUT_MAX];
    int runs, i, split = 0;
    double a50, a90;

    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            split = i;
            break;
        }
    }
    if (argc < 6 || strcmp(argv[2], "--") != 0 || split == 0
        || split == 3 || split == argc - 1
        || (runs = atoi(argv[1])) < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: cold RUNS(1..%d) -- COMMAND_A [ARGS...] "
                "-- COMMAND_B [ARGS...]\n", MAX_RUNS);
        return 2;
    }
    argv[split] = NULL; /* ends COMMAND_A's argv; argv[argc] ends B's */
    a.argv = argv + 3;
    b.argv = argv + split + 1;

    /* Unmeasured runs first: page cache, the provider's JIT. */
    for (i = 0; i < WARMUP_RUNS; i++) {
        run_once(a.argv, scratch, sizeof scratch);
        run_once(b.argv, scratch, sizeof scratch);
    }
    for (i = 0; i < runs; i++) {
        measure(&a, i);
        measure(&b, i);
    }
    printf("runs=%d\n", runs);
    print_stats("a", "wall", a.wall, runs);
    print_stats("a", "fetch", a.fetch, a.fetches);
    print_stats("a", "ttft", a.ttft, a.ttfts);
    print_stats("b", "wall", b.wall, runs);
    print_stats("b", "fetch", b.fetch, b.fetches);
    print_stats("b", "ttft", b.ttft, b.ttfts);
    /* print_stats sorted the samples in place. */
    a50 = bench_percentile(a.wall, runs, 50);
    a90 = bench_percentile(a.wall, runs, 90);
    printf("ratio_wall_median=%.3f\n",
           a50 / bench_percentile(b.wall, runs, 50));
    printf("ratio_wall_p90=%.3f\n",
           a90 / bench_percentile(b.wall, runs, 90));
    return 0;
}
