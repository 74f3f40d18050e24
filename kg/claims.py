"""A plain reading of one claim node: its type, its two parties, dates and attestations.

Everything that shows a claim to a person (describe, conflict evidence, graph
tooltips, CSV export) reads it through ``read_claim`` so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Iterable

from rdflib import RDF, RDFS, XSD, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS

from kg.entities import label_of, local_name
from kg.errors import InputError
from kg.vocab import AMOUNT_QUALIFIERS, CLAIM_KIND_NAMES, CLAIM_TYPES, DCTERMS_TITLE, KG, STATUS_NAMES, ClaimType, claim_verb

#: What a claim may say beyond its parties and dates, as a person reads it, in this order: an amount's
#: qualifier first, so that the lines read as one says it (up to / 2000000000 / USD).
QUALITIES = (
    ("amount qualifier", KG.amountQualifier),
    ("amount", KG.amount),
    ("contract value", KG.contractValue),
    ("currency", KG.currency),
    ("stake (%)", KG.stake),
    ("capacity (MW)", KG.capacityMW),
    ("accelerator", KG.accelerator),
    ("role", KG.roleTitle),
    ("affiliation", KG.affiliationKind),
    ("basis", KG.controlBasis),
    ("interest", KG.interestType),
    ("stage", KG.stage),
    ("kind", KG.rivalryKind),
    ("manner", KG.departureManner),
)
_NUMBERS = {XSD.decimal, XSD.integer, XSD.double, XSD.float, XSD.int, XSD.long, XSD.short, XSD.nonNegativeInteger, XSD.positiveInteger}


@dataclass(frozen=True)
class Attestation:
    source: str  # IRI of the source
    source_title: str | None
    status: str  # one of STATUS_ORDER
    source_url: str | None = None  # where to read the source (``source_url``)

    @property
    def source_name(self) -> str:
        """The source as a person reads it: its title, else its URL, else its IRI."""
        return source_name(self.source_title, self.source_url, self.source)


#: kg's own IRIs (entities, claims, sources it names) are http addresses, but not where a source can be read.
_KG_IRIS = "https://w3id.org/ai-compute-kg/"


def source_url(source: Node | None, urls: Iterable[Node] = ()) -> str | None:
    """Where a source can be read: its URL (dcterms:source, the smallest when several), else its IRI when
    that is a web address of its own (a source a sheet cites by URL); None for a source with neither."""
    found = sorted(str(url) for url in urls if isinstance(url, URIRef) and _is_web(str(url)))
    if found:
        return found[0]
    if isinstance(source, URIRef) and _is_web(str(source)) and not str(source).startswith(_KG_IRIS):
        return str(source)
    return None


def _is_web(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def source_name(title: str | None, url: str | None, iri: str) -> str:
    """What to print for a source: its title, else its URL, else its IRI."""
    return title or url or iri


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
    qualities: tuple[tuple[str, str], ...] = ()  # (what, value as text) in the order of QUALITIES
    kinds: tuple[str, ...] = ()  # sorted: an affiliation's or a rivalry's kinds: board_seat, officer, market, legal...

    @property
    def verb(self) -> str:
        """"works for", "sits on the board of", "feuds with"...: the claim's kinds, from its qualities."""
        return claim_verb(self.type, self.kinds)


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
                source_url=source_url(source, graph.objects(source, DCTERMS.source) if source is not None else ()),
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
        qualities=tuple(
            (name, quality_text(graph, prop, value))
            for name, prop in QUALITIES
            if (value := graph.value(node, prop)) is not None
        )
        + ((("share (%)", share),) if (share := share_text(graph, node)) else ()),
        kinds=tuple(sorted({
            CLAIM_KIND_NAMES[kind]
            for prop in (KG.affiliationKind, KG.rivalryKind)
            for kind in graph.objects(node, prop)
            if kind in CLAIM_KIND_NAMES
        })),
    )


def quality_text(graph: Graph, prop: URIRef, value: Node) -> str:
    """One of a claim's QUALITIES as a person reads it: a term by its label, an amount's qualifier
    in words (``up to``, ``about``, ``at least``), a number in plain decimals."""
    if isinstance(value, URIRef):
        return label_of(graph, value)
    if prop == KG.amountQualifier:
        return AMOUNT_QUALIFIERS.get(str(value), str(value))
    return value_text(value)


#: How a share's bounds read, in the order they are written.
_SHARE_WORDS = ((KG.shareMinimum, "≥ "), (KG.shareExclusiveMinimum, "> "), (KG.shareMaximum, "≤ "), (KG.shareExclusiveMaximum, "< "))


def share_text(graph: Graph, node: Node) -> str | None:
    """A claim's share as a person reads it: "51", "25–50", "> 25", "≥ 10, < 20"; None without one."""
    exact = graph.value(node, KG.shareExact)
    if exact is not None:
        return value_text(exact)
    low, high = graph.value(node, KG.shareMinimum), graph.value(node, KG.shareMaximum)
    if low is not None and high is not None and graph.value(node, KG.shareExclusiveMinimum) is None and graph.value(node, KG.shareExclusiveMaximum) is None:
        return f"{value_text(low)}–{value_text(high)}"
    parts = [word + value_text(value) for prop, word in _SHARE_WORDS if (value := graph.value(node, prop)) is not None]
    return ", ".join(parts) or None


def claims_involving(graph: Graph, agent: Node) -> list[ClaimRecord]:
    """Every claim in which ``agent`` plays a role, sorted by type then IRI."""
    nodes = set()
    for claim_type in CLAIM_TYPES.values():
        for role in (claim_type.subject_role, claim_type.object_role):
            nodes.update(graph.subjects(role, agent))
    records = [read_claim(graph, node) for node in nodes if claim_type_of(graph, node)]
    return sorted(records, key=lambda r: (r.type, r.iri))


def decimal_value(term) -> Decimal | None:
    """A value as a number, when its text is one (a share, an amount); None otherwise (``kg validate`` reports it)."""
    if term is None:
        return None
    try:
        number = Decimal(str(term).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def value_text(value: Node) -> str:
    """A value as a person reads it: numbers exactly, in plain decimals (135000000000, not 1.35e+11),
    whatever lexical form the data or a backend gives them; anything else as it is."""
    if isinstance(value, Literal) and value.datatype in _NUMBERS:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return str(value)
        if number.is_finite():
            text = format(number.normalize(), "f")
            return "0" if text in ("-0", "0") else text
    return str(value)


def _optional_str(value: Node | None) -> str | None:
    return None if value is None else str(value)
