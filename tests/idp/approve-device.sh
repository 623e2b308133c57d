#!/usr/bin/env bash
# Plays the person approving a device login, for tests run under
# with-idp.sh:
#   tests/idp/approve-device.sh CMD [ARGS...]
# runs CMD, watches its stderr for "enter the code ABCD-EFGH", approves that
# code through the provider's test API, and exits with CMD's status.
set -euo pipefail

if [[ $# -eq 0 || -z "${F7T_IDP_ISSUER:-}" ]]; then
    echo "usage: F7T_IDP_ISSUER=... $0 CMD [ARGS...] (run it under with-idp.sh)" >&2
    exit 2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

"$@" 2> >(tee "$log" >&2) &
pid=$!

code=""
for _ in $(seq 1 300); do
    code="$(grep -oE 'enter the code [A-Za-z0-9-]+' "$log" | head -n1 | awk '{print $4}')" || true
    [[ -n "$code" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done

if [[ -n "$code" ]]; then
    # Node is there already for the provider; no curl needed.
    F7T_USER_CODE="$code" node -e '
        fetch(process.env.F7T_IDP_ISSUER + "/test/device/approve", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ user_code: process.env.F7T_USER_CODE,
                                   account_id: "ctest-user" }),
        }).then((r) => { if (!r.ok) { console.error("approve: HTTP " + r.status); process.exit(1); } })
          .catch((e) => { console.error("approve: " + e); process.exit(1); });'
else
    echo "approve-device.sh: no user code appeared on stderr" >&2
fi

status=0
wait "$pid" || status=$?
exit "$status"
