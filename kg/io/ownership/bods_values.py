"""The values of one BODS statement, each checked as it is read: text, dates, shares, identifiers, links.

A value kg cannot take is an ``InputError`` naming the file, the statement and the
field (``interests/0: share maximum 120 is not a percentage from 0 to 100``).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from decimal import Decimal, InvalidOperation

from rdflib import XSD, Literal, URIRef

from kg.dates import date_literal
from kg.entities import is_iri
from kg.errors import InputError
from kg.identifiers import IdentifierError, normalise_identifier
from kg.io.sheets.model import share_literal
from kg.vocab import SHARE_PROPERTIES

_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?")


#: A literal for a value that repeats from statement to statement (a date, a source type, a publisher):
#: made once, as rdflib's Literal is slow to make and a file holds millions of them.
repeated = lru_cache(maxsize=1 << 16, typed=True)(Literal)
_date_literal = lru_cache(maxsize=1 << 14)(date_literal)


@lru_cache(maxsize=1 << 12)
def _link(text: str) -> URIRef | Literal:
    return URIRef(text) if is_iri(text) else Literal(text)


def check_text(value: str) -> str | None:
    """Why ``value`` cannot be RDF text (a lone surrogate, from a ``\\ud800`` escape), or None."""
    return "is not Unicode text (a lone surrogate)" if _SURROGATE.search(value) else None


class Values:
    """Reads fields of a statement (or of a part of it: ``at`` is the part's JSON path, for messages)."""

    def __init__(self, where: str, at: str = "") -> None:
        self.where, self.at = where, at

    def error(self, what: str) -> InputError:
        return InputError(f"{self.where}: {self.at}{': ' if self.at else ''}{what}")

    def nested(self, at: str) -> "Values":
        return Values(self.where, f"{self.at}/{at}" if self.at else at)

    def text(self, obj: dict, key: str, nested: str | None = None) -> str | None:
        value = obj.get(key)
        if nested is not None and isinstance(value, dict):
            key, value = f"{key}/{nested}", value.get(nested)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"{key} is not text")
        problem = check_text(value)
        if problem:
            raise self.error(f"{key} {problem}")
        return value

    def texts(self, obj: dict, key: str) -> list[str]:
        values = self.array(obj, key)
        if not all(isinstance(value, str) for value in values):
            raise self.error(f"{key} is not an array of text")
        for value in values:
            if check_text(value):
                raise self.error(f"{key} {check_text(value)}")
        return values

    def array(self, obj: dict, key: str) -> list:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{key} is not an array")
        return value

    def date(self, obj: dict, key: str) -> Literal:
        """A date as BODS gives it (YYYY-MM-DD; a year or year-month kept as such; a date-time as its day)."""
        text = self.text(obj, key) or ""
        literal = _date_literal(text[:10] if _DATE_TIME.fullmatch(text) else text)
        if literal is None:
            raise self.error(f"{key} {text!r} is not a date (YYYY-MM-DD)")
        return literal

    def moment(self, obj: dict, key: str) -> Literal:
        """A date, or a date-time as an xsd:dateTime (a statement date, a retrieval time)."""
        text = self.text(obj, key) or ""
        if _DATE_TIME.fullmatch(text):
            try:
                datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise self.error(f"{key} {text!r} is not a date-time") from None
            return repeated(text, datatype=XSD.dateTime)
        return self.date(obj, key)

    def statement_day(self, statement: dict) -> Literal:
        if statement.get("statementDate") is None:
            raise self.error("closes its record but has no statementDate, the day its claims end")
        return self.date(statement, "statementDate")

    def link(self, obj: dict, key: str) -> URIRef | Literal:
        """A URL as an IRI; one that is not an absolute IRI stays text (it is still the source's word)."""
        return _link(self.text(obj, key) or "")

    def share(self, interest: dict) -> set:
        share = interest.get("share")
        if share is None:
            return set()
        if not isinstance(share, dict):
            raise self.error("share is not an object")
        pairs = set()
        for key, prop in SHARE_PROPERTIES.items():
            value = share.get(key)
            if value is None:
                continue
            try:
                if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                    raise InvalidOperation
                number = Decimal(str(value))
                if not 0 <= number <= 100:
                    raise InvalidOperation
            except InvalidOperation:
                raise self.error(f"share {key} {value!r} is not a percentage from 0 to 100") from None
            pairs.add((prop, share_literal(number)))
        return pairs

    def unspecified(self, obj: dict, key: str, *, required: bool = False) -> tuple[str, str | None] | None:
        """(reason, description) of an unspecified party (BODS's UnspecifiedRecord), or None."""
        value = obj.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.error(f"{key} is not an object")
        reason = self.nested(key).text(value, "reason")
        if not reason:
            raise self.error(f"{key} names no reason (BODS's unspecifiedReason codelist)")
        return reason, self.nested(key).text(value, "description")

    def person_name(self, details: dict) -> str | None:
        """A person's legal name, else the first full name given, else given and family names together."""
        names = [name for name in self.array(details, "names") if isinstance(name, dict)]
        names.sort(key=lambda name: name.get("type") != "legal")  # stable: the legal name first
        for name in names:
            full = self.nested("names").text(name, "fullName")
            if full and full.strip():
                return full
        for name in names:
            parts = [self.nested("names").text(name, part) for part in ("givenName", "patronymicName", "familyName")]
            if any(part and part.strip() for part in parts):
                return " ".join(part for part in parts if part and part.strip())
        return None

    def identifiers(self, details: dict, unread) -> list[tuple[str, str]]:
        """The (scheme, value) pairs kg can normalise; each other one is counted in ``unread``."""
        pairs: list[tuple[str, str]] = []
        for number, identifier in enumerate(self.array(details, "identifiers")):
            values = self.nested(f"identifiers/{number}")
            if not isinstance(identifier, dict):
                raise values.error("is not an object")
            scheme, value = values.text(identifier, "scheme"), values.text(identifier, "id")
            if not scheme or not value:
                what = values.text(identifier, "schemeName") or scheme or "an identifier"
                unread.add(f"{self.where}: {what!r} gives {'no scheme code' if not scheme else 'no id'}")
                continue
            try:
                pair = normalise_identifier(scheme, value)
            except IdentifierError as exc:
                unread.add(f"{self.where}: {scheme} {value!r}: {exc}")
                continue
            if pair not in pairs:
                pairs.append(pair)
        return pairs

    def country(self, details: dict, person: bool) -> str | None:
        """An entity's jurisdiction, a person's country of residence: the code, else the name."""
        if not person:
            place = details.get("jurisdiction")
            at = "jurisdiction"
        else:
            residences = [a for a in self.array(details, "addresses") if isinstance(a, dict) and a.get("type") == "residence"]
            place = residences[0].get("country") if residences else None
            at = "addresses/country"
        if place is None:
            return None
        if not isinstance(place, dict):
            raise self.error(f"{at} is not an object")
        return self.nested(at).text(place, "code") or self.nested(at).text(place, "name")
