"""Real SPARQL servers on 127.0.0.1 for the tests and the benchmark: ports, and OpenLink Virtuoso
(Debian's virtuoso-opensource-7-bin)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


class VirtuosoMissing(RuntimeError):
    """virtuoso-t or isql-vt is not installed."""


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


def start_virtuoso(folder: Path, max_rows: int, buffers: int = 20_000) -> tuple[subprocess.Popen, str]:
    """virtuoso-t on 127.0.0.1 with a database in ``folder``, SPARQL Update allowed without a login
    (as the README's Virtuoso lines assume), answers cut at ``max_rows``, ``buffers`` pages of 8 KB
    of cache. Returns (process, SPARQL URL)."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        raise VirtuosoMissing("Virtuoso is not installed (Debian package virtuoso-opensource-7-bin)")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    settings = dict(dir=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows, buffers=buffers, dirty_buffers=buffers * 3 // 4)
    ini.write_text(INI.format(**settings), encoding="utf-8")
    process = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not listening(http_port, process, seconds=60):
        process.kill()
        log = (folder / "virtuoso.log").read_text(errors="replace")[-500:] if (folder / "virtuoso.log").exists() else ""
        raise RuntimeError("virtuoso-t did not start: " + log)
    grants = 'GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);'
    subprocess.run([isql, str(sql_port), "dba", "dba", f"exec={grants}"], check=True, capture_output=True, timeout=60)
    return process, f"http://127.0.0.1:{http_port}/sparql"
