"""MXNet 1.9.1 side of the detection iterator benchmark: the same loops bound to ``mxnet``."""

import mxnet as mx

from _worker import serve
from recio_det_iter import make_handlers

if __name__ == "__main__":
    serve(make_handlers(mx))
