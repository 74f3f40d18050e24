"""The documentation's rule catalogue: each bundled rule, its header, and a worked example run through kg itself.

Each rule of the bundled pack has a fictional example folder (entities.csv,
relations.csv, sources.csv) under ``docs/examples/rules/<rule-id>/``. The
catalogue shows the rule's header, the example's relations and the real output
of ``kg conflicts`` on it, run in-process at a fixed date and terminal width,
so that the page is the same on every machine and changes only when kg's
rules, the examples or kg's output do.
"""

from __future__ import annotations

import csv
import os
import re
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator

from click.testing import CliRunner

from kg.cli.group import cli
from kg.io.sheets.spec import COMMENT_MARK, RELATION_SHEET
from kg.io.text import markdown_text

#: The date every example is read at (``--as-of``), so that the output does not change with the calendar.
AS_OF = "2026-06-30"
#: The terminal width the examples' output is shown at (the widest ``kg conflicts`` lays its table out at).
WIDTH = 100
#: The files of an example folder, as the catalogue links them.
EXAMPLE_FILES = ("entities.csv", "relations.csv", "sources.csv")
#: Relation columns shown as code: ids and relation words.
CODE_COLUMNS = frozenset({"subject", "relation", "object", "source"})
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_.\-]+")

LEGEND = (
    "Each rule below comes with a fictional worked example: a tiny spreadsheet folder in "
    "`{examples}/`, and the real output of `kg conflicts` on it. "
    "Roles in **bold** are the rule's key: kg reports one finding per distinct set of key entities. "
    "In the evidence, `Type(x,y)` is a claim of that type between two roles, `x>y` a chain of control "
    "from x to y (none when x and y are one entity), and numbers give the order of the evidence kg lists."
)


def rule_catalogue(examples: Path, as_of: str = AS_OF) -> str:
    """The rule catalogue in Markdown: every bundled rule, in ``load_rules()`` order, with its worked example.

    ``examples`` is the folder of example folders, one per rule id (``docs/examples/rules``).
    Each example runs as ``kg conflicts --data <path>/ --rule <id> --as-of <as_of>`` from the
    folder that holds ``docs`` (or from the parent of ``examples`` when no ``docs`` folder holds
    it), so the command and any path kg prints are relative. A missing example or a command
    that fails is an error: the catalogue never shows a rule without its example.
    """
    from kg.conflicts.pack import load_rules

    examples = Path(examples).resolve()
    docs = next((folder for folder in examples.parents if folder.name == "docs"), None)
    root = docs.parent if docs is not None else examples.parent
    links = PurePosixPath(*examples.relative_to(docs).parts) if docs is not None else None
    parts = [LEGEND.format(examples=PurePosixPath(*examples.relative_to(root).parts))]
    for rule in load_rules():
        folder = examples / rule.id
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no worked example for rule {rule.id!r}")
        data = PurePosixPath(*folder.relative_to(root).parts)
        args = ["conflicts", "--data", f"{data}/", "--rule", rule.id, "--as-of", as_of]
        parts.append(_rule_section(rule, folder, links / rule.id if links is not None else None, args, _run(args, root)))
    return "\n\n".join(parts) + "\n"


def _rule_section(rule, folder: Path, link: PurePosixPath | None, args: list[str], output: str) -> str:
    keys = set(rule.key)
    rows = [
        ("severity", rule.severity),
        ("roles", ", ".join(f"**{role}**" if role in keys else role for role in rule.roles)),
        ("evidence", _evidence(rule)),
    ]
    if rule.sequence is not None:
        first, second = (slot + 1 for slot in rule.sequence)
        rows.append(("sequence", f"the tie of ({second}) does not begin before the tie of ({first}), when both are dated"))
    if rule.cycles:
        rows.append(("cycles", " or ".join(str(length) for length in rule.cycles) + " parties, each paying the next"))
    table = [f"| id | `{rule.id}` |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    lines = [
        f'<a id="{rule.id}"></a>',
        "",
        f"## {rule.title}",
        "",
        *table,
        "",
        rule.description,
        "",
        "**Worked example**",
        "",
        _entities(folder),
    ]
    if link is not None:
        lines += ["", "Files: " + ", ".join(f"[{name}]({link / name})" for name in EXAMPLE_FILES) + "."]
    lines += ["", *_relations_table(folder), "", "```console", "$ kg " + " ".join(args), output, "```"]
    return "\n".join(lines)


def _evidence(rule) -> str:
    """The evidence slots, numbered, each with its alternatives; a cycle rule's evidence is the cycle."""
    if not rule.evidence:
        return "`cycle`: each money claim of the cycle and the control links between its parties"
    slots = [" or ".join(f"`{choice}`" for choice in slot) for slot in rule.evidence]
    if len(slots) == 1:
        return slots[0]
    return "<br>".join(f"({number}) {slot}" for number, slot in enumerate(slots, start=1))


def _sheet_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV file's header and its rows as dicts, comment rows (``#``) and blank rows left out."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [column.strip() for column in next(reader)]
        rows = [
            dict(zip(header, (cell.strip() for cell in cells)))
            for cells in reader
            if any(cell.strip() for cell in cells) and not cells[0].strip().startswith(COMMENT_MARK)
        ]
    return header, rows


def _entities(folder: Path) -> str:
    _, rows = _sheet_rows(folder / "entities.csv")
    who = [f"{markdown_text(row['name'])} (`{row['id']}`, {markdown_text(row['type'])})" for row in rows]
    return "Entities: " + ", ".join(who) + "."


def _relations_table(folder: Path) -> list[str]:
    """relations.csv as a Markdown table: its rows, in its order, with the columns some row fills."""
    header, rows = _sheet_rows(folder / RELATION_SHEET.file)
    columns = [column for column in header if any(row.get(column) for row in rows)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(column, row.get(column, "")) for column in columns) + " |")
    return lines


def _cell(column: str, value: str) -> str:
    if value and column in CODE_COLUMNS and _PLAIN_WORD.fullmatch(value):
        return f"`{value}`"
    return markdown_text(value)


def _run(args: list[str], cwd: Path) -> str:
    """What ``kg ARGS`` prints (standard output and error, as a terminal shows them) when run from ``cwd``."""
    with _working_directory(cwd):
        result = CliRunner().invoke(cli, args, prog_name="kg", env={"COLUMNS": str(WIDTH)}, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"kg {' '.join(args)} exited with {result.exit_code}:\n{result.output}")
    return result.output.rstrip()


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """Run the block with ``path`` as the working directory, and return to the previous one after it."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
