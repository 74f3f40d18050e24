"""The pieces the spreadsheet reader works with: rows located in their file, problems, parsed cells."""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDFS, XSD, Graph, Literal, URIRef

from kg import resources
from kg.errors import IngestError, InputError, KgWarning, Problem
from kg.io.sheets.spec import AGENT_TYPES, COMMENT_MARK, Relation, SheetSpec
from kg.io.text import plain_cell
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


@dataclass(frozen=True)
class ProblemCount(Problem):
    """Problems of one kind that are counted, not listed (the report lists the first few of each kind)."""

    count: int = 0

    def __str__(self) -> str:
        return f"{self.file}: {self.count:,} more like \"{self.message}\" (column {self.column}), not listed"


@dataclass
class Problems:
    """The bad cells of one sheet: the first ``PER_KIND`` of each kind kept, the rest only counted.

    A sheet with a million bad rows gives a report of a few dozen lines, in memory
    that does not grow with the number of problems. A kind is a message in one
    column of one file (numbers in the message, such as a line, aside).
    """

    PER_KIND = 10
    MAX_KINDS = 200  # beyond this many kinds, problems are counted together

    items: list[Problem] = field(default_factory=list)
    total: int = 0
    kinds: dict[tuple, list] = field(default_factory=dict)  # kind -> [its first problem, how many]
    uncounted_kinds: int = 0

    def add(self, row: Row, column: str, message: str, value: str | None = None) -> None:
        value = row[column] if value is None else value
        self.record(Problem(row.file, row.line, row.columns.get(column, 1), message, value))

    def record(self, problem: Problem) -> None:
        self.total += 1
        kind = (problem.file, problem.column, _NUMBER.sub("#", problem.message))
        seen = self.kinds.get(kind)
        if seen is None:
            if len(self.kinds) >= self.MAX_KINDS:
                self.uncounted_kinds += 1
                return
            seen = self.kinds[kind] = [problem, 0]
        seen[1] += 1
        if seen[1] <= self.PER_KIND:
            self.items.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0

    def error(self) -> IngestError:
        """The error to raise: the problems kept, then a count for each kind with more."""
        report = list(self.items)
        for first, count in self.kinds.values():
            if count > self.PER_KIND:
                report.append(ProblemCount(first.file, 0, first.column, first.message, "", count - self.PER_KIND))
        if self.uncounted_kinds:
            file = report[-1].file
            report.append(ProblemCount(file, 0, 0, "problems of other kinds", "", self.uncounted_kinds))
        return IngestError(report)


_NUMBER = re.compile(r"\d+")


def read_rows(path: Path, spec: SheetSpec, problems: Problems) -> list[Row] | None:
    """The data rows of one CSV file; None when the file lacks a required column or is not CSV."""
    return collect_rows(SheetRows(path, spec, problems))


def collect_rows(rows) -> list[Row] | None:
    """All the rows of a ``SheetRows`` (or a workbook's ``WorksheetRows``); None when its header or its text is bad."""
    if rows.columns is None:
        return None
    found = list(rows)
    return None if rows.broken else found


class SheetRows:
    """The data rows of one CSV file, read one at a time (a sheet of a million bad rows is never all in memory).

    ``columns`` is None when the header lacks a required column (or the file is
    not UTF-8 or empty); ``broken`` turns true when the file stops being CSV
    midway. Either is recorded in ``problems``.

    Spreadsheet habits are taken as they come: a byte-order mark, CRLF or LF,
    quoted cells with commas, quotes and line breaks, blanks around cells (trimmed),
    empty rows, columns in any order. Unknown columns are ignored with a warning;
    rows whose first cell starts with ``#`` are comments. A ``'`` before a
    formula character (``'=``, ``'+``, ``'-``, ``'@``) is taken off, as kg's CSV
    export adds it (``kg.io.text.spreadsheet_cell``).
    """

    def __init__(self, path: Path, spec: SheetSpec, problems: Problems) -> None:
        self.name, self.problems = str(path), problems
        self.columns: dict[str, int] | None = None
        self.header: list[str] = []
        self.broken = False
        try:
            # Read as a stream: the file is never all in memory, as text or as rows.
            self.handle = open(path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        self.path = path
        self.reader = csv.reader(self.handle, strict=False, delimiter=self._delimiter())
        for _, cells in self._lines():
            self.header = [cell.lower() for cell in cells]
            self.columns = check_header(self.name, self.header, spec, problems)
            if self.columns is None:
                self.handle.close()
            return
        if not self.broken:
            problems.record(Problem(self.name, 1, 1, "empty file: missing header row", ", ".join(spec.required)))

    def _delimiter(self) -> str:
        """The delimiter the header uses: ',' , ';' (a European Excel's CSV) or a tab, sniffed from the first line."""
        try:
            first = self.handle.readline(1 << 16)
            self.handle.seek(0)
            return csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
        except (csv.Error, UnicodeDecodeError):
            self.handle.seek(0)
            return ","

    def _lines(self):
        """(line, trimmed cells) of each line with a non-blank cell; a CSV error ends them."""
        reader = self.reader
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                self.handle.close()
                return
            except csv.Error as exc:
                self.problems.record(Problem(self.name, reader.line_num, 1, f"not valid CSV: {exc}", ""))
                return self._stop()
            except UnicodeDecodeError:
                line, offset = _first_bad_utf8(self.path)
                self.problems.record(Problem(self.name, line, 1, "not UTF-8 text; save the sheet as CSV UTF-8", f"byte {offset}"))
                return self._stop()
            except OSError as exc:
                self.handle.close()
                raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
            # Blanks around a cell are never data; a line break inside one is "\n" whatever the sheet used;
            # the "'" kg's CSV export puts before a formula character is not data either.
            cells = [plain_cell(cell.replace("\r\n", "\n").replace("\r", "\n").strip()) for cell in cells]
            if any(cells):
                yield start, cells

    def _stop(self) -> None:
        self.broken = True
        self.handle.close()

    def __iter__(self):
        if self.columns is None:
            return
        columns, width = self.columns, len(self.header)
        for start, cells in self._lines():
            if cells[0].startswith(COMMENT_MARK):
                continue
            for number in range(width + 1, len(cells) + 1):
                if cells[number - 1]:
                    self.problems.record(
                        Problem(self.name, start, number, "cell beyond the last column (a comma that should be quoted?)", cells[number - 1])
                    )
            values = {col: cells[i - 1] if i <= len(cells) else "" for col, i in columns.items()}
            yield Row(self.name, start, values, columns)


def _first_bad_utf8(path: Path) -> tuple[int, int]:
    """The line and byte offset of the first byte that is not UTF-8, read in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with open(path, "rb") as handle:
        while block := handle.read(1 << 16):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return lines + block[: exc.start].count(b"\n"), offset + exc.start
            offset, lines = offset + len(block), lines + block.count(b"\n")
    return lines, offset


def check_header(name: str, header: list[str], spec: SheetSpec, problems: Problems, stacklevel: int = 4) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for number, column in enumerate(header, start=1):
        if not column:
            continue
        if column not in spec.columns:
            close = difflib.get_close_matches(column, spec.columns, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.warn(f"{name}:1:{number}: ignoring unknown column {column!r}{hint}; the columns kg reads "
                          f"here are {', '.join(spec.columns)}", KgWarning, stacklevel=stacklevel)
        elif column in columns:
            problems.record(Problem(name, 1, number, f"column repeated (first as column {columns[column]})", column))
        else:
            columns[column] = number
    missing = [column for column in spec.required if column not in columns]
    for column in missing:
        problems.record(Problem(name, 1, len(header) + 1, "missing required column", column))
    return None if missing else columns


def parse_decimal(text: str) -> Literal | None:
    """A decimal as written in a sheet (``1500000``, ``1,500,000``, ``2.5``); None if not a number."""
    if not (_DECIMAL.match(text) or _GROUPED.match(text)):
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return share_literal(value)


def share_literal(value: Decimal) -> Literal:
    """A decimal in the canonical xsd:decimal form (a point, no trailing zeros: "1500000.0"), the
    one Turtle writers print, so a sheet, its Turtle and its CSV export hold equal literals."""
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
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (scheme, value), normalised


@dataclass
class Source:
    iri: URIRef
    title: str
    note: str
    url: str = ""  # where to read it (dcterms:source)
    publisher: str = ""  # who published it (dcterms:publisher)
    date: str = ""  # when it was published: YYYY, YYYY-MM or YYYY-MM-DD (dcterms:date)


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
