"""kg's JSON-LD context (ontology/context.jsonld), used by its published IRI and never fetched."""

from __future__ import annotations

import json
import socket

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.compare import isomorphic

from kg import resources
from kg.errors import InputError
from kg.io.load import load_graph
from kg.vocab import CONTEXT_IRI, KG

EXPECTED = """
@prefix kg:    <https://w3id.org/ai-compute-kg/ontology#> .
@prefix kgd:   <https://w3id.org/ai-compute-kg/data/> .
@prefix claim: <https://w3id.org/ai-compute-kg/data/claim/> .
@prefix src:   <https://w3id.org/ai-compute-kg/data/source/> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .

kgd:lab a kg:AILab ; rdfs:label "Lab" .
kgd:cloud a kg:CloudProvider ; rdfs:label "Cloud" .
claim:deal a kg:ComputeContract ;
    kg:customer kgd:lab ;
    kg:supplier kgd:cloud ;
    kg:startDate "2024-05"^^xsd:gYearMonth ;
    kg:endDate "2027"^^xsd:gYear ;
    kg:capacityMW "300"^^xsd:decimal ;
    kg:contractValue "1500000000.50"^^xsd:decimal ;
    kg:currency "USD" ;
    kg:accelerator "GPU" ;
    kg:attestation [ a kg:Attestation ; kg:source src:article ; kg:status kg:Confirmed ; kg:sourceLine 7 ] .
claim:ctl a kg:Control ;
    kg:controller kgd:cloud ;
    kg:controlledEntity kgd:lab ;
    kg:controlBasis kg:Shareholding ;
    kg:direct true ;
    kg:startDate "2023-01-31"^^xsd:date .
"""


def document(context) -> dict:
    return {
        "@context": context,
        "@graph": [
            {"id": "kgd:lab", "type": "AILab", "label": "Lab"},
            {"id": "kgd:cloud", "type": "CloudProvider", "label": "Cloud"},
            {
                "id": "claim:deal",
                "type": "ComputeContract",
                "customer": "kgd:lab",
                "supplier": "kgd:cloud",
                "startMonth": "2024-05",
                "endYear": "2027",
                "capacityMW": "300",
                "contractValue": "1500000000.50",
                "currency": "USD",
                "accelerator": "GPU",
                "attestation": {"type": "Attestation", "source": "src:article", "status": "Confirmed", "sourceLine": 7},
            },
            {
                "id": "claim:ctl",
                "type": "Control",
                "controller": "kgd:cloud",
                "controlledEntity": "kgd:lab",
                "controlBasis": "Shareholding",
                "direct": True,
                "startDate": "2023-01-31",
            },
        ],
    }


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def context() -> dict:
    return json.loads(resources.context_path().read_text(encoding="utf-8"))["@context"]


def test_context_file_is_a_json_ld_1_1_context(context):
    assert context["@version"] == 1.1
    assert context["kg"] == str(KG)


@pytest.mark.parametrize("context_ref", [CONTEXT_IRI, [CONTEXT_IRI, {"ex": "https://example.org/"}]], ids=["iri", "list"])
def test_document_using_the_context_by_its_iri_loads_offline_with_the_expected_triples(tmp_path, no_network, context_ref):
    path = tmp_path / "deal.jsonld"
    path.write_text(json.dumps(document(context_ref)), encoding="utf-8")
    loaded = load_graph([path], include_ontology=False)
    expected = Graph().parse(data=EXPECTED, format="turtle")
    assert isomorphic(loaded, expected), sorted(set(loaded) ^ set(expected))


@pytest.mark.parametrize(
    "remote",
    ["https://schema.org/", "http://example.org/context.jsonld", "https://w3id.org/ai-compute-kg/other.jsonld"],
)
def test_a_document_with_any_other_remote_context_is_refused(tmp_path, no_network, remote):
    path = tmp_path / "other.jsonld"
    path.write_text(json.dumps({"@context": [CONTEXT_IRI, remote], "@id": "kgd:lab", "label": "Lab"}), encoding="utf-8")
    with pytest.raises(InputError, match="remote"):
        load_graph([path], include_ontology=False)


def test_context_has_a_term_for_every_class_property_and_individual_of_the_ontology(context):
    ontology = Graph().parse(resources.ontology_path(), format="turtle")
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand(value: str) -> str:
        prefix, _, rest = value.partition(":")
        return prefixes[prefix] + rest if prefix in prefixes else value

    mapped = {expand(v if isinstance(v, str) else v["@id"]) for k, v in context.items() if not k.startswith("@")}
    terms = {
        str(term)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
        for term in ontology.subjects(RDF.type, kind)
        if str(term).startswith(str(KG))
    }
    assert terms - mapped == set()
    # Object properties give IRIs, never strings; enumerations resolve their short names.
    for term, definition in context.items():
        if isinstance(definition, dict) and (URIRef(expand(definition["@id"])), RDF.type, OWL.ObjectProperty) in ontology:
            assert definition.get("@type") in ("@id", "@vocab"), term
        if isinstance(definition, dict) and ontology.value(URIRef(expand(definition["@id"])), RDFS.range) is not None:
            rng = ontology.value(URIRef(expand(definition["@id"])), RDFS.range)
            if str(rng).endswith("#decimal") or str(rng).endswith("#integer") or str(rng).endswith("#boolean"):
                assert expand(definition.get("@type", "")) == str(rng), term
