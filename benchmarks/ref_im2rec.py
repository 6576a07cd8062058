"""MXNet 1.9.1 side of the im2rec benchmark: times the wheel's own ``mxnet/tools/im2rec.py``.

The tool is run as a subprocess of the reference python, as a user runs it; it is also the
side that writes the .lst every side packs, since MXNet defines the list format.
"""

import os
import sys

import mxnet
from mxnet import recordio

from _im2rec_work import make_handlers
from _worker import serve

TOOL = os.path.join(os.path.dirname(mxnet.__file__), "tools", "im2rec.py")

if __name__ == "__main__":
    serve(make_handlers([sys.executable, TOOL], recordio))
