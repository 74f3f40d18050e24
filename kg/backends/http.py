"""The HTTP client kg talks to SPARQL servers with: one request, one bounded answer, typed failures.

Every failure becomes one ``EndpointError`` naming the URL (its secrets masked)
and carrying the HTTP status, so callers decide by the status (is the protocol
offered?) and never by matching message text. A request must finish, answer
included, within its timeout, and an answer may not exceed a size limit: a
server that trickles or floods cannot hold kg or fill its memory. Redirects
are followed only where nothing changes but the path (307/308 on the same
scheme, host and port); any other would send the query elsewhere or drop it.
Credentials come from the environment or ``~/.netrc``, never from a URL (a
command line's URL shows in the process list).
"""

from __future__ import annotations

import hashlib
import http.client
import netrc
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kg.errors import EndpointError, InputError, arg

FORM = "application/x-www-form-urlencoded"
USER_VARIABLE, PASSWORD_VARIABLE, TOKEN_VARIABLE = "KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD", "KG_ENDPOINT_TOKEN"
#: Bytes one answer may hold, unless this variable says otherwise.
MAX_BYTES_VARIABLE = "KG_ENDPOINT_MAX_BYTES"
DEFAULT_MAX_ANSWER_BYTES = 256 * 2**20
CREDENTIALS_HINT = f"{USER_VARIABLE} and {PASSWORD_VARIABLE}, {TOKEN_VARIABLE}, or ~/.netrc"
_CHUNK = 1 << 16
_REDIRECTS = 5
#: Query parameters whose values are secrets by their name (api_key=, access_token=, sig=...).
_SECRET_PARAMETER = re.compile(r"token|key|secret|pass|pwd|auth|sig|credential|session", re.IGNORECASE)
#: What no URL kg sends may hold: whitespace, control characters and the characters IRIs exclude.
_BAD_URL_CHARACTER = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|\\^`]')


def shown(url: str) -> str:
    """``url`` as kg prints it: credentials in it, and query values named like secrets, masked."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<a malformed URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        fields = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAMETER.search(name) for name, _ in fields):
            query = "&".join(
                f"{urllib.parse.quote(name, safe='')}=" + ("***" if _SECRET_PARAMETER.search(name) else urllib.parse.quote(value, safe=""))
                for name, value in fields
            )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_url(url: str, name: str) -> str:
    """``url`` if it is an http(s) URL kg can send a request to without surprises; else an InputError.

    A password or user name in the URL is refused: it would show in the process
    list and shell history, so credentials come from the environment or ~/.netrc.
    """
    if not isinstance(url, str) or _BAD_URL_CHARACTER.search(url):
        raise InputError(f"invalid {arg(name)} {_quoted(shown(str(url)))}: a URL may not hold spaces, control characters or <>\"{{}}|\\^`")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise InputError(f"invalid {arg(name)} {_quoted(shown(url))}: expected an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"invalid {arg(name)} {_quoted(shown(url))}: expected an http(s) URL")
    if "@" in parts.netloc:
        raise InputError(
            f"{arg(name)} {_quoted(shown(url))} holds credentials, which would show in the process list; "
            f"give them in {CREDENTIALS_HINT} instead"
        )
    return url


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:117] + "...")


@dataclass(frozen=True)
class Credentials:
    """A user and password (HTTP Basic or Digest, as the server asks) or a bearer token."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    def __repr__(self) -> str:  # never the secret, whatever prints it
        return f"Credentials(user={self.user!r}, password={'***' if self.password else None}, token={'***' if self.token else None})"


def credentials_for(url: str, environ=os.environ) -> Credentials | None:
    """The credentials for ``url``'s host: from the environment, else from the netrc file, else None.

    The environment (``KG_ENDPOINT_TOKEN``, or ``KG_ENDPOINT_USER`` with
    ``KG_ENDPOINT_PASSWORD``) applies to every endpoint of the run; ``~/.netrc``
    (or the file ``NETRC`` names, as curl reads it) to the host its entry names.
    """
    return environment_credentials(environ) or _netrc_credentials(url, environ)


def environment_credentials(environ=os.environ) -> Credentials | None:
    """The credentials the environment gives, or None; an error for half of a pair, or a token and a pair."""
    token, user, password = (environ.get(name) or None for name in (TOKEN_VARIABLE, USER_VARIABLE, PASSWORD_VARIABLE))
    if token and (user or password):
        raise InputError(f"set either {TOKEN_VARIABLE} or {USER_VARIABLE} and {PASSWORD_VARIABLE}, not both")
    if token:
        return Credentials(token=token)
    if bool(user) != bool(password):
        given, missing = (USER_VARIABLE, PASSWORD_VARIABLE) if user else (PASSWORD_VARIABLE, USER_VARIABLE)
        raise InputError(f"{given} is set but {missing} is not")
    return Credentials(user=user, password=password) if user else None


def _netrc_credentials(url: str, environ) -> Credentials | None:
    named = environ.get("NETRC")
    path = Path(named) if named else Path.home() / ".netrc"
    if not path.is_file():
        return None
    try:  # netrc checks the default file's permissions itself
        entry = netrc.netrc(str(path) if named else None).authenticators(urllib.parse.urlsplit(url).hostname or "")
    except (netrc.NetrcParseError, OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "msg", None) or getattr(exc, "strerror", None) or "cannot be read"
        raise InputError(f"{path}: {reason}") from None
    if not entry or not entry[2]:
        return None
    return Credentials(user=entry[0] or "", password=entry[2])


@dataclass(frozen=True)
class Answer:
    """A server's answer: HTTP status, headers and the whole body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-case (None if the server sent none)."""
        value = self.headers.get("Content-Type")
        return value.split(";", 1)[0].strip().lower() or None if value else None


class HttpClient:
    """Sends one request at a time and reads the whole answer, within ``timeout`` seconds and ``max_answer_bytes``.

    ``credentials`` apply to every URL; without them each host gets its own from
    the environment or ~/.netrc (``credentials_for``). ``max_answer_bytes``
    defaults to ``KG_ENDPOINT_MAX_BYTES``, else 256 MiB.
    """

    def __init__(self, timeout: float = 60.0, *, credentials: Credentials | None = None, max_answer_bytes: int | None = None) -> None:
        self.timeout = timeout
        self.credentials = credentials
        self.max_answer_bytes = max_answer_bytes if max_answer_bytes is not None else _max_bytes_from_environment()
        self._found: dict[str, Credentials | None] = {}

    def _credentials(self, url: str) -> Credentials | None:
        if self.credentials is not None:
            return self.credentials
        host = urllib.parse.urlsplit(url).hostname or ""
        if host not in self._found:
            self._found[host] = credentials_for(url)
        return self._found[host]

    def exchange(self, url: str, data: bytes, content_type: str, accept: str, method: str = "POST") -> Answer:
        """The server's answer to one request; every failure one EndpointError naming the URL."""
        deadline = _Deadline(self.timeout)
        # A token goes with every request; a user and password (the netrc file is read only then) to a server that asks.
        given = self.credentials if self.credentials is not None else environment_credentials()
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type, "Accept": accept})
        if given and given.token:
            request.add_unredirected_header("Authorization", f"Bearer {given.token}")
        request.kg_redirects = 0
        opener = _opener(deadline, _Passwords(lambda: self._credentials(url)))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, response.headers, self._read(response, url))
        except urllib.error.HTTPError as exc:
            error = self._http_error(url, exc)
            exc.close()
            raise error from None
        except EndpointError:
            raise
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout(url) from None
            reason = getattr(exc.reason, "strerror", None) or exc.reason
            raise EndpointError(f"{shown(url)}: cannot reach the endpoint: {reason}", url=shown(url)) from None
        except TimeoutError:
            raise self._timeout(url) from None
        except http.client.IncompleteRead:
            raise EndpointError(f"{shown(url)}: the endpoint's answer was cut short", url=shown(url)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise EndpointError(f"{shown(url)}: connection failed: {exc}", url=shown(url)) from None
        except (ValueError, UnicodeError) as exc:  # urllib's answer to an auth challenge it cannot meet, or a bad URL
            raise EndpointError(f"{shown(url)}: cannot talk to the endpoint: {exc}", url=shown(url)) from None

    def post_form(self, url: str, fields: list[tuple[str, str]], accept: str) -> Answer:
        """POST ``fields`` as an HTML form (how SPARQL queries and updates travel)."""
        return self.exchange(url, urllib.parse.urlencode(fields).encode(), FORM, accept)

    def _read(self, response, url: str) -> bytes:
        """The whole body, never more than the limit; an answer shorter than it announced is an error."""
        if response.status in (204, 304) or 100 <= response.status < 200:
            return b""  # no body, whatever Content-Length says (RFC 9110, 6.4.1)
        limit = self.max_answer_bytes
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.strip().isdigit() else None
        if announced is not None and announced > limit:
            raise self._too_large(url)
        chunks, total = [], 0
        while chunk := response.read(min(_CHUNK, limit + 1 - total)):
            total += len(chunk)
            if total > limit:
                raise self._too_large(url)
            chunks.append(chunk)
        if announced is not None and total < announced:
            raise EndpointError(f"{shown(url)}: the endpoint's answer was cut short ({total} of {announced} bytes)", url=shown(url))
        return b"".join(chunks)

    def _http_error(self, url: str, exc: urllib.error.HTTPError) -> EndpointError:
        try:
            detail = " ".join(exc.fp.read(300).decode("utf-8", "replace").split()) if getattr(exc, "fp", None) else ""
        except (OSError, ValueError, http.client.HTTPException):
            detail = ""
        detail = "".join(c for c in detail if c.isprintable())[:200]
        reason = "".join(c for c in str(exc.reason) if c.isprintable())[:80]
        message = f"{shown(url)}: HTTP {exc.code} {reason}" + (f": {detail}" if detail else "")
        if exc.code in (401, 403):
            message += f" (credentials: {CREDENTIALS_HINT})"
        return EndpointError(message, url=shown(url), status=exc.code)

    def _timeout(self, url: str) -> EndpointError:
        return EndpointError(f"{shown(url)}: no answer within {self.timeout:g} s (timeout)", url=shown(url))

    def _too_large(self, url: str) -> EndpointError:
        return EndpointError(
            f"{shown(url)}: the endpoint's answer is larger than {_size(self.max_answer_bytes)}, the limit for one answer "
            f"(raise it with {MAX_BYTES_VARIABLE}, in bytes)",
            url=shown(url),
        )


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count >= 2**20 else f"{count} bytes"


def _max_bytes_from_environment() -> int:
    value = os.environ.get(MAX_BYTES_VARIABLE)
    if not value:
        return DEFAULT_MAX_ANSWER_BYTES
    if not value.strip().isdigit() or int(value) < 1:
        raise InputError(f"{MAX_BYTES_VARIABLE} must be a number of bytes, not {_quoted(value)}")
    return int(value)


def same_origin(first: str, second: str) -> bool:
    """Whether two URLs share scheme, host and port (where a redirect may go with the query and credentials)."""
    try:
        a, b = urllib.parse.urlsplit(first), urllib.parse.urlsplit(second)
        return (a.scheme, a.hostname, a.port or _PORTS.get(a.scheme)) == (b.scheme, b.hostname, b.port or _PORTS.get(b.scheme))
    except ValueError:
        return False


_PORTS = {"http": 80, "https": 443}


# The deadline: every socket operation may wait only for what is left of the request's time, so an
# answer trickled a byte at a time ends at the deadline as surely as a server that never answers.


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's time is up")
        return left


class _BoundedSocket(socket.socket):
    """A TCP socket whose every wait ends at its request's deadline."""

    deadline: _Deadline

    def recv(self, *args):
        self.settimeout(self.deadline.remaining())
        return super().recv(*args)

    def recv_into(self, *args):
        self.settimeout(self.deadline.remaining())
        return super().recv_into(*args)

    def send(self, *args):
        self.settimeout(self.deadline.remaining())
        return super().send(*args)

    def sendall(self, *args):
        self.settimeout(self.deadline.remaining())  # a total for the whole send, since Python 3.5
        return super().sendall(*args)


class _BoundedSSLSocket(ssl.SSLSocket):
    """The same over TLS (the handshake itself is bounded by the timeout the TCP socket had)."""

    deadline: _Deadline | None = None

    def _bound(self) -> None:
        if self.deadline is not None:
            self.settimeout(self.deadline.remaining())

    def recv(self, *args):
        self._bound()
        return super().recv(*args)

    def recv_into(self, *args):
        self._bound()
        return super().recv_into(*args)

    def send(self, *args):  # sendall sends through send
        self._bound()
        return super().send(*args)


def _bounded_connection(deadline: _Deadline):
    def create(address, timeout=None, source_address=None, **kwargs) -> socket.socket:
        raw = socket.create_connection(address, deadline.remaining(), source_address, **kwargs)
        sock = _BoundedSocket(raw.family, raw.type, raw.proto, fileno=raw.detach())
        sock.deadline = deadline
        sock.settimeout(deadline.remaining())
        return sock

    return create


class _Connection(http.client.HTTPConnection):
    def __init__(self, *args, deadline: _Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _bounded_connection(deadline)


class _SecureConnection(http.client.HTTPSConnection):
    def __init__(self, *args, deadline: _Deadline, **kwargs) -> None:
        context = ssl.create_default_context()
        context.sslsocket_class = _BoundedSSLSocket
        super().__init__(*args, context=context, **kwargs)
        self._create_connection = _bounded_connection(deadline)
        self.deadline = deadline

    def connect(self) -> None:
        super().connect()
        self.sock.deadline = self.deadline


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_Connection, req, deadline=self.deadline)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(_SecureConnection, req, deadline=self.deadline)


class _Redirects(urllib.request.BaseHandler):
    """307 and 308 within one origin keep the method and the query: followed. Any other redirect is an error."""

    def _redirect(self, req, fp, code, msg, headers):
        location = urllib.parse.urljoin(req.full_url, headers.get("Location") or "")
        fp.close()
        safe = not _BAD_URL_CHARACTER.search(location) and same_origin(req.full_url, location)
        if code in (307, 308) and safe and req.kg_redirects < _REDIRECTS:
            follow = urllib.request.Request(location, data=req.data, method=req.get_method(), headers=dict(req.header_items()))
            follow.kg_redirects = req.kg_redirects + 1
            return self.parent.open(follow, timeout=req.timeout)
        why = "to another server" if not same_origin(req.full_url, location) else "and would drop the query"
        raise EndpointError(
            f"{shown(req.full_url)}: the endpoint redirects (HTTP {code}) {why}: {shown(location)}; "
            "kg does not follow it (give that URL if you trust it)",
            url=shown(req.full_url),
            status=code,
        )

    http_error_301 = http_error_302 = http_error_303 = http_error_307 = http_error_308 = _redirect


def _challenges(headers, scheme: str) -> bool:
    """Whether the server's WWW-Authenticate headers offer ``scheme``."""
    return any(value.split(None, 1)[0].lower() == scheme for value in headers.get_all("WWW-Authenticate") or [] if value.strip())


class _BasicAuth(urllib.request.HTTPBasicAuthHandler):
    """urllib's Basic, standing aside (the 401 stands) when the server asks for another scheme."""

    def http_error_401(self, req, fp, code, msg, headers):
        return super().http_error_401(req, fp, code, msg, headers) if _challenges(headers, "basic") else None


class _DigestAuth(urllib.request.HTTPDigestAuthHandler):
    """urllib's Digest, hashing UTF-8 (it takes ASCII only) and knowing SHA-256 (RFC 7616)."""

    _HASHES = {"MD5": "md5", "SHA": "sha1", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}

    def http_error_401(self, req, fp, code, msg, headers):
        return super().http_error_401(req, fp, code, msg, headers) if _challenges(headers, "digest") else None

    def get_algorithm_impls(self, algorithm):
        name = self._HASHES.get(str(algorithm).upper())
        if name is None:
            raise ValueError(f"the server asks for Digest algorithm {str(algorithm)[:40]!r}, which kg does not support")

        def digest(text: str) -> str:
            return hashlib.new(name, text.encode("utf-8")).hexdigest()

        return digest, lambda secret, data: digest(f"{secret}:{data}")


class _Passwords(urllib.request.HTTPPasswordMgr):
    """The user and password for a server that asks for them, looked up only then."""

    def __init__(self, lookup) -> None:
        super().__init__()
        self.lookup = lookup

    def find_user_password(self, realm, authuri):
        credentials = self.lookup()
        if credentials is None or credentials.password is None:
            return None, None
        return credentials.user or "", credentials.password


def _opener(deadline: _Deadline, passwords: _Passwords) -> urllib.request.OpenerDirector:
    """An opener for one request: proxies from the environment, no redirects but safe ones, Digest and Basic."""
    opener = urllib.request.OpenerDirector()
    handlers = [
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        _HttpHandler(deadline),
        _HttpsHandler(deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(),
        urllib.request.HTTPErrorProcessor(),
        _DigestAuth(passwords),
        _BasicAuth(passwords),
    ]
    for handler in handlers:
        opener.add_handler(handler)
    return opener
