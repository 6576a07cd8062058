"""MXNet's ``mx.io.MNISTIter``: batches from a pair of MNIST idx-ubyte files.

The idx-ubyte layout (all integers big-endian)::

    images (idx3-ubyte)                      labels (idx1-ubyte)
    +--------------------------+             +--------------------------+
    | magic 0x00000803 (2051)  |  4 bytes    | magic 0x00000801 (2049)  |  4 bytes
    | count                    |  4 bytes    | count                    |  4 bytes
    | rows                     |  4 bytes    +--------------------------+
    | cols                     |  4 bytes    | count label bytes        |
    +--------------------------+             +--------------------------+
    | count * rows * cols      |
    | pixel bytes, row-major   |
    +--------------------------+

Either file may be gzip-compressed (recognised by its content, not its name).
:func:`parse_images` and :func:`parse_labels` turn bytes into arrays and do no
I/O; :class:`MNISTIter` loads both files once, keeps its part of the images as
uint8, and scales one batch at a time (pixels / 256, as MXNet 1.9.1 does).

As in MXNet 1.9.1: ``num_parts`` splits the images into contiguous parts,
part ``k`` being ``[int(n / num_parts * k), int(n / num_parts * (k + 1)))``;
``shuffle`` permutes the part once, when the iterator is built, with exactly
MXNet's permutation (``std::shuffle`` driven by ``std::mt19937(seed)``, as
libstdc++ implements it), so every epoch has the same order; the last
incomplete batch is dropped, so ``pad`` is always 0. ``num_parts="auto"``
(recio's) takes the launcher's world size and rank and gives each rank an even
block of that order (:mod:`recio._distributed`), so every rank has the same
number of batches. Where recio differs
(``index``, ``dtype``, bad files, .gz) is listed in docs/notes/mnist_iter.md.
"""

from __future__ import annotations

import dataclasses
import errno
import gzip
import logging
import math
import struct
import zlib
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from recio._cxx_random import shuffled_order
from recio._distributed import PartArg, Parts, resolve_parts
from recio._io.base import DataDesc, DataIter
from recio._params import InvalidParameterError, Shape, parse_params
from recio._storage import open_read
from recio.nd import NDArray

__all__ = ["MNISTFormatError", "MNISTIter", "parse_images", "parse_labels", "shuffled_order"]

logger = logging.getLogger(__name__)

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
_GZIP_MAGIC = b"\x1f\x8b"
_SCALE = 1.0 / 256.0  # MXNet divides by 256, not 255: 255 -> 0.99609375


class MNISTFormatError(OSError):
    """An MNIST file that is not what its header says: bad magic, truncated, or too long.

    An ``OSError`` like recio's other data-file errors; ``path`` names the file.
    """

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])


# -- the format: bytes in, arrays out ------------------------------------------


def _decompress(data: bytes, path: str) -> bytes:
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as e:
        raise MNISTFormatError(f"{path}: damaged gzip file: {e}", path=path) from e


def _parse(data: bytes, path: str, magic: int, what: str) -> tuple[tuple[int, ...], memoryview]:
    """The dimensions in the header of an idx-ubyte file and the bytes after it.

    Checks the magic number and that the file holds exactly the bytes its
    header announces (MXNet checks neither and reads garbage or past the end).
    """
    gzipped = data.startswith(_GZIP_MAGIC)
    data = _decompress(data, path)
    ndim = magic & 0xFF
    header_size = 4 * (1 + ndim)
    if len(data) < 4:
        raise MNISTFormatError(
            f"{path}: {len(data)} bytes is too short for an MNIST {what} file "
            f"(a {header_size}-byte header starting with magic number {magic})",
            path=path,
        )
    (found,) = struct.unpack_from(">I", data)
    if found != magic:
        raise MNISTFormatError(
            f"{path}: not an MNIST {what} file: magic number {found} (0x{found:08x}), "
            f"expected {magic} (0x{magic:08x})",
            path=path,
        )
    if len(data) < header_size:
        raise MNISTFormatError(
            f"{path}: truncated header: {len(data)} bytes, an MNIST {what} header "
            f"has {header_size}",
            path=path,
        )
    dims = struct.unpack_from(f">{ndim}I", data, 4)
    expected = header_size + math.prod(dims)
    if len(data) != expected:
        problem = "truncated file" if len(data) < expected else "unexpected bytes at the end"
        shape = "x".join(str(d) for d in dims)
        raise MNISTFormatError(
            f"{path}: {problem}: its header announces {what} of shape {shape}, which take "
            f"{expected} bytes with the header, but the file has {len(data)} bytes"
            f"{' once decompressed' if gzipped else ''}",
            path=path,
        )
    return dims, memoryview(data)[header_size:]


def parse_images(data: bytes, path: str = "<bytes>") -> npt.NDArray[np.uint8]:
    """The (count, rows, cols) uint8 images of an idx3-ubyte file's bytes (gzipped or not)."""
    dims, payload = _parse(data, path, IMAGES_MAGIC, "images")
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


def parse_labels(data: bytes, path: str = "<bytes>") -> npt.NDArray[np.uint8]:
    """The (count,) uint8 labels of an idx1-ubyte file's bytes (gzipped or not)."""
    _, payload = _parse(data, path, LABELS_MAGIC, "labels")
    return np.frombuffer(payload, dtype=np.uint8)


def _read_file(uri: str, param: str) -> bytes:
    try:
        source = open_read(uri)
    except FileNotFoundError as e:
        message = f"MNISTIter: the {param} file does not exist (set {param}=...)"
        raise FileNotFoundError(errno.ENOENT, message, uri) from e
    try:
        return source.read_at(0, source.size)
    finally:
        source.close()


# -- the iterator ----------------------------------------------------------------

# Output dtypes. Floats hold pixel / 256 exactly; integer types cannot hold a
# fraction, so they get the raw pixel values 0..255 (as ImageRecordIter's uint8
# output is the undecorated image). MXNet 1.9.1 lists these choices but fails at
# the first batch for every one except float32 ("data type do not match").
_FLOATS = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
_INTEGERS = {"uint8": np.uint8, "int32": np.int32, "int64": np.int64}


@dataclasses.dataclass(slots=True, kw_only=True)
class MNISTOptions:
    """MNISTIter's parameters, with MXNet 1.9.1's defaults."""

    image: str = "./train-images-idx3-ubyte"
    label: str = "./train-labels-idx1-ubyte"
    batch_size: int = 128
    shuffle: bool = True
    flat: bool = False
    seed: int = 0
    silent: bool = False
    num_parts: PartArg = 1  # "auto": the launcher's world size (recio._distributed)
    part_index: PartArg = 0
    prefetch_buffer: int = 4  # accepted for compatibility: the data is already in memory
    ctx: Literal["cpu", "gpu"] = "gpu"  # accepted for compatibility: arrays live on the CPU
    dtype: (
        Literal["bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"]
        | None
    ) = None
    data_name: str = "data"  # MXDataIter's names for provide_data / provide_label
    label_name: str = "softmax_label"
    input_shape: Shape | None = None  # ignored, as MXNet ignores it; old example scripts pass it

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise InvalidParameterError(
                f"MNISTIter: batch_size must be at least 1, got {self.batch_size}"
            )
        if isinstance(self.num_parts, int) and self.num_parts < 1:
            raise InvalidParameterError(
                f"MNISTIter: num_parts must be at least 1, got {self.num_parts}"
            )
        if (
            isinstance(self.num_parts, int)
            and isinstance(self.part_index, int)
            and not 0 <= self.part_index < self.num_parts
        ):
            raise InvalidParameterError(
                f"MNISTIter: part_index must be in [0, num_parts) = [0, {self.num_parts}), "
                f"got {self.part_index}"
            )
        if not -(2**31) <= self.seed < 2**31:
            raise InvalidParameterError(
                f"MNISTIter: seed must be a 32-bit signed integer (as in MXNet), got {self.seed}"
            )
        if self.prefetch_buffer < 0:
            raise InvalidParameterError(
                f"MNISTIter: prefetch_buffer must be non-negative, got {self.prefetch_buffer}"
            )
        if self.dtype in ("bfloat16", "int8"):
            why = "numpy has no bfloat16" if self.dtype == "bfloat16" else "int8 cannot hold 255"
            raise InvalidParameterError(
                f"MNISTIter: dtype {self.dtype!r} is not supported ({why}); use one of "
                f"{sorted([*_FLOATS, *_INTEGERS])}"
            )


def part_bounds(count: int, num_parts: int, part_index: int) -> tuple[int, int]:
    """[start, end) of part `part_index` of `count` images, rounded as MXNet rounds (in double)."""
    return int(count / num_parts * part_index), int(count / num_parts * (part_index + 1))


def _part_positions(count: int, parts: Parts, shuffle: bool, seed: int) -> npt.NDArray[np.uint64]:
    """The images of this part, in epoch order (the same every epoch, as in MXNet).

    Integer parts: MXNet's contiguous part, shuffled on its own. Even parts ("auto"):
    this rank's block of the whole file's order (MXNet's permutation of all images when
    shuffling), so the parts are the same size and together are the file.
    """
    if parts.even:
        order = shuffled_order(count, seed) if shuffle else np.arange(count, dtype=np.intp)
        return parts.block(np.asarray(order, np.intp)).astype(np.uint64)
    start, end = part_bounds(count, parts.num_parts, parts.part_index)
    positions = np.arange(start, end, dtype=np.uint64)
    if shuffle:
        positions = positions[shuffled_order(end - start, seed)]
    return positions


class MNISTIter(DataIter):
    """Batches of MNIST images and labels, as MXNet 1.9.1's ``mx.io.MNISTIter``.

    Every parameter may be given typed or as MXNet's string form ("True",
    "128"). Data is (batch, 1, rows, cols), or (batch, rows*cols) with
    ``flat``, float32 pixels / 256; labels are (batch,) float32; ``index``
    holds each image's position in the file; ``pad`` is 0.
    """

    def __init__(self, **kwargs: Any):
        opts = parse_params(MNISTOptions, "MNISTIter", kwargs)
        super().__init__(opts.batch_size)
        self.options = opts
        images = parse_images(_read_file(opts.image, "image"), opts.image)
        labels = parse_labels(_read_file(opts.label, "label"), opts.label)
        if len(images) != len(labels):
            raise MNISTFormatError(
                f"MNISTIter: the image file {opts.image} holds {len(images)} images but the "
                f"label file {opts.label} holds {len(labels)} labels; they must match",
                path=opts.label,
            )
        self._parts = resolve_parts(opts.num_parts, opts.part_index, where="MNISTIter")
        positions = _part_positions(len(images), self._parts, opts.shuffle, opts.seed)
        # One copy in epoch order, so each batch is a contiguous slice.
        rows, cols = images.shape[1:]
        index = positions.astype(np.intp)
        sample_shape = (rows * cols,) if opts.flat else (1, rows, cols)
        self._images = images[index].reshape(len(index), *sample_shape)
        self._labels = labels[index].astype(np.float32)
        self._positions = positions
        self._cursor = 0  # position in epoch order of the next batch's first image
        self._current: tuple[int, int] | None = None
        if opts.dtype in _INTEGERS:
            self._dtype: Any = _INTEGERS[opts.dtype]
            self._scale: float | None = None
        else:
            self._dtype = _FLOATS[opts.dtype or "float32"]
            self._scale = _SCALE
        sample = (opts.batch_size, *self._images.shape[1:])
        self._provide_data = [DataDesc(opts.data_name, sample, self._dtype)]
        self._provide_label = [DataDesc(opts.label_name, (opts.batch_size,), np.float32)]
        if not opts.silent:  # MXNet's message, which prints a flat shape in parentheses
            dims = ",".join(str(s) for s in sample)
            shown = f"({dims})" if opts.flat else f"[{dims}]"
            logger.info(
                "MNISTIter: load %d images, shuffle=%d, shape=%s", len(index), opts.shuffle, shown
            )

    @property
    def provide_data(self) -> list[DataDesc]:
        """One DataDesc: the data name and (batch, 1, rows, cols), or (batch, rows*cols)."""
        return list(self._provide_data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """One DataDesc: the label name and (batch,), float32."""
        return list(self._provide_label)

    @property
    def num_images(self) -> int:
        """Images in this part (what one epoch draws from; the last partial batch is dropped)."""
        return len(self._labels)

    def reset(self) -> None:
        """Start the epoch again, in the same order (the shuffle happened once, at load)."""
        self._cursor = 0
        self._current = None

    def iter_next(self) -> bool:
        """Move to the next full batch; False when fewer than batch_size images remain."""
        lo = self._cursor
        hi = lo + self.batch_size
        if hi > self.num_images:
            self._current = None
            return False
        self._current = (lo, hi)
        self._cursor = hi
        return True

    def _span(self) -> tuple[int, int]:
        if self._current is None:
            raise RuntimeError("MNISTIter: no current batch; call iter_next() or next() first")
        return self._current

    def getdata(self) -> list[NDArray]:
        """The current batch's images, scaled in one vectorised step into a new array."""
        lo, hi = self._span()
        pixels = self._images[lo:hi]
        if self._scale is None:
            return [pixels.astype(self._dtype).view(NDArray)]
        out = np.multiply(pixels, self._dtype(self._scale), dtype=self._dtype)
        return [out.view(NDArray)]

    def getlabel(self) -> list[NDArray]:
        lo, hi = self._span()
        return [self._labels[lo:hi].copy().view(NDArray)]

    def getindex(self) -> npt.NDArray[np.uint64]:
        """Positions of the current batch's images in the file (uint64; MXNet gives zeros)."""
        lo, hi = self._span()
        return self._positions[lo:hi].copy()

    def getpad(self) -> int:
        """Always 0: the last incomplete batch is dropped, never padded."""
        return 0

    # -- beyond MXNet: checkpointing -------------------------------------------

    def _fingerprint(self) -> dict[str, Any]:
        opts = self.options
        return {
            "num_images": self.num_images,
            "batch_size": opts.batch_size,
            "shuffle": opts.shuffle,
            "seed": opts.seed if opts.shuffle else None,
            "num_parts": self._parts.num_parts,
            "part_index": self._parts.part_index,
        }

    def state_dict(self) -> dict[str, Any]:
        """``{"cursor": next image in epoch order, ...}`` plus what the order depends on."""
        return {"cursor": self._cursor, **self._fingerprint()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue where the iterator that saved `state` was (built with the same arguments)."""
        mine = self._fingerprint()
        differ = {k: (state.get(k), v) for k, v in mine.items() if state.get(k) != v}
        if differ:
            detail = ", ".join(f"{k}: saved {s!r}, here {h!r}" for k, (s, h) in differ.items())
            raise ValueError(
                f"MNISTIter.load_state_dict: the state comes from an iterator over other "
                f"data or with other parameters ({detail}); build this one with the same ones"
            )
        cursor = state["cursor"]
        if not isinstance(cursor, int) or not 0 <= cursor <= self.num_images:
            raise ValueError(
                f"MNISTIter.load_state_dict: cursor must be an int in [0, {self.num_images}], "
                f"got {cursor!r}"
            )
        self._cursor = cursor
        self._current = None
