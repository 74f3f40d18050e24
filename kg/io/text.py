"""Text from the data made safe for where kg shows it: a terminal, Markdown, a spreadsheet cell.

Names, notes and titles come from files anyone can write. Shown as they are, a
name could recolour or clear the terminal, forge a line of output, open a
Markdown heading, smuggle in HTML or a ``javascript:`` link, or run as a formula
when a CSV file is opened in a spreadsheet. Each function here keeps a value
readable while taking that power away; the W3C results formats of ``kg query``
(csv, tsv, json) are exact and do not pass through here.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the line and paragraph separators; the bidirectional
# marks and overrides that can make a terminal show text in another order than it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def terminal_text(text: str) -> str:
    """``text`` on one line with every control character written as an escape (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(_escape, str(text))


# Markdown: what CommonMark and GitHub read as markup inline, and HTML's own characters.
_MARKDOWN_INLINE = re.compile(r"([\\`*_{}\[\]()#|~!])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What opens a list or a heading underline at the start of a line or of a list item.
_BULLET_START = re.compile(r"^(\s*)([-+=])")
_NUMBER_START = re.compile(r"^(\s*\d+)\.")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: no heading, list, link, image, HTML or code span comes out of it."""
    text = "".join(_HTML.get(char, char) for char in terminal_text(text))
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _BULLET_START.sub(r"\1\\\2", text, count=1)
    return _NUMBER_START.sub(r"\1\\.", text, count=1)


#: Characters XML 1.0 cannot hold, even as a character reference.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with the characters XML cannot hold written as escapes (``\\x1b``), for GraphML and GEXF labels."""
    return XML_INVALID.sub(_escape, str(text))


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula: a leading ``'`` when it starts like one.

    A cell whose leading quotes are followed by a formula character gets one more
    quote too, so ``plain_cell`` gives back exactly what was written.
    """
    text = str(text)
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def plain_cell(text: str) -> str:
    """The value of a cell ``spreadsheet_cell`` wrote: the ``'`` it added taken off again."""
    if text.startswith("'") and spreadsheet_cell(text[1:]) == text:
        return text[1:]
    return text
