"""Time a network's forward and forward+backward passes, the way the convnet benchmarks do.

Like TensorFlow's VGG-16 benchmark (``benchmark_vgg.py``: "Forward" and "Forward-backward",
"sec / batch" after burn-in steps), `bench` times whole batches after warm-up steps, and reports
the median and the spread over the repeats rather than one number.

MXNet runs operators asynchronously: ``net(x)`` returns as soon as the work is queued. So each
timed step starts after ``npx.waitall()`` (nothing left from before) and stops after
``npx.waitall()`` (the outputs, and for backward the gradients, are computed).
"""
import dataclasses
import statistics
import time
import warnings
from typing import Optional, Tuple

import mxnet as mx
import numpy as onp
from mxnet import autograd, np, npx
from mxnet.gluon import Block, HybridBlock

from .device import describe_device, try_gpu
from .errors import InputShapeError
from .npmode import require_np
from .walk import (batch_shape, callable_module, ensure_initialised, named_blocks, param_device,
                   unique_params)

__all__ = ["bench", "BenchResult", "Timing"]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per batch over the timed repeats."""

    times: Tuple[float, ...]

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def min(self):
        return min(self.times)

    @property
    def max(self):
        return max(self.times)

    @property
    def iqr(self):
        """Interquartile range (0 for fewer than two repeats)."""
        q1, q3 = onp.percentile(self.times, [25, 75])
        return float(q3 - q1)

    def __str__(self):
        return (f"{self.median:.4g} sec / batch (median; min {self.min:.4g}, "
                f"max {self.max:.4g}, IQR {self.iqr:.2g})")


@dataclasses.dataclass(frozen=True)
class BenchResult:
    """What `bench` measured."""

    model: str
    input_shape: Tuple[int, ...]      # one image: (C, H, W)
    batch_size: int
    device: str                       # describe_device() of the device used
    hybridized: bool
    warmup: int
    forward: Timing
    forward_backward: Optional[Timing] = None

    @property
    def forward_median(self):
        return self.forward.median

    @property
    def forward_backward_median(self):
        return None if self.forward_backward is None else self.forward_backward.median

    @property
    def samples_per_sec(self):
        """Images per second in inference (forward only), from the median."""
        return self.batch_size / self.forward.median

    @property
    def train_samples_per_sec(self):
        """Images per second of forward+backward, from the median (None if not measured)."""
        t = self.forward_backward_median
        return None if t is None else self.batch_size / t

    @property
    def repeats(self):
        return len(self.forward.times)

    def __str__(self):
        shape = "x".join(map(str, self.input_shape))
        mode = "hybridized (static)" if self.hybridized else "imperative"
        lines = [f"{self.model}: batch {self.batch_size} of {shape} on {self.device}, {mode}, "
                 f"{self.repeats} steps after {self.warmup} warm-up"]
        rows = [("Forward", self.forward, self.samples_per_sec)]
        if self.forward_backward is not None:
            rows.append(("Forward-backward", self.forward_backward, self.train_samples_per_sec))
        for label, timing, rate in rows:
            lines.append(f"{label + ':':<18}{timing}, {rate:,.1f} images/sec")
        return "\n".join(lines)

    __repr__ = __str__


def _check_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


def _time(step, n):
    times = []
    for _ in range(n):
        npx.waitall()
        start = time.perf_counter()
        step()
        npx.waitall()
        times.append(time.perf_counter() - start)
    return times


class _Hybridized:
    """Hybridize a net with static memory for the benchmark, then restore every block's
    previous mode and options (its cached graph is rebuilt on the next call)."""

    def __init__(self, net, active):
        self.net, self.active = net, active
        self.blocks = [b for _, b in named_blocks(net) if isinstance(b, HybridBlock)]

    def __enter__(self):
        self.saved = [(b, b._active, list(b._flags)) for b in self.blocks]
        if self.active:
            with warnings.catch_warnings():  # get_model's input-check hook is harmless here
                warnings.filterwarnings("ignore", message="(?s).*hybridized while still having")
                self.net.hybridize(True, static_alloc=True, static_shape=True)
        return self

    def off(self):
        for b in self.blocks:
            b._active = False

    def __exit__(self, *exc):
        for b, active, flags in self.saved:
            b._active, b._flags = active, flags
            b._clear_cached_op()


def bench(net, input_shape, batch_size=32, *, device=None, repeats=10, warmup=2, backward=True,
          hybridize=True, name=None):
    """Time `net` on a random batch of `batch_size` images shaped `input_shape` (C, H, W).

    Returns a `BenchResult`: forward and forward+backward (``backward=True``) seconds per batch
    over `repeats` timed steps after `warmup` untimed ones. Inference runs in predict mode;
    forward+backward in training mode (Dropout on), with the output's gradient set to ones.
    The net is hybridized with static memory (``hybridize=False``: imperative) and put back as
    it was afterwards, BatchNorm running statistics included; gradients are overwritten.
    `device` defaults to the one the parameters are on, else ``try_gpu()``.
    """
    require_np("bench()")
    if not isinstance(net, Block):
        raise TypeError(f"bench() takes a Gluon Block; got {type(net).__name__}")
    _check_count(batch_size, "batch_size", 1)
    _check_count(repeats, "repeats", 1)
    _check_count(warmup, "warmup", 0)
    shape = batch_shape(input_shape, batch_size)
    if len(input_shape) == 4 and shape[0] != batch_size:
        raise ValueError(f"input_shape {tuple(input_shape)} has a batch axis of {shape[0]}, "
                         f"but batch_size is {batch_size}; give (C, H, W)")
    if device is not None and not isinstance(device, mx.Context):
        raise TypeError(f"device must be an mx.Context such as mx.cpu() or mx.gpu(0); "
                        f"got {device!r}")
    on = param_device(net)
    device = device or on or try_gpu()
    if on is not None and on != device:
        raise ValueError(f"the net's parameters are on {on}, not {device}: move them with "
                         f"net.reset_ctx({device!r}) or pass device={on!r}")
    ensure_initialised(net, device)

    x = np.array(onp.random.RandomState(0).uniform(-1, 1, size=shape).astype("float32"),
                 ctx=device)

    def forward():
        with autograd.pause():  # predict mode, nothing recorded
            net(x)

    def forward_backward():
        with autograd.record():
            y = net(x)
        autograd.backward(list(y) if isinstance(y, (list, tuple)) else y)  # e.g. auxiliary heads

    stats = []
    hybridized = hybridize and isinstance(net, HybridBlock)
    try:
        with _Hybridized(net, hybridized) as state:
            try:
                _time(forward, 1)  # the first call builds the graph and finishes initialisation
            except InputShapeError:
                raise
            except Exception:  # noqa: BLE001  (a block that cannot be hybridized)
                if not hybridized:
                    raise
                state.off()
                hybridized = False
                _time(forward, 1)
            # predict mode leaves BatchNorm's running statistics alone; training mode does not
            stats = [(p, p.data(device).copy()) for p in unique_params(net)
                     if p.grad_req == "null"]
            _time(forward, warmup)
            fwd = _time(forward, repeats)
            fwd_bwd = None
            if backward:
                _time(forward_backward, max(warmup, 1))  # builds the backward graph
                fwd_bwd = _time(forward_backward, repeats)
    finally:
        for p, value in stats:  # training-mode passes moved BatchNorm's running statistics
            p.set_data(value)
        npx.waitall()
    return BenchResult(model=name or type(net).__name__, input_shape=shape[1:],
                       batch_size=batch_size, device=describe_device(device),
                       hybridized=hybridized, warmup=warmup, forward=Timing(tuple(fwd)),
                       forward_backward=None if fwd_bwd is None else Timing(tuple(fwd_bwd)))


callable_module(__name__)  # d2lcnn.bench(...) works when the package attribute is the module
