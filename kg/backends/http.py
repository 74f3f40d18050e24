"""The HTTP client kg talks to SPARQL servers with: one request, one answer, typed failures.

Every failure becomes one ``EndpointError`` naming the URL and carrying the HTTP
status, so callers decide by the status (is the protocol offered?) and never by
matching message text.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from kg.errors import EndpointError

FORM = "application/x-www-form-urlencoded"


class HttpClient:
    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout

    def exchange(self, url: str, data: bytes, content_type: str, accept: str, method: str = "POST"):
        """The answer's body and headers; every HTTP failure as one EndpointError naming the URL."""
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())
            message = f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail[:200]}" if detail else "")
            raise EndpointError(message, url=url, status=exc.code) from None
        except urllib.error.URLError as exc:
            reason = getattr(exc.reason, "strerror", None) or exc.reason
            raise EndpointError(f"{url}: cannot reach the endpoint: {reason}", url=url) from None
        except TimeoutError:
            raise EndpointError(f"{url}: no answer within {self.timeout:g} s (timeout)", url=url) from None
        except OSError as exc:
            raise EndpointError(f"{url}: connection failed: {exc}", url=url) from None

    def post_form(self, url: str, fields: list[tuple[str, str]], accept: str):
        """POST ``fields`` as an HTML form (how SPARQL queries and updates travel): body and headers."""
        return self.exchange(url, urllib.parse.urlencode(fields).encode(), FORM, accept)
