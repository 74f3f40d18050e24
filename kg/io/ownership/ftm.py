"""FollowTheMoney (FtM): the entity model of Aleph, OpenAleph and OpenSanctions, as JSON lines.

Each line is one entity, ``{"id": ..., "schema": ..., "properties": {...}}``. kg reads
legal entities as agents and Ownership, Control, Directorship, Employment and Membership
as claims (``ftm_read``), and writes its agents, ownerships, controls and affiliations
back as such entities (``ftm_write``), both through the ``followthemoney`` library, which
is imported only when a file needs it (the ``ftm`` extra: ``pip install 'kg-compute[ftm]'``).
"""

from __future__ import annotations

import json
import re

from kg.io.ownership import OwnershipReader, OwnershipWriter
from kg.io.ownership.ftm_read import read
from kg.io.ownership.ftm_write import write

_BOM = b"\xef\xbb\xbf"
_KEY = {key: re.compile(rb'"' + key + rb'"\s*:') for key in (b"id", b"schema", b"properties")}


def sniff(head: bytes) -> bool:
    """Whether a file's first bytes are FtM entities: its first line an object with an id, a schema and properties.

    A first line that is cut off (longer than the head) or broken is judged by its keys,
    so that the reader, not an RDF parser, says what is wrong with it.
    """
    text = head.removeprefix(_BOM).lstrip()
    if not text.startswith(b"{"):
        return False
    line = text.split(b"\n", 1)[0]
    try:
        data = json.loads(line)
    except ValueError:
        return all(pattern.search(line) for pattern in _KEY.values())
    return isinstance(data, dict) and isinstance(data.get("schema"), str) and "id" in data and "properties" in data


READER = OwnershipReader(name="ftm", label="FollowTheMoney", suffixes=(".ftm", ".ijson"), sniff=sniff, read=read)
WRITER = OwnershipWriter(name="ftm", suffixes=(".ftm.json", ".ftm", ".ijson"), write=write)
