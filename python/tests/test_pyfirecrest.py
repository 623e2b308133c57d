"""pyFirecREST 3.10, unmodified, driven through our library's tokens.

A stand-in for the FirecREST v2 API (firecrest_standin.py) runs on
127.0.0.1 and, like the real server, accepts only bearer tokens signed by
the test provider for its audience and not expired. pyFirecREST's own
client makes real HTTP calls to it with an Auth object of ours as its
``authorization=`` argument.
"""

from __future__ import annotations

import asyncio
import time

import firecrest
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from firecrest.FirecrestException import UnexpectedStatusException

import firecrest_auth
from conftest import FIRECREST_AUDIENCE
from firecrest_auth import Auth, FirecrestAuthError, Status
from firecrest_standin import API_VERSION, SYSTEM, FirecrestStandIn


@pytest.fixture(scope="module")
def standin(provider):
    with FirecrestStandIn(provider.issuer, FIRECREST_AUDIENCE) as server:
        yield server


@pytest.fixture
def api(standin):
    standin.reset()
    return standin


def client_for(api, auth) -> firecrest.v2.Firecrest:
    client = firecrest.v2.Firecrest(firecrest_url=api.url, authorization=auth)
    client.timeout = 30
    return client


def test_pyfirecrest_calls_succeed_with_one_token(provider, api):
    client_id, secret = provider.new_client()
    auth = Auth.client_credentials(provider.token_endpoint, client_id, secret,
                                   resource=FIRECREST_AUDIENCE)
    client = client_for(api, auth)

    systems = client.systems()
    assert [system["name"] for system in systems] == [SYSTEM]
    assert client.server_version() == API_VERSION
    assert client.userinfo(SYSTEM)["user"]["name"] == client_id
    assert client.partitions(SYSTEM)[0]["name"] == "normal"
    listing = client.list_files(SYSTEM, "/home/user")
    assert listing[0]["path"] == "/home/user/input.dat"

    # Every call reached the server with a token it verified, and the
    # library fetched that token once for all of them.
    assert api.rejected == []
    assert [path for path, _ in api.accepted] == [
        "/status/systems", "/status/systems", f"/status/{SYSTEM}/userinfo",
        f"/status/{SYSTEM}/partitions", f"/filesystem/{SYSTEM}/ops/ls"]
    assert {subject for _, subject in api.accepted} == {client_id}
    assert provider.token_requests(client_id) == 1
    auth.close()


def test_async_client(provider, api):
    auth = Auth.from_env(resource=FIRECREST_AUDIENCE)

    async def main():
        client = firecrest.v2.AsyncFirecrest(firecrest_url=api.url,
                                             authorization=auth)
        return await client.systems(), await client.userinfo(SYSTEM)

    systems, userinfo = asyncio.run(main())
    assert systems[0]["name"] == SYSTEM
    assert userinfo["user"]["name"] == provider.client_id
    assert len(api.accepted) == 2 and api.rejected == []


def test_drop_in_for_pyfirecrest_class(provider, api):
    # The same arguments as firecrest.ClientCredentialsAuth.
    auth = firecrest_auth.ClientCredentialsAuth(
        provider.client_id, provider.client_secret, provider.token_endpoint,
        resource=FIRECREST_AUDIENCE)
    assert client_for(api, auth).systems()[0]["name"] == SYSTEM


def test_tokens_are_renewed_before_the_server_refuses_them(provider, api):
    # 4 s tokens: the library renews each at half its life, so a token
    # never reaches the server expired, while calls go on for 6 s.
    client_id, secret = provider.new_client(access_token_ttl=4)
    auth = Auth.client_credentials(provider.token_endpoint, client_id, secret,
                                   resource=FIRECREST_AUDIENCE)
    client = client_for(api, auth)
    started = time.monotonic()
    calls = 0
    while time.monotonic() - started < 6:
        assert client.systems()[0]["name"] == SYSTEM
        calls += 1
        time.sleep(0.5)
    assert api.rejected == [] and len(api.accepted) == calls
    assert provider.token_requests(client_id) >= 3


def test_wrong_secret_raises_the_library_error(provider, api):
    auth = Auth.client_credentials(provider.token_endpoint,
                                   provider.client_id, "not-the-secret",
                                   resource=FIRECREST_AUDIENCE)
    client = client_for(api, auth)
    with pytest.raises(FirecrestAuthError) as caught:
        client.systems()
    error = caught.value
    assert error.status == Status.INVALID_CLIENT
    assert "invalid_client" in error.message
    assert provider.token_endpoint in error.message
    assert "F7T_STATUS_INVALID_CLIENT (401)" in str(error)
    # No request went out without a token.
    assert api.accepted == [] and api.rejected == []


# The stand-in must really check tokens, or the tests above prove nothing.

def expect_rejected(api, auth, reason: str) -> None:
    with pytest.raises(UnexpectedStatusException) as caught:
        client_for(api, auth).systems()
    assert caught.value.responses[-1].status_code == 401
    assert api.accepted == []
    assert len(api.rejected) == 1 and reason in api.rejected[0][1], \
        api.rejected


def test_standin_rejects_an_opaque_token(provider, api):
    # Without a resource the provider issues an opaque token.
    expect_rejected(api, Auth.from_env(), "invalid access token")


def test_standin_rejects_another_audience(provider, api):
    expect_rejected(api, Auth.from_env(resource="https://elsewhere.test"),
                    "not for https://firecrest.test")


def test_standin_rejects_a_token_signed_by_another_key(provider, api):
    genuine = Auth.from_env(resource=FIRECREST_AUDIENCE).get_access_token()
    claims = jwt.decode(genuine, options={"verify_signature": False})
    header = jwt.get_unverified_header(genuine)
    other_key = rsa.generate_private_key(public_exponent=65537,
                                         key_size=2048)
    forged = jwt.encode(claims, other_key, algorithm="RS256",
                        headers={"kid": header["kid"]})
    expect_rejected(api, Auth.static_token(forged), "invalid access token")


def test_standin_rejects_an_expired_token(provider, api):
    client_id, secret = provider.new_client(access_token_ttl=1)
    token = Auth.client_credentials(
        provider.token_endpoint, client_id, secret,
        resource=FIRECREST_AUDIENCE).get_access_token()
    time.sleep(2.1)
    # A static handle told the token is good for an hour hands it out.
    stale = Auth.static_token(token, int(time.time()) + 3600)
    expect_rejected(api, stale, "expired")
