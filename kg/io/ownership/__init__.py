"""Readers and writers of the ownership data analysts already hold: BODS 0.4, FollowTheMoney, GLEIF.

Each format is one module here that defines ``READER`` (an ``OwnershipReader``)
and, where kg writes the format, ``WRITER``. A reader turns a file into kg's own
claims (agents with identifiers, Ownership and Control claims, attestations
whose sources keep the record's provenance), as triples, streamed: the caller
adds them to an rdflib graph or to a store in batches. The walk over the user's
inputs (``kg.io.walk``) asks ``reader_for`` before it takes a JSON or XML file
for RDF, so a BODS file given to ``--data`` is read as BODS, never as JSON-LD
that gives no triple. A ``FORMAT:`` prefix (``bods:extract.json``) names the
reader when the content cannot tell.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from rdflib import Graph

#: The modules of this package that define a READER (and maybe a WRITER), by format name.
FORMAT_MODULES = {"bods": "kg.io.ownership.bods", "ftm": "kg.io.ownership.ftm", "gleif": "kg.io.ownership.gleif"}
#: Extensions a reader may claim by content; other files are never sniffed for ownership data.
SNIFFED_SUFFIXES = (".json", ".jsonl", ".ndjson", ".ijson", ".ftm", ".xml", "")
_HEAD = 64 * 1024


@dataclass(frozen=True)
class OwnershipReader:
    name: str  # "bods": what a FORMAT: prefix and ``kg ingest --format`` call it
    label: str  # "BODS 0.4"
    suffixes: tuple[str, ...]  # extensions that are this format whatever the content (".ftm"); may be empty
    sniff: Callable[[bytes], bool]  # whether the first bytes of a file are this format (a version it refuses included)
    read: Callable[..., Iterator[tuple]]  # read(path, *, progress=None) -> kg triples; InputError naming file (and record)


@dataclass(frozen=True)
class OwnershipWriter:
    name: str  # what ``kg export --format`` calls it
    suffixes: tuple[str, ...]
    write: Callable[[Graph, BinaryIO], None]  # kg's graph to the format; nothing it cannot hold is invented


def _module(name: str):
    try:
        return importlib.import_module(FORMAT_MODULES[name])
    except ModuleNotFoundError as exc:
        if exc.name == FORMAT_MODULES[name]:
            return None  # a format not built yet
        raise


def readers() -> list[OwnershipReader]:
    return [module.READER for name in FORMAT_MODULES if (module := _module(name)) is not None and hasattr(module, "READER")]


def writers() -> list[OwnershipWriter]:
    return [module.WRITER for name in FORMAT_MODULES if (module := _module(name)) is not None and hasattr(module, "WRITER")]


def reader_named(name: str) -> OwnershipReader | None:
    return next((reader for reader in readers() if reader.name == name), None)


def reader_for(path: Path) -> OwnershipReader | None:
    """The reader of ``path``: by an extension only one format uses, else by the file's first bytes."""
    suffix = path.suffix.lower()
    for reader in readers():
        if suffix in reader.suffixes:
            return reader
    if suffix not in SNIFFED_SUFFIXES:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return None  # the reader that opens it reports why it cannot
    return next((reader for reader in readers() if reader.sniff(head)), None)


def read_into(graph: Graph, reader: OwnershipReader, path: Path, *, progress=None) -> int:
    """Add what ``reader`` reads from ``path`` to ``graph``; returns the number of triples read."""
    count = 0
    add = graph.add
    for triple in reader.read(path, progress=progress):
        add(triple)
        count += 1
    return count
