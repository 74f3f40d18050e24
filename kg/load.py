"""Loading RDF files (by extension) and CSV folders into one rdflib graph.

Parse errors from any of rdflib's parsers become an ``InputError`` naming the
file and, where the parser knows it, the line, so the CLI prints one line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph

from kg import resources
from kg.errors import InputError
from kg.namespaces import CONTEXT_IRI, bind_prefixes

#: rdflib parser name for each file extension kg reads.
FORMATS_BY_SUFFIX = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".n3": "n3",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
QUAD_FORMATS = {"nquads", "trig"}
CSV_FILES = ("entities.csv", "relations.csv")
PathLike = str | Path


def rdf_format_for(path: PathLike) -> str:
    """The rdflib format of a file, from its extension, or an InputError."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS_BY_SUFFIX[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise InputError(f"{path}: unknown file extension {suffix or '(none)'!r}; expected one of {known}") from None


def load_graph(paths: Iterable[PathLike] | None = None, *, include_ontology: bool = True) -> Graph:
    """Load RDF files and CSV folders into one graph; the bundled data when ``paths`` is empty.

    The ontology is added by default so that queries can follow class and
    status definitions; pass ``include_ontology=False`` to get the data alone.
    """
    graph = Graph()
    bind_prefixes(graph)
    paths = list(paths or [])
    if not paths:
        paths = [resources.bundled_data_path()]
    for path in paths:
        add_path(graph, Path(path))
    if include_ontology:
        parse_rdf_file(graph, resources.ontology_path())
    return graph


def add_path(graph: Graph, path: Path) -> None:
    """Add one file or folder to ``graph``."""
    if path.is_dir():
        add_folder(graph, path)
    elif path.exists():
        parse_rdf_file(graph, path)
    else:
        raise InputError(f"{path}: no such file or folder")


def add_folder(graph: Graph, folder: Path) -> None:
    """Add every RDF file of a folder, and its CSV sheets when it has them."""
    rdf_files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FORMATS_BY_SUFFIX)
    has_sheets = any((folder / name).exists() for name in CSV_FILES)
    if not rdf_files and not has_sheets:
        raise InputError(f"{folder}: folder holds no RDF file and no entities.csv / relations.csv")
    for path in rdf_files:
        parse_rdf_file(graph, path)
    if has_sheets:
        from kg.ingest import ingest_folder

        graph += ingest_folder(folder)


def parse_rdf_file(graph: Graph, path: PathLike) -> None:
    """Parse one RDF file into ``graph`` (quads are merged into it)."""
    path = Path(path)
    rdf_format = rdf_format_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if rdf_format == "json-ld":
            text = _local_jsonld(path, data)
            graph.parse(data=text, format="json-ld")
        elif rdf_format in QUAD_FORMATS:
            dataset = Dataset()
            dataset.parse(data=data, format=rdf_format)
            for s, p, o, _ in dataset.quads():
                graph.add((s, p, o))
        else:
            graph.parse(data=data, format=rdf_format)
    except InputError:
        raise
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise InputError(f"{_location(path, exc)}: not valid {rdf_format}: {_reason(exc)}") from None


def _local_jsonld(path: Path, data: bytes) -> str:
    """JSON-LD text with kg's context inlined; any other remote context is refused.

    rdflib would fetch a context given by URL; kg never reaches the network
    unless the user points it at an endpoint.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid json-ld: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid json-ld: {exc.msg}") from None
    local_context = None

    def inline(node):
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                if key == "@context":
                    value = inline_context(value)
                else:
                    value = inline(value)
                result[key] = value
            return result
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

    return json.dumps(inline(document))


def _location(path: Path, exc: Exception) -> str:
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


def _reason(exc: Exception) -> str:
    why = getattr(exc, "_why", None)  # notation3.BadSyntax keeps its reason here
    text = str(why) if why else str(exc) or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text (byte {exc.start})"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."
