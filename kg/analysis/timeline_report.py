"""A ``FindingTimeline`` as people and programs read it: a table, CSV (one row per period) or JSON.

Names come from the data: the table shows control characters as escapes, and
CSV cells a spreadsheet would run as a formula get a leading ``'``
(``kg.io.text``); JSON is exact.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap

from kg.analysis.timeline import FindingTimeline
from kg.errors import UsageError, arg
from kg.io.text import spreadsheet_cell, terminal_text


def format_timeline(timeline: FindingTimeline, output_format: str = "table") -> str:
    """The timeline as ``table`` (the default), ``json`` (``FindingTimeline.to_dict``) or ``csv``."""
    if output_format == "json":
        return json.dumps(timeline.to_dict(), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _csv(timeline)
    if output_format != "table":
        raise UsageError(f"unknown {arg('output_format')} {output_format!r}; expected table, json or csv")
    return _table(timeline)


def summary(timeline: FindingTimeline) -> str:
    """One sentence: how many findings, which dates the rules ran at, and the reading."""
    days = timeline.change_dates
    if not days:
        when = "the graph has no dated claim that counts: the findings are the same at every date"
    elif len(days) == 1:
        when = f"the rules ran before and on the graph's one change date, {days[0].isoformat()}"
    else:
        when = f"the rules ran before {days[0].isoformat()} and at {len(days)} change dates through {days[-1].isoformat()}"
    threshold = timeline.to_dict()["control_threshold"]
    return (
        f"{len(timeline.findings)} finding(s) over time: {when}; evidence at least {timeline.min_status}, "
        f"deals at least {timeline.min_stage}, control from {threshold}% of shares."
    )


def _table(timeline: FindingTimeline) -> str:
    """One block of lines per finding, a blank line between: its rule, its entities by role, its periods."""
    lines = textwrap.wrap(terminal_text(summary(timeline)), width=100)
    blocks = [
        (
            [entry.finding.rule],
            [terminal_text(f"{role}: {entity.label}") for role, entity in entry.finding.entities.items()],
            [f"{period} [{period.status}]" for period in entry.periods],
        )
        for entry in timeline.findings
    ]
    if not blocks:
        return "\n".join(lines)
    headers = ("rule", "entities", "periods")
    widths = [max(len(text) for block in blocks for text in block[column]) for column in range(3)]
    widths = [max(width, len(header)) for width, header in zip(widths, headers)]
    row = lambda cells: "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()  # noqa: E731
    lines += ["", row(headers), row(["─" * width for width in widths])]
    for index, block in enumerate(blocks):
        if index:
            lines.append("")
        height = max(len(column) for column in block)
        lines += [row([column[i] if i < len(column) else "" for column in block]) for i in range(height)]
    return "\n".join(lines)


def _csv(timeline: FindingTimeline) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rule", "severity", "entities", "from", "to", "last_day", "status"])
    for entry in timeline.findings:
        entities = "; ".join(f"{role}={entity.id}" for role, entity in entry.finding.entities.items())
        for period in entry.periods:
            bounds = period.to_dict()
            cells = [entry.finding.rule, entry.finding.severity, entities, bounds["from"], bounds["to"], bounds["last_day"], period.status]
            writer.writerow(spreadsheet_cell(cell or "") for cell in cells)
    return buffer.getvalue().rstrip("\n")
