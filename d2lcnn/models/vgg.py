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
from mxnet.gluon import HybridBlock, nn

from ..registry import register_model
from .alexnet import LRN

__all__ = ["CFGS", "VGG_FC", "VGG", "vgg_block", "vgg11", "vgg11_lrn", "vgg13", "vgg16_c",
           "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"]

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
            if batch_norm:
                conv = nn.HybridSequential(prefix=f"conv{i}_")
                with conv.name_scope():
                    conv.conv = nn.Conv2D(out, kernel, padding=kernel // 2,
                                          in_channels=channels, prefix="conv_")
                    conv.bn = nn.BatchNorm(in_channels=out, prefix="bn_")
                    conv.relu = nn.Activation("relu", prefix="relu_")
            else:
                conv = nn.Conv2D(out, kernel, padding=kernel // 2, in_channels=channels,
                                 activation="relu", prefix=f"conv{i}_")
            setattr(block, f"conv{i}", conv)
            channels = out
        block.pool = nn.MaxPool2D(pool_size=2, strides=2, prefix="pool_")
    return block


def vgg_block(num_convs, num_channels, batch_norm=False, in_channels=0):
    """d2l's VGG block: `num_convs` 3x3 convolutions of `num_channels` (padding 1, ReLU), then
    a 2x2 max-pooling of stride 2, which halves the height and width."""
    return _block([num_channels] * num_convs, in_channels=in_channels, batch_norm=batch_norm)


def _stages(cfg):
    """Split a Table 1 column at its max-poolings: one list of layers per block."""
    stages, current = [], []
    for layer in cfg:
        if layer == "M":
            stages.append(current)
            current = []
        else:
            current.append(layer)
    if current:
        raise ValueError(f"a VGG configuration must end with 'M'; got {cfg}")
    return stages


class VGG(HybridBlock):
    """VGG built from a Table 1 column (see `CFGS`).

    ``features`` holds block1..block5 then, with the default dense head, flatten, fc6, drop6,
    fc7, drop7 (as gluon-cv); with ``head="gap"`` a global average pooling and flatten.
    ``output`` is the last dense layer: replace it to fine-tune.
    """

    def __init__(self, cfg, num_classes=1000, in_channels=3, batch_norm=False, width=1,
                 head="dense", dropout=0.5, fc=VGG_FC, **kwargs):
        super().__init__(**kwargs)
        if head not in ("dense", "gap"):
            raise ValueError(f"head must be 'dense' or 'gap'; got {head!r}")
        if width < 1:
            raise ValueError(f"width divides the channels and must be >= 1; got {width}")

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

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _build(config, num_classes=1000, in_channels=3, **options):
    return VGG(CFGS[config], num_classes=num_classes, in_channels=in_channels, **options)


_TV = "torchvision.models.{} (the count of its model summary, 1000 classes, 224x224); " \
      "equal to gluoncv.model_zoo.get_model('{}') in tests/test_models_vgg.py"
# five 2x2/2 max-poolings: 32x32 is the smallest input that leaves 1x1 maps
_COMMON = dict(family="vgg", input_size=224, min_size=32, year=2015,
               paper="simonyan2015very")


@register_model("vgg11", expected_params=132_863_336, source=_TV.format("vgg11", "vgg11"),
                **_COMMON)
def vgg11(num_classes=1000, in_channels=3, **options):
    """VGG-11 (configuration A). Options: batch_norm, width, head, dropout."""
    return _build("A", num_classes, in_channels, **options)


@register_model("vgg11_lrn", expected_params=132_863_336,
                source="equal to vgg11 (torchvision.models.vgg11: 132,863,336): LRN has no "
                       "parameters",
                **_COMMON)
def vgg11_lrn(num_classes=1000, in_channels=3, **options):
    """VGG-11 with LRN after its first convolution (configuration A-LRN)."""
    return _build("A-LRN", num_classes, in_channels, **options)


@register_model("vgg13", expected_params=133_047_848, source=_TV.format("vgg13", "vgg13"),
                **_COMMON)
def vgg13(num_classes=1000, in_channels=3, **options):
    """VGG-13 (configuration B)."""
    return _build("B", num_classes, in_channels, **options)


@register_model("vgg16_c", expected_params=133_638_952,
                source="closed form (vgg16's 138,357,544 minus the 3x3-to-1x1 savings "
                       "524,288 + 2 x 2,097,152), re-derived layer by layer in "
                       "tests/test_models_vgg.py; the paper's Table 2 rounds it to 134M",
                **_COMMON)
def vgg16_c(num_classes=1000, in_channels=3, **options):
    """VGG-16 configuration C: the third convolution of blocks 3-5 is 1x1."""
    return _build("C", num_classes, in_channels, **options)


@register_model("vgg16", expected_params=138_357_544, source=_TV.format("vgg16", "vgg16"),
                **_COMMON)
def vgg16(num_classes=1000, in_channels=3, **options):
    """VGG-16 (configuration D)."""
    return _build("D", num_classes, in_channels, **options)


@register_model("vgg19", expected_params=143_667_240, source=_TV.format("vgg19", "vgg19"),
                **_COMMON)
def vgg19(num_classes=1000, in_channels=3, **options):
    """VGG-19 (configuration E)."""
    return _build("E", num_classes, in_channels, **options)


@register_model("vgg11_bn", expected_params=132_868_840,
                source=_TV.format("vgg11_bn", "vgg11_bn"), **_COMMON)
def vgg11_bn(num_classes=1000, in_channels=3, **options):
    """VGG-11 with BatchNorm after every convolution."""
    return _build("A", num_classes, in_channels, batch_norm=True, **options)


@register_model("vgg13_bn", expected_params=133_053_736,
                source=_TV.format("vgg13_bn", "vgg13_bn"), **_COMMON)
def vgg13_bn(num_classes=1000, in_channels=3, **options):
    """VGG-13 with BatchNorm after every convolution."""
    return _build("B", num_classes, in_channels, batch_norm=True, **options)


@register_model("vgg16_bn", expected_params=138_365_992,
                source=_TV.format("vgg16_bn", "vgg16_bn"), **_COMMON)
def vgg16_bn(num_classes=1000, in_channels=3, **options):
    """VGG-16 with BatchNorm after every convolution."""
    return _build("D", num_classes, in_channels, batch_norm=True, **options)


@register_model("vgg19_bn", expected_params=143_678_248,
                source=_TV.format("vgg19_bn", "vgg19_bn"), **_COMMON)
def vgg19_bn(num_classes=1000, in_channels=3, **options):
    """VGG-19 with BatchNorm after every convolution."""
    return _build("E", num_classes, in_channels, batch_norm=True, **options)
