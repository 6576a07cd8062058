"""MXNet 1.9.1 side of the detection image iterator benchmark: the same loop bound to ``mxnet``."""

import mxnet as mx

from _worker import serve
from recio_det_image_iter import make_handlers

if __name__ == "__main__":
    serve(make_handlers(mx))
