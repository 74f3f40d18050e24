"""A plain reading of one claim node: its type, its two parties, dates and attestations.

Everything that shows a claim to a person (describe, conflict evidence, graph
tooltips, CSV export) reads it through ``read_claim`` so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Node

from kg.entities import local_name
from kg.errors import InputError
from kg.vocab import CLAIM_TYPES, DCTERMS_TITLE, KG, STATUS_NAMES, ClaimType


@dataclass(frozen=True)
class Attestation:
    source: str  # IRI of the source
    source_title: str | None
    status: str  # one of STATUS_ORDER


@dataclass(frozen=True)
class ClaimRecord:
    """One claim node as a person reads it."""

    iri: str
    type: str  # local name of the claim class, e.g. "ComputeContract"
    subject: str | None
    object: str | None
    start: str | None
    end: str | None
    attestations: tuple[Attestation, ...] = field(default_factory=tuple)
    note: str | None = None

    @property
    def verb(self) -> str:
        return CLAIM_TYPES[KG[self.type]].verb


def claim_type_of(graph: Graph, node: Node) -> ClaimType | None:
    for cls in graph.objects(node, RDF.type):
        if cls in CLAIM_TYPES:
            return CLAIM_TYPES[cls]
    return None


def read_claim(graph: Graph, node: Node) -> ClaimRecord:
    claim_type = claim_type_of(graph, node)
    if claim_type is None:
        raise InputError(f"{node} is not a claim")
    attestations = []
    for att in graph.objects(node, KG.attestation):
        source = graph.value(att, KG.source)
        status = graph.value(att, KG.status)
        title = graph.value(source, DCTERMS_TITLE) if source is not None else None
        attestations.append(
            Attestation(
                source=str(source) if source is not None else "",
                source_title=str(title) if title is not None else None,
                status=STATUS_NAMES.get(status, local_name(status) if status is not None else "unknown"),
            )
        )
    attestations.sort(key=lambda a: (a.source, a.status))
    return ClaimRecord(
        iri=str(node),
        type=local_name(claim_type.cls),
        subject=_optional_str(graph.value(node, claim_type.subject_role)),
        object=_optional_str(graph.value(node, claim_type.object_role)),
        start=_optional_str(graph.value(node, KG.startDate)),
        end=_optional_str(graph.value(node, KG.endDate)),
        attestations=tuple(attestations),
        note=_optional_str(graph.value(node, RDFS.comment)),
    )


def claims_involving(graph: Graph, agent: Node) -> list[ClaimRecord]:
    """Every claim in which ``agent`` plays a role, sorted by type then IRI."""
    nodes = set()
    for claim_type in CLAIM_TYPES.values():
        for role in (claim_type.subject_role, claim_type.object_role):
            nodes.update(graph.subjects(role, agent))
    records = [read_claim(graph, node) for node in nodes if claim_type_of(graph, node)]
    return sorted(records, key=lambda r: (r.type, r.iri))


def _optional_str(value: Node | None) -> str | None:
    return None if value is None else str(value)
