"""AlexNet (Krizhevsky et al. 2012): closed-form counts, the paper's shapes, LRN."""
import mxnet as mx
import numpy as onp
import pytest
from mxnet import np

from d2lcnn import InputShapeError, get_model, model_info
from d2lcnn.models.alexnet import ALEXNET, AlexNet, LRN, alexnet, alexnet_grouped


def trainable(block):
    return sum(int(onp.prod(p.shape)) for p in block.collect_params().values()
               if p.grad_req != "null")


def closed_form(grouped=False, size=227, padding=0, in_channels=3, num_classes=1000, width=1):
    """Per-layer parameters from the layer sizes: k*k*(c_in/groups)*c_out + c_out."""
    counts, c, n = {}, in_channels, size
    for name, out, k, s, p, groups, _, pool in ALEXNET:
        g, out = (groups if grouped else 1), out // width
        counts[name] = k * k * (c // g) * out + out
        n = (n + 2 * (padding if p is None else p) - k) // s + 1
        if pool:
            n = (n - 3) // 2 + 1
        c = out
    flat = c * n * n
    counts["fc6"] = flat * 4096 + 4096
    counts["fc7"] = 4096 * 4096 + 4096
    counts["fc8"] = 4096 * num_classes + num_classes
    return counts, flat


def framework_counts(net, shape):
    net.infer_shape(np.zeros(shape))
    counts = {name: trainable(getattr(net.features, name))
              for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7")}
    counts["fc8"] = trainable(net.output)
    return counts


def test_single_tower_counts():
    expected, flat = closed_form()
    assert flat == 9216  # 6x6x256 into fc6
    assert expected == {"conv1": 34_944, "conv2": 614_656, "conv3": 885_120,
                        "conv4": 1_327_488, "conv5": 884_992, "fc6": 37_752_832,
                        "fc7": 16_781_312, "fc8": 4_097_000}
    assert framework_counts(alexnet(), (1, 3, 227, 227)) == expected
    assert sum(expected.values()) == 62_378_344 == model_info("alexnet").expected_params


def test_two_gpu_counts():
    expected, _ = closed_form(grouped=True)
    assert (expected["conv2"], expected["conv4"], expected["conv5"]) == \
        (307_456, 663_936, 442_624)  # half the weights of the single tower
    assert framework_counts(alexnet_grouped(), (1, 3, 227, 227)) == expected
    assert sum(expected.values()) == 60_965_224 == model_info("alexnet_grouped").expected_params
    groups = {n: getattr(alexnet_grouped().features, n)._kwargs["num_group"]
              for n in ("conv1", "conv2", "conv3", "conv4", "conv5")}
    assert groups == {"conv1": 1, "conv2": 2, "conv3": 1, "conv4": 2, "conv5": 2}


def test_padding_two_runs_the_papers_224():
    expected, flat = closed_form(size=224, padding=2)
    assert flat == 9216
    net = alexnet(padding=2)
    assert framework_counts(net, (1, 3, 224, 224)) == expected
    assert sum(expected.values()) == 62_378_344


def test_d2l_alexnet_at_224_without_padding():
    """d2l trains AlexNet on 224x224 Fashion-MNIST: 5x5x256 = 6400 into fc6."""
    expected, flat = closed_form(size=224, in_channels=1, num_classes=10)
    assert flat == 6400
    net = alexnet(num_classes=10, in_channels=1)
    assert framework_counts(net, (1, 1, 224, 224)) == expected
    assert sum(expected.values()) == 46_764_746


def test_papers_shapes_at_227():
    net = alexnet(lrn=True)
    body = net.features
    names = ["conv1", "lrn1", "pool1", "conv2", "lrn2", "pool2", "conv3", "conv4", "conv5",
             "pool5", "flatten"]
    for name in names[:-2]:
        if name.startswith("conv"):
            getattr(body, name).initialize()
    x, shapes = np.zeros((1, 3, 227, 227)), {}
    for name in names:
        x = getattr(body, name)(x)
        shapes[name] = x.shape[1:]
    assert shapes == {
        "conv1": (96, 55, 55), "lrn1": (96, 55, 55), "pool1": (96, 27, 27),
        "conv2": (256, 27, 27), "lrn2": (256, 27, 27), "pool2": (256, 13, 13),
        "conv3": (384, 13, 13), "conv4": (384, 13, 13), "conv5": (256, 13, 13),
        "pool5": (256, 6, 6), "flatten": (9216,)}


def naive_lrn(a, n=5, k=2.0, alpha=1e-4, beta=0.75):
    """The paper's formula, literally."""
    b = onp.empty_like(a)
    channels = a.shape[1]
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        b[:, i] = a[:, i] / (k + alpha * (a[:, lo:hi + 1] ** 2).sum(axis=1)) ** beta
    return b


def test_lrn_is_the_papers_formula():
    a = onp.random.RandomState(0).normal(scale=30, size=(2, 7, 3, 4)).astype("float32")
    lrn = LRN()
    onp.testing.assert_allclose(lrn(np.array(a)).asnumpy(), naive_lrn(a), rtol=1e-5)
    lrn.hybridize()
    onp.testing.assert_allclose(lrn(np.array(a)).asnumpy(), naive_lrn(a), rtol=1e-5)
    # MXNet's legacy LRN operator scales alpha by 1/n: alpha=n*1e-4 there is the paper's 1e-4
    legacy = mx.nd.LRN(mx.nd.array(a), alpha=5e-4, beta=0.75, knorm=2.0, nsize=5).asnumpy()
    onp.testing.assert_allclose(lrn(np.array(a)).asnumpy(), legacy, rtol=1e-4)
    assert trainable(lrn) == 0


@pytest.mark.parametrize("options", [dict(), dict(lrn=True, grouped=True)])
def test_hybridized_equals_imperative(options):
    # the paper's layers with narrow dense layers, at the smallest input, to stay fast
    net = AlexNet(ALEXNET, fc=(32, 32), num_classes=10, **options)
    net.initialize()
    x = np.random.uniform(size=(2, 3, 67, 67))
    y = net(x)
    net.hybridize()
    onp.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-4, atol=1e-6)


def test_children_are_named_and_the_head_is_replaceable():
    net = alexnet(num_classes=10)
    assert list(net.features._children) == [
        "conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5", "flatten",
        "fc6", "drop6", "fc7", "drop7"]
    assert "lrn1" in alexnet(lrn=True).features._children
    assert net.features.conv1.weight.shape == (96, 3, 11, 11)  # in_channels set explicitly
    net.output = mx.gluon.nn.Dense(2, in_units=4096)
    assert trainable(net.output) == 4096 * 2 + 2


def _graph(net):
    return net(mx.sym.var("data").as_np_ndarray()).as_nd_ndarray()


def _runs(sym, size):
    try:
        sym.infer_shape(data=(1, 3, size, size))
        return True
    except mx.base.MXNetError:
        return False


@pytest.mark.parametrize("name,padding", [("alexnet", 0), ("alexnet", 1), ("alexnet", 2),
                                          ("alexnet_grouped", 0)])
def test_min_size_is_exact(name, padding):
    size = model_info(name).smallest_input({"padding": padding})
    assert size == 67 - 2 * padding
    sym = _graph(model_info(name).builder(padding=padding))
    assert _runs(sym, size) and not _runs(sym, size - 1)


def test_get_model_rejects_small_inputs():
    net = get_model("alexnet", num_classes=10)
    with pytest.raises(InputShapeError, match="too small for alexnet"):
        net(np.zeros((1, 3, 66, 66)))


def test_width_divides_every_convolution():
    net = alexnet(num_classes=10, in_channels=1, width=4)
    net.initialize()
    net(np.zeros((1, 1, 96, 96)))
    widths = [getattr(net.features, row[0]).weight.shape[0] for row in ALEXNET]
    assert widths == [row[1] // 4 for row in ALEXNET]
    assert net.features.fc6.weight.shape[0] == 4096  # the dense layers keep their width
    # conv2's input is conv1's thinner output
    assert net.features.conv2.weight.shape[1] == ALEXNET[0][1] // 4


@pytest.mark.parametrize("width", [0, 3, 2.0, "4"])
def test_width_that_does_not_divide_is_refused(width):
    with pytest.raises(ValueError, match="width divides every convolution"):
        alexnet(width=width)


@pytest.mark.parametrize("grouped", [False, True])
def test_width_counts_match_the_closed_form(grouped):
    """The CPU recipe's network (width=4, 96x96, one channel, 10 classes), layer by layer."""
    expected, flat = closed_form(grouped=grouped, size=96, in_channels=1, num_classes=10,
                                 width=4)
    assert flat == 64  # pool5 leaves 1x1 maps of 256 // 4 channels
    net = (alexnet_grouped if grouped else alexnet)(num_classes=10, in_channels=1, width=4)
    assert framework_counts(net, (1, 1, 96, 96)) == expected
    assert expected["fc7"] == 4096 * 4096 + 4096  # the dense layers keep their width


def test_width_must_leave_channels_the_groups_can_split():
    net = alexnet_grouped(num_classes=10, in_channels=1, width=16)  # 6, 16, 24, 24, 16: even
    net.initialize()
    assert net(np.zeros((1, 1, 67, 67))).shape == (1, 10)
    alexnet(width=32)  # one tower: 3, 8, 12, 12, 8 channels are fine
    with pytest.raises(ValueError, match=r"\['conv2'\] do not split"):
        alexnet_grouped(width=32)  # conv2 would read conv1's 3 channels in 2 groups


def test_width_error_names_the_channels():
    with pytest.raises(ValueError, match=r"\[96, 256, 384, 384, 256\].*got 5"):
        alexnet(width=5)


@pytest.mark.parametrize("make, message", [
    (lambda: LRN(n=4), "LRN needs an odd window size n"),
    (lambda: LRN(n=0), "LRN needs an odd window size n"),
    (lambda: LRN(n=2.5), "LRN needs an odd window size n"),
    (lambda: LRN(k=-1), "LRN's k must be a number >= 0"),
    (lambda: LRN(beta="0.75"), "LRN's beta must be a number >= 0"),
    (lambda: alexnet(width=3), "width divides every convolution's channels"),
    (lambda: alexnet(width=0), "width divides every convolution's channels"),
    (lambda: alexnet(padding=-2), r"padding \(of conv1\) must be a whole number >= 0"),
    (lambda: alexnet(dropout=-0.5), r"dropout is a dropout rate, a number in \[0, 1\)"),
    (lambda: alexnet(num_classes=0), "num_classes must be a whole number >= 1"),
    (lambda: alexnet(in_channels=-1), "in_channels must be a whole number >= 1"),
    (lambda: alexnet_grouped(in_channels=3, width=32), "do not split into their groups"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
