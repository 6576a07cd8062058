"""MXNet's ``mx.recordio.MXRecordIO`` and ``MXIndexedRecordIO`` over recio's reader and writer.

The classes keep MXNet's surface (constructor arguments, ``open``/``close``/
``reset``, ``read``/``write``, ``read_idx``/``write_idx``, ``keys``, ``idx``) and
add what MXNet lacked: ``tell`` on every file, iteration, a context manager,
clear errors, ``on_error="skip"``, remote URLs, and pickling that reopens a
reader at its position.

``read`` and ``write`` are the per-record hot path: ``open`` binds them straight
to the reader's or writer's method, so a call costs no extra Python frame.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, Self

from recio._errors import RecordIOError, RecordIOKeyError, RecordIOModeError
from recio._index import format_line, parse_index
from recio._reader import OnError, RecordReader
from recio._storage import open_read, open_text, open_write
from recio._writer import RecordWriter

__all__ = ["MXIndexedRecordIO", "MXRecordIO"]


class MXRecordIO:
    """Sequential reading ('r') or writing ('w') of a RecordIO file.

    `uri` is a local path or any fsspec URL (``s3://bucket/x.rec``, ...);
    `storage_options` go to fsspec. With ``on_error="skip"`` a reader passes
    over corrupt data with a :class:`RecordIOWarning`, counting it in
    ``skipped``; by default corruption raises :class:`RecordIOError`.
    """

    def __init__(
        self,
        uri: str | os.PathLike[str],
        flag: str,
        *,
        on_error: OnError = "raise",
        storage_options: dict[str, Any] | None = None,
    ):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.on_error = on_error
        self.storage_options = storage_options
        self.is_open = False
        self.writable = flag == "w"
        self._reader: RecordReader | None = None
        self._writer: RecordWriter | None = None
        self._unbind()
        self.open()

    # -- opening and closing -------------------------------------------------

    def open(self) -> None:
        """Open the file (a writer truncates it), closing it first if open."""
        if self.flag not in ("r", "w"):
            raise ValueError(f"Invalid flag {self.flag!r} for {self.uri}: expected 'r' or 'w'")
        if self.on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {self.on_error!r}")
        self.close()
        self.writable = self.flag == "w"
        if self.writable:
            self._writer = RecordWriter(
                open_write(self.uri, self.storage_options), self._open_index()
            )
            self.__dict__["write"] = self._writer.write
        else:
            self._reader = RecordReader(open_read(self.uri, self.storage_options), self.on_error)
            self._load_index()
            self.__dict__["read"] = self._reader.read
        self.is_open = True

    def close(self) -> None:
        """Flush and close; safe to call twice."""
        if not self.is_open:
            return
        self.is_open = False
        self._unbind()
        writer, reader = self._writer, self._reader
        self._writer = self._reader = None
        if writer is not None:
            writer.close()
        if reader is not None:
            reader.source.close()

    def reset(self) -> None:
        """Back to the first record (a reader), or start the file again (a writer, as MXNet)."""
        if self.is_open and self._reader is not None:
            self._reader.seek(0)
            self._reader.skipped = self._reader.skipped_bytes = 0
        else:
            self.open()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # MXNet closes on garbage collection: a writer's buffered records must not be lost.
        # A reader is left to its own finalisers: `MXRecordIO(p, "r").read()` runs the
        # bound read after this object is gone, and must still find its memory map open.
        if getattr(self, "_writer", None) is not None:
            with contextlib.suppress(Exception):
                self.close()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<{type(self).__name__} {self.uri!r} flag={self.flag!r} {state}>"

    # -- reading and writing ---------------------------------------------------

    def tell(self) -> int:
        """Byte offset of the next record to be read, or of the next one written."""
        if self._writer is not None:
            return self._writer.tell()
        if self._reader is not None:
            return self._reader.pos
        self._refuse("tell")

    def __iter__(self) -> Iterator[bytes]:
        """The records from the current position to the end."""
        read = self.read
        while (record := read()) is not None:
            yield record

    @property
    def skipped(self) -> int:
        """Corrupt regions a reader skipped (``on_error="skip"``) since open or reset."""
        return self._reader.skipped if self._reader is not None else 0

    # While open, ``read``/``write`` are instance attributes bound to the reader's or
    # writer's method (not to self, so no reference cycle delays garbage collection);
    # these class methods answer only when that side is not open.

    def read(self) -> bytes | None:
        """The next record, or None after the last one."""
        self._refuse("read")

    def write(self, buf: bytes | bytearray | memoryview | str) -> int:
        """Append one record (a str is encoded as UTF-8); returns its offset."""
        self._refuse("write")

    def _unbind(self) -> None:
        self.__dict__.pop("read", None)
        self.__dict__.pop("write", None)

    def _refuse(self, what: str) -> NoReturn:
        if not self.is_open:
            raise RecordIOModeError(f"{self.uri}: {what}() on a closed file; call open() first")
        need, have = ("'w'", "reading") if what == "write" else ("'r'", "writing")
        raise RecordIOModeError(
            f"{self.uri}: {what}() needs flag {need}, but the file is open for {have} "
            f"(flag {self.flag!r})",
            path=self.uri,
        )

    # -- hooks for the indexed subclass ------------------------------------------

    def _open_index(self) -> Any:
        return None

    def _load_index(self) -> None:
        pass

    # -- pickling: a reader reopens at its position in the new process -----------

    def __getstate__(self) -> dict[str, Any]:
        if self.is_open and self.writable:
            raise TypeError(
                f"cannot pickle {self.uri} while it is open for writing: a copy would "
                "truncate the file. Close it first, or pickle a reader."
            )
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        for bound in ("read", "write", "idx", "keys"):
            state.pop(bound, None)
        state["position"] = self.tell() if self.is_open else 0
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        position = state.pop("position")
        was_open = state.pop("is_open")
        self.__dict__.update(state)
        self.is_open = False
        self._reader = self._writer = None
        self._unbind()
        if was_open:
            self.open()
            assert self._reader is not None
            self._reader.seek(position)


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an .idx of ``key<TAB>offset`` lines for random access.

    `key_type` converts the .idx keys (int by default, as MXNet). ``keys`` lists
    them in file order, ``idx`` maps each to its offset.
    """

    def __init__(
        self,
        idx_path: str | os.PathLike[str],
        uri: str | os.PathLike[str],
        flag: str,
        key_type: Callable[[Any], Any] = int,
        *,
        on_error: OnError = "raise",
        storage_options: dict[str, Any] | None = None,
    ):
        self.idx_path = os.fspath(idx_path)
        self.key_type = key_type
        self.idx: dict[Any, int] = {}
        self.keys: list[Any] = []
        super().__init__(uri, flag, on_error=on_error, storage_options=storage_options)

    def _open_index(self) -> Any:
        self.idx, self.keys = {}, []
        return open_text(self.idx_path, "w", self.storage_options)

    def _load_index(self) -> None:
        with open_text(self.idx_path, "r", self.storage_options) as f:
            self.keys, self.idx = parse_index(f.read(), self.idx_path, self.key_type)

    def seek(self, idx: Any) -> None:
        """Position the reader at record `idx`."""
        if self._reader is None:
            self._refuse("seek")
        self._reader.seek(self._offset(idx))

    def _offset(self, key: Any) -> int:
        try:
            return self.idx[key]
        except KeyError:
            raise RecordIOKeyError(
                f"{self.idx_path}: no key {key!r} in the index ({len(self.idx)} keys"
                + (f", e.g. {self.keys[0]!r}" if self.keys else "")
                + ")",
                path=self.idx_path,
            ) from None

    def read_idx(self, idx: Any) -> bytes:
        """The record stored under key `idx`; a bad index entry always raises."""
        reader = self._reader
        if reader is None:
            self._refuse("read_idx")
        offset = self._offset(idx)
        try:
            return reader.read_record_at(offset)
        except RecordIOError as e:
            raise RecordIOError(
                f"{self.idx_path}: key {idx!r} points to offset {offset} of {self.uri}, "
                f"which is not the start of a record: {e}",
                path=self.uri,
                offset=offset,
            ) from e

    def write_idx(self, idx: Any, buf: bytes | bytearray | memoryview | str) -> None:
        """Append `buf` as the record for key `idx`; a key may be written once."""
        writer = self._writer
        if writer is None:
            self._refuse("write")
        key_type = self.key_type
        key = idx if key_type is int and idx.__class__ is int else key_type(idx)
        offsets = self.idx
        if key in offsets:
            raise RecordIOKeyError(
                f"{self.idx_path}: key {key!r} was already written (at offset "
                f"{offsets[key]}); each key may be written once",
                path=self.idx_path,
            )
        offset = writer.write(buf)
        writer.index_lines.append((writer.tell(), format_line(key, offset)))
        offsets[key] = offset
        self.keys.append(key)
