"""Agent identifiers: a scheme (an org-id.guide code such as GB-COH, or LEI or WIKIDATA) and a value.

One normalisation for every reader, so that two inputs naming one company by its LEI
name the same identifier, and ``kg.identity`` can make them one agent.
"""

from __future__ import annotations

import re


class IdentifierError(ValueError):
    """An identifier kg cannot accept; the message says why and what it expects."""


#: Identifier schemes: org-id.guide codes (list code, as XI-LEI or GB-COH) and WIKIDATA; with the aliases people type.
LEI, WIKIDATA = "XI-LEI", "WIKIDATA"
SCHEME_ALIASES = {"lei": LEI, "wikidata": WIKIDATA, "wd": WIKIDATA}
IDENTIFIER_FORMS = "scheme:value pairs separated by ';', the scheme an org-id.guide code (XI-LEI, GB-COH, US-EIN...) or wikidata, lei"
_ORG_ID_SCHEME = re.compile(r"[A-Za-z]{2}-[A-Za-z0-9]{2,}")
_LEI = re.compile(r"[A-Z0-9]{18}[0-9]{2}")
_QID = re.compile(r"Q[1-9][0-9]*")


def normalise_identifier(scheme: str, value: str) -> tuple[str, str]:
    """A scheme and value as kg stores them: the org-id.guide code upper case, an LEI or Q-id upper case.

    Raises an IdentifierError for an unknown scheme, a malformed value, or an LEI whose ISO 17442 check
    digits are wrong.
    """
    scheme, value = scheme.strip(), value.strip()
    code = SCHEME_ALIASES.get(scheme.lower()) or (scheme.upper() if _ORG_ID_SCHEME.fullmatch(scheme) or scheme.upper() == WIKIDATA else None)
    if code is None:
        raise IdentifierError(f"unknown identifier scheme {scheme!r}; expected an org-id.guide code (XI-LEI, GB-COH...), lei or wikidata")
    if not value:
        raise IdentifierError(f"the {code} identifier has no value")
    if code == LEI:
        value = value.upper()
        if not _LEI.fullmatch(value):
            raise IdentifierError(f"an LEI is 18 letters or digits and two check digits (ISO 17442), not {value!r}")
        if not lei_check_digits_ok(value):
            raise IdentifierError(f"the check digits of the LEI {value} are wrong (ISO 17442); a character was mistyped")
    elif code == WIKIDATA:
        value = value.upper()
        if not _QID.fullmatch(value):
            raise IdentifierError(f"a Wikidata identifier is a Q-id such as Q7251, not {value!r}")
    return code, value


def lei_check_digits_ok(lei: str) -> bool:
    """ISO 17442 (ISO 7064 MOD 97-10): read as a number, letters as 10 to 35, the LEI leaves 1 divided by 97."""
    return int("".join(str(int(character, 36)) for character in lei)) % 97 == 1


def identifier_key(scheme: str, value: str) -> tuple[str, str]:
    """The (scheme, value) two mentions of one identifier share: normalised where valid, else only
    trimmed and upper-cased (an invalid value still matches itself; `kg validate` reports it)."""
    try:
        return normalise_identifier(scheme, value)
    except IdentifierError:
        scheme = SCHEME_ALIASES.get(scheme.strip().lower(), scheme.strip().upper())
        return scheme, value.strip().upper()
