/*
 * cpp_client_credentials: the C++ wrapper (firecrest_auth.hpp) end to end,
 * as a C++ simulation code would use it.
 *
 *   cpp_client_credentials     (reads AUTH_TOKEN_URL, FIRECREST_CLIENT_ID,
 *                               FIRECREST_CLIENT_SECRET, optional
 *                               F7T_RESOURCE)
 *
 * It gets a token for a service account, from several threads and without
 * blocking, checks that the handle cached it, shows who the token is for,
 * wraps the handle in a lambda token provider, and checks that failures
 * arrive as f7t::error with the library's status and message: a wrong
 * secret, a throwing provider, a string with a NUL inside, a moved-from
 * handle. With F7T_DEVICE_AUTH_URL and F7T_DEVICE_CLIENT_ID set, a device
 * login's prompt lambda cancels it. It prints token lengths and lifetimes,
 * never a token.
 */

#include "firecrest_auth.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

static_assert(!std::is_copy_constructible_v<f7t::auth>,
              "an auth handle has one owner");
static_assert(!std::is_copy_assignable_v<f7t::auth>,
              "an auth handle has one owner");
static_assert(std::is_nothrow_move_constructible_v<f7t::auth>,
              "an auth handle moves without throwing");
static_assert(std::is_nothrow_move_assignable_v<f7t::auth>,
              "an auth handle moves without throwing");

const char *const program = "cpp_client_credentials";

/* Thrown by the checks below: the program's own failure, not the
 * library's. */
struct check_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void expect(bool condition, const std::string &what)
{
    if (!condition)
        throw check_failed(what);
}

std::int64_t seconds_left(std::int64_t expires_at)
{
    return expires_at - static_cast<std::int64_t>(std::time(nullptr));
}

std::string env_or_empty(const char *name)
{
    const char *value = std::getenv(name);
    return value != nullptr ? value : "";
}

f7t::auth service_account()
{
    f7t::auth auth = f7t::auth::from_env();
    std::string resource = env_or_empty("F7T_RESOURCE");
    if (!resource.empty())
        auth.set_resource(resource);
    auth.set_user_agent_suffix("cpp_client_credentials/1");
    return auth;
}

/* Prints the subject and audience of a JWT; an opaque token has none. */
void describe(const std::string &token)
{
    try {
        std::optional<std::string> subject = f7t::token_claim(token, "sub");
        std::optional<std::string> audience = f7t::token_claim(token, "aud");
        std::cout << "  subject: " << subject.value_or("(none)") << "\n"
                  << "  audience: " << audience.value_or("(none)") << "\n";
    } catch (const f7t::error &e) {
        if (e.status() != F7T_STATUS_NOT_A_JWT)
            throw;
        std::cout << "  an opaque token: no claims to show\n";
    }
}

void check_tokens(const f7t::auth &auth)
{
    f7t::token first = auth.get_access_token();
    std::cout << "got a " << first.value.size() << "-byte token, valid for "
              << seconds_left(first.expires_at) << " s\n";
    describe(first.value);

    /* The same token again, lent to a lambda instead of copied. */
    bool same = false;
    auth.with_access_token([&](std::string_view token, std::int64_t) {
        same = token == first.value;
    });
    expect(same, "the second call did not come from the cache");

    /* Without blocking: the library's worker thread fulfils the future.
     * (Before the threads below: glibc would give the worker a stack they
     * left behind, and valgrind would blame their creation for the
     * worker's thread-local storage, which lives until exit.) */
    std::future<f7t::token> pending = auth.get_access_token_async();
    expect(pending.get().value == first.value,
           "the asynchronous call got another token");
    std::cout << "the asynchronous call got the cached token\n";

    /* Several threads at once share the cached token. */
    std::vector<std::thread> threads;
    std::vector<std::string> seen(4);
    for (std::string &slot : seen)
        threads.emplace_back([&auth, &slot] {
            slot = auth.get_access_token().value;
        });
    for (std::thread &thread : threads)
        thread.join();
    for (const std::string &token : seen)
        expect(token == first.value, "a thread got another token");
    std::cout << seen.size() << " threads got the cached token\n";

    f7t::header header = auth.get_header();
    expect(header.name == "Authorization" &&
               header.value == "Bearer " + first.value,
           "the header is not Authorization: Bearer <token>");
    std::cout << "header: " << header.name << ": Bearer <"
              << first.value.size() << " bytes>\n";

    /* An exception thrown by a lambda comes out of the call. */
    try {
        auth.with_access_token([](std::string_view, std::int64_t) {
            throw std::runtime_error("thrown inside the token callback");
        });
        expect(false, "the callback's exception was lost");
    } catch (const std::runtime_error &e) {
        expect(std::string(e.what()) == "thrown inside the token callback",
               "another exception came out of with_access_token");
    }
}

/* A lambda token provider: the C++ form of pyFirecREST's "any object with
 * get_access_token()". Here it relays the service account's handle. */
void check_provider(const f7t::auth &upstream)
{
    int calls = 0;
    f7t::auth relay = f7t::auth::from_callback([&upstream, &calls] {
        ++calls;
        f7t::token token = upstream.get_access_token();
        return f7t::provided_token(
            token.value, std::chrono::seconds(seconds_left(token.expires_at)));
    });
    for (int i = 0; i < 3; ++i)
        relay.get_access_token();
    expect(calls == 1, "the provider's token was not cached");
    relay.invalidate();
    relay.get_access_token();
    expect(calls == 2, "invalidate did not call the provider again");
    std::cout << "lambda provider: 4 gets, " << calls << " calls\n";

    f7t::auth failing = f7t::auth::from_callback([]() -> std::string {
        throw std::runtime_error("the token broker is not running");
    });
    try {
        failing.get_access_token();
        expect(false, "a throwing provider gave a token");
    } catch (const f7t::error &e) {
        expect(e.status() == F7T_STATUS_PROVIDER_FAILED &&
                   e.detail().find("broker is not running") !=
                       std::string::npos,
               std::string("a throwing provider gave: ") + e.what());
        std::cout << "a throwing provider gives f7t::error:\n  " << e.what()
                  << "\n";
    }
}

void check_failures()
{
    f7t::auth wrong = f7t::auth::client_credentials(
        env_or_empty("AUTH_TOKEN_URL"), env_or_empty("FIRECREST_CLIENT_ID"),
        "not-the-secret");
    try {
        wrong.get_access_token();
        expect(false, "a wrong secret gave a token");
    } catch (const f7t::error &e) {
        expect(e.status() == F7T_STATUS_INVALID_CLIENT,
               std::string("a wrong secret gave: ") + e.what());
        std::cout << "a wrong secret gives f7t::error:\n  " << e.what()
                  << "\n";
    }

    try {
        f7t::auth::static_token(std::string("abc\0def", 7));
        expect(false, "a token with a NUL inside was accepted");
    } catch (const f7t::error &e) {
        expect(e.status() == F7T_STATUS_INVALID_ARGUMENT,
               std::string("a NUL inside gave: ") + e.what());
    }

    f7t::auth original = f7t::auth::static_token("not-a-real-token");
    f7t::auth owner = std::move(original);
    expect(!original && owner, "the move left the handle behind");
    try {
        original.get_access_token();
        expect(false, "a moved-from handle gave a token");
    } catch (const f7t::error &e) {
        expect(e.status() == F7T_STATUS_NULL_ARGUMENT,
               std::string("a moved-from handle gave: ") + e.what());
    }
    std::cout << "a NUL inside a string and a moved-from handle are "
                 "refused\n";
}

/* A device login whose prompt, a lambda, declines: the login is cancelled
 * before anyone is asked to approve it. Runs when F7T_DEVICE_AUTH_URL and
 * F7T_DEVICE_CLIENT_ID name a device endpoint and a public client. */
void check_device_prompt()
{
    std::string endpoint = env_or_empty("F7T_DEVICE_AUTH_URL");
    std::string client_id = env_or_empty("F7T_DEVICE_CLIENT_ID");
    if (endpoint.empty() || client_id.empty())
        return;
    f7t::auth device = f7t::auth::device_code(
        endpoint, env_or_empty("AUTH_TOKEN_URL"), client_id);
    std::string code;
    device.set_device_prompt([&code](const f7t::device_prompt &prompt) {
        code.assign(prompt.user_code);
        return false;
    });
    try {
        device.get_access_token();
        expect(false, "a declined device login gave a token");
    } catch (const f7t::error &e) {
        expect(e.status() == F7T_STATUS_CANCELLED && !code.empty(),
               std::string("a declined device login gave: ") + e.what());
    }
    std::cout << "a device prompt lambda saw a " << code.size()
              << "-character code and cancelled the login\n";
}

} // namespace

int main()
{
    try {
        std::cout << "firecrest-auth " << f7t::version() << "\n";
        expect(f7t::version() == F7T_VERSION,
               "the library is not the version of the header");
        f7t::auth auth = service_account();
        check_tokens(auth);
        check_provider(auth);
        check_failures();
        check_device_prompt();
    } catch (const f7t::error &e) {
        std::cerr << program << ": " << e.what() << "\n";
        return EXIT_FAILURE;
    } catch (const std::exception &e) {
        std::cerr << program << ": " << e.what() << "\n";
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
