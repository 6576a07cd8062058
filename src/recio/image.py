"""MXNet's ``mx.image``: decoding, pixel operations and the augmenters.

Images are numpy arrays (HWC, RGB, uint8 after decoding) wrapped as
:class:`recio.nd.NDArray`, as MXNet's functions return NDArrays.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__: list[str] = []

# Names load on first use from the module that implements them.
_OPS = "recio._image.ops"
_AUG = "recio._image.augmenters"
_LAZY = {
    **dict.fromkeys(
        [
            "imread",
            "imdecode",
            "imresize",
            "resize_short",
            "fixed_crop",
            "random_crop",
            "center_crop",
            "random_size_crop",
            "color_normalize",
            "scale_down",
            "copyMakeBorder",
            "ImageDecodeError",
        ],
        _OPS,
    ),
    **dict.fromkeys(
        [
            "Augmenter",
            "SequentialAug",
            "RandomOrderAug",
            "ResizeAug",
            "ForceResizeAug",
            "RandomCropAug",
            "RandomSizedCropAug",
            "CenterCropAug",
            "BrightnessJitterAug",
            "ContrastJitterAug",
            "SaturationJitterAug",
            "HueJitterAug",
            "ColorJitterAug",
            "LightingAug",
            "ColorNormalizeAug",
            "RandomGrayAug",
            "HorizontalFlipAug",
            "CastAug",
            "CreateAugmenter",
        ],
        _AUG,
    ),
    "ImageIter": "recio._io.image_iter",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'recio.image' has no attribute {name!r}")
