"""The spreadsheet format (docs/spreadsheets.md): the files, their columns, the relation words.

``kg.io.sheets.read`` reads this format and ``kg.io.sheets.write`` writes it,
both from the tables in this module, so that what one writes the other reads
back to the same graph (an isomorphic one: ``rdflib.compare.isomorphic``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from rdflib import URIRef

from kg.entities import is_iri
from kg.vocab import AGENT_TYPE_NAMES, CLAIM_TYPES, KG, SOURCE, ClaimType

#: Free text written as prose (descriptions, notes, source titles) is English, as in the bundled data.
PROSE_LANGUAGE = "en"
#: A row whose first cell starts with this is a comment (the template's example row).
COMMENT_MARK = "#"


@dataclass(frozen=True)
class SheetSpec:
    """One CSV file of the folder: its columns in the order kg writes them, and those it needs."""

    file: str
    columns: tuple[str, ...]
    required: tuple[str, ...]


ENTITY_SHEET = SheetSpec(
    "entities.csv", ("id", "name", "type", "description", "founded", "country", "homepage", "identifiers"), ("id", "name", "type")
)
# `id` and `source_line` are for kg's own CSV export: they let an exported graph come back
# unchanged (claim IRIs, several sources of one claim, sheet rows cited as sources).
RELATION_SHEET = SheetSpec(
    "relations.csv",
    (
        "id", "subject", "relation", "object", "start", "end", "status", "stage", "source", "source_line",
        "amount", "currency", "stake", "capacity_mw", "nature", "note",
    ),
    ("subject", "relation", "object"),
)
# Optional third file: the sources relations.csv cites by id, with what a reader needs to find
# them (dcterms:title, dcterms:source for the URL, dcterms:publisher, dcterms:date) and a note.
SOURCE_SHEET = SheetSpec("sources.csv", ("id", "title", "url", "publisher", "date", "note"), ("id",))
SHEETS = (ENTITY_SHEET, SOURCE_SHEET, RELATION_SHEET)

#: The entity types of section 5, in the order kg writes them.
AGENT_TYPES: dict[str, URIRef] = {name: KG[name] for name in AGENT_TYPE_NAMES}
TYPE_NAME_OF = {iri: name for name, iri in AGENT_TYPES.items()}


class Nature(NamedTuple):
    """What the `nature` column means for one claim type."""

    prop: URIRef
    terms: dict[str, URIRef] | None  # the allowed words; None: free text, kept as written


NATURES: dict[URIRef, Nature] = {
    KG.Control: Nature(
        KG.controlBasis,
        {
            "shareholding": KG.Shareholding,
            "voting_rights": KG.VotingRights,
            "board_appointment": KG.BoardAppointment,
            "other_influence": KG.OtherInfluence,
            "accounting_consolidation": KG.AccountingConsolidation,  # GLEIF's consolidation parents
        },
    ),
    KG.Rivalry: Nature(KG.rivalryKind, {"market": KG.MarketRivalry, "personal": KG.PersonalRivalry, "legal": KG.LegalRivalry}),
    KG.Ownership: Nature(KG.interestType, {"shareholding": KG.Shareholding, "voting_rights": KG.VotingRights}),
    KG.Departure: Nature(KG.departureManner, {"amicable": KG.Amicable, "acrimonious": KG.Acrimonious}),
    KG.Affiliation: Nature(KG.roleTitle, None),
    KG.ComputeContract: Nature(KG.accelerator, None),
}
#: Where the `amount` column goes: an investment's amount or a compute contract's value.
AMOUNT_PROPERTIES = {KG.Investment: KG.amount, KG.ComputeContract: KG.contractValue}
#: Claims the `stake` column applies to (a share: exact, a range or a bound).
STAKE_CLASSES = {KG.Investment, KG.Ownership, KG.Control}
CAPACITY_CLASSES = {KG.ComputeContract}


class Relation(NamedTuple):
    """A `relation` word of relations.csv and the claim it makes."""

    name: str
    claim_type: ClaimType
    reverse: bool = False  # subsidiary_of: the object is the controller
    natures: tuple[str, ...] | None = None  # the nature words this relation takes, when fewer than its claim type's
    default_nature: str | None = None  # feuds_with is a personal rivalry unless the row says legal
    canonical: str | None = None  # the relation a reverse or synonym word reads as (owned_by: owns)


RELATIONS: dict[str, Relation] = {
    relation.name: relation
    for relation in (
        Relation("founded", CLAIM_TYPES[KG.Founding]),
        Relation("controls", CLAIM_TYPES[KG.Control]),
        Relation("subsidiary_of", CLAIM_TYPES[KG.Control], reverse=True, canonical="controls"),
        Relation("has_subsidiary", CLAIM_TYPES[KG.Control], canonical="controls"),
        Relation("invests_in", CLAIM_TYPES[KG.Investment]),
        Relation("owns", CLAIM_TYPES[KG.Ownership]),
        Relation("owned_by", CLAIM_TYPES[KG.Ownership], reverse=True, canonical="owns"),
        Relation("buys_compute_from", CLAIM_TYPES[KG.ComputeContract]),
        Relation("supplies_compute_to", CLAIM_TYPES[KG.ComputeContract], reverse=True, canonical="buys_compute_from"),
        Relation("competes_with", CLAIM_TYPES[KG.Rivalry], natures=("market",)),  # a feud is feuds_with
        Relation("feuds_with", CLAIM_TYPES[KG.Rivalry], natures=("personal", "legal"), default_nature="personal"),
        Relation("works_for", CLAIM_TYPES[KG.Affiliation]),
        Relation("board_member_of", CLAIM_TYPES[KG.Affiliation]),
        Relation("departed", CLAIM_TYPES[KG.Departure]),
    )
}

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def is_id(text: str) -> bool:
    """An id kg can put after a namespace: letters, digits, '-', '_' and '.' (no spaces)."""
    return bool(_ID.fullmatch(text))


def is_url(text: str) -> bool:
    """An http(s) URL that is a valid IRI: no blank, quote or control character (which Oxigraph and N-Triples refuse)."""
    return bool(_URL.fullmatch(text)) and is_iri(text)


def word(text: str) -> str:
    """A relation, nature or status word as kg compares it: any case, '-' or ' ' for '_'."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def text_source_iri(title: str) -> URIRef:
    """The source a free-text `source` cell names: readable slug plus a hash of the exact text.

    The hash keeps two titles that slug alike ("Reuters", "REUTERS") apart.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:48].strip("-") or "source"
    digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]
    return SOURCE[f"{slug}-{digest}"]


def sheet_title(folder: Path) -> str:
    """The title of the source that rows without a `source` cite: the folder and file name."""
    return f"{folder.resolve().name}/{RELATION_SHEET.file}"
