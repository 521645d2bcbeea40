"""One epoch of training, batch by batch: forward, backward, update, running sums, checks.

Speed: the loss and accuracy sums stay on the device and are read only every ``check_every``
batches and at the end of the epoch (d2l converts them to Python floats after every batch,
which makes the Python thread wait for the device each time); at most `MAX_IN_FLIGHT` batches
are queued ahead of the device, so memory stays flat.

Timing, as d2l's ``train_ch6`` times it: from receiving a batch to asking for the next one,
summed over the epoch (``batch_seconds``), so the time spent waiting for the data iterator is
left out, and evaluation is outside the epoch. d2l reads the loss after every batch, so each
of its intervals ends when the device has finished the batch. Here, on the CPU, the loop waits
for the batch's work before asking for the next one, which costs nothing there (see
`EpochLoop`), so the two timers measure the same thing. On a GPU it does not wait (that would
leave the GPU idle while the next batch loads): the device's work is still counted whenever
the loop waits for it (the bounded queue, the checks, the epoch's last read), and only GPU
work that overlaps the loading of the next batch is not, which is the point of overlapping it.
"""
import time
import warnings
from collections import deque

import mxnet as mx
import numpy as onp
from mxnet import autograd

from .batches import split
from .evaluation import correct_count
from .native_log import quiet_native_log
from .prepare import unhybridize

#: batches queued ahead of the device before the loop waits for the oldest one
MAX_IN_FLIGHT = 4


def read_sum(sums):
    """Add the per-device sums as a Python float (one synchronisation per device)."""
    return sum(float(s) for s in sums if s is not None)


class EpochResult:
    """What `EpochLoop.train_epoch` measured."""

    def __init__(self, loss, accuracy, examples, batches, batch_seconds):
        self.loss, self.accuracy, self.examples = loss, accuracy, examples
        self.batches, self.batch_seconds = batches, batch_seconds


class EpochLoop:
    """The network, loss, optimizer and devices of one run, and its per-epoch loop.

    On the CPU the loop waits for each batch's work to finish before asking for the next
    batch. Under the serial engine that costs nothing (every operator has finished when its
    call returns). Under MXNet's threaded engine (one thread: Colab's CPU runtime, or
    ``D2LCNN_THREADS=1``) it is the wait the loader would make anyway: d2lcnn's loader copies
    each batch into MXNet, and that copy queues behind the training work on the one CPU worker,
    so without the wait the training time would be counted as loading (d2l's timer read 5,829
    examples/s where the work alone ran at 2,690). On a GPU the loop does not wait (at most
    `MAX_IN_FLIGHT` batches are queued), which keeps the GPU busy while the next batch loads.

    `check` is a `divergence.DivergenceCheck` (required: a NaN loss always stops), `snapshot` a `divergence.ParameterSnapshot` (or
    None), `between_batches` a function called before each batch (the Ctrl-C check)."""

    def __init__(self, net, loss, trainer, devices, *, amp=None, hybridized=True,
                 check_every=50, check, snapshot=None, bar=None, between_batches=None):
        self.net, self.loss, self.trainer, self.devices = net, loss, trainer, devices
        self.amp, self.hybridized, self.check_every = amp, hybridized, check_every
        self.check, self.snapshot, self.bar = check, snapshot, bar
        self.between_batches = between_batches
        self.batch_size = None
        self.classes = None
        self._first_loss = None  # (per-device loss sums of the first batch, its examples)
        self._stepped = False
        self._shapes = set()  # batch shapes trained so far
        self.sync_before_loading = all(d.device_type == "cpu" for d in devices)

    def _forward_backward(self, Xs, ys):
        with autograd.record():
            outs = [self.net(X) for X in Xs]
            losses = [self.loss(o, y) for o, y in zip(outs, ys)]
        if self.amp is not None:
            with self.amp.scale_loss(losses, self.trainer) as scaled:
                autograd.backward(scaled)
        else:
            autograd.backward(losses)
        return outs, losses

    def _first_forward_backward(self, Xs, ys):
        """The first batch builds the hybridized graph; a network that cannot be hybridized
        (Python control flow on values, asnumpy() inside...) trains imperatively instead."""
        try:
            return self._forward_backward(Xs, ys)
        except Exception as err:  # noqa: BLE001 - any failure of graph construction
            if not self.hybridized:
                raise
            unhybridize(self.net)
            unhybridize(self.loss)
            self.hybridized = False
            result = self._forward_backward(Xs, ys)  # a genuine error raises here, imperatively
            warnings.warn(f"the network could not be hybridized ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''}); it trains "
                          f"imperatively, which is slower", RuntimeWarning, stacklevel=8)
            return result

    def _first_step(self, X, Xs, ys):
        outs, losses = self._first_forward_backward(Xs, ys)
        self._stepped = True
        if self.amp is not None and all(o.dtype == onp.float32 for o in outs):
            warnings.warn(
                "amp=True changed nothing: the network's output is still float32. MXNet "
                "1.9.1's AMP casts the operators of mx.nd/mx.sym, and layers in NumPy mode "
                "(npx.set_np()) may call others; training continues in float32",
                RuntimeWarning, stacklevel=7)
        if self.snapshot is not None:  # the initial parameters: shapes are known by now
            self.snapshot.take()
            self.snapshot.commit()
        out = outs[0]
        self.classes = int(out.shape[1]) if out.ndim == 2 else None
        # the untrained network's loss, before the update below: the divergence reference
        self._first_loss = ([l.sum() for l in losses], int(X.shape[0]))
        return outs, losses

    def _step(self, X, y):
        """One batch: forward, backward, update. The first batch of each shape runs with
        MXNet's native log filtered (`native_log`): oneDNN writes "training with prop_kind is
        forward_scoring" once per new average-pooling shape (Inception-v3/v4 on the CPU),
        straight to file descriptor 2, where a notebook would show it. Only those steps are
        filtered (two per run: the batch size and the last, smaller batch), and between them
        the progress bar writes as usual."""
        shape = tuple(X.shape)
        if shape in self._shapes:
            return self._forward_backward_update(X, y)
        self._shapes.add(shape)
        with quiet_native_log():
            result = self._forward_backward_update(X, y)
            mx.nd.waitall()  # an asynchronous engine logs when it runs the operator
        return result

    def _forward_backward_update(self, X, y):
        Xs, ys = split(X, y, self.devices)
        if self._stepped:
            outs, losses = self._forward_backward(Xs, ys)
        else:
            outs, losses = self._first_step(X, Xs, ys)
        stale = len(Xs) < len(self.devices)
        if stale:  # devices without a share of this (tiny) batch contribute zero gradients
            for p in self.net.collect_params().values():
                if p.grad_req != "null":
                    for g in p.list_grad()[len(Xs):]:
                        g[:] = 0
        self.trainer.step(int(X.shape[0]), ignore_stale_grad=stale)
        return outs, ys, losses

    def _test_window(self, epoch, first, last, loss_sum, correct, examples):
        """Read the sums, apply the divergence tests to batches `first`..`last` and return
        the sums as floats."""
        if self.check.first_loss is None and self._first_loss is not None:
            sums, n = self._first_loss
            self.check.first_loss = read_sum(sums) / n
        totals = read_sum(loss_sum), read_sum(correct)
        error = self.check.window(epoch, first, last, *totals, examples, self.classes)
        if error is not None:
            raise error
        return totals

    def train_epoch(self, batches, epoch):
        """One pass over `batches`: an `EpochResult`. The sums are read every `check_every`
        batches (0: only at the end) to catch a divergence early, and at the end."""
        n_dev = len(self.devices)
        loss_sum, correct = [None] * n_dev, [None] * n_dev
        examples, i, window = 0, 0, 1
        in_flight = deque()
        self.check.new_epoch()
        loading = 0.0
        start = time.perf_counter()
        it = iter(batches)
        while True:
            if self.between_batches is not None:
                self.between_batches()
            if self.sync_before_loading and i:
                mx.nd.waitall()  # see the class docstring: the batch's work is the batch's time
            asked = time.perf_counter()
            try:
                X, y = next(it)
            except StopIteration:
                loading += time.perf_counter() - asked
                break
            loading += time.perf_counter() - asked
            i += 1
            if self.batch_size is None:
                self.batch_size = int(X.shape[0])
            outs, ys, losses = self._step(X, y)
            for d, (o, yd, l) in enumerate(zip(outs, ys, losses)):
                s, c = l.sum(), correct_count(o, yd)
                loss_sum[d] = s if loss_sum[d] is None else loss_sum[d] + s
                correct[d] = c if correct[d] is None else correct[d] + c
            examples += int(X.shape[0])
            in_flight.append(losses[-1])
            if len(in_flight) > MAX_IN_FLIGHT:  # bound the queue: the oldest is usually done
                in_flight.popleft().wait_to_read()
            if self.check_every and i % self.check_every == 0:
                totals = self._test_window(epoch, window, i, loss_sum, correct, examples)
                window = i + 1
            if self.bar is not None:
                self.bar.update(1)
        if not examples:
            raise ValueError("the training iterator yielded no batch")
        if window <= i:  # the batches since the last check (else that check read the totals)
            totals = self._test_window(epoch, window, i, loss_sum, correct, examples)
        total_loss, total_correct = totals
        batch_seconds = time.perf_counter() - start - loading
        return EpochResult(total_loss / examples, total_correct / examples, examples, i,
                           batch_seconds)
