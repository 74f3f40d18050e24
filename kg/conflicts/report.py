"""Findings as people and programs read them: a table, Markdown, CSV, or the JSON document of DESIGN section 4.

Names in findings come from the data. The table shows control characters as
escapes, Markdown escapes markup and HTML, and CSV cells that a spreadsheet
would run as a formula get a leading ``'`` (``kg.io.text``); JSON is exact.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from decimal import Decimal

from kg.conflicts.model import Evidence, Finding
from kg.io.text import markdown_text, spreadsheet_cell, terminal_text
from kg.vocab import CLAIM_TYPES, DEFAULT_CONTROL_THRESHOLD, KG


def findings_document(
    findings: list[Finding], *, as_of, min_status: str, min_stage: str = "proposed", control_threshold=DEFAULT_CONTROL_THRESHOLD
) -> dict:
    """The ``--format json`` document (DESIGN section 4)."""
    return {
        "as_of": str(as_of),
        "min_status": min_status,
        "min_stage": min_stage,
        "control_threshold": _percent(control_threshold),
        "findings": [f.to_dict() for f in findings],
    }


def format_findings(
    findings: list[Finding],
    output_format: str,
    *,
    as_of,
    min_status: str,
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    width: int = 100,
) -> str:
    """Findings as ``table`` (grouped by rule, most severe first), ``json``, ``md`` or ``csv``."""
    reading = dict(as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold)
    if output_format == "json":
        return json.dumps(findings_document(findings, **reading), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _findings_csv(findings)
    if output_format == "md":
        return _findings_markdown(findings, **reading)
    return _findings_text(findings, width=width, **reading)


def _percent(threshold) -> int | float:
    """The threshold as JSON writes a number: 50, or 33.3 (never "50.0" or a string)."""
    number = Decimal(str(threshold))
    return int(number) if number == number.to_integral_value() else float(number)


def _reading_words(*, as_of, min_status, min_stage, control_threshold) -> str:
    """What the findings depend on, in words, for the headers of the table and Markdown."""
    return (
        f"as of {as_of}, evidence at least {min_status}, deals at least {min_stage}, "
        f"control from {_percent(control_threshold)}% of shares"
    )


def _evidence_line(evidence: Evidence) -> str:
    verb = CLAIM_TYPES[KG[evidence.type]].verb
    dates = ""
    if evidence.type in ("Founding", "Departure"):
        dates = f", {evidence.start}" if evidence.start else ""  # events have a date, not a span
    elif evidence.start or evidence.end:
        dates = f", {evidence.start or '…'}–{evidence.end or '…'}"
    sources = "; ".join(source.title or source.iri for source in evidence.sources) or "no source"
    stage = f", {evidence.stage}" if evidence.stage else ""
    return f"{evidence.subject.label} {verb} {evidence.object.label} [{evidence.status}{stage}{dates}] — {sources}"


def _grouped(findings: list[Finding]):
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return groups.items()


def _findings_text(findings, *, width, **reading) -> str:
    lines = textwrap.wrap(f"{len(findings)} finding(s) {_reading_words(**reading)}.", width=width)
    for rule_id, group in _grouped(findings):
        first = group[0]
        heading = terminal_text(f"{first.severity.upper()}  {rule_id}: {first.title} ({len(group)})")
        lines += ["", heading, "─" * min(width, 100)]
        for finding in group:
            lines += textwrap.wrap(
                terminal_text(f"[{finding.status}] {finding.explanation}"),
                width=width, initial_indent="• ", subsequent_indent="  ",
            )
            for evidence in finding.evidence:
                lines += textwrap.wrap(
                    terminal_text(_evidence_line(evidence)), width=width, initial_indent="    - ", subsequent_indent="      "
                )
    return "\n".join(lines)


def _findings_markdown(findings, **reading) -> str:
    lines = [f"# Conflicts {_reading_words(**reading)}", "", f"{len(findings)} finding(s)."]
    for rule_id, group in _grouped(findings):
        first = group[0]
        lines += ["", f"## {markdown_text(first.title)} — `{rule_id}` ({markdown_text(first.severity)})", ""]
        for finding in group:
            lines.append(f"- **{markdown_text(finding.explanation)}** ({markdown_text(finding.status)})")
            for evidence in finding.evidence:
                lines.append(f"  - {markdown_text(_evidence_line(evidence))}")
    return "\n".join(lines)


def _findings_csv(findings) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rule", "severity", "status", "entities", "explanation", "evidence", "sources"])
    for finding in findings:
        writer.writerow(
            spreadsheet_cell(cell) for cell in [
                finding.rule,
                finding.severity,
                finding.status,
                "; ".join(f"{role}={entity.id}" for role, entity in finding.entities.items()),
                finding.explanation,
                "; ".join(evidence.claim for evidence in finding.evidence),
                "; ".join(dict.fromkeys(source.iri for evidence in finding.evidence for source in evidence.sources)),
            ]
        )
    return buffer.getvalue().rstrip("\n")


#: For other reports of findings (``kg diff``): the same evidence lines and JSON numbers.
evidence_line = _evidence_line
json_percent = _percent
