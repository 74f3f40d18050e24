"""The ``kg`` command line: parses options and makes one library call per command."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click

from kg import __version__
from kg.errors import KgError


class CommandError(click.ClickException):
    """A library error shown as one ``Error:`` line, exit code 2 (the command could not run)."""

    exit_code = 2


class KgGroup(click.Group):
    def invoke(self, ctx: click.Context):
        import warnings

        from kg.errors import KgWarning

        def show(message, category, *args, **kwargs):
            if issubclass(category, KgWarning):
                click.echo(f"Warning: {message}", err=True)
            else:
                default_show(message, category, *args, **kwargs)

        with warnings.catch_warnings():
            default_show = warnings.showwarning
            warnings.simplefilter("always", KgWarning)
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except KgError as exc:
                problems = getattr(exc, "problems", None)
                if problems:  # a sheet's bad cells: one Error line each
                    for problem in problems:
                        click.echo(f"Error: {problem}", err=True)
                    raise click.exceptions.Exit(CommandError.exit_code) from None
                raise CommandError(str(exc)) from None


def _remember(ctx: click.Context, param: click.Parameter, value):
    ctx.meta.setdefault("kg.source", {})[param.name] = value
    return value


def data_option(command):
    """--data, and where the graph lives: --store, --store-path, --endpoint, --graph, --timeout."""
    options = [
        click.option(
            "--data",
            "data",
            multiple=True,
            type=click.Path(path_type=Path),
            help="RDF file (by extension) or folder of RDF files and/or entities.csv + relations.csv; "
            "repeatable. Default: the bundled example data.",
        ),
        click.option(
            "--store",
            type=click.Choice(["memory", "oxigraph"]),
            default="memory",
            show_default=True,
            expose_value=False,
            callback=_remember,
            help="Where local data is loaded: rdflib in memory, or Oxigraph (large graphs).",
        ),
        click.option(
            "--store-path",
            type=click.Path(file_okay=False, path_type=Path),
            expose_value=False,
            callback=_remember,
            help="Keep the Oxigraph store in this folder, reused by later runs (implies --store oxigraph).",
        ),
        click.option(
            "--endpoint",
            metavar="URL",
            expose_value=False,
            callback=_remember,
            help="Read the graph from this SPARQL 1.1 endpoint instead of local files.",
        ),
        click.option(
            "--graph",
            "graph_iri",
            metavar="IRI",
            expose_value=False,
            callback=_remember,
            help="With --endpoint: the named graph to read (sent as default-graph-uri).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=60.0,
            show_default=True,
            expose_value=False,
            callback=_remember,
            help="With --endpoint: seconds to wait for each answer.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def as_of_options(command):
    """--as-of and --min-status, with the meaning the conflict rules give them (DESIGN section 4)."""
    command = click.option(
        "--min-status",
        default="rumored",
        show_default=True,
        metavar="STATUS",
        help="Ignore evidence weaker than this: rumored, reported or confirmed (denied is never evidence).",
    )(command)
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Count the claims in force on this date: YYYY-MM-DD, or YYYY-MM / YYYY meaning their last day "
        "(default: today).",
    )(command)


def format_option(*choices: str, default: str = "table"):
    return click.option(
        "--format", "output_format", type=click.Choice(choices), default=default, show_default=True, help="Output format."
    )


def load_source(data, *, include_ontology: bool = True):
    """The source the command's options name: local files (memory or Oxigraph) or an endpoint."""
    from kg.store import open_source

    options = click.get_current_context().meta.get("kg.source", {})
    store = "oxigraph" if options.get("store_path") else options.get("store", "memory")
    progress = None
    if store == "oxigraph" and sys.stderr.isatty():
        progress = lambda total: _progress_bar(total)  # noqa: E731
    return open_source(
        data,
        store=store,
        store_path=options.get("store_path"),
        endpoint=options.get("endpoint"),
        graph=options.get("graph_iri"),
        timeout=options.get("timeout") or 60.0,
        include_ontology=include_ontology,
        progress_factory=progress,
    )


def load(data, *, include_ontology: bool = True):
    """An rdflib graph of what the options name, for the stages that need one."""
    return load_source(data, include_ontology=include_ontology).to_graph()


def load_with_findings(data, *, as_of, min_status, conflicts: bool = True):
    """An rdflib graph for a stage that needs one, and the conflict findings when it needs them.

    On Oxigraph and endpoints the rule pack runs in the store (under a second for
    10^5 triples) rather than on the rdflib copy (half a minute); None lets the
    stage compute them on the in-memory graph as usual.
    """
    from kg.conflicts import find_conflicts

    source = load_source(data)
    findings = None
    if conflicts and source.name != "memory":
        findings = find_conflicts(source, as_of=as_of, min_status=min_status)
    return source.to_graph(), findings


class _progress_bar:
    """A byte-count progress bar on stderr while a large file streams into Oxigraph."""

    def __init__(self, total: int) -> None:
        self.bar = click.progressbar(length=total, label="Loading", file=sys.stderr, show_eta=True)

    def __enter__(self):
        self.bar.__enter__()
        return self.bar.update

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="kg")
def cli():
    """Question the AI industry's web of compute deals as a knowledge graph.

    With no --data, every command reads the bundled example: the world of the
    analysis kg grew from (Anthropic, OpenAI, xAI, SpaceX, AWS and the people
    behind them).

    \b
    Example:
        kg stats
        kg describe anthropic
    """


@cli.command()
@data_option
@format_option("table", "json")
def stats(data, output_format):
    """Count triples, instances per class and attestations per status.

    \b
    Example:
        kg stats --data my-graph.ttl
    """
    from kg.summary import graph_stats

    result = graph_stats(load_source(data, include_ontology=False))
    if output_format == "json":
        click.echo(json.dumps({"triples": result.triples, "classes": dict(result.classes), "statuses": dict(result.statuses)}, indent=2))
        return
    from tabulate import tabulate

    click.echo(f"{result.triples} triples\n")
    click.echo(tabulate(result.classes, headers=["class", "instances"], tablefmt="simple"))
    if result.statuses:
        click.echo()
        click.echo(tabulate(result.statuses, headers=["status", "attestations"], tablefmt="simple"))


@cli.command()
@click.argument("entity")
@data_option
@format_option("text", "json", default="text")
def describe(entity, data, output_format):
    """Everything known about one entity: its types and every claim it takes part in.

    ENTITY is an id from the data (anthropic), a prefixed name (kgd:anthropic),
    a full IRI or an exact label ("Elon Musk").

    \b
    Example:
        kg describe spacex
    """
    from dataclasses import asdict

    from kg.summary import describe_entity, entity_graph

    source = load_source(data)
    if source.name == "memory":
        description = describe_entity(source.to_graph(), entity)
    else:  # fetch what describing one entity reads, not the whole store
        iri, graph = entity_graph(source, entity)
        description = describe_entity(graph, str(iri))
    if output_format == "json":
        click.echo(json.dumps(asdict(description), indent=2, ensure_ascii=False))
        return
    click.echo(f"{description.label}  <{description.iri}>")
    click.echo(f"  types: {', '.join(description.types) or '(none)'}")
    if description.description:
        click.echo(f"  description: {description.description}")
    click.echo(f"\nClaims ({len(description.claims)}):")
    for claim in description.claims:
        subject = description.labels.get(claim.subject or "", claim.subject or "?")
        obj = description.labels.get(claim.object or "", claim.object or "?")
        dates = f"{claim.start or '…'} – {claim.end or '…'}" if (claim.start or claim.end) else "undated"
        click.echo(f"- {subject} {claim.verb} {obj} ({dates})")
        for att in claim.attestations:
            click.echo(f"    {att.status}: {att.source_title or att.source}")
        if claim.note:
            click.echo(f"    note: {claim.note}")


@cli.command()
@data_option
@format_option("text", "json", default="text")
def validate(data, output_format):
    """Check the graph against kg's SHACL shapes (and its files' syntax).

    Exit code 0 when the data conforms, 1 when there are violations, 2 when the
    input cannot be read.

    \b
    Example:
        kg validate --data my-graph.ttl
    """
    from kg.validate import validate_graph

    report = validate_graph(load(data, include_ontology=False))
    if output_format == "json":
        click.echo(
            json.dumps(
                {"conforms": report.conforms, "results": [r.__dict__ for r in report.results]}, indent=2, ensure_ascii=False
            )
        )
    else:
        for result in report.results:
            where = f"{result.focus}" + (f" {result.path}" if result.path else "")
            value = f" (value: {result.value})" if result.value is not None else ""
            click.echo(f"{result.severity}: {where}: {result.message}{value}")
        summary = "Conforms" if report.conforms else "Does not conform"
        click.echo(f"{summary}: {len(report.violations)} violation(s), {len(report.warnings)} warning(s).")
    sys.exit(0 if report.conforms else 1)


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="File to write (a folder for csv).")
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["ttl", "nt", "nq", "jsonld", "xml", "trig", "graphml", "gexf", "csv"]),
    help="Output format (default: from the file extension). csv writes entities.csv, relations.csv "
    "and sources.csv into the folder -o names. graphml and gexf write the agent network (agents as "
    "nodes, claims as edges with type, label, dates and status; a missing value is \"\") for Gephi or yEd.",
)
@click.option("--with-ontology", is_flag=True, help="Include the ontology's triples.")
@data_option
def export(output, export_format, with_ontology, data):
    """Write the graph to a file in an RDF format.

    The file is written whole or not at all: an existing file is replaced only
    once the new one is complete.

    \b
    Example:
        kg export -o graph.jsonld
        kg export -o graph.nt --data my-graph.ttl
        kg export --format csv -o my-sheet/
        kg export -o network.graphml
    """
    from kg.export import export_graph

    used = export_graph(load(data, include_ontology=with_ontology), output, export_format)
    click.echo(f"Wrote {output} ({used})", err=True)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="RDF file to write; its extension picks the format.")
@click.option("--template", is_flag=True, help="Write empty entities.csv, relations.csv and sources.csv into FOLDER instead.")
def ingest(folder, output, template):
    """Turn a spreadsheet folder (entities.csv + relations.csv) into RDF claims.

    Every relations.csv row becomes a sourced, dated claim. Bad cells are all
    reported as FILE:LINE:COLUMN lines and nothing is written (exit code 2).
    Turtle, N-Triples, N-Quads, TriG and JSON-LD output is the same byte for
    byte for the same sheet, so two ingests diff cleanly.

    \b
    Example:
        kg ingest --template my-sheet/
        kg ingest my-sheet/ -o my-sheet.ttl
        kg conflicts --data my-sheet/
    """
    if template:
        from kg.sheets import write_template

        for path in write_template(folder):
            click.echo(f"Wrote {path}", err=True)
        return
    if output is None:
        raise click.UsageError("give -o FILE to write the RDF to (or --template to start a sheet)")
    from kg.ingest import ingest_to_file

    used = ingest_to_file(folder, output)
    click.echo(f"Wrote {output} ({used})", err=True)


@cli.command()
@as_of_options
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Run only this rule (repeatable); see the rule ids below.")
@format_option("table", "json", "md", "csv")
@click.option("--fail-on-findings", is_flag=True, help="Exit with code 1 when there is any finding (for CI jobs).")
@data_option
def conflicts(as_of, min_status, rule_ids, output_format, fail_on_findings, data):
    """Find where control, money, supply and rivalry cross, with the evidence.

    Rules: competitor-controlled-supplier, investor-supplier-overlap,
    investor-controls-rival, founder-defection, single-supplier-dependency,
    investor-in-rivals.

    \b
    Example:
        kg conflicts
        kg conflicts --as-of 2022-06 --min-status reported --format json
        kg conflicts --rule competitor-controlled-supplier --data my-sheet/
    """
    from kg.conflicts import find_conflicts, format_findings
    from kg.rules import check_min_status, parse_as_of

    as_of_date, min_status = parse_as_of(as_of), check_min_status(min_status)
    findings = find_conflicts(load_source(data), as_of=as_of_date, min_status=min_status, rules=rule_ids or None)
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(format_findings(findings, output_format, as_of=as_of_date, min_status=min_status, width=width))
    if fail_on_findings and findings:
        sys.exit(1)


@cli.command()
@click.argument("query", required=False)
@click.option("-e", "--expression", metavar="SPARQL", help="Run this SPARQL text instead of a named query or file.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind ?NAME to an RDF term: <iri>, an id, prefix:name, or a literal such as '\"2021\"^^xsd:gYear' (repeatable).")
@format_option("table", "csv", "tsv", "json", "md")
@click.option("--allow-update", is_flag=True, help="Allow SPARQL Update (changes only the in-memory copy).")
@click.option("--allow-service", is_flag=True, help="Allow SERVICE and LOAD, which reach the network.")
@data_option
def query(query, expression, params, output_format, allow_update, allow_service, data):
    """Run a bundled query by name, a .rq file, or -e SPARQL, read-only.

    csv, tsv and json are the W3C SPARQL 1.1 results formats. Parameters are
    bound as RDF terms, never pasted into the query text.

    \b
    Example:
        kg query controllers-of --param org=starlink
        kg query -e 'SELECT ?lab WHERE { ?lab a kg:AILab }' --format csv
    """
    from kg.query import format_result, resolve_query

    _, text = resolve_query(query, expression=expression)
    result = load_source(data).run(text, params=params, allow_update=allow_update, allow_service=allow_service)
    click.echo(format_result(result, output_format))


@cli.command()
@format_option("table", "json")
def queries(output_format):
    """List the bundled queries with their summaries and parameters.

    \b
    Example:
        kg queries
    """
    from kg.query import bundled_queries

    found = bundled_queries()
    if output_format == "json":
        click.echo(
            json.dumps(
                [{"name": q.name, "summary": q.summary, "parameters": {p.name: p.description for p in q.parameters}} for q in found],
                indent=2,
            )
        )
        return
    for q in found:
        click.echo(f"{q.name}\n    {q.summary}")
        for p in q.parameters:
            click.echo(f"    --param {p.name}=...  {p.description}")


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="HTML file to write.")
@click.option("--focus", metavar="ID", help="Draw only the neighbourhood of this entity (id, prefix:name, IRI or exact label).")
@click.option("--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Steps from --focus to draw.")
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Draw at most this many agents, keeping the most connected part; the page says what was left out.",
)
@click.option("--collapse-hubs", type=click.IntRange(min=1), metavar="N", help="Fold the leaves of agents with more than N of them into one node.")
@click.option("--no-conflicts", is_flag=True, help="Do not run the conflict rules or highlight their findings.")
@as_of_options
@data_option
def viz(output, focus, depth, max_nodes, collapse_hubs, no_conflicts, as_of, min_status, data):
    """Write the graph as one interactive HTML page that works offline.

    Agents are nodes (shape and colour by kind), claims are labelled edges with
    their dates, status and sources on hover, and the findings of the conflict
    rules are highlighted and listed; choose one to focus its path. The page
    loads nothing from the network and is the same, byte for byte, for the same
    input.

    \b
    Example:
        kg viz -o graph.html
        kg viz -o spacex.html --focus spacex --depth 1
    """
    from kg.viz import write_html

    graph, findings = load_with_findings(data, as_of=as_of, min_status=min_status, conflicts=not no_conflicts)
    summary = write_html(
        graph,
        output,
        focus=focus,
        depth=depth,
        max_nodes=max_nodes,
        collapse_hubs=collapse_hubs,
        conflicts=not no_conflicts,
        findings=findings,
        as_of=as_of,
        min_status=min_status,
    )
    for note in summary.notes:
        click.echo(note, err=True)
    click.echo(f"Wrote {output} ({summary.nodes:,} nodes, {summary.edges:,} claims, {summary.findings} finding(s))", err=True)


@cli.command()
@as_of_options
@click.option("--path", "path", nargs=2, metavar="FROM TO", help="Also show the shortest chain of control and investment claims joining two entities.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Rows of the controller and broker lists.")
@format_option("table", "json")
@data_option
def analyze(as_of, min_status, path, top, output_format, data):
    """Network metrics: supply concentration, key controllers, conflict brokers.

    Per AI lab: its active compute suppliers and the Herfindahl-Hirschman index
    of its supply (0-10,000; over capacity in MW when every contract gives it,
    else over contract count). Controllers: who reaches the most suppliers
    through control chains. Brokers: betweenness on the conflict findings'
    evidence. "Active" means what it means to `kg conflicts`.

    \b
    Example:
        kg analyze
        kg analyze --as-of 2024 --min-status reported --format json
        kg analyze --path starlink xai
    """
    from kg.network import analyze as analyze_network
    from kg.network import format_report

    graph, findings = load_with_findings(data, as_of=as_of, min_status=min_status)
    report = analyze_network(graph, as_of=as_of, min_status=min_status, path=path or None, top=top, findings=findings)
    click.echo(format_report(report, output_format))


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Folder to write index.html into (created if missing).")
def docs(output):
    """Write the ontology's HTML reference (pyLODE): every class, property and individual.

    The page shows each term's definition and its alignments (subclass of,
    exact and close matches) and loads nothing from the network.

    \b
    Example:
        kg docs -o out/docs
    """
    from kg.docs import build_docs

    summary = build_docs(output)
    click.echo(f"Wrote {summary.path} ({summary.terms} terms)", err=True)


@cli.command()
@click.option("--endpoint", required=True, metavar="URL", help="SPARQL query URL of the store to load into.")
@click.option("--graph", "graph_iri", metavar="IRI", help="Named graph for the data (default: the default graph).")
@click.option("--store-url", metavar="URL", help="Graph Store Protocol URL, if it cannot be guessed from --endpoint.")
@click.option("--update-url", metavar="URL", help="SPARQL Update URL, if the server has no Graph Store Protocol and it cannot be guessed.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds to wait for each request.")
@click.option(
    "--bulk",
    is_flag=True,
    help="Oxigraph server: load without a transaction, about 7x faster for 10^6 triples; "
    "a push that fails midway leaves the graph empty or partial.",
)
@as_of_options
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="RDF file or folder to push (repeatable). Default: the bundled example data.",
)
def push(endpoint, graph_iri, store_url, update_url, timeout, bulk, as_of, min_status, data):
    """Load the ontology, the data and the derived facts into a SPARQL 1.1 store.

    Uses the SPARQL 1.1 Graph Store Protocol where the server offers it (for
    Oxigraph it is guessed from --endpoint), else SPARQL Update (at /update
    beside --endpoint, or at --endpoint itself, as Virtuoso takes it). The
    derived facts go to their own graph (IRI/derived, or urn:kg:derived).

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
        progress_factory=_progress_bar if sys.stderr.isatty() else None,
    )
    where = f"graph <{report.data_graph}>" if report.data_graph else "the default graph"
    click.echo(f"Pushed {report.data_triples} triples to {where} and {report.derived_triples} derived triples to <{report.derived_graph}> ({report.method}).")


@cli.command()
@click.option("--orgs", type=click.IntRange(min=20), required=True, help="About how many organizations to generate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same graph.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="RDF file to write (format by extension).")
@click.option("--planted", "planted_path", type=click.Path(path_type=Path), help="Also write the planted findings as JSON here.")
def synth(orgs, seed, output, planted_path):
    """Write a fictional industry graph with a known number of planted conflicts.

    The background can fire no rule; each planted structure makes exactly one
    finding, valid for any --as-of from 2025 on. About 22 triples per organization.

    \b
    Example:
        kg synth --orgs 5000 --seed 1 -o synthetic.nt --planted planted.json
        kg conflicts --as-of 2025-06-30 --data synthetic.nt --store oxigraph
    """
    from kg.synth import write_synthetic

    counts = write_synthetic(orgs, seed=seed, output=output, planted_path=planted_path)
    click.echo(f"Wrote {output}: {counts['triples']} triples, {counts['planted']} planted findings.", err=True)


def cli_reference() -> str:
    """The README's command reference: ``kg --help`` and each command's help, in Markdown."""
    parts = []
    # The same settings as a real run (click caches the help option once a command has run).
    ctx = click.Context(cli, info_name="kg", max_content_width=100, terminal_width=100, help_option_names=["-h", "--help"])
    parts.append("```text\n$ kg --help\n" + cli.get_help(ctx).rstrip() + "\n```")
    for name in sorted(cli.commands):
        command = cli.commands[name]
        sub = click.Context(
            command, info_name=name, parent=ctx, max_content_width=100, terminal_width=100, help_option_names=["-h", "--help"]
        )
        parts.append(f"### kg {name}\n\n```text\n$ kg {name} --help\n" + command.get_help(sub).rstrip() + "\n```")
    return "\n\n".join(parts)


def main() -> None:
    import logging

    # rdflib logs a traceback for each ill-typed literal (kg validate reports them in one line each).
    logging.getLogger("rdflib").setLevel(logging.ERROR)
    cli(prog_name="kg")
