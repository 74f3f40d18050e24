"""``kg stats`` and ``kg describe``: counts of a graph and everything about one entity."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, URIRef

from kg.claims import ClaimRecord, claims_involving, label_of, local_name, short_id
from kg.errors import UsageError
from kg.namespaces import DATA, KG, PREFIXES

DCTERMS_DESCRIPTION = URIRef("http://purl.org/dc/terms/description")


@dataclass(frozen=True)
class GraphStats:
    triples: int
    classes: tuple[tuple[str, int], ...]  # (kg class local name, instances), most first
    statuses: tuple[tuple[str, int], ...]  # (status, attestations)


def graph_stats(source) -> GraphStats:
    """Count triples, instances of each kg class and attestations of each status.

    ``source`` is an rdflib graph or a kg.store source; large stores and
    endpoints count with SPARQL aggregates instead of copying the graph.
    """
    from kg.store import as_source

    source = as_source(source)
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


@dataclass(frozen=True)
class EntityDescription:
    iri: str
    id: str
    label: str
    types: tuple[str, ...]
    description: str | None
    claims: tuple[ClaimRecord, ...]
    labels: dict[str, str]  # IRI -> label, for every agent named in the claims


def resolve_entity(graph: Graph, ref: str) -> URIRef:
    """The IRI a user means by ``ref``: an IRI, ``prefix:name``, a data id or an exact label."""
    return _resolve(ref, lambda node: (node, None, None) in graph or (None, None, node) in graph, lambda: graph.subject_objects(RDFS.label))


def _resolve(ref: str, exists, labelled) -> URIRef:
    """``resolve_entity`` over any graph: ``exists(iri)`` tells whether a node occurs, ``labelled()`` gives (node, label)."""
    ref = ref.strip()
    candidates = []
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1]
    if "://" in ref or ref.startswith("urn:"):
        candidates.append(URIRef(ref))
    else:
        prefix, sep, name = ref.partition(":")
        if sep and prefix in PREFIXES:
            candidates.append(URIRef(str(PREFIXES[prefix]) + name))
        if re.fullmatch(r"[\w.\-]+", ref):  # an id; anything else can only be a label
            candidates.append(DATA[ref])
    for candidate in candidates:
        if exists(candidate):
            return candidate
    matches = sorted({s for s, label in labelled() if str(label).casefold() == ref.casefold()})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"{ref!r} is the label of several entities: " + ", ".join(short_id(m) for m in matches))
    raise UsageError(f"unknown id {ref!r}: no entity with that id, IRI or label in the graph")


#: What ``describe_entity`` reads about one entity: itself, its types' labels, the claims it
#: takes part in with their attestations and sources, and the labels of their agents.
_NEIGHBOURHOOD = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ BIND ({entity} AS ?s) ?s ?p ?o }}
  UNION {{ {entity} a ?s . ?s rdfs:label ?o BIND (rdfs:label AS ?p) }}
  UNION {{ ?s ?role {entity} . ?s ?p ?o }}
  UNION {{ ?claim ?role {entity} ; kg:attestation ?s . ?s ?p ?o }}
  UNION {{ ?claim ?role {entity} ; kg:attestation/kg:source ?s . ?s dcterms:title ?o BIND (dcterms:title AS ?p) }}
  UNION {{ ?claim ?role {entity} ; ?anyRole ?s . ?s rdfs:label ?o BIND (rdfs:label AS ?p) }}
}}"""


def entity_graph(source, ref: str) -> tuple[URIRef, Graph]:
    """The entity ``ref`` names in a store and the little graph ``describe_entity`` needs about it.

    For Oxigraph and endpoints, where copying the whole graph into rdflib to
    describe one entity took 66 s at 10^6 triples.
    """
    def exists(node: URIRef) -> bool:
        return source.run(f"ASK {{ {{ {node.n3()} ?p ?o }} UNION {{ ?s ?p {node.n3()} }} }}").boolean

    def labelled():
        return source.select("SELECT ?node ?label WHERE { ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label }")[1]

    iri = _resolve(ref, exists, labelled)
    return iri, source.run(_NEIGHBOURHOOD.format(entity=iri.n3())).graph


def describe_entity(graph: Graph, ref: str) -> EntityDescription:
    iri = resolve_entity(graph, ref)
    claims = tuple(claims_involving(graph, iri))
    named = {iri} | {URIRef(x) for c in claims for x in (c.subject, c.object) if x}
    description = graph.value(iri, DCTERMS_DESCRIPTION)
    return EntityDescription(
        iri=str(iri),
        id=short_id(iri),
        label=label_of(graph, iri),
        types=tuple(sorted(label_of(graph, t) for t in graph.objects(iri, RDF.type))),
        description=str(description) if description is not None else None,
        claims=claims,
        labels={str(node): label_of(graph, node) for node in sorted(named)},
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
    for name in ("ClaimStatus", "ControlBasis", "RivalryKind", "DepartureManner"):
        classes.pop(name, None)
    statuses = {local_name(status).lower(): int(n) for status, n in source.select(_STATUS_COUNTS)[1] if status is not None}
    return GraphStats(
        triples=len(source),
        classes=tuple(sorted(classes.items(), key=by_count)),
        statuses=tuple(sorted(statuses.items(), key=by_count)),
    )
