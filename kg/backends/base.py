"""What every backend answers, and the SPARQL that lets any backend answer it.

A *backend* is where a graph lives: rdflib in memory (``kg.backends.memory``),
Oxigraph in memory or on disk (``kg.backends.oxigraph``) or a SPARQL 1.1
endpoint (``kg.backends.endpoint``). Each answers ``select`` (a SPARQL SELECT,
rows of rdflib terms), ``run`` (any read query for ``kg query``) and
``to_graph`` (an rdflib copy, for the stages that need one: SHACL, viz), and
the bulk reads below, which the conflict rules use, so they give the same
findings on every backend.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from rdflib import URIRef
from rdflib.term import Node

from kg.errors import UsageError, arg
from kg.vocab import SHARE_KEYS

Rows = tuple[tuple[str, ...], list[tuple[Node | None, ...]]]


class Backend:
    """What kg asks of any backend; SPARQL implementations, which every backend can answer.

    Subclasses provide ``select``, ``run`` and ``to_graph``; the in-memory and
    Oxigraph backends override the bulk reads with look-ups of their own, which
    are much faster there.
    """

    name = "backend"

    def select(self, query: str) -> Rows:  # pragma: no cover - every subclass defines it
        """A SPARQL SELECT's variables and rows of rdflib terms (None where unbound)."""
        raise NotImplementedError

    def run(
        self,
        text: str,
        *,
        params: Iterable[str] = (),
        allow_update: bool = False,
        allow_service: bool = False,
        infer: bool = False,
        timeout: float | None = None,
    ):
        """Any query a user gives (``kg query``), read-only unless allowed: a ``kg.sparql.QueryResult``.

        ``infer`` adds the ontology's shortcut properties inferred from the claims;
        ``timeout`` is how many seconds to wait for the answer.
        """
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def to_graph(self):
        """The whole graph as an rdflib ``Graph`` (for the stages that need one)."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def check_copyable(self) -> None:
        """Refuse (a UsageError) unless ``copy_with`` can copy this backend: a SPARQL endpoint is never
        copied, nor written."""
        raise UsageError(
            f"kg cannot add claims to the graph at an {self.name}: it never writes to one, and does not copy one; "
            f"save the graph to a file and give that file in {arg('inputs')}"
        )

    def copy_with(self, graph) -> "Backend":
        """A new backend in memory holding this one's graph and the triples of ``graph`` (an rdflib graph);
        this one is left as it was."""
        self.check_copyable()
        raise NotImplementedError  # pragma: no cover - every backend that can be copied defines it

    def claim_rows(self, cls: URIRef, subject_role: URIRef, object_role: URIRef, *, pairs=None) -> list[tuple]:
        """(claim, subject, object, start, end, status, stage, share, kind) for every claim of ``cls``,
        one row per combination of its values (an attestation's status, a stage, a share's lower
        bound: its exact share, stake, minimum or exclusive minimum; an affiliation's or a rivalry's kind).

        ``pairs`` limits the rows to claims between those (subject, object) agents,
        with all their rows: a claim with two subjects (a SHACL violation) must
        read as it does whole, its smallest subject first, whichever pair found it.
        """
        return [row for query in claim_queries(cls, subject_role, object_role, pairs) for row in self.select(query)[1]]

    def claim_shares(self, claims: Iterable[Node]) -> list[tuple[Node, Node, Node]]:
        """(claim, share property, value) for the given claims: every exact share, stake and bound
        they give (``claim_rows`` gives only what a share is known to reach)."""
        return [(row["claim"], row["property"], row["value"]) for row in select_values(self, _SHARES_QUERY, "claim", claims)]

    def agent_types(self, agents: Iterable[Node]) -> list[tuple[Node, Node]]:
        """(agent, kg class) for the given agents."""
        return [(row["agent"], row["type"]) for row in select_values(self, _AGENT_TYPES_QUERY, "agent", agents)]

    def labels(self, nodes: Iterable[Node]) -> dict[Node, str]:
        labels: dict[Node, str] = {}
        for row in select_values(self, _LABELS_QUERY, "node", nodes):
            label = str(row["label"])
            labels[row["node"]] = min(label, labels.get(row["node"], label))
        return labels

    def attestations(self, claims: Iterable[Node]) -> list[tuple[Node, Node, Node, Node | None]]:
        """(claim, source, status, source title or None) for the given claims."""
        return [
            (row["claim"], row["source"], row["status"], row.get("title"))
            for row in select_values(self, _SOURCES_QUERY, "claim", claims)
        ]

    def source_urls(self, sources: Iterable[Node]) -> dict[Node, list[Node]]:
        """Each given source's URLs (dcterms:source), for the sources that give one."""
        urls: dict[Node, list[Node]] = {}
        for row in select_values(self, _SOURCE_URLS_QUERY, "source", sources):
            urls.setdefault(row["source"], []).append(row["url"])
        return urls


_CLAIM_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?claim ?subject ?object ?start ?end ?status ?stage ?share ?kind WHERE {{
  {{ SELECT ?claim ?subject ?object WHERE {{ ?claim <{subject_role}> ?subject ; <{object_role}> ?object . }} }}
  ?claim a <{cls}> .
  OPTIONAL {{ ?claim kg:startDate ?start }}
  OPTIONAL {{ ?claim kg:endDate ?end }}
  OPTIONAL {{ ?claim kg:attestation ?attestation . ?attestation kg:status ?status }}
  OPTIONAL {{ ?claim kg:stage ?stage }}
  OPTIONAL {{ VALUES ?shareProperty {{ kg:shareExact kg:stake kg:shareMinimum kg:shareExclusiveMinimum }} ?claim ?shareProperty ?share }}
  OPTIONAL {{ ?claim kg:affiliationKind|kg:rivalryKind ?kind }}
}}"""


# The claims between some agent pairs, then all their roles (see ``Backend.claim_rows``). The
# VALUES block sits in a sub-select: Oxigraph joins it there first, and 10^2 times slower
# when it sits beside the OPTIONALs.
_CLAIMS_BETWEEN_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?claim ?subject ?object ?start ?end ?status ?stage ?share ?kind WHERE {{
  {{ SELECT DISTINCT ?claim WHERE {{ {values} ?claim <{subject_role}> ?pairSubject ; <{object_role}> ?pairObject . }} }}
  ?claim a <{cls}> ; <{subject_role}> ?subject ; <{object_role}> ?object .
  OPTIONAL {{ ?claim kg:startDate ?start }}
  OPTIONAL {{ ?claim kg:endDate ?end }}
  OPTIONAL {{ ?claim kg:attestation ?attestation . ?attestation kg:status ?status }}
  OPTIONAL {{ ?claim kg:stage ?stage }}
  OPTIONAL {{ VALUES ?shareProperty {{ kg:shareExact kg:stake kg:shareMinimum kg:shareExclusiveMinimum }} ?claim ?shareProperty ?share }}
  OPTIONAL {{ ?claim kg:affiliationKind|kg:rivalryKind ?kind }}
}}"""


def claim_queries(cls, subject_role, object_role, pairs=None, chunk: int = 2000) -> list[str]:
    """The claim-reading query, whole or restricted to agent pairs a VALUES block at a time."""
    if pairs is None:
        return [_CLAIM_QUERY.format(cls=cls, subject_role=subject_role, object_role=object_role)]
    pairs = sorted(set(pairs), key=lambda pair: (str(pair[0]), str(pair[1])))
    return [
        _CLAIMS_BETWEEN_QUERY.format(
            cls=cls,
            subject_role=subject_role,
            object_role=object_role,
            values="VALUES (?pairSubject ?pairObject) { " + " ".join(f"({s.n3()} {o.n3()})" for s, o in pairs[i : i + chunk]) + " }",
        )
        for i in range(0, len(pairs), chunk)
    ]


_SHARES_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?claim ?property ?value WHERE {{
  {values}
  VALUES ?property {{ %s }}
  ?claim ?property ?value
}}""" % " ".join(prop.n3() for prop in SHARE_KEYS)
_AGENT_TYPES_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
SELECT ?agent ?type WHERE {{ {values} ?agent a ?type . FILTER (STRSTARTS(STR(?type), STR(kg:))) }}"""
_SOURCES_QUERY = """PREFIX kg: <https://w3id.org/ai-compute-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?claim ?source ?status ?title WHERE {{
  {{ SELECT ?claim ?source ?status WHERE {{ {values} ?claim kg:attestation ?attestation .
                                            ?attestation kg:source ?source ; kg:status ?status . }} }}
  OPTIONAL {{ ?source dcterms:title ?title }}
}}"""
_SOURCE_URLS_QUERY = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?source ?url WHERE {{ {values} ?source dcterms:source ?url }}"""
_LABELS_QUERY = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?node ?label WHERE {{ {values} ?node rdfs:label ?label }}"""


def claim_rows_of(claim, subjects, objects, starts, ends, statuses, stages=(None,), shares=(None,), kinds=(None,)) -> list[tuple]:
    """A claim's rows as the claim query gives them: one per combination of its values."""
    return [(claim, *values) for values in itertools.product(subjects, objects, starts, ends, statuses, stages, shares, kinds)]


def _any(iterator) -> bool:
    return next(iterator, None) is not None


def rows_as_dicts(rows: Rows) -> Iterator[dict[str, Node | None]]:
    names, values = rows
    for row in values:
        yield dict(zip(names, row))


def select_values(backend, template: str, variable: str, terms: Iterable[Node], chunk: int = 2000) -> list[dict]:
    """Run ``template`` (holding ``{values}``) for many terms, a VALUES block at a time."""
    terms = sorted(set(terms), key=str)
    rows: list[dict] = []
    for start in range(0, len(terms), chunk):
        values = " ".join(term.n3() for term in terms[start : start + chunk])
        rows.extend(rows_as_dicts(backend.select(template.format(values=f"VALUES ?{variable} {{ {values} }}"))))
    return rows
