"""mx.image.ImageDetIter (recio alone): labels, bad input, shapes, epochs, resume, drawing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from recio import recordio
from recio._image.augmenters import CastAug
from recio._image.det_augmenters import CreateDetAugmenter, DetHorizontalFlipAug
from recio._io._det_labels import DetLabelError
from recio._io.image_det_iter import (
    ImageDetIter,
    ImageDetLabelError,
    detection_demo,
    frame_errors,
    parse_objects,
    synthetic_detection_set,
    write_detection_rec,
)
from recio._pipeline import SampleError

from _iterchecks import assert_resumes_exactly

SIZE = (48, 64)
GOOD = [2, 5, 1, 0.1, 0.1, 0.5, 0.5]


def pack_labels(path: Path, labels: list[Any], bad_image: frozenset[int] = frozenset()) -> None:
    """One 48x64 PNG per label (blue channel = record number) with the raw label as given."""
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i, label in enumerate(labels):
            header = recordio.IRHeader(0, label, i, 0)
            if i in bad_image:
                w.write_idx(i, recordio.pack(header, b"broken"))
                continue
            img = np.zeros((*SIZE, 3), np.uint8)
            img[..., 0] = i
            w.write_idx(i, recordio.pack_img(header, img, quality=3, img_fmt=".png"))


def make(rec: Path, **kw: Any) -> ImageDetIter:
    args: dict[str, Any] = dict(
        batch_size=2,
        data_shape=(3, *SIZE),
        path_imgrec=str(rec),
        path_imgidx=str(rec.with_suffix(".idx")),
    )
    args.update(kw)
    return ImageDetIter(**args)


def test_labels_are_padded_to_the_most_objects(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    two = [2, 5, 0, 0.2, 0.2, 0.4, 0.4, 3, 0.5, 0.5, 0.9, 0.9]
    pack_labels(rec, [GOOD, two, GOOD])
    with make(rec) as it:
        assert it.label_shape == (2, 5)
        assert it.provide_label[0] == ("label", (2, 2, 5))
        assert it.provide_data[0] == ("data", (2, 3, *SIZE))
        batches = list(it)
    assert [b.pad for b in batches] == [0, 1]
    label = batches[0].label[0]
    assert label.dtype == np.float32
    np.testing.assert_array_equal(label[0], np.float32([GOOD[2:], [-1] * 5]))
    np.testing.assert_array_equal(label[1], np.float32(two[2:]).reshape(2, 5))
    np.testing.assert_array_equal(batches[1].label[0][1], label[0])  # pad: from the start
    np.testing.assert_array_equal(batches[0].data[0][:, 2, 0, 0], [0, 1])  # RGB: blue last


def test_parse_objects_rules() -> None:
    wide = parse_objects([3, 6, 9, 0, 0.1, 0.1, 0.5, 0.5, 7])
    np.testing.assert_array_equal(wide, np.float32([[0, 0.1, 0.1, 0.5, 0.5, 7]]))
    inverted = parse_objects([2, 5, 0, 0.5, 0.1, 0.1, 0.5, 1, 0.1, 0.1, 0.5, 0.5])
    assert inverted[:, 0].tolist() == [1]  # the inverted box is dropped
    for raw, match in [
        ([2, 5], "no valid object"),
        (3.0, "holds 1 value"),
        ([2, 5, 1, 0.1, 0.1, 0.5, 0.5, 3], "not a whole number of objects"),
        ([2, 5, 1, 0.5, 0.1, 0.1, 0.5], "no valid object"),
        ([2, 4, 1, 0.1, 0.1, 0.5, 1, 0.1, 0.1, 0.5], "object_width is 4"),
        ([1, 5, 1, 0.1, 0.1, 0.5, 0.5, 0], "header_width is 1"),
        ([2, float("nan"), 1, 0.1, 0.1, 0.5, 0.5], "object_width is nan"),
    ]:
        with pytest.raises(ImageDetLabelError, match=match) as info:
            parse_objects(raw, "x")
        assert isinstance(info.value, DetLabelError) and isinstance(info.value, RuntimeError)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([2, 5], "record \\(id 1\\) at byte \\d+ of .*a.rec: no valid object"),
        ([2, 5, 1, 0.1, 0.1, 0.5, 0.5, 3], "id 1.*inconsistent"),
        ([2, 5, 1, 0.5, 0.1, 0.1, 0.5], "id 1.*no valid object"),
        ([2, 6, 1, 0.1, 0.1, 0.5, 0.5, 7], "id 1.*object width 6 differs"),
        (4.0, "id 1.*holds 1 value"),
    ],
)
def test_bad_labels_fail_the_constructor_naming_the_record(
    tmp_path: Path, bad: Any, match: str
) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD, bad, GOOD])
    with pytest.raises(ImageDetLabelError, match=match) as info:
        make(rec)
    assert isinstance(info.value, RuntimeError)  # MXNet raises RuntimeError
    assert isinstance(info.value, DetLabelError)  # as ImageDetRecordIter's label errors
    assert not [
        t for t in threading.enumerate() if t.name.startswith(("ImageDetIter", "ImageIter"))
    ]


def test_boxes_outside_the_image_pass_with_a_warning(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pixels = [2, 5, 0, 10, 20, 30, 40]
    pack_labels(rec, [GOOD, pixels])
    with pytest.warns(UserWarning, match="outside \\[0, 1\\].*id 1"), make(rec) as it:
        label = next(it).label[0]
    np.testing.assert_array_equal(label[1, 0], pixels[2:])


def test_images_without_a_positive_class_are_skipped(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    negative = [2, 5, -1, 0.1, 0.1, 0.5, 0.5, -1, 0.2, 0.2, 0.3, 0.3]
    pack_labels(rec, [GOOD, negative, GOOD, GOOD])
    with make(rec) as it:
        assert it.label_shape == (2, 5)  # still counted, as MXNet counts it
        batches = list(it)
    assert [b.pad for b in batches] == [0, 1]
    assert [b.data[0][:, 2, 0, 0].tolist() for b in batches] == [[0, 2], [3, 0]]


def test_broken_images_are_skipped(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 4, bad_image=frozenset({1}))
    with make(rec) as it, pytest.warns(UserWarning, match="broken image"):
        got = [b.data[0][:, 2, 0, 0].tolist() for b in it]
    assert got == [[0, 2], [2, 3]]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("pad", [[[0, 1], [2, 3], [4, 0]]] * 2),
        ("discard", [[[0, 1], [2, 3]]] * 2),
        ("roll_over", [[[0, 1], [2, 3]], [[4, 0], [1, 2], [3, 4]]]),
    ],
)
def test_last_batch_handle(tmp_path: Path, mode: str, expected: list[Any]) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 5)
    with make(rec, last_batch_handle=mode) as it:
        got = [[b.data[0][:, 2, 0, 0].astype(int).tolist() for b in it]]
        it.reset()
        got.append([b.data[0][:, 2, 0, 0].astype(int).tolist() for b in it])
    assert got == expected


def test_image_list_sources(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((*SIZE, 3), i, np.uint8))
    lst = tmp_path / "x.lst"
    lst.write_text("".join(f"{i}\t" + "\t".join(map(str, GOOD)) + f"\t{i}.png\n" for i in range(3)))
    with ImageDetIter(3, (3, *SIZE), path_imglist=str(lst), path_root=str(tmp_path)) as it:
        batch = next(it)
    np.testing.assert_allclose(batch.label[0][:, 0], np.float32([GOOD[2:]] * 3))
    with ImageDetIter(
        2, (3, *SIZE), imglist=[[*GOOD, "0.png"], [*GOOD, "1.png"]], path_root=str(tmp_path)
    ) as it:
        assert next(it).label[0].shape == (2, 1, 5)


def test_reshape_and_sync_label_shape(tmp_path: Path) -> None:
    small, big = tmp_path / "s.rec", tmp_path / "b.rec"
    pack_labels(small, [GOOD] * 3)
    pack_labels(big, [GOOD, [2, 5, *GOOD[2:], *GOOD[2:], *GOOD[2:]]])
    with make(small) as a, make(big) as b:
        assert a.sync_label_shape(b) is b
        assert a.label_shape == b.label_shape == (3, 5)
        label = next(a).label[0]
        assert label.shape == (2, 3, 5)
        assert (label[:, 1:] == -1).all()
        with pytest.raises(ValueError, match="reduce label count"):
            a.reshape(label_shape=(1, 5))
        with pytest.raises(ValueError, match="object width inconsistent"):
            a.reshape(label_shape=(3, 6))
        with pytest.raises(ValueError, match="3 channels"):
            a.reshape(data_shape=(1, 8, 8))
        a.reshape(data_shape=(3, 16, 16))
        assert a.provide_data[0][1] == (2, 3, 16, 16)
        with pytest.raises(Exception, match="end aug_list with a resize"):
            next(a)  # the augmenters still resize to the old shape, as in MXNet
        a.auglist = CreateDetAugmenter((3, 16, 16))
        assert next(a).data[0].shape == (2, 3, 16, 16)


def test_same_seed_same_batches_whatever_the_threads(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    write_detection_rec(rec, synthetic_detection_set(11, SIZE, seed=2), img_fmt=".png")
    aug = dict(rand_crop=0.8, rand_pad=0.5, rand_mirror=True, shuffle=True, seed=5)
    runs = []
    for threads in (1, 3):
        with make(rec, batch_size=4, preprocess_threads=threads, **aug) as it:
            runs.append([(np.array(b.data[0]), np.array(b.label[0])) for b in it])
    for (d1, l1), (d2, l2) in zip(*runs, strict=True):
        np.testing.assert_array_equal(d1, d2)
        np.testing.assert_array_equal(l1, l2)
    with make(rec, batch_size=4, **{**aug, "seed": 6}) as it:
        other = [np.array(b.label[0]) for b in it]
    assert any(not np.array_equal(a, b[1]) for a, b in zip(other, runs[0], strict=True))


def test_augmented_batches_frame_their_objects(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    write_detection_rec(rec, synthetic_detection_set(24, (96, 128), seed=3), img_fmt=".png")
    with make(
        rec, batch_size=8, data_shape=(3, 96, 128), rand_crop=1, rand_pad=0.5, rand_mirror=True,
        area_range=(0.3, 3.0), inter_method=1, seed=1,
    ) as it:  # fmt: skip
        for batch in it:
            for image, label in zip(batch.data[0], batch.label[0], strict=True):
                assert frame_errors(image.transpose(1, 2, 0), label, tolerance=3.5) == []


def test_resumes_exactly(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    write_detection_rec(rec, synthetic_detection_set(7, SIZE, seed=4), img_fmt=".png")
    for mode in ("pad", "roll_over"):
        made: list[ImageDetIter] = []

        def factory(mode: str = mode, made: list[ImageDetIter] = made) -> ImageDetIter:
            it = make(
                rec, batch_size=3, shuffle=True, rand_crop=0.5, rand_mirror=True,
                last_batch_handle=mode, seed=9,
            )  # fmt: skip
            made.append(it)
            return it

        assert_resumes_exactly(factory, epochs=2)
        for it in made:
            it.close()


def test_state_carries_a_reshaped_label(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 5)
    with make(rec) as it:
        it.reshape(label_shape=(4, 5))
        next(it)
        state = it.state_dict()
        rest = [np.array(b.label[0]) for b in it]
    with make(rec) as fresh:
        fresh.load_state_dict(state)
        assert fresh.label_shape == (4, 5)
        got = [np.array(b.label[0]) for b in fresh]
    for a, b in zip(got, rest, strict=True):
        np.testing.assert_array_equal(a, b)


def test_parts_and_auglist_assignment(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 6)
    with make(rec, batch_size=1, num_parts=2, part_index=1) as it:
        assert [int(b.data[0][0, 2, 0, 0]) for b in it] == [3, 4, 5]
    with make(rec) as it:
        first = next(it).label[0].copy()
        it.auglist = [*CreateDetAugmenter((3, *SIZE))[:0], DetHorizontalFlipAug(1),
                      *CreateDetAugmenter((3, *SIZE))]  # fmt: skip
        flipped = next(it).label[0]
    np.testing.assert_allclose(flipped[:, 0, 1], 1 - first[:, 0, 3], rtol=1e-6)
    with pytest.raises(TypeError, match="DetBorrowAug"):
        make(rec, aug_list=[CastAug()]).close()


def test_draw_next_draws_boxes_and_writes_a_png(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    samples = synthetic_detection_set(5, (96, 128), seed=5)
    write_detection_rec(rec, samples, img_fmt=".png")
    with make(rec, batch_size=2, data_shape=(3, 96, 128), mean=True, std=True) as it:
        images = list(it.draw_next(color=(255, 0, 0), thickness=1, mean=True, std=True))
        assert next(it).data[0].shape == (2, 3, 96, 128)  # draw_next does not move it
    assert len(images) == 5
    for image, (rgb, label) in zip(images, samples, strict=True):
        assert image.dtype == np.uint8 and image.shape == (96, 128, 3)
        x1, y1 = int(label[0, 1] * 128), int(label[0, 2] * 96)
        assert image[y1, x1].tolist() == [0, 0, 255]  # red in BGR, on the box's corner
        untouched = np.abs(image.astype(int) - rgb[:, :, ::-1]).max(axis=2) > 2
        assert untouched.mean() < 0.1  # the rest is the picture, normalisation undone
    out = tmp_path / "drawn.png"
    assert cv2.imwrite(str(out), np.hstack(images))
    assert cv2.imread(str(out)).shape == (96, 128 * 5, 3)


def test_detection_demo_writes_a_grid(tmp_path: Path) -> None:
    path = detection_demo(tmp_path, count=12, columns=2)
    image = cv2.imread(str(path))
    assert image.shape == (2 * 260, 2 * 260, 3)


def test_close_stops_every_thread(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 4)
    it = make(rec)
    next(it)
    it.close()
    it.close()
    assert not [
        t for t in threading.enumerate() if t.name.startswith(("ImageDetIter", "ImageIter"))
    ]


class AddObject(DetHorizontalFlipAug):
    """Adds one object: more than label_shape holds."""

    def apply(self, src: Any, label: Any, params: Any) -> Any:
        return src, np.vstack([label, label[:1]])


def test_worker_errors_reach_the_consumer(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack_labels(rec, [GOOD] * 4)
    with make(rec, aug_list=[AddObject(1), *CreateDetAugmenter((3, *SIZE))]) as it:
        with pytest.raises(SampleError) as info:
            next(it)
        assert "reshape(label_shape" in str(info.value.__cause__)
        it.reshape(label_shape=(2, 5))
        it.reset()
        assert next(it).label[0].shape == (2, 2, 5)
