"""Cells that say more than one word: shares ("25-50%", ">25"), identifiers ("lei:…; wikidata:Q…"),
deal stages and the kind of an affiliation. Each parser returns what the model holds, or raises a
``CellError`` whose message says what is wrong and which forms are accepted; each writer gives
back the cell that parses to the same thing, so a sheet survives a round trip.
"""

from __future__ import annotations

import re
import urllib.parse
from decimal import Decimal, InvalidOperation

from rdflib import URIRef

from kg.identifiers import IDENTIFIER_FORMS, IdentifierError, normalise_identifier
from kg.vocab import DATA, KG

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
