"""``kg conflicts``: the rule pack, its findings and their evidence."""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

import click

from kg.cli.options import as_of_options, data_option, format_option, open_from_options

_PACK = "kg.rule_pack"


def _load_pack(ctx: click.Context, param: click.Parameter, rule_dirs):
    """Read the pack as soon as --rules is parsed, so that ``--rules DIR --help`` lists its rules too."""
    from kg.conflicts.pack import load_pack

    ctx.meta[_PACK] = load_pack(rule_dirs)
    return rule_dirs


class RulePackCommand(click.Command):
    """A command whose help lists the rules of the pack in force, read from the rule files themselves."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from kg.conflicts.pack import load_pack

        rules = ctx.meta.get(_PACK) or load_pack()
        width = max(len(rule.id) for rule in rules)
        listing = "\n".join(f"  {rule.id:<{width}}  {rule.severity:<6}  {rule.title}" for rule in rules)
        original = self.help
        self.help = inspect.cleandoc(original).replace("{rules}", "\b\nRules:\n" + listing)
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = original


@click.command(cls=RulePackCommand)
@as_of_options
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Run only this rule (repeatable); see the rule ids below.")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    is_eager=True,
    callback=_load_pack,
    metavar="DIR",
    help="Also run the rules (.rq files) of this folder (repeatable); a rule with a bundled rule's id replaces it.",
)
@format_option("table", "json", "md", "csv")
@click.option("--fail-on-findings", is_flag=True, help="Exit with code 1 when there is any finding (for CI jobs).")
@data_option
def conflicts(as_of, min_status, min_stage, control_threshold, rule_ids, rule_dirs, output_format, fail_on_findings, data):
    """Find where control, money, supply and rivalry cross, with the evidence.

    {rules}

    \b
    Example:
        kg conflicts
        kg conflicts --as-of 2022-06 --min-status reported --format json
        kg conflicts --rule competitor-controlled-supplier --data my-sheet/
        kg conflicts --rules my-rules/ --help
    """
    from kg.conflicts.engine import find_conflicts
    from kg.conflicts.report import format_findings
    from kg.derive import Reading

    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    pack = click.get_current_context().meta[_PACK]
    findings = find_conflicts(open_from_options(data), **vars(reading), rules=rule_ids or None, pack=pack)
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(format_findings(findings, output_format, **vars(reading), width=width))
    if fail_on_findings and findings:
        sys.exit(1)
