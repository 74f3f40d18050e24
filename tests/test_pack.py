"""Rule packs: the bundled pack loads as a user's does, headers are checked, a new rule is one file."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO
from graph_builder import GraphBuilder

from kg.conflicts.engine import find_conflicts
from kg.conflicts.explain import EXPLAINERS
from kg.conflicts.pack import bundled_pack_dir, load_pack, load_rules, read_rule
from kg.errors import RuleError

BUNDLED = REPO / "queries" / "conflicts"
CCS = BUNDLED / "competitor-controlled-supplier.rq"


def copy_rule(folder, source, new_id, replace=()):
    """A copy of a bundled rule file under another id, with some of its lines changed."""
    folder.mkdir(exist_ok=True)
    text = source.read_text("utf-8").replace(f"#+ id: {source.stem}", f"#+ id: {new_id}")
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    path = folder / f"{new_id}.rq"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path, fragment):
    return next(number for number, line in enumerate(path.read_text("utf-8").splitlines(), 1) if fragment in line)


def test_the_installed_pack_is_the_one_in_the_checkout():
    assert sorted(p.name for p in bundled_pack_dir().glob("*.rq")) == sorted(p.name for p in BUNDLED.glob("*.rq"))


def test_python_explainers_are_only_for_bundled_rules_that_have_a_template_too():
    rules = {rule.id: rule for rule in load_rules()}
    assert set(EXPLAINERS) <= set(rules)
    assert all(rules[rule_id].explain for rule_id in EXPLAINERS)


# --- a new rule is one file ------------------------------------------------------------------------

def test_a_copied_rule_under_a_new_id_finds_explains_and_is_listed(tmp_path, invoke):
    pack = tmp_path / "my-rules"
    copy_rule(pack, CCS, "my-rival-supplier")
    result = invoke("conflicts", "--rules", pack, "--as-of", "2026-06-30", "--format", "json")
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    mine = [f for f in findings if f["rule"] == "my-rival-supplier"]
    original = [f for f in findings if f["rule"] == "competitor-controlled-supplier"]
    assert mine and [f["entities"] for f in mine] == [f["entities"] for f in original]
    # the explanation comes from the template: the bundled rule's Python explainer is not this rule's
    assert mine[0]["explanation"] == (
        "Anthropic buys compute from SpaceX, which Elon Musk controls, while Elon Musk also controls xAI, a rival of Anthropic."
    )
    assert [e["claim"] for e in mine[0]["evidence"]] == [e["claim"] for e in original[0]["evidence"]]
    listed = invoke("conflicts", "--rules", pack, "--help")
    assert "  my-rival-supplier  " in listed.stdout
    assert "my-rival-supplier" not in invoke("conflicts", "--help").stdout


def test_a_template_names_the_intermediaries_of_a_chain(tmp_path):
    pack = tmp_path / "rules"
    copy_rule(pack, CCS, "chain-test")
    b = GraphBuilder()
    for agent, kind in [("lab", "AILab"), ("rival", "AILab"), ("cloud", "CloudProvider"), ("boss", "Person"), ("hold", "Organization")]:
        b.agent(agent, kind)
    b.contract("lab", "cloud")
    b.control("boss", "hold")
    b.control("hold", "cloud")
    b.control("boss", "rival")
    b.rivalry("lab", "rival")
    (finding,) = find_conflicts(b.graph, pack=load_pack([pack], bundled=False), as_of="2025-01-01")
    assert finding.explanation == "Lab buys compute from Cloud, which Boss controls (through Hold), while Boss also controls Rival, a rival of Lab."


def test_a_user_rule_with_a_bundled_id_replaces_it_with_a_warning(tmp_path, invoke):
    pack = tmp_path / "rules"
    source = BUNDLED / "investor-supplier-overlap.rq"
    copy_rule(pack, source, "investor-supplier-overlap", replace=[("#+ severity: medium", "#+ severity: low")])
    result = invoke("conflicts", "--rules", pack, "--rule", "investor-supplier-overlap", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Warning:" in result.stderr and "replaces the bundled rule" in result.stderr
    assert {f["severity"] for f in json.loads(result.stdout)["findings"]} == {"low"}


# --- headers are checked when the pack loads ---------------------------------------------------------

BROKEN = [
    ("unknown key", CCS, [("#+ severity: high", "#+ severity: high\n#+ sevrity: low")], "#+ sevrity", "unknown header key 'sevrity'"),
    ("role not selected", CCS, [("#+ roles: customer supplier controller rival", "#+ roles: customer supplier controller rival boss")],
     "#+ roles:", "role 'boss' is not a variable the query selects"),
    ("bad evidence spec", CCS, [("controller>rival Rivalry(customer,rival)", "controller>rival Rivalry(customer rival)")],
     "#+ evidence:", "bad evidence spec 'Rivalry(customer'"),
    ("evidence names no claim type", CCS, [("Rivalry(customer,rival)", "Rivaly(customer,rival)")],
     "#+ evidence:", "unknown claim type 'Rivaly'"),
    ("evidence names no role", CCS, [("Rivalry(customer,rival)", "Rivalry(customer,competitor)")],
     "#+ evidence:", "names 'competitor', which is not one of the roles"),
    ("placeholder is no role", CCS, [("a rival of {customer}.", "a rival of {client}.")], "a rival of {client}", "placeholder {client}"),
    ("unknown severity", CCS, [("#+ severity: high", "#+ severity: urgent")], "#+ severity", "unknown severity 'urgent'"),
    ("no explanation", BUNDLED / "single-supplier-dependency.rq",
     [("#+ explain: {customer} has a single compute supplier in force: {supplier}.\n", "")], "#+ id:", "the header lacks 'explain'"),
    ("SPARQL syntax error", CCS, [("FILTER (?rival != ?customer", "FILTER (?rival != ?customer))")], "FILTER (?rival != ?customer)", "SPARQL syntax error"),
    # Rule pack 2.0's header: kinds in evidence specs, the order of two ties, cycle rules.
    ("unknown kind", BUNDLED / "interlocking-directorate.rq", [("Affiliation[board_seat,officer](person,org)", "Affiliation[board,officer](person,org)")],
     "#+ evidence:", "unknown kind 'board' in 'Affiliation[board,officer](person,org)'; expected one of board_seat, officer, employee, advisor"),
    ("kind on a type without kinds", CCS, [("ComputeContract(customer,supplier)", "ComputeContract[market](customer,supplier)")],
     "#+ evidence:", "expected no kind for this claim type"),
    ("sequence out of range", BUNDLED / "founder-defection.rq", [("#+ sequence: 1 3", "#+ sequence: 1 7")], "#+ sequence:",
     "sequence '1 7' is not two different evidence slots between 1 and 4"),
    ("cycle lengths", BUNDLED / "circular-financing.rq", [("#+ cycles: 3 4", "#+ cycles: 2 4")], "#+ cycles:", "cycle lengths run from 3 to 5"),
    ("cycle roles", BUNDLED / "circular-financing.rq", [("#+ roles: a b c d", "#+ roles: a b c")], "#+ roles:",
     "a cycle rule has one role per payer of its longest cycle (4), not 3"),
    ("cycle query", BUNDLED / "circular-financing.rq", [("SELECT DISTINCT ?payer ?payee", "SELECT DISTINCT ?payer ?receiver"),
     ("kgr:pays ?payee", "kgr:pays ?receiver"), ("?payer != ?payee", "?payer != ?receiver")], "#+ cycles:", "selects the money edges as ?payer ?payee"),
]


@pytest.mark.parametrize("case, source, replace, where, message", BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_header_is_one_error_naming_file_and_line(tmp_path, invoke, case, source, replace, where, message):
    path = copy_rule(tmp_path / "rules", source, "broken", replace=replace)
    with pytest.raises(RuleError) as caught:
        read_rule(path)
    assert (caught.value.file, caught.value.line) == (str(path), line_of(path, where))
    assert message in str(caught.value)
    result = invoke("conflicts", "--rules", tmp_path / "rules")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}:{line_of(path, where)}: ")


def test_a_pack_folder_without_rules_or_with_two_rules_of_one_id_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match="holds no rule"):
        load_pack([tmp_path / "empty"])
    copy_rule(tmp_path / "twice", CCS, "same")
    shutil.copy(tmp_path / "twice" / "same.rq", tmp_path / "twice" / "same-again.rq")
    with pytest.raises(RuleError, match="rule id 'same' is also the id of"):
        load_pack([tmp_path / "twice"])


def test_a_rule_rdflib_cannot_run_is_one_error_naming_the_file(tmp_path, invoke):
    """Oxigraph's parser checks rule files; a query it accepts that rdflib cannot evaluate still ends in one line."""
    path = copy_rule(tmp_path / "rules", CCS, "strict", replace=[("FILTER (?rival != ?customer", "FILTER (!isTRIPLE(?rival) && ?rival != ?customer")])
    result = invoke("conflicts", "--rules", tmp_path / "rules")
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {path}: rdflib cannot run this rule")
    assert invoke("conflicts", "--rules", tmp_path / "rules", "--store", "oxigraph").exit_code == 0  # Oxigraph runs it
