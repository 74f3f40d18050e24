"""Benchmark: kg's GLEIF reader on a large relationship file, in bounded memory.

Not part of the tests. It writes a FICTIONAL RR-CDF golden-copy file (every LEI
is invented: the prefix 9999, valid ISO 17442 check digits, no real entity;
the file's header says FICTIONAL), then reads it with ``kg.io.ownership.gleif``
in a child process of its own, so that the peak memory is the read's alone, and
prints records per second, triples per second and the child's peak resident
memory (with the same child's memory before reading, for comparison).

The records are groups of one ultimate parent, a few intermediate holdings and
their subsidiaries: each subsidiary has a direct and an ultimate consolidation
record, and one record in ten is a fund relationship, which the reader skips
and counts. Periods, statuses and validation sources vary as in the golden copy.

    python bench/gleif_bench.py [--records 1e6] [--keep FILE]

The triples are counted, not added to a graph: the reader streams, and what a
caller does with 10^7 triples (rdflib in memory, a store on disk) is measured
by bench/conflicts_bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<!-- FICTIONAL benchmark data written by kg's bench/gleif_bench.py: every LEI is invented "
    "(prefix 9999, valid check digits) and names no real legal entity. -->\n"
    '<rr:RelationshipData xmlns:rr="http://www.gleif.org/data/schema/rr/2016">\n'
    "  <rr:Header>\n    <rr:ContentDate>2025-01-01T00:00:00Z</rr:ContentDate>\n"
    "    <rr:FileContent>FICTIONAL_BENCHMARK_DATA</rr:FileContent>\n    <rr:RecordCount>{count}</rr:RecordCount>\n"
    "  </rr:Header>\n  <rr:RelationshipRecords>\n"
)
FOOTER = "  </rr:RelationshipRecords>\n</rr:RelationshipData>\n"
RECORD = (
    "<rr:RelationshipRecord><rr:Relationship>\n"
    "<rr:StartNode><rr:NodeID>{child}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:StartNode>\n"
    "<rr:EndNode><rr:NodeID>{parent}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:EndNode>\n"
    "<rr:RelationshipType>{kind}</rr:RelationshipType>\n"
    "<rr:RelationshipPeriods>{periods}</rr:RelationshipPeriods>\n"
    "<rr:RelationshipStatus>{status}</rr:RelationshipStatus>\n"
    "</rr:Relationship><rr:Registration>\n"
    "<rr:InitialRegistrationDate>2018-0{month}-1{day}T09:00:00.000Z</rr:InitialRegistrationDate>\n"
    "<rr:LastUpdateDate>2024-1{day}-0{month}T12:00:00.000Z</rr:LastUpdateDate>\n"
    "<rr:RegistrationStatus>{registration}</rr:RegistrationStatus>\n"
    "<rr:NextRenewalDate>2025-1{day}-0{month}T12:00:00.000Z</rr:NextRenewalDate>\n"
    "<rr:ManagingLOU>{lou}</rr:ManagingLOU>\n"
    "<rr:ValidationSources>{validation}</rr:ValidationSources>\n"
    "<rr:ValidationDocuments>ACCOUNTS_FILING</rr:ValidationDocuments>\n"
    "</rr:Registration></rr:RelationshipRecord>\n"
)
RELATIONSHIP_PERIOD = "<rr:RelationshipPeriod><rr:StartDate>20{year}-0{month}-0{day}T00:00:00.000Z</rr:StartDate>{end}<rr:PeriodType>RELATIONSHIP_PERIOD</rr:PeriodType></rr:RelationshipPeriod>"
ACCOUNTING_PERIOD = "<rr:RelationshipPeriod><rr:StartDate>2023-01-01T00:00:00.000Z</rr:StartDate><rr:EndDate>2023-12-31T00:00:00.000Z</rr:EndDate><rr:PeriodType>ACCOUNTING_PERIOD</rr:PeriodType></rr:RelationshipPeriod>"
VALIDATION = ("FULLY_CORROBORATED", "FULLY_CORROBORATED", "ENTITY_SUPPLIED_ONLY", "PARTIALLY_CORROBORATED")
SUBSIDIARIES = 8  # per intermediate holding
HOLDINGS = 3  # per group


def fictional_lei(serial: int) -> str:
    """The invented LEI number ``serial``: 9999, 14 base-36 characters, two ISO 17442 check digits."""
    digits, body = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", ""
    for _ in range(14):
        serial, rest = divmod(serial, 36)
        body = digits[rest] + body
    base = "9999" + body
    number = int("".join(str(int(character, 36)) for character in base + "00"))
    return f"{base}{98 - number % 97:02d}"


def records(count: int):
    """``count`` relationship records (as XML text), groups of holdings and subsidiaries."""
    lou = fictional_lei(0)
    serial, written = 1, 0
    while True:
        top = fictional_lei(serial)
        serial += 1
        for _ in range(HOLDINGS):
            holding = fictional_lei(serial)
            serial += 1
            links = [(holding, top, "IS_DIRECTLY_CONSOLIDATED_BY")]
            for _ in range(SUBSIDIARIES):
                child = fictional_lei(serial)
                serial += 1
                links += [(child, holding, "IS_DIRECTLY_CONSOLIDATED_BY"), (child, top, "IS_ULTIMATELY_CONSOLIDATED_BY")]
                if serial % 5 == 0:
                    links.append((child, fictional_lei(serial + 10_000_000), "IS_FUND-MANAGED_BY"))
            for child, parent, kind in links:
                n = written
                ended = n % 13 == 0
                period = RELATIONSHIP_PERIOD.format(
                    year=10 + n % 14, month=1 + n % 9, day=1 + n % 9,
                    end="<rr:EndDate>2024-06-30T00:00:00.000Z</rr:EndDate>" if ended else "",
                )
                yield RECORD.format(
                    child=child, parent=parent, kind=kind, lou=lou,
                    periods=(ACCOUNTING_PERIOD if n % 3 == 0 else "") + period,
                    status="INACTIVE" if ended or n % 97 == 0 else "ACTIVE",
                    registration="LAPSED" if n % 11 == 0 else "PUBLISHED",
                    validation=VALIDATION[n % len(VALIDATION)], month=1 + n % 9, day=n % 3,
                )
                written += 1
                if written == count:
                    return


def write_file(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER.format(count=count))
        batch = []
        for record in records(count):
            batch.append(record)
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
        out.write(FOOTER)


def child(path: str) -> None:
    """Read ``path`` with kg's GLEIF reader; print what it took, as JSON (runs in its own process)."""
    import warnings

    from kg.io.ownership.gleif import READER
    from kg.vocab import KG

    size = os.path.getsize(path)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    done, shown = 0, [0]

    def progress(count: int) -> None:
        nonlocal done
        done += count
        if done * 10 // size > shown[0]:
            shown[0] = done * 10 // size
            print(f"  read {shown[0] * 10}%", file=sys.stderr, flush=True)

    triples = claims = 0
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _, _, value in READER.read(path, progress=progress):
            triples += 1
            claims += value == KG.Control
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "seconds": seconds, "triples": triples, "claims": claims, "bytes": size,
        "rss_before_kb": before, "rss_peak_kb": peak, "warnings": [str(w.message) for w in caught],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=float, default=1e6, help="relationship records to write and read (default 1e6)")
    parser.add_argument("--keep", type=Path, help="write the fictional file here and keep it (default: a temporary file)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    count = int(args.records)
    with tempfile.TemporaryDirectory() as temp:
        path = args.keep or Path(temp) / "rr-fictional.xml"
        start = time.perf_counter()
        write_file(path, count)
        print(f"wrote {count:,} fictional relationship records ({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - start:.0f} s: {path}")
        run = subprocess.run([sys.executable, __file__, "--child", str(path)], stdout=subprocess.PIPE, text=True, check=True)
        result = json.loads(run.stdout)
    seconds = result["seconds"]
    print(f"read in {seconds:.1f} s: {count / seconds:,.0f} records/s, {result['triples'] / seconds:,.0f} triples/s, "
          f"{result['bytes'] / seconds / 1e6:.1f} MB/s")
    print(f"{result['claims']:,} control claims, {result['triples']:,} triples")
    print(f"peak memory of the reading process: {result['rss_peak_kb'] / 1024:,.0f} MB "
          f"({result['rss_before_kb'] / 1024:,.0f} MB before reading, with kg imported)")
    for message in result["warnings"]:
        print("warning:", message)


if __name__ == "__main__":
    main()
