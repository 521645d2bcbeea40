"""`_conv` as book/inception.ipynb prints it (``inspect.getsource(inc._conv)`` in a cell whose
output nbval checks): kept word for word until that chapter is rewritten to show
`d2lcnn.layers.conv_bn_act`, which the family uses (`branches.conv`). Nothing in the package
calls it; delete this module with that rewrite."""
from mxnet.gluon import nn


def _pair(k):
    return tuple(k) if isinstance(k, (tuple, list)) else (k, k)


def _conv(channels, kernel, strides=1, padding=None, in_channels=0, bn=True, bn_scale=True,
          prefix=None):
    """Convolution -> ReLU (bn=False, with bias) or convolution -> BatchNorm -> ReLU (no bias)."""
    kh, kw = _pair(kernel)
    padding = (kh // 2, kw // 2) if padding is None else padding
    if not bn:
        return nn.Conv2D(channels, (kh, kw), strides=strides, padding=padding,
                         activation="relu", in_channels=in_channels, prefix=prefix)
    block = nn.HybridSequential(prefix=prefix)
    with block.name_scope():
        block.conv = nn.Conv2D(channels, (kh, kw), strides=strides, padding=padding,
                               use_bias=False, in_channels=in_channels, prefix="conv_")
        block.bn = nn.BatchNorm(epsilon=1e-3, scale=bn_scale, in_channels=channels,
                                prefix="bn_")
        block.relu = nn.Activation("relu", prefix="relu_")
    return block
