"""mx.image.ImageIter: MXNet's Python image iterator on recio's engine."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recio import mx, recordio

from _iterchecks import assert_resumes_exactly


def picture(i: int) -> np.ndarray:
    img = np.zeros((36, 40, 3), np.uint8)
    img[..., 0] = i  # blue channel carries the image number
    img[..., 1] = np.arange(40, dtype=np.uint8)[None, :]
    return img


def pack(path: Path, count: int, bad: frozenset[int] = frozenset()) -> None:
    with recordio.MXIndexedRecordIO(str(path.with_suffix(".idx")), str(path), "w") as w:
        for i in range(count):
            header = recordio.IRHeader(0, float(i), i, 0)
            if i in bad:
                w.write_idx(i, recordio.pack(header, b"broken"))
            else:
                w.write_idx(i, recordio.pack_img(header, picture(i), img_fmt=".png"))


def labels(it: mx.image.ImageIter) -> list[tuple[list[int], int]]:
    return [(b.label[0].astype(int).tolist(), b.pad) for b in it]


def make(rec: Path, **kw: object) -> mx.image.ImageIter:
    args: dict[str, object] = dict(
        batch_size=4,
        data_shape=(3, 32, 32),
        path_imgrec=str(rec),
        path_imgidx=str(rec.with_suffix(".idx")),
    )
    args.update(kw)
    return mx.image.ImageIter(**args)


def test_batches_centre_cropped_rgb_float(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 6)
    with make(rec, batch_size=3) as it:
        batch = next(it)
    data = batch.data[0]
    assert data.shape == (3, 3, 32, 32)
    assert data.dtype == np.float32
    np.testing.assert_array_equal(data[1, 2], np.full((32, 32), 1))  # blue -> channel 2
    np.testing.assert_array_equal(data[0, 1, 0], np.arange(4, 36))
    np.testing.assert_array_equal(batch.label[0], [0, 1, 2])
    assert batch.index is None


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("pad", [[([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0), ([8, 9, 0, 1], 2)]] * 2),
        ("discard", [[([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)]] * 2),
        (
            "roll_over",
            [
                [([0, 1, 2, 3], 0), ([4, 5, 6, 7], 0)],
                [([8, 9, 0, 1], 0), ([2, 3, 4, 5], 0), ([6, 7, 8, 9], 0)],
            ],
        ),
    ],
)
def test_last_batch_handle(tmp_path: Path, mode: str, expected: list[object]) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 10)
    with make(rec, last_batch_handle=mode) as it:
        got = [labels(it)]
        it.reset()
        got.append(labels(it))
    assert got == expected


def test_image_files_through_an_image_list(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), picture(10 + i))
    lst = tmp_path / "x.lst"
    lst.write_text("".join(f"{i}\t{i * 2}\t{i}.png\n" for i in range(3)))
    with mx.image.ImageIter(3, (3, 32, 32), path_imglist=str(lst), path_root=str(tmp_path)) as it:
        batch = next(it)
    np.testing.assert_array_equal(batch.label[0], [0, 2, 4])
    assert batch.data[0][2, 2, 0, 0] == 12
    with mx.image.ImageIter(
        2, (3, 32, 32), imglist=[[7.0, "0.png"], [8.0, "1.png"]], path_root=str(tmp_path)
    ) as it:
        np.testing.assert_array_equal(next(it).label[0], [7, 8])


def test_same_seed_same_batches_whatever_the_threads(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 13)
    runs = []
    for threads in (1, 2):
        with make(
            rec,
            shuffle=True,
            rand_crop=True,
            rand_mirror=True,
            brightness=0.3,
            seed=3,
            preprocess_threads=threads,
        ) as it:
            runs.append([np.array(b.data[0]) for b in it])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_resumes_exactly(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 10)
    for mode in ("pad", "roll_over", "discard"):
        made: list[mx.image.ImageIter] = []

        def factory(mode: str = mode, made: list[mx.image.ImageIter] = made) -> mx.image.ImageIter:
            it = make(rec, shuffle=True, rand_mirror=True, last_batch_handle=mode, seed=9)
            made.append(it)
            return it

        assert_resumes_exactly(factory, epochs=3)
        for it in made:
            it.close()


def test_broken_images_are_skipped(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 8, bad=frozenset({1}))
    with make(rec) as it, pytest.warns(UserWarning, match="broken image"):
        got = labels(it)
    assert got == [([0, 2, 2, 3], 0), ([4, 5, 6, 7], 0)]
    assert it.skipped == 1


def test_parts_split_the_sequence(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 9)
    with make(rec, batch_size=1, num_parts=2, part_index=1) as it:
        assert [int(b.label[0][0]) for b in it] == [4, 5, 6, 7]


def test_sequential_rec_without_index(tmp_path: Path) -> None:
    rec = tmp_path / "a.rec"
    pack(rec, 4)
    with mx.image.ImageIter(2, (3, 32, 32), path_imgrec=str(rec)) as it:
        assert [b.label[0].tolist() for b in it] == [[0, 1], [2, 3]]
