"""Writing files whole or not at all: a failed command leaves an existing file as it was.

Everything kg writes (exports, pages, pictures, sheets) goes through here: a
temporary file in the same folder, renamed over the target once complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from kg.errors import InputError

#: Outputs are meant to be shared; mkstemp makes files private.
OUTPUT_MODE = 0o644


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    with atomic_output(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_output(path: str | Path):
    """A binary handle on a temporary file that replaces ``path`` only once all is written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            yield temp
        os.chmod(temp_name, OUTPUT_MODE)
        os.replace(temp_name, path)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_files_atomically(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write several files of one folder: each is renamed into place only once all are complete."""
    temporary: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            temporary.append((temp_name, folder / name))
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
        for temp_name, target in temporary:
            os.replace(temp_name, target)
    finally:
        for temp_name, _ in temporary:
            Path(temp_name).unlink(missing_ok=True)
    return [folder / name for name in files]
