"""A second real SPARQL server: OpenLink Virtuoso (Debian's virtuoso-opensource-7-bin).

Oxigraph is kg's own store; Virtuoso is a server analysts meet in the wild and
reads SPARQL its own way (an expression error ends the whole query; answers are
cut at a row limit). Here kg must push to it as the README says, find the same
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


def start_virtuoso(folder, max_rows: int):
    """The server (see servers.py), or a skip where it is not installed (a failure in CI)."""
    try:
        return servers.start_virtuoso(folder, max_rows)
    except servers.VirtuosoMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A Virtuoso server for this module, with a row limit above anything the tests ask."""
    process, url = start_virtuoso(tmp_path_factory.mktemp("virtuoso"), max_rows=1_000_000)
    yield url
    process.terminate()
    process.wait(timeout=30)


GRAPH_NUMBERS = count()


def put(url: str, ntriples: bytes) -> EndpointBackend:
    """The triples in a graph of their own at the server, read through that graph."""
    graph = f"urn:kg:test:{next(GRAPH_NUMBERS)}"
    EndpointBackend(url).push(ntriples, target_graph=graph, store_url=url + "-graph-crud")
    return EndpointBackend(url, graph=graph)


def as_dicts(findings):
    return [f.to_dict() for f in findings]


def test_push_then_commands_match_memory_on_virtuoso(virtuoso, runner):
    """The README's Virtuoso lines: push over the Graph Store Protocol, then conflicts, stats, query, describe."""
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
