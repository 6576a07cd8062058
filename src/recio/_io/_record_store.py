"""The records of one or more .rec files, readable from many threads at once.

Image iterators address records by position in the dataset (the .rec files read
as one stream, a directory's files in name order). Offsets come from walking
the part headers once (:meth:`RecordReader.record_starts`) or from an .idx.
Each thread reads through its own :class:`RecordReader`: local files share one
memory map, remote files get a handle per thread.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import numpy.typing as npt

from recio._index import parse_index
from recio._reader import RecordReader
from recio._storage import ReadSource, is_local, local_path, open_text

__all__ = ["RecordStore", "rec_files"]


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
        file_index = int(np.searchsorted(self.file_base, offset, side="right")) - 1
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

    def keyed_offsets(self, idx_path: str) -> tuple[list[int], dict[int, int]]:
        """(keys in .idx order, key -> global offset) from the .idx of the first file."""
        with open_text(idx_path, "r") as f:
            keys, idx = parse_index(f.read(), idx_path, int)
        return keys, idx
