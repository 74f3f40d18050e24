"""Any SPARQL 1.1 endpoint over HTTP: the backend for graphs that outgrow one machine.

Reads go as SPARQL queries (JSON results, N-Triples for CONSTRUCTs); ``push``
writes with the Graph Store Protocol or SPARQL Update. An answer a server cut
short is an error, never a partial result.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.backends.base import Backend, Rows
from kg.backends.http import HttpClient
from kg.backends.oxigraph import OxigraphBackend, oxigraph_module
from kg.errors import EndpointError, InputError, KgWarning, QueryError, arg
from kg.io.formats import N_TRIPLES, SPARQL_RESULTS_JSON
from kg.sparql import QueryResult, bind_as_values, declare_prefixes, prepare, shortcuts_in, warn_missing_shortcuts


class EndpointBackend(Backend):
    """Any SPARQL 1.1 endpoint over HTTP (Oxigraph server, Fuseki, GraphDB, Virtuoso, QLever, Neptune).

    ``graph`` names the graph to read (sent as ``default-graph-uri``); errors,
    timeouts and unreachable servers become one ``EndpointError`` naming the URL.
    """

    name = "endpoint"

    def __init__(self, url: str, *, graph: str | None = None, timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InputError(f"invalid {arg('endpoint')} {url!r}: expected an http(s) URL")
        self.url, self.graph, self.timeout = url, graph, timeout
        self.http = HttpClient(timeout)

    def query(self, text: str, accept: str) -> bytes:
        """The endpoint's answer to a query; an error rather than an answer the server cut short."""
        fields = [("query", text)] + ([("default-graph-uri", self.graph)] if self.graph else [])
        body, headers = self.http.post_form(self.url, fields, accept)
        limit = headers.get("X-SPARQL-MaxRows")
        if limit is None and accept == N_TRIPLES.media_type and headers.get("Server", "").startswith("Virtuoso"):
            # Virtuoso cuts CONSTRUCT answers at its row limit without saying so (it does say for SELECT).
            found = self._virtuoso_row_limit()
            limit = found if found is not None and body.count(b"\n") >= found else None
        if limit is not None:
            raise EndpointError(
                f"{self.url}: the endpoint cut its answer at {limit} rows, so kg would miss data; "
                "raise the server's limit (Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)",
                url=self.url,
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
            try:
                body, _ = self.http.post_form(self.url, [("query", text)], SPARQL_RESULTS_JSON)
                binding = json.loads(body)["results"]["bindings"][0]
                value = int(binding["rows"]["value"]) if "rows" in binding else 0  # unset: no limit but HTTP's
                self._row_limit = min(value, 2**20) if value > 0 else 2**20
            except (EndpointError, ValueError, KeyError, IndexError, TypeError, AttributeError):
                self._row_limit = None
                message = f"{self.url}: Virtuoso did not tell its row limit (ResultSetMaxRows), so a CONSTRUCT answer cut there would go unnoticed"
                warnings.warn(message, KgWarning, stacklevel=2)
            return self._row_limit

    def select(self, query: str) -> Rows:
        document = _json(self.url, self.query(query, SPARQL_RESULTS_JSON))
        try:
            names = tuple(str(name) for name in document["head"]["vars"])
            bindings = document["results"]["bindings"]
            rows = [tuple(_json_term(binding.get(name)) for name in names) for binding in bindings]
        except (KeyError, TypeError, AttributeError):
            raise EndpointError(f"{self.url}: the endpoint's answer is not SPARQL JSON results for a SELECT", url=self.url) from None
        expected = _projected(query)
        if expected and not set(expected) <= set(names):
            missing = ", ".join("?" + name for name in expected if name not in names)
            raise EndpointError(f"{self.url}: the endpoint's answer lacks the variables {missing}", url=self.url)
        if expected and tuple(expected) != names:
            rows = [tuple(row[names.index(name)] for name in expected) for row in rows]
            names = tuple(expected)
        return names, rows

    def run(
        self, text: str, *, params: Iterable[str] = (), allow_update=False, allow_service=False, infer=False, timeout=None
    ):
        """A user's read query, sent with the kg prefixes it uses declared (a server knows none of them).

        FROM and FROM NAMED pass to the server, which holds named graphs, unless
        ``graph`` already names the graph to read. Shortcuts are not inferred
        here (that is the server's reasoner's work). Each answer is waited for
        ``self.timeout`` seconds (``timeout`` is for local engines).
        """
        prepared = prepare(text, allow_update=allow_update, allow_service=allow_service, allow_dataset=True)
        if isinstance(prepared, tuple):
            raise QueryError("SPARQL Update is not sent to endpoints by kg query; use the server's own tools")
        if self.graph and prepared.algebra.get("datasetClause"):
            raise QueryError(
                f"the query's FROM and {arg('graph')} both choose the graph to read, and the protocol lets "
                f"{arg('graph')} win; give one of them"
            )
        if infer:
            raise QueryError(
                f"{arg('infer')} infers shortcuts from local data; at an endpoint, shortcuts are the server's "
                "reasoner's work (GraphDB's OWL2-RL ruleset, for one)"
            )
        shortcuts = shortcuts_in(prepared)
        missing = [s for s in shortcuts if not _json(self.url, self.query(f"ASK {{ ?s {s.n3()} ?o }}", SPARQL_RESULTS_JSON)).get("boolean")]
        if missing:
            warn_missing_shortcuts(missing)
        text = bind_as_values(declare_prefixes(text), params, self)
        form = prepared.algebra.name
        if form == "AskQuery":
            document = _json(self.url, self.query(text, SPARQL_RESULTS_JSON))
            return QueryResult(form="ASK", boolean=bool(document.get("boolean")))
        if form in ("ConstructQuery", "DescribeQuery"):
            return QueryResult(form="CONSTRUCT", graph=self._graph_answer(self.query(text, N_TRIPLES.media_type)))
        names, rows = self.select(text)
        return QueryResult(form="SELECT", variables=names, rows=tuple(rows))

    def constructed(self, queries: Iterable[str]) -> OxigraphBackend:
        """A local in-memory store holding what CONSTRUCT ``queries`` give at the endpoint.

        The server joins its own data, two queries at a time, and sends N-Triples,
        which Oxigraph loads without making Python objects, rather than a JSON row
        per attestation of every claim (faster at 10^6 triples: bench/results.md).
        """
        ox = oxigraph_module()
        target = OxigraphBackend()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for answer in pool.map(lambda query: self.query(query, N_TRIPLES.media_type), list(queries)):
                try:
                    target.store.load(input=answer, format=ox.RdfFormat.N_TRIPLES)
                except SyntaxError as exc:
                    reason = " ".join(str(exc).split())[:120]
                    raise EndpointError(f"{self.url}: the endpoint's answer is not N-Triples: {reason}", url=self.url) from None
        return target

    def _graph_answer(self, data: bytes) -> Graph:
        try:
            return Graph().parse(data=data, format="nt")
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            reason = " ".join(str(exc).split())[:120]
            raise EndpointError(f"{self.url}: the endpoint's answer is not N-Triples: {reason}", url=self.url) from None

    def to_graph(self) -> Graph:
        return self._graph_answer(self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", N_TRIPLES.media_type))

    # writing (kg push)
    def push(
        self, ntriples: bytes, *, target_graph: str | None, store_url: str | None = None, update_url: str | None = None, bulk: bool = False
    ) -> str:
        """Replace ``target_graph`` (or the default graph) at the endpoint with an N-Triples document.

        Uses the Graph Store Protocol (PUT) where the server offers it, else SPARQL
        Update (DROP, then INSERT DATA in chunks). The document must hold no blank
        nodes (``OxigraphBackend.ntriples`` names them). ``bulk`` adds Oxigraph's
        ``no_transaction`` to the PUT: its bulk loader, not atomic. Returns the method used.
        """
        store = store_url or _guess(self.url, {"query": "store", "sparql": "store"})
        if store:
            url = store + ("?" + urllib.parse.urlencode({"graph": target_graph}) if target_graph else "?default")
            url += "&no_transaction" if bulk else ""
            try:
                self.http.exchange(url, ntriples, N_TRIPLES.media_type, "*/*", method="PUT")
                return f"Graph Store Protocol at {store}"
            except EndpointError as exc:
                if not _not_offered(exc):
                    raise
        # Oxigraph and Fuseki take updates beside the query URL (/update), Virtuoso at the query URL itself.
        candidates = [update_url] if update_url else [_guess(self.url, {"query": "update", "sparql": "update"}), self.url]
        candidates = list(dict.fromkeys(url for url in candidates if url))
        drop = f"DROP SILENT GRAPH <{target_graph}>" if target_graph else "DROP SILENT DEFAULT"
        for update in candidates:
            try:
                self.http.post_form(update, [("update", drop)], "*/*")
                break
            except EndpointError as exc:
                if update == candidates[-1] or not _not_offered(exc):
                    raise
        lines = ntriples.decode("utf-8").splitlines()
        for start in range(0, len(lines), 5000):
            chunk = "\n".join(lines[start : start + 5000])
            inner = f"GRAPH <{target_graph}> {{ {chunk} }}" if target_graph else chunk
            self.http.post_form(update, [("update", f"INSERT DATA {{ {inner} }}")], "*/*")
        return f"SPARQL Update at {update}"

    def __len__(self) -> int:
        _, rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


_ROW_LIMIT_LOCK = threading.Lock()


def _not_offered(error: EndpointError) -> bool:
    """Whether an HTTP error says the URL does not offer the protocol tried (so kg tries the next)."""
    return error.status in (404, 405, 415, 501)


def _guess(url: str, replacements: dict[str, str]) -> str | None:
    head, _, last = url.rstrip("/").rpartition("/")
    return f"{head}/{replacements[last]}" if last in replacements else None


def _json(url: str, data: bytes) -> dict:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    if not isinstance(document, dict):
        raise EndpointError(f"{url}: the endpoint's answer is not SPARQL JSON results", url=url)
    return document


def _projected(query: str) -> list[str]:
    """The variables a SELECT projects, in order (empty if it cannot be told)."""
    from rdflib.plugins.sparql import prepareQuery  # 50 ms to import: only needed here, for endpoints

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
