"""The visual language shared by every drawing: one colour per layer kind, fonts, themes.

Kept free of matplotlib so that layouts (and their tests) never import it. Text widths come
from a table of DejaVu Sans advance widths (matplotlib's default font, which the figures use):
a layout can then check, without rendering, that every label fits in its box.
"""
import dataclasses

FONT = "DejaVu Sans"
SIZE = 8.0          # box labels, in points (10.7 px at the book's scale: 1 pt = 4/3 px)
SMALL = 7.0         # details: shapes, BatchNorm / activation, parameter counts
TITLE = 10.0
LINE = 1.17         # a line of text is SIZE * LINE points high (DejaVu's ascent + descent)
COLUMN = 525.0      # the book's text column, ~700 px, in points: drawings fit in it

#: kind -> (legend label, fill). The order is the legend's. Fills are light, so that the
#: labels (always dark) read on them whatever the page's theme.
KINDS = {
    "input": ("input / output", "#ececec"),
    "conv": ("convolution", "#8dbbe3"),
    "conv1x1": ("1×1 convolution", "#c9e1f5"),
    "dwconv": ("grouped / depthwise conv.", "#bba9e0"),
    "sepconv": ("separable convolution", "#e3b6d9"),
    "pool": ("pooling / subsampling", "#f5c56f"),
    "dense": ("dense (fully connected)", "#94d3a2"),
    "norm": ("normalisation", "#d2d2d2"),
    "act": ("activation", "#f4ea97"),
    "merge": ("concatenate / add / scale", "#ffffff"),
    "block": ("block of several layers", "#eee4d3"),
    "op": ("other operation", "#f3f3f3"),
}


@dataclasses.dataclass(frozen=True)
class Theme:
    """Colours of everything that is not a box fill."""

    name: str
    background: str     # the card behind the drawing ("none": transparent)
    text: str           # titles and labels outside boxes
    muted: str          # secondary text outside boxes
    box_text: str       # text on box fills (the fills are light in every theme)
    box_muted: str
    edge: str           # arrows
    outline: str        # box outlines
    frame: str          # stage frames, tower outlines
    accent: str         # what a drawing points out (AlexNet's exchanges, LeNet's table)


THEMES = {
    # a white card: it reads on the book's light pages and, framed by the theme's light
    # backing of output images, on its dark ones too
    "light": Theme("light", "#ffffff", "#1a1a1a", "#555555", "#1a1a1a", "#3a3a3a",
                   "#4a4a4a", "#5a5a5a", "#9a9a9a", "#c0392b"),
    "dark": Theme("dark", "#1f2329", "#e8e8e8", "#b0b0b0", "#1a1a1a", "#3a3a3a",
                  "#c8c8c8", "#2a2a2a", "#8a9099", "#ff7b6b"),
    # no card: for pages that are light themselves
    "transparent": Theme("transparent", "none", "#1a1a1a", "#555555", "#1a1a1a", "#3a3a3a",
                         "#4a4a4a", "#5a5a5a", "#9a9a9a", "#c0392b"),
}


def theme(name):
    """The theme called `name` ('light', 'dark' or 'transparent'), with a clear error."""
    if isinstance(name, Theme):
        return name
    if name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}; got {name!r}")
    return THEMES[name]


def fill(kind):
    if kind not in KINDS:
        raise ValueError(f"unknown box kind {kind!r}; the kinds are {', '.join(KINDS)}")
    return KINDS[kind][1]


# --------------------------------------------------------------------------------- text size

_CHARS = "".join(chr(i) for i in range(32, 127)) + "×→·–…⊕↓↑←"
# advance widths in 1/1000 em of DejaVu Sans and DejaVu Sans Bold (matplotlib's own copies),
# for the characters of _CHARS; tests/test_diagram_render.py checks them against the fonts
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838, 838, 838, 318, 500, 1000, 838, 838, 838, 838)
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838, 838, 838, 380, 500, 1000, 838, 838, 838, 838)
WIDTHS = {"normal": dict(zip(_CHARS, _REGULAR)), "bold": dict(zip(_CHARS, _BOLD))}
_WIDEST = 1103  # any character not in the table is taken as wide as the widest one


SLACK = 1.015  # rasterisers round glyph positions to pixels: long lines grow by up to 1%


def text_width(text, size=SIZE, weight="normal"):
    """Width in points of `text` set in DejaVu Sans at `size` points: the sum of the glyphs'
    advances, with a margin for rounding to pixels and the last glyph's overhang (so at most
    a little wider than drawn; tests/test_diagram_render.py measures it with Agg)."""
    if not text:
        return 0.0
    table = WIDTHS[weight]
    return sum(table.get(c, _WIDEST) for c in text) * size / 1000.0 * SLACK + 0.06 * size


def text_height(size=SIZE):
    return size * LINE
