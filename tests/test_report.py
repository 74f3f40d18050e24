"""kg.conflicts.report: findings about agents with hostile names stay inert in every format."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from markdown_it import MarkdownIt
from rdflib import RDFS, Literal

from kg.io.load import load_graph

HOSTILE_NAMES = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "<script>alert(1)</script>\n# Heading",
    "[x](javascript:alert(1)) \x1b[2J\x1b]0;pwned\x07",
]
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory):
    """The bundled data with every agent renamed to a hostile string (the findings stay the same)."""
    graph = load_graph(include_ontology=False)
    agents = sorted(set(graph.subjects(RDFS.label, None)), key=str)
    names = {}
    for number, agent in enumerate(agents):
        name = f"{HOSTILE_NAMES[number % len(HOSTILE_NAMES)]} \x1b[31m{number}"
        graph.set((agent, RDFS.label, Literal(name)))
        names[str(agent)] = name
    path = tmp_path_factory.mktemp("hostile") / "hostile.nt"
    path.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    return path, names


def test_table_sends_no_control_character_to_the_terminal(invoke, hostile_data):
    result = invoke("conflicts", "--data", hostile_data[0])
    assert result.exit_code == 0, result.output
    assert "finding(s)" in result.stdout and "\\x1b[31m" in result.stdout
    assert not CONTROL.search(result.stdout)


def test_markdown_makes_no_html_link_or_heading_from_a_name(invoke, hostile_data):
    result = invoke("conflicts", "--data", hostile_data[0], "--format", "md")
    page = MarkdownIt("commonmark").render(result.stdout)
    assert set(re.findall(r"<(\w+)", page)) <= {"h1", "h2", "p", "ul", "li", "strong", "code"}
    assert len(re.findall(r"<h1>", page)) == 1  # the report's own title
    assert "<script>" in html.unescape(page)  # shown as text


def test_csv_cells_never_start_like_a_formula(invoke, hostile_data):
    result = invoke("conflicts", "--data", hostile_data[0], "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) > 1
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_json_keeps_the_names_exactly(invoke, hostile_data):
    path, names = hostile_data
    document = json.loads(invoke("conflicts", "--data", path, "--format", "json").stdout)
    shown = {entity["label"] for finding in document["findings"] for entity in finding["entities"].values()}
    assert shown and shown <= set(names.values())


@pytest.mark.parametrize(
    "nature,verb",
    [("", "works for"), ("CEO", "is an officer of"), ("officer", "is an officer of"), ("advisor", "advises")],
)
def test_an_affiliation_reads_as_its_kind(invoke, tmp_path, nature, verb):
    """A board seat never reads as employment: the evidence and describe say what the tie is."""
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text(
        "id,name,type\nada,Ada (fictional),Person\nnorth,North (fictional),AILab\nsouth,South (fictional),AILab\n", encoding="utf-8"
    )
    (sheet / "relations.csv").write_text(
        "subject,relation,object,start,status,nature\n"
        "ada,board_member_of,north,2024,reported,\n"
        f"ada,works_for,south,2024,reported,{nature}\n"
        "north,competes_with,south,2024,reported,market\n"
        "ada,feuds_with,north,2024,reported,legal\n",
        encoding="utf-8",
    )
    described = " ".join(invoke("describe", "ada", "--data", sheet).stdout.split())
    assert "Ada (fictional) sits on the board of North (fictional)" in described
    assert f"Ada (fictional) {verb} South (fictional)" in described
    assert "Ada (fictional) feuds with North (fictional)" in described
    for fmt in ("table", "md"):
        result = invoke("conflicts", "--data", sheet, "--as-of", "2025", "--format", fmt, "--rule", "interlocking-directorate")
        text = " ".join(result.stdout.replace("\\", "").split())
        if verb == "is an officer of":  # a board seat and an officer's role: an interlock, each tie as it is
            assert "Ada (fictional) sits on the board of North (fictional)" in text, fmt
            assert "Ada (fictional) is an officer of South (fictional)" in text, fmt
        else:  # an employee or an advisor directs nothing
            assert "0 finding(s)" in text, fmt
