"""``kg export``: serialize a graph, atomically (an existing file survives a failure)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from rdflib import Graph

from kg.errors import InputError, UsageError

#: Export format name -> (rdflib serializer, usual extension).
RDF_EXPORT_FORMATS = {
    "ttl": ("turtle", ".ttl"),
    "nt": ("nt", ".nt"),
    "nq": ("nquads", ".nq"),
    "jsonld": ("json-ld", ".jsonld"),
    "xml": ("pretty-xml", ".rdf"),
    "trig": ("trig", ".trig"),
}
_FORMAT_BY_SUFFIX = {ext: name for name, (_, ext) in RDF_EXPORT_FORMATS.items()} | {
    ".owl": "xml",
    ".xml": "xml",
    ".json": "jsonld",
    ".turtle": "ttl",
}


#: Agent-level network formats for Gephi and yEd (claims as edges; see kg.network).
NETWORK_FORMATS = ("graphml", "gexf")
_NETWORK_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf"}


def export_format_for(path: str | Path, requested: str | None) -> str:
    """The export format: the one asked for, else the one the file extension names."""
    if requested:
        if requested not in RDF_EXPORT_FORMATS:
            raise UsageError(f"unknown export format {requested!r}; expected one of {', '.join(RDF_EXPORT_FORMATS)}")
        return requested
    suffix = Path(path).suffix.lower()
    if suffix in _FORMAT_BY_SUFFIX:
        return _FORMAT_BY_SUFFIX[suffix]
    known = ", ".join(sorted(_FORMAT_BY_SUFFIX))
    raise UsageError(f"{path}: cannot tell the format from extension {suffix or '(none)'!r}; use one of {known} (kg export also takes --format)")


def serialize_graph(graph: Graph, export_format: str) -> bytes:
    serializer, _ = RDF_EXPORT_FORMATS[export_format]
    if export_format in ("nq", "trig"):
        from rdflib import Dataset

        dataset = Dataset()
        for prefix, namespace in graph.namespaces():
            dataset.bind(prefix, namespace)
        for triple in graph:
            dataset.add(triple)
        return dataset.serialize(format=serializer, encoding="utf-8")
    if export_format == "jsonld":
        from kg.namespaces import PREFIXES

        context = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        return graph.serialize(format=serializer, context=context, auto_compact=True, encoding="utf-8")
    return graph.serialize(format=serializer, encoding="utf-8")


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    with atomic_output(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_output(path: str | Path):
    """A binary handle on a temporary file that replaces ``path`` only once all is written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            yield temp
        os.chmod(temp_name, 0o644)  # mkstemp makes files private; outputs are meant to be shared
        os.replace(temp_name, path)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def export_graph(graph: Graph, path: str | Path, export_format: str | None = None) -> str:
    """Serialize ``graph`` to ``path``; returns the format used."""
    if export_format == "csv":  # a folder of sheets, not one file
        from kg.sheets import export_sheets

        export_sheets(graph, path)
        return export_format
    if export_format in NETWORK_FORMATS or (export_format is None and Path(path).suffix.lower() in _NETWORK_SUFFIXES):
        from kg.network import export_network  # networkx only when asked for

        export_format = export_format or _NETWORK_SUFFIXES[Path(path).suffix.lower()]
        export_network(graph, path, export_format)
        return export_format
    export_format = export_format_for(path, export_format)
    write_atomically(path, serialize_graph(graph, export_format))
    return export_format
