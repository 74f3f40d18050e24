"""kg timeline: the periods in which each finding held, computed by hand for a fictional fixture, on both backends.

tests/fixtures/timeline/relations.csv (fictional) changes on these dates:
2022-01-01 (Delta's rumour, "2022"), 2023-03-15 (Delta's reported contract),
2023-07-01 (Beta's second supplier, "2023-07"), 2024-01-01 (Alpha's contract
starts "2024"; Beta's first ends "2023-12", so it is gone from the 1st),
2024-07-01 (Alpha's contract ended "2024-06", in force through 30 June; Boss
takes control of Beta's rival) and 2025-03-01 (Alpha's new contract).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from conftest import FIXTURES

from kg.analysis.timeline import FindingPeriod, FindingTimeline, finding_timeline
from kg.errors import UsageError
from kg.io.load import load_graph

DATA = FIXTURES / "timeline"
STORES = pytest.mark.parametrize("store", ["memory", "oxigraph"])

CHANGE_DATES = ["2022-01-01", "2023-03-15", "2023-07-01", "2024-01-01", "2024-07-01", "2025-03-01"]

#: (rule, entity ids in role order) -> the periods as the table writes them, each with its status.
EXPECTED = {
    ("competitor-controlled-supplier", ("beta-lab", "cloud-two", "boss", "rival-lab")): ["since 2024-07-01 [reported]"],
    # a contract "2024" to "2024-06", and a new one from "2025-03": it ends and comes back
    ("single-supplier-dependency", ("alpha-lab", "cloud-one")): ["2024-01-01 – 2024-06-30 [reported]", "since 2025-03-01 [reported]"],
    # holds before the first change date, until Beta's second supplier arrives on 2023-07-01
    ("single-supplier-dependency", ("beta-lab", "cloud-one")): ["until 2023-06-30 [reported]"],
    # the first supplier's contract ends "2023-12": in force through 31 December
    ("single-supplier-dependency", ("beta-lab", "cloud-two")): ["since 2024-01-01 [reported]"],
    # a rumour from "2022", reported from 2023-03-15: one period per status
    ("single-supplier-dependency", ("delta-lab", "cloud-one")): ["2022-01-01 – 2023-03-14 [rumored]", "since 2023-03-15 [reported]"],
    # undated: before, between and after every change date
    ("single-supplier-dependency", ("gamma-lab", "cloud-two")): ["at every date [reported]"],
}


def as_json(invoke, *args) -> dict:
    result = invoke("timeline", "--data", DATA, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def periods_in_words(document: dict) -> dict:
    """The JSON document's periods, written as the table writes them."""
    words = {}
    for finding in document["findings"]:
        key = (finding["rule"], tuple(entity["id"] for entity in finding["entities"].values()))
        words[key] = []
        for period in finding["periods"]:
            start, last = period["from"], period["last_day"]
            text = (
                "at every date" if start is None and last is None
                else f"until {last}" if start is None
                else f"since {start}" if last is None
                else f"{start} – {last}"
            )
            words[key].append(f"{text} [{period['status']}]")
    return words


@STORES
def test_the_periods_are_the_hand_computed_ones(invoke, store):
    document = as_json(invoke, "--store", store)
    assert document["change_dates"] == CHANGE_DATES
    assert periods_in_words(document) == EXPECTED
    assert (document["min_status"], document["min_stage"], document["control_threshold"]) == ("rumored", "proposed", 50)


def test_json_periods_are_half_open_with_their_last_day(invoke):
    document = as_json(invoke)
    alpha = next(f for f in document["findings"] if f["entities"]["customer"]["id"] == "alpha-lab")
    assert alpha["periods"] == [
        {"from": "2024-01-01", "to": "2024-07-01", "last_day": "2024-06-30", "status": "reported"},
        {"from": "2025-03-01", "to": None, "last_day": None, "status": "reported"},
    ]
    beta = next(f for f in document["findings"] if [e["id"] for e in f["entities"].values()] == ["beta-lab", "cloud-one"])
    assert beta["periods"] == [{"from": None, "to": "2023-07-01", "last_day": "2023-06-30", "status": "reported"}]
    assert alpha["severity"] == "low" and "Alpha Lab" in alpha["explanation"]


@STORES
def test_the_table_lists_rule_entities_and_periods(invoke, store):
    result = invoke("timeline", "--data", DATA, "--store", store)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("6 finding(s) over time: the rules ran before 2022-01-01 and at 6 change dates through 2025-03-01;")
    assert "rule" in text and "entities" in text and "periods" in text
    blocks = text.split("\n\n")[2:]  # the summary, the header with the first block, then one block per finding
    first = text.split("\n\n")[1].splitlines()
    assert first[0].split() == ["rule", "entities", "periods"]
    assert first[2].split("  ")[0] == "competitor-controlled-supplier" and first[2].endswith("since 2024-07-01 [reported]")
    alpha = blocks[0].splitlines()
    assert alpha[0].startswith("single-supplier-dependency") and "customer: Alpha Lab" in alpha[0]
    assert alpha[0].endswith("2024-01-01 – 2024-06-30 [reported]") and alpha[1].endswith("since 2025-03-01 [reported]")
    assert "until 2023-06-30 [reported]" in blocks[1] and "at every date [reported]" in blocks[-1]


def test_csv_has_one_row_per_period(invoke):
    result = invoke("timeline", "--data", DATA, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["rule", "severity", "entities", "from", "to", "last_day", "status"]
    assert len(rows) == sum(len(periods) for periods in EXPECTED.values()) == 8
    delta = [row for row in rows if row["entities"] == "customer=delta-lab; supplier=cloud-one"]
    assert [(r["from"], r["to"], r["last_day"], r["status"]) for r in delta] == [
        ("2022-01-01", "2023-03-15", "2023-03-14", "rumored"),
        ("2023-03-15", "", "", "reported"),
    ]


def test_reading_options_change_the_periods(invoke):
    # At --min-status reported, Delta's rumour does not count: its finding starts with the reported contract.
    words = periods_in_words(as_json(invoke, "--min-status", "reported"))
    assert words[("single-supplier-dependency", ("delta-lab", "cloud-one"))] == ["since 2023-03-15 [reported]"]
    only = as_json(invoke, "--rule", "competitor-controlled-supplier")
    assert {f["rule"] for f in only["findings"]} == {"competitor-controlled-supplier"}
    assert invoke("timeline", "--data", DATA, "--as-of", "2024").exit_code == 2  # no as-of: every date is read


@STORES
def test_plots_are_written_as_png_and_svg_with_the_rules_in_the_legend(invoke, tmp_path, artifacts_dir, store):
    for name in ("findings.png", "findings.svg"):
        result = invoke("timeline", "--data", DATA, "--store", store, "--plot", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert f"Wrote {tmp_path / name} (6 finding(s), 6 change date(s))" in result.stderr
        assert (tmp_path / name).stat().st_size > 5000
    assert (tmp_path / "findings.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "findings.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for rule in ("single-supplier-dependency", "competitor-controlled-supplier"):
        assert rule in svg  # the legend's text (drawn as paths, named in a comment)
    assert "investor-in-rivals" not in svg  # a rule with no finding at any date is left out of the legend
    if store == "memory":
        (artifacts_dir / "plot-findings-over-time.png").write_bytes((tmp_path / "findings.png").read_bytes())


def test_the_svg_is_the_same_bytes_each_time(invoke, tmp_path):
    for name in ("one.svg", "two.svg"):
        assert invoke("timeline", "--data", DATA, "--plot", tmp_path / name).exit_code == 0
    assert (tmp_path / "one.svg").read_bytes() == (tmp_path / "two.svg").read_bytes()


@pytest.mark.parametrize("name", ["findings.txt", "findings", "findings.jpeg"])
def test_a_bad_plot_extension_is_one_error_line(invoke, tmp_path, name):
    result = invoke("timeline", "--data", DATA, "--plot", tmp_path / name)
    assert result.exit_code == 2
    assert result.stdout == ""  # refused before the rules run
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "use .png, .svg or .pdf" in lines[0]
    assert not (tmp_path / name).exists()


def test_too_many_change_dates_is_an_error_not_a_cut(invoke):
    result = invoke("timeline", "--data", DATA, "--max-dates", "5")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: the graph changes on 6 dates, more than --max-dates (5): the rules run once per date; "
        "raise --max-dates to run them anyway"
    ]
    assert invoke("timeline", "--data", DATA, "--max-dates", "6").exit_code == 0


# --- the library ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timeline() -> FindingTimeline:
    return finding_timeline(load_graph([DATA]))


def test_the_library_returns_the_same_periods(timeline):
    assert [day.isoformat() for day in timeline.change_dates] == CHANGE_DATES
    words = {
        (entry.finding.rule, tuple(e.id for e in entry.finding.entities.values())): [f"{p} [{p.status}]" for p in entry.periods]
        for entry in timeline.findings
    }
    assert words == EXPECTED
    alpha = next(entry for entry in timeline.findings if entry.finding.entities["customer"].id == "alpha-lab")
    assert alpha.periods == (
        FindingPeriod(date(2024, 1, 1), date(2024, 7, 1), "reported"),
        FindingPeriod(date(2025, 3, 1), None, "reported"),
    )
    assert alpha.identity == alpha.finding.identity and alpha.identity[0] == "single-supplier-dependency"
    assert alpha.holds_on(date(2024, 6, 30)) and not alpha.holds_on(date(2024, 7, 1)) and alpha.holds_on(date(2030, 1, 1))


def test_findings_on_a_day_and_counts_per_stretch(timeline):
    customers = lambda day: sorted(e.finding.entities["customer"].id for e in timeline.at(day))  # noqa: E731
    assert customers(date(2000, 1, 1)) == ["beta-lab", "gamma-lab"]
    assert customers(date(2023, 12, 31)) == ["delta-lab", "gamma-lab"]
    assert customers(date(2024, 7, 1)) == ["beta-lab", "beta-lab", "delta-lab", "gamma-lab"]
    counts = timeline.counts()
    assert [start for start, _ in counts] == [None, *timeline.change_dates]
    single = [row["single-supplier-dependency"] for _, row in counts]
    controlled = [row["competitor-controlled-supplier"] for _, row in counts]
    # before, 2022-01-01, 2023-03-15, 2023-07-01, 2024-01-01, 2024-07-01, 2025-03-01
    assert single == [2, 3, 3, 2, 4, 3, 4]
    assert controlled == [0, 0, 0, 0, 0, 1, 1]


def test_a_graph_without_dates_holds_at_every_date():
    from kg.analysis.timeline_report import format_timeline
    from kg.vocab import KG

    undated = load_graph([DATA])
    undated.remove((None, KG.startDate, None))
    undated.remove((None, KG.endDate, None))
    result = finding_timeline(undated)
    assert result.change_dates == ()
    assert {str(p) for entry in result.findings for p in entry.periods} == {"at every date"}
    assert "the findings are the same at every date" in " ".join(format_timeline(result).split())
    from kg.render.plots import findings_over_time

    figure = findings_over_time(result)
    assert "no dated claim" in "\n".join(t.get_text() for t in figure.axes[0].texts)


def test_dates_at_the_ends_of_the_calendar_still_draw():
    from kg.render.plots import findings_over_time
    from kg.vocab import KG
    from rdflib import XSD, Literal

    graph = load_graph([DATA])
    claim = next(graph.subjects(KG.endDate, Literal("2024-06", datatype=XSD.gYearMonth)))
    graph.set((claim, KG.endDate, Literal("9999-12-30", datatype=XSD.date)))
    result = finding_timeline(graph)
    assert result.change_dates[-1] == date(9999, 12, 31)
    findings_over_time(result)


def test_library_errors_name_arguments_not_flags():
    with pytest.raises(UsageError) as error:
        finding_timeline(load_graph([DATA]), max_dates=2)
    assert "max_dates (2)" in str(error.value) and "--" not in str(error.value)


def test_public_api():
    import kg

    for name in ("finding_timeline", "FindingTimeline", "FindingHistory", "FindingPeriod", "format_timeline", "findings_over_time"):
        assert name in kg.__all__ and getattr(kg, name) is not None
    figure = kg.findings_over_time(kg.finding_timeline(kg.load_graph([DATA])))
    assert type(figure.canvas).__name__ == "FigureCanvasAgg"
    legend = figure.axes[0].get_legend()
    # stacked in pack order, the legend listing the top of the stack first; rules with no finding left out
    assert [t.get_text() for t in legend.get_texts()] == ["single-supplier-dependency", "competitor-controlled-supplier"]


def test_the_docs_show_real_output(invoke):
    """Each `$ kg timeline` example of the docs is what kg prints, but for the lines it elides with "…"."""
    from conftest import REPO

    text = (REPO / "docs" / "change.md").read_text(encoding="utf-8")
    blocks = [block.split("```")[0] for block in text.split("```text\n$ kg timeline")[1:]]
    examples = [block for block in blocks if not block.startswith(" --help")]  # the command reference is checked elsewhere
    assert len(examples) == 2
    for example in examples:
        command, *shown = example.rstrip("\n").split("\n")
        args = [str(REPO / arg) if arg.startswith("data/") else arg for arg in command.split()]
        printed = invoke("timeline", *args).stdout.splitlines()
        position = 0
        for line in shown:
            if line == "…":
                continue
            assert line in printed[position:], line
            position = printed.index(line, position) + 1
