"""Benchmark: load time, conflict rule pack time and peak memory per back-end and size.

Run with ``make bench`` (not part of the tests). For synthetic graphs of about
10^4, 10^5, 10^6 and 10^7 triples (``kg synth``) it measures, each in a fresh
process so that peak memory is the run's own:

- rdflib in memory (the embedded default; up to 10^5, see the notes),
- Oxigraph in memory and an Oxigraph server over HTTP, on disk (up to 10^6),
- Oxigraph on disk (every size: the store meant for 10^7 and more),
- a Virtuoso server over HTTP (up to 10^6; where Debian's virtuoso-opensource-7-bin is installed),

and kg's own overhead: kg's conflict time over the time pyoxigraph alone takes
for the same calls. Every call kg makes to the pyoxigraph store (queries,
updates, loads, look-ups) is recorded, then replayed on a fresh store loaded
with the same data, one call after the other, consuming each result in the
cheapest way; the ratio is kg's time over the replay's. It prints a table and
writes it, with the machine and the notes, to bench/results.md (or --out).

    python bench/conflicts_bench.py [--sizes 1e4,1e5,1e6,1e7] [--out bench/results.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRIPLES_PER_ORG = 38  # what kg synth produces, measured (35 at 10^4, 38 at 10^6)
AS_OF = "2025-06-30"
BACKENDS = ("rdflib-memory", "oxigraph-memory", "oxigraph-disk", "oxigraph-server", "virtuoso-server")
#: Largest graph each back-end is run on, and why not beyond.
LIMITS = {
    "rdflib-memory": (200_000, "beyond the embedded default's range (rdflib: ~1.2 KB and minutes per 10^6 triples)"),
    "oxigraph-memory": (2_000_000, "10^7 is the on-disk store's target"),
    "oxigraph-server": (2_000_000, "10^7 is the on-disk store's target"),
    "virtuoso-server": (2_000_000, "10^7 is the on-disk store's target"),
    "oxigraph-disk": (float("inf"), ""),
}
REPLAY_LIMIT = 2_000_000  # replaying means loading the data a second time
#: pyoxigraph's own bulk load of a graph into memory, timed in a child of its own (up to the in-memory limit).
BULK_LOAD = "pyoxigraph-bulk-load"
PACK_TARGET = 2.5  # issue 16: the whole pack on Oxigraph in memory within 2.5x pyoxigraph's bulk load, at 10^6
NOTES_MARKER = "\n<!-- notes: kept as they are when the benchmark rewrites the table above -->\n"


def one_run(backend: str, path: Path, workdir: Path, endpoint: str | None, replay: bool) -> dict:
    """Load ``path`` into ``backend`` and run the rule pack; runs inside a child process.

    ``endpoint`` is the server's SPARQL URL for the server back-ends.
    """
    from kg.conflicts.engine import find_conflicts
    from kg.backends.endpoint import EndpointBackend
    from kg.backends.open import open_backend

    if backend == BULK_LOAD:  # pyoxigraph alone, the yardstick of the rule pack's time (issue 16)
        import pyoxigraph as ox

        started = time.perf_counter()
        ox.Store().bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
        return {"load_s": time.perf_counter() - started}

    started = time.perf_counter()
    if backend == "rdflib-memory":
        graph_backend = open_backend([path], store="memory")
    elif backend == "oxigraph-memory":
        graph_backend = open_backend([path], store="oxigraph")
    elif backend == "oxigraph-disk":
        graph_backend = open_backend([path], store="oxigraph", store_path=workdir / "store")
    else:
        from kg.push import push

        if backend == "virtuoso-server":  # its Graph Store Protocol URL, as the README says
            push([path], endpoint, graph=f"urn:bench:{path.stem}", store_url=endpoint + "-graph-crud", timeout=600)
        else:
            push([path], endpoint, graph=f"urn:bench:{path.stem}", timeout=600, bulk=True)
        graph_backend = EndpointBackend(endpoint, graph=f"urn:bench:{path.stem}", timeout=600)
    loaded = time.perf_counter()
    calls: list | None = None
    if backend in ("oxigraph-memory", "oxigraph-disk") and replay:
        calls = record_store_calls(graph_backend)
    findings = find_conflicts(graph_backend, as_of=AS_OF)
    done = time.perf_counter()
    result = {
        "load_s": loaded - started,
        "conflicts_s": done - loaded,
        "findings": len(findings),
        "entities": found_entities(findings),
        "peak_mib": peak_memory_mib(),
    }
    if calls is not None:
        graph_backend.store = None  # free kg's store before loading the replay's
        del graph_backend, findings
        result["replay_s"] = replay_calls(path, calls, workdir / "replay" if backend == "oxigraph-disk" else None)
    return result


def found_entities(findings) -> dict[str, list[dict[str, str]]]:
    """Each rule's findings as planted.json lists them: role -> entity id, in a stable order."""
    found: dict[str, list[dict[str, str]]] = {}
    for finding in findings:
        found.setdefault(finding.rule, []).append({role: entity.id for role, entity in finding.entities.items()})
    return {rule: sorted(entities, key=lambda e: json.dumps(e, sort_keys=True)) for rule, entities in found.items()}


def planted_verdict(result: dict, planted_path: Path) -> str:
    """Whether a run found exactly the planted findings, rule by rule, with the entities planted.json says each rule reports."""
    document = json.loads(planted_path.read_text(encoding="utf-8"))
    expected = {rule: sorted(entities, key=lambda e: json.dumps(e, sort_keys=True)) for rule, entities in document["entities"].items() if entities}
    found = result["entities"]
    wrong = sorted(rule for rule in set(expected) | set(found) if expected.get(rule) != found.get(rule))
    planted = sum(map(len, expected.values()))
    if not wrong:
        return f"{result['findings']} findings = planted ({len(expected)} rules)"
    return f"{result['findings']} findings, planted {planted}: WRONG for {', '.join(wrong)}"


def record_store_calls(graph_backend) -> list:
    """Record every call kg makes to ``graph_backend``'s store and to the stores it creates while finding conflicts."""
    from kg.backends.oxigraph import OxigraphBackend

    calls: list = []
    graph_backend.store = RecordingStore(graph_backend.store, 0, calls)
    created = [0]
    original = OxigraphBackend.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created[0] += 1
        self.store = RecordingStore(self.store, created[0], calls)

    OxigraphBackend.__init__ = recording_init
    return calls


class RecordingStore:
    """Stands in for kg's pyoxigraph Store and records every call kg makes, to replay them alone."""

    RECORDED = ("query", "update", "load", "bulk_extend", "extend", "quads_for_pattern")

    def __init__(self, store, index: int, calls: list) -> None:
        self._store, self.index, self.calls = store, index, calls

    def __getattr__(self, name):
        attribute = getattr(self._store, name)
        if name not in self.RECORDED:
            return attribute

        def recorded(*args, **kwargs):
            if name in ("bulk_extend", "extend"):
                args = (list(args[0]),)
            self.calls.append((self.index, name, args, kwargs))
            return attribute(*args, **kwargs)

        return recorded

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self):
        return iter(self._store)


def replay_calls(path: Path, calls: list, store_path: Path | None) -> float:
    """Seconds pyoxigraph alone takes for ``calls`` on fresh stores: the data's, and the in-memory ones kg made."""
    import pyoxigraph as ox

    from kg import resources
    from kg.vocab import ONTOLOGY_GRAPH

    store = ox.Store(str(store_path)) if store_path else ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    store.bulk_load(path=str(resources.ontology_path()), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_GRAPH))
    stores = {0: store}
    started = time.perf_counter()
    for index, name, args, kwargs in calls:
        if index not in stores:
            stores[index] = ox.Store()
        result = getattr(stores[index], name)(*args, **kwargs)
        if isinstance(result, ox.QueryTriples):
            result.serialize(format=ox.RdfFormat.N_TRIPLES)
        elif result is not None and not isinstance(result, ox.QueryBoolean):
            for _ in result:
                pass
    return time.perf_counter() - started


def peak_memory_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    process = subprocess.Popen(
        [str(binary if binary.exists() else shutil.which("oxigraph")), "serve", "--location", str(workdir / "server"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}/query"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("oxigraph serve did not start")


def start_virtuoso(workdir: Path) -> tuple[subprocess.Popen | None, str]:
    """A Virtuoso server on disk with 1.3 GB of cache, through the tests' launcher; (None, why) if missing."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from servers import VirtuosoMissing
    from servers import start_virtuoso as start

    try:
        return start(workdir / "virtuoso", max_rows=10_000_000, buffers=170_000)
    except VirtuosoMissing as missing:
        return None, str(missing)


def child(backend: str, path: Path, endpoint: str | None, replay: bool) -> dict:
    with tempfile.TemporaryDirectory(dir=path.parent) as workdir:
        command = [sys.executable, __file__, "--child", backend, str(path), workdir, endpoint or "", "replay" if replay else ""]
        output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        return {"error": output.stderr.strip().splitlines()[-1] if output.stderr.strip() else f"exit {output.returncode}"}
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6,1e7", help="triple counts, comma-separated")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    parser.add_argument("--workdir", help="folder for the graphs and stores (default: a temporary folder; 10^7 needs ~5 GB)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, path, workdir, endpoint, replay = args.child
        print(json.dumps(one_run(backend, Path(path), Path(workdir), endpoint or None, replay == "replay")))
        return

    from kg.synth import write_synthetic

    rows, yardsticks = [], []
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        workdir = Path(workdir)
        server, endpoint = start_server(workdir)
        virtuoso, virtuoso_endpoint = start_virtuoso(workdir)
        endpoints = {"oxigraph-server": endpoint, "virtuoso-server": virtuoso_endpoint}
        try:
            for size in (int(float(s)) for s in args.sizes.split(",")):
                path = workdir / f"synthetic-{size}.nt"
                started = time.perf_counter()
                counts = write_synthetic(max(20, size // TRIPLES_PER_ORG), seed=1, output=path, planted_path=path.with_suffix(".json"))
                print(f"# {counts['triples']} triples generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
                bulk = child(BULK_LOAD, path, None, replay=False) if counts["triples"] <= LIMITS["oxigraph-memory"][0] else {}
                for backend in BACKENDS:
                    limit, why = LIMITS[backend]
                    if counts["triples"] > limit:
                        rows.append((counts["triples"], backend, None, None, None, None, None, f"not run: {why}"))
                        continue
                    if backend == "virtuoso-server" and virtuoso is None:
                        rows.append((counts["triples"], backend, None, None, None, None, None, f"not run: {virtuoso_endpoint}"))
                        continue
                    result = child(backend, path, endpoints.get(backend), replay=counts["triples"] <= REPLAY_LIMIT)
                    print(f"# {backend} {counts['triples']}: { {k: v for k, v in result.items() if k != 'entities'} }", file=sys.stderr)
                    if "error" in result:
                        rows.append((counts["triples"], backend, None, None, None, None, None, result["error"][:80]))
                        continue
                    ratio = result["conflicts_s"] / result["replay_s"] if result.get("replay_s") else None
                    total = result["load_s"] + result["conflicts_s"]
                    verdict = planted_verdict(result, path.with_suffix(".json"))
                    rows.append((counts["triples"], backend, result["load_s"], result["conflicts_s"], total, result["peak_mib"], ratio, verdict))
                    if backend == "oxigraph-memory" and bulk.get("load_s"):
                        yardsticks.append((counts["triples"], bulk["load_s"], result["conflicts_s"]))
                path.unlink()
        finally:
            server.terminate()
            if virtuoso is not None:
                virtuoso.terminate()
                virtuoso.wait(timeout=60)
    table = render(rows) + "\n\n" + render_yardsticks(yardsticks)
    print(table)
    out = Path(args.out)
    notes = out.read_text(encoding="utf-8").partition(NOTES_MARKER)[2] if out.exists() else ""
    out.write_text(report(table) + NOTES_MARKER + (notes or "\n"), encoding="utf-8")
    print(f"\nwritten to {args.out}", file=sys.stderr)


def render(rows) -> str:
    header = "| triples | back-end | load (s) | conflicts (s) | total (s) | peak memory (MiB) | kg / pyoxigraph | note |"
    lines = [header, "|---:|---|---:|---:|---:|---:|---:|---|"]
    fmt = lambda v, spec: "" if v is None else format(v, spec)  # noqa: E731
    for triples, backend, load, conflicts, total, peak, ratio, note in rows:
        lines.append(
            f"| {triples:,} | {backend} | {fmt(load, '.1f')} | {fmt(conflicts, '.1f')} | {fmt(total, '.1f')} | "
            f"{fmt(peak, '.0f')} | {fmt(ratio, '.1f')} | {note} |"
        )
    return "\n".join(lines)


def render_yardsticks(yardsticks) -> str:
    """The rule pack on Oxigraph in memory against pyoxigraph's bulk load of the same file, both timed in this run."""
    lines = [
        f"The whole rule pack on Oxigraph in memory against the time pyoxigraph alone takes to bulk-load the same "
        f"file into memory (issue 16's target: at most {PACK_TARGET}x at 10^6 triples):",
        "",
        "| triples | pyoxigraph bulk load (s) | rule pack, oxigraph-memory (s) | pack / bulk load |",
        "|---:|---:|---:|---:|",
    ]
    for triples, bulk, pack in yardsticks:
        lines.append(f"| {triples:,} | {bulk:.1f} | {pack:.1f} | {pack / bulk:.2f} |")
    return "\n".join(lines)


def report(table: str) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return f"""# Conflict rule pack benchmark

Machine: {machine}; generated by `bench/conflicts_bench.py` on {time.strftime('%Y-%m-%d')}.
As-of {AS_OF}; the note says whether a run found exactly the planted findings of its graph, rule by
rule, each with the entities planted.json says its rule reports (else the rules that differ).

{table}

"kg / pyoxigraph" is kg's conflict time over the time pyoxigraph alone takes for the same
calls: every query, update, load and look-up kg sent to the store, recorded and replayed
one after the other on a fresh store with the same data (kg runs some of them two at a
time; the replay does not). Blank where not measured: the server (its calls are HTTP) and
graphs above {REPLAY_LIMIT:,} triples (the replay loads the data a second time).
The server rows include `kg push` (data, ontology and derived facts over HTTP, the server on
disk; `--bulk` for Oxigraph, the Graph Store Protocol for Virtuoso) in the load time; their
peak memory is kg's process, not the server's.
"""


if __name__ == "__main__":
    main()
