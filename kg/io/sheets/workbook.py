"""An ``.xlsx`` workbook read as a sheet folder: its worksheets ``entities``, ``relations`` and ``sources``.

Each worksheet has the columns of the CSV file of the same name; its rows come out
as the ``Row`` objects the CSV reader gives, located as ``book.xlsx[relations]``
with the worksheet's row number and column number. A cell that the workbook keeps
as a number or a date reads as the text a CSV export of it would hold: ``12.0`` is
``12``, a date is ``YYYY-MM-DD`` (``YYYY-MM`` or ``YYYY`` when the cell shows no
day or no month), a percentage-formatted ``0.49`` is ``49%``.
"""

from __future__ import annotations

import datetime
import re
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

from kg.errors import InputError, KgWarning, Problem
from kg.io.sheets.model import Problems, Row, check_header
from kg.io.sheets.spec import COMMENT_MARK, ENTITY_SHEET, RELATION_SHEET, SheetSpec

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: The worksheets a workbook must have (the sources worksheet is optional, as sources.csv is).
REQUIRED_WORKSHEETS = (ENTITY_SHEET, RELATION_SHEET)
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')  # literal text and colours in a number format


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in WORKBOOK_SUFFIXES


#: The CSV files of a sheet folder; a folder that holds one of them and a workbook holds two sheets.
SHEET_CSV_FILES = ("entities.csv", "relations.csv", "sources.csv")


def folder_workbook(folder: Path) -> Path | None:
    """The workbook a folder holds as its sheet instead of CSV files; None when it holds none.

    Excel's lock files (``~$book.xlsx``) and hidden files are not workbooks. A folder
    that holds CSV files of a sheet and a workbook, or two workbooks, holds two
    sheets, and kg will not guess which is meant: an ``InputError`` names them.
    """
    books = sorted(
        path for path in folder.iterdir()
        if is_workbook(path) and not path.name.startswith(("~$", ".")) and path.is_file()
    )
    csvs = [name for name in SHEET_CSV_FILES if (folder / name).exists()]
    if books and csvs:
        raise InputError(
            f"{folder}: holds both a CSV sheet ({', '.join(csvs)}) and the workbook {books[0].name}; "
            f"kg reads one sheet from a folder: move one of them out, or give the workbook by its path"
        )
    if len(books) > 1:
        raise InputError(
            f"{folder}: holds {len(books)} workbooks ({', '.join(book.name for book in books)}); "
            f"kg reads one sheet from a folder: give the workbook to read by its path"
        )
    return books[0] if books else None


def worksheet_name(spec: SheetSpec) -> str:
    """``relations.csv`` → ``relations``."""
    return spec.file.rsplit(".", 1)[0]


class Workbook:
    """An open workbook; ``rows(spec)`` the rows of one worksheet, or None when it has no such worksheet."""

    def __init__(self, path: Path) -> None:
        import openpyxl  # only a workbook needs it

        self.path = path
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputError(f"{path}: not an .xlsx workbook kg can read ({exc})") from None
        self.sheets = {name.strip().lower(): name for name in self.book.sheetnames}
        missing = [worksheet_name(spec) for spec in REQUIRED_WORKSHEETS if worksheet_name(spec) not in self.sheets]
        if missing:
            self.close()
            has = ", ".join(self.book.sheetnames) or "none"
            raise InputError(
                f"{path}: no worksheet named {' or '.join(missing)}; a workbook needs worksheets entities and "
                f"relations (and optionally sources), with the columns of the CSV files; it has: {has}"
            )

    def has(self, spec: SheetSpec) -> bool:
        return worksheet_name(spec) in self.sheets

    def rows(self, spec: SheetSpec, problems: Problems) -> "WorksheetRows":
        return WorksheetRows(self, spec, problems)

    def close(self) -> None:
        self.book.close()


class WorksheetRows:
    """The data rows of one worksheet, with the interface of ``SheetRows`` (``columns``, ``broken``, iteration)."""

    def __init__(self, workbook: Workbook, spec: SheetSpec, problems: Problems) -> None:
        sheet = worksheet_name(spec)
        self.name = f"{workbook.path}[{sheet}]"
        self.problems = problems
        self.broken = False
        self.columns: dict[str, int] | None = None
        self.header: list[str] = []
        self.lines = self._lines(workbook.book[workbook.sheets[sheet]])
        for _, cells in self.lines:
            self.header = [cell.lower() for cell in cells]
            self.columns = check_header(self.name, self.header, spec, problems, stacklevel=5)
            return
        problems.record(Problem(self.name, 1, 1, "empty worksheet: missing header row", ", ".join(spec.required)))

    def _lines(self, worksheet):
        for number, cells in enumerate(worksheet.iter_rows(), start=1):
            line = next((cell.row for cell in cells if getattr(cell, "row", None)), number)
            texts = [cell_text(cell) for cell in cells]
            while texts and not texts[-1]:
                texts.pop()
            if any(texts):
                yield line, texts

    def __iter__(self):
        if self.columns is None:
            return
        columns, width = self.columns, len(self.header)
        for line, cells in self.lines:
            if cells[0].startswith(COMMENT_MARK):
                continue
            for number in range(width + 1, len(cells) + 1):
                if cells[number - 1]:
                    self.problems.record(Problem(self.name, line, number, "cell beyond the last column (no header above it)", cells[number - 1]))
            yield Row(self.name, line, {col: cells[i - 1] if i <= len(cells) else "" for col, i in columns.items()}, columns)


def cell_text(cell) -> str:
    """The cell as a CSV export of the worksheet would hold it, trimmed."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    number_format = _format_codes(getattr(cell, "number_format", None) or "")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            return value.isoformat(sep=" ")
        value = value.date()
    if isinstance(value, datetime.date):
        if number_format and "d" not in number_format:  # a month or a year, shown as such
            return value.strftime("%Y-%m") if "m" in number_format else value.strftime("%Y")
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value != value:  # NaN
            return ""
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        percent = "%" in number_format
        if percent:
            number *= 100
        text = format(number.normalize(), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text + ("%" if percent else "")
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    warnings.warn(f"a cell of type {type(value).__name__} read as its text", KgWarning, stacklevel=2)
    return str(value).strip()


def _format_codes(number_format: str) -> str:
    """The number format's codes in lower case, without literal text (``"Q"``, ``\\-``) and colours."""
    if number_format.lower() == "general":
        return ""
    return _QUOTED.sub("", number_format).lower()
