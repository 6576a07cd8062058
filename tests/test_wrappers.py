"""ResizeIter and PrefetchingIter: MXNet's semantics, exceptions reaching the consumer,
no thread left behind, and exact resume (MXNet is compared in
tests/conformance/test_wrappers_conformance.py).
"""

from __future__ import annotations

import gc
import threading
import time
from itertools import chain
from typing import Any

import numpy as np
import pytest

from recio.io import DataBatch, DataDesc, DataIter, NDArrayIter, PrefetchingIter, ResizeIter

from _iterchecks import assert_batches_equal, assert_resumes_exactly, batch_arrays, stream

MODES = ("pad", "discard", "roll_over")


def nd(n: int = 10, batch_size: int = 3, **kwargs: Any) -> NDArrayIter:
    return NDArrayIter(np.arange(n * 2.0).reshape(n, 2), np.arange(n), batch_size, **kwargs)


def labels(it: Any) -> list[list[int]]:
    return [b.label[0].astype(int).tolist() for b in it]


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("recio-prefetch-")]


def wait_no_prefetch_threads(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while prefetch_threads() and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert prefetch_threads() == []


@pytest.fixture(autouse=True)
def _no_thread_left() -> Any:
    yield
    wait_no_prefetch_threads()


class Failing(DataIter):
    """Yields `good` batches, then raises `error` on every call (no state_dict)."""

    def __init__(self, good: int, error: BaseException):
        super().__init__(2)
        self.good, self.error, self.count = good, error, 0
        self.provide_data = [DataDesc("data", (2,))]
        self.provide_label: list[DataDesc] = []

    def next(self) -> DataBatch:
        self.count += 1
        if self.count > self.good:
            raise self.error
        return DataBatch([np.full(2, self.count)], [], pad=0)

    def reset(self) -> None:
        self.count = 0


# -- ResizeIter --------------------------------------------------------------------------


def test_resize_longer_and_shorter() -> None:
    it = ResizeIter(nd(), 6)
    assert it.batch_size == 3 and it.provide_data == nd().provide_data
    want = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 0, 1], [0, 1, 2], [3, 4, 5]]
    assert labels(it) == want
    it.reset()
    assert labels(it) == want  # reset_internal: the inner iterator restarts
    short = ResizeIter(nd(), 2, reset_internal=False)
    assert labels(short) == [[0, 1, 2], [3, 4, 5]]
    short.reset()
    assert labels(short) == [[6, 7, 8], [9, 0, 1]]  # continues where it was
    assert list(ResizeIter(nd(), 0)) == []


def test_resize_get_protocol() -> None:
    it = ResizeIter(nd(), 1)
    with pytest.raises(RuntimeError, match="no current batch"):
        it.getdata()
    assert it.iter_next()
    assert it.getpad() == 0 and it.getlabel()[0].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(it.getindex(), [0, 1, 2])
    assert not it.iter_next()


def test_resize_parameters() -> None:
    with pytest.raises(ValueError, match="size must be >= 0"):
        ResizeIter(nd(), -1)
    assert ResizeIter(nd(), "3", "False").size == 3  # type: ignore[arg-type]


@pytest.mark.parametrize("reset_internal", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_resize_resumes_exactly(mode: str, reset_internal: bool) -> None:
    def make() -> ResizeIter:
        return ResizeIter(nd(shuffle=True, last_batch_handle=mode, seed=4), 5, reset_internal)

    assert_resumes_exactly(make)


# -- PrefetchingIter: semantics ----------------------------------------------------------


def test_prefetch_yields_the_inner_batches() -> None:
    for mode in MODES:
        want = stream(nd(last_batch_handle=mode, shuffle=True, seed=1), 3)
        with PrefetchingIter(nd(last_batch_handle=mode, shuffle=True, seed=1)) as it:
            got = stream(it, 3)
        assert_batches_equal([*chain(*got)], [*chain(*want)], mode)


def test_prefetch_joins_and_renames() -> None:
    a = NDArrayIter({"x": np.arange(10.0)}, {"y": np.arange(10)}, 4)
    b = NDArrayIter({"x": np.arange(10.0) * 2, "z": np.zeros((10, 2))}, None, 4)
    with PrefetchingIter([a, b], rename_data=[{"x": "x1"}, {"x": "x2", "z": "z2"}]) as it:
        assert [d.name for d in it.provide_data] == ["x1", "x2", "z2"]
        assert [d.name for d in it.provide_label] == ["y"]
        assert it.batch_size == 4
        batches = list(it)
        assert len(batches) == 3
        last = batches[-1]
        assert [d.tolist() for d in last.data[:2]] == [[8, 9, 0, 1], [16, 18, 0, 2]]
        assert last.pad == 2 and last.index.tolist() == [8, 9, 0, 1]
        assert last.provide_data == it.provide_data
        assert it.getpad() == 2 and it.getdata() is last.data
        with pytest.raises(StopIteration):
            it.next()  # stays at the end until reset()
        it.reset()
        assert len(list(it)) == 3


def test_prefetch_rename_keeps_layout() -> None:
    a = NDArrayIter(np.zeros((2, 6)), batch_size=3, layout="TN")
    with PrefetchingIter(a, rename_data=[{"data": "seq"}]) as it:
        (desc,) = it.provide_data
        assert (desc.name, desc.shape, desc.layout) == ("seq", (2, 3), "TN")
        assert it.batch_size == 3  # read along the layout's N axis


def test_prefetch_bad_arguments() -> None:
    with pytest.raises(ValueError, match="iters is empty"):
        PrefetchingIter([])
    with pytest.raises(ValueError, match="has no entry for 'data'"):
        PrefetchingIter([nd()], rename_data=[{"x": "y"}])
    with pytest.raises(ValueError, match="2 dicts for 1 iterators"):
        PrefetchingIter([nd()], rename_label=[{}, {}])
    with PrefetchingIter((nd(), nd())) as it:  # a tuple works like a list (MXNet fails)
        assert it.n_iter == 2 and len(it.next().data) == 2


def test_prefetch_unequal_iterators_raise_instead_of_hanging() -> None:
    with PrefetchingIter([nd(10, last_batch_handle="discard"), nd(20)]) as it:
        it.next()
        it.next()
        it.next()
        with pytest.raises(ValueError, match="different numbers of batches"):
            it.next()
    with PrefetchingIter([nd(10), nd(11)]) as it:
        it.next()
        it.next()
        it.next()
        with pytest.raises(ValueError, match="different pads"):
            it.next()


def test_prefetch_reraises_inner_exceptions() -> None:
    with PrefetchingIter(Failing(2, KeyError("bad record"))) as it:
        assert len([it.next(), it.next()]) == 2
        with pytest.raises(KeyError, match="bad record") as info:
            it.next()
        assert any("worker thread" in note for note in info.value.__notes__)
        with pytest.raises(KeyError):
            it.next()  # asks again: the inner iterator fails again
        it.reset()
        assert it.next().data[0].tolist() == [1, 1]
        with pytest.raises(NotImplementedError, match="does not implement state_dict"):
            it.state_dict()


def test_prefetch_reads_ahead_in_a_thread() -> None:
    consumer = threading.get_ident()
    seen: list[int] = []

    class Spy(Failing):
        def next(self) -> DataBatch:
            seen.append(threading.get_ident())
            return super().next()

    with PrefetchingIter(Spy(3, StopIteration())) as it:
        assert len(list(it)) == 3
    assert seen and consumer not in seen


def test_plain_object_iterators() -> None:
    """Any object with next/reset/provide_data works, as the seed's SimpleIter does."""

    class Plain:
        provide_data = [("data", (2,))]  # noqa: RUF012 - a plain tuple, as in MXNet's docs
        provide_label: list[Any] = []  # noqa: RUF012

        def __init__(self) -> None:
            self.count = 0

        def next(self) -> DataBatch:
            self.count += 1
            if self.count > 2:
                raise StopIteration
            return DataBatch([np.zeros(2)], [])

        def reset(self) -> None:
            self.count = 0

    with PrefetchingIter(Plain(), rename_data=[{"data": "d"}]) as it:
        assert [d.name for d in it.provide_data] == ["d"] and it.batch_size == 2
        assert len(list(it)) == 2
        with pytest.raises(NotImplementedError):
            it.state_dict()


# -- PrefetchingIter: threads ------------------------------------------------------------


def test_close_stops_threads_and_is_idempotent() -> None:
    it = PrefetchingIter([nd(), nd()])
    assert len(prefetch_threads()) == 2
    it.next()
    it.close()
    assert prefetch_threads() == []
    it.close()
    with pytest.raises(RuntimeError, match="closed"):
        it.next()
    with pytest.raises(RuntimeError, match="closed"):
        it.reset()


def test_context_manager_closes_on_error() -> None:
    def use() -> None:
        with PrefetchingIter(nd()) as it:
            it.next()
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        use()
    assert prefetch_threads() == []


def test_dropped_iterator_ends_its_threads() -> None:
    it = PrefetchingIter(nd())
    it.next()
    del it
    wait_no_prefetch_threads()


# -- PrefetchingIter: state --------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_prefetch_resumes_exactly(mode: str, shuffle: bool) -> None:
    def make() -> PrefetchingIter:
        return PrefetchingIter(
            [
                nd(shuffle=shuffle, last_batch_handle=mode, seed=7),
                nd(batch_size=3, shuffle=shuffle, last_batch_handle=mode, seed=7),
            ]
        )

    assert_resumes_exactly(make)


def test_prefetch_state_excludes_the_batch_read_ahead() -> None:
    """The inner iterator has already read batch 1; the state still points at it."""
    with PrefetchingIter(nd()) as it:
        first = it.next()
        state = it.state_dict()
    with PrefetchingIter(nd()) as fresh:
        fresh.load_state_dict(state)
        assert labels(fresh) == [[3, 4, 5], [6, 7, 8], [9, 0, 1]]
    assert first.label[0].tolist() == [0, 1, 2]
    with PrefetchingIter([nd(), nd()]) as two, pytest.raises(ValueError, match="2 iterators"):
        two.load_state_dict(state)


def test_prefetch_over_resize_resumes_exactly() -> None:
    def make() -> PrefetchingIter:
        return PrefetchingIter(ResizeIter(nd(shuffle=True, seed=3), 5, reset_internal=False))

    assert_resumes_exactly(make)
    it = make()
    assert [batch_arrays(b)[2] for b in it] == [0, 0, 0, 2, 0]
    it.close()
