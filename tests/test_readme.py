"""The README shows what kg does today: its rule table and command reference are generated."""

from __future__ import annotations

import pytest
from conftest import REPO

from kg.cli.reference import GENERATED, generated_block


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_readme_generated_blocks_are_current(name):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert generated_block(text, name) == GENERATED[name]().strip(), "run `make readme` to regenerate the README's generated parts"


def test_command_reference_and_rule_table_say_what_they_should():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    reference = generated_block(text, "cli-reference")
    assert "Usage: kg kg" not in reference and "Usage: kg conflicts [OPTIONS]" in reference
    from kg.conflicts.pack import load_rules

    table = generated_block(text, "rule-table")
    assert [line.split("`")[1] for line in table.splitlines()[2:]] == [rule.id for rule in load_rules()]


def test_quick_start_is_the_two_make_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = text[text.index("## Quick start") : text.index("## What it finds")]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_make_demo_installs_kg_without_the_test_or_notebook_stack():
    """`make demo` needs kg alone: its install step takes no extra, and kg's own requirements name no test tool."""
    import configparser
    import re

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    demo_needs = re.search(r"^demo: (.*)$", makefile, re.M).group(1).split()
    assert demo_needs == ["install-kg"]
    recipe = re.search(r"^install-kg:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "install" in recipe and "[" not in recipe  # `pip install .`, no extra
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    requirements = config["options"]["install_requires"].lower()
    for tool in ("pytest", "playwright", "jupyter", "ipykernel", "hypothesis", "nbclient"):
        assert tool not in requirements, tool
