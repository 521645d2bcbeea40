"""The training loop (d2l's train_ch6 and friends), the History, and parameter files.

Everything runs on tiny networks and a small synthetic set: four classes of 8x8 images, each a
fixed random pattern plus noise, so that a network learns it in a few epochs.
"""
import json
import math
import os
import re

import mxnet as mx
import numpy as onp
import pytest
from mxnet import autograd, gluon, np
from mxnet.gluon import nn

import d2lcnn.train as train_mod
from d2lcnn.checkpoint import (CheckpointError, ParameterMismatchError, load_parameters,
                               save_parameters)
from d2lcnn.errors import D2LCNNError, TrainingDivergedError
from d2lcnn.train import (AMPNotSupportedError, History, LabelSmoothingCrossEntropy, accuracy,
                          evaluate_accuracy_gpu, make_loss, progress_default, train_ch6)
from d2lcnn.utils import set_seed

CLASSES = 4


class Batches:
    """A deterministic in-memory iterator like d2l's DataLoader: ``len`` and (X, y) batches."""

    def __init__(self, n, batch_size=32, seed=0, poison=None, numpy=False):
        rng = onp.random.RandomState(seed)
        patterns = onp.random.RandomState(1234).rand(CLASSES, 1, 8, 8).astype("float32")
        self.y = rng.randint(0, CLASSES, n).astype("int32")
        self.X = (patterns[self.y] + 0.6 * rng.rand(n, 1, 8, 8)).astype("float32")
        self.batch_size, self.poison, self.numpy = batch_size, poison, numpy
        self.epoch = 0

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __iter__(self):
        self.epoch += 1
        for k, i in enumerate(range(0, len(self.y), self.batch_size), 1):
            X, y = self.X[i:i + self.batch_size], self.y[i:i + self.batch_size]
            if self.poison == (self.epoch, k):
                X = onp.full_like(X, onp.inf)
            yield (X, y) if self.numpy else (np.array(X), np.array(y))


def tiny_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="tanh"), nn.MaxPool2D(2),
            nn.Dense(16, activation="tanh"), nn.Dense(CLASSES))
    return net


def params_of(net):
    """The parameters by structural name ('0.weight'), the same for two copies of a net."""
    return {name: p.data().asnumpy().copy()
            for name, p in net._collect_params_with_prefix().items()}


def run(net=None, epochs=2, lr=0.3, device=None, train=None, test=None, **kw):
    kw.setdefault("progress", False)
    return train_ch6(net or tiny_net(), Batches(256) if train is None else train,
                     Batches(128, seed=1) if test is None else test,
                     epochs, lr, device or mx.cpu(), **kw)


# ---- accuracy and evaluation -----------------------------------------------------------------

def test_accuracy_counts_correct_predictions_like_d2l():
    y_hat = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(y_hat, np.array([1, 0, 0], dtype="int32")) == 2.0
    assert accuracy(np.array([1, 0, 0]), np.array([1, 0, 0])) == 3.0  # labels already
    assert isinstance(accuracy(y_hat, np.array([1, 1, 1])), float)


def test_evaluate_accuracy_gpu_matches_numpy(no_reduced_mode):
    net = tiny_net()
    net.initialize(ctx=mx.cpu())
    data = Batches(100, batch_size=30, seed=3)
    predicted = onp.concatenate([net(X).asnumpy().argmax(axis=1) for X, _ in data])
    expected = float((predicted == data.y).mean())
    assert evaluate_accuracy_gpu(net, data) == pytest.approx(expected)
    assert evaluate_accuracy_gpu(net, data, mx.cpu()) == pytest.approx(expected)
    net.collect_params().reset_ctx([mx.cpu(0), mx.cpu(1)])
    assert evaluate_accuracy_gpu(net, data, [mx.cpu(0), mx.cpu(1)]) == pytest.approx(expected)


def test_evaluate_accuracy_gpu_rejects_empty_iterator():
    net = tiny_net()
    net.initialize()
    with pytest.raises(ValueError, match="no batch"):
        evaluate_accuracy_gpu(net, [])


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


def test_history_records_every_epoch(no_reduced_mode):
    history = run(epochs=3, train=Batches(250, batch_size=32))
    for name in History.SERIES:
        assert len(getattr(history, name)) == 3, name
    assert history.train_batches == [8, 8, 8] and history.test_batches == [4, 4, 4]
    assert history.examples == [250, 250, 250] and history.batch_size == 32
    assert history.lr == 0.3 and history.num_epochs == 3
    assert history.device.startswith("CPU (")
    for s, t, e in zip(history.seconds, history.train_seconds, history.eval_seconds):
        assert s == pytest.approx(t + e) and s > 0
    for n, s, rate in zip(history.examples, history.seconds, history.examples_per_sec):
        assert rate == pytest.approx(n / s)
    assert history.final["examples_per_sec"] == pytest.approx(750 / sum(history.seconds))
    assert history.options["hybridized"] is True


def test_history_json_round_trip_and_atomic_save(tmp_path, monkeypatch, no_reduced_mode):
    history = run(epochs=2)
    path = tmp_path / "results" / "lenet.json"
    history.save_json(path)
    data = json.loads(path.read_text())
    assert data["final"]["test_acc"] == history.test_acc[-1]
    again = History.load_json(path)
    assert again.to_dict() == history.to_dict()
    # a failing save leaves the previous file whole, and no temporary file
    monkeypatch.setattr(json, "dump", lambda *a, **k: (_ for _ in ()).throw(OSError("full")))
    with pytest.raises(OSError):
        history.save_json(path)
    assert json.loads(path.read_text()) == data
    assert os.listdir(path.parent) == ["lenet.json"]
    with pytest.raises(ValueError, match="not a d2lcnn History"):
        History.from_dict({"train_loss": []})


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
    assert few == many <= 2 * 3  # loss, accuracy and test accuracy, once per epoch each


def test_divergence_checks_read_every_few_batches(monkeypatch, no_reduced_mode):
    reads = []
    real_float = np.ndarray.__float__
    monkeypatch.setattr(np.ndarray, "__float__", lambda a: reads.append(1) or real_float(a))
    run(train=Batches(320, batch_size=8), epochs=1, check_every=10,
        restore_on_divergence=False, verbose=False)
    assert len(reads) == 3 + 40 // 10


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


# ---- divergence -------------------------------------------------------------------------------------

def relu_net():
    """ReLU does not saturate: a huge learning rate overflows it to inf/NaN (tanh would not)."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="relu"), nn.MaxPool2D(2),
            nn.Dense(16, activation="relu"), nn.Dense(CLASSES))
    return net


def poisoned_loss(at_call):
    """Softmax cross-entropy that returns NaN on its `at_call`-th batch."""
    ce, calls = gluon.loss.SoftmaxCrossEntropyLoss(), []

    def loss(y_hat, y):
        calls.append(1)
        value = ce(y_hat, y)
        return value * float("nan") if len(calls) == at_call else value
    return loss


def test_huge_learning_rate_raises_and_restores(no_reduced_mode):
    net = relu_net()
    with pytest.raises(TrainingDivergedError) as info:
        run(net, lr=1e20, epochs=3, check_every=2)
    err = info.value
    assert isinstance(err, D2LCNNError) and isinstance(err, FloatingPointError)
    message = str(err)
    assert "epoch 1 in batches 1-2" in message and "the training loss became NaN or inf" in message
    assert "smaller" in message and "lr=1e+19" in message
    assert err.epoch == 1 and err.batches == (1, 2) and err.history.epochs == 0
    for value in params_of(net).values():
        assert onp.isfinite(value).all()  # the initial parameters are back


def test_divergence_in_a_later_epoch_restores_the_last_good_one(no_reduced_mode):
    net, saved = tiny_net(), []
    with pytest.raises(TrainingDivergedError) as info:  # 8 batches per epoch: epoch 2, batch 3
        run(net, train=Batches(256, batch_size=32), epochs=3, check_every=2,
            loss=poisoned_loss(8 + 3), on_epoch_end=lambda h: saved.append(params_of(net)))
    assert "epoch 2 in batches 3-4" in str(info.value)
    assert "parameters of epoch 1 were restored" in str(info.value)
    assert len(saved) == 1 and info.value.history.epochs == 1
    now = params_of(net)
    for name, value in saved[0].items():
        onp.testing.assert_array_equal(now[name], value)


def test_divergence_is_caught_at_the_epoch_end_without_checks(no_reduced_mode):
    with pytest.raises(TrainingDivergedError, match="epoch 1 in batches 1-2: the training loss"):
        run(train=Batches(64, batch_size=32), epochs=1, check_every=0, loss=poisoned_loss(2))


def test_restore_can_be_turned_off(no_reduced_mode):
    net = tiny_net()
    with pytest.raises(TrainingDivergedError, match="left as they are"):
        run(net, train=Batches(64, batch_size=32), epochs=1, check_every=1,
            loss=poisoned_loss(1), restore_on_divergence=False)
    assert not all(onp.isfinite(v).all() for v in params_of(net).values())


def test_nan_parameters_behind_a_finite_loss_are_caught(no_reduced_mode):
    # inf pixels: the gradients are NaN, but ReLU and max pooling hide NaN from the loss
    net, saved = relu_net(), []
    train = Batches(256, batch_size=32, poison=(2, 3))
    with pytest.raises(TrainingDivergedError, match="epoch 2 in batches 1-8: a parameter became"):
        run(net, train=train, epochs=3, on_epoch_end=lambda h: saved.append(params_of(net)))
    for name, value in params_of(net).items():
        onp.testing.assert_array_equal(value, saved[0][name])


# ---- losses ---------------------------------------------------------------------------------------

def test_label_smoothing_loss_matches_its_formula():
    pred = np.array([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    label = np.array([0, 1], dtype="int32")
    s = 0.1
    logits = pred.asnumpy()
    log_p = logits - onp.log(onp.exp(logits).sum(axis=1, keepdims=True))
    target = onp.full((2, 3), s / 3) + (1 - s) * onp.eye(3)[[0, 1]]
    expected = -(target * log_p).sum(axis=1)
    loss = LabelSmoothingCrossEntropy(s)
    onp.testing.assert_allclose(loss(pred, label).asnumpy(), expected, rtol=1e-5)
    loss.hybridize()
    onp.testing.assert_allclose(loss(pred, label).asnumpy(), expected, rtol=1e-5)
    plain = gluon.loss.SoftmaxCrossEntropyLoss()(pred, label).asnumpy()
    onp.testing.assert_allclose(LabelSmoothingCrossEntropy(0.0)(pred, label).asnumpy(), plain,
                                rtol=1e-6)
    assert isinstance(make_loss(0), gluon.loss.SoftmaxCrossEntropyLoss)
    with pytest.raises(ValueError):
        LabelSmoothingCrossEntropy(-0.1)


def test_train_with_label_smoothing(no_reduced_mode):
    set_seed(2)
    plain = run(epochs=4, verbose=False)
    set_seed(2)
    smooth = run(epochs=4, label_smoothing=0.2, verbose=False)
    assert smooth.options["label_smoothing"] == 0.2
    assert smooth.final["test_acc"] > 0.8
    # smoothed targets keep the loss away from zero on a set that is learned well
    assert smooth.train_loss[-1] > plain.train_loss[-1]


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


@pytest.mark.parametrize("env, tty, expected", [
    ({}, True, True),
    ({}, False, False),
    ({"CI": "true"}, True, False),
    ({"D2LCNN_REDUCED": "1"}, True, False),
    ({"D2LCNN_PROGRESS": "1", "CI": "true"}, False, True),
    ({"D2LCNN_PROGRESS": "0"}, True, False),
])
def test_progress_default(env, tty, expected, monkeypatch):
    for name in ("CI", "D2LCNN_REDUCED", "D2LCNN_PROGRESS", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stream:
        def isatty(self):
            return tty

        def write(self, s):
            pass

        def flush(self):
            pass
    monkeypatch.setattr("sys.stderr", Stream())
    assert progress_default() is expected


def test_progress_bar_goes_to_stderr_only_when_asked(capsys, no_reduced_mode):
    run(epochs=2, progress=True)
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "batch" in captured.err
    assert "epoch 2/2" not in captured.out
    run(epochs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_on_epoch_end_sees_each_epoch_and_live_plot_is_harmless(no_reduced_mode):
    seen = []
    history = run(epochs=3, on_epoch_end=[lambda h: seen.append(h.epochs)], live_plot=True)
    assert seen == [1, 2, 3] and history.epochs == 3
    with pytest.raises(TypeError, match="callables"):
        run(epochs=1, on_epoch_end=[42])


# ---- parameter files ------------------------------------------------------------------------

def _trained(seed=0):
    set_seed(seed)
    net = tiny_net()
    run(net, epochs=1, verbose=False)
    return net


def test_save_and_load_parameters_round_trip(tmp_path):
    net = _trained()
    path = save_parameters(net, tmp_path / "tiny.params")
    other = tiny_net()
    load_parameters(other, path, device=mx.cpu())
    X = np.array(Batches(8).X)
    onp.testing.assert_array_equal(other(X).asnumpy(), net(X).asnumpy())
    # default device: the one the network is on
    again = tiny_net()
    again.initialize(ctx=mx.cpu(1))
    again(X.as_in_ctx(mx.cpu(1)))
    load_parameters(again, path)
    assert again.collect_params()[list(again.collect_params())[0]].list_ctx() == [mx.cpu(1)]


def test_load_into_another_architecture_names_the_parameter(tmp_path):
    path = save_parameters(_trained(), tmp_path / "tiny.params")
    wider = nn.HybridSequential()
    wider.add(nn.Conv2D(8, 3, activation="relu"), nn.MaxPool2D(2),
              nn.Dense(16, activation="relu"), nn.Dense(CLASSES))
    with pytest.raises(ParameterMismatchError) as info:
        load_parameters(wider, path)
    message = str(info.value)
    assert "'0.weight'" in message and "(8, -1, 3, 3)" in message and "(4, 1, 3, 3)" in message
    assert "Build the network exactly as when it was saved" in message
    assert isinstance(info.value, D2LCNNError)
    deeper = tiny_net()
    deeper.add(nn.Dense(CLASSES))
    with pytest.raises(ParameterMismatchError, match="'4.bias' is not in the file") as info:
        load_parameters(deeper, path)
    assert info.value.missing == ["4.bias", "4.weight"]


def test_load_missing_or_corrupt_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="save_parameters"):
        load_parameters(tiny_net(), tmp_path / "none.params")
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"not parameters at all")
    with pytest.raises(CheckpointError, match="not a readable MXNet parameter file"):
        load_parameters(tiny_net(), bad)


def test_save_is_atomic(tmp_path, monkeypatch):
    net = _trained()
    path = tmp_path / "tiny.params"
    save_parameters(net, path)
    good = path.read_bytes()

    def broken(self, filename, *args, **kwargs):
        with open(filename, "wb") as f:
            f.write(good[:10])  # half a file, then the disk fills up
        raise OSError("No space left on device")
    monkeypatch.setattr(nn.HybridSequential, "save_parameters", broken)
    with pytest.raises(OSError, match="No space"):
        save_parameters(_trained(1), path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["tiny.params"]


def test_save_uninitialized_network_is_explained(tmp_path):
    net = tiny_net()
    net.initialize()  # shapes unknown until a batch goes through
    with pytest.raises(CheckpointError, match="run one batch"):
        save_parameters(net, tmp_path / "x.params")
    assert not (tmp_path / "x.params").exists()


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
        "from test_train import Batches, tiny_net",
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
