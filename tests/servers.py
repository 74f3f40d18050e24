"""Real SPARQL servers on 127.0.0.1 for the tests and the benchmark: ports, `oxigraph serve`, OpenLink
Virtuoso (Debian's virtuoso-opensource-7-bin), and a proxy that lets a test hold or fail chosen requests."""

from __future__ import annotations

import http.client
import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable


class VirtuosoMissing(RuntimeError):
    """virtuoso-t or isql-vt is not installed."""


class OxigraphMissing(RuntimeError):
    """The oxigraph server (pip install oxigraph) is not installed."""


def start_oxigraph() -> tuple[subprocess.Popen, str]:
    """`oxigraph serve` on 127.0.0.1, in memory. Returns (process, SPARQL query URL)."""
    beside = Path(sys.executable).parent / "oxigraph"
    binary = str(beside) if beside.exists() else shutil.which("oxigraph")
    if binary is None:
        raise OxigraphMissing("the oxigraph server is not installed (pip install oxigraph)")
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if not listening(port, process, seconds=20):
        process.kill()
        raise RuntimeError("oxigraph serve did not start: " + process.stderr.read().decode(errors="replace"))
    return process, f"http://127.0.0.1:{port}/query"


INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DirsAllowed = {dir}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
TransactionAfterImageLimit = {after_image_limit}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 600
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int, process: subprocess.Popen, seconds: float) -> bool:
    """Whether ``process`` accepts connections on ``port`` within ``seconds`` (False once it has exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_virtuoso(
    folder: Path, max_rows: int, buffers: int = 20_000, users: dict[str, str] | None = None, after_image_limit: int = 50_000_000
) -> tuple[subprocess.Popen, str]:
    """virtuoso-t on 127.0.0.1 with a database in ``folder``, SPARQL Update allowed without a login
    (as the README's Virtuoso lines assume), answers cut at ``max_rows``, ``buffers`` pages of 8 KB
    of cache, transactions of at most ``after_image_limit`` bytes of changes (Virtuoso's default).
    ``users`` (name: password) may query and update at ``/sparql-auth``, which asks for HTTP
    Digest. Returns (process, SPARQL URL)."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        raise VirtuosoMissing("Virtuoso is not installed (Debian package virtuoso-opensource-7-bin)")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    settings = dict(
        dir=folder,
        sql_port=sql_port,
        http_port=http_port,
        max_rows=max_rows,
        buffers=buffers,
        dirty_buffers=buffers * 3 // 4,
        after_image_limit=after_image_limit,
    )
    ini.write_text(INI.format(**settings), encoding="utf-8")
    process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not listening(http_port, process, seconds=60):
        process.kill()
        log = (folder / "virtuoso.log").read_text(errors="replace")[-500:] if (folder / "virtuoso.log").exists() else ""
        raise RuntimeError("virtuoso-t did not start: " + log)
    grants = 'GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);'
    subprocess.run([isql, str(sql_port), "dba", "dba", f"exec={grants}"], check=True, capture_output=True, timeout=60)
    if users:
        # The database's own /sparql-auth answers without asking for a login here: define it again, with Digest.
        script = folder / "users.sql"
        statements = [
            "DB.DBA.VHOST_REMOVE (lhost=>'*ini*', vhost=>'*ini*', lpath=>'/sparql-auth');",
            "DB.DBA.VHOST_DEFINE (lhost=>'*ini*', vhost=>'*ini*', lpath=>'/sparql-auth', ppath=>'/!sparql/', is_dav=>1, "
            "vsp_user=>'dba', opts=>vector('noinherit', 1), auth_fn=>'DB.DBA.HP_AUTH_SPARQL_USER', realm=>'SPARQL', sec=>'digest');",
        ]
        for name, password in users.items():
            quoted = password.replace("'", "''")
            statements += [f"DB.DBA.USER_CREATE ('{name}', '{quoted}');", f'GRANT SPARQL_SELECT TO "{name}";', f'GRANT SPARQL_UPDATE TO "{name}";']
        script.write_text("\n".join(statements) + "\n", encoding="utf-8")
        done = subprocess.run([isql, str(sql_port), "dba", "dba", str(script)], capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError("isql-vt could not add the users: " + (done.stdout + done.stderr)[-500:])
    return process, f"http://127.0.0.1:{http_port}/sparql"


class Proxy:
    """An HTTP server on 127.0.0.1 that passes each request on to ``target`` unless ``decide`` says otherwise.

    ``decide(method, path, body)`` returns None (pass it on), an HTTP status (answer it without
    passing the request on), ``"hold"`` (wait until ``release()``, then answer 500: the request
    never arrives, as when its client is killed while sending it) or ``"pause"`` (wait until
    ``release()``, then pass it on). ``held`` is set when a request is held or paused.
    """

    def __init__(self, target: str, decide: Callable[[str, str, bytes], str | None]) -> None:
        parts = urllib.parse.urlsplit(target)
        self.target_host, self.target_port = parts.hostname, parts.port
        self.decide = decide
        self.held = threading.Event()
        self._released = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _pass(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = proxy.decide(self.command, self.path, body)
                if action in ("hold", "pause"):
                    proxy.held.set()
                    proxy._released.wait()
                if action == "hold" or isinstance(action, int):
                    status = 500 if action == "hold" else action
                    self._answer(status, {"Content-Type": "text/plain"}, b"" if status == 204 else b"refused by the test proxy")
                    return
                connection = http.client.HTTPConnection(proxy.target_host, proxy.target_port, timeout=600)
                headers = {name: value for name, value in self.headers.items() if name.lower() in ("content-type", "accept", "authorization")}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
                passed = {name: value for name, value in answer.getheaders() if name.lower() in ("content-type", "server", "www-authenticate", "location")}
                connection.close()
                self._answer(answer.status, passed, content)

            def _answer(self, status, headers, content):
                self.send_response_only(status)  # without a Server header of its own: the server's passes
                self.send_header("Date", self.date_time_string())
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _pass  # noqa: N815 - http.server's naming

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def wait_held(self, process: subprocess.Popen, seconds: float = 300) -> None:
        """Until ``process`` has a request held here; an AssertionError with its output if it ends first."""
        deadline = time.monotonic() + seconds
        while not self.held.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                out, err = process.communicate(timeout=30)
                raise AssertionError(f"no request was held; the process said: {out!r} {err!r}")

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()



def loopback_only(monkeypatch, tmp_path):
    """No connection leaves 127.0.0.1, and the user's own credentials and proxies stay out of the test.

    Import it into a test module as an autouse fixture (``pytest.fixture(autouse=True)(loopback_only)``).
    """
    import ipaddress

    original = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"a test tried to connect to {address}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("no_proxy", "*")
    for name in ("KG_ENDPOINT_USER", "KG_ENDPOINT_PASSWORD", "KG_ENDPOINT_TOKEN", "KG_ENDPOINT_MAX_BYTES", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
