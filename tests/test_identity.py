"""One agent per identifier (issue 15, item 5): two inputs naming one company under two ids are
read as one agent by the rules, describe, the network and the graphs. Every entity is fictional;
the LEIs are invented (valid ISO 17442 check digits, no real entity).
"""

from __future__ import annotations

import json
import textwrap

import pytest
from rdflib import OWL, URIRef

import servers
from kg.identifiers import identifier_key, lei_check_digits_ok
from kg.identity import Identity
from kg.vocab import DATA

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)  # the push test's server is on 127.0.0.1

HARBOR_LEI = "999900HARBORCLOUD037"
OTHER_LEI = "999900ATLASHOLDING48"
REGISTRY = "https://registry.example.org/fictional/"

SHEET_ENTITIES = f"""id,name,type,identifiers
kite-ai,Kite AI (fictional),AILab,
sable-ai,Sable AI (fictional),AILab,
harbor-cloud,Harbor Cloud (fictional),CloudProvider,lei:{HARBOR_LEI.lower()}
ivy-park,Ivy Park (fictional),Person,
"""
SHEET_RELATIONS = """subject,relation,object,start,status,source
kite-ai,buys_compute_from,harbor-cloud,2024,reported,Kite AI press release (fictional)
sable-ai,competes_with,kite-ai,2023,reported,Trade press (fictional)
ivy-park,controls,sable-ai,2022,confirmed,Trade press (fictional)
"""
# A registry's export names Harbor Cloud its own way, and says who owns it.
REGISTRY_TURTLE = textwrap.dedent(f"""\
    @prefix kg: <https://w3id.org/ai-compute-kg/ontology#> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix reg: <{REGISTRY}> .
    reg:harbor-cloud-inc a kg:Organization ; rdfs:label "HARBOR CLOUD INC (fictional)" ;
        kg:identifier [ kg:identifierScheme "XI-LEI" ; kg:identifierValue "{HARBOR_LEI}" ] .
    reg:ivy-park a kg:Person ; rdfs:label "Ivy Park (fictional)" .
    reg:holding-1 a kg:Ownership ; kg:owner <https://w3id.org/ai-compute-kg/data/ivy-park> ;
        kg:ownedEntity reg:harbor-cloud-inc ; kg:shareExact 60.0 ; kg:startDate "2023"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
        kg:attestation [ a kg:Attestation ; kg:source reg:filing-2023 ; kg:status kg:Confirmed ] .
    reg:filing-2023 a kg:Source ; <http://purl.org/dc/terms/title> "Fictional registry filing, 2023" .
""")


def test_the_invented_leis_have_valid_check_digits():
    assert lei_check_digits_ok(HARBOR_LEI) and lei_check_digits_ok(OTHER_LEI)


@pytest.fixture
def two_inputs(tmp_path):
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text(SHEET_ENTITIES, encoding="utf-8")
    (sheet / "relations.csv").write_text(SHEET_RELATIONS, encoding="utf-8")
    registry = tmp_path / "registry.ttl"
    registry.write_text(REGISTRY_TURTLE, encoding="utf-8")
    return sheet, registry


@pytest.mark.parametrize("store", [[], ["--store", "oxigraph"]])
def test_a_finding_on_an_entity_known_under_two_ids_shows_one_entity_with_evidence_from_both_files(invoke, two_inputs, store):
    sheet, registry = two_inputs
    result = invoke("conflicts", "--data", sheet, "--data", registry, "--as-of", "2025-06", "--format", "json", *store)
    assert result.exit_code == 0, result.output
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]
    # The IRI kept is the one that sorts first: the registry's (https://registry...) before kg's (https://w3id.org...).
    assert finding["entities"]["supplier"]["iri"] == REGISTRY + "harbor-cloud-inc"
    assert finding["entities"]["controller"]["iri"] == str(DATA["ivy-park"])
    sources = {source["title"] for evidence in finding["evidence"] for source in evidence["sources"]}
    assert "Kite AI press release (fictional)" in sources  # from the sheet
    assert "Fictional registry filing, 2023" in sources  # from the registry's file
    ends = {(e["type"], e["subject"]["iri"], e["object"]["iri"]) for e in finding["evidence"]}
    assert ("ComputeContract", str(DATA["kite-ai"]), REGISTRY + "harbor-cloud-inc") in ends
    assert ("Ownership", str(DATA["ivy-park"]), REGISTRY + "harbor-cloud-inc") in ends


def test_without_the_shared_identifier_they_stay_two_agents_and_nothing_fires(invoke, two_inputs):
    sheet, registry = two_inputs
    registry.write_text(REGISTRY_TURTLE.replace(HARBOR_LEI, OTHER_LEI), encoding="utf-8")
    result = invoke("conflicts", "--data", sheet, "--data", registry, "--as-of", "2025-06", "--format", "json")
    assert result.exit_code == 0, result.output
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "competitor-controlled-supplier"]


def test_describe_shows_one_entity_with_its_aliases_and_every_claim(invoke, two_inputs):
    sheet, registry = two_inputs
    result = invoke("describe", "harbor-cloud", "--data", sheet, "--data", registry, "--format", "json")
    assert result.exit_code == 0, result.output
    description = json.loads(result.stdout)
    assert description["iri"] == REGISTRY + "harbor-cloud-inc"
    assert description["aliases"] == [str(DATA["harbor-cloud"])]
    assert description["shared_identifiers"] == [f"XI-LEI:{HARBOR_LEI}"]
    assert {claim["type"] for claim in description["claims"]} == {"ComputeContract", "Ownership"}
    assert description["types"] == ["cloud provider", "organization"]  # the sheet's type and the registry's
    (ownership,) = [claim for claim in description["claims"] if claim["type"] == "Ownership"]
    assert ["share (%)", "60"] in ownership["qualities"]
    text = invoke("describe", "harbor-cloud", "--data", sheet, "--data", registry)
    assert f"also known as: <{DATA['harbor-cloud']}> (shared identifier XI-LEI:{HARBOR_LEI})" in text.stdout


def test_the_network_has_one_node_for_the_merged_agent(two_inputs):
    from kg.analysis.network import agent_graph
    from kg.io.load import load_graph

    sheet, registry = two_inputs
    network = agent_graph(load_graph([sheet, registry]), as_of="2025-06")
    assert str(DATA["harbor-cloud"]) not in network
    node = network.nodes[REGISTRY + "harbor-cloud-inc"]
    assert node["aliases"] == str(DATA["harbor-cloud"])
    assert "CloudProvider" in node["types"].split(";")
    assert {(u, v) for u, v, data in network.edges(data=True) if data["type"] in ("ComputeContract", "Ownership")} == {
        (str(DATA["kite-ai"]), REGISTRY + "harbor-cloud-inc"),
        (str(DATA["ivy-park"]), REGISTRY + "harbor-cloud-inc"),
    }


# --- the identity itself -------------------------------------------------------------------------

A, B, C, D = (URIRef(f"https://example.org/fictional/{name}") for name in "abcd")


def test_agents_joined_through_a_chain_of_shared_identifiers_are_one_kept_under_the_first_iri():
    identity = Identity.from_rows([
        (C, "lei", HARBOR_LEI.lower()),
        (B, "XI-LEI", HARBOR_LEI),
        (B, "wikidata", "q42"),
        (A, "WIKIDATA", "Q42"),
        (D, "XI-LEI", OTHER_LEI),
    ])
    assert identity(B) == identity(C) == A and identity(D) == D
    assert identity.members_of(C) == (A, B, C)
    assert identity.shared[A] == [("WIKIDATA", "Q42"), ("XI-LEI", HARBOR_LEI)]
    assert identity.same_as_triples() == [(B, OWL.sameAs, A), (C, OWL.sameAs, A)]
    assert identity.expand_pairs({(D, C)}) == {(D, A), (D, B), (D, C)}
    # The order of the inputs does not change the answer.
    assert Identity.from_rows([(A, "WIKIDATA", "Q42"), (C, "XI-LEI", HARBOR_LEI), (B, "wd", "Q42"), (B, "lei", HARBOR_LEI)]).kept == identity.kept


def test_two_values_of_one_scheme_on_one_merged_agent_are_a_warning_naming_both(invoke, two_inputs):
    sheet, registry = two_inputs
    # The registry also gives a Wikidata-like id the sheet shares, and a second LEI.
    registry.write_text(
        REGISTRY_TURTLE + f'reg:harbor-cloud-inc kg:identifier [ kg:identifierScheme "XI-LEI" ; kg:identifierValue "{OTHER_LEI}" ] .\n',
        encoding="utf-8",
    )
    result = invoke("conflicts", "--data", sheet, "--data", registry, "--as-of", "2025-06")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1, warnings
    assert HARBOR_LEI in warnings[0] and OTHER_LEI in warnings[0] and "different XI-LEI identifiers" in warnings[0]


def test_an_invalid_identifier_value_still_matches_itself():
    assert identifier_key("lei", " 12345 ") == identifier_key("XI-LEI", "12345")
    assert identifier_key("GB-COH", "01234567") == ("GB-COH", "01234567")


def test_a_push_states_the_merge_as_owl_same_as_in_the_derived_graph_and_the_server_finds_the_same(invoke, two_inputs):
    from kg.backends.endpoint import EndpointBackend
    from kg.conflicts.engine import find_conflicts
    from kg.conflicts.report import findings_document
    from kg.io.load import load_graph
    from kg.push import derived_graph_name, push

    sheet, registry = two_inputs
    try:
        process, url = servers.start_oxigraph()
    except servers.OxigraphMissing as exc:
        pytest.skip(str(exc))
    try:
        push([sheet, registry], url, graph="urn:test:identity", as_of="2025-06")
        derived = EndpointBackend(url, graph=derived_graph_name("urn:test:identity"))
        _, rows = derived.select(f"SELECT ?alias ?kept WHERE {{ ?alias <{OWL.sameAs}> ?kept }}")
        assert [tuple(map(str, row)) for row in rows] == [(str(DATA["harbor-cloud"]), REGISTRY + "harbor-cloud-inc")]

        def document(source):
            return findings_document(find_conflicts(source, as_of="2025-06"), as_of="2025-06", min_status="rumored")

        assert document(EndpointBackend(url, graph="urn:test:identity")) == document(load_graph([sheet, registry]))
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_owners_of_an_alias_are_the_owners_of_the_merged_agent(invoke, two_inputs):
    sheet, registry = two_inputs
    result = invoke("owners", "harbor-cloud", "--data", sheet, "--data", registry, "--as-of", "2025-06", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["org"]["iri"] == REGISTRY + "harbor-cloud-inc"  # the agent kept, asked for by its alias
    assert [(owner["iri"], owner["share"]["exact"]) for owner in report["owners"]] == [(str(DATA["ivy-park"]), 60)]
