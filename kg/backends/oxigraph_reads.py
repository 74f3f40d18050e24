"""How an Oxigraph store answers kg's hot reads: claims, shares, labels and sources.

The claim query at scale, and look-ups by node through the indexes for the few
thousand claims and agents a set of findings names (Oxigraph joins a large
VALUES block slowly; bench/results.md). A mixin of ``OxigraphBackend``, which
gives ``store`` and ``_data_dataset``.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, BNode, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from kg.backends.base import claim_queries, claim_rows_of
from kg.backends.terms import interning_iri, oxigraph_module, to_oxigraph, to_rdflib
from kg.vocab import DCTERMS_TITLE, KG, SHARE_FLOOR_PROPERTIES, SHARE_KEYS


def _any(iterator) -> bool:
    return next(iterator, None) is not None


class IndexReads:
    """``claim_rows``, ``claim_shares``, ``labels`` and ``attestations`` of ``kg.backends.base.Backend`` on Oxigraph."""

    def claim_rows(self, cls, subject_role, object_role, *, pairs=None) -> list[tuple]:
        # The hot path at scale: IRIs become URIRefs (interned), dates stay plain strings.
        if pairs is not None:
            return self._claim_rows_between(cls, subject_role, object_role, pairs)
        ox = oxigraph_module()
        iri = interning_iri()
        rows = []
        solutions = (
            solution
            for query in claim_queries(cls, subject_role, object_role)
            for solution in self.store.query(query, **self._data_dataset())
        )
        for solution in solutions:
            start, end = solution["start"], solution["end"]
            rows.append(
                (
                    iri(solution["claim"]),
                    iri(solution["subject"]),
                    iri(solution["object"]),
                    None if start is None else start.value,
                    None if end is None else end.value,
                    iri(solution["status"]) if isinstance(solution["status"], ox.NamedNode) else None,
                    iri(solution["stage"]) if isinstance(solution["stage"], ox.NamedNode) else None,
                    None if solution["share"] is None else solution["share"].value,
                    iri(solution["kind"]) if isinstance(solution["kind"], ox.NamedNode) else None,
                )
            )
        return rows

    def _claim_rows_between(self, cls, subject_role, object_role, pairs) -> list[tuple]:
        """``claim_rows`` for a few thousand agent pairs (the evidence of findings), by index
        look-ups, which Oxigraph answers faster than the claim query with the pairs in VALUES
        blocks (bench/results.md)."""
        ox = oxigraph_module()
        iri = interning_iri()
        pattern = self.store.quads_for_pattern
        rdf_type, start_date, end_date, attestation, status_of, stage_of = (
            ox.NamedNode(str(p)) for p in (RDF.type, KG.startDate, KG.endDate, KG.attestation, KG.status, KG.stage)
        )
        kind_properties = [ox.NamedNode(str(p)) for p in (KG.affiliationKind, KG.rivalryKind)]
        share_properties = [ox.NamedNode(str(p)) for p in SHARE_FLOOR_PROPERTIES]
        cls, subject_role, object_role = (ox.NamedNode(str(p)) for p in (cls, subject_role, object_role))
        claims = set()  # a claim in two graphs, or found by two pairs, is read once
        for subject, obj in set(pairs):
            subject, obj = to_oxigraph(subject), to_oxigraph(obj)
            for quad in pattern(None, subject_role, subject):
                if _any(pattern(quad.subject, object_role, obj)) and _any(pattern(quad.subject, rdf_type, cls)):
                    claims.add(quad.subject)
        rows = []
        for claim in claims:
            subjects = {iri(quad.object) for quad in pattern(claim, subject_role, None)}
            objects = {iri(quad.object) for quad in pattern(claim, object_role, None)}
            starts = [quad.object.value for quad in pattern(claim, start_date, None)] or [None]
            ends = [quad.object.value for quad in pattern(claim, end_date, None)] or [None]
            statuses = [
                iri(quad.object) if isinstance(quad.object, ox.NamedNode) else None
                for att in pattern(claim, attestation, None)
                for quad in pattern(att.object, status_of, None)
            ] or [None]
            stages = [iri(quad.object) for quad in pattern(claim, stage_of, None) if isinstance(quad.object, ox.NamedNode)] or [None]
            shares = [quad.object.value for prop in share_properties for quad in pattern(claim, prop, None)] or [None]
            kinds = [
                iri(quad.object) for prop in kind_properties for quad in pattern(claim, prop, None) if isinstance(quad.object, ox.NamedNode)
            ] or [None]
            rows += claim_rows_of(iri(claim), subjects, objects, starts, ends, statuses, stages, shares, kinds)
        return rows

    # Look-ups by node through the indexes: Oxigraph joins a large VALUES block slowly.
    def labels(self, nodes) -> dict[Node, str]:
        ox, labels = oxigraph_module(), {}
        label = ox.NamedNode(str(RDFS.label))
        for node in set(nodes):
            if isinstance(node, URIRef):
                found = [quad.object.value for quad in self.store.quads_for_pattern(ox.NamedNode(node), label, None)]
                if found:
                    labels[node] = min(found)
        return labels

    def claim_shares(self, claims) -> list[tuple]:
        ox, pattern = oxigraph_module(), self.store.quads_for_pattern
        properties = [(prop, ox.NamedNode(str(prop))) for prop in SHARE_KEYS]
        return [(claim, prop, to_rdflib(quad.object)) for claim in set(claims) if isinstance(claim, (URIRef, BNode))
                for prop, node in properties for quad in pattern(to_oxigraph(claim), node, None)]

    def attestations(self, claims) -> list[tuple]:
        ox, rows = oxigraph_module(), []
        attestation, source_of, status_of = (ox.NamedNode(str(p)) for p in (KG.attestation, KG.source, KG.status))
        title_of = ox.NamedNode(str(DCTERMS_TITLE))
        terms: dict = {}  # a few sources and statuses recur across thousands of claims
        titles_of: dict = {}

        def term(node):
            return terms.get(node) or terms.setdefault(node, to_rdflib(node))

        for claim in set(claims):
            if not isinstance(claim, (URIRef, BNode)):
                continue
            for att in self.store.quads_for_pattern(to_oxigraph(claim), attestation, None):
                statuses = [term(q.object) for q in self.store.quads_for_pattern(att.object, status_of, None)]
                for quad in self.store.quads_for_pattern(att.object, source_of, None):
                    source = quad.object
                    if source not in titles_of:
                        titles_of[source] = [to_rdflib(q.object) for q in self.store.quads_for_pattern(source, title_of, None)] or [None]
                    rows += [(claim, term(source), status, title) for status in statuses for title in titles_of[source]]
        return rows

    def source_urls(self, sources) -> dict:
        ox, urls = oxigraph_module(), {}
        url_of = ox.NamedNode(str(DCTERMS.source))
        for source in set(sources):
            if isinstance(source, (URIRef, BNode)):
                found = [to_rdflib(quad.object) for quad in self.store.quads_for_pattern(to_oxigraph(source), url_of, None)]
                if found:
                    urls[source] = found
        return urls
