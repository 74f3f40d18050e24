"""GLEIF golden-copy XML: LEI records (LEI-CDF) and relationship records (RR-CDF) as kg's claims.

An LEI record becomes an organization with its LEI (``XI-LEI``), legal name,
jurisdiction and founding date; its entity and registration statuses are kept in
words on the organization (``dcterms:description``) and on the record's source.
A relationship record of type IS_DIRECTLY_CONSOLIDATED_BY or
IS_ULTIMATELY_CONSOLIDATED_BY becomes a Control claim (the parent, GLEIF's
EndNode, controls the child, its StartNode) whose basis is accounting
consolidation, never an ownership share; direct for the direct parent, not direct
for the ultimate one. Its dates are those of the RELATIONSHIP_PERIOD (an
accounting or document-filing period dates the documents, not the relationship,
and goes to the claim's note). A relationship that GLEIF marks INACTIVE (or whose
record is RETIRED) has ended: it keeps its period's end date, or, without one, is
a terminated claim that never counts. The record's ValidationSources give the
attestation's status: FULLY_CORROBORATED is confirmed, anything else reported;
an ANNULLED record is denied. Relationship records of other types (fund
management, sub-funds, feeders, branches) and DUPLICATE records are skipped
and counted in one warning per file. Every record has its own source: record id,
publisher GLEIF, the golden copy's content date as the retrieval date, the
record's registration and update dates, GLEIF's search page as its address and
CC0 as its licence.

Each LEI named in a relationship record also makes an organization labelled by
that LEI (``lei-<LEI>-rr``), so that a relationship file read alone joins other
inputs through the identifier; read with the LEI file, it is one agent with the
LEI record's organization (``lei-<LEI>``, kept as it sorts first) by ``kg.identity``.

The file is streamed: each record is read, turned into triples and dropped, so a
full-size golden copy takes bounded memory. The parser is defusedxml's, which
refuses a DTD, every entity declaration and every external reference, and so
never reaches the network.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError, TreeBuilder

from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_literal
from kg.errors import InputError, KgWarning
from kg.identifiers import LEI, IdentifierError, normalise_identifier
from kg.io.ownership import OwnershipReader
from kg.io.sheets.cells import identifier_iri
from kg.vocab import CLAIM, DATA, KG, SOURCE, STATUS_IRIS

LEI_NS = "http://www.gleif.org/data/schema/leidata/2016"
RR_NS = "http://www.gleif.org/data/schema/rr/2016"
REPEX_NS = "http://www.gleif.org/data/schema/repex/2016"

CC0 = URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
PUBLISHER = Literal("GLEIF")
#: The page of an LEI on GLEIF's search site (its record, its parents and children).
RECORD_PAGE = "https://search.gleif.org/#/record/"
PROSE = "en"

#: The relationship types kg reads, as (word in the claim's IRI, whether the control is direct).
CONSOLIDATION = {"IS_DIRECTLY_CONSOLIDATED_BY": ("direct-parent", True), "IS_ULTIMATELY_CONSOLIDATED_BY": ("ultimate-parent", False)}
#: ValidationSources -> the source type (BODS's codes: verified sources count as confirmed, DESIGN section 6).
SOURCE_TYPES = {"FULLY_CORROBORATED": "verified", "PARTIALLY_CORROBORATED": "selfDeclaration", "ENTITY_SUPPLIED_ONLY": "selfDeclaration"}
ENDED = {"INACTIVE"}  # RelationshipStatus values that say the relationship has ended
ENDED_RECORDS = {"RETIRED"}  # RegistrationStatus values that say so too
DENIED_RECORDS = {"ANNULLED"}  # records GLEIF found erroneous after publishing them
SKIPPED_RECORDS = {"DUPLICATE"}  # non-surviving duplicates of another record

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(LEIData|RelationshipData|ReportingExceptionData)[\s/>]")
_JURISDICTION = re.compile(r"([A-Z]{2})(?:-[A-Z0-9]{1,3})?")


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _lei(name: str) -> str:
    return _tag(LEI_NS, name)


def _rr(name: str) -> str:
    return _tag(RR_NS, name)


LEI_RECORD, RR_RECORD = _lei("LEIRecord"), _rr("RelationshipRecord")
CONTAINERS = {_lei("LEIRecords"), _rr("RelationshipRecords")}
HEADERS = {_lei("LEIHeader"): _lei("ContentDate"), _rr("Header"): _rr("ContentDate")}
ROOTS = {_lei("LEIData"): "lei", _rr("RelationshipData"): "rr"}
#: The elements that name the record being read, for error messages: its LEI, or its child's.
NAMING = {_lei("LEI"), _rr("NodeID")}


def sniff(head: bytes) -> bool:
    """Whether the first bytes are GLEIF golden-copy XML: an LEI-CDF, RR-CDF (or reporting-exception) root element."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return False
    return _ROOT.search(text) is not None and any(ns.encode() in text for ns in (LEI_NS, RR_NS, REPEX_NS))


def read(path, *, progress=None) -> Iterator[tuple]:
    """The triples of a GLEIF LEI-CDF or RR-CDF XML file, streamed; an InputError names the file (and record)."""
    reading = _Reading(Path(path))
    yield from reading.triples(progress)
    if reading.skipped:
        counts = ", ".join(f"{what} {n}" for what, n in sorted(reading.skipped.items()))
        warnings.warn(
            f"{path}: {sum(reading.skipped.values())} GLEIF relationship record(s) that are not accounting consolidation "
            f"were skipped ({counts})",
            KgWarning,
            stacklevel=2,
        )


READER = OwnershipReader(name="gleif", label="GLEIF golden copy (LEI-CDF / RR-CDF XML)", suffixes=(), sniff=sniff, read=read)


# --- reading the XML ---------------------------------------------------------------------------


class _Counting:
    """A binary file that tells ``progress`` how many bytes each read took."""

    def __init__(self, handle, progress) -> None:
        self.handle, self.progress = handle, progress

    def read(self, size=-1) -> bytes:
        data = self.handle.read(size)
        self.progress(len(data))
        return data


class _Reading:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.content_date: Literal | None = None
        self.record: str | None = None  # the LEI naming the record being read, for errors
        self.record_kind = "record of LEI {}"
        self.skipped: Counter = Counter()

    def fail(self, message: str, line: int | None = None):
        where = f"{self.path}:{line}" if line else str(self.path)
        record = f" (in the {self.record_kind.format(self.record)})" if self.record and self.record not in message else ""
        raise InputError(f"{where}: {message}{record}")

    def triples(self, progress) -> Iterator[tuple]:
        import defusedxml
        from defusedxml.ElementTree import DefusedXMLParser, iterparse

        parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        with handle:
            events = iterparse(_Counting(handle, progress) if progress else handle, events=("start", "end"), parser=parser)
            try:
                yield from self._walk(events)
            except ParseError as exc:
                line = exc.position[0] if getattr(exc, "position", None) else None
                self.fail(f"not valid XML: {_message(exc)}", line)
            except defusedxml.DTDForbidden:
                self.fail(
                    "refused: the file declares a DTD; kg reads GLEIF XML with no DTD and expands no entity "
                    "(nested entities make a small file gigabytes long, external ones reach the network)",
                    _line(parser),
                )
            except defusedxml.EntitiesForbidden as exc:
                self.fail(f"refused: the file declares the XML entity {exc.name!r}; kg expands no XML entity", _line(parser))
            except defusedxml.DefusedXmlException as exc:
                self.fail(f"refused: {exc}; kg reads no external XML", _line(parser))
            except OSError as exc:
                self.fail(f"cannot read: {exc.strerror or exc}")

    def _walk(self, events) -> Iterator[tuple]:
        root = container = kind = None
        for event, elem in events:
            tag = elem.tag
            if event == "start":
                if root is None:
                    root, kind = elem, self._kind(tag)
                elif tag in CONTAINERS:
                    container = elem
                elif tag == LEI_RECORD or tag == RR_RECORD:
                    self.record = None
                    self.record_kind = "LEI record {}" if tag == LEI_RECORD else "relationship record of the child {}"
                continue
            if tag in NAMING and self.record is None:
                self.record = (elem.text or "").strip() or None
            elif tag == LEI_RECORD or tag == RR_RECORD:
                yield from (self._lei_record(elem) if tag == LEI_RECORD else self._rr_record(elem))
                self.record = None
                # Drop the record: the parent keeps no child, so memory stays flat however long the file.
                (container if container is not None else root).clear()
            elif tag in HEADERS:
                self.content_date = _date(elem.findtext(HEADERS[tag]))
        if kind is None:
            self.fail("not GLEIF XML: the file has no root element")

    def _kind(self, tag: str) -> str:
        if tag in ROOTS:
            return ROOTS[tag]
        if tag == _tag(REPEX_NS, "ReportingExceptionData"):
            self.fail("a GLEIF reporting-exception file; kg reads LEI records (LEI-CDF) and relationship records (RR-CDF) only")
        self.fail(f"not GLEIF golden-copy XML: the root element is {tag!r}, not LEIData ({LEI_NS}) or RelationshipData ({RR_NS})")

    def check_lei(self, value: str | None, what: str) -> str:
        try:
            return normalise_identifier(LEI, value or "")[1]
        except IdentifierError as exc:
            self.fail(f"{what}: {exc}")

    # --- LEI records -----------------------------------------------------------------------------

    def _lei_record(self, record) -> Iterator[tuple]:
        lei = self.check_lei(record.findtext(_lei("LEI")), "an LEI record")
        self.record = lei
        entity = _child(record, _lei("Entity"))
        registration = _child(record, _lei("Registration"))
        agent = DATA[f"lei-{lei}"]
        name = _text(entity, "LegalName") or lei
        yield from _organization(agent, lei, name)
        jurisdiction = _text(entity, "LegalJurisdiction")
        if jurisdiction:
            match = _JURISDICTION.fullmatch(jurisdiction)
            yield agent, KG.country, Literal(match.group(1) if match else jurisdiction)
        founded = _date(_text(entity, "EntityCreationDate"))
        if founded is not None:
            yield agent, KG.foundingDate, founded
        status = _text(registration, "RegistrationStatus")
        facts = [
            ("entity status", _text(entity, "EntityStatus")),
            ("LEI registration status", status),
            ("legal jurisdiction", jurisdiction),
            ("entity category", _text(entity, "EntityCategory")),
            ("legal form", _text(_child(entity, _lei("LegalForm")), "EntityLegalFormCode")),
            ("expired", _day(_text(entity, "EntityExpirationDate"))),
            ("expiration reason", _text(entity, "EntityExpirationReason")),
            ("successor LEI", _text(_child(entity, _lei("SuccessorEntity")), "SuccessorLEI")),
        ]
        yield agent, DCTERMS.description, Literal("In GLEIF's LEI data: " + _facts(facts) + ".", lang=PROSE)
        source = SOURCE[f"gleif-lei-{lei}"]
        yield agent, DCTERMS.source, source
        yield from self._source(source, f"GLEIF LEI record {lei}", lei, lei, registration, _lei)

    # --- relationship records --------------------------------------------------------------------

    def _rr_record(self, record) -> Iterator[tuple]:
        relationship = _child(record, _rr("Relationship"))
        registration = _child(record, _rr("Registration"))
        nodes = [_child(relationship, _rr(end)) for end in ("StartNode", "EndNode")]
        kind = _text(relationship, "RelationshipType", _rr) or "no RelationshipType"
        types = {_text(node, "NodeIDType", _rr) for node in nodes}
        registration_status = _text(registration, "RegistrationStatus", _rr)
        if kind not in CONSOLIDATION:
            self.skipped[kind] += 1
            return
        if types != {"LEI"}:
            self.skipped[f"{kind} between nodes that are not LEIs"] += 1
            return
        if registration_status in SKIPPED_RECORDS:
            self.skipped[f"{kind} {registration_status}"] += 1
            return
        child = self.check_lei(_text(nodes[0], "NodeID", _rr), "a relationship's child (StartNode)")
        self.record = child
        parent = self.check_lei(_text(nodes[1], "NodeID", _rr), "a relationship's parent (EndNode)")
        word, direct = CONSOLIDATION[kind]
        child_agent, parent_agent = DATA[f"lei-{child}-rr"], DATA[f"lei-{parent}-rr"]
        for lei, agent in ((child, child_agent), (parent, parent_agent)):
            yield from _organization(agent, lei, lei)
            yield agent, DCTERMS.description, Literal(
                f"The legal entity a GLEIF relationship record names by its LEI {lei}; its legal name is in its LEI record.", lang=PROSE
            )
        claim = CLAIM[f"gleif-{child}-{word}-{parent}"]
        yield claim, RDF.type, KG.Control
        yield claim, KG.controller, parent_agent
        yield claim, KG.controlledEntity, child_agent
        yield claim, KG.controlBasis, KG.AccountingConsolidation
        yield claim, KG.direct, Literal(direct)
        periods = self._periods(relationship)
        start, end = periods.pop("RELATIONSHIP_PERIOD", (None, None))
        if start is not None:
            yield claim, KG.startDate, start
        if end is not None:
            yield claim, KG.endDate, end
        relationship_status = _text(relationship, "RelationshipStatus", _rr)
        if (relationship_status in ENDED or registration_status in ENDED_RECORDS) and end is None:
            yield claim, KG.stage, KG.Terminated  # it has ended, GLEIF does not say when: it never counts
        facts = [("relationship status", relationship_status)]
        facts += [(_words(name), _span(s, e)) for name, (s, e) in sorted(periods.items())]
        for qualifier in _children(_child(relationship, _rr("RelationshipQualifiers")), _rr("RelationshipQualifier")):
            facts.append((_words(_text(qualifier, "QualifierDimension", _rr) or "qualifier"), _text(qualifier, "QualifierCategory", _rr)))
        yield claim, RDFS.comment, Literal(f"GLEIF relationship {kind}: " + _facts(facts) + ".", lang=PROSE)
        if registration_status in DENIED_RECORDS:
            status = STATUS_IRIS["denied"]
        elif registration_status == "PENDING_VALIDATION":
            status = STATUS_IRIS["reported"]
        else:
            status = STATUS_IRIS["confirmed" if _text(registration, "ValidationSources", _rr) == "FULLY_CORROBORATED" else "reported"]
        source = SOURCE[f"gleif-rr-{child}-{word}-{parent}"]
        attestation = BNode(f"gleif-{child}-{word}-{parent}-{status.rsplit('#', 1)[-1].lower()}")
        yield claim, KG.attestation, attestation
        yield attestation, RDF.type, KG.Attestation
        yield attestation, KG.source, source
        yield attestation, KG.status, status
        title = f"GLEIF relationship record: {child} {kind} {parent}"
        yield from self._source(source, title, f"{child}/{kind}/{parent}", child, registration, _rr)
        reference = _text(registration, "ValidationReference", _rr)
        if reference and _is_web_address(reference):
            yield source, RDFS.seeAlso, URIRef(reference)

    def _periods(self, relationship) -> dict:
        """Each period type's (start, end) as dates; the first period of each type."""
        periods: dict = {}
        for period in _children(_child(relationship, _rr("RelationshipPeriods")), _rr("RelationshipPeriod")):
            kind = _text(period, "PeriodType", _rr) or "period"
            bounds = []
            for bound in ("StartDate", "EndDate"):
                text = _text(period, bound, _rr)
                value = _date(text)
                if text and value is None:
                    self.fail(f"the {kind} {bound} {text!r} is not a date")
                bounds.append(value)
            periods.setdefault(kind, tuple(bounds))
        return periods

    def _source(self, source, title, record_id, lei, registration, ns) -> Iterator[tuple]:
        validation = _text(registration, "ValidationSources", ns)
        yield source, RDF.type, KG.Source
        yield source, DCTERMS.title, Literal(title, lang=PROSE)
        yield source, KG.recordId, Literal(record_id)
        yield source, DCTERMS.publisher, PUBLISHER
        yield source, DCTERMS.source, URIRef(RECORD_PAGE + lei)
        yield source, DCTERMS.license, CC0
        if validation in SOURCE_TYPES:
            yield source, KG.sourceType, Literal(SOURCE_TYPES[validation])
        if self.content_date is not None:
            yield source, KG.retrievedOn, self.content_date
        for prop, element in ((DCTERMS.created, "InitialRegistrationDate"), (DCTERMS.modified, "LastUpdateDate")):
            value = _date(_text(registration, element, ns))
            if value is not None:
                yield source, prop, value
        facts = [
            ("Registration status", _text(registration, "RegistrationStatus", ns)),
            ("validation sources", validation),
            ("validation documents", _text(registration, "ValidationDocuments", ns)),
            ("validation reference", _text(registration, "ValidationReference", ns)),
            ("managing LOU", _text(registration, "ManagingLOU", ns)),
            ("next renewal", _day(_text(registration, "NextRenewalDate", ns))),
        ]
        yield source, RDFS.comment, Literal(_facts(facts) + ".", lang=PROSE)


def _organization(agent, lei: str, name: str) -> Iterator[tuple]:
    identifier = identifier_iri(LEI, lei)
    yield agent, RDF.type, KG.Organization
    yield agent, RDFS.label, Literal(name)
    yield agent, KG.identifier, identifier
    yield identifier, RDF.type, KG.Identifier
    yield identifier, KG.identifierScheme, Literal(LEI)
    yield identifier, KG.identifierValue, Literal(lei)


# --- small readers of XML elements ------------------------------------------------------------

_EMPTY = ()


def _child(elem, tag):
    return elem.find(tag) if elem is not None else None


def _children(elem, tag):
    return elem.iterfind(tag) if elem is not None else _EMPTY


def _text(elem, name: str, ns=_lei) -> str | None:
    if elem is None:
        return None
    text = elem.findtext(ns(name))
    return " ".join(text.split()) if text else None


def _day(text: str | None) -> str | None:
    """The day of a GLEIF date-time as written (``2018-01-01T00:00:00+01:00`` is 2018-01-01, its local day)."""
    return text[:10] if text else None


def _date(text: str | None) -> Literal | None:
    day = _day(text)
    if not day or len(day) != 10:
        return None
    literal = date_literal(day)
    return literal if literal is not None and literal.datatype == XSD.date else None


def _span(start: Literal | None, end: Literal | None) -> str:
    return f"{start or '…'} to {end or '…'}"


def _words(code: str) -> str:
    """``ACCOUNTING_PERIOD`` as "accounting period"."""
    return code.lower().replace("_", " ")


def _facts(pairs) -> str:
    return "; ".join(f"{name} {value}" for name, value in pairs if value)


def _is_web_address(text: str) -> bool:
    from kg.entities import is_iri

    return text.startswith(("http://", "https://")) and is_iri(text)


def _line(parser) -> int | None:
    return getattr(getattr(parser, "parser", None), "CurrentLineNumber", None)


def _message(exc: ParseError) -> str:
    return re.sub(r": line \d+, column \d+$", "", str(exc))
