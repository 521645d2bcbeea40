"""MobileNets, each built from a table of its layers.

* MobileNet (v1): Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
  Mobile Vision Applications", arXiv 2017 {cite}`howard2017mobilenets`. A full 3x3/2
  convolution to 32 channels, then the 13 depthwise separable layers of Table 1
  (`MOBILENET_V1`), global average pooling and the classifier. A `DepthwiseSeparable` layer is
  a depthwise 3x3 convolution -> BatchNorm -> ReLU, then a pointwise 1x1 convolution ->
  BatchNorm -> ReLU (Figure 3). Table 1 prints the 13th layer as "Conv dw / s2", but its input
  and output are both 7x7: it has stride 1, as in the authors' TF-slim code and in Keras.
  The width multiplier ``alpha`` (Section 3.3: 1.0, 0.75, 0.5, 0.25) thins every layer to
  ``int(alpha * channels)`` (as Keras and gluon-cv); the resolution multiplier is the input
  size (224, 192, 160 or 128). Published count: 4,231,976 trainable parameters at 1.0 (Keras;
  the paper's 4.2M), 568,740,352 multiply-adds at 224x224 (the paper's 569M).
* MobileNetV2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
  CVPR 2018 {cite}`sandler2018mobilenetv2`. A 3x3/2 convolution to 32 channels, the 17
  `InvertedResidual` blocks of Table 2 (`MOBILENET_V2`, rows ``t, c, n, s``: expansion factor,
  output channels, repeats, stride of the first repeat), a 1x1 convolution to 1280 channels,
  global average pooling, dropout 0.2 and the classifier. An inverted residual block expands
  with a 1x1 convolution to ``t`` times its input channels (BatchNorm, ReLU6), filters with a
  depthwise 3x3 (BatchNorm, ReLU6) and projects back with a *linear* 1x1 (BatchNorm, no
  activation); it adds its input when the stride is 1 and the channels stay the same. With
  ``alpha`` != 1 every channel count is rounded to a multiple of 8 (`make_divisible`, the rule
  of the paper's reference code), and the last convolution keeps 1280 channels for alpha < 1.
  Published count: 3,504,872 (torchvision); the paper's Table 3 says 3.4M and 300M
  multiply-adds (ours: 300,774,272 at 224x224).

Convolutions have no bias (BatchNorm follows each). ReLU6 is ``min(max(x, 0), 6)``. Every
convolution is padded, so any input of at least 1x1 runs. ``features`` is the body (conv1,
block1..block13 for v1; conv1, stage1..stage7 of block1.., conv2 for v2; then gap and
flatten), ``output`` the dense classifier.
"""
from mxnet.gluon import HybridBlock, nn

from ..checks import check_int, check_rate
from ..layers import ReLU6, conv_bn_act
from ..registry import PublishedCount, register_model
from .base import Classifier

__all__ = ["MOBILENET_V1", "FIRST_CONV", "MOBILENET_V2", "LAST_CONV_V2", "PUBLISHED",
           "make_divisible", "ReLU6", "DepthwiseSeparable", "InvertedResidual", "MobileNet",
           "MobileNetV2", "mobilenet_v1", "mobilenet_v2"]

#: Table 1 of Howard et al.: the 13 depthwise separable layers after the first convolution, as
#: (stride of the depthwise 3x3, channels of the pointwise 1x1).
MOBILENET_V1 = (
    (1, 64),
    (2, 128),
    (1, 128),
    (2, 256),
    (1, 256),
    (2, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (1, 512),
    (2, 1024),
    (1, 1024),  # "s2" in the paper's Table 1, a misprint (7x7 in and out)
)
#: The first (full) convolution of both versions: 3x3, stride 2, 32 channels.
FIRST_CONV = 32

#: Table 2 of Sandler et al.: one row per stage of inverted residual blocks.
MOBILENET_V2 = (
    # t, c, n, s
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
#: MobileNetV2's last 1x1 convolution.
LAST_CONV_V2 = 1280


def make_divisible(value, divisor=8):
    """`value` rounded to the nearest multiple of `divisor` (at least `divisor`), rounding up
    instead where rounding to the nearest would lose more than 10%: the rule of MobileNetV2's
    reference code (TF-slim ``_make_divisible``, also torchvision and Keras)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


#: The book's chapter calls the unit by its earlier name; it is `d2lcnn.layers.conv_bn_act`.
_conv_bn = conv_bn_act


class DepthwiseSeparable(HybridBlock):
    """MobileNet's layer (Figure 3 of Howard et al.): ``depthwise`` (3x3 convolution with one
    filter per input channel, stride `strides`, BatchNorm, ReLU) then ``pointwise`` (1x1 to
    `channels`, BatchNorm, ReLU). Parameters: 9*in + in*channels, plus 2*(in + channels) for
    BatchNorm. ``activation="relu6"`` gives Keras' variant."""

    def __init__(self, in_channels, channels, strides=1, activation="relu", **kwargs):
        super().__init__(**kwargs)
        check_int(in_channels, "in_channels")
        with self.name_scope():
            self.depthwise = conv_bn_act(in_channels, 3, strides, groups=in_channels,
                                         in_channels=in_channels, activation=activation,
                                         prefix="depthwise_")
            self.pointwise = conv_bn_act(channels, 1, in_channels=in_channels,
                                         activation=activation, prefix="pointwise_")

    def hybrid_forward(self, F, x):
        return self.pointwise(self.depthwise(x))


class InvertedResidual(HybridBlock):
    """MobileNetV2's block (Table 1 and Figure 4 of Sandler et al.): ``expand`` (1x1 to
    ``round(expansion * in_channels)``, BatchNorm, ReLU6; absent when expansion is 1),
    ``depthwise`` (3x3, stride `strides`, BatchNorm, ReLU6), ``project`` (1x1 to `channels`,
    BatchNorm, linear); the input is added when stride is 1 and the channels do not change."""

    def __init__(self, in_channels, channels, strides=1, expansion=6, **kwargs):
        super().__init__(**kwargs)
        check_int(in_channels, "in_channels")
        if isinstance(expansion, bool) or not isinstance(expansion, (int, float)) \
                or int(round(in_channels * expansion)) < 1:
            raise ValueError(f"expansion (t) must be a positive number that leaves channels "
                             f"to expand to; got {expansion!r} for {in_channels} channels")
        hidden = int(round(in_channels * expansion))
        self.use_residual = strides == 1 and in_channels == channels
        with self.name_scope():
            self.expand = (conv_bn_act(hidden, 1, in_channels=in_channels, activation="relu6",
                                       prefix="expand_") if expansion != 1 else None)
            self.depthwise = conv_bn_act(hidden, 3, strides, groups=hidden, in_channels=hidden,
                                         activation="relu6", prefix="depthwise_")
            self.project = conv_bn_act(channels, 1, in_channels=hidden, activation=None,
                                       prefix="project_")

    def hybrid_forward(self, F, x):
        y = x if self.expand is None else self.expand(x)
        y = self.project(self.depthwise(y))
        return F.np.add(y, x) if self.use_residual else y


def _check_alpha(alpha):
    if isinstance(alpha, bool) or not (isinstance(alpha, (int, float)) and alpha > 0):
        raise ValueError(f"alpha (the width multiplier) must be a positive number; got {alpha!r}")


class MobileNet(Classifier):
    """MobileNet v1 from a table such as `MOBILENET_V1`, with width multiplier `alpha`."""

    def __init__(self, num_classes=1000, in_channels=3, alpha=1.0, spec=MOBILENET_V1,
                 activation="relu", **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        _check_alpha(alpha)

        def thin(c):
            if int(c * alpha) < 1:
                raise ValueError(f"alpha={alpha} leaves no channels of {c}")
            return int(c * alpha)

        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            with body.name_scope():
                channels = thin(FIRST_CONV)
                body.conv1 = conv_bn_act(channels, 3, 2, in_channels=in_channels,
                                         activation=activation, prefix="conv1_")
                for i, (strides, c) in enumerate(spec, start=1):
                    setattr(body, f"block{i}",
                            DepthwiseSeparable(channels, thin(c), strides, activation,
                                               prefix=f"block{i}_"))
                    channels = thin(c)
                body.gap = nn.GlobalAvgPool2D(prefix="gap_")
                body.flatten = nn.Flatten(prefix="flatten_")
            self.output = nn.Dense(num_classes, in_units=channels, prefix="output_")


class MobileNetV2(Classifier):
    """MobileNetV2 from a table such as `MOBILENET_V2` (rows t, c, n, s), width multiplier
    `alpha`, dropout before the classifier."""

    def __init__(self, num_classes=1000, in_channels=3, alpha=1.0, spec=MOBILENET_V2,
                 dropout=0.2, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        _check_alpha(alpha)
        check_rate(dropout, "dropout")
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            with body.name_scope():
                channels = make_divisible(FIRST_CONV * alpha)
                body.conv1 = conv_bn_act(channels, 3, 2, in_channels=in_channels,
                                         activation="relu6", prefix="conv1_")
                for k, (t, c, n, s) in enumerate(spec, start=1):
                    stage = nn.HybridSequential(prefix=f"stage{k}_")
                    out = make_divisible(c * alpha)
                    with stage.name_scope():
                        for i in range(n):
                            setattr(stage, f"block{i + 1}",
                                    InvertedResidual(channels, out, s if i == 0 else 1, t,
                                                     prefix=f"block{i + 1}_"))
                            channels = out
                    setattr(body, f"stage{k}", stage)
                last = make_divisible(LAST_CONV_V2 * max(1.0, alpha))
                body.conv2 = conv_bn_act(last, 1, in_channels=channels, activation="relu6",
                                         prefix="conv2_")
                body.gap = nn.GlobalAvgPool2D(prefix="gap_")
                body.flatten = nn.Flatten(prefix="flatten_")
                body.dropout = nn.Dropout(dropout, prefix="dropout_")
            self.output = nn.Dense(num_classes, in_units=last, prefix="output_")


#: Published trainable parameters at 1000 classes and where they come from.
PUBLISHED = {
    "mobilenet_v1": PublishedCount(
        4_231_976, "keras.applications.MobileNet(alpha=1.0) trainable parameters (total "
        "4,253,864 with BatchNorm moving statistics); Howard et al. Table 6: 4.2M; equal to "
        "gluoncv.model_zoo.get_model('mobilenet1.0')"),
    "mobilenet_v2": PublishedCount(
        3_504_872, "torchvision.models.mobilenet_v2 (docs: num_params, 1000 classes); "
        "Sandler et al. Table 3: 3.4M"),
}


# every convolution is padded: any input of at least 1x1 runs
@register_model(input_size=224, min_size=1, published=PUBLISHED, year=2017,
                paper="howard2017mobilenets")
def mobilenet_v1(num_classes=1000, in_channels=3, **options):
    """MobileNet v1 (Table 1). Options: alpha (width multiplier, 1.0), activation."""
    return MobileNet(num_classes, in_channels, **options)


@register_model(input_size=224, min_size=1, published=PUBLISHED, year=2018,
                paper="sandler2018mobilenetv2")
def mobilenet_v2(num_classes=1000, in_channels=3, **options):
    """MobileNetV2 (Table 2). Options: alpha (width multiplier, 1.0), dropout (0.2)."""
    return MobileNetV2(num_classes, in_channels, **options)
