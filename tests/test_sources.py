"""Sources as an analyst gives them (sources.csv: title, url, publisher, date).

Every company, publication and address here is fictional (example.org).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rdflib import RDF, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from conftest import REPO
from kg.io.sheets.read import ingest_folder
from kg.io.sheets.write import export_sheets
from kg.vocab import KG, SOURCE

# A plain Namespace: pytest probes module attributes, and rdflib's closed XSD namespace warns on unknown ones.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
EXAMPLE = REPO / "data" / "example-sheet"

ENTITIES = "id,name,type\nlab,Lab (fictional),AILab\ncloud,Cloud (fictional),CloudProvider\n"
# One deal, three sources: a sources.csv row with a title and URL, a bare URL, a sources.csv row with neither.
RELATIONS = (
    "subject,relation,object,start,status,source\n"
    "lab,buys_compute_from,cloud,2024,confirmed,wire-story; https://example.org/fictional/cloud-post; bare-note\n"
)
SOURCES = (
    "id,title,url,publisher,date,note\n"
    "wire-story,Lab signs with Cloud (fictional),https://example.org/fictional/wire/lab-cloud,The Fictional Wire,2024-03-05,"
    "Made up for kg's tests\n"
    "bare-note,,,,,\n"
)
WIRE = "https://w3id.org/ai-compute-kg/data/source/wire-story"
WIRE_URL = "https://example.org/fictional/wire/lab-cloud"
POST = "https://example.org/fictional/cloud-post"
BARE = "https://w3id.org/ai-compute-kg/data/source/bare-note"


def write_sheet(folder: Path, relations: str = RELATIONS, sources: str | None = SOURCES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("entities.csv", ENTITIES), ("relations.csv", relations), ("sources.csv", sources)):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


# --- sources.csv: the columns and what they become --------------------------------------------

def test_a_source_row_gives_the_source_its_url_publisher_and_publication_date(tmp_path):
    sources = SOURCES + "monthly,Monthly (fictional),,,2024-03,\nyearly,Yearly (fictional),,,2024,\n"
    graph = ingest_folder(write_sheet(tmp_path / "s", sources=sources))
    wire = URIRef(WIRE)
    assert graph.value(wire, DCTERMS.title) == Literal("Lab signs with Cloud (fictional)", lang="en")
    assert graph.value(wire, DCTERMS.source) == URIRef(WIRE_URL)
    assert graph.value(wire, DCTERMS.publisher) == Literal("The Fictional Wire")
    assert graph.value(wire, DCTERMS.date) == Literal("2024-03-05", datatype=XSD.date)
    # A month or a year keeps its precision, as dates do everywhere in kg.
    assert graph.value(SOURCE.monthly, DCTERMS.date) == Literal("2024-03", datatype=XSD.gYearMonth)
    assert graph.value(SOURCE.yearly, DCTERMS.date) == Literal("2024", datatype=XSD.gYear)
    # Blank cells say nothing.
    assert set(graph.predicate_objects(URIRef(BARE))) == {(RDF.type, KG.Source)}


def test_bad_urls_and_dates_in_sources_csv_are_one_line_errors_and_nothing_is_written(invoke, tmp_path):
    sources = (
        "id,title,url,publisher,date\n"
        "wire,Wire (fictional),example.org/wire,,2024-13\n"
        "quarterly,Quarterly (fictional),https://example.org/a b,,Q3 2024\n"
        "timed,Timed (fictional),,,2024-03-05T10:00\n"
    )
    folder = write_sheet(tmp_path / "s", sources=sources)
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 2 and not (tmp_path / "out.ttl").exists()
    file = folder / "sources.csv"
    not_a_url = "not a URL (http:// or https://, with no blank, quote or control character)"
    assert result.stderr.splitlines() == [
        f"Error: {file}:2:3: {not_a_url} (example.org/wire)",
        f"Error: {file}:2:5: not a publication date (YYYY, YYYY-MM or YYYY-MM-DD) (2024-13)",
        f"Error: {file}:3:3: {not_a_url} (https://example.org/a b)",
        f"Error: {file}:3:5: a publication date is YYYY, YYYY-MM or YYYY-MM-DD, not a quarter or half-year; "
        "write the month or year it was published (Q3 2024)",
        f"Error: {file}:4:5: not a publication date (YYYY, YYYY-MM or YYYY-MM-DD) (2024-03-05T10:00)",
    ]


def test_an_unknown_sources_column_is_named_with_the_column_it_may_mean(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s", sources="id,title,publsher\nwire,Wire (fictional),The Fictional Wire\n")
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 0, result.output
    assert (f"Warning: {folder / 'sources.csv'}:1:3: ignoring unknown column 'publsher' (did you mean publisher?); "
            "the columns kg reads here are id, title, url, publisher, date, note\n") in result.stderr


def test_export_writes_the_source_columns_back_and_they_ingest_to_the_same_graph(tmp_path):
    sources = SOURCES + "monthly,Monthly (fictional),,Fictional Monthly Press,2024-03,\n"
    first = ingest_folder(write_sheet(tmp_path / "s", sources=sources))
    export_sheets(first, tmp_path / "exported")
    assert (tmp_path / "exported" / "sources.csv").read_bytes().decode("utf-8") == (
        "id,title,url,publisher,date,note\r\n"
        "monthly,Monthly (fictional),,Fictional Monthly Press,2024-03,\r\n"
        "wire-story,Lab signs with Cloud (fictional),https://example.org/fictional/wire/lab-cloud,The Fictional Wire,"
        "2024-03-05,Made up for kg's tests\r\n"
    )
    assert isomorphic(ingest_folder(tmp_path / "exported"), first)


def test_the_template_sources_csv_shows_every_column_on_a_commented_fictional_row(invoke, tmp_path):
    result = invoke("ingest", "--template", tmp_path / "sheet")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO((tmp_path / "sheet" / "sources.csv").read_text("utf-8"))))
    assert rows == [
        ["id", "title", "url", "publisher", "date", "note"],
        ["# example-report", "Example Report (fictional)", "https://example.org/report", "Example Wire (fictional)",
         "2024-05-02", "A made-up source; cite it by its id in relations.csv; delete this row"],
    ]


def test_the_example_sheet_gives_its_fictional_sources_an_address_publisher_and_date():
    graph = ingest_folder(EXAMPLE)
    gazette = SOURCE["fictional-gazette"]
    assert graph.value(gazette, DCTERMS.source) == URIRef("https://example.org/fictional/gazette")
    assert graph.value(gazette, DCTERMS.publisher) == Literal("Fictional Gazette Media (fictional)")
    launch = URIRef("https://example.org/fictional/vega-ai-launch")  # cited in relations.csv by this URL, its id
    assert graph.value(launch, DCTERMS.title) == Literal("Vega AI launch announcement (fictional)", lang="en")
    assert graph.value(launch, DCTERMS.publisher) == Literal("Vega AI (fictional)")
    assert graph.value(launch, DCTERMS.date) == Literal("2023-09-12", datatype=XSD.date)
    addresses = {str(o) for o in graph.objects(None, DCTERMS.source)} | {
        str(s) for s in graph.subjects(RDF.type, KG.Source) if not str(s).startswith(str(SOURCE))}
    assert addresses and all(a.startswith("https://example.org/fictional/") for a in addresses)
