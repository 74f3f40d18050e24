"""The rule catalogue of the docs: one fictional worked example per bundled rule, each giving exactly one finding.

The examples live in the repository (docs/examples/rules/<rule-id>/), not in the
installed package; the expected findings below are written by hand from each
example's rows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from kg.cli.catalogue import AS_OF, rule_catalogue
from kg.conflicts.pack import load_rules

EXAMPLES = REPO / "docs" / "examples" / "rules"
RULES = {rule.id: rule for rule in load_rules()}

#: Per rule, the ids of the entities in the finding's key roles, in the order of the rule's `key` (its roles when it has none).
EXPECTED_KEYS = {
    "circular-financing": ("basalt-silicon", "northwind-ai", "harbor-cloud"),  # a b c: the cycle from its smallest IRI
    "competitor-controlled-supplier": ("northwind-ai", "harbor-cloud", "larkspur-ai"),  # customer supplier rival
    "customer-stake-in-supplier": ("northwind-ai", "basalt-silicon"),  # customer supplier
    "founder-defection": ("mara-venn", "northwind-ai", "larkspur-ai"),  # person former rival
    "interlocking-directorate": ("dana-whitlock", "larkspur-ai", "northwind-ai"),  # person org rival (org: the smaller IRI)
    "investor-controls-rival": ("alder-capital", "northwind-ai", "larkspur-ai"),  # investor investee rival
    "investor-in-rivals": ("alder-capital", "larkspur-ai", "northwind-ai"),  # investor investee rival (investee: the smaller IRI)
    "investor-supplier-overlap": ("harbor-cloud", "northwind-ai", "harbor-cloud"),  # investor customer supplier
    "investor-supplies-rival": ("harbor-cloud", "northwind-ai", "larkspur-ai"),  # investor investee rival
    "related-party-deal": ("northwind-ai", "harbor-cloud"),  # payer payee
    "single-supplier-dependency": ("northwind-ai", "harbor-cloud"),  # customer supplier
}
FILES = ("entities.csv", "relations.csv", "sources.csv")


def command(rule_id: str) -> str:
    return f"$ kg conflicts --data docs/examples/rules/{rule_id}/ --rule {rule_id} --as-of {AS_OF}"


def read_sheet(path: Path) -> tuple[list[list[str]], list[dict[str, str]]]:
    """A sheet's comment rows (``#``) and its data rows as dicts."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        lines = [cells for cells in reader if any(cell.strip() for cell in cells)]
    comments = [cells for cells in lines if cells[0].startswith("#")]
    return comments, [dict(zip(header, cells)) for cells in lines if not cells[0].startswith("#")]


def test_every_rule_has_an_example_and_every_example_is_a_rule():
    folders = sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir())
    assert folders == sorted(RULES), "each bundled rule needs docs/examples/rules/<rule-id>/ (and nothing else may be there)"
    assert sorted(EXPECTED_KEYS) == sorted(RULES)
    for folder in folders:
        assert sorted(path.name for path in (EXAMPLES / folder).iterdir()) == sorted(FILES), folder


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("rule_id", sorted(EXPECTED_KEYS))
def test_each_example_gives_exactly_one_finding_of_its_rule(invoke, rule_id, store):
    result = invoke("conflicts", "--data", EXAMPLES / rule_id, "--rule", rule_id, "--as-of", AS_OF, "--store", store, "--format", "json")
    assert result.exit_code == 0 and result.stderr == "", result.output
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["rule"] == rule_id
    key = tuple(finding["entities"][role]["id"] for role in RULES[rule_id].key if role in finding["entities"])
    assert key == EXPECTED_KEYS[rule_id]
    for evidence in finding["evidence"]:
        assert [source["title"] for source in evidence["sources"]] == ["The Fictional Ledger (invented for kg's docs)"]


@pytest.mark.parametrize("rule_id", sorted(EXPECTED_KEYS))
def test_each_example_says_it_is_fictional_and_every_row_cites_its_source(rule_id):
    folder = EXAMPLES / rule_id
    sheets = {name: read_sheet(folder / name) for name in FILES}
    for name, (comments, rows) in sheets.items():
        assert comments and "fictional" in comments[0][0].lower(), f"{rule_id}/{name}: its comment line says the rows are fictional"
        assert rows, f"{rule_id}/{name}"
    _, entities = sheets["entities.csv"]
    assert all("fictional" in row["description"].lower() for row in entities)
    _, sources = sheets["sources.csv"]
    assert [row["id"] for row in sources] == ["fictional-ledger"] and "Fictional" in sources[0]["title"]
    _, relations = sheets["relations.csv"]
    assert 1 <= len(relations) <= 6 and 2 <= len(entities) <= 6  # tiny, as a worked example should be
    ids = {row["id"] for row in entities}
    for row in relations:
        assert row["source"] == "fictional-ledger", row
        assert {row["subject"], row["object"]} <= ids, row


@pytest.fixture(scope="module")
def catalogue() -> str:
    return rule_catalogue(EXAMPLES)


def test_the_catalogue_shows_every_rule_in_pack_order_with_its_command_and_one_finding(catalogue):
    anchors = [line.split('"')[1] for line in catalogue.splitlines() if line.startswith('<a id="')]
    assert anchors == [rule.id for rule in load_rules()]
    sections = catalogue.split('<a id="')[1:]
    for rule, section in zip(load_rules(), sections):
        assert section.startswith(f'{rule.id}"></a>\n\n## {rule.title}\n')
        assert f"| id | `{rule.id}` |" in section and rule.description in section
        assert f"```console\n{command(rule.id)}\n1 finding(s) as of {AS_OF}," in section
        assert f"{rule.severity.upper()}  {rule.id}: {rule.title} (1)" in section
        assert f"(examples/rules/{rule.id}/relations.csv)" in section


def test_the_catalogue_is_the_same_from_any_working_directory_and_names_no_absolute_path(catalogue, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert rule_catalogue(EXAMPLES) == catalogue
    assert os.getcwd() == str(tmp_path)  # the working directory is back where it was
    assert str(REPO) not in catalogue and str(tmp_path) not in catalogue


def test_the_relations_table_shows_only_the_columns_an_example_fills(catalogue):
    section = catalogue.split('<a id="single-supplier-dependency">')[1]
    assert "| subject | relation | object | start | end | status | source | note |" in section
    assert "| `northwind-ai` | `buys_compute_from` | `fjord-compute` | 2022-01 | 2025-12 | confirmed | `fictional-ledger` | Near miss:" in section


def test_a_rule_without_an_example_stops_the_catalogue(tmp_path):
    examples = tmp_path / "docs" / "examples" / "rules"
    shutil.copytree(EXAMPLES, examples)
    missing = load_rules()[-1].id
    shutil.rmtree(examples / missing)
    with pytest.raises(FileNotFoundError, match=f"no worked example for rule '{missing}'"):
        rule_catalogue(examples)
