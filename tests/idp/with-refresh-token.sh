#!/usr/bin/env bash
# Gets a refresh token by a device login, for tests run under with-idp.sh:
#   tests/idp/with-refresh-token.sh DEVICE_CODE_PROGRAM CMD [ARGS...]
# runs the device_code example (approved by approve-device.sh) with a
# temporary token store, exports the refresh token it stored as
# F7T_REFRESH_TOKEN, and runs CMD.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 DEVICE_CODE_PROGRAM CMD [ARGS...]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
device_code="$1"
shift

store_dir="$(mktemp -d)"
trap 'rm -rf "$store_dir"' EXIT
"$here/approve-device.sh" "$device_code" "$store_dir/tokens.json" >/dev/null

F7T_REFRESH_TOKEN="$(node -e '
    const store = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.stdout.write(store.refresh_token || "");' "$store_dir/tokens.json")"
if [[ -z "$F7T_REFRESH_TOKEN" ]]; then
    echo "with-refresh-token.sh: the login stored no refresh token" >&2
    exit 1
fi
export F7T_REFRESH_TOKEN
"$@"
