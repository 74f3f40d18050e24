"""Where a graph lives: rdflib in memory (default), Oxigraph (large), or a SPARQL endpoint.

Every back-end answers the same three questions, so the rest of kg does not care
which one it talks to: ``select`` (a SPARQL SELECT, rows of rdflib terms),
``run`` (any read query for ``kg query``) and ``to_graph`` (an rdflib copy, for
the stages that need one: SHACL, describe, viz). The conflict rules read claims
through ``select`` and run on facts derived locally, so they give the same
findings on every back-end.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import InputError, KgWarning, QueryError

ONTOLOGY_GRAPH = "urn:kg:ontology"
DERIVED_GRAPH = "urn:kg:derived"
#: Where blank nodes pushed to a server get their IRIs (what rdflib's skolemize gives).
GENID = "https://w3id.org/ai-compute-kg/genid/"
DCTERMS_TITLE = URIRef("http://purl.org/dc/terms/title")
Rows = tuple[tuple[str, ...], list[tuple[Node | None, ...]]]


class Source:
    """What kg asks of any back-end; SPARQL implementations, which every back-end can answer.

    Subclasses provide ``select`` (rows of rdflib terms); the in-memory source
    overrides the bulk reads with rdflib's graph API, which is much faster there.
    """

    name = "source"

    def select(self, query: str) -> Rows:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def claim_rows(self, cls: URIRef, subject_role: URIRef, object_role: URIRef, *, pairs=None) -> list[tuple]:
        """(claim, subject, object, start, end, status) for every claim of ``cls``, one row per attestation.

        ``pairs`` limits the rows to claims between those (subject, object) agents,
        with all their rows: a claim with two subjects (a SHACL violation) must
        read as it does whole, its smallest subject first, whichever pair found it.
        """
        return [row for query in _claim_queries(cls, subject_role, object_role, pairs) for row in self.select(query)[1]]

    def agent_types(self, agents: Iterable[Node]) -> list[tuple[Node, Node]]:
        """(agent, kg class) for the given agents."""
        return [(row["agent"], row["type"]) for row in select_values(self, _AGENT_TYPES_QUERY, "agent", agents)]

    def labels(self, nodes: Iterable[Node]) -> dict[Node, str]:
        labels: dict[Node, str] = {}
        for row in select_values(self, _LABELS_QUERY, "node", nodes):
            label = str(row["label"])
            labels[row["node"]] = min(label, labels.get(row["node"], label))
        return labels

    def attestations(self, claims: Iterable[Node]) -> list[tuple[Node, Node, Node, Node | None]]:
        """(claim, source, status, source title or None) for the given claims."""
        return [
            (row["claim"], row["source"], row["status"], row.get("title"))
            for row in select_values(self, _SOURCES_QUERY, "claim", claims)
        ]


_KG = "https://w3id.org/ai-compute-kg/ontology#"
_CLAIM_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?claim ?subject ?object ?start ?end ?status WHERE {{
  {{ SELECT ?claim ?subject ?object WHERE {{ ?claim <{subject_role}> ?subject ; <{object_role}> ?object . }} }}
  ?claim a <{cls}> .
  OPTIONAL {{ ?claim kg:startDate ?start }}
  OPTIONAL {{ ?claim kg:endDate ?end }}
  OPTIONAL {{ ?claim kg:attestation ?attestation . ?attestation kg:status ?status }}
}}"""


# The claims between some agent pairs, then all their roles (see ``Source.claim_rows``). The
# VALUES block sits in a sub-select: Oxigraph joins it there first, and 10^2 times slower
# when it sits beside the OPTIONALs.
_CLAIMS_BETWEEN_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?claim ?subject ?object ?start ?end ?status WHERE {{
  {{ SELECT DISTINCT ?claim WHERE {{ {values} ?claim <{subject_role}> ?pairSubject ; <{object_role}> ?pairObject . }} }}
  ?claim a <{cls}> ; <{subject_role}> ?subject ; <{object_role}> ?object .
  OPTIONAL {{ ?claim kg:startDate ?start }}
  OPTIONAL {{ ?claim kg:endDate ?end }}
  OPTIONAL {{ ?claim kg:attestation ?attestation . ?attestation kg:status ?status }}
}}"""


def _claim_queries(cls, subject_role, object_role, pairs=None, chunk: int = 2000) -> list[str]:
    """The claim-reading query, whole or restricted to agent pairs a VALUES block at a time."""
    if pairs is None:
        return [_CLAIM_QUERY.format(cls=cls, subject_role=subject_role, object_role=object_role)]
    pairs = sorted(set(pairs), key=lambda pair: (str(pair[0]), str(pair[1])))
    return [
        _CLAIMS_BETWEEN_QUERY.format(
            cls=cls,
            subject_role=subject_role,
            object_role=object_role,
            values="VALUES (?pairSubject ?pairObject) { " + " ".join(f"({s.n3()} {o.n3()})" for s, o in pairs[i : i + chunk]) + " }",
        )
        for i in range(0, len(pairs), chunk)
    ]


_AGENT_TYPES_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?agent ?type WHERE {{ {values} ?agent a ?type . FILTER (STRSTARTS(STR(?type), STR(kg:))) }}"""
_SOURCES_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?claim ?source ?status ?title WHERE {{
  {{ SELECT ?claim ?source ?status WHERE {{ {values} ?claim kg:attestation ?attestation .
                                            ?attestation kg:source ?source ; kg:status ?status . }} }}
  OPTIONAL {{ ?source dcterms:title ?title }}
}}"""
_LABELS_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?node ?label WHERE {{ {values} ?node rdfs:label ?label }}"""


class MemorySource(Source):
    """An rdflib graph in memory: the embedded default, fine up to ~10^5 triples."""

    name = "memory"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def select(self, query: str) -> Rows:
        result = self.graph.query(query)
        return tuple(str(v) for v in result.vars), [tuple(row) for row in result]

    # The same answers as the SPARQL versions, read with the graph API.
    def claim_rows(self, cls, subject_role, object_role, *, pairs=None) -> list[tuple]:
        from kg.namespaces import KG

        graph, rows = self.graph, []
        wanted = None if pairs is None else set(pairs)
        for claim in graph.subjects(RDF.type, cls):
            subjects, objects = list(graph.objects(claim, subject_role)), list(graph.objects(claim, object_role))
            if wanted is not None and not any((subject, obj) in wanted for subject in subjects for obj in objects):
                continue
            starts = list(graph.objects(claim, KG.startDate)) or [None]
            ends = list(graph.objects(claim, KG.endDate)) or [None]
            statuses = [status for att in graph.objects(claim, KG.attestation) for status in graph.objects(att, KG.status)] or [None]
            rows += _claim_rows_of(claim, subjects, objects, starts, ends, statuses)
        return rows

    def agent_types(self, agents) -> list[tuple[Node, Node]]:
        return [
            (agent, cls)
            for agent in set(agents)
            for cls in self.graph.objects(agent, RDF.type)
            if isinstance(cls, URIRef) and str(cls).startswith(_KG)
        ]

    def labels(self, nodes) -> dict[Node, str]:
        labels = {}
        for node in set(nodes):
            found = [str(label) for label in self.graph.objects(node, RDFS.label)]
            if found:
                labels[node] = min(found)
        return labels

    def attestations(self, claims) -> list[tuple]:
        from kg.namespaces import KG

        graph, rows = self.graph, []
        for claim in set(claims):
            for att in graph.objects(claim, KG.attestation):
                for source in graph.objects(att, KG.source):
                    titles = list(graph.objects(source, DCTERMS_TITLE)) or [None]
                    rows += [(claim, source, status, title) for status in graph.objects(att, KG.status) for title in titles]
        return rows

    def run(self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False):
        from kg.query import run_query

        return run_query(self.graph, text, params=params, allow_update=allow_update, allow_service=allow_service)

    def to_graph(self) -> Graph:
        return self.graph

    def __len__(self) -> int:
        return len(self.graph)


# --- Oxigraph ----------------------------------------------------------------------------------

def _ox():
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - pyoxigraph is a declared dependency
        raise InputError("--store oxigraph needs pyoxigraph: pip install pyoxigraph") from None
    return pyoxigraph


def to_rdflib(term) -> Node | None:
    """An rdflib term for a pyoxigraph term (xsd:string literals become plain, as in rdflib)."""
    if term is None:
        return None
    ox = _ox()
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


def _claim_rows_of(claim, subjects, objects, starts, ends, statuses) -> list[tuple]:
    """A claim's rows as the claim query gives them: one per combination of its values."""
    return [(claim, *values) for values in itertools.product(subjects, objects, starts, ends, statuses)]


def _any(iterator) -> bool:
    return next(iterator, None) is not None


def to_oxigraph(term: Node):
    ox = _ox()
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


_OX_FORMATS = {"turtle": "TURTLE", "nt": "N_TRIPLES", "nquads": "N_QUADS", "trig": "TRIG", "xml": "RDF_XML", "n3": "N3"}


class OxigraphSource(Source):
    """A pyoxigraph store, in memory or on disk (``path``), for 10^6–10^8 triples.

    Files are bulk-loaded into the default graph (quads keep their graphs; queries
    read the union). A store on disk is reused as it is by a run without data,
    and emptied and loaded again by a run with data, so it never mixes two runs.
    """

    name = "oxigraph"

    def __init__(self, path: str | Path | None = None, *, include_ontology: bool = True) -> None:
        ox = _ox()
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

    def load_file(self, path: Path, *, graph: str | None = None, progress=None) -> None:
        """Bulk-load one RDF file; ``progress(bytes_read)`` is called as it streams in."""
        from kg.load import _location, _reason, rdf_format_for

        ox = _ox()
        rdf_format = rdf_format_for(path)
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if rdf_format not in _OX_FORMATS:  # JSON-LD: kg's loader resolves its context offline
            from kg.load import parse_rdf_file

            temp = Graph()
            parse_rdf_file(temp, path)
            self.add_graph(temp, graph_name=graph)
        else:
            try:
                options = dict(
                    format=getattr(ox.RdfFormat, _OX_FORMATS[rdf_format]),
                    base_iri=path.resolve().as_uri(),
                    to_graph=None if rdf_format in ("nquads", "trig") else target,
                )
                if progress is None:  # Oxigraph reads the file itself: fastest
                    self.store.bulk_load(path=str(path), **options)
                else:
                    with open(path, "rb") as handle:  # the reader only counts bytes for the bar
                        self.store.bulk_load(input=_CountingReader(handle, progress), **options)
            except SyntaxError as exc:
                raise InputError(f"{_location(path, exc)}: not valid {rdf_format}: {_reason(exc)}") from None
            except OSError as exc:
                raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None

    def add_graph(self, rdf: Graph, *, graph_name: str | None = None) -> None:
        """Add an rdflib graph (an ingested sheet, a JSON-LD file) to the store."""
        ox = _ox()
        target = ox.NamedNode(graph_name) if graph_name else ox.DefaultGraph()
        self.store.bulk_extend(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), target) for s, p, o in rdf)

    def claim_rows(self, cls, subject_role, object_role, *, pairs=None) -> list[tuple]:
        # The hot path at scale: IRIs become URIRefs (interned), dates stay plain strings.
        if pairs is not None:
            return self._claim_rows_between(cls, subject_role, object_role, pairs)
        ox = _ox()
        iri = _interning_iri()
        rows = []
        solutions = (
            solution
            for query in _claim_queries(cls, subject_role, object_role)
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
        """``claim_rows`` for a few thousand agent pairs (the evidence of findings), by index look-ups:
        for the 2,730 findings of a 10^6-triple graph in memory, 0.3 s where the claim query
        with the pairs in VALUES blocks took 1.0 s (on disk both take about 2.5 s)."""
        from kg.namespaces import KG

        ox = _ox()
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
            rows += _claim_rows_of(iri(claim), subjects, objects, starts, ends, statuses)
        return rows

    # Look-ups by node through the indexes: Oxigraph joins a large VALUES block slowly.
    def labels(self, nodes) -> dict[Node, str]:
        ox, labels = _ox(), {}
        label = ox.NamedNode(str(RDFS.label))
        for node in set(nodes):
            if isinstance(node, URIRef):
                found = [quad.object.value for quad in self.store.quads_for_pattern(ox.NamedNode(node), label, None)]
                if found:
                    labels[node] = min(found)
        return labels

    def attestations(self, claims) -> list[tuple]:
        from kg.namespaces import KG

        ox, rows = _ox(), []
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
        ox = _ox()
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
        ox = _ox()
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

    def constructed(self, queries: Iterable[str]) -> "OxigraphSource":
        """A new in-memory store holding what CONSTRUCT ``queries`` give over this store's graphs.

        The triples go store to store without becoming Python objects, and the
        queries run two at a time (Oxigraph releases the GIL). This store is only
        read, so a store on disk is never written by a read-only command.
        """
        from concurrent.futures import ThreadPoolExecutor

        ox = _ox()
        target, dataset = OxigraphSource(), self._data_dataset()

        def construct(query: str) -> bytes:
            return self.store.query(query, **dataset).serialize(format=ox.RdfFormat.N_TRIPLES)

        with ThreadPoolExecutor(max_workers=2) as pool:
            for triples in pool.map(construct, list(queries)):
                target.store.load(input=triples, format=ox.RdfFormat.N_TRIPLES)
        return target

    def select(self, query: str) -> Rows:
        ox = _ox()
        try:
            solutions = self.store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from None
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = tuple(v.value for v in solutions.variables)
        return names, [tuple(to_rdflib(solution[name]) for name in names) for solution in solutions]

    def run(self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False):
        from kg.query import QueryResult, bind_as_values, prepare

        ox = _ox()
        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
        try:
            if isinstance(prepared, tuple):
                self.store.update(text)
                return QueryResult(form="UPDATE")
            # pyoxigraph substitutes only projected variables, so bind with VALUES as for endpoints.
            result = self.store.query(bind_as_values(text, params, self), use_default_graph_as_union=True, prefixes=_prefixes())
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
        from kg.namespaces import bind_prefixes

        ox = _ox()
        skipped = set() if self.include_ontology else {ox.NamedNode(ONTOLOGY_GRAPH)}
        graph = Graph()
        bind_prefixes(graph)
        for quad in self.store:
            if quad.graph_name not in skipped:
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def __len__(self) -> int:
        ox = _ox()
        hidden = [] if self.include_ontology else [ox.NamedNode(ONTOLOGY_GRAPH)]
        return len(self.store) - sum(len(list(self.store.quads_for_pattern(None, None, None, g))) for g in hidden)


def _prefixes() -> dict[str, str]:
    from kg.namespaces import PREFIXES

    prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    prefixes.update(
        rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        rdfs="http://www.w3.org/2000/01/rdf-schema#",
        xsd="http://www.w3.org/2001/XMLSchema#",
        owl="http://www.w3.org/2002/07/owl#",
    )
    return prefixes


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


# --- SPARQL endpoint -------------------------------------------------------------------------

class EndpointSource(Source):
    """Any SPARQL 1.1 endpoint over HTTP (Oxigraph server, Fuseki, GraphDB, Virtuoso, QLever, Neptune).

    ``graph`` names the graph to read (sent as ``default-graph-uri``); errors,
    timeouts and unreachable servers become one ``InputError`` naming the URL.
    """

    name = "endpoint"

    def __init__(self, url: str, *, graph: str | None = None, timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InputError(f"invalid --endpoint {url!r}: expected an http(s) URL")
        self.url, self.graph, self.timeout = url, graph, timeout

    def _request(self, url: str, data: bytes, content_type: str, accept: str, method: str = "POST") -> bytes:
        return self._exchange(url, data, content_type, accept, method)[0]

    def _exchange(self, url: str, data: bytes, content_type: str, accept: str, method: str = "POST"):
        """The answer's body and headers; every HTTP failure as one InputError naming the URL."""
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())
            raise InputError(f"{url}: HTTP {exc.code} {exc.reason}" + (f": {detail[:200]}" if detail else "")) from None
        except urllib.error.URLError as exc:
            raise InputError(f"{url}: cannot reach the endpoint: {getattr(exc.reason, 'strerror', None) or exc.reason}") from None
        except TimeoutError:
            raise InputError(f"{url}: no answer within {self.timeout:g} s (timeout)") from None
        except OSError as exc:
            raise InputError(f"{url}: connection failed: {exc}") from None

    def query(self, text: str, accept: str) -> bytes:
        """The endpoint's answer to a query; an error rather than an answer the server cut short."""
        fields = [("query", text)] + ([("default-graph-uri", self.graph)] if self.graph else [])
        body, headers = self._exchange(self.url, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded", accept)
        limit = headers.get("X-SPARQL-MaxRows")
        if limit is None and accept == "application/n-triples" and headers.get("Server", "").startswith("Virtuoso"):
            # Virtuoso cuts CONSTRUCT answers at its row limit without saying so (it does say for SELECT).
            found = self._virtuoso_row_limit()
            limit = found if found is not None and body.count(b"\n") >= found else None
        if limit is not None:
            raise InputError(
                f"{self.url}: the endpoint cut its answer at {limit} rows, so kg would miss data; "
                "raise the server's limit (Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)"
            )
        return body

    def _virtuoso_row_limit(self) -> int | None:
        """Rows a Virtuoso endpoint sends at most: its ResultSetMaxRows, never above 2^20 over HTTP.

        Asked once, through Virtuoso's own built-in functions; None, with a
        warning, if the server refuses them.
        """
        with _ROW_LIMIT_LOCK:  # kg sends queries two at a time: ask once
            if hasattr(self, "_row_limit"):
                return self._row_limit
            text = "SELECT (bif:cfg_item_value(bif:virtuoso_ini_path(), 'SPARQL', 'ResultSetMaxRows') AS ?rows) WHERE {}"
            fields = urllib.parse.urlencode([("query", text)]).encode()
            try:
                body, _ = self._exchange(self.url, fields, "application/x-www-form-urlencoded", "application/sparql-results+json")
                binding = json.loads(body)["results"]["bindings"][0]
                value = int(binding["rows"]["value"]) if "rows" in binding else 0  # unset: no limit but HTTP's
                self._row_limit = min(value, 2**20) if value > 0 else 2**20
            except (InputError, ValueError, KeyError, IndexError, TypeError, AttributeError):
                self._row_limit = None
                message = f"{self.url}: Virtuoso did not tell its row limit (ResultSetMaxRows), so a CONSTRUCT answer cut there would go unnoticed"
                warnings.warn(message, KgWarning, stacklevel=2)
            return self._row_limit

    def select(self, query: str) -> Rows:
        document = _json(self.url, self.query(query, "application/sparql-results+json"))
        try:
            names = tuple(str(name) for name in document["head"]["vars"])
            bindings = document["results"]["bindings"]
            rows = [tuple(_json_term(binding.get(name)) for name in names) for binding in bindings]
        except (KeyError, TypeError, AttributeError):
            raise InputError(f"{self.url}: the endpoint's answer is not SPARQL JSON results for a SELECT") from None
        expected = _projected(query)
        if expected and not set(expected) <= set(names):
            missing = ", ".join("?" + name for name in expected if name not in names)
            raise InputError(f"{self.url}: the endpoint's answer lacks the variables {missing}")
        if expected and tuple(expected) != names:
            rows = [tuple(row[names.index(name)] for name in expected) for row in rows]
            names = tuple(expected)
        return names, rows

    def run(self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False):
        from kg.query import QueryResult, bind_as_values, prepare

        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
        if isinstance(prepared, tuple):
            raise QueryError("SPARQL Update is not sent to endpoints by kg query; use the server's own tools")
        text = bind_as_values(text, params, self)
        form = prepared.algebra.name
        if form == "AskQuery":
            document = _json(self.url, self.query(text, "application/sparql-results+json"))
            return QueryResult(form="ASK", boolean=bool(document.get("boolean")))
        if form in ("ConstructQuery", "DescribeQuery"):
            return QueryResult(form="CONSTRUCT", graph=self._graph_answer(self.query(text, "application/n-triples")))
        names, rows = self.select(text)
        return QueryResult(form="SELECT", variables=names, rows=tuple(rows))

    def constructed(self, queries: Iterable[str]) -> OxigraphSource:
        """A local in-memory store holding what CONSTRUCT ``queries`` give at the endpoint.

        The server joins its own data, two queries at a time, and sends N-Triples,
        which Oxigraph loads without making Python objects, rather than a JSON row
        per attestation of every claim (the rule pack at 10^6 triples: 36 s, not 57 s).
        """
        from concurrent.futures import ThreadPoolExecutor

        ox = _ox()
        target = OxigraphSource()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for answer in pool.map(lambda query: self.query(query, "application/n-triples"), list(queries)):
                try:
                    target.store.load(input=answer, format=ox.RdfFormat.N_TRIPLES)
                except SyntaxError as exc:
                    reason = " ".join(str(exc).split())[:120]
                    raise InputError(f"{self.url}: the endpoint's answer is not N-Triples: {reason}") from None
        return target

    def _graph_answer(self, data: bytes) -> Graph:
        try:
            return Graph().parse(data=data, format="nt")
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            raise InputError(f"{self.url}: the endpoint's answer is not N-Triples: {' '.join(str(exc).split())[:120]}") from None

    def to_graph(self) -> Graph:
        return self._graph_answer(self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples"))

    # writing (kg push)
    def push(
        self, ntriples: bytes, *, target_graph: str | None, store_url: str | None = None, update_url: str | None = None, bulk: bool = False
    ) -> str:
        """Replace ``target_graph`` (or the default graph) at the endpoint with an N-Triples document.

        Uses the Graph Store Protocol (PUT) where the server offers it, else SPARQL
        Update (DROP, then INSERT DATA in chunks). The document must hold no blank
        nodes (``OxigraphSource.ntriples`` names them). ``bulk`` adds Oxigraph's
        ``no_transaction`` to the PUT: its bulk loader, not atomic. Returns the method used.
        """
        store = store_url or _guess(self.url, {"query": "store", "sparql": "store"})
        if store:
            url = store + ("?" + urllib.parse.urlencode({"graph": target_graph}) if target_graph else "?default")
            url += "&no_transaction" if bulk else ""
            try:
                self._request(url, ntriples, "application/n-triples", "*/*", method="PUT")
                return f"Graph Store Protocol at {store}"
            except InputError as exc:
                if not _not_offered(exc):
                    raise
        # Oxigraph and Fuseki take updates beside the query URL (/update), Virtuoso at the query URL itself.
        candidates = [update_url] if update_url else [_guess(self.url, {"query": "update", "sparql": "update"}), self.url]
        candidates = list(dict.fromkeys(url for url in candidates if url))
        drop = f"DROP SILENT GRAPH <{target_graph}>" if target_graph else "DROP SILENT DEFAULT"
        for update in candidates:
            try:
                self._request(update, urllib.parse.urlencode({"update": drop}).encode(), "application/x-www-form-urlencoded", "*/*")
                break
            except InputError as exc:
                if update == candidates[-1] or not _not_offered(exc):
                    raise
        lines = ntriples.decode("utf-8").splitlines()
        for start in range(0, len(lines), 5000):
            chunk = "\n".join(lines[start : start + 5000])
            inner = f"GRAPH <{target_graph}> {{ {chunk} }}" if target_graph else chunk
            data = urllib.parse.urlencode({"update": f"INSERT DATA {{ {inner} }}"}).encode()
            self._request(update, data, "application/x-www-form-urlencoded", "*/*")
        return f"SPARQL Update at {update}"

    def __len__(self) -> int:
        _, rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


_ROW_LIMIT_LOCK = threading.Lock()


def _not_offered(error: InputError) -> bool:
    """Whether an HTTP error says the URL does not offer the protocol tried (so kg tries the next)."""
    return any(f"HTTP {code}" in str(error) for code in (404, 405, 415, 501))


def _guess(url: str, replacements: dict[str, str]) -> str | None:
    head, _, last = url.rstrip("/").rpartition("/")
    return f"{head}/{replacements[last]}" if last in replacements else None


def _json(url: str, data: bytes) -> dict:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    if not isinstance(document, dict):
        raise InputError(f"{url}: the endpoint's answer is not SPARQL JSON results")
    return document


def _projected(query: str) -> list[str]:
    """The variables a SELECT projects, in order (empty if it cannot be told)."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        return [str(v) for v in prepareQuery(query).algebra.get("PV", [])]
    except Exception:  # the server judges queries kg cannot parse
        return []


def _json_term(value: dict | None) -> Node | None:
    if value is None:
        return None
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if "xml:lang" in value:
        return Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    if datatype and datatype != str(XSD.string):
        return Literal(value["value"], datatype=datatype)
    return Literal(value["value"])


# --- opening a source --------------------------------------------------------------------------

def open_source(
    data: Iterable[str | Path] = (),
    *,
    store: str = "memory",
    store_path: str | Path | None = None,
    endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = 60.0,
    include_ontology: bool = True,
    progress_factory=None,
):
    """The graph a command works on: local files in memory or in Oxigraph, or an endpoint.

    With no data and no endpoint, the bundled example is loaded. The ontology is
    always loaded with local data (into its own graph in Oxigraph).
    """
    from kg import resources
    from kg.load import FORMATS_BY_SUFFIX, load_graph

    data = [Path(p) for p in data]
    if endpoint:
        if data:
            raise InputError("give either --data or --endpoint, not both")
        return EndpointSource(endpoint, graph=graph, timeout=timeout)
    if store == "memory":
        return MemorySource(load_graph(data, include_ontology=include_ontology))
    if store != "oxigraph":
        raise InputError(f"unknown --store {store!r}; expected memory or oxigraph")
    source = OxigraphSource(store_path, include_ontology=include_ontology)
    if not data and not source.is_empty():
        return source  # a store on disk reused as it is
    source.clear()  # new data replaces what an earlier run left, never mixes with it
    files: list[Path] = []
    for path in data or [resources.bundled_data_path()]:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMATS_BY_SUFFIX)
            if any((path / name).exists() for name in ("entities.csv", "relations.csv")):
                from kg.ingest import ingest_folder

                source.add_graph(ingest_folder(path))
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    total = sum(p.stat().st_size for p in files)
    with (progress_factory(total) if progress_factory else contextlib.nullcontext()) as advance:
        for path in files:
            source.load_file(path, progress=advance)
    if include_ontology:
        source.load_file(resources.ontology_path(), graph=ONTOLOGY_GRAPH)
    return source


def rows_as_dicts(rows: Rows) -> Iterator[dict[str, Node | None]]:
    names, values = rows
    for row in values:
        yield dict(zip(names, row))


def as_source(graph_or_source):
    """A kg source for an rdflib graph (wrapped in memory) or a source as it is."""
    return MemorySource(graph_or_source) if isinstance(graph_or_source, Graph) else graph_or_source


def select_values(source, template: str, variable: str, terms: Iterable[Node], chunk: int = 2000) -> list[dict]:
    """Run ``template`` (holding ``{values}``) for many terms, a VALUES block at a time."""
    terms = sorted(set(terms), key=str)
    rows: list[dict] = []
    for start in range(0, len(terms), chunk):
        values = " ".join(term.n3() for term in terms[start : start + chunk])
        rows.extend(rows_as_dicts(source.select(template.format(values=f"VALUES ?{variable} {{ {values} }}"))))
    return rows
