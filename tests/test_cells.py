"""Cells as analysts write them: money with symbols and magnitudes, GW, ~27%, H2 2026, several sources."""

from __future__ import annotations

import csv
import datetime
import io
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Literal, Namespace
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from kg.errors import IngestError, KgWarning
from kg.io.sheets.cells import (
    AMOUNT_FORMS,
    CAPACITY_FORMS,
    PERIOD_FORMS,
    Amount,
    CellError,
    parse_amount,
    parse_capacity,
    parse_period,
)
from kg.io.sheets.read import ingest_folder
from kg.io.sheets.spec import text_source_iri
from kg.io.sheets.write import export_sheets
from kg.vocab import KG

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

DRAFT_ENTITIES = """id,name,type
microsoft,Microsoft (fictional),CloudProvider;Investor
openlab,OpenLab (fictional),AILab
euro-fund,Euro Fund (fictional),Investor
gridco,GridCo (fictional),CloudProvider
"""
DRAFT_HEADER = "subject,relation,object,start,end,status,source,amount,currency,stake,capacity_mw,note\n"


def ingest(tmp_path: Path, relations: str, entities: str = DRAFT_ENTITIES):
    folder = tmp_path / "sheet"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.csv").write_text(entities, encoding="utf-8")
    (folder / "relations.csv").write_text(DRAFT_HEADER + relations, encoding="utf-8")
    return ingest_folder(folder)


def the_claim(graph, cls):
    (claim,) = graph.subjects(RDF.type, cls)
    return claim


@pytest.mark.parametrize(
    "cell, amount",
    [
        ("$1B", Amount(Decimal("1000000000"), "USD", None)),
        ("up to $5B", Amount(Decimal("5000000000"), "USD", "upTo")),
        ("€15M", Amount(Decimal("15000000"), "EUR", None)),
        ("USD 2,000,000", Amount(Decimal("2000000"), "USD", None)),
        ("1.5bn", Amount(Decimal("1500000000"), None, None)),
        ("3.2 trillion", Amount(Decimal("3200000000000"), None, None)),
        ("about £300 million", Amount(Decimal("300000000"), "GBP", "about")),
        ("~$2B", Amount(Decimal("2000000000"), "USD", "about")),
        ("at least 10 EUR", Amount(Decimal("10"), "EUR", "atLeast")),
        ("15M eur", Amount(Decimal("15000000"), "EUR", None)),
        ("1500000", Amount(Decimal("1500000"), None, None)),
    ],
)
def test_amount_cells_become_value_currency_and_qualifier(cell, amount):
    assert parse_amount(cell) == amount


@pytest.mark.parametrize("cell", ["1,5bn", "1.000.000", "$1B-2B", "$ USD 5", "five million", "5 dollars", "$"])
def test_ambiguous_amounts_are_errors_listing_the_accepted_forms(cell):
    with pytest.raises(CellError) as caught:
        parse_amount(cell)
    assert AMOUNT_FORMS in str(caught.value)


@pytest.mark.parametrize("cell, mw", [("1 GW", "1000"), ("1.5GW", "1500"), ("500 MW", "500"), ("500", "500"), ("2,000 mw", "2000")])
def test_capacity_in_mw_or_gw_becomes_megawatts(cell, mw):
    assert parse_capacity(cell) == Decimal(mw)


@pytest.mark.parametrize("cell", ["1 kW", "1 GWh", "a lot"])
def test_other_capacity_units_are_errors_listing_the_accepted_forms(cell):
    with pytest.raises(CellError, match="MW or GW"):
        parse_capacity(cell)
    assert CAPACITY_FORMS


@pytest.mark.parametrize(
    "cell, start, end",
    [("2026-H2", "2026-07", "2026-12"), ("H2 2026", "2026-07", "2026-12"), ("H1 2025", "2025-01", "2025-06"),
     ("2026-Q3", "2026-07", "2026-09"), ("Q1 2025", "2025-01", "2025-03"), ("2024 Q4", "2024-10", "2024-12")],
)
def test_half_years_and_quarters_are_their_first_month_as_a_start_and_last_as_an_end(cell, start, end):
    assert (parse_period(cell, end=False), parse_period(cell, end=True)) == (start, end)


def test_a_half_or_quarter_that_does_not_exist_is_an_error_listing_the_forms():
    for cell in ("2026-H3", "Q5 2026"):
        with pytest.raises(CellError) as caught:
            parse_period(cell, end=False)
        assert PERIOD_FORMS in str(caught.value)


def test_the_analysts_draft_ingests_with_every_cell_converted(tmp_path):
    draft = (
        'microsoft,invests_in,openlab,2023-01,,reported,Financial Times; Reuters,$1B,,49%,,\n'
        'euro-fund,invests_in,openlab,H2 2026,,reported,,up to €15M,,~27%,,round two\n'
        'openlab,buys_compute_from,gridco,2026-Q3,2027-H1,reported,https://example.org/a; https://example.org/b,1.5bn,USD,,1 GW,\n'
        'microsoft,owns,gridco,,,reported,,,,3.2 trillion,,\n'
    ).replace("3.2 trillion,,", ",,")  # owns takes no amount
    graph = ingest(tmp_path, draft)
    investments = {graph.value(c, KG.investor): c for c in graph.subjects(RDF.type, KG.Investment)}
    ms = investments[next(a for a in investments if str(a).endswith("microsoft"))]
    assert graph.value(ms, KG.amount) == Literal("1000000000.0", datatype=XSD.decimal)
    assert graph.value(ms, KG.currency) == Literal("USD")
    assert graph.value(ms, KG.stake) == Literal("49.0", datatype=XSD.decimal)
    assert graph.value(ms, KG.amountQualifier) is None
    sources = {graph.value(att, KG.source) for att in graph.objects(ms, KG.attestation)}
    assert sources == {text_source_iri("Financial Times"), text_source_iri("Reuters")}
    assert {str(graph.value(s, DCTERMS.title)) for s in sources} == {"Financial Times", "Reuters"}
    assert {graph.value(att, KG.status) for att in graph.objects(ms, KG.attestation)} == {KG.Reported}

    fund = investments[next(a for a in investments if str(a).endswith("euro-fund"))]
    assert graph.value(fund, KG.amount) == Literal("15000000.0", datatype=XSD.decimal)
    assert (graph.value(fund, KG.currency), graph.value(fund, KG.amountQualifier)) == (Literal("EUR"), Literal("upTo"))
    assert graph.value(fund, KG.stake) == Literal("27.0", datatype=XSD.decimal)
    assert graph.value(fund, KG.startDate) == Literal("2026-07", datatype=XSD.gYearMonth)
    assert str(graph.value(fund, RDFS.comment)) == "round two (start as written: H2 2026; stake as written: ~27%)"

    contract = the_claim(graph, KG.ComputeContract)
    assert graph.value(contract, KG.contractValue) == Literal("1500000000.0", datatype=XSD.decimal)
    assert graph.value(contract, KG.currency) == Literal("USD")
    assert graph.value(contract, KG.capacityMW) == Literal("1000.0", datatype=XSD.decimal)
    assert graph.value(contract, KG.startDate) == Literal("2026-07", datatype=XSD.gYearMonth)
    assert graph.value(contract, KG.endDate) == Literal("2027-06", datatype=XSD.gYearMonth)
    urls = {str(graph.value(att, KG.source)) for att in graph.objects(contract, KG.attestation)}
    assert urls == {"https://example.org/a", "https://example.org/b"}


def test_the_draft_round_trips_through_csv_export(tmp_path):
    graph = ingest(tmp_path, 'euro-fund,invests_in,openlab,H2 2026,,reported,Financial Times; Reuters,about $2B,,~27%,,\n'
                             'openlab,buys_compute_from,gridco,,,reported,,at least 1 EUR,,,1 GW,\n')
    export_sheets(graph, tmp_path / "out")
    assert isomorphic(ingest_folder(tmp_path / "out"), graph)


def test_an_amount_in_one_currency_and_a_currency_column_saying_another_is_an_error(tmp_path):
    with pytest.raises(IngestError) as caught:
        ingest(tmp_path, "euro-fund,invests_in,openlab,,,,,€15M,USD,,,\n")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (2, 9, "USD")


@pytest.mark.parametrize("column, cell, message", [
    (8, "1,5bn", "not an amount"), (11, "1 kW", "not a capacity"), (4, "late 2026", "not a date"), (4, "2026-H3", "no H3"),
])
def test_ambiguous_cells_are_located_with_the_accepted_forms(tmp_path, column, cell, message):
    cells = ["openlab", "buys_compute_from", "gridco", "", "", "", "", "", "", "", "", ""]
    cells[column - 1] = f'"{cell}"'
    with pytest.raises(IngestError) as caught:
        ingest(tmp_path, ",".join(cells) + "\n")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (2, column, cell)
    assert message in problem.message and "expected" in problem.message


def test_a_stake_below_one_without_percent_warns_naming_the_row_and_the_percentage(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ingest(tmp_path, "microsoft,invests_in,openlab,,,,,,,0.49,,\n")
    messages = [str(w.message) for w in caught if issubclass(w.category, KgWarning)]
    assert len(messages) == 1 and "relations.csv:2:10" in messages[0] and "49%" in messages[0], messages
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ingest(tmp_path, "microsoft,invests_in,openlab,,,,,,,0.49%,,\n")
    assert not [w for w in caught if issubclass(w.category, KgWarning)]


def test_a_source_line_with_several_sources_is_an_error(tmp_path):
    header_with_line = DRAFT_HEADER.replace("source,", "source,source_line,")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "entities.csv").write_text(DRAFT_ENTITIES)
    (folder / "relations.csv").write_text(header_with_line + "microsoft,invests_in,openlab,,,,A; B,3,,,,,\n")
    with pytest.raises(IngestError, match="needs one source"):
        ingest_folder(folder)


def _as(text: str, delimiter: str) -> str:
    """The sheet as Excel saves it with another delimiter (cells holding it quoted)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_semicolon_or_tab_sheet_ingests_to_the_same_graph_as_the_comma_sheet(tmp_path, delimiter):
    relations = "microsoft,invests_in,openlab,2023-01,,reported,Reuters,$1B,,49%,,\nopenlab,buys_compute_from,gridco,,,,,,,,1 GW,\n"
    comma = ingest(tmp_path / "comma", relations)
    folder = tmp_path / "other" / "sheet"  # the same folder name: rows without a source cite it
    folder.mkdir(parents=True)
    (folder / "entities.csv").write_text(_as(DRAFT_ENTITIES, delimiter))
    (folder / "relations.csv").write_text(_as(DRAFT_HEADER + relations, delimiter))
    assert isomorphic(ingest_folder(folder), comma)


def test_an_unknown_id_suggests_the_entity_by_id_or_name(tmp_path):
    with pytest.raises(IngestError) as caught:
        ingest(tmp_path, "Microsoft,invests_in,OpenLab (fictional),,,,,,,,,\nmicrosoft,invest_in,openlab,,,,,,,,,\n")
    messages = {(p.line, p.column): p.message for p in caught.value.problems}
    assert "did you mean microsoft?" in messages[2, 1]
    assert "did you mean openlab?" in messages[2, 3]
    assert "did you mean invests_in?" in messages[3, 2]


@pytest.mark.parametrize("reverse, canonical", [
    ("gridco,supplies_compute_to,openlab", "openlab,buys_compute_from,gridco"),
    ("gridco,owned_by,microsoft", "microsoft,owns,gridco"),
    ("microsoft,has_subsidiary,gridco", "microsoft,controls,gridco"),
])
def test_reverse_relations_read_as_their_canonical_forms(tmp_path, reverse, canonical):
    assert isomorphic(ingest(tmp_path / "a", reverse + ",,,,,,,,,\n"), ingest(tmp_path / "b", canonical + ",,,,,,,,,\n"))


# --- .xlsx workbooks --------------------------------------------------------------------------

def _workbook(path: Path, sheets: dict[str, str], typed: bool = True) -> Path:
    """The sheet as an Excel workbook, one worksheet per CSV text; with ``typed``, cells Excel would
    keep as numbers, dates and percentages are written as such."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, text in sheets.items():
        sheet = book.create_sheet(name)
        for cells in csv.reader(io.StringIO(text)):
            sheet.append([_typed(cell) if typed else cell for cell in cells])
    for row in book["relations"].iter_rows() if "relations" in sheets and typed else ():
        for cell in row:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "mmm-yy" if cell.value.day == 1 else "d/m/yyyy"  # as Excel shows 2023-01 and 2024-06-30
            if cell.value == 0.49:
                cell.number_format = "0%"
    book.save(path)
    return path


def _typed(cell: str):
    """What Excel makes of a typed cell: ``2023-01`` a date, ``12`` a number, ``49%`` 0.49, other text as is."""
    import re as _re

    if _re.fullmatch(r"\d{4}-\d{2}", cell):
        return datetime.date(int(cell[:4]), int(cell[5:]), 1)
    if _re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return datetime.date.fromisoformat(cell)
    if _re.fullmatch(r"\d+", cell):
        return float(cell)  # Excel keeps every number as a float
    if _re.fullmatch(r"\d+(\.\d+)?%", cell):
        return float(cell[:-1]) / 100
    return cell or None


WORKBOOK_RELATIONS = (
    "microsoft,invests_in,openlab,2023-01,2024-06-30,reported,Reuters,$1B,,49%,,\n"
    "openlab,buys_compute_from,gridco,2024,,confirmed,Financial Times; Reuters,,,,1200,H100\n"
    "euro-fund,owns,gridco,2022-03-15,,,The Fictional Wire,,,12,,\n"
)


def test_an_xlsx_workbook_ingests_to_the_same_graph_as_the_comma_sheet(tmp_path):
    comma = ingest(tmp_path / "comma", WORKBOOK_RELATIONS)
    book = _workbook(tmp_path / "my-sheet.xlsx", {"entities": DRAFT_ENTITIES, "relations": DRAFT_HEADER + WORKBOOK_RELATIONS})
    assert isomorphic(ingest_folder(book), comma)
    # kg ingest and --data read it as they read the folder
    from kg.io.load import ingest_file, load_graph

    ingest_file(book, tmp_path / "book.ttl")
    ingest_file(tmp_path / "comma" / "sheet", tmp_path / "comma.ttl")
    assert (tmp_path / "book.ttl").read_bytes() == (tmp_path / "comma.ttl").read_bytes()
    assert isomorphic(load_graph([book], include_ontology=False), comma)


def test_a_folder_that_holds_a_workbook_is_read_as_that_workbook(invoke, tmp_path):
    comma = ingest(tmp_path / "comma", WORKBOOK_RELATIONS)
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    _workbook(folder / "deals.xlsx", {"entities": DRAFT_ENTITIES, "relations": DRAFT_HEADER + WORKBOOK_RELATIONS})
    (folder / "~$deals.xlsx").write_bytes(b"Excel's lock file while the workbook is open")
    assert isomorphic(ingest_folder(folder), comma)
    from kg.io.load import load_graph

    assert isomorphic(load_graph([folder], include_ontology=False), comma)  # --data FOLDER
    result = invoke("ingest", folder, "-o", tmp_path / "deals.ttl")
    assert result.exit_code == 0, result.output
    assert f"Read 4 entities, 3 claims, 3 sources (0 warnings) from {folder}\n" in result.stderr
    result = invoke("describe", "gridco", "--data", folder, "--store", "oxigraph")
    assert result.exit_code == 0 and "OpenLab (fictional) buys compute from GridCo (fictional)" in result.stdout


@pytest.mark.parametrize("others, named", [
    ({"relations.csv": DRAFT_HEADER}, "holds both a CSV sheet (relations.csv) and the workbook deals.xlsx"),
    ({"entities.csv": DRAFT_ENTITIES, "sources.csv": "id\n"}, "holds both a CSV sheet (entities.csv, sources.csv) and the workbook deals.xlsx"),
    ({"deals-old.xlsx": None}, "holds 2 workbooks (deals-old.xlsx, deals.xlsx)"),
])
def test_a_folder_with_two_sheets_is_one_error_naming_both(invoke, tmp_path, others, named):
    folder = tmp_path / "shared-drive"
    folder.mkdir()
    sheets = {"entities": DRAFT_ENTITIES, "relations": DRAFT_HEADER + WORKBOOK_RELATIONS}
    _workbook(folder / "deals.xlsx", sheets)
    for name, text in others.items():
        if text is None:
            _workbook(folder / name, sheets)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    for args in (("ingest", folder, "-o", tmp_path / "out.ttl"), ("conflicts", "--data", folder)):
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [f"Error: {folder}: {named}; kg reads one sheet from a folder: " + (
            "move one of them out, or give the workbook by its path" if "both" in named else "give the workbook to read by its path")]
    assert not (tmp_path / "out.ttl").exists()


def test_workbook_cells_read_as_the_csv_text_would():
    from kg.io.sheets.workbook import cell_text

    class Cell:
        def __init__(self, value, number_format="General"):
            self.value, self.number_format = value, number_format

    assert cell_text(Cell(12.0)) == "12"
    assert cell_text(Cell(12)) == "12"
    assert cell_text(Cell(12.5)) == "12.5"
    assert cell_text(Cell(1e16)) == "10000000000000000"
    assert cell_text(Cell(0.49, "0%")) == "49%"
    assert cell_text(Cell(0.125, "0.0%")) == "12.5%"
    assert cell_text(Cell(datetime.datetime(2024, 6, 30), "yyyy-mm-dd h:mm:ss")) == "2024-06-30"
    assert cell_text(Cell(datetime.date(2024, 6, 30), "d/m/yyyy")) == "2024-06-30"
    assert cell_text(Cell(datetime.datetime(2024, 3, 1), "mmm-yy")) == "2024-03"
    assert cell_text(Cell(datetime.datetime(2024, 1, 1), "yyyy")) == "2024"
    assert cell_text(Cell(None)) == ""
    assert cell_text(Cell("  Reuters \r\n")) == "Reuters"


def test_a_workbook_error_names_the_worksheet_row_and_column(tmp_path):
    book = _workbook(tmp_path / "my-sheet.xlsx", {
        "entities": DRAFT_ENTITIES, "relations": DRAFT_HEADER + "microsoft,invests_in,openlab,,,,,\"1,5bn\",,,,\n"}, typed=False)
    with pytest.raises(IngestError) as caught:
        ingest_folder(book)
    (problem,) = caught.value.problems
    assert str(problem).startswith(f"{book}[relations]:2:8: ")


@pytest.mark.parametrize("sheets, missing", [
    ({"entities": DRAFT_ENTITIES}, "relations"),
    ({"Sheet1": DRAFT_ENTITIES, "relations": DRAFT_HEADER}, "entities"),
])
def test_a_workbook_without_an_entities_or_relations_worksheet_is_one_error(invoke, tmp_path, sheets, missing):
    book = _workbook(tmp_path / "my-sheet.xlsx", sheets, typed=False)
    result = invoke("ingest", book, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and f"no worksheet named {missing}" in errors[0], result.stderr
    assert not (tmp_path / "out.ttl").exists()


@pytest.mark.parametrize("status, hint", [
    ("proposed", "put it in the stage column"), ("Agreed", "put it in the stage column"),
    ("completed", "put it in the stage column"), ("terminated", "put it in the stage column"),
    ("announced", "put proposed (or agreed, once signed) in the stage column"), ("signed", "put agreed in the stage column"),
])
def test_a_stage_in_the_status_column_points_to_the_stage_column(tmp_path, status, hint):
    with pytest.raises(IngestError) as caught:
        ingest(tmp_path, f"microsoft,invests_in,openlab,,,{status},Reuters,,,,,\n")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (2, 6, status)
    assert problem.message == (f'"{status.lower()}" is a deal stage: {hint}; '
                               "status is how firmly the source says it: rumored, reported, confirmed, denied")


def test_an_unknown_status_that_is_no_stage_lists_the_statuses(tmp_path):
    with pytest.raises(IngestError) as caught:
        ingest(tmp_path, "microsoft,invests_in,openlab,,,maybe,Reuters,,,,,\n")
    (problem,) = caught.value.problems
    assert problem.message == "unknown status; expected one of denied, rumored, reported, confirmed"
