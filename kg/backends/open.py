"""Opening the backend a command works on: local inputs in memory or in Oxigraph, or an endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from rdflib import Graph

from kg import resources
from kg.backends.base import Backend
from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.backends.disk import folder_kind
from kg.backends.oxigraph import OxigraphBackend
from kg.errors import InputError, UsageError, arg
from kg.io.load import load_graph
from kg.io.walk import walk

STORES = ("memory", "oxigraph")


def open_backend(
    inputs: Iterable[str | Path] = (),
    *,
    store: str = "memory",
    store_path: str | Path | None = None,
    endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = 60.0,
    include_ontology: bool = True,
    progress_factory=None,
) -> Backend:
    """The graph a command works on: local inputs in memory or in Oxigraph, or an endpoint.

    With no inputs and no endpoint, the bundled example is loaded. The ontology
    is always loaded with local inputs (into its own graph in Oxigraph). A store
    on disk (``store_path``) is reused as it is, read-only, when no inputs are
    given, once its record says its last load completed (else an InputError
    naming it); a new or empty folder gets the bundled example.
    ``progress_factory(total_bytes)`` gives a context whose value is called with
    each chunk's size as Oxigraph reads the files.
    """
    inputs = [Path(p) for p in inputs]
    if endpoint:
        if inputs:
            raise InputError(f"give either {arg('inputs')} or {arg('endpoint')}, not both")
        return EndpointBackend(endpoint, graph=graph, timeout=timeout)
    if store == "memory":
        return MemoryBackend(load_graph(inputs, include_ontology=include_ontology))
    if store != "oxigraph":
        raise UsageError(f"unknown {arg('store')} {store!r}; expected one of {', '.join(STORES)}")
    if store_path is not None and not inputs and folder_kind(Path(store_path)) not in ("missing", "empty"):
        reused = OxigraphBackend(store_path, include_ontology=include_ontology, read_only=True)
        return _or_closed(reused, reused.check_complete)
    found = walk(inputs or [resources.bundled_data_path()])  # before the store opens: a missing input changes nothing
    backend = OxigraphBackend(store_path, include_ontology=include_ontology)
    return _or_closed(backend, lambda: backend.load_inputs(found, progress_factory=progress_factory))


def _or_closed(backend: OxigraphBackend, work) -> OxigraphBackend:
    """``backend`` once ``work()`` is done; closed (its folder free for the next run) if it fails."""
    try:
        work()
    except BaseException:
        backend.close()
        raise
    return backend


def as_backend(graph_or_backend: Graph | Backend) -> Backend:
    """A backend for an rdflib graph (wrapped in memory) or a backend as it is."""
    return MemoryBackend(graph_or_backend) if isinstance(graph_or_backend, Graph) else graph_or_backend
