"""Oxigraph (pyoxigraph), in memory or on disk: the backend for 10^6–10^8 triples.

Queries and the rules' CONSTRUCTs run inside the store; only what a command
shows becomes Python objects. Oxigraph releases the GIL, so kg runs its queries
two at a time.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg import resources
from kg.backends.base import Backend, Rows, claim_queries, claim_rows_of
from kg.errors import InputError, QueryError
from kg.io.formats import RdfFormat, format_of
from kg.io.rdf import error_location, error_reason, parse_rdf_file, refuse_xml_entities
from kg.io.sheets.read import ingest_folder
from kg.io.walk import Input, RdfFile, SheetFolder
from kg.sparql import QueryResult, bind_as_values, prepare
from kg.vocab import DCTERMS_TITLE, GENID, KG, ONTOLOGY_GRAPH, QUERY_PREFIXES, bind_prefixes


def oxigraph_module():
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - pyoxigraph is a declared dependency
        raise InputError("the Oxigraph backend needs pyoxigraph: pip install pyoxigraph") from None
    return pyoxigraph


def to_rdflib(term) -> Node | None:
    """An rdflib term for a pyoxigraph term (xsd:string literals become plain, as in rdflib)."""
    if term is None:
        return None
    ox = oxigraph_module()
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=datatype)
    raise QueryError(f"unsupported term in results: {term!r}")


def _interning_iri():
    """A converter from pyoxigraph terms to URIRefs that makes each IRI once.

    The values come from Oxigraph, which has checked them, so rdflib's own check
    (a few microseconds per IRI, the larger part of reading 10^5 claims) is skipped.
    """
    made: dict[str, URIRef] = {}

    def iri(term) -> URIRef | None:
        if term is None:
            return None
        value = term.value
        found = made.get(value)
        if found is None:
            found = made[value] = str.__new__(URIRef, value)
        return found

    return iri


def _any(iterator) -> bool:
    return next(iterator, None) is not None


def to_oxigraph(term: Node):
    ox = oxigraph_module()
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"unsupported term: {term!r}")


class OxigraphBackend(Backend):
    """A pyoxigraph store, in memory or on disk (``path``), for 10^6–10^8 triples.

    Files are bulk-loaded into the default graph (quads keep their graphs; queries
    read the union). A store on disk is reused as it is by a run without data,
    and emptied and loaded again by a run with data, so it never mixes two runs.
    """

    name = "oxigraph"

    def __init__(self, path: str | Path | None = None, *, include_ontology: bool = True) -> None:
        ox = oxigraph_module()
        self.include_ontology = include_ontology
        try:
            self.store = ox.Store(str(path)) if path else ox.Store()
        except OSError as exc:
            raise InputError(f"{path}: cannot open the Oxigraph store: {exc}") from None
        self.path = path

    # loading
    def is_empty(self) -> bool:
        return len(self.store) == 0

    def clear(self) -> None:
        self.store.clear()

    def load_inputs(self, inputs: list[Input], *, progress_factory=None) -> None:
        """Replace the store's content with ``inputs`` (and the ontology, in its own graph, if included).

        Spreadsheets are read before the store is emptied, so a sheet with bad
        cells leaves a store on disk as it was.
        """
        sheets = [ingest_folder(found.path) for found in inputs if isinstance(found, SheetFolder)]
        files = [found for found in inputs if isinstance(found, RdfFile)]
        self.clear()  # new data replaces what an earlier run left, never mixes with it
        for sheet in sheets:
            self.add_graph(sheet)
        total = sum(found.path.stat().st_size for found in files)
        with (progress_factory(total) if progress_factory else contextlib.nullcontext()) as advance:
            for found in files:
                self.load_file(found.path, found.format, progress=advance)
        if self.include_ontology:
            self.load_file(resources.ontology_path(), graph=ONTOLOGY_GRAPH)

    def load_file(self, path: Path, rdf_format: RdfFormat | None = None, *, graph: str | None = None, progress=None) -> None:
        """Bulk-load one RDF file; ``progress(bytes_read)`` is called as it streams in."""
        ox = oxigraph_module()
        rdf_format = rdf_format or format_of(path)
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if rdf_format.oxigraph is None:  # JSON-LD: kg's loader resolves its context offline
            temp = Graph()
            parse_rdf_file(temp, path, rdf_format)
            self.add_graph(temp, graph_name=graph)
        else:
            if rdf_format.name == "xml":  # Oxigraph's RDF/XML parser expands nested entities
                refuse_xml_entities(path)
            try:
                options = dict(
                    format=getattr(ox.RdfFormat, rdf_format.oxigraph),
                    base_iri=path.resolve().as_uri(),
                    to_graph=None if rdf_format.quads else target,
                )
                if progress is None:  # Oxigraph reads the file itself: fastest
                    self.store.bulk_load(path=str(path), **options)
                else:
                    with open(path, "rb") as handle:  # the reader only counts bytes for the bar
                        self.store.bulk_load(input=_CountingReader(handle, progress), **options)
            except SyntaxError as exc:
                raise InputError(f"{error_location(path, exc)}: not valid {rdf_format.name}: {error_reason(exc)}") from None
            except OSError as exc:
                raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None

    def add_graph(self, rdf: Graph, *, graph_name: str | None = None) -> None:
        """Add an rdflib graph (an ingested sheet, a JSON-LD file) to the store."""
        ox = oxigraph_module()
        target = ox.NamedNode(graph_name) if graph_name else ox.DefaultGraph()
        self.store.bulk_extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), target) for s, p, o in rdf)

    def claim_rows(self, cls, subject_role, object_role, *, pairs=None) -> list[tuple]:
        # The hot path at scale: IRIs become URIRefs (interned), dates stay plain strings.
        if pairs is not None:
            return self._claim_rows_between(cls, subject_role, object_role, pairs)
        ox = oxigraph_module()
        iri = _interning_iri()
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
                )
            )
        return rows

    def _claim_rows_between(self, cls, subject_role, object_role, pairs) -> list[tuple]:
        """``claim_rows`` for a few thousand agent pairs (the evidence of findings), by index
        look-ups, which Oxigraph answers faster than the claim query with the pairs in VALUES
        blocks (bench/results.md)."""
        ox = oxigraph_module()
        iri = _interning_iri()
        pattern = self.store.quads_for_pattern
        rdf_type, start_date, end_date, attestation, status_of = (
            ox.NamedNode(str(p)) for p in (RDF.type, KG.startDate, KG.endDate, KG.attestation, KG.status)
        )
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
            rows += claim_rows_of(iri(claim), subjects, objects, starts, ends, statuses)
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

    def attestations(self, claims) -> list[tuple]:
        ox, rows = oxigraph_module(), []
        attestation, source_of, status_of = (ox.NamedNode(str(p)) for p in (KG.attestation, KG.source, KG.status))
        title_of = ox.NamedNode(str(DCTERMS_TITLE))
        terms: dict = {}  # a few sources and statuses recur across thousands of claims
        titles_of: dict = {}

        def term(node):
            return terms.get(node) or terms.setdefault(node, to_rdflib(node))

        for claim in set(claims):
            if not isinstance(claim, URIRef):
                continue
            for att in self.store.quads_for_pattern(ox.NamedNode(claim), attestation, None):
                statuses = [term(q.object) for q in self.store.quads_for_pattern(att.object, status_of, None)]
                for quad in self.store.quads_for_pattern(att.object, source_of, None):
                    source = quad.object
                    if source not in titles_of:
                        titles_of[source] = [to_rdflib(q.object) for q in self.store.quads_for_pattern(source, title_of, None)] or [None]
                    rows += [(claim, term(source), status, title) for status in statuses for title in titles_of[source]]
        return rows

    def add_triples(self, triples) -> None:
        """Add (subject, predicate, object) IRIs, as strings or URIRefs, to the default graph."""
        ox = oxigraph_module()
        triples = list(triples)
        try:  # as N-Triples text: several times faster than building a Quad per triple
            self.store.load(input="".join(f"<{s}> <{p}> <{o}> .\n" for s, p, o in triples).encode(), format=ox.RdfFormat.N_TRIPLES)
            return
        except SyntaxError:  # an IRI N-Triples cannot spell as it is: one term at a time
            pass
        nodes: dict[str, object] = {}
        target = ox.DefaultGraph()

        def node(value):
            text = str(value)
            return nodes.get(text) or nodes.setdefault(text, ox.NamedNode(text))

        self.store.bulk_extend(ox.Quad(node(s), node(p), node(o), target) for s, p, o in triples)

    def ntriples(self) -> bytes:
        """Every graph's triples as one N-Triples document (the graphs merged), for ``kg push``.

        Blank nodes become IRIs under kg's genid path, as rdflib's skolemize
        names them, since a blank node's label holds only within one request.
        A graph without blank nodes (the data, usually; not the ontology) is
        written by Oxigraph itself, a few times faster than term by term.
        """
        ox = oxigraph_module()
        named: dict = {}

        def iri(term):
            if not isinstance(term, ox.BlankNode):
                return term
            return named.get(term) or named.setdefault(term, ox.NamedNode(GENID + term.value))

        parts = []
        for graph in [ox.DefaultGraph(), *self.store.named_graphs()]:
            if not self.store.query("ASK { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }", default_graph=graph):
                parts.append(self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph))
                continue
            quads = self.store.quads_for_pattern(None, None, None, graph)
            parts.append(ox.serialize((ox.Triple(iri(q.subject), q.predicate, iri(q.object)) for q in quads), format=ox.RdfFormat.N_TRIPLES))
        return b"".join(parts)

    def _data_dataset(self) -> dict:
        """Where kg's claim reads look: the default graph alone when all data is there (the usual
        case, besides kg's ontology graph), else the union of all graphs, which costs Oxigraph on
        disk half as much time again."""
        others = [graph for graph in self.store.named_graphs() if graph.value != ONTOLOGY_GRAPH]
        return {"use_default_graph_as_union": True} if others else {}

    def constructed(self, queries: Iterable[str]) -> "OxigraphBackend":
        """A new in-memory store holding what CONSTRUCT ``queries`` give over this store's graphs.

        The triples go store to store without becoming Python objects, and the
        queries run two at a time (Oxigraph releases the GIL). This store is only
        read, so a store on disk is never written by a read-only command.
        """
        ox = oxigraph_module()
        target, dataset = OxigraphBackend(), self._data_dataset()

        def construct(query: str) -> bytes:
            return self.store.query(query, **dataset).serialize(format=ox.RdfFormat.N_TRIPLES)

        with ThreadPoolExecutor(max_workers=2) as pool:
            for triples in pool.map(construct, list(queries)):
                target.store.load(input=triples, format=ox.RdfFormat.N_TRIPLES)
        return target

    def select(self, query: str) -> Rows:
        ox = oxigraph_module()
        try:
            solutions = self.store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from None
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = tuple(v.value for v in solutions.variables)
        return names, [tuple(to_rdflib(solution[name]) for name in names) for solution in solutions]

    def run(self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False):
        ox = oxigraph_module()
        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
        try:
            if isinstance(prepared, tuple):
                self.store.update(text)
                return QueryResult(form="UPDATE")
            # pyoxigraph substitutes only projected variables, so bind with VALUES as for endpoints.
            result = self.store.query(bind_as_values(text, params, self), use_default_graph_as_union=True, prefixes=QUERY_PREFIXES)
            if isinstance(result, ox.QueryBoolean):
                return QueryResult(form="ASK", boolean=bool(result))
            if isinstance(result, ox.QueryTriples):
                graph = Graph()
                for triple in result:
                    graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
                return QueryResult(form="CONSTRUCT", graph=graph)
            names = tuple(v.value for v in result.variables)
            rows = tuple(tuple(to_rdflib(solution[name]) for name in names) for solution in result)
            return QueryResult(form="SELECT", variables=names, rows=rows)
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from None

    def to_graph(self) -> Graph:
        ox = oxigraph_module()
        skipped = set() if self.include_ontology else {ox.NamedNode(ONTOLOGY_GRAPH)}
        graph = Graph()
        bind_prefixes(graph)
        for quad in self.store:
            if quad.graph_name not in skipped:
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def __len__(self) -> int:
        ox = oxigraph_module()
        hidden = [] if self.include_ontology else [ox.NamedNode(ONTOLOGY_GRAPH)]
        return len(self.store) - sum(len(list(self.store.quads_for_pattern(None, None, None, g))) for g in hidden)


class _CountingReader:
    """A binary file wrapper that reports how far the parser has read."""

    def __init__(self, handle, progress) -> None:
        self.handle, self.progress, self.done = handle, progress, 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.done += len(data)
        if self.progress is not None:
            self.progress(len(data))
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
