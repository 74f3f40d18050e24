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
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError, TreeBuilder

from rdflib import RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_literal
from kg.entities import is_iri
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

#: The relationship types kg reads, as (word in the claim's IRI, kg:direct).
CONSOLIDATION = {
    "IS_DIRECTLY_CONSOLIDATED_BY": ("direct-parent", Literal(True)),
    "IS_ULTIMATELY_CONSOLIDATED_BY": ("ultimate-parent", Literal(False)),
}
#: ValidationSources -> the source type (BODS's codes: verified sources count as confirmed, as docs/registers.md says).
SOURCE_TYPES = {
    "FULLY_CORROBORATED": Literal("verified"),
    "PARTIALLY_CORROBORATED": Literal("selfDeclaration"),
    "ENTITY_SUPPLIED_ONLY": Literal("selfDeclaration"),
}
ENDED = {"INACTIVE"}  # RelationshipStatus values that say the relationship has ended
ENDED_RECORDS = {"RETIRED"}  # RegistrationStatus values that say so too
DENIED_RECORDS = {"ANNULLED"}  # records GLEIF found erroneous after publishing them
SKIPPED_RECORDS = {"DUPLICATE"}  # non-surviving duplicates of another record
CONFIRMED, REPORTED, DENIED = STATUS_IRIS["confirmed"], STATUS_IRIS["reported"], STATUS_IRIS["denied"]
#: How many agents named by relationship records are remembered, so that each is written once while
#: its records are near one another (a bound, so memory stays flat; one written again is harmless).
RECENT_AGENTS = 8_192

# The ontology's terms, looked up once (a namespace's attribute look-up costs more than the triple).
TYPE, LABEL, COMMENT, SEE_ALSO = RDF.type, RDFS.label, RDFS.comment, RDFS.seeAlso
TITLE, DESCRIPTION, PUBLISHER_OF, LICENSE, URL, CREATED, MODIFIED = (
    DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCTERMS.license, DCTERMS.source, DCTERMS.created, DCTERMS.modified,
)
K = {
    name: KG[name]
    for name in (
        "Organization", "Identifier", "identifier", "identifierScheme", "identifierValue", "country", "foundingDate",
        "Control", "controller", "controlledEntity", "controlBasis", "AccountingConsolidation", "direct", "startDate",
        "endDate", "stage", "Terminated", "attestation", "Attestation", "source", "status", "Source", "recordId",
        "sourceType", "retrievedOn",
    )
}
LEI_SCHEME = Literal(LEI)

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(LEIData|RelationshipData|ReportingExceptionData)[\s/>]")
_JURISDICTION = re.compile(r"([A-Z]{2})(?:-[A-Z0-9]{1,3})?")


def _tags(ns: str, names: str) -> dict[str, str]:
    return {name: f"{{{ns}}}{name}" for name in names.split()}


L = _tags(
    LEI_NS,
    "LEIData LEIHeader ContentDate LEIRecords LEIRecord LEI Entity LegalName LegalJurisdiction EntityCategory LegalForm "
    "EntityLegalFormCode EntityStatus EntityCreationDate EntityExpirationDate EntityExpirationReason SuccessorEntity "
    "SuccessorLEI Registration InitialRegistrationDate LastUpdateDate RegistrationStatus NextRenewalDate ManagingLOU "
    "ValidationSources ValidationDocuments ValidationReference",
)
R = _tags(
    RR_NS,
    "RelationshipData Header ContentDate RelationshipRecords RelationshipRecord Relationship StartNode EndNode NodeID "
    "NodeIDType RelationshipType RelationshipPeriods RelationshipPeriod StartDate EndDate PeriodType RelationshipStatus "
    "RelationshipQualifiers RelationshipQualifier QualifierDimension QualifierCategory Registration "
    "InitialRegistrationDate LastUpdateDate RegistrationStatus NextRenewalDate ManagingLOU ValidationSources "
    "ValidationDocuments ValidationReference",
)
LEI_RECORD, RR_RECORD = L["LEIRecord"], R["RelationshipRecord"]
CONTAINERS = {L["LEIRecords"], R["RelationshipRecords"]}
HEADERS = {L["LEIHeader"]: L["ContentDate"], R["Header"]: R["ContentDate"]}
ROOTS = {L["LEIData"], R["RelationshipData"]}
#: The elements that name the record being read, for error messages: its LEI, or its child's.
NAMING = {L["LEI"], R["NodeID"]}


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
        self.recent: dict = {}  # agents of relationship records written lately (least recently named first)

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
        root = container = None
        for event, elem in events:
            tag = elem.tag
            if event == "start":
                if root is None:
                    root = elem
                    self._check_root(tag)
                elif tag in CONTAINERS:
                    container = elem
                elif tag == LEI_RECORD or tag == RR_RECORD:
                    self.record = None
                    self.record_kind = "LEI record {}" if tag == LEI_RECORD else "relationship record of the child {}"
                continue
            if tag in NAMING:
                if self.record is None:
                    self.record = (elem.text or "").strip() or None
            elif tag == LEI_RECORD or tag == RR_RECORD:
                yield from (self._lei_record(elem) if tag == LEI_RECORD else self._rr_record(elem))
                self.record = None
                # Drop the record: the parent keeps no child, so memory stays flat however long the file.
                (container if container is not None else root).clear()
            elif tag in HEADERS:
                self.content_date = _date(elem.findtext(HEADERS[tag]))
        if root is None:
            self.fail("not GLEIF XML: the file has no root element")

    def _check_root(self, tag: str) -> None:
        if tag in ROOTS:
            return
        if tag == f"{{{REPEX_NS}}}ReportingExceptionData":
            self.fail("a GLEIF reporting-exception file; kg reads LEI records (LEI-CDF) and relationship records (RR-CDF) only")
        self.fail(f"not GLEIF golden-copy XML: the root element is {tag!r}, not LEIData ({LEI_NS}) or RelationshipData ({RR_NS})")

    def check_lei(self, value: str | None, what: str) -> str:
        lei, problem = _normal_lei(value or "")
        if problem:
            self.fail(f"{what}: {problem}")
        return lei

    # --- LEI records -----------------------------------------------------------------------------

    def _lei_record(self, record) -> Iterator[tuple]:
        lei = self.check_lei(record.findtext(L["LEI"]), "an LEI record")
        self.record = lei
        entity, registration = record.find(L["Entity"]), record.find(L["Registration"])
        agent = DATA[f"lei-{lei}"]
        yield from _organization(agent, lei, _text(entity, L["LegalName"]) or lei)
        jurisdiction = _text(entity, L["LegalJurisdiction"])
        if jurisdiction:
            match = _JURISDICTION.fullmatch(jurisdiction)
            yield agent, K["country"], Literal(match.group(1) if match else jurisdiction)
        founded = _date(_text(entity, L["EntityCreationDate"]))
        if founded is not None:
            yield agent, K["foundingDate"], founded
        facts = [
            ("entity status", _text(entity, L["EntityStatus"])),
            ("LEI registration status", _text(registration, L["RegistrationStatus"])),
            ("legal jurisdiction", jurisdiction),
            ("entity category", _text(entity, L["EntityCategory"])),
            ("legal form", _text(_find(entity, L["LegalForm"]), L["EntityLegalFormCode"])),
            ("expired", _day(_text(entity, L["EntityExpirationDate"]))),
            ("expiration reason", _text(entity, L["EntityExpirationReason"])),
            ("successor LEI", _text(_find(entity, L["SuccessorEntity"]), L["SuccessorLEI"])),
        ]
        yield agent, DESCRIPTION, Literal("In GLEIF's LEI data: " + _facts(facts) + ".", lang=PROSE)
        source = SOURCE[f"gleif-lei-{lei}"]
        yield agent, URL, source
        yield from self._source(source, f"GLEIF LEI record {lei}", lei, lei, registration, L)

    # --- relationship records --------------------------------------------------------------------

    def _rr_record(self, record) -> Iterator[tuple]:
        relationship, registration = record.find(R["Relationship"]), record.find(R["Registration"])
        start_node, end_node = _find(relationship, R["StartNode"]), _find(relationship, R["EndNode"])
        kind = _text(relationship, R["RelationshipType"]) or "no RelationshipType"
        registration_status = _text(registration, R["RegistrationStatus"])
        if kind not in CONSOLIDATION:
            self.skipped[kind] += 1
            return
        if _text(start_node, R["NodeIDType"]) != "LEI" or _text(end_node, R["NodeIDType"]) != "LEI":
            self.skipped[f"{kind} between nodes that are not LEIs"] += 1
            return
        if registration_status in SKIPPED_RECORDS:
            self.skipped[f"{kind} {registration_status}"] += 1
            return
        child = self.check_lei(_text(start_node, R["NodeID"]), "a relationship's child (StartNode)")
        self.record = child
        parent = self.check_lei(_text(end_node, R["NodeID"]), "a relationship's parent (EndNode)")
        word, direct = CONSOLIDATION[kind]
        child_agent, parent_agent = DATA[f"lei-{child}-rr"], DATA[f"lei-{parent}-rr"]
        for lei, agent in ((child, child_agent), (parent, parent_agent)):
            yield from self._named_agent(agent, lei)
        claim = CLAIM[f"gleif-{child}-{word}-{parent}"]
        yield claim, TYPE, K["Control"]
        yield claim, K["controller"], parent_agent
        yield claim, K["controlledEntity"], child_agent
        yield claim, K["controlBasis"], K["AccountingConsolidation"]
        yield claim, K["direct"], direct
        periods = self._periods(relationship)
        start, end = periods.pop("RELATIONSHIP_PERIOD", (None, None))
        if start is not None:
            yield claim, K["startDate"], start
        if end is not None:
            yield claim, K["endDate"], end
        relationship_status = _text(relationship, R["RelationshipStatus"])
        if (relationship_status in ENDED or registration_status in ENDED_RECORDS) and end is None:
            yield claim, K["stage"], K["Terminated"]  # it has ended, GLEIF does not say when: it never counts
        facts = [("relationship status", relationship_status)]
        facts += [(_words(name), _span(s, e)) for name, (s, e) in sorted(periods.items())]
        for qualifier in _iterfind(_find(relationship, R["RelationshipQualifiers"]), R["RelationshipQualifier"]):
            facts.append((_words(_text(qualifier, R["QualifierDimension"]) or "qualifier"), _text(qualifier, R["QualifierCategory"])))
        yield claim, COMMENT, Literal(f"GLEIF relationship {kind}: " + _facts(facts) + ".", lang=PROSE)
        if registration_status in DENIED_RECORDS:
            status = DENIED
        elif registration_status == "PENDING_VALIDATION":
            status = REPORTED
        else:
            status = CONFIRMED if _text(registration, R["ValidationSources"]) == "FULLY_CORROBORATED" else REPORTED
        source = SOURCE[f"gleif-rr-{child}-{word}-{parent}"]
        attestation = BNode(f"gleif-{child}-{word}-{parent}-{status.rsplit('#', 1)[-1].lower()}")
        yield claim, K["attestation"], attestation
        yield attestation, TYPE, K["Attestation"]
        yield attestation, K["source"], source
        yield attestation, K["status"], status
        title = f"GLEIF relationship record: {child} {kind} {parent}"
        yield from self._source(source, title, f"{child}/{kind}/{parent}", child, registration, R)
        reference = _text(registration, R["ValidationReference"])
        if reference and reference.startswith(("http://", "https://")) and is_iri(reference):
            yield source, SEE_ALSO, URIRef(reference)

    def _named_agent(self, agent, lei: str) -> Iterator[tuple]:
        """The organization a relationship record names by its LEI, labelled by the LEI; once while it is recent."""
        if agent in self.recent:
            self.recent[agent] = self.recent.pop(agent)  # the most recent now
            return
        if len(self.recent) >= RECENT_AGENTS:
            del self.recent[next(iter(self.recent))]
        self.recent[agent] = True
        yield from _organization(agent, lei, lei)
        yield agent, DESCRIPTION, Literal(
            f"The legal entity a GLEIF relationship record names by its LEI {lei}; its legal name is in its LEI record.", lang=PROSE
        )

    def _periods(self, relationship) -> dict:
        """Each period type's (start, end) as dates; the first period of each type."""
        periods: dict = {}
        for period in _iterfind(_find(relationship, R["RelationshipPeriods"]), R["RelationshipPeriod"]):
            kind = _text(period, R["PeriodType"]) or "period"
            bounds = []
            for bound in ("StartDate", "EndDate"):
                text = _text(period, R[bound])
                value = _date(text)
                if text and value is None:
                    self.fail(f"the {kind} {bound} {text!r} is not a date")
                bounds.append(value)
            periods.setdefault(kind, tuple(bounds))
        return periods

    def _source(self, source, title: str, record_id: str, lei: str, registration, tags: dict) -> Iterator[tuple]:
        validation = _text(registration, tags["ValidationSources"])
        yield source, TYPE, K["Source"]
        yield source, TITLE, Literal(title, lang=PROSE)
        yield source, K["recordId"], Literal(record_id)
        yield source, PUBLISHER_OF, PUBLISHER
        yield source, URL, URIRef(RECORD_PAGE + lei)
        yield source, LICENSE, CC0
        if validation in SOURCE_TYPES:
            yield source, K["sourceType"], SOURCE_TYPES[validation]
        if self.content_date is not None:
            yield source, K["retrievedOn"], self.content_date
        for prop, element in ((CREATED, "InitialRegistrationDate"), (MODIFIED, "LastUpdateDate")):
            value = _date(_text(registration, tags[element]))
            if value is not None:
                yield source, prop, value
        facts = [
            ("Registration status", _text(registration, tags["RegistrationStatus"])),
            ("validation sources", validation),
            ("validation documents", _text(registration, tags["ValidationDocuments"])),
            ("validation reference", _text(registration, tags["ValidationReference"])),
            ("managing LOU", _text(registration, tags["ManagingLOU"])),
            ("next renewal", _day(_text(registration, tags["NextRenewalDate"]))),
        ]
        yield source, COMMENT, Literal(_facts(facts) + ".", lang=PROSE)


def _organization(agent, lei: str, name: str) -> Iterator[tuple]:
    identifier = identifier_iri(LEI, lei)
    yield agent, TYPE, K["Organization"]
    yield agent, LABEL, Literal(name)
    yield agent, K["identifier"], identifier
    yield identifier, TYPE, K["Identifier"]
    yield identifier, K["identifierScheme"], LEI_SCHEME
    yield identifier, K["identifierValue"], Literal(lei)


@lru_cache(maxsize=8_192)
def _normal_lei(value: str) -> tuple[str, str | None]:
    """An LEI as kg writes it, checked (ISO 17442), or what is wrong with it; LEIs recur, so they are remembered."""
    try:
        return normalise_identifier(LEI, value)[1], None
    except IdentifierError as exc:
        return value, str(exc)


# --- small readers of XML elements ------------------------------------------------------------


def _find(elem, tag):
    return elem.find(tag) if elem is not None else None


def _iterfind(elem, tag):
    return elem.iterfind(tag) if elem is not None else ()


def _text(elem, tag: str) -> str | None:
    if elem is None:
        return None
    text = elem.findtext(tag)
    return text.strip() or None if text else None


def _day(text: str | None) -> str | None:
    """The day of a GLEIF date-time as written (``2018-01-01T00:00:00+01:00`` is 2018-01-01, its local day)."""
    return text[:10] if text else None


def _date(text: str | None) -> Literal | None:
    return _date_of_day(text[:10]) if text else None


@lru_cache(maxsize=4_096)
def _date_of_day(day: str) -> Literal | None:
    """``YYYY-MM-DD`` as an xsd:date literal (days recur: each is made once); None if it is not a day."""
    literal = date_literal(day) if len(day) == 10 else None
    return literal if literal is not None and literal.datatype == XSD.date else None


def _span(start: Literal | None, end: Literal | None) -> str:
    return f"{start or '…'} to {end or '…'}"


def _words(code: str) -> str:
    """``ACCOUNTING_PERIOD`` as "accounting period"."""
    return code.lower().replace("_", " ")


def _facts(pairs) -> str:
    return "; ".join(f"{name} {value}" for name, value in pairs if value)


def _line(parser) -> int | None:
    return getattr(getattr(parser, "parser", None), "CurrentLineNumber", None)


def _message(exc: ParseError) -> str:
    return re.sub(r": line \d+, column \d+$", "", str(exc))
