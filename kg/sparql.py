"""SPARQL text before it runs anywhere: the .rq file header, safety checks, parameters.

Queries are ``.rq`` files whose metadata lives in header comments
(``#+ key: value``, continued on following ``#+   `` lines). Parameters are
bound as RDF terms through the engine's bindings, never pasted into the text.
Every backend runs queries through this module, so the same query is refused
or bound the same way in memory, in Oxigraph and at an endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, NamedTuple

from rdflib import Graph, Literal, URIRef
from rdflib.util import from_n3

from kg.errors import QueryError, arg
from kg.vocab import DATA, PREFIXES, QUERY_PREFIXES

_HEADER = re.compile(r"^#\+\s?(\s*)(.*)$")
_KEY = re.compile(r"^([A-Za-z][\w-]*):\s*(.*)$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")


class HeaderEntry(NamedTuple):
    key: str  # lower case
    value: str  # continuation lines joined with single spaces
    line: int  # where the key is written, from 1


def read_header(text: str) -> list[HeaderEntry]:
    """The ``#+ key: value`` entries of a query file's header, in order, with their lines.

    A ``#+`` line that is neither a key nor a continuation is an entry with an
    empty key, so a caller that validates headers can report it.
    """
    entries: list[HeaderEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break  # the header ends where the query starts
            continue
        indent, content = match.groups()
        key = _KEY.match(content)
        if key and not indent:
            entries.append(HeaderEntry(key.group(1).lower(), key.group(2).strip(), number))
        elif entries and indent:
            last = entries[-1]
            entries[-1] = last._replace(value=(last.value + " " + content.strip()).strip())
        elif content.strip():
            entries.append(HeaderEntry("", content.strip(), number))
    return entries


def parse_header(text: str) -> dict[str, list[str]]:
    """Metadata of a query file: each ``#+ key: value`` (repeatable) with its continuation lines."""
    meta: dict[str, list[str]] = {}
    for entry in read_header(text):
        if entry.key:
            meta.setdefault(entry.key, []).append(entry.value)
    return meta


def parse_param(text: str, graph=None) -> tuple[str, URIRef | Literal]:
    """``NAME=VALUE`` as a variable name and an RDF term.

    VALUE is ``<iri>``, ``prefix:name`` with a kg prefix, an id from the data, a
    typed or quoted literal in Turtle syntax (``"2021"^^xsd:gYear``), a number,
    or else a plain string literal. ``graph`` (an rdflib graph or a backend)
    tells ids from strings.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("$?")
    if not sep or not _NAME.match(name):
        raise QueryError(f"malformed {arg('params')} {text!r}; expected NAME=VALUE")
    return name, _term(value.strip(), graph)


def _term(value: str, graph) -> URIRef | Literal:
    namespaces = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    namespaces.update(xsd=QUERY_PREFIXES["xsd"], rdfs=QUERY_PREFIXES["rdfs"])
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        if not iri or any(c in iri for c in '<>"{}|^`\\ '):
            raise QueryError(f"malformed IRI in {arg('params')}: {value!r}")
        return URIRef(iri)
    if value.startswith('"') or value.startswith("'"):
        try:
            term = from_n3(value, nsm=None if graph is None else graph.namespace_manager)
        except Exception:
            term = None
        if not isinstance(term, Literal):
            raise QueryError(f"malformed literal in {arg('params')}: {value!r}")
        if term.datatype and not str(term.datatype).startswith("http"):
            raise QueryError(f"unknown datatype prefix in {arg('params')}: {value!r}")
        return term
    prefix, colon, local = value.partition(":")
    if colon and prefix in namespaces and "/" not in local:
        return URIRef(namespaces[prefix] + local)
    if graph is not None and re.match(r"^[\w.\-]+$", value) and _is_subject(graph, DATA[value]):
        return DATA[value]
    if re.fullmatch(r"[+-]?\d+", value):
        return Literal(int(value))
    if re.fullmatch(r"[+-]?\d*\.\d+", value):
        return Literal(Decimal(value))
    return Literal(value)


def prepare(text: str, *, allow_update: bool = False, allow_service: bool = False):
    """Parse ``text`` as a read-only SPARQL query; refuse Update, LOAD and SERVICE.

    The checks run on the parse tree, before anything is evaluated, so a
    refused query never reaches the network. Returns rdflib's prepared query,
    or ``("update", text)`` when ``allow_update`` lets an update through.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    namespaces = {p: str(ns) for p, ns in PREFIXES.items()}
    try:
        tree = parseQuery(text)
    except ParseException as query_error:
        try:
            update = parseUpdate(text)
        except Exception:
            raise QueryError(
                f"SPARQL syntax error at line {query_error.lineno}, column {query_error.col}: {_short(query_error.msg)}"
            ) from None
        names = sorted({getattr(request, "name", type(request).__name__) for request in update.request})
        if "Load" in names and not (allow_update and allow_service):
            raise QueryError(f"refused: LOAD fetches data from the network; queries are read-only (pass {arg('allow_update')} {arg('allow_service')})")
        if not allow_update:
            raise QueryError(f"refused: SPARQL Update ({', '.join(names)}) changes data; queries are read-only (pass {arg('allow_update')})")
        if _uses_service(update) and not allow_service:
            raise QueryError(f"refused: SERVICE reaches the network; pass {arg('allow_service')} to run it")
        return ("update", text)
    except Exception as exc:
        raise QueryError(f"invalid SPARQL: {_short(str(exc))}") from None
    if _uses_service(tree) and not allow_service:
        raise QueryError(f"refused: SERVICE reaches the network; pass {arg('allow_service')} to run it")
    try:
        return translateQuery(tree, initNs=namespaces)
    except Exception as exc:
        raise QueryError(f"invalid SPARQL: {_short(str(exc))}") from None


def _uses_service(node, _seen=None) -> bool:
    """True if the parsed query or its algebra holds a SERVICE clause anywhere."""
    from pyparsing import ParseResults

    seen = _seen if _seen is not None else set()
    if id(node) in seen:
        return False
    seen.add(id(node))
    if getattr(node, "name", None) in ("ServiceGraphPattern", "ServiceGraphPattern_"):
        return True
    if isinstance(node, dict):
        return any(_uses_service(value, seen) for value in node.values())
    if isinstance(node, (list, tuple, ParseResults)):
        return any(_uses_service(value, seen) for value in node)
    return False


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass(frozen=True)
class QueryResult:
    """The result of one query form: rows for SELECT, a boolean for ASK, a graph otherwise."""

    form: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    variables: tuple[str, ...] = ()
    rows: tuple[tuple, ...] = ()
    boolean: bool | None = None
    graph: Graph | None = None


def run_query(
    graph: Graph,
    text: str,
    *,
    params: Iterable[str] = (),
    allow_update: bool = False,
    allow_service: bool = False,
) -> QueryResult:
    """Run SPARQL ``text`` on ``graph`` with parameter values (``NAME=VALUE``) bound as RDF terms."""
    prepared = prepare(text, allow_update=allow_update, allow_service=allow_service)
    bindings = dict(parse_param(p, graph) for p in check_params(text, params))
    try:
        if isinstance(prepared, tuple):
            graph.update(text, initBindings=bindings)
            return QueryResult(form="UPDATE")
        result = graph.query(prepared, initBindings=bindings)
        if result.type == "ASK":
            return QueryResult(form="ASK", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult(form=result.type, graph=result.graph)
        variables = tuple(str(v) for v in result.vars)
        if re.search(r"SELECT\s+(DISTINCT\s+|REDUCED\s+)?\*", text, re.IGNORECASE):
            # rdflib returns SELECT * variables in set order; use their order in the text.
            order = {name: _first_use(text, name) for name in variables}
            variables = tuple(sorted(variables, key=order.get))
            return QueryResult(
                form="SELECT", variables=variables, rows=tuple(tuple(row[v] for v in variables) for row in result)
            )
        # rdflib evaluates lazily: errors surface while the rows are read.
        return QueryResult(form="SELECT", variables=variables, rows=tuple(tuple(row) for row in result))
    except QueryError:
        raise
    except Exception as exc:
        raise QueryError(f"query failed: {_short(str(exc))}") from None


def _first_use(text: str, name: str) -> int:
    match = re.search(rf"[?$]{re.escape(name)}\b", text)
    return match.start() if match else len(text)


def check_params(text: str, params: Iterable[str]) -> list[str]:
    """``params`` unchanged, or a QueryError naming a parameter the query does not use."""
    params = list(params)
    for param in params:
        name = param.partition("=")[0].strip().lstrip("$?")
        if _NAME.match(name) and not re.search(rf"[?$]{re.escape(name)}\b", text):
            raise QueryError(f"unknown {arg('params')} {name!r}: the query has no variable ?{name}")
    return params


def _is_subject(graph, iri: URIRef) -> bool:
    if isinstance(graph, Graph):
        return (iri, None, None) in graph
    _, rows = graph.select(f"SELECT ?p WHERE {{ {iri.n3()} ?p ?o }} LIMIT 1")
    return bool(rows)


def bind_as_values(text: str, params: Iterable[str], backend=None) -> str:
    """``text`` with parameter values bound by a VALUES block, for Oxigraph and remote endpoints.

    Each value is parsed to an RDF term first and written in N-Triples syntax
    (quotes and braces escaped), so it can only ever be a value. The block opens
    the query's WHERE group, so the variable holds the value throughout, as with
    rdflib's initBindings (and Virtuoso refuses a trailing VALUES block on a
    variable the query does not select); trailing only where no group can take it.
    """
    bound = [parse_param(p, backend) for p in check_params(text, params)]
    if not bound:
        return text
    names = " ".join(f"?{name}" for name, _ in bound)
    values = " ".join(term.n3() for _, term in bound)
    block = f"VALUES ({names}) {{ ({values}) }}"
    opening = _where_group_start(text)
    if opening is not None:
        inline = f"{text[:opening]} {block}{text[opening:]}"
        if _parses(inline):
            return inline
    return f"{text.rstrip()}\n{block}\n"


#: What the search for the WHERE group skips (comments, strings, IRIs), then the keyword and braces.
_QUERY_TOKENS = re.compile(
    r'''(?P<skip>#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''
    r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>)'''
    r"|(?P<where>(?<![:\w])WHERE\b)|(?P<open>\{)|(?P<close>\})",
    re.IGNORECASE,
)


def _where_group_start(text: str) -> int | None:
    """The offset just inside the brace that opens the query's own WHERE group (not a sub-select's), if any."""
    seen_where, depth = False, 0
    for match in _QUERY_TOKENS.finditer(text):
        if match.lastgroup == "where" and depth == 0:
            seen_where = True
        elif match.lastgroup == "open":
            if seen_where:
                return match.end()
            depth += 1
        elif match.lastgroup == "close":
            depth -= 1
    return None


def _parses(text: str) -> bool:
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepareQuery(text, initNs=PREFIXES)
        return True
    except Exception:  # rdflib's parser raises many types; the caller falls back to a trailing block
        return False
