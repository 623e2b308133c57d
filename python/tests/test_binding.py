"""The ctypes module on its own, against the test OpenID provider."""

from __future__ import annotations

import re
import threading
import time

import pytest

import firecrest_auth
from conftest import FIRECREST_AUDIENCE
from firecrest_auth import Auth, FirecrestAuthError, Status


def test_version_is_the_headers(header_text):
    match = re.search(r'#define F7T_VERSION "([^"]+)"', header_text)
    assert match, "no F7T_VERSION in the header"
    assert firecrest_auth.version() == match.group(1)


def test_status_codes_match_the_header(header_text):
    header = dict(
        (name, int(value)) for name, value in
        re.findall(r"^ +F7T_STATUS_([A-Z0-9_]+) = (-?\d+),$", header_text,
                   re.MULTILINE))
    assert len(header) > 40, "the header's enum layout changed"
    assert {s.name: s.value for s in Status} == header


def test_client_auth_values_match_the_header(header_text):
    for name, value in (("post", "POST"), ("basic", "BASIC")):
        match = re.search(rf"#define F7T_CLIENT_AUTH_{value} (\d+)",
                          header_text)
        assert firecrest_auth._CLIENT_AUTH[name] == int(match.group(1))


def test_client_credentials_jwt_cached(provider):
    client_id, secret = provider.new_client()
    with Auth.client_credentials(provider.token_endpoint, client_id, secret,
                                 resource=FIRECREST_AUDIENCE) as auth:
        first = auth.get_token()
        assert first.access_token.startswith("eyJ")
        assert 290 <= first.expires_at - time.time() <= 301
        assert firecrest_auth.token_claim(first.access_token, "sub") == \
            client_id
        assert firecrest_auth.token_claim(first.access_token, "aud") == \
            FIRECREST_AUDIENCE
        assert firecrest_auth.token_claim(first.access_token, "nope") is None
        for _ in range(5):
            assert auth.get_access_token() == first.access_token
        assert auth.auth_headers() == {
            "Authorization": f"Bearer {first.access_token}"}
        assert provider.token_requests(client_id) == 1
        # A token never shows in a repr.
        assert first.access_token not in repr(first)
        assert first.access_token not in repr(auth)
    assert auth.closed


def test_opaque_token_and_basic_auth(provider):
    auth = Auth.client_credentials(provider.token_endpoint, "cc-basic",
                                   "a+b/c=d:e%f&g h", client_auth="basic")
    token = auth.get_access_token()
    with pytest.raises(FirecrestAuthError) as caught:
        firecrest_auth.token_claim(token, "sub")
    assert caught.value.status == Status.NOT_A_JWT
    auth.close()


def test_wrong_secret_raises_with_status_and_message(provider):
    auth = Auth.client_credentials(provider.token_endpoint,
                                   provider.client_id, "not-the-secret")
    with pytest.raises(FirecrestAuthError) as caught:
        auth.get_access_token()
    error = caught.value
    assert error.status == Status.INVALID_CLIENT
    assert error.status_name == "F7T_STATUS_INVALID_CLIENT"
    assert "invalid_client" in error.message
    assert provider.token_endpoint in error.message
    assert str(error).startswith("F7T_STATUS_INVALID_CLIENT (401): ")
    assert error.description  # the library's text for the status
    assert "not-the-secret" not in str(error)


def test_from_env(provider, monkeypatch):
    with Auth.from_env(resource=FIRECREST_AUDIENCE) as auth:
        assert firecrest_auth.token_claim(auth.get_access_token(), "sub") == \
            provider.client_id
    for name in ("FIRECREST_CLIENT_ID", "FIRECREST_CLIENT_SECRET",
                 "AUTH_TOKEN_URL", "FIRECREST_TOKEN_COMMAND",
                 "FIRECREST_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(FirecrestAuthError) as caught:
        Auth.from_env()
    assert caught.value.status == Status.MISSING_ENVIRONMENT
    assert "FIRECREST_CLIENT_ID" in caught.value.message


def test_threads_share_one_fetch(provider):
    client_id, secret = provider.new_client()
    auth = Auth.client_credentials(provider.token_endpoint, client_id, secret)
    tokens = []

    def worker():
        for _ in range(20):
            tokens.append(auth.get_access_token())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == 160 and len(set(tokens)) == 1
    assert provider.token_requests(client_id) == 1
    auth.close()


def test_invalidate_fetches_again(provider):
    client_id, secret = provider.new_client()
    auth = Auth.client_credentials(provider.token_endpoint, client_id, secret)
    first = auth.get_access_token()
    auth.invalidate(first)
    auth.invalidate(first)  # a second report of the same token: no effect
    second = auth.get_access_token()
    assert second != first
    assert provider.token_requests(client_id) == 2
    auth.close()


def test_static_token_and_api_key():
    expires_at = int(time.time()) + 3600
    auth = Auth.static_token("not-a-jwt", expires_at)
    assert auth.get_token() == ("not-a-jwt", expires_at)
    auth.invalidate("not-a-jwt")
    with pytest.raises(FirecrestAuthError) as caught:
        auth.get_access_token()
    assert caught.value.status == Status.TOKEN_REJECTED

    key = firecrest_auth.ApiKeyAuth("key-not-a-secret")
    assert key.auth_headers() == {"X-API-Key": "key-not-a-secret"}
    with pytest.raises(FirecrestAuthError) as caught:
        key.get_access_token()
    assert caught.value.status == Status.WRONG_HANDLE_KIND
    assert Auth.api_key("k", "X-Other").auth_headers() == {"X-Other": "k"}


def test_token_command():
    auth = firecrest_auth.TokenCommandAuth("echo token-from-a-command", 60)
    assert auth.get_access_token() == "token-from-a-command"
    failing = Auth.token_command("exit 3")
    with pytest.raises(FirecrestAuthError) as caught:
        failing.get_access_token()
    assert caught.value.status == Status.COMMAND_FAILED


def test_python_provider(provider):
    calls = []

    def provide():
        calls.append(1)
        return f"token-{len(calls)}", 120

    auth = Auth.from_callback(provide)
    assert [auth.get_access_token() for _ in range(3)] == ["token-1"] * 3
    auth.invalidate()
    assert auth.get_token().access_token == "token-2"
    assert 110 <= auth.get_token().expires_at - time.time() <= 121
    auth.close()

    def broken():
        raise RuntimeError("the token broker is not running")

    auth = Auth.from_callback(broken)
    with pytest.raises(FirecrestAuthError) as caught:
        auth.get_access_token()
    assert caught.value.status == Status.PROVIDER_FAILED
    assert "RuntimeError: the token broker is not running" in \
        caught.value.message


def test_drop_in_client_credentials(provider):
    client_id, secret = provider.new_client()
    auth = firecrest_auth.ClientCredentialsAuth(
        client_id, secret, provider.token_endpoint, min_token_validity=30)
    assert auth.get_access_token()
    with pytest.raises(ValueError):
        firecrest_auth.ClientCredentialsAuth(
            client_id, secret, provider.token_endpoint,
            client_auth_method="private_key_jwt")


def test_bad_arguments():
    with pytest.raises(ValueError, match="NUL"):
        Auth.static_token("abc\0def")
    with pytest.raises(FirecrestAuthError) as caught:
        Auth.client_credentials("not a url", "id", "secret")
    assert caught.value.status == Status.INVALID_ARGUMENT
    with pytest.raises(TypeError, match="unknown setting"):
        Auth.client_credentials("https://auth.test/token", "id", "secret",
                                colour="blue")
    with pytest.raises(FirecrestAuthError) as caught:
        Auth.static_token("t").set_token_store("/tmp/store.json")
    assert caught.value.status == Status.WRONG_HANDLE_KIND
    auth = Auth.static_token("t")
    auth.close()
    auth.close()  # twice is harmless
    with pytest.raises(ValueError, match="closed"):
        auth.get_access_token()


def test_device_login_with_a_python_prompt(provider):
    shown = []

    def prompt(uri, uri_complete, user_code, expires_in):
        shown.append((uri, uri_complete, user_code, expires_in))
        provider.approve_device(user_code)  # plays the person

    auth = Auth.device_code_from_issuer(provider.issuer, "device-public",
                                        scope="openid offline_access")
    auth.set_device_prompt(prompt)
    assert auth.get_access_token()
    assert len(shown) == 1
    uri, _uri_complete, user_code, expires_in = shown[0]
    assert uri.startswith(provider.issuer) and user_code
    assert 0 < expires_in <= 600

    declined = Auth.device_code_from_issuer(provider.issuer, "device-public")
    declined.set_device_prompt(lambda *shown_to_person: False)
    with pytest.raises(FirecrestAuthError) as caught:
        declined.get_access_token()
    assert caught.value.status == Status.CANCELLED
