"""``kg conflicts``: run the conflict rule pack and explain each finding with its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache



@dataclass(frozen=True)
class EntityRef:
    id: str  # what a user types: "anthropic", or the full IRI outside kg's data namespace
    iri: str
    label: str


@dataclass(frozen=True)
class SourceRef:
    iri: str
    title: str | None


@dataclass(frozen=True)
class Evidence:
    """One claim on a finding's path, as the reader checks it."""

    claim: str  # IRI of the claim node
    type: str  # claim class local name: ComputeContract, Control, Rivalry, ...
    subject: EntityRef
    object: EntityRef
    start: str | None
    end: str | None
    status: str  # strongest non-denied status among its attestations
    sources: tuple[SourceRef, ...]


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    severity: str  # high, medium or low
    status: str  # the weakest status among the evidence
    entities: dict[str, EntityRef]  # role -> entity
    explanation: str
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict:
        return asdict(self)


# --- the rule pack ----------------------------------------------------------------------

SEVERITY_ORDER = ("high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    """A conflict rule: a SPARQL file under ``queries/conflicts/`` and its header metadata."""

    id: str
    title: str
    severity: str
    description: str
    roles: tuple[str, ...]
    key: tuple[str, ...]  # roles whose values make a finding distinct
    evidence: tuple[tuple[str, ...], ...]  # per slot, alternatives: "Type(role,role)" or a chain "a>b"
    query: str


def load_rules() -> list[Rule]:
    """The bundled rule pack, most severe first."""
    from kg import resources
    from kg.query import parse_header

    rules = []
    for path in sorted((resources.queries_dir() / "conflicts").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        meta = {key: values[-1] for key, values in parse_header(text).items()}
        roles = tuple(meta["roles"].split())
        rules.append(
            Rule(
                id=meta["id"],
                title=meta["title"],
                severity=meta["severity"],
                description=meta.get("description", ""),
                roles=roles,
                key=tuple(meta["key"].split()) if "key" in meta else roles,
                evidence=tuple(tuple(slot.split("|")) for slot in meta.get("evidence", "").split()),
                query=text,
            )
        )
    return sorted(rules, key=lambda r: (SEVERITY_ORDER.index(r.severity), r.id))


def select_rules(rule_ids=None) -> list[Rule]:
    from kg.errors import UsageError

    rules = load_rules()
    if not rule_ids:
        return rules
    known = {rule.id: rule for rule in rules}
    unknown = [rule_id for rule_id in rule_ids if rule_id not in known]
    if unknown:
        raise UsageError(f"unknown rule {unknown[0]!r}; rules: {', '.join(known)}")
    return [rule for rule in rules if rule.id in set(rule_ids)]


# --- finding conflicts ------------------------------------------------------------------------

def find_conflicts(graph, *, as_of=None, min_status: str = "rumored", rules=None) -> list[Finding]:
    """Run the rule pack and explain each finding with its evidence.

    ``graph`` is an rdflib graph (data, with or without the ontology) or a
    ``kg.store`` source (Oxigraph, a SPARQL endpoint). ``as_of`` is a date or
    ``YYYY[-MM[-DD]]`` (default today); evidence below ``min_status`` (and all
    denied evidence) is ignored; ``rules`` limits the pack to some rule ids.
    One finding per distinct set of key role entities.
    """
    from kg.rules import check_min_status, parse_as_of
    from kg.store import as_source

    source = as_source(graph)
    as_of_date = parse_as_of(as_of)
    min_status = check_min_status(min_status)
    selected = select_rules(rules)
    if source.name == "memory":
        states, control, rows_by_rule = _run_on_derived_copy(source, selected, as_of_date, min_status)
    else:
        states, control, rows_by_rule = _run_in_store(source, selected, as_of_date, min_status)
    context = _Context(states, control)
    candidates_by_rule = []
    for rule, rows in rows_by_rule:
        candidates: dict[tuple, _Candidate] = {}
        for bound in rows:
            candidate = context.candidate(rule, bound)
            if candidate is None:
                continue
            key = tuple(bound[role] for role in rule.key)
            if key not in candidates or candidate.sort_key < candidates[key].sort_key:
                candidates[key] = candidate
        candidates_by_rule.append((rule, list(candidates.values())))
    details = _Details(source, [c for _, group in candidates_by_rule for c in group], min_status)
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


def _run_on_derived_copy(source, rules, as_of, min_status):
    """Read every claim into Python, derive the edges there and run rdflib on them.

    For rdflib graphs, whose engine is slow on the data itself but reads
    claims quickly through the graph API.
    """
    from rdflib import RDF

    from kg.rules import ControlGraph, claim_states, derive_facts, derived_graph

    states = claim_states(source, as_of=as_of, min_status=min_status)
    control = ControlGraph(states)
    derived = derive_facts(states, control)
    agents = {node for state in states for node in (state.subject, state.object) if node}
    # The kg types of the agents in claims, which rules test (``?x a kg:AILab``).
    derived += [(agent, RDF.type, cls) for agent, cls in source.agent_types(agents)]
    graph = derived_graph(derived)
    return states, control, [(rule, [_bindings(row.asdict()) for row in graph.query(rule.query)]) for rule in rules]


def _run_in_store(source, rules, as_of, min_status):
    """Let the store derive the edges and run the rules on them in a small Oxigraph store.

    For Oxigraph (store to store) and endpoints (the server CONSTRUCTs, kg
    loads the answer). Only the control claims come to Python (for the closure
    and the chains), while the store CONSTRUCTs the other edges; the claims
    behind the rows are read afterwards, for the evidence only. Oxigraph and
    HTTP release the GIL, so their work and Python's overlap on two threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    from kg.namespaces import KG
    from kg.rules import ControlGraph, claim_states, closure_edges, in_store_edge_queries

    with ThreadPoolExecutor(max_workers=2) as pool:
        edges = pool.submit(source.constructed, in_store_edge_queries(as_of, min_status))
        control_states = claim_states(source, as_of=as_of, min_status=min_status, classes=[KG.Control])
        control = ControlGraph(control_states)
        derived = edges.result()
        derived.add_triples(closure_edges(control))
        rows_by_rule = list(zip(rules, pool.map(lambda rule: _select_bindings(derived, rule.query), rules)))
    evidence = claim_states(source, as_of=as_of, min_status=min_status, pairs=_evidence_pairs(rows_by_rule))
    return control_states + [state for state in evidence if state.cls != KG.Control], control, rows_by_rule


def _bindings(row: dict) -> dict:
    return {str(var): value for var, value in row.items() if value is not None}


def _select_bindings(source, query: str) -> list[dict]:
    names, rows = source.select(query)
    return [{name: value for name, value in zip(names, row) if value is not None} for row in rows]


def _evidence_pairs(rows_by_rule) -> dict:
    """For each claim class but Control (all read already), the (subject, object) pairs the rows' evidence names."""
    from kg.namespaces import KG

    pairs: dict = {}
    control = KG.Control
    for rule, rows in rows_by_rule:
        specs = [_parse_spec(choice) for slot in rule.evidence for choice in slot if ">" not in choice]
        for bound in rows:
            for cls, first_role, second_role, symmetric in specs:
                first, second = bound.get(first_role), bound.get(second_role)
                if first is None or second is None or cls == control:
                    continue
                found = pairs.setdefault(cls, set())
                found.add((first, second))
                if symmetric:
                    found.add((second, first))
    return pairs


@lru_cache(maxsize=None)
def _parse_spec(spec: str) -> tuple:
    """``Rivalry(customer,rival)`` as (claim class, first role, second role, whether order is irrelevant)."""
    from kg.namespaces import KG

    type_name, _, roles = spec.partition("(")
    first, second = (role.strip() for role in roles.rstrip(")").split(","))
    return KG[type_name], first, second, KG[type_name] == KG.Rivalry


@dataclass(frozen=True)
class _Candidate:
    sort_key: tuple  # fewest control links, then controller IRI, strongest evidence, claim IRIs
    bound: dict  # query variable -> RDF term
    states: tuple  # evidence claim states in reading order
    chains: dict  # "a>b" -> IRIs of the intermediaries between a and b


class _Context:
    """Claims by the edge they stand behind, to attach evidence to query rows."""

    def __init__(self, states, control):
        from kg.claims import STATUS_ORDER
        from kg.namespaces import KG

        self.control = control
        self.equivalents: dict[tuple, list] = {}
        rank, rivalry = {name: index for index, name in enumerate(STATUS_ORDER)}, KG.Rivalry
        for state in sorted(states, key=lambda s: (-rank[s.status], str(s.iri))):
            ends = (state.subject, state.object)
            self.equivalents.setdefault((state.cls, frozenset(ends) if state.cls == rivalry else ends), []).append(state)

    def claim_for(self, spec: str, bound: dict):
        """The best-supported claim behind an edge, for an evidence item like ``Rivalry(a,b)``.

        Claims in force come first, then claims only begun (a past affiliation),
        each by strongest status, then IRI; duplicates thus collapse into one.
        """
        cls, first_role, second_role, symmetric = _parse_spec(spec)
        first, second = bound.get(first_role), bound.get(second_role)
        ends = frozenset((first, second)) if symmetric else (first, second)
        states = self.equivalents.get((cls, ends), [])
        return next((state for state in states if state.holds), None) or next((s for s in states if s.begun), None)

    def candidate(self, rule: Rule, bound: dict) -> _Candidate | None:
        """Evidence for one query row, or None if a claim or chain behind it is missing."""
        from kg.claims import status_rank

        evidence, links, chains = [], 0, {}
        for slot in rule.evidence:
            for choice in slot:
                if ">" in choice:
                    start, goal = (bound.get(name) for name in choice.split(">", 1))
                    chain = self.control.chain(start, goal) if start is not None and goal is not None else None
                    if chain is None:
                        continue
                    evidence.extend(chain)
                    links += len(chain)
                    chains[choice] = [state.object for state in chain[:-1]]
                    break
                state = self.claim_for(choice, bound)
                if state is not None:
                    evidence.append(state)
                    break
            else:
                return None
        unique = list(dict.fromkeys(evidence))
        weakest = min((status_rank(state.status) for state in unique), default=0)
        controller = str(bound.get("controller") or "")
        sort_key = (links, controller, -weakest, tuple(str(state.iri) for state in unique))
        return _Candidate(sort_key, bound, tuple(unique), chains)


class _Details:
    """Labels and sources of everything the findings mention, fetched in two queries."""

    def __init__(self, source, candidates, min_status: str):
        from kg.claims import STATUS_NAMES, status_rank

        claims = {state.iri for c in candidates for state in c.states}
        nodes = {v for c in candidates for v in c.bound.values()} | {
            n for c in candidates for s in c.states for n in (s.subject, s.object)
        } | {n for c in candidates for hops in c.chains.values() for n in hops}
        self.labels = source.labels(nodes)
        self.entities: dict = {}
        self.sources: dict = {}
        minimum = status_rank(min_status)
        for claim, source_iri, status_iri, title in source.attestations(claims):
            status = STATUS_NAMES.get(status_iri)
            if status is None or status == "denied" or status_rank(status) < minimum:
                continue
            self.sources.setdefault(claim, set()).add(SourceRef(iri=str(source_iri), title=str(title) if title else None))

    def entity(self, node) -> EntityRef:
        from kg.claims import short_id

        entity = self.entities.get(node)
        if entity is None:
            entity = self.entities[node] = EntityRef(id=short_id(node), iri=str(node), label=self.labels.get(node, short_id(node)))
        return entity

    def finding(self, rule: Rule, candidate: _Candidate) -> Finding:
        from kg.claims import local_name, status_rank

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
            )
            for state in candidate.states
        )
        entities = {role: self.entity(candidate.bound[role]) for role in rule.roles if candidate.bound.get(role) is not None}
        return Finding(
            rule=rule.id,
            title=rule.title,
            severity=rule.severity,
            status=min((e.status for e in evidence), key=status_rank, default="confirmed"),
            entities=entities,
            explanation=explain(
                rule,
                entities,
                evidence,
                {chain: [self.entity(node).label for node in nodes] for chain, nodes in candidate.chains.items()},
            ),
            evidence=evidence,
        )


# --- explanations -----------------------------------------------------------------------------

def explain(rule: Rule, entities: dict[str, EntityRef], evidence, chains: dict[str, list[str]] | None = None) -> str:
    """One readable sentence saying why the finding matters.

    ``chains`` maps an evidence chain such as ``controller>supplier`` to the
    labels of the intermediaries it passes through.
    """
    names = {role: entity.label for role, entity in entities.items()}
    explainer = _EXPLAINERS.get(rule.id)
    if explainer is None:
        roles = ", ".join(f"{role} {name}" for role, name in names.items())
        return f"{rule.title}: {roles}."

    def via(chain: str) -> str:
        hops = (chains or {}).get(chain) or []
        return f" (through {', '.join(hops)})" if hops else ""

    return explainer(names, entities, evidence, via)


def _competitor_controlled_supplier(n, ent, ev, via) -> str:
    customer, supplier, controller, rival = n["customer"], n["supplier"], n["controller"], n["rival"]
    if ent["supplier"].iri == ent["rival"].iri:
        if ent["controller"].iri == ent["supplier"].iri:
            return f"{customer} buys compute from {supplier}, which is itself a rival of {customer}."
        return f"{customer} buys compute from {supplier}, a rival of {customer} controlled by {controller}."
    if ent["controller"].iri == ent["supplier"].iri:
        return f"{customer} buys compute from {supplier}, which also controls {rival}{via('controller>rival')}, a rival of {customer}."
    if ent["controller"].iri == ent["rival"].iri:
        return f"{customer} buys compute from {supplier}, which its rival {rival} controls{via('controller>supplier')}."
    return (
        f"{customer} buys compute from {supplier}, which {controller} controls{via('controller>supplier')}, "
        f"while {controller} also controls {rival}{via('controller>rival')}, a rival of {customer}."
    )


def _investor_supplier_overlap(n, ent, ev, via) -> str:
    if ent["investor"].iri == ent["supplier"].iri:
        return f"{n['investor']} invests in {n['customer']} and also supplies its compute."
    return (
        f"{n['investor']} invests in {n['customer']} and controls {n['supplier']}{via('investor>supplier')}, "
        f"which supplies {n['customer']}'s compute."
    )


def _investor_controls_rival(n, ent, ev, via) -> str:
    if ent["investor"].iri == ent["rival"].iri:
        return f"{n['investor']} invests in its own rival {n['investee']}."
    return f"{n['investor']} invests in {n['investee']} and controls {n['rival']}{via('investor>rival')}, a rival of {n['investee']}."


def _founder_defection(n, ent, ev, via) -> str:
    person, former, rival = ent["person"].iri, ent["former"].iri, ent["rival"].iri
    tie = "founded" if any(e.type == "Founding" and e.subject.iri == person and e.object.iri == former for e in ev) else "worked for"
    founded = any(e.type == "Founding" and e.subject.iri == person and e.object.iri == rival for e in ev)
    link = f"founded {n['rival']}" if founded else f"controls {n['rival']}{via('person>rival')}"
    return f"{n['person']} {tie} {n['former']}, departed it, and {link}, a rival of {n['former']}."


def _single_supplier_dependency(n, ent, ev, via) -> str:
    return f"{n['customer']} has a single compute supplier in force: {n['supplier']}."


def _investor_in_rivals(n, ent, ev, via) -> str:
    return f"{n['investor']} invests in both {n['investee']} and {n['rival']}, which compete with each other."


_EXPLAINERS = {
    "competitor-controlled-supplier": _competitor_controlled_supplier,
    "investor-supplier-overlap": _investor_supplier_overlap,
    "investor-controls-rival": _investor_controls_rival,
    "founder-defection": _founder_defection,
    "single-supplier-dependency": _single_supplier_dependency,
    "investor-in-rivals": _investor_in_rivals,
}


# --- output -----------------------------------------------------------------------------------

def findings_document(findings: list[Finding], *, as_of, min_status: str) -> dict:
    """The ``--format json`` document (DESIGN section 4)."""
    return {"as_of": str(as_of), "min_status": min_status, "findings": [f.to_dict() for f in findings]}


def format_findings(findings: list[Finding], output_format: str, *, as_of, min_status: str, width: int = 100) -> str:
    """Findings as ``table`` (grouped by rule, most severe first), ``json``, ``md`` or ``csv``."""
    import json

    if output_format == "json":
        return json.dumps(findings_document(findings, as_of=as_of, min_status=min_status), indent=2, ensure_ascii=False)
    if output_format == "csv":
        return _findings_csv(findings)
    if output_format == "md":
        return _findings_markdown(findings, as_of=as_of, min_status=min_status)
    return _findings_text(findings, as_of=as_of, min_status=min_status, width=width)


def _evidence_line(evidence: Evidence) -> str:
    from kg.claims import CLAIM_TYPES
    from kg.namespaces import KG

    verb = CLAIM_TYPES[KG[evidence.type]].verb
    dates = ""
    if evidence.type in ("Founding", "Departure"):
        dates = f", {evidence.start}" if evidence.start else ""  # events have a date, not a span
    elif evidence.start or evidence.end:
        dates = f", {evidence.start or '…'}–{evidence.end or '…'}"
    sources = "; ".join(source.title or source.iri for source in evidence.sources) or "no source"
    return f"{evidence.subject.label} {verb} {evidence.object.label} [{evidence.status}{dates}] — {sources}"


def _grouped(findings: list[Finding]):
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule, []).append(finding)
    return groups.items()


def _findings_text(findings, *, as_of, min_status, width) -> str:
    import textwrap

    lines = [f"{len(findings)} finding(s) as of {as_of}, evidence at least {min_status}."]
    for rule_id, group in _grouped(findings):
        first = group[0]
        lines += ["", f"{first.severity.upper()}  {rule_id}: {first.title} ({len(group)})", "─" * min(width, 100)]
        for finding in group:
            lines += textwrap.wrap(
                f"[{finding.status}] {finding.explanation}", width=width, initial_indent="• ", subsequent_indent="  "
            )
            for evidence in finding.evidence:
                lines += textwrap.wrap(_evidence_line(evidence), width=width, initial_indent="    - ", subsequent_indent="      ")
    return "\n".join(lines)


def _findings_markdown(findings, *, as_of, min_status) -> str:
    lines = [f"# Conflicts as of {as_of} (evidence at least {min_status})", "", f"{len(findings)} finding(s)."]
    for rule_id, group in _grouped(findings):
        first = group[0]
        lines += ["", f"## {first.title} — `{rule_id}` ({first.severity})", ""]
        for finding in group:
            lines.append(f"- **{_md(finding.explanation)}** ({finding.status})")
            for evidence in finding.evidence:
                lines.append(f"  - {_md(_evidence_line(evidence))}")
    return "\n".join(lines)


def _md(text: str) -> str:
    # Names come from data: keep them from turning into markup.
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def _findings_csv(findings) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["rule", "severity", "status", "entities", "explanation", "evidence", "sources"])
    for finding in findings:
        writer.writerow(
            [
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
