"""Benchmark: load time, conflict rule pack time and peak memory per back-end and size.

Run with ``make bench`` (not part of the tests). For synthetic graphs of about
10^4, 10^5 and 10^6 triples (``kg synth``) it measures, each in a fresh process
so that peak memory is the run's own:

- rdflib in memory (the embedded default; 10^4 and 10^5 only, see the notes),
- Oxigraph in memory, Oxigraph on disk, and an Oxigraph server over HTTP,

and the ratio of kg's conflict time to the same SPARQL run directly in
pyoxigraph (the claim-reading queries and the six rules over kg's derived
facts), which is kg's own overhead. It prints a table and writes it, with
the machine and the notes, to bench/results.md (or --out).

    python bench/conflicts_bench.py [--sizes 1e4,1e5,1e6] [--out bench/results.md]
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

TRIPLES_PER_ORG = 22  # what kg synth produces, measured
AS_OF = "2025-06-30"
BACKENDS = ("rdflib-memory", "oxigraph-memory", "oxigraph-disk", "oxigraph-server")
RDFLIB_LIMIT = 200_000  # rdflib takes ~1.2 KB and minutes per 10^6 triples (DESIGN section 9)


def one_run(backend: str, path: Path, workdir: Path, endpoint: str | None) -> dict:
    """Load ``path`` into ``backend`` and run the rule pack; runs inside a child process."""
    from kg.conflicts import find_conflicts
    from kg.store import EndpointSource, open_source

    started = time.perf_counter()
    if backend == "rdflib-memory":
        source = open_source([path], store="memory")
    elif backend == "oxigraph-memory":
        source = open_source([path], store="oxigraph")
    elif backend == "oxigraph-disk":
        source = open_source([path], store="oxigraph", store_path=workdir / "store")
    else:
        from kg.push import push

        push([path], endpoint, graph=f"urn:bench:{path.stem}", timeout=600)
        source = EndpointSource(endpoint, graph=f"urn:bench:{path.stem}", timeout=600)
    loaded = time.perf_counter()
    findings = find_conflicts(source, as_of=AS_OF)
    done = time.perf_counter()
    return {
        "load_s": loaded - started,
        "conflicts_s": done - loaded,
        "findings": len(findings),
        "peak_mib": peak_memory_mib(),
    }


def peak_memory_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def direct_pyoxigraph(path: Path) -> float:
    """Seconds for the same SPARQL in pyoxigraph alone: claim reads, then the rules on derived facts."""
    import pyoxigraph as ox

    from kg.claims import CLAIM_TYPES
    from kg.conflicts import load_rules
    from kg.rules import ControlGraph, claim_states, derive_facts, parse_as_of
    from kg.store import _CLAIM_QUERY, open_source

    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    # kg's derived facts, computed outside the timing: the baseline is the queries alone.
    states = claim_states(open_source([path], store="oxigraph"), as_of=parse_as_of(AS_OF), min_status="rumored")
    derived = ox.Store()
    derived.bulk_extend(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o)) for s, p, o in derive_facts(states, ControlGraph(states)))
    started = time.perf_counter()
    for cls, claim_type in CLAIM_TYPES.items():
        list(store.query(_CLAIM_QUERY.format(cls=cls, subject_role=claim_type.subject_role, object_role=claim_type.object_role)))
    for rule in load_rules():
        list(derived.query(rule.query))
    return time.perf_counter() - started


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


def child(backend: str, path: Path, endpoint: str | None) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        command = [sys.executable, __file__, "--child", backend, str(path), workdir, endpoint or ""]
        output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        return {"error": output.stderr.strip().splitlines()[-1] if output.stderr.strip() else f"exit {output.returncode}"}
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6", help="triple counts, comma-separated")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, path, workdir, endpoint = args.child
        print(json.dumps(one_run(backend, Path(path), Path(workdir), endpoint or None)))
        return

    from kg.synth import write_synthetic

    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        workdir = Path(workdir)
        server, endpoint = start_server(workdir)
        try:
            for size in (int(float(s)) for s in args.sizes.split(",")):
                path = workdir / f"synthetic-{size}.nt"
                started = time.perf_counter()
                counts = write_synthetic(max(20, size // TRIPLES_PER_ORG), seed=1, output=path)
                print(f"# {counts['triples']} triples generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
                direct = direct_pyoxigraph(path)
                for backend in BACKENDS:
                    if backend == "rdflib-memory" and counts["triples"] > RDFLIB_LIMIT:
                        rows.append((counts["triples"], backend, None, None, None, None, None, "skipped: beyond the embedded default's range"))
                        continue
                    result = child(backend, path, endpoint)
                    print(f"# {backend} {counts['triples']}: {result}", file=sys.stderr)
                    if "error" in result:
                        rows.append((counts["triples"], backend, None, None, None, None, None, result["error"][:80]))
                        continue
                    ratio = result["conflicts_s"] / direct if backend.startswith("oxigraph") and direct else None
                    total = result["load_s"] + result["conflicts_s"]
                    rows.append((counts["triples"], backend, result["load_s"], result["conflicts_s"], total, result["peak_mib"], ratio, f"{result['findings']} findings"))
        finally:
            server.terminate()
    table = render(rows)
    print(table)
    Path(args.out).write_text(report(table), encoding="utf-8")
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


def report(table: str) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return f"""# Conflict rule pack benchmark

Machine: {machine}; generated by `bench/conflicts_bench.py` on {time.strftime('%Y-%m-%d')}.
As-of {AS_OF}; every run reports exactly the planted findings of its graph.

{table}

"kg / pyoxigraph" is kg's conflict time over the time pyoxigraph alone takes for the same
SPARQL (the seven claim-reading queries on the data and the six rules on kg's derived facts).
The server rows include `kg push` (data, ontology and derived facts over HTTP) in the load time.
"""


if __name__ == "__main__":
    main()
