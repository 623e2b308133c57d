/*
 * client_credentials: get an access token for a service account, the way a
 * batch job or an MPI rank would, and show who it is for.
 *
 *   client_credentials TOKEN_ENDPOINT CLIENT_ID CLIENT_SECRET [RESOURCE]
 *   client_credentials            (reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID
 *                                  and FIRECREST_CLIENT_SECRET)
 *
 * RESOURCE, or the environment variable F7T_RESOURCE, is sent as the RFC
 * 8707 `resource` parameter; many servers then issue a JWT whose audience
 * is that resource. The program asks for a token twice, checks that the
 * second answer came from the cache, and prints the token's subject,
 * audience and remaining lifetime. It never prints the token: a token in a
 * job's output file is a credential anyone with read access can use.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "client_credentials"

/* What the program keeps of one token: enough to describe it and to tell
 * whether two calls returned the same token, but never the token itself. */
struct token_view {
    int64_t length;
    int64_t expires_at;
    uint64_t fingerprint;
    int opaque;
    char subject[256];
    char audience[512];
    f7t_status claim_status; /* first unexpected claim failure, or OK */
};

/* FNV-1a: lets us compare the tokens of two calls without keeping a copy
 * of a credential around. Not a security measure, only an identity check. */
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

/* Reads one claim into `value`. A missing claim or a value too long for
 * the buffer is shown, not treated as a failure: the token is still good. */
static void read_claim(struct token_view *view, const char *token,
                       const char *claim, char *value, size_t value_size)
{
    int64_t needed = 0;
    f7t_status status = f7t_token_claim(token, claim, value,
                                        (int64_t)value_size, &needed);

    if (status == F7T_STATUS_OK)
        return;
    if (status == F7T_STATUS_NOT_FOUND) {
        snprintf(value, value_size, "(no %s claim)", claim);
        return;
    }
    if (status == F7T_STATUS_BUFFER_TOO_SMALL) {
        snprintf(value, value_size, "(%lld bytes, too long to show)",
                 (long long)needed);
        return;
    }
    /* An opaque token is not a JWT, so it has no claims to read. */
    if (status == F7T_STATUS_NOT_A_JWT) {
        view->opaque = 1;
        return;
    }
    if (view->claim_status == F7T_STATUS_OK)
        view->claim_status = status;
}

/* The token is lent to us only for the duration of this call, so all we
 * want from it is read here. */
static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    struct token_view *view = userdata;

    memset(view, 0, sizeof *view);
    view->length = token_len;
    view->expires_at = expires_at;
    view->fingerprint = fingerprint(token, token_len);
    read_claim(view, token, "sub", view->subject, sizeof view->subject);
    if (!view->opaque)
        read_claim(view, token, "aud", view->audience,
                   sizeof view->audience);
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, PROGRAM ": %s failed: %s (status %d)\n  %s\n", what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return EXIT_FAILURE;
}

static void print_view(const struct token_view *view)
{
    long long left = (long long)(view->expires_at - (int64_t)time(NULL));

    if (view->opaque) {
        printf("  opaque token (%lld bytes): no claims to show\n",
               (long long)view->length);
    } else {
        printf("  JWT access token (%lld bytes)\n", (long long)view->length);
        printf("  subject (sub):  %s\n", view->subject);
        printf("  audience (aud): %s\n", view->audience);
    }
    if (view->expires_at == 0)
        printf("  expires:        unknown (the server did not say)\n");
    else
        printf("  expires in:     %lld s\n", left);
}

int main(int argc, char **argv)
{
    f7t_auth *auth = NULL;
    f7t_status status;
    const char *resource = getenv("F7T_RESOURCE");
    struct token_view first, second;
    int exit_code = EXIT_FAILURE;

    if (argc != 1 && argc != 4 && argc != 5) {
        fprintf(stderr,
                "usage: " PROGRAM " [TOKEN_ENDPOINT CLIENT_ID CLIENT_SECRET"
                " [RESOURCE]]\n"
                "Without arguments, AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and"
                " FIRECREST_CLIENT_SECRET\nare read. F7T_RESOURCE sets the"
                " resource when no argument does.\n");
        return 2;
    }
    printf("firecrest-auth %s\n", f7t_version());
    if (strcmp(f7t_version(), F7T_VERSION) != 0)
        fprintf(stderr, PROGRAM ": warning: built with the header of %s\n",
                F7T_VERSION);

    /* A secret on the command line is visible to other users in `ps`;
     * the environment (or a file) is the better place for a real one. */
    if (argc == 1) {
        status = f7t_auth_from_env(&auth);
        if (status != F7T_STATUS_OK)
            return fail("f7t_auth_from_env", status);
        printf("token endpoint: %s\n", getenv("AUTH_TOKEN_URL"));
        printf("client:         %s\n", getenv("FIRECREST_CLIENT_ID"));
    } else {
        status = f7t_auth_client_credentials_new(argv[1], argv[2], argv[3],
                                                 &auth);
        if (status != F7T_STATUS_OK)
            return fail("f7t_auth_client_credentials_new", status);
        printf("token endpoint: %s\n", argv[1]);
        printf("client:         %s\n", argv[2]);
        if (argc == 5)
            resource = argv[4];
    }

    /* Tells the server's operators which program asked, in its logs. */
    status = f7t_auth_set_user_agent_suffix(auth, PROGRAM "-example");
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_set_user_agent_suffix", status);
        goto done;
    }
    if (resource != NULL && resource[0] != '\0') {
        status = f7t_auth_set_resource(auth, resource);
        if (status != F7T_STATUS_OK) {
            fail("f7t_auth_set_resource", status);
            goto done;
        }
        printf("resource:       %s\n", resource);
    }

    status = f7t_auth_get_access_token(auth, on_token, &first);
    if (status != F7T_STATUS_OK) {
        fail("the first f7t_auth_get_access_token", status);
        goto done;
    }
    if (first.claim_status != F7T_STATUS_OK) {
        fail("f7t_token_claim", first.claim_status);
        goto done;
    }
    printf("first call: got a token from the server\n");
    print_view(&first);

    /* A program asks whenever it is about to call the API; the handle
     * must answer from its cache instead of asking the server every time. */
    status = f7t_auth_get_access_token(auth, on_token, &second);
    if (status != F7T_STATUS_OK) {
        fail("the second f7t_auth_get_access_token", status);
        goto done;
    }
    if (second.fingerprint != first.fingerprint ||
        second.expires_at != first.expires_at) {
        fprintf(stderr, PROGRAM ": the second call returned a different"
                " token: the cache did not work\n");
        goto done;
    }
    printf("second call: the same token, from the cache (same expiry)\n");
    exit_code = EXIT_SUCCESS;

done:
    f7t_auth_free(auth);
    return exit_code;
}
