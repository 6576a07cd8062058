"""Type stub of the C extension recio._jpegwindow (src/recio/_jpegwindow.c)."""

from typing import Any

def decode_window(
    data: Any,
    out: Any,
    table: Any,
    height: int,
    width: int,
    resize_w: int,
    resize_h: int,
    crop_x: int,
    crop_y: int,
    mirror: bool,
    bgr: bool,
    /,
) -> bool: ...
