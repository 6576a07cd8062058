"""The .idx text format: one ``key<TAB>offset`` line per record, as MXNet writes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recio._errors import RecordIOError

__all__ = ["format_line", "parse_index"]


def format_line(key: Any, offset: int) -> str:
    """The line MXNet writes for `key` at byte `offset` (``str(key)``, a tab, the offset)."""
    return f"{key}\t{offset}\n"


def parse_index(
    text: str, path: str, key_type: Callable[[str], Any]
) -> tuple[list[Any], dict[Any, int]]:
    """(keys in file order, key -> offset) of an .idx file's text.

    Fields are split at tabs after stripping the line, as MXNet does; blank
    lines are ignored; a key seen twice keeps its last offset (MXNet's reading).
    Malformed lines raise RecordIOError naming the file and line number.
    """
    keys: list[Any] = []
    idx: dict[Any, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.strip().split("\t")
        if fields == [""]:
            continue
        if len(fields) < 2:
            raise RecordIOError(
                f"{path}: line {lineno}: expected 'key<TAB>offset', got {line!r}", path=path
            )
        try:
            key = key_type(fields[0])
        except (TypeError, ValueError) as e:
            raise RecordIOError(
                f"{path}: line {lineno}: key {fields[0]!r} is not a valid "
                f"{getattr(key_type, '__name__', key_type)}: {e}",
                path=path,
            ) from e
        offset_text = fields[1].strip()
        if not (offset_text.isascii() and offset_text.isdigit()):
            raise RecordIOError(
                f"{path}: line {lineno}: offset {fields[1]!r} of key {fields[0]!r} is not "
                "a non-negative integer",
                path=path,
            )
        keys.append(key)
        idx[key] = int(offset_text)
    return keys, idx
