/*
 * fork_token: keep using a handle across fork(), as MPI launchers and
 * programs calling system() do.
 *
 *   fork_token            (reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and
 *                          FIRECREST_CLIENT_SECRET; use a client whose
 *                          tokens live a few seconds to see renewals)
 *
 * The parent gets a token, then forks. Once the token needs renewing, both
 * the child and the parent ask for one: the child starts its own network
 * thread (the parent's did not survive the fork) and both must get a new
 * token within seconds. An alarm turns a hang into a failure.
 */

/* clock_gettime, fork and friends are POSIX, not C99. */
#define _POSIX_C_SOURCE 200809L

#include "firecrest_auth.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "fork_token"
#define HANG_LIMIT_S 30

struct token_seen {
    int64_t expires_at;
    uint64_t fingerprint;
};

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    struct token_seen *seen = userdata;
    uint64_t hash = 1469598103934665603u;
    int64_t i;

    for (i = 0; i < token_len; i++) {
        hash ^= (unsigned char)token[i];
        hash *= 1099511628211u;
    }
    seen->expires_at = expires_at;
    seen->fingerprint = hash;
}

static int fail(const char *who, const char *what, f7t_status status)
{
    fprintf(stderr, "%s (%s): %s failed: %s (status %d)\n  %s\n", PROGRAM,
            who, what, f7t_status_str(status), (int)status,
            f7t_last_error_message());
    return 1;
}

/* Waits until `seen`'s token is past half its life, when the library
 * renews a short-lived token (its margin is at most half the lifetime). */
static void wait_for_renewal(const struct token_seen *seen, int64_t lifetime)
{
    int64_t due = seen->expires_at - lifetime / 2 + 1;

    while ((int64_t)time(NULL) < due)
        sleep(1);
}

/* Asks for a token after the renewal point and checks it is a new one. */
static int renew(f7t_auth *auth, const char *who,
                 const struct token_seen *before, int64_t lifetime)
{
    struct token_seen after = {0};
    f7t_status status;

    wait_for_renewal(before, lifetime);
    status = f7t_auth_get_access_token(auth, on_token, &after);
    if (status != F7T_STATUS_OK)
        return fail(who, "f7t_auth_get_access_token after fork", status);
    if (after.fingerprint == before->fingerprint) {
        fprintf(stderr, "%s (%s): the token was not renewed\n", PROGRAM, who);
        return 1;
    }
    printf("%s: got a renewed token\n", who);
    fflush(stdout);
    return 0;
}

int main(void)
{
    struct token_seen first = {0};
    f7t_auth *auth = NULL;
    f7t_status status;
    int64_t lifetime;
    int child_status = 0, rc;
    pid_t child;

    alarm(HANG_LIMIT_S);
    status = f7t_auth_from_env(&auth);
    if (status != F7T_STATUS_OK)
        return fail("parent", "f7t_auth_from_env", status);
    status = f7t_auth_get_access_token(auth, on_token, &first);
    if (status != F7T_STATUS_OK) {
        f7t_auth_free(auth);
        return fail("parent", "the first f7t_auth_get_access_token", status);
    }
    lifetime = first.expires_at - (int64_t)time(NULL);
    printf("parent: got a token with %lld s left; forking\n",
           (long long)lifetime);
    fflush(stdout);

    child = fork();
    if (child < 0) {
        perror(PROGRAM ": fork");
        f7t_auth_free(auth);
        return 1;
    }
    if (child == 0) {
        alarm(HANG_LIMIT_S); /* a child does not inherit the alarm */
        rc = renew(auth, "child", &first, lifetime);
        f7t_auth_free(auth);
        _exit(rc);
    }

    rc = renew(auth, "parent", &first, lifetime);
    while (waitpid(child, &child_status, 0) < 0) {
        if (errno != EINTR) {
            perror(PROGRAM ": waitpid");
            rc = 1;
            break;
        }
    }
    if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) {
        fprintf(stderr, "%s: the child failed\n", PROGRAM);
        rc = 1;
    }
    f7t_auth_free(auth);
    if (rc == 0)
        printf("parent and child both renewed their token after fork\n");
    return rc;
}
