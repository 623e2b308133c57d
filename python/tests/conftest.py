"""Shared fixtures: the test OpenID provider that tests/idp/with-idp.sh
started (python/run-tests.sh runs pytest under it), and the module under
test, imported from python/ with the library that F7T_LIBRARY names."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import urllib.request
import uuid

import pytest

PYTHON_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))

# The audience the stand-in FirecREST accepts; the provider puts a
# resource indicator into the JWT's aud claim.
FIRECREST_AUDIENCE = "https://firecrest.test"


class Provider:
    """The running test provider and its test-only API (/test/...)."""

    def __init__(self):
        self.issuer = os.environ["F7T_IDP_ISSUER"]
        self.token_endpoint = os.environ["AUTH_TOKEN_URL"]
        self.client_id = os.environ["FIRECREST_CLIENT_ID"]
        self.client_secret = os.environ["FIRECREST_CLIENT_SECRET"]

    def _call(self, method: str, path: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.issuer}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def new_client(self, access_token_ttl: int = 300) -> tuple[str, str]:
        """Registers a fresh client-credentials client (so that its token
        requests can be counted alone) and returns its id and secret."""
        client_id = f"py-{uuid.uuid4().hex[:12]}"
        secret = f"secret-{uuid.uuid4().hex}"
        self._call("POST", "/test/clients", {
            "client_id": client_id, "client_secret": secret,
            "access_token_ttl": access_token_ttl})
        return client_id, secret

    def approve_device(self, user_code: str) -> None:
        """What the person does in the browser for a device login."""
        self._call("POST", "/test/device/approve",
                   {"user_code": user_code, "account_id": "pytest-user"})

    def token_requests(self, client_id: str) -> int:
        return self._call("GET", f"/test/count?client_id={client_id}")[
            "token_requests"]


@pytest.fixture(scope="session")
def provider() -> Provider:
    if "F7T_IDP_ISSUER" not in os.environ:
        pytest.fail("the test provider is not running: run these tests with "
                    "python/run-tests.sh (it starts tests/idp/with-idp.sh)")
    return Provider()


@pytest.fixture(scope="session")
def header_text() -> str:
    return (REPO / "include" / "firecrest_auth.h").read_text()
