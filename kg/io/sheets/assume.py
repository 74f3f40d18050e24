"""Assumed rows: relations.csv rows that ``kg conflicts`` adds as hypothetical claims (what-if).

An assumption is a relations.csv row, checked cell by cell by the sheet's own
checker (``kg.io.sheets.relations``), about entities the data already has. Its
claim is new and cites only itself: claim ``kgd:claim/assumption/N`` with one
attestation whose source is ``kgd:source/assumption/N``, titled "Assumption N:
<the row>", so that every output can tell it from the data.

A row given inline has the columns of relations.csv in the template's order
without ``id`` (``ASSUMPTION_COLUMNS``: subject, relation, object, start, end,
status, stage, ...); trailing cells may be left out. A file of assumptions is a
relations.csv with its header. ``status`` defaults to reported, as in a sheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from rdflib import RDF, Graph, Literal
from rdflib.namespace import DCTERMS

from kg.errors import AssumptionError, Problem
from kg.io.sheets.model import Attestation, Claim, Entity, Problems, Row, SheetRows
from kg.io.sheets.read import add_claim
from kg.io.sheets.relations import RelationChecker
from kg.io.sheets.spec import PROSE_LANGUAGE, RELATION_SHEET
from kg.vocab import CLAIM, KG, SOURCE

#: The columns of an inline row, in order: relations.csv's, without the claim id.
ASSUMPTION_COLUMNS = tuple(column for column in RELATION_SHEET.columns if column != "id")
#: Columns an assumption leaves empty: it is a new claim, and its own source.
_OWN_COLUMNS = {
    "id": "an assumption is a new claim: leave id empty",
    "source": "an assumption is its own source: leave source empty (say where it comes from in note)",
    "source_line": "an assumption is its own source: leave source_line empty",
}


@dataclass(frozen=True)
class AssumedRow:
    """One assumption as given: its number (from 1, inline rows first), its cells, the row as text."""

    number: int
    row: Row
    text: str  # the row as given inline, or a file row's cells in ASSUMPTION_COLUMNS order
    origin: str | None  # "file.csv:3" for a row of a file; None inline

    @property
    def claim(self):
        return CLAIM[f"assumption/{self.number}"]

    @property
    def source(self):
        return SOURCE[f"assumption/{self.number}"]

    @property
    def title(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        return f"Assumption {self.number}{where}: {self.text}"

    @property
    def label(self) -> str:
        """How an error names the row."""
        if self.origin:
            return f"{self.origin} (assumption {self.number})"
        return f"assumption {self.number} ({self.text})"


class AssumptionRows:
    """Rows given as assumptions, read and checked as relations.csv rows; every bad cell recorded."""

    def __init__(self) -> None:
        self.problems = Problems()
        self.rows: list[AssumedRow] = []

    def add(self, item: str | Mapping[str, str]) -> None:
        """One inline row: CSV text in ``ASSUMPTION_COLUMNS`` order, or a mapping of column to cell."""
        number = len(self.rows) + 1
        name = f"assumption {number}"
        columns = {column: index for index, column in enumerate(ASSUMPTION_COLUMNS, start=1)}
        if isinstance(item, Mapping):
            unknown = [str(key) for key in item if key not in columns]
            cells = {column: str(item.get(column) or "").strip() for column in ASSUMPTION_COLUMNS}
            text = _row_text(cells)
            for key in unknown:
                self.problems.record(Problem(name, 1, 1, f"unknown column; expected some of {', '.join(ASSUMPTION_COLUMNS)}", key))
        else:
            text = str(item).strip()
            records = [record for record in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in record)]
            record = [cell.strip() for cell in records[0]] if records else []
            if len(records) != 1:
                self.problems.record(Problem(name, 1, 1, "an assumption is one row of cells separated by commas", text))
            for index in range(len(ASSUMPTION_COLUMNS), len(record)):
                if record[index]:
                    self.problems.record(
                        Problem(name, 1, index + 1, f"more cells than the {len(ASSUMPTION_COLUMNS)} columns an assumption has "
                                f"({', '.join(ASSUMPTION_COLUMNS)})", record[index])
                    )
            cells = {column: record[index] if index < len(record) else "" for index, column in enumerate(ASSUMPTION_COLUMNS)}
        self.rows.append(AssumedRow(number, Row(name, 1, cells, columns), text, None))

    def add_file(self, path: str | Path) -> None:
        """The rows of a relations.csv-like file (with its header), each an assumption."""
        path = Path(path)
        for row in SheetRows(path, RELATION_SHEET, self.problems):
            text = _row_text({column: row[column] for column in ASSUMPTION_COLUMNS})
            self.rows.append(AssumedRow(len(self.rows) + 1, row, text, f"{row.file}:{row.line}"))

    def ids(self) -> set[str]:
        """Every id a row names as its subject or object."""
        return {assumed.row[column] for assumed in self.rows for column in ("subject", "object") if assumed.row[column]}

    def claims(self, entities: dict[str, Entity], close_to: Callable[[str], str] = lambda _: "") -> list[tuple[AssumedRow, Claim]]:
        """Each row's claim; an ``AssumptionError`` (one line per bad row) when any cell is bad.

        ``entities`` are the entities of the data the rows may name, by id;
        ``close_to(id)`` says which known ids an unknown one is close to.
        """
        for assumed in self.rows:
            row = assumed.row
            for column, message in _OWN_COLUMNS.items():
                if row[column]:
                    self.problems.add(row, column, message)
            for column in ("subject", "object"):
                if row[column] and row[column] not in entities:
                    self.problems.add(row, column, "unknown id; not in the data" + close_to(row[column]))
        checker = RelationChecker(entities, {}, "assumptions", self.problems, entities_complete=False)
        made = checker.claims(assumed.row for assumed in self.rows)
        if self.problems:
            raise self.error()
        by_row = {(assumed.row.file, assumed.row.line): assumed for assumed in self.rows}
        claims = []
        for claim in made:
            assumed = by_row[(claim.row.file, claim.row.line)]
            claim.iri = assumed.claim
            claim.attestations = [Attestation(assumed.source, claim.attestations[0].status, None)]
            claims.append((assumed, claim))
        return sorted(claims, key=lambda pair: pair[0].number)

    def error(self) -> AssumptionError:
        """The problems, one line per bad row: where the row is, then each bad cell and why."""
        by_row = {(assumed.row.file, assumed.row.line): assumed for assumed in self.rows}
        grouped: dict[tuple, list[Problem]] = {}
        others = []
        for problem in self.problems.error().problems:
            key = (problem.file, problem.line)
            if key in by_row:
                grouped.setdefault(key, []).append(problem)
            else:  # the file itself (no header, not CSV) or a count of problems not listed
                others.append(str(problem))
        lines = []
        for key, problems in sorted(grouped.items(), key=lambda item: by_row[item[0]].number):
            assumed = by_row[key]
            names = {number: column for column, number in assumed.row.columns.items()}
            parts = []
            for problem in sorted(problems, key=lambda problem: problem.column):
                column = names.get(problem.column, f"column {problem.column}")
                parts.append(f'{column} "{problem.value}": {problem.message}' if problem.value else f"{column}: {problem.message}")
            lines.append(f"{assumed.label}: " + "; ".join(parts))
        return AssumptionError(others + lines)


def assumptions_graph(claims: list[tuple[AssumedRow, Claim]]) -> Graph:
    """The assumed claims, each with its attestation and its source (titled "Assumption N: <row>")."""
    graph = Graph()
    for assumed, claim in claims:
        add_claim(graph, claim)
        graph.add((assumed.source, RDF.type, KG.Source))
        graph.add((assumed.source, DCTERMS.title, Literal(assumed.title, lang=PROSE_LANGUAGE)))
    return graph


def _row_text(cells: dict[str, str]) -> str:
    """Cells as one CSV row in ``ASSUMPTION_COLUMNS`` order, without the empty cells at its end."""
    values = [cells.get(column, "") for column in ASSUMPTION_COLUMNS]
    while values and not values[-1]:
        values.pop()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
