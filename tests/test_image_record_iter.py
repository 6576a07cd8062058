"""ImageRecordIter on recio's engine: batches, labels, epochs, determinism, bad records."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from recio import mx, recordio
from recio._io.image_record_iter import BadImageWarning
from recio._pipeline import SampleError

from _iterchecks import assert_resumes_exactly, batch_arrays


def picture(i: int, height: int = 40, width: int = 48) -> np.ndarray:
    """A BGR image whose content identifies `i`: flat colour plus a gradient."""
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([yy * 3 + i, xx * 2 + 2 * i, (yy + xx + 5 * i) % 256], -1)
    return (img % 256).astype(np.uint8)


def pack(
    path: Path,
    count: int,
    *,
    labels: list[object] | None = None,
    fmt: str = ".png",
    bad: set[int] = frozenset(),
) -> list[np.ndarray]:  # type: ignore[assignment]
    images = []
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(count):
            img = picture(i, 40 + i % 3, 48 + i % 5)
            images.append(img)
            label = labels[i] if labels else float(i)
            header = recordio.IRHeader(0, label, 100 + i, 0)
            if i in bad:
                w.write_idx(i, recordio.pack(header, b"\xff\xd8 not really a jpeg"))
            else:
                w.write_idx(i, recordio.pack_img(header, img, quality=3, img_fmt=fmt))
    return images


def make(path: Path, **kw: object) -> mx.io.ImageRecordIter:
    args: dict[str, object] = dict(
        path_imgrec=str(path),
        data_shape=(3, 32, 32),
        batch_size=4,
        verbose=False,
        preprocess_threads=2,
    )
    args.update(kw)
    return mx.io.ImageRecordIter(**args)


def test_centre_crop_pixels_labels_and_ids(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    images = pack(rec, 6)
    it = make(rec, batch_size=3)
    batches = list(it)
    assert len(batches) == 2
    first = batches[0]
    assert first.data[0].shape == (3, 3, 32, 32)
    assert first.data[0].dtype == np.float32
    np.testing.assert_array_equal(first.label[0], [0, 1, 2])
    np.testing.assert_array_equal(first.index, [100, 101, 102])
    img = images[1]
    h, w = img.shape[:2]
    y, x = (h - 32) // 2, (w - 32) // 2
    expected = img[y : y + 32, x : x + 32, ::-1].transpose(2, 0, 1)
    np.testing.assert_array_equal(first.data[0][1], expected.astype(np.float32))
    assert it.provide_data[0].shape == (3, 3, 32, 32)
    assert it.provide_label[0].shape == (3,)
    it.close()


def test_round_batch_epochs_as_mxnet(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 10)
    it = make(rec)
    got = []
    for _ in range(3):
        got.append([(b.label[0].astype(int).tolist(), b.pad) for b in it])
        it.reset()
    assert got == [
        [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0), ([8, 9, 0, 1], 2)],
        [([2, 3, 4, 5], 0), ([6, 7, 8, 9], 0)],
        [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0), ([8, 9, 0, 1], 2)],
    ]
    it.close()


def test_round_batch_off_pads_with_empty_rows(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 10)
    it = make(rec, round_batch=False)
    last = list(it)[-1]
    assert last.pad == 2
    np.testing.assert_array_equal(last.label[0], [8, 9, 0, 0])
    assert not last.data[0][2:].any()
    it.close()


def test_normalisation_and_mirror(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    images = pack(rec, 4)
    it = make(
        rec, mean_r=10, mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=8, scale=0.5, mirror=True
    )
    data = next(it).data[0][0]
    img = images[0]
    y, x = (img.shape[0] - 32) // 2, (img.shape[1] - 32) // 2
    rgb = img[y : y + 32, x : x + 32, ::-1].transpose(2, 0, 1)[:, :, ::-1].astype(np.float32)
    mean = np.array([10, 20, 30], np.float32)[:, None, None]
    std = np.array([2, 4, 8], np.float32)[:, None, None]
    np.testing.assert_allclose(data, (rgb - mean) * 0.5 / std, rtol=1e-6)
    it.close()


def test_uint8_iterator_gives_raw_pixels(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    images = pack(rec, 4)
    it = mx.io.ImageRecordUInt8Iter(
        path_imgrec=str(rec), data_shape=(3, 32, 32), batch_size=2, verbose=False
    )
    data = next(it).data[0]
    assert data.dtype == np.uint8
    img = images[0]
    y, x = (img.shape[0] - 32) // 2, (img.shape[1] - 32) // 2
    np.testing.assert_array_equal(data[0], img[y : y + 32, x : x + 32, ::-1].transpose(2, 0, 1))
    it.close()


def test_multi_labels_from_header_and_from_imglist(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 4, labels=[[i, 2 * i, 3 * i] for i in range(4)])
    it = make(rec, label_width=3, batch_size=2)
    np.testing.assert_array_equal(next(it).label[0], [[0, 0, 0], [1, 2, 3]])
    it.close()
    lst = tmp_path / "a.lst"
    lst.write_text("".join(f"{100 + i}\t{i + 0.5}\t{-i}\timg{i}.png\n" for i in range(4)))
    it = make(rec, label_width=2, batch_size=2, path_imglist=str(lst))
    np.testing.assert_array_equal(next(it).label[0], [[0.5, 0], [1.5, -1]])
    it.close()
    with pytest.raises(SampleError, match="holds 3 labels but label_width is 1"):
        next(make(rec, batch_size=2))


def test_random_augmentation_is_deterministic_whatever_the_threads(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 21)
    runs = []
    for threads in (1, 2, 3):
        it = make(
            rec,
            rand_crop=True,
            rand_mirror=True,
            shuffle=True,
            seed=5,
            preprocess_threads=threads,
            max_random_contrast=0.3,
            max_random_illumination=10,
        )
        runs.append([batch_arrays(b) for _ in range(2) for b in [*it, it.reset()] if b])
        it.close()
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a[0][0], b[0][0])
            np.testing.assert_array_equal(a[1][0], b[1][0])


def test_resumes_exactly(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 11)
    for kw in (
        {},
        {"shuffle": True, "rand_crop": True, "rand_mirror": True},
        {"round_batch": False},
    ):
        made: list[mx.io.ImageRecordIter] = []

        def factory(
            kw: dict[str, object] = kw, made: list[mx.io.ImageRecordIter] = made
        ) -> mx.io.ImageRecordIter:
            it = make(rec, **kw)
            made.append(it)
            return it

        assert_resumes_exactly(factory, epochs=3)
        for it in made:
            it.close()


def test_bad_records_are_skipped_with_a_warning_and_counted(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 8, bad={2, 5})
    it = make(rec)
    with pytest.warns(BadImageWarning, match="cannot decode"):
        batches = [b.label[0].astype(int).tolist() for b in it]
    assert batches == [[0, 1, 3, 3], [4, 6, 6, 7]]  # a bad row takes the next good record
    assert it.skipped == 2
    it.close()
    it = make(rec, on_error="raise")
    with pytest.raises(SampleError, match="record id 102"):
        list(it)
    it.close()


def test_parts_are_disjoint_and_cover_the_data(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 30)
    seen = []
    for part in range(3):
        it = make(rec, num_parts=3, part_index=part, batch_size=1)
        seen += [int(b.label[0][0]) for b in it]
        it.close()
    assert sorted(seen) == list(range(30))


def test_a_directory_of_rec_files_is_one_dataset(tmp_path: Path) -> None:
    (tmp_path / "shards").mkdir()
    pack(tmp_path / "shards" / "a.rec", 3)
    pack(tmp_path / "shards" / "b.rec", 3)
    it = make(tmp_path / "shards", batch_size=6)
    assert next(it).label[0].tolist() == [0, 1, 2, 0, 1, 2]
    it.close()


def test_string_parameters_and_errors(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 4)
    it = mx.io.ImageRecordIter(
        path_imgrec=str(rec),
        data_shape="(3,32,32)",
        batch_size="2",
        rand_mirror="True",
        verbose="False",
    )
    assert next(it).data[0].shape == (2, 3, 32, 32)
    it.close()
    with pytest.raises(ValueError, match="required parameter 'data_shape'"):
        mx.io.ImageRecordIter(path_imgrec=str(rec), batch_size=10)
    with pytest.raises(ValueError, match="Did you mean 'rand_mirror'"):
        mx.io.ImageRecordIter(
            path_imgrec=str(rec), data_shape=(3, 8, 8), batch_size=1, rand_miror=True
        )


def test_close_leaves_no_thread(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 40)
    before = threading.active_count()
    with make(rec) as it:
        next(it)
    assert threading.active_count() == before


def test_jpeg_records_decode(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 4, fmt=".jpg")
    with make(rec, resize=36) as it, warnings.catch_warnings():
        warnings.simplefilter("error")
        assert next(it).data[0].shape == (4, 3, 32, 32)


def test_image_smaller_than_the_crop_is_resized_up_as_mxnet(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    with recordio.MXRecordIO(str(rec), "w") as w:
        w.write(recordio.pack_img((0, 1.0, 1, 0), picture(0, 10, 10), img_fmt=".png"))
        w.write(recordio.pack_img((0, 2.0, 2, 0), picture(1), img_fmt=".png"))
    with make(rec, batch_size=2, on_error="raise") as it:
        batch = next(it)
    assert batch.data[0].shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(batch.label[0], [1, 2])


def test_grayscale_output(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    images = pack(rec, 2)
    with make(rec, data_shape=(1, 32, 32), batch_size=2) as it:
        data = next(it).data[0]
    assert data.shape == (2, 1, 32, 32)
    encoded = recordio.pack_img((0, 0.0, 0, 0), images[0], img_fmt=".png")
    gray = cv2.imdecode(np.frombuffer(encoded[24:], np.uint8), cv2.IMREAD_GRAYSCALE)
    y, x = (gray.shape[0] - 32) // 2, (gray.shape[1] - 32) // 2
    np.testing.assert_array_equal(data[0, 0], gray[y : y + 32, x : x + 32])
