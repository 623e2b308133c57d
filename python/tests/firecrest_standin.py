"""A small stand-in for the FirecREST v2 API, for the pyFirecREST tests.

It listens on 127.0.0.1 only, answers the few endpoints the tests drive
through pyFirecREST (``GET /status/systems``, ``/status/{system}/userinfo``,
``/status/{system}/partitions`` and ``/filesystem/{system}/ops/ls``), and,
like the real server, accepts a request only with a bearer token that the
test OpenID provider signed (RS256, checked against the provider's JWKS)
for FirecREST's audience and that has not expired. Anything else gets 401
with the reason, and every decision is recorded for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple

import jwt  # PyJWT[crypto]

API_VERSION = "2.6.0"
SYSTEM = "daint"


class FirecrestStandIn:
    """The server; use as a context manager, or start() and stop()."""

    def __init__(self, issuer: str, audience: str):
        self.issuer = issuer
        self.audience = audience
        # Fetches the provider's JWKS on first use, over 127.0.0.1.
        self._jwks = jwt.PyJWKClient(f"{issuer}/jwks", cache_keys=True)
        self._lock = threading.Lock()
        self.accepted: List[Tuple[str, str]] = []  # (path, token subject)
        self.rejected: List[Tuple[str, str]] = []  # (path, reason)
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # Lifetime ---------------------------------------------------------------

    def start(self) -> "FirecrestStandIn":
        standin = self

        class Handler(_Handler):
            server_side = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="firecrest-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FirecrestStandIn":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            self.accepted.clear()
            self.rejected.clear()

    # Authentication -------------------------------------------------------

    def authenticate(self, authorization: Optional[str]) -> dict:
        """The verified claims of the request's bearer token; raises
        PermissionError with the reason otherwise."""
        if not authorization:
            raise PermissionError("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise PermissionError("the Authorization header is not Bearer")
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            return jwt.decode(
                token, key.key, algorithms=["RS256"],
                audience=self.audience, issuer=self.issuer,
                options={"require": ["exp", "iat", "sub"]})
        except jwt.ExpiredSignatureError:
            raise PermissionError("the access token has expired") from None
        except jwt.InvalidAudienceError:
            raise PermissionError(
                f"the access token is not for {self.audience}") from None
        except jwt.PyJWKClientError as error:
            raise PermissionError(
                f"no key of the provider signed the token: {error}") from None
        except jwt.InvalidTokenError as error:
            raise PermissionError(
                f"invalid access token: {type(error).__name__}: {error}"
            ) from None

    def record(self, accepted: bool, path: str, detail: str) -> None:
        with self._lock:
            (self.accepted if accepted else self.rejected).append(
                (path, detail))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_side: FirecrestStandIn  # set by start()

    def log_message(self, format, *args):  # noqa: A002 - the base's name
        pass  # the tests read the records instead

    def do_GET(self):  # noqa: N802 - the base's naming
        url = urllib.parse.urlsplit(self.path)
        standin = self.server_side
        try:
            claims = standin.authenticate(self.headers.get("Authorization"))
        except PermissionError as reason:
            standin.record(False, url.path, str(reason))
            self._reply(401, {"message": str(reason)},
                        {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        standin.record(True, url.path, claims["sub"])
        query = urllib.parse.parse_qs(url.query)
        body = _route(url.path, query, claims)
        if body is None:
            self._reply(404, {"message": f"{url.path} is not implemented by "
                                         "the stand-in"})
        else:
            self._reply(200, body)

    def _reply(self, status: int, body: dict, headers=None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("f7t-appversion", API_VERSION)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _route(path: str, query: dict, claims: dict) -> Optional[dict]:
    """The body of a successful reply, in the shapes pyFirecREST reads."""
    parts = path.strip("/").split("/")
    if parts == ["status", "systems"]:
        return {"systems": [{
            "name": SYSTEM,
            "ssh": {"host": "daint.test", "port": 22},
            "scheduler": {"type": "slurm", "version": "24.05"},
            "servicesHealth": [],
            "probing": {"interval": 60, "timeout": 10},
            "fileSystems": [{"path": "/home", "dataType": "users",
                             "defaultWorkDir": True}],
            "datatransferJobsDirectives": [],
        }]}
    if len(parts) != 3 and not (len(parts) == 4 and parts[0] == "filesystem"):
        return None
    if parts[1] != SYSTEM:
        return None
    if parts[0] == "status" and parts[2] == "userinfo":
        # The token's subject shows which token reached the server.
        return {"user": {"id": "1000", "name": claims["sub"]},
                "group": {"id": "1000", "name": "users"},
                "groups": [{"id": "1000", "name": "users", "default": True}],
                "accounts": None}
    if parts[0] == "status" and parts[2] == "partitions":
        return {"partitions": [{"name": "normal", "cpus": 1024,
                                "totalNodes": 16, "partition": "normal"}]}
    if parts[0] == "filesystem" and parts[2:] == ["ops", "ls"]:
        where = query.get("path", ["/"])[0]
        return {"output": [
            {"name": "input.dat", "type": "-", "linkTarget": None,
             "user": claims["sub"], "group": "users",
             "permissions": "rw-r--r--", "lastModified": "2024-01-01T00:00",
             "size": "1024", "path": f"{where.rstrip('/')}/input.dat"},
        ]}
    return None
