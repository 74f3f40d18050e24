"""What a finding is: the rule that fired, the entities in their roles, the explanation and its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kg.claims import source_name, source_url
from kg.vocab import STATUS_NAMES, status_rank


@dataclass(frozen=True)
class EntityRef:
    id: str  # what a user types: "anthropic", or the full IRI outside kg's data namespace
    iri: str
    label: str


@dataclass(frozen=True)
class SourceRef:
    iri: str
    title: str | None
    url: str | None = None  # where to read it: its dcterms:source, or its IRI when that is its web address

    @property
    def name(self) -> str:
        """What a person reads: the title, else the URL, else the IRI."""
        return source_name(self.title, self.url, self.iri)


def claim_sources(backend, claims, min_status: str) -> dict:
    """claim -> the ``SourceRef`` of each source that attests it at least at ``min_status`` (never a denial)."""
    minimum = status_rank(min_status)
    found: dict = {}
    for claim, source, status_iri, title in backend.attestations(claims):
        status = STATUS_NAMES.get(status_iri)
        if status is not None and status != "denied" and status_rank(status) >= minimum:
            found.setdefault(claim, {}).setdefault(source, set()).add(str(title) if title else None)
    urls = backend.source_urls({source for by_source in found.values() for source in by_source})
    return {
        claim: {SourceRef(iri=str(source), title=title, url=source_url(source, urls.get(source, ())))
                for source, titles in by_source.items() for title in titles}
        for claim, by_source in found.items()
    }


@dataclass(frozen=True)
class Evidence:
    """One claim on a finding's path, as the reader checks it."""

    claim: str  # IRI of the claim node
    type: str  # claim class local name: ComputeContract, Control, Rivalry, ...
    subject: EntityRef
    object: EntityRef
    start: str | None
    end: str | None
    status: str  # strongest non-denied status among its attestations
    sources: tuple[SourceRef, ...]
    stage: str | None = None  # the deal's stage (proposed ... completed) where the data gives one
    assumed: bool = False  # a hypothetical claim (``find_conflicts_assuming``), not in the data
    kinds: tuple[str, ...] = ()  # an affiliation's kinds (board_seat, officer...) or a rivalry's (market...)


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    severity: str  # high, medium or low
    status: str  # the weakest status among the evidence
    entities: dict[str, EntityRef]  # role -> entity
    explanation: str
    evidence: tuple[Evidence, ...]
    #: What makes the finding the same finding at another date or in another version of the data: its
    #: rule and the IRIs of its key roles (a rule reports one finding per key), whatever its evidence.
    key: tuple[str, ...] = field(default=(), compare=False)

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.rule, *self.key)

    def to_dict(self, *, assumed: bool = False) -> dict:
        """The finding as JSON; each evidence item says whether it is assumed only with ``assumed``
        (a what-if run), so the document of a plain run keeps its shape."""
        document = asdict(self)
        del document["key"]  # the JSON contract names the entities by role already
        for evidence in document["evidence"]:
            del evidence["kinds"]  # not in the JSON contract (yet): the sentences say it
        if not assumed:
            for evidence in document["evidence"]:
                del evidence["assumed"]
        return document


@dataclass(frozen=True)
class Assumption:
    """A hypothetical claim a what-if run added: the row as given and what it became."""

    number: int  # from 1: rows given one by one first, then the rows of files
    row: str  # the relations.csv row (a file's row as its cells in the inline order)
    origin: str | None  # "file.csv:3" for a row of a file; None for a row given by itself
    claim: str  # IRI of the claim it adds (kgd:claim/assumption/N)
    source: str  # IRI of the source it cites (kgd:source/assumption/N)
    title: str  # the source's title: "Assumption N: <row>"
    counts: bool  # whether the claim counts at the reading (in force, strong enough, at a late enough stage)
    reason: str | None = None  # why not, when it does not count


@dataclass(frozen=True)
class WhatIf:
    """Findings with some hypothetical claims added, and how they differ from the findings without them."""

    findings: tuple[Finding, ...]  # with the assumptions; evidence from them is marked ``assumed``
    added: tuple[Finding, ...]  # findings only the assumptions make
    removed: tuple[Finding, ...]  # findings of the data alone (as found without the assumptions) that they end
    assumptions: tuple[Assumption, ...]

    def to_dict(self) -> dict:
        return {
            "assumptions": [asdict(assumption) for assumption in self.assumptions],
            "added": [finding.to_dict(assumed=True) for finding in self.added],
            "removed": [finding.to_dict(assumed=True) for finding in self.removed],
            "findings": [finding.to_dict(assumed=True) for finding in self.findings],
        }
