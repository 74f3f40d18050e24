"""The ontology (kg.ttl, kg.owl): documented terms, a full header, and accepted by other tools.

Independent parsers (rapper, pyoxigraph), a DL reasoner (HermiT through owlready2) and
the OWL API's OWL 2 DL profile checker each read the files. Every check is also run on a
deliberately broken copy, so that a check that cannot fail is noticed.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from kg import resources
from kg.vocab import KG, ONTOLOGY_IRI

REPO = Path(__file__).resolve().parent.parent
DLPROFILE_CHECK = REPO / "tests" / "java" / "DLProfileCheck.java"
EXAMPLE_SHEET = REPO / "data" / "example-sheet"
DCTERMS = Namespace("http://purl.org/dc/terms/")
VANN = Namespace("http://purl.org/vocab/vann/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ONTOLOGY = URIRef(ONTOLOGY_IRI)

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
HEADER_PROPERTIES = (
    OWL.versionIRI,
    OWL.versionInfo,
    DCTERMS.title,
    DCTERMS.description,
    DCTERMS.creator,
    DCTERMS.license,
    DCTERMS.created,
    DCTERMS.modified,
    VANN.preferredNamespacePrefix,
    VANN.preferredNamespaceUri,
)
#: The files the parsers must accept, from the checkout (what is committed).
TURTLE_FILES = sorted((REPO / "ontology").glob("*.ttl")) + sorted((REPO / "data").rglob("*.ttl"))
RDFXML_FILES = sorted((REPO / "ontology").glob("*.owl"))

#: The OWL API and what it needs at run time, as Debian's libowlapi-java installs them.
JAVA_DIR = Path("/usr/share/java")
#: All are dependencies of libowlapi-java (jaxb-api through librdf4j-java); slf4j-nop keeps
#: the OWL API's logging quiet.
OWLAPI_JARS = (
    "owlapi-distribution", "guava", "caffeine", "commons-io", "commons-rdf-api", "commons-codec",
    "atinject-jsr330-api", "slf4j-api", "slf4j-nop", "jsr305", "hppcrt", "xz", "jaxb-api",
)  # fmt: skip
#: Date datatypes that are not in the OWL 2 datatype map; SHACL types the dates instead.
NON_OWL_DATE_TYPES = (XSD.date, XSD.gYearMonth, XSD.gYear)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(resources.ontology_path(), format="turtle")


# --- documentation of every term ------------------------------------------------------


def kg_terms(graph: Graph) -> set[URIRef]:
    return {
        term
        for term_type in TERM_TYPES
        for term in graph.subjects(RDF.type, term_type)
        if isinstance(term, URIRef) and term.startswith(str(KG))
    }


def documentation_problems(graph: Graph) -> list[str]:
    """Each kg term without exactly one rdfs:label@en and one skos:definition@en."""
    problems = []
    for term in sorted(kg_terms(graph)):
        labels = list(graph.objects(term, RDFS.label))
        definitions = list(graph.objects(term, SKOS.definition))
        if len(labels) != 1 or labels[0].language != "en":
            problems.append(f"{term}: {len(labels)} rdfs:label, expected one @en")
        if len(definitions) != 1 or definitions[0].language != "en":
            problems.append(f"{term}: {len(definitions)} skos:definition, expected one @en")
    return problems


def test_every_kg_term_has_one_english_label_and_one_definition(ontology):
    assert len(kg_terms(ontology)) > 80  # classes, properties and individuals were all found
    assert documentation_problems(ontology) == []


def test_documentation_check_reports_a_missing_definition_and_a_second_label(ontology):
    broken = Graph() + ontology
    broken.remove((KG.Investment, SKOS.definition, None))
    broken.add((KG.customer, RDFS.label, Literal("client", lang="en")))
    problems = documentation_problems(broken)
    assert any(p.startswith(f"{KG.Investment}: 0 skos:definition") for p in problems)
    assert any(p.startswith(f"{KG.customer}: 2 rdfs:label") for p in problems)
    assert len(problems) == 2


# --- the header -------------------------------------------------------------------------


def header_problems(graph: Graph) -> list[str]:
    problems = []
    if (ONTOLOGY, RDF.type, OWL.Ontology) not in graph:
        return [f"{ONTOLOGY} is not an owl:Ontology"]
    for prop in HEADER_PROPERTIES:
        values = list(graph.objects(ONTOLOGY, prop))
        if len(values) != 1:
            problems.append(f"{prop}: {len(values)} values, expected one")
    for prop in (OWL.versionIRI, DCTERMS.license):
        if any(not isinstance(v, URIRef) for v in graph.objects(ONTOLOGY, prop)):
            problems.append(f"{prop}: must be an IRI, not a literal")
    for prop in (DCTERMS.created, DCTERMS.modified):
        if any(getattr(v, "datatype", None) != XSD.date for v in graph.objects(ONTOLOGY, prop)):
            problems.append(f"{prop}: must be an xsd:date")
    namespace_uri = graph.value(ONTOLOGY, VANN.preferredNamespaceUri)
    if namespace_uri is not None and str(namespace_uri) != str(KG):
        problems.append(f"vann:preferredNamespaceUri is {namespace_uri}, not {KG}")
    return problems


def test_header_has_version_title_description_creator_license_dates_and_namespace(ontology):
    assert header_problems(ontology) == []


@pytest.mark.parametrize("prop", HEADER_PROPERTIES, ids=lambda p: p.n3().rsplit("/", 1)[-1].strip(">"))
def test_header_check_reports_each_missing_property(ontology, prop):
    broken = Graph() + ontology
    broken.remove((ONTOLOGY, prop, None))
    assert header_problems(broken) == [f"{prop}: 0 values, expected one"]


def test_header_check_reports_a_license_given_as_text(ontology):
    broken = Graph() + ontology
    broken.set((ONTOLOGY, DCTERMS.license, Literal("CC BY 4.0")))
    assert header_problems(broken) == [f"{DCTERMS.license}: must be an IRI, not a literal"]


def test_ontology_neither_imports_nor_declares_equivalence_to_outside_vocabularies(ontology):
    assert list(ontology.objects(None, OWL.imports)) == []
    outside = [
        (a, b)
        for a, b in ontology.subject_objects(OWL.equivalentClass)
        if not (str(a).startswith(str(KG)) and str(b).startswith(str(KG)))
    ]
    assert outside == []


# --- kg.owl ---------------------------------------------------------------------------------


def test_kg_owl_holds_the_same_graph_as_kg_ttl(ontology):
    rdfxml = Graph().parse(resources.ontology_path("kg.owl"), format="xml")
    assert len(rdfxml) == len(ontology)
    assert isomorphic(rdfxml, ontology), "kg.owl is out of date: run `.venv/bin/python ontology/make_rdfxml.py`"


def test_make_rdfxml_writes_a_graph_isomorphic_to_its_input(tmp_path):
    import runpy

    make_rdfxml = runpy.run_path(str(REPO / "ontology" / "make_rdfxml.py"))
    source = tmp_path / "small.ttl"
    source.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <https://example.org/> .\n"
        "ex:p a owl:ObjectProperty ; owl:propertyChainAxiom ( ex:q ex:r ) .\n",
        encoding="utf-8",
    )
    count = make_rdfxml["turtle_to_rdfxml"](source, tmp_path / "small.owl")
    written = Graph().parse(tmp_path / "small.owl", format="xml")
    assert count == len(written) == 6
    assert isomorphic(written, Graph().parse(source, format="turtle"))


# --- independent parsers ----------------------------------------------------------------


def test_the_files_to_parse_were_found():
    names = {p.name for p in TURTLE_FILES + RDFXML_FILES}
    assert {"kg.ttl", "shapes.ttl", "kg.owl", "ai-compute.ttl"} <= names


def rapper_count(path: Path, syntax: str) -> int:
    result = subprocess.run(
        ["rapper", "--count", "--input", syntax, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    return int(result.stderr.rsplit("returned", 1)[1].split()[0])


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper is not installed (Debian package raptor2-utils)")
@pytest.mark.parametrize(
    "path, syntax, rdflib_format",
    [(p, "turtle", "turtle") for p in TURTLE_FILES] + [(p, "rdfxml", "xml") for p in RDFXML_FILES],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_rapper_reads_the_same_number_of_triples_as_rdflib(path, syntax, rdflib_format):
    assert rapper_count(path, syntax) == len(Graph().parse(path, format=rdflib_format))


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper is not installed (Debian package raptor2-utils)")
def test_rapper_rejects_broken_turtle(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b ex:c", encoding="utf-8")
    result = subprocess.run(["rapper", "--count", "--input", "turtle", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0


@pytest.mark.parametrize(
    "path, oxigraph_format, rdflib_format",
    [(p, "TURTLE", "turtle") for p in TURTLE_FILES] + [(p, "RDF_XML", "xml") for p in RDFXML_FILES],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_pyoxigraph_reads_the_same_number_of_triples_as_rdflib(path, oxigraph_format, rdflib_format):
    pyoxigraph = pytest.importorskip("pyoxigraph")
    triples = list(pyoxigraph.parse(path=str(path), format=getattr(pyoxigraph.RdfFormat, oxigraph_format)))
    assert len(set(triples)) == len(Graph().parse(path, format=rdflib_format))


# --- HermiT, through owlready2 ------------------------------------------------------------


def hermit_unsatisfiable_classes(rdfxml: Path) -> list[str]:
    """Classify with HermiT; the IRIs of unsatisfiable classes (raises when inconsistent)."""
    owlready2 = pytest.importorskip("owlready2")
    owlready2.JAVA_EXE = shutil.which("java")
    world = owlready2.World()
    onto = world.get_ontology(rdfxml.resolve().as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return sorted(cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime for HermiT")
def test_hermit_finds_the_ontology_consistent_with_every_class_satisfiable():
    assert hermit_unsatisfiable_classes(resources.ontology_path("kg.owl")) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime for HermiT")
def test_hermit_reports_a_class_that_is_both_a_person_and_an_organization(ontology, tmp_path):
    broken = Graph() + ontology
    broken.add((KG.Centaur, RDF.type, OWL.Class))
    broken.add((KG.Centaur, RDFS.subClassOf, KG.Person))
    broken.add((KG.Centaur, RDFS.subClassOf, KG.Organization))  # disjoint with kg:Person
    path = tmp_path / "broken.owl"
    broken.serialize(path, format="xml")
    assert hermit_unsatisfiable_classes(path) == [str(KG.Centaur)]


# --- the OWL API's OWL 2 DL profile check ---------------------------------------------------


def owlapi_classpath() -> str:
    jars = [JAVA_DIR / f"{name}.jar" for name in OWLAPI_JARS]
    missing = [jar.name for jar in jars if not jar.exists()]
    rdf4j = sorted(JAVA_DIR.glob("rdf4j-*[a-z].jar"))  # the unversioned links
    if not rdf4j:
        missing.append("rdf4j-*.jar")
    if missing or shutil.which("java") is None:
        pytest.skip(f"the OWL API is not installed (Debian package libowlapi-java); missing: {', '.join(missing) or 'java'}")
    return ":".join(str(jar) for jar in jars + rdf4j)


def dl_profile_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["java", "-cp", owlapi_classpath(), str(DLPROFILE_CHECK), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
    )


# --- Apache Jena's parser ----------------------------------------------------------------------

JENA_CHECK = REPO / "tests" / "java" / "JenaParseCheck.java"


def jena_classpath() -> str:
    """The Jena 2.10 jars owlready2 ships for Pellet: the only Jena installable here (PyPI holds no other)."""
    import owlready2

    jars = sorted((Path(owlready2.__file__).parent / "pellet").glob("*.jar"))
    if shutil.which("java") is None or not any(jar.name.startswith("jena-arq") for jar in jars):
        pytest.skip("no Java runtime or no Jena jars (owlready2's pellet folder)")
    return ":".join(map(str, jars))


def jena_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["java", "-cp", jena_classpath(), str(JENA_CHECK), str(path)], capture_output=True, text=True, timeout=180)


# RDF/XML is left out: owlready2 replaces Jena's RDF/XML reader with a class built for a newer Java
# than Debian's 17; kg.owl holds the same graph as kg.ttl (test_kg_owl_holds_the_same_graph_as_kg_ttl).
@pytest.mark.parametrize("path", TURTLE_FILES, ids=lambda path: path.name)
def test_jena_parses_every_turtle_file_with_no_warning(path):
    result = jena_check(path)
    assert result.returncode == 0 and result.stdout.startswith("0 problem(s)"), result.stdout + result.stderr


def test_jena_check_reports_a_bad_date_and_an_iri_with_a_space(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix : <http://example.org/> .\n:a :b "2024-13-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n:a :b <x y> .\n')
    result = jena_check(broken)
    assert result.returncode == 1 and "2 problem(s)" in result.stdout, result.stdout + result.stderr
    assert "line 2" in result.stdout and "line 3" in result.stdout


@pytest.mark.parametrize("name", ["kg.ttl", "kg.owl", "derived.ttl"])
def test_owlapi_finds_no_owl2_dl_profile_violation_in_the_ontology(name):
    result = dl_profile_check(resources.ontology_path(name))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("0 OWL 2 DL profile violation(s)")


@pytest.mark.slow
def test_owlapi_reports_a_cardinality_restriction_on_a_chain_derived_property(ontology, tmp_path):
    # One of DESIGN's known traps: kg:controls is derived by a property chain, so it is
    # not simple and may not carry a cardinality restriction in OWL 2 DL.
    broken = Graph() + ontology
    restriction = BNode()
    broken.add((restriction, RDF.type, OWL.Restriction))
    broken.add((restriction, OWL.onProperty, KG.controls))
    broken.add((restriction, OWL.maxCardinality, Literal(1, datatype=XSD.nonNegativeInteger)))
    broken.add((KG.Person, RDFS.subClassOf, restriction))
    path = tmp_path / "broken.ttl"
    broken.serialize(path, format="turtle")
    result = dl_profile_check(path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "UseOfNonSimplePropertyInCardinalityRestriction" in result.stdout


def ontology_with_bundled_data(ontology: Graph, *, keep_dates: bool) -> Graph:
    merged = Graph() + ontology
    merged += Graph().parse(resources.bundled_data_path(), format="turtle")
    if not keep_dates:
        for s, p, o in list(merged):
            if isinstance(o, Literal) and o.datatype in NON_OWL_DATE_TYPES and str(p).startswith(str(KG)):
                merged.remove((s, p, o))
    return merged


@pytest.mark.slow
def test_owlapi_finds_the_bundled_data_with_the_ontology_dl_except_for_its_date_literals(ontology, tmp_path):
    # The data and the ontology must be parsed as one document: parsed apart, the data's
    # undeclared properties would be read as annotations.
    path = tmp_path / "merged.nt"
    ontology_with_bundled_data(ontology, keep_dates=False).serialize(path, format="nt", encoding="utf-8")
    result = dl_profile_check(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_owlapi_reports_only_the_date_datatypes_outside_the_owl2_datatype_map(ontology, tmp_path):
    # xsd:date, xsd:gYearMonth and xsd:gYear are not in the OWL 2 datatype map, so data
    # dated with them is outside OWL 2 DL; that is why SHACL, not OWL, types the dates.
    path = tmp_path / "merged.nt"
    ontology_with_bundled_data(ontology, keep_dates=True).serialize(path, format="nt", encoding="utf-8")
    result = dl_profile_check(path)
    violations = result.stdout.splitlines()[:-1]
    assert result.returncode == 1 and violations, result.stdout + result.stderr
    assert all("xsd:gYear" in line or "xsd:date" in line for line in violations), violations


# --- the reasoner profile of kg export: data and ontology in one file reasoners accept ---------------


@pytest.fixture(scope="module")
def reasoner_export(tmp_path_factory):
    from kg.export import export_graph
    from kg.io.load import load_graph

    path = tmp_path_factory.mktemp("reasoner") / "all.owl"
    # the bundled data and the example sheet, which has end dates and dates of every precision
    export_graph(load_graph([resources.bundled_data_path(), EXAMPLE_SHEET]), path, "xml", profile="reasoner")
    return path


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime for HermiT")
def test_hermit_accepts_the_reasoner_export_of_data_and_ontology(reasoner_export):
    # The data profile stops HermiT at the first date ("xsd:date is not part of the OWL 2 datatype map").
    assert hermit_unsatisfiable_classes(reasoner_export) == []


@pytest.mark.slow
def test_owlapi_finds_the_reasoner_export_of_data_and_ontology_in_owl2_dl(reasoner_export):
    result = dl_profile_check(reasoner_export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("0 OWL 2 DL profile violation(s)")


def test_the_reasoner_export_keeps_every_date_and_its_precision(reasoner_export):
    from kg.io.load import load_graph

    exported = Graph().parse(reasoner_export, format="xml")
    original = load_graph([resources.bundled_data_path(), EXAMPLE_SHEET], include_ontology=False)
    dates = [(s, p, o) for s, p, o in original if p in (KG.startDate, KG.endDate, KG.foundingDate)]
    assert dates
    precision = {KG.startDate: KG.startDatePrecision, KG.endDate: KG.endDatePrecision, KG.foundingDate: KG.foundingDatePrecision}
    from kg.dates import date_bound

    for subject, prop, value in dates:
        (written,) = exported.objects(subject, prop)
        is_end = prop == KG.endDate
        expected = date_bound(str(value), end=is_end).isoformat() + ("T23:59:59" if is_end else "T00:00:00")
        assert (written.datatype, str(written)) == (XSD.dateTime, expected)
        assert str(exported.value(subject, precision[prop])) == {4: "year", 7: "month", 10: "day"}[len(str(value))]
    assert any(prop == KG.endDate for _, prop, _ in dates) and any(len(str(value)) == 4 for _, _, value in dates)


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_kg_reads_the_reasoner_export_back_to_the_same_findings(reasoner_export, invoke, store):
    inputs = ["--data", resources.bundled_data_path(), "--data", EXAMPLE_SHEET]
    for as_of in ("2021-12-31", "2023-06-30", "2023-07-01", "2024-06", "2026-11-27"):
        original = invoke("conflicts", "--as-of", as_of, "--format", "json", "--store", store, *inputs)
        exported = invoke("conflicts", "--as-of", as_of, "--format", "json", "--store", store, "--data", reasoner_export)
        assert original.exit_code == exported.exit_code == 0
        findings = [
            {**finding, "evidence": [{**e, "start": None, "end": None} for e in finding["evidence"]]}
            for finding in json.loads(original.stdout)["findings"]
        ]
        again = [
            {**finding, "evidence": [{**e, "start": None, "end": None} for e in finding["evidence"]]}
            for finding in json.loads(exported.stdout)["findings"]
        ]
        assert again == findings


def test_the_reasoner_profile_is_for_rdf_formats(tmp_path, invoke):
    result = invoke("export", "-o", tmp_path / "net.graphml", "--profile", "reasoner")
    assert result.exit_code == 2 and "reasoner --profile is for RDF formats" in result.stderr


# --- the derived vocabulary (kgr:) that rules read --------------------------------------------


def test_every_derived_term_kg_writes_or_a_bundled_rule_reads_is_declared_and_documented(bundled_graph):
    """A rule author reads ontology/derived.ttl to learn what a rule may match; it must hold every
    edge kg derives and every kgr: term a bundled rule names, each with a label and a definition."""
    from kg.derive import ControlGraph, claim_states, derive_facts
    from kg.vocab import KGR

    vocabulary = Graph().parse(resources.derived_vocabulary_path())
    declared = {term for term in vocabulary.subjects(RDF.type, OWL.ObjectProperty) if str(term).startswith(str(KGR))}
    states = claim_states(bundled_graph, as_of=datetime.date(2026, 11, 30), min_status="reported")
    written = {predicate for _, predicate, _ in derive_facts(states, ControlGraph(states))}
    read = {KGR[name] for path in resources.queries_dir().rglob("*.rq") for name in re.findall(r"\bkgr:(\w+)", path.read_text())}
    assert written and read and written | read <= declared, sorted((written | read) - declared)
    for term in declared:
        assert len(list(vocabulary.objects(term, RDFS.label))) == 1, term
        assert [d.language for d in vocabulary.objects(term, SKOS.definition)] == ["en"], term
