"""Look-through ownership, ``kg owners`` (issue 15): effective shares along chains, diamonds summed,
cycles met and cut, ranges carried as ranges, alike in rdflib and Oxigraph. Every entity is fictional.

The scene, as of 2025-06-30 (X —s→ Y: X holds s of Y):

    Ivy Park —80%→ Ridge Trust —75%→ Lark Partners —60%→ Holdco —51%→ Harbor Cloud     (a four-level chain)
    Birch Fund —40%→ Holdco;  Birch Fund —30%→ Cedar Co —20%→ Harbor Cloud             (a diamond)
    Harbor Cloud —10%→ Cedar Co                                                       (a cycle through the organization)
    Dune Ltd —50%→ Cedar Co —25%→ Dune Ltd                                            (a cycle above it)

Every company's holders add up to at most 100%.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDFS, Literal

import servers
from graph_builder import GraphBuilder
from kg.analysis.owners import owners_of, share_of
from kg.analysis.owners_report import format_owners
from kg.backends.base import Backend
from kg.backends.endpoint import EndpointBackend
from kg.backends.memory import MemoryBackend
from kg.backends.oxigraph import OxigraphBackend
from kg.errors import UsageError
from kg.io.text import plain_cell
from kg.push import push
from kg.vocab import DATA, KG

AS_OF = "2025-06-30"

loopback_only = pytest.fixture(autouse=True)(servers.loopback_only)

HOLDINGS = [
    ("ivy-park", "ridge-trust", {"exact": 80}),
    ("ridge-trust", "lark-partners", {"exact": 75}),
    ("lark-partners", "holdco", {"exact": 60}),
    ("holdco", "harbor-cloud", {"exact": 51}),
    ("birch-fund", "holdco", {"exact": 40}),
    ("birch-fund", "cedar-co", {"exact": 30}),
    ("cedar-co", "harbor-cloud", {"exact": 20}),
    ("harbor-cloud", "cedar-co", {"exact": 10}),
    ("dune-ltd", "cedar-co", {"exact": 50}),
    ("cedar-co", "dune-ltd", {"exact": 25}),
]

#: Worked by hand: products along each chain, summed over the two routes of the diamond.
EXPECTED = {
    "holdco": Decimal("51"),
    "lark-partners": Decimal("30.6"),  # 60% of 51%
    "birch-fund": Decimal("26.4"),  # 40% of 51% + 30% of 20% = 20.4 + 6
    "ridge-trust": Decimal("22.95"),  # 75% of 30.6%
    "cedar-co": Decimal("20"),
    "ivy-park": Decimal("18.36"),  # 80% of 22.95%
    "dune-ltd": Decimal("10"),  # 50% of 20%; Cedar Co's 25% of Dune Ltd loops back and is not followed
}


def fictional(builder: GraphBuilder) -> GraphBuilder:
    """Every agent's label says it is fictional."""
    graph = builder.graph
    for node, label in list(graph.subject_objects(RDFS.label)):
        if str(node).startswith(str(DATA)) and not str(label).endswith("(fictional)"):
            graph.set((node, RDFS.label, Literal(f"{label} (fictional)")))
    return builder


def scene(holdings=HOLDINGS) -> GraphBuilder:
    b = GraphBuilder()
    b.agent("ivy-park", "Person")
    for owner, asset, share in holdings:
        b.ownership(owner, asset, start="2020", share=share)
    return fictional(b)


def memory(builder: GraphBuilder) -> MemoryBackend:
    return MemoryBackend(builder.graph)


def oxigraph(builder: GraphBuilder) -> OxigraphBackend:
    store = OxigraphBackend()
    store.add_graph(builder.graph)
    return store


def by_id(report):
    return {owner.entity.id: owner for owner in report.owners}


def test_a_four_level_chain_a_diamond_and_cycles_give_the_hand_computed_shares():
    report = owners_of(memory(scene()), "harbor-cloud", as_of=AS_OF)
    owners = by_id(report)
    assert {key: owner.share.exact for key, owner in owners.items()} == EXPECTED
    assert [owner.entity.id for owner in report.owners] == list(EXPECTED)  # largest first
    assert str(owners["ivy-park"].chains[0]) == (
        "Ivy Park (fictional) → Ridge Trust (fictional) (80%) → Lark Partners (fictional) (75%) "
        "→ Holdco (fictional) (60%) → Harbor Cloud (fictional) (51%)"
    )
    assert [str(chain.share) for chain in owners["birch-fund"].chains] == ["20.4%", "6%"]
    assert not any(owner.clipped for owner in report.owners)


def test_ultimate_owners_have_no_owner_above_them_and_holdings_are_direct_or_indirect():
    owners = by_id(owners_of(memory(scene()), "harbor-cloud", as_of=AS_OF))
    assert {key for key, owner in owners.items() if owner.ultimate} == {"ivy-park", "birch-fund"}
    assert {key for key, owner in owners.items() if owner.direct} == {"holdco", "cedar-co"}
    assert {key for key, owner in owners.items() if owner.indirect} == set(EXPECTED) - {"holdco", "cedar-co"}


def test_cycles_are_reported_from_their_smallest_iri_and_not_followed_round():
    report = owners_of(memory(scene()), "harbor-cloud", as_of=AS_OF)
    assert [[agent.id for agent in cycle] for cycle in report.cycles] == [["cedar-co", "dune-ltd"], ["cedar-co", "harbor-cloud"]]
    assert "harbor-cloud" not in by_id(report)  # the organization's own holding loops back: it is no owner of itself
    for owner in report.owners:
        for chain in owner.chains:
            agents = [chain.holdings[0].owner.id] + [holding.asset.id for holding in chain.holdings]
            assert len(agents) == len(set(agents)) and agents[-1] == "harbor-cloud"


def test_a_band_is_carried_as_a_range_through_a_chain():
    b = fictional(
        _builder(
            ("fern-capital", "elm-holdings", {"minimum": 25, "maximum": 50}),
            ("elm-holdings", "gull-systems", {"exact": 50}),
            ("pine-llc", "elm-holdings", {}),  # no share given: 0-100%
            ("oak-partners", "elm-holdings", {"exclusiveMinimum": 10}),  # more than 10%
        )
    )
    owners = by_id(owners_of(memory(b), "gull-systems", as_of=AS_OF))
    assert (owners["fern-capital"].share.low, owners["fern-capital"].share.high) == (Decimal("12.5"), Decimal("25"))
    assert str(owners["fern-capital"].share) == "12.5–25%" and owners["fern-capital"].share.exact is None
    assert str(owners["pine-llc"].share) == "0–50%"
    assert str(owners["oak-partners"].share) == "5–50%"
    given = {owner: chain.holdings[0].given for owner, o in owners.items() for chain in o.chains if len(chain.holdings) == 2}
    assert given == {"fern-capital": "25–50%", "pine-llc": "share not given", "oak-partners": ">10%"}


def _builder(*holdings, cls=KG.Ownership, **claim) -> GraphBuilder:
    b = GraphBuilder()
    for owner, asset, share in holdings:
        b.claim(cls, owner, asset, start="2020", share=share, **claim)
    return b


@pytest.mark.parametrize(
    "given, low, high, words",
    [
        ({"exact": {Decimal(60)}}, 60, 60, "60%"),
        ({"minimum": {Decimal(25)}, "maximum": {Decimal(50)}}, 25, 50, "25–50%"),
        ({"minimum": {Decimal(25)}, "exclusiveMinimum": {Decimal(30)}}, 30, 100, ">30%"),
        ({"maximum": {Decimal(50)}}, 0, 50, "≤50%"),
        ({"exclusiveMaximum": {Decimal(50)}}, 0, 50, "<50%"),
        ({"exact": {Decimal(40), Decimal(60)}}, 40, 60, "40–60%"),  # two exact shares contradict: their span
        ({"exact": {Decimal(140)}}, 100, 100, "100%"),  # out of range: kept within 0-100
        ({}, 0, 100, "share not given"),
    ],
)
def test_a_claims_share_reads_as_a_range(given, low, high, words):
    share, text = share_of(given)
    assert (share.low, share.high, text) == (low, high, words)


def test_an_investment_counts_by_its_stake_and_a_control_or_a_bare_investment_does_not():
    b = _builder(("yew-bank", "gull-systems", {"exact": 5}), cls=KG.Investment)
    b.investment("zinc-vc", "gull-systems", start="2020")  # money put in, no stake said
    b.control("quill-group", "gull-systems", start="2020", share={"exact": 70})  # control, not an economic share
    owners = by_id(owners_of(memory(fictional(b)), "gull-systems", as_of=AS_OF))
    assert list(owners) == ["yew-bank"]
    assert owners["yew-bank"].share.exact == 5 and owners["yew-bank"].chains[0].holdings[0].type == "Investment"


def test_two_claims_on_one_holding_are_one_holding_read_from_the_best_supported():
    b = GraphBuilder()
    b.ownership("fern-capital", "gull-systems", start="2020", share={"exact": 60}, status="rumored", claim_id="rumor")
    b.ownership("fern-capital", "gull-systems", start="2020", share={"exact": 40}, status="confirmed", claim_id="filing")
    b.ownership("fern-capital", "gull-systems", start="2020", status="confirmed", claim_id="bare")  # gives no share
    b.ownership("pine-llc", "gull-systems", start="2020", end="2024", share={"exact": 30})  # ended before the as-of date
    b.ownership("oak-partners", "gull-systems", start="2020", share={"exact": 30}, stage="terminated")
    owners = by_id(owners_of(memory(fictional(b)), "gull-systems", as_of=AS_OF))
    assert list(owners) == ["fern-capital"]
    holding = owners["fern-capital"].chains[0].holdings[0]
    assert owners["fern-capital"].share.exact == 40
    assert holding.claim.endswith("/filing") and [c.rsplit("/", 1)[1] for c in holding.other_claims] == ["bare", "rumor"]
    at_least_confirmed = by_id(owners_of(memory(fictional(b)), "gull-systems", as_of=AS_OF, min_status="confirmed"))
    assert at_least_confirmed["fern-capital"].share.exact == 40


def test_shares_adding_up_to_more_than_100_are_clipped_and_say_so():
    b = fictional(_builder(("fern-capital", "elm-holdings", {"exact": 90}), ("fern-capital", "gull-systems", {"exact": 60}),
                           ("elm-holdings", "gull-systems", {"exact": 70})))
    owner = by_id(owners_of(memory(b), "gull-systems", as_of=AS_OF))["fern-capital"]
    assert owner.share.exact == 100 and owner.clipped  # 60 + 63: the data count more than the whole
    assert "Shown as 100%" in format_owners(owners_of(memory(b), "gull-systems", as_of=AS_OF))


def test_min_share_drops_owners_whose_share_cannot_reach_it():
    report = owners_of(memory(scene()), "harbor-cloud", as_of=AS_OF, min_share="20")
    assert {owner.entity.id for owner in report.owners} == {"holdco", "lark-partners", "birch-fund", "ridge-trust", "cedar-co"}
    b = fictional(_builder(("fern-capital", "gull-systems", {"minimum": 5, "maximum": 30}), ("pine-llc", "gull-systems", {})))
    kept = owners_of(memory(b), "gull-systems", as_of=AS_OF, min_share=25)
    assert {owner.entity.id for owner in kept.owners} == {"fern-capital", "pine-llc"}  # each could reach 25%
    with pytest.raises(UsageError) as error:
        owners_of(memory(b), "gull-systems", as_of=AS_OF, min_share="120")
    assert error.value.arguments == ["min_share"]


def test_an_unknown_organization_is_an_error_not_an_empty_answer():
    with pytest.raises(UsageError):
        owners_of(memory(scene()), "nobody-at-all", as_of=AS_OF)


def test_the_same_answer_in_rdflib_and_in_oxigraph():
    b = scene(HOLDINGS + [("fern-capital", "cedar-co", {"minimum": 5, "exclusiveMaximum": 10})])
    assert owners_of(memory(b), "harbor-cloud", as_of=AS_OF).to_dict() == owners_of(oxigraph(b), "harbor-cloud", as_of=AS_OF).to_dict()
    assert owners_of(oxigraph(b), "Harbor Cloud (fictional)", as_of=AS_OF).org.id == "harbor-cloud"


@pytest.fixture(scope="module")
def server(oxigraph_server):
    return oxigraph_server


def test_the_same_answer_on_a_server_after_push(server, tmp_path):
    b = scene(HOLDINGS + [("fern-capital", "cedar-co", {"minimum": 5, "maximum": 10})])
    data = tmp_path / "scene.ttl"
    b.graph.serialize(data, format="turtle")
    push([data], server, graph="urn:test:owners", as_of=AS_OF)
    on_server = owners_of(EndpointBackend(server, graph="urn:test:owners"), "Harbor Cloud (fictional)", as_of=AS_OF)
    assert on_server.to_dict() == owners_of(memory(b), "harbor-cloud", as_of=AS_OF).to_dict()


def test_every_backend_reads_the_same_shares():
    b = _builder(("fern-capital", "elm-holdings", {"minimum": 25, "maximum": 50, "exclusiveMinimum": 20}))
    b.investment("yew-bank", "elm-holdings", share={"exact": 5, "exclusiveMaximum": 9})
    b.graph.add((b.graph.value(None, KG.investor, DATA["yew-bank"]), KG.stake, Literal(Decimal("5.5"))))
    claims = set(b.graph.subjects(KG.attestation, None))
    mem, ox = memory(b), oxigraph(b)
    answers = [sorted(tuple(map(str, row)) for row in rows) for rows in (
        mem.claim_shares(claims), ox.claim_shares(claims), Backend.claim_shares(mem, claims), Backend.claim_shares(ox, claims),
    )]
    assert len(answers[0]) == 6 and all(answer == answers[0] for answer in answers)


def test_too_many_chains_is_an_error_rather_than_part_of_the_answer():
    names = [f"firm-{i}" for i in range(8)]
    b = fictional(_builder(*[(a, c, {"exact": 10}) for a in names for c in names if a != c]))
    with pytest.raises(UsageError) as error:
        owners_of(memory(b), "firm-0", as_of=AS_OF, max_chains=500)
    assert error.value.arguments == ["max_chains"] and "500" in str(error.value)


# Random ownership graphs, cycles and all: the walk ends, and no share passes 100% or turns inside out.
SHARES = st.one_of(
    st.builds(lambda x: {"exact": x}, st.decimals(0, 100, places=1)),
    st.builds(lambda a, b: {"minimum": min(a, b), "maximum": max(a, b)}, st.decimals(0, 100, places=1), st.decimals(0, 100, places=1)),
    st.builds(lambda x: {"exclusiveMinimum": x}, st.decimals(0, 100, places=1)),
    st.builds(lambda x: {"maximum": x}, st.decimals(0, 100, places=1)),
    st.just({}),
)
GRAPHS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), SHARES), min_size=1, max_size=18)


def _random_scene(edges) -> GraphBuilder:
    b = GraphBuilder()
    b.agent("n0")
    for owner, asset, share in edges:
        b.ownership(f"n{owner}", f"n{asset}", start="2020", share=share)
    return b


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GRAPHS)
def test_on_random_cyclic_graphs_the_walk_ends_and_every_share_is_a_range_within_100(edges):
    report = owners_of(memory(_random_scene(edges)), "n0", as_of=AS_OF)
    for owner in report.owners:
        assert 0 <= owner.share.low <= owner.share.high <= 100
        for chain in owner.chains:
            assert 0 <= chain.share.low <= chain.share.high <= 100
            agents = [chain.holdings[0].owner.id] + [holding.asset.id for holding in chain.holdings]
            assert len(set(agents)) == len(agents) and agents[-1] == "n0"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 100)), min_size=1, max_size=18))
def test_where_each_companys_holders_add_up_to_at_most_100_no_sum_needs_clipping(edges):
    """Cycles never inflate a share: the sum over chains stays within 100% unclipped."""
    weights: dict[int, list] = {}
    for owner, asset, weight in edges:
        weights.setdefault(asset, []).append((owner, weight))
    holdings = []
    for asset, found in weights.items():  # scale each company's holders to add up to 100%
        total = sum(weight for _, weight in found)
        holdings += [(owner, asset, {"exact": (Decimal(weight) * 100 / total).quantize(Decimal("0.01"), rounding="ROUND_DOWN")})
                     for owner, weight in found]
    report = owners_of(memory(_random_scene(holdings)), "n0", as_of=AS_OF)
    assert not any(owner.clipped for owner in report.owners)


# Through the command line.


@pytest.fixture
def scene_file(tmp_path):
    b = scene()
    b.ownership("mallory-corp", "cedar-co", start="2020", share={"exact": 5})  # a hostile name, for the outputs to neutralise
    b.graph.set((DATA["mallory-corp"], RDFS.label, Literal("=HYPERLINK(\"x\")\x1b[31m <b>#</b> (fictional)")))
    path = tmp_path / "owners.ttl"
    b.graph.serialize(path, format="turtle")
    return path


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_kg_owners_prints_the_owners_shares_chains_and_cycles(invoke, scene_file, store):
    result = invoke("owners", "harbor-cloud", "--data", scene_file, "--as-of", AS_OF, "--store", store)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("8 owner(s) of Harbor Cloud (fictional) as of 2025-06-30, evidence at least rumored")
    assert "Ivy Park (fictional) → Ridge Trust (fictional) (80%) → Lark Partners (fictional) (75%) → Holdco (fictional) (60%)" in out
    assert "18.36%" in out and "26.4%" in out
    assert "Cycle of holdings met, not followed round: Cedar Co (fictional) → Harbor Cloud (fictional) → Cedar Co (fictional)" in out
    assert "\x1b" not in out and "\\x1b[31m" in out


def test_kg_owners_json_and_csv_and_md_parse(invoke, scene_file):
    common = ("owners", "harbor-cloud", "--data", scene_file, "--as-of", AS_OF)
    document = json.loads(invoke(*common, "--format", "json").stdout)
    assert (document["org"]["id"], document["as_of"], document["min_status"], document["min_stage"]) == (
        "harbor-cloud", AS_OF, "rumored", "proposed"
    )
    owners = {owner["id"]: owner for owner in document["owners"]}
    assert owners["ivy-park"]["share"] == {"low": 18.36, "high": 18.36, "exact": 18.36} and owners["ivy-park"]["ultimate"]
    holding = owners["ivy-park"]["chains"][0]["holdings"][0]
    assert holding["claim"].startswith(str(DATA)) and holding["sources"] and holding["share"]["given"] == "80%"
    assert [[agent["id"] for agent in cycle] for cycle in document["cycles"]] == [["cedar-co", "dune-ltd"], ["cedar-co", "harbor-cloud"]]

    rows = list(csv.DictReader(io.StringIO(invoke(*common, "--format", "csv").stdout)))
    assert {row["owner_id"]: row["share_low"] for row in rows}["ivy-park"] == "18.36"
    hostile = next(row for row in rows if "HYPERLINK" in row["owner"])
    assert hostile["owner"].startswith("'=") and plain_cell(hostile["owner"]).startswith("=HYPERLINK")

    md = invoke(*common, "--format", "md").stdout
    assert md.startswith("# Owners of Harbor Cloud \\(fictional\\)") and "<b>" not in md and "| Holdco \\(fictional\\) | 51% |" in md


def test_kg_owners_min_share_and_an_unknown_org(invoke, runner, scene_file):
    result = invoke("owners", "harbor-cloud", "--data", scene_file, "--as-of", AS_OF, "--min-share", "25", "--format", "json")
    assert [owner["id"] for owner in json.loads(result.stdout)["owners"]] == ["holdco", "lark-partners", "birch-fund"]
    from kg.cli import cli

    for args, words in [
        (["owners", "nobody-at-all"], "unknown id 'nobody-at-all'"),
        (["owners", "harbor-cloud", "--min-share", "lots"], "invalid --min-share 'lots'"),
        (["owners", "harbor-cloud", "--max-chains", "3"], "raise --max-chains"),
    ]:
        failed = runner.invoke(cli, [*args, "--data", str(scene_file), "--as-of", AS_OF])
        assert failed.exit_code == 2 and failed.stdout == ""
        assert failed.stderr.count("Error:") == 1 and words in failed.stderr, failed.stderr


# --- an indirect interest stated beside its chain (BODS's component records) ---------------------


@pytest.mark.parametrize("backend", [memory, oxigraph], ids=["memory", "oxigraph"])
def test_an_indirect_interest_summing_up_a_chain_of_holdings_is_not_counted_twice(backend):
    from kg.vocab import KG

    b = GraphBuilder()
    b.agent("ivy-park", "Person")
    via = b.ownership("ivy-park", "holdco", start="2020", share={"exact": 50})
    held = b.ownership("holdco", "harbor-cloud", start="2020", share={"exact": 60})
    summary = b.ownership("ivy-park", "harbor-cloud", start="2020", share={"exact": 30})  # 50% of 60%, as a register states it
    b.graph.add((summary, KG.direct, Literal(False)))
    for part in (via, held):
        b.graph.add((part, KG.componentOf, summary))
    owners = by_id(owners_of(backend(fictional(b)), "harbor-cloud", as_of=AS_OF))
    assert {key: owner.share.exact for key, owner in owners.items()} == {"holdco": Decimal(60), "ivy-park": Decimal(30)}  # not 60
    assert [str(chain) for chain in owners["ivy-park"].chains] == [
        "Ivy Park (fictional) → Holdco (fictional) (50%) → Harbor Cloud (fictional) (60%)"
    ]


def test_an_indirect_interest_whose_chain_holds_no_share_is_the_only_figure_and_is_kept():
    from kg.vocab import KG

    b = GraphBuilder()
    b.agent("ivy-park", "Person")
    via = b.control("ivy-park", "holdco", start="2020")  # control, with no share: the walk cannot follow it
    held = b.ownership("holdco", "harbor-cloud", start="2020", share={"exact": 60})
    summary = b.ownership("ivy-park", "harbor-cloud", start="2020", share={"exact": 30})
    b.graph.add((summary, KG.direct, Literal(False)))
    for part in (via, held):
        b.graph.add((part, KG.componentOf, summary))
    owners = by_id(owners_of(memory(fictional(b)), "harbor-cloud", as_of=AS_OF))
    assert {key: owner.share.exact for key, owner in owners.items()} == {"holdco": Decimal(60), "ivy-park": Decimal(30)}
