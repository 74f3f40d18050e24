"""The ``kg`` command line: parses options and makes one library call per command.

The commands import the library inside their functions, so that ``kg --help``
loads click and nothing else.
"""

from __future__ import annotations

from kg.cli.conflicts import conflicts
from kg.cli.data import export, ingest, push, synth
from kg.cli.diff import diff
from kg.cli.group import cli
from kg.cli.inspect import describe, owners, stats, validate
from kg.cli.query import queries, query
from kg.cli.reference import cli_reference
from kg.cli.render import analyze, docs, viz
from kg.cli.rules import rules
from kg.cli.timeline import timeline

for _command in (analyze, conflicts, describe, diff, docs, export, ingest, owners, push, queries, query, rules, stats, synth, timeline, validate, viz):
    cli.add_command(_command)

__all__ = ["cli", "cli_reference", "main"]


def main() -> None:
    import logging

    # rdflib logs a traceback for each ill-typed literal (kg validate reports them in one line each).
    logging.getLogger("rdflib").setLevel(logging.ERROR)
    cli(prog_name="kg")
