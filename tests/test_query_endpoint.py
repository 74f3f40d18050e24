"""``kg query --endpoint``: the same query means the same at a real SPARQL server as on local data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.errors import KgWarning, QueryError
from kg.query import bundled_queries

pytestmark = pytest.mark.slow
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
GRAPH = "http://example.org/query-test"
README_QUERY = "SELECT ?lab ?name WHERE { ?lab a kg:AILab ; rdfs:label ?name }"


@pytest.fixture(scope="module")
def server(oxigraph_server):
    """The Oxigraph server holding the bundled example in GRAPH."""
    from kg.push import push

    push([], oxigraph_server, graph=GRAPH)
    return oxigraph_server


def rows(result):
    return sorted(map(str, result.rows))


def test_the_readmes_query_runs_at_an_endpoint(server, invoke):
    """Issue 14, item 3: kg's prefixes were declared only for local data."""
    result = invoke("query", "--endpoint", server, "--graph", GRAPH, "-e", README_QUERY, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "https://w3id.org/ai-compute-kg/data/anthropic,Anthropic" in result.stdout


def test_every_bundled_query_means_the_same_at_an_endpoint(server, bundled_graph):
    remote, memory = EndpointBackend(server, graph=GRAPH), MemoryBackend(bundled_graph)
    params = {"entity": "spacex", "org": "Starlink", "agent": "Elon Musk", "investor": "aws", "investee": "anthropic",
              "customer": "anthropic", "supplier": "spacex", "claim": "claim:anthropic-buys-compute-from-spacex",
              "source": "src:analysis-000"}
    for query in bundled_queries():
        args = [f"{p.name}={params[p.name]}" for p in query.parameters]
        if query.name == "rivalries":
            args = ["org=Anthropic"]
        expected = memory.run(query.text, params=args)
        assert expected.rows, query.name
        assert rows(remote.run(query.text, params=args)) == rows(expected), query.name


def test_an_unknown_parameter_value_is_an_error_at_an_endpoint(server):
    query = next(q for q in bundled_queries() if q.name == "controllers-of")
    with pytest.raises(QueryError, match="unknown id 'starlinkk'"):
        EndpointBackend(server, graph=GRAPH).run(query.text, params=["org=starlinkk"])


def test_from_names_a_graph_of_the_server(server, invoke):
    """At an endpoint FROM means what the server gives it: the named graph, not the default graph."""
    text = f"SELECT ?lab FROM <{GRAPH}> WHERE {{ ?lab a kg:AILab }}"
    result = invoke("query", "--endpoint", server, "-e", text, "--format", "csv")
    assert result.exit_code == 0 and "anthropic" in result.stdout
    both = invoke("query", "--endpoint", server, "--graph", GRAPH, "-e", text)
    assert both.exit_code == 2 and "FROM" in both.stderr and "--graph" in both.stderr


def test_shortcuts_at_an_endpoint_warn_and_infer_is_refused(server):
    remote = EndpointBackend(server, graph=GRAPH)
    text = "SELECT ?org WHERE { kgd:elon-musk kg:controls ?org }"
    with pytest.warns(KgWarning, match="kg:controls"):
        assert remote.run(text).rows == ()
    with pytest.raises(QueryError, match="server"):
        remote.run(text, infer=True)
