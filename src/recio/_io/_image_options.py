"""ImageRecordIter's parameters: MXNet 1.9.1's names, defaults and checks in one dataclass.

Defaults are MXNet's (``mx.io.ImageRecordIter.__doc__``), except where noted.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from recio._distributed import PartArg
from recio._image.default_aug import AugSettings, DefaultAugOptions
from recio._params import InvalidParameterError

__all__ = ["ImageRecordOptions", "data_dtype"]

_DTYPES = {
    "float32": np.float32,
    "float16": np.float16,
    "float64": np.float64,
    "uint8": np.uint8,
    "int8": np.int8,
}


def data_dtype(name: str | None, default: str) -> np.dtype[np.generic]:
    """The batch dtype for the ``dtype`` parameter (None: the iterator's own)."""
    chosen = default if name in (None, "None") else name
    if chosen not in _DTYPES:
        raise InvalidParameterError(
            f"dtype {chosen!r} is not supported for image batches; use one of {sorted(_DTYPES)}"
        )
    return np.dtype(_DTYPES[chosen])


@dataclasses.dataclass(slots=True, kw_only=True, frozen=True)
class ImageRecordOptions(AugSettings):
    # what to read
    path_imgrec: str | list[str]
    data_shape: tuple[int, ...]
    batch_size: int
    path_imglist: str = ""
    path_imgidx: str = ""  # accepted; recio finds record offsets itself
    aug_seq: str = "aug_default"
    label_width: int = 1
    data_name: str = "data"
    label_name: str = "softmax_label"
    # how
    preprocess_threads: int = 4
    verbose: bool = True
    # an integer splits the records by bytes as MXNet does; "auto" takes the world size and
    # rank (recio._distributed) and makes even parts of every epoch's shuffled order
    num_parts: PartArg = 1
    part_index: PartArg = 0
    device_id: int = 0
    shuffle_chunk_size: int = 0
    shuffle_chunk_seed: int = 0
    seed_aug: int | None = None
    shuffle: bool = False
    seed: int = 0
    round_batch: bool = True
    prefetch_buffer: int = 4
    ctx: Literal["cpu", "gpu"] = "gpu"
    dtype: str | None = None
    # the default augmenter's parameters: inherited from AugSettings
    # normalisation, fused into the batch write
    mirror: bool = False
    rand_mirror: bool = False
    mean_img: str = ""
    mean_r: float = 0.0
    mean_g: float = 0.0
    mean_b: float = 0.0
    mean_a: float = 0.0
    std_r: float = 1.0
    std_g: float = 1.0
    std_b: float = 1.0
    std_a: float = 1.0
    scale: float = 1.0
    max_random_contrast: float = 0.0
    max_random_illumination: float = 0.0
    # recio's own fast mode: decode JPEGs with libjpeg-turbo's fast upsampling, and at
    # libjpeg's 1/2, 1/4 or 1/8 scale when `resize` shrinks them that much anyway. Faster;
    # pixels differ from MXNet's by about half a level. False: OpenCV, MXNet's pixels.
    fast_decode: bool = True

    def __post_init__(self) -> None:
        if len(self.data_shape) != 3 or self.data_shape[0] not in (1, 3, 4):
            raise InvalidParameterError(
                f"data_shape must be (channels, height, width) with 1, 3 or 4 channels, "
                f"got {self.data_shape}"
            )
        if min(self.data_shape) < 1:
            raise InvalidParameterError(f"data_shape must be positive, got {self.data_shape}")
        if self.batch_size < 1:
            raise InvalidParameterError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.label_width < 1:
            raise InvalidParameterError(f"label_width must be at least 1, got {self.label_width}")
        if not self.path_imgrec:
            raise InvalidParameterError("path_imgrec: a .rec file, list or directory is required")
        if self.aug_seq != "aug_default":
            raise InvalidParameterError(
                f"aug_seq {self.aug_seq!r}: recio's ImageRecordIter has the default augmenter "
                "only ('aug_default')"
            )
        for name in ("std_r", "std_g", "std_b", "std_a"):
            if getattr(self, name) == 0:
                raise InvalidParameterError(f"{name} must not be 0 (the pixels are divided by it)")

    def aug_options(self) -> DefaultAugOptions:
        """The parameters the default augmenter takes, under the same names."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(AugSettings)}
        c, h, w = self.data_shape
        return DefaultAugOptions(data_shape=(c, h, w), **values)
