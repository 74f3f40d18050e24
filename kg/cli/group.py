"""The ``kg`` group: its error boundary, which turns every library error into one ``Error:`` line."""

from __future__ import annotations

import warnings

import click

from kg import __version__
from kg.errors import KgError, KgWarning, render_arguments

#: How the CLI names the library's keyword arguments in messages (``kg.errors.arg``).
FLAGS = {
    "inputs": "--data",
    "as_of": "--as-of",
    "min_status": "--min-status",
    "rules": "--rule",
    "rule_dirs": "--rules",
    "params": "--param",
    "allow_update": "--allow-update",
    "allow_service": "--allow-service",
    "store": "--store",
    "store_path": "--store-path",
    "endpoint": "--endpoint",
    "export_format": "--format",
    "output_format": "--format",
    "orgs": "--orgs",
    "depth": "--depth",
    "max_nodes": "--max-nodes",
    "collapse_hubs": "--collapse-hubs",
    "from_date": "--from",
    "to_date": "--to",
    "assume": "--assume",
    "assume_files": "--assume-file",
}


def flag_of(name: str) -> str:
    return FLAGS.get(name, "--" + name.replace("_", "-"))


class CommandError(click.ClickException):
    """A library error shown as one ``Error:`` line, exit code 2 (the command could not run)."""

    exit_code = 2


class KgGroup(click.Group):
    def invoke(self, ctx: click.Context):
        shown: set[str] = set()

        def show(message, category, *args, **kwargs):
            if issubclass(category, KgWarning):
                text = message.render(flag_of) if isinstance(message, KgWarning) else render_arguments(str(message), flag_of)
                if text not in shown:  # stages that read the same data warn alike: once is enough
                    shown.add(text)
                    click.echo(f"Warning: {text}", err=True)
            else:
                default_show(message, category, *args, **kwargs)

        with warnings.catch_warnings():
            default_show = warnings.showwarning
            warnings.simplefilter("always", KgWarning)
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except KgError as exc:
                from kg.io.text import terminal_text  # an error may quote the data: shown escaped, one line

                problems = getattr(exc, "problems", None)
                if problems:  # a sheet's bad cells: one Error line each
                    for problem in problems:
                        click.echo(f"Error: {terminal_text(problem)}", err=True)
                    raise click.exceptions.Exit(CommandError.exit_code) from None
                raise CommandError(terminal_text(exc.render(flag_of))) from None


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
