"""BODS 0.4 statements into kg's agents and claims (the mapping docs/registers.md gives), streamed in two passes.

The first pass only notes each statement's record (a hash of its id, in a numpy
array: 9 bytes a statement), so the second knows which statements a later one of
the same record replaces: BODS's latest statement of a record wins. Statements of
a record read more than once wait in memory until its last one comes; every other
statement becomes triples as soon as it is read.

- An entity or person record is an agent (kg:Organization, kg:Person) with its
  name, identifiers, jurisdiction (kg:country) and, for a party BODS does not name,
  kg:unspecifiedReason; a party a relationship names only by a reason is an agent too.
- Each interest of a relationship record is a claim (``bods_terms``), with its share,
  dates, ``directOrIndirect`` (kg:direct) and details (rdfs:comment); a relationship
  with no interest is one control claim of unstated basis. A closed record's claims
  end: on their own end date, else on the closing statement's date.
- Every statement behind a claim is an attestation whose kg:Source keeps the
  statement id, source types, URL, retrieval date, publisher, licence and statement date.
  The latest statement attests its record's claims, an earlier one those it said alike.
- A primary relationship's component relationships are its chain: kg:componentOf
  from each of their claims to each of its own.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rdflib import BNode, Literal, URIRef

from kg.errors import InputError, KgWarning
from kg.io.ownership import bods_json
from kg.io.ownership.bods_terms import (
    BODS_VERSION,
    AFFILIATION_INTERESTS,
    CONTROL_BASES,
    ROLE_TITLES,
    DIRECTNESS,
    OTHER_BASIS,
    OWNERSHIP_INTERESTS,
    REASON_NOT_GIVEN,
    RECORD_TYPES,
    UNNAMED_KINDS,
    UNSPECIFIED_PARTY,
    Terms as T,
    agent_iri,
    claim_iri,
    party_iri,
    source_iri,
    status_of,
    unnamed_label,
)
from kg.io.ownership.bods_values import Values, check_text, repeated
from kg.io.sheets.cells import identifier_iri

_RELATIONSHIP = RECORD_TYPES.index("relationship")


def record_key(record_id: str) -> int:
    """A record id as 64 bits, the same in both passes of one read (two ids may share one: told apart later)."""
    return hash(record_id)


def read_bods(path: str | Path, *, progress=None) -> Iterator[tuple]:
    """The triples of a BODS 0.4 file (a JSON array or JSON Lines); ``progress(bytes)`` as it is read.

    Raises one InputError naming the file, the statement and what is wrong with it.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    told = bods_json.Progress(progress, size)
    index = _Index.of(path, told)
    yield from _Reader(path, index).triples(bods_json.statements(path, told, pass_number=2))


@dataclass
class _Index:
    """What the first pass learns: the last statement of each record read more than once, and the agents' ids."""

    last_of: dict[int, int]  # hash of a record id read more than once -> number of its last statement
    agents: object  # sorted numpy array of the hashes of entity and person record ids
    count: int

    @classmethod
    def of(cls, path: Path, progress) -> "_Index":
        import numpy as np

        hashes, kinds = array("q"), array("b")
        for number, where, value in bods_json.statements(path, progress, pass_number=1):
            record_id, record_type = envelope(path, number, where, value)
            hashes.append(record_key(record_id))
            kinds.append(RECORD_TYPES.index(record_type))
        if not hashes:
            raise InputError(f"{path}: holds no BODS statement")
        keys = np.frombuffer(hashes, dtype=np.int64)
        unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        last_of: dict[int, int] = {}
        if (counts > 1).any():
            last = np.zeros(len(unique), dtype=np.int64)
            np.maximum.at(last, inverse, np.arange(1, len(keys) + 1))
            repeated = np.nonzero(counts > 1)[0]
            last_of = dict(zip(unique[repeated].tolist(), last[repeated].tolist()))
        agents = np.unique(keys[np.frombuffer(kinds, dtype=np.int8) != _RELATIONSHIP])
        return cls(last_of, agents, len(keys))

    def names_agent(self, record_id: str) -> bool:
        import numpy as np

        key = record_key(record_id)
        at = int(np.searchsorted(self.agents, key))
        return at < len(self.agents) and int(self.agents[at]) == key


def envelope(path: Path, number: int, where: str, value) -> tuple[str, str]:
    """A statement's record id and type, once its shape is BODS 0.4's; else the InputError that says why not."""
    if not isinstance(value, dict):
        raise InputError(f"{where}: a statement is a JSON object, not {_json_type(value)}")
    details = value.get("publicationDetails")
    version = details.get("bodsVersion") if isinstance(details, dict) else None
    statement_id = value.get("statementId")
    if "statementID" in value or "statementType" in value:
        said = _version(version) if isinstance(version, str) and version != BODS_VERSION else "0.3"
        raise InputError(
            f"{where}: BODS {said} is not supported; kg reads BODS {BODS_VERSION} (this statement has statementID and "
            f"statementType, the shape of BODS 0.3 and before; BODS 0.4 statements have statementId, recordId, "
            f"recordType and recordDetails)"
        )
    named = f"{where}: statement {_shown(statement_id)}" if isinstance(statement_id, str) and statement_id else where
    if version is not None and version != BODS_VERSION:
        raise InputError(f"{named}: BODS {_version(version)} is not supported; kg reads BODS {BODS_VERSION} (the statement's bodsVersion)")
    if not isinstance(statement_id, str) or not statement_id:
        raise InputError(f"{where}: a statement needs a statementId (text)")
    record_id, record_type = value.get("recordId"), value.get("recordType")
    if not isinstance(record_id, str) or not record_id:
        raise InputError(f"{named}: needs a recordId (text)")
    if record_type not in RECORD_TYPES:
        raise InputError(f"{named}: recordType {_shown(record_type)} is none of {', '.join(RECORD_TYPES)}")
    for key, text in (("statementId", statement_id), ("recordId", record_id)):
        if check_text(text):
            raise InputError(f"{named}: {key} {check_text(text)}")
    if not isinstance(value.get("recordDetails"), dict):
        raise InputError(f"{named}: needs recordDetails (an object)")
    if value.get("recordStatus") not in (None, "new", "updated", "closed"):
        raise InputError(f"{named}: recordStatus {_shown(value.get('recordStatus'))} is none of new, updated, closed")
    return record_id, record_type


def _version(value) -> str:
    return value if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}\.[0-9]{1,3}", value) else _shown(value)


def _json_type(value) -> str:
    return {list: "an array", str: "text", bool: "true or false", type(None): "null"}.get(type(value), "a number")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass
class _Statement:
    number: int
    where: str  # "file:line" or "file: statement N", then the statement id
    id: str
    record_id: str
    record_type: str
    closed: bool
    details: dict
    value: dict


@dataclass
class _Relationship:
    subject: URIRef
    party: URIRef
    parties: list  # triples of the parties it names only by a reason
    claims: list  # frozensets of (predicate, object), one a claim


class _Reader:
    def __init__(self, path: Path, index: _Index) -> None:
        self.path, self.index = path, index
        self.pending: dict[int, list[_Statement]] = {}
        self.components: dict[str, list[URIRef]] = {}  # component relationship record id -> its claims
        self.chains: list[tuple[str, list[URIRef], str]] = []  # (component record id, primary claims, where) to link at the end
        self.dangling = _Tally()
        self.unread_identifiers = _Tally()

    def triples(self, statements) -> Iterator[tuple]:
        for number, where, value in statements:
            record_id, record_type = envelope(self.path, number, where, value)
            statement = _Statement(
                number, f"{where}: statement {_shown(value['statementId'])}", value["statementId"], record_id, record_type,
                value.get("recordStatus") == "closed", value["recordDetails"], value,
            )
            key = record_key(record_id)
            last = self.index.last_of.get(key)
            if last is None:
                yield from self._record([statement])
            elif number < last:
                self.pending.setdefault(key, []).append(statement)
            else:
                records: dict[str, list[_Statement]] = {}
                for one in [*self.pending.pop(key, []), statement]:  # ids that share a hash are told apart here
                    records.setdefault(one.record_id, []).append(one)
                for group in records.values():
                    yield from self._record(group)
        yield from self._link_chains()
        self._warn()

    # --- records ---------------------------------------------------------------------------

    def _record(self, statements: list[_Statement]) -> Iterator[tuple]:
        latest = statements[-1]
        if latest.record_type == "relationship":
            yield from self._relationship_record(statements)
        else:
            yield from self._agent(latest)

    def _agent(self, statement: _Statement) -> Iterator[tuple]:
        values, details = Values(statement.where), statement.details
        iri = agent_iri(statement.record_id)
        person = statement.record_type == "person"
        yield iri, T.type, T.Person if person else T.Organization
        kind = values.text(details, "personType") if person else values.text(details, "entityType", nested="type")
        unspecified = values.unspecified(details, "unspecifiedPersonDetails" if person else "unspecifiedEntityDetails")
        reason = None
        if kind in UNNAMED_KINDS:
            reason = unspecified[0] if unspecified else REASON_NOT_GIVEN
            yield iri, T.unspecifiedReason, repeated(reason)
            if unspecified and unspecified[1]:
                yield iri, T.dc_description, Literal(unspecified[1])
        name = values.person_name(details) if person else values.text(details, "name")
        fallback = UNNAMED_KINDS.get(kind, "unnamed person" if person else "unnamed entity")
        yield iri, T.label, Literal(name or unnamed_label(fallback, reason))
        for scheme, value in values.identifiers(details, self.unread_identifiers):
            node = identifier_iri(scheme, value)
            yield iri, T.identifier, node
            yield node, T.type, T.Identifier
            yield node, T.identifierScheme, repeated(scheme)
            yield node, T.identifierValue, Literal(value)
        country = values.country(details, person)
        if country:
            yield iri, T.country, repeated(country)
        if not person and details.get("foundingDate") is not None:
            yield iri, T.foundingDate, values.date(details, "foundingDate")

    def _relationship_record(self, statements: list[_Statement]) -> Iterator[tuple]:
        latest = statements[-1]
        built = [self._relationship(one) for one in statements]
        said = built[-1]
        if latest.closed and not latest.details.get("interests"):
            # A closing statement that repeats no interest ends those the record's last statement held.
            said = next((b for one, b in zip(statements[-2::-1], built[-2::-1]) if one.details.get("interests")), said)
        claims = said.claims
        if latest.closed:
            closing = Values(latest.where).statement_day(latest.value)
            claims = [claim if any(p == T.endDate for p, _ in claim) else claim | {(T.endDate, closing)} for claim in claims]
        iris = [claim_iri(latest.record_id, number) for number in range(1, len(claims) + 1)]
        yield from built[-1].parties
        attesting: dict[int, list[URIRef]] = {}
        for one, relationship in zip(statements, built):
            if one is latest:
                attesting[one.number] = iris
                continue
            said_then = {_without_end(claim) for claim in relationship.claims}
            attesting[one.number] = [iri for iri, claim in zip(iris, claims) if _without_end(claim) in said_then]
        for iri, claim in zip(iris, claims):
            for predicate, value in claim:
                yield iri, predicate, value
        for one in statements:
            if attesting[one.number]:
                yield from self._attestations(one, attesting[one.number])
        yield from self._chain(latest, iris)

    def _relationship(self, statement: _Statement) -> _Relationship:
        values, details = Values(statement.where), statement.details
        parties: list = []
        subject = self._party(statement, details, "subject", parties)
        party = self._party(statement, details, "interestedParty", parties)
        interests = values.array(details, "interests")
        claims = [self._interest(values.nested(f"interests/{number}"), interest, subject, party) for number, interest in enumerate(interests)]
        if not claims:  # a relationship that states no interest: control, the source not saying how
            claims = [frozenset({(T.type, T.Control), (T.controller, party), (T.controlledEntity, subject), (T.controlBasis, OTHER_BASIS)})]
        return _Relationship(subject, party, parties, claims)

    def _party(self, statement: _Statement, details: dict, role: str, parties: list) -> URIRef:
        value = details.get(role)
        if isinstance(value, str) and value:
            Values(statement.where).text(details, role)  # text an IRI can hold
            if not self.index.names_agent(value):
                self.dangling.add(f"{statement.where} names {role} {_shown(value)}")
            return agent_iri(value)
        if not isinstance(value, dict):
            raise InputError(f"{statement.where}: a relationship needs its {role}: a recordId, or an object with a reason")
        reason, description = Values(statement.where).unspecified(details, role, required=True)
        is_subject = role == "subject"
        iri = party_iri(statement.record_id, "subject" if is_subject else "interested-party")
        # BODS's subject is an entity; an unnamed interested party may be a person or an entity, so it is only an agent.
        parties.append((iri, T.type, T.Organization if is_subject else T.Agent))
        parties.append((iri, T.label, Literal(unnamed_label(UNNAMED_KINDS["unknownEntity"] if is_subject else UNSPECIFIED_PARTY, reason))))
        parties.append((iri, T.unspecifiedReason, repeated(reason)))
        if description:
            parties.append((iri, T.dc_description, Literal(description)))
        return iri

    @staticmethod
    def _interest(values: Values, interest, subject: URIRef, party: URIRef) -> frozenset:
        if not isinstance(interest, dict):
            raise values.error("is not an object")
        kind = values.text(interest, "type")
        if kind in OWNERSHIP_INTERESTS:
            pairs = {(T.type, T.Ownership), (T.owner, party), (T.ownedEntity, subject), (T.interestType, OWNERSHIP_INTERESTS[kind])}
        elif kind in AFFILIATION_INTERESTS:
            pairs = {(T.type, T.Affiliation), (T.affiliate, party), (T.affiliatedOrganization, subject),
                     (T.affiliationKind, AFFILIATION_INTERESTS[kind]), (T.roleTitle, Literal(ROLE_TITLES[kind]))}
        else:
            pairs = {(T.type, T.Control), (T.controller, party), (T.controlledEntity, subject),
                     (T.controlBasis, CONTROL_BASES.get(kind, OTHER_BASIS))}
        directness = values.text(interest, "directOrIndirect")
        if directness in DIRECTNESS:
            pairs.add((T.direct, repeated(DIRECTNESS[directness])))
        elif directness not in (None, "unknown"):
            raise values.error(f"directOrIndirect {_shown(directness)} is none of direct, indirect, unknown")
        pairs |= values.share(interest)
        for key, prop in (("startDate", T.startDate), ("endDate", T.endDate)):
            if interest.get(key) is not None:
                pairs.add((prop, values.date(interest, key)))
        details = values.text(interest, "details")
        if details:
            pairs.add((T.comment, Literal(details)))
        return frozenset(pairs)

    # --- attestations and chains -----------------------------------------------------------

    def _attestations(self, statement: _Statement, claims: list[URIRef]) -> Iterator[tuple]:
        values, value = Values(statement.where), statement.value
        source = value.get("source") if value.get("source") is not None else {}
        if not isinstance(source, dict):
            raise values.error("source is not an object")
        types = values.texts(source, "type")
        iri, status = source_iri(statement.id), status_of(types)
        yield iri, T.type, T.Source
        yield iri, T.recordId, Literal(statement.id)
        title = values.text(source, "description")
        yield iri, T.dc_title, repeated(title) if title else Literal(f"BODS statement {statement.id}")
        for one in types:
            yield iri, T.sourceType, repeated(one)
        if source.get("url") is not None:
            yield iri, T.dc_source, values.link(source, "url")
        if source.get("retrievedAt") is not None:
            yield iri, T.retrievedOn, values.moment(source, "retrievedAt")
        if value.get("statementDate") is not None:
            yield iri, T.dc_date, values.moment(value, "statementDate")
        publication = value.get("publicationDetails") or {}
        if isinstance(publication, dict):
            publisher = publication.get("publisher") or {}
            if isinstance(publisher, dict):
                if values.text(publisher, "name"):
                    yield iri, T.dc_publisher, repeated(publisher["name"])
                if publisher.get("url") is not None:
                    yield iri, T.dc_publisher, values.link(publisher, "url")
            if publication.get("license") is not None:
                yield iri, T.dc_license, values.link(publication, "license")
        for claim in claims:
            node = _attestation_node(claim, iri, status)
            yield claim, T.attestation, node
            yield node, T.type, T.Attestation
            yield node, T.source, iri
            yield node, T.status, status

    def _chain(self, statement: _Statement, claims: list[URIRef]) -> Iterator[tuple]:
        values, details = Values(statement.where), statement.details
        if details.get("isComponent") is True:
            self.components[statement.record_id] = claims
        for component in values.texts(details, "componentRecords"):
            if component in self.components:
                yield from _links(self.components[component], claims)
            elif not self.index.names_agent(component):  # an agent of the chain is an agent already
                self.chains.append((component, claims, statement.where))

    def _link_chains(self) -> Iterator[tuple]:
        for component, claims, where in self.chains:
            if component in self.components:  # a component whose last statement came after its primary's
                yield from _links(self.components[component], claims)
            else:
                self.dangling.add(f"{where} names component record {_shown(component)}")

    def _warn(self) -> None:
        if self.dangling.count:
            warnings.warn(KgWarning(
                f"{self.path}: {self.dangling.count} reference(s) to records the file does not hold "
                f"(first: {self.dangling.first}); kg keeps the claims, with a party it knows by no name"
            ), stacklevel=4)
        if self.unread_identifiers.count:
            warnings.warn(KgWarning(
                f"{self.path}: {self.unread_identifiers.count} identifier(s) left out, as kg cannot tell them apart "
                f"from a mistyped one (first: {self.unread_identifiers.first})"
            ), stacklevel=4)


def _links(components: list[URIRef], claims: list[URIRef]) -> Iterator[tuple]:
    for component in components:
        for claim in claims:
            yield component, T.componentOf, claim


def _without_end(claim: frozenset) -> frozenset:
    return frozenset(pair for pair in claim if pair[0] != T.endDate)


def _attestation_node(claim: URIRef, source: URIRef, status: URIRef) -> BNode:
    """Blank, as the sheets' attestations are, and named by what it says, so one file gives the same triples."""
    key = f"{claim}\n{source}\n{status}"
    return BNode("att" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:20])


class _Tally:
    """How many times something happened, and the first time, for one warning at the end."""

    def __init__(self) -> None:
        self.count, self.first = 0, None

    def add(self, what: str) -> None:
        self.count += 1
        if self.first is None:
            self.first = what

