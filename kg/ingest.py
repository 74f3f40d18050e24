"""CSV folder → RDF claims with provenance (DESIGN section 5; format tables in ``kg.sheets``).

Every cell of every file is checked before anything is built, and every bad one
is reported (an ``IngestError`` listing them), so one run tells the analyst all
there is to fix and nothing is half-ingested.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg import resources
from kg.claims import STATUS_IRIS
from kg.errors import IngestError, InputError, KgWarning, Problem
from kg.namespaces import CLAIM, DATA, KG, SOURCE, bind_prefixes
from kg.sheets import (
    AGENT_TYPES,
    AMOUNT_PROPERTIES,
    CAPACITY_CLASSES,
    COMMENT_MARK,
    ENTITY_SHEET,
    NATURES,
    PROSE_LANGUAGE,
    RELATION_SHEET,
    RELATIONS,
    SOURCE_SHEET,
    STAKE_CLASSES,
    Relation,
    SheetSpec,
    is_id,
    is_url,
    sheet_title,
    text_source_iri,
    word,
)

DEFAULT_STATUS = "reported"


# --- reading the files ------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One data row: the line it starts on and its cells by column name (stripped)."""

    file: str
    line: int
    cells: dict[str, str]
    columns: dict[str, int]  # column name -> its number, from 1

    def __getitem__(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass
class _Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, row: Row, column: str, message: str, value: str | None = None) -> None:
        value = row[column] if value is None else value
        self.items.append(Problem(row.file, row.line, row.columns.get(column, 1), message, value))


def read_rows(path: Path, spec: SheetSpec, problems: _Problems) -> list[Row] | None:
    """The data rows of one CSV file; None when the file lacks a required column.

    Spreadsheet habits are taken as they come: a byte-order mark, CRLF or LF,
    quoted cells with commas, quotes and line breaks, blanks around cells (trimmed),
    empty rows, columns in any order. Unknown columns are ignored with a warning;
    rows whose first cell starts with ``#`` are comments.
    """
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        problems.items.append(Problem(name, line, 1, "not UTF-8 text; save the sheet as CSV UTF-8", f"byte {exc.start}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header: list[str] | None = None
    rows: list[Row] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            # Blanks around a cell are never data; a line break inside one is "\n" whatever the sheet used.
            cells = [cell.replace("\r\n", "\n").replace("\r", "\n").strip() for cell in cells]
            if not any(cells):
                continue
            if header is None:
                header = [cell.lower() for cell in cells]
                columns = _check_header(name, header, spec, problems)
                if columns is None:
                    return None
                continue
            if cells[0].startswith(COMMENT_MARK):
                continue
            for number in range(len(header) + 1, len(cells) + 1):
                if cells[number - 1]:
                    problems.items.append(
                        Problem(name, start, number, "cell beyond the last column (a comma that should be quoted?)", cells[number - 1])
                    )
            values = {col: cells[i - 1] if i <= len(cells) else "" for col, i in columns.items()}
            rows.append(Row(name, start, values, columns))
    except csv.Error as exc:
        problems.items.append(Problem(name, reader.line_num, 1, f"not valid CSV: {exc}", ""))
        return None
    if header is None:
        problems.items.append(Problem(name, 1, 1, "empty file: missing header row", ", ".join(spec.required)))
        return None
    return rows


def _check_header(name: str, header: list[str], spec: SheetSpec, problems: _Problems) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for number, column in enumerate(header, start=1):
        if not column:
            continue
        if column not in spec.columns:
            warnings.warn(f"{name}: ignoring unknown column {column!r} (column {number})", KgWarning, stacklevel=4)
        elif column in columns:
            problems.items.append(Problem(name, 1, number, f"column repeated (first as column {columns[column]})", column))
        else:
            columns[column] = number
    missing = [column for column in spec.required if column not in columns]
    for column in missing:
        problems.items.append(Problem(name, 1, len(header) + 1, "missing required column", column))
    return None if missing else columns


# --- checking cells ---------------------------------------------------------------------------

_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def parse_date(text: str) -> Literal | None:
    """YYYY, YYYY-MM or YYYY-MM-DD as xsd:gYear, xsd:gYearMonth or xsd:date; None if not a date."""
    if _YEAR.match(text):
        return Literal(text, datatype=XSD.gYear)
    match = _YEAR_MONTH.match(text)
    if match and 1 <= int(match.group(2)) <= 12:
        return Literal(text, datatype=XSD.gYearMonth)
    if _DAY.match(text):
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return None
        return Literal(text, datatype=XSD.date)
    return None


def date_bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """First and last day a (partial) date covers."""
    parts = [int(p) for p in text.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else None
    if len(parts) == 3:
        day = datetime.date(*parts)
        return day, day
    first = datetime.date(year, month or 1, 1)
    last_month = month or 12
    return first, datetime.date(year, last_month, calendar.monthrange(year, last_month)[1])


def parse_decimal(text: str) -> Literal | None:
    """A decimal as written in a sheet (``1500000``, ``1,500,000``, ``2.5``); None if not a number."""
    if not (_DECIMAL.match(text) or _GROUPED.match(text)):
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    # The canonical xsd:decimal form (a point, no trailing zeros: "1500000.0"), the one
    # Turtle writers print, so a sheet, its Turtle and its CSV export hold equal literals.
    lexical = "0.0" if value.is_zero() else format(value.normalize(), "f")
    if "." not in lexical:
        lexical += ".0"
    return Literal(lexical, datatype=XSD.decimal)


@lru_cache(maxsize=1)
def ontology_terms() -> tuple[dict[URIRef, URIRef], dict[URIRef, frozenset[URIRef]], frozenset, dict[URIRef, str]]:
    """Role ranges, the superclasses of each agent type, disjoint pairs and labels, from kg.ttl.

    The ontology says who may play which role (a person cannot buy compute);
    reading it keeps ingest and the ontology from drifting apart.
    """
    from kg.claims import CLAIM_TYPES

    onto = Graph().parse(resources.ontology_path(), format="turtle")
    roles = [role for ct in CLAIM_TYPES.values() for role in (ct.subject_role, ct.object_role)]
    ranges = {role: onto.value(role, RDFS.range) for role in roles}
    supers = {cls: frozenset(onto.transitive_objects(cls, RDFS.subClassOf)) for cls in AGENT_TYPES.values()}
    disjoint = frozenset(frozenset(pair) for pair in onto.subject_objects(OWL.disjointWith))
    labels = {node: str(onto.value(node, RDFS.label)) for node in [*roles, *set(ranges.values())]}
    return ranges, supers, disjoint, labels


# --- the three sheets -------------------------------------------------------------------------

@dataclass
class Entity:
    iri: URIRef
    row: Row
    types: list[URIRef]


@dataclass
class Source:
    iri: URIRef
    title: str
    note: str


@dataclass
class Attestation:
    source: URIRef
    status: URIRef
    line: int | None  # the sheet line when the source is a sheet row


@dataclass
class Claim:
    iri: URIRef | None
    row: Row
    relation: Relation
    triples: frozenset  # (predicate, object) pairs besides the attestations
    attestations: list[Attestation] = field(default_factory=list)


def ingest_folder(folder: str | Path) -> Graph:
    """Read ``entities.csv`` (and ``relations.csv``, ``sources.csv`` when present) into a new graph.

    Raises ``IngestError`` listing every bad cell when the sheet has any.
    """
    folder = Path(folder)
    paths = {spec.file: folder / spec.file for spec in (ENTITY_SHEET, SOURCE_SHEET, RELATION_SHEET)}
    if not paths[ENTITY_SHEET.file].is_file():
        raise InputError(f"{paths[ENTITY_SHEET.file]}: no such file; a sheet folder needs entities.csv")
    problems = _Problems()
    entity_rows = read_rows(paths[ENTITY_SHEET.file], ENTITY_SHEET, problems)
    entities = _entities(entity_rows or [], problems)
    source_rows = read_rows(paths[SOURCE_SHEET.file], SOURCE_SHEET, problems) if paths[SOURCE_SHEET.file].is_file() else []
    sources = _sources(source_rows or [], problems)
    claims: list[Claim] = []
    cited: list[Source] = []
    if paths[RELATION_SHEET.file].is_file():
        relation_rows = read_rows(paths[RELATION_SHEET.file], RELATION_SHEET, problems) or []
        checker = _RelationChecker(entities, sources, sheet_title(folder), problems, entities_complete=entity_rows is not None)
        claims = checker.claims(relation_rows)
        cited = [source for iri, source in checker.cited.items() if iri not in {s.iri for s in sources.values()}]
    if problems.items:
        raise IngestError(problems.items)
    return _build_graph(entities, [*sources.values(), *cited], claims)


def _entities(rows: list[Row], problems: _Problems) -> dict[str, Entity]:
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
                problems.add(row, "type", f"unknown entity type; expected one or more of {', '.join(AGENT_TYPES)} separated by ';'", part)
        if not row["type"]:
            problems.add(row, "type", "missing type")
        for pair in disjoint:
            a, b = tuple(pair)
            if any(a in supers[t] for t in types) and any(b in supers[t] for t in types):
                problems.add(row, "type", "an entity cannot be both a person and an organization")
        for column, check in (("founded", parse_date), ("homepage", is_url)):
            if row[column] and not check(row[column]):
                what = "not a date (YYYY, YYYY-MM or YYYY-MM-DD)" if column == "founded" else "not a URL (http:// or https://)"
                problems.add(row, column, what)
        if row["founded"] and KG.Person in types:
            problems.add(row, "founded", "a person has no founding date; use founded in relations.csv for what they founded")
        if is_id(entity_id):
            entities[entity_id] = Entity(DATA[entity_id], row, list(dict.fromkeys(types)))
    return entities


def _sources(rows: list[Row], problems: _Problems) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for row in rows:
        source_id = row["id"]
        if not (is_id(source_id) or is_url(source_id)):
            problems.add(row, "id", "a source id is letters, digits, '-', '_' or '.', or the source's URL")
            continue
        if source_id in sources:
            problems.add(row, "id", "duplicate source id")
            continue
        iri = URIRef(source_id) if is_url(source_id) else SOURCE[source_id]
        sources[source_id] = Source(iri, row["title"], row["note"])
    return sources


class _RelationChecker:
    """Turns relations.csv rows into claims, reporting each bad cell."""

    def __init__(self, entities: dict[str, Entity], sources: dict[str, Source], sheet: str,
                 problems: _Problems, *, entities_complete: bool) -> None:
        self.entities, self.sources, self.sheet, self.problems = entities, sources, sheet, problems
        self.entities_complete = entities_complete
        self.cited: dict[URIRef, Source] = {}
        self.ranges, self.supers, _, self.labels = ontology_terms()

    def claims(self, rows: list[Row]) -> list[Claim]:
        by_id: dict[str, Claim] = {}
        unnamed: list[tuple[str, Claim]] = []
        for row in rows:
            claim = self._claim(row)
            attestation = self._attestation(row)
            if claim is None or attestation is None:
                continue
            claim_id = row["id"]
            if not claim_id:
                unnamed.append((self._base_id(row, claim.relation), claim))
                claim.attestations.append(attestation)
            elif not is_id(claim_id):
                self.problems.add(row, "id", "a claim id is letters, digits, '-', '_' or '.' with no spaces")
            elif claim_id in by_id:
                first = by_id[claim_id]
                if first.triples != claim.triples:
                    self.problems.add(row, "id", f"claim id used on line {first.row.line} for a different claim; "
                                      "rows sharing an id differ only in source, source_line and status")
                else:
                    first.attestations.append(attestation)
            else:
                claim.iri = CLAIM[claim_id]
                claim.attestations.append(attestation)
                by_id[claim_id] = claim
        # Rows without an id get subject-relation-object, and -2, -3 ... for repeats, in row order.
        taken = set(by_id)
        for base, claim in unnamed:
            claim_id, number = base, 1
            while claim_id in taken:
                number += 1
                claim_id = f"{base}-{number}"
            taken.add(claim_id)
            claim.iri = CLAIM[claim_id]
        return [*by_id.values(), *(claim for _, claim in unnamed)]

    @staticmethod
    def _base_id(row: Row, relation: Relation) -> str:
        if relation.reverse:  # subsidiary_of is named as the control it states
            return f"{row['object']}-controls-{row['subject']}"
        return f"{row['subject']}-{relation.name.replace('_', '-')}-{row['object']}"

    def _claim(self, row: Row) -> Claim | None:
        relation = RELATIONS.get(word(row["relation"]))
        if relation is None:
            self.problems.add(row, "relation", f"unknown relation; expected one of {', '.join(RELATIONS)}")
        claim_type = relation.claim_type if relation else None
        cls = claim_type.cls if claim_type else None
        pairs: set[tuple[URIRef, object]] = set()
        agents = {column: self._agent(row, column) for column in ("subject", "object")}
        if relation is not None:
            # subsidiary_of reads object-controls-subject: its object plays the controller.
            columns = ("object", "subject") if relation.reverse else ("subject", "object")
            for column, role in zip(columns, (claim_type.subject_role, claim_type.object_role)):
                entity = agents[column]
                if entity is not None:
                    self._check_role(row, column, entity, role, relation)
                    pairs.add((role, entity.iri))
            pairs.add((RDF.type, cls))
        if row["subject"] and row["subject"] == row["object"]:
            self.problems.add(row, "object", "subject and object are the same entity")
        pairs |= self._dates(row)
        pairs |= self._money(row, cls)
        pairs |= self._nature(row, relation)
        if row["note"]:
            pairs.add((RDFS.comment, Literal(row["note"], lang=PROSE_LANGUAGE)))
        if relation is None:
            return None
        return Claim(None, row, relation, frozenset(pairs))

    def _agent(self, row: Row, column: str) -> Entity | None:
        entity_id = row[column]
        if not entity_id:
            self.problems.add(row, column, f"missing {column}")
            return None
        entity = self.entities.get(entity_id)
        if entity is None and self.entities_complete:
            self.problems.add(row, column, "unknown id; not in entities.csv")
        return entity

    def _check_role(self, row: Row, column: str, entity: Entity, role: URIRef, relation: Relation) -> None:
        needed = self.ranges[role]
        if needed is None or not entity.types:
            return
        if not any(needed in self.supers[t] for t in entity.types):
            kinds = "; ".join(t.rsplit("#", 1)[-1] for t in map(str, entity.types))
            self.problems.add(
                row, column,
                f"a {kinds} cannot be the {self.labels[role]} of {relation.name}: it must be a kg {self.labels[needed]}",
            )

    def _dates(self, row: Row) -> set:
        pairs = set()
        valid = 0
        for column, prop in (("start", KG.startDate), ("end", KG.endDate)):
            if row[column]:
                literal = parse_date(row[column])
                if literal is None:
                    self.problems.add(row, column, "not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
                else:
                    pairs.add((prop, literal))
                    valid += 1
        if valid == 2:
            if date_bounds(row["end"])[1] < date_bounds(row["start"])[0]:
                self.problems.add(row, "end", f"end date is before the start date {row['start']}")
        return pairs

    def _money(self, row: Row, cls: URIRef | None) -> set:
        pairs = set()
        checks = (
            ("amount", AMOUNT_PROPERTIES.get(cls), AMOUNT_PROPERTIES, None),
            ("stake", KG.stake if cls in STAKE_CLASSES else None, STAKE_CLASSES, Decimal(100)),
            ("capacity_mw", KG.capacityMW if cls in CAPACITY_CLASSES else None, CAPACITY_CLASSES, None),
        )
        for column, prop, allowed, maximum in checks:
            if not row[column]:
                continue
            literal = parse_decimal(row[column])
            if literal is None:
                self.problems.add(row, column, "not a number")
                continue
            value = Decimal(str(literal))
            if value < 0:
                self.problems.add(row, column, f"{column} must not be negative")
            elif maximum is not None and value > maximum:
                self.problems.add(row, column, "stake is a percentage from 0 to 100")
            elif cls is not None and prop is None:
                self.problems.add(row, column, f"{column} applies only to {_relation_names(allowed)}", row[column])
            elif prop is not None:
                pairs.add((prop, literal))
        currency = row["currency"]
        if currency:
            if not _CURRENCY.match(currency):
                self.problems.add(row, "currency", "a currency is a three-letter ISO 4217 code such as USD")
            elif not row["amount"]:
                self.problems.add(row, "currency", "a currency needs an amount")
            else:
                pairs.add((KG.currency, Literal(currency.upper())))
        return pairs

    def _nature(self, row: Row, relation: Relation | None) -> set:
        text = row["nature"] or (relation.fixed_nature if relation else "") or ""
        if relation is None or not text:
            return set()
        cls = relation.claim_type.cls
        nature = NATURES.get(cls)
        if nature is None:
            self.problems.add(row, "nature", f"{relation.name} takes no nature")
            return set()
        if nature.terms is None:
            return {(nature.prop, Literal(text))}
        allowed = [relation.fixed_nature] if relation.fixed_nature else list(nature.terms)
        if word(text) not in allowed:
            self.problems.add(row, "nature", f"unknown nature for {relation.name}; expected one of {', '.join(allowed)}")
            return set()
        return {(nature.prop, nature.terms[word(text)])}

    def _attestation(self, row: Row) -> Attestation | None:
        status = STATUS_IRIS.get(word(row["status"] or DEFAULT_STATUS))
        if status is None:
            self.problems.add(row, "status", f"unknown status; expected one of {', '.join(STATUS_IRIS)}")
        source_text, line_text = row["source"], row["source_line"]
        given_line = int(line_text) if line_text.isascii() and line_text.isdigit() and int(line_text) > 0 else None
        if line_text and not source_text:
            self.problems.add(row, "source_line", "a source line needs a source")
        elif line_text and given_line is None:
            self.problems.add(row, "source_line", "a source line is a whole number from 1")
        # A row without a source cites itself: the sheet, at the row's own line.
        line = given_line if source_text else row.line
        if not source_text:
            source = self._cite(text_source_iri(self.sheet), self.sheet)
        elif source_text in self.sources:
            source = self.sources[source_text].iri
        elif source_text.lower().startswith(("http://", "https://")):
            if not is_url(source_text):
                self.problems.add(row, "source", "not a valid URL (spaces or <>\"{}|\\^` in it?)")
                return None
            source = self._cite(URIRef(source_text), "")
        else:
            source = self._cite(text_source_iri(source_text), source_text)
        if status is None:
            return None
        return Attestation(source, status, line)

    def _cite(self, iri: URIRef, title: str) -> URIRef:
        """A source named in a row rather than in sources.csv: a URL, or a title (the sheet's own, when blank)."""
        self.cited.setdefault(iri, Source(iri, title, ""))
        return iri


def _relation_names(classes) -> str:
    return ", ".join(r.name for r in RELATIONS.values() if r.claim_type.cls in classes)


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
            graph.add((iri, KG.foundingDate, parse_date(row["founded"])))
        if row["country"]:
            graph.add((iri, KG.country, Literal(row["country"])))
        if row["homepage"]:
            graph.add((iri, KG.homepage, URIRef(row["homepage"])))
    for source in sources:
        graph.add((source.iri, RDF.type, KG.Source))
        if source.title:
            graph.add((source.iri, DCTERMS.title, Literal(source.title, lang=PROSE_LANGUAGE)))
        if source.note:
            graph.add((source.iri, RDFS.comment, Literal(source.note, lang=PROSE_LANGUAGE)))
    for claim in claims:
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
    return graph


def _attestation_node(claim: URIRef, attestation: Attestation) -> BNode:
    """A blank node named by what it says, so two ingests of one sheet write the same output.

    Blank, like the attestations of the bundled Turtle, so both load to isomorphic
    graphs; named by content, so the same attestation read twice is one node.
    """
    key = "\n".join(map(str, (claim, attestation.source, attestation.status, attestation.line or "")))
    return BNode("att" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:20])


# --- writing ----------------------------------------------------------------------------------

def serialize_sorted(graph: Graph, rdf_format: str) -> bytes:
    """Serialize with the same bytes in every run: line formats sorted, others from a sorted store."""
    from kg.export import serialize_graph

    # rdflib writes in the order the store yields triples; a store filled in sorted
    # order yields them the same way in every run (the hash seed changes set order).
    ordered = Graph()
    for prefix, namespace in graph.namespaces():
        ordered.bind(prefix, namespace, override=True)
    for triple in sorted(graph, key=lambda t: tuple(term.n3() for term in t)):
        ordered.add(triple)
    data = serialize_graph(ordered, rdf_format)
    if rdf_format in ("nt", "nq"):
        lines = sorted(set(data.decode("utf-8").splitlines()) - {""})
        data = ("\n".join(lines) + "\n").encode("utf-8")
    elif rdf_format == "jsonld":  # JSON-LD arrays are sets (lists are "@list" objects): sort them
        data = (json.dumps(_sorted_json(json.loads(data)), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    return data


def _sorted_json(value):
    if isinstance(value, dict):
        return {key: item if key == "@list" else _sorted_json(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_json(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


def ingest_to_file(folder: str | Path, output: str | Path, rdf_format: str | None = None) -> str:
    """Ingest a sheet folder and write it to ``output`` (format by extension); returns the format.

    Nothing is written when the sheet has problems.
    """
    from kg.export import export_format_for, write_atomically

    rdf_format = export_format_for(output, rdf_format)
    graph = ingest_folder(folder)
    write_atomically(output, serialize_sorted(graph, rdf_format))
    return rdf_format
