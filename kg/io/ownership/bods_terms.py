"""BODS 0.4 terms beside kg's: the one table the BODS reader and writer both follow.

A relationship's interest becomes one claim: ``shareholding`` and ``votingRights``
an Ownership (with its share), every other interest type a Control whose basis
says how. A statement's source types give the attestation's
status: an official register or a verified statement confirms, any other reports.
"""

from __future__ import annotations

import urllib.parse

from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS

from kg.entities import is_iri
from kg.vocab import CLAIM, DATA, KG, SOURCE

BODS_VERSION = "0.4"
RECORD_TYPES = ("entity", "person", "relationship")

#: Interest types that are a part of the subject: an ownership of its shares or of its voting rights.
OWNERSHIP_INTERESTS = {"shareholding": KG.Shareholding, "votingRights": KG.VotingRights}
INTEREST_OF_OWNERSHIP = {term: name for name, term in OWNERSHIP_INTERESTS.items()}
#: The control basis of the interest types that say how control is held; every other one
#: (otherInfluenceOrControl, seniorManagingOfficial, trustee, unknownInterest, none given...) is other influence.
CONTROL_BASES = {"appointmentOfBoard": KG.BoardAppointment}
#: Interest types that are a seat or a post, not control: a board member is no controller (and the
#: interlock rules read board seats and officers' posts as affiliations).
AFFILIATION_INTERESTS = {"boardMember": KG.BoardSeat, "boardChair": KG.BoardSeat, "seniorManagingOfficial": KG.Officer}
INTEREST_OF_AFFILIATION = {KG.BoardSeat: "boardMember", KG.Officer: "seniorManagingOfficial"}
#: The role title kg keeps for each, as BODS words it.
ROLE_TITLES = {"boardMember": "board member", "boardChair": "board chair", "seniorManagingOfficial": "senior managing official"}
OTHER_BASIS = KG.OtherInfluence
#: The interest type kg writes for each control basis.
INTEREST_OF_BASIS = {
    KG.Shareholding: "shareholding",
    KG.VotingRights: "votingRights",
    KG.BoardAppointment: "appointmentOfBoard",
    KG.OtherInfluence: "otherInfluenceOrControl",
    KG.AccountingConsolidation: "otherInfluenceOrControl",
}
#: ``directOrIndirect`` as kg:direct; "unknown" (or nothing) says nothing.
DIRECTNESS = {"direct": True, "indirect": False}

#: Source types that make a statement confirm its claims; the others report them.
CONFIRMING_SOURCE_TYPES = frozenset({"officialRegister", "verified"})
SOURCE_TYPES = ("selfDeclaration", "officialRegister", "thirdParty", "primaryResearch", "verified")

#: Why a party is not named (BODS's unspecifiedReason codelist); the two exemptions withhold a known identity.
UNSPECIFIED_REASONS = (
    "noBeneficialOwners",
    "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "interestedPartyHasNotProvidedInformation",
    "subjectExemptFromDisclosure",
    "interestedPartyExemptFromDisclosure",
    "unknown",
    "informationUnknownToPublisher",
)
WITHHELD_REASONS = frozenset({"subjectExemptFromDisclosure", "interestedPartyExemptFromDisclosure"})
#: The reason kg records for an anonymous or unknown person or entity whose statement gives none.
REASON_NOT_GIVEN = "unknown"
#: What kg calls a party BODS does not name (its personType or entityType), and one it names only by a reason.
UNNAMED_KINDS = {
    "anonymousPerson": "anonymous person",
    "unknownPerson": "unknown person",
    "anonymousEntity": "anonymous entity",
    "unknownEntity": "unknown entity",
}
UNSPECIFIED_PARTY = "unspecified party"


def status_of(source_types) -> URIRef:
    """kg:Confirmed when a source type is an official register or verified, else kg:Reported."""
    return KG.Confirmed if CONFIRMING_SOURCE_TYPES.intersection(source_types) else KG.Reported


def unnamed_label(kind: str, reason: str | None) -> str:
    """The name kg shows for a party BODS does not name: what it is, and why it is not named.

    Every agent needs a name to show (SHACL); this one says what BODS says and invents none.
    """
    return kind if reason in (None, REASON_NOT_GIVEN) else f"{kind} ({reason})"


def _kept(record_id: str) -> bool:
    """A record id that is one of kg's own data IRIs (as kg's BODS writer writes them) names that node again."""
    return record_id.startswith(str(DATA)) and is_iri(record_id)


def agent_iri(record_id: str) -> URIRef:
    """The agent of an entity or person record: kg's own IRI when the record id is one, else minted from the id."""
    return URIRef(record_id) if _kept(record_id) else DATA["bods/" + urllib.parse.quote(record_id, safe="")]


def claim_iri(record_id: str, number: int = 1) -> URIRef:
    """The claim of a relationship record's ``number``-th interest (from 1); the first is the record's own."""
    base = record_id if _kept(record_id) else str(CLAIM["bods/" + urllib.parse.quote(record_id, safe="")])
    return URIRef(base if number == 1 else f"{base}/interest-{number}")


def party_iri(record_id: str, role: str) -> URIRef:
    """An unspecified party a relationship names inline (role "subject" or "interested-party")."""
    return URIRef(f"{agent_iri(record_id)}/{role}")


def source_iri(statement_id: str) -> URIRef:
    """The source of a statement, named by its statement id (unique in the world, BODS says)."""
    return SOURCE["bods/" + urllib.parse.quote(statement_id, safe="")]


class Terms:
    """The terms the reader writes, looked up once: an rdflib namespace makes a new term at each access,
    which a million statements feel."""

    type, label, comment = RDF.type, RDFS.label, RDFS.comment
    dc_date = DCTERMS.date
    dc_description = DCTERMS.description
    dc_license = DCTERMS.license
    dc_publisher = DCTERMS.publisher
    dc_source = DCTERMS.source
    dc_title = DCTERMS.title
    Affiliation = KG.Affiliation
    Agent = KG.Agent
    Attestation = KG.Attestation
    Control = KG.Control
    Identifier = KG.Identifier
    Organization = KG.Organization
    Ownership = KG.Ownership
    Person = KG.Person
    Source = KG.Source
    affiliate = KG.affiliate
    affiliatedOrganization = KG.affiliatedOrganization
    affiliationKind = KG.affiliationKind
    attestation = KG.attestation
    componentOf = KG.componentOf
    controlBasis = KG.controlBasis
    controlledEntity = KG.controlledEntity
    controller = KG.controller
    country = KG.country
    direct = KG.direct
    endDate = KG.endDate
    foundingDate = KG.foundingDate
    identifier = KG.identifier
    identifierScheme = KG.identifierScheme
    identifierValue = KG.identifierValue
    interestType = KG.interestType
    ownedEntity = KG.ownedEntity
    owner = KG.owner
    recordId = KG.recordId
    roleTitle = KG.roleTitle
    retrievedOn = KG.retrievedOn
    source = KG.source
    sourceType = KG.sourceType
    startDate = KG.startDate
    status = KG.status
    unspecifiedReason = KG.unspecifiedReason

