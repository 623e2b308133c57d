/*
 * basic_auth: client credentials with `client_secret_basic`, the client
 * authentication some servers require instead of the default
 * `client_secret_post`.
 *
 *   basic_auth CLIENT_ID CLIENT_SECRET [TOKEN_ENDPOINT]
 *
 * TOKEN_ENDPOINT defaults to $AUTH_TOKEN_URL. The point of this example is
 * a secret with characters such as `+ / = : % &` and spaces: RFC 6749
 * section 2.3.1 says the id and secret are form-urlencoded before they go
 * into the Basic header, and a client that skips that step (pyFirecREST
 * does) is rejected by servers that decode them, as Keycloak does. Run
 * against the bundled provider, whose `cc-basic` client has such a secret,
 * this shows that the library encodes them.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "basic_auth"

struct token_info {
    int64_t length;
    int64_t expires_at;
};

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    struct token_info *info = userdata;

    (void)token; /* not needed here, and never printed */
    info->length = token_len;
    info->expires_at = expires_at;
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, PROGRAM ": %s failed: %s (status %d)\n  %s\n", what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return EXIT_FAILURE;
}

/* Which of the characters that need encoding the secret contains, so the
 * output shows what was exercised without showing the secret. */
static void describe_secret(const char *secret)
{
    const char *special = "+/=:%& ";
    const char *c;

    printf("secret:         %zu bytes, with", strlen(secret));
    for (c = special; *c != '\0'; c++) {
        if (strchr(secret, *c) == NULL)
            continue;
        if (*c == ' ')
            printf(" space");
        else
            printf(" '%c'", *c);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *endpoint = argc > 3 ? argv[3] : getenv("AUTH_TOKEN_URL");
    f7t_auth *auth = NULL;
    f7t_status status;
    struct token_info info = {0, 0};
    int exit_code = EXIT_FAILURE;

    if (argc < 3 || argc > 4 || endpoint == NULL || endpoint[0] == '\0') {
        fprintf(stderr, "usage: " PROGRAM " CLIENT_ID CLIENT_SECRET"
                " [TOKEN_ENDPOINT]\n(TOKEN_ENDPOINT defaults to"
                " $AUTH_TOKEN_URL)\n");
        return 2;
    }
    printf("token endpoint: %s\nclient:         %s\n", endpoint, argv[1]);
    describe_secret(argv[2]);

    status = f7t_auth_client_credentials_new(endpoint, argv[1], argv[2],
                                             &auth);
    if (status != F7T_STATUS_OK)
        return fail("f7t_auth_client_credentials_new", status);
    status = f7t_auth_set_client_auth(auth, F7T_CLIENT_AUTH_BASIC);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_set_client_auth", status);
        goto done;
    }

    status = f7t_auth_get_access_token(auth, on_token, &info);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_get_access_token", status);
        goto done;
    }
    printf("client_secret_basic: accepted, got a %lld-byte token",
           (long long)info.length);
    if (info.expires_at != 0)
        printf(" valid for %lld s",
               (long long)(info.expires_at - (int64_t)time(NULL)));
    printf("\n");
    exit_code = EXIT_SUCCESS;

done:
    f7t_auth_free(auth);
    return exit_code;
}
