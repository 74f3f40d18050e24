"""The dates at which the graph changes: where any claim that counts begins, or stops being in force.

Between two such dates every claim is in force or not alike, so the findings
are the same on every day: ``kg diff``, ``kg timeline`` and the viz's date slider
compute the findings at these dates only. A claim that starts "2024" counts
from 2024-01-01; one that ends "2024-06" is in force through 2024-06-30, so the
graph changes again on 2024-07-01 (as the rules read partial dates: docs/rules.md).
"""

from __future__ import annotations

from datetime import date, timedelta

from kg.backends.open import as_backend
from kg.dates import date_bound
from kg.derive import claim_states
from kg.vocab import STAGE_ORDER


def change_dates(graph, *, min_status: str = "rumored", min_stage: str = STAGE_ORDER[0]) -> list[date]:
    """Every day on which some claim that counts (status, stage) begins, or ends the day before; sorted.

    ``graph`` is an rdflib graph or any backend. Undated bounds change nothing; a date kg cannot read
    is left out here as it is everywhere (the claim then counts at every date on that side).
    """
    states = claim_states(as_backend(graph), as_of=date.today(), min_status=min_status, min_stage=min_stage)
    days: set[date] = set()
    for state in states:
        start = date_bound(state.start, end=False) if state.start else None
        end = date_bound(state.end, end=True) if state.end else None
        if start is not None:
            days.add(start)
        if end is not None and end < date.max:
            days.add(end + timedelta(days=1))
    return sorted(days)
