"""kg describe tells everything a claim and an entity say, with numbers as written, on every backend."""

from __future__ import annotations

import json

import pytest
from rdflib import XSD, Literal

from kg.analysis.describe import describe, describe_entity
from kg.backends.oxigraph import OxigraphBackend
from kg.claims import value_text

SHEET_ENTITIES = """id,name,type,founded,country,homepage
lab,Lab (fictional),AILab,2019-05,Ruritania (fictional),https://example.org/lab
cloud,Cloud (fictional),CloudProvider,,,
fund,Fund (fictional),Investor,,,
person,Person (fictional),Person,,,
holding,Holding (fictional),Organization,,,
"""
SHEET_RELATIONS = """subject,relation,object,start,status,source,amount,currency,stake,capacity_mw,nature
fund,invests_in,lab,2023,reported,Gazette,"135,000,000,000",USD,12.5,,
lab,buys_compute_from,cloud,2024,reported,Gazette,2000000000,EUR,,150,Kestrel K9
person,works_for,lab,2020,reported,Gazette,,,,,chief scientist
holding,controls,cloud,2015,reported,Gazette,,,,,voting_rights
"""


@pytest.fixture
def sheet(tmp_path):
    folder = tmp_path / "sheet"
    folder.mkdir()
    (folder / "entities.csv").write_text(SHEET_ENTITIES, encoding="utf-8")
    (folder / "relations.csv").write_text(SHEET_RELATIONS, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "literal, text",
    [
        (Literal("1.35e11", datatype=XSD.double), "135000000000"),
        (Literal("135000000000.0", datatype=XSD.decimal), "135000000000"),
        (Literal("2000000000", datatype=XSD.decimal), "2000000000"),
        (Literal("12.50", datatype=XSD.decimal), "12.5"),
        (Literal("0.0", datatype=XSD.decimal), "0"),
        (Literal("007", datatype=XSD.integer), "7"),
        (Literal("not a number", datatype=XSD.decimal), "not a number"),
        (Literal("1.5e3"), "1.5e3"),  # a plain string stays as written
    ],
)
def test_numbers_read_exactly_in_plain_decimals(literal, text):
    assert value_text(literal) == text


def test_describe_shows_every_quality_of_a_claim_and_the_entitys_facts(sheet, invoke):
    result = invoke("describe", "lab", "--data", sheet)
    assert result.exit_code == 0, result.output
    text = result.stdout
    for line in ("founded: 2019-05", "country: Ruritania (fictional)", "homepage: https://example.org/lab",
                 "amount: 135000000000", "currency: USD", "stake (%): 12.5", "contract value: 2000000000",
                 "currency: EUR", "capacity (MW): 150", "accelerator: Kestrel K9", "role: chief scientist"):
        assert line in text, line
    assert "e+" not in text
    cloud = invoke("describe", "cloud", "--data", sheet).stdout
    assert "basis: voting rights" in cloud.lower()


def test_describe_says_the_same_in_memory_and_on_oxigraph(sheet, invoke):
    memory = invoke("describe", "lab", "--data", sheet, "--format", "json")
    store = invoke("describe", "lab", "--data", sheet, "--format", "json", "--store", "oxigraph")
    assert memory.exit_code == store.exit_code == 0
    assert json.loads(memory.stdout) == json.loads(store.stdout)
    qualities = [q for claim in json.loads(memory.stdout)["claims"] for q in claim["qualities"]]
    assert ["amount", "135000000000"] in qualities and ["contract value", "2000000000"] in qualities


def test_describe_in_the_library_agrees_with_the_store(sheet):
    from kg.io.load import load_graph

    graph = load_graph([sheet])
    store = OxigraphBackend()
    store.add_graph(graph)
    assert describe(store, "lab") == describe_entity(graph, "lab")


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_query_tables_print_money_exactly_on_every_backend(sheet, invoke, store):
    text = "SELECT ?amount ?value WHERE { OPTIONAL { ?i kg:amount ?amount } OPTIONAL { ?c kg:contractValue ?value } }"
    result = invoke("query", "-e", text, "--data", sheet, "--store", store)
    assert result.exit_code == 0, result.output
    assert "135000000000" in result.stdout and "2000000000" in result.stdout
    assert "e+" not in result.stdout and "135000000000.0" not in result.stdout
