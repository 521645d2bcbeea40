"""d2lcnn.diagram's data, without matplotlib: text metrics, the checks of a layout, wrapping,
folding, and the series-parallel decomposition of traced graphs."""
import sys

import pytest

from d2lcnn.diagram import labels
from d2lcnn.diagram.errors import DiagramError
from d2lcnn.diagram.layout import Box, Edge, Layout, Text
from d2lcnn.diagram.page import finish, wrap
from d2lcnn.diagram.rows import fold_label
from d2lcnn.diagram.structure import Par, decompose, longest_path, nodes_of
from d2lcnn.diagram.style import KINDS, SLACK, text_width, theme
from d2lcnn.diagram.trace import Graph, Node


def test_text_width_adds_the_advances_of_the_font():
    margin = 0.06 * 10                                       # the last glyph's overhang
    assert text_width("") == 0
    assert text_width("ii", 10) == pytest.approx(2 * 2.78 * SLACK + margin)  # "i": 0.278 em
    assert text_width("W", 10, "bold") > text_width("W", 10)
    assert text_width("→", 10) == pytest.approx(8.38 * SLACK + margin)
    assert text_width("\u4e00", 10) == pytest.approx(11.03 * SLACK + margin)  # the widest


def test_problems_find_overflow_overlap_and_crossing():
    lay = Layout(200, 100)
    a = Box(10, 10, 40, 20, "conv")
    a.add_text(10, "a label much wider than its box")
    lay.add(a)
    lay.add(Box(30, 20, 40, 20, "pool"))                  # overlaps a
    lay.add(Box(100, 10, 40, 20, "dense"))
    lay.edges.append(Edge([(0, 60), (190, 60)]))          # fine: below the boxes
    lay.edges.append(Edge([(90, 5), (160, 25)], 0, None))  # runs through box 2
    lay.texts.append(Text(195, 90, "off the canvas"))
    found = "\n".join(lay.problems())
    assert "does not fit in its box 0" in found
    assert "boxes 0 ('a label much wider than its box') and 1 ('') overlap" in found
    assert "crosses box 2" in found
    assert "'off the canvas' is outside the canvas" in found


def test_problems_accept_a_clean_layout_frames_and_stacked_planes():
    lay = Layout(200, 100)
    frame = Box(5, 5, 150, 80, "none", shape="frame")
    lay.add(frame)
    inner = Box(15, 20, 60, 20, "conv")
    inner.add_text(10, "3×3 conv, 64")
    lay.add(inner)
    for k in range(3):  # planes of one stack may overlap
        lay.add(Box(90 + 2 * k, 20 + 2 * k, 30, 30, "pool", shape="plane", group="S2"))
    lay.connect(1, 2)
    assert lay.problems() == []
    lay.add(Box(140, 60, 40, 20, "dense"))   # half in, half out of the frame
    assert any("cuts box" in p for p in lay.problems())


def test_finish_adds_title_legend_and_wrapped_notes():
    lay = Layout(0, 0)
    b = Box(0, 0, 60, 16, "conv")
    b.add_text(8, "3×3 conv, 64")
    lay.add(b)
    finish(lay, "A title", notes=["word " * 200])
    assert lay.title == "A title" and lay.legend == ("conv",)
    assert lay.problems() == []
    assert lay.width <= 525 + 1e-6       # the long note wrapped instead of widening the page
    assert len([t for t in lay.texts if t.text.startswith("word")]) > 3


def test_wrap_prefers_arrows_then_commas():
    text = "ReLU → 3×3 sep. conv, 728"
    assert wrap(text, 1000) == [text]
    lines = wrap(text, 100)
    assert lines == ["ReLU →", "3×3 sep. conv, 728"]
    assert all(text_width(s) <= 100 for s in lines)
    assert wrap("unbreakable", 5) == ["unbreakable"]


@pytest.mark.parametrize("first,last,label", [("block2", "block3", "block2–3"),
                                              ("inception_a1", "inception_a4", "inception_a1–4"),
                                              ("block35_1", "block35_10", "block35_1–10"),
                                              ("conv1", "conv2", "conv1–2"),
                                              ("fc6", "fc7", "fc6–7")])
def test_fold_label(first, last, label):
    assert fold_label(first, last) == label


def test_shapes_and_kernels_in_the_papers_notation():
    assert labels.shape((1, 64, 56, 28)) == "56×28×64"
    assert labels.shape((1, 1000)) == "1000"
    assert labels.kernel((1, 7)) == "1×7"
    assert labels.stride((2, 2)) == ", /2" and labels.stride((1, 1)) == ""


def test_themes_and_kinds():
    assert theme("dark").background != theme("light").background
    with pytest.raises(ValueError, match="theme must be one of light, dark, transparent"):
        theme("sepia")
    assert len({fill for _, fill in KINDS.values()}) == len(KINDS)   # one colour per kind


# ------------------------------------------------------------------------------ decomposition

def _graph(edges, kinds=None):
    ids = sorted({n for e in edges for n in e})
    kinds = kinds or {}
    nodes = {i: Node(i, kinds.get(i, "input" if i == ids[0] else "conv"), f"n{i}", "T", {})
             for i in ids}
    return Graph(nodes, list(edges))


def test_decompose_a_residual_block():
    g = _graph([(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)], {3: "add"})
    items = decompose(g)
    assert items[0] == 0 and items[2] == 3 and items[3] == 4
    par = items[1]
    assert isinstance(par, Par) and par.fork == 0 and par.join == 3
    assert par.branches == [[1, 2], []]           # the main path first, the identity last


def test_decompose_keeps_the_order_of_concatenated_towers():
    # towers 1 (one layer) and 2 (two layers) feed the concat in the order 2, 1
    g = _graph([(0, 1), (0, 2), (2, 3), (3, 4), (1, 4)], {4: "concat"})
    par = decompose(g)[1]
    assert par.branches == [[2, 3], [1]]


def test_decompose_nests_towers_that_meet_before_the_join():
    # Inception-ResNet: towers 1, 2 concatenated (3), projected (4), added to the input (5)
    g = _graph([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (4, 5), (0, 5)],
               {3: "concat", 5: "add"})
    items = decompose(g)
    outer = items[1]
    assert outer.join == 5 and outer.branches[1] == []
    inner = outer.branches[0][0]
    assert isinstance(inner, Par) and inner.join == 3 and outer.branches[0][1:] == [3, 4]
    assert sorted(nodes_of(items)) == [0, 1, 2, 3, 4, 5]


def test_decompose_refuses_a_graph_that_is_not_series_parallel():
    # 1 -> 3 crosses from one branch into the other's middle
    g = _graph([(0, 1), (0, 2), (1, 3), (2, 3), (1, 4), (3, 4)], {3: "add", 4: "add"})
    with pytest.raises(DiagramError, match="not series-parallel"):
        decompose(g)


def test_longest_path_counts_the_chosen_nodes():
    g = _graph([(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)], {3: "add"})
    path = longest_path(g, lambda n: n.kind == "conv")
    assert path == [0, 1, 2, 3, 4]


def test_the_layout_modules_do_not_import_matplotlib():
    """Layouts are computed without matplotlib (fast tests); only rendering imports it."""
    import subprocess
    code = ("import d2lcnn, sys; from mxnet import npx; npx.set_np(); "
            "d = d2lcnn.diagram.network('lenet', params=False); d.layout.problems(); "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
