"""kg's graph as FollowTheMoney entities (JSON lines), built with the ``followthemoney`` library's proxies.

Every value goes through the library's own cleaning, so ``ftm validate`` gives back the
same entities with the same values. Agents become Person, Company, Organization or LegalEntity entities;
ownerships, controls and affiliations become Ownership, Control, Directorship,
Employment and Membership entities with their dates, shares, notes, statuses and
sources. What FtM cannot hold (kg's other claim types, deal stages, which source gave
which status...) is left out and summed up in one warning; the README lists it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter
from typing import BinaryIO

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS

from kg.errors import KgWarning, UsageError
from kg.io.ownership.ftm_model import (
    ADVISOR_ROLES, BOARD_ROLES, CONTROL_WORDS, DIRECTORSHIP_OFFICER_ROLES, PROPERTY_OF_SCHEME, REGISTER_COUNTRIES,
    encode_iri, entity_id, library,
)
from kg.io.ownership.ftm_share import percentage_text
from kg.io.sheets.cells import OFFICER_TITLES
from kg.vocab import AGENT_TYPE_NAMES, CLAIM, CLAIM_TYPES, DATA, KG, SHARE_PROPERTIES, SOURCE, STATUS_NAMES, STATUS_ORDER

#: The claim types FtM has a schema for; the others are left out of the file.
WRITTEN = (KG.Ownership, KG.Control, KG.Affiliation)
_ORGANIZATION_TYPES = frozenset(KG[name] for name in AGENT_TYPE_NAMES if name != "Person")
_SUBTYPES = tuple(name for name in AGENT_TYPE_NAMES if name not in ("Person", "Organization"))
#: What an untyped party is written as, by the role it plays.
_ROLE_SCHEMATA = {KG.affiliate: "Person", KG.ownedEntity: "Company", KG.controlledEntity: "Organization",
                  KG.affiliatedOrganization: "Organization", KG.owner: "LegalEntity", KG.controller: "LegalEntity"}
SHOWN = 10


def write(graph: Graph, handle: BinaryIO) -> None:
    """Write ``graph``'s agents and its ownership, control and affiliation claims as FtM JSON lines, sorted by id."""
    model, _ = library(UsageError)
    writer = _Writer(graph, model)
    for entity in sorted(writer.entities(), key=lambda proxy: proxy.id):
        data = entity.to_dict()
        line = {"id": data["id"], "schema": data["schema"], "properties": dict(sorted(data["properties"].items()))}
        handle.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
    writer.report()


class _Writer:
    def __init__(self, graph: Graph, model) -> None:
        self.graph, self.model = graph, model
        self.ids: dict = {}
        self.used: dict[str, object] = {}
        self.lost: Counter[str] = Counter()
        self.shown: Counter[str] = Counter()
        self.sources_seen: set = set()

    def warn(self, kind: str, message: str) -> None:
        self.shown[kind] += 1
        if self.shown[kind] <= SHOWN:
            warnings.warn(message, KgWarning, stacklevel=4)

    def id_of(self, node, namespace) -> str:
        """The node's FtM id: its kg id where that is free, else its full IRI (which kg reads back as the IRI)."""
        if node not in self.ids:
            if isinstance(node, URIRef):
                candidate = entity_id(node, namespace)
                if candidate in self.used:  # an agent and a claim of one id: the second by its whole IRI
                    candidate = encode_iri(str(node))
            else:  # a blank node has no name to keep: kg reads it back as an IRI of this id
                candidate = "kg-node-" + hashlib.sha1(str(node).encode("utf-8")).hexdigest()[:20]
            self.ids[node], self.used[candidate] = candidate, node
        return self.ids[node]

    def entities(self) -> list:
        graph = self.graph
        claims = []
        for cls, claim_type in CLAIM_TYPES.items():
            nodes = sorted(set(graph.subjects(RDF.type, cls)), key=str)
            if cls not in WRITTEN:
                if nodes:
                    self.lost[f"{cls.split('#')[-1]} claims"] += len(nodes)
                continue
            for node in nodes:
                subject, obj = graph.value(node, claim_type.subject_role), graph.value(node, claim_type.object_role)
                if subject is None or obj is None:
                    self.warn("parties", f"claim {node} lacks a party; not written to FtM")
                    continue
                claims.append((node, cls, subject, obj))
        roles = {}
        for node, cls, subject, obj in claims:
            claim_type = CLAIM_TYPES[cls]
            roles.setdefault(subject, set()).add(claim_type.subject_role)
            roles.setdefault(obj, set()).add(claim_type.object_role)
        agents = {node for cls in (KG.Agent, KG.Person, *_ORGANIZATION_TYPES) for node in graph.subjects(RDF.type, cls)}
        agents |= set(roles)
        entities = [self.agent(node, roles.get(node, set())) for node in sorted(agents, key=str)]
        entities += [self.claim(node, cls, subject, obj) for node, cls, subject, obj in claims]
        return entities

    # --- agents -------------------------------------------------------------------------------

    def schema_of(self, node, roles: set) -> str:
        types = set(self.graph.objects(node, RDF.type))
        if KG.Person in types:
            return "Person"
        if KG.ownedEntity in roles or types & (_ORGANIZATION_TYPES - {KG.Organization}):
            return "Company"  # only a Company is an asset that can be owned
        if KG.Organization in types:
            return "Organization"
        if KG.Agent in types:
            return "LegalEntity"
        return next((_ROLE_SCHEMATA[role] for role in sorted(roles, key=str) if role in _ROLE_SCHEMATA), "LegalEntity")

    def agent(self, node, roles: set):
        graph, name = self.graph, self.id_of(node, DATA)
        schema = self.schema_of(node, roles)
        proxy = self.model.make_entity(schema)
        proxy.id = name
        labels = sorted(str(label) for label in graph.objects(node, RDFS.label)) or [name]
        self.put(proxy, "name", labels[0], f"agent {name}")
        for alias in labels[1:]:
            self.put(proxy, "alias", alias, f"agent {name}")
        for text in sorted(graph.objects(node, DCTERMS.description)):
            self.put(proxy, "description", str(text), f"agent {name}")
        for country in sorted(graph.objects(node, KG.country)):
            self.put(proxy, "country", str(country), f"agent {name}")
        if schema != "Person":
            for founded in sorted(graph.objects(node, KG.foundingDate)):
                self.put(proxy, "incorporationDate", str(founded), f"agent {name}")
        for homepage in sorted(graph.objects(node, KG.homepage)):
            self.put(proxy, "website", str(homepage), f"agent {name}")
        types = set(graph.objects(node, RDF.type))
        for type_name in _SUBTYPES:
            if KG[type_name] in types:
                self.put(proxy, "keywords", type_name, f"agent {name}")
        self.identifiers(node, proxy, name)
        return proxy

    def identifiers(self, node, proxy, name: str) -> None:
        jurisdiction = None
        pairs = sorted((str(self.graph.value(i, KG.identifierScheme)), str(self.graph.value(i, KG.identifierValue)))
                       for i in self.graph.objects(node, KG.identifier))
        for scheme, value in pairs:
            if scheme in PROPERTY_OF_SCHEME:
                self.put(proxy, PROPERTY_OF_SCHEME[scheme], value, f"agent {name}")
            elif scheme in REGISTER_COUNTRIES and jurisdiction in (None, REGISTER_COUNTRIES[scheme]):
                jurisdiction = REGISTER_COUNTRIES[scheme]
                self.put(proxy, "jurisdiction", jurisdiction, f"agent {name}")
                self.put(proxy, "registrationNumber", value, f"agent {name}")
            else:
                why = "a second register's" if scheme in REGISTER_COUNTRIES else "no FtM property for its scheme"
                self.lost["identifiers"] += 1
                self.warn("identifiers", f"agent {name}: its identifier {scheme}:{value} is not written to FtM ({why})")

    def put(self, proxy, prop: str, value: str, what: str) -> None:
        """Add a value through the library's cleaning; one it drops (a country FtM does not know) is reported."""
        before = len(proxy.get(prop))
        proxy.add(prop, value)
        if len(proxy.get(prop)) == before and value not in proxy.get(prop):
            self.lost[f"{prop} values FtM does not accept"] += 1
            self.warn(prop, f"{what}: FtM's {prop} cannot hold {value!r}; left out")

    # --- claims -------------------------------------------------------------------------------

    def claim(self, node, cls: URIRef, subject, obj):
        graph, name = self.graph, self.id_of(node, CLAIM)
        what = f"claim {name}"
        if cls == KG.Ownership:
            proxy = self.model.make_entity("Ownership")
            props = ("owner", "asset")
        elif cls == KG.Control:
            proxy = self.model.make_entity("Control")
            props = ("controller", "controlled")
        else:
            schema, role = self.affiliation(node, name)
            proxy = self.model.make_entity(schema)
            props = {"Directorship": ("director", "organization"), "Employment": ("employee", "employer"),
                     "Membership": ("member", "organization")}[schema]
            if role:
                self.put(proxy, "role", role, what)
        proxy.id = name
        self.put(proxy, props[0], self.id_of(subject, DATA), what)
        self.put(proxy, props[1], self.id_of(obj, DATA), what)
        for prop, ftm_prop in ((KG.startDate, "startDate"), (KG.endDate, "endDate")):
            for value in sorted(graph.objects(node, prop)):
                self.put(proxy, ftm_prop, str(value), what)
        for note in sorted(graph.objects(node, RDFS.comment)):
            self.put(proxy, "description", str(note), what)
        share = {key: value.toPython() for key, prop in SHARE_PROPERTIES.items() if (value := graph.value(node, prop)) is not None}
        direct = graph.value(node, KG.direct)
        if cls == KG.Ownership:
            if share:
                self.put(proxy, "percentage", percentage_text(share), what)
            if direct is not None:
                self.put(proxy, "ownershipType", "direct" if direct.toPython() else "indirect", what)
            self.count_lost(node, KG.interestType, "interest types of ownerships (shares or voting rights)")
        elif cls == KG.Control:
            basis = graph.value(node, KG.controlBasis)
            if basis in CONTROL_WORDS:
                self.put(proxy, "controlType", CONTROL_WORDS[basis], what)
            if direct is not None:
                self.put(proxy, "controlType", "direct" if direct.toPython() else "indirect", what)
            if share:
                self.lost["shares of control claims"] += 1
        self.count_lost(node, KG.stage, "deal stages")
        self.count_lost(node, KG.componentOf, "component links of indirect claims")
        self.attestations(node, proxy, what)
        return proxy

    def count_lost(self, node, prop: URIRef, what: str) -> None:
        if self.graph.value(node, prop) is not None:
            self.lost[what] += 1

    def affiliation(self, node, name: str) -> tuple[str, str | None]:
        """The FtM schema and role of an affiliation, chosen so that kg reads its kind back; when its title
        would read as another kind, the kind's own word (or none) is written and the title is left out."""
        kind = self.graph.value(node, KG.affiliationKind)
        title = self.graph.value(node, KG.roleTitle)
        title = str(title) if title is not None else None
        words = " ".join(title.lower().split()) if title else ""
        if kind == KG.BoardSeat:
            schema, role, fits = "Directorship", title, words not in DIRECTORSHIP_OFFICER_ROLES
        elif kind == KG.Officer:
            if words in DIRECTORSHIP_OFFICER_ROLES:
                schema, role, fits = "Directorship", title, True
            else:
                schema, role, fits = ("Employment", title, True) if words in OFFICER_TITLES else ("Directorship", "officer", not title)
        elif kind == KG.Advisor:
            schema, role, fits = ("Employment", title, True) if words in ADVISOR_ROLES else ("Employment", "advisor", not title)
        elif kind == KG.Employee:
            schema, role, fits = "Employment", title, words not in OFFICER_TITLES | ADVISOR_ROLES
        else:
            schema, role, fits = "Membership", title, words not in OFFICER_TITLES | ADVISOR_ROLES | BOARD_ROLES
        if not fits:
            self.lost["role titles of affiliations"] += 1
            self.warn("titles", f"claim {name}: FtM would read the title {title!r} as another kind of affiliation; left it out")
            role = None if role == title else role
        return schema, role

    def attestations(self, node, proxy, what: str) -> None:
        """Statuses and the sources' provenance, on the claim's entity (FtM has one set of provenance per entity)."""
        graph = self.graph
        statuses = set()
        for attestation in graph.objects(node, KG.attestation):
            status = STATUS_NAMES.get(graph.value(attestation, KG.status))
            if status:
                statuses.add(status)
            self.count_lost(attestation, KG.sourceLine, "sheet lines of sources")
            source = graph.value(attestation, KG.source)
            if source is None:
                continue
            urls = [str(url) for url in graph.objects(source, DCTERMS.source)]
            if isinstance(source, URIRef) and str(source).startswith(("http://", "https://")) and not str(source).startswith(str(SOURCE)):
                urls.append(str(source))
            for url in sorted(set(urls)):
                self.put(proxy, "sourceUrl", url, what)
            publishers = sorted(str(p) for p in graph.objects(source, DCTERMS.publisher))
            if not publishers and graph.value(source, KG.recordId) is None:  # a citation of kg's own: its title names it
                publishers = sorted(str(t) for t in graph.objects(source, DCTERMS.title))
            for publisher in publishers:
                self.put(proxy, "publisher", publisher, what)
            for record in sorted(graph.objects(source, KG.recordId)):
                self.put(proxy, "recordId", str(record), what)
            for when in sorted(graph.objects(source, KG.retrievedOn)):
                self.put(proxy, "retrievedAt", str(when), what)
            if source not in self.sources_seen:
                self.sources_seen.add(source)
                self.count_lost(source, RDFS.comment, "notes on sources")
        if len(statuses) > 1:
            self.lost["claims whose sources give different statuses (which source gave which)"] += 1
        for status in sorted(statuses, key=STATUS_ORDER.index):
            self.put(proxy, "status", status, what)

    def report(self) -> None:
        if self.lost:
            parts = ", ".join(f"{count} {what}" for what, count in sorted(self.lost.items()))
            warnings.warn(f"FtM cannot hold these, left out of the file: {parts}", KgWarning, stacklevel=3)
        for kind, count in sorted(self.shown.items()):
            if count > SHOWN:
                warnings.warn(f"{count - SHOWN} more warnings about {kind} like the above, not shown", KgWarning, stacklevel=3)
