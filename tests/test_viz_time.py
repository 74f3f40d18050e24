"""``kg viz`` over time: what the page draws on each date of its slider, its layers, its search box.

The page's answers are checked against the library's own at the same date: the claims in
force as kg.derive reads them (``claim_states``) and the findings of ``find_conflicts``
(and ``kg conflicts --as-of``). The fixture is a fictional market of 40 agents and about
150 dated claims (tests/fixtures/viz/make_fictional_40.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from test_viz import PageWatch, embedded

from kg.analysis.history import change_dates
from kg.backends.open import as_backend, open_backend
from kg.conflicts.engine import find_conflicts
from kg.derive import claim_states
from kg.entities import short_id
from kg.io.load import load_graph
from kg.vocab import KG

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "viz"
FORTY = FIXTURES / "fictional-40"
AS_OF = "2025-06-30"
#: Claim types drawn once begun even after they end, as the rules read them.
ONCE_BEGUN = {KG.Affiliation, KG.Founding, KG.Departure}


@pytest.fixture(scope="module")
def forty():
    return load_graph([FORTY])


@pytest.fixture(scope="module")
def forty_page(forty):
    from kg.render.viz import render_html

    return render_html(forty, as_of=AS_OF)


def drawn_on(graph, day) -> set[str]:
    """The claims in force on ``day`` (or begun, for people's ties), as the page's edge ids."""
    states = claim_states(as_backend(graph), as_of=day, min_status="rumored")
    return {short_id(s.iri) for s in states if s.holds or (s.begun and s.cls in ONCE_BEGUN)}


def edges_at(html: str, stop: int) -> set[str]:
    return {e["id"] for e in embedded(html, "edges") if any(a <= stop <= b for a, b in e["at"])}


def identities_at(html: str, stop: int) -> list[tuple]:
    kg = embedded(html, "kg")
    return [tuple(kg["findings"][n]["identity"]) for n in kg["stops"][stop]["findings"]]


# --- the fixture -------------------------------------------------------------------------------


def test_the_fixture_is_what_its_script_writes_and_is_a_40_agent_market(forty):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fictional_40", FIXTURES / "make_fictional_40.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.files().items():
        assert (FORTY / name).read_text("utf-8") == text, f"run tests/fixtures/viz/make_fictional_40.py ({name})"
    from kg.render.view import _read_agents, _read_claims

    agents = _read_agents(forty)
    assert len(agents) == 40 and all("(fictional)" in a.label for a in agents.values())
    assert 140 <= len(_read_claims(forty, agents)) <= 160
    # Findings appear and disappear over time.
    counts = [len(find_conflicts(forty, as_of=day)) for day in ("2018-06-30", "2021-06-30", "2024-06-30", "2027-06-30")]
    assert counts[0] < counts[1] < counts[2] and counts[3] < counts[2]


# --- the page as data --------------------------------------------------------------------------


def test_as_of_draws_only_the_claims_in_force_that_day(forty):
    from kg.render.viz import render_html

    html = render_html(forty, as_of="2021-06-30")
    kg = embedded(html, "kg")
    assert kg["stops"][kg["start"]]["date"] == "2021-06-30"
    drawn = edges_at(html, kg["start"])
    assert drawn == drawn_on(forty, date(2021, 6, 30))
    assert "claim/cinder-ai-buys-compute-from-lumen-cloud" not in drawn  # begins 2024-04: on the page, not drawn
    assert "claim/cinder-ai-buys-compute-from-lumen-cloud" in {e["id"] for e in embedded(html, "edges")}
    # Every finding of that day has its evidence drawn (the complaint of issue 18: six of twelve had none).
    for n in kg["stops"][kg["start"]]["findings"]:
        assert set(kg["findings"][n]["edges"]) <= drawn and kg["findings"][n]["edges"]
    assert not any("no evidence" in note for note in kg["notes"])


def test_bundled_graph_before_its_first_claim_draws_only_undated_claims_and_names_no_missing_evidence(bundled_graph, invoke, tmp_path):
    out = tmp_path / "g.html"
    result = invoke("viz", "-o", out, "--as-of", "2020")
    assert result.exit_code == 0, result.output
    assert "no evidence among the claims drawn" not in result.stderr
    html = out.read_text("utf-8")
    kg = embedded(html, "kg")
    assert edges_at(html, kg["start"]) == drawn_on(bundled_graph, date(2020, 12, 31))
    assert "finding(s)) on 2020-12-31; " in result.stderr


def test_each_stop_is_a_change_date_with_the_findings_of_that_date(forty, forty_page):
    kg = embedded(forty_page, "kg")
    days = [stop["date"] for stop in kg["stops"]]
    assert days == sorted({d.isoformat() for d in change_dates(forty)} | {AS_OF})
    assert kg["start"] == days.index(AS_OF)
    for i, day in enumerate(days):
        expected = [f.identity for f in find_conflicts(forty, as_of=day)]
        assert sorted(identities_at(forty_page, i)) == sorted(expected), day
        assert edges_at(forty_page, i) == drawn_on(forty, date.fromisoformat(day)), day
    # Ids per date, not copies: each distinct finding is on the page once.
    assert len(kg["findings"]) == len({json.dumps(f, sort_keys=True) for f in kg["findings"]})
    assert len(kg["findings"]) < sum(len(stop["findings"]) for stop in kg["stops"]) / 3


def test_the_page_opens_on_the_findings_of_the_as_of_date_in_the_panels_order(forty, forty_page):
    kg = embedded(forty_page, "kg")
    assert kg["stops"][kg["start"]]["findings"] == list(range(len(find_conflicts(forty, as_of=AS_OF))))
    assert sum(rule[3] for rule in kg["rules"]) == len(kg["stops"][kg["start"]]["findings"])


def test_denied_and_terminated_claims_are_never_drawn_and_the_page_says_so(forty_page):
    ids = {e["id"] for e in embedded(forty_page, "edges")}
    assert "claim/fathom-ai-buys-compute-from-kestrel-cloud" not in ids  # denied
    assert "claim/halcyon-ai-buys-compute-from-pylon-compute" not in ids  # terminated
    assert any(note.startswith("2 claim(s) count on none of the dates") for note in embedded(forty_page, "kg")["notes"])


def test_an_ended_affiliation_is_drawn_as_ended_once_it_has_ended(forty_page):
    kg = embedded(forty_page, "kg")
    days = [stop["date"] for stop in kg["stops"]]
    edge = {e["id"]: e for e in embedded(forty_page, "edges")}["claim/ada-quince-works-for-aurora-labs"]
    assert edge["at"] == [[days.index("2018-01-01"), len(days) - 1]]
    assert edge["ended"] == [[days.index("2022-10-01"), len(days) - 1]]  # ended 2022-09: drawn as past from October


def test_layers_name_the_claim_types_they_hide(forty_page):
    layers = {name: set(types) for name, _, types in embedded(forty_page, "kg")["layers"]}
    assert layers == {
        "control": {"Control", "Ownership"},
        "money": {"Investment", "Ownership", "ComputeContract"},
        "rivalry": {"Rivalry"},
        "people": {"Founding", "Affiliation", "Departure"},
    }
    assert embedded(forty_page, "kg")["hoverLabels"] is True  # about 150 claims: labels on hover


def test_no_slider_draws_the_as_of_date_alone(forty):
    from kg.render.viz import render_html

    kg = embedded(render_html(forty, as_of=AS_OF, timeline=False), "kg")
    assert [stop["date"] for stop in kg["stops"]] == [AS_OF] and kg["start"] == 0


def test_max_dates_spreads_the_stops_and_each_is_exact_for_its_day(forty, tmp_path):
    from kg.render.viz import write_html

    every = change_dates(forty)
    summary = write_html(forty, tmp_path / "g.html", as_of=AS_OF, max_dates=10)
    html = (tmp_path / "g.html").read_text("utf-8")
    kg = embedded(html, "kg")
    days = [stop["date"] for stop in kg["stops"]]
    assert days[0] == every[0].isoformat() and days[-1] == every[-1].isoformat() and AS_OF in days
    assert len(days) == summary.dates == 11  # ten change dates and the as-of date
    assert any(f"shows 10 of the {len(every)} dates" in note for note in kg["notes"])
    for i in (1, 5, 8):
        assert sorted(identities_at(html, i)) == sorted(f.identity for f in find_conflicts(forty, as_of=days[i]))
        assert edges_at(html, i) == drawn_on(forty, date.fromisoformat(days[i]))
    assert summary.edges_as_of == len(edges_at(html, kg["start"]))
    assert summary.nodes_as_of == 40 and summary.findings == len(find_conflicts(forty, as_of=AS_OF))


def test_max_nodes_keeps_the_findings_agents_first_and_names_what_it_left_out(forty):
    from kg.render.viz import render_html

    html = render_html(forty, as_of="2019-06-30", max_nodes=12)
    nodes = {n["id"] for n in embedded(html, "nodes")}
    assert len(nodes) == 12
    kg = embedded(html, "kg")
    for n in kg["stops"][kg["start"]]["findings"]:
        assert set(kg["findings"][n]["nodes"]) <= nodes
        assert kg["findings"][n]["edges"], "a finding of the as-of date lost its evidence"
    for finding in find_conflicts(forty, as_of="2019-06-30"):
        assert {ref.id for ref in finding.entities.values()} <= nodes
    notes = " ".join(kg["notes"])
    assert "Left out 28 of 40 agents" in notes and "agents of the findings first" in notes
    assert "Left out, most connected first: " in notes and "(fictional)" in notes.split("most connected first: ")[1]


def test_the_page_is_the_same_from_rdflib_and_oxigraph(tmp_path, invoke):
    pages = {}
    for store in ("memory", "oxigraph"):
        out = tmp_path / f"{store}.html"
        result = invoke("viz", "-o", out, "--as-of", AS_OF, "--data", FORTY, "--store", store)
        assert result.exit_code == 0, result.output
        pages[store] = out.read_text("utf-8")
    for name in ("kg", "nodes", "edges"):
        assert embedded(pages["memory"], name) == embedded(pages["oxigraph"], name), name
    assert pages["memory"] == pages["oxigraph"]


def test_render_html_takes_a_backend(forty_page):
    from kg.render.viz import render_html

    backend = open_backend([FORTY], store="oxigraph")
    assert render_html(backend, as_of=AS_OF) == forty_page


# --- in the browser ----------------------------------------------------------------------------


def visible(page) -> tuple[set[str], set[str]]:
    return tuple(
        set(ids)
        for ids in page.evaluate(
            """() => [kgData.nodes.getIds({filter: n => !n.hidden}), kgData.edges.getIds({filter: e => !e.hidden})]"""
        )
    )


def panel(page) -> list[tuple]:
    return [tuple(text.split(" ")) for text in page.eval_on_selector_all("#kg-findings button", "bs => bs.map(b => b.dataset.identity)")]


def move_slider_to(page, stop: int):
    """Move the slider with the keyboard, as a reader would."""
    slider = page.locator("#kg-date")
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(stop):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(150)
    assert page.evaluate("() => document.body.dataset.stop") == str(stop)


@pytest.fixture(scope="module")
def forty_file(forty_page, tmp_path_factory):
    path = tmp_path_factory.mktemp("viz-time") / "forty.html"
    path.write_text(forty_page, encoding="utf-8")
    return path


@pytest.mark.slow
def test_moving_the_slider_redraws_the_graph_and_the_findings_of_that_date(forty, forty_file, browser, artifacts_dir, invoke):
    kg = embedded(forty_file.read_text("utf-8"), "kg")
    days = [stop["date"] for stop in kg["stops"]]
    watch = PageWatch(browser)
    page = watch.open(forty_file)
    assert page.evaluate("() => document.body.dataset.date") == AS_OF
    shot = artifacts_dir / "viz-fictional-40.png"
    page.screenshot(path=str(shot))
    print(f"\nscreenshot of the 40-agent fixture on {AS_OF}: {shot}")

    seen_nodes = set()
    for day in ("2018-01-01", "2021-01-01", "2022-06-01", "2024-04-01", days[-1]):
        move_slider_to(page, days.index(day))
        nodes, edges = visible(page)
        claims = drawn_on(forty, date.fromisoformat(day))
        assert edges == claims, day
        assert nodes == {e["from"] for e in embedded(forty_file.read_text("utf-8"), "edges") if e["id"] in claims} | {
            e["to"] for e in embedded(forty_file.read_text("utf-8"), "edges") if e["id"] in claims
        }, day
        found = find_conflicts(forty, as_of=day)
        assert sorted(panel(page)) == sorted(f.identity for f in found), day
        printed = json.loads(invoke("conflicts", "--as-of", day, "--format", "json", "--data", FORTY).stdout)["findings"]
        assert len(panel(page)) == len(printed), day  # what `kg conflicts --as-of` prints for that date
        assert sorted(f["rule"] for f in printed) == sorted(identity[0] for identity in panel(page)), day
        assert page.locator("#kg-date-label").inner_text().startswith(day)
        assert f"{len(found)} finding(s) on {day}" in page.inner_text("#kg-summary")
        seen_nodes.add(frozenset(nodes))
        if day == "2021-01-01":
            page.screenshot(path=str(artifacts_dir / "viz-fictional-40-2021.png"))
    assert len(seen_nodes) >= 3, "the drawn agents did not change with the date"
    # Choosing a finding still focuses its path at another date.
    page.locator("#kg-findings button").first.click()
    page.wait_for_timeout(500)
    focused = embedded(forty_file.read_text("utf-8"), "kg")["findings"][kg["stops"][len(days) - 1]["findings"][0]]
    assert sorted(page.evaluate("() => kgNetwork.getSelectedNodes()")) == sorted(focused["nodes"])
    watch.assert_clean()


@pytest.mark.slow
def test_a_layer_box_hides_its_edges_and_the_agents_left_without_any(forty, forty_file, browser, artifacts_dir):
    edges = {e["id"]: e for e in embedded(forty_file.read_text("utf-8"), "edges")}
    watch = PageWatch(browser)
    page = watch.open(forty_file)
    before_nodes, before = visible(page)
    assert {edges[e]["claimType"] for e in before} >= {"Control", "Ownership", "Rivalry", "Affiliation", "ComputeContract"}

    page.uncheck("#kg-layer-control")
    _, shown = visible(page)
    assert shown == {e for e in before if edges[e]["claimType"] != "Control"}  # an ownership is money too
    page.uncheck("#kg-layer-money")
    _, shown = visible(page)
    assert shown == {e for e in before if edges[e]["claimType"] not in ("Control", "Ownership", "Investment", "ComputeContract")}
    page.uncheck("#kg-layer-rivalry")
    nodes, shown = visible(page)
    assert {edges[e]["claimType"] for e in shown} == {"Founding", "Affiliation", "Departure"}
    assert nodes == {edges[e]["from"] for e in shown} | {edges[e]["to"] for e in shown}  # no agent left alone
    assert "sable-semiconductor" not in nodes and "ada-quince" in nodes  # a chip maker no person is tied to
    page.screenshot(path=str(artifacts_dir / "viz-fictional-40-people.png"))
    for layer in ("control", "money", "rivalry"):
        page.check(f"#kg-layer-{layer}")
    assert visible(page) == (before_nodes, before)
    watch.assert_clean()


@pytest.mark.slow
def test_the_search_box_finds_and_focuses_an_agent(forty_file, browser):
    watch = PageWatch(browser)
    page = watch.open(forty_file)
    page.fill("#kg-search", "orbit")
    page.press("#kg-search", "Enter")
    page.wait_for_timeout(600)  # the camera's move
    assert page.evaluate("() => document.body.dataset.found") == "orbit-cloud"
    assert page.evaluate("() => kgNetwork.getSelectedNodes()") == ["orbit-cloud"]
    centre = page.evaluate(
        "() => { const v = kgNetwork.getViewPosition(), p = kgNetwork.getPositions(['orbit-cloud'])['orbit-cloud']; return [v.x - p.x, v.y - p.y]; }"
    )
    assert abs(centre[0]) < 1 and abs(centre[1]) < 1, "the view is not centred on the agent found"
    assert page.inner_text("#kg-search-result") == "Orbit Cloud (fictional)"
    # By id, and an agent not drawn on the date shown is named as such.
    page.fill("#kg-search", "ada-quince")
    page.press("#kg-search", "Enter")
    assert page.evaluate("() => document.body.dataset.found") == "ada-quince"
    move_slider_to(page, 0)  # 2010: only Hugo Sterne and Zephyr Holdings
    page.fill("#kg-search", "Orbit Cloud")
    page.press("#kg-search", "Enter")
    assert "not drawn on 2010-01-01" in page.inner_text("#kg-search-result")
    assert page.evaluate("() => document.body.dataset.found") is None
    page.fill("#kg-search", "no such agent")
    page.press("#kg-search", "Enter")
    assert page.inner_text("#kg-search-result") == "no agent matches"
    watch.assert_clean()
