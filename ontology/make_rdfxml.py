"""Write kg.owl, the RDF/XML copy of kg.ttl, for tools that read no Turtle.

kg.ttl is the source; run this after every change to it (tests/test_ontology.py fails
while the two graphs differ):

    .venv/bin/python ontology/make_rdfxml.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from rdflib import Graph

HERE = Path(__file__).resolve().parent
HEADER = "<!-- Generated from kg.ttl by make_rdfxml.py; edit kg.ttl, not this file. -->\n"


def turtle_to_rdfxml(source: Path, target: Path) -> int:
    """Write ``source`` (Turtle) to ``target`` as RDF/XML; returns the number of triples."""
    # rdflib writes subjects in no fixed order, so kg.owl is compared with kg.ttl as a
    # graph (isomorphism), never as text.
    graph = Graph()
    graph.parse(source, format="turtle")
    # Plain RDF/XML, not rdflib's "pretty-xml": that one writes a property chain's list
    # both as a Collection and, depending on the order it meets the nodes, again as loose
    # rdf:first/rdf:rest nodes, which adds a second, broken list.
    text = graph.serialize(format="xml", encoding="utf-8").decode("utf-8")
    declaration, _, body = text.partition("\n")
    target.write_text(declaration + "\n" + HEADER + body, encoding="utf-8")
    return len(graph)


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else HERE / "kg.ttl"
    target = Path(argv[2]) if len(argv) > 2 else source.with_suffix(".owl")
    count = turtle_to_rdfxml(source, target)
    print(f"wrote {target} ({count} triples)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
