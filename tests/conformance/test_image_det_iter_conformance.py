"""recio's ImageDetIter and detection augmenters against MXNet 1.9.1's, on a generated set.

The data are ``synthetic_detection_set`` images (coloured rectangles and
ellipses of distinct classes on grey noise, boxes known exactly), PNG-encoded
so both sides decode the same pixels, labels in MXNet's layout
``[2, 5, cls, xmin, ymin, xmax, ymax, ...]``.

* ``dumps()`` of every detection augmenter, of ``CreateMultiRandCropAugmenter``
  and of ``CreateDetAugmenter``'s list is MXNet's, for many argument sets; where
  MXNet raises (by accident, for invalid ranges) recio raises the same type.
* Replay: after ``random.seed(s); np.random.seed(s)`` on both sides, the crop and
  pad proposals, and whole augmenter lists run over many images, give MXNet's
  windows, labels (exactly) and pixels (exactly before any resize; within a
  level after one, as the OpenCV builds differ; within float rounding after the
  colour steps).
* Crop windows drawn from a numpy Generator have MXNet's distribution of area
  and aspect ratio, inside the requested ranges.
* The iterator with augmentation off: label tensors, label shapes, data and
  pads identical over two epochs of each ``last_batch_handle``, for parts,
  image lists, and labels MXNet treats specially (inverted boxes, boxes outside
  [0, 1], wide objects, long headers, images with only negative classes).
  Bad labels make both constructors raise RuntimeError.
* With crop, pad and mirror on, every box of every batch of both iterators
  frames its object's pixels.
* ``sync_label_shape`` / ``reshape`` and ``draw_next`` (the first image) agree.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recio import recordio
from recio._image import augmenters as A  # noqa: N812 - short, read as a namespace
from recio._image import det_augmenters as D  # noqa: N812
from recio._io.image_det_iter import (
    ImageDetIter,
    frame_errors,
    synthetic_detection_set,
    write_detection_rec,
)

from _reference import MXNetReference, local_outcome

pytestmark = pytest.mark.conformance

SIZE = (64, 80)


def build(spec: Any) -> Any:
    """recio's augmenter for a spec (ref/det_iter.py builds MXNet's from the same spec)."""
    name, args, kwargs = spec
    if name == "DetBorrowAug":
        inner_name, inner_args, inner_kwargs = args[0]
        return D.DetBorrowAug(getattr(A, inner_name)(*inner_args, **inner_kwargs))
    if name == "DetRandomSelectAug":
        return D.DetRandomSelectAug([build(s) for s in args[0]], *args[1:], **kwargs)
    return getattr(D, name)(*args, **kwargs)


@pytest.fixture(scope="module")
def samples() -> list[tuple[np.ndarray, np.ndarray]]:
    out = synthetic_detection_set(30, SIZE, seed=11)
    # an extra field per object, and a padding-style row with class -1
    wide = [
        (img, np.hstack([lab, np.arange(len(lab), dtype=np.float32)[:, None]]))
        for img, lab in out[:4]
    ]
    img, lab = out[4]
    negative = np.vstack([lab, np.float32([[-1, 0.2, 0.2, 0.6, 0.6]])])
    return [*out, *wide, (img, negative)]


# --------------------------------------------------------------------------- dumps


CROP = ("DetRandomCropAug", [], {})
DUMP_SPECS = [
    CROP,
    ("DetRandomCropAug", [0.5, (0.5, 2.0), (0.1, 0.9), 0.2, 10], {}),
    ("DetRandomCropAug", [], {"aspect_ratio_range": 1.0, "area_range": 0.3}),
    ("DetRandomCropAug", [], {"aspect_ratio_range": [0.5, 1.5]}),
    ("DetRandomPadAug", [], {}),
    ("DetRandomPadAug", [], {"pad_val": 5, "area_range": [1.0, 2.0], "max_attempts": 3}),
    ("DetRandomPadAug", [], {"aspect_ratio_range": 0.8, "area_range": 2.5, "pad_val": [1, 2]}),
    ("DetHorizontalFlipAug", [0.3], {}),
    ("DetBorrowAug", [("ForceResizeAug", [(30, 20)], {"interp": 1})], {}),
    ("DetBorrowAug", [("ColorJitterAug", [0.1, 0.2, 0.3], {})], {}),
    ("DetRandomSelectAug", [[CROP, ("DetHorizontalFlipAug", [1], {})], 0.25], {}),
    ("DetRandomSelectAug", [[]], {}),
    # MXNet raises for these: TypeError (its warnings.warn bug), ValueError, AssertionError
    ("DetRandomCropAug", [], {"area_range": (0.5, 0.1)}),
    ("DetRandomCropAug", [], {"aspect_ratio_range": (0, 1)}),
    ("DetRandomPadAug", [], {"area_range": (1.0, 1.0)}),
    ("DetRandomPadAug", [], {"aspect_ratio_range": (2.0, 1.0)}),
    ("DetRandomCropAug", [], {"area_range": "big"}),
    ("DetRandomSelectAug", [[("DetBorrowAug", [("CastAug", [], {})], {})]], {}),
]


def _mine(func: Any) -> dict[str, Any]:
    outcome = local_outcome(func)
    if outcome.ok:
        return {"value": outcome.value}
    return {"error": outcome.error, "mro": outcome.mro}


def _agree(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    if "error" in theirs:
        assert "error" in ours, (ours, theirs)
        assert theirs["error"] in ours["mro"], (ours, theirs)  # same builtin family
    else:
        assert ours == theirs


@pytest.mark.parametrize("spec", DUMP_SPECS, ids=lambda s: f"{s[0]}{s[1:]}"[:60])
def test_dumps(mxnet_ref: MXNetReference, spec: Any) -> None:
    _agree(_mine(lambda: build(spec).dumps()), mxnet_ref.call("det_iter.dumps", spec))


CREATE_KWARGS = [
    {},
    {"resize": 256, "rand_crop": 0.5, "rand_pad": 0.5, "rand_mirror": True},
    {"rand_crop": 1, "min_object_covered": [0.1, 0.3, 0.5, 0.7, 0.9],
     "max_attempts": [10, 20, 30, 40, 50]},
    {"rand_crop": 0.3, "area_range": [(0.1, 1.0), (0.3, 1.0)], "aspect_ratio_range": (0.5, 2.0)},
    {"rand_crop": 0.3, "aspect_ratio_range": [0.5, 2.0], "rand_pad": 0.2},
    {"rand_pad": 1, "pad_val": (1, 2, 3), "area_range": (0.5, 4.0), "inter_method": 10},
    {"mean": True, "std": True, "brightness": 0.1, "contrast": 0.2, "saturation": 0.3},
    {"hue": 0.1, "pca_noise": 0.05, "rand_gray": 0.2, "mean": np.array([1.0, 2.0, 3.0])},
    {"std": np.array([2.0]), "rand_mirror": 0},
    # MXNet raises: area_range[1] <= 1 for the pad, per-crop (min, max) lists with a pad,
    # mismatched list lengths, a mean that is not an array
    {"rand_pad": 0.5, "area_range": (0.05, 1.0)},
    {"rand_crop": 0.5, "rand_pad": 0.5, "area_range": [(0.1, 1.0), (0.2, 2.0)]},
    {"rand_crop": 0.5, "min_object_covered": [0.1, 0.2], "max_attempts": [1, 2, 3]},
    {"mean": [1, 2, 3]},
]  # fmt: skip


@pytest.mark.parametrize("kwargs", CREATE_KWARGS, ids=lambda k: ",".join(k)[:50] or "defaults")
def test_create_det_augmenter_dumps(mxnet_ref: MXNetReference, kwargs: dict[str, Any]) -> None:
    args = {"data_shape": (3, 300, 300), **kwargs}
    ours = _mine(lambda: [a.dumps() for a in D.CreateDetAugmenter(**args)])
    _agree(ours, mxnet_ref.call("det_iter.create", args))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"min_object_covered": [0.1, 0.9], "skip_prob": 0.5}, {"area_range": [(0.1, 1.0)] * 3}],
)
def test_create_multi_rand_crop_dumps(mxnet_ref: MXNetReference, kwargs: dict[str, Any]) -> None:
    ours = _mine(lambda: D.CreateMultiRandCropAugmenter(**kwargs).dumps())
    _agree(ours, mxnet_ref.call("det_iter.create", kwargs, multi=True))


# --------------------------------------------------------------------------- replay


def _random_label(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(1, 5))
    corner = rng.random((n, 2)) * 0.7
    size = rng.random((n, 2)) * 0.5 + 0.02
    cls = rng.integers(-1, 3, (n, 1))
    return np.hstack([cls, corner, np.minimum(corner + size, 1.0)]).astype(np.float32)


@pytest.mark.parametrize("kind", ["crop", "pad"])
def test_proposals_replay_mxnet(mxnet_ref: MXNetReference, kind: str) -> None:
    rng = np.random.default_rng(5)
    taken = 0
    for trial in range(60):
        label = _random_label(rng)
        shape = (int(rng.integers(10, 500)), int(rng.integers(10, 500)))
        if kind == "crop":
            kwargs = {
                "min_object_covered": float(rng.choice([0.0, 0.1, 0.5, 0.9])),
                "aspect_ratio_range": (float(rng.uniform(0.3, 1)), float(rng.uniform(1, 3))),
                "area_range": (float(rng.choice([0.05, 0.3])), float(rng.choice([0.8, 3.0]))),
                "min_eject_coverage": float(rng.choice([0.0, 0.3, 0.7])),
                "max_attempts": int(rng.choice([3, 50])),
            }
            aug: Any = D.DetRandomCropAug(**kwargs)
            propose = aug._random_crop_proposal
        else:
            kwargs = {
                "aspect_ratio_range": (float(rng.uniform(0.3, 1)), float(rng.uniform(1, 3))),
                "area_range": (1.0, float(rng.choice([1.2, 3.0, 6.0]))),
                "max_attempts": int(rng.choice([3, 50])),
            }
            aug = D.DetRandomPadAug(**kwargs)
            propose = aug._random_pad_proposal
        theirs = mxnet_ref.call("det_iter.proposals", kind, kwargs, shape, label, 4, trial)
        random.seed(trial)
        ours = [propose(label, *shape) for _ in range(4)]
        for a, b in zip(ours, theirs, strict=True):
            assert len(a) == len(b), (trial, a, b)
            if a:
                taken += 1
                assert tuple(a[:4]) == tuple(b[:4]), (trial, kwargs, a, b)
                np.testing.assert_array_equal(a[4], b[4])
    assert taken > 100


GEOMETRY = [
    ("DetRandomSelectAug", [[
        ("DetRandomCropAug", [], {"min_object_covered": 0.1}),
        ("DetRandomCropAug", [], {"min_object_covered": 0.7, "area_range": (0.3, 1.0)}),
        ("DetRandomCropAug", [], {"min_object_covered": 0.0, "aspect_ratio_range": (0.5, 2.0)}),
    ], 0.2], {}),
    ("DetHorizontalFlipAug", [0.5], {}),
    ("DetRandomSelectAug", [[("DetRandomPadAug", [], {"pad_val": (1, 2, 3)})], 0.4], {}),
]  # fmt: skip


def _run_here(
    specs: list[Any] | None,
    create: dict[str, Any] | None,
    samples: list[Any],
    seed: int,
    calls: int,
    fused: bool,
) -> dict[str, Any]:
    random.seed(seed)
    np.random.seed(seed)
    augs = D.CreateDetAugmenter(**create) if create is not None else [build(s) for s in specs or []]
    images, labels = [], []
    for _ in range(calls):
        for img, label in samples:
            if fused:
                x, y = D.augment_detection(img.copy(), label.copy(), augs)
            else:
                x, y = img.copy(), label.copy()
                for aug in augs:
                    x, y = aug(x, y)
            images.append(np.asarray(x))
            labels.append(np.asarray(y))
    return {"images": images, "labels": labels}


@pytest.mark.parametrize("fused", [False, True], ids=["each", "augment_detection"])
@pytest.mark.parametrize(
    ("case", "specs", "create", "pixels"),
    [
        ("geometry", GEOMETRY, None, "exact"),
        ("crop only", [GEOMETRY[0]], None, "exact"),
        (
            "create: crop pad mirror",
            None,
            {
                "data_shape": (3, 48, 48),
                "rand_crop": 0.6,
                "rand_pad": 0.5,
                "rand_mirror": True,
                "min_object_covered": [0.1, 0.5, 0.9],
                "inter_method": 1,
            },
            "resize",
        ),
        (
            "create: everything",
            None,
            {
                "data_shape": (3, 40, 56),
                "resize": 70,
                "rand_crop": 0.5,
                "rand_pad": 0.5,
                "rand_mirror": True,
                "mean": True,
                "std": True,
                "brightness": 0.2,
                "contrast": 0.2,
                "saturation": 0.2,
                "hue": 0.1,
                "pca_noise": 0.1,
                "rand_gray": 0.2,
                "inter_method": 10,
            },
            "float",
        ),
    ],
)
def test_seeded_replay_matches_mxnet(
    mxnet_ref: MXNetReference,
    samples: list[Any],
    case: str,
    specs: Any,
    create: Any,
    pixels: str,
    fused: bool,
) -> None:
    theirs = mxnet_ref.call("det_iter.run", specs, create, samples, 7, calls=3)
    assert "error" not in theirs, theirs
    ours = _run_here(specs, create, samples, 7, 3, fused)
    assert len(ours["labels"]) == len(theirs["labels"])
    for n, (a, b) in enumerate(zip(ours["labels"], theirs["labels"], strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"{case}: label {n}")
    for n, (a, b) in enumerate(zip(ours["images"], theirs["images"], strict=True)):
        assert a.shape == b.shape and a.dtype == b.dtype, (case, n)
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        if pixels == "exact":
            np.testing.assert_array_equal(a, b, err_msg=f"{case}: image {n}")
        elif pixels == "resize":  # another OpenCV build
            assert diff.mean() <= 1.0, (case, n, diff.mean())
        else:  # resized, then normalised to unit scale
            assert diff.mean() <= 0.05, (case, n, diff.mean())


def test_crop_statistics_match_mxnet(mxnet_ref: MXNetReference) -> None:
    """Windows from a Generator: in range, and distributed as MXNet's (KS, alpha 0.001)."""
    kwargs = {"min_object_covered": 0.3, "aspect_ratio_range": (0.5, 2.0), "area_range": (0.1, 1.0)}
    label = np.float32([[0, 0.1, 0.1, 0.6, 0.5], [1, 0.5, 0.4, 0.9, 0.95]])
    shape = (300, 400)
    theirs = [
        p for p in mxnet_ref.call("det_iter.proposals", "crop", kwargs, shape, label, 800, 3) if p
    ]
    aug = D.DetRandomCropAug(**kwargs)
    rng = np.random.default_rng(3)
    ours = [w.box() for w in (aug.draw(rng, shape, label) for _ in range(800)) if w is not None]
    stats = []
    for windows in (ours, [tuple(p[:4]) for p in theirs]):
        box = np.array(windows, np.float64)
        area = box[:, 2] * box[:, 3] / (shape[0] * shape[1])
        aspect = box[:, 2] / box[:, 3]
        assert ((area >= 0.1) & (area <= 1.0)).all()
        assert ((aspect >= 0.5 - 1 / box[:, 3]) & (aspect <= 2.0 + 1 / box[:, 3])).all()
        stats.append((area, aspect, box[:, 0] / shape[1]))
    limit = 1.95 * np.sqrt(1 / len(ours) + 1 / len(theirs))
    for ours_stat, theirs_stat in zip(*stats, strict=True):
        assert _ks(ours_stat, theirs_stat) < limit
    assert abs(len(ours) - len(theirs)) < 0.1 * len(theirs)  # the same acceptance rate


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    values = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(np.sort(a), values, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), values, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


# --------------------------------------------------------------------------- the iterator


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory, samples: list[Any]) -> Path:
    path = tmp_path_factory.mktemp("det") / "synthetic.rec"
    write_detection_rec(path, samples[:23], img_fmt=".png")
    return path


def _pack(path: Path, labels: list[Any]) -> Path:
    images = synthetic_detection_set(len(labels), SIZE, seed=1)
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i, (label, (img, _)) in enumerate(zip(labels, images, strict=True)):
            header = recordio.IRHeader(0, label, i, 0)
            w.write_idx(i, recordio.pack_img(header, img[:, :, ::-1], quality=3, img_fmt=".png"))
    return path


def ours_epochs(kwargs: dict[str, Any], epochs: int) -> dict[str, Any]:
    with ImageDetIter(**kwargs) as it:
        out: dict[str, Any] = {
            "label_shape": tuple(it.label_shape),
            "provide_data": [(n, tuple(s)) for n, s in it.provide_data],
            "provide_label": [(n, tuple(s)) for n, s in it.provide_label],
            "epochs": [],
        }
        for epoch in range(epochs):
            if epoch:
                it.reset()
            out["epochs"].append([(np.array(b.data[0]), np.array(b.label[0]), b.pad) for b in it])
    return out


def _compare_runs(ours: dict[str, Any], theirs: dict[str, Any], mode: str, data: str) -> None:
    assert "error" not in theirs, theirs
    for key in ("label_shape", "provide_data", "provide_label"):
        assert ours[key] == theirs[key], key
    assert [len(e) for e in ours["epochs"]] == [len(e) for e in theirs["epochs"]]
    for e, (mine, ref) in enumerate(zip(ours["epochs"], theirs["epochs"], strict=True)):
        for n, (a, b) in enumerate(zip(mine, ref, strict=True)):
            np.testing.assert_array_equal(a[1], b[1], err_msg=f"epoch {e} batch {n} label")
            if data == "exact":
                np.testing.assert_array_equal(a[0], b[0], err_msg=f"epoch {e} batch {n} data")
            else:
                assert np.abs(a[0] - b[0]).mean() <= 1.0
            if not (mode == "roll_over" and e and n == 0):  # documented: recio says pad=0
                assert a[2] == b[2], (e, n, a[2], b[2])


@pytest.mark.parametrize("mode", ["pad", "discard", "roll_over"])
def test_labels_and_data_without_augmentation(
    mxnet_ref: MXNetReference, rec: Path, mode: str
) -> None:
    kwargs = {"batch_size": 5, "data_shape": (3, *SIZE), "path_imgrec": str(rec),
              "path_imgidx": str(rec.with_suffix(".idx")), "last_batch_handle": mode}  # fmt: skip
    theirs = mxnet_ref.call("det_iter.iterate", kwargs, epochs=2)
    _compare_runs(ours_epochs(kwargs, 2), theirs, mode, "exact")


@pytest.mark.parametrize(
    "extra",
    [
        {"num_parts": 3, "part_index": 1},
        {"data_shape": (3, 40, 50), "inter_method": 1},
        {"label_name": "det_label", "data_name": "img", "batch_size": 23},
    ],
    ids=["parts", "resized", "names"],
)
def test_iterator_options(mxnet_ref: MXNetReference, rec: Path, extra: dict[str, Any]) -> None:
    kwargs = {"batch_size": 4, "data_shape": (3, *SIZE), "path_imgrec": str(rec),
              "path_imgidx": str(rec.with_suffix(".idx")), **extra}  # fmt: skip
    theirs = mxnet_ref.call("det_iter.iterate", kwargs, epochs=1)
    data = "resize" if extra.get("data_shape") else "exact"
    _compare_runs(ours_epochs(kwargs, 1), theirs, "pad", data)


def test_image_list_labels(mxnet_ref: MXNetReference, rec: Path, tmp_path: Path) -> None:
    lines = []
    with recordio.MXIndexedRecordIO(str(rec.with_suffix(".idx")), str(rec), "r") as reader:
        for key in reader.keys[:9]:
            header, payload = recordio.unpack(reader.read_idx(key))
            (tmp_path / f"{key}.png").write_bytes(payload)
            values = "\t".join(f"{v:.6f}" for v in header.label)
            lines.append(f"{key}\t{values}\t{key}.png\n")
    (tmp_path / "x.lst").write_text("".join(lines))
    kwargs = {"batch_size": 4, "data_shape": (3, *SIZE), "path_imglist": str(tmp_path / "x.lst"),
              "path_root": str(tmp_path)}  # fmt: skip
    _compare_runs(
        ours_epochs(kwargs, 1), mxnet_ref.call("det_iter.iterate", kwargs), "pad", "exact"
    )


SPECIAL_LABELS = {
    "inverted box beside valid ones": [2, 5, 0, 0.5, 0.1, 0.1, 0.5, 1, 0.1, 0.1, 0.5, 0.5],
    "outside [0, 1]": [2, 5, 1, -0.5, 0.1, 1.5, 30],
    "only negative classes": [2, 5, -1, 0.1, 0.1, 0.5, 0.5],
    "long header": [4, 5, 7, 8, 2, 0.1, 0.2, 0.3, 0.4],
    "many objects": [2, 5] + [3, 0.1, 0.1, 0.2, 0.2] * 7,
}


def test_labels_mxnet_treats_specially(mxnet_ref: MXNetReference, tmp_path: Path) -> None:
    good = [2, 5, 1, 0.1, 0.1, 0.5, 0.5]
    labels = [good, *SPECIAL_LABELS.values(), good]
    path = _pack(tmp_path / "special.rec", labels)
    kwargs = {"batch_size": 3, "data_shape": (3, *SIZE), "path_imgrec": str(path)}
    theirs = mxnet_ref.call("det_iter.iterate", kwargs, epochs=2)
    with pytest.warns(UserWarning, match="outside"):
        ours = ours_epochs(kwargs, 2)
    _compare_runs(ours, theirs, "pad", "exact")


@pytest.mark.parametrize(
    "bad",
    [[2, 5], [2, 5, 1, 0.1, 0.1, 0.5, 0.5, 3], [2, 5, 1, 0.5, 0.1, 0.1, 0.5]],
    ids=["short", "inconsistent", "no valid object"],
)
def test_bad_labels_raise_in_both(mxnet_ref: MXNetReference, tmp_path: Path, bad: Any) -> None:
    path = _pack(tmp_path / "bad.rec", [[2, 5, 1, 0.1, 0.1, 0.5, 0.5], bad])
    kwargs = {"batch_size": 1, "data_shape": (3, *SIZE), "path_imgrec": str(path)}
    theirs = mxnet_ref.call("det_iter.iterate", kwargs)
    assert theirs["error"] == "RuntimeError"
    with pytest.raises(RuntimeError, match="id 1"):
        ImageDetIter(**kwargs)


def test_augmented_boxes_frame_their_objects_in_both(mxnet_ref: MXNetReference, rec: Path) -> None:
    kwargs = {"batch_size": 8, "data_shape": (3, *SIZE), "path_imgrec": str(rec),
              "path_imgidx": str(rec.with_suffix(".idx")), "rand_crop": 1, "rand_pad": 0.5,
              "rand_mirror": True, "area_range": (0.3, 3.0), "inter_method": 1,
              "min_object_covered": [0.1, 0.5, 0.9]}  # fmt: skip
    theirs = mxnet_ref.call("det_iter.iterate", kwargs, epochs=3)
    assert "error" not in theirs, theirs
    ours = ours_epochs({**kwargs, "seed": 3}, 3)
    counts = []
    for run in (ours, theirs):
        objects = 0
        for epoch in run["epochs"]:
            for data, label, _ in epoch:
                for image, objs in zip(data, label, strict=True):
                    assert frame_errors(image.transpose(1, 2, 0), objs, tolerance=3.5) == []
                    objects += int((objs[:, 0] >= 0).sum())
        counts.append(objects)
    assert abs(counts[0] - counts[1]) < 0.15 * counts[1]  # as many objects kept by crops


def test_sync_label_shape_and_reshape(mxnet_ref: MXNetReference, rec: Path, tmp_path: Path) -> None:
    small = _pack(tmp_path / "small.rec", [[2, 5, 1, 0.1, 0.1, 0.5, 0.5]] * 3)
    a = {"batch_size": 2, "data_shape": (3, *SIZE), "path_imgrec": str(small)}
    b = {"batch_size": 2, "data_shape": (3, *SIZE), "path_imgrec": str(rec)}
    theirs = mxnet_ref.call("det_iter.reshape_and_sync", b, a)
    with ImageDetIter(**b) as x, ImageDetIter(**a) as y:
        assert x.sync_label_shape(y) is y
        assert (tuple(x.label_shape), [(n, tuple(s)) for n, s in x.provide_label]) == theirs["a"]
        assert (tuple(y.label_shape), [(n, tuple(s)) for n, s in y.provide_label]) == theirs["b"]
        np.testing.assert_array_equal(next(y).label[0], theirs["b_label"])


def test_draw_next_first_image(mxnet_ref: MXNetReference, rec: Path) -> None:
    kwargs = {"batch_size": 2, "data_shape": (3, *SIZE), "path_imgrec": str(rec)}
    draw = {"color": (255, 0, 0), "thickness": 1}
    theirs = mxnet_ref.call("det_iter.draw_next", kwargs, draw, 1)
    with ImageDetIter(**kwargs) as it:
        ours = next(it.draw_next(**draw))
    np.testing.assert_array_equal(ours, theirs[0])
