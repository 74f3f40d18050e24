"""The engine: derive the edges the rules read, run each rule, and explain every finding with its evidence.

With rdflib, kg reads the claims through the graph API and derives the edges in
Python; with Oxigraph and endpoints the store derives them itself (SPARQL
CONSTRUCTs) and only the control claims and the findings' evidence come to
Python. Either way the same ``kg.derive`` reading decides which claims count,
so every backend gives the same findings.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Sequence

from rdflib import RDF

from kg.backends.open import as_backend
from kg.conflicts.explain import explain
from kg.conflicts.model import EntityRef, Evidence, Finding, claim_sources
from kg.conflicts.cycles import ControlGroups, cycle_rows
from kg.conflicts.pack import MONEY_CLASSES, SEVERITY_ORDER, Rule, chain_ends, load_rules, parse_spec, select_rules
from kg.dates import date_bound
from kg.derive import (
    DERIVED_EDGES,
    LINK_CLASSES,
    ControlGraph,
    Reading,
    claim_states,
    closure_edges,
    kinds_match,
    derive_facts,
    derived_graph,
    in_store_edge_queries,
)
from kg.entities import local_name, short_id
from kg.identity import Identity
from kg.errors import RuleError
from kg.vocab import CLAIM_TYPES, DEFAULT_CONTROL_THRESHOLD, DIRECTING_KINDS, KG, STATUS_ORDER, status_rank


def find_conflicts(
    graph,
    *,
    as_of=None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    rules=None,
    pack: Sequence[Rule] | None = None,
) -> list[Finding]:
    """Run a rule pack and explain each finding with its evidence.

    ``graph`` is an rdflib graph (data, with or without the ontology) or a
    backend (Oxigraph, a SPARQL endpoint). ``as_of`` is a date or
    ``YYYY[-MM[-DD]]`` (default today); evidence below ``min_status`` (and all
    denied evidence) is ignored, and so are terminated deals and deals at a
    stage before ``min_stage``; an ownership (or an investment with a stake)
    whose share reaches ``control_threshold`` percent is a control link.
    ``pack`` is the rules to run (default: the bundled pack; ``load_pack`` adds
    a user's folders) and ``rules`` limits it to some rule ids. One finding per
    distinct set of key role entities.
    """
    backend = as_backend(graph)
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    min_status = reading.min_status
    selected = select_rules(load_rules() if pack is None else pack, rules)
    identity = Identity.of(backend)  # agents that share an identifier are one agent
    if backend.name == "memory":
        states, control, rows_by_rule = _run_on_derived_copy(backend, selected, reading, identity)
    else:
        states, control, rows_by_rule = _run_in_store(backend, selected, reading, identity)
    context = _Context(states, control)
    rows_by_rule = [(rule, _cycles_of(rule, rows, context.groups)) for rule, rows in rows_by_rule]
    candidates_by_rule = []
    for rule, rows in rows_by_rule:
        candidates: dict[tuple, _Candidate] = {}
        for bound in rows:
            candidate = context.candidate(rule, bound)
            if candidate is None:
                continue
            key = tuple(bound.get(role) for role in rule.key)
            if key not in candidates or candidate.sort_key < candidates[key].sort_key:
                candidates[key] = candidate
        candidates_by_rule.append((rule, list(candidates.values())))
    details = _Details(backend, [c for _, group in candidates_by_rule for c in group], min_status)
    findings = [details.finding(rule, candidate) for rule, group in candidates_by_rule for candidate in group]
    return sorted(
        findings,
        key=lambda f: (
            SEVERITY_ORDER.index(f.severity),
            f.rule,
            [e.label.casefold() for e in f.entities.values()],
            [e.iri for e in f.entities.values()],
        ),
    )


def _run_on_derived_copy(backend, rules, reading: Reading, identity: Identity):
    """Read every claim into Python, derive the edges there and run rdflib on them.

    For rdflib graphs, whose engine is slow on the data itself but reads
    claims quickly through the graph API.
    """
    states = claim_states(backend, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, identity=identity)
    control = ControlGraph(states, reading.control_threshold)
    derived = derive_facts(states, control)
    agents = {member for state in states for node in (state.subject, state.object) if node for member in identity.members_of(node)}
    # The kg types of the agents in claims, which rules test (``?x a kg:AILab``); an agent has its aliases' types.
    derived += [(identity(agent), RDF.type, cls) for agent, cls in backend.agent_types(agents)]
    derived += identity.same_as_triples()
    graph = derived_graph(derived)
    return states, control, [(rule, _rows_in_memory(graph, rule)) for rule in rules]


def _rows_in_memory(graph, rule: Rule) -> list[dict]:
    """A rule's rows from rdflib; a rule Oxigraph's parser accepted but rdflib cannot run is a RuleError."""
    try:
        return [_bindings(row.asdict()) for row in graph.query(_prepared(rule.query))]
    except Exception as exc:  # rdflib's parser and engine raise many types
        reason = " ".join(str(exc).split())[:160]
        raise RuleError(str(rule.path or rule.id), None, f"rdflib cannot run this rule: {reason}") from None


@lru_cache(maxsize=64)
def _prepared(text: str):
    """rdflib's parse of a rule, made once a process (parsing costs more than running a rule on small graphs)."""
    from rdflib.plugins.sparql import prepareQuery  # 50 ms to import: only the in-memory engine needs it

    return prepareQuery(text)


def _run_in_store(backend, rules, reading: Reading, identity: Identity):
    """Let the store derive the edges and run the rules on them in a small Oxigraph store.

    For Oxigraph (store to store) and endpoints (the server CONSTRUCTs, kg
    loads the answer). Only the claims that may be control links (controls,
    ownerships, investments) come to Python, for the closure and the chains,
    while the store CONSTRUCTs the other edges; the claims behind the rows are
    read afterwards, for the evidence only. Oxigraph and HTTP release the GIL,
    so their work and Python's overlap on two threads.
    """
    counting = dict(as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, identity=identity)
    with ThreadPoolExecutor(max_workers=2) as pool:
        edges = pool.submit(backend.constructed, in_store_edge_queries(reading.as_of, reading.min_status, min_stage=reading.min_stage))
        link_states = claim_states(backend, classes=sorted(LINK_CLASSES), **counting)
        control = ControlGraph(link_states, reading.control_threshold)
        derived = edges.result()
        identity.merge_into(derived)
        derived.add_triples(closure_edges(control))
        rows_by_rule = list(zip(rules, pool.map(lambda rule: _select_bindings(derived, rule.query), rules)))
    groups = ControlGroups(control)
    rows_by_rule = [(rule, _cycles_of(rule, rows, groups)) for rule, rows in rows_by_rule]
    evidence = claim_states(backend, pairs=_evidence_pairs(rows_by_rule), **counting)
    return link_states + [state for state in evidence if state.cls not in LINK_CLASSES], control, rows_by_rule


def _by_date(state) -> tuple:
    """Claims of one link in the order they began (undated last), then by IRI."""
    start = date_bound(state.start, end=False) if state.start else None
    return (start is None, start or date.min, str(state.iri))


def _bindings(row: dict) -> dict:
    return {str(var): value for var, value in row.items() if value is not None}


def _select_bindings(backend, query: str) -> list[dict]:
    names, rows = backend.select(query)
    return [{name: value for name, value in zip(names, row) if value is not None} for row in rows]


def _cycles_of(rule: Rule, rows: list[dict], groups: ControlGroups) -> list[dict]:
    """A cycle rule's money edges as one row per cycle (``kg.conflicts.cycles``); other rules' rows as they are.

    Rows made into cycles already (the store path makes them before reading the evidence) pass through.
    """
    if not rule.cycles or any("cycle" in row for row in rows):
        return rows
    return cycle_rows(((row["payer"], row["payee"]) for row in rows if "payer" in row and "payee" in row), groups, rule.cycles, rule.roles)


def _evidence_pairs(rows_by_rule) -> dict:
    """For each claim class but those read already, the (subject, object) pairs the rows' evidence names."""
    pairs: dict = {}
    for rule, rows in rows_by_rule:
        if rule.cycles:
            for cls in MONEY_CLASSES:
                if cls not in LINK_CLASSES:
                    pairs.setdefault(cls, set()).update(step for bound in rows for step in bound["cycle"])
            continue
        specs = [parse_spec(choice) for slot in rule.evidence for choice in slot if chain_ends(choice) is None]
        for bound in rows:
            for cls, first_role, second_role, symmetric, _ in specs:
                first, second = bound.get(first_role), bound.get(second_role)
                if first is None or second is None or cls in LINK_CLASSES:
                    continue
                found = pairs.setdefault(cls, set())
                found.add((first, second))
                if symmetric:
                    found.add((second, first))
    return pairs


@dataclass(frozen=True)
class _Candidate:
    sort_key: tuple  # fewest control links, then controller IRI, strongest evidence, claim IRIs
    bound: dict  # query variable -> RDF term
    links: tuple  # per link of the finding (an edge, or a step of a chain), every claim behind it
    chains: dict  # "a>b" -> IRIs of the intermediaries between a and b

    @property
    def states(self) -> tuple:
        """Every evidence claim, link by link in reading order, each once."""
        return tuple(dict.fromkeys(state for link in self.links for state in link))


class _Context:
    """Claims by the edge they stand behind, to attach evidence to query rows."""

    def __init__(self, states, control):
        self.control = control
        self.groups = ControlGroups(control)
        self.equivalents: dict[tuple, list] = {}
        rank, rivalry = {name: index for index, name in enumerate(STATUS_ORDER)}, KG.Rivalry
        for state in sorted(states, key=lambda s: (-rank[s.status], str(s.iri))):
            ends = (state.subject, state.object)
            self.equivalents.setdefault((state.cls, frozenset(ends) if state.cls == rivalry else ends), []).append(state)

    def claims_for(self, spec: str, bound: dict, *, begun: bool = False) -> list:
        """The claims behind an edge, for an evidence item like ``Rivalry(a,b)``, best-supported first.

        The claims in force if there are any, else those only begun (a past
        affiliation); each list by strongest status, then IRI.
        """
        cls, first_role, second_role, symmetric, kinds = parse_spec(spec)
        first, second = bound.get(first_role), bound.get(second_role)
        ends = frozenset((first, second)) if symmetric else (first, second)
        states = [state for state in self.equivalents.get((cls, ends), []) if kinds_match(kinds, state.kinds)]
        holding = [state for state in states if state.holds]
        if cls == KG.Affiliation and kinds and kinds <= DIRECTING_KINDS:
            return holding  # a board seat or an officer's role counts in force only, as kgr:directs does
        if begun:
            return [state for state in states if state.begun]
        return holding or [state for state in states if state.begun]

    def candidate(self, rule: Rule, bound: dict) -> _Candidate | None:
        """Evidence for one query row, or None if a claim or chain behind it is missing.

        Each evidence slot takes its first alternative that exists; with a
        ``sequence`` (i, j), slots i and j take the first pair of ties, in that
        order of preference, whose dates do not put tie j before tie i.
        """
        if rule.cycles:
            return self._cycle_candidate(bound)
        options = [self._options(slot, bound) for slot in rule.evidence]
        if not all(options):
            return None
        chosen = [slot[0] for slot in options]
        if rule.sequence is not None:
            first, second = rule.sequence
            pair = next(
                ((a, b) for a in options[first] for b in options[second] if a.start is None or b.start is None or b.start >= a.start),
                None,
            )
            if pair is None:
                return None
            chosen[first], chosen[second] = pair
        best = [state for option in chosen for state in option.best]
        groups = [group for option in chosen for group in option.groups]
        chains = {option.chain: option.hops for option in chosen if option.chain}
        control_links = sum(len(option.groups) for option in chosen if option.chain)
        # The candidate is chosen on the best-supported claim of each link; the evidence lists them all.
        unique = list(dict.fromkeys(best))
        weakest = min((status_rank(state.status) for state in unique), default=0)
        # Several rows for one key: fewest control links, then the IRIs of the roles outside the key.
        others = tuple(str(bound.get(role) or "") for role in rule.roles if role not in rule.key)
        sort_key = (control_links, others, -weakest, tuple(str(state.iri) for state in unique))
        links = tuple(tuple(sorted(group, key=_by_date)) for group in groups)
        return _Candidate(sort_key, bound, links, chains)

    def _options(self, slot: tuple[str, ...], bound: dict) -> list[_Option]:
        """The ties that could fill an evidence slot, most preferred first: by alternative, then claim."""
        options = []
        for choice in slot:
            ends = chain_ends(choice)
            if ends is not None:
                start, goal = (bound.get(name) for name in ends)
                chain = self.control.chain(start, goal) if start is not None and goal is not None else None
                if chain is not None:
                    starts = [date_bound(state.start, end=False) if state.start else None for state in chain]
                    began = None if not starts or None in starts else max(starts)  # a chain starts with its latest link
                    groups = tuple(self.control.claims[(state.subject, state.object)] for state in chain)
                    options.append(_Option(tuple(chain), groups, choice, [state.object for state in chain[:-1]], began))
                continue
            states = self.claims_for(choice, bound)
            # Past ties too, after those in force: a sequence may need an earlier stint (it counts once begun).
            past = [state for state in self.claims_for(choice, bound, begun=True) if state not in states and state.cls in _BEGUN_CLASSES]
            for state in states + past:
                began = date_bound(state.start, end=False) if state.start else None
                options.append(_Option((state,), (tuple(states) if state in states else (state,),), None, [], began))
        return options

    def _cycle_candidate(self, bound: dict) -> _Candidate | None:
        """A money cycle's evidence: each money claim pᵢ → qᵢ, then the control links from qᵢ to pᵢ₊₁."""
        steps = bound["cycle"]
        links = []
        for index, (payer, payee) in enumerate(steps):
            money = [state for cls in MONEY_CLASSES for state in self.equivalents.get((cls, (payer, payee)), []) if state.holds]
            if not money:
                return None
            links.append(tuple(sorted(money, key=lambda s: (-status_rank(s.status), str(s.iri)))))
            links += [tuple(sorted(link, key=_by_date)) for link in self.groups.path(payee, steps[(index + 1) % len(steps)][0])]
        return _Candidate((), bound, tuple(links), {})


#: Claims whose edge counts once begun (foundings, affiliations, departures), ended or not.
_BEGUN_CLASSES = frozenset(edge.cls for edge in DERIVED_EDGES if edge.needs == "begun")


@dataclass(frozen=True)
class _Option:
    """One way to fill an evidence slot: a claim, or a control chain, and when that tie began."""

    best: tuple  # the claims shown for it: one claim, or a chain's best claim per link
    groups: tuple  # per link, every claim behind it
    chain: str | None  # "a>b" for a chain
    hops: list  # a chain's intermediaries
    start: date | None  # None when undated


class _Details:
    """Labels and sources of everything the findings mention, fetched in two queries."""

    def __init__(self, backend, candidates, min_status: str):
        claims = {state.iri for c in candidates for state in c.states}
        nodes = {v for c in candidates for role, v in c.bound.items() if role != "cycle"} | {
            n for c in candidates for s in c.states for n in (s.subject, s.object)
        } | {n for c in candidates for hops in c.chains.values() for n in hops}
        self.labels = backend.labels(nodes)
        self.entities: dict = {}
        self.sources = claim_sources(backend, claims, min_status)

    def entity(self, node) -> EntityRef:
        entity = self.entities.get(node)
        if entity is None:
            entity = self.entities[node] = EntityRef(id=short_id(node), iri=str(node), label=self.labels.get(node, short_id(node)))
        return entity

    def _cycle_text(self, candidate: _Candidate) -> str:
        """"A invests in B, B buys compute from C (in D's control group), D owns part of A"."""
        steps, money = candidate.bound["cycle"], [link[0] for link in candidate.links if link[0].cls in MONEY_CLASSES]
        parts = []
        for index, ((payer, payee), state) in enumerate(zip(steps, money)):
            following = steps[(index + 1) % len(steps)][0]
            part = f"{self.entity(payer).label} {CLAIM_TYPES[state.cls].verb} {self.entity(payee).label}"
            parts.append(part + (f" (in {self.entity(following).label}'s control group)" if payee != following else ""))
        return ", ".join(parts)

    def finding(self, rule: Rule, candidate: _Candidate) -> Finding:
        evidence = tuple(
            Evidence(
                claim=str(state.iri),
                type=local_name(state.cls),
                subject=self.entity(state.subject),
                object=self.entity(state.object),
                start=state.start,
                end=state.end,
                status=state.status,
                sources=tuple(sorted(self.sources.get(state.iri, ()), key=lambda s: (s.iri, s.title or ""))),
                stage=state.stage,
                kinds=tuple(sorted(state.kinds)),
            )
            for state in candidate.states
        )
        entities = {role: self.entity(candidate.bound[role]) for role in rule.roles if candidate.bound.get(role) is not None}
        # A link is as strong as its strongest claim; a finding as its weakest link.
        link_status = [max((state.status for state in link), key=status_rank) for link in candidate.links]
        return Finding(
            rule=rule.id,
            title=rule.title,
            severity=rule.severity,
            status=min(link_status, key=status_rank, default="confirmed"),
            entities=entities,
            explanation=explain(
                rule,
                entities,
                evidence,
                {chain: [self.entity(node).label for node in nodes] for chain, nodes in candidate.chains.items()},
                {"cycle": self._cycle_text(candidate)} if rule.cycles else None,
            ),
            evidence=evidence,
            key=tuple(str(candidate.bound[role]) for role in rule.key if candidate.bound.get(role) is not None),
        )
