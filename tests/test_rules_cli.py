"""A user's rule pack on the command line: ``kg rules``, ``kg rules check`` and ``--rules`` on every command that runs rules.

Every entity is fictional. The pack holds two rules: one of a new id, and a
stricter copy of a bundled one, which replaces it.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
from conftest import REPO
from graph_builder import GraphBuilder

from kg.conflicts.check import check_pack

PREFIXES = """PREFIX kg:  <https://w3id.org/ai-compute-kg/ontology#>
PREFIX kgr: <https://w3id.org/ai-compute-kg/derived#>
"""

SHARED_CONTROLLER = """#+ id: shared-controller-suppliers
#+ title: Two compute suppliers under one controller
#+ severity: medium
#+ description: An AI lab buys compute from two suppliers that one agent controls.
#+ roles: customer supplier other controller
#+ key: customer supplier other
#+ evidence: ComputeContract(customer,supplier) ComputeContract(customer,other) controller>supplier controller>other
#+ explain: {customer} buys compute from {supplier} and from {other}, and {controller}
#+   controls both.
""" + PREFIXES + """
SELECT DISTINCT ?customer ?supplier ?other ?controller
WHERE {
  ?customer kgr:buysComputeFrom ?supplier , ?other .
  FILTER (STR(?supplier) < STR(?other) && ?customer != ?supplier && ?customer != ?other)
  ?controller kgr:controls ?supplier , ?other .
  FILTER EXISTS { ?customer a kg:AILab }
  FILTER NOT EXISTS { ?controller kgr:controls ?customer }
}
"""

# Stricter than the bundled rule of this id: medium, not low, in the house's own words.
SINGLE_SUPPLIER = """#+ id: single-supplier-dependency
#+ title: AI lab with no second source of compute
#+ severity: medium
#+ roles: customer supplier
#+ evidence: ComputeContract(customer,supplier)
#+ explain: {customer} has no second source of compute: it all comes from {supplier}.
""" + PREFIXES + """
SELECT ?customer (SAMPLE(?someSupplier) AS ?supplier)
WHERE {
  ?customer kgr:buysComputeFrom ?someSupplier .
  FILTER EXISTS { ?customer a kg:AILab }
}
GROUP BY ?customer
HAVING (COUNT(DISTINCT ?someSupplier) = 1)
"""

SHARED_EXPLANATION = "Nova Lab buys compute from Helio Cloud and from Terra Compute, and Crux Capital controls both."
SINGLE_EXPLANATION = "Pike Labs has no second source of compute: it all comes from Helio Cloud."
AS_OF = ("--as-of", "2026-06-30")


@pytest.fixture
def pack(tmp_path):
    folder = tmp_path / "house-rules"
    folder.mkdir()
    (folder / "shared-controller-suppliers.rq").write_text(SHARED_CONTROLLER, encoding="utf-8")
    (folder / "single-supplier-dependency.rq").write_text(SINGLE_SUPPLIER, encoding="utf-8")
    return folder


@pytest.fixture
def market(tmp_path):
    """Nova Lab's two suppliers answer to Crux Capital (a control claim, a 60% ownership); Pike Labs has one
    supplier; Quill Labs has two that nobody controls together."""
    b = GraphBuilder()
    for lab in ("nova-lab", "pike-labs", "quill-labs"):
        b.agent(lab, "AILab")
    b.agent("helio-cloud", "CloudProvider")
    b.agent("terra-compute", "ComputeProvider")
    b.agent("zephyr-grid", "ComputeProvider")
    b.agent("crux-capital", "Investor")
    b.contract("nova-lab", "helio-cloud", claim_id="nova-helio")
    b.contract("nova-lab", "terra-compute", claim_id="nova-terra")
    b.control("crux-capital", "helio-cloud", claim_id="crux-helio")
    b.ownership("crux-capital", "terra-compute", share={"exact": 60}, claim_id="crux-terra")
    b.contract("pike-labs", "helio-cloud", claim_id="pike-helio")
    b.contract("quill-labs", "helio-cloud", claim_id="quill-helio")
    b.contract("quill-labs", "zephyr-grid", claim_id="quill-zephyr")
    path = tmp_path / "market.ttl"
    b.graph.serialize(path, format="turtle")
    return path


def findings_of(result) -> list[tuple]:
    assert result.exit_code == 0, result.output
    return [
        (f["rule"], f["severity"], {role: e["id"] for role, e in f["entities"].items()}, f["explanation"])
        for f in json.loads(result.stdout)["findings"]
    ]


# --- kg conflicts --rules ----------------------------------------------------------------------------


def test_conflicts_runs_a_new_rule_and_a_replaced_one_with_their_own_explanations(invoke, pack, market):
    result = invoke("conflicts", "--rules", pack, "--data", market, *AS_OF, "--format", "json")
    assert findings_of(result) == [
        (
            "shared-controller-suppliers",
            "medium",
            {"customer": "nova-lab", "supplier": "helio-cloud", "other": "terra-compute", "controller": "crux-capital"},
            SHARED_EXPLANATION,
        ),
        ("single-supplier-dependency", "medium", {"customer": "pike-labs", "supplier": "helio-cloud"}, SINGLE_EXPLANATION),
    ]
    evidence = [e["claim"].rsplit("/", 1)[-1] for e in json.loads(result.stdout)["findings"][0]["evidence"]]
    assert evidence == ["nova-helio", "nova-terra", "crux-helio", "crux-terra"]
    assert "Warning:" in result.stderr and "rule 'single-supplier-dependency' replaces the bundled rule" in result.stderr


def test_without_the_pack_only_the_bundled_rules_run(invoke, market):
    assert findings_of(invoke("conflicts", "--data", market, *AS_OF, "--format", "json")) == [
        (
            "single-supplier-dependency",
            "low",
            {"customer": "pike-labs", "supplier": "helio-cloud"},
            "Pike Labs has a single compute supplier in force: Helio Cloud.",
        )
    ]


def test_a_user_rule_reads_control_as_the_threshold_says_on_both_stores(invoke, pack, market):
    """The 60% ownership is control at 50 (the default), not at 70; Oxigraph finds what rdflib finds."""
    for store in ("memory", "oxigraph"):
        found = findings_of(invoke("conflicts", "--rules", pack, "--data", market, *AS_OF, "--format", "json", "--store", store))
        assert [f[0] for f in found] == ["shared-controller-suppliers", "single-supplier-dependency"], store
    stricter = invoke("conflicts", "--rules", pack, "--data", market, *AS_OF, "--format", "json", "--control-threshold", "70")
    assert [f[0] for f in findings_of(stricter)] == ["single-supplier-dependency"]


def test_the_table_shows_the_user_rule_with_its_title_and_evidence(invoke, pack, market):
    result = invoke("conflicts", "--rules", pack, "--data", market, *AS_OF, "--rule", "shared-controller-suppliers")
    assert result.exit_code == 0, result.output
    assert "MEDIUM  shared-controller-suppliers: Two compute suppliers under one controller (1)" in result.stdout
    assert "Crux Capital owns part of Terra Compute [reported]" in result.stdout


# --- --rules on viz and analyze ----------------------------------------------------------------------


def test_viz_highlights_the_findings_of_the_user_rules(invoke, pack, market, tmp_path):
    page = tmp_path / "graph.html"
    result = invoke("viz", "-o", page, "--rules", pack, "--data", market, *AS_OF)
    assert result.exit_code == 0, result.output
    assert "(7 nodes, 7 claims, 2 finding(s))" in result.stderr
    html = page.read_text("utf-8")
    assert SHARED_EXPLANATION in html and SINGLE_EXPLANATION in html
    bundled_only = invoke("viz", "-o", page, "--data", market, *AS_OF)
    assert "(7 nodes, 7 claims, 1 finding(s))" in bundled_only.stderr
    assert SHARED_EXPLANATION not in page.read_text("utf-8")


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_analyze_finds_brokers_on_the_user_rules_evidence(invoke, pack, market, store):
    """The evidence graph: Nova–Helio, Nova–Terra, Crux–Helio, Crux–Terra (a square) and Pike–Helio.

    Betweenness, by hand: Helio lies on every path from Pike (1 + 1 + 1/2 to Terra,
    which two paths reach) and on one of two from Nova to Crux (1/2): 3.5; Nova and
    Crux each on half the paths Pike–Terra and Helio–Terra: 1; Terra on half of
    Nova–Crux: 0.5; Pike on none.
    """
    result = invoke("analyze", "--rules", pack, "--data", market, *AS_OF, "--format", "json", "--store", store)
    assert result.exit_code == 0, result.output
    brokers = [(b["agent"]["label"], b["betweenness"], b["findings"]) for b in json.loads(result.stdout)["brokers"]]
    assert brokers == [("Helio Cloud", 3.5, 2), ("Crux Capital", 1, 1), ("Nova Lab", 1, 1), ("Terra Compute", 0.5, 1), ("Pike Labs", 0, 1)]
    bundled_only = json.loads(invoke("analyze", "--data", market, *AS_OF, "--format", "json", "--store", store).stdout)
    assert [(b["agent"]["label"], b["betweenness"]) for b in bundled_only["brokers"]] == [("Helio Cloud", 0), ("Pike Labs", 0)]


# --- kg rules: the rules in force ----------------------------------------------------------------


def test_rules_lists_the_bundled_pack_with_key_roles_marked(invoke):
    result = invoke("rules")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()[2:13]]
    assert rows[0] == ["competitor-controlled-supplier", "high", "customer*", "supplier*", "controller", "rival*", "bundled"]
    assert rows[-1] == ["single-supplier-dependency", "low", "customer*", "supplier*", "bundled"]
    assert result.stdout.rstrip().endswith("* a key role: one finding per distinct set of key roles' entities.")


def test_rules_with_a_pack_shows_each_rule_s_origin_and_warns_of_the_replacement(invoke, pack):
    result = invoke("rules", "--rules", pack)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[2:] if line and not line.startswith("*")}
    assert rows["shared-controller-suppliers"] == ["shared-controller-suppliers", "medium", "customer*", "supplier*", "other*", "controller", str(pack)]
    assert rows["single-supplier-dependency"] == ["single-supplier-dependency", "medium", "customer*", "supplier*", str(pack)]
    assert rows["founder-defection"][-1] == "bundled"
    assert len(rows) == 12  # eleven bundled rules, one replaced, and one new
    assert result.stderr == (
        f"Warning: {pack / 'single-supplier-dependency.rq'}: rule 'single-supplier-dependency' replaces the bundled rule of that id\n"
    )


def test_rules_as_json(invoke, pack):
    document = json.loads(invoke("rules", "--rules", pack, "--format", "json").stdout)
    mine = next(rule for rule in document if rule["id"] == "shared-controller-suppliers")
    assert mine == {
        "id": "shared-controller-suppliers",
        "title": "Two compute suppliers under one controller",
        "severity": "medium",
        "description": "An AI lab buys compute from two suppliers that one agent controls.",
        "roles": ["customer", "supplier", "other", "controller"],
        "key": ["customer", "supplier", "other"],
        "origin": str(pack),
        "path": str(pack / "shared-controller-suppliers.rq"),
    }
    assert [rule["severity"] for rule in document] == sorted((r["severity"] for r in document), key=["high", "medium", "low"].index)


# --- kg rules check --------------------------------------------------------------------------------


BROKEN = {
    # file -> (text, line of the error, what the message says)
    "a-unknown-key.rq": (
        "#+ id: a-unknown-key\n#+ title: t\n#+ severity: low\n#+ roles: customer supplier\n"
        "#+ evidence: ComputeContract(customer,supplier)\n#+ explain: {customer} buys from {supplier}.\n"
        "#+ owner: compliance team\n" + PREFIXES + "SELECT ?customer ?supplier WHERE { ?customer kgr:buysComputeFrom ?supplier }\n",
        7,
        "unknown header key 'owner'",
    ),
    "b-role-not-selected.rq": (
        "#+ id: b-role-not-selected\n#+ title: t\n#+ severity: low\n#+ roles: customer supplier controller\n"
        "#+ evidence: ComputeContract(customer,supplier)\n#+ explain: {customer} buys from {supplier}.\n"
        + PREFIXES + "SELECT ?customer ?supplier WHERE { ?customer kgr:buysComputeFrom ?supplier }\n",
        4,
        "role 'controller' is not a variable the query selects (?customer, ?supplier)",
    ),
    "c-placeholder-no-role.rq": (
        "#+ id: c-placeholder-no-role\n#+ title: t\n#+ severity: low\n#+ roles: customer supplier\n"
        "#+ evidence: ComputeContract(customer,supplier)\n#+ explain: {customer} buys compute\n#+   from {vendor}.\n"
        + PREFIXES + "SELECT ?customer ?supplier WHERE { ?customer kgr:buysComputeFrom ?supplier }\n",
        7,
        "placeholder {vendor} is no role or evidence chain (customer, supplier)",
    ),
}


def test_check_passes_a_sound_pack_with_one_line_per_rule(invoke, pack):
    result = invoke("rules", "check", pack)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"ok  {pack / 'shared-controller-suppliers.rq'}  shared-controller-suppliers (medium)",
        f"ok  {pack / 'single-supplier-dependency.rq'}  single-supplier-dependency (medium, replaces the bundled rule)",
        "2 rule(s) checked (header, and one run on rdflib and on Oxigraph): no error.",
    ]
    assert result.stderr == ""


def test_check_reports_every_broken_file_with_its_line_not_only_the_first(invoke, pack):
    for name, (text, _, _) in BROKEN.items():
        (pack / name).write_text(text, encoding="utf-8")
    result = invoke("rules", "check", pack)
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    for error, (name, (_, line, message)) in zip(errors, sorted(BROKEN.items())):
        assert error.startswith(f"Error: {pack / name}:{line}: "), error
        assert message in error
    assert result.stdout.splitlines() == [
        f"ok  {pack / 'shared-controller-suppliers.rq'}  shared-controller-suppliers (medium)",
        f"ok  {pack / 'single-supplier-dependency.rq'}  single-supplier-dependency (medium, replaces the bundled rule)",
        "5 rule file(s) checked (header, and one run on rdflib and on Oxigraph): 3 with an error.",
    ]


def test_check_runs_each_rule_on_rdflib_and_names_the_file_rdflib_cannot_run(invoke, tmp_path):
    """Oxigraph's parser accepts isTRIPLE (SPARQL-star); rdflib cannot run it: the file is named, with no line."""
    folder = tmp_path / "star"
    folder.mkdir()
    path = folder / "star.rq"
    path.write_text(SHARED_CONTROLLER.replace("#+ id: shared-controller-suppliers", "#+ id: star").replace(
        "FILTER EXISTS { ?customer a kg:AILab }", "FILTER (!isTRIPLE(?customer))"), encoding="utf-8")
    result = invoke("rules", "check", folder)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: rdflib cannot run this rule: ") and result.stderr.count("\n") == 1
    assert result.stdout.splitlines() == ["1 rule file(s) checked (header, and one run on rdflib and on Oxigraph): 1 with an error."]


def test_check_refuses_to_run_a_rule_that_reaches_beyond_the_graph(invoke, tmp_path):
    folder = tmp_path / "remote"
    folder.mkdir()
    path = folder / "remote.rq"
    path.write_text(SINGLE_SUPPLIER.replace("#+ id: single-supplier-dependency", "#+ id: remote").replace(
        "?customer kgr:buysComputeFrom ?someSupplier .", "SERVICE <http://127.0.0.1:9/sparql> { ?customer kgr:buysComputeFrom ?someSupplier }"),
        encoding="utf-8")
    line = next(n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "SERVICE" in text)
    message = f"Error: {path}:{line}: a rule reads the kgr: edges kg derives; SERVICE would reach beyond them, so the rule is refused\n"
    result = invoke("rules", "check", folder)
    assert result.exit_code == 2
    assert result.stderr == message
    result = invoke("conflicts", "--rules", folder)  # refused when the pack loads: nothing is run, nothing reached
    assert result.exit_code == 2 and result.stderr == message


def test_check_names_two_files_of_one_id_across_folders_and_a_missing_folder(invoke, pack, tmp_path):
    other = tmp_path / "more-rules"
    other.mkdir()
    (other / "again.rq").write_text(SHARED_CONTROLLER, encoding="utf-8")
    result = invoke("rules", "check", pack, other, tmp_path / "nowhere")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {other / 'again.rq'}: rule id 'shared-controller-suppliers' is also the id of {pack / 'shared-controller-suppliers.rq'}",
        f"Error: {tmp_path / 'nowhere'}: no such folder of rules",
    ]


def test_check_pack_gives_the_library_every_verdict(pack):
    (pack / "a-unknown-key.rq").write_text(BROKEN["a-unknown-key.rq"][0], encoding="utf-8")
    verdicts = check_pack([pack])
    assert [(v.path.name, v.ok, v.replaces_bundled) for v in verdicts] == [
        ("a-unknown-key.rq", False, False),
        ("shared-controller-suppliers.rq", True, False),
        ("single-supplier-dependency.rq", True, True),
    ]
    assert (verdicts[0].error.file, verdicts[0].error.line, verdicts[0].rule) == (str(pack / "a-unknown-key.rq"), 7, None)
    assert verdicts[1].rule.origin == str(pack)


def test_check_needs_a_folder(invoke):
    result = invoke("rules", "check")
    assert result.exit_code == 2 and "Missing argument 'DIR...'" in result.stderr


# --- the docs' walk-through is what kg prints ----------------------------------------------------


def test_the_walk_through_prints_what_the_page_shows(invoke, tmp_path, monkeypatch):
    """Write the files the page shows, run each `$ kg ...` it shows, and compare the output, line for line."""
    section = (REPO / "docs" / "writing-rules.md").read_text("utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    files = re.findall(r"^`([\w./-]+)`:\n\n```\w*\n(.*?)```", section, re.S | re.M)
    assert [name for name, _ in files] == ["rules-sheet/entities.csv", "rules-sheet/relations.csv", "my-rules/shared-controller-suppliers.rq"]
    for name, content in files:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    runs = re.findall(r"```text\n\$ kg ([^\n]*)\n(.*?)```", section, re.S)
    assert [shlex.split(command)[0] for command, _ in runs] == ["rules", "rules", "conflicts"]
    for command, shown in runs:
        result = invoke(*shlex.split(command))
        assert result.exit_code == 0, result.output
        assert result.output.rstrip() == shown.rstrip(), command
