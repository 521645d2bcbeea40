"""Inception-v3: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
CVPR 2016 {cite}`szegedy2016rethinking`.

`INCEPTION_V3` follows the authors' released network (TF-slim; also Keras, torchvision and
gluon-cv), whose details differ from the paper's Table 1: after the first pooling its stem has
a 1x1 convolution (80) and a 3x3 one (192), then a max-pooling, where the table lists three 3x3
convolutions (80, 192 stride 2, 288); and its 35x35 blocks (`InceptionA`) keep a 5x5 branch
beside the two 3x3s of Figure 5. BatchNorm follows every convolution (no biases); ``bn_scale``
says whether it learns a scale (gamma): gluon-cv, torchvision and timm do (the default), the
authors' TF-slim and Keras do not.
"""
from mxnet.gluon import HybridBlock, nn

from ...checks import check_int
from ...registry import register_model
from .branches import Mixed, conv
from .net import PUBLISHED, InceptionNet

__all__ = ["INCEPTION_V3", "INCEPTION_V3_AUX", "InceptionA", "InceptionB", "InceptionC",
           "InceptionD", "InceptionE", "InceptionAux", "inception_v3"]


class InceptionA(Mixed):
    """Inception-v3's 35x35 block (Figure 5: the 5x5 factorised into two 3x3s; the released
    network keeps a 5x5 branch too). 224 + `pool_features` channels."""

    def __init__(self, in_channels, pool_features, **kwargs):
        super().__init__(in_channels, [
            [(64, 1)],
            [(48, 1), (64, 5)],
            [(64, 1), (96, 3), (96, 3)],
            [("avg", 3, 1, 1), (pool_features, 1)],
        ], **kwargs)


class InceptionB(Mixed):
    """Inception-v3's grid reduction 35x35 -> 17x17 (Figure 10): stride-2 convolutions beside a
    stride-2 max-pooling, so the grid shrinks while the channels grow (288 -> 768)."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(384, 3, 2, 0)],
            [(64, 1), (96, 3), (96, 3, 2, 0)],
            [("max", 3, 2, 0)],
        ], **kwargs)


class InceptionC(Mixed):
    """Inception-v3's 17x17 block (Figure 6): 7x7 convolutions factorised into 1x7 then 7x1,
    with `channels_7x7` filters inside the factorised branches. 768 channels."""

    def __init__(self, in_channels, channels_7x7, **kwargs):
        c7 = channels_7x7
        super().__init__(in_channels, [
            [(192, 1)],
            [(c7, 1), (c7, (1, 7)), (192, (7, 1))],
            [(c7, 1), (c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (192, (1, 7))],
            [("avg", 3, 1, 1), (192, 1)],
        ], **kwargs)


class InceptionD(Mixed):
    """Inception-v3's grid reduction 17x17 -> 8x8 (768 -> 1280 channels)."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(192, 1), (320, 3, 2, 0)],
            [(192, 1), (192, (1, 7)), (192, (7, 1)), (192, 3, 2, 0)],
            [("max", 3, 2, 0)],
        ], **kwargs)


class InceptionE(Mixed):
    """Inception-v3's 8x8 block (Figure 7): the 3x3s end in parallel 1x3 and 3x1 convolutions
    ("expanded filter bank outputs"). 2048 channels."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(320, 1)],
            [(384, 1), ("split", (384, (1, 3)), (384, (3, 1)))],
            [(448, 1), (384, 3), ("split", (384, (1, 3)), (384, (3, 1)))],
            [("avg", 3, 1, 1), (192, 1)],
        ], **kwargs)


class InceptionAux(HybridBlock):
    """Inception-v3's auxiliary classifier on the 17x17 grid (Figure 8): 5x5/3 average pooling,
    1x1 convolution (128), 5x5 convolution (768), both with BatchNorm, then the classifier."""

    def __init__(self, in_channels, num_classes, bn=True, bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        check_int(num_classes, "num_classes")
        with self.name_scope():
            self.pool = nn.AvgPool2D(5, 3, prefix="pool_")
            self.conv1 = conv(128, 1, in_channels=in_channels, bn=bn, bn_scale=bn_scale,
                              prefix="conv1_")
            self.conv2 = conv(768, 5, padding=0, in_channels=128, bn=bn, bn_scale=bn_scale,
                              prefix="conv2_")
            self.gap = nn.GlobalAvgPool2D(prefix="gap_")
            self.output = nn.Dense(num_classes, in_units=768, prefix="output_")

    def hybrid_forward(self, F, x):
        return self.output(self.gap(self.conv2(self.conv1(self.pool(x)))))


#: Inception-v3 as released (TF-slim names; sizes at 299x299). "conv": (channels, kernel,
#: stride, padding); "maxpool": (kernel, stride); the blocks take the listed arguments.
INCEPTION_V3 = (
    ("conv1a", "conv", (32, 3, 2, 0)),     # 149x149x32
    ("conv2a", "conv", (32, 3, 1, 0)),     # 147x147x32
    ("conv2b", "conv", (64, 3, 1, 1)),     # 147x147x64
    ("pool3a", "maxpool", (3, 2)),         # 73x73x64
    ("conv3b", "conv", (80, 1, 1, 0)),     # 73x73x80
    ("conv4a", "conv", (192, 3, 1, 0)),    # 71x71x192
    ("pool5a", "maxpool", (3, 2)),         # 35x35x192
    ("mixed5b", "v3_a", (32,)),            # 35x35x256
    ("mixed5c", "v3_a", (64,)),            # 35x35x288
    ("mixed5d", "v3_a", (64,)),            # 35x35x288
    ("mixed6a", "v3_b", ()),               # 17x17x768
    ("mixed6b", "v3_c", (128,)),           # 17x17x768
    ("mixed6c", "v3_c", (160,)),
    ("mixed6d", "v3_c", (160,)),
    ("mixed6e", "v3_c", (192,)),
    ("mixed7a", "v3_d", ()),               # 8x8x1280
    ("mixed7b", "v3_e", ()),               # 8x8x2048
    ("mixed7c", "v3_e", ()),               # 8x8x2048
)
INCEPTION_V3_AUX = (("aux", "mixed6e", InceptionAux),)
#: The block kinds of `INCEPTION_V3`.
V3_BLOCKS = {"v3_a": InceptionA, "v3_b": InceptionB, "v3_c": InceptionC, "v3_d": InceptionD,
             "v3_e": InceptionE}


def _v3_min(options):
    """75x75 is the smallest input that leaves 1x1 maps where 299x299 leaves 8x8 ones; the
    auxiliary head needs 17x17 maps out of mixed6e (5x5/3 pooling, then a 5x5 convolution),
    which only 299x299 and more give."""
    return 299 if options.get("aux_logits", False) else 75


@register_model(input_size=299, min_size=_v3_min, published=PUBLISHED, year=2016,
                paper="szegedy2016rethinking")
def inception_v3(num_classes=1000, in_channels=3, **options):
    """Inception-v3 as released. Options: aux_logits, dropout, bn_scale."""
    return InceptionNet(INCEPTION_V3, num_classes, in_channels, aux=INCEPTION_V3_AUX,
                        blocks=V3_BLOCKS, **{"dropout": 0.5, **options})
