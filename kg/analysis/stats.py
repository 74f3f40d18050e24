"""``kg stats``: how many triples, instances of each kg class and attestations of each status."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, BNode, Graph, URIRef

from kg import resources
from kg.backends.open import as_backend
from kg.backends.oxigraph import OxigraphBackend
from kg.entities import local_name
from kg.vocab import KG, TERM_CLASS_NAMES


@dataclass(frozen=True)
class GraphStats:
    triples: int  # of the data: kg's ontology, which commands add to it, is not counted
    classes: tuple[tuple[str, int], ...]  # (kg class local name, instances), most first
    statuses: tuple[tuple[str, int], ...]  # (status, attestations)


def graph_stats(source) -> GraphStats:
    """Count the data's triples, instances of each kg class and attestations of each status.

    ``source`` is an rdflib graph or a backend; large stores and endpoints
    count with SPARQL aggregates instead of copying the graph. kg's ontology is
    not data: ``graph_stats(load_graph())``, which holds it, counts what
    ``kg stats`` prints.
    """
    source = as_backend(source)
    if source.name != "memory":
        return _sparql_stats(source)
    graph = source.graph
    ontology = ontology_triples(graph)
    class_counts: dict[str, int] = {}
    for cls in set(graph.objects(None, RDF.type)):
        if isinstance(cls, URIRef) and str(cls).startswith(str(KG)) and local_name(cls) not in TERM_CLASS_NAMES:
            instances = {node for node in graph.subjects(RDF.type, cls) if (node, RDF.type, cls) not in ontology}
            if instances:
                class_counts[local_name(cls)] = len(instances)
    status_counts: dict[str, int] = {}
    for status in graph.objects(None, KG.status):
        name = local_name(status).lower()
        status_counts[name] = status_counts.get(name, 0) + 1
    by_count = lambda item: (-item[1], item[0])  # noqa: E731
    return GraphStats(
        triples=len(graph) - len(ontology),
        classes=tuple(sorted(class_counts.items(), key=by_count)),
        statuses=tuple(sorted(status_counts.items(), key=by_count)),
    )


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return Graph().parse(resources.ontology_path(), format="turtle")


def ontology_triples(graph: Graph) -> set:
    """The triples of kg's ontology that ``graph`` holds: its statements, and the blank nodes
    (property chains, lists) that hang from its terms as they do in the ontology."""
    ontology = _ontology()
    found = {triple for triple in ontology if not any(isinstance(term, BNode) for term in triple) and triple in graph}
    if not found:
        return found
    stack = []
    for subject, predicate, node in ontology:
        if isinstance(subject, URIRef) and isinstance(node, BNode):
            for held in graph.objects(subject, predicate):
                if isinstance(held, BNode):
                    found.add((subject, predicate, held))
                    stack.append(held)
    seen = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for predicate, value in graph.predicate_objects(node):
            found.add((node, predicate, value))
            if isinstance(value, BNode):
                stack.append(value)
    return found


_CLASS_COUNTS = """SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?x a ?class . FILTER (STRSTARTS(STR(?class), "https://w3id.org/ai-compute-kg/ontology#"))
  FILTER NOT EXISTS { ?x a <http://www.w3.org/2002/07/owl#Class> }
} GROUP BY ?class"""
_STATUS_COUNTS = """SELECT ?status (COUNT(*) AS ?n) WHERE {
  ?attestation <https://w3id.org/ai-compute-kg/ontology#status> ?status
} GROUP BY ?status"""


def _sparql_stats(source) -> GraphStats:
    by_count = lambda item: (-item[1], item[0])  # noqa: E731
    classes = {local_name(cls): int(n) for cls, n in source.select(_CLASS_COUNTS)[1] if cls is not None}
    # Terms of the ontology itself (statuses, control bases...) are not data.
    for name in TERM_CLASS_NAMES:
        classes.pop(name, None)
    statuses = {local_name(status).lower(): int(n) for status, n in source.select(_STATUS_COUNTS)[1] if status is not None}
    triples = source.triple_count(ontology=False) if isinstance(source, OxigraphBackend) else len(source)
    return GraphStats(
        triples=triples,
        classes=tuple(sorted(classes.items(), key=by_count)),
        statuses=tuple(sorted(statuses.items(), key=by_count)),
    )
