"""VGG: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 {cite}`simonyan2015very`.

The six configurations of the paper's Table 1 are data (`CFGS`): a number is a 3x3 convolution
with that many channels (padding 1, ReLU), ``(c, 1)`` a 1x1 convolution (configuration C),
``"LRN"`` local response normalisation (A-LRN) and ``"M"`` a 2x2 max-pooling of stride 2, which
ends a block. Three dense layers follow (4096, 4096, classes, with dropout 0.5 after the first
two). ``batch_norm=True`` puts a BatchNorm between each convolution and its ReLU, as torchvision
and gluon-cv's ``vgg*_bn`` do (the convolutions keep their biases there, so we keep them too).

``width=4`` divides the convolution channels by 4 (the dense layers stay 4096 wide), as d2l
does to train VGG-11 on Fashion-MNIST; ``head="gap"`` replaces fc6/fc7 by global average
pooling (NiN's idea, for the exercise). ``vgg_block(num_convs, num_channels)`` is d2l's block.
"""
from mxnet.gluon import nn

from ..checks import check_int, check_rate
from ..layers import conv_bn_act
from ..registry import PublishedCount, register_model
from .alexnet import LRN
from .base import Classifier

__all__ = ["CFGS", "VGG_FC", "PUBLISHED", "VGG", "vgg_block", "vgg11", "vgg11_lrn", "vgg13",
           "vgg16_c", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]

#: Table 1 of the paper. Convolutions: c (3x3) or (c, 1) (1x1); "M": 2x2/2 max-pool; "LRN".
CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M",
          512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}
#: The hidden dense layers fc6 and fc7 (fc8 is the output).
VGG_FC = (4096, 4096)


def _block(layers, in_channels=0, batch_norm=False, prefix=None):
    """One VGG block: the convolutions (and LRN) of `layers`, then a 2x2/2 max-pooling.

    Children are named as the paper lists them: conv1, conv2, ... (each a convolution with its
    ReLU, or convolution -> BatchNorm -> ReLU), lrn, pool.
    """
    block = nn.HybridSequential(prefix=prefix)
    channels = in_channels
    with block.name_scope():
        i = 0
        for layer in layers:
            if layer == "LRN":  # A-LRN: after the first convolution
                block.lrn = LRN(prefix="lrn_")
                continue
            i += 1
            out, kernel = layer if isinstance(layer, tuple) else (layer, 3)
            # the BatchNorm variants keep the convolution biases (torchvision, gluon-cv)
            setattr(block, f"conv{i}", conv_bn_act(out, kernel, in_channels=channels,
                                                   batch_norm=batch_norm, use_bias=True,
                                                   prefix=f"conv{i}_"))
            channels = out
        block.pool = nn.MaxPool2D(pool_size=2, strides=2, prefix="pool_")
    return block


def vgg_block(num_convs, num_channels, batch_norm=False, in_channels=0):
    """d2l's VGG block: `num_convs` 3x3 convolutions of `num_channels` (padding 1, ReLU), then
    a 2x2 max-pooling of stride 2, which halves the height and width."""
    check_int(num_convs, "num_convs (convolutions in the block)")
    check_int(num_channels, "num_channels")
    return _block([num_channels] * num_convs, in_channels=in_channels, batch_norm=batch_norm)


def _stages(cfg):
    """Split a Table 1 column at its max-poolings: one list of layers per block."""
    stages, current = [], []
    for layer in cfg:
        if not _valid_layer(layer):
            raise ValueError(f"a VGG configuration holds channel counts c, (c, kernel) pairs, "
                             f"'LRN' and 'M'; got {layer!r} in {cfg}")
        if layer == "M":
            if not [x for x in current if x != "LRN"]:
                raise ValueError(f"every VGG block needs a convolution before its 'M'; got {cfg}")
            stages.append(current)
            current = []
        else:
            current.append(layer)
    if current:
        raise ValueError(f"a VGG configuration must end with 'M'; got {cfg}")
    return stages


def _valid_layer(layer):
    if layer in ("M", "LRN"):
        return True
    out, kernel = layer if isinstance(layer, tuple) and len(layer) == 2 else (layer, 3)
    return all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (out, kernel))


class VGG(Classifier):
    """VGG built from a Table 1 column (see `CFGS`).

    ``features`` holds block1..block5 then, with the default dense head, flatten, fc6, drop6,
    fc7, drop7 (as gluon-cv); with ``head="gap"`` a global average pooling and flatten.
    ``output`` is the last dense layer: replace it to fine-tune.
    """

    def __init__(self, cfg, num_classes=1000, in_channels=3, batch_norm=False, width=1,
                 head="dense", dropout=0.5, fc=VGG_FC, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if head not in ("dense", "gap"):
            raise ValueError(f"head must be 'dense' or 'gap'; got {head!r}")
        check_int(width, "width (the divisor of the channels)")
        check_rate(dropout, "dropout")
        for units in fc:
            check_int(units, "fc (the hidden dense layers' units)")

        def thin(layer):
            if isinstance(layer, tuple):
                return (max(1, layer[0] // width), layer[1])
            return layer if isinstance(layer, str) else max(1, layer // width)

        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            channels = in_channels
            with body.name_scope():
                for i, layers in enumerate(_stages(cfg), start=1):
                    layers = [thin(x) for x in layers]
                    setattr(body, f"block{i}", _block(layers, channels, batch_norm,
                                                      prefix=f"block{i}_"))
                    convs = [x for x in layers if x != "LRN"]
                    channels = convs[-1][0] if isinstance(convs[-1], tuple) else convs[-1]
                units = channels
                if head == "gap":
                    body.gap = nn.GlobalAvgPool2D(prefix="gap_")
                    body.flatten = nn.Flatten(prefix="flatten_")
                else:
                    body.flatten = nn.Flatten(prefix="flatten_")
                    units = 0  # fc6's input depends on the image size: deferred
                    for i, n in enumerate(fc, start=6):
                        setattr(body, f"fc{i}", nn.Dense(n, activation="relu", in_units=units,
                                                         prefix=f"fc{i}_"))
                        setattr(body, f"drop{i}", nn.Dropout(dropout, prefix=f"drop{i}_"))
                        units = n
            self.output = nn.Dense(num_classes, in_units=units, prefix="output_")


_TV = "torchvision.models.{} (the count of its model summary, 1000 classes, 224x224); " \
      "equal to gluoncv.model_zoo.get_model('{}') in d2lcnn's tests"

#: Published trainable parameters at 1000 classes and where they come from.
PUBLISHED = {
    "vgg11": PublishedCount(132_863_336, _TV.format("vgg11", "vgg11")),
    "vgg11_lrn": PublishedCount(132_863_336, "equal to vgg11 (torchvision.models.vgg11: "
                                             "132,863,336): LRN has no parameters"),
    "vgg13": PublishedCount(133_047_848, _TV.format("vgg13", "vgg13")),
    "vgg16_c": PublishedCount(
        133_638_952, "closed form (vgg16's 138,357,544 minus the 3x3-to-1x1 savings 524,288 + "
        "2 x 2,097,152), re-derived layer by layer in d2lcnn's tests; the paper's "
        "Table 2 rounds it to 134M"),
    "vgg16": PublishedCount(138_357_544, _TV.format("vgg16", "vgg16")),
    "vgg19": PublishedCount(143_667_240, _TV.format("vgg19", "vgg19")),
    "vgg11_bn": PublishedCount(132_868_840, _TV.format("vgg11_bn", "vgg11_bn")),
    "vgg13_bn": PublishedCount(133_053_736, _TV.format("vgg13_bn", "vgg13_bn")),
    "vgg16_bn": PublishedCount(138_365_992, _TV.format("vgg16_bn", "vgg16_bn")),
    "vgg19_bn": PublishedCount(143_678_248, _TV.format("vgg19_bn", "vgg19_bn")),
}
# five 2x2/2 max-poolings: 32x32 is the smallest input that leaves 1x1 maps
_register = register_model(input_size=224, min_size=32, published=PUBLISHED, year=2015,
                           paper="simonyan2015very")


def _build(config, num_classes, in_channels, **options):
    return VGG(CFGS[config], num_classes=num_classes, in_channels=in_channels, **options)


@_register
def vgg11(num_classes=1000, in_channels=3, **options):
    """VGG-11 (configuration A). Options: batch_norm, width, head, dropout."""
    return _build("A", num_classes, in_channels, **options)


@_register
def vgg11_lrn(num_classes=1000, in_channels=3, **options):
    """VGG-11 with LRN after its first convolution (configuration A-LRN)."""
    return _build("A-LRN", num_classes, in_channels, **options)


@_register
def vgg13(num_classes=1000, in_channels=3, **options):
    """VGG-13 (configuration B)."""
    return _build("B", num_classes, in_channels, **options)


@_register
def vgg16_c(num_classes=1000, in_channels=3, **options):
    """VGG-16 configuration C: the third convolution of blocks 3-5 is 1x1."""
    return _build("C", num_classes, in_channels, **options)


@_register
def vgg16(num_classes=1000, in_channels=3, **options):
    """VGG-16 (configuration D)."""
    return _build("D", num_classes, in_channels, **options)


@_register
def vgg19(num_classes=1000, in_channels=3, **options):
    """VGG-19 (configuration E)."""
    return _build("E", num_classes, in_channels, **options)


@_register
def vgg11_bn(num_classes=1000, in_channels=3, **options):
    """VGG-11 with BatchNorm after every convolution."""
    return _build("A", num_classes, in_channels, batch_norm=True, **options)


@_register
def vgg13_bn(num_classes=1000, in_channels=3, **options):
    """VGG-13 with BatchNorm after every convolution."""
    return _build("B", num_classes, in_channels, batch_norm=True, **options)


@_register
def vgg16_bn(num_classes=1000, in_channels=3, **options):
    """VGG-16 with BatchNorm after every convolution."""
    return _build("D", num_classes, in_channels, batch_norm=True, **options)


@_register
def vgg19_bn(num_classes=1000, in_channels=3, **options):
    """VGG-19 with BatchNorm after every convolution."""
    return _build("E", num_classes, in_channels, batch_norm=True, **options)
