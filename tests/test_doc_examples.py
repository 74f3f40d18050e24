"""Every command example in the README and the documentation runs, and prints what the page shows.

A page's examples run in order, in a folder of their own, through a shell with the installed
``kg`` first on ``PATH`` (``COLUMNS=100``, as the pages were written):

- in a ``console`` or ``text`` block, each ``$ kg ...`` line is run and the lines after it are
  what it prints: each shown line must be printed, in order; a line ``…`` skips any number of
  printed lines, and a line ending in ``…`` matches a printed line that starts with the rest;
  the command must exit 0, or 2 when the page shows it printing an ``Error:`` line;
- in a ``sh`` or ``bash`` block, each line that starts with ``kg `` is run and must exit 0;
- a ``python`` block runs as a script and must succeed;
- a paragraph ``` `path`: ``` just before a block makes the reader write that file first.

The folder holds a copy of the repository's ``data/`` and ``docs/examples/``, and the few files
a page names without writing them (``SEEDS``). A block the tests cannot run here (a server they
do not start) carries an HTML comment ``<!-- docs-example: not run: WHY -->`` just before it;
the test lists those, and fails on a ``kg`` line that is neither run nor marked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO
from markdown_it import MarkdownIt

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: The command reference shows each command's --help; tests/test_docs_site.py checks it is current.
GENERATED_HELP = {"cli.md"}
NOT_RUN = re.compile(r"<!--\s*docs-example:\s*not run:\s*(.+?)\s*-->", re.S)
FILE_MARKER = re.compile(r"^`([\w./-]+)`:$")
OWNERSHIP = FIXTURES / "ownership"
OXIGRAPH_SERVER = "http://127.0.0.1:7878"


@dataclass
class Example:
    page: str
    line: int
    command: str = ""
    shown: list[str] | None = None  # None: only the exit code is checked
    code: str | None = None  # a python block, run as a script


@dataclass
class Page:
    path: Path
    steps: list = field(default_factory=list)  # Example, or (file name, content)
    not_run: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, command)


def _joined(lines: list[str]) -> list[tuple[int, str]]:
    """(offset, line) with backslash continuations joined, as a shell reads them."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for offset, line in enumerate(lines):
        if pending is not None:
            line = pending[1] + " " + line.strip()
            offset = pending[0]
            pending = None
        if line.endswith("\\"):
            pending = (offset, line[:-1].rstrip())
            continue
        out.append((offset, line))
    return out


def read_page(path: Path) -> Page:
    page = Page(path)
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    for index, token in enumerate(tokens):
        if token.type != "fence":
            continue
        info = token.info.strip().split()[0] if token.info.strip() else ""
        first = token.map[0] + 2  # the line of the block's first line, 1-based
        before = tokens[index - 1] if index else None
        marker = None
        if index >= 3 and tokens[index - 1].type == "paragraph_close":
            marker = FILE_MARKER.match(tokens[index - 2].content.strip())
        not_run = NOT_RUN.search(before.content) if before is not None and before.type == "html_block" else None
        lines = token.content.rstrip("\n").split("\n")
        if marker:
            page.steps.append((marker.group(1), token.content))
            continue
        if info == "python":
            page.steps.append(Example(path.name, first, code=token.content))
            continue
        if info in ("console", "text"):
            examples: list[Example] = []
            for offset, line in _joined(lines):
                if line.startswith("$ "):
                    examples.append(Example(path.name, first + offset, line[2:], []))
                elif examples:
                    examples[-1].shown.append(line)
            runnable = [e for e in examples if e.command.startswith("kg ")]
        elif info in ("sh", "bash", "shell"):
            if lines[0].startswith("#!"):
                runnable = []  # a whole script: tests of its own run it (the nightly job)
            else:
                runnable = [Example(path.name, first + o, line) for o, line in _joined(lines) if line.startswith("kg ")]
        else:
            continue
        if path.name in GENERATED_HELP:
            continue
        if not_run:
            page.not_run += [(e.line, not_run.group(1), e.command) for e in runnable]
        else:
            page.steps += runnable
    return page


def _copy(source, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, str) and source.startswith("jsonl:"):
        statements = json.loads(Path(source[6:]).read_text(encoding="utf-8"))
        target.write_text("".join(json.dumps(s) + "\n" for s in statements), encoding="utf-8")
        return
    (shutil.copytree if source.is_dir() else shutil.copy)(source, target)


#: Files a page names without writing them: name in the page's folder -> what it is a copy of
#: ("jsonl:" + a JSON array's path: the array as JSON Lines).
SEEDS = {
    "my-sheet": REPO / "data" / "example-sheet",
    "my-graph.ttl": REPO / "data" / "ai-compute.ttl",
    "today": REPO / "data" / "example-sheet",
    "last-week": REPO / "data" / "example-sheet",
    "psc-extract.jsonl": "jsonl:" + str(OWNERSHIP / "bods" / "bods-package.json"),
    "register.json": OWNERSHIP / "bods" / "bods-package.json",
    "extract.txt": "jsonl:" + str(OWNERSHIP / "bods" / "indirect-ownership.json"),
    "register.ftm.json": OWNERSHIP / "ftm" / "ftm-docs-examples.ftm.json",
    "rr-golden-copy.xml": OWNERSHIP / "gleif" / "rr-golden-copy-xml-sample.xml",
    "20250101-0800-gleif-goldencopy-rr-golden-copy.xml": OWNERSHIP / "gleif" / "rr-golden-copy-xml-sample.xml",
    "lei2-golden-copy.xml": OWNERSHIP / "gleif" / "lei-cdf-golden-copy-xml-sample.xml",
    "extract.dat": OWNERSHIP / "gleif" / "rr-golden-copy-xml-sample.xml",
}
#: The seeds each page needs (pages that write their own my-sheet/ get none).
PAGE_SEEDS = {
    "python.md": ["my-graph.ttl", "today", "last-week"],
    "questions.md": ["my-graph.ttl"],
    "spreadsheets.md": [],
    "registers.md": [
        "my-sheet",
        "psc-extract.jsonl",
        "register.json",
        "extract.txt",
        "register.ftm.json",
        "rr-golden-copy.xml",
        "20250101-0800-gleif-goldencopy-rr-golden-copy.xml",
        "lei2-golden-copy.xml",
        "extract.dat",
    ],
}


def _sandbox(folder: Path, page: str) -> None:
    _copy(REPO / "data", folder / "data")
    if (REPO / "docs" / "examples").is_dir():
        _copy(REPO / "docs" / "examples", folder / "docs" / "examples")
    for name in PAGE_SEEDS.get(page, []):
        _copy(SEEDS[name], folder / name)
    if page == "graph.md":  # a large graph of its own, as `kg synth` writes one
        _run(folder, "kg synth --orgs 300 --seed 1 -o industry.nt")


def _env(*first: Path) -> dict:
    """The environment the examples run in: the installed kg (and ``first``) first on PATH, 100 columns."""
    path = os.pathsep.join([*map(str, first), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "COLUMNS": "100", "PATH": path}


def _run(folder: Path, command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=folder, env=_env(), capture_output=True, text=True, timeout=600)


def shows(printed: list[str], shown: list[str]) -> str | None:
    """None when ``printed`` shows every line of ``shown`` in order (with the … elisions), else the first line missing."""
    position = 0
    skipping = False
    for line in shown:
        line = line.rstrip()
        if line == "…":
            skipping = True
            continue
        prefix = line[:-1].rstrip() if line.endswith("…") else None
        for at in range(position, len(printed) if skipping else min(position + 1, len(printed))):
            text = printed[at].rstrip()
            if text == line or (prefix is not None and text.startswith(prefix)):
                position = at + 1
                break
        else:
            return line
        skipping = False
    return None


PAGES_READ = [read_page(path) for path in PAGES]


@pytest.mark.parametrize("page", [p for p in PAGES_READ if any(isinstance(s, Example) for s in p.steps)], ids=lambda p: p.path.name)
def test_every_command_example_runs_and_prints_what_the_page_shows(page, tmp_path, request):
    _sandbox(tmp_path, page.path.name)
    server = None
    if any(OXIGRAPH_SERVER in step.command for step in page.steps if isinstance(step, Example)):
        # the page's `oxigraph serve --bind 127.0.0.1:7878`: the fixture's server, on a free port
        server = request.getfixturevalue("oxigraph_server").removesuffix("/query")
    for step in page.steps:
        if isinstance(step, tuple):
            name, content = step
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(content, encoding="utf-8")
            continue
        if step.code is not None:
            result = subprocess.run([sys.executable, "-c", step.code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, f"{step.page}:{step.line}: python block\n{result.stderr}"
            continue
        result = _run(tmp_path, step.command.replace(OXIGRAPH_SERVER, server) if server else step.command)
        where = f"{step.page}:{step.line}: {step.command}"
        expected = 2 if step.shown and any(line.startswith("Error:") for line in step.shown) else 0  # an error shown on purpose
        assert result.returncode == expected, f"{where}\nexit {result.returncode}\n{result.stderr}{result.stdout}"
        assert "Traceback" not in result.stderr, where
        if step.shown:
            # the console shows what a terminal shows: kg's messages on stderr come after its output here
            printed = (result.stdout + result.stderr).splitlines()
            missing = shows(printed, step.shown)
            assert missing is None, f"{where}\nnot printed: {missing!r}\nprinted:\n" + "\n".join(printed)


def test_every_kg_line_in_a_code_block_is_run_or_says_why_not():
    """The runner finds the examples; the few it cannot run need servers the tests do not start."""
    run = [s for p in PAGES_READ for s in p.steps if isinstance(s, Example) and s.code is None]
    assert len(run) >= 60, len(run)
    not_run = Counter(p.path.name for p in PAGES_READ for _ in p.not_run)
    # Apache Jena Fuseki and GraphDB (Java servers CI does not install), Virtuoso (tests/test_virtuoso.py
    # runs these lines against its own server), and a server that asks for credentials (tests/test_http.py).
    assert not_run == {"backends.md": 6, "security.md": 1}, not_run


def test_the_elision_rules():
    printed = ["a", "b", "c 2026-11-30", "d"]
    assert shows(printed, ["a", "…", "d"]) is None
    assert shows(printed, ["a", "b", "c …", "d"]) is None
    assert shows(printed, ["a", "c …"]) == "c …"  # without … a shown line follows the one before
    assert shows(printed, ["a", "b", "a"]) == "a"
    assert shows(printed, ["a", "…", "e"]) == "e"


def test_the_nightly_job_mails_new_findings_and_says_when_it_cannot_run(tmp_path):
    """The script of docs/change.md, run as cron would, with `mail` replaced by a file."""
    text = (REPO / "docs" / "change.md").read_text(encoding="utf-8")
    script = text[text.index("```sh\n#!/bin/sh") + 6 :]
    script = script[: script.index("```")].replace("/srv/kg", str(tmp_path))
    (tmp_path / "nightly.sh").write_text(script, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mail").write_text('#!/bin/sh\n{ echo "mail $*"; cat; } >> "$(dirname "$0")/../mailbox"\n', encoding="utf-8")
    (bin_dir / "mail").chmod(0o755)
    env = _env(bin_dir)

    def nightly() -> int:
        return subprocess.run(["sh", str(tmp_path / "nightly.sh")], env=env, capture_output=True, text=True, timeout=600).returncode

    # last week's snapshot: the example sheet as it was; this week a second supplier for Nimbus Labs
    _copy(REPO / "data" / "example-sheet", tmp_path / "sheet")
    week_ago = subprocess.run(["date", "-d", "7 days ago", "+%F"], capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "snapshots" / week_ago).mkdir(parents=True)
    assert _run(tmp_path, f"kg ingest sheet/ -o snapshots/{week_ago}/graph.ttl").returncode == 0
    with (tmp_path / "sheet" / "relations.csv").open("a", encoding="utf-8") as relations:
        relations.write("nimbus-labs,buys_compute_from,kestrel-chips,2026-11,,reported,,fictional-gazette,,,,,,\n")
    assert nightly() == 0  # the script's own exit: the mail went out
    mailbox = (tmp_path / "mailbox").read_text(encoding="utf-8")
    assert mailbox.startswith("mail -s kg: new findings since last week analysts@example.org")
    assert "## New (1)" in mailbox and "investor-supplier-overlap" in mailbox and "## Resolved (1)" in mailbox

    # a week with no snapshot: kg diff exits 2, and the job says so to ops instead of "no news"
    (tmp_path / "mailbox").unlink()
    shutil.rmtree(tmp_path / "snapshots" / week_ago)
    assert nightly() == 2
    assert (tmp_path / "mailbox").read_text(encoding="utf-8").startswith("mail -s kg: nightly job failed ops@example.org")
