"""Exceptions the library raises; the CLI turns each into one ``Error:`` line.

Library messages speak of the library's own keyword arguments, never of
command-line flags: a message names an argument with ``arg("as_of")``, which
``str()`` shows as ``as_of`` and the CLI as its flag, ``--as-of``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_ARG = re.compile("\x00([A-Za-z_][A-Za-z0-9_]*)\x00")


def arg(name: str) -> str:
    """A keyword argument's name inside an error message, for each reader to see in their own terms."""
    return f"\x00{name}\x00"


def render_arguments(text: str, name_of: Callable[[str], str] = str) -> str:
    """``text`` with each ``arg()`` named as its reader knows it (a keyword, or a CLI flag)."""
    return _ARG.sub(lambda match: name_of(match.group(1)), text)


class KgError(Exception):
    """Base of every error kg reports to a user (never a dependency's type)."""

    def render(self, name_of: Callable[[str], str] = str) -> str:
        """The message with each argument named as its reader knows it (a keyword, or a CLI flag)."""
        return render_arguments(super().__str__(), name_of)

    @property
    def arguments(self) -> list[str]:
        """The keyword arguments the message names."""
        return _ARG.findall(super().__str__())

    def __str__(self) -> str:
        return self.render()


class InputError(KgError):
    """An input file or folder cannot be read or parsed, or a backend cannot be reached."""


class EndpointError(InputError):
    """A SPARQL endpoint failed; ``status`` is its HTTP status code (None: no HTTP answer)."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class GraphLockedError(EndpointError):
    """Another ``kg push`` holds the lock on a graph at the endpoint (or one was killed holding it)."""

    def __init__(self, message: str, *, url: str, graph: str | None) -> None:
        super().__init__(message, url=url)
        self.graph = graph


class QueryError(KgError):
    """A SPARQL query or its parameters are malformed or refused."""


class UsageError(KgError):
    """An argument value makes no sense (unknown id, rule, status or date)."""


class AssumptionError(UsageError):
    """Assumed rows (hypothetical claims) kg cannot read; ``problems`` holds one line per bad row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class RuleError(InputError):
    """A rule file's header or query is malformed; ``file`` and ``line`` locate it."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.line = line


class KgWarning(UserWarning):
    """Something kg did on the user's behalf that they should hear about (an ignored column).

    Like errors, warnings name keyword arguments with ``arg()``; the CLI shows them as flags.
    """

    def render(self, name_of: Callable[[str], str] = str) -> str:
        return render_arguments(super().__str__(), name_of)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class Problem:
    """One bad cell of a sheet, located as editors and spreadsheets count: line and column from 1."""

    file: str
    line: int
    column: int
    message: str
    value: str

    def __str__(self) -> str:
        # One line per problem, whatever the cell holds: line breaks are shown escaped.
        value = self.value.replace("\r", "\\r").replace("\n", "\\n")
        if len(value) > 80:
            value = value[:77] + "..."
        return f"{self.file}:{self.line}:{self.column}: {self.message} ({value})"


class IngestError(InputError):
    """A sheet has bad rows; ``problems`` lists every one, so the user can fix them in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
