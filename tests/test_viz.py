"""``kg viz``: the interactive HTML graph, checked as text and in headless Chromium.

The browser tests block and record every request that is not a local file, listen
for dialogs (an ``alert`` from the data) and console errors, and save screenshots
under ``test-artifacts/`` for a reader of the test run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from conftest import REPO

from kg.io.load import load_graph
from kg.synth import hub_graph as synthetic_graph
from kg.vocab import CLAIM, DATA, KG

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "viz"
HOSTILE = FIXTURES / "hostile.ttl"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


# --- helpers -------------------------------------------------------------------------------


def embedded(html: str, name: str):
    """The JSON a page embeds as ``var NAME = ...;`` or ``new vis.DataSet(...)``."""
    patterns = {
        "kg": r"var KG = (.*?);\n",
        "nodes": r"var nodes = new vis\.DataSet\((.*?)\);\n",
        "edges": r"var edges = new vis\.DataSet\((.*?)\);\n",
        "options": r"var options = (.*?);\n",
    }
    match = re.search(patterns[name], html)
    assert match, f"page does not embed {name}"
    return json.loads(match.group(1))


# --- the page as text ----------------------------------------------------------------------


def test_page_inlines_vis_network_and_links_nothing(bundled_graph):
    from kg.render.viz import render_html

    html = render_html(bundled_graph)
    assert "vis-network" in html and "new vis.Network(" in html
    assert not re.search(r"<script[^>]*\bsrc=", html), "a script is loaded from elsewhere"
    assert not re.search(r"<link\b", html), "a stylesheet or resource is linked"
    for outside in ("cdn.jsdelivr", "cdnjs", "bootstrap", "tom-select", "@import"):
        assert outside not in html
    assert "default-src 'none'" in html  # CSP: even a mistake cannot reach the network


def test_same_input_gives_the_same_bytes(tmp_path, bundled_graph):
    from kg.render.viz import write_html

    big = synthetic_graph(450)  # above the size where positions come from Python's own layout
    for name, graph, conflicts in (("bundled", bundled_graph, True), ("big", big, False)):
        write_html(graph, tmp_path / f"{name}-1.html", conflicts=conflicts)
        write_html(graph, tmp_path / f"{name}-2.html", conflicts=conflicts)
        assert (tmp_path / f"{name}-1.html").read_bytes() == (tmp_path / f"{name}-2.html").read_bytes(), name


def test_hostile_text_never_appears_as_markup_in_the_page():
    from kg.render.viz import render_html

    html = render_html(load_graph([HOSTILE]))
    for raw in (IMG, SCRIPT, "</script><script>", "</style><style>", "<b>Sons</b>", 'href="javascript'):
        assert raw not in html
    labels = {node["label"] for node in embedded(html, "nodes")}
    assert IMG in labels and SCRIPT in labels  # the JSON decodes back to the literal names


def test_agents_are_drawn_by_kind_with_a_legend(bundled_graph):
    from kg.render.viz import render_html

    html = render_html(bundled_graph, conflicts=False)
    nodes = {node["id"]: node for node in embedded(html, "nodes")}
    assert nodes["spacex"]["shape"] == "star" and nodes["anthropic"]["shape"] == "hexagon"
    assert nodes["elon-musk"]["shape"] == "dot" and nodes["aws"]["shape"] == "square"
    assert nodes["anthropic"]["color"]["background"] != nodes["elon-musk"]["color"]["background"]
    legend = [item["label"] for item in embedded(html, "kg")["legend"]]
    assert {"Person", "AI lab", "Cloud / compute provider", "Launch / satellite"} <= set(legend)
    assert "Anthropic" in nodes["anthropic"]["title"] and "kind: AI lab" in nodes["anthropic"]["title"]


def test_claims_are_labelled_edges_with_dates_amount_status_and_sources():
    from kg.render.viz import render_html

    html = render_html(load_graph([HOSTILE]), conflicts=False)
    edges = {edge["id"]: edge for edge in embedded(html, "edges")}
    investment = edges["claim/owner-invests-in-img"]
    assert investment["label"] == "invests in" and investment["arrows"] == "to"
    for text in ("dates: 2023-09-25 – 2030", "amount: 4000000000", "currency: USD", "status: rumored", "Hostile Source & Co"):
        assert text in investment["title"], text
    rivalry = edges["claim/rival-competes-with-img"]
    assert rivalry["label"] == "competes with" and rivalry["arrows"] == "" and rivalry["dashes"] is True
    assert "capacity (MW): 250" in edges["claim/img-buys-from-script"]["title"]


def test_the_legend_names_the_rules_found_and_feuds_and_board_seats_are_drawn_apart():
    from kg.render.viz import render_html

    sheet = load_graph([REPO / "data" / "example-sheet"])  # fictional
    html = render_html(sheet, as_of="2025-06-30")
    rules = {rule[0]: rule for rule in embedded(html, "kg")["rules"]}
    assert rules["interlocking-directorate"] == ["interlocking-directorate", "high", "One person directs two competitors", 1]
    assert rules["circular-financing"][1:] == ["medium", "Money goes round in a circle", 1]
    assert list(rules)[0] in ("competitor-controlled-supplier", "interlocking-directorate")  # most severe first
    edges = {edge["id"]: edge for edge in embedded(html, "edges")}
    feud = next(edge for edge in edges.values() if edge["label"] == "feuds with")
    assert feud["dashes"] == [2, 6] and feud["arrows"] == ""
    assert next(edge for edge in edges.values() if edge["label"] == "competes with")["dashes"] is True
    board = next(edge for edge in edges.values() if edge["from"] == "zoe-quill" and edge["to"] == "vega-ai")
    assert board["label"] == "sits on the board of"
    assert next(edge for edge in edges.values() if edge["from"] == "zoe-quill" and edge["to"] == "kestrel-chips")["label"] == "is an officer of"


def test_the_spacex_musk_xai_conflict_is_marked_and_listed(bundled_graph):
    from kg.render.palette import CONFLICT_COLOR, EDGE_COLOR
    from kg.render.viz import render_html

    html = render_html(bundled_graph)
    findings = embedded(html, "kg")["findings"]
    first = findings[0]
    assert first["rule"] == "competitor-controlled-supplier"
    assert {"spacex", "elon-musk", "xai", "anthropic"} <= set(first["nodes"])
    path = {
        "claim/anthropic-buys-compute-from-spacex",
        "claim/elon-musk-controls-spacex",
        "claim/elon-musk-controls-xai",
        "claim/xai-competes-with-anthropic",
    }
    assert path <= set(first["edges"])
    edges = {edge["id"]: edge for edge in embedded(html, "edges")}
    for claim in path:
        assert edges[claim]["color"]["color"] == CONFLICT_COLOR and edges[claim]["width"] > 3
    assert edges["claim/spacex-controls-starlink"]["color"]["color"] == EDGE_COLOR


def test_no_conflicts_draws_no_finding(bundled_graph):
    from kg.render.palette import CONFLICT_COLOR
    from kg.render.viz import render_html

    html = render_html(bundled_graph, conflicts=False)
    assert embedded(html, "kg")["findings"] == []
    assert all(edge["color"]["color"] != CONFLICT_COLOR for edge in embedded(html, "edges"))


def test_min_status_and_as_of_reach_the_conflict_rules(bundled_graph):
    from kg.render.viz import render_html

    # Every claim in the bundled data is reported or confirmed and each finding needs a reported one.
    assert embedded(render_html(bundled_graph, min_status="confirmed"), "kg")["findings"] == []
    assert embedded(render_html(bundled_graph, as_of="2020"), "kg")["findings"] != []


def test_focus_draws_the_neighbourhood(bundled_graph):
    from kg.render.viz import render_html

    html = render_html(bundled_graph, focus="spacex", depth=1)
    assert {n["id"] for n in embedded(html, "nodes")} == {"spacex", "elon-musk", "starlink", "anthropic"}
    html = render_html(bundled_graph, focus="SpaceX", depth=0)
    assert {n["id"] for n in embedded(html, "nodes")} == {"spacex"}


def test_max_nodes_keeps_the_most_connected_part_and_says_what_was_left_out(tmp_path, invoke):
    data = tmp_path / "big.ttl"
    synthetic_graph(300).serialize(data, format="turtle")
    out = tmp_path / "big.html"
    result = invoke("viz", "-o", out, "--data", data, "--max-nodes", "40", "--no-conflicts")
    assert result.exit_code == 0, result.output
    assert "Left out 260 of 300 agents" in result.stderr
    html = out.read_text("utf-8")
    nodes = embedded(html, "nodes")
    assert len(nodes) == 40
    assert "agent-00000" in {n["id"] for n in nodes}  # a hub: most claims point at the first agents
    assert any("Left out 260 of 300 agents" in note for note in embedded(html, "kg")["notes"])
    assert embedded(html, "options")["physics"]["enabled"] is True  # 40 nodes: the browser lays them out


def test_large_graphs_get_a_python_layout_without_physics():
    from kg.render.page import PHYSICS_MAX_NODES
    from kg.render.viz import render_html

    html = render_html(synthetic_graph(PHYSICS_MAX_NODES + 50), conflicts=False)
    assert embedded(html, "options")["physics"]["enabled"] is False
    nodes = embedded(html, "nodes")
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in nodes)
    assert len({(n["x"], n["y"]) for n in nodes}) > 0.95 * len(nodes)  # spread out, not piled up


def test_collapse_hubs_folds_leaves_into_one_node():
    from kg.render.viz import render_html

    graph = Graph()
    hub = DATA["hub"]
    graph.add((hub, RDF.type, KG.CloudProvider))
    graph.add((DATA["other"], RDF.type, KG.AILab))
    for i in range(12):
        leaf = DATA[f"leaf-{i}"]
        graph.add((leaf, RDF.type, KG.AILab))
        claim = CLAIM[f"leaf-{i}-buys"]
        graph.add((claim, RDF.type, KG.ComputeContract))
        graph.add((claim, KG.customer, leaf))
        graph.add((claim, KG.supplier, hub))
    claim = CLAIM["other-buys"]
    graph.add((claim, RDF.type, KG.ComputeContract))
    graph.add((claim, KG.customer, DATA["other"]))
    graph.add((claim, KG.supplier, hub))
    html = render_html(graph, collapse_hubs=5, conflicts=False)
    nodes = {n["id"]: n for n in embedded(html, "nodes")}
    assert set(nodes) == {"hub", "collapsed:hub"}  # "other" is a leaf too: 13 leaves > 5
    assert nodes["collapsed:hub"]["label"] == "+13 more"
    assert "leaf-0" in nodes["collapsed:hub"]["title"]
    below = {n["id"] for n in embedded(render_html(graph, collapse_hubs=20, conflicts=False), "nodes")}
    assert len(below) == 14  # 13 leaves are not more than 20: nothing folded


def test_page_is_utf8_whatever_the_locale(tmp_path, monkeypatch):
    from kg.render.viz import write_html

    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    out = tmp_path / "g.html"
    write_html(load_graph([HOSTILE]), out)
    text = out.read_bytes().decode("utf-8")
    assert "Zürich ✓" in text and '<meta charset="utf-8">' in text


def test_show_returns_a_sandboxed_iframe_and_writes_no_file(tmp_path, monkeypatch, bundled_graph):
    pytest.importorskip("IPython")
    from kg.render.viz import show

    monkeypatch.chdir(tmp_path)
    shown = show(bundled_graph)
    assert shown.data.startswith('<div><iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert 'sandbox="allow-scripts"' in shown.data and "allow-same-origin" not in shown.data
    assert "<script" not in shown.data  # the page is an attribute value, escaped
    assert list(tmp_path.iterdir()) == []


# --- the command line ----------------------------------------------------------------------


def test_cli_writes_the_page(tmp_path, invoke):
    out = tmp_path / "graph.html"
    result = invoke("viz", "-o", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stderr and "finding(s)" in result.stderr
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_cli_unknown_focus_is_one_error_line_and_leaves_the_old_file(tmp_path, invoke):
    out = tmp_path / "graph.html"
    out.write_text("old page")
    result = invoke("viz", "-o", out, "--focus", "no-such-entity")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "no-such-entity" in result.stderr
    assert out.read_text() == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html"]  # no temporary file left


def test_cli_output_in_a_missing_folder_is_one_error_line(tmp_path, invoke):
    out = tmp_path / "missing" / "graph.html"
    result = invoke("viz", "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert str(tmp_path / "missing") in result.stderr
    assert not (tmp_path / "missing").exists()


def test_cli_bad_as_of_is_one_error_line(tmp_path, invoke):
    result = invoke("viz", "-o", tmp_path / "g.html", "--as-of", "yesterday")
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
    assert not (tmp_path / "g.html").exists()


def test_existing_file_is_replaced_only_when_the_new_page_is_complete(tmp_path, monkeypatch, bundled_graph):
    import kg.render.viz

    out = tmp_path / "graph.html"
    out.write_text("old page")

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed half way")

    monkeypatch.setattr(kg.render.viz, "html_page", broken)
    with pytest.raises(RuntimeError):
        kg.render.viz.write_html(bundled_graph, out)
    assert out.read_text() == "old page"


# --- in the browser ------------------------------------------------------------------------


class PageWatch:
    """One browser page whose outside requests, dialogs and console errors are recorded."""

    def __init__(self, browser, viewport=(1400, 850)):
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.route("**/*", self._route)
        self.page.on("request", self._request)
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "about:blank")):
            route.continue_()
        else:
            route.abort()

    def _request(self, request):
        if not request.url.startswith(("file:", "data:", "about:blank")):
            self.requests.append(request.url)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path, timeout: float = 30_000):
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-state=ready]", state="attached", timeout=timeout)
        self.page.wait_for_timeout(300)  # let a late script from the data (if any) have its chance
        return self.page

    def canvas_stats(self) -> dict:
        """Non-white and conflict-red pixels on the graph's canvas."""
        return self.page.evaluate(
            """() => {
                const c = document.querySelector('#mynetwork canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let ink = 0, red = 0;
                for (let i = 0; i < d.length; i += 4) {
                    if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) ink++;
                    if (d[i] > 190 && d[i + 1] < 80 && d[i + 2] < 80) red++;
                }
                return {ink: ink, red: red, total: d.length / 4};
            }"""
        )

    def hover_node(self, node_id: str) -> str:
        """Move the mouse onto a node and return the tooltip's text."""
        point = self.page.evaluate(
            """(id) => {
                const p = kgNetwork.canvasToDOM(kgNetwork.getPositions([id])[id]);
                const r = document.querySelector('#mynetwork').getBoundingClientRect();
                return {x: r.left + p.x, y: r.top + p.y};
            }""",
            node_id,
        )
        self.page.mouse.move(point["x"] + 40, point["y"] + 40)
        self.page.mouse.move(point["x"], point["y"], steps=4)
        tooltip = self.page.locator("div.vis-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        return tooltip.inner_text()

    def assert_clean(self):
        assert self.requests == [], f"the page tried to reach {self.requests}"
        assert self.dialogs == [], f"script from the data ran: {self.dialogs}"
        assert self.errors == [], f"console errors: {self.errors}"


@pytest.mark.slow
def test_bundled_graph_renders_offline_with_the_conflict_visible(tmp_path, browser, artifacts_dir, bundled_graph):
    from kg.render.viz import write_html

    out = tmp_path / "graph.html"
    write_html(bundled_graph, out)
    watch = PageWatch(browser)
    page = watch.open(out)
    stats = watch.canvas_stats()
    assert stats["ink"] > 0.01 * stats["total"], "the canvas is blank"
    assert stats["red"] > 300, "no conflict path is drawn in the conflict colour"
    shot = artifacts_dir / "viz-bundled.png"
    page.screenshot(path=str(shot))
    print(f"\nscreenshot of the bundled graph: {shot}")

    first = page.locator("#kg-findings button").first
    assert "SpaceX" in first.inner_text() and "xAI" in first.inner_text() and "Elon Musk" in first.inner_text()
    first.click()
    page.wait_for_timeout(700)
    selected = page.evaluate("() => kgNetwork.getSelectedNodes().sort()")
    assert selected == ["anthropic", "elon-musk", "spacex", "xai"]
    shot = artifacts_dir / "viz-bundled-finding-1.png"
    page.screenshot(path=str(shot))
    print(f"screenshot with finding #1 focused: {shot}")
    page.click("#kg-show-all")
    assert page.evaluate("() => kgNetwork.getSelectedNodes()") == []
    legend = page.locator("#kg-legend").inner_text()
    assert "competitor-controlled-supplier (high): Compute bought from a rival's controller · 1 finding(s)" in legend
    assert "feuds with (personal or legal: no rivalry for the rules)" in legend
    watch.assert_clean()


@pytest.mark.slow
def test_hovering_a_node_shows_its_tooltip(tmp_path, browser, bundled_graph):
    from kg.render.viz import write_html

    out = tmp_path / "graph.html"
    write_html(bundled_graph, out)
    watch = PageWatch(browser)
    watch.open(out)
    text = watch.hover_node("anthropic")
    assert text.startswith("Anthropic") and "kind: AI lab" in text
    watch.assert_clean()


@pytest.mark.slow
def test_hostile_names_are_shown_as_text_and_run_nothing(tmp_path, browser, artifacts_dir):
    from kg.render.viz import write_html

    out = tmp_path / "hostile.html"
    write_html(load_graph([HOSTILE]), out)
    watch = PageWatch(browser)
    page = watch.open(out)
    assert IMG in watch.hover_node("img-lab")
    page.mouse.move(5, 5)
    tooltip = watch.hover_node("script-cloud")
    assert tooltip.startswith(SCRIPT) and IMG in tooltip and 'href="javascript:alert(4)"' in tooltip
    panel = page.inner_text("#kg-findings")
    assert IMG in panel and SCRIPT in panel
    assert page.evaluate("() => document.querySelectorAll('img, b, a, #kg-panel script').length") == 0
    assert page.evaluate("() => document.querySelectorAll('script').length") == 2  # vis-network and kg's own
    assert page.evaluate("() => getComputedStyle(document.body).display") != "none"
    page.screenshot(path=str(artifacts_dir / "viz-hostile.png"))
    watch.assert_clean()


@pytest.mark.slow
def test_two_thousand_agents_render_and_become_interactive(tmp_path, browser, artifacts_dir):
    from kg.render.viz import write_html

    out = tmp_path / "big.html"
    summary = write_html(synthetic_graph(2000), out, conflicts=False)
    assert summary.nodes == 2000
    watch = PageWatch(browser)
    page = watch.open(out, timeout=60_000)
    assert watch.canvas_stats()["ink"] > 0.01 * watch.canvas_stats()["total"], "the canvas is blank"
    assert watch.hover_node("agent-00000").startswith("Fictional 00000")
    page.screenshot(path=str(artifacts_dir / "viz-2000-agents.png"))
    scale = page.evaluate("() => kgNetwork.getScale()")
    page.mouse.wheel(0, -400)  # zooming still works
    page.wait_for_timeout(300)
    assert page.evaluate("() => kgNetwork.getScale()") > scale
    watch.assert_clean()


@pytest.mark.slow
def test_notebook_iframe_draws_the_graph(browser, bundled_graph):
    from kg.render.viz import show

    watch = PageWatch(browser)
    watch.page.set_content(show(bundled_graph).data)
    frame = watch.page.frame_locator("iframe")
    frame.locator("body[data-state=ready]").wait_for(state="attached", timeout=30_000)
    assert "SpaceX" in frame.locator("#kg-findings").inner_text()
    watch.assert_clean()
