"""``kg push``: load the ontology, the data and the derived facts into a SPARQL store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rdflib import Graph

from kg.store import DERIVED_GRAPH, EndpointSource


@dataclass(frozen=True)
class PushReport:
    data_triples: int
    derived_triples: int
    data_graph: str | None  # None: the endpoint's default graph
    derived_graph: str
    method: str


def derived_graph_name(graph: str | None) -> str:
    """The graph the derived facts go to: beside the data, never mixed into it."""
    return f"{graph}/derived" if graph else DERIVED_GRAPH


def push(
    data: Iterable[str | Path],
    endpoint: str,
    *,
    graph: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
    timeout: float = 60.0,
    as_of=None,
    min_status: str = "rumored",
) -> PushReport:
    """Load local data with the ontology into ``graph`` at ``endpoint``, and the facts the rules derive.

    The derived facts (kgr: edges for ``as_of``, see kg.rules) let the rule files
    in queries/conflicts/ run on the server itself; ``kg conflicts --endpoint``
    derives its own and does not need them.
    """
    from kg.load import load_graph
    from kg.rules import ControlGraph, check_min_status, claim_states, derive_facts, derived_graph, parse_as_of

    local = load_graph(list(data))  # the ontology comes with the data, as for local commands
    states = claim_states(local, as_of=parse_as_of(as_of), min_status=check_min_status(min_status))
    derived: Graph = derived_graph(derive_facts(states, ControlGraph(states)))
    target = EndpointSource(endpoint, timeout=timeout)
    method = target.push(local, target_graph=graph, store_url=store_url, update_url=update_url)
    derived_graph = derived_graph_name(graph)
    target.push(derived, target_graph=derived_graph, store_url=store_url, update_url=update_url)
    return PushReport(len(local), len(derived), graph, derived_graph, method)
