"""ResNet and ResNeXt (d2lcnn.models.resnet): block counts in closed form, the paper's shapes
and multiply-adds, d2l's ResNet-18, hybridization, and gluon-cv's networks (same outputs)."""

import numpy as onp
import pytest
from mxnet import autograd, init, np
from mxnet.gluon import nn

from d2lcnn.models.resnet import (Bottleneck, Residual, ResNet, resnet_block, resnet_spec)
from d2lcnn.registry import get_model, model_info
import helpers
from helpers import count_macs, import_reference, n_params


def bn(c):  # BatchNorm's trainable parameters: gamma and beta
    return 2 * c


def residual_params(cin, c, proj):
    return 9 * cin * c + bn(c) + 9 * c * c + bn(c) + ((cin * c + bn(c)) if proj else 0)


def bottleneck_params(cin, c, proj, groups=1, bottleneck_width=64):
    w = int(c * bottleneck_width / 64) * groups
    return (cin * w + bn(w) + 9 * w * w // groups + bn(w) + w * 4 * c + bn(4 * c)
            + ((cin * 4 * c + bn(4 * c)) if proj else 0))


def resnet_params(depth, classes=1000, in_channels=3, groups=1, bottleneck_width=64):
    """The count derived from Table 1 alone, stage by stage (as the book does by hand)."""
    kind, blocks, widths = resnet_spec[depth]
    total, cin = 49 * in_channels * 64 + bn(64), 64
    for n, c in zip(blocks, widths):
        for i in range(n):
            if kind == "basic":
                total += residual_params(cin, c, proj=i == 0 and cin != c)
                cin = c
            else:
                total += bottleneck_params(cin, c, i == 0, groups, bottleneck_width)
                cin = 4 * c
    return total + cin * classes + classes


def resnet_macs(depth, size=224, stride_in_1x1=False, groups=1, bottleneck_width=64):
    """Multiply-adds of the convolutions and the dense layer, in closed form (size % 32 == 0)."""
    kind, blocks, widths = resnet_spec[depth]
    total, cin = (size // 2) ** 2 * 49 * 3 * 64, 64
    for k, (n, c) in enumerate(zip(blocks, widths)):
        r = size // 4 // 2 ** k                 # the stage's output side
        for i in range(n):
            r_in = 2 * r if i == 0 and k > 0 else r
            if kind == "basic":
                total += r * r * 9 * (cin * c + c * c) + (r * r * cin * c if cin != c else 0)
                cin = c
            else:
                w = int(c * bottleneck_width / 64) * groups
                r1 = r if stride_in_1x1 else r_in   # where the first 1x1 runs
                total += r1 * r1 * cin * w + r * r * 9 * w * w // groups + r * r * w * 4 * c
                total += r * r * cin * 4 * c if i == 0 else 0
                cin = 4 * c
    return total + cin * 1000


def stage_shapes(net, x):
    shapes = {}
    for name, child in net.features._children.items():
        x = child(x)
        shapes[name] = x.shape[1:]
    return shapes


# --- blocks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cin, c, proj, strides", [(64, 64, False, 1), (64, 128, True, 2),
                                                   (256, 512, True, 2), (32, 32, True, 1)])
def test_residual_count(cin, c, proj, strides):
    blk = Residual(c, use_1x1conv=proj, strides=strides, in_channels=cin)
    assert n_params(blk) == residual_params(cin, c, proj)
    assert n_params(blk, trainable=False) == 2 * (2 * c + (c if proj else 0))  # moving stats
    blk.initialize()
    assert blk(np.ones((2, cin, 8, 8))).shape == (2, c, 8 // strides, 8 // strides)


def test_residual_d2l_interface():
    """d2l's calls work as in the book, with deferred shapes."""
    blk = Residual(3)
    blk.initialize()
    assert blk(np.random.uniform(size=(4, 3, 6, 6))).shape == (4, 3, 6, 6)
    blk = Residual(6, use_1x1conv=True, strides=2)
    blk.initialize()
    assert blk(np.random.uniform(size=(4, 3, 6, 6))).shape == (4, 6, 3, 3)
    with pytest.raises(ValueError, match="use_1x1conv=True"):
        Residual(128, strides=2, in_channels=64)


@pytest.mark.parametrize("cin, c, strides, groups, width", [
    (64, 64, 1, 1, 64), (256, 64, 1, 1, 64), (256, 128, 2, 1, 64),     # ResNet-50
    (64, 64, 1, 32, 4), (1024, 512, 2, 32, 4), (512, 128, 2, 32, 8)])  # ResNeXt
def test_bottleneck_count(cin, c, strides, groups, width):
    proj = strides != 1 or cin != 4 * c
    blk = Bottleneck(c, strides, downsample=proj, groups=groups, bottleneck_width=width,
                     in_channels=cin)
    assert n_params(blk) == bottleneck_params(cin, c, proj, groups, width)
    blk.initialize()
    assert blk(np.ones((1, cin, 4, 4))).shape == (1, 4 * c, 4 // strides, 4 // strides)


def test_resnext_inner_width():
    """ResNeXt-50 32x4d works at 128 channels (32 groups of 4) in conv2_x (Xie et al., Table 1)."""
    blk = Bottleneck(64, groups=32, bottleneck_width=4, downsample=True, in_channels=64)
    assert blk.conv2.weight.shape == (128, 4, 3, 3)
    assert blk.conv3.weight.shape == (256, 128, 1, 1)


def test_stride_placement():
    """v1.5 (default): the stride is on the 3x3; stride_in_1x1: on the first 1x1 (Caffe)."""
    b = Bottleneck(128, 2, downsample=True, in_channels=256)
    assert (b.conv1._kwargs["stride"], b.conv2._kwargs["stride"]) == ((1, 1), (2, 2))
    b = Bottleneck(128, 2, downsample=True, in_channels=256, stride_in_1x1=True)
    assert (b.conv1._kwargs["stride"], b.conv2._kwargs["stride"]) == ((2, 2), (1, 1))
    assert n_params(b) == bottleneck_params(256, 128, True)


def test_resnet_block_d2l():
    first = resnet_block(64, 2, first_block=True)
    later = resnet_block(128, 2)
    assert list(first._children) == ["block1", "block2"]
    assert first.block1.conv3 is None and later.block1.conv3 is not None
    net = nn.HybridSequential()
    net.add(first, later)
    net.initialize()
    assert net(np.ones((1, 64, 56, 56))).shape == (1, 128, 28, 28)


def test_zero_init_residual():
    net = ResNet(50, width=16, zero_init_residual=True)
    net.initialize(init.Xavier())
    for stage in ("conv2_x", "conv5_x"):
        for blk in getattr(net.features, stage)._children.values():
            assert float(np.abs(blk.bn3.gamma.data()).sum()) == 0
            assert float(blk.bn2.gamma.data().min()) == 1
    blk = Residual(8, zero_init=True)
    blk.initialize()
    x = np.random.normal(size=(1, 8, 4, 4))
    assert np.allclose(blk(x), np.maximum(x, 0))  # each block starts as the identity (+ ReLU)


# --- networks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, depth, groups, width", [
    ("resnet18", 18, 1, 64), ("resnet34", 34, 1, 64), ("resnet50", 50, 1, 64),
    ("resnet101", 101, 1, 64), ("resnet152", 152, 1, 64),
    ("resnext50_32x4d", 50, 32, 4), ("resnext101_32x8d", 101, 32, 8)])
def test_counts_closed_form_and_published(name, depth, groups, width):
    expected = model_info(name).expected_params
    assert resnet_params(depth, groups=groups, bottleneck_width=width) == expected
    assert n_params(get_model(name)) == expected
    assert n_params(get_model(name, num_classes=10, in_channels=1)) == resnet_params(
        depth, 10, 1, groups, width)


def test_d2l_resnet18_shapes():
    """get_model('resnet18', num_classes=10, in_channels=1) at 1x1x224x224 has d2l's shapes:
    b1 (conv 7x7/2, BN, ReLU, max-pool 3/2) -> 64x56x56, then 64x56x56, 128x28x28, 256x14x14,
    512x7x7, global average pooling, dense 10 (d2l, section "Residual Networks")."""
    net = get_model("resnet18", num_classes=10, in_channels=1)
    net.initialize()
    x = np.random.uniform(size=(1, 1, 224, 224))
    assert stage_shapes(net, x) == {
        "conv1": (64, 112, 112), "pool1": (64, 56, 56), "conv2_x": (64, 56, 56),
        "conv3_x": (128, 28, 28), "conv4_x": (256, 14, 14), "conv5_x": (512, 7, 7),
        "gap": (512, 1, 1), "flatten": (512,)}
    assert net(x).shape == (1, 10)


def test_d2l_resnet18_against_d2l():
    """d2l's own ResNet-18 (its Residual) has the same shapes; it has 3,008 parameters more:
    every convolution keeps its bias (4,800) and the 1x1 shortcuts have no BatchNorm (-1,792)."""
    d2l = import_reference("d2l.mxnet")
    ref = nn.Sequential()
    b1 = nn.Sequential()
    b1.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3), nn.BatchNorm(),
           nn.Activation("relu"), nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    ref.add(b1)
    for c, first in ((64, True), (128, False), (256, False), (512, False)):
        stage = nn.Sequential()
        for i in range(2):
            stage.add(d2l.Residual(c, use_1x1conv=i == 0 and not first,
                                   strides=2 if i == 0 and not first else 1))
        ref.add(stage)
    ref.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    ref.initialize()
    ours = get_model("resnet18", num_classes=10, in_channels=1)
    ours.initialize()
    x = np.random.uniform(size=(1, 1, 96, 96))  # d2l trains it at 96x96 on Fashion-MNIST
    ref_shapes = []
    y = x
    for layer in ref:
        y = layer(y)
        ref_shapes.append(y.shape[1:])
    ours_shapes = list(stage_shapes(ours, x).values())
    assert ref_shapes[:5] == [ours_shapes[1]] + ours_shapes[2:6]   # b1 (with pool), b2..b5
    assert ours(x).shape == y.shape == (1, 10)
    assert n_params(ref) - n_params(ours) == 4800 - 1792 == 3008


def test_resnet50_shapes():
    net = get_model("resnet50")
    net.initialize()
    shapes = stage_shapes(net, np.zeros((1, 3, 224, 224)))
    assert [shapes[f"conv{k}_x"] for k in range(2, 6)] == [
        (256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]


def test_small_stem_and_width():
    """stem='small': 3x3/1, no max-pooling, for 32x32; width=16 thins every stage 4x."""
    net = get_model("resnet18", num_classes=10, stem="small", width=16)
    assert "pool1" not in net.features._children
    net.initialize()
    shapes = stage_shapes(net, np.zeros((2, 3, 32, 32)))
    assert [shapes[f"conv{k}_x"] for k in range(2, 6)] == [
        (16, 32, 32), (32, 16, 16), (64, 8, 8), (128, 4, 4)]
    c1 = net.features.conv1.conv.weight.shape
    assert c1 == (16, 3, 3, 3)
    with pytest.raises(ValueError, match="stem"):
        ResNet(18, stem="cifar")
    with pytest.raises(ValueError, match="ResNeXt"):
        ResNet(18, groups=32)


def test_smallest_input():
    """Every layer is padded: a 1x1 image runs through (min_size=1)."""
    assert model_info("resnet50").min_size == 1
    net = ResNet(50, width=16)
    net.initialize()
    assert net(np.zeros((1, 3, 1, 1))).shape == (1, 1000)


def test_hybridize_same_outputs():
    for net, shape in ((ResNet(18, 10, stem="small", width=8), (2, 3, 16, 16)),
                       (ResNet(50, 10, width=16, groups=4, bottleneck_width=16), (2, 3, 32, 32))):
        net.initialize(init.Xavier())
        x = np.random.uniform(size=shape)
        eager = net(x)
        net.hybridize()
        assert np.allclose(net(x), eager, rtol=1e-4, atol=1e-6)
        with autograd.record():   # training mode (batch statistics) too
            y = net(x)
        assert y.shape == (2, 10)


def test_macs():
    """The paper's Table 1 FLOPs (multiply-adds) 1.8, 3.6, 3.8, 7.6, 11.3 x 10^9 are those of
    the stride-in-1x1 models, loosely rounded (ours: 1.81, 3.66, 3.86, 7.57, 11.28); the stride
    on the 3x3 (default, v1.5) costs 4.09G for ResNet-50. ResNeXt-50 32x4d: 4.2G (Xie et al.,
    Table 3: 4.2 x 10^9; ours 4.23). The closed form agrees with a forward pass."""
    paper = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
    for depth, gflops in paper.items():
        assert abs(resnet_macs(depth, stride_in_1x1=True) / 1e9 - gflops) < 0.07
    assert resnet_macs(50) == 4_089_184_256
    assert resnet_macs(50, stride_in_1x1=True) == 3_857_973_248
    assert round(resnet_macs(50, groups=32, bottleneck_width=4) / 1e9, 1) == 4.2
    for depth, kw in ((18, {}), (50, {}), (50, {"stride_in_1x1": True}),
                      (50, {"groups": 32, "bottleneck_width": 4})):
        assert count_macs(ResNet(depth, **kw), 64) == resnet_macs(depth, 64, **kw)


# --- gluon-cv ----------------------------------------------------------------------------------

def gluoncv_reference(name, size=224, seed=0):
    """gluon-cv's `name` with random parameters; its convolution biases (v1 only) zeroed:
    see test_gluoncv_v1_is_stride_in_1x1."""
    return helpers.gluoncv_reference(name, size, seed, zero_conv_bias=True)


def load_params(net, params):
    """Set `net`'s parameters from gluon-cv's, in registration order (shapes must agree);
    convolution biases (gluon-cv's v1, zeroed) have no counterpart."""
    params = [p for p in params if not ("conv" in p[0] and p[0].endswith("bias"))]
    ours = list(net.collect_params().values())
    assert len(ours) == len(params)
    for p, (name, value, _) in zip(ours, params):
        assert p.shape == value.shape, (p.name, name)
        p.set_data(np.array(value))


@pytest.mark.parametrize("ours, theirs, size", [("resnet18", "resnet18_v1b", 224),
                                                ("resnet50", "resnet50_v1b", 64),
                                                ("resnext50_32x4d", "resnext50_32x4d", 64)])
def test_same_as_gluoncv(ours, theirs, size):
    """Same parameter count and, with gluon-cv's (random) parameters copied in, the same
    outputs: the same network, stride on the 3x3 included (gluon-cv's v1b / ResNeXt). The
    larger ones run at 64x64 to keep the test light (the counts do not depend on the size)."""
    params, x, y = gluoncv_reference(theirs, size)
    net = get_model(ours)
    net.initialize()
    assert sum(v.size for _, v, trainable in params if trainable) == n_params(net) \
        == model_info(ours).expected_params
    load_params(net, params)
    assert onp.allclose(net(np.array(x)).asnumpy(), y, rtol=1e-3, atol=1e-4)


def test_gluoncv_v1_is_stride_in_1x1():
    """gluon-cv's resnet50_v1 puts the stride on the first 1x1 (the paper's Caffe model): our
    stride_in_1x1=True, the same outputs once its two 1x1 convolutions per block lose their
    biases (18,880 parameters that a BatchNorm makes redundant: 25,575,912 in gluon-cv)."""
    params, x, y = gluoncv_reference("resnet50_v1", size=64)
    biases = sum(v.size for name, v, _ in params if "conv" in name and name.endswith("bias"))
    assert biases == sum(n * (c + 4 * c) for n, c in zip([3, 4, 6, 3], [64, 128, 256, 512]))
    assert sum(v.size for _, v, trainable in params if trainable) - biases == 25_557_032
    net = ResNet(50, stride_in_1x1=True)
    net.initialize()
    load_params(net, params)
    assert onp.allclose(net(np.array(x)).asnumpy(), y, rtol=1e-3, atol=1e-4)
    v15 = ResNet(50)
    v15.initialize()
    load_params(v15, params)
    assert not onp.allclose(v15(np.array(x)).asnumpy(), y, rtol=1e-3, atol=1e-4)


# --- top-level names ---------------------------------------------------------------------------

def test_top_level_exports():
    """The chapter's d2l-style names are importable from d2lcnn itself, with d2l's signatures."""
    import inspect
    import d2lcnn
    from d2lcnn.models import resnet as module
    for name in ("Residual", "Bottleneck", "resnet_block"):
        assert name in dir(d2lcnn)
        assert getattr(d2lcnn, name) is getattr(module, name)
    params = inspect.signature(d2lcnn.resnet_block).parameters
    assert list(params)[:3] == ["num_channels", "num_residuals", "first_block"]
    assert params["first_block"].default is False
    params = inspect.signature(d2lcnn.Residual).parameters
    assert list(params)[:3] == ["num_channels", "use_1x1conv", "strides"]
    assert (params["use_1x1conv"].default, params["strides"].default) == (False, 1)


@pytest.mark.parametrize("make, message", [
    (lambda: Residual(0), "channels must be a whole number >= 1"),
    (lambda: Residual(64, strides=0), "strides must be a whole number >= 1"),
    (lambda: Residual(64, strides=2), "needs use_1x1conv=True"),
    (lambda: Residual(64, in_channels=-1), "in_channels must be a whole number >= 0"),
    (lambda: Bottleneck(64, groups=0), r"groups \(the cardinality\) must be a whole number"),
    (lambda: Bottleneck(16, bottleneck_width=2), "leaves no channels in the 3x3 convolution"),
    (lambda: Bottleneck(64, bottleneck_width=0), "bottleneck_width must be a whole number"),
    (lambda: Bottleneck(64, strides=2), "needs downsample=True"),
    (lambda: resnet_block(64, 0), r"num_residuals \(blocks in the stage\) must be a whole"),
    (lambda: resnet_block(0, 2), "channels must be a whole number >= 1"),
    (lambda: ResNet(20), r"ResNet depth must be one of \[18, 34, 50, 101, 152\]"),
    (lambda: ResNet(18, stem="tiny"), r"stem must be one of \('imagenet', 'small'\)"),
    (lambda: ResNet(18, width=0), r"width \(the base width, 64 in the paper\) must be a whole"),
    (lambda: ResNet(18, width=32.5), "width .* must be a whole number"),
    (lambda: ResNet(18, groups=32), "groups and bottleneck_width .* need a bottleneck depth"),
    (lambda: ResNet(50, groups=0), r"groups \(the cardinality\) must be a whole number"),
    (lambda: ResNet(18, num_classes=0), "num_classes must be a whole number >= 1"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
