"""When training has diverged, and what to do about it: the host copy of the last good
parameters, the two tests the loop applies, and the error with advice scaled to the evidence.

The two tests, each over a window of batches (`train_ch6`'s ``check_every``, and the rest of an
epoch at its end):

* the loss is NaN or infinite (always on: nothing can be learned from there);
* the window's mean loss is at least ``max_loss_ratio`` times the first batch's loss (taken
  before any update, so it is the untrained network's: about ln 10 = 2.3 for ten classes) while
  the window's training accuracy is at chance (at most ``CHANCE_FACTOR`` / classes). A
  learning rate far too large for a saturating network (d2l's sigmoid LeNet at lr 100 or 1e8)
  gives exactly that and never a NaN: the weights grow by about lr x gradient, the logits with
  them, and the loss of confidently wrong answers grows with the logits.

Thresholds, from `benchmarks/divergence_windows.py` (first 100 batches, windows of 25, seed 0,
full Fashion-MNIST; the table is in `benchmarks/README.md`): the book's CPU recipes stay at or
below 1.01 times their first loss in every window (a network that has not started to learn sits
at its first loss, not above it), while d2l's sigmoid LeNet at lr 100 is at 241x from the first
window and stays there with chance accuracy (lr 1e3: 5,970x; 1e8: 7e8x). So the default of 10
leaves an order of magnitude of room on either side, and requiring chance accuracy as well
keeps a network that is learning through a rough start from being stopped. The price: a rate
too large to learn but not large enough to blow up (that LeNet at lr 3 to 30: 1.1x to 7x, then
stuck at chance) is not caught; it looks like a slow start, which must not be stopped.

Advice: once blown up, the loss grows about in proportion to the learning rate (241, 5,970,
67,600 times the first loss at lr 100, 1e3, 1e4), so lr divided by the ratio, rounded down to a
power of ten, estimates a rate of the right order (0.1 for all of them; d2l trains this network
at 0.9). It is an estimate and the error says so.
"""
import math

import numpy as onp
from mxnet import np

from .errors import TrainingDivergedError

#: default ``max_loss_ratio`` of `train_ch6` (see the module's docstring for why 10)
MAX_LOSS_RATIO = 10.0
#: a training accuracy at most this many times 1 / classes counts as chance
CHANCE_FACTOR = 1.5


class ParameterSnapshot:
    """The parameters of the last good epoch, in host memory (cheap for the book's nets).

    `take` copies the current parameters as *pending*; `commit` makes the pending copy the one
    `restore` goes back to. The loop commits once an epoch is recorded, so an epoch cut short
    (Ctrl-C during its evaluation) is never the one restored."""

    def __init__(self, net):
        self.params = net.collect_params()
        self.saved = self.pending = None

    def take(self):
        """Copy the parameters; False (and nothing kept) if one is NaN or infinite."""
        arrays = {name: p.data(p.list_ctx()[0]).asnumpy() for name, p in self.params.items()}
        if not all(onp.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f"):
            return False
        self.pending = arrays
        return True

    def commit(self):
        if self.pending is not None:
            self.saved, self.pending = self.pending, None

    def restore(self):
        """Put the committed copy back into the network; False if there is none."""
        if self.saved is None:
            return False
        for name, p in self.params.items():
            p.set_data(np.array(self.saved[name], dtype=self.saved[name].dtype))
        return True


def _scaled(loss_ratio):
    """Whether the loss rose by a factor to scale the advice by (else: lr / 10)."""
    return loss_ratio is not None and math.isfinite(loss_ratio) and loss_ratio > 10


def suggested_lr(lr, loss_ratio=None):
    """A learning rate to try after a divergence at `lr`: lr / `loss_ratio` rounded down to a
    power of ten when the loss rose by that factor, and never more than lr / 10."""
    if not _scaled(loss_ratio):
        return lr / 10
    return min(lr / 10, 10.0 ** math.floor(math.log10(lr / loss_ratio)))


def _advice(lr, loss_ratio):
    new = suggested_lr(lr, loss_ratio)
    if not _scaled(loss_ratio):
        return (f"The learning rate lr={lr:g} is probably too large: try one at least 10 times "
                f"smaller, lr={new:g}, and divide by 10 again if it diverges again.")
    return (f"The learning rate lr={lr:g} is far too large: try lr={new:g}. That is an "
            f"estimate (lr / {loss_ratio:,.3g}, the factor by which the loss rose, rounded "
            f"down to a power of ten: a blown-up loss grows about in proportion to the rate); "
            f"adjust from there by factors of 3.")


def diverged_error(epoch, first, last, lr, restored, what, loss_ratio=None, switch=None):
    """The `TrainingDivergedError` for batches `first`..`last` of `epoch`."""
    where = f"in batches {first}-{last}" if first != last else f"in batch {last}"
    if not restored:
        back = "the parameters were left as they are (restore_on_divergence=False)"
    elif epoch > 1:
        back = f"the parameters of epoch {epoch - 1} were restored"
    else:
        back = "the initial parameters were restored"
    text = f"training diverged in epoch {epoch} {where}: {what}; {back}. {_advice(lr, loss_ratio)}"
    if switch:
        text += f" {switch}"
    err = TrainingDivergedError(text)
    err.epoch, err.batches, err.lr = epoch, (first, last), lr
    err.loss_ratio, err.suggested_lr = loss_ratio, suggested_lr(lr, loss_ratio)
    return err


class DivergenceCheck:
    """The tests of the module's docstring over one window of batches at a time.

    The loop calls `window` with its running sums (Python floats); `first_loss` is set from
    the first batch of the run. A test that fails returns the error to raise (after the
    parameters were restored), else None."""

    def __init__(self, lr, snapshot, max_loss_ratio=MAX_LOSS_RATIO):
        if max_loss_ratio is not None and not max_loss_ratio > 1:
            raise ValueError(f"max_loss_ratio must be more than 1 (the loss that many times its "
                             f"first value, at chance accuracy, stops training), or None to "
                             f"turn that test off; got {max_loss_ratio!r}")
        self.lr, self.snapshot, self.max_loss_ratio = lr, snapshot, max_loss_ratio
        self.first_loss = None
        self.worst_ratio = None
        self._start(0.0, 0.0, 0)

    def _start(self, loss_sum, correct, examples):
        self._loss, self._correct, self._examples = loss_sum, correct, examples

    def new_epoch(self):
        self._start(0.0, 0.0, 0)

    def _fail(self, epoch, first, last, what, loss_ratio=None, switch=None):
        restored = self.snapshot is not None and self.snapshot.restore()
        return diverged_error(epoch, first, last, self.lr, restored, what, loss_ratio, switch)

    def nan(self, epoch, first, last, what="the training loss became NaN or inf"):
        """The error for a non-finite loss or parameter."""
        return self._fail(epoch, first, last, what, self.worst_ratio)

    def window(self, epoch, first, last, loss_sum, correct, examples, classes):
        """Test batches `first`..`last` from the epoch's running sums; the error or None."""
        if not math.isfinite(loss_sum):
            return self.nan(epoch, first, last)
        n = examples - self._examples
        loss = (loss_sum - self._loss) / n if n else 0.0
        acc = (correct - self._correct) / n if n else 0.0
        self._start(loss_sum, correct, examples)
        if not n or not self.first_loss or not classes or classes < 2:
            return None  # no examples, no reference, or not a classifier: no chance level
        ratio = loss / self.first_loss
        if self.worst_ratio is None or ratio > self.worst_ratio:
            self.worst_ratio = ratio
        if (self.max_loss_ratio is None or ratio < self.max_loss_ratio
                or acc > CHANCE_FACTOR / classes):
            return None
        what = (f"the mean training loss, {loss:.4g}, is {ratio:,.3g} times the first batch's "
                f"({self.first_loss:.3g}) while the training accuracy, {acc:.3f}, is at chance "
                f"({classes} classes)")
        return self._fail(epoch, first, last, what, ratio,
                          switch="(This test can be turned off with max_loss_ratio=None; a NaN "
                                 "loss always stops training.)")
