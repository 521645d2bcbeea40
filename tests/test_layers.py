"""The shared layers (d2lcnn.layers) and argument checks (d2lcnn.checks): the conv -> BatchNorm ->
activation unit every family builds, its names (which saved parameters and the chapters rely
on), its parameter counts by the closed forms, and the errors nonsense arguments get."""
import numpy as onp
import pytest
from mxnet import init, np
from mxnet.base import MXNetError
from mxnet.gluon import nn

from d2lcnn import arithmetic
from d2lcnn.checks import check_groups, check_int, check_rate, check_size
from d2lcnn.errors import InputShapeError
from d2lcnn.layers import ConvBNAct, ReLU6, SeparableConv2D, conv_bn_act
from helpers import n_params


def test_unit_children_and_parameter_names():
    unit = ConvBNAct(16, 3, in_channels=8, prefix="stem_")
    assert list(unit._children) == ["conv", "bn", "relu"]
    assert [p.name for p in unit.collect_params().values()] == [
        "stem_conv_weight", "stem_bn_gamma", "stem_bn_beta", "stem_bn_running_mean",
        "stem_bn_running_var"]
    assert unit.conv.bias is None   # BatchNorm's shift makes a bias redundant
    # parameters by the closed forms: the convolution without bias, BatchNorm's gamma and beta
    assert n_params(unit) == arithmetic.conv2d_params(8, 16, 3, bias=False) \
        + arithmetic.batchnorm_params(16).trainable
    assert n_params(unit, trainable=False) == arithmetic.batchnorm_params(16).nontrainable


@pytest.mark.parametrize("kernel, padding, size, out", [(3, None, 9, 9), ((1, 7), None, 9, 9),
                                                        (3, 0, 9, 7), (5, 2, 9, 9)])
def test_unit_output_size_follows_the_formula(kernel, padding, size, out):
    unit = ConvBNAct(4, kernel, padding=padding, in_channels=2)
    unit.initialize()
    y = unit(np.zeros((1, 2, size, size)))
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    p = (kh // 2, kw // 2) if padding is None else (padding, padding)
    assert y.shape[2:] == (arithmetic.conv_output_size(size, kh, 1, p[0]),
                           arithmetic.conv_output_size(size, kw, 1, p[1])) == (out, out)


def test_activations_and_linear_unit():
    relu6 = ConvBNAct(4, 1, in_channels=4, activation="relu6")
    assert isinstance(relu6.relu, ReLU6) and relu6.relu.prefix.endswith("relu6_")
    linear = ConvBNAct(4, 1, in_channels=4, activation=None)
    assert list(linear._children) == ["conv", "bn"]
    linear.initialize(init.One())
    x = -np.ones((1, 4, 2, 2))
    assert float(linear(x).max()) < 0    # no activation: negative values pass


def test_relu6_caps_at_six():
    y = ReLU6()(np.array([-3.0, 0.5, 6.0, 9.0]))
    onp.testing.assert_allclose(y.asnumpy(), [0, 0.5, 6, 6])


def test_separable_unit_and_without_batchnorm():
    sep = conv_bn_act(32, 3, in_channels=16, separable=True, prefix="sepconv1_")
    assert list(sep._children) == ["sepconv", "bn", "relu"]
    assert n_params(sep.sepconv) == arithmetic.depthwise_separable_params(16, 32, 3)
    plain = conv_bn_act(8, 5, in_channels=3, batch_norm=False, prefix="conv1_")
    assert isinstance(plain, nn.Conv2D) and plain.act is not None
    assert [p.name for p in plain.collect_params().values()] == ["conv1_weight", "conv1_bias"]
    assert n_params(plain) == arithmetic.conv2d_params(3, 8, 5)


def test_eps_and_scale_reach_batchnorm():
    unit = ConvBNAct(4, 1, in_channels=4, epsilon=1e-3, scale=False)
    assert unit.bn._kwargs["eps"] == 1e-3 and unit.bn.gamma.grad_req == "null"


def test_separable_conv():
    sep = SeparableConv2D(256, 128)
    assert n_params(sep) == arithmetic.depthwise_separable_params(128, 256, 3)
    assert list(sep._children) == ["depthwise", "pointwise"]


@pytest.mark.parametrize("make, message", [
    (lambda: ConvBNAct(0, 3), "channels must be a whole number >= 1"),
    (lambda: ConvBNAct(8, 0), "kernel_size must be a whole number >= 1"),
    (lambda: ConvBNAct(8, (3, 3, 3)), r"kernel_size must be a whole number or an \(h, w\)"),
    (lambda: ConvBNAct(8, 2), "'same' padding keeps the size, which needs an odd kernel"),
    (lambda: ConvBNAct(8, 3, padding=-1), "padding must be a whole number >= 0"),
    (lambda: ConvBNAct(8, 3, strides=0), "strides must be a whole number >= 1"),
    (lambda: ConvBNAct(6, 3, groups=4, in_channels=8), "channels=6 do not split into 4 groups"),
    (lambda: ConvBNAct(8, 3, groups=3, in_channels=8),
     "in_channels=8 and channels=8 do not split into 3 groups"),
    (lambda: ConvBNAct(8, 3, activation="gelu"), "activation must be one of"),
    (lambda: ConvBNAct(8, 3, separable=True, groups=2), "separable convolution sets its own"),
    (lambda: conv_bn_act(8, 3, batch_norm=False, activation="relu6"), "without BatchNorm"),
    (lambda: SeparableConv2D(8, 0), "in_channels must be a whole number >= 1"),
    (lambda: SeparableConv2D(8, 4, kernel_size=4), "use an odd kernel_size"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_kernel_larger_than_its_input_is_an_input_error():
    """The unit says which convolution does not fit and what to do; MXNet alone says "kernel
    size exceed input" (it still does when the unit runs hybridized)."""
    unit = ConvBNAct(4, 5, padding=0, in_channels=2)
    unit.initialize()
    assert unit(np.zeros((1, 2, 5, 5))).shape == (1, 4, 1, 1)      # just fits
    with pytest.raises(InputShapeError, match=r"5x5 convolution .* at least 5x5; got 4x5"):
        unit(np.zeros((1, 2, 4, 5)))
    with pytest.raises(InputShapeError, match=r"\(N, C, H, W\)"):
        unit(np.zeros((2, 5, 5)))
    unit.hybridize()
    with pytest.raises(MXNetError, match="kernel size exceed input"):
        unit(np.zeros((1, 2, 4, 4))).wait_to_read()


@pytest.mark.parametrize("check, args, message", [
    (check_int, (0, "n"), "n must be a whole number >= 1; got 0"),
    (check_int, (True, "n"), "got True"),
    (check_int, (2.0, "n"), "got 2.0"),
    (check_int, (-1, "p", 0), "p must be a whole number >= 0"),
    (check_size, ((2, 0), "k"), "k must be a whole number >= 1"),
    (check_groups, (6, 8, 4), "in_channels=6 do not split into 4 groups"),
    (check_groups, (8, 8, 0), "groups must be a whole number >= 1"),
    (check_rate, (1.0, "dropout"), r"dropout is a dropout rate, a number in \[0, 1\)"),
])
def test_checks(check, args, message):
    with pytest.raises(ValueError, match=message):
        check(*args)


def test_checks_pass_good_values_through():
    assert check_int(3, "n") == 3 and check_size(3, "k") == (3, 3)
    assert check_size((1, 7), "k") == (1, 7) and check_rate(0.5, "dropout") == 0.5
    check_groups(0, 8, 4)   # unknown input channels: MXNet checks them later
