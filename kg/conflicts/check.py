"""Checking a user's rule pack before it runs: every file's header, and one run of each rule on both engines.

Loading a pack stops at its first error, which suits a command about to run
the rules. Someone writing rules wants every broken file at once, and to know
that a rule Oxigraph's parser accepts also runs on rdflib (and on Oxigraph
itself) before it meets real data: each sound rule therefore runs once, on an
empty graph, through ``find_conflicts`` on both engines, exactly as it will
run later.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from rdflib import Graph

from kg.backends.oxigraph import OxigraphBackend
from kg.conflicts.engine import find_conflicts
from kg.conflicts.pack import Rule, load_rules, read_rule
from kg.errors import InputError, RuleError


@dataclass(frozen=True)
class RuleCheck:
    """One rule file's verdict: its rule when the file is sound, else the first error found in it.

    ``path`` is the folder itself when the folder is missing or holds no rule file.
    """

    path: Path
    rule: Rule | None = None
    error: InputError | None = None  # a RuleError (file and line) for a broken rule file
    replaces_bundled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def check_pack(rule_dirs: Iterable[str | Path]) -> list[RuleCheck]:
    """A verdict for every rule file of the folders ``rule_dirs``, in the order the folders and files sort.

    A file is sound when its header passes the pack loader's checks, no other
    file of these folders has its id (the loader refuses SERVICE and FROM),
    and it runs on an empty graph on both rdflib
    and Oxigraph. A sound rule with a bundled rule's id is marked
    ``replaces_bundled``. Nothing is raised for a broken file: each verdict
    holds its error.
    """
    bundled_ids = {rule.id for rule in load_rules()}
    checks: list[RuleCheck] = []
    first_of_id: dict[str, Path] = {}
    for folder in map(Path, rule_dirs):
        if not folder.is_dir():
            checks.append(RuleCheck(folder, error=InputError(f"{folder}: no such folder of rules")))
            continue
        paths = sorted(folder.glob("*.rq"))
        if not paths:
            checks.append(RuleCheck(folder, error=InputError(f"{folder}: folder holds no rule (.rq file)")))
        for path in paths:
            try:
                rule = read_rule(path, str(folder))
            except InputError as exc:  # a RuleError, or a file that cannot be read
                checks.append(RuleCheck(path, error=exc))
                continue
            if rule.id in first_of_id:
                error = RuleError(str(path), None, f"rule id {rule.id!r} is also the id of {first_of_id[rule.id]}")
                checks.append(RuleCheck(path, rule, error))
                continue
            first_of_id[rule.id] = path
            checks.append(RuleCheck(path, rule, _run_once(rule), replaces_bundled=rule.id in bundled_ids))
    return checks


def _run_once(rule: Rule) -> RuleError | None:
    """The first engine's complaint about ``rule`` on an empty graph, or None when both run it."""
    for engine, empty in (("rdflib", Graph), ("Oxigraph", lambda: OxigraphBackend(include_ontology=False))):
        try:
            find_conflicts(empty(), pack=[rule])
        except RuleError as exc:  # rdflib's complaint, as the engine words it for `kg conflicts`
            return exc
        except Exception as exc:  # noqa: BLE001 - whatever an engine raises is this rule's fault: report it, with its file
            reason = " ".join(str(exc).split())[:160]
            return RuleError(str(rule.path), None, f"{engine} cannot run this rule: {reason}")
    return None
