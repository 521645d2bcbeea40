"""Small tools the training loop and the chapters share: d2l's `Timer` and `Accumulator`,
one call that seeds every random generator, and an atomic file write.

`Timer` and `Accumulator` keep d2l's names and methods so that code written for d2l runs with
them unchanged. `Accumulator` also takes MXNet arrays without reading them: it sums them where
they are (on the GPU, say) and converts to Python floats only when a value is read, so a loop can
add per-batch sums without waiting for the device after every batch.
"""
import contextlib
import os
import random
import tempfile
import time

import numpy as onp


class Timer:
    """Record several running times (d2l's ``Timer``); also a context manager:
    ``with timer: ...`` times the block."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start (or restart) the clock."""
        self.tik = time.perf_counter()

    def stop(self):
        """Stop the clock, record the time since `start` and return it."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        """The mean of the recorded times (0 if there is none)."""
        return sum(self.times) / len(self.times) if self.times else 0.0

    def sum(self):
        """The sum of the recorded times."""
        return sum(self.times)

    def cumsum(self):
        """The running total of the recorded times, as a list."""
        return onp.cumsum(self.times).tolist()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _is_mx_array(value):
    # MXNet arrays (legacy NDArray and mx.np.ndarray) without importing MXNet here
    return type(value).__module__.startswith("mxnet.") and hasattr(value, "asnumpy")


def _as_float(value):
    if _is_mx_array(value):
        value = value.asnumpy()
    return float(onp.asarray(value).sum()) if onp.ndim(value) else float(value)


class Accumulator:
    """Sums over `n` variables (d2l's ``Accumulator``).

    ``add`` takes numbers or MXNet arrays; arrays are summed lazily on their device and turned
    into floats only when a value is read (``acc[i]``, ``acc.data``), which is one device
    synchronisation however many batches were added.
    """

    def __init__(self, n):
        self._sums = [0.0] * n

    def add(self, *args):
        if len(args) != len(self._sums):
            raise ValueError(f"Accumulator of {len(self._sums)} sums got {len(args)} values")
        self._sums = [_add(total, value) for total, value in zip(self._sums, args)]

    def reset(self):
        self._sums = [0.0] * len(self._sums)

    @property
    def data(self):
        """The sums as Python floats (reads the device once for each pending array)."""
        self._sums = [_as_float(total) for total in self._sums]
        return list(self._sums)

    def __getitem__(self, idx):
        return self.data[idx]

    def __len__(self):
        return len(self._sums)

    def __repr__(self):
        return f"Accumulator({self.data})"


def _add(total, value):
    if _is_mx_array(value):
        value = value.sum()  # a scalar that stays on its device
        if value.dtype != onp.float64:
            value = value.astype("float64")  # counts and sums stay exact past 2**24
        if _is_mx_array(total):
            if total.ctx != value.ctx:
                value = value.as_in_ctx(total.ctx)  # asynchronous copy
            return total + value
        return value + total
    return total + float(value)


def set_seed(seed):
    """Seed MXNet (every device), numpy and Python's `random` with one call, so that a run can
    be repeated: same initial weights, same dropout masks, same shuffling."""
    seed = int(seed)
    random.seed(seed)
    onp.random.seed(seed % 2**32)
    import mxnet as mx  # here, so that importing this module does not import MXNet
    mx.random.seed(seed)
    return seed


seed_everything = set_seed


@contextlib.contextmanager
def atomic_path(path, suffix=".tmp"):
    """Yield a temporary path beside `path`; when the block succeeds, move it onto `path`
    (``os.replace``, atomic on one file system). If the block fails, `path` keeps its old
    content and the temporary file is removed: a reader never sees a half-written file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the data reaches the disk before the rename
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
