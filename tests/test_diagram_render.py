"""Rendering: the text widths the layouts assume are the fonts' own (checked with matplotlib's
Agg renderer), SVG keeps text as text and embeds no raster, files are written atomically."""
import os
import re

import pytest

from d2lcnn.diagram import block, legend, lenet5, network
from d2lcnn.diagram import render as render_module
from d2lcnn.diagram.render import Drawing
from d2lcnn.diagram.style import WIDTHS, text_width


@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_width_table_is_the_fonts(weight):
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import LOAD_NO_HINTING, FT2Font
    font = FT2Font(findfont(FontProperties(family="DejaVu Sans", weight=weight)))
    font.set_size(1000, 72)
    for char, width in WIDTHS[weight].items():
        glyph = font.load_char(ord(char), flags=LOAD_NO_HINTING)
        assert round(glyph.linearHoriAdvance / 65536) == width, char


@pytest.fixture(scope="module")
def drawings():
    return {"network": network("resnet50", params=False),
            "block": block("inception_v3", "features.mixed7b"),
            "lenet5": lenet5(), "horizontal": network("lenet", params=False,
                                                      horizontal=True)}


@pytest.mark.parametrize("kind", ["network", "block", "lenet5", "horizontal"])
def test_rendered_text_is_no_wider_than_the_layout_assumed(drawings, kind):
    """Agg measures every text as drawn: it fits the extent the layout computed (so the
    layout's checks hold in the picture)."""
    fig, layout = drawings[kind]
    renderer = fig.canvas.get_renderer()
    texts = fig.axes[0].texts
    assert len(texts) == len(layout.all_texts())
    scale = 72.0 / fig.dpi
    for artist, t in zip(texts, [t for b in layout.boxes for t in b.texts] + layout.texts):
        assert artist.get_text() == t.text
        drawn = artist.get_window_extent(renderer).width * scale
        assert drawn <= t.width, (t.text, drawn, t.width)
        assert drawn >= 0.95 * t.width - 0.5, (t.text, drawn, t.width)  # nor much wider


def test_svg_keeps_text_as_text_and_is_small(drawings):
    svg = drawings["network"].svg()
    assert svg.startswith("<?xml") and "<image" not in svg
    assert "DejaVu Sans" in svg and "conv2_x" in svg and "block2–3" in svg
    assert len(svg.encode()) < 60_000
    assert drawings["network"].svg() == svg                    # deterministic
    png = drawings["network"].png(dpi=72)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_themes_change_the_card(drawings):
    layout = drawings["block"].layout
    light, dark, clear = (Drawing(layout, t).svg() for t in ("light", "dark", "transparent"))
    assert "#ffffff" in light and "#1f2329" in dark
    assert "#1f2329" not in light and "#1f2329" not in clear and "#ffffff" not in clear.split(
        "<g id=\"patch_3\">")[0]
    with pytest.raises(ValueError, match="theme must be one of"):
        Drawing(layout, "blue")


def test_a_drawing_unpacks_and_shows_as_svg(drawings):
    d = drawings["lenet5"]
    fig, layout = d
    assert layout is d.layout and fig is d.figure
    assert d._repr_svg_().startswith("<?xml")
    assert "Drawing" in repr(d) and "boxes" in repr(d)
    import matplotlib.pyplot as plt
    assert fig not in [plt.figure(n) for n in plt.get_fignums()]   # not shown by pyplot


def test_save_writes_atomically(tmp_path, monkeypatch, drawings):
    d = drawings["lenet5"]
    out = d.save(tmp_path / "lenet5.svg")
    assert open(out).read().startswith("<?xml")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask
    png = tmp_path / "lenet5.png"
    d.save(png, dpi=50)
    assert png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match=r"must end in \.svg, \.png, \.pdf"):
        d.save(tmp_path / "lenet5.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        d.save(tmp_path / "nope" / "lenet5.svg")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(render_module, "figure_bytes", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        d.save(tmp_path / "half.svg")
    assert sorted(os.listdir(tmp_path)) == ["lenet5.png", "lenet5.svg"]   # nothing half-written


def test_legend_lists_every_kind_in_one_order():
    from d2lcnn.diagram.style import KINDS
    layout = legend().layout
    labels = [t.text for t in layout.texts][1:]
    assert labels == [label for label, _ in KINDS.values()]
    assert layout.problems() == []
    swatches = [b.kind for b in layout.boxes]
    assert swatches == list(KINDS)


def test_text_estimate_covers_long_labels():
    assert text_width("inception_resnet_v2", 8, "bold") > text_width("inception_resnet_v2", 8)
    assert re.match(r"^\d", f"{text_width('x'):.1f}")
