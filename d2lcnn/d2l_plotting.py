"""d2l's plotting functions (``plot``, ``Animator``, ``set_figsize``, ``set_axes``,
``use_svg_display``), for ``import d2lcnn as d2l``: same names, arguments and behaviour as d2l's
(its Sec. 2.4 and appendix), written for d2lcnn. Unlike d2l's, they take MXNet arrays, and
outside IPython they neither start an IPython shell nor print figure reprs.
"""

FMTS = ("-", "m--", "g-.", "r:")


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


_FORMAT = {"name": "png"}  # how Animator renders its frames (use_svg_display switches to SVG)


def use_svg_display():
    """Show figures as SVG in Jupyter (d2l's ``use_svg_display``); nothing outside IPython."""
    if not _in_ipython():
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    set_matplotlib_formats("svg")
    _FORMAT["name"] = "svg"


def set_figsize(figsize=(3.5, 2.5)):
    """SVG figures of `figsize` inches from now on (d2l's ``set_figsize``)."""
    import matplotlib.pyplot as plt
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Labels, limits, scales, legend and grid of matplotlib `axes` (d2l's ``set_axes``)."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _host(values):
    """A sequence matplotlib can draw: MXNet arrays copied to the host."""
    return values.asnumpy() if hasattr(values, "asnumpy") else values


def _is_one_series(values):
    """True for a single series (a 1-D array or a flat list), False for a list of series."""
    if hasattr(values, "ndim"):
        return values.ndim == 1
    return isinstance(values, (list, tuple)) and (not values or not hasattr(values[0], "__len__"))


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=FMTS, figsize=(3.5, 2.5), axes=None):
    """Plot one or several series (d2l's ``plot``).

    ``plot(x, [f(x), g(x)], "x", "f(x)", legend=["f", "g"])``: Y may be one series or a list
    of them, sharing X; with Y omitted, X holds the series, drawn against their indices.
    Draws on `axes` (default: the current axes); series beyond ``len(fmts)`` are not drawn,
    as in d2l."""
    import matplotlib.pyplot as plt
    set_figsize(figsize)
    axes = axes if axes is not None else plt.gca()
    if _is_one_series(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _is_one_series(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        x, y = _host(x), _host(y)
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])


class Animator:
    """Points added one at a time, redrawn after each (d2l's ``Animator``).

    ``animator = Animator(xlabel="epoch", xlim=[1, 10], legend=["train loss", "test acc"])``,
    then ``animator.add(epoch, (loss, acc))``; a value None leaves a gap. In Jupyter one image
    output is updated in place; in a script the figure (``animator.fig``, a pyplot figure) is
    there to save or ``plt.show()``."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=FMTS, nrows=1, ncols=1,
                 figsize=(3.5, 2.5)):
        use_svg_display()
        self._notebook = _in_ipython()
        if self._notebook:
            from matplotlib.figure import Figure  # not pyplot: the cell does not show it again
            self.fig = Figure(figsize=figsize)
            axes = self.fig.subplots(nrows, ncols)
        else:
            import matplotlib.pyplot as plt
            self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
        self.axes = [axes] if nrows * ncols == 1 else axes
        settings = (xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])
        self.config_axes = lambda: set_axes(self.axes[0], *settings)
        self.X, self.Y, self.fmts = None, None, fmts
        self._handle = None

    def add(self, x, y):
        """Append the point (x, y[i]) to series i (x may be one value per series) and redraw."""
        ys = list(y) if _is_sequence(y) else [y]
        xs = list(x) if _is_sequence(x) else [x] * len(ys)
        if self.X is None:
            self.X, self.Y = [[] for _ in ys], [[] for _ in ys]
        points = [(i, a, b) for i, (a, b) in enumerate(zip(xs, ys))
                  if a is not None and b is not None]
        for i, a, b in points:
            self.X[i].append(_scalar(a))
            self.Y[i].append(_scalar(b))
        ax = self.axes[0]
        ax.cla()
        for series in zip(self.X, self.Y, self.fmts):
            ax.plot(*series)
        self.config_axes()
        self._show()

    def _show(self):
        if not self._notebook:
            return
        import io
        from IPython.display import SVG, Image, display
        buffer = io.BytesIO()
        kind = _FORMAT["name"]
        self.fig.savefig(buffer, format=kind, bbox_inches="tight")
        image = SVG(buffer.getvalue()) if kind == "svg" else Image(buffer.getvalue(),
                                                                   format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)


def _is_sequence(value):
    """A list or a 1-D array, not a number or a 0-d array (which have no length)."""
    return hasattr(value, "__len__") and getattr(value, "ndim", 1) > 0


def _scalar(value):
    """A Python number from a number or a one-element MXNet/NumPy array."""
    return value.item() if hasattr(value, "item") else value
