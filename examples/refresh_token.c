/*
 * refresh_token: get access tokens from a refresh token you already have
 * (from an earlier login, oidc-agent, or a web portal), as a batch job
 * would.
 *
 *   refresh_token
 *
 * Reads the refresh token from F7T_REFRESH_TOKEN (an environment variable,
 * so that it does not show in `ps`), the provider's token endpoint from
 * AUTH_TOKEN_URL and the client from F7T_DEVICE_CLIENT_ID (default
 * "device-public", a public client; F7T_DEVICE_CLIENT_SECRET for a
 * confidential one). The program gets a token, reports it rejected (as
 * after an HTTP 401), and gets another: the library refreshes again with
 * the refresh token the server rotated in, not with the spent one.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "refresh_token"

struct token_seen {
    int64_t length;
    int64_t expires_at;
    uint64_t fingerprint;
};

/* FNV-1a, to tell two tokens apart without keeping either. */
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
    seen->length = token_len;
    seen->expires_at = expires_at;
    seen->fingerprint = hash;
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, "%s: %s failed: %s (status %d)\n  %s\n", PROGRAM, what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return 1;
}

int main(void)
{
    const char *refresh_token = getenv("F7T_REFRESH_TOKEN");
    const char *token_endpoint = getenv("AUTH_TOKEN_URL");
    const char *client_id = getenv("F7T_DEVICE_CLIENT_ID");
    const char *client_secret = getenv("F7T_DEVICE_CLIENT_SECRET");
    struct token_seen first = {0}, second = {0};
    f7t_auth *auth = NULL;
    f7t_status status;
    int rc = 1;

    if (refresh_token == NULL || token_endpoint == NULL) {
        fprintf(stderr, "usage: F7T_REFRESH_TOKEN=... AUTH_TOKEN_URL=... %s\n",
                PROGRAM);
        return 2;
    }
    if (client_id == NULL)
        client_id = "device-public";

    status = f7t_auth_refresh_token_new(token_endpoint, client_id,
                                        client_secret, refresh_token, &auth);
    if (status != F7T_STATUS_OK)
        return fail("f7t_auth_refresh_token_new", status);

    status = f7t_auth_get_access_token(auth, on_token, &first);
    if (status != F7T_STATUS_OK) {
        rc = fail("the first refresh", status);
        goto done;
    }
    printf("first token: %lld bytes, %lld s left\n", (long long)first.length,
           (long long)(first.expires_at - (int64_t)time(NULL)));

    status = f7t_auth_invalidate(auth, NULL);
    if (status == F7T_STATUS_OK)
        status = f7t_auth_get_access_token(auth, on_token, &second);
    if (status != F7T_STATUS_OK) {
        rc = fail("the second refresh", status);
        goto done;
    }
    if (second.fingerprint == first.fingerprint) {
        fprintf(stderr, "%s: the second refresh returned the same token\n",
                PROGRAM);
        goto done;
    }
    printf("second token: %lld bytes, a new one\n", (long long)second.length);
    rc = 0;

done:
    f7t_auth_free(auth);
    return rc;
}
