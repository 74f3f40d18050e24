"""Findings as people and programs read them: a table, Markdown, CSV, or a JSON document;
and a what-if run's findings with the assumptions behind them and the findings they add and remove.

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

from kg.conflicts.model import Evidence, Finding, WhatIf
from kg.io.text import markdown_text, spreadsheet_cell, terminal_text
from kg.vocab import DEFAULT_CONTROL_THRESHOLD, claim_verb


def findings_document(
    findings: list[Finding], *, as_of, min_status: str, min_stage: str = "proposed", control_threshold=DEFAULT_CONTROL_THRESHOLD
) -> dict:
    """The ``--format json`` document: the reading (as-of date, minimum status and stage, control threshold) and the findings."""
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
    verb = claim_verb(evidence.type, evidence.kinds)
    dates = ""
    if evidence.type in ("Founding", "Departure"):
        dates = f", {evidence.start}" if evidence.start else ""  # events have a date, not a span
    elif evidence.start or evidence.end:
        dates = f", {evidence.start or '…'}–{evidence.end or '…'}"
    sources = "; ".join(source.name for source in evidence.sources) or "no source"
    stage = f", {evidence.stage}" if evidence.stage else ""
    assumed = "[assumed] " if evidence.assumed else ""
    return f"{assumed}{evidence.subject.label} {verb} {evidence.object.label} [{evidence.status}{stage}{dates}] — {sources}"


def _grouped(findings: list[Finding]):
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return groups.items()


def _findings_text(findings, *, width, preamble=(), **reading) -> str:
    lines = textwrap.wrap(f"{len(findings)} finding(s) {_reading_words(**reading)}.", width=width)
    lines += preamble
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
                lines += textwrap.wrap(  # a source's URL or IRI is not broken at its hyphens
                    terminal_text(_evidence_line(evidence)), width=width, initial_indent="    - ", subsequent_indent="      ",
                    break_on_hyphens=False,
                )
    return "\n".join(lines)


def _findings_markdown(findings, preamble=(), **reading) -> str:
    lines = [f"# Conflicts {_reading_words(**reading)}", "", f"{len(findings)} finding(s).", *preamble]
    for rule_id, group in _grouped(findings):
        first = group[0]
        lines += ["", f"## {markdown_text(first.title)} — `{rule_id}` ({markdown_text(first.severity)})", ""]
        for finding in group:
            lines.append(f"- **{markdown_text(finding.explanation)}** ({markdown_text(finding.status)})")
            for evidence in finding.evidence:
                lines.append(f"  - {markdown_text(_evidence_line(evidence))}")
    return "\n".join(lines)


#: ``sources`` holds the sources' IRIs; ``source_titles``, beside it, what each is called (its title, else its URL, else its IRI).
_CSV_COLUMNS = ["rule", "severity", "status", "entities", "explanation", "evidence", "sources", "source_titles"]


def _findings_csv(findings) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for finding in findings:
        writer.writerow(spreadsheet_cell(cell) for cell in _csv_cells(finding))
    return buffer.getvalue().rstrip("\n")


def _csv_cells(finding: Finding) -> list[str]:
    return [
        finding.rule,
        finding.severity,
        finding.status,
        "; ".join(f"{role}={entity.id}" for role, entity in finding.entities.items()),
        finding.explanation,
        "; ".join(evidence.claim for evidence in finding.evidence),
        *source_cells(finding),
    ]


def source_cells(finding: Finding) -> tuple[str, str]:
    """The ``sources`` and ``source_titles`` cells: each source of the finding's evidence once, in order, as
    its IRI and as what it is called."""
    names: dict[str, str] = {}
    for evidence in finding.evidence:
        for source in evidence.sources:
            names.setdefault(source.iri, source.name)
    return "; ".join(names), "; ".join(names.values())


# --- what-if runs --------------------------------------------------------------------------------

def whatif_document(
    result: WhatIf, *, as_of, min_status: str, min_stage: str = "proposed", control_threshold=DEFAULT_CONTROL_THRESHOLD
) -> dict:
    """The ``--format json`` document of a what-if run: the reading, ``assumptions``, ``added``, ``removed``
    and ``findings`` (with the assumptions); every evidence item says whether it is ``assumed``."""
    document = findings_document([], as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold)
    del document["findings"]
    return {**document, **result.to_dict()}


def format_whatif(
    result: WhatIf,
    output_format: str,
    *,
    as_of,
    min_status: str,
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    width: int = 100,
) -> str:
    """A what-if run as ``table``, ``json``, ``md`` or ``csv``: the findings with the assumptions, what
    was assumed, and which findings the assumptions add and remove; assumed evidence is marked."""
    reading = dict(as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold)
    findings = list(result.findings)
    if output_format == "json":
        return json.dumps(whatif_document(result, **reading), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _whatif_csv(result)
    if output_format == "md":
        return _findings_markdown(findings, preamble=_whatif_markdown(result), **reading)
    return _findings_text(findings, width=width, preamble=_whatif_text(result, width), **reading)


def _change_words(result: WhatIf) -> str:
    return f"Assumptions add {len(result.added)} finding(s), remove {len(result.removed)}"


def _assumption_words(assumption) -> str:
    where = f"{assumption.origin}: " if assumption.origin else ""
    counts = "" if assumption.counts else f" (does not count: {assumption.reason})"
    return f"{where}{assumption.row}{counts}"


def _whatif_text(result: WhatIf, width: int) -> list[str]:
    def wrapped(text: str, indent: str) -> list[str]:
        return textwrap.wrap(
            terminal_text(text), width=width, initial_indent=indent, subsequent_indent=indent + "    ", break_on_hyphens=False
        )

    lines = ["", "Assumed for this run only (written nowhere):"]
    for assumption in result.assumptions:
        lines += wrapped(f"{assumption.number}. {_assumption_words(assumption)}", "  ")
    changes = [("+", f) for f in result.added] + [("-", f) for f in result.removed]
    lines += ["", _change_words(result) + (":" if changes else ".")]
    for mark, finding in changes:
        lines += wrapped(f"{mark} {finding.rule}: {finding.explanation}", "  ")
    return lines


def _whatif_markdown(result: WhatIf) -> list[str]:
    lines = ["", "## Assumptions", "", "Assumed for this run only (written nowhere):", ""]
    lines += [f"- Assumption {a.number}: {markdown_text(_assumption_words(a))}" for a in result.assumptions]
    changes = [("added", f) for f in result.added] + [("removed", f) for f in result.removed]
    lines += ["", _change_words(result) + (":" if changes else ".")]
    if changes:
        lines.append("")
    lines += [f"- {word}: `{finding.rule}`: {markdown_text(finding.explanation)}" for word, finding in changes]
    return lines


def _whatif_csv(result: WhatIf) -> str:
    """The findings with the assumptions, then those they remove; ``change`` says added or removed,
    ``assumed_evidence`` which of a finding's evidence claims are assumed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*_CSV_COLUMNS, "change", "assumed_evidence"])
    added = {finding.identity for finding in result.added}
    rows = [(f, "added" if f.identity in added else "") for f in result.findings] + [(f, "removed") for f in result.removed]
    for finding, change in rows:
        assumed = "; ".join(evidence.claim for evidence in finding.evidence if evidence.assumed)
        writer.writerow(spreadsheet_cell(cell) for cell in [*_csv_cells(finding), change, assumed])
    return buffer.getvalue().rstrip("\n")


#: For other reports of findings (``kg diff``): the same evidence lines and JSON numbers.
evidence_line = _evidence_line
json_percent = _percent
