"""The spreadsheet reader: a folder of CSV files into RDF claims with provenance (docs/spreadsheets.md).

Every cell of every file is checked before anything is built, and every bad one
is reported (an ``IngestError`` listing the first ten of each kind and counting
the rest), so one run tells the analyst all there is to fix and nothing is
half-ingested.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_literal
from kg.errors import InputError
from kg.io.atomic import check_folder_whole, write_atomically
from kg.io.formats import export_format
from kg.io.rdf import serialize_sorted
from kg.io.sheets.cells import CellError, identifier_iri, parse_identifiers, parse_period
from kg.io.sheets.model import Attestation, Claim, Entity, Problems, Row, SheetRows, Source, collect_rows, ontology_terms
from kg.io.sheets.workbook import Workbook, folder_workbook, is_workbook, worksheet_name
from kg.io.sheets.relations import RelationChecker
from kg.io.sheets.spec import (
    AGENT_TYPES,
    ENTITY_SHEET,
    PROSE_LANGUAGE,
    RELATION_SHEET,
    SOURCE_SHEET,
    is_id,
    is_url,
    sheet_title,
)
from kg.vocab import DATA, KG, SOURCE, bind_prefixes


NOT_A_DATE = "not a date (YYYY, YYYY-MM or YYYY-MM-DD)"
NOT_A_URL = "not a URL (http:// or https://, with no blank, quote or control character)"


def ingest_folder(folder: str | Path) -> Graph:
    """Read ``entities.csv`` (and ``relations.csv``, ``sources.csv`` when present) into a new graph.

    ``folder`` may also be an ``.xlsx`` workbook with worksheets ``entities`` and
    ``relations`` (and optionally ``sources``), or a folder that holds one such
    workbook instead of CSV files, read the same way (``kg.io.sheets.workbook``).
    Raises ``IngestError`` when the sheet has bad cells: the first ten of each
    kind, then how many more of that kind there are.
    """
    folder = Path(folder)
    if is_workbook(folder):
        return _ingest_workbook(folder)
    if folder.is_dir() and (workbook := folder_workbook(folder)) is not None:
        return _ingest_workbook(workbook)
    check_folder_whole(folder)  # a kill during kg export must not give a mix of two exports
    paths = {spec.file: folder / spec.file for spec in (ENTITY_SHEET, SOURCE_SHEET, RELATION_SHEET)}
    if not paths[ENTITY_SHEET.file].is_file():
        raise InputError(f"{paths[ENTITY_SHEET.file]}: no such file; a sheet folder needs entities.csv (or an .xlsx workbook)")

    def rows(spec, problems):
        return SheetRows(paths[spec.file], spec, problems) if paths[spec.file].is_file() else None

    return _ingest(rows, sheet_title(folder))


def _ingest_workbook(path: Path) -> Graph:
    workbook = Workbook(path)
    try:
        return _ingest(lambda spec, problems: workbook.rows(spec, problems) if workbook.has(spec) else None,
                       f"{path.resolve().name}[{worksheet_name(RELATION_SHEET)}]")
    finally:
        workbook.close()


def _ingest(rows, title: str) -> Graph:
    """The graph of one sheet, whose ``rows(spec, problems)`` gives the rows of each file (None when absent)."""
    problems = Problems()
    entity_rows = collect_rows(rows(ENTITY_SHEET, problems))
    entities = _entities(entity_rows or [], problems)
    source_sheet = rows(SOURCE_SHEET, problems)
    source_rows = collect_rows(source_sheet) if source_sheet is not None else []
    sources = _sources(source_rows or [], problems)
    claims: list[Claim] = []
    cited: list[Source] = []
    relation_rows = rows(RELATION_SHEET, problems)
    if relation_rows is not None:
        checker = RelationChecker(entities, sources, title, problems, entities_complete=entity_rows is not None,
                                  sources_file=None if source_sheet is None else Path(source_sheet.name).name)
        claims = checker.claims(relation_rows)
        cited = [source for iri, source in checker.cited.items() if iri not in {s.iri for s in sources.values()}]
    if problems:
        raise problems.error()
    return _build_graph(entities, [*sources.values(), *cited], claims)


def _entities(rows: list[Row], problems: Problems) -> dict[str, Entity]:
    _, supers, disjoint, _ = ontology_terms()
    by_name = {name.lower(): iri for name, iri in AGENT_TYPES.items()}
    entities: dict[str, Entity] = {}
    for row in rows:
        entity_id = row["id"]
        if not entity_id:
            problems.add(row, "id", "missing id")
        elif not is_id(entity_id):
            problems.add(row, "id", "an id is letters, digits, '-', '_' or '.' with no spaces")
        elif entity_id in entities:
            problems.add(row, "id", f"duplicate id (first on line {entities[entity_id].row.line})")
            continue
        if not row["name"]:
            problems.add(row, "name", "missing name")
        types = []
        for part in row["type"].split(";"):
            part = part.strip()
            if not part:
                continue
            if part.lower() in by_name:
                types.append(by_name[part.lower()])
            else:
                problems.add(row, "type", f"unknown entity type{_type_hint(part)}; expected one or more of "
                             f"{', '.join(AGENT_TYPES)} separated by ';'", part)
        if not row["type"]:
            problems.add(row, "type", "missing type")
        for pair in disjoint:
            a, b = tuple(pair)
            if any(a in supers[t] for t in types) and any(b in supers[t] for t in types):
                problems.add(row, "type", "an entity cannot be both a person and an organization")
        for column, check in (("founded", date_literal), ("homepage", is_url)):
            if row[column] and not check(row[column]):
                problems.add(row, column, NOT_A_DATE if column == "founded" else NOT_A_URL)
        if row["founded"] and KG.Person in types:
            problems.add(row, "founded", "a person has no founding date; use founded in relations.csv for what they founded")
        identifiers = []
        if row["identifiers"]:
            try:
                identifiers = parse_identifiers(row["identifiers"])
            except CellError as exc:
                problems.add(row, "identifiers", str(exc))
        if is_id(entity_id):
            entities[entity_id] = Entity(DATA[entity_id], row, list(dict.fromkeys(types)), identifiers)
    return entities


def _type_key(text: str) -> str:
    """A type as kg compares it for a suggestion: any case, blanks, '-' and '_' aside (``AI Lab``: AILab)."""
    return re.sub(r"[\s_\-]+", "", text.lower())


def _type_hint(text: str) -> str:
    """`` (did you mean CloudProvider?)``: the kg type closest to an unknown one (difflib), or nothing."""
    key = _type_key(text)
    names = {_type_key(name): name for name in AGENT_TYPES}
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return f" (did you mean {names[close[0]]}?)" if close else ""


def _sources(rows: list[Row], problems: Problems) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for row in rows:
        source_id = row["id"]
        if not (is_id(source_id) or is_url(source_id)):
            problems.add(row, "id", "a source id is letters, digits, '-', '_' or '.', or the source's URL")
            continue
        if source_id in sources:
            problems.add(row, "id", "duplicate source id")
            continue
        if row["url"] and not is_url(row["url"]):
            problems.add(row, "url", NOT_A_URL)
        if row["date"] and date_literal(row["date"]) is None:
            problems.add(row, "date", _source_date_problem(row["date"]))
        iri = URIRef(source_id) if is_url(source_id) else SOURCE[source_id]
        sources[source_id] = Source(iri, row["title"], row["note"], row["url"], row["publisher"], row["date"])
    return sources


def _source_date_problem(text: str) -> str:
    """Why a sources.csv date is not one: a quarter or half-year gets its own hint (a source has one date)."""
    try:
        period = parse_period(text, end=False)
    except CellError:
        period = "bad"
    if period is not None:
        return ("a publication date is YYYY, YYYY-MM or YYYY-MM-DD, not a quarter or half-year; "
                "write the month or year it was published")
    return "not a publication date (YYYY, YYYY-MM or YYYY-MM-DD)"


# --- building the graph -----------------------------------------------------------------------

def _build_graph(entities: dict[str, Entity], sources: list[Source], claims: list[Claim]) -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    for entity in entities.values():
        row, iri = entity.row, entity.iri
        for cls in entity.types:
            graph.add((iri, RDF.type, cls))
        graph.add((iri, RDFS.label, Literal(row["name"])))
        if row["description"]:
            graph.add((iri, DCTERMS.description, Literal(row["description"], lang=PROSE_LANGUAGE)))
        if row["founded"]:
            graph.add((iri, KG.foundingDate, date_literal(row["founded"])))
        if row["country"]:
            graph.add((iri, KG.country, Literal(row["country"])))
        if row["homepage"]:
            graph.add((iri, KG.homepage, URIRef(row["homepage"])))
        for scheme, value in entity.identifiers:
            node = identifier_iri(scheme, value)
            graph.add((iri, KG.identifier, node))
            graph.add((node, RDF.type, KG.Identifier))
            graph.add((node, KG.identifierScheme, Literal(scheme)))
            graph.add((node, KG.identifierValue, Literal(value)))
    for source in sources:
        graph.add((source.iri, RDF.type, KG.Source))
        if source.title:
            graph.add((source.iri, DCTERMS.title, Literal(source.title, lang=PROSE_LANGUAGE)))
        if source.url:
            graph.add((source.iri, DCTERMS.source, URIRef(source.url)))
        if source.publisher:
            graph.add((source.iri, DCTERMS.publisher, Literal(source.publisher)))
        if source.date:
            graph.add((source.iri, DCTERMS.date, date_literal(source.date)))
        if source.note:
            graph.add((source.iri, RDFS.comment, Literal(source.note, lang=PROSE_LANGUAGE)))
    for claim in claims:
        add_claim(graph, claim)
    return graph


def add_claim(graph: Graph, claim: Claim) -> None:
    """Add a checked claim and its attestations to ``graph`` (sheets and ``kg conflicts``' assumed rows alike)."""
    for prop, value in claim.triples:
        graph.add((claim.iri, prop, value))
    for attestation in claim.attestations:
        node = _attestation_node(claim.iri, attestation)
        graph.add((claim.iri, KG.attestation, node))
        graph.add((node, RDF.type, KG.Attestation))
        graph.add((node, KG.source, attestation.source))
        graph.add((node, KG.status, attestation.status))
        if attestation.line is not None:
            graph.add((node, KG.sourceLine, Literal(attestation.line, datatype=XSD.integer)))


def _attestation_node(claim: URIRef, attestation: Attestation) -> BNode:
    """A blank node named by what it says, so two ingests of one sheet write the same output.

    Blank, like the attestations of the bundled Turtle, so both load to isomorphic
    graphs; named by content, so the same attestation read twice is one node.
    """
    key = "\n".join(map(str, (claim, attestation.source, attestation.status, attestation.line or "")))
    return BNode("att" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:20])


def ingest_to_file(folder: str | Path, output: str | Path, rdf_format: str | None = None) -> str:
    """Ingest a sheet folder and write it to ``output`` (format by extension); returns the format.

    Nothing is written when the sheet has problems.
    """
    chosen = export_format(output, rdf_format)
    graph = ingest_folder(folder)
    write_atomically(output, serialize_sorted(graph, chosen))
    return chosen.export_name
