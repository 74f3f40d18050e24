"""Any SPARQL 1.1 endpoint over HTTP: the backend for graphs that outgrow one machine.

Reads go as SPARQL queries (JSON results, N-Triples for CONSTRUCTs); writes
(for ``kg push``) with the Graph Store Protocol or SPARQL Update. An answer a
server cut short, or labelled as something else, is an error, never a partial
or empty result. Graph names are checked IRIs before they enter SPARQL text.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.backends.base import Backend, Rows
from kg.backends.http import Answer, Credentials, HttpClient, check_url, shown
from kg.backends.oxigraph import OxigraphBackend, oxigraph_module
from kg.errors import EndpointError, InputError, KgWarning, QueryError, arg
from kg.io.formats import N_TRIPLES, SPARQL_RESULTS_JSON
from kg.sparql import QueryResult, bind_as_values, declare_prefixes, prepare, shortcuts_in, warn_missing_shortcuts

#: The media types a server may label each kind of answer with (text/plain: N-Triples' old one).
ANSWER_TYPES = {
    SPARQL_RESULTS_JSON: ("SPARQL JSON results", {"application/sparql-results+json", "application/json"}),
    N_TRIPLES.media_type: ("N-Triples", {"application/n-triples", "text/plain"}),
}
#: What SPARQL's IRIREF excludes, and control characters: a graph IRI holding one is refused.
_NOT_IN_IRI = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|\\^`]')


def check_iri(value: str, name: str) -> str:
    """``value`` if it is an absolute IRI that can stand between ``<`` and ``>`` in SPARQL; else an InputError.

    kg writes graph names into SPARQL Update text, so a name that could close
    the IRI and add operations (``urn:x> ; DROP ALL ...``) never gets there.
    """
    problem = None
    if not isinstance(value, str) or _NOT_IN_IRI.search(value):
        problem = "an IRI may not hold spaces, control characters or <>\"{}|\\^`"
    else:
        try:
            oxigraph_module().NamedNode(value)
        except ValueError as exc:
            problem = "".join(c for c in " ".join(str(exc).split()) if c.isprintable())[:100] or "not an IRI"
    if problem:
        text = str(value)
        raise InputError(f"invalid {arg(name)} {text[:80]!r}{'...' if len(text) > 80 else ''}: expected an absolute IRI ({problem})")
    return value


class EndpointBackend(Backend):
    """Any SPARQL 1.1 endpoint over HTTP (Oxigraph server, Fuseki, GraphDB, Virtuoso, QLever, Neptune).

    ``graph`` names the graph to read (sent as ``default-graph-uri``); errors,
    timeouts and unreachable servers become one ``EndpointError`` naming the URL.
    ``timeout`` bounds each request, answer included; ``credentials`` and
    ``max_answer_bytes`` are as for ``kg.backends.http.HttpClient`` (by default
    from the environment or ~/.netrc, and ``KG_ENDPOINT_MAX_BYTES`` or 256 MiB).
    """

    name = "endpoint"

    def __init__(
        self,
        url: str,
        *,
        graph: str | None = None,
        timeout: float = 60.0,
        credentials: Credentials | None = None,
        max_answer_bytes: int | None = None,
    ) -> None:
        self.url = check_url(url, "endpoint")
        self.shown = shown(url)
        self.graph = check_iri(graph, "graph") if graph is not None else None
        self.timeout = timeout
        self.http = HttpClient(timeout, credentials=credentials, max_answer_bytes=max_answer_bytes)
        self._update_urls: dict[str | None, str] = {}
        #: The server's Server header, as its last update answer gave it ("" before one).
        self.software = ""

    def query(self, text: str, accept: str) -> bytes:
        """The endpoint's answer to a query; an error rather than an answer the server cut short or mislabelled."""
        fields = [("query", text)] + ([("default-graph-uri", self.graph)] if self.graph else [])
        answer = self.http.post_form(self.url, fields, accept)
        self._check_type(answer, accept)
        body, headers = answer.body, answer.headers
        limit = headers.get("X-SPARQL-MaxRows")
        if limit is None and accept == N_TRIPLES.media_type and headers.get("Server", "").startswith("Virtuoso"):
            # Virtuoso cuts CONSTRUCT answers at its row limit without saying so (it does say for SELECT).
            found = self._virtuoso_row_limit()
            limit = found if found is not None and body.count(b"\n") >= found else None
        if limit is not None:
            raise EndpointError(
                f"{self.shown}: the endpoint cut its answer at {limit} rows, so kg would miss data; "
                "raise the server's limit (Virtuoso: ResultSetMaxRows in the [SPARQL] section of virtuoso.ini)",
                url=self.shown,
            )
        return body

    def _check_type(self, answer: Answer, accept: str) -> None:
        """An answer labelled as something else (an HTML page), or empty and unlabelled, is an error."""
        what, types = ANSWER_TYPES.get(accept, (accept, {accept}))
        found = answer.media_type
        if found is None and not answer.body.strip():
            raise EndpointError(f"{self.shown}: the endpoint's answer is not {what}: it is empty, with no Content-Type", url=self.shown)
        if found is not None and found not in types:
            raise EndpointError(f"{self.shown}: the endpoint's answer is not {what}: it is {found[:60]}", url=self.shown)

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
                body = self.http.post_form(self.url, [("query", text)], SPARQL_RESULTS_JSON).body
                binding = json.loads(body)["results"]["bindings"][0]
                value = int(binding["rows"]["value"]) if "rows" in binding else 0  # unset: no limit but HTTP's
                self._row_limit = min(value, 2**20) if value > 0 else 2**20
            except (EndpointError, ValueError, KeyError, IndexError, TypeError, AttributeError):
                self._row_limit = None
                message = f"{self.shown}: Virtuoso did not tell its row limit (ResultSetMaxRows), so a CONSTRUCT answer cut there would go unnoticed"
                warnings.warn(message, KgWarning, stacklevel=2)
            return self._row_limit

    def select(self, query: str) -> Rows:
        document = _json(self.shown, self.query(query, SPARQL_RESULTS_JSON))
        try:
            names = tuple(str(name) for name in document["head"]["vars"])
            bindings = document["results"]["bindings"]
            rows = [tuple(_json_term(binding.get(name)) for name in names) for binding in bindings]
        except (KeyError, TypeError, AttributeError):
            raise EndpointError(f"{self.shown}: the endpoint's answer is not SPARQL JSON results for a SELECT", url=self.shown) from None
        expected = _projected(query)
        if expected and not set(expected) <= set(names):
            missing = ", ".join("?" + name for name in expected if name not in names)
            raise EndpointError(f"{self.shown}: the endpoint's answer lacks the variables {missing}", url=self.shown)
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
            document = _json(self.shown, self.query(text, SPARQL_RESULTS_JSON))
            return QueryResult(form="ASK", boolean=_boolean(self.shown, document))
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
                    raise EndpointError(f"{self.shown}: the endpoint's answer is not N-Triples: {reason}", url=self.shown) from None
        return target

    def _graph_answer(self, data: bytes) -> Graph:
        try:
            return Graph().parse(data=data, format="nt")
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            reason = " ".join(str(exc).split())[:120]
            raise EndpointError(f"{self.shown}: the endpoint's answer is not N-Triples: {reason}", url=self.shown) from None

    def to_graph(self) -> Graph:
        return self._graph_answer(self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", N_TRIPLES.media_type))

    # writing (kg push builds its atomic replacement on these)
    def write_graph(
        self, ntriples: bytes, graph: str | None, *, store_url: str | None = None, update_url: str | None = None, bulk: bool = False
    ) -> str:
        """Replace ``graph`` (None: the default graph) at the endpoint with an N-Triples document; the method used.

        Uses the Graph Store Protocol (PUT) where the server offers it, else SPARQL
        Update (DROP, then INSERT DATA in chunks). Not atomic beyond one request:
        ``kg.push`` writes into a graph of its own and swaps it in. The document
        must hold no blank nodes (``OxigraphBackend.ntriples`` names them).
        ``bulk`` adds Oxigraph's ``no_transaction`` to the PUT: its bulk loader.
        """
        store = self.put_graph(ntriples, graph, store_url=store_url, bulk=bulk)
        if store:
            return f"Graph Store Protocol at {shown(store)}"
        update = self.update(drop_text(graph), update_url)
        self.insert_data(ntriples, graph, update_url)
        return f"SPARQL Update at {shown(update)}"

    def put_graph(self, ntriples: bytes, graph: str | None, *, store_url: str | None = None, bulk: bool = False) -> str | None:
        """PUT the document as ``graph`` with the Graph Store Protocol: the store URL, or None where it is not offered."""
        store = check_url(store_url, "store_url") if store_url else _guess(self.url, {"query": "store", "sparql": "store"})
        if not store:
            return None
        graph = check_iri(graph, "graph") if graph is not None else None
        url = store + ("&" if urllib.parse.urlsplit(store).query else "?")
        url += urllib.parse.urlencode({"graph": graph}) if graph else "default"
        url += "&no_transaction" if bulk else ""
        try:
            self.http.exchange(url, ntriples, N_TRIPLES.media_type, "*/*", method="PUT")
        except EndpointError as exc:
            if not_offered(exc):
                return None
            raise
        return store

    def update(self, text: str, update_url: str | None = None) -> str:
        """Send a SPARQL Update; the URL that took it (tried in turn, and remembered, when not given)."""
        if update_url in self._update_urls:
            candidates = [self._update_urls[update_url]]
        elif update_url:
            candidates = [check_url(update_url, "update_url")]
        else:
            # Oxigraph and Fuseki take updates beside the query URL (/update), Virtuoso at the query URL itself.
            candidates = list(dict.fromkeys(url for url in [_guess(self.url, {"query": "update", "sparql": "update"}), self.url] if url))
        for url in candidates:
            try:
                answer = self.http.post_form(url, [("update", text)], "*/*")
            except EndpointError as exc:
                if url == candidates[-1] or not not_offered(exc):
                    raise
                continue
            self.software = answer.headers.get("Server", "")
            self._update_urls[update_url] = url
            return url
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def insert_data(self, ntriples: bytes, graph: str | None, update_url: str | None = None, chunk_lines: int = 1000) -> None:
        """Add the document's triples to ``graph`` with SPARQL Update, ``chunk_lines`` triples a request."""
        graph = check_iri(graph, "graph") if graph is not None else None
        lines = ntriples.decode("utf-8").splitlines()
        for start in range(0, len(lines), chunk_lines):
            chunk = "\n".join(lines[start : start + chunk_lines])
            inner = f"GRAPH <{graph}> {{ {chunk} }}" if graph else chunk
            self.update(f"INSERT DATA {{ {inner} }}", update_url)

    def count(self, graph: str | None) -> int:
        """How many triples ``graph`` holds at the endpoint (None: the default graph as the server reads it)."""
        pattern = f"GRAPH <{check_iri(graph, 'graph')}> {{ ?s ?p ?o }}" if graph is not None else "?s ?p ?o"
        _, rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        try:
            return int(rows[0][0])
        except (IndexError, TypeError, ValueError):
            raise EndpointError(f"{self.shown}: the endpoint's answer to a triple count is not a number", url=self.shown) from None

    def __len__(self) -> int:
        _, rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def drop_text(graph: str | None) -> str:
    """The SPARQL Update that empties ``graph`` (None: the default graph)."""
    return f"DROP SILENT GRAPH <{check_iri(graph, 'graph')}>" if graph is not None else "DROP SILENT DEFAULT"


_ROW_LIMIT_LOCK = threading.Lock()


def not_offered(error: EndpointError) -> bool:
    """Whether an HTTP error says the URL does not offer the protocol tried (so kg tries the next)."""
    return error.status in (404, 405, 415, 501)


def _guess(url: str, replacements: dict[str, str]) -> str | None:
    head, _, last = url.rstrip("/").rpartition("/")
    return f"{head}/{replacements[last]}" if last in replacements else None


def _boolean(url: str, document: dict) -> bool:
    """An ASK answer's truth: SPARQL's ``boolean``, or Virtuoso's one-row ``__ASK_RETVAL`` table; else an error."""
    if isinstance(document.get("boolean"), bool):
        return document["boolean"]
    try:
        if document["head"]["vars"] == ["__ASK_RETVAL"]:
            return any(str(row["__ASK_RETVAL"]["value"]) not in ("0", "false") for row in document["results"]["bindings"])
    except (KeyError, TypeError):
        pass
    raise EndpointError(f"{url}: the endpoint's answer is not SPARQL JSON results for an ASK", url=url)


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
