/*
 * A program outside the source tree, built against an installed
 * firecrest-auth (tests/install/run.sh builds it with pkg-config and with
 * CMake's find_package). It checks that the library it runs with is the
 * one its header describes, and uses a static-token handle, which needs no
 * network.
 *
 *   consumer HOW      (HOW names the build, for the output)
 */

#include <firecrest_auth.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void on_header(void *userdata, const char *name, const char *value,
                      int64_t expires_at)
{
    int *ok = userdata;

    (void)expires_at;
    *ok = strcmp(name, "Authorization") == 0 &&
          strcmp(value, "Bearer install-test-token") == 0;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "?";
    f7t_auth *auth = NULL;
    f7t_status status;
    int ok = 0;

    if (strcmp(f7t_version(), F7T_VERSION) != 0) {
        fprintf(stderr, "%s: the header says %s, the library %s\n", how,
                F7T_VERSION, f7t_version());
        return 1;
    }
    status = f7t_auth_static_token_new("install-test-token", 0, &auth);
    if (status == F7T_STATUS_OK)
        status = f7t_auth_get_header(auth, on_header, &ok);
    f7t_auth_free(auth);
    if (status != F7T_STATUS_OK || !ok) {
        fprintf(stderr, "%s: %s: %s\n", how, f7t_status_str(status),
                f7t_last_error_message());
        return 1;
    }
    printf("%s: firecrest-auth %s works\n", how, f7t_version());
    return 0;
}
