"""``kg query`` and ``kg queries``: the bundled analyst queries, running one, and results as text.

Running a query is the backend's work (``Backend.run``), with the safety checks
and parameter binding of ``kg.sparql``; this module finds the query a user
names, runs it on a graph (``run_query``) and formats what it returns.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from rdflib import XSD, BNode, Graph, URIRef

from kg import resources
from kg.backends.base import Backend
from kg.backends.open import as_backend
from kg.claims import value_text
from kg.errors import QueryError
from kg.io.formats import BY_NAME
from kg.io.rdf import serialize_graph
from kg.io.text import markdown_text, terminal_text
from kg.sparql import QueryResult, parse_header
from kg.vocab import DATA


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


def run_query(
    graph: Graph | Backend,
    text: str,
    *,
    params: Iterable[str] = (),
    allow_update: bool = False,
    allow_service: bool = False,
    infer: bool = False,
    timeout: float | None = None,
) -> QueryResult:
    """Run SPARQL ``text`` on an rdflib graph or a backend, read-only unless allowed.

    Parameter values (``NAME=VALUE``) are bound as RDF terms: ids and labels
    name entities of the graph, and one that names nothing is an error.
    ``infer`` adds the ontology's shortcuts (``kg:controls``...) inferred from
    the claims; ``timeout`` is how many seconds to wait for the answer. An
    rdflib graph is queried with Oxigraph's engine, on a copy (see
    ``MemoryBackend.run``); an update changes the graph itself.
    """
    return as_backend(graph).run(
        text, params=params, allow_update=allow_update, allow_service=allow_service, infer=infer, timeout=timeout
    )


def format_result(result: QueryResult, output_format: str) -> str:
    """Text of a result: ``table``/``md`` for people, W3C SPARQL 1.1 ``csv``/``tsv``/``json``.

    The W3C formats are exact: every value as the data holds it (a cell starting
    with ``=`` stays so; use them for programs). ``table`` and ``md`` are for
    people: control characters in values are shown as escapes, and ``md``
    escapes Markdown and HTML, so no value can move the terminal's cursor, start
    a heading or become a link. A CONSTRUCT or DESCRIBE graph is Turtle, with
    control characters in its strings written as ``\\u`` escapes.
    """
    if result.form == "UPDATE":
        return "Update done."
    if result.graph is not None:
        return _turtle(result.graph)
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

    safe = markdown_text if output_format == "md" else terminal_text
    cells = [["" if term is None else safe(_display(term)) for term in row] for row in result.rows]
    headers = [safe(name) for name in result.variables]
    # disable_numparse: a value is shown as the data has it ("1.50" is not "1.5").
    table = tabulate(cells, headers=headers, tablefmt="github" if output_format == "md" else "simple", disable_numparse=True)
    return table + ("" if output_format == "md" else f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")


def _turtle(graph) -> str:
    text = serialize_graph(graph, BY_NAME["turtle"]).decode("utf-8")
    # Control characters can only stand inside string literals here (IRIs cannot hold them),
    # where Turtle reads \\uXXXX as the character itself.
    return _TURTLE_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04X}", text)


_TURTLE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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
    """A term as W3C TSV writes it (Turtle syntax), with tab, newline and return escaped so a row stays a row.

    rdflib's ``n3()`` writes a literal holding a line break as a long string with
    the break in it, and raises on an IRI that is not valid (a query's ``IRI()``
    can make one): both would break the table.
    """
    if isinstance(term, URIRef):
        return _iri_text(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    text = '"' + str(term).translate(_TURTLE_STRING) + '"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype is not None and term.datatype != XSD.string:
        return f"{text}^^{_iri_text(term.datatype)}"
    return text


_TURTLE_STRING = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
# What an IRI in Turtle cannot hold as it is: written as \uXXXX, which reads back as the same IRI.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _iri_text(iri: str) -> str:
    return "<" + _IRI_FORBIDDEN.sub(lambda match: f"\\u{ord(match.group()):04X}", str(iri)) + ">"


def _display(term) -> str:
    """A value in the table: a short id for kg's entities, numbers exactly in plain decimals
    (the same whatever lexical form a backend returns), anything else as it is."""
    if isinstance(term, URIRef):
        text = str(term)
        return text[len(str(DATA)):] if text.startswith(str(DATA)) else text
    return value_text(term)
