"""``kg describe``: everything known about one entity, its types and every claim it takes part in."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rdflib import RDF, Graph, URIRef

from kg.backends.open import as_backend
from kg.claims import ClaimRecord, claims_involving, value_text
from kg.entities import label_of, resolve_entity, resolve_ref, short_id
from kg.identity import Identity
from kg.sparql import known_agents
from kg.vocab import DCTERMS_DESCRIPTION, KG

#: What describe tells of an entity itself, besides its types and description.
ENTITY_FACTS = (("founded", KG.foundingDate), ("country", KG.country), ("homepage", KG.homepage))


@dataclass(frozen=True)
class EntityDescription:
    iri: str
    id: str
    label: str
    types: tuple[str, ...]
    description: str | None
    claims: tuple[ClaimRecord, ...]
    labels: dict[str, str]  # IRI -> label, for every agent named in the claims
    facts: tuple[tuple[str, str], ...] = ()  # (what, value) of the entity itself: founded, country, homepage
    #: The other IRIs of this one agent (they share an identifier, ``kg.identity``), and the identifiers shared.
    aliases: tuple[str, ...] = ()
    shared_identifiers: tuple[str, ...] = ()


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
  UNION {{ ?claim ?role {entity} ; kg:attestation/kg:source ?s . ?s dcterms:source ?o BIND (dcterms:source AS ?p) }}
  UNION {{ ?claim ?role {entity} ; ?anyRole ?s . ?s rdfs:label ?o BIND (rdfs:label AS ?p) }}
}}"""


def describe(backend, ref: str) -> EntityDescription:
    """``describe_entity`` on any backend: a store or endpoint sends only the entity's neighbourhood.

    An entity known under several IRIs (they share an identifier) is described once, under the IRI
    kept (``kg.identity``), with the claims of every alias.
    """
    backend = as_backend(backend)
    identity = Identity.of(backend)
    if backend.name == "memory":
        return describe_entity(backend.to_graph(), ref, identity)
    iri, graph = entity_graph(backend, ref)
    for alias in identity.members_of(iri):
        if alias != iri:
            graph += entity_graph(backend, str(alias))[1]
    return describe_entity(graph, str(iri), identity)


def entity_graph(backend, ref: str) -> tuple[URIRef, Graph]:
    """The entity ``ref`` names in a store and the little graph ``describe_entity`` needs about it.

    For Oxigraph and endpoints, where copying the whole graph into rdflib to
    describe one entity would cost a minute at 10^6 triples (bench/results.md).
    """
    iri = resolve_in(backend, ref)
    return iri, backend.run(_NEIGHBOURHOOD.format(entity=iri.n3())).graph


def resolve_in(backend, ref: str) -> URIRef:
    """The IRI ``ref`` names (``kg.entities.resolve_ref``), asked of the backend rather than of a copy.

    One that names nothing is an error suggesting close agent ids (``kg.sparql.known_agents``: an
    endpoint is asked for a bounded number of them).
    """
    backend = as_backend(backend)
    if backend.name == "memory":
        return resolve_entity(backend.to_graph(), ref)

    def exists(node: URIRef) -> bool:
        return backend.run(f"ASK {{ {{ {node.n3()} ?p ?o }} UNION {{ ?s ?p {node.n3()} }} }}").boolean

    def labelled():
        return backend.select("SELECT ?node ?label WHERE { ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label }")[1]

    return resolve_ref(ref, exists, labelled, lambda: known_agents(backend))


def describe_entity(graph: Graph, ref: str, identity: Identity | None = None) -> EntityDescription:
    """The entity ``ref`` names, with its aliases' claims and types where ``identity`` (default: the graph's) joins any."""
    identity = Identity.of(graph) if identity is None else identity
    iri = identity(resolve_entity(graph, ref))
    members = identity.members_of(iri)
    claims = tuple(
        sorted(
            {replace(claim, subject=_kept(identity, claim.subject), object=_kept(identity, claim.object))
             for member in members for claim in claims_involving(graph, member)},
            key=lambda record: (record.type, record.iri),
        )
    )
    named = {iri} | {URIRef(x) for c in claims for x in (c.subject, c.object) if x}
    description = next((graph.value(member, DCTERMS_DESCRIPTION) for member in members if graph.value(member, DCTERMS_DESCRIPTION)), None)
    facts = tuple(
        (name, value_text(value))
        for name, prop in ENTITY_FACTS
        if (value := next((graph.value(m, prop) for m in members if graph.value(m, prop) is not None), None)) is not None
    )
    return EntityDescription(
        iri=str(iri),
        id=short_id(iri),
        label=label_of(graph, iri),
        types=tuple(sorted({label_of(graph, t) for member in members for t in graph.objects(member, RDF.type)})),
        description=str(description) if description is not None else None,
        claims=claims,
        labels={str(node): label_of(graph, node) for node in sorted(named)},
        facts=facts,
        aliases=tuple(str(member) for member in members if member != iri),
        shared_identifiers=tuple(f"{scheme}:{value}" for scheme, value in identity.shared.get(iri, ())),
    )


def _kept(identity: Identity, iri: str | None) -> str | None:
    return str(identity(URIRef(iri))) if iri else iri
