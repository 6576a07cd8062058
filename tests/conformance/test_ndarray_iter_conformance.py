"""recio's NDArrayIter against MXNet 1.9.1's on the same inputs (ref/io_ndarray.py).

Unshuffled runs must agree batch for batch (data, label, pad, batch count, provide_data
and provide_label with names, shapes, dtypes and layouts), over three epochs with reset()
between them, for every last_batch_handle at batch sizes 1, a divisor of the row count,
a non-divisor, the row count and more. Shuffled runs use different random numbers on the
two sides, so they are compared by structure: the same batch counts and pads, each epoch a
permutation, labels still aligned with their rows.

Where recio deliberately differs (docs/notes/ndarray_iter.md), the test pins both sides:
``batch.index`` (MXNet None, recio the row numbers), the pad of roll_over's first batch,
roll_over with a batch more than twice the data, the roll_over carry after next() past
the end or a reset() right after the last full batch, iter_next() over a discarded tail,
layouts whose batch axis is not 0, and inputs of unequal length.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from recio import mx

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

MODES = ("pad", "discard", "roll_over")
N = 12
BATCH_SIZES = (1, 4, 5, N, N + 3)  # 1, a divisor, a non-divisor, all rows, more than all


def describe(descs: Any) -> list[tuple[str, tuple[int, ...], str, str]]:
    return [(d.name, tuple(d.shape), np.dtype(d.dtype).str, d.layout) for d in descs]


def record(batch: Any) -> dict[str, Any]:
    return {
        "data": [np.asarray(d) for d in batch.data],
        "label": [np.asarray(lab) for lab in batch.label or []],
        "pad": batch.pad,
        "index": None if batch.index is None else np.asarray(batch.index),
        "provide_data": None if batch.provide_data is None else describe(batch.provide_data),
        "provide_label": None if batch.provide_label is None else describe(batch.provide_label),
    }


def run_recio(
    data: Any, label: Any = None, epochs: int = 3, between: str = "reset", **kwargs: Any
) -> dict[str, Any]:
    it = mx.io.NDArrayIter(data, label, **kwargs)
    out = []
    for epoch in range(epochs):
        if epoch:
            getattr(it, between)()
        out.append([record(b) for b in it])
    return {
        "provide_data": describe(it.provide_data),
        "provide_label": describe(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": out,
    }


def assert_same_arrays(got: list[Any], want: list[Any], what: str) -> None:
    assert len(got) == len(want), what
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype, f"{what}: dtype {g.dtype} != {w.dtype}"
        np.testing.assert_array_equal(g, w, err_msg=what)


def assert_runs_equal(
    got: dict[str, Any], want: dict[str, Any], roll_over_pad: bool = False
) -> None:
    """Equal descs and batches; index is checked separately (MXNet gives None).

    With `roll_over_pad`, MXNet's pad of an epoch's first batch (the number of rows carried
    over) is expected to be 0 in recio.
    """
    for key in ("provide_data", "provide_label", "batch_size"):
        assert got[key] == want[key], key
    assert [len(e) for e in got["epochs"]] == [len(e) for e in want["epochs"]], "batch counts"
    for e, (gots, wants) in enumerate(zip(got["epochs"], want["epochs"], strict=True)):
        for b, (g, w) in enumerate(zip(gots, wants, strict=True)):
            where = f"epoch {e} batch {b}"
            assert_same_arrays(g["data"], w["data"], f"{where} data")
            assert_same_arrays(g["label"], w["label"], f"{where} label")
            if roll_over_pad and b == 0 and w["pad"]:
                assert g["pad"] == 0, where
            else:
                assert g["pad"] == w["pad"], f"{where} pad"
            assert w["index"] is None


def assert_index_matches(run: dict[str, Any], rows: np.ndarray) -> None:
    """recio's batch.index names the rows of the batch: data == rows[index]."""
    for epoch in run["epochs"]:
        for batch in epoch:
            np.testing.assert_array_equal(batch["data"][0], rows[batch["index"]])


def data_and_label(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    data = np.arange(n * 3, dtype=np.float64).reshape(n, 3) + rng.random((n, 3))
    return data, np.arange(n, dtype=np.int64) * 10


# -- unshuffled: identical -------------------------------------------------------------


@pytest.mark.parametrize("batch_size", list(BATCH_SIZES))
@pytest.mark.parametrize("mode", MODES)
def test_unshuffled_batches_equal_mxnet(
    mxnet_ref: MXNetReference, mode: str, batch_size: int
) -> None:
    data, label = data_and_label()
    kwargs = {"batch_size": batch_size, "last_batch_handle": mode}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, **kwargs)
    got = run_recio(data, label, **kwargs)
    assert_runs_equal(got, want, roll_over_pad=mode == "roll_over")
    assert_index_matches(got, data.astype(np.float32))


def test_roll_over_pad_is_the_carried_count_in_mxnet(mxnet_ref: MXNetReference) -> None:
    """MXNet reports the rows carried over as pad; they are real rows, so recio says 0."""
    data, label = data_and_label(10)
    want = mxnet_ref.call(
        "io_ndarray.ndarray_iter", data, label, batch_size=3, last_batch_handle="roll_over"
    )
    assert [[b["pad"] for b in e] for e in want["epochs"]] == [[0, 0, 0], [1, 0, 0], [2, 0, 0, 0]]
    got = run_recio(data, label, batch_size=3, last_batch_handle="roll_over")
    assert [[b["pad"] for b in e] for e in got["epochs"]] == [[0, 0, 0], [0, 0, 0], [0, 0, 0, 0]]


def test_roll_over_batch_over_twice_the_data(mxnet_ref: MXNetReference) -> None:
    """MXNet fails slicing past the end; recio keeps carrying until a batch is full."""
    data, label = data_and_label(10)
    kwargs = {"batch_size": 25, "last_batch_handle": "roll_over"}
    outcome = mxnet_ref.outcome("io_ndarray.ndarray_iter", data, label, **kwargs)
    assert outcome.error == "MXNetError"
    got = run_recio(data, label, **kwargs)
    assert [len(e) for e in got["epochs"]] == [0, 0, 1]
    np.testing.assert_array_equal(got["epochs"][2][0]["index"], np.arange(25) % 10)


@pytest.mark.parametrize("mode", MODES)
def test_dict_inputs(mxnet_ref: MXNetReference, mode: str) -> None:
    rng = np.random.default_rng(1)
    data = {"b": rng.random((N, 2, 2)), "a": rng.integers(0, 9, (N, 3)), "c": rng.random(N)}
    label = {"z_label": np.arange(N), "y_label": rng.random((N, 2)).astype(np.float32)}
    kwargs = {"batch_size": 5, "last_batch_handle": mode}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, **kwargs)
    got = run_recio(data, label, **kwargs)
    assert [d[0] for d in got["provide_data"]] == ["a", "b", "c"]
    assert [d[0] for d in got["provide_label"]] == ["y_label", "z_label"]
    assert_runs_equal(got, want, roll_over_pad=True)


@pytest.mark.parametrize("count", [1, 3, 11])
def test_list_inputs(mxnet_ref: MXNetReference, count: int) -> None:
    """Lists are named _<i>_<name> and sorted as strings (_10_data before _1_data)."""
    rng = np.random.default_rng(count)
    data = [rng.random((N, i + 1)) for i in range(count)]
    label = [np.arange(N) + i for i in range(count)]
    kwargs = {"batch_size": 5, "data_name": "x", "label_name": "y"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, **kwargs)
    got = run_recio(data, label, **kwargs)
    assert_runs_equal(got, want)


def test_no_label_and_dtypes(mxnet_ref: MXNetReference) -> None:
    """numpy input becomes float32 whatever its dtype; without label, provide_label is []."""
    for dtype in (np.float16, np.float64, np.int32, np.uint8, np.int64, np.bool_):
        data = (np.arange(N * 2) % 3).astype(dtype).reshape(N, 2)
        want = mxnet_ref.call("io_ndarray.ndarray_iter", data, None, batch_size=4, epochs=1)
        got = run_recio(data, None, batch_size=4, epochs=1)
        assert got["provide_label"] == [] == want["provide_label"]
        assert_runs_equal(got, want)


def test_python_lists_as_inputs(mxnet_ref: MXNetReference) -> None:
    """A list of plain lists is a list of inputs, each converted to float32."""
    data = [[1, 2, 3, 4], [5, 6, 7, 8]]
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, None, batch_size=3, epochs=2)
    got = run_recio(data, None, batch_size=3, epochs=2)
    assert_runs_equal(got, want)
    data_dict = {"x": [[1, 2], [3, 4], [5, 6]]}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data_dict, None, batch_size=2, epochs=2)
    assert_runs_equal(run_recio(data_dict, None, batch_size=2, epochs=2), want)


def test_mxnet_ndarray_dtypes_kept(mxnet_ref: MXNetReference) -> None:
    """An NDArray (mx.nd.array(x, dtype=...)) keeps its dtype on both sides."""
    code = """
it = mx.io.NDArrayIter(mx.nd.array(x, dtype='float64'), mx.nd.array(y, dtype='int32'), 4)
descs = it.provide_data + it.provide_label
result = [(d.name, tuple(d.shape), np.dtype(d.dtype).str) for d in descs]
result.append([b.data[0].dtype == np.float64 and b.label[0].dtype == np.int32 for b in it])
"""
    x, y = np.arange(N * 2.0).reshape(N, 2), np.arange(N)
    want = mxnet_ref.exec(code, x=x, y=y)
    it = mx.io.NDArrayIter(mx.nd.array(x, dtype="float64"), mx.nd.array(y, dtype="int32"), 4)
    got: list[Any] = [
        (d.name, tuple(d.shape), np.dtype(d.dtype).str) for d in it.provide_data + it.provide_label
    ]
    got.append([b.data[0].dtype == np.float64 and b.label[0].dtype == np.int32 for b in it])
    assert got == want


def test_positional_arguments_and_repr(mxnet_ref: MXNetReference) -> None:
    code = """
it = mx.io.NDArrayIter(x, y, 3, False, 'discard', 'img', 'lab')
result = [repr(d) for d in it.provide_data + it.provide_label]
"""
    x, y = np.zeros((N, 2, 2)), np.zeros((N, 1))
    it = mx.io.NDArrayIter(x, y, 3, False, "discard", "img", "lab")
    assert [repr(d) for d in it.provide_data + it.provide_label] == mxnet_ref.exec(code, x=x, y=y)


@pytest.mark.parametrize("mode", MODES)
def test_hard_reset(mxnet_ref: MXNetReference, mode: str) -> None:
    data, label = data_and_label(10)
    kwargs = {"batch_size": 3, "last_batch_handle": mode, "between": "hard_reset"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, **kwargs)
    assert_runs_equal(run_recio(data, label, **kwargs), want)


STEP_SCRIPTS = {
    # reset in the middle of an epoch: no carry, even under roll_over
    "mid_epoch_reset": ["next", "reset", *["next"] * 5],
    # reset twice after the end: the carry is dropped by the second one
    "reset_twice": [*["next"] * 4, "reset", "reset", *["next"] * 4],
    "carry_then_hard_reset": [*["next"] * 4, "hard_reset", *["next"] * 4],
}


@pytest.mark.parametrize("script", sorted(STEP_SCRIPTS))
@pytest.mark.parametrize("mode", MODES)
def test_reset_sequences(mxnet_ref: MXNetReference, mode: str, script: str) -> None:
    data, label = data_and_label(10)
    steps = STEP_SCRIPTS[script]
    kwargs = {"batch_size": 3, "last_batch_handle": mode}
    want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
    got = recio_steps(data, label, steps, **kwargs)
    for n, (g, w) in enumerate(zip(got, want, strict=True)):
        if isinstance(w, dict):
            assert isinstance(g, dict), f"step {n}"
            assert_same_arrays(g["data"], w["data"], f"step {n}")
            assert_same_arrays(g["label"], w["label"], f"step {n}")
            assert g["pad"] == (0 if mode == "roll_over" else w["pad"]), f"step {n}"
        else:
            assert g == w, f"step {n}"


def recio_steps(data: Any, label: Any, steps: list[str], **kwargs: Any) -> list[Any]:
    it = mx.io.NDArrayIter(data, label, **kwargs)
    out: list[Any] = []
    for step in steps:
        if step == "next":
            try:
                out.append(record(it.next()))
            except StopIteration:
                out.append("stop")
        elif step == "iter_next":
            if it.iter_next():
                out.append(
                    (
                        True,
                        [np.asarray(d) for d in it.getdata()],
                        [np.asarray(x) for x in it.getlabel()],
                        it.getpad(),
                    )
                )
            else:
                out.append((False,))
        else:
            getattr(it, step)()
            out.append(None)
    return out


def test_next_after_the_end_keeps_the_carry(mxnet_ref: MXNetReference) -> None:
    """MXNet moves its cursor on each extra next() and so loses the roll_over carry."""
    data, label = data_and_label(10)
    steps = [*["next"] * 5, "reset", "next"]
    kwargs = {"batch_size": 3, "last_batch_handle": "roll_over"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
    got = recio_steps(data, label, steps, **kwargs)
    assert want[3:5] == got[3:5] == ["stop", "stop"]
    np.testing.assert_array_equal(want[6]["label"][0], [0, 10, 20])  # carry of 9 lost
    np.testing.assert_array_equal(got[6]["label"][0], [90, 0, 10])  # carry kept


def test_reset_after_the_last_full_batch_carries(mxnet_ref: MXNetReference) -> None:
    """MXNet fills its roll_over cache only in the next() that raises StopIteration, so a
    reset() right after the last full batch carries nothing; recio carries the tail once
    every full batch has been taken, however the epoch was consumed."""
    data, label = data_and_label(10)
    steps = [*["next"] * 3, "reset", "next"]
    kwargs = {"batch_size": 3, "last_batch_handle": "roll_over"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
    got = recio_steps(data, label, steps, **kwargs)
    np.testing.assert_array_equal(want[4]["label"][0], [0, 10, 20])
    np.testing.assert_array_equal(got[4]["label"][0], [90, 0, 10])
    for mode in ("pad", "discard"):  # nothing is carried there: the two agree
        kwargs["last_batch_handle"] = mode
        want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
        got = recio_steps(data, label, steps, **kwargs)
        np.testing.assert_array_equal(got[4]["label"][0], want[4]["label"][0])


def test_iter_next_stops_before_a_discarded_tail(mxnet_ref: MXNetReference) -> None:
    """MXNet's iter_next() says True for the tail that next() discards; getdata is short."""
    data, label = data_and_label(10)
    steps = ["iter_next"] * 5
    kwargs = {"batch_size": 3, "last_batch_handle": "discard"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
    got = recio_steps(data, label, steps, **kwargs)
    assert [w[0] for w in want] == [True, True, True, True, False]
    assert want[3][1][0].shape == (1, 3)
    assert [g[0] for g in got] == [True, True, True, False, False]
    for g, w in zip(got[:3], want[:3], strict=True):
        assert_same_arrays(g[1], w[1], "iter_next data")
        assert g[3] == w[3]
    # in pad mode the two agree
    kwargs["last_batch_handle"] = "pad"
    want = mxnet_ref.call("io_ndarray.ndarray_iter_steps", data, label, steps, **kwargs)
    got = recio_steps(data, label, steps, **kwargs)
    assert [(w[0], w[-1]) for w in want[:4]] == [(g[0], g[-1]) for g in got[:4]]


def test_unequal_lengths(mxnet_ref: MXNetReference) -> None:
    """The first data input sets the row count (seed 003's example has 10 and 20 rows)."""
    data = {"data1": np.arange(10.0), "data2": np.arange(20.0)}
    label = {"label": np.arange(20.0)}
    kwargs = {"batch_size": 3, "last_batch_handle": "discard"}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, **kwargs)
    assert_runs_equal(run_recio(data, label, **kwargs), want)
    # pad: MXNet's last batch of a label longer than the data runs to the label's end
    # (13 rows, a bug); recio pads every input alike
    kwargs["last_batch_handle"] = "pad"
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, epochs=1, **kwargs)
    got = run_recio(data, label, epochs=1, **kwargs)
    assert want["epochs"][0][-1]["label"][0].shape == (13,)
    for b in got["epochs"][0]:
        assert all(x.shape == (3,) for x in b["data"] + b["label"])
    np.testing.assert_array_equal(got["epochs"][0][-1]["label"][0], [9, 0, 1])


def test_layout_batch_axis(mxnet_ref: MXNetReference) -> None:
    """MXNet counts rows along axis 0 whatever the layout; recio along the layout's N."""
    x = np.arange(20.0).reshape(2, 10)
    want = mxnet_ref.call("io_ndarray.ndarray_iter", x, None, batch_size=3, layout="TN", epochs=1)
    assert want["provide_data"] == [("data", (2, 3), "<f4", "TN")]
    assert len(want["epochs"][0]) == 1  # two "rows" along axis 0, padded
    got = run_recio(x, None, batch_size=3, layout="TN", epochs=1)
    assert got["provide_data"] == want["provide_data"]
    assert [b["data"][0].tolist() for b in got["epochs"][0]] == [
        [[0, 1, 2], [10, 11, 12]],
        [[3, 4, 5], [13, 14, 15]],
        [[6, 7, 8], [16, 17, 18]],
        [[9, 0, 1], [19, 10, 11]],
    ]


def test_bad_parameters(mxnet_ref: MXNetReference) -> None:
    """MXNet fails late (batch_size 0) or not at all (an unknown last_batch_handle acts as
    'discard'); recio refuses both when the iterator is made."""
    data = np.arange(10.0)
    assert mxnet_ref.outcome("io_ndarray.ndarray_iter", data, None, batch_size=0).error
    discard = mxnet_ref.call(
        "io_ndarray.ndarray_iter", data, None, batch_size=3, last_batch_handle="foo", epochs=1
    )
    assert len(discard["epochs"][0]) == 3
    with pytest.raises(ValueError, match="batch_size"):
        mx.io.NDArrayIter(data, batch_size=0)
    with pytest.raises(ValueError, match="last_batch_handle"):
        mx.io.NDArrayIter(data, batch_size=3, last_batch_handle="foo")


# -- shuffled: same structure ----------------------------------------------------------


def epoch_label_rows(run: dict[str, Any]) -> list[list[list[int]]]:
    """Per epoch, per batch, the row numbers (label = 10 * row)."""
    return [[(b["label"][0] // 10).astype(int).tolist() for b in epoch] for epoch in run["epochs"]]


@pytest.mark.parametrize("batch_size", list(BATCH_SIZES))
@pytest.mark.parametrize("mode", MODES)
def test_shuffled_structure(mxnet_ref: MXNetReference, mode: str, batch_size: int) -> None:
    data, label = data_and_label()
    kwargs = {"batch_size": batch_size, "last_batch_handle": mode, "shuffle": True}
    want = mxnet_ref.call("io_ndarray.ndarray_iter", data, label, np_seed=3, **kwargs)
    got = run_recio(data, label, seed=3, **kwargs)
    assert got["provide_data"] == want["provide_data"]
    assert got["provide_label"] == want["provide_label"]
    rows32 = data.astype(np.float32)
    for run in (got, want):
        assert [len(e) for e in run["epochs"]] == [len(e) for e in want["epochs"]]
        pads = [[b["pad"] for b in e] for e in run["epochs"]]
        if mode != "roll_over":
            assert pads == [[b["pad"] for b in e] for e in want["epochs"]]
        per_epoch = epoch_label_rows(run)
        for epoch, batches in zip(run["epochs"], per_epoch, strict=True):
            for batch, rows in zip(epoch, batches, strict=True):
                np.testing.assert_array_equal(batch["data"][0], rows32[rows])  # aligned
        for batches in per_epoch:
            flat = [r for b in batches for r in b]
            if mode == "pad":  # every row once, then the epoch's first rows again
                assert sorted(flat[:N]) == list(range(N))
                assert flat[N:] == (flat[:N] * (len(flat) // N + 1))[: len(flat) - N]
            elif mode == "discard":  # distinct rows, the tail dropped
                assert len(set(flat)) == len(flat) == N // batch_size * batch_size
        if mode == "roll_over":  # over all epochs, each row at most 3 times, in order
            counts = Counter(r for batches in per_epoch for b in batches for r in b)
            total = sum(counts.values())
            assert max(counts.values()) <= 3
            assert total == (3 * N // batch_size) * batch_size
    assert_index_matches(got, rows32)
    # the orders differ from MXNet's (other random numbers), and between epochs
    flat_got = [r for b in epoch_label_rows(got)[0] for r in b]
    flat_next = [r for b in epoch_label_rows(got)[1] for r in b]
    if batch_size < N and mode != "roll_over":
        assert flat_got != flat_next


def test_shuffled_roll_over_first_batch_mixes_epochs(mxnet_ref: MXNetReference) -> None:
    """Under shuffle + roll_over, both start an epoch with the previous epoch's tail and
    fill the batch from the new order; a row can thus appear twice in that batch."""
    data, label = data_and_label(10)
    kwargs = {"batch_size": 3, "last_batch_handle": "roll_over", "shuffle": True}
    for run in (
        mxnet_ref.call("io_ndarray.ndarray_iter", data, label, np_seed=0, **kwargs),
        run_recio(data, label, seed=0, **kwargs),
    ):
        per_epoch = epoch_label_rows(run)
        assert [len(e) for e in per_epoch] == [3, 3, 4]
        epoch0 = [r for b in per_epoch[0] for r in b]
        (tail,) = set(range(10)) - set(epoch0)  # the row carried into epoch 1
        assert per_epoch[1][0][0] == tail
