"""Option sets the commands share, and opening the backend they name."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _remember(ctx: click.Context, param: click.Parameter, value):
    ctx.meta.setdefault("kg.backend", {})[param.name] = value
    return value


def data_option(command):
    """--data, and where the graph lives: --store, --store-path, --endpoint, --graph, --timeout."""
    options = [
        click.option(
            "--data",
            "data",
            multiple=True,
            type=click.Path(path_type=Path),
            help="RDF file (by extension, else by content), .xlsx workbook, or folder of RDF files and/or a sheet "
            "(entities.csv + relations.csv, or one .xlsx workbook); repeatable. Default: the bundled example data.",
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
            help="Read the graph from this SPARQL 1.1 endpoint instead of local files (credentials: "
            "KG_ENDPOINT_USER and KG_ENDPOINT_PASSWORD, or KG_ENDPOINT_TOKEN, or ~/.netrc).",
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
            help="Seconds each request to --endpoint may take, its whole answer included; for kg query, also how long a query on local data may run.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def as_of_options(command):
    """--as-of, --min-status, --min-stage and --control-threshold: which claims count, as the
    conflict rules read them (docs/rules.md)."""
    return claim_options(control_threshold_option(command))


def control_threshold_option(command):
    """--control-threshold: the share from which an ownership is control."""
    return click.option(
        "--control-threshold",
        type=click.FloatRange(min=0, min_open=True, max=100),
        default=50,
        show_default=True,
        metavar="PCT",
        help="An ownership (or an investment with a stake) whose share reaches this percentage is control: "
        "its exact share, its minimum, or a lower bound it exceeds (\">50\" reaches 50; \"25-50\" does not).",
    )(command)


def reading_options(command):
    """--min-status, --min-stage and --control-threshold: ``as_of_options`` without --as-of, for a command
    that reads the claims at every date (kg timeline)."""
    command = as_of_options(command)
    # click keeps a decorated function's options in __click_params__ until the command is made.
    command.__click_params__ = [param for param in command.__click_params__ if param.name != "as_of"]
    return command


def claim_options(command):
    """--as-of, --min-status and --min-stage: which claims count, for a command that reads no control."""
    command = status_options(command)
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="Count the claims in force on this date: YYYY-MM-DD, or YYYY-MM / YYYY meaning their last day "
        "(default: today).",
    )(command)


def status_options(command):
    """--min-status and --min-stage: which claims count, whatever the date."""
    command = click.option(
        "--min-stage",
        default="proposed",
        show_default=True,
        metavar="STAGE",
        help="Ignore deals at an earlier stage: proposed, agreed, active or completed (a terminated deal never "
        "counts; a claim with no stage always does).",
    )(command)
    return click.option(
        "--min-status",
        default="rumored",
        show_default=True,
        metavar="STATUS",
        help="Ignore evidence weaker than this: rumored, reported or confirmed (denied is never evidence).",
    )(command)


_PACK = "kg.rule_pack"


def _load_pack(ctx: click.Context, param: click.Parameter, rule_dirs):
    """Read the pack as soon as --rules is parsed, so that ``--rules DIR --help`` can list its rules too."""
    from kg.conflicts.pack import load_pack

    ctx.meta[_PACK] = load_pack(rule_dirs)
    return rule_dirs


def rules_option(command):
    """--rules DIR (repeatable): a user's folder of rule files joins the bundled pack, for every command that runs it."""
    return click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        is_eager=True,
        callback=_load_pack,
        metavar="DIR",
        help="Add the rules (.rq files) of this folder to the bundled pack (repeatable); a rule with a bundled rule's id "
        "replaces it.",
    )(command)


def rule_pack(ctx: click.Context | None = None):
    """The rules in force: the bundled pack and the folders --rules named (the bundled pack alone before parsing)."""
    from kg.conflicts.pack import load_pack

    ctx = ctx or click.get_current_context()
    return ctx.meta.get(_PACK) or load_pack()


def format_option(*choices: str, default: str = "table"):
    return click.option(
        "--format", "output_format", type=click.Choice(choices), default=default, show_default=True, help="Output format."
    )


def backend_options() -> dict:
    """The values of the options ``data_option`` adds (store, store_path, endpoint, graph_iri, timeout)."""
    return click.get_current_context().meta.get("kg.backend", {})


def open_from_options(data, *, include_ontology: bool = True):
    """The backend the command's options name: local inputs (memory or Oxigraph) or an endpoint."""
    from kg.backends.open import open_backend

    options = backend_options()
    store = "oxigraph" if options.get("store_path") else options.get("store", "memory")
    progress = None
    if store == "oxigraph" and sys.stderr.isatty():
        progress = ProgressBar
    return open_backend(
        data,
        store=store,
        store_path=options.get("store_path"),
        endpoint=options.get("endpoint"),
        graph=options.get("graph_iri"),
        timeout=options.get("timeout") or 60.0,
        include_ontology=include_ontology,
        progress_factory=progress,
    )


def graph_from_options(data, *, include_ontology: bool = True):
    """An rdflib graph of what the options name, for the stages that need one."""
    return open_from_options(data, include_ontology=include_ontology).to_graph()


def load_with_findings(
    data, *, as_of, min_status, min_stage="proposed", control_threshold=50, conflicts: bool = True, pack=None
):
    """An rdflib graph for a stage that needs one, and the conflict findings of ``pack`` when it needs them.

    On Oxigraph and endpoints the rule pack runs in the store, many times faster
    than on the rdflib copy (bench/results.md); None lets the
    stage compute them on the in-memory graph as usual.
    """
    from kg.conflicts.engine import find_conflicts

    backend = open_from_options(data)
    findings = None
    if conflicts and backend.name != "memory":
        findings = find_conflicts(
            backend, as_of=as_of, min_status=min_status, min_stage=min_stage, control_threshold=control_threshold, pack=pack
        )
    return backend.to_graph(), findings


class ProgressBar:
    """A byte-count progress bar on stderr while a large file streams into Oxigraph."""

    def __init__(self, total: int) -> None:
        self.bar = click.progressbar(length=total, label="Loading", file=sys.stderr, show_eta=True)

    def __enter__(self):
        self.bar.__enter__()
        return self.bar.update

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


