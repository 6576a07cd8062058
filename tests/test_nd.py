"""mx.nd: numpy arrays that answer MXNet's NDArray methods."""

from __future__ import annotations

import numpy as np

from recio import mx


def test_constructors_default_to_float32() -> None:
    assert mx.nd.array([1, 2, 3]).dtype == np.float32
    assert mx.nd.array(np.arange(3, dtype=np.float64)).dtype == np.float32  # as MXNet
    assert mx.nd.array(np.arange(3), dtype=np.int64).dtype == np.int64
    assert mx.nd.zeros((2, 3)).dtype == np.float32
    assert mx.nd.ones((2,), dtype="uint8").dtype == np.uint8
    assert mx.nd.empty((4, 1)).shape == (4, 1)


def test_ndarray_methods() -> None:
    a = mx.nd.ones((2, 2))
    a.wait_to_read()
    assert type(a.asnumpy()) is np.ndarray
    np.testing.assert_array_equal(a.asnumpy(), np.ones((2, 2)))
    assert a.context == mx.cpu() and repr(a.context) == "cpu(0)"
    assert mx.nd.array([7]).asscalar() == 7
    assert isinstance(a + 1, np.ndarray)
    np.testing.assert_array_equal(mx.nd.concat(a, a, dim=0), np.ones((4, 2)))
