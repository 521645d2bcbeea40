"""d2lcnn.tables: each DataFrame against what it claims to show: the spec tables against the
networks they build, the summaries against `summary`, the published counts against MXNet's."""
import math

import pytest
from mxnet import init, np
from mxnet.gluon import nn

from d2lcnn import compare, get_model, model_info, summary, tables
from d2lcnn.models.inception import GOOGLENET, Inception, InceptionA, InceptionE
from d2lcnn.models.lenet import LENET5
from d2lcnn.models.mobilenet import MOBILENET_V2
from d2lcnn.models.resnet import resnet_spec
from d2lcnn.models.vgg import CFGS
from helpers import n_params

pd = pytest.importorskip("pandas")


def weight_layers(net):
    """Convolutions and dense layers of a built network (projection shortcuts included)."""
    found = []
    net.apply(lambda b: found.append(b) if isinstance(b, (nn.Conv2D, nn.Dense)) else None)
    return len(found)


def test_styled_shows_thousands_separators_and_keeps_the_data():
    frame = tables.summary_frame(summary(get_model("vgg16"), (3, 224, 224)))
    page = tables.styled(frame).to_html()
    assert "102,764,544" in page and "15470264320" not in page
    assert frame.loc["features.fc6", "params"] == 102_764_544   # still a number


def test_styled_shows_years_without_separators():
    rows = compare.architecture_table(["lenet", "resnet18"])
    frame = tables.architecture_frame(rows)
    page = tables.styled(frame).to_html()
    years = [str(r.year) for r in rows if r.year]
    assert years and all(f">{y}<" in page for y in years)
    assert not any(f">{y[0]},{y[1:]}<" in page for y in years)
    frame["params"] = frame["params"].astype("int64")
    assert f">{rows[1].params:,}<" in tables.styled(frame).to_html()  # other integers keep them


def test_architecture_frame_shows_the_rows():
    rows = compare.architecture_table(["lenet", "mobilenet_v1"])
    frame = tables.architecture_frame(rows)
    assert list(frame.index) == [r.name for r in rows] and frame.index.name == "model"
    for r in rows:
        line = frame.loc[r.name]
        assert (line["params"], line["MACs"], line["depth"], line["classes"]) == \
            (r.params, r.macs, r.depth, r.num_classes)
        assert line["input"] == f"{r.in_channels}x{r.input_size}x{r.input_size}"
        assert line["act. MiB"] == pytest.approx(r.activation_bytes / 2**20)
    assert math.isnan(frame.loc["lenet", "top-1 %"])
    assert frame.loc["mobilenet_v1", "top-1 %"] == compare.PUBLISHED_TOP1["mobilenet_v1"].top1


def test_published_frame_is_the_registry_against_mxnets_count():
    names = ["lenet", "alexnet_grouped", "vgg16_c", "mobilenet_v2"]
    frame = tables.published_frame(names)
    assert list(frame.index) == names
    for name in names:
        info = model_info(name)
        net = get_model(name)
        net.infer_shape(np.zeros((1, info.in_channels, info.input_size, info.input_size)))
        assert frame.loc[name, "ours"] == n_params(net)
        assert (frame.loc[name, "published"], frame.loc[name, "source"]) == \
            (info.expected_params, info.source)
        assert frame.loc[name, "difference"] == n_params(net) - info.expected_params == 0


def test_lenet_frame_has_the_papers_per_layer_counts():
    frame = tables.lenet_frame("lenet5")
    assert list(frame.index) == [row[0] for row in LENET5]
    # Section II.B of LeCun et al. 1998
    assert list(frame["params"]) == [156, 12, 1_516, 32, 48_120, 10_164]
    assert list(frame["maps"].dropna()) == [6, 16, 120, 84]
    assert frame["params"].sum() + 850 == model_info("lenet5").expected_params
    assert tables.lenet_frame("lenet")["params"].sum() + 850 == model_info("lenet").expected_params


def test_alexnet_frame_sizes_are_the_networks():
    frame = tables.alexnet_frame(227)
    net = get_model("alexnet", num_classes=10)
    net.initialize(init.Zero())
    x, seen = np.zeros((1, 3, 227, 227)), {}
    for name, layer in net.features._children.items():
        x = layer(x)
        if name.startswith(("conv", "pool")):
            seen[name] = x.shape[2]
    for name in frame.index:   # the side after the convolution and its pooling, if any
        pool = "pool" + name[len("conv"):]
        assert frame.loc[name, "output"] == seen.get(pool, seen[name]), name
    assert list(frame["output"]) == [27, 13, 13, 13, 6]   # Figure 2 of the paper
    assert tables.alexnet_frame(224, padding=2)["output"].iloc[-1] == 6


def test_vgg_frame_is_table_one():
    frame = tables.vgg_frame()
    assert list(frame.columns) == list(CFGS)
    depth = {key: weight_layers(get_model(name)) for key, name in
             (("A", "vgg11"), ("A-LRN", "vgg11_lrn"), ("B", "vgg13"), ("C", "vgg16_c"),
              ("D", "vgg16"), ("E", "vgg19"))}
    assert frame.loc["weight layers"].to_dict() == depth == \
        {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19}
    assert frame.loc["block3", "C"] == "conv3-256, conv3-256, conv1-256"
    assert frame.loc["block1", "A-LRN"] == "conv3-64, LRN"
    assert frame.loc["block5", "E"] == ", ".join(["conv3-512"] * 4)


def test_googlenet_frame_is_table_one():
    frame = tables.googlenet_frame()
    rows = [(name, args) for name, kind, args in GOOGLENET if kind == "inception"]
    assert list(frame.index) == [name for name, _ in rows]
    for name, args in rows:
        assert tuple(frame.loc[name].iloc[:6]) == args
        block = Inception(args[0], args[1:3], args[3:5], args[5])
        assert frame.loc[name, "output"] == block.out_channels


@pytest.mark.parametrize("block", [InceptionA(192, 32), InceptionE(1280),
                                   Inception(64, (96, 128), (16, 32), 32, in_channels=192)])
def test_branches_frame_adds_up_to_the_block(block):
    frame = tables.branches_frame(block)
    assert list(frame.index) == list(block._children)
    assert frame["channels"].sum() == block.out_channels
    assert all(frame["layers"].str.contains("conv"))


def test_branches_frame_reads_the_layers():
    frame = tables.branches_frame(InceptionA(192, 32))
    assert frame.loc["branch2", "layers"] == "1x1 conv 48 -> 5x5 conv 64"
    assert frame.loc["branch4", "layers"] == "3x3 avg pool -> 1x1 conv 32"
    assert "(1x3 conv 384 | 3x1 conv 384)" in tables.branches_frame(InceptionE(1280)).loc[
        "branch2", "layers"]
    with pytest.raises(TypeError, match="takes an Inception block"):
        tables.branches_frame(nn.Dense(3))


def test_resnet_frame_depth_is_its_weight_layers():
    frame = tables.resnet_frame()
    assert list(frame.index) == list(resnet_spec)
    assert list(frame["layers"]) == list(frame.index)   # ResNet-18 has 18 weight layers, ...
    net = get_model("resnet34")
    shortcuts = sum(1 for k, _ in net.collect_params().items() if "conv3_weight" in k)
    assert weight_layers(net) - shortcuts == 34          # the paper leaves the projections out
    assert frame.loc[50, "conv4_x"] == "6 x 256, 1024" and frame.loc[18, "conv2_x"] == "2 x 64"


def test_mobilenet_v1_frame_is_the_networks_convolutions():
    frame = tables.mobilenet_v1_frame(alpha=0.5, input_size=160)
    net = get_model("mobilenet_v1", alpha=0.5)
    net.initialize(init.Zero())
    x = np.zeros((1, 3, 160, 160))
    for layer in frame.index:
        unit = net.features
        for part in layer.split("."):
            unit = getattr(unit, part)
        weight = unit.conv.weight.shape
        assert frame.loc[layer, "input"] == f"{x.shape[2]}x{x.shape[3]}x{x.shape[1]}", layer
        assert frame.loc[layer, "stride"] == unit.conv._kwargs["stride"][0], layer
        dw = frame.loc[layer, "type"] == "Conv dw"
        assert frame.loc[layer, "filter"] == (f"3x3x{weight[0]} dw" if dw else
                                              "x".join(map(str, weight[2:] + weight[1::-1])))
        x = unit(x)
    assert len(frame) == 27   # 1 + 13 x 2 convolutions (Table 1)


def test_mobilenet_v2_frame_is_table_two():
    frame = tables.mobilenet_v2_frame()
    net = get_model("mobilenet_v2")
    net.initialize(init.Zero())
    x = np.zeros((1, 3, 224, 224))
    for stage in frame.index:
        assert frame.loc[stage, "input"] == f"{x.shape[2]}x{x.shape[3]}x{x.shape[1]}", stage
        x = getattr(net.features, stage)(x)
        assert x.shape[1] == frame.loc[stage, "c"]
    bottlenecks = frame[frame["operator"] == "bottleneck"]
    assert [tuple(int(v) for v in row) for row in bottlenecks[["t", "c", "n", "s"]].values] \
        == list(MOBILENET_V2)
    assert [len(getattr(net.features, s)._children) for s in bottlenecks.index] == \
        list(bottlenecks["n"])
