"""The documentation's generated parts: the command reference (from the commands' own help), the
rule table and catalogue (from the rule files' headers and their worked examples) and the Python
API reference (the directives mkdocstrings expands from the docstrings of ``kg.__all__``).

Each part sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in a page under
``docs/``; ``make reference`` rewrites them and the tests check that they are current.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from kg.cli.group import cli

#: The width the reference is written at, whatever the terminal that runs ``make reference``.
_WIDTH = 100


def cli_reference() -> str:
    """The command reference: ``kg --help`` and each command's help, in Markdown."""
    parts = []
    # The same settings as a real run (click caches the help option once a command has run).
    ctx = click.Context(cli, info_name="kg", max_content_width=_WIDTH, terminal_width=_WIDTH, help_option_names=["-h", "--help"])
    parts.append("```text\n$ kg --help\n" + cli.get_help(ctx).rstrip() + "\n```")
    for name in sorted(cli.commands):
        parts += _command_help(cli.commands[name], name, ctx)
    return "\n\n".join(parts)


def _command_help(command: click.Command, name: str, parent: click.Context) -> list[str]:
    """The help of ``kg NAME``, then of each of its subcommands (``kg rules check``)."""
    ctx = click.Context(
        command, info_name=name.split()[-1], parent=parent, max_content_width=_WIDTH, terminal_width=_WIDTH, help_option_names=["-h", "--help"]
    )
    parts = [f"## kg {name}\n\n```text\n$ kg {name} --help\n" + command.get_help(ctx).rstrip() + "\n```"]
    for sub in sorted(getattr(command, "commands", {})):
        parts += _command_help(command.commands[sub], f"{name} {sub}", ctx)
    return parts


def command_names() -> list[str]:
    """Every command and subcommand, as typed after ``kg`` (``rules check``)."""

    def walk(group: click.Command, prefix: str) -> list[str]:
        names = []
        for name in sorted(getattr(group, "commands", {})):
            names.append(prefix + name)
            names += walk(group.commands[name], prefix + name + " ")
        return names

    return walk(cli, "")


def rule_table() -> str:
    """The table of the bundled rules, from the rule files' own headers, each linking to its entry."""
    from kg.conflicts.pack import load_rules

    rows = ["| rule | severity | fires when |", "|---|---|---|"]
    rows += [f"| [`{rule.id}`](#{rule.id}) | {rule.severity} | {rule.description} |" for rule in load_rules()]
    return "\n".join(rows)


def api_reference() -> str:
    """One mkdocstrings directive per public name of ``kg``, in the groups ``kg/__init__.py`` lists them in."""
    import kg

    source = Path(kg.__file__).read_text(encoding="utf-8")
    block = source[source.index("_API = {") : source.index("\n}\n")]
    parts: list[str] = []
    for line in block.splitlines()[1:]:
        line = line.strip()
        if line.startswith("# "):
            parts.append(f"## {line[2:].capitalize()}")
        elif match := re.fullmatch(r'"(\w+)": "([\w.]+)",', line):
            name, module = match.groups()
            parts.append(f'::: {module}.{name}\n    options:\n      heading: "kg.{name}"\n      toc_label: "{name}"')
    return "\n\n".join(parts)


def _catalogue(repo: Path) -> str:
    from kg.cli.catalogue import rule_catalogue

    return rule_catalogue(repo / "docs" / "examples" / "rules")


#: Each page's generated blocks: page (relative to the repository) -> marker name -> what writes it
#: (called with the repository's root).
GENERATED = {
    "docs/cli.md": {"cli-reference": lambda repo: cli_reference()},
    "docs/rules.md": {"rule-table": lambda repo: rule_table(), "rule-catalogue": _catalogue},
    "docs/api.md": {"api-reference": lambda repo: api_reference()},
}


def generated_block(text: str, name: str) -> str:
    """The content between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)].strip()


def update_reference(repo) -> None:
    """Rewrite every generated block of the pages under ``repo/docs`` (``make reference``)."""
    repo = Path(repo)
    for page, blocks in GENERATED.items():
        path = repo / page
        text = path.read_text(encoding="utf-8")
        for name, make in blocks.items():
            start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
            text = text[: text.index(start) + len(start)] + "\n" + make(repo).strip() + "\n" + text[text.index(end) :]
        path.write_text(text, encoding="utf-8")
