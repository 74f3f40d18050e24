"""What FollowTheMoney's schemata mean in kg's model, one table for the reader and the writer.

The reader (``ftm_read``) and the writer (``ftm_write``) take every mapping from here,
so that what kg writes as FtM it reads back as the same claims.
"""

from __future__ import annotations

import base64
import re
from typing import NamedTuple
from urllib.parse import quote

from rdflib import URIRef

from kg.errors import InputError, KgError
from kg.vocab import CLAIM, DATA, KG, SOURCE

#: The ``followthemoney`` releases kg reads and writes (4.11 brought the Control schema).
REQUIREMENT = "followthemoney>=4.11,<5"
INSTALL_HINT = "pip install 'kg-compute[ftm]' (Python 3.11 or later)"


def library(error: type[KgError] = InputError):
    """The followthemoney package, imported when a file needs it (never when kg starts): its model and registry.

    Raises ``error`` in one line when the package is missing or too old for the Control schema.
    """
    try:
        from followthemoney import model, registry
    except ImportError:
        raise error(f"FollowTheMoney files need the followthemoney package ({REQUIREMENT}): {INSTALL_HINT}") from None
    if model.get("Control") is None:
        raise error(f"this followthemoney has no Control schema; kg needs {REQUIREMENT}: {INSTALL_HINT}")
    return model, registry


#: FtM agent schemata and their kg class; any other descendant of LegalEntity is read by the first it is a kind of.
AGENT_CLASSES = (("Person", KG.Person), ("Organization", KG.Organization), ("LegalEntity", KG.Agent))


class Link(NamedTuple):
    """An FtM relationship schema kg reads as a claim: which property gives which role, and what kind of agent each must be."""

    cls: URIRef
    subject: str  # the FtM property of kg's subject role (owner, controller, affiliate)
    object: str  # the FtM property of kg's object role (owned, controlled entity, organization)
    subject_class: URIRef  # what kg's role requires: kg:Agent, kg:Person or kg:Organization
    object_class: URIRef


LINKS = {
    "Ownership": Link(KG.Ownership, "owner", "asset", KG.Agent, KG.Organization),
    "Control": Link(KG.Control, "controller", "controlled", KG.Agent, KG.Organization),
    "Directorship": Link(KG.Affiliation, "director", "organization", KG.Person, KG.Organization),
    "Employment": Link(KG.Affiliation, "employee", "employer", KG.Person, KG.Organization),
    "Membership": Link(KG.Affiliation, "member", "organization", KG.Person, KG.Organization),
}

#: FtM ``controlType`` words (the schema's examples, and what the writer puts) -> kg's control basis.
CONTROL_BASES = {
    "shareholding": KG.Shareholding,
    "voting": KG.VotingRights,
    "voting rights": KG.VotingRights,
    "appointment": KG.BoardAppointment,
    "board appointment": KG.BoardAppointment,
    "accounting consolidation": KG.AccountingConsolidation,
    "other influence": KG.OtherInfluence,
}
#: The word the writer gives each basis (the reader maps it back).
CONTROL_WORDS = {
    KG.Shareholding: "shareholding",
    KG.VotingRights: "voting",
    KG.BoardAppointment: "appointment",
    KG.AccountingConsolidation: "accounting consolidation",
    KG.OtherInfluence: "other influence",
}

#: Roles that make a Directorship an officer's post rather than a board seat (whole role, any case).
DIRECTORSHIP_OFFICER_ROLES = frozenset({"officer", "ceo", "cfo", "coo", "cto", "president", "secretary", "company secretary"})
#: Roles that make a Membership a board seat (a member of a board).
BOARD_ROLES = frozenset({"board member", "member of the board", "director", "non-executive director", "trustee"})
ADVISOR_ROLES = frozenset({"advisor", "adviser"})

#: Company registers by the FtM jurisdiction of a ``registrationNumber``: the org-id.guide list of that register.
#: Countries with several registers and no national one (the United States) or a code that is no kg
#: identifier scheme (Belgium's BE-BCE_KBO) are left out: their numbers are kept in the agent's comment.
REGISTERS = {
    "at": "AT-FB", "ca": "CA-CC", "ch": "CH-FDJP", "cy": "CY-DRCOR", "cz": "CZ-ICO", "de": "DE-CR",
    "dk": "DK-CVR", "ee": "EE-RIK", "es": "ES-RMC", "fi": "FI-PRO", "fr": "FR-RCS", "gb": "GB-COH",
    "gg": "GG-RCE", "hk": "HK-CR", "ie": "IE-CRO", "il": "IL-ROC", "im": "IM-CR", "in": "IN-MCA",
    "lu": "LU-RCS", "nl": "NL-KVK", "no": "NO-BRC", "pl": "PL-KRS", "se": "SE-ON", "sg": "SG-ACRA",
    "za": "ZA-CIP",
}
REGISTER_COUNTRIES = {scheme: country for country, scheme in REGISTERS.items()}
#: Identifier properties of FtM legal entities that name their scheme themselves.
SCHEMED_PROPERTIES = {"leiCode": "XI-LEI", "wikidataId": "WIKIDATA", "uscCode": "CN-USCI"}
PROPERTY_OF_SCHEME = {scheme: prop for prop, scheme in SCHEMED_PROPERTIES.items()}

#: What FtM accepts as the id of an entity another one points to (its ``entity`` type).
FTM_ID = re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?")
#: The ids kg gives a node whose own id FtM would refuse (an IRI outside kg's namespace, an id with "_"):
#: this prefix and the IRI in lower-case base32, which FtM accepts and the reader turns back into the IRI.
IRI_PREFIX = "kg-iri-"
_ENCODED = re.compile(re.escape(IRI_PREFIX) + r"([a-z2-7]+)")


def encode_iri(iri: str) -> str:
    return IRI_PREFIX + base64.b32encode(iri.encode("utf-8")).decode("ascii").rstrip("=").lower()


def decoded_iri(entity_id: str) -> URIRef | None:
    """The IRI an id of ``encode_iri`` stands for; None for any other id."""
    match = _ENCODED.fullmatch(entity_id)
    if match is None:
        return None
    text = match.group(1).upper()
    try:
        return URIRef(base64.b32decode(text + "=" * (-len(text) % 8)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def agent_iri(entity_id: str) -> URIRef:
    """kg's IRI for an FtM agent: kg's data namespace and the id (percent-encoded), so kg's own export reads back alike."""
    return decoded_iri(entity_id) or DATA[quote(entity_id, safe="")]


def claim_iri(entity_id: str) -> URIRef:
    return decoded_iri(entity_id) or CLAIM[quote(entity_id, safe="")]


def source_iri(entity_id: str) -> URIRef:
    """The source of the claims one FtM entity makes: the entity itself, as a record of its dataset."""
    return SOURCE["ftm/" + quote(entity_id, safe="")]


def entity_id(node, namespace) -> str:
    """The FtM id the writer gives an IRI: its id in kg's ``namespace`` when FtM accepts it, else the encoded IRI."""
    text = str(node)
    rest = text[len(str(namespace)):] if text.startswith(str(namespace)) else ""
    if FTM_ID.fullmatch(rest) and not rest.startswith(IRI_PREFIX):
        return rest
    return encode_iri(text)
