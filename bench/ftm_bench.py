"""Benchmark: how fast kg reads FollowTheMoney entities, and in how much memory.

Not part of the tests (a figure here is no pass or fail). For each size it writes a
fictional FtM file (companies with register numbers, people, ownerships with exact
shares and UK-style bands, directorships and employments, as an export from a register
would hold them) and reads it in a fresh process, so that peak memory is the run's own:

- ``stream``: kg's FtM reader alone, its triples counted and dropped (what the reader
  itself costs: both passes, the library's proxies, kg's mapping);
- ``rdflib``: the same triples added to an rdflib graph, as ``kg --data FILE`` does.

It prints one row per size and mode: entities, triples, seconds, entities per second
and peak resident memory.

    python bench/ftm_bench.py [--sizes 1e5,1e6] [--modes stream,rdflib]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Shares of each schema among the entities of the file.
MIX = (("Company", 0.40), ("Person", 0.20), ("Ownership", 0.25), ("Directorship", 0.10), ("Employment", 0.05))
PERCENTAGES = ("100%", "51%", "25-50%", "50–75%", "75-100%", "more than 25% but not more than 50%", "12.5")


def write_file(path: Path, entities: int, seed: int = 17) -> None:
    """A fictional FtM file of ``entities`` lines: every relationship points to an entity of the file."""
    rng = random.Random(seed)
    counts = {schema: max(1, int(entities * share)) for schema, share in MIX}
    counts["Company"] += entities - sum(counts.values())
    companies, people = counts["Company"], counts["Person"]
    with open(path, "w", encoding="utf-8") as out:
        def line(entity_id, schema, **properties):
            out.write(json.dumps({"id": entity_id, "schema": schema, "properties": properties}) + "\n")

        for i in range(companies):
            line(f"co-{i}", "Company", name=[f"Fictional Company {i} Ltd"], jurisdiction=["gb"], registrationNumber=[f"{i:08d}"],
                 incorporationDate=[f"{2000 + i % 25}-0{1 + i % 9}"])
        for i in range(people):
            line(f"pe-{i}", "Person", name=[f"Fictional Person {i}"], country=["gb"])
        for i in range(counts["Ownership"]):
            owner = f"pe-{rng.randrange(people)}" if i % 3 == 0 else f"co-{rng.randrange(companies)}"
            line(f"own-{i}", "Ownership", owner=[owner], asset=[f"co-{rng.randrange(companies)}"], percentage=[rng.choice(PERCENTAGES)],
                 startDate=[f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}"], publisher=["Fictional Companies Registry"],
                 sourceUrl=[f"https://example.org/fictional/psc/{i}"])
        for i in range(counts["Directorship"]):
            line(f"dir-{i}", "Directorship", director=[f"pe-{rng.randrange(people)}"], organization=[f"co-{rng.randrange(companies)}"],
                 role=[rng.choice(("Director", "Secretary", "Chair"))], startDate=["2019"])
        for i in range(counts["Employment"]):
            line(f"emp-{i}", "Employment", employee=[f"pe-{rng.randrange(people)}"], employer=[f"co-{rng.randrange(companies)}"],
                 role=[rng.choice(("CEO", "Engineer", "Analyst"))])


def peak_memory_mib() -> float:
    """This process's peak resident memory (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_run(mode: str, path: Path) -> dict:
    """Read ``path`` (inside a child process) and report what it took."""
    import warnings

    from rdflib import Graph

    from kg.io.ownership.ftm import READER

    warnings.simplefilter("ignore")
    started = time.perf_counter()
    if mode == "rdflib":
        graph = Graph()
        for triple in READER.read(path):
            graph.add(triple)
        triples = len(graph)
    else:
        triples = sum(1 for _ in READER.read(path))
    return {"seconds": time.perf_counter() - started, "triples": triples, "peak_mib": peak_memory_mib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1e5,1e6", help="entity counts, comma-separated (default 1e5,1e6)")
    parser.add_argument("--modes", default="stream,rdflib", help="stream, rdflib or both (default both)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child[0], Path(args.child[1]))))
        return
    sizes = [int(float(size)) for size in args.sizes.split(",")]
    modes = [mode.strip() for mode in args.modes.split(",")]
    print(f"{'entities':>10} {'mode':>7} {'triples':>10} {'seconds':>8} {'entities/s':>11} {'peak MiB':>9}  file MiB")
    with tempfile.TemporaryDirectory(prefix="kg-ftm-bench-") as workdir:
        for size in sizes:
            path = Path(workdir) / f"fictional-{size}.ftm.json"
            write_file(path, size)
            for mode in modes:
                done = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    print(f"{size:>10} {mode:>7} failed: {done.stderr.strip().splitlines()[-1:]}")
                    continue
                result = json.loads(done.stdout)
                rate = size / result["seconds"]
                print(f"{size:>10} {mode:>7} {result['triples']:>10} {result['seconds']:>8.1f} {rate:>11,.0f} "
                      f"{result['peak_mib']:>9.0f}  {path.stat().st_size / 2**20:.0f}", flush=True)


if __name__ == "__main__":
    main()
