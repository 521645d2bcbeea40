"""Block drawings: each box says what the block's own layers hold (kernel, stride, channels,
groups), its output shape is the one `d2lcnn.summary` measures for the block, and the merges
(concatenate, add, scale) are where the block's forward pass puts them."""
import pytest
from mxnet import init
from mxnet.gluon import nn

from d2lcnn.diagram import block, conv_vs_separable, resnext_paths
from d2lcnn.diagram.errors import DiagramError
from d2lcnn.diagram.source import child
from d2lcnn.registry import get_model, model_info
from d2lcnn.summary import summary

#: (model, path): every block idea of the book, as the registered networks hold it
BLOCKS = [
    ("googlenet", "features.inception3a"),                # the Inception module
    ("inception_v3", "features.mixed5b"),                 # v3: 35x35 (A)
    ("inception_v3", "features.mixed6a"),                 # grid reduction (B)
    ("inception_v3", "features.mixed6b"),                 # factorised 7x7 (C)
    ("inception_v3", "features.mixed7a"),                 # reduction (D)
    ("inception_v3", "features.mixed7b"),                 # expanded 8x8 (E)
    ("inception_v4", "features.inception_c1"),
    ("inception_v4", "features.reduction_b"),
    ("inception_resnet_v2", "features.block35_1"),        # Inception-ResNet with its scale
    ("inception_resnet_v2", "features.block8_10"),        # scale 1, no ReLU
    ("resnet18", "features.conv2_x.block1"),              # basic, identity shortcut
    ("resnet18", "features.conv3_x.block1"),              # basic, projection shortcut
    ("resnet50", "features.conv3_x.block1"),              # bottleneck, projection
    ("resnet50", "features.conv3_x.block2"),              # bottleneck, identity
    ("resnext50_32x4d", "features.conv2_x.block2"),       # grouped bottleneck
    ("mobilenet_v1", "features.block2"),                  # depthwise separable
    ("mobilenet_v2", "features.stage3.block1"),           # inverted residual, stride 2
    ("mobilenet_v2", "features.stage3.block2"),           # inverted residual, added
    ("xception", "features.entry_flow.block1"),
    ("xception", "features.middle_flow.block1"),
    ("vgg16", "features.block3"),                         # a VGG block
    ("alexnet", "features"),                              # a whole chain
]


def _convs(blk, prefix):
    """(path, Conv2D) of every convolution in the block, paths as in the network."""
    out = []

    def walk(b, path):
        if isinstance(b, nn.Conv2D):
            out.append((path, b))
        for k, c in b._children.items():
            walk(c, f"{path}.{k}")
    walk(blk, prefix)
    return out


@pytest.mark.parametrize("model,path", BLOCKS)
def test_block_boxes_say_what_the_layers_hold(model, path):
    drawing = block(model, path)
    layout = drawing.layout
    assert layout.problems() == []
    assert layout.width <= 525, "wider than the book's column"
    net = get_model(model, num_classes=model_info(model).expected_classes)
    blk = child(net, path)
    boxes = [b for b in layout.boxes if b.info.get("kind") in ("conv", "sepconv")]
    for conv_path, conv in _convs(blk, path):
        mine = [b for b in boxes if conv_path in b.info["members"]]
        assert len(mine) == 1, conv_path
        info, words = mine[0].info, " | ".join(t.text for t in mine[0].texts)
        k = tuple(conv._kwargs["kernel"])
        if info["kind"] == "sepconv" and info.get("pointwise") == conv_path:
            assert info["channels"] == conv._channels
            continue
        assert info["kernel"] == k and tuple(info["stride"]) == tuple(conv._kwargs["stride"])
        assert info["groups"] == conv._kwargs["num_group"]
        assert f"{k[0]}×{k[1]}" in words
        if conv._kwargs["num_group"] == 1:
            assert info["channels"] == conv._channels and f", {conv._channels}" in words
    # the output shapes are the ones summary measures for the block alone
    source = next(b for b in layout.boxes if b.info.get("kind") == "input")
    in_shape = source.info["shape"][1:]
    blk_net = get_model(model, num_classes=model_info(model).expected_classes)
    target = child(blk_net, path)
    target.initialize(init.Zero())
    s = summary(target, in_shape)
    rows = {f"{path}.{r.name}": r for r in s.rows}
    for b in boxes:
        last = [m for m in b.info["members"] if m in rows]
        if last:
            assert tuple(rows[last[-1]].output_shape) == tuple(b.info["shape"]), last
    # the last box's shape is the block's output shape
    out = target(__import__("mxnet").np.zeros((1,) + tuple(in_shape)))
    last_box = max((b for b in layout.boxes if b.info.get("node") is not None),
                   key=lambda b: b.y)
    assert tuple(last_box.info["shape"]) == tuple(out.shape)


def _merges(layout):
    return [b.info["kind"] for b in sorted(layout.boxes, key=lambda b: b.y)
            if b.info.get("kind") in ("add", "concat", "scale")]


def test_inception_module_concatenates_four_towers():
    layout = block("googlenet", "features.inception3a").layout
    concat, = [b for b in layout.boxes if b.info.get("kind") == "concat"]
    assert concat.info["shape"][1] == 64 + 128 + 32 + 32
    towers = [b for b in layout.boxes if b.info.get("kind") in ("conv", "pool")
              and b.y < concat.y]
    assert concat.x < min(b.cx for b in towers) and concat.right > max(b.cx for b in towers)
    assert len([e for e in layout.edges if e.dst == layout.boxes.index(concat)]) == 4


def test_factorised_blocks_nest_their_split():
    layout = block("inception_v3", "features.mixed7b").layout
    assert _merges(layout) == ["concat", "concat", "concat"]   # two splits, then the block's
    kernels = sorted({b.info["kernel"] for b in layout.boxes if b.info.get("kind") == "conv"})
    assert (1, 3) in kernels and (3, 1) in kernels


@pytest.mark.parametrize("path,scale,relu", [("features.block35_1", 0.17, True),
                                             ("features.block17_1", 0.1, True),
                                             ("features.block8_10", 1.0, False)])
def test_inception_resnet_block_scales_then_adds(path, scale, relu):
    layout = block("inception_resnet_v2", path).layout
    assert _merges(layout) == ["concat", "scale", "add"]
    sc, = [b for b in layout.boxes if b.info.get("kind") == "scale"]
    assert sc.info["scalar"] == pytest.approx(scale) and f"× {scale:g}" in sc.text
    add, = [b for b in layout.boxes if b.info.get("kind") == "add"]
    assert ("ReLU" in add.info["post"]) == relu
    side = [t.text for t in layout.texts if t.text.endswith(add_shape(add))]
    assert side and (side[0].startswith("ReLU") == relu)


def add_shape(box):
    s = box.info["shape"]
    return f"{s[2]}×{s[3]}×{s[1]}"


@pytest.mark.parametrize("model,path,projection", [
    ("resnet18", "features.conv2_x.block1", False), ("resnet18", "features.conv3_x.block1", True),
    ("resnet50", "features.conv2_x.block1", True), ("resnet50", "features.conv3_x.block2", False)])
def test_residual_blocks_show_their_shortcut(model, path, projection):
    layout = block(model, path).layout
    add, = [b for b in layout.boxes if b.info.get("kind") == "add"]
    main_x = add.cx
    side_convs = [b for b in layout.boxes if b.info.get("kind") == "conv"
                  and abs(b.cx - main_x) > 1]
    assert len(side_convs) == int(projection)    # the projection sits beside the main path
    if projection:
        assert side_convs[0].info["kernel"] == (1, 1) and side_convs[0].cx > main_x
    into_add = [e for e in layout.edges if e.dst == layout.boxes.index(add)]
    assert len(into_add) == 2
    assert "ReLU" in add.info["post"]


@pytest.mark.parametrize("path,added", [("features.stage3.block1", False),
                                        ("features.stage3.block2", True)])
def test_inverted_residual_is_linear_and_adds_when_it_can(path, added):
    layout = block("mobilenet_v2", path).layout
    assert ("add" in _merges(layout)) == added
    convs = sorted((b for b in layout.boxes if b.info.get("kind") == "conv"),
                   key=lambda b: b.y)
    expand, depthwise, project = convs
    assert expand.info["channels"] == 6 * expand.info["in_channels"]
    assert depthwise.info["groups"] == depthwise.info["channels"]
    assert "ReLU6" not in project.info["post"] and "linear" in project.text


def test_vgg_block_is_a_chain():
    layout = block("vgg16", "features.block3").layout
    assert _merges(layout) == []
    kinds = [b.info["kind"] for b in sorted(layout.boxes, key=lambda b: b.y)
             if b.info.get("node") is not None]
    assert kinds == ["input", "conv", "conv", "conv", "pool"]


def test_a_readers_own_block():
    class Towers(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.t1 = nn.Conv2D(64, 1, activation="relu")
            self.t2 = nn.HybridSequential()
            self.t2.add(nn.Conv2D(96, 1, activation="relu"),
                        nn.Conv2D(128, 3, padding=1, activation="relu"))

        def hybrid_forward(self, F, x):
            return F.np.concatenate([self.t1(x), self.t2(x)], axis=1)

    layout = block(Towers(), input_shape=(192, 28, 28)).layout
    concat, = [b for b in layout.boxes if b.info.get("kind") == "concat"]
    assert concat.info["shape"] == (1, 192, 28, 28) and layout.problems() == []
    assert "Towers" in layout.title


def test_block_errors_say_what_to_do():
    with pytest.raises(DiagramError, match="features has no child 'nope'; its children are"):
        block("resnet18", "features.nope")
    with pytest.raises(DiagramError, match="needs its input shape"):
        block(nn.Conv2D(8, 3))
    with pytest.raises(DiagramError, match="registered model name"):
        block(42)
    with pytest.raises(DiagramError, match="only apply to registered names"):
        block(nn.Conv2D(8, 3), input_shape=(3, 8, 8), width=2)


def test_resnext_grouped_block_beside_its_paths():
    layout = resnext_paths().layout
    grouped = [b for b in layout.boxes if b.info.get("groups", 1) > 1]
    assert len(grouped) == 1 and grouped[0].info["groups"] == 32
    inner = grouped[0].info["channels"]
    paths = [b for b in layout.boxes if "path_index" in b.info]
    assert sorted({b.info["path_index"] for b in paths}) == [1, 2, 32]
    assert all(b.info["channels"] == inner // 32 for b in paths
               if b.info["kernel"] == (3, 3))
    assert any(t.text == "…" for t in layout.texts)
    sums = [b for b in layout.boxes if b.info.get("paths") == 32]
    assert len(sums) == 1 and layout.problems() == []


def test_standard_and_separable_convolution_counts():
    layout = conv_vs_separable().layout   # MobileNet's block2: 3x3/2, 64 -> 128 at 112x112
    k, cin, cout, side = 3, 64, 128, 56
    assert layout.info["standard"] == (k * k * cin * cout, k * k * cin * cout * side * side)
    assert layout.info["separable"] == (k * k * cin + cin * cout,
                                        (k * k * cin + cin * cout) * side * side)
    assert layout.problems() == []
    with pytest.raises(DiagramError, match="not a depthwise convolution followed"):
        conv_vs_separable("resnet18", "features.conv2_x.block1")
    with pytest.raises(DiagramError, match="not a bottleneck with a grouped 3x3"):
        resnext_paths("resnet50", "features.conv2_x.block2")
