"""NDArrayIter: naming, dtypes, the three last-batch modes, shuffling, h5py and CSR input,
and exact resume from state_dict(). MXNet itself is compared in
tests/conformance/test_ndarray_iter_conformance.py; here a small model of the stream
(``model_epochs``) states the intended behaviour and hypothesis checks it broadly.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recio import mx
from recio._io.ndarray_iter import epoch_order
from recio.io import DataDesc, InvalidParameterError, NDArrayIter
from recio.nd import NDArray

from _iterchecks import assert_resumes_exactly

MODES = ("pad", "discard", "roll_over")


def model_epochs(n: int, bs: int, mode: str, orders: list[list[int]]) -> list[list[Any]]:
    """(rows, pad) of each batch of each epoch: the behaviour NDArrayIter implements.

    Each epoch reads the carried rows then its order; a short tail is padded from the
    start of the order, dropped, or carried into the next epoch.
    """
    carry: list[int] = []
    out = []
    for order in orders:
        stream = carry + order
        batches, pos = [], 0
        while pos + bs <= len(stream):
            batches.append((stream[pos : pos + bs], 0))
            pos += bs
        if mode == "pad" and pos < len(stream):
            rows = [order[p % n] for p in range(pos, pos + bs)]
            batches.append((rows, pos + bs - len(stream)))
            pos = len(stream)
        carry = stream[pos:] if mode == "roll_over" else []
        out.append(batches)
    return out


def observed(it: NDArrayIter, epochs: int) -> list[list[Any]]:
    out = []
    for epoch in range(epochs):
        if epoch:
            it.reset()
        out.append([(b.label[0].astype(int).tolist(), b.pad) for b in it])
    return out


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 23),
    bs=st.integers(1, 30),
    mode=st.sampled_from(MODES),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_matches_the_stream_model(n: int, bs: int, mode: str, shuffle: bool, seed: int) -> None:
    rows = np.arange(n)
    it = NDArrayIter(rows * 2.0, rows, bs, shuffle, mode, seed=seed)
    orders = [epoch_order(n, seed, e).tolist() if shuffle else list(range(n)) for e in range(4)]
    assert observed(it, 4) == model_epochs(n, bs, mode, orders)


def test_seed_doc_example_counts() -> None:
    """Seed 003: 10 rows in batches of 3 make 4 batches with pad, 3 with discard."""
    data = np.arange(40).reshape((10, 2, 2))
    labels = np.ones([10, 1])
    assert len(list(NDArrayIter(data, labels, 3, True, last_batch_handle="pad"))) == 4
    assert len(list(NDArrayIter(data, labels, 3, True, last_batch_handle="discard"))) == 3
    it = NDArrayIter(data, labels, 3, False, last_batch_handle="roll_over")
    assert len(list(it)) == 3
    it.reset()
    first = it.next()
    np.testing.assert_array_equal(first.data[0], data[[9, 0, 1]])
    assert first.pad == 0  # MXNet says 1 (the rolled-over row); see docs/notes


# -- names, descs, dtypes ----------------------------------------------------------------


def test_names_and_descs() -> None:
    it = NDArrayIter({"b": np.zeros((4, 3)), "a": np.ones((4, 2), np.int64)}, [np.zeros(4)] * 2, 2)
    assert [(d.name, d.shape) for d in it.provide_data] == [("a", (2, 2)), ("b", (2, 3))]
    assert [d.name for d in it.provide_label] == ["_0_softmax_label", "_1_softmax_label"]
    assert repr(it.provide_data[0]) == "DataDesc[a,(2, 2),<class 'numpy.float32'>,NCHW]"
    assert isinstance(it.provide_data[0], DataDesc)
    assert [name for name, _ in it.data] == ["a", "b"]
    it = NDArrayIter([np.zeros(3)] * 11)
    assert [d.name for d in it.provide_data][:3] == ["_0_data", "_10_data", "_1_data"]


def test_no_label() -> None:
    for label in (None, [], {}):
        it = NDArrayIter(np.zeros((5, 2)), label, 2)
        batch = it.next()
        assert it.provide_label == [] and batch.label == [] and it.getlabel() == []


def test_dtypes() -> None:
    """numpy input becomes float32 (mx.nd.array's default); NDArrays keep their dtype."""
    it = NDArrayIter(np.zeros((4, 2)), np.arange(4), 2)
    batch = it.next()
    assert batch.data[0].dtype == batch.label[0].dtype == np.float32
    assert it.provide_data[0].dtype is np.float32
    it = NDArrayIter(mx.nd.array(np.zeros((4, 2)), dtype="float64"), mx.nd.zeros(4, dtype="int32"))
    batch = it.next()
    assert (batch.data[0].dtype, batch.label[0].dtype) == (np.float64, np.int32)
    assert [d.dtype for d in it.provide_data + it.provide_label] == [np.float64, np.int32]
    assert isinstance(batch.data[0], NDArray)


def test_positional_and_string_parameters() -> None:
    it = NDArrayIter(np.zeros((6, 2)), None, "4", "False", "discard", "x", "y")
    assert it.batch_size == 4 and not it.shuffle and it.last_batch_handle == "discard"
    assert it.provide_data[0].name == "x"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"last_batch_handle": "rollover"}, "last_batch_handle"),
        ({"layout": "CHW"}, "layout"),
        ({"seed": -1}, "seed"),
        ({"shuffle": "maybe"}, "shuffle"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        NDArrayIter(np.zeros((4, 2)), **kwargs)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="data is empty"):
        NDArrayIter([])
    with pytest.raises(ValueError, match="data is empty"):
        NDArrayIter({})
    with pytest.raises(TypeError, match="must be an array"):
        NDArrayIter((np.zeros(3),))
    with pytest.raises(TypeError, match="must be an array"):
        NDArrayIter(np.zeros(3), 2)  # a batch size passed as label
    with pytest.raises(TypeError, match="is not an array"):
        NDArrayIter({"x": ["a", "b"]})
    with pytest.raises(ValueError, match="has 5 rows but 'data' has 10"):
        NDArrayIter(np.zeros(10), np.zeros(5))
    with pytest.raises(ValueError, match="no batch axis"):
        NDArrayIter(np.float32(3))
    with pytest.raises(TypeError, match="unexpected keyword"):
        NDArrayIter(np.zeros(3), batchsize=2)  # type: ignore[call-arg]


def test_longer_inputs_are_cut_to_the_first() -> None:
    it = NDArrayIter({"data1": np.arange(10), "data2": np.arange(20)}, batch_size=3)
    batches = list(it)
    assert it.num_data == 10 and len(batches) == 4
    np.testing.assert_array_equal(batches[-1].data[1], [9, 0, 1])


# -- batches -----------------------------------------------------------------------------


def test_batches_are_fresh_arrays() -> None:
    """A batch belongs to the caller: changing it changes neither the data nor later batches."""
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    for shuffle in (False, True):
        it = NDArrayIter(x, batch_size=4, shuffle=shuffle, seed=1)
        first = it.next()
        first.data[0][:] = -1
        second = it.next()
        assert (x >= 0).all() and (second.data[0] >= 0).all()
        it.reset()
        assert (it.next().data[0] >= 0).all()
        assert not np.shares_memory(first.data[0], second.data[0])


def test_float32_input_is_not_copied() -> None:
    x = np.zeros((6, 2), np.float32)
    it = NDArrayIter(x)
    name, array = it.data[0]
    assert name == "data" and isinstance(array, NDArray) and np.shares_memory(array, x)


def test_index_names_the_rows() -> None:
    """batch.index holds the row numbers; writing to it (where numpy lets one: views of
    the epoch's order are read-only) does not change the batches that follow."""
    x = np.random.default_rng(0).random((11, 3)).astype(np.float32)
    for mode in MODES:
        clean = NDArrayIter(x, batch_size=4, shuffle=True, last_batch_handle=mode, seed=2)
        it = NDArrayIter(x, batch_size=4, shuffle=True, last_batch_handle=mode, seed=2)
        for epoch in range(3):
            if epoch:
                it.reset()
                clean.reset()
            for batch, want in zip(it, clean, strict=True):
                np.testing.assert_array_equal(batch.data[0], x[batch.index])
                np.testing.assert_array_equal(batch.index, want.index)
                np.testing.assert_array_equal(it.getindex(), batch.index)
                assert batch.index.dtype == np.intp
                if batch.index.flags.writeable:
                    batch.index[:] = 0
                else:
                    with pytest.raises(ValueError, match="read-only"):
                        batch.index[0] = 0


def test_iter_next_protocol() -> None:
    it = NDArrayIter(np.arange(10), batch_size=3, last_batch_handle="discard")
    with pytest.raises(RuntimeError, match="call iter_next"):
        it.getdata()
    got = []
    while it.iter_next():
        got.append((it.getdata()[0].tolist(), it.getpad()))
    assert got == [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0)]
    assert not it.iter_next()
    with pytest.raises(RuntimeError):
        it.getpad()


def test_layout_with_batch_axis_1() -> None:
    x = np.arange(20).reshape(2, 10)
    it = NDArrayIter(x, np.arange(10).reshape(1, 10), batch_size=4, layout="TN", shuffle=True)
    assert it.provide_data[0].shape == (2, 4) and it.provide_data[0].layout == "TN"
    for batch in it:
        np.testing.assert_array_equal(batch.data[0], x[:, batch.index])
        np.testing.assert_array_equal(batch.label[0][0], batch.index)
    with pytest.raises(ValueError, match="no batch axis 1"):
        NDArrayIter(x, np.arange(10), layout="TN")


# -- roll_over and resets ----------------------------------------------------------------


def rows_of(batches: Any) -> list[list[int]]:
    return [b.data[0].astype(int).tolist() for b in batches]


def test_roll_over_carry_rules() -> None:
    def make() -> NDArrayIter:
        return NDArrayIter(np.arange(10), batch_size=3, last_batch_handle="roll_over")

    it = make()
    list(it)
    with pytest.raises(StopIteration):
        it.next()  # again: the carry stays (MXNet loses it)
    it.reset()
    assert rows_of([it.next()]) == [[9, 0, 1]]
    it = make()
    it.next()
    it.reset()  # in the middle of the epoch: nothing carried
    assert rows_of([it.next()]) == [[0, 1, 2]]
    it = make()
    list(it)
    it.hard_reset()
    assert rows_of(it) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_shuffle_is_repeatable() -> None:
    x = np.arange(50)
    a = rows_of(NDArrayIter(x, batch_size=7, shuffle=True, seed=5))
    assert a == rows_of(NDArrayIter(x, batch_size=7, shuffle=True, seed=5))
    assert a != rows_of(NDArrayIter(x, batch_size=7, shuffle=True, seed=6))
    np.random.seed(3)
    b = rows_of(NDArrayIter(x, batch_size=7, shuffle=True))
    np.random.seed(3)
    assert b == rows_of(NDArrayIter(x, batch_size=7, shuffle=True))
    it = NDArrayIter(x, batch_size=7, shuffle=True, seed=5)
    first = rows_of(it)
    it.reset()
    assert rows_of(it) != first  # every epoch has its own order


def test_no_global_rng_use_without_shuffle() -> None:
    np.random.seed(9)
    want = np.random.random()
    np.random.seed(9)
    NDArrayIter(np.arange(5), batch_size=2)
    assert np.random.random() == want


def test_empty_data() -> None:
    for mode in MODES:
        it = NDArrayIter(np.zeros((0, 3)), batch_size=2, last_batch_handle=mode, shuffle=True)
        assert list(it) == [] and it.provide_data[0].shape == (2, 3)
        it.reset()
        assert list(it) == []


# -- h5py and CSR ------------------------------------------------------------------------


def test_h5py_dataset(tmp_path: Any) -> None:
    h5py = pytest.importorskip("h5py")
    x = np.arange(40, dtype=np.float64).reshape(20, 2)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"] = x
        f["y"] = np.arange(20, dtype=np.int64)
        for mode in MODES:
            for shuffle in (False, True):
                it = NDArrayIter(f["x"], f["y"], 6, shuffle, mode, seed=3)
                assert [d.dtype for d in it.provide_data + it.provide_label] == [np.float32] * 2
                for epoch in range(3):
                    if epoch:
                        it.reset()
                    for batch in it:
                        assert batch.data[0].dtype == np.float32
                        np.testing.assert_array_equal(batch.data[0], x[batch.index])
                        np.testing.assert_array_equal(batch.label[0], batch.index)
        spread = NDArrayIter(f["x"], batch_size=2)  # rows far apart: h5py fancy read
        spread._order = np.array([0, 19] * 10)  # white-box: force a sparse selection
        spread.shuffle = True
        np.testing.assert_array_equal(spread.next().data[0], x[[0, 19]])
        with pytest.raises(ValueError, match="along axis 0"):
            NDArrayIter(f["x"], layout="TN")


def test_scipy_csr() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    dense = np.arange(40, dtype=np.float64).reshape(10, 4) * (np.arange(40).reshape(10, 4) % 3 == 0)
    csr = sparse.csr_matrix(dense)
    for mode in MODES:  # MXNet only allows 'discard'
        it = NDArrayIter(csr, np.arange(10), 3, True, mode, seed=1)
        assert it.provide_data[0].dtype is np.float64
        for batch in it:
            assert isinstance(batch.data[0], NDArray) and batch.data[0].dtype == np.float64
            np.testing.assert_array_equal(batch.data[0], dense[batch.index])
    it = NDArrayIter({"d": sparse.csr_array(dense.astype(np.int64))}, batch_size=4)
    assert it.next().data[0].dtype == np.int64
    with pytest.raises(TypeError, match="tocsr"):
        NDArrayIter(sparse.csc_matrix(dense))


# -- state -------------------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_size", [3, 4, 13])
def test_resumes_exactly(mode: str, shuffle: bool, batch_size: int) -> None:
    x = np.arange(30.0).reshape(10, 3)

    def make() -> NDArrayIter:
        return NDArrayIter(x, np.arange(10), batch_size, shuffle, mode, seed=11)

    assert_resumes_exactly(make, epochs=4)


def test_resume_keeps_the_drawn_seed() -> None:
    """An iterator built with seed=None resumes the original's order, not a new one."""
    x = np.arange(20)
    it = NDArrayIter(x, batch_size=3, shuffle=True)
    it.next()
    state = pickle.loads(pickle.dumps(it.state_dict()))
    rest = rows_of(it)
    fresh = NDArrayIter(x, batch_size=3, shuffle=True)
    fresh.load_state_dict(state)
    assert rows_of(fresh) == rest


def test_resume_at_end_of_roll_over_epoch_keeps_carry() -> None:
    it = NDArrayIter(np.arange(10), batch_size=3, last_batch_handle="roll_over")
    list(it)
    fresh = NDArrayIter(np.arange(10), batch_size=3, last_batch_handle="roll_over")
    fresh.load_state_dict(it.state_dict())
    assert list(fresh) == []
    fresh.reset()
    assert rows_of([fresh.next()]) == [[9, 0, 1]]


def test_load_state_of_another_iterator() -> None:
    state = NDArrayIter(np.arange(10), batch_size=3).state_dict()
    with pytest.raises(ValueError, match="batch_size=3, this iterator has batch_size=4"):
        NDArrayIter(np.arange(10), batch_size=4).load_state_dict(state)
    with pytest.raises(ValueError, match="num_data"):
        NDArrayIter(np.arange(11), batch_size=3).load_state_dict(state)
    with pytest.raises(ValueError, match="version"):
        NDArrayIter(np.arange(10), batch_size=3).load_state_dict({"cur": 1})
