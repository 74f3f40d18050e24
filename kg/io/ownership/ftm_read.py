"""FollowTheMoney entities (JSON lines) as kg's agents and claims, read through the ``followthemoney`` library.

Two passes over the file, line by line, never all of it in memory: the first checks that
every line is an entity of a schema the library knows (else one ``InputError`` naming the
file and line, before a single triple is given) and notes the schema of every entity that
is not a relationship; the second reads each entity with the library's proxies, knowing
what kind of agent each relationship points to, wherever in the file it stands.

Legal entities become agents, Ownership, Control, Directorship, Employment and
Membership become claims, each attested by a source that is the FtM entity itself (its
id as the record id, its publisher, source URL, retrieval date and datasets). Which
property goes where is the README's table; ``ftm_model`` holds the mappings.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_bound, date_literal
from kg.errors import InputError, KgWarning
from kg.identifiers import IdentifierError, normalise_identifier
from kg.io.ownership.ftm_model import (
    ADVISOR_ROLES, AGENT_CLASSES, BOARD_ROLES, CONTROL_BASES, DIRECTORSHIP_OFFICER_ROLES, LINKS, REGISTERS,
    SCHEMED_PROPERTIES, Link, agent_iri, claim_iri, library, source_iri,
)
from kg.io.ownership.ftm_share import parse_percentage
from kg.io.sheets.cells import OFFICER_TITLES, CellError, identifier_iri
from kg.io.sheets.model import share_literal
from kg.io.sheets.spec import is_url
from kg.vocab import AGENT_TYPE_NAMES, CLAIM_TYPES, KG, SHARE_PROPERTIES, STATUS_IRIS, STATUS_ORDER

try:  # followthemoney's own JSON parser, several times faster than the standard library's
    from orjson import JSONDecodeError, loads
except ImportError:  # pragma: no cover - orjson comes with followthemoney
    from json import JSONDecodeError, loads

_BOM = b"\xef\xbb\xbf"
#: Bytes read between two calls of the progress callback.
PROGRESS_STEP = 1 << 20
#: Warnings of one kind shown one by one; the rest are counted in one line at the end.
SHOWN = 10
_STATUS_RANK = {STATUS_IRIS[name]: rank for rank, name in enumerate(STATUS_ORDER)}


def read(path: str | Path, *, progress: Callable[[int], None] | None = None) -> Iterator[tuple]:
    """kg's triples for the FtM entities of ``path``; ``progress(n)`` hears of every ``n`` bytes read.

    Raises ``InputError`` naming the file and line of the first line that is not an FtM
    entity (malformed JSON, no id, an unknown or abstract schema), before any triple.
    """
    model, _ = library()
    path = Path(path)
    reader = _Reader(path, _schemata(path, model))
    pending = 0
    for number, raw in _lines(path):
        pending += len(raw)
        if raw.strip():
            data, schema = _entity(path, number, raw, model)
            try:
                proxy = model.get_proxy(data, cleaned=False)  # the library checks and normalises every value
            except Exception as exc:  # noqa: BLE001 - a dependency's error never reaches the user as such
                raise InputError(f"{path}:{number}: not a FollowTheMoney entity: {exc}") from None
            yield from reader.entity(proxy, data)
        if progress is not None and pending >= PROGRESS_STEP:
            progress(pending)
            pending = 0
    if progress is not None and pending:
        progress(pending)
    reader.finish()


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                yield number, raw[len(_BOM):] if number == 1 and raw.startswith(_BOM) else raw
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _entity(path: Path, number: int, raw: bytes, model):
    """The JSON object of one line and its FtM schema; an InputError naming the line when it is no entity."""
    def fail(why: str) -> InputError:
        return InputError(f"{path}:{number}: not a FollowTheMoney entity: {why}")

    try:
        data = loads(raw)
    except JSONDecodeError as exc:
        raise fail(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise fail("not a JSON object")
    if not isinstance(data.get("id"), str) or not data["id"].strip():
        raise fail("it has no id")
    name = data.get("schema")
    schema = model.get(name) if isinstance(name, str) else None
    if schema is None:
        raise fail(f"unknown schema {name!r} (entity {data['id']})")
    if schema.abstract:
        raise fail(f"{name} is an abstract schema, which no entity can have (entity {data['id']})")
    if not isinstance(data.get("properties", {}), dict):
        raise fail(f"its properties are not a JSON object (entity {data['id']})")
    return data, schema


def _schemata(path: Path, model) -> dict:
    """First pass: the schema of every entity that is not a relationship (an interval), by id."""
    kinds: dict = {}
    for number, raw in _lines(path):
        if not raw.strip():
            continue
        data, schema = _entity(path, number, raw, model)
        if schema.is_a("Interval"):
            continue
        seen = kinds.get(data["id"])
        if seen is not None and seen is not schema:
            if seen.is_a(schema):
                continue
            if not schema.is_a(seen):
                raise InputError(f"{path}:{number}: entity {data['id']} is a {schema.name} here and a {seen.name} on an earlier line")
        kinds[data["id"]] = schema
    return kinds


def agent_class(schema) -> URIRef | None:
    """kg's class for an FtM schema: a person, an organization, or an agent of either kind; None for no legal entity."""
    return next((cls for name, cls in AGENT_CLASSES if schema.is_a(name)), None)


class _Reader:
    """The second pass: each entity's triples, with what the first pass learnt of the entities it points to."""

    def __init__(self, path: Path, kinds: dict) -> None:
        self.path, self.kinds = path, kinds
        self.placeholders: set[tuple[str, URIRef]] = set()
        self.unknown: dict[str, None] = {}  # ids pointed to that no line of the file holds, in order
        self.skipped: Counter[str] = Counter()  # schemata kg has no counterpart for
        self.counts: Counter[str] = Counter()

    def warn(self, kind: str, message: str) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= SHOWN:
            warnings.warn(f"{self.path}: {message}", KgWarning, stacklevel=4)

    def entity(self, proxy, data: dict) -> Iterator[tuple]:
        schema = proxy.schema
        cls = agent_class(schema)
        if cls is not None:
            yield from self.agent(proxy, cls)
        elif schema.name in LINKS:
            yield from self.claim(proxy, LINKS[schema.name], data)
        else:
            self.skipped[schema.name] += 1

    # --- agents -------------------------------------------------------------------------------

    def agent(self, proxy, cls: URIRef) -> Iterator[tuple]:
        iri = agent_iri(proxy.id)
        for type_iri in [KG[name] for name in _types(proxy.get("keywords", quiet=True), cls)] or [cls]:
            yield iri, RDF.type, type_iri  # kg's own types where its export kept them (AILab), else the schema's
        names = proxy.get("name") or [" ".join(proxy.get("firstName", quiet=True)[:1] + proxy.get("lastName", quiet=True)[:1])]
        if names[0].strip():
            yield iri, RDFS.label, Literal(names[0])
        if descriptions := proxy.get("description", quiet=True):
            yield iri, DCTERMS.description, Literal("\n\n".join(descriptions))
        countries = proxy.get("country", quiet=True) or proxy.get("mainCountry", quiet=True) or proxy.get("jurisdiction", quiet=True)
        for country in countries:
            yield iri, KG.country, Literal(country.upper())
        if cls != KG.Person:
            founded = _first_date(proxy.get("incorporationDate", quiet=True), end=False)
            if founded is not None:
                yield iri, KG.foundingDate, founded
        website = next((url for url in proxy.get("website", quiet=True) if is_url(url)), None)
        if website:
            yield iri, KG.homepage, URIRef(website)
        yield from self.identifiers(proxy, iri)

    def identifiers(self, proxy, iri: URIRef) -> Iterator[tuple]:
        pairs = [(scheme, value, prop) for prop, scheme in SCHEMED_PROPERTIES.items() for value in proxy.get(prop, quiet=True)]
        numbers = proxy.get("registrationNumber", quiet=True)
        if numbers:
            places = proxy.get("jurisdiction", quiet=True) or proxy.get("mainCountry", quiet=True) or proxy.get("country", quiet=True)
            scheme = REGISTERS.get(places[0]) if len(places) == 1 else None
            if scheme:
                pairs += [(scheme, number, "registrationNumber") for number in numbers]
            else:  # no org-id.guide register follows from the jurisdiction: kept as words, never as an identifier
                where = f" ({', '.join(place.upper() for place in places)})" if places else ""
                yield iri, RDFS.comment, Literal(f"registration number {', '.join(numbers)}{where}")
        for scheme, value, prop in pairs:
            try:
                scheme, value = normalise_identifier(scheme, value)
            except IdentifierError as exc:
                self.warn("identifiers", f"{proxy.schema.name} {proxy.id}: its {prop} {value!r} is not kept: {exc}")
                continue
            node = identifier_iri(scheme, value)
            yield iri, KG.identifier, node
            yield node, RDF.type, KG.Identifier
            yield node, KG.identifierScheme, Literal(scheme)
            yield node, KG.identifierValue, Literal(value)

    # --- claims -------------------------------------------------------------------------------

    def claim(self, proxy, link: Link, data: dict) -> Iterator[tuple]:
        roles = CLAIM_TYPES[link.cls]
        parties, typing = [], []
        for prop, required in ((link.subject, link.subject_class), (link.object, link.object_class)):
            ids = proxy.get(prop)
            if not ids:
                self.warn("claims left out", f"{proxy.schema.name} {proxy.id} names no {prop}; not read")
                return
            if len(ids) > 1:
                self.warn("parties", f"{proxy.schema.name} {proxy.id} names {len(ids)} {prop}s; kg reads the first, {ids[0]}")
            fit = self.party(ids[0], required)
            if isinstance(fit, str):
                self.warn("claims left out", f"{proxy.schema.name} {proxy.id}: its {prop} {ids[0]} is a {fit}, which kg's "
                          f"{_ROLE_WORDS[required]} cannot be; not read")
                return
            parties.append(agent_iri(ids[0]))
            typing += fit
        yield from typing
        claim = claim_iri(proxy.id)
        yield claim, RDF.type, link.cls
        yield claim, roles.subject_role, parties[0]
        yield claim, roles.object_role, parties[1]
        start = _first_date(proxy.get("startDate") or proxy.get("date"), end=False)
        end = _first_date(proxy.get("endDate"), end=True)
        if start is not None:
            yield claim, KG.startDate, start
        if end is not None:
            yield claim, KG.endDate, end
        notes = [*proxy.get("description"), *proxy.get("summary")]
        if link.cls == KG.Ownership:
            yield from self.ownership(proxy, claim, notes)
        elif link.cls == KG.Control:
            yield from _control(proxy, claim, notes)
        else:
            yield from _affiliation(proxy, claim)
        status = _status(proxy.get("status"), notes)
        if notes:
            yield claim, RDFS.comment, Literal("; ".join(notes))
        yield from _attestation(proxy, data, claim, status)

    def party(self, party_id: str, required: URIRef) -> list | str:
        """The triples that type a party for its role, or the name of its schema when kg's role cannot take it."""
        iri = agent_iri(party_id)
        schema = self.kinds.get(party_id)
        if schema is None:  # no line of the file holds it: an agent named by its id, of the kind its role needs
            self.unknown.setdefault(party_id)
            if (party_id, required) in self.placeholders:
                return []
            self.placeholders.add((party_id, required))
            return [(iri, RDF.type, required)]
        cls = agent_class(schema)
        if cls is None:
            return schema.name
        if required == KG.Agent or cls == required:
            return []
        if cls == KG.Agent:  # a legal entity of no stated kind, in a role only a person (or an organization) plays
            return [(iri, RDF.type, required)]
        return schema.name

    def ownership(self, proxy, claim: URIRef, notes: list[str]) -> Iterator[tuple]:
        texts = proxy.get("percentage")
        shares, unread = [], []
        for text in texts:
            try:
                share = parse_percentage(text)
            except CellError:
                unread.append(text)
                continue
            if share not in shares:
                shares.append(share)
        if len(shares) == 1 and not unread:
            for key, value in shares[0].items():
                yield claim, SHARE_PROPERTIES[key], share_literal(value)
        elif texts:
            why = "is no share kg reads" if unread else "gives different shares"
            self.warn("percentages", f"Ownership {proxy.id}: its percentage {'; '.join(texts)!r} {why}; kept as text in the claim's note")
            notes.append(f"percentage: {'; '.join(texts)}")
        for kind in proxy.get("ownershipType"):
            if kind.strip().lower() in ("direct", "indirect"):
                yield claim, KG.direct, Literal(kind.strip().lower() == "direct")
            else:
                notes.append(f"ownership type: {kind}")
        notes += [f"role: {role}" for role in proxy.get("role")] + [f"legal basis: {text}" for text in proxy.get("legalBasis")]

    def finish(self) -> None:
        """The warnings that sum the file up: parties it does not hold, entities kg has no counterpart for."""
        if self.unknown:
            first = ", ".join(list(self.unknown)[:5])
            more = f" and {len(self.unknown) - 5} more" if len(self.unknown) > 5 else ""
            warnings.warn(
                f"{self.path}: {len(self.unknown)} entities its relationships point to are not in the file ({first}{more}); "
                "kept as agents with that id and no name", KgWarning, stacklevel=3,
            )
        if self.skipped:
            kinds = ", ".join(f"{count} {name}" for name, count in sorted(self.skipped.items()))
            warnings.warn(f"{self.path}: kg has no counterpart for {kinds} entities; not read", KgWarning, stacklevel=3)
        for kind, count in sorted(self.counts.items()):
            if count > SHOWN:
                warnings.warn(f"{self.path}: {count - SHOWN} more warnings of {kind} like the above, not shown", KgWarning, stacklevel=3)


_ROLE_WORDS = {KG.Agent: "owner or controller", KG.Person: "affiliate (a person)", KG.Organization: "organization"}


def _types(keywords: list[str], cls: URIRef) -> list[str]:
    """kg's agent types among an entity's keywords (how kg's export keeps them), when they fit its FtM schema."""
    names = [word for word in keywords if word in AGENT_TYPE_NAMES and word not in ("Person", "Organization")]
    if cls == KG.Person:
        return []
    if cls == KG.Agent and "Person" in keywords:
        return [] if names else ["Person"]
    return names


def _first_date(values: list[str], *, end: bool) -> Literal | None:
    """The earliest start (or latest end) among FtM dates, as kg's date literal; a date-time counts as its day."""
    dates = [(bound, literal) for value in values if (literal := date_literal(value[:10])) is not None
             and (bound := date_bound(str(literal), end=end)) is not None]
    if not dates:
        return None
    return (max if end else min)(dates, key=lambda pair: pair[0])[1]


def _control(proxy, claim: URIRef, notes: list[str]) -> Iterator[tuple]:
    basis = None
    for word in proxy.get("controlType"):
        key = " ".join(word.lower().split())
        if key in ("direct", "indirect"):
            yield claim, KG.direct, Literal(key == "direct")
        elif key in CONTROL_BASES and basis is None:
            basis = CONTROL_BASES[key]
        else:
            basis = basis or KG.OtherInfluence
            notes.append(f"control type: {word}")
    if basis is not None:
        yield claim, KG.controlBasis, basis
    notes += [f"role: {role}" for role in proxy.get("role")] + [f"legal basis: {text}" for text in proxy.get("legalBasis")]


def _affiliation(proxy, claim: URIRef) -> Iterator[tuple]:
    roles = proxy.get("role")
    words = {" ".join(role.lower().split()) for role in roles}
    schema = proxy.schema.name
    if schema == "Directorship":
        kind = KG.Officer if words & DIRECTORSHIP_OFFICER_ROLES else KG.BoardSeat
    elif words & OFFICER_TITLES:
        kind = KG.Officer
    elif words & ADVISOR_ROLES:
        kind = KG.Advisor
    elif schema == "Employment":
        kind = KG.Employee
    else:  # a membership says what kind of tie it is only through its role
        kind = KG.BoardSeat if words & BOARD_ROLES else None
    if kind is not None:
        yield claim, KG.affiliationKind, kind
    if roles:
        yield claim, KG.roleTitle, Literal("; ".join(roles))


def _status(words: list[str], notes: list[str]) -> URIRef:
    """The strongest of kg's statuses among FtM's ``status`` words other than denied (denied when only that);
    Reported when none is one of kg's; other words go to the note (FtM's status is often the tie's own: "resigned")."""
    found = [STATUS_IRIS[word.strip().lower()] for word in words if word.strip().lower() in STATUS_IRIS]
    notes += [f"status: {word}" for word in words if word.strip().lower() not in STATUS_IRIS]
    counted = [status for status in found if status != KG.Denied]
    if counted:
        return max(counted, key=_STATUS_RANK.__getitem__)
    return KG.Denied if found else KG.Reported


def _attestation(proxy, data: dict, claim: URIRef, status: URIRef) -> Iterator[tuple]:
    """The FtM entity as the source of its claim: record id, publisher, source URL, retrieval date, datasets."""
    source = source_iri(proxy.id)
    node = BNode("att" + hashlib.sha1(f"{claim}\n{source}\n{status}".encode("utf-8")).hexdigest()[:20])
    yield claim, KG.attestation, node
    yield node, RDF.type, KG.Attestation
    yield node, KG.source, source
    yield node, KG.status, status
    yield source, RDF.type, KG.Source
    publishers = proxy.get("publisher")
    datasets = [name for name in data.get("datasets") or () if isinstance(name, str) and name]
    label = ", ".join([*publishers[:1], *(f"dataset {name}" for name in datasets)]) or "FollowTheMoney"
    yield source, DCTERMS.title, Literal(f"{label} ({proxy.schema.name} {proxy.id})")
    for record in proxy.get("recordId") or [proxy.id]:
        yield source, KG.recordId, Literal(record)
    for publisher in publishers:
        yield source, DCTERMS.publisher, Literal(publisher)
    for url in proxy.get("sourceUrl"):
        yield source, DCTERMS.source, URIRef(url) if is_url(url) else Literal(url)
    for when in proxy.get("retrievedAt"):
        literal = Literal(when, datatype=XSD.dateTime) if "T" in when else date_literal(when)
        if literal is not None:
            yield source, KG.retrievedOn, literal
