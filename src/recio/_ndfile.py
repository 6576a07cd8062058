"""MXNet 1.9.1's NDArray file format: what ``mx.nd.save`` writes and ``mx.nd.load`` reads.

ImageRecordIter's ``mean_img`` file and Gluon/Module ``.params`` files use it.
All integers are little-endian. A file is a list of arrays with optional names::

    offset 0            8             16            24
           +------------+-------------+-------------+----------------+---------------------+
           | list magic | reserved    | count N     | N arrays       | names               |
           | u64 0x112  | u64 0       | u64         | (see below)    | u64 K, K x (u64 len,|
           |            |             |             |                |   UTF-8 bytes)      |
           +------------+-------------+-------------+----------------+---------------------+
    K = 0 for a list (``load`` returns a list), K = N for a dict (``load`` returns a
    dict in file order). An empty dict is written as K = 0, so it loads as ``[]``.

One dense array, as ``mx.nd.save`` writes it (V2)::

    +------------+---------+---------+-------------+----------+--------+-----------+---------+
    | magic      | stype   | ndim    | dims        | dev_type | dev_id | type flag | data    |
    | u32        | i32 = 0 | i32     | ndim x i64  | i32 = 1  | i32 =0 | i32       | C order |
    | f993fac9   |         |         |             | (cpu)    |        |           |         |
    +------------+---------+---------+-------------+----------+--------+-----------+---------+
    type flag: 0 float32, 1 float64, 2 float16, 3 uint8, 4 int32, 5 int8, 6 int64, 7 bool,
               12 bfloat16 (numpy dtype [("bfloat16", "<u2")], as MXNet spells it)

Sparse arrays (stype 1 row_sparse, 2 csr) add a storage shape (i32 ndim + i64 dims)
before the shape and, after the type flag, one (i32 type flag, shape) per aux array
(row_sparse: row indices; csr: indptr, indices); the data holds the storage shape's
elements and the aux arrays' data follows it. recio has no sparse arrays: ``load``
returns them dense, equal to MXNet's ``tostype("default")``.

Older and newer array versions, all read here:

- V3 (magic f993faca): the same as V2, written under ``mx.util.np_shape(True)``.
- V1 (magic f993fac8): no stype; shape, context, type flag, data.
- before V1 (no magic): the first u32 is ndim, followed by ndim u32 dims.

Where recio differs from MXNet: MXNet 1.9.1 writes a 0-d V2 array with its
context and data, but its reader takes a V2 ndim of 0 as "no array" and then
fails on the file; recio writes the same bytes (so MXNet cannot load recio's 0-d
arrays either) and reads the scalar back. recio reads V3 files whatever the
shape semantics, saves numpy arrays as well as NDArrays, and takes a legacy
"ndim" above 64 as a bad magic. As in MXNet, the context is ignored (arrays come
back on ``cpu(0)``), as are the reserved word and any bytes after the names.

Bad files raise :class:`NDArrayFileError` (an OSError), naming file, offset and
expectation; bad arguments to ``save`` raise TypeError or ValueError, as MXNet's do.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from recio import _storage

if TYPE_CHECKING:
    from recio.nd import NDArray

__all__ = ["BFLOAT16", "NDArrayFileError", "dumps", "load", "load_frombuffer", "save"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
MAX_NDIM = 64  # numpy's limit; a larger legacy "ndim" word is taken as a bad magic
CPU = (1, 0)  # dev_type kCPU, dev_id 0: what MXNet writes for a cpu(0) array

BFLOAT16 = np.dtype([("bfloat16", "<u2")])  # mxnet.ndarray's numpy spelling of bfloat16
_DTYPE_OF_FLAG: dict[int, np.dtype[Any]] = {
    0: np.dtype("<f4"),
    1: np.dtype("<f8"),
    2: np.dtype("<f2"),
    3: np.dtype("u1"),
    4: np.dtype("<i4"),
    5: np.dtype("i1"),
    6: np.dtype("<i8"),
    7: np.dtype("?"),
    12: BFLOAT16,
}
_FLAG_OF_DTYPE = {dtype: flag for flag, dtype in _DTYPE_OF_FLAG.items()}
_UNLOADABLE_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64"}  # MXNet fails on them
_SUPPORTED = "float32, float64, float16, uint8, int8, int32, int64, bool, bfloat16"
_NUM_AUX = {0: 0, 1: 1, 2: 2}  # stype -> aux arrays: dense, row_sparse, csr
_U32, _I32, _U64 = struct.Struct("<I"), struct.Struct("<i"), struct.Struct("<Q")
_LIST_HEAD = struct.Struct("<QQQ")

Loaded: TypeAlias = "list[NDArray] | dict[str, NDArray]"


class NDArrayFileError(OSError):
    """A file that is not what the NDArray format requires: not one, truncated, or corrupt.

    An OSError, as recio's RecordIOError is: a data file that cannot be read is an
    I/O failure to the caller. The message names the file, the byte offset and what
    was expected there; ``path`` and ``offset`` hold them too.
    """

    def __init__(self, message: str, *, path: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.path = path
        self.offset = offset

    def __str__(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------------------- writing


def _shape_bytes(shape: tuple[int, ...]) -> bytes:
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _array_chunks(value: Any, where: str) -> list[bytes | memoryview]:
    """One dense V2 array: its header, then its data as a view of little-endian C-order bytes."""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"save only accepts arrays (recio.nd.NDArray or numpy), and {where} is a "
            f"{type(value).__name__}: convert it with recio.nd.array()"
        )
    dtype = value.dtype.newbyteorder("<")
    flag = _FLAG_OF_DTYPE.get(dtype)
    if flag is None:
        raise TypeError(
            f"MXNet's NDArray files hold {_SUPPORTED}; {where} has dtype {value.dtype}: "
            "convert it with .astype() first"
        )
    data = np.ascontiguousarray(value, dtype=dtype).reshape(-1).view(np.uint8)
    head = struct.pack("<Ii", V2_MAGIC, 0) + _shape_bytes(value.shape)
    return [head + struct.pack("<iii", *CPU, flag), data.data]


def _chunks(data: Any) -> list[bytes | memoryview]:
    """The whole file in pieces, checked before anything is written (as ``mx.nd.save`` does)."""
    if isinstance(data, np.ndarray):
        data = [data]
    if isinstance(data, dict):
        names = list(data)
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"save only accepts dict keys of type str, not {name!r}")
            if "\0" in name:  # MXNet passes keys as C strings and would cut them there
                raise ValueError(f"dict key {name!r} holds a NUL character, which MXNet drops")
        values = list(data.values())
        wheres = [f"the value of key {name!r}" for name in names]
    elif isinstance(data, list):
        names, values = [], data
        wheres = [f"item {i} of the list" for i in range(len(values))]
    else:
        raise ValueError(
            "data needs to be an array, a list of arrays or a dict of str to arrays, "
            f"not a {type(data).__name__}"
        )
    chunks: list[bytes | memoryview] = [_LIST_HEAD.pack(LIST_MAGIC, 0, len(values))]
    for value, where in zip(values, wheres, strict=True):
        chunks += _array_chunks(value, where)
    encoded = [name.encode("utf-8") for name in names]
    chunks.append(b"".join([_U64.pack(len(encoded))] + [_U64.pack(len(n)) + n for n in encoded]))
    return chunks


def dumps(data: Any) -> bytes:
    """The bytes ``mx.nd.save(fname, data)`` writes; `data` as :func:`save` takes it."""
    return b"".join(_chunks(data))


def save(fname: str | os.PathLike[str], data: Any) -> None:
    """Write `data` (an array, a list of arrays, or a dict of str to arrays) as MXNet does.

    The bytes equal MXNet 1.9.1's for the same arrays (V2, on ``cpu(0)``); numpy
    arrays are taken as well as recio's NDArrays. `fname` may be local or any URL
    that fsspec opens. Bad input raises before the file is opened.
    """
    chunks = _chunks(data)
    with _storage.open_write(os.fspath(fname)) as f:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:  # a raw file may write fewer bytes than asked
                view = view[f.write(view) :]


# ---------------------------------------------------------------------------- reading


class _Cursor:
    """Walks `buf` field by field; every failure names the file, the offset and the rule."""

    __slots__ = ("buf", "name", "pos")

    def __init__(self, buf: memoryview, name: str):
        self.buf = buf
        self.name = name
        self.pos = 0

    def error(self, expected: str, found: str, offset: int | None = None) -> NDArrayFileError:
        at = self.pos if offset is None else offset
        return NDArrayFileError(
            f"{self.name}: at offset {at}: expected {expected}, found {found}",
            path=self.name,
            offset=at,
        )

    def take(self, size: int, what: str) -> memoryview:
        left = len(self.buf) - self.pos
        if size > left:
            raise self.error(f"{what} ({size} bytes)", f"{left} bytes: the file is truncated")
        self.pos += size
        return self.buf[self.pos - size : self.pos]

    def unpack(self, fmt: struct.Struct, what: str) -> tuple[Any, ...]:
        return fmt.unpack(self.take(fmt.size, what))

    def shape(self, what: str) -> tuple[int, ...]:
        """An i32 ndim and that many i64 dims (V1-V3)."""
        start = self.pos
        (ndim,) = self.unpack(_I32, f"the ndim of {what}")
        dims: tuple[int, ...] = ()
        if 0 <= ndim <= MAX_NDIM:
            dims = self.unpack(struct.Struct(f"<{ndim}q"), f"the dims of {what}")
        if not 0 <= ndim <= MAX_NDIM or min(dims, default=0) < 0:
            # -1 is how MXNet saves an uninitialized array, which MXNet cannot load either
            found = str(dims) if 0 <= ndim <= MAX_NDIM else f"ndim {ndim}"
            raise self.error(f"the shape of {what}: ndim 0..{MAX_NDIM}, dims >= 0", found, start)
        return dims

    def dtype(self, what: str) -> np.dtype[Any]:
        (flag,) = self.unpack(_I32, f"the type flag of {what}")
        dtype = _DTYPE_OF_FLAG.get(flag)
        if dtype is None:
            found = str(flag)
            if flag in _UNLOADABLE_FLAGS:
                found += f" ({_UNLOADABLE_FLAGS[flag]}, which MXNet 1.9.1 cannot load either)"
            raise self.error(f"a type flag 0-7 or 12 ({_SUPPORTED})", found, self.pos - 4)
        return dtype

    def data(self, dtype: np.dtype[Any], shape: tuple[int, ...], what: str) -> npt.NDArray[Any]:
        """A copy, aligned and writable, in native byte order, of the array's data."""
        count = int(np.prod(shape, dtype=object))
        start = self.pos
        raw = self.take(count * dtype.itemsize, f"the data of {what}, shape {shape}")
        try:
            return np.frombuffer(raw, dtype, count).reshape(shape).astype(dtype.newbyteorder("="))
        except ValueError as e:  # a shape numpy cannot hold, such as (0, 2**62)
            raise self.error(f"a shape numpy can hold for {what}", str(shape), start) from e


def _read_array(cur: _Cursor, index: int) -> npt.NDArray[Any]:
    start = cur.pos
    what = f"array {index}"
    (magic,) = cur.unpack(_U32, f"the magic of {what}")
    stype: int = 0
    storage_shape: tuple[int, ...] = ()
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = cur.unpack(_I32, f"the storage type of {what}")
        if stype not in _NUM_AUX:
            expected = f"the storage type of {what}: 0 (default), 1 (row_sparse) or 2 (csr)"
            raise cur.error(expected, str(stype), cur.pos - 4)
        if stype:
            storage_shape = cur.shape(f"the storage of {what}")
        shape = cur.shape(what)
    elif magic == V1_MAGIC:
        shape = cur.shape(what)
    elif magic <= MAX_NDIM:  # before V1 there was no magic: this word is the ndim
        dims = cur.unpack(struct.Struct(f"<{magic}I"), f"the dims of {what}")
        shape = tuple(int(d) for d in dims)
    else:
        expected = f"the magic of {what} (f993fac9; f993faca, f993fac8, or a legacy ndim)"
        raise cur.error(expected, f"{magic:08x}", start)
    cur.take(8, f"the context of {what}")  # ignored: recio's arrays live on cpu(0)
    dtype = cur.dtype(what)
    if not stype:
        return cur.data(dtype, shape, what)
    aux_meta = [
        (cur.dtype(f"aux {i} of {what}"), cur.shape(f"aux {i} of {what}"))
        for i in range(_NUM_AUX[stype])
    ]
    values = cur.data(dtype, storage_shape, what)
    aux = [cur.data(t, s, f"aux {i} of {what}") for i, (t, s) in enumerate(aux_meta)]
    kind = "row_sparse" if stype == 1 else "csr"
    try:
        return _densify(stype, shape, values, aux)
    except (ValueError, IndexError) as e:
        raise cur.error(f"a consistent {kind} array as {what}", str(e), start) from e
    except MemoryError as e:
        raise MemoryError(
            f"{cur.name}: at offset {start}: {what} is a {kind} array of shape {shape}, and "
            f"recio, which has no sparse arrays, cannot allocate it dense ({dtype})"
        ) from e


def _densify(
    stype: int, shape: tuple[int, ...], values: npt.NDArray[Any], aux: list[npt.NDArray[Any]]
) -> npt.NDArray[Any]:
    """The dense array a row_sparse (1) or csr (2) array stands for; ValueError if inconsistent."""
    if any(a.dtype.kind not in "iu" for a in aux):
        raise ValueError(f"aux arrays must hold integers, not {[str(a.dtype) for a in aux]}")
    if stype == 1:
        (rows,) = aux
        if values.shape[1:] != shape[1:] or rows.shape != values.shape[:1]:
            raise ValueError(f"{rows.shape[0]} row indices for values of shape {values.shape}")
        if rows.size and (rows.min() < 0 or rows.max() >= shape[0]):
            raise ValueError(f"row indices {rows.tolist()} outside 0..{shape[0] - 1}")
        dense = np.zeros(shape, values.dtype)
        dense[rows] = values
        return dense
    indptr, indices = aux
    if len(shape) != 2 or indptr.shape != (shape[0] + 1,) or values.shape != indices.shape:
        raise ValueError(f"indptr {indptr.shape} and indices {indices.shape} for shape {shape}")
    if indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(f"indptr {indptr.tolist()} is not a CSR row pointer")
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr))
    dense = np.zeros(shape, values.dtype)
    dense[rows, indices] = values  # IndexError for a column out of range
    return dense


def _decode(buf: memoryview, name: str) -> Loaded:
    from recio.nd import NDArray  # here, not at the top: recio.nd imports this module

    cur = _Cursor(buf, name)
    magic, _reserved, count = cur.unpack(_LIST_HEAD, "the 24-byte header of an NDArray file")
    if magic != LIST_MAGIC:
        found = f"bytes {bytes(buf[:8]).hex(' ')}: this is not an MXNet NDArray file"
        raise cur.error(f"the magic 0x112 (bytes {_U64.pack(LIST_MAGIC).hex(' ')})", found, 0)
    arrays = [_read_array(cur, i).view(NDArray) for i in range(count)]
    start = cur.pos
    (num_names,) = cur.unpack(_U64, "the number of names")
    if num_names not in (0, count):
        raise cur.error(f"0 names (a list) or {count} (a dict)", str(num_names), start)
    names = []
    for i in range(num_names):
        (length,) = cur.unpack(_U64, f"the length of name {i}")
        raw = cur.take(length, f"name {i}")
        try:
            names.append(str(raw, "utf-8"))
        except UnicodeDecodeError as e:
            raise cur.error(f"name {i} in UTF-8", repr(bytes(raw)), cur.pos - length) from e
    # bytes after the names are ignored, as MXNet ignores them
    if not names:
        return arrays
    return dict(zip(names, arrays, strict=True))  # a repeated name keeps its last array


def load_frombuffer(buf: bytes | bytearray | memoryview) -> Loaded:
    """What ``mx.nd.load_frombuffer(buf)`` returns, as recio NDArrays (see :func:`load`)."""
    if isinstance(buf, str):
        raise TypeError("load_frombuffer needs bytes (the file's contents), not str")
    return _decode(memoryview(buf).cast("B"), "<buffer>")


def load(fname: str | os.PathLike[str]) -> Loaded:
    """The arrays ``mx.nd.load(fname)`` returns: a list, or a dict when the file names them.

    Arrays come back as recio NDArrays (copies, writable, native byte order);
    sparse arrays come back dense. A file that is not an NDArray file, is
    truncated or corrupt raises :class:`NDArrayFileError` naming file and offset.
    """
    uri = os.fspath(fname)
    source = _storage.open_read(uri)
    try:
        data = source.read_at(0, source.size)
    finally:
        source.close()
    return _decode(memoryview(data), uri)
