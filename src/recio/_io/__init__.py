"""Implementation of recio's data iterators; the public names are in :mod:`recio.io`."""
