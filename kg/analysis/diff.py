"""What changed between two states of the findings: new, resolved and changed findings.

A state is the data at an as-of date. Two states differ by their date (the same
data, ``from_date`` and ``to_date``), by their data (``base`` against ``graph``),
or both. A finding is the same finding in both when its identity is the same
(``Finding.identity``: its rule and the IRIs of its key roles), whatever its
evidence; it is *changed* when its status, an entity in one of its roles, or its
evidence differs (a claim added or dropped, a source gained or lost, a claim's
status, dates or stage), and each difference is said in a short phrase.

When the dates differ, kg also says on which day a new finding began to hold,
or after which day a resolved one stopped, where the dates explain it: it walks
the later data's change dates (``kg.analysis.history``) back from ``to_date``,
one run of the rule pack per date, until every such day is found. A finding new
or resolved because the data changed, not the date, has no such day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Sequence

from kg.analysis.history import change_dates
from kg.backends.open import as_backend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.model import Evidence, Finding
from kg.conflicts.pack import Rule, load_rules, select_rules
from kg.dates import parse_as_of
from kg.derive import Reading
from kg.errors import UsageError, arg
from kg.vocab import DEFAULT_CONTROL_THRESHOLD, claim_verb


@dataclass(frozen=True)
class ChangedFinding:
    """A finding in both states that is not the same in both: as it is now, as it was, and what differs."""

    finding: Finding  # in the later state
    before: Finding  # in the earlier state
    changes: tuple[str, ...]  # "status reported → confirmed", "evidence: +1 source on A buys compute from B (Title)"

    @property
    def identity(self) -> tuple[str, ...]:
        return self.finding.identity


@dataclass(frozen=True)
class FindingsDiff:
    """The findings new, resolved and changed from one state (``from_as_of``, the base data) to another."""

    from_as_of: date
    to_as_of: date
    reading: Reading  # min_status, min_stage and control_threshold, the same for both states (its as_of is to_as_of)
    new: tuple[Finding, ...]  # in the later state only, ordered as kg conflicts orders findings
    resolved: tuple[Finding, ...]  # in the earlier state only, as they were
    changed: tuple[ChangedFinding, ...]
    unchanged: tuple[Finding, ...]
    #: identity -> the first day a new finding held, where the dates (not the data) made it new.
    since: dict[tuple, date] = field(default_factory=dict)
    #: identity -> the last day a resolved finding held, where the dates (not the data) resolved it.
    until: dict[tuple, date] = field(default_factory=dict)

    def __bool__(self) -> bool:
        """True when anything is new, resolved or changed."""
        return bool(self.new or self.resolved or self.changed)


def diff_findings(
    graph,
    base=None,
    *,
    from_date=None,
    to_date=None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    rules=None,
    pack: Sequence[Rule] | None = None,
) -> FindingsDiff:
    """The findings of ``base`` at ``from_date`` against those of ``graph`` at ``to_date``.

    ``graph`` and ``base`` are rdflib graphs or backends; ``base`` defaults to
    ``graph`` (a diff between two dates of the same data). Dates are ``date``
    objects or ``YYYY[-MM[-DD]]``, a partial date meaning its last day as with
    ``as_of``; ``to_date`` defaults to today and ``from_date`` to ``to_date``
    (a diff between two versions of the data on one day). The other arguments
    are ``find_conflicts``'s, applied to both states.
    """
    to_day = parse_as_of(to_date, "to_date") if to_date is not None else date.today()
    if base is None and from_date is None:
        raise UsageError(f"nothing to compare: give {arg('from_date')}, {arg('base')}, or both")
    from_day = parse_as_of(from_date, "from_date") if from_date is not None else to_day
    if from_day > to_day:
        raise UsageError(f"{arg('from_date')} {from_day.isoformat()} is after {arg('to_date')} {to_day.isoformat()}")
    reading = Reading.of(to_day, min_status, min_stage, control_threshold)
    pack = select_rules(load_rules() if pack is None else pack, rules)
    later = as_backend(graph)
    earlier = later if base is None else as_backend(base)

    def findings_at(backend, day: date) -> list[Finding]:
        return find_conflicts(
            backend, as_of=day, min_status=reading.min_status, min_stage=reading.min_stage,
            control_threshold=reading.control_threshold, pack=pack,
        )

    before, after = findings_at(earlier, from_day), findings_at(later, to_day)
    new, resolved, changed, unchanged = compare_findings(before, after)
    since, until = {}, {}
    if from_day < to_day and (new or resolved):
        at_from = before if earlier is later else None
        since, until = _dates_of_change(
            lambda day: findings_at(later, day), later, reading, from_day, to_day, after, at_from, new, resolved
        )
    return FindingsDiff(from_day, to_day, reading, tuple(new), tuple(resolved), tuple(changed), tuple(unchanged), since, until)


def compare_findings(before: Sequence[Finding], after: Sequence[Finding]):
    """``(new, resolved, changed, unchanged)`` between two lists of findings, matched by identity.

    New, changed and unchanged keep the order of ``after``; resolved that of ``before``.
    """
    earlier = {finding.identity: finding for finding in before}
    later = {finding.identity: finding for finding in after}
    new = [finding for finding in after if finding.identity not in earlier]
    resolved = [finding for finding in before if finding.identity not in later]
    changed, unchanged = [], []
    for finding in after:
        previous = earlier.get(finding.identity)
        if previous is None:
            continue
        changes = describe_changes(previous, finding)
        if changes:
            changed.append(ChangedFinding(finding, previous, tuple(changes)))
        else:
            unchanged.append(finding)
    return new, resolved, changed, unchanged


def describe_changes(before: Finding, after: Finding) -> list[str]:
    """What differs between two states of one finding, a short phrase each; empty when nothing does.

    The evidence is compared claim by claim (by the claim's IRI), whatever its order.
    """
    changes = []
    if before.status != after.status:
        changes.append(f"status {before.status} → {after.status}")
    for role in dict.fromkeys([*after.entities, *before.entities]):
        was, now = before.entities.get(role), after.entities.get(role)
        if was is None:
            changes.append(f"{role}: {now.label} added")
        elif now is None:
            changes.append(f"{role}: {was.label} dropped")
        elif was.iri != now.iri:
            changes.append(f"{role} {was.label} → {now.label}")
        elif was.label != now.label:
            changes.append(f"{role} renamed {was.label} → {now.label}")
    earlier, later = _by_claim(before.evidence), _by_claim(after.evidence)
    for claim, evidence in later.items():
        if claim not in earlier:
            changes.append(f"evidence gained: {claim_phrase(evidence)} [{_claim_detail(evidence)}]")
    for claim, evidence in earlier.items():
        if claim not in later:
            changes.append(f"evidence lost: {claim_phrase(evidence)} [{_claim_detail(evidence)}]")
    for claim, now in later.items():
        was = earlier.get(claim)
        if was is not None:
            changes += _claim_changes(was, now)
    if not changes and before.explanation != after.explanation:
        changes.append(f"explanation now: {after.explanation}")
    return changes


def _by_claim(evidence: Sequence[Evidence]) -> dict:
    """A finding's evidence by claim: its IRI, or for a blank-node claim (whose id changes from one
    load of a file to the next) what it says, numbered where several say the same."""
    keyed: dict = {}
    for item in evidence:
        if ":" in item.claim:  # an IRI has a scheme; a blank node's id has no colon
            keyed[item.claim] = item
            continue
        said = (item.type, item.subject.iri, item.object.iri, item.start, item.end, item.stage)
        index = sum(1 for key in keyed if isinstance(key, tuple) and key[0] == said)
        keyed[(said, index)] = item
    return keyed


def claim_phrase(evidence: Evidence) -> str:
    """"Anthropic buys compute from SpaceX": a claim of a finding's evidence, in a few words."""
    return f"{evidence.subject.label} {claim_verb(evidence.type, evidence.kinds)} {evidence.object.label}"


def _claim_detail(evidence: Evidence) -> str:
    parts = [evidence.status]
    if evidence.stage:
        parts.append(evidence.stage)
    if evidence.start or evidence.end:
        parts.append(_span(evidence))
    return ", ".join(parts)


def _span(evidence: Evidence) -> str:
    return f"{evidence.start or '…'}–{evidence.end or '…'}"


def _claim_changes(was: Evidence, now: Evidence) -> list[str]:
    """What differs in one claim of the evidence between two states."""
    phrase = claim_phrase(now)
    changes = []
    if (was.subject.iri, was.object.iri, was.type) != (now.subject.iri, now.object.iri, now.type):
        changes.append(f"evidence: {claim_phrase(was)} now reads {phrase}")
    if was.status != now.status:
        changes.append(f"evidence: {phrase} {was.status} → {now.status}")
    if (was.start, was.end) != (now.start, now.end):
        changes.append(f"evidence: {phrase} dates {_span(was)} → {_span(now)}")
    if was.stage != now.stage:
        changes.append(f"evidence: {phrase} stage {was.stage or 'none'} → {now.stage or 'none'}")
    earlier = {source.iri: source for source in was.sources}
    later = {source.iri: source for source in now.sources}
    for sign, gained, other in (("+", later, earlier), ("-", earlier, later)):
        sources = [source for iri, source in gained.items() if iri not in other]
        if sources:
            titles = "; ".join(source.name for source in sources)
            noun = "source" if len(sources) == 1 else "sources"
            changes.append(f"evidence: {sign}{len(sources)} {noun} on {phrase} ({titles})")
    return changes


def _dates_of_change(findings_at, later, reading, from_day, to_day, after, at_from, new, resolved):
    """The first day each new finding held and the last day each resolved one did, in the later data.

    The findings are the same on every day between two change dates, so the state on the change
    date ``c`` is the state until the next one. Walking back from ``to_day``, a new finding's day is
    the first of its final run of days; none when that run reaches back to ``from_day`` (the data,
    not the date, made it new). The same for a resolved finding, whose last day is the one before
    its final run of absence.
    """
    days = [day for day in change_dates(later, min_status=reading.min_status, min_stage=reading.min_stage) if from_day < day <= to_day]
    wanted_new = {finding.identity for finding in new}
    wanted_gone = {finding.identity for finding in resolved}
    since: dict[tuple, date] = {}
    until: dict[tuple, date] = {}
    present = {finding.identity for finding in after}  # the state on the last change date is the state on to_day
    for index in range(len(days) - 1, -1, -1):
        if not wanted_new and not wanted_gone:
            break
        if index > 0:
            earlier = {finding.identity for finding in findings_at(days[index - 1])}
        else:
            earlier = {finding.identity for finding in (at_from if at_from is not None else findings_at(from_day))}
        for identity in [i for i in wanted_new if i in present and i not in earlier]:
            since[identity] = days[index]
            wanted_new.discard(identity)
        for identity in [i for i in wanted_gone if i not in present and i in earlier]:
            until[identity] = days[index] - timedelta(days=1)
            wanted_gone.discard(identity)
        present = earlier
    return since, until
