"""Where record bytes live: local files on a fast path, anything fsspec opens otherwise.

Readers see a :class:`ReadSource`: either the whole file as one buffer (a local
file, memory-mapped, so a record is one slice with no system call) or a random
access byte range reader over an fsspec file (``s3://``, ``gs://``, ``hdfs://``,
``http(s)://``, ``memory://`` ...). Writers get a plain binary file object: a
raw unbuffered local file (the record writer does its own buffering, so that it
controls when bytes reach the OS) or an fsspec file.
"""

from __future__ import annotations

import errno
import mmap
import os
from typing import IO, Any

__all__ = ["ReadSource", "is_local", "local_path", "open_read", "open_text", "open_write"]

Buffer = bytes | mmap.mmap


def is_local(uri: str) -> bool:
    """True for plain paths and file:// URLs, which take the mmap fast path."""
    return "://" not in uri or uri.startswith("file://")


def local_path(uri: str) -> str:
    return uri[len("file://") :] if uri.startswith("file://") else uri


def _fsspec_open(uri: str, mode: str, storage_options: dict[str, Any] | None) -> Any:
    import fsspec  # imported here: local files never need it

    try:
        return fsspec.open(uri, mode, **(storage_options or {})).open()
    except FileNotFoundError as e:  # some backends (s3fs: a missing bucket) omit the path
        raise FileNotFoundError(errno.ENOENT, str(e) or "No such file", uri) from e


class ReadSource:
    """Random access to the bytes of one file.

    ``whole`` is the entire file as one buffer when that is cheap (local files),
    else None, and ``read_at`` serves byte ranges. ``size`` is fixed at open.
    """

    def __init__(self, uri: str, storage_options: dict[str, Any] | None = None):
        self.uri = uri
        self.whole: Buffer | None = None
        self._file: Any = None
        self._storage_options = storage_options
        self._pid = os.getpid()
        if is_local(uri):
            with open(local_path(uri), "rb") as f:
                self.size = os.fstat(f.fileno()).st_size
                if self.size == 0:
                    self.whole = b""
                else:
                    mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    mapped.madvise(mmap.MADV_SEQUENTIAL)
                    self.whole = mapped
        else:
            self._file = _fsspec_open(uri, "rb", storage_options)
            self.size = int(self._file.size)

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer only at the end of the file)."""
        if self.whole is not None:
            return bytes(self.whole[offset : offset + length])
        if self._pid != os.getpid():  # a forked child must not share the parent's connection
            self._file = _fsspec_open(self.uri, "rb", self._storage_options)
            self._pid = os.getpid()
        self._file.seek(offset)
        data: bytes = self._file.read(length)
        return data

    def close(self) -> None:
        if isinstance(self.whole, mmap.mmap):
            self.whole.close()
        self.whole = None
        if self._file is not None:
            self._file.close()
            self._file = None


def open_read(uri: str, storage_options: dict[str, Any] | None = None) -> ReadSource:
    return ReadSource(uri, storage_options)


def open_write(uri: str, storage_options: dict[str, Any] | None = None) -> IO[bytes]:
    """A binary file truncated for writing; unbuffered when local."""
    if is_local(uri):
        return open(local_path(uri), "wb", buffering=0)
    f: IO[bytes] = _fsspec_open(uri, "wb", storage_options)
    return f


def open_text(uri: str, mode: str, storage_options: dict[str, Any] | None = None) -> IO[str]:
    """A UTF-8 text file (the .idx and .lst files), local or remote."""
    if is_local(uri):
        return open(local_path(uri), mode, encoding="utf-8", newline="")
    import io

    binary = _fsspec_open(uri, mode + "b", storage_options)
    return io.TextIOWrapper(binary, encoding="utf-8", newline="")
