"""``kg rules``: the rules in force and where each comes from; ``kg rules check``: a pack's files, checked all at once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kg.cli.group import CommandError, flag_of
from kg.cli.options import format_option, rule_pack, rules_option

#: Marks a key role in the table: one finding per distinct set of key roles' entities.
KEY_MARK = "*"


@click.group(invoke_without_command=True)
@rules_option
@format_option("table", "json")
@click.pass_context
def rules(ctx, rule_dirs, output_format):
    """List the conflict rules in force: the bundled pack and any --rules DIR.

    Shows each rule's severity, its roles (a * marks a key role: one finding
    per distinct set of key roles' entities) and its origin: "bundled", or the
    folder it was read from. A rule of a folder that has a bundled rule's id
    replaces it, and the folder is its origin.

    \b
    Example:
        kg rules
        kg rules --rules my-rules/ --format json
        kg rules check my-rules/
    """
    if ctx.invoked_subcommand is not None:
        return
    pack = rule_pack()
    if output_format == "json":
        fields = ("id", "title", "severity", "description", "roles", "key", "origin")
        document = [{**{name: getattr(rule, name) for name in fields}, "path": str(rule.path)} for rule in pack]
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from tabulate import tabulate

    from kg.io.text import terminal_text as safe

    rows = [
        (rule.id, rule.severity, " ".join(role + (KEY_MARK if role in rule.key else "") for role in rule.roles), safe(rule.origin))
        for rule in pack
    ]
    click.echo(tabulate(rows, headers=["rule", "severity", "roles", "origin"], tablefmt="simple"))
    click.echo(f"\n{KEY_MARK} a key role: one finding per distinct set of key roles' entities.")


@rules.command()
@click.argument("rule_dirs", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="DIR...")
def check(rule_dirs):
    """Check every rule file of each folder: its header, and one run on each engine.

    Every file is checked, not only up to the first broken one: a header the
    pack loader refuses, an id two files share, a rule that reads beyond the
    graph kg derives (SERVICE, FROM), and a rule that rdflib or Oxigraph cannot
    run on an empty graph. Each sound rule is one line; each broken file one
    "Error: FILE:LINE: message" line on stderr (the first error in that file),
    and the exit code is then 2.

    \b
    Example:
        kg rules check my-rules/
    """
    from kg.conflicts.check import check_pack
    from kg.io.text import terminal_text as safe

    checks = check_pack(rule_dirs)
    for verdict in checks:
        if verdict.ok:
            replaces = ", replaces the bundled rule" if verdict.replaces_bundled else ""
            click.echo(f"ok  {safe(verdict.path)}  {verdict.rule.id} ({verdict.rule.severity}{replaces})")
        else:
            click.echo(f"Error: {safe(verdict.error.render(flag_of))}", err=True)
    broken = sum(1 for verdict in checks if not verdict.ok)
    what = "header, and one run on rdflib and on Oxigraph"
    if not broken:
        click.echo(f"{len(checks)} rule(s) checked ({what}): no error.")
        return
    click.echo(f"{len(checks)} rule file(s) checked ({what}): {broken} with an error.")
    raise click.exceptions.Exit(CommandError.exit_code)
