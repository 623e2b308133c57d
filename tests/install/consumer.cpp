// The C++ wrapper from an installed firecrest-auth (see consumer.c).
#include <firecrest_auth.hpp>

#include <iostream>

int main()
{
    try {
        f7t::auth auth = f7t::auth::static_token("install-test-token");
        f7t::header header = auth.get_header();
        if (header.value != "Bearer install-test-token")
            return 1;
        std::cout << "C++ via CMake: firecrest-auth " << f7t::version()
                  << " works\n";
    } catch (const f7t::error &e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    return 0;
}
