"""Build tiny claim graphs in memory for rule tests (fictional entities only)."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef

from kg.vocab import AFFILIATION_KINDS, CLAIM_TYPES, RIVALRY_KINDS, SHARE_PROPERTIES, STAGE_IRIS, STATUS_IRIS
from kg.vocab import CLAIM, DATA, KG, SOURCE, bind_prefixes

_DATATYPES = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}


class GraphBuilder:
    """``b.control("x", "y")`` adds a control claim x → y with one attestation, and so on."""

    def __init__(self) -> None:
        self.graph = Graph()
        bind_prefixes(self.graph)
        self._ids = count(1)
        self.graph.add((SOURCE.test, RDF.type, KG.Source))

    def agent(self, agent_id: str, *types: str) -> URIRef:
        node = DATA[agent_id]
        for type_name in types or ("Organization",):
            self.graph.add((node, RDF.type, KG[type_name]))
        self.graph.add((node, RDFS.label, Literal(agent_id.replace("-", " ").title())))
        return node

    def claim(
        self, cls: URIRef, subject: str, obj: str, *, status="reported", start=None, end=None, claim_id=None, stage=None, share=None, kind=None
    ) -> URIRef:
        """``stage``: a DealStage name ("proposed"); ``share``: BODS keys to percentages ({"minimum": 25, "maximum": 50});
        ``kind``: an affiliation's ("board_seat") or a rivalry's ("legal") kind."""
        claim_type = CLAIM_TYPES[cls]
        node = CLAIM[claim_id or f"c{next(self._ids)}"]
        self.graph.add((node, RDF.type, cls))
        self.graph.add((node, claim_type.subject_role, DATA[subject]))
        self.graph.add((node, claim_type.object_role, DATA[obj]))
        for agent_id in (subject, obj):
            if (DATA[agent_id], RDFS.label, None) not in self.graph:
                self.graph.add((DATA[agent_id], RDFS.label, Literal(agent_id.replace("-", " ").title())))
        for prop, value in ((KG.startDate, start), (KG.endDate, end)):
            if value is not None:
                self.graph.add((node, prop, Literal(value, datatype=_DATATYPES[len(value)])))
        if stage is not None:
            self.graph.add((node, KG.stage, STAGE_IRIS[stage]))
        if kind is not None:
            kinds = AFFILIATION_KINDS if cls == KG.Affiliation else RIVALRY_KINDS
            self.graph.add((node, KG.affiliationKind if cls == KG.Affiliation else KG.rivalryKind, kinds[kind]))
        for key, value in (share or {}).items():
            self.graph.add((node, SHARE_PROPERTIES[key], Literal(Decimal(str(value)))))
        for one_status in [status] if isinstance(status, str) else status:
            attestation = BNode()
            self.graph.add((node, KG.attestation, attestation))
            self.graph.add((attestation, RDF.type, KG.Attestation))
            self.graph.add((attestation, KG.source, SOURCE.test))
            self.graph.add((attestation, KG.status, STATUS_IRIS[one_status]))
        return node

    def control(self, controller, controlled, **kw):
        return self.claim(KG.Control, controller, controlled, **kw)

    def contract(self, customer, supplier, **kw):
        return self.claim(KG.ComputeContract, customer, supplier, **kw)

    def rivalry(self, a, b, **kw):
        return self.claim(KG.Rivalry, a, b, **kw)

    def ownership(self, owner, asset, **kw):
        return self.claim(KG.Ownership, owner, asset, **kw)

    def investment(self, investor, investee, **kw):
        return self.claim(KG.Investment, investor, investee, **kw)

    def founding(self, founder, org, **kw):
        return self.claim(KG.Founding, founder, org, **kw)

    def affiliation(self, person, org, **kw):
        return self.claim(KG.Affiliation, person, org, **kw)

    def departure(self, person, org, **kw):
        return self.claim(KG.Departure, person, org, **kw)
