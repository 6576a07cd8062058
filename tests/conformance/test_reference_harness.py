"""The differential-testing harness itself: values cross intact, errors come back, no hangs."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from _reference import HarnessError, MXNetReference, ReferenceCallError


def test_server_runs_mxnet_1_9_1_with_numpy_1(mxnet_ref: MXNetReference) -> None:
    assert mxnet_ref.info["mxnet"] == "1.9.1"
    assert mxnet_ref.info["numpy"].startswith("1.")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        np.array([1, 2, 3], dtype=">i4"),
        np.zeros((0, 3), dtype=np.uint8),
        np.array([True, False]),
        np.arange(6, dtype=np.uint16).reshape(2, 3)[:, ::2],  # not contiguous
        np.array([(1, 2.5)], dtype=[("a", "<i4"), ("b", "<f8")]),
    ],
)
def test_arrays_cross_both_ways(mxnet_ref: MXNetReference, array: np.ndarray) -> None:
    got = mxnet_ref.exec("result = (x, x.dtype, x.shape, np.__version__)", x=array)
    back, dtype, shape, version = got
    assert version.startswith("1.")
    assert dtype == array.dtype
    assert shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert back.dtype == array.dtype


def test_scalars_namedtuples_and_ndarrays(mxnet_ref: MXNetReference) -> None:
    point = collections.namedtuple("Point", "x y")(np.float32(1.5), [np.int64(2)])
    got = mxnet_ref.exec(
        "result = (p, type(p.x).__name__, mx.nd.array([1, 2]), np.float64(0.25))", p=point
    )
    p, xtype, nd, scalar = got
    assert (p.x, p.y, type(p).__name__, p._fields) == (1.5, [2], "Point", ("x", "y"))
    assert isinstance(p.x, np.float32)
    assert xtype == "float32"
    np.testing.assert_array_equal(nd, np.array([1, 2], dtype=np.float32))
    assert isinstance(scalar, np.float64)


def test_exec_returns_several_names(mxnet_ref: MXNetReference) -> None:
    got = mxnet_ref.exec("a = n + 1\nb = str(n)", results=("a", "b"), n=41)
    assert got == {"a": 42, "b": "41"}


def test_prints_do_not_corrupt_the_protocol(mxnet_ref: MXNetReference) -> None:
    code = "import os, sys\nprint('noise' * 1000)\nos.write(1, b'raw fd noise')\nresult = 7"
    assert mxnet_ref.exec(code) == 7
    assert mxnet_ref.exec("result = 8") == 8


def test_reference_exceptions_come_back(mxnet_ref: MXNetReference) -> None:
    with pytest.raises(ReferenceCallError) as info:
        mxnet_ref.exec("result = {}['missing']")
    assert info.value.name == "KeyError"
    assert info.value.type == "builtins.KeyError"
    assert "LookupError" in info.value.mro
    assert info.value.message == "'missing'"
    outcome = mxnet_ref.outcome("recordio.read_records", "/nonexistent/file.rec")
    assert outcome.error == "MXNetError"
    assert "No such file or directory" in outcome.message


def test_unknown_function_is_an_error_not_a_hang(mxnet_ref: MXNetReference) -> None:
    with pytest.raises(ReferenceCallError, match="AttributeError"):
        mxnet_ref.call("recordio.no_such_function")
    with pytest.raises(ReferenceCallError, match="ModuleNotFoundError"):
        mxnet_ref.call("no_such_module.f")


def test_hung_server_times_out_and_is_restarted(mxnet_ref: MXNetReference) -> None:
    ref = MXNetReference(mxnet_ref.python, timeout=2)
    try:
        with pytest.raises(HarnessError, match="timed out"):
            ref.exec("import time\ntime.sleep(30)")
        assert ref.exec("result = 1") == 1  # a fresh server
    finally:
        ref.stop()


def test_crashed_server_is_reported_and_restarted(mxnet_ref: MXNetReference) -> None:
    ref = MXNetReference(mxnet_ref.python, timeout=20)
    try:
        with pytest.raises(HarnessError, match="died"):
            ref.exec("import os\nos._exit(3)")
        assert ref.exec("result = 2") == 2
    finally:
        ref.stop()


def test_missing_reference_python_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(HarnessError, match="make reference"):
        MXNetReference("/nonexistent/python")
