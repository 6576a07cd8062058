"""``recio inspect FILE.rec``: what a RecordIO image file holds, and which records are broken.

Prints the record count, a label histogram, image formats and sizes, and every corrupt
record::

    recio inspect train.rec                    # one file; a folder of shards; several files
    recio inspect train.rec --decode           # also decode every image (slower, finds more)
    recio inspect train.rec --grid sheet.png --count 64    # a contact sheet with labels

Formats and sizes come from the image headers (JPEG frame header, PNG IHDR) without
decoding pixels; other formats are decoded to learn their size. A record is corrupt when
the RecordIO framing is damaged (the reader's skip mode passes over the region and says
why, reported by byte offset), when its image header (``IRHeader``) is short, or when its
image cannot be decoded: no known format, a JPEG without frame header or cut before its
end marker, a PNG cut before IEND, and with ``--decode`` anything OpenCV fails on.
Reported by file, byte offset and record id.

Exit status: 0 — every record is sound; 1 — corrupt records were found (listed); 2 — usage
error (a bad option, a file that does not exist or cannot be read); 3 — the contact sheet
could not be written. The work lives in :func:`scan` and :func:`contact_sheet`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import struct
import sys
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from recio._header import unpack
from recio._image.decode import ImageDecodeError, decode, jpeg_info, sniff_format
from recio._io._record_store import rec_files
from recio._reader import RecordIOWarning, RecordReader
from recio._storage import ReadSource
from recio.tools._pack import ordered_map

__all__ = ["Problem", "Report", "contact_sheet", "image_facts", "main", "scan"]

EXIT_OK, EXIT_CORRUPT, EXIT_USAGE, EXIT_OUTPUT_ERROR = 0, 1, 2, 3
_SKIPPED = re.compile(r"skipped (\d+) bytes of corrupt data at offset (\d+) \((.*)\)$", re.S)
_MAX_LISTED = 100  # corrupt records printed; --json lists all


@dataclass(frozen=True, slots=True)
class Problem:
    """A corrupt record or region: where (file, byte offset, record id if known) and why."""

    file: str
    offset: int
    id: int | None
    reason: str

    def __str__(self) -> str:
        ident = "" if self.id is None else f" id {self.id}"
        return f"{self.file} offset {self.offset}{ident}: {self.reason}"


@dataclass
class Report:
    """What :func:`scan` found. Labels are floats, or tuples for multi-label records."""

    files: list[str]
    records: int = 0
    labels: Counter[Any] = field(default_factory=Counter)
    formats: Counter[str] = field(default_factory=Counter)
    sizes: Counter[tuple[int, int]] = field(default_factory=Counter)  # (width, height)
    problems: list[Problem] = field(default_factory=list)
    samples: list[tuple[Any, int | None, bytes]] = field(default_factory=list)  # label, id, image


def image_facts(
    payload: bytes, full_decode: bool = False
) -> tuple[str, tuple[int, int] | None, str | None]:
    """``(format, (width, height) or None, why it is corrupt or None)`` of an encoded image.

    JPEG and PNG sizes come from their headers (a JPEG's as stored: EXIF orientation may
    swap it when decoded) and their ends are checked: a JPEG needs an end-of-image marker
    after its last start-of-scan, a PNG an IEND chunk (bytes after those, which some
    cameras append, are allowed). Other formats, and with ``full_decode`` all, are decoded,
    which is what finds damaged pixel data.
    """
    data = np.frombuffer(payload, np.uint8)
    fmt = sniff_format(data) or "unknown"
    size: tuple[int, int] | None = None
    if fmt == "JPEG":
        info = jpeg_info(data)
        if info is None:
            return fmt, None, "JPEG without a frame header: it cannot be decoded"
        size = (info.width, info.height)
        scan = payload.rfind(b"\xff\xda")  # FF DA cannot occur inside entropy-coded data
        if scan < 0:
            return fmt, size, "JPEG without image data (no start-of-scan marker)"
        if payload.rfind(b"\xff\xd9") < scan:
            return fmt, size, "truncated JPEG: it ends before the end-of-image marker (FF D9)"
    elif fmt == "PNG":
        if len(payload) < 24 or payload[12:16] != b"IHDR":
            return fmt, None, "PNG without an IHDR chunk: it cannot be decoded"
        size = struct.unpack(">II", payload[16:24])
        if b"IEND" not in payload:
            return fmt, size, "truncated PNG: it ends before the IEND chunk"
    if size is None or full_decode:
        try:
            image = decode(data, allow_truncated=False).image
        except ImageDecodeError as e:
            return fmt, size, str(e)
        size = size or (image.shape[1], image.shape[0])
    return fmt, size, None


def _records(path: str, problems: list[Problem]) -> Iterator[tuple[int, bytes]]:
    """``(offset, record)`` of each readable record; damaged regions go to ``problems``.

    The reader runs in skip mode: it resynchronises after damage and warns with the
    region's offset, size and cause, which becomes a :class:`Problem` (record id unknown).
    """
    reader = RecordReader(ReadSource(path), on_error="skip")
    try:
        while True:
            start, skipped = reader.pos, reader.skipped_bytes
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RecordIOWarning)
                record = reader.read()
            for w in caught:
                if not issubclass(w.category, RecordIOWarning):  # not ours: pass it on
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                elif m := _SKIPPED.search(str(w.message)):
                    what = f"{m[1]} bytes of damaged RecordIO data skipped ({m[3]})"
                    problems.append(Problem(path, int(m[2]), None, what))
                else:
                    problems.append(Problem(path, start, None, str(w.message)))
            if record is None:
                return
            yield start + reader.skipped_bytes - skipped, record
    finally:
        reader.source.close()


def _check(
    job: tuple[str, int, bytes], full_decode: bool
) -> tuple[Any, int | None, tuple[str, tuple[int, int] | None, str | None]]:
    """``(label, id, image facts)`` of one record; a bad header is a problem, id unknown."""
    _, _, record = job
    try:
        header, payload = unpack(record)
    except ValueError as e:
        return None, None, ("unknown", None, f"bad image-record header: {e}")
    label = float(header.label) if header.flag == 0 else tuple(map(float, header.label))
    return label, int(header.id), image_facts(payload, full_decode)


def scan(
    paths: Sequence[str], *, full_decode: bool = False, num_threads: int = 1, samples: int = 0
) -> Report:
    """Read every record of ``paths`` (files, or folders of .rec shards) and describe them.

    ``full_decode`` decodes every image on ``num_threads`` threads; ``samples`` keeps the
    first that many records' (label, id, image bytes) for a contact sheet. Raises
    ``OSError`` when a file cannot be opened.
    """
    report = Report(rec_files(list(paths)))

    def jobs() -> Iterator[tuple[str, int, bytes]]:
        for path in report.files:
            for offset, record in _records(path, report.problems):
                yield path, offset, record

    threads = num_threads if full_decode else 1
    results = ordered_map(lambda job: _check(job, full_decode), jobs(), threads)
    for (path, offset, record), (label, rec_id, (fmt, size, problem)) in results:
        report.records += 1
        report.formats[fmt] += 1
        if label is not None:
            report.labels[label] += 1
        if size is not None:
            report.sizes[size] += 1
        if problem is not None:
            report.problems.append(Problem(path, offset, rec_id, problem))
        if len(report.samples) < samples and label is not None:
            report.samples.append((label, rec_id, unpack(record)[1]))
    report.problems.sort(key=lambda p: (report.files.index(p.file), p.offset))
    return report


def _label_text(label: Any) -> str:
    return ",".join(f"{v:g}" for v in label) if isinstance(label, tuple) else f"{label:g}"


def _sort_key(label: Any) -> tuple[bool, Any]:
    return isinstance(label, tuple), label


def format_report(report: Report, top: int = 20) -> str:
    """The text :func:`main` prints: counts, histograms (``top`` rows each), problems."""
    n = report.records
    lines = [f"{n} records in {len(report.files)} file{'s' * (len(report.files) != 1)}"]
    labels = report.labels
    shown = sorted(labels, key=_sort_key) if len(labels) <= top else None
    lines.append(f"labels: {len(labels)} distinct" + ("" if shown else f", {top} most common:"))
    for label in shown or [lab for lab, _ in labels.most_common(top)]:
        lines.append(f"  {_label_text(label):>12}  {labels[label]:>9}  {labels[label] / n:6.1%}")
    lines.append("formats: " + ", ".join(f"{f} {c}" for f, c in report.formats.most_common()))
    if report.sizes:
        ws, hs = [w for w, _ in report.sizes], [h for _, h in report.sizes]
        lines.append(
            f"sizes: {len(report.sizes)} distinct, width {min(ws)}-{max(ws)}, "
            f"height {min(hs)}-{max(hs)}; most common:"
        )
        for (w, h), count in report.sizes.most_common(min(top, 5)):
            lines.append(f"  {f'{w}x{h}':>12}  {count:>9}  {count / n:6.1%}")
    lines.append(f"corrupt: {len(report.problems)}")
    lines += [f"  {p}" for p in report.problems[:_MAX_LISTED]]
    if len(report.problems) > _MAX_LISTED:
        lines.append(f"  ... {len(report.problems) - _MAX_LISTED} more (--json lists all)")
    return "\n".join(lines)


def contact_sheet(samples: Sequence[tuple[Any, int | None, bytes]], cell: int = 96) -> np.ndarray:
    """A BGR image: ``samples``' images in a near-square grid, each captioned with its label.

    Each image is scaled to fit a ``cell`` x ``cell`` square (aspect kept); an image that
    does not decode shows a red cross. The caption is ``label #id``.
    """
    import cv2

    cols = max(1, math.ceil(math.sqrt(len(samples))))
    rows = max(1, math.ceil(len(samples) / cols))
    text_h = max(12, cell // 6)
    pad = 2
    sheet = np.full((rows * (cell + text_h + pad), cols * (cell + pad), 3), 32, np.uint8)
    for k, (label, rec_id, payload) in enumerate(samples):
        y0, x0 = (k // cols) * (cell + text_h + pad), (k % cols) * (cell + pad)
        tile = sheet[y0 : y0 + cell, x0 : x0 + cell]
        try:
            img = decode(payload, to_rgb=False).image
        except (ImageDecodeError, ValueError):
            cv2.line(tile, (4, 4), (cell - 5, cell - 5), (0, 0, 255), 2)
            cv2.line(tile, (4, cell - 5), (cell - 5, 4), (0, 0, 255), 2)
        else:
            h, w = img.shape[:2]
            s = cell / max(h, w)
            nh, nw = max(1, round(h * s)), max(1, round(w * s))
            small = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
            y, x = (cell - nh) // 2, (cell - nw) // 2
            tile[y : y + nh, x : x + nw] = small.reshape(nh, nw, -1)
        text = f"{_label_text(label)} #{rec_id}"
        font, scale = cv2.FONT_HERSHEY_SIMPLEX, text_h / 30
        while cv2.getTextSize(text, font, scale, 1)[0][0] > cell and len(text) > 1:
            text = text[:-2] + "~"
        cv2.putText(sheet, text, (x0 + 1, y0 + cell + text_h - 3), font, scale, (255, 255, 255), 1)
    return sheet


def build_parser(prog: str = "recio inspect") -> argparse.ArgumentParser:
    """The argument parser of ``recio inspect``."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Describe RecordIO image files: record count, labels, image formats and "
        "sizes, corrupt records. Exit status 0: all sound; 1: corrupt records found; "
        "2: usage error; 3: the --grid image could not be written.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=".rec files, or folders of .rec shards")
    p.add_argument(
        "--decode", action="store_true", help="decode every image (finds damaged pixel data)"
    )
    p.add_argument("--num-thread", type=int, default=4, help="threads decoding with --decode")
    p.add_argument(
        "--grid", metavar="OUT", help="write a contact sheet of the first records here (.png, .jpg)"
    )
    p.add_argument("--count", type=int, default=64, help="records on the contact sheet")
    p.add_argument("--cell", type=int, default=96, help="size in pixels of a contact sheet cell")
    p.add_argument("--top", type=int, default=20, help="rows of each histogram")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def _as_json(report: Report) -> str:
    return json.dumps(
        {
            "files": report.files,
            "records": report.records,
            "labels": [
                [lab, c] for lab, c in sorted(report.labels.items(), key=lambda x: _sort_key(x[0]))
            ],
            "formats": dict(report.formats.most_common()),
            "sizes": [[w, h, c] for (w, h), c in report.sizes.most_common()],
            "corrupt": [
                {"file": p.file, "offset": p.offset, "id": p.id, "reason": p.reason}
                for p in report.problems
            ],
        },
        indent=1,
    )


def main(argv: Sequence[str] | None = None, prog: str = "recio inspect") -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), inspect, print; return the exit status."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        for name in ("num_thread", "count", "cell", "top"):
            if getattr(args, name) < 1:
                parser.error(
                    f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}"
                )
    except SystemExit as e:  # --help (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        report = scan(
            args.files,
            full_decode=args.decode,
            num_threads=args.num_thread,
            samples=args.count if args.grid else 0,
        )
    except (OSError, ValueError) as e:  # missing or unreadable file, empty folder
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        print(_as_json(report) if args.json else format_report(report, args.top), flush=True)
    except BrokenPipeError:  # `recio inspect x.rec | head`: the rest is not wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if args.grid:
        import cv2

        try:
            ok = cv2.imwrite(args.grid, contact_sheet(report.samples, args.cell))
        except cv2.error as e:
            ok, why = False, str(e).strip().splitlines()[-1]
        else:
            why = "OpenCV could not write it (folder missing, or an extension it does not know?)"
        if not ok:
            print(f"{prog}: error: cannot write {args.grid}: {why}", file=sys.stderr)
            return EXIT_OUTPUT_ERROR
    return EXIT_CORRUPT if report.problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(prog="python -m recio.tools.inspect"))
