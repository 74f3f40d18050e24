"""Writing a synthetic graph: fictional agents (about half the organizations with an LEI) and claims
with attestations, with stable ids, into an rdflib graph or straight to an N-Triples file."""

from __future__ import annotations

import random
from decimal import Decimal

from rdflib import RDF, RDFS, Graph, Literal, URIRef

from kg.dates import date_literal
from kg.errors import UsageError
from kg.identifiers import LEI
from kg.io.sheets.cells import identifier_iri
from kg.io.sheets.model import share_literal
from kg.vocab import CLAIM, CLAIM_TYPES, DATA, DCTERMS_TITLE, KG, SOURCE, STATUS_IRIS, bind_prefixes

#: Prefix of every synthetic LEI: no registered LEI begins so, and anyone reading one sees it is made up.
FICTIONAL_LEI_PREFIX = "FICTIONAL"
OFFICER_TITLES = ("chief executive", "chief technology officer", "president")


def fictional_lei(number: int) -> str:
    """``FICTIONAL`` and nine digits, then the ISO 17442 check digits (so kg reads it as a valid LEI)."""
    base = f"{FICTIONAL_LEI_PREFIX}{number:09d}"
    remainder = int("".join(str(int(character, 36)) for character in base + "00")) % 97
    return f"{base}{98 - remainder:02d}"


def percent(value) -> Literal:
    """A share as xsd:decimal in the canonical form (``50.0``), the one every reader and writer of kg keeps."""
    return share_literal(Decimal(str(value)))


def minority(rng: random.Random) -> dict[str, Literal]:
    """A minority share, below 25%: an investment, never control, under any setting planted.json states."""
    if rng.random() < 0.7:
        return {"shareExact": percent(rng.randint(1, 20))}
    return {"shareMinimum": percent(10), "shareMaximum": percent(20)}


class NTriplesSink:
    """Writes each triple as an N-Triples line as it comes, so 10^7 triples need no graph in memory."""

    def __init__(self, handle) -> None:
        self.handle, self.count = handle, 0

    def add(self, triple) -> None:
        line = " ".join(term.n3() for term in triple)
        if "\n" in line or "\r" in line:  # n3() would write a long literal, which N-Triples lacks
            raise UsageError(f"synthetic literal with a line break: {line!r}")
        self.handle.write(f"{line} .\n".encode("utf-8"))
        self.count += 1

    def __len__(self) -> int:
        return self.count


class Writer:
    """Adds fictional agents (about half the organizations with an LEI) and claims with attestations, with stable ids."""

    def __init__(self, rng: random.Random, sources: int = 20, sink=None) -> None:
        self.rng = rng
        self.graph = Graph() if sink is None else sink
        if sink is None:
            bind_prefixes(self.graph)
        self.claims = 0
        self.leis = 0
        self.sources = [SOURCE[f"synthetic-{i:03d}"] for i in range(sources)]
        for i, source in enumerate(self.sources):
            self.graph.add((source, RDF.type, KG.Source))
            self.graph.add((source, DCTERMS_TITLE, Literal(f"Synthetic source {i} (fictional)")))

    def agent(self, agent_id: str, kind: str, label: str) -> str:
        node = DATA[agent_id]
        self.graph.add((node, RDF.type, KG[kind]))
        self.graph.add((node, RDFS.label, Literal(f"{label} (fictional)")))
        if kind != "Person" and self.rng.random() < 0.5:  # four triples each: half keeps the graph lean
            self.leis += 1
            value = fictional_lei(self.leis)
            identifier = identifier_iri(LEI, value)
            self.graph.add((node, KG.identifier, identifier))
            self.graph.add((identifier, RDF.type, KG.Identifier))
            self.graph.add((identifier, KG.identifierScheme, Literal(LEI)))
            self.graph.add((identifier, KG.identifierValue, Literal(value)))
        return agent_id

    def claim(self, cls: URIRef, subject: str, obj: str, *, start=None, end=None, status=None, **values) -> URIRef:
        self.claims += 1
        claim_type = CLAIM_TYPES[cls]
        node = CLAIM[f"synthetic-{self.claims}"]
        add = self.graph.add
        add((node, RDF.type, cls))
        add((node, claim_type.subject_role, DATA[subject]))
        add((node, claim_type.object_role, DATA[obj]))
        if start:
            add((node, KG.startDate, date_literal(start)))
        if end:
            add((node, KG.endDate, date_literal(end)))
        for prop, value in values.items():
            if value is not None:
                add((node, KG[prop], value if isinstance(value, (URIRef, Literal)) else Literal(value)))
        for index in range(1 if self.rng.random() < 0.8 else 2):
            attestation = URIRef(f"{node}/attestation/{index + 1}")
            add((node, KG.attestation, attestation))
            add((attestation, RDF.type, KG.Attestation))
            add((attestation, KG.source, self.rng.choice(self.sources)))
            chosen = status or self.rng.choices(("rumored", "reported", "confirmed"), (1, 3, 2))[0]
            add((attestation, KG.status, STATUS_IRIS[chosen]))
        return node

    def year(self, low=2015, high=2023) -> str:
        year = self.rng.randint(low, high)
        pick = self.rng.random()
        if pick < 0.4:
            return str(year)
        if pick < 0.7:
            return f"{year}-{self.rng.randint(1, 12):02d}"
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
