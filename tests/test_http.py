"""kg's HTTP client (kg.backends.http) and what the endpoint backend checks of each answer.

Every server here is a small one on 127.0.0.1 that misbehaves on purpose: it
trickles, floods, redirects, mislabels, or asks for credentials. kg must end
each request within its timeout and its size limit, never follow a redirect
that sends the query elsewhere or drops it, never take a mislabelled answer
for an empty one, and never print a secret.
"""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import threading
import time
import tracemalloc
import urllib.parse
from pathlib import Path

import pytest
import servers
from hypothesis import given, settings
from hypothesis import strategies as st

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)

JSON = "application/sparql-results+json"
SELECT = "SELECT ?x WHERE { ?x ?p ?o }"


def rows(value: str) -> bytes:
    return json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": value}}]}}).encode()


class Server:
    """A server on 127.0.0.1 whose every request goes to ``respond(handler)``; ``requests`` records them."""

    def __init__(self, respond) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append((self.command, self.path, self.body))
                try:
                    respond(self)
                except OSError:  # the client hung up, as it should
                    pass

            do_GET = do_POST = do_PUT = _any  # noqa: N815 - http.server's naming

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + "/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer(handler, body: bytes = b"", status: int = 200, content_type: str | None = JSON, headers: dict | None = None, length: bool = True):
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def query(invoke, url: str, *args: str, text: str = SELECT):
    return invoke("query", "-e", text, "--endpoint", url, "--format", "csv", *args)


# time


def trickle_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", JSON)
    handler.end_headers()
    for byte in rows("slow"):
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.05)


def trickle_headers(handler):
    handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
    for byte in f"Content-Type: {JSON}\r\nX-Padding: {'x' * 80}\r\n\r\n".encode():
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.05)
    handler.wfile.write(rows("slow"))


@pytest.mark.parametrize("respond", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_an_answer_trickled_a_byte_at_a_time_ends_at_the_timeout(invoke, respond):
    """Each byte comes well within the timeout, the whole answer well after it: the timeout is the request's."""
    with Server(respond) as server:
        result = query(invoke, server.url, "--timeout", "1")
    assert one_error_line(result) == f"Error: {server.url}: no answer within 1 s (timeout)"
    assert "slow" not in result.stdout


# memory


def test_an_answer_over_the_size_limit_is_one_error_naming_the_url_and_the_limit(invoke, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_MAX_BYTES", "1000")
    big = rows("x" * 5000)
    for length in (True, False):  # announced, and read until the server closes
        with Server(lambda handler: answer(handler, big, length=length)) as server:
            result = query(invoke, server.url)
        line = one_error_line(result)
        assert line.startswith(f"Error: {server.url}: the endpoint's answer is larger than 1000 bytes")
        assert "KG_ENDPOINT_MAX_BYTES" in line


def flood(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", JSON)
    handler.end_headers()
    block = b" " * 2**20
    for _ in range(64):
        handler.wfile.write(block)


def test_reading_a_flood_holds_no_more_than_the_limit_in_memory(invoke, monkeypatch):
    """64 MiB sent, a limit of 1 MiB: kg stops reading at the limit rather than holding the flood."""
    monkeypatch.setenv("KG_ENDPOINT_MAX_BYTES", str(2**20))
    with Server(flood) as server:
        tracemalloc.start()
        try:
            result = query(invoke, server.url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert "larger than 1 MiB" in one_error_line(result)
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_a_bad_size_limit_is_one_error(invoke, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_MAX_BYTES", "lots")
    with Server(lambda handler: answer(handler, rows("a"))) as server:
        assert "KG_ENDPOINT_MAX_BYTES must be a number of bytes" in one_error_line(query(invoke, server.url))


def test_an_answer_shorter_than_announced_is_an_error(invoke):
    with Server(lambda handler: answer(handler, b"<urn:a> <urn:b> <urn:c> .\n", content_type="application/n-triples", headers={"Content-Length": "5000"}, length=False)) as server:
        result = query(invoke, server.url, text="CONSTRUCT WHERE { ?s ?p ?o }")
    assert one_error_line(result).startswith(f"Error: {server.url}: the endpoint's answer was cut short")


# redirects


def redirect_to(location: str, status: int):
    return lambda handler: answer(handler, status=status, content_type="text/html", headers={"Location": location})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_server_is_refused(invoke, status):
    """A query answered by a server the user did not name is not the answer: one error naming both."""
    with Server(lambda handler: answer(handler, rows("from-elsewhere"))) as elsewhere:
        with Server(redirect_to(elsewhere.url, status)) as server:
            result = query(invoke, server.url)
    line = one_error_line(result)
    assert f"HTTP {status}" in line and "another server" in line and elsewhere.url in line
    assert elsewhere.requests == [] and "from-elsewhere" not in result.stdout


def test_a_redirect_off_the_machine_is_refused_without_a_connection(invoke):
    """The loopback guard fails the test if kg so much as connects to example.org."""
    with Server(redirect_to("http://example.org/sparql", 302)) as server:
        assert "http://example.org/sparql" in one_error_line(query(invoke, server.url))


@pytest.mark.parametrize("status", [301, 302, 303])
def test_a_redirect_that_would_drop_the_query_is_refused(invoke, status):
    """301, 302 and 303 turn a POST into a GET without the query, even on the same server."""

    def respond(handler):
        if handler.path == "/sparql":
            answer(handler, status=status, content_type="text/html", headers={"Location": "/moved"})
        else:
            answer(handler, rows("not-the-answer"))

    with Server(respond) as server:
        result = query(invoke, server.url)
    assert "would drop the query" in one_error_line(result)
    assert "not-the-answer" not in result.stdout


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_within_the_server_that_keeps_the_query_is_followed(invoke, status):
    def respond(handler):
        if handler.path == "/sparql":
            answer(handler, status=status, content_type="text/html", headers={"Location": "/moved"})
        elif handler.command == "POST" and urllib.parse.parse_qs(handler.body.decode())["query"] == [SELECT]:
            answer(handler, rows("the-answer"))
        else:
            answer(handler, status=400, content_type="text/plain")

    with Server(respond) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "the-answer"]


def test_redirects_in_a_loop_end(invoke):
    with Server(redirect_to("/sparql", 307)) as server:
        assert "HTTP 307" in one_error_line(query(invoke, server.url))


# what an answer is


@pytest.mark.parametrize(
    "text, body, content_type, expected",
    [
        ("CONSTRUCT WHERE { ?s ?p ?o }", b"", "text/html", "the endpoint's answer is not N-Triples: it is text/html"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", b"", None, "the endpoint's answer is not N-Triples: it is empty, with no Content-Type"),
        (SELECT, b"<html><body>Sign in</body></html>", "text/html", "the endpoint's answer is not SPARQL JSON results: it is text/html"),
        ("ASK { ?s ?p ?o }", b'{"head": {}}', JSON, "the endpoint's answer is not SPARQL JSON results for an ASK"),
    ],
    ids=["empty-html-construct", "empty-untyped-construct", "html-select", "ask-without-boolean"],
)
def test_an_answer_of_the_wrong_kind_is_an_error_not_an_empty_result(invoke, text, body, content_type, expected):
    with Server(lambda handler: answer(handler, body, content_type=content_type)) as server:
        result = query(invoke, server.url, text=text)
    assert one_error_line(result) == f"Error: {server.url}: {expected}"


def test_an_ask_answer_in_virtuosos_table_form_is_read():
    """Virtuoso 7.2 answers ASK with a one-row table rather than SPARQL's boolean."""
    from kg.backends.endpoint import EndpointBackend

    table = {"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": {"type": "typed-literal", "value": "1"}}]}}
    empty = {"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": []}}
    for document, truth in ((table, True), (empty, False)):
        with Server(lambda handler: answer(handler, json.dumps(document).encode())) as server:
            assert EndpointBackend(server.url).run("ASK { ?s ?p ?o }").boolean is truth


# credentials

USER, PASSWORD, TOKEN = "alice", "s3cret wörd:", "tok-123.abc"


def basic(user: str, password: str):
    """A server that answers only requests with these HTTP Basic credentials."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def respond(handler):
        if handler.headers.get("Authorization") == expected:
            answer(handler, rows("let-in"))
        else:
            answer(handler, status=401, content_type="text/plain", headers={"WWW-Authenticate": 'Basic realm="kg"'})

    return respond


basic_only = basic(USER, PASSWORD)


def bearer_only(handler):
    if handler.headers.get("Authorization") == f"Bearer {TOKEN}":
        answer(handler, rows("let-in"))
    else:
        answer(handler, status=401, content_type="text/plain", headers={"WWW-Authenticate": 'Bearer realm="kg"'})


def digest_only(algorithm: str):
    """A server that answers only requests signed with HTTP Digest (RFC 7616, qop=auth) for USER and PASSWORD."""
    import hashlib
    import re

    name = {"MD5": "md5", "SHA-256": "sha256"}.get(algorithm, "md5")

    def digest(text: str) -> str:
        return hashlib.new(name, text.encode("utf-8")).hexdigest()

    def respond(handler):
        given = handler.headers.get("Authorization", "")
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', given.removeprefix("Digest ")))
        if given.startswith("Digest ") and fields.get("username") == USER:
            first, second = digest(f"{USER}:kg:{PASSWORD}"), digest(f"{handler.command}:{fields['uri']}")
            if fields.get("response") == digest(f"{first}:n0nce:{fields['nc']}:{fields['cnonce']}:auth:{second}"):
                answer(handler, rows("let-in"))
                return
        challenge = f'Digest realm="kg", nonce="n0nce", qop="auth", algorithm={algorithm}'
        answer(handler, status=401, content_type="text/plain", headers={"WWW-Authenticate": challenge})

    return respond


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_digest_credentials_come_from_the_environment(invoke, monkeypatch, algorithm):
    """Digest hashes the password as UTF-8 (urllib's own takes ASCII only) and knows SHA-256."""
    monkeypatch.setenv("KG_ENDPOINT_USER", USER)
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", PASSWORD)
    with Server(digest_only(algorithm)) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "let-in"]


def test_a_digest_algorithm_kg_does_not_know_is_one_error(invoke, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_USER", USER)
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", PASSWORD)
    with Server(digest_only("SHA-512")) as server:
        line = one_error_line(query(invoke, server.url))
    assert "Digest algorithm 'SHA-512'" in line and "s3cret" not in line


def test_basic_credentials_come_from_the_environment(invoke, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_USER", USER)
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", PASSWORD)
    with Server(basic_only) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "let-in"]


def test_a_bearer_token_comes_from_the_environment(invoke, monkeypatch):
    monkeypatch.setenv("KG_ENDPOINT_TOKEN", TOKEN)
    with Server(bearer_only) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "let-in"]


def test_credentials_come_from_a_netrc_file(invoke, monkeypatch, tmp_path):
    path = tmp_path / "netrc"
    path.write_text(f"machine 127.0.0.1 login {USER} password s3cret\n", encoding="utf-8")
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    with Server(basic(USER, "s3cret")) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "let-in"]


def test_a_netrc_in_home_that_others_can_read_is_refused(invoke, monkeypatch, tmp_path):
    """Python's netrc rule for ~/.netrc: a file holding a password must be readable by its owner alone."""
    (tmp_path / ".netrc").write_text(f"machine 127.0.0.1 login {USER} password s3cret\n", encoding="utf-8")
    (tmp_path / ".netrc").chmod(0o644)
    monkeypatch.delenv("NETRC")
    monkeypatch.setenv("HOME", str(tmp_path))
    with Server(basic_only) as server:
        line = one_error_line(query(invoke, server.url))
    assert "access too permissive" in line and "s3cret" not in line


def test_the_netrc_file_is_read_only_for_a_server_that_asks(invoke, monkeypatch, tmp_path):
    """A ~/.netrc kg would refuse to read does not stand between the user and a public endpoint."""
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login alice password s3cret\n", encoding="utf-8")
    (tmp_path / ".netrc").chmod(0o644)
    monkeypatch.delenv("NETRC")
    monkeypatch.setenv("HOME", str(tmp_path))
    with Server(lambda handler: answer(handler, rows("sent" if "Authorization" in handler.headers else "public"))) as server:
        result = query(invoke, server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["x", "public"]


@pytest.mark.parametrize("scheme", ["Basic", "Digest", "Bearer", "Negotiate"])
def test_without_credentials_a_401_is_one_error_saying_where_they_go(invoke, scheme):
    challenge = {"Basic": 'Basic realm="kg"', "Digest": 'Digest realm="kg", nonce="abc", qop="auth"'}.get(scheme, scheme)
    with Server(lambda handler: answer(handler, status=401, content_type="text/plain", headers={"WWW-Authenticate": challenge})) as server:
        line = one_error_line(query(invoke, server.url))
    assert line.startswith(f"Error: {server.url}: HTTP 401") and "KG_ENDPOINT_USER" in line and "~/.netrc" in line


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({"KG_ENDPOINT_TOKEN": TOKEN, "KG_ENDPOINT_USER": USER}, "not both"),
        ({"KG_ENDPOINT_USER": USER}, "KG_ENDPOINT_USER is set but KG_ENDPOINT_PASSWORD is not"),
    ],
)
def test_half_given_credentials_are_one_error(invoke, monkeypatch, variables, expected):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with Server(basic_only) as server:
        line = one_error_line(query(invoke, server.url))
    assert expected in line and TOKEN not in line


@pytest.mark.parametrize("command", [["stats"], ["query", "-e", SELECT], ["push"]])
def test_a_password_in_a_url_is_refused_and_never_printed(invoke, command):
    """A URL on the command line shows in the process list: kg takes no credentials from it, and masks them."""
    with Server(lambda handler: answer(handler, rows("a"))) as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD.replace(' ', '')}@")
        result = invoke(*command, "--endpoint", url)
    line = one_error_line(result)
    assert "s3cret" not in result.output and USER not in result.output
    assert "***@127.0.0.1" in line and "KG_ENDPOINT_PASSWORD" in line
    assert server.requests == []


def test_a_token_in_a_url_is_masked_in_errors(invoke):
    with Server(lambda handler: answer(handler, b"no", status=500, content_type="text/plain")) as server:
        result = query(invoke, server.url + "?access_token=s3cret&dataset=kg")
    line = one_error_line(result)
    assert "s3cret" not in result.output
    assert line.startswith(f"Error: {server.url}?access_token=***&dataset=kg: HTTP 500")


SECRET = st.text(min_size=1, max_size=12).map(lambda text: "Z9" + text)


@settings(max_examples=200, deadline=None)
@given(SECRET, SECRET)
def test_a_url_is_never_shown_with_its_credentials(user, password):
    from kg.backends.http import shown

    quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
    for url in (
        f"http://{quote(user)}:{quote(password)}@host:8890/sparql",
        f"https://host/sparql?api_key={quote(password)}&access_token={quote(user)}&dataset=kg",
    ):
        masked = shown(url)
        assert "***" in masked and "Z9" not in masked, (url, masked)


# what kg sends


@pytest.mark.parametrize(
    "option, value",
    [
        ("--endpoint", "http://127.0.0.1:1/sparql\r\nX-Injected: 1"),
        ("--endpoint", "http://127.0.0.1:1/spa rql"),
        ("--endpoint", "ftp://127.0.0.1/sparql"),
        ("--endpoint", "http://127.0.0.1:port/sparql"),
        ("--endpoint", "javascript:alert(1)"),
        ("--graph", "urn:x> ; DROP ALL ; CLEAR SILENT GRAPH <urn:x"),
        ("--graph", "relative/graph"),
        ("--graph", "urn:a b"),
    ],
)
def test_a_url_or_graph_name_that_could_change_the_request_is_refused(invoke, option, value):
    args = ["--endpoint", "http://127.0.0.1:1/sparql", option, value] if option == "--graph" else [option, value]
    line = one_error_line(invoke("stats", *args))
    assert line.startswith(f"Error: invalid {option} ")


@pytest.mark.parametrize("option", ["--store-url", "--update-url"])
def test_push_refuses_a_bad_store_or_update_url_before_any_work(invoke, option):
    line = one_error_line(invoke("push", "--endpoint", "http://127.0.0.1:1/sparql", option, "http://127.0.0.1:1/x y"))
    assert line.startswith(f"Error: invalid {option} ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_a_graph_name_is_refused_or_stands_as_one_iri_in_an_update(name):
    """Whatever the string, either kg refuses it or an update naming it parses to one operation on that graph."""
    from rdflib.plugins.sparql import prepareUpdate

    from kg.backends.endpoint import check_iri, drop_text
    from kg.errors import InputError

    try:
        check_iri(name, "graph")
    except InputError:
        return
    update = prepareUpdate(drop_text(name) + " ; " + drop_text("urn:kg:other"))
    assert [str(operation.graphiri) for operation in update.algebra] == [name, "urn:kg:other"]


# TLS

TLS = Path(__file__).parent / "fixtures" / "tls"  # a certificate for 127.0.0.1, valid 2000-2100, for these tests only


class SecureServer(Server):
    def __init__(self, respond) -> None:
        super().__init__(respond)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "localhost.pem", TLS / "localhost-key.pem")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = self.url.replace("http://", "https://")


def test_https_answers_are_read_with_the_certificate_checked(invoke, monkeypatch):
    with SecureServer(lambda handler: answer(handler, rows("over-tls"))) as server:
        untrusted = query(invoke, server.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "localhost.pem"))
        trusted = query(invoke, server.url)
    assert "CERTIFICATE_VERIFY_FAILED" in one_error_line(untrusted)
    assert trusted.exit_code == 0, trusted.output
    assert trusted.stdout.splitlines() == ["x", "over-tls"]


def test_an_https_answer_trickled_a_byte_at_a_time_ends_at_the_timeout(invoke, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "localhost.pem"))
    with SecureServer(trickle_body) as server:
        result = query(invoke, server.url, "--timeout", "1")
    assert one_error_line(result) == f"Error: {server.url}: no answer within 1 s (timeout)"
