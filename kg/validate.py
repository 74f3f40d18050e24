"""``kg validate``: SHACL validation of a graph against kg's shapes (pySHACL)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace

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

    shapes = Graph().parse(resources.shapes_path(), format="turtle") if shapes is None else shapes + Graph()
    if ontology is None:
        ontology = Graph().parse(resources.ontology_path(), format="turtle")
    results = whole_graph_sparql_results(data, shapes, ontology)  # and leaves pySHACL the rest
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    conforms = conforms and not any(result.severity == "Violation" for result in results)
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


#: The targets whose focus nodes kg finds itself; a shape with any other target stays with pySHACL.
_SIMPLE_TARGETS = {SH.targetClass, SH.targetObjectsOf}
_ALL_TARGETS = _SIMPLE_TARGETS | {SH.targetNode, SH.targetSubjectsOf, SH.target}


def whole_graph_sparql_results(data: Graph, shapes: Graph, ontology: Graph) -> list[Violation]:
    """Run each SPARQL constraint of a node shape with class or objects-of targets once over the whole
    graph, and take it out of ``shapes``.

    pySHACL parses a constraint's query again for every focus node: half a second for each LEI's
    check digits, hours for a register's worth of identifiers. A SPARQL-based constraint's ``$this``
    is an ordinary variable, so one query left with it unbound finds the violations of every focus
    node at once; kg keeps those of the shape's focus nodes, with the message, path, value and
    severity pySHACL would give (the shapes tests hold the two to the same reports).
    """
    results = []
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
        targets = {p for p in shapes.predicates(shape) if p in _ALL_TARGETS}
        constraints = list(shapes.objects(shape, SH.sparql))
        if not constraints or not targets or not targets <= _SIMPLE_TARGETS or _deactivated(shapes, shape):
            continue
        focus = _focus_nodes(data, ontology, shapes, shape)
        severity = str(shapes.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        for constraint in constraints:
            shapes.remove((shape, SH.sparql, constraint))
            if _deactivated(shapes, constraint):
                continue
            message = str(shapes.value(constraint, SH.message) or "")
            for row in data.query(_prefixes(shapes, constraint) + str(shapes.value(constraint, SH.select))):
                bound = {str(name): value for name, value in row.asdict().items()}
                this = bound.get("this")
                if this not in focus:
                    continue
                value, path = bound.get("value", this), bound.get("path")
                text = message
                for name, term in bound.items():
                    text = re.sub(r"\{[?$]" + re.escape(name) + r"\}", lambda _: str(term), text)
                results.append(
                    Violation(
                        severity=severity,
                        focus=short_id(this),
                        path=short_id(path) if path is not None else None,
                        value=str(value) if value is not None else None,
                        message=text,
                    )
                )
    return list(dict.fromkeys(results))  # one result per focus node, path, value and message, as pySHACL gives


def _deactivated(shapes: Graph, node) -> bool:
    return shapes.value(node, SH.deactivated) in (Literal(True), Literal("true", datatype=XSD.boolean))


def _focus_nodes(data: Graph, ontology: Graph, shapes: Graph, shape) -> set:
    """The shape's focus nodes: instances of its target classes (their subclasses' too) and objects of its properties."""
    classes: set = set()
    for target in shapes.objects(shape, SH.targetClass):
        classes |= set(ontology.transitive_subjects(RDFS.subClassOf, target)) | set(data.transitive_subjects(RDFS.subClassOf, target))
    focus = {node for cls in classes for node in data.subjects(RDF.type, cls)}
    focus |= {node for prop in shapes.objects(shape, SH.targetObjectsOf) for node in data.objects(None, prop)}
    return focus


def _prefixes(shapes: Graph, constraint) -> str:
    """The PREFIX lines a constraint's sh:prefixes declare."""
    lines = []
    for holder in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(holder, SH.declare):
            lines.append(f"PREFIX {shapes.value(declaration, SH.prefix)}: <{shapes.value(declaration, SH.namespace)}>")
    return "\n".join(lines) + "\n"
