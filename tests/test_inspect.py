"""recio inspect: counts, histograms, formats and sizes, corrupt records, contact sheets, exits."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from recio import __main__ as cli
from recio import recordio
from recio.tools import inspect

from _records import write_records


def image(i: int, h: int = 20, w: int = 30) -> np.ndarray:
    return np.random.default_rng(i).integers(0, 256, (h, w, 3), dtype=np.uint8)


def encoded(img: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def record(i: int, payload: bytes, label: object = None) -> bytes:
    return recordio.pack(
        recordio.IRHeader(0, float(i % 3) if label is None else label, i, 0), payload
    )


def clean_file(path: Path, n: int = 12) -> list[int]:
    """``n`` records: labels i % 3, JPEGs of 30x20 and every fourth a 40x25 PNG."""
    records = []
    for i in range(n):
        if i % 4 == 3:
            records.append(record(i, encoded(image(i, 25, 40), ".png")))
        else:
            records.append(record(i, encoded(image(i))))
    return write_records(path, records)


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = inspect.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_file_is_described_and_exits_0(
    rec_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_file(rec_path)
    code, out, _ = run(capsys, rec_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "12 records in 1 file"
    assert "labels: 3 distinct" in out
    assert [line.split() for line in lines[2:5]] == [
        ["0", "4", "33.3%"],
        ["1", "4", "33.3%"],
        ["2", "4", "33.3%"],
    ]
    assert "formats: JPEG 9, PNG 3" in out
    assert "sizes: 2 distinct, width 30-40, height 20-25" in out
    assert out.rstrip().endswith("corrupt: 0")


def test_sizes_come_from_headers_and_match_the_decoded_images() -> None:
    for ext in (".jpg", ".png", ".bmp"):
        fmt, size, problem = inspect.image_facts(encoded(image(1, 17, 23), ext))
        assert (size, problem) == ((23, 17), None)
        assert fmt == {".jpg": "JPEG", ".png": "PNG", ".bmp": "BMP"}[ext]


def test_multi_label_records_are_counted_as_label_tuples(rec_path: Path) -> None:
    jpeg = encoded(image(0))
    write_records(rec_path, [record(0, jpeg, [1, 2]), record(1, jpeg, [1, 2]), record(2, jpeg)])
    report = inspect.scan([str(rec_path)])
    assert report.labels == {(1.0, 2.0): 2, 2.0: 1}
    assert "           1,2          2" in inspect.format_report(report)


def corrupt_file(path: Path) -> tuple[list[int], bytes]:
    """Sound records, with: broken framing at record 2, and records 4-7 holding a truncated
    JPEG, bytes of no image format, a short header and a truncated PNG."""
    jpeg, png = encoded(image(0)), encoded(image(1), ".png")
    records = [record(i, jpeg) for i in range(10)]
    records[4] = record(4, jpeg[:-40])
    records[5] = record(5, b"this is not an image")
    records[6] = b"short"
    records[7] = record(7, png[:-20])
    offsets = write_records(path, records)
    data = bytearray(path.read_bytes())
    data[offsets[2] : offsets[2] + 4] = b"XXXX"  # record 2's magic word
    path.write_bytes(bytes(data))
    return offsets, jpeg


def test_corrupt_records_are_listed_by_offset_and_id_and_exit_1(
    rec_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offsets, _ = corrupt_file(rec_path)
    code, out, _ = run(capsys, rec_path, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["records"] == 9  # record 2 is lost with its framing
    corrupt = report["corrupt"]
    assert [(c["offset"], c["id"]) for c in corrupt] == [
        (offsets[2], None),
        (offsets[4], 4),
        (offsets[5], 5),
        (offsets[6], None),
        (offsets[7], 7),
    ]
    reasons = [c["reason"] for c in corrupt]
    assert "damaged RecordIO data skipped" in reasons[0] and "magic word" in reasons[0]
    assert "truncated JPEG" in reasons[1]
    assert "not the signature of any image format" in reasons[2]
    assert "bad image-record header" in reasons[3]
    assert "truncated PNG" in reasons[4]
    assert report["formats"] == {"JPEG": 6, "PNG": 1, "unknown": 2}

    code, out, _ = run(capsys, rec_path)
    assert code == 1
    assert "corrupt: 5" in out
    assert f"{rec_path} offset {offsets[4]} id 4: truncated JPEG" in out


def without_quantization_tables(jpeg: bytes) -> bytes:
    """``jpeg`` without its DQT segments: frame header, scan and end marker in place, yet
    no quantization table to decode with."""
    out, pos = bytearray(jpeg[:2]), 2
    while jpeg[pos + 1] != 0xDA:  # segments up to the start of scan
        end = pos + 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        if jpeg[pos + 1] != 0xDB:
            out += jpeg[pos:end]
        pos = end
    return bytes(out + jpeg[pos:])


def test_decode_finds_damage_the_headers_do_not_show(
    rec_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jpeg = encoded(image(0))
    write_records(rec_path, [record(0, jpeg), record(1, without_quantization_tables(jpeg))])
    assert run(capsys, rec_path)[0] == 0
    code, out, _ = run(capsys, rec_path, "--decode", "--num-thread", "2")
    assert code == 1
    assert "id 1: " in out and "corrupt: 1" in out


def test_bytes_after_the_end_marker_are_not_damage() -> None:
    jpeg, png = encoded(image(0)), encoded(image(0), ".png")
    for data in (jpeg + b"camera trailer \xff\xd8", png + b"trailer"):
        assert inspect.image_facts(data, full_decode=True)[1:] == ((30, 20), None)
    assert "no start-of-scan" in str(inspect.image_facts(jpeg[: jpeg.index(b"\xff\xda")]))


def test_a_file_that_is_not_recordio_is_one_corrupt_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.rec"
    path.write_bytes(b"\x00" * 100)
    code, out, _ = run(capsys, path)
    assert code == 1
    assert "0 records in 1 file" in out
    assert f"{path} offset 0: 100 bytes of damaged RecordIO data skipped" in out
    assert "not a RecordIO file" in out


def test_a_folder_of_shards_reads_as_one_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for k in range(3):
        clean_file(tmp_path / f"part-{k}.rec", 4)
    code, out, _ = run(capsys, tmp_path)
    assert code == 0
    assert out.startswith("12 records in 3 files")


def test_grid_is_a_captioned_contact_sheet(
    rec_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt_file(rec_path)
    sheet = tmp_path / "sheet.png"
    code, _, _ = run(capsys, rec_path, "--grid", sheet, "--count", 5, "--cell", 64)
    assert code == 1  # the report's status: the sheet was written
    img = cv2.imread(str(sheet))
    cell, text_h, pad = 64, 12, 2
    row, col = cell + text_h + pad, cell + pad
    assert img.shape == (2 * row, 3 * col, 3)  # 5 cells: 3 columns, 2 rows
    # samples: records 0, 1, 3, 4, 5 (2 lost its framing, 6 has no header); 5 is no image
    cross = img[row : row + cell, col : col + cell].astype(int)
    red = (cross[..., 2] > 200) & (cross[..., 1] < 60) & (cross[..., 0] < 60)
    assert red.sum() > 100
    assert (img[cell : cell + text_h, 0:cell] > 200).any()  # a caption under the first image
    assert (img[row:, 2 * col :] == 32).all()  # no sixth cell: background


def test_usage_errors_exit_2_and_an_unwritable_grid_3(
    rec_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_file(rec_path, 2)
    code, _, err = run(capsys, tmp_path / "missing.rec")
    assert code == 2 and "missing.rec" in err
    assert run(capsys, rec_path, "--count", 0)[0] == 2
    assert run(capsys, rec_path, "--nope")[0] == 2
    assert run(capsys)[0] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, empty)[0] == 2
    code, _, err = run(capsys, rec_path, "--grid", tmp_path / "no" / "such" / "dir.png")
    assert code == 3 and "cannot write" in err


def test_the_recio_command_dispatches_to_inspect(
    rec_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_file(rec_path, 3)
    assert cli.main(["inspect", str(rec_path)]) == 0
    assert capsys.readouterr().out.startswith("3 records in 1 file")
    assert cli.main(["--help"]) == 0
    assert "inspect" in capsys.readouterr().out
