"""What kg refuses in an input file, before a parser reads it and before its triples join a graph.

Each check names the file (and the line, where it can): an XML entity, which
can expand a small file into gigabytes; a term no RDF store can hold, which
rdflib's lenient parsers let through and which would crash a later export,
query or push; a JSON-LD node id that rdflib would drop without a word.
"""

from __future__ import annotations

import re
import xml.sax
import xml.sax.handler
from pathlib import Path

from rdflib import BNode, Literal, URIRef

from kg.entities import is_iri
from kg.errors import InputError


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_terms(triples, path: Path, data: bytes = b"") -> None:
    """An InputError for the first term no RDF store can hold, naming the file (and the line ``data`` shows).

    An IRI must be absolute and valid by RFC 3987, a language tag by BCP 47, a
    blank node label by N-Triples and text must be Unicode: Oxigraph's own term
    constructors decide, so a graph kg loads in memory also loads into Oxigraph
    and writes to every format.
    """
    import pyoxigraph as ox

    checked: set = set()
    for triple in triples:
        for term in triple:
            if term in checked:
                continue
            try:
                if isinstance(term, URIRef):
                    ox.NamedNode(term)
                elif isinstance(term, BNode):
                    ox.BlankNode(term)
                elif isinstance(term, Literal):
                    if _SURROGATE.search(term):
                        raise ValueError("text that is not Unicode (a lone surrogate)")
                    # Literals are many and rarely repeat: only their languages and datatypes are remembered.
                    kind = term.language or term.datatype
                    if kind is not None and kind not in checked:
                        if term.language:
                            ox.Literal("", language=term.language)
                        else:
                            term = term.datatype
                            ox.NamedNode(term)
                        checked.add(kind)
                    continue
            except ValueError as exc:
                what = {URIRef: "IRI", BNode: "blank node label", Literal: "literal"}[type(term)]
                shown = str(term) if not isinstance(term, Literal) or not term.language else f"@{term.language}"
                line = _line_holding(data, str(term) if isinstance(term, URIRef) else None)
                where = f"{path}:{line}" if line else str(path)
                raise InputError(f"{where}: not a valid {what}: {shown[:200]!r} ({exc})") from None
            checked.add(term)


def _line_holding(data: bytes, text: str | None) -> int | None:
    if not text:
        return None
    found = data.find(text.encode("utf-8", "surrogatepass"))
    return data.count(b"\n", 0, found) + 1 if found >= 0 else None


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
        raise InputError(f"{path}:{exc.getLineNumber()}: not valid xml: {exc.getMessage()}") from None


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def refuse_bad_ids(path: Path, data: bytes, document) -> None:
    """An InputError for a JSON-LD node id that is not an IRI: rdflib drops such a node, and every statement about it, silently."""

    def aliases(node, found):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    for context in value if isinstance(value, list) else [value]:
                        if isinstance(context, dict):
                            found |= {term for term, meaning in context.items() if meaning == "@id"}
                aliases(value, found)
        elif isinstance(node, list):
            for item in node:
                aliases(item, found)
        return found

    keys = aliases(document, {"@id"})

    def check(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys and isinstance(value, str) and not value.startswith("_:"):
                    if _NOT_IN_IRI.search(value) or ("://" in value and not is_iri(value)):
                        line = _line_holding(data, value)
                        raise InputError(f"{path}:{line or 1}: not a valid IRI: {value[:200]!r} (as a node id)")
                check(value)
        elif isinstance(node, list):
            for item in node:
                check(item)

    check(document)
