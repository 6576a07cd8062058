"""recio's ImageDetRecordIter against MXNet 1.9.1's, on a generated detection set.

The set is coloured shapes of known extent on noisy backgrounds
(``shapes_dataset`` in tests/test_image_det_record_iter.py), packed as PNG
records so both sides decode the same pixels. With augmentation off the label
tensors (and pads and indices) must be identical and the pixels equal up to
the OpenCV builds' rounding. With mirror, pad and the crop samplers on, the
two sides draw from different generators (MXNet's per-thread mt19937, recio's
per-row Philox), so the checks are properties: every box either side outputs
frames its shape's pixels, and the crop scales, aspect ratios and pad scales
measured from the pixels stay in the requested ranges with the same
distribution on both sides.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio._io.image_det_record_iter import DetLabelError, ImageDetRecordIter
from recio._params import InvalidParameterError
from test_image_det_record_iter import assert_boxes_frame, shapes_dataset, write_det_rec

from _reference import MXNetReference

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.filterwarnings("ignore::recio._io.image_det_record_iter.DetLabelWarning"),
]


def recio_run(path: Path, kwargs: dict[str, Any], epochs: int = 1) -> dict[str, Any]:
    """The same record as ``ref/det_record.run`` makes, from recio."""
    params: dict[str, Any] = {"path_imgrec": str(path), "preprocess_threads": 1, "verbose": False}
    params.update(kwargs)
    out: dict[str, Any] = {"epochs": []}
    with ImageDetRecordIter(**params) as it:
        out["provide_data"] = [(d.name, tuple(d.shape), np.dtype(d.dtype).str)
                               for d in it.provide_data]  # fmt: skip
        out["provide_label"] = [(d.name, tuple(d.shape), np.dtype(d.dtype).str)
                                for d in it.provide_label]  # fmt: skip
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out["epochs"].append(
                [
                    {
                        "data": np.array(b.data[0], np.float32),
                        "label": np.array(b.label[0]),
                        "pad": b.pad,
                        "index": np.asarray(b.index).astype(np.int64),
                    }
                    for b in it
                ]
            )
    return out


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """26 generated pictures; some labels carry an inverted box or an extra header value."""
    samples: list[Any] = shapes_dataset(26, seed=11)
    for i in (4, 9):  # an inverted box among good ones: both sides drop it
        img, label = samples[i]
        samples[i] = (img, [*label, 5.0, 0.8, 0.2, 0.3, 0.6, 9.0])
    img, label = samples[7]
    samples[7] = (img, [3.0, 6.0, 77.0, *label[2:]])  # header_width 3
    path = tmp_path_factory.mktemp("det_conf") / "shapes.rec"
    write_det_rec(path, samples)
    return path


BASE = {"data_shape": (3, 64, 80), "batch_size": 5}


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"resize_mode": "shrink", "data_shape": (3, 120, 150)},
        {"resize_mode": "fit", "data_shape": (3, 120, 150)},
        {"resize_mode": "fit", "resize": 70},
        {"label_pad_width": 60, "label_pad_value": -3.5, "data_name": "img", "label_name": "lab"},
        {"label_pad_width": -1, "round_batch": False},
        {"mean_r": 100, "mean_g": 110, "mean_b": 120, "std_r": 50, "std_b": 40, "scale": 0.5},
    ],
)
def test_same_batches_without_augmentation(
    mxnet_ref: MXNetReference, shapes: Path, kwargs: dict[str, Any]
) -> None:
    params = {**BASE, **kwargs, "fast_decode": False}
    mine = recio_run(shapes, params)
    params.pop("fast_decode")
    ref = mxnet_ref.call("det_record.run", str(shapes), params)
    assert mine["provide_data"] == ref["provide_data"]
    assert mine["provide_label"] == ref["provide_label"]
    assert len(mine["epochs"][0]) == len(ref["epochs"][0])
    for n, (a, b) in enumerate(zip(mine["epochs"][0], ref["epochs"][0], strict=True)):
        assert a["pad"] == b["pad"], n
        real = len(a["label"]) - a["pad"] if not params.get("round_batch", True) else None
        np.testing.assert_array_equal(a["index"][:real], b["index"][:real], err_msg=f"batch {n}")
        np.testing.assert_array_equal(a["label"][:real], b["label"][:real], err_msg=f"batch {n}")
        # OpenCV 5 and MXNet's 3.4 round a few resized pixels differently
        diff = np.abs(a["data"][:real] - b["data"][:real])
        scale = float(params.get("scale", 1.0)) / min(
            [float(params.get(k, 1.0)) or 1.0 for k in ("std_r", "std_g", "std_b")]
        )
        assert diff.max() <= 2 * scale + 1e-4 and diff.mean() <= 0.05 * scale, n


def test_next_epochs_follow_round_batch(mxnet_ref: MXNetReference, shapes: Path) -> None:
    """After reset the next epoch starts after the records the round batch took (26 % 5);
    unlike ImageRecordIter, MXNet's detection iterator reports the pads right."""
    params = {**BASE, "data_shape": (3, 16, 16)}
    mine = recio_run(shapes, params, epochs=3)
    ref = mxnet_ref.call("det_record.run", str(shapes), params, 3, False)
    for epoch in range(3):
        got = [b["index"].tolist() for b in mine["epochs"][epoch]]
        want = [b["index"].tolist() for b in ref["epochs"][epoch]]
        assert got == want, epoch
        assert [b["pad"] for b in mine["epochs"][epoch]] == [
            b["pad"] for b in ref["epochs"][epoch]
        ], epoch
        for a, b in zip(mine["epochs"][epoch], ref["epochs"][epoch], strict=True):
            np.testing.assert_array_equal(a["label"], b["label"])


def _det_rec(tmp_path: Path, labels: list[Any]) -> Path:
    path = tmp_path / "bad.rec"
    img = np.full((30, 40, 3), 60, np.uint8)
    write_det_rec(path, [(img, lab) for lab in labels])
    return path


GOOD = [2, 5, 0, 0.1, 0.1, 0.5, 0.5]


@pytest.mark.parametrize(
    ("labels", "kwargs", "mxnet_says"),
    [
        ([GOOD, [*GOOD, 3.0]], {}, "% object_width_ == 0"),
        ([GOOD, [1, 5, 0, 0.1, 0.1, 0.5, 0.5]], {}, "header_width >= 2"),
        ([GOOD, [2, 4, 0, 0.1, 0.1, 0.5, 0.5]], {}, "object_width_ >= 5"),
        ([GOOD, 1.0], {}, "Not enough label packed"),  # a scalar label (flag 0)
        ([GOOD, [2.0, 5.0, 1.0]], {}, "label_width >= 7"),
        ([GOOD, GOOD], {"label_width": 12}, "label_width is set to 12"),
        ([GOOD, GOOD], {"label_pad_width": 3}, "smaller than estimated width"),
    ],
)
def test_bad_labels_are_errors_on_both_sides(
    mxnet_ref: MXNetReference, tmp_path: Path, labels: list[Any], kwargs: dict[str, Any],
    mxnet_says: str,
) -> None:  # fmt: skip
    path = _det_rec(tmp_path, labels)
    params = {"data_shape": (3, 16, 16), "batch_size": 2, **kwargs}
    message = mxnet_ref.call("det_record.first_error", str(path), params)
    assert message is not None and mxnet_says in message
    with pytest.raises((DetLabelError, InvalidParameterError)):
        recio_run(path, params)


def test_image_without_objects(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    """MXNet fails on a header-only label; recio gives the row of an image with no objects,
    the same row MXNet gives when every box of an image is degenerate."""
    path = _det_rec(tmp_path, [GOOD, [2, 5, 0, 0.5, 0.1, 0.1, 0.5]])
    params = {"data_shape": (3, 16, 16), "batch_size": 2}
    ref = mxnet_ref.call("det_record.run", str(path), params, 1, False)
    ref_rows = ref["epochs"][0][0]["label"]
    np.testing.assert_array_equal(ref_rows[1], [3, 16, 16, 2, 2, 5, -1, -1, -1, -1, -1])
    assert "label_width >= 7" in mxnet_ref.call(
        "det_record.first_error", str(_det_rec(tmp_path, [GOOD, [2, 5]])), params
    )
    mine = recio_run(path, params)
    np.testing.assert_array_equal(mine["epochs"][0][0]["label"], ref_rows)
    mine = recio_run(_det_rec(tmp_path, [GOOD, [2, 5]]), params)
    np.testing.assert_array_equal(mine["epochs"][0][0]["label"][1], ref_rows[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_crop_scales": (0.1, 0.2)},
        {"num_crop_sampler": 2, "min_crop_scales": (0.1, 0.2, 0.3)},
        {"min_crop_scales": 0.5, "max_crop_scales": 0.5},
        {"max_crop_scales": 1.5},
        {"emit_overlap_thresh": -1},
        {"inter_method": 5},
    ],
)
def test_invalid_crop_parameters_rejected_by_both(
    mxnet_ref: MXNetReference, shapes: Path, kwargs: dict[str, Any]
) -> None:
    params = {"data_shape": (3, 16, 16), "batch_size": 2, **kwargs}
    assert mxnet_ref.call("det_record.first_error", str(shapes), params) is not None
    with pytest.raises(InvalidParameterError):
        recio_run(shapes, params)


AUGMENT = {
    "rand_mirror_prob": 0.5, "rand_crop_prob": 0.8, "min_crop_scales": (0.3,),
    "min_crop_aspect_ratios": (0.5,), "max_crop_aspect_ratios": (2.0,),
    "min_crop_overlaps": (0.1,), "rand_pad_prob": 0.5, "max_pad_scale": 3.0,
    "data_shape": (3, 96, 96), "batch_size": 13,
}  # fmt: skip


def _objects_per_image(run: dict[str, Any]) -> list[int]:
    counts = []
    for batch in (b for epoch in run["epochs"] for b in epoch):
        for row in batch["label"]:
            n = int(row[3])
            counts.append((n - int(row[4])) // int(row[5]))
    return counts


def test_augmented_boxes_frame_their_shapes_on_both_sides(
    mxnet_ref: MXNetReference, shapes: Path
) -> None:
    mine = recio_run(shapes, AUGMENT, epochs=4)
    ref = mxnet_ref.call("det_record.run", str(shapes), AUGMENT, 4)
    checked = {"recio": 0, "mxnet": 0}
    for side, run, tol in (("recio", mine, 1.5), ("mxnet", ref, 4.0)):
        for batch in (b for epoch in run["epochs"] for b in epoch):
            checked[side] += assert_boxes_frame(batch["data"], batch["label"], tol=tol)
    assert checked["recio"] > 150 and checked["mxnet"] > 150
    # crops drop objects at the same rate on both sides
    a, b = np.mean(_objects_per_image(mine)), np.mean(_objects_per_image(ref))
    assert abs(a - b) < 0.35, (a, b)


def _gradient_rec(tmp_path: Path, count: int) -> Path:
    """Pictures whose red channel is x and green channel is y (B = 0), one whole-image box."""
    height, width = 200, 300
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([np.zeros_like(xx), yy * 255 // (height - 1), xx * 255 // (width - 1)], -1)
    path = tmp_path / "gradient.rec"
    write_det_rec(path, [(img.astype(np.uint8), [2, 5, 0, 0, 0, 1, 1])] * count)
    return path


def _windows(run: dict[str, Any]) -> np.ndarray:
    """(x0, y0, x1, y1) of the source each output shows, as fractions of the source."""
    out = []
    for batch in (b for epoch in run["epochs"] for b in epoch):
        for img in batch["data"]:
            red, green, blue = img
            seen = blue < 64  # the padding (fill 127) is left out
            out.append([red[seen].min() / 255, green[seen].min() / 255,
                        red[seen].max() / 255, green[seen].max() / 255])  # fmt: skip
    return np.array(out)


def test_crop_scale_and_aspect_statistics(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = _gradient_rec(tmp_path, 400)
    params = {
        "data_shape": (3, 64, 64), "batch_size": 400, "inter_method": 0, "rand_crop_prob": 1.0,
        "min_crop_scales": (0.3,), "max_crop_scales": (0.9,), "min_crop_aspect_ratios": (0.5,),
        "max_crop_aspect_ratios": (2.0,),
    }  # fmt: skip
    stats = {}
    for side, run in (("recio", recio_run(path, params)),
                      ("mxnet", mxnet_ref.call("det_record.run", str(path), params))):  # fmt: skip
        w = _windows(run)
        cw, ch = (w[:, 2] - w[:, 0]) * 300, (w[:, 3] - w[:, 1]) * 200  # pixels of the source
        scale = np.sqrt(cw * ch / (300 * 200))
        aspect = cw / ch
        # ranges, with a few source pixels of slack for the nearest-neighbour measurement
        assert scale.min() > 0.3 - 0.03 and scale.max() < 0.9 + 0.02, side
        assert aspect.min() > 0.5 * 0.9 and aspect.max() < 2.0 * 1.1, side
        stats[side] = (scale.mean(), scale.std(), np.log(aspect).mean(), np.log(aspect).std())
    r, m = stats["recio"], stats["mxnet"]
    assert abs(r[0] - m[0]) < 0.03 and abs(r[1] - m[1]) < 0.03, stats
    assert abs(r[2] - m[2]) < 0.1 and abs(r[3] - m[3]) < 0.08, stats


def test_pad_scale_statistics(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    path = _gradient_rec(tmp_path, 300)
    params = {"data_shape": (3, 90, 90), "batch_size": 300, "inter_method": 0,
              "rand_pad_prob": 0.7, "max_pad_scale": 3.0}  # fmt: skip
    stats = {}
    for side, run in (("recio", recio_run(path, params)),
                      ("mxnet", mxnet_ref.call("det_record.run", str(path), params))):  # fmt: skip
        fractions = []
        for batch in (b for epoch in run["epochs"] for b in epoch):
            for img, row in zip(batch["data"], batch["label"], strict=True):
                visible = (img[2] < 64).mean()  # the image's share of the canvas
                fractions.append(visible)
                # the whole-image box is where the image is
                x0, y0, x1, y1 = row[7:11]
                assert abs((x1 - x0) * (y1 - y0) - visible) < 0.05, side
        scale = 1 / np.sqrt(np.array(fractions))
        assert scale.max() <= 3.0 * 1.05, side
        padded = scale > 1.03
        stats[side] = (padded.mean(), scale[padded].mean())
    r, m = stats["recio"], stats["mxnet"]
    assert abs(r[0] - m[0]) < 0.1 and abs(r[1] - m[1]) < 0.12, stats
    assert math.isclose(r[1], 2.0, abs_tol=0.15)  # U(1.05, 3): mean about 2
