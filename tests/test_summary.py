"""summary() and count_params() on small nets built for the purpose: every kind of layer,
nesting, concatenation, residual additions, shared and unused parameters, hybridized or not."""
import mxnet as mx
import pytest
from mxnet.base import MXNetError
from mxnet import np, npx
from mxnet.gluon import HybridBlock, nn

from d2lcnn.arithmetic import (batchnorm_params, conv2d_macs, conv2d_params, dense_macs,
                               dense_params)
from d2lcnn.errors import InputShapeError, NumpyModeError
from d2lcnn.registry import check_input_shape, get_model, model_info
from d2lcnn.summary import Layer, ShapeUnknownError, Summary, count_params, summary
from helpers import TIMM_GMACS, count_macs, n_params, timm_gmacs


def framework_counts(net):
    """(trainable, total) as MXNet holds them: p.data().size over collect_params()."""
    params = net.collect_params().values()
    return (sum(p.data().size for p in params if p.grad_req != "null"),
            sum(p.data().size for p in params))


def assert_consistent(s, net):
    """Totals equal the framework's count, and the rows add up to them."""
    trainable, total = framework_counts(net)
    assert (s.trainable_params, s.total_params) == (trainable, total)
    assert s.nontrainable_params == total - trainable
    assert sum(r.params for r in s.rows) == total
    assert sum(r.trainable_params for r in s.rows) == trainable
    assert s.macs == sum(r.macs for r in s.rows if r.macs is not None)
    assert s.activation_bytes == sum(r.output_bytes for r in s.rows)


def all_blocks(net):
    out = [net]
    for child in net._children.values():
        out += all_blocks(child)
    return out


def hooks_left(net):
    return sum(len(b._forward_hooks) + len(b._forward_pre_hooks) for b in all_blocks(net))


def small_cnn():
    """Every common leaf: conv (plain, grouped, depthwise), BN, activation, pooling (max, avg,
    global), dropout, flatten, dense with a fused activation."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, padding=1, in_channels=3),           # 0: 3 -> 8, 16x16
            nn.BatchNorm(in_channels=8),                          # 1
            nn.Activation("relu"),                                # 2
            nn.MaxPool2D(2),                                      # 3: 8x8
            nn.Conv2D(12, 3, groups=4, in_channels=8),            # 4: grouped, 6x6
            nn.Conv2D(12, 3, padding=1, groups=12, use_bias=False, in_channels=12),  # 5: depthwise
            nn.AvgPool2D(2, 1),                                   # 6: 5x5
            nn.GlobalAvgPool2D(),                                 # 7
            nn.Flatten(),                                         # 8
            nn.Dropout(0.5),                                      # 9
            nn.Dense(10, activation="relu", in_units=12))         # 10 (+ 10.act)
    return net


SMALL_EXPECTED = [
    # name, type, output shape, params, macs
    ("0", "Conv2D", (1, 8, 16, 16), conv2d_params(3, 8, 3), conv2d_macs(3, 8, 3, 16, 16)),
    ("1", "BatchNorm", (1, 8, 16, 16), batchnorm_params(8).total, 0),
    ("2", "Activation", (1, 8, 16, 16), 0, 0),
    ("3", "MaxPool2D", (1, 8, 8, 8), 0, 0),
    ("4", "Conv2D", (1, 12, 6, 6), conv2d_params(8, 12, 3, groups=4),
     conv2d_macs(8, 12, 3, 6, 6, groups=4)),
    ("5", "Conv2D", (1, 12, 6, 6), conv2d_params(12, 12, 3, groups=12, bias=False),
     conv2d_macs(12, 12, 3, 6, 6, groups=12)),
    ("6", "AvgPool2D", (1, 12, 5, 5), 0, 0),
    ("7", "GlobalAvgPool2D", (1, 12, 1, 1), 0, 0),
    ("8", "Flatten", (1, 12), 0, 0),
    ("9", "Dropout", (1, 12), 0, 0),
    ("10", "Dense", (1, 10), dense_params(12, 10), dense_macs(12, 10)),
    ("10.act", "Activation", (1, 10), 0, 0),
]


def test_rows_of_every_common_layer():
    net = small_cnn()
    s = summary(net, (3, 16, 16))
    assert isinstance(s, Summary) and all(isinstance(r, Layer) for r in s.rows)
    assert [(r.name, r.type, r.output_shape, r.params, r.macs) for r in s.rows] == SMALL_EXPECTED
    assert_consistent(s, net)
    assert s.nontrainable_params == 16                 # BatchNorm's running mean and variance
    assert s.depth == 4                                 # three convolutions and a dense layer
    assert s.flops == 2 * s.macs
    per_image = sum(4 * _prod(shape[1:]) for _, _, shape, _, _ in SMALL_EXPECTED)
    assert s.activation_bytes == per_image             # float32 outputs, one image


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def test_batch_axis_and_batch_size():
    net = small_cnn()
    one = summary(net, (3, 16, 16))
    assert summary(net, (1, 3, 16, 16)).rows == one.rows
    four = summary(net, (3, 16, 16), batch_size=4)
    assert four.rows[0].output_shape == (4, 8, 16, 16)
    assert four.input_shape == (4, 3, 16, 16)
    # MACs and activation memory are per image whatever the batch
    assert (four.macs, four.activation_bytes) == (one.macs, one.activation_bytes)
    assert summary(net, (4, 3, 16, 16)).macs == one.macs


class Inception(HybridBlock):
    """Four parallel branches concatenated along the channels (GoogLeNet's block)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.b1 = nn.Conv2D(4, 1, in_channels=6)
            self.b2 = nn.HybridSequential()
            self.b2.add(nn.Conv2D(3, 1, in_channels=6, activation="relu"),
                        nn.Conv2D(5, 3, padding=1, in_channels=3))
            self.b3 = nn.HybridSequential()
            self.b3.add(nn.Conv2D(2, 1, in_channels=6), nn.Conv2D(2, 5, padding=2, in_channels=2))
            self.b4 = nn.HybridSequential()
            self.b4.add(nn.MaxPool2D(3, 1, 1), nn.Conv2D(3, 1, in_channels=6))

    def hybrid_forward(self, F, x):
        return F.np.concatenate([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], axis=1)


class Residual(HybridBlock):
    """conv-BN-relu-conv-BN plus the input (through a 1x1 projection if the shape changes)."""

    def __init__(self, channels, in_channels, stride=1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, 3, stride, 1, use_bias=False,
                                   in_channels=in_channels)
            self.bn1 = nn.BatchNorm(in_channels=channels)
            self.conv2 = nn.Conv2D(channels, 3, 1, 1, use_bias=False, in_channels=channels)
            self.bn2 = nn.BatchNorm(in_channels=channels)
            self.proj = (nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
                         if stride != 1 or channels != in_channels else None)

    def hybrid_forward(self, F, x):
        y = self.bn2(self.conv2(F.npx.relu(self.bn1(self.conv1(x)))))
        return F.npx.relu(y + (self.proj(x) if self.proj is not None else x))


class Mixed(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.stem = nn.Conv2D(6, 3, padding=1, in_channels=3)
            self.stages = nn.HybridSequential()
            self.stages.add(Inception(), Residual(14, 14), Residual(16, 14, stride=2))
            self.head = nn.HybridSequential()
            self.head.add(nn.GlobalAvgPool2D(), nn.Dense(10))   # deferred in_units

    def hybrid_forward(self, F, x):
        return self.head(self.stages(self.stem(x)))


def test_nested_concatenation_and_residuals():
    net = Mixed()
    s = summary(net, (3, 12, 12))
    assert_consistent(s, net)
    names = [r.name for r in s.rows]
    assert names[:3] == ["stem", "stages.0.b1", "stages.0.b2.0"]
    assert "stages.0.b2.0.act" in names and "stages.2.proj" in names
    by_name = {r.name: r for r in s.rows}
    # the concatenation gives 4 + 5 + 2 + 3 = 14 channels; the additions are not rows
    assert by_name["stages.1.bn2"].output_shape == (1, 14, 12, 12)
    assert by_name["stages.2.conv1"].output_shape == (1, 16, 6, 6)
    assert by_name["stages.2.proj"].macs == conv2d_macs(14, 16, 1, 6, 6)
    assert by_name["head.1"].params == dense_params(16, 10)
    assert s.depth == 1 + 6 + 2 + 3 + 1
    assert s.nontrainable_params == 2 * (2 * 14 + 2 * 16)


@pytest.mark.parametrize("static", [False, True])
def test_hybridized_net_same_rows_and_state_restored(static):
    plain = summary(Mixed(), (3, 12, 12))
    net = Mixed()
    net.initialize()
    net.hybridize(static_alloc=static, static_shape=static)
    net(np.zeros((2, 3, 12, 12)))
    cached = net._cached_op
    assert cached is not None
    s = summary(net, (3, 12, 12))
    assert [(r.name, r.output_shape, r.params, r.macs) for r in s.rows] == \
        [(r.name, r.output_shape, r.params, r.macs) for r in plain.rows]
    assert net._active and net._cached_op is cached      # still hybridized, graph kept
    assert net._flags[0] == ("static_alloc", static)
    assert hooks_left(net) == 0
    assert net(np.zeros((2, 3, 12, 12))).shape == (2, 10)


def test_hybridized_children_only():
    net = small_cnn()
    net.initialize()
    net[0].hybridize()
    assert summary(net, (3, 16, 16)).rows[0].output_shape == (1, 8, 16, 16)
    assert net[0]._active and not net._active


def test_non_hybrid_blocks():
    net = nn.Sequential()
    net.add(nn.Dense(20, in_units=5), nn.Dense(3, in_units=20))
    s = summary(net, (5,))
    assert [r.name for r in s.rows] == ["0", "1"]
    assert s.total_params == dense_params(5, 20) + dense_params(20, 3)
    assert s.macs == 5 * 20 + 20 * 3


def test_leaf_root_and_deferred_dense():
    dense = nn.Dense(7)                                   # in_units deferred
    s = summary(dense, (3, 4, 4))
    assert s.rows[0].name == dense.name and s.rows[0].macs == 48 * 7
    assert s.total_params == dense_params(48, 7)


class Twice(HybridBlock):
    """The same Dense applied twice: its weights are counted once, its work twice."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.fc = nn.Dense(8, in_units=8)

    def hybrid_forward(self, F, x):
        return self.fc(self.fc(x))


def test_shared_parameters_counted_once():
    net = Twice()
    s = summary(net, (8,))
    assert [(r.name, r.params, r.macs) for r in s.rows] == [("fc", 72, 64), ("fc[2]", 0, 64)]
    assert s.total_params == 72 and s.macs == 128 and s.depth == 2
    assert_consistent(s, net)


def test_shared_parameters_between_blocks():
    net = nn.HybridSequential()
    first = nn.Dense(6, in_units=6)
    net.add(first, nn.Dense(6, in_units=6, params=first.collect_params()))
    s = summary(net, (6,))
    assert [r.params for r in s.rows] == [42, 0]
    assert_consistent(s, net)


class Gated(HybridBlock):
    """A block with a parameter of its own next to its children, and a child it never calls."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.scale = self.params.get("scale", shape=(1, 4, 1, 1), init=mx.init.One())
            self.conv = nn.Conv2D(4, 1, in_channels=4)
            self.spare = nn.Dense(5, in_units=3)          # not used in forward

    def hybrid_forward(self, F, x, scale):
        return self.conv(x) * scale


def test_own_parameters_and_unused_children():
    net = Gated()
    s = summary(net, (4, 3, 3))
    rows = {r.name: r for r in s.rows}
    assert list(rows)[:2] == [net.name, "conv"]          # the parent comes before its child
    assert rows[net.name].params == 4 and rows["conv"].params == 20
    assert rows["(not called)"].params == dense_params(3, 5)
    assert_consistent(s, net)
    assert any("not used by the forward pass" in n for n in s.notes)
    assert "Note:" in str(s)


class Bilinear(HybridBlock):
    """A custom leaf with a matrix of parameters: its MACs are not known to summary()."""

    def __init__(self, units, in_units, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(units, in_units))

    def hybrid_forward(self, F, x, w):
        return F.np.dot(x, w.T) * F.np.dot(x, w.T)


class CountedBilinear(Bilinear):
    def summary_macs(self, inputs, outputs):
        return 2 * outputs.size * self.w.shape[1]


def test_custom_leaf_macs():
    unknown = summary(Bilinear(3, 4), (4,))
    assert unknown.rows[0].macs is None and unknown.macs == 0
    assert any("unknown kind" in n for n in unknown.notes) and "?" in str(unknown)
    counted = summary(CountedBilinear(3, 4), (4,), batch_size=2)
    assert counted.rows[0].macs == 24 and counted.macs == 24 and not counted.notes


def test_transposed_convolution_and_dense_without_flatten():
    net = nn.HybridSequential()
    net.add(nn.Conv2DTranspose(4, 4, strides=2, padding=1, in_channels=6),
            nn.Dense(5, flatten=False, in_units=16))
    s = summary(net, (6, 3, 8))
    deconv, dense = s.rows
    assert deconv.output_shape == (1, 4, 6, 16)
    assert deconv.params == 6 * 4 * 16 + 4
    assert deconv.macs == (6 * 3 * 8) * 4 * 16             # every input spreads over 4x4x4
    assert dense.output_shape == (1, 4, 6, 5) and dense.macs == 4 * 6 * 16 * 5


def test_existing_parameters_unchanged_and_predict_mode():
    net = small_cnn()
    net.initialize(mx.init.Xavier())
    net(np.random.uniform(size=(4, 3, 16, 16)))
    before = {k: v.data().asnumpy().copy() for k, v in net.collect_params().items()}
    summary(net, (3, 16, 16))
    after = {k: v.data().asnumpy() for k, v in net.collect_params().items()}
    assert before.keys() == after.keys()
    for k in before:  # BatchNorm's running statistics included
        assert (before[k] == after[k]).all(), k


def test_uninitialised_net_is_initialised_on_cpu():
    net = small_cnn()
    summary(net, (3, 16, 16))
    assert all(p.list_ctx() == [mx.cpu()] for p in net.collect_params().values())


def test_partly_initialised_net_keeps_what_it_has():
    net = nn.HybridSequential()
    first, second = nn.Dense(4, in_units=3), nn.Dense(2, in_units=4)
    net.add(first, second)
    first.initialize(mx.init.Constant(0.5))
    summary(net, (3,))
    assert (first.weight.data().asnumpy() == 0.5).all()
    assert second.weight.data().shape == (2, 4)


def test_explicit_device():
    s = summary(small_cnn(), (3, 16, 16), device=mx.cpu(0))
    assert s.total_params == framework_counts(small_cnn_initialised())[1]


def small_cnn_initialised():
    net = small_cnn()
    net.initialize()
    return net


# ---------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("shape,batch", [((3, 0, 16), 1), ("3x16x16", 1), ((3, -1, 5), 1),
                                         ((), 1), ((3, 16, 16), 0), ((3, 16, 16), 1.5)])
def test_bad_shapes_rejected(shape, batch):
    with pytest.raises(ValueError, match="input_shape must|batch_size must be a positive"):
        summary(small_cnn(), shape, batch_size=batch)


def test_not_a_block():
    with pytest.raises(TypeError, match="Gluon Block"):
        summary(lambda x: x, (3, 4, 4))


def test_input_error_leaves_no_hooks_and_no_state():
    """An input that does not fit raises the model's error, and summary() cleans up."""
    net = small_cnn()
    net.initialize()
    net.hybridize()
    net.register_forward_pre_hook(lambda block, inputs: check_input_shape(
        "small_cnn", inputs[0].shape, 3, 8))
    with pytest.raises(InputShapeError, match="smallest size that works is 8x8"):
        summary(net, (3, 6, 6))
    assert hooks_left(net) == 1 and net._active        # only the input check remains
    with pytest.raises(MXNetError, match="Shape inconsistent"):   # MXNet's own shape error
        summary(small_cnn(), (5, 16, 16))
    net2 = small_cnn()
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        summary(net2, (5, 16, 16))
    assert hooks_left(net2) == 0


def test_needs_numpy_mode():
    npx.reset_np()
    try:
        with pytest.raises(NumpyModeError):
            summary(small_cnn(), (3, 16, 16))
    finally:
        npx.set_np()


# ----------------------------------------------------------------------------- count_params

def test_count_params():
    net = small_cnn()
    trainable = 224 + 16 + 228 + 108 + 130
    assert count_params(net) == trainable                       # shapes known: no init needed
    assert count_params(net, trainable_only=False) == trainable + 16
    net.initialize()
    assert (count_params(net), count_params(net, False)) == framework_counts(net)


def test_count_params_deferred_shape():
    net = nn.Dense(3)
    with pytest.raises(ShapeUnknownError, match="first forward pass"):
        count_params(net)
    net.initialize()
    net(np.zeros((1, 5)))
    assert count_params(net) == 18


# -------------------------------------------------------------------------------- rendering

def wide_net():
    net = nn.HybridSequential()
    net.add(nn.Dense(1000, in_units=1000), nn.BatchNorm(in_channels=1000), nn.Dense(10))
    return net


def test_text_rendering():
    s = summary(wide_net(), (1000,))
    text = str(s)
    assert text == repr(s) == s.render(rows=True)
    lines = text.splitlines()
    rule = [i for i, line in enumerate(lines) if set(line) == {"-"}]
    assert len(rule) == 2
    table = lines[:rule[1] + 1]
    assert len({len(line) for line in table}) == 1           # aligned columns
    assert table[0].split() == ["Layer", "Type", "Output", "shape", "Params", "MACs"]
    assert "1,001,000" in text and "1,000,000" in text      # thousands separators
    assert "Total params:" in text and f"{s.total_params:,}" in text
    assert "(1.015 M)" in text                               # suffix where it reads better
    assert "FLOPs per image:" in text and "= 2 x MACs: the hardware convention" in text
    totals_only = s.render(rows=False)
    assert "Layer" not in totals_only and "Trainable params:" in totals_only


def test_html_rendering():
    s = summary(wide_net(), (1000,))
    page = s._repr_html_()
    assert page.startswith("<table>") and page.rstrip().endswith("</table>")
    assert page.count("<tr>") == 1 + len(s.rows) + 8   # head, rows, totals (MACs and FLOPs)
    assert "1,001,000" in page and "<code>0</code>" in page
    # the HTML says which FLOPs are which, as the text does
    assert "multiply-adds: what the papers call FLOPs" in page
    assert f"{2 * s.macs:,} (" in page and "2 x MACs: the hardware convention" in page
    gated = summary(Gated(), (4, 3, 3))._repr_html_()
    assert "(not called)" in gated and "<p><em>Note:</em>" in gated


def test_labels_say_which_flops():
    """Issue 22: the papers' "FLOPs" are multiply-adds (MACs); 2 x MACs is the hardware
    convention. The text says both, the columns keep their alignment, and a Layer prints
    readably."""
    s = summary(wide_net(), (1000,))
    assert s.flops == 2 * s.macs == 2 * sum(r.macs for r in s.rows)
    totals = s.render(rows=False).splitlines()
    macs_line = next(line for line in totals if line.startswith("MACs per image:"))
    flops_line = next(line for line in totals if line.startswith("FLOPs per image:"))
    assert f"{s.macs:,} (" in macs_line and "what the papers call FLOPs" in macs_line
    assert f"{s.flops:,} (" in flops_line and "2 x MACs: the hardware convention" in flops_line
    starts = {len(line) - len(line.split(":", 1)[1].lstrip()) for line in totals}
    assert len(starts) == 1                               # the values line up
    gated = summary(Gated(), (4, 3, 3)).rows[-1]
    assert str(gated).startswith("(not called) (-): output -, ") and "Layer(" not in str(gated)
    row = s.rows[0]
    assert str(row) == (f"{row.name} (Dense): output (1, 1000), {row.params:,} parameters "
                        f"({row.trainable_params:,} trainable), {row.macs:,} MACs")


def test_totals_carry_both_conventions():
    s = summary(small_cnn(), (3, 16, 16))
    totals = dict(s.totals())
    assert totals["MACs (multiply-adds; the papers' FLOPs)"] == s.macs
    assert totals["FLOPs (2 x MACs; hardware convention)"] == 2 * s.macs
    assert totals["Total params"] == totals["Trainable params"] + totals["Non-trainable params"]


def test_to_frame():
    pd = pytest.importorskip("pandas")
    s = summary(small_cnn(), (3, 16, 16))
    df = s.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df) == len(s.rows)
    assert df.index.name == "layer" and list(df.index) == [r.name for r in s.rows]
    assert list(df.columns) == ["type", "output", "params", "trainable", "MACs", "bytes"]
    assert df["params"].sum() == s.total_params and df["MACs"].sum() == s.macs
    assert df.loc["0", "output"] == "8x16x16" and df.loc["10", "type"] == "Dense"
    assert s.to_dataframe().equals(df)                   # the earlier name
    totals = s.totals_frame()
    assert list(totals.index) == [label for label, _ in s.totals()]
    assert list(totals["value"]) == [value for _, value in s.totals()]


# -------------------------------------------------------- registered models, outside counts

@pytest.mark.parametrize("name", ["vgg16", "mobilenet_v1"])
def test_registered_models_match_outside_counts(name):
    """summary() of a registered model against counts made without it: MACs by forward hooks on
    the convolutions and dense layers (tests/helpers.py), parameters as MXNet holds them, and
    timm's published GMACs for the same network (VGG-16 15.47, MobileNet 0.58; timm adds 2 per
    BatchNorm output element, see helpers.TIMM_GMACS)."""
    net = get_model(name)
    net.initialize(mx.init.Zero())  # values do not matter, and zeros are quick to make
    s = summary(net, (3, 224, 224))
    assert s.macs == count_macs(get_model(name), 224)
    assert s.trainable_params == n_params(net) == model_info(name).expected_params
    assert s.depth == sum(1 for r in s.rows if r.type in ("Conv2D", "Dense"))
    assert timm_gmacs(s) == TIMM_GMACS[name]


def test_module_attribute_is_callable():
    """Once ``d2lcnn.summary`` (the module) is imported, the package attribute of that name is
    the module, not the function (bench.py imports it): it must still do the summary."""
    import d2lcnn
    import d2lcnn.summary as module
    assert callable(module) and callable(d2lcnn.summary)
    assert module(small_cnn(), (3, 16, 16)).rows == summary(small_cnn(), (3, 16, 16)).rows
    assert module.Summary is Summary
