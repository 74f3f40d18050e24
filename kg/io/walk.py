"""The one walk from what the user names (files and folders) to the inputs kg reads.

Both the in-memory loader and the Oxigraph backend take their inputs from here,
so a folder means the same thing to both: its RDF files (by extension) and its
spreadsheet, when it holds ``entities.csv`` or ``relations.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.errors import InputError
from kg.io.formats import RdfFormat, format_by_suffix, format_of

SHEET_FILES = ("entities.csv", "relations.csv")


@dataclass(frozen=True)
class RdfFile:
    path: Path
    format: RdfFormat


@dataclass(frozen=True)
class SheetFolder:
    path: Path


Input = RdfFile | SheetFolder


def walk(paths: Iterable[str | Path]) -> list[Input]:
    """The RDF files and spreadsheet folders that ``paths`` name, in a stable order."""
    inputs: list[Input] = []
    for path in map(Path, paths):
        if path.is_dir():
            inputs += _folder(path)
        elif path.exists():
            if path.name in SHEET_FILES:
                raise InputError(f"{path}: a spreadsheet is read as a folder; give the folder that holds {path.name}")
            inputs.append(RdfFile(path, format_of(path)))
        else:
            raise InputError(f"{path}: no such file or folder")
    return inputs


def _folder(folder: Path) -> list[Input]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and format_by_suffix(p) is not None)
    has_sheets = any((folder / name).exists() for name in SHEET_FILES)
    if not files and not has_sheets:
        raise InputError(f"{folder}: folder holds no RDF file and no entities.csv / relations.csv")
    return [RdfFile(path, format_by_suffix(path)) for path in files] + ([SheetFolder(folder)] if has_sheets else [])
