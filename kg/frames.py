"""Results as tables: ``to_records`` (plain Python values) and ``to_dataframe`` (pandas), and the ``%%sparql`` magic.

One function for every kind of result, so a result class need not know about
pandas: query results (``run_query``), findings (a list of ``Finding``, or a
``WhatIf``), ``describe``, ``owners_of``, ``graph_stats`` and ``diff_findings``.
Every column has one type whatever the rows hold:

- an IRI is a string (the full IRI), with a ``<name>_label`` column beside it;
- a date is the ``date`` it begins (a start) or ends (an end) on, as everywhere in
  kg (``kg.dates``: a start of ``2024`` is 2024-01-01, an end 2024-12-31), with a
  ``<name>_precision`` column saying what the data wrote: ``year``, ``month`` or ``day``;
- an amount, stake or share is an exact ``Decimal`` (never a float), with the
  claim's ``currency`` column beside amounts;
- a query column whose values are not all of one kind (IRIs and strings, dates
  and numbers...) is strings, each as ``kg query`` prints it.

``to_records`` needs nothing but kg; ``to_dataframe`` needs pandas (the
``dataframes`` extra), imported only when called. In the DataFrame, dates are
``datetime64[s]``, whole numbers ``Int64``, booleans ``boolean``, decimals and
strings ``object``; a missing value is ``None``, ``NaT`` or ``<NA>``.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rdflib import XSD, BNode, Literal, URIRef

from kg.analysis.describe import EntityDescription
from kg.analysis.diff import FindingsDiff
from kg.analysis.owners import OwnersReport
from kg.analysis.stats import GraphStats
from kg.claims import QUALITIES, decimal_value, value_text
from kg.conflicts.model import Finding, WhatIf
from kg.dates import date_bound
from kg.entities import short_id
from kg.errors import KgError, UsageError
from kg.sparql import QueryResult
from kg.vocab import status_rank

#: What ``to_dataframe`` says when pandas is not installed: one line.
MISSING_PANDAS = "to_dataframe needs pandas: pip install 'kg-compute[dataframes]' (to_records needs nothing)"

# Column kinds and the pandas dtype each becomes.
IRI, TEXT, DATE, DECIMAL, INTEGER, FLOAT, BOOLEAN = "iri", "text", "date", "decimal", "integer", "float", "boolean"
_DTYPES = {IRI: "object", TEXT: "object", DATE: "datetime64[s]", DECIMAL: "object", INTEGER: "Int64", FLOAT: "float64", BOOLEAN: "boolean"}
_PRECISION = {4: "year", 7: "month", 10: "day"}
_DATE_TYPES = {XSD.date: None, XSD.gYear: "year", XSD.gYearMonth: "month", XSD.dateTime: "day"}
_INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger, XSD.positiveInteger,
             XSD.negativeInteger, XSD.nonPositiveInteger, XSD.unsignedInt, XSD.unsignedLong, XSD.unsignedShort}
_NUMERIC_QUALITIES = {"amount", "contract value", "stake (%)", "capacity (MW)"}


@dataclass(frozen=True)
class Table:
    """Rows as plain Python values, and each column's kind (which fixes its DataFrame dtype)."""

    columns: tuple[tuple[str, str], ...]  # (name, kind)
    rows: list[dict]


def to_records(result, *, explode: bool = False, labels=None) -> list[dict]:
    """``result`` as a list of dicts of plain Python values (``str``, ``date``, ``Decimal``, ``int``, ``bool``, ``None``).

    The same rows and columns as ``to_dataframe``, without pandas.
    """
    return table(result, explode=explode, labels=labels).rows


def to_dataframe(result, *, explode: bool = False, labels=None):
    """``result`` as a pandas DataFrame with typed columns (see ``kg.frames``); needs the ``dataframes`` extra.

    ``result`` is a ``QueryResult``, a list of ``Finding`` (or a ``WhatIf``), an
    ``EntityDescription``, an ``OwnersReport``, a ``GraphStats`` or a
    ``FindingsDiff``. Findings are one row each, or one row per evidence claim
    with ``explode=True`` (also for a diff's findings). ``labels`` (an rdflib
    graph or a backend) gives a query result's IRIs their ``rdfs:label``;
    without it the label column holds each IRI's short id.
    """
    try:
        import pandas
    except ImportError:
        raise KgError(MISSING_PANDAS) from None
    built = table(result, explode=explode, labels=labels)
    data = {name: pandas.Series([row[name] for row in built.rows], dtype=_DTYPES[kind]) for name, kind in built.columns}
    return pandas.DataFrame(data, columns=[name for name, _ in built.columns])


def table(result, *, explode: bool = False, labels=None) -> Table:
    """The rows and typed columns of any result ``to_records`` and ``to_dataframe`` accept."""
    if explode and not isinstance(result, (list, tuple, WhatIf, FindingsDiff, Finding)):
        raise UsageError(f"explode applies to findings and diffs, not to {type(result).__name__}")
    if isinstance(result, QueryResult):
        return _query_table(result, labels)
    if isinstance(result, WhatIf):
        return _findings_table(result.findings, explode)
    if isinstance(result, Finding):
        return _findings_table([result], explode)
    if isinstance(result, (list, tuple)) and all(isinstance(item, Finding) for item in result):
        return _findings_table(result, explode)
    if isinstance(result, EntityDescription):
        return _describe_table(result)
    if isinstance(result, OwnersReport):
        return _owners_table(result)
    if isinstance(result, GraphStats):
        return _stats_table(result)
    if isinstance(result, FindingsDiff):
        return _diff_table(result, explode)
    raise UsageError(
        f"cannot make a table of {type(result).__name__}: expected a query result, findings, "
        "describe, owners_of, graph_stats or diff_findings result"
    )


# --- query results -------------------------------------------------------------------------------


def _query_table(result: QueryResult, labels) -> Table:
    if result.form == "UPDATE":
        raise UsageError("an update has no rows")
    if result.form == "ASK":
        return Table((("boolean", BOOLEAN),), [{"boolean": bool(result.boolean)}])
    variables, rows = result.variables, result.rows
    if result.graph is not None:  # CONSTRUCT or DESCRIBE: one row per triple
        variables = ("subject", "predicate", "object")
        rows = sorted(result.graph, key=lambda triple: tuple(str(term) for term in triple))
    kinds = [_column_kind(row[i] for row in rows) for i in range(len(variables))]
    names = _label_lookup(labels, {term for row in rows for term in row if isinstance(term, URIRef)}) if IRI in kinds else {}
    columns: list[tuple[str, str]] = []
    for name, kind in zip(variables, kinds):
        columns.append((name, kind))
        if kind == IRI:
            columns.append((f"{name}_label", TEXT))
        elif kind == DATE:
            columns.append((f"{name}_precision", TEXT))
    records = []
    for row in rows:
        record: dict = {}
        for name, kind, term in zip(variables, kinds, row):
            if kind == IRI:
                record[name] = None if term is None else str(term)
                record[f"{name}_label"] = None if term is None else names.get(term, short_id(term))
            elif kind == DATE:
                record[name], record[f"{name}_precision"] = _literal_date(term) if term is not None else (None, None)
            else:
                record[name] = _python_value(term, kind)
        records.append(record)
    return Table(tuple(columns), records)


def _term_kind(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return IRI
    if isinstance(term, BNode) or not isinstance(term, Literal):
        return TEXT
    datatype = term.datatype
    if datatype in _DATE_TYPES and _literal_date(term)[0] is not None:
        return DATE
    if datatype in _INTEGERS and decimal_value(term) is not None and decimal_value(term) == decimal_value(term).to_integral_value():
        return INTEGER
    if datatype == XSD.decimal and decimal_value(term) is not None:
        return DECIMAL
    if datatype in (XSD.double, XSD.float):
        return FLOAT
    if datatype == XSD.boolean and str(term) in ("true", "false", "1", "0"):
        return BOOLEAN
    return TEXT


def _column_kind(terms: Iterable) -> str:
    """One kind for a column: the kind all its values share; whole numbers with decimals are decimals;
    anything else mixed is text."""
    kinds = {kind for kind in map(_term_kind, terms) if kind is not None}
    if kinds == {INTEGER, DECIMAL}:
        return DECIMAL
    return kinds.pop() if len(kinds) == 1 else TEXT


def _python_value(term, kind: str):
    if term is None:
        return None
    if kind == INTEGER:
        return int(decimal_value(term))
    if kind == DECIMAL:
        return decimal_value(term)
    if kind == FLOAT:
        return float(str(term))
    if kind == BOOLEAN:
        return str(term) in ("true", "1")
    if isinstance(term, BNode):
        return f"_:{term}"
    return value_text(term)


def _literal_date(term) -> tuple[date | None, str | None]:
    """A date literal as the day it begins on and its precision (a date-time is its day)."""
    return _text_date(str(term)[:10] if term.datatype == XSD.dateTime else str(term), end=False)


def _text_date(text: str | None, *, end: bool) -> tuple[date | None, str | None]:
    if not text:
        return None, None
    text = text.strip()
    text = text[:10] if len(text) > 10 and text[10] == "T" else text
    day = date_bound(text, end=end)
    return (day, _PRECISION[len(text)]) if day is not None else (None, None)


def _label_lookup(labels, iris: set) -> dict:
    """IRI -> rdfs:label, asked of ``labels`` (a graph or backend) in batches; empty without one."""
    if labels is None or not iris:
        return {}
    from kg.backends.open import as_backend

    backend, found, ordered = as_backend(labels), {}, sorted(iris)
    for start in range(0, len(ordered), 500):
        values = " ".join(iri.n3() for iri in ordered[start : start + 500])
        query = f"SELECT ?node ?label WHERE {{ VALUES ?node {{ {values} }} ?node <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
        for node, label in backend.select(query)[1]:
            found.setdefault(node, str(label))
    return found


# --- findings and diffs --------------------------------------------------------------------------

_FINDING_COLUMNS = (
    ("rule", TEXT), ("title", TEXT), ("severity", TEXT), ("status", TEXT), ("explanation", TEXT),
    ("entities", TEXT), ("entity_iris", TEXT), ("evidence", INTEGER),
)
_EVIDENCE_COLUMNS = (
    ("finding", INTEGER), ("rule", TEXT), ("severity", TEXT), ("finding_status", TEXT), ("explanation", TEXT),
    ("claim", IRI), ("claim_type", TEXT), ("subject", IRI), ("subject_label", TEXT), ("object", IRI), ("object_label", TEXT),
    ("start", DATE), ("start_precision", TEXT), ("end", DATE), ("end_precision", TEXT),
    ("status", TEXT), ("stage", TEXT), ("assumed", BOOLEAN), ("sources", TEXT), ("source_iris", TEXT),
)


def _finding_record(finding: Finding) -> dict:
    return {
        "rule": finding.rule, "title": finding.title, "severity": finding.severity, "status": finding.status,
        "explanation": finding.explanation,
        "entities": "; ".join(f"{role}: {entity.label}" for role, entity in finding.entities.items()),
        "entity_iris": "; ".join(f"{role}: {entity.iri}" for role, entity in finding.entities.items()),
        "evidence": len(finding.evidence),
    }


def _evidence_records(number: int, finding: Finding) -> list[dict]:
    records = []
    for evidence in finding.evidence:
        start, start_precision = _text_date(evidence.start, end=False)
        end, end_precision = _text_date(evidence.end, end=True)
        records.append({
            "finding": number, "rule": finding.rule, "severity": finding.severity, "finding_status": finding.status,
            "explanation": finding.explanation, "claim": evidence.claim, "claim_type": evidence.type,
            "subject": evidence.subject.iri, "subject_label": evidence.subject.label,
            "object": evidence.object.iri, "object_label": evidence.object.label,
            "start": start, "start_precision": start_precision, "end": end, "end_precision": end_precision,
            "status": evidence.status, "stage": evidence.stage, "assumed": evidence.assumed,
            "sources": "; ".join(source.name for source in evidence.sources),
            "source_iris": "; ".join(source.iri for source in evidence.sources),
        })
    return records


def _findings_table(findings, explode: bool) -> Table:
    if explode:
        return Table(_EVIDENCE_COLUMNS, [r for n, f in enumerate(findings, start=1) for r in _evidence_records(n, f)])
    return Table(_FINDING_COLUMNS, [_finding_record(finding) for finding in findings])


def _diff_table(diff: FindingsDiff, explode: bool) -> Table:
    groups = [("new", f, ()) for f in diff.new] + [("resolved", f, ()) for f in diff.resolved]
    groups += [("changed", item.finding, item.changes) for item in diff.changed] + [("unchanged", f, ()) for f in diff.unchanged]
    head = (("change", TEXT),)
    if explode:
        rows = [{"change": change, **record} for n, (change, finding, _) in enumerate(groups, start=1)
                for record in _evidence_records(n, finding)]
        return Table(head + _EVIDENCE_COLUMNS, rows)
    rows = [
        {"change": change, **_finding_record(finding), "since": diff.since.get(finding.identity),
         "until": diff.until.get(finding.identity), "changes": "; ".join(changes) or None}
        for change, finding, changes in groups
    ]
    return Table(head + _FINDING_COLUMNS + (("since", DATE), ("until", DATE), ("changes", TEXT)), rows)


# --- describe, owners, stats ---------------------------------------------------------------------

#: describe's quality columns: (column, what QUALITIES calls it, kind).
_QUALITY_COLUMNS = tuple(
    (what.split(" (")[0].replace(" ", "_") + ("_mw" if what == "capacity (MW)" else ""), what,
     DECIMAL if what in _NUMERIC_QUALITIES else TEXT)
    for what, _ in QUALITIES
)
_DESCRIBE_COLUMNS = (
    ("claim", IRI), ("type", TEXT), ("subject", IRI), ("subject_label", TEXT), ("object", IRI), ("object_label", TEXT),
    ("start", DATE), ("start_precision", TEXT), ("end", DATE), ("end_precision", TEXT), ("status", TEXT), ("sources", TEXT),
    ("source_iris", TEXT), *((name, kind) for name, _, kind in _QUALITY_COLUMNS), ("note", TEXT),
)


def _describe_table(description: EntityDescription) -> Table:
    rows = []
    for claim in description.claims:
        start, start_precision = _text_date(claim.start, end=False)
        end, end_precision = _text_date(claim.end, end=True)
        qualities = dict(claim.qualities)
        statuses = [a.status for a in claim.attestations if a.status != "denied"] or [a.status for a in claim.attestations]
        record = {
            "claim": claim.iri, "type": claim.type,
            "subject": claim.subject, "subject_label": description.labels.get(claim.subject) if claim.subject else None,
            "object": claim.object, "object_label": description.labels.get(claim.object) if claim.object else None,
            "start": start, "start_precision": start_precision, "end": end, "end_precision": end_precision,
            "status": max(statuses, key=status_rank) if statuses else None,
            "sources": "; ".join(dict.fromkeys(a.source_name for a in claim.attestations)) or None,
            "source_iris": "; ".join(dict.fromkeys(a.source for a in claim.attestations)) or None,
        }
        for name, what, kind in _QUALITY_COLUMNS:
            value = qualities.get(what)
            record[name] = decimal_value(value) if kind == DECIMAL and value is not None else value
        record["note"] = claim.note
        rows.append(record)
    return Table(_DESCRIBE_COLUMNS, rows)


_OWNERS_COLUMNS = (
    ("owner", IRI), ("owner_label", TEXT), ("share_low", DECIMAL), ("share_high", DECIMAL), ("share_exact", DECIMAL),
    ("direct", BOOLEAN), ("indirect", BOOLEAN), ("ultimate", BOOLEAN), ("clipped", BOOLEAN), ("chains", INTEGER),
)


def _owners_table(report: OwnersReport) -> Table:
    rows = [
        {"owner": o.entity.iri, "owner_label": o.entity.label, "share_low": o.share.low, "share_high": o.share.high,
         "share_exact": o.share.exact, "direct": o.direct, "indirect": o.indirect, "ultimate": o.ultimate,
         "clipped": o.clipped, "chains": len(o.chains)}
        for o in report.owners
    ]
    return Table(_OWNERS_COLUMNS, rows)


def _stats_table(stats: GraphStats) -> Table:
    rows = [{"measure": "triples", "name": None, "count": stats.triples}]
    rows += [{"measure": "class", "name": name, "count": n} for name, n in stats.classes]
    rows += [{"measure": "status", "name": name, "count": n} for name, n in stats.statuses]
    return Table((("measure", TEXT), ("name", TEXT), ("count", INTEGER)), rows)


# --- the %%sparql cell magic ---------------------------------------------------------------------


def register_magic(ipython) -> None:
    """Register ``%%sparql`` with an IPython shell (``%load_ext kg`` calls this)."""

    def sparql(line: str, cell: str):
        """%%sparql GRAPH [infer] [NAME=VALUE ...]: run the cell's SPARQL on the notebook variable GRAPH, as a DataFrame."""
        try:
            return _run_magic(ipython, line, cell)
        except (KgError, ValueError) as exc:
            message = exc.render() if isinstance(exc, KgError) else str(exc)
            print(f"Error: {message}".splitlines()[0])
            return None

    ipython.register_magic_function(sparql, magic_kind="cell", magic_name="sparql")


def _run_magic(ipython, line: str, cell: str):
    from kg.query import run_query

    words = shlex.split(line)
    if not words:
        raise UsageError("%%sparql needs the name of a graph variable: %%sparql graph")
    name, options = words[0], words[1:]
    if name not in ipython.user_ns:
        raise UsageError(f"%%sparql: no variable {name!r} in the notebook")
    params, infer = [], False
    for option in options:
        if option == "infer":
            infer = True
        elif "=" in option:
            params.append(option)
        else:
            raise UsageError(f"%%sparql: cannot read {option!r}; after the graph's name give NAME=VALUE parameters or infer")
    graph = ipython.user_ns[name]
    result = run_query(graph, cell, params=params, infer=infer)
    if result.form == "UPDATE":
        print("Update done.")
        return None
    return to_dataframe(result, labels=graph)
