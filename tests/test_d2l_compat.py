"""``import d2lcnn as d2l`` in d2l's CNN chapters: the names behave as d2l 1.0.3's (compared
with d2l itself, installed in the make environment), and other d2l names say where they live."""
import io
import re
import sys
from contextlib import redirect_stdout

import matplotlib

matplotlib.use("Agg")  # noqa: E402  (no display in tests)
import matplotlib.pyplot as plt
import mxnet as mx
import numpy as onp
import pytest
from mxnet import autograd, np, npx

import d2lcnn

d2l = pytest.importorskip("d2l.mxnet", reason="d2l is installed by `make setup` (the reference)")

ISSUE_NAMES = ("plot", "Animator", "set_figsize", "use_svg_display", "corr2d",
               "evaluate_accuracy", "num_gpus", "cpu", "gpu", "resnet18", "load_array",
               "Benchmark")
# what d2l's chapter_convolutional-neural-networks and chapter_convolutional-modern use
# (v0.17 and v1.0 MXNet code), beyond the names above
CHAPTER_NAMES = ("train_ch6", "load_data_fashion_mnist", "try_gpu", "try_all_gpus", "Timer",
                 "Accumulator", "accuracy", "evaluate_accuracy_gpu", "Residual", "show_images",
                 "get_fashion_mnist_labels", "size", "reshape", "tensor", "zeros", "ones",
                 "normal", "randn", "reduce_sum", "stack", "abs", "matmul", "arange", "concat",
                 "float32", "transpose")


@pytest.fixture(autouse=True)
def close_figures_and_d2ls_shell():
    """d2l's use_svg_display (called by its plot and Animator) creates an IPython shell
    outside IPython; drop it, or later tests would believe they run in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell
    had_shell = InteractiveShell.initialized()
    yield
    plt.close("all")
    if not had_shell and InteractiveShell.initialized():
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("name", ISSUE_NAMES + CHAPTER_NAMES)
def test_the_chapters_names_exist(name):
    assert callable(getattr(d2lcnn, name)) or name in ("float32",)


def test_plot_is_d2ls_function_whatever_is_imported():
    import d2lcnn.plotting  # noqa: F401  (the module of the book's figures)
    from d2lcnn.plotting import plot_history
    assert callable(d2lcnn.plot) and d2lcnn.plot.__module__ == "d2lcnn.d2l_plotting"
    assert d2lcnn.plot_history is plot_history


@pytest.mark.parametrize("shape, kernel", [((3, 3), (2, 2)), ((6, 8), (1, 2)), ((5, 7), (3, 4)),
                                           ((4, 4), (4, 4))])
def test_corr2d_matches_d2l(shape, kernel):
    rng = onp.random.default_rng(0)
    X, K = (np.array(rng.normal(size=s).astype("float32")) for s in (shape, kernel))
    onp.testing.assert_allclose(d2lcnn.corr2d(X, K).asnumpy(), d2l.corr2d(X, K).asnumpy(),
                                rtol=1e-5, atol=1e-5)


def test_corr2d_is_differentiable_and_checks_its_sizes():
    X, K = np.ones((4, 5)), np.ones((2, 3))
    K.attach_grad()
    with autograd.record():
        y = d2lcnn.corr2d(X, K).sum()
    y.backward()
    onp.testing.assert_array_equal(K.grad.asnumpy(), onp.full((2, 3), 3 * 3.0))
    with pytest.raises(ValueError, match="kernel 5x1 is larger than the input 4x5"):
        d2lcnn.corr2d(X, np.ones((5, 1)))


def _lines(ax):
    return [(tuple(line.get_xdata()), tuple(line.get_ydata()), line.get_linestyle(),
             line.get_color()) for line in ax.get_lines()]


def _axes_state(ax):
    legend = ax.get_legend()
    return (_lines(ax), ax.get_xlabel(), ax.get_ylabel(), ax.get_xscale(), ax.get_yscale(),
            ax.get_xlim() if ax.get_autoscalex_on() is False else None,
            [t.get_text() for t in legend.get_texts()] if legend else None)


@pytest.mark.parametrize("args, kwargs", [
    ((onp.arange(0, 3, 0.5), [onp.arange(0, 3, 0.5) ** 2, 2 * onp.arange(0, 3, 0.5) - 3]),
     dict(xlabel="x", ylabel="f(x)", legend=["f(x)", "tangent"])),
    (([1.0, 2.0, 3.0],), dict(yscale="log")),                      # Y omitted: against index
    (([1, 2, 3], [4, 5, 6]), dict(xlim=[0, 4], ylim=[0, 7])),      # one series as lists
    (([[1, 2, 3], [3, 2, 1]],), dict(legend=["up", "down"])),      # several series, no X
    ((onp.arange(5), [onp.arange(5)] * 5), {}),                    # more series than formats
])
def test_plot_draws_what_d2l_draws(args, kwargs):
    _, (ours, theirs) = plt.subplots(1, 2)
    d2lcnn.plot(*args, axes=ours, **kwargs)
    d2l.plot(*args, axes=theirs, **kwargs)
    assert _axes_state(ours) == _axes_state(theirs)
    assert _lines(ours)  # something was drawn


def test_plot_takes_mxnet_arrays():
    """d2l's readers plot mx.np arrays (d2l's own plot passes them to matplotlib as they are)."""
    x = np.arange(0, 3, 0.5)
    _, ax = plt.subplots()
    d2lcnn.plot(x, [x ** 2, 2 * x - 3], "x", "f(x)", legend=["f(x)", "tangent"], axes=ax)
    ys = [tuple(line.get_ydata()) for line in ax.get_lines()]
    assert ys == [tuple((x ** 2).asnumpy()), tuple((2 * x - 3).asnumpy())]


def test_set_figsize_sets_matplotlibs_default():
    d2lcnn.set_figsize((5, 3))
    assert tuple(plt.rcParams["figure.figsize"]) == (5, 3)
    d2lcnn.set_figsize()
    assert tuple(plt.rcParams["figure.figsize"]) == (3.5, 2.5)


def test_animator_keeps_the_points_d2l_keeps():
    kwargs = dict(xlabel="epoch", xlim=[1, 3], legend=["train loss", "test acc"])
    ours, theirs = d2lcnn.Animator(**kwargs), d2l.Animator(**kwargs)
    steps = [(1, (0.9, None)), (1.5, (0.7, None)), (2, (0.5, 0.8)), ((3, 3), (0.4, 0.85))]
    with redirect_stdout(io.StringIO()):  # d2l's prints its figure's repr outside Jupyter
        for x, y in steps:
            ours.add(x, y)
            theirs.add(x, y)
    assert ours.X == theirs.X and ours.Y == theirs.Y
    assert _axes_state(ours.axes[0]) == _axes_state(theirs.axes[0])
    one = d2lcnn.Animator()
    one.add(1, np.array(0.5))       # an MXNet scalar becomes a number
    assert one.Y == [[0.5]]


def test_evaluate_accuracy_and_load_array_match_d2l():
    rng = onp.random.default_rng(1)
    X = np.array(rng.normal(size=(50, 4)).astype("float32"))
    y = np.array(rng.integers(0, 3, 50).astype("int32"))
    net = mx.gluon.nn.Dense(3)
    net.initialize()
    ours = d2lcnn.load_array((X, y), 8, is_train=False)
    assert [len(b[0]) for b in ours] == [len(b[0]) for b in d2l.load_array((X, y), 8, False)]
    assert d2lcnn.evaluate_accuracy(net, ours) == pytest.approx(
        d2l.evaluate_accuracy(net, d2l.load_array((X, y), 8, False)))
    shuffled = onp.concatenate([b[1].asnumpy() for b in d2lcnn.load_array((X, y), 8)])
    assert sorted(shuffled) == sorted(y.asnumpy()) and list(shuffled) != list(y.asnumpy())


def test_devices_as_d2l():
    assert d2lcnn.cpu() == d2l.cpu() and d2lcnn.gpu(1) == d2l.gpu(1)
    assert d2lcnn.num_gpus() == len([d for d in d2lcnn.try_all_gpus() if d.device_type == "gpu"])
    if mx.context.num_gpus() == 0:
        assert d2lcnn.num_gpus() == d2l.num_gpus() == 0


def test_benchmark_prints_the_time(capsys):
    with d2lcnn.Benchmark("ten sums") as bench:
        np.ones((10, 10)).sum()
        npx.waitall()
    out = capsys.readouterr().out
    assert re.fullmatch(r"ten sums: \d+\.\d{4} sec\n", out) and bench.seconds >= 0


def test_resnet18_is_d2ls_small_image_resnet():
    ours, theirs = d2lcnn.resnet18(10), d2l.resnet18(10)
    for net in (ours, theirs):
        net.initialize()
    x = np.random.uniform(size=(2, 1, 32, 32))
    assert ours(x).shape == theirs(x).shape == (2, 10)
    count = lambda net: sum(p.data().size for p in net.collect_params().values()  # noqa: E731
                            if p.grad_req != "null")
    # the same layers; d2l's convolutions also have biases (64 + 2x(64+64) + 3x128 + 2x128
    # + 3x256 + 2x256 + 3x512 + 2x512 = 4,800) and its 1x1 shortcuts no BatchNorm (ours:
    # gamma and beta, 2x(128 + 256 + 512) = 1,792)
    assert count(theirs) - count(ours) == 4_800 - 1_792


def test_tensor_aliases_behave_as_d2ls():
    x = np.arange(6.0)
    for name in ("reshape", "reduce_sum", "reduce_mean", "argmax", "astype", "transpose",
                 "size", "numpy", "swapaxes", "repeat"):
        args = {"reshape": ((2, 3),), "astype": ("int32",), "swapaxes": (0, 0),
                "repeat": (2,)}.get(name, ())
        a, b = getattr(d2lcnn, name)(x, *args), getattr(d2l, name)(x, *args)
        onp.testing.assert_array_equal(onp.asarray(getattr(a, "asnumpy", lambda: a)()),
                                       onp.asarray(getattr(b, "asnumpy", lambda: b)()))
    for name in ("tensor", "zeros", "ones", "arange", "concat", "stack", "abs", "matmul",
                 "exp", "normal", "randn", "float32", "int32", "sigmoid", "batch_matmul"):
        assert getattr(d2lcnn, name) is getattr(d2l, name), name


def test_every_d2l_name_is_provided_or_says_where_d2l_has_it():
    source = open(d2l.__file__).read()
    names = set(re.findall(r"^(?:def|class)\s+([A-Za-z]\w*)", source, re.M))
    provided, elsewhere = [], []
    for name in sorted(names):
        try:
            getattr(d2lcnn, name)
            provided.append(name)
        except AttributeError as e:
            message = str(e)
            assert "d2lcnn covers d2l's chapters on convolutional networks" in message, name
            assert re.search(r"section chapter_[\w-]+/[\w-]+ \(https://d2l\.ai/", message), name
            elsewhere.append(name)
    assert set(ISSUE_NAMES) - {"plot"} <= set(provided) | {"plot"}
    assert "Trainer" in elsewhere and "RNNModel" not in provided
    print(f"\n{len(provided)} of d2l's {len(names)} functions and classes provided; "
          f"{len(elsewhere)} point to d2l")


def test_names_outside_d2l_are_plain_attribute_errors():
    with pytest.raises(AttributeError, match=r"^module 'd2lcnn' has no attribute 'nope'$"):
        d2lcnn.nope
    assert not hasattr(d2lcnn, "__wrapped__") and not hasattr(d2lcnn, "Trainer")
    message = pytest.raises(AttributeError, lambda: d2lcnn.Trainer).value.args[0]
    assert "chapter_linear-regression/oo-design" in message and "train_ch6" in message


def test_star_import_does_not_shadow_builtins():
    namespace = {}
    exec("from d2lcnn import *", namespace)
    assert "abs" not in namespace and "plot" in namespace and "corr2d" in namespace
    assert "abs" not in dir(d2lcnn)
    assert sys.modules["d2lcnn"].abs is np.abs   # still there for d2l.abs
