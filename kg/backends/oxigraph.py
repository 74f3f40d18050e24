"""Oxigraph (pyoxigraph), in memory or on disk: the backend for 10^6–10^8 triples.

Queries and the rules' CONSTRUCTs run inside the store; only what a command
shows becomes Python objects. Oxigraph releases the GIL, so kg runs its queries
two at a time.

A store on disk records its loads and is locked as ``kg.backends.disk`` says;
runs that only read it open it read-only.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

from rdflib import Graph

from kg import resources
from kg.backends.base import Backend, Rows
from kg.backends.oxigraph_reads import IndexReads
from kg.backends.disk import check_complete, folder_kind, lock_folder, read_load_record, write_load_record
from kg.backends.terms import oxigraph_module, query_result, to_oxigraph, to_rdflib
from kg.errors import InputError, QueryError, arg
from kg.io.formats import RdfFormat, format_of
from kg.io.ownership import reader_named
from kg.io.rdf import error_location, error_reason, parse_rdf_file, refuse_xml_entities
from kg.io.sheets.read import ingest_folder
from kg.io.walk import DataFile, Input, RdfFile, SheetFolder
from kg.sparql import SHORTCUTS_QUERY, QueryResult, bind_as_values, bounded, prepare, shortcuts_in, warn_missing_shortcuts
from kg.vocab import (
    GENID,
    LOAD_GRAPH,
    ONTOLOGY_GRAPH,
    QUERY_PREFIXES,
    SHORTCUTS_GRAPH,
    bind_prefixes,
)

#: The ontology's shortcuts inferred from the claims (read only when a query asks to infer them).
_KG_GRAPHS = (LOAD_GRAPH, SHORTCUTS_GRAPH)


class OxigraphBackend(IndexReads, Backend):
    """A pyoxigraph store, in memory or on disk (``path``), for 10^6–10^8 triples.

    Files are bulk-loaded into the default graph (quads keep their graphs; queries
    read them all). A store on disk is reused as it is by a run without data,
    and emptied and loaded again by a run with data, so it never mixes two runs.
    ``read_only`` opens a store on disk without writing it, beside other readers.
    """

    name = "oxigraph"

    def __init__(self, path: str | Path | None = None, *, include_ontology: bool = True, read_only: bool = False) -> None:
        ox = oxigraph_module()
        self.include_ontology = include_ontology
        self.path = Path(path) if path else None
        self.read_only = read_only and self.path is not None
        self._lock = None
        self._shortcuts_ready = False
        if self.path is None:
            self.store = ox.Store()
            return
        kind = folder_kind(self.path)
        if kind == "foreign":
            raise InputError(f"{self.path}: not an Oxigraph store (the folder holds other files); give {arg('store_path')} a new or empty folder")
        if self.read_only and kind != "store":
            raise InputError(f"{self.path}: no Oxigraph store there")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot make the store's folder: {exc.strerror or exc}") from None
        self._lock = lock_folder(self.path, exclusive=not self.read_only)
        try:
            self.store = ox.Store.read_only(str(self.path)) if self.read_only else ox.Store(str(self.path))
        except OSError as exc:
            self.close()
            raise InputError(f"{self.path}: cannot open the Oxigraph store: {exc}") from None
        record = self.load_record()
        self._shortcuts_ready = bool(record and record.get("state") == "complete" and record.get("shortcuts"))

    def close(self) -> None:
        """Let other runs load the store: drop it and release the folder's lock."""
        self.store = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __del__(self) -> None:
        if getattr(self, "_lock", None) is not None:
            self.close()

    # loading
    def clear(self) -> None:
        self.store.clear()
        self._shortcuts_ready = False

    def load_inputs(self, inputs: list[Input], *, progress_factory=None) -> None:
        """Replace the store's content with ``inputs`` and the ontology (in its own graph).

        Spreadsheets are read before the store is emptied, so a sheet with bad
        cells leaves a store on disk as it was. On disk, the load is recorded as
        begun before anything changes and as complete once all is in (the
        ontology and the inferred shortcuts included), so an interrupted load
        is never taken for the data. The ontology is loaded whatever
        ``include_ontology`` says (which only decides what reads see), so a later
        run that reuses the store has it.
        """
        sheets = [ingest_folder(found.path) for found in inputs if isinstance(found, SheetFolder)]
        files = [found for found in inputs if isinstance(found, (RdfFile, DataFile))]
        loaded = [str(found.path.resolve()) for found in inputs]
        self._record("loading", loaded)  # before the store is emptied: an interruption from here on shows
        self.clear()  # new data replaces what an earlier run left, never mixes with it
        self._record("loading", loaded)
        for sheet in sheets:
            self.add_graph(sheet)
        total = sum(found.path.stat().st_size for found in files)
        with (progress_factory(total) if progress_factory else contextlib.nullcontext()) as advance:
            for found in files:
                if isinstance(found, DataFile):  # BODS, FtM, GLEIF: streamed in as kg's claims, like an RDF file
                    self.add_stream(_reader(found).read(found.path, progress=advance))
                else:
                    self.load_file(found.path, found.format, progress=advance)
        self.load_file(resources.ontology_path(), graph=ONTOLOGY_GRAPH)
        if self.path is not None:  # a store on disk is read read-only later: infer now
            self._add_shortcuts()
        self._record("complete", loaded)

    def _record(self, state: str, inputs: list[str]) -> None:
        if self.path is not None:  # a store in memory ends with its run: nothing to record
            write_load_record(self.store, state, inputs, shortcuts=self._shortcuts_ready)

    def load_record(self) -> dict | None:
        """What the last load of a store on disk recorded (``kg.backends.disk.read_load_record``)."""
        return read_load_record(self.store)

    def check_complete(self) -> None:
        """Refuse a store on disk whose last load did not complete (an InputError naming its folder)."""
        check_complete(self.path, self.load_record())

    def load_file(self, path: Path, rdf_format: RdfFormat | None = None, *, graph: str | None = None, progress=None) -> None:
        """Bulk-load one RDF file; ``progress(bytes_read)`` is called as it streams in."""
        ox = oxigraph_module()
        rdf_format = rdf_format or format_of(path)
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        if graph != ONTOLOGY_GRAPH:
            self._drop_shortcuts()
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
        """Add an rdflib graph (an ingested sheet, a JSON-LD file, a graph to query) to the store."""
        ox = oxigraph_module()
        target = ox.NamedNode(graph_name) if graph_name else ox.DefaultGraph()
        made: dict = {}  # terms recur: each is made once

        def term(node):
            found = made.get(node)
            if found is None:
                found = made[node] = to_oxigraph(node)
            return found

        self._drop_shortcuts()
        try:
            self.store.bulk_extend(ox.Quad(term(s), term(p), term(o), target) for s, p, o in rdf)
        except ValueError as exc:  # an IRI or language tag rdflib let through
            raise InputError(f"the graph holds a term Oxigraph cannot store: {exc}") from None

    def add_stream(self, triples, *, batch: int = 50_000) -> None:
        """Add rdflib triples from a stream (an ownership data reader) in batches: memory stays bounded."""
        ox = oxigraph_module()
        made: dict = {}
        target = ox.DefaultGraph()

        def term(node):
            found = made.get(node)
            if found is None:
                if len(made) > 200_000:
                    made.clear()  # a cache of recent terms, not of the whole file
                found = made[node] = to_oxigraph(node)
            return found

        self._drop_shortcuts()
        quads = []
        try:
            for s, p, o in triples:
                quads.append(ox.Quad(term(s), term(p), term(o), target))
                if len(quads) >= batch:
                    self.store.bulk_extend(quads)
                    quads = []
            self.store.bulk_extend(quads)
        except ValueError as exc:  # an IRI or language tag rdflib let through
            raise InputError(f"the data holds a term Oxigraph cannot store: {exc}") from None

    def add_triples(self, triples) -> None:
        """Add (subject, predicate, object) IRIs, as strings or URIRefs, to the default graph."""
        ox = oxigraph_module()
        triples = list(triples)
        self._drop_shortcuts()
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
        for graph in [ox.DefaultGraph(), *self._graphs(ontology=True)]:
            if not self.store.query("ASK { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }", default_graph=graph):
                parts.append(self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph))
                continue
            quads = self.store.quads_for_pattern(None, None, None, graph)
            parts.append(ox.serialize((ox.Triple(iri(q.subject), q.predicate, iri(q.object)) for q in quads), format=ox.RdfFormat.N_TRIPLES))
        return b"".join(parts)

    def _graphs(self, *, ontology: bool) -> list:
        """The store's named graphs that hold data (the ontology's with ``ontology``), not kg's records."""
        hidden = set(_KG_GRAPHS) | (set() if ontology else {ONTOLOGY_GRAPH})
        return [graph for graph in self.store.named_graphs() if graph.value not in hidden]

    def _read_dataset(self, *, ontology: bool | None = None, infer: bool = False) -> dict:
        """Where queries look: the default graph with every graph of data (the union, as queries read
        it), the ontology's if included, the inferred shortcuts if asked for; never kg's records."""
        ox = oxigraph_module()
        graphs = self._graphs(ontology=self.include_ontology if ontology is None else ontology)
        shortcuts = [ox.NamedNode(SHORTCUTS_GRAPH)] if infer else []
        return {"default_graph": [ox.DefaultGraph(), *graphs, *shortcuts], "named_graphs": graphs}

    def _data_dataset(self) -> dict:
        """Where kg's claim reads look: the default graph alone when all data is there (the usual
        case), else it with the other graphs of data, which costs Oxigraph on disk half as much
        time again."""
        ox = oxigraph_module()
        others = self._graphs(ontology=False)
        return {"default_graph": [ox.DefaultGraph(), *others]} if others else {}

    # the ontology's shortcuts, inferred when a query asks for them
    def _add_shortcuts(self) -> None:
        ox = oxigraph_module()
        triples = self.store.query(SHORTCUTS_QUERY, **self._data_dataset()).serialize(format=ox.RdfFormat.N_TRIPLES)
        self.store.remove_graph(ox.NamedNode(SHORTCUTS_GRAPH))
        self.store.load(input=triples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(SHORTCUTS_GRAPH))
        self._shortcuts_ready = True

    def _drop_shortcuts(self) -> None:
        """Forget the inferred shortcuts once the data changes (they are inferred again when asked for)."""
        if self._shortcuts_ready and not self.read_only:
            self.store.remove_graph(oxigraph_module().NamedNode(SHORTCUTS_GRAPH))
        self._shortcuts_ready = False

    def _ensure_shortcuts(self) -> None:
        if self._shortcuts_ready:
            return
        if self.read_only:
            raise QueryError(f"{self.path}: this store holds no inferred shortcuts; load it again with {arg('inputs')}")
        self._add_shortcuts()

    def _warn_missing_shortcuts(self, prepared) -> None:
        """Warn when a query names shortcuts that the data does not state (they need inferring)."""
        dataset = self._read_dataset()
        missing = [shortcut for shortcut in shortcuts_in(prepared) if not self.store.query(f"ASK {{ ?s {shortcut.n3()} ?o }}", **dataset)]
        if missing:
            warn_missing_shortcuts(missing)

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
        try:
            result = query_result(self.store.query(query, **self._read_dataset(ontology=True)))
        except SyntaxError as exc:
            raise QueryError(f"invalid SPARQL: {exc}") from None
        if result.form != "SELECT":
            raise QueryError("expected a SELECT query")
        return result.variables, list(result.rows)

    def run(
        self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False, infer=False, timeout=None
    ) -> QueryResult:
        """A user's query (read-only unless allowed), answered within ``timeout`` seconds.

        An update changes a store in memory; a store on disk is refused, since
        ``kg query`` changes only in-memory copies of the data.
        """
        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
        if isinstance(prepared, tuple):
            if infer:
                raise QueryError(f"{arg('infer')} applies to queries, not to updates")
            if self.path is not None:
                raise QueryError(
                    f"{self.path}: refused: SPARQL Update would change the store on disk, and kg query changes "
                    f"only an in-memory copy of the data (load the data without {arg('store_path')} to update that copy)"
                )
            return bounded(timeout, lambda: self._update(text, params))
        return bounded(timeout, lambda: self.answer(prepared, text, params=params, infer=infer))

    def answer(self, prepared, text: str, *, params: Iterable[str] = (), infer: bool = False) -> QueryResult:
        """The answer to a read query ``prepare`` has checked (``run`` without the checks and the clock)."""
        if infer:
            self._ensure_shortcuts()
        else:
            self._warn_missing_shortcuts(prepared)
        try:
            # pyoxigraph substitutes only projected variables, so bind with VALUES as for endpoints.
            text = bind_as_values(text, params, self)
            return query_result(self.store.query(text, prefixes=QUERY_PREFIXES, **self._read_dataset(infer=infer)))
        except (SyntaxError, OSError, ValueError) as exc:
            raise QueryError(f"query failed: {exc}") from None

    def _update(self, text: str, params: Iterable[str]) -> QueryResult:
        text = bind_as_values(text, params, self, update=True)
        try:
            self.store.update(text, prefixes=QUERY_PREFIXES)
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"update failed: {exc}") from None
        finally:
            self._drop_shortcuts()
        return QueryResult(form="UPDATE")

    def to_graph(self) -> Graph:
        ox = oxigraph_module()
        graph = Graph()
        bind_prefixes(graph)
        for source in [ox.DefaultGraph(), *self._graphs(ontology=self.include_ontology)]:
            for quad in self.store.quads_for_pattern(None, None, None, source):
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return graph

    def check_copyable(self) -> None:
        """A graph here can be copied (``copy_with``)."""

    def copy_with(self, graph: Graph) -> "OxigraphBackend":
        """A new Oxigraph store in memory holding this store's graphs (not kg's records of its loads) and
        ``graph``'s triples; this store is only read, so a store on disk is never written."""
        ox = oxigraph_module()
        copy = OxigraphBackend(include_ontology=self.include_ontology)
        copy.store.load(input=self.store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        for record in _KG_GRAPHS:
            copy.store.remove_graph(ox.NamedNode(record))
        copy.add_graph(graph)
        return copy

    def triple_count(self, *, ontology: bool) -> int:
        """Triples of the data (and of the ontology with ``ontology``), kg's records left out."""
        ox = oxigraph_module()
        hidden = [*_KG_GRAPHS, *([] if ontology else [ONTOLOGY_GRAPH])]
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        sizes = [int(next(iter(self.store.query(count, default_graph=ox.NamedNode(graph))))["n"].value) for graph in hidden]
        return len(self.store) - sum(sizes)

    def __len__(self) -> int:
        return self.triple_count(ontology=self.include_ontology)


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



def _reader(found: DataFile):
    return reader_named(found.reader)
