"""Loading inputs (RDF files, spreadsheet folders) into one rdflib graph."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from rdflib import Graph

from kg import resources
from kg.io.rdf import parse_rdf_file
from kg.io.sheets.read import ingest_folder
from kg.io.ownership import read_into, reader_named
from kg.io.walk import DataFile, RdfFile, walk
from kg.vocab import bind_prefixes


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
