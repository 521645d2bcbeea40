"""MobileNet v1 and v2 (d2lcnn.models.mobilenet): block counts in closed form, the papers'
parameter and multiply-add tables (width and resolution multipliers), shapes, hybridization,
and gluon-cv's networks (same outputs)."""
import math

import numpy as onp
import pytest
from mxnet import autograd, init, np
from mxnet.gluon import nn

from d2lcnn.models.mobilenet import (MOBILENET_V1, MOBILENET_V2, DepthwiseSeparable,
                                     InvertedResidual, MobileNet, MobileNetV2, make_divisible)
from d2lcnn.registry import get_model, model_info
from helpers import count_macs, gluoncv_reference, n_params


def v1_table(alpha=1.0, size=224, classes=1000):
    """(parameters, multiply-adds) of MobileNet v1 from Table 1 alone (BatchNorm: 2 per
    channel; every layer pads, so a stride-2 layer gives ceil(side / 2))."""
    c = int(32 * alpha)
    side = math.ceil(size / 2)
    params, macs = 27 * c + 2 * c, side * side * 27 * c
    for s, out in MOBILENET_V1:
        out = int(out * alpha)
        side = math.ceil(side / s)
        params += 9 * c + 2 * c + c * out + 2 * out
        macs += side * side * (9 * c + c * out)
        c = out
    return params + c * classes + classes, macs + c * classes


def v2_table(alpha=1.0, size=224, classes=1000):
    """(parameters, multiply-adds) of MobileNetV2 from Table 2 alone."""
    c = make_divisible(32 * alpha)
    side = math.ceil(size / 2)
    params, macs = 27 * c + 2 * c, side * side * 27 * c
    for t, ch, n, s in MOBILENET_V2:
        out = make_divisible(ch * alpha)
        for i in range(n):
            h = c * t
            side_in, side = side, math.ceil(side / (s if i == 0 else 1))
            if t != 1:
                params += c * h + 2 * h
                macs += side_in * side_in * c * h
            params += 9 * h + 2 * h + h * out + 2 * out
            macs += side * side * (9 * h + h * out)
            c = out
    last = make_divisible(1280 * max(1.0, alpha))
    params += c * last + 2 * last + last * classes + classes
    macs += side * side * c * last + last * classes
    return params, macs


# --- blocks ------------------------------------------------------------------------------------

def test_depthwise_separable():
    blk = DepthwiseSeparable(32, 64)
    assert n_params(blk) == 9 * 32 + 2 * 32 + 32 * 64 + 2 * 64
    assert blk.depthwise.conv.weight.shape == (32, 1, 3, 3)
    # the paper's Section 3.1: against a standard 3x3 convolution, the separable one has
    # 1/N + 1/D_K^2 of the weights (and of the multiply-adds)
    full = nn.Conv2D(64, 3, use_bias=False, in_channels=32)
    separable = n_params(blk.depthwise.conv) + n_params(blk.pointwise.conv)
    assert separable / n_params(full) == pytest.approx(1 / 64 + 1 / 3 ** 2)
    blk = DepthwiseSeparable(32, 64, strides=2)
    blk.initialize()
    assert blk(np.ones((1, 32, 7, 7))).shape == (1, 64, 4, 4)


@pytest.mark.parametrize("cin, c, s, t, residual", [(32, 16, 1, 1, False), (16, 24, 2, 6, False),
                                                    (24, 24, 1, 6, True), (96, 96, 1, 6, True)])
def test_inverted_residual(cin, c, s, t, residual):
    blk = InvertedResidual(cin, c, s, t)
    h = cin * t
    expand = cin * h + 2 * h if t != 1 else 0
    assert n_params(blk) == expand + 9 * h + 2 * h + h * c + 2 * c
    assert blk.use_residual is residual and (blk.expand is None) == (t == 1)
    assert "relu" not in blk.project._children             # the linear bottleneck
    blk.initialize(init.Xavier())
    x = np.random.normal(size=(1, cin, 8, 8)) * 100
    y = blk(x)
    assert y.shape == (1, c, 8 // s, 8 // s)
    assert float(blk.depthwise(blk.expand(x) if blk.expand else x).max()) <= 6  # ReLU6


def test_make_divisible():
    """The reference code's rounding: to the nearest multiple of 8, never below 90%."""
    assert [make_divisible(v) for v in (32, 24, 16 * 0.35, 32 * 0.35, 24 * 0.75, 1280 * 1.4)] \
        == [32, 24, 8, 16, 24, 1792]
    assert make_divisible(20) == 24 and make_divisible(3) == 8
    assert make_divisible(19) == 24   # 16 would lose 16%


# --- MobileNet v1 ------------------------------------------------------------------------------

def test_v1_count_published():
    net = get_model("mobilenet_v1")
    assert n_params(net) == v1_table()[0] == model_info("mobilenet_v1").expected_params \
        == 4_231_976
    assert n_params(net) + n_params(net, trainable=False) == 4_253_864   # Keras' total


@pytest.mark.parametrize("alpha, paper_macs, paper_params", [
    (1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)])
def test_v1_width_multiplier(alpha, paper_macs, paper_params):
    """Howard et al., Table 6 (224x224): million multiply-adds and parameters."""
    params, macs = v1_table(alpha)
    assert n_params(MobileNet(alpha=alpha)) == params
    assert round(macs / 1e6) == paper_macs
    assert round(params / 1e6, 1) == paper_params


@pytest.mark.parametrize("size, paper_macs", [(224, 569), (192, 418), (160, 290), (128, 186)])
def test_v1_resolution_multiplier(size, paper_macs):
    """Howard et al., Table 7 (alpha 1.0): the resolution multiplier changes the multiply-adds,
    not the parameters (4.2M in every row). 160x160 gives 290.68M: the paper prints 290
    (TF-slim's table of the released checkpoints, 291); the others round to the paper's."""
    from d2lcnn import summary
    macs = v1_table(size=size)[1]
    assert abs(macs / 1e6 - paper_macs) < 1
    if size != 160:
        assert round(macs / 1e6) == paper_macs
    report = summary(get_model("mobilenet_v1"), (3, size, size))   # really at that size
    assert report.macs == macs
    assert report.trainable_params == model_info("mobilenet_v1").expected_params


def test_v1_macs_measured():
    """The closed form is what the network computes: 568,740,352 multiply-adds at 1.0-224."""
    assert v1_table()[1] == 568_740_352
    assert count_macs(MobileNet(), 224) == 568_740_352
    assert count_macs(MobileNet(alpha=0.25), 128) == v1_table(0.25, 128)[1]


def test_v1_shapes():
    net = get_model("mobilenet_v1")
    net.initialize()
    x = np.zeros((1, 3, 224, 224))
    sides = []
    for name, layer in net.features._children.items():
        x = layer(x)
        sides.append(x.shape[1:])
    assert sides[0] == (32, 112, 112)
    assert sides[1:14] == [(64, 112, 112), (128, 56, 56), (128, 56, 56), (256, 28, 28),
                           (256, 28, 28)] + [(512, 14, 14)] * 6 + [(1024, 7, 7)] * 2
    assert net.output(x).shape == (1, 1000)


# --- MobileNetV2 -------------------------------------------------------------------------------

def test_v2_count_published():
    net = get_model("mobilenet_v2")
    assert n_params(net) == v2_table()[0] == model_info("mobilenet_v2").expected_params \
        == 3_504_872
    assert n_params(net) + n_params(net, trainable=False) == 3_538_984   # Keras' total
    assert sum(len(s._children) for k, s in net.features._children.items()
               if k.startswith("stage")) == 17


@pytest.mark.parametrize("alpha, size, slim_macs", [
    (1.4, 224, 582), (1.3, 224, 509), (1.0, 224, 300), (1.0, 192, 221), (1.0, 160, 154),
    (1.0, 128, 99), (1.0, 96, 56), (0.75, 224, 209), (0.5, 224, 97), (0.35, 224, 59)])
def test_v2_macs(alpha, size, slim_macs):
    """The authors' table of released checkpoints (TF-slim mobilenet/README.md), million
    multiply-adds, truncated: 1.0-224 is 300.77M, printed 300 there and in the paper's Table 3
    (every other entry is the same rounded or truncated)."""
    assert math.floor(v2_table(alpha, size)[1] / 1e6) == slim_macs


def test_v2_width_multiplier_counts():
    """Counts with channels rounded to multiples of 8; the last convolution stays 1280 below 1."""
    for alpha in (1.4, 0.75, 0.35):
        net = MobileNetV2(alpha=alpha)
        assert n_params(net) == v2_table(alpha)[0]
        assert net.output.weight.shape[1] == (1792 if alpha == 1.4 else 1280)
    assert MobileNetV2(alpha=0.35).features.conv1.conv.weight.shape[0] == 16


def test_v2_macs_measured_and_shapes():
    net = MobileNetV2()
    assert count_macs(net, 224) == v2_table()[1] == 300_774_272
    x = net.features.conv1(np.zeros((1, 3, 224, 224)))
    sides = [x.shape[1:]]
    for k in range(1, 8):
        x = getattr(net.features, f"stage{k}")(x)
        sides.append(x.shape[1:])
    # Table 2: 112x112x32, then 16@112, 24@56, 32@28, 64@14, 96@14, 160@7, 320@7
    assert sides == [(32, 112, 112), (16, 112, 112), (24, 56, 56), (32, 28, 28), (64, 14, 14),
                     (96, 14, 14), (160, 7, 7), (320, 7, 7)]
    assert net.features.conv2(x).shape == (1, 1280, 7, 7)


# --- both --------------------------------------------------------------------------------------

def test_smallest_input_and_options():
    for name in ("mobilenet_v1", "mobilenet_v2"):
        assert model_info(name).min_size == 1
    for net in (MobileNet(10, alpha=0.25), MobileNetV2(10, alpha=0.35)):
        net.initialize()
        assert net(np.zeros((1, 3, 1, 1))).shape == (1, 10)
    assert n_params(get_model("mobilenet_v1", num_classes=10, in_channels=1)) == \
        v1_table(classes=10)[0] - 2 * 9 * 32


def test_hybridize_same_outputs():
    for net in (MobileNet(10, alpha=0.25), MobileNetV2(10, alpha=0.35)):
        net.initialize(init.Xavier())
        x = np.random.uniform(size=(2, 3, 32, 32))
        eager = net(x)
        net.hybridize()
        assert np.allclose(net(x), eager, rtol=1e-4, atol=1e-6)
        with autograd.record():
            assert net(x).shape == (2, 10)


def test_v1_same_as_gluoncv():
    """gluon-cv's mobilenet1.0 is the same network: same count, same outputs."""
    params, x, y = gluoncv_reference("mobilenet1.0")
    net = get_model("mobilenet_v1")
    net.initialize()
    assert sum(v.size for _, v, t in params if t) == n_params(net)
    ours = list(net.collect_params().values())
    assert len(ours) == len(params)
    for p, (_, value, _) in zip(ours, params):
        p.set_data(np.array(value))
    assert onp.allclose(net(np.array(x)).asnumpy(), y, rtol=1e-3, atol=1e-4)


def test_v2_same_as_gluoncv_but_head():
    """gluon-cv's mobilenetv2_1.0 classifies with a 1x1 convolution without bias: 1,000
    parameters fewer (3,503,872); with a zero bias, the same outputs."""
    params, x, y = gluoncv_reference("mobilenetv2_1.0")
    net = get_model("mobilenet_v2")
    net.initialize()
    assert sum(v.size for _, v, t in params if t) == n_params(net) - 1000 == 3_503_872
    ours = list(net.collect_params().values())
    assert len(ours) == len(params) + 1   # + our classifier's bias
    for p, (_, value, _) in zip(ours[:-2], params[:-1]):
        p.set_data(np.array(value))
    net.output.weight.set_data(np.array(params[-1][1].reshape(1000, 1280)))
    net.output.bias.set_data(np.zeros(1000))
    assert onp.allclose(net(np.array(x)).asnumpy(), y, rtol=1e-3, atol=1e-4)


# --- the block at the top level, and its cost -----------------------------------------------

def test_depthwise_separable_exported():
    """The chapter's block is importable as d2lcnn.DepthwiseSeparable (and from d2lcnn.blocks)."""
    import d2lcnn
    from d2lcnn import blocks
    assert d2lcnn.DepthwiseSeparable is DepthwiseSeparable is blocks.DepthwiseSeparable
    assert "DepthwiseSeparable" in dir(d2lcnn)


@pytest.mark.parametrize("cin, c, side, s", [(32, 64, 112, 1), (64, 128, 112, 2),
                                             (512, 512, 14, 1), (512, 1024, 14, 2)])
def test_depthwise_separable_cost_formula(cin, c, side, s):
    """Section 3.1: D_K^2 M D_F^2 + M N D_F^2 multiply-adds (D_F the output side) against
    D_K^2 M N D_F^2 for a full convolution, a ratio of 1/N + 1/D_K^2; d2lcnn.summary of the
    real layer agrees, and BatchNorm adds 2 trainable parameters per channel of each part."""
    from d2lcnn import arithmetic, summary
    out = -(-side // s)
    sep = 9 * cin * out * out + cin * c * out * out
    full = 9 * cin * c * out * out
    assert sep / full == pytest.approx(1 / c + 1 / 9)
    assert arithmetic.separable_cost_ratio(c, 3) == pytest.approx(sep / full)
    assert arithmetic.depthwise_separable_macs(cin, c, 3, out, out) == sep
    report = summary(DepthwiseSeparable(cin, c, s), (cin, side, side))
    assert report.macs == sep
    assert report.trainable_params == arithmetic.depthwise_separable_params(cin, c, 3) \
        + 2 * cin + 2 * c


@pytest.mark.parametrize("make, message", [
    (lambda: DepthwiseSeparable(0, 64), "in_channels must be a whole number >= 1"),
    (lambda: DepthwiseSeparable(32, 0), "channels must be a whole number >= 1"),
    (lambda: DepthwiseSeparable(32, 64, strides=0), "strides must be a whole number >= 1"),
    (lambda: DepthwiseSeparable(32, 64, activation="gelu"), "activation must be one of"),
    (lambda: InvertedResidual(0, 16), "in_channels must be a whole number >= 1"),
    (lambda: InvertedResidual(16, 16, expansion=0), r"expansion \(t\) must be a positive"),
    (lambda: InvertedResidual(16, 16, expansion="6"), r"expansion \(t\)"),
    (lambda: MobileNet(alpha=0), r"alpha \(the width multiplier\) must be a positive number"),
    (lambda: MobileNet(alpha=-0.5), "alpha .* must be a positive number"),
    (lambda: MobileNet(alpha=True), "alpha .* must be a positive number"),
    (lambda: MobileNet(alpha=0.01), "alpha=0.01 leaves no channels of 32"),
    (lambda: MobileNet(activation="gelu"), "activation must be one of"),
    (lambda: MobileNet(num_classes=0), "num_classes must be a whole number >= 1"),
    (lambda: MobileNetV2(alpha="1.0"), "alpha .* must be a positive number"),
    (lambda: MobileNetV2(dropout=1.5), r"dropout is a dropout rate, a number in \[0, 1\)"),
    (lambda: MobileNetV2(in_channels=0), "in_channels must be a whole number >= 1"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
