"""Inception networks, each built from a table of its layers.

* GoogLeNet (Inception v1): Szegedy et al., "Going Deeper with Convolutions", CVPR 2015
  {cite}`szegedy2015going`. Table 1 of the paper is `GOOGLENET`: the stem, then the nine
  Inception blocks with their columns ``#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj``.
  Convolutions have biases and ReLUs and no BatchNorm (``batch_norm=True`` adds it); the paper's
  local response normalisations (Figure 3: after pool1 and after conv2) come with ``lrn=True``,
  with AlexNet's constants (the paper gives none); dropout 0.4 before the classifier. The
  max-poolings round up (``pool_mode="ceil"``, as Caffe's BVLC GoogLeNet), which gives Table 1's
  112-56-28-14-7 at 224x224. The 7x7 average pooling is a global one, so other sizes work. The
  two auxiliary classifiers (after 4a and 4d) come with ``aux_logits=True``; they are used in
  training only (see `InceptionNet`). ``googlenet_d2l`` is d2l's version: no LRN, no dropout,
  padded max-poolings, for 1-channel 96x96 images.
* Inception-v3: Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
  CVPR 2016 {cite}`szegedy2016rethinking`. `INCEPTION_V3` follows the authors' released network
  (TF-slim; also Keras, torchvision and gluon-cv), whose details differ from the paper's
  Table 1: after the first pooling its stem has a 1x1 convolution (80) and a 3x3 one (192), then
  a max-pooling, where the table lists three 3x3 convolutions (80, 192 stride 2, 288); and its
  35x35 blocks (`InceptionA`) keep a 5x5 branch beside the two 3x3s of Figure 5.
* Inception-v4 and Inception-ResNet-v2: Szegedy et al., "Inception-v4, Inception-ResNet and the
  Impact of Residual Connections on Learning", AAAI 2017 {cite}`szegedy2017inception`.
  `INCEPTION_V4` is the paper's Figures 3-9. `INCEPTION_RESNET_V2` is the authors' released
  Inception-ResNet-v2 (TF-slim, Keras), which differs from the paper's Figure 15: its stem is
  Inception-v3's plus a mixed 35x35 block (`mixed5b`, 320 channels) instead of Figure 3's stem
  (384 channels). The residual blocks scale their branch by 0.17, 0.1 and 0.2 before adding it
  (Section 3.3); the last one has no ReLU.

BatchNorm (Inception-v3 and later) follows every convolution but the residual projections, and
convolutions before a BatchNorm have no bias. Its epsilon is 0.001 as in the authors' code.
``bn_scale`` says whether BatchNorm learns a scale (gamma): gluon-cv, torchvision and timm do
(default for v3 and v4), the authors' TF-slim and Keras do not (default for
Inception-ResNet-v2, whose published count is Keras').

Branch tables use: ``(channels, kernel[, stride[, padding]])`` for a convolution (padding
defaults to "same", kernel may be ``(1, 7)``), ``("max"|"avg", kernel, stride, padding)`` for a
pooling, ``("split", conv, conv)`` for parallel convolutions whose outputs are concatenated
(Inception-v3's 8x8 blocks).
"""
from mxnet import autograd
from mxnet.base import MXNetError
from mxnet.gluon import HybridBlock, nn
from mxnet.ndarray import NDArray

from ..registry import register_model
from .alexnet import LRN

__all__ = ["GOOGLENET", "INCEPTION_V3", "INCEPTION_V4", "INCEPTION_RESNET_V2", "Mixed",
           "Inception", "GoogLeNetAux", "InceptionA", "InceptionB", "InceptionC", "InceptionD",
           "InceptionE", "InceptionAux", "InceptionV4A", "InceptionV4B", "InceptionV4C",
           "ReductionA", "ReductionB", "InceptionResNetReductionB", "InceptionResidual",
           "InceptionResNetA", "InceptionResNetB", "InceptionResNetC", "InceptionNet",
           "googlenet", "googlenet_d2l", "inception_v3", "inception_v4", "inception_resnet_v2"]


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


def _branch(steps, in_channels, bn, bn_scale, prefix):
    """A sequence of convolutions / poolings / splits; returns (block, output channels)."""
    branch = nn.HybridSequential(prefix=prefix)
    channels, n_conv, n_pool = in_channels, 0, 0
    with branch.name_scope():
        for step in steps:
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
                        _conv(out, kernel, *rest, in_channels=channels, bn=bn,
                              bn_scale=bn_scale, prefix=f"conv{n_conv}_"))
                channels = out
    return branch, channels


class Mixed(HybridBlock):
    """Parallel branches (lists of steps, see the module docstring) whose outputs are
    concatenated along the channels: the Inception idea. ``out_channels`` is their sum."""

    def __init__(self, in_channels, branches, bn=True, bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        self.in_channels, self.out_channels = in_channels, 0
        with self.name_scope():
            for i, steps in enumerate(branches, start=1):
                branch, channels = _branch(steps, in_channels, bn, bn_scale, f"branch{i}_")
                setattr(self, f"branch{i}", branch)
                self.out_channels += channels

    def hybrid_forward(self, F, x):
        return F.np.concatenate([branch(x) for branch in self._children.values()], axis=1)


# --- Inception v1 (GoogLeNet) ----------------------------------------------------------------

class Inception(Mixed):
    """The Inception block of GoogLeNet (Figure 2(b)): a 1x1 convolution (`c1`), a 1x1 reduction
    then 3x3 (`c2` = (reduce, 3x3)), a 1x1 reduction then 5x5 (`c3` = (reduce, 5x5)), and a 3x3
    max-pooling then 1x1 projection (`c4`), concatenated: c1 + c2[1] + c3[1] + c4 channels.
    Same arguments as d2l's ``Inception(c1, c2, c3, c4)``; convolutions have ReLUs (and
    BatchNorm with ``bn=True``)."""

    def __init__(self, c1, c2, c3, c4, in_channels=0, bn=False, bn_scale=True, **kwargs):
        super().__init__(in_channels, [
            [(c1, 1)],
            [(c2[0], 1), (c2[1], 3)],
            [(c3[0], 1), (c3[1], 5)],
            [("max", 3, 1, 1), (c4, 1)],
        ], bn=bn, bn_scale=bn_scale, **kwargs)


class GoogLeNetAux(HybridBlock):
    """GoogLeNet's auxiliary classifier (Section 5): 5x5/3 average pooling (4x4 maps at 14x14),
    1x1 convolution with 128 filters and ReLU, dense 1024 with ReLU, dropout 0.7, classifier."""

    def __init__(self, in_channels, num_classes, bn=False, bn_scale=True, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.pool = nn.AvgPool2D(5, 3, prefix="pool_")
            self.conv = _conv(128, 1, in_channels=in_channels, bn=bn, bn_scale=bn_scale,
                              prefix="conv_")
            self.flatten = nn.Flatten(prefix="flatten_")
            self.fc = nn.Dense(1024, activation="relu", prefix="fc_")
            self.dropout = nn.Dropout(0.7, prefix="dropout_")
            self.output = nn.Dense(num_classes, in_units=1024, prefix="output_")

    def hybrid_forward(self, F, x):
        x = self.fc(self.flatten(self.conv(self.pool(x))))
        return self.output(self.dropout(x))


#: Table 1 of Szegedy et al. 2014: (name, kind, arguments). "conv": (channels, kernel, stride,
#: padding); "maxpool": 3x3/2; "lrn" (only with lrn=True); "inception": the columns
#: (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj). Sizes at 224x224.
GOOGLENET = (
    ("conv1", "conv", (64, 7, 2, 3)),                           # 112x112x64
    ("pool1", "maxpool", (3, 2)),                               # 56x56x64
    ("lrn1", "lrn", ()),
    ("conv2_reduce", "conv", (64, 1, 1, 0)),                    # 56x56x64
    ("conv2", "conv", (192, 3, 1, 1)),                          # 56x56x192
    ("lrn2", "lrn", ()),
    ("pool2", "maxpool", (3, 2)),                               # 28x28x192
    ("inception3a", "inception", (64, 96, 128, 16, 32, 32)),    # 28x28x256
    ("inception3b", "inception", (128, 128, 192, 32, 96, 64)),  # 28x28x480
    ("pool3", "maxpool", (3, 2)),                               # 14x14x480
    ("inception4a", "inception", (192, 96, 208, 16, 48, 64)),   # 14x14x512
    ("inception4b", "inception", (160, 112, 224, 24, 64, 64)),  # 14x14x512
    ("inception4c", "inception", (128, 128, 256, 24, 64, 64)),  # 14x14x512
    ("inception4d", "inception", (112, 144, 288, 32, 64, 64)),  # 14x14x528
    ("inception4e", "inception", (256, 160, 320, 32, 128, 128)),  # 14x14x832
    ("pool4", "maxpool", (3, 2)),                               # 7x7x832
    ("inception5a", "inception", (256, 160, 320, 32, 128, 128)),  # 7x7x832
    ("inception5b", "inception", (384, 192, 384, 48, 128, 128)),  # 7x7x1024
)
#: Where GoogLeNet's auxiliary classifiers branch off.
GOOGLENET_AUX = (("aux1", "inception4a", "googlenet_aux"), ("aux2", "inception4d", "googlenet_aux"))


# --- Inception v3 --------------------------------------------------------------------------

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
        with self.name_scope():
            self.pool = nn.AvgPool2D(5, 3, prefix="pool_")
            self.conv1 = _conv(128, 1, in_channels=in_channels, bn=bn, bn_scale=bn_scale,
                               prefix="conv1_")
            self.conv2 = _conv(768, 5, padding=0, in_channels=128, bn=bn, bn_scale=bn_scale,
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
INCEPTION_V3_AUX = (("aux", "mixed6e", "v3_aux"),)


# --- Inception-v4 and Inception-ResNet-v2 --------------------------------------------------

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


#: Inception-v4 (Figures 3-9; sizes at 299x299). "mixed": branches as in the module docstring.
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

#: The block kinds the tables name, and the class that builds each.
BLOCKS = {
    "inception": lambda c, a, bn, bn_scale, **kw: Inception(
        a[0], a[1:3], a[3:5], a[5], in_channels=c, bn=bn, bn_scale=bn_scale, **kw),
    "mixed": lambda c, a, bn, bn_scale, **kw: Mixed(c, a, bn=bn, bn_scale=bn_scale, **kw),
    "v3_a": InceptionA, "v3_b": InceptionB, "v3_c": InceptionC, "v3_d": InceptionD,
    "v3_e": InceptionE,
    "v4_a": InceptionV4A, "v4_b": InceptionV4B, "v4_c": InceptionV4C,
    "reduction_a": ReductionA, "v4_reduction_b": ReductionB,
    "resnet_a": InceptionResNetA, "resnet_b": InceptionResNetB, "resnet_c": InceptionResNetC,
    "resnet_reduction_b": InceptionResNetReductionB,
}
AUX_HEADS = {"googlenet_aux": GoogLeNetAux, "v3_aux": InceptionAux}


class InceptionNet(HybridBlock):
    """An Inception network built from a table (`GOOGLENET`, `INCEPTION_V3`, `INCEPTION_V4`,
    `INCEPTION_RESNET_V2`).

    ``features`` holds the table's layers then a global average pooling, flatten and dropout;
    ``output`` is the classifier (replace it to fine-tune). With ``aux_logits=True`` the
    auxiliary classifiers (``aux1``, ``aux2`` or ``aux``, counted apart from ``features`` and
    ``output``) branch off the layers `aux` names: in training (``autograd.record()``) the
    network returns ``(main, aux1, ...)``; in prediction the main output only. With auxiliary
    heads the network runs its parts one by one (each hybridized if the network is), so that
    the heads can tap them; export it with ``aux_logits=False``. The first prediction also
    lets the heads infer their parameter shapes without running them, so that
    `d2lcnn.summary` (which predicts) can count them, as its "(not called)" row.

    ``pool_mode`` is how the table's "maxpool" rows treat the border: "ceil" (round the output
    size up, as Caffe), "pad" (padding 1, as d2l) or "valid" (no padding, round down, as
    TensorFlow's VALID).
    """

    def __init__(self, table, num_classes=1000, in_channels=3, batch_norm=True, bn_scale=True,
                 lrn=False, dropout=0.0, aux_logits=False, aux=(), pool_mode="valid",
                 **kwargs):
        super().__init__(**kwargs)
        if pool_mode not in ("ceil", "pad", "valid"):
            raise ValueError(f"pool_mode must be 'ceil', 'pad' or 'valid'; got {pool_mode!r}")
        bn = dict(bn=batch_norm, bn_scale=bn_scale)
        self._aux_taps, self._aux_shapes_known = {}, False
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            channels, taps = in_channels, {}
            with body.name_scope():
                for name, kind, args in table:
                    prefix = f"{name}_"
                    if kind == "conv":
                        layer = _conv(*args, in_channels=channels, prefix=prefix, **bn)
                        out = args[0]
                    elif kind == "maxpool":
                        kernel, strides = args
                        layer = nn.MaxPool2D(kernel, strides, padding=int(pool_mode == "pad"),
                                             ceil_mode=pool_mode == "ceil", prefix=prefix)
                        out = channels
                    elif kind == "lrn":
                        if not lrn:
                            continue
                        layer, out = LRN(prefix=prefix), channels
                    elif kind in BLOCKS:
                        if kind in ("inception", "mixed"):
                            layer = BLOCKS[kind](channels, args, prefix=prefix, **bn)
                        else:
                            layer = BLOCKS[kind](channels, *args, prefix=prefix, **bn)
                        out = layer.out_channels
                    else:
                        raise ValueError(f"unknown layer kind {kind!r} in row {name!r}")
                    setattr(body, name, layer)
                    taps[name] = channels = out
                body.avgpool = nn.GlobalAvgPool2D(prefix="avgpool_")
                body.flatten = nn.Flatten(prefix="flatten_")
                if dropout:
                    body.dropout = nn.Dropout(dropout, prefix="dropout_")
            self.output = nn.Dense(num_classes, in_units=channels, prefix="output_")
            for attr, after, head in (aux if aux_logits else ()):
                if after not in taps:
                    raise ValueError(f"auxiliary classifier {attr!r} taps {after!r}, which is "
                                     f"not a layer of the table")
                setattr(self, attr, AUX_HEADS[head](taps[after], num_classes, prefix=f"{attr}_",
                                                    **bn))
                self._aux_taps.setdefault(after, []).append(attr)

    def forward(self, x, *args):
        if not self._aux_taps or not isinstance(x, NDArray):
            return super().forward(x, *args)
        if not autograd.is_training():  # the main path only; its parts run hybridized
            if self._aux_shapes_known:
                return self.output(self.features(x))
            return self._run_parts(x, infer_heads=True)
        return self._run_parts(x)

    def _run_parts(self, x, infer_heads=False):
        """The table's layers one by one, tapping the auxiliary heads. In training, returns
        ``(main, aux1, ...)``. With ``infer_heads`` (the first prediction), the main output
        only, and the heads learn their parameter shapes by symbolic inference instead of
        running: a deferred shape (GoogLeNet's head's dense layer, whose input size depends
        on the image size) is then known, so that the heads' parameters can be counted
        (`d2lcnn.summary` runs in prediction mode) before the first training step."""
        aux = {}
        for name, layer in self.features._children.items():
            x = layer(x)
            for attr in self._aux_taps.get(name, ()):
                if not infer_heads:
                    aux[attr] = getattr(self, attr)(x)
                    continue
                try:
                    getattr(self, attr).infer_shape(x)
                except MXNetError:  # maps too small for the head: it could not train either
                    pass
        if infer_heads:
            self._aux_shapes_known = all(
                all(d > 0 for d in p.shape)
                for attrs in self._aux_taps.values() for attr in attrs
                for p in getattr(self, attr).collect_params().values())
            return self.output(x)
        heads = [attr for attrs in self._aux_taps.values() for attr in attrs]
        return (self.output(x), *(aux[attr] for attr in sorted(heads)))

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# --- registered networks -------------------------------------------------------------------

_NETS = {
    "googlenet": (GOOGLENET, GOOGLENET_AUX,
                  dict(batch_norm=False, dropout=0.4, pool_mode="ceil")),
    "googlenet_d2l": (GOOGLENET, GOOGLENET_AUX,
                      dict(batch_norm=False, dropout=0.0, pool_mode="pad")),
    "inception_v3": (INCEPTION_V3, INCEPTION_V3_AUX, dict(dropout=0.5)),
    "inception_v4": (INCEPTION_V4, (), dict(dropout=0.2)),
    "inception_resnet_v2": (INCEPTION_RESNET_V2, (), dict(dropout=0.2, bn_scale=False)),
}


def _build(name, num_classes=1000, in_channels=3, **options):
    table, aux, defaults = _NETS[name]
    return InceptionNet(table, num_classes=num_classes, in_channels=in_channels, aux=aux,
                        **{**defaults, **options})


#: GoogLeNet's smallest input side by (pool_mode, aux_logits): the 3x3/2 max-poolings need 3x3
#: maps unless padded, and the auxiliary heads' 5x5/3 pooling needs 5x5 maps out of 4a.
#: (Checked by symbolic shape inference in tests/test_models_inception.py.)
GOOGLENET_MIN_SIZE = {("ceil", False): 47, ("ceil", True): 79, ("pad", False): 1,
                      ("pad", True): 65, ("valid", False): 61, ("valid", True): 93}


def _googlenet_min(options, pool_mode="ceil"):
    return GOOGLENET_MIN_SIZE[(options.get("pool_mode", pool_mode),
                               bool(options.get("aux_logits", False)))]


def _googlenet_d2l_min(options):
    return _googlenet_min(options, pool_mode="pad")


def _v3_min(options):
    """75x75 is the smallest input that leaves 1x1 maps where 299x299 leaves 8x8 ones; the
    auxiliary head needs 17x17 maps out of mixed6e (5x5/3 pooling, then a 5x5 convolution),
    which only 299x299 and more give."""
    return 299 if options.get("aux_logits", False) else 75


@register_model("googlenet", family="inception", input_size=224, min_size=_googlenet_min,
                expected_params=6_998_552,
                source="closed form from Table 1 of Szegedy et al. 2014 (weights and biases, "
                       "no auxiliary classifiers), re-derived layer by layer in "
                       "tests/test_models_inception.py; the paper's Table 1 sums to about 6.8M",
                year=2014, paper="szegedy2015going")
def googlenet(num_classes=1000, in_channels=3, **options):
    """GoogLeNet (Inception v1). Options: lrn, dropout, aux_logits, batch_norm, pool_mode."""
    return _build("googlenet", num_classes, in_channels, **options)


@register_model("googlenet_d2l", family="inception", input_size=96, in_channels=1,
                min_size=_googlenet_d2l_min, expected_params=5_977_530, expected_classes=10,
                source="closed form of d2l's GoogLeNet (Dive into Deep Learning, Sec. 8.4: "
                       "Table 1's widths, 1 input channel, 10 classes), re-derived in "
                       "tests/test_models_inception.py",
                year=2014, paper="szegedy2015going")
def googlenet_d2l(num_classes=10, in_channels=1, **options):
    """d2l's GoogLeNet: Table 1 without LRN and dropout, padded max-poolings (96x96 inputs)."""
    return _build("googlenet_d2l", num_classes, in_channels, **options)


@register_model("inception_v3", family="inception", input_size=299, min_size=_v3_min,
                expected_params=23_834_568,
                source="torchvision.models.inception_v3 without its auxiliary classifier "
                       "(27,161,264 with it); equal to gluoncv.model_zoo.get_model('inceptionv3') "
                       "in tests/test_models_inception.py",
                year=2016, paper="szegedy2016rethinking")
def inception_v3(num_classes=1000, in_channels=3, **options):
    """Inception-v3 as released. Options: aux_logits, dropout, bn_scale."""
    return _build("inception_v3", num_classes, in_channels, **options)


@register_model("inception_v4", family="inception", input_size=299, min_size=75,
                expected_params=42_679_816,
                source="timm's inception_v4 at 1000 classes (model card: 42.7M), re-derived in "
                       "closed form in tests/test_models_inception.py",
                year=2017, paper="szegedy2017inception")
def inception_v4(num_classes=1000, in_channels=3, **options):
    """Inception-v4 (Figures 3-9). Options: dropout, bn_scale."""
    return _build("inception_v4", num_classes, in_channels, **options)


@register_model("inception_resnet_v2", family="inception", input_size=299, min_size=75,
                expected_params=55_813_192,
                source="Keras applications.InceptionResNetV2: 'Trainable params: 55,813,192' "
                       "(55,873,736 in all with the BatchNorm moving statistics; BatchNorm "
                       "without scale), re-derived in closed form in "
                       "tests/test_models_inception.py",
                year=2017, paper="szegedy2017inception")
def inception_resnet_v2(num_classes=1000, in_channels=3, **options):
    """Inception-ResNet-v2 as released (TF-slim / Keras). Options: dropout, bn_scale."""
    return _build("inception_resnet_v2", num_classes, in_channels, **options)
