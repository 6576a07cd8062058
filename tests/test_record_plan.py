"""Which records an image iterator reads in which order: parts, epochs, round_batch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio._io._record_plan import epoch_order, partition, plan_epoch


def positions(batches: list[list[object]]) -> list[list[int | None]]:
    return [[s.position for s in b] for b in batches]  # type: ignore[attr-defined]


def test_round_batch_as_mxnet_shows_it() -> None:
    """10 records, batch 4 (observed with MXNet 1.9.1): the overflow comes from the front,
    the next epoch starts after it, and the epoch after ends where it began."""
    start, got = 0, []
    for epoch in range(3):
        plan = plan_epoch(10, 4, epoch, start, shuffle=False, seed=0, round_batch=True)
        got.append((positions(plan.batches), plan.pads))
        start = plan.next_start
    assert got == [
        ([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]], [0, 0, 2]),
        ([[2, 3, 4, 5], [6, 7, 8, 9]], [0, 0]),
        ([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]], [0, 0, 2]),
    ]


def test_without_round_batch_the_last_batch_is_padded_with_empty_rows() -> None:
    plan = plan_epoch(10, 4, 0, 0, shuffle=False, seed=0, round_batch=False)
    assert positions(plan.batches)[-1] == [8, 9, None, None]
    assert plan.pads == [0, 0, 2]
    assert plan.next_start == 0


def test_shuffled_overflow_comes_from_the_next_epochs_order() -> None:
    plan = plan_epoch(10, 4, 0, 0, shuffle=True, seed=7, round_batch=True)
    following = epoch_order(10, True, 7, 1).tolist()
    assert positions(plan.batches)[-1][2:] == following[:2]
    nxt = plan_epoch(10, 4, 1, plan.next_start, shuffle=True, seed=7, round_batch=True)
    assert [p for b in positions(nxt.batches) for p in b][:8] == following[2:]


@given(
    st.integers(1, 60), st.integers(1, 16), st.booleans(), st.integers(0, 2**32), st.integers(1, 4)
)
def test_every_record_once_per_epoch_and_rows_keyed_uniquely(
    count: int, batch: int, shuffle: bool, seed: int, epochs: int
) -> None:
    if batch > count:
        return  # a batch larger than the data: test_batch_larger_than_the_data
    start, keys = 0, set()
    seen_by_epoch: dict[int, list[int]] = {}
    for epoch in range(epochs):
        plan = plan_epoch(count, batch, epoch, start, shuffle=shuffle, seed=seed, round_batch=True)
        assert all(len(b) == batch for b in plan.batches)
        for b in plan.batches:
            for s in b:
                assert s.key not in keys
                keys.add(s.key)
                seen_by_epoch.setdefault(s.key[0], []).append(s.position)
        start = plan.next_start
    for epoch in range(epochs):  # the stream of epoch e is a permutation of the records
        assert sorted(seen_by_epoch[epoch]) == list(range(count))


def test_shuffle_is_a_function_of_seed_and_epoch() -> None:
    a = epoch_order(100, True, 3, 5)
    assert np.array_equal(a, epoch_order(100, True, 3, 5))
    assert not np.array_equal(a, epoch_order(100, True, 3, 6))
    assert not np.array_equal(a, epoch_order(100, True, 4, 5))


@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=40).map(lambda sizes: [s * 4 for s in sizes]),
    st.integers(1, 7),
)
def test_parts_are_disjoint_and_cover_the_records(sizes: list[int], parts: int) -> None:
    starts = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
    total = int(sum(sizes))
    got = [partition(starts, total, parts, i).tolist() for i in range(parts)]
    assert [p for part in got for p in part] == list(range(len(sizes)))


def test_partition_by_bytes_as_dmlc() -> None:
    # 4 records of 100 bytes; 2 parts of 200 bytes each
    starts = np.array([0, 100, 200, 300], np.int64)
    assert partition(starts, 400, 2, 1).tolist() == [2, 3]
    # a record starting exactly at the boundary belongs to the later part
    starts = np.array([0, 150, 200, 380], np.int64)
    assert partition(starts, 400, 2, 0).tolist() == [0, 1]
    with pytest.raises(ValueError, match="part_index"):
        partition(starts, 400, 2, 2)


def test_batch_larger_than_the_data_as_mxnet() -> None:
    """8 records, batch 12 (MXNet 1.9.1): pads 4 then 8, the third epoch is empty."""
    start, got = 0, []
    for epoch in range(3):
        plan = plan_epoch(8, 12, epoch, start, shuffle=False, seed=0, round_batch=True)
        got.append((positions(plan.batches), plan.pads))
        start = plan.next_start
    assert got == [
        ([[0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3]], [4]),
        ([[4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]], [8]),
        ([], []),
    ]
    with pytest.raises(ValueError, match="round_batch needs"):  # MXNet refuses 17 over 8
        plan_epoch(8, 17, 0, 0, shuffle=False, seed=0, round_batch=True)
