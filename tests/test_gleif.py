"""GLEIF golden-copy XML (issue 17, item 3): LEI records and accounting-consolidation parents as kg's
organizations and control claims, read streamed by a parser that expands no entity and reaches no network.

The two samples in ``fixtures/ownership/gleif`` are real GLEIF records (CC0; see the README there): the
expectations below are read off them by hand. Every other record in this file is fictional, with
invented LEIs (valid ISO 17442 check digits, the made-up prefix 9999, no real entity).
"""

from __future__ import annotations

import json
import warnings
from datetime import date

import pytest
from test_hostile import Listener  # a loopback server that counts the connections it gets
from conftest import FIXTURES
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.derive import ControlGraph, claim_states
from kg.errors import InputError, KgWarning
from kg.identifiers import lei_check_digits_ok
from kg.identity import Identity
from kg.io.load import load_graph
from kg.io.ownership import reader_for
from kg.io.walk import DataFile, walk
from kg.vocab import CLAIM, DATA, KG, SOURCE

GLEIF = FIXTURES / "ownership" / "gleif"
LEI_FILE = GLEIF / "lei-cdf-golden-copy-xml-sample.xml"
RR_FILE = GLEIF / "rr-golden-copy-xml-sample.xml"
CC0 = URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")

# The LEIs of the samples.
FUND, HUTCHIN = "001GPB6A9XPE8XJICC14", "004L5FPTUREIWK9T2N63"  # the two LEI records
CHILD, DIRECT, ULTIMATE = "010CMKZ3VON21WF2ZD45", "ZZG38T0MDR3QY1ETUA76", "3C7474T6CDKPR9K6YT90"  # the consolidations


def fictional_lei(stem: str) -> str:
    """An invented LEI: the prefix 9999, 14 more characters, and its ISO 17442 check digits."""
    base = ("9999" + stem.upper()).ljust(18, "0")[:18]
    number = int("".join(str(int(c, 36)) for c in base + "00"))
    return f"{base}{98 - number % 97:02d}"


LAB, HOLDCO, TOPCO = fictional_lei("KITEAILAB"), fictional_lei("HOLDCO"), fictional_lei("TOPCO")


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        return load_graph([path], include_ontology=False)


def one(graph, subject, predicate):
    values = set(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values.pop()


def day(text: str) -> Literal:
    return Literal(text, datatype=XSD_DATE)


# --- the samples ----------------------------------------------------------------------------------


def test_the_samples_are_found_by_content_and_never_read_as_rdf_xml():
    for path in (LEI_FILE, RR_FILE):
        assert reader_for(path).name == "gleif"
        assert walk([path]) == [DataFile(path, "gleif")]  # a .xml file kg used to read as RDF/XML


def test_lei_records_are_organizations_with_their_lei_name_jurisdiction_and_statuses():
    graph = read(LEI_FILE)
    fund, hutchin = DATA[f"lei-{FUND}"], DATA[f"lei-{HUTCHIN}"]
    assert set(graph.subjects(RDF.type, KG.Organization)) == {fund, hutchin}
    assert one(graph, fund, RDFS.label) == Literal("Fidelity Advisor Leveraged Company Stock Fund")
    assert one(graph, hutchin, RDFS.label) == Literal("Hutchin Hill Capital, LP")
    for agent, lei in ((fund, FUND), (hutchin, HUTCHIN)):
        identifier = one(graph, agent, KG.identifier)
        assert one(graph, identifier, RDF.type) == KG.Identifier
        assert one(graph, identifier, KG.identifierScheme) == Literal("XI-LEI")
        assert one(graph, identifier, KG.identifierValue) == Literal(lei)
        assert one(graph, agent, KG.country) == Literal("US")  # LegalJurisdiction US-MA, US-DE
    assert one(graph, fund, KG.foundingDate) == day("2012-11-29")  # EntityCreationDate
    assert (hutchin, KG.foundingDate, None) not in graph  # the record gives none
    assert str(one(graph, fund, DCTERMS.description)) == (
        "In GLEIF's LEI data: entity status ACTIVE; LEI registration status ISSUED; legal jurisdiction US-MA; "
        "entity category FUND; legal form 8888."
    )
    assert "entity status ACTIVE; LEI registration status LAPSED; legal jurisdiction US-DE" in str(one(graph, hutchin, DCTERMS.description))
    assert not set(graph.subjects(RDF.type, KG.Control))


def test_each_lei_record_has_its_own_source_with_record_id_dates_publisher_and_cc0():
    graph = read(LEI_FILE)
    source = SOURCE[f"gleif-lei-{HUTCHIN}"]
    assert one(graph, DATA[f"lei-{HUTCHIN}"], DCTERMS.source) == source
    assert one(graph, source, RDF.type) == KG.Source
    assert one(graph, source, KG.recordId) == Literal(HUTCHIN)
    assert one(graph, source, DCTERMS.publisher) == Literal("GLEIF")
    assert one(graph, source, DCTERMS.license) == CC0
    assert one(graph, source, DCTERMS.source) == URIRef(f"https://search.gleif.org/#/record/{HUTCHIN}")
    assert one(graph, source, KG.retrievedOn) == day("2023-06-05")  # the golden copy's ContentDate
    assert one(graph, source, DCTERMS.created) == day("2012-06-06")  # InitialRegistrationDate
    assert one(graph, source, DCTERMS.modified) == day("2020-07-17")  # LastUpdateDate
    assert one(graph, source, KG.sourceType) == Literal("verified")  # FULLY_CORROBORATED
    assert str(one(graph, source, RDFS.comment)).startswith("Registration status LAPSED; validation sources FULLY_CORROBORATED;")


def test_the_two_consolidation_parents_are_control_claims_and_fund_relationships_are_counted_out():
    with pytest.warns(KgWarning, match=r"8 GLEIF relationship record\(s\) .* skipped \(IS_FUND-MANAGED_BY 5, IS_SUBFUND_OF 3\)"):
        graph = load_graph([RR_FILE], include_ontology=False)
    claims = {
        claim: (
            one(graph, one(graph, claim, KG.controller), RDFS.label).toPython(),
            one(graph, one(graph, claim, KG.controlledEntity), RDFS.label).toPython(),
            one(graph, claim, KG.direct).toPython(),
            str(one(graph, claim, KG.startDate)),
            STATUS(one(graph, one(graph, claim, KG.attestation), KG.status)),
        )
        for claim in graph.subjects(RDF.type, KG.Control)
    }
    # The parent (EndNode) controls the child (StartNode); each agent is labelled by its LEI (no LEI record here).
    assert claims == {
        CLAIM[f"gleif-{CHILD}-direct-parent-{DIRECT}"]: (DIRECT, CHILD, True, "2018-02-06", "Reported"),  # ENTITY_SUPPLIED_ONLY
        CLAIM[f"gleif-{CHILD}-ultimate-parent-{ULTIMATE}"]: (ULTIMATE, CHILD, False, "2018-02-06", "Confirmed"),  # FULLY_CORROBORATED
    }
    for claim in claims:
        assert one(graph, claim, KG.controlBasis) == KG.AccountingConsolidation
        assert (claim, KG.endDate, None) not in graph and (claim, KG.stage, None) not in graph
        for prop in (KG.shareExact, KG.shareMinimum, KG.shareMaximum):  # never an ownership share
            assert (claim, prop, None) not in graph
    assert not set(graph.subjects(RDF.type, KG.Ownership))
    # Only the RELATIONSHIP_PERIOD dates the claim; the accounting and filing periods go to its note.
    ultimate = CLAIM[f"gleif-{CHILD}-ultimate-parent-{ULTIMATE}"]
    assert str(one(graph, ultimate, RDFS.comment)) == (
        "GLEIF relationship IS_ULTIMATELY_CONSOLIDATED_BY: relationship status ACTIVE; accounting period 2020-01-01 to "
        "2020-12-31; document filing period 2020-01-01 to 2020-12-31; accounting standard US_GAAP."
    )
    source = one(graph, one(graph, ultimate, KG.attestation), KG.source)
    assert source == SOURCE[f"gleif-rr-{CHILD}-ultimate-parent-{ULTIMATE}"]
    assert one(graph, source, KG.recordId) == Literal(f"{CHILD}/IS_ULTIMATELY_CONSOLIDATED_BY/{ULTIMATE}")
    assert one(graph, source, DCTERMS.publisher) == Literal("GLEIF")
    assert one(graph, source, DCTERMS.license) == CC0
    assert one(graph, source, KG.retrievedOn) == day("2023-06-05")
    assert one(graph, source, DCTERMS.created) == day("2012-10-01")
    assert one(graph, source, DCTERMS.modified) == day("2023-01-24")
    assert one(graph, source, KG.sourceType) == Literal("verified")
    assert one(graph, source, RDFS.seeAlso) == URIRef("https://www.sec.gov/ix?doc=/Archives/edgar/data/40545/000004054521000011/ge-20201231.htm")
    assert "Registration status LAPSED; validation sources FULLY_CORROBORATED; validation documents REGULATORY_FILING" in str(
        one(graph, source, RDFS.comment)
    )
    direct_source = SOURCE[f"gleif-rr-{CHILD}-direct-parent-{DIRECT}"]
    assert one(graph, direct_source, KG.sourceType) == Literal("selfDeclaration")
    # The three LEIs of the two claims are organizations, labelled by their LEI, found by their identifier.
    agents = {str(one(graph, agent, RDFS.label)) for agent in graph.subjects(RDF.type, KG.Organization)}
    assert agents == {CHILD, DIRECT, ULTIMATE}
    assert FUND not in agents  # its relationships are fund relationships, skipped


def STATUS(iri) -> str:
    return str(iri).rsplit("#", 1)[-1]


def test_the_graph_conforms_to_the_shapes():
    from kg.validate import validate_graph

    graph = read(RR_FILE) + read(LEI_FILE)
    report = validate_graph(graph)
    assert not report.violations and not report.warnings


# --- fictional records: periods, statuses, registration states --------------------------------------


def rr_record(child, parent, kind="IS_DIRECTLY_CONSOLIDATED_BY", periods=(("RELATIONSHIP_PERIOD", "2019-03-01T00:00:00Z", None),),
              status="ACTIVE", registration="PUBLISHED", validation="FULLY_CORROBORATED", node_type="LEI") -> str:
    period_xml = "".join(
        f"<rr:RelationshipPeriod><rr:StartDate>{start}</rr:StartDate>"
        + (f"<rr:EndDate>{end}</rr:EndDate>" if end else "")
        + f"<rr:PeriodType>{period}</rr:PeriodType></rr:RelationshipPeriod>"
        for period, start, end in periods
    )
    return (
        "<rr:RelationshipRecord><rr:Relationship>"
        f"<rr:StartNode><rr:NodeID>{child}</rr:NodeID><rr:NodeIDType>{node_type}</rr:NodeIDType></rr:StartNode>"
        f"<rr:EndNode><rr:NodeID>{parent}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:EndNode>"
        f"<rr:RelationshipType>{kind}</rr:RelationshipType><rr:RelationshipPeriods>{period_xml}</rr:RelationshipPeriods>"
        f"<rr:RelationshipStatus>{status}</rr:RelationshipStatus></rr:Relationship>"
        "<rr:Registration><rr:InitialRegistrationDate>2019-03-02T10:00:00Z</rr:InitialRegistrationDate>"
        "<rr:LastUpdateDate>2024-01-05T10:00:00Z</rr:LastUpdateDate>"
        f"<rr:RegistrationStatus>{registration}</rr:RegistrationStatus>"
        f"<rr:ValidationSources>{validation}</rr:ValidationSources></rr:Registration></rr:RelationshipRecord>\n"
    )


def rr_file(path, *records: str):
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rr:RelationshipData xmlns:rr="http://www.gleif.org/data/schema/rr/2016">\n'
        "<rr:Header><rr:ContentDate>2024-02-01T08:00:00Z</rr:ContentDate></rr:Header><rr:RelationshipRecords>\n"
        + "".join(records)
        + "</rr:RelationshipRecords></rr:RelationshipData>\n",
        encoding="utf-8",
    )
    return path


def test_the_invented_leis_have_valid_check_digits():
    assert all(lei_check_digits_ok(lei) for lei in (LAB, HOLDCO, TOPCO))


CASES = {
    # name: (record keyword arguments, expected start, end, stage, status)
    "active": ({}, "2019-03-01", None, None, "Confirmed"),
    "ended-period": ({"periods": (("RELATIONSHIP_PERIOD", "2019-03-01T00:00:00Z", "2023-06-30T00:00:00Z"),)}, "2019-03-01", "2023-06-30", None, "Confirmed"),
    "local-day-of-an-offset": ({"periods": (("RELATIONSHIP_PERIOD", "2018-01-01T00:00:00+01:00", None),)}, "2018-01-01", None, None, "Confirmed"),
    "accounting-period-only": ({"periods": (("ACCOUNTING_PERIOD", "2022-01-01T00:00:00Z", "2022-12-31T00:00:00Z"),)}, None, None, None, "Confirmed"),
    "inactive-without-end": ({"status": "INACTIVE"}, "2019-03-01", None, KG.Terminated, "Confirmed"),
    "inactive-with-end": (
        {"status": "INACTIVE", "periods": (("RELATIONSHIP_PERIOD", "2019-03-01T00:00:00Z", "2021-05-31T00:00:00Z"),)},
        "2019-03-01", "2021-05-31", None, "Confirmed",
    ),
    "retired": ({"registration": "RETIRED"}, "2019-03-01", None, KG.Terminated, "Confirmed"),
    "lapsed": ({"registration": "LAPSED"}, "2019-03-01", None, None, "Confirmed"),
    "partially-corroborated": ({"validation": "PARTIALLY_CORROBORATED"}, "2019-03-01", None, None, "Reported"),
    "entity-supplied": ({"validation": "ENTITY_SUPPLIED_ONLY"}, "2019-03-01", None, None, "Reported"),
    "pending": ({"registration": "PENDING_VALIDATION", "validation": "PENDING"}, "2019-03-01", None, None, "Reported"),
    "annulled": ({"registration": "ANNULLED"}, "2019-03-01", None, None, "Denied"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_periods_statuses_and_registration_states_of_a_relationship(tmp_path, case):
    kwargs, start, end, stage, status = CASES[case]
    graph = read(rr_file(tmp_path / "rr.xml", rr_record(LAB, HOLDCO, **kwargs)))
    (claim,) = graph.subjects(RDF.type, KG.Control)
    assert claim == CLAIM[f"gleif-{LAB}-direct-parent-{HOLDCO}"]
    assert graph.value(claim, KG.startDate) == (day(start) if start else None)
    assert graph.value(claim, KG.endDate) == (day(end) if end else None)
    assert graph.value(claim, KG.stage) == stage
    assert STATUS(one(graph, one(graph, claim, KG.attestation), KG.status)) == status


def test_duplicates_other_types_and_non_lei_nodes_are_skipped_with_one_warning(tmp_path):
    path = rr_file(
        tmp_path / "rr.xml",
        rr_record(LAB, HOLDCO, registration="DUPLICATE"),
        rr_record(LAB, HOLDCO, kind="IS_INTERNATIONAL_BRANCH_OF"),
        rr_record(LAB, HOLDCO, kind="IS_FEEDER_TO"),
        rr_record("PNI-123", HOLDCO, node_type="PNI"),
        rr_record(HOLDCO, TOPCO, kind="IS_ULTIMATELY_CONSOLIDATED_BY"),
    )
    with pytest.warns(KgWarning) as caught:
        graph = load_graph([path], include_ontology=False)
    assert [str(w.message) for w in caught] == [
        f"{path}: 4 GLEIF relationship record(s) that are not accounting consolidation were skipped "
        "(IS_DIRECTLY_CONSOLIDATED_BY DUPLICATE 1, IS_DIRECTLY_CONSOLIDATED_BY between nodes that are not LEIs 1, "
        "IS_FEEDER_TO 1, IS_INTERNATIONAL_BRANCH_OF 1)"
    ]
    assert set(graph.subjects(RDF.type, KG.Control)) == {CLAIM[f"gleif-{HOLDCO}-ultimate-parent-{TOPCO}"]}


def test_memory_stays_flat_however_many_records_and_progress_counts_bytes(tmp_path):
    import tracemalloc

    from kg.io.ownership.gleif import READER

    def records(count: int) -> list[str]:  # 500 children and 7 parents, over and over
        return [rr_record(fictional_lei(f"C{n % 500:07d}"), fictional_lei(f"P{n % 7:07d}")) for n in range(count)]

    def peak(path, progress=None) -> tuple[int, int]:
        tracemalloc.start()
        try:
            claims = sum(1 for s, p, o in READER.read(path, progress=progress) if o == KG.Control)
            return claims, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = rr_file(tmp_path / "small.xml", *records(1_000)), rr_file(tmp_path / "large.xml", *records(4_000))
    list(READER.read(small))  # the reader remembers a bounded number of LEIs and days (they recur): these ones now
    progress = []
    (claims, small_peak), (large_claims, large_peak) = peak(small), peak(large, progress.append)
    assert (claims, large_claims) == (1_000, 4_000)
    assert sum(progress) == large.stat().st_size
    # Four times the records, hardly more memory: each record is dropped once read (a whole tree would take ~10x the file).
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 4, (large_peak, large.stat().st_size)


# --- refusals: one Error line naming the file, exit 2, nothing fetched --------------------------------


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


RR_ROOT = '<rr:RelationshipData xmlns:rr="http://www.gleif.org/data/schema/rr/2016">'
LEI_ROOT = '<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">'


def hostile(url: str) -> dict[str, str]:
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    return {
        "laughs.xml": f'<?xml version="1.0"?>\n<!DOCTYPE rr:RelationshipData [<!ENTITY l0 "lol">{laughs}]>\n'
        f"{RR_ROOT}<rr:Header><rr:ContentDate>&l9;</rr:ContentDate></rr:Header></rr:RelationshipData>\n",
        "external-entity.xml": f'<?xml version="1.0"?>\n<!DOCTYPE lei:LEIData [<!ENTITY e SYSTEM "{url}/e">]>\n'
        f"{LEI_ROOT}<lei:LEIRecords><lei:LEIRecord><lei:LEI>&e;</lei:LEI></lei:LEIRecord></lei:LEIRecords></lei:LEIData>\n",
        "external-dtd.xml": f'<?xml version="1.0"?>\n<!DOCTYPE rr:RelationshipData SYSTEM "{url}/rr.dtd">\n{RR_ROOT}</rr:RelationshipData>\n',
        "parameter-entity.xml": f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/p"> %p;]>\n{RR_ROOT}</rr:RelationshipData>\n',
    }


def one_error(result, name: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and all(line.startswith(("Error: ", "Warning: ")) for line in lines), result.stderr
    assert name in errors[0]
    return errors[0]


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("name", sorted(hostile("http://127.0.0.1:9")))
def test_a_dtd_or_entity_declaration_is_one_error_and_nothing_is_fetched(invoke, tmp_path, listener, name, store):
    path = tmp_path / name
    path.write_text(hostile(listener.url)[name], encoding="utf-8")
    error = one_error(invoke("stats", "--store", store, "--data", path), name)
    assert f"{name}:" in error and ("DTD" in error or "entit" in error)
    assert listener.connections == 0


def test_a_hostile_file_given_as_gleif_is_refused_by_the_reader_itself(tmp_path, listener):
    path = tmp_path / "x.xml"
    path.write_text(hostile(listener.url)["external-entity.xml"], encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.xml:2: refused: the file declares a DTD"):
        load_graph([f"gleif:{path}"])
    assert listener.connections == 0


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_a_truncated_file_is_one_error_naming_the_file_and_the_record(invoke, tmp_path, store):
    text = RR_FILE.read_text("utf-8")
    path = tmp_path / "truncated.xml"
    path.write_text(text[: text.index(f"<rr:NodeID>{ULTIMATE}") + 40], encoding="utf-8")
    error = one_error(invoke("stats", "--store", store, "--data", path), "truncated.xml")
    assert "not valid XML" in error and f"relationship record of the child {CHILD}" in error


@pytest.mark.parametrize(
    "fixture, old, new, words",
    [
        (LEI_FILE, FUND, FUND[:-1] + "5", f"an LEI record: the check digits of the LEI {FUND[:-1]}5 are wrong"),
        (RR_FILE, DIRECT, DIRECT[:-1] + "7", f"a relationship's parent (EndNode): the check digits of the LEI {DIRECT[:-1]}7 are wrong"),
        (RR_FILE, "<rr:StartDate>2018-02-06", "<rr:StartDate>06/02/2018", "the RELATIONSHIP_PERIOD StartDate '06/02/2018"),
    ],
)
def test_a_bad_lei_or_date_is_one_error_naming_the_file_and_record(invoke, tmp_path, fixture, old, new, words):
    path = tmp_path / "bad.xml"
    path.write_text(fixture.read_text("utf-8").replace(old, new), encoding="utf-8")
    error = one_error(invoke("stats", "--data", path), "bad.xml")
    assert words in error


def test_a_reporting_exception_file_is_named_as_such(tmp_path):
    path = tmp_path / "repex.xml"
    path.write_text('<repex:ReportingExceptionData xmlns:repex="http://www.gleif.org/data/schema/repex/2016"/>', encoding="utf-8")
    with pytest.raises(InputError, match="reporting-exception file"):
        load_graph([path])


# --- the commands, on both stores --------------------------------------------------------------------


@pytest.mark.parametrize("store", [[], ["--store", "oxigraph"]])
def test_conflicts_and_stats_read_both_files_on_both_stores(invoke, store):
    result = invoke("conflicts", "--data", RR_FILE, "--data", LEI_FILE, "--format", "json", *store)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []
    stats = json.loads(invoke("stats", "--data", RR_FILE, "--data", LEI_FILE, "--format", "json", *store).stdout)
    assert stats["classes"] == {"Organization": 5, "Identifier": 5, "Source": 4, "Attestation": 2, "Control": 2}
    assert stats["statuses"] == {"confirmed": 1, "reported": 1}


def test_a_csv_export_of_gleifs_claims_reads_back_with_their_basis(invoke, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        result = invoke("export", "--format", "csv", "-o", tmp_path / "sheet", "--data", RR_FILE)
        assert result.exit_code == 0, result.output
        graph = load_graph([tmp_path / "sheet"], include_ontology=False)
    claims = set(graph.subjects(RDF.type, KG.Control))
    assert len(claims) == 2 and {graph.value(claim, KG.controlBasis) for claim in claims} == {KG.AccountingConsolidation}


# --- identity: the same LEI in a sheet and in GLEIF is one agent ------------------------------------------

SHEET = f"""id,name,type,description,identifiers
# A small fictional sheet. The last two rows name real legal entities by their LEI only, with the name
# GLEIF's inputs give them (its LEI record's legal name; the LEI itself where the inputs hold no record).
kite-ai,Kite AI (fictional),AILab,A fictional AI lab.,
hutchin,"Hutchin Hill Capital, LP",Organization,,lei:{HUTCHIN}
subsidiary,{CHILD},Organization,,lei:{CHILD}
"""


@pytest.fixture
def sheet(tmp_path):
    folder = tmp_path / "sheet"
    folder.mkdir()
    (folder / "entities.csv").write_text(SHEET, encoding="utf-8")
    return folder


def test_an_lei_in_a_sheet_and_in_gleif_is_one_agent_that_the_gleif_control_chain_reaches(sheet):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KgWarning)
        graph = load_graph([sheet, RR_FILE, LEI_FILE], include_ontology=False)
    identity = Identity.of(graph)
    # The sheet's row and GLEIF's agents for one LEI are one agent.
    assert set(identity.members_of(DATA["subsidiary"])) == {DATA["subsidiary"], DATA[f"lei-{CHILD}-rr"]}
    assert set(identity.members_of(DATA["hutchin"])) == {DATA["hutchin"], DATA[f"lei-{HUTCHIN}"]}
    # GLEIF's ultimate parent controls the sheet's agent, through the merged identity.
    states = claim_states(graph, as_of=date(2024, 1, 1), min_status="rumored", identity=identity)
    control = ControlGraph(states)
    ultimate, direct = identity(DATA[f"lei-{ULTIMATE}-rr"]), identity(DATA[f"lei-{DIRECT}-rr"])
    assert identity(DATA["subsidiary"]) in control.reachable(ultimate)
    assert identity(DATA["subsidiary"]) in control.reachable(direct)
    assert [state.iri for state in control.chain(ultimate, identity(DATA["subsidiary"]))] == [CLAIM[f"gleif-{CHILD}-ultimate-parent-{ULTIMATE}"]]
    # Without GLEIF's file, the sheet's agent has no controller.
    alone = load_graph([sheet], include_ontology=False)
    assert not [s for s in claim_states(alone, as_of=date(2024, 1, 1), min_status="rumored") if s.cls == KG.Control]


def test_describe_shows_the_sheets_agent_with_gleifs_control_claims(invoke, sheet):
    result = invoke("describe", "subsidiary", "--data", sheet, "--data", RR_FILE, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    claims = {(c["type"], c["subject"], c["object"]) for c in document["claims"]}
    assert claims == {
        ("Control", str(DATA[f"lei-{DIRECT}-rr"]), str(DATA[f"lei-{CHILD}-rr"])),
        ("Control", str(DATA[f"lei-{ULTIMATE}-rr"]), str(DATA[f"lei-{CHILD}-rr"])),
    }
