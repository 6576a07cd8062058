"""The exceptions recio raises for bad RecordIO input and misuse.

Every data error is a :class:`RecordIOError`, itself an :class:`OSError` (a .rec
file that cannot be read is an I/O failure to the caller), and names the file,
the byte offset or key, and what was expected. Misuse raises a subclass that is
also the builtin a Python user would catch for it.
"""

from __future__ import annotations

import io

__all__ = ["RecordIOError", "RecordIOKeyError", "RecordIOModeError"]


class RecordIOError(OSError):
    """A RecordIO file or its index is not what the format requires.

    Raised for files that are not RecordIO, a bad magic word mid-file, a
    truncated record, or an index line that is malformed or points anywhere but
    at the start of a record. The message names file, offset and expectation.
    """

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.path = path
        self.offset = offset

    def __str__(self) -> str:
        return str(self.args[0])


class RecordIOKeyError(RecordIOError, KeyError):
    """A key that the index does not hold, or a key written twice."""

    def __str__(self) -> str:  # KeyError would quote the message as a repr
        return str(self.args[0])


class RecordIOModeError(RecordIOError, io.UnsupportedOperation):
    """Reading a file opened for writing, writing one opened for reading, or a closed file."""
