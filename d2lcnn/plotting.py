"""Figures of the book: a training history, a live plot for notebooks, a grid of images; and
d2l's plotting functions (``plot``, ``Animator``, ``set_figsize`` ...), for ``import d2lcnn as d2l``.

They are kept apart from the training loop so that training never waits for matplotlib, and so
that a chapter can plot results it saved earlier (``History.load_json``) without training.
``d2lcnn.plot`` is d2l's ``plot`` function; this module is ``d2lcnn.plotting``.
"""
import numpy as onp

SERIES = (("train_loss", "train loss", "-"), ("train_acc", "train acc", "m--"),
          ("test_acc", "test acc", "g-."))


def _series(history):
    """(epochs, {name: values}) from a History or the dict its `to_dict` gives."""
    data = history.to_dict() if hasattr(history, "to_dict") else dict(history)
    missing = [name for name, _, _ in SERIES if name not in data]
    if missing:
        raise ValueError(f"not a training history: it has no {', '.join(missing)} (pass the "
                         f"History that train_ch6 returns, or History.to_dict())")
    n = len(data["train_loss"])
    return list(range(1, n + 1)), {name: data[name] for name, _, _ in SERIES}


def _draw(ax, history, title=None):
    epochs, values = _series(history)
    ax.cla()
    for name, label, fmt in SERIES:
        points = [(e, v) for e, v in zip(epochs, values[name]) if v is not None]
        if points:
            ax.plot(*zip(*points), fmt, label=label)
    ax.set_xlabel("epoch")
    num_epochs = getattr(history, "num_epochs", None) or (history.get("num_epochs")
                                                          if isinstance(history, dict) else None)
    ax.set_xlim(1, max(num_epochs or len(epochs), 2))
    ax.grid(True)
    if epochs:
        ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, ax=None, title=None, figsize=(3.5, 2.5)):
    """Plot train loss, train accuracy and test accuracy per epoch (d2l's figure) from a
    `History` or its ``to_dict()``; returns ``(figure, axes)``."""
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    _draw(ax, history, title)
    return fig, ax


class LivePlot:
    """An ``on_epoch_end`` callback that redraws the history once per epoch in a notebook
    (``train_ch6(..., live_plot=True)`` adds one). Outside IPython it draws nothing; the values
    it plots are already Python floats, so it never makes the device wait.

    Each update replaces one PNG image output in place (a display handle), so the stored
    notebook keeps only the final figure; PNG is rendered here rather than left to the
    inline backend, whose figure formatter may not be set up yet in the cell that first
    imports pyplot."""

    def __init__(self, title=None, figsize=(3.5, 2.5), dpi=100):
        self.title, self.figsize, self.dpi = title, figsize, dpi
        self.fig = self.ax = self._handle = None

    @staticmethod
    def _display():
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return None
        return display if get_ipython() is not None else None

    def _image(self):
        import io
        from IPython.display import Image
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self.dpi, bbox_inches="tight")
        return Image(data=buffer.getvalue(), format="png")

    def __call__(self, history):
        display = self._display()
        if display is None:
            return
        if self.fig is None:
            from matplotlib.figure import Figure  # not pyplot: no figure manager to close
            self.fig = Figure(figsize=self.figsize)
            self.ax = self.fig.subplots()
        _draw(self.ax, history, self.title)
        if self._handle is None:
            self._handle = display(self._image(), display_id=True)
        else:
            self._handle.update(self._image())


def _as_image(img):
    """A numpy image matplotlib can show: MXNet arrays copied to the host, a (1|3, H, W)
    array moved to (H, W[, 3])."""
    if hasattr(img, "asnumpy"):
        img = img.asnumpy()
    img = onp.asarray(img)
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3, 4):
        img = onp.moveaxis(img, 0, -1)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    return img


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Show images in a `num_rows` x `num_cols` grid, axes hidden, optional titles
    (d2l's ``show_images``); returns the flat array of axes."""
    import matplotlib.pyplot as plt
    if num_rows < 1 or num_cols < 1:
        raise ValueError(f"the grid needs at least one row and one column; got "
                         f"{num_rows} x {num_cols}")
    imgs = list(imgs)
    shown = min(len(imgs), num_rows * num_cols)
    if titles is not None and len(titles) < shown:
        raise ValueError(f"{shown} images to show but only {len(titles)} titles")
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale),
                           squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if i >= shown:
            ax.set_axis_off()
            continue
        ax.imshow(_as_image(imgs[i]))
        if titles:
            ax.set_title(titles[i])
    return axes


# ---- d2l's plotting functions ------------------------------------------------------------------
# Same names, arguments and behaviour as d2l's (its Sec. 2.4 and appendix), written for d2lcnn.

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
