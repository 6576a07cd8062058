"""MXNet's names, so that MXNet data-loading code runs with only its import changed::

from recio import mx

record = mx.recordio.MXRecordIO("tmp.rec", "r")
it = mx.io.NDArrayIter(data, label, batch_size=30)
"""

from recio import image, io, nd, recordio
from recio.nd import Context, cpu

img = image  # MXNet's alias: mx.img.ImageIter

__all__ = ["Context", "cpu", "image", "img", "io", "nd", "recordio"]
