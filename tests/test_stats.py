"""``kg stats`` and ``graph_stats``: the library and the command count the same data on every backend."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from kg import graph_stats, load_graph, open_backend


def cli_stats(invoke, *args) -> dict:
    result = invoke("stats", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def as_json(stats) -> dict:
    data = asdict(stats)
    return {"triples": data["triples"], "classes": dict(data["classes"]), "statuses": dict(data["statuses"])}


def test_the_library_counts_what_kg_stats_prints(invoke):
    """Issue 14, item 24: ``graph_stats(load_graph())`` counted the ontology kg adds as data."""
    printed = cli_stats(invoke)
    assert as_json(graph_stats(load_graph())) == printed
    assert as_json(graph_stats(load_graph(include_ontology=False))) == printed
    assert printed["triples"] == len(load_graph(include_ontology=False))
    assert "ClaimStatus" not in printed["classes"]


@pytest.mark.parametrize("include_ontology", [True, False])
def test_oxigraph_counts_the_same_data(invoke, include_ontology):
    printed = cli_stats(invoke)
    assert as_json(graph_stats(open_backend(store="oxigraph", include_ontology=include_ontology))) == printed
    assert cli_stats(invoke, "--store", "oxigraph") == printed


def test_data_about_ontology_terms_is_counted_as_data(tmp_path, invoke):
    path = tmp_path / "note.ttl"
    path.write_text(
        "@prefix kg: <https://w3id.org/ai-compute-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'kg:AILab rdfs:comment "a note of mine" .\n',
        encoding="utf-8",
    )
    assert graph_stats(load_graph([path])).triples == 1 == cli_stats(invoke, "--data", path)["triples"]
