"""The one walk from what the user names (files and folders) to the inputs kg reads.

Both the in-memory loader and the Oxigraph backend take their inputs from here,
so a folder means the same thing to both: its RDF files (by extension), its
ownership data files (BODS, FollowTheMoney, GLEIF: ``kg.io.ownership``, by content)
and its spreadsheet, when it holds ``entities.csv`` or ``relations.csv``, or an ``.xlsx``
workbook instead of them. An ``.xlsx`` workbook named itself is a spreadsheet too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.errors import InputError
from kg.io.formats import RdfFormat, format_by_suffix, format_of
from kg.io.ownership import FORMAT_MODULES, reader_for, reader_named
from kg.io.sheets.workbook import folder_workbook, is_workbook

SHEET_FILES = ("entities.csv", "relations.csv")


@dataclass(frozen=True)
class RdfFile:
    path: Path
    format: RdfFormat


@dataclass(frozen=True)
class SheetFolder:
    """A sheet: a folder of CSV files, or an ``.xlsx`` workbook of worksheets named like them."""

    path: Path


@dataclass(frozen=True)
class DataFile:
    """A file of ownership data in a format kg reads into its own claims (``kg.io.ownership``)."""

    path: Path
    reader: str  # the reader's name: "bods", "ftm", "gleif"


Input = RdfFile | SheetFolder | DataFile


def walk(paths: Iterable[str | Path]) -> list[Input]:
    """The RDF files and spreadsheet folders that ``paths`` name, in a stable order."""
    inputs: list[Input] = []
    for given in paths:
        forced, path = _prefixed(given)
        if forced is not None:
            if not path.is_file():
                raise InputError(f"{path}: no such file")
            inputs.append(DataFile(path, forced))
            continue
        if path.is_dir():
            inputs += _folder(path)
        elif path.is_file() and is_workbook(path):
            inputs.append(SheetFolder(path))  # an .xlsx workbook is read as a sheet folder
        elif path.exists():
            if path.name in SHEET_FILES:
                raise InputError(f"{path}: a spreadsheet is read as a folder; give the folder that holds {path.name}")
            inputs.append(_file(path))
        else:
            raise InputError(f"{path}: no such file or folder")
    return inputs


def _prefixed(given) -> tuple[str | None, Path]:
    """``bods:extract.json`` as ("bods", extract.json): a reader named before the path; else (None, path)."""
    text = str(given)
    name, colon, rest = text.partition(":")
    if colon and rest and not Path(text).exists() and name in FORMAT_MODULES:
        if reader_named(name) is None:
            raise InputError(f"{text}: kg cannot read {name} files yet")
        return name, Path(rest)
    return None, Path(given)


def _file(path: Path) -> Input:
    """An ownership data file when its content says so (a BODS .json is not JSON-LD), else an RDF file."""
    reader = reader_for(path)
    if reader is not None:
        return DataFile(path, reader.name)
    return RdfFile(path, format_of(path))


def _folder(folder: Path) -> list[Input]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and (format_by_suffix(p) is not None or reader_for(p) is not None))
    workbook = folder_workbook(folder)  # never beside a CSV sheet: that is an error
    has_sheets = any((folder / name).exists() for name in SHEET_FILES)
    if not files and not has_sheets and workbook is None:
        raise InputError(
            f"{folder}: folder holds no RDF file, no ownership data file, no entities.csv / relations.csv and no .xlsx workbook"
        )
    sheet = [SheetFolder(workbook)] if workbook is not None else [SheetFolder(folder)] if has_sheets else []
    return [_file(path) for path in files] + sheet
