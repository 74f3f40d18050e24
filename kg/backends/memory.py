"""rdflib in memory: the embedded default backend, fine up to ~10^5 triples.

The graph lives in rdflib; a user's query (``run``) is answered by Oxigraph's
engine on a copy made for it, because rdflib's engine multiplies the rows of
patterns that share no variable (two label look-ups over a graph holding the
ontology's labels took minutes on 10^3 triples; bench/query_bench.py).
"""

from __future__ import annotations

from typing import Iterable

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from kg.backends.base import Backend, Rows, claim_rows_of
from kg.backends.oxigraph import OxigraphBackend
from kg.errors import QueryError, arg
from kg.sparql import QueryResult, bounded, check_params, parse_param, prepare
from kg.vocab import DCTERMS_TITLE, KG, QUERY_PREFIXES, SHARE_FLOOR_PROPERTIES, SHARE_KEYS


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
            stages = list(graph.objects(claim, KG.stage)) or [None]
            shares = [share for prop in SHARE_FLOOR_PROPERTIES for share in graph.objects(claim, prop)] or [None]
            kinds = [*graph.objects(claim, KG.affiliationKind), *graph.objects(claim, KG.rivalryKind)] or [None]
            rows += claim_rows_of(claim, subjects, objects, starts, ends, statuses, stages, shares, kinds)
        return rows

    def identifier_rows(self) -> list[tuple]:
        """(agent, scheme, value) for every identifier, as ``kg.identity`` reads them."""
        graph = self.graph
        return [
            (agent, scheme, value)
            for agent, identifier in graph.subject_objects(KG.identifier)
            for scheme in graph.objects(identifier, KG.identifierScheme)
            for value in graph.objects(identifier, KG.identifierValue)
        ]

    def claim_shares(self, claims) -> list[tuple]:
        graph = self.graph
        return [(claim, prop, value) for claim in set(claims) for prop in SHARE_KEYS for value in graph.objects(claim, prop)]

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

    def source_urls(self, sources) -> dict[Node, list[Node]]:
        urls = {source: list(self.graph.objects(source, DCTERMS.source)) for source in set(sources)}
        return {source: found for source, found in urls.items() if found}

    def run(
        self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False, infer=False, timeout=None
    ) -> QueryResult:
        """A query on an Oxigraph copy of the graph (the same answers as ``OxigraphBackend.run``);
        an update with rdflib on the graph itself."""
        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
        if isinstance(prepared, tuple):
            if infer:
                raise QueryError(f"{arg('infer')} applies to queries, not to updates")
            return bounded(timeout, lambda: self._update(text, params))

        def answer() -> QueryResult:
            copy = OxigraphBackend()
            copy.add_graph(self.graph)
            return copy.answer(prepared, text, params=params, infer=infer)

        return bounded(timeout, answer)

    def _update(self, text: str, params: Iterable[str]) -> QueryResult:
        bindings = dict(parse_param(p, self.graph) for p in check_params(text, params))
        try:
            self.graph.update(text, initNs=QUERY_PREFIXES, initBindings=bindings)
        except Exception as exc:  # rdflib raises many types while it evaluates
            raise QueryError(f"update failed: {' '.join(str(exc).split())[:160]}") from None
        return QueryResult(form="UPDATE")

    def to_graph(self) -> Graph:
        return self.graph

    def check_copyable(self) -> None:
        """A graph here can be copied (``copy_with``)."""

    def copy_with(self, graph: Graph) -> "MemoryBackend":
        """A new rdflib graph holding this one's triples and ``graph``'s; this one is left as it was."""
        copy = Graph()
        copy += self.graph
        copy += graph
        return MemoryBackend(copy)

    def __len__(self) -> int:
        return len(self.graph)
