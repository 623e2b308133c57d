/*
 * bad_input: what the C API does with the mistakes C programs make.
 *
 *   bad_input
 *
 * Reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and FIRECREST_CLIENT_SECRET (a
 * client the server accepts, such as the bundled provider's cc-post). Each
 * check passes NULL, invalid UTF-8, a wrong secret, a plain HTTP URL to
 * another host or a buffer that is too small, and asserts the status that
 * comes back, that no output was written, and that neither the error text
 * nor any log line contains a secret. The library must never crash or
 * abort for any of these: a crash here is a bug in the library.
 */

#define _POSIX_C_SOURCE 200112L /* setenv, unsetenv */

#include "firecrest_auth.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "bad_input"

/* A secret the server will refuse, and one that is not even UTF-8. Neither
 * may appear in any message or log line. */
#define WRONG_SECRET "wrong-secret-7f3a9c"
#define NOT_UTF8_SECRET "secret-\xff\xfe-bytes"

/* A host no test may reach: the library must refuse it before any DNS
 * lookup or connection, so nothing leaves this machine. */
#define INSECURE_ENDPOINT "http://auth.example.invalid/token"

static const char *real_secret;
static int checks, failures;

/* Log lines may arrive on the library's network thread. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_lines, log_leaks;

static int contains_secret(const char *text)
{
    return strstr(text, WRONG_SECRET) != NULL ||
           strstr(text, NOT_UTF8_SECRET) != NULL ||
           (real_secret != NULL && strstr(text, real_secret) != NULL);
}

static void on_log(void *userdata, int32_t level, const char *message)
{
    (void)userdata;
    (void)level;
    pthread_mutex_lock(&log_lock);
    log_lines++;
    if (contains_secret(message))
        log_leaks++;
    pthread_mutex_unlock(&log_lock);
}

/* Records one check: the status must be `expected`, the thread's last
 * error must agree with it, and its text must be free of secrets. */
static void expect(const char *what, f7t_status got, f7t_status expected)
{
    const char *message = f7t_last_error_message();
    int ok = got == expected;

    checks++;
    if (got != F7T_STATUS_OK) {
        ok = ok && message != NULL && f7t_last_error_status() == got;
        if (message != NULL && contains_secret(message)) {
            fprintf(stderr, "  the error message contains a secret\n");
            ok = 0;
        }
    }
    if (ok) {
        printf("ok    %-46s %s\n", what, f7t_status_str(got));
        return;
    }
    failures++;
    printf("FAIL  %s: expected %s (%d), got %s (%d)\n      %s\n", what,
           f7t_status_str(expected), (int)expected, f7t_status_str(got),
           (int)got, message != NULL ? message : "(NULL message)");
}

/* Records a status saved earlier, when the last error has moved on. */
static void expect_saved(const char *what, f7t_status got,
                         f7t_status expected)
{
    checks++;
    if (got == expected) {
        printf("ok    %-46s %s\n", what, f7t_status_str(got));
        return;
    }
    failures++;
    printf("FAIL  %s: expected %s (%d), got %s (%d)\n", what,
           f7t_status_str(expected), (int)expected, f7t_status_str(got),
           (int)got);
}

/* Records a check of a condition other than a status. */
static void expect_true(const char *what, int condition)
{
    checks++;
    if (condition) {
        printf("ok    %s\n", what);
        return;
    }
    failures++;
    printf("FAIL  %s\n", what);
}

static int token_calls;

static void on_token(void *userdata, const char *token, int64_t token_len,
                     int64_t expires_at)
{
    (void)userdata;
    (void)token;
    (void)token_len;
    (void)expires_at;
    token_calls++;
}

static void on_header(void *userdata, const char *name, const char *value,
                      int64_t expires_at)
{
    (void)userdata;
    (void)name;
    (void)value;
    (void)expires_at;
}

static int finalizer_calls;

static void count_finalizer(void *userdata)
{
    (void)userdata;
    finalizer_calls++;
}

/* Returns 0 without a token: a provider bug the library must report. */
static int32_t forgetful_provider(void *userdata, f7t_token_sink *sink)
{
    (void)userdata;
    (void)sink;
    return 0;
}

/* Tries the sink with bad values first, then gives a proper token. */
static int32_t careless_provider(void *userdata, f7t_token_sink *sink)
{
    f7t_status *statuses = userdata;

    statuses[0] = f7t_token_sink_set_token(sink, "", 60);
    statuses[1] = f7t_token_sink_set_token(sink, "tok", -1);
    statuses[2] = f7t_token_sink_set_token(NULL, "tok", 60);
    statuses[3] = f7t_token_sink_set_token(sink, "t\xc3\x28", 60);
    statuses[4] = f7t_token_sink_set_error(sink, NULL);
    return f7t_token_sink_set_token(sink, "provided-token", 60);
}

static void check_constructors(const char *endpoint, const char *client_id)
{
    /* Outputs are written only on success: `out` must keep this value. */
    f7t_auth *const untouched = (f7t_auth *)&checks;
    f7t_auth *out = untouched;

    expect("NULL token endpoint",
           f7t_auth_client_credentials_new(NULL, client_id, WRONG_SECRET,
                                           &out), F7T_STATUS_NULL_ARGUMENT);
    expect_true("  ... names the argument",
                strstr(f7t_last_error_message(), "token_endpoint") != NULL);
    expect("NULL client id",
           f7t_auth_client_credentials_new(endpoint, NULL, WRONG_SECRET,
                                           &out), F7T_STATUS_NULL_ARGUMENT);
    expect("NULL client secret",
           f7t_auth_client_credentials_new(endpoint, client_id, NULL, &out),
           F7T_STATUS_NULL_ARGUMENT);
    expect("NULL out",
           f7t_auth_client_credentials_new(endpoint, client_id,
                                           WRONG_SECRET, NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect("empty client id",
           f7t_auth_client_credentials_new(endpoint, "", WRONG_SECRET, &out),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("client id not UTF-8",
           f7t_auth_client_credentials_new(endpoint, "id-\xc3\x28",
                                           WRONG_SECRET, &out),
           F7T_STATUS_INVALID_UTF8);
    expect("client secret not UTF-8 (and not echoed)",
           f7t_auth_client_credentials_new(endpoint, client_id,
                                           NOT_UTF8_SECRET, &out),
           F7T_STATUS_INVALID_UTF8);
    expect("token endpoint not a URL",
           f7t_auth_client_credentials_new("not a url", client_id,
                                           WRONG_SECRET, &out),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("token endpoint not http(s)",
           f7t_auth_client_credentials_new("ftp://127.0.0.1/token",
                                           client_id, WRONG_SECRET, &out),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("NULL static token", f7t_auth_static_token_new(NULL, 0, &out),
           F7T_STATUS_NULL_ARGUMENT);
    expect("static token with a space",
           f7t_auth_static_token_new("two words", 0, &out),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("NULL API key", f7t_auth_api_key_new(NULL, NULL, &out),
           F7T_STATUS_NULL_ARGUMENT);
    expect("API key header name with a space",
           f7t_auth_api_key_new("X API Key", "key", &out),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("NULL provider", f7t_auth_callback_new(NULL, NULL, NULL, &out),
           F7T_STATUS_NULL_ARGUMENT);
    expect("callback handle with NULL out",
           f7t_auth_callback_new(forgetful_provider, NULL, count_finalizer,
                                 NULL), F7T_STATUS_NULL_ARGUMENT);
    expect_true("  ... and its finalizer is not called",
                finalizer_calls == 0);
    expect("from_env with NULL out", f7t_auth_from_env(NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect_true("no constructor wrote its output on failure",
                out == untouched);
}

static void check_null_handle(void)
{
    char buffer[16];
    int64_t length = 0;

    expect("get_access_token on NULL",
           f7t_auth_get_access_token(NULL, on_token, NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect("get_header on NULL", f7t_auth_get_header(NULL, on_header, NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect("copy_access_token on NULL",
           f7t_auth_copy_access_token(NULL, buffer, sizeof buffer, &length,
                                      NULL), F7T_STATUS_NULL_ARGUMENT);
    expect("invalidate on NULL", f7t_auth_invalidate(NULL, NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect("set_resource on NULL",
           f7t_auth_set_resource(NULL, "https://firecrest.test"),
           F7T_STATUS_NULL_ARGUMENT);
    expect("set_min_validity on NULL", f7t_auth_set_min_validity(NULL, 60),
           F7T_STATUS_NULL_ARGUMENT);
    f7t_auth_free(NULL); /* documented as ignored */
    expect_true("f7t_auth_free(NULL) returned", 1);
}

static void check_settings(f7t_auth *auth)
{
    expect("client auth method 7", f7t_auth_set_client_auth(auth, 7),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("negative min validity", f7t_auth_set_min_validity(auth, -1),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("zero connect timeout", f7t_auth_set_timeouts(auth, 0, 1000),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("negative retries", f7t_auth_set_max_retries(auth, -1),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("resource not UTF-8", f7t_auth_set_resource(auth, "r\xc3\x28"),
           F7T_STATUS_INVALID_UTF8);
    expect("missing CA file",
           f7t_auth_set_ca_file(auth, "/nonexistent/f7t-ca.pem"),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("user agent suffix with a newline",
           f7t_auth_set_user_agent_suffix(auth, "evil\r\nX-Injected: 1"),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("log level 0", f7t_set_log_callback(on_log, NULL, 0),
           F7T_STATUS_INVALID_ARGUMENT);
    expect("NULL callback", f7t_auth_get_access_token(auth, NULL, NULL),
           F7T_STATUS_NULL_ARGUMENT);
    expect("invalidate with a non-UTF-8 token",
           f7t_auth_invalidate(auth, "\xff"), F7T_STATUS_INVALID_UTF8);
}

static void check_wrong_secret(const char *endpoint, const char *client_id)
{
    f7t_auth *auth = NULL;
    f7t_status status;

    status = f7t_auth_client_credentials_new(endpoint, client_id,
                                             WRONG_SECRET, &auth);
    expect("handle with a wrong secret", status, F7T_STATUS_OK);
    if (status != F7T_STATUS_OK)
        return;
    token_calls = 0;
    expect("token with a wrong secret",
           f7t_auth_get_access_token(auth, on_token, NULL),
           F7T_STATUS_INVALID_CLIENT);
    expect_true("  ... names the token endpoint",
                strstr(f7t_last_error_message(), endpoint) != NULL);
    expect_true("  ... names the server's error",
                strstr(f7t_last_error_message(), "invalid_client") != NULL);
    expect_true("  ... and never called the callback", token_calls == 0);
    f7t_auth_free(auth);
}

static void check_insecure_url(const char *client_id)
{
    f7t_auth *auth = NULL;
    f7t_status status;

    /* The URL is only parsed here: the policy is applied at fetch time, so
     * f7t_auth_set_allow_insecure_http can still be called in between. */
    status = f7t_auth_client_credentials_new(INSECURE_ENDPOINT, client_id,
                                             WRONG_SECRET, &auth);
    expect("handle for plain HTTP to another host", status, F7T_STATUS_OK);
    if (status != F7T_STATUS_OK)
        return;
    expect("token over plain HTTP to another host",
           f7t_auth_get_access_token(auth, on_token, NULL),
           F7T_STATUS_INSECURE_URL);
    expect_true("  ... names the URL",
                strstr(f7t_last_error_message(), "auth.example.invalid")
                != NULL);
    f7t_auth_free(auth);
}

static void check_buffers(f7t_auth *auth)
{
    char small[8], exact[2048], claim[2];
    int64_t length = -1, claim_length = -1;
    int64_t expires_at = -1;
    f7t_status status;

    memset(small, 'x', sizeof small);
    status = f7t_auth_copy_access_token(auth, small, sizeof small, &length,
                                        &expires_at);
    expect("copy into an 8-byte buffer", status,
           F7T_STATUS_BUFFER_TOO_SMALL);
    expect_true("  ... reports the length needed", length > 8);
    expect_true("  ... leaves the buffer and expiry untouched",
                memcmp(small, "xxxxxxxx", sizeof small) == 0 &&
                expires_at == -1);
    if (length <= 8 || length >= (int64_t)sizeof exact)
        return;

    /* Room for the token but not its NUL is still too small. */
    expect("copy without room for the NUL",
           f7t_auth_copy_access_token(auth, exact, length, NULL, NULL),
           F7T_STATUS_BUFFER_TOO_SMALL);
    expect("copy into a buffer of the reported size",
           f7t_auth_copy_access_token(auth, exact, length + 1, &length,
                                      &expires_at), F7T_STATUS_OK);
    expect_true("  ... copies the whole token with its NUL",
                (int64_t)strlen(exact) == length && expires_at > 0);
    length = -1;
    expect("NULL buffer of size 0 asks for the length",
           f7t_auth_copy_access_token(auth, NULL, 0, &length, NULL),
           F7T_STATUS_BUFFER_TOO_SMALL);
    expect_true("  ... and reports it", length == (int64_t)strlen(exact));
    expect("copy into a NULL buffer of size 10",
           f7t_auth_copy_access_token(auth, NULL, 10, &length, NULL),
           F7T_STATUS_NULL_ARGUMENT);

    /* The token is a JWT when a resource was asked for (see main). */
    expect("claim into a 2-byte buffer",
           f7t_token_claim(exact, "sub", claim, sizeof claim, &claim_length),
           F7T_STATUS_BUFFER_TOO_SMALL);
    expect_true("  ... reports the claim's length", claim_length > 1);
    expect("claim that is absent",
           f7t_token_claim(exact, "f7t_no_such_claim", exact, 2, NULL),
           F7T_STATUS_NOT_FOUND);
    expect("claim of an opaque token",
           f7t_token_claim("opaque-token-value", "sub", claim, sizeof claim,
                           NULL), F7T_STATUS_NOT_A_JWT);
    memset(exact, 0, sizeof exact); /* it held a live token */
}

static void check_providers(void)
{
    f7t_status statuses[5];
    f7t_auth *auth = NULL;
    f7t_status status;

    status = f7t_auth_callback_new(forgetful_provider, NULL, count_finalizer,
                                   &auth);
    expect("callback handle", status, F7T_STATUS_OK);
    if (status == F7T_STATUS_OK) {
        expect("provider that returns 0 without a token",
               f7t_auth_get_access_token(auth, on_token, NULL),
               F7T_STATUS_PROVIDER_FAILED);
        f7t_auth_free(auth);
        expect_true("  ... finalizer called once on free",
                    finalizer_calls == 1);
    }

    auth = NULL;
    status = f7t_auth_callback_new(careless_provider, statuses, NULL, &auth);
    if (status != F7T_STATUS_OK) {
        expect("callback handle", status, F7T_STATUS_OK);
        return;
    }
    expect("provider that recovers from its own mistakes",
           f7t_auth_get_access_token(auth, on_token, NULL), F7T_STATUS_OK);
    expect_saved("  sink: empty token", statuses[0],
                 F7T_STATUS_INVALID_ARGUMENT);
    expect_saved("  sink: negative lifetime", statuses[1],
                 F7T_STATUS_INVALID_ARGUMENT);
    expect_saved("  sink: NULL sink", statuses[2], F7T_STATUS_NULL_ARGUMENT);
    expect_saved("  sink: token not UTF-8", statuses[3],
                 F7T_STATUS_INVALID_UTF8);
    expect_saved("  sink: NULL error message", statuses[4],
                 F7T_STATUS_NULL_ARGUMENT);
    f7t_auth_free(auth);
}

static void check_environment(void)
{
    f7t_auth *auth = NULL;

    unsetenv("AUTH_TOKEN_URL");
    unsetenv("FIRECREST_CLIENT_ID");
    unsetenv("FIRECREST_CLIENT_SECRET");
    unsetenv("FIRECREST_API_KEY");
    expect("from_env with nothing set", f7t_auth_from_env(&auth),
           F7T_STATUS_MISSING_ENVIRONMENT);
    expect_true("  ... names the missing variables",
                strstr(f7t_last_error_message(), "AUTH_TOKEN_URL") != NULL);
    expect_true("  ... and leaves out NULL", auth == NULL);
}

int main(void)
{
    const char *endpoint = getenv("AUTH_TOKEN_URL");
    const char *client_id = getenv("FIRECREST_CLIENT_ID");
    f7t_auth *auth = NULL;
    f7t_status status;

    real_secret = getenv("FIRECREST_CLIENT_SECRET");
    if (endpoint == NULL || client_id == NULL || real_secret == NULL) {
        fprintf(stderr, PROGRAM ": set AUTH_TOKEN_URL, FIRECREST_CLIENT_ID"
                " and FIRECREST_CLIENT_SECRET (tests/idp/with-idp.sh"
                " does)\n");
        return 2;
    }
    /* Debug level: the most the library ever logs, all of it scanned. */
    status = f7t_set_log_callback(on_log, NULL, F7T_LOG_DEBUG);
    if (status != F7T_STATUS_OK) {
        fprintf(stderr, PROGRAM ": f7t_set_log_callback: %s\n",
                f7t_last_error_message());
        return EXIT_FAILURE;
    }

    expect_true("f7t_last_error_message is never NULL",
                f7t_last_error_message() != NULL);
    expect_true("unknown status code has a text",
                strcmp(f7t_status_str(12345), "unknown status code") == 0);
    check_constructors(endpoint, client_id);
    check_null_handle();
    check_wrong_secret(endpoint, client_id);
    check_insecure_url(client_id);
    check_providers();

    status = f7t_auth_client_credentials_new(endpoint, client_id,
                                             real_secret, &auth);
    expect("handle with the right secret", status, F7T_STATUS_OK);
    if (status == F7T_STATUS_OK) {
        check_settings(auth);
        /* A JWT, so that the claim checks have claims to read. */
        expect("set resource",
               f7t_auth_set_resource(auth, "https://firecrest.test"),
               F7T_STATUS_OK);
        check_buffers(auth);
        f7t_auth_free(auth);
    }
    check_environment();

    /* Stop logging before reading the counters: no line can arrive later. */
    f7t_set_log_callback(NULL, NULL, F7T_LOG_ERROR);
    pthread_mutex_lock(&log_lock);
    expect_true("no log line contains a secret", log_leaks == 0);
    printf("      (%d log lines scanned)\n", log_lines);
    pthread_mutex_unlock(&log_lock);

    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
