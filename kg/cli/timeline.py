"""``kg timeline``: when each conflict finding held, and a plot of the findings over time."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import data_option, format_option, open_from_options, reading_options, rule_pack, rules_option


@click.command()
@reading_options
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Follow only this rule (repeatable); `kg rules` lists them.")
@rules_option
@format_option("table", "json", "csv")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also draw the number of findings over time by rule, as FILE.png or FILE.svg (or .pdf).",
)
@click.option(
    "--max-dates",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    metavar="N",
    help="Refuse a graph that changes on more dates than this: the rules run once per change date.",
)
@data_option
def timeline(min_status, min_stage, control_threshold, rule_ids, rule_dirs, output_format, plot, max_dates, data):
    """When each conflict finding held: its periods between the dates the graph changes.

    The rules run at every date where a claim that counts begins or has just
    ended, and once before the first: between two such dates the findings stay
    the same. A finding is the same finding at two dates when its rule and the
    entities of its key roles are the same (its evidence may change). A claim
    starting "2024" counts from 2024-01-01, one ending "2024-06" through
    2024-06-30. Periods read "2024-01-01 – 2024-06-30", "since 2025-03-01"
    (still holding) or "until 2023-12-31" (holding before the first change
    date); a finding whose status changes gets one period per status.

    \b
    Example:
        kg timeline
        kg timeline --data my-sheet/ --plot findings.svg
        kg timeline --min-status reported --format csv > periods.csv
    """
    from kg.analysis.timeline import finding_timeline
    from kg.analysis.timeline_report import format_timeline

    if plot is not None:
        from kg.render.plots import picture_format

        picture_format(plot)  # a bad extension fails before the rules run
    result = finding_timeline(
        open_from_options(data),
        min_status=min_status,
        min_stage=min_stage,
        control_threshold=control_threshold,
        rules=rule_ids or None,
        pack=rule_pack(),
        max_dates=max_dates,
    )
    click.echo(format_timeline(result, output_format))
    if plot is not None:
        from kg.render.plots import findings_over_time, save_figure

        save_figure(findings_over_time(result), plot)
        click.echo(f"Wrote {plot} ({len(result.findings)} finding(s), {len(result.change_dates)} change date(s))", err=True)
