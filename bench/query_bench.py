"""Benchmark: how long ``kg query`` takes for every bundled query and the README's examples.

Run with ``make bench`` (not part of the tests). In the default configuration
(``--store memory``: the data in rdflib, a query answered by Oxigraph's engine
on a copy) and on Oxigraph in memory, on the bundled example and on synthetic
graphs (``kg synth``, 280 organizations: about 10^4 triples), it prints:

- the load time (parsing the inputs and the ontology, once per run of ``kg query``);
- each query's time: ``Backend.run`` from the query text to rows, the copy
  Oxigraph's engine reads included, the best of three;
- the whole ``kg query`` process (Python's start, loading, the query, the
  output) for the default configuration, once;
- rdflib's own SPARQL engine on the join of issue 14 (the engine the default
  configuration used before), stopped after ``--rdflib-cap`` seconds.

The goal (issue 14, item 9): no query over a second in the default configuration.

    python bench/query_bench.py [--orgs 280] [--rdflib-cap 60]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The README's examples and the join of issue 14 (label look-ups over a graph holding the ontology).
README_QUERIES = {
    "README: AI labs and their names": "SELECT ?lab ?name WHERE { ?lab a kg:AILab ; rdfs:label ?name }",
    # Written with the label look-ups first, in a group of their own: rdflib's engine evaluates the
    # group alone, every label of the data and of the ontology against every other (125^3 rows
    # on the bundled example), before the join that would narrow it.
    "issue 14: label join": """SELECT ?customerName ?supplierName ?investorName WHERE {
  { ?customer rdfs:label ?customerName .
    ?supplier rdfs:label ?supplierName .
    ?investor rdfs:label ?investorName . }
  ?contract a kg:ComputeContract ;
            kg:customer ?customer ;
            kg:supplier ?supplier .
  ?investment a kg:Investment ;
              kg:investor ?investor ;
              kg:investee ?customer .
}""",
}
KG = Path(sys.executable).parent / "kg"

#: For each parameter a bundled query takes, a SELECT giving one value the data holds.
_PARAMETER_VALUES = {
    "org": "SELECT ?v WHERE { ?c kg:controlledEntity ?v ; kg:controller ?x . ?y kg:controlledEntity ?x } LIMIT 1",
    "agent": "SELECT ?v WHERE { ?c kg:controller ?v } LIMIT 1",
    "entity": "SELECT ?v WHERE { ?c kg:supplier ?v } LIMIT 1",
    "investor": "SELECT ?v WHERE { ?c kg:investor ?v } LIMIT 1",
    "investee": "SELECT ?v WHERE { ?c kg:investee ?v } LIMIT 1",
    "customer": "SELECT ?v WHERE { ?c kg:customer ?v } LIMIT 1",
    "supplier": "SELECT ?v WHERE { ?c kg:supplier ?v } LIMIT 1",
    "claim": "SELECT ?v WHERE { ?v kg:attestation ?a } LIMIT 1",
    "source": "SELECT ?v WHERE { ?a kg:source ?v } LIMIT 1",
}
_RIVAL = "SELECT ?v WHERE { ?c kg:partyA ?v } LIMIT 1"


def parameters(backend, query) -> list[str]:
    """``NAME=<iri>`` for each parameter of ``query``, with a value the data holds."""
    values = []
    for parameter in query.parameters:
        text = _RIVAL if query.name == "rivalries" else _PARAMETER_VALUES[parameter.name]
        rows = backend.run(text).rows
        values.append(f"{parameter.name}={rows[0][0].n3()}" if rows else f"{parameter.name}=<urn:none>")
    return values


def best_of(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def cli_seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(KG), "query", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def rdflib_engine_seconds(inputs: list[str], text: str, cap: float) -> str:
    """rdflib's engine on ``text`` in a child process, stopped after ``cap`` seconds."""
    code = (
        "import sys, time\n"
        "from kg.io.load import load_graph\n"
        "from kg.vocab import QUERY_PREFIXES\n"
        "graph = load_graph(sys.argv[2:])\n"
        "started = time.perf_counter()\n"
        "rows = list(graph.query(sys.argv[1], initNs=QUERY_PREFIXES))\n"
        "print(f'{time.perf_counter() - started:.2f}')\n"
    )
    try:
        done = subprocess.run([sys.executable, "-I", "-c", code, text, *inputs], capture_output=True, text=True, timeout=cap, check=True)
    except subprocess.TimeoutExpired:
        return f"> {cap:g}"
    return done.stdout.strip()


def bench(label: str, inputs: list[str], rdflib_cap: float) -> list[str]:
    from kg.backends.open import open_backend
    from kg.query import bundled_queries

    lines = [f"\n{label}"]
    backends = {}
    for store in ("memory", "oxigraph"):
        started = time.perf_counter()
        backends[store] = open_backend(inputs, store=store)
        lines.append(f"  load, {store}: {time.perf_counter() - started:.2f} s ({len(backends[store])} triples with the ontology)")
    queries = [(q.name, q.text, parameters(backends["oxigraph"], q)) for q in bundled_queries()]
    queries += [(name, text, []) for name, text in README_QUERIES.items()]
    lines.append(f"  {'query':34} {'rows':>6} {'default (s)':>12} {'oxigraph (s)':>13} {'kg query, whole (s)':>20}")
    slowest = 0.0
    for name, text, params in queries:
        seconds, result = best_of(3, lambda: backends["memory"].run(text, params=params))
        oxigraph, _ = best_of(3, lambda: backends["oxigraph"].run(text, params=params))
        data = [a for path in inputs for a in ("--data", path)]
        whole = cli_seconds([*(["-e", text] if not params and name in README_QUERIES else [name]), *[a for p in params for a in ("--param", p)], *data])
        slowest = max(slowest, seconds)
        lines.append(f"  {name:34} {len(result.rows):>6} {seconds:>12.3f} {oxigraph:>13.3f} {whole:>20.2f}")
    lines.append(f"  slowest query in the default configuration: {slowest:.3f} s ({'within' if slowest <= 1 else 'OVER'} the 1 s goal)")
    lines.append(f"  rdflib's engine on the issue 14 join (before): {rdflib_engine_seconds(inputs, README_QUERIES['issue 14: label join'], rdflib_cap)} s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=280, help="organizations of the synthetic graph (280: ~10^4 triples)")
    parser.add_argument("--rdflib-cap", type=float, default=60.0, help="seconds after which rdflib's engine is stopped")
    args = parser.parse_args()
    from kg.synth import write_synthetic

    with tempfile.TemporaryDirectory() as folder:
        synthetic = Path(folder) / f"synthetic-{args.orgs}.nt"
        write_synthetic(args.orgs, seed=0, output=synthetic)
        lines = ["kg query timings (issue 14, item 9)"]
        lines += bench("bundled example", [], args.rdflib_cap)
        lines += bench(f"kg synth --orgs {args.orgs}", [str(synthetic)], args.rdflib_cap)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
