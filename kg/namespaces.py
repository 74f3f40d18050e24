"""The IRIs kg mints and reads: one place, so data, queries and code agree."""

from __future__ import annotations

from rdflib import Namespace

ONTOLOGY_IRI = "https://w3id.org/ai-compute-kg/ontology"
KG = Namespace(ONTOLOGY_IRI + "#")
#: Entities are ``DATA + id``; claims ``CLAIM + slug``; sources ``SOURCE + slug``.
DATA = Namespace("https://w3id.org/ai-compute-kg/data/")
CLAIM = Namespace(str(DATA) + "claim/")
SOURCE = Namespace(str(DATA) + "source/")
#: The published address of kg's JSON-LD context; resolved to the bundled file, never fetched.
CONTEXT_IRI = "https://w3id.org/ai-compute-kg/context.jsonld"

PREFIXES = {
    "kg": KG,
    "kgd": DATA,
    "claim": CLAIM,
    "src": SOURCE,
}


def bind_prefixes(graph) -> None:
    """Give a graph kg's prefixes so its serializations read well."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    graph.bind("dcterms", "http://purl.org/dc/terms/")
