"""``kg validate``: SHACL validation of a graph against kg's shapes (pySHACL)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, Graph, Namespace

from kg import resources
from kg.entities import short_id

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    severity: str  # Violation, Warning or Info
    focus: str
    path: str | None
    value: str | None
    message: str


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    results: tuple[Violation, ...]

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(r for r in self.results if r.severity != "Violation")


def validate_graph(data: Graph, *, shapes: Graph | None = None, ontology: Graph | None = None) -> ValidationReport:
    """Validate ``data`` (without the ontology) against kg's SHACL shapes.

    The ontology is given to pySHACL separately so that class hierarchy is
    followed without the ontology's own triples being validated as data.
    """
    import pyshacl

    if shapes is None:
        shapes = Graph().parse(resources.shapes_path(), format="turtle")
    if ontology is None:
        ontology = Graph().parse(resources.ontology_path(), format="turtle")
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    results = []
    for result in report_graph.subjects(RDF.type, SH.ValidationResult):
        value = report_graph.value(result, SH.value)
        path = report_graph.value(result, SH.resultPath)
        results.append(
            Violation(
                severity=str(report_graph.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                focus=short_id(report_graph.value(result, SH.focusNode)),
                path=short_id(path) if path is not None else None,
                value=str(value) if value is not None else None,
                message=str(report_graph.value(result, SH.resultMessage) or ""),
            )
        )
    results.sort(key=lambda v: (v.severity != "Violation", v.focus, v.path or "", v.message))
    return ValidationReport(conforms=bool(conforms), results=tuple(results))
