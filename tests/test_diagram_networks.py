"""Whole-network drawings, over the whole registry: every row says what the network has, as
`d2lcnn.summary` measures it (output shapes, parameters) and as the built layers hold it
(kernel, channels, stride), nothing is left out, nothing overlaps; and the drawings of each
family agree with its spec table."""
import re

import pytest
from mxnet import init
from mxnet.gluon import nn

import d2lcnn
from d2lcnn.diagram import labels, network
from d2lcnn.diagram.errors import DiagramError
from d2lcnn.diagram.rows import flatten_rows
from d2lcnn.diagram.source import child
from d2lcnn.registry import get_model, list_models, model_info
from d2lcnn.summary import summary

MODELS = list_models()
LAYER_KINDS = ("conv", "conv1x1", "dwconv", "sepconv", "pool", "dense", "norm")


def small_shape(name):
    """The smallest input that keeps every network's structure (faster summaries)."""
    info = model_info(name)
    side = max(info.smallest_input(), min(32, info.input_size))
    return (info.in_channels, side, side)


def measured(name):
    """The network, its summary and its drawing (the summary handed to it: one forward).
    Not cached: the registry's networks hold gigabytes of parameters together."""
    info = model_info(name)
    shape = small_shape(name)
    net = get_model(name, num_classes=info.expected_classes)
    net.initialize(init.Zero())  # counts and shapes only: no need for random numbers
    s = summary(net, shape)
    return net, s, network(name, shape, summary=s)


def _base(name):
    return re.sub(r"\[\d+\]$", "", name)


def _under(name, path):
    return name == path or name.startswith(path + ".")


def _first_conv(block):
    if isinstance(block, nn.Conv2D):
        return block
    for c in block._children.values():
        found = _first_conv(c)
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("name", MODELS)
def test_every_row_matches_summary_and_the_layers(name):
    net, s, drawing = measured(name)
    layout = drawing.layout
    assert layout.problems() == []
    rows = layout.info["rows"]
    leaves = [r for r in flatten_rows(rows) if not r.children and r.kind != "input"]
    # the rows share out the trainable parameters exactly (auxiliary heads excepted)
    aside = sum(r.trainable_params for r in s.rows if r.name == "(not called)")
    assert sum(r.params for r in rows if r.kind != "input") == s.trainable_params - aside
    assert layout.info["trainable_params"] == s.trainable_params
    # every layer with parameters is drawn in some row
    drawn = [p for r in leaves for p in r.paths]
    for r in s.rows:
        if r.params and r.name != "(not called)":
            assert any(_under(_base(r.name), p) for p in drawn), r.name
    for r in leaves:
        for path in r.paths:
            under = [x for x in s.rows if _under(_base(x.name), path)]
            assert under, (name, path)
            if r.kind in LAYER_KINDS:   # one layer: its output is summary's last row there
                assert tuple(under[-1].output_shape) == tuple(r.shape), (name, path)
            else:                       # a block: its output has the size of its last row
                assert tuple(under[-1].output_shape[2:]) == tuple(r.shape[2:]), (name, path)
                block = child(net, path)
                out = getattr(block, "out_channels", None)
                if out is not None:     # Inception blocks know their output channels
                    assert r.shape[1] == out, (name, path)
            if r.kind in ("conv", "conv1x1", "dwconv"):
                conv = _first_conv(child(net, path))
                k = tuple(conv._kwargs["kernel"])
                assert r.text.startswith(f"{k[0]}×{k[1]} "), (name, path, r.text)
                if conv._kwargs["num_group"] == 1:
                    assert f"conv, {conv._channels}" in r.text
                stride = tuple(conv._kwargs["stride"])
                assert (", /" in r.text) == (stride != (1, 1)), (name, path, r.text)
    # what the boxes say is what the rows hold
    for box in layout.boxes:
        if box.info.get("paths") and box.info.get("row_kind") != "stage":
            words = [t.text for t in box.texts]
            assert box.info["name"] in words
            assert labels.shape(box.info["shape"]) in words
            assert (f"× {box.info['count']}" in words) == (box.info["count"] > 1)


def test_a_network_at_its_papers_size_folds_resnet152():
    d = network("resnet152", params=False)
    rows = {r.paths[0]: r for r in flatten_rows(d.layout.info["rows"])}
    stage = rows["features.conv4_x"]
    assert [(r.label, r.count) for r in stage.children] == [("block1", 1), ("block2–36", 35)]
    assert labels.shape(stage.children[1].shape) == "14×14×1024"
    assert stage.children[0].text == "[1×1, 256 → 3×3, 256 /2 → 1×1, 1024] + projection"
    assert d.layout.info["depth"] == 152
    assert d.layout.problems() == [] and d.layout.width <= 525 and d.layout.height < 600


@pytest.mark.parametrize("name,depth", [("lenet5", 5), ("alexnet", 8), ("vgg16", 16),
                                        ("vgg19", 19), ("googlenet", 22), ("resnet18", 18),
                                        ("resnet50", 50), ("resnet101", 101),
                                        ("mobilenet_v1", 28)])
def test_depth_is_the_papers(name, depth):
    """The papers' depths: layers with weights on the longest path (MobileNet counts its
    depthwise and pointwise convolutions apart: 28)."""
    assert network(name, params=False).layout.info["depth"] == depth


@pytest.mark.parametrize("name", [n for n in MODELS if model_info(n).family == "vgg"])
def test_vgg_rows_follow_table_1(name):
    from d2lcnn.models.vgg import CFGS
    cfg = {"vgg11": "A", "vgg11_lrn": "A-LRN", "vgg13": "B", "vgg16_c": "C", "vgg16": "D",
           "vgg19": "E"}[name.replace("_bn", "")]
    drawn, stages = [], [r for r in network(name, params=False).layout.info["rows"]
                         if r.children]
    for stage in stages:
        for r in stage.children:
            if r.kind.startswith("conv"):
                k = int(r.text.split("×")[0])
                c = int(r.text.split(", ")[1])
                drawn += [c if k == 3 else (c, 1)] * r.count
            elif r.kind == "norm":
                drawn.append("LRN")
        drawn.append("M")
    assert drawn == CFGS[cfg]


@pytest.mark.parametrize("name", [n for n in MODELS if model_info(n).family == "resnet"])
def test_resnet_stages_follow_table_1(name):
    from d2lcnn.models.resnet import resnet_spec
    depth = int(re.search(r"(\d+)", name).group(1))
    kind, blocks, widths = resnet_spec[depth]
    rows = {r.paths[0]: r for r in network(name, params=False).layout.info["rows"]}
    for k, (n, w) in enumerate(zip(blocks, widths), start=2):
        stage = rows[f"features.conv{k}_x"]
        assert sum(r.count for r in stage.children) == n
        expansion = 4 if kind == "bottleneck" else 1
        assert stage.shape[1] == w * expansion
        first = stage.children[0].text
        assert first.startswith(f"[1×1, {w * (2 if 'resnext50' in name else 4 if 'resnext101' in name else 1)}"
                                if kind == "bottleneck" else f"[3×3, {w}")
        assert ("/2" in first) == (k > 2) and first.endswith("+ projection") == (k > 2 or
                                                                                 expansion > 1)


def test_mobilenet_v2_stages_follow_table_2():
    from d2lcnn.models.mobilenet import MOBILENET_V2
    rows = {r.paths[0]: r for r in network("mobilenet_v2", params=False).layout.info["rows"]}
    for k, (t, c, n, s) in enumerate(MOBILENET_V2, start=1):
        stage = rows[f"features.stage{k}"]
        inner = stage.children or [stage]
        assert sum(r.count for r in inner) == n and stage.shape[1] == c
        assert ("/2" in inner[0].text) == (s == 2)
        assert inner[-1].text.endswith("+ identity") == (n > 1)


def test_mobilenet_v1_rows_follow_table_1():
    from d2lcnn.models.mobilenet import MOBILENET_V1
    rows = [r for r in network("mobilenet_v1", params=False).layout.info["rows"]
            if r.label.startswith("block")]
    drawn = [(2 if "/2" in r.text else 1, r.shape[1]) for r in rows for _ in range(r.count)]
    assert drawn == list(MOBILENET_V1)


@pytest.mark.parametrize("name", ["googlenet", "googlenet_d2l"])
def test_googlenet_rows_follow_table_1(name):
    from d2lcnn.models.inception import GOOGLENET
    rows = {r.paths[0]: r for r in network(name, params=False).layout.info["rows"]}
    for layer, kind, a in GOOGLENET:
        if kind == "inception":
            assert rows[f"features.{layer}"].key == (
                f"4 towers: 1×1, {a[0]} | 1×1, {a[1]} → 3×3, {a[2]} | 1×1, {a[3]} → 5×5, "
                f"{a[4]} | 3×3 max → 1×1, {a[5]}")


@pytest.mark.parametrize("name,counts", [
    ("inception_v4", {"inception_a": 4, "inception_b": 7, "inception_c": 3}),
    ("inception_resnet_v2", {"block35_": 10, "block17_": 20, "block8_": 10})])
def test_repeated_inception_blocks_fold_as_in_the_table(name, counts):
    table = {"inception_v4": "INCEPTION_V4", "inception_resnet_v2": "INCEPTION_RESNET_V2"}
    from d2lcnn.models import inception
    spec = getattr(inception, table[name])
    rows = network(name, params=False).layout.info["rows"]
    for prefix, n in counts.items():
        in_table = [layer for layer, _, _ in spec if layer.startswith(prefix)]
        assert len(in_table) == n
        drawn = [r for r in rows if r.label.startswith(prefix)]
        assert sum(r.count for r in drawn) == n
    if name == "inception_resnet_v2":  # block8_10 (scale 1, no ReLU) is not folded in
        last = [r for r in rows if r.label.startswith("block8_")]
        assert [r.count for r in last] == [9, 1] and last[0].detail == "ReLU" \
            and last[1].detail == ""


def test_lenet5_and_alexnet_rows_follow_their_tables():
    from d2lcnn.models.alexnet import ALEXNET
    from d2lcnn.models.lenet import LENET5
    rows = {r.label: r for r in network("lenet5", params=False).layout.info["rows"]}
    assert [r for r in rows if r not in ("input", "output")] == [row[0] for row in LENET5]
    assert rows["c3"].text == "5×5 conv, 16, partial" and rows["c1"].shape[1:] == (6, 28, 28)
    rows = {r.label: r for r in network("alexnet", params=False).layout.info["rows"]}
    for layer, c, k, s, *_ in ALEXNET:
        assert rows[layer].text == f"{k}×{k} conv, {c}" + (f", /{s}" if s > 1 else "")


def test_xception_middle_flow_is_folded():
    from d2lcnn.models.xception import XCEPTION
    rows = {r.label: r for r in network("xception", params=False).layout.info["rows"]}
    middle = rows["middle_flow"].children
    assert [(r.label, r.count) for r in middle] == [("block1–8", len(XCEPTION["middle_flow"]))]
    assert middle[0].text == "[sep 3×3, 728 → sep 3×3, 728 → sep 3×3, 728] + identity"


def test_horizontal_variant_has_the_same_rows():
    v = network("resnet34", params=False)
    h = network("resnet34", params=False, horizontal=True)
    key = [(r.label, r.count, r.shape) for r in flatten_rows(v.layout.info["rows"])]
    assert key == [(r.label, r.count, r.shape) for r in flatten_rows(h.layout.info["rows"])]
    assert h.layout.problems() == [] and h.layout.width > h.layout.height


def test_a_chapters_cpu_recipe_network():
    """The network a chapter trains on the CPU: options, one channel, 10 classes."""
    d = network("resnet18", (1, 28, 28), in_channels=1, num_classes=10, stem="small",
                width=16)
    rows = {r.paths[0]: r for r in d.layout.info["rows"]}
    assert "features.pool1" not in rows and rows["features.conv1"].text == "3×3 conv, 16"
    assert labels.shape(rows["features.conv5_x"].shape) == "4×4×128"
    assert d.layout.info["trainable_params"] == d2lcnn.count_params(
        get_model("resnet18", num_classes=10, in_channels=1, stem="small", width=16))
    with pytest.raises(d2lcnn.InputShapeError, match="built for 3-channel images"):
        network("resnet18", (1, 28, 28), params=False)
    with pytest.raises(DiagramError, match="give a wider page_width="):
        network("resnet18", params=False, page_width=200)


def test_a_users_sequential_network_and_bad_inputs():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, activation="tanh"), nn.AvgPool2D(2, 2), nn.Dense(10))
    d = network(net, (1, 32, 32), params=False)
    texts = [r.text for r in d.layout.info["rows"]]
    assert texts == ["", "5×5 conv, 6", "2×2 avg pool, /2", "dense, 10"]
    with pytest.raises(DiagramError, match="needs its input shape"):
        network(net)
    with pytest.raises(DiagramError, match="input_shape must be"):
        network("lenet", (0, 28, 28))
    with pytest.raises(d2lcnn.UnknownModelError, match="Did you mean lenet"):
        network("lenett")
    with pytest.raises(d2lcnn.InputShapeError, match="smallest size that works is 12x12"):
        network("lenet", (1, 8, 8))
    lenet_summary = summary(get_model("lenet", num_classes=10), (1, 28, 28))
    with pytest.raises(DiagramError, match="not a summary of lenet5 .* no layer 'features.c1.0'"):
        network("lenet5", summary=lenet_summary)
    with pytest.raises(DiagramError, match=r"input \(1, 28, 28\), drawing \(1, 32, 32\)"):
        network("lenet", (1, 32, 32), summary=lenet_summary)
