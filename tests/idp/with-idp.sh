#!/usr/bin/env bash
# Runs a command with the test OpenID provider (server.js) up, e.g.
#   tests/idp/with-idp.sh cargo test
# Exports F7T_IDP_ISSUER, AUTH_TOKEN_URL, F7T_DEVICE_AUTH_URL,
# FIRECREST_CLIENT_ID and FIRECREST_CLIENT_SECRET for the command, and exits
# with the command's status.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

idp_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# npm writes node_modules/.package-lock.json last, so its presence means a
# complete install; the lock keeps parallel callers from installing at once.
if [[ ! -f "$idp_dir/node_modules/.package-lock.json" ]]; then
    (
        flock 9
        if [[ ! -f "$idp_dir/node_modules/.package-lock.json" ]]; then
            # npm's own progress output would mix with the command's stdout.
            (cd "$idp_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
        fi
    ) 9>"$idp_dir/.npm-ci.flock"
fi

work_dir="$(mktemp -d)"
server_pid=""

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    # Closing the server's stdin is enough to stop it; the signal is a backstop.
    exec 3>&-
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT

# The server exits when its stdin reaches EOF, so hold the write end of a FIFO
# for as long as this script lives: if the script dies, so does the server.
mkfifo "$work_dir/stdin"
node "$idp_dir/server.js" <"$work_dir/stdin" >"$work_dir/stdout" &
server_pid=$!
exec 3>"$work_dir/stdin"

issuer=""
for _ in $(seq 1 300); do
    if issuer_line="$(grep -m1 '^F7T_IDP_ISSUER=' "$work_dir/stdout")"; then
        issuer="${issuer_line#F7T_IDP_ISSUER=}"
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "with-idp.sh: server.js exited before it was ready" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$issuer" ]]; then
    echo "with-idp.sh: server.js did not report its issuer within 30 s" >&2
    exit 1
fi

export F7T_IDP_ISSUER="$issuer"
export AUTH_TOKEN_URL="$issuer/token"
export F7T_DEVICE_AUTH_URL="$issuer/device/auth"
# F7T_IDP_CLIENT_ID/SECRET pick another of the provider's clients (for
# example cc-short, whose tokens live 3 s).
export FIRECREST_CLIENT_ID="${F7T_IDP_CLIENT_ID:-cc-post}"
export FIRECREST_CLIENT_SECRET="${F7T_IDP_CLIENT_SECRET:-cc-post-secret}"

status=0
"$@" || status=$?
exit "$status"
