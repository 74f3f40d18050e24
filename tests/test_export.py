"""kg export: every RDF format holds any graph kg loads (deep blank nodes, cycles, lists) and reads back the same."""

from __future__ import annotations

import json
import warnings

import pytest
from rdflib import RDF, BNode, Graph, Literal, URIRef
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
