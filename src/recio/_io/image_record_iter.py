"""MXNet's ``mx.io.ImageRecordIter`` and ``ImageRecordUInt8Iter`` on recio's batch engine.

Per image, as MXNet 1.9.1 (SPEC.md): decode (OpenCV, BGR), labels from the
record header or from ``path_imglist``, the default augmenter (resize, affine,
pad, crop, colour), then mirror and normalisation fused into the write of the
batch row (:mod:`recio._image.normalize`). Worker threads fill batch buffers
that are reused (:mod:`recio._pipeline`); the plan of each epoch — which record
lands in which row — is a pure function of the parameters and the epoch
(:mod:`recio._io._record_plan`), and each row draws its random augmentation from
a generator keyed by ``(seed, epoch, row)``, so the batches are the same
whatever the thread timing, and ``state_dict()`` resumes exactly.

``num_parts`` / ``part_index`` split the records as MXNet does (by bytes, once)
when they are integers; with ``"auto"`` they come from the launcher and every
epoch each rank reads an even block of the whole dataset's (shuffled) order,
the last batch completed from the front of its own block rather than from the
next epoch (:mod:`recio._distributed`).

Records whose image cannot be decoded (corrupt, truncated, not an image) are
skipped with a warning and counted in ``skipped``: the row gets the next good
record of the part instead, so batch shapes and order stay fixed. With
``on_error="raise"`` they raise :class:`~recio._pipeline.SampleError` naming
the record.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from recio._errors import RecordIOError
from recio._image import jpeg_window
from recio._image.decode import jpeg_info
from recio._image.default_aug import DefaultAugmenter
from recio._image.fastjpeg import decode_jpeg_fast, jpeg_size
from recio._image.normalize import Normalizer
from recio._io._image_options import ImageRecordOptions, data_dtype
from recio._io._imglist import read_label_map
from recio._io._record_batches import BadImage, BadImageWarning, RecordBatchIter
from recio._io._record_plan import Sample
from recio._io.base import DataDesc
from recio._params import parse_params

__all__ = ["BadImageWarning", "ImageRecordIter", "ImageRecordUInt8Iter"]

logger = logging.getLogger(__name__)

_DECODE_FLAG = {1: cv2.IMREAD_GRAYSCALE, 3: cv2.IMREAD_COLOR, 4: cv2.IMREAD_UNCHANGED}
# libjpeg's DCT reductions, smallest image first, and the OpenCV flag bit asking for each
_REDUCED = {8: 64, 4: 32, 2: 16}


class ImageRecordIter(RecordBatchIter):
    """Batches of decoded, augmented, normalised images from .rec files (NCHW)."""

    options: ImageRecordOptions

    _where = "ImageRecordIter"
    _default_dtype: str = "float32"

    def __init__(self, on_error: Literal["skip", "raise"] = "skip", **params: Any):
        opts = parse_params(ImageRecordOptions, self._where, params)
        self.options = opts
        self.on_error = on_error
        super().__init__(opts.batch_size)
        channels, height, width = opts.data_shape
        self._shape = (channels, height, width)
        self._dtype = data_dtype(opts.dtype, self._default_dtype)
        self._open_records(opts.path_imgrec, opts.num_parts, opts.part_index)
        self._label_map = (
            read_label_map(opts.path_imglist, opts.label_width) if opts.path_imglist else None
        )
        self._augment = DefaultAugmenter(opts.aug_options())
        self._normalizer = Normalizer(
            np.array([opts.mean_r, opts.mean_g, opts.mean_b, opts.mean_a], np.float32),
            np.array([opts.std_r, opts.std_g, opts.std_b, opts.std_a], np.float32),
            opts.scale,
        )
        if opts.mean_img and self._dtype not in (np.uint8,):
            self._normalizer.mean_image = self._load_or_make_mean(opts.mean_img)
        # the one-pass JPEG path (recio._image.jpeg_window) where it can give these rows
        self._one_pass = (
            opts.fast_decode
            and jpeg_window.available()
            and self._augment.resize_then_crop
            and channels in (1, 3)
            and self._dtype in (np.float32, np.uint8)
            and self._normalizer.mean_image is None
        )
        threads = self._start_workers()
        if opts.verbose:
            logger.info(
                "%s: %s, %d records, part %d of %d, %d threads",
                self._where,
                opts.path_imgrec,
                len(self._positions),
                self._parts.part_index,
                self._parts.num_parts,
                threads,
            )

    # -- records ---------------------------------------------------------------

    def _labels(self, header: Any) -> npt.NDArray[np.float32]:
        width = self.options.label_width
        if self._label_map is not None:
            try:
                return self._label_map[int(header.id)]
            except KeyError:
                raise KeyError(
                    f"{self.options.path_imglist}: no line for image index {header.id}"
                ) from None
        if header.flag > 0:
            if header.flag != width:
                raise ValueError(
                    f"record id {header.id} holds {header.flag} labels but label_width is {width}"
                )
            return np.asarray(header.label, np.float32)
        if width != 1:
            raise ValueError(
                f"record id {header.id} holds one label but label_width is {width}; "
                "give path_imglist or pack the records with multi-dimensional labels"
            )
        return np.array([header.label], np.float32)

    def _record(self, position: int) -> tuple[Any, npt.NDArray[np.uint8]]:
        """(header, payload bytes) of the record at `position` of the part."""
        try:
            header, payload = self._store.image_record(int(self._positions[position]))
        except (ValueError, RecordIOError) as e:
            raise BadImage(f"record at position {position}: {e}") from e
        return header, np.frombuffer(payload, np.uint8)

    def _decode(
        self, header: Any, data: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.uint8], tuple[int, int] | None]:
        """(decoded image, full-size (h, w) if it was decoded at reduced scale) of a record."""
        flag = _DECODE_FLAG[self._shape[0]]
        full_size = None
        fast = self.options.fast_decode
        size = jpeg_size(data) if fast and self._shape[0] != 4 else None
        # the Python walk of the markers only when a reduced decode is possible at all
        if size is not None and self._may_reduce(size):
            info = jpeg_info(data)
            if info is not None and (info.jfif or not info.exif):  # no EXIF rotation
                hint = self._augment.decode_scale_hint(info.height, info.width)
                for factor, bit in _REDUCED.items():
                    if 1 / factor >= hint:
                        flag |= bit
                        full_size = (info.height, info.width)
                        break
        img: Any = None
        if fast and full_size is None:
            img = decode_jpeg_fast(data, "GRAY" if self._shape[0] == 1 else "BGR")
        if img is None and data.size:
            img = cv2.imdecode(data, flag)
        if img is None:
            raise BadImage(
                f"record id {header.id}: {data.size} bytes that OpenCV cannot decode as an image"
            )
        return img, full_size

    # -- the per-row work, on worker threads ---------------------------------------

    def _make_buffers(self) -> tuple[Any, ...]:
        batch = self.batch_size
        return (
            np.empty((batch, *self._shape), self._dtype),
            np.empty((batch, self.options.label_width), np.float32),
            np.zeros(batch, np.uint64),
        )

    def _fill(self, sample: Sample, buffers: tuple[Any, ...], slot: int) -> None:
        data, label, index = buffers
        if sample.position is None:  # an empty padding row (round_batch off)
            data[slot] = 0
            label[slot] = 0
            index[slot] = 0
            return
        epoch, row = sample.key
        position = sample.position
        for _ in range(len(self._positions)):
            if position in self._bad:
                position = (position + 1) % len(self._positions)
                continue
            try:
                # every attempt draws from the row's key afresh: whether a bad record was
                # met here or is already known (thread timing) leaves the draws unchanged
                header, payload = self._record(position)
                img = None
                done = self._one_pass and self._write_one_pass(
                    payload, self._row_rng(epoch, row), data[slot]
                )
                if not done:
                    rng = self._row_rng(epoch, row)
                    img, full_size = self._decode(header, payload)
                    if full_size is None:
                        img = self._augment(img, rng)
                    else:  # decoded small: draw the geometry for the full size, apply it here
                        img = self._augment.apply(img, self._augment.draw(rng, *full_size))
                break
            except (BadImage, ValueError) as e:
                if self.on_error == "raise":
                    raise
                self._note_bad(position, e)
                position = (position + 1) % len(self._positions)
        else:
            raise RuntimeError("no record of this part can be decoded")
        if img is not None:  # the general path: mirror and normalise into the row
            mirror, contrast, illumination = self._draw_output(rng)
            self._normalizer.write(
                img, data[slot], mirror=mirror, contrast=contrast, illumination=illumination
            )
        if self._label_map is None and header.flag == 0 and label.shape[1] == 1:
            label[slot, 0] = header.label  # the common case, without an array per row
        else:
            label[slot] = self._labels(header)
        index[slot] = header.id

    def _may_reduce(self, size: tuple[int, int]) -> bool:
        """Whether an image of `size` (h, w) may be decoded at one of libjpeg's reduced
        scales (the general path's choice; the one-pass path leaves those to it)."""
        return self._augment.decode_scale_hint(*size) <= 1 / min(_REDUCED)

    def _draw_output(self, rng: np.random.Generator) -> tuple[bool, float, float]:
        """(mirror, contrast, illumination) of a row, drawn after its augmentation."""
        opts = self.options
        mirror = opts.mirror or (opts.rand_mirror and rng.random() < 0.5)
        contrast, illumination = 1.0, 0.0
        # the row's last draws: when both ranges are 0 they would give exactly 1 and 0
        jitter = opts.max_random_contrast or opts.max_random_illumination
        if self._dtype != np.uint8 and jitter:
            contrast = 1.0 + rng.uniform(-opts.max_random_contrast, opts.max_random_contrast)
            illumination = rng.uniform(-opts.max_random_illumination, opts.max_random_illumination)
        return bool(mirror), float(contrast), float(illumination)

    def _write_one_pass(
        self, data: npt.NDArray[np.uint8], rng: np.random.Generator, out: Any
    ) -> bool:
        """Decode, augment and write the record's JPEG `data` into the row `out` in one
        native pass (:mod:`recio._image.jpeg_window`), with the same draws and pixels as
        the general path; False when that path has to do it (not a JPEG, a draw beyond
        resize and crop, a reduced-scale decode, anything declined)."""
        size = jpeg_size(data)
        if size is None or self._may_reduce(size):
            return False
        params = self._augment.draw(rng, *size)
        if not jpeg_window.covers(params, *size):
            return False
        mirror, contrast, illumination = self._draw_output(rng)
        table = None
        if self._dtype == np.float32:
            table = self._normalizer.table(self._shape[0], contrast, illumination)
        return jpeg_window.decode_window(data, out, table, size, params, mirror=mirror)

    def _label_view(self, label: Any) -> Any:
        return label[:, 0] if self.options.label_width == 1 else label

    @property
    def provide_label(self) -> list[DataDesc]:
        width = self.options.label_width
        shape = (self.batch_size,) if width == 1 else (self.batch_size, width)
        return [DataDesc(self.options.label_name, shape, np.float32)]

    # -- mean image ------------------------------------------------------------------

    def _load_or_make_mean(self, path: str) -> npt.NDArray[np.float32]:
        from recio._io._mean_image import load_or_make_mean

        return load_or_make_mean(self, path)


class ImageRecordUInt8Iter(ImageRecordIter):
    """:class:`ImageRecordIter` giving the augmented pixels as uint8, unnormalised."""

    _where = "ImageRecordUInt8Iter"
    _default_dtype = "uint8"
