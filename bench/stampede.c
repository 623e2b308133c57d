/*
 * Stampede: many threads ask one handle at the same moment for a token
 * that has expired. A library with single-flight refresh sends one token
 * request; one without sends one per thread.
 *
 *   stampede THREADS TOKEN_TTL_SECONDS
 *
 * Talks to scripts/bench.sh on stdin/stdout so that the script can read
 * the provider's request counter between the steps:
 *   1. fetches the first token, prints "primed", waits for a line on stdin;
 *   2. sleeps until that token has fully expired (TTL + 1 s after the
 *      fetch), releases THREADS threads through a barrier, each calling
 *      f7t_auth_get_access_token once;
 *   3. prints key=value lines: successes, distinct tokens handed out, and
 *      the time from release to the last thread's token.
 * Needs AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and FIRECREST_CLIENT_SECRET.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "bench_common.h"

#define MAX_THREADS 1024
#define TOKEN_MAX 4096

struct caller {
    pthread_t thread;
    f7t_auth *auth;
    pthread_barrier_t *start;
    f7t_status status;
    int64_t done_ns;
    char token[TOKEN_MAX];
};

/* Keeps a copy of the token: the library's copy lives only during the
 * callback, and the copies are compared after all threads have finished. */
static void keep_token(void *userdata, const char *token, int64_t token_len,
                       int64_t expires_at)
{
    struct caller *caller = userdata;
    size_t len = token_len < TOKEN_MAX ? (size_t)token_len : TOKEN_MAX - 1;
    (void)expires_at;
    memcpy(caller->token, token, len);
    caller->token[len] = '\0';
}

static void *caller_main(void *arg)
{
    struct caller *caller = arg;
    pthread_barrier_wait(caller->start);
    caller->status = f7t_auth_get_access_token(caller->auth, keep_token,
                                               caller);
    caller->done_ns = bench_now_ns();
    return NULL;
}

int main(int argc, char **argv)
{
    static struct caller callers[MAX_THREADS];
    char line[64], first[TOKEN_MAX];
    pthread_barrier_t start;
    int threads, ttl, i, j, ok = 0, distinct = 0;
    int64_t primed_ns, release_ns, last_ns = 0;
    struct caller primer;
    f7t_auth *auth;

    if (argc != 3 || (threads = atoi(argv[1])) < 1 || threads > MAX_THREADS
        || (ttl = atoi(argv[2])) < 1 || ttl > 60) {
        fprintf(stderr, "usage: stampede THREADS(1..%d) TTL_SECONDS(1..60)"
                "\n", MAX_THREADS);
        return 2;
    }
    auth = bench_handle();
    bench_check(f7t_auth_get_access_token(auth, keep_token, &primer),
                "first f7t_auth_get_access_token");
    primed_ns = bench_now_ns();
    memcpy(first, primer.token, sizeof first);
    printf("primed\n");
    fflush(stdout);
    /* The script reads the provider's counter now, then says "go". */
    if (fgets(line, sizeof line, stdin) == NULL) {
        fprintf(stderr, "stampede: no go-ahead on stdin\n");
        return 1;
    }

    /* The library counts the lifetime from when the request was sent, so
     * one second past TTL after the reply, the token is expired both for
     * the library and for the provider. */
    bench_sleep_ns(primed_ns + ((int64_t)ttl + 1) * 1000000000
                   - bench_now_ns());

    pthread_barrier_init(&start, NULL, (unsigned)threads);
    for (i = 0; i < threads; i++) {
        callers[i].auth = auth;
        callers[i].start = &start;
        if (pthread_create(&callers[i].thread, NULL, caller_main,
                           &callers[i]) != 0) {
            fprintf(stderr, "stampede: cannot start thread %d\n", i);
            return 1;
        }
    }
    /* The barrier opens when the last thread reaches it, a moment after
     * the last pthread_create returns: times measured from here are at
     * most that moment too long. */
    release_ns = bench_now_ns();
    for (i = 0; i < threads; i++) {
        pthread_join(callers[i].thread, NULL);
        if (callers[i].status != F7T_STATUS_OK)
            continue;
        ok++;
        if (callers[i].done_ns > last_ns)
            last_ns = callers[i].done_ns;
        for (j = 0; j < i; j++) {
            if (callers[j].status == F7T_STATUS_OK
                && strcmp(callers[j].token, callers[i].token) == 0)
                break;
        }
        if (j == i)
            distinct++;
    }
    pthread_barrier_destroy(&start);

    printf("threads=%d\n", threads);
    printf("ok=%d\n", ok);
    printf("distinct_tokens=%d\n", distinct);
    for (i = 0; i < threads; i++) {
        if (callers[i].status == F7T_STATUS_OK
            && strcmp(callers[i].token, first) == 0) {
            /* A thread got the expired token back: a correctness bug. */
            printf("expired_token_handed_out=1\n");
            break;
        }
    }
    printf("last_token_after_release_ms=%.2f\n",
           (double)(last_ns - release_ns) / 1e6);
    fflush(stdout);
    f7t_auth_free(auth);
    return ok == threads ? 0 : 1;
}
