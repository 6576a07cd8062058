"""ImageDetRecordIter: label rows, bad labels and images, resize modes, epochs, resume, PNG.

The helpers at the top make a generated detection set (coloured shapes of known
boxes on noisy backgrounds) and check that boxes frame their shapes; the
conformance tests against MXNet import them.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from recio import recordio
from recio._io.image_det_record_iter import (
    DetLabelError,
    DetLabelWarning,
    ImageDetRecordIter,
    draw_det_batch,
)
from recio._io.image_record_iter import BadImageWarning
from recio._params import InvalidParameterError
from recio._pipeline import SampleError

from _iterchecks import assert_resumes_exactly, batch_arrays

# distinct saturated colours (BGR), one per class id: a shape's pixels identify its object
PALETTE = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]


def shapes_picture(
    rng: np.random.Generator, height: int, width: int, count: int
) -> tuple[np.ndarray, list[list[float]]]:
    """A BGR picture of up to `count` non-overlapping shapes (rectangles and ellipses) of
    distinct classes on a noisy gray background, and their objects
    ``[cls, xmin, ymin, xmax, ymax, instance]`` (normalised, the shape's exact extent)."""
    img = rng.integers(35, 75, (height, width, 1), dtype=np.uint8).repeat(3, axis=2)
    taken: list[tuple[int, int, int, int]] = []
    objects = []
    for cls in rng.permutation(len(PALETTE))[:count].tolist():
        for _ in range(100):
            w = int(rng.integers(max(6, width // 8), width // 2))
            h = int(rng.integers(max(6, height // 8), height // 2))
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            if all(x + w + 4 <= a or a + c + 4 <= x or y + h + 4 <= b or b + d + 4 <= y
                   for a, b, c, d in taken):  # fmt: skip
                break
        else:
            continue
        taken.append((x, y, w, h))
        mask = np.zeros((height, width), np.uint8)
        if rng.random() < 0.5:
            mask[y : y + h, x : x + w] = 1
        else:
            cv2.ellipse(mask, (x + w // 2, y + h // 2), (w // 2, h // 2), 0, 0, 360, 1, -1)
        img[mask > 0] = PALETTE[cls]
        ys, xs = np.nonzero(mask)
        box = [xs.min() / width, ys.min() / height, (xs.max() + 1) / width, (ys.max() + 1) / height]
        objects.append([float(cls), *box, float(len(objects))])
    return img, objects


def shapes_dataset(
    count: int, seed: int = 0, max_objects: int = 4
) -> list[tuple[np.ndarray, list[float]]]:
    """`count` (picture, flat label) pairs: header ``[2, 6]``, objects of width 6."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        height, width = int(rng.integers(90, 170)), int(rng.integers(100, 200))
        img, objects = shapes_picture(rng, height, width, int(rng.integers(1, max_objects + 1)))
        out.append((img, [2.0, 6.0, *[v for obj in objects for v in obj]]))
    return out


def write_det_rec(
    path: Path,
    samples: Sequence[tuple[np.ndarray | bytes, Sequence[float] | float]],
    fmt: str = ".png",
) -> None:
    """Pack (image or raw payload, label) pairs with ids 0, 1, ... (and an .idx beside)."""
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i, (img, label) in enumerate(samples):
            lab = label if isinstance(label, float) else np.asarray(label, np.float32)
            header = recordio.IRHeader(0, lab, i, 0)
            if isinstance(img, bytes):
                w.write_idx(i, recordio.pack(header, img))
            else:
                quality = 95 if fmt == ".jpg" else 3  # PNG: the compression level
                w.write_idx(i, recordio.pack_img(header, img, quality=quality, img_fmt=fmt))


def row_objects(row: np.ndarray) -> tuple[int, int, int, np.ndarray, np.ndarray]:
    """(channels, height, width, header, objects) of one label row."""
    channels, height, width, n = (int(v) for v in row[:4])
    label = row[4 : 4 + n]
    header_width, object_width = int(label[0]), int(label[1])
    objects = label[header_width:].reshape(-1, object_width)
    return channels, height, width, label[:header_width], objects


def assert_boxes_frame(data: np.ndarray, labels: np.ndarray, tol: float = 2.0) -> int:
    """Every box of every row frames the pixels of its class's colour in the image.

    `data` is the batch (N, 3, H, W) as raw RGB pixel values (any dtype). Boxes
    smaller than 3 pixels a side are skipped (their pixels are all edge blends).
    Returns how many boxes were checked.
    """
    checked = 0
    for i in range(len(labels)):
        _, height, width, _, objects = row_objects(labels[i])
        img = np.asarray(data[i, :, :height, :width], np.float64).transpose(1, 2, 0)
        for obj in objects:
            box = np.array([obj[1] * width, obj[2] * height, obj[3] * width, obj[4] * height])
            if box[2] - box[0] < 3 or box[3] - box[1] < 3:
                continue
            rgb = PALETTE[int(obj[0])][::-1]
            mask = (np.abs(img - rgb) <= 60).all(axis=2)
            ys, xs = np.nonzero(mask)
            assert xs.size, f"image {i}: box {box} of class {obj[0]} frames nothing"
            seen = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            assert np.abs(seen - box).max() <= tol, (i, obj.tolist(), box, seen)
            checked += 1
    return checked


def make(path: Path, **kw: Any) -> ImageDetRecordIter:
    args: dict[str, Any] = dict(
        path_imgrec=str(path), data_shape=(3, 64, 80), batch_size=4, verbose=False,
        preprocess_threads=2,
    )  # fmt: skip
    args.update(kw)
    return ImageDetRecordIter(**args)


AUGMENT = dict(
    rand_mirror_prob=0.5, rand_crop_prob=0.8, min_crop_scales=(0.3,),
    min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2.0,), min_crop_overlaps=(0.1,),
    rand_pad_prob=0.5, max_pad_scale=3.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def shapes_rec(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    path = tmp_path_factory.mktemp("det") / "shapes.rec"
    samples = shapes_dataset(22, seed=3)
    write_det_rec(path, samples)
    return path, samples


# -- label rows ---------------------------------------------------------------------------


def test_label_rows(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, samples = shapes_rec
    widest = max(len(lab) for _, lab in samples)
    with make(path) as it:
        assert it.provide_label[0].shape == (4, widest + 4)
        assert it.provide_label[0].name == "softmax_label"
        assert it.provide_data[0].shape == (4, 3, 64, 80)
        batches = [batch_arrays(b) for b in it]
    rows = np.concatenate([b[1][0] for b in batches])
    index = np.concatenate([b[3] for b in batches])
    assert len(batches) == 6 and batches[-1][2] == 2  # 22 records, batch 4: round batch
    np.testing.assert_array_equal(index[:22], np.arange(22))
    for i in range(22):
        raw = np.asarray(samples[i][1], np.float32)
        np.testing.assert_array_equal(rows[i, :4], [3, 64, 80, raw.size])
        np.testing.assert_array_equal(rows[i, 4 : 4 + raw.size], raw)
        assert (rows[i, 4 + raw.size :] == -1).all()


def test_label_pad_width_and_value(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, samples = shapes_rec
    widest = max(len(lab) for _, lab in samples)
    with make(path, label_pad_width=widest + 10, label_pad_value=-7) as it:
        row = np.asarray(next(it).label[0])[0]
        assert row.size == widest + 14 and row[-1] == -7
    with make(path, label_pad_width=-1) as it:
        assert it.provide_label[0].shape[1] == widest + 4
    with pytest.raises(InvalidParameterError, match="label_pad_width 5 is smaller"):
        make(path, label_pad_width=5)


def test_label_width_fixed(rec_path: Path) -> None:
    img = np.zeros((20, 20, 3), np.uint8)
    write_det_rec(rec_path, [(img, [2, 5, 0, 0.1, 0.1, 0.5, 0.5])] * 3)
    with make(rec_path, label_width=7) as it:
        assert it.provide_label[0].shape == (4, 11)
    with pytest.raises(DetLabelError, match=r"record id 0 .*holds 7 label values but label_width"):
        make(rec_path, label_width=12)


def test_extra_header_and_object_fields(rec_path: Path) -> None:
    img = np.zeros((20, 20, 3), np.uint8)
    label = [4, 6, 9, 8, 0, 0.1, 0.1, 0.5, 0.5, 42]
    write_det_rec(rec_path, [(img, label)] * 4)
    with make(rec_path, rand_mirror_prob=1.0) as it:
        row = np.asarray(next(it).label[0])[0]
    np.testing.assert_allclose(row, [3, 64, 80, 10, 4, 6, 9, 8, 0, 0.5, 0.1, 0.9, 0.5, 42])


def test_path_imglist(tmp_path: Path) -> None:
    rec = tmp_path / "d.rec"
    img = np.zeros((20, 20, 3), np.uint8)
    write_det_rec(rec, [(img, 0.0)] * 3)  # scalar labels in the records: the list has them
    lst = tmp_path / "d.lst"
    lst.write_text(
        "0\t2\t5\t1\t0.1\t0.1\t0.4\t0.4\ta.jpg\n"
        "1\t2\t5\t1\t0.1\t0.1\t0.4\t0.4\t2\t0.5\t0.5\t0.9\t0.9\tb.jpg\n"
        "2\t2\t5\t3\t0.2\t0.2\t0.3\t0.3\tc d.jpg\n"
    )
    with make(rec, path_imglist=str(lst), batch_size=3) as it:
        rows = np.asarray(next(it).label[0])
    assert rows.shape == (3, 16)
    np.testing.assert_allclose(
        rows[1, 3:16], [12, 2, 5, 1, 0.1, 0.1, 0.4, 0.4, 2, 0.5, 0.5, 0.9, 0.9]
    )
    np.testing.assert_allclose(rows[2, 3:11], [7, 2, 5, 3, 0.2, 0.2, 0.3, 0.3])
    lst.write_text("0\t2\t5\t1\t0.1\t0.1\t0.4\t0.4\ta.jpg\n")
    with pytest.raises(DetLabelError, match="has no line for image index 1"):
        make(rec, path_imglist=str(lst), batch_size=3)


# -- bad labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ([2, 5, 0, 0.1, 0.1, 0.5, 0.5, 3], "not a whole number of objects"),
        ([1, 5, 0, 0.1, 0.1, 0.5, 0.5], "header_width is 1.0"),
        ([2, 4, 0, 0.1, 0.1, 0.5], "object_width is 4.0"),
        ([2.5, 5, 0, 0.1, 0.1, 0.5, 0.5], "header_width is 2.5"),
        ([9, 5, 0, 0.1, 0.1, 0.5, 0.5], "not a whole number"),
        (1.0, "holds 1 value"),
    ],
)
def test_inconsistent_labels_name_the_record(rec_path: Path, label: Any, message: str) -> None:
    good = [2, 5, 0, 0.1, 0.1, 0.5, 0.5]
    img = np.zeros((20, 20, 3), np.uint8)
    write_det_rec(rec_path, [(img, good), (img, good), (img, label)])
    with pytest.raises(DetLabelError, match=message) as info:
        make(rec_path)
    assert "record id 2" in str(info.value) and str(rec_path) in str(info.value)
    assert "offset" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_degenerate_and_outside_boxes(rec_path: Path) -> None:
    img = np.zeros((20, 20, 3), np.uint8)
    inverted = [2, 5, 0, 0.5, 0.1, 0.1, 0.5, 1, 0.1, 0.1, 0.5, 0.5]  # first box inverted
    outside = [2, 5, 0, -0.5, 0.1, 1.5, 0.5]
    write_det_rec(rec_path, [(img, inverted), (img, outside)] * 2)
    with pytest.warns(DetLabelWarning) as caught:
        it = make(rec_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "empty or inverted" in messages and "outside [0, 1]" in messages
    rows = np.asarray(next(it).label[0])
    it.close()
    np.testing.assert_allclose(rows[0, :11], [3, 64, 80, 7, 2, 5, 1, 0.1, 0.1, 0.5, 0.5])
    np.testing.assert_allclose(rows[1, :11], [3, 64, 80, 7, 2, 5, 0, -0.5, 0.1, 1.5, 0.5])


def test_images_without_objects(rec_path: Path) -> None:
    img = np.zeros((20, 20, 3), np.uint8)
    all_inverted = [2, 5, 0, 0.5, 0.1, 0.1, 0.5]
    write_det_rec(rec_path, [(img, [2, 5]), (img, all_inverted)] * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DetLabelWarning)
        it = make(rec_path, **AUGMENT)
    for batch in it:
        rows = np.asarray(batch.label[0])
        np.testing.assert_array_equal(rows[:, 3:6], [[2, 2, 5]] * 4)
        assert (rows[:, 6:] == -1).all()
    it.close()


# -- bad images --------------------------------------------------------------------------------


def test_bad_images_are_skipped(rec_path: Path) -> None:
    samples: list[Any] = shapes_dataset(8, seed=1)
    label = samples[3][1]
    samples[3] = (b"\xff\xd8 not really a jpeg", label)
    samples[5] = (cv2.imencode(".jpg", samples[5][0])[1].tobytes()[:200], samples[5][1])
    write_det_rec(rec_path, samples)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BadImageWarning)
        it = make(rec_path, batch_size=8)
        batch = next(it)
    messages = " ".join(str(w.message) for w in caught if w.category is BadImageWarning)
    assert "record id 3" in messages and "record id 5" in messages
    index = np.asarray(batch.index)
    assert 3 not in index.tolist() and 5 not in index.tolist() and it.skipped == 2
    rows = np.asarray(batch.label[0])
    for slot, record in enumerate(index.tolist()):  # each row's label is its record's
        raw = np.asarray(samples[record][1], np.float32)
        np.testing.assert_array_equal(rows[slot, 4 : 4 + raw.size], raw)
    it.close()
    with make(rec_path, batch_size=8, on_error="raise") as it, pytest.raises(SampleError) as info:
        next(it)
    assert "record id 3" in str(info.value.__cause__)


# -- pixels ------------------------------------------------------------------------------------


def test_pixels_without_augmentation(rec_path: Path) -> None:
    samples = shapes_dataset(4, seed=2)
    write_det_rec(rec_path, samples)
    with make(rec_path, data_shape=(3, 50, 60), dtype="uint8") as it:
        data = np.asarray(next(it).data[0])
    for i, (img, _) in enumerate(samples):
        want = cv2.resize(img, (60, 50), interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
        np.testing.assert_array_equal(data[i], want.transpose(2, 0, 1))


@pytest.mark.parametrize("mode", ["shrink", "fit"])
def test_resize_mode_places_image_top_left(rec_path: Path, mode: str) -> None:
    img = np.full((60, 80, 3), (40, 80, 120), np.uint8)
    write_det_rec(rec_path, [(img, [2, 5, 0, 0.1, 0.1, 0.5, 0.5])] * 4)
    with make(rec_path, data_shape=(3, 100, 100), resize_mode=mode, mean_r=10, std_r=2,
              scale=0.5) as it:  # fmt: skip
        batch = next(it)
    data, rows = np.asarray(batch.data[0]), np.asarray(batch.label[0])
    h, w = (60, 80) if mode == "shrink" else (75, 100)
    np.testing.assert_array_equal(rows[0, :3], [3, h, w])
    np.testing.assert_allclose(data[0, :, 0, 0], [27.5, 40, 20])  # (v - mean) / std * scale
    if h < 100:
        np.testing.assert_allclose(data[0, :, -1, -1], [-2.5, 0, 0])  # a normalised 0


def test_mean_and_std_rules(rec_path: Path) -> None:
    img = np.full((20, 20, 3), (40, 80, 120), np.uint8)
    write_det_rec(rec_path, [(img, [2, 5, 0, 0.1, 0.1, 0.5, 0.5])] * 4)
    with make(rec_path, mean_g=10) as it:  # one mean > 0: all are subtracted
        np.testing.assert_allclose(np.asarray(next(it).data[0])[0, :, 0, 0], [120, 70, 40])
    with make(rec_path, mean_r=-5, std_g=4) as it:  # no mean > 0: none; std <= 0: none
        np.testing.assert_allclose(np.asarray(next(it).data[0])[0, :, 0, 0], [120, 20, 40])


def test_mean_img_is_made_then_loaded(rec_path: Path, tmp_path: Path) -> None:
    samples = shapes_dataset(6, seed=4)
    write_det_rec(rec_path, samples)
    mean_path = tmp_path / "mean.nd"
    with make(rec_path, mean_img=str(mean_path), std_r=2, std_g=2, std_b=2) as it:
        made = np.asarray(next(it).data[0]).copy()
    assert mean_path.exists()
    with make(rec_path, batch_size=6, dtype="uint8") as it:
        raw = np.asarray(next(it).data[0]).astype(np.float64)
    mean = raw.mean(axis=0)  # over the six images
    np.testing.assert_allclose(made, (raw[:4] - mean) / 2, atol=1e-3)
    with make(rec_path, mean_img=str(mean_path), std_r=2, std_g=2, std_b=2) as it:
        np.testing.assert_array_equal(np.asarray(next(it).data[0]), made)


@pytest.mark.parametrize("dtype", ["float16", "float64", "uint8", "int8"])
def test_dtypes(shapes_rec: tuple[Path, list[Any]], dtype: str) -> None:
    path, _ = shapes_rec
    with make(path, dtype=dtype, mean_r=1) as it:
        batch = next(it)
        assert np.asarray(batch.data[0]).dtype == np.dtype(dtype)
        assert it.provide_data[0].dtype == np.dtype(dtype).type


def test_gray_and_alpha(rec_path: Path) -> None:
    gray = np.full((30, 40), 90, np.uint8)
    bgra = np.full((30, 40, 4), 90, np.uint8)
    write_det_rec(rec_path, [(gray, [2, 5, 0, 0.1, 0.1, 0.5, 0.5])] * 4)
    with make(rec_path, data_shape=(1, 16, 16), **AUGMENT) as it:
        batch = next(it)
        assert np.asarray(batch.data[0]).shape == (4, 1, 16, 16)
        assert (np.asarray(batch.label[0])[:, 0] == 1).all()
    write_det_rec(rec_path, [(bgra, [2, 5, 0, 0.1, 0.1, 0.5, 0.5])] * 4)
    with make(rec_path, data_shape=(4, 16, 16), **AUGMENT) as it:
        assert np.asarray(next(it).data[0]).shape == (4, 4, 16, 16)


# -- augmentation through the iterator ----------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False])
def test_augmented_boxes_frame_their_shapes(shapes_rec: tuple[Path, list[Any]], fast: bool) -> None:
    path, _ = shapes_rec
    checked = 0
    with make(path, dtype="uint8", fast_decode=fast, batch_size=11, **AUGMENT) as it:
        for epoch in range(3):
            if epoch:
                it.reset()
            for batch in it:
                checked += assert_boxes_frame(np.asarray(batch.data[0]), np.asarray(batch.label[0]))
    assert checked > 80


def test_jpeg_fast_decode_frames(tmp_path: Path) -> None:
    path = tmp_path / "jpeg.rec"
    samples = [(cv2.resize(img, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST), lab)
               for img, lab in shapes_dataset(12, seed=5)]  # fmt: skip
    write_det_rec(path, samples, fmt=".jpg")
    checked = 0
    with make(path, dtype="uint8", batch_size=12, rand_pad_prob=1.0, max_pad_scale=4.0,
              rand_mirror_prob=0.5) as it:  # fmt: skip
        for _ in range(3):
            for batch in it:
                checked += assert_boxes_frame(
                    np.asarray(batch.data[0]), np.asarray(batch.label[0]), tol=2.5
                )
            it.reset()
    assert checked > 30


def test_same_batches_whatever_the_threads(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    runs = []
    for threads in (1, 2, 3):
        with make(path, preprocess_threads=threads, shuffle=True, seed=5, **AUGMENT) as it:
            runs.append([batch_arrays(b) for b in it])
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a[0][0], b[0][0])
            np.testing.assert_array_equal(a[1][0], b[1][0])
            np.testing.assert_array_equal(a[3], b[3])


def test_seed_changes_the_draws(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    labels = []
    for seed in (1, 2):
        with make(path, seed=seed, **AUGMENT) as it:
            labels.append(np.asarray(next(it).label[0]).copy())
    assert not np.array_equal(labels[0], labels[1])


def test_resumes_exactly(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    assert_resumes_exactly(
        lambda: make(path, batch_size=8, shuffle=True, seed=3, data_shape=(3, 24, 24), **AUGMENT),
        epochs=2,
    )


def test_round_batch_off_pads_with_pad_value(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    with make(path, round_batch=False, batch_size=8) as it:
        batches = list(it)
        last = batches[-1]
        assert last.pad == 2
        rows = np.asarray(last.label[0])
        assert (rows[6:] == -1).all() and (np.asarray(last.index)[6:] == 0).all()
        it.reset()
        assert [b.pad for b in it] == [0, 0, 2]


def test_parts_cover_the_data(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    seen = []
    for part in range(3):
        with make(path, num_parts=3, part_index=part, batch_size=1) as it:
            seen += [int(b.index[0]) for b in it]
    assert sorted(seen) == list(range(22))


def test_close_stops_threads(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    before = set(threading.enumerate())
    it = make(path, preprocess_threads=2)
    mine = set(threading.enumerate()) - before
    assert len(mine) == 2 and all(t.daemon for t in mine)
    next(it)
    it.close()
    it.close()
    assert not any(t.is_alive() for t in mine)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"min_crop_scales": "(0.1, 0.2)"}, "num_crop_sampler is 1"),
        ({"rand_crop_pro": 0.5}, "Did you mean 'rand_crop_prob'"),
        ({"label_width": 0}, "label_width"),
        ({"aug_seq": "aug_default"}, "det_aug_default"),
        ({"min_crop_scales": "(a,)"}, "min_crop_scales"),
        ({"resize_mode": "stretch"}, "resize_mode"),
    ],
)
def test_invalid_parameters(
    shapes_rec: tuple[Path, list[Any]], kw: dict[str, Any], message: str
) -> None:
    path, _ = shapes_rec
    with pytest.raises(InvalidParameterError, match=message):
        make(path, **kw)


def test_string_parameters(shapes_rec: tuple[Path, list[Any]]) -> None:
    path, _ = shapes_rec
    with make(path, data_shape="(3, 32, 32)", num_crop_sampler="2", rand_crop_prob="1",
              min_crop_scales="(0.2, 0.5)", max_crop_trials="(5, 10)") as it:  # fmt: skip
        assert [s.min_scale for s in it._augment.options.samplers] == [0.2, 0.5]
        next(it)


# -- the batch picture ---------------------------------------------------------------------------


def test_draw_det_batch_writes_a_png(shapes_rec: tuple[Path, list[Any]], tmp_path: Path) -> None:
    path, _ = shapes_rec
    with make(path, batch_size=8, data_shape=(3, 96, 96), mean_r=123, mean_g=117, mean_b=104,
              std_r=58, std_g=57, std_b=57, **AUGMENT) as it:  # fmt: skip
        batch = next(it)
        sheet = draw_det_batch(batch.data[0], batch.label[0], columns=4)
    assert sheet.shape == (2 * 100, 4 * 100, 3) and sheet.dtype == np.uint8
    out = tmp_path / "det_batch.png"
    assert cv2.imwrite(str(out), sheet)
    assert cv2.imread(str(out)).shape == sheet.shape
    # the boxes are drawn: the palette's box colours appear
    drawn = {tuple(int(v) for v in px) for px in sheet.reshape(-1, 3)[::7]}
    assert drawn & {(56, 56, 255), (255, 56, 56), (56, 200, 56), (29, 178, 255)}
