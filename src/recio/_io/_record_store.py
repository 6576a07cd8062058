"""The records of one or more .rec files, readable from many threads at once.

Image iterators address records by position in the dataset (the .rec files read
as one stream, a directory's files in name order). Offsets come from walking
the part headers once (:meth:`RecordReader.record_starts`) or from an .idx.
Each thread reads through its own :class:`RecordReader`: local files share one
memory map, remote files get a handle per thread. :meth:`RecordStore.image_record`
splits an image record's header off and, for a mapped file, hands out its
payload as a view of the map: no copy, and no time holding the GIL for one.
"""

from __future__ import annotations

import bisect
import mmap
import os
import threading

import numpy as np
import numpy.typing as npt

from recio._format import HEAD, HEAD_SIZE, LENGTH_MASK, MAGIC, padded
from recio._header import IRHeader, pack, unpack
from recio._index import parse_index
from recio._reader import RecordReader
from recio._storage import ReadSource, is_local, local_path, open_text

__all__ = ["RecordStore", "rec_files"]

_IMAGE_HEAD = len(pack(IRHeader(0, 0.0, 0, 0), b""))  # the image header without labels


def rec_files(path_imgrec: str | list[str]) -> list[str]:
    """The .rec files of `path_imgrec`: one file, a list, or a directory's .rec files."""
    paths = [path_imgrec] if isinstance(path_imgrec, str) else list(path_imgrec)
    files: list[str] = []
    for path in paths:
        if is_local(path) and os.path.isdir(local_path(path)):
            names = sorted(n for n in os.listdir(local_path(path)) if n.endswith(".rec"))
            if not names:
                raise FileNotFoundError(f"path_imgrec: no .rec files in directory {path}")
            files += [os.path.join(path, n) for n in names]
        else:
            files.append(path)
    if not files:
        raise ValueError("path_imgrec: no .rec file given")
    return files


class RecordStore:
    """Every record of `files`; ``offsets[i]`` is record i's offset in the joined stream."""

    def __init__(self, files: list[str]):
        self.files = files
        self._sources = [ReadSource(f) for f in files]
        self.file_base: list[int] = []
        starts = []
        base = 0
        for source in self._sources:
            self.file_base.append(base)
            starts.append(np.asarray(RecordReader(source).record_starts(), np.int64) + base)
            base += source.size
        self.total_size = base
        self.offsets: npt.NDArray[np.int64] = (
            np.concatenate(starts) if starts else np.zeros(0, np.int64)
        )
        self._local = threading.local()

    def record(self, offset: int) -> bytes:
        """The record at global `offset` (thread-safe)."""
        file_index = bisect.bisect_right(self.file_base, offset) - 1
        readers = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = {}
        reader = readers.get(file_index)
        if reader is None:
            source = self._sources[file_index]
            if source.whole is None:  # remote: each thread needs its own file handle
                source = ReadSource(self.files[file_index])
            reader = readers[file_index] = RecordReader(source)
        return reader.read_record_at(offset - self.file_base[file_index])

    def image_record(self, offset: int) -> tuple[IRHeader, bytes | memoryview]:
        """(header, payload) of the image record at global `offset` (thread-safe).

        The payload is a read-only view of the memory-mapped file when the record is
        a plain one there (valid for as long as the store lives), else bytes. Errors
        are :meth:`record`'s and :func:`recio._header.unpack`'s.
        """
        view = self._view(offset)
        if view is None:
            return unpack(self.record(offset))
        if len(view) < _IMAGE_HEAD:
            return unpack(bytes(view))  # too short: unpack says so
        flag = int.from_bytes(view[:4], "little")
        size = _IMAGE_HEAD + 4 * flag
        header, _ = unpack(bytes(view[:size]))  # the labels are checked and copied
        return header, view[size:]

    def _view(self, offset: int) -> memoryview | None:
        """The record at `offset` as a view of its file's map; None when the file is not
        mapped or the bytes there are not a plain record (``record`` then decides)."""
        file_index = bisect.bisect_right(self.file_base, offset) - 1
        source = self._sources[file_index]
        whole = source.whole
        rel = offset - self.file_base[file_index]
        if not isinstance(whole, mmap.mmap) or rel & 3 or not 0 <= rel <= source.size - HEAD_SIZE:
            return None
        magic, length = HEAD.unpack_from(whole, rel)
        if magic != MAGIC or length > LENGTH_MASK or rel + HEAD_SIZE + padded(length) > source.size:
            return None
        return memoryview(whole)[rel + HEAD_SIZE : rel + HEAD_SIZE + length]

    def keyed_offsets(self, idx_path: str) -> tuple[list[int], dict[int, int]]:
        """(keys in .idx order, key -> global offset) from the .idx of the first file."""
        with open_text(idx_path, "r") as f:
            keys, idx = parse_index(f.read(), idx_path, int)
        return keys, idx
