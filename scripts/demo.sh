#!/usr/bin/env bash
# The main job, end to end on this machine: build the library, start the
# bundled OpenID provider on 127.0.0.1, and get an access token from it
# with the client_credentials example, as a batch job would from a real
# site's Keycloak.
#
#   scripts/demo.sh
#
# Needs Rust (cargo), a C compiler, CMake and Node.js (npm). On the first
# run cargo and npm download packages from their registries; apart from
# that, nothing leaves this machine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
build_dir="$root/build/examples"

step() {
    printf '\n==> %s\n' "$*"
}

for tool in cargo cmake node npm; do
    if ! command -v "$tool" >/dev/null; then
        echo "demo.sh: $tool is not installed (the README says what to" \
            "install)" >&2
        exit 1
    fi
done

step "1/4 Building the library (cargo build)"
cargo build
echo "    built target/debug/libfirecrest_auth.so and include/firecrest_auth.h"

step "2/4 Building the C examples (CMake, into build/examples)"
cmake -S examples -B "$build_dir" -DF7T_LIB_DIR="$root/target/debug" \
    -DF7T_INCLUDE_DIR="$root/include" >/dev/null
cmake --build "$build_dir" --target client_credentials

step "3/4 Preparing the test OpenID provider (npm ci on first use)"
tests/idp/with-idp.sh true
echo "    tests/idp is ready: node-oidc-provider, listening on 127.0.0.1 only"

step "4/4 Getting a token with client credentials"
cat <<'EOF'
    with-idp.sh starts the provider on a free port on 127.0.0.1 and sets
    AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and FIRECREST_CLIENT_SECRET, the
    variables pyFirecREST reads; F7T_RESOURCE asks for a JWT whose audience
    is https://firecrest.test. The program prints who the token is for and
    how long it lasts, never the token itself.

EOF
F7T_RESOURCE=https://firecrest.test \
    tests/idp/with-idp.sh "$build_dir/client_credentials"

cat <<EOF

Done. To do the same against a real site, run
    $build_dir/client_credentials
with AUTH_TOKEN_URL, FIRECREST_CLIENT_ID and FIRECREST_CLIENT_SECRET set
(the README has CSCS's token endpoint). scripts/test.sh runs every test.
EOF
