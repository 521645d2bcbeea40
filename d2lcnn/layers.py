"""Small layer helpers shared by several families (the models keep their own blocks)."""
from mxnet.gluon import nn


def conv_bn(channels, kernel_size, strides=1, padding=None, groups=1, activation="relu",
            in_channels=0, use_bias=False, prefix=None):
    """Convolution -> BatchNorm -> activation (None for a linear output), as a HybridSequential.

    The convolution has no bias: the BatchNorm shift that follows makes it redundant (Ioffe &
    Szegedy 2015), which is also how the papers after 2015 count parameters. ``padding`` defaults
    to "same" for odd kernels (kernel_size // 2). Kernel sizes may be ints or (h, w) pairs.
    """
    ks = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
    if padding is None:
        padding = (ks[0] // 2, ks[1] // 2)
    block = nn.HybridSequential(prefix=prefix) if prefix else nn.HybridSequential()
    block.add(nn.Conv2D(channels, tuple(ks), strides=strides, padding=padding, groups=groups,
                        use_bias=use_bias, in_channels=in_channels))
    block.add(nn.BatchNorm())
    if activation is not None:
        block.add(nn.Activation(activation))
    return block
