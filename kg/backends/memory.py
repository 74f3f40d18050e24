"""rdflib in memory: the embedded default backend, fine up to ~10^5 triples."""

from __future__ import annotations

from typing import Iterable

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from kg.backends.base import Backend, Rows, claim_rows_of
from kg.sparql import run_query
from kg.vocab import DCTERMS_TITLE, KG


class MemoryBackend(Backend):
    """An rdflib graph in memory: the embedded default, fine up to ~10^5 triples."""

    name = "memory"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def select(self, query: str) -> Rows:
        result = self.graph.query(query)
        return tuple(str(v) for v in result.vars), [tuple(row) for row in result]

    # The same answers as the SPARQL versions, read with the graph API.
    def claim_rows(self, cls, subject_role, object_role, *, pairs=None) -> list[tuple]:
        graph, rows = self.graph, []
        wanted = None if pairs is None else set(pairs)
        for claim in graph.subjects(RDF.type, cls):
            subjects, objects = list(graph.objects(claim, subject_role)), list(graph.objects(claim, object_role))
            if wanted is not None and not any((subject, obj) in wanted for subject in subjects for obj in objects):
                continue
            starts = list(graph.objects(claim, KG.startDate)) or [None]
            ends = list(graph.objects(claim, KG.endDate)) or [None]
            statuses = [status for att in graph.objects(claim, KG.attestation) for status in graph.objects(att, KG.status)] or [None]
            rows += claim_rows_of(claim, subjects, objects, starts, ends, statuses)
        return rows

    def agent_types(self, agents) -> list[tuple[Node, Node]]:
        return [
            (agent, cls)
            for agent in set(agents)
            for cls in self.graph.objects(agent, RDF.type)
            if isinstance(cls, URIRef) and str(cls).startswith(str(KG))
        ]

    def labels(self, nodes) -> dict[Node, str]:
        labels = {}
        for node in set(nodes):
            found = [str(label) for label in self.graph.objects(node, RDFS.label)]
            if found:
                labels[node] = min(found)
        return labels

    def attestations(self, claims) -> list[tuple]:
        graph, rows = self.graph, []
        for claim in set(claims):
            for att in graph.objects(claim, KG.attestation):
                for source in graph.objects(att, KG.source):
                    titles = list(graph.objects(source, DCTERMS_TITLE)) or [None]
                    rows += [(claim, source, status, title) for status in graph.objects(att, KG.status) for title in titles]
        return rows

    def run(self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False):
        return run_query(self.graph, text, params=params, allow_update=allow_update, allow_service=allow_service)

    def to_graph(self) -> Graph:
        return self.graph

    def __len__(self) -> int:
        return len(self.graph)
