"""Training recipes of the chapters, and the results file each chapter leaves for the last one.

A chapter trains with one of two recipes, chosen by the device it finds: the GPU recipe (d2l's
settings, for readers on a Colab GPU) or the CPU recipe (the same architecture adapted so that the
full training set trains in about 15 minutes on two cores). Both are data, printed by the
chapter, so a reader sees exactly what ran.
"""
import dataclasses
import json
import os
import tempfile
from pathlib import Path

from . import config
from ._version import __version__, source_commit

RESULTS_DIR = config.REPO_ROOT / "book" / "results"


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What a chapter trains: the model and its options, the data, and the optimiser settings."""

    name: str              # "gpu" or "cpu"
    model: str             # registry name
    model_options: dict
    resize: object         # None (28x28) or the side length
    batch_size: int
    lr: float
    num_epochs: int
    note: str = ""         # what was adapted, and why
    momentum: float = 0.0  # SGD momentum (d2l: none)
    wd: float = 0.0        # weight decay (d2l: none)
    decay_last: int = 0    # the last `decay_last` epochs run at lr / 10 (d2l: none)

    def __post_init__(self):
        if self.name not in ("gpu", "cpu"):
            raise ValueError(f"a recipe is named 'gpu' or 'cpu'; got {self.name!r}")
        if not (isinstance(self.num_epochs, int) and self.num_epochs >= 1):
            raise ValueError(f"num_epochs must be a whole number, 1 or more; "
                             f"got {self.num_epochs!r}")
        if not (isinstance(self.decay_last, int) and 0 <= self.decay_last < self.num_epochs):
            raise ValueError(f"decay_last must be a whole number of epochs below num_epochs "
                             f"({self.num_epochs}); got {self.decay_last!r}")
        if not self.lr > 0 or not 0 <= self.momentum < 1 or self.wd < 0:
            raise ValueError(f"need lr > 0, 0 <= momentum < 1 and wd >= 0; got lr={self.lr!r}, "
                             f"momentum={self.momentum!r}, wd={self.wd!r}")

    @property
    def input_size(self):
        """The side of the images the network sees (Fashion-MNIST's 28 unless resized)."""
        return self.resize or 28

    def optimizer_params(self, batches_per_epoch):
        """The SGD settings beyond the learning rate, for `train_ch6(optimizer_params=...)`:
        momentum, weight decay, and the step that divides the learning rate by 10 for the last
        `decay_last` epochs (Gluon counts scheduler steps in batches). None if d2l's plain SGD."""
        params = {}
        if self.momentum:
            params["momentum"] = self.momentum
        if self.wd:
            params["wd"] = self.wd
        if self.decay_last:
            if not (isinstance(batches_per_epoch, int) and batches_per_epoch >= 1):
                raise ValueError(f"batches_per_epoch must be a whole number, 1 or more (use "
                                 f"len(train_iter)); got {batches_per_epoch!r}")
            import mxnet as mx
            step = (self.num_epochs - self.decay_last) * batches_per_epoch
            params["lr_scheduler"] = mx.lr_scheduler.MultiFactorScheduler(
                [step], 0.1, base_lr=self.lr)
        return params or None

    @property
    def schedule(self):
        """The learning-rate schedule in words ("lr / 10 for the last epoch"), None if constant."""
        if not self.decay_last:
            return None
        last = "epoch" if self.decay_last == 1 else f"{self.decay_last} epochs"
        return f"lr / 10 for the last {last}"

    def as_dict(self):
        """The recipe as plain data (for a results file)."""
        return dataclasses.asdict(self)

    def __str__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.model_options.items())
        side = self.input_size
        text = (f"{self.name.upper()} recipe: {self.model}({opts}) at {side}x{side}, "
                f"batch {self.batch_size}, lr {self.lr}, {self.num_epochs} epochs")
        extras = [f"momentum {self.momentum}"] if self.momentum else []
        extras += [f"weight decay {self.wd}"] if self.wd else []
        if self.schedule:
            extras.append(self.schedule)
        text += "".join(f", {e}" for e in extras)
        return text + (f"\n  {self.note}" if self.note else "")


def choose_recipe(gpu, cpu, device=None):
    """The GPU recipe on a GPU, the CPU recipe elsewhere."""
    if device is None:
        from .device import try_gpu
        device = try_gpu()
    return gpu if device.device_type == "gpu" else cpu


#: what save_results adds to every results file: the version of d2lcnn, the commit of the checkout
#: it ran from (None for an installed wheel) and whether d2lcnn/ had uncommitted changes
RUN_KEYS = ("d2lcnn_version", "d2lcnn_commit", "d2lcnn_modified")


def save_results(chapter, payload, results_dir=None):
    """Write a chapter's results (a JSON-able dict) for the closing chapter to read.

    In reduced mode nothing is written: a CI run must never replace the results of a full run.
    Every file also records the code that made it (`RUN_KEYS`): the package version, the commit
    of the checkout and whether the package's files differed from it, so that a later chapter
    can tell a result of older code. Returns the path written, or None. The write is atomic (no
    half-written file)."""
    clash = sorted(set(payload) & set(RUN_KEYS))
    if clash:
        raise ValueError(f"save_results records {', '.join(clash)} itself: leave "
                         f"{'it' if len(clash) == 1 else 'them'} out of the payload")
    if config.reduced_mode():
        return None
    commit, modified = source_commit()
    payload = {**payload, "d2lcnn_version": __version__, "d2lcnn_commit": commit,
               "d2lcnn_modified": modified}
    folder = Path(results_dir) if results_dir is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{chapter}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


#: the chapters in the book's order (a results file of another name comes after them)
CHAPTERS = ("lenet", "alexnet", "vgg", "inception", "resnet", "mobilenet")


def load_results(results_dir=None, *, through=None):
    """The chapters' saved results, as {chapter: dict} in the book's order (`CHAPTERS`, then
    other files by name).

    through: a chapter's name; keep only it and the chapters before it. A chapter shows the
        results of the chapters a reader has seen, and its stored table stays true when a later
        chapter is re-run.
    """
    if through is not None and through not in CHAPTERS:
        raise ValueError(f"through must be one of the book's chapters {CHAPTERS}; "
                         f"got {through!r}")
    folder = Path(results_dir) if results_dir is not None else RESULTS_DIR
    rank = {chapter: i for i, chapter in enumerate(CHAPTERS)}
    paths = sorted(folder.glob("*.json"), key=lambda p: (rank.get(p.stem, len(CHAPTERS)), p.stem))
    if through:
        paths = [p for p in paths if rank.get(p.stem, len(CHAPTERS)) <= rank[through]]
    out = {}
    for path in paths:
        try:
            out[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"results file {path.name} is not valid JSON ({e}); re-run its "
                             f"chapter to write it again") from e
    return out
