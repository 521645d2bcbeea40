"""Inception-v4 and Inception-ResNet-v2: Szegedy et al., "Inception-v4, Inception-ResNet and the
Impact of Residual Connections on Learning", AAAI 2017 {cite}`szegedy2017inception`.

`INCEPTION_V4` is the paper's Figures 3-9. `INCEPTION_RESNET_V2` is the authors' released
Inception-ResNet-v2 (TF-slim, Keras), which differs from the paper's Figure 15: its stem is
Inception-v3's plus a mixed 35x35 block (`mixed5b`, 320 channels) instead of Figure 3's stem
(384 channels). The residual blocks scale their branch by 0.17, 0.1 and 0.2 before adding it
(Section 3.3); the last one has no ReLU. BatchNorm follows every convolution but the residual
projections; ``bn_scale`` (whether BatchNorm learns a scale) is on for Inception-v4, as timm,
and off for Inception-ResNet-v2, as its published count (Keras').
"""
from mxnet.gluon import HybridBlock, nn

from ...checks import check_int
from ...registry import register_model
from .branches import Mixed
from .net import PUBLISHED, InceptionNet

__all__ = ["INCEPTION_V4", "INCEPTION_RESNET_V2", "InceptionV4A", "InceptionV4B",
           "InceptionV4C", "ReductionA", "ReductionB", "InceptionResNetReductionB",
           "InceptionResidual", "InceptionResNetA", "InceptionResNetB", "InceptionResNetC",
           "inception_v4", "inception_resnet_v2"]


class InceptionV4A(Mixed):
    """Inception-v4's 35x35 block (Figure 4). 384 channels."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(96, 1)],
            [(64, 1), (96, 3)],
            [(64, 1), (96, 3), (96, 3)],
            [("avg", 3, 1, 1), (96, 1)],
        ], **kwargs)


class InceptionV4B(Mixed):
    """Inception-v4's 17x17 block (Figure 5). 1024 channels."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(384, 1)],
            [(192, 1), (224, (1, 7)), (256, (7, 1))],
            [(192, 1), (192, (1, 7)), (224, (7, 1)), (224, (1, 7)), (256, (7, 1))],
            [("avg", 3, 1, 1), (128, 1)],
        ], **kwargs)


class InceptionV4C(Mixed):
    """Inception-v4's 8x8 block (Figure 6). 1536 channels."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(256, 1)],
            [(384, 1), ("split", (256, (1, 3)), (256, (3, 1)))],
            [(384, 1), (448, (1, 3)), (512, (3, 1)), ("split", (256, (3, 1)), (256, (1, 3)))],
            [("avg", 3, 1, 1), (256, 1)],
        ], **kwargs)


class ReductionA(Mixed):
    """The 35x35 -> 17x17 reduction (Figure 7) with the filter numbers k, l, m, n of Table 1:
    (192, 224, 256, 384) in Inception-v4, (256, 256, 384, 384) in Inception-ResNet-v2."""

    def __init__(self, in_channels, k, l, m, n, **kwargs):  # noqa: E741 (the paper's names)
        super().__init__(in_channels, [
            [(n, 3, 2, 0)],
            [(k, 1), (l, 3), (m, 3, 2, 0)],
            [("max", 3, 2, 0)],
        ], **kwargs)


class ReductionB(Mixed):
    """Inception-v4's 17x17 -> 8x8 reduction (Figure 8)."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(192, 1), (192, 3, 2, 0)],
            [(256, 1), (256, (1, 7)), (320, (7, 1)), (320, 3, 2, 0)],
            [("max", 3, 2, 0)],
        ], **kwargs)


class InceptionResNetReductionB(Mixed):
    """Inception-ResNet-v2's 17x17 -> 8x8 reduction (Figure 18)."""

    def __init__(self, in_channels, **kwargs):
        super().__init__(in_channels, [
            [(256, 1), (384, 3, 2, 0)],
            [(256, 1), (288, 3, 2, 0)],
            [(256, 1), (288, 3), (320, 3, 2, 0)],
            [("max", 3, 2, 0)],
        ], **kwargs)


class InceptionResidual(HybridBlock):
    """A residual Inception block: x + scale * up(concat(branches(x))), then a ReLU.

    ``up`` is a 1x1 convolution without BatchNorm and without activation (with a bias) that
    restores the input's channel count. Section 3.3 of the paper scales the residual by
    0.1-0.3 before the addition to keep the training of wide residual Inception nets stable.
    """

    def __init__(self, in_channels, branches, scale=1.0, activation=True, bn=True,
                 bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        check_int(in_channels, "in_channels (the residual keeps them)")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"scale multiplies the residual branch and must be a number > 0 "
                             f"(0.1-0.3 in the paper); got {scale!r}")
        self.scale, self.activation = scale, activation
        with self.name_scope():
            self.mixed = Mixed(in_channels, branches, bn=bn, bn_scale=bn_scale, prefix="mixed_")
            self.up = nn.Conv2D(in_channels, 1, in_channels=self.mixed.out_channels,
                                prefix="up_")
        self.out_channels = in_channels

    def hybrid_forward(self, F, x):
        x = x + self.scale * self.up(self.mixed(x))
        return F.npx.relu(x) if self.activation else x


class InceptionResNetA(InceptionResidual):
    """Inception-ResNet-v2's 35x35 residual block (block35, Figure 16), scale 0.17."""

    def __init__(self, in_channels, scale=0.17, activation=True, **kwargs):
        super().__init__(in_channels, [
            [(32, 1)],
            [(32, 1), (32, 3)],
            [(32, 1), (48, 3), (64, 3)],
        ], scale, activation, **kwargs)


class InceptionResNetB(InceptionResidual):
    """Inception-ResNet-v2's 17x17 residual block (block17, Figure 17), scale 0.1."""

    def __init__(self, in_channels, scale=0.1, activation=True, **kwargs):
        super().__init__(in_channels, [
            [(192, 1)],
            [(128, 1), (160, (1, 7)), (192, (7, 1))],
        ], scale, activation, **kwargs)


class InceptionResNetC(InceptionResidual):
    """Inception-ResNet-v2's 8x8 residual block (block8, Figure 19), scale 0.2."""

    def __init__(self, in_channels, scale=0.2, activation=True, **kwargs):
        super().__init__(in_channels, [
            [(192, 1)],
            [(192, 1), (224, (1, 3)), (256, (3, 1))],
        ], scale, activation, **kwargs)


#: Inception-v4 (Figures 3-9; sizes at 299x299). "mixed": branches as in `branches`.
INCEPTION_V4 = (
    ("conv1a", "conv", (32, 3, 2, 0)),                                          # 149x149x32
    ("conv2a", "conv", (32, 3, 1, 0)),                                          # 147x147x32
    ("conv2b", "conv", (64, 3, 1, 1)),                                          # 147x147x64
    ("mixed3a", "mixed", ([("max", 3, 2, 0)], [(96, 3, 2, 0)])),                # 73x73x160
    ("mixed4a", "mixed", ([(64, 1), (96, 3, 1, 0)],
                          [(64, 1), (64, (7, 1)), (64, (1, 7)), (96, 3, 1, 0)])),  # 71x71x192
    ("mixed5a", "mixed", ([(192, 3, 2, 0)], [("max", 3, 2, 0)])),               # 35x35x384
    *((f"inception_a{i}", "v4_a", ()) for i in range(1, 5)),                    # 35x35x384
    ("reduction_a", "reduction_a", (192, 224, 256, 384)),                       # 17x17x1024
    *((f"inception_b{i}", "v4_b", ()) for i in range(1, 8)),                    # 17x17x1024
    ("reduction_b", "v4_reduction_b", ()),                                      # 8x8x1536
    *((f"inception_c{i}", "v4_c", ()) for i in range(1, 4)),                    # 8x8x1536
)

#: Inception-ResNet-v2 as released (TF-slim / Keras names; sizes at 299x299).
INCEPTION_RESNET_V2 = (
    ("conv1a", "conv", (32, 3, 2, 0)),     # 149x149x32
    ("conv2a", "conv", (32, 3, 1, 0)),     # 147x147x32
    ("conv2b", "conv", (64, 3, 1, 1)),     # 147x147x64
    ("pool3a", "maxpool", (3, 2)),         # 73x73x64
    ("conv3b", "conv", (80, 1, 1, 0)),     # 73x73x80
    ("conv4a", "conv", (192, 3, 1, 0)),    # 71x71x192
    ("pool5a", "maxpool", (3, 2)),         # 35x35x192
    ("mixed5b", "mixed", ([(96, 1)], [(48, 1), (64, 5)], [(64, 1), (96, 3), (96, 3)],
                          [("avg", 3, 1, 1), (64, 1)])),                       # 35x35x320
    *((f"block35_{i}", "resnet_a", ()) for i in range(1, 11)),                 # 35x35x320
    ("mixed6a", "reduction_a", (256, 256, 384, 384)),                          # 17x17x1088
    *((f"block17_{i}", "resnet_b", ()) for i in range(1, 21)),                 # 17x17x1088
    ("mixed7a", "resnet_reduction_b", ()),                                     # 8x8x2080
    *((f"block8_{i}", "resnet_c", ()) for i in range(1, 10)),                  # 8x8x2080
    ("block8_10", "resnet_c", (1.0, False)),  # scale 1, no ReLU                # 8x8x2080
    ("conv7b", "conv", (1536, 1, 1, 0)),                                       # 8x8x1536
)

#: The block kinds of `INCEPTION_V4` and `INCEPTION_RESNET_V2`.
V4_BLOCKS = {"v4_a": InceptionV4A, "v4_b": InceptionV4B, "v4_c": InceptionV4C,
             "reduction_a": ReductionA, "v4_reduction_b": ReductionB,
             "resnet_a": InceptionResNetA, "resnet_b": InceptionResNetB,
             "resnet_c": InceptionResNetC, "resnet_reduction_b": InceptionResNetReductionB}


# 75x75 is the smallest input that leaves 1x1 maps where 299x299 leaves 8x8 ones
@register_model(input_size=299, min_size=75, published=PUBLISHED, year=2017,
                paper="szegedy2017inception")
def inception_v4(num_classes=1000, in_channels=3, **options):
    """Inception-v4 (Figures 3-9). Options: dropout, bn_scale."""
    return InceptionNet(INCEPTION_V4, num_classes, in_channels, blocks=V4_BLOCKS,
                        **{"dropout": 0.2, **options})


@register_model(input_size=299, min_size=75, published=PUBLISHED, year=2017,
                paper="szegedy2017inception")
def inception_resnet_v2(num_classes=1000, in_channels=3, **options):
    """Inception-ResNet-v2 as released (TF-slim / Keras). Options: dropout, bn_scale."""
    return InceptionNet(INCEPTION_RESNET_V2, num_classes, in_channels, blocks=V4_BLOCKS,
                        **{"dropout": 0.2, "bn_scale": False, **options})
