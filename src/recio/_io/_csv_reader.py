"""Numeric CSV files as a stream of row-major numpy blocks.

A CSV *source* is the list of files MXNet's ``data_csv``/``label_csv`` names
(a file, a directory, ``;``-separated paths, or a path regex). A
:class:`RowStream` reads it sequentially in blocks of about ``block_bytes``
bytes cut at line ends, parses up to ``depth`` blocks ahead on a thread pool
(the parsers release the GIL), and hands out rows with :meth:`RowStream.take`.
Memory is therefore bounded by a few blocks whatever the file size.

A position is ``(file index, byte offset of a block start, rows to skip)``,
so a resumed stream seeks straight to its block; block starts are line starts,
so positions stay exact whatever ``block_bytes`` a later reader uses.

:mod:`._csv_parse` parses each block; a block with a bad line yields the
rows before it, then raises :class:`CSVFormatError` naming the file and line.
"""

from __future__ import annotations

import concurrent.futures
import mmap
import os
import re
from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recio._io._csv_parse import BadBlockError, BlockParser, CSVFormatError, first_bad_line

__all__ = ["START", "Position", "RowStream", "resolve_paths"]

Array = npt.NDArray[Any]


class Position(NamedTuple):
    """Where a stream resumes: file index, byte offset of a block start, rows to skip."""

    file: int
    offset: int
    skip: int


START = Position(0, 0, 0)


def resolve_paths(spec: str, what: str) -> list[str]:
    """The files `spec` names, in reading order (MXNet's dmlc URI rules, local files).

    `spec` is one or more ``;``-separated entries; an entry is a file, a
    directory (its regular files, not recursing, sorted by name: MXNet takes the
    file system's listing order, which is unspecified), or a regular expression
    matched against the whole paths of the files in its directory.
    """
    files: list[str] = []
    for entry in (e for e in spec.split(";") if e):
        if os.path.isdir(entry):
            names = sorted(os.listdir(entry))
            files += [p for n in names if os.path.isfile(p := os.path.join(entry, n))]
        elif os.path.isfile(entry):
            files.append(entry)
        else:
            files += _regex_matches(entry, what)
    if not files:
        raise FileNotFoundError(f"CSVIter: {what} {spec!r} names no files")
    return files


def _regex_matches(entry: str, what: str) -> list[str]:
    """Files of `entry`'s directory whose whole path matches `entry` as a regex (dmlc's rule)."""
    folder = os.path.dirname(entry)
    try:
        regex = re.compile(entry)
        names = sorted(os.listdir(folder or "."))
    except (re.error, OSError):
        names = []
    paths = [os.path.join(folder, n) for n in names]
    found = [p for p in paths if regex.fullmatch(p) and os.path.isfile(p)]
    if not found:
        raise FileNotFoundError(
            f"CSVIter: {what} {entry!r} is not a file or directory, and no file path "
            f"in {folder or '.'!r} matches it as a regular expression"
        )
    return found


class _Block(NamedTuple):
    """Rows parsed from bytes offset..end of a file; `error` is raised once they are used up."""

    file: int
    offset: int
    end: int
    rows: Array
    error: CSVFormatError | None


class RowStream:
    """The rows of one CSV source, read and parsed ahead in blocks; see the module docstring.

    Not thread-safe: one thread at a time calls seek/take (the iterator's worker).
    """

    def __init__(
        self,
        paths: list[str],
        parser: BlockParser,
        pool: concurrent.futures.Executor,
        block_bytes: int,
        depth: int,
    ):
        self.paths = paths
        self.parser = parser
        self.block_bytes = block_bytes
        self._pool = pool
        self._depth = depth  # blocks parsed ahead of the one in use; 0: in step
        self._ahead: Iterator[_Block] | None = None
        self._block: _Block | None = None
        self._i = 0

    # -- reading ahead -------------------------------------------------------

    def _blocks(self, file: int, offset: int) -> Iterator[_Block]:
        """Blocks from (`file`, `offset`) to the end, `depth` of them parsed ahead."""
        pending: deque[tuple[int, int, int, concurrent.futures.Future[Array], bytes]] = deque()
        try:
            for f, off, end, data in self._raw_blocks(file, offset):
                pending.append((f, off, end, self._pool.submit(self.parser.parse, data), data))
                if len(pending) > self._depth:
                    yield self._finish(*pending.popleft())
            while pending:
                yield self._finish(*pending.popleft())
        finally:
            for *_, future, _ in pending:
                future.cancel()

    def _finish(
        self, file: int, offset: int, end: int, future: concurrent.futures.Future[Array], data: Any
    ) -> _Block:
        try:
            return _Block(file, offset, end, future.result(), None)
        except BadBlockError:
            pass
        # Hand out the good lines before the bad one, then fail where it is.
        data = bytes(data)
        where, reason = first_bad_line(data, self.parser)
        error = self._error(file, offset, data, where, reason)
        return _Block(file, offset, offset + where, self.parser.parse(data[:where]), error)

    def _raw_blocks(self, file: int, offset: int) -> Iterator[tuple[int, int, int, Any]]:
        """(file, offset, end, text) of each block of whole lines from (`file`, `offset`).

        The text is a view of the file mapped into memory: the parse threads read the
        page cache directly, where a read would copy every byte in this (the caller's)
        thread first -- that copy was two thirds of the caller's time. The mapping
        closes when the last view of it is gone. As for .rec files, a file truncated
        while it is read ends the process (SIGBUS) rather than giving wrong rows.
        The pages of blocks parsed long ago are unmapped as it goes (the page cache
        keeps them), so the process's resident size stays a few blocks, not the file.
        """
        for f in range(file, len(self.paths)):
            with open(self.paths[f], "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                off = offset if f == file else 0
                if off >= size:
                    continue
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            size = len(mapped)
            text = memoryview(mapped)
            starts: deque[int] = deque(maxlen=self._depth + 2)
            released = 0
            try:
                while off < size:
                    end = min(off + self.block_bytes, size)
                    if end < size:
                        cut = mapped.rfind(b"\n", off, end) + 1
                        if cut <= off:  # a line longer than a block: on to its end
                            cut = mapped.find(b"\n", end) + 1 or size
                        end = cut
                    if len(starts) == starts.maxlen:  # parsed and handed out: unmap
                        released = _release(mapped, released, starts[0])
                    starts.append(off)
                    yield f, off, end, text[off:end]
                    off = end
            finally:
                text.release()

    def _error(
        self, file: int, offset: int, data: bytes, where: int, reason: str
    ) -> CSVFormatError:
        end = data.find(b"\n", where)
        line_text = data[where : len(data) if end < 0 else end + 1]
        path = self.paths[file]
        line = _count_lines(path, offset) + data.count(b"\n", 0, where) + 1
        detail = self.parser.describe_error(line_text, reason)
        return CSVFormatError(f"{path}, line {line}: {detail}", path=path, line=line)

    # -- the API the batcher uses ----------------------------------------------

    def seek(self, pos: Position) -> None:
        """Continue from `pos`; free when `pos` lies in the block already in hand."""
        block = self._block
        if block is None or (block.file, block.offset) != (pos.file, pos.offset):
            self.close()
            self._block = None
            self._ahead = self._blocks(pos.file, pos.offset)
        self._i = 0
        skip = pos.skip
        while skip:
            got = len(self.take(skip))
            if not got:
                raise ValueError(
                    f"CSVIter: cannot resume: {self.paths} ended before the saved position"
                )
            skip -= got

    def _next_block(self) -> bool:
        """Make the next block current; False at the end of the source."""
        if self._ahead is None:  # after close() or an error: go on after the block in hand
            held = self._block
            self._ahead = self._blocks(*((held.file, held.end) if held else (0, 0)))
        try:
            block = next(self._ahead, None)
        except BaseException:
            self._ahead = None  # a generator that raised is finished; restart on retry
            raise
        if block is None:
            return False
        self._block, self._i = block, 0
        return True

    def take(self, n: int) -> Array:
        """Up to `n` next rows (fewer only at the end of the source): a view when it can be."""
        parts: list[Array] = []
        want = n
        while want:
            block = self._block
            if block is None or self._i >= len(block.rows):
                if block is not None and block.error is not None:
                    raise block.error
                if not self._next_block():
                    break
                continue
            piece = block.rows[self._i : self._i + want]
            self._i += len(piece)
            want -= len(piece)
            parts.append(piece)
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return np.empty((0, self.parser.width), self.parser.dtype)
        return np.concatenate(parts)

    def position(self) -> Position:
        """Where the next row comes from, as a :class:`Position`."""
        block = self._block
        if block is None:
            return START
        if self._i >= len(block.rows):
            return Position(block.file, block.end, 0)
        return Position(block.file, block.offset, self._i)

    def close(self) -> None:
        """Drop the read-ahead (cancelling parses not yet started)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.close()  # type: ignore[attr-defined]


def _release(mapped: mmap.mmap, start: int, end: int) -> int:
    """Unmap the whole pages of `mapped` in start..end (page-aligned `start`); the new start.

    Safe whatever is still reading there: a read-only file mapping faults the page
    back in from the page cache.
    """
    end -= end % mmap.PAGESIZE
    if end > start:
        mapped.madvise(mmap.MADV_DONTNEED, start, end - start)
        return end
    return start


def _count_lines(path: str, end: int) -> int:
    """Newlines in the first `end` bytes of `path` (only computed for error messages)."""
    count = 0
    with open(path, "rb") as handle:
        while end > 0:
            chunk = handle.read(min(end, 1 << 22))
            if not chunk:
                break
            count += chunk.count(b"\n")
            end -= len(chunk)
    return count
