"""Parsing and serializing RDF with rdflib: one file into a graph, a graph into bytes.

Parse errors from any of rdflib's parsers become an ``InputError`` naming the
file and, where the parser knows it, the line, so the CLI prints one line.
JSON-LD never reaches the network: kg's own context is inlined, any other
remote context is refused. RDF/XML that declares an entity is refused before
any parser reads it (``refuse_xml_entities``).
"""

from __future__ import annotations

import json
import re
import xml.sax
import xml.sax.handler
from pathlib import Path

from rdflib import Dataset, Graph

from kg import resources
from kg.errors import InputError
from kg.io.formats import RdfFormat, format_of
from kg.vocab import CONTEXT_IRI, PREFIXES


def parse_rdf_file(graph: Graph, path: str | Path, rdf_format: RdfFormat | None = None) -> None:
    """Parse one RDF file into ``graph`` (quads are merged into it)."""
    path = Path(path)
    rdf_format = rdf_format or format_of(path)
    name = rdf_format.name
    if name == "xml":
        refuse_xml_entities(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if name == "json-ld":
            _parse_jsonld(graph, path, data)
        elif rdf_format.quads:
            dataset = Dataset()
            dataset.parse(data=data, format=name)
            for s, p, o, _ in dataset.quads():
                graph.add((s, p, o))
        else:
            graph.parse(data=data, format=name)
    except InputError:
        raise
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise InputError(f"{error_location(path, exc)}: not valid {name}: {error_reason(exc)}") from None


class _PrologRead(Exception):
    """The root element began: no entity can be declared after it."""


class _StopAtRoot(xml.sax.handler.ContentHandler):
    def startElement(self, name, attrs):  # noqa: N802 - SAX's name
        raise _PrologRead


def refuse_xml_entities(path: Path) -> None:
    """An InputError if the XML file ``path`` declares an entity (or refers to an external one).

    Nested entities ("billion laughs") expand a 1 kB file into gigabytes: Python's
    expat took minutes over one, and Oxigraph's RDF/XML parser expands them too.
    defusedxml refuses every entity declaration; only the prolog is read, as no
    declaration can follow the root element, so the check costs nothing on a
    large file. Both the in-memory loader and the Oxigraph backend call it.
    """
    import defusedxml
    from defusedxml.expatreader import create_parser

    parser = create_parser()
    parser.setContentHandler(_StopAtRoot())
    try:
        with open(path, "rb") as handle:
            parser.parse(handle)
    except _PrologRead:
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except defusedxml.EntitiesForbidden as exc:
        raise InputError(
            f"{path}:{parser.getLineNumber()}: refused: the file declares the XML entity {exc.name!r}; "
            "kg expands no XML entity (nested ones make a small file gigabytes long): write the text out, or save as Turtle"
        ) from None
    except defusedxml.DefusedXmlException as exc:
        raise InputError(f"{path}:{parser.getLineNumber()}: refused: {exc}; kg reads no external XML") from None
    except xml.sax.SAXParseException as exc:
        raise InputError(f"{error_location(path, exc)}: not valid xml: {error_reason(exc)}") from None


def _parse_jsonld(graph: Graph, path: Path, data: bytes) -> None:
    """JSON-LD into ``graph``; JSON that maps to no triple at all is not JSON-LD, and an error.

    (A JSON document without a context, a list of register statements say, would
    otherwise load as an empty graph and every answer would be silently empty.)
    """
    document = _json_document(path, data)
    parsed = Graph()
    parsed.parse(data=json.dumps(_inline_contexts(path, document)), format="json-ld")
    if not len(parsed) and not _speaks_jsonld(document):
        raise InputError(f"{path}: JSON that is not JSON-LD: no statement in it maps to RDF (no @context, no IRIs as keys)")
    for triple in parsed:
        graph.add(triple)


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
                    local_context = json.loads(resources.context_path().read_text("utf-8"))["@context"]
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
    """A parser's complaint on one line of at most 200 characters."""
    why = getattr(exc, "_why", None)  # notation3.BadSyntax keeps its reason here
    text = str(why) if why else str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text (byte {exc.start})"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


# --- writing ----------------------------------------------------------------------------------------

def serialize_graph(graph: Graph, rdf_format: RdfFormat) -> bytes:
    if rdf_format.quads:
        dataset = Dataset()
        for prefix, namespace in graph.namespaces():
            dataset.bind(prefix, namespace)
        for triple in graph:
            dataset.add(triple)
        return dataset.serialize(format=rdf_format.serializer, encoding="utf-8")
    if rdf_format.name == "json-ld":
        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format=rdf_format.serializer, context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=rdf_format.serializer, encoding="utf-8")


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
