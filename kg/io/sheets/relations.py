"""relations.csv rows into claims: each cell checked against the format and the ontology."""

from __future__ import annotations

import difflib
import re
import warnings
from decimal import Decimal
from typing import Iterable

from rdflib import RDF, RDFS, Literal, URIRef

from kg.dates import date_bound, date_literal
from kg.entities import closest_ids, did_you_mean
from kg.errors import KgWarning
from kg.io.sheets.cells import (
    PERIOD_FORMS,
    CellError,
    affiliation_kind,
    parse_amount,
    parse_capacity,
    parse_period,
    parse_share,
    strip_about,
)
from kg.io.sheets.model import Attestation, Claim, Entity, Problems, Row, Source, ontology_terms, share_literal
from kg.io.sheets.spec import (
    AMOUNT_PROPERTIES,
    CAPACITY_CLASSES,
    NATURES,
    PROSE_LANGUAGE,
    RELATIONS,
    STAKE_CLASSES,
    Relation,
    is_id,
    is_url,
    text_source_iri,
    word,
)
from kg.vocab import CLAIM, KG, SHARE_PROPERTIES, STAGE_IRIS, STATUS_IRIS

DEFAULT_STATUS = "reported"
_ID_LIKE = re.compile(r"[a-z0-9][a-z0-9._\-]*")  # a source title that reads as a sources.csv id (with a '-' or '_')
_MORE_LINES = 5  # the other lines a warning names of a title that may be a mistyped id
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class RelationChecker:
    """Turns relations.csv rows into claims, reporting each bad cell."""

    def __init__(self, entities: dict[str, Entity], sources: dict[str, Source], sheet: str,
                 problems: Problems, *, entities_complete: bool, sources_file: str | None = None) -> None:
        self.entities, self.sources, self.sheet, self.problems = entities, sources, sheet, problems
        self.entities_complete = entities_complete
        self.sources_file = sources_file  # the sources.csv (or worksheet) of the sheet, None when it has none
        self.cited: dict[URIRef, Source] = {}
        # A title in `source` that may be a mistyped id -> [its first cell, hint, first line, other lines, more]
        self.titles_like_ids: dict[str, list] = {}
        self._source_ids: list | None = None
        self._entity_names: list | None = None
        self.ranges, self.supers, _, self.labels = ontology_terms()

    def claims(self, rows: Iterable[Row]) -> list[Claim]:
        """The claims of ``rows``; a row with a bad cell makes none (so bad rows cost no memory)."""
        by_id: dict[str, Claim] = {}
        unnamed: list[tuple[str, Claim]] = []
        for row in rows:
            before = self.problems.total
            claim = self._claim(row)
            attestations = self._attestations(row)
            if claim is None or attestations is None or self.problems.total > before:
                continue
            claim_id = row["id"]
            if not claim_id:
                unnamed.append((self._base_id(row, claim.relation), claim))
                claim.attestations.extend(attestations)
            elif not is_id(claim_id):
                self.problems.add(row, "id", "a claim id is letters, digits, '-', '_' or '.' with no spaces")
            elif claim_id in by_id:
                first = by_id[claim_id]
                if first.triples != claim.triples:
                    self.problems.add(row, "id", f"claim id used on line {first.row.line} for a different claim; "
                                      "rows sharing an id differ only in source, source_line and status")
                else:
                    first.attestations.extend(attestations)
            else:
                claim.iri = CLAIM[claim_id]
                claim.attestations.extend(attestations)
                by_id[claim_id] = claim
        # Rows without an id get subject-relation-object, and -2, -3 ... for repeats, in row order.
        taken = set(by_id)
        for base, claim in unnamed:
            claim_id, number = base, 1
            while claim_id in taken:
                number += 1
                claim_id = f"{base}-{number}"
            taken.add(claim_id)
            claim.iri = CLAIM[claim_id]
        self._warn_titles_like_ids()
        return [*by_id.values(), *(claim for _, claim in unnamed)]

    @staticmethod
    def _base_id(row: Row, relation: Relation) -> str:
        name = (relation.canonical or relation.name).replace("_", "-")
        if relation.reverse:  # subsidiary_of is named as the control it states
            return f"{row['object']}-{name}-{row['subject']}"
        return f"{row['subject']}-{name}-{row['object']}"

    def _claim(self, row: Row) -> Claim | None:
        relation = RELATIONS.get(word(row["relation"]))
        if relation is None:
            close = difflib.get_close_matches(word(row["relation"]), list(RELATIONS), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.problems.add(row, "relation", f"unknown relation{hint}; expected one of {', '.join(RELATIONS)}")
        claim_type = relation.claim_type if relation else None
        cls = claim_type.cls if claim_type else None
        pairs: set[tuple[URIRef, object]] = set()
        agents = {column: self._agent(row, column) for column in ("subject", "object")}
        if relation is not None:
            # subsidiary_of reads object-controls-subject: its object plays the controller.
            columns = ("object", "subject") if relation.reverse else ("subject", "object")
            for column, role in zip(columns, (claim_type.subject_role, claim_type.object_role)):
                entity = agents[column]
                if entity is not None:
                    self._check_role(row, column, entity, role, relation)
                    pairs.add((role, entity.iri))
            pairs.add((RDF.type, cls))
        if row["subject"] and row["subject"] == row["object"]:
            self.problems.add(row, "object", "subject and object are the same entity")
        self.written: dict[str, str] = {}  # cells the model holds only in part, kept as written in the note
        pairs |= self._dates(row)
        pairs |= self._money(row, cls)
        pairs |= self._share(row, relation)
        pairs |= self._nature(row, relation)
        pairs |= self._stage(row)
        note = written_note(row["note"], self.written)
        if note:
            pairs.add((RDFS.comment, Literal(note, lang=PROSE_LANGUAGE)))
        if relation is None:
            return None
        return Claim(None, row, relation, frozenset(pairs))

    def _agent(self, row: Row, column: str) -> Entity | None:
        entity_id = row[column]
        if not entity_id:
            self.problems.add(row, column, f"missing {column}")
            return None
        entity = self.entities.get(entity_id)
        if entity is None and self.entities_complete:
            self.problems.add(row, column, "unknown id; not in entities.csv" + self._suggest(entity_id))
        return entity

    def _suggest(self, text: str) -> str:
        """``(did you mean microsoft?)``: an id whose id or name is close to ``text`` (any case)."""
        if self._entity_names is None:
            self._entity_names = [(entity_id, entity.row["name"]) for entity_id, entity in self.entities.items()]
        return did_you_mean(closest_ids(text, self._entity_names, n=1))

    def _check_role(self, row: Row, column: str, entity: Entity, role: URIRef, relation: Relation) -> None:
        needed = self.ranges[role]
        if needed is None or not entity.types:
            return
        if not any(needed in self.supers[t] for t in entity.types):
            kinds = "; ".join(t.rsplit("#", 1)[-1] for t in map(str, entity.types))
            self.problems.add(
                row, column,
                f"a {kinds} cannot be the {self.labels[role]} of {relation.name}: it must be a kg {self.labels[needed]}",
            )

    def _dates(self, row: Row) -> set:
        """`start` and `end`: a date, or a half-year or quarter (its first month as a start, its last as an end)."""
        pairs = set()
        valid: dict[str, str] = {}
        for column, prop in (("start", KG.startDate), ("end", KG.endDate)):
            text = row[column]
            if not text:
                continue
            try:
                period = parse_period(text, end=column == "end")
            except CellError as exc:
                self.problems.add(row, column, str(exc))
                continue
            if period is not None:
                self.written[column] = text
            literal = date_literal(period or text)
            if literal is None:
                self.problems.add(row, column, f"not a date; expected {PERIOD_FORMS}")
            else:
                pairs.add((prop, literal))
                valid[column] = period or text
        if len(valid) == 2:
            if date_bound(valid["end"], end=True) < date_bound(valid["start"], end=False):
                self.problems.add(row, "end", f"end date is before the start date {row['start']}")
        return pairs

    def _money(self, row: Row, cls: URIRef | None) -> set:
        """`amount` (with its currency and qualifier, as written or in `currency`) and `capacity_mw` (MW or GW)."""
        pairs = set()
        amount_currency = None
        for column, prop, allowed in (
            ("amount", AMOUNT_PROPERTIES.get(cls), AMOUNT_PROPERTIES),
            ("capacity_mw", KG.capacityMW if cls in CAPACITY_CLASSES else None, CAPACITY_CLASSES),
        ):
            if not row[column]:
                continue
            if row[column].startswith("-"):
                self.problems.add(row, column, f"{column} must not be negative")
                continue
            try:
                if column == "amount":
                    amount = parse_amount(row[column])
                    value, amount_currency = amount.value, amount.currency
                else:
                    value = parse_capacity(row[column])
            except CellError as exc:
                self.problems.add(row, column, str(exc))
                continue
            if cls is not None and prop is None:
                self.problems.add(row, column, f"{column} applies only to {_relation_names(allowed)}", row[column])
            elif prop is not None:
                pairs.add((prop, share_literal(value)))
                if column == "amount" and amount.qualifier:
                    pairs.add((KG.amountQualifier, Literal(amount.qualifier)))
        currency = row["currency"]
        if currency:
            if not _CURRENCY.match(currency):
                self.problems.add(row, "currency", "a currency is a three-letter ISO 4217 code such as USD")
            elif not row["amount"]:
                self.problems.add(row, "currency", "a currency needs an amount")
            elif amount_currency and amount_currency != currency.upper():
                self.problems.add(row, "currency", f"the amount is in {amount_currency}; the currency column says another")
            else:
                pairs.add((KG.currency, Literal(currency.upper())))
        if amount_currency and AMOUNT_PROPERTIES.get(cls):
            pairs.add((KG.currency, Literal(amount_currency)))
        return pairs

    def _share(self, row: Row, relation: Relation | None) -> set:
        """The `stake` cell: a share of an ownership, a control or an investment (exact, range or bound)."""
        if not row["stake"] or relation is None:
            return set()
        cls = relation.claim_type.cls
        if cls not in STAKE_CLASSES:
            self.problems.add(row, "stake", f"stake applies only to {_relation_names(STAKE_CLASSES)}")
            return set()
        text, about = strip_about(row["stake"])
        try:
            share = parse_share(text)
        except CellError as exc:
            self.problems.add(row, "stake", str(exc))
            return set()
        if about:  # the share holds the number; the note keeps that it is approximate
            self.written["stake"] = row["stake"]
        if "%" not in text and any(0 < value < 1 for value in share.values()):
            number = next(value for value in share.values() if 0 < value < 1)
            warnings.warn(
                f"{row.file}:{row.line}:{row.columns.get('stake', 1)}: stake {row['stake']} is read as {number}%; "
                f"if you mean {_percent(number)}%, write {_percent(number)}%",
                KgWarning, stacklevel=2,
            )
        # An investment's exact stake keeps its own property (kg:stake is an exact share).
        properties = {**SHARE_PROPERTIES, "exact": KG.stake} if cls == KG.Investment else SHARE_PROPERTIES
        return {(properties[key], share_literal(value)) for key, value in share.items()}

    def _nature(self, row: Row, relation: Relation | None) -> set:
        text = row["nature"] or (relation.default_nature if relation else "") or ""
        if relation is None:
            return set()
        cls = relation.claim_type.cls
        kind = {(KG.affiliationKind, affiliation_kind(relation.name, text))} if cls == KG.Affiliation else set()
        if not text:
            return kind
        nature = NATURES.get(cls)
        if nature is None:
            self.problems.add(row, "nature", f"{relation.name} takes no nature")
            return set()
        if nature.terms is None:
            return kind | {(nature.prop, Literal(text))}
        allowed = list(relation.natures or nature.terms)
        if word(text) not in allowed:
            feud = " (a personal or legal feud is feuds_with: the rules read market rivalries only)" if relation.name == "competes_with" else ""
            self.problems.add(row, "nature", f"unknown nature for {relation.name}; expected one of {', '.join(allowed)}{feud}")
            return set()
        return {(nature.prop, nature.terms[word(text)])}

    def _stage(self, row: Row) -> set:
        """The `stage` cell: how far the deal has gone, apart from how firmly it is attested."""
        if not row["stage"]:
            return set()
        stage = STAGE_IRIS.get(word(row["stage"]))
        if stage is None:
            self.problems.add(row, "stage", f"unknown stage; expected one of {', '.join(STAGE_IRIS)}")
            return set()
        return {(KG.stage, stage)}

    def _attestations(self, row: Row) -> list[Attestation] | None:
        """The row's attestations: one per source its `source` cell names (several are separated by ';'),
        each with the row's status; the sheet itself, at the row's line, when the cell is blank."""
        status = STATUS_IRIS.get(word(row["status"] or DEFAULT_STATUS))
        if status is None:
            self.problems.add(row, "status", _status_message(row["status"]))
        source_text, line_text = row["source"], row["source_line"]
        # A sources.csv id (or URL) is taken whole; anything else may name several sources.
        names = [source_text] if source_text in self.sources else [p.strip() for p in source_text.split(";") if p.strip()]
        given_line = int(line_text) if line_text.isascii() and line_text.isdigit() and int(line_text) > 0 else None
        if line_text and not names:
            self.problems.add(row, "source_line", "a source line needs a source")
        elif line_text and given_line is None:
            self.problems.add(row, "source_line", "a source line is a whole number from 1")
        elif line_text and len(names) > 1:
            self.problems.add(row, "source_line", "a source line needs one source; this row names several")
        if not names:  # a row without a source cites itself: the sheet, at the row's own line
            return None if status is None else [Attestation(self._cite(text_source_iri(self.sheet), self.sheet), status, row.line)]
        sources = []
        for name in names:
            if name in self.sources:
                sources.append(self.sources[name].iri)
            elif name.lower().startswith(("http://", "https://")):
                if not is_url(name):
                    self.problems.add(row, "source", "not a valid URL (spaces or <>\"{}|\\^` in it?)", name)
                    return None
                sources.append(self._cite(URIRef(name), ""))
            else:
                self._note_title(row, name)
                sources.append(self._cite(text_source_iri(name), name))
        if status is None:
            return None
        return [Attestation(source, status, given_line) for source in dict.fromkeys(sources)]

    def _note_title(self, row: Row, name: str) -> None:
        """A `source` cell (or part) read as a title: kept for a warning if it may be a mistyped sources.csv id,
        close to one or reading as one (lower case, no blank, a '-' or '_'). Other titles
        (``Financial Times``) are what they look like."""
        if self.sources_file is None:
            return
        flagged = self.titles_like_ids.get(name)
        if flagged is None:
            if text_source_iri(name) in self.cited:  # seen before, and not flagged
                return
            if self._source_ids is None:
                self._source_ids = [(source_id, None) for source_id in self.sources if not is_url(source_id)]
            close = closest_ids(name, self._source_ids, n=1, cutoff=0.8)
            if close or (_ID_LIKE.fullmatch(name) and re.search(r"[-_]", name)):
                where = f"{row.file}:{row.line}:{row.columns.get('source', 1)}"
                self.titles_like_ids[name] = [where, did_you_mean(close), row.line, [], 0]
        elif row.line != flagged[2] and row.line not in flagged[3]:
            if len(flagged[3]) < _MORE_LINES:
                flagged[3].append(row.line)
            else:
                flagged[4] += 1

    def _warn_titles_like_ids(self) -> None:
        """One warning for each title ``_note_title`` kept, at its first cell, with the other lines it is on;
        none when the sheet has errors (nothing is read, and a sources.csv row in error is no id)."""
        if self.problems:
            self.titles_like_ids.clear()
            return
        for name, (where, hint, _, lines, more) in self.titles_like_ids.items():
            also = f"; also on line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}" if lines else ""
            also += f" and {more} more" if more else ""
            warnings.warn(
                f"{where}: source {name!r} is no id of {self.sources_file}: read as a source of that title{hint}{also}",
                KgWarning, stacklevel=3,
            )
        self.titles_like_ids.clear()

    def _cite(self, iri: URIRef, title: str) -> URIRef:
        """A source named in a row rather than in sources.csv: a URL, or a title (the sheet's own, when blank)."""
        self.cited.setdefault(iri, Source(iri, title, ""))
        return iri


#: Stage words analysts put in the status column that are not kg stages, and the stage each means.
STAGE_SYNONYMS = {"announced": "proposed (or agreed, once signed)", "signed": "agreed"}


def _status_message(text: str) -> str:
    """Why a status cell is unknown; a deal stage written as a status (``proposed``, ``signed``) points to the stage column."""
    statuses = ", ".join(sorted(STATUS_IRIS, key=lambda name: name == "denied"))  # from rumored up, then denied
    stage = word(text)
    if stage in STAGE_IRIS:
        return f'"{stage}" is a deal stage: put it in the stage column; status is how firmly the source says it: {statuses}'
    if stage in STAGE_SYNONYMS:
        return (f'"{stage}" is a deal stage: put {STAGE_SYNONYMS[stage]} in the stage column; '
                f"status is how firmly the source says it: {statuses}")
    return f"unknown status; expected one of {', '.join(STATUS_IRIS)}"


def written_note(note: str, written: dict[str, str]) -> str:
    """The row's note, then each cell the model holds only in part, as written (``start as written: H2 2026``)."""
    extra = "; ".join(f"{column} as written: {text}" for column, text in written.items())
    if not extra:
        return note
    return f"{note} ({extra})" if note else extra


def _percent(value: Decimal) -> str:
    return format((value * 100).normalize(), "f")


def _relation_names(classes) -> str:
    return ", ".join(r.name for r in RELATIONS.values() if r.claim_type.cls in classes)
