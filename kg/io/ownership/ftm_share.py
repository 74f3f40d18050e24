"""FtM's ``percentage``, a free string ("51%", "25–50%", "more than 25% but not more than 50%"), as kg's share.

Each part is read by the spreadsheet's ``parse_share``, after the words registers use for
bounds are turned into its symbols; the writer gives back text this reads to the same share.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kg.io.sheets.cells import CellError, parse_share

_NUMBER = r"(\d+(?:\.\d+)?\s*%?)"
_BETWEEN = re.compile(rf"between\s+{_NUMBER}\s+and\s+{_NUMBER}")
_TO = re.compile(rf"{_NUMBER}\s+to\s+{_NUMBER}")
#: Words for bounds, longest first ("not more than" before "more than").
_WORDS = (
    (re.compile(r"\b(not more than|no more than|at most|up to)\s*"), "<="),
    (re.compile(r"\b(more than|over|above|greater than)\s*"), ">"),
    (re.compile(r"\b(at least|not less than|no less than)\s*"), ">="),
    (re.compile(r"\b(less than|under|below)\s*"), "<"),
)
_PARTS = re.compile(r",|;|\bbut\b|\band\b")
_LOWER = ("minimum", "exclusiveMinimum")
_UPPER = ("maximum", "exclusiveMaximum")
_SYMBOLS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


def parse_percentage(text: str) -> dict[str, Decimal]:
    """BODS's share keys to percentages; a CellError saying why when the text is no share kg reads."""
    words = " ".join(text.strip().lower().split())
    words = _TO.sub(r"\1-\2", _BETWEEN.sub(r"\1-\2", words))
    for pattern, symbol in _WORDS:
        words = pattern.sub(symbol, words)
    share: dict[str, Decimal] = {}
    for part in (part.strip() for part in _PARTS.split(words)):
        if not part:
            continue
        parsed = parse_share(part)
        if set(parsed) & set(share) or (share and "exact" in {*parsed, *share}):
            raise CellError("more than one share, or an exact share with bounds")
        share.update(parsed)
    if not share:
        raise CellError("no share")
    lows = [(share[key], key) for key in _LOWER if key in share]
    highs = [(share[key], key) for key in _UPPER if key in share]
    if len(lows) > 1 or len(highs) > 1:
        raise CellError("two lower or two upper bounds")
    if lows and highs:
        (low, low_key), (high, high_key) = lows[0], highs[0]
        if low > high or (low == high and (low_key, high_key) != ("minimum", "maximum")):
            raise CellError(f"the lower bound {low} is not below the upper bound {high}")
    return share


def percentage_text(share: dict[str, Decimal]) -> str:
    """The percentage FtM is given for a share: "51%", "25-50%", ">25%", ">=10%, <20%" (``parse_percentage`` reads it back)."""
    text = {key: _plain(value) + "%" for key, value in share.items()}
    if set(text) == {"exact"}:
        return text["exact"]
    if set(text) == {"minimum", "maximum"}:
        return f"{text['minimum'][:-1]}-{text['maximum']}"
    return ", ".join(_SYMBOLS[key] + text[key] for key in (*_LOWER, *_UPPER) if key in text)


def _plain(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text
