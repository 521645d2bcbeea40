"""The closed forms of d2lcnn.arithmetic against what MXNet builds and what summary() counts."""
import itertools
import math

import pytest
from mxnet import autograd, init, np, npx
from mxnet.gluon import nn

from d2lcnn.arithmetic import (ParamCount, ReceptiveField, batchnorm_params, conv2d_macs,
                               conv2d_params, conv_output_size, dense_macs, dense_params,
                               depthwise_separable_macs, depthwise_separable_params,
                               pool_output_size, receptive_field, separable_cost_ratio)
from d2lcnn.summary import count_params, summary


def _run(block, shape):
    """Output shape of `block` on zeros, or None if MXNet refuses the configuration."""
    try:
        y = block(np.zeros(shape))
        npx.waitall()
        return y.shape
    except Exception:  # noqa: BLE001  (MXNetError, raised when the engine runs the op)
        return None


def _formula(f, *args, **kwargs):
    try:
        return f(*args, **kwargs)
    except ValueError:
        return None


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


# ------------------------------------------------------------------------------ output sizes

@pytest.mark.parametrize("k", [1, 2, 3, 5, (1, 3), (5, 2)])
def test_conv_output_size_matches_mxnet(k):
    """Every combination of size, stride, padding and dilation, including ones that do not
    fit (the formula raises exactly when MXNet refuses)."""
    for n, s, p, d in itertools.product((1, 3, 7, 8, 13), (1, 2, 3), (0, 1, 2), (1, 2)):
        conv = nn.Conv2D(1, k, strides=s, padding=p, dilation=d, in_channels=1)
        conv.initialize()
        shape = _run(conv, (1, 1, n, n))
        ours = _formula(conv_output_size, (n, n), k, s, p, d)
        assert ours == (None if shape is None else shape[2:]), (n, k, s, p, d)


def test_conv_output_size_non_square_everything():
    conv = nn.Conv2D(2, (3, 5), strides=(2, 1), padding=(1, 0), dilation=(1, 2), in_channels=1)
    conv.initialize()
    assert _run(conv, (1, 1, 17, 30))[2:] == conv_output_size((17, 30), (3, 5), (2, 1), (1, 0),
                                                              (1, 2)) == (9, 22)


def test_conv_output_size_known_values():
    assert conv_output_size(227, 11, 4) == 55        # AlexNet conv1
    assert conv_output_size(224, 11, 4, 2) == 55     # ... with the padding 224 needs
    assert conv_output_size(224, 7, 2, 3) == 112     # ResNet stem
    assert conv_output_size(32, 3, 1, 2, 2) == 32    # dilation 2 with padding 2 keeps the size
    assert isinstance(conv_output_size(8, 3), int)
    assert conv_output_size(8, (3, 3)) == (6, 6)


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_output_size_matches_mxnet(ceil_mode):
    for n, k, s, p in itertools.product((1, 2, 5, 7, 8, 13), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2)):
        pool = nn.MaxPool2D(k, s, p, ceil_mode=ceil_mode)
        shape = _run(pool, (1, 1, n, n))
        ours = _formula(pool_output_size, n, k, s, p, ceil_mode=ceil_mode)
        assert ours == (None if shape is None else shape[2]), (n, k, s, p, ceil_mode)


def test_pool_output_size_conventions():
    assert pool_output_size(112, 3, 2) == 55                   # floor ('valid')
    assert pool_output_size(112, 3, 2, ceil_mode=True) == 56   # ceil ('full', GoogLeNet)
    assert pool_output_size(8, 2) == 4                         # stride defaults to the window
    assert pool_output_size((8, 9), (2, 3)) == (4, 3)
    assert _run(nn.AvgPool2D((2, 3), ceil_mode=True), (1, 1, 7, 7))[2:] == \
        pool_output_size(7, (2, 3), ceil_mode=True) == (4, 3)


# ------------------------------------------------------------------------------- parameters

def _framework_count(block, trainable_only=False):
    """Sum of p.data().size over the block's parameters (after one forward pass)."""
    return sum(p.data().size for p in block.collect_params().values()
               if not trainable_only or p.grad_req != "null")


CONV_GRID = [
    # c_in, c_out, kernel, groups, stride, padding, dilation
    (3, 8, 3, 1, 1, 1, 1),
    (3, 8, 1, 1, 1, 0, 1),
    (4, 6, (1, 3), 1, 1, (0, 1), 1),    # non-square (Inception v3's factorised kernels)
    (4, 6, (5, 2), 2, 2, 0, 1),         # grouped, strided, non-square
    (8, 8, 3, 8, 1, 1, 1),              # depthwise
    (8, 16, 3, 8, 2, 1, 1),             # depthwise with a multiplier of 2, strided
    (6, 12, 3, 3, 1, 2, 2),             # grouped, dilated
    (12, 24, 7, 4, 3, 3, 1),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("c_in,c_out,k,groups,s,p,d", CONV_GRID)
def test_conv2d_params_and_macs_match_mxnet(c_in, c_out, k, groups, s, p, d, bias):
    conv = nn.Conv2D(c_out, k, strides=s, padding=p, dilation=d, groups=groups,
                     use_bias=bias, in_channels=c_in)
    conv.initialize()
    n = 15
    out = _run(conv, (1, c_in, n, n))
    assert _framework_count(conv) == conv2d_params(c_in, c_out, k, groups, bias)
    h, w = conv_output_size(n, _pair(k), s, p, d)
    assert out == (1, c_out, h, w)
    (row,) = summary(conv, (c_in, n, n)).rows
    assert row.params == conv2d_params(c_in, c_out, k, groups, bias)
    assert row.macs == conv2d_macs(c_in, c_out, k, h, w, groups)


def test_conv2d_closed_forms_known_values():
    assert conv2d_params(3, 64, 3) == 1_792             # VGG conv1_1
    assert conv2d_params(3, 96, 11) == 34_944           # AlexNet conv1
    assert conv2d_params(48, 256, 5, bias=False) == 307_200
    assert conv2d_params(96, 256, 5, groups=2) == 307_456   # AlexNet's two-GPU conv2
    assert conv2d_macs(3, 64, 3, 224, 224) == 86_704_128
    assert conv2d_macs(32, 32, 3, 10, 10, groups=32) == 28_800


@pytest.mark.parametrize("n_in,n_out,bias", [(1, 1, True), (784, 10, True), (9216, 4096, False)])
def test_dense_matches_mxnet(n_in, n_out, bias):
    dense = nn.Dense(n_out, use_bias=bias, in_units=n_in)
    dense.initialize()
    assert _framework_count(dense) == dense_params(n_in, n_out, bias)
    (row,) = summary(dense, (n_in,)).rows
    assert (row.params, row.macs) == (dense_params(n_in, n_out, bias), dense_macs(n_in, n_out))
    assert dense_params(9216, 4096) == 37_752_832       # AlexNet fc6


@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False),
                                          (False, False)])
@pytest.mark.parametrize("c", [1, 64])
def test_batchnorm_params_matches_mxnet(c, center, scale):
    bn = nn.BatchNorm(center=center, scale=scale, in_channels=c)
    bn.initialize()
    bn(np.zeros((1, c, 2, 2)))
    counted = batchnorm_params(c, center, scale)
    assert counted == ParamCount(_framework_count(bn, trainable_only=True),
                                 _framework_count(bn) - _framework_count(bn, True))
    assert counted.total == _framework_count(bn) == 4 * c
    assert (count_params(bn), count_params(bn, trainable_only=False)) == \
        (counted.trainable, counted.total)
    s = summary(bn, (c, 2, 2))
    assert (s.trainable_params, s.nontrainable_params) == counted
    if center and scale:
        assert counted == (2 * c, 2 * c)


# -------------------------------------------------------------------- depthwise separable

@pytest.mark.parametrize("c_in,c_out,k,stride", [(32, 64, 3, 1), (16, 24, 5, 2), (8, 8, (3, 1), 1),
                                                 (728, 728, 3, 1)])
def test_depthwise_separable_matches_mxnet(c_in, c_out, k, stride):
    n = 12
    block = nn.HybridSequential()
    block.add(nn.Conv2D(c_in, k, strides=stride, padding=(_pair(k)[0] // 2, _pair(k)[1] // 2),
                        groups=c_in, use_bias=False, in_channels=c_in),
              nn.Conv2D(c_out, 1, use_bias=False, in_channels=c_in))
    block.initialize()
    s = summary(block, (c_in, n, n))
    h, w = s.rows[-1].output_shape[2:]
    assert _framework_count(block) == s.total_params == depthwise_separable_params(c_in, c_out, k)
    assert s.macs == depthwise_separable_macs(c_in, c_out, k, h, w)
    full_macs = conv2d_macs(c_in, c_out, k, h, w)
    full_params = conv2d_params(c_in, c_out, k, bias=False)
    ratio = separable_cost_ratio(c_out, k)
    assert math.isclose(s.macs / full_macs, ratio, rel_tol=1e-12)
    assert math.isclose(depthwise_separable_params(c_in, c_out, k) / full_params, ratio,
                        rel_tol=1e-12)


def test_depthwise_separable_with_bias():
    assert depthwise_separable_params(4, 8, 3, bias=True) == (4 * 9 + 4) + (4 * 8 + 8)


def test_separable_cost_ratio_values():
    assert separable_cost_ratio(512, 3) == pytest.approx(1 / 512 + 1 / 9)  # MobileNet: 8-9x less
    assert 8 < 1 / separable_cost_ratio(512, 3) < 9
    assert separable_cost_ratio(4, (1, 2)) == 0.75


# ------------------------------------------------------------------------- receptive field

def _measured_field(layers, n=160):
    """Field size and jump measured in MXNet: gradient of two adjacent output units with respect
    to the input, through convolutions of ones (and average pooling), no padding."""
    net = nn.HybridSequential()
    for kind, k, s, d in layers:
        if kind == "conv":
            net.add(nn.Conv2D(1, k, strides=s, dilation=d, use_bias=False, in_channels=1,
                              weight_initializer=init.One()))
        else:
            net.add(nn.AvgPool2D(k, s))
    net.initialize()
    spans = []
    for shift in (0, 1):
        x = np.ones((1, 1, n, n))
        x.attach_grad()
        with autograd.record():
            y = net(x)
            h, w = y.shape[2:]
            unit = y[0, 0, h // 2 + shift, w // 2 + shift]
        unit.backward()
        g = x.grad[0, 0].asnumpy()
        rows, cols = g.nonzero()
        spans.append(((rows.min(), rows.max()), (cols.min(), cols.max())))
    (r0, c0), (r1, c1) = spans
    size = (r0[1] - r0[0] + 1, c0[1] - c0[0] + 1)
    jump = (r1[0] - r0[0], c1[0] - c0[0])
    return tuple(int(v) for v in size), tuple(int(v) for v in jump)


@pytest.mark.parametrize("layers", [
    [("conv", 3, 1, 1)] * 2,                                    # VGG: two 3x3 see 5x5
    [("conv", 3, 1, 1)] * 3,                                    # three see 7x7
    [("conv", 7, 2, 1), ("pool", 3, 2, 1), ("conv", 3, 1, 1)],  # a ResNet stem
    [("conv", 11, 4, 1), ("pool", 3, 2, 1), ("conv", 5, 1, 1)],  # AlexNet's start
    [("conv", 3, 1, 2), ("conv", 3, 1, 4)],                     # dilated
    [("conv", (1, 3), 1, 1), ("conv", (3, 1), 2, 1)],            # factorised (Inception v3)
])
def test_receptive_field_matches_gradient(layers):
    spec = [(k, s, d) for _, k, s, d in layers]
    field = receptive_field(spec)
    size, jump = _measured_field(layers)
    assert (_pair(field.size), _pair(field.jump)) == (size, jump)


def test_receptive_field_values_and_types():
    assert receptive_field([(3, 1)] * 2) == ReceptiveField(5, 1)
    assert receptive_field([(3, 1)] * 3) == (7, 1)
    assert receptive_field([(7, 2), (3, 2)]) == (11, 4)
    assert receptive_field([]) == (1, 1)
    assert receptive_field([((1, 7), 1), ((7, 1), 1)]) == ((7, 7), (1, 1))
    assert receptive_field([(3, (2, 1))]) == ((3, 3), (2, 1))


# ----------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("call, message", [
    (lambda: conv_output_size(4, 5), "a kernel of 5 does not fit in an input of 4"),
    (lambda: conv_output_size(4, 3, d=2), r"dilation 2 \(extent 5\) does not fit in an input"),
    (lambda: conv_output_size(0, 3), "input size n must be a whole number >= 1; got 0"),
    (lambda: conv_output_size(8, 3, s=0), "stride s must be a whole number >= 1"),
    (lambda: conv_output_size(8, 3, p=-1), "padding p must be a whole number >= 0"),
    (lambda: conv_output_size(8, (3, 3, 3)), r"kernel size k must be a whole number or an \("),
    (lambda: conv_output_size(8.0, 3), "input size n must be a whole number >= 1; got 8.0"),
    (lambda: conv_output_size(True, 1), "input size n must be a whole number >= 1; got True"),
    (lambda: pool_output_size(8, 2, 2, 2), "padding 2 must be smaller than the pooling window"),
    (lambda: pool_output_size(1, 3), "a pooling window of 3 does not fit in an input of 1"),
    (lambda: conv2d_params(3, 8, 3, groups=2), "groups=2 must divide both c_in=3 and c_out=8"),
    (lambda: conv2d_params(4, 6, 3, groups=4), "groups=4 must divide both c_in=4 and c_out=6"),
    (lambda: conv2d_params(0, 8, 3), "c_in must be a whole number >= 1"),
    (lambda: conv2d_macs(4, 8, 3, 0, 5), "h_out must be a whole number >= 1"),
    (lambda: dense_params(-1, 3), "n_in must be a whole number >= 1"),
    (lambda: batchnorm_params(0), "c must be a whole number >= 1"),
    (lambda: separable_cost_ratio(0, 3), "n_out must be a whole number >= 1"),
    (lambda: receptive_field([(3,)]), r"layer 0 must be \(kernel, stride\)"),
    (lambda: receptive_field([3, 3]), r"layer 0 must be \(kernel, stride\)"),
    (lambda: receptive_field([(3, 0)]), "stride must be a whole number >= 1"),
])
def test_bad_arguments_are_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
