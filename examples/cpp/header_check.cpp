/*
 * Compiled, never run, by the header_hpp_cxx17 ctest test: the C++
 * wrapper must compile on its own, with nothing included before it, under
 * strict warnings, and a second inclusion must be harmless. The function
 * below uses every template, so that their bodies are compiled too.
 */

#include "firecrest_auth.hpp"
#include "firecrest_auth.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

std::size_t header_check_uses_every_template();

std::size_t header_check_uses_every_template()
{
    std::size_t seen = 0;
    f7t::auth auth = f7t::auth::from_callback(
        [] { return f7t::provided_token("token", std::chrono::seconds(60)); });
    f7t::auth plain = f7t::auth::from_callback([] { return std::string("t"); });
    auth.set_device_prompt([](const f7t::device_prompt &prompt) {
        return !prompt.user_code.empty();
    });
    auth.with_access_token([&seen](std::string_view token, std::int64_t) {
        seen += token.size();
    });
    auth.with_header([&seen](std::string_view name, std::string_view value,
                             std::int64_t) {
        seen += name.size() + value.size();
    });
    plain = std::move(auth);
    return seen + f7t::status_str(F7T_STATUS_OK).size();
}
