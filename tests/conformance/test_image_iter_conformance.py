"""recio's ``mx.image.ImageIter`` against MXNet 1.9.1's Python ImageIter, on the same data.

The data are the 40 photos of the ImageRecordIter conformance test (real photos
cut to varied sizes, colour and grayscale, JPEG quality 90 and PNG), packed by
MXNet's ``pack_img`` (record ``k``: label ``k``, index key ``k``), and the same
encoded images written out as files with an image list for ``path_root``. The
augmenters are ``CreateAugmenter``'s with ``resize`` and a centre crop, plus
ImageNet's mean and std (``mean=True, std=True``): deterministic, so labels,
order and pads must be MXNet's, and the pixels within 1 level mean absolute
difference with ``fast_decode=False`` (measured ~0.03: OpenCV builds round
cubic resampling differently), within 2 in the default fast mode (measured
~0.4). Documented differences: roll_over reports ``pad=0`` where MXNet reports
``batch_size - carried`` on the first batch of the next epoch, and shuffled
orders are recio's own (the same records every epoch).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_image_record_iter_conformance import COUNT, STD_RGB, pack_photos, photos

from recio import mx, recordio

from _reference import MXNetReference

pytestmark = pytest.mark.conformance

BATCH = 12
# CreateAugmenter defaults plus resize, centre crop and ImageNet's mean/std
MAIN = {"batch_size": BATCH, "data_shape": (3, 224, 224), "resize": 256, "mean": True, "std": True}
SMALL = {"batch_size": BATCH, "data_shape": (3, 32, 32), "resize": 40}


@dataclasses.dataclass(frozen=True)
class Dataset:
    rec: Path
    idx: Path
    imglist: Path  # k<TAB>k<TAB>sub/img<k>.<ext>, in record order
    root: Path  # path_root of imglist: the records' encoded images as files


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, mxnet_ref: MXNetReference) -> Dataset:
    tmp = tmp_path_factory.mktemp("image_iter")
    rec = tmp / "photos.rec"
    idx = pack_photos(mxnet_ref, rec, photos(), [float(k) for k in range(COUNT)])
    root = tmp / "root"
    (root / "sub").mkdir(parents=True)
    lines = []
    with recordio.MXIndexedRecordIO(str(idx), str(rec), "r") as reader:
        for key in reader.keys:
            header, payload = recordio.unpack(reader.read_idx(key))
            name = f"sub/img{key:03d}" + (".png" if payload[:4] == b"\x89PNG" else ".jpg")
            (root / name).write_bytes(payload)
            lines.append(f"{key}\t{header.label:g}\t{name}\n")
    imglist = tmp / "photos.lst"
    imglist.write_text("".join(lines))
    return Dataset(rec, idx, imglist, root)


def mxnet_epochs(
    ref: MXNetReference, kwargs: dict[str, Any], epochs: int, data_epochs: tuple[int, ...] = (0,)
) -> list[list[dict[str, Any]]]:
    """MXNet ImageIter's batches per epoch (label, pad, data or None), ``reset()`` between."""
    return ref.call("image_iters.image_iter", kwargs, epochs=epochs, data_epochs=data_epochs)


def recio_epochs(kwargs: dict[str, Any], epochs: int, **extra: Any) -> list[list[dict[str, Any]]]:
    out = []
    with mx.image.ImageIter(**kwargs, **extra) as it:
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out.append(
                [{"label": b.label[0].copy(), "pad": b.pad, "data": b.data[0].copy()} for b in it]
            )
    return out


def labels_of(batches: list[dict[str, Any]]) -> list[Any]:
    return [b["label"].tolist() for b in batches]


def reference_rows(epochs: list[list[dict[str, Any]]]) -> dict[int, np.ndarray]:
    """Label -> data row, over every row of the epochs that carry data (labels are unique
    per record, and every row of an ImageIter batch, padding included, is a real record)."""
    rows: dict[int, np.ndarray] = {}
    for batches in epochs:
        for b in batches:
            if b["data"] is not None:
                for lab, row in zip(b["label"], b["data"], strict=True):
                    rows.setdefault(int(lab), row)
    return rows


def level_diffs(
    ref_rows: dict[int, np.ndarray], got: list[list[dict[str, Any]]], per_level: np.ndarray
) -> np.ndarray:
    """Per row of `got`: mean absolute difference in pixel levels against MXNet's row of the
    same label (`per_level` converts output units to levels, per channel)."""
    out = []
    for batches in got:
        for b in batches:
            for lab, row in zip(b["label"], b["data"], strict=True):
                d = np.abs(row.astype(np.float64) - ref_rows[int(lab)]) * per_level[:, None, None]
                out.append(d.mean())
    return np.array(out)


def assert_pixels(diffs: np.ndarray, fast_decode: bool) -> None:
    if fast_decode:
        assert diffs.mean() < 2.0, diffs.mean()
    else:
        assert diffs.max() <= 1.0, diffs.max()


@pytest.mark.parametrize("fast_decode", [False, True], ids=["exact_decode", "fast_decode"])
@pytest.mark.parametrize("source", ["rec_idx", "imglist"])
def test_deterministic_pipeline(
    data: Dataset, mxnet_ref: MXNetReference, source: str, fast_decode: bool
) -> None:
    """resize 256 + centre crop 224 + mean/std from .rec + .idx, or from an image list with
    path_root, 2 epochs, last_batch_handle 'pad': labels, order and pads as MXNet's (the
    last batch padded from the front: pad 8); every row's pixels within 1 level mean
    (exact decode; measured 0.03 mean, 0.05 worst image, 1 level max) or 2 (fast mode;
    measured ~0.43)."""
    if source == "rec_idx":
        kwargs = dict(MAIN, path_imgrec=str(data.rec), path_imgidx=str(data.idx))
    else:
        kwargs = dict(MAIN, path_imglist=str(data.imglist), path_root=str(data.root))
    want = mxnet_epochs(mxnet_ref, kwargs, epochs=2)
    got = recio_epochs(kwargs, epochs=2, fast_decode=fast_decode, seed=1)
    for epoch in range(2):
        assert labels_of(got[epoch]) == labels_of(want[epoch])
        assert [b["pad"] for b in got[epoch]] == [b["pad"] for b in want[epoch]] == [0, 0, 0, 8]
    assert got[0][0]["data"].shape == want[0][0]["data"].shape == (BATCH, 3, 224, 224)
    assert got[0][0]["data"].dtype == want[0][0]["data"].dtype == np.float32
    diffs = level_diffs(reference_rows(want), got, STD_RGB)
    assert len(diffs) == 2 * 4 * BATCH
    assert_pixels(diffs, fast_decode)


@pytest.mark.parametrize("mode", ["pad", "discard", "roll_over"])
def test_last_batch_handle(data: Dataset, mxnet_ref: MXNetReference, mode: str) -> None:
    """last_batch_handle over 40 records, batch 12, 3 epochs: the same batches (labels,
    order) as MXNet — pad: the last batch completed from the front; discard: the short
    batch dropped; roll_over: it is carried to the front of the next epoch. Pads equal,
    except roll_over's first batch of epochs 2 and 3, where MXNet reports
    ``batch_size - carried`` (8, then 4) and recio 0 (documented: those rows are real).
    Pixels of every row as MXNet's (exact decode)."""
    kwargs = dict(SMALL, path_imgrec=str(data.rec), path_imgidx=str(data.idx))
    kwargs["last_batch_handle"] = mode
    want = mxnet_epochs(mxnet_ref, kwargs, epochs=3, data_epochs=(0, 1, 2))
    got = recio_epochs(kwargs, epochs=3, fast_decode=False, seed=1)
    expected_pads = {
        "pad": [[0, 0, 0, 8]] * 3,
        "discard": [[0, 0, 0]] * 3,
        "roll_over": [[0, 0, 0], [0, 0, 0], [0, 0, 0, 0]],
    }[mode]
    for epoch in range(3):
        assert labels_of(got[epoch]) == labels_of(want[epoch]), epoch
        assert [b["pad"] for b in got[epoch]] == expected_pads[epoch]
    mxnet_pads = [[b["pad"] for b in epoch] for epoch in want]
    if mode == "roll_over":
        assert mxnet_pads == [[0, 0, 0], [8, 0, 0], [4, 0, 0, 0]]
        carried = np.concatenate([b["label"] for b in got[1]])[:4]
        np.testing.assert_array_equal(carried, [36, 37, 38, 39])
    else:
        assert mxnet_pads == expected_pads
    diffs = level_diffs(reference_rows(want), got, np.ones(3))
    assert_pixels(diffs, fast_decode=False)


def test_shuffle_same_records_every_epoch(data: Dataset, mxnet_ref: MXNetReference) -> None:
    """shuffle=True, 'pad', 3 epochs: recio's orders are its own (documented) but, as in
    MXNet, each epoch's unpadded rows are all 40 records once, the 8 padding rows repeat
    the front of that epoch's order, the pads are MXNet's, and every row holds its
    record's pixels (MXNet's row of the same label)."""
    kwargs = dict(SMALL, path_imgrec=str(data.rec), path_imgidx=str(data.idx), shuffle=True)
    want = mxnet_epochs(mxnet_ref, kwargs, epochs=3, data_epochs=(0,))
    got = recio_epochs(kwargs, epochs=3, fast_decode=False, seed=1)
    orders = []
    for run in (want, got):
        for batches in run:
            assert [b["pad"] for b in batches] == [0, 0, 0, 8]
            labels = np.concatenate([b["label"] for b in batches]).astype(int).tolist()
            assert sorted(labels[:COUNT]) == list(range(COUNT))
            assert labels[COUNT:] == labels[:8]
            orders.append(labels[:COUNT])
    assert len({tuple(o) for o in orders}) == 6  # every epoch reshuffled, on both sides
    diffs = level_diffs(reference_rows(want), got, np.ones(3))
    assert_pixels(diffs, fast_decode=False)


def test_sequential_rec_without_index(data: Dataset, mxnet_ref: MXNetReference) -> None:
    """path_imgrec without path_imgidx (read sequentially), 'pad', 2 epochs: batches and
    pads as MXNet's, pixels within 1 level."""
    kwargs = dict(SMALL, path_imgrec=str(data.rec))
    want = mxnet_epochs(mxnet_ref, kwargs, epochs=2, data_epochs=(0, 1))
    got = recio_epochs(kwargs, epochs=2, fast_decode=False, seed=1)
    for epoch in range(2):
        assert labels_of(got[epoch]) == labels_of(want[epoch])
        assert [b["pad"] for b in got[epoch]] == [b["pad"] for b in want[epoch]]
    assert_pixels(level_diffs(reference_rows(want), got, np.ones(3)), fast_decode=False)


def test_broken_image_skipped_rest_as_mxnet(
    data: Dataset, mxnet_ref: MXNetReference, tmp_path: Path
) -> None:
    """A .rec with the 40 photos, a non-image payload after photo 24 and a JPEG cut in half
    after photo 9: the non-image record is skipped with a warning (``skipped == 1``; MXNet
    raises "Broken image") and its row gets the next record; the truncated JPEG decodes
    to an image, as ``mx.image.imdecode`` documents for both MXNet and recio. The other
    rows are MXNet's (run without the two records): order and pixels within 1 level."""
    with recordio.MXIndexedRecordIO(str(data.idx), str(data.rec), "r") as reader:
        good = [reader.read_idx(k) for k in reader.keys]
    _, jpeg = recordio.unpack(good[1])
    truncated = recordio.pack(recordio.IRHeader(0, 100.0, 2000, 0), jpeg[: len(jpeg) // 2])
    garbage = recordio.pack(recordio.IRHeader(0, 101.0, 2001, 0), b"not an image at all " * 20)
    records = [*good[:10], truncated, *good[10:25], garbage, *good[25:]]
    bad = tmp_path / "bad.rec"
    with recordio.MXIndexedRecordIO(str(bad.with_suffix(".idx")), str(bad), "w") as writer:
        for key, record in enumerate(records):
            writer.write_idx(key, record)
    kwargs = dict(SMALL, path_imgrec=str(bad), path_imgidx=str(bad.with_suffix(".idx")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with mx.image.ImageIter(**kwargs, fast_decode=False, seed=1) as it:
            batches = [{"label": b.label[0].copy(), "data": b.data[0].copy()} for b in it]
            skipped = it.skipped
    assert skipped == 1
    assert sum("skipped a broken image" in str(w.message) for w in caught) == 1
    sequence = [*range(10), 100, *range(10, 25), 25, *range(25, COUNT)]
    labels = np.concatenate([b["label"] for b in batches]).astype(int).tolist()
    assert labels == sequence + sequence[: -len(sequence) % BATCH]
    want = mxnet_epochs(
        mxnet_ref, dict(SMALL, path_imgrec=str(data.rec), path_imgidx=str(data.idx)), epochs=1
    )
    ref_rows = reference_rows(want)
    good_rows = [
        [{"label": b["label"][b["label"] != 100], "data": b["data"][b["label"] != 100]}]
        for b in batches
    ]
    diffs = level_diffs(ref_rows, good_rows, np.ones(3))
    assert len(diffs) == 4 * BATCH - 1
    assert_pixels(diffs, fast_decode=False)
