"""When each finding held: the periods between the graph's change dates in which a rule fired on the same key.

Between two change dates (``kg.analysis.history.change_dates``: a claim that
counts begins, or has just ended) every claim is in force or not alike, so the
findings are the same on every day. ``finding_timeline`` runs the rule pack once
at each change date, and once on the day before the first, for what held
"since forever"; a finding is the same finding at two dates when its identity
(its rule and the IRIs of its key roles, ``Finding.identity``) is, whatever its
evidence. A partial date reads as everywhere in kg (docs/rules.md): a claim
starting "2024" holds from 2024-01-01, one ending "2024-06" through 2024-06-30.

Cost: one run of the rule pack per change date, which is fine for the graphs
an analyst keeps (a few hundred dated claims); a graph with more than
``max_dates`` change dates (default 500) is refused with an error rather than
cut short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Sequence

from kg.analysis.history import change_dates
from kg.backends.open import as_backend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.model import Finding
from kg.conflicts.pack import SEVERITY_ORDER, Rule, load_rules, select_rules
from kg.derive import Reading
from kg.errors import UsageError, arg

#: More change dates than this and ``finding_timeline`` refuses, unless its caller raises ``max_dates``.
MAX_CHANGE_DATES = 500


@dataclass(frozen=True)
class FindingPeriod:
    """Days ``[start, end)`` in which a finding held with one status.

    ``start`` None: it held before the graph's first change date ("since
    forever"); ``end`` None: it still holds at the last change date, with no end
    in sight. A finding whose status changes while it holds has one period per
    status, each ending where the next begins.
    """

    start: date | None
    end: date | None  # the first day it no longer held (or held with another status)
    status: str  # the finding's status in the period: its weakest link's

    @property
    def last_day(self) -> date | None:
        """The last day the finding held in this period (None: open-ended)."""
        return None if self.end is None else self.end - timedelta(days=1)

    def holds_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def __str__(self) -> str:
        """"2024-01-01 – 2024-06-30", "since 2025-03-01", "until 2023-12-31" or "at every date"."""
        if self.start is None and self.end is None:
            return "at every date"
        if self.start is None:
            return f"until {self.last_day.isoformat()}"
        if self.end is None:
            return f"since {self.start.isoformat()}"
        return f"{self.start.isoformat()} – {self.last_day.isoformat()}"

    def to_dict(self) -> dict:
        """``from`` (first day), ``to`` (first day after, exclusive), ``last_day``, ``status``; None for an open end."""
        iso = lambda day: None if day is None else day.isoformat()  # noqa: E731
        return {"from": iso(self.start), "to": iso(self.end), "last_day": iso(self.last_day), "status": self.status}


@dataclass(frozen=True)
class FindingHistory:
    """One finding (by identity) and the periods in which it held, earliest first."""

    finding: Finding  # as at the last change date on which it held: its latest entities, explanation, evidence
    periods: tuple[FindingPeriod, ...]

    @property
    def identity(self) -> tuple[str, ...]:
        return self.finding.identity

    def holds_on(self, day: date) -> bool:
        return any(period.holds_on(day) for period in self.periods)

    def to_dict(self) -> dict:
        finding = self.finding
        return {
            "rule": finding.rule,
            "title": finding.title,
            "severity": finding.severity,
            "entities": {role: {"id": e.id, "iri": e.iri, "label": e.label} for role, e in finding.entities.items()},
            "explanation": finding.explanation,
            "periods": [period.to_dict() for period in self.periods],
        }


@dataclass(frozen=True)
class FindingTimeline:
    """Every finding that held at some date, with its periods; and the dates the rules ran at."""

    findings: tuple[FindingHistory, ...]  # most severe first, then by rule and entity labels, as kg conflicts
    change_dates: tuple[date, ...]
    rules: tuple[str, ...]  # the ids of the rules that ran, in pack order
    min_status: str
    min_stage: str
    control_threshold: Decimal

    def at(self, day: date) -> list[FindingHistory]:
        """The findings that held on ``day``."""
        return [entry for entry in self.findings if entry.holds_on(day)]

    def counts(self) -> list[tuple[date | None, dict[str, int]]]:
        """Per stretch between change dates, from its first day (None: before the first change date), how
        many findings of each rule held: what ``findings_over_time`` draws."""
        starts: list[date | None] = [None, *self.change_dates]
        rows = []
        for start in starts:
            counts = dict.fromkeys(self.rules, 0)
            for entry in self.findings:
                if any(period.start is None if start is None else period.holds_on(start) for period in entry.periods):
                    counts[entry.finding.rule] += 1
            rows.append((start, counts))
        return rows

    def to_dict(self) -> dict:
        """The ``--format json`` document of ``kg timeline``."""
        threshold = self.control_threshold
        return {
            "min_status": self.min_status,
            "min_stage": self.min_stage,
            "control_threshold": int(threshold) if threshold == int(threshold) else float(threshold),
            "change_dates": [day.isoformat() for day in self.change_dates],
            "findings": [entry.to_dict() for entry in self.findings],
        }


def finding_timeline(
    graph,
    *,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=None,
    rules=None,
    pack: Sequence[Rule] | None = None,
    max_dates: int = MAX_CHANGE_DATES,
) -> FindingTimeline:
    """For each finding of the rule pack, the periods in which it held (see the module's docstring).

    ``graph`` is an rdflib graph or a backend (Oxigraph, an endpoint); the
    reading (``min_status``, ``min_stage``, ``control_threshold``), ``rules``
    and ``pack`` mean what they mean to ``find_conflicts``. The pack runs once
    per change date, plus once before the first: more than ``max_dates`` change
    dates is a ``UsageError``.
    """
    backend = as_backend(graph)
    reading = Reading.of(None, min_status, min_stage, control_threshold)
    pack = load_rules() if pack is None else pack
    selected = select_rules(pack, rules)
    days = change_dates(backend, min_status=reading.min_status, min_stage=reading.min_stage)
    if len(days) > max_dates:
        raise UsageError(
            f"the graph changes on {len(days):,} dates, more than {arg('max_dates')} ({max_dates:,}): the rules run once "
            f"per date; raise {arg('max_dates')} to run them anyway"
        )
    # Each probe stands for the stretch from its start (None: since forever) to the next probe's start.
    probes: list[tuple[date | None, date]] = [(day, day) for day in days]
    if not days:
        probes = [(None, date.today())]
    elif days[0] > date.min:
        probes.insert(0, (None, days[0] - timedelta(days=1)))
    options = dict(min_status=reading.min_status, min_stage=reading.min_stage, control_threshold=reading.control_threshold)
    latest: dict[tuple, Finding] = {}
    runs: dict[tuple, list[list]] = {}  # identity -> [[start, end, status], ...]
    for index, (start, as_of) in enumerate(probes):
        end = probes[index + 1][0] if index + 1 < len(probes) else None
        for finding in find_conflicts(backend, as_of=as_of, pack=selected, **options):
            identity = finding.identity
            latest[identity] = finding
            periods = runs.setdefault(identity, [])
            if periods and periods[-1][1] == start and start is not None and periods[-1][2] == finding.status:
                periods[-1][1] = end  # it goes on, with the same status
            else:
                periods.append([start, end, finding.status])
    findings = sorted(
        (FindingHistory(latest[identity], tuple(FindingPeriod(*run) for run in periods)) for identity, periods in runs.items()),
        key=lambda entry: (
            SEVERITY_ORDER.index(entry.finding.severity),
            entry.finding.rule,
            [e.label.casefold() for e in entry.finding.entities.values()],
            [e.iri for e in entry.finding.entities.values()],
        ),
    )
    return FindingTimeline(
        findings=tuple(findings),
        change_dates=tuple(days),
        rules=tuple(rule.id for rule in selected),
        min_status=reading.min_status,
        min_stage=reading.min_stage,
        control_threshold=reading.control_threshold,
    )
