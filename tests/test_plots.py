"""kg.render.plots: every picture renders headless and is saved to test-artifacts/ for a person to look at."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kg.errors import UsageError
from kg.io.load import load_graph
from kg.render.plots import control_tree, save_figure, supply_mix, timeline

MARKET = Path(__file__).parent / "fixtures" / "network" / "dated-market.ttl"
TODAY = date(2025, 6, 30)  # fixed, so the pictures do not change with the calendar


@pytest.fixture(scope="module")
def market():
    return load_graph([MARKET], include_ontology=False)


def texts(figure) -> str:
    return "\n".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plots_never_touch_pyplot():
    import sys

    figure = supply_mix(load_graph([MARKET], include_ontology=False), as_of="2025-06")
    assert type(figure.canvas).__name__ == "FigureCanvasAgg"
    assert "matplotlib.pyplot" not in sys.modules or sys.modules["matplotlib.pyplot"].get_fignums() == []


@pytest.mark.slow  # runs the rule pack once per year
def test_timeline_counts_claims_by_start_year_and_shows_undated(market, artifacts_dir):
    figure = timeline(market, years=range(2018, 2026), today=TODAY)
    top, bottom = figure.axes[:2]
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["undated"] + [str(y) for y in range(2018, 2026)]
    # Bar heights per column, summed over claim types: the fixture has one undated rivalry,
    # and 2024 starts three contracts (one denied, so not counted).
    heights: dict[float, float] = {}
    for patch in top.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        heights[x] = heights.get(x, 0) + patch.get_height()
    assert heights[0] == 1  # undated
    assert heights[1 + (2024 - 2018)] == 2
    assert "undated" in texts(figure)
    path = save_figure(figure, artifacts_dir / "plot-timeline.png")
    width, height = png_size(path)
    assert width > 1000 and height > 700


@pytest.mark.slow
def test_timeline_snapshots_count_findings_at_each_year_end(market):
    from kg.conflicts.engine import find_conflicts

    figure = timeline(market, years=[2021, 2025], today=TODAY)
    bottom = figure.axes[1]
    labels = [t.get_text() for t in bottom.texts if t.get_text().isdigit()]  # the bar totals
    expected = [len(find_conflicts(market, as_of=date(2021, 12, 31))), len(find_conflicts(market, as_of=TODAY))]
    assert labels == [str(n) for n in expected]
    assert expected[0] != expected[1]


def test_supply_mix_shows_shares_and_hhi(market, artifacts_dir):
    figure = supply_mix(market, as_of="2025-06")
    text = texts(figure)
    assert "HHI 5,200" in text and "by capacity (MW)" in text
    assert "equal shares" in text and "no active compute supplier" in text
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["Lumen Ai", "Quill Labs", "Nova Mind"]
    save_figure(figure, artifacts_dir / "plot-supply-mix.png")
    save_figure(figure, artifacts_dir / "plot-supply-mix.svg")
    assert (artifacts_dir / "plot-supply-mix.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_control_tree_draws_what_the_agent_controls(market, artifacts_dir):
    figure = control_tree(market, "ada-quartz", as_of="2025-06")
    text = texts(figure)
    for name in ("Ada Quartz", "Orbit Parent", "Orbit Launch", "Nova Mind"):
        assert name in text
    assert "Helix Holdings" not in text
    save_figure(figure, artifacts_dir / "plot-control-tree.png")


def test_control_tree_of_the_bundled_graph(bundled_graph, artifacts_dir):
    figure = control_tree(bundled_graph, "Elon Musk")
    assert {"SpaceX", "Starlink", "xAI"} <= set(texts(figure).split("\n"))
    save_figure(figure, artifacts_dir / "plot-control-tree-bundled.png")


@pytest.mark.slow
def test_bundled_timeline_and_mix_render(bundled_graph, artifacts_dir):
    save_figure(timeline(bundled_graph, today=TODAY), artifacts_dir / "plot-timeline-bundled.png")
    save_figure(supply_mix(bundled_graph), artifacts_dir / "plot-supply-mix-bundled.png")


def test_control_tree_of_an_agent_that_controls_nothing(market):
    assert "no active control link" in texts(control_tree(market, "lumen-ai"))


def test_bad_inputs_are_kg_errors(market, tmp_path):
    with pytest.raises(UsageError):
        control_tree(market, "nobody")
    with pytest.raises(UsageError):
        save_figure(supply_mix(market), tmp_path / "picture.gif")
    assert not (tmp_path / "picture.gif").exists()
