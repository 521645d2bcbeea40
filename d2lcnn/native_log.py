"""Filter the informational lines MXNet's C++ library writes straight to the process's stderr.

Why: MXNet and oneDNN log a few INFO lines on file descriptor 2, past Python's ``sys.stderr``,
and Jupyter shows them in the cell that happened to trigger them ("MXNet start using engine:
NaiveEngine" at the first operator, "MKLDNN Pooling: training with prop_kind is
forward_scoring" for each pooling shape trained). They say nothing about the result. This module
only uses the standard library, so it can run before MXNet is imported.

Users: `runtime` (the engine's start-up line) and `train_ch6` (`loop.EpochLoop._step`: the first
batch of each shape, where oneDNN logs its pooling line; the progress bar writes between those
batches, so it is never held back).
"""
import contextlib
import os
import sys
import tempfile

#: Lines of MXNet's C++ log that are information only (they say nothing about the result).
BENIGN_NATIVE_LINES = ("training with prop_kind is forward_scoring",)


@contextlib.contextmanager
def quiet_native_log(benign=BENIGN_NATIVE_LINES):
    """Hold back the lines MXNet's C++ library writes to stderr (file descriptor 2) meanwhile
    that contain one of `benign`; everything else it wrote is passed on afterwards.

    Native output is collected in a temporary file and replayed without the benign lines, so a
    real error message is never lost (also when the block raises). Python's own
    ``sys.stderr`` is left alone, so Python warnings and errors show as usual."""
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr: nothing to filter
        yield
        return
    sys.__stderr__.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().decode(errors="replace").splitlines(True)
                    if not any(b in line for b in benign)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
