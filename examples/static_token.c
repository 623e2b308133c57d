/*
 * static_token: use a token you already have (from a web portal, or handed
 * down by a job launcher) through the same handle API as a grant.
 *
 *   static_token
 *
 * The token comes from F7T_ACCESS_TOKEN. Without it, the program first
 * gets one with client credentials from the environment (AUTH_TOKEN_URL,
 * FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, optional F7T_RESOURCE),
 * copying it into its own buffer with f7t_auth_copy_access_token, as a
 * launcher would before handing it to its workers.
 *
 * It then shows what a static handle does: the expiry is read from the
 * JWT `exp` claim, the handle yields the `Authorization` header, and once
 * the token is reported as rejected or has expired the handle says so
 * with a status instead of handing out a token the server will refuse.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "static_token"

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, PROGRAM ": %s failed: %s (status %d)\n  %s\n", what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return EXIT_FAILURE;
}

/* A plain memset before free() may be optimised away; writing through a
 * volatile pointer may not. */
static void wipe(char *buffer, size_t size)
{
    volatile char *p = buffer;

    while (size-- > 0)
        *p++ = 0;
}

/* Gets a token with client credentials into a malloc'd buffer the caller
 * wipes and frees. The first copy uses a buffer that is too small on
 * purpose: the library reports the length it needs, so the program can
 * allocate exactly that. */
static f7t_status fetch_token(char **token_out, int64_t *expires_at_out)
{
    f7t_auth *source = NULL;
    const char *resource = getenv("F7T_RESOURCE");
    char probe[1];
    char *token = NULL;
    int64_t length = 0;
    f7t_status status;

    status = f7t_auth_from_env(&source);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_from_env", status);
        return status;
    }
    if (resource != NULL && resource[0] != '\0') {
        status = f7t_auth_set_resource(source, resource);
        if (status != F7T_STATUS_OK) {
            fail("f7t_auth_set_resource", status);
            goto done;
        }
    }

    status = f7t_auth_copy_access_token(source, probe, sizeof probe,
                                        &length, NULL);
    if (status != F7T_STATUS_BUFFER_TOO_SMALL) {
        fail("f7t_auth_copy_access_token (sizing)", status);
        goto done;
    }
    token = malloc((size_t)length + 1);
    if (token == NULL) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        status = F7T_STATUS_INTERNAL;
        goto done;
    }
    /* The handle caches the token, so this second call makes no request
     * and returns the same token whose length we just learnt. */
    status = f7t_auth_copy_access_token(source, token, length + 1, &length,
                                        expires_at_out);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_copy_access_token", status);
        free(token);
        goto done;
    }
    printf("got a %lld-byte token with client credentials\n",
           (long long)length);
    *token_out = token;

done:
    f7t_auth_free(source);
    return status;
}

static void on_header(void *userdata, const char *name, const char *value,
                      int64_t expires_at)
{
    int64_t *expires_at_out = userdata;

    /* Show the shape of the header, not the credential in it. */
    printf("header: %s: %.7s<%zu bytes of token>\n", name, value,
           strlen(value) - 7);
    *expires_at_out = expires_at;
}

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    (void)userdata;
    (void)token;
    (void)token_len;
    (void)expires_at;
}

/* Expects a get on `auth` to fail with `expected`, and says why it did. */
static int expect_refusal(f7t_auth *auth, f7t_status expected,
                          const char *situation)
{
    f7t_status status = f7t_auth_get_access_token(auth, on_token, NULL);

    if (status != expected) {
        fprintf(stderr, PROGRAM ": %s: expected %s, got %s (status %d)\n",
                situation, f7t_status_str(expected), f7t_status_str(status),
                (int)status);
        return 0;
    }
    printf("%s: refused as expected\n  %s\n", situation,
           f7t_last_error_message());
    return 1;
}

int main(void)
{
    const char *given = getenv("F7T_ACCESS_TOKEN");
    char *token = NULL;
    int64_t fetched_expiry = 0, header_expiry = 0;
    f7t_auth *auth = NULL, *expired = NULL;
    f7t_status status;
    int exit_code = EXIT_FAILURE;

    if (given != NULL && given[0] != '\0') {
        token = malloc(strlen(given) + 1);
        if (token == NULL)
            return EXIT_FAILURE;
        strcpy(token, given);
        printf("using the token in F7T_ACCESS_TOKEN\n");
    } else if (fetch_token(&token, &fetched_expiry) != F7T_STATUS_OK) {
        return EXIT_FAILURE;
    }

    /* 0 asks the library to read the expiry from the JWT `exp` claim; an
     * opaque token then never expires as far as the library knows. */
    status = f7t_auth_static_token_new(token, 0, &auth);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_static_token_new", status);
        goto done;
    }
    status = f7t_auth_get_header(auth, on_header, &header_expiry);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_get_header", status);
        goto done;
    }
    if (header_expiry == 0) {
        printf("expiry: unknown (not a JWT), never renewed\n");
    } else {
        printf("expiry from the JWT exp claim: in %lld s\n",
               (long long)(header_expiry - (int64_t)time(NULL)));
        /* The grant's expiry comes from expires_in, counted from when the
         * request was sent; exp is set by the server. They agree to within
         * the request's latency and whole-second rounding. */
        if (fetched_expiry != 0 && (header_expiry - fetched_expiry > 2 ||
                                    fetched_expiry - header_expiry > 2)) {
            fprintf(stderr, PROGRAM ": exp (%lld) and expires_in (%lld)"
                    " disagree\n", (long long)header_expiry,
                    (long long)fetched_expiry);
            goto done;
        }
    }

    /* After a 401 a program reports the token; a static handle cannot get
     * another, so from then on it refuses instead of repeating the 401. */
    status = f7t_auth_invalidate(auth, token);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_invalidate", status);
        goto done;
    }
    if (!expect_refusal(auth, F7T_STATUS_TOKEN_REJECTED,
                        "after f7t_auth_invalidate"))
        goto done;

    /* An explicit expiry overrides the claim; one in the past means the
     * handle refuses at once. */
    status = f7t_auth_static_token_new(token, (int64_t)time(NULL) - 1,
                                       &expired);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_static_token_new (expired)", status);
        goto done;
    }
    if (!expect_refusal(expired, F7T_STATUS_TOKEN_EXPIRED,
                        "a token past its expiry"))
        goto done;
    exit_code = EXIT_SUCCESS;

done:
    f7t_auth_free(expired);
    f7t_auth_free(auth);
    wipe(token, strlen(token));
    free(token);
    return exit_code;
}
