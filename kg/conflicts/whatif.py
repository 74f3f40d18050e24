"""What-if: the findings with hypothetical claims added, and which findings those claims add and remove.

The assumed claims are relations.csv rows (``kg.io.sheets.assume``) about
entities the data has. They go into a copy of the graph in memory (an rdflib
copy, or an in-memory Oxigraph copy of an Oxigraph store, on disk or not), so
the data, its files and a store on disk are only ever read, and nothing is
written anywhere; an endpoint, which kg neither writes nor copies, is refused.
The rule pack runs on the data alone and on the copy, and findings are
compared by ``Finding.identity`` (the rule and its key entities).
"""

from __future__ import annotations

import warnings
from os import PathLike
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from rdflib import URIRef

from kg.backends.open import as_backend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.model import Assumption, Finding, WhatIf
from kg.conflicts.pack import Rule
from kg.dates import date_bound
from kg.derive import Reading, claim_states
from kg.entities import closest_ids, is_iri, short_id
from kg.errors import KgWarning, UsageError, arg
from kg.identity import Identity
from kg.io.sheets.assume import AssumedRow, AssumptionRows, assumptions_graph
from kg.io.sheets.model import Claim, Entity, Row
from kg.io.sheets.spec import AGENT_TYPES, TYPE_NAME_OF, is_id
from kg.vocab import DATA, DEFAULT_CONTROL_THRESHOLD, EVENT_TYPES, KG, STAGE_NAMES, STAGE_ORDER, STATUS_NAMES, status_rank


def find_conflicts_assuming(
    graph,
    assume: Iterable[str | Mapping[str, str]] = (),
    *,
    assume_files: Iterable = (),
    as_of=None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    rules=None,
    pack: Sequence[Rule] | None = None,
) -> WhatIf:
    """``find_conflicts`` with hypothetical claims added, and the findings they add and remove.

    ``assume`` gives relations.csv rows, each as CSV text in the columns
    subject, relation, object, start, end, status, stage, source, source_line,
    amount, currency, stake, capacity_mw, nature, note (trailing ones may be left
    out; ``"openai,buys_compute_from,spacex,2026-01,,rumored"``) or as a mapping
    of those columns; ``assume_files`` gives relations.csv-like files with a
    header. Subjects and objects are ids of the data. ``status`` defaults to
    reported, as in a sheet; ``source`` and ``source_line`` stay empty (an
    assumption is its own source). A bad row is an ``AssumptionError`` naming it.

    ``graph`` (an rdflib graph or a backend) is never written: the claims go into
    a copy in memory. The other arguments are ``find_conflicts``'s.
    """
    backend = as_backend(graph)
    backend.check_copyable()  # before anything is read: an endpoint is refused at once
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    rows = AssumptionRows()
    for item in [assume] if isinstance(assume, (str, Mapping)) else assume:
        rows.add(item)
    for path in [assume_files] if isinstance(assume_files, (str, PathLike)) else assume_files:
        rows.add_file(path)
    if not rows.rows and not rows.problems:
        raise UsageError(f"no assumptions: give rows in {arg('assume')} or files of rows in {arg('assume_files')}")
    claims = rows.claims(*_entities(backend, rows.ids()))
    assumed = backend.copy_with(assumptions_graph(claims))
    options = dict(vars(reading), rules=rules, pack=pack)
    before = find_conflicts(backend, **options)
    iris = {str(row.claim) for row, _ in claims}
    after = [_marked(finding, iris) for finding in find_conflicts(assumed, **options)]
    known, now = {f.identity for f in before}, {f.identity for f in after}
    assumptions = _assumptions(assumed, claims, reading)
    for assumption in assumptions:
        if not assumption.counts:
            warnings.warn(KgWarning(f"assumption {assumption.number} ({assumption.row}) does not count: {assumption.reason}"), stacklevel=2)
    return WhatIf(
        findings=tuple(after),
        added=tuple(f for f in after if f.identity not in known),
        removed=tuple(f for f in before if f.identity not in now),
        assumptions=assumptions,
    )


def _marked(finding: Finding, assumed: set[str]) -> Finding:
    """The finding with each piece of evidence that is an assumed claim marked so."""
    if not any(evidence.claim in assumed for evidence in finding.evidence):
        return finding
    evidence = tuple(replace(e, assumed=True) if e.claim in assumed else e for e in finding.evidence)
    return replace(finding, evidence=evidence)


# --- the entities the rows name -----------------------------------------------------------------

_AGENTS_QUERY = "SELECT DISTINCT ?agent WHERE { VALUES ?type { %s } ?agent a ?type }" % " ".join(
    cls.n3() for cls in AGENT_TYPES.values()
)


def _entities(backend, ids: set[str]):
    """The entities of the data that ``ids`` name (an id of kg's data namespace, or an IRI), with their
    kg types; and a function that says which known ids an unknown one is close to."""
    iris = {text: iri for text in ids if (iri := _iri_of(text)) is not None}
    types: dict[URIRef, list] = {}
    for agent, cls in backend.agent_types(iris.values()):
        types.setdefault(agent, [])
        if cls in TYPE_NAME_OF:
            types[agent].append(cls)
    labelled = backend.labels(iris.values())
    entities = {
        text: Entity(iri, Row("data", 0, {}, {}), sorted(types.get(iri, []), key=str))
        for text, iri in iris.items()
        if iri in types or iri in labelled
    }
    known: list = []

    def close_to(text: str) -> str:
        if not known:
            agents = [row[0] for row in backend.select(_AGENTS_QUERY)[1] if row[0] is not None]
            labels = backend.labels(agents)
            known.extend(sorted((short_id(agent), labels.get(agent, "")) for agent in agents))
        close = closest_ids(text, known, n=3, cutoff=0.6)
        return f"; known ids close to it: {', '.join(close)}" if close else ""

    return entities, close_to


def _iri_of(text: str) -> URIRef | None:
    if is_id(text):
        return DATA[text]
    if ("://" in text or text.startswith("urn:")) and is_iri(text):
        return URIRef(text)
    return None


# --- whether each assumed claim counts ------------------------------------------------------------

def _assumptions(backend, claims: list[tuple[AssumedRow, Claim]], reading: Reading) -> tuple[Assumption, ...]:
    """Each assumption as reported, with whether its claim counts at the reading (as the rules read it)."""
    pairs: dict = {}
    for _, claim in claims:
        claim_type = claim.relation.claim_type
        ends = dict(claim.triples)
        pairs.setdefault(claim_type.cls, set()).add((ends[claim_type.subject_role], ends[claim_type.object_role]))
    states = claim_states(
        backend, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, pairs=pairs,
        identity=Identity.of(backend),
    )
    holding = {str(state.iri) for state in states if state.holds}
    result = []
    for row, claim in claims:
        counts = str(row.claim) in holding
        result.append(
            Assumption(
                number=row.number,
                row=row.text,
                origin=row.origin,
                claim=str(row.claim),
                source=str(row.source),
                title=row.title,
                counts=counts,
                reason=None if counts else _why_not(claim, reading),
            )
        )
    return tuple(result)


def _why_not(claim: Claim, reading: Reading) -> str:
    """Why an assumed claim does not count at the reading (denied, too weak, too early a stage, not in force), in words."""
    values = dict(claim.triples)
    status = STATUS_NAMES[claim.attestations[0].status]
    if status == "denied":
        return "a denied claim never counts"
    if status_rank(status) < status_rank(reading.min_status):
        return f"its status, {status}, is weaker than the minimum status, {reading.min_status}"
    stage = STAGE_NAMES.get(values.get(KG.stage))
    if stage == "terminated":
        return "a terminated deal never counts"
    if stage is not None and STAGE_ORDER.index(stage) < STAGE_ORDER.index(reading.min_stage):
        return f"its stage, {stage}, is earlier than the minimum stage, {reading.min_stage}"
    start, end = values.get(KG.startDate), values.get(KG.endDate)
    if start is not None and date_bound(str(start), end=False) > reading.as_of:
        return f"it starts ({start}) after the as-of date, {reading.as_of}"
    if end is not None and claim.relation.claim_type.cls not in EVENT_TYPES and date_bound(str(end), end=True) < reading.as_of:
        return f"it ends ({end}) before the as-of date, {reading.as_of}"
    return "the rules do not read it at this reading"
