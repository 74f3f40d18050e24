"""kg.io.atomic: outputs are whole or absent, a sheet folder is all old or all new, signals clean up, modes follow the umask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.export import export_graph
from kg.io.atomic import MANIFEST, atomic_output, check_folder_whole
from kg.io.load import load_graph
from kg.io.sheets.read import ingest_folder

from conftest import REPO

EXAMPLE = REPO / "data" / "example-sheet"
SHEETS = ["entities.csv", "relations.csv", "sources.csv"]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_every_output_gets_the_mode_the_umask_gives(tmp_path, bundled_data_only, umask, mask, mode):
    umask(mask)
    export_graph(bundled_data_only, tmp_path / "graph.ttl")
    export_graph(bundled_data_only, tmp_path / "net.graphml")
    export_graph(bundled_data_only, tmp_path / "sheet", "csv")
    written = [tmp_path / "graph.ttl", tmp_path / "net.graphml", *(tmp_path / "sheet" / name for name in SHEETS)]
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {path.name: mode for path in written}


def old_and_new_sheets(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict]:
    """A sheet folder holding the example sheet, and the bundled data's tables to write over it."""
    from kg.io.sheets.write import export_sheets, graph_tables

    folder = tmp_path / "sheet"
    export_sheets(ingest_folder(EXAMPLE), folder)
    before = {name: (folder / name).read_bytes() for name in names(folder)}
    return folder, before, graph_tables(load_graph(include_ontology=False))


def test_a_failure_between_renames_puts_every_old_file_back(tmp_path, monkeypatch):
    from kg.io.sheets.write import write_tables

    folder, before, tables = old_and_new_sheets(tmp_path)
    real_replace, calls = os.replace, []

    def interrupted(source, target):
        calls.append(target)
        if len(calls) == 3:  # after two sheets are in place: Ctrl-C
            raise KeyboardInterrupt
        return real_replace(source, target)

    monkeypatch.setattr("kg.io.atomic.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_tables(folder, tables)
    monkeypatch.undo()
    assert {name: (folder / name).read_bytes() for name in names(folder)} == before  # no temporary file either
    ingest_folder(folder)


def run_child(code: str, *, until: str = "ready") -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO.parent
    )
    assert child.stdout.readline().strip() == until, child.stderr.read()
    return child


def test_sigterm_while_writing_leaves_no_temporary_file_and_the_old_file(tmp_path):
    target = tmp_path / "graph.ttl"
    target.write_text("old", encoding="utf-8")
    child = run_child(f"""
        import time
        from kg.io.atomic import atomic_output
        with atomic_output({str(target)!r}) as handle:
            handle.write(b"half of the new")
            print("ready", flush=True)
            time.sleep(60)
    """)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert names(tmp_path) == ["graph.ttl"] and target.read_text(encoding="utf-8") == "old"


def test_sigterm_between_renames_puts_every_old_file_back(tmp_path):
    folder, before, _ = old_and_new_sheets(tmp_path)
    child = run_child(f"""
        import os, time
        import kg.io.atomic as atomic
        from kg.io.load import load_graph
        from kg.io.sheets.write import export_sheets
        real_replace, slept = os.replace, []
        def slow(source, target):
            real_replace(source, target)
            if str(target).endswith("entities.csv") and not slept:
                slept.append(1)
                print("ready", flush=True)
                time.sleep(60)
        atomic.os.replace = slow
        export_sheets(load_graph(include_ontology=False), {str(folder)!r})
    """)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    assert {name: (folder / name).read_bytes() for name in names(folder)} == before


def test_a_folder_a_kill_left_half_replaced_is_refused_with_one_error(invoke, tmp_path):
    folder, before, _ = old_and_new_sheets(tmp_path)
    child = run_child(f"""
        import os, signal
        import kg.io.atomic as atomic
        from kg.io.load import load_graph
        from kg.io.sheets.write import export_sheets
        real_replace = os.replace
        def killed(source, target):
            real_replace(source, target)
            if str(target).endswith("entities.csv"):  # kill -9: no clean-up can run
                print("ready", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
        atomic.os.replace = killed
        export_sheets(load_graph(include_ontology=False), {str(folder)!r})
    """)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert (folder / "entities.csv").read_bytes() != before["entities.csv"]
    assert (folder / "relations.csv").read_bytes() == before["relations.csv"]
    with pytest.raises(InputError, match=r"a write of its files was interrupted \(relations.csv, sources.csv not replaced\)"):
        ingest_folder(folder)
    result = invoke("stats", "--data", folder)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "interrupted" in result.stderr
    invoke("export", "--format", "csv", "-o", folder)  # writing again mends it
    ingest_folder(folder)


@pytest.mark.parametrize("moment", ["before the first rename", "after the last rename"])
def test_a_kill_before_the_first_or_after_the_last_rename_leaves_a_readable_folder(tmp_path, moment):
    folder, before, _ = old_and_new_sheets(tmp_path)
    child = run_child(f"""
        import os, signal
        import kg.io.atomic as atomic
        from kg.io.load import load_graph
        from kg.io.sheets.write import export_sheets
        real_replace, manifests = os.replace, []
        def killed(source, target):
            manifests.extend([1] if str(target).endswith({MANIFEST!r}) else [])
            if (str(target).endswith("entities.csv") if {moment!r}.startswith("before") else len(manifests) == 2):
                print("ready", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            real_replace(source, target)
        atomic.os.replace = killed
        export_sheets(load_graph(include_ontology=False), {str(folder)!r})
    """)
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert '"replacing"' in (folder / MANIFEST).read_text(encoding="utf-8")
    check_folder_whole(folder)
    graph = ingest_folder(folder)
    assert (len(graph) == len(ingest_folder(EXAMPLE))) == moment.startswith("before")


def test_a_file_edited_after_a_whole_write_is_read(tmp_path):
    folder, _, _ = old_and_new_sheets(tmp_path)
    with open(folder / "entities.csv", "a", encoding="utf-8") as sheet:
        sheet.write("extra-lab,Extra Lab (fictional),AILab\r\n")
    ingest_folder(folder)


def test_atomic_output_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as handle:
            handle.write(b"new")
            raise RuntimeError("disk full")
    assert names(tmp_path) == ["out.txt"] and target.read_text(encoding="utf-8") == "old"
