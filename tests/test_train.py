"""train_ch6 as a whole: d2l's call and output, what it accepts and refuses, speed (the sums
stay on the device, d2l's timer), several devices, seeds, options, reduced mode, notebooks.

The parts have their own test files: test_history, test_divergence, test_interrupt,
test_evaluation, test_losses, test_progress, test_checkpoint. Everything runs on tiny
networks and a small synthetic set (`training_helpers`).
"""
import json
import os
import re
import time

import mxnet as mx
import numpy as onp
import pytest
from mxnet import gluon, np
from mxnet.gluon import nn

import d2lcnn.train as train_mod
from d2lcnn.device import DeviceUnavailableError
from d2lcnn.errors import D2LCNNError
from d2lcnn.train import AMPNotSupportedError, History, train_ch6
from d2lcnn.utils import set_seed
from training_helpers import CLASSES, Batches, params_of, run, tiny_net

# ---- a normal run ----------------------------------------------------------------------------

def test_train_ch6_learns_and_prints_d2ls_closing_lines(capsys, no_reduced_mode):
    set_seed(0)
    history = run(epochs=4)
    out = capsys.readouterr().out
    assert isinstance(history, History) and history.epochs == 4
    assert history.final["test_acc"] > 0.8 and history.train_loss[-1] < history.train_loss[0]
    lines = out.strip().splitlines()
    assert re.fullmatch(r"loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", lines[-2])
    assert re.fullmatch(r"\d+\.\d examples/sec on CPU \(\d+ cores, .*\)", lines[-1])
    assert "/" not in lines[-1].split(" on ", 1)[1]  # a device name, never a machine path
    assert f"test acc {history.test_acc[-1]:.3f}" in lines[-2]


def test_d2l_positional_call_and_default_device(monkeypatch, no_reduced_mode):
    asked = []
    monkeypatch.setattr(train_mod, "try_gpu", lambda: asked.append(1) or mx.cpu())
    history = train_ch6(tiny_net(), Batches(64), Batches(64), 1, 0.1, progress=False,
                        verbose=False)
    assert asked and history.epochs == 1


def test_numpy_batches_and_loader_to_device(no_reduced_mode):
    class WithTo(Batches):
        moved_to = None

        def to(self, device):
            self.moved_to = device
            return self
    train, test = WithTo(64, numpy=True), WithTo(64, seed=1, numpy=True)
    run(train=train, test=test, epochs=1, verbose=False)
    assert train.moved_to == mx.cpu() and test.moved_to == mx.cpu()


def test_non_hybrid_network_trains(no_reduced_mode):
    class Plain(nn.Block):
        def __init__(self):
            super().__init__()
            self.body = tiny_net()

        def forward(self, x):
            return self.body(x) if x.shape[0] else x
    set_seed(1)
    history = run(Plain(), epochs=3)
    assert history.final["test_acc"] > 0.6


def test_network_that_cannot_hybridize_trains_imperatively(no_reduced_mode):
    class ValueDependent(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.body = tiny_net()

        def hybrid_forward(self, F, x):
            if float(x.sum()) < -1:  # Python control flow on a value: not a graph
                x = -x
            return self.body(x)
    set_seed(1)
    with pytest.warns(RuntimeWarning, match="could not be hybridized"):
        history = run(ValueDependent(), epochs=3)
    assert history.options["hybridized"] is False
    assert history.final["test_acc"] > 0.6


def test_genuine_errors_are_not_swallowed(no_reduced_mode):
    net = nn.HybridSequential()
    net.add(nn.Dense(CLASSES, in_units=5))  # 64 inputs arrive
    with pytest.raises(mx.base.MXNetError):
        run(net, epochs=1)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(epochs=0), ValueError, "num_epochs"),
    (dict(lr=0), ValueError, "lr must be"),
    (dict(device=[]), ValueError, "names no device"),
    (dict(device="gpu"), TypeError, "MXNet context"),
    (dict(device=[mx.cpu(0), mx.cpu(0)]), ValueError, "twice"),
    (dict(check_every=-1), ValueError, "check_every"),
    (dict(label_smoothing=1.0), ValueError, "label_smoothing"),
    (dict(loss=gluon.loss.L2Loss(), label_smoothing=0.1), ValueError, "not both"),
])
def test_bad_arguments_are_explained(kwargs, error, match, no_reduced_mode):
    args = dict(epochs=1, lr=0.1)
    args.update(kwargs)
    if args.get("device") == []:
        with pytest.raises(error, match=match):
            train_ch6(tiny_net(), Batches(32), Batches(32), 1, 0.1, [], progress=False)
        return
    with pytest.raises(error, match=match):
        run(**args)


def test_empty_training_iterator(no_reduced_mode):
    with pytest.raises(ValueError, match="no batch"):
        run(train=[], epochs=1)


def test_amp_is_refused_on_the_cpu(no_reduced_mode):
    net = tiny_net()
    with pytest.raises(AMPNotSupportedError, match="needs a GPU") as info:
        run(net, amp=True)
    assert isinstance(info.value, D2LCNNError)
    assert "CPU (" in str(info.value)
    assert all(p._data is None for p in net.collect_params().values())  # refused before work


# ---- speed: the sums stay on the device ---------------------------------------------------------

def test_sums_are_read_once_per_epoch_not_per_batch(monkeypatch, no_reduced_mode):
    reads = []
    real_float = np.ndarray.__float__
    monkeypatch.setattr(np.ndarray, "__float__", lambda a: reads.append(1) or real_float(a))

    def count(n_train):
        reads.clear()
        run(train=Batches(n_train, batch_size=8), epochs=2, check_every=0,
            restore_on_divergence=False, verbose=False)
        return len(reads)
    few, many = count(32), count(320)  # 4 and 40 batches per epoch
    # loss, accuracy and test accuracy once per epoch each, and the first batch's loss once
    assert few == many == 2 * 3 + 1


def test_divergence_checks_read_every_few_batches(monkeypatch, no_reduced_mode):
    reads = []
    real_float = np.ndarray.__float__
    monkeypatch.setattr(np.ndarray, "__float__", lambda a: reads.append(1) or real_float(a))
    run(train=Batches(320, batch_size=8), epochs=1, check_every=10,
        restore_on_divergence=False, verbose=False)
    # loss and accuracy at each of the 4 checks (the last is the epoch's end), the first
    # batch's loss, the test accuracy
    assert len(reads) == 2 * (40 // 10) + 1 + 1


class SlowLoader(Batches):
    """Batches that take `delay` seconds each to arrive (a slow data pipeline)."""

    def __init__(self, *args, delay=0.05, **kwargs):
        super().__init__(*args, **kwargs)
        self.delay = delay

    def __iter__(self):
        for batch in super().__iter__():
            time.sleep(self.delay)
            yield batch


def test_examples_per_sec_is_d2ls_loading_and_evaluation_left_out(capsys, no_reduced_mode):
    """d2l's timer runs from receiving a batch to asking for the next: a loader that takes
    0.05 s a batch and a slow evaluation change the whole-epoch figure, not d2l's."""
    ce = gluon.loss.SoftmaxCrossEntropyLoss()

    def slow_loss(y_hat, y):  # 0.02 s inside every batch: that time counts
        time.sleep(0.02)
        return ce(y_hat, y)
    history = run(epochs=2, train=SlowLoader(256, batch_size=32),
                  test=SlowLoader(128, seed=1, delay=0.1), loss=slow_loss)
    for b, t, e in zip(history.batch_seconds, history.train_seconds, history.eval_seconds):
        assert 8 * 0.02 <= b <= t - 8 * 0.05 + 0.01  # in-batch time counted, loading not
        assert e >= 4 * 0.1
    final = history.final
    assert final["examples_per_sec"] == pytest.approx(512 / sum(history.batch_seconds))
    assert final["examples_per_sec"] > 1.5 * final["epoch_examples_per_sec"]
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(
        f"{final['examples_per_sec']:.1f} examples/sec on CPU (")


def test_a_gpu_that_cannot_be_used_is_refused_before_any_work(no_reduced_mode):
    if mx.context.num_gpus():
        pytest.skip("this machine has a GPU MXNet can use")
    net = tiny_net()
    with pytest.raises(DeviceUnavailableError) as info:
        run(net, device=mx.gpu())
    message = str(info.value)
    assert message.startswith("cannot use gpu(0) (mx.gpu(0)): ")
    assert "CPU build" in message and "d2lcnn.try_gpu()" in message
    assert isinstance(info.value, D2LCNNError) and isinstance(info.value, mx.base.MXNetError)
    assert all(p._data is None for p in net.collect_params().values())
    with pytest.raises(DeviceUnavailableError):
        run(net, device=[mx.cpu(), mx.gpu(1)])


# ---- several devices ----------------------------------------------------------------------------

def test_two_cpu_contexts_match_one_device(capsys, no_reduced_mode):
    set_seed(5)
    one = run(epochs=3)
    set_seed(5)
    two = run(epochs=3, device=[mx.cpu(0), mx.cpu(1)])
    onp.testing.assert_allclose(two.train_loss, one.train_loss, rtol=1e-3)
    assert max(abs(a - b) for a, b in zip(two.test_acc, one.test_acc)) <= 0.02
    assert two.options["devices"] == ["cpu(0)", "cpu(1)"] and two.options["kvstore"] == "device"
    assert "2 contexts (cpu(0), cpu(1))" in capsys.readouterr().out


@pytest.mark.parametrize("kvstore", ["device", "local"])
def test_batch_smaller_than_device_count(kvstore, no_reduced_mode):
    net = tiny_net()
    history = run(net, epochs=2, device=[mx.cpu(0), mx.cpu(1)], kvstore=kvstore,
                  train=Batches(65, batch_size=32))  # the last batch holds one image
    assert history.examples == [65, 65]
    for p in net.collect_params().values():
        a, b = (d.asnumpy() for d in p.list_data())
        onp.testing.assert_array_equal(a, b)  # the copies stayed in step
        assert onp.isfinite(a).all()


# ---- seeds ----------------------------------------------------------------------------------------

def test_same_seed_gives_the_same_history(no_reduced_mode):
    def once():
        net = tiny_net()
        history = run(net, epochs=2, seed=11, verbose=False)
        return history, params_of(net)
    (h1, p1), (h2, p2) = once(), once()
    for name in ("train_loss", "train_acc", "test_acc"):
        assert getattr(h1, name) == getattr(h2, name), name  # bitwise, not approximately
    for name in p1:
        onp.testing.assert_array_equal(p1[name], p2[name])
    h3 = run(epochs=2, seed=12, verbose=False)
    assert h3.train_loss != h1.train_loss


# ---- options ---------------------------------------------------------------------------------------

def test_custom_loss_and_optimizer(no_reduced_mode):
    set_seed(3)
    history = run(epochs=3, loss=gluon.loss.SoftmaxCrossEntropyLoss(), optimizer="sgd",
                  optimizer_params={"momentum": 0.9}, lr=0.05)
    assert history.final["test_acc"] > 0.8


def test_optimizer_object_gets_lr_and_history_still_saves(tmp_path, no_reduced_mode):
    optimizer = mx.optimizer.SGD(learning_rate=123.0, momentum=0.5)
    history = run(epochs=1, optimizer=optimizer, lr=0.2, verbose=False)
    assert optimizer.learning_rate == 0.2
    history.save_json(tmp_path / "h.json")  # the optimizer object is stored as its repr
    assert "SGD" in json.loads((tmp_path / "h.json").read_text())["options"]["optimizer"]
    with pytest.raises(ValueError, match="Optimizer object"):
        run(epochs=1, optimizer=mx.optimizer.SGD(), optimizer_params={"wd": 1e-4})


def test_reinitialize_false_keeps_trained_parameters(no_reduced_mode):
    net = tiny_net()
    run(net, epochs=2, verbose=False)
    before = params_of(net)
    run(net, epochs=1, lr=1e-9, reinitialize=False, verbose=False)
    for name, value in params_of(net).items():
        onp.testing.assert_allclose(value, before[name], atol=1e-6)


# ---- reduced mode, progress bar, callbacks ---------------------------------------------------

def test_reduced_mode_caps_batches_and_says_so(reduced_mode, capsys):
    history = run(train=Batches(320, batch_size=8), test=Batches(320, batch_size=8), epochs=2)
    assert history.train_batches == [3, 3] and history.test_batches == [3, 3]
    assert history.reduced is True and history.examples == [24, 24]
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("reduced run: ") for line in lines) == 1


def test_on_epoch_end_sees_each_epoch_and_live_plot_is_harmless(no_reduced_mode):
    seen = []
    history = run(epochs=3, on_epoch_end=[lambda h: seen.append(h.epochs)], live_plot=True)
    assert seen == [1, 2, 3] and history.epochs == 3
    with pytest.raises(TypeError, match="callables"):
        run(epochs=1, on_epoch_end=[42])


# ---- in a notebook -----------------------------------------------------------------------------

def test_notebook_outputs_hold_no_progress_bar_and_one_live_figure(monkeypatch, no_reduced_mode):
    """A notebook executed to store its outputs (as the book build does) gets the closing lines
    and the live plot's final image, and no progress bar."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("D2LCNN_PROGRESS", raising=False)
    tests = os.path.dirname(os.path.abspath(__file__))
    code = "\n".join([
        f"import sys; sys.path.insert(0, {tests!r})",
        "import d2lcnn  # first, as in the book: MXNet needs its numpy names beside numpy 2",
        "import mxnet as mx",
        "from mxnet import npx; npx.set_np()",
        "from training_helpers import Batches, tiny_net",
        "from d2lcnn.train import train_ch6",
        "h = train_ch6(tiny_net(), Batches(128), Batches(64), 3, 0.3, mx.cpu(), live_plot=True)",
    ])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    images = [o for o in outputs if o.output_type == "display_data"]
    streams = [o for o in outputs if o.output_type == "stream"]
    assert len(images) == 1 and "image/png" in images[0]["data"]
    assert [s["name"] for s in streams] == ["stdout"]  # nothing on stderr: no bar
    assert re.search(r"examples/sec on CPU \(", streams[0]["text"])


def test_onednn_forward_scoring_line_is_held_back_not_the_bar_or_real_errors():
    """Average pooling without the padding in its count (Inception-v3/v4) makes oneDNN write
    "training with prop_kind is forward_scoring" on file descriptor 2 for each new shape; the
    progress bar (also on stderr) and any other native line must still come through."""
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        import d2lcnn
        import mxnet as mx
        from mxnet import gluon, npx
        from mxnet.gluon import nn
        npx.set_np()
        from training_helpers import Batches
        net = nn.HybridSequential()
        net.add(nn.Conv2D(4, 3), nn.AvgPool2D(3, 1, 1, count_include_pad=False), nn.Dense(4))
        ce, calls = gluon.loss.SoftmaxCrossEntropyLoss(), []
        def loss(y_hat, y):
            calls.append(1)
            if len(calls) == 1:
                os.write(2, b"a real native message\\n")
            return ce(y_hat, y)
        d2lcnn.train_ch6(net, Batches(72), Batches(40), 2, 0.1, mx.cpu(), loss=loss,
                         progress=True)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "forward_scoring" not in out.stderr
    assert "a real native message" in out.stderr and "epoch 2/2" in out.stderr
    assert "examples/sec on CPU" in out.stdout


def test_d2ls_timer_under_mxnets_threaded_engine_does_not_count_training_as_loading():
    """With one thread MXNet keeps its threaded engine, and d2lcnn's loader copies each batch
    behind the queued training work: without the loop's wait before loading, most of the
    training time was counted as loading (d2l's timer read 2.5x the real rate). d2lcnn's
    loader takes about 5% of an epoch, so batch time must be most of the training phase."""
    import subprocess
    import sys
    code = """
import d2lcnn, mxnet as mx
from mxnet import npx
npx.set_np()
from d2lcnn.config import SUBSET_DIR
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    train_iter, _ = d2lcnn.load_data_fashion_mnist(256, root=SUBSET_DIR, seed=0)
net = d2lcnn.get_model("lenet", num_classes=10)
h = d2lcnn.train_ch6(net, train_iter, None, 2, 0.9, mx.cpu(), progress=False, verbose=False)
print(d2lcnn._runtime.describe().split(" (")[0], min(b / t for b, t in
      zip(h.batch_seconds, h.train_seconds)))
"""
    env = {k: v for k, v in os.environ.items() if k not in (
        "MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS", "MXNET_ENGINE_TYPE", "D2LCNN_RUNTIME_SET",
        "D2LCNN_REDUCED")}
    env["D2LCNN_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    runtime, share = out.stdout.strip().rsplit(" ", 1)
    assert runtime == "1 CPU threads, ThreadedEnginePerDevice"
    assert float(share) > 0.7
