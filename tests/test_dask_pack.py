"""recio im2rec --dask: shards packed on a real 2-process LocalCluster, retries, worker death.

The cluster is started here (loopback only, no dashboard) and shut down after the module.
A local run of the same list is the reference: its .rec must equal the shards joined,
record for record and byte for byte. Failures are injected by wrapping the shard task:
one attempt raises (Dask's ``retries=``), one kills its own worker process part-way
through a shard (the nanny restarts it, the scheduler reschedules the task).
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from recio import mx, recordio
from recio.tools import _dask_pack, im2rec
from recio.tools._dask_pack import ShardResult, pack_on_dask, pack_shard, plan_shards
from recio.tools._lists import ListItem, read_list
from recio.tools._pack import PackOptions

TIMEOUT = 30  # seconds any one cluster operation may take before the test fails


# -- data -----------------------------------------------------------------------------


def make_images(root: Path, n: int = 24) -> Path:
    """``n`` small JPEGs in 3 class folders, plus one file that is not an image."""
    rng = np.random.default_rng(7)
    for i in range(n):
        path = root / f"class{i % 3}" / f"img{i:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        img = rng.integers(0, 256, (20 + i % 5, 24 + i % 4, 3), dtype=np.uint8)
        ok, buf = cv2.imencode(".jpg", img)
        assert ok
        path.write_bytes(buf.tobytes())
    (root / "class1" / "broken.jpg").write_bytes(b"not an image at all")
    return root


def make_list(tmp_path: Path, root: Path, duplicate: bool = True) -> Path:
    """``data/train.lst`` over ``root`` (shuffled, recursive), with one duplicated index."""
    (tmp_path / "data").mkdir()
    prefix = tmp_path / "data" / "train"
    result = im2rec.make_lists(str(prefix), str(root), recursive=True)
    lst = Path(result.files[0][0])
    if duplicate:
        with lst.open("a") as f:
            f.write(lst.read_text().splitlines()[0] + "\n")
    return lst


def records(paths: list[Path]) -> list[tuple[int, bytes]]:
    """``(key, record)`` of each .rec in ``paths`` (with its .idx), files in the given order."""
    out = []
    for rec in paths:
        with recordio.MXIndexedRecordIO(str(rec.with_suffix(".idx")), str(rec), "r") as r:
            out += [(key, r.read_idx(key)) for key in r.keys]
    return out


def shard_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.rec"))


# -- the cluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A 2-process cluster on loopback. Its nannies set OMP_NUM_THREADS, MALLOC_TRIM_THRESHOLD_
    and more in this process's environment for the workers they spawn; the environment is
    restored after, so later tests' subprocesses do not inherit them."""
    distributed = pytest.importorskip("dask.distributed")
    saved = dict(os.environ)
    try:
        yield from _start_cluster(distributed)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _start_cluster(distributed: Any) -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
        timeout=TIMEOUT,
    ) as c:
        yield c


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.Client(cluster.scheduler_address, timeout=TIMEOUT) as c:
        c.wait_for_workers(2, timeout=TIMEOUT)
        yield c


# -- planning (no cluster) --------------------------------------------------------------


def test_shards_are_near_equal_consecutive_runs_named_in_list_order(tmp_path: Path) -> None:
    items = [ListItem(i, (0.0,), f"{i}.jpg") for i in range(10)]
    shards = plan_shards(items, str(tmp_path / "x.lst"), 4)
    assert [len(s.items) for s in shards] == [3, 3, 2, 2]
    assert [it for s in shards for it in s.items] == items
    assert [os.path.basename(s.rec) for s in shards] == [
        f"x-{i:05d}-of-00004.rec" for i in range(4)
    ]
    assert {os.path.dirname(s.rec) for s in shards} == {str(tmp_path / "x.shards")}
    assert len(plan_shards(items, "x.lst", 50)) == 10  # never an empty shard
    assert len(plan_shards([], "x.lst", 3)) == 1
    many = plan_shards([ListItem(i, (0.0,), "a") for i in range(2500)], "x.lst")
    assert [len(s.items) for s in many] == [834, 833, 833]  # one per 1000 images
    wide = plan_shards([ListItem(i, (0.0,), "a") for i in range(100_001)], "x.lst", 100_001)
    names = [os.path.basename(s.rec) for s in wide]
    assert names == sorted(names)  # wider numbers, still in name order
    assert names[-1] == "x-100000-of-100001.rec"


def test_stale_shards_and_temporary_files_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "x.shards"
    folder.mkdir()
    names = [
        "x-00000-of-00002.rec",
        "x-00001-of-00002.idx",
        ".x-00000-of-00002.rec.tmp-abc123",
        "notes.txt",
        "y-00000-of-00001.rec",
    ]
    for name in names:
        (folder / name).write_bytes(b"")
    keep = [str(folder / "x-00000-of-00002.rec")]
    removed = _dask_pack.clean_shard_dir(str(folder), keep)
    assert sorted(os.path.basename(p) for p in removed) == [
        ".x-00000-of-00002.rec.tmp-abc123",
        "x-00001-of-00002.idx",
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["x-00000-of-00002.rec", "notes.txt", "y-00000-of-00001.rec"]
    )


def test_pack_shard_writes_atomically_and_cleans_up_after_an_error(tmp_path: Path) -> None:
    root = make_images(tmp_path / "img", 4)
    items = [ListItem(i, (0.0,), f"class{i % 3}/img{i:03d}.jpg") for i in range(4)]
    (shard,) = plan_shards(items, str(tmp_path / "x.lst"), 1)

    def explode() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        pack_shard(shard, str(root), PackOptions(), on_item=explode)
    assert list((tmp_path / "x.shards").iterdir()) == []
    result = pack_shard(shard, str(root), PackOptions())
    assert result == ShardResult(shard.rec, 4, [])
    assert sorted(p.name for p in (tmp_path / "x.shards").iterdir()) == [
        "x-00000-of-00001.idx",
        "x-00000-of-00001.rec",
    ]
    with pytest.raises(NotADirectoryError, match="same paths on every worker"):
        pack_shard(shard, str(tmp_path / "missing"), PackOptions())


def test_without_dask_the_flag_exits_2_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_images(tmp_path / "img", 3)
    lst = make_list(tmp_path, root, duplicate=False)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails
    code = im2rec.main([str(lst.with_suffix("")), str(root), "--dask", "tcp://127.0.0.1:1"])
    assert code == 2
    assert "pip install 'recio[dask]'" in capsys.readouterr().err
    assert not (tmp_path / "data" / "train.shards").exists()
    assert im2rec.main([str(lst), str(root), "--list", "--dask", "tcp://127.0.0.1:1"]) == 2
    assert "cannot be combined with --list" in capsys.readouterr().err


def test_no_scheduler_at_the_address_is_an_oserror_naming_it() -> None:
    pytest.importorskip("dask.distributed")
    with pytest.raises(OSError, match=r"no Dask scheduler answered at 'tcp://127.0.0.1:1'"):
        _dask_pack.connect("tcp://127.0.0.1:1", timeout=1)


# -- on the cluster ----------------------------------------------------------------------


def test_cli_shards_equal_a_local_run_and_read_as_one_dataset(
    tmp_path: Path, cluster: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_images(tmp_path / "img")
    lst = make_list(tmp_path, root)
    prefix = str(lst.with_suffix(""))
    assert im2rec.main([prefix, str(root), "--resize", "16", "-q"]) == 1
    local_err = capsys.readouterr().err
    argv = [prefix, str(root), "--resize", "16", "--dask", cluster.scheduler_address]
    assert im2rec.main([*argv, "--chunks", "5"]) == 1
    dask_err = capsys.readouterr().err

    def skips(err: str) -> set[str]:
        return {line for line in err.splitlines() if line.startswith("skipped")}

    assert skips(dask_err) == skips(local_err) and len(skips(local_err)) == 2
    assert "5 shards, 24 images, 2 skipped" in dask_err
    folder = tmp_path / "data" / "train.shards"
    shards = shard_files(folder)
    assert [p.name for p in shards] == [f"train-{i:05d}-of-00005.rec" for i in range(5)]
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    local = records([lst.with_suffix(".rec")])
    assert records(shards) == local  # same keys, same bytes, list order

    it = mx.io.ImageRecordIter(
        path_imgrec=str(folder), data_shape=(3, 16, 16), batch_size=4, round_batch=False
    )
    ids = [int(i) for batch in it for i in batch.index[: 4 - batch.pad]]
    it.close()
    assert ids == [recordio.unpack(r)[0].id for _, r in local]

    # a second run with fewer shards replaces the first run's, none left over
    assert im2rec.main([*argv, "--chunks", "2", "-q"]) == 1
    names = [p.name for p in shard_files(folder)]
    assert names == ["train-00000-of-00002.rec", "train-00001-of-00002.rec"]
    assert records(shard_files(folder)) == local


def _raise_once(
    shard: Any, root: str, options: PackOptions, num_threads: int = 1, *, marker: str
) -> ShardResult:
    """The shard task, raising OSError on shard 1's first attempt (the marker says if done)."""
    if shard.index == 1 and not os.path.exists(marker):
        Path(marker).write_text("raised")
        raise OSError("transient failure")
    return pack_shard(shard, root, options, num_threads)


def _die_mid_shard(
    shard: Any, root: str, options: PackOptions, num_threads: int = 1, *, marker: str
) -> ShardResult:
    """The shard task; shard 2's first attempt SIGKILLs its worker after its third record.

    Before dying it notes in the marker the files of the shard folder, so the test can see
    that a half-written temporary shard was there.
    """
    seen = 0

    def on_item() -> None:
        nonlocal seen
        seen += 1
        if shard.index == 2 and seen == 3 and not os.path.exists(marker):
            Path(marker).write_text("\n".join(sorted(os.listdir(os.path.dirname(shard.rec)))))
            os.kill(os.getpid(), signal.SIGKILL)

    return pack_shard(shard, root, options, num_threads, on_item=on_item)


def _plan(tmp_path: Path) -> tuple[Path, list[Any], list[tuple[int, bytes]]]:
    """Images, their list cut into 4 shards, and the records a local run of it writes."""
    root = make_images(tmp_path / "img")
    lst = make_list(tmp_path, root, duplicate=False)
    assert im2rec.main([str(lst.with_suffix("")), str(root), "-q"]) == 1  # broken.jpg
    items = list(read_list(str(lst)))
    return root, plan_shards(items, str(lst), 4), records([lst.with_suffix(".rec")])


def test_a_failed_attempt_is_retried(tmp_path: Path, client: Any) -> None:
    root, shards, local = _plan(tmp_path)
    marker = tmp_path / "raised"
    task = functools.partial(_raise_once, marker=str(marker))
    results, failures = pack_on_dask(
        client, shards, str(root), PackOptions(), retries=1, task=task, timeout=TIMEOUT
    )
    assert marker.exists() and failures == []
    assert [r.rec for r in results] == [s.rec for s in shards]
    assert records([Path(s.rec) for s in shards]) == local


def test_without_retries_the_failed_shard_is_reported_and_missing(
    tmp_path: Path, client: Any
) -> None:
    root, shards, _ = _plan(tmp_path)
    task = functools.partial(_raise_once, marker=str(tmp_path / "raised"))
    results, failures = pack_on_dask(
        client, shards, str(root), PackOptions(), retries=0, task=task, timeout=TIMEOUT
    )
    assert [f.rec for f in failures] == [shards[1].rec]
    assert "OSError: transient failure" in failures[0].error
    assert len(results) == 3
    folder = Path(shards[0].rec).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        os.path.basename(p) for s in (shards[0], shards[2], shards[3]) for p in (s.rec, s.idx)
    )


def test_a_worker_killed_mid_shard_is_replaced_and_the_shard_completes(
    tmp_path: Path, client: Any
) -> None:
    root, shards, local = _plan(tmp_path)
    marker = tmp_path / "killed"
    task = functools.partial(_die_mid_shard, marker=str(marker))
    results, failures = pack_on_dask(
        client, shards, str(root), PackOptions(), retries=0, task=task, timeout=TIMEOUT
    )
    assert failures == []
    at_death = marker.read_text().splitlines()
    assert any(name.startswith(".train-00002-of-00004.rec.tmp-") for name in at_death)
    folder = Path(shards[0].rec).parent
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no half shard left
    assert [r.rec for r in results] == [s.rec for s in shards]
    assert sum(r.written for r in results) == len(local)
    assert records([Path(s.rec) for s in shards]) == local
