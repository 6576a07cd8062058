"""MXNet's ``mx.image``: decoding, pixel operations, the augmenters and ImageIter.

Images are numpy arrays (HWC, RGB, uint8 after decoding) wrapped as
:class:`recio.nd.NDArray`, as MXNet's functions return NDArrays. Random
functions and augmenters take an optional ``rng`` (a numpy Generator); without
it they draw as MXNet does, from Python's ``random`` and numpy's global state.
"""

import sys

from recio._image.augmenters import (
    Augmenter,
    BrightnessJitterAug,
    CastAug,
    CenterCropAug,
    ColorJitterAug,
    ColorNormalizeAug,
    ContrastJitterAug,
    CreateAugmenter,
    ForceResizeAug,
    HorizontalFlipAug,
    HueJitterAug,
    LightingAug,
    RandomCropAug,
    RandomGrayAug,
    RandomOrderAug,
    RandomSizedCropAug,
    ResizeAug,
    SaturationJitterAug,
    SequentialAug,
    augment,
    image_rng,
)
from recio._image.decode import ImageDecodeError
from recio._image.det_augmenters import (
    CreateDetAugmenter,
    CreateMultiRandCropAugmenter,
    DetAugmenter,
    DetAugmenterArgumentError,
    DetBorrowAug,
    DetHorizontalFlipAug,
    DetRandomCropAug,
    DetRandomPadAug,
    DetRandomSelectAug,
    augment_detection,
)
from recio._image.ops import (
    center_crop,
    color_normalize,
    copyMakeBorder,
    fixed_crop,
    imdecode,
    imread,
    imresize,
    random_crop,
    random_size_crop,
    resize_short,
    scale_down,
)
from recio._io.image_det_iter import ImageDetIter, ImageDetLabelError
from recio._io.image_iter import ImageIter

__all__ = [
    "Augmenter",
    "BrightnessJitterAug",
    "CastAug",
    "CenterCropAug",
    "ColorJitterAug",
    "ColorNormalizeAug",
    "ContrastJitterAug",
    "CreateAugmenter",
    "CreateDetAugmenter",
    "CreateMultiRandCropAugmenter",
    "DetAugmenter",
    "DetAugmenterArgumentError",
    "DetBorrowAug",
    "DetHorizontalFlipAug",
    "DetRandomCropAug",
    "DetRandomPadAug",
    "DetRandomSelectAug",
    "ForceResizeAug",
    "HorizontalFlipAug",
    "HueJitterAug",
    "ImageDecodeError",
    "ImageDetIter",
    "ImageDetLabelError",
    "ImageIter",
    "LightingAug",
    "RandomCropAug",
    "RandomGrayAug",
    "RandomOrderAug",
    "RandomSizedCropAug",
    "ResizeAug",
    "SaturationJitterAug",
    "SequentialAug",
    "augment",
    "augment_detection",
    "center_crop",
    "color_normalize",
    "copyMakeBorder",
    "fixed_crop",
    "image_rng",
    "imdecode",
    "imread",
    "imresize",
    "random_crop",
    "random_size_crop",
    "resize_short",
    "scale_down",
]

det = detection = sys.modules[__name__]  # MXNet's mx.image.det / mx.image.detection
