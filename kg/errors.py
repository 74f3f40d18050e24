"""Exceptions the library raises; the CLI turns each into one ``Error:`` line."""

from __future__ import annotations


class KgError(Exception):
    """Base of every error kg reports to a user (never a dependency's type)."""


class InputError(KgError):
    """An input file or folder cannot be read or parsed."""


class QueryError(KgError):
    """A SPARQL query or its parameters are malformed or refused."""


class UsageError(KgError):
    """An option value makes no sense (unknown id, rule, status or date)."""
