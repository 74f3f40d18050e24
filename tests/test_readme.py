"""The README shows what kg does today: its command reference is generated from --help."""

from __future__ import annotations

from conftest import REPO

from kg.cli import cli_reference

START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def test_readme_command_reference_is_current():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START) + len(START) : text.index(END)].strip()
    assert block == cli_reference().strip(), "run `make readme` to regenerate the command reference"
    assert "Usage: kg kg" not in block and "Usage: kg conflicts [OPTIONS]" in block


def test_quick_start_is_the_two_make_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = text[text.index("## Quick start") : text.index("## What it finds")]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]
