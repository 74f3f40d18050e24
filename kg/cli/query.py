"""``kg query`` and ``kg queries``: SPARQL, read-only by default."""

from __future__ import annotations

import json

import click

from kg.cli.options import backend_options, data_option, format_option, open_from_options


@click.command()
@click.argument("query", required=False)
@click.option("-e", "--expression", metavar="SPARQL", help="Run this SPARQL text instead of a named query or file.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind ?NAME to an RDF term: an id or exact label from the data, prefix:name, <iri>, a number, or a quoted "
    "literal such as '\"some text\"' or '\"2021\"^^xsd:gYear' (repeatable). A value that names nothing is an error.",
)
@format_option("table", "csv", "tsv", "json", "md")
@click.option(
    "--infer",
    is_flag=True,
    help="Add the ontology's shortcuts (kg:controls, kg:investsIn...) inferred from the claims, as a reasoner would "
    "(local data only).",
)
@click.option(
    "--allow-update",
    is_flag=True,
    help="Allow SPARQL Update on the in-memory copy of the data (refused on --store-path and at --endpoint).",
)
@click.option("--allow-service", is_flag=True, help="Allow SERVICE, LOAD and USING, which reach the network or local files.")
@data_option
def query(query, expression, params, output_format, infer, allow_update, allow_service, data):
    """Run a bundled query by name, a .rq file, or -e SPARQL, read-only.

    csv, tsv and json are the W3C SPARQL 1.1 results formats. Parameters are
    bound as RDF terms, never pasted into the query text. FROM is refused on
    local data (which kg reads as one graph) and passed to an --endpoint.
    --timeout bounds the query on local data too.

    \b
    Example:
        kg query controllers-of --param org=starlink
        kg query -e 'SELECT ?lab WHERE { ?lab a kg:AILab }' --format csv
    """
    from kg.query import format_result, resolve_query

    _, text = resolve_query(query, expression=expression)
    backend = open_from_options(data)
    timeout = backend_options().get("timeout") or 60.0
    result = backend.run(text, params=params, allow_update=allow_update, allow_service=allow_service, infer=infer, timeout=timeout)
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
