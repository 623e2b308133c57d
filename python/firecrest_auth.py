"""Access tokens for the FirecREST API from Python, through firecrest-auth.

A thin ctypes binding of the firecrest-auth C library (no compiled
extension): an :class:`Auth` object owns one auth handle of the library,
which caches the token, renews it before it runs out and shares it between
threads. Its :meth:`Auth.get_access_token` and :meth:`Auth.auth_headers`
methods are what pyFirecREST asks of its ``authorization=`` argument::

    import firecrest
    from firecrest_auth import Auth

    auth = Auth.client_credentials(token_url, client_id, client_secret)
    client = firecrest.v2.Firecrest(firecrest_url=url, authorization=auth)
    print(client.systems())

A failure raises :class:`FirecrestAuthError`, which carries the library's
status code and its detail message (the endpoint, the HTTP status, the
server's ``error`` and ``error_description``, what to check).

The library is found, in this order: the path given to
:func:`load_library`, the environment variable ``F7T_LIBRARY``, the
library installed beside this module by ``scripts/install.sh``, a build in
the source tree (``target/release`` or ``target/debug``, the newer), and
the system's library search path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import enum
import os
import pathlib
import threading
from typing import Callable, Dict, NamedTuple, Optional, Tuple, Union

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "ClientCredentialsAuth",
    "FirecrestAuthError",
    "Status",
    "Token",
    "TokenCommandAuth",
    "library_path",
    "load_library",
    "token_claim",
    "version",
]


class Status(enum.IntEnum):
    """The library's status codes (``F7T_STATUS_*`` in firecrest_auth.h).

    Grouped by kind: 1xx the caller's arguments, 2xx transport, 3xx the
    server's reply, 4xx an OAuth error the server named, 5xx a local
    failure, 9xx an internal error. Never renumbered; a test compares them
    with the header.
    """

    OK = 0
    NULL_ARGUMENT = 100
    INVALID_UTF8 = 101
    INVALID_ARGUMENT = 102
    BUFFER_TOO_SMALL = 103
    MISSING_ENVIRONMENT = 104
    INSECURE_URL = 105
    WRONG_HANDLE_KIND = 106
    LIBRARY_THREAD = 107
    NOT_FOUND = 108
    NOT_A_JWT = 109
    CONNECT = 200
    TIMEOUT = 201
    TLS = 202
    TRANSPORT = 203
    REDIRECT = 204
    RESPONSE_TOO_LARGE = 205
    HTTP_STATUS = 300
    BAD_RESPONSE = 301
    MISSING_ACCESS_TOKEN = 302
    UNSUPPORTED_TOKEN_TYPE = 303
    DISCOVERY = 304
    NO_DEVICE_ENDPOINT = 305
    INVALID_REQUEST = 400
    INVALID_CLIENT = 401
    INVALID_GRANT = 402
    UNAUTHORIZED_CLIENT = 403
    UNSUPPORTED_GRANT_TYPE = 404
    INVALID_SCOPE = 405
    ACCESS_DENIED = 406
    EXPIRED_TOKEN = 407
    INVALID_TARGET = 408
    SERVER_ERROR = 409
    TEMPORARILY_UNAVAILABLE = 410
    OTHER_OAUTH_ERROR = 411
    PROVIDER_FAILED = 500
    TOKEN_EXPIRED = 501
    TOKEN_REJECTED = 502
    RUNTIME = 503
    CANCELLED = 504
    COMMAND_FAILED = 505
    TOKEN_STORE = 506
    PANIC = 900
    INTERNAL = 901


_CLIENT_AUTH = {
    "post": 0,  # F7T_CLIENT_AUTH_POST
    "client_secret_post": 0,
    "basic": 1,  # F7T_CLIENT_AUTH_BASIC
    "client_secret_basic": 1,
}


class FirecrestAuthError(Exception):
    """A call into the library failed.

    ``status`` is a :class:`Status` (a plain int for a code this module
    does not know), ``description`` the library's one-line text for it, and
    ``message`` the detail of this failure. None of them holds a secret.
    """

    def __init__(self, status: int, message: str, description: str = ""):
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status: Union[Status, int] = status
        self.message = message
        self.description = description
        super().__init__(status, message)

    @property
    def status_name(self) -> str:
        """``F7T_STATUS_<NAME>``, as the C header spells it."""
        if isinstance(self.status, Status):
            return f"F7T_STATUS_{self.status.name}"
        return f"status {int(self.status)}"

    def __str__(self) -> str:
        return f"{self.status_name} ({int(self.status)}): {self.message}"


class Token(NamedTuple):
    """An access token and its expiry in Unix seconds (0 when unknown)."""

    access_token: str
    expires_at: int

    def __repr__(self) -> str:
        # A token in a log or a traceback is a credential anyone can use.
        return (f"Token(access_token=<{len(self.access_token)} characters>, "
                f"expires_at={self.expires_at})")


# ---------------------------------------------------------------------------
# Loading the library and declaring its functions.

_c_auth_p = ctypes.c_void_p
_c_status = ctypes.c_int32
_c_str = ctypes.c_char_p

_TOKEN_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_int64, ctypes.c_int64)
_HEADER_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.c_int64)
_PROVIDER_CB = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p,
                                ctypes.c_void_p)
_USERDATA_FREE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_DEVICE_PROMPT_CB = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p,
                                     ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.c_char_p, ctypes.c_int64)

_out_auth = ctypes.POINTER(_c_auth_p)
_out_i64 = ctypes.POINTER(ctypes.c_int64)

# name: (restype, argtypes)
_SIGNATURES = {
    "f7t_version": (_c_str, []),
    "f7t_status_str": (_c_str, [ctypes.c_int32]),
    "f7t_last_error_message": (_c_str, []),
    "f7t_last_error_status": (_c_status, []),
    "f7t_auth_static_token_new": (
        _c_status, [_c_str, ctypes.c_int64, _out_auth]),
    "f7t_auth_api_key_new": (_c_status, [_c_str, _c_str, _out_auth]),
    "f7t_auth_client_credentials_new": (
        _c_status, [_c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_client_credentials_from_issuer_new": (
        _c_status, [_c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_callback_new": (
        _c_status,
        [_PROVIDER_CB, ctypes.c_void_p, _USERDATA_FREE_CB, _out_auth]),
    "f7t_token_sink_set_token": (
        _c_status, [ctypes.c_void_p, _c_str, ctypes.c_int64]),
    "f7t_token_sink_set_error": (_c_status, [ctypes.c_void_p, _c_str]),
    "f7t_auth_from_env": (_c_status, [_out_auth]),
    "f7t_auth_device_code_new": (
        _c_status, [_c_str, _c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_device_code_from_issuer_new": (
        _c_status, [_c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_refresh_token_new": (
        _c_status, [_c_str, _c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_refresh_token_from_issuer_new": (
        _c_status, [_c_str, _c_str, _c_str, _c_str, _out_auth]),
    "f7t_auth_token_command_new": (
        _c_status, [_c_str, ctypes.c_int64, _out_auth]),
    "f7t_auth_free": (None, [_c_auth_p]),
    "f7t_auth_set_min_validity": (_c_status, [_c_auth_p, ctypes.c_int32]),
    "f7t_auth_set_timeouts": (
        _c_status, [_c_auth_p, ctypes.c_int32, ctypes.c_int32]),
    "f7t_auth_set_max_retries": (_c_status, [_c_auth_p, ctypes.c_int32]),
    "f7t_auth_set_ca_file": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_allow_insecure_http": (
        _c_status, [_c_auth_p, ctypes.c_int32]),
    "f7t_auth_set_user_agent_suffix": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_scope": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_audience": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_resource": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_client_auth": (_c_status, [_c_auth_p, ctypes.c_int32]),
    "f7t_auth_set_token_store": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_shared_cache_dir": (_c_status, [_c_auth_p, _c_str]),
    "f7t_auth_set_device_prompt": (
        _c_status,
        [_c_auth_p, _DEVICE_PROMPT_CB, ctypes.c_void_p, _USERDATA_FREE_CB]),
    "f7t_auth_cancel": (_c_status, [_c_auth_p]),
    "f7t_auth_get_access_token": (
        _c_status, [_c_auth_p, _TOKEN_CB, ctypes.c_void_p]),
    "f7t_auth_get_header": (
        _c_status, [_c_auth_p, _HEADER_CB, ctypes.c_void_p]),
    "f7t_auth_invalidate": (_c_status, [_c_auth_p, _c_str]),
    "f7t_token_claim": (
        _c_status, [_c_str, _c_str, ctypes.c_char_p, ctypes.c_int64,
                    _out_i64]),
}

_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None
_lib_lock = threading.Lock()


def _candidates():
    """Where to look for the library, most specific first."""
    explicit = os.environ.get("F7T_LIBRARY")
    if explicit:
        yield explicit
        return
    here = pathlib.Path(__file__).resolve().parent
    # Installed by scripts/install.sh: LIBDIR/firecrest-auth/python/.
    installed = here.parent.parent / "libfirecrest_auth.so"
    if installed.exists():
        yield str(installed)
    # The source tree: python/ beside target/.
    builds = [here.parent / "target" / profile / "libfirecrest_auth.so"
              for profile in ("release", "debug")]
    builds = [path for path in builds if path.exists()]
    for path in sorted(builds, key=lambda p: p.stat().st_mtime,
                       reverse=True):
        yield str(path)
    found = ctypes.util.find_library("firecrest_auth")
    if found:
        yield found


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads the C library (once per process) and returns it.

    ``path`` overrides the search described in the module's docstring; it
    must come before the first use of the library.
    """
    global _lib, _lib_path
    with _lib_lock:
        if _lib is not None:
            if path is not None and os.path.realpath(path) != \
                    os.path.realpath(_lib_path or ""):
                raise RuntimeError(
                    f"firecrest-auth is already loaded from {_lib_path}")
            return _lib
        tried = []
        for candidate in ([path] if path else _candidates()):
            try:
                lib = ctypes.CDLL(candidate)
            except OSError as error:
                tried.append(f"{candidate}: {error}")
                continue
            for name, (restype, argtypes) in _SIGNATURES.items():
                function = getattr(lib, name)
                function.restype = restype
                function.argtypes = argtypes
            _lib, _lib_path = lib, candidate
            return lib
        raise OSError(
            "cannot load the firecrest-auth library (libfirecrest_auth.so); "
            "set F7T_LIBRARY to its path, or install it (scripts/install.sh)."
            + ("\nTried:\n  " + "\n  ".join(tried) if tried else ""))


def library_path() -> str:
    """The path the library was loaded from."""
    load_library()
    return _lib_path or ""


def _encode(value: str, what: str) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if b"\0" in data:
        # The C side would stop at the NUL and quietly use a shorter value.
        raise ValueError(f"{what} contains a NUL character")
    return data


def _optional(value: Optional[str], what: str) -> Optional[bytes]:
    return None if value is None or value == "" else _encode(value, what)


def _decode(data: Optional[bytes]) -> str:
    return "" if data is None else data.decode("utf-8", "replace")


def _check(status: int) -> None:
    if status != Status.OK:
        raise _error(status)


def _error(status: int) -> FirecrestAuthError:
    lib = load_library()
    return FirecrestAuthError(status, _decode(lib.f7t_last_error_message()),
                              _decode(lib.f7t_status_str(status)))


def version() -> str:
    """The library's version, ``MAJOR.MINOR.PATCH``."""
    return _decode(load_library().f7t_version())


def token_claim(token: str, claim: str) -> Optional[str]:
    """One claim of a JWT, read without verifying the token (strings as
    they are, other values as JSON text); None when the token has no such
    claim. Raises FirecrestAuthError (NOT_A_JWT) for an opaque token."""
    lib = load_library()
    length = ctypes.c_int64(0)
    size = 256
    while True:
        buffer = ctypes.create_string_buffer(size)
        status = lib.f7t_token_claim(_encode(token, "token"),
                                     _encode(claim, "claim"), buffer, size,
                                     ctypes.byref(length))
        if status == Status.NOT_FOUND:
            return None
        if status != Status.BUFFER_TOO_SMALL:
            _check(status)
            return _decode(buffer.raw[:length.value])
        size = length.value + 1


# ---------------------------------------------------------------------------
# Callbacks. Each C call that lends a token passes a Python list as its
# userdata; the callback appends what it received, or the exception it hit.

def _box(userdata: int) -> list:
    pointer = ctypes.cast(userdata, ctypes.POINTER(ctypes.py_object))
    return pointer.contents.value


@_TOKEN_CB
def _receive_token(userdata, token, token_len, expires_at):
    box = _box(userdata)
    try:
        box.append(Token(_decode(ctypes.string_at(token, token_len)),
                         expires_at))
    except BaseException as error:  # noqa: BLE001 - carried to the caller
        box.append(error)


@_HEADER_CB
def _receive_header(userdata, name, value, expires_at):
    box = _box(userdata)
    try:
        box.append((_decode(name), _decode(value), expires_at))
    except BaseException as error:  # noqa: BLE001 - carried to the caller
        box.append(error)


def _lend(function, handle, callback):
    """Calls a C function that lends its result to `callback`, and returns
    what the callback received."""
    box: list = []
    ref = ctypes.py_object(box)
    status = function(handle, callback, ctypes.addressof(ref))
    if box and isinstance(box[0], BaseException):
        raise box[0]
    _check(status)
    return box[0]


# ---------------------------------------------------------------------------
# Auth handles.

ProviderResult = Union[str, Tuple[str, float]]


class Auth:
    """An auth handle of the library: a source of access tokens with its
    cache. Make one with a class method (:meth:`client_credentials`,
    :meth:`from_env`, ...); pass it to pyFirecREST as ``authorization=``.

    One object may be used from many threads at once; only :meth:`close`
    must not race with other calls. It closes itself when garbage
    collected, or use it as a context manager.

    Keyword settings accepted by every constructor (and by :meth:`configure`):
    ``scope``, ``audience``, ``resource``, ``client_auth`` (``"post"`` or
    ``"basic"``), ``min_validity`` (seconds), ``connect_timeout`` and
    ``total_timeout`` (seconds), ``max_retries``, ``ca_file``,
    ``allow_insecure_http``, ``user_agent_suffix``, ``token_store``,
    ``shared_cache_dir``. Those that do not apply to a handle raise
    FirecrestAuthError (WRONG_HANDLE_KIND) or are ignored, as the C
    setters do.
    """

    def __init__(self, handle: ctypes.c_void_p, *, keep=(), **settings):
        # Normally called by the class methods, with a handle just made.
        self._lib = load_library()
        self._handle = handle
        self._keep = list(keep)  # ctypes callbacks the handle points to
        if settings:
            try:
                self.configure(**settings)
            except BaseException:
                self.close()
                raise

    @staticmethod
    def _new(constructor: str, *args) -> ctypes.c_void_p:
        lib = load_library()
        handle = _c_auth_p()
        _check(getattr(lib, constructor)(*args, ctypes.byref(handle)))
        return handle

    # Constructors --------------------------------------------------------

    @classmethod
    def client_credentials(cls, token_endpoint: str, client_id: str,
                           client_secret: str, **settings) -> "Auth":
        """OAuth2 client credentials (a service account), as CSCS issues
        them for FirecREST."""
        handle = cls._new("f7t_auth_client_credentials_new",
                          _encode(token_endpoint, "token_endpoint"),
                          _encode(client_id, "client_id"),
                          _encode(client_secret, "client_secret"))
        return Auth(handle, **settings)

    @classmethod
    def client_credentials_from_issuer(cls, issuer: str, client_id: str,
                                       client_secret: str,
                                       **settings) -> "Auth":
        """Client credentials, the token endpoint found by OpenID
        discovery from the issuer URL."""
        handle = cls._new("f7t_auth_client_credentials_from_issuer_new",
                          _encode(issuer, "issuer"),
                          _encode(client_id, "client_id"),
                          _encode(client_secret, "client_secret"))
        return Auth(handle, **settings)

    @classmethod
    def from_env(cls, **settings) -> "Auth":
        """The variables pyFirecREST's command line reads:
        FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL;
        else FIRECREST_TOKEN_COMMAND; else FIRECREST_API_KEY."""
        return Auth(cls._new("f7t_auth_from_env"), **settings)

    @classmethod
    def static_token(cls, token: str, expires_at: int = 0) -> "Auth":
        """A token you already have; expires_at 0 reads the JWT exp."""
        return Auth(cls._new("f7t_auth_static_token_new",
                             _encode(token, "token"), int(expires_at)))

    @classmethod
    def api_key(cls, api_key: str, header_name: str = "X-API-Key") -> "Auth":
        """An API key sent in its own header; auth_headers() gives it."""
        return Auth(cls._new("f7t_auth_api_key_new",
                             _optional(header_name, "header_name"),
                             _encode(api_key, "api_key")))

    @classmethod
    def device_code(cls, device_authorization_endpoint: str,
                    token_endpoint: str, client_id: str,
                    client_secret: Optional[str] = None,
                    **settings) -> "Auth":
        """A person logs in with the device authorization grant; the first
        token request shows the code on stderr (or set_device_prompt)."""
        handle = cls._new("f7t_auth_device_code_new",
                          _encode(device_authorization_endpoint,
                                  "device_authorization_endpoint"),
                          _encode(token_endpoint, "token_endpoint"),
                          _encode(client_id, "client_id"),
                          _optional(client_secret, "client_secret"))
        return Auth(handle, **settings)

    @classmethod
    def device_code_from_issuer(cls, issuer: str, client_id: str,
                                client_secret: Optional[str] = None,
                                **settings) -> "Auth":
        handle = cls._new("f7t_auth_device_code_from_issuer_new",
                          _encode(issuer, "issuer"),
                          _encode(client_id, "client_id"),
                          _optional(client_secret, "client_secret"))
        return Auth(handle, **settings)

    @classmethod
    def refresh_token(cls, token_endpoint: str, client_id: str,
                      client_secret: Optional[str], refresh_token: str,
                      **settings) -> "Auth":
        """A refresh token you already have; rotated when the server sends
        a new one."""
        handle = cls._new("f7t_auth_refresh_token_new",
                          _encode(token_endpoint, "token_endpoint"),
                          _encode(client_id, "client_id"),
                          _optional(client_secret, "client_secret"),
                          _encode(refresh_token, "refresh_token"))
        return Auth(handle, **settings)

    @classmethod
    def refresh_token_from_issuer(cls, issuer: str, client_id: str,
                                  client_secret: Optional[str],
                                  refresh_token: str, **settings) -> "Auth":
        handle = cls._new("f7t_auth_refresh_token_from_issuer_new",
                          _encode(issuer, "issuer"),
                          _encode(client_id, "client_id"),
                          _optional(client_secret, "client_secret"),
                          _encode(refresh_token, "refresh_token"))
        return Auth(handle, **settings)

    @classmethod
    def token_command(cls, command: str, lifetime_seconds: int = 0,
                      **settings) -> "Auth":
        """A command that prints a token (FIRECREST_TOKEN_COMMAND), run
        with /bin/sh -c and cached for lifetime_seconds (0: the JWT exp)."""
        handle = cls._new("f7t_auth_token_command_new",
                          _encode(command, "command"),
                          int(lifetime_seconds))
        return Auth(handle, **settings)

    @classmethod
    def from_callback(cls, provider: Callable[[], ProviderResult],
                      **settings) -> "Auth":
        """Tokens from your own function, cached like any other.

        ``provider()`` returns the token, or ``(token, expires_in)`` with
        its lifetime in seconds (0 reads the JWT exp claim). It is called
        only when the cached token needs renewing, never on two threads at
        once for this handle, and must not ask this handle for a token. An
        exception it raises fails that request with PROVIDER_FAILED, its
        text in the message (keep secrets out of it).
        """
        lib = load_library()

        @_PROVIDER_CB
        def trampoline(_userdata, sink):
            try:
                result = provider()
                if isinstance(result, tuple):
                    token, expires_in = result
                else:
                    token, expires_in = result, 0
                status = lib.f7t_token_sink_set_token(
                    sink, _encode(token, "the provided token"),
                    int(expires_in))
                return 0 if status == Status.OK else 1
            except BaseException as error:  # noqa: BLE001 - reported in C
                reason = f"{type(error).__name__}: {error}"
                lib.f7t_token_sink_set_error(
                    sink, reason.replace("\0", " ").encode("utf-8"))
                return 1

        handle = cls._new("f7t_auth_callback_new", trampoline, None,
                          _USERDATA_FREE_CB())
        return Auth(handle, keep=[trampoline, provider], **settings)

    # Settings ------------------------------------------------------------

    def configure(self, **settings) -> "Auth":
        """Applies keyword settings (see the class docstring)."""
        connect = settings.pop("connect_timeout", None)
        total = settings.pop("total_timeout", None)
        if connect is not None or total is not None:
            self.set_timeouts(10.0 if connect is None else connect,
                              30.0 if total is None else total)
        for name, value in settings.items():
            setter = getattr(self, f"set_{name}", None)
            if setter is None or name in ("timeouts", "device_prompt"):
                raise TypeError(f"unknown setting {name!r}")
            setter(value)
        return self

    def _set(self, setter: str, *args) -> None:
        _check(getattr(self._lib, setter)(self._live(), *args))

    def set_min_validity(self, seconds: int) -> None:
        """Renew a cached token once it has less than this left (default
        60 s, at most half the token's lifetime)."""
        self._set("f7t_auth_set_min_validity", int(seconds))

    def set_timeouts(self, connect: float, total: float) -> None:
        """Connect and total timeout of one fetch, in seconds."""
        self._set("f7t_auth_set_timeouts", int(connect * 1000),
                  int(total * 1000))

    def set_max_retries(self, retries: int) -> None:
        self._set("f7t_auth_set_max_retries", int(retries))

    def set_ca_file(self, path: Optional[str]) -> None:
        self._set("f7t_auth_set_ca_file", _optional(path, "ca_file"))

    def set_allow_insecure_http(self, allow: bool) -> None:
        self._set("f7t_auth_set_allow_insecure_http", 1 if allow else 0)

    def set_user_agent_suffix(self, suffix: Optional[str]) -> None:
        self._set("f7t_auth_set_user_agent_suffix",
                  _optional(suffix, "user_agent_suffix"))

    def set_scope(self, scope: Optional[str]) -> None:
        self._set("f7t_auth_set_scope", _optional(scope, "scope"))

    def set_audience(self, audience: Optional[str]) -> None:
        self._set("f7t_auth_set_audience", _optional(audience, "audience"))

    def set_resource(self, resource: Optional[str]) -> None:
        self._set("f7t_auth_set_resource", _optional(resource, "resource"))

    def set_client_auth(self, method: str) -> None:
        """``"post"`` (client_secret_post, the default) or ``"basic"``."""
        if method not in _CLIENT_AUTH:
            raise ValueError(f"client_auth must be 'post' or 'basic', not "
                             f"{method!r}")
        self._set("f7t_auth_set_client_auth", _CLIENT_AUTH[method])

    def set_token_store(self, path: Optional[str]) -> None:
        self._set("f7t_auth_set_token_store", _optional(path, "token_store"))

    def set_shared_cache_dir(self, path: Optional[str]) -> None:
        self._set("f7t_auth_set_shared_cache_dir",
                  _optional(path, "shared_cache_dir"))

    def set_device_prompt(
            self,
            prompt: Optional[Callable[[str, Optional[str], str, int], object]]
    ) -> None:
        """Shows a device login's code your way instead of on stderr:
        ``prompt(verification_uri, verification_uri_complete, user_code,
        expires_in)``; return False (or raise) to cancel the login."""
        if prompt is None:
            self._set("f7t_auth_set_device_prompt", _DEVICE_PROMPT_CB(), None,
                      _USERDATA_FREE_CB())
            return

        @_DEVICE_PROMPT_CB
        def trampoline(_userdata, uri, uri_complete, user_code, expires_in):
            try:
                go_on = prompt(_decode(uri),
                               None if uri_complete is None
                               else _decode(uri_complete),
                               _decode(user_code), expires_in)
                return 1 if go_on is False else 0
            except BaseException:  # noqa: BLE001 - cancels the login
                return 1

        self._set("f7t_auth_set_device_prompt", trampoline, None,
                  _USERDATA_FREE_CB())
        self._keep.append(trampoline)

    def cancel(self) -> None:
        """Ends a device login waiting on another thread."""
        self._set("f7t_auth_cancel")

    # Tokens --------------------------------------------------------------

    def get_token(self) -> Token:
        """A valid access token and its expiry (Unix seconds)."""
        return _lend(self._lib.f7t_auth_get_access_token, self._live(),
                     _receive_token)

    def get_access_token(self) -> str:
        """A valid access token (what pyFirecREST calls)."""
        return self.get_token().access_token

    def auth_headers(self) -> Dict[str, str]:
        """The header to send: ``{"Authorization": "Bearer <token>"}``, or
        an API key's header (what pyFirecREST 3.10 calls)."""
        name, value, _expires_at = _lend(self._lib.f7t_auth_get_header,
                                         self._live(), _receive_header)
        return {name: value}

    def invalidate(self, rejected_token: Optional[str] = None) -> None:
        """After the API answered 401: pass the token it rejected, so that
        many threads reporting the same token cause one fetch."""
        self._set("f7t_auth_invalidate",
                  _optional(rejected_token, "rejected_token"))

    # Lifetime ------------------------------------------------------------

    def _live(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise ValueError("this firecrest_auth.Auth is closed")
        return self._handle

    def close(self) -> None:
        """Frees the handle; the library wipes the secrets it held."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None and self._lib is not None:
            self._lib.f7t_auth_free(handle)
        self._keep = []

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Auth":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing to report it to
            pass

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "open"
        return f"<{type(self).__name__} {state}>"


# ---------------------------------------------------------------------------
# Drop-in replacements for pyFirecREST's own classes, with the same
# arguments, so that changing the import is enough.

class ClientCredentialsAuth(Auth):
    """pyFirecREST's ``ClientCredentialsAuth``, on the library.

    ``min_token_validity`` defaults to the library's margin (60 s, at most
    half the token's lifetime) rather than pyFirecREST's 10 s, which
    FirecREST's 30 s floor rejects.
    """

    def __init__(self, client_id: str, client_secret: str, token_uri: str,
                 min_token_validity: Optional[int] = None,
                 client_auth_method: str = "client_secret_post",
                 **settings):
        if client_auth_method not in ("client_secret_post",
                                      "client_secret_basic"):
            raise ValueError(
                "client_auth_method must be either 'client_secret_post' or "
                f"'client_secret_basic', got {client_auth_method!r}")
        if min_token_validity is not None:
            settings.setdefault("min_validity", min_token_validity)
        settings.setdefault("client_auth", client_auth_method)
        handle = self._new("f7t_auth_client_credentials_new",
                           _encode(token_uri, "token_uri"),
                           _encode(client_id, "client_id"),
                           _encode(client_secret, "client_secret"))
        super().__init__(handle, **settings)


class TokenCommandAuth(Auth):
    """pyFirecREST's ``TokenCommandAuth``, on the library: the command's
    token is cached (until its JWT exp, or ``lifetime_seconds``) instead of
    the command running before every request, and it is killed when it
    hangs."""

    def __init__(self, command: str, lifetime_seconds: int = 0, **settings):
        handle = self._new("f7t_auth_token_command_new",
                           _encode(command, "command"),
                           int(lifetime_seconds))
        super().__init__(handle, **settings)


class ApiKeyAuth(Auth):
    """pyFirecREST's ``ApiKeyAuth``, on the library."""

    def __init__(self, api_key: str, header_name: str = "X-API-Key"):
        if not api_key:
            raise ValueError("api_key must be a non-empty string")
        if not header_name:
            raise ValueError("header_name must be a non-empty string")
        handle = self._new("f7t_auth_api_key_new",
                           _encode(header_name, "header_name"),
                           _encode(api_key, "api_key"))
        super().__init__(handle)
