"""Training recipes of the chapters, and the results file each chapter leaves for the last one.

A chapter trains with one of two recipes, chosen by the device it finds: the GPU recipe (d2l's
settings, for readers on a Colab GPU) or the CPU recipe (the same architecture adapted so that the
full training set trains in about 15 minutes on two cores). Both are data, in one table
(`RECIPES`), printed by the chapter, so a reader sees exactly what ran. ``D2LCNN_RECIPE=gpu``
(or ``cpu``) forces one whatever the device: CI runs the GPU recipes on its CPU that way.

Results files go where `config.results_dir` says: the book's ``book/results`` in a clone,
``D2LCNN_RESULTS`` if set, else the user's data folder; never the installed package.
"""
import dataclasses
import json
import os
import tempfile
from pathlib import Path

from . import config
from .chapters import CHAPTERS, rank
from ._version import __version__, source_commit

RECIPE_ENV = "D2LCNN_RECIPE"


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


def forced_recipe():
    """``"gpu"`` or ``"cpu"`` when ``D2LCNN_RECIPE`` forces a recipe, None for ``auto`` or unset."""
    raw = os.environ.get(RECIPE_ENV, "")
    value = raw.strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("gpu", "cpu"):
        return value
    raise ValueError(f"{RECIPE_ENV}={raw!r} is not understood: set it to gpu (d2l's settings), "
                     f"cpu (the book's CPU settings) or auto (the GPU recipe on a GPU)")


def choose_recipe(gpu, cpu, device=None):
    """The GPU recipe on a GPU, the CPU recipe elsewhere; ``D2LCNN_RECIPE=gpu|cpu`` forces one
    (and says so: a forced recipe still trains on the device that is there)."""
    forced = forced_recipe()
    if forced is not None:
        print(f"{RECIPE_ENV}={forced}: the {forced.upper()} recipe, whatever the device")
        return gpu if forced == "gpu" else cpu
    if device is None:
        from .device import try_gpu
        device = try_gpu()
    return gpu if device.device_type == "gpu" else cpu


#: what save_results adds to every results file: the version of d2lcnn, the commit of the checkout
#: it ran from (None for an installed wheel) and whether d2lcnn/ had uncommitted changes
RUN_KEYS = ("d2lcnn_version", "d2lcnn_commit", "d2lcnn_modified")


def save_results(chapter, payload, results_dir=None):
    """Write a chapter's results (a JSON-able dict) for the closing chapter to read.

    results_dir: the folder (default: `config.results_dir`: the book's ``book/results`` found
        from the current directory, ``D2LCNN_RESULTS``, else the user's data folder).
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
    folder = Path(results_dir) if results_dir is not None else config.results_dir()[0]
    path = folder / f"{chapter}.json"
    text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{chapter}.", suffix=".tmp")
    except OSError as e:
        raise OSError(f"cannot write the results of {chapter!r} into {folder} ({e.strerror or e}):"
                      f" set {config.RESULTS_ENV} to a folder you can write to") from None
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


def load_results(results_dir=None, *, through=None):
    """The chapters' saved results, as {chapter: dict} in the book's order (`CHAPTERS`, then
    other files by name); {} where none were saved yet.

    results_dir: the folder (default: `config.results_dir`, where `save_results` writes).
    through: a chapter's name; keep only it and the chapters before it. A chapter shows the
        results of the chapters a reader has seen, and its stored table stays true when a later
        chapter is re-run.
    """
    if through is not None and through not in CHAPTERS:
        raise ValueError(f"through must be one of the book's chapters {CHAPTERS}; "
                         f"got {through!r}")
    folder = Path(results_dir) if results_dir is not None else config.results_dir()[0]
    paths = sorted(folder.glob("*.json"), key=lambda p: (rank(p.stem), p.stem))
    if through:
        paths = [p for p in paths if rank(p.stem) <= rank(through)]
    out = {}
    for path in paths:
        try:
            out[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"results file {path.name} is not valid JSON ({e}); re-run its "
                             f"chapter to write it again") from e
    return out


# ---------------------------------------------------------------------------------------------
# the chapters' recipes: (GPU, CPU) per chapter, as the notebooks' stored runs used them


def _pair(model, gpu, cpu):
    return {"gpu": Recipe("gpu", model, **gpu), "cpu": Recipe("cpu", model, **cpu)}


RECIPES = {
    "lenet": _pair(
        "lenet",
        gpu=dict(model_options={"activation": "sigmoid", "pool": "avg"}, resize=None,
                 batch_size=256, lr=0.9, num_epochs=10,
                 note="d2l's LeNet and settings (Dive into Deep Learning, Sec. 7.6)"),
        cpu=dict(model_options={"activation": "relu", "pool": "max"}, resize=None,
                 batch_size=256, lr=0.1, num_epochs=10, decay_last=2,
                 note="ReLU and max-pooling: 10 epochs reach the 85% target; d2l's layers")),
    "alexnet": _pair(
        "alexnet",
        gpu=dict(model_options={}, resize=224, batch_size=128, lr=0.01, num_epochs=10,
                 note="d2l's AlexNet and settings (Dive into Deep Learning, Sec. 8.1)"),
        cpu=dict(model_options={"width": 4}, resize=96, batch_size=128, lr=0.01, num_epochs=6,
                 momentum=0.9, wd=5e-4, decay_last=1,
                 note="96x96 images and a quarter of the convolutions' channels (dense layers "
                      "4096 wide); the paper's momentum, weight decay and lr / 10 at the end")),
    "vgg": _pair(
        "vgg11",
        gpu=dict(model_options={"width": 4}, resize=224, batch_size=128, lr=0.05, num_epochs=10,
                 note="d2l's VGG-11 with channels / 4 and its settings (Dive into Deep "
                      "Learning, Sec. 8.2): plain SGD"),
        cpu=dict(model_options={"width": 4, "batch_norm": True}, resize=32, batch_size=128,
                 lr=0.05, num_epochs=6, momentum=0.9, wd=5e-4, decay_last=1,
                 note="the same blocks at 32x32 (the smallest input five 2x2 poolings allow), "
                      "with BatchNorm after every convolution (a fast start within 6 epochs), "
                      "the paper's momentum and weight decay, and a last epoch at lr / 10")),
    "inception": _pair(
        "googlenet_d2l",
        gpu=dict(model_options={}, resize=96, batch_size=128, lr=0.1, num_epochs=10,
                 note="d2l's GoogLeNet and settings (Dive into Deep Learning, Sec. 8.4)"),
        cpu=dict(model_options={"batch_norm": True}, resize=32, batch_size=128, lr=0.1,
                 num_epochs=4, momentum=0.9, wd=1e-4, decay_last=1,
                 note="32x32 inputs (the maps shrink to 1x1 before block 5a) and BatchNorm "
                      "after every convolution (Inception-v2), so that 4 epochs suffice; d2l's "
                      "layers and widths")),
    "resnet": _pair(
        "resnet18",
        gpu=dict(model_options={}, resize=96, batch_size=256, lr=0.05, num_epochs=10,
                 note="d2l's ResNet-18 and settings (Dive into Deep Learning, Sec. 8.6), "
                      "plain SGD"),
        cpu=dict(model_options={"stem": "small", "width": 16}, resize=None, batch_size=128,
                 lr=0.1, num_epochs=5, momentum=0.9, wd=1e-4, decay_last=1,
                 note="3x3 stride-1 stem without max-pooling for 28x28 images (as the CIFAR "
                      "ResNets), a quarter of the width; the paper's momentum and weight decay; "
                      "lr / 10 at the end")),
    "mobilenet": _pair(
        "mobilenet_v1",
        gpu=dict(model_options={"alpha": 1.0}, resize=96, batch_size=256, lr=0.1, num_epochs=10,
                 momentum=0.9, wd=4e-5, decay_last=2,
                 note="not d2l's (d2l has no MobileNet): its 96x96 and 10 epochs, SGD with "
                      "momentum; not validated on a GPU"),
        cpu=dict(model_options={"alpha": 0.5}, resize=56, batch_size=128, lr=0.05, num_epochs=8,
                 momentum=0.9, wd=4e-5, decay_last=2,
                 note="56x56 (2x2 maps at the end of the body, not 1x1) and alpha 0.5 (time); "
                      "the GPU recipe's rate scaled to batch 128")),
}


def chapter_recipes(chapter):
    """A chapter's two recipes, ``{"gpu": Recipe, "cpu": Recipe}``."""
    if chapter not in RECIPES:
        raise ValueError(f"no recipes for {chapter!r}: the chapters that train are "
                         f"{', '.join(RECIPES)}")
    return dict(RECIPES[chapter])


def recipe_for(chapter, device=None):
    """The recipe a chapter trains with here (`choose_recipe` over its two recipes)."""
    return choose_recipe(device=device, **chapter_recipes(chapter))


def recipes_text(chapter, chosen=None):
    """Both recipes of a chapter as text, the one in use (`chosen`) marked, for the chapter to
    print."""
    lines = []
    for recipe in chapter_recipes(chapter).values():
        mark = "-> " if chosen is not None and recipe == chosen else "   "
        text = str(recipe).replace("\n", "\n" + " " * len(mark))
        lines.append(mark + text)
    return "\n".join(lines)


#: memory a 16 GB T4 (Colab's GPU) gives a process: 15 GiB (nvidia-smi: 15,360 MiB)
T4_BYTES = 15 * 2**30


def training_memory(recipe, in_channels=1, num_classes=10):
    """What training with `recipe` holds in memory, in bytes, from `d2lcnn.summary`: the
    parameters (BatchNorm statistics included), their gradients, the optimizer's state (SGD
    with momentum keeps one array per parameter) and the activations kept for the backward
    pass (per image, times the batch). A lower bound: the backward pass also needs the
    activations' gradients and workspaces, so a GPU should have about twice this."""
    from .registry import get_model
    from .summary import summary
    net = get_model(recipe.model, num_classes=num_classes, in_channels=in_channels,
                    **recipe.model_options)
    s = summary(net, (in_channels, recipe.input_size, recipe.input_size))
    out = {"parameters": 4 * s.total_params, "gradients": 4 * s.trainable_params,
           "optimizer": 4 * s.trainable_params if recipe.momentum else 0,
           "activations": s.activation_bytes * recipe.batch_size}
    out["total"] = sum(out.values())
    return out
