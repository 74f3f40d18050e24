"""``kg push``: load the ontology, the data and the derived facts into a SPARQL store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.backends.endpoint import EndpointBackend
from kg.backends.open import open_backend
from kg.derive import LINK_CLASSES, ControlGraph, Reading, claim_states, closure_edges, in_store_edge_queries
from kg.vocab import DEFAULT_CONTROL_THRESHOLD, DERIVED_GRAPH


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
    inputs: Iterable[str | Path],
    endpoint: str,
    *,
    graph: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
    timeout: float = 60.0,
    bulk: bool = False,
    as_of=None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    progress_factory=None,
) -> PushReport:
    """Load local data with the ontology into ``graph`` at ``endpoint``, and the facts the rules derive.

    The inputs go through an in-memory Oxigraph store, which parses them and
    derives the facts as the conflict rules on Oxigraph do, then leave as
    N-Triples: no triple becomes a Python object unless it holds a blank node.
    The derived facts (kgr: edges for ``as_of``, see kg.derive) let the rule files
    in queries/conflicts/ run on the server itself; conflicts found at an
    endpoint derive their own and do not need them. ``bulk`` asks an Oxigraph
    server to load without a transaction (see ``EndpointBackend.push``);
    ``progress_factory`` is as for ``kg.backends.open.open_backend``.
    """
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    target = EndpointBackend(endpoint, timeout=timeout)  # checks the URL before any work
    # The ontology comes with the data, as for local commands.
    local = open_backend(list(inputs), store="oxigraph", progress_factory=progress_factory)
    derived = local.constructed(in_store_edge_queries(reading.as_of, reading.min_status, min_stage=reading.min_stage, agent_types=False))
    links = claim_states(local, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, classes=sorted(LINK_CLASSES))
    control = ControlGraph(links, reading.control_threshold)
    derived.add_triples(closure_edges(control))
    body, derived_body = local.ntriples(), derived.ntriples()
    method = target.push(body, target_graph=graph, store_url=store_url, update_url=update_url, bulk=bulk)
    derived_graph = derived_graph_name(graph)
    target.push(derived_body, target_graph=derived_graph, store_url=store_url, update_url=update_url, bulk=bulk)
    return PushReport(body.count(b"\n"), len(derived), graph, derived_graph, method)
