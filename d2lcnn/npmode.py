"""MXNet's NumPy interface (``npx.set_np()``) is the mode the book and d2l use; `d2lcnn` needs it."""
from mxnet import npx

from .errors import NumpyModeError

HOW_TO = "run `from mxnet import np, npx; npx.set_np()` first, as d2l's code does"


def require_np(what="d2lcnn"):
    """Raise a clear error if MXNet's NumPy mode is off (``npx.set_np()`` was not called)."""
    if not (npx.is_np_array() and npx.is_np_shape()):
        raise NumpyModeError(f"{what} needs MXNet's NumPy interface, which is off: {HOW_TO}.")
