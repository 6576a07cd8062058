"""recio side of the im2rec benchmark: times ``python -m recio im2rec`` (see _im2rec_work)."""

import sys

from _im2rec_work import make_handlers
from _worker import serve
from recio import recordio

if __name__ == "__main__":
    serve(make_handlers([sys.executable, "-m", "recio", "im2rec", "--quiet"], recordio))
