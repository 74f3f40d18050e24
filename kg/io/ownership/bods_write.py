"""kg's graph as BODS 0.4: agents as entity and person records, ownership and control claims as
relationship records, one statement for each source that reports or confirms a claim.

Record ids are kg's IRIs, so kg reads its own export back onto the same nodes. What
BODS cannot hold is left out, never bent into something it is not: other claim types,
claims only rumored or denied, deals only proposed, agreed or terminated (each
counted in a warning). A partial date becomes the first (start) or last (end) day of
its month or year, so a claim holds over the same days when read back.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_bound
from kg.errors import KgWarning
from kg.io.ownership.bods_terms import (
    BODS_VERSION,
    CONFIRMING_SOURCE_TYPES,
    INTEREST_OF_AFFILIATION,
    INTEREST_OF_BASIS,
    INTEREST_OF_OWNERSHIP,
    SOURCE_TYPES,
    UNNAMED_KINDS,
    UNSPECIFIED_REASONS,
    WITHHELD_REASONS,
    unnamed_label,
)
from kg.vocab import AGENT_CLASSES, CLAIM_TYPES, DATA, KG, SHARE_PROPERTIES, STAGE_IRIS

#: Who publishes a statement whose claim's source names no publisher.
DEFAULT_PUBLISHER = {"name": "kg"}
#: Deal stages at which an ownership or control does not hold yet, or no longer: BODS would state it as held.
_NOT_HELD = frozenset({STAGE_IRIS["proposed"], STAGE_IRIS["agreed"], STAGE_IRIS["terminated"]})
_WRITTEN = (KG.Ownership, KG.Control, KG.Affiliation)
_STATEMENT_IDS = uuid.UUID("6f1d3c52-8a57-4c0e-9a43-3d1f0b1c2a77")  # the namespace of kg's statement ids
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
_JURISDICTION_CODE = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


def write_bods(graph: Graph, handle: BinaryIO, *, today: date | None = None) -> None:
    """Write ``graph`` to ``handle`` as a JSON array of BODS 0.4 statements, one a line.

    ``today`` is the publication date (and the statement date of what no source dates).
    """
    statements = _Writer(graph, (today or date.today()).isoformat()).statements()
    lines = (json.dumps(statement, ensure_ascii=False, default=_number) for statement in statements)
    handle.write(("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8"))


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class _Writer:
    def __init__(self, graph: Graph, today: str) -> None:
        self.graph, self.today = graph, today
        self.left_out: Counter[str] = Counter()  # what was left out (or bent), by what it is
        self.other_types: Counter[str] = Counter()

    def statements(self) -> list[dict]:
        graph = self.graph
        claims = sorted(self._claims(), key=str)
        parties = {party for claim in claims for party in self._parties(claim)}
        agents = {node for cls in AGENT_CLASSES for node in graph.subjects(RDF.type, cls) if isinstance(node, URIRef)} | parties
        self.inline = {agent for agent in agents if self._kind(agent) == "party" and (agent, KG.unspecifiedReason, None) in graph}
        written = set(claims)
        self.components = {claim for claim in claims if any(whole in written for whole in graph.objects(claim, KG.componentOf))}
        out = [self._agent(agent) for agent in sorted(agents - self.inline, key=str)]
        for claim in sorted(claims, key=lambda c: (c not in self.components, str(c))):  # BODS: components first
            out += self._relationship(claim, written)
        self._warn()
        return out

    # --- what is written ---------------------------------------------------------------------

    def _claims(self) -> list[URIRef]:
        kept = []
        for cls in CLAIM_TYPES:
            for claim in set(self.graph.subjects(RDF.type, cls)):
                if cls not in _WRITTEN or (cls == KG.Affiliation and self.graph.value(claim, KG.affiliationKind) not in INTEREST_OF_AFFILIATION):
                    # An employee's or advisor's affiliation is no interest BODS records; a board seat or post is.
                    self.other_types[cls.rsplit("#", 1)[-1]] += 1
                elif self.graph.value(claim, KG.stage) in _NOT_HELD:
                    self.left_out["ownership or control claim(s) of a deal only proposed, agreed or terminated left out"] += 1
                elif len(self._parties(claim)) != 2:
                    self.left_out["ownership or control claim(s) without exactly one party on each side left out"] += 1
                elif list(self.graph.objects(claim, KG.attestation)) and not self._attestations(claim):
                    self.left_out["ownership or control claim(s) only rumored or denied left out"] += 1
                else:
                    kept.append(claim)
        return kept

    def _parties(self, claim: URIRef) -> list[URIRef]:
        """[interested party, subject] of a claim; fewer or more when the claim is malformed."""
        cls = CLAIM_TYPES[next((c for c in _WRITTEN if (claim, RDF.type, c) in self.graph), KG.Control)]
        owners, owned = list(self.graph.objects(claim, cls.subject_role)), list(self.graph.objects(claim, cls.object_role))
        return [*owners, *owned] if len(owners) == 1 and len(owned) == 1 and all(isinstance(n, URIRef) for n in owners + owned) else []

    def _attestations(self, claim: URIRef) -> list[tuple[URIRef | None, URIRef]]:
        """(source, status) of each attestation that reports or confirms the claim, oldest statement first
        (BODS's series of a record: "new", then "updated"; and kg's reader lets the last one stand)."""
        found = set()
        for attestation in self.graph.objects(claim, KG.attestation):
            status = self.graph.value(attestation, KG.status)
            if status in (KG.Reported, KG.Confirmed):
                found.add((self.graph.value(attestation, KG.source), status))
        return sorted(found, key=lambda pair: (self._statement_date(pair[0]), str(pair[0]), str(pair[1])))

    def _statement_date(self, source) -> str:
        return (self._day(source, DCTERMS.date, end=False, moment=True) if source is not None else None) or self.today

    def _kind(self, agent: URIRef) -> str:
        types = set(self.graph.objects(agent, RDF.type))
        if KG.Person in types:
            return "person"
        if types & set(AGENT_CLASSES) - {KG.Agent}:
            return "entity"
        return "party"  # an agent BODS could only guess a record type for

    # --- agents ----------------------------------------------------------------------------

    def _agent(self, agent: URIRef) -> dict:
        graph, record_id = self.graph, str(agent)
        person = self._kind(agent) == "person"
        if self._kind(agent) == "party":
            self.left_out["agent(s) typed neither person nor organization written as entities"] += 1
        label = self._text(agent, RDFS.label)
        details: dict = {"isComponent": False}
        reason = self._text(agent, KG.unspecifiedReason)
        kinds = ("anonymousPerson", "unknownPerson") if person else ("anonymousEntity", "unknownEntity")
        if reason is not None:
            code = reason if reason in UNSPECIFIED_REASONS else "unknown"
            unnamed = next((kind for kind in kinds if label == unnamed_label(UNNAMED_KINDS[kind], code)), None)
            kind = unnamed or kinds[0 if code in WITHHELD_REASONS else 1]
            label = None if unnamed else label
            unspecified = {"reason": code}
            description = reason if code != reason else self._text(agent, DCTERMS.description)
            if description:
                unspecified["description"] = description
        else:
            kind, unspecified = ("knownPerson" if person else "registeredEntity"), None
        if person:
            details["personType"] = kind
            if unspecified:
                details["unspecifiedPersonDetails"] = unspecified
            if label:
                details["names"] = [{"fullName": label}]
        else:
            details["entityType"] = {"type": kind}
            if unspecified:
                details["unspecifiedEntityDetails"] = unspecified
            if label:
                details["name"] = label
        country = self._text(agent, KG.country)
        if country and person:
            place = {"name": country, **({"code": country} if _COUNTRY_CODE.fullmatch(country) else {})}
            details["addresses"] = [{"type": "residence", "country": place}]
        elif country:
            details["jurisdiction"] = {"name": country, **({"code": country} if _JURISDICTION_CODE.fullmatch(country) else {})}
        identifiers = sorted(
            (str(scheme), str(value))
            for node in graph.objects(agent, KG.identifier)
            for scheme in graph.objects(node, KG.identifierScheme)
            for value in graph.objects(node, KG.identifierValue)
        )
        if identifiers:
            details["identifiers"] = [{"scheme": scheme, "id": value} for scheme, value in identifiers]
        founded = self._day(agent, KG.foundingDate, end=False)
        if founded and not person:
            details["foundingDate"] = founded
        return self._statement(record_id, 1, None, "person" if person else "entity", record_id, details)

    # --- relationships ---------------------------------------------------------------------

    def _relationship(self, claim: URIRef, written: set) -> list[dict]:
        graph = self.graph
        owner, owned = self._parties(claim)
        interest: dict = {}
        if (claim, RDF.type, KG.Ownership) in graph:
            interest["type"] = INTEREST_OF_OWNERSHIP.get(graph.value(claim, KG.interestType), "shareholding")
        elif (claim, RDF.type, KG.Affiliation) in graph:
            interest["type"] = INTEREST_OF_AFFILIATION[graph.value(claim, KG.affiliationKind)]
        else:
            basis = graph.value(claim, KG.controlBasis)
            interest["type"] = INTEREST_OF_BASIS.get(basis, "otherInfluenceOrControl")
        direct = graph.value(claim, KG.direct)
        if isinstance(direct, Literal) and isinstance(direct.toPython(), bool):
            interest["directOrIndirect"] = "direct" if direct.toPython() else "indirect"
        note = self._text(claim, RDFS.comment)
        if note:
            interest["details"] = note
        elif interest["type"] == "otherInfluenceOrControl" and graph.value(claim, KG.controlBasis) == KG.AccountingConsolidation:
            interest["details"] = "accounting consolidation"
        share = {}
        for key, prop in SHARE_PROPERTIES.items():
            value = graph.value(claim, prop)
            if isinstance(value, Literal) and isinstance(value.toPython(), (int, Decimal)):
                share[key] = Decimal(str(value.toPython()))
        if share:
            interest["share"] = share
        for key, prop, end in (("startDate", KG.startDate, False), ("endDate", KG.endDate, True)):
            day = self._day(claim, prop, end=end)
            if day:
                interest[key] = day
        details: dict = {"isComponent": claim in self.components}
        parts = sorted((str(part) for part in graph.subjects(KG.componentOf, claim) if part in written), key=str)
        if parts and claim not in self.components:
            details["componentRecords"] = parts
        elif parts:
            self.left_out["component claim(s) with components of their own written without them (BODS chains have one level)"] += 1
        details["subject"] = self._inline(owned) if owned in self.inline else str(owned)
        details["interestedParty"] = self._inline(owner) if owner in self.inline else str(owner)
        details["interests"] = [interest]
        attestations = self._attestations(claim) or [(None, None)]
        # The network's subject: the entity owned, unless BODS knows it only by a reason.
        declared = str(next((agent for agent in (owned, owner) if agent not in self.inline), claim))
        return [
            self._statement(str(claim), number, source, "relationship", declared, details, status)
            for number, (source, status) in enumerate(attestations, start=1)
        ]

    def _inline(self, agent: URIRef) -> dict:
        reason = self._text(agent, KG.unspecifiedReason)
        code = reason if reason in UNSPECIFIED_REASONS else "unknown"
        description = reason if code != reason else self._text(agent, DCTERMS.description)
        return {"reason": code, **({"description": description} if description else {})}

    # --- statements ------------------------------------------------------------------------

    def _statement(self, record_id: str, number: int, source, record_type: str, subject: str, details: dict, status=None) -> dict:
        publication: dict = {"publicationDate": self.today, "bodsVersion": BODS_VERSION, "publisher": dict(DEFAULT_PUBLISHER)}
        statement: dict = {
            "statementId": str(uuid.uuid5(_STATEMENT_IDS, f"{record_id}\n{number}\n{source or ''}")),
            "declarationSubject": subject,
            "statementDate": self.today,
            "publicationDetails": publication,
        }
        if source is not None:
            statement["statementDate"] = self._statement_date(source)
            publisher = {}
            for value in self.graph.objects(source, DCTERMS.publisher):
                publisher["url" if isinstance(value, URIRef) else "name"] = str(value)
            if publisher:
                publication["publisher"] = publisher
            licence = self.graph.value(source, DCTERMS.license)
            if isinstance(licence, URIRef):
                publication["license"] = str(licence)
            statement["source"] = self._source(source, status)
        statement.update(recordId=record_id, recordStatus="new" if number == 1 else "updated", recordType=record_type, recordDetails=details)
        return statement

    def _source(self, source, status) -> dict:
        types = sorted({str(t) for t in self.graph.objects(source, KG.sourceType)} & set(SOURCE_TYPES), key=SOURCE_TYPES.index)
        if status == KG.Confirmed and not CONFIRMING_SOURCE_TYPES.intersection(types):
            types.append("verified")
        described: dict = {"type": types or ["thirdParty"]}
        title = self._text(source, DCTERMS.title)
        if title:
            described["description"] = title
        url = self.graph.value(source, DCTERMS.source)
        if url is None and isinstance(source, URIRef) and str(source).startswith(("http://", "https://")) and not str(source).startswith(str(DATA)):
            url = source  # a source kg knows by its URL
        if isinstance(url, URIRef):
            described["url"] = str(url)
        retrieved = self._day(source, KG.retrievedOn, end=False, moment=True)
        if retrieved:
            described["retrievedAt"] = retrieved
        return described

    def _text(self, node, prop) -> str | None:
        values = sorted(str(value) for value in self.graph.objects(node, prop) if isinstance(value, Literal))
        return values[0] if values else None

    def _day(self, node, prop, *, end: bool, moment: bool = False) -> str | None:
        """A date as BODS writes it: YYYY-MM-DD, a partial date as its first or last day (a date-time kept when ``moment``)."""
        value = self.graph.value(node, prop)
        if value is None:
            return None
        text = str(value)
        if moment and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})", text):
            return text
        day = date_bound(text, end=end)
        if day is None:
            self.left_out["date(s) kg cannot read left out"] += 1
            return None
        return day.isoformat()

    def _warn(self) -> None:
        if self.other_types:
            kinds = ", ".join(f"{name} {count}" for name, count in sorted(self.other_types.items()))
            total = sum(self.other_types.values())
            warnings.warn(KgWarning(f"BODS export: {total} claim(s) left out, BODS holds ownership and control only ({kinds})"), stacklevel=4)
        for what, count in sorted(self.left_out.items()):
            warnings.warn(KgWarning(f"BODS export: {count} {what}"), stacklevel=4)
