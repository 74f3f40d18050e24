"""Sources as an analyst gives them (sources.csv: title, url, publisher, date) and as every output names
them: by title, else by URL, else by IRI, machine formats keeping the IRI beside the name.

Every company, publication and address here is fictional (example.org).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import pytest
from rdflib import RDF, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from conftest import REPO
from kg.errors import KgWarning
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


# --- a `source` cell that is no id of sources.csv ----------------------------------------------

def titles(graph) -> list[str]:
    return sorted(str(title) for source in graph.subjects(RDF.type, KG.Source) for title in graph.objects(source, DCTERMS.title))


def ingest_warnings(folder: Path) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = ingest_folder(folder)
    return graph, [str(w.message) for w in caught if issubclass(w.category, KgWarning)]


def test_a_source_close_to_an_id_of_sources_csv_warns_and_is_still_read_as_a_title(tmp_path):
    relations = (
        "subject,relation,object,start,status,source\n"
        "lab,buys_compute_from,cloud,2024,confirmed,wire-story\n"
        "cloud,competes_with,lab,2024,reported,bare-note; wire-stroy\n"
        "lab,competes_with,cloud,2023,reported,wire-stroy\n"
    )
    folder = write_sheet(tmp_path / "s", relations)
    graph, messages = ingest_warnings(folder)
    assert messages == [
        f"{folder / 'relations.csv'}:3:6: source 'wire-stroy' is no id of sources.csv: read as a source of that title "
        "(did you mean wire-story?); also on line 4"
    ]
    assert "wire-stroy" in titles(graph)  # a warning, not an error: the cell means what it says


def test_a_source_that_reads_as_an_id_warns_with_nothing_to_suggest(tmp_path):
    relations = "subject,relation,object,start,status,source\nlab,buys_compute_from,cloud,2024,confirmed,ft-2024-deal\n"
    folder = write_sheet(tmp_path / "s", relations)
    _, messages = ingest_warnings(folder)
    assert messages == [
        f"{folder / 'relations.csv'}:2:6: source 'ft-2024-deal' is no id of sources.csv: read as a source of that title"
    ]


def test_titles_of_sources_are_read_as_titles_without_a_warning(tmp_path):
    relations = (
        "subject,relation,object,start,status,source\n"
        "lab,buys_compute_from,cloud,2024,confirmed,Financial Times; Reuters\n"
        "cloud,competes_with,lab,2024,reported,reuters\n"  # lower case, no '-' or '_', close to no id: a title
    )
    graph, messages = ingest_warnings(write_sheet(tmp_path / "s", relations))
    assert messages == []
    assert titles(graph) == [
        "Financial Times", "Lab signs with Cloud (fictional)", "Reuters", "reuters",
    ]


def test_without_sources_csv_a_source_that_reads_as_an_id_is_a_title_without_a_warning(tmp_path):
    relations = "subject,relation,object,start,status,source\nlab,buys_compute_from,cloud,2024,confirmed,ft-2024-deal\n"
    graph, messages = ingest_warnings(write_sheet(tmp_path / "s", relations, sources=None))
    assert messages == [] and titles(graph) == ["ft-2024-deal"]


def test_the_ingest_summary_counts_the_warning_of_a_mistyped_source_id(invoke, tmp_path):
    relations = "subject,relation,object,start,status,source\nlab,buys_compute_from,cloud,2024,confirmed,wire-stroy\n"
    folder = write_sheet(tmp_path / "s", relations)
    result = invoke("ingest", folder, "-o", tmp_path / "out.ttl")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Warning: {folder / 'relations.csv'}:2:6: source 'wire-stroy' is no id of sources.csv: "
        "read as a source of that title (did you mean wire-story?)\n"
    )
    assert f"Read 2 entities, 1 claim, 3 sources (1 warning) from {folder}\n" in result.stderr


# --- sources in the outputs: title, else URL, else IRI --------------------------------------------

def conflicts(invoke, folder: Path, output_format: str) -> str:
    result = invoke("conflicts", "--data", folder, "--as-of", "2025-06-30", "--format", output_format)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_conflicts_table_and_markdown_name_each_source_by_title_else_url_else_iri(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s")
    table = conflicts(invoke, folder, "table").splitlines()
    assert table[-4:] == [
        "• [confirmed] Lab (fictional) has a single compute supplier in force: Cloud (fictional).",
        "    - Lab (fictional) buys compute from Cloud (fictional) [confirmed, 2024–…] —",
        "      https://example.org/fictional/cloud-post;",  # never broken at a hyphen of an address
        "      https://w3id.org/ai-compute-kg/data/source/bare-note; Lab signs with Cloud (fictional)",
    ]
    markdown = conflicts(invoke, folder, "md").splitlines()
    assert markdown[-1] == (
        r"  - Lab \(fictional\) buys compute from Cloud \(fictional\) \[confirmed, 2024–…\] — "
        r"https://example.org/fictional/cloud-post; https://w3id.org/ai-compute-kg/data/source/bare-note; "
        r"Lab signs with Cloud \(fictional\)"
    )


def test_conflicts_csv_keeps_the_source_iris_and_adds_their_titles_beside_them(invoke, tmp_path):
    rows = list(csv.DictReader(io.StringIO(conflicts(invoke, write_sheet(tmp_path / "s"), "csv"))))
    assert list(rows[0]) == ["rule", "severity", "status", "entities", "explanation", "evidence", "sources", "source_titles"]
    assert rows[0]["sources"] == f"{POST}; {BARE}; {WIRE}"
    assert rows[0]["source_titles"] == f"{POST}; {BARE}; Lab signs with Cloud (fictional)"


def test_conflicts_json_gives_each_source_its_url_beside_its_iri_and_title(invoke, tmp_path):
    document = json.loads(conflicts(invoke, write_sheet(tmp_path / "s"), "json"))
    (evidence,) = document["findings"][0]["evidence"]
    assert evidence["sources"] == [
        {"iri": POST, "title": None, "url": POST},
        {"iri": BARE, "title": None, "url": None},
        {"iri": WIRE, "title": "Lab signs with Cloud (fictional)", "url": WIRE_URL},
    ]


def test_conflicts_on_an_oxigraph_store_give_the_same_source_urls(tmp_path):
    from kg import find_conflicts
    from kg.backends.open import open_backend

    store = open_backend([write_sheet(tmp_path / "s")], store="oxigraph")
    (finding,) = find_conflicts(store, as_of="2025-06-30")
    assert [(s.iri, s.url) for s in finding.evidence[0].sources] == [(POST, POST), (BARE, None), (WIRE, WIRE_URL)]


def test_describe_names_each_source_by_title_else_url_else_iri_and_its_json_adds_the_url(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s")
    result = invoke("describe", "lab", "--data", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-4:] == [
        "- Lab (fictional) buys compute from Cloud (fictional) (2024 – …)",
        f"    confirmed: {POST}",
        f"    confirmed: {BARE}",
        "    confirmed: Lab signs with Cloud (fictional)",
    ]
    document = json.loads(invoke("describe", "lab", "--data", folder, "--format", "json").stdout)
    assert document["claims"][0]["attestations"] == [
        {"source": POST, "source_title": None, "status": "confirmed", "source_url": POST},
        {"source": BARE, "source_title": None, "status": "confirmed", "source_url": None},
        {"source": WIRE, "source_title": "Lab signs with Cloud (fictional)", "status": "confirmed", "source_url": WIRE_URL},
    ]


def test_describe_on_an_oxigraph_store_reads_the_source_urls_too(invoke, tmp_path):
    result = invoke("describe", "lab", "--data", write_sheet(tmp_path / "s"), "--store", "oxigraph", "--format", "json")
    assert result.exit_code == 0, result.output
    urls = [a["source_url"] for a in json.loads(result.stdout)["claims"][0]["attestations"]]
    assert urls == [POST, None, WIRE_URL]


def test_diff_names_the_sources_gained_and_its_csv_keeps_iris_and_titles(invoke, tmp_path):
    base = write_sheet(tmp_path / "base", relations="subject,relation,object,start,status,source\n"
                                                    "lab,buys_compute_from,cloud,2024,confirmed,bare-note\n")
    now = write_sheet(tmp_path / "now")
    args = ("diff", "--base", base, "--data", now, "--to", "2025-06-30")
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "    - evidence: +2 sources on Lab (fictional) buys compute from Cloud (fictional)",
        f"      ({POST}; Lab signs with Cloud (fictional))",
    ]
    (row,) = csv.DictReader(io.StringIO(invoke(*args, "--format", "csv").stdout))
    assert row["sources"] == f"{POST}; {BARE}; {WIRE}"
    assert row["source_titles"] == f"{POST}; {BARE}; Lab signs with Cloud (fictional)"


def test_owners_json_gives_each_holding_source_its_url(invoke, tmp_path):
    relations = ("subject,relation,object,start,status,source,stake\n"
                 "lab,owns,cloud,2024,confirmed,wire-story,60\n")
    result = invoke("owners", "cloud", "--data", write_sheet(tmp_path / "s", relations=relations),
                    "--as-of", "2025-06-30", "--format", "json")
    assert result.exit_code == 0, result.output
    (owner,) = json.loads(result.stdout)["owners"]
    (chain,) = owner["chains"]
    assert chain["holdings"][0]["sources"] == [{"iri": WIRE, "title": "Lab signs with Cloud (fictional)", "url": WIRE_URL}]


def test_the_viz_tooltip_of_a_claim_names_its_sources_by_title_else_url_else_iri(tmp_path):
    from kg.io.load import load_graph
    from kg.render.viz import render_html

    html = render_html(load_graph([write_sheet(tmp_path / "s")]), conflicts=False)
    tooltip = next(edge["title"] for edge in _embedded_edges(html) if edge["id"] == "claim/lab-buys-compute-from-cloud")
    assert [line for line in tooltip.splitlines() if line.startswith("source")] == [
        f"source (confirmed): {POST}",
        f"source (confirmed): {BARE}",
        "source (confirmed): Lab signs with Cloud (fictional)",
    ]


def _embedded_edges(html: str) -> list[dict]:
    import re

    return json.loads(re.search(r"var edges = new vis\.DataSet\((.*?)\);\n", html).group(1))


def test_dataframes_name_sources_by_title_else_url_else_iri(tmp_path):
    from kg import describe_entity, find_conflicts, to_records
    from kg.io.load import load_graph

    graph = load_graph([write_sheet(tmp_path / "s")])
    names = f"{POST}; {BARE}; Lab signs with Cloud (fictional)"
    (record,) = to_records(find_conflicts(graph, as_of="2025-06-30"), explode=True)
    assert (record["sources"], record["source_iris"]) == (names, f"{POST}; {BARE}; {WIRE}")
    (claim,) = to_records(describe_entity(graph, "lab"))
    assert (claim["sources"], claim["source_iris"]) == (names, f"{POST}; {BARE}; {WIRE}")


@pytest.mark.parametrize("data", ["example", "oxigraph"])
def test_validate_names_the_sheet_a_claim_only_cites_by_its_title(invoke, data):
    extra = ("--store", "oxigraph") if data == "oxigraph" else ()
    result = invoke("validate", "--data", EXAMPLE, *extra)
    assert result.exit_code == 0, result.output
    assert "(value: example-sheet/relations.csv line 13)" in result.stdout


def test_the_bundled_queries_give_each_source_its_title_beside_its_iri_and_claim_sources_its_url(invoke, tmp_path):
    folder = write_sheet(tmp_path / "s")
    result = invoke("query", "compute-suppliers", "--param", "customer=lab", "--data", folder, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["source"], row["sourceTitle"]) for row in rows] == [(POST, ""), (BARE, ""), (WIRE, "Lab signs with Cloud (fictional)")]
    result = invoke("query", "claim-sources", "--param", "claim=claim:lab-buys-compute-from-cloud", "--data", folder, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["source"], row["title"], row["url"]) for row in rows] == [
        (POST, "", ""), (BARE, "", ""), (WIRE, "Lab signs with Cloud (fictional)", WIRE_URL)]
