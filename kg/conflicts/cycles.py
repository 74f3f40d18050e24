"""Money that goes round: cycles of money edges between distinct control groups (``circular-financing``).

SPARQL cannot return a cycle's path, so a cycle rule's query selects the money
edges (``?payer ?payee``) and kg enumerates the cycles here, the same way for
every backend. A control group is a connected component of
the control links in force, read without direction; a money edge p → q joins
group(p) to group(q) when they differ. Cycles are enumerated on the graph of
groups with networkx's length-bounded ``simple_cycles``: its cost is bounded by
the number of group paths no longer than the longest cycle asked for (at most
edges × out-degree^(length-2)), never by the size of the whole cycle space.
"""

from __future__ import annotations

from collections import deque

import networkx as nx
from rdflib import URIRef

from kg.derive import ControlGraph


class ControlGroups:
    """Each agent's control group, named by its smallest member IRI; an agent with no control link is its own."""

    def __init__(self, control: ControlGraph):
        self.neighbours: dict[URIRef, set[URIRef]] = {}
        for top, below in control.links.items():
            for child in below:
                self.neighbours.setdefault(top, set()).add(child)
                self.neighbours.setdefault(child, set()).add(top)
        self.control = control
        self.group: dict[URIRef, str] = {}
        undirected = nx.Graph()
        undirected.add_edges_from((a, b) for a, near in self.neighbours.items() for b in near)
        for members in nx.connected_components(undirected):
            name = min(map(str, members))
            self.group.update((member, name) for member in members)

    def of(self, agent: URIRef) -> str:
        return self.group.get(agent, str(agent))

    def path(self, start: URIRef, goal: URIRef) -> list:
        """The control claims of a shortest undirected path from start to goal (one group), by IRI at ties."""
        if start == goal:
            return []
        previous: dict[URIRef, URIRef] = {}
        queue, seen = deque([start]), {start}
        while queue:
            node = queue.popleft()
            for near in sorted(self.neighbours.get(node, ()), key=str):
                if near in seen:
                    continue
                seen.add(near)
                previous[near] = node
                if near == goal:
                    hops = []
                    while near != start:
                        hops.append((previous[near], near))
                        near = previous[near]
                    return [self._link(a, b) for a, b in reversed(hops)]
                queue.append(near)
        raise ValueError(f"{start} and {goal} are in no one control group")

    def _link(self, a: URIRef, b: URIRef) -> list:
        """Every claim behind the control link between a and b, whichever way it points."""
        return self.control.claims.get((a, b)) or self.control.claims[(b, a)]


def cycle_rows(edges, groups: ControlGroups, lengths: tuple[int, ...], roles: tuple[str, ...]) -> list[dict]:
    """One row per cycle of groups: roles bound to the payers p1…pk, and ``cycle`` to the (pᵢ, qᵢ) edges.

    The cycle is written from the group named by the smallest IRI; each of its
    steps is realised by the smallest (payer, payee) pair by IRI, which gives the
    lexicographically smallest sequence p1, q1, p2, q2, …, so a cycle is always reported the same way.
    """
    by_step: dict[tuple[str, str], tuple[str, str, URIRef, URIRef]] = {}
    for payer, payee in edges:
        step = (groups.of(payer), groups.of(payee))
        if step[0] == step[1]:
            continue
        pair = (str(payer), str(payee), payer, payee)
        if step not in by_step or pair < by_step[step]:
            by_step[step] = pair
    graph = nx.DiGraph(list(by_step))
    rows = []
    for cycle in nx.simple_cycles(graph, length_bound=max(lengths, default=0)):
        if len(cycle) not in lengths:
            continue
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        steps = [by_step[(cycle[i], cycle[(i + 1) % len(cycle)])] for i in range(len(cycle))]
        row = {role: step[2] for role, step in zip(roles, steps)}
        row["cycle"] = tuple((step[2], step[3]) for step in steps)
        rows.append(row)
    return rows
