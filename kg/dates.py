"""Dates as the data writes them: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, with their precision.

A partial date covers a span: as the start of a claim it means its first day, as
the end its last day, so "2024" to "2024" is the whole year. Everything in kg
that reads a date (the rules, the spreadsheet reader, the as-of option) reads it
through this module, so they cannot disagree.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from rdflib import XSD, Literal

from kg.errors import UsageError, arg

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATATYPES = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}


def date_bound(text: str, *, end: bool) -> date | None:
    """First (start) or last (end) day of a date, year-month or year; None if not a date.

    A date with a time (``2024-12-31T23:59:59``, how the reasoner profile of
    ``kg export`` writes dates) is read as its day.
    """
    if len(text) > 10 and text[10] == "T":
        text = text[:10]
    match = _DATE.fullmatch(text)
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        return date(year, month, day)
    except ValueError:
        return None


def date_literal(text: str) -> Literal | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as xsd:gYear, xsd:gYearMonth or xsd:date; None if not a date."""
    if len(text) not in _DATATYPES or date_bound(text, end=False) is None or not text.isascii():
        return None  # a date with a time (2024-05-01T10:00) is none of the three
    return Literal(text, datatype=_DATATYPES[len(text)])


def parse_as_of(value: str | date | None, name: str = "as_of") -> date:
    """The as-of date from ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (today when None).

    A partial date means its last day, so an as-of of ``2024`` sees the whole year. ``name`` is the
    argument errors name (``kg diff`` reads its ``--from`` and ``--to`` this way too).
    """
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    bound = date_bound(str(value).strip(), end=True)
    if bound is None:
        raise UsageError(f"invalid {arg(name)} date {value!r}; expected YYYY, YYYY-MM or YYYY-MM-DD")
    return bound
