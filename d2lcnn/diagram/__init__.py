"""Diagrams of the networks and their blocks, drawn from the built networks themselves.

Each drawing traces the network's own forward pass (`trace`), so where it adds, concatenates
or scales, its kernels, strides, channels and output shapes are the code's; parameter counts
come from `d2lcnn.summary`. Every function returns a `Drawing`: ``drawing.layout`` is the
picture as data (boxes with their text and the data they show, edges; tests compare them with
the networks), ``drawing.figure`` the matplotlib figure; in a notebook it shows as SVG, and
``drawing.save("x.svg")`` writes a file. One colour per layer kind, the same legend
everywhere (`style.KINDS`); themes "light" (a white card, for the book's light and dark
pages), "dark" and "transparent".

* `network("resnet152")`: a whole registered network, repeated blocks folded ("× 36");
  ``horizontal=True`` for wide pages;
* `block("googlenet", "features.inception3a")`, or ``block(my_block, input_shape=...)``: a
  block with its branches and merges;
* `lenet5()` and `c3_table()`: LeNet-5 as the paper's Figure 2, C3's connection table;
* `alexnet_towers()`: AlexNet's two GPUs and where they exchange data;
* `resnext_paths()`, `conv_vs_separable()`, `xception_flows()`: ResNeXt's grouped block and
  its 32 paths, a standard and a depthwise separable convolution, Xception's three flows;
* `compare([...])`: several networks side by side at one scale;
* `legend()`: the colours of the layer kinds.

From the command line: ``python -m d2lcnn draw MODEL [--input 1x28x28] [--out FILE.svg]``.
"""
from .alexnet import alexnet_towers
from .blocks import block, conv_vs_separable, resnext_paths
from .compare import compare
from .errors import DiagramError
from .layout import Box, Edge, Layout, Text
from .lenet import c3_table, lenet5
from .networks import network
from .page import finish as _finish
from .render import Drawing
from .style import COLUMN, KINDS, THEMES
from .xception import xception_flows


def legend(theme="light"):
    """A drawing of the legend alone: every layer kind and its colour."""
    layout = Layout(0, 0)
    for k in KINDS:  # an invisible anchor per kind, so that the legend lists them all
        layout.add(Box(0, 0, 0, 0, k, shape="rect", info={"anchor": k}))
    _finish(layout, "Layer kinds", legend=True, min_width=COLUMN)
    layout.boxes = [b for b in layout.boxes if "anchor" not in b.info]
    return Drawing(layout, theme)


__all__ = ["network", "block", "lenet5", "c3_table", "alexnet_towers", "resnext_paths",
           "conv_vs_separable", "xception_flows", "compare", "legend", "Drawing", "Layout",
           "Box", "Text", "Edge", "DiagramError", "KINDS", "THEMES"]
