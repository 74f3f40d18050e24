"""Commands that look at a graph: ``kg stats``, ``kg describe``, ``kg owners``, ``kg validate``.

Their text output shows values from the data, so every one passes through
``terminal_text``: a control character in a name is shown as an escape, never
sent to the terminal.
"""

from __future__ import annotations

import json
import sys

import click

from kg.cli.options import claim_options, data_option, format_option, graph_from_options, open_from_options


@click.command()
@data_option
@format_option("table", "json")
def stats(data, output_format):
    """Count triples, instances per class and attestations per status.

    \b
    Example:
        kg stats --data my-graph.ttl
    """
    from kg.analysis.stats import graph_stats

    result = graph_stats(open_from_options(data, include_ontology=False))
    if output_format == "json":
        click.echo(json.dumps({"triples": result.triples, "classes": dict(result.classes), "statuses": dict(result.statuses)}, indent=2))
        return
    from tabulate import tabulate

    from kg.io.text import terminal_text as safe

    click.echo(f"{result.triples} triples\n")
    click.echo(tabulate([(safe(name), count) for name, count in result.classes], headers=["class", "instances"], tablefmt="simple"))
    if result.statuses:
        click.echo()
        statuses = [(safe(name), count) for name, count in result.statuses]
        click.echo(tabulate(statuses, headers=["status", "attestations"], tablefmt="simple"))


@click.command()
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

    from kg.analysis.describe import describe as describe_in_backend
    from kg.io.text import terminal_text as safe

    description = describe_in_backend(open_from_options(data), entity)
    if output_format == "json":
        click.echo(json.dumps(asdict(description), indent=2, ensure_ascii=False))
        return
    click.echo(safe(f"{description.label}  <{description.iri}>"))
    click.echo(safe(f"  types: {', '.join(description.types) or '(none)'}"))
    if description.description:
        click.echo(safe(f"  description: {description.description}"))
    for name, value in description.facts:
        click.echo(safe(f"  {name}: {value}"))
    if description.aliases:
        shared = ", ".join(description.shared_identifiers)
        click.echo(safe(f"  also known as: {', '.join(f'<{alias}>' for alias in description.aliases)} (shared identifier {shared})"))
    click.echo(f"\nClaims ({len(description.claims)}):")
    for claim in description.claims:
        subject = description.labels.get(claim.subject or "", claim.subject or "?")
        obj = description.labels.get(claim.object or "", claim.object or "?")
        dates = f"{claim.start or '…'} – {claim.end or '…'}" if (claim.start or claim.end) else "undated"
        click.echo(safe(f"- {subject} {claim.verb} {obj} ({dates})"))
        for name, value in claim.qualities:
            click.echo(safe(f"    {name}: {value}"))
        for att in claim.attestations:
            click.echo(safe(f"    {att.status}: {att.source_name}"))
        if claim.note:
            click.echo(safe(f"    note: {claim.note}"))


@click.command()
@click.argument("org")
@claim_options
@click.option(
    "--min-share",
    metavar="PCT",
    help="Leave out owners whose effective share cannot reach this percentage (the high end of its range "
    "is below it); an owner whose share is not given is always shown.",
)
@click.option(
    "--max-chains",
    type=click.IntRange(min=1),
    metavar="N",
    default=10_000,
    show_default=True,
    help="Stop with an error, rather than answer in part, when more chains of holdings than this lead up to ORG.",
)
@format_option("table", "json", "csv", "md")
@data_option
def owners(org, as_of, min_status, min_stage, min_share, max_chains, output_format, data):
    """Who owns ORG, directly and through chains of holdings, with each owner's effective share.

    ORG is an id, prefixed name, IRI or exact label, as for kg describe. A
    holding is an ownership in force, or an investment in force that gives its
    stake (control claims are not read); several claims on one owner and asset
    are one holding. Shares are ranges (an exact share is a range of one; a
    missing share is 0-100%): a chain's share is the product of its holdings',
    an owner's the sum over its chains that visit no agent twice, at most 100%.
    A holding that loops back to ORG or to an agent already on the chain is
    reported as a cycle and not followed. Ultimate owners have no owner above
    them.

    \b
    Example:
        kg owners kestrel-chips --data data/example-sheet/
        kg owners "Harbor Cloud" --data my-sheet/ --min-share 10 --format csv
    """
    from kg.analysis.owners import owners_of
    from kg.analysis.owners_report import format_owners

    report = owners_of(
        open_from_options(data), org, as_of=as_of, min_status=min_status, min_stage=min_stage, min_share=min_share, max_chains=max_chains
    )
    click.echo(format_owners(report, output_format))


@click.command()
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
    from kg.io.text import terminal_text as safe
    from kg.validate import validate_graph

    report = validate_graph(graph_from_options(data, include_ontology=False))
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
            click.echo(safe(f"{result.severity}: {where}: {result.message}{value}"))
        summary = "Conforms" if report.conforms else "Does not conform"
        click.echo(f"{summary}: {len(report.violations)} violation(s), {len(report.warnings)} warning(s).")
    sys.exit(0 if report.conforms else 1)
