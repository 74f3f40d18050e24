"""Oxigraph stores on disk: what a folder holds, which runs may use it, and the record of its last load.

A load is recorded as begun before the store changes and as complete once all
is in, in a graph of kg's own (``LOAD_GRAPH``), so a store whose last load was
interrupted is refused rather than read as if it held the data. A run that
loads a store holds it alone; runs that only read it share it (``fcntl`` locks
on the folder; where there is no fcntl, RocksDB's own lock keeps writers apart).
"""

from __future__ import annotations

import datetime
import json
import os
from importlib import metadata
from pathlib import Path

from kg.backends.terms import oxigraph_module
from kg.errors import InputError, arg
from kg.vocab import LOAD_GRAPH


def folder_kind(path: Path) -> str:
    """What a store's folder holds: "missing", "empty", "store" (RocksDB's files) or "foreign"."""
    if not path.exists():
        return "missing"
    if not path.is_dir():
        return "foreign"
    names = set(os.listdir(path))
    if not names:
        return "empty"
    return "store" if "CURRENT" in names else "foreign"


def lock_folder(path: Path, *, exclusive: bool) -> int | None:
    """A lock on the store's folder, held until ``close``: one run that loads, or any number that read."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: RocksDB's own lock keeps two writers apart
        return None
    handle = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(handle, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        doing = "load it" if exclusive else "read it"
        raise InputError(
            f"{path}: the store is in use by another kg run, so this run cannot {doing} now "
            "(runs may read one store together, but none may read it while one loads it); wait for that run to end"
        ) from None
    return handle


def write_load_record(store, state: str, inputs: list[str], *, shortcuts: bool = False) -> None:
    """Record, durably, that a load of ``inputs`` has begun ("loading") or is "complete"."""
    ox = oxigraph_module()
    graph = subject = ox.NamedNode(LOAD_GRAPH)
    values = {"state": state, "inputs": json.dumps(inputs), "version": _version()}
    if state == "complete":
        values.update(ontology="true", shortcuts=str(shortcuts).lower())
        values["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    store.remove_graph(graph)
    store.extend(ox.Quad(subject, ox.NamedNode(f"{LOAD_GRAPH}#{key}"), ox.Literal(value), graph) for key, value in values.items())
    store.flush()


def _version() -> str:
    try:
        return metadata.version("kg-compute")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"


def read_load_record(store) -> dict | None:
    """The record of the store's last load: its ``state`` ("loading" or "complete"), its ``inputs``
    (paths), whether the ``ontology`` and the ``shortcuts`` are in, kg's ``version`` and when it
    ``finished``; None for a store with no record (not made by kg)."""
    ox = oxigraph_module()
    quads = store.quads_for_pattern(ox.NamedNode(LOAD_GRAPH), None, None, ox.NamedNode(LOAD_GRAPH))
    values = {quad.predicate.value.rpartition("#")[2]: quad.object.value for quad in quads}
    if not values:
        return None
    record: dict = dict(values)
    record["inputs"] = json.loads(values.get("inputs", "[]"))
    for flag in ("ontology", "shortcuts"):
        record[flag] = values.get(flag) == "true"
    return record


def check_complete(path: Path, record: dict | None) -> None:
    """Refuse a store whose last load did not complete: an InputError naming its folder."""
    if record is not None and record.get("state") == "complete":
        return
    if record is not None:
        reason = "the last load into this store did not finish (it was interrupted), so it may hold part of the data"
    else:
        reason = "this store holds no record of a completed load (a load was interrupted, or another program made it)"
    raise InputError(f"{path}: {reason}; load it again with {arg('inputs')}")
