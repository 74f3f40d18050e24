"""The shared ownership fixtures that are RDF rather than register data: the BODS vocabulary kg's
ontology aligns to, and GLEIF's own RDF sample (the registers' data files are read in test_bods.py,
test_ftm.py and test_gleif.py)."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, Graph, Namespace, URIRef

from kg import resources
from kg.io.load import load_graph
from kg.vocab import KG

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ownership"
BODS = Namespace("https://vocab.openownership.org/terms#")
GLEIF_L2 = Namespace("https://www.gleif.org/ontology/L2/")


def test_every_bods_term_the_ontology_aligns_to_is_in_the_bods_vocabulary():
    vocabulary = Graph().parse(FIXTURES / "bods" / "bods-vocabulary-0.4.0.ttl", format="turtle")
    ontology = Graph().parse(resources.ontology_path(), format="turtle")
    aligned = {o for _, _, o in ontology if isinstance(o, URIRef) and str(o).startswith(str(BODS)) and o != URIRef(str(BODS))}
    assert len(aligned) >= 10
    assert {term for term in aligned if (term, None, None) not in vocabulary} == set()
    # Shares align share to share, and the interest types to BODS's classes of them.
    assert (KG.shareExact, None, BODS.shareExact) in ontology and (KG.Shareholding, None, BODS.Shareholding) in ontology


def test_gleifs_own_rdf_sample_reads_as_plain_rdf_and_makes_no_claim():
    graph = load_graph([FIXTURES / "gleif" / "lei-rdf_ontology_sample_L2Data.ttl"], include_ontology=False)
    counted = {kind: len(set(graph.subjects(RDF.type, GLEIF_L2[kind]))) for kind in ("DirectConsolidation", "UltimateConsolidation")}
    assert counted == {"DirectConsolidation": 3, "UltimateConsolidation": 3}
    assert [cls for cls in (KG.Control, KG.Ownership, KG.Claim) if (None, RDF.type, cls) in graph] == []
