"""Distributed ranks: "auto" parts from torch.distributed or the environment, even epochs.

The resolution logic runs without torch (the environment is monkeypatched; a stand-in
``torch.distributed`` module plays an initialised process group). The iterators' even parts
are checked in one process by building every rank's iterator in turn. The last test runs
``torchrun --nproc-per-node 2`` for real (gloo, CPU, localhost) over
``tests/distributed/worker.py``; it is skipped when torch is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import struct
import subprocess
import sys
import time
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio import mx, recordio
from recio._cxx_random import shuffled_order
from recio._distributed import Parts, require_shared_seed, resolve_parts, world
from recio._io._record_plan import epoch_order, plan_block_epoch
from recio._io.ndarray_iter import epoch_order as row_order
from recio._params import InvalidParameterError

from _iterchecks import assert_resumes_exactly

WORKER = Path(__file__).parent / "distributed" / "worker.py"


@pytest.fixture(autouse=True)
def no_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """No WORLD_SIZE / RANK from the shell running the tests, and no torch process group."""
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setitem(sys.modules, "torch.distributed", None)


def launched(monkeypatch: pytest.MonkeyPatch, size: int, rank: int) -> None:
    monkeypatch.setenv("WORLD_SIZE", str(size))
    monkeypatch.setenv("RANK", str(rank))


def fake_process_group(initialized: bool, size: int = 3, rank: int = 2) -> types.ModuleType:
    dist = types.ModuleType("torch.distributed")
    dist.is_available = lambda: True  # type: ignore[attr-defined]
    dist.is_initialized = lambda: initialized  # type: ignore[attr-defined]
    dist.get_world_size = lambda: size  # type: ignore[attr-defined]
    dist.get_rank = lambda: rank  # type: ignore[attr-defined]
    return dist


# -- where "auto" comes from ---------------------------------------------------------------


def test_a_single_process_without_a_launcher_is_world_1_rank_0() -> None:
    assert world() == (1, 0)


def test_world_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    launched(monkeypatch, 4, 3)
    assert world() == (4, 3)


def test_an_initialised_process_group_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    launched(monkeypatch, 4, 1)
    monkeypatch.setitem(sys.modules, "torch.distributed", fake_process_group(True, 3, 2))
    assert world() == (3, 2)
    monkeypatch.setitem(sys.modules, "torch.distributed", fake_process_group(False))
    assert world() == (4, 1)  # imported but not initialised: the environment


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"WORLD_SIZE": "2"}, "WORLD_SIZE is set but RANK is not"),
        ({"RANK": "0"}, "RANK is set but WORLD_SIZE is not"),
        ({"WORLD_SIZE": "two", "RANK": "0"}, "WORLD_SIZE='two' is not an integer"),
        ({"WORLD_SIZE": "2", "RANK": "2"}, r"RANK must be in \[0, WORLD_SIZE\)"),
        ({"WORLD_SIZE": "0", "RANK": "0"}, r"RANK must be in \[0, WORLD_SIZE\)"),
    ],
)
def test_a_broken_environment_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], match: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=match):
        world()


def test_resolve_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_parts(1, 0, where="X") == Parts(1, 0, even=False)
    assert resolve_parts(3, 2, where="X") == Parts(3, 2, even=False)
    assert resolve_parts("3", "2", where="X") == Parts(3, 2, even=False)
    assert resolve_parts(3, 2, where="X", even=True) == Parts(3, 2, even=True)
    assert resolve_parts(1, 0, where="X", even=True) == Parts(1, 0, even=False)
    assert resolve_parts("auto", "auto", where="X") == Parts(1, 0, even=True)
    launched(monkeypatch, 4, 3)
    assert resolve_parts("auto", "auto", where="X") == Parts(4, 3, even=True)
    assert resolve_parts(" auto ", 1, where="X") == Parts(4, 1, even=True)
    assert resolve_parts(8, "auto", where="X") == Parts(8, 3, even=True)
    with pytest.raises(ValueError, match=r"X: part_index must be in \[0, num_parts\).*=2"):
        resolve_parts(2, "auto", where="X")
    for bad in ("all", 1.5, True, None):
        with pytest.raises(ValueError, match="X: num_parts must be an integer or 'auto'"):
            resolve_parts(bad, 0, where="X")


@given(st.integers(0, 60), st.integers(1, 9), st.integers(0, 2**31))
def test_even_blocks_cover_the_order_once_with_fewer_than_num_parts_repeats(
    count: int, num_parts: int, seed: int
) -> None:
    order = epoch_order(count, True, seed, 0)
    parts = [Parts(num_parts, k, even=True) for k in range(num_parts)]
    blocks = [p.block(order) for p in parts]
    assert {len(b) for b in blocks} == {-(-count // num_parts)}
    fresh = [b[: p.fresh(count)] for p, b in zip(parts, blocks, strict=True)]
    assert np.concatenate(fresh).tolist() == order.tolist()  # in rank order: the order itself
    repeats = sum(len(b) for b in blocks) - count
    assert repeats < num_parts or count == 0
    for p, b in zip(parts, blocks, strict=True):
        start = p.first_row(count)
        assert b.tolist() == [order[(start + i) % count] for i in range(len(b))]


def test_shuffling_even_parts_needs_a_shared_seed() -> None:
    with pytest.raises(ValueError, match=r"X: shuffle with num_parts=2 .*pass seed="):
        require_shared_seed("X", Parts(2, 0, even=True), True, None)
    require_shared_seed("X", Parts(2, 0, even=True), True, 0)
    require_shared_seed("X", Parts(2, 0, even=True), False, None)
    require_shared_seed("X", Parts(2, 0, even=False), True, None)


# -- the plan of one even part ------------------------------------------------------------


def rows_of(plan: Any) -> list[list[int | None]]:
    return [[s.position for s in b] for b in plan.batches]


def test_block_epoch_modes() -> None:
    block = np.array([7, 8, 9, 0, 1], np.intp)  # the last two repeat, made to even the parts
    kw: dict[str, Any] = dict(first_row=10, fresh=3, fill_row=100)
    pad, carry = plan_block_epoch(block, 2, 0, [], mode="pad", **kw)
    assert rows_of(pad) == [[7, 8], [9, 0], [1, 7]] and pad.pads == [0, 1, 2] and carry == []
    assert [s.key for s in pad.batches[2]] == [(0, 14), (0, 100)]
    empty, _ = plan_block_epoch(block, 2, 0, [], mode="empty", **kw)
    assert rows_of(empty)[-1] == [1, None] and empty.pads == [0, 1, 2]
    discard, _ = plan_block_epoch(block, 2, 0, [], mode="discard", **kw)
    assert rows_of(discard) == [[7, 8], [9, 0]] and discard.pads == [0, 1]
    roll, carry = plan_block_epoch(block, 2, 0, [], mode="roll_over", **kw)
    assert rows_of(roll) == [[7, 8], [9, 0]] and [s.position for s in carry] == [1]
    nxt, _ = plan_block_epoch(block, 2, 1, carry, mode="roll_over", **kw)
    assert rows_of(nxt) == [[1, 7], [8, 9], [0, 1]] and nxt.pads == [0, 0, 2]
    with pytest.raises(ValueError, match="mode must be"):
        plan_block_epoch(block, 2, 0, [], mode="wrap", **kw)


# -- the iterators, every rank in turn in this process ----------------------------------------


def pack(path: Path, count: int) -> Path:
    """`count` tiny PNG records, record i with id i and label i."""
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(count):
            img = np.full((10, 10, 3), i * 7 % 256, np.uint8)
            header = recordio.IRHeader(0, float(i), i, 0)
            w.write_idx(i, recordio.pack_img(header, img, quality=3, img_fmt=".png"))
    return path


def per_rank(
    monkeypatch: pytest.MonkeyPatch, size: int, make: Callable[[], Any], ids: Callable[[Any], Any]
) -> list[list[list[tuple[list[int], int]]]]:
    """[rank][epoch] -> batches as (ids, pad), for 2 epochs, with WORLD_SIZE/RANK set."""
    out = []
    for rank in range(size):
        launched(monkeypatch, size, rank)
        it = make()
        epochs = []
        for epoch in range(2):
            if epoch:
                it.reset()
            epochs.append([(np.asarray(ids(b)).astype(int).tolist(), int(b.pad)) for b in it])
        if hasattr(it, "close"):
            it.close()
        out.append(epochs)
    return out


def assert_even_epochs(
    got: list[list[list[tuple[list[int], int]]]], orders: list[list[int]], batch: int
) -> None:
    """Equal batch counts; rows outside pad, laid in rank order, are the epoch's order."""
    size = len(got)
    for epoch, order in enumerate(orders):
        counts = {len(rank[epoch]) for rank in got}
        assert len(counts) == 1, f"epoch {epoch}: batch counts {counts}"
        laid = [i for rank in got for ids, pad in rank[epoch] for i in ids[: batch - pad]]
        assert laid == order, f"epoch {epoch}"
        rows = sum(len(ids) for rank in got for ids, _ in rank[epoch])
        assert rows - len(order) <= (size - 1) + size * (batch - 1)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("round_batch", [True, False])
def test_image_record_iter_auto_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, round_batch: bool
) -> None:
    rec = pack(tmp_path / "a.rec", 13)

    def make() -> Any:
        return mx.io.ImageRecordIter(
            path_imgrec=str(rec),
            data_shape=(3, 8, 8),
            batch_size=3,
            shuffle=True,
            seed=4,
            round_batch=round_batch,
            num_parts="auto",
            part_index="auto",
            preprocess_threads=1,
            verbose=False,
        )

    got = per_rank(monkeypatch, size, make, lambda b: b.index)
    orders = [epoch_order(13, True, 4, e).tolist() for e in range(2)]
    assert orders[0] != orders[1]
    assert_even_epochs(got, orders, 3)


def test_image_record_iter_auto_without_round_batch_pads_with_empty_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = pack(tmp_path / "a.rec", 5)
    launched(monkeypatch, 2, 1)
    it = mx.io.ImageRecordIter(
        path_imgrec=str(rec),
        data_shape="(3,8,8)",
        batch_size="2",
        round_batch="False",
        num_parts="auto",
        part_index="auto",
        verbose=False,
    )
    batches = list(it)
    it.close()
    assert [b.index.tolist() for b in batches] == [[3, 4], [0, 0]]  # a repeat of 0, empty row
    assert [b.pad for b in batches] == [0, 2]
    assert not batches[1].data[0][1].any()


def test_image_record_iter_integer_parts_stay_mxnets_byte_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = pack(tmp_path / "a.rec", 13)
    launched(monkeypatch, 3, 0)  # ignored: the parts are given
    seen = []
    for part in range(3):
        it = mx.io.ImageRecordIter(
            path_imgrec=str(rec),
            data_shape=(3, 8, 8),
            batch_size=1,
            num_parts=3,
            part_index=part,
            verbose=False,
        )
        seen.append([int(b.index[0]) for b in it])
        assert it.state_dict()["even_parts"] is False
        it.close()
    assert [i for part in seen for i in part] == list(range(13))


def test_image_record_iter_rejects_a_bad_num_parts(tmp_path: Path) -> None:
    rec = pack(tmp_path / "a.rec", 3)
    with pytest.raises(
        InvalidParameterError, match=r"num_parts: expected int or one of \['auto'\]"
    ):
        mx.io.ImageRecordIter(
            path_imgrec=str(rec), data_shape=(3, 8, 8), batch_size=1, num_parts="some"
        )
    with pytest.raises(ValueError, match=r"part_index must be in \[0, num_parts\)"):
        mx.io.ImageRecordIter(
            path_imgrec=str(rec), data_shape=(3, 8, 8), batch_size=1, num_parts=2, part_index=2
        )


def test_image_record_iter_auto_parts_resume_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = pack(tmp_path / "a.rec", 7)
    launched(monkeypatch, 2, 1)

    def make() -> Any:
        return mx.io.ImageRecordUInt8Iter(
            path_imgrec=str(rec),
            data_shape=(3, 8, 8),
            batch_size=2,
            shuffle=True,
            rand_crop=True,
            num_parts="auto",
            part_index="auto",
            preprocess_threads=2,
            verbose=False,
        )

    assert_resumes_exactly(make, epochs=2)
    state = make().state_dict()
    launched(monkeypatch, 3, 1)
    with pytest.raises(ValueError, match="num_parts=2"):
        make().load_state_dict(state)


@pytest.mark.parametrize("mode", ["pad", "discard", "roll_over"])
def test_image_iter_auto_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    rec = pack(tmp_path / "a.rec", 11)

    def make() -> Any:
        return mx.image.ImageIter(
            3,
            (3, 8, 8),
            path_imgrec=str(rec),
            shuffle=True,
            seed=9,
            num_parts="auto",
            part_index="auto",
            last_batch_handle=mode,
            preprocess_threads=1,
        )

    got = per_rank(monkeypatch, 2, make, lambda b: b.label[0])
    for e in range(2):
        assert len({len(rank[e]) for rank in got}) == 1, f"epoch {e}: batch counts differ"
    first = [i for rank in got for ids, pad in rank[0] for i in ids[: 3 - pad]]
    assert len(set(first)) == len(first)  # disjoint (roll_over mixes epochs after the first)
    if mode == "pad":
        assert_even_epochs(got, [epoch_order(11, True, 9, e).tolist() for e in range(2)], 3)


def test_image_iter_auto_shuffle_needs_a_seed(tmp_path: Path) -> None:
    rec = pack(tmp_path / "a.rec", 3)
    with pytest.raises(ValueError, match=r"ImageIter: shuffle with num_parts=1.*seed"):
        mx.image.ImageIter(1, (3, 8, 8), path_imgrec=str(rec), shuffle=True, num_parts="auto")


def test_image_iter_integer_parts_stay_mxnets_split(tmp_path: Path) -> None:
    rec = pack(tmp_path / "a.rec", 9)
    with mx.image.ImageIter(1, (3, 8, 8), path_imgrec=str(rec), num_parts=2, part_index=1) as it:
        assert [int(b.label[0][0]) for b in it] == [4, 5, 6, 7]  # 8 unread, as in MXNet


@pytest.mark.parametrize("mode", ["pad", "discard", "roll_over"])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_ndarray_iter_auto_parts(
    monkeypatch: pytest.MonkeyPatch, mode: str, shuffle: bool, size: int
) -> None:
    rows = 14

    def make() -> Any:
        return mx.io.NDArrayIter(
            np.arange(rows * 2).reshape(rows, 2),
            np.arange(rows),
            batch_size=4,
            shuffle=shuffle,
            last_batch_handle=mode,
            seed=3,
            num_parts="auto",
            part_index="auto",
        )

    got = per_rank(monkeypatch, size, make, lambda b: b.label[0])
    for e in range(2):
        assert len({len(rank[e]) for rank in got}) == 1, f"epoch {e}"
    orders = [(row_order(rows, 3, e) if shuffle else np.arange(rows)).tolist() for e in range(2)]
    if mode == "pad":
        assert_even_epochs(got, orders, 4)
    for rank in range(size):  # the data rows and index follow the labels
        launched(monkeypatch, size, rank)
        for batch in make():
            np.testing.assert_array_equal(batch.data[0][:, 0], batch.label[0] * 2)
            np.testing.assert_array_equal(batch.index, batch.label[0])


def test_ndarray_iter_integer_parts_are_even_and_one_part_is_mxnets() -> None:
    data = np.arange(10, dtype=np.float32)
    plain = [b.label[0].tolist() for b in mx.io.NDArrayIter(data, data, 4)]
    one = [b.label[0].tolist() for b in mx.io.NDArrayIter(data, data, 4, num_parts=1)]
    assert plain == one == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    parts = [mx.io.NDArrayIter(data, data, 4, num_parts=3, part_index=k) for k in range(3)]
    got = [[(b.label[0].tolist(), b.pad) for b in it] for it in parts]
    assert got == [
        [([0, 1, 2, 3], 0)],
        [([4, 5, 6, 7], 0)],
        [([8, 9, 0, 1], 2)],  # 0 evens the parts, 1 fills the batch: both are pad
    ]
    with pytest.raises(ValueError, match=r"NDArrayIter: shuffle with num_parts=3.*seed"):
        mx.io.NDArrayIter(data, data, 4, shuffle=True, num_parts=3, part_index=0)
    mx.io.NDArrayIter(data, data, 4, shuffle=True)  # one part: MXNet's unseeded shuffle
    with pytest.raises(InvalidParameterError, match="num_parts"):
        mx.io.NDArrayIter(data, data, 4, num_parts="everything")


def test_ndarray_iter_parts_resume_exactly() -> None:
    data = np.arange(23 * 3, dtype=np.float32).reshape(23, 3)

    def make() -> Any:
        return mx.io.NDArrayIter(
            data, last_batch_handle="roll_over", batch_size=4, shuffle=True, seed=1,
            num_parts=3, part_index=2,
        )  # fmt: skip

    assert_resumes_exactly(make, epochs=3)
    state = make().state_dict()
    other = mx.io.NDArrayIter(
        data, last_batch_handle="roll_over", batch_size=4, shuffle=True, seed=1,
        num_parts=3, part_index=1,
    )  # fmt: skip
    with pytest.raises(ValueError, match="part_index=2"):
        other.load_state_dict(state)


def _mnist_takes_auto() -> bool:
    from recio._io.mnist_iter import MNISTOptions

    return "auto" in str(typing.get_type_hints(MNISTOptions)["num_parts"])


@pytest.mark.skipif(not _mnist_takes_auto(), reason="MNISTIter's 'auto' parts are not wired in yet")
@pytest.mark.parametrize("shuffle", [False, True])
def test_mnist_iter_auto_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shuffle: bool
) -> None:
    count = 11
    images = np.arange(count * 16, dtype=np.uint8).reshape(count, 4, 4)
    (tmp_path / "images").write_bytes(struct.pack(">IIII", 0x803, count, 4, 4) + images.tobytes())
    labels = np.arange(count, dtype=np.uint8).tobytes()
    (tmp_path / "labels").write_bytes(struct.pack(">II", 0x801, count) + labels)

    def make() -> Any:
        return mx.io.MNISTIter(
            image=str(tmp_path / "images"),
            label=str(tmp_path / "labels"),
            batch_size=2,
            shuffle=shuffle,
            seed=3,
            num_parts="auto",
            part_index="auto",
            silent=True,
        )

    got = per_rank(monkeypatch, 3, make, lambda b: b.label[0])
    order = shuffled_order(count, 3).tolist() if shuffle else list(range(count))
    for epoch in range(2):  # MXNet's MNISTIter: the same order every epoch, no padded batch
        assert [len(rank[epoch]) for rank in got] == [2, 2, 2]
        laid = [i for rank in got for ids, _ in rank[epoch] for i in ids]
        assert laid == order + order[:1]  # one repeat evens the parts out


# -- for real: torchrun, two ranks, gloo on the CPU ------------------------------------------


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_torchrun_two_ranks_read_even_disjoint_shuffled_parts(tmp_path: Path) -> None:
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed (the [torch] extra)")
    records = 37  # odd and not a multiple of the batch: a repeat and padded batches
    rec = tmp_path / "data.rec"
    with recordio.MXIndexedRecordIO(str(rec.with_suffix(".idx")), str(rec), "w") as w:
        for i in range(records):
            img = np.full((12, 12, 3), i * 5 % 256, np.uint8)
            header = recordio.IRHeader(0, float(i), i, 0)
            w.write_idx(i, recordio.pack_img(header, img, quality=3, img_fmt=".png"))
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env.update(OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    command = [
        sys.executable, "-m", "torch.distributed.run",  # torchrun
        "--standalone", "--nnodes", "1", "--nproc-per-node", "2", "--max-restarts", "0",
        str(WORKER), str(rec), str(records),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,  # its own process group, so every rank can be stopped
    )
    try:
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    deadline = time.monotonic() + 10
    while not _gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    leftover = not _gone(proc.pid)
    if leftover:
        os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output[-6000:]
    assert "distributed check passed: 2 ranks, 2 epochs, 3 iterators" in output
    assert not leftover, "a rank outlived torchrun"
