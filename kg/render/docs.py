"""``kg docs``: the ontology's HTML reference, built with pyLODE and readable offline.

pyLODE 3.3.4 is pinned: 3.4.1 fails at import. Its OntPub
profile documents classes and properties but shows neither SKOS mapping
annotations nor named individuals, and kg's alignments are mostly
``skos:exactMatch``/``closeMatch`` and its statuses, control bases, rivalry kinds
and departure manners are individuals; so kg adds both through pyLODE's own
section builder, in the same markup. pyLODE inlines its CSS and its icons are
data URIs; ``build_docs`` checks that the page loads nothing from the network
(links to other vocabularies stay links: nothing is fetched to show them).
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from kg import resources
from kg.errors import InputError, KgError
from kg.io.atomic import write_atomically
from kg.vocab import KG

#: Patterns that would make a browser fetch something when the page opens.
_REMOTE_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|audio|video|source|embed)\b[^>]*\bsrc\s*=\s*["']?(?!data:)[^"'\s>]+"""
    r"""|<link\b(?=[^>]*\brel\s*=\s*["']?(?:stylesheet|preload|modulepreload|import))[^>]*\bhref\s*=\s*["']?(?!data:)"""
    r"""|@import\b|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DocsSummary:
    path: Path  # the index.html written
    terms: int  # kg classes, properties and individuals documented


def ontology_terms(ontology: Graph) -> list[URIRef]:
    """Every class, property and individual the ontology declares in kg's namespace."""
    return sorted({s for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(KG))}, key=str)


def render_docs(ontology_file: str | Path | None = None) -> str:
    """The reference page of ``ontology_file`` (default: the bundled ``kg.ttl``) as HTML text."""
    path = Path(ontology_file) if ontology_file else resources.ontology_path()
    ontology = Graph()
    try:
        ontology.parse(path, format="turtle")
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise InputError(f"{path}: not valid turtle: {exc}") from None
    # kg.ttl declares the external classes it aligns to (OWL 2 DL needs it); documented as
    # sections they would repeat "Organization" three times. They stay links to their owners.
    from rdflib.namespace import OWL

    for external in [s for s in ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef) and not str(s).startswith(str(KG))]:
        ontology.remove((external, RDF.type, OWL.Class))
    with _root_logger_kept():
        publisher = _publisher_class()
        try:
            html = publisher(ontology, sort_subjects=True).make_html()
        except KgError:
            raise
        except Exception as exc:  # pyLODE raises its own and rdflib's types
            raise InputError(f"{path}: pyLODE could not document it: {exc}") from None
    remote = _REMOTE_RESOURCE.search(html)
    if remote:
        raise KgError(f"the ontology reference would load {remote.group(0)!r} from the network; refusing to write it")
    return html


def build_docs(folder: str | Path, ontology_file: str | Path | None = None) -> DocsSummary:
    """Write ``index.html`` (and a copy of the ontology it documents) into ``folder``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    source = Path(ontology_file) if ontology_file else resources.ontology_path()
    html = render_docs(source)
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "index.html"
    write_atomically(index, html.encode("utf-8"))
    write_atomically(folder / source.name, source.read_bytes())  # the page's readers will want the file
    terms = ontology_terms(Graph().parse(source, format="turtle"))
    return DocsSummary(path=index, terms=len(terms))


@contextmanager
def _root_logger_kept():
    """Undo what pyLODE does to the root logger: basicConfig(level=DEBUG) at import,
    and module-level ``logging.info`` calls that install a handler when none is set."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = logging.NullHandler()
    root.addHandler(quiet)  # with a handler present, basicConfig does nothing
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _publisher_class():
    """pyLODE's OntPub with kg's additions; imported here because pyLODE is slow to import."""
    try:
        from pylode import OntPub
        from pylode.rdf_elements import CLASS_PROPS, PROP_PROPS
        from pylode.utils import section_html
    except ImportError as exc:
        raise KgError(f"kg docs needs pyLODE 3.3.4 ({exc}); pip install 'pylode==3.3.4'") from None
    from rdflib.namespace import OWL, SKOS

    alignments = [SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, SKOS.broadMatch, SKOS.narrowMatch]
    sections = (
        ("Classes", OWL.Class, CLASS_PROPS, "classes"),
        ("Object Properties", OWL.ObjectProperty, PROP_PROPS, "objectproperties"),
        ("Datatype Properties", OWL.DatatypeProperty, PROP_PROPS, "datatypeproperties"),
        ("Annotation Properties", OWL.AnnotationProperty, PROP_PROPS, "annotationproperties"),
        ("Functional Properties", OWL.FunctionalProperty, PROP_PROPS, "functionalproperties"),
        ("Named Individuals", OWL.NamedIndividual, CLASS_PROPS + [RDF.type], "namedindividuals"),
    )

    headings = {
        RDF.type: ("Type", "The classes the individual belongs to.", "RDF"),
        SKOS.exactMatch: ("Exact Match", "The same concept in another vocabulary; usable interchangeably.", "SKOS"),
        SKOS.closeMatch: ("Close Match", "A similar concept in another vocabulary; not always interchangeable.", "SKOS"),
        SKOS.relatedMatch: ("Related Match", "An associated concept in another vocabulary.", "SKOS"),
        SKOS.broadMatch: ("Broad Match", "A broader concept in another vocabulary.", "SKOS"),
        SKOS.narrowMatch: ("Narrow Match", "A narrower concept in another vocabulary.", "SKOS"),
    }

    class KgOntPub(OntPub):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # pyLODE's background vocabularies give these no row heading ("None").
            for prop, (title, description, source) in headings.items():
                known = self.props_labeled.get(prop) or {}
                if not known.get("title") or known.get("title") == "None":
                    self.props_labeled[prop] = {"title": title, "description": description, "ont_title": source}

        def _make_main_sections(self):
            # pyLODE's own sections, with the SKOS alignments added to each term's table.
            with self.content:
                for title, kind, props, toc_id in sections:
                    if (None, RDF.type, kind) in self.ont:
                        section_html(
                            title, self.ont, self.back_onts, self.ns, kind, list(props) + alignments,
                            self.toc, toc_id, self.fids, self.props_labeled,
                        ).render()

        def _make_toc(self):
            super()._make_toc()
            # pyLODE's table of contents knows no individuals section: add it before Namespaces.
            from dominate.tags import a, h4, li, ul

            entries = self.toc.get("namedindividuals") or []
            if not entries:
                return
            toc = _find(self.doc.body, lambda node: node.attributes.get("id") == "toc")
            first = _find(toc, lambda node: node.attributes.get("class") == "first") if toc else None
            if first is None:  # pyLODE's markup changed: the section is still on the page
                return
            item = li(h4(a("Named Individuals", href="#namedindividuals")))
            listing = item.add(ul(_class="second"))
            for anchor, title in entries:
                listing.add(li(a(title, href=anchor)))
            first.children.insert(len(first.children) - 2, item)
            item.parent = first

    return KgOntPub


def _find(node, wanted):
    """The first element under ``node`` (depth first) for which ``wanted`` is true."""
    for child in getattr(node, "children", ()):
        if hasattr(child, "attributes"):
            if wanted(child):
                return child
            found = _find(child, wanted)
            if found is not None:
                return found
    return None
