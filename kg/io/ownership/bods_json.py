"""A BODS file's statements, one at a time: a JSON array (read with ijson, never whole) or JSON Lines.

Each statement comes with where it is, for messages: ``file:line`` in JSON Lines,
``file: statement N`` in an array. A file that is not JSON, or that stops in the
middle of a statement, is one ``InputError`` saying so.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

from kg.errors import InputError

_BOM = b"\xef\xbb\xbf"
_STEP = 1 << 20  # progress is told every megabyte, not every statement
_DECODER = json.JSONDecoder(parse_float=Decimal)  # one decoder: json.loads(parse_float=...) makes one a call
#: How deep a statement may nest (BODS's go six deep); deeper is refused before it costs memory or stack.
MAX_DEPTH = 32
TOO_DEEP = f"nested more than {MAX_DEPTH} deep, which no BODS statement is"
FORMS = "a BODS file is a JSON array of statements, or JSON Lines (one statement per line)"


def container(head: bytes) -> str | None:
    """``"array"`` or ``"lines"`` by a file's first character; None when it is no JSON array or object."""
    text = head[len(_BOM):] if head.startswith(_BOM) else head
    text = text.lstrip(b" \t\r\n")
    return {b"[": "array", b"{": "lines"}.get(text[:1])


def first_statement(head: bytes) -> object | None:
    """The first statement of a file whose first bytes are ``head``; None when they hold no whole one."""
    kind = container(head)
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    try:
        if kind == "array":
            rest = text[1:].lstrip(" \t\r\n")
            return json.JSONDecoder().raw_decode(rest)[0] if rest[:1] == "{" else None
        if kind == "lines":
            return json.loads(text.split("\n", 1)[0])
    except (ValueError, RecursionError):
        return None
    return None


class Progress:
    """Tells ``callback`` the bytes read, the file counted once over the reader's two passes (half each)."""

    def __init__(self, callback: Callable[[int], object] | None, size: int) -> None:
        self.callback, self.size, self.told = callback, size, 0

    def at(self, done: int, pass_number: int) -> None:
        if self.callback is None:
            return
        now = min(self.size, ((pass_number - 1) * self.size + done) // 2)
        if now > self.told:
            self.callback(now - self.told)
            self.told = now


def statements(path: Path, progress: Progress | None = None, pass_number: int = 1) -> Iterator[tuple[int, str, object]]:
    """(number from 1, where, parsed statement) for each statement of ``path``, in file order."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        head = handle.read(4096)
        kind = container(head)
        if kind is None:
            raise InputError(f"{path}: not BODS: {FORMS}")
        start = len(_BOM) if head.startswith(_BOM) else 0  # a byte-order mark is no data (and ijson refuses it)
        handle.seek(start)
        reader = _lines if kind == "lines" else _array
        yield from reader(path, handle, progress, pass_number, start)


def _lines(path: Path, handle, progress: Progress | None, pass_number: int, start: int):
    number = told = 0
    done = start
    for line_number, line in enumerate(handle, start=1):
        done += len(line)
        if progress is not None and done - told >= _STEP:
            progress.at(done, pass_number)
            told = done
        if not line.strip():
            continue
        number += 1
        try:
            value = _DECODER.decode(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}:{line_number}: not UTF-8 text") from None
        except RecursionError:
            raise InputError(f"{path}:{line_number}: {TOO_DEEP}") from None
        except json.JSONDecodeError as exc:
            if not line.endswith(b"\n"):  # only the last line of a file can lack its line break
                raise InputError(f"{path}:{line_number}: the file ends in the middle of a statement (cut short?): {exc.msg} at column {exc.colno}") from None
            hint = f" ({FORMS})" if number == 1 else ""
            raise InputError(f"{path}:{line_number}: not valid JSON: {exc.msg} at column {exc.colno}{hint}") from None
        yield number, f"{path}:{line_number}", value
    if progress is not None:
        progress.at(done, pass_number)


class _Counting:
    """A binary file that counts what is read from it (for progress, and to tell a file that ends too soon)."""

    def __init__(self, handle, progress: Progress | None, pass_number: int, start: int) -> None:
        self.handle, self.progress, self.pass_number = handle, progress, pass_number
        self.done, self.ended = start, False

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.done += len(data)
        self.ended = self.ended or (not data and size != 0)  # ijson asks for 0 bytes to learn the type
        if self.progress is not None:
            self.progress.at(self.done, self.pass_number)
        return data


def _array(path: Path, handle, progress: Progress | None, pass_number: int, start: int):
    import ijson  # a streaming parser: an array of a million statements is never all in memory

    counting = _Counting(handle, progress, pass_number, start)
    number = 0
    # ijson's own items() spells out each value's path as text: a file nested 10^5 deep took it
    # gigabytes. Its bare events, built here with a depth limit, cost what the file holds.
    items = _items(ijson.basic_parse(counting, use_float=False))  # numbers not whole come as Decimal, as written
    while True:
        try:
            value = next(items)
        except StopIteration:
            return
        except ijson.JSONError as exc:
            after = f"after statement {number}" if number else "before the first statement"
            if counting.ended:
                raise InputError(f"{path}: the file ends {after}, in the middle of its array of statements (cut short?)") from None
            raise InputError(f"{path}: not valid JSON {after}: {_first_line(exc)}") from None
        except _TooDeep:
            raise InputError(f"{path}: statement {number + 1}: {TOO_DEEP}") from None
        number += 1
        yield number, f"{path}: statement {number}", value


class _TooDeep(Exception):
    pass


def _items(events):
    """The elements of a top-level JSON array, from ijson's bare events, refusing any nested over MAX_DEPTH."""
    for event, _ in events:  # the array's start
        break
    stack: list[list] = []  # [container, its current key] for each container being built
    for event, value in events:
        if event == "map_key":
            stack[-1][1] = value
            continue
        if event == "start_map" or event == "start_array":
            if len(stack) >= MAX_DEPTH:
                raise _TooDeep
            stack.append([{} if event == "start_map" else [], None])
            continue
        if event == "end_map" or event == "end_array":
            if not stack:  # the end of the file's array; what follows it is an error ijson raises
                for _ in events:
                    pass
                return
            value = stack.pop()[0]
        if not stack:
            yield value
        else:
            container, key = stack[-1]
            if type(container) is list:
                container.append(value)
            else:
                container[key] = value


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
