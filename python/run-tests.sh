#!/usr/bin/env bash
# The Python module's tests, pyFirecREST's among them:
#
#   python/run-tests.sh [PYTEST ARGS...]
#
# Keeps a virtual environment in build/python-venv with the packages of
# python/requirements-test.txt (pyFirecREST 3.10, PyJWT, pytest), made on
# the first run and again only when that file changes, then runs pytest
# on python/tests with the test OpenID provider up (tests/idp/with-idp.sh).
# The module loads the library named by F7T_LIBRARY, by default the debug
# build: run `cargo build` first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
venv="$root/build/python-venv"
requirements="$root/python/requirements-test.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

# Bytecode caches would litter the source tree.
export PYTHONDONTWRITEBYTECODE=1
export F7T_LIBRARY="${F7T_LIBRARY:-$root/target/debug/libfirecrest_auth.so}"
if [[ ! -f "$F7T_LIBRARY" ]]; then
    echo "run-tests.sh: $F7T_LIBRARY does not exist: run cargo build" >&2
    exit 1
fi

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" ||
    "$(cat "$stamp")" != "$wanted" ]]; then
    echo "run-tests.sh: preparing $venv (pip, from PyPI)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$requirements"
    echo "$wanted" >"$stamp"
fi

# -p no:cacheprovider: leave no .pytest_cache in the source tree.
exec tests/idp/with-idp.sh "$venv/bin/python" -m pytest -p no:cacheprovider \
    python/tests "$@"
