"""Rule packs: folders of SPARQL rule files that describe themselves in their header comments.

A rule is a SELECT query in a ``.rq`` file whose ``#+ key: value`` header gives
its ``id``, ``title``, ``severity``, ``description``, ``roles``, ``key``,
``evidence`` and ``explain`` (the format docs/rules.md describes). The bundled pack
(``queries/conflicts/``) loads through exactly the code that loads a user's
pack, and every header is checked when its pack loads: a rule that would
silently find nothing (a role its query does not select, an evidence spec that
names no claim type) is an error naming the file and line instead.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import pyoxigraph
from rdflib import URIRef

from kg import resources
from kg.errors import InputError, KgWarning, RuleError, UsageError, arg
from kg.sparql import HeaderEntry, read_header
from kg.entities import local_name
from kg.vocab import AFFILIATION_KINDS, CLAIM_TYPES, KG, RIVALRY_KINDS

SEVERITY_ORDER = ("high", "medium", "low")
HEADER_KEYS = ("id", "title", "severity", "description", "roles", "key", "evidence", "explain", "sequence", "cycles")
REQUIRED_KEYS = ("id", "title", "severity", "roles", "evidence", "explain")
BUNDLED = "bundled"
#: Claim classes an evidence spec may name, by local name (``Rivalry(a,b)``).
CLAIM_CLASSES = {local_name(cls): cls for cls in CLAIM_TYPES}
#: Claim classes whose two parties play the same part (the evidence matches either order).
SYMMETRIC_CLASSES = frozenset({KG.Rivalry})
#: The kinds an evidence spec may ask for (``Affiliation[board_seat,officer](person,org)``), by claim class.
CLASS_KINDS = {KG.Affiliation: tuple(AFFILIATION_KINDS), KG.Rivalry: tuple(RIVALRY_KINDS)}
#: The kinds a spec without brackets asks for: a rivalry is a market rivalry, as kgr:competesWith is.
DEFAULT_KINDS = {KG.Rivalry: frozenset({"market"})}
#: Money edges (kgr:pays) and the claims behind them, payer first: what a ``cycles`` rule walks.
MONEY_CLASSES = (KG.ComputeContract, KG.Investment, KG.Ownership)
#: Cycle lengths a ``cycles`` rule may ask for: enumeration is bounded by the longest.
CYCLE_LENGTHS = range(3, 6)

_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLAIM_SPEC = re.compile(r"([A-Za-z]+)(?:\[([^\]]*)\])?\(\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*\)")
_CHAIN_SPEC = re.compile(r"([A-Za-z_]\w*)>([A-Za-z_]\w*)")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_OXIGRAPH_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.S)
#: SERVICE or FROM as keywords (not ?service, ex:from or part of a word), once comments, IRIs and strings are blanked.
_BEYOND_THE_GRAPH = re.compile(r"(?<![?$:\w])(SERVICE|FROM)(?![\w:])", re.I)
_NOT_CODE = re.compile(r'#[^\n]*|<[^<>\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.S)


def _code_only(text: str) -> str:
    """The query with comments, IRIs and strings blanked (same length, same lines), to look for keywords."""
    return _NOT_CODE.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


@dataclass(frozen=True)
class Rule:
    """A conflict rule: a SPARQL SELECT and the metadata its header gives."""

    id: str
    title: str
    severity: str
    description: str
    roles: tuple[str, ...]
    key: tuple[str, ...]  # roles whose values make a finding distinct
    evidence: tuple[tuple[str, ...], ...]  # per slot, alternatives: "Type(role,role)" or a chain "a>b"
    query: str
    explain: str = ""  # sentence template: {role} is the entity's label, {a>b} " (through X, Y)" or ""
    sequence: tuple[int, int] | None = None  # evidence slots (0-based): the second's tie did not begin before the first's
    cycles: tuple[int, ...] = ()  # a cycle rule: its lengths; the query selects ?payer ?payee edges (see kg.conflicts.cycles)
    origin: str = BUNDLED  # "bundled", or the folder of a user's pack
    path: Path | None = field(default=None, compare=False)


class ClaimSpec(NamedTuple):
    """An evidence item ``Type(first,second)``: the claim of that type between two roles."""

    cls: URIRef
    first: str
    second: str
    symmetric: bool
    kinds: frozenset = frozenset()  # the claim's kind must be one of these (empty: any kind)


@lru_cache(maxsize=None)
def parse_spec(spec: str) -> ClaimSpec:
    """``Rivalry(customer,rival)`` as a ClaimSpec (the spec is known to be valid: the pack checked it)."""
    match = _CLAIM_SPEC.fullmatch(spec.strip())
    cls = CLAIM_CLASSES[match.group(1)]
    kinds = frozenset(_kind_names(match.group(2))) if match.group(2) is not None else DEFAULT_KINDS.get(cls, frozenset())
    return ClaimSpec(cls, match.group(3), match.group(4), cls in SYMMETRIC_CLASSES, kinds)


def _kind_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def chain_ends(spec: str) -> tuple[str, str] | None:
    """``controller>supplier`` as (start role, goal role); None when the spec is a claim."""
    match = _CHAIN_SPEC.fullmatch(spec.strip())
    return (match.group(1), match.group(2)) if match else None


def bundled_pack_dir() -> Path:
    return resources.queries_dir() / "conflicts"


def load_rules() -> list[Rule]:
    """The bundled rule pack, most severe first."""
    return load_pack()


def load_pack(rule_dirs: Iterable[str | Path] = (), *, bundled: bool = True) -> list[Rule]:
    """The bundled pack (unless ``bundled`` is False) and the rules of each folder in ``rule_dirs``.

    A rule of a user's folder whose id is a bundled rule's replaces it, with a
    ``KgWarning``; two rules of the user's folders with one id are an error.
    Rules come most severe first, then by id.
    """
    rules: dict[str, Rule] = {}
    if bundled:
        for rule in _bundled_rules():
            rules[rule.id] = rule
    for folder in map(Path, rule_dirs):
        for rule in _read_folder(folder, str(folder)):
            earlier = rules.get(rule.id)
            if earlier is not None and earlier.origin != BUNDLED:
                raise RuleError(str(rule.path), None, f"rule id {rule.id!r} is also the id of {earlier.path}")
            if earlier is not None:
                warnings.warn(f"{rule.path}: rule {rule.id!r} replaces the bundled rule of that id", KgWarning, stacklevel=2)
            rules[rule.id] = rule
    return sorted(rules.values(), key=lambda r: (SEVERITY_ORDER.index(r.severity), r.id))


def select_rules(rules: Sequence[Rule], rule_ids: Iterable[str] | None = None) -> list[Rule]:
    """The rules of ``rules`` whose ids are asked for (all when none are); an unknown id is an error."""
    rules = list(rules)
    if not rule_ids:
        return rules
    wanted = list(rule_ids)
    known = {rule.id: rule for rule in rules}
    unknown = [rule_id for rule_id in wanted if rule_id not in known]
    if unknown:
        raise UsageError(f"unknown rule {unknown[0]!r} in {arg('rules')}; rules: {', '.join(known)}")
    return [rule for rule in rules if rule.id in set(wanted)]


@lru_cache(maxsize=1)
def _bundled_rules() -> tuple[Rule, ...]:
    """The bundled pack, read once a process: its files ship with kg and do not change."""
    return tuple(_read_folder(bundled_pack_dir(), BUNDLED))


def _read_folder(folder: Path, origin: str) -> list[Rule]:
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of rules")
    paths = sorted(folder.glob("*.rq"))
    if not paths:
        raise InputError(f"{folder}: folder holds no rule (.rq file)")
    rules: dict[str, Rule] = {}
    for path in paths:
        rule = read_rule(path, origin)
        if rule.id in rules:
            raise RuleError(str(path), None, f"rule id {rule.id!r} is also the id of {rules[rule.id].path}")
        rules[rule.id] = rule
    return list(rules.values())


def read_rule(path: Path, origin: str = BUNDLED) -> Rule:
    """One rule file, its header checked; a ``RuleError`` naming the file and line when it is malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return _Checker(path, text).rule(origin)


class _Checker:
    """Checks one rule file's header against its query, entry by entry."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self.entries: dict[str, HeaderEntry] = {}
        for entry in read_header(text):
            if not entry.key:
                self.fail(entry.line, f"header line is not 'key: value' ({entry.value[:40]!r})")
            if entry.key not in HEADER_KEYS:
                self.fail(entry.line, f"unknown header key {entry.key!r}; expected one of {', '.join(HEADER_KEYS)}")
            if entry.key in self.entries:
                self.fail(entry.line, f"header key {entry.key!r} given twice (first on line {self.entries[entry.key].line})")
            self.entries[entry.key] = entry
        for key in REQUIRED_KEYS:
            if not self.value(key):
                self.fail(self.entries[key].line if key in self.entries else 1, f"the header lacks {key!r}")

    def fail(self, line: int | None, message: str):
        raise RuleError(str(self.path), line, message)

    def value(self, key: str) -> str:
        entry = self.entries.get(key)
        return entry.value if entry else ""

    def line(self, key: str, fragment: str = "") -> int:
        """The line of ``key``, or of the first of its lines that holds ``fragment``."""
        first = self.entries[key].line if key in self.entries else 1
        lines = self.text.splitlines()
        for number in range(first, len(lines) + 1):
            if number > first and not lines[number - 1].startswith("#+  "):
                break  # past the entry's continuation lines
            if fragment in lines[number - 1]:
                return number
        return first

    def rule(self, origin: str) -> Rule:
        rule_id, severity = self.value("id"), self.value("severity")
        if not _ID.fullmatch(rule_id):
            self.fail(self.line("id"), f"rule id {rule_id!r} is not lower-case letters, digits and '-'")
        if severity not in SEVERITY_ORDER:
            self.fail(self.line("severity"), f"unknown severity {severity!r}; expected one of {', '.join(SEVERITY_ORDER)}")
        roles = tuple(self.value("roles").split())
        for role in roles:
            if not _ROLE.fullmatch(role):
                self.fail(self.line("roles"), f"role {role!r} is not a SPARQL variable name")
        selected = self._query()
        cycles = self._cycles(roles, selected)
        if cycles:
            selected = [*selected, *roles]  # a cycle rule's roles are the cycle's payers, which kg finds
        missing = [role for role in roles if role not in selected]
        if missing:
            self.fail(self.line("roles"), f"role {missing[0]!r} is not a variable the query selects ({', '.join('?' + v for v in selected)})")
        key = tuple(self.value("key").split()) or roles
        for role in key:
            if role not in roles:
                self.fail(self.line("key"), f"key {role!r} is not one of the roles ({', '.join(roles)})")
        evidence = () if cycles else self._evidence(roles)
        chains = {choice for slot in evidence for choice in slot if chain_ends(choice)}
        self._template(roles, chains | ({"cycle"} if cycles else set()))
        return Rule(
            id=rule_id,
            title=self.value("title"),
            severity=severity,
            description=self.value("description"),
            roles=roles,
            key=key,
            evidence=evidence,
            query=self.text,
            explain=self.value("explain"),
            origin=origin,
            path=self.path,
            sequence=self._sequence(len(evidence)),
            cycles=cycles,
        )

    def _cycles(self, roles: tuple[str, ...], selected: list[str]) -> tuple[int, ...]:
        """``cycles: 3 4``: the lengths of the money cycles the rule reports, one role per position."""
        text = self.value("cycles")
        if not text:
            return ()
        line = self.line("cycles")
        try:
            lengths = tuple(sorted({int(word) for word in text.split()}))
        except ValueError:
            self.fail(line, f"cycles {text!r} is not a list of cycle lengths (3 4)")
        if lengths[0] not in CYCLE_LENGTHS or lengths[-1] not in CYCLE_LENGTHS:
            self.fail(line, f"cycle lengths run from {CYCLE_LENGTHS.start} to {CYCLE_LENGTHS.stop - 1} ({text})")
        if len(roles) != lengths[-1]:
            self.fail(self.line("roles"), f"a cycle rule has one role per payer of its longest cycle ({lengths[-1]}), not {len(roles)}")
        if not {"payer", "payee"} <= set(selected):
            self.fail(line, "a cycle rule's query selects the money edges as ?payer ?payee")
        if self.value("evidence") != "cycle":
            self.fail(self.line("evidence"), "a cycle rule's evidence is 'cycle' (each money claim and the control links between them)")
        return lengths

    def _sequence(self, slots: int) -> tuple[int, int] | None:
        """``sequence: 1 3``: evidence slot 3's tie must not begin before slot 1's (when both are dated)."""
        text = self.value("sequence")
        if not text:
            return None
        words = text.split()
        if len(words) != 2 or not all(word.isdigit() and 1 <= int(word) <= slots for word in words) or words[0] == words[1]:
            self.fail(self.line("sequence"), f"sequence {text!r} is not two different evidence slots between 1 and {slots}")
        return int(words[0]) - 1, int(words[1]) - 1

    def _query(self) -> list[str]:
        """The variables the query selects; a syntax error names its line in the file.

        Oxigraph's parser checks the query: strict SPARQL 1.1, and quick enough to
        check every rule each time a pack loads. A rule reads the graph kg derives
        and nothing else: SERVICE (the network) and FROM (other graphs) are refused
        before Oxigraph sees the query, since its check runs the query.
        """
        beyond = _BEYOND_THE_GRAPH.search(_code_only(self.text))
        if beyond is not None:
            line = self.text.count("\n", 0, beyond.start()) + 1
            self.fail(line, f"a rule reads the kgr: edges kg derives; {beyond.group(1).upper()} would reach beyond them, so the rule is refused")
        try:
            solutions = pyoxigraph.Store().query(self.text)
        except SyntaxError as exc:
            found = _OXIGRAPH_ERROR.match(str(exc))
            line, column, reason = (int(found.group(1)), found.group(2), found.group(3)) if found else (None, "?", str(exc))
            self.fail(line, f"SPARQL syntax error at column {column}: {' '.join(reason.split())[:160]}")
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            self.fail(None, "a rule is a SELECT query")
        return [variable.value for variable in solutions.variables]

    def _evidence(self, roles: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        slots = []
        for slot in self.value("evidence").split():
            choices = tuple(slot.split("|"))
            line = self.line("evidence", slot)
            for choice in choices:
                ends = chain_ends(choice)
                claim = _CLAIM_SPEC.fullmatch(choice)
                if ends is None and claim is None:
                    self.fail(line, f"bad evidence spec {choice!r}: expected Type(role,role) or a control chain role>role")
                if claim is not None and claim.group(1) not in CLAIM_CLASSES:
                    self.fail(line, f"unknown claim type {claim.group(1)!r} in {choice!r}; expected one of {', '.join(CLAIM_CLASSES)}")
                if claim is not None and claim.group(2) is not None:
                    known = CLASS_KINDS.get(CLAIM_CLASSES[claim.group(1)], ())
                    for kind in _kind_names(claim.group(2)) or [""]:
                        if kind not in known:
                            expected = f"one of {', '.join(known)}" if known else "no kind for this claim type"
                            self.fail(line, f"unknown kind {kind!r} in {choice!r}; expected {expected}")
                named = ends if ends is not None else (claim.group(3), claim.group(4))
                for role in named:
                    if role not in roles:
                        self.fail(line, f"evidence {choice!r} names {role!r}, which is not one of the roles ({', '.join(roles)})")
            slots.append(choices)
        return tuple(slots)

    def _template(self, roles: tuple[str, ...], chains: set[str]) -> None:
        for placeholder in _PLACEHOLDER.findall(self.value("explain")):
            if placeholder not in roles and placeholder not in chains:
                known = ", ".join([*roles, *sorted(chains)])
                line = self.line("explain", "{" + placeholder + "}")
                self.fail(line, f"placeholder {{{placeholder}}} is no role or evidence chain ({known})")
