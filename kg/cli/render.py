"""Commands that draw or measure: ``kg viz``, ``kg analyze``, ``kg docs``."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import as_of_options, data_option, format_option, load_with_findings, open_from_options, rule_pack, rules_option


@click.command()
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
@click.option(
    "--no-slider",
    is_flag=True,
    help="Only the --as-of date: no date slider (the rules then run once, not on every date a claim begins or ends).",
)
@click.option(
    "--max-dates",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Stops of the date slider at most; with more dates on which a claim begins or ends, this many, evenly spread "
    "(the rules run once per stop; the page says so).",
)
@rules_option
@as_of_options
@data_option
def viz(output, focus, depth, max_nodes, collapse_hubs, no_conflicts, no_slider, max_dates, rule_dirs, as_of, min_status, min_stage, control_threshold, data):
    """Write the graph as one interactive HTML page that works offline.

    Agents are nodes (shape and colour by kind), claims are labelled edges with
    their dates, status and sources on hover, and the findings of the conflict
    rules are highlighted and listed; choose one to focus its path. The page
    opens on --as-of and draws only the claims in force that day (foundings,
    departures and past affiliations once begun); its date slider steps through
    every date on which a claim begins or ends, redrawing the claims and the
    findings of that day. Boxes hide the control, money, rivalry or people
    edges, and a search box finds an agent. The page loads nothing from the
    network and is the same, byte for byte, for the same input.

    \b
    Example:
        kg viz -o graph.html
        kg viz -o 2024.html --as-of 2024-06-30
        kg viz -o spacex.html --focus spacex --depth 1
        kg viz -o mine.html --rules my-rules/
    """
    from kg.render.viz import write_html

    reading = dict(as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold, pack=rule_pack())
    summary = write_html(
        open_from_options(data),  # on Oxigraph and endpoints the rules run in the store, date by date
        output,
        focus=focus,
        depth=depth,
        max_nodes=max_nodes,
        collapse_hubs=collapse_hubs,
        conflicts=not no_conflicts,
        timeline=not no_slider,
        max_dates=max_dates,
        **reading,
    )
    for note in summary.notes:
        click.echo(note, err=True)
    click.echo(
        f"Wrote {output} ({summary.nodes_as_of:,} nodes, {summary.edges_as_of:,} claims, {summary.findings} finding(s)) "
        f"on {summary.as_of}; {summary.nodes:,} nodes and {summary.edges:,} claims over the slider's {summary.dates:,} date(s)",
        err=True,
    )


@click.command()
@as_of_options
@click.option("--path", "path", nargs=2, metavar="FROM TO", help="Also show the shortest chain of control and investment claims joining two entities.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Rows of the controller and broker lists.")
@rules_option
@format_option("table", "json")
@data_option
def analyze(as_of, min_status, min_stage, control_threshold, path, top, rule_dirs, output_format, data):
    """Network metrics: supply concentration, key controllers, conflict brokers.

    Per AI lab: its active compute suppliers and the Herfindahl-Hirschman index
    of its supply (0-10,000; over capacity in MW when every contract gives it,
    else over contract value when every contract gives one in one currency, else
    each supplier the same; several contracts with one supplier are one
    supplier). Controllers: who reaches the most suppliers through control
    chains. Brokers: betweenness on the evidence of the conflict findings
    (of the bundled rules and any --rules DIR). "Active" means what it means
    to `kg conflicts`.

    \b
    Example:
        kg analyze
        kg analyze --as-of 2024 --min-status reported --format json
        kg analyze --path starlink xai
    """
    from kg.analysis.network import analyze as analyze_network
    from kg.analysis.network import format_report

    reading = dict(as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold)
    graph, findings = load_with_findings(data, **reading, pack=rule_pack())
    report = analyze_network(graph, **reading, path=path or None, top=top, findings=findings, pack=rule_pack())
    click.echo(format_report(report, output_format))


@click.command()
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Folder to write index.html into (created if missing).")
def docs(output):
    """Write the ontology's HTML reference (pyLODE): every class, property and individual.

    The page shows each term's definition and its alignments (subclass of,
    exact and close matches) and loads nothing from the network.

    \b
    Example:
        kg docs -o out/docs
    """
    from kg.render.docs import build_docs

    summary = build_docs(output)
    click.echo(f"Wrote {summary.path} ({summary.terms} terms)", err=True)
