"""Figures of the book: a training history, a live plot for notebooks, a grid of images.

They are kept apart from the training loop so that training never waits for matplotlib, and so
that a chapter can plot results it saved earlier (``History.load_json``) without training.
This module is ``d2lcnn.plotting`` (it was ``d2lcnn.plot``, now d2l's ``plot`` function, which
lives with d2l's other plotting names in `d2l_plotting`).
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
