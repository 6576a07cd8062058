"""ImageDetRecordIter's parameters: MXNet 1.9.1's names, defaults and checks in one dataclass.

Defaults are MXNet's (seed 003, ``mx.io.ImageDetRecordIter.__doc__``): note the
detection defaults differ from ImageRecordIter's (``label_width=-1``,
``fill_value=127``, std 0 meaning "do not divide"). The per-crop-sampler
parameters take one number, a sequence, or MXNet's string form ``"(0.1, 0.3)"``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from recio._distributed import PartArg
from recio._image.det_default_aug import DetAugOptions
from recio._params import InvalidParameterError

__all__ = ["ImageDetRecordOptions", "float_tuple"]

_FLOAT_TUPLES = ("min_crop_scales", "max_crop_scales", "min_crop_aspect_ratios",
                 "max_crop_aspect_ratios", "min_crop_overlaps", "max_crop_overlaps",
                 "min_crop_sample_coverages", "max_crop_sample_coverages",
                 "min_crop_object_coverages", "max_crop_object_coverages")  # fmt: skip


def float_tuple(value: Any, name: str) -> tuple[float, ...]:
    """A tuple of floats from a number, a sequence, or MXNet's string ``"(0.1, 0.3)"``."""
    try:
        if isinstance(value, str):
            parts = [p for p in value.strip().strip("()[]").replace(" ", "").split(",") if p]
            values = tuple(float(p) for p in parts)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values = (float(value),)
        elif isinstance(value, Sequence | np.ndarray):
            values = tuple(float(v) for v in value)
        else:
            raise TypeError
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name}: expected a number or numbers such as (0.1, 0.3), got {value!r}"
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise InvalidParameterError(f"{name}: expected finite numbers, got {value!r}")
    return values


@dataclasses.dataclass(slots=True, kw_only=True)
class ImageDetRecordOptions:
    # what to read
    path_imgrec: str | list[str]
    data_shape: tuple[int, ...]
    batch_size: int
    path_imglist: str = ""
    path_imgidx: str = ""  # accepted; recio finds record offsets itself
    aug_seq: str = "det_aug_default"
    label_width: int = -1
    label_pad_width: int = 0
    label_pad_value: float = -1.0
    data_name: str = "data"
    label_name: str = "softmax_label"
    # how
    preprocess_threads: int = 4
    verbose: bool = True
    num_parts: PartArg = 1  # "auto": even parts of every epoch's order (recio._distributed)
    part_index: PartArg = 0
    shuffle_chunk_size: int = 0  # accepted; recio's shuffle is a global permutation
    shuffle_chunk_seed: int = 0
    shuffle: bool = False
    seed: int = 0
    round_batch: bool = True
    prefetch_buffer: int = 4
    ctx: Literal["cpu", "gpu"] = "gpu"
    device_id: int = 0
    dtype: str | None = None
    # the detection augmenter (recio._image.det_default_aug); Any: parsed in __post_init__
    resize: int = -1
    rand_crop_prob: float = 0.0
    min_crop_scales: Any = (0.0,)
    max_crop_scales: Any = (1.0,)
    min_crop_aspect_ratios: Any = (1.0,)
    max_crop_aspect_ratios: Any = (1.0,)
    min_crop_overlaps: Any = (0.0,)
    max_crop_overlaps: Any = (1.0,)
    min_crop_sample_coverages: Any = (0.0,)
    max_crop_sample_coverages: Any = (1.0,)
    min_crop_object_coverages: Any = (0.0,)
    max_crop_object_coverages: Any = (1.0,)
    num_crop_sampler: int = 1
    crop_emit_mode: Literal["center", "overlap"] = "center"
    emit_overlap_thresh: float = 0.3
    max_crop_trials: tuple[int, ...] = (25,)
    rand_pad_prob: float = 0.0
    max_pad_scale: float = 1.0
    max_random_hue: int = 0
    random_hue_prob: float = 0.0
    max_random_saturation: int = 0
    random_saturation_prob: float = 0.0
    max_random_illumination: int = 0
    random_illumination_prob: float = 0.0
    max_random_contrast: float = 0.0
    random_contrast_prob: float = 0.0
    rand_mirror_prob: float = 0.0
    fill_value: int = 127
    inter_method: int = 1
    resize_mode: Literal["fit", "force", "shrink"] = "force"
    # normalisation (MXNet's ImageDetNormalizeIter): the means are subtracted only when
    # one of them is > 0, each std divides only when > 0
    mean_img: str = ""
    mean_r: float = 0.0
    mean_g: float = 0.0
    mean_b: float = 0.0
    mean_a: float = 0.0
    std_r: float = 0.0
    std_g: float = 0.0
    std_b: float = 0.0
    std_a: float = 0.0
    scale: float = 1.0
    # recio's own fast mode, as ImageRecordIter's: libjpeg-turbo's fast upsampling, decoding
    # at 1/2, 1/4 or 1/8 scale when the output shrinks the image that much anyway, and
    # padded outputs made without the padded canvas. False: MXNet's pixels.
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
        if self.label_width == 0 or self.label_width < -1:
            raise InvalidParameterError(
                f"label_width must be -1 (variable) or positive, got {self.label_width}"
            )
        if self.label_pad_width < -1:
            raise InvalidParameterError(
                f"label_pad_width must be -1 or 0 (estimate from the data) or positive, got "
                f"{self.label_pad_width}"
            )
        if not self.path_imgrec:
            raise InvalidParameterError("path_imgrec: a .rec file, list or directory is required")
        if self.aug_seq != "det_aug_default":
            raise InvalidParameterError(
                f"aug_seq {self.aug_seq!r}: recio's ImageDetRecordIter has the default detection "
                "augmenter only ('det_aug_default')"
            )
        for name in _FLOAT_TUPLES:
            setattr(self, name, float_tuple(getattr(self, name), name))
        for name in ("mean_r", "mean_g", "mean_b", "mean_a", "std_r", "std_g", "std_b",
                     "std_a", "scale", "label_pad_value"):  # fmt: skip
            if not math.isfinite(getattr(self, name)):
                raise InvalidParameterError(f"{name} must be finite, got {getattr(self, name)}")

    def aug_options(self) -> DetAugOptions:
        """The parameters the detection augmenter takes, under the same names."""
        names = {f.name for f in dataclasses.fields(DetAugOptions) if f.init}
        values = {n: getattr(self, n) for n in names if n != "data_shape"}
        c, h, w = self.data_shape
        try:
            return DetAugOptions(data_shape=(c, h, w), **values)
        except ValueError as e:
            raise InvalidParameterError(f"ImageDetRecordIter: {e}") from e

    def mean_std(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(mean, std) per channel as MXNet applies them: mean 0 unless one is > 0, std 1
        where it is <= 0."""
        mean = np.array([self.mean_r, self.mean_g, self.mean_b, self.mean_a], np.float32)
        if not (mean > 0).any():
            mean[:] = 0
        std = np.array([self.std_r, self.std_g, self.std_b, self.std_a], np.float32)
        std[std <= 0] = 1
        return mean, std
