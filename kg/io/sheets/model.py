"""The pieces the spreadsheet reader works with: rows located in their file, problems, parsed cells."""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDFS, XSD, Graph, Literal, URIRef

from kg import resources
from kg.errors import InputError, KgWarning, Problem
from kg.io.sheets.spec import AGENT_TYPES, COMMENT_MARK, Relation, SheetSpec
from kg.vocab import CLAIM_TYPES

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


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
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, row: Row, column: str, message: str, value: str | None = None) -> None:
        value = row[column] if value is None else value
        self.items.append(Problem(row.file, row.line, row.columns.get(column, 1), message, value))


def read_rows(path: Path, spec: SheetSpec, problems: Problems) -> list[Row] | None:
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


def _check_header(name: str, header: list[str], spec: SheetSpec, problems: Problems) -> dict[str, int] | None:
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
    onto = Graph().parse(resources.ontology_path(), format="turtle")
    roles = [role for ct in CLAIM_TYPES.values() for role in (ct.subject_role, ct.object_role)]
    ranges = {role: onto.value(role, RDFS.range) for role in roles}
    supers = {cls: frozenset(onto.transitive_objects(cls, RDFS.subClassOf)) for cls in AGENT_TYPES.values()}
    disjoint = frozenset(frozenset(pair) for pair in onto.subject_objects(OWL.disjointWith))
    labels = {node: str(onto.value(node, RDFS.label)) for node in [*roles, *set(ranges.values())]}
    return ranges, supers, disjoint, labels


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
