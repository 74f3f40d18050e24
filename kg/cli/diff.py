"""``kg diff``: the findings new, resolved or changed between two dates, two versions of the data, or both."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from kg.cli.options import (
    backend_options,
    control_threshold_option,
    data_option,
    format_option,
    open_from_options,
    rule_pack,
    rules_option,
    status_options,
)


@click.command()
@click.option("--from", "from_date", metavar="DATE", help="The earlier date: YYYY-MM-DD, or YYYY-MM / YYYY meaning its last day "
              "(default: the --to date, to compare two versions of the data on one day).")
@click.option("--to", "to_date", metavar="DATE", help="The later date, read as --from is (default: today).")
@click.option(
    "--base",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="The earlier version of the data (repeatable, read as --data is); default: the --data itself.",
)
@status_options
@control_threshold_option
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Compare only this rule's findings (repeatable).")
@rules_option
@format_option("table", "json", "md", "csv")
@click.option("--fail-on-new", is_flag=True, help="Exit with code 1 when any finding is new (for a nightly job).")
@data_option
def diff(from_date, to_date, base, min_status, min_stage, control_threshold, rule_ids, rule_dirs, output_format, fail_on_new, data):
    """Findings new, resolved or changed between two dates or two versions of the data.

    A finding is the same finding when its rule and the entities in its key
    roles are the same; it is "changed" when its status, the entities in its
    other roles or its evidence (a claim, a source, a claim's dates, status or
    stage) differ, and each change is said in a few words. Both states are read
    with the same options (--min-status, --min-stage, --control-threshold, the
    rules). Between two dates, a new finding shows the day it began to hold and a
    resolved one the last day it held, where the dates and not the data explain
    it.

    \b
    Example:
        kg diff --from 2019 --to 2026-06-30
        kg diff --base last-week/ --data today/ --fail-on-new --format md > report.md
        kg diff --base last-week/ --data today/ --from 2026-01 --format json
    """
    from kg.analysis.diff import diff_findings
    from kg.analysis.diff_report import format_diff

    later = open_from_options(data)
    earlier = _open_base(base) if base else None
    result = diff_findings(
        later,
        earlier,
        from_date=from_date,
        to_date=to_date,
        min_status=min_status,
        min_stage=min_stage,
        control_threshold=control_threshold,
        rules=rule_ids or None,
        pack=rule_pack(),
    )
    to_data = _described(data)
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(format_diff(result, output_format, from_data=[str(p) for p in base] or to_data, to_data=to_data, width=width))
    if fail_on_new and result.new:
        sys.exit(1)


def _open_base(base):
    """The earlier version of the data, in the kind of store --store names (Oxigraph in memory, never --store-path)."""
    from kg.backends.open import open_backend

    options = backend_options()
    store = "oxigraph" if options.get("store_path") or options.get("store") == "oxigraph" else "memory"
    return open_backend(base, store=store)


def _described(data) -> list[str]:
    """What a state read, for the report: the paths given, the endpoint (without credentials), or the bundled example."""
    from kg.backends.http import shown

    endpoint = backend_options().get("endpoint")
    if endpoint:
        return [shown(endpoint)]
    return [str(path) for path in data] or ["bundled example"]
