"""Terms between pyoxigraph and rdflib, for the backends that hold or receive Oxigraph's terms."""

from __future__ import annotations

from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import InputError, QueryError
from kg.sparql import QueryResult


def oxigraph_module():
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - pyoxigraph is a declared dependency
        raise InputError("the Oxigraph backend needs pyoxigraph: pip install pyoxigraph") from None
    return pyoxigraph


def to_rdflib(term) -> Node | None:
    """An rdflib term for a pyoxigraph term (xsd:string literals become plain, as in rdflib)."""
    if term is None:
        return None
    ox = oxigraph_module()
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=datatype)
    raise QueryError(f"unsupported term in results: {term!r}")


def interning_iri():
    """A converter from pyoxigraph terms to URIRefs that makes each IRI once.

    The values come from Oxigraph, which has checked them, so rdflib's own check
    (a few microseconds per IRI, the larger part of reading 10^5 claims) is skipped.
    """
    made: dict[str, URIRef] = {}
    blank = oxigraph_module().BlankNode

    def iri(term) -> URIRef | None:
        if term is None:
            return None
        if isinstance(term, blank):  # a claim or attestation written as a blank node: not an IRI
            return BNode(term.value)
        value = term.value
        found = made.get(value)
        if found is None:
            found = made[value] = str.__new__(URIRef, value)
        return found

    return iri


def to_oxigraph(term: Node):
    ox = oxigraph_module()
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"unsupported term: {term!r}")


def query_result(answer) -> QueryResult:
    """A pyoxigraph answer as rdflib terms. The answer is let go here, in the thread that made it:
    pyoxigraph's solutions may be dropped only there (a query may run in a worker thread)."""
    ox = oxigraph_module()
    try:
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(form="ASK", boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            graph = Graph()
            for triple in answer:
                graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
            return QueryResult(form="CONSTRUCT", graph=graph)
        names = tuple(v.value for v in answer.variables)
        rows = tuple(tuple(to_rdflib(solution[name]) for name in names) for solution in answer)
        return QueryResult(form="SELECT", variables=names, rows=rows)
    finally:
        del answer
