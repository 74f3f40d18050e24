"""kg: a knowledge graph of the AI industry's compute deals.

The library's public API is the names in ``__all__``, imported from here
(``from kg import find_conflicts``); the modules behind them are kg's own
business and may move. Each name is imported on first use, so ``import kg``
(and ``kg --help``) loads nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    # inputs, backends and outputs
    "load_graph": "kg.io.load",
    "bundled_data_path": "kg.resources",
    "open_backend": "kg.backends.open",
    "Backend": "kg.backends.base",
    "MemoryBackend": "kg.backends.memory",
    "OxigraphBackend": "kg.backends.oxigraph",
    "EndpointBackend": "kg.backends.endpoint",
    "Credentials": "kg.backends.http",
    "ingest_folder": "kg.io.sheets.read",
    "ingest_to_file": "kg.io.sheets.read",
    "export_sheets": "kg.io.sheets.write",
    "write_template": "kg.io.sheets.write",
    "export_graph": "kg.export",
    "push": "kg.push",
    "PushReport": "kg.push",
    # questions
    "run_query": "kg.query",
    "QueryResult": "kg.sparql",
    "bundled_queries": "kg.query",
    "resolve_query": "kg.query",
    "format_result": "kg.query",
    # tables
    "to_dataframe": "kg.frames",
    "to_records": "kg.frames",
    "validate_graph": "kg.validate",
    "ValidationReport": "kg.validate",
    "resolve_entity": "kg.entities",
    # conflicts
    "find_conflicts": "kg.conflicts.engine",
    "load_pack": "kg.conflicts.pack",
    "load_rules": "kg.conflicts.pack",
    "Rule": "kg.conflicts.pack",
    "check_pack": "kg.conflicts.check",
    "RuleCheck": "kg.conflicts.check",
    "Finding": "kg.conflicts.model",
    "Evidence": "kg.conflicts.model",
    "EntityRef": "kg.conflicts.model",
    "SourceRef": "kg.conflicts.model",
    "format_findings": "kg.conflicts.report",
    "findings_document": "kg.conflicts.report",
    "find_conflicts_assuming": "kg.conflicts.whatif",
    "WhatIf": "kg.conflicts.model",
    "Assumption": "kg.conflicts.model",
    "format_whatif": "kg.conflicts.report",
    "whatif_document": "kg.conflicts.report",
    # analysis
    "graph_stats": "kg.analysis.stats",
    "GraphStats": "kg.analysis.stats",
    "describe": "kg.analysis.describe",
    "describe_entity": "kg.analysis.describe",
    "EntityDescription": "kg.analysis.describe",
    "analyze": "kg.analysis.network",
    "format_report": "kg.analysis.network",
    "NetworkReport": "kg.analysis.network",
    "agent_graph": "kg.analysis.network",
    "supply_concentration": "kg.analysis.network",
    "key_controllers": "kg.analysis.network",
    "conflict_brokers": "kg.analysis.network",
    "control_money_path": "kg.analysis.network",
    "owners_of": "kg.analysis.owners",
    "OwnersReport": "kg.analysis.owners",
    "format_owners": "kg.analysis.owners_report",
    "diff_findings": "kg.analysis.diff",
    "FindingsDiff": "kg.analysis.diff",
    "ChangedFinding": "kg.analysis.diff",
    "format_diff": "kg.analysis.diff_report",
    "diff_document": "kg.analysis.diff_report",
    "finding_timeline": "kg.analysis.timeline",
    "FindingTimeline": "kg.analysis.timeline",
    "FindingHistory": "kg.analysis.timeline",
    "FindingPeriod": "kg.analysis.timeline",
    "format_timeline": "kg.analysis.timeline_report",
    # pictures and pages
    "render_html": "kg.render.viz",
    "write_html": "kg.render.viz",
    "show": "kg.render.viz",
    "VizSummary": "kg.render.viz",
    "timeline": "kg.render.plots",
    "supply_mix": "kg.render.plots",
    "control_tree": "kg.render.plots",
    "findings_over_time": "kg.render.plots",
    "save_figure": "kg.render.plots",
    "build_docs": "kg.render.docs",
    # synthetic data
    "generate": "kg.synth",
    "write_synthetic": "kg.synth",
    # vocabulary and errors
    "KG": "kg.vocab",
    "KGR": "kg.vocab",
    "DATA": "kg.vocab",
    "KgError": "kg.errors",
    "InputError": "kg.errors",
    "EndpointError": "kg.errors",
    "GraphLockedError": "kg.errors",
    "IngestError": "kg.errors",
    "QueryError": "kg.errors",
    "RuleError": "kg.errors",
    "UsageError": "kg.errors",
    "AssumptionError": "kg.errors",
    "KgWarning": "kg.errors",
    "Problem": "kg.errors",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


def load_ipython_extension(ipython) -> None:
    """``%load_ext kg`` in IPython or Jupyter: adds the ``%%sparql GRAPH`` cell magic (``kg.frames``)."""
    importlib.import_module("kg.frames").register_magic(ipython)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # for type checkers and editors; at run time the names load on first use
    from kg.analysis.describe import EntityDescription, describe, describe_entity
    from kg.analysis.diff import ChangedFinding, FindingsDiff, diff_findings
    from kg.analysis.diff_report import diff_document, format_diff
    from kg.analysis.network import (
        NetworkReport,
        agent_graph,
        analyze,
        conflict_brokers,
        control_money_path,
        format_report,
        key_controllers,
        supply_concentration,
    )
    from kg.analysis.owners import OwnersReport, owners_of
    from kg.analysis.owners_report import format_owners
    from kg.analysis.stats import GraphStats, graph_stats
    from kg.analysis.timeline import FindingHistory, FindingPeriod, FindingTimeline, finding_timeline
    from kg.analysis.timeline_report import format_timeline
    from kg.backends.base import Backend
    from kg.backends.endpoint import EndpointBackend
    from kg.backends.http import Credentials
    from kg.backends.memory import MemoryBackend
    from kg.backends.open import open_backend
    from kg.backends.oxigraph import OxigraphBackend
    from kg.conflicts.check import RuleCheck, check_pack
    from kg.conflicts.engine import find_conflicts
    from kg.conflicts.model import Assumption, EntityRef, Evidence, Finding, SourceRef, WhatIf
    from kg.conflicts.pack import Rule, load_pack, load_rules
    from kg.conflicts.report import findings_document, format_findings, format_whatif, whatif_document
    from kg.conflicts.whatif import find_conflicts_assuming
    from kg.entities import resolve_entity
    from kg.errors import (
        AssumptionError,
        EndpointError,
        GraphLockedError,
        IngestError,
        InputError,
        KgError,
        KgWarning,
        Problem,
        QueryError,
        RuleError,
        UsageError,
    )
    from kg.export import export_graph
    from kg.frames import to_dataframe, to_records
    from kg.io.load import load_graph
    from kg.io.sheets.read import ingest_folder, ingest_to_file
    from kg.io.sheets.write import export_sheets, write_template
    from kg.push import PushReport, push
    from kg.query import bundled_queries, format_result, resolve_query, run_query
    from kg.render.docs import build_docs
    from kg.render.plots import control_tree, findings_over_time, save_figure, supply_mix, timeline
    from kg.render.viz import VizSummary, render_html, show, write_html
    from kg.resources import bundled_data_path
    from kg.sparql import QueryResult
    from kg.synth import generate, write_synthetic
    from kg.validate import ValidationReport, validate_graph
    from kg.vocab import DATA, KG, KGR
