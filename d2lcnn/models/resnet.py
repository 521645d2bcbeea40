"""ResNet: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
{cite}`he2016deep`; ResNeXt: Xie, Girshick, Dollar, Tu & He, "Aggregated Residual
Transformations for Deep Neural Networks", CVPR 2017 {cite}`xie2017aggregated`.

The five networks of the paper's Table 1 are data (`resnet_spec`): the block type, the number
of blocks in each of the four stages conv2_x..conv5_x, and the stages' widths. Every stage but
the first starts by halving the height and width (stride 2); a block whose input and output
shapes differ gets a projection shortcut (1x1 convolution + BatchNorm, the paper's option B),
the others an identity shortcut. Convolutions have no bias (BatchNorm follows each of them).

* `Residual` is the *basic* block (ResNet-18/34): 3x3 conv-BN-ReLU, 3x3 conv-BN, add the
  shortcut, ReLU. Its interface is d2l's ``Residual(num_channels, use_1x1conv, strides)``, and
  `resnet_block` is d2l's ``resnet_block(num_channels, num_residuals, first_block)``. d2l's
  own convolutions keep their biases and its 1x1 shortcut has no BatchNorm; ours follow the
  paper's released models and torchvision, whose counts we check (ResNet-18 at 10 classes and 1
  channel: d2l 11,178,378, ours 11,175,370: 4,800 biases fewer, 1,792 shortcut-BN parameters
  more).
* `Bottleneck` (ResNet-50/101/152) reduces the width with a 1x1 convolution, works at that
  width with a 3x3 and expands 4x with a 1x1. The paper's released (Caffe) models put a
  stage's stride 2 on the first 1x1; we put it on the 3x3 as torchvision ("ResNet v1.5") and
  gluon-cv (``resnet*_v1b``) do and as ResNeXt does: the same parameters, more multiply-adds
  (ResNet-50: 4.09G instead of 3.86G) and about 0.5% better top-1. ``stride_in_1x1=True``
  gives the paper's placement.
* ResNeXt replaces the 3x3 by a grouped convolution with ``groups`` (the cardinality) groups of
  ``bottleneck_width`` channels per 64 channels of the stage width: ResNeXt-50 (32x4d) works at
  128 channels in conv2_x instead of 64 (Xie et al., Table 1 and Figure 3(c)).

``zero_init_residual=True`` initialises the scale (gamma) of each block's last BatchNorm to
zero, so that every block starts as the identity (Goyal et al. 2017 {cite}`goyal2017accurate`).

Options for small images on a CPU: ``stem="small"`` replaces the 7x7/2 convolution and the
3x3/2 max-pooling by a 3x3/1 convolution (for 28-32 px inputs, as d2l's ``resnet18`` of the
multi-GPU chapter and the CIFAR recipes), and ``width`` sets the base width (64 in the paper;
the stages are width, 2, 4 and 8 x width, and the stem has `width` channels).

Children are named after Table 1: ``features`` holds conv1 (conv, bn, relu), pool1 (the max-
pooling that Table 1 lists at the top of conv2_x), conv2_x..conv5_x (blocks block1, ...), gap
and flatten; ``output`` is the 1000-way dense layer (replace it to fine-tune). Every
convolution has padding, so any input of at least 1x1 runs (at 224x224 the stages see 56, 28,
14 and 7 pixels).
"""
from mxnet.gluon import HybridBlock, nn

from ..checks import check_int
from ..layers import conv_bn_act
from ..registry import PublishedCount, register_model
from .base import Classifier

#: Table 1 of He et al.: depth -> (block, blocks in conv2_x..conv5_x, stage widths). A
#: bottleneck stage outputs 4 x its width.
resnet_spec = {
    18: ("basic", [2, 2, 2, 2], [64, 128, 256, 512]),
    34: ("basic", [3, 4, 6, 3], [64, 128, 256, 512]),
    50: ("bottleneck", [3, 4, 6, 3], [64, 128, 256, 512]),
    101: ("bottleneck", [3, 4, 23, 3], [64, 128, 256, 512]),
    152: ("bottleneck", [3, 8, 36, 3], [64, 128, 256, 512]),
}

STEMS = ("imagenet", "small")


def _bn(channels, zero_gamma=False, prefix=None):
    return nn.BatchNorm(in_channels=channels, prefix=prefix,
                        gamma_initializer="zeros" if zero_gamma else "ones")


def _check_block(channels, strides, in_channels):
    check_int(channels, "channels")
    check_int(strides, "strides")
    check_int(in_channels, "in_channels", minimum=0)


class Residual(HybridBlock):
    """The basic residual block (Figure 2 of He et al.), with d2l's interface.

    conv1 (3x3, stride `strides`) -> bn1 -> ReLU -> conv2 (3x3) -> bn2, plus the shortcut
    (``use_1x1conv``: conv3, a 1x1 convolution with stride `strides`, -> bn3; otherwise the
    input itself), then ReLU. ``in_channels`` (0: inferred at the first forward) fixes the
    parameter shapes at once; ``zero_init=True`` starts bn2's gamma at zero.
    """

    expansion = 1

    def __init__(self, num_channels, use_1x1conv=False, strides=1, in_channels=0,
                 zero_init=False, **kwargs):
        super().__init__(**kwargs)
        _check_block(num_channels, strides, in_channels)
        if not use_1x1conv and (strides != 1 or in_channels not in (0, num_channels)):
            raise ValueError(f"a block that changes the shape ({in_channels} -> {num_channels} "
                             f"channels, stride {strides}) needs use_1x1conv=True")
        with self.name_scope():
            self.conv1 = nn.Conv2D(num_channels, 3, strides=strides, padding=1, use_bias=False,
                                   in_channels=in_channels, prefix="conv1_")
            self.bn1 = _bn(num_channels, prefix="bn1_")
            self.conv2 = nn.Conv2D(num_channels, 3, padding=1, use_bias=False,
                                   in_channels=num_channels, prefix="conv2_")
            self.bn2 = _bn(num_channels, zero_init, prefix="bn2_")
            if use_1x1conv:
                self.conv3 = nn.Conv2D(num_channels, 1, strides=strides, use_bias=False,
                                       in_channels=in_channels, prefix="conv3_")
                self.bn3 = _bn(num_channels, prefix="bn3_")
            else:
                self.conv3 = self.bn3 = None

    def hybrid_forward(self, F, x):
        y = F.npx.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.bn3(self.conv3(x))
        return F.npx.relu(F.np.add(y, x))


class Bottleneck(HybridBlock):
    """The bottleneck block (Figure 5 of He et al.; Figure 3(c) of Xie et al. with groups > 1).

    conv1 (1x1, to the inner width) -> bn1 -> ReLU -> conv2 (3x3, `groups` groups, stride
    `strides`) -> bn2 -> ReLU -> conv3 (1x1, to ``4 * channels``) -> bn3, plus the shortcut
    (``downsample``: 1x1 convolution with stride `strides` + BatchNorm; otherwise the input),
    then ReLU. The inner width is ``int(channels * bottleneck_width / 64) * groups``: `channels`
    for ResNet (groups=1, bottleneck_width=64), 2 x `channels` for ResNeXt 32x4d.
    ``stride_in_1x1=True`` puts the stride on conv1 instead (the paper's Caffe models).
    """

    expansion = 4

    def __init__(self, channels, strides=1, downsample=False, groups=1, bottleneck_width=64,
                 in_channels=0, stride_in_1x1=False, zero_init=False, **kwargs):
        super().__init__(**kwargs)
        _check_block(channels, strides, in_channels)
        check_int(groups, "groups (the cardinality)")
        check_int(bottleneck_width, "bottleneck_width")
        out = channels * self.expansion
        if not downsample and (strides != 1 or in_channels not in (0, out)):
            raise ValueError(f"a block that changes the shape ({in_channels} -> {out} channels, "
                             f"stride {strides}) needs downsample=True")
        inner = int(channels * bottleneck_width / 64) * groups
        if inner < 1:
            raise ValueError(f"channels={channels} with bottleneck_width={bottleneck_width} "
                             f"leaves no channels in the 3x3 convolution (channels * "
                             f"bottleneck_width / 64 must be >= 1)")
        s1, s3 = (strides, 1) if stride_in_1x1 else (1, strides)
        with self.name_scope():
            self.conv1 = nn.Conv2D(inner, 1, strides=s1, use_bias=False,
                                   in_channels=in_channels, prefix="conv1_")
            self.bn1 = _bn(inner, prefix="bn1_")
            self.conv2 = nn.Conv2D(inner, 3, strides=s3, padding=1, groups=groups,
                                   use_bias=False, in_channels=inner, prefix="conv2_")
            self.bn2 = _bn(inner, prefix="bn2_")
            self.conv3 = nn.Conv2D(out, 1, use_bias=False, in_channels=inner, prefix="conv3_")
            self.bn3 = _bn(out, zero_init, prefix="bn3_")
            # the projection shortcut (the paper's option B): 1x1 convolution + BatchNorm
            self.downsample = (conv_bn_act(out, 1, strides, in_channels=in_channels,
                                           activation=None, prefix="downsample_")
                               if downsample else None)

    def hybrid_forward(self, F, x):
        y = F.npx.relu(self.bn1(self.conv1(x)))
        y = F.npx.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.downsample is not None:
            x = self.downsample(x)
        return F.npx.relu(F.np.add(y, x))


def resnet_block(num_channels, num_residuals, first_block=False, *, in_channels=0,
                 zero_init_residual=False, prefix=None):
    """d2l's stage of `num_residuals` basic blocks: unless it is the first stage (which follows
    the max-pooling), its first block halves the height and width and projects the shortcut.
    Children are block1, block2, ..."""
    check_int(num_residuals, "num_residuals (blocks in the stage)")
    stage = nn.HybridSequential(prefix=prefix)
    with stage.name_scope():
        for i in range(num_residuals):
            first = i == 0 and not first_block
            setattr(stage, f"block{i + 1}",
                    Residual(num_channels, use_1x1conv=first, strides=2 if first else 1,
                             in_channels=in_channels if i == 0 else num_channels,
                             zero_init=zero_init_residual, prefix=f"block{i + 1}_"))
    return stage


def _stage(kind, channels, num_blocks, strides, in_channels, prefix, **block_options):
    """One stage conv{k}_x: its first block has the stride and, if the shape changes, the
    projection shortcut."""
    stage = nn.HybridSequential(prefix=prefix)
    with stage.name_scope():
        for i in range(num_blocks):
            s = strides if i == 0 else 1
            if kind == "basic":
                block = Residual(channels, use_1x1conv=s != 1 or in_channels != channels,
                                 strides=s, in_channels=in_channels,
                                 zero_init=block_options["zero_init"], prefix=f"block{i + 1}_")
            else:
                block = Bottleneck(channels, strides=s,
                                   downsample=s != 1 or in_channels != 4 * channels,
                                   in_channels=in_channels, prefix=f"block{i + 1}_",
                                   **block_options)
            setattr(stage, f"block{i + 1}", block)
            in_channels = channels * block.expansion
    return stage, in_channels


class ResNet(Classifier):
    """ResNet / ResNeXt of depth 18, 34, 50, 101 or 152 (`resnet_spec`): the family's builder.

    Options: ``groups`` and ``bottleneck_width`` (ResNeXt: cardinality and channels per group
    per 64 of width; bottleneck depths only), ``stem`` ("imagenet" or "small"), ``width`` (base
    width, 64), ``stride_in_1x1``, ``zero_init_residual``. See the module docstring.
    """

    def __init__(self, depth, num_classes=1000, in_channels=3, stem="imagenet", width=64,
                 groups=1, bottleneck_width=64, stride_in_1x1=False, zero_init_residual=False,
                 **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        if depth not in resnet_spec:
            raise ValueError(f"ResNet depth must be one of {sorted(resnet_spec)}; got {depth}")
        if stem not in STEMS:
            raise ValueError(f"stem must be one of {STEMS}; got {stem!r}")
        check_int(width, "width (the base width, 64 in the paper)")
        check_int(groups, "groups (the cardinality)")
        check_int(bottleneck_width, "bottleneck_width")
        kind, blocks, widths = resnet_spec[depth]
        if kind == "basic" and (groups != 1 or bottleneck_width != 64):
            raise ValueError(f"ResNet-{depth} has basic blocks: groups and bottleneck_width "
                             f"(ResNeXt) need a bottleneck depth (50, 101, 152)")
        widths = [c * width // 64 for c in widths]
        block_options = dict(zero_init=zero_init_residual)
        if kind == "bottleneck":
            block_options.update(groups=groups, bottleneck_width=bottleneck_width,
                                 stride_in_1x1=stride_in_1x1)
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            with body.name_scope():
                kernel, strides = (7, 2) if stem == "imagenet" else (3, 1)
                body.conv1 = conv_bn_act(width, kernel, strides, in_channels=in_channels,
                                         prefix="conv1_")
                if stem == "imagenet":
                    body.pool1 = nn.MaxPool2D(3, strides=2, padding=1, prefix="pool1_")
                channels = width
                for k, (n, c) in enumerate(zip(blocks, widths), start=2):
                    stage, channels = _stage(kind, c, n, 1 if k == 2 else 2, channels,
                                             prefix=f"conv{k}_x_", **block_options)
                    setattr(body, f"conv{k}_x", stage)
                body.gap = nn.GlobalAvgPool2D(prefix="gap_")
                body.flatten = nn.Flatten(prefix="flatten_")
            self.output = nn.Dense(num_classes, in_units=channels, prefix="output_")


_TV = "torchvision.models.{} (docs: num_params, 1000 classes)"

#: Published trainable parameters at 1000 classes and where they come from.
PUBLISHED = {name: PublishedCount(count, _TV.format(name)) for name, count in (
    ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032),
    ("resnet101", 44_549_160), ("resnet152", 60_192_808),
    ("resnext50_32x4d", 25_028_904), ("resnext101_32x8d", 88_791_336))}
# every convolution is padded: any input of at least 1x1 runs
_resnet = register_model(input_size=224, min_size=1, published=PUBLISHED, year=2016,
                         paper="he2016deep")
_resnext = register_model(input_size=224, min_size=1, published=PUBLISHED, year=2017,
                          paper="xie2017aggregated")


@_resnet
def resnet18(num_classes=1000, in_channels=3, **options):
    """ResNet-18. Options: stem, width, zero_init_residual."""
    return ResNet(18, num_classes, in_channels, **options)


@_resnet
def resnet34(num_classes=1000, in_channels=3, **options):
    """ResNet-34. Options: stem, width, zero_init_residual."""
    return ResNet(34, num_classes, in_channels, **options)


@_resnet
def resnet50(num_classes=1000, in_channels=3, **options):
    """ResNet-50 (stride on the 3x3, "v1.5"). Options: stem, width, stride_in_1x1, ..."""
    return ResNet(50, num_classes, in_channels, **options)


@_resnet
def resnet101(num_classes=1000, in_channels=3, **options):
    """ResNet-101. Options: stem, width, stride_in_1x1, zero_init_residual."""
    return ResNet(101, num_classes, in_channels, **options)


@_resnet
def resnet152(num_classes=1000, in_channels=3, **options):
    """ResNet-152. Options: stem, width, stride_in_1x1, zero_init_residual."""
    return ResNet(152, num_classes, in_channels, **options)


@_resnext
def resnext50_32x4d(num_classes=1000, in_channels=3, **options):
    """ResNeXt-50 (32x4d): ResNet-50 with 32 groups of 4 channels (per 64) in the 3x3."""
    return ResNet(50, num_classes, in_channels, groups=32, bottleneck_width=4, **options)


@_resnext
def resnext101_32x8d(num_classes=1000, in_channels=3, **options):
    """ResNeXt-101 (32x8d): ResNet-101 with 32 groups of 8 channels (per 64) in the 3x3."""
    return ResNet(101, num_classes, in_channels, groups=32, bottleneck_width=8, **options)
