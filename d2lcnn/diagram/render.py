"""Draw a `Layout` with matplotlib, and `Drawing`, what every drawing function returns.

One layout point is one figure point, so text sizes are exact and a layout's checks hold in
the picture. SVG keeps text as text (``svg.fonttype: none``: small files, sharp at any zoom,
searchable), in DejaVu Sans with the usual sans-serif fallbacks; nothing is rasterised. The
output is deterministic (no date, fixed ids), so a re-run changes no file.
"""
import io
import os
import tempfile

from .style import KINDS, THEMES, fill, theme as get_theme

FORMATS = ("svg", "png", "pdf")
_RC = {"svg.fonttype": "none", "svg.hashsalt": "d2lcnn", "font.family": "sans-serif",
       "font.sans-serif": ["DejaVu Sans", "Bitstream Vera Sans", "Arial", "Helvetica"],
       "path.simplify": False}


def render(layout, theme="light"):
    """A matplotlib Figure of `layout` (not registered with pyplot: nothing shows by itself)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
    from matplotlib.path import Path

    th = get_theme(theme)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(layout.width / 72.0, layout.height / 72.0), dpi=100)
        FigureCanvasAgg(fig)  # a canvas of its own: no pyplot, no GUI backend
        fig.patch.set_alpha(0.0)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, layout.width)
        ax.set_ylim(layout.height, 0)
        ax.set_axis_off()
        if th.background != "none":
            ax.add_patch(FancyBboxPatch((0.5, 0.5), layout.width - 1, layout.height - 1,
                                        boxstyle="round,pad=0,rounding_size=6",
                                        facecolor=th.background, edgecolor="none", zorder=0))
        for e in layout.edges:
            color = th.accent if e.role == "accent" else th.edge
            style = (0, (3, 2)) if e.role == "shortcut" else "solid"
            width = 1.3 if e.role == "accent" else 0.9
            path = Path(e.points)
            if e.arrow:
                ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>,head_length=4,"
                                             "head_width=2.2", mutation_scale=1, color=color,
                                             linewidth=width, linestyle=style,
                                             shrinkA=0, shrinkB=0, joinstyle="miter",
                                             capstyle="butt", zorder=1))
            else:
                xs, ys = zip(*e.points)
                ax.plot(xs, ys, color=color, linewidth=width, linestyle=style,
                        solid_capstyle="butt", zorder=1)
        for b in layout.boxes:
            ax.add_patch(_patch(b, th, Circle, FancyBboxPatch, Rectangle))
            for t in b.texts:  # a frame has no fill: its label sits on the page
                _text(ax, t, th, on_box=b.shape != "frame" and b.kind in KINDS)
        for t in layout.texts:
            _text(ax, t, th, on_box=False)
    return fig


def _text(ax, t, th, on_box):
    """Text on a box fill is dark in every theme (the fills are light); elsewhere it takes
    the theme's colours."""
    color = {"text": th.box_text if on_box else th.text,
             "muted": th.box_muted if on_box else th.muted, "accent": th.accent}[t.role]
    ax.text(t.x, t.y, t.text, fontsize=t.size, fontweight=t.weight, color=color, ha=t.ha,
            va="center", rotation=t.rotation, zorder=3)


def _patch(b, th, Circle, FancyBboxPatch, Rectangle):
    if b.shape == "frame":
        return FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=4",
                              facecolor="none", linestyle=(0, (4, 2)), linewidth=0.8,
                              edgecolor=th.accent if b.role == "accent" else th.frame,
                              zorder=0.5)
    color = fill(b.kind) if b.kind in KINDS else "none"
    edge = th.accent if b.role == "accent" else th.outline
    lw = {"accent": 1.2, "slab": 0.0}.get(b.role, 0.6)
    if b.shape == "circle":
        return Circle((b.cx, b.cy), b.w / 2, facecolor=color, edgecolor=edge, linewidth=lw,
                      zorder=2)
    if b.shape in ("rect", "plane", "cell"):
        return Rectangle((b.x, b.y), b.w, b.h, facecolor=color, edgecolor=edge, linewidth=lw,
                         zorder=2)
    return FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=3",
                          facecolor=color, edgecolor=edge, linewidth=lw, zorder=2)


def save_figure(fig, path, fmt=None, dpi=200):
    """Write `fig` to `path` atomically (a temporary file in the same folder, then renamed):
    a failure leaves no half-written file. The format comes from the extension."""
    path = os.fspath(path)
    fmt = (fmt or os.path.splitext(path)[1].lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"cannot write {path!r}: the file name must end in "
                         f"{', '.join('.' + f for f in FORMATS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".d2lcnn-", suffix="." + fmt, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(figure_bytes(fig, fmt, dpi))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's file is private; a drawing is not
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def figure_bytes(fig, fmt="svg", dpi=200):
    import matplotlib
    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format=fmt, dpi=dpi, transparent=True,
                    metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


class Drawing:
    """What a drawing function returns: its `layout` (the data: boxes, texts, edges) and,
    rendered on first use, its matplotlib `figure`. ``fig, layout = drawing`` unpacks both;
    in a notebook it shows as SVG; ``drawing.save("vgg16.svg")`` writes a file."""

    def __init__(self, layout, theme="light"):
        self.layout = layout
        self.theme = get_theme(theme).name
        self._figure = None

    @property
    def figure(self):
        if self._figure is None:
            self._figure = render(self.layout, self.theme)
        return self._figure

    def __iter__(self):
        yield self.figure
        yield self.layout

    def svg(self):
        """The drawing as SVG text."""
        return figure_bytes(self.figure, "svg").decode("utf-8")

    def png(self, dpi=200):
        return figure_bytes(self.figure, "png", dpi)

    def save(self, path, dpi=200):
        """Write the drawing to `path` (.svg, .png or .pdf), atomically; returns the path."""
        return save_figure(self.figure, path, dpi=dpi)

    def _repr_svg_(self):
        return self.svg()

    def __repr__(self):
        title = f" {self.layout.title!r}" if self.layout.title else ""
        return (f"<Drawing{title}: {len(self.layout.boxes)} boxes, "
                f"{self.layout.width:.0f}x{self.layout.height:.0f} pt>")


__all__ = ["Drawing", "render", "save_figure", "FORMATS", "THEMES"]
