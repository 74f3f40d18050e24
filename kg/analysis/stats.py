"""``kg stats``: how many triples, instances of each kg class and attestations of each status."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, URIRef

from kg.backends.open import as_backend
from kg.entities import local_name
from kg.vocab import KG, TERM_CLASS_NAMES


@dataclass(frozen=True)
class GraphStats:
    triples: int
    classes: tuple[tuple[str, int], ...]  # (kg class local name, instances), most first
    statuses: tuple[tuple[str, int], ...]  # (status, attestations)


def graph_stats(source) -> GraphStats:
    """Count triples, instances of each kg class and attestations of each status.

    ``source`` is an rdflib graph or a backend; large stores and endpoints
    count with SPARQL aggregates instead of copying the graph.
    """
    source = as_backend(source)
    if source.name != "memory":
        return _sparql_stats(source)
    graph = source.graph
    class_counts: dict[str, int] = {}
    for cls in set(graph.objects(None, RDF.type)):
        if isinstance(cls, URIRef) and str(cls).startswith(str(KG)):
            class_counts[local_name(cls)] = len(set(graph.subjects(RDF.type, cls)))
    status_counts: dict[str, int] = {}
    for status in graph.objects(None, KG.status):
        name = local_name(status).lower()
        status_counts[name] = status_counts.get(name, 0) + 1
    by_count = lambda item: (-item[1], item[0])  # noqa: E731
    return GraphStats(
        triples=len(graph),
        classes=tuple(sorted(class_counts.items(), key=by_count)),
        statuses=tuple(sorted(status_counts.items(), key=by_count)),
    )


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
    return GraphStats(
        triples=len(source),
        classes=tuple(sorted(classes.items(), key=by_count)),
        statuses=tuple(sorted(statuses.items(), key=by_count)),
    )
