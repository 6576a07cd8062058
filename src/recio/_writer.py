"""Appending records to a RecordIO file, with an index that never runs ahead of the data.

:class:`RecordWriter` encodes records (:func:`recio._format.encode_record`) into
its own buffer and hands whole buffers to the OS. Index lines wait in a second
buffer and are written only after the record bytes they point to have been
written, so a writer killed at any moment leaves a .rec whose complete records
all read back and an .idx that names none of the incomplete ones.
"""

from __future__ import annotations

from typing import IO

from recio._format import HEAD, MAGIC, MAGIC_BYTES, MAX_LENGTH, encode_record

__all__ = ["RecordWriter"]

_FLUSH_AT = 1 << 20  # bytes buffered before they are handed to the OS
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")
_pack_head = HEAD.pack
# Part headers of short whole records, built once: saves a struct call per small record.
_SMALL_HEADS = [_pack_head(MAGIC, n) for n in range(4096)]


class RecordWriter:
    """Writes records to a binary file; ``tell()`` is the offset the next one gets."""

    def __init__(self, file: IO[bytes], index: IO[str] | None = None):
        self._file = file
        self._index = index
        self._buf = bytearray()
        self._index_lines: list[tuple[int, str]] = []
        self._flushed = 0  # bytes already handed to the file

    def tell(self) -> int:
        return self._flushed + len(self._buf)

    def write(self, data: bytes | bytearray | memoryview | str) -> int:
        """Append one record (a str is encoded as UTF-8); returns the offset where it starts."""
        if data.__class__ is not bytes:
            data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        buf = self._buf
        offset = self._flushed + len(buf)
        length = len(data)
        if data.find(MAGIC_BYTES) >= 0 or length > MAX_LENGTH:
            buf += encode_record(data)
        else:
            buf += _SMALL_HEADS[length] if length < 4096 else _pack_head(MAGIC, length)
            buf += data
            buf += _PAD[length & 3]
        if len(buf) >= _FLUSH_AT:
            self.flush()
        return offset

    def add_index_line(self, line: str) -> None:
        """Queue an index line for the record just written; it reaches the .idx after the
        bytes it points to."""
        self._index_lines.append((self.tell(), line))

    @property
    def index_lines(self) -> list[tuple[int, str]]:
        """The queue behind :meth:`add_index_line`: (end offset of the record, line)."""
        return self._index_lines

    def flush(self) -> None:
        """Hand buffered records to the file, then the index lines that point into them.

        The buffer is taken before it is written and ``_flushed`` counts only bytes the
        file accepted, so an interruption part-way (Ctrl-C) can lose records but never
        writes one twice, and an index line is written only once its record is whole.
        """
        if self._buf:
            pending, self._buf = self._buf, bytearray()
            view = memoryview(pending)
            try:
                while view:
                    written = self._file.write(view)
                    written = len(view) if written is None else written
                    self._flushed += written
                    view = view[written:]
            finally:
                view.release()
        self._file.flush()
        if self._index is not None and self._index_lines:
            done = [line for end, line in self._index_lines if end <= self._flushed]
            if done:
                self._index_lines = self._index_lines[len(done) :]
                self._index.write("".join(done))
                self._index.flush()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._file.close()
            if self._index is not None:
                self._index.close()
