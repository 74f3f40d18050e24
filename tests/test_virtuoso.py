"""A second real SPARQL server: OpenLink Virtuoso (Debian's virtuoso-opensource-7-bin).

Oxigraph is kg's own store; Virtuoso is a server analysts meet in the wild and
reads SPARQL its own way (an expression error ends the whole query; answers are
cut at a row limit). Here kg must push to it as docs/backends.md says, find the same
conflicts as in memory, and refuse an answer the server cut short. Every entity
in these graphs is fictional.
"""

from __future__ import annotations

import json
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF

import servers
from test_derive import AS_OF, claims_graph, oxigraph_copy
from test_backends import planted_found
from test_push import content, leftovers, nth_insert

from kg.conflicts.engine import find_conflicts
from kg.conflicts.report import findings_document
from kg.backends.http import HttpClient
from kg.errors import EndpointError, InputError
from kg.io.load import load_graph
from kg.derive import ControlGraph, claim_states, derive_facts, in_store_edge_queries
from kg.vocab import KGR
from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.synth import SYNTH_AS_OF

pytestmark = pytest.mark.slow
loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)


#: A Virtuoso user who may query and update at /sparql-auth, which asks for HTTP Digest.
USER, PASSWORD = "kgtest", "pa:ss wörd"


def start_virtuoso(folder, max_rows: int, **settings):
    """The server (see servers.py), or a skip where it is not installed (a failure in CI)."""
    try:
        return servers.start_virtuoso(folder, max_rows, **settings)
    except servers.VirtuosoMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A Virtuoso server for this module, with a row limit above anything the tests ask."""
    process, url = start_virtuoso(tmp_path_factory.mktemp("virtuoso"), max_rows=1_000_000, users={USER: PASSWORD})
    yield url
    process.terminate()
    process.wait(timeout=30)


GRAPH_NUMBERS = count()


def put(url: str, ntriples: bytes) -> EndpointBackend:
    """The triples in a graph of their own at the server, read through that graph."""
    graph = f"urn:kg:test:{next(GRAPH_NUMBERS)}"
    EndpointBackend(url).write_graph(ntriples, graph, store_url=url + "-graph-crud")
    return EndpointBackend(url, graph=graph)


def as_dicts(findings):
    return [f.to_dict() for f in findings]


def test_push_then_commands_match_memory_on_virtuoso(virtuoso, runner):
    """The Virtuoso lines of docs/backends.md: push over the Graph Store Protocol, then conflicts, stats, query, describe."""
    from kg.cli import cli

    pushed = runner.invoke(cli, ["push", "--endpoint", virtuoso, "--graph", "urn:kg:data", "--store-url", virtuoso + "-graph-crud"])
    assert pushed.exit_code == 0 and "Graph Store Protocol" in pushed.stdout, pushed.output
    remote = ["--endpoint", virtuoso, "--graph", "urn:kg:data"]
    for args in (["conflicts", "--as-of", "2010"], ["conflicts"], ["describe", "anthropic"], ["query", "controllers-of", "--param", "org=starlink"]):
        here, there = runner.invoke(cli, [*args, "--format", "json"]), runner.invoke(cli, [*args, *remote, "--format", "json"])
        assert there.exit_code == 0, there.output
        assert json.loads(there.stdout) == json.loads(here.stdout), args
    stats = json.loads(runner.invoke(cli, ["stats", *remote, "--format", "json"]).stdout)
    assert stats["classes"] == json.loads(runner.invoke(cli, ["stats", "--format", "json"]).stdout)["classes"]


def test_push_through_sparql_update_when_no_graph_store_is_named(virtuoso, runner, bundled_graph):
    """Virtuoso takes updates at its query URL: kg finds it after the guessed /store and /update fail."""
    from kg.cli import cli

    pushed = runner.invoke(cli, ["push", "--endpoint", virtuoso, "--graph", "urn:kg:update"])
    assert pushed.exit_code == 0 and f"SPARQL Update at {virtuoso}" in pushed.stdout, pushed.output
    remote = EndpointBackend(virtuoso, graph="urn:kg:update")
    assert len(remote) == len(load_graph())
    assert as_dicts(find_conflicts(remote)) == as_dicts(find_conflicts(bundled_graph))


def test_planted_conflicts_are_all_found_on_virtuoso(virtuoso, synthetic_small):
    graph, planted = synthetic_small
    remote = put(virtuoso, graph.serialize(format="nt", encoding="utf-8"))
    findings = find_conflicts(remote, as_of=SYNTH_AS_OF)
    assert planted_found(findings, planted)
    assert as_dicts(findings) == as_dicts(find_conflicts(graph, as_of=SYNTH_AS_OF))


@pytest.fixture(scope="module")
def synthetic_small():
    from kg.synth import generate

    synthetic = generate(300, seed=11)
    return synthetic.graph, synthetic.planted


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(claims_graph(), st.sampled_from(AS_OF), st.sampled_from(["rumored", "reported"]))
def test_awkward_claims_read_the_same_on_virtuoso(virtuoso, graph, as_of, min_status):
    """Partial, invalid and doubled dates, mixed statuses: Virtuoso's reading of the
    edge CONSTRUCTs and of the evidence must be Python's, and so the findings."""
    states = claim_states(MemoryBackend(graph), as_of=as_of, min_status=min_status)
    python_edges = {edge for edge in derive_facts(states, ControlGraph(states)) if edge[1] != KGR.controls}
    remote = put(virtuoso, oxigraph_copy(graph).ntriples())
    derived = remote.constructed(in_store_edge_queries(as_of, min_status))
    store_triples = set(derived.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")[1])
    assert {t for t in store_triples if t[1] not in (KGR.controls, RDF.type)} == python_edges

    def document(source):
        return findings_document(find_conflicts(source, as_of=as_of, min_status=min_status), as_of=as_of, min_status=min_status)

    assert document(remote) == document(MemoryBackend(graph))


def test_a_server_that_hides_its_row_limit_gets_a_warning(virtuoso, runner, monkeypatch):
    """Where Virtuoso refuses its built-in functions, kg cannot tell a cut CONSTRUCT answer: it says so once."""
    from kg.cli import cli

    runner.invoke(cli, ["push", "--endpoint", virtuoso, "--graph", "urn:kg:hidden", "--store-url", virtuoso + "-graph-crud"])
    exchange = HttpClient.exchange

    def refusing(self, url, data, *args, **kwargs):
        if b"bif%3A" in data:
            raise EndpointError(f"{url}: HTTP 500 SPARQL Request Failed: Virtuoso 37000 Error SQ074: access denied", url=url, status=500)
        return exchange(self, url, data, *args, **kwargs)

    monkeypatch.setattr(HttpClient, "exchange", refusing)
    result = runner.invoke(cli, ["conflicts", "--endpoint", virtuoso, "--graph", "urn:kg:hidden", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning:") == 1 and "did not tell its row limit" in result.stderr
    assert json.loads(result.stdout) == json.loads(runner.invoke(cli, ["conflicts", "--format", "json"]).stdout)


def test_an_answer_cut_at_the_row_limit_is_an_error(tmp_path_factory, runner, synthetic_small):
    """Virtuoso sends at most ResultSetMaxRows rows and, for CONSTRUCT, does not say so:
    kg must stop with one line rather than report findings from part of the graph."""
    from kg.cli import cli

    folder = tmp_path_factory.mktemp("virtuoso-limited")
    process, url = start_virtuoso(folder / "db", max_rows=100)
    try:
        data = folder / "synthetic.nt"
        synthetic_small[0].serialize(data, format="nt", encoding="utf-8")
        pushed = runner.invoke(cli, ["push", "--endpoint", url, "--graph", "urn:kg:data", "--store-url", url + "-graph-crud", "--data", str(data)])
        assert pushed.exit_code == 0, pushed.output
        for args in (["conflicts", "--as-of", SYNTH_AS_OF], ["viz", "-o", str(folder / "g.html")], ["query", "-e", "SELECT * WHERE { ?s ?p ?o }"]):
            result = runner.invoke(cli, [*args, "--endpoint", url, "--graph", "urn:kg:data"])
            assert result.exit_code == 2, (args, result.output)
            assert not (folder / "g.html").exists()
            assert result.output.count("\n") == 1 and "cut its answer at 100 rows" in result.output and "ResultSetMaxRows" in result.output
        with pytest.raises(InputError, match="cut its answer"):
            EndpointBackend(url, graph="urn:kg:data").to_graph()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_digest_credentials_from_the_environment_open_virtuosos_authenticated_endpoint(virtuoso, invoke, monkeypatch):
    """/sparql-auth asks for HTTP Digest: kg answers with KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD (UTF-8)."""
    secured = virtuoso + "-auth"
    refused = invoke("push", "--endpoint", secured, "--graph", "urn:kg:secured")
    assert refused.exit_code == 2 and refused.stderr.startswith(f"Error: {secured}: HTTP 401"), refused.output
    monkeypatch.setenv("KG_ENDPOINT_USER", USER)
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", "wrong")
    assert invoke("stats", "--endpoint", secured, "--graph", "urn:kg:secured").exit_code == 2
    monkeypatch.setenv("KG_ENDPOINT_PASSWORD", PASSWORD)
    pushed = invoke("push", "--endpoint", secured, "--graph", "urn:kg:secured")
    assert pushed.exit_code == 0 and f"SPARQL Update at {secured}" in pushed.stdout, pushed.output
    there = invoke("conflicts", "--endpoint", secured, "--graph", "urn:kg:secured", "--format", "json")
    assert there.exit_code == 0, there.output
    assert json.loads(there.stdout) == json.loads(invoke("conflicts", "--format", "json").stdout)
    assert PASSWORD not in pushed.output + there.output


def test_an_ask_on_virtuoso_is_answered_truly(virtuoso, invoke):
    """Virtuoso 7.2 answers ASK with a one-row table; read as SPARQL's boolean, it said false for true."""
    invoke("push", "--endpoint", virtuoso, "--graph", "urn:kg:ask", "--store-url", virtuoso + "-graph-crud")
    remote = ["--endpoint", virtuoso, "--graph", "urn:kg:ask"]
    assert invoke("query", "-e", "ASK { ?s ?p ?o }", *remote).stdout.strip() == "true"
    assert invoke("query", "-e", "ASK { ?s <urn:kg:no-such-property> ?o }", *remote).stdout.strip() == "false"


def test_a_push_failing_midway_on_virtuoso_leaves_the_graphs_as_they_were(virtuoso, invoke, tmp_path, synthetic_small):
    graph = "urn:kg:atomic"
    assert invoke("push", "--endpoint", virtuoso, "--graph", graph).exit_code == 0
    before = content(virtuoso, graph), content(virtuoso, graph + "/derived")
    data = tmp_path / "synthetic.nt"
    synthetic_small[0].serialize(data, format="nt", encoding="utf-8")
    with servers.Proxy(virtuoso.removesuffix("/sparql"), nth_insert(2, 500)) as proxy:
        result = invoke("push", "--endpoint", proxy.url + "/sparql", "--store-url", proxy.url + "/no-store", "--graph", graph, "--data", str(data))
    assert result.exit_code == 2 and "HTTP 500" in result.stderr, result.output
    assert (content(virtuoso, graph), content(virtuoso, graph + "/derived")) == before
    assert leftovers(virtuoso) == []


def test_a_second_push_to_a_graph_on_virtuoso_while_one_runs_is_refused(virtuoso, invoke, tmp_path, synthetic_small):
    import subprocess
    import sys
    from pathlib import Path

    graph = "urn:kg:concurrent"
    data = tmp_path / "synthetic.nt"
    synthetic_small[0].serialize(data, format="nt", encoding="utf-8")
    with servers.Proxy(virtuoso.removesuffix("/sparql"), nth_insert(2, "pause")) as proxy:
        command = [str(Path(sys.executable).parent / "kg"), "push", "--endpoint", proxy.url + "/sparql", "--store-url", proxy.url + "/no-store"]
        first = subprocess.Popen([*command, "--graph", graph, "--data", str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proxy.wait_held(first)
            second = invoke("push", "--endpoint", virtuoso, "--graph", graph)
        finally:
            proxy.release()
            stdout, stderr = first.communicate(timeout=300)
    assert second.exit_code == 2 and "another kg push to <urn:kg:concurrent>" in second.stderr, second.output
    assert first.returncode == 0, stderr
    assert len(EndpointBackend(virtuoso, graph=graph)) == int(stdout.split()[1])
    assert leftovers(virtuoso) == []


def test_a_push_larger_than_a_virtuoso_transaction_is_swapped_in(tmp_path_factory, invoke):
    """Virtuoso's transactions hold 50 MB of changes, and a MOVE of 10^6 triples failed there. Here
    they hold 1 MB, which a MOVE of these 66,000 triples exceeds (checked first), and kg's swap must
    still go through (the data travel by SPARQL Update: a Graph Store PUT this large fails too)."""
    from kg.synth import generate

    folder = tmp_path_factory.mktemp("virtuoso-small-transactions")
    process, url = start_virtuoso(folder / "db", max_rows=1_000_000, after_image_limit=1_000_000)
    try:
        data = folder / "synthetic.nt"
        generate(3000, seed=11).graph.serialize(data, format="nt", encoding="utf-8")
        no_store = url.removesuffix("/sparql") + "/no-store"  # (a PUT to a path under /sparql/ gets no answer)
        server = EndpointBackend(url)
        server.write_graph(data.read_bytes(), "urn:kg:probe", store_url=no_store)
        with pytest.raises(EndpointError) as too_large:
            server.update("MOVE GRAPH <urn:kg:probe> TO GRAPH <urn:kg:elsewhere>")
        assert too_large.value.status == 500
        pushed = invoke("push", "--endpoint", url, "--graph", "urn:kg:data", "--store-url", no_store, "--data", str(data))
        assert pushed.exit_code == 0, pushed.output
        assert len(EndpointBackend(url, graph="urn:kg:data")) == int(pushed.stdout.split()[1])
        assert leftovers(url) == []
    finally:
        process.terminate()
        process.wait(timeout=30)
