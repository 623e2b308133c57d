/*
 * api_key: send an API key in its own header, as FirecREST's
 * service-account proxy expects (`X-API-Key: <key>`).
 *
 *   api_key [HEADER_NAME]
 *
 * The key comes from FIRECREST_API_KEY, the variable pyFirecREST's command
 * line reads. An API key is not a bearer token: the handle yields a whole
 * header through f7t_auth_get_header, which works the same for every kind
 * of handle, so code that builds requests that way does not care which
 * kind it was given. The program prints the header's name and the key's
 * length, never the key.
 */

#include "firecrest_auth.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "api_key"

struct header_info {
    char name[128];
    size_t value_length;
    int64_t expires_at;
    int calls;
};

static void on_header(void *userdata, const char *name, const char *value,
                      int64_t expires_at)
{
    struct header_info *info = userdata;

    /* Both strings are lent only for this call: copy what we keep. */
    snprintf(info->name, sizeof info->name, "%s", name);
    info->value_length = strlen(value);
    info->expires_at = expires_at;
    info->calls++;
}

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    (void)userdata;
    (void)token;
    (void)token_len;
    (void)expires_at;
}

static int fail(const char *what, f7t_status status)
{
    fprintf(stderr, PROGRAM ": %s failed: %s (status %d)\n  %s\n", what,
            f7t_status_str(status), (int)status, f7t_last_error_message());
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    const char *key = getenv("FIRECREST_API_KEY");
    const char *header_name = argc > 1 ? argv[1] : NULL;
    f7t_auth *auth = NULL;
    struct header_info info;
    f7t_status status;
    int exit_code = EXIT_FAILURE;

    if (argc > 2 || key == NULL || key[0] == '\0') {
        fprintf(stderr, "usage: FIRECREST_API_KEY=... " PROGRAM
                " [HEADER_NAME]\n(HEADER_NAME defaults to X-API-Key)\n");
        return 2;
    }

    /* NULL picks the header FirecREST's proxy reads. */
    status = f7t_auth_api_key_new(header_name, key, &auth);
    if (status != F7T_STATUS_OK)
        return fail("f7t_auth_api_key_new", status);

    memset(&info, 0, sizeof info);
    status = f7t_auth_get_header(auth, on_header, &info);
    if (status != F7T_STATUS_OK) {
        fail("f7t_auth_get_header", status);
        goto done;
    }
    if (info.calls != 1 || info.value_length != strlen(key)) {
        fprintf(stderr, PROGRAM ": the header does not carry the key\n");
        goto done;
    }
    printf("header: %s: <%zu-byte key>\n", info.name, info.value_length);
    printf("expiry: %s\n", info.expires_at == 0 ? "none (keys do not expire"
           " on their own)" : "set");

    /* Asking for a bearer token is a mistake the library names, rather
     * than sending the key where a token is expected. */
    status = f7t_auth_get_access_token(auth, on_token, NULL);
    if (status != F7T_STATUS_WRONG_HANDLE_KIND) {
        fprintf(stderr, PROGRAM ": f7t_auth_get_access_token on an API key"
                " handle gave %s (status %d), expected %s\n",
                f7t_status_str(status), (int)status,
                f7t_status_str(F7T_STATUS_WRONG_HANDLE_KIND));
        goto done;
    }
    printf("f7t_auth_get_access_token refuses, as it should:\n  %s\n",
           f7t_last_error_message());
    exit_code = EXIT_SUCCESS;

done:
    f7t_auth_free(auth);
    return exit_code;
}
