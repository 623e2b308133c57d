/*
 * callback_provider: tokens from the program's own function, the C form of
 * pyFirecREST's "any object with a get_access_token() method".
 *
 *   callback_provider
 *
 * A site may hand out tokens through something the library does not speak
 * (a broker socket, a file a daemon rewrites, another library). The
 * program wraps that in a provider callback and gets the library's cache,
 * renewal margin and thread safety on top. Here the "something" is a
 * second handle doing client credentials from the environment
 * (AUTH_TOKEN_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, optional
 * F7T_RESOURCE), kept in the provider's userdata and released by its
 * finalizer when the handle is freed.
 *
 * The program checks that several gets call the provider once, that an
 * invalidation calls it again, that a failing provider's reason reaches
 * the caller, and that the finalizer runs exactly once.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "callback_provider"
#define GETS 5

/* The provider's userdata: owned by the library from f7t_auth_callback_new
 * until the finalizer runs. */
struct provider_state {
    f7t_auth *upstream;
    int calls;
};

/* Carries the sink into the upstream handle's token callback, which is
 * where the upstream token is lent to us. */
struct relay {
    f7t_token_sink *sink;
    f7t_status status;
};

static int finalized;

static void relay_token(void *userdata, const char *token, int64_t token_len,
                        int64_t expires_at)
{
    struct relay *relay = userdata;
    int64_t expires_in = 0; /* 0: let the library read the JWT exp */

    (void)token_len;
    if (expires_at != 0)
        expires_in = expires_at - (int64_t)time(NULL);
    /* The sink copies the token, so it outlives this callback. */
    relay->status = f7t_token_sink_set_token(relay->sink, token,
                                             expires_in > 0 ? expires_in : 0);
}

/* Runs on the thread that asked for a token, only when the cached one is
 * missing or due for renewal, and never on two threads at once for this
 * handle, so `calls` needs no lock. */
static int32_t provide_token(void *userdata, f7t_token_sink *sink)
{
    struct provider_state *state = userdata;
    struct relay relay;
    char reason[1024];
    f7t_status status;

    state->calls++;
    relay.sink = sink;
    relay.status = F7T_STATUS_INTERNAL;
    status = f7t_auth_get_access_token(state->upstream, relay_token, &relay);
    if (status == F7T_STATUS_OK && relay.status == F7T_STATUS_OK)
        return 0;

    /* Pass the cause on: the caller sees only PROVIDER_FAILED otherwise.
     * Library messages never contain secrets, so this one may travel. */
    snprintf(reason, sizeof reason, "the upstream handle failed: %s",
             f7t_last_error_message());
    f7t_token_sink_set_error(sink, reason);
    return 1;
}

static void free_state(void *userdata)
{
    struct provider_state *state = userdata;

    f7t_auth_free(state->upstream);
    free(state);
    finalized++;
}

/* A provider that has nothing to give, to show how its reason travels. */
static int32_t refuse_token(void *userdata, f7t_token_sink *sink)
{
    (void)userdata;
    f7t_token_sink_set_error(sink, "the token broker is not running");
    return 3;
}

struct token_info {
    int64_t length;
    int64_t expires_at;
};

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    struct token_info *info = userdata;

    (void)token;
    info->length = token_len;
    info->expires_at = expires_at;
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, PROGRAM ": %s failed: %s (status %d)\n  %s\n", what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return EXIT_FAILURE;
}

/* Builds the provider's state around an upstream client credentials
 * handle from the environment. */
static struct provider_state *new_state(void)
{
    struct provider_state *state = calloc(1, sizeof *state);
    const char *resource = getenv("F7T_RESOURCE");
    f7t_status status;

    if (state == NULL) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return NULL;
    }
    status = f7t_auth_from_env(&state->upstream);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_from_env", status);
        free(state);
        return NULL;
    }
    if (resource != NULL && resource[0] != '\0') {
        status = f7t_auth_set_resource(state->upstream, resource);
        if (status != F7T_STATUS_OK) {
            fail("f7t_auth_set_resource", status);
            f7t_auth_free(state->upstream);
            free(state);
            return NULL;
        }
    }
    return state;
}

static int check_failing_provider(void)
{
    f7t_auth *auth = NULL;
    struct token_info info = {0, 0};
    f7t_status status;
    int ok;

    status = f7t_auth_callback_new(refuse_token, NULL, NULL, &auth);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_callback_new", status);
        return 0;
    }
    status = f7t_auth_get_access_token(auth, on_token, &info);
    ok = status == F7T_STATUS_PROVIDER_FAILED &&
         strstr(f7t_last_error_message(), "broker is not running") != NULL;
    if (ok)
        printf("a failing provider gives %s:\n  %s\n",
               f7t_status_str(status), f7t_last_error_message());
    else
        fprintf(stderr, PROGRAM ": a failing provider gave status %d: %s\n",
                (int)status, f7t_last_error_message());
    f7t_auth_free(auth);
    return ok;
}

int main(void)
{
    struct provider_state *state = new_state();
    struct token_info info = {0, 0};
    f7t_auth *auth = NULL;
    f7t_status status;
    int i;

    if (state == NULL)
        return EXIT_FAILURE;
    status = f7t_auth_callback_new(provide_token, state, free_state, &auth);
    if (status != F7T_STATUS_OK) {
        /* The finalizer is not called when creation fails: clean up. */
        f7t_auth_free(state->upstream);
        free(state);
        return fail("f7t_auth_callback_new", status);
    }

    for (i = 0; i < GETS; i++) {
        status = f7t_auth_get_access_token(auth, on_token, &info);
        if (status != F7T_STATUS_OK) {
            fail("f7t_auth_get_access_token", status);
            goto failed;
        }
    }
    printf("%d gets, provider called %d time(s); token of %lld bytes, "
           "valid for %lld s\n", GETS, state->calls, (long long)info.length,
           (long long)(info.expires_at - (int64_t)time(NULL)));
    if (state->calls != 1) {
        fprintf(stderr, PROGRAM ": the provider's token was not cached\n");
        goto failed;
    }

    /* What a program does after the API answered 401. */
    status = f7t_auth_invalidate(auth, NULL);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_invalidate", status);
        goto failed;
    }
    status = f7t_auth_get_access_token(auth, on_token, &info);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_get_access_token after invalidate", status);
        goto failed;
    }
    printf("after f7t_auth_invalidate: provider called %d time(s)\n",
           state->calls);
    if (state->calls != 2) {
        fprintf(stderr, PROGRAM ": invalidate did not renew the token\n");
        goto failed;
    }

    /* `state` belongs to the library now; the handle's free releases it. */
    f7t_auth_free(auth);
    printf("finalizer ran %d time(s)\n", finalized);
    if (finalized != 1)
        return EXIT_FAILURE;
    return check_failing_provider() ? EXIT_SUCCESS : EXIT_FAILURE;

failed:
    f7t_auth_free(auth);
    return EXIT_FAILURE;
}
