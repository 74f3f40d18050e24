"""Parsing and serializing RDF with rdflib: one file into a graph, a graph into bytes.

Parse errors from any of rdflib's parsers become an ``InputError`` naming the
file and, where the parser knows it, the line, so the CLI prints one line.
JSON-LD never reaches the network: kg's own context is inlined, any other
remote context is refused. What kg refuses in an input (an XML entity, a term
no store can hold) is checked in ``kg.io.guard``.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef

from kg import resources
from kg.errors import InputError, KgError, UsageError, arg
from kg.io.formats import RdfFormat, format_of
from kg.io.guard import check_terms, refuse_bad_ids, refuse_xml_entities
from kg.io.text import XML_INVALID, terminal_text
from kg.vocab import CONTEXT_IRI


def parse_rdf_file(graph: Graph, path: str | Path, rdf_format: RdfFormat | None = None) -> None:
    """Parse one RDF file into ``graph`` (quads are merged into it), whole or not at all.

    Relative IRIs resolve against the file's own URI, as in Oxigraph. Every term
    is checked before it joins ``graph`` (``check_terms``): what rdflib's lenient
    parsers let through, such as an IRI with a space, is an error naming the
    file, not a crash of a later export, query or push.
    """
    path = Path(path)
    rdf_format = rdf_format or format_of(path)
    name = rdf_format.name
    if name == "xml":
        refuse_xml_entities(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    base = path.resolve().as_uri()
    # A first file is parsed in place: merging 10^5 parsed triples into another graph costs 70% of parsing them.
    target = Graph() if len(graph) else graph
    try:
        try:
            if name == "json-ld":
                _parse_jsonld(target, path, data, base)
            elif rdf_format.quads:
                dataset = Dataset()
                dataset.parse(data=data, format=name, publicID=base)
                for s, p, o, _ in dataset.quads():
                    target.add((s, p, o))
            else:
                target.parse(data=data, format=name, publicID=base)
        except InputError:
            raise
        except RecursionError:
            raise InputError(
                f"{path}: {rdf_format.label} nested too deeply for the in-memory reader (blank nodes or lists "
                f"hundreds of levels deep); {arg('store')} oxigraph reads it"
            ) from None
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            raise InputError(f"{error_location(path, exc)}: not valid {name}: {error_reason(exc)}") from None
        check_terms(target, path, data)
    except BaseException:
        if target is graph:
            graph.remove((None, None, None))
        raise
    if target is not graph:
        graph += target


def _parse_jsonld(graph: Graph, path: Path, data: bytes, base: str) -> None:
    """JSON-LD into ``graph``; JSON that maps to no triple at all is not JSON-LD, and an error.

    (A JSON document without a context, a list of register statements say, would
    otherwise load as an empty graph and every answer would be silently empty.)
    Blank nodes get new labels: rdflib keeps the document's own ("_:b0"), which
    two files may share and which need not be valid N-Triples labels.
    """
    document = _inline_contexts(path, _json_document(path, data))
    refuse_bad_ids(path, data, document)
    parsed = Graph()
    parsed.parse(data=json.dumps(document), format="json-ld", publicID=base)
    if not len(parsed) and not _speaks_jsonld(document):
        raise InputError(f"{path}: JSON that is not JSON-LD: no statement in it maps to RDF (no @context, no IRIs as keys)")
    fresh: dict[BNode, BNode] = {}

    def relabel(term):
        return fresh.setdefault(term, BNode()) if isinstance(term, BNode) else term

    for triple in parsed:
        graph.add(tuple(map(relabel, triple)))


def _speaks_jsonld(document) -> bool:
    """Whether a top-level object uses a JSON-LD keyword or an IRI as a key (what JSON-LD maps to RDF)."""
    objects = document if isinstance(document, list) else [document]
    return any(key.startswith("@") or ":" in key for item in objects if isinstance(item, dict) for key in item)


def _json_document(path: Path, data: bytes):
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid json-ld: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid json-ld: {exc.msg}") from None


def _inline_contexts(path: Path, document):
    """The document with kg's context inlined; any other remote context is refused.

    rdflib would fetch a context given by URL; kg never reaches the network
    unless the user points it at an endpoint.
    """
    local_context = None

    def inline(node):
        if isinstance(node, dict):
            return {key: inline_context(value) if key == "@context" else inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    def inline_context(value):
        nonlocal local_context
        if isinstance(value, list):
            return [inline_context(item) for item in value]
        if isinstance(value, str):
            if value.rstrip("#/") == CONTEXT_IRI or value == "context.jsonld":
                if local_context is None:
                    local_context = kg_context()
                return local_context
            raise InputError(f"{path}: JSON-LD context {value!r} is remote; kg does not fetch it (inline the context instead)")
        if isinstance(value, dict):
            # @import and the scoped contexts of term definitions may name remote documents too.
            result = {}
            for key, item in value.items():
                if key == "@import":
                    raise InputError(f"{path}: JSON-LD @import {item!r} is remote; kg does not fetch it (inline the context instead)")
                if isinstance(item, dict) and "@context" in item:
                    item = {**item, "@context": inline_context(item["@context"])}
                result[key] = item
            return result
        return value

    return inline(document)


def error_location(path: Path, exc: Exception) -> str:
    """``path`` or ``path:line``, as far as a parser's exception tells the line."""
    line = _line_of(exc)
    return f"{path}:{line}" if line else str(path)


def _line_of(exc: Exception) -> int | None:
    lines = getattr(exc, "lines", None)  # notation3.BadSyntax: newlines before the error
    if isinstance(lines, int):
        return lines + 1
    get_line = getattr(exc, "getLineNumber", None)  # xml.sax.SAXParseException
    if callable(get_line):
        try:
            return int(get_line())
        except (TypeError, ValueError):
            return None
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def error_reason(exc: Exception) -> str:
    """A parser's complaint on one line of at most 200 characters (it may quote the file: control characters escaped)."""
    why = getattr(exc, "_why", None)  # notation3.BadSyntax keeps its reason here
    text = str(why) if why else str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text (byte {exc.start})"
    text = terminal_text(" ".join(text.split()))
    return text if len(text) <= 200 else text[:197] + "..."


# --- writing ----------------------------------------------------------------------------------------

def serialize_graph(graph: Graph, rdf_format: RdfFormat) -> bytes:
    """``graph`` in ``rdf_format``; a graph the format cannot hold is one UsageError.

    Turtle and TriG write blank nodes inline only ``_MAX_NESTING`` deep and by
    label below that, RDF/XML is written flat (one element per subject) and
    JSON-LD node by node: rdflib's own writers recurse once per level of nested
    blank nodes, and a chain of a few hundred ended in a RecursionError. JSON-LD
    is compacted with kg's context (``ontology/context.jsonld``), inlined so that
    no reader has to fetch it.
    """
    try:
        if rdf_format.quads:
            dataset = Dataset()
            for prefix, namespace in graph.namespaces():
                dataset.bind(prefix, namespace)
            for triple in graph:
                dataset.add(triple)
            return _serialize_with(dataset, rdf_format)
        if rdf_format.name == "json-ld":
            return _jsonld(graph)
        if rdf_format.name == "xml":
            _check_xml(graph)
        return _serialize_with(graph, rdf_format)
    except KgError:
        raise
    except RecursionError:
        raise UsageError(f"cannot write {rdf_format.label}: lists nested too deeply; N-Triples can hold them") from None
    except Exception as exc:  # rdflib's writers raise bare Exceptions for what they cannot write
        raise UsageError(f"cannot write {rdf_format.label}: {error_reason(exc)}") from None


_MAX_NESTING = 32


def _serialize_with(graph: Graph, rdf_format: RdfFormat) -> bytes:
    if rdf_format.serializer not in ("turtle", "trig"):
        return graph.serialize(format=rdf_format.serializer, encoding="utf-8")
    from rdflib.plugins.serializers.trig import TrigSerializer
    from rdflib.plugins.serializers.turtle import TurtleSerializer

    writer = TurtleSerializer if rdf_format.serializer == "turtle" else TrigSerializer

    class Shallow(writer):
        nesting = 0

        def p_squared(self, node, position, newline=False):
            # Past the limit a blank node is written by its label, and as a subject of its own later.
            if self.nesting >= _MAX_NESTING:
                return False
            self.nesting += 1
            try:
                return super().p_squared(node, position, newline)
            finally:
                self.nesting -= 1

    stream = io.BytesIO()
    Shallow(graph).serialize(stream, encoding="utf-8")
    return stream.getvalue()


def _check_xml(graph: Graph) -> None:
    """RDF/XML writes a predicate as an XML element and a literal as XML text: what XML cannot hold is an error.

    A predicate whose IRI ends in no XML name has no element name; a literal with
    a control character (other than tab and line ends) would make a file no XML
    parser reads.
    """
    for predicate in set(graph.predicates()):
        try:
            graph.namespace_manager.compute_qname_strict(predicate)
        except ValueError:
            raise UsageError(
                f"cannot write RDF/XML: the property <{predicate}> does not end in an XML name (RDF/XML cannot hold it); "
                "write Turtle, N-Triples or JSON-LD"
            ) from None
    for subject, _, value in graph:
        if isinstance(value, Literal) and XML_INVALID.search(value):
            char = XML_INVALID.search(value).group()
            raise UsageError(
                f"cannot write RDF/XML: a value of <{subject}> holds U+{ord(char):04X}, a character XML cannot hold; "
                "write Turtle, N-Triples or JSON-LD"
            )


def _jsonld(graph: Graph) -> bytes:
    from rdflib.plugins.serializers.jsonld import Converter
    from rdflib.plugins.shared.jsonld.context import Context

    class NodeByNode(Converter):
        """rdflib's converter, fed every blank node before the nodes that refer to it.

        Its own order starts from IRIs and follows blank nodes by recursion (a chain
        of a few hundred exhausted Python's stack) and leaves out blank nodes that
        only refer to each other in a cycle. Lists stay rdflib's "@list" objects.
        """

        def from_graph(self, graph):
            nodemap: dict = {}
            for node in _blank_nodes_leaves_first(graph, lambda node: self.to_collection(graph, node) is None):
                self.process_subject(graph, node, nodemap)
            for subject in set(graph.subjects()):
                if isinstance(subject, URIRef) or not any(graph.subjects(None, subject)):
                    self.process_subject(graph, subject, nodemap)
            return list(nodemap.values())

    context_data = kg_context()
    converter = NodeByNode(Context(context_data), use_native_types=False, use_rdf_type=False)
    document = converter.convert(graph)
    if isinstance(document, list):
        document = {"@graph": document}
    document["@context"] = context_data
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def kg_context() -> dict:
    """The JSON-LD context kg ships (``ontology/context.jsonld``), as its "@context" object."""
    return json.loads(resources.context_path().read_text("utf-8"))["@context"]


def _blank_nodes_leaves_first(graph: Graph, wanted) -> list[BNode]:
    """The blank nodes that are objects (and ``wanted``), each after the blank nodes it refers to (cycles in any order)."""
    order: list[BNode] = []
    done: set[BNode] = set()
    for start in {o for o in graph.objects() if isinstance(o, BNode)}:
        if start in done:
            continue
        done.add(start)
        stack = [(start, iter({o for o in graph.objects(start, None) if isinstance(o, BNode)}))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if wanted(node):
                    order.append(node)
            elif child not in done:
                done.add(child)
                stack.append((child, iter({o for o in graph.objects(child, None) if isinstance(o, BNode)})))
    return order


def serialize_sorted(graph: Graph, rdf_format: RdfFormat) -> bytes:
    """Serialize with the same bytes in every run: line formats sorted, others from a sorted store."""
    # rdflib writes in the order the store yields triples; a store filled in sorted
    # order yields them the same way in every run (the hash seed changes set order).
    ordered = Graph()
    for prefix, namespace in graph.namespaces():
        ordered.bind(prefix, namespace, override=True)
    for triple in sorted(graph, key=lambda t: tuple(term.n3() for term in t)):
        ordered.add(triple)
    data = serialize_graph(ordered, rdf_format)
    if rdf_format.name in ("nt", "nquads"):
        lines = sorted(set(data.decode("utf-8").splitlines()) - {""})
        data = ("\n".join(lines) + "\n").encode("utf-8")
    elif rdf_format.name == "json-ld":  # JSON-LD arrays are sets (lists are "@list" objects): sort them
        data = (json.dumps(_sorted_json(json.loads(data)), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    return data


def _sorted_json(value):
    if isinstance(value, dict):
        return {key: item if key == "@list" else _sorted_json(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_json(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value
