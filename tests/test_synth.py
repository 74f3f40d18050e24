"""``kg synth``: deterministic fictional graphs whose planted conflicts are exactly the findings."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations

import pytest
from rdflib import RDF, RDFS
from rdflib.compare import isomorphic

from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.pack import load_rules
from kg.dates import parse_as_of
from kg.derive import ControlGraph, claim_states
from kg.entities import short_id
from kg.io.load import load_graph
from kg.identifiers import LEI, lei_check_digits_ok
from kg.synth import (
    AGREED_ONLY, DEFAULT_SETTING, FORMS, LOWER_THRESHOLD, PLANTERS, SETTINGS, SYNTH_AS_OF, Setting, generate, planted_rules,
)
from kg.vocab import KG


def found_keys(findings):
    rules = {rule.id: rule for rule in load_rules()}
    found = {rule: set() for rule in planted_rules()}
    for finding in findings:
        found[finding.rule].add(tuple(finding.entities[role].id for role in rules[finding.rule].key))
    return found


def found_with(source, setting: Setting):
    return found_keys(find_conflicts(source, as_of=SYNTH_AS_OF, control_threshold=setting.control_threshold, min_stage=setting.min_stage))


@pytest.fixture(scope="module")
def synthetic():
    """400 organizations: four structures per rule, and every form of control link among them."""
    return generate(400, seed=3)


@pytest.fixture(scope="module")
def found_in_memory(synthetic):
    return {setting: found_with(synthetic.graph, setting) for setting in SETTINGS}


def test_every_bundled_rule_has_a_planter():
    """Adding a bundled rule means adding its planter, so the benchmark and the backend tests cover it."""
    assert sorted(PLANTERS) == sorted(rule.id for rule in load_rules())


def test_findings_are_exactly_the_planted_conflicts(synthetic, found_in_memory):
    assert sorted(synthetic.planted) == sorted(rule.id for rule in load_rules())
    assert all(len(keys) >= 4 for keys in synthetic.planted.values())
    assert found_in_memory[DEFAULT_SETTING] == synthetic.planted


def test_each_setting_gives_the_findings_planted_for_it(synthetic, found_in_memory):
    """A lower control threshold wakes the shares just under 50; --min-stage agreed drops the proposed deals."""
    for setting in SETTINGS:
        assert found_in_memory[setting] == synthetic.findings[setting], setting
    total = {setting: sum(map(len, synthetic.findings[setting].values())) for setting in SETTINGS}
    assert total[LOWER_THRESHOLD] > total[DEFAULT_SETTING] > total[AGREED_ONLY]


def test_oxigraph_finds_what_was_planted_for_each_setting(synthetic):
    store = OxigraphBackend()
    store.add_graph(synthetic.graph)
    for setting in SETTINGS:
        assert found_with(store, setting) == synthetic.findings[setting], setting


def test_every_form_is_planted_and_fires_only_where_it_says(synthetic, found_in_memory):
    """Each form appears, and each structure's finding is there under exactly its form's settings: the
    decoys (49.99, a 25-50 band, a maximum alone, a terminated deal) stay silent with the default options."""
    assert {form for _, form, _ in synthetic.plants} == set(FORMS)
    for rule, form, key in synthetic.plants:
        where = {setting for setting in SETTINGS if key in found_in_memory[setting][rule]}
        assert where == FORMS[form].fires, (rule, form, key)
    silent = {"just-under", "band-25-50", "maximum-only", "terminated"}
    assert {form for form in FORMS if DEFAULT_SETTING not in FORMS[form].fires} == silent


def test_the_same_shares_other_seeds_other_sizes():
    """The bookkeeping holds for any seed and size, not only the one above."""
    for orgs, seed in ((120, 8), (250, 21)):
        synthetic = generate(orgs, seed=seed)
        for setting in SETTINGS:
            assert found_with(synthetic.graph, setting) == synthetic.findings[setting], (orgs, seed, setting)


def interlocks_by_the_design(graph):
    """DESIGN section 4's interlocking-directorate, read from the claims (no bundled rule reads it yet): a person
    with board seats or officers' posts in force at two organizations that have a rivalry claim between them,
    neither controlling the other; one finding per person and pair, org the smaller IRI."""
    states = claim_states(graph, as_of=parse_as_of(SYNTH_AS_OF), min_status="rumored")
    control = ControlGraph(states)
    posts = defaultdict(set)
    for state in states:
        if state.cls == KG.Affiliation and state.holds and graph.value(state.iri, KG.affiliationKind) in (KG.BoardSeat, KG.Officer):
            posts[state.subject].add(state.object)
    rivals = {frozenset((state.subject, state.object)) for state in states if state.cls == KG.Rivalry and state.holds}
    found = set()
    for person, orgs in posts.items():
        for org, rival in combinations(sorted(orgs, key=str), 2):
            if frozenset((org, rival)) in rivals and rival not in control.reachable(org) and org not in control.reachable(rival):
                found.add((short_id(person), short_id(org), short_id(rival)))
    return found


def test_board_interlocks_are_exactly_those_planted(synthetic):
    """Board seats and officers sit in the background too, never making an interlock; the planted ones
    (kept apart from the rules' findings) are exactly what the rule of DESIGN section 4 would find."""
    graph = synthetic.graph
    kinds = {graph.value(claim, KG.affiliationKind) for claim in graph.subjects(RDF.type, KG.Affiliation)}
    assert {KG.BoardSeat, KG.Officer, KG.Employee} <= kinds
    background_seats = [
        claim for claim in graph.subjects(KG.affiliationKind, KG.BoardSeat) if short_id(graph.value(claim, KG.affiliate)).startswith("person-")
    ]
    assert background_seats
    assert synthetic.interlocks and interlocks_by_the_design(graph) == synthetic.interlocks


def test_same_seed_same_graph_other_seed_other_graph():
    assert isomorphic(generate(60, seed=1).graph, generate(60, seed=1).graph)
    assert not isomorphic(generate(60, seed=1).graph, generate(60, seed=2).graph)


def test_every_entity_is_fictional_and_so_is_every_identifier(synthetic):
    """Labels say fictional; identifiers are LEIs beginning FICTIONAL with valid check digits, on about
    half the organizations and on no person; no Wikidata id (a Q-id is always a real item)."""
    graph = synthetic.graph
    labels = [str(label) for label in graph.objects(None, RDFS.label)]
    assert labels and all(label.endswith("(fictional)") for label in labels)
    assert {str(scheme) for scheme in graph.objects(None, KG.identifierScheme)} == {LEI}
    values = [str(value) for value in graph.objects(None, KG.identifierValue)]
    assert values and len(set(values)) == len(values)
    assert all(value.startswith("FICTIONAL") and lei_check_digits_ok(value) for value in values)
    people = set(graph.subjects(RDF.type, KG.Person))
    holders = set(graph.subjects(KG.identifier, None))
    organizations = {agent for agent in graph.subjects(RDFS.label, None)} - people
    assert not holders & people
    assert 0.35 < len(holders) / len(organizations) < 0.65


def test_synthetic_graph_conforms_to_the_shapes():
    """The smallest graph: the shapes' LEI check-digit constraint costs pySHACL a query parse per identifier."""
    from kg.validate import validate_graph

    report = validate_graph(generate(20, seed=1).graph)
    assert report.conforms, report.violations[:3]


def test_cli_writes_the_graph_and_the_planted_findings(invoke, tmp_path):
    out, planted = tmp_path / "synthetic.ttl", tmp_path / "planted.json"
    result = invoke("synth", "--orgs", "100", "--seed", "5", "-o", out, "--planted", planted)
    assert result.exit_code == 0, result.output
    document = json.loads(planted.read_text(encoding="utf-8"))
    assert (document["as_of"], document["control_threshold"], document["min_stage"]) == (SYNTH_AS_OF, 50, "proposed")
    graph = load_graph([out])
    keys = {rule: {tuple(key) for key in keys} for rule, keys in document["planted"].items()}
    assert found_keys(find_conflicts(graph, as_of=SYNTH_AS_OF)) == keys
    assert len(document["other_settings"]) == len(SETTINGS) - 1
    for other in document["other_settings"]:
        setting = Setting(other["control_threshold"], other["min_stage"])
        assert found_with(graph, setting) == {rule: {tuple(key) for key in keys} for rule, keys in other["findings"].items()}
    interlocks = {tuple(key) for key in document["without_a_bundled_rule"]["interlocking-directorate"]}
    assert interlocks and interlocks == interlocks_by_the_design(graph)


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
