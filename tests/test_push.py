"""``kg push`` (kg.push): a graph is replaced whole or not at all, one push at a time, and only for real.

Against a real ``oxigraph serve`` on 127.0.0.1, with a proxy in front of it
where a test must stop, fail or kill a push at a chosen request. What the
server holds afterwards is read back with plain SPARQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import servers
from test_http import Server, answer

pytestmark = pytest.mark.slow
loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)

KG = Path(sys.executable).parent / "kg"
GRAPH = "http://example.org/pushed"


@pytest.fixture(scope="module")
def oxigraph(oxigraph_server):
    return oxigraph_server


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory) -> Path:
    """About 9,000 triples: several chunks of SPARQL Update, so a push can be stopped between them."""
    from kg.synth import generate

    path = tmp_path_factory.mktemp("synthetic") / "synthetic.nt"
    generate(300, seed=5).graph.serialize(path, format="nt", encoding="utf-8")
    return path


def sparql(url: str, text: str) -> dict:
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode({"query": text}).encode(), headers={"Accept": "application/sparql-results+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def graphs(url: str) -> dict[str, int]:
    """Every named graph at the server with its triple count."""
    document = sparql(url, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]["value"]: int(row["n"]["value"]) for row in document["results"]["bindings"]}


def content(url: str, graph: str) -> set[tuple[str, str, str]]:
    document = sparql(url, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return {tuple(json.dumps(row[name], sort_keys=True) for name in "spo") for row in document["results"]["bindings"]}


def leftovers(url: str) -> list[str]:
    """Graphs a push keeps only while it runs: its lock and its temporary graphs."""
    return sorted(graph for graph in graphs(url) if graph.startswith("urn:kg:push:"))


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def nth_insert(n: int, action: str):
    """A proxy rule: the n-th SPARQL Update chunk (INSERT DATA) gets ``action``; everything else passes."""
    seen = []

    def decide(method, path, body):
        if body.startswith(b"update=INSERT+DATA"):
            seen.append(path)
            if len(seen) == n:
                return action
        return None

    return decide


def nth_put(n: int, action):
    seen = []

    def decide(method, path, body):
        if method == "PUT":
            seen.append(path)
            if len(seen) == n:
                return action
        return None

    return decide


@pytest.fixture
def before(oxigraph, invoke):
    """The graph holds the bundled data, pushed in full; returns what it and its derived graph hold."""
    result = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH)
    assert result.exit_code == 0, result.output
    return content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")


def through(proxy: servers.Proxy, path: str) -> list[str]:
    """Options that send a push through the proxy: Update at /update, and a Graph Store at /store or nowhere."""
    return ["--endpoint", proxy.url + "/query", "--update-url", proxy.url + "/update", "--store-url", proxy.url + path]


def test_a_hostile_graph_name_is_refused_and_nothing_reaches_the_server(oxigraph, invoke, before):
    """The issue's reproduction: this --graph ran DROP ALL on the Update path."""
    with servers.Proxy(oxigraph.removesuffix("/query"), lambda *request: None) as proxy:
        seen = []
        proxy.decide = lambda method, path, body: seen.append(path)
        hostile = "urn:x> ; DROP ALL ; CLEAR SILENT GRAPH <urn:x"
        result = invoke("push", "--graph", hostile, *through(proxy, "/no-store"))
    assert one_error_line(result).startswith("Error: invalid --graph 'urn:x> ; DROP ALL")
    assert seen == []
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before


@pytest.mark.parametrize(
    "store, stop_at",
    [("/no-store", nth_insert(2, "hold")), ("/store", nth_put(2, "hold"))],
    ids=["update", "graph-store"],
)
def test_a_push_killed_midway_leaves_the_graphs_as_they_were(oxigraph, invoke, before, synthetic_file, store, stop_at):
    """Killed between two chunks of SPARQL Update, or between the data's PUT and the derived facts'."""
    with servers.Proxy(oxigraph.removesuffix("/query"), stop_at) as proxy:
        command = [str(KG), "push", "--graph", GRAPH, "--data", str(synthetic_file), *through(proxy, store)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proxy.wait_held(process)
        finally:
            process.kill()
            process.wait(timeout=30)
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before

    # The killed push's lock stays, so the next push stops, saying what to do ...
    refused = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH)
    line = one_error_line(refused)
    assert "another kg push to <http://example.org/pushed> and <http://example.org/pushed/derived> holds its lock" in line
    assert "--break-lock" in line
    # ... and --break-lock clears what the killed push left, then pushes.
    assert leftovers(oxigraph)
    pushed = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH, "--data", str(synthetic_file), "--break-lock")
    assert pushed.exit_code == 0, pushed.output
    assert leftovers(oxigraph) == []
    assert graphs(oxigraph)[GRAPH] == int(pushed.stdout.split()[1])


@pytest.mark.parametrize(
    "store, fail_at",
    [("/no-store", nth_insert(2, 500)), ("/store", nth_put(2, 500)), ("/store", nth_put(1, 503))],
    ids=["update-chunk", "derived-put", "data-put"],
)
def test_a_push_that_fails_midway_leaves_the_graphs_as_they_were_and_no_lock(oxigraph, invoke, before, synthetic_file, store, fail_at):
    with servers.Proxy(oxigraph.removesuffix("/query"), fail_at) as proxy:
        result = invoke("push", "--graph", GRAPH, "--data", str(synthetic_file), *through(proxy, store))
    assert "HTTP 50" in one_error_line(result)
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before
    assert leftovers(oxigraph) == []


def test_a_second_push_to_a_graph_while_one_runs_is_refused_not_merged(oxigraph, invoke, before, synthetic_file):
    """The issue's reproduction: two concurrent pushes both exited 0 and the graph held both datasets."""
    with servers.Proxy(oxigraph.removesuffix("/query"), nth_insert(2, "pause")) as proxy:
        command = [str(KG), "push", "--graph", GRAPH, "--data", str(synthetic_file), *through(proxy, "/no-store")]
        first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proxy.wait_held(first)
            second = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH)
        finally:
            proxy.release()
            stdout, stderr = first.communicate(timeout=300)
    assert "another kg push to <http://example.org/pushed>" in one_error_line(second)
    assert first.returncode == 0, stderr
    assert graphs(oxigraph)[GRAPH] == int(stdout.split()[1]) == len(synthetic_file.read_bytes().splitlines()) + ontology_triples(oxigraph)
    assert leftovers(oxigraph) == []


def ontology_triples(url: str) -> int:
    from kg.io.load import load_graph

    return len(load_graph([], include_ontology=True)) - len(load_graph([], include_ontology=False))


def test_push_fails_when_the_server_answers_with_an_html_page(oxigraph, invoke, before):
    """A 200 answer proves nothing: a login page took the data; kg reads back what the server holds."""
    page = b"<!DOCTYPE html><html><body>Welcome! Please sign in.</body></html>"
    with Server(lambda handler: answer(handler, page, content_type="text/html")) as portal:
        result = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH, "--store-url", portal.base + "/store", "--update-url", portal.base + "/update")
        everything = invoke("push", "--endpoint", portal.url, "--graph", GRAPH)
    assert "did not apply it" in one_error_line(result)
    assert one_error_line(everything).endswith("the endpoint's answer is not SPARQL JSON results: it is text/html")
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before


def test_a_server_that_loses_triples_fails_the_push(oxigraph, invoke, before):
    """A Graph Store that answers 204 but keeps only part of the data: the push stops before the swap."""

    with servers.Proxy(oxigraph.removesuffix("/query"), lambda method, path, body: 204 if method == "PUT" else None) as proxy:
        result = invoke("push", "--graph", GRAPH, *through(proxy, "/store"))
    assert "the server holds 0 of the" in one_error_line(result) and "left <http://example.org/pushed> as it was" in result.stderr
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before
    assert leftovers(oxigraph) == []


def test_a_server_without_sparql_update_gets_each_graph_put_with_a_warning(oxigraph, invoke, synthetic_file):
    def no_update(method, path, body):
        return 404 if body.startswith(b"update=") else None

    with servers.Proxy(oxigraph.removesuffix("/query"), no_update) as proxy:
        result = invoke("push", "--endpoint", proxy.url + "/query", "--graph", GRAPH + "/gsp-only", "--data", str(synthetic_file))
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "takes no SPARQL Update" in result.stderr
    assert result.stdout.rstrip().endswith("; not atomic).")
    assert graphs(oxigraph)[GRAPH + "/gsp-only"] == int(result.stdout.split()[1])


def test_the_success_line_masks_a_token_in_a_url(oxigraph, invoke):
    base = oxigraph.removesuffix("/query")
    result = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH + "/token", "--store-url", base + "/store?access_token=s3cret")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "/store?access_token=***" in result.stdout


def test_a_bulk_push_writes_in_place_and_says_it_is_not_atomic(oxigraph, invoke, synthetic_file):
    result = invoke("push", "--endpoint", oxigraph, "--graph", GRAPH + "/bulk", "--data", str(synthetic_file), "--bulk")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith(", in place; not atomic).")
    assert graphs(oxigraph)[GRAPH + "/bulk"] == int(result.stdout.split()[1])
    assert leftovers(oxigraph) == []


def test_a_bulk_push_killed_midway_leaves_word_that_the_graphs_may_be_partial(oxigraph, invoke, synthetic_file):
    """--bulk cannot be atomic; what it cannot guarantee, the next push detects and says."""
    graph = GRAPH + "/bulk-killed"
    with servers.Proxy(oxigraph.removesuffix("/query"), nth_put(2, "hold")) as proxy:
        command = [str(KG), "push", "--graph", graph, "--data", str(synthetic_file), "--bulk", *through(proxy, "/store")]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proxy.wait_held(process)
        finally:
            process.kill()
            process.wait(timeout=30)
    line = one_error_line(invoke("push", "--endpoint", oxigraph, "--graph", graph))
    assert "it wrote in place, so if it was killed the graphs may be partial" in line and "--break-lock" in line
    assert invoke("push", "--endpoint", oxigraph, "--graph", graph, "--break-lock").exit_code == 0
    assert leftovers(oxigraph) == []


def test_a_swap_without_an_answer_says_the_graphs_may_hold_either(oxigraph, invoke):
    """The server may have swapped before the answer was lost: kg cannot say which, so it says so."""
    with servers.Proxy(oxigraph.removesuffix("/query"), lambda method, path, body: "hold" if b"MOVE+GRAPH" in body else None) as proxy:
        result = invoke("push", "--graph", GRAPH + "/unsure", "--timeout", "2", *through(proxy, "/store"))
    line = one_error_line(result)
    assert "no answer within 2 s" in line and "may hold the new triples or the old: push again" in line


def test_a_refused_swap_says_the_graphs_are_as_they_were(oxigraph, invoke, before):
    with servers.Proxy(oxigraph.removesuffix("/query"), lambda method, path, body: 500 if b"MOVE+GRAPH" in body else None) as proxy:
        result = invoke("push", "--graph", GRAPH, *through(proxy, "/store"))
    assert one_error_line(result).endswith("the server refused the swap, so <http://example.org/pushed> and <http://example.org/pushed/derived> are as they were")
    assert (content(oxigraph, GRAPH), content(oxigraph, GRAPH + "/derived")) == before
    assert leftovers(oxigraph) == []
