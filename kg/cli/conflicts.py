"""``kg conflicts``: the rule pack, its findings and their evidence."""

from __future__ import annotations

import inspect
import shutil
import sys

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
    findings = find_conflicts(open_from_options(data), **vars(reading), rules=rule_ids or None, pack=rule_pack())
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(format_findings(findings, output_format, **vars(reading), width=width))
    if fail_on_findings and findings:
        sys.exit(1)
