"""recio's NDArray files (recio._ndfile) against MXNet 1.9.1's mx.nd.save / mx.nd.load.

For hypothesis-generated arrays of every dtype MXNet saves (0-d and empty shapes
among them) in lists and dicts: both sides write the same bytes, each loads what
the other wrote bit for bit, and files built by hand in the older layouts (V1,
before V1) or with odd but valid fields load the same on both sides. Corrupt
files fail on both sides. The deliberate differences are pinned on both sides:
a 0-d array that MXNet writes but cannot load, and V3 files, which MXNet only
loads under np_shape(True) and recio always loads.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from recio import _ndfile
from recio._ndfile import BFLOAT16, NDArrayFileError

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

FAST = settings(max_examples=60, deadline=None)
NUMERIC = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]


def arrays(min_dims: int = 0) -> st.SearchStrategy[np.ndarray]:
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=0, max_side=4)
    numeric = st.sampled_from(NUMERIC).flatmap(lambda dt: hnp.arrays(np.dtype(dt), shapes))
    bf16 = hnp.arrays(np.uint16, shapes).map(lambda a: a.view(BFLOAT16))
    return st.one_of(numeric, bf16)


names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), max_size=12)


def containers(min_dims: int = 0) -> st.SearchStrategy[tuple[list[np.ndarray], list[str] | None]]:
    """(arrays, names): a list when names is None, else a dict in that key order."""
    as_list = st.lists(arrays(min_dims), max_size=5).map(lambda a: (a, None))
    as_dict = st.lists(names, unique=True, max_size=5).flatmap(
        lambda keys: st.tuples(
            st.lists(arrays(min_dims), min_size=len(keys), max_size=len(keys)), st.just(keys)
        )
    )
    return st.one_of(as_list, as_dict)


def as_data(arrs: list[np.ndarray], keys: list[str] | None) -> Any:
    return arrs if keys is None else dict(zip(keys, arrs, strict=True))


def described(loaded: Any) -> tuple[str, list[tuple[str | None, np.ndarray]]]:
    if isinstance(loaded, dict):
        return "dict", list(loaded.items())
    return "list", [(None, v) for v in loaded]


def shapes(arrs: list[np.ndarray]) -> list[tuple[int, ...]]:
    """Sent beside the arrays: the wire turns a 0-d array into shape (1,)."""
    return [a.shape for a in arrs]


def from_ref(described: tuple[str, list[Any]]) -> tuple[str, list[tuple[Any, np.ndarray]]]:
    """nd_file.load's answer with each array given back its shape."""
    kind, items = described
    return kind, [(k, np.asarray(a).reshape(s)) for k, a, s in items]


def assert_same_arrays(ours: list[tuple[Any, Any]], theirs: list[tuple[Any, Any]]) -> None:
    """Same keys, dtypes, shapes and bits, in the same order."""
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes()


def expected(arrs: list[np.ndarray], keys: list[str] | None) -> tuple[str, list[Any]]:
    """How a load of saved `arrs` looks: an empty dict loads as an empty list, as in MXNet."""
    kind = "dict" if keys else "list"
    return kind, list(zip(keys or [None] * len(arrs), arrs, strict=True))


@contextmanager
def workdir() -> Iterator[Path]:
    """A fresh directory per hypothesis example (tmp_path is shared by all examples)."""
    with tempfile.TemporaryDirectory(prefix="recio-ndfile-") as name:
        yield Path(name)


# -- both sides write the same bytes and read each other's files -----------------------------


@FAST
@given(data=containers())
def test_same_bytes_as_mxnet(mxnet_ref: MXNetReference, data: Any) -> None:
    arrs, keys = data
    assert _ndfile.dumps(as_data(arrs, keys)) == mxnet_ref.call(
        "nd_file.dumps", arrs, shapes(arrs), keys
    )


@FAST
@given(data=containers(min_dims=1))  # MXNet cannot load a 0-d array: see the test below
def test_mxnet_loads_what_recio_saves(mxnet_ref: MXNetReference, data: Any) -> None:
    arrs, keys = data
    with workdir() as tmp:
        path = tmp / "recio.nd"
        _ndfile.save(path, as_data(arrs, keys))
        kind, items = from_ref(mxnet_ref.call("nd_file.load", str(path)))
    want_kind, want = expected(arrs, keys)
    assert kind == want_kind
    assert_same_arrays(items, want)


@FAST
@given(data=containers())
def test_recio_loads_what_mxnet_saves(mxnet_ref: MXNetReference, data: Any) -> None:
    arrs, keys = data
    with workdir() as tmp:
        path = tmp / "mxnet.nd"
        mxnet_ref.call("nd_file.save", str(path), arrs, shapes(arrs), keys)
        kind, items = described(_ndfile.load(path))
    want_kind, want = expected(arrs, keys)
    assert kind == want_kind
    assert_same_arrays(items, want)


@settings(max_examples=20, deadline=None)
@given(array=arrays())
def test_single_array_saves_as_a_list_of_one(mxnet_ref: MXNetReference, array: np.ndarray) -> None:
    with workdir() as tmp:
        mxnet_ref.call("nd_file.save_single", str(tmp / "mxnet.nd"), array, array.shape)
        _ndfile.save(tmp / "recio.nd", array)
        assert (tmp / "recio.nd").read_bytes() == (tmp / "mxnet.nd").read_bytes()
        assert_same_arrays(described(_ndfile.load(tmp / "mxnet.nd"))[1], [(None, array)])


def test_empty_dict_loads_as_an_empty_list(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    for data, keys in (([], None), ([], [])):
        assert _ndfile.dumps(as_data(data, keys)) == mxnet_ref.call("nd_file.dumps", [], [], keys)
    _ndfile.save(tmp_path / "empty.nd", {})
    assert mxnet_ref.call("nd_file.load", str(tmp_path / "empty.nd")) == ("list", [])
    assert _ndfile.load(tmp_path / "empty.nd") == []


def test_sparse_arrays_load_dense(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = tmp_path / "sparse.nd"
    mxnet_ref.call("nd_file.save_sparse", str(path))
    kind, theirs = from_ref(mxnet_ref.call("nd_file.load", str(path)))
    ours = described(_ndfile.load(path))
    assert ours[0] == kind == "list"
    assert_same_arrays(ours[1], theirs)


@pytest.mark.parametrize(("data_shape", "count"), [((3, 4, 5), 3), ((1, 6, 2), 2), ((3, 1, 1), 5)])
def test_image_record_iter_mean_img(
    mxnet_ref: MXNetReference, tmp_path: Path, data_shape: tuple[int, int, int], count: int
) -> None:
    """ImageRecordIter saves its mean image as {"mean_img": float32 array of data_shape}."""
    path = mxnet_ref.call("nd_file.mean_img", str(tmp_path), data_shape, count, 7)
    ours = _ndfile.load(path)
    assert isinstance(ours, dict) and list(ours) == ["mean_img"]
    assert ours["mean_img"].dtype == np.float32 and ours["mean_img"].shape == data_shape
    assert_same_arrays(list(ours.items()), from_ref(mxnet_ref.call("nd_file.load", path))[1])
    assert _ndfile.dumps(ours) == Path(path).read_bytes()


# -- hand-built files: older layouts and odd but valid fields ---------------------------------

HEAD = struct.Struct("<QQQ")


def names_bytes(keys: list[bytes]) -> bytes:
    return struct.pack("<Q", len(keys)) + b"".join(struct.pack("<Q", len(k)) + k for k in keys)


def v2(shape: tuple[int, ...], flag: int, data: bytes, ctx: tuple[int, int] = (1, 0)) -> bytes:
    dims = struct.pack(f"<i{len(shape)}q", len(shape), *shape)
    return struct.pack("<Ii", 0xF993FAC9, 0) + dims + struct.pack("<iii", *ctx, flag) + data


def v1(shape: tuple[int, ...], flag: int, data: bytes) -> bytes:
    dims = struct.pack(f"<i{len(shape)}q", len(shape), *shape)
    return struct.pack("<I", 0xF993FAC8) + dims + struct.pack("<iii", 1, 0, flag) + data


def pre_v1(shape: tuple[int, ...], flag: int, data: bytes) -> bytes:
    dims = struct.pack(f"<I{len(shape)}I", len(shape), *shape)
    return dims + struct.pack("<iii", 1, 0, flag) + data


F32 = struct.pack("<4f", 1.5, -2.0, 0.25, 8.0)
I64 = struct.pack("<3q", -1, 0, 2**62)
HAND_BUILT = {
    "v1": HEAD.pack(0x112, 0, 2) + v1((2, 2), 0, F32) + v1((3,), 6, I64) + names_bytes([]),
    "pre_v1": HEAD.pack(0x112, 0, 2)
    + pre_v1((1, 4), 0, F32)
    + pre_v1((3,), 6, I64)
    + names_bytes([b"a", b"b"]),
    "mixed_versions": HEAD.pack(0x112, 0, 3)
    + pre_v1((4,), 0, F32)
    + v1((3, 1), 6, I64)
    + v2((2, 2), 0, F32)
    + names_bytes([]),
    "gpu_context": HEAD.pack(0x112, 0, 1) + v2((4,), 0, F32, ctx=(2, 3)) + names_bytes([]),
    "reserved_and_trailing": HEAD.pack(0x112, 7, 1)
    + v2((2, 2), 0, F32)
    + names_bytes([b"w"])
    + b"trailing bytes",
    "repeated_name": HEAD.pack(0x112, 0, 3)
    + v2((4,), 0, F32)
    + v2((3,), 6, I64)
    + v2((1,), 3, b"\x07")
    + names_bytes([b"x", b"y", b"x"]),
    "utf8_names": HEAD.pack(0x112, 0, 1) + v2((4,), 0, F32) + names_bytes(["é/ü".encode()]),
    "bfloat16": HEAD.pack(0x112, 0, 1) + v2((2,), 12, b"\xc0\x3f\x80\xff") + names_bytes([]),
    "empty_dims": HEAD.pack(0x112, 0, 2)
    + v2((0, 3), 4, b"")
    + v2((2, 0), 7, b"")
    + names_bytes([]),
}


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_hand_built_files_load_the_same(mxnet_ref: MXNetReference, name: str) -> None:
    buf = HAND_BUILT[name]
    kind, theirs = from_ref(mxnet_ref.call("nd_file.loads", buf))
    ours = described(_ndfile.load_frombuffer(buf))
    assert ours[0] == kind
    assert_same_arrays(ours[1], theirs)


# -- corrupt files fail on both sides ----------------------------------------------------------

SMALL = HEAD.pack(0x112, 0, 2) + v2((2, 2), 0, F32) + v2((3,), 6, I64) + names_bytes([b"a", b"b"])


def test_every_truncation_fails_on_both_sides(mxnet_ref: MXNetReference) -> None:
    for end in range(len(SMALL)):
        theirs = mxnet_ref.outcome("nd_file.loads", SMALL[:end])
        assert theirs.raised("MXNetError"), end
        with pytest.raises(NDArrayFileError, match=r"^<buffer>: at offset ") as info:
            _ndfile.load_frombuffer(SMALL[:end])
        assert info.value.offset is not None and info.value.offset <= end


CORRUPT = {
    "not_an_nd_file": b"\x0a\x23\xd7\xce" + bytes(40),
    "empty": b"",
    "type_flag_8_int16": HEAD.pack(0x112, 0, 1) + v2((2,), 8, bytes(4)) + names_bytes([]),
    "type_flag_13": HEAD.pack(0x112, 0, 1) + v2((2,), 13, bytes(8)) + names_bytes([]),
    "type_flag_negative": HEAD.pack(0x112, 0, 1) + v2((2,), -1, bytes(8)) + names_bytes([]),
    "storage_type_3": HEAD.pack(0x112, 0, 1)
    + struct.pack("<Iii", 0xF993FAC9, 3, 0)
    + names_bytes([]),
    "names_count_mismatch": HEAD.pack(0x112, 0, 2)
    + v2((4,), 0, F32)
    + v2((4,), 0, F32)
    + names_bytes([b"only_one"]),
    "ndim_minus_one": HEAD.pack(0x112, 0, 1)
    + struct.pack("<Iii", 0xF993FAC9, 0, -1)
    + names_bytes([]),
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_files_fail_on_both_sides(mxnet_ref: MXNetReference, name: str) -> None:
    buf = CORRUPT[name]
    assert mxnet_ref.outcome("nd_file.loads", buf).raised("MXNetError")
    with pytest.raises(NDArrayFileError, match=r"<buffer>: at offset \d+: expected "):
        _ndfile.load_frombuffer(buf)


# -- the deliberate differences, pinned on both sides -------------------------------------------


def test_zero_dim_array_mxnet_writes_but_cannot_load(mxnet_ref: MXNetReference) -> None:
    """MXNet's V2 reader takes ndim 0 as "no array" and loses its place; recio reads the scalar."""
    scalar = np.array(2.5, dtype=np.float64)
    arrs = [scalar, np.arange(3, dtype=np.int32)]
    buf = mxnet_ref.call("nd_file.dumps", arrs, shapes(arrs), None)
    assert buf == _ndfile.dumps([scalar, np.arange(3, dtype=np.int32)])
    assert mxnet_ref.outcome("nd_file.loads", buf).raised("MXNetError")
    loaded = _ndfile.load_frombuffer(buf)
    assert isinstance(loaded, list)
    assert loaded[0].shape == () and loaded[0].item() == 2.5
    assert loaded[1].tolist() == [0, 1, 2]


def test_v3_file_mxnet_loads_only_under_np_shape(mxnet_ref: MXNetReference) -> None:
    buf = mxnet_ref.exec(
        "import os, tempfile\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    p = os.path.join(d, 'v3.nd')\n"
        "    with mx.util.np_shape(True):\n"
        "        mx.nd.save(p, {'s': mx.nd.array(np.array(1.5)), 'e': mx.nd.zeros((0, 2))})\n"
        "    result = open(p, 'rb').read()\n"
    )
    assert buf[24:28] == struct.pack("<I", 0xF993FACA)
    assert mxnet_ref.outcome("nd_file.loads", buf).raised("MXNetError")
    loaded = _ndfile.load_frombuffer(buf)
    assert isinstance(loaded, dict) and list(loaded) == ["s", "e"]
    assert loaded["s"].shape == () and loaded["s"].item() == 1.5
    assert loaded["e"].shape == (0, 2) and loaded["e"].dtype == np.float32
