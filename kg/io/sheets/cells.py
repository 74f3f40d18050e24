"""Cells that say more than one word: shares ("25-50%", ">25"), identifiers ("lei:…; wikidata:Q…"),
deal stages and the kind of an affiliation. Each parser returns what the model holds, or raises a
``CellError`` whose message says what is wrong and which forms are accepted; each writer gives
back the cell that parses to the same thing, so a sheet survives a round trip.
"""

from __future__ import annotations

import re
import urllib.parse
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from rdflib import URIRef

from kg.identifiers import IDENTIFIER_FORMS, IdentifierError, normalise_identifier
from kg.vocab import AMOUNT_QUALIFIERS, DATA, KG

SHARE_FORMS = "a number (51, 12.5), a range (25-50) or a bound (>25, >=25, <50, <=50), each with an optional %"
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)\s*%?"
_EXACT = re.compile(r"(-?(?:\d+(?:\.\d+)?|\.\d+))\s*%?")  # signed, so "-1" is out of range rather than unreadable
_RANGE = re.compile(rf"{_NUMBER}\s*[-–]\s*{_NUMBER}")
_BOUND = re.compile(rf"(>=|>|<=|<|≥|≤)\s*{_NUMBER}")
_BOUND_KEYS = {">": "exclusiveMinimum", ">=": "minimum", "≥": "minimum", "<": "exclusiveMaximum", "<=": "maximum", "≤": "maximum"}

#: ``works_for`` natures that make an officer: the word itself, or one of these titles (any case).
OFFICER_TITLES = frozenset({"officer", "ceo", "cfo", "coo", "cto", "president", "chair", "chairman", "chairwoman", "chairperson"})


class CellError(ValueError):
    """A cell kg cannot read; the message says why and what it accepts."""


def _decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not 0 <= value <= 100:
        raise CellError(f"a share is a percentage from 0 to 100; expected {SHARE_FORMS}")
    return value


def parse_share(text: str) -> dict[str, Decimal]:
    """``51`` → exact 51; ``25-50%`` → minimum 25, maximum 50; ``>25`` → exclusive minimum 25 (BODS's share)."""
    text = text.strip()
    try:
        if match := _EXACT.fullmatch(text):
            return {"exact": _decimal(match.group(1))}
        if match := _RANGE.fullmatch(text):
            low, high = _decimal(match.group(1)), _decimal(match.group(2))
            if low > high:
                raise CellError(f"the range's minimum {low} is above its maximum {high}")
            return {"minimum": low, "maximum": high}
        if match := _BOUND.fullmatch(text):
            return {_BOUND_KEYS[match.group(1)]: _decimal(match.group(2))}
    except InvalidOperation:
        pass
    raise CellError(f"not a share; expected {SHARE_FORMS}")


def share_cell(share: dict[str, Decimal]) -> str | None:
    """The cell for a share (the inverse of ``parse_share``); None when the sheet cannot say it."""
    text = {key: _plain(value) for key, value in share.items()}
    if set(text) == {"exact"}:
        return text["exact"]
    if set(text) == {"minimum", "maximum"}:
        return f"{text['minimum']}-{text['maximum']}"
    if len(text) == 1:
        (key, value), = text.items()
        return {"exclusiveMinimum": ">", "minimum": ">=", "exclusiveMaximum": "<", "maximum": "<="}[key] + value
    return None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def parse_identifiers(text: str) -> list[tuple[str, str]]:
    """``lei:5493001KJTIIGC8Y1R12; wikidata:Q7251`` as (scheme, value) pairs, normalised, in order."""
    pairs: list[tuple[str, str]] = []
    for part in text.split(";"):
        if not part.strip():
            continue
        scheme, colon, value = part.partition(":")
        if not colon:
            raise CellError(f"an identifier is scheme:value; expected {IDENTIFIER_FORMS}")
        try:
            pair = normalise_identifier(scheme, value)
        except IdentifierError as exc:
            raise CellError(str(exc)) from None
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def identifiers_cell(pairs) -> str:
    """The cell for (scheme, value) pairs: sorted, ``;``-separated."""
    return "; ".join(f"{scheme}:{value}" for scheme, value in sorted(pairs))


def identifier_iri(scheme: str, value: str) -> URIRef:
    """One IRI per identifier, the same in every input, so agents that share it share its node."""
    return DATA[f"identifier/{urllib.parse.quote(scheme, safe='')}/{urllib.parse.quote(value, safe='')}"]


def affiliation_kind(relation: str, nature: str) -> URIRef:
    """The kind of an affiliation a row states: a board seat for ``board_member_of``; for ``works_for``,
    officer when the whole nature cell is "officer" or an officer's title, advisor for "advisor", else employee."""
    if relation == "board_member_of":
        return KG.BoardSeat
    words = nature.strip().lower()
    if words in OFFICER_TITLES:
        return KG.Officer
    if words == "advisor":
        return KG.Advisor
    return KG.Employee


# --- money, capacity, stakes and half-years as analysts write them ----------------------------

_QUALIFIER_WORDS = {
    "up to": "upTo", "about": "about", "approximately": "about", "approx.": "about", "approx": "about",
    "around": "about", "~": "about", "c.": "about", "at least": "atLeast",
}
#: Currency symbols read as ISO 4217 codes ($ is the US dollar; write CAD, AUD ... for the others).
CURRENCY_SYMBOLS = {"us$": "USD", "$": "USD", "€": "EUR", "£": "GBP"}
_MAGNITUDES = {
    "k": 3, "thousand": 3, "m": 6, "mn": 6, "mm": 6, "mil": 6, "million": 6, "b": 9, "bn": 9, "billion": 9,
    "t": 12, "tn": 12, "trillion": 12,
}
AMOUNT_FORMS = (
    "a number (2000000, 2,000,000, 1.5) with an optional currency symbol ($ € £) or ISO code (USD 2,000,000, "
    "15M EUR), magnitude (k, M/mn/million, B/bn/billion, T/tn/trillion) and qualifier (up to, about/~, at least): "
    "$1B, up to $5B, €15M, 1.5bn, 3.2 trillion"
)
_QUALIFIER_RE = "|".join(re.escape(w) for w in sorted(_QUALIFIER_WORDS, key=len, reverse=True))
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_MAGNITUDE_RE = "|".join(sorted(_MAGNITUDES, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?:(?P<qualifier>{_QUALIFIER_RE})\s*)?"
    rf"(?:(?P<symbol>{_SYMBOL_RE})\s*|(?P<code>[A-Za-z]{{3}})\s+)?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    rf"(?:\s*(?P<magnitude>{_MAGNITUDE_RE})\b)?"
    r"(?:\s*(?P<suffix>[A-Za-z]{3}))?",
    re.IGNORECASE,
)


class Amount(NamedTuple):
    value: Decimal
    currency: str | None  # an ISO 4217 code, when the cell names one
    qualifier: str | None  # upTo, about or atLeast


def parse_amount(text: str) -> Amount:
    """``$1B`` → 1000000000 USD; ``up to €15M`` → 15000000 EUR, upTo; ``1.5bn`` → 1500000000; ``USD 2,000,000``."""
    match = _AMOUNT.fullmatch(text.strip())
    if not match or (match["code"] and match["symbol"]) or (match["suffix"] and (match["symbol"] or match["code"])):
        raise CellError(f"not an amount; expected {AMOUNT_FORMS}")
    qualifier = _QUALIFIER_WORDS[match["qualifier"].lower()] if match["qualifier"] else None
    value = Decimal(match["number"].replace(",", ""))
    if match["magnitude"]:
        value = value.scaleb(_MAGNITUDES[match["magnitude"].lower()])
    currency = None
    if match["symbol"]:
        currency = CURRENCY_SYMBOLS[match["symbol"].lower()]
    elif match["code"] or match["suffix"]:
        currency = (match["code"] or match["suffix"]).upper()
    return Amount(value, currency, qualifier)


def amount_cell(value: str, qualifier: str | None) -> str:
    """The amount cell kg writes: the plain number, after its qualifier's words (``up to 5000000000``)."""
    return f"{AMOUNT_QUALIFIERS[qualifier]} {value}" if qualifier in AMOUNT_QUALIFIERS else value


CAPACITY_FORMS = "a number of megawatts (500), or a number with MW or GW (500 MW, 1 GW, 1.5GW)"
_CAPACITY = re.compile(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(mw|gw)?", re.IGNORECASE)


def parse_capacity(text: str) -> Decimal:
    """Megawatts: ``500`` and ``500 MW`` → 500; ``1 GW`` → 1000."""
    match = _CAPACITY.fullmatch(text.strip())
    if not match:
        raise CellError(f"not a capacity; expected {CAPACITY_FORMS}")
    value = Decimal(match[1].replace(",", ""))
    return value.scaleb(3) if (match[2] or "").lower() == "gw" else value


#: A stake written approximately: ``~27%``, ``about 27%`` (the share is 27; the cell as written goes in the note).
_ABOUT = re.compile(r"(?:~|about|approximately|approx\.?|around|c\.)\s*(?=\d|\.\d)", re.IGNORECASE)


def strip_about(text: str) -> tuple[str, bool]:
    """The stake cell without a leading "about" word or ``~``, and whether it had one."""
    stripped = _ABOUT.sub("", text.strip(), count=1)
    return stripped, stripped != text.strip()


PERIOD_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD, a half-year (2026-H2, H2 2026) or a quarter (2026-Q3, Q3 2026)"
_PERIOD = re.compile(r"(?:(?P<y1>\d{4})\s*[-\s]\s*(?P<p1>[HQ])(?P<n1>\d)|(?P<p2>[HQ])(?P<n2>\d)\s*[-\s]?\s*(?P<y2>\d{4}))", re.IGNORECASE)


def parse_period(text: str, *, end: bool) -> str | None:
    """A half-year or quarter as the year-month kg stores: its first month as a start, its last as an end
    (so the claim holds from the period's first day, or until its last day); None when not a period."""
    match = _PERIOD.fullmatch(text.strip())
    if not match:
        return None
    year = int(match["y1"] or match["y2"])
    kind, number = (match["p1"] or match["p2"]).upper(), int(match["n1"] or match["n2"])
    months = 6 if kind == "H" else 3
    if not 1 <= number <= 12 // months:
        raise CellError(f"there is no {kind}{number}; expected {PERIOD_FORMS}")
    month = (number - 1) * months + (months if end else 1)
    return f"{year:04d}-{month:02d}"
