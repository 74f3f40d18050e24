"""kg.analysis.network and ``kg analyze``: hand-computed metrics on a fictional market, GraphML/GEXF round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from kg.conflicts.engine import find_conflicts
from kg.conflicts.model import EntityRef, Evidence, Finding
from kg.errors import UsageError
from kg.io.load import load_graph
from kg.vocab import DATA
from kg.analysis.network import agent_graph, analyze, conflict_brokers, control_money_path, herfindahl, key_controllers, supply_concentration
from kg.export import export_network

MARKET = Path(__file__).parent / "fixtures" / "network" / "dated-market.ttl"


def iri(agent_id: str) -> str:
    return str(DATA[agent_id])


@pytest.fixture(scope="module")
def market():
    """A fictional dated market (see the fixture's comments): data only, no ontology."""
    return load_graph([MARKET], include_ontology=False)


def by_lab(results):
    return {r.lab.id: r for r in results}


# --- HHI and supply concentration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "weights, expected",
    [([60, 40], 5200), ([1], 10000), ([1, 1], 5000), ([1, 1, 1, 1], 2500), ([2, 1], 5555.5556), ([50, 30, 20], 3800)],
)
def test_hhi_of_known_mixes(weights, expected):
    assert herfindahl(weights) == pytest.approx(expected)


def test_hhi_refuses_an_empty_mix():
    with pytest.raises(UsageError):
        herfindahl([])


def test_capacity_60_40_gives_hhi_5200_by_capacity(market):
    lumen = by_lab(supply_concentration(agent_graph(market, as_of="2025-06")))["lumen-ai"]
    assert lumen.suppliers == 2
    assert lumen.basis == "capacity"
    assert lumen.hhi == pytest.approx(5200)
    assert [(s.supplier.id, round(s.share), s.capacity_mw) for s in lumen.shares] == [
        ("cirrus-cloud", 60, 60.0),
        ("stratus-compute", 40, 40.0),
    ]


def test_a_contract_without_capacity_or_value_weighs_each_supplier_the_same(market):
    # Quill Labs in mid-2025: two Orbit contracts (one gives no capacity) and one Cirrus one.
    # Two contracts with Orbit are one supplier relationship: 50/50, not 67/33 by contract count.
    quill = by_lab(supply_concentration(agent_graph(market, as_of="2025-06")))["quill-labs"]
    assert quill.basis == "suppliers"
    assert [(s.supplier.id, s.contracts, round(s.share)) for s in quill.shares] == [("cirrus-cloud", 1, 50), ("orbit-launch", 2, 50)]
    assert quill.hhi == pytest.approx(5000)


def _lab_with(contracts):
    """One fictional lab buying from the suppliers of ``contracts``: (supplier, capacity, value, currency)."""
    from graph_builder import GraphBuilder
    from rdflib import XSD, Literal

    from kg.vocab import KG

    b = GraphBuilder()
    b.agent("lab", "AILab")
    for supplier, capacity, value, currency in contracts:
        b.agent(supplier, "CloudProvider")
        claim = b.contract("lab", supplier, start="2024")
        if capacity is not None:
            b.graph.add((claim, KG.capacityMW, Literal(capacity, datatype=XSD.decimal)))
        if value is not None:
            b.graph.add((claim, KG.contractValue, Literal(value, datatype=XSD.decimal)))
        if currency is not None:
            b.graph.add((claim, KG.currency, Literal(currency)))
    return by_lab(supply_concentration(agent_graph(b.graph, as_of="2025-06")))["lab"]


def test_without_capacity_the_supply_is_weighed_by_contract_value_in_one_currency():
    # The case: 3 contracts with one supplier ($22.4B in all) and 2 with another ($250B).
    lab = _lab_with([("coreweave", None, "11.9e9", "USD"), ("coreweave", None, "4e9", "USD"), ("coreweave", None, "6.5e9", "USD"),
                     ("microsoft", None, "200e9", "USD"), ("microsoft", None, "50e9", "USD")])
    assert (lab.basis, lab.currency, lab.suppliers) == ("value", "USD", 2)
    assert [(s.supplier.id, s.contracts, round(s.share, 1), s.value) for s in lab.shares] == [
        ("microsoft", 2, 91.8, 250e9),
        ("coreweave", 3, 8.2, 22.4e9),
    ]


def test_values_in_two_currencies_or_a_missing_value_fall_back_to_equal_suppliers():
    assert _lab_with([("a", None, "100", "USD"), ("b", None, "100", "EUR")]).basis == "suppliers"
    assert _lab_with([("a", None, "100", "USD"), ("b", None, None, None)]).basis == "suppliers"
    assert _lab_with([("a", "10", "100", "USD"), ("b", "30", None, None)]).basis == "capacity"


def test_supply_follows_as_of_and_min_status(market):
    # The Cirrus contract of 2024 is only rumored; the old one ended in 2022; Stratus starts in 2022.
    assert by_lab(supply_concentration(agent_graph(market, as_of="2025-06", min_status="reported")))["quill-labs"].hhi == 10000
    early = by_lab(supply_concentration(agent_graph(market, as_of="2021-06")))
    assert [s.supplier.id for s in early["quill-labs"].shares] == ["cirrus-cloud"]
    assert early["lumen-ai"].suppliers == 1 and early["lumen-ai"].hhi == 10000


def test_a_lab_whose_only_contract_is_denied_has_no_supplier(market):
    nova = by_lab(supply_concentration(agent_graph(market, as_of="2025-06")))["nova-mind"]
    assert (nova.suppliers, nova.hhi, nova.basis, nova.shares) == (0, None, "none", ())


@pytest.mark.parametrize("as_of, min_status", [("2021-06", "rumored"), ("2025-06", "rumored"), ("2025-06", "reported"), ("2023", "confirmed")])
def test_active_means_what_the_rules_mean(market, as_of, min_status):
    """Labs with exactly one active supplier are exactly the single-supplier-dependency findings."""
    single = {r.lab.id for r in supply_concentration(agent_graph(market, as_of=as_of, min_status=min_status)) if r.suppliers == 1}
    findings = find_conflicts(market, as_of=as_of, min_status=min_status, rules=["single-supplier-dependency"])
    assert single == {f.entities["customer"].id for f in findings}


# --- controllers, paths, brokers --------------------------------------------------------------------


def test_controllers_of_a_known_tree(market):
    # ada-quartz -> orbit-parent -> orbit-launch (a supplier), ada-quartz -> nova-mind; helix -> stratus.
    reach = key_controllers(agent_graph(market, as_of="2025-06"))
    assert [(r.controller.id, [a.id for a in r.suppliers], r.controlled) for r in reach] == [
        ("ada-quartz", ["orbit-launch"], 3),
        ("helix-holdings", ["stratus-compute"], 1),
        ("orbit-parent", ["orbit-launch"], 1),
    ]


def test_a_controller_that_sells_compute_is_said_so_and_does_not_reach_itself():
    from graph_builder import GraphBuilder

    b = GraphBuilder()
    b.agent("lab", "AILab")
    b.agent("rocket", "LaunchProvider")
    b.agent("sats", "SatelliteOperator")
    b.agent("owner", "Person")
    b.contract("lab", "rocket")
    b.control("owner", "rocket")
    b.control("rocket", "sats")
    reach = {r.controller.id: r for r in key_controllers(agent_graph(b.graph, as_of="2025-06"))}
    assert ([a.id for a in reach["rocket"].suppliers], reach["rocket"].is_supplier, reach["rocket"].controlled) == ([], True, 1)
    assert ([a.id for a in reach["owner"].suppliers], reach["owner"].is_supplier) == (["rocket"], False)


def test_control_links_not_yet_in_force_do_not_reach(market):
    reach = {r.controller.id: r for r in key_controllers(agent_graph(market, as_of="2019-06"))}
    assert set(reach) == {"ada-quartz", "helix-holdings"}  # orbit-parent's link starts in 2020
    assert reach["ada-quartz"].controlled == 1 and reach["ada-quartz"].suppliers == ()


def test_shortest_path_of_a_known_chain(market):
    network = agent_graph(market, as_of="2025-06")
    steps = control_money_path(network, iri("nova-mind"), iri("orbit-launch"))
    assert [(s.subject.id, s.type, s.object.id) for s in steps] == [
        ("ada-quartz", "Control", "nova-mind"),  # walked against its direction
        ("ada-quartz", "Control", "orbit-parent"),
        ("orbit-parent", "Control", "orbit-launch"),
    ]


def test_paths_use_investments_and_stop_where_nothing_joins(market):
    network = agent_graph(market, as_of="2025-06")
    steps = control_money_path(network, iri("lumen-ai"), iri("stratus-compute"))
    assert [(s.subject.id, s.type, s.object.id) for s in steps] == [
        ("helix-holdings", "Investment", "lumen-ai"),
        ("helix-holdings", "Control", "stratus-compute"),
    ]
    assert control_money_path(network, iri("lumen-ai"), iri("orbit-launch")) is None
    assert control_money_path(network, iri("lumen-ai"), iri("lumen-ai")) == []
    # Compute contracts and rivalries are not control or money links.
    assert control_money_path(network, iri("quill-labs"), iri("orbit-launch")) is None


def _finding(*links: tuple[str, str]) -> Finding:
    def ref(name):
        return EntityRef(name, iri(name), name.title())

    evidence = tuple(Evidence(f"urn:c:{a}-{b}", "Control", ref(a), ref(b), None, None, "reported", ()) for a, b in links)
    return Finding("test", "test", "low", "reported", {}, "test", evidence)


def test_brokers_by_betweenness_on_evidence_edges(market):
    # Evidence a-b, b-c in one finding and c-d in another: a path a-b-c-d.
    findings = [_finding(("a", "b"), ("b", "c")), _finding(("c", "d"))]
    brokers = conflict_brokers(agent_graph(market), findings)
    assert [(b.agent.id, b.betweenness, b.findings) for b in brokers] == [
        ("c", 2.0, 2),  # pairs a-d and b-d pass through c; named in both findings
        ("b", 2.0, 1),
        ("a", 0.0, 1),
        ("d", 0.0, 1),
    ]


def test_bundled_brokers_put_anthropic_first(bundled_graph):
    report = analyze(bundled_graph, as_of="2026-01-01")
    assert report.brokers[0].agent.id == "anthropic"
    assert {"elon-musk", "spacex"} <= {b.agent.id for b in report.brokers}


def test_projection_keeps_claim_type_dates_status_and_iri(market):
    network = agent_graph(market, as_of="2022-06")
    data = network.get_edge_data(iri("quill-labs"), iri("cirrus-cloud"))
    old = data[str(DATA["claim/quill-cirrus-old"])]
    assert (old["type"], old["start"], old["end"], old["status"], old["active"]) == ("ComputeContract", "2020", "2022-12", "reported", True)
    assert data[str(DATA["claim/quill-cirrus"])]["active"] is False  # starts in 2024
    denied = network.get_edge_data(iri("nova-mind"), iri("cirrus-cloud"))
    assert [d["status"] for d in denied.values()] == ["denied"]
    assert len(agent_graph(market, as_of="2022-06", active_only=True).edges) < len(network.edges)


# --- kg analyze ---------------------------------------------------------------------------------------


def test_analyze_json_has_every_section(invoke):
    result = invoke("analyze", "--data", MARKET, "--as-of", "2025-06", "--path", "nova-mind", "orbit-launch", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["as_of"] == "2025-06-30" and document["min_status"] == "rumored"
    lumen = next(s for s in document["supply"] if s["lab"]["id"] == "lumen-ai")
    assert lumen["hhi"] == pytest.approx(5200)
    assert document["controllers"][0]["controller"]["id"] == "ada-quartz"
    assert [step["object"]["id"] for step in document["path"]] == ["nova-mind", "orbit-parent", "orbit-launch"]


def test_analyze_table_reads_well(invoke):
    result = invoke("analyze", "--data", MARKET, "--as-of", "2025-06", "--min-status", "reported")
    assert result.exit_code == 0
    assert "Supply concentration" in result.stdout and "5,200" in result.stdout and "Lumen Ai" in result.stdout
    assert "Key controllers" in result.stdout and "Conflict brokers" in result.stdout


@pytest.mark.parametrize("args", [["--as-of", "someday"], ["--min-status", "denied"], ["--path", "nobody", "lumen-ai"]])
def test_analyze_bad_input_is_one_error_line(invoke, args):
    result = invoke("analyze", "--data", MARKET, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


# --- GraphML / GEXF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["graphml", "gexf"])
def test_network_exports_keep_every_node_edge_type_and_date(market, tmp_path, invoke, export_format):
    path = tmp_path / f"market.{export_format}"
    result = invoke("export", "--data", MARKET, "--format", export_format, "-o", path)
    assert result.exit_code == 0, result.output
    expected = agent_graph(market)
    read = nx.read_graphml(path, force_multigraph=True) if export_format == "graphml" else nx.read_gexf(path)
    assert read.is_directed() and read.is_multigraph()
    nodes = dict(read.nodes(data=True))
    assert set(nodes) == set(expected.nodes)
    for node, data in expected.nodes(data=True):
        assert (nodes[node]["kg_id"], nodes[node]["label"], nodes[node]["types"]) == (data["id"], data["label"], data["types"])
    got = {key: (u, v, d) for u, v, key, d in read.edges(keys=True, data=True)}
    assert len(got) == expected.number_of_edges()
    for u, v, key, data in expected.edges(keys=True, data=True):
        ru, rv, rd = got[key]
        assert (ru, rv) == (u, v)
        assert rd["claim_type"] == data["type"] and rd["claim"] == key and rd["status"] == data["status"]
        assert rd["start_date"] == (data["start"] or "") and rd["end_date"] == (data["end"] or "")
    assert got[str(DATA["claim/quill-cirrus-old"])][2]["end_date"] == "2022-12"


def test_network_export_format_from_extension_and_hostile_labels(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from graph_builder import GraphBuilder
    from rdflib import RDFS, Literal

    builder = GraphBuilder()
    builder.contract("x", "y", start="2024-02-29")
    hostile = 'Ünïcode "quotes" <script>alert(1)</script> & ]]>'
    builder.graph.set((DATA["x"], RDFS.label, Literal(hostile)))
    path = tmp_path / "hostile.gexf"
    from kg.export import export_graph

    assert export_graph(builder.graph, path) == "gexf"
    read = nx.read_gexf(path)
    assert read.nodes[iri("x")]["label"] == hostile
    export_network(builder.graph, tmp_path / "hostile.graphml", "graphml")
    read = nx.read_graphml(tmp_path / "hostile.graphml", force_multigraph=True)
    assert read.nodes[iri("x")]["label"] == hostile
    assert [d["start_date"] for *_, d in read.edges(data=True)] == ["2024-02-29"]


def test_a_failed_network_export_leaves_the_old_file(tmp_path, market, monkeypatch):
    path = tmp_path / "keep.graphml"
    path.write_text("old", encoding="utf-8")
    import networkx

    def broken(*args, **kwargs):
        yield "<partial"
        raise RuntimeError("disk full")

    monkeypatch.setattr(networkx, "generate_graphml", broken)
    with pytest.raises(RuntimeError):
        export_network(market, path, "graphml")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.graphml"]
