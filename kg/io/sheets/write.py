"""Writing a graph back into the spreadsheet format, and the empty template to start one."""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS

from kg.dates import date_literal
from kg.errors import KgWarning, UsageError
from kg.claims import decimal_value
from kg.io.atomic import write_files_atomically
from kg.io.sheets.cells import affiliation_kind, amount_cell, identifiers_cell, share_cell
from kg.io.text import spreadsheet_cell
from kg.io.sheets.spec import (
    AGENT_TYPES,
    AMOUNT_PROPERTIES,
    ENTITY_SHEET,
    NATURES,
    PROSE_LANGUAGE,
    RELATION_SHEET,
    RELATIONS,
    SOURCE_SHEET,
    TYPE_NAME_OF,
    is_id,
    is_url,
    text_source_iri,
)
from kg.vocab import CLAIM, CLAIM_TYPES, DATA, KG, SHARE_PROPERTIES, SOURCE, STAGE_IRIS, STATUS_NAMES


# --- template ---------------------------------------------------------------------------------

TEMPLATE_ROWS = {
    ENTITY_SHEET.file: (
        ENTITY_SHEET.columns,
        ("# example-lab", "Example Lab (fictional)", "AILab", "A made-up lab; delete this row", "2020", "US", "https://example.org",
         "lei:999900EXAMPLELAB0085"),
    ),
    RELATION_SHEET.file: (
        tuple(c for c in RELATION_SHEET.columns if c not in ("id", "source_line")),
        ("# example-lab", "buys_compute_from", "example-cloud", "2024-05", "", "reported", "agreed", "https://example.org/news",
         "1000000", "USD", "", "50", "", "A made-up deal; delete this row"),
        ("# example-fund", "owns", "example-lab", "2023", "", "reported", "completed", "https://example.org/filing",
         "", "", "25-50", "", "shareholding", "A made-up shareholding (a range, as registers give it); delete this row"),
        ("# example-person", "board_member_of", "example-lab", "2023", "", "confirmed", "", "https://example.org/filing",
         "", "", "", "", "", "A made-up board seat; delete this row"),
    ),
    SOURCE_SHEET.file: (
        SOURCE_SHEET.columns,
        ("# example-report", "Example Report (fictional)", "https://example.org/report", "Example Wire (fictional)", "2024-05-02",
         "A made-up source; cite it by its id in relations.csv; delete this row"),
    ),
}


def write_template(folder: str | Path) -> list[Path]:
    """Write the three files with their headers and a commented example row; never overwrite a sheet."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: exists and is not a folder")
    existing = [folder / name for name in TEMPLATE_ROWS if (folder / name).exists()]
    if existing:
        raise UsageError(f"{existing[0]}: already exists; kg will not overwrite a sheet")
    tables = {name: [list(header), *map(list, examples)] for name, (header, *examples) in TEMPLATE_ROWS.items()}
    return write_tables(folder, tables)


# --- export -----------------------------------------------------------------------------------

_ENTITY_PREDICATES = {RDF.type, RDFS.label, DCTERMS.description, KG.foundingDate, KG.country, KG.homepage, KG.identifier}
_CLAIM_PREDICATES = {
    RDF.type, KG.startDate, KG.endDate, KG.attestation, RDFS.comment, KG.currency, KG.amountQualifier, KG.stake, KG.capacityMW,
    KG.stage, KG.affiliationKind, *SHARE_PROPERTIES.values(),
    *AMOUNT_PROPERTIES.values(), *(nature.prop for nature in NATURES.values()),
    *(role for ct in CLAIM_TYPES.values() for role in (ct.subject_role, ct.object_role)),
}
_ATTESTATION_PREDICATES = {RDF.type, KG.source, KG.status, KG.sourceLine}
_SOURCE_PREDICATES = {RDF.type, DCTERMS.title, DCTERMS.source, DCTERMS.publisher, DCTERMS.date, RDFS.comment}


def export_sheets(graph: Graph, folder: str | Path) -> list[Path]:
    """Write ``graph``'s agents, claims and sources as entities.csv, relations.csv and sources.csv.

    Each file is complete or absent: all three are written to temporary files
    first and renamed into place only when every one is whole. What CSV cannot
    hold (an unknown property) is reported as a ``KgWarning``.
    """
    return write_tables(Path(folder), graph_tables(graph))


def graph_tables(graph: Graph) -> dict[str, list[list[str]]]:
    """The rows (header first) of each file that holds ``graph``."""
    writer = _TableWriter(graph)
    tables = writer.tables()
    for message in writer.warnings():
        warnings.warn(message, KgWarning, stacklevel=3)
    return tables


class _TableWriter:
    """Reads one graph into rows; keeps what it had to leave out for the warnings."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.dropped: Counter[tuple[str, str]] = Counter()
        self.notes: list[str] = []

    def tables(self) -> dict[str, list[list[str]]]:
        entities = self._entities()
        claims = sorted({s for cls in CLAIM_TYPES for s in self.graph.subjects(RDF.type, cls)}, key=str)
        attestations = [(claim, att) for claim in claims for att in self.graph.objects(claim, KG.attestation)]
        sources = self._sources([att for _, att in attestations])
        relation_rows = []
        for claim in claims:
            relation_rows.extend(self._claim_rows(claim, entities, sources))
        source, status, line = (RELATION_SHEET.columns.index(name) for name in ("source", "status", "source_line"))
        relation_rows.sort(key=lambda row: (row[0], row[source], row[status], int(row[line] or 0)))
        source_rows = sorted(
            [[cell, *fields] for cell, fields in sources.values() if fields is not None], key=lambda row: row[0]
        )
        return {
            ENTITY_SHEET.file: [list(ENTITY_SHEET.columns), *entities.values()],
            SOURCE_SHEET.file: [list(SOURCE_SHEET.columns), *source_rows],
            RELATION_SHEET.file: [list(RELATION_SHEET.columns), *relation_rows],
        }

    def warnings(self) -> list[str]:
        lines = list(self.notes)
        for (kind, predicate), count in sorted(self.dropped.items()):
            lines.append(f"CSV has no column for {predicate} on {kind}s: left out {count} value(s)")
        return lines

    def _entities(self) -> dict[URIRef, list[str]]:
        rows = {}
        agents = {s for cls in AGENT_TYPES.values() for s in self.graph.subjects(RDF.type, cls)}
        for agent in sorted(agents, key=str):
            entity_id = self._local_id(agent, DATA, "entity")
            types = [TYPE_NAME_OF[t] for t in self.graph.objects(agent, RDF.type) if t in TYPE_NAME_OF]
            types.sort(key=list(AGENT_TYPES).index)
            name = self._one(agent, RDFS.label)
            if not name:
                name = entity_id
                self.notes.append(f"{entity_id} has no name (rdfs:label); wrote its id as its name")
            self._count_dropped(agent, _ENTITY_PREDICATES, "entity", extra_types=set(TYPE_NAME_OF))
            identifiers = [
                (str(self.graph.value(node, KG.identifierScheme)), str(self.graph.value(node, KG.identifierValue)))
                for node in self.graph.objects(agent, KG.identifier)
                if self.graph.value(node, KG.identifierScheme) is not None and self.graph.value(node, KG.identifierValue) is not None
            ]
            rows[agent] = [
                entity_id, name, ";".join(types), self._one(agent, DCTERMS.description),
                self._one(agent, KG.foundingDate), self._one(agent, KG.country), self._one(agent, KG.homepage),
                identifiers_cell(identifiers),
            ]
        return rows

    def _sources(self, attestations: list[Node]) -> dict[Node, tuple[str, list[str] | None]]:
        """For each source: the text of its `source` cell, and its sources.csv fields when it needs a row."""
        used = {self.graph.value(att, KG.source) for att in attestations} - {None}
        typed = set(self.graph.subjects(RDF.type, KG.Source))
        result: dict[Node, tuple[str, list[str] | None]] = {}
        for source in sorted(used | typed, key=str):
            if not isinstance(source, URIRef):
                raise UsageError("cannot export to CSV: a source is a blank node; give each source an IRI")
            self._count_dropped(source, _SOURCE_PREDICATES, "source", extra_types={KG.Source})
            titles = sorted(self.graph.objects(source, DCTERMS.title), key=str)
            notes = sorted(self.graph.objects(source, RDFS.comment), key=str)
            described = any((source, prop, None) in self.graph for prop in (DCTERMS.source, DCTERMS.publisher, DCTERMS.date))
            if source in used and not notes and not described and len(titles) == 1 and _inline_title(titles[0], source):
                result[source] = (str(titles[0]), None)
            elif source in used and not titles and not notes and not described and is_url(str(source)) and ";" not in str(source):
                result[source] = (str(source), None)
            else:
                in_namespace = str(source).startswith(str(SOURCE)) and is_id(str(source)[len(str(SOURCE)):])
                cell = str(source)[len(str(SOURCE)):] if in_namespace else str(source)
                if not in_namespace and not is_url(cell):
                    raise UsageError(f"cannot export to CSV: source {source} is neither in kg's source namespace nor a URL")
                result[source] = (cell, self._source_fields(source))
        # A title that reads as the id of a sources.csv row would be taken for that row.
        ids = {cell for cell, fields in result.values() if fields is not None}
        for source, (cell, fields) in list(result.items()):
            if fields is None and cell in ids:
                result[source] = (str(source)[len(str(SOURCE)):], [cell] + [""] * (len(SOURCE_SHEET.columns) - 2))
        return result

    def _source_fields(self, source: URIRef) -> list[str]:
        """A sources.csv row after its id: title, url, publisher, date and note, each as the reader takes it back."""
        urls = sorted(str(url) for url in self.graph.objects(source, DCTERMS.source) if isinstance(url, URIRef) and is_url(str(url)))
        others = sorted(str(url) for url in self.graph.objects(source, DCTERMS.source) if not (isinstance(url, URIRef) and is_url(str(url))))
        for value in others:
            self.notes.append(f"{source.n3()}: its dcterms:source {value!r} is not a URL; CSV's url column leaves it out")
        if len(urls) > 1:
            self.notes.append(f"{source.n3()} has {len(urls)} URLs (dcterms:source); CSV keeps one: {urls[0]}")
        # A publisher named and a publisher's URL (as BODS gives them): the url column is the source's own, so the name.
        names = sorted(str(p) for p in self.graph.objects(source, DCTERMS.publisher) if isinstance(p, Literal))
        links = sorted(str(p) for p in self.graph.objects(source, DCTERMS.publisher) if not isinstance(p, Literal))
        if len(names) > 1:
            self.notes.append(f"{source.n3()} has {len(names)} publishers; CSV keeps one: {names[0]}")
        if links and names:
            self.notes.append(f"{source.n3()}: CSV keeps the publisher's name {names[0]!r}, not its URL {links[0]}")
        if links and not names:
            self.notes.append(f"{source.n3()}: CSV writes its publisher's URL {links[0]} as the publisher's name")
        publisher = names[0] if names else (links[0] if links else "")
        return [
            self._one(source, DCTERMS.title), urls[0] if urls else "", publisher, self._source_date(source),
            self._one(source, RDFS.comment),
        ]

    def _source_date(self, source: URIRef) -> str:
        """The date cell: a date, year-month or year as written; a date-time as its day (noted)."""
        text = self._one(source, DCTERMS.date)
        if not text or date_literal(text) is not None:
            return text
        if date_literal(text[:10]) is not None:
            self.notes.append(f"{source.n3()}: CSV's date column keeps the day of {text}, not its time")
            return text[:10]
        self.notes.append(f"{source.n3()}: its dcterms:date {text!r} is not a date; CSV's date column leaves it out")
        return ""

    def _claim_rows(self, claim: URIRef, entities: dict, sources: dict) -> list[list[str]]:
        graph = self.graph
        claim_id = self._local_id(claim, CLAIM, "claim")
        claim_type = next(CLAIM_TYPES[c] for c in sorted(graph.objects(claim, RDF.type), key=str) if c in CLAIM_TYPES)
        cls = claim_type.cls
        roles = []
        for role in (claim_type.subject_role, claim_type.object_role):
            agent = graph.value(claim, role)
            if agent not in entities:
                raise UsageError(f"cannot export to CSV: claim {claim_id} has no {role.n3()} of a kg agent type")
            roles.append(entities[agent][0])
        self._count_dropped(claim, _CLAIM_PREDICATES, "claim", extra_types=set(CLAIM_TYPES))
        nature = ""
        if cls in NATURES:
            value = graph.value(claim, NATURES[cls].prop)
            terms = NATURES[cls].terms
            nature = "" if value is None else str(value) if terms is None else _term_name(terms, value)
        relation = next(r.name for r in RELATIONS.values() if r.claim_type.cls == cls and not r.default_nature and not r.reverse and not r.canonical)
        if cls == KG.Rivalry and nature in ("personal", "legal"):  # a feud: competes_with is a market rivalry
            relation, nature = "feuds_with", "" if nature == "personal" else nature
        if cls == KG.Affiliation:
            relation, nature = self._affiliation(claim, claim_id, nature)
        fields = [
            self._one(claim, KG.startDate), self._one(claim, KG.endDate),
            _term_name(STAGE_IRIS, graph.value(claim, KG.stage)) if graph.value(claim, KG.stage) is not None else "",
            amount_cell(self._one(claim, AMOUNT_PROPERTIES[cls]), self._one(claim, KG.amountQualifier) or None)
            if cls in AMOUNT_PROPERTIES and self._one(claim, AMOUNT_PROPERTIES[cls]) else "",
            self._one(claim, KG.currency), self._share(claim, claim_id), self._one(claim, KG.capacityMW),
            nature, self._one(claim, RDFS.comment),
        ]
        start, end, stage, amount, currency, stake, capacity, nature, note = fields
        rows = []
        for att in graph.objects(claim, KG.attestation):
            self._count_dropped(att, _ATTESTATION_PREDICATES, "attestation", extra_types={KG.Attestation})
            source = graph.value(att, KG.source)
            status = STATUS_NAMES.get(graph.value(att, KG.status), "")
            line = self._one(att, KG.sourceLine)
            source_cell = sources[source][0] if source is not None else ""
            rows.append([claim_id, roles[0], relation, roles[1], start, end, status, stage, source_cell, line,
                         amount, currency, stake, capacity, nature, note])
        if not rows:
            self.notes.append(f"claim {claim_id} has no attestation; its row will cite the sheet itself")
            rows.append([claim_id, roles[0], relation, roles[1], start, end, "", stage, "", "",
                         amount, currency, stake, capacity, nature, note])
        return rows

    def _affiliation(self, claim: URIRef, claim_id: str, title: str) -> tuple[str, str]:
        """The relation and nature cells of an affiliation: a board seat is board_member_of; an officer
        or advisor whose title does not say so is written as the word itself (the title is lost)."""
        kind = self.graph.value(claim, KG.affiliationKind)
        if kind == KG.BoardSeat:
            return "board_member_of", title
        if kind is None or affiliation_kind("works_for", title) == kind:
            return "works_for", title
        word = {KG.Officer: "officer", KG.Advisor: "advisor"}.get(kind, "")
        if title and word:
            self.notes.append(f"claim {claim_id}: CSV says an {word} by the nature cell; left out the title {title!r}")
        return "works_for", word if word else title

    def _share(self, claim: URIRef, claim_id: str) -> str:
        """The stake cell: the claim's share (an investment's exact stake included), as parse_share reads it."""
        share = {}
        for key, prop in {**SHARE_PROPERTIES, "stake": KG.stake}.items():
            value = decimal_value(self.graph.value(claim, prop))
            if value is not None:
                share["exact" if key == "stake" else key] = value
        if not share:
            return ""
        cell = share_cell(share)
        if cell is None:
            self.notes.append(f"claim {claim_id}: CSV cannot say the share {share}; left it out")
            return ""
        return cell

    def _local_id(self, node: Node, namespace, kind: str) -> str:
        text = str(node)
        if isinstance(node, URIRef) and text.startswith(str(namespace)) and is_id(text[len(str(namespace)):]):
            return text[len(str(namespace)):]
        raise UsageError(f"cannot export to CSV: {kind} {node.n3()} has no id in kg's namespace {namespace}")

    def _one(self, node: Node, prop: URIRef) -> str:
        values = sorted(self.graph.objects(node, prop), key=str)
        if len(values) > 1:
            self.notes.append(f"{node.n3()} has {len(values)} values for {prop.n3()}; CSV keeps one: {values[0]}")
        return str(values[0]) if values else ""

    def _count_dropped(self, node: Node, known: set, kind: str, *, extra_types: set) -> None:
        for predicate, value in self.graph.predicate_objects(node):
            if predicate not in known or (predicate == RDF.type and value not in extra_types):
                self.dropped[(kind, predicate.n3(self.graph.namespace_manager))] += 1


def _inline_title(title: Node, source: URIRef) -> bool:
    """Whether a `source` cell holding just the title reads back as this very source."""
    text = str(title)
    return (
        isinstance(title, Literal) and title.language == PROSE_LANGUAGE and text == text.strip() and text != ""
        and not is_url(text) and ";" not in text and source == text_source_iri(text)
    )


def _term_name(terms: dict[str, URIRef], value: Node) -> str:
    for name, iri in terms.items():
        if iri == value:
            return name
    return str(value)  # not a kg term: written as is, so ingest reports it


def write_tables(folder: Path, tables: dict[str, list[list[str]]]) -> list[Path]:
    """Write every table as a CSV file of ``folder``: all complete, or none replaced.

    Files are UTF-8 without a byte-order mark, RFC 4180 (CRLF, quotes only where needed).
    A cell a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) gets a leading ``'`` (OWASP's advice), which
    the sheet reader takes off again.
    """
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: exists and is not a folder")
    if not folder.exists():
        if not folder.parent.is_dir():
            raise UsageError(f"{folder}: its parent folder {folder.parent} does not exist")
        folder.mkdir()
    files = {}
    for name, rows in tables.items():
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
        files[name] = buffer.getvalue().encode("utf-8")
    return write_files_atomically(folder, files)
