"""recio._ndfile, MXNet's NDArray file format, without MXNet.

Golden files written by MXNet 1.9.1 (tests/golden/ndfile/) must load to what
their manifest lists, and saving the same arrays must give the same bytes.
Hypothesis round trips cover every dtype and shape; older layouts, sparse
arrays and every kind of corrupt file are built by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from recio import _ndfile
from recio._ndfile import BFLOAT16, NDArrayFileError
from recio.nd import NDArray

GOLDEN = Path(__file__).resolve().parent / "golden" / "ndfile"
MANIFEST: dict[str, Any] = json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8"))
FILES: dict[str, dict[str, Any]] = MANIFEST["files"]
DTYPES = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]


def dtype_of(name: str) -> np.dtype[Any]:
    return BFLOAT16 if name == "bfloat16" else np.dtype(name)


def items(loaded: Any) -> list[tuple[Any, Any]]:
    return list(loaded.items()) if isinstance(loaded, dict) else [(None, v) for v in loaded]


def assert_same(ours: Any, theirs: Any) -> None:
    """Same container kind, keys, dtypes, shapes and bits."""
    assert type(ours) is type(theirs)
    assert [k for k, _ in items(ours)] == [k for k, _ in items(theirs)]
    for (_, a), (_, b) in zip(items(ours), items(theirs), strict=True):
        assert isinstance(a, NDArray)
        assert (a.dtype, a.shape) == (np.asarray(b).dtype, np.asarray(b).shape)
        assert a.tobytes() == np.ascontiguousarray(b).tobytes()


# -- golden files written by MXNet 1.9.1 ------------------------------------------------------


def golden_expected(spec: dict[str, Any]) -> Any:
    arrays = []
    for entry in spec["arrays"]:
        dtype = dtype_of(entry["dtype"])
        raw = np.frombuffer(bytes.fromhex(entry["hex"]), dtype=dtype)
        arrays.append((entry.get("key"), raw.reshape(entry["shape"])))
    if spec["container"] == "dict":
        return dict(arrays)
    return [a for _, a in arrays]


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_file_loads_as_manifest_says(name: str) -> None:
    spec = FILES[name]
    data = (GOLDEN / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == spec["sha256"]
    loaded = _ndfile.load(GOLDEN / name)
    assert_same(loaded, golden_expected(spec))
    assert_same(_ndfile.load_frombuffer(data), golden_expected(spec))


@pytest.mark.parametrize("name", sorted(n for n, spec in FILES.items() if spec["byte_exact"]))
def test_saving_golden_arrays_gives_mxnet_bytes(name: str, tmp_path: Path) -> None:
    data = (GOLDEN / name).read_bytes()
    arrays = golden_expected(FILES[name])
    assert _ndfile.dumps(arrays) == data
    _ndfile.save(tmp_path / name, arrays)
    assert (tmp_path / name).read_bytes() == data


def test_image_record_iter_mean_img() -> None:
    """ImageRecordIter saves {"mean_img": float32 (C, H, W)}; here data_shape (3, 4, 5)."""
    loaded = _ndfile.load(str(GOLDEN / "mean.bin"))
    assert isinstance(loaded, dict) and list(loaded) == ["mean_img"]
    mean = loaded["mean_img"]
    assert mean.dtype == np.float32 and mean.shape == (3, 4, 5)
    assert mean[2, :, 0].tolist() == [1.5, 41.5, 81.5, 121.5]  # B channel 40y + i, i = 0..3


def test_layout_of_a_small_dict() -> None:
    """The bytes, field by field (see the diagram at the top of recio/_ndfile.py)."""
    got = _ndfile.dumps({"w": np.array([[1, 2]], dtype=np.uint8)})
    want = (
        "1201000000000000 0000000000000000 0100000000000000"  # list magic, reserved, 1 array
        " c9fa93f9 00000000"  # V2 magic, stype 0 (dense)
        " 02000000 0100000000000000 0200000000000000"  # ndim 2, dims 1, 2
        " 01000000 00000000 03000000 0102"  # cpu(0), type flag 3 (uint8), data
        " 0100000000000000 0100000000000000 77"  # 1 name: length 1, "w"
    )
    assert got == bytes.fromhex(want.replace(" ", ""))


# -- round trips ------------------------------------------------------------------------------

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
arrays = st.one_of(
    st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(np.dtype(dt), shapes)),
    hnp.arrays(np.uint16, shapes).map(lambda a: a.view(BFLOAT16)),
)
keys = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"))
containers = st.one_of(
    st.lists(arrays, max_size=5),
    st.dictionaries(keys, arrays, max_size=5),
)


@settings(max_examples=200)
@given(data=containers)
def test_round_trip(data: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("rt") / "x.nd"
    _ndfile.save(path, data)
    want = [] if data == {} else data  # an empty dict is written as an empty list, as MXNet does
    assert_same(_ndfile.load(path), want)
    assert_same(_ndfile.load_frombuffer(path.read_bytes()), want)


@given(array=arrays)
def test_single_array_is_a_list_of_one(array: np.ndarray) -> None:
    assert _ndfile.dumps(array) == _ndfile.dumps([array])
    assert_same(_ndfile.load_frombuffer(_ndfile.dumps(array)), [array])


@given(array=hnp.arrays(st.sampled_from(DTYPES).map(np.dtype), shapes))
def test_layout_of_the_input_does_not_matter(array: np.ndarray) -> None:
    """Fortran order, strided views and big-endian dtypes save as C-order little-endian."""
    want = _ndfile.dumps([array])
    assert _ndfile.dumps([np.array(array, order="F")]) == want  # asfortranarray makes 0-d 1-d
    assert _ndfile.dumps([array.astype(array.dtype.newbyteorder(">"))]) == want
    doubled = np.repeat(array[..., None], 2, axis=-1)[..., 0]  # a non-contiguous view
    assert _ndfile.dumps([doubled]) == want


def test_loaded_arrays_are_owned_writable_and_aligned() -> None:
    buf = bytearray(_ndfile.dumps([np.array([1], np.uint8), np.arange(3, dtype=np.float64)]))
    loaded = _ndfile.load_frombuffer(buf)
    assert isinstance(loaded, list)
    for array in loaded:
        assert array.flags.writeable and array.flags.aligned and array.flags.c_contiguous
        assert not np.shares_memory(array, np.frombuffer(buf, np.uint8))
    buf[:] = bytes(len(buf))
    assert loaded[1].tolist() == [0.0, 1.0, 2.0]


def test_recio_ndarrays_save(tmp_path: Path) -> None:
    from recio import nd

    _ndfile.save(str(tmp_path / "a.nd"), {"x": nd.ones((2, 3)), "y": nd.array([1, 2])})
    loaded = _ndfile.load(tmp_path / "a.nd")
    assert isinstance(loaded, dict) and loaded["x"].asnumpy().tolist() == [[1.0] * 3] * 2


def test_remote_url_through_fsspec() -> None:
    _ndfile.save("memory://ndfile/test.nd", {"a": np.arange(4, dtype=np.int32)})
    loaded = _ndfile.load("memory://ndfile/test.nd")
    assert isinstance(loaded, dict) and loaded["a"].tolist() == [0, 1, 2, 3]


# -- hand-built files: older layouts, odd but valid fields, sparse arrays ---------------------

HEAD = struct.Struct("<QQQ")
F32 = struct.pack("<4f", 1.5, -2.0, 0.25, 8.0)


def names(*keys: bytes) -> bytes:
    return struct.pack("<Q", len(keys)) + b"".join(struct.pack("<Q", len(k)) + k for k in keys)


def shape(*dims: int) -> bytes:
    return struct.pack(f"<i{len(dims)}q", len(dims), *dims)


def dense(magic: int, dims: bytes, flag: int, data: bytes, ctx: tuple[int, int] = (1, 0)) -> bytes:
    stype = struct.pack("<i", 0) if magic in (0xF993FAC9, 0xF993FACA) else b""
    return struct.pack("<I", magic) + stype + dims + struct.pack("<iii", *ctx, flag) + data


def file(*arrays: bytes, keys: tuple[bytes, ...] = (), reserved: int = 0) -> bytes:
    return HEAD.pack(0x112, reserved, len(arrays)) + b"".join(arrays) + names(*keys)


def test_older_and_newer_array_versions() -> None:
    pre_v1 = struct.pack("<3I", 2, 2, 2) + struct.pack("<iii", 1, 0, 0) + F32
    buf = file(
        pre_v1,
        dense(0xF993FAC8, shape(4), 0, F32),  # V1
        dense(0xF993FAC9, shape(1, 4), 0, F32),  # V2
        dense(0xF993FACA, shape(), 1, struct.pack("<d", 0.5)),  # V3 scalar
        dense(0xF993FAC9, shape(), 6, struct.pack("<q", -7)),  # V2 scalar (MXNet can't read it)
    )
    loaded = _ndfile.load_frombuffer(buf)
    assert isinstance(loaded, list)
    assert [a.shape for a in loaded] == [(2, 2), (4,), (1, 4), (), ()]
    assert loaded[0].ravel().tolist() == loaded[1].tolist() == [1.5, -2.0, 0.25, 8.0]
    assert loaded[3].item() == 0.5 and loaded[4].item() == -7


def test_context_reserved_and_trailing_bytes_are_ignored() -> None:
    gpu = dense(0xF993FAC9, shape(4), 0, F32, ctx=(2, 5))
    loaded = _ndfile.load_frombuffer(file(gpu, keys=(b"g",), reserved=9) + b"trailing")
    assert isinstance(loaded, dict) and loaded["g"].tolist() == [1.5, -2.0, 0.25, 8.0]


def test_repeated_name_keeps_the_last_array_at_the_first_place() -> None:
    one, two = (dense(0xF993FAC9, shape(1), 3, bytes([v])) for v in (1, 2))
    loaded = _ndfile.load_frombuffer(file(one, two, one, keys=(b"a", b"b", b"a")))
    assert isinstance(loaded, dict)
    assert list(loaded) == ["a", "b"] and loaded["a"].tolist() == [1]


def row_sparse(rows: list[int], values: np.ndarray, dense_shape: tuple[int, ...]) -> bytes:
    return (
        struct.pack("<Ii", 0xF993FAC9, 1)
        + shape(*values.shape)
        + shape(*dense_shape)
        + struct.pack("<iii", 1, 0, 0)
        + struct.pack("<i", 6)
        + shape(len(rows))
        + values.astype("<f4").tobytes()
        + np.array(rows, "<i8").tobytes()
    )


def csr(indptr: list[int], indices: list[int], values: list[float], cols: int) -> bytes:
    return (
        struct.pack("<Ii", 0xF993FAC9, 2)
        + shape(len(values))
        + shape(len(indptr) - 1, cols)
        + struct.pack("<iii", 1, 0, 1)
        + struct.pack("<i", 6)
        + shape(len(indptr))
        + struct.pack("<i", 4)
        + shape(len(indices))
        + np.array(values, "<f8").tobytes()
        + np.array(indptr, "<i8").tobytes()
        + np.array(indices, "<i4").tobytes()
    )


def test_sparse_arrays_load_dense() -> None:
    buf = file(
        row_sparse([3, 0], np.array([[1, 2], [3, 4]]), (4, 2)),
        csr([0, 1, 1, 3], [2, 0, 1], [5.0, 6.0, 7.0], 3),
        row_sparse([], np.zeros((0, 2)), (3, 2)),
    )
    loaded = _ndfile.load_frombuffer(buf)
    assert isinstance(loaded, list)
    assert loaded[0].dtype == np.float32 and loaded[0].tolist() == [[3, 4], [0, 0], [0, 0], [1, 2]]
    assert loaded[1].dtype == np.float64 and loaded[1].tolist() == [[0, 0, 5], [0, 0, 0], [6, 7, 0]]
    assert loaded[2].tolist() == [[0, 0]] * 3


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (row_sparse([4], np.ones((1, 2)), (4, 2)), r"row indices \[4\] outside 0\.\.3"),
        (row_sparse([0], np.ones((1, 3)), (4, 2)), "row indices for values of shape"),
        (csr([0, 2, 1], [0, 1], [1.0, 2.0], 2), "is not a CSR row pointer"),
        (csr([0, 1, 2], [0, 2], [1.0, 2.0], 2), "index 2 is out of bounds"),
        (csr([0, 1], [0, 0], [1.0, 2.0], 2), "is not a CSR row pointer"),
    ],
)
def test_inconsistent_sparse_arrays(array: bytes, message: str) -> None:
    with pytest.raises(NDArrayFileError, match=f"at offset 24: expected a consistent .*{message}"):
        _ndfile.load_frombuffer(file(array))


def test_sparse_array_too_big_to_load_dense() -> None:
    huge = row_sparse([], np.zeros((0, 1)), (2**50, 1))  # 4 PiB of float32 when dense
    with pytest.raises(MemoryError, match="at offset 24: array 0 is a row_sparse array of shape"):
        _ndfile.load_frombuffer(file(huge))


# -- bad files --------------------------------------------------------------------------------

V2 = 0xF993FAC9
BAD_FILES = {
    "empty": (b"", 0, "the 24-byte header of an NDArray file .24 bytes., found 0 bytes"),
    "recordio": (
        (Path(__file__).parent / "golden" / "images.rec").read_bytes(),
        0,
        "the magic 0x112 .* found bytes 0a 23 d7 ce .*: this is not an MXNet NDArray file",
    ),
    "type flag 8": (file(dense(V2, shape(1), 8, b"\0\0")), 52, "found 8 .int16, which MXNet"),
    "type flag 99": (file(dense(V2, shape(1), 99, b"\0")), 52, "type flag 0-7 or 12 .*found 99"),
    "storage type 5": (file(struct.pack("<Ii", V2, 5)), 28, "storage type of array 0: 0 "),
    "bad magic": (file(struct.pack("<I", 0x12345678)), 24, "magic of array 0 .*found 12345678"),
    "ndim -1": (
        file(struct.pack("<Iii", V2, 0, -1)),
        32,
        r"ndim 0\.\.64, dims >= 0, found ndim -1",
    ),
    "ndim 65": (file(struct.pack("<Iii", V2, 0, 65)), 32, "found ndim 65"),
    "dim -1": (file(dense(V2, shape(2, -1), 0, b"")), 32, r"found \(2, -1\)"),
    "too big": (file(dense(V2, shape(0, 2**62), 0, b"")), 64, "a shape numpy can hold"),
    "names": (
        file(dense(V2, shape(1), 3, b"\1"), dense(V2, shape(1), 3, b"\2"), keys=(b"a",)),
        90,
        "0 names .a list. or 2 .a dict., found 1",
    ),
    "utf-8": (file(dense(V2, shape(1), 3, b"\1"), keys=(b"\xff",)), 73, r"name 0 in UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files(name: str, tmp_path: Path) -> None:
    data, offset, message = BAD_FILES[name]
    path = tmp_path / "bad.nd"
    path.write_bytes(data)
    with pytest.raises(
        NDArrayFileError, match=f"^{re.escape(str(path))}: at offset {offset}: expected "
    ) as info:
        _ndfile.load(path)
    assert info.value.path == str(path) and info.value.offset == offset
    assert isinstance(info.value, OSError)
    with pytest.raises(NDArrayFileError, match=message):
        _ndfile.load_frombuffer(data)


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_truncation_of_a_golden_file_raises(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    for end in range(len(data)):
        with pytest.raises(NDArrayFileError, match="the file is truncated") as info:
            _ndfile.load_frombuffer(data[:end])
        assert info.value.offset is not None and info.value.offset <= end


@settings(max_examples=300)
@given(
    name=st.sampled_from(["dtypes.nd", "mean.bin", "scalar.nd", "np_shape.nd"]),
    edits=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4
    ),
)
def test_corrupted_bytes_load_or_raise_the_format_error(
    name: str, edits: list[tuple[int, int]]
) -> None:
    """Whatever bytes change, load returns arrays or raises NDArrayFileError, nothing else."""
    data = bytearray((GOLDEN / name).read_bytes())
    for where, value in edits:
        data[where % len(data)] = value
    with contextlib.suppress(NDArrayFileError):
        _ndfile.load_frombuffer(data)


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        _ndfile.load("/nonexistent/dir/x.nd")


# -- bad input to save -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ((np.zeros(1),), ValueError, "not a tuple"),
        ({1: np.zeros(1)}, TypeError, "dict keys of type str, not 1"),
        ({"a\0b": np.zeros(1)}, ValueError, "NUL"),
        ([np.zeros(1), [1.0]], TypeError, "item 1 of the list is a list"),
        ({"k": 3.0}, TypeError, "the value of key 'k' is a float"),
        ([np.zeros(2, np.int16)], TypeError, "item 0 of the list has dtype int16"),
        ([np.zeros(2, np.uint64)], TypeError, "has dtype uint64"),
        ([np.zeros(2, np.complex64)], TypeError, "has dtype complex64"),
        ([np.array(["a"])], TypeError, "has dtype <U1"),
        ([np.array([None])], TypeError, "has dtype object"),
    ],
)
def test_save_rejects(data: Any, error: type[Exception], message: str, tmp_path: Path) -> None:
    with pytest.raises(error, match=message):
        _ndfile.save(tmp_path / "x.nd", data)
    assert not (tmp_path / "x.nd").exists()  # checked before the file is opened


def test_load_frombuffer_needs_bytes() -> None:
    with pytest.raises(TypeError, match="not str"):
        _ndfile.load_frombuffer("abc")  # type: ignore[arg-type]
    assert _ndfile.load_frombuffer(memoryview(_ndfile.dumps([]))) == []
