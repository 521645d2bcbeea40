"""Xception (d2lcnn.models.xception): counts in closed form from Figure 5, the paper's shapes,
the smallest input, hybridization, and gluon-cv's (different) Xception-65."""
import mxnet as mx
import pytest
from mxnet import autograd, init, np

from d2lcnn import summary
from d2lcnn.models.xception import XCEPTION, SeparableConv2D, Xception, XceptionBlock
from d2lcnn.registry import get_model, model_info
from helpers import (TIMM_GMACS, count_macs, import_reference, legacy_mode, n_params,
                     timm_gmacs)

#: Figure 5 of Chollet 2017, transcribed here (not imported) so that the closed forms below
#: check the package's table too: entry flow, middle flow (8 blocks), exit flow.
FIGURE_5 = {
    "entry_flow": [("conv", 32, 2), ("conv", 64, 1), ("block", (128, 128), 2, False),
                   ("block", (256, 256), 2, True), ("block", (728, 728), 2, True)],
    "middle_flow": [("block", (728, 728, 728), 1, True)] * 8,
    "exit_flow": [("block", (728, 1024), 2, True), ("sepconv", 1536), ("sepconv", 2048)],
}


def test_the_table_is_figure_5():
    assert XCEPTION == FIGURE_5


def sep_params(cin, c):
    return 9 * cin + cin * c


def block_params(cin, channels, strides):
    total, c_in = 0, cin
    for c in channels:
        total += sep_params(c_in, c) + 2 * c      # separable convolution + BatchNorm
        c_in = c
    if strides != 1 or cin != channels[-1]:
        total += cin * channels[-1] + 2 * channels[-1]
    return total


def xception_params(classes=1000, in_channels=3, spec=FIGURE_5):
    """The count derived from the flows of Figure 5 (BatchNorm after every convolution)."""
    total, c = 0, in_channels
    for rows in spec.values():
        for row in rows:
            if row[0] == "conv":
                total += 9 * c * row[1] + 2 * row[1]
                c = row[1]
            elif row[0] == "sepconv":
                total += sep_params(c, row[1]) + 2 * row[1]
                c = row[1]
            else:
                total += block_params(c, row[1], row[2])
                c = row[1][-1]
    return total + c * classes + classes


def test_separable_conv():
    sep = SeparableConv2D(256, 128)
    assert n_params(sep) == 9 * 128 + 128 * 256 == 33_920   # a 3x3 convolution: 294,912
    assert sep.depthwise.weight.shape == (128, 1, 3, 3)
    sep.initialize()
    assert sep(np.ones((1, 128, 5, 5))).shape == (1, 256, 5, 5)
    strided = SeparableConv2D(8, 4, strides=2)
    strided.initialize()
    assert strided(np.ones((1, 4, 5, 5))).shape == (1, 8, 3, 3)


@pytest.mark.parametrize("cin, channels, strides, relu_first", [
    (64, (128, 128), 2, False), (728, (728, 728, 728), 1, True), (728, (728, 1024), 2, True)])
def test_block(cin, channels, strides, relu_first):
    blk = XceptionBlock(cin, channels, strides, relu_first)
    assert n_params(blk) == block_params(cin, channels, strides)
    assert ("relu1" in blk.branch._children) == relu_first
    assert (blk.shortcut is None) == (strides == 1 and cin == channels[-1])
    blk.initialize()
    assert blk(np.ones((1, cin, 9, 9))).shape == (1, channels[-1], 5 if strides == 2 else 9,
                                                  5 if strides == 2 else 9)


def test_middle_block_is_residual():
    """With zero convolution weights the branch outputs 0 and a middle-flow block is the
    identity: the shortcut takes the input before the block's first ReLU."""
    blk = XceptionBlock(8, (8, 8, 8), 1, True)
    blk.initialize(init.Zero())
    x = np.random.normal(size=(1, 8, 4, 4))
    assert np.allclose(blk(x), x)


def test_count_closed_form_and_published():
    net = get_model("xception")
    assert xception_params() == model_info("xception").expected_params == 22_855_952
    assert n_params(net) == 22_855_952
    # Keras' total (22,910,480) adds BatchNorm's moving means and variances
    assert n_params(net) + n_params(net, trainable=False) == 22_910_480
    assert n_params(get_model("xception", num_classes=10, in_channels=1)) == xception_params(10, 1)
    per_middle_block = block_params(728, (728, 728, 728), 1)
    assert n_params(Xception(middle_flow_repeats=2)) == 22_855_952 - 6 * per_middle_block


def test_shapes_at_299():
    """Figure 5: 299x299x3 -> 19x19x728 after the entry flow -> 10x10x2048 -> 1000."""
    net = get_model("xception")
    net.initialize()
    x = np.zeros((1, 3, 299, 299))
    shapes = []
    for flow in ("entry_flow", "middle_flow", "exit_flow"):
        for name, layer in getattr(net.features, flow)._children.items():
            x = layer(x)
            shapes.append((flow, name, x.shape[1:]))
    assert shapes[:5] == [
        ("entry_flow", "conv1", (32, 149, 149)), ("entry_flow", "conv2", (64, 147, 147)),
        ("entry_flow", "block1", (128, 74, 74)), ("entry_flow", "block2", (256, 37, 37)),
        ("entry_flow", "block3", (728, 19, 19))]
    assert [s for f, _, s in shapes if f == "middle_flow"] == [(728, 19, 19)] * 8
    assert shapes[-3:] == [("exit_flow", "block1", (1024, 10, 10)),
                           ("exit_flow", "sepconv1", (1536, 10, 10)),
                           ("exit_flow", "sepconv2", (2048, 10, 10))]
    assert net.output(net.features.flatten(net.features.gap(x))).shape == (1, 1000)


def test_smallest_input():
    """The two first convolutions are unpadded: 7x7 -> 3x3 -> 1x1, and 6x6 -> 2x2 -> nothing:
    the second convolution says so (imperatively; MXNet refuses it too, hybridized)."""
    from d2lcnn.errors import InputShapeError
    assert model_info("xception").min_size == 7
    net = Xception(10, middle_flow_repeats=1)
    net.initialize()
    assert net(np.zeros((1, 3, 7, 7))).shape == (1, 10)
    with pytest.raises(InputShapeError, match="3x3 convolution .* at least 3x3; got 2x2"):
        net(np.zeros((1, 3, 6, 6)))
    net.hybridize()
    with pytest.raises(mx.base.MXNetError):
        net(np.zeros((1, 3, 6, 6))).wait_to_read()


def test_hybridize_same_outputs():
    net = Xception(10, middle_flow_repeats=1)
    net.initialize(init.Xavier())
    x = np.random.uniform(size=(2, 3, 32, 32))
    eager = net(x)
    net.hybridize()
    assert np.allclose(net(x), eager, rtol=1e-4, atol=1e-6)
    with autograd.record():
        assert net(x).shape == (2, 10)


def test_gluoncv_xception_is_xception65():
    """gluon-cv's 'xception' is DeepLabv3+'s modified aligned Xception-65, not the paper's
    network: 16 middle-flow blocks instead of 8, strided separable convolutions instead of
    max-poolings (one more separable convolution per entry block), a BatchNorm between each
    depthwise and pointwise convolution, and an extra 1536 separable convolution in the exit
    flow. Its middle-flow block is ours plus those three BatchNorms; its total is timm's
    published xception65 (39.92M), ours timm's legacy_xception (22.86M, = Keras')."""
    gluoncv = import_reference("gluoncv")
    with legacy_mode():  # its blocks call legacy operators
        ref = gluoncv.model_zoo.get_model("xception")
        assert type(ref).__name__ == "Xception65"
        middle = list(ref.midflow._children.values())
        assert len(middle) == 16
        theirs_block = n_params(middle[0])   # every shape is known at construction
        theirs = n_params(ref)
    ours = get_model("xception")
    ours_block = n_params(ours.features.middle_flow.block1)
    assert len(ours.features.middle_flow._children) == 8
    assert theirs_block == ours_block + 3 * 2 * 728   # gamma and beta of 3 BatchNorms
    assert round(theirs / 1e6, 2) == 39.92                # timm's xception65 param_count
    assert round(n_params(ours) / 1e6, 2) == 22.86        # timm's legacy_xception


def test_separable_conv_exported():
    import d2lcnn
    from d2lcnn import blocks
    assert d2lcnn.SeparableConv2D is SeparableConv2D is blocks.SeparableConv2D
    # no non-linearity and no BatchNorm between depthwise and pointwise (Section 4.7)
    assert list(SeparableConv2D(8, 4)._children) == ["depthwise", "pointwise"]


def xception_macs(size=299, classes=1000, spec=FIGURE_5):
    """Multiply-adds from Figure 5: unpadded 3x3 convolutions, then "same" padding, every
    stride-2 block halving the side (rounded up) at its max-pooling and 1x1 shortcut."""
    macs, c, side = 0, 3, size
    for rows in spec.values():
        for row in rows:
            if row[0] == "conv":
                side = (side - 3) // row[2] + 1
                macs += side * side * 9 * c * row[1]
                c = row[1]
            elif row[0] == "sepconv":
                macs += side * side * (9 * c + c * row[1])
                c = row[1]
            else:
                _, channels, strides, _ = row
                c_in = c
                for ch in channels:
                    macs += side * side * (9 * c_in + c_in * ch)
                    c_in = ch
                if strides != 1 or c != channels[-1]:
                    side = -(-side // strides)
                    macs += side * side * c * channels[-1]
                c = channels[-1]
    return macs + c * classes


def test_macs_closed_form_measured_and_published():
    """Figure 5's multiply-adds in closed form = the convolutions and dense layers counted by
    forward hooks (tests/helpers.py) = summary(); and counted as timm counts (plus 2 per
    BatchNorm output element) they are timm's published 8.40 GMACs for the same network."""
    report = summary(get_model("xception"), (3, 299, 299))
    assert xception_macs() == count_macs(Xception(), 299) == report.macs
    assert timm_gmacs(report) == TIMM_GMACS["xception"]
    assert count_macs(Xception(10, middle_flow_repeats=1), 71) == \
        xception_macs(71, 10, dict(FIGURE_5, middle_flow=FIGURE_5["middle_flow"][:1]))


@pytest.mark.parametrize("make, message", [
    (lambda: SeparableConv2D(0, 8), "channels must be a whole number >= 1"),
    (lambda: SeparableConv2D(8, 4, kernel_size=2), "use an odd kernel_size"),
    (lambda: XceptionBlock(0, (8, 8)), "in_channels must be a whole number >= 1"),
    (lambda: XceptionBlock(8, ()), "channels lists the separable convolutions' channels"),
    (lambda: XceptionBlock(8, 16), "channels lists the separable convolutions' channels"),
    (lambda: XceptionBlock(8, (8, 0)), r"channels \(of each separable convolution\)"),
    (lambda: XceptionBlock(8, (8, 8), strides=0), "strides must be a whole number >= 1"),
    (lambda: Xception(middle_flow_repeats=-1), "middle_flow_repeats must be a whole number"),
    (lambda: Xception(middle_flow_repeats=1.5), "middle_flow_repeats must be a whole number"),
    (lambda: Xception(num_classes=0), "num_classes must be a whole number >= 1"),
    (lambda: Xception(spec=dict(FIGURE_5, exit_flow=[("pool", 3)])), "unknown row kind 'pool'"),
])
def test_nonsense_is_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()
