"""LeNet-5 as published (LeCun et al. 1998) and d2l's LeNet: counts, shapes, the C3 table."""
import numpy as onp
import pytest
from mxnet import autograd, np, npx
from mxnet.base import MXNetError
from mxnet.gluon import nn

from d2lcnn import InputShapeError, get_model, model_info
from d2lcnn.models.lenet import (C3_TABLE, LENET5, LeNet, PartialConv2D, RBFOutput, ScaledTanh,
                                 Subsampling, lenet, lenet5)
from helpers import import_reference


def trainable(block):
    return sum(int(onp.prod(p.shape)) for p in block.collect_params().values()
               if p.grad_req != "null")


def counted(net, shape):
    """Trainable parameters of `net` once its shapes are inferred for an input `shape`."""
    net.infer_shape(np.zeros(shape))
    return trainable(net)


# --- LeNet-5 as published -----------------------------------------------------------------

# Section II.B of the paper gives each layer's trainable parameters.
PAPER_COUNTS = {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164}


def closed_form_lenet5():
    """The same counts from the layer sizes (weights + biases)."""
    return {
        "c1": 6 * (5 * 5 * 1) + 6,
        "s2": 6 * 2,                                   # a coefficient and a bias per map
        "c3": sum(len(maps) * 5 * 5 + 1 for maps in C3_TABLE),
        "s4": 16 * 2,
        "c5": 120 * (5 * 5 * 16) + 120,
        "f6": 84 * 120 + 84,
    }


def test_lenet5_layer_counts_are_the_papers():
    net = lenet5()
    net.infer_shape(np.zeros((1, 1, 32, 32)))
    ours = {name: trainable(getattr(net.features, name)) for name in PAPER_COUNTS}
    assert ours == PAPER_COUNTS == closed_form_lenet5()
    assert sum(ours.values()) == trainable(net.features) == 60_000  # "about 60,000"
    assert trainable(net.output) == 10 * 84 + 10
    assert trainable(net) == 60_850 == model_info("lenet5").expected_params


def test_lenet5_rbf_output_is_not_trained():
    net = lenet5(output="rbf")
    assert counted(net, (1, 1, 32, 32)) == 60_000
    assert net.output.prototypes.grad_req == "null"
    net.initialize()
    codes = net.output.prototypes.data().asnumpy()
    assert codes.shape == (10, 84) and set(onp.unique(codes)) == {-1.0, 1.0}


def test_rbf_units_are_negative_squared_distances():
    rbf = RBFOutput(3, 4)
    rbf.initialize()
    w = rbf.prototypes.data().asnumpy()
    x = onp.random.RandomState(0).normal(size=(5, 4)).astype("float32")
    expected = -((x[:, None, :] - w[None]) ** 2).sum(-1)
    onp.testing.assert_allclose(rbf(np.array(x)).asnumpy(), expected, rtol=1e-5, atol=1e-5)
    # an input equal to a prototype is classified as that class
    assert int(rbf(np.array(w[1:2])).argmax(axis=1)[0]) == 1


def test_c3_table_is_table_one():
    fan_in = [len(maps) for maps in C3_TABLE]
    assert fan_in == [3] * 6 + [4] * 9 + [6]
    for j in range(6):  # three adjacent maps, cyclically
        assert C3_TABLE[j] == tuple((j + k) % 6 for k in range(3))
    for j in range(6, 12):  # four adjacent maps
        assert C3_TABLE[j] == tuple((j - 6 + k) % 6 for k in range(4))
    for j in range(12, 15):  # four maps, not all adjacent
        assert sorted(C3_TABLE[j]) not in [sorted((s + k) % 6 for k in range(4))
                                           for s in range(6)]
    # every S2 map feeds ten C3 maps: Table I's rows have ten X's each (60 connections)
    uses = onp.bincount([i for maps in C3_TABLE for i in maps], minlength=6)
    assert uses.tolist() == [10] * 6


def test_partial_conv_equals_a_masked_full_convolution():
    c3 = PartialConv2D(C3_TABLE, 5, in_channels=6)
    c3.initialize()
    # the full 16x6x5x5 kernel that the grouped convolutions hold, zero off the table
    full = onp.zeros((16, 6, 5, 5), "float32")
    bias = onp.zeros(16, "float32")
    for conv, group in zip(c3.convs, c3.groups):
        w = conv.weight.data().asnumpy()
        b = conv.bias.data().asnumpy()
        for g, j in enumerate(group):
            full[j, list(C3_TABLE[j])] = w[g]
            bias[j] = b[g]
    x = np.random.normal(size=(2, 6, 14, 14))
    expected = npx.convolution(x, np.array(full), np.array(bias), kernel=(5, 5), num_filter=16)
    onp.testing.assert_allclose(c3(x).asnumpy(), expected.asnumpy(), rtol=1e-4, atol=1e-5)
    assert trainable(c3) == 1516
    assert (onp.abs(full).sum(axis=(2, 3)) > 0).sum() == 60  # exactly the table's connections


def test_partial_conv_rejects_bad_tables_and_reorders_maps():
    with pytest.raises(ValueError, match=r"row 1 of the connection table \(1, 6\) must list"):
        PartialConv2D([(0, 1), (1, 6)], 3, in_channels=6)
    with pytest.raises(ValueError, match="must list distinct input maps in 0..5"):
        PartialConv2D([(0, 0)], 3, in_channels=6)
    # fan-ins out of order: the outputs still come back in the table's order
    table = [(0, 1, 2), (0,), (1, 2)]
    conv = PartialConv2D(table, 1, in_channels=3)
    conv.initialize()
    x = np.random.normal(size=(1, 3, 4, 4))
    y = conv(x).asnumpy()
    for j, maps in enumerate(table):
        group = next(g for g in conv.groups if j in g)
        layer = conv.convs[conv.groups.index(group)]
        w = layer.weight.data().asnumpy()[group.index(j)]            # (fan-in, 1, 1)
        b = layer.bias.data().asnumpy()[group.index(j)]
        expected = (x.asnumpy()[0, list(maps)] * w).sum(0) + b
        onp.testing.assert_allclose(y[0, j], expected, rtol=1e-5, atol=1e-5)


def test_subsampling_adds_scales_and_shifts():
    s = Subsampling(2)
    s.initialize()
    s.weight.set_data(np.array([2.0, -1.0]))
    s.bias.set_data(np.array([0.5, 1.0]))
    x = onp.arange(32, dtype="float32").reshape(1, 2, 4, 4)
    sums = x.reshape(1, 2, 2, 2, 2, 2).sum(axis=(3, 5))
    expected = sums * onp.array([2.0, -1.0]).reshape(1, 2, 1, 1) + \
        onp.array([0.5, 1.0]).reshape(1, 2, 1, 1)
    onp.testing.assert_allclose(s(np.array(x)).asnumpy(), expected)


def test_scaled_tanh():
    f = ScaledTanh()
    y = f(np.array([-1.0, 0.0, 1.0])).asnumpy()
    onp.testing.assert_allclose(y, [-1.0, 0.0, 1.0], atol=2e-4)  # f(+-1) = +-1


def test_lenet5_shapes_are_the_papers():
    net = lenet5()
    net.initialize()
    x = np.zeros((1, 1, 32, 32))
    shapes = {}
    for name, layer in net.features._children.items():
        x = layer(x)
        shapes[name] = x.shape[1:]
    assert shapes == {"c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10),
                      "s4": (16, 5, 5), "c5": (120, 1, 1), "flatten": (120,), "f6": (84,)}
    assert net.output(x).shape == (1, 10)


@pytest.mark.parametrize("activation", ["scaled_tanh", "tanh", "sigmoid", "relu"])
def test_lenet5_activations(activation):
    net = lenet5(activation=activation)
    kinds = {type(layer[1]) for layer in list(net.features._children.values())
             if isinstance(layer, nn.HybridSequential)}
    assert kinds == {ScaledTanh if activation == "scaled_tanh" else nn.Activation}


# --- d2l's LeNet ----------------------------------------------------------------------------

def test_lenet_count_and_shapes():
    net = lenet()
    assert counted(net, (1, 1, 28, 28)) == 61_706 == model_info("lenet").expected_params
    net.initialize()
    x, shapes = np.zeros((1, 1, 28, 28)), {}
    for name, layer in net.features._children.items():
        x = layer(x)
        shapes[name] = x.shape[1:]
    assert shapes == {"conv1": (6, 28, 28), "pool1": (6, 14, 14), "conv2": (16, 10, 10),
                      "pool2": (16, 5, 5), "flatten": (400,), "fc1": (120,), "fc2": (84,)}


def test_lenet_equals_d2l_lenet():
    d2l = import_reference("d2l.mxnet")
    reference = d2l.LeNet()
    reference.net(np.zeros((1, 1, 28, 28)))
    ref_shapes = [p.shape for p in reference.net.collect_params().values()]
    net = lenet()
    net.infer_shape(np.zeros((1, 1, 28, 28)))
    assert [p.shape for p in net.collect_params().values()] == ref_shapes
    assert trainable(net) == sum(int(onp.prod(s)) for s in ref_shapes) == 61_706


def test_lenet_options():
    relu_max = lenet(activation="relu", pool="max")
    assert isinstance(relu_max.features.pool1, nn.MaxPool2D)
    assert isinstance(lenet().features.pool1, nn.AvgPool2D)
    assert relu_max.features.conv1[1]._act_type == "relu"
    with pytest.raises(ValueError, match="pool must be 'avg' or 'max'; got 'sum'"):
        lenet(pool="sum")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        lenet(activation="swish")
    with pytest.raises(ValueError, match="output must be 'dense' or 'rbf'; got 'softmax'"):
        lenet5(output="softmax")


@pytest.mark.parametrize("build,size", [(lenet, 28), (lenet5, 32),
                                        (lambda **kw: lenet5(output="rbf", **kw), 32)])
def test_hybridized_equals_imperative(build, size):
    net = build(activation="relu")
    net.initialize()
    x = np.random.uniform(size=(2, 1, size, size))
    y = net(x)
    net.hybridize()
    onp.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-5)
    with autograd.record():  # and it trains: gradients reach the first layer
        loss = (net(x) ** 2).sum()
    loss.backward()
    first = next(iter(net.collect_params().values()))
    assert float(abs(first.grad()).sum()) > 0


@pytest.mark.parametrize("name", ["lenet", "lenet5"])
def test_min_size_is_exact(name):
    size = model_info(name).smallest_input()
    for build in (model_info(name).builder, lambda **kw: get_model(name, **kw)):
        net = build(num_classes=10)
        net.initialize()
        assert net(np.zeros((1, 1, size, size))).shape == (1, 10)
        # the registry's check (get_model), or MXNet's operator (the bare builder)
        with pytest.raises((InputShapeError, MXNetError)):
            fresh = build(num_classes=10)
            fresh.initialize()
            fresh(np.zeros((1, 1, size - 1, size - 1))).wait_to_read()


def test_wrong_channels_fail_clearly():
    net = get_model("lenet5", num_classes=10)
    net.initialize()
    with pytest.raises(InputShapeError):
        net(np.zeros((1, 3, 32, 32)))
    raw = lenet5(in_channels=3)  # built for 3 channels: the first layer says so
    assert raw.features.c1[0]._in_channels == 3
    assert LeNet(LENET5, in_channels=3).features.c1[0].weight.shape == (6, 3, 5, 5)


@pytest.mark.parametrize("make, message", [
    (lambda: Subsampling(0), "channels must be a whole number >= 1"),
    (lambda: Subsampling(6, pool_size=0), "pool_size must be a whole number >= 1"),
    (lambda: PartialConv2D(C3_TABLE, 0, in_channels=6), "kernel_size must be a whole number"),
    (lambda: PartialConv2D(C3_TABLE, 5, in_channels=0), "in_channels must be a whole number"),
    (lambda: lenet(num_classes=0), "num_classes must be a whole number >= 1"),
    (lambda: lenet5(in_channels=0), "in_channels must be a whole number >= 1"),
    (lambda: LeNet([("x", "weird")]), "unknown layer kind 'weird' in row 'x'"),
    (lambda: RBFOutput(0, 84), r"units \(classes\) must be a whole number >= 1"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
