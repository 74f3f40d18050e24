"""Agents and other nodes as a person names them: short ids, labels, and resolving what a user typed."""

from __future__ import annotations

import re
from typing import Callable, Iterable

from rdflib import RDFS, Graph, Node, URIRef

from kg.errors import UsageError
from kg.vocab import DATA, PREFIXES


def local_name(iri: Node | str) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def short_id(iri: Node | str) -> str:
    """The id a user types for an IRI: ``anthropic`` for kg's data namespace, else the IRI."""
    text = str(iri)
    return text[len(str(DATA)):] if text.startswith(str(DATA)) else text


def label_of(graph: Graph, node: Node) -> str:
    label = graph.value(node, RDFS.label)
    return str(label) if label is not None else short_id(node)


def is_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI as RFC 3987 defines it (Oxigraph's parser decides)."""
    import pyoxigraph

    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True


def resolve_entity(graph: Graph, ref: str) -> URIRef:
    """The IRI a user means by ``ref``: an IRI, ``prefix:name``, a data id or an exact label."""
    return resolve_ref(ref, lambda node: (node, None, None) in graph or (None, None, node) in graph, lambda: graph.subject_objects(RDFS.label))


def resolve_ref(ref: str, exists: Callable[[URIRef], bool], labelled: Callable[[], Iterable[tuple[Node, Node]]]) -> URIRef:
    """``resolve_entity`` over any backend: ``exists(iri)`` tells whether a node occurs, ``labelled()`` gives (node, label)."""
    ref = ref.strip()
    candidates = []
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1]
    if "://" in ref or ref.startswith("urn:"):
        candidates.append(URIRef(ref))
    else:
        prefix, sep, name = ref.partition(":")
        if sep and prefix in PREFIXES:
            candidates.append(URIRef(str(PREFIXES[prefix]) + name))
        if re.fullmatch(r"[\w.\-]+", ref):  # an id; anything else can only be a label
            candidates.append(DATA[ref])
    for candidate in candidates:
        if is_iri(candidate) and exists(candidate):  # no graph holds an invalid IRI, and no query can spell one
            return candidate
    matches = sorted({s for s, label in labelled() if str(label).casefold() == ref.casefold()})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"{ref!r} is the label of several entities: " + ", ".join(short_id(m) for m in matches))
    raise UsageError(f"unknown id {ref!r}: no entity with that id, IRI or label in the graph")
