"""MXNet's ``mx.io.ImageDetRecordIter`` on recio's batch engine, and a batch viewer.

Per image, as MXNet 1.9.1: decode (OpenCV, BGR), the detection label from the
record header (or ``path_imglist``), the detection augmenter (resize, colour,
mirror, pad, crop samplers, fit to data_shape; :mod:`recio._image.det_default_aug`)
moving the boxes with every geometric step, then the normalisation of
``ImageDetNormalizeIter`` fused into the write of the batch row. Each label row
is ``[channels, height, width, n, <n label values>, label_pad_value...]``
(:mod:`recio._io._det_labels`); with ``resize_mode`` shrink or fit the image
fills the top-left ``height x width`` of its data row and the rest holds a
normalised 0, as in MXNet.

Every record's label is read and checked when the iterator is made (MXNet reads
them all then too, to estimate ``label_pad_width``): a label that breaks the
layout raises :class:`DetLabelError` naming the record, its file and offset,
before any thread starts. Records whose image cannot be decoded are skipped
with a warning and counted in ``skipped``, as in ImageRecordIter.

Batches are the same whatever the thread timing: the plan of each epoch is a
pure function of the parameters (:mod:`recio._io._record_plan`) and each row
draws its augmentation from a generator keyed by ``(seed, epoch, row)``.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Literal, cast

import cv2
import numpy as np
import numpy.typing as npt

from recio._errors import RecordIOError
from recio._header import unpack
from recio._image.decode import jpeg_info
from recio._image.det_default_aug import DetAugmenter, DetAugParams
from recio._image.det_default_aug_ops import Box
from recio._image.fastjpeg import decode_jpeg_fast
from recio._image.normalize import Normalizer
from recio._io._det_labels import (
    ROW_PREFIX,
    DetLabelError,
    max_width,
    parse_det_label,
    read_det_list,
    write_label_row,
)
from recio._io._det_options import ImageDetRecordOptions
from recio._io._image_options import data_dtype
from recio._io._record_batches import BadImage, RecordBatchIter
from recio._io._record_plan import Sample
from recio._io.base import DataDesc
from recio._params import InvalidParameterError, parse_params

__all__ = ["DetLabelError", "DetLabelWarning", "ImageDetRecordIter", "draw_det_batch"]

logger = logging.getLogger(__name__)

_DECODE_FLAG = {1: cv2.IMREAD_GRAYSCALE, 3: cv2.IMREAD_COLOR, 4: cv2.IMREAD_UNCHANGED}
_REDUCED = {8: 64, 4: 32, 2: 16}  # libjpeg's DCT reductions and OpenCV's flag bit for each
Floats = npt.NDArray[np.float32]
_Entry = tuple[Floats, Floats]  # a record's label: header values, objects (n, object_width)


class DetLabelWarning(UserWarning):
    """Labels were read with boxes dropped (empty or inverted) or outside [0, 1]."""


class ImageDetRecordIter(RecordBatchIter):
    """Batches of augmented detection images (NCHW) and their padded label rows."""

    options: ImageDetRecordOptions

    _where = "ImageDetRecordIter"

    def __init__(self, on_error: Literal["skip", "raise"] = "skip", **params: Any):
        if on_error not in ("skip", "raise"):
            raise ValueError(f"on_error must be 'skip' or 'raise', got {on_error!r}")
        opts = parse_params(ImageDetRecordOptions, self._where, params)
        self.options = opts
        self.on_error = on_error
        super().__init__(opts.batch_size)
        channels, height, width = opts.data_shape
        self._shape = (channels, height, width)
        self._dtype = data_dtype(opts.dtype, "float32")
        self._augment = DetAugmenter(opts.aug_options(), fast=opts.fast_decode)
        self._open_records(opts.path_imgrec, opts.num_parts, opts.part_index)
        self._ids, self._labels, widest = self._read_labels()
        self._label_width = self._pad_width(widest) + ROW_PREFIX
        mean, std = opts.mean_std()
        self._normalizer = Normalizer(mean, std, opts.scale)
        self._blank = self._blank_value()
        if opts.mean_img and not (mean > 0).any() and self._dtype not in (np.uint8, np.int8):
            from recio._io._mean_image import load_or_make_mean

            # computed (when the file is missing) by this iterator's own fill, unnormalised
            self._normalizer.mean_image = load_or_make_mean(cast(Any, self), opts.mean_img)
        threads = self._start_workers()
        if opts.verbose:
            logger.info(
                "%s: %s, %d records, label row width %d, %d threads",
                self._where, opts.path_imgrec, len(self._positions), self._label_width, threads,
            )  # fmt: skip

    # -- labels, read once ---------------------------------------------------------

    def _where_record(self, position: int, record_id: int | None = None) -> str:
        offset = int(self._positions[position])
        base = np.searchsorted(self._store.file_base, offset, side="right") - 1
        file = self._store.files[int(base)]
        named = f"record id {record_id}" if record_id is not None else "record"
        return f"{self._where}: {named} ({file}, offset {offset - self._store.file_base[base]})"

    def _read_labels(self) -> tuple[npt.NDArray[np.uint64], list[_Entry | None], int]:
        """(record ids, (header, objects) per position or None if unreadable, widest label)."""
        opts = self.options
        listed = read_det_list(opts.path_imglist, opts.label_width) if opts.path_imglist else None
        ids = np.zeros(len(self._positions), np.uint64)
        labels: list[_Entry | None] = []
        dropped: list[int] = []
        outside: list[int] = []
        widest = 0
        for position in range(len(self._positions)):
            try:
                header, _ = unpack(self._store.record(int(self._positions[position])))
            except (ValueError, RecordIOError):
                labels.append(None)  # reported as a bad record when a batch reaches it
                continue
            ids[position] = header.id
            try:
                if listed is not None:
                    raw = listed.get(int(header.id))
                    if raw is None:
                        raise DetLabelError(
                            f"{opts.path_imglist} has no line for image index {header.id}"
                        )
                else:
                    raw = np.atleast_1d(np.asarray(header.label, np.float32))
                    if opts.label_width > 0 and raw.size != opts.label_width:
                        raise DetLabelError(
                            f"the record holds {raw.size} label values but label_width is "
                            f"{opts.label_width}; use label_width=-1 for variable-length labels"
                        )
                    widest = max(widest, int(raw.size))
                label = parse_det_label(raw)
            except DetLabelError as e:  # named here only: most datasets never get here
                raise DetLabelError(f"{self._where_record(position, header.id)}: {e}") from None
            if label.dropped:
                dropped.append(int(header.id))
            if label.outside:
                outside.append(int(header.id))
            labels.append((label.header, label.objects))
        if listed is not None:
            widest = max_width(listed.values())
        if dropped:
            warnings.warn(
                f"{self._where}: {len(dropped)} record(s) hold empty or inverted boxes (xmax <= "
                f"xmin or ymax <= ymin; first: record id {dropped[0]}); those objects are left "
                "out, as MXNet does",
                DetLabelWarning,
                stacklevel=3,
            )
        if outside:
            warnings.warn(
                f"{self._where}: {len(outside)} record(s) hold boxes outside [0, 1] (first: "
                f"record id {outside[0]}); they are kept as they are, and mirror, pad and crop "
                "move and clip them as MXNet does",
                DetLabelWarning,
                stacklevel=3,
            )
        return ids, labels, widest

    def _pad_width(self, widest: int) -> int:
        """``label_pad_width``: MXNet's estimate (the widest label) unless a larger one is set."""
        wanted = self.options.label_pad_width
        if wanted > 0 and widest > wanted:
            raise InvalidParameterError(
                f"{self._where}: label_pad_width {wanted} is smaller than the widest label of "
                f"the data ({widest} values); raise it or use -1 to estimate it"
            )
        return max(widest, wanted)

    def _blank_value(self) -> npt.NDArray[Any]:
        """What a data row holds where no image is (shrink/fit): a normalised 0 per channel."""
        channels = self._shape[0]
        blank = np.empty((channels, 1, 1), self._dtype)
        saved = self._normalizer.mean_image
        self._normalizer.mean_image = None
        self._normalizer.write(np.zeros((1, 1, channels), np.uint8), blank, mirror=False)
        self._normalizer.mean_image = saved
        return blank

    # -- the per-row work, on worker threads -------------------------------------

    def _make_buffers(self) -> tuple[Any, ...]:
        batch = self.batch_size
        return (
            np.empty((batch, *self._shape), self._dtype),
            np.empty((batch, self._label_width), np.float32),
            np.zeros(batch, np.uint64),
        )

    def _decode(
        self, position: int, rng: np.random.Generator
    ) -> tuple[npt.NDArray[np.uint8], DetAugParams]:
        """The decoded image and the augmentation drawn for it (before decoding, for JPEGs
        the fast mode may decode smaller)."""
        try:
            _, payload = unpack(self._store.record(int(self._positions[position])))
        except (ValueError, RecordIOError) as e:
            raise BadImage(f"{self._where_record(position)}: {e}") from e
        entry = self._labels[position]
        if entry is None:  # pragma: no cover - a record unpack() failed on also fails above
            raise BadImage(f"{self._where_record(position)}: unreadable record")
        objects = entry[1]
        boxes = cast(list[Box], [tuple(b) for b in objects[:, 1:5].tolist()])
        data = np.frombuffer(payload, np.uint8)
        channels = self._shape[0]
        flag = _DECODE_FLAG[channels]
        params = None
        reduced = False
        if self._augment.fast and channels != 4 and data.size:
            info = jpeg_info(data)
            if info is not None and (info.jfif or not info.exif):  # no EXIF rotation
                params = self._augment.draw(rng, info.height, info.width, boxes)
                hint = self._augment.decode_scale_hint(params)
                for factor, bit in _REDUCED.items():
                    if 1 / factor >= hint:
                        flag |= bit
                        reduced = True
                        break
        img: Any = None
        if self._augment.fast and not reduced:
            img = decode_jpeg_fast(data, "GRAY" if channels == 1 else "BGR")
        if img is None and data.size:
            img = cv2.imdecode(data, flag)
        where = self._where_record(position, int(self._ids[position]))
        if img is None:
            raise BadImage(f"{where}: {len(payload)} bytes that OpenCV cannot decode as an image")
        if channels == 4 and (img.ndim != 3 or img.shape[2] != 4):
            raise BadImage(f"{where}: data_shape asks for 4 channels, the image has "
                            f"{1 if img.ndim == 2 else img.shape[2]}")  # fmt: skip
        if params is None or (not reduced and img.shape[:2] != params.input_size):
            params = self._augment.draw(rng, img.shape[0], img.shape[1], boxes)
        return img, params

    def _fill(self, sample: Sample, buffers: tuple[Any, ...], slot: int) -> None:
        data, label, index = buffers
        if sample.position is None:  # an empty padding row (round_batch off)
            data[slot] = 0
            label[slot] = self.options.label_pad_value
            index[slot] = 0
            return
        epoch, row = sample.key
        position = sample.position
        for _ in range(len(self._positions)):
            if position in self._bad:
                position = (position + 1) % len(self._positions)
                continue
            try:
                # every attempt draws from the row's key afresh: a bad record met here or
                # skipped as already known leaves the same draws for the record used
                rng = self._row_rng(epoch, row)
                img, params = self._decode(position, rng)
                img = self._augment.apply(img, params)
                break
            except (BadImage, ValueError, cv2.error) as e:
                if self.on_error == "raise":
                    raise
                self._note_bad(position, e)
                position = (position + 1) % len(self._positions)
        else:
            raise RuntimeError(f"{self._where}: no record of this part can be decoded")
        entry = self._labels[position]
        assert entry is not None
        flat = self._augment.transform_label(entry[0], entry[1], params)
        out = data[slot]
        height, width = img.shape[:2]
        if (height, width) != self._shape[1:]:
            out[...] = self._blank
            out = out[:, :height, :width]
        self._normalizer.write(img, out, mirror=False)  # img is mirrored already (a view)
        write_label_row(label[slot], self._shape[0], height, width, flat,
                        self.options.label_pad_value)  # fmt: skip
        index[slot] = self._ids[position]

    @property
    def provide_label(self) -> list[DataDesc]:
        shape = (self.batch_size, self._label_width)
        return [DataDesc(self.options.label_name, shape, np.float32)]


_PALETTE = [  # RGB, one per class id modulo 10
    (255, 56, 56), (56, 56, 255), (56, 200, 56), (255, 178, 29), (200, 56, 255),
    (29, 220, 220), (255, 112, 180), (130, 80, 0), (0, 130, 130), (150, 150, 150),
]  # fmt: skip


def draw_det_batch(data: Any, labels: Any, columns: int = 8) -> npt.NDArray[np.uint8]:
    """One BGR picture (for ``cv2.imwrite``) of a detection batch with its boxes drawn.

    `data` is a batch (N, C, H, W) of RGB(A) or gray images, uint8 or any
    normalised float (each image is stretched to 0-255 then); `labels` its
    label rows ``[channels, height, width, n, header_width, object_width, ...,
    cls, xmin, ymin, xmax, ymax, ...]``. Each box is drawn in its class's
    colour with the class id, over the ``height x width`` part of the row the
    image fills.
    """
    images = np.asarray(data)
    rows = np.asarray(labels, np.float32)
    n, channels, h, w = images.shape
    grid_rows = (n + columns - 1) // columns
    sheet = np.full((grid_rows * (h + 4), min(n, columns) * (w + 4), 3), 255, np.uint8)
    for i in range(n):
        img = images[i].astype(np.float32)
        if images.dtype != np.uint8:
            low, high = float(img.min()), float(img.max())
            img = (img - low) * (255.0 / (high - low)) if high > low else img * 0
        tile = img.clip(0, 255).astype(np.uint8).transpose(1, 2, 0)
        tile = np.ascontiguousarray(
            cv2.cvtColor(tile[:, :, :1], cv2.COLOR_GRAY2BGR) if channels == 1 else tile[:, :, 2::-1]
        )
        _draw_boxes(tile, rows[i])
        r, c = divmod(i, columns)
        sheet[r * (h + 4) : r * (h + 4) + h, c * (w + 4) : c * (w + 4) + w] = tile
    return sheet


def _draw_boxes(tile: npt.NDArray[np.uint8], row: Floats) -> None:
    """Draw the objects of one label row on `tile` (BGR), in place."""
    height, width, count = float(row[1]), float(row[2]), int(row[3])
    label = row[ROW_PREFIX : ROW_PREFIX + count]
    if count < 2:
        return
    header_width, object_width = int(label[0]), int(label[1])
    if header_width < 2 or object_width < 5:
        return
    objects = label[header_width:]
    objects = objects[: len(objects) // object_width * object_width].reshape(-1, object_width)
    for obj in objects:
        cls = int(obj[0])
        r, g, b = _PALETTE[cls % len(_PALETTE)]
        x0, y0 = round(float(obj[1]) * width), round(float(obj[2]) * height)
        x1, y1 = round(float(obj[3]) * width) - 1, round(float(obj[4]) * height) - 1
        cv2.rectangle(tile, (x0, y0), (x1, y1), (b, g, r), 1)
        cv2.putText(tile, str(cls), (x0 + 2, max(y0 + 10, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                    (b, g, r), 1, cv2.LINE_AA)  # fmt: skip
