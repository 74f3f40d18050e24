"""``kg export``: a graph to a file, as RDF, as the spreadsheet format, or as a network for Gephi and yEd.

Every output is written whole or not at all (``kg.io.atomic``).
"""

from __future__ import annotations

import io
import math
import warnings
from collections import Counter
from pathlib import Path

from rdflib import XSD, Graph, Literal

from kg.analysis.network import agent_graph
from kg.dates import date_bound
from kg.errors import KgWarning, UsageError, arg
from kg.io.atomic import write_atomically
from kg.io.ownership import writers as ownership_writers
from kg.io.formats import BY_EXPORT_NAME, BY_SUFFIX, export_format as rdf_export_format, format_by_suffix
from kg.io.rdf import serialize_graph
from kg.io.text import xml_text
from kg.io.sheets.write import export_sheets
from kg.vocab import KG

#: Agent-level network formats for Gephi and yEd (claims as edges; see kg.analysis.network).
NETWORK_FORMATS = ("graphml", "gexf")
_NETWORK_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf"}
#: Ownership data formats kg writes (``kg.io.ownership``: one module per format, each with its WRITER).
OWNERSHIP_FORMATS = ("bods", "ftm")
#: Every ``export_format`` value: the RDF formats, the spreadsheet folder, the networks, ownership data.
EXPORT_FORMATS = (*BY_EXPORT_NAME, *NETWORK_FORMATS, "csv", *OWNERSHIP_FORMATS)
#: ``data``: the graph as it is; ``reasoner``: dates an OWL 2 reasoner accepts.
PROFILES = ("data", "reasoner")
#: The date properties the reasoner profile rewrites: where the precision goes, and which end of
#: a partial date the value is (a start is its first instant, an end its last).
_DATES = {
    KG.startDate: (KG.startDatePrecision, False),
    KG.endDate: (KG.endDatePrecision, True),
    KG.foundingDate: (KG.foundingDatePrecision, False),
}
_PRECISION = {4: "year", 7: "month", 10: "day"}


def export_graph(graph: Graph, path: str | Path, export_format: str | None = None, *, profile: str = "data") -> str:
    """Serialize ``graph`` to ``path`` (a folder for ``csv``); returns the format used.

    ``profile="reasoner"`` writes RDF that OWL 2 reasoners accept (see ``reasoner_profile``).
    """
    if profile not in PROFILES:
        raise UsageError(f"unknown {arg('profile')} {profile!r}; expected one of {', '.join(PROFILES)}")
    if profile == "reasoner":
        if export_format in ("csv", *NETWORK_FORMATS, *OWNERSHIP_FORMATS) or Path(path).suffix.lower() in _NETWORK_SUFFIXES:
            raise UsageError(f"the reasoner {arg('profile')} is for RDF formats")
        graph = reasoner_profile(graph)
    if export_format == "csv":  # a folder of sheets, not one file
        export_sheets(graph, path)
        return export_format
    if export_format in OWNERSHIP_FORMATS:
        writer = next((w for w in ownership_writers() if w.name == export_format), None)
        if writer is None:
            raise UsageError(f"kg cannot write {export_format} yet")
        buffer = io.BytesIO()
        writer.write(graph, buffer)
        write_atomically(path, buffer.getvalue())
        return export_format
    if export_format in NETWORK_FORMATS or (export_format is None and Path(path).suffix.lower() in _NETWORK_SUFFIXES):
        export_format = export_format or _NETWORK_SUFFIXES[Path(path).suffix.lower()]
        export_network(graph, path, export_format)
        return export_format
    if export_format is None and format_by_suffix(path) is None:
        known = ", ".join(sorted([*(s for s, fmt in BY_SUFFIX.items() if fmt.export_name), *_NETWORK_SUFFIXES]))
        raise UsageError(
            f"{path}: cannot tell the format from extension {Path(path).suffix.lower() or '(none)'!r}; use one of {known} "
            f"(or give {arg('export_format')}, csv for a folder of sheets)"
        )
    rdf_format = rdf_export_format(path, export_format)
    try:
        data = serialize_graph(graph, rdf_format)
    except UsageError as exc:  # what the format cannot hold: say which file was not written
        raise UsageError(f"{path}: {exc.args[0]}") from None
    write_atomically(path, data)
    return rdf_format.export_name


def reasoner_profile(graph: Graph) -> Graph:
    """A copy of ``graph`` that OWL 2 reasoners (HermiT, Protégé, the OWL API) accept.

    OWL 2's datatype map has no xsd:date, xsd:gYearMonth or xsd:gYear, so a
    reasoner stops at the first dated claim. Here each date becomes an
    xsd:dateTime (a start at the first instant of its day, month or year, an end
    at the last second of it) and its precision goes into its own property
    (``kg:startDatePrecision`` ...), so nothing is lost and kg reads the file back
    to the same findings. A date kg cannot read stays, as plain text.
    """
    profiled = Graph()
    for prefix, namespace in graph.namespaces():
        profiled.bind(prefix, namespace)
    for subject, predicate, value in graph:
        if predicate not in _DATES or not isinstance(value, Literal):
            profiled.add((subject, predicate, value))
            continue
        precision_property, is_end = _DATES[predicate]
        text = str(value)
        day = date_bound(text, end=is_end) if len(text) in _PRECISION else None
        if day is None:
            profiled.add((subject, predicate, Literal(text)))
            continue
        time = "T23:59:59" if is_end else "T00:00:00"
        profiled.add((subject, predicate, Literal(day.isoformat() + time, datatype=XSD.dateTime)))
        profiled.add((subject, precision_property, Literal(_PRECISION[len(text)])))
    return profiled


def export_network(graph: Graph, path: str | Path, export_format: str) -> None:
    """Write the projection as GraphML or GEXF, atomically.

    Every claim is an edge whatever its dates or status, so the file is the same
    for the same input (``active`` depends on the day and is left out). Nodes are
    keyed by IRI with ``kg_id``, ``label`` and ``types``; edges by claim IRI with
    ``claim``, ``claim_type``, ``relation``, ``label``, ``status``, ``start_date``,
    ``end_date``, ``currency`` as text and ``amount``, ``stake`` and
    ``capacity_mw`` as numbers (double), so Gephi can size and filter by them.
    A missing number is left out (both formats allow it); a missing text is
    ``""``; dates keep their lexical form (``2021``, ``2021-06``, ``2021-06-30``).
    A control character XML cannot hold is written as an escape (``\\x1b``).
    """
    import networkx as nx  # only when a network is asked for

    if export_format not in NETWORK_FORMATS:
        raise UsageError(f"unknown network format {export_format!r}; expected one of {', '.join(NETWORK_FORMATS)}")
    network = agent_graph(graph)
    plain = nx.MultiDiGraph()
    # GEXF reads "id" and "type" as its own node id and edge kind, and "start"/"end"
    # as its time model, so those attributes get plain names in both formats.
    escaped = Counter()

    def text(value) -> str:  # XML cannot hold control characters: they are written as escapes
        value = "" if value is None else str(value)
        safe = xml_text(value)
        escaped["values"] += safe != value
        return safe

    for node, data in network.nodes(data=True):
        plain.add_node(node, kg_id=text(data["id"]), label=text(data["label"]), types=text(data["types"]))
    not_numbers: Counter[str] = Counter()
    for subject, obj, key, data in network.edges(keys=True, data=True):
        values = {}
        for name, value in data.items():
            if name == "active":
                continue
            if name in NUMBERS:
                if isinstance(value, (int, float)) and math.isfinite(value):
                    values[name] = float(value)
                elif value is not None:
                    not_numbers[name] += 1
                continue
            values[name] = text(value)
        values["claim_type"] = values.pop("type")
        values["start_date"], values["end_date"] = values.pop("start"), values.pop("end")
        values["label"] = text(data["relation"])
        plain.add_edge(subject, obj, key=key, **values)
    if escaped["values"]:
        warnings.warn(
            f"{escaped['values']} value(s) hold characters XML cannot hold; the {export_format} file shows them as escapes (\\x1b)",
            KgWarning, stacklevel=2,
        )
    for name, count in sorted(not_numbers.items()):
        warnings.warn(f"{count} {name} value(s) are not numbers; left out of the {export_format} file", KgWarning, stacklevel=2)
    if export_format == "graphml":
        # Key ids d0, d1, ...: named after the attribute, a node "label" and an edge "label" share an id.
        text = "\n".join(nx.generate_graphml(plain, named_key_ids=False))
    else:
        text = _gexf(plain)
    write_atomically(path, (text + "\n").encode("utf-8"))


#: Edge attributes written as numbers; every other one is text.
NUMBERS = ("amount", "stake", "capacity_mw")


def _gexf(network) -> str:
    """GEXF 1.2 of a multigraph, each edge identified by its claim IRI (networkx would add a ``networkx_key`` column)."""
    from networkx.readwrite.gexf import GEXFWriter

    for _, _, key, data in network.edges(keys=True, data=True):
        data["id"] = key
    writer = GEXFWriter(version="1.2draft")
    writer.add_graph(network)
    for attributes in writer.xml.iter("attributes"):
        for attribute in list(attributes):
            if attribute.get("title") == "networkx_key":
                attributes.remove(attribute)
                column = attribute.get("id")
                for values in writer.xml.iter("attvalues"):
                    for value in [v for v in values if v.get("for") == column]:
                        values.remove(value)
    return str(writer)
