"""An ``OwnersReport`` as people and programs read it: a table, Markdown, CSV or JSON.

Names come from the data: the table shows control characters as escapes,
Markdown escapes markup and HTML, and CSV cells a spreadsheet would run as a
formula get a leading ``'`` (``kg.io.text``); JSON is exact.
"""

from __future__ import annotations

import csv
import io
import json

from kg.analysis.owners import Chain, Owner, OwnersReport
from kg.errors import UsageError, arg
from kg.io.text import markdown_text, spreadsheet_cell, terminal_text


def format_owners(report: OwnersReport, output_format: str = "table") -> str:
    """The report as ``table`` (the default), ``json`` (``OwnersReport.to_dict``), ``md`` or ``csv``."""
    if output_format == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _csv(report)
    if output_format == "md":
        return _markdown(report)
    if output_format != "table":
        raise UsageError(f"unknown {arg('output_format')} {output_format!r}; expected table, json, md or csv")
    return _table(report)


def _reading_words(report: OwnersReport) -> str:
    words = f"as of {report.as_of}, evidence at least {report.min_status}, deals at least {report.min_stage}"
    if report.min_share is not None:
        words += f", shares that can reach {format(report.min_share.normalize(), 'f')}%"
    return words


def _held(owner: Owner) -> str:
    return "direct and indirect" if owner.direct and owner.indirect else "direct" if owner.direct else "indirect"


def _chain_text(chain: Chain) -> str:
    """The chain in words; a chain of several holdings ends with its product."""
    return str(chain) + (f" = {chain.share}" if len(chain.holdings) > 1 else "")


def _cycle_text(cycle) -> str:
    return " → ".join(agent.label for agent in (*cycle, cycle[0]))


def _summary(report: OwnersReport) -> str:
    return f"{len(report.owners)} owner(s) of {report.org.label} {_reading_words(report)}."


def _notes(report: OwnersReport) -> list[str]:
    """What the reader must know besides the rows: cycles met, sums clipped."""
    notes = []
    if not report.owners:
        reach = "" if report.min_share is None else " with a share that can reach the minimum"
        notes.append(f"No ownership in force, nor investment that gives its stake, leads up to {report.org.label}{reach}.")
    for cycle in report.cycles:
        notes.append(f"Cycle of holdings met, not followed round: {_cycle_text(cycle)}")
    clipped = [owner.entity.label for owner in report.owners if owner.clipped]
    if clipped:
        notes.append(f"Shown as 100%, the data's shares adding up to more: {', '.join(clipped)}")
    return notes


def _table(report: OwnersReport) -> str:
    from tabulate import tabulate

    lines = [terminal_text(_summary(report))]
    if report.owners:
        rows = [
            [
                terminal_text(owner.entity.label),
                terminal_text(str(owner.share)),
                _held(owner),
                "yes" if owner.ultimate else "",
                "\n".join(terminal_text(_chain_text(chain)) for chain in owner.chains),
            ]
            for owner in report.owners
        ]
        lines += ["", tabulate(rows, headers=["owner", "effective share", "held", "ultimate", "chains"], tablefmt="simple")]
    notes = _notes(report)
    if notes:
        lines += [""] + [terminal_text(note) for note in notes]
    return "\n".join(lines)


def _markdown(report: OwnersReport) -> str:
    lines = [f"# Owners of {markdown_text(report.org.label)}", "", markdown_text(_summary(report))]
    if report.owners:
        lines += ["", "| owner | effective share | held | ultimate | chains |", "|---|---|---|---|---|"]
        for owner in report.owners:
            cells = [
                owner.entity.label,
                str(owner.share),
                _held(owner),
                "yes" if owner.ultimate else "",
                "; ".join(_chain_text(chain) for chain in owner.chains),
            ]
            lines.append("| " + " | ".join(markdown_text(cell) for cell in cells) + " |")
    notes = _notes(report)
    if notes:
        lines += [""] + [f"- {markdown_text(note)}" for note in notes]
    return "\n".join(lines)


def _csv(report: OwnersReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["owner", "owner_id", "share_low", "share_high", "held", "ultimate", "chains", "claims"])
    for owner in report.owners:
        claims = dict.fromkeys(holding.claim for chain in owner.chains for holding in chain.holdings)
        writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                owner.entity.label,
                owner.entity.id,
                format(owner.share.low.normalize(), "f"),
                format(owner.share.high.normalize(), "f"),
                _held(owner),
                "yes" if owner.ultimate else "no",
                "; ".join(_chain_text(chain) for chain in owner.chains),
                "; ".join(claims),
            ]
        )
    return buffer.getvalue().rstrip("\n")
