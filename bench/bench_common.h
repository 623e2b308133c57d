/*
 * Helpers shared by the benchmark programs in bench/: clocks, the
 * environment, /proc readings and sample statistics. Header-only with
 * static inline functions, so each program is built from one source file.
 */
#ifndef F7T_BENCH_COMMON_H
#define F7T_BENCH_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firecrest_auth.h"

/* CLOCK_MONOTONIC is system-wide, so a parent's reading before fork() and
 * a child's reading later can be subtracted. */
static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps ns nanoseconds; nothing for ns <= 0 (a deadline already past). */
static inline void bench_sleep_ns(int64_t ns)
{
    struct timespec ts;
    if (ns <= 0)
        return;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* Interrupted by a signal: sleep the rest. */
    }
}

static inline const char *bench_env(const char *name)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "bench: %s is not set (run under "
                "tests/idp/with-idp.sh, see scripts/bench.sh)\n", name);
        exit(2);
    }
    return value;
}

/* Fails the benchmark on any library error: a figure measured on a failing
 * call would be meaningless. */
static inline void bench_check(f7t_status rc, const char *what)
{
    if (rc != F7T_STATUS_OK) {
        fprintf(stderr, "bench: %s: %s: %s\n", what, f7t_status_str(rc),
                f7t_last_error_message());
        exit(1);
    }
}

/* A client-credentials handle for the provider named by the variables
 * with-idp.sh exports (or the ones scripts/bench.sh overrides). */
static inline f7t_auth *bench_handle(void)
{
    f7t_auth *auth = NULL;
    bench_check(f7t_auth_client_credentials_new(
                    bench_env("AUTH_TOKEN_URL"),
                    bench_env("FIRECREST_CLIENT_ID"),
                    bench_env("FIRECREST_CLIENT_SECRET"), &auth),
                "f7t_auth_client_credentials_new");
    return auth;
}

/* Threads of this process: entries of /proc/self/task. */
static inline int bench_task_count(void)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *entry;
    int count = 0;
    if (dir == NULL)
        return -1;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.')
            count++;
    }
    closedir(dir);
    return count;
}

/* A "Name:   N kB" field of /proc/self/status, in kB; -1 if absent. */
static inline long bench_status_kb(const char *field)
{
    char line[256];
    size_t len = strlen(field);
    long value = -1;
    FILE *file = fopen("/proc/self/status", "r");
    if (file == NULL)
        return -1;
    while (fgets(line, sizeof line, file) != NULL) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            value = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(file);
    return value;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n samples (sorts them in place); p in 0..100. */
static inline double bench_percentile(double *samples, int n, double p)
{
    double exact = p / 100.0 * n;
    int rank = (int)exact;
    if (n <= 0)
        return 0.0;
    qsort(samples, (size_t)n, sizeof *samples, bench_cmp_double);
    if (rank < exact)
        rank++; /* ceil without libm */
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return samples[rank - 1];
}

/*
 * How busy the rest of the machine was during an interval. The benchmark
 * shares its cores with whatever else runs (builds, other users), and a
 * throughput figure taken while another process held a core says nothing
 * about the library, so every timed interval reports this alongside.
 */
struct bench_cpu {
    int64_t wall_ns;
    int64_t machine_ticks; /* busy + steal ticks of all CPUs */
    int64_t self_us;       /* CPU time of this process, all threads */
};

static inline struct bench_cpu bench_cpu_now(void)
{
    struct bench_cpu now = {0, 0, 0};
    long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0;
    long long softirq = 0, steal = 0;
    struct rusage usage;
    FILE *file = fopen("/proc/stat", "r");

    if (file != NULL) {
        if (fscanf(file, "cpu %lld %lld %lld %lld %lld %lld %lld %lld",
                   &user, &nice, &sys, &idle, &iowait, &irq, &softirq,
                   &steal) == 8)
            now.machine_ticks = user + nice + sys + irq + softirq + steal;
        fclose(file);
    }
    getrusage(RUSAGE_SELF, &usage);
    now.self_us = ((int64_t)usage.ru_utime.tv_sec
                   + usage.ru_stime.tv_sec) * 1000000
                  + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
    now.wall_ns = bench_now_ns();
    return now;
}

/* Percent of the machine's CPU time (all cores) used by other processes,
 * or stolen by the hypervisor, since `start`. Tick resolution is 10 ms,
 * so over one second on two cores it is good to about one percent. */
static inline double bench_cpu_other_pct(struct bench_cpu start)
{
    struct bench_cpu end = bench_cpu_now();
    double hz = (double)sysconf(_SC_CLK_TCK);
    double cpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double machine_s = (double)(end.machine_ticks - start.machine_ticks) / hz;
    double self_s = (double)(end.self_us - start.self_us) / 1e6;
    double wall_s = (double)(end.wall_ns - start.wall_ns) / 1e9;
    double other = (machine_s - self_s) / (wall_s * cpus) * 100.0;
    return other < 0.0 ? 0.0 : other;
}

#endif /* F7T_BENCH_COMMON_H */
