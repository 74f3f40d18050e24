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


def data_option(command):
    return click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(path_type=Path),
        help="RDF file (by extension) or folder of RDF files and/or entities.csv + relations.csv; "
        "repeatable. Default: the bundled example data.",
    )(command)


def format_option(*choices: str, default: str = "table"):
    return click.option(
        "--format", "output_format", type=click.Choice(choices), default=default, show_default=True, help="Output format."
    )


def load(data, *, include_ontology: bool = True):
    from kg.load import load_graph

    return load_graph(data, include_ontology=include_ontology)


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

    result = graph_stats(load(data, include_ontology=False))
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

    from kg.summary import describe_entity

    description = describe_entity(load(data), entity)
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
    type=click.Choice(["ttl", "nt", "nq", "jsonld", "xml", "trig", "csv"]),
    help="Output format (default: from the file extension). csv writes entities.csv, relations.csv "
    "and sources.csv into the folder -o names.",
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
@click.option("--as-of", "as_of", metavar="DATE", help="Date the claims must hold at: YYYY, YYYY-MM or YYYY-MM-DD (default: today).")
@click.option(
    "--min-status",
    default="rumored",
    show_default=True,
    metavar="STATUS",
    help="Ignore evidence weaker than this: rumored, reported or confirmed (denied is never evidence).",
)
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
    graph = load(data)
    findings = find_conflicts(graph, as_of=as_of_date, min_status=min_status, rules=rule_ids or None)
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
    from kg.query import format_result, resolve_query, run_query

    _, text = resolve_query(query, expression=expression)
    result = run_query(load(data), text, params=params, allow_update=allow_update, allow_service=allow_service)
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
@click.option("--as-of", "as_of", metavar="DATE", help="Date for the conflict rules: YYYY, YYYY-MM or YYYY-MM-DD (default: today).")
@click.option(
    "--min-status",
    default="rumored",
    show_default=True,
    metavar="STATUS",
    help="Conflict evidence weaker than this is ignored: rumored, reported or confirmed.",
)
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

    summary = write_html(
        load(data),
        output,
        focus=focus,
        depth=depth,
        max_nodes=max_nodes,
        collapse_hubs=collapse_hubs,
        conflicts=not no_conflicts,
        as_of=as_of,
        min_status=min_status,
    )
    for note in summary.notes:
        click.echo(note, err=True)
    click.echo(f"Wrote {output} ({summary.nodes:,} nodes, {summary.edges:,} claims, {summary.findings} finding(s))", err=True)


def main() -> None:
    cli(prog_name="kg")
