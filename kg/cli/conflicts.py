"""``kg conflicts``: the rule pack, its findings and their evidence."""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

import click

from kg.cli.options import as_of_options, data_option, format_option, open_from_options, rule_pack, rules_option


class RulePackCommand(click.Command):
    """A command whose help lists the rules of the pack in force, read from the rule files themselves."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rules = rule_pack(ctx)
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
@rules_option
@format_option("table", "json", "md", "csv")
@click.option("--fail-on-findings", is_flag=True, help="Exit with code 1 when there is any finding (for CI jobs).")
@click.option(
    "--assume",
    "assume",
    multiple=True,
    metavar="ROW",
    help="What if: add this hypothetical claim, a relations.csv row in the columns subject,relation,object,start,end,"
    "status,stage,... (status defaults to reported; ids as the data has them); repeatable. The report says which "
    "findings the assumptions add and remove, and marks assumed evidence. Nothing is written anywhere.",
)
@click.option(
    "--assume-file",
    "assume_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="What if: add each row of this relations.csv-like file (with its header) as a hypothetical claim, as --assume.",
)
@data_option
def conflicts(as_of, min_status, min_stage, control_threshold, rule_ids, rule_dirs, output_format, fail_on_findings, assume,
              assume_files, data):
    """Find where control, money, supply and rivalry cross, with the evidence.

    {rules}

    \b
    Example:
        kg conflicts
        kg conflicts --as-of 2022-06 --min-status reported --format json
        kg conflicts --rule competitor-controlled-supplier --data my-sheet/
        kg conflicts --rules my-rules/ --help
        kg conflicts --assume "openai,buys_compute_from,spacex,2026-01,,rumored"
    """
    from kg.derive import Reading

    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    if assume or assume_files:
        from kg.conflicts.report import format_whatif
        from kg.conflicts.whatif import find_conflicts_assuming

        result = find_conflicts_assuming(
            open_from_options(data), assume, assume_files=assume_files, **vars(reading), rules=rule_ids or None, pack=rule_pack()
        )
        click.echo(format_whatif(result, output_format, **vars(reading), width=width))
        findings = result.findings
    else:
        from kg.conflicts.engine import find_conflicts
        from kg.conflicts.report import format_findings

        findings = find_conflicts(open_from_options(data), **vars(reading), rules=rule_ids or None, pack=rule_pack())
        click.echo(format_findings(findings, output_format, **vars(reading), width=width))
    if fail_on_findings and findings:
        sys.exit(1)
