"""recio.torch: iterators as torch iterables (shared memory, buffer reuse) and RecordDataset."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from recio import mx, recordio  # noqa: E402
from recio._io.base import DataBatch, DataIter  # noqa: E402
from recio.torch import RecordDataset, TorchBatch, TorchIterable, to_torch  # noqa: E402

COUNT = 23  # records; batch 4 leaves a padded last batch
BATCH = 4


def picture(i: int) -> np.ndarray:
    """A BGR image whose pixels identify `i`, sizes varying a little."""
    height, width = 36 + i % 3, 44 + i % 5
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([yy * 3 + i, xx * 2 + 2 * i, (yy + xx + 5 * i) % 256], -1)
    return (img % 256).astype(np.uint8)


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("torch") / "images.rec"
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(COUNT):
            w.write_idx(i, recordio.pack_img((0, float(i % 3), i, 0), picture(i), 3, ".png"))
    return path


def image_iter(rec: Path, cls: Any = None, **extra: Any) -> Any:
    """An augmenting, shuffling ImageRecordIter: its output depends only on the seed."""
    params: dict[str, Any] = dict(
        path_imgrec=str(rec), data_shape=(3, 32, 32), batch_size=BATCH, shuffle=True,
        rand_crop=True, rand_mirror=True, mean_r=120.0, std_r=60.0, seed=5,
        preprocess_threads=2, prefetch_buffer=2, verbose=False,
    )  # fmt: skip
    params.update(extra)
    return (cls or mx.io.ImageRecordIter)(**params)


def raw_epochs(it: Any, epochs: int) -> list[list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]]:
    """Copies of every batch of `epochs` epochs straight from the iterator, which it closes."""
    out = []
    with it:
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out.append(
                [
                    (np.array(b.data[0]), np.array(b.label[0]), b.pad, np.array(b.index, np.int64))
                    for b in it
                ]
            )
    return out


def assert_same(batch: TorchBatch, expected: tuple[np.ndarray, np.ndarray, int, np.ndarray]):
    data, label, pad, index = expected
    np.testing.assert_array_equal(batch.data[0].numpy(), data)
    np.testing.assert_array_equal(batch.label[0].numpy(), label)
    assert batch.pad == pad
    assert batch.index is not None
    assert batch.index.dtype == torch.int64
    np.testing.assert_array_equal(batch.index.numpy(), index)


# -- TorchIterable ------------------------------------------------------------------------


def test_tensors_share_the_numpy_batch(rec: Path) -> None:
    with image_iter(rec) as it:
        loader = TorchIterable(it)
        batch = it.next()
        out = loader.convert(batch)
        assert isinstance(out.data[0], torch.Tensor)
        assert out.data[0].data_ptr() == batch.data[0].ctypes.data  # no copy
        assert out.label[0].data_ptr() == batch.label[0].ctypes.data
        assert out.data[0].shape == (BATCH, 3, 32, 32)
        assert out.data[0].dtype == torch.float32


def test_batches_equal_the_raw_iterator_over_epochs(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 3)
    with TorchIterable(image_iter(rec)) as loader:
        for epoch in range(3):  # each pass is one epoch: reset() comes from the loader
            got = list(loader)
            assert len(got) == len(expected[epoch]) == 6
            for batch, exp in zip(got, expected[epoch], strict=True):
                assert_same(batch, exp)
    assert expected[0][-1][2] == 1  # 23 records, batch 4: the last batch has one pad row


def test_holding_every_batch_keeps_its_data(rec: Path) -> None:
    """A kept tensor pins its buffer: the engine fills fresh ones, nothing is overwritten."""
    expected = raw_epochs(image_iter(rec), 2)
    with TorchIterable(image_iter(rec)) as loader:
        kept = [list(loader), list(loader)]
        for epoch in range(2):
            for batch, exp in zip(kept[epoch], expected[epoch], strict=True):
                assert_same(batch, exp)
        pointers = {b.data[0].data_ptr() for epoch in kept for b in epoch}
        assert len(pointers) == 12  # every held batch has its own memory


class CountingIter(mx.io.ImageRecordIter):
    """Counts the batch buffer sets the engine allocates."""

    def _make_buffers(self) -> tuple[Any, ...]:
        self.made = getattr(self, "made", 0) + 1
        return super()._make_buffers()


def test_steady_state_allocates_no_buffers_per_batch(rec: Path) -> None:
    with TorchIterable(image_iter(rec, CountingIter)) as loader:
        seen = 0
        for _ in range(8):  # ~46 batches, each dropped by the loop as a training loop does
            for batch in loader:
                seen += 1
                assert float(batch.data[0].abs().sum()) > 0
        made = loader.iterator.made
    assert seen > 40  # round_batch: an epoch after a padded one starts later and may be shorter
    # prefetch_buffer (2) sets, plus the batch the loop holds and the one before it (the raw
    # iterator makes 3 here); holding every batch instead makes one set per batch
    assert made <= 5


def test_label_dtype_trim_pad_and_cpu_device(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 1)[0]
    with TorchIterable(
        image_iter(rec), label_dtype=torch.long, trim_pad=True, device="cpu"
    ) as loader:
        got = list(loader)
    assert [b.label[0].dtype for b in got] == [torch.long] * 6
    last = got[-1]
    assert last.pad == 0
    assert last.data[0].shape[0] == last.label[0].shape[0] == last.index.shape[0] == 3
    np.testing.assert_array_equal(last.data[0].numpy(), expected[-1][0][:3])
    np.testing.assert_array_equal(last.label[0].numpy(), expected[-1][1][:3].astype(np.int64))


def test_ndarray_iter_and_uint8_iter(rec: Path) -> None:
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    batches = list(to_torch(mx.io.NDArrayIter(x, np.arange(10), batch_size=4)))
    assert [b.pad for b in batches] == [0, 0, 2]
    assert torch.equal(batches[1].data[0], torch.from_numpy(x[4:8]))
    assert batches[2].index.tolist() == [8, 9, 0, 1]
    with TorchIterable(image_iter(rec, mx.io.ImageRecordUInt8Iter, mean_r=0, std_r=1)) as u8:
        first = next(iter(u8))
    assert first.data[0].dtype == torch.uint8


class ReadOnlyIter(DataIter):
    """A user iterator handing out read-only arrays (as views of immutable buffers are)."""

    def __init__(self) -> None:
        super().__init__(2)
        self.array = np.arange(6, dtype=np.float32).reshape(2, 3)
        self.array.flags.writeable = False
        self.done = False

    def next(self) -> DataBatch:
        if self.done:
            raise StopIteration
        self.done = True
        return DataBatch([self.array[:, ::-1]], None, pad=None)

    def reset(self) -> None:
        self.done = False


def test_read_only_and_reversed_arrays_are_copied() -> None:
    it = ReadOnlyIter()
    loader = TorchIterable(it)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch would warn about a non-writable array
        (batch,) = list(loader)
    batch.data[0].add_(1)  # writable, and does not reach the iterator's array
    assert it.array[0, 0] == 0
    assert batch.data[0].tolist() == [[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]]
    assert batch.label == [] and batch.pad == 0 and batch.index is None
    assert len(list(loader)) == 1  # the second pass reset() it


def test_state_dict_resumes_mid_epoch_and_after_the_end(rec: Path) -> None:
    expected = raw_epochs(image_iter(rec), 2)
    with TorchIterable(image_iter(rec)) as loader:
        stream = iter(loader)
        for _ in range(2):
            next(stream)
        state = loader.state_dict()
    with TorchIterable(image_iter(rec)) as resumed:
        resumed.load_state_dict(pickle.loads(pickle.dumps(state)))
        for batch, exp in zip(resumed, expected[0][2:], strict=True):
            assert_same(batch, exp)
        state = resumed.state_dict()
        assert state["finished"]
    with TorchIterable(image_iter(rec)) as resumed:
        resumed.load_state_dict(state)  # the epoch had ended: the next pass is epoch 1
        for batch, exp in zip(resumed, expected[1], strict=True):
            assert_same(batch, exp)


def test_auto_reset_off_leaves_reset_to_the_loop(rec: Path) -> None:
    with TorchIterable(image_iter(rec), auto_reset=False) as loader:
        assert len(list(loader)) == 6
        assert list(loader) == []  # the iterator is at its end until the loop resets it
        loader.iterator.reset()
        assert len(list(loader)) == 6


def test_close_stops_the_iterators_threads(rec: Path) -> None:
    before = set(threading.enumerate())
    loader = TorchIterable(image_iter(rec))
    next(iter(loader))
    assert set(threading.enumerate()) - before  # the iterator's workers
    loader.close()
    loader.close()
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive()]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_device_without_cuda_is_a_clear_error(rec: Path) -> None:
    with pytest.raises(RuntimeError, match=r"device='cuda' needs CUDA.*device=None"):
        TorchIterable(mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=2), device="cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the fallback without CUDA")
def test_pin_memory_without_cuda_warns_and_shares() -> None:
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    with pytest.warns(UserWarning, match="pin_memory=True but no CUDA"):
        loader = TorchIterable(mx.io.NDArrayIter(x, batch_size=4), pin_memory=True)
    (batch,) = list(loader)
    assert torch.equal(batch.data[0], torch.from_numpy(x))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("pin_memory", [False, True])
def test_cuda_device_gets_copies(rec: Path, pin_memory: bool) -> None:  # pragma: no cover
    expected = raw_epochs(image_iter(rec), 2)
    with TorchIterable(
        image_iter(rec, CountingIter), device="cuda", pin_memory=pin_memory, label_dtype=torch.long
    ) as loader:
        got = [list(loader), list(loader)]  # kept on the device: host buffers are free
        made = loader.iterator.made
    assert made <= 5
    for epoch in range(2):
        for batch, (data, label, _, _) in zip(got[epoch], expected[epoch], strict=True):
            assert batch.data[0].is_cuda and batch.label[0].is_cuda
            np.testing.assert_array_equal(batch.data[0].cpu().numpy(), data)
            np.testing.assert_array_equal(batch.label[0].cpu().numpy(), label.astype(np.int64))


# -- RecordDataset ----------------------------------------------------------------------


def test_record_dataset_decodes_as_unpack_img(rec: Path) -> None:
    bgr = RecordDataset(rec, decode="bgr")
    assert len(bgr) == COUNT
    image, label = bgr[7]
    with recordio.MXRecordIO(str(rec), "r") as reader:
        _, expected = recordio.unpack_img(reader.read(), 1)
    np.testing.assert_array_equal(bgr[0][0], expected)
    np.testing.assert_array_equal(image, picture(7))
    assert label == 1.0
    rgb_image, _ = RecordDataset(rec)[7]  # idx found beside the .rec; RGB by default
    np.testing.assert_array_equal(rgb_image, picture(7)[:, :, ::-1])
    payload, _ = RecordDataset(rec, decode="bytes")[7]
    gray, _ = RecordDataset(rec, decode="gray")[7]
    np.testing.assert_array_equal(gray, cv2.imdecode(np.frombuffer(payload, np.uint8), 0))
    assert gray.shape == picture(7).shape[:2]
    np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(payload, np.uint8), 1), picture(7))
    header, raw = bgr.record(7)
    assert (header.id, raw) == (7, payload)


def test_record_dataset_transforms_keys_and_multi_labels(tmp_path: Path) -> None:
    path = tmp_path / "faces.rec"
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        # insightface's layout: key 0 is a header record naming the image key range
        w.write_idx(0, recordio.pack((2, [4.0, 4.0], 0, 0), b""))
        for i in range(1, 4):
            w.write_idx(i, recordio.pack_img((0, [float(i), 0.5], i, 0), picture(i)))
    header, _ = RecordDataset(path, decode="bytes").record(0)
    faces = RecordDataset(
        path,
        transform=lambda img: torch.from_numpy(img).permute(2, 0, 1),
        target_transform=lambda label: int(label[0]),
        keys=range(1, int(header.label[0])),
    )
    assert len(faces) == 3
    image, label = faces[1]
    assert image.shape == (3, *picture(2).shape[:2]) and label == 2
    raw_label = RecordDataset(path, keys=[3])[0][1]
    assert raw_label.dtype == np.float32 and raw_label.flags.writeable
    assert raw_label.tolist() == [3.0, 0.5]


def test_record_dataset_errors(rec: Path) -> None:
    with pytest.raises(KeyError, match="no key 99"):
        RecordDataset(rec, keys=[1, 99])
    with pytest.raises(ValueError, match="decode must be one of"):
        RecordDataset(rec, decode="pil")  # type: ignore[arg-type]
    bad = rec.parent / "bad.rec"
    with recordio.MXIndexedRecordIO(str(bad.with_suffix(".idx")), str(bad), "w") as w:
        w.write_idx(0, recordio.pack((0, 1.0, 0, 0), b"not an image"))
    with pytest.raises(ValueError, match=r"bad\.rec: record 0 \(key 0\).*decode='bytes'"):
        RecordDataset(bad)[0]
    with pytest.raises(FileNotFoundError):
        RecordDataset(rec.parent / "missing.rec")


def test_record_dataset_pickles_and_reopens(rec: Path) -> None:
    dataset = RecordDataset(rec, decode="bgr")
    dataset[3]  # the parent has an open reader
    copy = pickle.loads(pickle.dumps(dataset))
    assert copy._reader is None  # opened on first use, in whichever process unpickles it
    np.testing.assert_array_equal(copy[5][0], picture(5))


# A fork from a process with threads (other tests' iterators, JAX once imported) warns on
# Python >= 3.12 and under JAX; the workers only read records and decode.
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("context", ["fork", pytest.param("spawn", marks=pytest.mark.slow)])
def test_record_dataset_in_a_dataloader_with_workers(rec: Path, context: str) -> None:
    """Each worker process reads through its own reader, forked or spawned (pickled)."""
    loader = torch.utils.data.DataLoader(
        RecordDataset(rec, target_transform=int),
        batch_size=None,  # the images differ in size: no collation into one tensor
        num_workers=2,
        multiprocessing_context=context,
    )
    items = list(loader)
    assert [label for _, label in items] == [i % 3 for i in range(COUNT)]
    for i, (image, _) in enumerate(items):
        np.testing.assert_array_equal(image.numpy(), picture(i)[:, :, ::-1])


# -- the optional dependency ----------------------------------------------------------------


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    monkeypatch.delitem(sys.modules, "recio.torch")
    with pytest.raises(ImportError, match=r"pip install 'recio\[torch\]'"):
        importlib.import_module("recio.torch")


def test_importing_recio_does_not_import_torch() -> None:
    code = "import sys, recio, recio.io, recio.image; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
