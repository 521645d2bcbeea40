"""What every Inception network is made of: parallel branches of convolutions and poolings,
concatenated along the channels (`Mixed`), each branch a table of steps.

A step is ``(channels, kernel[, stride[, padding]])`` for a convolution (padding defaults to
"same"; the kernel may be ``(1, 7)``), ``("max"|"avg", kernel, stride, padding)`` for a
pooling, or ``("split", conv, conv)`` for parallel convolutions whose outputs are concatenated
(Inception-v3's 8x8 blocks). Convolutions are `d2lcnn.layers.conv_bn_act` units: with
BatchNorm (``bn=True``; epsilon 0.001 as in the authors' code, scale if ``bn_scale``) and no
bias, or a convolution with bias and ReLU (``bn=False``, GoogLeNet as published).
"""
from mxnet.gluon import HybridBlock, nn

from ...checks import check_int
from ...layers import conv_bn_act

__all__ = ["BN_EPSILON", "Mixed", "conv"]

#: BatchNorm's epsilon in the authors' released Inception code (TF-slim, Keras).
BN_EPSILON = 1e-3


def conv(channels, kernel, strides=1, padding=None, in_channels=0, bn=True, bn_scale=True,
         prefix=None):
    """The family's convolution unit: `conv_bn_act` with the Inception papers' BatchNorm."""
    return conv_bn_act(channels, kernel, strides, padding, in_channels=in_channels,
                       batch_norm=bn, scale=bn_scale, epsilon=BN_EPSILON, prefix=prefix)


def _branch(steps, in_channels, bn, bn_scale, prefix):
    """A sequence of convolutions / poolings / splits; returns (block, output channels)."""
    if not steps:
        raise ValueError("an Inception branch needs at least one step")
    branch = nn.HybridSequential(prefix=prefix)
    channels, n_conv, n_pool = in_channels, 0, 0
    with branch.name_scope():
        for step in steps:
            if not isinstance(step, (tuple, list)) or not step:
                raise ValueError(f"a branch step is (channels, kernel, ...), (pool, kernel, "
                                 f"stride, padding) or ('split', conv, conv); got {step!r}")
            if step[0] in ("max", "avg"):
                kind, kernel, strides, padding = step
                n_pool += 1
                name = "pool" if n_pool == 1 else f"pool{n_pool}"
                pool = (nn.MaxPool2D(kernel, strides, padding, prefix=f"{name}_")
                        if kind == "max" else
                        nn.AvgPool2D(kernel, strides, padding, count_include_pad=False,
                                     prefix=f"{name}_"))
                setattr(branch, name, pool)
            elif step[0] == "split":
                split = Mixed(channels, [[s] for s in step[1:]], bn=bn, bn_scale=bn_scale,
                              prefix="split_")
                branch.split = split
                channels = split.out_channels
            else:
                n_conv += 1
                out, kernel, *rest = step
                setattr(branch, f"conv{n_conv}",
                        conv(out, kernel, *rest, in_channels=channels, bn=bn,
                             bn_scale=bn_scale, prefix=f"conv{n_conv}_"))
                channels = out
    return branch, channels


class Mixed(HybridBlock):
    """Parallel branches (lists of steps, see the module docstring) whose outputs are
    concatenated along the channels: the Inception idea. ``out_channels`` is their sum."""

    def __init__(self, in_channels, branches, bn=True, bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        check_int(in_channels, "in_channels", minimum=0)
        if not branches:
            raise ValueError("an Inception block needs at least one branch")
        self.in_channels, self.out_channels = in_channels, 0
        with self.name_scope():
            for i, steps in enumerate(branches, start=1):
                branch, channels = _branch(steps, in_channels, bn, bn_scale, f"branch{i}_")
                setattr(self, f"branch{i}", branch)
                self.out_channels += channels

    def hybrid_forward(self, F, x):
        return F.np.concatenate([branch(x) for branch in self._children.values()], axis=1)
