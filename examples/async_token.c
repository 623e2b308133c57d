/*
 * async_token: ask for tokens without blocking, as an event loop must.
 *
 *   async_token           (reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and
 *                          FIRECREST_CLIENT_SECRET)
 *
 * f7t_auth_get_access_token_async returns at once; the completion callback
 * runs later on the library's worker thread. Here the "event loop" is a
 * condition variable the callbacks signal. The program queues several
 * requests, waits for all of them, and checks they got the same cached
 * token; then it shows a failure (a wrong secret) arriving the same way,
 * after the handle was already freed.
 */

/* clock_gettime, fork and friends are POSIX, not C99. */
#define _POSIX_C_SOURCE 200809L

#include "firecrest_auth.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "async_token"
#define REQUESTS 8

struct completions {
    pthread_mutex_t lock;
    pthread_cond_t done;
    pthread_t requester;
    int finished;
    int on_requester_thread;
    int failures;
    uint64_t fingerprints[REQUESTS];
    f7t_status last_status;
    char last_message[512];
};

static uint64_t fingerprint(const char *text, int64_t length)
{
    uint64_t hash = 1469598103934665603u;
    int64_t i;

    for (i = 0; i < length; i++) {
        hash ^= (unsigned char)text[i];
        hash *= 1099511628211u;
    }
    return hash;
}

/* Runs on the library's worker thread: record, signal, return quickly. */
static void on_done(void *userdata, f7t_status status, const char *token,
                    int64_t token_len, int64_t expires_at)
{
    struct completions *c = userdata;

    (void)expires_at;
    pthread_mutex_lock(&c->lock);
    if (pthread_equal(pthread_self(), c->requester))
        c->on_requester_thread++;
    if (status == F7T_STATUS_OK && c->finished < REQUESTS) {
        c->fingerprints[c->finished] = fingerprint(token, token_len);
    } else if (status != F7T_STATUS_OK) {
        c->failures++;
        c->last_status = status;
        /* The detail is the worker thread's last error: read it here. */
        snprintf(c->last_message, sizeof c->last_message, "%s",
                 f7t_last_error_message());
    }
    c->finished++;
    pthread_cond_signal(&c->done);
    pthread_mutex_unlock(&c->lock);
}

static int wait_for(struct completions *c, int count)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&c->lock);
    while (c->finished < count && rc == 0)
        rc = pthread_cond_timedwait(&c->done, &c->lock, &deadline);
    pthread_mutex_unlock(&c->lock);
    return rc == 0 ? 0 : -1;
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, "%s: %s failed: %s (status %d)\n  %s\n", PROGRAM, what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return 1;
}

int main(void)
{
    static struct completions c;
    const char *endpoint = getenv("AUTH_TOKEN_URL");
    const char *client_id = getenv("FIRECREST_CLIENT_ID");
    f7t_auth *auth = NULL, *wrong = NULL;
    f7t_status status;
    int i, rc = 1;

    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.done, NULL);
    c.requester = pthread_self();
    status = f7t_auth_from_env(&auth);
    if (status != F7T_STATUS_OK)
        return fail("f7t_auth_from_env", status);
    for (i = 0; i < REQUESTS; i++) {
        status = f7t_auth_get_access_token_async(auth, on_done, &c);
        if (status != F7T_STATUS_OK) {
            rc = fail("f7t_auth_get_access_token_async", status);
            goto done;
        }
    }
    printf("queued %d requests without waiting\n", REQUESTS);
    if (wait_for(&c, REQUESTS) != 0) {
        fprintf(stderr, "%s: the callbacks did not all run\n", PROGRAM);
        goto done;
    }
    for (i = 1; i < REQUESTS; i++) {
        if (c.fingerprints[i] != c.fingerprints[0]) {
            fprintf(stderr, "%s: request %d got another token\n", PROGRAM,
                    i);
            goto done;
        }
    }
    if (c.failures != 0 || c.on_requester_thread != 0) {
        fprintf(stderr, "%s: %d failures, %d callbacks on the caller\n",
                PROGRAM, c.failures, c.on_requester_thread);
        goto done;
    }
    printf("all %d completed on the library's thread with one token\n",
           REQUESTS);

    /* A failure arrives through the callback too, even once the handle
     * was freed: the request holds its own reference. */
    if (endpoint == NULL || client_id == NULL) {
        fprintf(stderr, "%s: AUTH_TOKEN_URL or FIRECREST_CLIENT_ID unset\n",
                PROGRAM);
        goto done;
    }
    status = f7t_auth_client_credentials_new(endpoint, client_id,
                                             "not-the-secret", &wrong);
    if (status == F7T_STATUS_OK)
        status = f7t_auth_get_access_token_async(wrong, on_done, &c);
    f7t_auth_free(wrong);
    if (status != F7T_STATUS_OK) {
        rc = fail("the request with a wrong secret", status);
        goto done;
    }
    if (wait_for(&c, REQUESTS + 1) != 0) {
        fprintf(stderr, "%s: the failure never arrived\n", PROGRAM);
        goto done;
    }
    if (c.last_status != F7T_STATUS_INVALID_CLIENT ||
        strstr(c.last_message, "not-the-secret") != NULL) {
        fprintf(stderr, "%s: unexpected failure %d: %s\n", PROGRAM,
                (int)c.last_status, c.last_message);
        goto done;
    }
    printf("a wrong secret arrived as: %s\n", f7t_status_str(c.last_status));
    rc = 0;

done:
    f7t_auth_free(auth);
    return rc;
}
