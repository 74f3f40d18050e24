"""The hostile-input suite: every reader and every writer, fed what an attacker or a broken tool would give.

Readers: every RDF format by extension and by content, and spreadsheet folders.
Writers: kg export (every RDF format, GraphML, GEXF, CSV), kg ingest -o, kg viz
-o, and the outputs of kg conflicts and kg query. For every case:

- no traceback; a command that cannot run prints one ``Error:`` line (a sheet:
  one per bad cell, each an ``Error:`` line) and exits 2;
- nothing reaches the network: hostile files point at a listener on 127.0.0.1
  that must see no connection, and a connection anywhere else fails the test;
- no existing file changes, except the output a successful command writes;
- time and memory stay bounded: the heaviest cases run in a child process
  under resource limits (a limit hit kills it, which fails the test).

Hypothesis generates the strings and bytes (few examples each, so the suite
takes about a minute); the fixed cases are the attacks we know.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.cli import cli
from kg.io.formats import BY_SUFFIX
from kg.io.load import load_graph


FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# --- the network: a loopback listener that must stay silent, and no connection elsewhere -------------


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets (hostile files name it)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()
    assert server.connections == 0, "a hostile input made kg connect to the network"


@pytest.fixture(autouse=True)
def no_network(monkeypatch, listener):
    """A connection to anything but 127.0.0.1 fails the test (kg reaches no network unless told to)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def checked(address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1"):
            raise AssertionError(f"network connection attempted: {address!r}")

    def connect(self, address):
        checked(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        checked(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        raise AssertionError(f"name lookup attempted: {host!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert listener.connections == 0, "a hostile input made kg connect to the network"


# --- running kg: the rules every run keeps ------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode) for p in sorted(folder.rglob("*")) if p.is_file()}


def kg(folder: Path, *args, outputs: tuple[str, ...] = (), sheet: bool = False):
    """Run ``kg ARGS`` in-process and check what every run must keep; returns click's Result.

    ``outputs`` are the files (relative to ``folder``) a successful run may write;
    ``sheet`` allows one ``Error:`` line per bad cell.
    """
    before = snapshot(folder)
    result = CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))
        raise AssertionError(f"kg {' '.join(map(str, args))} crashed:\n{trace}")
    assert "Traceback" not in result.output
    after = snapshot(folder)
    if result.exit_code == 0:
        changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
        allowed = {str(Path(output)) for output in outputs}
        assert {name for name in changed if not any(name == o or name.startswith(o + os.sep) for o in allowed)} == set()
        return result
    assert result.exit_code == 2, (args, result.exit_code, result.output)
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert errors and all(line.startswith(("Error: ", "Warning: ")) for line in lines), result.stderr
    assert sheet or len(errors) == 1, result.stderr
    assert after == before, "a failed command changed a file"
    return result


# --- readers: any bytes, by every extension and by content --------------------------------------------

SUFFIXES = sorted(BY_SUFFIX) + ["", ".txt"]
TOKENS = [
    "<", ">", '"', "'", "\\", "@prefix ex: <http://example.org/> .", "ex:a", "ex:p", "_:b", "[", "]", "(", ")", "{", "}",
    ".", ";", ",", " ", "\n", "\t", "\x00", "\x1b[2J", "\ud7ff", "é", "<http://a b>", '"\\uD800"', "@en", "^^", "a",
    '{"@id": ', '"@context"', '"@type"', ":", "<?xml version='1.0'?>", "<!DOCTYPE r [<!ENTITY a 'b'>]>", "&a;",
    "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>", "<rdf:Description rdf:about='urn:x'>",
    "</rdf:RDF>", "true", "1.5e308", "-0", "GRAPH", "<urn:g>",
]
CONTENT = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
)


@FEW
@given(suffix=st.sampled_from(SUFFIXES), content=CONTENT, store=st.sampled_from(["memory", "oxigraph"]))
def test_any_bytes_in_any_reader_load_or_are_one_error_naming_the_file(suffix, content, store):
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        path = folder / f"input{suffix}"
        path.write_bytes(content)
        result = kg(folder, "stats", "--store", store, "--data", path)
        if result.exit_code:
            assert "input" in result.stderr


def valid_documents(url: str) -> dict[str, str]:
    """One small valid document per format, to be cut and spliced by Hypothesis."""
    return {
        ".ttl": '@prefix ex: <http://example.org/> .\nex:a ex:p "x"@en , [ ex:q ( 1 2 ) ] .\n',
        ".nt": '<http://example.org/a> <http://example.org/p> "x\\n" .\n',
        ".nq": "<http://example.org/a> <http://example.org/p> <http://example.org/b> <http://example.org/g> .\n",
        ".trig": "<http://example.org/g> { <http://example.org/a> <http://example.org/p> 1 . }\n",
        ".jsonld": json.dumps({"@context": {"ex": "http://example.org/"}, "@id": "ex:a", "ex:p": [{"@value": "x", "@language": "en"}]}),
        ".rdf": "<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns:ex='http://example.org/'>"
        "<rdf:Description rdf:about='http://example.org/a'><ex:p>x</ex:p></rdf:Description></rdf:RDF>\n",
    }


@FEW
@given(data=st.data())
def test_valid_documents_cut_and_spliced_load_or_are_one_error(listener, data):
    documents = valid_documents(listener.url)
    suffix = data.draw(st.sampled_from(sorted(documents)))
    text = documents[suffix]
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    text = text[:start] + data.draw(st.sampled_from(TOKENS + [""])) + text[end:]
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        path = folder / f"input{data.draw(st.sampled_from([suffix, '']))}"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        kg(folder, "stats", "--store", data.draw(st.sampled_from(["memory", "oxigraph"])), "--data", path)


def laughs(levels: int) -> str:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, levels + 1))
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY l0 "lol">{entities}]>\n'
        "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns:ex='http://example.org/'>"
        f"<rdf:Description rdf:about='urn:x'><ex:p>&l{levels};</ex:p></rdf:Description></rdf:RDF>\n"
    )


def hostile_files(url: str) -> dict[str, str | bytes]:
    """The attacks we know, each a file that kg must refuse (or read harmlessly) without reaching ``url``."""
    rdf = "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' xmlns:ex='http://example.org/'>"
    return {
        "laughs.rdf": laughs(9),
        "laughs-by-content": laughs(9),
        "external-entity.rdf": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "{url}/e">]>\n{rdf}'
        "<rdf:Description rdf:about='urn:x'><ex:p>&e;</ex:p></rdf:Description></rdf:RDF>\n",
        "external-dtd.owl": f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}/x.dtd">\n{rdf}</rdf:RDF>\n',
        "parameter-entity.xml": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p"> %p;]>\n{rdf}</rdf:RDF>\n',
        "remote-context.jsonld": json.dumps({"@context": f"{url}/context.jsonld", "@id": "urn:a", "p": "x"}),
        "import.jsonld": json.dumps({"@context": {"@import": f"{url}/c.jsonld"}, "@id": "urn:a"}),
        "scoped-context.json": json.dumps({"@context": {"t": {"@id": "urn:t", "@context": f"{url}/c"}}, "@id": "urn:a", "t": {"@id": "urn:b"}}),
        "owl-imports.ttl": f"<urn:o> a <http://www.w3.org/2002/07/owl#Ontology> ; <http://www.w3.org/2002/07/owl#imports> <{url}/o.ttl> .\n",
        "space-iri.ttl": "<urn:a> <urn:p> <http://example.org/a b> .\n",
        "quote-iri.trig": '<urn:g> { <urn:a> <urn:p> <http://example.org/a"b> . }\n',
        "control-iri.nt": "<urn:a> <urn:p> <http://example.org/\\u001B[2J> .\n",
        "bad-language.ttl": '<urn:a> <urn:p> "x"@en-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-0-1-2-3-4-5-6-7-8-9-ten .\n',
        "surrogate.jsonld": '{"@id": "urn:a", "urn:p": "\\ud800"}',
        "deep.ttl": "<urn:a> <urn:p> " + "[ <urn:p> " * 5_000 + "<urn:z>" + " ]" * 5_000 + " .\n",
        "deep-chain.nt": "<urn:a> <urn:p> _:b0 .\n" + "".join(f"_:b{n} <urn:p> _:b{n + 1} .\n" for n in range(2_000)),
        "blank-cycle.jsonld": json.dumps([{"@id": "_:a", "urn:p": {"@id": "_:b"}}, {"@id": "_:b", "urn:p": {"@id": "_:a"}}]),
        "deep-list.ttl": "<urn:a> <urn:p> " + "( " * 5_000 + "1" + " )" * 5_000 + " .\n",
        "deep.jsonld": "[" * 100_000 + "]" * 100_000,
        "nul.nt": b"<urn:a> <urn:p> \"\x00\" .\n\x00\x00",
        "utf16.ttl": "<urn:a> <urn:p> \"x\" .\n".encode("utf-16"),
        "long-line.nt": '<urn:a> <urn:p> "' + "x" * 200_000 + '" .\n',  # rdflib's N-Triples parser is quadratic in it
        "statements.json": '[{"statementId": "1", "recordType": "entity"}]',
        "empty.ttl": "",
    }


HOSTILE = sorted(hostile_files("http://127.0.0.1:9"))


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("name", HOSTILE)
def test_known_attacks_on_the_readers(listener, tmp_path, name, store):
    content = hostile_files(listener.url)[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    commands = (
        ["stats"],
        ["query", "-e", "SELECT * { ?s ?p ?o }", "--format", "tsv"],
        ["query", "-e", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"],
        ["export", "-o", tmp_path / "out.ttl"],
        ["export", "-o", tmp_path / "out.jsonld"],
    )
    for command in commands:
        result = kg(tmp_path, *command, "--store", store, "--data", path, outputs=("out.ttl", "out.jsonld"))
        if result.exit_code:  # the input at fault, or the output that cannot hold it
            assert name in result.stderr or "out." in result.stderr, result.stderr
    assert listener.connections == 0


# --- sheets ---------------------------------------------------------------------------------------------

CELL = st.one_of(
    st.sampled_from(["", "lab", "cloud", "AILab", "CloudProvider", "buys_compute_from", "invests_in", "2024", "2024-13",
                     "=1+1", "+1", "-1", "@x", "'=x", "<script>", "\x1b[2J", "a\nb", '"', ",", "https://x.org/\x01", "1e999",
                     "http://a b", "1,000.5", "-5", "150", "25-50", "USD", "confirmed", "#comment", "\ufeff"]),
    st.text(max_size=12),
)
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=8), max_size=6)


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


@FEW
@given(
    entities=ROWS, relations=ROWS,
    entity_header=st.sampled_from(["id,name,type", "id,name,type,homepage,founded", "name,type", ""]),
    relation_header=st.sampled_from(["subject,relation,object", "subject,relation,object,amount,stake,start,end,source", "subject"]),
)
def test_any_sheet_ingests_or_lists_its_bad_cells(entities, relations, entity_header, relation_header):
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        sheet = folder / "sheet"
        sheet.mkdir()
        (sheet / "entities.csv").write_text(entity_header + "\n" + csv_text(entities), encoding="utf-8", errors="surrogatepass")
        (sheet / "relations.csv").write_text(relation_header + "\n" + csv_text(relations), encoding="utf-8", errors="surrogatepass")
        (folder / "out.ttl").write_text("old", encoding="utf-8")
        result = kg(folder, "ingest", sheet, "-o", folder / "out.ttl", outputs=("out.ttl",), sheet=True)
        if result.exit_code == 0:
            load_graph([folder / "out.ttl"], include_ontology=False)


# --- writers: a graph with hostile values through every output ----------------------------------------

TEXT = st.one_of(
    st.sampled_from(["=HYPERLINK(\"http://x\")", "+1", "-1", "@x", "<script>alert(1)</script>", "[x](javascript:alert(1))",
                     "# Heading", "a\nb\r\nc", "\x1b[2J\x1b]0;x\x07", "\u202eevil", "\t", '"\'\\', "é 李 🚀", "", " "]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
)
SEGMENT = st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=0x2FFF), min_size=1, max_size=8)


@st.composite
def hostile_graphs(draw) -> Graph:
    """The bundled data with hostile labels, notes and titles, and a few hostile (valid) IRIs."""
    graph = load_graph(include_ontology=False)
    for subject, obj in sorted(graph.subject_objects(RDFS.label))[: draw(st.integers(1, 6))]:
        graph.set((subject, RDFS.label, Literal(draw(TEXT))))
    extra = URIRef("https://w3id.org/ai-compute-kg/data/" + draw(SEGMENT) + "%20" + draw(SEGMENT))
    graph.add((extra, RDFS.label, Literal(draw(TEXT), lang=draw(st.sampled_from(["en", "de-CH", "x-hostile"])))))
    graph.add((extra, RDFS.comment, Literal(draw(TEXT))))
    return graph


WRITERS = [
    *[(["export", "-o", f"out{suffix}"], f"out{suffix}") for suffix in (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")],
    (["export", "-o", "out.graphml"], "out.graphml"),
    (["export", "-o", "out.gexf"], "out.gexf"),
    (["export", "--format", "csv", "-o", "sheet"], "sheet"),
    (["viz", "-o", "out.html"], "out.html"),
    *[(["conflicts", "--format", fmt], None) for fmt in ("table", "md", "csv", "json")],
    *[(["query", "-e", "SELECT ?s ?label { ?s rdfs:label ?label }", "--format", fmt], None) for fmt in ("table", "md", "csv", "tsv", "json")],
    (["describe", "anthropic"], None),
    (["stats"], None),
    (["validate"], None),
]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(graph=hostile_graphs())
def test_every_writer_takes_hostile_values(graph):
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        data = folder / "data.nt"
        data.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
        for args, output in WRITERS:
            args = [str(folder / arg) if arg == output else arg for arg in args]
            result = kg(folder, *args, "--data", data, outputs=(output,) if output else ())
            if args[0] == "validate":
                continue
            # CSV holds only kg's own vocabulary, RDF/XML no control character: those may refuse (one line, checked above).
            assert result.exit_code == 0 or output in ("sheet", "out.rdf"), (args, result.output)
            if output and output.startswith("out.") and Path(output).suffix in BY_SUFFIX and result.exit_code == 0:
                assert isomorphic(load_graph([folder / output], include_ontology=False), graph), args
            human = output is None and ("table" in args or "md" in args or args[0] in ("describe", "stats"))
            if human:
                assert not CONTROL.search(result.stdout), (args, result.stdout)


# --- queries ---------------------------------------------------------------------------------------------

SPARQL = ["SELECT", "*", "?s", "?p", "?o", "WHERE", "{", "}", "(", ")", "IRI(", '"http://a b"', "BIND", "AS", "FILTER",
          "SERVICE", "<{url}/sparql>", "LOAD", "INSERT DATA", "CLEAR ALL", "FROM", "<file:///etc/passwd>", "CONSTRUCT",
          "ASK", "DESCRIBE", "LIMIT 1", "REGEX(?o, \"(a+)+$\")", "kg:AILab", "rdfs:label", ".", ";", "#", "\n", "\x00"]


@FEW
@given(parts=st.lists(st.sampled_from(SPARQL), max_size=15), output_format=st.sampled_from(["table", "md", "csv", "tsv", "json"]))
def test_any_query_text_answers_or_is_one_error(listener, tmp_path_factory, parts, output_format):
    folder = tmp_path_factory.mktemp("query")
    text = " ".join(parts).replace("{url}", listener.url)
    assume(not _blank(text))  # see the test below
    kg(folder, "query", "-e", text, "--format", output_format)


def _blank(text: str) -> bool:
    return not re.sub(r"#[^\n]*", "", text).strip()


@pytest.mark.parametrize("text", ["", "  \n", "# only a comment"])
def test_a_blank_query_is_one_error(tmp_path, text):
    result = kg(tmp_path, "query", "-e", text)
    assert result.exit_code == 2 and "the query is empty" in result.stderr


# --- bounded time and memory: the heaviest inputs, in a child process under limits -----------------------

LIMITS = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    from kg.cli import main
    sys.argv = ["kg"] + sys.argv[1:]
    main()
""")


def heavy_inputs(folder: Path) -> dict[str, list[str]]:
    """name -> kg arguments, after writing the input files into ``folder``."""
    (folder / "laughs.rdf").write_text(laughs(9), encoding="utf-8")
    (folder / "deep.jsonld").write_text("[" * 1_000_000 + "]" * 1_000_000, encoding="utf-8")
    (folder / "deep.ttl").write_text("<urn:a> <urn:p> " + "[ <urn:p> " * 100_000 + "<urn:z>" + " ]" * 100_000 + " .\n", encoding="utf-8")
    sheet = folder / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text("id,name,type\nlab,Lab,AILab\n", encoding="utf-8")
    rows = "".join(f"x{n},flies_to,y{n},20x,,maybe,,abc,dollars,lots\n" for n in range(200_000))
    (sheet / "relations.csv").write_text("subject,relation,object,start,end,status,source,amount,currency,stake\n" + rows, encoding="utf-8")
    return {
        "laughs-memory": ["stats", "--data", "laughs.rdf"],
        "laughs-oxigraph": ["stats", "--store", "oxigraph", "--data", "laughs.rdf"],
        "deep-json": ["stats", "--data", "deep.jsonld"],
        "deep-turtle": ["stats", "--data", "deep.ttl"],
        "million-bad-cells": ["ingest", "sheet", "-o", "out.ttl"],
    }


@pytest.fixture(scope="module")
def heavy_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heavy")
    return folder, heavy_inputs(folder)


@pytest.mark.parametrize("case", ["laughs-memory", "laughs-oxigraph", "deep-json", "deep-turtle", "million-bad-cells"])
def test_the_heaviest_inputs_end_in_bounded_time_and_memory(heavy_folder, case):
    folder, cases = heavy_folder
    before = snapshot(folder)
    child = subprocess.run(
        [sys.executable, "-c", LIMITS, *cases[case]], cwd=folder, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == 2, (child.returncode, child.stderr[-2000:])  # a limit hit kills it: -9 or -24
    lines = child.stderr.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines) and "Traceback" not in child.stderr
    assert len(lines) == 1 or (case == "million-bad-cells" and len(lines) < 200)
    assert snapshot(folder) == before
