"""Writing files whole or not at all: a failed command leaves an existing file as it was.

Everything kg writes (exports, pages, pictures, sheets) goes through here: a
temporary file in the same folder, renamed over the target once complete.
Several files of one folder (a sheet's CSV files) are replaced together: the
old ones are kept until every new one is in place and put back if anything
fails, and a manifest (``.kg-manifest``) marks the folder while its files are
being swapped, so that a reader refuses a folder that a ``kill -9`` left half
swapped instead of mixing two exports (``check_folder_whole``).

A new file gets the mode the user's umask gives any new file (0644 under the
usual 022), whatever kg writes. While a temporary file exists, SIGTERM and
SIGHUP end kg as Ctrl-C does, through the clean-up; only SIGKILL can leave a
``.NAME.*.tmp`` file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from kg.errors import InputError

MANIFEST = ".kg-manifest"


def output_mode() -> int:
    """The mode a new file gets from the umask (what ``open()`` would give), as mkstemp makes files private."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def signals_end_cleanly():
    """SIGTERM and SIGHUP raise SystemExit while the block runs, so its clean-up runs before kg ends.

    Only in the main thread, and only for signals whose handler is the default
    (which would end the process without running any clean-up).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def end(signum, frame):
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) == signal.SIG_DFL:
            previous[number] = signal.signal(number, end)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
    with signals_end_cleanly():
        try:
            handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "wb") as temp:
                yield temp
                temp.flush()
                os.fsync(temp.fileno())
            os.chmod(temp_name, output_mode())
            os.replace(temp_name, path)
        except OSError as exc:
            Path(temp_name).unlink(missing_ok=True)
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def write_files_atomically(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Replace several files of ``folder`` together: all new, or (after a failure or a signal) all as they were."""
    folder = Path(folder)
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    before = {name: _digest(folder / name) for name in files}
    manifest = folder / MANIFEST
    old_manifest = manifest.read_bytes() if manifest.is_file() else None
    temporary: list[str] = []
    with signals_end_cleanly():
        try:
            new = {}
            for name, data in files.items():
                new[name] = _temporary_copy(folder, name, data, temporary)
            kept = {}  # the old files, under temporary names, until every new one is in place
            for name in files:
                if (folder / name).exists():
                    kept[name] = _temporary_name(folder, name, temporary)
                    _keep(folder / name, kept[name])
            _write_manifest(folder, {"state": "replacing", "files": hashes, "before": before}, temporary)
            replaced: list[str] = []
            try:
                for name in files:
                    replaced.append(name)  # first: a signal may come just after the rename
                    os.replace(new[name], folder / name)
            except BaseException:
                for name in replaced:  # put the old files back, and take away new ones that had none
                    if name in kept:
                        os.replace(kept[name], folder / name)
                    else:
                        (folder / name).unlink(missing_ok=True)
                if old_manifest is None:
                    manifest.unlink(missing_ok=True)
                else:
                    _replace(manifest, old_manifest, temporary)
                raise
            _write_manifest(folder, {"state": "whole", "files": hashes}, temporary)
        except OSError as exc:
            raise InputError(f"{folder}: cannot write: {exc.strerror or exc}") from None
        finally:
            for name in temporary:
                Path(name).unlink(missing_ok=True)
    return [folder / name for name in files]


def check_folder_whole(folder: Path) -> None:
    """An InputError if a write of several files into ``folder`` stopped halfway (see ``write_files_atomically``).

    A folder whose manifest says its files were being replaced is whole if every
    file is the new one (the writer ended after its last rename) or every one
    the old (it ended before its first); a file edited after a finished write
    is fine.
    """
    manifest = Path(folder) / MANIFEST
    if not manifest.is_file():
        return
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        state, hashes, before = record["state"], record["files"], record.get("before", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise InputError(f"{manifest}: not a manifest kg wrote; delete it if the files beside it are as you want them") from None
    if state != "replacing":
        return
    now = {name: _digest(Path(folder) / name) for name in hashes}
    if now == hashes or now == {name: before.get(name) for name in hashes}:
        return
    mixed = [name for name, digest in hashes.items() if now[name] != digest]
    if mixed:
        raise InputError(
            f"{folder}: a write of its files was interrupted ({', '.join(sorted(mixed))} not replaced), so they mix two "
            f"versions; write them again (or delete {MANIFEST} if they are as you want them)"
        )


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _temporary_name(folder: Path, name: str, temporary: list[str]) -> str:
    handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    temporary.append(temp_name)
    return temp_name


def _temporary_copy(folder: Path, name: str, data: bytes, temporary: list[str]) -> str:
    handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    temporary.append(temp_name)
    with os.fdopen(handle, "wb") as temp:
        temp.write(data)
        temp.flush()
        os.fsync(temp.fileno())
    os.chmod(temp_name, output_mode())
    return temp_name


def _keep(path: Path, keeper: str) -> None:
    """A second name for the old file (a hard link, else a copy), to put back if the swap fails."""
    os.unlink(keeper)
    try:
        os.link(path, keeper)
    except OSError:
        shutil.copy2(path, keeper)


def _write_manifest(folder: Path, record: dict, temporary: list[str]) -> None:
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    _replace(folder / MANIFEST, text.encode("utf-8"), temporary)


def _replace(path: Path, data: bytes, temporary: list[str]) -> None:
    os.replace(_temporary_copy(path.parent, path.name, data, temporary), path)
