"""``kg query`` and ``kg queries``: run bundled or user SPARQL, read-only by default.

Queries are ``.rq`` files whose metadata lives in header comments
(``#+ key: value``, continued on following ``#+   `` lines). Parameters are
bound as RDF terms through the engine's bindings, never pasted into the text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.util import from_n3

from kg import resources
from kg.errors import QueryError
from kg.namespaces import DATA, PREFIXES

_HEADER = re.compile(r"^#\+\s?(\s*)(.*)$")
_KEY = re.compile(r"^([A-Za-z][\w-]*):\s*(.*)$")
_NAME = re.compile(r"^[A-Za-z_]\w*$")


def parse_header(text: str) -> dict[str, list[str]]:
    """Metadata of a query file: each ``#+ key: value`` (repeatable) with its continuation lines."""
    meta: dict[str, list[str]] = {}
    last: str | None = None
    for line in text.splitlines():
        match = _HEADER.match(line)
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break  # the header ends where the query starts
            continue
        indent, content = match.groups()
        key = _KEY.match(content)
        if key and not indent:
            last = key.group(1).lower()
            meta.setdefault(last, []).append(key.group(2).strip())
        elif last is not None:
            meta[last][-1] = (meta[last][-1] + " " + content.strip()).strip()
    return meta


@dataclass(frozen=True)
class QueryParameter:
    name: str
    description: str


@dataclass(frozen=True)
class BundledQuery:
    name: str
    summary: str
    parameters: tuple[QueryParameter, ...]
    path: Path
    text: str = field(repr=False)


def bundled_queries() -> list[BundledQuery]:
    """The analyst queries shipped with kg (``queries/*.rq``), sorted by name."""
    found = []
    for path in sorted(resources.queries_dir().glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta = parse_header(text)
        parameters = []
        for entry in meta.get("param", []):
            name, _, description = entry.partition(" ")
            parameters.append(QueryParameter(name.lstrip("$?"), description.strip(" -—:")))
        found.append(
            BundledQuery(
                name=path.stem,
                summary=(meta.get("summary") or [""])[0],
                parameters=tuple(parameters),
                path=path,
                text=text,
            )
        )
    return found


def resolve_query(name_or_path: str | None, *, expression: str | None = None) -> tuple[str, str]:
    """(label, SPARQL text) for a bundled query name, a ``.rq`` file, or an inline expression."""
    if expression is not None:
        if name_or_path:
            raise QueryError("give either a query name/file or -e SPARQL, not both")
        return "-e", expression
    if not name_or_path:
        raise QueryError("no query given: pass a bundled query name, a .rq file or -e 'SPARQL'")
    path = Path(name_or_path)
    if path.suffix == ".rq" or path.exists():
        try:
            return str(path), path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"{path}: cannot read query: {getattr(exc, 'strerror', None) or exc}") from None
    for query in bundled_queries():
        if query.name == name_or_path:
            return query.name, query.text
    names = ", ".join(q.name for q in bundled_queries())
    raise QueryError(f"unknown query {name_or_path!r}; bundled queries: {names}")


def parse_param(text: str, graph=None) -> tuple[str, URIRef | Literal]:
    """``NAME=VALUE`` as a variable name and an RDF term.

    VALUE is ``<iri>``, ``prefix:name`` with a kg prefix, an id from the data, a
    typed or quoted literal in Turtle syntax (``"2021"^^xsd:gYear``), a number,
    or else a plain string literal. ``graph`` (an rdflib graph or a kg.store
    source) tells ids from strings.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("$?")
    if not sep or not _NAME.match(name):
        raise QueryError(f"malformed --param {text!r}; expected NAME=VALUE")
    return name, _term(value.strip(), graph)


def _term(value: str, graph) -> URIRef | Literal:
    namespaces = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    namespaces.update(xsd="http://www.w3.org/2001/XMLSchema#", rdfs="http://www.w3.org/2000/01/rdf-schema#")
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        if not iri or any(c in iri for c in '<>"{}|^`\\ '):
            raise QueryError(f"malformed IRI in --param: {value!r}")
        return URIRef(iri)
    if value.startswith('"') or value.startswith("'"):
        try:
            term = from_n3(value, nsm=None if graph is None else graph.namespace_manager)
        except Exception:
            term = None
        if not isinstance(term, Literal):
            raise QueryError(f"malformed literal in --param: {value!r}")
        if term.datatype and not str(term.datatype).startswith("http"):
            raise QueryError(f"unknown datatype prefix in --param: {value!r}")
        return term
    prefix, colon, local = value.partition(":")
    if colon and prefix in namespaces and "/" not in local:
        return URIRef(namespaces[prefix] + local)
    if graph is not None and re.match(r"^[\w.\-]+$", value) and _is_subject(graph, DATA[value]):
        return DATA[value]
    if re.fullmatch(r"[+-]?\d+", value):
        return Literal(int(value))
    if re.fullmatch(r"[+-]?\d*\.\d+", value):
        from decimal import Decimal

        return Literal(Decimal(value))
    return Literal(value)


# --- safety ------------------------------------------------------------------------------

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
            raise QueryError("refused: LOAD fetches data from the network; kg query is read-only (pass --allow-update --allow-service)")
        if not allow_update:
            raise QueryError(f"refused: SPARQL Update ({', '.join(names)}) changes data; kg query is read-only (pass --allow-update)")
        if _uses_service(update) and not allow_service:
            raise QueryError("refused: SERVICE reaches the network; pass --allow-service to run it")
        return ("update", text)
    except Exception as exc:
        raise QueryError(f"invalid SPARQL: {_short(str(exc))}") from None
    if _uses_service(tree) and not allow_service:
        raise QueryError("refused: SERVICE reaches the network; pass --allow-service to run it")
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


# --- running and formatting -----------------------------------------------------------------

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
    """Run SPARQL ``text`` on ``graph`` with ``--param`` values bound as RDF terms."""
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


def format_result(result: QueryResult, output_format: str) -> str:
    """Text of a result: ``table``/``md`` for people, W3C SPARQL 1.1 ``csv``/``tsv``/``json``."""
    if result.form == "UPDATE":
        return "Update done."
    if result.graph is not None:
        return result.graph.serialize(format="turtle")
    if result.form == "ASK":
        if output_format == "json":
            return json.dumps({"head": {}, "boolean": result.boolean})
        return "true" if result.boolean else "false"
    if output_format == "json":
        return json.dumps(_results_json(result), indent=2, ensure_ascii=False)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if term is None else _csv_term(term) for term in row])
        return buffer.getvalue().rstrip("\r\n")
    if output_format == "tsv":
        lines = ["\t".join("?" + v for v in result.variables)]
        lines += ["\t".join("" if term is None else _tsv_term(term) for term in row) for row in result.rows]
        return "\n".join(lines)
    from tabulate import tabulate

    cells = [["" if term is None else _display(term) for term in row] for row in result.rows]
    table = tabulate(cells, headers=list(result.variables), tablefmt="github" if output_format == "md" else "simple")
    return table + ("" if output_format == "md" else f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")


def _results_json(result: QueryResult) -> dict:
    bindings = []
    for row in result.rows:
        entry = {}
        for name, term in zip(result.variables, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                entry[name] = {"type": "uri", "value": str(term)}
            elif isinstance(term, BNode):
                entry[name] = {"type": "bnode", "value": str(term)}
            else:
                value = {"type": "literal", "value": str(term)}
                if term.language:
                    value["xml:lang"] = term.language
                elif term.datatype:
                    value["datatype"] = str(term.datatype)
                entry[name] = value
        bindings.append(entry)
    return {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}


def _csv_term(term) -> str:
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _tsv_term(term) -> str:
    # W3C TSV: terms in Turtle/N-Triples syntax; n3() escapes tabs and newlines in literals.
    return term.n3()


def _display(term) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        return text[len(str(DATA)):] if text.startswith(str(DATA)) else text
    return str(term)


def _first_use(text: str, name: str) -> int:
    match = re.search(rf"[?$]{re.escape(name)}\b", text)
    return match.start() if match else len(text)


def check_params(text: str, params: Iterable[str]) -> list[str]:
    """``params`` unchanged, or a QueryError naming a parameter the query does not use."""
    params = list(params)
    for param in params:
        name = param.partition("=")[0].strip().lstrip("$?")
        if _NAME.match(name) and not re.search(rf"[?$]{re.escape(name)}\b", text):
            raise QueryError(f"unknown --param {name!r}: the query has no variable ?{name}")
    return params


def _is_subject(graph, iri: URIRef) -> bool:
    if isinstance(graph, Graph):
        return (iri, None, None) in graph
    _, rows = graph.select(f"SELECT ?p WHERE {{ {iri.n3()} ?p ?o }} LIMIT 1")
    return bool(rows)


def bind_as_values(text: str, params: Iterable[str], source=None) -> str:
    """``text`` with ``--param`` values bound by a VALUES block, for Oxigraph and remote endpoints.

    Each value is parsed to an RDF term first and written in N-Triples syntax
    (quotes and braces escaped), so it can only ever be a value. The block opens
    the query's WHERE group, so the variable holds the value throughout, as with
    rdflib's initBindings (and Virtuoso refuses a trailing VALUES block on a
    variable the query does not select); trailing only where no group can take it.
    """
    bound = [parse_param(p, source) for p in check_params(text, params)]
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
