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

    def __str__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.model_options.items())
        side = self.resize or 28
        text = (f"{self.name.upper()} recipe: {self.model}({opts}) at {side}x{side}, "
                f"batch {self.batch_size}, lr {self.lr}, {self.num_epochs} epochs")
        return text + (f"\n  {self.note}" if self.note else "")


def choose_recipe(gpu, cpu, device=None):
    """The GPU recipe on a GPU, the CPU recipe elsewhere."""
    if device is None:
        from .device import try_gpu
        device = try_gpu()
    return gpu if device.device_type == "gpu" else cpu


def save_results(chapter, payload, results_dir=None):
    """Write a chapter's results (a JSON-able dict) for the closing chapter to read.

    In reduced mode nothing is written: a CI run must never replace the results of a full run.
    Returns the path written, or None. The write is atomic (no half-written file)."""
    if config.reduced_mode():
        return None
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


def load_results(results_dir=None):
    """All chapters' saved results, as {chapter: dict}, sorted by chapter name."""
    folder = Path(results_dir) if results_dir is not None else RESULTS_DIR
    out = {}
    for path in sorted(folder.glob("*.json")):
        try:
            out[path.stem] = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"results file {path.name} is not valid JSON ({e}); re-run its "
                             f"chapter to write it again") from e
    return out
