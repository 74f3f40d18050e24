"""Results as tables: ``to_dataframe`` (pandas) and ``to_records`` (no pandas) on every kind of result, and ``%%sparql``."""

from __future__ import annotations

import builtins
import sys
from datetime import date
from decimal import Decimal

import pytest

import kg
from kg import (
    bundled_data_path,
    describe,
    diff_findings,
    find_conflicts,
    graph_stats,
    load_graph,
    owners_of,
    run_query,
    to_dataframe,
    to_records,
)

pd = pytest.importorskip("pandas")

O, DT, INT, BOOL = "object", "datetime64[s]", "Int64", "boolean"


@pytest.fixture(scope="module")
def sheet():
    return load_graph([bundled_data_path().parent / "example-sheet"])


def dtypes(frame) -> list[tuple[str, str]]:
    return [(name, str(dtype)) for name, dtype in frame.dtypes.items()]


TYPED = """SELECT ?org ?day ?n ?x ?flag ?mixed WHERE { VALUES (?org ?day ?n ?x ?flag ?mixed) {
  (<https://w3id.org/ai-compute-kg/data/atlas-holdings> "2024"^^xsd:gYear 1 1.50 true "a")
  (<https://w3id.org/ai-compute-kg/data/vega-ai> "2024-03"^^xsd:gYearMonth 2 2 false 3)
  (UNDEF "2024-03-05"^^xsd:date UNDEF UNDEF UNDEF "2024"^^xsd:gYear)
} }"""


def test_query_result_columns_and_dtypes(sheet):
    frame = to_dataframe(run_query(sheet, TYPED), labels=sheet)
    assert dtypes(frame) == [
        ("org", O), ("org_label", O), ("day", DT), ("day_precision", O), ("n", INT),
        ("x", O), ("flag", BOOL), ("mixed", O),
    ]
    assert frame["org_label"].tolist()[:2] == ["Atlas Holdings (fictional)", "Vega AI (fictional)"]
    assert frame["day_precision"].tolist() == ["year", "month", "day"]
    assert frame["day"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-05")]
    assert frame["x"].tolist()[:2] == [Decimal("1.50"), Decimal("2")]  # whole numbers among decimals are decimals
    assert frame["mixed"].tolist() == ["a", "3", "2024"]  # one kind per column: mixed values are text
    assert frame["n"].isna().tolist() == [False, False, True]


def test_query_labels_default_to_short_ids_and_ask_and_construct(sheet):
    records = to_records(run_query(sheet, TYPED))
    assert records[0]["org_label"] == "atlas-holdings"
    assert dtypes(to_dataframe(run_query(sheet, "ASK { ?s ?p ?o }"))) == [("boolean", BOOL)]
    graph = to_dataframe(run_query(sheet, "CONSTRUCT { ?s rdfs:label ?o } WHERE { ?s rdfs:label ?o } LIMIT 3"))
    assert dtypes(graph) == [("subject", O), ("subject_label", O), ("predicate", O), ("predicate_label", O), ("object", O)]


def test_findings_one_row_each(sheet):
    findings = find_conflicts(sheet, as_of="2025")
    frame = to_dataframe(findings)
    assert dtypes(frame) == [
        ("rule", O), ("title", O), ("severity", O), ("status", O), ("explanation", O),
        ("entities", O), ("entity_iris", O), ("evidence", INT),
    ]
    assert len(frame) == len(findings)
    assert frame["evidence"].tolist() == [len(f.evidence) for f in findings]


EVIDENCE = [
    ("finding", INT), ("rule", O), ("severity", O), ("finding_status", O), ("explanation", O),
    ("claim", O), ("claim_type", O), ("subject", O), ("subject_label", O), ("object", O), ("object_label", O),
    ("start", DT), ("start_precision", O), ("end", DT), ("end_precision", O),
    ("status", O), ("stage", O), ("assumed", BOOL), ("sources", O), ("source_iris", O),
]


def test_findings_exploded_one_row_per_evidence_claim(sheet):
    findings = find_conflicts(sheet, as_of="2025")
    frame = to_dataframe(findings, explode=True)
    assert dtypes(frame) == EVIDENCE
    assert len(frame) == sum(len(f.evidence) for f in findings)
    first = findings[0].evidence[0]
    row = frame.iloc[0]
    assert (row["claim"], row["subject_label"], row["status"]) == (first.claim, first.subject.label, first.status)
    assert set(frame["start_precision"].dropna()) <= {"year", "month", "day"}


def test_describe_one_row_per_claim_with_amounts_as_decimals(sheet):
    frame = to_dataframe(describe(sheet, "atlas-holdings"))
    assert dtypes(frame) == [
        ("claim", O), ("type", O), ("subject", O), ("subject_label", O), ("object", O), ("object_label", O),
        ("start", DT), ("start_precision", O), ("end", DT), ("end_precision", O), ("status", O), ("sources", O),
        ("source_iris", O), ("amount_qualifier", O), ("amount", O), ("contract_value", O), ("currency", O), ("stake", O), ("capacity_mw", O), ("accelerator", O),
        ("role", O), ("affiliation", O), ("basis", O), ("interest", O), ("stage", O), ("kind", O), ("manner", O),
        ("note", O),
    ]
    invested = frame[frame["amount"].notna()].iloc[0]
    assert (invested["amount"], invested["currency"], invested["stake"]) == (Decimal("500000000"), "USD", Decimal("20"))
    assert isinstance(invested["amount"], Decimal)


def test_owners_one_row_per_owner_with_exact_shares(sheet):
    report = owners_of(sheet, "kestrel-chips")
    frame = to_dataframe(report)
    assert dtypes(frame) == [
        ("owner", O), ("owner_label", O), ("share_low", O), ("share_high", O), ("share_exact", O),
        ("direct", BOOL), ("indirect", BOOL), ("ultimate", BOOL), ("clipped", BOOL), ("chains", INT),
    ]
    assert len(frame) == len(report.owners)
    assert all(isinstance(value, Decimal) for value in frame["share_low"])


def test_stats_long_table(sheet):
    stats = graph_stats(sheet)
    frame = to_dataframe(stats)
    assert dtypes(frame) == [("measure", O), ("name", O), ("count", INT)]
    assert frame.iloc[0].tolist()[0::2] == ["triples", stats.triples]
    assert len(frame) == 1 + len(stats.classes) + len(stats.statuses)


def test_diff_one_row_per_finding_or_per_evidence(sheet):
    diff = diff_findings(sheet, from_date="2020", to_date="2025")
    frame = to_dataframe(diff)
    assert dtypes(frame) == [
        ("change", O), ("rule", O), ("title", O), ("severity", O), ("status", O), ("explanation", O),
        ("entities", O), ("entity_iris", O), ("evidence", INT), ("since", DT), ("until", DT), ("changes", O),
    ]
    assert set(frame["change"]) <= {"new", "resolved", "changed", "unchanged"}
    assert frame["since"].notna().any()
    assert dtypes(to_dataframe(diff, explode=True)) == [("change", O), *EVIDENCE]


def test_explode_and_unknown_results_are_usage_errors(sheet):
    with pytest.raises(kg.UsageError, match="explode"):
        to_records(graph_stats(sheet), explode=True)
    with pytest.raises(kg.UsageError, match="cannot make a table of int"):
        to_records(3)


@pytest.fixture
def no_pandas(monkeypatch):
    """pandas cannot be imported, as in an install without the dataframes extra."""
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [m for m in sys.modules if m == "pandas" or m.startswith("pandas.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", refuse)


def test_records_without_pandas_are_plain_python_values(sheet, no_pandas):
    plain = (str, int, bool, Decimal, date, type(None))
    results = [
        run_query(sheet, TYPED), find_conflicts(sheet, as_of="2025"), describe(sheet, "atlas-holdings"),
        owners_of(sheet, "kestrel-chips"), graph_stats(sheet), diff_findings(sheet, from_date="2020", to_date="2025"),
    ]
    for result in results:
        records = to_records(result)
        assert records and all(type(value) in plain for record in records for value in record.values()), type(result)
    exploded = to_records(results[1], explode=True)
    assert type(exploded[0]["start"]) is date
    typed = to_records(results[0])
    assert (typed[0]["day"], typed[0]["day_precision"], typed[0]["n"], typed[0]["x"]) == (date(2024, 1, 1), "year", 1, Decimal("1.50"))
    assert "pandas" not in sys.modules


def test_to_dataframe_without_pandas_is_one_line(sheet, no_pandas):
    with pytest.raises(kg.KgError) as caught:
        to_dataframe(graph_stats(sheet))
    message = str(caught.value)
    assert "\n" not in message
    assert "pip install 'kg-compute[dataframes]'" in message


def test_sparql_cell_magic(sheet, capsys):
    shell_module = pytest.importorskip("IPython.core.interactiveshell")
    shell = shell_module.InteractiveShell.instance()
    try:
        shell.user_ns["graph"] = sheet
        shell.run_line_magic("load_ext", "kg")
        frame = shell.run_cell_magic("sparql", "graph", "SELECT ?org ?name WHERE { ?org rdfs:label ?name }")
        assert list(frame.columns) == ["org", "org_label", "name"] and len(frame) > 0
        assert (frame["org_label"] == frame["name"]).any()  # labels read from the graph
        bound = shell.run_cell_magic("sparql", "graph org=atlas-holdings", "SELECT ?name WHERE { ?org rdfs:label ?name }")
        assert bound["name"].tolist() == ["Atlas Holdings (fictional)"]
        assert shell.run_cell_magic("sparql", "graph", "SELECT ?x WHERE {") is None
        assert shell.run_cell_magic("sparql", "nothing", "SELECT * WHERE { ?s ?p ?o }") is None
        lines = capsys.readouterr().out.strip().splitlines()
        assert len(lines) == 2 and all(line.startswith("Error: ") for line in lines), lines
        assert "nothing" in lines[1]
    finally:
        shell_module.InteractiveShell.clear_instance()
