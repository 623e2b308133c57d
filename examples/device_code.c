/*
 * device_code: log a person in with the device authorization grant (RFC
 * 8628), as on an HPC login node where no browser runs: the program shows
 * a web address and a code, the person approves on any device, and the
 * program gets its token.
 *
 *   device_code [TOKEN_STORE]
 *
 * The provider comes from F7T_IDP_ISSUER (its issuer URL; the endpoints are
 * discovered), the client from F7T_DEVICE_CLIENT_ID (default
 * "device-public", a public client). With TOKEN_STORE, the login is kept in
 * that file (mode 0600) for later processes: batch jobs then get tokens
 * without a prompt while the refresh token lives.
 *
 * The prompt goes to stderr, never stdout, which may be a program's data.
 * The program then asks for a token again after invalidating it, to show
 * that the refresh token renews it without a second login.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PROGRAM "device_code"

struct prompt_state {
    int shown;
};

/* Shows the person what to do; returning 0 means "keep waiting". */
static int32_t on_prompt(void *userdata, const char *verification_uri,
                         const char *verification_uri_complete,
                         const char *user_code, int64_t expires_in)
{
    struct prompt_state *state = userdata;

    state->shown++;
    fprintf(stderr, "\nTo log in, open %s and enter the code %s\n",
            verification_uri, user_code);
    if (verification_uri_complete != NULL)
        fprintf(stderr, "(or open %s)\n", verification_uri_complete);
    fprintf(stderr, "The code is valid for %lld s.\n\n",
            (long long)expires_in);
    return 0;
}

struct token_seen {
    int64_t length;
    int64_t expires_at;
    uint64_t fingerprint; /* FNV-1a: tells tokens apart, never printed */
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

int main(int argc, char **argv)
{
    const char *issuer = getenv("F7T_IDP_ISSUER");
    const char *client_id = getenv("F7T_DEVICE_CLIENT_ID");
    struct prompt_state prompt = {0};
    struct token_seen seen = {0}, first = {0};
    f7t_auth *auth = NULL;
    f7t_status status;
    int rc = 1;

    if (issuer == NULL || argc > 2) {
        fprintf(stderr, "usage: F7T_IDP_ISSUER=URL %s [TOKEN_STORE]\n",
                PROGRAM);
        return 2;
    }
    if (client_id == NULL)
        client_id = "device-public";

    status = f7t_auth_device_code_from_issuer_new(issuer, client_id, NULL,
                                                  &auth);
    if (status != F7T_STATUS_OK)
        return fail("f7t_auth_device_code_from_issuer_new", status);
    /* offline_access asks for the refresh token that spares later logins. */
    status = f7t_auth_set_scope(auth, "openid offline_access");
    if (status == F7T_STATUS_OK)
        status = f7t_auth_set_device_prompt(auth, on_prompt, &prompt, NULL);
    if (status == F7T_STATUS_OK && argc == 2)
        status = f7t_auth_set_token_store(auth, argv[1]);
    if (status != F7T_STATUS_OK) {
        rc = fail("configuring the handle", status);
        goto done;
    }

    status = f7t_auth_get_access_token(auth, on_token, &seen);
    if (status != F7T_STATUS_OK) {
        rc = fail("the login", status);
        goto done;
    }
    printf("logged in: a %lld-byte token, %lld s left\n",
           (long long)seen.length,
           (long long)(seen.expires_at - (int64_t)time(NULL)));

    /* As after an HTTP 401: the refresh token renews it, no new prompt. */
    first = seen;
    status = f7t_auth_invalidate(auth, NULL);
    if (status == F7T_STATUS_OK)
        status = f7t_auth_get_access_token(auth, on_token, &seen);
    if (status != F7T_STATUS_OK) {
        rc = fail("the renewal", status);
        goto done;
    }
    if (seen.fingerprint == first.fingerprint) {
        fprintf(stderr, "%s: the rejected token was handed out again\n",
                PROGRAM);
        goto done;
    }
    if (prompt.shown != 1) {
        fprintf(stderr, "%s: expected one prompt, saw %d\n", PROGRAM,
                prompt.shown);
        goto done;
    }
    printf("renewed with the refresh token: a %lld-byte token\n",
           (long long)seen.length);
    if (argc == 2)
        printf("the login is kept in %s for later processes\n", argv[1]);
    rc = 0;

done:
    f7t_auth_free(auth);
    return rc;
}
