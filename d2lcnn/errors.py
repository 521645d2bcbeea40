"""The package's exceptions: each says what was wrong and what to do about it."""


class D2LCNNError(Exception):
    """Base class of every error `d2lcnn` raises on purpose."""


class NumpyModeError(D2LCNNError, RuntimeError):
    """MXNet's NumPy interface is off, but the code needs it."""


class DataError(D2LCNNError, ValueError):
    """A data file or folder is missing, malformed or does not verify."""


class DownloadError(DataError):
    """A download failed on every mirror."""


class TrainingDivergedError(D2LCNNError, FloatingPointError):
    """The training loss became NaN or infinite."""


class InputShapeError(D2LCNNError, ValueError):
    """An input does not fit the model (channels, size)."""


class UnknownModelError(D2LCNNError, KeyError):
    """A model name that the registry does not hold."""

    def __str__(self):  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""
