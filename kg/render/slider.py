"""The date slider's stops: the days on which findings can change, and what is in force on each.

Between two change dates (``kg.analysis.history.change_dates``) every claim is in
force or not alike, so the findings are the same on every day: the page needs the
claims in force and the findings at those dates only, plus the as-of date it opens
on. Each is read as the rules read it (``kg.derive.claim_states``, ``find_conflicts``),
so the page at a stop shows what ``kg conflicts --as-of`` prints for that day, on
every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Sequence

from kg.analysis.history import change_dates
from kg.conflicts.engine import find_conflicts
from kg.dates import date_bound
from kg.derive import claim_states
from kg.vocab import EVENT_TYPES, KG

if TYPE_CHECKING:  # pragma: no cover
    from kg.conflicts.model import Finding
    from kg.conflicts.pack import Rule

#: Claim types drawn once they have begun, even after they end: the rules read a past affiliation
#: (founder-defection is about having left), and foundings and departures are events that never end.
DRAWN_ONCE_BEGUN = frozenset({KG.Affiliation, KG.Founding, KG.Departure})


@dataclass(frozen=True)
class Stop:
    """One position of the slider: a day, the claims drawn on it and the findings that hold."""

    day: date
    findings: tuple["Finding", ...]
    #: IRIs of the claims in force, or begun for the types in DRAWN_ONCE_BEGUN.
    drawn: frozenset[str]
    #: The drawn claims that have ended (past affiliations): drawn, but as what was.
    ended: frozenset[str]


def slider_stops(
    backend,
    *,
    as_of: date,
    min_status: str,
    min_stage: str,
    control_threshold,
    pack: Sequence["Rule"] | None,
    conflicts: bool,
    findings: Sequence["Finding"] | None = None,
    timeline: bool = True,
    max_dates: int | None = None,
) -> tuple[list[Stop], int, int]:
    """The stops, sorted by day, the index of the one for ``as_of``, and how many change dates there are.

    ``findings`` are the findings at ``as_of`` when the caller has them already.
    Without ``timeline`` the only stop is ``as_of``. With more change dates than
    ``max_dates``, that many of them, evenly spread from the first to the last, are
    stops (the rules run once per stop): each stop is still exact for its day.
    """
    days = {as_of}
    every = change_dates(backend, min_status=min_status, min_stage=min_stage) if timeline else []
    changes = every
    if max_dates is not None and len(every) > max_dates:
        last = len(every) - 1
        changes = [every[round(i * last / (max_dates - 1))] for i in range(max_dates)] if max_dates > 1 else every[-1:]
    days.update(changes)
    stops = []
    for day in sorted(days):
        states = claim_states(backend, as_of=day, min_status=min_status, min_stage=min_stage)
        drawn = {str(s.iri) for s in states if s.holds or (s.begun and s.cls in DRAWN_ONCE_BEGUN)}
        ended = {str(s.iri) for s in states if s.begun and not s.holds and s.cls in DRAWN_ONCE_BEGUN}
        if not conflicts:
            found: Sequence["Finding"] = ()
        elif day == as_of and findings is not None:
            found = findings
        else:
            found = find_conflicts(
                backend, as_of=day, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold, pack=pack
            )
        stops.append(Stop(day=day, findings=tuple(found), drawn=frozenset(drawn), ended=frozenset(ended)))
    return stops, sorted(days).index(as_of), len(every)


def with_unsourced(stops: list[Stop], claims: dict[str, tuple]) -> list[Stop]:
    """Add claims that have no source at all, drawn by their dates alone: ``claims`` maps IRI to (class, start, end).

    The rules never read such a claim (no attestation, no status), so ``claim_states`` does
    not know it; its dates are read as kg.derive reads them (a bound kg cannot read is open).
    Nor does ``change_dates``: its own dates make no stop, so it appears at the first stop
    on or after its start.
    """
    result = []
    for stop in stops:
        drawn, ended = set(stop.drawn), set(stop.ended)
        for iri, (cls, start, end) in claims.items():
            first = date_bound(start, end=False) if start else None
            last = date_bound(end, end=True) if end else None
            begun = first is None or first <= stop.day
            holds = begun and (cls in EVENT_TYPES or last is None or stop.day <= last)
            if holds or (begun and cls in DRAWN_ONCE_BEGUN):
                drawn.add(iri)
                if not holds:
                    ended.add(iri)
        result.append(replace(stop, drawn=frozenset(drawn), ended=frozenset(ended)))
    return result
