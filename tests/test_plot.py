"""plot_history, the live plot callback and show_images."""
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # noqa: E402  (no display in tests)
import matplotlib.pyplot as plt
import numpy as onp
import pytest
from mxnet import np

from d2lcnn.plotting import LivePlot, plot_history, show_images
from d2lcnn.train import History


def make_history(epochs=3, num_epochs=5):
    history = History(device="CPU (2 cores, test)", lr=0.1, num_epochs=num_epochs)
    for e in range(epochs):
        history.append(train_loss=1.0 / (e + 1), train_acc=0.5 + 0.1 * e, test_acc=0.45 + 0.1 * e,
                       seconds=1.0, train_seconds=0.8, eval_seconds=0.2, examples=100,
                       examples_per_sec=100.0, train_batches=4, test_batches=2)
    return history


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_history_draws_the_three_curves():
    history = make_history()
    fig, ax = plot_history(history)
    assert fig is ax.figure
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train loss", "train acc", "test acc"}
    onp.testing.assert_allclose(lines["test acc"].get_ydata(), history.test_acc)
    onp.testing.assert_allclose(lines["train loss"].get_xdata(), [1, 2, 3])
    assert ax.get_xlabel() == "epoch" and ax.get_xlim() == (1, 5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "train acc",
                                                                 "test acc"]


def test_plot_history_from_saved_dict_and_given_axes():
    data = make_history(2).to_dict()
    fig, ax = plt.subplots()
    out_fig, out_ax = plot_history(data, ax=ax, title="LeNet")
    assert out_ax is ax and out_fig is fig and ax.get_title() == "LeNet"
    assert len(ax.get_lines()) == 3


def test_plot_history_skips_missing_test_accuracy():
    history = make_history(2)
    history.test_acc = [None, None]
    _, ax = plot_history(history)
    assert {line.get_label() for line in ax.get_lines()} == {"train loss", "train acc"}


def test_plot_history_rejects_other_things():
    with pytest.raises(ValueError, match="not a training history"):
        plot_history({"loss": [1, 2]})


def test_live_plot_draws_nothing_outside_ipython():
    live = LivePlot()
    live(make_history(1))
    assert live.fig is None


def test_live_plot_updates_one_image_once_per_epoch(monkeypatch):
    shown = []
    live = LivePlot()

    def points():
        return len(live.ax.get_lines()[0].get_xdata())

    class Handle:
        def update(self, image):
            shown.append(("update", points(), image.format))

    def display(image, display_id=False):
        assert display_id is True
        shown.append(("display", points(), image.format))
        return Handle()
    monkeypatch.setattr(LivePlot, "_display", staticmethod(lambda: display))
    for epochs in (1, 2, 3):
        live(make_history(epochs))
    assert shown == [("display", 1, "png"), ("update", 2, "png"), ("update", 3, "png")]
    assert live._image().data[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.get_fignums()  # no pyplot figure left to be shown again at the cell's end


def test_show_images_like_d2l():
    imgs = [np.random.uniform(size=(28, 28)) for _ in range(5)]
    axes = show_images(imgs, 2, 3, titles=list("abcde"), scale=1.0)
    assert len(axes) == 6
    assert axes[0].figure.get_size_inches().tolist() == [3.0, 2.0]
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert len(axes[0].get_images()) == 1 and not axes[5].get_images()
    assert not axes[0].get_xaxis().get_visible()


def test_show_images_channel_first_and_single_row():
    chw = onp.random.rand(3, 8, 8)
    gray = np.random.uniform(size=(1, 8, 8))
    axes = show_images([chw, gray], 1, 2)
    assert axes[0].get_images()[0].get_array().shape == (8, 8, 3)
    assert axes[1].get_images()[0].get_array().shape == (8, 8)


def test_show_images_bad_arguments():
    with pytest.raises(ValueError, match="titles"):
        show_images([onp.zeros((4, 4))] * 3, 1, 3, titles=["one"])
    with pytest.raises(ValueError, match="at least one row"):
        show_images([], 0, 3)


def test_training_does_not_import_matplotlib_or_tqdm():
    """Training without plots or a bar must not pay for importing them."""
    code = ("import sys, d2lcnn.train; "
            "print(sorted(m for m in ('matplotlib', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"


# ---- d2l's plotting functions ------------------------------------------------------------------

def test_d2l_plotting_outside_ipython_creates_no_shell():
    """use_svg_display must not start an IPython shell in a script (d2l's does): code that
    checks get_ipython() would then think it runs in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell
    from d2lcnn import d2l_plotting as plotting
    assert not InteractiveShell.initialized()
    plotting.set_figsize((4, 3))
    animator = plotting.Animator(legend=["a"])
    animator.add(1, 2.0)
    assert not InteractiveShell.initialized()
    assert animator.fig in [plt.figure(n) for n in plt.get_fignums()]  # plt.show() shows it
    assert tuple(plt.rcParams["figure.figsize"]) == (4, 3)
    plotting.set_figsize()


def test_animator_in_a_notebook_updates_one_image(monkeypatch):
    from d2lcnn import d2l_plotting as plotting
    shown = []

    class Handle:
        def update(self, image):
            shown.append(("update", type(image).__name__))

    def display(image, display_id=False):
        shown.append(("display", type(image).__name__, display_id))
        return Handle()
    monkeypatch.setattr(plotting, "_in_ipython", lambda: True)
    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr("matplotlib_inline.backend_inline.set_matplotlib_formats",
                        lambda *formats: None)
    monkeypatch.setitem(plotting._FORMAT, "name", "png")
    animator = plotting.Animator(xlim=[1, 3], legend=["loss", "acc"])
    plt.close("all")
    for epoch in (1, 2, 3):
        animator.add(epoch, (1.0 / epoch, 0.5 + 0.1 * epoch))
    assert shown == [("display", "SVG", True), ("update", "SVG"), ("update", "SVG")]
    assert plt.get_fignums() == []          # not a pyplot figure: the cell shows it once
    assert animator.X == [[1, 2, 3], [1, 2, 3]]
    assert animator.axes[0].get_xlim() == (1, 3)
