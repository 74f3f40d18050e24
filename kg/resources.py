"""Where the files shipped inside the wheel (ontology, queries, data) are."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _package_file(package: str, name: str) -> Path:
    # The folders ship as namespace packages (no __init__.py), so files() may be a
    # MultiplexedPath; joinpath gives a real Path in both wheel and editable installs.
    return Path(resources.files(package).joinpath(name))


def ontology_path(name: str = "kg.ttl") -> Path:
    """A file of the bundled ontology folder (``ontology/`` in the checkout)."""
    return _package_file("kg.ontology", name)


def shapes_path() -> Path:
    return ontology_path("shapes.ttl")


def derived_vocabulary_path() -> Path:
    """The kgr: vocabulary of the edges kg derives for the conflict rules (ontology/derived.ttl)."""
    return ontology_path("derived.ttl")


def context_path() -> Path:
    return ontology_path("context.jsonld")


def queries_dir() -> Path:
    return _package_file("kg.queries", "conflicts").parent


def bundled_data_path() -> Path:
    """The example graph used when no ``--data`` is given."""
    return _package_file("kg.data", "ai-compute.ttl")
