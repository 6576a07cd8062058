"""recio's ResizeIter and PrefetchingIter against MXNet 1.9.1's, over NDArrayIters.

Both sides wrap unshuffled NDArrayIters built from the same arrays, so the batches (data,
label, pad), the batch counts per epoch, provide_data/provide_label and the DataDescs a
PrefetchingIter puts on its batches must agree. ``batch.index`` is not compared: recio's
NDArrayIter fills it (MXNet gives None), and the wrappers pass it through.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_ndarray_iter_conformance import assert_same_arrays, describe, record

from recio import mx

from _reference import MXNetReference

pytestmark = pytest.mark.conformance


def run_epochs(it: Any, epochs: int) -> dict[str, Any]:
    out = []
    for epoch in range(epochs):
        if epoch:
            it.reset()
        out.append([record(b) for b in it])
    return {
        "provide_data": describe(it.provide_data),
        "provide_label": describe(it.provide_label),
        "batch_size": it.batch_size,
        "epochs": out,
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    for key in ("provide_data", "provide_label", "batch_size"):
        assert got[key] == want[key], key
    assert [len(e) for e in got["epochs"]] == [len(e) for e in want["epochs"]], "batch counts"
    for e, (gots, wants) in enumerate(zip(got["epochs"], want["epochs"], strict=True)):
        for b, (g, w) in enumerate(zip(gots, wants, strict=True)):
            where = f"epoch {e} batch {b}"
            assert_same_arrays(g["data"], w["data"], f"{where} data")
            assert_same_arrays(g["label"], w["label"], f"{where} label")
            assert g["pad"] == w["pad"], f"{where} pad"
            assert g["provide_data"] == w["provide_data"], f"{where} provide_data"
            assert g["provide_label"] == w["provide_label"], f"{where} provide_label"


DATA = np.arange(30.0).reshape(10, 3)
LABEL = np.arange(10) * 10


@pytest.mark.parametrize("reset_internal", [True, False])
@pytest.mark.parametrize("size", [0, 2, 4, 7])
@pytest.mark.parametrize("mode", ["pad", "discard", "roll_over"])
def test_resize_iter(mxnet_ref: MXNetReference, mode: str, size: int, reset_internal: bool) -> None:
    nd_kwargs = {"batch_size": 3, "last_batch_handle": mode}
    want = mxnet_ref.call(
        "io_ndarray.resize_iter", DATA, LABEL, nd_kwargs, size, reset_internal, epochs=3
    )
    it = mx.io.ResizeIter(mx.io.NDArrayIter(DATA, LABEL, **nd_kwargs), size, reset_internal)
    got = run_epochs(it, 3)
    if mode == "roll_over":  # recio's roll_over batches have pad 0 (MXNet: rows carried)
        for epoch in want["epochs"]:
            for batch in epoch:
                batch["pad"] = 0
    assert_same(got, want)


def prefetch_sources() -> list[tuple[Any, Any, dict[str, Any]]]:
    return [
        ({"data": DATA}, {"lab": LABEL}, {"batch_size": 4}),
        ({"data": DATA * 2, "extra": np.ones((10, 2, 2))}, LABEL + 1, {"batch_size": 4}),
    ]


def recio_prefetch(
    sources: list[tuple[Any, Any, dict[str, Any]]],
    rename_data: Any = None,
    rename_label: Any = None,
    epochs: int = 2,
    as_list: bool = True,
) -> dict[str, Any]:
    iters = [mx.io.NDArrayIter(d, lab, **kw) for d, lab, kw in sources]
    with mx.io.PrefetchingIter(iters if as_list else iters[0], rename_data, rename_label) as it:
        result = run_epochs(it, epochs)
        try:
            it.next()
            result["next_after_end"] = "batch"
        except StopIteration:
            result["next_after_end"] = "stop"
    return result


def test_prefetching_one_iterator(mxnet_ref: MXNetReference) -> None:
    sources = prefetch_sources()[:1]
    for as_list in (True, False):
        want = mxnet_ref.call("io_ndarray.prefetching_iter", sources, as_list=as_list)
        got = recio_prefetch(sources, as_list=as_list)
        assert got["next_after_end"] == want["next_after_end"] == "stop"
        assert_same(got, want)


def test_prefetching_two_iterators_joined(mxnet_ref: MXNetReference) -> None:
    sources = prefetch_sources()
    want = mxnet_ref.call("io_ndarray.prefetching_iter", sources)
    got = recio_prefetch(sources)
    assert [d[0] for d in got["provide_data"]] == ["data", "data", "extra"]
    assert [d[0] for d in got["provide_label"]] == ["lab", "softmax_label"]
    assert_same(got, want)


def test_prefetching_renames(mxnet_ref: MXNetReference) -> None:
    sources = prefetch_sources()
    rename_data = [{"data": "d1"}, {"data": "d2", "extra": "e2"}]
    rename_label = [{"lab": "l1"}, {"softmax_label": "l2"}]
    want = mxnet_ref.call("io_ndarray.prefetching_iter", sources, rename_data, rename_label)
    got = recio_prefetch(sources, rename_data, rename_label)
    assert [d[0] for d in got["provide_data"]] == ["d1", "d2", "e2"]
    assert [d[0] for d in got["provide_label"]] == ["l1", "l2"]
    assert_same(got, want)


def test_prefetching_seed_example(mxnet_ref: MXNetReference) -> None:
    """Seed 003's example: two NDArrayIters renamed data_1 and data_2."""
    code = """
iter1 = mx.io.NDArrayIter({'data': mx.nd.ones((100, 10))}, batch_size=25)
iter2 = mx.io.NDArrayIter({'data': mx.nd.ones((100, 10))}, batch_size=25)
piter = mx.io.PrefetchingIter([iter1, iter2],
                              rename_data=[{'data': 'data_1'}, {'data': 'data_2'}])
result = [repr(d) for d in piter.provide_data] + [len(list(piter))]
"""
    iter1 = mx.io.NDArrayIter({"data": mx.nd.ones((100, 10))}, batch_size=25)
    iter2 = mx.io.NDArrayIter({"data": mx.nd.ones((100, 10))}, batch_size=25)
    with mx.io.PrefetchingIter(
        [iter1, iter2], rename_data=[{"data": "data_1"}, {"data": "data_2"}]
    ) as piter:
        got = [repr(d) for d in piter.provide_data] + [len(list(piter))]
    assert got == mxnet_ref.exec(code)
