"""recio.jax: iterators as iterables of jax arrays, on one device or sharded across several."""

from __future__ import annotations

import contextlib
import importlib
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
# four CPU devices to shard across: possible only before JAX starts its backend (and with a
# jax that has the option); the sharding tests skip when there is a single device
with contextlib.suppress(RuntimeError, AttributeError):
    jax.config.update("jax_num_cpu_devices", 4)

from recio import mx, recordio  # noqa: E402
from recio.jax import JaxBatch, JaxIterable, batch_sharding, to_jax  # noqa: E402

COUNT = 22  # records; batch 4 leaves a last batch with two padding rows
BATCH = 4


def picture(i: int) -> np.ndarray:
    yy, xx = np.mgrid[0:40, 0 : 44 + i % 5]
    return (np.stack([yy * 3 + i, xx * 2 + 2 * i, (yy + xx + 5 * i) % 256], -1) % 256).astype(
        np.uint8
    )


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jax") / "images.rec"
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(COUNT):
            w.write_idx(i, recordio.pack_img((0, float(i % 3), i, 0), picture(i), 3, ".png"))
    return path


def image_iter(rec: Path, **extra: Any) -> Any:
    params: dict[str, Any] = dict(
        path_imgrec=str(rec), data_shape=(3, 32, 32), batch_size=BATCH, shuffle=True,
        rand_crop=True, rand_mirror=True, mean_r=120.0, std_r=60.0, seed=3,
        preprocess_threads=2, prefetch_buffer=2, verbose=False,
    )  # fmt: skip
    params.update(extra)
    return mx.io.ImageRecordIter(**params)


def raw_epochs(it: Any, epochs: int) -> list[list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]]:
    """Copies of every batch of `epochs` epochs straight from the iterator, which it closes."""
    out = []
    with it:
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out.append(
                [(np.array(b.data[0]), np.array(b.label[0]), b.pad, np.array(b.index)) for b in it]
            )
    return out


def assert_same(batch: JaxBatch, expected: tuple[np.ndarray, np.ndarray, int, np.ndarray]):
    data, label, pad, index = expected
    assert isinstance(batch.data[0], jax.Array)
    np.testing.assert_array_equal(np.asarray(batch.data[0]), data)
    np.testing.assert_array_equal(np.asarray(batch.label[0]), label)
    assert batch.pad == pad
    assert batch.index is not None and batch.index.dtype == np.int64
    np.testing.assert_array_equal(batch.index, index)


def test_batches_equal_the_raw_iterator_over_epochs(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 2)
    with JaxIterable(image_iter(rec)) as loader:
        for epoch in range(2):
            got = list(loader)
            assert len(got) == len(expected[epoch])
            for batch, exp in zip(got, expected[epoch], strict=True):
                assert_same(batch, exp)
                assert batch.data[0].devices() == {jax.devices()[0]}


def test_holding_every_batch_keeps_its_data(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 2)
    with JaxIterable(image_iter(rec)) as loader:
        kept = [list(loader), list(loader)]
    for epoch in range(2):
        for batch, exp in zip(kept[epoch], expected[epoch], strict=True):
            assert_same(batch, exp)


def test_sharded_across_local_devices(rec: Path) -> None:
    if len(jax.local_devices()) < 2:
        pytest.skip(f"needs several local devices, JAX has {jax.local_devices()}")
    devices = len(jax.local_devices())
    expected = raw_epochs(image_iter(rec, batch_size=2 * devices), 1)[0]
    with JaxIterable(image_iter(rec, batch_size=2 * devices), sharding="batch") as loader:
        got = list(loader)
    for batch, exp in zip(got, expected, strict=True):
        assert_same(batch, exp)
        for array in (batch.data[0], batch.label[0]):
            assert len(array.devices()) == devices
            assert {s.data.shape[0] for s in array.addressable_shards} == {2}  # 2 rows each


def test_a_batch_the_devices_do_not_divide_is_a_clear_error(rec: Path) -> None:
    devices = jax.local_devices()
    if len(devices) < 2:
        pytest.skip("needs several devices")
    x = np.zeros((12, 2), np.float32)
    loader = to_jax(mx.io.NDArrayIter(x, batch_size=len(devices) + 1), sharding=batch_sharding())
    with pytest.raises(ValueError, match=f"make the batch size a multiple of {len(devices)}"):
        next(iter(loader))


def test_device_label_dtype_and_trim_pad() -> None:
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    device = jax.devices()[-1]
    loader = JaxIterable(
        mx.io.NDArrayIter(x, np.arange(10), batch_size=4),
        device=device,
        label_dtype=np.int32,
        trim_pad=True,
    )
    batches = list(loader)
    assert [b.pad for b in batches] == [0, 0, 0]
    assert [b.data[0].shape[0] for b in batches] == [4, 4, 2]
    last = batches[-1]
    assert last.label[0].dtype == np.int32 and last.label[0].tolist() == [8, 9]
    assert last.index.tolist() == [8, 9]
    assert last.data[0].devices() == {device}
    np.testing.assert_array_equal(np.asarray(last.data[0]), x[8:])


def test_options_that_do_not_go_together() -> None:
    it = mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=2)
    with pytest.raises(ValueError, match="device or sharding, not both"):
        JaxIterable(it, device=jax.devices()[0], sharding="batch")
    with pytest.raises(ValueError, match="trim_pad=True gives a short last batch"):
        JaxIterable(it, sharding="batch", trim_pad=True)
    with pytest.raises(TypeError, match=r"sharding must be 'batch' or a jax\.sharding\.Sharding"):
        JaxIterable(it, sharding="rows")  # type: ignore[arg-type]


def test_state_dict_resumes(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 1)[0]
    with JaxIterable(image_iter(rec)) as loader:
        stream = iter(loader)
        next(stream)
        state = pickle.loads(pickle.dumps(loader.state_dict()))
    with JaxIterable(image_iter(rec)) as resumed:
        resumed.load_state_dict(state)
        for batch, exp in zip(resumed, expected[1:], strict=True):
            assert_same(batch, exp)


def test_missing_jax_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)
    monkeypatch.delitem(sys.modules, "recio.jax")
    with pytest.raises(ImportError, match=r"pip install 'recio\[jax\]'"):
        importlib.import_module("recio.jax")


def test_importing_recio_does_not_import_jax() -> None:
    code = "import sys, recio, recio.io, recio.image; sys.exit('jax' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
