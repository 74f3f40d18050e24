"""``kg query`` / ``kg queries``: bundled queries, parameters as terms, read-only safety."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.plugins.sparql.parser import parseQuery

from kg import resources
from kg.backends.memory import MemoryBackend
from kg.backends.open import open_backend
from kg.errors import QueryError
from kg.query import bundled_queries, run_query
from kg.sparql import parse_header, parse_param
from kg.vocab import CLAIM, CLAIM_TYPES, DATA, KG, SOURCE

KG_BINARY = Path(sys.executable).parent / "kg"

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
        ("org=<https://w3id.org/ai-compute-kg/data/spacex>", DATA.spacex),
        ("org=kgd:spacex", DATA.spacex),
        ("org=spacex", DATA.spacex),
        ("claim=claim:anthropic-buys-compute-from-spacex", CLAIM["anthropic-buys-compute-from-spacex"]),
        ("source=src:analysis-000", SOURCE["analysis-000"]),
        ('year="2021"^^xsd:gYear', Literal("2021", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYear"))),
        ("n=42", Literal(42)),
        ('name="not an id"', Literal("not an id")),
        ('name="starlink"', Literal("starlink")),  # quoted: a string, though an id has that name
        ("agent=Elon Musk", DATA["elon-musk"]),  # a label names its entity
        ("agent=elon musk", DATA["elon-musk"]),
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
    result = run_query(bundled_graph, "SELECT ?v WHERE { BIND (?name AS ?v) }", params=[f"name={Literal(value).n3()}"])
    assert len(bundled_graph) == before
    assert [str(row[0]) for row in result.rows] == [value]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(lambda v: not v.strip().startswith(("'", '"'))))
def test_a_bare_value_is_an_entity_or_an_error_never_a_silent_string(bundled_graph, value):
    try:
        name, term = parse_param(f"org={value}", bundled_graph)
    except QueryError as error:
        assert "--param" not in str(error)  # the library names its argument, the CLI its flag
        return
    assert isinstance(term, URIRef) or term.datatype is not None  # an entity, or a number


# --- parameters that match nothing (issue 14, item 5) ------------------------------------------

BACKENDS = {
    "memory": lambda graph: MemoryBackend(graph),
    "oxigraph": lambda graph: open_backend(store="oxigraph"),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "param",
    ["org=starlinkk", "org=Starlink Inc", "org=kgd:starlinkk", "org=<https://w3id.org/ai-compute-kg/data/starlinkk>"],
)
def test_a_parameter_that_names_nothing_is_an_error_naming_it(bundled_graph, backend, param):
    query = next(q for q in bundled_queries() if q.name == "controllers-of")
    with pytest.raises(QueryError) as caught:
        BACKENDS[backend](bundled_graph).run(query.text, params=[param])
    message = str(caught.value)
    assert param.partition("=")[2].strip("<>") in message and "unknown" in message
    assert "quote" in message  # how to pass a string instead


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_label_names_its_entity_on_every_backend(bundled_graph, backend):
    query = next(q for q in bundled_queries() if q.name == "controlled-by")
    result = BACKENDS[backend](bundled_graph).run(query.text, params=["agent=Elon Musk"])
    assert ids(column(result, "controlled")) == ["spacex", "starlink", "xai"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_quoted_value_is_passed_as_a_string(bundled_graph, backend):
    text = "SELECT ?org WHERE { ?org rdfs:label ?name }"
    result = BACKENDS[backend](bundled_graph).run(text, params=['name="Elon Musk"'])
    assert ids(column(result, "org")) == ["elon-musk"]


def test_cli_unknown_parameter_value_is_one_error_line(invoke):
    result = invoke("query", "controllers-of", "--param", "org=starlinkk")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --param org=starlinkk: unknown id 'starlinkk'")


# --- claims-by-source keeps each party in its role (issue 14, item 4) --------------------------

def test_claims_by_source_keeps_subject_and_object_in_their_roles(bundled_graph):
    source = next(bundled_graph.subjects(URIRef("http://purl.org/dc/terms/title"), None))
    result = run_bundled(bundled_graph, "claims-by-source", source=f"<{source}>")
    label = {node: str(name) for node, name in bundled_graph.subject_objects(RDFS.label)}
    rows = [dict(zip(result.variables, row)) for row in result.rows]
    assert rows
    for row in rows:
        roles = CLAIM_TYPES[KG[str(row["type"])]]
        assert str(row["subjectName"]) == label[bundled_graph.value(row["claim"], roles.subject_role)], row
        assert str(row["objectName"]) == label[bundled_graph.value(row["claim"], roles.object_role)], row
    investment = next(row for row in rows if row["claim"] == CLAIM["aws-invests-in-anthropic"])
    assert (str(investment["subjectName"]), str(investment["objectName"])) == ("Amazon Web Services", "Anthropic")


def test_claims_by_source_knows_every_claim_type_and_its_roles():
    """The query's table of roles is kg.vocab.CLAIM_TYPES, so a new claim type cannot be left out."""
    text = next(q.text for q in bundled_queries() if q.name == "claims-by-source")
    table = {tuple(KG[name] for name in row) for row in re.findall(r"\(kg:(\w+)\s+kg:(\w+)\s+kg:(\w+)\)", text)}
    assert table == {(t.cls, t.subject_role, t.object_role) for t in CLAIM_TYPES.values()}


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
    run_query(graph, "INSERT DATA { kgd:a kg:b kgd:c }", allow_update=True)  # kg's prefixes, as in queries
    assert (DATA.a, KG.b, DATA.c) in graph


# --- USING reads graphs from elsewhere (issue 14, item 12) -------------------------------------

@pytest.fixture
def local_file(tmp_path):
    path = tmp_path / "secret.ttl"
    path.write_text("<urn:secret> <urn:is> <urn:here> .\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "template",
    [
        "INSERT {{ <urn:copy> <urn:of> ?o }} USING <{iri}> WHERE {{ ?s ?p ?o }}",
        "INSERT {{ <urn:copy> <urn:of> ?o }} USING NAMED <{iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "DELETE {{ ?s ?p ?o }} USING <{iri}> WHERE {{ ?s ?p ?o }}",
    ],
)
@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_using_in_an_update_needs_allow_service(bundled_data_only, local_file, template, store):
    graph = Graph()
    graph += bundled_data_only
    backend = MemoryBackend(graph) if store == "memory" else open_backend(store="oxigraph")
    for iri in (local_file.as_uri(), "http://example.org/data.ttl"):
        with pytest.raises(QueryError, match="USING") as caught:
            backend.run(template.format(iri=iri), allow_update=True)
        assert "allow_service" in caught.value.arguments
    assert not backend.run("ASK { <urn:copy> ?p ?o }").boolean


def test_with_names_a_graph_of_the_store_and_needs_no_allow_service():
    """WITH reads nothing from elsewhere (rdflib and Oxigraph take it as a graph of the store)."""
    from kg.sparql import prepare

    text = "WITH <http://example.org/g> INSERT { <urn:a> <urn:b> ?o } WHERE { ?s ?p ?o }"
    assert prepare(text, allow_update=True) == ("update", text)
    backend = open_backend(store="oxigraph")
    backend.run("INSERT DATA { GRAPH <http://example.org/g> { <urn:s> <urn:p> <urn:o> } }", allow_update=True)
    backend.run(text, allow_update=True)
    assert backend.run("ASK { GRAPH <http://example.org/g> { <urn:a> <urn:b> <urn:o> } }").boolean


# --- FROM is refused on local data (issue 14, item 6) ------------------------------------------

@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?lab FROM <urn:example:other> WHERE { ?lab a kg:AILab }",
        "SELECT ?lab FROM NAMED <urn:example:other> WHERE { GRAPH ?g { ?lab a kg:AILab } }",
        "ASK FROM <https://example.org/data.ttl> { ?lab a kg:AILab }",
        "CONSTRUCT { ?lab a kg:AILab } FROM <urn:x> WHERE { ?lab a kg:AILab }",
    ],
)
def test_from_is_refused_on_local_data(bundled_graph, store, text):
    backend = MemoryBackend(bundled_graph) if store == "memory" else open_backend(store="oxigraph")
    with pytest.raises(QueryError, match="FROM"):
        backend.run(text)


def test_cli_from_is_one_error_line(invoke):
    result = invoke("query", "-e", "SELECT ?lab FROM <urn:x> WHERE { ?lab a kg:AILab }")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "FROM" in result.stderr


# --- user queries run on Oxigraph's engine (issue 14, item 9) ----------------------------------

def test_queries_on_an_rdflib_graph_never_use_rdflibs_sparql_engine(bundled_graph, monkeypatch):
    """rdflib's engine multiplies rows of patterns that share no variable (the ontology's labels):
    minutes on 10^3 triples; Oxigraph's engine answers the same query on a copy (bench/query_bench.py)."""

    def refuse(*args, **kwargs):
        raise AssertionError("rdflib's SPARQL engine was used")

    monkeypatch.setattr(Graph, "query", refuse)
    for query in bundled_queries():
        args = {"controllers-of": ["org=starlink"], "controlled-by": ["agent=elon-musk"], "entity": ["entity=spacex"]}
        if query.name in args:
            assert run_query(bundled_graph, query.text, params=args[query.name]).rows, query.name
    labels = run_query(bundled_graph, "SELECT ?lab ?name WHERE { ?lab a kg:AILab ; rdfs:label ?name }")
    assert ids(column(labels, "lab")) == ["anthropic", "google-deepmind", "meta", "openai", "xai"]


# --- shortcuts: --infer (issue 14, item 24) ----------------------------------------------------

SHORTCUT_QUERY = "SELECT ?org WHERE { kgd:elon-musk kg:controls ?org }"


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_infer_gives_the_shortcuts_the_ontology_defines(bundled_graph, store):
    backend = MemoryBackend(bundled_graph) if store == "memory" else open_backend(store="oxigraph")
    assert ids(column(backend.run(SHORTCUT_QUERY, infer=True), "org")) == ["spacex", "xai"]
    rivals = backend.run("SELECT ?rival WHERE { kgd:anthropic kg:competesWith ?rival }", infer=True)
    assert ids(column(rivals, "rival")) == ["google-deepmind", "meta", "openai", "xai"]  # both directions
    assert ids(column(backend.run("SELECT ?lab WHERE { kgd:aws kg:investsIn ?lab }", infer=True), "lab")) == ["anthropic"]


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_a_shortcut_without_infer_warns(bundled_graph, store):
    from kg.errors import KgWarning

    backend = MemoryBackend(bundled_graph) if store == "memory" else open_backend(store="oxigraph")
    with pytest.warns(KgWarning, match="kg:controls"):
        assert backend.run(SHORTCUT_QUERY).rows == ()


def test_a_query_without_shortcuts_does_not_warn(bundled_graph, recwarn):
    run_query(bundled_graph, "SELECT ?s WHERE { ?s kg:controller ?o }")
    assert not [w for w in recwarn if "shortcut" in str(w.message)]


def test_cli_warns_and_infer_answers(invoke):
    without = invoke("query", "-e", SHORTCUT_QUERY, "--format", "csv")
    assert without.exit_code == 0 and without.stdout.strip() == "org"
    assert without.stderr.startswith("Warning: ") and "kg:controls" in without.stderr and "--infer" in without.stderr
    with_infer = invoke("query", "-e", SHORTCUT_QUERY, "--format", "csv", "--infer")
    assert with_infer.exit_code == 0 and "spacex" in with_infer.stdout and with_infer.stderr == ""


def test_the_shortcut_table_is_the_ontologys_property_chains():
    from rdflib import OWL
    from rdflib.collection import Collection

    from kg.sparql import SHORTCUTS

    ontology = Graph().parse(resources.ontology_path())
    chains: dict = {}
    for shortcut, head in ontology.subject_objects(OWL.propertyChainAxiom):
        inverse, role = list(Collection(ontology, head))
        chains.setdefault(shortcut, set()).add((ontology.value(inverse, OWL.inverseOf), role))
    assert {shortcut: set(pairs) for shortcut, pairs in SHORTCUTS.items()} == chains


# --- local queries are bounded in time (issue 14, item 16) -------------------------------------

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.mark.parametrize("where", [[], ["--store", "oxigraph"], ["--store-path", "{tmp}/store"]])
def test_timeout_stops_a_local_query_with_one_error_line(tmp_path, where):
    args = [a.format(tmp=tmp_path) for a in where]
    if "--store-path" in args:
        assert subprocess.run([str(KG_BINARY), "stats", *args], capture_output=True, timeout=120).returncode == 0
    process = subprocess.run([str(KG_BINARY), "query", "-e", ENDLESS, "--timeout", "1", *args], capture_output=True, text=True, timeout=120)
    assert process.returncode == 2, process.stderr
    assert process.stderr.strip().splitlines() == ["Error: the query did not finish within 1 s (--timeout); kg stopped waiting for it"]


def test_run_query_takes_a_timeout():
    code = (
        "from kg import load_graph, run_query, KgError\n"
        "try:\n"
        f"    run_query(load_graph(), {ENDLESS!r}, timeout=0.5)\n"
        "except KgError as error:\n"
        "    print(error)\n"
    )
    process = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120)
    assert process.stdout.strip() == "the query did not finish within 0.5 s (timeout); kg stopped waiting for it", process.stderr


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
