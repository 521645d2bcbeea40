"""Layers every family shares: the convolution -> BatchNorm -> activation unit, the separable
convolution and ReLU6.

`ConvBNAct` is the unit the papers after 2015 draw as one box (timm's ``ConvNormAct``):

* its children are ``conv`` (or ``sepconv`` for a depthwise separable convolution), ``bn`` and,
  unless ``activation=None`` (a linear unit such as MobileNetV2's projection or a residual
  shortcut), ``relu`` (ReLU or ReLU6), with the prefixes ``conv_``, ``bn_``, ``relu_`` /
  ``relu6_``: parameter names read ``<prefix>conv_weight``, ``<prefix>bn_gamma``, ...;
* the convolution has no bias by default: the BatchNorm shift that follows makes it redundant
  (Ioffe & Szegedy 2015), which is also how these papers count parameters (VGG's BatchNorm
  variants keep theirs: ``use_bias=True``);
* ``padding=None`` keeps the size at stride 1 ("same": kernel // 2 on each side, odd kernels).

`conv_bn_act` builds that unit, or with ``batch_norm=False`` the pre-BatchNorm unit of LeNet,
AlexNet, VGG and GoogLeNet: one ``Conv2D`` with a bias and its activation fused.
"""
import mxnet as mx
from mxnet.gluon import HybridBlock, nn

from .checks import check_groups, check_int, check_size
from .errors import InputShapeError

__all__ = ["ConvBNAct", "conv_bn_act", "SeparableConv2D", "ReLU6"]

ACTIVATIONS = ("relu", "relu6", None)


def _same_padding(kernel, hint="give the padding"):
    """kernel // 2 on each side: the size is kept at stride 1, for odd kernels only."""
    if any(k % 2 == 0 for k in kernel):
        raise ValueError(f"'same' padding keeps the size, which needs an odd kernel; got "
                         f"kernel {kernel}: {hint}")
    return tuple(k // 2 for k in kernel)


def _symbolic(x):
    return isinstance(x, mx.symbol.Symbol)


# --------------------------------------------------------------------------------- layers

class ReLU6(HybridBlock):
    """min(max(x, 0), 6): ReLU capped at 6 (MobileNetV2; robust in low-precision arithmetic)."""

    def hybrid_forward(self, F, x):
        return F.np.clip(x, 0, 6)


class SeparableConv2D(HybridBlock):
    """Depthwise separable convolution: ``depthwise`` (kernel x kernel, one filter per input
    channel, stride `strides`, "same" padding) then ``pointwise`` (1x1 to `channels`), without
    bias, activation or BatchNorm between them. Parameters: k*k*in + in*channels."""

    def __init__(self, channels, in_channels, kernel_size=3, strides=1, **kwargs):
        super().__init__(**kwargs)
        check_int(channels, "channels")
        check_int(in_channels, "in_channels")
        kernel = check_size(kernel_size, "kernel_size")
        padding = _same_padding(kernel, hint="use an odd kernel_size")
        check_size(strides, "strides")
        with self.name_scope():
            self.depthwise = nn.Conv2D(in_channels, kernel_size, strides=strides,
                                       padding=padding, groups=in_channels,
                                       use_bias=False, in_channels=in_channels,
                                       prefix="depthwise_")
            self.pointwise = nn.Conv2D(channels, 1, use_bias=False, in_channels=in_channels,
                                       prefix="pointwise_")

    def hybrid_forward(self, F, x):
        return self.pointwise(self.depthwise(x))


class ConvBNAct(nn.HybridSequential):
    """Convolution -> BatchNorm -> activation (see the module docstring for names and defaults).

    channels, kernel_size, strides, padding, groups, in_channels: as ``nn.Conv2D`` (sizes may be
        (h, w) pairs; ``in_channels=0`` is inferred at the first forward pass).
    activation: "relu", "relu6" or None (linear).
    separable: a depthwise separable convolution (`SeparableConv2D`, child ``sepconv``) instead
        of a full one (Xception's exit flow).
    epsilon, scale: BatchNorm's (1e-3 and no scale in the Inception papers' released code).

    An input too small for the kernel is an `InputShapeError` that says so (when the unit runs
    imperatively; hybridized, MXNet reports it).
    """

    def __init__(self, channels, kernel_size, strides=1, padding=None, groups=1, in_channels=0,
                 activation="relu", use_bias=False, separable=False, epsilon=1e-5, scale=True,
                 **kwargs):
        super().__init__(**kwargs)
        check_int(channels, "channels")
        check_int(in_channels, "in_channels", minimum=0)
        self._kernel = check_size(kernel_size, "kernel_size")
        self._padding = (_same_padding(self._kernel) if padding is None
                         else check_size(padding, "padding", minimum=0))
        check_size(strides, "strides")
        check_groups(in_channels, channels, groups)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
        if separable and (groups != 1 or padding is not None):
            raise ValueError("a separable convolution sets its own groups and padding ('same')")
        with self.name_scope():
            if separable:
                self.sepconv = SeparableConv2D(channels, in_channels, kernel_size, strides,
                                               prefix="sepconv_")
            else:
                self.conv = nn.Conv2D(channels, self._kernel, strides=strides,
                                      padding=self._padding, groups=groups, use_bias=use_bias,
                                      in_channels=in_channels, prefix="conv_")
            self.bn = nn.BatchNorm(epsilon=epsilon, scale=scale, in_channels=channels,
                                   prefix="bn_")
            if activation == "relu":
                self.relu = nn.Activation("relu", prefix="relu_")
            elif activation == "relu6":
                self.relu = ReLU6(prefix="relu6_")

    def hybrid_forward(self, F, x, *args):
        if not _symbolic(x):
            _check_fits(self._kernel, self._padding, x.shape)
        return super().hybrid_forward(F, x, *args)


def _check_fits(kernel, padding, shape):
    if len(shape) != 4:
        raise InputShapeError(f"a convolution takes a batch of images shaped (N, C, H, W); got "
                              f"shape {tuple(shape)}")
    h, w = shape[2:]
    if h + 2 * padding[0] < kernel[0] or w + 2 * padding[1] < kernel[1]:
        raise InputShapeError(
            f"a {kernel[0]}x{kernel[1]} convolution with padding {padding} needs inputs of at "
            f"least {max(1, kernel[0] - 2 * padding[0])}x{max(1, kernel[1] - 2 * padding[1])}; "
            f"got {h}x{w}. Use larger images (resize) or a smaller kernel.")


def conv_bn_act(channels, kernel_size, strides=1, padding=None, groups=1, in_channels=0,
                activation="relu", batch_norm=True, use_bias=None, separable=False,
                epsilon=1e-5, scale=True, prefix=None):
    """The convolution unit of every family: a `ConvBNAct`, or with ``batch_norm=False`` one
    ``nn.Conv2D`` with a bias (``use_bias`` defaults to ``not batch_norm``) and `activation`
    fused, named by `prefix` itself (``<prefix>weight``, ``<prefix>bias``)."""
    use_bias = not batch_norm if use_bias is None else use_bias
    if batch_norm:
        return ConvBNAct(channels, kernel_size, strides, padding, groups, in_channels,
                         activation, use_bias, separable, epsilon, scale, prefix=prefix)
    if activation == "relu6" or separable:
        raise ValueError("without BatchNorm the unit is one Conv2D: activation 'relu' or None, "
                         "not separable")
    check_int(channels, "channels")
    check_int(in_channels, "in_channels", minimum=0)
    kernel = check_size(kernel_size, "kernel_size")
    check_groups(in_channels, channels, groups)
    return nn.Conv2D(channels, kernel, strides=strides,
                     padding=_same_padding(kernel) if padding is None else padding,
                     groups=groups, use_bias=use_bias, activation=activation,
                     in_channels=in_channels, prefix=prefix)

