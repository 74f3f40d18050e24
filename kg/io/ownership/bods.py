"""BODS 0.4, the Beneficial Ownership Data Standard (Open Ownership): kg reads and writes it.

A BODS file is recognised by its content: a JSON array of statements or JSON Lines
whose first statement has a ``statementId`` and a record (``recordType``,
``recordDetails``). A BODS 0.3 file (``statementID``, ``statementType``) is
recognised too, so that reading it says which version it is rather than taking it
for JSON-LD. The mapping to kg's claims is in ``bods_terms`` (the table both ways),
``bods_read`` and ``bods_write``; the README's BODS section lists what each way loses.
"""

from __future__ import annotations

from kg.io.ownership import OwnershipReader, OwnershipWriter
from kg.io.ownership.bods_json import container, first_statement
from kg.io.ownership.bods_read import read_bods
from kg.io.ownership.bods_write import write_bods


def sniff(head: bytes) -> bool:
    """Whether a file's first bytes are BODS: 0.4 statements, or 0.3 ones (so that the reader can refuse them)."""
    if container(head) is None:
        return False
    first = first_statement(head)
    if isinstance(first, dict):
        return _is_bods(first.keys())
    if first is None:  # a first statement longer than the bytes given: its keys still show
        return (b'"statementId"' in head and (b'"recordType"' in head or b'"recordDetails"' in head)) or (
            b'"statementID"' in head and b'"statementType"' in head
        )
    return False


def _is_bods(keys) -> bool:
    keys = set(keys)
    return ("statementId" in keys and bool(keys & {"recordType", "recordDetails", "recordId"})) or (
        "statementID" in keys and "statementType" in keys
    )


READER = OwnershipReader(
    name="bods",
    label="BODS 0.4",
    suffixes=(),  # .json and .jsonl are other formats' too: BODS is told by content
    sniff=sniff,
    read=read_bods,
)

WRITER = OwnershipWriter(name="bods", suffixes=(".json",), write=write_bods)
