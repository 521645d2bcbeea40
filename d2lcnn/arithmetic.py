"""Closed-form layer arithmetic: the formulas the chapters derive by hand.

Each helper is checked in ``tests/test_arithmetic.py`` against what MXNet builds (output shapes,
parameter arrays) and against `d2lcnn.summary` rows, so a chapter can show a formula and the
framework's number side by side. Sizes may be ints or ``(h, w)`` pairs; with a pair anywhere,
the result is a pair too. MACs are multiply-accumulates per image (FLOPs = 2 x MACs), counted
as `d2lcnn.summary` does: no bias additions.
"""
from typing import NamedTuple, Tuple, Union

from .checks import check_int as _int, check_size as _pair

__all__ = [
    "ParamCount", "ReceptiveField",
    "conv_output_size", "pool_output_size", "conv2d_params", "conv2d_macs",
    "dense_params", "dense_macs", "batchnorm_params",
    "depthwise_separable_params", "depthwise_separable_macs", "separable_cost_ratio",
    "receptive_field",
]

Size = Union[int, Tuple[int, int]]


class ParamCount(NamedTuple):
    """Parameters with a gradient, and arrays without one (BatchNorm's running statistics)."""

    trainable: int
    nontrainable: int

    @property
    def total(self):
        return self.trainable + self.nontrainable


class ReceptiveField(NamedTuple):
    """`size`: input pixels one output unit sees; `jump`: input pixels between two adjacent
    output units (the product of the strides)."""

    size: Size
    jump: Size


def _paired(*values):
    return any(isinstance(v, (tuple, list)) for v in values)


def _area(k):
    kh, kw = _pair(k, "kernel size", 1)
    return kh * kw


def conv_output_size(n, k, s=1, p=0, d=1):
    """Output side of a convolution: floor((n + 2p - d(k-1) - 1) / s) + 1.

    `n` input side, `k` kernel, `s` stride, `p` padding on each side, `d` dilation.
    """
    out = tuple(_conv_side(*args) for args in zip(
        _pair(n, "input size n", 1), _pair(k, "kernel size k", 1), _pair(s, "stride s", 1),
        _pair(p, "padding p", 0), _pair(d, "dilation d", 1)))
    return out if _paired(n, k, s, p, d) else out[0]


def _conv_side(n, k, s, p, d):
    extent = d * (k - 1) + 1
    if n + 2 * p < extent:
        raise ValueError(f"a kernel of {k}" + (f" with dilation {d} (extent {extent})"
                                               if d > 1 else "")
                         + f" does not fit in an input of {n} with padding {p}")
    return (n + 2 * p - extent) // s + 1


def pool_output_size(n, k, s=None, p=0, ceil_mode=False):
    """Output side of a pooling: floor((n + 2p - k) / s) + 1, or with ``ceil_mode=True`` (MXNet's
    ``pooling_convention='full'``, Caffe's rounding, used by GoogLeNet) ceil instead of floor.

    `s` defaults to `k` (non-overlapping windows), as in Gluon's pooling layers.
    """
    s = k if s is None else s
    out = []
    for n_, k_, s_, p_ in zip(_pair(n, "input size n", 1), _pair(k, "pool size k", 1),
                              _pair(s, "stride s", 1), _pair(p, "padding p", 0)):
        if p_ >= k_:
            raise ValueError(f"padding {p_} must be smaller than the pooling window {k_} "
                             f"(a window of padding only; MXNet refuses it)")
        if n_ + 2 * p_ < k_:
            raise ValueError(f"a pooling window of {k_} does not fit in an input of {n_} "
                             f"with padding {p_}")
        span = n_ + 2 * p_ - k_
        out.append((-(-span // s_) if ceil_mode else span // s_) + 1)
    return tuple(out) if _paired(n, k, s, p) else out[0]


def _groups(c_in, c_out, groups):
    _int(c_in, "c_in", 1), _int(c_out, "c_out", 1), _int(groups, "groups", 1)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide both c_in={c_in} and c_out={c_out}")
    return c_in // groups


def conv2d_params(c_in, c_out, k, groups=1, bias=True):
    """Weights c_out * (c_in / groups) * kh * kw, plus c_out biases. Each output channel sees
    only the c_in / groups input channels of its group (groups = c_in: depthwise)."""
    return c_out * _groups(c_in, c_out, groups) * _area(k) + (c_out if bias else 0)


def conv2d_macs(c_in, c_out, k, h_out, w_out, groups=1):
    """MACs per image: every output element takes (c_in / groups) * kh * kw products."""
    _int(h_out, "h_out", 1), _int(w_out, "w_out", 1)
    return h_out * w_out * c_out * _groups(c_in, c_out, groups) * _area(k)


def dense_params(n_in, n_out, bias=True):
    """Weights n_in * n_out, plus n_out biases."""
    return _int(n_in, "n_in", 1) * _int(n_out, "n_out", 1) + (n_out if bias else 0)


def dense_macs(n_in, n_out):
    """MACs per image: one product per weight."""
    return _int(n_in, "n_in", 1) * _int(n_out, "n_out", 1)


def batchnorm_params(c, center=True, scale=True):
    """BatchNorm over `c` channels: trainable shift (beta) and scale (gamma), c each, and the
    running mean and variance (2c), which are estimated, not trained. MXNet keeps gamma/beta
    even when ``scale``/``center`` is off, without a gradient (so they count as non-trainable).
    """
    _int(c, "c", 1)
    trainable = c * (int(center) + int(scale))
    return ParamCount(trainable, 4 * c - trainable)


def depthwise_separable_params(c_in, c_out, k, bias=False):
    """A depthwise k x k convolution (one filter per input channel, c_in * k * k) followed by a
    pointwise 1x1 convolution (c_in * c_out). No biases by default: MobileNet and Xception put
    BatchNorm after each part, which makes biases redundant."""
    return (conv2d_params(c_in, c_in, k, groups=c_in, bias=bias)
            + conv2d_params(c_in, c_out, 1, bias=bias))


def depthwise_separable_macs(c_in, c_out, k, h_out, w_out):
    """MACs per image: h_out * w_out * c_in * (kh * kw + c_out) (depthwise, then pointwise at
    the same resolution)."""
    return (conv2d_macs(c_in, c_in, k, h_out, w_out, groups=c_in)
            + conv2d_macs(c_in, c_out, 1, h_out, w_out))


def separable_cost_ratio(n_out, k):
    """Cost of a depthwise separable convolution relative to a full one (MobileNet, Sec. 3.1):
    1/N + 1/K^2 for N output channels and a K x K kernel, in MACs and in weights."""
    return 1 / _int(n_out, "n_out", 1) + 1 / _area(k)


def receptive_field(layers):
    """Receptive field of a stack given as [(kernel, stride), ...] (or (kernel, stride,
    dilation)), from the input up. Each layer widens the field by (extent - 1) * jump, where
    jump is the product of the strides below it (extent = dilation * (kernel - 1) + 1).

    >>> receptive_field([(3, 1), (3, 1)])   # two 3x3 convolutions see 5x5 (VGG's argument)
    ReceptiveField(size=5, jump=1)
    """
    size, jump, paired = [1, 1], [1, 1], False
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"layer {i} must be (kernel, stride) or (kernel, stride, "
                             f"dilation); got {layer!r}")
        k, s, d = (*layer, 1) if len(layer) == 2 else layer
        paired = paired or _paired(k, s, d)
        for axis, (k_, s_, d_) in enumerate(zip(_pair(k, "kernel", 1), _pair(s, "stride", 1),
                                               _pair(d, "dilation", 1))):
            size[axis] += d_ * (k_ - 1) * jump[axis]
            jump[axis] *= s_
    if paired:
        return ReceptiveField(tuple(size), tuple(jump))
    return ReceptiveField(size[0], jump[0])
