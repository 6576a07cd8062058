"""Message framing and value encoding shared by the test process and the reference server.

Both processes run CPython 3.11 but different numpy majors (2.x in recio's venv,
1.23 in the MXNet venv). numpy pickles name modules that moved between the two
(``numpy.core`` became ``numpy._core``), so ndarrays, numpy scalars and dtypes
are replaced by tagged tuples of plain Python values before pickling and rebuilt
after. Namedtuples are tagged too: their classes (``mxnet.recordio.HEADER``,
``recio``'s ``IRHeader``) exist on one side only, so the receiver rebuilds a
namedtuple of the same name and fields. Everything else is ordinary pickle.

This module must import on both sides: standard library and numpy only.

A message on the pipe is an 8-byte big-endian length followed by that many
bytes of pickle.
"""

from __future__ import annotations

import collections
import pickle
import struct
from typing import Any

import numpy as np

__all__ = ["LENGTH", "PROTOCOL", "TAG", "decode", "dumps", "encode", "loads"]

TAG = "__recio_wire__"
PROTOCOL = 5
LENGTH = struct.Struct(">Q")

_namedtuple_classes: dict[tuple[str, tuple[str, ...]], type] = {}


def _is_namedtuple(value: object) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def _dtype_spec(dtype: np.dtype[Any]) -> Any:
    """A picklable description of `dtype` that np.dtype() accepts on either numpy."""
    if dtype.hasobject:
        raise TypeError(f"arrays of dtype {dtype} hold Python objects and cannot cross the wire")
    return dtype.descr if dtype.fields is not None else dtype.str


def encode(value: Any, convert: Any = None) -> Any:
    """`value` with every numpy object and namedtuple replaced by a tagged tuple.

    `convert`, if given, is called first on every value that is not a builtin
    container; it may return a replacement (the server uses it to turn MXNet
    NDArrays into numpy arrays) or the value itself.
    """
    if convert is not None and not isinstance(value, (list, tuple, dict, set, frozenset)):
        value = convert(value)
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return (TAG, "ndarray", _dtype_spec(arr.dtype), value.shape, arr.tobytes())
    if isinstance(value, np.generic):
        return (TAG, "scalar", _dtype_spec(value.dtype), value.tobytes())
    if isinstance(value, np.dtype):
        return (TAG, "dtype", _dtype_spec(value))
    if _is_namedtuple(value):
        items = [encode(v, convert) for v in value]
        return (TAG, "namedtuple", type(value).__name__, tuple(type(value)._fields), items)
    if isinstance(value, tuple):
        return tuple(encode(v, convert) for v in value)
    if isinstance(value, list):
        return [encode(v, convert) for v in value]
    if isinstance(value, dict):
        return {encode(k, convert): encode(v, convert) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return type(value)(encode(v, convert) for v in value)
    return value


def _namedtuple_class(name: str, fields: tuple[str, ...]) -> type:
    key = (name, fields)
    if key not in _namedtuple_classes:
        _namedtuple_classes[key] = collections.namedtuple(name, fields)  # type: ignore[misc]
    return _namedtuple_classes[key]


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`: tagged tuples become numpy objects and namedtuples again.

    Arrays come back writeable and C-contiguous.
    """
    if isinstance(value, tuple):
        if len(value) >= 2 and value[0] == TAG:
            kind = value[1]
            if kind == "ndarray":
                _, _, spec, shape, raw = value
                return np.frombuffer(raw, dtype=np.dtype(spec)).reshape(shape).copy()
            if kind == "scalar":
                _, _, spec, raw = value
                return np.frombuffer(raw, dtype=np.dtype(spec))[0]
            if kind == "dtype":
                return np.dtype(value[2])
            if kind == "namedtuple":
                _, _, name, fields, items = value
                return _namedtuple_class(name, tuple(fields))(*[decode(v) for v in items])
            raise ValueError(f"unknown wire tag {kind!r}")
        return tuple(decode(v) for v in value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        return {decode(k): decode(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return type(value)(decode(v) for v in value)
    return value


def dumps(message: Any, convert: Any = None) -> bytes:
    """A framed message: length prefix + pickle of the encoded `message`."""
    body = pickle.dumps(encode(message, convert), protocol=PROTOCOL)
    return LENGTH.pack(len(body)) + body


def loads(body: bytes) -> Any:
    """The message whose pickle (without the length prefix) is `body`."""
    return decode(pickle.loads(body))
