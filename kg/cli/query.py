"""``kg query`` and ``kg queries``: SPARQL, read-only by default."""

from __future__ import annotations

import json

import click

from kg.cli.options import data_option, format_option, open_from_options


@click.command()
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
    result = open_from_options(data).run(text, params=params, allow_update=allow_update, allow_service=allow_service)
    click.echo(format_result(result, output_format))


@click.command()
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
