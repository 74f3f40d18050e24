"""Commands that write data: ``kg export``, ``kg ingest``, ``kg push``, ``kg synth``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.options import ProgressBar, as_of_options, data_option, graph_from_options


@click.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="File to write (a folder for csv).")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["ttl", "nt", "nq", "jsonld", "xml", "trig", "graphml", "gexf", "csv", "bods", "ftm"]),
    help="Output format (default: from the file extension). csv writes entities.csv, relations.csv "
    "and sources.csv into the folder -o names. graphml and gexf write the agent network (agents as "
    "nodes, claims as edges with type, label, dates and status; a missing value is \"\") for Gephi or yEd. "
    "bods and ftm write the agents, ownership, control (and, for ftm, affiliations) as BODS 0.4 "
    "statements or FollowTheMoney entities.",
)
@click.option("--with-ontology", is_flag=True, help="Include the ontology's triples.")
@click.option(
    "--profile",
    type=click.Choice(["data", "reasoner"]),
    default="data",
    show_default=True,
    help="reasoner: dates as xsd:dateTime with their precision in kg:startDatePrecision (and end, founding), "
    "which OWL 2 reasoners (HermiT, Protégé) accept; kg reads such a file back the same.",
)
@data_option
def export(output, export_format, with_ontology, profile, data):
    """Write the graph to a file: RDF, a sheet, a network, BODS or FollowTheMoney.

    The file is written whole or not at all: an existing file is replaced only
    once the new one is complete.

    \b
    Example:
        kg export -o graph.jsonld
        kg export -o graph.nt --data my-graph.ttl
        kg export --format csv -o my-sheet/
        kg export -o network.graphml
        kg export -o for-protege.owl --with-ontology --profile reasoner
        kg export --format ftm -o graph.ftm.json
    """
    from kg.export import export_graph

    used = export_graph(graph_from_options(data, include_ontology=with_ontology), output, export_format, profile=profile)
    click.echo(f"Wrote {output} ({used})", err=True)


@click.command()
@click.argument("folder", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="RDF file to write; its extension picks the format.")
@click.option("--template", is_flag=True, help="Write empty entities.csv, relations.csv and sources.csv into the folder INPUT instead.")
@click.option(
    "--format",
    "input_format",
    type=click.Choice(["bods", "ftm", "gleif"]),
    help="Read INPUT as a file of ownership data in this format (default: a folder or .xlsx is a sheet, a file is known by its content).",
)
def ingest(folder, output, template, input_format):
    """Turn a sheet or a file of ownership data into RDF claims.

    INPUT is a sheet folder (entities.csv, relations.csv, sources.csv), an .xlsx
    workbook, or a BODS 0.4, FollowTheMoney or GLEIF file (see --format).

    Every relations row becomes a sourced, dated claim. Bad cells are all
    reported as FILE:LINE:COLUMN lines and nothing is written (exit code 2).
    Turtle, N-Triples, N-Quads, TriG and JSON-LD output is the same byte for
    byte for the same input, so two ingests diff cleanly.

    \b
    Example:
        kg ingest --template my-sheet/
        kg ingest my-sheet/ -o my-sheet.ttl
        kg ingest deals.xlsx -o deals.ttl
        kg ingest register-extract.jsonl -o register.ttl
        kg conflicts --data my-sheet/
    """
    if template and input_format:
        raise click.UsageError("--template writes a sheet; it takes no --format")
    if template:
        from kg.io.sheets.write import write_template

        for path in write_template(folder):
            click.echo(f"Wrote {path}", err=True)
        return
    if output is None:
        raise click.UsageError("give -o FILE to write the RDF to (or --template to start a sheet)")
    import warnings

    from kg.errors import KgWarning
    from kg.io.load import ingest_file

    warned: set[str] = set()
    shown = warnings.showwarning

    def count(message, category, *args, **kwargs):
        if issubclass(category, KgWarning):
            warned.add(str(message))  # as the warnings are shown: each once
        shown(message, category, *args, **kwargs)

    warnings.showwarning = count
    try:
        done = ingest_file(folder, output, input_format)
    finally:
        warnings.showwarning = shown
    click.echo(f"Read {_count(done.entities, 'entity', 'entities')}, {_count(done.claims, 'claim')}, "
               f"{_count(done.sources, 'source')} ({_count(len(warned), 'warning')}) from {folder}", err=True)
    click.echo(f"Wrote {output} ({done.format})", err=True)


def _count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 claim``, ``2 claims``, ``0 entities``."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


@click.command()
@click.option("--endpoint", required=True, metavar="URL", help="SPARQL query URL of the store to load into.")
@click.option("--graph", "graph_iri", metavar="IRI", help="Named graph for the data (default: the default graph).")
@click.option("--store-url", metavar="URL", help="Graph Store Protocol URL, if it cannot be guessed from --endpoint.")
@click.option("--update-url", metavar="URL", help="SPARQL Update URL, if it cannot be guessed from --endpoint.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds each request may take, its answer included.",
)
@click.option(
    "--bulk",
    is_flag=True,
    help="Oxigraph server: load the temporary graphs without a transaction, about 7x faster for 10^6 triples.",
)
@click.option(
    "--break-lock",
    is_flag=True,
    help="Remove the lock and temporary graphs a killed push left on these graphs, then push.",
)
@as_of_options
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="RDF file or folder to push (repeatable). Default: the bundled example data.",
)
def push(endpoint, graph_iri, store_url, update_url, timeout, bulk, break_lock, as_of, min_status, min_stage, control_threshold, data):
    """Load the ontology, the data and the derived facts into a SPARQL 1.1 store, whole or not at all.

    The data replace the graph --graph names (or the default graph); the
    derived facts replace their own graph (IRI/derived, or urn:kg:derived).
    The push locks both graphs on the server, loads temporary graphs (with the
    Graph Store Protocol where the server offers it: for Oxigraph it is guessed
    from --endpoint; else with SPARQL Update, at /update beside --endpoint or at
    --endpoint itself, as Virtuoso takes it), checks the server holds every
    triple, and swaps them in with one SPARQL Update. An interrupted push leaves
    the graphs as they were; a second push to them meanwhile is refused.

    Credentials come from the environment, KG_ENDPOINT_USER and
    KG_ENDPOINT_PASSWORD (HTTP Basic or Digest, as the server asks) or
    KG_ENDPOINT_TOKEN (a bearer token), else from ~/.netrc; never from the URL.

    \b
    Example:
        oxigraph serve --location store --bind 127.0.0.1:7878 &
        kg push --endpoint http://127.0.0.1:7878/query
        kg conflicts --endpoint http://127.0.0.1:7878/query
    """
    from kg.push import push as push_data

    report = push_data(
        data,
        endpoint,
        graph=graph_iri,
        store_url=store_url,
        update_url=update_url,
        timeout=timeout,
        bulk=bulk,
        as_of=as_of,
        min_status=min_status,
        min_stage=min_stage,
        control_threshold=control_threshold,
        break_lock=break_lock,
        progress_factory=ProgressBar if sys.stderr.isatty() else None,
    )
    where = f"graph <{report.data_graph}>" if report.data_graph else "the default graph"
    how = report.method if report.atomic else f"{report.method}; not atomic"
    click.echo(f"Pushed {report.data_triples} triples to {where} and {report.derived_triples} derived triples to <{report.derived_graph}> ({how}).")


@click.command()
@click.option("--orgs", type=click.IntRange(min=20), required=True, help="About how many organizations to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same graph.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="RDF file to write (format by extension).")
@click.option("--planted", "planted_path", type=click.Path(path_type=Path), help="Also write the planted findings as JSON here.")
def synth(orgs, seed, output, planted_path):
    """Write a fictional industry graph with a known number of planted conflicts.

    The background can fire no rule; each planted structure makes exactly one
    finding of one rule, or none (near misses), valid for any --as-of from 2025 on;
    every bundled rule is planted. Control is planted as control claims and as
    ownerships at or above 50% (and chains of them), beside decoys that must stay
    silent: 49.99%, a 25-50% band, a maximum alone, a terminated deal. The planted
    file gives the findings and the entities each rule reports for them, under the
    default options, under --control-threshold 25 and under --min-stage agreed.
    About 38 triples per organization.

    \b
    Example:
        kg synth --orgs 5000 --seed 1 -o synthetic.nt --planted planted.json
        kg conflicts --as-of 2025-06-30 --data synthetic.nt --store oxigraph
    """
    from kg.synth import write_synthetic

    counts = write_synthetic(orgs, seed=seed, output=output, planted_path=planted_path)
    click.echo(f"Wrote {output}: {counts['triples']} triples, {counts['planted']} planted findings.", err=True)
