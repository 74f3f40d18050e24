"""Exceptions the library raises; the CLI turns each into one ``Error:`` line."""

from __future__ import annotations

from dataclasses import dataclass


class KgError(Exception):
    """Base of every error kg reports to a user (never a dependency's type)."""


class InputError(KgError):
    """An input file or folder cannot be read or parsed."""


class QueryError(KgError):
    """A SPARQL query or its parameters are malformed or refused."""


class UsageError(KgError):
    """An option value makes no sense (unknown id, rule, status or date)."""


class KgWarning(UserWarning):
    """Something kg did on the user's behalf that they should hear about (an ignored column)."""


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
