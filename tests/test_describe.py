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


# --- an amount's qualifier (up to, about, at least) wherever the amount is read -------------------

QUALIFIED_RELATIONS = """subject,relation,object,start,status,source,amount,stake
lab,buys_compute_from,cloud,2024,reported,Gazette,up to $2B,
fund,invests_in,lab,2023,reported,Gazette,about €500M,
holding,invests_in,lab,2022,reported,Gazette,at least 10M GBP,
fund,invests_in,cloud,2021,reported,Gazette,$3M,
"""


@pytest.fixture
def qualified(sheet):
    (sheet / "relations.csv").write_text(QUALIFIED_RELATIONS, encoding="utf-8")
    return sheet


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_describe_says_an_amounts_qualifier_before_the_amount(qualified, invoke, store):
    result = invoke("describe", "lab", "--data", qualified, "--store", store)
    assert result.exit_code == 0, result.output
    claims = {block.splitlines()[0]: block.splitlines()[1:] for block in result.stdout.split("\n- ")[1:]}
    assert claims["Lab (fictional) buys compute from Cloud (fictional) (2024 – …)"][:3] == [
        "    amount qualifier: up to", "    contract value: 2000000000", "    currency: USD",
    ]
    assert claims["Fund (fictional) invests in Lab (fictional) (2023 – …)"][:3] == [
        "    amount qualifier: about", "    amount: 500000000", "    currency: EUR",
    ]
    assert claims["Holding (fictional) invests in Lab (fictional) (2022 – …)"][:3] == [
        "    amount qualifier: at least", "    amount: 10000000", "    currency: GBP",
    ]
    exact = invoke("describe", "fund", "--data", qualified, "--store", store).stdout.split("\n- ")
    (block,) = [block for block in exact if block.startswith("Fund (fictional) invests in Cloud (fictional)")]
    assert block.splitlines()[1:3] == ["    amount: 3000000", "    currency: USD"]  # an exact amount has no qualifier


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_describe_json_carries_the_qualifier_among_the_qualities(qualified, invoke, store):
    result = invoke("describe", "cloud", "--data", qualified, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    qualities = {claim["iri"].rsplit("/", 1)[1]: claim["qualities"] for claim in json.loads(result.stdout)["claims"]}
    assert qualities == {
        "lab-buys-compute-from-cloud": [["amount qualifier", "up to"], ["contract value", "2000000000"], ["currency", "USD"]],
        "fund-invests-in-cloud": [["amount", "3000000"], ["currency", "USD"]],
    }


def test_describe_records_have_an_amount_qualifier_column(qualified):
    from decimal import Decimal

    from kg import load_graph, to_records

    records = {record["claim"].rsplit("/", 1)[1]: record for record in to_records(describe(load_graph([qualified]), "lab"))}
    picked = {claim: (r["amount_qualifier"], r["amount"], r["contract_value"], r["currency"]) for claim, r in records.items()}
    assert picked == {
        "lab-buys-compute-from-cloud": ("up to", None, Decimal("2000000000"), "USD"),
        "fund-invests-in-lab": ("about", Decimal("500000000"), None, "EUR"),
        "holding-invests-in-lab": ("at least", Decimal("10000000"), None, "GBP"),
    }


def test_the_viz_tooltip_says_the_qualifier(qualified):
    import re

    from kg.io.load import load_graph
    from kg.render.viz import render_html

    html = render_html(load_graph([qualified]), conflicts=False)
    edges = json.loads(re.search(r"var edges = new vis\.DataSet\((.*?)\);\n", html).group(1))
    tooltip = next(edge["title"] for edge in edges if edge["id"] == "claim/lab-buys-compute-from-cloud").splitlines()
    at = tooltip.index("amount qualifier: up to")
    assert tooltip[at:at + 3] == ["amount qualifier: up to", "contract value: 2000000000", "currency: USD"]


def test_export_csv_keeps_the_qualifier_in_the_amount_cell(qualified, invoke, tmp_path):
    import csv
    from decimal import Decimal

    out = tmp_path / "out"
    result = invoke("export", "--format", "csv", "-o", out, "--data", qualified)
    assert result.exit_code == 0, result.output
    with open(out / "relations.csv", encoding="utf-8", newline="") as handle:
        amounts = {row["id"]: row["amount"].rpartition(" ") for row in csv.DictReader(handle) if row["amount"]}
    assert {claim: (words, Decimal(number)) for claim, (words, _, number) in amounts.items()} == {
        "lab-buys-compute-from-cloud": ("up to", Decimal("2000000000")),
        "fund-invests-in-lab": ("about", Decimal("500000000")),
        "holding-invests-in-lab": ("at least", Decimal("10000000")),
        "fund-invests-in-cloud": ("", Decimal("3000000")),
    }
