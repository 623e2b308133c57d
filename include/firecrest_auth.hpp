/*
 * firecrest_auth.hpp: a header-only C++17 wrapper over firecrest_auth.h.
 *
 * The C API in RAII form: f7t::auth owns one handle (movable, not
 * copyable) and frees it in its destructor; strings go in and out as
 * std::string; a failing call throws f7t::error, which carries the status
 * and the library's detail message; callbacks take lambdas.
 *
 *     f7t::auth auth = f7t::auth::from_env();
 *     auth.set_resource("https://firecrest.example.org");
 *     f7t::header header = auth.get_header();   // "Authorization", ...
 *
 * Everything here is inline and calls only the C functions, so a program
 * links the same libfirecrest_auth as a C program does. The C conventions
 * hold unchanged: a handle may be used from many threads at once, and
 * only its destruction must not race with other calls on it.
 */

#ifndef FIRECREST_AUTH_HPP
#define FIRECREST_AUTH_HPP

#include "firecrest_auth.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace f7t {

/*
 * A failed call: the status (one of the F7T_STATUS_* codes) and the
 * library's detail message (endpoint, HTTP status, the server's error and
 * error_description, what to check, and f7t_status_str's text). what()
 * gives both in one line: "firecrest-auth status 401: <detail>".
 */
class error : public std::runtime_error {
public:
    error(f7t_status status, const std::string &detail)
        : std::runtime_error(describe(status, detail)), status_(status),
          detail_(std::make_shared<const std::string>(detail))
    {
    }

    f7t_status status() const noexcept { return status_; }

    /* The detail message alone, as f7t_last_error_message() gave it. */
    const std::string &detail() const noexcept { return *detail_; }

private:
    static std::string describe(f7t_status status, const std::string &detail)
    {
        std::string text = "firecrest-auth status ";
        text += std::to_string(static_cast<std::int32_t>(status));
        text += ": ";
        text += detail;
        return text;
    }

    f7t_status status_;
    /* Shared so that copying the exception cannot throw. */
    std::shared_ptr<const std::string> detail_;
};

/* A token handed out by the library. `expires_at` is Unix seconds, 0 when
 * unknown. The copy in `value` is yours: it is a credential, so keep it
 * no longer than you need it (with_access_token avoids the copy). */
struct token {
    std::string value;
    std::int64_t expires_at = 0;
};

/* The header to send with an API request: `Authorization` and
 * `Bearer <token>`, or an API key's header and the key. */
struct header {
    std::string name;
    std::string value;
    std::int64_t expires_at = 0;
};

/* What a token provider (auth::from_callback) returns: the token and its
 * lifetime from now; 0 s asks the library to read the JWT `exp` claim (or
 * assume 300 s). A provider may also return a plain std::string. */
struct provided_token {
    provided_token(std::string token,
                   std::chrono::seconds lifetime = std::chrono::seconds(0))
        : access_token(std::move(token)), expires_in(lifetime)
    {
    }
    provided_token(const char *token,
                   std::chrono::seconds lifetime = std::chrono::seconds(0))
        : provided_token(std::string(token), lifetime)
    {
    }

    std::string access_token;
    std::chrono::seconds expires_in;
};

/* What a device login shows a person (auth::set_device_prompt). The views
 * are valid only during the prompt call; verification_uri_complete is
 * empty when the server sent none. */
struct device_prompt {
    std::string_view verification_uri;
    std::string_view verification_uri_complete;
    std::string_view user_code;
    std::chrono::seconds expires_in;
};

enum class client_auth : std::int32_t {
    post = F7T_CLIENT_AUTH_POST,  /* client_secret_post, the default */
    basic = F7T_CLIENT_AUTH_BASIC /* client_secret_basic */
};

namespace detail {

inline void check(f7t_status status)
{
    if (status != F7T_STATUS_OK)
        throw error(status, f7t_last_error_message());
}

/* The C API stops at the first NUL, so a string with one inside would be
 * cut short without a word: refuse it instead. */
inline const char *c_str(const std::string &text, const char *what)
{
    if (text.find('\0') != std::string::npos)
        throw error(F7T_STATUS_INVALID_ARGUMENT,
                    std::string(what) + " contains a NUL character");
    return text.c_str();
}

/* For parameters where the C API takes NULL (or "") as "not set". */
inline const char *optional_c_str(const std::string &text, const char *what)
{
    return text.empty() ? nullptr : c_str(text, what);
}

inline std::int32_t to_int32(std::int64_t value, const char *what)
{
    if (value < std::numeric_limits<std::int32_t>::min() ||
        value > std::numeric_limits<std::int32_t>::max())
        throw error(F7T_STATUS_INVALID_ARGUMENT,
                    std::string(what) + " is out of range");
    return static_cast<std::int32_t>(value);
}

/* Overwrites a string that held a credential before its memory is freed;
 * the volatile stores keep the compiler from dropping them. */
inline void wipe(std::string &text) noexcept
{
    volatile char *p = text.empty() ? nullptr : &text[0];
    for (std::size_t i = 0; i < text.size(); ++i)
        p[i] = '\0';
    text.clear();
}

/* A C callback must not let an exception out, so the trampolines below
 * catch it, and the caller rethrows it once the C call has returned. */
template <class F> struct visit {
    F *use;
    std::exception_ptr thrown;
};

template <class F>
void token_trampoline(void *userdata, const char *token,
                      std::int64_t token_len, std::int64_t expires_at) noexcept
{
    auto *v = static_cast<visit<F> *>(userdata);
    try {
        (*v->use)(std::string_view(token, static_cast<std::size_t>(token_len)),
                  expires_at);
    } catch (...) {
        v->thrown = std::current_exception();
    }
}

template <class F>
void header_trampoline(void *userdata, const char *name, const char *value,
                       std::int64_t expires_at) noexcept
{
    auto *v = static_cast<visit<F> *>(userdata);
    try {
        (*v->use)(std::string_view(name), std::string_view(value), expires_at);
    } catch (...) {
        v->thrown = std::current_exception();
    }
}

/* Runs the host's provider; an exception becomes the provider's failure
 * reason (its what() text), which reaches the caller inside the
 * F7T_STATUS_PROVIDER_FAILED message. */
template <class F>
std::int32_t provider_trampoline(void *userdata, f7t_token_sink *sink) noexcept
{
    try {
        provided_token result = (*static_cast<F *>(userdata))();
        f7t_status status = f7t_token_sink_set_token(
            sink, c_str(result.access_token, "the provided token"),
            static_cast<std::int64_t>(result.expires_in.count()));
        wipe(result.access_token);
        return status == F7T_STATUS_OK ? 0 : 1;
    } catch (const std::exception &e) {
        f7t_token_sink_set_error(sink, e.what());
    } catch (...) {
        f7t_token_sink_set_error(sink, "the C++ token provider threw");
    }
    return 1;
}

template <class F>
std::int32_t prompt_trampoline(void *userdata, const char *verification_uri,
                               const char *verification_uri_complete,
                               const char *user_code,
                               std::int64_t expires_in) noexcept
{
    device_prompt prompt{
        verification_uri,
        verification_uri_complete ? verification_uri_complete : "", user_code,
        std::chrono::seconds(expires_in)};
    try {
        return (*static_cast<F *>(userdata))(prompt) ? 0 : 1;
    } catch (...) {
        return 1; /* no way to carry it out: cancel the login instead */
    }
}

template <class F> void delete_userdata(void *userdata) noexcept
{
    delete static_cast<F *>(userdata);
}

inline void async_trampoline(void *userdata, f7t_status status,
                             const char *token, std::int64_t token_len,
                             std::int64_t expires_at) noexcept
{
    std::unique_ptr<std::promise<f7t::token>> promise(
        static_cast<std::promise<f7t::token> *>(userdata));
    try {
        if (status == F7T_STATUS_OK)
            promise->set_value(f7t::token{
                std::string(token, static_cast<std::size_t>(token_len)),
                expires_at});
        else
            promise->set_exception(std::make_exception_ptr(
                error(status, f7t_last_error_message())));
    } catch (...) {
        /* Out of memory while building the value: hand that on instead. */
        try {
            promise->set_exception(std::current_exception());
        } catch (...) {
        }
    }
}

} // namespace detail

/*
 * An auth handle: a source of access tokens with its cache. Made by one
 * of the static functions below, each a C constructor; freed when it goes
 * out of scope. Movable, not copyable; a moved-from auth holds no handle,
 * and calls on it throw f7t::error with F7T_STATUS_NULL_ARGUMENT.
 *
 * Methods that get tokens are const and may run on many threads at once.
 */
class auth {
public:
    /* The C constructors, one each; see firecrest_auth.h. An empty
     * optional string (client_secret, header_name) means "not set". */

    static auth client_credentials(const std::string &token_endpoint,
                                   const std::string &client_id,
                                   const std::string &client_secret)
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_client_credentials_new(
            detail::c_str(token_endpoint, "token_endpoint"),
            detail::c_str(client_id, "client_id"),
            detail::c_str(client_secret, "client_secret"), &raw));
        return auth(raw);
    }

    static auth client_credentials_from_issuer(const std::string &issuer,
                                               const std::string &client_id,
                                               const std::string &client_secret)
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_client_credentials_from_issuer_new(
            detail::c_str(issuer, "issuer"),
            detail::c_str(client_id, "client_id"),
            detail::c_str(client_secret, "client_secret"), &raw));
        return auth(raw);
    }

    /* FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL, or
     * FIRECREST_TOKEN_COMMAND, or FIRECREST_API_KEY. */
    static auth from_env()
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_from_env(&raw));
        return auth(raw);
    }

    static auth static_token(const std::string &token,
                             std::int64_t expires_at = 0)
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_static_token_new(
            detail::c_str(token, "token"), expires_at, &raw));
        return auth(raw);
    }

    /* The key comes first here so that the header can default to
     * X-API-Key; the C function takes the header name first. */
    static auth api_key(const std::string &api_key,
                        const std::string &header_name = std::string())
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_api_key_new(
            detail::optional_c_str(header_name, "header_name"),
            detail::c_str(api_key, "api_key"), &raw));
        return auth(raw);
    }

    static auth device_code(const std::string &device_authorization_endpoint,
                            const std::string &token_endpoint,
                            const std::string &client_id,
                            const std::string &client_secret = std::string())
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_device_code_new(
            detail::c_str(device_authorization_endpoint,
                          "device_authorization_endpoint"),
            detail::c_str(token_endpoint, "token_endpoint"),
            detail::c_str(client_id, "client_id"),
            detail::optional_c_str(client_secret, "client_secret"), &raw));
        return auth(raw);
    }

    static auth
    device_code_from_issuer(const std::string &issuer,
                            const std::string &client_id,
                            const std::string &client_secret = std::string())
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_device_code_from_issuer_new(
            detail::c_str(issuer, "issuer"),
            detail::c_str(client_id, "client_id"),
            detail::optional_c_str(client_secret, "client_secret"), &raw));
        return auth(raw);
    }

    static auth refresh_token(const std::string &token_endpoint,
                              const std::string &client_id,
                              const std::string &client_secret,
                              const std::string &refresh_token)
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_refresh_token_new(
            detail::c_str(token_endpoint, "token_endpoint"),
            detail::c_str(client_id, "client_id"),
            detail::optional_c_str(client_secret, "client_secret"),
            detail::c_str(refresh_token, "refresh_token"), &raw));
        return auth(raw);
    }

    static auth refresh_token_from_issuer(const std::string &issuer,
                                          const std::string &client_id,
                                          const std::string &client_secret,
                                          const std::string &refresh_token)
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_refresh_token_from_issuer_new(
            detail::c_str(issuer, "issuer"),
            detail::c_str(client_id, "client_id"),
            detail::optional_c_str(client_secret, "client_secret"),
            detail::c_str(refresh_token, "refresh_token"), &raw));
        return auth(raw);
    }

    static auth token_command(const std::string &command,
                              std::chrono::seconds lifetime =
                                  std::chrono::seconds(0))
    {
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_token_command_new(
            detail::c_str(command, "command"),
            static_cast<std::int64_t>(lifetime.count()), &raw));
        return auth(raw);
    }

    /*
     * Tokens from your own function, cached like any other: `provider()`
     * returns an f7t::provided_token (or a std::string) and is called only
     * when the cached token needs renewing, on the thread that needs it,
     * never on two threads at once for this handle. An exception it throws
     * fails that request with F7T_STATUS_PROVIDER_FAILED, its what() text
     * in the message (keep secrets out of it). The handle keeps a copy of
     * `provider` and destroys it when the handle is freed. The provider
     * must not ask its own handle for a token.
     */
    template <class Provider> static auth from_callback(Provider &&provider)
    {
        using stored = std::decay_t<Provider>;
        static_assert(
            std::is_convertible_v<std::invoke_result_t<stored &>,
                                  provided_token>,
            "a token provider returns f7t::provided_token or std::string");
        auto kept = std::make_unique<stored>(std::forward<Provider>(provider));
        f7t_auth *raw = nullptr;
        detail::check(f7t_auth_callback_new(
            &detail::provider_trampoline<stored>, kept.get(),
            &detail::delete_userdata<stored>, &raw));
        kept.release(); /* the handle's finalizer deletes it now */
        return auth(raw);
    }

    /* An empty auth, as a moved-from one is. */
    auth() noexcept = default;

    /* Takes ownership of a handle made with the C API. */
    explicit auth(f7t_auth *owned) noexcept : handle_(owned) {}

    auth(const auth &) = delete;
    auth &operator=(const auth &) = delete;

    auth(auth &&other) noexcept : handle_(std::exchange(other.handle_, nullptr))
    {
    }

    auth &operator=(auth &&other) noexcept
    {
        if (this != &other)
            reset(std::exchange(other.handle_, nullptr));
        return *this;
    }

    ~auth() { f7t_auth_free(handle_); }

    f7t_auth *get() const noexcept { return handle_; }

    /* Gives the handle up: the caller frees it with f7t_auth_free. */
    f7t_auth *release() noexcept { return std::exchange(handle_, nullptr); }

    void reset(f7t_auth *owned = nullptr) noexcept
    {
        f7t_auth_free(std::exchange(handle_, owned));
    }

    explicit operator bool() const noexcept { return handle_ != nullptr; }

    /* Settings: one per C setter. Each returns *this, so they chain. */

    auth &set_min_validity(std::chrono::seconds min_validity)
    {
        detail::check(f7t_auth_set_min_validity(
            handle_, detail::to_int32(min_validity.count(), "min_validity")));
        return *this;
    }

    auth &set_timeouts(std::chrono::milliseconds connect,
                       std::chrono::milliseconds total)
    {
        detail::check(f7t_auth_set_timeouts(
            handle_, detail::to_int32(connect.count(), "connect timeout"),
            detail::to_int32(total.count(), "total timeout")));
        return *this;
    }

    auth &set_max_retries(int retries)
    {
        detail::check(f7t_auth_set_max_retries(
            handle_, detail::to_int32(retries, "retries")));
        return *this;
    }

    /* An empty path goes back to the system store. */
    auth &set_ca_file(const std::string &path)
    {
        detail::check(f7t_auth_set_ca_file(
            handle_, detail::optional_c_str(path, "path")));
        return *this;
    }

    auth &set_allow_insecure_http(bool allow)
    {
        detail::check(f7t_auth_set_allow_insecure_http(handle_, allow ? 1 : 0));
        return *this;
    }

    auth &set_user_agent_suffix(const std::string &suffix)
    {
        detail::check(f7t_auth_set_user_agent_suffix(
            handle_, detail::optional_c_str(suffix, "suffix")));
        return *this;
    }

    auth &set_scope(const std::string &scope)
    {
        detail::check(f7t_auth_set_scope(
            handle_, detail::optional_c_str(scope, "scope")));
        return *this;
    }

    auth &set_audience(const std::string &audience)
    {
        detail::check(f7t_auth_set_audience(
            handle_, detail::optional_c_str(audience, "audience")));
        return *this;
    }

    auth &set_resource(const std::string &resource)
    {
        detail::check(f7t_auth_set_resource(
            handle_, detail::optional_c_str(resource, "resource")));
        return *this;
    }

    auth &set_client_auth(client_auth method)
    {
        detail::check(f7t_auth_set_client_auth(
            handle_, static_cast<std::int32_t>(method)));
        return *this;
    }

    auth &set_token_store(const std::string &path)
    {
        detail::check(f7t_auth_set_token_store(
            handle_, detail::optional_c_str(path, "path")));
        return *this;
    }

    auth &set_shared_cache_dir(const std::string &dir)
    {
        detail::check(f7t_auth_set_shared_cache_dir(
            handle_, detail::optional_c_str(dir, "dir")));
        return *this;
    }

    /*
     * Replaces the stderr prompt of a device login: `prompt` receives an
     * f7t::device_prompt and returns true to go on waiting for the
     * approval, false to cancel (the waiting call then throws with
     * F7T_STATUS_CANCELLED, as it does if `prompt` throws).
     */
    template <class Prompt> auth &set_device_prompt(Prompt &&prompt)
    {
        using stored = std::decay_t<Prompt>;
        auto kept = std::make_unique<stored>(std::forward<Prompt>(prompt));
        detail::check(f7t_auth_set_device_prompt(
            handle_, &detail::prompt_trampoline<stored>, kept.get(),
            &detail::delete_userdata<stored>));
        kept.release();
        return *this;
    }

    /* Ends a device login waiting on another thread. */
    void cancel() const { detail::check(f7t_auth_cancel(handle_)); }

    /* Tokens. */

    /*
     * Calls use(std::string_view token, std::int64_t expires_at) with a
     * valid token without copying it; the view is valid only during the
     * call. An exception from `use` propagates after the library call has
     * returned.
     */
    template <class Use> void with_access_token(Use &&use) const
    {
        using stored = std::remove_reference_t<Use>;
        detail::visit<stored> context{&use, nullptr};
        f7t_status status = f7t_auth_get_access_token(
            handle_, &detail::token_trampoline<stored>, &context);
        if (context.thrown)
            std::rethrow_exception(context.thrown);
        detail::check(status);
    }

    f7t::token get_access_token() const
    {
        f7t::token result;
        with_access_token([&result](std::string_view value,
                                    std::int64_t expires_at) {
            result.value.assign(value.data(), value.size());
            result.expires_at = expires_at;
        });
        return result;
    }

    /*
     * Asks for a token without blocking: the library's worker thread
     * fetches it (or takes it from the cache) and fulfils the future, with
     * the token or with an f7t::error.
     */
    std::future<f7t::token> get_access_token_async() const
    {
        auto promise = std::make_unique<std::promise<f7t::token>>();
        std::future<f7t::token> result = promise->get_future();
        detail::check(f7t_auth_get_access_token_async(
            handle_, &detail::async_trampoline, promise.get()));
        promise.release(); /* the trampoline deletes it */
        return result;
    }

    /* Calls use(std::string_view name, std::string_view value,
     * std::int64_t expires_at); the views are valid only during the call. */
    template <class Use> void with_header(Use &&use) const
    {
        using stored = std::remove_reference_t<Use>;
        detail::visit<stored> context{&use, nullptr};
        f7t_status status = f7t_auth_get_header(
            handle_, &detail::header_trampoline<stored>, &context);
        if (context.thrown)
            std::rethrow_exception(context.thrown);
        detail::check(status);
    }

    f7t::header get_header() const
    {
        f7t::header result;
        with_header([&result](std::string_view name, std::string_view value,
                              std::int64_t expires_at) {
            result.name.assign(name.data(), name.size());
            result.value.assign(value.data(), value.size());
            result.expires_at = expires_at;
        });
        return result;
    }

    /* After the API answered 401: pass the token it rejected, so that many
     * threads reporting the same token cause one fetch. */
    void invalidate(const std::string &rejected_token) const
    {
        detail::check(f7t_auth_invalidate(
            handle_, detail::c_str(rejected_token, "rejected_token")));
    }

    /* Drops the current token, whichever it is. */
    void invalidate() const
    {
        detail::check(f7t_auth_invalidate(handle_, nullptr));
    }

private:
    f7t_auth *handle_ = nullptr;
};

/* The library's version at run time, the same as F7T_VERSION. */
inline std::string version() { return f7t_version(); }

/* The static one-line description of a status. */
inline std::string_view status_str(f7t_status status)
{
    return f7t_status_str(status);
}

/*
 * One claim of a JWT, read without verifying it (strings as they are,
 * other values as JSON text); std::nullopt when the token has no such
 * claim. Throws f7t::error with F7T_STATUS_NOT_A_JWT for an opaque token.
 */
inline std::optional<std::string> token_claim(const std::string &token,
                                              const std::string &claim)
{
    std::string value(256, '\0');
    std::int64_t length = 0;

    for (;;) {
        f7t_status status = f7t_token_claim(
            detail::c_str(token, "token"), detail::c_str(claim, "claim"),
            &value[0], static_cast<std::int64_t>(value.size()), &length);
        if (status == F7T_STATUS_NOT_FOUND)
            return std::nullopt;
        if (status != F7T_STATUS_BUFFER_TOO_SMALL) {
            detail::check(status);
            value.resize(static_cast<std::size_t>(length));
            return value;
        }
        value.assign(static_cast<std::size_t>(length) + 1, '\0');
    }
}

} // namespace f7t

#endif /* FIRECREST_AUTH_HPP */
