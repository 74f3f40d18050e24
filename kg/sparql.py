"""SPARQL text before it runs anywhere: the .rq file header, safety checks, parameters.

Queries are ``.rq`` files whose metadata lives in header comments
(``#+ key: value``, continued on following ``#+   `` lines). Parameters are
bound as RDF terms through the engine's bindings, never pasted into the text.
Every backend runs queries through this module, so the same query is refused
or bound the same way in memory, in Oxigraph and at an endpoint.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, NamedTuple, TypeVar

from rdflib import RDFS, Graph, Literal, URIRef
from rdflib.util import from_n3

from kg.entities import AGENTS_QUERY, SUGGESTION_LIMIT, agents_of, resolve_ref, unknown_id
from kg.errors import KgWarning, QueryError, UsageError, arg
from kg.vocab import DATA, KG, PREFIXES, QUERY_PREFIXES

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

    VALUE is ``<iri>``, ``prefix:name`` with a kg prefix, an id or an exact label
    (any case) from the data, a number, or a typed or quoted literal in Turtle
    syntax (``"2021"^^xsd:gYear``, ``'"a string"'``). ``graph`` (an rdflib graph
    or a backend) is where ids and labels are looked up, as ``kg describe`` does:
    a value that names nothing there is an error, never a string that matches
    nothing. Without a graph, a bare value is a string.
    """
    name, sep, value = text.partition("=")
    name, value = name.strip().lstrip("$?"), value.strip()
    if not sep or not _NAME.match(name):
        raise QueryError(f"malformed {arg('params')} {text!r}; expected NAME=VALUE")
    try:
        return name, _term(value, graph)
    except UsageError as exc:  # the value names no entity, or several
        raise QueryError(
            f"{arg('params')} {name}={value}: {exc}; to pass it as a string, quote it: {name}='\"{value}\"'"
        ) from None


def _term(value: str, graph) -> URIRef | Literal:
    namespaces = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    namespaces.update(xsd=QUERY_PREFIXES["xsd"], rdfs=QUERY_PREFIXES["rdfs"])
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        if not iri or any(c in iri for c in '<>"{}|^`\\ '):
            raise QueryError(f"malformed IRI in {arg('params')}: {value!r}")
        return _existing(URIRef(iri), value, graph)
    if value.startswith('"') or value.startswith("'"):
        try:
            term = from_n3(value, nsm=_namespace_manager())
        except Exception:
            term = None
        if not isinstance(term, Literal):
            raise QueryError(f"malformed literal in {arg('params')}: {value!r}")
        if term.datatype and not str(term.datatype).startswith("http"):
            raise QueryError(f"unknown datatype prefix in {arg('params')}: {value!r}")
        return term
    prefix, colon, local = value.partition(":")
    if colon and prefix in namespaces and "/" not in local:
        return _existing(URIRef(namespaces[prefix] + local), value, graph)
    lookups = None if graph is None else _Lookups(graph)
    number = re.fullmatch(r"[+-]?\d+", value) or re.fullmatch(r"[+-]?\d*\.\d+", value)
    if number and not (lookups and re.fullmatch(r"\d+", value) and lookups.exists(DATA[value])):
        return Literal(int(value)) if "." not in value else Literal(Decimal(value))
    if lookups is None:
        return Literal(value)
    return resolve_ref(value, lookups.exists, lambda: lookups.labelled(value), lambda: known_agents(graph))


def _namespace_manager():
    """kg's query prefixes, for typed literals (``"2021"^^xsd:gYear``) whatever the graph binds."""
    from rdflib.namespace import NamespaceManager

    manager = NamespaceManager(Graph(bind_namespaces="none"))
    for prefix, namespace in QUERY_PREFIXES.items():
        manager.bind(prefix, namespace, override=True)
    return manager


def _existing(iri: URIRef, value: str, graph) -> URIRef:
    if graph is not None and not _Lookups(graph).exists(iri):
        raise unknown_id(value, lambda: known_agents(graph))
    return iri


def known_agents(graph) -> list[tuple]:
    """(agent, label or None) of every agent of a graph or backend: what an unknown id is compared with.

    One query, asked only once an id has named nothing. A graph in memory or an Oxigraph store
    offers every agent; an endpoint, where the agents of a large graph would be a long answer,
    at most ``SUGGESTION_LIMIT`` rows of them (``LIMIT``), so a typo costs one bounded request
    and an agent past the limit may go unsuggested. The error is the same on every backend.
    """
    if isinstance(graph, Graph):
        return list(agents_of(graph))
    if graph.name == "memory":
        return list(agents_of(graph.to_graph()))
    return graph.select(AGENTS_QUERY + (f" LIMIT {SUGGESTION_LIMIT}" if graph.name == "endpoint" else ""))[1]


class _Lookups:
    """Whether a node occurs in a graph or backend, and the nodes a label names, for ``resolve_ref``."""

    def __init__(self, graph) -> None:
        self.graph = graph

    def exists(self, node: URIRef) -> bool:
        graph = self.graph
        if isinstance(graph, Graph):
            return (node, None, None) in graph or (None, None, node) in graph or (None, node, None) in graph
        term = node.n3()
        _, rows = graph.select(f"SELECT ?x WHERE {{ {{ {term} ?x ?o }} UNION {{ ?x ?p {term} }} UNION {{ ?x {term} ?o }} }} LIMIT 1")
        return bool(rows)

    def labelled(self, label: str) -> Iterable[tuple]:
        """(node, label) pairs whose label may equal ``label`` ignoring case (``resolve_ref`` decides)."""
        if isinstance(self.graph, Graph):
            return self.graph.subject_objects(RDFS.label)
        wanted = Literal(label).n3()
        return self.graph.select(
            "SELECT ?node ?label WHERE { ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label "
            f"FILTER (LCASE(STR(?label)) = LCASE({wanted})) }}"
        )[1]


def prepare(text: str, *, allow_update: bool = False, allow_service: bool = False, allow_dataset: bool = False):
    """Parse ``text`` as a read-only SPARQL query; refuse Update, LOAD, SERVICE, USING and FROM.

    The checks run on the parse tree, before anything is evaluated, so a
    refused query never reaches the network or a file. ``USING`` in an update
    reads the graph it names from wherever the IRI points (rdflib fetches it),
    so it needs ``allow_service`` as SERVICE does; ``WITH`` only names a graph
    of the store, so it does not. ``FROM`` and ``FROM NAMED``
    choose graphs a server holds; only an endpoint can honour them
    (``allow_dataset``): local data is read as one graph, where they would be
    ignored. Returns rdflib's prepared query, or ``("update", text)`` when
    ``allow_update`` lets an update through.
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
        if not update.request:  # nothing but blanks and comments: rdflib parses it as an empty update
            raise QueryError("the query is empty: no SPARQL in it, only blanks or comments")
        names = sorted({getattr(request, "name", type(request).__name__) for request in update.request})
        if "Load" in names and not (allow_update and allow_service):
            raise QueryError(f"refused: LOAD fetches data from the network; queries are read-only (pass {arg('allow_update')} {arg('allow_service')})")
        if not allow_update:
            raise QueryError(f"refused: SPARQL Update ({', '.join(names)}) changes data; queries are read-only (pass {arg('allow_update')})")
        if _uses_service(update) and not allow_service:
            raise QueryError(f"refused: SERVICE reaches the network; pass {arg('allow_service')} to run it")
        if any("using" in request for request in update.request) and not allow_service:
            raise QueryError(
                f"refused: USING reads the graph it names from the network or a local file; pass {arg('allow_service')} to run it"
            )
        return ("update", text)
    except Exception as exc:
        raise QueryError(f"invalid SPARQL: {_short(str(exc))}") from None
    if _uses_service(tree) and not allow_service:
        raise QueryError(f"refused: SERVICE reaches the network; pass {arg('allow_service')} to run it")
    if not allow_dataset and any(isinstance(part, dict) and "datasetClause" in part for part in tree):
        raise QueryError(
            "refused: FROM and FROM NAMED choose graphs a SPARQL server holds; kg reads local data as one graph, "
            f"where they would be ignored (remove them, or query the server with {arg('endpoint')})"
        )
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


def declare_prefixes(text: str) -> str:
    """``text`` with a PREFIX line for each of kg's prefixes (``QUERY_PREFIXES``) it uses but does not declare.

    Local engines are given kg's prefixes; a server knows none of them, so a
    query sent to an endpoint declares them itself.
    """
    declared, used = set(), set()
    for match in _PREFIX_TOKENS.finditer(text):
        if match.group("declared") is not None:
            declared.add(match.group("declared"))
        elif match.group("used") is not None:
            used.add(match.group("used"))
    missing = [prefix for prefix in QUERY_PREFIXES if prefix in used - declared]
    return "".join(f"PREFIX {prefix}: <{QUERY_PREFIXES[prefix]}>\n" for prefix in missing) + text


#: The binary shortcuts of the ontology (``owl:propertyChainAxiom``): each (subject role, object role)
#: pair of a claim gives the shortcut from its subject to its object, whatever its dates and status.
SHORTCUTS: dict[URIRef, tuple[tuple[URIRef, URIRef], ...]] = {
    KG.founderOf: ((KG.founder, KG.foundedOrganization),),
    KG.controls: ((KG.controller, KG.controlledEntity),),
    KG.investsIn: ((KG.investor, KG.investee),),
    KG.owns: ((KG.owner, KG.ownedEntity),),
    KG.buysComputeFrom: ((KG.customer, KG.supplier),),
    KG.competesWith: ((KG.partyA, KG.partyB), (KG.partyB, KG.partyA)),
    KG.affiliatedWith: ((KG.affiliate, KG.affiliatedOrganization),),
    KG.departedFrom: ((KG.departingAgent, KG.departedOrganization),),
}
#: The shortcuts the claims give, as a reasoner would infer them from the property chains.
SHORTCUTS_QUERY = (
    "CONSTRUCT { ?subject ?shortcut ?object } WHERE {\n  VALUES (?shortcut ?subjectRole ?objectRole) { "
    + " ".join(f"({shortcut.n3()} {s.n3()} {o.n3()})" for shortcut, pairs in SHORTCUTS.items() for s, o in pairs)
    + " }\n  ?claim ?subjectRole ?subject ; ?objectRole ?object .\n}"
)


def shortcuts_in(prepared) -> list[URIRef]:
    """The shortcut properties a prepared query names anywhere (patterns, paths, expressions)."""
    found: set[URIRef] = set()
    _collect_iris(getattr(prepared, "algebra", prepared), found, set())
    return sorted(found & set(SHORTCUTS))


def _collect_iris(node, found: set, seen: set) -> None:
    from rdflib.paths import Path

    if isinstance(node, URIRef):
        found.add(node)
    elif isinstance(node, (str, bytes, int, float, bool)) or node is None or id(node) in seen:
        return
    else:
        seen.add(id(node))
        if isinstance(node, Mapping):
            children = node.values()
        elif isinstance(node, (list, tuple, set, frozenset)):
            children = node
        elif isinstance(node, Path):
            children = vars(node).values()
        else:
            return
        for child in children:
            _collect_iris(child, found, seen)


class ShortcutWarning(KgWarning):
    """A query names shortcuts that the data does not state and that were not inferred."""

    def __str__(self) -> str:
        return re.sub("\x00(\\w+)\x00", r"\1", super().__str__())


def warn_missing_shortcuts(shortcuts: Iterable[URIRef]) -> None:
    names = ", ".join("kg:" + str(shortcut)[len(str(KG)):] for shortcut in shortcuts)
    warnings.warn(
        ShortcutWarning(
            f"the query uses {names}, which the data does not state: shortcuts hold only where inferred "
            f"from the claims (pass {arg('infer')}), so this answer may miss them"
        ),
        stacklevel=3,
    )


T = TypeVar("T")


def bounded(timeout: float | None, work: Callable[[], T]) -> T:
    """``work()``, or a QueryError once ``timeout`` seconds have passed without its answer.

    Neither pyoxigraph nor rdflib can cancel a query, so the work runs in a
    daemon thread and is abandoned when time is up: the caller gets its error at
    once (the CLI then exits, which ends the query); in a library process the
    abandoned query runs on in the background until it ends.
    """
    if timeout is None:
        return work()
    outcome: dict = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller as it is
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="kg-query", daemon=True).start()
    if not done.wait(timeout):
        raise QueryError(f"the query did not finish within {timeout:g} s ({arg('timeout')}); kg stopped waiting for it")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def check_params(text: str, params: Iterable[str]) -> list[str]:
    """``params`` unchanged, or a QueryError naming a parameter the query does not use."""
    params = list(params)
    for param in params:
        name = param.partition("=")[0].strip().lstrip("$?")
        if _NAME.match(name) and not re.search(rf"[?$]{re.escape(name)}\b", text):
            raise QueryError(f"unknown {arg('params')} {name!r}: the query has no variable ?{name}")
    return params


def bind_as_values(text: str, params: Iterable[str], backend=None, *, update: bool = False) -> str:
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
        if _parses(inline, update=update):
            return inline
    if update:  # an update takes VALUES only inside a WHERE group
        raise QueryError(f"{arg('params')} can be bound only in an update with a WHERE group")
    return f"{text.rstrip()}\n{block}\n"


#: What a scan of query text skips: comments, strings and IRIs.
_SKIP = (
    r'''(?P<skip>#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''
    r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>)'''
)
#: The WHERE keyword and braces, for the search for the WHERE group.
_QUERY_TOKENS = re.compile(_SKIP + r"|(?P<where>(?<![:\w])WHERE\b)|(?P<open>\{)|(?P<close>\})", re.IGNORECASE)
#: Prefix declarations and prefixed names.
_PREFIX_TOKENS = re.compile(
    _SKIP + r"|\bPREFIX\s+(?P<declared>[A-Za-z][\w.-]*)?:" + r"|(?<![\w.\-:])(?P<used>[A-Za-z][\w.-]*):",
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


def _parses(text: str, *, update: bool = False) -> bool:
    from rdflib.plugins.sparql import prepareQuery, prepareUpdate

    try:
        (prepareUpdate if update else prepareQuery)(text, initNs=QUERY_PREFIXES)
        return True
    except Exception:  # rdflib's parser raises many types; the caller falls back to a trailing block
        return False
