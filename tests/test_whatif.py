"""What-if (issue 18): ``kg conflicts --assume`` adds hypothetical claims, marked as assumed everywhere,
written nowhere, and says which findings they add and remove. Fictional entities only."""

from __future__ import annotations

import hashlib
import json

import pytest
from graph_builder import GraphBuilder
from rdflib import Graph
from rdflib.compare import to_isomorphic

from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.whatif import find_conflicts_assuming
from kg.errors import AssumptionError, KgWarning, UsageError
from kg.vocab import DATA

AS_OF = "2025-06-30"
ASSUMED = "https://w3id.org/ai-compute-kg/data/claim/assumption/1"


def world() -> GraphBuilder:
    """Vireo AI buys from Cumulus Cloud only; Orrery Group controls Halo Compute and Lumen Labs, Vireo's rival;
    Stratus Compute is a supplier no one buys from yet."""
    b = GraphBuilder()
    b.agent("vireo-ai", "AILab")
    b.agent("lumen-labs", "AILab")
    b.agent("orrery-group", "Investor")
    for supplier in ("cumulus-cloud", "stratus-compute", "halo-compute"):
        b.agent(supplier, "ComputeProvider")
    b.contract("vireo-ai", "cumulus-cloud", start="2024-01")
    b.rivalry("vireo-ai", "lumen-labs")
    b.control("orrery-group", "halo-compute", status="confirmed")
    b.control("orrery-group", "lumen-labs")
    return b


def on(store: str, graph: Graph):
    """The graph as the backend under test holds it: rdflib itself, or an Oxigraph store in memory."""
    if store == "memory":
        return graph
    backend = OxigraphBackend()
    backend.add_graph(graph)
    return backend


def identities(findings) -> list[tuple]:
    return sorted(f.identity for f in findings)


def roles(finding) -> dict[str, str]:
    return {role: entity.id for role, entity in finding.entities.items()}


# --- what the assumptions add and remove ---------------------------------------------------------

@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_a_second_supplier_removes_the_single_supplier_finding_and_adds_none(store):
    result = find_conflicts_assuming(on(store, world().graph), ["vireo-ai,buys_compute_from,stratus-compute,2025-01"], as_of=AS_OF)
    assert identities(result.removed) == [("single-supplier-dependency", str(DATA["vireo-ai"]), str(DATA["cumulus-cloud"]))]
    assert result.added == () and result.findings == ()
    assert roles(result.removed[0]) == {"customer": "vireo-ai", "supplier": "cumulus-cloud"}
    assert not any(e.assumed for e in result.removed[0].evidence)  # as the data alone gave it


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_buying_from_a_rivals_controller_adds_exactly_that_competitor_controlled_supplier_finding(store):
    b = world()
    b.contract("vireo-ai", "stratus-compute")  # two suppliers already: no single-supplier finding either way
    result = find_conflicts_assuming(on(store, b.graph), ["vireo-ai,buys_compute_from,halo-compute,2025-03,,rumored"], as_of=AS_OF)
    assert [f.rule for f in result.added] == ["competitor-controlled-supplier"] and result.removed == ()
    (added,) = result.added
    assert roles(added) == {"customer": "vireo-ai", "supplier": "halo-compute", "controller": "orrery-group", "rival": "lumen-labs"}
    assert added.status == "rumored"  # the weakest link is the assumed contract
    assert [(e.type, e.subject.id, e.object.id, e.assumed) for e in added.evidence] == [
        ("ComputeContract", "vireo-ai", "halo-compute", True),
        ("Control", "orrery-group", "halo-compute", False),
        ("Control", "orrery-group", "lumen-labs", False),
        ("Rivalry", "vireo-ai", "lumen-labs", False),
    ]
    contract = added.evidence[0]
    assert contract.claim == ASSUMED and contract.start == "2025-03" and contract.status == "rumored"
    assert [(s.iri, s.title) for s in contract.sources] == [
        ("https://w3id.org/ai-compute-kg/data/source/assumption/1", "Assumption 1: vireo-ai,buys_compute_from,halo-compute,2025-03,,rumored")
    ]
    assert result.findings == result.added
    (assumption,) = result.assumptions
    assert (assumption.number, assumption.row, assumption.origin, assumption.claim, assumption.counts) == (
        1, "vireo-ai,buys_compute_from,halo-compute,2025-03,,rumored", None, ASSUMED, True
    )


def test_an_assumption_without_a_status_is_reported_and_one_that_does_not_count_says_why():
    later = {"subject": "vireo-ai", "relation": "buys_compute_from", "object": "stratus-compute", "start": "2026"}
    with pytest.warns(KgWarning, match=r"assumption 2 \(vireo-ai,buys_compute_from,stratus-compute,2026\) does not count: it starts"):
        result = find_conflicts_assuming(world().graph, ["vireo-ai,buys_compute_from,halo-compute", later], as_of=AS_OF)
    (added,) = result.added
    assert added.rule == "competitor-controlled-supplier" and added.evidence[0].status == "reported"
    assert [f.rule for f in result.removed] == ["single-supplier-dependency"]  # Vireo buys from Halo too now
    assert [f.rule for f in result.findings] == ["competitor-controlled-supplier"]
    second = result.assumptions[1]
    assert second.row == "vireo-ai,buys_compute_from,stratus-compute,2026" and not second.counts
    assert second.reason == "it starts (2026) after the as-of date, 2025-06-30"


def test_the_library_leaves_the_callers_graph_as_it_was():
    graph = world().graph
    before = to_isomorphic(graph)
    result = find_conflicts_assuming(graph, "vireo-ai,buys_compute_from,halo-compute", as_of=AS_OF)  # one row, as a string
    assert [f.rule for f in result.added] == ["competitor-controlled-supplier"]
    assert to_isomorphic(graph) == before


# --- outputs mark the assumed claim -------------------------------------------------------------

@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "world.ttl"
    path.write_text(world().graph.serialize(format="turtle"), encoding="utf-8")
    return path


ROW = "vireo-ai,buys_compute_from,halo-compute,2025-03,,rumored"


def test_the_table_marks_the_assumed_evidence_and_lists_what_changes(invoke, data_file):
    result = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", ROW)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Assumed for this run only (written nowhere):\n  1. " + ROW in text
    assert "Assumptions add 1 finding(s), remove 1:" in text
    assert "  + competitor-controlled-supplier: Vireo Ai buys compute from Halo Compute" in text
    assert "  - single-supplier-dependency: Vireo Ai has a single compute supplier in force: Cumulus Cloud." in text
    # The assumed row is not broken at its hyphens: it wraps whole.
    assert "    - [assumed] Vireo Ai buys compute from Halo Compute [rumored, 2025-03–…] — Assumption 1:\n      " + ROW + "\n" in text
    assert text.count("[assumed]") == 1  # Orrery's control links are data


def test_json_flags_assumed_evidence_and_lists_assumptions_added_and_removed(invoke, data_file):
    result = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", ROW, "--format", "json")
    document = json.loads(result.stdout)
    assert list(document) == ["as_of", "min_status", "min_stage", "control_threshold", "assumptions", "added", "removed", "findings"]
    assert document["assumptions"] == [{
        "number": 1, "row": ROW, "origin": None, "claim": ASSUMED,
        "source": "https://w3id.org/ai-compute-kg/data/source/assumption/1", "title": "Assumption 1: " + ROW,
        "counts": True, "reason": None,
    }]
    assert [f["rule"] for f in document["added"]] == ["competitor-controlled-supplier"]
    assert [f["rule"] for f in document["removed"]] == ["single-supplier-dependency"]
    evidence = [e for f in document["findings"] for e in f["evidence"]]
    assert [e["claim"] for e in evidence if e["assumed"]] == [ASSUMED]
    assert all(e["assumed"] is False for e in evidence if e["claim"] != ASSUMED)


def test_a_plain_run_keeps_its_json_shape(invoke, data_file):
    document = json.loads(invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--format", "json").stdout)
    assert "assumptions" not in document and all("assumed" not in e for f in document["findings"] for e in f["evidence"])


def test_markdown_and_csv_mark_the_assumption_too(invoke, data_file):
    md = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", ROW, "--format", "md").stdout
    assert "## Assumptions" in md and "- added: `competitor-controlled-supplier`" in md and "\\[assumed\\] Vireo Ai" in md
    rows = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", ROW, "--format", "csv").stdout.splitlines()
    assert rows[0].endswith(",change,assumed_evidence")
    assert [row.split(",")[0] + ":" + row.rsplit(",", 2)[1] for row in rows[1:]] == [
        "competitor-controlled-supplier:added", "single-supplier-dependency:removed"
    ]
    assert rows[1].endswith("," + ASSUMED)


def test_an_assume_file_numbers_its_rows_after_the_inline_ones(invoke, data_file, tmp_path):
    rows = tmp_path / "deals.csv"
    rows.write_text("subject,relation,object,status,note\nvireo-ai,buys_compute_from,stratus-compute,confirmed,a rumour\n", encoding="utf-8")
    result = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", ROW, "--assume-file", rows, "--format", "json")
    assumptions = json.loads(result.stdout)["assumptions"]
    assert [(a["number"], a["origin"], a["row"]) for a in assumptions] == [
        (1, None, ROW), (2, f"{rows}:2", "vireo-ai,buys_compute_from,stratus-compute,,,confirmed,,,,,,,,,a rumour")
    ]
    assert assumptions[1]["title"] == f"Assumption 2 ({rows}:2): vireo-ai,buys_compute_from,stratus-compute,,,confirmed,,,,,,,,,a rumour"


# --- written nowhere ------------------------------------------------------------------------------

def _bytes_of(folder) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_input_files_are_untouched(invoke, tmp_path):
    sheet = tmp_path / "sheet"
    sheet.mkdir()
    (sheet / "entities.csv").write_text(
        "id,name,type\nvireo-ai,Vireo AI,AILab\nlumen-labs,Lumen Labs,AILab\norrery-group,Orrery Group,Investor\n"
        "halo-compute,Halo Compute,ComputeProvider\ncumulus-cloud,Cumulus Cloud,ComputeProvider\n", encoding="utf-8")
    (sheet / "relations.csv").write_text(
        "subject,relation,object\nvireo-ai,buys_compute_from,cumulus-cloud\nvireo-ai,competes_with,lumen-labs\n"
        "orrery-group,controls,halo-compute\norrery-group,controls,lumen-labs\n", encoding="utf-8")
    (tmp_path / "more.csv").write_text("subject,relation,object\nlumen-labs,buys_compute_from,cumulus-cloud\n", encoding="utf-8")
    before = _bytes_of(tmp_path)
    result = invoke("conflicts", "--data", sheet, "--assume", ROW, "--assume-file", tmp_path / "more.csv", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["added"]] == ["competitor-controlled-supplier", "single-supplier-dependency"]
    assert _bytes_of(tmp_path) == before


def test_a_store_on_disk_is_read_never_written(invoke, data_file, tmp_path):
    store = tmp_path / "store"
    assert invoke("stats", "--data", data_file, "--store-path", store).exit_code == 0

    def content() -> list[str]:
        backend = OxigraphBackend(store, read_only=True)
        try:
            return sorted(str(quad) for quad in backend.store)
        finally:
            backend.close()

    quads, files = content(), _bytes_of(store)
    result = invoke("conflicts", "--store-path", store, "--as-of", AS_OF, "--assume", ROW, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [f["rule"] for f in json.loads(result.stdout)["added"]] == ["competitor-controlled-supplier"]
    assert content() == quads and _bytes_of(store) == files
    again = invoke("conflicts", "--store-path", store, "--as-of", AS_OF, "--format", "json")  # no trace of the assumption
    assert ASSUMED not in again.stdout and "single-supplier-dependency" in again.stdout


def test_an_endpoint_is_refused_before_anything_is_read(invoke):
    result = invoke("conflicts", "--endpoint", "http://127.0.0.1:9/sparql", "--assume", ROW)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: kg cannot add claims to the graph at an endpoint") and "--data" in result.stderr


# --- the same answers on every local backend -------------------------------------------------------

def test_rdflib_and_oxigraph_give_the_same_document(invoke, tmp_path):
    from kg.resources import bundled_data_path

    sheet = bundled_data_path().parent / "example-sheet"
    rows = tmp_path / "assume.csv"
    rows.write_text("subject,relation,object,start,status\nnimbus-labs,buys_compute_from,kestrel-chips,2026-01,rumored\n"
                    "vega-ai,subsidiary_of,atlas-holdings,2024-02,confirmed\n", encoding="utf-8")
    args = ["conflicts", "--data", sheet, "--as-of", "2026-06-30", "--assume-file", rows,
            "--assume", "zoe-quill,board_member_of,orion-cloud,2025,,reported", "--format", "json"]
    memory, oxigraph = invoke(*args), invoke(*args, "--store", "oxigraph")
    assert memory.exit_code == 0 and memory.stdout == oxigraph.stdout
    document = json.loads(memory.stdout)
    assert [f["rule"] for f in document["removed"]] == ["single-supplier-dependency"]
    assert document["added"]  # Kestrel invests in Nimbus and would supply it


# --- bad rows --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "row, expected",
    [
        ("vireo-ai,buys_from,halo-compute", 'relation "buys_from": unknown relation (did you mean buys_compute_from?); expected one of founded,'),
        ("vireo-ai,buys_compute_from,halo-compute,2025-13", 'start "2025-13": not a date; expected YYYY, YYYY-MM, YYYY-MM-DD, a half-year'),
        ("vireo-ai,buys_compute_from,halo-computer", 'object "halo-computer": unknown id; not in the data; known ids close to it: halo-compute'),
        ("Vireo AI,buys_compute_from,halo-compute", 'subject "Vireo AI": unknown id; not in the data; known ids close to it: vireo-ai'),
        ("vireo-ai,buys_compute_from,halo-compute,,,probably", 'status "probably": unknown status'),
        ("vireo-ai,buys_compute_from,halo-compute,,,,,Reuters", 'source "Reuters": an assumption is its own source'),
        ("orrery-group,works_for,halo-compute", "cannot be the affiliate of works_for"),
        ("vireo-ai,buys_compute_from,halo-compute,2025,,,,,,,,,,,,extra", 'column 16 "extra": more cells than the 15 columns'),
    ],
)
def test_a_bad_row_is_one_error_line_naming_it(invoke, data_file, row, expected):
    result = invoke("conflicts", "--data", data_file, "--assume", "vireo-ai,buys_compute_from,stratus-compute", "--assume", row)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: assumption 2 ({row}): "), result.stderr
    assert expected in result.stderr


def test_every_bad_cell_of_a_row_is_on_its_one_line(invoke, data_file):
    result = invoke("conflicts", "--data", data_file, "--assume", "vireo-ai,buys_from,nobody,2025-13")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    line = result.stderr
    assert line.index('relation "buys_from"') < line.index('object "nobody"') < line.index('start "2025-13"')


def test_a_bad_row_of_an_assume_file_is_named_by_file_and_line(invoke, data_file, tmp_path):
    rows = tmp_path / "deals.csv"
    rows.write_text("subject,relation,object,start\nvireo-ai,buys_compute_from,halo-compute,2025\n"
                    "vireo-ai,buys_compute_from,halo-compute,someday\n", encoding="utf-8")
    result = invoke("conflicts", "--data", data_file, "--assume-file", rows)
    assert result.exit_code == 2
    assert result.stderr == (
        f'Error: {rows}:3 (assumption 2): start "someday": not a date; expected YYYY, YYYY-MM, YYYY-MM-DD, '
        "a half-year (2026-H2, H2 2026) or a quarter (2026-Q3, Q3 2026)\n"
    )


def test_the_library_raises_a_usage_error_with_one_problem_per_bad_row():
    with pytest.raises(AssumptionError) as raised:
        find_conflicts_assuming(world().graph, ["vireo-ai,buys_from,halo-compute", "vireo-ai,buys_compute_from,nobody"])
    assert isinstance(raised.value, UsageError) and len(raised.value.problems) == 2
    with pytest.raises(UsageError, match="no assumptions"):
        find_conflicts_assuming(world().graph, [])


def test_a_control_character_in_a_row_is_shown_escaped(invoke, data_file):
    row = ROW + ",,,,,,,,,\x1b[31mred"
    result = invoke("conflicts", "--data", data_file, "--as-of", AS_OF, "--assume", row)
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout
    bad = invoke("conflicts", "--data", data_file, "--assume", row.replace("2025-03", "2025-13"))
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "\x1b" not in bad.stderr
