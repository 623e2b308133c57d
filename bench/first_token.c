/*
 * The first token of a process, and what getting it costs the process.
 *
 *   first_token [WARM_RUNS]
 *
 * Creates a client-credentials handle (AUTH_TOKEN_URL, FIRECREST_CLIENT_ID,
 * FIRECREST_CLIENT_SECRET), fetches a token, frees the handle, and prints
 * key=value lines:
 *   ttft_s      process start to the token callback. The start is
 *               BENCH_T0_NS (CLOCK_MONOTONIC, set by bench/cold.c just
 *               before fork) when given, else the entry of main();
 *   fetch_s     the first f7t_auth_get_access_token call alone (it also
 *               starts the library's network thread and builds the
 *               handle's HTTP client);
 *   tasks_*     threads in /proc/self/task before and after each step;
 *   rss_kb_*    VmRSS from /proc/self/status before and after each step,
 *               and its parts: RssAnon (heap, stacks) and RssFile (pages
 *               of the library and other files mapped in).
 * With WARM_RUNS > 0 it then makes WARM_RUNS more handles, one after the
 * other, each fetching its first token in this now warm process, and
 * prints the median and 90th percentile of those fetches, and the threads
 * and RSS after them (a leak would show as growth).
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_common.h"

#define MAX_WARM_RUNS 1000

static int64_t token_ns;

static void note_time(void *userdata, const char *token, int64_t token_len,
                      int64_t expires_at)
{
    (void)userdata;
    (void)token;
    (void)token_len;
    (void)expires_at;
    token_ns = bench_now_ns();
}

static void report(const char *step)
{
    printf("tasks_%s=%d\n", step, bench_task_count());
    printf("rss_kb_%s=%ld\n", step, bench_status_kb("VmRSS"));
    printf("rss_anon_kb_%s=%ld\n", step, bench_status_kb("RssAnon"));
    printf("rss_file_kb_%s=%ld\n", step, bench_status_kb("RssFile"));
}

/* One new handle, its first fetch timed, then freed; returns seconds. */
static double fetch_with_new_handle(void)
{
    f7t_auth *auth = bench_handle();
    int64_t begin = bench_now_ns();
    bench_check(f7t_auth_get_access_token(auth, note_time, NULL),
                "f7t_auth_get_access_token");
    f7t_auth_free(auth);
    return (double)(token_ns - begin) / 1e9;
}

int main(int argc, char **argv)
{
    static double warm[MAX_WARM_RUNS];
    int64_t main_ns = bench_now_ns(), start_ns = main_ns, begin;
    const char *t0 = getenv("BENCH_T0_NS");
    int runs = argc > 1 ? atoi(argv[1]) : 0, i;
    f7t_auth *auth;

    if (runs < 0 || runs > MAX_WARM_RUNS) {
        fprintf(stderr, "first_token: WARM_RUNS must be 0..%d\n",
                MAX_WARM_RUNS);
        return 2;
    }
    if (t0 != NULL)
        start_ns = strtoll(t0, NULL, 10);

    report("before");
    auth = bench_handle();
    report("after_new");
    begin = bench_now_ns();
    bench_check(f7t_auth_get_access_token(auth, note_time, NULL),
                "f7t_auth_get_access_token");
    report("after_fetch");
    f7t_auth_free(auth);
    report("after_free");
    printf("ttft_s=%.6f\n", (double)(token_ns - start_ns) / 1e9);
    printf("main_to_token_s=%.6f\n", (double)(token_ns - main_ns) / 1e9);
    printf("fetch_s=%.6f\n", (double)(token_ns - begin) / 1e9);

    if (runs > 0) {
        for (i = 0; i < runs; i++)
            warm[i] = fetch_with_new_handle();
        printf("warm_runs=%d\n", runs);
        printf("warm_fetch_ms_median=%.3f\n",
               bench_percentile(warm, runs, 50) * 1e3);
        printf("warm_fetch_ms_p90=%.3f\n",
               bench_percentile(warm, runs, 90) * 1e3);
        printf("warm_fetch_ms_min=%.3f\n", warm[0] * 1e3);
        report("after_warm_runs");
    }
    return 0;
}
