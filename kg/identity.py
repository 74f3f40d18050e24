"""One agent per identifier: agents that share an identifier, across every input, are one agent.

Two sources often name one company differently (``openai`` in a sheet, ``OpenAI_Inc`` in a
registry's export) while both give its LEI or Wikidata Q-id. kg joins every agent that shares
an identifier (after normalisation, ``kg.identifiers.identifier_key``), directly or through a
chain of shared identifiers, into one agent for the rules, ``describe``, ``owners``, the graphs
and the network exports. The agent kept is the member whose IRI sorts first (code-point order):
a choice that does not depend on the order of the inputs. The others are its aliases; kg never
rewrites the user's data, and states the merge as ``owl:sameAs`` in the derived graph
(``same_as_triples``). One merged agent with two values of one scheme (two LEIs) is joined all
the same, with a warning naming both values, since the identifier that joined them says so.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import OWL, URIRef

from kg.backends.open import as_backend
from kg.errors import KgWarning
from kg.identifiers import identifier_key
from kg.vocab import KG

IDENTIFIER_QUERY = f"""SELECT ?agent ?scheme ?value WHERE {{
  ?agent <{KG.identifier}> ?identifier .
  ?identifier <{KG.identifierScheme}> ?scheme ; <{KG.identifierValue}> ?value .
}}"""


@dataclass(frozen=True)
class Identity:
    """Which agents are one: ``kept[alias]`` is the agent kept for each alias (agents kept map to nothing)."""

    kept: dict = field(default_factory=dict)
    #: The agent kept -> every member, the kept one first, then the aliases in IRI order.
    members: dict = field(default_factory=dict)
    #: The agent kept -> the identifiers its members share, as (scheme, value) pairs.
    shared: dict = field(default_factory=dict)

    @classmethod
    def of(cls, backend) -> "Identity":
        """The identity the backend's identifiers give; warns about a merged agent with two values of one scheme."""
        rows = identifier_rows(backend)
        identity = cls.from_rows(rows)
        for message in identity.conflicts(rows):
            warnings.warn(message, KgWarning, stacklevel=2)
        return identity

    @classmethod
    def from_rows(cls, rows) -> "Identity":
        """From (agent, scheme, value) rows."""
        parent: dict = {}

        def root(node):
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        holders: dict = defaultdict(set)
        for agent, scheme, value in rows:
            if isinstance(agent, URIRef):
                holders[identifier_key(str(scheme), str(value))].add(agent)
        for agents in holders.values():
            first, *others = sorted(agents, key=str)
            for other in others:
                a, b = root(first), root(other)
                if a != b:
                    parent[max(a, b, key=str)] = min(a, b, key=str)
        groups: dict = defaultdict(set)
        for node in list(parent):
            groups[root(node)].add(node)
        kept, members, shared = {}, {}, {}
        for group in groups.values():
            if len(group) < 2:
                continue
            ordered = sorted(group, key=str)
            members[ordered[0]] = tuple(ordered)
            kept.update({alias: ordered[0] for alias in ordered[1:]})
            shared[ordered[0]] = sorted(key for key, agents in holders.items() if len(agents & group) > 1)
        return cls(kept, members, shared)

    def __bool__(self) -> bool:
        return bool(self.kept)

    def __call__(self, node):
        """The agent kept for ``node`` (itself when it has no alias)."""
        return self.kept.get(node, node)

    def members_of(self, node) -> tuple:
        """Every IRI of the agent ``node`` is (the kept one first)."""
        return self.members.get(self(node), (node,))

    def rows(self, rows) -> list[tuple]:
        """Claim rows (claim, subject, object, ...) with each agent replaced by the agent kept."""
        if not self:
            return rows
        return [(claim, self(subject), self(obj), *rest) for claim, subject, obj, *rest in rows]

    def expand_pairs(self, pairs) -> set:
        """Agent pairs with every alias of each end, to read the claims between merged agents."""
        return {(a, b) for first, second in pairs for a in self.members_of(first) for b in self.members_of(second)}

    def merge_into(self, derived) -> None:
        """Name each alias by its kept agent in ``derived`` (an Oxigraph store of derived edges, which a
        store or server derived between the agents as the data names them), and add the owl:sameAs."""
        if not self:
            return
        values = " ".join(f"(<{alias}> <{kept}>)" for alias, kept in self.kept.items())
        for old, new in (("?alias ?p ?o", "?kept ?p ?o"), ("?s ?p ?alias", "?s ?p ?kept")):
            derived.store.update(f"DELETE {{ {old} }} INSERT {{ {new} }} WHERE {{ VALUES (?alias ?kept) {{ {values} }} {old} }}")
        derived.add_triples(self.same_as_triples())

    def same_as_triples(self) -> list[tuple]:
        """``alias owl:sameAs kept`` for each alias, for the derived graph."""
        return [(alias, OWL.sameAs, kept) for alias, kept in sorted(self.kept.items(), key=lambda item: str(item[0]))]

    def conflicts(self, rows) -> list[str]:
        """One message per merged agent holding two values of one scheme, naming both."""
        values: dict = defaultdict(set)
        for agent, scheme, value in rows:
            if isinstance(agent, URIRef) and self(agent) in self.members:
                values[(self(agent), identifier_key(str(scheme), str(value))[0])].add(identifier_key(str(scheme), str(value))[1])
        messages = []
        for (agent, scheme), found in sorted(values.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            if len(found) > 1:
                names = ", ".join(f"<{member}>" for member in self.members[agent])
                joined = "; ".join(f"{s}:{v}" for s, v in self.shared[agent])
                messages.append(
                    f"{names} share {joined} and are read as one agent, but hold different {scheme} identifiers: "
                    + " and ".join(sorted(found))
                )
        return messages


def identifier_rows(backend) -> list[tuple]:
    """(agent, scheme, value) for every identifier in the data, from any backend."""
    backend = as_backend(backend)
    read = getattr(backend, "identifier_rows", None)
    if read is not None:
        return read()
    _, rows = backend.select(IDENTIFIER_QUERY)
    return [tuple(row) for row in rows]
