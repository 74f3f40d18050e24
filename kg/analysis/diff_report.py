"""A diff of findings as people and programs read it: a table, Markdown, CSV, or a JSON document.

The JSON document (``diff_document``), stable for scripts::

    {"from": {"as_of": "2019-12-31", "data": [...]}, "to": {"as_of": ..., "data": [...]},
     "min_status": ..., "min_stage": ..., "control_threshold": 50,
     "new": [finding + "since"], "resolved": [finding + "until"],
     "changed": [{"finding": ..., "before": ..., "changes": ["status reported → confirmed", ...]}],
     "unchanged": 3}

Each finding is as ``kg conflicts --format json`` gives it. Text from the data is
escaped for each format as ``kg.conflicts.report`` escapes it.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Sequence

from kg.analysis.diff import FindingsDiff
from kg.conflicts.model import Finding
from kg.conflicts.report import evidence_line, json_percent, source_cells
from kg.io.text import markdown_text, spreadsheet_cell, terminal_text

FORMATS = ("table", "json", "md", "csv")


def diff_document(diff: FindingsDiff, *, from_data: Sequence[str] = (), to_data: Sequence[str] = ()) -> dict:
    """The ``--format json`` document; ``from_data`` and ``to_data`` say what data each state read."""
    return {
        "from": {"as_of": diff.from_as_of.isoformat(), "data": [str(item) for item in from_data]},
        "to": {"as_of": diff.to_as_of.isoformat(), "data": [str(item) for item in to_data]},
        "min_status": diff.reading.min_status,
        "min_stage": diff.reading.min_stage,
        "control_threshold": json_percent(diff.reading.control_threshold),
        "new": [{**finding.to_dict(), "since": _iso(diff.since.get(finding.identity))} for finding in diff.new],
        "resolved": [{**finding.to_dict(), "until": _iso(diff.until.get(finding.identity))} for finding in diff.resolved],
        "changed": [
            {"finding": item.finding.to_dict(), "before": item.before.to_dict(), "changes": list(item.changes)}
            for item in diff.changed
        ],
        "unchanged": len(diff.unchanged),
    }


def format_diff(
    diff: FindingsDiff, output_format: str, *, from_data: Sequence[str] = (), to_data: Sequence[str] = (), width: int = 100
) -> str:
    """The diff as ``table``, ``json``, ``md`` or ``csv`` (one row per new, resolved or changed finding)."""
    if output_format == "json":
        return json.dumps(diff_document(diff, from_data=from_data, to_data=to_data), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _diff_csv(diff)
    if output_format == "md":
        return _diff_markdown(diff, from_data, to_data)
    return _diff_table(diff, from_data, to_data, width)


def _iso(day) -> str | None:
    return None if day is None else day.isoformat()


def _counts(diff: FindingsDiff) -> str:
    return f"{len(diff.new)} new, {len(diff.resolved)} resolved, {len(diff.changed)} changed, {len(diff.unchanged)} unchanged"


def _reading(diff: FindingsDiff) -> str:
    reading = diff.reading
    return (
        f"evidence at least {reading.min_status}, deals at least {reading.min_stage}, "
        f"control from {json_percent(reading.control_threshold)}% of shares"
    )


def _state(day, data: Sequence[str]) -> str:
    return f"as of {day.isoformat()}" + (f", {', '.join(str(item) for item in data)}" if data else "")


def _when(diff: FindingsDiff, finding: Finding, kind: str) -> str:
    """", since 2021-01-01" for a new finding the dates explain, ", until ..." for a resolved one, else ""."""
    if kind == "new":
        word, day = "since", diff.since.get(finding.identity)
    elif kind == "resolved":
        word, day = "until", diff.until.get(finding.identity)
    else:
        return ""
    return f", {word} {day.isoformat()}" if day else ""


def _sections(diff: FindingsDiff):
    """(title, kind, [(finding, lines under it)]) for each kind of change that has any."""
    sections = [
        ("New", "new", [(finding, [evidence_line(e) for e in finding.evidence]) for finding in diff.new]),
        ("Resolved", "resolved", [(finding, [evidence_line(e) for e in finding.evidence]) for finding in diff.resolved]),
        ("Changed", "changed", [(item.finding, list(item.changes)) for item in diff.changed]),
    ]
    return [section for section in sections if section[2]]


def _diff_table(diff: FindingsDiff, from_data, to_data, width: int) -> str:
    lines = [
        terminal_text(f"From: {_state(diff.from_as_of, from_data)}"),
        terminal_text(f"To:   {_state(diff.to_as_of, to_data)}"),
        *textwrap.wrap(f"Reading: {_reading(diff)}.", width=width),
        f"{_counts(diff)}.",
    ]
    for title, kind, entries in _sections(diff):
        lines += ["", f"{title.upper()} ({len(entries)})", "─" * min(width, 100)]
        for finding, details in entries:
            head = f"{finding.severity.upper()}  {finding.rule} [{finding.status}{_when(diff, finding, kind)}] {finding.explanation}"
            lines += textwrap.wrap(terminal_text(head), width=width, initial_indent="• ", subsequent_indent="  ")
            for detail in details:
                lines += textwrap.wrap(terminal_text(detail), width=width, initial_indent="    - ", subsequent_indent="      ",
                                       break_on_hyphens=False)
    return "\n".join(lines)


def _diff_markdown(diff: FindingsDiff, from_data, to_data) -> str:
    lines = [
        f"# What changed: {diff.from_as_of.isoformat()} → {diff.to_as_of.isoformat()}",
        "",
        f"- **From:** {markdown_text(_state(diff.from_as_of, from_data))}",
        f"- **To:** {markdown_text(_state(diff.to_as_of, to_data))}",
        f"- **Reading:** {_reading(diff)}",
        "",
        f"{_counts(diff)}.",
    ]
    for title, kind, entries in _sections(diff):
        lines += ["", f"## {title} ({len(entries)})", ""]
        for finding, details in entries:
            lines.append(
                f"- **{markdown_text(finding.explanation)}** — `{finding.rule}` "
                f"({markdown_text(finding.severity)}, {markdown_text(finding.status)}{_when(diff, finding, kind)})"
            )
            lines += [f"  - {markdown_text(detail)}" for detail in details]
    return "\n".join(lines)


def _diff_csv(diff: FindingsDiff) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["change", "date", "rule", "severity", "status", "entities", "explanation", "changes", "evidence", "sources",
                     "source_titles"])
    rows = [("new", finding, diff.since.get(finding.identity), ()) for finding in diff.new]
    rows += [("resolved", finding, diff.until.get(finding.identity), ()) for finding in diff.resolved]
    rows += [("changed", item.finding, None, item.changes) for item in diff.changed]
    for change, finding, day, changes in rows:
        writer.writerow(
            spreadsheet_cell(cell) for cell in [
                change,
                _iso(day) or "",
                finding.rule,
                finding.severity,
                finding.status,
                "; ".join(f"{role}={entity.id}" for role, entity in finding.entities.items()),
                finding.explanation,
                "; ".join(changes),
                "; ".join(evidence.claim for evidence in finding.evidence),
                *source_cells(finding),
            ]
        )
    return buffer.getvalue().rstrip("\n")
