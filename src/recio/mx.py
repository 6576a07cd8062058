"""MXNet's names, so that MXNet data-loading code runs with only its import changed::

from recio import mx
record = mx.recordio.MXRecordIO("tmp.rec", "r")
"""

from recio import recordio

__all__ = ["recordio"]
