"""Agents and other nodes as a person names them: short ids, labels, and resolving what a user typed."""

from __future__ import annotations

import difflib
import re
from typing import Callable, Iterable, Sequence

from rdflib import RDF, RDFS, Graph, Node, URIRef

from kg.errors import KgError, UsageError
from kg.vocab import AGENT_CLASSES, DATA, PREFIXES

#: At most how many agents an endpoint is asked for, in one query, to suggest the ids close to one
#: that names nothing (``AGENTS_QUERY``); a local graph or store offers every agent it holds.
SUGGESTION_LIMIT = 5000

#: Every agent with its labels (none: unbound), for suggestions; a backend adds ``LIMIT``.
AGENTS_QUERY = (
    "SELECT DISTINCT ?node ?label WHERE { VALUES ?type { %s } ?node a ?type "
    "OPTIONAL { ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
) % " ".join(cls.n3() for cls in AGENT_CLASSES)


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


def _key(text: str) -> str:
    """A name as suggestions compare it: any case, blanks, '-' and '_' aside (``Space X``: spacex)."""
    return re.sub(r"[\s_\-]+", "", text.casefold())


def closest_ids(text: str, names: Iterable[tuple[str, str | None]], *, n: int = 3, cutoff: float = 0.8) -> list[str]:
    """The ids whose id or name is closest to ``text``, best first, at most ``n`` (difflib's ratio).

    ``names`` gives (id, name) pairs, a name None where there is none; both are compared in any
    case with blanks, '-' and '_' aside, so ``open ai`` is close to ``openai`` (a ratio of 1).
    """
    names = list(names)
    keys: dict[str, str] = {}
    for entity_id, _ in names:  # an id before any name that reads the same
        keys.setdefault(_key(entity_id), entity_id)
    for entity_id, name in names:
        if name:
            keys.setdefault(_key(name), entity_id)
    key = _key(text)
    if not key or not keys:
        return []
    matches = difflib.get_close_matches(key, list(keys), n=len(keys), cutoff=cutoff)
    return list(dict.fromkeys(keys[match] for match in matches))[:n]


def did_you_mean(ids: Sequence[str]) -> str:
    """`` (did you mean spacex?)``, `` (did you mean a or b?)``, or nothing when there are no ``ids``."""
    if not ids:
        return ""
    words = ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " or " + ids[-1]
    return f" (did you mean {words}?)"


def agents_of(graph: Graph) -> Iterable[tuple[Node, Node | None]]:
    """(agent, label) of every agent of ``graph``, as ``AGENTS_QUERY`` gives them (label None: it has none)."""
    for node in dict.fromkeys(node for cls in AGENT_CLASSES for node in graph.subjects(RDF.type, cls)):
        labels = list(graph.objects(node, RDFS.label))
        yield from ((node, label) for label in labels) if labels else [(node, None)]


def resolve_entity(graph: Graph, ref: str) -> URIRef:
    """The IRI a user means by ``ref``: an IRI, ``prefix:name``, a data id or an exact label.

    One that names nothing is a UsageError that suggests the agents whose id or label is close.
    """
    return resolve_ref(
        ref,
        lambda node: (node, None, None) in graph or (None, None, node) in graph,
        lambda: graph.subject_objects(RDFS.label),
        lambda: agents_of(graph),
    )


def unknown_id(ref: str, known: Callable[[], Iterable[tuple[Node, Node | None]]] | None = None) -> UsageError:
    """The error for ``ref`` naming nothing, with the ids of the agents ``known()`` gives that are close to it.

    ``known()`` gives (agent, label or None) pairs; a KgError it raises (an endpoint that fails
    or times out) leaves the suggestion out rather than hide the error the user made.
    """
    hint = ""
    if known is not None:
        try:
            pairs = [(short_id(node), None if label is None else str(label)) for node, label in known()]
        except KgError:
            pairs = []
        hint = did_you_mean(closest_ids(_typed_name(ref), pairs))
    return UsageError(f"unknown id {ref!r}: no entity with that id, IRI or label in the graph{hint}")


def _typed_name(ref: str) -> str:
    """The name in what a user typed: ``starlnk`` of ``kgd:starlnk`` or of its IRI, else ``ref``."""
    ref = ref.strip()
    if ref.startswith("<") and ref.endswith(">"):
        ref = ref[1:-1]
    if "://" in ref or ref.startswith("urn:"):
        return short_id(ref) if ref.startswith(str(DATA)) else local_name(ref)
    prefix, sep, name = ref.partition(":")
    return name if sep and prefix in PREFIXES else ref


def resolve_ref(
    ref: str,
    exists: Callable[[URIRef], bool],
    labelled: Callable[[], Iterable[tuple[Node, Node]]],
    known: Callable[[], Iterable[tuple[Node, Node | None]]] | None = None,
) -> URIRef:
    """``resolve_entity`` over any backend: ``exists(iri)`` tells whether a node occurs, ``labelled()`` gives
    (node, label); ``known()``, asked only when ``ref`` names nothing, the (agent, label) pairs to suggest from."""
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
    raise unknown_id(ref, known)
