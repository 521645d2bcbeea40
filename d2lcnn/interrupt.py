"""Ctrl-C during training: stop between two batches, keep what is finished.

Why: Python raises KeyboardInterrupt wherever the signal lands, usually deep inside MXNet
(a 20-line traceback through autograd and the optimizer), sometimes half-way through an
optimizer step, and `train_ch6` lost the epochs already done. While training, SIGINT (Ctrl-C in
a terminal, "interrupt the kernel" in Jupyter) only sets a flag; the loop reads it before each
batch and stops there. A second Ctrl-C raises KeyboardInterrupt at once, so a batch that hangs
can still be stopped; the loop handles that one the same way.
"""
import signal
import threading


class StopRequested(KeyboardInterrupt):
    """Raised by the loop itself, between batches, after a Ctrl-C."""


class DeferredInterrupt:
    """A context manager: inside it, the first SIGINT is remembered (`requested`) instead of
    raised; `check` raises `StopRequested` if it came. Outside the main thread, where Python
    cannot install signal handlers, or where SIGINT is ignored, it changes nothing."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def _handler(self, signum, frame):
        if self.requested:  # the second Ctrl-C: stop now, wherever this is
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        self.requested = False
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is not signal.SIG_IGN:
                self._previous = current
                signal.signal(signal.SIGINT, self._handler)
                self._installed = True
        return self

    def __exit__(self, *exc):
        if self._installed:
            previous = self._previous
            # None: a handler installed from C, which Python cannot put back; Python's own
            # default (raise KeyboardInterrupt) is the closest
            signal.signal(signal.SIGINT,
                          previous if previous is not None else signal.default_int_handler)
            self._installed = False
        return False

    def check(self):
        """Raise `StopRequested` if Ctrl-C was pressed (called between batches)."""
        if self.requested:
            raise StopRequested
