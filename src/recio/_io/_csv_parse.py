"""One block of numeric CSV text (whole lines) to a ``(rows, width)`` numpy array.

The grammar is what MXNet 1.9.1 reads, minus what it reads wrongly: values
separated by ``,``; lines ended by ``\\n`` or ``\\r\\n``; empty lines skipped;
spaces and tabs around values ignored; one trailing ``,`` per line allowed.
float32 takes decimal and scientific notation, ``nan`` and ``inf``, correctly
rounded. int32/int64 take decimal integers exactly and truncate any other
finite decimal number toward zero (MXNet reads ``1.9`` as 1), exactly.

The fastest path is recio's C extension ``recio._csvparse`` (GIL released),
which reads the common subset of this grammar (plain decimal and scientific
notation) and declines anything else. The next is one ``pyarrow.csv.read_csv``
call (GIL released too). A block it rejects goes through the slower paths
(trailing commas, ``+`` signs, integers in float notation). Every check is
about one line, so :func:`first_bad_line` can find the culprit by bisecting a
rejected block. Without the C extension (no compiler at install time) the
results are the same, only slower.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

try:
    from recio import _csvparse
except ImportError:  # built without a C compiler: pyarrow parses everything
    _csvparse = None  # type: ignore[assignment]

__all__ = ["BadBlockError", "BlockParser", "CSVFormatError", "first_bad_line"]

Array = npt.NDArray[Any]
_TRAILING_COMMA = re.compile(rb",[ \t]*(?=\r?\n|\Z)")
_PLUS_SIGN = re.compile(rb"(?:^|(?<=[,\n]))([ \t]*)\+")  # "+7" is 7; pyarrow's ints say no
_INTEGER = re.compile(rb"[+-]?[0-9]+")
_DECIMAL = re.compile(rb"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
#: Whether BlockParser tries recio._csvparse first (tests turn it off to check the others).
native_enabled = True
_PARSE = pacsv.ParseOptions(
    quote_char=False, double_quote=False, escape_char=False, newlines_in_values=False
)


class CSVFormatError(ValueError):
    """A CSV line that is not `width` numbers; names the file and the 1-based line."""

    def __init__(self, message: str, *, path: str, line: int | None):
        super().__init__(message)
        self.path = path
        self.line = line


class BadBlockError(Exception):
    """A block with a bad line; the message says why (no file or line: the caller adds them)."""


class BlockParser:
    """Parses blocks of complete lines into ``(rows, width)`` arrays of `dtype`."""

    def __init__(self, width: int, dtype: np.dtype[Any]):
        self.width = width
        self.dtype = dtype
        self._names = [f"c{i}" for i in range(width)]
        self._convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(
                self._names, pa.float32() if dtype == np.float32 else pa.int64()
            ),
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        self._range = np.iinfo(dtype) if dtype.kind == "i" else None

    def parse(self, data: Any) -> Array:
        """The rows of `data` (bytes-like, whole lines); BadBlockError if a line is bad."""
        if not len(data):
            return np.empty((0, self.width), self.dtype)
        rows = self._native(data)
        if rows is not None:
            return self._in_range(rows)
        try:
            rows = self._arrow(data)
        except BadBlockError:  # the slow paths, for blocks pyarrow alone rejects
            text = _TRAILING_COMMA.sub(b"", bytes(data))
            if self._range is None:
                rows = self._arrow(text)
            else:
                text = _PLUS_SIGN.sub(rb"\1", text)
                try:
                    rows = self._arrow(text)
                except BadBlockError:
                    rows = self._integers_exactly(text)
        return self._in_range(rows)

    def _in_range(self, rows: Array) -> Array:
        """`rows` as `dtype`; BadBlockError if an integer does not fit it."""
        if self._range is not None and rows.size:
            low, high = self._range.min, self._range.max
            if rows.min() < low or rows.max() > high:
                raise BadBlockError(f"a value is outside the {self.dtype} range [{low}, {high}]")
        return rows if rows.dtype == self.dtype else rows.astype(self.dtype)

    def _native(self, data: Any) -> Array | None:
        """The rows by recio._csvparse, or None when it is missing or declines the block."""
        if _csvparse is None or not native_enabled:
            return None
        integers = self._range is not None
        out = np.empty((_csvparse.lines(data), self.width), np.int64 if integers else np.float32)
        rows = _csvparse.parse(data, self.width, integers, out)
        return None if rows is None else out[:rows]

    def _arrow(self, data: Any) -> Array:
        read = pacsv.ReadOptions(
            column_names=self._names, use_threads=False, block_size=len(data) + 1
        )
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=read,
                parse_options=_PARSE,
                convert_options=self._convert,
            )
        except pa.ArrowInvalid as e:
            raise BadBlockError(str(e)) from None
        parts = [np.asarray(b.to_tensor(row_major=True)) for b in table.to_batches()]
        if not parts:
            return np.empty((0, self.width), self.dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _integers_exactly(self, text: bytes) -> Array:
        """Integers written as ``1.0``, ``1e3`` or ``1.9``: exact, truncated, in Python (slow)."""
        rows = []
        for line in text.split(b"\n"):
            line = line.removesuffix(b"\r")
            if line:
                fields = line.split(b",")
                if len(fields) != self.width:
                    raise BadBlockError(f"expected {self.width} values, got {len(fields)}")
                rows.append([_integer(f.strip(b" \t"), column) for column, f in enumerate(fields)])
        try:
            return np.array(rows, dtype=np.int64).reshape(len(rows), self.width)
        except OverflowError:
            raise BadBlockError(f"a value is outside the {self.dtype} range") from None

    def describe_error(self, line: bytes, reason: str) -> str:
        """What is wrong with one bad `line`, in terms of this parser's width and dtype."""
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        fields = _TRAILING_COMMA.sub(b"", line.rstrip(b"\r\n")).split(b",")
        if len(fields) != self.width:
            return f"expected {self.width} values, got {len(fields)}: {text!r}"
        bad = re.search(r"column #(\d+).*invalid value '(.*)'", reason)
        if bad:
            column = int(bad.group(1)) + 1
            return (
                f"value {bad.group(2)!r} in column {column} is not a valid {self.dtype}: {text!r}"
            )
        return f"{reason}: {text!r}"


def _integer(token: bytes, column: int) -> int:
    if _INTEGER.fullmatch(token):
        return int(token)
    if _DECIMAL.fullmatch(token):
        return int(decimal.Decimal(token.decode()))  # int() truncates toward zero
    value = token.decode("utf-8", "replace")
    raise BadBlockError(f"In CSV column #{column}: invalid value '{value}'")  # pyarrow's words


def first_bad_line(data: bytes, parser: BlockParser) -> tuple[int, str]:
    """Byte offset in `data` of the first line `parser` rejects, and why.

    Bisects on line boundaries, parsing one half each time: about twice the
    cost of parsing the block once.
    """
    lo, hi = 0, len(data)
    while True:
        mid = data.rfind(b"\n", lo, (lo + hi) // 2) + 1
        if mid <= lo:
            mid = data.find(b"\n", (lo + hi) // 2, hi - 1) + 1
        if mid <= lo or mid >= hi:  # a single line
            try:
                parser.parse(data[lo:hi])
            except BadBlockError as e:
                return lo, str(e)
            return lo, "rejected with the lines around it"  # pragma: no cover - line-local checks
        try:
            parser.parse(data[lo:mid])
        except BadBlockError:
            hi = mid
        else:
            lo = mid
