"""recio im2rec without MXNet: golden outputs of MXNet's tool, lists, packing, threads, crashes.

tests/golden/im2rec/ holds a tiny image folder and the .lst/.rec/.idx that MXNet 1.9.1's
own tools/im2rec.py wrote from it (make_golden.py there). recio, given the same flags,
must write the same lists byte for byte and records with the same keys and headers and
the same pixels (within 2 per pixel for re-encoded images: libjpeg builds may differ).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recio import recordio
from recio.tools import _pack, im2rec
from recio.tools._lists import (
    BadLine,
    ListItem,
    find_lists,
    format_line,
    list_images,
    normalize_exts,
    parse_line,
    read_list,
    shuffled,
    split_list,
    write_list,
)
from recio.tools._pack import PackError, PackOptions, PackStats, ordered_map, pack_items

GOLDEN = Path(__file__).resolve().parent / "golden" / "im2rec"
IMAGES = GOLDEN / "images"
PIXEL_TOLERANCE = 2


# -- helpers --------------------------------------------------------------------------


def read_records(stem: Path) -> list[tuple[Any, recordio.IRHeader, bytes]]:
    """``(key, header, payload)`` of every record of ``stem``.rec/.idx, in .idx order."""
    out = []
    with recordio.MXIndexedRecordIO(str(stem) + ".idx", str(stem) + ".rec", "r") as r:
        for key in r.keys:
            header, payload = recordio.unpack(r.read_idx(key))
            out.append((key, header, payload))
    return out


def header_tuple(h: recordio.IRHeader) -> tuple[Any, ...]:
    label = tuple(float(v) for v in h.label) if h.flag else float(h.label)
    return (h.flag, label, h.id, h.id2)


def decode(payload: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    return img


def assert_same_records(got: Path, want: Path, exact: bool = False) -> None:
    """Same keys, headers and image shapes; pixels within tolerance (bytes when exact)."""
    a, b = read_records(got), read_records(want)
    assert [k for k, _, _ in a] == [k for k, _, _ in b]
    for (key, ha, pa), (_, hb, pb) in zip(a, b, strict=True):
        assert header_tuple(ha) == header_tuple(hb), key
        if exact:
            assert pa == pb, key
            continue
        ia, ib = decode(pa), decode(pb)
        assert ia.shape == ib.shape, key
        diff = np.abs(ia.astype(np.int16) - ib.astype(np.int16))
        assert diff.max() <= PIXEL_TOLERANCE, (key, diff.max())


def run_cli(*argv: str | Path) -> int:
    return im2rec.main([str(a) for a in argv])


def save(path: Path, img: np.ndarray, ext: str = ".jpg") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(ext, img)
    assert ok
    path.write_bytes(buf.tobytes())
    return path


def noise(h: int, w: int, c: int = 3, seed: int = 0) -> np.ndarray:
    shape = (h, w, c) if c > 1 else (h, w)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


# -- golden lists ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("list_rec", {"recursive": True}),
        ("list_flat", {"shuffle": False}),
        ("split", {"recursive": True, "chunks": 2, "train_ratio": 0.5, "test_ratio": 0.25}),
    ],
)
def test_lists_are_mxnet_golden_lists_byte_for_byte(
    tmp_path: Path, name: str, kwargs: dict[str, Any]
) -> None:
    result = im2rec.make_lists(str(tmp_path / name), str(IMAGES), **kwargs)
    written = sorted(Path(p).name for p, _ in result.files)
    assert written == sorted(p.name for p in GOLDEN.glob(f"{name}*.lst"))
    for fname in written:
        assert (tmp_path / fname).read_bytes() == (GOLDEN / fname).read_bytes(), fname


def test_cli_list_prints_mxnets_folder_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("--list", "--recursive", tmp_path / "list_rec", IMAGES) == 0
    assert (tmp_path / "list_rec.lst").read_bytes() == (GOLDEN / "list_rec.lst").read_bytes()
    out = capsys.readouterr().out.splitlines()
    assert out == [". 0", "bad 1", "cat 2", "dog 3", "dog/puppy 4", "zebra 5"]


# -- golden records -------------------------------------------------------------------


def pack_golden(tmp_path: Path, case: str, source: str, *flags: str) -> int:
    shutil.copy(GOLDEN / f"{source}.lst", tmp_path / f"{case}.lst")
    return run_cli(tmp_path / case, IMAGES, "-q", *flags)


def test_pack_resize_jpeg_matches_mxnet_golden(tmp_path: Path) -> None:
    flags = ("--resize", "16", "--quality", "90", "--num-thread", "2")
    assert pack_golden(tmp_path, "pack_jpg", "list_rec", *flags) == im2rec.EXIT_SKIPPED
    assert_same_records(tmp_path / "pack_jpg", GOLDEN / "pack_jpg")
    shapes = {k: decode(p).shape for k, _, p in read_records(tmp_path / "pack_jpg")}
    assert shapes[0] == (16, 22, 3)  # top.jpg 20x28 -> short side 16, 28*16//20 = 22
    assert 1 not in shapes  # bad/broken.jpg skipped


def test_pass_through_is_byte_identical_to_mxnet(tmp_path: Path) -> None:
    flags = ("--pass-through", "--num-thread", "2")
    assert pack_golden(tmp_path, "pack_raw", "images_only", *flags) == im2rec.EXIT_OK
    for ext in (".rec", ".idx"):
        got = (tmp_path / f"pack_raw{ext}").read_bytes()
        assert got == (GOLDEN / f"pack_raw{ext}").read_bytes()


def test_pack_label_png_gray_center_crop_matches_mxnet_golden(tmp_path: Path) -> None:
    flags = ("--pack-label", "--center-crop", "--resize", "12", "--encoding", ".png")
    flags += ("--color", "0", "--num-thread", "2")
    assert pack_golden(tmp_path, "pack_multi", "multi", *flags) == im2rec.EXIT_SKIPPED
    assert_same_records(tmp_path / "pack_multi", GOLDEN / "pack_multi")
    records = read_records(tmp_path / "pack_multi")
    assert [(k, h.flag) for k, h, _ in records] == [(7, 3), (3, 0), (11, 2), (5, 3), (40, 2)]
    assert all(decode(p).shape == (12, 12) for _, _, p in records)


# -- listing --------------------------------------------------------------------------


def test_recursive_labels_follow_sorted_folders_depth_first(tmp_path: Path) -> None:
    img = noise(4, 4)
    for rel in ["b/1.jpg", "a/z/2.jpg", "a/3.png", "a/B/4.jpeg", "c/notes.txt", "0.jpg"]:
        if rel.endswith(".txt"):
            (tmp_path / rel).parent.mkdir(parents=True)
            (tmp_path / rel).write_text("x")
        else:
            save(tmp_path / rel, img, ".png" if rel.endswith("png") else ".jpg")
    listing = list_images(str(tmp_path), recursive=True)
    got = [(i.index, i.labels, i.path) for i in listing.items]
    assert got == [
        (0, (0.0,), "0.jpg"),
        (1, (1.0,), "a/3.png"),
        (2, (2.0,), "a/B/4.jpeg"),  # "B" sorts before "z"
        (3, (3.0,), "a/z/2.jpg"),
        (4, (4.0,), "b/1.jpg"),
    ]
    assert listing.classes == [(".", 0), ("a", 1), ("a/B", 2), ("a/z", 3), ("b", 4)]
    flat = list_images(str(tmp_path))
    assert [(i.index, i.labels, i.path) for i in flat.items] == [(0, (0.0,), "0.jpg")]


def test_exts_match_any_case_with_or_without_dot(tmp_path: Path) -> None:
    for name in ["a.JPG", "b.jpg", "c.Png", "d.bmp", "e.jpeg"]:
        (tmp_path / name).write_bytes(b"x")
    assert normalize_exts(["JPG", ".Png", "jpg"]) == (".jpg", ".png")
    items = list_images(str(tmp_path), exts=["JPG", "png"]).items
    assert [i.path for i in items] == ["a.JPG", "b.jpg", "c.Png"]


def test_names_a_list_cannot_hold_are_reported_not_listed(tmp_path: Path) -> None:
    for name in ["ok.jpg", "tab\there.jpg", " lead.jpg"]:
        (tmp_path / name).write_bytes(b"x")
    listing = list_images(str(tmp_path))
    assert [i.path for i in listing.items] == ["ok.jpg"]
    assert sorted(p for p, _ in listing.unlisted) == [" lead.jpg", "tab\there.jpg"]
    assert run_cli("--list", "-q", tmp_path / "out", tmp_path) == im2rec.EXIT_SKIPPED


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    save(tmp_path / "a" / "x.jpg", noise(4, 4))
    os.symlink(tmp_path, tmp_path / "a" / "up")
    errors: list[OSError] = []
    listing = list_images(str(tmp_path), recursive=True, on_error=errors.append)
    assert [i.path for i in listing.items] == ["a/x.jpg"]
    assert len(errors) == 1 and "symlink loop" in str(errors[0])


def test_symlinks_to_other_folders_are_followed_as_in_mxnet(tmp_path: Path) -> None:
    save(tmp_path / "a" / "x.jpg", noise(4, 4))
    os.symlink(tmp_path / "a", tmp_path / "b")
    listing = list_images(str(tmp_path), recursive=True)
    assert [(i.labels, i.path) for i in listing.items] == [((0.0,), "a/x.jpg"), ((1.0,), "b/x.jpg")]


def test_shuffle_is_mxnets_seeded_random_and_leaves_global_state() -> None:
    items = [ListItem(i, (0.0,), f"{i}.jpg") for i in range(50)]
    state = random.getstate()
    got = shuffled(items)
    assert random.getstate() == state
    expected = list(items)
    random.seed(100)
    random.shuffle(expected)
    assert got == expected


def test_split_list_uses_mxnets_arithmetic() -> None:
    items = [ListItem(i, (0.0,), str(i)) for i in range(5)]

    def idx(parts: list[tuple[str, list[ListItem]]]) -> list[tuple[str, list[int]]]:
        return [(s, [i.index for i in p]) for s, p in parts]

    # chunk size 3 for both chunks (also the short last one), 1 train, 0 test
    assert idx(split_list(items, chunks=2, train_ratio=0.5, test_ratio=0.2)) == [
        ("_0_test", []),
        ("_0_val", [1, 2]),
        ("_0_train", [0]),
        ("_1_test", []),
        ("_1_val", [4]),
        ("_1_train", [3]),
    ]
    # train ratio 1.0: one list per chunk, the test ratio ignored (as in MXNet)
    assert idx(split_list(items, train_ratio=1.0, test_ratio=0.4)) == [("", [0, 1, 2, 3, 4])]
    assert idx(split_list(items, train_ratio=0.6, test_ratio=0.4)) == [
        ("_test", [0, 1]),
        ("_train", [2, 3, 4]),
    ]
    assert idx(split_list([], chunks=3)) == [("_0", []), ("_1", []), ("_2", [])]
    with pytest.raises(ValueError, match="chunks"):
        split_list(items, chunks=0)


labels = st.lists(st.integers(-(10**6), 10**6).map(lambda v: v / 64), min_size=1, max_size=4)
paths = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20
).filter(lambda s: s == s.strip() and "\t" not in s)


@given(st.integers(0, 2**64 - 1), labels, paths)
def test_format_line_and_parse_line_round_trip(index: int, values: list[float], path: str) -> None:
    item = ListItem(index, tuple(values), path)
    line = format_line(item)
    assert line.endswith("\n") and line.count("\t") == len(values) + 1
    assert parse_line(line) == item


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1\ta.jpg", "at least 3"),
        ("x\t1\ta.jpg", "not an integer"),
        ("1.0\t1\ta.jpg", "not an integer"),
        ("1\tcat\ta.jpg", "not a number"),
        ("-1\t0\ta.jpg", "outside"),
        (f"{2**64}\t0\ta.jpg", "outside"),
    ],
)
def test_parse_line_says_why_a_line_is_bad(line: str, reason: str) -> None:
    result = parse_line(line)
    assert isinstance(result, str) and reason in result


def test_read_list_strips_fields_skips_and_reports_bad_lines(tmp_path: Path) -> None:
    lst = tmp_path / "x.lst"
    lst.write_bytes(b"0\t1.5\t a.jpg \r\n\n2\tb.jpg\n 3 \t1\t2\tc.jpg\n")
    bad: list[BadLine] = []
    items = list(read_list(str(lst), bad.append))
    assert items == [ListItem(0, (1.5,), "a.jpg"), ListItem(3, (1.0, 2.0), "c.jpg")]
    assert [(b.lineno, b.text) for b in bad] == [(3, "2\tb.jpg")]
    assert str(bad[0]).startswith(f"{lst}:3: expected at least 3")


def test_write_list_round_trips_undecodable_names(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.jpg")  # Latin-1 bytes: not UTF-8
    write_list(str(tmp_path / "x.lst"), [ListItem(0, (0.0,), name)])
    assert [i.path for i in read_list(str(tmp_path / "x.lst"))] == [name]


def test_find_lists_takes_every_list_starting_with_prefix(tmp_path: Path) -> None:
    for name in ["data.lst", "data_train.lst", "database.lst", "other.lst", "data.txt"]:
        (tmp_path / name).write_text("")
    (tmp_path / "data_dir.lst").mkdir()
    folder, found = find_lists(str(tmp_path / "data"))
    assert folder == str(tmp_path)
    assert [Path(p).name for p in found] == ["data.lst", "data_train.lst", "database.lst"]
    assert len(find_lists(str(tmp_path))[1]) == 4  # a folder: all its .lst files
    assert find_lists(str(tmp_path / "missing" / "x"))[1] == []


# -- packing --------------------------------------------------------------------------


def make_items(root: Path, n: int) -> list[ListItem]:
    items = []
    for i in range(n):
        save(root / f"{i}.png", noise(6, 8, seed=i), ".png")
        items.append(ListItem(i, (float(i % 3),), f"{i}.png"))
    return items


def test_records_keep_list_order_whatever_the_thread_timing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [ListItem(1000 - i, (1.0,), f"{i}.jpg") for i in range(300)]
    in_flight, peak, lock = [0], [0], threading.Lock()
    rng = random.Random(0)
    delays = [rng.random() * 0.002 for _ in items]

    def slow_encode(item: ListItem, root: str, options: PackOptions) -> bytes:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(delays[1000 - item.index])
        return recordio.pack(_pack.make_header(item, False), item.path.encode())

    def consumed() -> None:
        with lock:
            in_flight[0] -= 1

    monkeypatch.setattr(_pack, "encode_item", slow_encode)
    stem = tmp_path / "o"
    stats = pack_items(
        items, f"{stem}.rec", f"{stem}.idx", "", PackOptions(), num_threads=4, on_item=consumed
    )
    assert (stats.written, stats.skipped) == (300, 0)
    got = [(k, p.decode()) for k, _, p in read_records(stem)]
    assert got == [(i.index, i.path) for i in items]
    assert peak[0] <= 16  # the window: 4 x 4 threads


def test_ordered_map_raises_at_the_items_turn_and_stops_its_threads() -> None:
    def fn(x: int) -> int:
        if x == 7:
            raise ZeroDivisionError("seven")
        return x * 2

    got: list[tuple[int, int]] = []

    def consume() -> None:
        got.extend(ordered_map(fn, range(100), 3))

    with pytest.raises(ZeroDivisionError, match="seven"):
        consume()
    assert got == [(x, 2 * x) for x in range(7)]
    gen = ordered_map(fn, range(5, 0, -1), 2)
    assert next(gen) == (5, 10)
    gen.close()
    time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name.startswith("recio-im2rec")]


def test_unreadable_and_non_image_files_are_reported_and_skipped(tmp_path: Path) -> None:
    root = tmp_path / "img"
    good = make_items(root, 2)
    (root / "text.jpg").write_text("hello")
    (root / "empty.jpg").write_bytes(b"")
    (root / "folder.jpg").mkdir()
    extra = ["text.jpg", "empty.jpg", "folder.jpg", "missing.jpg"]
    items = good + [ListItem(10 + i, (0.0,), p) for i, p in enumerate(extra)]
    for pass_through in (False, True):
        skipped: list[tuple[int, str]] = []

        def on_skip(item: ListItem, e: PackError, skipped: list[tuple[int, str]] = skipped) -> None:
            skipped.append((item.index, e.reason))

        stats = pack_items(
            items,
            str(tmp_path / "o.rec"),
            str(tmp_path / "o.idx"),
            str(root),
            PackOptions(pass_through=pass_through),
            num_threads=2,
            on_skip=on_skip,
        )
        assert (stats.written, stats.skipped) == (2, 4)
        reasons = dict(skipped)
        assert "not an image" in reasons[10] and reasons[11] == "is empty"
        assert "cannot be read" in reasons[12] and "cannot be read" in reasons[13]
        assert [k for k, _, _ in read_records(tmp_path / "o")] == [0, 1]


def test_a_duplicate_index_is_skipped_not_written_twice(tmp_path: Path) -> None:
    items = make_items(tmp_path, 3)
    items.append(ListItem(1, (5.0,), "2.png"))
    skipped: list[PackError] = []
    stats = pack_items(
        items,
        str(tmp_path / "o.rec"),
        str(tmp_path / "o.idx"),
        str(tmp_path),
        PackOptions(),
        on_skip=lambda _, e: skipped.append(e),
    )
    assert (stats.written, stats.skipped) == (3, 1)
    assert "index 1 is already used" in skipped[0].reason


def test_headers_hold_first_label_or_all_with_pack_label() -> None:
    one, many = ListItem(4, (2.0,), "a"), ListItem(9, (1.0, 2.0, 3.0), "b")
    assert _pack.make_header(one, True) == recordio.IRHeader(0, 2.0, 4, 0)
    assert _pack.make_header(many, False) == recordio.IRHeader(0, 1.0, 9, 0)
    assert _pack.make_header(many, True) == recordio.IRHeader(0, (1.0, 2.0, 3.0), 9, 0)
    with pytest.raises(ValueError, match="no label"):
        _pack.make_header(ListItem(0, (), "c"), False)


@pytest.mark.parametrize(
    ("shape", "options", "out_shape"),
    [
        ((30, 20, 3), PackOptions(resize=10), (15, 10, 3)),
        ((20, 30, 3), PackOptions(resize=10), (10, 15, 3)),
        ((7, 7, 3), PackOptions(resize=21), (21, 21, 3)),  # enlarges, as MXNet
        ((30, 20, 3), PackOptions(center_crop=True), (20, 20, 3)),
        ((20, 31, 3), PackOptions(center_crop=True, resize=8), (8, 8, 3)),
        ((9, 12, 4), PackOptions(encoding=".png"), (9, 12, 3)),  # color 1 drops alpha
        ((9, 12, 4), PackOptions(encoding=".png", color=-1), (9, 12, 4)),
        ((9, 12, 3), PackOptions(encoding=".png", color=0), (9, 12)),
    ],
)
def test_encode_item_decodes_crops_resizes_and_encodes(
    tmp_path: Path, shape: tuple[int, ...], options: PackOptions, out_shape: tuple[int, ...]
) -> None:
    img = noise(*shape)
    save(tmp_path / "x.png", img, ".png")
    header, payload = recordio.unpack(
        _pack.encode_item(ListItem(3, (1.0,), "x.png"), str(tmp_path), options)
    )
    assert (header.flag, header.label, header.id, header.id2) == (0, 1.0, 3, 0)
    got = decode(payload)
    assert got.shape == out_shape
    if options.encoding == ".png" and not options.resize and not options.center_crop:
        expected = (
            img
            if options.color == -1
            else cv2.imdecode(cv2.imencode(".png", img)[1], options.color)
        )
        assert np.array_equal(got, expected)


def test_center_crop_takes_the_middle() -> None:
    img = np.arange(5 * 2).reshape(5, 2)
    assert np.array_equal(_pack._center_square(img), img[1:3])
    assert np.array_equal(_pack._center_square(img.T), img.T[:, 1:3])


def test_options_are_validated_and_png_level_capped() -> None:
    bad: dict[str, Any]
    for bad in ({"resize": -1}, {"encoding": ".bmp"}, {"color": 2}, {"quality": 101}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            PackOptions(**bad)
    assert PackOptions(encoding=".png").encode_params() == [cv2.IMWRITE_PNG_COMPRESSION, 9]
    assert PackOptions(quality=80).encode_params() == [cv2.IMWRITE_JPEG_QUALITY, 80]


@pytest.mark.parametrize("ext", [".bmp", ".tiff", ".webp", ".ppm", ".jpg", ".png"])
def test_pass_through_accepts_what_opencv_decodes(tmp_path: Path, ext: str) -> None:
    path = save(tmp_path / f"x{ext}", noise(5, 6), ext)
    record = _pack.encode_item(
        ListItem(0, (0.0,), path.name), str(tmp_path), PackOptions(pass_through=True)
    )
    assert recordio.unpack(record)[1] == path.read_bytes()


def test_an_interrupted_run_keeps_every_record_written_so_far(tmp_path: Path) -> None:
    items = make_items(tmp_path, 60)
    stats = PackStats()
    calls = [0]

    def tick() -> None:
        calls[0] += 1
        if calls[0] == 25:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pack_items(
            items,
            str(tmp_path / "o.rec"),
            str(tmp_path / "o.idx"),
            str(tmp_path),
            PackOptions(),
            num_threads=2,
            on_item=tick,
            stats=stats,
        )
    assert stats.written == 25
    assert [k for k, _, _ in read_records(tmp_path / "o")] == list(range(25))
    assert not [t for t in threading.enumerate() if t.name.startswith("recio-im2rec")]


# -- killing the command line tool ----------------------------------------------------


def fifo_run(tmp_path: Path) -> tuple[Path, subprocess.Popen[bytes], int]:
    """A list whose item 12 is a FIFO: packing blocks there, after a flush (> 1 MiB)."""
    root = tmp_path / "img"
    lines = []
    for i in range(20):
        save(root / f"{i}.png", noise(300, 300, seed=i), ".png")  # ~270 KB each
        lines.append(f"{i}\t0.000000\t{i}.png\n")
    os.mkfifo(root / "pipe.png")
    lines.insert(12, "99\t1.000000\tpipe.png\n")
    (tmp_path / "x.lst").write_text("".join(lines))
    cmd = [sys.executable, "-m", "recio", "im2rec", "--pass-through", "--num-thread", "2"]
    proc = subprocess.Popen([*cmd, str(tmp_path / "x"), str(root)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not (tmp_path / "x.idx").exists() or not (tmp_path / "x.idx").stat().st_size:
        assert time.monotonic() < deadline, "no .idx line written within 20 s"
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    # Wait until the packer is really blocked on the FIFO (a non-blocking open for writing
    # succeeds only once a reader has it open), then until the records before it are out:
    # on a loaded machine the first .idx line comes long before that.
    while True:
        assert time.monotonic() < deadline, "the packer never reached the FIFO"
        try:
            writer = os.open(root / "pipe.png", os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            time.sleep(0.02)
    _FIFO_WRITERS.append(writer)  # held open (the packer stays blocked); closed at exit
    size = -1
    while size != (tmp_path / "x.rec").stat().st_size:
        size = (tmp_path / "x.rec").stat().st_size
        time.sleep(0.3)
    return tmp_path / "x", proc, 12


_FIFO_WRITERS: list[int] = []


@pytest.fixture(autouse=True)
def _close_fifo_writers() -> Iterator[None]:
    yield
    while _FIFO_WRITERS:
        os.close(_FIFO_WRITERS.pop())


def assert_index_names_only_complete_records(stem: Path) -> list[int]:
    records = read_records(stem)
    for key, header, payload in records:
        assert header.id == key
        assert payload == (stem.parent / "img" / f"{key}.png").read_bytes()
    return [k for k, _, _ in records]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_ctrl_c_exits_130_with_every_record_before_the_stall(tmp_path: Path) -> None:
    stem, proc, stall = fifo_run(tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == im2rec.EXIT_INTERRUPTED, err
    assert b"interrupted" in err
    assert assert_index_names_only_complete_records(stem) == list(range(stall))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_sigkill_leaves_an_index_naming_only_complete_records(tmp_path: Path) -> None:
    stem, proc, stall = fifo_run(tmp_path)
    proc.kill()
    proc.communicate(timeout=20)
    keys = assert_index_names_only_complete_records(stem)
    assert keys == list(range(len(keys))) and 0 < len(keys) <= stall
