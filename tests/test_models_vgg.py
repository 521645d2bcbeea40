"""VGG (Simonyan & Zisserman 2015): Table 1's configurations, counts vs gluon-cv/torchvision."""
import mxnet as mx
import numpy as onp
import pytest
from mxnet import np

import d2lcnn
from d2lcnn import arithmetic, model_info
from d2lcnn.models.alexnet import LRN
from d2lcnn.models.vgg import CFGS, VGG, vgg11, vgg16, vgg16_c, vgg_block
from helpers import import_reference

NAMES = {"vgg11": "A", "vgg11_lrn": "A-LRN", "vgg13": "B", "vgg16_c": "C", "vgg16": "D",
         "vgg19": "E", "vgg11_bn": "A", "vgg13_bn": "B", "vgg16_bn": "D", "vgg19_bn": "E"}


def trainable(block):
    return sum(int(onp.prod(p.shape)) for p in block.collect_params().values()
               if p.grad_req != "null")


def counted(net, shape=(1, 3, 224, 224)):
    net.infer_shape(np.zeros(shape))
    return trainable(net)


def closed_form(cfg, batch_norm=False, size=224, in_channels=3, num_classes=1000, width=1):
    """Sum over Table 1's layers: k*k*c_in*c_out + c_out (+ 2*c_out for BatchNorm), then the
    dense layers on the (size / 32)^2 * c maps of the last block."""
    total, c, n = 0, in_channels, size
    for layer in cfg:
        if layer == "M":
            n //= 2
        elif layer != "LRN":
            out, k = layer if isinstance(layer, tuple) else (layer, 3)
            out //= width
            total += k * k * c * out + out + (2 * out if batch_norm else 0)
            c = out
    flat = c * n * n
    return total + flat * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * num_classes + num_classes


@pytest.mark.parametrize("name", sorted(NAMES))
def test_counts_equal_closed_form_and_registry(name):
    info = model_info(name)
    expected = closed_form(CFGS[NAMES[name]], batch_norm=name.endswith("_bn"))
    assert counted(info.builder()) == expected == info.expected_params


@pytest.mark.parametrize("name", ["vgg11", "vgg13", "vgg16", "vgg19",
                                  "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"])
def test_counts_equal_gluoncv(name):
    gluoncv = import_reference("gluoncv")
    reference = gluoncv.model_zoo.get_model(name)
    reference.infer_shape(np.zeros((1, 3, 224, 224)))  # shapes only: nothing is allocated
    assert trainable(reference) == counted(model_info(name).builder())


def test_table_two_rounds_to_the_papers_millions():
    # Table 2 of the paper: A, A-LRN 133; B 133; C 134; D 138; E 144 (millions)
    table2 = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    assert {k: round(closed_form(CFGS[k]) / 1e6) for k in table2} == table2


def test_configuration_c_saves_its_1x1_convolutions():
    """C is D with the third convolution of blocks 3-5 a 1x1: each saves (9 - 1) * C^2 weights,
    so the two built networks differ by exactly that, and C rounds to Table 2's 134M."""
    net, d = vgg16_c(), vgg16()
    c_count, d_count = counted(net), counted(d)
    block3, block5 = net.features.block3, net.features.block5
    assert block3.conv3.weight.shape == (256, 256, 1, 1)
    assert trainable(block3.conv3) == arithmetic.conv2d_params(256, 256, 1)
    assert trainable(block5.conv3) == arithmetic.conv2d_params(512, 512, 1)
    one_by_one = [x[0] for x in CFGS["C"] if isinstance(x, tuple)]
    saved = sum((9 - 1) * c * c for c in one_by_one)
    assert d_count - c_count == saved
    assert d_count == model_info("vgg16").expected_params   # torchvision's vgg16
    assert round(c_count / 1e6) == 134                        # the paper's Table 2


def _shapes(seq, shape):
    """Output shape of every child of `seq` by symbolic shape inference (no computation)."""
    x, outs = mx.sym.var("data").as_np_ndarray(), {}
    for name, layer in seq._children.items():
        x = layer(x)
        outs[name] = x
    group = mx.sym.Group([o.as_nd_ndarray() for o in outs.values()])
    _, shapes, _ = group.infer_shape(data=shape)
    return {name: s[1:] for name, s in zip(outs, shapes)}


def test_vgg16_shapes_at_224():
    shapes = _shapes(vgg16().features, (1, 3, 224, 224))
    assert [shapes[f"block{i}"] for i in range(1, 6)] == [
        (64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    assert shapes["flatten"] == (7 * 7 * 512,)
    assert shapes["fc6"] == shapes["fc7"] == (4096,)


def test_real_forward_at_224_with_thin_channels():
    net = vgg16(width=16, num_classes=10)
    net.initialize()
    x = np.zeros((1, 3, 224, 224))
    for i in range(1, 6):
        x = getattr(net.features, f"block{i}")(x)
    assert x.shape == (1, 512 // 16, 7, 7)


def test_vgg_block_is_d2ls():
    block = vgg_block(2, 128)
    assert list(block._children) == ["conv1", "conv2", "pool"]
    block.initialize()
    y = block(np.zeros((1, 64, 16, 16)))
    assert y.shape == (1, 128, 8, 8)
    assert block.conv1._kwargs["kernel"] == (3, 3) and block.conv1._kwargs["pad"] == (1, 1)
    bn = vgg_block(1, 8, batch_norm=True)
    assert list(bn.conv1._children) == ["conv", "bn", "relu"]


def test_a_lrn_has_lrn_after_its_first_convolution():
    net = model_info("vgg11_lrn").builder()
    assert list(net.features.block1._children) == ["conv1", "lrn", "pool"]
    assert isinstance(net.features.block1.lrn, LRN)


def test_d2l_width_divisor_on_fashion_mnist():
    net = vgg11(width=4, in_channels=1, num_classes=10)
    assert net.features.block1.conv1.weight.shape == (16, 1, 3, 3)
    assert counted(net, (1, 1, 224, 224)) == closed_form(CFGS["A"], in_channels=1,
                                                         num_classes=10, width=4)


def test_gap_head():
    net = vgg11(head="gap", num_classes=10)
    assert "fc6" not in net.features._children and "gap" in net.features._children
    assert counted(net, (1, 3, 32, 32)) == closed_form(CFGS["A"]) - (
        512 * 7 * 7 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000) + 512 * 10 + 10



@pytest.mark.parametrize("options", [dict(batch_norm=True), dict(head="gap"),
                                     dict(cfg=CFGS["A-LRN"])])
def test_hybridized_equals_imperative(options):
    cfg = options.pop("cfg", CFGS["C"])
    net = VGG(cfg, num_classes=10, width=16, fc=(32, 32), **options)
    net.initialize()
    x = np.random.uniform(size=(2, 3, 32, 32))
    y = net(x)
    net.hybridize()
    onp.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-4, atol=1e-6)


def _runs(net, size):
    sym = net(mx.sym.var("data").as_np_ndarray()).as_nd_ndarray()
    try:
        sym.infer_shape(data=(1, 3, size, size))
        return True
    except mx.base.MXNetError:
        return False


@pytest.mark.parametrize("name", ["vgg11", "vgg11_lrn", "vgg16_c", "vgg19_bn"])
def test_min_size_is_exact(name):
    info = model_info(name)
    size = info.smallest_input()
    assert _runs(info.builder(), size) and not _runs(info.builder(), size - 1)
    assert _runs(info.builder(head="gap"), size) and not _runs(info.builder(head="gap"),
                                                                size - 1)


def test_vgg_block_is_exported_at_the_top_level():
    assert d2lcnn.vgg_block is vgg_block
    assert "vgg_block" in d2lcnn.__all__


def _kernel_strides(cfg):
    """(kernel, stride) of every layer of a Table 1 column (LRN has no spatial extent)."""
    return [(2, 2) if x == "M" else (x[1] if isinstance(x, tuple) else 3, 1)
            for x in cfg if x != "LRN"]


@pytest.mark.parametrize("key, field", [("A", 150), ("B", 156), ("C", 156), ("D", 212),
                                        ("E", 268)])
def test_receptive_field_after_the_last_pooling(key, field):
    # each 3x3 layer of block b widens the field by 2 * 2**(b-1); a 1x1 layer (C) by nothing
    assert arithmetic.receptive_field(_kernel_strides(CFGS[key])) == (field, 32)


def test_same_macs_where_channels_double_as_maps_halve():
    # blocks 1-4: a convolution that keeps its channels costs 9 * C^2 * H^2 with C * H = 64 * 224
    macs = {arithmetic.conv2d_macs(c, c, 3, 224 * 64 // c, 224 * 64 // c)
            for c in (64, 128, 256, 512)}
    assert macs == {1_849_688_064}


@pytest.mark.parametrize("make, message", [
    (lambda: vgg_block(0, 64), r"num_convs \(convolutions in the block\) must be a whole number"),
    (lambda: vgg_block(2, 0), "num_channels must be a whole number >= 1"),
    (lambda: vgg_block(2, 64.5), "num_channels must be a whole number"),
    (lambda: vgg11(width=0), r"width \(the divisor of the channels\) must be a whole number"),
    (lambda: vgg11(width=1.5), "width .* must be a whole number"),
    (lambda: vgg11(head="conv"), "head must be 'dense' or 'gap'"),
    (lambda: vgg11(dropout=1.0), r"dropout is a dropout rate, a number in \[0, 1\)"),
    (lambda: vgg11(num_classes=0), "num_classes must be a whole number >= 1"),
    (lambda: vgg11(in_channels=0), "in_channels must be a whole number >= 1"),
    (lambda: VGG([64, "M"], fc=(0,)), "fc .* must be a whole number"),
    (lambda: VGG(["M", 64, "M"]), "every VGG block needs a convolution before its 'M'"),
    (lambda: VGG([64, "LRN", "M", "LRN", "M"]), "needs a convolution before its 'M'"),
    (lambda: VGG([64, 64]), "must end with 'M'"),
    (lambda: VGG([64, "X", "M"]), "a VGG configuration holds channel counts"),
    (lambda: VGG([(64, 0), "M"]), "a VGG configuration holds channel counts"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
