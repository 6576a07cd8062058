"""Packing list items into RecordIO: one image -> one record, in list order, on several threads.

Per item, :func:`encode_item` does what MXNet 1.9.1's ``tools/im2rec.py`` does (verified
by running it, see ``docs/notes/im2rec.md``):

1. read ``ROOT/path``; with ``pass_through`` the file's bytes are the payload as they are;
2. otherwise decode it with OpenCV (``color``: 1 colour BGR, 0 grayscale, -1 as stored;
   EXIF orientation applied as ``cv2.imread`` does), crop the centre square
   (``center_crop``), scale the shorter side to ``resize`` (the longer one to
   ``long * resize // short``, bilinear, also when it enlarges), and encode it as
   ``encoding`` with ``quality`` (JPEG quality, or PNG compression level);
3. prefix the header: id = the list index, id2 = 0, label = the first label (flag 0), or
   with ``pack_label`` and two or more labels, all of them (flag = their count).

:func:`pack_items` runs that on a thread pool (OpenCV's decode, resize and encode release
the GIL) and writes the records in list order whatever the threads' timing, through
:class:`~recio.recordio.MXIndexedRecordIO`, whose .idx never names a record that is not
completely in the .rec, so an interrupted run leaves a consistent prefix of the list.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from recio._errors import RecordIOKeyError
from recio._header import IRHeader, pack
from recio._recordio import MXIndexedRecordIO
from recio.tools._lists import ListItem

__all__ = [
    "PackError",
    "PackOptions",
    "PackStats",
    "encode_item",
    "make_header",
    "ordered_map",
    "pack_items",
    "resize_shorter_side",
]

T = TypeVar("T")
R = TypeVar("R")

_STOP_GRACE = 2.0  # seconds an interrupted run waits for threads to finish their item

# Leading bytes of JPEG and PNG files: pass-through accepts these without decoding them.
# Other files must decode (weaker signatures, such as BMP's "BM", prove nothing).
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class PackError(Exception):
    """An item that cannot be packed: ``path`` (the file) and ``reason`` (why)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PackOptions:
    """How images are turned into records; defaults are MXNet im2rec's defaults."""

    resize: int = 0  # 0: keep the size
    center_crop: bool = False
    quality: int = 95  # JPEG quality 0-100, or PNG compression 0-9 (larger: 9, as OpenCV)
    encoding: str = ".jpg"
    color: int = 1  # cv2.imread flag: 1 colour, 0 grayscale, -1 unchanged
    pass_through: bool = False
    pack_label: bool = False

    def __post_init__(self) -> None:
        if self.resize < 0:
            raise ValueError(f"resize must be 0 (keep the size) or a size, got {self.resize}")
        if self.encoding not in (".jpg", ".png"):
            raise ValueError(f"encoding must be '.jpg' or '.png', got {self.encoding!r}")
        if self.color not in (-1, 0, 1):
            raise ValueError(f"color must be -1, 0 or 1, got {self.color}")
        if not 0 <= self.quality <= 100:
            raise ValueError(f"quality must be within 0..100, got {self.quality}")

    def encode_params(self) -> list[int]:
        """``cv2.imencode`` parameters, the PNG level capped at 9 as OpenCV would cap it.

        Capping here gives OpenCV's bytes without its per-image warning (MXNet's default
        quality 95 with ``--encoding .png`` would print one per image under OpenCV 5).
        """
        import cv2

        if self.encoding == ".png":
            return [cv2.IMWRITE_PNG_COMPRESSION, min(self.quality, 9)]
        return [cv2.IMWRITE_JPEG_QUALITY, self.quality]


@dataclass(slots=True)
class PackStats:
    """Counts of one packing run, updated as it goes (so they hold after an interrupt)."""

    written: int = 0
    skipped: int = 0


def make_header(item: ListItem, pack_label: bool) -> IRHeader:
    """The record header of ``item``: all labels only with ``pack_label`` and 2+ labels."""
    if not item.labels:
        raise ValueError(f"list item {item.index} ({item.path}) has no label")
    if pack_label and len(item.labels) > 1:
        return IRHeader(0, item.labels, item.index, 0)
    return IRHeader(0, item.labels[0], item.index, 0)


def resize_shorter_side(img: np.ndarray, size: int) -> np.ndarray:
    """``img`` with its shorter side scaled to ``size`` (bilinear), in MXNet's integer sizes.

    A square or landscape image gets height ``size``, a portrait one width ``size``; the
    longer side becomes ``long * size // short``. Small images are enlarged, as in MXNet.
    """
    import cv2

    h, w = img.shape[:2]
    new_w, new_h = (size, h * size // w) if h > w else (w * size // h, size)
    out: np.ndarray = cv2.resize(img, (new_w, new_h))
    return out


def _center_square(img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    if h > w:
        top = (h - w) // 2
        return img[top : top + w]
    left = (w - h) // 2
    return img[:, left : left + h]


def _is_image(data: bytes) -> bool:
    """Whether OpenCV can read ``data``: JPEG or PNG by signature, anything else by decoding."""
    import cv2

    if data.startswith(_SIGNATURES):
        return True
    try:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) is not None
    except cv2.error:
        return False


def encode_item(item: ListItem, root: str, options: PackOptions) -> bytes:
    """The record for ``item`` (image at ``root``/``item.path``), ready for ``write_idx``.

    Raises :class:`PackError` when the file cannot be read, is not an image OpenCV
    decodes, or cannot be resized or encoded as asked.
    """
    import cv2

    path = os.path.join(root, item.path)
    header = make_header(item, options.pack_label)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PackError(path, f"cannot be read ({e.strerror or e})") from e
    if not data:
        raise PackError(path, "is empty")
    if options.pass_through:
        if not _is_image(data):
            raise PackError(path, "is not an image OpenCV can decode")
        return pack(header, data)
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), options.color)
    except cv2.error as e:
        raise PackError(path, f"cannot be decoded ({_first_line(e)})") from e
    if img is None:
        raise PackError(path, "is not an image OpenCV can decode")
    if options.center_crop:
        img = _center_square(img)
    try:
        if options.resize:
            img = resize_shorter_side(img, options.resize)
        ok, buf = cv2.imencode(options.encoding, img, options.encode_params())
    except cv2.error as e:
        raise PackError(path, f"cannot be resized or encoded ({_first_line(e)})") from e
    if not ok:
        raise PackError(path, f"OpenCV could not encode it as {options.encoding}")
    return pack(header, buf.data)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    for line in text.splitlines():  # cv2.error's last line holds the actual message
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return text.splitlines()[0] if text else type(e).__name__


class _Workers:
    """``num_threads`` named daemon threads running ``fn`` on submitted items.

    Worker (:meth:`_work`): takes ``(future, item)`` tasks from the unbounded task queue
    (the caller bounds what it submits), skips a task whose future was cancelled, and sets
    the future to ``fn(item)`` or to the exception it raised; it stops when it takes
    ``None``. :meth:`close` (safe to call twice) queues one ``None`` per thread and joins
    them, at most ``timeout`` seconds: the threads are daemons so that one stuck in a read
    (a FIFO, a hung network mount) cannot keep an interrupted process alive.
    """

    def __init__(self, fn: Callable[[T], R], num_threads: int):
        self._fn = fn
        self._tasks: queue.SimpleQueue[tuple[Future[Any], Any] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"recio-im2rec-{i}", daemon=True)
            for i in range(num_threads)
        ]
        self._closed = False
        for t in self._threads:
            t.start()

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            future, item = task
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = self._fn(item)
            except BaseException as e:  # handed to the consumer, raised there
                future.set_exception(e)
            else:
                future.set_result(result)

    def submit(self, item: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._tasks.put((future, item))
        return future

    def close(self, timeout: float | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._tasks.put(None)
        for t in self._threads:
            t.join(timeout)


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], num_threads: int, window: int = 0
) -> Generator[tuple[T, R], None, None]:
    """``(item, fn(item))`` for each item, in input order, ``fn`` running on threads.

    ``num_threads`` daemon threads named ``recio-im2rec-<n>`` run ``fn``; at most
    ``window`` items (default ``4 * num_threads``) are submitted and not yet yielded, which
    bounds memory whatever the length of ``items``. An exception raised by ``fn`` is raised
    here, at that item's turn. Stopping: at the end the threads are joined; when the
    generator is closed early or an exception (Ctrl-C included) interrupts it, the items
    not started are cancelled and the threads get :data:`_STOP_GRACE` seconds to finish
    the item in hand. With ``num_threads <= 1`` ``fn`` runs in the caller's thread.
    """
    if num_threads <= 1:
        for item in items:
            yield item, fn(item)
        return
    window = window or 4 * num_threads
    workers = _Workers(fn, num_threads)
    pending: deque[tuple[T, Future[R]]] = deque()
    finished = False
    try:
        for item in items:
            pending.append((item, workers.submit(item)))
            if len(pending) >= window:
                head, future = pending.popleft()
                yield head, future.result()
        while pending:
            head, future = pending.popleft()
            yield head, future.result()
        finished = True
    finally:
        for _, future in pending:
            future.cancel()
        workers.close(None if finished else _STOP_GRACE)


def _encode_or_skip(item: ListItem, root: str, options: PackOptions) -> bytes | PackError:
    try:
        return encode_item(item, root, options)
    except PackError as e:
        return e


def pack_items(
    items: Iterable[ListItem],
    rec_path: str,
    idx_path: str,
    root: str,
    options: PackOptions,
    *,
    num_threads: int = 1,
    window: int = 0,
    on_skip: Callable[[ListItem, PackError], Any] | None = None,
    on_item: Callable[[], Any] | None = None,
    stats: PackStats | None = None,
) -> PackStats:
    """Pack ``items`` into ``rec_path``/``idx_path`` (replaced), in order; return the counts.

    Items that cannot be packed, and items whose index an earlier item already used, are
    left out and passed to ``on_skip``; ``on_item`` is called after every item (progress).
    Pass ``stats`` to read the counts after an interruption: whatever stops the run
    (Ctrl-C, an error), the records written so far are flushed with their .idx lines.
    """
    stats = stats if stats is not None else PackStats()

    def encode(item: ListItem) -> bytes | PackError:
        return _encode_or_skip(item, root, options)

    with (
        MXIndexedRecordIO(idx_path, rec_path, "w") as writer,
        contextlib.closing(ordered_map(encode, items, num_threads, window)) as results,
    ):
        for item, record in results:
            if isinstance(record, bytes):
                try:
                    writer.write_idx(item.index, record)
                except RecordIOKeyError:
                    record = PackError(
                        os.path.join(root, item.path),
                        f"index {item.index} is already used by an earlier line of the list",
                    )
                else:
                    stats.written += 1
            if isinstance(record, PackError):
                stats.skipped += 1
                if on_skip is not None:
                    on_skip(item, record)
            if on_item is not None:
                on_item()
    return stats
