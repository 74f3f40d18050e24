"""The README's command reference, generated from the commands' own help."""

from __future__ import annotations

import click

from kg.cli.group import cli


def cli_reference() -> str:
    """The README's command reference: ``kg --help`` and each command's help, in Markdown."""
    parts = []
    # The same settings as a real run (click caches the help option once a command has run).
    ctx = click.Context(cli, info_name="kg", max_content_width=100, terminal_width=100, help_option_names=["-h", "--help"])
    parts.append("```text\n$ kg --help\n" + cli.get_help(ctx).rstrip() + "\n```")
    for name in sorted(cli.commands):
        parts += _command_help(cli.commands[name], name, ctx)
    return "\n\n".join(parts)


def _command_help(command: click.Command, name: str, parent: click.Context) -> list[str]:
    """The help of ``kg NAME``, then of each of its subcommands (``kg rules check``)."""
    ctx = click.Context(
        command, info_name=name.split()[-1], parent=parent, max_content_width=100, terminal_width=100, help_option_names=["-h", "--help"]
    )
    parts = [f"### kg {name}\n\n```text\n$ kg {name} --help\n" + command.get_help(ctx).rstrip() + "\n```"]
    for sub in sorted(getattr(command, "commands", {})):
        parts += _command_help(command.commands[sub], f"{name} {sub}", ctx)
    return parts


def rule_table() -> str:
    """The README's table of the bundled rules, from the rule files' own headers."""
    from kg.conflicts.pack import load_rules

    rows = ["| rule | severity | fires when |", "|---|---|---|"]
    rows += [f"| `{rule.id}` | {rule.severity} | {rule.description} |" for rule in load_rules()]
    return "\n".join(rows)


#: The README's generated blocks: marker name -> what writes its content.
GENERATED = {"rule-table": rule_table, "cli-reference": cli_reference}


def generated_block(text: str, name: str) -> str:
    """The content between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)].strip()


def update_readme(path) -> None:
    """Rewrite every generated block of the README at ``path`` (``make readme``)."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    for name, make in GENERATED.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        text = text[: text.index(start) + len(start)] + "\n" + make() + "\n" + text[text.index(end) :]
    path.write_text(text, encoding="utf-8")
