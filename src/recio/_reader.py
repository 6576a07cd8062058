"""Sequential and positioned reading of RecordIO records, with corruption handling.

:class:`RecordReader` walks the parts of :mod:`recio._format` over a
:class:`~recio._storage.ReadSource`. Local files are one memory map, so the
common case (a whole record, cflag 0) is one ``unpack_from`` and one slice.
Remote files are read through a window of a few MiB that slides forward.

Bad input raises :class:`RecordIOError` naming the file and offset, or with
``on_error="skip"`` warns, counts, and resynchronises at the next aligned magic
word that starts a record: the writer splits records at every aligned magic
word, so such a word can only be a part header and resynchronisation is exact.
"""

from __future__ import annotations

import struct
import warnings
from typing import Any, Literal

from recio._errors import RecordIOError
from recio._format import (
    CFLAG_FIRST,
    CFLAG_LAST,
    CFLAG_MIDDLE,
    CFLAG_WHOLE,
    HEAD,
    HEAD_SIZE,
    LENGTH_MASK,
    MAGIC,
    MAGIC_BYTES,
)
from recio._storage import ReadSource

__all__ = ["OnError", "RecordIOWarning", "RecordReader"]

OnError = Literal["raise", "skip"]
_WINDOW = 4 << 20  # bytes fetched per request from a remote file
_unpack_head = HEAD.unpack_from


class RecordIOWarning(UserWarning):
    """A corrupt region was skipped because the reader was told ``on_error="skip"``."""


class _CorruptError(Exception):
    """Internal: what is wrong at an offset; becomes a RecordIOError or a skip."""

    def __init__(self, offset: int, what: str):
        super().__init__(what)
        self.offset = offset
        self.what = what


class RecordReader:
    """Reads records one after another from a byte offset; ``seek`` moves it.

    ``skipped`` counts corrupt regions passed over with ``on_error="skip"`` and
    ``skipped_bytes`` their size.
    """

    def __init__(self, source: ReadSource, on_error: OnError = "raise"):
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.source = source
        self.on_error = on_error
        self.skipped = 0
        self.skipped_bytes = 0
        self.pos = 0
        self._size = source.size
        if source.whole is not None:
            self._buf: Any = source.whole
            self._base = 0
        else:
            self._buf = b""
            self._base = 0

    # -- the hot path -------------------------------------------------------

    def read(self) -> bytes | None:
        """The next record, or None at the end of the file."""
        pos = self.pos
        buf = self._buf
        rel = pos - self._base  # negative after a remote reader seeks back past its window
        if rel >= 0 and rel + HEAD_SIZE <= len(buf):
            magic, lrec = _unpack_head(buf, rel)
            if magic == MAGIC and lrec <= LENGTH_MASK:  # cflag 0: a whole record
                step = HEAD_SIZE + ((lrec + 3) & ~3)  # padding included: it must be there too
                if rel + step <= len(buf):
                    self.pos = pos + step
                    data: bytes = buf[rel + HEAD_SIZE : rel + HEAD_SIZE + lrec]
                    return data
        return self._read_slow(strict=self.on_error == "raise")

    def read_record_at(self, offset: int) -> bytes:
        """The record starting at `offset`; anything else there raises, whatever ``on_error``.

        Leaves the reader after that record, as a :meth:`seek` and :meth:`read` would.
        """
        buf = self._buf
        rel = offset - self._base
        if rel >= 0 and rel + HEAD_SIZE <= len(buf):
            magic, lrec = _unpack_head(buf, rel)
            if magic == MAGIC and lrec <= LENGTH_MASK and not rel & 3:
                step = HEAD_SIZE + ((lrec + 3) & ~3)
                if rel + step <= len(buf):
                    self.pos = offset + step
                    data: bytes = buf[rel + HEAD_SIZE : rel + HEAD_SIZE + lrec]
                    return data
        if offset >= self._size:
            raise RecordIOError(
                f"{self.source.uri}: offset {offset}: past the end of the file "
                f"({self._size} bytes)",
                path=self.source.uri,
                offset=offset,
            )
        self.pos = offset
        record = self._read_slow(strict=True)
        assert record is not None  # offset < size, so a record or an error
        return record

    def seek(self, offset: int) -> None:
        self.pos = offset

    def record_starts(self) -> list[int]:
        """Offsets of every record in the file, walking part headers without copying data.

        Corruption raises RecordIOError, or with ``on_error="skip"`` is passed over as
        :meth:`read` would pass over it.
        """
        starts: list[int] = []
        append = starts.append
        size = self._size
        pos = 0
        while pos < size:
            rel = pos - self._base
            if rel >= 0 and rel + HEAD_SIZE <= len(self._buf):
                magic, lrec = _unpack_head(self._buf, rel)
                step = HEAD_SIZE + ((lrec + 3) & ~3)
                if magic == MAGIC and lrec <= LENGTH_MASK and pos + step <= size:
                    append(pos)
                    pos += step
                    continue
            try:
                nxt = self._record_end(pos)
            except _CorruptError as bad:
                if self.on_error == "raise":
                    raise RecordIOError(
                        f"{self.source.uri}: offset {bad.offset}: {bad.what}",
                        path=self.source.uri,
                        offset=bad.offset,
                    ) from None
                self.pos = pos
                self._skip(bad)
                pos = self.pos
                continue
            append(pos)
            pos = nxt
        return starts

    def _record_end(self, start: int) -> int:
        """Offset after the record at `start`, checking its parts like :meth:`_parse_record`."""
        cflag, length = self._head(start)
        if cflag not in (CFLAG_WHOLE, CFLAG_FIRST):
            raise _CorruptError(start, f"expected the start of a record, found cflag {cflag}")
        pos = start
        while True:
            stored = (length + 3) & ~3
            if pos + HEAD_SIZE + stored > self._size:
                raise _CorruptError(
                    pos, f"truncated record: its part header says {length} bytes follow"
                )
            pos += HEAD_SIZE + stored
            if cflag in (CFLAG_WHOLE, CFLAG_LAST):
                return pos
            cflag, length = self._head(pos)
            if cflag not in (CFLAG_MIDDLE, CFLAG_LAST):
                raise _CorruptError(
                    pos,
                    f"expected the next part of the record that starts at offset {start} "
                    f"(cflag 2 or 3), found cflag {cflag}",
                )

    # -- everything else: windows, multi-part records, corruption ----------------

    def _ensure(self, pos: int, need: int) -> bool:
        """Make bytes [pos, pos+need) available in the buffer; False if past the end."""
        if pos + need > self._size:
            return False
        rel = pos - self._base
        if rel >= 0 and rel + need <= len(self._buf):
            return True
        self._buf = self.source.read_at(pos, max(need, _WINDOW))
        self._base = pos
        return len(self._buf) >= need

    def _bytes(self, pos: int, length: int) -> bytes:
        rel = pos - self._base
        data: bytes = self._buf[rel : rel + length]
        return data

    def _read_slow(self, strict: bool) -> bytes | None:
        while True:
            if self.pos >= self._size:
                return None
            try:
                data, next_pos = self._parse_record(self.pos)
            except _CorruptError as bad:
                if strict:
                    raise RecordIOError(
                        f"{self.source.uri}: offset {bad.offset}: {bad.what}",
                        path=self.source.uri,
                        offset=bad.offset,
                    ) from None
                self._skip(bad)
                continue
            self.pos = next_pos
            return data

    def _head(self, pos: int) -> tuple[int, int]:
        """(cflag, length) of the part header at pos, checked."""
        if pos & 3:
            raise _CorruptError(pos, "a record starts at a multiple of 4 bytes")
        if not self._ensure(pos, HEAD_SIZE):
            raise _CorruptError(
                pos,
                f"truncated record: expected an 8-byte part header, "
                f"only {self._size - pos} bytes remain in the file of {self._size} bytes",
            )
        magic, lrec = _unpack_head(self._buf, pos - self._base)
        if magic != MAGIC:
            kind = "not a RecordIO file" if pos == 0 else "corrupt data"
            raise _CorruptError(
                pos, f"expected the RecordIO magic word 0x{MAGIC:08x}, found 0x{magic:08x} ({kind})"
            )
        return lrec >> 29, lrec & LENGTH_MASK

    def _parse_record(self, start: int) -> tuple[bytes, int]:
        """(data, offset after the record) for the record beginning at `start`."""
        cflag, length = self._head(start)
        if cflag not in (CFLAG_WHOLE, CFLAG_FIRST):
            raise _CorruptError(
                start,
                f"expected the start of a record, found a continuation part (cflag {cflag}): "
                "the offset points into the middle of a record",
            )
        pieces = []
        pos = start
        while True:
            body = pos + HEAD_SIZE
            stored = (length + 3) & ~3
            if not self._ensure(body, stored):
                raise _CorruptError(
                    pos,
                    f"truncated record: its part header says {length} bytes follow "
                    f"({stored} with padding), only {self._size - body} remain in the file "
                    f"of {self._size} bytes",
                )
            pieces.append(self._bytes(body, length))
            pos = body + stored
            if cflag in (CFLAG_WHOLE, CFLAG_LAST):
                break
            cflag, length = self._head(pos)
            if cflag not in (CFLAG_MIDDLE, CFLAG_LAST):
                raise _CorruptError(
                    pos,
                    f"expected the next part of the record that starts at offset {start} "
                    f"(cflag 2 or 3), found cflag {cflag}",
                )
        data = pieces[0] if len(pieces) == 1 else MAGIC_BYTES.join(pieces)
        return data, pos

    def _skip(self, bad: _CorruptError) -> None:
        """Move past the corrupt record at ``self.pos`` to the next record start, warning."""
        start = self.pos
        resume = self._next_record_start(start + 4)
        where = "" if bad.offset == start else f" at offset {bad.offset}"
        warnings.warn(
            f"{self.source.uri}: skipped {resume - start} bytes of corrupt data at "
            f"offset {start} ({bad.what}{where})",
            RecordIOWarning,
            stacklevel=4,
        )
        self.skipped += 1
        self.skipped_bytes += resume - start
        self.pos = resume

    def _next_record_start(self, pos: int) -> int:
        """Offset of the next aligned part header with cflag 0 or 1, or the file size."""
        pos = (pos + 3) & ~3
        while pos + HEAD_SIZE <= self._size:
            self._ensure(pos, min(_WINDOW, self._size - pos))
            rel = pos - self._base
            found = self._buf.find(MAGIC_BYTES, rel)
            if found < 0:
                pos = self._base + len(self._buf) - 3  # a magic word may straddle windows
                pos = (pos + 3) & ~3
                continue
            at: int = self._base + found
            if at & 3:
                pos = (at + 4) & ~3
                continue
            if self._ensure(at, HEAD_SIZE):
                (lrec,) = struct.unpack_from("<I", self._buf, at - self._base + 4)
                if lrec >> 29 in (CFLAG_WHOLE, CFLAG_FIRST):
                    return at
            pos = at + 4
        return self._size
