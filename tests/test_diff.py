"""kg diff: findings new, resolved or changed between two dates, two versions of the data, or both.

The expectations are written by hand from the data: the bundled example, and
fictional labs and clouds built here.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from graph_builder import GraphBuilder
from rdflib import RDF, BNode, Literal

from kg import diff_findings, format_diff
from kg.vocab import DCTERMS_TITLE, KG, SOURCE, STATUS_IRIS

DATA = "https://w3id.org/ai-compute-kg/data/"
TO = "2025-01-01"


def _add_source(builder: GraphBuilder, claim, slug: str, title: str, status: str = "reported") -> None:
    """A second attestation of ``claim``, from its own titled source."""
    source = SOURCE[slug]
    builder.graph.add((source, RDF.type, KG.Source))
    builder.graph.add((source, DCTERMS_TITLE, Literal(title)))
    attestation = BNode()
    builder.graph.add((claim, KG.attestation, attestation))
    builder.graph.add((attestation, RDF.type, KG.Attestation))
    builder.graph.add((attestation, KG.source, source))
    builder.graph.add((attestation, KG.status, STATUS_IRIS[status]))


def _version(later: bool, *, new_lab: bool = True) -> GraphBuilder:
    """Three fictional labs, each with one cloud; the later version ends lab A's contract (June 2024),
    adds a source to lab C's, and adds a contract for a new lab D."""
    b = GraphBuilder()
    for lab in ("lab-a", "lab-c", "lab-d"):
        b.agent(lab, "AILab")
    for cloud in ("cloud-x", "cloud-y"):
        b.agent(cloud, "CloudProvider")
    b.contract("lab-a", "cloud-x", claim_id="a-x", end="2024-06" if later else None)
    contract = b.contract("lab-c", "cloud-y", claim_id="c-y")
    if later:
        _add_source(b, contract, "trade-press", "Trade Press")
        if new_lab:
            b.contract("lab-d", "cloud-x", claim_id="d-x")
    return b


@pytest.fixture
def versions(tmp_path):
    """(base folder, later folder): the two versions of the fixture as Turtle files."""
    folders = []
    for name, later in (("last-week", False), ("today", True)):
        folder = tmp_path / name
        folder.mkdir()
        _version(later).graph.serialize(folder / "data.ttl", format="turtle")
        folders.append(folder)
    return tuple(folders)


def _ids(findings) -> list[tuple]:
    return [tuple(ref.removeprefix(DATA) for ref in finding.identity) for finding in findings]


# The bundled data: two dates of the same data


def test_bundled_data_from_2019_adds_the_amodeis_defection_to_anthropic_from_2021(bundled_graph):
    # The only dated claims are the Amodeis' foundings of Anthropic ("2021"): from 2021-01-01 on, each of
    # them worked for OpenAI, departed it and founded its rival. The findings around xAI (Musk's
    # defection from OpenAI, Anthropic buying from Musk's SpaceX while Musk controls xAI) and AWS are
    # undated: they hold at both dates, unchanged.
    result = diff_findings(bundled_graph, from_date="2019", to_date="2026-06-30")
    assert (result.from_as_of, result.to_as_of) == (date(2019, 12, 31), date(2026, 6, 30))
    assert _ids(result.new) == [
        ("founder-defection", "daniela-amodei", "openai", "anthropic"),
        ("founder-defection", "dario-amodei", "openai", "anthropic"),
    ]
    assert [result.since[finding.identity] for finding in result.new] == [date(2021, 1, 1)] * 2
    assert result.resolved == () and result.changed == ()
    assert sorted(_ids(result.unchanged)) == [
        ("competitor-controlled-supplier", "anthropic", "spacex", "xai"),
        ("founder-defection", "elon-musk", "openai", "xai"),
        ("investor-supplier-overlap", "aws", "anthropic", "aws"),
    ]


def test_bundled_data_cli_lists_the_new_findings_with_their_day(invoke):
    result = invoke("diff", "--from", "2019", "--to", "2026-06-30")
    assert result.exit_code == 0
    assert "2 new, 0 resolved, 0 changed, 3 unchanged." in result.stdout
    assert result.stdout.count("founder-defection [reported, since 2021-01-01]") == 2
    assert "Dario Amodei worked for OpenAI, departed it, and founded Anthropic" in " ".join(result.stdout.split())
    before_2021 = invoke("diff", "--from", "2019", "--to", "2020-12-31", "--fail-on-new")
    assert before_2021.exit_code == 0 and "0 new, 0 resolved, 0 changed, 3 unchanged." in before_2021.stdout


# Two versions of the data


def test_two_versions_give_one_new_one_resolved_and_one_changed_finding(versions):
    base, today = versions
    result = diff_findings(_load(today), _load(base), to_date=TO)
    assert _ids(result.new) == [("single-supplier-dependency", "lab-d", "cloud-x")]
    assert _ids(result.resolved) == [("single-supplier-dependency", "lab-a", "cloud-x")]
    (changed,) = result.changed
    assert _ids([changed.finding]) == [("single-supplier-dependency", "lab-c", "cloud-y")]
    assert changed.changes == ("evidence: +1 source on Lab C buys compute from Cloud Y (Trade Press)",)
    assert len(changed.finding.evidence[0].sources) == 2 and len(changed.before.evidence[0].sources) == 1
    assert result.unchanged == ()
    # One day, two versions: no day of change to give; the data made every difference.
    assert (result.from_as_of, result.since, result.until) == (date(2025, 1, 1), {}, {})


def test_versions_and_dates_together_date_what_the_dates_explain(versions):
    # From 2020 to 2025 across the versions: lab A's contract ends in June 2024 in the later data, so its
    # finding held until 2024-06-30; lab D's contract is undated, so the data alone made its finding new.
    base, today = versions
    result = diff_findings(_load(today), _load(base), from_date="2020", to_date=TO)
    assert result.until == {result.resolved[0].identity: date(2024, 6, 30)}
    assert result.since == {}


def test_cli_json_document_has_the_documented_shape(invoke, versions):
    base, today = versions
    result = invoke("diff", "--base", base, "--data", today, "--to", TO, "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert list(document) == [
        "from", "to", "min_status", "min_stage", "control_threshold", "new", "resolved", "changed", "unchanged",
    ]
    assert document["from"] == {"as_of": "2025-01-01", "data": [str(base)]}
    assert document["to"] == {"as_of": "2025-01-01", "data": [str(today)]}
    (new,), (resolved,), (changed,) = document["new"], document["resolved"], document["changed"]
    assert new["entities"]["customer"]["id"] == "lab-d" and new["since"] is None
    assert resolved["entities"]["customer"]["id"] == "lab-a" and resolved["until"] is None
    assert list(changed) == ["finding", "before", "changes"]
    assert changed["changes"] == ["evidence: +1 source on Lab C buys compute from Cloud Y (Trade Press)"]
    # Findings as kg conflicts --format json gives them (plus since / until on new and resolved ones).
    conflicts = json.loads(invoke("conflicts", "--data", today, "--as-of", TO, "--format", "json").stdout)["findings"]
    assert {json.dumps(f, sort_keys=True) for f in conflicts} >= {
        json.dumps(changed["finding"], sort_keys=True),
        json.dumps({k: v for k, v in new.items() if k != "since"}, sort_keys=True),
    }
    assert document["unchanged"] == 0


def test_cli_markdown_and_csv_name_each_change(invoke, versions):
    base, today = versions
    markdown = invoke("diff", "--base", base, "--data", today, "--to", TO, "--format", "md").stdout
    assert markdown.startswith("# What changed: 2025-01-01 → 2025-01-01")
    assert "## New (1)" in markdown and "## Resolved (1)" in markdown and "## Changed (1)" in markdown
    assert "  - evidence: +1 source on Lab C buys compute from Cloud Y \\(Trade Press\\)" in markdown
    rows = invoke("diff", "--base", base, "--data", today, "--to", TO, "--format", "csv").stdout.splitlines()
    assert rows[0] == "change,date,rule,severity,status,entities,explanation,changes,evidence,sources,source_titles"
    assert [row.split(",")[0] for row in rows[1:]] == ["new", "resolved", "changed"]


# Two dates of fictional data


def _dated() -> GraphBuilder:
    """Lab E buys from cloud Z from March 2022 to June 2024; lab F from cloud W, reported and undated,
    and again under a confirmed contract from 2024."""
    b = GraphBuilder()
    for lab in ("lab-e", "lab-f"):
        b.agent(lab, "AILab")
    b.contract("lab-e", "cloud-z", claim_id="e-z", start="2022-03", end="2024-06")
    b.contract("lab-f", "cloud-w", claim_id="f-w-old")
    b.contract("lab-f", "cloud-w", claim_id="f-w-new", start="2024", status="confirmed")
    return b


@pytest.mark.parametrize(
    "from_date, to_date, new, resolved",
    [
        ("2021", "2023", {"lab-e": date(2022, 3, 1)}, {}),
        ("2023", "2025", {}, {"lab-e": date(2024, 6, 30)}),
        ("2021", "2025", {}, {}),  # began and ended in between: neither new nor resolved
    ],
)
def test_between_two_dates_new_and_resolved_findings_carry_their_day(from_date, to_date, new, resolved):
    result = diff_findings(_dated().graph, from_date=from_date, to_date=to_date)
    assert {f.entities["customer"].id: result.since[f.identity] for f in result.new} == new
    assert {f.entities["customer"].id: result.until[f.identity] for f in result.resolved} == resolved


def test_a_finding_whose_evidence_gains_a_claim_is_changed_not_new():
    result = diff_findings(_dated().graph, from_date="2023", to_date="2025")
    (changed,) = result.changed
    assert changed.finding.entities["customer"].id == "lab-f"
    assert changed.changes == ("status reported → confirmed", "evidence gained: Lab F buys compute from Cloud W [confirmed, 2024–…]")


def test_a_finding_that_loses_a_claim_or_a_source_says_so(versions):
    later = GraphBuilder()
    later.agent("lab-f", "AILab")
    later.contract("lab-f", "cloud-w", claim_id="f-w-new", start="2024", status="confirmed")
    (changed,) = diff_findings(later.graph, _dated().graph, to_date="2025").changed
    assert changed.changes == ("evidence lost: Lab F buys compute from Cloud W [reported]",)  # still confirmed
    base, today = versions
    reverse = diff_findings(_load(base), _load(today), to_date=TO)  # the later version as the base
    assert _ids(reverse.new) == [("single-supplier-dependency", "lab-a", "cloud-x")]
    assert _ids(reverse.resolved) == [("single-supplier-dependency", "lab-d", "cloud-x")]
    assert reverse.changed[0].changes == ("evidence: -1 source on Lab C buys compute from Cloud Y (Trade Press)",)


def test_blank_node_claims_are_matched_by_what_they_say_across_two_loads(tmp_path):
    # rdflib names a file's blank nodes afresh at each load: the same claim must not read as lost and gained.
    text = """@prefix kg: <https://w3id.org/ai-compute-kg/ontology#> .
@prefix d: <https://w3id.org/ai-compute-kg/data/> .
d:lab-g a kg:AILab .
[] a kg:ComputeContract ; kg:customer d:lab-g ; kg:supplier d:cloud-v ;
   kg:attestation [ a kg:Attestation ; kg:source d:source-1 ; kg:status kg:Reported ] .
"""
    (tmp_path / "a.ttl").write_text(text, encoding="utf-8")
    (tmp_path / "b.ttl").write_text(text.replace("kg:Reported", "kg:Confirmed"), encoding="utf-8")
    same = diff_findings(_load(tmp_path / "a.ttl"), _load(tmp_path / "a.ttl"), to_date=TO)
    assert not same and len(same.unchanged) == 1
    (changed,) = diff_findings(_load(tmp_path / "b.ttl"), _load(tmp_path / "a.ttl"), to_date=TO).changed
    assert changed.changes == ("status reported → confirmed", "evidence: lab-g buys compute from cloud-v reported → confirmed")


# --fail-on-new and bad input


def test_fail_on_new_exits_1_when_something_is_new_and_0_otherwise(invoke, versions, tmp_path):
    base, today = versions
    assert invoke("diff", "--base", base, "--data", today, "--to", TO, "--fail-on-new").exit_code == 1
    assert invoke("diff", "--base", base, "--data", today, "--to", TO).exit_code == 0  # without the flag
    # Something resolved and something changed, nothing new: 0.
    no_new_lab = tmp_path / "no-new-lab.ttl"
    _version(True, new_lab=False).graph.serialize(no_new_lab, format="turtle")
    quiet = invoke("diff", "--base", base, "--data", no_new_lab, "--to", TO, "--fail-on-new")
    assert quiet.exit_code == 0 and "0 new, 1 resolved, 1 changed, 0 unchanged." in quiet.stdout
    assert invoke("diff", "--base", base, "--data", base, "--to", TO, "--fail-on-new").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2025", "--to", "2024"], "Error: --from 2025-12-31 is after --to 2024-12-31"),
        (["--from", "last week"], "Error: invalid --from date 'last week'; expected YYYY, YYYY-MM or YYYY-MM-DD"),
        (["--from", "2019", "--to", "2019-02-30"], "Error: invalid --to date '2019-02-30'"),
        (["--base", "{tmp}/no-such-folder"], "Error: {tmp}/no-such-folder: no such file or folder"),
        ([], "Error: nothing to compare: give --from, --base, or both"),
        (["--from", "2019", "--min-status", "likely"], "Error: unknown --min-status 'likely'"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(runner, tmp_path, args, message):
    from kg.cli import cli

    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result = runner.invoke(cli, ["diff", *args, "--fail-on-new"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(message.replace("{tmp}", str(tmp_path)))
    assert result.stdout == ""


# Backends


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2019", "--to", "2026-06-30"],
        ["--base", "{base}", "--data", "{today}", "--from", "2020", "--to", TO],
    ],
    ids=["bundled-dates", "fixture-versions"],
)
def test_rdflib_and_oxigraph_give_the_same_diff(invoke, versions, args):
    base, today = versions
    args = [arg.replace("{base}", str(base)).replace("{today}", str(today)) for arg in args]
    memory = invoke("diff", *args, "--format", "json")
    oxigraph = invoke("diff", *args, "--format", "json", "--store", "oxigraph")
    assert memory.exit_code == oxigraph.exit_code == 0
    assert json.loads(memory.stdout) == json.loads(oxigraph.stdout)
    document = json.loads(memory.stdout)
    assert document["new"] or document["resolved"]  # the comparison compared something


def test_library_diff_formats_as_the_cli_does(bundled_graph):
    result = diff_findings(bundled_graph, from_date="2019", to_date="2026-06-30")
    assert bool(result)
    text = format_diff(result, "table", from_data=["bundled example"], to_data=["bundled example"])
    assert text.splitlines()[:2] == ["From: as of 2019-12-31, bundled example", "To:   as of 2026-06-30, bundled example"]


def _load(folder):
    from kg import load_graph

    return load_graph([folder])
