"""What a finding is: the rule that fired, the entities in their roles, the explanation and its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class EntityRef:
    id: str  # what a user types: "anthropic", or the full IRI outside kg's data namespace
    iri: str
    label: str


@dataclass(frozen=True)
class SourceRef:
    iri: str
    title: str | None


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
    #: rule and the IRIs of its key roles (DESIGN section 4's "one finding per key"), whatever its evidence.
    key: tuple[str, ...] = field(default=(), compare=False)

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.rule, *self.key)

    def to_dict(self) -> dict:
        document = asdict(self)
        del document["key"]  # the JSON contract names the entities by role already
        return document
