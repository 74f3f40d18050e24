"""kg export: every RDF format holds any graph kg loads (deep blank nodes, cycles, lists) and reads back the same."""

from __future__ import annotations

import json
import warnings

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from kg.errors import UsageError
from kg.export import export_graph
from kg.io.formats import BY_EXPORT_NAME
from kg.io.load import load_graph
from kg.io.rdf import kg_context, serialize_graph

SUFFIXES = {"ttl": ".ttl", "nt": ".nt", "nq": ".nq", "jsonld": ".jsonld", "xml": ".rdf", "trig": ".trig"}
P = URIRef("http://example.org/p")


def chain(depth: int) -> Graph:
    """<a> p _:b0 . _:b0 p _:b1 . ... : blank nodes nested ``depth`` deep, each used once."""
    graph = Graph()
    nodes = [BNode() for _ in range(depth)]
    graph.add((URIRef("http://example.org/a"), P, nodes[0]))
    for parent, child in zip(nodes, nodes[1:]):
        graph.add((parent, P, child))
    graph.add((nodes[-1], P, Literal("end")))
    return graph


def cycle() -> Graph:
    graph = Graph()
    a, b = BNode(), BNode()
    graph.add((a, P, b))
    graph.add((b, P, a))
    graph.add((URIRef("http://example.org/x"), P, Literal("1")))
    return graph


def with_list() -> Graph:
    graph = Graph()
    head = BNode()
    Collection(graph, head, [Literal(1), BNode(), URIRef("http://example.org/i")])
    graph.add((URIRef("http://example.org/s"), P, head))
    return graph


def chain_depth(graph: Graph) -> int:
    """How many blank nodes the chain from <a> passes before its "end" literal (-1 if it does not get there)."""
    node, depth = graph.value(URIRef("http://example.org/a"), P), 0
    while isinstance(node, BNode):
        node, depth = graph.value(node, P), depth + 1
    return depth if node == Literal("end") else -1


def same_graph(got: Graph, expected: Graph) -> bool:
    # rdflib's isomorphism test takes minutes over a long blank-node chain: compare chains by walking them.
    if chain_depth(expected) > 0:
        return len(got) == len(expected) and chain_depth(got) == chain_depth(expected)
    return isomorphic(got, expected)


def round_trip(graph: Graph, export_format: str, tmp_path) -> Graph:
    path = tmp_path / f"out{SUFFIXES[export_format]}"
    export_graph(graph, path, export_format)
    return load_graph([path], include_ontology=False)


@pytest.mark.parametrize("export_format", sorted(BY_EXPORT_NAME))
@pytest.mark.parametrize("graph", [chain(1_000), cycle(), with_list()], ids=["chain-1000", "cycle", "list"])
def test_every_format_writes_and_reads_back_blank_node_structures(tmp_path, export_format, graph):
    assert same_graph(round_trip(graph, export_format, tmp_path), graph)


@pytest.mark.parametrize("export_format", sorted(BY_EXPORT_NAME))
def test_deep_chains_export_from_the_cli(invoke, tmp_path, export_format):
    source = tmp_path / "chain.nt"
    source.write_bytes(chain(300).serialize(format="nt", encoding="utf-8"))
    output = tmp_path / f"out{SUFFIXES[export_format]}"
    result = invoke("export", "--data", source, "-o", output)
    assert result.exit_code == 0, result.output
    assert same_graph(load_graph([output], include_ontology=False), chain(300))


def test_rdf_xml_export_prints_no_warning(bundled_graph):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        serialize_graph(bundled_graph, BY_EXPORT_NAME["xml"])


def test_a_property_rdf_xml_cannot_name_is_one_error(tmp_path):
    graph = Graph()
    graph.add((URIRef("http://example.org/s"), URIRef("http://example.org/1"), Literal("x")))
    with pytest.raises(UsageError, match=r"<http://example.org/1> does not end in an XML name"):
        export_graph(graph, tmp_path / "out.rdf")
    assert not list(tmp_path.iterdir())


def test_json_ld_uses_kg_context(tmp_path, bundled_graph):
    path = tmp_path / "out.jsonld"
    export_graph(bundled_graph, path)
    document = json.loads(path.read_text("utf-8"))
    assert document["@context"] == kg_context()
    nodes = {node["id"]: node for node in document["@graph"]}
    assert nodes["kgd:anthropic"]["type"] == "AILab"
    assert isomorphic(load_graph([path], include_ontology=False), bundled_graph)


def test_construct_over_a_deep_chain_prints_turtle(invoke, tmp_path):
    source = tmp_path / "chain.nt"
    source.write_bytes(chain(300).serialize(format="nt", encoding="utf-8"))
    for store in ("memory", "oxigraph"):
        result = invoke("query", "--store", store, "--data", source, "-e", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        assert result.exit_code == 0, result.output
        assert chain_depth(Graph().parse(data=result.stdout, format="turtle")) == 300


# --- GraphML and GEXF ------------------------------------------------------------------------------

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GRAPHML_TYPES = {"boolean": lambda v: v in ("true", "false"), "int": int, "long": int, "float": float, "double": float, "string": str}


def check_graphml(path) -> list[str]:
    """The GraphML schema's constraints on ``path``, checked by hand; returns what breaks them.

    No schema is fetched (the tests never reach the network), and the XSD files of
    graphml.graphdrawing.org state no licence to ship them; validating XSD would
    also take a new dependency (lxml or xmlschema). What is checked is what the
    schema (graphml-structure.xsd, graphml-attributes.xsd) constrains and Gephi
    and yEd rely on: keys first, key ids unique (xs:ID), attr.type one of the six,
    one key per name and domain, edgedefault, node and edge ids unique (xs:ID),
    edges between declared nodes, every data element under a key of its domain,
    at most once per element, with a value of the key's type.
    """
    import xml.etree.ElementTree as ElementTree

    problems = []
    root = ElementTree.parse(path).getroot()
    if root.tag != f"{GRAPHML}graphml":
        return [f"root element {root.tag}"]
    children = [child.tag for child in root]
    keys = root.findall(f"{GRAPHML}key")
    if children != [f"{GRAPHML}key"] * len(keys) + [f"{GRAPHML}graph"]:
        problems.append(f"graphml children: {children}")
    declared = {}
    for key in keys:
        if key.get("id") in declared:
            problems.append(f"key id {key.get('id')} declared twice")
        declared[key.get("id")] = key
        if key.get("for") not in ("graph", "node", "edge", "all"):
            problems.append(f"key {key.get('id')} for {key.get('for')}")
        if key.get("attr.type") not in GRAPHML_TYPES:
            problems.append(f"key {key.get('id')} type {key.get('attr.type')}")
    pairs = [(key.get("attr.name"), key.get("for")) for key in keys]
    if len(set(pairs)) != len(pairs):
        problems.append(f"a name declared twice for one domain: {pairs}")
    graph = root.find(f"{GRAPHML}graph")
    if graph.get("edgedefault") not in ("directed", "undirected"):
        problems.append(f"edgedefault {graph.get('edgedefault')}")
    ids: set[str] = set()
    nodes = graph.findall(f"{GRAPHML}node")
    for element in [*nodes, *graph.findall(f"{GRAPHML}edge")]:
        kind = element.tag[len(GRAPHML):]
        if element.get("id") is not None:
            if element.get("id") in ids:
                problems.append(f"{kind} id {element.get('id')} used twice")
            ids.add(element.get("id"))
        seen = set()
        for data in element:
            key = declared.get(data.get("key"))
            if data.tag != f"{GRAPHML}data" or key is None or key.get("for") not in (kind, "all"):
                problems.append(f"{kind} {element.get('id')}: {data.tag} {data.get('key')}")
                continue
            if data.get("key") in seen:
                problems.append(f"{kind} {element.get('id')}: key {data.get('key')} twice")
            seen.add(data.get("key"))
            try:
                assert GRAPHML_TYPES[key.get("attr.type")](data.text or "") is not False
            except (ValueError, AssertionError):
                problems.append(f"{kind} {element.get('id')}: {key.get('attr.name')}={data.text!r} is not {key.get('attr.type')}")
    node_ids = {node.get("id") for node in nodes}
    for edge in graph.findall(f"{GRAPHML}edge"):
        if not {edge.get("source"), edge.get("target")} <= node_ids:
            problems.append(f"edge {edge.get('id')} to an undeclared node")
    return problems


@pytest.fixture(scope="module")
def market():
    from conftest import FIXTURES

    return load_graph([FIXTURES / "network" / "dated-market.ttl"], include_ontology=False)


def test_graphml_keeps_to_its_schema(tmp_path, market, bundled_data_only):
    for graph in (market, bundled_data_only):
        export_graph(graph, tmp_path / "net.graphml")
        assert check_graphml(tmp_path / "net.graphml") == []


def test_graphml_and_gexf_type_money_stake_and_capacity_as_numbers(tmp_path, market):
    import xml.etree.ElementTree as ElementTree

    import networkx as nx

    export_graph(market, tmp_path / "net.graphml")
    keys = {key.get("attr.name"): key.get("attr.type") for key in ElementTree.parse(tmp_path / "net.graphml").getroot().iter(f"{GRAPHML}key")}
    assert keys["capacity_mw"] == "double"
    read = nx.read_graphml(tmp_path / "net.graphml", force_multigraph=True)
    capacities = sorted(d["capacity_mw"] for *_, d in read.edges(data=True) if "capacity_mw" in d)
    assert capacities == [40.0, 60.0, 100.0]
    export_graph(market, tmp_path / "net.gexf")
    text = (tmp_path / "net.gexf").read_text("utf-8")
    assert 'title="capacity_mw" type="double"' in text and "networkx_key" not in text
    read = nx.read_gexf(tmp_path / "net.gexf")
    assert sorted(d["capacity_mw"] for *_, d in read.edges(data=True) if "capacity_mw" in d) == capacities
    assert all(key == d["claim"] for *_, key, d in read.edges(keys=True, data=True))


def test_a_quality_that_is_not_a_number_is_left_out_with_a_warning(tmp_path, market):
    from kg.errors import KgWarning
    from kg.vocab import KG

    graph = Graph() + market
    claim = next(graph.subjects(KG.capacityMW, None))
    graph.set((claim, KG.capacityMW, Literal("lots")))
    with pytest.warns(KgWarning, match="1 capacity_mw value"):
        export_graph(graph, tmp_path / "net.graphml")
    assert check_graphml(tmp_path / "net.graphml") == []


def test_an_unknown_extension_names_every_format(invoke, tmp_path):
    result = invoke("export", "-o", tmp_path / "graph.foo")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    for suffix in (".graphml", ".gexf", ".ttl", ".jsonld", ".rdf"):
        assert suffix in result.stderr
    assert "--format" in result.stderr and not list(tmp_path.iterdir())
