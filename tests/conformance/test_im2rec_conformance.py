"""recio im2rec against MXNet 1.9.1's own tools/im2rec.py, run live on the same folders.

* Lists: for each set of flags (and for random folder trees), both tools write the same
  .lst files byte for byte and print the same folder -> label map.
* Records: packing the same list, both write the same keys in the same order with equal
  headers and equal image shapes; pixels agree within 2 (recio runs OpenCV 5, MXNet's venv
  OpenCV 4.8; libjpeg builds may round differently). Where they differ on purpose (a
  non-image file with --pass-through: MXNet packs it, recio skips it) the test says so.
* End to end: MXNet's ``mx.io.ImageRecordIter`` reads what recio wrote: every image, with
  the labels of the list, and the same pixels as from MXNet's own .rec.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recio import recordio
from recio.tools import im2rec

from _reference import MXNetReference

PIXEL_TOLERANCE = 2


def exif_rotated_jpeg(img: np.ndarray) -> bytes:
    """A JPEG of ``img`` whose EXIF orientation (6) says: rotate 90 degrees to display."""
    jpeg = cv2.imencode(".jpg", img)[1].tobytes()
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<I", 0)
    app1 = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Images of every kind im2rec meets, in nested class folders, plus things to skip."""
    root = tmp_path_factory.mktemp("im2rec") / "images"
    rng = np.random.default_rng(7)

    def smooth(h: int, w: int, c: int) -> np.ndarray:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        chans = [x / w * 255, y / h * 255, (x + y) / (w + h) * 255, np.full_like(x, 99)]
        img = np.clip(np.stack(chans[:c], -1) + rng.normal(0, 6, (h, w, c)), 0, 255)
        return img.astype(np.uint8)[..., 0] if c == 1 else img.astype(np.uint8)

    files: dict[str, bytes] = {
        "Zeta.JPG": cv2.imencode(".jpg", smooth(30, 40, 3))[1].tobytes(),
        "alpha.png": cv2.imencode(".png", smooth(26, 21, 4))[1].tobytes(),
        "cls_a/portrait.jpg": cv2.imencode(".jpg", smooth(48, 30, 3))[1].tobytes(),
        "cls_a/sub/gray.jpeg": cv2.imencode(".jpg", smooth(33, 33, 1))[1].tobytes(),
        "cls_a/sub/land.png": cv2.imencode(".png", smooth(20, 35, 3))[1].tobytes(),
        "cls_b/exif.jpg": exif_rotated_jpeg(smooth(24, 40, 3)),
        "cls_b/.hidden.jpg": cv2.imencode(".jpg", smooth(22, 22, 3))[1].tobytes(),
        "cls_b/broken.jpg": b"GIF89a? no: plain text\n",
        "cls_b/notes.txt": b"not listed\n",
        "\u00dcn\u00efcode/\u00ef.jpg": cv2.imencode(".jpg", smooth(25, 31, 3))[1].tobytes(),
        "docs/readme.md": b"no images here\n",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "empty").mkdir()
    return root


def mxnet_list(ref: MXNetReference, prefix: Path, root: Path, flags: list[str]) -> str:
    result = ref.call("im2rec.run_tool", [str(prefix), str(root), *flags], str(prefix.parent))
    assert result["code"] in (0, None), result
    stdout: str = result["stdout"]
    return stdout


def recio_list(
    prefix: Path, root: Path, flags: list[str], capsys: pytest.CaptureFixture[str] | None
) -> str:
    code = im2rec.main([str(prefix), str(root), *flags])
    assert code in (0, 1)
    return capsys.readouterr().out if capsys is not None else ""


def lst_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.lst"))}


LIST_FLAGS = [
    ["--list", "--recursive"],
    ["--list", "--recursive", "--no-shuffle"],
    ["--list"],
    ["--list", "--no-shuffle", "--recursive", "--exts", ".png", ".jpeg"],
    ["--list", "--recursive", "--chunks", "3", "--train-ratio", "0.7", "--test-ratio", "0.1"],
    ["--list", "--recursive", "--train-ratio", "0.6"],
    ["--list", "--recursive", "--train-ratio", "0.5", "--test-ratio", "0.5"],
    ["--list", "--recursive", "--chunks", "5", "--test-ratio", "0.3"],
]


@pytest.mark.parametrize("flags", LIST_FLAGS, ids=lambda f: " ".join(f[1:]) or "flat")
def test_lists_and_label_map_equal_mxnets(
    mxnet_ref: MXNetReference,
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
) -> None:
    (tmp_path / "mx").mkdir()
    (tmp_path / "rc").mkdir()
    mx_out = mxnet_list(mxnet_ref, tmp_path / "mx" / "data", folder, flags)
    capsys.readouterr()
    rc_out = recio_list(tmp_path / "rc" / "data", folder, flags, capsys)
    mx_files = lst_files(tmp_path / "mx")
    assert mx_files  # MXNet wrote something to compare with
    assert lst_files(tmp_path / "rc") == mx_files
    assert rc_out == mx_out


names = st.text(st.sampled_from("abAB_z.09-\u00e9"), min_size=1, max_size=4).filter(
    lambda s: s not in (".", "..")
)
exts = st.sampled_from([".jpg", ".JPG", ".png", ".jpeg", ".Jpeg", ".txt", ".gif", ""])
trees = st.lists(st.tuples(st.lists(names, max_size=2), names, exts), min_size=0, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees,
    recursive=st.booleans(),
    shuffle=st.booleans(),
    chunks=st.integers(1, 3),
    ratios=st.sampled_from([(1.0, 0.0), (0.5, 0.0), (0.8, 0.1), (0.5, 0.5), (0.0, 0.3)]),
)
def test_random_trees_give_mxnets_lists(
    mxnet_ref: MXNetReference,
    tree: list[tuple[list[str], str, str]],
    recursive: bool,
    shuffle: bool,
    chunks: int,
    ratios: tuple[float, float],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "root"
        root.mkdir()
        for dirs, name, ext in tree:
            path = root.joinpath(*dirs, name + ext)
            if path.exists() or any(p.is_file() for p in path.parents):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        flags = ["--list", "--chunks", str(chunks), "--train-ratio", str(ratios[0])]
        flags += ["--test-ratio", str(ratios[1]), "-q"]
        flags += ["--recursive"] if recursive else []
        flags += [] if shuffle else ["--no-shuffle"]
        (base / "mx").mkdir()
        (base / "rc").mkdir()
        mxnet_list(mxnet_ref, base / "mx" / "d", root, [f for f in flags if f != "-q"])
        recio_list(base / "rc" / "d", root, flags, None)
        assert lst_files(base / "rc") == lst_files(base / "mx")


# -- records --------------------------------------------------------------------------


def recio_records(stem: Path) -> list[dict[str, Any]]:
    out = []
    with recordio.MXIndexedRecordIO(f"{stem}.idx", f"{stem}.rec", "r") as r:
        for key in r.keys:
            h, payload = recordio.unpack(r.read_idx(key))
            label = [float(v) for v in h.label] if h.flag else float(h.label)
            img = cv2.imdecode(np.frombuffer(payload, np.uint8), cv2.IMREAD_UNCHANGED)
            out.append(
                {
                    "key": key,
                    "header": (h.flag, label, h.id, h.id2),
                    "payload": payload,
                    "image": img,
                }
            )
    return out


def pack_both(
    ref: MXNetReference, folder: Path, tmp_path: Path, lst: str, flags: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pack the same list with MXNet (2 processes) and recio (3 threads); both outputs."""
    for side in ("mx", "rc"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "p.lst").write_text(lst)
    result = ref.call(
        "im2rec.run_tool",
        [str(tmp_path / "mx" / "p"), str(folder), *flags, "--num-thread", "2"],
        str(tmp_path),
    )
    assert result["code"] in (0, None), result
    code = im2rec.main([str(tmp_path / "rc" / "p"), str(folder), "-q", *flags, "--num-thread", "3"])
    assert code in (0, 1)
    mx_stem = tmp_path / "mx" / "p"
    return recio_records(tmp_path / "rc" / "p"), ref.call(
        "im2rec.read_records", f"{mx_stem}.rec", f"{mx_stem}.idx"
    )


def assert_equivalent(rc: list[dict[str, Any]], mx: list[dict[str, Any]]) -> None:
    assert [r["key"] for r in rc] == [m["key"] for m in mx]
    for r, m in zip(rc, mx, strict=True):
        assert r["header"] == tuple(m["header"]), r["key"]
        assert (r["image"] is None) == (m["image"] is None), r["key"]
        if r["image"] is None:
            assert r["payload"] == m["payload"]
            continue
        assert r["image"].shape == m["image"].shape, r["key"]
        diff = np.abs(r["image"].astype(np.int16) - m["image"].astype(np.int16))
        assert diff.max() <= PIXEL_TOLERANCE, (r["key"], int(diff.max()))


@pytest.fixture(scope="module")
def recursive_list(
    mxnet_ref: MXNetReference, folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    out = tmp_path_factory.mktemp("lst")
    mxnet_list(mxnet_ref, out / "all", folder, ["--list", "--recursive"])
    return (out / "all.lst").read_text()


PACK_FLAGS = [
    [],
    ["--resize", "20", "--quality", "80"],
    ["--center-crop", "--resize", "16", "--encoding", ".png"],
    ["--color", "0", "--resize", "24"],
    ["--color", "-1", "--encoding", ".png", "--quality", "3"],
]


@pytest.mark.parametrize("flags", PACK_FLAGS, ids=lambda f: " ".join(f) or "defaults")
def test_packed_records_equal_mxnets(
    mxnet_ref: MXNetReference, folder: Path, tmp_path: Path, recursive_list: str, flags: list[str]
) -> None:
    rc, mx = pack_both(mxnet_ref, folder, tmp_path, recursive_list, flags)
    assert_equivalent(rc, mx)
    assert len(rc) == recursive_list.count("\n") - 1  # all but broken.jpg


def test_pass_through_equals_mxnet_except_the_non_image(
    mxnet_ref: MXNetReference, folder: Path, tmp_path: Path, recursive_list: str
) -> None:
    rc, mx = pack_both(mxnet_ref, folder, tmp_path, recursive_list, ["--pass-through"])
    broken = [m for m in mx if m["image"] is None]
    assert len(broken) == 1  # MXNet packs the text file as if it were an image; recio skips it
    assert [r["key"] for r in rc] == [m["key"] for m in mx if m["image"] is not None]
    for r, m in zip(rc, [m for m in mx if m["image"] is not None], strict=True):
        assert (r["header"], r["payload"]) == (tuple(m["header"]), m["payload"])


MULTI = "".join(
    f"{i}\t" + "".join(f"{v:f}\t" for v in labels) + f"{path}\n"
    for i, labels, path in [
        (30, [1, 2, 3], "Zeta.JPG"),
        (4, [7], "cls_a/portrait.jpg"),
        (12, [0.5, -1, 2], "cls_b/exif.jpg"),
        (2, [9, 8, 7], "cls_b/broken.jpg"),
        (18, [3, 3, 3], "alpha.png"),
        (5, [1, 0], "cls_a/sub/land.png"),
    ]
)


@pytest.mark.parametrize("pack_label", [False, True])
def test_multi_label_headers_equal_mxnets(
    mxnet_ref: MXNetReference, folder: Path, tmp_path: Path, pack_label: bool
) -> None:
    flags = ["--resize", "18"] + (["--pack-label"] if pack_label else [])
    rc, mx = pack_both(mxnet_ref, folder, tmp_path, MULTI, flags)
    assert_equivalent(rc, mx)
    flags_seen = [r["header"][0] for r in rc]
    assert flags_seen == ([3, 0, 3, 3, 2] if pack_label else [0] * 5)


def test_image_record_iter_reads_what_recio_wrote(
    mxnet_ref: MXNetReference, folder: Path, tmp_path: Path
) -> None:
    flags = ["--center-crop", "--resize", "16", "--pack-label"]
    rc, _ = pack_both(mxnet_ref, folder, tmp_path, MULTI, flags)
    labels = [r["header"][1] for r in rc if r["header"][0] == 3]
    lst = "".join(line + "\n" for line in MULTI.splitlines() if line.count("\t") == 4)
    shutil.rmtree(tmp_path / "mx")
    shutil.rmtree(tmp_path / "rc")
    pack_both(mxnet_ref, folder, tmp_path, lst, flags)
    got = mxnet_ref.call("im2rec.record_iter", str(tmp_path / "rc" / "p.rec"), [3, 16, 16], 3, 2)
    want = mxnet_ref.call("im2rec.record_iter", str(tmp_path / "mx" / "p.rec"), [3, 16, 16], 3, 2)
    assert got["count"] == want["count"] == len(labels) == 3
    assert got["labels"] == labels == want["labels"]
    assert np.allclose(got["means"], want["means"], atol=1.0)


def test_image_record_iter_reads_single_labels(
    mxnet_ref: MXNetReference, folder: Path, tmp_path: Path, recursive_list: str
) -> None:
    rc, _ = pack_both(
        mxnet_ref, folder, tmp_path, recursive_list, ["--resize", "16", "--center-crop"]
    )
    got = mxnet_ref.call("im2rec.record_iter", str(tmp_path / "rc" / "p.rec"), [3, 16, 16], 1, 4)
    assert got["count"] == len(rc)
    assert got["labels"] == [r["header"][1] for r in rc]
