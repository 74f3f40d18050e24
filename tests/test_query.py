"""``kg query`` / ``kg queries``: bundled queries, parameters as terms, read-only safety."""

from __future__ import annotations

import csv
import io
import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.plugins.sparql.parser import parseQuery

from kg import resources
from kg.errors import QueryError
from kg.vocab import CLAIM, DATA, SOURCE
from kg.query import bundled_queries
from kg.sparql import parse_header, parse_param, run_query

EXPECTED_QUERIES = {
    "entity",
    "controllers-of",
    "controlled-by",
    "investments-by",
    "investments-in",
    "compute-suppliers",
    "compute-customers",
    "rivalries",
    "claim-sources",
    "claims-by-source",
}


def column(result, name):
    index = result.variables.index(name)
    return [row[index] for row in result.rows]


def ids(terms):
    return sorted(str(t).rsplit("/", 1)[-1] for t in terms if t is not None)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test: nothing reaches the network."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_every_query_file_parses():
    files = sorted(resources.queries_dir().rglob("*.rq"))
    assert len(files) >= len(EXPECTED_QUERIES) + 6
    for path in files:
        parseQuery(path.read_text(encoding="utf-8"))


def test_bundled_queries_have_summary_and_parameters():
    queries = {q.name: q for q in bundled_queries()}
    assert EXPECTED_QUERIES <= set(queries)
    for query in queries.values():
        assert query.summary, query.name
        assert query.parameters, query.name
        for parameter in query.parameters:
            assert f"?{parameter.name}" in query.text, (query.name, parameter.name)
            assert parameter.description


def test_kg_queries_lists_each_one_with_its_parameters(invoke):
    result = invoke("queries")
    assert result.exit_code == 0
    for query in bundled_queries():
        assert query.name in result.stdout
        for parameter in query.parameters:
            assert f"--param {parameter.name}=" in result.stdout


def run_bundled(graph, name, **params):
    text = next(q.text for q in bundled_queries() if q.name == name)
    return run_query(graph, text, params=[f"{k}={v}" for k, v in params.items()])


def test_controllers_of_starlink_walks_the_whole_chain_up(bundled_graph):
    result = run_bundled(bundled_graph, "controllers-of", org="starlink")
    assert ids(column(result, "controller")) == ["elon-musk", "spacex"]


def test_controlled_by_musk_walks_the_whole_tree_down(bundled_graph):
    result = run_bundled(bundled_graph, "controlled-by", agent="elon-musk")
    assert ids(column(result, "controlled")) == ["spacex", "starlink", "xai"]


def test_investments_by_and_into(bundled_graph):
    assert ids(column(run_bundled(bundled_graph, "investments-by", investor="aws"), "investee")) == ["anthropic"]
    assert ids(column(run_bundled(bundled_graph, "investments-in", investee="anthropic"), "investor")) == ["aws"]


def test_compute_suppliers_and_customers(bundled_graph):
    assert ids(column(run_bundled(bundled_graph, "compute-suppliers", customer="anthropic"), "supplier")) == ["aws", "spacex"]
    assert ids(column(run_bundled(bundled_graph, "compute-customers", supplier="spacex"), "customer")) == ["anthropic"]


def test_rivalries_whichever_party_is_named_first(bundled_graph):
    result = run_bundled(bundled_graph, "rivalries", org="anthropic")
    assert ids(column(result, "rival")) == ["google-deepmind", "meta", "openai", "xai"]


def test_entity_lists_every_claim_of_spacex(bundled_graph):
    result = run_bundled(bundled_graph, "entity", entity="spacex")
    assert ids(set(column(result, "claim"))) == [
        "anthropic-buys-compute-from-spacex",
        "elon-musk-controls-spacex",
        "spacex-controls-starlink",
    ]


def test_claim_sources_gives_source_and_status(bundled_graph):
    result = run_bundled(bundled_graph, "claim-sources", claim="claim:anthropic-buys-compute-from-spacex")
    assert [str(s) for s in column(result, "status")] == ["reported"]
    assert column(result, "title")[0] is not None


def test_claims_by_source_lists_all_claims_of_the_analysis(bundled_graph):
    source = next(bundled_graph.subjects(URIRef("http://purl.org/dc/terms/title"), None))
    result = run_bundled(bundled_graph, "claims-by-source", source=f"<{source}>")
    claims = set(column(result, "claim"))
    assert CLAIM["anthropic-buys-compute-from-spacex"] in claims
    assert len(claims) == len(set(bundled_graph.subjects(URIRef("https://w3id.org/ai-compute-kg/ontology#attestation"), None)))


# --- parameters ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text,expected",
    [
        ("org=<https://example.org/x>", URIRef("https://example.org/x")),
        ("org=kgd:spacex", DATA.spacex),
        ("org=spacex", DATA.spacex),
        ("claim=claim:a-b", CLAIM["a-b"]),
        ("source=src:analysis-000", SOURCE["analysis-000"]),
        ('year="2021"^^xsd:gYear', Literal("2021", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))),
        ("n=42", Literal(42)),
        ("name=not an id", Literal("not an id")),
    ],
)
def test_param_values_become_rdf_terms(bundled_graph, text, expected):
    assert parse_param(text, bundled_graph)[1] == expected


@pytest.mark.parametrize("text", ["noequals", "=value", "bad name=1", "x=<not an iri>"])
def test_malformed_param_is_refused(text):
    with pytest.raises(QueryError):
        parse_param(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).map(lambda s: 'x" } DROP ALL { "' + s))
def test_hostile_parameter_value_stays_a_value(bundled_graph, value):
    before = len(bundled_graph)
    result = run_query(bundled_graph, "SELECT ?v WHERE { BIND (?name AS ?v) }", params=[f"name={value}"])
    assert len(bundled_graph) == before
    assert [str(row[0]) for row in result.rows] == [value.strip()]


# --- safety ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text,needle",
    [
        ("SELEC ?x WHERE {}", "syntax error"),
        ("DROP ALL", "read-only"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
        ("LOAD <http://example.org/data.ttl>", "LOAD"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://x.org/q> { ?s ?p ?o } } }", "SERVICE"),
        ("ASK { ?s undeclared:p ?o }", "undeclared"),
    ],
)
def test_refused_or_broken_queries_raise_a_query_error(bundled_graph, text, needle):
    with pytest.raises(QueryError, match=needle):
        run_query(bundled_graph, text)


def test_update_is_allowed_only_with_the_opt_in(bundled_data_only):
    graph = bundled_data_only.__class__()
    graph += bundled_data_only
    run_query(graph, "INSERT DATA { <urn:a> <urn:b> <urn:c> }", allow_update=True)
    assert (URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:c")) in graph


@pytest.mark.parametrize(
    "args,needle",
    [
        (["query", "-e", "SELECT ?x WHERE { ?x ?p }"], "syntax error"),
        (["query", "-e", "DROP ALL"], "read-only"),
        (["query", "-e", "LOAD <http://example.org/x>"], "LOAD"),
        (["query", "-e", "SELECT * WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } }"], "SERVICE"),
        (["query", "no-such-query"], "no-such-query"),
        (["query", "entity", "--param", "entity"], "--param"),
        (["query", "missing-file.rq"], "missing-file.rq"),
        (["query", "entity", "--param", "id=anthropic"], "no variable ?id"),
    ],
)
def test_cli_bad_query_gives_one_error_line_and_exit_2(runner, args, needle):
    from kg.cli import cli

    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error:") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- output formats ----------------------------------------------------------------------------

def test_json_output_is_w3c_sparql_results_json(invoke):
    result = invoke("query", "controllers-of", "--param", "org=starlink", "--format", "json")
    document = json.loads(result.stdout)
    assert document["head"]["vars"][0] == "controller"
    binding = document["results"]["bindings"][0]
    assert binding["controller"]["type"] == "uri"
    assert binding["controllerName"]["type"] == "literal"


def test_csv_and_tsv_outputs_follow_the_w3c_formats(invoke):
    csv_text = invoke("query", "controllers-of", "--param", "org=starlink", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0][:2] == ["controller", "controllerName"]
    assert rows[1][0].startswith("https://")  # IRIs bare in CSV
    tsv_text = invoke("query", "controllers-of", "--param", "org=starlink", "--format", "tsv").stdout
    lines = tsv_text.splitlines()
    assert lines[0].startswith("?controller\t?controllerName")
    assert lines[1].startswith("<https://")  # terms in N-Triples syntax in TSV


def test_query_from_a_file_and_ask_form(invoke, tmp_path):
    path = tmp_path / "labs.rq"
    path.write_text("ASK { ?lab a kg:AILab }", encoding="utf-8")
    result = invoke("query", path)
    assert result.exit_code == 0 and result.stdout.strip() == "true"


def test_header_metadata_continues_on_indented_lines():
    meta = parse_header("#+ id: x\n#+ description: one\n#+   two\n#+ param: a  the a\nSELECT * {}\n#+ late: no")
    assert meta == {"id": ["x"], "description": ["one two"], "param": ["a  the a"]}
