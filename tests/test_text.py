"""Values from the data shown safely: kg.io.text, and every human-readable output that uses it.

A name from a hostile file must not reach the terminal as an escape sequence,
must not become a Markdown heading, link or HTML, and must not run as a
spreadsheet formula; the W3C results formats stay exact.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from kg.io.text import markdown_text, plain_cell, spreadsheet_cell, terminal_text
from kg.query import format_result
from kg.sparql import QueryResult

HOSTILE = [
    "\x1b[2J\x1b[31mred",  # clear the screen, recolour
    "\x1b]0;title\x07",  # set the terminal title
    "\x9b31m",  # the 8-bit CSI
    "line\n# Heading",
    "a\r\nb\u2028c\u2029d\x85e",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![img](http://example.org/x.png)",
    "`code` *em* _em_ **b** ~~s~~ | pipe |",
    "- item",
    "1. item",
    "> quote",
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+1",
    "-1+1",
    "@SUM(A1)",
    "\tTAB",
    "abc\u202eevil",  # right-to-left override
    "&lt;not a tag&gt; &amp;",
    "Moody's",
]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.lists(st.sampled_from(HOSTILE)).map("".join))
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def test_terminal_text_writes_controls_as_escapes():
    assert terminal_text("a\x1b[31mb\nc\td\x9b") == "a\\x1b[31mb\\nc\\td\\x9b"
    assert terminal_text("abc\u202eevil") == "abc\\u202eevil"
    assert terminal_text("Zoë 李 🚀") == "Zoë 李 🚀"


@given(TEXT)
def test_terminal_text_never_holds_a_control_character(text):
    assert not CONTROL.search(terminal_text(text))


def rendered_cell(text: str) -> str:
    """The HTML markdown-it makes of ``text`` as one table cell."""
    page = MARKDOWN.render(f"| h |\n|---|\n| {markdown_text(text)} |\n")
    match = re.search(r"<td>(.*?)</td>", page, re.S)
    assert match, page
    return match.group(1)


@given(TEXT)
def test_markdown_text_renders_as_the_text_itself(text):
    cell = rendered_cell(text)
    assert "<" not in cell  # no element: a literal "<" comes out as &lt;
    assert html.unescape(cell) == terminal_text(text).strip()  # a table cell drops blanks at its ends
    item = MARKDOWN.render(f"- **{markdown_text(text)}** (reported)\n")  # as kg conflicts --format md writes it
    assert set(re.findall(r"<(\w+)", item)) <= {"ul", "li", "strong"}, item


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_makes_no_element(text):
    page = MARKDOWN.render(f"- {markdown_text(text)}\n")
    assert re.findall(r"<(\w+)", page) == ["ul", "li"], page


@given(TEXT)
def test_a_spreadsheet_cell_never_starts_like_a_formula_and_reads_back(text):
    cell = spreadsheet_cell(text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert plain_cell(cell) == text


def test_owasp_prefix_is_a_single_quote():
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("'s-Hertogenbosch") == "'s-Hertogenbosch"
    assert plain_cell("'s-Hertogenbosch") == "'s-Hertogenbosch"


# --- kg query ------------------------------------------------------------------------------------------


def select(*values: str) -> QueryResult:
    rows = tuple((URIRef(f"urn:x:{i}"), Literal(value)) for i, value in enumerate(values))
    return QueryResult(form="SELECT", variables=("s", "name"), rows=rows)


def test_query_table_shows_control_characters_as_escapes_and_one_line_per_row():
    text = format_result(select(*HOSTILE), "table")
    assert not CONTROL.search(text.replace("\n", ""))
    assert len(text.splitlines()) == 2 + len(HOSTILE) + 1  # header, rule, rows, "(n rows)"
    assert "\\x1b[2J" in text


def test_query_markdown_has_no_html_link_or_heading():
    page = MARKDOWN.render(format_result(select(*HOSTILE), "md"))
    elements = set(re.findall(r"<(\w+)", page))
    assert elements <= {"table", "thead", "tbody", "tr", "th", "td"}, elements
    assert "javascript:alert(1)" in html.unescape(page)  # shown as text


def test_query_csv_tsv_and_json_are_exact():
    values = ["=1+1", "@x", "-2"]
    result = select(*values)
    csv_lines = format_result(result, "csv").split("\r\n")
    assert [line.split(",", 1)[1] for line in csv_lines[1:]] == values
    assert [line.split("\t")[1] for line in format_result(result, "tsv").splitlines()[1:]] == [f'"{v}"' for v in values]
    assert '"=1+1"' in format_result(result, "json")


def test_query_table_shows_values_as_the_data_has_them():
    result = QueryResult(form="SELECT", variables=("amount",), rows=((Literal("1350000000.50"),), (Literal("1.0"),)))
    lines = format_result(result, "table").splitlines()
    assert [line.strip() for line in lines[2:4]] == ["1350000000.50", "1.0"]


def test_construct_output_writes_control_characters_as_turtle_escapes():
    from rdflib import Graph

    graph = Graph()
    graph.add((URIRef("urn:x:a"), RDFS.label, Literal("bell\x07 esc\x1b[31m")))
    text = format_result(QueryResult(form="CONSTRUCT", graph=graph), "table")
    assert not CONTROL.search(text.replace("\n", ""))
    assert Graph().parse(data=text, format="turtle").value(URIRef("urn:x:a"), RDFS.label) == Literal("bell\x07 esc\x1b[31m")


# --- kg stats, describe, validate ----------------------------------------------------------------------


@pytest.fixture
def hostile_sheet(tmp_path):
    folder = tmp_path / "sheet"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        'id,name,type,description\nlab,"Lab\x1b[2J\x1b]0;pwned\x07\n# Heading",AILab,"desc\x1b[31m"\n'
        "cloud,Cloud\x9b31m,CloudProvider,\n",
        encoding="utf-8",
    )
    (folder / "relations.csv").write_text(
        'subject,relation,object,note,source\nlab,buys_compute_from,cloud,"note\x1b[5m","Title\x1b[1m"\n', encoding="utf-8"
    )
    # A currency the shapes refuse, so that kg validate shows the value.
    (tmp_path / "money.ttl").write_text(
        '<urn:x:deal> <https://w3id.org/ai-compute-kg/ontology#currency> "\\u001B[31mUS\\u0007" .\n', encoding="utf-8"
    )
    return folder


@pytest.mark.parametrize("command", [["describe", "lab"], ["stats"], ["validate"], ["query", "-e", "SELECT ?n { ?x rdfs:label ?n }"]])
def test_text_outputs_never_send_a_control_character_to_the_terminal(invoke, hostile_sheet, command):
    result = invoke(*command, "--data", hostile_sheet, "--data", hostile_sheet.parent / "money.ttl")
    assert result.exit_code in (0, 1), result.output
    assert not CONTROL.search(result.stdout.replace("\n", "")), repr(result.stdout)


def test_describe_shows_escaped_names(invoke, hostile_sheet):
    result = invoke("describe", "lab", "--data", hostile_sheet)
    assert "Lab\\x1b[2J\\x1b]0;pwned\\x07\\n# Heading" in result.stdout
    assert "note: note\\x1b[5m" in result.stdout



def test_tsv_escapes_tab_newline_and_iris_that_are_not_valid():
    from rdflib import BNode

    result = QueryResult(
        form="SELECT",
        variables=("a", "b", "c"),
        rows=((Literal("tab\there\nnew \"q\" \\"), URIRef("http://a b"), BNode("x")),),
    )
    lines = format_result(result, "tsv").split("\n")
    assert lines == ["?a\t?b\t?c", '"tab\\there\\nnew \\"q\\" \\\\"\t<http://a\\u0020b>\t_:x']


@pytest.mark.parametrize("output_format", ["table", "md", "csv", "tsv", "json"])
def test_a_query_that_would_make_an_invalid_iri_leaves_it_unbound(invoke, output_format):
    """kg query runs on Oxigraph's engine, for which IRI() of an invalid IRI is an error: no value, no crash."""
    result = invoke("query", "-e", 'SELECT (IRI("http://a b") AS ?x) {}', "--format", output_format)
    assert result.exit_code == 0 and "http://a" not in result.stdout, result.output
