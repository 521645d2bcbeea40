"""The book's training loop: d2l's ``train_ch6`` and ``evaluate_accuracy_gpu`` with the same
signature and meaning (Xavier initialization, SGD, softmax cross-entropy, train loss, train and
test accuracy, examples/sec), so chapters and homework written for d2l run unchanged.

What it does beyond d2l, and why:

* Speed. The network and the loss are hybridized with static memory when they allow it; the loss
  and accuracy sums stay on the device and are read once per epoch (d2l converts them to Python
  floats after every batch, which makes the Python thread wait for the device each time). At
  most a few batches are queued ahead of the device, so memory stays flat.
* It returns a `History` (per-epoch figures, the device, the settings) that chapters can plot
  (`d2lcnn.plot_history`) or save (`History.save_json`).
* A loss that becomes NaN or infinite stops the run with `TrainingDivergedError`, naming the
  epoch and the batches, after restoring the parameters of the last good epoch.
* Several devices (``device=[...]``), mixed precision on a GPU (``amp=True``), label smoothing,
  a progress bar and a live plot, all optional.
* Reduced mode (``D2LCNN_REDUCED=1``, CI) caps the batches per epoch and says so in the output.
"""
import itertools
import json
import math
import os
import sys
import time
import warnings
from collections import deque

import numpy as onp
import mxnet as mx
from mxnet import autograd, gluon, np
from mxnet import init as mx_init

from . import config
from .device import describe_device, try_gpu
from .errors import D2LCNNError, TrainingDivergedError
from .npmode import require_np
from .utils import atomic_path

#: batches queued ahead of the device before the loop waits for the oldest one
MAX_IN_FLIGHT = 4

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class AMPNotSupportedError(D2LCNNError, ValueError):
    """Mixed precision was asked for on a device that cannot use it."""


# --------------------------------------------------------------------------------------------
# accuracy and evaluation


def correct_count(y_hat, y):
    """The number of correct predictions as an array on the device (no synchronisation)."""
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    return (y_hat.astype(y.dtype) == y).sum()


def accuracy(y_hat, y):
    """The number of correct predictions, as a float (d2l's ``accuracy``)."""
    return float(correct_count(y_hat, y))


def _to_device(a, device):
    """An MXNet NumPy array on `device`, whatever array type the data iterator yields."""
    if isinstance(a, np.ndarray):
        return a.as_in_ctx(device)
    if isinstance(a, mx.nd.NDArray):
        return a.as_np_ndarray().as_in_ctx(device)
    return np.array(a, ctx=device, dtype=getattr(a, "dtype", None))


def _split(X, y, devices):
    """Split a batch over the devices; a batch smaller than the device count uses fewer."""
    if len(devices) == 1:
        return [_to_device(X, devices[0])], [_to_device(y, devices[0])]
    used = devices[:max(1, min(len(devices), int(X.shape[0])))]
    if not isinstance(X, mx.nd.NDArray):
        X = _to_device(X, mx.cpu())
    if not isinstance(y, mx.nd.NDArray):
        y = _to_device(y, mx.cpu())
    if len(used) == 1:
        return [_to_device(X, used[0])], [_to_device(y, used[0])]
    return (gluon.utils.split_and_load(X, used, even_split=False),
            gluon.utils.split_and_load(y, used, even_split=False))


def _cap(iterable, reduced):
    """At most `config.reduced_batches()` batches in reduced mode (the data loader caps too)."""
    return itertools.islice(iterable, config.reduced_batches()) if reduced else iterable


def _batches_per_epoch(iterable, reduced):
    try:
        n = len(iterable)
    except TypeError:
        return None
    return min(n, config.reduced_batches()) if reduced else n


def _on_devices(iterable, devices):
    """Let a loader that can (d2lcnn's) put its batches on the device itself."""
    to = getattr(iterable, "to", None)
    if len(devices) == 1 and callable(to):
        moved = to(devices[0])
        return iterable if moved is None else moved
    return iterable


def _devices_of(net):
    for param in net.collect_params().values():
        return param.list_ctx()
    raise ValueError("the network has no parameters, so it has no device: pass device=")


def _device_list(device):
    devices = list(device) if isinstance(device, (list, tuple)) else [device]
    if not devices:
        raise ValueError("device=[] names no device: pass a context such as mx.cpu(), "
                         "a list of them, or None for try_gpu()")
    for d in devices:
        if not isinstance(d, mx.Context):
            raise TypeError(f"device must be an MXNet context such as mx.cpu() or mx.gpu(0), "
                            f"or a list of them; got {d!r}")
    if len(set(devices)) != len(devices):
        raise ValueError(f"device lists {devices} twice the same context")
    return devices


def _evaluate(net, data_iter, devices, reduced):
    """(accuracy, batches): the correct counts stay on the devices and are read once."""
    correct = [None] * len(devices)
    seen, batches = 0, 0
    for X, y in _cap(data_iter, reduced):
        Xs, ys = _split(X, y, devices)
        for d, (Xd, yd) in enumerate(zip(Xs, ys)):
            c = correct_count(net(Xd), yd)
            correct[d] = c if correct[d] is None else correct[d] + c
        seen += int(X.shape[0])
        batches += 1
    if not seen:
        raise ValueError("the evaluation iterator yielded no batch")
    return sum(float(c) for c in correct if c is not None) / seen, batches


_REDUCED_NOTED = set()


def _note_reduced(where):
    print(f"reduced run: at most {config.reduced_batches()} batches per epoch in {where} "
          f"({config.REDUCED_ENV}=1); these figures are not the book's results")


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """The accuracy of `net` on `data_iter` (d2l's ``evaluate_accuracy_gpu``). `device`
    defaults to the device of the network's first parameter; a list splits each batch."""
    require_np("evaluate_accuracy_gpu")
    devices = _device_list(device) if device is not None else _devices_of(net)
    reduced = config.reduced_mode()
    if reduced and "evaluate" not in _REDUCED_NOTED:
        _REDUCED_NOTED.add("evaluate")  # once per process: it is often called in a loop
        _note_reduced("evaluation")
    return _evaluate(net, _on_devices(data_iter, devices), devices, reduced)[0]


# --------------------------------------------------------------------------------------------
# the record of a run


def _plain(value):
    """`value` with anything JSON cannot hold (an optimizer object...) replaced by its repr."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


class History:
    """What a training run did, epoch by epoch: lists ``train_loss``, ``train_acc``,
    ``test_acc``, ``seconds`` (wall time of the whole epoch: data, training, evaluation),
    ``train_seconds``, ``eval_seconds``, ``examples``, ``examples_per_sec`` (``examples`` over
    ``seconds``), ``train_batches``, ``test_batches``; and the run's ``device``, ``lr``,
    ``num_epochs``, ``batch_size`` and ``options``."""

    SERIES = ("train_loss", "train_acc", "test_acc", "seconds", "train_seconds", "eval_seconds",
              "examples", "examples_per_sec", "train_batches", "test_batches")
    META = ("device", "lr", "num_epochs", "batch_size", "reduced", "options")

    def __init__(self, device="", lr=None, num_epochs=0, batch_size=None, reduced=False,
                 options=None):
        self.device, self.lr, self.num_epochs = device, lr, num_epochs
        self.batch_size, self.reduced, self.options = batch_size, reduced, dict(options or {})
        for name in self.SERIES:
            setattr(self, name, [])

    def append(self, **values):
        """Record one epoch (every series at once, so they stay the same length)."""
        if set(values) != set(self.SERIES):
            raise ValueError(f"an epoch needs {sorted(self.SERIES)}; got {sorted(values)}")
        for name in self.SERIES:
            getattr(self, name).append(values[name])

    @property
    def epochs(self):
        """The number of epochs recorded."""
        return len(self.train_loss)

    @property
    def final(self):
        """The last epoch's loss and accuracies, and the speed over the whole run."""
        if not self.epochs:
            return {"epochs": 0, "device": self.device}
        seconds = sum(self.seconds)
        return {"epochs": self.epochs, "train_loss": self.train_loss[-1],
                "train_acc": self.train_acc[-1], "test_acc": self.test_acc[-1],
                "seconds": seconds,
                "examples_per_sec": sum(self.examples) / seconds if seconds else float("nan"),
                "device": self.device}

    def summary(self):
        """d2l's closing lines: loss and accuracies, then examples/sec and the device."""
        f = self.final
        if not self.epochs:
            return f"no epoch trained on {self.device}"
        test = "n/a" if f["test_acc"] is None else f"{f['test_acc']:.3f}"
        return (f"loss {f['train_loss']:.3f}, train acc {f['train_acc']:.3f}, test acc {test}\n"
                f"{f['examples_per_sec']:.1f} examples/sec on {self.device}")

    def to_dict(self):
        """Plain data (JSON-ready) with every series and setting."""
        out = {"format": "d2lcnn.History", "version": 1}
        out.update({name: _plain(getattr(self, name)) for name in self.META})
        out.update({name: list(getattr(self, name)) for name in self.SERIES})
        out["final"] = self.final
        return out

    @classmethod
    def from_dict(cls, data):
        """The History that `to_dict` described (a chapter can reload saved results)."""
        if data.get("format") != "d2lcnn.History":
            raise ValueError("not a d2lcnn History: the dict has no format 'd2lcnn.History'")
        history = cls(**{name: data.get(name) for name in cls.META})
        for name in cls.SERIES:
            setattr(history, name, list(data.get(name, [])))
        return history

    def save_json(self, path):
        """Write `to_dict()` to `path` as JSON, atomically (no half-written file)."""
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, indent=1, allow_nan=False)
                f.write("\n")
        return os.fspath(path)

    @classmethod
    def load_json(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def __repr__(self):
        if not self.epochs:
            return f"History(0 epochs on {self.device})"
        f = self.final
        return (f"History({self.epochs} epochs, train loss {f['train_loss']:.3f}, "
                f"test acc {f['test_acc']}, {f['examples_per_sec']:.1f} examples/sec on "
                f"{self.device})")


# --------------------------------------------------------------------------------------------
# loss, hybridization, optimizer, mixed precision


class LabelSmoothingCrossEntropy(gluon.loss.Loss):
    """Softmax cross-entropy against smoothed targets: ``1 - smoothing`` on the label and
    ``smoothing`` spread evenly over all classes (Szegedy et al. 2016, Inception-v3, Sec. 7).
    It equals ``(1 - s) * CE(label) + s * mean_k(-log p_k)`` for each example."""

    def __init__(self, smoothing=0.1, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1); got {smoothing}")
        self._smoothing, self._axis = float(smoothing), axis

    def hybrid_forward(self, F, pred, label):
        log_p = F.npx.log_softmax(pred, axis=self._axis)
        nll = -F.npx.pick(log_p, label, axis=self._axis)
        uniform = -F.np.mean(log_p, axis=self._axis)
        return (1.0 - self._smoothing) * nll + self._smoothing * uniform


def make_loss(label_smoothing=0.0):
    """d2l's ``SoftmaxCrossEntropyLoss``, or its label-smoothed version."""
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing}")
    if label_smoothing:
        return LabelSmoothingCrossEntropy(label_smoothing)
    return gluon.loss.SoftmaxCrossEntropyLoss()


def _hybridize(block):
    """Hybridize with static memory if `block` can be (True); a plain function cannot."""
    if not isinstance(block, gluon.Block):
        return False
    with warnings.catch_warnings():  # nn.Sequential's advice to use HybridSequential
        warnings.filterwarnings("ignore", message="All children of this Sequential layer")
        block.hybridize(static_alloc=True, static_shape=True)
    return True


def _unhybridize(block):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="All children of this Sequential layer")
        block.hybridize(active=False)


def _initialize(net, devices, initializer, reinitialize):
    params = net.collect_params()
    initialized = any(p._data is not None or p._deferred_init for p in params.values())
    if reinitialize or not initialized:
        net.initialize(init=initializer if initializer is not None else mx_init.Xavier(),
                       ctx=devices, force_reinit=True)
    else:
        params.reset_ctx(devices)


def _make_trainer(net, optimizer, optimizer_params, lr, kvstore):
    """d2l's SGD trainer at `lr`; an optimizer given by name or as an object also gets `lr`
    (unless it follows a learning-rate schedule of its own)."""
    if isinstance(optimizer, mx.optimizer.Optimizer):
        if optimizer_params:
            raise ValueError("optimizer_params applies to an optimizer given by name; set them "
                             "on the Optimizer object instead")
        if optimizer.lr_scheduler is None:
            optimizer.set_learning_rate(lr)
        return gluon.Trainer(net.collect_params(), optimizer, kvstore=kvstore)
    return gluon.Trainer(net.collect_params(), optimizer,
                         {"learning_rate": lr, **(optimizer_params or {})}, kvstore=kvstore)


_AMP_STATE = {"initialized": False}


def _check_amp(devices):
    """Refuse mixed precision off the GPU, before any work is done."""
    cpus = [d for d in devices if d.device_type != "gpu"]
    if cpus:
        raise AMPNotSupportedError(
            f"amp=True (mixed precision) needs a GPU, but training would run on "
            f"{describe_device(cpus[0])}: MXNet's AMP computes in float16, which a CPU does not "
            f"speed up. Leave amp=False on the CPU.")


def _enable_amp(trainer):
    """MXNet's automatic mixed precision (float16 with dynamic loss scaling) on a GPU."""
    from mxnet.contrib import amp
    if not _AMP_STATE["initialized"]:
        amp.init()  # patches the operators once per process, before the graph is built
        _AMP_STATE["initialized"] = True
    amp.init_trainer(trainer)
    return amp


# --------------------------------------------------------------------------------------------
# divergence


class _HostCopy:
    """The parameters of the last good epoch, in host memory (cheap for the book's nets)."""

    def __init__(self, net):
        self.params = net.collect_params()
        self.saved = None

    def take(self):
        """Copy the parameters; False (and nothing kept) if one is NaN or infinite."""
        arrays = {name: p.data(p.list_ctx()[0]).asnumpy() for name, p in self.params.items()}
        if not all(onp.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f"):
            return False
        self.saved = arrays
        return True

    def restore(self):
        for name, p in self.params.items():
            p.set_data(np.array(self.saved[name], dtype=self.saved[name].dtype))


def _diverged(epoch, first, last, lr, restored, what="the training loss became NaN or inf"):
    where = (f"in batches {first}-{last}" if first != last else f"in batch {last}")
    back = (("the parameters of epoch %d were restored" % (epoch - 1)) if epoch > 1
            else "the initial parameters were restored")
    if not restored:
        back = "the parameters were left as they are (restore_on_divergence=False)"
    err = TrainingDivergedError(
        f"training diverged in epoch {epoch} {where}: {what}; {back}. The learning rate "
        f"lr={lr:g} is probably too large: try a smaller one, such as lr={lr / 10:g}.")
    err.epoch, err.batches, err.lr = epoch, (first, last), lr
    return err


# --------------------------------------------------------------------------------------------
# progress bar


def _in_notebook():
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ip = shell.get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def progress_default():
    """Whether the progress bar is on when ``progress=None``: in a terminal or a notebook a
    person is looking at, not in CI, reduced mode or a notebook executed to store its outputs
    (a bar there would be frozen into the book). ``D2LCNN_PROGRESS=1/0`` decides instead."""
    env = os.environ.get("D2LCNN_PROGRESS", "").strip().lower()
    if env in _TRUE:
        return True
    if env in _FALSE:
        return False
    if os.environ.get("CI", "").strip().lower() in _TRUE or config.reduced_mode():
        return False
    if _in_notebook():
        # Jupyter Server names the notebook of an interactive session; nbclient/nbval do not
        return bool(os.environ.get("JPY_SESSION_NAME")) or "google.colab" in sys.modules
    return sys.stderr is not None and sys.stderr.isatty()


class _NoBar:
    def update(self, n=1):
        pass

    def set_description(self, *_, **__):
        pass

    def set_postfix_str(self, *_, **__):
        pass

    def close(self):
        pass


def _progress_bar(enabled, total):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="batch", dynamic_ncols=True, leave=True)


# --------------------------------------------------------------------------------------------
# the loop


class _Trainer:
    """One run: the network, loss, optimizer and devices, and the per-epoch loop."""

    def __init__(self, net, loss, trainer, devices, amp, hybridized, check_every, lr, snapshot,
                 bar):
        self.net, self.loss, self.trainer, self.devices = net, loss, trainer, devices
        self.amp, self.hybridized, self.check_every = amp, hybridized, check_every
        self.lr, self.snapshot, self.bar = lr, snapshot, bar
        self.batch_size = None
        self._stepped = False

    def _forward_backward(self, Xs, ys):
        with autograd.record():
            outs = [self.net(X) for X in Xs]
            losses = [self.loss(o, y) for o, y in zip(outs, ys)]
        if self.amp is not None:
            with self.amp.scale_loss(losses, self.trainer) as scaled:
                autograd.backward(scaled)
        else:
            autograd.backward(losses)
        return outs, losses

    def _first_forward_backward(self, Xs, ys):
        """The first batch builds the hybridized graph; a network that cannot be hybridized
        (Python control flow on values, asnumpy() inside...) trains imperatively instead."""
        try:
            return self._forward_backward(Xs, ys)
        except Exception as err:  # noqa: BLE001 - any failure of graph construction
            if not self.hybridized:
                raise
            _unhybridize(self.net)
            _unhybridize(self.loss)
            self.hybridized = False
            result = self._forward_backward(Xs, ys)  # a genuine error raises here, imperatively
            warnings.warn(f"the network could not be hybridized ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else ''}); it trains "
                          f"imperatively, which is slower", RuntimeWarning, stacklevel=5)
            return result

    def _step(self, X, y):
        Xs, ys = _split(X, y, self.devices)
        if self._stepped:
            outs, losses = self._forward_backward(Xs, ys)
        else:
            outs, losses = self._first_forward_backward(Xs, ys)
            self._stepped = True
            if self.amp is not None and all(o.dtype == onp.float32 for o in outs):
                warnings.warn(
                    "amp=True changed nothing: the network's output is still float32. MXNet "
                    "1.9.1's AMP casts the operators of mx.nd/mx.sym, and layers in NumPy mode "
                    "(npx.set_np()) may call others; training continues in float32",
                    RuntimeWarning, stacklevel=4)
            if self.snapshot is not None:  # the initial parameters: shapes are known by now
                self.snapshot.take()
        stale = len(Xs) < len(self.devices)
        if stale:  # devices without a share of this (tiny) batch contribute zero gradients
            for p in self.net.collect_params().values():
                if p.grad_req != "null":
                    for g in p.list_grad()[len(Xs):]:
                        g[:] = 0
        self.trainer.step(int(X.shape[0]), ignore_stale_grad=stale)
        return outs, ys, losses

    def _fail(self, epoch, first, last, what=None):
        restored = self.snapshot is not None and self.snapshot.saved is not None
        if restored:
            self.snapshot.restore()
        kwargs = {"what": what} if what else {}
        return _diverged(epoch, first, last, self.lr, restored, **kwargs)

    def train_epoch(self, batches, epoch):
        """(mean loss, accuracy, examples, batches) of one pass; one read of the sums every
        `check_every` batches to catch a divergence early, and one at the end."""
        n_dev = len(self.devices)
        loss_sum, correct = [None] * n_dev, [None] * n_dev
        examples, i, window = 0, 0, 1
        in_flight = deque()
        for i, (X, y) in enumerate(batches, 1):
            if self.batch_size is None:
                self.batch_size = int(X.shape[0])
            outs, ys, losses = self._step(X, y)
            for d, (o, yd, l) in enumerate(zip(outs, ys, losses)):
                s, c = l.sum(), correct_count(o, yd)
                loss_sum[d] = s if loss_sum[d] is None else loss_sum[d] + s
                correct[d] = c if correct[d] is None else correct[d] + c
            examples += int(X.shape[0])
            in_flight.append(losses[-1])
            if len(in_flight) > MAX_IN_FLIGHT:  # bound the queue: the oldest is usually done
                in_flight.popleft().wait_to_read()
            if self.check_every and i % self.check_every == 0:
                if not math.isfinite(_read(loss_sum)):
                    raise self._fail(epoch, window, i)
                window = i + 1
            self.bar.update(1)
        if not examples:
            raise ValueError("the training iterator yielded no batch")
        total = _read(loss_sum)
        if not math.isfinite(total):
            raise self._fail(epoch, min(window, i), i)
        return total / examples, _read(correct) / examples, examples, i


def _read(sums):
    """Add the per-device sums as a Python float (the one synchronisation)."""
    return sum(float(s) for s in sums if s is not None)


def _describe(devices):
    """The device names for the closing line; contexts of one CPU are named once."""
    names = [describe_device(d) for d in devices]
    if len(set(names)) == 1 and len(names) > 1:
        return f"{names[0]}, {len(names)} contexts ({', '.join(str(d) for d in devices)})"
    return " + ".join(names)


def _callbacks(on_epoch_end, live_plot):
    if on_epoch_end is None:
        callbacks = []
    elif callable(on_epoch_end):
        callbacks = [on_epoch_end]
    else:
        callbacks = list(on_epoch_end)
    if live_plot:
        from .plotting import LivePlot
        callbacks.append(LivePlot())
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"on_epoch_end takes callables f(history); got {cb!r}")
    return callbacks


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device=None, *, loss=None,
              label_smoothing=0.0, optimizer="sgd", optimizer_params=None, initializer=None,
              reinitialize=True, hybridize=True, amp=False, kvstore="device", seed=None,
              progress=None, live_plot=False, on_epoch_end=None, check_every=50,
              restore_on_divergence=True, verbose=True):
    """Train `net` as d2l's ``train_ch6`` does and return a `History`.

    As in d2l: parameters re-initialized with Xavier (``force_reinit``), SGD at `lr`, softmax
    cross-entropy; `device` None means `try_gpu()`; a list of devices trains data-parallel
    (each batch split over them, gradients summed by a `kvstore`). Ends by printing d2l's two
    closing lines, naming the device. Options:

    loss / label_smoothing: another loss block, or smoothed targets (Inception-v3).
    optimizer / optimizer_params: another Gluon optimizer or its settings (momentum, wd).
    initializer / reinitialize: another initializer, or keep trained parameters (False).
    hybridize: compile the network with static memory when it allows it (default).
    amp: float16 mixed precision on a GPU (refused on the CPU).
    seed: call `set_seed(seed)` first, for a repeatable run.
    progress: a tqdm bar; None decides by `progress_default()`.
    live_plot / on_epoch_end: a plot updated once per epoch / functions called with the
        history after each epoch.
    check_every: batches between checks of the loss for NaN/inf (0: at the epoch end only).
    restore_on_divergence: keep a host copy of the parameters at each epoch's end and restore
        it if the loss diverges.
    verbose: print the closing lines.
    """
    require_np("train_ch6")
    if int(num_epochs) != num_epochs or num_epochs < 1:
        raise ValueError(f"num_epochs must be a whole number, 1 or more; got {num_epochs!r}")
    num_epochs = int(num_epochs)
    if not lr > 0:
        raise ValueError(f"lr must be a positive number; got {lr!r}")
    if check_every < 0:
        raise ValueError(f"check_every must be 0 or more batches; got {check_every!r}")
    if loss is not None and label_smoothing:
        raise ValueError("give either loss= or label_smoothing=, not both: label smoothing "
                         "applies to the default softmax cross-entropy")
    devices = _device_list(try_gpu() if device is None else device)
    if amp:
        _check_amp(devices)
    if seed is not None:
        from .utils import set_seed
        set_seed(seed)
    reduced = config.reduced_mode()
    if reduced:
        _note_reduced("training and evaluation")
    callbacks = _callbacks(on_epoch_end, live_plot)

    _initialize(net, devices, initializer, reinitialize)
    loss = make_loss(label_smoothing) if loss is None else loss
    hybridized = bool(hybridize) and _hybridize(net)
    if hybridized:
        _hybridize(loss)
    trainer = _make_trainer(net, optimizer, optimizer_params, lr, kvstore)
    amp_module = _enable_amp(trainer) if amp else None
    train_iter = _on_devices(train_iter, devices)
    test_iter = _on_devices(test_iter, devices) if test_iter is not None else None

    history = History(device=_describe(devices),
                      lr=lr, num_epochs=num_epochs, reduced=reduced,
                      options={"optimizer": optimizer, "optimizer_params": optimizer_params,
                               "label_smoothing": label_smoothing, "amp": bool(amp),
                               "kvstore": kvstore if len(devices) > 1 else None,
                               "devices": [str(d) for d in devices], "hybridized": hybridized})
    snapshot = _HostCopy(net) if restore_on_divergence else None
    per_epoch = _batches_per_epoch(train_iter, reduced)
    bar = _progress_bar(progress_default() if progress is None else progress,
                        per_epoch * num_epochs if per_epoch is not None else None)
    loop = _Trainer(net, loss, trainer, devices, amp_module, hybridized, int(check_every), lr,
                    snapshot, bar)
    try:
        for epoch in range(1, num_epochs + 1):
            bar.set_description(f"epoch {epoch}/{num_epochs}")
            start = time.perf_counter()
            train_loss, train_acc, examples, batches = loop.train_epoch(
                _cap(train_iter, reduced), epoch)
            trained = time.perf_counter()
            if snapshot is not None and not snapshot.take():
                raise loop._fail(epoch, 1, batches, what="a parameter became NaN or inf while "
                                 "the loss stayed finite (ReLU or max pooling can hide NaN)")
            test_acc, test_batches = (_evaluate(net, test_iter, devices, reduced)
                                      if test_iter is not None else (None, 0))
            end = time.perf_counter()
            history.append(train_loss=train_loss, train_acc=train_acc, test_acc=test_acc,
                           seconds=end - start, train_seconds=trained - start,
                           eval_seconds=end - trained, examples=examples,
                           examples_per_sec=examples / (end - start), train_batches=batches,
                           test_batches=test_batches)
            history.batch_size = loop.batch_size
            history.options["hybridized"] = loop.hybridized
            bar.set_postfix_str(f"loss {train_loss:.3f}, train acc {train_acc:.3f}, test acc "
                                + ("n/a" if test_acc is None else f"{test_acc:.3f}"))
            for cb in callbacks:
                cb(history)
    except TrainingDivergedError as err:
        err.history = history
        raise
    finally:
        bar.close()
    if verbose:
        print(history.summary())
    return history
