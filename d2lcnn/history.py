"""`History`: what a training run did, epoch by epoch, as plain data a chapter can print, plot
(`d2lcnn.plot_history`) or save (`History.save_json`) and load again.

Two speeds are kept, because they answer different questions:

* ``examples_per_sec`` is d2l's figure, the one its ``train_ch6`` prints: examples over the time
  spent in training batches (from receiving a batch to asking for the next one), so data
  loading and evaluation are left out. Only this one can be compared with d2l's published
  figures (4,886.6 examples/sec for ResNet-18, ...).
* ``epoch_examples_per_sec`` is examples over the wall time of whole epochs (loading, training,
  evaluation): what a reader waits for.

Version 1 of the JSON format (before both were kept) had only the whole-epoch figure, under the
name ``examples_per_sec``; `from_dict` reads it as ``epoch_examples_per_sec`` and leaves d2l's
figure unknown (None), so an old file never passes a whole-epoch figure off as d2l's.
"""
import json
import os

from .utils import atomic_path

FORMAT = "d2lcnn.History"
VERSION = 2


def _plain(value):
    """`value` with anything JSON cannot hold (an optimizer object...) replaced by its repr."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _rate(examples, seconds):
    """examples / seconds over epochs; None if a time is unknown (a version-1 file)."""
    if not seconds or any(s is None for s in seconds):
        return None
    total = sum(seconds)
    return sum(examples) / total if total else float("nan")


class History:
    """What a training run did, epoch by epoch.

    Series (one value per epoch): ``train_loss``, ``train_acc``, ``test_acc`` (None without a
    test set), ``seconds`` (wall time of the whole epoch), ``train_seconds`` (its training
    phase, data loading included), ``batch_seconds`` (time in training batches, loading
    excluded: d2l's timer), ``eval_seconds``, ``examples``, ``examples_per_sec`` (``examples``
    over ``batch_seconds``, d2l's definition), ``epoch_examples_per_sec`` (``examples`` over
    ``seconds``), ``train_batches``, ``test_batches``.

    Settings: ``device``, ``lr``, ``num_epochs`` (asked for), ``batch_size``, ``reduced``,
    ``options``, and ``interrupted`` (True when Ctrl-C stopped the run: the series hold the
    epochs that finished).
    """

    SERIES = ("train_loss", "train_acc", "test_acc", "seconds", "train_seconds",
              "batch_seconds", "eval_seconds", "examples", "examples_per_sec",
              "epoch_examples_per_sec", "train_batches", "test_batches")
    #: series `append` derives when they are not given (callers written for version 1)
    DERIVED = ("batch_seconds", "examples_per_sec", "epoch_examples_per_sec")
    META = ("device", "lr", "num_epochs", "batch_size", "reduced", "options", "interrupted")

    def __init__(self, device="", lr=None, num_epochs=0, batch_size=None, reduced=False,
                 options=None, interrupted=False):
        self.device, self.lr, self.num_epochs = device, lr, num_epochs
        self.batch_size, self.reduced, self.options = batch_size, reduced, dict(options or {})
        self.interrupted = bool(interrupted)
        for name in self.SERIES:
            setattr(self, name, [])

    def append(self, **values):
        """Record one epoch (every series at once, so they stay the same length).

        ``batch_seconds`` missing is unknown (None); the two speeds missing are computed from
        ``examples`` and the times."""
        required = set(self.SERIES) - set(self.DERIVED)
        if not required <= set(values) <= set(self.SERIES):
            raise ValueError(f"an epoch needs {sorted(required)} (and may give "
                             f"{sorted(self.DERIVED)}); got {sorted(values)}")
        values.setdefault("batch_seconds", None)
        values.setdefault("epoch_examples_per_sec", values["examples"] / values["seconds"])
        if "examples_per_sec" not in values:
            batch = values["batch_seconds"]
            values["examples_per_sec"] = values["examples"] / batch if batch else None
        for name in self.SERIES:
            getattr(self, name).append(values[name])

    @property
    def epochs(self):
        """The number of epochs recorded."""
        return len(self.train_loss)

    @property
    def final(self):
        """The last epoch's loss and accuracies, and the speeds over the whole run:
        ``examples_per_sec`` as d2l prints it, ``epoch_examples_per_sec`` over whole epochs."""
        if not self.epochs:
            return {"epochs": 0, "device": self.device, "interrupted": self.interrupted}
        return {"epochs": self.epochs, "train_loss": self.train_loss[-1],
                "train_acc": self.train_acc[-1], "test_acc": self.test_acc[-1],
                "seconds": sum(self.seconds),
                "examples_per_sec": _rate(self.examples, self.batch_seconds),
                "epoch_examples_per_sec": _rate(self.examples, self.seconds),
                "device": self.device, "interrupted": self.interrupted}

    def _speed(self):
        f = self.final
        if f["examples_per_sec"] is not None:
            return f"{f['examples_per_sec']:.1f} examples/sec on {self.device}"
        return f"{f['epoch_examples_per_sec']:.1f} examples/sec (whole epochs) on {self.device}"

    def summary(self):
        """d2l's closing lines: loss and accuracies, then examples/sec and the device."""
        f = self.final
        stopped = (f" (interrupted after {self.epochs} of {self.num_epochs} epochs)"
                   if self.interrupted else "")
        if not self.epochs:
            return f"no epoch trained on {self.device}{stopped}"
        test = "n/a" if f["test_acc"] is None else f"{f['test_acc']:.3f}"
        return (f"loss {f['train_loss']:.3f}, train acc {f['train_acc']:.3f}, test acc {test}"
                f"{stopped}\n{self._speed()}")

    def to_dict(self):
        """Plain data (JSON-ready) with every series and setting."""
        out = {"format": FORMAT, "version": VERSION}
        out.update({name: _plain(getattr(self, name)) for name in self.META})
        out.update({name: list(getattr(self, name)) for name in self.SERIES})
        out["final"] = self.final
        return out

    @classmethod
    def from_dict(cls, data):
        """The History that `to_dict` described (a chapter can reload saved results); reads
        version 1 too (see the module's docstring)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a d2lcnn History: the dict has no format {FORMAT!r} (a "
                             f"chapter's results file from save_results is a plain dict: read "
                             f"it with d2lcnn.load_results)")
        version = data.get("version", 1)
        if version not in (1, VERSION):
            raise ValueError(f"History format version {version!r} is newer than this d2lcnn "
                             f"reads ({VERSION}): upgrade d2lcnn")
        history = cls(**{name: data.get(name) for name in cls.META if name in data})
        for name in cls.SERIES:
            setattr(history, name, list(data.get(name) or []))
        if version == 1:  # its examples_per_sec was over whole epochs; d2l's is unknown
            history.epoch_examples_per_sec = list(data.get("examples_per_sec") or [])
            history.examples_per_sec = [None] * history.epochs
            history.batch_seconds = [None] * history.epochs
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
        stopped = ", interrupted" if self.interrupted else ""
        if not self.epochs:
            return f"History(0 epochs on {self.device}{stopped})"
        f = self.final
        return (f"History({self.epochs} epochs{stopped}, train loss {f['train_loss']:.3f}, "
                f"test acc {f['test_acc']}, {self._speed()})")
