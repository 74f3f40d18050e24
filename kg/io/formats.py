"""The one registry of RDF formats kg reads and writes: names, file extensions, media types, content.

Every part of kg that has to know a format (the loaders, the Oxigraph backend,
the endpoint client, ``kg export``, ``kg ingest -o``) asks this module, so
adding a format is one entry here. A file is known by its extension; a file
named on its own whose extension says nothing is known by its content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, UsageError, arg


@dataclass(frozen=True)
class RdfFormat:
    name: str  # rdflib's parser name, also the word error messages use ("not valid turtle")
    label: str
    suffixes: tuple[str, ...]  # read by these extensions; the first is the one kg writes
    media_type: str
    export_name: str | None = None  # what ``kg export --format`` calls it; None: read only
    serializer: str | None = None  # rdflib's serializer name
    oxigraph: str | None = None  # pyoxigraph.RdfFormat member, where Oxigraph parses it as kg would
    quads: bool = False  # holds named graphs


FORMATS = (
    RdfFormat("turtle", "Turtle", (".ttl", ".turtle"), "text/turtle", "ttl", "turtle", "TURTLE"),
    RdfFormat("n3", "N3", (".n3",), "text/n3", oxigraph="N3"),
    RdfFormat("nt", "N-Triples", (".nt", ".ntriples"), "application/n-triples", "nt", "nt", "N_TRIPLES"),
    RdfFormat("nquads", "N-Quads", (".nq",), "application/n-quads", "nq", "nquads", "N_QUADS", quads=True),
    RdfFormat("trig", "TriG", (".trig",), "application/trig", "trig", "trig", "TRIG", quads=True),
    # kg reads JSON-LD itself (rdflib, with its own context inlined): no context is ever fetched.
    RdfFormat("json-ld", "JSON-LD", (".jsonld", ".json"), "application/ld+json", "jsonld", "json-ld"),
    # RDF/XML is written flat: rdflib's "pretty-xml" nests blank nodes by recursion and warns about lists.
    RdfFormat("xml", "RDF/XML", (".rdf", ".owl", ".xml"), "application/rdf+xml", "xml", "xml", "RDF_XML"),
)
BY_NAME = {fmt.name: fmt for fmt in FORMATS}
BY_SUFFIX = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
BY_EXPORT_NAME = {fmt.export_name: fmt for fmt in FORMATS if fmt.export_name}
BY_MEDIA_TYPE = {fmt.media_type: fmt for fmt in FORMATS}

N_TRIPLES = BY_NAME["nt"]
SPARQL_RESULTS_JSON = "application/sparql-results+json"


def format_by_suffix(path: str | Path) -> RdfFormat | None:
    return BY_SUFFIX.get(Path(path).suffix.lower())


def format_of(path: str | Path) -> RdfFormat:
    """The format of an input file: by its extension, else by its content; an InputError if neither tells."""
    found = format_by_suffix(path)
    if found is not None:
        return found
    found = sniff(*_head(Path(path)))
    if found is not None:
        return found
    suffix = Path(path).suffix.lower()
    known = ", ".join(sorted(BY_SUFFIX))
    raise InputError(
        f"{path}: unknown file extension {suffix or '(none)'!r} and content kg cannot tell; expected one of {known}"
    )


def export_format(path: str | Path, requested: str | None) -> RdfFormat:
    """The format to write: the one asked for by its export name, else the one the extension names."""
    if requested:
        if requested not in BY_EXPORT_NAME:
            raise UsageError(f"unknown {arg('export_format')} {requested!r}; expected one of {', '.join(BY_EXPORT_NAME)}")
        return BY_EXPORT_NAME[requested]
    found = format_by_suffix(path)
    if found is not None and found.export_name:
        return found
    suffix = Path(path).suffix.lower()
    known = ", ".join(sorted(s for s, fmt in BY_SUFFIX.items() if fmt.export_name))
    raise UsageError(
        f"{path}: cannot tell the format from extension {suffix or '(none)'!r}; use one of {known} (or give {arg('export_format')})"
    )


# --- content --------------------------------------------------------------------------------------

_TERM = r'(?:<[^<>"\s]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^<>"\s]*>)?)'
_TRIPLE_LINE = re.compile(rf"{_TERM}\s+<[^<>\"\s]*>\s+{_TERM}\s*\.\s*(?:#.*)?")
_QUAD_LINE = re.compile(rf"{_TERM}\s+<[^<>\"\s]*>\s+{_TERM}\s+(?:<[^<>\"\s]*>|_:\S+)\s*\.\s*(?:#.*)?")
_TURTLE_START = re.compile(r"(@prefix|@base|prefix\s|base\s)", re.IGNORECASE)


def _head(path: Path, size: int = 4096) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a file, and whether they are the whole file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(size + 1)
    except OSError:
        return b"", True  # the reader reports an unreadable file with its reason
    return head[:size], len(head) <= size


def sniff(head: bytes, complete: bool = False) -> RdfFormat | None:
    """The format the first bytes of a file show, or None: for files whose extension says nothing.

    ``complete`` says the bytes are the whole file (else the last line may be cut off).
    """
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("<?xml", "<rdf:RDF", "<RDF")):
        return BY_NAME["xml"]
    if text.startswith(("{", "[")):
        return BY_NAME["json-ld"]
    if _TURTLE_START.match(text):
        return BY_NAME["turtle"]
    lines = text.splitlines()
    if lines and not complete and not text.endswith("\n"):
        lines.pop()  # cut off where the head ends
    lines = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if lines and all(_TRIPLE_LINE.fullmatch(line.strip()) for line in lines):
        return N_TRIPLES
    if lines and all(_QUAD_LINE.fullmatch(line.strip()) or _TRIPLE_LINE.fullmatch(line.strip()) for line in lines):
        return BY_NAME["nquads"]
    return None
