"""Spreadsheet ingest and CSV export (DESIGN section 5): what an analyst's sheet becomes, and back."""

from __future__ import annotations

import csv
import datetime
import io
import os
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from kg.vocab import STATUS_IRIS
from kg.errors import IngestError, InputError, KgWarning
from kg.io.sheets.model import ProblemCount, ontology_terms
from kg.io.text import plain_cell
from kg.io.sheets.read import ingest_folder
from kg.io.load import load_graph
from kg.vocab import CLAIM, DATA, KG
from kg.io.sheets.spec import AGENT_TYPES, RELATIONS, text_source_iri
from kg.io.sheets.write import export_sheets

from conftest import FIXTURES, REPO

EXAMPLE = REPO / "data" / "example-sheet"
CSV_FIXTURES = FIXTURES / "csv"
# A plain Namespace: pytest probes module attributes, and rdflib's closed XSD namespace warns on unknown ones.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")


def write_sheet(folder: Path, entities: str, relations: str | None = None, sources: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("entities.csv", entities), ("relations.csv", relations), ("sources.csv", sources)):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


ENTITIES = """id,name,type
lab,Lab (fictional),AILab
cloud,Cloud (fictional),CloudProvider
rival,Rival (fictional),AILab
fund,Fund (fictional),Investor;SovereignWealthFund
ann,Ann (fictional),Person
"""


def one_claim(graph: Graph, relation_class: URIRef) -> URIRef:
    claims = list(graph.subjects(RDF.type, relation_class))
    assert len(claims) == 1, claims
    return claims[0]


# --- the example folder and the CLI ----------------------------------------------------------

def test_example_sheet_gives_one_claim_per_row_each_with_a_source(invoke):
    graph = ingest_folder(EXAMPLE)
    rows = [r for r in csv.reader(io.StringIO((EXAMPLE / "relations.csv").read_text("utf-8"))) if r and not r[0].startswith("#")]
    claims = [c for cls in (ct for ct in {r.claim_type.cls for r in RELATIONS.values()}) for c in graph.subjects(RDF.type, cls)]
    assert len(claims) == len(rows) - 1  # minus the header
    for claim in claims:
        attestations = list(graph.objects(claim, KG.attestation))
        assert attestations, claim
        for att in attestations:
            assert (graph.value(att, KG.source), RDF.type, KG.Source) in graph
            assert graph.value(att, KG.status) in STATUS_IRIS.values()


def test_example_sheet_conforms_to_the_shapes(invoke):
    result = invoke("validate", "--data", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "Conforms" in result.stdout
    # The one row without a source cites the sheet; validate warns about it.
    assert "only source of this claim is a spreadsheet row" in result.stdout


def test_example_sheet_is_clearly_fictional():
    for name in ("entities.csv", "relations.csv", "sources.csv"):
        text = (EXAMPLE / name).read_text("utf-8")
        assert "fictional" in text.lower()
    graph = ingest_folder(EXAMPLE)
    for agent in {s for cls in AGENT_TYPES.values() for s in graph.subjects(RDF.type, cls)}:
        assert "(fictional)" in str(graph.value(agent, RDFS.label))


def test_data_folder_works_on_every_graph_command(invoke):
    result = invoke("describe", "max-orr", "--data", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "Max Orr (fictional) founded Vega AI (fictional)" in result.stdout


@pytest.mark.parametrize("suffix", [".ttl", ".nt", ".jsonld", ".nq", ".trig"])
def test_ingest_writes_the_same_bytes_twice_and_the_file_loads_to_the_same_graph(invoke, tmp_path, suffix):
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert invoke("ingest", EXAMPLE, "-o", first).exit_code == 0
    # Another process, another hash seed: set order must not leak into the output.
    subprocess.run(
        [sys.executable, "-c", "from kg.cli import main; main()", "ingest", str(EXAMPLE), "-o", str(second)],
        check=True, env={**os.environ, "PYTHONHASHSEED": "12345"}, capture_output=True, cwd=tmp_path,
    )
    assert first.read_bytes() == second.read_bytes()
    assert isomorphic(load_graph([first], include_ontology=False), ingest_folder(EXAMPLE))


def test_ingest_needs_an_output(invoke):
    result = invoke("ingest", EXAMPLE)
    assert result.exit_code == 2
    assert "-o FILE" in result.stderr


def test_every_command_help_has_an_example(invoke):
    for command in ("ingest", "export"):
        assert "Example:" in invoke(command, "--help").stdout


# --- one row, one claim ----------------------------------------------------------------------

def test_row_becomes_a_claim_with_roles_dates_money_and_provenance(tmp_path):
    folder = write_sheet(tmp_path / "s", ENTITIES, RELATION_SHEET_HEADER + (
        "lab,buys_compute_from,cloud,2024-05,2026,confirmed,https://example.org/deal,"
        "1000000,usd,,250,H100 (fictional),A note\n"
    ))
    graph = ingest_folder(folder)
    claim = one_claim(graph, KG.ComputeContract)
    assert claim == CLAIM["lab-buys-compute-from-cloud"]
    assert graph.value(claim, KG.customer) == DATA.lab
    assert graph.value(claim, KG.supplier) == DATA.cloud
    assert graph.value(claim, KG.startDate) == Literal("2024-05", datatype=XSD.gYearMonth)
    assert graph.value(claim, KG.endDate) == Literal("2026", datatype=XSD.gYear)
    assert graph.value(claim, KG.contractValue) == Literal("1000000.0", datatype=XSD.decimal)
    assert graph.value(claim, KG.currency) == Literal("USD")
    assert graph.value(claim, KG.capacityMW) == Literal("250.0", datatype=XSD.decimal)
    assert graph.value(claim, KG.accelerator) == Literal("H100 (fictional)")
    assert graph.value(claim, RDFS.comment) == Literal("A note", lang="en")
    att = graph.value(claim, KG.attestation)
    assert graph.value(att, KG.source) == URIRef("https://example.org/deal")
    assert graph.value(att, KG.status) == KG.Confirmed
    assert (URIRef("https://example.org/deal"), RDF.type, KG.Source) in graph


RELATION_SHEET_HEADER = "subject,relation,object,start,end,status,source,amount,currency,stake,capacity_mw,nature,note\n"


@pytest.mark.parametrize(
    "row, cls, checks",
    [
        ("cloud,subsidiary_of,fund,,,,,,,,,voting rights,", KG.Control,
         {KG.controller: DATA.fund, KG.controlledEntity: DATA.cloud, KG.controlBasis: KG.VotingRights}),
        ("lab,competes_with,rival,,,,,,,,,Market,", KG.Rivalry, {KG.partyA: DATA.lab, KG.rivalryKind: KG.MarketRivalry}),
        ("ann,feuds_with,lab,,,,,,,,,,", KG.Rivalry, {KG.partyB: DATA.lab, KG.rivalryKind: KG.PersonalRivalry}),
        ("ann,departed,lab,2023-06-30,,,,,,,,amicable,", KG.Departure,
         {KG.departureManner: KG.Amicable, KG.startDate: Literal("2023-06-30", datatype=XSD.date)}),
        ("ann,works_for,lab,,,,,,,,,Chief <i>Scientist</i>,", KG.Affiliation, {KG.roleTitle: Literal("Chief <i>Scientist</i>")}),
        ("fund,invests_in,lab,,,,,\"2,500,000\",EUR,12.50,,,", KG.Investment,
         {KG.amount: Literal("2500000.0", datatype=XSD.decimal), KG.stake: Literal("12.5", datatype=XSD.decimal)}),
        ("ann,founded,lab,2019,,,,,,,,,", KG.Founding, {KG.founder: DATA.ann, KG.foundedOrganization: DATA.lab}),
        # The two rows issue 15 found refused: a controlling stake, and a lawsuit as a feud.
        ("fund,controls,lab,2024,,reported,,,,51,,,", KG.Control,
         {KG.controller: DATA.fund, KG.shareExact: Literal("51.0", datatype=XSD.decimal)}),
        ("ann,feuds_with,lab,2024,,,,,,,,legal,", KG.Rivalry, {KG.partyA: DATA.ann, KG.rivalryKind: KG.LegalRivalry}),
        ("fund,owns,lab,,,,,,,>= 25 %,,voting rights,", KG.Ownership,
         {KG.owner: DATA.fund, KG.ownedEntity: DATA.lab, KG.shareMinimum: Literal("25.0", datatype=XSD.decimal),
          KG.interestType: KG.VotingRights}),
        ("fund,owns,lab,,,,,,,25-50%,,,", KG.Ownership,
         {KG.shareMinimum: Literal("25.0", datatype=XSD.decimal), KG.shareMaximum: Literal("50.0", datatype=XSD.decimal)}),
        ("ann,board_member_of,lab,2020,,,,,,,,Non-executive director,", KG.Affiliation,
         {KG.affiliationKind: KG.BoardSeat, KG.roleTitle: Literal("Non-executive director")}),
        ("ann,works_for,lab,,,,,,,,, cfo ,", KG.Affiliation, {KG.affiliationKind: KG.Officer, KG.roleTitle: Literal("cfo")}),
        ("ann,works_for,lab,,,,,,,,,Advisor,", KG.Affiliation, {KG.affiliationKind: KG.Advisor}),
        ("ann,works_for,lab,,,,,,,,,Chief Scientist,", KG.Affiliation, {KG.affiliationKind: KG.Employee}),
    ],
)
def test_relation_and_nature_map_to_the_ontology(tmp_path, row, cls, checks):
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES, RELATION_SHEET_HEADER + row + "\n"))
    claim = one_claim(graph, cls)
    for prop, value in checks.items():
        assert graph.value(claim, prop) == value, prop


def test_subsidiary_of_is_named_as_the_control_it_states(tmp_path):
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES, RELATION_SHEET_HEADER + "cloud,subsidiary_of,fund,,,,,,,,,,\n"))
    assert one_claim(graph, KG.Control) == CLAIM["fund-controls-cloud"]


def test_status_defaults_to_reported_and_is_read_in_any_case(tmp_path):
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES, RELATION_SHEET_HEADER + (
        "lab,competes_with,rival,,,,,,,,,,\nlab,competes_with,cloud,,,RUMORED,,,,,,,\n"
    )))
    assert graph.value(graph.value(CLAIM["lab-competes-with-rival"], KG.attestation), KG.status) == KG.Reported
    assert graph.value(graph.value(CLAIM["lab-competes-with-cloud"], KG.attestation), KG.status) == KG.Rumored


def test_a_row_without_source_cites_the_sheet_file_and_its_line(tmp_path):
    relations = RELATION_SHEET_HEADER + 'lab,competes_with,rival,,,,,,,,,,"two\nlines"\nlab,buys_compute_from,cloud,,,,,,,,,,\n'
    graph = ingest_folder(write_sheet(tmp_path / "my-sheet", ENTITIES, relations))
    att = graph.value(CLAIM["lab-buys-compute-from-cloud"], KG.attestation)
    assert graph.value(att, KG.sourceLine) == Literal(4, datatype=XSD.integer)  # the multi-line note takes lines 2-3
    source = graph.value(att, KG.source)
    assert source == text_source_iri("my-sheet/relations.csv")
    assert graph.value(source, DCTERMS.title) == Literal("my-sheet/relations.csv", lang="en")


def test_a_text_source_becomes_a_titled_source_and_sources_csv_adds_notes(tmp_path):
    relations = RELATION_SHEET_HEADER + (
        "lab,competes_with,rival,,,,Trade press (fictional),,,,,,\n"
        "lab,competes_with,cloud,,,,gazette,,,,,,\n"
    )
    sources = "id,title,note\ngazette,The Gazette (fictional),Made up for this test\n"
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES, relations, sources))
    titled = graph.value(graph.value(CLAIM["lab-competes-with-rival"], KG.attestation), KG.source)
    assert graph.value(titled, DCTERMS.title) == Literal("Trade press (fictional)", lang="en")
    declared = graph.value(graph.value(CLAIM["lab-competes-with-cloud"], KG.attestation), KG.source)
    assert declared == URIRef(str(DATA) + "source/gazette")
    assert graph.value(declared, RDFS.comment) == Literal("Made up for this test", lang="en")


def test_repeated_rows_get_stable_suffixes_and_a_shared_id_adds_attestations(tmp_path):
    relations = "id," + RELATION_SHEET_HEADER + (
        ",fund,invests_in,lab,2023,,,,,,,,,\n"
        ",fund,invests_in,lab,2024,,,,,,,,,\n"
        "deal,lab,buys_compute_from,cloud,,,confirmed,https://example.org/a,,,,,,\n"
        "deal,lab,buys_compute_from,cloud,,,rumored,https://example.org/b,,,,,,\n"
    )
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES, relations))
    assert graph.value(CLAIM["fund-invests-in-lab"], KG.startDate) == Literal("2023", datatype=XSD.gYear)
    assert graph.value(CLAIM["fund-invests-in-lab-2"], KG.startDate) == Literal("2024", datatype=XSD.gYear)
    statuses = {graph.value(att, KG.status) for att in graph.objects(CLAIM.deal, KG.attestation)}
    assert statuses == {KG.Confirmed, KG.Rumored}


def test_entity_columns_map_to_labels_and_facts(tmp_path):
    entities = "id,name,type,description,founded,country,homepage\n" \
               "lab,Lab (fictional),AILab; Investor,Made up,2019-03,Ruritania,https://example.org/lab\n"
    graph = ingest_folder(write_sheet(tmp_path / "s", entities))
    lab = DATA.lab
    assert set(graph.objects(lab, RDF.type)) == {KG.AILab, KG.Investor}
    assert graph.value(lab, RDFS.label) == Literal("Lab (fictional)")
    assert graph.value(lab, DCTERMS.description) == Literal("Made up", lang="en")
    assert graph.value(lab, KG.foundingDate) == Literal("2019-03", datatype=XSD.gYearMonth)
    assert graph.value(lab, KG.country) == Literal("Ruritania")
    assert graph.value(lab, KG.homepage) == URIRef("https://example.org/lab")


def test_role_ranges_come_from_the_ontology():
    ranges, supers, _, _ = ontology_terms()
    assert ranges[KG.customer] == KG.Organization
    assert ranges[KG.affiliate] == KG.Person
    for cls in AGENT_TYPES.values():
        assert KG.Agent in supers[cls], cls


# --- real spreadsheets -----------------------------------------------------------------------

def test_messy_spreadsheet_is_read_as_written(invoke, tmp_path):
    folder = CSV_FIXTURES / "messy"
    raw = (folder / "entities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the fixture kept its BOM and CRLF
    output = tmp_path / "messy.ttl"
    result = invoke("ingest", folder, "-o", output)
    assert result.exit_code == 0, result.output
    assert "Warning: " in result.stderr and "'colour'" in result.stderr and "'comment'" in result.stderr
    graph = load_graph([output], include_ontology=False)
    assert graph.value(DATA["lab-1"], RDFS.label) == Literal('Ünïcødé Lab, "the" <b>bold</b> one (fictional)')
    assert graph.value(DATA["cloud-1"], RDFS.label) == Literal("<script>alert('x')</script> Cloud (fictional)")
    assert graph.value(DATA["person-1"], RDFS.label) == Literal("李 小龙 (fictional)")
    assert set(graph.objects(DATA["lab-1"], RDF.type)) == {KG.AILab, KG.Investor}
    assert graph.value(DATA["lab-1"], DCTERMS.description) == Literal(
        "A made-up lab.\nIts description spans two lines, with a comma.", lang="en"
    )
    assert graph.value(DATA["cloud-1"], DCTERMS.description) == Literal("padded description", lang="en")
    contract = CLAIM["lab-1-buys-compute-from-cloud-1"]
    assert graph.value(contract, RDFS.comment) == Literal('Line one,\nline "two"', lang="en")
    assert graph.value(graph.value(contract, KG.attestation), KG.sourceLine) == Literal(2, datatype=XSD.integer)
    works = graph.value(CLAIM["person-1-works-for-lab-1"], KG.attestation)
    assert graph.value(works, KG.source) == URIRef("https://example.org/fictional/a?b=c&d=e")
    assert graph.value(works, KG.status) == KG.Reported  # a blank status cell is the default
    assert len(set(graph.subjects(RDF.type, KG.Attestation))) == 2  # comment and empty rows made nothing


def test_unknown_columns_are_ignored_with_a_warning(tmp_path):
    folder = write_sheet(tmp_path / "s", "id,name,type,colour\nlab,Lab (fictional),AILab,teal\n")
    with pytest.warns(KgWarning, match="ignoring unknown column 'colour'"):
        graph = ingest_folder(folder)
    assert not any("teal" in str(o) for o in graph.objects())


# --- bad rows ----------------------------------------------------------------------------------

BAD_SHEET_PROBLEMS = [
    ("entities.csv", 3, 1, "duplicate id", "acme"),
    ("entities.csv", 4, 3, "unknown entity type", "Persn"),
    ("entities.csv", 7, 5, "check digits of the LEI 999900EXAMPLELAB0086 are wrong", "lei:999900EXAMPLELAB0086"),
    ("entities.csv", 8, 5, "unknown identifier scheme 'duns'", "duns:123456789"),
    ("sources.csv", 1, 3, "missing required column", "id"),
    ("relations.csv", 4, 2, "unknown relation", "acquires"),
    ("relations.csv", 5, 3, "unknown id", "nobody"),
    ("relations.csv", 6, 4, "not a date", "2024-13"),
    ("relations.csv", 7, 8, "must not be negative", "-5"),
    ("relations.csv", 8, 10, "a share is a percentage from 0 to 100", "150"),
    ("relations.csv", 9, 6, "unknown status", "maybe"),
    ("relations.csv", 10, 9, "three-letter", "US Dollars"),
    ("relations.csv", 11, 1, "a Person cannot be the customer of buys_compute_from", "carol"),
    ("relations.csv", 12, 10, "the range's minimum 50 is above its maximum 25", "50-25"),
    ("relations.csv", 13, 10, "not a share; expected a number (51, 12.5), a range (25-50)", "25-"),
    ("relations.csv", 14, 14, "unknown stage", "signed"),
]


def test_every_bad_cell_is_reported_with_file_line_column_and_value_and_nothing_is_written(invoke, tmp_path):
    output = tmp_path / "out.ttl"
    output.write_text("previous content")
    result = invoke("ingest", CSV_FIXTURES / "bad", "-o", output)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD_SHEET_PROBLEMS)
    for (name, line, column, message, value), printed in zip(BAD_SHEET_PROBLEMS, lines):
        prefix = f"Error: {CSV_FIXTURES / 'bad' / name}:{line}:{column}: "
        assert printed.startswith(prefix), printed
        assert message in printed and printed.endswith(f"({value})"), printed
    assert output.read_text() == "previous content"
    assert list(tmp_path.iterdir()) == [output]


def test_data_folder_with_bad_rows_stops_every_command(invoke):
    result = invoke("stats", "--data", CSV_FIXTURES / "bad")
    assert result.exit_code == 2
    assert result.stderr.count("Error: ") == len(BAD_SHEET_PROBLEMS)


@pytest.mark.parametrize(
    "relations, column, message, value",
    [
        ("subject,relation\nlab,competes_with\n", 3, "missing required column", "object"),
        (RELATION_SHEET_HEADER + "lab,competes_with,rival,2024-02-30,,,,,,,,,\n", 4, "not a date", "2024-02-30"),
        (RELATION_SHEET_HEADER + "lab,competes_with,rival,2024,2023,,,,,,,,\n", 5, "before the start", "2023"),
        (RELATION_SHEET_HEADER + "lab,competes_with,rival,,,,,,,,,friendly,\n", 12, "unknown nature", "friendly"),
        (RELATION_SHEET_HEADER + "lab,competes_with,rival,,,,,5,,,,,\n", 8, "applies only to", "5"),
        (RELATION_SHEET_HEADER + "lab,competes_with,lab,,,,,,,,,,\n", 3, "same entity", "lab"),
        (RELATION_SHEET_HEADER + "lab,works_for,cloud,,,,,,,,,,\n", 1, "must be a kg person", "lab"),
        (RELATION_SHEET_HEADER + "fund,invests_in,lab,,,,,ten,,,,,\n", 8, "not an amount", "ten"),
        (RELATION_SHEET_HEADER + "fund,invests_in,lab,,,,,,,-1,,,\n", 10, "a share is a percentage from 0 to 100", "-1"),
        (RELATION_SHEET_HEADER + "fund,invests_in,lab,,,,https://exa mple.org,,,,,,\n", 7, "not a valid URL", "https://exa mple.org"),
        (RELATION_SHEET_HEADER + "fund,invests_in,lab,,,,,,,,,,,oops\n", 14, "beyond the last column", "oops"),
    ],
)
def test_each_kind_of_bad_relation_cell_is_located(tmp_path, relations, column, message, value):
    with pytest.raises(IngestError) as caught:
        ingest_folder(write_sheet(tmp_path / "s", ENTITIES, relations))
    problems = caught.value.problems
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.column, problem.value) == (column, value)
    assert message in problem.message
    assert problem.line == (1 if "required" in message else 2)


def test_rows_sharing_an_id_must_state_the_same_claim(tmp_path):
    relations = "id," + RELATION_SHEET_HEADER + "x,lab,competes_with,rival,,,,,,,,,,\nx,lab,competes_with,cloud,,,,,,,,,,\n"
    with pytest.raises(IngestError, match=r"relations.csv:3:1: claim id used on line 2 for a different claim"):
        ingest_folder(write_sheet(tmp_path / "s", ENTITIES, relations))


def test_an_entity_cannot_be_a_person_and_an_organization(tmp_path):
    with pytest.raises(IngestError, match="both a person and an organization"):
        ingest_folder(write_sheet(tmp_path / "s", "id,name,type\nx,X (fictional),Person;AILab\n"))


def test_a_sheet_that_is_not_utf8_is_reported(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "entities.csv").write_bytes("id,name,type\nx,Zoë,Person\n".encode("latin-1"))
    with pytest.raises(IngestError, match=r"entities.csv:2:1: not UTF-8 text"):
        ingest_folder(folder)


def bad_rows(count: int) -> str:
    """relations.csv rows with three bad cells each (an unknown relation and two unknown ids)."""
    return RELATION_SHEET_HEADER + "".join(f"x{n},flies_to,y{n},,,,,,,,,,\n" for n in range(count))


def test_a_sheet_of_many_bad_rows_lists_the_first_ten_of_each_kind_and_counts_the_rest(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s", ENTITIES, bad_rows(5_000))
    with pytest.raises(IngestError) as caught:
        ingest_folder(folder)
    listed = [p for p in caught.value.problems if not isinstance(p, ProblemCount)]
    counts = [p for p in caught.value.problems if isinstance(p, ProblemCount)]
    assert [p.line for p in listed if p.column == 2] == list(range(2, 12))  # the first ten, in file order
    assert len(listed) == 30
    assert sorted((p.column, p.count) for p in counts) == [(1, 4_990), (2, 4_990), (3, 4_990)]
    result = invoke("stats", "--data", folder)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 33 and all(line.startswith("Error: ") for line in lines)
    assert 'relations.csv: 4,990 more like "unknown id; not in entities.csv" (column 3), not listed' in lines[-1]


def peak_memory_of_ingest(folder: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(IngestError):
            ingest_folder(folder)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_bad_rows(tmp_path):
    ontology_terms()  # read once, outside the measurement
    small = peak_memory_of_ingest(write_sheet(tmp_path / "small", ENTITIES, bad_rows(2_000)))
    large = peak_memory_of_ingest(write_sheet(tmp_path / "large", ENTITIES, bad_rows(20_000)))
    # Before, every bad row and its problems stayed in memory: about 2 kB a row, 36 MB more here.
    assert large - small < 1_000_000, (small, large)


def test_a_bad_cell_is_shown_escaped_on_its_error_line(invoke, tmp_path):
    relations = RELATION_SHEET_HEADER + "lab,competes_with,rival,,,maybe\x1b[2J\x1b]0;x\x07,,,,,,,\n"
    result = invoke("stats", "--data", write_sheet(tmp_path / "s", ENTITIES, relations))
    assert result.exit_code == 2
    assert result.stderr == "Error: " + str(tmp_path / "s" / "relations.csv") + ":2:6: unknown status; expected one of " \
        "denied, rumored, reported, confirmed (maybe\\x1b[2J\\x1b]0;x\\x07)\n"


def test_csv_export_neutralises_formulas_and_ingest_reads_them_back(tmp_path):
    graph = ingest_folder(write_sheet(tmp_path / "s", ENTITIES))
    names = ["=HYPERLINK(\"http://evil.example\")", "+1", "-1", "@SUM(A1)", "'=starts with a quote"]
    for entity_id, name in zip(["lab", "cloud", "rival", "fund", "ann"], names):
        graph.set((DATA[entity_id], RDFS.label, Literal(name)))
    export_sheets(graph, tmp_path / "out")
    cells = [row[1] for row in csv.reader(io.StringIO((tmp_path / "out" / "entities.csv").read_text("utf-8")))][1:]
    assert sorted(cells) == sorted(["'" + name for name in names])
    assert isomorphic(ingest_folder(tmp_path / "out"), graph)


def test_a_quote_before_a_formula_character_is_not_part_of_the_value(tmp_path):
    graph = ingest_folder(write_sheet(tmp_path / "s", "id,name,type\nlab,'=1+1,AILab\nrival,'s-Hertogenbosch Lab,AILab\n"))
    assert graph.value(DATA.lab, RDFS.label) == Literal("=1+1")
    assert graph.value(DATA.rival, RDFS.label) == Literal("'s-Hertogenbosch Lab")


# --- template --------------------------------------------------------------------------------

def test_template_writes_headers_and_a_commented_example_that_ingest_skips(invoke, tmp_path):
    folder = tmp_path / "new-sheet"
    result = invoke("ingest", "--template", folder)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader((folder / "relations.csv").open(encoding="utf-8", newline="")))
    assert {"subject", "relation", "object", "source", "nature"} <= set(rows[0])
    assert len(rows) > 1 and all(row[0].startswith("#") for row in rows[1:])
    assert len(ingest_folder(folder)) == 0
    # Uncommenting the example rows gives a valid sheet.
    for name in ("entities.csv", "relations.csv", "sources.csv"):
        text = (folder / name).read_text("utf-8")
        (folder / name).write_text(text.replace("\n# ", "\n"), encoding="utf-8")
    (folder / "entities.csv").write_text(
        (folder / "entities.csv").read_text("utf-8")
        + "example-cloud,Example Cloud (fictional),CloudProvider\n"
        + "example-fund,Example Fund (fictional),Investor\n"
        + "example-person,Example Person (fictional),Person\n",
        encoding="utf-8",
    )
    graph = ingest_folder(folder)
    assert len(list(graph.subjects(RDF.type, KG.ComputeContract))) == 1
    (ownership,) = graph.subjects(RDF.type, KG.Ownership)
    assert (graph.value(ownership, KG.shareMinimum).toPython(), graph.value(ownership, KG.shareMaximum).toPython()) == (Decimal(25), Decimal(50))
    (seat,) = graph.subjects(KG.affiliationKind, KG.BoardSeat)
    assert graph.value(seat, KG.stage) is None
    assert len(list(ingest_folder(folder).subjects(RDF.type, KG.ComputeContract))) == 1


def test_template_never_overwrites_a_sheet(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s", ENTITIES)
    result = invoke("ingest", "--template", folder)
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert (folder / "entities.csv").read_text("utf-8") == ENTITIES


# --- export to CSV and back ------------------------------------------------------------------

def test_bundled_data_round_trips_through_csv(invoke, tmp_path, bundled_data_only):
    folder = tmp_path / "sheet"
    result = invoke("export", "--format", "csv", "-o", folder)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [".kg-manifest", "entities.csv", "relations.csv", "sources.csv"]
    assert isomorphic(ingest_folder(folder), bundled_data_only)


def test_example_sheet_round_trips_through_export(tmp_path):
    original = ingest_folder(EXAMPLE)
    export_sheets(original, tmp_path / "copy")
    assert isomorphic(ingest_folder(tmp_path / "copy"), original)


def test_conflicts_on_the_csv_export_match_the_turtle(tmp_path, bundled_graph):
    from kg.conflicts import engine as conflicts

    export_sheets(load_graph(include_ontology=False), tmp_path / "sheet")
    from_csv = load_graph([tmp_path / "sheet"])
    for as_of in ("2020-01-01", "2026-06-01"):
        expected = [f.to_dict() for f in conflicts.find_conflicts(bundled_graph, as_of=as_of)]
        assert [f.to_dict() for f in conflicts.find_conflicts(from_csv, as_of=as_of)] == expected
    assert expected  # the bundled data has findings, so the comparison means something


def test_conflicts_command_on_a_sheet_folder(invoke, tmp_path):
    export_sheets(load_graph(include_ontology=False), tmp_path / "sheet")
    from_sheet = invoke("conflicts", "--data", tmp_path / "sheet", "--as-of", "2026-01-01", "--format", "json")
    from_turtle = invoke("conflicts", "--as-of", "2026-01-01", "--format", "json")
    assert from_sheet.exit_code == from_turtle.exit_code == 0
    assert from_sheet.stdout == from_turtle.stdout


def test_export_replaces_the_files_whole_or_not_at_all(tmp_path, monkeypatch):
    folder = tmp_path / "sheet"
    export_sheets(ingest_folder(EXAMPLE), folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_fdopen = __import__("os").fdopen
    calls = []

    def failing_fdopen(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the last file fails, after two were written
            raise OSError("disk full")
        return real_fdopen(*args, **kwargs)

    monkeypatch.setattr("kg.io.atomic.os.fdopen", failing_fdopen)
    with pytest.raises(InputError, match="disk full"):
        export_sheets(load_graph(include_ontology=False), folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temporary file left either


def test_export_warns_about_what_csv_cannot_hold(tmp_path):
    graph = ingest_folder(EXAMPLE)
    graph.add((CLAIM["atlas-holdings-controls-orion-cloud"], KG.direct, Literal(True)))
    with pytest.warns(KgWarning, match="kg:direct"):
        export_sheets(graph, tmp_path / "sheet")


# --- generated sheets, hostile strings ---------------------------------------------------------

HOSTILE = st.sampled_from(["=", "+", "-", "@", "'", '"', ",", "\n", "\r\n", "\r", "<script>alert(1)</script>", "'; DROP TABLE x; --", ";", "#", "\t", " ", "é", "李", "🚀", "&amp;", "\u200b"])
TEXT = st.lists(st.one_of(HOSTILE, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)), max_size=6).map("".join)
NAME = st.tuples(TEXT, st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), TEXT).map("".join)
IDS = st.from_regex(r"[a-z][a-z0-9_.-]{0,6}", fullmatch=True)
DATES = st.one_of(
    st.integers(1990, 2030).map(str),
    st.tuples(st.integers(1990, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
    st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31)).map(lambda d: d.isoformat()),
)
NUMBERS = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False).map(str)

#: Which entity kinds each relation takes as (subject, object): "p" person, "o" organization, "a" either.
KINDS = {"founded": "ao", "controls": "ao", "subsidiary_of": "oa", "invests_in": "ao", "buys_compute_from": "oo",
         "competes_with": "aa", "feuds_with": "aa", "works_for": "po", "departed": "ao"}
NATURE_VALUES = {"controls": ["", "shareholding", "other_influence"], "subsidiary_of": ["", "voting_rights"],
                 "competes_with": ["", "market"], "feuds_with": ["", "personal", "legal"], "departed": ["", "amicable", "acrimonious"]}


@st.composite
def sheets(draw):
    ids = draw(st.lists(IDS, min_size=3, max_size=8, unique=True))
    kinds = {entity_id: ("p" if i == 0 else "o" if i < 3 else draw(st.sampled_from("po"))) for i, entity_id in enumerate(ids)}
    org_types = [t for t in AGENT_TYPES if t != "Person"]
    entities = [
        {"id": entity_id, "name": draw(NAME),
         "type": "Person" if kind == "p" else ";".join(draw(st.lists(st.sampled_from(org_types), min_size=1, max_size=3, unique=True))),
         "description": draw(TEXT), "country": draw(TEXT),
         "founded": draw(st.one_of(st.just(""), DATES)) if kind == "o" else ""}
        for entity_id, kind in kinds.items()
    ]
    source_ids = draw(st.lists(IDS, max_size=2, unique=True))
    sources = [{"id": sid, "title": draw(TEXT), "note": draw(TEXT)} for sid in source_ids]
    relations = []
    for _ in range(draw(st.integers(0, 8))):
        relation = draw(st.sampled_from(sorted(KINDS)))
        pick = lambda kind: [i for i, k in kinds.items() if kind == "a" or k == kind]
        subject = draw(st.sampled_from(pick(KINDS[relation][0])))
        obj = draw(st.sampled_from([i for i in pick(KINDS[relation][1]) if i != subject]))
        start = draw(st.one_of(st.just(""), DATES))
        row = {"subject": subject, "relation": relation, "object": obj, "start": start,
               "end": (str(int(start[:4]) + draw(st.integers(1, 5))) if start and draw(st.booleans()) else ""),
               "status": draw(st.sampled_from(["", "rumored", "Reported", "confirmed", "denied"])),
               "source": draw(st.one_of(st.just(""), st.sampled_from(source_ids or [""]), TEXT.filter(lambda s: not s.strip().lower().startswith("http")),
                                        st.just("https://example.org/x?a=1&b=2"))),
               "note": draw(TEXT), "nature": draw(st.sampled_from(NATURE_VALUES.get(relation, [""])))}
        if relation == "works_for":
            row["nature"] = draw(TEXT)
        if relation in ("invests_in", "buys_compute_from") and draw(st.booleans()):
            row["amount"], row["currency"] = draw(NUMBERS), draw(st.sampled_from(["USD", "eur", ""]))
        if relation == "invests_in":
            row["stake"] = draw(st.one_of(st.just(""), st.decimals(0, 100, places=1).map(str)))
        if relation == "buys_compute_from":
            row["capacity_mw"] = draw(st.one_of(st.just(""), NUMBERS))
        relations.append(row)
    style = draw(st.fixed_dictionaries({"bom": st.booleans(), "crlf": st.booleans(), "quote_all": st.booleans(),
                                        "extra": st.booleans(), "trailing": st.integers(0, 2)}))
    return entities, sources, relations, style


def write_generated(folder: Path, rows: list[dict], name: str, style: dict, required: tuple[str, ...]) -> None:
    """Write rows as a spreadsheet might: columns in any order (the id first), quoting and line ends as ``style`` says."""
    columns = sorted({key for row in rows for key in row} | set(required))
    first = required[0]
    columns.remove(first)
    columns = [first, *columns] + (["remarks"] if style["extra"] else [])
    buffer = io.StringIO(newline="")
    terminator = "\r\n" if style["crlf"] else "\n"
    writer = csv.writer(buffer, lineterminator=terminator, quoting=csv.QUOTE_ALL if style["quote_all"] else csv.QUOTE_MINIMAL)
    # Python quotes only the line-end characters of its own terminator; a spreadsheet quotes any.
    quoting_writer = csv.writer(buffer, lineterminator=terminator, quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        cells = [row.get(column, "x" if column == "remarks" else "") for column in columns]
        (quoting_writer if any("\r" in cell for cell in cells) else writer).writerow(cells)
    for _ in range(style["trailing"]):
        writer.writerow([""] * len(columns))
    (folder / name).write_bytes(("\ufeff" if style["bom"] else "").encode("utf-8") + buffer.getvalue().encode("utf-8"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sheets())
def test_generated_sheets_round_trip_through_export(tmp_path_factory, sheet):
    entities, sources, relations, style = sheet
    folder = tmp_path_factory.mktemp("generated")
    write_generated(folder, entities, "entities.csv", style, ("id", "name", "type"))
    write_generated(folder, sources, "sources.csv", style, ("id",))
    write_generated(folder, relations, "relations.csv", style, ("subject", "relation", "object"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        first = ingest_folder(folder)
        export_sheets(first, folder / "exported")
        second = ingest_folder(folder / "exported")
    assert isomorphic(first, second)
    for entity in entities:  # names stay exactly as written, minus the blanks around them
        written = entity["name"].replace("\r\n", "\n").replace("\r", "\n").strip()
        assert first.value(DATA[entity["id"]], RDFS.label) == Literal(plain_cell(written))
    claims = {c for cls in {r.claim_type.cls for r in RELATIONS.values()} for c in first.subjects(RDF.type, cls)}
    assert len(claims) == len(relations)


@pytest.mark.parametrize("homepage", ["https://example.org/\x01a", "https://example.org/\x7f", "https://exa mple.org", 'https://x.org/"'])
def test_a_homepage_no_store_can_hold_is_a_bad_cell(tmp_path, homepage):
    with pytest.raises(IngestError) as caught:
        ingest_folder(write_sheet(tmp_path / "s", f'id,name,type,homepage\nlab,Lab,AILab,"{homepage}"\n'))
    assert [(p.line, p.column) for p in caught.value.problems] == [(2, 4)]
    assert "not a URL" in caught.value.problems[0].message


@pytest.mark.parametrize("founded", ["2019-01-01T10:00", "2019-01-01 10:00"])
def test_a_date_with_a_time_is_a_bad_cell_not_a_crash(invoke, tmp_path, founded):
    folder = write_sheet(tmp_path / "s", f"id,name,type,founded\nlab,Lab (fictional),AILab,{founded}\n")
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {folder / 'entities.csv'}:2:4: not a date (YYYY, YYYY-MM or YYYY-MM-DD) ({founded})\n"


# --- the summary line -------------------------------------------------------------------------

def test_a_successful_ingest_says_what_it_read(invoke, tmp_path):
    result = invoke("ingest", EXAMPLE, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 0, result.output
    graph = ingest_folder(EXAMPLE)
    entities = len({s for t in AGENT_TYPES.values() for s in graph.subjects(RDF.type, t)})
    claims = len({s for t in (KG.Founding, KG.Control, KG.Investment, KG.Ownership, KG.ComputeContract,
                              KG.Rivalry, KG.Affiliation, KG.Departure) for s in graph.subjects(RDF.type, t)})
    sources = len(set(graph.subjects(RDF.type, KG.Source)))
    assert entities and claims and sources
    assert f"Read {entities} entities, {claims} claims, {sources} sources (0 warnings) from {EXAMPLE}\n" in result.stderr


def test_the_summary_line_counts_the_warnings(invoke, tmp_path):
    relations = ("subject,relation,object,stake,source,colour\n"
                 "fund,owns,cloud,0.49,Reuters,red\n")
    folder = write_sheet(tmp_path / "s", ENTITIES, relations)
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning: ") == 2  # the unknown column, the stake below 1 without %
    assert f"Read 5 entities, 1 claim, 1 source (2 warnings) from {folder}\n" in result.stderr


def test_the_summary_line_says_one_of_each_in_the_singular(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s", "id,name,type,colour\nlab,Lab (fictional),AILab,red\n")
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 0, result.output
    assert f"Read 1 entity, 0 claims, 0 sources (1 warning) from {folder}\n" in result.stderr


def test_ingest_help_says_it_reads_sheet_folders_workbooks_and_register_files(invoke):
    result = invoke("ingest", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert " ingest [OPTIONS] INPUT " in text
    assert ("INPUT is a sheet folder (entities.csv, relations.csv, sources.csv), an .xlsx workbook, "
            "or a BODS 0.4, FollowTheMoney or GLEIF file (see --format).") in text


def test_a_failed_ingest_has_no_summary_line(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s", ENTITIES, "subject,relation,object\nlab,invest_in,cloud\n")
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 2 and "Read " not in result.stderr


@pytest.mark.parametrize("written, meant", [
    ("Persn", "Person"), ("AI Lab", "AILab"), ("cloud-provider", "CloudProvider"), ("Organisation", "Organization"),
    ("Chip Maker", "ChipMaker"), ("Sovereign Wealth Fund", "SovereignWealthFund"),
])
def test_an_unknown_entity_type_suggests_the_closest_kg_type(tmp_path, written, meant):
    with pytest.raises(IngestError) as caught:
        ingest_folder(write_sheet(tmp_path / "s", f"id,name,type\nx,X (fictional),{written}\n"))
    (problem,) = caught.value.problems
    assert problem.message.startswith(f"unknown entity type (did you mean {meant}?); expected one or more of ")
    assert (problem.line, problem.column, problem.value) == (2, 3, written)


def test_an_entity_type_like_no_kg_type_gets_no_suggestion(tmp_path):
    with pytest.raises(IngestError) as caught:
        ingest_folder(write_sheet(tmp_path / "s", "id,name,type\nx,X (fictional),Zebra\n"))
    (problem,) = caught.value.problems
    assert problem.message.startswith("unknown entity type; expected one or more of Person, ")
