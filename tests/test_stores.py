"""Oxigraph stores on disk (``--store-path``): a load is complete or refused, runs share a store
safely, and a command that only reads never writes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.backends.open import open_backend
from kg.backends.oxigraph import OxigraphBackend
from kg.errors import InputError, QueryError
from kg.vocab import ONTOLOGY_GRAPH

KG = Path(sys.executable).parent / "kg"
CONFLICTS_FOUND = '"competitor-controlled-supplier"'


def one_error_naming(result, folder: Path) -> str:
    """The one ``Error:`` line of a run that stopped, which must name the store's folder."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(folder) in lines[0], lines
    assert "Traceback" not in result.stderr
    return lines[0]


def files_of(folder: Path) -> dict:
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.iterdir()}


def a_few_triples(count: int) -> bytes:
    return "".join(
        f"<https://w3id.org/ai-compute-kg/data/lab-{i}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        f"<https://w3id.org/ai-compute-kg/ontology#AILab> .\n"
        for i in range(count)
    ).encode()


def kill_while_loading(tmp_path: Path, store: Path) -> None:
    """Start ``kg conflicts --data FIFO --store-path STORE`` in a real process and SIGKILL it mid-load.

    The input is a named pipe: the process is certainly inside the load, reading the
    data it was given, when it is killed, with part of the data sent.
    """
    fifo = tmp_path / "big.nt"
    os.mkfifo(fifo)
    process = subprocess.Popen([str(KG), "conflicts", "--data", str(fifo), "--store-path", str(store)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:  # wait until the loader opens the pipe to read it
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "kg never started reading its input"
                time.sleep(0.05)
        os.set_blocking(writer, True)
        os.write(writer, a_few_triples(2000))
        time.sleep(0.5)
        assert process.poll() is None  # still loading: it waits for the rest of the data
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        os.close(writer)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# --- an interrupted load (issue 14, item 1) ---------------------------------------------------

def test_a_first_load_killed_midway_is_refused_not_replaced_by_the_example(tmp_path, runner):
    from kg.cli import cli

    store = tmp_path / "store"
    kill_while_loading(tmp_path, store)
    result = runner.invoke(cli, ["conflicts", "--store-path", str(store), "--format", "json"])
    message = one_error_naming(result, store)
    assert "did not finish" in message and "--data" in message
    assert CONFLICTS_FOUND not in result.stdout


def test_a_reload_killed_midway_is_refused(tmp_path, runner):
    from kg.cli import cli

    store = tmp_path / "store"
    assert runner.invoke(cli, ["stats", "--store-path", str(store)]).exit_code == 0  # the bundled example, complete
    kill_while_loading(tmp_path, store)
    for args in (["conflicts"], ["stats"], ["query", "controllers-of", "--param", "org=starlink"]):
        one_error_naming(runner.invoke(cli, [*args, "--store-path", str(store)]), store)


def test_an_interruption_between_the_data_and_the_ontology_is_refused(tmp_path, runner, monkeypatch):
    """A Ctrl-C once the data is in but before the ontology: the store must not be reused without it."""
    from kg.cli import cli
    from kg.resources import bundled_data_path

    store = tmp_path / "store"
    load_file = OxigraphBackend.load_file

    def interrupted(self, path, rdf_format=None, *, graph=None, progress=None):
        if graph == ONTOLOGY_GRAPH:
            raise KeyboardInterrupt
        return load_file(self, path, rdf_format, graph=graph, progress=progress)

    monkeypatch.setattr(OxigraphBackend, "load_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        open_backend([bundled_data_path()], store="oxigraph", store_path=store)
    monkeypatch.setattr(OxigraphBackend, "load_file", load_file)
    result = runner.invoke(cli, ["query", "controllers-of", "--param", "org=starlink", "--store-path", str(store)])
    assert "did not finish" in one_error_naming(result, store)
    # loading again finishes the store, which is then reused
    assert runner.invoke(cli, ["stats", "--store-path", str(store), "--data", str(bundled_data_path())]).exit_code == 0
    result = runner.invoke(cli, ["query", "controllers-of", "--param", "org=starlink", "--store-path", str(store), "--format", "csv"])
    assert result.exit_code == 0 and "elon-musk" in result.stdout


def test_a_completed_load_is_recorded_with_what_was_loaded(tmp_path):
    from kg.resources import bundled_data_path

    store = tmp_path / "store"
    backend = open_backend([bundled_data_path()], store="oxigraph", store_path=store, include_ontology=False)
    record = backend.load_record()
    assert record["state"] == "complete"
    assert record["inputs"] == [str(bundled_data_path().resolve())]
    assert record["ontology"] is True  # always loaded, whatever the first command needed
    backend.close()
    # the record is kg's own: no query, count or copy of the data shows it
    again = open_backend(store="oxigraph", store_path=store)
    assert len(again) == len(open_backend(store="oxigraph"))
    assert not again.run("ASK { GRAPH ?g { ?s ?p ?o } FILTER (STRSTARTS(STR(?g), 'urn:kg:load')) }").boolean
    assert not again.run("ASK { ?s ?p ?o FILTER (STRSTARTS(STR(?s), 'urn:kg:load')) }").boolean
    assert all(not str(s).startswith("urn:kg:") for s, _, _ in again.to_graph())


def test_a_store_kg_did_not_finish_loading_is_refused(tmp_path, runner):
    """A store with data but no record of a completed load (another program's, say) is not guessed at."""
    import pyoxigraph

    from kg.cli import cli

    store = tmp_path / "store"
    other = pyoxigraph.Store(str(store))
    other.load(input=a_few_triples(3), format=pyoxigraph.RdfFormat.N_TRIPLES)
    del other
    one_error_naming(runner.invoke(cli, ["stats", "--store-path", str(store)]), store)


def test_a_folder_that_is_not_a_store_is_refused_and_left_as_it_was(tmp_path, runner):
    from kg.cli import cli

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("mine", encoding="utf-8")
    data = tmp_path / "data.nt"
    data.write_bytes(a_few_triples(3))
    for args in (["stats"], ["stats", "--data", str(data)]):
        message = one_error_naming(runner.invoke(cli, [*args, "--store-path", str(folder)]), folder)
        assert "not an Oxigraph store" in message
    assert [p.name for p in folder.iterdir()] == ["todo.txt"]


def test_a_new_folder_gets_the_bundled_example_and_keeps_it(tmp_path, runner):
    from kg.cli import cli

    store = tmp_path / "new" / "store"
    first = runner.invoke(cli, ["conflicts", "--store-path", str(store), "--format", "json"])
    assert first.exit_code == 0 and CONFLICTS_FOUND in first.stdout
    second = runner.invoke(cli, ["conflicts", "--store-path", str(store), "--format", "json"])
    assert second.stdout == first.stdout


# --- updates never reach a store on disk (issue 14, item 2) -----------------------------------

def test_an_update_on_a_store_on_disk_is_refused_and_changes_nothing(tmp_path, runner):
    from kg.cli import cli

    store = tmp_path / "store"
    before = runner.invoke(cli, ["stats", "--store-path", str(store), "--format", "json"]).stdout
    for update in ("CLEAR ALL", "INSERT DATA { kgd:new-lab a kg:AILab }"):
        result = runner.invoke(cli, ["query", "--store-path", str(store), "--allow-update", "-e", update])
        assert "in-memory" in one_error_naming(result, store)
    assert runner.invoke(cli, ["stats", "--store-path", str(store), "--format", "json"]).stdout == before


def test_an_update_on_an_in_memory_store_accepts_kg_prefixes():
    """Issue 14, item 3: Oxigraph's update parser knew none of kg's prefixes."""
    backend = open_backend(store="oxigraph")
    assert backend.run("INSERT DATA { kgd:new-lab a kg:AILab }", allow_update=True).form == "UPDATE"
    assert backend.run("ASK { kgd:new-lab a kg:AILab }").boolean


def test_an_update_binds_its_parameters_on_oxigraph_as_in_memory(bundled_graph):
    from rdflib import Graph

    from kg.backends.memory import MemoryBackend

    text = "INSERT { ?org a kg:Watched } WHERE { ?org a ?type }"
    copy = Graph()
    copy += bundled_graph
    memory, store = MemoryBackend(copy), open_backend(store="oxigraph")
    for backend in (memory, store):
        backend.run(text, params=["org=starlink"], allow_update=True)
    watched = "SELECT ?org WHERE { ?org a kg:Watched }"
    assert memory.run(watched).rows == store.run(watched).rows and len(store.run(watched).rows) == 1


# --- two runs on one store (issue 14, item 20) ------------------------------------------------

@pytest.fixture
def loaded_store(tmp_path, runner):
    from kg.cli import cli

    store = tmp_path / "store"
    assert runner.invoke(cli, ["stats", "--store-path", str(store)]).exit_code == 0
    return store


def test_two_runs_read_one_store_at_once(loaded_store, runner):
    from kg.cli import cli

    reader = open_backend(store="oxigraph", store_path=loaded_store)  # a run that reads, still open
    try:
        result = runner.invoke(cli, ["query", "controllers-of", "--param", "org=starlink", "--store-path", str(loaded_store), "--format", "csv"])
        assert result.exit_code == 0, result.stderr
        assert "elon-musk" in result.stdout
    finally:
        reader.close()


def test_a_run_that_reads_leaves_the_store_files_as_they_were(loaded_store, runner):
    from kg.cli import cli

    before = files_of(loaded_store)
    for args in (["query", "entity", "--param", "entity=spacex"], ["conflicts"], ["stats"], ["describe", "spacex"]):
        assert runner.invoke(cli, [*args, "--store-path", str(loaded_store)]).exit_code == 0
    assert files_of(loaded_store) == before


def test_loading_a_store_another_run_reads_is_refused(loaded_store, runner):
    from kg.cli import cli
    from kg.resources import bundled_data_path

    reader = open_backend(store="oxigraph", store_path=loaded_store)
    try:
        result = runner.invoke(cli, ["stats", "--store-path", str(loaded_store), "--data", str(bundled_data_path())])
        assert "in use" in one_error_naming(result, loaded_store)
        assert reader.run("ASK { ?s a kg:AILab }").boolean  # the reader's store was not touched
    finally:
        reader.close()


def test_reading_a_store_while_another_run_loads_it_is_refused(tmp_path, runner):
    from kg.cli import cli
    from kg.resources import bundled_data_path

    store = tmp_path / "store"
    loader = open_backend([bundled_data_path()], store="oxigraph", store_path=store)  # holds it as a load would
    try:
        one_error_naming(runner.invoke(cli, ["stats", "--store-path", str(store)]), store)
    finally:
        loader.close()
    assert runner.invoke(cli, ["stats", "--store-path", str(store)]).exit_code == 0


def test_the_lock_is_released_when_a_load_fails(tmp_path):
    store = tmp_path / "store"
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(InputError):
        open_backend([bad], store="oxigraph", store_path=store)
    with pytest.raises(InputError, match="did not finish"):
        open_backend(store="oxigraph", store_path=store)


def test_the_library_refuses_updates_on_a_store_on_disk(loaded_store):
    backend = open_backend(store="oxigraph", store_path=loaded_store)
    try:
        with pytest.raises(QueryError, match="in-memory"):
            backend.run("CLEAR ALL", allow_update=True)
    finally:
        backend.close()


def test_concurrent_readers_in_threads(loaded_store):
    """Readers in one process share the store as readers in several processes do."""
    errors = []

    def read():
        try:
            backend = open_backend(store="oxigraph", store_path=loaded_store)
            assert backend.run("ASK { ?s a kg:AILab }").boolean
            backend.close()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- the inferred shortcuts are kept apart (issue 14, item 24) --------------------------------

def test_a_store_on_disk_answers_infer_and_keeps_the_shortcuts_out_of_its_data(loaded_store, runner):
    from kg.cli import cli

    text = "SELECT ?org WHERE { kgd:elon-musk kg:controls ?org }"
    without = runner.invoke(cli, ["query", "--store-path", str(loaded_store), "-e", text, "--format", "csv"])
    assert without.exit_code == 0 and without.stdout.split() == ["org"] and "--infer" in without.stderr
    inferred = runner.invoke(cli, ["query", "--store-path", str(loaded_store), "-e", text, "--format", "csv", "--infer"])
    assert inferred.exit_code == 0 and sorted(inferred.stdout.split()[1:]) == [
        "https://w3id.org/ai-compute-kg/data/spacex",
        "https://w3id.org/ai-compute-kg/data/xai",
    ]
    backend = open_backend(store="oxigraph", store_path=loaded_store)
    try:
        predicates = {line.split(b" ")[1] for line in backend.ntriples().splitlines()}  # what kg push sends
        assert b"<https://w3id.org/ai-compute-kg/ontology#controls>" not in predicates
        assert not any(str(p).endswith("#controls") for _, p, _ in backend.to_graph())
        assert len(backend) == len(open_backend(store="oxigraph"))
    finally:
        backend.close()
