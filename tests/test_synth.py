"""``kg synth``: deterministic fictional graphs whose planted conflicts are exactly the findings."""

from __future__ import annotations

import json

from rdflib import RDFS
from rdflib.compare import isomorphic

from kg.conflicts.engine import find_conflicts
from kg.conflicts.pack import load_rules
from kg.io.load import load_graph
from kg.synth import PLANTERS, SYNTH_AS_OF, generate, planted_rules


def found_keys(findings):
    rules = {rule.id: rule for rule in load_rules()}
    found = {rule: set() for rule in planted_rules()}
    for finding in findings:
        found[finding.rule].add(tuple(finding.entities[role].id for role in rules[finding.rule].key))
    return found


def test_every_bundled_rule_has_a_planter():
    """Adding a bundled rule means adding its planter, so the benchmark and the backend tests cover it."""
    assert sorted(PLANTERS) == sorted(rule.id for rule in load_rules())


def test_findings_are_exactly_the_planted_conflicts():
    synthetic = generate(400, seed=3)
    assert sorted(synthetic.planted) == sorted(rule.id for rule in load_rules())
    assert all(len(keys) == 4 for keys in synthetic.planted.values())
    assert found_keys(find_conflicts(synthetic.graph, as_of=SYNTH_AS_OF)) == synthetic.planted


def test_same_seed_same_graph_other_seed_other_graph():
    assert isomorphic(generate(60, seed=1).graph, generate(60, seed=1).graph)
    assert not isomorphic(generate(60, seed=1).graph, generate(60, seed=2).graph)


def test_every_entity_is_labelled_fictional():
    graph = generate(60, seed=1).graph
    labels = [str(label) for label in graph.objects(None, RDFS.label)]
    assert labels and all(label.endswith("(fictional)") for label in labels)


def test_synthetic_graph_conforms_to_the_shapes():
    from kg.validate import validate_graph

    report = validate_graph(generate(60, seed=1).graph)
    assert report.conforms, report.violations[:3]


def test_cli_writes_the_graph_and_the_planted_findings(invoke, tmp_path):
    out, planted = tmp_path / "synthetic.ttl", tmp_path / "planted.json"
    result = invoke("synth", "--orgs", "100", "--seed", "5", "-o", out, "--planted", planted)
    assert result.exit_code == 0, result.output
    document = json.loads(planted.read_text(encoding="utf-8"))
    assert document["as_of"] == SYNTH_AS_OF
    keys = {rule: {tuple(key) for key in keys} for rule, keys in document["planted"].items()}
    assert found_keys(find_conflicts(load_graph([out]), as_of=SYNTH_AS_OF)) == keys


def test_ntriples_output_is_streamed_and_is_the_same_graph(tmp_path):
    """`-o x.nt` writes line by line (10^7 triples fit no rdflib graph); the file must still be the graph."""
    import pyoxigraph

    from kg.synth import write_synthetic

    path = tmp_path / "synthetic.nt"
    counts = write_synthetic(300, seed=4, output=path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert counts["triples"] == len(lines) == len(set(lines))  # no duplicate triples
    assert len(list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_TRIPLES))) == len(lines)  # strict parser
    assert isomorphic(load_graph([path], include_ontology=False), generate(300, seed=4).graph)
    assert not list(tmp_path.glob(".*.tmp"))
