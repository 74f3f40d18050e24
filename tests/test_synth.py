"""``kg synth``: deterministic fictional graphs whose planted conflicts are exactly the findings."""

from __future__ import annotations

import json

import pytest
from rdflib import RDF, RDFS
from rdflib.compare import isomorphic

from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.pack import load_rules
from kg.dates import parse_as_of
from kg.derive import claim_states
from kg.entities import short_id
from kg.io.load import load_graph
from kg.identifiers import LEI, lei_check_digits_ok
from kg.synth import (
    AGREED_ONLY, DEFAULT_SETTING, FORMS, LOWER_THRESHOLD, PLANTERS, SETTINGS, SYNTH_AS_OF, Setting, generate, planted_rules,
)
from kg.vocab import KG

#: The rules of DESIGN section 4, all planted: six from before issue 16 and five it adds.
ELEVEN_RULES = {
    "competitor-controlled-supplier", "investor-supplier-overlap", "investor-controls-rival", "founder-defection",
    "single-supplier-dependency", "investor-in-rivals", "customer-stake-in-supplier", "circular-financing",
    "related-party-deal", "investor-supplies-rival", "interlocking-directorate",
}


def key_of(rule: str, entities: dict[str, str]) -> tuple[str, ...]:
    """A finding's key: its key roles' entity ids (circular-financing's role d only for a cycle of four)."""
    return tuple(entities[role] for role in PLANTERS[rule].key if role in entities)


def found_entities(findings) -> dict[str, dict[tuple[str, ...], dict[str, str]]]:
    """rule -> key -> role -> entity id, for every rule planted (none found: empty)."""
    found = {rule: {} for rule in planted_rules()}
    for finding in findings:
        entities = {role: entity.id for role, entity in finding.entities.items()}
        found.setdefault(finding.rule, {})[key_of(finding.rule, entities)] = entities
    return found


def found_keys(findings):
    return {rule: set(keys) for rule, keys in found_entities(findings).items()}


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
    assert set(PLANTERS) == ELEVEN_RULES
    assert sorted(PLANTERS) == sorted(rule.id for rule in load_rules())


def test_each_planter_keys_findings_as_its_rule_does():
    for rule in load_rules():
        if rule.id in PLANTERS:
            assert PLANTERS[rule.id].key == tuple(rule.key), rule.id


def test_findings_are_exactly_the_planted_conflicts(synthetic, found_in_memory):
    assert set(synthetic.planted) == ELEVEN_RULES
    assert all(len(keys) >= 4 for keys in synthetic.planted.values())
    assert found_in_memory[DEFAULT_SETTING] == synthetic.planted


def test_the_rules_report_the_entities_planted(synthetic):
    """Where several agents or paths give one key, DESIGN section 4's tie-breaks pick the one reported
    (fewest links, then IRIs; a cycle from its smallest group, its smallest edges): the planted ones."""
    found = found_entities(find_conflicts(synthetic.graph, as_of=SYNTH_AS_OF))
    assert found == {rule: {key: synthetic.reported[rule][key] for key in keys} for rule, keys in synthetic.planted.items()}


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
    assert {form for _, form, _, _ in synthetic.plants} == set(FORMS)
    for rule, form, _, key in synthetic.plants:
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


def test_near_misses_make_no_finding_under_any_setting(synthetic, found_in_memory):
    """Each rule's near misses (a feud for a rivalry, a tie to the rival that came first, an ended post, a
    cycle of two or of five groups or inside one, ...) all appear and none is found."""
    planted = {(rule, variant) for rule, variant, _ in synthetic.near_misses}
    assert planted == {(rule, variant) for rule, planter in PLANTERS.items() for variant in planter.near}
    for rule, variant, key in synthetic.near_misses:
        assert all(key not in found_in_memory[setting][rule] for setting in SETTINGS), (rule, variant, key)


def _payments(graph) -> set[tuple[str, str]]:
    states = claim_states(graph, as_of=parse_as_of(SYNTH_AS_OF), min_status="rumored")
    money = (KG.Investment, KG.Ownership, KG.ComputeContract)
    return {(short_id(state.subject), short_id(state.object)) for state in states if state.holds and state.cls in money}


def test_money_goes_round_three_and_four_groups_directly_and_through_a_control_link(synthetic):
    """Circular financing is planted round 3 and 4 control groups; some cycles have each payee pay the next
    group itself, others meet inside a group through a control link (the payee is not the next payer)."""
    cycles = [synthetic.reported["circular-financing"][key] for key in synthetic.planted["circular-financing"]]
    assert {len(cycle) for cycle in cycles} == {3, 4}
    pays = _payments(synthetic.graph)
    direct = [all((cycle[a], cycle[b]) in pays for a, b in zip(cycle, list(cycle)[1:] + list(cycle)[:1])) for cycle in cycles]
    assert any(direct) and not all(direct)


def test_people_in_the_background_hold_jobs_officers_posts_and_board_seats(synthetic):
    graph = synthetic.graph
    kinds = {graph.value(claim, KG.affiliationKind) for claim in graph.subjects(RDF.type, KG.Affiliation)}
    assert {KG.BoardSeat, KG.Officer, KG.Employee} <= kinds
    background_seats = [
        claim for claim in graph.subjects(KG.affiliationKind, KG.BoardSeat) if short_id(graph.value(claim, KG.affiliate)).startswith("person-")
    ]
    assert background_seats


def test_every_variant_of_every_planter_is_planted(synthetic):
    """Interlocks of two seats, a seat and an officer, two officers, at sister labs; defections to a founding,
    a board seat, an officer's role; cycles of three and of four groups."""
    firing = {(rule, variant) for rule, form, variant, _ in synthetic.plants if form in PLANTERS[rule].forms[0]}
    assert firing == {
        (rule, variant) for rule, planter in PLANTERS.items() for variant in planter.variants
    }


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


def _document_findings(keys, entities) -> dict[str, dict[tuple[str, ...], dict[str, str]]]:
    """planted.json's keys and entities of one setting: rule -> key -> role -> entity id."""
    assert set(keys) == set(entities) == ELEVEN_RULES
    return {rule: {tuple(key): found for key, found in zip(keys[rule], entities[rule], strict=True)} for rule in keys}


def _document_settings(document) -> dict[Setting, dict]:
    settings = {Setting(document["control_threshold"], document["min_stage"]): _document_findings(document["planted"], document["entities"])}
    for other in document["other_settings"]:
        settings[Setting(other["control_threshold"], other["min_stage"])] = _document_findings(other["findings"], other["entities"])
    assert set(settings) == set(SETTINGS)
    return settings


def test_cli_writes_the_graph_and_the_planted_findings(invoke, tmp_path):
    out, planted = tmp_path / "synthetic.ttl", tmp_path / "planted.json"
    result = invoke("synth", "--orgs", "100", "--seed", "5", "-o", out, "--planted", planted)
    assert result.exit_code == 0, result.output
    document = json.loads(planted.read_text(encoding="utf-8"))
    assert (document["as_of"], document["control_threshold"], document["min_stage"]) == (SYNTH_AS_OF, 50, "proposed")
    graph = load_graph([out])
    for setting, expected in _document_settings(document).items():
        findings = find_conflicts(graph, as_of=SYNTH_AS_OF, control_threshold=setting.control_threshold, min_stage=setting.min_stage)
        assert found_entities(findings) == expected, setting


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_planted_json_is_what_kg_conflicts_reports_for_all_eleven_rules(invoke, tmp_path, store):
    """`kg conflicts --format json`, on rdflib and on Oxigraph, under each setting planted.json states:
    exactly its findings, no more and no fewer, with the entities it says each rule reports."""
    out, planted = tmp_path / "synthetic.nt", tmp_path / "planted.json"
    assert invoke("synth", "--orgs", "220", "--seed", "16", "-o", out, "--planted", planted).exit_code == 0
    settings = _document_settings(json.loads(planted.read_text(encoding="utf-8")))
    assert all(keys for keys in settings[DEFAULT_SETTING].values())
    for setting, expected in settings.items():
        result = invoke(
            "conflicts", "--data", out, "--store", store, "--as-of", SYNTH_AS_OF, "--format", "json",
            "--control-threshold", setting.control_threshold, "--min-stage", setting.min_stage,
        )
        assert result.exit_code == 0, result.output
        found = {rule: {} for rule in ELEVEN_RULES}
        for finding in json.loads(result.stdout)["findings"]:
            entities = {role: entity["id"] for role, entity in finding["entities"].items()}
            found.setdefault(finding["rule"], {})[key_of(finding["rule"], entities)] = entities
        assert found == expected, setting


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
