"""Benchmark: the ownership data readers (``kg.io.ownership``), statements per second and peak memory.

Run with ``make bench`` or by hand (not part of the tests). For each format it writes a
fictional file of the size asked for, then reads it in a fresh process (so that peak memory
is the reader's own), counting the triples the reader yields without keeping them: what is
measured is the reader, not the graph a caller builds from it.

- ``bods``: BODS 0.4 as JSON Lines and as a JSON array; entities, persons and relationships
  about fictional companies and people, 2% of records stated again later (a reader that lets
  the latest statement win must hold those back), 1% closed, chains of component records.

    python bench/readers_bench.py [--formats bods] [--statements 1e6] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def peak_memory_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- BODS ------------------------------------------------------------------------------------


def bods_statements(count: int, seed: int = 17):
    """``count`` fictional BODS 0.4 statements: per block of 10, four entities, two persons, four relationships."""
    rng = random.Random(seed)
    publication = {"publicationDate": "2025-01-31", "bodsVersion": "0.4", "publisher": {"name": "Fictional Register"},
                   "license": "https://creativecommons.org/publicdomain/zero/1.0/"}
    source = {"type": ["officialRegister"], "description": "Fictional company register", "url": "https://register.example.org/"}
    later: list[dict] = []
    number = 0

    def statement(record_id, record_type, details, status="new"):
        nonlocal number
        number += 1
        return {"statementId": f"{number:012d}-fic0-4000-8000-bench0000000", "declarationSubject": record_id, "statementDate": "2025-01-15",
                "publicationDetails": publication, "source": source, "recordId": record_id, "recordStatus": status,
                "recordType": record_type, "recordDetails": details}

    block = 0
    while number < count:
        entities = [f"e{block}-{n}" for n in range(4)]
        persons = [f"p{block}-{n}" for n in range(2)]
        for n, record in enumerate(entities):
            yield statement(record, "entity", {"isComponent": n == 3, "entityType": {"type": "registeredEntity"},
                                               "name": f"Fictional Company {block}-{n} Ltd", "jurisdiction": {"name": "GB", "code": "GB"},
                                               "identifiers": [{"scheme": "GB-COH", "id": f"F{block:07d}{n}"}], "foundingDate": "2011-02-03"})
        for record in persons:
            yield statement(record, "person", {"isComponent": False, "personType": "knownPerson", "names": [{"type": "legal", "fullName": f"Fictional Person {record}"}]})
        holdings = [
            (f"r{block}-0", entities[0], entities[1], "shareholding", {"exact": rng.randint(1, 100)}),
            (f"r{block}-1", entities[1], persons[0], "votingRights", {"minimum": 25, "maximum": 50}),
            (f"r{block}-2", entities[2], persons[1], "appointmentOfBoard", None),
        ]
        for record, subject, party, kind, share in holdings:
            interest = {"type": kind, "directOrIndirect": "direct", "startDate": "2016-04-06", **({"share": share} if share else {})}
            details = {"isComponent": False, "subject": subject, "interestedParty": party, "interests": [interest]}
            yield statement(record, "relationship", details)
            if rng.random() < 0.02:  # stated again later in the file: an update
                later.append(statement(record, "relationship", {**details, "interests": [{**interest, "details": "confirmed"}]}, "updated"))
            elif rng.random() < 0.01:
                later.append(statement(record, "relationship", {**details, "interests": [{**interest, "endDate": "2024-12-31"}]}, "closed"))
        # an indirect holding through the component entity
        yield statement(f"r{block}-3", "relationship", {"isComponent": False, "subject": entities[0], "interestedParty": persons[0],
                                                          "interests": [{"type": "shareholding", "directOrIndirect": "indirect", "share": {"exact": 30}}],
                                                          "componentRecords": [entities[3]]})
        block += 1
        if len(later) > 5000:  # updates come some way after what they update
            yield from later
            later = []
    yield from later


def write_bods(path: Path, count: int, form: str) -> int:
    written = 0
    with open(path, "w", encoding="utf-8") as handle:
        if form == "array":
            handle.write("[\n")
        for statement in bods_statements(count):
            if written == count:
                break
            if form == "array" and written:
                handle.write(",\n")
            handle.write(json.dumps(statement))
            if form == "lines":
                handle.write("\n")
            written += 1
        if form == "array":
            handle.write("\n]\n")
    return written


def read_file(reader_name: str, path: Path) -> dict:
    """In the child: read ``path`` with the reader, counting triples; the time and the peak memory."""
    from kg.io.ownership import reader_named

    reader = reader_named(reader_name)
    started = time.perf_counter()
    triples = sum(1 for _ in reader.read(path))
    return {"seconds": time.perf_counter() - started, "triples": triples, "peak_mib": peak_memory_mib()}


FORMATS = {"bods": [("JSON Lines", "lines", ".jsonl"), ("JSON array", "array", ".json")]}
WRITERS = {"bods": write_bods}


def child(reader_name: str, path: Path) -> dict:
    command = [sys.executable, __file__, "--child", reader_name, str(path)]
    output = subprocess.run(command, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        return {"error": output.stderr.strip().splitlines()[-1] if output.stderr.strip() else f"exit {output.returncode}"}
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--statements", default="1e6", help="statements per file")
    parser.add_argument("--workdir", help="folder for the files (default: a temporary folder; 10^6 BODS statements take ~0.8 GB)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(read_file(args.child[0], Path(args.child[1]))))
        return
    count = int(float(args.statements))
    rows = ["| reader | form | statements | file (MB) | triples | read (s) | statements/s | peak memory (MiB) |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for name in args.formats.split(","):
            for label, form, suffix in FORMATS[name]:
                path = Path(workdir) / f"{name}-{form}{suffix}"
                written = WRITERS[name](path, count, form)
                result = child(name, path)
                size = path.stat().st_size / 1e6
                path.unlink()
                if "error" in result:
                    rows.append(f"| {name} | {label} | {written:,} | {size:.0f} | error: {result['error']} | | | |")
                    continue
                rate = written / result["seconds"]
                rows.append(f"| {name} | {label} | {written:,} | {size:.0f} | {result['triples']:,} | {result['seconds']:.1f} | {rate:,.0f} | {result['peak_mib']:.0f} |")
                print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
