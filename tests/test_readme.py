"""The README is short and does what it says: two commands set everything up, and it points into the docs."""

from __future__ import annotations

import re

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short():
    assert len(README.encode("utf-8")) <= 12 * 1024


def test_quick_start_is_the_two_make_commands():
    quick_start = README[README.index("## Quick start") : README.index("## A tour")]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_the_tour_shows_five_commands_with_their_output():
    tour = README[README.index("## A tour") : README.index("## Read more")]
    shown = re.findall(r"^\$ kg (\w+)", tour, re.M)
    assert {"conflicts", "describe", "query", "ingest", "viz"} <= set(shown)


def test_every_link_into_the_docs_names_a_page_that_exists():
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert len(links) >= 10
    for link in links:
        assert (REPO / link).is_file(), link


def test_make_demo_installs_kg_without_the_test_or_notebook_stack():
    """`make demo` needs kg alone: its install step takes no extra, and kg's own requirements name no test tool."""
    import configparser

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    demo_needs = re.search(r"^demo: (.*)$", makefile, re.M).group(1).split()
    assert demo_needs == ["install-kg"]
    recipe = re.search(r"^install-kg:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "install" in recipe and "[" not in recipe  # `pip install .`, no extra
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    requirements = config["options"]["install_requires"].lower()
    for tool in ("pytest", "playwright", "jupyter", "ipykernel", "hypothesis", "nbclient", "mkdocs"):
        assert tool not in requirements, tool
