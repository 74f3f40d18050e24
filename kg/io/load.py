"""Loading inputs (RDF files, spreadsheet folders) into one rdflib graph."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, NamedTuple

from rdflib import RDF, Graph

from kg import resources
from kg.io.rdf import parse_rdf_file
from kg.io.sheets.read import ingest_folder
from kg.errors import InputError
from kg.io.atomic import write_atomically
from kg.io.formats import export_format
from kg.io.ownership import read_into, reader_for, reader_named
from kg.io.rdf import serialize_sorted
from kg.io.sheets.workbook import is_workbook
from kg.io.walk import DataFile, RdfFile, walk
from kg.io.sheets.spec import AGENT_TYPES
from kg.vocab import CLAIM_TYPES, KG, bind_prefixes


def load_graph(inputs: Iterable[str | Path] | None = None, *, include_ontology: bool = True) -> Graph:
    """Load RDF files and spreadsheet folders into one graph; the bundled data when ``inputs`` is empty.

    The ontology is added by default so that queries can follow class and
    status definitions; pass ``include_ontology=False`` to get the data alone.
    """
    graph = Graph()
    bind_prefixes(graph)
    for found in walk(list(inputs or []) or [resources.bundled_data_path()]):
        if isinstance(found, RdfFile):
            parse_rdf_file(graph, found.path, found.format)
        elif isinstance(found, DataFile):
            read_into(graph, reader_named(found.reader), found.path)
        else:
            graph += ingest_folder(found.path)
    if include_ontology:
        parse_rdf_file(graph, resources.ontology_path())
    return graph


class Ingested(NamedTuple):
    """What ``kg ingest`` wrote: the RDF format and how many entities, claims and sources."""

    format: str
    entities: int
    claims: int
    sources: int


def ingest_file(source: str | Path, output: str | Path, reader_name: str | None = None) -> Ingested:
    """``kg ingest``: a sheet folder or ``.xlsx`` workbook, or a file of ownership data (BODS, FollowTheMoney,
    GLEIF), as sorted RDF.

    ``reader_name`` names the format where the file's content cannot tell. The
    output is the same byte for byte for the same input, and nothing is written
    when the input has a problem. Returns the RDF format written and what the graph holds.
    """
    source = Path(source)
    chosen = export_format(output, None)
    if reader_name is None and (source.is_dir() or (source.is_file() and is_workbook(source))):
        graph = ingest_folder(source)
    else:
        reader = reader_named(reader_name) if reader_name else (reader_for(source) if source.is_file() else None)
        if reader_name and reader is None:
            raise InputError(f"kg cannot read {reader_name} files yet")
        if reader is None:
            if not source.exists():
                raise InputError(f"{source}: no such file or folder")
            raise InputError(f"{source}: not a spreadsheet folder, and not a BODS, FollowTheMoney or GLEIF file kg recognises")
        graph = Graph()
        bind_prefixes(graph)
        read_into(graph, reader, source)
    write_atomically(output, serialize_sorted(graph, chosen))
    return Ingested(chosen.export_name, *graph_counts(graph))


def graph_counts(graph: Graph) -> tuple[int, int, int]:
    """How many entities (agents), claims and sources ``graph`` holds."""
    def typed(classes) -> int:
        return len({node for cls in classes for node in graph.subjects(RDF.type, cls)})

    return typed(AGENT_TYPES.values()), typed(CLAIM_TYPES), typed([KG.Source])
